/*
 * gdt.c - minios's global descriptor table and TSS.
 *
 * Mechanism: x86 protected mode still routes every memory access through a
 * segment.  minios uses flat 4 GB code and data segments for ring 0 and
 * ring 3 (paging does all the protection), plus a TSS whose ss0:esp0 the CPU
 * loads when a trap arrives from ring 3.  The loader's GDT is not ours to
 * keep (it may be anywhere), so minios loads its own right after boot.
 *
 *   index  selector  what
 *   0      0x00      null
 *   1      0x08      kernel code  DPL 0
 *   2      0x10      kernel data  DPL 0
 *   3      0x1B      user code    DPL 3
 *   4      0x23      user data    DPL 3
 *   5      0x28      TSS (the one in use)
 *   6      0x30      TSS2 (for the LTR test)
 *   7      0x38      test data segment (LGDT test)
 *   8      0x40      LDT (the holes suite loads it; LDTR is otherwise null)
 *
 * The LDT holds one flat kernel data segment, so that it is a real table;
 * nothing but the holes suite's SLDT check ever loads it.
 */
#include "gdt.h"
#include "x86.h"

struct segdesc gdt[NSEGS];
struct segdesc ldt[NLDT];
/* Each TSS on a page of its own (mmu.h PAGE_ALONE): kernel stores to the
 * page are then stores to the TSS, which a monitor can follow cheaply. */
struct taskstate tss PAGE_ALONE, tss2 PAGE_ALONE;

/* limit is in bytes for sys (TSS) descriptors, else 4 KB granular */
struct segdesc seg_make(u32 base, u32 limit, int type, int dpl, int sys)
{
	struct segdesc d;
	u32 g = sys ? 0 : 1;            /* granularity: 4 KB units */
	u32 lim = g ? limit >> 12 : limit;
	u32 s = sys ? 0 : 1;            /* S: code/data, else system */
	u32 db = sys ? 0 : 1;           /* 32-bit segment */

	d.lo = (lim & 0xFFFF) | ((base & 0xFFFF) << 16);
	d.hi = ((base >> 16) & 0xFF) | ((u32)type << 8) | (s << 12) |
	       ((u32)dpl << 13) | (1u << 15) | (lim & 0xF0000) |
	       (db << 22) | (g << 23) | (base & 0xFF000000);
	return d;
}

u32 seg_type(const struct segdesc *d)
{
	return (d->hi >> 8) & 0xF;
}

void gdt_load(struct segdesc *table, u32 nsegs)
{
	struct dtr d = { (u16)(nsegs * sizeof(struct segdesc) - 1), (u32)table };

	lgdt(&d);
	__asm__ volatile(
		"movw %0, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"movw %%ax, %%ss\n\t"
		"ljmp %1, $1f\n"
		"1:"
		: : "i"(SEL(SEG_KDATA, 0)), "i"(SEL(SEG_KCODE, 0)) : "eax", "memory");
}

static void tss_init(struct taskstate *t)
{
	t->ss0 = SEL(SEG_KDATA, 0);
	t->iomb = sizeof(struct taskstate);  /* no I/O bitmap: ring 3 gets no ports */
}

void tss_set_kstack(u32 esp0)
{
	tss.esp0 = esp0;
}

void gdt_init(void)
{
	gdt[SEG_KCODE] = seg_make(0, 0xFFFFFFFF, STA_X | STA_R, 0, 0);
	gdt[SEG_KDATA] = seg_make(0, 0xFFFFFFFF, STA_W, 0, 0);
	gdt[SEG_UCODE] = seg_make(0, 0xFFFFFFFF, STA_X | STA_R, DPL_USER, 0);
	gdt[SEG_UDATA] = seg_make(0, 0xFFFFFFFF, STA_W, DPL_USER, 0);
	tss_init(&tss);
	tss_init(&tss2);
	gdt[SEG_TSS] = seg_make((u32)&tss, sizeof tss - 1, STS_T32A, 0, 1);
	gdt[SEG_TSS2] = seg_make((u32)&tss2, sizeof tss2 - 1, STS_T32A, 0, 1);
	ldt[0] = seg_make(0, 0xFFFFFFFF, STA_W, 0, 0);
	gdt[SEG_LDT] = seg_make((u32)ldt, sizeof ldt - 1, STS_LDT, 0, 1);
	gdt_load(gdt, NSEGS);
	ltr(SEL(SEG_TSS, 0));
}
