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

#endif
