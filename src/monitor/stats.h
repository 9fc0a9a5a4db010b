/*
 * stats.h - counters per exit reason, the exit table, and trace= lines.
 */
#ifndef MON_STATS_H
#define MON_STATS_H

#include <stdint.h>
#include "vcpu.h"

void stats_emulated(struct vcpu *v, const struct insn *in);
void stats_refused(struct vcpu *v, const struct insn *in);
void stats_print(const struct vcpu *v);

/* trace=traps: one line per trap, assembled while it is handled. */
void trace_begin(const struct vcpu *v);
void trace_insn(const struct vcpu *v, const struct insn *in);
void trace_action(const char *what);
void trace_pf(uint32_t va, const char *what);
void trace_end(const struct vcpu *v);

#endif
