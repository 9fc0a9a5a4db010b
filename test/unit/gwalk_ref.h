/*
 * gwalk_ref.h - an independent reference model of x86 32-bit paging (no
 * PAE), the method of kvm-unit-tests x86/access.c: test_gwalk.c holds the
 * guest page walk to it, test_shadow.c holds the whole shadow MMU to it
 * (what the guest sees through the real CPU walking the shadow tables).
 *
 * A combination c is 15 bits, one per C_* flag below:
 *   PDE P, W, U, A, D, PS  (D is ignored in a PDE that maps a page table)
 *   PTE P, W, U, A, D
 *   access read/write, CPL 0/3, CR0.WP, CR4.PSE   (PS honoured only with PSE)
 * model() says what the MMU does with it: the translation or the #PF error
 * code, and the two entries as they are afterwards (A and D).
 *
 * What the model assumes on a fault: nothing is written, not even A in a
 * PDE that was used before the PTE refused.  The SDM leaves that open (real
 * CPUs may set the upper A; access.c ignores the PDE's A on faults); gwalk.h
 * promises A "on a successful translation", so the tests hold it to that.
 *
 * The including test places the entries under test.  Before including
 * this file it defines
 *   PT_GPA      the page table the PDE points to; 4 MB aligned, so the same
 *               PDE value is also a clean 4 MB frame when PS and PSE are set
 *   PAGE_FRAME  the frame the PTE maps
 *   VA          the address accessed
 * and includes <cmocka.h> (print_combo reports through print_error).
 * The constants are this file's own, not the monitor's: a wrong bit in
 * src/monitor/x86.h or gwalk.c must not be copied into the expectation.
 */
#ifndef TEST_GWALK_REF_H
#define TEST_GWALK_REF_H

#include <stdbool.h>
#include <stdint.h>
#include "shadow_mmu/gwalk.h"

#if !defined(PT_GPA) || !defined(PAGE_FRAME) || !defined(VA)
#error "define PT_GPA, PAGE_FRAME and VA before including gwalk_ref.h"
#endif

/* ---- paging constants (independent of gwalk.c's) ------------------------- */

#define PG_P    (1u << 0)
#define PG_W    (1u << 1)
#define PG_U    (1u << 2)
#define PG_PWT  (1u << 3)
#define PG_PCD  (1u << 4)
#define PG_A    (1u << 5)
#define PG_D    (1u << 6)
#define PG_PS   (1u << 7)

#define PFE_P   (1u << 0)       /* #PF error code: protection, not absence */
#define PFE_W   (1u << 1)
#define PFE_U   (1u << 2)

#define PAGE    4096u
#define BIG     (4u << 20)

/* ---- the combinations ---------------------------------------------------- */

enum {
	C_PDE_P, C_PDE_W, C_PDE_U, C_PDE_A, C_PDE_D, C_PDE_PS,
	C_PTE_P, C_PTE_W, C_PTE_U, C_PTE_A, C_PTE_D,
	C_WRITE, C_USER, C_WP, C_PSE,
	NR_C
};

#define NR_COMBOS   (1u << NR_C)                /* 32768 */

static inline bool F(unsigned c, int flag)
{
	return (c >> flag) & 1u;
}

static inline uint32_t entry_bits(unsigned c, int p, int w, int u, int a, int d)
{
	return (F(c, p) ? PG_P : 0) | (F(c, w) ? PG_W : 0) | (F(c, u) ? PG_U : 0) |
	       (F(c, a) ? PG_A : 0) | (F(c, d) ? PG_D : 0);
}

static inline uint32_t combo_pde(unsigned c)
{
	return PT_GPA | entry_bits(c, C_PDE_P, C_PDE_W, C_PDE_U, C_PDE_A, C_PDE_D) |
	       (F(c, C_PDE_PS) ? PG_PS : 0);
}

static inline uint32_t combo_pte(unsigned c)
{
	return PAGE_FRAME | entry_bits(c, C_PTE_P, C_PTE_W, C_PTE_U, C_PTE_A, C_PTE_D);
}

/* ---- the reference model ------------------------------------------------- */

struct expect {
	enum gwalk_result result;
	uint32_t err;
	uint32_t gpa;
	bool w, u, big, dirty;
	uint32_t pde, pte;      /* the two entries in memory afterwards */
};

/* One level's verdict, as in the SDM's 4.6: a user access needs U; a write
 * needs W if it is a user access or CR0.WP is set.  Rights combine over
 * both levels; an absent entry at either level wins over a refusal (error
 * code P = 0), as access.c models it. */
static inline bool level_refuses(unsigned c, bool w, bool u)
{
	if (F(c, C_USER) && !u)
		return true;
	return F(c, C_WRITE) && !w && (F(c, C_USER) || F(c, C_WP));
}

static inline struct expect model(unsigned c, bool set_ad)
{
	struct expect e = { .pde = combo_pde(c), .pte = combo_pte(c) };
	bool big = F(c, C_PDE_PS) && F(c, C_PSE);
	bool absent = !F(c, C_PDE_P) || (!big && !F(c, C_PTE_P));
	bool refused = level_refuses(c, F(c, C_PDE_W), F(c, C_PDE_U)) ||
		       (!big && level_refuses(c, F(c, C_PTE_W), F(c, C_PTE_U)));

	if (absent || refused) {
		e.result = GWALK_FAULT;
		e.err = (absent ? 0 : PFE_P) | (F(c, C_WRITE) ? PFE_W : 0) |
			(F(c, C_USER) ? PFE_U : 0);
		return e;
	}
	e.result = GWALK_OK;
	e.big = big;
	e.w = F(c, C_PDE_W) && (big || F(c, C_PTE_W));
	e.u = F(c, C_PDE_U) && (big || F(c, C_PTE_U));
	e.gpa = big ? (PT_GPA & ~(BIG - 1)) | (VA & (BIG - 1))
		    : PAGE_FRAME | (VA & (PAGE - 1));

	uint32_t *leaf = big ? &e.pde : &e.pte;
	if (set_ad) {
		e.pde |= PG_A;
		*leaf |= PG_A | (F(c, C_WRITE) ? PG_D : 0);
	}
	e.dirty = (*leaf & PG_D) != 0;
	return e;
}

/* Prints combination c's set flags, after "combination c<note>:". */
static inline void print_combo(unsigned c, const char *note)
{
	static const char *const names[NR_C] = {
		"pde.p", "pde.w", "pde.u", "pde.a", "pde.d", "pde.ps",
		"pte.p", "pte.w", "pte.u", "pte.a", "pte.d",
		"write", "user", "cr0.wp", "cr4.pse",
	};
	print_error("combination %#x%s:", c, note);
	for (int i = 0; i < NR_C; i++)
		if (F(c, i))
			print_error(" %s", names[i]);
	print_error("\n");
}

#endif
