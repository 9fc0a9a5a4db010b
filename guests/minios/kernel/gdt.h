/*
 * gdt.h - segment descriptors and the task-state segment.
 */
#ifndef MINIOS_GDT_H
#define MINIOS_GDT_H

#include "mmu.h"

extern struct segdesc gdt[NSEGS];
extern struct segdesc ldt[NLDT];
extern struct taskstate tss, tss2;

void gdt_init(void);
void gdt_load(struct segdesc *table, u32 nsegs);   /* LGDT + reload segments */
struct segdesc seg_make(u32 base, u32 limit, int type, int dpl, int sys);
u32 seg_type(const struct segdesc *d);
void tss_set_kstack(u32 esp0);

#endif
