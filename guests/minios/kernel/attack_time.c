/*
 * attack_time.c - keeping the monitor busy: long string I/O, a HLT nothing
 * can wake, a loop with interrupts off, an interrupt flood.
 *
 * Mechanism: the monitor runs only when the guest traps, and the real
 * timer is how it takes control back from a guest that never does.  But
 * whatever the monitor emulates, it does with interrupts off, in one go
 * unless it chooses to stop: a REP INS/OUTS of 2^32 elements emulated in
 * one trap would hold the machine for hours.  The CPU lets interrupts in
 * between the iterations of a REP string instruction (EIP stays on it, ECX
 * counts down), so an emulator must do a bounded number per trap and
 * resume.  Each attack below names what bare hardware does and what the
 * monitor does.
 *
 *   rep-outsb       REP OUTSB of 16 MB to an unused port, interrupts on.
 *                   Hardware: completes (about a second under QEMU), a
 *                   timer tick arrives every period meanwhile.  Monitor:
 *                   the same: it completes, and the ticks delivered during
 *                   it keep up with the periods it took (the TSC says how
 *                   many).
 *   rep-insb        REP INSB of 16 MB from an unused port into a 16 MB
 *                   window aliasing one page.  The same.
 *   rep-outsb-stop  REP OUTSB with ECX = 0xFFFFFFFF (from a 256 MB window
 *                   aliasing one page); the timer handler writes 0 into
 *                   the interrupted frame's ECX after 3 ticks.  Hardware:
 *                   stopped by the timer.  Monitor: the same, possible
 *                   only if it lets interrupts in between iterations.
 *   rep-insb-stop   the same with REP INSB into that window.
 *   hlt-masked      IMRs 0xFF, IF set, HLT.  Hardware: sleeps forever (no
 *                   NMI comes).  Monitor: ends the guest with a reason that
 *                   names the masked sources, promptly.
 *   cli-spin        CLI; JMP . in the kernel's own code: after the CLI
 *                   nothing traps again.  Hardware: hangs forever, only an
 *                   NMI gets in.  Monitor (iflag=real, the default): the
 *                   real IF is the guest's, so the real PIT is shut out
 *                   too; the NMI watchdog brings the monitor back every
 *                   10 ms and ends the guest once its IF has been clear
 *                   for ifwatch= seconds (default 5), naming the JMP.
 *   irq-flood       the PIT at its fastest rate (divisor 2) with IRQ 0
 *                   unmasked; the handler counts and masks IRQ 0 once it
 *                   has run FLOOD_MAX times or 2 s have passed.  Hardware:
 *                   the handler runs, the kernel goes on (QEMU's PIT
 *                   cannot make edges that fast: natively only a few dozen
 *                   IRQs arrive in the 2 s).  Monitor: the same; its
 *                   virtual PIT pulses IRQ 0 for every period that passed,
 *                   yet it stays in control throughout.
 */
#include "attack_lib.h"
#include "intr.h"
#include "pic.h"
#include "vm.h"
#include "x86.h"
#include "console.h"

#define UNUSED_PORT     0x2E0u          /* nothing decodes it on a PC */
#define STRING_BYTES    (16u << 20)
#define STRING_SLOTS    (STRING_BYTES / BIGPGSIZE)
#define FOREVER         0xFFFFFFFFu
#define STOP_TICKS      3
#define FLOOD_DIVISOR   2               /* mode 2 needs at least 2 */
#define FLOOD_MAX       20000
#define FLOOD_SECONDS   2
#define PIC_MASK_ALL    0xFFFFu

/* One scratch frame seen through 'slots' 4 MB slots from ATK_WIN. */
static pte_t *scratch_window(u32 slots)
{
	pte_t *pt = page_alloc();
	void *frame = page_alloc();
	if (!pt || !frame)
		panic("attack: no memory for the window");
	for (int i = 0; i < NPTENTRIES; i++)
		pt[i] = V2P(frame) | PTE_P | PTE_W;
	alias_window(pt, slots);
	return pt;
}

static void drop_window(pte_t *pt, u32 slots)
{
	alias_window_clear(slots);
	page_free(P2V(PTE_ADDR(pt[0])));
	page_free(pt);
}

static void string_io(const char *what, int in)
{
	pte_t *pt = in ? scratch_window(STRING_SLOTS) : 0;
	u64 per_tick = tsc_per_tick(), tsc0 = rdtsc();
	u32 t0 = ticks;
	u32 left = in ? rep_insb(UNUSED_PORT, ATK_WIN, STRING_BYTES)
		      : rep_outsb(UNUSED_PORT, KERNBASE, STRING_BYTES);
	u32 during = ticks - t0;
	u32 periods = (u32)((rdtsc() - tsc0) / per_tick);
	if (pt)
		drop_window(pt, STRING_SLOTS);
	kprintf("attack: %s of 16 MB, port 0x%x: ECX %u at the end\n", what, UNUSED_PORT, left);
	kprintf("attack: timer ticks during it: %u, in %u timer periods\n", during, periods);
}

static void atk_rep_outsb(void)
{
	string_io("REP OUTSB", 0);
}

static void atk_rep_insb(void)
{
	string_io("REP INSB", 1);
}

static void outsb_forever(u32 unused)
{
	(void)unused;
	rep_outsb(UNUSED_PORT, ATK_WIN, FOREVER);
}

static void insb_forever(u32 unused)
{
	(void)unused;
	rep_insb(UNUSED_PORT, ATK_WIN, FOREVER);
}

/* 'what' with ECX = 2^32 - 1 (run by 'run', the REP at 'insn') over a
 * 256 MB window aliasing one frame, until the timer stops it. */
static void string_io_stop(const char *what, void (*run)(u32), u8 *insn)
{
	pte_t *pt = scratch_window(ATK_WIN_SLOTS);
	rep_stop = (struct rep_stop){ .eip = (u32)insn, .after = STOP_TICKS, .start = ticks };
	rep_stop.armed = 1;
	int t = attack_catch(run, 0);
	rep_stop.armed = 0;
	drop_window(pt, ATK_WIN_SLOTS);
	if (t)
		report_catch(what, t);
	kprintf("attack: %s with ECX 0x%x: stopped by the timer: %s, ECX had counted "
		"down: %s\n", what, FOREVER, rep_stop.fired ? "yes" : "no",
		rep_stop.fired && rep_stop.ecx_left < FOREVER ? "yes" : "no");
}

static void atk_rep_outsb_stop(void)
{
	string_io_stop("REP OUTSB", outsb_forever, rep_outsb_insn);
}

static void atk_rep_insb_stop(void)
{
	string_io_stop("REP INSB", insb_forever, rep_insb_insn);
}

static void atk_hlt_masked(void)
{
	pic_set_mask(PIC_MASK_ALL);
	kprintf("attack: HLT with IF set and both IMRs 0xff\n");
	intr_enable();
	hlt();
	kprintf("attack: woke from HLT with every IRQ masked\n");
}

/* CLI, then a jump to itself, forever; cli_spin_loop is the JMP's address. */
void cli_spin_forever(void) __attribute__((noreturn));
extern const char cli_spin_loop[];
__asm__(".text\n"
	".globl cli_spin_forever\n"
	"cli_spin_forever:\n"
	"\tcli\n"
	"cli_spin_loop:\n"
	"\tjmp cli_spin_loop\n");

static void atk_cli_spin(void)
{
	kprintf("attack: CLI; JMP . with the JMP at 0x%x\n", (u32)cli_spin_loop);
	cli_spin_forever();
}

/* ---- the flood ---- */

static struct {
	volatile u32 armed, count, done;
	u64 deadline;
} flood;

static int flood_hook(struct trapframe *tf)
{
	if (tf->trapno != T_IRQ0 + IRQ_TIMER || !flood.armed)
		return 0;
	if (++flood.count >= FLOOD_MAX || rdtsc() >= flood.deadline) {
		outb(PIC1_DATA, inb(PIC1_DATA) | (1 << IRQ_TIMER));
		flood.armed = 0;
		flood.done = 1;
	}
	return 0;
}

static void atk_irq_flood(void)
{
	u64 two_s = tsc_per_tick() * timer_hz * FLOOD_SECONDS;
	u16 mask = pic_get_mask();
	int (*saved)(struct trapframe *) = trap_hook;

	flood.deadline = rdtsc() + two_s;
	trap_hook = flood_hook;
	flood.armed = 1;
	outb(PIT_CMD, PIT_MODE2);
	outb(PIT_CH0, FLOOD_DIVISOR);
	outb(PIT_CH0, 0);
	while (!flood.done && rdtsc() < flood.deadline + two_s)
		;
	int s = intr_save();
	flood.armed = 0;
	trap_hook = saved;
	pit_init(timer_hz);
	pic_set_mask(mask);
	intr_restore(s);
	kprintf("attack: the PIT at divisor %u: the IRQ 0 handler ran: %s, the flood ended: %s\n",
		FLOOD_DIVISOR, flood.count ? "yes" : "no", flood.done ? "yes" : "no");
}

const struct attack attacks_time[] = {
	{ "rep-outsb", atk_rep_outsb },
	{ "rep-insb", atk_rep_insb },
	{ "rep-outsb-stop", atk_rep_outsb_stop },
	{ "rep-insb-stop", atk_rep_insb_stop },
	{ "hlt-masked", atk_hlt_masked },
	{ "cli-spin", atk_cli_spin },
	{ "irq-flood", atk_irq_flood },
	{ 0, 0 },
};
