/*
 * gwalk.h - walk the guest's page tables as the x86 MMU would.
 *
 * Mechanism (32-bit paging, no PAE): CR3 names a page directory of 1024
 * PDEs, each mapping 4 MB: either a 4 MB page itself (PS = 1, honoured only
 * when CR4.PSE is set) or a page table of 1024 PTEs mapping 4 KB each.  An
 * access is allowed if every level is present (P), and: a user access
 * (CPL 3) needs U at both levels; a user write needs W at both levels; a
 * supervisor write needs W at both levels only when CR0.WP is set.  On a
 * successful translation the MMU sets the accessed bit (A) in the PDE and
 * the PTE, and on a write the dirty bit (D) in the entry that maps the page
 * (the PTE, or the 4 MB PDE).  A failed one raises #PF with an error code:
 * P (the page was present: a protection fault), W (a write), U (from CPL 3).
 *
 * gwalk() is that, as a pure function over guest-physical memory reached
 * through callbacks: the shadow MMU calls it on every hidden page fault, the
 * emulator on every guest-virtual access it makes for the guest, and the
 * host unit test compares it with an independent reference model over every
 * combination of P, W, U, A, D, PS, access type, CPL and CR0.WP.
 *
 * Reserved bits: a 4 MB PDE with any of bits 13-21 set faults (#PF with P
 * and RSVD), as on a CPU without PSE-36 (QEMU's qemu32; with PSE-36 those
 * bits would address memory above 4 GB, which no guest here has).
 * Not modelled: other reserved-bit faults, PAT, PCD/PWT (no effect
 * on a translation), and global pages (they only matter to a TLB).
 */
#ifndef SHADOW_GWALK_H
#define SHADOW_GWALK_H

#include <stdbool.h>
#include <stdint.h>

struct gwalk_mem {
	/* read or write the 32-bit word at guest-physical gpa; 0, or -1 if
	 * gpa is not guest RAM */
	int (*read)(void *ctx, uint32_t gpa, uint32_t *val);
	int (*write)(void *ctx, uint32_t gpa, uint32_t val);
	void *ctx;
};

struct gwalk_req {
	uint32_t cr3;
	bool pse;               /* CR4.PSE */
	bool wp;                /* CR0.WP */
	uint32_t va;
	bool write;             /* a write access */
	bool user;              /* from CPL 3 */
	bool set_ad;            /* on success, set A (and D) as the MMU does */
};

struct gwalk_res {
	uint32_t gpa;           /* the translation of va */
	bool w, u;              /* effective W and U over both levels */
	bool dirty;             /* D of the mapping entry, after this access */
	bool big;               /* through a 4 MB page */
	uint32_t pt_gpa;        /* the page table walked (0 for a 4 MB page) */
	uint32_t err;           /* GWALK_FAULT: the #PF error code */
	uint32_t bad_gpa;       /* GWALK_BAD_GPA: the entry that was not RAM */
};

enum gwalk_result {
	GWALK_OK,
	GWALK_FAULT,            /* the guest's tables refuse: reflect #PF */
	GWALK_BAD_GPA,          /* a paging structure is outside guest RAM */
};

enum gwalk_result gwalk(const struct gwalk_mem *mem, const struct gwalk_req *req,
			struct gwalk_res *res);

/* ---- the walk itself ----
 *
 * gwalk() is this, out of line.  It is here, inline, for the monitor's own
 * walks (gwalk_ram.h): with guest RAM's callbacks known at compile time,
 * each entry is one load through the p2m, not two calls (a hidden fault
 * walks the guest's tables once per fill). */

#define GW_E_P     0x001u
#define GW_E_W     0x002u
#define GW_E_U     0x004u
#define GW_E_A     0x020u
#define GW_E_D     0x040u
#define GW_E_PS    0x080u
#define GW_E_ADDR  0xFFFFF000u
#define GW_E_BIG   0xFFC00000u
#define GW_E_BIG_RSVD 0x003FE000u  /* a 4 MB PDE's bits 13-21: reserved
				      without PSE-36 (qemu32's CPU has none) */
#define GW_PF_RSVD 0x8u
#define GW_PF_P    0x1u
#define GW_PF_W    0x2u
#define GW_PF_U    0x4u

static inline uint32_t gwalk_fault_err(const struct gwalk_req *req, bool present)
{
	return (present ? GW_PF_P : 0) | (req->write ? GW_PF_W : 0) | (req->user ? GW_PF_U : 0);
}

static inline bool gwalk_allowed(const struct gwalk_req *req, bool w, bool u)
{
	if (req->user && !u)
		return false;
	if (req->write && !w && (req->user || req->wp))
		return false;
	return true;
}

/* Sets bits in the entry at gpa if they are not set yet (the MMU writes
 * only when something changes). */
static inline __attribute__((always_inline))
int gwalk_set_bits(const struct gwalk_mem *mem, uint32_t gpa, uint32_t *e, uint32_t bits)
{
	if ((*e & bits) == bits)
		return 0;
	*e |= bits;
	return mem->write(mem->ctx, gpa, *e);
}

static inline enum gwalk_result gwalk_bad(struct gwalk_res *res, uint32_t gpa)
{
	res->bad_gpa = gpa;
	return GWALK_BAD_GPA;
}

static inline __attribute__((always_inline))
enum gwalk_result gwalk_inline(const struct gwalk_mem *mem, const struct gwalk_req *req,
			       struct gwalk_res *res)
{
	uint32_t pde_gpa = (req->cr3 & GW_E_ADDR) + (req->va >> 22) * 4;
	uint32_t pde, pte, pte_gpa = 0;

	*res = (struct gwalk_res){ 0 };
	if (mem->read(mem->ctx, pde_gpa, &pde) < 0)
		return gwalk_bad(res, pde_gpa);
	if (!(pde & GW_E_P)) {
		res->err = gwalk_fault_err(req, false);
		return GWALK_FAULT;
	}
	res->big = req->pse && (pde & GW_E_PS);
	if (res->big && (pde & GW_E_BIG_RSVD)) {
		res->err = gwalk_fault_err(req, true) | GW_PF_RSVD;
		return GWALK_FAULT;
	}
	if (res->big) {
		pte = pde;
	} else {
		res->pt_gpa = pde & GW_E_ADDR;
		pte_gpa = res->pt_gpa + ((req->va >> 12) & 0x3FF) * 4;
		if (mem->read(mem->ctx, pte_gpa, &pte) < 0)
			return gwalk_bad(res, pte_gpa);
		if (!(pte & GW_E_P)) {
			res->err = gwalk_fault_err(req, false);
			return GWALK_FAULT;
		}
	}
	res->w = (pde & GW_E_W) && (pte & GW_E_W);
	res->u = (pde & GW_E_U) && (pte & GW_E_U);
	if (!gwalk_allowed(req, res->w, res->u)) {
		res->err = gwalk_fault_err(req, true);
		return GWALK_FAULT;
	}
	res->gpa = res->big ? (pde & GW_E_BIG) | (req->va & ~GW_E_BIG)
			    : (pte & GW_E_ADDR) | (req->va & ~GW_E_ADDR);
	if (req->set_ad) {
		uint32_t leaf_bits = GW_E_A | (req->write ? GW_E_D : 0);
		if (gwalk_set_bits(mem, pde_gpa, &pde, res->big ? leaf_bits : GW_E_A) < 0)
			return gwalk_bad(res, pde_gpa);
		if (!res->big && gwalk_set_bits(mem, pte_gpa, &pte, leaf_bits) < 0)
			return gwalk_bad(res, pte_gpa);
		if (res->big)
			pte = pde;
	}
	res->dirty = (pte & GW_E_D) != 0;
	return GWALK_OK;
}

#endif
