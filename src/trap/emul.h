/*
 * emul.h - emulation of the instructions a guest kernel in ring 1 cannot
 * execute itself.
 */
#ifndef TRAP_EMUL_H
#define TRAP_EMUL_H

#include "trap/decode.h"
#include "monitor/vcpu.h"

enum emul_result {
	EMUL_NEXT,      /* done: the dispatcher advances EIP past it */
	EMUL_JUMPED,    /* done, and the handler set EIP (INT n, IRET, RETF) */
	EMUL_FAULTED,   /* the handler injected the fault the CPU would raise */
	EMUL_REFUSED,   /* not an instruction the monitor emulates */
};

/* Emulate in, decoded at the guest kernel's EIP after it raised #GP. */
enum emul_result emulate(struct vcpu *v, const struct insn *in);

/* INT n / INT3 / INTO from either guest ring (the real gates are DPL 0). */
enum emul_result emul_soft_int(struct vcpu *v, const struct insn *in);

/* CR4 bits the guest may set: those the real CPU has and the monitor
 * virtualizes (set by the monitor at start from CPUID). */
extern uint32_t cr4_guest_mask;

#endif
