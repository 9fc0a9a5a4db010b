/*
 * sec_cr.c - the control registers: what reads back, and what each bit
 * makes the CPU do.
 *
 * Mechanism: CR0.TS, EM and MP decide whether x87 instructions and WAIT
 * raise #NM (the lazy FPU switch every kernel of the 386 era and Linux
 * until 2016 relied on: TS set on a task switch, the first FPU instruction
 * traps, the kernel restores the FPU state and CLTS).  CR0.WP makes ring 0
 * honour read-only pages.  CR4.PSE enables 4 MB pages, CR4.PGE global pages,
 * CR4.TSD makes RDTSC privileged, CR4.DE makes DR4/DR5 undefined.  Writes
 * of reserved or inconsistent combinations raise #GP(0).  A monitor that
 * keeps these bits only in a virtual CR0/CR4 shows them in read-back but
 * not in effect: the lines here test the effect.
 */
#include "conform.h"
#include "lib/fmt.h"

#define RO_PAGE_OFF   0x1000          /* test_area's second page: made read-only */

static const char *hex(u32 v)
{
	static char buf[16];
	fmt_snprintf(buf, sizeof buf, "0x%08x", v);
	return buf;
}

/* ---- read back ---- */

static u32 try_cr0(u32 v)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl %0, %%cr0" TRY_END : : "r"(v) : "memory");
	exc_disarm();
	return rcr0();
}

static u32 try_cr4(u32 v)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl %0, %%cr4" TRY_END : : "r"(v) : "memory");
	exc_disarm();
	return rcr4();
}

static void report_cr(const char *name, u32 v)
{
	report(name, "%s", exc.vector == ~0u ? hex(v) : exc_at());
}

static void check_readback(void)
{
	u32 base = rcr0();
	report("cr.cr0.reset", "%s", hex(base));
	report_cr("cr.cr0.mp", try_cr0(base | CR0_MP));
	report_cr("cr.cr0.em", try_cr0(base | CR0_EM));
	report_cr("cr.cr0.ts", try_cr0(base | CR0_TS));
	report_cr("cr.cr0.am", try_cr0(base | CR0_AM));
	report_cr("cr.cr0.wp", try_cr0(base | CR0_WP));
	report_cr("cr.cr0.et_clear", try_cr0(base & ~CR0_ET));
	report_cr("cr.cr0.cd_nw", try_cr0(base | 0x60000000u));
	try_cr0(base);
	try_cr0(base);
	lcr2(0x12345678);
	report("cr.cr2.write", "%s", hex(rcr2()));
	lcr3(0xABCDE018);
	report("cr.cr3.write", "%s", hex(rcr3()));
	report("cr.cr4.reset", "%s", hex(rcr4()));
	u32 edx = cpuid_edx(1);
	report_cr("cr.cr4.de", (edx & CPUID_DE) ? try_cr4(CR4_DE) : 0);
	report_cr("cr.cr4.tsd", try_cr4(CR4_TSD));
	report_cr("cr.cr4.pse", (edx & CPUID_PSE) ? try_cr4(CR4_PSE) : 0);
	report_cr("cr.cr4.pge", (edx & CPUID_PGE) ? try_cr4(CR4_PGE) : 0);
	report_cr("cr.cr4.vme", try_cr4(CR4_VME));
	report_cr("cr.cr4.pvi", try_cr4(CR4_PVI));
	try_cr4(0);
}

static void check_lmsw_smsw(void)
{
	u16 w = 0;
	__asm__ volatile("lmsw %w0" : : "r"((u32)(CR0_PE | CR0_MP | CR0_TS)) : "memory");
	report("cr.lmsw.set_ts", "%s", hex(rcr0()));
	__asm__ volatile("lmsw %w0" : : "r"(0u) : "memory");
	report("cr.lmsw.cannot_clear_pe", "%s", hex(rcr0()));
	__asm__ volatile("clts" ::: "memory");
	report("cr.clts", "%s", hex(rcr0()));
	__asm__ volatile("smsw %0" : "=r"(w));
	(void)w;
}

/* ---- CR0.TS/EM/MP and the x87: #NM or not ---- */

#define X87(fn, insn)                                                                \
	static void fn(void)                                                         \
	{                                                                            \
		exc_clear();                                                         \
		__asm__ volatile(TRY_BEGIN AT insn TRY_END ::: "memory");            \
		exc_disarm();                                                        \
	}

X87(x_fnop, "fnop")
X87(x_fld1, "fld1\n\tfstp %%st(0)")
X87(x_wait, "fwait")
X87(x_fninit, "fninit")

struct x87_case {
	const char *name;
	u32 cr0_bits;
	void (*run)(void);
};

static const struct x87_case x87_cases[] = {
	{ "cr.x87.clear.fnop", 0, x_fnop },
	{ "cr.x87.ts.fnop", CR0_TS, x_fnop },
	{ "cr.x87.ts.fld", CR0_TS, x_fld1 },
	{ "cr.x87.ts.fninit", CR0_TS, x_fninit },
	{ "cr.x87.ts.wait", CR0_TS, x_wait },
	{ "cr.x87.ts_mp.wait", CR0_TS | CR0_MP, x_wait },
	{ "cr.x87.ts_mp.fnop", CR0_TS | CR0_MP, x_fnop },
	{ "cr.x87.em.fnop", CR0_EM, x_fnop },
	{ "cr.x87.em.fld", CR0_EM, x_fld1 },
	{ "cr.x87.em.wait", CR0_EM, x_wait },
	{ "cr.x87.em_mp.wait", CR0_EM | CR0_MP, x_wait },
	{ "cr.x87.mp.wait", CR0_MP, x_wait },
};

static const struct x87_case *volatile user_case;

static void user_x87(void)
{
	user_case->run();
}

static void check_x87(void)
{
	u32 base = rcr0() & ~(CR0_TS | CR0_EM | CR0_MP);
	if (!has_x87()) {
		report("cr.x87", "no-x87");
		return;
	}
	for (unsigned i = 0; i < sizeof x87_cases / sizeof x87_cases[0]; i++) {
		lcr0(base | x87_cases[i].cr0_bits);
		x87_cases[i].run();
		lcr0(base);
		report(x87_cases[i].name, "%s", exc_at());
	}
	/* ring 3 sees the same CR0 */
	lcr0(base | CR0_TS | CR0_MP);
	user_case = &x87_cases[1];
	run_user(user_x87, 0);
	report("cr.x87.ts.fnop.r3", "%s", exc_at());
	user_case = &x87_cases[5];
	run_user(user_x87, 0);
	report("cr.x87.ts_mp.wait.r3", "%s", exc_at());
	/* the lazy-FPU pattern: #NM, CLTS in the handler, the instruction again */
	x_fnop();
	__asm__ volatile("clts");
	x_fnop();
	report("cr.x87.after_clts", "%s", exc_at());
	lcr0(base);
}

/* ---- CR0.WP: a supervisor write to a read-only page ---- */

static u8 *ro_page(void)
{
	return test_area + RO_PAGE_OFF;
}

static void set_readonly(u8 *page)
{
	u32 pa = (u32)page;
	pg_tables[PDX(pa)][PTX(pa)] = pa | PTE_P | PTE_U;
}

static void try_write(u8 *p)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl $0x5a5a5a5a, (%0)" TRY_END : : "r"(p) : "memory");
	exc_disarm();
}

static volatile u8 *volatile user_target;

static void user_write(void)
{
	try_write((u8 *)user_target);
}

static void check_wp(void)
{
	pg_build();
	set_readonly(ro_page());
	*(volatile u32 *)ro_page() = 0;
	pg_on(0);
	lcr0(rcr0() | CR0_WP);
	try_write(ro_page());
	report("cr.wp1.r0.write", "%s", exc_at());
	report("cr.wp1.r0.cr2", "%s", exc.vector == T_PF ? (exc.cr2 == (u32)ro_page() ?
	       "addr" : hex(exc.cr2)) : "-");
	report("cr.wp1.r0.value", "%s", hex(*(volatile u32 *)ro_page()));
	lcr0(rcr0() & ~CR0_WP);
	try_write(ro_page());
	report("cr.wp0.r0.write", "%s", exc_at());
	report("cr.wp0.r0.value", "%s", hex(*(volatile u32 *)ro_page()));
	*(volatile u32 *)ro_page() = 0;
	user_target = ro_page();
	run_user(user_write, 0);
	report("cr.wp0.r3.write", "%s", exc_at());
	report("cr.wp0.r3.value", "%s", hex(*(volatile u32 *)ro_page()));
	/* after a WP=0 write made the page present for ring 0, WP=1 again */
	lcr0(rcr0() | CR0_WP);
	try_write(ro_page());
	report("cr.wp1.again.r0.write", "%s", exc_at());
	pg_off();
}

/* ---- CR4.PSE: a 4 MB page ---- */

#define WIN4M      0x40000000u        /* a 4 MB window */
#define PA4M       0x00800000u        /* backed by physical 8-12 MB */
#define SIG4M      0x4A4A0001u

static void check_pse(void)
{
	if (!(cpuid_edx(1) & CPUID_PSE)) {
		report("cr.pse", "no-pse");
		return;
	}
	pg_build();
	*(volatile u32 *)(PA4M + 0x1234) = SIG4M;
	pg_dir[PDX(WIN4M)] = PA4M | PTE_PS | PTE_P | PTE_W | PTE_U;
	pg_on(CR4_PSE);
	exc_clear();
	u32 v = 0;
	__asm__ volatile(TRY_BEGIN AT "movl (%1), %0" TRY_END : "+r"(v) : "r"(WIN4M + 0x1234)
			 : "memory");
	exc_disarm();
	report("cr.pse.read", "%s", exc.vector == ~0u ? hex(v) : exc_at());
	report("cr.pse.pde.a", "%u", !!(pg_dir[PDX(WIN4M)] & PTE_A));
	pg_off();
}

/* ---- CR4.PGE: a global page still works, and INVLPG still drops it ---- */

static void check_pge(void)
{
	if (!(cpuid_edx(1) & CPUID_PGE)) {
		report("cr.pge", "no-pge");
		return;
	}
	pg_build();
	u32 pa = (u32)test_area;
	pg_tables[PDX(pa)][PTX(pa)] |= PTE_G;
	test_area[0] = 0x77;
	pg_on(CR4_PGE);
	report("cr.pge.cr4", "%s", hex(rcr4()));
	report("cr.pge.read", "0x%02x", test_area[0]);
	pg_tables[PDX(pa)][PTX(pa)] = ((u32)test_area + 2 * PGSIZE) | PTE_P | PTE_W | PTE_U | PTE_G;
	test_area[2 * PGSIZE] = 0x88;
	invlpg(pa);
	report("cr.pge.invlpg", "0x%02x", *(volatile u8 *)test_area);
	pg_off();
	lcr4(0);
}

/* ---- CR4.TSD: RDTSC at CPL 3 ---- */

static void user_rdtsc(void)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "rdtsc" TRY_END ::: "eax", "edx", "memory");
	exc_disarm();
}

static void check_tsd(void)
{
	lcr4(CR4_TSD);
	run_user(user_rdtsc, 0);
	report("cr.tsd.r3", "%s", exc_at());
	user_rdtsc();
	report("cr.tsd.r0", "%s", exc_at());
	lcr4(0);
	run_user(user_rdtsc, 0);
	report("cr.tsd_clear.r3", "%s", exc_at());
}

static const struct check checks[] = {
	{ "cr.readback", check_readback },
	{ "cr.lmsw", check_lmsw_smsw },
	{ "cr.x87", check_x87 },
	{ "cr.wp", check_wp },
	{ "cr.pse", check_pse },
	{ "cr.pge", check_pge },
	{ "cr.tsd", check_tsd },
};

SECTION(sec_cr, "cr", "CR0/CR2/CR3/CR4 read-back and effects", checks);
