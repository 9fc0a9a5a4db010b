/*
 * attack_mem.c - hostile page tables: mappings of the switcher's slot and
 * of memory the guest does not have, and workloads meant to wear the
 * shadow MMU out.
 *
 * Mechanism: the guest's page tables are never loaded into CR3; the
 * monitor builds shadow tables from them, translating each guest frame
 * through its p2m, and keeps page-directory slot 1023 (0xFFC00000 up) for
 * its switcher.  A guest mapping that slot, or naming a frame past its RAM
 * (as a page, a 4 MB page or a page table), cannot be honoured; shadow
 * tables come from a finite pool the guest must not be able to drain, and
 * address-space switches cost the monitor work the guest must not be able
 * to turn into a hang.
 *
 *   selfmap-switcher  a self-mapped page directory in slot 1023, then a
 *                     read of 0xFFFFF000 (the directory itself).  Hardware:
 *                     reads the first PDE.  Monitor: ends the guest: it
 *                     maps the monitor's switcher slot.
 *   pse-beyond-ram    a 4 MB page at guest-physical 0xFFC00000, read.
 *                     Hardware: unassigned memory.  Monitor: ends the guest
 *                     ("beyond its ... RAM").
 *   pt-beyond-ram     a page-directory entry whose page table is at
 *                     guest-physical 1 GB, then a read through it.
 *                     Hardware: unassigned memory as a page table.
 *                     Monitor: ends the guest ("beyond its ... RAM").
 *   cr3-storm         2000 page directories, MOV CR3 round-robin 20 times
 *                     (40000 switches), a read after each.  Hardware: done.
 *                     Monitor: done; shadow=cached evicts as it goes.
 *   shadow-exhaust    70 address spaces, each with 256 page-directory
 *                     entries pointing at one shared page table, a write
 *                     through every one: 17920 shadow page tables asked
 *                     for, more than shadow=cached keeps (4096) in more
 *                     directories than its cache holds (64), every entry
 *                     mapping the same frame.  Hardware: done.  Monitor:
 *                     evicts (cached) or flushes (vtlb), done.
 *   rep-stos-pt       REP STOSD with ECX = 0x40000000 over a page table
 *                     (a 256 MB window whose every entry maps that page
 *                     table; each store writes back the value it finds),
 *                     interrupts on; the timer handler writes 0 into the
 *                     interrupted ECX after 3 ticks.  Hardware: stopped by
 *                     the timer.  Monitor: the same (one element per
 *                     fault while the table is write-protected, interrupts
 *                     in between).
 *   rep-movs-pt       the same with REP MOVSD, source and destination both
 *                     the window (each element copies a PTE onto itself):
 *                     a string move of 4 GB through a page table.
 *                     Hardware: stopped by the timer.  Monitor: the same
 *                     (MOVS is emulated one element per fault too).
 */
#include "attack_lib.h"
#include "intr.h"
#include "vm.h"
#include "x86.h"
#include "console.h"

#define SELFMAP_PDX     1023
#define SELFMAP_VA      0xFFFFF000u     /* the directory itself, through slot 1023 */
#define STORM_DIRS      2000
#define STORM_ROUNDS    20
#define EXHAUST_SPACES  70
#define EXHAUST_SLOTS   256             /* of the 768 in the user half */
#define EXHAUST_ROUNDS  1
#define STOS_COUNT      0x40000000u     /* 4 GB of dwords */
#define STOP_TICKS      3
#define PTE_AD          (PTE_A | PTE_D)

static void report_read(u32 va)
{
	u32 v = 0;
	int f = probe_read32(va, &v);
	if (f)
		kprintf("attack: read of 0x%x: vector %u, err 0x%x, cr2 0x%x\n", va,
			probe_info.vector, probe_info.err, probe_info.cr2);
	else
		kprintf("attack: read of 0x%x returned 0x%x\n", va, v);
}

static void atk_selfmap_switcher(void)
{
	kpgdir[SELFMAP_PDX] = V2P(kpgdir) | PTE_P | PTE_W;
	invlpg(SELFMAP_VA);
	report_read(SELFMAP_VA);
	kpgdir[SELFMAP_PDX] = 0;
	invlpg(SELFMAP_VA);
}

static void atk_pse_beyond_ram(void)
{
	kpgdir[PDX(TESTWIN4M)] = PDE_BIGADDR(SW_BASE) | PTE_P | PTE_W | PTE_PS;
	invlpg(TESTWIN4M);
	report_read(TESTWIN4M);
	kpgdir[PDX(TESTWIN4M)] = 0;
	invlpg(TESTWIN4M);
}

static void atk_pt_beyond_ram(void)
{
	kpgdir[PDX(TESTWINPT)] = ESCAPE_GPA | PTE_P | PTE_W;
	invlpg(TESTWINPT);
	report_read(TESTWINPT);
	kpgdir[PDX(TESTWINPT)] = 0;
	invlpg(TESTWINPT);
}

static pde_t *dirs[STORM_DIRS];

static int new_dirs(int n)
{
	for (int i = 0; i < n; i++)
		if (!(dirs[i] = vm_new()))
			return i;
	return n;
}

static void free_dirs(int n)
{
	for (int i = 0; i < n; i++)
		page_free(dirs[i]);
}

static void atk_cr3_storm(void)
{
	int n = new_dirs(STORM_DIRS);
	volatile u32 sum = 0;

	for (int r = 0; r < STORM_ROUNDS; r++)
		for (int i = 0; i < n; i++) {
			lcr3(V2P(dirs[i]));
			sum += ticks;
		}
	vm_switch(kpgdir);
	free_dirs(n);
	kprintf("attack: %d switches among %d page directories; the kernel still runs\n",
		STORM_ROUNDS * n, n);
}

static void atk_shadow_exhaust(void)
{
	pte_t *pt = page_alloc();
	volatile u32 *frame = page_alloc();
	if (!pt || !frame)
		panic("attack: no memory for the shared page table");
	pt[0] = V2P((void *)frame) | PTE_P | PTE_W;
	int n = new_dirs(EXHAUST_SPACES);
	for (int i = 0; i < n; i++)
		for (u32 s = 0; s < EXHAUST_SLOTS; s++)
			dirs[i][s] = V2P(pt) | PTE_P | PTE_W;
	for (int r = 0; r < EXHAUST_ROUNDS; r++)
		for (int i = 0; i < n; i++) {
			lcr3(V2P(dirs[i]));
			for (u32 s = 0; s < EXHAUST_SLOTS; s++) {
				u32 va = s << PDXSHIFT;
				__asm__("" : "+r"(va));         /* linear 0 is mapped here */
				(*(volatile u32 *)va)++;
			}
		}
	vm_switch(kpgdir);
	free_dirs(n);
	kprintf("attack: %d address spaces x %u page tables written %d times: the shared page "
		"holds %u (expected %u)\n", n, EXHAUST_SLOTS, EXHAUST_ROUNDS, frame[0],
		(u32)n * EXHAUST_SLOTS * EXHAUST_ROUNDS);
	page_free(pt);
	page_free((void *)frame);
}

/* Slots ATK_WIN.. of kpgdir all point at one page table 'pt'. */
void alias_window(pte_t *pt, u32 slots)
{
	for (u32 s = 0; s < slots; s++)
		kpgdir[PDX(ATK_WIN) + s] = V2P(pt) | PTE_P | PTE_W;
	vm_switch(kpgdir);
}

void alias_window_clear(u32 slots)
{
	for (u32 s = 0; s < slots; s++)
		kpgdir[PDX(ATK_WIN) + s] = 0;
	vm_switch(kpgdir);
}

static u32 pte_val;             /* every entry of the table: itself */

static void stos_over_pt(u32 unused)
{
	(void)unused;
	intr_enable();
	rep_stosd(ATK_WIN, STOS_COUNT, pte_val);
}

static void movs_over_pt(u32 unused)
{
	(void)unused;
	intr_enable();
	rep_movsd(ATK_WIN, ATK_WIN, STOS_COUNT);
}

/* 'what' (a REP string store run by 'run', the REP at 'insn') sweeps a
 * page table aliased over ATK_WIN until the timer stops it. */
static void rep_over_pt(const char *what, void (*run)(u32), u8 *insn)
{
	pte_t *pt = page_alloc();
	if (!pt)
		panic("attack: no memory for the page table");
	pte_val = V2P(pt) | PTE_P | PTE_W | PTE_AD;
	for (int i = 0; i < NPTENTRIES; i++)
		pt[i] = pte_val;
	alias_window(pt, ATK_WIN_SLOTS);
	rep_stop = (struct rep_stop){ .eip = (u32)insn, .after = STOP_TICKS, .start = ticks };
	rep_stop.armed = 1;
	int t = attack_catch(run, 0);
	rep_stop.armed = 0;
	alias_window_clear(ATK_WIN_SLOTS);
	page_free(pt);
	if (t)
		report_catch(what, t);
	kprintf("attack: %s of 0x%x dwords over a page table: stopped by the timer: %s, "
		"ECX had counted down: %s\n", what, STOS_COUNT, rep_stop.fired ? "yes" : "no",
		rep_stop.fired && rep_stop.ecx_left < STOS_COUNT ? "yes" : "no");
}

static void atk_rep_stos_pt(void)
{
	rep_over_pt("REP STOSD", stos_over_pt, rep_stosd_insn);
}

static void atk_rep_movs_pt(void)
{
	rep_over_pt("REP MOVSD", movs_over_pt, rep_movsd_insn);
}

const struct attack attacks_mem[] = {
	{ "selfmap-switcher", atk_selfmap_switcher },
	{ "pse-beyond-ram", atk_pse_beyond_ram },
	{ "pt-beyond-ram", atk_pt_beyond_ram },
	{ "cr3-storm", atk_cr3_storm },
	{ "shadow-exhaust", atk_shadow_exhaust },
	{ "rep-stos-pt", atk_rep_stos_pt },
	{ "rep-movs-pt", atk_rep_movs_pt },
	{ 0, 0 },
};
