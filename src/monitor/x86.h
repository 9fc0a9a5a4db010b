/*
 * x86.h - the monitor's access to its own (real) CPU: ports, control
 * registers, CPUID, and the constant families for their bits.
 */
#ifndef MON_X86_H
#define MON_X86_H

#include <stdint.h>

/* EFLAGS */
#define FL_CF       0x00000001u
#define FL_PF       0x00000004u
#define FL_AF       0x00000010u
#define FL_ZF       0x00000040u
#define FL_SF       0x00000080u
#define FL_TF       0x00000100u
#define FL_IF       0x00000200u
#define FL_DF       0x00000400u
#define FL_OF       0x00000800u
#define FL_IOPL     0x00003000u
#define FL_IOPL_SHIFT 12
#define FL_NT       0x00004000u
#define FL_RF       0x00010000u
#define FL_VM       0x00020000u
#define FL_AC       0x00040000u
#define FL_VIF      0x00080000u
#define FL_VIP      0x00100000u
#define FL_ID       0x00200000u
#define FL_RESERVED1 0x00000002u        /* always 1 */
#define FL_ARITH    (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* CR0 */
#define CR0_PE      0x00000001u
#define CR0_MP      0x00000002u
#define CR0_EM      0x00000004u
#define CR0_TS      0x00000008u
#define CR0_ET      0x00000010u
#define CR0_NE      0x00000020u
#define CR0_WP      0x00010000u
#define CR0_AM      0x00040000u
#define CR0_NW      0x20000000u
#define CR0_CD      0x40000000u
#define CR0_PG      0x80000000u

/* CR4 */
#define CR4_VME     0x00000001u
#define CR4_PVI     0x00000002u
#define CR4_TSD     0x00000004u
#define CR4_DE      0x00000008u
#define CR4_PSE     0x00000010u
#define CR4_PAE     0x00000020u
#define CR4_MCE     0x00000040u
#define CR4_PGE     0x00000080u
#define CR4_PCE     0x00000100u
#define CR4_OSFXSR  0x00000200u
#define CR4_OSXMMEXCPT 0x00000400u
#define CR4_UMIP    0x00000800u

/* CPUID.1 EDX / ECX, CPUID.7 ECX */
#define CPUID_VME   (1u << 1)
#define CPUID_DE    (1u << 2)
#define CPUID_PSE   (1u << 3)
#define CPUID_TSC   (1u << 4)
#define CPUID_PAE   (1u << 6)
#define CPUID_MCE   (1u << 9)
#define CPUID_PGE   (1u << 13)
#define CPUID_FXSR  (1u << 24)
#define CPUID_SSE   (1u << 25)
#define CPUID7_UMIP (1u << 2)

/* page-table entries */
#define PTE_P       0x001u
#define PTE_W       0x002u
#define PTE_U       0x004u
#define PTE_PWT     0x008u
#define PTE_PCD     0x010u
#define PTE_A       0x020u
#define PTE_D       0x040u
#define PTE_PS      0x080u
#define PTE_G       0x100u
#define PTE_ADDR    0xFFFFF000u
#define PDE_BIGADDR 0xFFC00000u

/* page-fault error code */
#define PFE_P       0x1u
#define PFE_W       0x2u
#define PFE_U       0x4u

/* exception vectors */
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

/* error code of a fault caused by a gate or selector */
#define ERR_EXT 0x1u
#define ERR_IDT 0x2u

/*
 * The privileged instructions, one function each.  Under MON_HOST_TEST
 * (the host fuzzers, test/fuzz/) they are plain declarations the test
 * implements over a fake machine: the monitor's code that uses them is
 * built unchanged for a 64-bit host process.
 */
#ifdef MON_HOST_TEST
uint8_t inb(uint16_t port);
void outb(uint16_t port, uint8_t v);
void outl(uint16_t port, uint32_t v);
uint32_t rcr0(void);
uint32_t rcr2(void);
uint32_t rcr4(void);
void lcr0(uint32_t v);
void lcr3(uint32_t v);
void lcr4(uint32_t v);
void lldt(uint16_t sel);
#else
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t rcr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t rcr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t rcr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void lcr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void lcr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void lcr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

/* Loads the LDT register: sel names an LDT descriptor in the GDT, or is
 * null (no LDT: every TI=1 selector faults). */
static inline void lldt(uint16_t sel) { __asm__ volatile("lldt %w0" : : "r"(sel)); }
#endif

/* debug status: B0-B3 (breakpoints), BD, BS (single step), BT */
#define DR6_B_MASK  0x0000000Fu
#define DR6_BD      0x00002000u
#define DR6_BS      0x00004000u
#define DR6_BT      0x00008000u
#define DR6_STATUS  (DR6_B_MASK | DR6_BD | DR6_BS | DR6_BT)
#define DR6_FIXED1  0xFFFF0FF0u     /* bits that always read 1 */
#define DR7_FIXED1  0x00000400u     /* bit 10 always reads 1 */

#ifdef MON_HOST_TEST
uint32_t rdr6(void);
void ldr6(uint32_t v);
uint64_t rdtsc(void);
void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d);
#else
static inline uint32_t rdr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline void ldr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
#endif

#endif
