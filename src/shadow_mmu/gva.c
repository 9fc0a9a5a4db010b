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

enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc,
			      uint32_t *gpa_out, struct gva_fault *f)
{
	struct gwalk_req req = {
		.cr3 = v->cr3, .pse = (v->cr4 & CR4_PSE) != 0, .wp = (v->cr0 & CR0_WP) != 0,
		.va = va, .write = (acc & GVA_WRITE) != 0, .user = (acc & GVA_USER) != 0,
		.set_ad = true,
	};
	struct gwalk_res res;

	if (!(v->cr0 & CR0_PG)) {
		*gpa_out = va;
		return GVA_OK;
	}
	if (is_known(va, acc)) {
		*gpa_out = known.gpa_page | (va & (MON_PGSIZE - 1));
		return GVA_OK;
	}
	switch (gwalk_guest(&req, &res)) {
	case GWALK_OK:
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
static uint8_t *cpu_translation(struct vcpu *v, uint32_t va, unsigned acc)
{
	if (!(v->cr0 & CR0_PG) || (acc & GVA_USER) || ((acc & GVA_WRITE) && fault_armed) ||
	    is_known(va, acc))
		return 0;       /* (a remembered walk: a page-table write, not writable) */
	return shadow_kernel_access(va, (acc & GVA_WRITE) != 0);
}

static enum gva_result gva_copy(struct vcpu *v, uint32_t va, uint8_t *buf, uint32_t n,
				unsigned acc, struct gva_fault *f)
{
	while (n > 0) {
		uint32_t g, chunk = MON_PGSIZE - (va & (MON_PGSIZE - 1));
		uint8_t *h = cpu_translation(v, va, acc);

		chunk = chunk < n ? chunk : n;
		if (h) {
			if (acc & GVA_WRITE) {
				memcpy(h, buf, chunk);
				known.valid = false;    /* vtlb: it may be a page table */
			} else {
				memcpy(buf, h, chunk);
			}
			va += chunk;
			buf += chunk;
			n -= chunk;
			continue;
		}
		enum gva_result r = gva_translate(v, va, acc, &g, f);
		if (r != GVA_OK)
			return r;
		int bad = (acc & GVA_WRITE) ? gpa_write(gpa(g), buf, chunk)
					    : gpa_read(gpa(g), buf, chunk);
		if (bad < 0) {
			f->bad_gpa = g;
			return GVA_BAD_GPA;
		}
		if (acc & GVA_WRITE) {  /* a page table of a shadow? */
			known.valid = false;    /* ...or of the remembered walk */
			shadow_guest_wrote(v, g, chunk);
		}
		va += chunk;
		buf += chunk;
		n -= chunk;
	}
	return GVA_OK;
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
