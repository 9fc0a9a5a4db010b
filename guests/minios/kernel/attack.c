/*
 * attack.c - a hostile guest kernel: one way out of a virtual machine per
 * run (attack=NAME), for the monitor's containment tests.
 *
 * Mechanism: under a trap-and-emulate monitor the guest kernel runs in
 * ring 1 with the monitor's switcher (GDT, IDT, TSS, entry code) mapped in
 * the top 4 MB of its address space, read-only.  Paging cannot tell ring 1
 * from ring 0, descriptors decide which rings code may enter, and the p2m
 * decides which host memory guest-physical addresses reach.  Each attack
 * below pushes on one of those walls.  A monitor that contains it either
 * gives the kernel exactly the fault real hardware would (the attack then
 * prints what it saw and exits 0) or ends the guest with a one-line reason
 * and keeps running itself; it never crashes or hangs.
 *
 *   idt-write     write the switcher's IDT at 0xFFC10000 (unmapped in
 *                 minios's own tables: #PF, as on hardware)
 *   gdt-write     the same for the switcher's GDT at 0xFFC00000
 *   map-switcher  map the top 4 MB in minios's page directory, then write
 *                 there (hardware: succeeds; the monitor must refuse)
 *   phys-escape   map a page at guest-physical 1 GB, past any RAM the
 *                 monitor gives, and read it (reaching host memory?)
 *   pt-alias      map the test window's own page table writable into the
 *                 window, write PTEs through that alias with no INVLPG (a
 *                 not-present entry made present), use a benign one, then
 *                 one naming guest-physical 1 GB (the write-protected page
 *                 table must still be seen: the shadow may not map it)
 *   call-gate     LGDT a table holding call gates (a way to ring 0): one to
 *                 minios's code (lands, emulated by the monitor), two to
 *                 the monitor's ring-0 code selectors (#GP(selector))
 *   rdpmc         RDPMC in ring 0: the monitor runs it in its own ring 0
 *                 and gives the guest the CPU's answer (#UD on qemu32)
 *   wrmsr         WRMSR to an MSR no CPU defines
 *   cli-hlt       CLI; HLT: on hardware, a hang forever
 *   popf-if       not hostile, just unlucky: CLI, then re-enable interrupts
 *                 with POPF (fine on hardware) and busy-wait 1.5 s.  In ring
 *                 1 POPF cannot set IF, so interrupts stay off; the monitor
 *                 must say so (the long-IF-clear warning), and the kernel
 *                 goes on once it executes STI
 *
 * Natively only the first two are meaningful (both fault); the others are
 * for running under the monitor.
 *
 * The later attacks live by theme in attack_desc.c (descriptor tables),
 * attack_cpu.c (rings, EFLAGS, I/O permission, debug registers, stacks),
 * attack_mem.c (page tables and the shadow), attack_time.c (keeping the
 * monitor busy), attack_split.c (the kernel/user wall of ring=3) and
 * attack_fast.c (the switcher's fast-path state); attack_lib.c has what
 * they share.  run_attack() finds a
 * name in any of the lists and runs it after attack_setup().
 */
#include "attack.h"
#include "attack_lib.h"
#include "gdt.h"
#include "trap.h"
#include "vm.h"
#include "intr.h"
#include "pic.h"
#include "x86.h"
#include "console.h"
#include "lib/fmt.h"

#define SWITCHER_GDT 0xFFC00000u
#define SWITCHER_IDT 0xFFC10000u          /* layout.h: SW_VA(SW_IDT_OFF) */
#define ESCAPE_SLOT  9                  /* a free test-window page */
#define ALIAS_SLOT   10                 /* ...where pt-alias maps the table */
#define TARGET_SLOT  11                 /* ...the PTE it writes through it */
#define ALIAS_MAGIC  0x600DA11Au
#define BOGUS_MSR    0xC0DE0001u

static void report_write(u32 va)
{
	int f = probe_write32(va, 0xDEADBEEF);
	if (f)
		kprintf("attack: write to 0x%x faulted: vector %u, err 0x%x, cr2 0x%x\n", va,
			probe_info.vector, probe_info.err, probe_info.cr2);
	else
		kprintf("attack: write to 0x%x succeeded\n", va);
}

static void atk_idt_write(void)
{
	report_write(SWITCHER_IDT);
}

static void atk_gdt_write(void)
{
	report_write(SWITCHER_GDT);
}

static void atk_map_switcher(void)
{
	pde_t *pd = P2V(rcr3());
	pd[PDX(SWITCHER_GDT)] = PDE_BIGADDR(0) | PTE_P | PTE_W | PTE_PS;
	invlpg(SWITCHER_IDT);
	report_write(SWITCHER_IDT);
	pd[PDX(SWITCHER_GDT)] = 0;
	invlpg(SWITCHER_IDT);
}

static void atk_phys_escape(void)
{
	u32 va = TESTWIN + ESCAPE_SLOT * PGSIZE, v = 0;
	testwin_pt[ESCAPE_SLOT] = ESCAPE_GPA | PTE_P | PTE_W;
	invlpg(va);
	int f = probe_read32(va, &v);
	kprintf("attack: read of guest-physical 0x%x %s: 0x%x\n", ESCAPE_GPA,
		f ? "faulted" : "returned", v);
	testwin_pt[ESCAPE_SLOT] = 0;
	invlpg(va);
}

static void atk_pt_alias(void)
{
	u32 alias = TESTWIN + ALIAS_SLOT * PGSIZE, target = TESTWIN + TARGET_SLOT * PGSIZE, v = 0;
	volatile u32 *frame = page_alloc();
	volatile pte_t *via = (volatile pte_t *)alias;

	if (!frame)
		return;
	frame[0] = ALIAS_MAGIC;
	testwin_pt[ALIAS_SLOT] = V2P(testwin_pt) | PTE_P | PTE_W;
	invlpg(alias);
	via[TARGET_SLOT] = V2P((void *)frame) | PTE_P | PTE_W;     /* no INVLPG: it was not present */
	int f = probe_read32(target, &v);
	kprintf("attack: a PTE written through an alias of its page table maps a page: %s 0x%x\n",
		f ? "faulted" : "read", v);
	via[TARGET_SLOT] = 0;
	invlpg(target);
	via[TARGET_SLOT] = ESCAPE_GPA | PTE_P | PTE_W;
	f = probe_read32(target, &v);
	kprintf("attack: read of guest-physical 0x%x through the alias %s: 0x%x\n", ESCAPE_GPA,
		f ? "faulted" : "returned", v);
	via[TARGET_SLOT] = 0;
	invlpg(target);
	testwin_pt[ALIAS_SLOT] = 0;
	invlpg(alias);
}

/* minios's GDT, then two gates aimed at the monitor's code selectors */
#define GATE_MON_OLD  NSEGS
#define GATE_MON_TOP  (NSEGS + 1)
static struct segdesc gategdt[NSEGS + 2];

static void gategdt_load(struct segdesc *table, u32 n)
{
	int s = intr_save();
	gdt_load(table, n);
	intr_restore(s);
}

/* A DPL-3 call gate to minios's own kernel code, used from the kernel:
 * the call lands and returns (hardware and monitor alike, the monitor
 * emulating it).  Gates naming the monitor's ring-0 code selectors at the
 * switcher's code: selectors beyond the guest's GDT, #GP(selector) on
 * hardware, and the monitor looks targets up in the guest's tables only,
 * so the same. */
static void atk_call_gate(void)
{
	char what[96];

	for (int i = 0; i < NSEGS; i++)
		gategdt[i] = gdt[i];
	gategdt[SEG_TEST] = gate_desc((u32)far_ret_target, SEL_KCODE, STS_CG32, DPL_USER);
	gategdt[GATE_MON_OLD] = gate_desc(SW_CODE, MON_SEL_OLD, STS_CG32, DPL_USER);
	gategdt[GATE_MON_TOP] = gate_desc(SW_CODE, MON_SEL_TOP, STS_CG32, DPL_USER);
	gategdt_load(gategdt, NSEGS + 2);
	kprintf("attack: a GDT with call gates was loaded\n");
	fmt_snprintf(what, sizeof what, "far call through the DPL-3 call gate 0x%x to minios's code",
		     SEL(SEG_TEST, 3));
	try_report(what, far_call, SEL(SEG_TEST, 3));
	fmt_snprintf(what, sizeof what, "far call through the call gate 0x%x to 0x%x:0x%x",
		     SEL(GATE_MON_OLD, 3), MON_SEL_OLD, SW_CODE);
	try_report(what, far_call, SEL(GATE_MON_OLD, 3));
	fmt_snprintf(what, sizeof what, "far call through the call gate 0x%x to 0x%x:0x%x",
		     SEL(GATE_MON_TOP, 3), MON_SEL_TOP, SW_CODE);
	try_report(what, far_call, SEL(GATE_MON_TOP, 3));
	gategdt_load(gdt, NSEGS);
}

/* Runs one instruction under the probe catcher; returns the vector it
 * raised, or -1. */
static int probe_rdpmc(void)
{
	u32 before = probe_info.count;
	__asm__ volatile("movl $1f, %[resume]\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "rdpmc\n"
			 "1:\n\t"
			 "movl $0, %[resume]"
			 : [resume] "=m"(probe_resume) : : "eax", "ecx", "edx", "memory");
	return probe_info.count != before ? (int)probe_info.vector : -1;
}

static int probe_wrmsr(void)
{
	u32 before = probe_info.count;
	__asm__ volatile("movl $1f, %[resume]\n\t"
			 "wrmsr\n"
			 "1:\n\t"
			 "movl $0, %[resume]"
			 : [resume] "=m"(probe_resume)
			 : "c"(BOGUS_MSR), "a"(0), "d"(0) : "memory");
	return probe_info.count != before ? (int)probe_info.vector : -1;
}

static void atk_rdpmc(void)
{
	kprintf("attack: rdpmc raised vector %d\n", probe_rdpmc());
}

static void atk_wrmsr(void)
{
	kprintf("attack: wrmsr 0x%x raised vector %d\n", BOGUS_MSR, probe_wrmsr());
}

static void atk_cli_hlt(void)
{
	cli();
	hlt();
	kprintf("attack: woke from HLT with interrupts off\n");
}

#define POPF_SPIN_PERIODS 150             /* 1.5 s at the default 100 Hz */

static void atk_popf_if(void)
{
	u32 t0 = ticks;
	cli();
	write_eflags(read_eflags() | FL_IF);
	pit_spin_periods(POPF_SPIN_PERIODS);
	u32 during = ticks - t0;
	sti();
	intr_on = 1;
	kprintf("attack: %u timer ticks arrived while interrupts were on by POPF\n", during);
}

static const struct attack attacks_base[] = {
	{ "idt-write", atk_idt_write },
	{ "gdt-write", atk_gdt_write },
	{ "map-switcher", atk_map_switcher },
	{ "phys-escape", atk_phys_escape },
	{ "pt-alias", atk_pt_alias },
	{ "call-gate", atk_call_gate },
	{ "rdpmc", atk_rdpmc },
	{ "wrmsr", atk_wrmsr },
	{ "cli-hlt", atk_cli_hlt },
	{ "popf-if", atk_popf_if },
	{ 0, 0 },
};

static const struct attack *const themes[] = {
	attacks_base, attacks_desc, attacks_cpu, attacks_mem, attacks_time, attacks_split,
	attacks_fast,
};

static const struct attack *find_attack(const char *name)
{
	for (u32 t = 0; t < sizeof themes / sizeof themes[0]; t++)
		for (const struct attack *a = themes[t]; a->name; a++)
			if (fmt_strcmp(name, a->name) == 0)
				return a;
	return 0;
}

void run_attack(const char *name)
{
	const struct attack *a = find_attack(name);

	if (!a) {
		kprintf("minios: command line refused: unknown attack '%s'\n", name);
		machine_exit(EXIT_BADOPT);
	}
	kprintf("attack %s\n", name);
	attack_setup();
	a->run();
	kprintf("attack %s: the kernel is still running\n", name);
	machine_exit(EXIT_OK);
}
