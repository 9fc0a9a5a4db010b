/*
 * sec_irq.c - the interrupt flag as a kernel lives with it: timer
 * interrupts through interrupt and trap gates, IRET restoring IF, CLI/STI,
 * HLT, interrupts arriving in ring 3.
 *
 * Mechanism: the PIT raises IRQ 0 every PIT_PERIOD ticks; the PIC passes
 * it to the CPU as vector IRQ_BASE when it is unmasked, and the CPU takes
 * it when EFLAGS.IF is set.  An interrupt gate clears IF on entry, a trap
 * gate does not; IRET restores IF from the frame (at CPL 0, or at any CPL
 * <= IOPL).  PUSHF shows IF, POPF at CPL 0 sets it.  Counting the ticks
 * that arrive while the guest polls the PIT (port I/O, so it works with IF
 * clear) shows whether IF was really set: the lines give a verdict (none,
 * one, two, many), never the count, which depends on timing.
 */
#include "conform.h"
#include "lib/fmt.h"

#define WAIT_PERIODS   12     /* at most; the wait ends at ENOUGH_TICKS */
#define ENOUGH_TICKS   3
#define USER_SPIN_PERIODS 30   /* the ring-3 spin's bound, in timer periods */
#define USER_TICKS     2

static volatile u32 ticks;
static volatile u32 irq_eflags, irq_cs;
static volatile bool irq_no_eoi;
static volatile u32 probe_flags;

static const char *verdict(u32 n)
{
	static const char *const words[] = { "none", "one", "two" };
	return n < 3 ? words[n] : "many";
}

static void irq_hook(struct frame *f)
{
	if (f->vector == IRQ_BASE) {
		ticks++;
		irq_eflags = f->eflags;
		irq_cs = f->cs;
		if (!irq_no_eoi)
			pic_eoi(0);
		return;
	}
	if (f->vector == V_TRAP_GATE || f->vector == V_KERNEL_GATE) {
		cli();          /* a handler's critical section; IRET must undo it */
		return;
	}
	if (f->vector == V_PROBE) {
		probe_flags = f->eflags;
		return;
	}
	trap_default(f);
}

static void timer_on(void)
{
	pit_start();
	ticks = 0;
	irq_no_eoi = false;
	exc_hook = irq_hook;
	outb(0x21, 0xFE);
}

static void timer_off(void)
{
	cli();
	pic_mask_all();
	exc_hook = 0;
}

/* Ticks that arrive while the guest polls the PIT: up to WAIT_PERIODS
 * periods, or until ENOUGH_TICKS have come ("many").  The early end keeps
 * the verdict the same on a loaded host, where QEMU may deliver a timer
 * interrupt late while the PIT's count (read from the clock) goes on. */
static u32 ticks_while_waiting(void)
{
	u32 before = ticks;
	for (unsigned p = 0; p < WAIT_PERIODS && ticks - before < ENOUGH_TICKS; p++)
		pit_wait_periods(1);
	return ticks - before;
}

static void check_gate_kinds(void)
{
	timer_on();
	sti();
	u32 n = ticks_while_waiting();
	timer_off();
	report("irq.intgate.ticks", "%s", verdict(n));
	report("irq.frame.if", "%u", !!(irq_eflags & FL_IF));
	report("irq.frame.cs", "0x%04x", irq_cs & ~SEL_RPL_MASK);
	report("irq.frame.cs.rpl", "%u", irq_cs & SEL_RPL_MASK);

	idt[IRQ_BASE].hi = (idt[IRQ_BASE].hi & ~(0xFu << DESC_TYPE_SHIFT)) |
			   SYS_TRAP32 << DESC_TYPE_SHIFT;
	timer_on();
	sti();
	n = ticks_while_waiting();
	timer_off();
	report("irq.trapgate.ticks", "%s", verdict(n));
}

/* A handler that runs CLI and returns with IRET: IF comes back from the
 * frame, at once, without an STI. */
static void check_iret_restores_if(void)
{
	timer_on();
	outb(0x21, 0xFF);
	sti();
	__asm__ volatile("int $0x84" ::: "memory");     /* trap gate, handler does CLI */
	outb(0x21, 0xFE);
	u32 n = ticks_while_waiting();
	report("irq.trapgate_cli.iret.ticks", "%s", verdict(n));
	outb(0x21, 0xFF);
	sti();
	__asm__ volatile("int $0x82" ::: "memory");     /* interrupt gate */
	outb(0x21, 0xFE);
	n = ticks_while_waiting();
	report("irq.intgate.iret.ticks", "%s", verdict(n));
	timer_off();
}

static void check_cli_sti(void)
{
	timer_on();
	cli();
	u32 n = ticks_while_waiting();
	report("irq.cli.ticks", "%s", verdict(n));
	u32 at_sti = ticks;
	(void)n;
	sti();
	__asm__ volatile("nop");
	cli();
	report("irq.sti.pending", "%s", verdict(ticks - at_sti));
	u32 before = ticks;
	sti();
	__asm__ volatile("hlt");
	cli();
	report("irq.sti_hlt", "%s", ticks > before ? "woke" : "no-tick");
	timer_off();
}

static void check_no_eoi(void)
{
	timer_on();
	irq_no_eoi = true;
	sti();
	u32 n = ticks_while_waiting();
	cli();
	report("irq.no_eoi.ticks", "%s", verdict(n));
	irq_no_eoi = false;
	pic_eoi(0);
	sti();
	n = ticks_while_waiting();
	report("irq.after_eoi.ticks", "%s", verdict(n));
	timer_off();
}

/* Ring 3 with IF set: the timer interrupts user code.  The spin is bounded
 * by time (the TSC, USER_SPIN_PERIODS timer periods measured against the
 * PIT just before), not by a count of iterations: on a loaded host QEMU
 * may run the spin fast while its timer thread waits, and a count that
 * takes 20 ms idle then ends before the second tick arrives. */
static volatile u64 user_spin_tsc;

static void user_spin(void)
{
	u64 end = rdtsc() + user_spin_tsc;
	while (ticks < USER_TICKS && rdtsc() < end)
		__asm__ volatile("" ::: "memory");
}

/* TSC cycles in USER_SPIN_PERIODS periods of the running PIT. */
static u64 spin_budget(void)
{
	u64 t0 = rdtsc();
	pit_wait_periods(1);
	return (rdtsc() - t0) * USER_SPIN_PERIODS;
}

static void check_ring3(void)
{
	timer_on();
	user_spin_tsc = spin_budget();
	run_user(user_spin, FL_IF);
	u32 n = ticks;
	timer_off();
	report("irq.ring3.if1", "%s", n >= USER_TICKS ? "ticks" : verdict(n));
	report("irq.ring3.frame.cs", "0x%04x", irq_cs & 0xFFFF);
	timer_on();
	user_spin_tsc = spin_budget();
	ticks = 0;
	run_user(user_spin, 0);
	n = ticks;
	timer_off();
	report("irq.ring3.if0", "%s", n >= USER_TICKS ? "ticks" : verdict(n));
}

/* ---- the interrupt flag as PUSHF and POPF see it ---- */

static void check_pushf_popf(void)
{
	cli();
	report("irq.pushf.after_cli", "%u", !!(read_eflags() & FL_IF));
	sti();
	report("irq.pushf.after_sti", "%u", !!(read_eflags() & FL_IF));
	cli();
	timer_on();
	cli();
	write_eflags(read_eflags() | FL_IF);
	u32 n = ticks_while_waiting();
	cli();
	report("irq.popf.set_if.ticks", "%s", verdict(n));
	sti();
	write_eflags(read_eflags() & ~FL_IF);
	n = ticks_while_waiting();
	cli();
	report("irq.popf.clear_if.ticks", "%s", verdict(n));
	timer_off();
}

static const struct check checks[] = {
	{ "irq.gate_kinds", check_gate_kinds },
	{ "irq.iret_restores_if", check_iret_restores_if },
	{ "irq.cli_sti", check_cli_sti },
	{ "irq.no_eoi", check_no_eoi },
	{ "irq.ring3", check_ring3 },
	{ "irq.pushf_popf", check_pushf_popf },
};

SECTION(sec_irq, "irq", "timer interrupts, interrupt vs trap gates, IF through IRET", checks);
