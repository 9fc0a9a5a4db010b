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

#endif
