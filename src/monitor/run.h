/*
 * run.h - the guest's run: start, idle, end (see run.c).
 */
#ifndef MON_RUN_H
#define MON_RUN_H

#include <stdint.h>
#include "vcpu.h"
#include "options.h"

extern struct mon_options mon_opts;

/* Emulated HLT: idle the real CPU until a virtual interrupt is due. */
void vcpu_halt(struct vcpu *v);
/* The guest asked to end the run (debug-exit port). */
void run_end(uint32_t code) __attribute__((noreturn));
/* The host's console asked for the end (devices.c, CONSOLE_ESCAPE). */
void run_stop_from_console(void) __attribute__((noreturn));
/* input=modN: the script's last line typed and the guest prompted again. */
void run_end_script(unsigned lines) __attribute__((noreturn));
/* Start the guest at entry with EAX=magic, EBX=info (paging off). */
void run_guest(uint32_t entry, uint32_t eax, uint32_t ebx) __attribute__((noreturn));
/* The long-IF-clear checks (DESIGN.md 8, ifwatch=) on a tick or NMI. */
void watch_vif(struct vcpu *v, uint64_t now);
/* A watchdog NMI arrived while the guest ran (run.c). */
void watchdog_nmi(struct vcpu *v);

#endif
