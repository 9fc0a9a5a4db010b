/*
 * intr.h - minios's software copy of the interrupt-enable flag.
 *
 * Mechanism: EFLAGS.IF gates maskable interrupts; CLI/STI change it.  A
 * kernel usually saves and restores it with PUSHF/POPF, but those are
 * sensitive and unprivileged: in ring 1 under a monitor PUSHF shows the
 * real IF and POPF silently ignores IF.  So minios never reads IF back: it
 * keeps intr_on in memory, changes it only next to CLI/STI, and restores
 * with STI (DESIGN.md section 8).  Correct on bare hardware too.
 */
#ifndef MINIOS_INTR_H
#define MINIOS_INTR_H

extern volatile int intr_on;

void intr_disable(void);
void intr_enable(void);
int intr_save(void);            /* disable; return the previous state */
void intr_restore(int saved);

#endif
