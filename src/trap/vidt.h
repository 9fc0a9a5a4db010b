/*
 * vidt.h - direct system-call gates (vidt.c): the guest's DPL-3 trap gates
 * as real IDT gates into its kernel in ring 1.
 */
#ifndef TRAP_VIDT_H
#define TRAP_VIDT_H

#include "monitor/vcpu.h"

void vidt_reset(struct vcpu *v);
/* The guest loaded its IDTR (after v->idtr is set) or its TR. */
void vidt_lidt(struct vcpu *v);
void vidt_ltr(struct vcpu *v);
/* Before a resume: the real IDT's direct gates and the real TSS's SS1:ESP1
 * as the guest's tables say now (or no direct gate at all). */
void vidt_sync(struct vcpu *v);

/* The guest-virtual address of its TSS.ESP0, if the monitor follows it in
 * memory (the TSS watch is whole) and guest frame gpa's is watched for
 * nothing else; else 0.  Then a store there needs nothing from the
 * monitor but the real TSS.ESP1 set to it (the switcher's fast path,
 * fastesp0.c). */
uint32_t vidt_esp0_va(const struct vcpu *v, uint32_t gpa);
/* The fast path stored ESP0, on frame gpa's: as a write inside the watch. */
void vidt_esp0_stored(uint32_t gpa);

#endif
