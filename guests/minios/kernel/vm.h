/*
 * vm.h - physical frames and page tables.
 */
#ifndef MINIOS_VM_H
#define MINIOS_VM_H

#include "mmu.h"
#include "lib/frames.h"

struct proc;

extern struct frame_pool frame_pool;
extern pde_t *kpgdir;           /* kernel-only address space */
extern pte_t *testwin_pt;       /* the test window's page table */
extern u32 ram_top;             /* physical end of usable RAM (direct-mapped) */

void mem_init(u32 ram_end, u32 reserved_end);
void *page_alloc(void);         /* one zeroed 4 KB page (kernel address), or NULL */
void page_free(void *kva);
u32 free_frames(void);

void kvm_init(void);
pde_t *vm_new(void);            /* user half empty, kernel half shared */
void vm_free(pde_t *pd);
pte_t *vm_walk(pde_t *pd, u32 va, int alloc);
int vm_map(pde_t *pd, u32 va, u32 pa, u32 perm);
int vm_copy_cow(pde_t *from, pde_t *to);
void vm_unmap_range(pde_t *pd, u32 start, u32 end);
void vm_switch(pde_t *pd);

/* Resolves a user-address fault for p: demand-zero or copy-on-write.
 * Returns 0 if the access can be retried, -1 if it is a real fault. */
int vm_fault(struct proc *p, u32 va, u32 err);

/* Copies between the kernel and the current process's user memory.
 * Return 0, or -EFAULT for a pointer that is not valid user memory. */
int copyin(void *dst, u32 uva, u32 n);
int copyout(u32 uva, const void *src, u32 n);
int copyinstr(char *dst, u32 uva, u32 max);

#endif
