/*
 * run.c - the guest's run: its first instruction, its idle time, its end.
 *
 * The guest starts as a multiboot loader leaves a kernel: 32-bit protected
 * mode, paging off, flat code and data segments (here the switcher's boot
 * descriptors 0x08 and 0x10, at DPL 1), EAX = 0x2BADB002, EBX = the info
 * block, virtual IF clear.  From then on the monitor only runs when the
 * guest traps (src/trap/trap.c).
 *
 * A run ends in one of four ways, each with one line on the monitor's log
 * and the exit table: the guest writes the debug-exit port (run_end: its
 * code becomes the run's), the monitor ends a guest that did something it
 * cannot allow or support (guest_die: MON_EXIT_GUEST_DIED), the user ends
 * it from the host's console (run_stop_from_console: MON_EXIT_CONSOLE), or
 * the monitor finds a bug in itself (mon_panic).
 */
#include "run.h"
#include "devices.h"
#include "hosthw.h"
#include "monitor.h"
#include "stats.h"
#include "loader.h"
#include "memory.h"
#include "x86.h"
#include "trap/guest.h"
#include "trap/emul.h"
#include "monitor/debugreg.h"
#include "trap/trap.h"
#include "trap/vidt.h"
#include "trap/switcher.h"
#include "shadow_mmu/shadow.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "fault/fault.h"

#include <stdarg.h>

#define BOOT_CS 0x09u           /* switcher GDT entry 1, RPL 1 */
#define BOOT_DS 0x11u           /* entry 2 */
#define IF_CLEAR_WARN_TICKS HOST_PIT_HZ         /* one second */

void run_guest(uint32_t entry, uint32_t eax, uint32_t ebx)
{
	struct vcpu *v = &vcpu0;

	memset(v, 0, sizeof *v);
	v->tf.eip = entry;
	v->tf.cs = BOOT_CS;
	v->tf.ss = v->tf.ds = v->tf.es = v->tf.fs = v->tf.gs = BOOT_DS;
	v->tf.eax = eax;
	v->tf.ebx = ebx;
	v->tf.esp = GUEST_BOOT_ESP;
	v->tf.eflags = FL_IF | FL_RESERVED1;    /* the real IF; the virtual one is 0 */
	v->cr0 = CR0_PE | CR0_ET;
	v->dr[6] = DR6_FIXED1;          /* DR6 and DR7 as after reset */
	v->dr[7] = DR7_FIXED1;
	vdesc_reset(v);
	vidt_reset(v);
	emul_msr_reset(v);
	host_guest_cr_sync(v);
	shadow_init(host_pa(sw_pt_guest) | PTE_P | PTE_W);
	switcher_set_invlpg_free(!shadow_invlpg_needed());
	dr_guest_load(v->dr);
	*sw_frame = v->tf;
	guest_frame_to_cpu(sw_frame);
	sw_priv->guest_cr3 = shadow_root();
	sw_priv->dr7_monitor = dr7_monitor();
	sw_priv->dr7_guest = dr7_guest();
	mon_log("starting the guest at 0x%x in ring %u", entry, mon_opts.ring);
	switcher_run();
}

/* Idles until a virtual interrupt is due.  emul_hlt lets the guest halt
 * only if some source can still interrupt it (devices_can_interrupt), and
 * nothing the guest controls changes while it halts: the wait ends at the
 * virtual PIT's next edge (at most 65536 PIT ticks away), or, for a guest
 * that only unmasked its UART, when its user types (a shell may wait for
 * that as long as it likes; the monitor itself is idle, not busy). */
void vcpu_halt(struct vcpu *v)
{
	v->stats.halts++;
	/* bound: the virtual interrupt devices_can_interrupt() promised (the PIT's next
	 * edge, at most 65536 PIT ticks away, or a byte the user types); each turn is
	 * one host tick, the monitor idle in between */
	for (;;) {
		if (fault_armed)
			fault_idle(v);
		devices_sync(v);
		if (devices_irq_pending() >= 0)
			return;
		host_idle();
	}
}

/* On every host tick (devices_sync) and every watchdog NMI: a guest whose
 * virtual IF has been clear for ifwatch= seconds of virtual time is ended,
 * whichever iflag= (a hung guest is reported, not left spinning); one that
 * has kept it clear for a second with an IRQ waiting is warned about once. */
void watch_vif(struct vcpu *v, uint64_t now)
{
	if (v->vif)
		return;
	if (now - v->vif_clear_since >= (uint64_t)mon_opts.ifwatch_s * HOST_PIT_HZ)
		guest_die("interrupts disabled for over %u s of virtual time at eip 0x%x: the guest "
			  "spins with IF clear (ifwatch=%u)", mon_opts.ifwatch_s, v->tf.eip,
			  mon_opts.ifwatch_s);
	if (v->warned_if || now - v->vif_clear_since < IF_CLEAR_WARN_TICKS)
		return;
	if (devices_irq_pending() < 0)
		return;
	v->warned_if = true;
	mon_log("warning: the guest has kept interrupts disabled for over a second with an "
		"IRQ pending (eip 0x%x): likely an IRET or POPF that could not set IF in ring 1 "
		"(see docs/x86-holes.md)", v->tf.eip);
}

/* iflag=real: the real IF is the virtual one, so a guest spinning with
 * interrupts disabled shuts out the real PIT; the NMI watchdog
 * (host_nmi_watchdog_init) still gets here every HOST_NMI_MS. */
void watchdog_nmi(struct vcpu *v)
{
	watch_vif(v, host_pit_now());
}

void run_end(uint32_t code)
{
	mon_log("guest exited with code %u (0x%x)", code, code);
	stats_print(&vcpu0);
	mon_exit(code);
}

/* A guest that never exits by itself (xv6) is ended from the host's
 * console: the run stops where the guest is, with the exit table, and
 * with an exit code that no guest gives. */
void run_stop_from_console(void)
{
	mon_log("run ended from the console (Ctrl-])");
	stats_print(&vcpu0);
	mon_exit(MON_EXIT_CONSOLE);
}

void run_end_script(unsigned lines)
{
	mon_log("run ended: the console script (input=mod%u) is done: %u lines typed",
		mon_opts.input_mod, lines);
	stats_print(&vcpu0);
	mon_exit(MON_EXIT_CONSOLE);
}

void guest_die(const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	mon_log("guest ended: %s", why);
	stats_print(&vcpu0);
	mon_exit(MON_EXIT_GUEST_DIED);
}
