/*
 * fastesp0.h - the switcher's fast path for the guest kernel's store to
 * its TSS.ESP0 (fastesp0.c, entry.asm sw_fast_pf).
 */
#ifndef TRAP_FASTESP0_H
#define TRAP_FASTESP0_H

#include "switcher.h"
#include "monitor/vcpu.h"

/* C just emulated in (EIP not yet advanced), a write at va to a watched
 * page: if it is the store to TSS.ESP0 the stub can repeat, arm the stub. */
void fastesp0_arm(struct vcpu *v, const struct insn *in, uint32_t va);
extern bool fastesp0_armed;
extern uint32_t fastesp0_seen;
void fastesp0_collect(struct vcpu *v);
void fastesp0_check(struct vcpu *v);

/* At entry: count the stores the stub did since the last exit. */
static inline void fastesp0_enter(struct vcpu *v)
{
	if (sw_priv->esp0.count != fastesp0_seen)
		fastesp0_collect(v);
}

/* At exit: disarm if anything the stub relies on changed. */
static inline void fastesp0_leave(struct vcpu *v)
{
	if (fastesp0_armed)
		fastesp0_check(v);
}

#endif
