/*
 * monitor.h - how a monitor run ends, and the monitor's log.
 *
 * Three error tiers (DESIGN.md section 5): an architectural fault is
 * injected into the guest (not here: the trap code does that); guest
 * misbehaviour ends the guest with a reason (guest_die); a monitor bug
 * panics (mon_panic).  Refusals of bad input (options, guest image) end the
 * run before the guest starts (mon_refuse).  Each prints exactly one line.
 *
 * Exit codes, written to the debug-exit port (QEMU status 2c+1).  A guest's
 * own exit code passes through unchanged; the monitor's are 0x71 and up so
 * they cannot be mistaken for one of minios's.
 */
#ifndef MON_MONITOR_H
#define MON_MONITOR_H

#include <stdint.h>

#define MON_EXIT_BAD_OPTION 0x71    /* the monitor's command line was refused */
#define MON_EXIT_BAD_GUEST  0x72    /* the guest image was refused */
#define MON_EXIT_GUEST_DIED 0x73    /* the monitor ended a misbehaving guest */
#define MON_EXIT_PANIC      0x74    /* monitor bug */
#define MON_EXIT_HANG       0x75    /* watchdog=: no guest exit in time */
#define MON_EXIT_CONSOLE    0x76    /* the host's console ended the run (Ctrl-]) */

#define PORT_E9_LOG     0xE9        /* QEMU -debugcon, Bochs port_e9_hack */
#define PORT_DEBUG_EXIT 0xF4
#define PORT_BOCHS_SHUTDOWN 0x8900

void mon_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mon_exit(uint32_t code) __attribute__((noreturn));
void mon_refuse(uint32_t code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void mon_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
