/*
 * fault.h - fault injection: the monitor's hooks into src/fault/.
 *
 * Fault injection is a user of the monitor, not a part of its trap path
 * (DESIGN.md section 9): the trap path calls in at one point per kind of
 * event, and only when fault_armed is set (a fault=, or a watchdog=, was
 * given), so a run without them pays one test of a global per hook.
 *
 *   hook                     called from                 for
 *   fault_init               main.c, before the guest     log what is armed, DR0
 *   fault_trap               trap.c guest_trap, before    triggers, injection,
 *                            the frame is sanitized       stuck-at, watchdog
 *   fault_debug_trap         trap.c debug_trap (with the  our breakpoints/watches
 *                            DR6 it read)
 *   fault_host_debug         trap.c host_trap             ...hit by the monitor
 *   fault_emulated           stats.c stats_emulated       emul triggers/results
 *   fault_port_read          devices.c devices_in         port values
 *   fault_timer_edge         devices.c advance_time       lost/delayed timer
 *                                                        (PIT IRQ 0, LAPIC)
 *   fault_shadow_fault       shadow.c shadow_fault        page-table writes
 *   fault_drop_invlpg        shadow.c shadow_invlpg       dropped invalidation
 *   fault_drop_shadow_update shadow.c shadow_guest_wrote  stale shadow entry
 *   fault_idle               run.c vcpu_halt              watchdog, delayed IRQ
 *   fault_report             stats.c stats_print          the result line
 *
 * The log (docs/fault-injection.md reads it): "fault: armed: ...",
 * "fault: injected: ...", "fault: activated: ..." and, when the run ends
 * by the guest's exit or the monitor ending it, one line
 * "fault: result: injected=0|1 activated=yes|no|unknown ...".
 */
#ifndef FAULT_FAULT_H
#define FAULT_FAULT_H

#include <stdbool.h>
#include <stdint.h>
#include "monitor/vcpu.h"
#include "monitor/options.h"

#ifdef MON_HOST_TEST
/* The shadow MMU's host test (test/unit/test_shadow.c) runs without an
 * injector: every hook is off and compiles away. */
#define fault_armed false
static inline void fault_shadow_fault(struct vcpu *v, int r) { (void)v; (void)r; }
static inline bool fault_drop_invlpg(struct vcpu *v, uint32_t va)
{ (void)v; (void)va; return false; }
static inline bool fault_drop_shadow_update(struct vcpu *v, uint32_t g)
{ (void)v; (void)g; return false; }
/* ...and so does the trap path's, for the fuzzers (test/fuzz/). */
static inline void fault_trap(struct vcpu *v) { (void)v; }
static inline bool fault_debug_trap(struct vcpu *v, uint32_t *dr6)
{ (void)v; (void)dr6; return false; }
static inline bool fault_host_debug(struct trapframe *f) { (void)f; return false; }
static inline void fault_emulated(struct vcpu *v, const struct insn *in) { (void)v; (void)in; }
static inline uint32_t fault_port_read(uint16_t port, unsigned size, uint32_t val)
{ (void)port; (void)size; return val; }
static inline bool fault_timer_edge(unsigned timer) { (void)timer; return true; }
static inline void fault_idle(struct vcpu *v) { (void)v; }
static inline void fault_report(const struct vcpu *v) { (void)v; }
#else
extern bool fault_armed;

void fault_init(const struct mon_options *o);
void fault_trap(struct vcpu *v);
bool fault_debug_trap(struct vcpu *v, uint32_t *dr6);
bool fault_host_debug(struct trapframe *f);
void fault_emulated(struct vcpu *v, const struct insn *in);
uint32_t fault_port_read(uint16_t port, unsigned size, uint32_t val);
/* A timer (enum fault_timer) has an interrupt to raise: false if the fault
 * holds it back (lost, or delayed: inject.c raises it later through
 * devices_timer_edge). */
bool fault_timer_edge(unsigned timer);
void fault_shadow_fault(struct vcpu *v, int result);
bool fault_drop_invlpg(struct vcpu *v, uint32_t va);
bool fault_drop_shadow_update(struct vcpu *v, uint32_t gpa);
void fault_idle(struct vcpu *v);
void fault_report(const struct vcpu *v);
#endif

#endif
