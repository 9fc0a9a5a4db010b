/*
 * x86.h - the x86 instructions and registers minios uses, as named constants
 * and one-line inline wrappers (the xv6 model).
 *
 * Mechanism: a kernel touches control registers, ports, descriptor tables and
 * the TLB through privileged instructions.  Every such instruction appears in
 * minios only through a wrapper here, so a reader (and, later, a monitor
 * author) can see in one file every privileged thing the guest ever does.
 *
 * Invariant (DESIGN.md section 8): nothing minios's main code uses reads
 * EFLAGS.IF back.  PUSHF is sensitive but unprivileged: in ring 1 it shows
 * the real IF, not the virtual one.  minios keeps its interrupt-enable state
 * in software instead (see intr.c).  The wrappers in the last section
 * (read_eflags, sgdt, smsw, lar, ...) are such sensitive-but-unprivileged
 * instructions; only the holes suite (holes.c) uses them, to show the gaps.
 */
#ifndef MINIOS_X86_H
#define MINIOS_X86_H

#include "types.h"

/* EFLAGS bits */
#define FL_CF   0x00000001u
#define FL_IF   0x00000200u
#define FL_DF   0x00000400u
#define FL_IOPL 0x00003000u
#define FL_NT   0x00004000u
#define FL_RSVD 0x00000002u     /* bit 1 always reads 1 */

/* CR0 bits */
#define CR0_PE  0x00000001u
#define CR0_MP  0x00000002u
#define CR0_EM  0x00000004u
#define CR0_TS  0x00000008u
#define CR0_ET  0x00000010u
#define CR0_NE  0x00000020u
#define CR0_WP  0x00010000u
#define CR0_AM  0x00040000u
#define CR0_PG  0x80000000u

/* CR4 bits */
#define CR4_PSE 0x00000010u
#define CR4_PGE 0x00000080u

/* CPUID leaf 1 EDX feature bits */
#define CPUID_PSE 0x00000008u
#define CPUID_TSC 0x00000010u
#define CPUID_PGE 0x00002000u

/* Exception vectors (Intel SDM vol. 3, table 6-1) */
#define T_DE     0      /* divide error */
#define T_DB     1      /* debug */
#define T_NMI    2
#define T_BP     3      /* breakpoint (INT3): a trap, EIP points after it */
#define T_OF     4
#define T_BR     5
#define T_UD     6      /* invalid opcode */
#define T_NM     7
#define T_DF     8      /* double fault */
#define T_TS     10     /* invalid TSS */
#define T_NP     11     /* segment not present */
#define T_SS     12     /* stack fault */
#define T_GP     13     /* general protection */
#define T_PF     14     /* page fault */
#define T_MF     16
#define T_AC     17
#define T_MC     18
#define T_XM     19
#define T_IRQ0   32     /* PIC master remapped here */
#define T_SYSCALL 0x80  /* minios system calls, DPL 3 */
#define NIDT     256

/* Page-fault error code bits */
#define PFE_P    0x1    /* 0: not present, 1: protection violation */
#define PFE_W    0x2    /* access was a write */
#define PFE_U    0x4    /* access came from CPL 3 */

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outsb(u16 port, const void *buf, u32 n)
{
	__asm__ volatile("cld; rep outsb" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }

/* STI delays interrupts by one instruction, so "sti; hlt" cannot lose a wakeup. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static inline u32 rcr0(void) { u32 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 rcr2(void) { u32 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 rcr3(void) { u32 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 rcr4(void) { u32 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void lcr0(u32 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void lcr3(u32 v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void lcr4(u32 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline void invlpg(u32 va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

struct dtr {            /* operand of LGDT/LIDT */
	u16 limit;
	u32 base;
} __attribute__((packed));

static inline void lgdt(const struct dtr *d) { __asm__ volatile("lgdt (%0)" : : "r"(d) : "memory"); }
static inline void lidt(const struct dtr *d) { __asm__ volatile("lidt (%0)" : : "r"(d) : "memory"); }
static inline void ltr(u16 sel) { __asm__ volatile("ltr %0" : : "r"(sel) : "memory"); }
static inline void lldt(u16 sel) { __asm__ volatile("lldt %0" : : "r"(sel) : "memory"); }
static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }

/*
 * Sensitive but unprivileged: each of these reads (or, for write_eflags,
 * may silently fail to change) state a monitor virtualizes, yet none of
 * them faults in ring 1, so a trap-and-emulate monitor never sees them.
 * For the holes suite only (holes.c); the rest of minios must not use them.
 */
static inline u32 read_eflags(void)
{
	u32 v;
	__asm__ volatile("pushfl; popl %0" : "=r"(v) : : "memory");
	return v;
}

/* POPF: at CPL > IOPL the CPU leaves IF (and IOPL) unchanged, no fault. */
static inline void write_eflags(u32 v)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc");
}

static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }

static inline u16 sldt(void) { u16 v; __asm__ volatile("sldt %0" : "=r"(v)); return v; }
static inline u16 str(void) { u16 v; __asm__ volatile("str %0" : "=r"(v)); return v; }

/* SMSW: the low 16 bits of the real CR0 (PE, MP, EM, TS, ET, NE). */
static inline u16 smsw(void) { u16 v; __asm__ volatile("smsw %0" : "=r"(v)); return v; }

/* LAR/LSL/VERR/VERW set ZF when the selector passes the access checks. */
static inline int lar(u16 sel, u32 *ar)
{
	u8 ok;
	__asm__ volatile("lar %w2, %0; setz %1" : "=r"(*ar), "=q"(ok) : "r"((u32)sel), "0"(0u)
			 : "cc");
	return ok;
}

static inline int lsl(u16 sel, u32 *limit)
{
	u8 ok;
	__asm__ volatile("lsl %w2, %0; setz %1" : "=r"(*limit), "=q"(ok) : "r"((u32)sel),
			 "0"(0u) : "cc");
	return ok;
}

static inline int verr(u16 sel)
{
	u8 ok;
	__asm__ volatile("verr %w1; setz %0" : "=q"(ok) : "r"((u32)sel) : "cc");
	return ok;
}

static inline int verw(u16 sel)
{
	u8 ok;
	__asm__ volatile("verw %w1; setz %0" : "=q"(ok) : "r"((u32)sel) : "cc");
	return ok;
}

/* The current CS and SS selectors; their RPL is the CPL. */
static inline u16 read_cs(void) { u16 v; __asm__ volatile("movw %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_ss(void) { u16 v; __asm__ volatile("movw %%ss, %0" : "=r"(v)); return v; }

/* PUSH CS: a 32-bit push may leave the slot's top half unwritten; keep 16 bits. */
static inline u16 push_cs(void)
{
	u32 v;
	__asm__ volatile("pushl %%cs; popl %0" : "=r"(v));
	return (u16)v;
}

#endif
