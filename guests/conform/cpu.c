/*
 * cpu.c - the guest's descriptor tables, its one trap handler, ring-3
 * excursions, and the reset every check starts from.
 *
 * Mechanism: the CPU finds the handler of vector n in the IDT; a check
 * that expects an exception arms catch_eip, and trap() records what the
 * CPU pushed (vector, error code, EIP, CS, EFLAGS, and from ring 3 SS:ESP)
 * in exc and resumes at catch_eip.  An exception no check armed for aborts
 * the check with an "aborted" line, so one surprise does not take the rest
 * of the run with it.  Ring-3 code runs through run_user(): an IRET to
 * ring 3 with a setjmp() waiting in ring 0, and INT V_USER_EXIT (a DPL-3
 * gate) or an uncaught exception longjmp()s back.
 *
 * The reset (cpu_reset) reloads every table from its template, so a check
 * may edit descriptors, gates, CR0/CR4 and paging freely.
 */
#include "conform.h"
#include "lib/fmt.h"
#include "lib/mem.h"

extern void (*vectors[IDT_ENTRIES])(void);
extern void iret_only(void);
extern void enter_user(void (*fn)(void), u32 esp, u32 eflags) __attribute__((noreturn));
extern void enter_user_lret(void (*fn)(void), u32 esp) __attribute__((noreturn));

u8 test_area[4 * PGSIZE] __attribute__((aligned(PGSIZE)));
u8 ss16_area[0x10000] __attribute__((aligned(PGSIZE)));
u8 user_stack[8192] __attribute__((aligned(16)));
u8 kstack0[8192] __attribute__((aligned(16)));
/* The GDT alone on its page: a monitor that follows writes to it (to see
 * descriptors edited after LGDT) then sees only those, as a kernel that
 * keeps its GDT apart lets it (minios does the same with its TSS). */
struct segdesc gdt[GDT_ENTRIES] __attribute__((aligned(4096), section(".bss.page")));
struct segdesc gdt_template[GDT_ENTRIES];
struct segdesc idt[IDT_ENTRIES] __attribute__((aligned(8)));
struct segdesc ldt_table[4] __attribute__((aligned(8)));
struct tss tss __attribute__((aligned(128))), tss2 __attribute__((aligned(128)));

volatile struct exc_record exc;
volatile u32 catch_eip;
volatile int exc_resume;
void (*volatile exc_hook)(struct frame *f);

static struct jmpbuf user_ctx;

/* ---- descriptors ---- */

struct segdesc seg_desc(u32 base, u32 limit, unsigned type, unsigned dpl, u32 flags)
{
	struct segdesc d;
	d.lo = (limit & 0xFFFF) | (base & 0xFFFF) << 16;
	d.hi = ((base >> 16) & 0xFF) | type << DESC_TYPE_SHIFT | dpl << DESC_DPL_SHIFT | flags |
	       (limit & 0xF0000) | (base & 0xFF000000);
	return d;
}

struct segdesc gate_desc(void (*handler)(void), u16 sel, unsigned type, unsigned dpl)
{
	u32 off = (u32)handler;
	struct segdesc d;
	d.lo = (off & 0xFFFF) | (u32)sel << 16;
	d.hi = (off & 0xFFFF0000) | DESC_P | dpl << DESC_DPL_SHIFT | type << DESC_TYPE_SHIFT;
	return d;
}

void set_gate(unsigned vector, void (*handler)(void), unsigned type, unsigned dpl)
{
	idt[vector] = gate_desc(handler, SEL_KCODE, type, dpl);
}

#define FLAT_4G   0xFFFFF
#define CODE32    (DESC_S | DESC_P | DESC_DB | DESC_G)
#define DATA32    (DESC_S | DESC_P | DESC_DB | DESC_G)

static void gdt_template_init(void)
{
	struct segdesc *t = gdt_template;
	unsigned rx = SEG_CODE | SEG_R | SEG_A, rw = SEG_W | SEG_A;

	memset(t, 0, sizeof gdt_template);
	t[SEL_KCODE / 8] = seg_desc(0, FLAT_4G, rx, 0, CODE32);
	t[SEL_KDATA / 8] = seg_desc(0, FLAT_4G, rw, 0, DATA32);
	t[SEL_UCODE / 8] = seg_desc(0, FLAT_4G, rx, 3, CODE32);
	t[SEL_UDATA / 8] = seg_desc(0, FLAT_4G, rw, 3, DATA32);
	t[SEL_TSS / 8] = seg_desc((u32)&tss, sizeof tss - 1, SYS_TSS32A, 0, DESC_P);
	t[SEL_TSS2 / 8] = seg_desc((u32)&tss2, sizeof tss2 - 1, SYS_TSS32A, 0, DESC_P);
	t[SEL_TDATA / 8] = seg_desc((u32)test_area, 0xFFF, rw, 0, DESC_S | DESC_P | DESC_DB);
	t[SEL_EXPDN / 8] = seg_desc((u32)test_area, 0xFFF, rw | SEG_E, 0, DESC_S | DESC_P);
	t[SEL_SS16 / 8] = seg_desc((u32)ss16_area, 0xFFFF, rw, 0, DESC_S | DESC_P);
	t[SEL_NP / 8] = seg_desc(0, FLAT_4G, rw, 0, DESC_S | DESC_DB | DESC_G);
	t[SEL_XO / 8] = seg_desc(0, FLAT_4G, SEG_CODE | SEG_A, 0, CODE32);
	t[SEL_RO / 8] = seg_desc(0, FLAT_4G, SEG_A, 0, DATA32);
	t[SEL_CONF / 8] = seg_desc(0, FLAT_4G, rx | SEG_C, 0, CODE32);
	t[SEL_KDATA_A0 / 8] = seg_desc(0, FLAT_4G, SEG_W, 0, DATA32);
	t[SEL_KCODE_A0 / 8] = seg_desc(0, FLAT_4G, SEG_CODE | SEG_R, 0, CODE32);
	t[SEL_LDT / 8] = seg_desc((u32)ldt_table, sizeof ldt_table - 1, SYS_LDT, 0, DESC_P);
	t[SEL_DPL1 / 8] = seg_desc(0, FLAT_4G, rw, 1, DATA32);
	t[SEL_CODE16 / 8] = seg_desc(0, FLAT_4G, rx, 0, DESC_S | DESC_P | DESC_G);
	t[SEL_UDATA_A0 / 8] = seg_desc(0, FLAT_4G, SEG_W, 3, DATA32);
}

void reload_gdt(struct segdesc *table, unsigned entries)
{
	struct dtr d = { (u16)(entries * 8 - 1), (u32)table };
	lgdt(&d);
}

void reload_segments(void)
{
	__asm__ volatile("ljmp %0, $1f\n1:\n\t"
			 "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%fs\n\t"
			 "mov %1, %%gs\n\tmov %1, %%ss"
			 : : "i"(SEL_KCODE), "r"((u32)SEL_KDATA) : "memory");
}

static void idt_build(void)
{
	for (unsigned i = 0; i < IDT_ENTRIES; i++)
		set_gate(i, vectors[i], SYS_INT32, 0);
	/* INT3 and INTO are meant for user code: DPL 3, as Linux sets them */
	set_gate(T_BP, vectors[T_BP], SYS_INT32, 3);
	set_gate(T_OF, vectors[T_OF], SYS_INT32, 3);
	set_gate(V_USER_GATE, vectors[V_USER_GATE], SYS_TRAP32, 3);
	set_gate(V_USER_EXIT, vectors[V_USER_EXIT], SYS_INT32, 3);
	set_gate(V_KERNEL_GATE, vectors[V_KERNEL_GATE], SYS_INT32, 0);
	set_gate(V_NP_GATE, vectors[V_NP_GATE], SYS_INT32, 3);
	idt[V_NP_GATE].hi &= ~DESC_P;
	set_gate(V_TRAP_GATE, vectors[V_TRAP_GATE], SYS_TRAP32, 0);
	set_gate(V_PROBE, vectors[V_PROBE], SYS_INT32, 0);
	set_gate(V_IRET_ONLY, iret_only, SYS_INT32, 0);
}

/* ---- the state each check starts from ---- */

void cpu_reset(void)
{
	cli();
	ldr7(0);
	lcr0(CR0_PE | CR0_ET | CR0_NE);
	lcr4(0);
	memcpy(gdt, gdt_template, sizeof gdt);
	reload_gdt(gdt, GDT_ENTRIES);
	reload_segments();
	idt_build();
	struct dtr d = { sizeof idt - 1, (u32)idt };
	lidt(&d);
	memset(&tss, 0, sizeof tss);
	tss.esp0 = (u32)kstack0 + sizeof kstack0;
	tss.ss0 = SEL_KDATA;
	tss.iomap = sizeof tss;         /* no I/O bitmap: IOPL alone decides */
	tss2 = tss;
	ltr(SEL_TSS);
	lldt(0);
	write_eflags(FL_RSVD1);
	exc_resume = 0;
	exc_hook = 0;
	exc_clear();
	pic_mask_all();
}

/* ---- exceptions ---- */

static bool has_err_code(u32 v)
{
	return v == T_DF || (v >= T_TS && v <= T_PF) || v == T_AC;
}

void exc_clear(void)
{
	catch_eip = 0;
	memset((void *)&exc, 0, sizeof exc);
	exc.vector = ~0u;
}

void exc_disarm(void)
{
	catch_eip = 0;
}

static const char *const exc_names[] = {
	"de", "db", "nmi", "bp", "of", "br", "ud", "nm", "df", "cso", "ts", "np", "ss", "gp",
	"pf", "v15", "mf", "ac", "mc", "xm",
};

const char *vec_str(u32 vector, u32 err)
{
	static char buf[32];

	if (vector == ~0u)
		return "none";
	const char *n = vector < sizeof exc_names / sizeof exc_names[0] ? exc_names[vector] : 0;
	if (!n) {
		fmt_snprintf(buf, sizeof buf, "v%u", vector);
		return buf;
	}
	if (!has_err_code(vector))
		return n;
	fmt_snprintf(buf, sizeof buf, "%s/0x%04x", n, err);
	return buf;
}

const char *exc_str(void)
{
	return vec_str(exc.vector, exc.err);
}

static void record(struct frame *f)
{
	bool user = (f->cs & SEL_RPL_MASK) == 3;

	exc.count++;
	exc.vector = f->vector;
	exc.err = has_err_code(f->vector) ? f->err : 0;
	exc.eip = f->eip;
	exc.cs = f->cs & 0xFFFF;
	exc.eflags = f->eflags;
	exc.esp = user ? f->esp : (u32)&f->esp;
	exc.ss = user ? f->ss & 0xFFFF : read_ss();
	if (f->vector == T_PF)
		exc.cr2 = rcr2();
	if (f->vector == T_DB)
		exc.dr6 = rdr6();
}

static void irq_default(struct frame *f)
{
	unsigned irq = f->vector - IRQ_BASE;
	pic_eoi(irq);
}

void trap(struct frame *f)
{
	if (exc_hook)
		exc_hook(f);
	else
		trap_default(f);
}

void trap_default(struct frame *f)
{
	bool user = (f->cs & SEL_RPL_MASK) == 3;

	if (f->vector >= IRQ_BASE && f->vector < IRQ_BASE + 16) {
		irq_default(f);
		return;
	}
	if (user && f->vector == V_USER_EXIT)
		longjmp(&user_ctx, 1);
	record(f);
	if (catch_eip) {
		f->eip = catch_eip;
		f->eflags &= ~FL_TF;
		catch_eip = 0;
		return;
	}
	if (exc_resume) {
		f->eflags &= ~FL_TF;
		return;
	}
	if (user)
		longjmp(&user_ctx, 2);
	check_abort(f);
}

/* ---- ring 3 ---- */

static int run_user_by(void (*fn)(void), u32 eflags, bool lret)
{
	int r = setjmp(&user_ctx);
	if (r == 0 && lret)
		enter_user_lret(fn, (u32)user_stack + sizeof user_stack);
	if (r == 0)
		enter_user(fn, (u32)user_stack + sizeof user_stack, eflags);
	__asm__ volatile("mov %0, %%fs\n\tmov %0, %%gs" : : "r"((u32)SEL_KDATA));
	return r - 1;
}

int run_user(void (*fn)(void), u32 eflags)
{
	return run_user_by(fn, eflags, false);
}

int run_user_lret(void (*fn)(void))
{
	return run_user_by(fn, 0, true);
}

/* ---- CPU facts ---- */

u32 cpuid_edx(u32 leaf)
{
	u32 a, b, c, d, max;
	cpuid(leaf & 0x80000000u, &max, &b, &c, &d);
	if (leaf > max)
		return 0;
	cpuid(leaf, &a, &b, &c, &d);
	return d;
}

bool has_x87(void)
{
	return (cpuid_edx(1) & CPUID_FPU) != 0;
}

/* ---- paging ---- */

u32 pg_dir[1024] __attribute__((aligned(PGSIZE)));
u32 pg_tables[IDMAP_MB / 4][1024] __attribute__((aligned(PGSIZE)));

void pg_build(void)
{
	memset(pg_dir, 0, sizeof pg_dir);
	for (u32 t = 0; t < IDMAP_MB / 4; t++) {
		for (u32 i = 0; i < 1024; i++)
			pg_tables[t][i] = (t << 22 | i << 12) | PTE_P | PTE_W | PTE_U;
		pg_dir[t] = (u32)pg_tables[t] | PTE_P | PTE_W | PTE_U;
	}
}

void pg_on(u32 cr4_extra)
{
	lcr4(rcr4() | cr4_extra);
	lcr3((u32)pg_dir);
	lcr0(rcr0() | CR0_PG);
}

void pg_off(void)
{
	lcr0(rcr0() & ~CR0_PG);
}

/* ---- PIC and PIT ---- */

#define PIC1_CMD   0x20
#define PIC1_DATA  0x21
#define PIC2_CMD   0xA0
#define PIC2_DATA  0xA1
#define PIC_EOI    0x20
#define PIT_CH0    0x40
#define PIT_CMD    0x43

void pic_remap(void)
{
	outb(PIC1_CMD, 0x11);           /* ICW1: edge, cascade, ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, IRQ_BASE);      /* ICW2: vector base */
	outb(PIC2_DATA, IRQ_BASE + 8);
	outb(PIC1_DATA, 0x04);          /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);          /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	pic_mask_all();
}

void pic_mask_all(void)
{
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

void pit_start(void)
{
	outb(PIT_CMD, 0x34);            /* channel 0, lo/hi, mode 2, binary */
	outb(PIT_CH0, PIT_PERIOD & 0xFF);
	outb(PIT_CH0, PIT_PERIOD >> 8);
}

static u16 pit_count(void)
{
	outb(PIT_CMD, 0x00);            /* latch channel 0 */
	u8 lo = inb(PIT_CH0);
	u8 hi = inb(PIT_CH0);
	return (u16)(lo | hi << 8);
}

#define PIT_POLL_MAX  200000u
#define PIT_POLL_GAP  1000u     /* spins between reads: far below a period */

/* Between two reads the guest spins without touching a port, so that
 * under a monitor (where each PIT access is a trap) the wait costs a few
 * traps per period rather than thousands. */
void pit_wait_periods(unsigned n)
{
	u16 prev = pit_count();
	for (u32 i = 0; n > 0 && i < PIT_POLL_MAX; i++) {
		for (volatile u32 k = 0; k < PIT_POLL_GAP; k++)
			;
		u16 cur = pit_count();
		if (cur > prev)
			n--;
		prev = cur;
	}
}

/* ---- once per boot ---- */

volatile u32 at_eip;

const char *exc_at(void)
{
	static char buf[48];
	if (exc.vector == ~0u)
		return "none";
	fmt_snprintf(buf, sizeof buf, "%s@+%d", exc_str(), (int)(exc.eip - at_eip));
	return buf;
}

void cpu_init(void)
{
	gdt_template_init();
	cpu_reset();
	pic_remap();
	if (has_x87())
		__asm__ volatile("fninit");
}
