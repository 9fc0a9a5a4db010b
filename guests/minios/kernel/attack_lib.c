/*
 * attack_lib.c - the catcher, the attack GDT, the gates and the user page
 * the attack modes share (attack_lib.h says what each is for).
 *
 * Mechanism: trap() calls trap_hook first.  Ours does two things:
 *  - armed by attack_catch(), it takes the first exception (vectors 0-31)
 *    or test INT (VEC_TEST_FIRST..LAST), records it in 'caught' and
 *    rewrites the frame so that the handler's IRET lands at catch_resume
 *    in the kernel's code segment with the interrupt flag the attempt
 *    started with and TF, NT, VM, AC and IOPL clear: the same-ring IRET
 *    pops EIP, CS and EFLAGS only, and catch_resume reloads the kernel's
 *    stack.  That works from ring 0, 1 (a monitor's), 2, 3 and vm86.
 *  - on IRQ 0, the rep_stop rule: a REP instruction the timer interrupted
 *    at rep_stop.eip gets ECX = 0 after enough ticks, so it ends there.
 *    The CPU lets interrupts in between iterations (EIP still at the REP,
 *    ECX counting down), so on bare hardware this always works.
 * A trip to another ring traps back into the kernel on the TSS's
 * ss0:esp0; attack_catch() points esp0 at a stack of its own meanwhile,
 * since the kernel thread's own stack top is live.
 */
#include "attack_lib.h"
#include "gdt.h"
#include "vm.h"
#include "pic.h"
#include "intr.h"
#include "x86.h"
#include "console.h"

#define XSTACK_SIZE 8192
#define R2STACK_SIZE 4096
#define STACK16_SIZE 0x10000
#define CAL_TICKS 10                  /* timer periods to calibrate the TSC over */

volatile struct catch_rec caught;
struct rep_stop rep_stop;
struct segdesc agdt[NAGDT];
int (*attack_hook)(struct trapframe *tf);
static volatile u32 catch_armed;
static u32 catch_if;
static u8 xstack[XSTACK_SIZE] __attribute__((aligned(16)));
static u8 r2stack[R2STACK_SIZE] __attribute__((aligned(16)));
u8 stack16_buf[STACK16_SIZE] __attribute__((aligned(16)));

int catch_call(void (*fn)(u32), u32 arg);
extern u8 catch_resume[];

static int catchable(u32 v)
{
	return v < 32 || (v >= VEC_TEST_FIRST && v <= VEC_TEST_LAST);
}

static void rep_stop_tick(struct trapframe *tf)
{
	if (!rep_stop.armed || ticks + 1 - rep_stop.start < rep_stop.after ||
	    tf->eip != rep_stop.eip)
		return;
	rep_stop.ecx_left = tf->ecx;
	tf->ecx = 0;
	rep_stop.fired = 1;
	rep_stop.armed = 0;
}

static int attack_trap(struct trapframe *tf)
{
	if (attack_hook && attack_hook(tf))
		return 1;
	if (tf->trapno == T_IRQ0 + IRQ_TIMER)
		rep_stop_tick(tf);
	if (!catch_armed || !catchable(tf->trapno))
		return 0;
	catch_armed = 0;
	caught = (struct catch_rec){
		.vector = tf->trapno, .err = tf->err, .eip = tf->eip, .cs = tf->cs,
		.eflags = tf->eflags, .cr2 = tf->trapno == T_PF ? rcr2() : 0,
		.eax = tf->eax, .ebx = tf->ebx, .ecx = tf->ecx, .edx = tf->edx,
		.esp = tf->esp,
	};
	tf->eip = (u32)catch_resume;
	tf->cs = SEL_KCODE;
	tf->eflags = (tf->eflags & ~(FL_TF | FL_NT | FL_VM | FL_AC | FL_IF | FL_IOPL)) |
		     (catch_if ? FL_IF : 0);
	return 1;
}

int attack_catch(void (*fn)(u32), u32 arg)
{
	u32 esp0 = tss.esp0;

	caught = (struct catch_rec){ 0 };
	catch_if = intr_on;
	tss.esp0 = (u32)xstack + XSTACK_SIZE;
	catch_armed = 1;
	int trapped = catch_call(fn, arg);
	catch_armed = 0;
	tss.esp0 = esp0;
	if (trapped)
		intr_on = catch_if;
	return trapped;
}

void report_catch(const char *what, int trapped)
{
	if (!trapped)
		kprintf("attack: %s: no fault\n", what);
	else if (caught.vector == T_PF)
		kprintf("attack: %s: vector %u, err 0x%x, cr2 0x%x\n", what, caught.vector,
			caught.err, caught.cr2);
	else
		kprintf("attack: %s: vector %u, err 0x%x\n", what, caught.vector, caught.err);
}

int try_report(const char *what, void (*fn)(u32), u32 arg)
{
	int t = attack_catch(fn, arg);
	report_catch(what, t);
	return t;
}

void load_fs(u32 sel)
{
	__asm__ volatile("movw %w0, %%fs" : : "r"(sel) : "memory");
}

void far_call(u32 sel)
{
	struct {
		u32 off;
		u16 sel;
	} __attribute__((packed)) fp = { 0, (u16)sel };
	__asm__ volatile("lcall *%0" : : "m"(fp) : "memory");
}

/* TSC cycles per timer period, measured over CAL_TICKS periods (the
 * timer must be running and interrupts on). */
u64 tsc_per_tick(void)
{
	u32 t = ticks;
	while (ticks == t)
		;
	u64 a = rdtsc();
	t = ticks;
	while (ticks - t < CAL_TICKS)
		;
	return (rdtsc() - a) / CAL_TICKS;
}

u32 ring2_stack_top(void)
{
	return (u32)r2stack + R2STACK_SIZE;
}

struct segdesc gate_desc(u32 offset, u16 sel, int type, int dpl)
{
	struct segdesc g;
	g.lo = (offset & 0xFFFF) | ((u32)sel << 16);
	g.hi = (offset & 0xFFFF0000) | SEG_P | ((u32)dpl << 13) | ((u32)type << 8);
	return g;
}

void attack_set_gate(int vec, u32 handler, int type, int dpl, u16 sel)
{
	set_gate(vec, handler, type, dpl);
	idt[vec].sel = sel;
}

void agdt_reload(void)
{
	int s = intr_save();
	gdt_load(agdt, NAGDT);
	intr_restore(s);
}

static void agdt_init(void)
{
	for (int i = 0; i < NSEGS; i++)
		agdt[i] = gdt[i];
	agdt[AGDT_R2CODE] = seg_make(0, 0xFFFFFFFF, STA_X | STA_R, 2, 0);
	agdt[AGDT_R2DATA] = seg_make(0, 0xFFFFFFFF, STA_W, 2, 0);
	/* 64 KB, byte granular, B=0: PUSH and POP move SP, not ESP */
	agdt[AGDT_STACK16].lo = 0xFFFF | (((u32)stack16_buf & 0xFFFF) << 16);
	agdt[AGDT_STACK16].hi = (((u32)stack16_buf >> 16) & 0xFF) | (STA_W << 8) | (1u << 12) |
				SEG_P | ((u32)stack16_buf & 0xFF000000);
	agdt_reload();
}

/* The ring-3 snippets on a user page, with a user stack page above. */
void attack_user_map(void)
{
	u8 *code = page_alloc(), *stack = page_alloc();
	if (!code || !stack || vm_map(kpgdir, ATK_UVA, V2P(code), PTE_W | PTE_U) < 0 ||
	    vm_map(kpgdir, ATK_UVA + PGSIZE, V2P(stack), PTE_W | PTE_U) < 0)
		panic("attack: no memory for the user page");
	for (u32 i = 0; i < (u32)(attack_user_end - attack_user_start); i++)
		code[i] = attack_user_start[i];
}

void attack_setup(void)
{
	agdt_init();
	attack_set_gate(VEC_DPL1, vectors[VEC_DPL1], STS_IG32, 1, SEL_KCODE);
	attack_set_gate(VEC_DPL2, vectors[VEC_DPL2], STS_IG32, 2, SEL_KCODE);
	attack_set_gate(VEC_HOME, vectors[VEC_HOME], STS_IG32, DPL_USER, SEL_KCODE);
	attack_set_gate(VEC_DPL3, vectors[VEC_DPL3], STS_IG32, DPL_USER, SEL_KCODE);
	attack_user_map();
	trap_hook = attack_trap;
}
