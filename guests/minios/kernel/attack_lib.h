/*
 * attack_lib.h - what the attack modes (attack*.c) share: a catcher that
 * survives any trap, trips into rings 2 and 3 and virtual-8086 mode, an
 * attack GDT with the descriptors they need, and a timer hook that can
 * stop a REP instruction.
 *
 * Mechanism: a hostile guest has to do things no kernel does on purpose
 * (run ring-2 code, fault in ring 3 without a process, load impossible
 * descriptors) and then say what the machine did.  Every attempt runs
 * under attack_catch(): the first exception (or one of the test INT
 * vectors) taken while it is armed is recorded in 'caught' and unwinds the
 * kernel stack back to attack_catch(), whatever ring, stack or mode the
 * CPU was in; attack_catch() then returns 1.  If the attempt returns by
 * itself, attack_catch() returns 0.  Code in ring 2 or 3 comes home the
 * same way: INT VEC_HOME, a DPL-3 gate.
 */
#ifndef MINIOS_ATTACK_LIB_H
#define MINIOS_ATTACK_LIB_H

#include "types.h"
#include "mmu.h"
#include "trap.h"

/* Test vectors: INT n through a gate of each DPL, and the way home. */
#define VEC_DPL1   0x81
#define VEC_DPL2   0x82
#define VEC_HOME   0x83     /* DPL 3: ring 2, ring 3 and vm86 come back by it */
#define VEC_DPL3   0x84
#define VEC_SPARE0 0x85     /* per-attack gates */
#define VEC_SPARE1 0x86
#define VEC_SPARE2 0x87
#define VEC_TEST_FIRST VEC_DPL1
#define VEC_TEST_LAST  0x8F

/* The attack GDT: minios's nine entries, then these. */
#define AGDT_R2CODE  9      /* ring-2 code, flat, DPL 2 */
#define AGDT_R2DATA  10     /* ring-2 data and stack, flat, DPL 2 */
#define AGDT_STACK16 11     /* 16-bit stack (B=0), DPL 0, base stack16_buf */
#define AGDT_IOTSS   12     /* a TSS with an I/O permission bitmap */
#define AGDT_SPARE0  13     /* per-attack descriptors */
#define AGDT_SPARE1  14
#define AGDT_SPARE2  15
#define NAGDT        16
#define SEL_R2CODE   SEL(AGDT_R2CODE, 2)
#define SEL_R2DATA   SEL(AGDT_R2DATA, 2)
#define SEL_STACK16  SEL(AGDT_STACK16, 0)
#define SEL_KCODE    SEL(SEG_KCODE, 0)
#define SEL_KDATA    SEL(SEG_KDATA, 0)
#define SEL_UCODE    SEL(SEG_UCODE, DPL_USER)
#define SEL_UDATA    SEL(SEG_UDATA, DPL_USER)

/* Descriptor types and bits beyond mmu.h's */
#define STS_TG       0x5    /* task gate */
#define STS_CG32     0xC    /* 32-bit call gate */
#define SEG_P        0x8000u         /* in a descriptor's high dword */
#define SEG_DB       (1u << 22)
#define SEG_G        (1u << 23)

/* EFLAGS bits beyond x86.h's */
#define FL_TF    0x00000100u
#define FL_AC    0x00040000u
#define FL_VM    0x00020000u
#define FL_ID    0x00200000u
#define FL_IOPL3 0x00003000u
#define DR6_BS   0x00004000u

/* The switcher: the monitor's top 4 MB, as src/monitor/layout.h lays it
 * out (an attacker finds the same with SIDT, SGDT and the gates they
 * show).  Nothing of minios's lives there: natively all of it is unmapped. */
#define SW_BASE      0xFFC00000u
#define SW_GDT       0xFFC00000u     /* 8192 entries */
#define SW_IDT       0xFFC10000u
#define SW_TSS       0xFFC10800u
#define SW_DATA      0xFFC10C00u     /* what the entry stub reads: the monitor's CR3 */
#define SW_LDT       0xFFC11000u
#define SW_CODE      0xFFC21000u     /* the stubs: vector 0's first */
#define SW_VCPU      0xFFC23000u     /* the ring-0 stack the CPU pushes frames on */
#define SW_VCPU_TOP  0xFFC24000u
#define SW_PRIV      0xFFC24000u     /* the monitor's private data: its view only */
/* The monitor's own selectors: those of a 512-entry real GDT (entries
 * 508-511, before issue 9) and of an 8192-entry one (8188-8191). */
#define MON_SEL_OLD  0x0FE0u
#define MON_SEL_TOP  0xFFE0u
#define ESCAPE_GPA   0x40000000u     /* 1 GB: beyond any RAM a guest gets */

/* Ring-3 snippets are copied to this user page; their stack is the next. */
#define ATK_UVA      0x00800000u
#define ATK_USTACK   (ATK_UVA + 2 * PGSIZE)

/* What the trap that ended an attempt looked like. */
struct catch_rec {
	u32 vector, err, eip, cs, eflags, cr2;
	u32 eax, ebx, ecx, edx, esp;
};
extern volatile struct catch_rec caught;

/* Runs fn(arg) armed; 1 if a trap unwound it (see 'caught'), else 0. */
int attack_catch(void (*fn)(u32), u32 arg);
/* One line: "attack: WHAT: vector V, err E" or "attack: WHAT: no fault". */
void report_catch(const char *what, int trapped);
/* attack_catch + report_catch in one */
int try_report(const char *what, void (*fn)(u32), u32 arg);

/* Called under attack_catch: leave for another ring by IRET or far RET,
 * with EBX = ebx there.  Never return (the way back is a trap). */
void enter_ring(u32 cs, u32 ss, u32 esp, u32 eip, u32 eflags, u32 ebx)
	__attribute__((noreturn));
void enter_ring_retf(u32 cs, u32 ss, u32 esp, u32 eip, u32 ebx) __attribute__((noreturn));
void enter_vm86(u32 cs, u32 ip, u32 ss, u32 sp, u32 eflags) __attribute__((noreturn));
/* Ring 2 snippets (attack_entry.asm): each sets DS/ES to SEL_R2DATA, does
 * one thing, then INT VEC_HOME. */
extern u8 far_ret_target[];         /* RETF: a call gate's target */
extern u8 r2_cli[], r2_mov_cr3[], r2_lgdt[], r2_int_dpl1[], r2_int_dpl2[], r2_int_dpl3[];
/* Ring 3 snippets: their offsets in the user page (attack_user_start) */
extern u8 attack_user_start[], attack_user_end[];
extern u8 u_home[], u_in_port[], u_out_port[], u_sysenter[];
static inline u32 user_va(const u8 *snippet)
{
	return ATK_UVA + (u32)(snippet - attack_user_start);
}
/* Ring 2 and ring 3 trips: their code, their stack, and the TSS esp0
 * the way back lands on (a stack of their own, not the kernel thread's). */
u32 ring2_stack_top(void);
void attack_user_map(void);

/* The attack GDT (loaded by attack_setup) and a helper per descriptor kind */
extern struct segdesc agdt[NAGDT];
struct segdesc gate_desc(u32 offset, u16 sel, int type, int dpl);
void agdt_reload(void);
void attack_set_gate(int vec, u32 handler, int type, int dpl, u16 sel);

/* IRQ 0 with a REP instruction at 'eip' under way: after 'after' timer
 * ticks the handler writes 0 into the interrupted frame's ECX. */
struct rep_stop {
	volatile u32 armed, eip, after, start, fired, ecx_left;
};
extern struct rep_stop rep_stop;

/* REP string instructions with a label on the REP (for rep_stop.eip);
 * each returns the ECX it left */
u32 rep_stosd(u32 dst, u32 count, u32 val);
u32 rep_movsd(u32 dst, u32 src, u32 count);
u32 rep_outsb(u32 port, u32 src, u32 count);
u32 rep_insb(u32 port, u32 dst, u32 count);
extern u8 rep_stosd_insn[], rep_movsd_insn[], rep_outsb_insn[], rep_insb_insn[];

/* TF over one emulated instruction; IRET with NT; a 16-bit stack */
void tf_cli(u32), tf_in(u32), tf_mov_cr3(u32 cr3);
extern u8 tf_cli_insn[], tf_cli_after[], tf_in_insn[], tf_in_after[];
extern u8 tf_mov_cr3_insn[], tf_mov_cr3_after[];
void nt_iret(u32);
void stack16_run(u32 esp, u32 *out);
extern u8 s16_timer[];
extern volatile u32 s16_ticks;
/* Paging off (position-independent, run from an identity-mapped copy):
 * copies count dwords from physical src to offset PGOFF_OUT of its page. */
extern u8 pgoff_blob[], pgoff_blob_end[];
#define PGOFF_OUT 0x800

/* Kernel virtual address range free for attack mappings (kpgdir user half) */
#define ATK_WIN      0x10000000u     /* 256 MB of page-directory slots 64-127 */
#define ATK_WIN_SLOTS 64
/* Points 'slots' page-directory slots from ATK_WIN at one page table (so
 * a long string instruction sweeps one table's worth of pages, again and
 * again), and takes them away. */
void alias_window(pte_t *pt, u32 slots);
void alias_window_clear(u32 slots);

/* Per-theme attack lists (attack_desc.c, attack_cpu.c, attack_mem.c,
 * attack_time.c, attack_split.c, attack_fast.c) */
struct attack {
	const char *name;
	void (*run)(void);
};
extern const struct attack attacks_desc[], attacks_cpu[], attacks_mem[], attacks_time[],
	attacks_split[], attacks_fast[];

/* An attack's own trap rule, seen before the catcher's: returns 1 if it
 * dealt with the trap (the frame resumes as it left it), else 0. */
extern int (*attack_hook)(struct trapframe *tf);

void attack_setup(void);
u64 tsc_per_tick(void);         /* TSC cycles per timer period (IF on) */
void load_fs(u32 sel);          /* MOV FS (a catch fn) */
void far_call(u32 sel);         /* LCALL sel:0 (a catch fn) */

#endif
