/*
 * paging.c - the tester's page tables: a 16 MB identity map whose window
 * (PDE 3) has pages of every protection, and putting it back.
 *
 * Mechanism: the MMU walks the page directory and the page table in
 * memory on a TLB miss, sets the accessed bit in both entries and the
 * dirty bit in the PTE on a write.  Sequences write PTEs and PDEs of the
 * window (then INVLPG or reload CR3) and access pages through them, so
 * after a sequence the tables hold what the sequence wrote plus the A
 * and D bits the MMU set.  Under a monitor those bits are the shadow
 * MMU's work (docs/shadow-paging.md), which is the point of looking.
 *
 * The reference tables have A and D clear everywhere in the window and
 * in the PTEs of the ring-0 test stack and the code, and are put back (only the entries that
 * differ, as a kernel would write them) before every sequence, after the
 * runner has filled the window's memory, so the bits a sequence leaves
 * are its own.
 */
#include "difftest.h"

#define UW        (PTE_P | PTE_W | PTE_U)
#define AD        (PTE_A | PTE_D)
#define NPTE      1024u

static u32 *const pd = (u32 *)DT_PD;

static u32 *pt(unsigned n)
{
	return (u32 *)DT_PT(n);
}

/* The window's entries as the generator's LAYOUT describes them. */
static u32 window_pte(u32 va)
{
	if (va >= DT_SCRATCH + PGSIZE && va < DT_SCRATCH + 2 * PGSIZE)
		return va | PTE_P | PTE_U;              /* scratch 1: read-only */
	if (va >= DT_SCRATCH + 2 * PGSIZE && va < DT_SCRATCH + 3 * PGSIZE)
		return va | PTE_P | PTE_W;              /* scratch 2: supervisor */
	if (va == DT_ALIAS)
		return DT_POOL | UW;                    /* alias of pool frame 0 */
	return va | UW;
}

static u32 ref_pte(unsigned t, unsigned i)
{
	u32 va = t << 22 | i << 12;
	return t == DT_WIN >> 22 ? window_pte(va) : va | UW;
}

static u32 ref_pde(unsigned i)
{
	return i < DT_NPT ? DT_PT(i) | UW : 0;
}

/* Entries a sequence may leave different: the window's table, and the
 * PTEs of the ring-0 test stack and the code (their A and D bits). */
static bool watched_pte(unsigned t, unsigned i)
{
	u32 va = t << 22 | i << 12;
	return t == DT_WIN >> 22 || va == DT_R0STACK || va == DT_CODE;
}

void paging_init(void)
{
	for (unsigned t = 0; t < DT_NPT; t++)
		for (unsigned i = 0; i < NPTE; i++)
			pt(t)[i] = ref_pte(t, i);
	for (unsigned i = 0; i < NPTE; i++)
		pd[i] = ref_pde(i);
	lcr3(DT_PD);
	lcr0(rcr0() | CR0_PG);
}

/* Puts back every entry a sequence may have changed, and flushes the TLB. */
void paging_restore(void)
{
	for (unsigned i = 0; i < DT_NPT; i++)
		if (pd[i] != ref_pde(i))
			pd[i] = ref_pde(i);
	for (unsigned t = 0; t < DT_NPT; t++)
		for (unsigned i = 0; i < NPTE; i++)
			if (watched_pte(t, i) && pt(t)[i] != ref_pte(t, i))
				pt(t)[i] = ref_pte(t, i);
	lcr3(DT_PD);
}

/* The entries that differ from the reference: directory, window table,
 * ring-0 stack PTE; and a check that nothing else moved (A bits of the
 * runner's own pages are set as it runs: they are not compared, nor,
 * unless pde_a, the window PDE's). */
void observe_paging(void (*emit)(const char *name, u32 idx, u32 value), bool pde_a)
{
	for (unsigned i = 0; i < NPTE; i++) {
		u32 e = pd[i], ref = ref_pde(i);
		if (i != DT_WIN >> 22 || !pde_a) {
			e &= ~(u32)PTE_A;
			ref &= ~(u32)PTE_A;
		}
		if (e != ref)
			emit("pd", i, e);
	}
	for (unsigned t = 0; t < DT_NPT; t++)
		for (unsigned i = 0; i < NPTE; i++) {
			u32 e = pt(t)[i], ref = ref_pte(t, i);
			if (watched_pte(t, i) ? e != ref : (e & ~AD) != ref)
				emit("pt", t << 10 | i, e);
		}
}
