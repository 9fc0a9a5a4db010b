/*
 * sec_msr.c - model-specific registers, CPUID, the time-stamp counter and
 * SYSENTER/SYSEXIT.
 *
 * Mechanism: RDMSR/WRMSR (CPL 0 only) read and write the MSR ECX names;
 * one the CPU does not have raises #GP(0).  CPUID is unprivileged and
 * tells a kernel which of them exist.  RDTSC reads a counter that never
 * goes back (writable through MSR 0x10).  SYSENTER (from any ring) loads
 * CS from SYSENTER_CS, SS from SYSENTER_CS + 8, ESP and EIP from their
 * MSRs, at CPL 0; SYSEXIT (CPL 0 only) returns to CPL 3 with CS =
 * SYSENTER_CS + 16, SS = + 24, EIP = EDX, ESP = ECX.
 *
 * Lines print CPUID words as read (the same CPU natively and under a
 * monitor that does not intercept CPUID), MSR values where they are
 * deterministic, verdicts where they are not (the TSC).
 */
#include "conform.h"
#include "lib/fmt.h"

#define MSR_PAT           0x277u
#define MSR_MTRRCAP       0x0FEu
#define CPUID_PAT         (1u << 16)
#define CPUID_MTRR        (1u << 12)
#define TSC_HIGH_WRITTEN  0x10u
#define RDTSC_SAMPLES     1000

static u32 msr_lo __attribute__((used)), msr_hi __attribute__((used));

static void try_rdmsr(u32 msr)
{
	msr_lo = msr_hi = 0;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "rdmsr\n\tmovl %%eax, msr_lo\n\tmovl %%edx, msr_hi" TRY_END
			 : : "c"(msr) : "eax", "edx", "memory");
	exc_disarm();
}

static void try_wrmsr(u32 msr, u32 lo, u32 hi)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "wrmsr" TRY_END : : "c"(msr), "a"(lo), "d"(hi) : "memory");
	exc_disarm();
}

static void report_msr(const char *name)
{
	if (exc.vector != ~0u)
		report(name, "%s", exc_at());
	else
		report(name, "0x%08x%08x", msr_hi, msr_lo);
}

static void check_cpuid(void)
{
	u32 a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	char vendor[13];
	*(u32 *)vendor = b;
	*(u32 *)(vendor + 4) = d;
	*(u32 *)(vendor + 8) = c;
	vendor[12] = 0;
	report("msr.cpuid.0", "%u/%s", a, vendor);
	cpuid(1, &a, &b, &c, &d);
	report("msr.cpuid.1.eax", "0x%08x", a);
	report("msr.cpuid.1.ecx", "0x%08x", c);
	report("msr.cpuid.1.edx", "0x%08x", d);
	cpuid(0x80000000u, &a, &b, &c, &d);
	report("msr.cpuid.ext.max", "0x%08x", a);
	report("msr.cpuid.ext.1.edx", "0x%08x", cpuid_edx(0x80000001u));
}

static void check_sysenter_msrs(void)
{
	static const u32 msrs[] = { MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP };
	static const char *const names[] = { "msr.sysenter_cs", "msr.sysenter_esp",
					     "msr.sysenter_eip" };
	static const u32 vals[] = { SEL_KCODE, 0x00C0FFEE, 0xDEAD0000 };
	if (!(cpuid_edx(1) & CPUID_SEP)) {
		report("msr.sysenter", "no-sep");
		return;
	}
	for (unsigned i = 0; i < 3; i++) {
		try_wrmsr(msrs[i], vals[i], 0);
		try_rdmsr(msrs[i]);
		report_msr(names[i]);
	}
}

static void check_platform_msrs(void)
{
	u32 edx = cpuid_edx(1), xedx = cpuid_edx(0x80000001u);
	try_rdmsr(MSR_TSC);
	report("msr.tsc.read", "%s", exc.vector == ~0u ? "ok" : exc_at());
	if (edx & CPUID_APIC) {
		try_rdmsr(MSR_APIC_BASE);
		report_msr("msr.apic_base");
	} else {
		report("msr.apic_base", "no-apic");
	}
	try_rdmsr(MSR_MISC_ENABLE);
	report_msr("msr.misc_enable");
	if (xedx & (CPUID_X_NX | CPUID_X_LM | CPUID_X_SYSCALL)) {
		try_rdmsr(MSR_EFER);
		report_msr("msr.efer");
	} else {
		report("msr.efer", "absent");
	}
	if (edx & CPUID_PAT) {
		try_rdmsr(MSR_PAT);
		report_msr("msr.pat");
	} else {
		report("msr.pat", "absent");
	}
	if (edx & CPUID_MTRR) {
		try_rdmsr(MSR_MTRRCAP);
		report_msr("msr.mtrrcap");
	} else {
		report("msr.mtrrcap", "absent");
	}
}

static void user_rdmsr(void)
{
	try_rdmsr(MSR_SYSENTER_CS);
}

static void check_ring3(void)
{
	run_user(user_rdmsr, 0);
	report("msr.rdmsr.r3", "%s", exc_at());
}

/* ---- the TSC ---- */

static void check_tsc(void)
{
	u64 prev = rdtsc();
	unsigned back = 0;
	for (int i = 0; i < RDTSC_SAMPLES; i++) {
		u64 t = rdtsc();
		back += t < prev;
		prev = t;
	}
	report("msr.rdtsc.monotonic", "%s", back ? "no" : "ok");
	/* the write must be accepted; whether the counter then follows it
	 * differs natively (Bochs and real CPUs: yes, QEMU's TCG: no), so
	 * only a fault is printed */
	try_wrmsr(MSR_TSC, 0, TSC_HIGH_WRITTEN);
	report("msr.tsc.write", "%s", exc.vector != ~0u ? exc_at() : "accepted");
}

/* ---- SYSENTER / SYSEXIT ---- */

static volatile u32 se_cs, se_ss, se_esp, se_eflags, sx_cs, sx_ss, sx_esp_ok, se_back
	__attribute__((used));
static u8 sysenter_stack[1024] __attribute__((aligned(16)));

/* The kernel side: what SYSENTER set up, then SYSEXIT to the user's
 * EDX/ECX (which it left untouched). */
__asm__(".pushsection .text\n"
	"sysenter_entry:\n\t"
	"movl %esp, se_esp\n\t"
	"pushl %eax\n\t"
	"mov %cs, %eax\n\tmovl %eax, se_cs\n\t"
	"mov %ss, %eax\n\tmovl %eax, se_ss\n\t"
	"pushfl\n\tpopl %eax\n\tmovl %eax, se_eflags\n\t"
	"popl %eax\n\t"
	"sysexit\n"
	".popsection");
extern void sysenter_entry(void);

static void user_sysenter(void)
{
	__asm__ volatile("movl %%esp, %%ecx\n\tmovl $1f, %%edx\n\tsysenter\n1:\n\t"
			 "movl %%esp, %%eax\n\tcmpl %%eax, %%ecx\n\tsete %%al\n\t"
			 "movzbl %%al, %%eax\n\tmovl %%eax, sx_esp_ok\n\t"
			 "mov %%cs, %%eax\n\tmovl %%eax, sx_cs\n\t"
			 "mov %%ss, %%eax\n\tmovl %%eax, sx_ss\n\t"
			 "movl $1, se_back"
			 : : : "eax", "ecx", "edx", "memory");
}

static void check_sysenter(void)
{
	if (!(cpuid_edx(1) & CPUID_SEP)) {
		report("msr.sysenter", "no-sep");
		return;
	}
	try_wrmsr(MSR_SYSENTER_CS, SEL_KCODE, 0);
	try_wrmsr(MSR_SYSENTER_ESP, (u32)sysenter_stack + sizeof sysenter_stack, 0);
	try_wrmsr(MSR_SYSENTER_EIP, (u32)sysenter_entry, 0);
	se_back = 0;
	se_cs = se_ss = sx_cs = sx_ss = 0xDEAD;
	int r = run_user(user_sysenter, 0);
	report("msr.sysenter.roundtrip", "%s", r ? exc_str() : se_back ? "ok" : "lost");
	report("msr.sysenter.cs", "0x%04x", se_cs & 0xFFFC);   /* RPL: a hole line */
	report("msr.sysenter.ss", "0x%04x", se_ss & 0xFFFC);
	report("msr.sysenter.esp", "%s", se_esp == (u32)sysenter_stack + sizeof sysenter_stack ?
	       "msr" : "other");
	report("msr.sysenter.if", "%u", !!(se_eflags & FL_IF));
	report("msr.sysexit.cs", "0x%04x", sx_cs & 0xFFFF);
	report("msr.sysexit.ss", "0x%04x", sx_ss & 0xFFFF);
	report("msr.sysexit.esp", "%s", sx_esp_ok ? "ecx" : "other");
	/* SYSENTER with SYSENTER_CS = 0 faults; SYSEXIT outside ring 0 faults */
	try_wrmsr(MSR_SYSENTER_CS, 0, 0);
	r = run_user(user_sysenter, 0);
	report("msr.sysenter.cs0", "%s", r ? exc_str() : "none");
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "movl $9f, %%edx\n\t" AT "sysexit"
			 TRY_END "movl %%ecx, %%esp" : : : "ecx", "edx", "memory");
	exc_disarm();
	report("msr.sysexit.cs0", "%s", exc_at());
}

static void user_sysexit(void)
{
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN "movl $9f, %%edx\n\t" AT "sysexit"
			 TRY_END "movl %%ecx, %%esp" : : : "ecx", "edx", "memory");
	exc_disarm();
}

static void check_sysexit_ring3(void)
{
	if (!(cpuid_edx(1) & CPUID_SEP)) {
		report("msr.sysexit.r3", "no-sep");
		return;
	}
	try_wrmsr(MSR_SYSENTER_CS, SEL_KCODE, 0);
	run_user(user_sysexit, 0);
	report("msr.sysexit.r3", "%s", exc_at());
}

static const struct check checks[] = {
	{ "msr.cpuid", check_cpuid },
	{ "msr.sysenter_msrs", check_sysenter_msrs },
	{ "msr.platform", check_platform_msrs },
	{ "msr.ring3", check_ring3 },
	{ "msr.tsc", check_tsc },
	{ "msr.sysenter", check_sysenter },
	{ "msr.sysexit_ring3", check_sysexit_ring3 },
};

SECTION(sec_msr, "msr", "MSRs, CPUID, TSC, SYSENTER/SYSEXIT", checks);
