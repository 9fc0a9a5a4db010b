/*
 * hosthw.h - the real machine's PIC, PIT and COM1, which the monitor owns.
 */
#ifndef MON_HOSTHW_H
#define MON_HOSTHW_H

#include <stdbool.h>
#include <stdint.h>

#define HOST_PIT_HZ      1193182u
#define HOST_PIT_PERIOD  1193u          /* real timer IRQ about every 1 ms */

#define HOST_NMI_MS      10u            /* NMI watchdog period */

void host_hw_init(void);
/* host_pit_now() of the moment the TSC read tsc. */
uint64_t host_tsc_to_pit(uint64_t tsc);
/* A TSC value before which host_tsc_to_pit() stays below pit: a cheap
 * first test against a deadline in PIT ticks (it may come a little
 * early, never late; UINT64_MAX for a pit no TSC reaches). */
uint64_t host_pit_to_tsc_floor(uint64_t pit);
/* Start the real local APIC's timer delivering an NMI every HOST_NMI_MS;
 * false if this CPU has no APIC (or its timer does not count). */
bool host_nmi_watchdog_init(void);
/* PIT ticks (1193182 Hz) since host_hw_init, from the calibrated TSC;
 * never goes back, never stands still. */
uint64_t host_pit_now(void);
/* A real IRQ n arrived (the switcher's vectors HOST_IRQ_BASE + n). */
void host_irq(unsigned n);
/* Did a real timer IRQ arrive since the last call?  (Then slow things
 * that need not run on every trap run: polling COM1.) */
bool host_tick_seen(void);
/* Sleep the real CPU until the next real interrupt. */
void host_idle(void);
/* Give the real CR0 and CR4 the guest's bits that only matter to code
 * outside ring 0 or to the x87/SSE unit, which the monitor never uses:
 * CR0.MP, EM, TS, NE, AM (so x87 and WAIT raise #NM as the guest set up)
 * and CR4.TSD (also forced while the guest's TSC is offset), PCE, OSFXSR,
 * OSXMMEXCPT.  CR0.PG/WP/PE and CR4.PSE stay the monitor's. */
struct vcpu;
void host_guest_cr_sync(const struct vcpu *v);
void host_com1_putc(uint8_t c);
bool host_com1_getc(uint8_t *c);

#endif
