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

/* The exceptions for which the CPU pushes an error code: #DF, #TS, #NP,
 * #SS, #GP, #PF, #AC, #CP, #VC, #SX.  The only list of them: entry.asm
 * reads it through asm_offsets.inc to build its stubs. */
#define EXC_ERR_MASK ((1u << 8) | (0x1Fu << 10) | (1u << 17) | (1u << 21) | \
		      (1u << 29) | (1u << 30))

/* Does vector push an error code (as an exception)? */
static inline int vector_has_err(unsigned vector)
{
	return vector < 32 && ((EXC_ERR_MASK >> vector) & 1u);
}

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

/* A fault the CPU raises on its way somewhere: vector, error code, and
 * for #PF the address (CR2). */
struct guest_fault {
	unsigned vector;
	uint32_t err;
	uint32_t cr2;
};

/* The SS:ESP for (real, ring-compressed) ring `ring` in the guest's TSS,
 * SS ring-compressed (ss0:esp0 for ring 1, its kernel's): what the CPU
 * switches to for a gate into a more privileged ring.  0, or -1 and the
 * fault reading it raises in *f: #TS(TR) if the TSS is too short, #PF. */
int tss_inner_stack(struct vcpu *v, unsigned ring, uint32_t *ss, uint32_t *esp,
		    struct guest_fault *f);

#endif
