/*
 * holes.c - the x86 virtualization holes, one check per observable.
 *
 * Mechanism (Popek and Goldberg, 1974): an instruction is *sensitive* if it
 * reads or changes state that a monitor must virtualize (the interrupt flag,
 * the descriptor-table registers, CR0, the current privilege level), and
 * *privileged* if it traps when run outside ring 0.  Trap-and-emulate works
 * only if every sensitive instruction is privileged: then the monitor runs
 * the guest kernel deprivileged (here, in ring 1 with IOPL 0) and sees every
 * sensitive instruction as a fault it can emulate on the virtual CPU.
 * x86 breaks the rule.  These instructions are sensitive yet run silently
 * in ring 1, so the guest sees the real machine instead of its virtual one:
 *
 *   PUSHF           shows the real IF, not the virtual IF CLI/STI changed
 *   POPF, IRET      at CPL > IOPL leave IF alone, with no fault
 *   SGDT/SIDT       show the real GDTR/IDTR: the monitor's tables
 *   SLDT/STR        show the real LDTR/TR: the monitor's selectors
 *   SMSW            shows the real CR0's low bits, not the virtual CR0
 *   LAR/LSL/VERR/W  read the real descriptors, whose DPL was compressed
 *   PUSH CS, MOV from CS/SS, far JMP/CALL/RET
 *                   the selector's RPL is the CPL: 1, not 0
 *
 * Natively minios runs in ring 0 and every check here passes.  Each check
 * names what the hardware should show and, when it fails, says what it
 * observed instead; docs/x86-holes.md lists which lines fail under the
 * monitor and why.  minios's main code avoids all of these (DESIGN.md
 * section 8); only this file uses the wrappers at the end of x86.h.
 *
 * Invariants: every check leaves the CPU as it found it: interrupts on
 * (hardware IF and intr_on agreeing), LDTR null, CR0.TS clear, the probe
 * catcher disarmed.  IF is observed without PUSHF, by whether timer ticks
 * arrive while the PIT counter is polled for a few periods.
 */
#include "holes.h"
#include "ktest.h"
#include "gdt.h"
#include "trap.h"
#include "pic.h"
#include "intr.h"
#include "x86.h"
#include "console.h"
#include "syscall.h"

#define SPIN_PERIODS 3              /* PIT periods to watch for timer ticks */
#define FLAT_LIMIT   0xFFFFFFFFu    /* gdt_init's kernel segments span 4 GB */
#define KCODE        SEL(SEG_KCODE, 0)
#define KDATA        SEL(SEG_KDATA, 0)

/* ---- 1. PUSHF reads IF ---- */

static void h_pushf(void)
{
	int saved = intr_save();            /* CLI */
	u32 off = read_eflags();
	intr_enable();                      /* STI */
	u32 on = read_eflags();
	if (!saved)
		intr_disable();
	check(!(off & FL_IF), "PUSHF after CLI shows IF=0",
	      "observed IF=1 (EFLAGS 0x%x), expected IF=0", off);
	check(on & FL_IF, "PUSHF after STI shows IF=1",
	      "observed IF=0 (EFLAGS 0x%x), expected IF=1", on);
}

/* ---- 2. POPF changes IF; 3. IRET changes IF ---- */

/* Timer ticks that arrive while the PIT counter is polled for a while. */
static u32 ticks_during_spin(void)
{
	u32 t0 = ticks;
	pit_spin_periods(SPIN_PERIODS);
	return ticks - t0;
}

/* A same-privilege IRET to the next instruction with EFLAGS = fl. */
static void iret_with_eflags(u32 fl)
{
	__asm__ volatile("pushl %0\n\t"
			 "pushl %%cs\n\t"
			 "pushl $1f\n\t"
			 "iret\n"
			 "1:"
			 : : "r"(fl) : "memory", "cc");
}

/* Starting with interrupts on, sets an image with IF=0 through POPF or
 * IRET; no tick may arrive. */
static void if_cleared_by(void (*load)(u32), const char *name)
{
	intr_enable();
	load(FL_RSVD);                      /* IF=0 */
	intr_on = 0;
	u32 moved = ticks_during_spin();
	intr_enable();
	check(moved == 0, name, "observed %u ticks in %d PIT periods, expected 0 (IF still 1)",
	      moved, SPIN_PERIODS);
}

/* Starting with interrupts off, sets an image with IF=1; ticks must arrive. */
static void if_set_by(void (*load)(u32), const char *name)
{
	intr_disable();
	load(FL_RSVD | FL_IF);
	intr_on = 1;
	u32 moved = ticks_during_spin();
	intr_enable();
	check(moved > 0, name, "observed 0 ticks in %d PIT periods, expected some (IF still 0)",
	      SPIN_PERIODS);
}

static void h_popf(void)
{
	if_cleared_by(write_eflags, "POPF of an image with IF=0 holds off the timer");
	if_set_by(write_eflags, "POPF of an image with IF=1 lets the timer in");
}

static void h_iret(void)
{
	if_cleared_by(iret_with_eflags, "IRET to a frame with IF=0 holds off the timer");
	if_set_by(iret_with_eflags, "IRET to a frame with IF=1 lets the timer in");
}

/* ---- 4. SGDT, SIDT; 5. SLDT; 6. STR ---- */

static void h_sgdt_sidt(void)
{
	struct dtr g, i;

	sgdt(&g);
	sidt(&i);
	check(g.base == (u32)gdt && g.limit == sizeof gdt - 1,
	      "SGDT shows minios's GDT base and limit",
	      "observed base 0x%x limit 0x%x, expected base 0x%x limit 0x%x",
	      g.base, (u32)g.limit, (u32)gdt, (u32)(sizeof gdt - 1));
	check(i.base == (u32)idt && i.limit == sizeof idt - 1,
	      "SIDT shows minios's IDT base and limit",
	      "observed base 0x%x limit 0x%x, expected base 0x%x limit 0x%x",
	      i.base, (u32)i.limit, (u32)idt, (u32)(sizeof idt - 1));
}

static void h_sldt(void)
{
	u16 sel = SEL(SEG_LDT, 0);

	lldt(sel);
	u16 loaded = sldt();
	lldt(0);
	u16 null = sldt();
	check(loaded == sel, "SLDT shows the LDT minios loaded",
	      "observed selector 0x%02x, expected 0x%02x", (u32)loaded, (u32)sel);
	check(null == 0, "SLDT shows 0 after LLDT 0",
	      "observed selector 0x%02x, expected 0", (u32)null);
}

static void h_str(void)
{
	u16 tr = str();
	check(tr == SEL(SEG_TSS, 0), "STR shows minios's TSS selector",
	      "observed selector 0x%02x, expected 0x%02x", (u32)tr, (u32)SEL(SEG_TSS, 0));
}

/* ---- 7. SMSW ---- */

static void h_smsw(void)
{
	lcr0(rcr0() | CR0_TS);
	u16 set = smsw();
	clts();
	u16 clear = smsw();
	check(set & CR0_TS, "SMSW shows CR0.TS set by MOV to CR0",
	      "observed MSW 0x%x (TS clear), expected TS set", (u32)set);
	check(!(clear & CR0_TS), "SMSW shows CR0.TS clear after CLTS",
	      "observed MSW 0x%x (TS set), expected TS clear", (u32)clear);
	check(clear & CR0_PE, "SMSW shows CR0.PE set",
	      "observed MSW 0x%x (PE clear), expected PE set", (u32)clear);
}

/* ---- 8. LAR, LSL, VERR, VERW ---- */

static void h_lar_lsl(void)
{
	u32 ar, limit;
	int ar_ok = lar(KCODE, &ar);
	int limit_ok = lsl(KDATA, &limit);

	check(ar_ok && DESC_DPL(ar) == 0, "LAR on the kernel code selector shows DPL 0",
	      "observed ZF=%d, DPL %u (access rights 0x%x), expected ZF=1, DPL 0",
	      ar_ok, DESC_DPL(ar), ar);
	check(limit_ok && limit == FLAT_LIMIT, "LSL on the kernel data selector gives 0xFFFFFFFF",
	      "observed ZF=%d, limit 0x%x, expected ZF=1, limit 0x%x",
	      limit_ok, limit, FLAT_LIMIT);
}

static void h_verr_verw(void)
{
	check(verr(KCODE), "VERR on the kernel code selector sets ZF",
	      "observed ZF=0, expected ZF=1 (readable at this CPL)");
	check(verw(KDATA), "VERW on the kernel data selector sets ZF",
	      "observed ZF=0, expected ZF=1 (writable at this CPL)");
}

/* ---- 9. PUSH CS, MOV from CS and SS ---- */

static void h_selectors(void)
{
	u16 pushed = push_cs(), cs = read_cs(), ss = read_ss();

	check(SEL_RPL(pushed) == 0, "PUSH CS shows RPL 0",
	      "observed RPL %u (CS 0x%02x), expected RPL 0", SEL_RPL(pushed), (u32)pushed);
	check(SEL_RPL(cs) == 0, "MOV from CS shows RPL 0",
	      "observed RPL %u (CS 0x%02x), expected RPL 0", SEL_RPL(cs), (u32)cs);
	check(SEL_RPL(ss) == 0, "MOV from SS shows RPL 0",
	      "observed RPL %u (SS 0x%02x), expected RPL 0", SEL_RPL(ss), (u32)ss);
}

/* ---- 10. far JMP, CALL and RET through ring-0 selectors ----
 *
 * Each transfer runs under the probe catcher (trap.h): in ring 1 the CPU
 * refuses a far RET to RPL 0 with #GP, and the line then reports that fault
 * instead of the kernel panicking.  The CPU keeps the refused instruction's
 * stack as it was, so a caught LRET leaves its hand-pushed cs:eip behind. */

static u16 far_jmp_cs(void)
{
	u16 cs = 0;
	__asm__ volatile("movl $1f, %[resume]\n\t"
			 "ljmp %[sel], $1f\n"
			 "1:\n\t"
			 "movl $0, %[resume]\n\t"
			 "movw %%cs, %[cs]"
			 : [cs] "+r"(cs), [resume] "=m"(probe_resume)
			 : [sel] "i"(KCODE) : "memory");
	return cs;
}

/* The CS the callee of a far CALL runs with. */
static u16 far_call_cs(void)
{
	u16 cs = 0;
	__asm__ volatile("movl $2f, %[resume]\n\t"
			 "lcall %[sel], $1f\n\t"
			 "jmp 2f\n"
			 "1:\n\t"
			 "movw %%cs, %[cs]\n\t"
			 "lret\n"
			 "2:\n\t"
			 "movl $0, %[resume]"
			 : [cs] "+r"(cs), [resume] "=m"(probe_resume)
			 : [sel] "i"(KCODE) : "memory");
	return cs;
}

static u16 far_ret_cs(void)
{
	u16 cs = 0;
	__asm__ volatile("movl $2f, %[resume]\n\t"
			 "pushl %[sel]\n\t"
			 "pushl $1f\n\t"
			 "lret\n"
			 "2:\n\t"
			 "addl $8, %%esp\n"         /* refused: drop the pushed cs:eip */
			 "1:\n\t"
			 "movl $0, %[resume]\n\t"
			 "movw %%cs, %[cs]"
			 : [cs] "+r"(cs), [resume] "=m"(probe_resume)
			 : [sel] "i"(KCODE) : "memory");
	return cs;
}

static void far_check(u16 (*transfer)(void), const char *name)
{
	u32 faults = probe_info.count;
	u16 cs = transfer();

	if (probe_info.count != faults)
		check(0, name, "observed exception %u (err 0x%x) at eip 0x%x, expected CS 0x%02x",
		      probe_info.vector, probe_info.err, probe_info.eip, (u32)KCODE);
	else
		check(cs == KCODE, name, "observed CS 0x%02x, expected 0x%02x", (u32)cs, (u32)KCODE);
}

static void h_far(void)
{
	far_check(far_jmp_cs, "far JMP to selector 0x08 leaves CS = 0x08");
	far_check(far_call_cs, "far CALL to selector 0x08 runs the callee with CS = 0x08");
	far_check(far_ret_cs, "far RET to a pushed CS of 0x08 leaves CS = 0x08");
}

/* One entry per instruction group, numbered as in docs/x86-holes.md. */
static void (*const groups[])(void) = {
	h_pushf,                /* 1 */
	h_popf,                 /* 2 */
	h_iret,                 /* 3 */
	h_sgdt_sidt,            /* 4 */
	h_sldt,                 /* 5 */
	h_str,                  /* 6 */
	h_smsw,                 /* 7 */
	h_lar_lsl,              /* 8 */
	h_verr_verw,            /* 8 */
	h_selectors,            /* 9 */
	h_far,                  /* 10 */
};

void run_holes(void)
{
	kprintf("minios holes mode\n");
	for (u32 i = 0; i < sizeof groups / sizeof groups[0]; i++)
		groups[i]();
	kprintf("%d passed, %d failed\n", tests_passed, tests_failed);
	machine_exit(tests_failed == 0 && tests_passed > 0 ? EXIT_OK : EXIT_FAILED);
}
