/*
 * trigger.h - when a fault is due: the counting triggers, decided from the
 * counters the vCPU keeps anyway (struct vcpu_stats) and virtual time.
 *
 * The monitor already counts every trap by vector, every emulated
 * instruction by kind, every shadow event and every virtual interrupt it
 * delivers (the exit table).  A trigger "the Nth X" is due at the first trap
 * boundary where X's counter has reached N, so the trap path needs no
 * counting of its own for faults.  The EIP trigger counts debug-register
 * hits instead (debugreg.c).  Pure: tested on the host.
 */
#ifndef FAULT_TRIGGER_H
#define FAULT_TRIGGER_H

#include <stdbool.h>
#include <stdint.h>
#include "spec.h"
#include "monitor/vcpu.h"

/* The counter trigger s counts, as it stands in st (0 for TG_EIP/TG_TIME). */
uint32_t trigger_count_now(const struct fault_spec *s, const struct vcpu_stats *st);

/* Is s due: its counter reached trig_count, or now_us reached trig_us?
 * TG_EIP is never due here (debugreg.c decides). */
bool trigger_due(const struct fault_spec *s, const struct vcpu_stats *st, uint64_t now_us);

/* PIT ticks (1193182 Hz) to microseconds of virtual time. */
uint64_t trigger_ticks_to_us(uint64_t pit_ticks);

#endif
