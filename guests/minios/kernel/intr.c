/*
 * intr.c - interrupt enable/disable without ever reading EFLAGS (see intr.h).
 * Trap entry and exit (trap.c) keep intr_on equal to the IF of the context
 * that is running: an interrupt gate clears it, IRET restores the frame's.
 */
#include "intr.h"
#include "x86.h"

volatile int intr_on;

void intr_disable(void)
{
	cli();
	intr_on = 0;
}

void intr_enable(void)
{
	intr_on = 1;
	sti();
}

int intr_save(void)
{
	int s = intr_on;
	intr_disable();
	return s;
}

void intr_restore(int saved)
{
	if (saved)
		intr_enable();
}
