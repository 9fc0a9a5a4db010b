/*
 * stats.h - counters per exit reason, the exit table, and trace= lines.
 */
#ifndef MON_STATS_H
#define MON_STATS_H

#include <stdint.h>
#include "vcpu.h"
#include "fault/fault.h"

#include <stdbool.h>

/* Counted inline: it is on the path of every emulated instruction. */
static inline void stats_emulated(struct vcpu *v, const struct insn *in)
{
	v->stats.emul[in->kind]++;
	v->stats.emul_name[in->kind] = in->mnem;
	if (fault_armed)
		fault_emulated(v, in);
}

void stats_refused(struct vcpu *v, const struct insn *in);
void stats_print(const struct vcpu *v);

/* trace=traps: one line per trap, assembled while it is handled.  Each
 * call is an inline test of trace_traps_on when tracing is off, so a trap
 * pays nothing for it (trace_begin sets it from mon_opts.trace). */
extern bool trace_traps_on;             /* set once from trace= (main.c) */
void trace_begin_line(const struct vcpu *v);
void trace_insn_line(const struct vcpu *v, const struct insn *in);
void trace_action_line(const char *what);
void trace_pf_line(uint32_t va, const char *what);
void trace_end_line(void);

static inline void trace_begin(const struct vcpu *v)
{
	if (trace_traps_on)
		trace_begin_line(v);
}

static inline void trace_insn(const struct vcpu *v, const struct insn *in)
{
	if (trace_traps_on)
		trace_insn_line(v, in);
}

static inline void trace_action(const char *what)
{
	if (trace_traps_on)
		trace_action_line(what);
}

static inline void trace_pf(uint32_t va, const char *what)
{
	if (trace_traps_on)
		trace_pf_line(va, what);
}

static inline void trace_end(const struct vcpu *v)
{
	(void)v;
	if (trace_traps_on)
		trace_end_line();
}

#endif
