/*
 * attack_desc.c - hostile descriptor tables: gates, limits and bases aimed
 * at the monitor.
 *
 * Mechanism: the CPU finds every segment, gate and TSS through GDTR, LDTR,
 * IDTR and TR, by linear address, with a limit.  A call gate or task gate
 * the CPU honours moves code to another privilege level or task without
 * the monitor seeing it; a table register whose base or limit reaches
 * memory the monitor did not validate lets the guest supply descriptors the
 * CPU will believe.  So under a monitor every table the real CPU consults
 * must be one the monitor built, with a limit covering only entries it
 * checked.  Each attack below says what bare hardware does (natively
 * minios runs in ring 0) and what the monitor does (the guest kernel in
 * ring 1).
 *
 *   gdt-task-gate    LGDT a table holding a task gate.  Hardware: loads.
 *                    Monitor: ends the guest ("a task gate").
 *   ldt-call-gate    LLDT a table holding a call gate, call through it.
 *                    Hardware: the call lands.  Monitor: the same (the
 *                    gate is null in the real LDT; the call is emulated).
 *   ldt-task-gate    LLDT a table holding a task gate.  Hardware: loads.
 *                    Monitor: ends the guest.
 *   idt-task-gate    INT through a task gate in the IDT.  Hardware: a task
 *                    switch to minios's busy TSS: #GP(0x28).  Monitor: ends
 *                    the guest ("task gate").
 *   idt-call-gate    INT through a call gate in the IDT.  Hardware: not a
 *                    valid IDT gate: #GP(vector*8+2).  Monitor: the same.
 *   reset-ldtr       never LLDT; write an LDT at linear 0 (a data segment,
 *                    call gates to the monitor's code selectors) and use
 *                    it.  Hardware: the reset LDTR (base 0, limit 0xFFFF)
 *                    reads it: the data segment loads, the calls fault on
 *                    their targets.  Monitor: the virtual CPU starts with a
 *                    null LDTR, so every LDT selector is #GP(selector): a
 *                    known, deliberate difference.
 *   ldt-limits       LDT limits of 3 (no whole entry: #GP(sel)), 4 GB (G=1,
 *                    0xFFFFF: only 8192 entries are reachable) and 64 KB.
 *                    Hardware and monitor alike.
 *   gdt-limits       a GDT limit that ends inside an entry (#GP(sel)), and
 *                    a 64 KB GDT whose entries 503, 504 and 8186 load.
 *                    Hardware and monitor alike.
 *   gdt-top-empty    a 64 KB GDT, empty at 8187-8191, where the monitor
 *                    keeps its own descriptors; loads of those selectors
 *                    and an IDT gate naming 0xFFE0.  Hardware: null
 *                    descriptors: #GP(sel) each.  Monitor: a guest selector
 *                    there is never honoured: #GP(sel), the same.
 *   gdt-top-present  the same GDT with descriptors at 8187-8191.
 *                    Hardware: they load, the INT lands.  Monitor: ends the
 *                    guest (those entries are the monitor's own).
 *   gate-monitor-sel IDT gates naming the monitor's selectors (0xFE0,
 *                    0xFFE0) and one whose offset is the switcher's code.
 *                    Hardware: #GP(sel) (past minios's GDT limit), then #PF
 *                    at the switcher's code.  Monitor: #GP(sel); then ring 1 runs
 *                    whatever the switcher's code page holds until it
 *                    faults (paging cannot hide it from ring 1): a fault
 *                    comes back, which one is not compared.
 *   tss-esp0-switcher  TSS esp0 in the switcher's vCPU page, then a trap
 *                    from ring 3.  Hardware: #PF pushing the frame, #DF,
 *                    triple fault (the machine resets).  Monitor: ends the
 *                    guest with "triple fault".
 *   tss-base-switcher  LTR a TSS based at the switcher's TSS, then a trap
 *                    from ring 3.  Hardware: triple fault.  Monitor: ends
 *                    the guest (triple fault: its TSS is not mapped).
 *   tss-base-gdt     the same with the TSS inside the switcher's GDT
 *                    (0xFFC01800).  The same.
 *   accessed-idle    LGDT of a table whose kernel data descriptor has its
 *                    accessed bit clear, the segment registers left as
 *                    they are, then HLT.  Hardware: the CPU sets the bit
 *                    at the next load; the kernel wakes.  Monitor: the
 *                    same; its own ring-0 paths must not reload the
 *                    guest's selectors from the read-only real GDT (the
 *                    CPU's write of the bit would fault there).
 *   gdt-switcher-base  LGDT with base 0xFFC00000 (the switcher's GDT).
 *                    Hardware: GDTR loads (minios puts it back before any
 *                    segment load).  Monitor: ends the guest (it copies the
 *                    table at LGDT, and the guest maps nothing there).
 *   ldt-switcher-base  LLDT of an LDT at the switcher's LDT page, unused,
 *                    then LLDT 0.  Hardware: LDTR loads.  Monitor: the same
 *                    (the table is read when a selector needs it).
 */
#include "attack_lib.h"
#include "gdt.h"
#include "intr.h"
#include "vm.h"
#include "x86.h"
#include "console.h"
#include "lib/fmt.h"

#define BIG_ENTRIES   8192          /* what a selector's 13 index bits reach */
#define LIMIT_64K     0xFFFFu
#define LIMIT_4G_G    0xFFFFFu      /* with G=1: 4 GB */
#define SEL_TSS       SEL(SEG_TSS, 0)
#define SEL_SPARE0    SEL(AGDT_SPARE0, 0)
#define LDT_SEL(i, rpl) ((u16)(((i) << 3) | 4 | (rpl)))
#define ESP0_IN_SW    (SW_VCPU_TOP - 64)   /* inside the vCPU page */
#define TSS_IN_GDT    0x1800              /* where the TSS was before the GDT grew */
#define TOP_FIRST     8187          /* the monitor's entries in an 8192-entry GDT */

static struct segdesc bigtab[BIG_ENTRIES];  /* a 64 KB GDT or LDT */
static struct segdesc smalltab[4];

static struct segdesc flat_data(void)
{
	return seg_make(0, 0xFFFFFFFF, STA_W, 0, 0);
}

/* An LDT descriptor (system, byte or page granular) in agdt's spare slot. */
static void set_ldt_desc(u32 base, u32 limit, int gran)
{
	struct segdesc d;
	d.lo = (limit & 0xFFFF) | ((base & 0xFFFF) << 16);
	d.hi = ((base >> 16) & 0xFF) | (STS_LDT << 8) | SEG_P | (limit & 0xF0000) |
	       (gran ? SEG_G : 0) | (base & 0xFF000000);
	agdt[AGDT_SPARE0] = d;
	agdt_reload();
}

static void do_lldt(u32 sel)
{
	lldt((u16)sel);
}

static void do_int_spare0(u32 unused)
{
	(void)unused;
	__asm__ volatile("int %0" : : "i"(VEC_SPARE0) : "memory");
}

/* FS first: an interrupt between the two would push an LDT selector that
 * its handler's POP FS can no longer load once the LDT is gone (#GP in
 * the kernel; under the monitor, whose LLDT traps, an interrupt due is
 * delivered right there: ldt-limits failed now and then). */
static void clear_ldt(void)
{
	load_fs(SEL_KDATA);
	lldt(0);
}

/* ---- gates in every table ---- */

static void atk_gdt_task_gate(void)
{
	agdt[AGDT_SPARE0] = gate_desc(0, SEL_TSS, STS_TG, 0);
	agdt_reload();
	kprintf("attack: a GDT with a task gate at 0x%x was loaded\n", SEL_SPARE0);
	agdt[AGDT_SPARE0] = (struct segdesc){ 0, 0 };
	agdt_reload();
}

static void atk_ldt_call_gate(void)
{
	smalltab[1] = gate_desc((u32)far_ret_target, SEL_KCODE, STS_CG32, DPL_USER);
	set_ldt_desc((u32)smalltab, sizeof smalltab - 1, 0);
	try_report("LLDT of a table with a call gate", do_lldt, SEL_SPARE0);
	try_report("far call through the LDT call gate 0xf", far_call, LDT_SEL(1, 3));
	clear_ldt();
}

static void atk_ldt_task_gate(void)
{
	smalltab[1] = gate_desc(0, SEL_TSS, STS_TG, 0);
	set_ldt_desc((u32)smalltab, sizeof smalltab - 1, 0);
	try_report("LLDT of a table with a task gate", do_lldt, SEL_SPARE0);
	clear_ldt();
}

static void idt_gate_attack(int type)
{
	struct gatedesc saved = idt[VEC_SPARE0];
	attack_set_gate(VEC_SPARE0, 0, type, 0, SEL_TSS);
	try_report(type == STS_TG ? "INT through an IDT task gate" : "INT through an IDT call gate",
		   do_int_spare0, 0);
	idt[VEC_SPARE0] = saved;
}

static void atk_idt_task_gate(void)
{
	idt_gate_attack(STS_TG);
}

static void atk_idt_call_gate(void)
{
	idt_gate_attack(STS_CG32);
}

/* ---- the reset LDTR: descriptors at linear 0 nobody loaded ---- */

static void atk_reset_ldtr(void)
{
	struct segdesc *low = page_alloc();
	if (!low || vm_map(kpgdir, 0, V2P(low), PTE_W) < 0)
		panic("attack: cannot map linear 0");
	invlpg(0);
	low[1] = flat_data();
	low[2] = gate_desc(SW_CODE, MON_SEL_OLD, STS_CG32, DPL_USER);
	low[3] = gate_desc(SW_CODE, MON_SEL_TOP, STS_CG32, DPL_USER);
	try_report("MOV FS, 0xc with no LLDT", load_fs, LDT_SEL(1, 0));
	load_fs(SEL_KDATA);
	char what[80];
	fmt_snprintf(what, sizeof what, "far call 0x17 (a call gate at linear 0x10 to 0x%x:0x%x)",
		     MON_SEL_OLD, SW_CODE);
	try_report(what, far_call, LDT_SEL(2, 3));
	fmt_snprintf(what, sizeof what, "far call 0x1f (a call gate at linear 0x18 to 0x%x:0x%x)",
		     MON_SEL_TOP, SW_CODE);
	try_report(what, far_call, LDT_SEL(3, 3));
}

/* ---- limits ---- */

static void atk_ldt_limits(void)
{
	for (int i = 0; i < BIG_ENTRIES; i++)
		bigtab[i] = flat_data();
	set_ldt_desc((u32)bigtab, 3, 0);
	lldt(SEL_SPARE0);
	try_report("LDT limit 3, MOV FS, 0x4", load_fs, LDT_SEL(0, 0));
	clear_ldt();
	set_ldt_desc((u32)bigtab, LIMIT_4G_G, 1);
	lldt(SEL_SPARE0);
	try_report("LDT limit 4 GB, MOV FS, 0xc", load_fs, LDT_SEL(1, 0));
	try_report("LDT limit 4 GB, MOV FS, 0xfffc", load_fs, LDT_SEL(BIG_ENTRIES - 1, 0));
	clear_ldt();
	set_ldt_desc((u32)bigtab, LIMIT_64K, 0);
	lldt(SEL_SPARE0);
	try_report("LDT limit 64 KB, MOV FS, 0xfffc", load_fs, LDT_SEL(BIG_ENTRIES - 1, 0));
	clear_ldt();
}

static void load_gdtr(u32 base, u32 limit)
{
	struct dtr d = { (u16)limit, base };
	lgdt(&d);
}

/* bigtab = minios's attack GDT, then flat data at 'extra' indices. */
static void big_gdt(const u32 *extra, int n)
{
	for (int i = 0; i < BIG_ENTRIES; i++)
		bigtab[i] = i < NAGDT ? agdt[i] : (struct segdesc){ 0, 0 };
	for (int i = 0; i < n; i++)
		bigtab[extra[i]] = flat_data();
}

static void atk_gdt_limits(void)
{
	static const u32 far[] = { 503, 504, TOP_FIRST - 1 };
	int s = intr_save();

	big_gdt(far, 0);
	bigtab[AGDT_SPARE2] = flat_data();
	load_gdtr((u32)bigtab, AGDT_SPARE2 * 8 + 3);        /* ends inside entry 15 */
	intr_restore(s);
	try_report("GDT limit 0x7b, MOV FS, 0x78", load_fs, SEL(AGDT_SPARE2, 0));
	agdt_reload();
	s = intr_save();
	big_gdt(far, 3);
	load_gdtr((u32)bigtab, LIMIT_64K);
	intr_restore(s);
	for (int i = 0; i < 3; i++) {
		char what[48];
		fmt_snprintf(what, sizeof what, "GDT limit 64 KB, MOV FS, 0x%x", far[i] * 8);
		try_report(what, load_fs, SEL(far[i], 0));
	}
	load_fs(SEL_KDATA);
	agdt_reload();
}

/* A 64 KB GDT: entries TOP_FIRST.. empty (as the monitor asks), or
 * holding data descriptors. */
static void atk_gdt_top_empty(void)
{
	int s = intr_save();
	big_gdt(0, 0);
	load_gdtr((u32)bigtab, LIMIT_64K);
	intr_restore(s);
	for (u32 i = TOP_FIRST; i < BIG_ENTRIES; i++) {
		char what[48];
		fmt_snprintf(what, sizeof what, "GDT limit 64 KB, MOV FS, 0x%x", i * 8);
		try_report(what, load_fs, SEL(i, 0));
	}
	load_fs(SEL_KDATA);
	struct gatedesc saved = idt[VEC_SPARE0];
	attack_set_gate(VEC_SPARE0, vectors[VEC_SPARE0], STS_IG32, 0, MON_SEL_TOP);
	try_report("INT through a gate to code selector 0xffe0", do_int_spare0, 0);
	idt[VEC_SPARE0] = saved;
	agdt_reload();
}

static void atk_gdt_top_present(void)
{
	static const u32 top[] = { TOP_FIRST, TOP_FIRST + 1, TOP_FIRST + 2, TOP_FIRST + 3,
				   TOP_FIRST + 4 };
	int s = intr_save();
	big_gdt(top, 5);
	bigtab[MON_SEL_TOP >> 3] = seg_make(0, 0xFFFFFFFF, STA_X | STA_R, 0, 0);
	load_gdtr((u32)bigtab, LIMIT_64K);
	intr_restore(s);
	try_report("GDT limit 64 KB, MOV FS, 0xffe8", load_fs, MON_SEL_TOP + 8);
	load_fs(SEL_KDATA);
	struct gatedesc saved = idt[VEC_SPARE0];
	attack_set_gate(VEC_SPARE0, vectors[VEC_SPARE0], STS_IG32, 0, MON_SEL_TOP);
	try_report("INT through a gate to code selector 0xffe0", do_int_spare0, 0);
	idt[VEC_SPARE0] = saved;
	agdt_reload();
}

/* ---- gates at the monitor's selectors and code ---- */

static void atk_gate_monitor_sel(void)
{
	struct gatedesc saved = idt[VEC_SPARE0];

	attack_set_gate(VEC_SPARE0, vectors[VEC_SPARE0], STS_IG32, 0, MON_SEL_OLD);
	try_report("INT through a gate to selector 0xfe0", do_int_spare0, 0);
	attack_set_gate(VEC_SPARE0, vectors[VEC_SPARE0], STS_IG32, 0, MON_SEL_TOP);
	try_report("INT through a gate to selector 0xffe0", do_int_spare0, 0);
	attack_set_gate(VEC_SPARE0, SW_CODE, STS_IG32, 0, SEL_KCODE);
	int t = attack_catch(do_int_spare0, 0);
	/* which fault depends on what ring 1 finds there (the switcher's code,
	 * which paging cannot hide from it): only the second line says */
	kprintf("attack: INT through a gate to 0x%x: a fault came back: %s\n", SW_CODE,
		t ? "yes" : "no");
	kprintf("attack: the fault: vector %u, err 0x%x, cr2 0x%x\n", caught.vector, caught.err,
		caught.cr2);
	idt[VEC_SPARE0] = saved;
}

/* ---- TSS and table bases in the switcher ---- */

static void int_home_from_ring3(u32 unused)
{
	(void)unused;
	enter_ring(SEL_UCODE, SEL_UDATA, ATK_USTACK, user_va(u_home), FL_RSVD, 0);
}

static void esp0_in_switcher(u32 unused)
{
	(void)unused;
	tss.esp0 = ESP0_IN_SW;
	int_home_from_ring3(0);
}

static void atk_tss_esp0_switcher(void)
{
	char what[64];
	fmt_snprintf(what, sizeof what, "TSS esp0 0x%x, then a trap from ring 3", ESP0_IN_SW);
	try_report(what, esp0_in_switcher, 0);
}

static void tss_based_at(u32 base)
{
	char what[64];
	agdt[AGDT_SPARE0] = seg_make(base, sizeof(struct taskstate) - 1, STS_T32A, 0, 1);
	agdt_reload();
	ltr(SEL_SPARE0);
	fmt_snprintf(what, sizeof what, "TR based at 0x%x, then a trap from ring 3", base);
	try_report(what, int_home_from_ring3, 0);
}

static void atk_tss_base_switcher(void)
{
	tss_based_at(SW_TSS);
}

static void atk_tss_base_gdt(void)
{
	tss_based_at(SW_GDT + TSS_IN_GDT);
}

static void atk_gdt_switcher_base(void)
{
	int s = intr_save();
	load_gdtr(SW_GDT, NAGDT * 8 - 1);
	load_gdtr((u32)agdt, NAGDT * 8 - 1);
	intr_restore(s);
	kprintf("attack: a GDT at 0x%x was loaded and put back\n", SW_GDT);
}

static void atk_ldt_switcher_base(void)
{
	set_ldt_desc(SW_LDT, 0xFF, 0);
	lldt(SEL_SPARE0);
	lldt(0);
	kprintf("attack: an LDT at 0x%x was loaded and put back\n", SW_LDT);
}

/* ---- a descriptor's accessed bit, clear while the monitor idles ---- */

#define DESC_ACCESSED (1u << 8)     /* type bit 0 in the high dword */

static struct segdesc atab[NAGDT];

static void atk_accessed_idle(void)
{
	for (int i = 0; i < NAGDT; i++)
		atab[i] = agdt[i];
	atab[SEG_KDATA].hi &= ~DESC_ACCESSED;
	intr_disable();
	load_gdtr((u32)atab, sizeof atab - 1);  /* DS..GS keep 0x10, not reloaded */
	u32 t = ticks;
	intr_enable();
	while (ticks == t)
		hlt();
	agdt_reload();
	kprintf("attack: HLT with GS on a descriptor whose accessed bit is clear: woke up\n");
}

const struct attack attacks_desc[] = {
	{ "gdt-task-gate", atk_gdt_task_gate },
	{ "ldt-call-gate", atk_ldt_call_gate },
	{ "ldt-task-gate", atk_ldt_task_gate },
	{ "idt-task-gate", atk_idt_task_gate },
	{ "idt-call-gate", atk_idt_call_gate },
	{ "reset-ldtr", atk_reset_ldtr },
	{ "ldt-limits", atk_ldt_limits },
	{ "gdt-limits", atk_gdt_limits },
	{ "gdt-top-empty", atk_gdt_top_empty },
	{ "gdt-top-present", atk_gdt_top_present },
	{ "gate-monitor-sel", atk_gate_monitor_sel },
	{ "tss-esp0-switcher", atk_tss_esp0_switcher },
	{ "tss-base-switcher", atk_tss_base_switcher },
	{ "tss-base-gdt", atk_tss_base_gdt },
	{ "gdt-switcher-base", atk_gdt_switcher_base },
	{ "ldt-switcher-base", atk_ldt_switcher_base },
	{ "accessed-idle", atk_accessed_idle },
	{ 0, 0 },
};
