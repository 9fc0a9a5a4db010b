/*
 * gva.c - the monitor's one way to touch guest memory by guest-virtual
 * address: for instruction fetch (the decoder), the operands of emulated
 * instructions, and the frames pushed when reflecting an exception.
 *
 * Mechanism: the guest expects the MMU's behaviour for every access made
 * on its behalf, including the monitor's: a translation through its own
 * page tables (or none while CR0.PG is clear), the permission check for
 * the access's privilege, the A and D bits set, and #PF with the right CR2
 * and error code when the tables refuse.  gwalk() does the walk; this file
 * splits an access at page boundaries, copies through the p2m, and tells
 * the shadow MMU about every byte it writes: a write to a guest page table
 * must reach the shadows derived from it (shadow=cached).
 */
#include "shadow.h"
#include "gwalk_ram.h"
#include "monitor/memory.h"
#include "monitor/x86.h"
#include "lib/mem.h"
#include "fault/fault.h"

const struct gwalk_mem guest_phys_words = { word_read, word_write, 0 };

/* The one translation remembered (gva_remember): a page-table write's
 * emulation would otherwise walk the guest's tables a second time for the
 * address the fault handler has just walked. */
static struct {
	uint32_t page, gpa_page;
	unsigned acc;
	bool valid;
} known;

void gva_remember(uint32_t va, uint32_t gpa, unsigned acc)
{
	known.page = va & ~(MON_PGSIZE - 1);
	known.gpa_page = gpa & ~(MON_PGSIZE - 1);
	known.acc = acc;
	known.valid = true;
}

void gva_forget(void)
{
	known.valid = false;
}

static bool is_known(uint32_t va, unsigned acc)
{
	return known.valid && (va & ~(MON_PGSIZE - 1)) == known.page &&
	       (acc & GVA_USER) == (known.acc & GVA_USER) &&
	       (!(acc & GVA_WRITE) || (known.acc & GVA_WRITE));
}

/* Walks made, remembered and checked again at every use (a small TLB
 * that is never stale).  A walk's result is a function of CR4.PSE,
 * CR0.WP, the address, the access (write, user) and the two entries it
 * reads, nothing else: the PDE at the place CR3 and the address fix, the
 * PTE at a place that PDE's value and the address fix (for a 4 MB page,
 * none).  An entry remembers what both held after the walk set A and D,
 * and where the PTE was (a host pointer: the p2m never changes); if the
 * PDE the current CR3 names holds that value, and the PTE too, the walk
 * would read the same, find the same, and write nothing (its bits are
 * set): its result is taken without walking.  So one entry serves every
 * address space whose directory shares the page table (a kernel's pages:
 * its IDT, its TSS, read at every reflected exception).  A write
 * remembered serves a read (the same user bit): what a write may do, a
 * read may, and A is set.  Nothing needs to invalidate an entry: every
 * change to the guest's tables, by the guest or the monitor, shows in the
 * entries compared. */
#define WALK_MEMO 8u     /* direct-mapped by the page number's low bits */

static struct walk_memo {
	uint32_t page;          /* the address's page; 1: empty (never a page) */
	uint32_t mode;          /* CR0.WP | CR4.PSE, in place */
	unsigned acc;           /* GVA_USER, GVA_WRITE */
	uint32_t pde_val;
	const uint32_t *pte;    /* NULL: a 4 MB page (the PDE maps it) */
	uint32_t pte_val;
	uint32_t gpa_page;
} memo[WALK_MEMO];

/* The page directory CR3 names, in the monitor's view (NULL: not RAM),
 * for the last CR3 asked about (the p2m never changes). */
static struct {
	uint32_t cr3;
	const uint32_t *pd;
} dir = { 1, 0 };

void gva_reset(void)
{
	for (unsigned i = 0; i < WALK_MEMO; i++)	/* bound: WALK_MEMO walks */
		memo[i].page = 1;
	dir.cr3 = 1;
	known.valid = false;
}

static uint32_t walk_mode(const struct vcpu *v)
{
	return (v->cr0 & CR0_WP) | (v->cr4 & CR4_PSE);
}

static struct walk_memo *memo_slot(uint32_t va)
{
	return &memo[(va >> MON_PGSHIFT) % WALK_MEMO];
}

/* The PDE a walk of va reads (NULL: CR3 is not RAM). */
static inline const uint32_t *pde_of(const struct vcpu *v, uint32_t va)
{
	uint32_t cr3 = v->cr3 & ~(MON_PGSIZE - 1);

	if (cr3 != dir.cr3) {
		dir.pd = gpa_host(cr3);
		dir.cr3 = cr3;
	}
	return dir.pd ? dir.pd + (va >> 22) : 0;
}

/* The remembered walk's guest-physical page for va, if an access acc may
 * take it (its entries hold what they held); else 1 (never a page). */
static inline __attribute__((always_inline))
uint32_t memo_find(const struct vcpu *v, uint32_t va, unsigned acc)
{
	const struct walk_memo *m = memo_slot(va);
	const uint32_t *pde;

	if (m->page != (va & ~(MON_PGSIZE - 1)) || m->mode != walk_mode(v) ||
	    ((m->acc ^ acc) & GVA_USER) || (acc & ~m->acc & GVA_WRITE) ||
	    !(pde = pde_of(v, va)) || *pde != m->pde_val || (m->pte && *m->pte != m->pte_val))
		return 1;
	return m->gpa_page;
}

/* Remember a walk just made for va (with res) for access acc. */
static void memo_add(const struct vcpu *v, uint32_t va, unsigned acc, const struct gwalk_res *res)
{
	const uint32_t *pde = pde_of(v, va);
	const uint32_t *pte = res->big ? 0 : entry_at(res->pt_gpa + ((va >> 12) & 0x3FF) * 4);

	if (!pde || (!res->big && !pte))
		return;         /* (a successful walk read both from RAM) */
	*memo_slot(va) = (struct walk_memo){ va & ~(MON_PGSIZE - 1), walk_mode(v),
					     acc & (GVA_USER | GVA_WRITE), *pde, pte,
					     pte ? *pte : 0, res->gpa & ~(MON_PGSIZE - 1) };
}

/* The walk for va and access acc, remembered if it succeeds. */
static enum gva_result walk(struct vcpu *v, uint32_t va, unsigned acc, uint32_t *gpa_out,
			    struct gva_fault *f)
{
	struct gwalk_req req = {
		.cr3 = v->cr3, .pse = (v->cr4 & CR4_PSE) != 0, .wp = (v->cr0 & CR0_WP) != 0,
		.va = va, .write = (acc & GVA_WRITE) != 0, .user = (acc & GVA_USER) != 0,
		.set_ad = true,
	};
	struct gwalk_res res;

	switch (gwalk_guest(&req, &res)) {
	case GWALK_OK:
		memo_add(v, va, acc, &res);
		*gpa_out = res.gpa;
		return GVA_OK;
	case GWALK_FAULT:
		f->va = va;
		f->err = res.err;
		return GVA_PF;
	default:
		f->bad_gpa = res.bad_gpa;
		return GVA_BAD_GPA;
	}
}

#ifdef MON_HOST_TEST
uint32_t gva_memo_stale(struct vcpu *v)
{
	for (unsigned i = 0; i < WALK_MEMO; i++) {	/* bound: WALK_MEMO walks */
		const struct walk_memo *m = &memo[i];
		uint32_t page = m->page == 1 ? 1 : memo_find(v, m->page, m->acc);
		struct gwalk_req req = {
			.cr3 = v->cr3, .pse = (v->cr4 & CR4_PSE) != 0, .wp = (v->cr0 & CR0_WP) != 0,
			.va = m->page, .write = (m->acc & GVA_WRITE) != 0,
			.user = (m->acc & GVA_USER) != 0, .set_ad = false,
		};
		struct gwalk_res res;
		if (page == 1 || !(v->cr0 & CR0_PG))
			continue;
		if (gwalk(&guest_phys_words, &req, &res) != GWALK_OK || res.gpa != page)
			return m->page;
	}
	return 1;
}
#endif

enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc,
			      uint32_t *gpa_out, struct gva_fault *f)
{
	uint32_t page;

	if (!(v->cr0 & CR0_PG)) {
		*gpa_out = va;
		return GVA_OK;
	}
	if (is_known(va, acc)) {
		*gpa_out = known.gpa_page | (va & (MON_PGSIZE - 1));
		return GVA_OK;
	}
	if ((page = memo_find(v, va, acc)) != 1) {
		*gpa_out = page | (va & (MON_PGSIZE - 1));
		return GVA_OK;
	}
	return walk(v, va, acc, gpa_out, f);
}

/* The CPU's own translation, for an access by the guest's kernel: the
 * current shadow's entry for va, if it allows the access (shadow.h).  A
 * shadow entry never allows more than the guest's tables do now (spte.c:
 * the CPU's TLB may use any of them), and it exists only once the walk
 * that filled it set A, and is writable only once D is set; so an access
 * it allows is one the walk would allow, with nothing left to set: the
 * same result as the walk, as the CPU gets it from its TLB.  A write
 * through it needs no shadow_guest_wrote(): no shadow entry is writable
 * to a frame a shadow derives from (a page table under shadow=cached) or
 * the monitor watches (descriptor tables; both strategies).  The host
 * frame is one the shadow maps for the guest, never the monitor's (the
 * switcher's slot is refused); for a device's read-only image page
 * (memory.h) that is the image, what the guest's own read there gets,
 * where the walk would have found no RAM.  User accesses and everything it refuses
 * take the walk, which gives the exact fault.  With the fault injector
 * armed, writes always take the walk (it counts shadow updates). */
static uint8_t *cpu_translation(uint32_t va, unsigned acc)
{
	if ((acc & GVA_USER) || ((acc & GVA_WRITE) && fault_armed))
		return 0;
	return shadow_kernel_access(va, (acc & GVA_WRITE) != 0);
}

/* Copies n bytes within one page: a gate, a TSS stack pair, an
 * exception frame are a few whole words, moved here one by one, where
 * memcpy's setup costs more than the copy. */
static inline void copy_small(uint8_t *d, const uint8_t *s, uint32_t n)
{
	typedef uint32_t __attribute__((aligned(1), may_alias)) word;
	word *dw = (word *)d;
	const word *sw = (const word *)s;

	switch (n) {
	case 24: dw[5] = sw[5];         /* fall through */
	case 20: dw[4] = sw[4];         /* fall through */
	case 16: dw[3] = sw[3];         /* fall through */
	case 12: dw[2] = sw[2];         /* fall through */
	case 8: dw[1] = sw[1];          /* fall through */
	case 4: dw[0] = sw[0];
		return;
	default:
		memcpy(d, s, n);
	}
}

#define NO_GPA 1u               /* never a page-aligned guest-physical address */

/* Where va's byte is in the monitor's view for an access acc: *h, and
 * *g its guest-physical address if it came from the guest's tables (a
 * write through those is told to the shadow), else NO_GPA (the CPU's
 * own translation, cpu_translation).  In the order that is cheapest for
 * what the monitor accesses: the page-table write's remembered walk
 * (whose page the shadow maps read-only), for a read a remembered walk
 * (the monitor reads pages the guest does not touch: its IDT, its TSS,
 * which the shadow has no entry for), the shadow, a remembered walk for a
 * write, and the walk. */
static enum gva_result page_of(struct vcpu *v, uint32_t va, unsigned acc, uint8_t **h,
			       uint32_t *g, struct gva_fault *f)
{
	uint32_t off = va & (MON_PGSIZE - 1), page;

	*g = NO_GPA;
	if (!(v->cr0 & CR0_PG)) {
		*g = va;
	} else if (is_known(va, acc)) {
		*g = known.gpa_page | off;
	} else if (!(acc & GVA_WRITE) && (page = memo_find(v, va, acc)) != 1) {
		*g = page | off;        /* (a page the walk found: RAM or not) */
	} else if ((*h = cpu_translation(va, acc))) {
		return GVA_OK;
	} else if ((acc & GVA_WRITE) && (page = memo_find(v, va, acc)) != 1) {
		*g = page | off;
	} else {
		enum gva_result r = walk(v, va, acc, g, f);
		if (r != GVA_OK)
			return r;
	}
	if ((*h = gpa_host(*g)))
		return GVA_OK;
	f->bad_gpa = *g;
	return GVA_BAD_GPA;
}

static enum gva_result gva_copy(struct vcpu *v, uint32_t va, uint8_t *buf, uint32_t n,
				unsigned acc, struct gva_fault *f)
{
	while (n > 0) {	/* bound: n / 4096 + 1 pages: each turn reaches the next page */
		uint32_t g, chunk = MON_PGSIZE - (va & (MON_PGSIZE - 1));
		uint8_t *h;
		enum gva_result r = page_of(v, va, acc, &h, &g, f);

		if (r != GVA_OK)
			return r;
		chunk = chunk < n ? chunk : n;
		if (!(acc & GVA_WRITE)) {
			copy_small(buf, h, chunk);
		} else if (g == NO_GPA) {
			copy_small(h, buf, chunk);
			known.valid = false;    /* vtlb: it may be a page table */
		} else {
			if (gpa_write(gpa(g), buf, chunk) < 0) {
				f->bad_gpa = g;
				return GVA_BAD_GPA;
			}
			known.valid = false;    /* ...or of the remembered walk */
			shadow_guest_wrote(v, g, chunk);   /* a page table of a shadow? */
		}
		va += chunk;
		buf += chunk;
		n -= chunk;
	}
	return GVA_OK;
}

const void *gva_peek(struct vcpu *v, uint32_t va, uint32_t n)
{
	if ((va & (MON_PGSIZE - 1)) + n > MON_PGSIZE)
		return 0;
	if (!(v->cr0 & CR0_PG))
		return gpa_host(va);
	uint32_t page = memo_find(v, va, 0);
	if (page != 1)
		return gpa_host(page | (va & (MON_PGSIZE - 1)));
	return shadow_kernel_access(va, false);
}

enum gva_result gva_read(struct vcpu *v, uint32_t va, void *buf, uint32_t n,
			 unsigned acc, struct gva_fault *f)
{
	return gva_copy(v, va, buf, n, acc & ~GVA_WRITE, f);
}

enum gva_result gva_write(struct vcpu *v, uint32_t va, const void *buf, uint32_t n,
			  unsigned acc, struct gva_fault *f)
{
	return gva_copy(v, va, (uint8_t *)buf, n, acc | GVA_WRITE, f);
}
