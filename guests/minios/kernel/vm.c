/*
 * vm.c - frames, page directories, demand-zero and copy-on-write.
 *
 * Mechanism: with CR0.PG set the CPU translates every linear address through
 * the page directory at CR3.  minios gives every process its own directory:
 * entries 0..767 (below KERNBASE) are the process's, entries 768..1023 are
 * copied from kpgdir and identical everywhere (RAM as 4 MB PSE pages, plus
 * the tests' 4 KB window).  Kernel PDEs are never changed after boot, so
 * copying them once is enough.
 *
 * Demand zero: heap and stack pages are not mapped until touched; the
 * not-present fault maps a zeroed frame.
 * Copy-on-write: fork shares every writable user frame read-only, marked
 * PTE_COW, with one frame reference per mapping; the write fault copies the
 * frame, or just makes it writable again if it has only one reference left.
 * CR0.WP is set, so the kernel's own writes to user pages (copyout) take
 * the same path.
 */
#include "vm.h"
#include "proc.h"
#include "trap.h"
#include "x86.h"
#include "console.h"
#include "../include/abi.h"

struct frame_pool frame_pool;
pde_t *kpgdir;
pte_t *testwin_pt;
u32 ram_top;

static void *memset_(void *d, int c, u32 n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

/* The pool's own arrays are carved from the first free RAM above the kernel. */
void mem_init(u32 ram_end, u32 reserved_end)
{
	u32 first = PGROUNDUP(reserved_end) >> PGSHIFT;
	u32 count = (ram_end >> PGSHIFT) - first;
	u32 meta = PGROUNDUP(count * (sizeof(u16) + sizeof(u32))) >> PGSHIFT;
	u16 *ref = P2V(first << PGSHIFT);
	u32 *stack = (u32 *)(ref + count);

	ram_top = ram_end;
	frames_init(&frame_pool, first + meta, count - meta, ref, stack);
}

void *page_alloc(void)
{
	u32 pfn = frames_alloc(&frame_pool);
	if (pfn == FRAME_NONE)
		return NULL;
	return memset_(P2V(pfn << PGSHIFT), 0, PGSIZE);
}

static void frame_unref(u32 pa)
{
	if (frames_unref(&frame_pool, pa >> PGSHIFT) < 0)
		panic("unref of frame 0x%x that is not allocated", pa);
}

void page_free(void *kva)
{
	frame_unref(V2P(kva));
}

u32 free_frames(void)
{
	return frames_free_count(&frame_pool);
}

void kvm_init(void)
{
	kpgdir = page_alloc();
	testwin_pt = page_alloc();
	if (!kpgdir || !testwin_pt)
		panic("out of memory building the kernel page directory");
	for (u32 pa = 0; pa < ram_top; pa += BIGPGSIZE)
		kpgdir[PDX(KERNBASE + pa)] = pa | PTE_P | PTE_W | PTE_PS;
	kpgdir[PDX(TESTWIN)] = V2P(testwin_pt) | PTE_P | PTE_W;
	vm_switch(kpgdir);
}

void vm_switch(pde_t *pd)
{
	lcr3(V2P(pd));
}

pde_t *vm_new(void)
{
	pde_t *pd = page_alloc();
	if (pd == NULL)
		return NULL;
	for (u32 i = PDX(KERNBASE); i < NPDENTRIES; i++)
		pd[i] = kpgdir[i];
	return pd;
}

pte_t *vm_walk(pde_t *pd, u32 va, int alloc)
{
	pde_t *pde = &pd[PDX(va)];

	if (!(*pde & PTE_P)) {
		if (!alloc)
			return NULL;
		pte_t *pt = page_alloc();
		if (pt == NULL)
			return NULL;
		*pde = V2P(pt) | PTE_P | PTE_W | PTE_U;
	}
	if (*pde & PTE_PS)
		return NULL;
	return (pte_t *)P2V(PTE_ADDR(*pde)) + PTX(va);
}

int vm_map(pde_t *pd, u32 va, u32 pa, u32 perm)
{
	pte_t *pte = vm_walk(pd, va, 1);
	if (pte == NULL)
		return -ENOMEM;
	*pte = pa | perm | PTE_P;
	return 0;
}

void vm_unmap_range(pde_t *pd, u32 start, u32 end)
{
	for (u32 va = PGROUNDDOWN(start); va < end; va += PGSIZE) {
		pte_t *pte = vm_walk(pd, va, 0);
		if (pte && (*pte & PTE_P)) {
			frame_unref(PTE_ADDR(*pte));
			*pte = 0;
			invlpg(va);
		}
	}
}

void vm_free(pde_t *pd)
{
	for (u32 i = 0; i < PDX(KERNBASE); i++) {
		if (!(pd[i] & PTE_P))
			continue;
		pte_t *pt = P2V(PTE_ADDR(pd[i]));
		for (u32 j = 0; j < NPTENTRIES; j++)
			if (pt[j] & PTE_P)
				frame_unref(PTE_ADDR(pt[j]));
		page_free(pt);
	}
	page_free(pd);
}

/* Shares every user page of 'from' with 'to'; writable ones become COW in
 * both.  The caller reloads CR3 if 'from' is live. */
int vm_copy_cow(pde_t *from, pde_t *to)
{
	for (u32 i = 0; i < PDX(KERNBASE); i++) {
		if (!(from[i] & PTE_P))
			continue;
		pte_t *pt = P2V(PTE_ADDR(from[i]));
		for (u32 j = 0; j < NPTENTRIES; j++) {
			if (!(pt[j] & PTE_P))
				continue;
			if (pt[j] & PTE_W)
				pt[j] = (pt[j] & ~PTE_W) | PTE_COW;
			pte_t *npte = vm_walk(to, (i << PDXSHIFT) | (j << PGSHIFT), 1);
			if (npte == NULL)
				return -ENOMEM;
			if (frames_ref(&frame_pool, PTE_ADDR(pt[j]) >> PGSHIFT) < 0)
				panic("frame 0x%x shared too often or not allocated", PTE_ADDR(pt[j]));
			*npte = pt[j];
		}
	}
	return 0;
}

static int in_demand_zero_region(struct proc *p, u32 va)
{
	if (va >= p->heap_start && va < p->brk)
		return 1;
	return va >= USTACKTOP - USTACKMAX && va < USTACKTOP;
}

static int break_cow(pte_t *pte, u32 va)
{
	u32 pa = PTE_ADDR(*pte);
	u32 flags = (*pte & 0xFFF & ~PTE_COW) | PTE_W;

	if (frames_refcount(&frame_pool, pa >> PGSHIFT) > 1) {
		u8 *copy = page_alloc();
		if (copy == NULL)
			return -1;
		u8 *src = P2V(pa);
		for (u32 i = 0; i < PGSIZE; i++)
			copy[i] = src[i];
		frame_unref(pa);
		pa = V2P(copy);
	}
	*pte = pa | flags;
	invlpg(va);
	return 0;
}

int vm_fault(struct proc *p, u32 va, u32 err)
{
	if (p == NULL || p->kthread || va >= KERNBASE)
		return -1;
	pte_t *pte = vm_walk(p->pgdir, va, 0);
	if (pte == NULL || !(*pte & PTE_P)) {
		if (!in_demand_zero_region(p, va))
			return -1;
		void *page = page_alloc();
		if (page == NULL)
			return -1;
		p->stat_demand_zero++;
		return vm_map(p->pgdir, PGROUNDDOWN(va), V2P(page), PTE_W | PTE_U);
	}
	if ((err & PFE_W) && (*pte & PTE_COW)) {
		p->stat_cow++;
		return break_cow(pte, PGROUNDDOWN(va));
	}
	return -1;
}

static int user_range_ok(u32 uva, u32 n)
{
	return uva < KERNBASE && n <= KERNBASE - uva;
}

int copyin(void *dst, u32 uva, u32 n)
{
	if (!user_range_ok(uva, n) || probe_copy(dst, (const void *)uva, n))
		return -EFAULT;
	return 0;
}

int copyout(u32 uva, const void *src, u32 n)
{
	if (!user_range_ok(uva, n) || probe_copy((void *)uva, src, n))
		return -EFAULT;
	return 0;
}

int copyinstr(char *dst, u32 uva, u32 max)
{
	for (u32 i = 0; i < max; i++) {
		if (copyin(&dst[i], uva + i, 1) < 0)
			return -EFAULT;
		if (dst[i] == '\0')
			return 0;
	}
	return -EINVAL;
}
