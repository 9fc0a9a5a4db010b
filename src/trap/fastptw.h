/*
 * fastptw.h - the switcher's fast path for the guest kernel's stores to
 * its page tables (fastptw.c, entry.asm sw_fast_pf).
 */
#ifndef TRAP_FASTPTW_H
#define TRAP_FASTPTW_H

#include "guest.h"
#include "switcher.h"
#include "monitor/debugreg.h"
#include "monitor/vcpu.h"
#include "fault/fault.h"

/* Empty tables: no site armed (switcher_init). */
void fastptw_init(void);

/* C just emulated in (EIP not yet advanced), a write at va (guest-physical
 * gpa) to a page table the shadow protects: if the stub can repeat that
 * store, arm it for the instruction and the frame. */
void fastptw_arm(struct vcpu *v, const struct insn *in, uint32_t va, uint32_t gpa);

extern bool fastptw_armed;
extern uint32_t fastptw_seen;
/* What the sites were armed under: the descriptors' generation (DS and CS
 * flat) and the guest's DR7 (no breakpoint enabled); the rest of what
 * fastptw.c allows is fixed for the run, but fault_armed. */
extern struct fastptw_basis { uint32_t generation, dr7; } fastptw_basis;
void fastptw_collect(struct vcpu *v);
void fastptw_disarm(void);

/* At entry: count the stores the stub did since the last exit (before any
 * shadow call: they changed shadow entries). */
static inline void fastptw_enter(struct vcpu *v)
{
	if (sw_priv->ptw_count != fastptw_seen)
		fastptw_collect(v);
}

/* At exit: disarm if what the sites were armed under changed (the
 * frames follow the shadow as it changes: frame_changed in fastptw.c). */
static inline void fastptw_leave(void)
{
	if (fastptw_armed && (fastptw_basis.generation != vdesc_generation ||
			      fastptw_basis.dr7 != dr7_guest() || fault_armed))
		fastptw_disarm();
}

#ifdef MON_HOST_TEST
/* What sw_fast_pf does with a #PF it may take as an armed page-table
 * store, in C, for the host harnesses' simulated CPU: f the frame the CPU
 * pushed (DS the one loaded), cr2, root the real CR3, code the 8 bytes at
 * linear EIP.  True if it completed the store (f moved past it). */
bool fastptw_stub(struct trapframe *f, uint32_t cr2, uint32_t root, const uint8_t code[8]);
#endif

#endif
