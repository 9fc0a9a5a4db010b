/*
 * vcpu.c - the guest's general registers in the decoder's numbering.
 *
 * ModRM and SIB name registers 0-7 as EAX, ECX, EDX, EBX, ESP, EBP, ESI,
 * EDI; the trap frame holds them in PUSHAD order.  These map one onto the
 * other.  Pure: also linked into the host unit tests.
 */
#include "vcpu.h"

#include <stddef.h>

#define TF_OFF(r) ((uint8_t)offsetof(struct trapframe, r))

/* Where register n lives in the frame: a table, not a switch, since the
 * decoder names a register on every emulated memory operand. */
static const uint8_t gpr_off[GPR_COUNT] = {
	TF_OFF(eax), TF_OFF(ecx), TF_OFF(edx), TF_OFF(ebx),
	TF_OFF(esp), TF_OFF(ebp), TF_OFF(esi), TF_OFF(edi),
};

uint32_t *vcpu_gpr(struct vcpu *v, unsigned n)
{
	return (uint32_t *)((uint8_t *)&v->tf + gpr_off[n & 7]);
}

void vcpu_gprs(struct vcpu *v, uint32_t regs[GPR_COUNT])
{
	regs[0] = v->tf.eax;
	regs[1] = v->tf.ecx;
	regs[2] = v->tf.edx;
	regs[3] = v->tf.ebx;
	regs[4] = v->tf.esp;
	regs[5] = v->tf.ebp;
	regs[6] = v->tf.esi;
	regs[7] = v->tf.edi;
}
