/*
 * tables.c - the tester's descriptor tables: GDT, LDT, IDT, two TSSs, and
 * putting them back after a sequence.
 *
 * Mechanism: a segment load reads the descriptor from the table in memory
 * and sets its accessed bit there; LTR sets the busy bit of the TSS
 * descriptor; LGDT, LLDT, LIDT and LTR change the registers the CPU finds
 * the tables through.  A sequence may do any of these.  The reference
 * copies are taken once, after the first loads (so the entries the
 * runner itself loads have A set, and the TSS is busy), and after each
 * sequence every entry that differs is written back, the registers a
 * sequence touched are reloaded, and the segment registers are reloaded
 * (which leaves the tables as the reference again).
 *
 * The observation is the entries that differ from the reference, before
 * they are put back: accessed and busy bits the CPU (or the monitor)
 * wrote.  Writing back only what differs keeps the number of writes to a
 * page the monitor watches down to what the sequence caused.
 */
#include "difftest.h"
#include "lib/mem.h"

extern void (*vectors[IDT_ENTRIES])(void);

/* The GDT alone on its page, as a kernel that keeps it apart from hot
 * data lets a monitor follow edits to it (guests/conform does the same). */
struct segdesc gdt[GDT_ENTRIES] __attribute__((aligned(PGSIZE), section(".bss.page")));
struct segdesc ldt_table[LDT_ENTRIES] __attribute__((aligned(8)));
static struct segdesc gdt_ref[GDT_ENTRIES];
static struct segdesc ldt_ref[LDT_ENTRIES];
static struct segdesc idt[IDT_ENTRIES] __attribute__((aligned(8)));

struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap;
} __attribute__((packed));
static struct tss tss __attribute__((aligned(128))), tss2 __attribute__((aligned(128)));
static u8 kstack[8192] __attribute__((aligned(16)));       /* TSS.ESP0 */

#define FLAT_4G   0xFFFFFu
#define FLAT      (DESC_S | DESC_P | DESC_DB | DESC_G)
#define RX        (SEG_CODE | SEG_R | SEG_A)
#define RW        (SEG_W | SEG_A)
#define TSS_BUSY  0x2u           /* in the type: 0x9 available, 0xB busy */

static struct segdesc seg_desc(u32 base, u32 limit, unsigned type, unsigned dpl, u32 flags)
{
	struct segdesc d;
	d.lo = (limit & 0xFFFF) | (base & 0xFFFF) << 16;
	d.hi = ((base >> 16) & 0xFF) | type << DESC_TYPE_SHIFT | dpl << DESC_DPL_SHIFT | flags |
	       (limit & 0xF0000) | (base & 0xFF000000);
	return d;
}

static void gdt_build(void)
{
	struct segdesc *t = gdt;

	memset(gdt, 0, sizeof gdt);
	t[SEL_KCODE / 8] = seg_desc(0, FLAT_4G, RX, 0, FLAT);
	t[SEL_KDATA / 8] = seg_desc(0, FLAT_4G, RW, 0, FLAT);
	t[SEL_UCODE / 8] = seg_desc(0, FLAT_4G, RX, 3, FLAT);
	t[SEL_UDATA / 8] = seg_desc(0, FLAT_4G, RW, 3, FLAT);
	t[SEL_TSS / 8] = seg_desc((u32)&tss, sizeof tss - 1, SYS_TSS32A, 0, DESC_P);
	t[SEL_TSS2 / 8] = seg_desc((u32)&tss2, sizeof tss2 - 1, SYS_TSS32A, 0, DESC_P);
	t[SEL_TDATA / 8] = seg_desc(DT_SCRATCH, 0xFFF, RW, 3, DESC_S | DESC_P | DESC_DB);
	t[SEL_NP / 8] = seg_desc(0, FLAT_4G, RW, 0, DESC_S | DESC_DB | DESC_G);
	t[SEL_XO / 8] = seg_desc(0, FLAT_4G, SEG_CODE | SEG_A, 0, FLAT);
	t[SEL_RO / 8] = seg_desc(0, FLAT_4G, SEG_A, 3, FLAT);
	t[SEL_CONF / 8] = seg_desc(0, FLAT_4G, RX | SEG_C, 0, FLAT);
	t[SEL_KDATA_A0 / 8] = seg_desc(0, FLAT_4G, SEG_W, 0, FLAT);
	t[SEL_UDATA_A0 / 8] = seg_desc(0, FLAT_4G, SEG_W, 3, FLAT);
	t[SEL_LDT / 8] = seg_desc((u32)ldt_table, sizeof ldt_table - 1, SYS_LDT, 0, DESC_P);
	t[SEL_DPL1 / 8] = seg_desc(0, FLAT_4G, RW, 1, FLAT);

	/* LDT selectors: 0x04 null, 0x0C flat data DPL 0 (A clear), 0x17
	 * flat data DPL 3 (A clear), 0x1C not present */
	memset(ldt_table, 0, sizeof ldt_table);
	ldt_table[1] = seg_desc(0, FLAT_4G, SEG_W, 0, FLAT);
	ldt_table[2] = seg_desc(0, FLAT_4G, SEG_W, 3, FLAT);
	ldt_table[3] = seg_desc(0, FLAT_4G, RW, 0, DESC_S | DESC_DB | DESC_G);
}

static void set_gate(unsigned v, unsigned type, unsigned dpl, bool present)
{
	u32 off = (u32)vectors[v];
	idt[v].lo = (off & 0xFFFF) | (u32)SEL_KCODE << 16;
	idt[v].hi = (off & 0xFFFF0000) | (present ? DESC_P : 0) | dpl << DESC_DPL_SHIFT |
		    type << DESC_TYPE_SHIFT;
}

static void idt_build(void)
{
	for (unsigned v = 0; v < IDT_ENTRIES; v++)
		set_gate(v, SYS_INT32, 0, true);
	/* INT3 and INTO are for user code: DPL 3, as Linux sets them */
	set_gate(T_BP, SYS_INT32, 3, true);
	set_gate(T_OF, SYS_INT32, 3, true);
	set_gate(V_USER_GATE, SYS_TRAP32, 3, true);
	set_gate(V_SEQ_END, SYS_INT32, 3, true);
	set_gate(V_NP_GATE, SYS_INT32, 3, false);
}

static void load_gdtr(void)
{
	struct dtr d = { sizeof gdt - 1, (u32)gdt };
	lgdt(&d);
}

static void load_idtr(void)
{
	struct dtr d = { sizeof idt - 1, (u32)idt };
	lidt(&d);
}

static void reload_segments(void)
{
	__asm__ volatile("ljmp %0, $1f\n1:\n\t"
			 "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%fs\n\t"
			 "mov %1, %%gs\n\tmov %1, %%ss"
			 : : "i"(SEL_KCODE), "r"((u32)SEL_KDATA) : "memory");
}

void tables_init(void)
{
	gdt_build();
	idt_build();
	memset(&tss, 0, sizeof tss);
	tss.esp0 = (u32)kstack + sizeof kstack;
	tss.ss0 = SEL_KDATA;
	tss.iomap = sizeof tss;         /* no I/O bitmap: IOPL alone decides */
	tss2 = tss;
	load_gdtr();
	reload_segments();
	load_idtr();
	ltr(SEL_TSS);
	lldt(0);
	*(struct dtr *)DT_INFO = (struct dtr){ sizeof gdt - 1, (u32)gdt };
	*(struct dtr *)(DT_INFO + 8) = (struct dtr){ sizeof idt - 1, (u32)idt };
	memcpy(gdt_ref, gdt, sizeof gdt);
	memcpy(ldt_ref, ldt_table, sizeof ldt_table);
}

static void restore_entries(struct segdesc *t, const struct segdesc *ref, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (t[i].lo != ref[i].lo || t[i].hi != ref[i].hi)
			t[i] = ref[i];
}

/* After a sequence: the tables as the reference, the registers as set up. */
void tables_restore(u32 touched)
{
	/* the runner's selectors first: an entry put back while a segment
	 * register still holds it could see its accessed bit set again */
	if (touched & DTT_GDTR)
		load_gdtr();
	reload_segments();
	restore_entries(gdt, gdt_ref, GDT_ENTRIES);
	restore_entries(ldt_table, ldt_ref, LDT_ENTRIES);
	if (touched & DTT_IDTR)
		load_idtr();
	if (touched & DTT_LDTR)
		lldt(0);
	if (touched & DTT_TR) {
		/* the reference has the TSS busy (TR holds it): LTR wants it available */
		gdt[SEL_TSS / 8].hi &= ~(TSS_BUSY << DESC_TYPE_SHIFT);
		ltr(SEL_TSS);
	}
}

static void observe_entries(void (*emit)(const char *, u32, u32), const char *name,
			    const struct segdesc *t, const struct segdesc *ref, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (t[i].lo != ref[i].lo)
			emit(name, i * 2, t[i].lo);
		if (t[i].hi != ref[i].hi)
			emit(name, i * 2 + 1, t[i].hi);
	}
}

void observe_tables(void (*emit)(const char *name, u32 idx, u32 value))
{
	observe_entries(emit, "gdt", gdt, gdt_ref, GDT_ENTRIES);
	observe_entries(emit, "ldt", ldt_table, ldt_ref, LDT_ENTRIES);
}
