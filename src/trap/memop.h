/*
 * memop.h - the backend of an emulated memory operand (memop.c): guest
 * memory for page-table writes, a device model for MMIO.
 */
#ifndef TRAP_MEMOP_H
#define TRAP_MEMOP_H

#include "emul.h"

struct memop_ops {
	/* Read or write n bytes (1, 2, 4 or 8) at linear address addr:
	 * EMUL_NEXT, or the fault injected (EMUL_FAULTED). */
	enum emul_result (*read)(struct vcpu *v, void *ctx, uint32_t addr, void *buf,
				 unsigned n);
	enum emul_result (*write)(struct vcpu *v, void *ctx, uint32_t addr, const void *buf,
				  unsigned n);
	void *ctx;
};

/* Emulate in, whose memory operand goes through m: every read and write
 * form of memop.c's table but the string instructions.  EMUL_NEXT (the
 * caller advances EIP), EMUL_FAULTED, or EMUL_REFUSED with nothing done. */
enum emul_result emul_memop(struct vcpu *v, const struct insn *in, const struct memop_ops *m);

#endif
