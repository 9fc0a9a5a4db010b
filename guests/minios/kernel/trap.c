/*
 * trap.c - the IDT and the one dispatcher every trap goes through.
 *
 * Mechanism: the IDT maps each vector to a gate.  Exceptions use trap gates
 * (IF unchanged, so a fault taken with interrupts on keeps them on); IRQs
 * use interrupt gates (IF cleared on entry: the handler runs with interrupts
 * off until it returns); INT 0x80 is a trap gate with DPL 3 so ring 3 may
 * raise it.  All other vectors are DPL 0: ring 3 raising them gets #GP.
 *
 * trap() decides, per trap: system call, IRQ, an exception minios can fix
 * (demand-zero, copy-on-write), an exception that kills the user process,
 * a kernel-mode exception a test is probing for, or a kernel bug (panic).
 * A timer tick that interrupted ring 3 preempts the process.
 */
#include "trap.h"
#include "proc.h"
#include "vm.h"
#include "pic.h"
#include "intr.h"
#include "x86.h"
#include "console.h"
#include "syscall.h"

struct gatedesc idt[NIDT] PAGE_ALONE;     /* see gdt.c */
volatile u32 ticks;
volatile u32 probe_resume;
volatile struct probe_info probe_info;
struct trapframe *last_user_trapframe;
volatile int pic_isr_probe;
volatile u8 pic_isr_before, pic_isr_after;
int (*trap_hook)(struct trapframe *tf);

void set_gate(int vec, u32 handler, int type, int dpl)
{
	idt[vec] = (struct gatedesc){
		.off_lo = (u16)handler, .sel = SEL(SEG_KCODE, 0),
		.type_attr = (u8)(0x80 | (dpl << 5) | type), .off_hi = (u16)(handler >> 16),
	};
}

void idt_load(void)
{
	struct dtr d = { sizeof idt - 1, (u32)idt };
	lidt(&d);
}

void trap_copy_idt(struct gatedesc *dst)
{
	for (int v = 0; v < NIDT; v++)
		dst[v] = idt[v];
}

void trap_init(void)
{
	for (int v = 0; v < NIDT; v++) {
		int is_irq = v >= T_IRQ0 && v < T_IRQ0 + 16;
		set_gate(v, vectors[v], is_irq ? STS_IG32 : STS_TG32, 0);
	}
	set_gate(T_SYSCALL, vectors[T_SYSCALL], STS_TG32, DPL_USER);
	idt_load();
}

static int is_irq(u32 v)
{
	return v >= T_IRQ0 && v < T_IRQ0 + 16;
}

static void timer_tick(void)
{
	ticks++;
	wakeup((const void *)&ticks);
	if (pic_isr_probe) {
		pic_isr_before = pic_read_isr();
		pic_eoi(IRQ_TIMER);
		pic_isr_after = pic_read_isr();
		pic_isr_probe = 0;
		return;
	}
	pic_eoi(IRQ_TIMER);
}

static void irq(u32 n)
{
	if (n == IRQ_TIMER) {
		timer_tick();
		return;
	}
	if (n == IRQ_SPURIOUS_MASTER && !(pic_read_isr() & (1 << 7)))
		return;         /* spurious: no EOI */
	pic_eoi((int)n);
}

/* An exception in kernel mode: fix a user page for copyin/out, let a
 * probing test catch it, or panic. */
static void kernel_exception(struct trapframe *tf)
{
	u32 cr2 = tf->trapno == T_PF ? rcr2() : 0;

	if (tf->trapno == T_PF && cr2 < KERNBASE && vm_fault(curproc, cr2, tf->err) == 0)
		return;
	if (probe_resume) {
		probe_info = (struct probe_info){ tf->trapno, tf->err, cr2, tf->eip,
						  probe_info.count + 1 };
		tf->eip = probe_resume;
		return;
	}
	panic("kernel trap %u at eip 0x%x, err 0x%x, cr2 0x%x", tf->trapno, tf->eip,
	      tf->err, cr2);
}

static void user_exception(struct trapframe *tf)
{
	u32 cr2 = tf->trapno == T_PF ? rcr2() : 0;

	if (tf->trapno == T_PF && vm_fault(curproc, cr2, tf->err) == 0)
		return;
	proc_fault_kill(tf, cr2);
}

void trap(struct trapframe *tf)
{
	int from_user = (tf->cs & 3) == DPL_USER;

	intr_on = is_irq(tf->trapno) ? 0 : (tf->eflags & FL_IF) != 0;
	if (trap_hook && trap_hook(tf)) {
		intr_on = (tf->eflags & FL_IF) != 0;
		return;
	}
	if (from_user) {
		last_user_trapframe = tf;
		curproc->tf = tf;
	}
	if (tf->trapno == T_SYSCALL)
		tf->eax = (u32)syscall(tf);
	else if (is_irq(tf->trapno))
		irq(tf->trapno - T_IRQ0);
	else if (from_user)
		user_exception(tf);
	else
		kernel_exception(tf);

	if (from_user && curproc->killed)
		proc_exit(WSTAT_KILLED);
	if (from_user && tf->trapno == T_IRQ0 + IRQ_TIMER)
		yield();
	intr_on = (tf->eflags & FL_IF) != 0;
}
