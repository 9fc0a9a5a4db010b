/*
 * hostcpu.h - what the CPU underneath does, asked once at boot, where the
 * guest's CPU should behave as it does.
 *
 * Mechanism: CPUID is not virtualized (no CPUID faulting on these CPU
 * models), so the guest sees this CPU's feature bits, and a guest that is
 * told "MTRR" reads the MTRRs; a few architectural details also differ
 * between CPU models (QEMU's TCG does not implement DR7.GD, Bochs does;
 * QEMU's lets a data access through a null selector pass, Bochs raises
 * #GP(0)).
 * Rather than pick one platform's answers, the monitor asks this CPU in
 * ring 0 before the guest starts: a RDMSR that may #GP, a MOV DR with
 * DR7.GD set that may #DB.  The exception (if any) lands in host_trap,
 * which hands it to host_probe_trap and resumes after the instruction.
 * Nothing here writes an MSR, and each answer is read exactly once, but
 * for RDPMC, asked again each time the guest kernel executes it (its
 * answer depends on the counter the guest names).
 */
#ifndef MON_HOSTCPU_H
#define MON_HOSTCPU_H

#include <stdbool.h>
#include <stdint.h>

struct trapframe;

/* The MTRRs a guest sees when CPUID says MTRR: MTRRdefType, the eleven
 * fixed-range MSRs and up to MTRR_VAR_MAX variable pairs (PHYSBASE,
 * PHYSMASK), in that order (mtrr_index()). */
#define MTRR_FIXED_COUNT 11u
#define MTRR_VAR_MAX     8u
#define MTRR_COUNT       (1u + MTRR_FIXED_COUNT + 2u * MTRR_VAR_MAX)

struct host_cpu {
	bool gd;                /* a MOV DR with DR7.GD set raises #DB */
	bool has_misc_enable;   /* RDMSR MISC_ENABLE does not #GP ... */
	uint64_t misc_enable;   /* ... and reads this */
	bool has_mtrr;          /* CPUID.MTRR and MTRRCAP reads */
	uint64_t mtrrcap;       /* read-only: VCNT (clamped), FIX, WC */
	uint64_t mtrr[MTRR_COUNT];      /* as the firmware left them */
	bool null_seg;          /* a data access through a null selector
				   raises #GP(0) (QEMU's TCG does not check) */
	unsigned lin_bits;      /* long mode: linear-address width (CPUID
				   0x80000008, else 48); 0 without long mode */
};

extern struct host_cpu host_cpu;

#define MSR_MTRRCAP        0x0FEu
#define MSR_MTRR_VAR_BASE  0x200u   /* PHYSBASE0, PHYSMASK0, PHYSBASE1, ... */
#define MSR_MTRR_FIX64K    0x250u
#define MSR_MTRR_FIX16K    0x258u   /* and 0x259 */
#define MSR_MTRR_FIX4K     0x268u   /* to 0x26F */
#define MSR_MTRR_DEF_TYPE  0x2FFu
#define MTRRCAP_VCNT       0xFFu
#define MTRRCAP_FIX        (1u << 8)

/* The MSR number of MTRR slot i (0 <= i < MTRR_COUNT). */
static inline uint32_t mtrr_msr(unsigned i)
{
	static const uint32_t fixed[MTRR_FIXED_COUNT] = {
		MSR_MTRR_FIX64K, MSR_MTRR_FIX16K, MSR_MTRR_FIX16K + 1,
		MSR_MTRR_FIX4K, MSR_MTRR_FIX4K + 1, MSR_MTRR_FIX4K + 2, MSR_MTRR_FIX4K + 3,
		MSR_MTRR_FIX4K + 4, MSR_MTRR_FIX4K + 5, MSR_MTRR_FIX4K + 6, MSR_MTRR_FIX4K + 7,
	};
	if (i == 0)
		return MSR_MTRR_DEF_TYPE;
	if (i <= MTRR_FIXED_COUNT)
		return fixed[i - 1];
	return MSR_MTRR_VAR_BASE + (i - 1 - MTRR_FIXED_COUNT);
}

/* Whether addr is canonical on a CPU whose linear addresses have bits
 * bits: bits 63 to bits-1 all equal (WRMSR of an address MSR checks it). */
static inline bool canonical(uint64_t addr, unsigned bits)
{
	uint64_t top = addr >> (bits - 1u);
	return top == 0 || top == (~0ull >> (bits - 1u));
}

/* The slot of MTRR msr on a CPU whose MTRRCAP is cap, or -1 if that CPU
 * has no such MSR (a fixed range without FIX, a pair past VCNT). */
static inline int mtrr_index(uint32_t msr, uint64_t cap)
{
	unsigned vars = 2u * (unsigned)(cap & MTRRCAP_VCNT);

	for (unsigned i = 0; i < MTRR_COUNT; i++) {	/* bound: MTRR_COUNT */
		if (mtrr_msr(i) != msr)
			continue;
		if (i >= 1 && i <= MTRR_FIXED_COUNT && !(cap & MTRRCAP_FIX))
			return -1;
		if (i > MTRR_FIXED_COUNT && i - 1 - MTRR_FIXED_COUNT >= vars)
			return -1;
		return (int)i;
	}
	return -1;
}

/* RDPMC of counter `counter` (the guest's ECX) in ring 0, now: -1 and
 * the count in *val, or the vector the CPU raised (#UD on a CPU without
 * the instruction or counters, as QEMU's TCG; #GP for a counter it lacks,
 * as Bochs).  The real counters are only ever read, never programmed. */
int host_rdpmc(uint32_t counter, uint64_t *val);

/* Ask the CPU (ring 0, before the guest runs; the IDT must be loaded). */
void host_cpu_probe(void);
/* host_trap's first question: an exception a probe expected?  Then the
 * frame resumes after the probed instruction; true. */
bool host_probe_trap(struct trapframe *f);

#endif
