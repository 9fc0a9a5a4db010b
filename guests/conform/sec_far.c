/*
 * sec_far.c - far transfers: JMP, CALL and RET that load CS, with and
 * without a change of privilege, through call gates, into conforming and
 * 16-bit code.
 *
 * Mechanism: a far JMP or CALL to a code segment checks the descriptor
 * (code, present, DPL == CPL for non-conforming, DPL <= CPL for conforming)
 * and loads CS with RPL = CPL; a far CALL pushes CS:EIP.  A far RET pops
 * CS:EIP and, to an outer ring, SS:ESP as well.  A far CALL through a call
 * gate of DPL >= CPL goes to the gate's more privileged code, switching to
 * the stack the TSS names for that ring and copying parameters.  Under a
 * monitor in ring 1 the CPU itself forces RPL 1 into CS (a hole line of
 * the hole section); the lines here read CS without its RPL, so they show
 * whether the transfer happened and where it landed.
 */
#include "conform.h"
#include "lib/fmt.h"

#define RPL0(s)       ((s) & ~SEL_RPL_MASK)
#define GATE_PARAM    0x5EED0001u
#define CODE16_AX     0x1616u

struct farptr32 {
	u32 off;
	u16 sel;
} __attribute__((packed));

static volatile u32 far_cs __attribute__((used));
static volatile u32 far_pushed_cs __attribute__((used));
static struct farptr32 far_target __attribute__((used));

/* A far CALL's callee: records CS and the CS the CALL pushed, returns. */
__asm__(".pushsection .text\n"
	"far_callee:\n\t"
	"mov %cs, %eax\n\tmovl %eax, far_cs\n\t"
	"movl 4(%esp), %eax\n\tmovl %eax, far_pushed_cs\n\t"
	"lret\n"
	".popsection");
extern void far_callee(void);

static void report_cs(const char *name)
{
	if (exc.vector != ~0u)
		report(name, "%s", exc_at());
	else
		report(name, "0x%04x", RPL0(far_cs));
}

static void check_jmp(void)
{
	far_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "ljmp %0, $1f\n1:\n\tmov %%cs, %%eax\n\tmovl %%eax, far_cs"
			 TRY_END : : "i"(SEL_KCODE) : "eax", "memory");
	exc_disarm();
	report_cs("far.jmp.ptr16_32");

	far_cs = 0xDEAD;
	far_target.sel = SEL_KCODE;
	exc_clear();
	__asm__ volatile("movl $1f, far_target\n\t" TRY_BEGIN AT "ljmp *far_target\n1:\n\t"
			 "mov %%cs, %%eax\n\tmovl %%eax, far_cs" TRY_END : : : "eax", "memory");
	exc_disarm();
	report_cs("far.jmp.m16_32");

	far_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "ljmp %0, $1f\n1:\n\tmov %%cs, %%eax\n\tmovl %%eax, far_cs\n\t"
			 "ljmp %1, $2f\n2:" TRY_END : : "i"(SEL_KCODE_A0), "i"(SEL_KCODE)
			 : "eax", "memory");
	exc_disarm();
	report_cs("far.jmp.other_code");

	far_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "ljmp %0, $1f\n1:\n\tmov %%cs, %%eax\n\tmovl %%eax, far_cs\n\t"
			 "ljmp %1, $2f\n2:" TRY_END : : "i"(SEL_CONF), "i"(SEL_KCODE)
			 : "eax", "memory");
	exc_disarm();
	report_cs("far.jmp.conforming");
}

static void try_bad_jmp(const char *name, u16 sel)
{
	far_target.sel = sel;
	exc_clear();
	__asm__ volatile("movl $9f, far_target\n\t" TRY_BEGIN AT "ljmp *far_target" TRY_END
			 "ljmp %0, $1f\n1:" : : "i"(SEL_KCODE) : "memory");
	exc_disarm();
	report(name, "%s", exc_at());
}

static void check_jmp_refused(void)
{
	gdt[SEL_SPARE / 8] = gdt[SEL_KCODE / 8];
	gdt[SEL_SPARE / 8].hi &= ~DESC_P;
	reload_gdt(gdt, GDT_ENTRIES);
	try_bad_jmp("far.jmp.null", 0);
	try_bad_jmp("far.jmp.data", SEL_KDATA);
	try_bad_jmp("far.jmp.dpl3", SEL_UCODE & ~SEL_RPL_MASK);
	try_bad_jmp("far.jmp.np", SEL_SPARE);
	try_bad_jmp("far.jmp.beyond", SEL_BEYOND);
}

static void check_call(void)
{
	far_cs = far_pushed_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "lcall %0, $far_callee" TRY_END : : "i"(SEL_KCODE)
			 : "eax", "memory");
	exc_disarm();
	report_cs("far.call.ptr16_32");
	report("far.call.ptr16_32.pushed", "0x%04x", RPL0(far_pushed_cs));

	far_cs = far_pushed_cs = 0xDEAD;
	far_target.off = (u32)far_callee;
	far_target.sel = SEL_KCODE;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "lcall *far_target" TRY_END : : : "eax", "memory");
	exc_disarm();
	report_cs("far.call.m16_32");
	report("far.call.m16_32.pushed", "0x%04x", RPL0(far_pushed_cs));
}

static u32 ret_esp_delta __attribute__((used));

/* Each RET below runs with ECX holding ESP from before its pushes, so a
 * RET that faults leaves a stack the code after label 9 can put back. */
static void check_ret(void)
{
	far_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "pushl %0\n\tpushl $1f\n\t"
			 AT "lret\n1:\n\tmov %%cs, %%eax\n\tmovl %%eax, far_cs" TRY_END
			 "movl %%ecx, %%esp" : : "i"(SEL_KCODE) : "eax", "ecx", "memory");
	exc_disarm();
	report_cs("far.ret");

	far_cs = 0xDEAD;
	ret_esp_delta = 0xDEAD;
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "pushl $0x11\n\tpushl $0x22\n\t"
			 "pushl %0\n\tpushl $1f\n\t" AT "lret $8\n1:\n\t"
			 "mov %%cs, %%eax\n\tmovl %%eax, far_cs\n\t"
			 "movl %%ecx, %%eax\n\tsubl %%esp, %%eax\n\tmovl %%eax, ret_esp_delta"
			 TRY_END "movl %%ecx, %%esp" : : "i"(SEL_KCODE) : "eax", "ecx", "memory");
	exc_disarm();
	report_cs("far.ret.imm16");
	report("far.ret.imm16.esp", "%d", (int)ret_esp_delta);

	far_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "pushl %0\n\tpushl $1f\n\t"
			 AT "lret\n1:\n\tmov %%cs, %%eax\n\tmovl %%eax, far_cs\n\t"
			 "ljmp %1, $2f\n2:" TRY_END "movl %%ecx, %%esp"
			 : : "i"(SEL_CONF), "i"(SEL_KCODE) : "eax", "ecx", "memory");
	exc_disarm();
	report_cs("far.ret.conforming");
}

/* ---- 16-bit code: reached by a far JMP and by an o16 far RET ---- */

__asm__(".pushsection .text\n"
	".code16\n"
	"code16_stub:\n\t"
	"movw $0x1616, %ax\n\t"
	"ljmpl $0x08, $code16_back\n"
	".code32\n"
	".popsection");
extern char code16_stub[];

static u32 code16_ax __attribute__((used));

static __attribute__((noinline)) void code16_run(bool by_retw)
{
	code16_ax = 0;
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "xorl %%eax, %%eax\n\t"
			 "testl %0, %0\n\tjnz 1f\n\t"
			 "ljmp %1, $0\n"
			 "1:\n\tpushw %1\n\tpushw $0\n\tlretw\n"
			 "code16_back:\n\tmovl %%eax, code16_ax" TRY_END "movl %%ecx, %%esp"
			 : : "r"((u32)by_retw), "i"(SEL_CODE16) : "eax", "ecx", "memory");
	exc_disarm();
}

static void check_code16(void)
{
	gdt[SEL_CODE16 / 8] = seg_desc((u32)code16_stub, 0xFFFF, SEG_CODE | SEG_R | SEG_A, 0,
				       DESC_S | DESC_P);
	reload_gdt(gdt, GDT_ENTRIES);
	code16_run(false);
	report("far.jmp.code16", "%s", exc.vector != ~0u ? exc_str() : code16_ax == CODE16_AX ?
	       "ran" : "wrong");
	code16_run(true);
	report("far.retw.code16", "%s", exc.vector != ~0u ? exc_str() : code16_ax == CODE16_AX ?
	       "ran" : "wrong");
}

/* ---- execute-only code: jumping in is fine, reading through CS is not ---- */

static void check_xo(void)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN "ljmp %0, $1f\n1:\n\t" AT "movl %%cs:far_cs, %%eax" TRY_END
			 "ljmp %1, $2f\n2:" : : "i"(SEL_XO), "i"(SEL_KCODE) : "eax", "memory");
	exc_disarm();
	report("far.xo.read_cs", "%s", exc_at());
	exc_clear();
	__asm__ volatile(TRY_BEGIN "ljmp %0, $1f\n1:\n\t" AT "movl %%cs:far_cs, %%eax" TRY_END
			 : : "i"(SEL_KCODE) : "eax", "memory");
	exc_disarm();
	report("far.rx.read_cs", "%s", exc_at());
}

/* ---- privilege changes: a far RET out to ring 3, a call gate back in ---- */

static volatile u32 user_cs, user_ss, user_esp_ok __attribute__((used));

static void user_read_cs(void)
{
	u32 esp;
	user_cs = read_cs();
	user_ss = read_ss();
	__asm__ volatile("movl %%esp, %0" : "=r"(esp));
	user_esp_ok = esp > (u32)user_stack && esp <= (u32)user_stack + sizeof user_stack;
}

static void check_ret_outer(void)
{
	user_cs = user_ss = 0xDEAD;
	int r = run_user_lret(user_read_cs);
	report("far.ret.to_ring3", "%s", r ? exc_str() : "ok");
	report("far.ret.to_ring3.cs", "0x%04x", user_cs);
	report("far.ret.to_ring3.ss", "0x%04x", user_ss);
	report("far.ret.to_ring3.esp", "%s", user_esp_ok ? "user_stack" : "other");
}

static volatile u32 gate_cs, gate_ss, gate_frame[5], gate_back __attribute__((used));

/* The ring-0 side of the call gate: what the CPU set up, then back. */
__asm__(".pushsection .text\n"
	"gate_target:\n\t"
	"mov %cs, %eax\n\tmovl %eax, gate_cs\n\t"
	"mov %ss, %eax\n\tmovl %eax, gate_ss\n\t"
	"movl 0(%esp), %eax\n\tmovl %eax, gate_frame\n\t"
	"movl 4(%esp), %eax\n\tmovl %eax, gate_frame+4\n\t"
	"movl 8(%esp), %eax\n\tmovl %eax, gate_frame+8\n\t"
	"movl 12(%esp), %eax\n\tmovl %eax, gate_frame+12\n\t"
	"movl 16(%esp), %eax\n\tmovl %eax, gate_frame+16\n\t"
	"lret $4\n"
	".popsection");
extern void gate_target(void);

static void user_call_gate(void)
{
	__asm__ volatile("pushl %0\n\tlcall %1, $0\n\tmovl $1, gate_back"
			 : : "i"(GATE_PARAM), "i"(SEL_SPARE | 3) : "eax", "memory");
}

static void check_call_gate(void)
{
	u32 off = (u32)gate_target;
	gdt[SEL_SPARE / 8].lo = (off & 0xFFFF) | (u32)SEL_KCODE << 16;
	gdt[SEL_SPARE / 8].hi = (off & 0xFFFF0000) | DESC_P | 3u << DESC_DPL_SHIFT |
				SYS_CALL32 << DESC_TYPE_SHIFT | 1;     /* one parameter */
	reload_gdt(gdt, GDT_ENTRIES);
	gate_back = 0;
	int r = run_user(user_call_gate, 0);
	report("far.callgate", "%s", r ? exc_str() : gate_back ? "returned" : "lost");
	report("far.callgate.cs", "0x%04x", RPL0(gate_cs));
	report("far.callgate.ss", "0x%04x", RPL0(gate_ss));
	report("far.callgate.frame.cs", "0x%04x", gate_frame[1] & 0xFFFF);
	report("far.callgate.frame.param", "0x%08x", gate_frame[2]);
	report("far.callgate.frame.ss", "0x%04x", gate_frame[4] & 0xFFFF);
}

/* ---- more call gates: same ring, JMP, and the gate's own checks ---- */

#define SEL_GATE_K   (SEL_SPARE + 8)    /* DPL 0, to far_callee */
#define SEL_GATE_NP  (SEL_SPARE + 16)   /* DPL 3, not present */
#define SEL_GATE_J   (SEL_SPARE + 24)   /* DPL 3, to gate_jmp_target */

static struct segdesc call_gate(void (*fn)(void), unsigned dpl, bool present)
{
	struct segdesc g = gate_desc(fn, SEL_KCODE, SYS_CALL32, dpl);
	if (!present)
		g.hi &= ~DESC_P;
	return g;
}

/* Where JMP through SEL_GATE_J lands: records CS, jumps back. */
__asm__(".pushsection .text\n"
	"gate_jmp_target:\n\t"
	"mov %cs, %eax\n\tmovl %eax, far_cs\n\t"
	"jmp gate_jmp_back\n"
	".popsection");
extern void gate_jmp_target(void);

static void install_gates(void)
{
	gdt[SEL_GATE_K / 8] = call_gate(far_callee, 0, true);
	gdt[SEL_GATE_NP / 8] = call_gate(far_callee, 3, false);
	gdt[SEL_GATE_J / 8] = call_gate(gate_jmp_target, 3, true);
	reload_gdt(gdt, GDT_ENTRIES);
}

/* Ring 0 through a gate to ring 0: no stack switch, the CS pushed is the
 * caller's as it is (RPL 0); JMP through a gate lands on the gate's
 * offset, whatever the instruction's. */
static __attribute__((noinline)) void check_gate_same_ring(void)
{
	install_gates();
	far_cs = far_pushed_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "lcall %0, $0x1234" TRY_END : : "i"(SEL_GATE_K)
			 : "eax", "memory");
	exc_disarm();
	report_cs("far.callgate.ring0");
	report("far.callgate.ring0.pushed", "0x%04x", far_pushed_cs & 0xFFFF);

	far_cs = 0xDEAD;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "ljmp %0, $0x1234\n"
			 "gate_jmp_back:" TRY_END : : "i"(SEL_GATE_J) : "eax", "memory");
	exc_disarm();
	report_cs("far.callgate.jmp");
}

static void user_call_gate_k(void)
{
	__asm__ volatile("lcall %0, $0" : : "i"(SEL_GATE_K | 3) : "memory");
}

static void user_call_gate_np(void)
{
	__asm__ volatile("lcall %0, $0" : : "i"(SEL_GATE_NP | 3) : "memory");
}

static void user_jmp_gate(void)
{
	__asm__ volatile("ljmp %0, $0" : : "i"(SEL_GATE_J | 3) : "memory");
}

/* From ring 3: a DPL-0 gate is #GP(gate), an absent one #NP(gate), and a
 * JMP through a gate to ring-0 code #GP(target): JMP never changes
 * privilege.  LSL and VERR refuse a gate (ZF clear). */
static void check_gate_refused(void)
{
	u32 lim = 0;
	u8 ok;

	install_gates();
	int r = run_user(user_call_gate_k, 0);
	report("far.callgate.dpl0_from_ring3", "%s", r ? exc_str() : "ok");
	r = run_user(user_call_gate_np, 0);
	report("far.callgate.np", "%s", r ? exc_str() : "ok");
	r = run_user(user_jmp_gate, 0);
	report("far.callgate.jmp_from_ring3", "%s", r ? exc_str() : "ok");
	__asm__ volatile("lsl %2, %0\n\tsetz %1" : "+r"(lim), "=q"(ok) : "r"((u32)SEL_GATE_J)
			 : "cc");
	report("far.callgate.lsl", "%u", ok);
	__asm__ volatile("verr %w1\n\tsetz %0" : "=q"(ok) : "r"((u32)SEL_GATE_J) : "cc");
	report("far.callgate.verr", "%u", ok);
}

/* From ring 3: a conforming segment runs at CPL 3; a DPL-0 one refuses. */
static volatile u32 conf_cs __attribute__((used));

static void user_conforming(void)
{
	__asm__ volatile("ljmp %0, $1f\n1:\n\tmov %%cs, %%eax\n\tmovl %%eax, conf_cs\n\t"
			 "ljmp %1, $2f\n2:" : : "i"(SEL_CONF), "i"(SEL_UCODE) : "eax", "memory");
}

static void user_jmp_kcode(void)
{
	__asm__ volatile("ljmp %0, $1f\n1:" : : "i"(SEL_KCODE) : "memory");
}

static void check_ring3_targets(void)
{
	conf_cs = 0xDEAD;
	int r = run_user(user_conforming, 0);
	report("far.ring3.conforming", "%s", r ? exc_str() : "ok");
	report("far.ring3.conforming.cs", "0x%04x", conf_cs);
	r = run_user(user_jmp_kcode, 0);
	report("far.ring3.kcode", "%s", r ? exc_str() : "ok");
}

static const struct check checks[] = {
	{ "far.jmp", check_jmp },
	{ "far.jmp_refused", check_jmp_refused },
	{ "far.call", check_call },
	{ "far.ret", check_ret },
	{ "far.code16", check_code16 },
	{ "far.xo", check_xo },
	{ "far.ret_outer", check_ret_outer },
	{ "far.ring3_targets", check_ring3_targets },
	{ "far.call_gate", check_call_gate },
	{ "far.call_gate_same_ring", check_gate_same_ring },
	{ "far.call_gate_refused", check_gate_refused },
};

SECTION(sec_far, "far", "far JMP, CALL, RET: CS loads, call gates, rings", checks);
