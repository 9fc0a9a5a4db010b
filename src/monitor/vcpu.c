/*
 * vcpu.c - the guest's general registers in the decoder's numbering.
 *
 * ModRM and SIB name registers 0-7 as EAX, ECX, EDX, EBX, ESP, EBP, ESI,
 * EDI; the trap frame holds them in PUSHAD order.  These map one onto the
 * other.  Pure: also linked into the host unit tests.
 */
#include "vcpu.h"

uint32_t *vcpu_gpr(struct vcpu *v, unsigned n)
{
	uint32_t *regs[GPR_COUNT] = {
		&v->tf.eax, &v->tf.ecx, &v->tf.edx, &v->tf.ebx,
		&v->tf.esp, &v->tf.ebp, &v->tf.esi, &v->tf.edi,
	};
	return regs[n & 7];
}

void vcpu_gprs(struct vcpu *v, uint32_t regs[GPR_COUNT])
{
	for (unsigned i = 0; i < GPR_COUNT; i++)
		regs[i] = *vcpu_gpr(v, i);
}
