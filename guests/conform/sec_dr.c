/*
 * sec_dr.c - debug registers, breakpoints, watchpoints and single-step.
 *
 * Mechanism: DR0-DR3 hold linear addresses; DR7 enables each (L0-L3) with
 * a kind (RW: 00 execute, 01 write, 11 read/write) and a length.  A hit
 * raises #DB: an instruction breakpoint as a fault (EIP at the instruction,
 * before it runs), a data watchpoint as a trap (after the access), and
 * sets B0-B3 in DR6.  EFLAGS.TF raises a #DB trap after each instruction
 * (DR6.BS), including the privileged ones a monitor emulates.  DR6 and DR7
 * have fixed bits (DR6 reads 0xFFFF0FF0 with nothing set, DR7 bit 10 reads
 * 1); DR4/DR5 alias DR6/DR7 unless CR4.DE, when they are #UD.  DR7.GD makes
 * the next MOV to or from a debug register raise #DB with DR6.BD.
 */
#include "conform.h"
#include "lib/fmt.h"

#define DR7_L0        0x00000001u
#define DR7_L1        0x00000004u
#define DR7_GD        0x00002000u
#define DR7_RW1_W     0x00100000u
#define DR7_RW1_RW    0x00300000u
#define DR7_LEN1_4    0x00C00000u
#define DR6_BS        0x00004000u

static const char *hex(u32 v)
{
	static char buf[16];
	fmt_snprintf(buf, sizeof buf, "0x%08x", v);
	return buf;
}

static void check_readback(void)
{
	ldr6(0);
	report("dr.dr6.write0", "%s", hex(rdr6()));
	ldr6(0xFFFFFFFF);
	report("dr.dr6.write1s", "%s", hex(rdr6()));
	ldr7(0);
	report("dr.dr7.write0", "%s", hex(rdr7()));
	ldr7(0x000F0002);
	report("dr.dr7.write", "%s", hex(rdr7()));
	ldr7(0);
	ldr0(0x12345678);
	u32 v;
	__asm__ volatile("mov %%db0, %0" : "=r"(v));
	report("dr.dr0", "%s", hex(v));
	__asm__ volatile("mov %0, %%db3\n\tmov %%db3, %0" : "=r"(v) : "0"(0x89ABCDEFu));
	report("dr.dr3", "%s", hex(v));
}

static void check_alias(void)
{
	u32 v = 0;
	ldr6(0);
	ldr7(0);
	__asm__ volatile("mov %%db4, %0" : "=r"(v));
	report("dr.dr4.alias", "%s", hex(v));
	__asm__ volatile("mov %%db5, %0" : "=r"(v));
	report("dr.dr5.alias", "%s", hex(v));
	__asm__ volatile("mov %0, %%db5" : : "r"(0x00000100u));
	report("dr.dr5.write.dr7", "%s", hex(rdr7()));
	ldr7(0);
	if (!(cpuid_edx(1) & CPUID_DE)) {
		report("dr.dr4.de", "no-de");
		return;
	}
	lcr4(CR4_DE);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "mov %%db4, %%eax" TRY_END ::: "eax", "memory");
	exc_disarm();
	report("dr.dr4.de", "%s", exc_at());
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "mov %%eax, %%db5" TRY_END ::: "eax", "memory");
	exc_disarm();
	report("dr.dr5.de", "%s", exc_at());
	lcr4(0);
}

/* ---- breakpoints ---- */

__asm__(".pushsection .text\n"
	"bp_target:\n\tnop\n\tnop\n\tret\n"
	".popsection");
extern void bp_target(void);

static volatile u32 watched __attribute__((used));

static void report_db(const char *name)
{
	char n[48];
	report(name, "%s", exc_at());
	fmt_snprintf(n, sizeof n, "%s.dr6", name);
	report(n, "%s", exc.vector == T_DB ? hex(exc.dr6) : "-");
}

static void check_exec_bp(void)
{
	ldr6(0);
	ldr0((u32)bp_target + 1);
	ldr7(DR7_L0);
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\tmovl $bp_target + 1, %%eax\n\t" TRY_BEGIN
			 "movl %%eax, at_eip\n\tcall bp_target" TRY_END "movl %%ecx, %%esp"
			 : : : "eax", "ecx", "memory");
	exc_disarm();
	ldr7(0);
	report_db("dr.bp.exec");
	report("dr.bp.exec.rf", "%u", !!(exc.eflags & FL_RF));
	ldr6(0);
	/* disabled in DR7: no exception */
	ldr0((u32)bp_target + 1);
	exc_clear();
	bp_target();
	report("dr.bp.exec.disabled", "%s", exc_str());
}

static void check_data_bp(void)
{
	ldr6(0);
	ldr7(0);
	__asm__ volatile("mov %0, %%db1" : : "r"((u32)&watched));
	ldr7(DR7_L1 | DR7_RW1_W | DR7_LEN1_4);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl $1, watched\n\tnop" TRY_END ::: "memory");
	exc_disarm();
	ldr7(0);
	report_db("dr.bp.write");
	report("dr.bp.write.value", "%u", watched);
	ldr6(0);
	ldr7(DR7_L1 | DR7_RW1_W | DR7_LEN1_4);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl watched, %%eax\n\tnop" TRY_END ::: "eax", "memory");
	exc_disarm();
	ldr7(0);
	report_db("dr.bp.write.on_read");
	ldr6(0);
	ldr7(DR7_L1 | DR7_RW1_RW | DR7_LEN1_4);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl watched, %%eax\n\tnop" TRY_END ::: "eax", "memory");
	exc_disarm();
	ldr7(0);
	report_db("dr.bp.rw.read");
}

static void user_write_watched(void)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl $2, watched\n\tnop" TRY_END ::: "memory");
	exc_disarm();
}

static void check_data_bp_user(void)
{
	ldr6(0);
	__asm__ volatile("mov %0, %%db1" : : "r"((u32)&watched));
	ldr7(DR7_L1 | DR7_RW1_W | DR7_LEN1_4);
	run_user(user_write_watched, 0);
	ldr7(0);
	report_db("dr.bp.write.r3");
}

static void check_gd(void)
{
	ldr6(0);
	ldr7(DR7_GD);
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "mov %%eax, %%db0" TRY_END ::: "eax", "memory");
	exc_disarm();
	report_db("dr.gd");
	report("dr.gd.dr7_after", "%s", hex(rdr7()));
	ldr7(0);
}

/* ---- single-step ---- */

#define STEP(fn, setup, insn)                                                        \
	static void fn(void)                                                         \
	{                                                                            \
		exc_clear();                                                         \
		__asm__ volatile("movl %%esp, %%edx\n\t" TRY_BEGIN setup "\n\t"     \
				 "pushfl\n\torl %0, (%%esp)\n\tpopfl\n\t"             \
				 AT insn "\n\tnop\n\tnop" TRY_END "movl %%edx, %%esp\n\t" \
				 "pushfl\n\tandl %1, (%%esp)\n\tpopfl"               \
				 : : "i"(FL_TF), "i"(~FL_TF) : "eax", "edx", "memory", "cc"); \
		exc_disarm();                                                        \
	}

STEP(step_nop, "", "nop")
STEP(step_cli, "", "cli")
STEP(step_in, "", "inb $0x21, %%al")
STEP(step_out, "movb $0xff, %%al", "outb %%al, $0x21")
STEP(step_cr3, "movl %%cr3, %%eax", "movl %%eax, %%cr3")
STEP(step_rdcr0, "", "movl %%cr0, %%eax")
STEP(step_dr, "", "movl %%db7, %%eax")
STEP(step_int, "", "int $0x82")
STEP(step_pushf, "", "pushfl")

static const struct {
	const char *name;
	void (*run)(void);
} steps[] = {
	{ "dr.tf.nop", step_nop },
	{ "dr.tf.cli", step_cli },
	{ "dr.tf.in", step_in },
	{ "dr.tf.mov_al_out", step_out },
	{ "dr.tf.mov_from_cr3", step_cr3 },
	{ "dr.tf.mov_from_cr0", step_rdcr0 },
	{ "dr.tf.mov_from_dr7", step_dr },
	{ "dr.tf.int", step_int },
	{ "dr.tf.pushf", step_pushf },
};

/* The first #DB after POPF sets TF comes after the next instruction. */
static void check_step(void)
{
	char n[48];
	for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ldr6(0);
		steps[i].run();
		cli();
		report(steps[i].name, "%s", exc_at());
		fmt_snprintf(n, sizeof n, "%s.bs", steps[i].name);
		report(n, "%s", exc.vector == T_DB ? ((exc.dr6 & DR6_BS) ? "1" : "0") : "-");
	}
}

/* Ring 3 with TF from the start: count the steps of a known sequence. */
static volatile u32 user_steps;

static void user_steps_body(void)
{
	__asm__ volatile("nop\n\tnop\n\tnop\n\tnop" ::: "memory");
}

static void count_hook(struct frame *f)
{
	if (f->vector == T_DB && (f->cs & SEL_RPL_MASK) == 3) {
		user_steps++;
		return;
	}
	trap_default(f);
}

static void check_step_user(void)
{
	user_steps = 0;
	exc_hook = count_hook;
	run_user(user_steps_body, FL_TF);
	exc_hook = 0;
	report("dr.tf.r3.steps", "%u", user_steps);
}

static const struct check checks[] = {
	{ "dr.readback", check_readback },
	{ "dr.alias", check_alias },
	{ "dr.exec_bp", check_exec_bp },
	{ "dr.data_bp", check_data_bp },
	{ "dr.data_bp_user", check_data_bp_user },
	{ "dr.gd", check_gd },
	{ "dr.step", check_step },
	{ "dr.step_user", check_step_user },
};

SECTION(sec_dr, "dr", "debug registers, breakpoints, watchpoints, single-step", checks);
