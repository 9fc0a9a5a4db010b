/*
 * hostcpu.c - ask the CPU underneath, once at boot (see hostcpu.h).
 *
 * Mechanism: each probe is one instruction at a known address in a small
 * assembly routine: RDMSR (which raises #GP(0) for an MSR this CPU lacks)
 * and MOV EAX, DR0 with DR7.GD set (which raises #DB with DR6.BD before
 * the MOV, and clears GD, on a CPU that implements general detect).  The
 * exception, taken in ring 0, reaches host_trap, which asks
 * host_probe_trap: the vector is recorded and the frame resumes at the
 * routine's next instruction.  A third probe reads through FS loaded
 * with the null selector (#GP(0) where the CPU checks, as Bochs does).  Only the armed probe's address and vectors
 * are accepted: anything else is still a monitor fault.
 *
 * RDPMC is asked again each time the guest kernel executes it
 * (host_rdpmc): which counters exist, what they read, and whether the
 * instruction exists at all differ between CPU models (QEMU's TCG raises
 * #UD for any counter, Bochs reads 0 from the counters its model has and
 * raises #GP(0) for the others), and the answer depends on the counter
 * the guest names in ECX.
 *
 * CPUID alone says whether the CPU has long mode (and its linear-address
 * width): the address MSRs are 64 bits wide there.
 *
 * The values read are what the guest would see natively: MISC_ENABLE as
 * this CPU model reports it, MTRRCAP and the MTRRs as the firmware left
 * them (the guest's writes stay virtual, emul.c).
 */
#include "hostcpu.h"
#include "debugreg.h"
#include "vcpu.h"
#include "x86.h"

#define MSR_MISC_ENABLE 0x1A0u
#define CPUID_MTRR      (1u << 12)
#define CPUID_EXT_MAX   0x80000000u
#define CPUID_EXT_FEAT  0x80000001u     /* EDX bit 29: long mode (Intel 64) */
#define CPUID_EXT_ADDR  0x80000008u     /* EAX bits 15:8: linear-address width */
#define CPUID_LM        (1u << 29)
#define LIN_BITS_DEFAULT 48u
#define DR7_GD          0x00002000u
#define NO_VECTOR       0xFFFFFFFFu

struct host_cpu host_cpu;

/* uint64_t probe_rdmsr_insn(uint32_t msr): EDX:EAX, garbage after a #GP */
uint64_t probe_rdmsr_insn(uint32_t msr);
/* void probe_movdr_insn(void): MOV EAX, DR0 */
void probe_movdr_insn(void);
/* void probe_nullseg_insn(const void *p): MOV EAX, FS:[p] with FS null
 * (p the address of a monitor variable: mapped, whatever FS's base) */
void probe_nullseg_insn(const void *p);
extern const char probe_rdmsr_at[], probe_rdmsr_next[];
extern const char probe_movdr_at[], probe_movdr_next[];
extern const char probe_nullseg_at[], probe_nullseg_next[];
/* uint64_t probe_rdpmc_insn(uint32_t counter): EDX:EAX, garbage after a fault */
uint64_t probe_rdpmc_insn(uint32_t counter);
extern const char probe_rdpmc_at[], probe_rdpmc_next[];

__asm__(".pushsection .text\n"
	".globl probe_rdmsr_insn, probe_rdmsr_at, probe_rdmsr_next\n"
	"probe_rdmsr_insn:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"xorl %eax, %eax\n\t"
	"xorl %edx, %edx\n"
	"probe_rdmsr_at:\n\t"
	"rdmsr\n"
	"probe_rdmsr_next:\n\t"
	"ret\n"
	".globl probe_movdr_insn, probe_movdr_at, probe_movdr_next\n"
	"probe_movdr_insn:\n"
	"probe_movdr_at:\n\t"
	"movl %dr0, %eax\n"
	"probe_movdr_next:\n\t"
	"ret\n"
	".globl probe_nullseg_insn, probe_nullseg_at, probe_nullseg_next\n"
	"probe_nullseg_insn:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"movw %fs, %dx\n\t"
	"xorl %eax, %eax\n\t"
	"movw %ax, %fs\n"
	"probe_nullseg_at:\n\t"
	"movl %fs:(%ecx), %eax\n"
	"probe_nullseg_next:\n\t"
	"movw %dx, %fs\n\t"
	"ret\n"
	".globl probe_rdpmc_insn, probe_rdpmc_at, probe_rdpmc_next\n"
	"probe_rdpmc_insn:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"xorl %eax, %eax\n\t"
	"xorl %edx, %edx\n"
	"probe_rdpmc_at:\n\t"
	"rdpmc\n"
	"probe_rdpmc_next:\n\t"
	"ret\n"
	".popsection");

static const char *armed_at;            /* the probed instruction, or 0 */
static const char *armed_next;
static uint32_t armed_vectors;          /* the exceptions it may raise (bit n: vector n) */
static volatile uint32_t probe_vector;  /* what it raised (NO_VECTOR: none) */

bool host_probe_trap(struct trapframe *f)
{
	if (!armed_at || f->eip != (uint32_t)armed_at || f->vector >= 32 ||
	    !(armed_vectors & (1u << f->vector)))
		return false;
	probe_vector = f->vector;
	f->eip = (uint32_t)armed_next;
	return true;
}

static void arm(const char *at, const char *next, uint32_t vectors)
{
	probe_vector = NO_VECTOR;
	armed_at = at;
	armed_next = next;
	armed_vectors = vectors;
}

static void disarm(void)
{
	armed_at = 0;
}

/* RDMSR msr; false if this CPU raised #GP. */
static bool host_rdmsr(uint32_t msr, uint64_t *val)
{
	arm(probe_rdmsr_at, probe_rdmsr_next, 1u << T_GP);
	uint64_t v = probe_rdmsr_insn(msr);
	disarm();
	if (probe_vector != NO_VECTOR)
		return false;
	*val = v;
	return true;
}

/* Set DR7.GD in ring 0 and read DR0: a CPU with general detect raises
 * #DB (DR6.BD) and clears GD.  The real DR6 and DR7 are the monitor's
 * again afterwards (debugreg.h). */
static bool probe_gd(void)
{
	arm(probe_movdr_at, probe_movdr_next, 1u << T_DB);
	__asm__ volatile("mov %0, %%dr7" : : "r"(dr7_monitor() | DR7_GD) : "memory");
	probe_movdr_insn();
	disarm();
	__asm__ volatile("mov %0, %%dr7" : : "r"(dr7_monitor()) : "memory");
	bool bd = (rdr6() & DR6_BD) != 0;
	ldr6(DR6_FIXED1);
	return probe_vector == T_DB && bd;
}

/* A read through FS loaded with the null selector: the SDM's #GP(0),
 * which Bochs raises and QEMU's TCG (no check on data accesses) does not.
 * The emulation of a privileged instruction's memory operand then checks
 * the same way (emul.c, emul_operand). */
static bool probe_null_seg(void)
{
	arm(probe_nullseg_at, probe_nullseg_next, 1u << T_GP);
	probe_nullseg_insn(&host_cpu);
	disarm();
	return probe_vector == T_GP;
}

/* MTRRCAP and the MTRRs it says exist, when CPUID says MTRR.  VCNT is
 * clamped to the pairs the vCPU keeps. */
static void probe_mtrr(void)
{
	uint32_t a, b, c, d;
	uint64_t cap;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID_MTRR) || !host_rdmsr(MSR_MTRRCAP, &cap))
		return;
	if ((cap & MTRRCAP_VCNT) > MTRR_VAR_MAX)
		cap = (cap & ~(uint64_t)MTRRCAP_VCNT) | MTRR_VAR_MAX;
	for (unsigned i = 0; i < MTRR_COUNT; i++) {	/* bound: MTRR_COUNT */
		uint32_t msr = mtrr_msr(i);
		if (mtrr_index(msr, cap) >= 0 && !host_rdmsr(msr, &host_cpu.mtrr[i]))
			return;         /* an MTRR it says it has is missing: none */
	}
	host_cpu.mtrrcap = cap;
	host_cpu.has_mtrr = true;
}

/* Long mode: CPUID says whether this CPU is an Intel 64 one, and the
 * guest sees the same CPUID (hostcpu.h); then WRMSR of an address MSR
 * (SYSENTER_ESP, SYSENTER_EIP) takes 64 bits and refuses a non-canonical
 * address, where a 32-bit CPU (qemu32) keeps the low 32 bits. */
static unsigned probe_lin_bits(void)
{
	uint32_t max, a, b, c, d;

	cpuid(CPUID_EXT_MAX, &max, &b, &c, &d);
	if (max < CPUID_EXT_FEAT)
		return 0;
	cpuid(CPUID_EXT_FEAT, &a, &b, &c, &d);
	if (!(d & CPUID_LM))
		return 0;
	if (max < CPUID_EXT_ADDR)
		return LIN_BITS_DEFAULT;
	cpuid(CPUID_EXT_ADDR, &a, &b, &c, &d);
	unsigned bits = (a >> 8) & 0xFFu;
	return bits ? bits : LIN_BITS_DEFAULT;
}

int host_rdpmc(uint32_t counter, uint64_t *val)
{
	arm(probe_rdpmc_at, probe_rdpmc_next, 1u << T_UD | 1u << T_GP);
	uint64_t v = probe_rdpmc_insn(counter);
	disarm();
	if (probe_vector != NO_VECTOR)
		return (int)probe_vector;
	*val = v;
	return -1;
}

void host_cpu_probe(void)
{
	host_cpu.lin_bits = probe_lin_bits();
	host_cpu.gd = probe_gd();
	host_cpu.null_seg = probe_null_seg();
	host_cpu.has_misc_enable = host_rdmsr(MSR_MISC_ENABLE, &host_cpu.misc_enable);
	probe_mtrr();
}
