/*
 * mmu.h - x86 two-level paging and segmentation, as minios uses them.
 *
 *   linear address (4 KB page):
 *   +----------10----------+----------10----------+---------12----------+
 *   | page-directory index |   page-table index   |   offset in page    |
 *   +----------------------+----------------------+---------------------+
 *   linear address (4 MB page, PDE.PS=1, needs CR4.PSE):
 *   +----------10----------+-------------------22------------------------+
 *   | page-directory index |              offset in page                 |
 *   +----------------------+---------------------------------------------+
 *
 * minios's address-space layout (every process has its own page directory;
 * the kernel half is the same in all of them):
 *
 *   0x00000000 - 0x003FFFFF  unmapped (catches NULL pointers)
 *   0x00400000 - ...         user program text/data, then the heap (sbrk)
 *   ...        - 0xBFFFFFFF  user stack, growing down, demand-zero
 *   0xC0000000 - ...         kernel: physical memory mapped with 4 MB pages,
 *                            at most DIRECTMAP_MAX (768 MB, to 0xEFFFFFFF)
 *   0xF0000000 - 0xF03FFFFF  test window: one 4 KB page table the tests edit
 *   0xF0400000 - 0xF07FFFFF  test window for a 4 MB page
 *   0xF0800000 - 0xF0BFFFFF  test window for a page table a test links in
 *   0xFFC00000 - 0xFFFFFFFF  never used (a monitor's switcher lives here)
 */
#ifndef MINIOS_MMU_H
#define MINIOS_MMU_H

#include "types.h"

#define PGSIZE     4096u
#define PGSHIFT    12
#define BIGPGSIZE  (4u << 20)
#define PDXSHIFT   22
#define NPDENTRIES 1024
#define NPTENTRIES 1024

#define PDX(va)    (((u32)(va) >> PDXSHIFT) & 0x3FF)
#define PTX(va)    (((u32)(va) >> PGSHIFT) & 0x3FF)
#define PGROUNDUP(a)   (((u32)(a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((u32)(a) & ~(PGSIZE - 1))

/* Page-directory and page-table entry bits */
#define PTE_P    0x001  /* present */
#define PTE_W    0x002  /* writable */
#define PTE_U    0x004  /* user */
#define PTE_PWT  0x008
#define PTE_PCD  0x010
#define PTE_A    0x020  /* accessed: set by the CPU on any use */
#define PTE_D    0x040  /* dirty: set by the CPU on a write (PTEs, 4 MB PDEs) */
#define PTE_PS   0x080  /* in a PDE: this entry maps a 4 MB page */
#define PTE_G    0x100  /* global: survives CR3 reloads when CR4.PGE=1 */
#define PTE_COW  0x200  /* software (AVL) bit: copy-on-write page */
#define PTE_ADDR(e) ((u32)(e) & ~0xFFFu)
#define PDE_BIGADDR(e) ((u32)(e) & ~0x3FFFFFu)

#define KERNBASE   0xC0000000u  /* physical address p is mapped at KERNBASE + p */
#define KERNLINK   0xC0100000u  /* the kernel image is linked here (phys 1 MB) */
#define DIRECTMAP_MAX (768u << 20)  /* at most this much RAM is mapped:
					  up to the test windows */
#define USERBASE   0x00400000u
#define USTACKTOP  KERNBASE
#define USTACKMAX  (256u * 1024u)   /* demand-zero stack region */
#define TESTWIN    0xF0000000u      /* 4 KB-paged test window (above the
					   direct map, whatever the RAM) */
#define TESTWIN4M  0xF0400000u      /* 4 MB-page test window */
#define TESTWINPT  0xF0800000u      /* its PDE is not present except in a test */
_Static_assert(KERNBASE + DIRECTMAP_MAX <= TESTWIN, "the direct map stays below the test windows");

/* A kernel object alone on its page(s): the linker script puts .bss.page
 * first in .bss and pads it to a page, so nothing else shares the page.
 * For structures the CPU reads from memory (TSS, IDT): a monitor that
 * write-protects them to follow the kernel's changes sees only those. */
#define PAGE_ALONE __attribute__((aligned(4096), section(".bss.page")))

#define V2P(a) ((u32)(a) - KERNBASE)
#define P2V(a) ((void *)((u32)(a) + KERNBASE))

/* Segment selectors: index << 3 | RPL.  Tests compare only the RPL's
 * low bits against 3 for "user", never against 0 for "kernel", so the same
 * code is right when a monitor runs the kernel in ring 1. */
#define SEG_NULL   0
#define SEG_KCODE  1
#define SEG_KDATA  2
#define SEG_UCODE  3
#define SEG_UDATA  4
#define SEG_TSS    5
#define SEG_TSS2   6    /* a second TSS, for the LTR test */
#define SEG_TEST   7    /* a data segment the LGDT test defines */
#define SEG_LDT    8    /* minios's LDT, for the holes suite's SLDT check */
#define NSEGS      9
#define SEL(idx, rpl) ((u16)(((idx) << 3) | (rpl)))
#define SEL_RPL(sel)  ((u32)(sel) & 3)
#define DPL_USER   3
#define NLDT       1    /* entries in minios's LDT */

/* Descriptor type values (S=1 code/data, S=0 system) */
#define STA_X      0x8
#define STA_W      0x2
#define STA_R      0x2
#define STS_LDT    0x2  /* local descriptor table */
#define STS_T32A   0x9  /* available 32-bit TSS */
#define STS_T32B   0xB  /* busy 32-bit TSS: set by LTR */
#define STS_IG32   0xE  /* 32-bit interrupt gate: clears IF */
#define STS_TG32   0xF  /* 32-bit trap gate: leaves IF alone */

struct segdesc {
	u32 lo;
	u32 hi;
};

/* DPL of a descriptor's high dword; also of a LAR result, which is that
 * dword masked to its access-rights bits (8-23). */
#define DESC_DPL(hi)  (((u32)(hi) >> 13) & 3)

struct gatedesc {
	u16 off_lo;
	u16 sel;
	u8 zero;
	u8 type_attr;   /* P | DPL<<5 | type */
	u16 off_hi;
};

/* 32-bit task-state segment: the CPU reads esp0/ss0 on a ring 3 -> 0 trap */
struct taskstate {
	u32 link, esp0;
	u16 ss0, pad0;
	u32 esp1;
	u16 ss1, pad1;
	u32 esp2;
	u16 ss2, pad2;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u16 es, p3, cs, p4, ss, p5, ds, p6, fs, p7, gs, p8, ldt, p9;
	u16 trap, iomb;
};

typedef u32 pte_t;
typedef u32 pde_t;

#endif
