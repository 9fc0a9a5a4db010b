/*
 * trigger.c - the counting triggers (see trigger.h).
 */
#include "trigger.h"

#define PIT_HZ 1193182ull
#define US_PER_S 1000000ull

uint32_t trigger_count_now(const struct fault_spec *s, const struct vcpu_stats *st)
{
	switch (s->trig) {
	case TG_TRAP:
		return s->trig_what < 256 ? st->traps[s->trig_what] : 0;
	case TG_EMUL:
		return s->trig_what < INSN_KIND_COUNT ? st->emul[s->trig_what] : 0;
	case TG_SHADOW:
		switch (s->trig_what) {
		case SEV_FILL: return st->hidden_pf;
		case SEV_FLUSH: return st->shadow_flushes;
		case SEV_INVLPG: return st->shadow_invlpgs;
		case SEV_PTWRITE: return st->pt_writes;
		default: return 0;
		}
	case TG_IRQ:
		return st->ext_ints;
	default:
		return 0;
	}
}

bool trigger_due(const struct fault_spec *s, const struct vcpu_stats *st, uint64_t now_us)
{
	switch (s->trig) {
	case TG_NONE:
	case TG_EIP:
		return false;
	case TG_TIME:
		return now_us >= s->trig_us;
	default:
		return trigger_count_now(s, st) >= s->trig_count;
	}
}

uint64_t trigger_ticks_to_us(uint64_t pit_ticks)
{
	return pit_ticks * US_PER_S / PIT_HZ;
}
