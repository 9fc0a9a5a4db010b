/*
 * difftest.h - the differential tester's guest: the fixed memory layout
 * the generator (test/difftest/gen.py) writes its sequences against, the
 * batch format it receives as a multiboot module, and what the runner
 * observes after each sequence.
 *
 * Mechanism: a random instruction sequence runs in ring 0 or ring 3 from
 * a known state (registers, flags, CR0/CR4, page tables, descriptor
 * tables, memory) until it raises an exception or reaches the INT
 * V_SEQ_END the runner appends; the trap handler takes the registers the
 * CPU and its stub pushed, and the runner reads everything else that the
 * sequence could have changed.  The same batch run on bare QEMU and under
 * the monitor must leave the same observations (docs/conformance.md,
 * "The differential tester").
 *
 * The layout is fixed (not linker-placed) so that the generator can write
 * absolute addresses into instructions: page tables, the ring-0 test
 * stack, the code and the test window all live at 8 MB and above, clear
 * of the image (1 MB) and of the batch module the loader puts after it.
 * Every address below 16 MB is identity-mapped, user and writable, except
 * the window's pages, whose protections differ on purpose.  The code is
 * outside the window: a sequence rewrites the window's PDE and PTEs, and
 * the instructions between such a write and its INVLPG are fetched
 * through whatever the TLB holds, which the architecture leaves open.
 *
 *   0x00800000  page directory
 *   0x00801000  page tables 0-3 (0-16 MB; table 3 maps the window)
 *   0x00805000  the GDTR and IDTR images LGDT and LIDT sequences load
 *   0x00806000  ring-0 test stack (ESP starts in the middle of its first
 *               page; the second takes what an access across its end
 *               writes, so that no write lands unobserved)
 *   0x00808000  code (one page)
 *   0x00C00000  the window (PDE 3):
 *     +0x0000  ring-3 test stack (user, writable)
 *     +0x1000  scratch page 0: user, writable
 *     +0x2000  scratch page 1: user, read-only
 *     +0x3000  scratch page 2: supervisor, writable
 *     +0x4000  alias page: maps pool frame 0 (sequences remap it)
 *     +0x8000  pool frames 0-3 (identity-mapped too; alias targets)
 */
#ifndef DIFFTEST_H
#define DIFFTEST_H

#include "x86.h"

/* ---- layout (gen.py LAYOUT: the guest prints it, the runner checks) ---- */
#define DT_PD          0x00800000u
#define DT_PT_BASE     0x00801000u
#define DT_NPT         4u                       /* 16 MB identity map */
#define DT_PT(n)       (DT_PT_BASE + (n) * PGSIZE)
#define DT_R0STACK     0x00806000u              /* and the page after it */
#define DT_R0STACK_PAGES 2u
#define DT_INFO        0x00805000u              /* GDTR image at +0, IDTR at +8 */
#define DT_CODE        0x00808000u
#define DT_CODE_PAGES  1u
#define DT_WIN         0x00C00000u
#define DT_R3STACK     (DT_WIN + 0x0000u)
#define DT_SCRATCH     (DT_WIN + 0x1000u)
#define DT_SCRATCH_PAGES 3u
#define DT_ALIAS       (DT_WIN + 0x4000u)
#define DT_POOL        (DT_WIN + 0x8000u)
#define DT_POOL_FRAMES 4u
#define DT_STACK_START 0x800u                   /* ESP = stack page + this */
#define DT_LOW_END     0x00800000u              /* image and module below this */
#define DT_IDMAP_END   0x01000000u

/* ---- the GDT (index: selector / 8); gen.py SEL has the same ---- */
#define SEL_KCODE    0x08    /* flat code, DPL 0 */
#define SEL_KDATA    0x10    /* flat data, DPL 0 */
#define SEL_UCODE    0x1B    /* flat code, DPL 3 */
#define SEL_UDATA    0x23    /* flat data, DPL 3 */
#define SEL_TSS      0x28    /* the TSS TR holds */
#define SEL_TSS2     0x30    /* a second, available TSS */
#define SEL_TDATA    0x38    /* data, base DT_SCRATCH, limit 0xFFF, DPL 3 */
#define SEL_NP       0x40    /* flat data, not present */
#define SEL_XO       0x48    /* execute-only code, DPL 0 */
#define SEL_RO       0x50    /* read-only flat data, DPL 3 */
#define SEL_CONF     0x58    /* conforming readable code, DPL 0 */
#define SEL_KDATA_A0 0x60    /* flat data, DPL 0, accessed bit clear */
#define SEL_UDATA_A0 0x68    /* flat data, DPL 3, accessed bit clear */
#define SEL_LDT      0x70    /* the LDT descriptor of ldt_table */
#define SEL_DPL1     0x78    /* flat data, DPL 1 (ring aliasing: a hole) */
#define GDT_ENTRIES  16
#define LDT_ENTRIES  4

/* ---- vectors ---- */
#define V_USER_GATE  0x80    /* DPL 3 trap gate */
#define V_SEQ_END    0x81    /* DPL 3 interrupt gate: the end of every sequence */
#define V_KERNEL     0x82    /* DPL 0 interrupt gate */
#define V_NP_GATE    0x83    /* DPL 3, not present */
#define IDT_ENTRIES  256

/* ---- the batch module ---- */
#define DT_MAGIC     0x31425444u                /* "DTB1" */

struct dt_batch {
	u32 magic;
	u32 count;          /* records that follow */
	u32 seed;           /* the generator's, echoed in the header line */
	u32 first;          /* the index of the first record in the seed's stream */
};

/* flags */
#define DTF_RING3    0x0001u                    /* run in ring 3 */
#define DTF_IF       0x0002u                    /* start with IF set */
/* what the sequence may touch beyond registers and memory (the runner
 * restores and observes only these, so a batch costs what it uses) */
#define DTT_CR       0x0100u    /* CR0, CR3, CR4 (always observed) */
#define DTT_DR       0x0200u    /* debug registers */
#define DTT_MSR      0x0400u    /* SYSENTER MSRs */
#define DTT_GDTR     0x0800u    /* LGDT */
#define DTT_LDTR     0x1000u    /* LLDT */
#define DTT_TR       0x2000u    /* LTR */
#define DTT_IDTR     0x4000u    /* LIDT */
#define DTT_X87      0x8000u    /* x87 instructions */

struct dt_record {
	u32 size;           /* bytes, this header and the code, a multiple of 4 */
	u32 flags;
	u32 cr0_set;        /* CR0 bits set on top of the base (WP, AM...) */
	u32 cr4_set;        /* CR4 bits set (PSE, PGE...) */
	u32 eax, ecx, edx, ebx, ebp, esi, edi;
	u32 eflags;         /* arithmetic flags, DF, AC; IF comes from DTF_IF */
	u32 code_len;
	u8 code[];
};

/* ---- the runner's view of one sequence's end ---- */
struct frame {                  /* what entry.asm leaves on the stack */
	u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;    /* PUSHAD */
	u32 gs, fs, es, ds;                             /* the stub */
	u32 vector, err;                                /* the stub (err: the CPU's or 0) */
	u32 eip, cs, eflags;                            /* the CPU */
	u32 esp, ss;                                    /* the CPU, from ring 3 only */
};

struct seq_end {
	struct frame f;
	u32 esp, ss;        /* at the trap: from the frame (ring 3) or computed */
	u32 cr2, dr6;       /* read in the handler for #PF, #DB */
};

/* what seq_enter() loads */
struct seq_entry {
	u32 eax, ecx, edx, ebx, ebp, esi, edi;
	u32 eflags, esp;
	u32 ring3, sti;
};

void seq_enter(const struct seq_entry *e);      /* returns after the trap */
extern struct seq_end seq_end;

/* ---- the rest of the guest ---- */
void console_init(void);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void machine_exit(u32 code) __attribute__((noreturn));

void tables_init(void);
void tables_restore(u32 touched);
void observe_tables(void (*emit)(const char *name, u32 idx, u32 value));
extern struct segdesc gdt[GDT_ENTRIES];
extern struct segdesc ldt_table[LDT_ENTRIES];

void paging_init(void);
void paging_restore(void);
void observe_paging(void (*emit)(const char *name, u32 idx, u32 value), bool pde_a);

#define EXIT_OK      0
#define EXIT_USAGE   2
#define EXIT_BROKEN  3

#endif
