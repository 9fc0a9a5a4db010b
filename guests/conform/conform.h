/*
 * conform.h - the conformance guest's framework: its descriptor tables,
 * the exception record every check reads, ring-3 excursions, and report().
 *
 * Mechanism: each check runs an x86 mechanism (a segment load, a gate, a
 * page-table write, a port access...) and prints one line per observation,
 * "name value", where the value is what the CPU did: "ok", an exception
 * ("gp/0x0010", "nm"), a register read back ("0x00000400").  The same
 * binary prints the same lines on bare QEMU and Bochs; under a monitor the
 * lines that differ are the monitor's divergences.  Nothing a check prints
 * may depend on timing or on where the loader put things: a raw TSC value
 * or timer count is turned into a verdict first.
 *
 * The state every check starts from (cpu_reset): the base GDT and IDT
 * reloaded from their templates, flat ring-0 segments, TR = SEL_TSS, no
 * LDT, paging off, CR0 = PE|ET|NE, CR4 = 0, DR7 = 0, interrupts off, every
 * PIC line masked.  A check may change anything; the next one resets.
 */
#ifndef CONFORM_H
#define CONFORM_H

#include "x86.h"

/* ---- the base GDT (index: selector / 8) ---- */
#define SEL_KCODE    0x08    /* flat 32-bit code, DPL 0 */
#define SEL_KDATA    0x10    /* flat data, DPL 0 */
#define SEL_UCODE    0x1B    /* flat code, DPL 3 (SEL_KCODE + 16, for SYSEXIT) */
#define SEL_UDATA    0x23    /* flat data, DPL 3 (SEL_KCODE + 24) */
#define SEL_TSS      0x28    /* the TSS TR holds */
#define SEL_TSS2     0x30    /* a second TSS, for LTR checks */
#define SEL_TDATA    0x38    /* data, base test_area, limit 0xFFF, DPL 0 */
#define SEL_EXPDN    0x40    /* 16-bit expand-down data, base test_area, limit 0xFFF */
#define SEL_SS16     0x48    /* 16-bit (B=0) stack segment, base ss16_area, limit 0xFFFF */
#define SEL_NP       0x50    /* data, not present */
#define SEL_XO       0x58    /* execute-only code, DPL 0 */
#define SEL_RO       0x60    /* read-only data, DPL 0 */
#define SEL_CONF     0x68    /* conforming readable code, DPL 0, flat */
#define SEL_KDATA_A0 0x70    /* flat data, DPL 0, accessed bit clear in the template */
#define SEL_KCODE_A0 0x78    /* flat code, DPL 0, accessed bit clear */
#define SEL_LDT      0x80    /* LDT descriptor for ldt_table */
#define SEL_DPL1     0x88    /* flat data, DPL 1 */
#define SEL_CODE16   0x90    /* 16-bit code, base 0, limit 0xFFFFF, DPL 0 */
#define SEL_UDATA_A0 0x98    /* flat data, DPL 3, accessed bit clear */
#define SEL_SPARE    0xA0    /* free for a check to fill (0xA0..0xF8) */
#define GDT_ENTRIES  32

#define SEL_RPL_MASK 0x3u
#define SEL_TI       0x4u    /* the selector names an LDT entry */
#define SEL_BEYOND   0x01F8  /* index 63: beyond the base GDT's limit */
#define LDT_SEL(i)   ((i) * 8 | SEL_TI)

/* ---- vectors this guest uses beyond the exceptions ---- */
#define IRQ_BASE       0x20  /* PIC master at 0x20-0x27, slave at 0x28-0x2F */
#define V_USER_GATE    0x80  /* DPL 3 trap gate: INT n from ring 3 allowed */
#define V_USER_EXIT    0x81  /* DPL 3: a ring-3 excursion ends through it */
#define V_KERNEL_GATE  0x82  /* DPL 0 interrupt gate */
#define V_NP_GATE      0x83  /* DPL 3 gate, not present */
#define V_TRAP_GATE    0x84  /* DPL 0 trap gate */
#define V_PROBE        0x85  /* DPL 0 interrupt gate: records the frame's EFLAGS */
#define V_IRET_ONLY    0x86  /* DPL 0 interrupt gate whose handler is just IRET */
#define IDT_ENTRIES    256

/* ---- memory the checks share ---- */
extern u8 test_area[4 * PGSIZE];       /* data segments' base; page aligned */
extern u8 ss16_area[0x10000];          /* the 16-bit stack segment */
extern struct segdesc gdt[GDT_ENTRIES];
extern struct segdesc gdt_template[GDT_ENTRIES];
extern struct segdesc idt[IDT_ENTRIES];
extern struct segdesc ldt_table[4];

struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap;
} __attribute__((packed));
extern struct tss tss, tss2;

struct segdesc seg_desc(u32 base, u32 limit, unsigned type, unsigned dpl, u32 flags);
struct segdesc gate_desc(void (*handler)(void), u16 sel, unsigned type, unsigned dpl);
void set_gate(unsigned vector, void (*handler)(void), unsigned type, unsigned dpl);
void reload_gdt(struct segdesc *table, unsigned entries);
void reload_segments(void);

/* ---- the exception record ---- */
struct frame {                  /* what entry.asm leaves on the stack */
	u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;    /* PUSHA */
	u32 gs, fs, es, ds;                             /* the stub */
	u32 vector, err;                                /* the stub (err: the CPU's or 0) */
	u32 eip, cs, eflags;                            /* the CPU */
	u32 esp, ss;                                    /* the CPU, from ring 3 only */
};

struct exc_record {
	u32 count;              /* exceptions since exc_clear() */
	u32 vector, err, eip, cs, eflags, esp, ss;
	u32 cr2, dr6;           /* read in the handler for #PF, #DB */
};
extern volatile struct exc_record exc;

/* A check arms catch_eip (inside its asm, right before the instruction
 * under test): an exception then resumes there instead of aborting the
 * check.  The handler disarms it. */
extern volatile u32 catch_eip;
#define CATCH(label) "movl $" label ", catch_eip\n\t"
/* With exc_resume set, a trap-class exception (#DB, #BP, #OF) just returns
 * (TF cleared): single-step and breakpoint checks count them. */
extern volatile int exc_resume;
/* A check may take over traps (IRQ and nested-gate checks): exc_hook gets
 * every one and passes those it does not want to trap_default(). */
extern void (*volatile exc_hook)(struct frame *f);
void trap_default(struct frame *f);

void exc_clear(void);
void exc_disarm(void);

/* Inside a check's asm: TRY_BEGIN arms the catch (resume at label 9) and
 * records label 8, the instruction under test, in at_eip; AT places label
 * 8; TRY_END places label 9.  exc_at() then says what happened and where:
 * "none", or "gp/0x0010@+0" (the EIP pushed, relative to label 8: +0 for a
 * fault on the instruction, its length for a trap after it). */
extern volatile u32 at_eip;
#define TRY_BEGIN "movl $9f, catch_eip\n\tmovl $8f, at_eip\n\t"
#define AT        "8:\n\t"
#define TRY_END   "\n9:\n\t"
const char *exc_at(void);
const char *exc_str(void);            /* "none", "ud", "gp/0x0010" ... */
const char *vec_str(u32 vector, u32 err);

/* ---- ring 3 ---- */
/* Runs fn in ring 3 (CS SEL_UCODE, DS/ES/FS/GS/SS SEL_UDATA, its own
 * stack, EFLAGS = FL_RSVD1 | eflags) until it returns (then it leaves
 * through INT V_USER_EXIT) or takes an exception that is not caught.
 * Returns 0 on a normal return, 1 if an exception ended it (in exc). */
int run_user(void (*fn)(void), u32 eflags);
/* The same, entering ring 3 by a far RET instead of IRET. */
int run_user_lret(void (*fn)(void));
extern u8 user_stack[8192];
extern u8 kstack0[8192];                /* TSS.ESP0 */

/* ---- the run ---- */
void report(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cpu_reset(void);
void console_init(void);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void machine_exit(u32 code) __attribute__((noreturn));

/* A check aborted by an unexpected exception in ring 0. */
void check_abort(struct frame *f) __attribute__((noreturn));

struct check {
	const char *id;
	void (*run)(void);
};

struct section {
	const char *name;
	const char *what;
	const struct check *checks;
	unsigned count;
};

#define SECTION(var, nm, desc, table) \
	const struct section var = { nm, desc, table, sizeof table / sizeof table[0] }

extern const struct section sec_seg, sec_far, sec_exc, sec_cr, sec_pg, sec_io, sec_dr,
	sec_msr, sec_irq, sec_hole;

/* ---- helpers ---- */
struct jmpbuf {
	u32 ebx, esi, edi, ebp, esp, eip;
};
int setjmp(struct jmpbuf *b) __attribute__((returns_twice));
void longjmp(struct jmpbuf *b, int val) __attribute__((noreturn));

u32 cpuid_edx(u32 leaf);
bool has_x87(void);

/* Paging: an identity map of the low IDMAP_MB with 4 KB pages, user and
 * writable, in pg_dir; the checks change it and pg_on()/pg_off() switch. */
#define IDMAP_MB 16
extern u32 pg_dir[1024];
extern u32 pg_tables[IDMAP_MB / 4][1024];
void pg_build(void);
void pg_on(u32 cr4_extra);
void pg_off(void);

/* The PIT as a clock that needs no interrupts: count its channel-0 wraps
 * by polling the latched counter (mode 2, PIT_PERIOD ticks). */
#define PIT_PERIOD 11932u       /* 10 ms */
void pit_start(void);
void pit_wait_periods(unsigned n);
void pic_remap(void);
void pic_mask_all(void);
void pic_eoi(unsigned irq);

#endif
