/*
 * sec_exc.c - exceptions, gates and the frames they push, in ring 0 and
 * ring 3.
 *
 * Mechanism: an exception or INT n makes the CPU read gate n from the IDT
 * (beyond the IDT limit: #GP(n*8+2)); INT n, INT3 and INTO also check the
 * gate's DPL against CPL (#GP(n*8+2)); a gate that is not present gives
 * #NP(n*8+2, +1 when the event was external to the program).  From ring 3
 * the CPU switches to TSS.SS0:ESP0 and pushes SS and ESP; then EFLAGS (RF
 * clear for INT n and traps), CS, EIP (the faulting instruction for a
 * fault, the next one for a trap), and an error code for some vectors.  An
 * interrupt gate clears IF, a trap gate leaves it.  A fault while
 * delivering a contributory exception becomes a double fault.
 *
 * Lines: exc.r0.<event> and exc.r3.<event> give the vector, error code and
 * the pushed EIP relative to the instruction ("@+0": at it, "@+N": after
 * it); exc.*.frame.* give the other fields of the frame.
 */
#include "conform.h"
#include "lib/fmt.h"

#define RPL0(s) ((s) & ~SEL_RPL_MASK)

static u32 bounds[2] __attribute__((used)) = { 0, 10 };
static volatile u32 esp_at __attribute__((used));

/* One event under test: the setup, then AT, then the instruction. */
#define EVENT(fn, body)                                                              \
	static void fn(void)                                                         \
	{                                                                            \
		exc_clear();                                                         \
		__asm__ volatile(TRY_BEGIN body TRY_END                              \
				 : : : "eax", "ecx", "edx", "memory", "cc");         \
		exc_disarm();                                                        \
	}

EVENT(ev_de, "xorl %%edx, %%edx\n\tmovl $1, %%eax\n\txorl %%ecx, %%ecx\n\t" AT "divl %%ecx")
EVENT(ev_de_idiv, "movl $0x80000000, %%eax\n\tcltd\n\tmovl $-1, %%ecx\n\t" AT "idivl %%ecx")
EVENT(ev_icebp, AT ".byte 0xf1")
EVENT(ev_int3, AT "int3")
EVENT(ev_int_3, AT ".byte 0xcd, 0x03")
EVENT(ev_into, "movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\t" AT "into")
EVENT(ev_into_clear, "xorl %%eax, %%eax\n\t" AT "into")
EVENT(ev_bound, "movl $11, %%eax\n\t" AT "boundl %%eax, bounds")
EVENT(ev_bound_ok, "movl $5, %%eax\n\t" AT "boundl %%eax, bounds")
EVENT(ev_ud2, AT "ud2")
EVENT(ev_lock_nop, AT ".byte 0xf0, 0x90")
EVENT(ev_lock_mov, AT ".byte 0xf0, 0x89, 0xc0")
EVENT(ev_int_dpl0, "movl %%esp, esp_at\n\t" AT "int $0x82")
EVENT(ev_int_np, AT "int $0x83")
EVENT(ev_int_user, "movl %%esp, esp_at\n\t" AT "int $0x80")
EVENT(ev_cli, AT "cli")
EVENT(ev_hlt, AT "hlt")
EVENT(ev_in, "movl $0x3ff, %%edx\n\t" AT "inb %%dx, %%al")
EVENT(ev_mov_cr0, AT "movl %%cr0, %%eax")
EVENT(ev_lgdt, AT "lgdt bounds")
/* loading ES with SEL_BEYOND (0x1f8) */
EVENT(ev_gp_seg, "movl %%esp, esp_at\n\tmovl $0x1f8, %%eax\n\t" AT "mov %%eax, %%es")

struct event {
	const char *name;
	void (*run)(void);
	bool ring0;                     /* also meaningful in ring 0 */
};

static const struct event events[] = {
	{ "de.div", ev_de, true },
	{ "de.idiv", ev_de_idiv, true },
	{ "db.icebp", ev_icebp, true },
	{ "bp.int3", ev_int3, true },
	{ "bp.int_3", ev_int_3, true },
	{ "of.into", ev_into, true },
	{ "of.into_clear", ev_into_clear, true },
	{ "br.bound", ev_bound, true },
	{ "br.bound_ok", ev_bound_ok, true },
	{ "ud.ud2", ev_ud2, true },
	{ "ud.lock_nop", ev_lock_nop, true },
	{ "ud.lock_mov", ev_lock_mov, true },
	{ "gp.seg", ev_gp_seg, true },
	{ "int.dpl0", ev_int_dpl0, true },
	{ "int.np", ev_int_np, true },
	{ "int.dpl3", ev_int_user, true },
	{ "priv.cli", ev_cli, false },
	{ "priv.hlt", ev_hlt, false },
	{ "priv.in", ev_in, false },
	{ "priv.mov_cr0", ev_mov_cr0, false },
	{ "priv.lgdt", ev_lgdt, false },
};
#define NEVENTS (sizeof events / sizeof events[0])

static void check_ring0(void)
{
	char name[48];
	for (unsigned i = 0; i < NEVENTS; i++) {
		if (!events[i].ring0)
			continue;
		events[i].run();
		fmt_snprintf(name, sizeof name, "exc.r0.%s", events[i].name);
		report(name, "%s", exc_at());
	}
}

static void (*volatile user_event)(void);

static void user_run_event(void)
{
	user_event();
}

static void check_ring3(void)
{
	char name[48];
	for (unsigned i = 0; i < NEVENTS; i++) {
		user_event = events[i].run;
		int r = run_user(user_run_event, 0);
		fmt_snprintf(name, sizeof name, "exc.r3.%s", events[i].name);
		report(name, "%s%s", r ? "uncaught/" : "", exc_at());
	}
}

/* ---- the frame: what the CPU pushed besides EIP ---- */

static void report_frame(const char *prefix, bool user)
{
	char name[64];
	fmt_snprintf(name, sizeof name, "%s.cs", prefix);
	report(name, "0x%04x", RPL0(exc.cs));
	fmt_snprintf(name, sizeof name, "%s.cs.rpl", prefix);
	report(name, "%u", exc.cs & SEL_RPL_MASK);
	fmt_snprintf(name, sizeof name, "%s.eflags", prefix);
	report(name, "0x%08x", exc.eflags);
	fmt_snprintf(name, sizeof name, "%s.esp", prefix);
	report(name, "%s", exc.esp == esp_at ? "same" : "other");
	if (!user)
		return;
	fmt_snprintf(name, sizeof name, "%s.ss", prefix);
	report(name, "0x%04x", exc.ss);
}

static void check_frames(void)
{
	ev_int_dpl0();
	report_frame("exc.r0.frame.int", false);
	ev_gp_seg();
	report_frame("exc.r0.frame.gp", false);
	user_event = ev_int_user;
	run_user(user_run_event, 0);
	report_frame("exc.r3.frame.int", true);
	user_event = ev_gp_seg;
	run_user(user_run_event, 0);
	report_frame("exc.r3.frame.gp", true);
	user_event = ev_int_user;
	run_user(user_run_event, FL_IF);
	report_frame("exc.r3.if1.frame.int", true);
}

/* ---- IF in frames: interrupt gate vs trap gate, and after IRET ---- */

static volatile u32 outer_flags, nested_flags;

static void gate_hook(struct frame *f)
{
	if (f->vector == V_PROBE) {
		nested_flags = f->eflags;
		return;
	}
	if (f->vector == V_KERNEL_GATE || f->vector == V_TRAP_GATE) {
		outer_flags = f->eflags;
		__asm__ volatile("int $0x85" ::: "memory");
		return;
	}
	trap_default(f);
}

static u32 probe_if(void)
{
	nested_flags = 0xDEAD;
	__asm__ volatile("int $0x85" ::: "memory");
	return nested_flags;
}

static void check_gate_if(void)
{
	exc_hook = gate_hook;
	sti();
	__asm__ volatile("int $0x82" ::: "memory");
	report("exc.if.intgate.frame", "%u", !!(outer_flags & FL_IF));
	report("exc.if.intgate.inside", "%u", !!(nested_flags & FL_IF));
	report("exc.if.intgate.after_iret", "%u", !!(probe_if() & FL_IF));
	sti();
	__asm__ volatile("int $0x84" ::: "memory");
	report("exc.if.trapgate.frame", "%u", !!(outer_flags & FL_IF));
	report("exc.if.trapgate.inside", "%u", !!(nested_flags & FL_IF));
	report("exc.if.trapgate.after_iret", "%u", !!(probe_if() & FL_IF));
	cli();
	__asm__ volatile("int $0x82" ::: "memory");
	report("exc.if.cli.frame", "%u", !!(outer_flags & FL_IF));
	report("exc.if.cli.after_iret", "%u", !!(probe_if() & FL_IF));
	exc_hook = 0;
}

/* ---- the IDT limit ---- */

static void check_idt_limit(void)
{
	struct dtr d = { 0x40 * 8 - 1, (u32)idt };
	lidt(&d);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "int $0x3f" TRY_END ::: "memory");
	exc_disarm();
	report("exc.idt.last", "%s", exc_at());
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "int $0x40" TRY_END ::: "memory");
	exc_disarm();
	report("exc.idt.beyond", "%s", exc_at());
	d.limit = 0x40 * 8 + 6;
	lidt(&d);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "int $0x40" TRY_END ::: "memory");
	exc_disarm();
	report("exc.idt.partial", "%s", exc_at());
}

/* ---- faults while delivering a fault ---- */

static void check_nested(void)
{
	idt[T_GP].hi &= ~DESC_P;
	ev_gp_seg();
	report("exc.nested.gp_np", "%s", exc_str());
}

/* ---- #TS: a task return (IRET with NT) to something that is no busy TSS ---- */

static void try_nt_iret(const char *name, u16 link)
{
	tss.link = link;
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "pushfl\n\torl %0, (%%esp)\n\tpopfl\n\t"
			 "pushfl\n\tpushl %%cs\n\tpushl $9f\n\t" AT "iret" TRY_END
			 "movl %%ecx, %%esp\n\tpushfl\n\tandl %1, (%%esp)\n\tpopfl"
			 : : "i"(FL_NT), "i"(~FL_NT) : "ecx", "memory", "cc");
	exc_disarm();
	report(name, "%s", exc_at());
	tss.link = 0;
}

static void check_ts(void)
{
	try_nt_iret("exc.ts.link_data", SEL_KDATA);
	try_nt_iret("exc.ts.link_available", SEL_TSS2);
}

/* ---- #AC: CR0.AM and EFLAGS.AC, a misaligned access at CPL 3 ---- */

static volatile u32 ac_word[2] __attribute__((used));

static void user_misaligned(void)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN "pushfl\n\torl %0, (%%esp)\n\tpopfl\n\t"
			 "movl $ac_word, %%eax\n\t" AT "movl 1(%%eax), %%ecx" TRY_END
			 "pushfl\n\tandl %1, (%%esp)\n\tpopfl"
			 : : "i"(FL_AC), "i"(~FL_AC) : "eax", "ecx", "memory", "cc");
	exc_disarm();
}

static void check_ac(void)
{
	lcr0(rcr0() | CR0_AM);
	run_user(user_misaligned, 0);
	report("exc.ac.r3", "%s", exc_at());
	user_misaligned();
	report("exc.ac.r0", "%s", exc_at());
	lcr0(rcr0() & ~CR0_AM);
	run_user(user_misaligned, 0);
	report("exc.ac.r3.am_clear", "%s", exc_at());
}

/* ---- #MF: an unmasked x87 exception, reported at the next WAIT ---- */

static u16 fpu_cw __attribute__((used)) = 0x037B;     /* ZM (bit 2) unmasked */

static void check_mf(void)
{
	if (!has_x87()) {
		report("exc.mf", "no-x87");
		return;
	}
	exc_clear();
	__asm__ volatile("fninit\n\tfldcw fpu_cw\n\tfld1\n\tfldz\n\tfdivrp\n\t"
			 TRY_BEGIN AT "fwait" TRY_END "fninit" ::: "memory");
	exc_disarm();
	report("exc.mf.fwait", "%s", exc_at());
}

/* ---- DF set when a trap happens: the handler side must not care ---- */

static u32 df_flags __attribute__((used));

#define DF_TRAP(fn, insn)                                                            \
	static void fn(void)                                                         \
	{                                                                            \
		__asm__ volatile("std\n\t" insn "\n\tpushfl\n\tpopl df_flags\n\tcld"  \
				 ::: "eax", "memory", "cc");                         \
	}

DF_TRAP(df_cli, "cli")
DF_TRAP(df_out, "movb $0xff, %%al\n\toutb %%al, $0x21")
DF_TRAP(df_int, "int $0x82")

static void check_df_trap(void)
{
	df_cli();
	report("exc.df.cli", "%u", !!(df_flags & FL_DF));
	df_out();
	report("exc.df.out", "%u", !!(df_flags & FL_DF));
	exc_resume = 1;
	df_int();
	exc_resume = 0;
	report("exc.df.int", "%u/%s", !!(df_flags & FL_DF), exc_str());
}

static const struct check checks[] = {
	{ "exc.df_trap", check_df_trap },
	{ "exc.ring0", check_ring0 },
	{ "exc.ring3", check_ring3 },
	{ "exc.frames", check_frames },
	{ "exc.gate_if", check_gate_if },
	{ "exc.idt_limit", check_idt_limit },
	{ "exc.nested", check_nested },
	{ "exc.ts", check_ts },
	{ "exc.ac", check_ac },
	{ "exc.mf", check_mf },
};

SECTION(sec_exc, "exc", "exceptions, gates, frames, error codes (ring 0 and 3)", checks);
