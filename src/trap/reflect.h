/*
 * reflect.h - deliver an exception or interrupt to the guest through its
 * own IDT, as the CPU would have.
 */
#ifndef TRAP_REFLECT_H
#define TRAP_REFLECT_H

#include <stdint.h>
#include "monitor/vcpu.h"

enum event_kind {
	EV_FAULT,       /* exception: eip stays at the instruction (or is past
			   it for traps), with or without an error code */
	EV_SOFT,        /* INT n, INT3, INTO: the gate's DPL is checked */
	EV_EXTINT,      /* a virtual IRQ from the virtual PIC */
};

/* Does vector push an error code (as an exception)? */
int vector_has_err(unsigned vector);

/* Deliver vector to the guest.  tf.eip must already be the address the
 * guest's handler should return to.  A fault while delivering is itself
 * delivered (#PF, #GP, #NP, then #DF); a fault while delivering #DF ends
 * the guest (triple fault).  For #PF, cr2 is set first by the caller. */
void reflect(struct vcpu *v, unsigned vector, enum event_kind kind, uint32_t err);

/* INT n (len bytes long) at tf.eip: delivered with EIP after it, or the
 * fault it raises (gate DPL, not present...) with EIP at it. */
void reflect_soft(struct vcpu *v, unsigned vector, uint32_t len);

/* Inject a #PF for a guest-virtual access that faulted. */
void reflect_pf(struct vcpu *v, uint32_t va, uint32_t err);

#endif
