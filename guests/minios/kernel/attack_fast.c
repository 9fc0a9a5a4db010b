/*
 * attack_fast.c - forging the selectors the switcher's #GP fast path
 * trusts (entry.asm, sw_fast_gp).
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

const struct attack attacks_fast[] = {
	{ "fast-forged-kcs", atk_forged_kcs },
	{ "fast-forged-kss", atk_forged_kss },
	{ 0, 0 },
};
