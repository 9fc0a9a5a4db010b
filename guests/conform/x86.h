/*
 * x86.h - the architectural constants and one-line instruction wrappers the
 * conformance guest uses (the xv6 model: every privileged instruction the
 * guest runs appears here or, for the forms a check is about, spelled out
 * in the check itself).
 *
 * Mechanism: nothing here is clever; the point of this guest is to run the
 * CPU's own mechanisms and print what they did, so the wrappers are the
 * plainest encoding of each instruction.
 */
#ifndef CONFORM_X86_H
#define CONFORM_X86_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* EFLAGS */
#define FL_CF    0x00000001u
#define FL_RSVD1 0x00000002u     /* always reads 1 */
#define FL_ZF    0x00000040u
#define FL_TF    0x00000100u
#define FL_IF    0x00000200u
#define FL_DF    0x00000400u
#define FL_OF    0x00000800u
#define FL_IOPL  0x00003000u
#define FL_NT    0x00004000u
#define FL_RF    0x00010000u
#define FL_VM    0x00020000u
#define FL_AC    0x00040000u

/* CR0 */
#define CR0_PE   0x00000001u
#define CR0_MP   0x00000002u
#define CR0_EM   0x00000004u
#define CR0_TS   0x00000008u
#define CR0_ET   0x00000010u
#define CR0_NE   0x00000020u
#define CR0_WP   0x00010000u
#define CR0_AM   0x00040000u
#define CR0_PG   0x80000000u

/* CR4 */
#define CR4_VME  0x00000001u
#define CR4_PVI  0x00000002u
#define CR4_TSD  0x00000004u
#define CR4_DE   0x00000008u
#define CR4_PSE  0x00000010u
#define CR4_PAE  0x00000020u
#define CR4_PGE  0x00000080u

/* page-table entries (32-bit paging) */
#define PTE_P    0x001u
#define PTE_W    0x002u
#define PTE_U    0x004u
#define PTE_PWT  0x008u
#define PTE_PCD  0x010u
#define PTE_A    0x020u
#define PTE_D    0x040u
#define PTE_PS   0x080u          /* in a PDE: a 4 MB page */
#define PTE_G    0x100u
#define PGSIZE   4096u
#define PGSIZE4M 0x400000u
#define PDX(va)  ((u32)(va) >> 22)
#define PTX(va)  (((u32)(va) >> 12) & 0x3FF)

/* page-fault error code */
#define PFE_P    0x1u
#define PFE_W    0x2u
#define PFE_U    0x4u
#define PFE_RSVD 0x8u

/* exception vectors (Intel SDM vol. 3, table 6-1) */
#define T_DE   0
#define T_DB   1
#define T_NMI  2
#define T_BP   3
#define T_OF   4
#define T_BR   5
#define T_UD   6
#define T_NM   7
#define T_DF   8
#define T_TS   10
#define T_NP   11
#define T_SS   12
#define T_GP   13
#define T_PF   14
#define T_MF   16
#define T_AC   17
#define T_MC   18

/* error-code bits of a selector error code */
#define ERR_EXT  0x1u
#define ERR_IDT  0x2u

/* segment descriptor type field (S = 1) */
#define SEG_A     0x1u           /* accessed */
#define SEG_W     0x2u           /* data: writable */
#define SEG_R     0x2u           /* code: readable */
#define SEG_E     0x4u           /* data: expand-down */
#define SEG_C     0x4u           /* code: conforming */
#define SEG_CODE  0x8u
/* system descriptor types (S = 0) */
#define SYS_LDT     0x2u
#define SYS_TSS32A  0x9u
#define SYS_TSS32B  0xBu
#define SYS_CALL32  0xCu
#define SYS_INT32   0xEu
#define SYS_TRAP32  0xFu

/* descriptor high-word bits */
#define DESC_S    0x00001000u
#define DESC_P    0x00008000u
#define DESC_DB   0x00400000u
#define DESC_G    0x00800000u
#define DESC_TYPE_SHIFT 8
#define DESC_DPL_SHIFT  13

/* CPUID leaf 1 EDX */
#define CPUID_FPU  (1u << 0)
#define CPUID_DE   (1u << 2)
#define CPUID_PSE  (1u << 3)
#define CPUID_TSC  (1u << 4)
#define CPUID_MSR  (1u << 5)
#define CPUID_PAE  (1u << 6)
#define CPUID_CX8  (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_SEP  (1u << 11)
#define CPUID_PGE  (1u << 13)
#define CPUID_CMOV (1u << 15)
/* CPUID 0x80000001 EDX */
#define CPUID_X_SYSCALL (1u << 11)
#define CPUID_X_NX      (1u << 20)
#define CPUID_X_LM      (1u << 29)

/* MSRs */
#define MSR_TSC           0x010u
#define MSR_APIC_BASE     0x01Bu
#define MSR_SYSENTER_CS   0x174u
#define MSR_SYSENTER_ESP  0x175u
#define MSR_SYSENTER_EIP  0x176u
#define MSR_MISC_ENABLE   0x1A0u
#define MSR_EFER          0xC0000080u

struct segdesc {
	u32 lo, hi;
};

struct dtr {            /* the operand of LGDT/LIDT/SGDT/SIDT */
	u16 limit;
	u32 base;
} __attribute__((packed));

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

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }

static inline u32 rcr0(void) { u32 v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 rcr2(void) { u32 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 rcr3(void) { u32 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline u32 rcr4(void) { u32 v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void lcr0(u32 v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void lcr2(u32 v) { __asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory"); }
static inline void lcr3(u32 v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void lcr4(u32 v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline u32 rdr6(void) { u32 v; __asm__ volatile("mov %%db6, %0" : "=r"(v)); return v; }
static inline u32 rdr7(void) { u32 v; __asm__ volatile("mov %%db7, %0" : "=r"(v)); return v; }
static inline void ldr0(u32 v) { __asm__ volatile("mov %0, %%db0" : : "r"(v)); }
static inline void ldr1(u32 v) { __asm__ volatile("mov %0, %%db1" : : "r"(v)); }
static inline void ldr6(u32 v) { __asm__ volatile("mov %0, %%db6" : : "r"(v)); }
static inline void ldr7(u32 v) { __asm__ volatile("mov %0, %%db7" : : "r"(v) : "memory"); }

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

static inline void lgdt(const struct dtr *d) { __asm__ volatile("lgdt (%0)" : : "r"(d) : "memory"); }
static inline void lidt(const struct dtr *d) { __asm__ volatile("lidt (%0)" : : "r"(d) : "memory"); }
static inline void ltr(u16 sel) { __asm__ volatile("ltr %0" : : "r"(sel) : "memory"); }
static inline void lldt(u16 sel) { __asm__ volatile("lldt %0" : : "r"(sel) : "memory"); }
static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }

/* Sensitive but unprivileged: the hole checks use these on purpose. */
static inline u32 read_eflags(void)
{
	u32 v;
	__asm__ volatile("pushfl; popl %0" : "=r"(v) : : "memory");
	return v;
}

static inline void write_eflags(u32 v)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc");
}

static inline u16 read_cs(void) { u16 v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_ss(void) { u16 v; __asm__ volatile("mov %%ss, %0" : "=r"(v)); return v; }
static inline u16 read_ds(void) { u16 v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v; }
static inline u16 read_fs(void) { u16 v; __asm__ volatile("mov %%fs, %0" : "=r"(v)); return v; }
static inline u16 read_gs(void) { u16 v; __asm__ volatile("mov %%gs, %0" : "=r"(v)); return v; }
static inline u16 read_es(void) { u16 v; __asm__ volatile("mov %%es, %0" : "=r"(v)); return v; }

static inline u16 sldt(void) { u16 v; __asm__ volatile("sldt %0" : "=r"(v)); return v; }
static inline u16 str(void) { u16 v; __asm__ volatile("str %0" : "=r"(v)); return v; }
static inline u16 smsw(void) { u16 v; __asm__ volatile("smsw %0" : "=r"(v)); return v; }
static inline void sgdt(struct dtr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct dtr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }

#endif
