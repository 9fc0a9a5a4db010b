/*
 * sec_hole.c - the instructions that are sensitive but not privileged
 * (Robin and Irvine's list, docs/x86-holes.md), each read once.
 *
 * Mechanism: these run in ring 1 without a fault, so a trap-and-emulate
 * monitor never sees them: they show the real machine (the RPL of CS and
 * SS is the CPL, GDTR/IDTR/LDTR/TR are the monitor's, CR0's low bits are
 * the real CR0's, LAR sees the compressed DPL, PUSHF the real IF).  The
 * other sections keep clear of them on purpose (selectors are printed
 * without their RPL there), so that each hole shows up here, once, under
 * its own name, and the comparison can list exactly these lines as holes.
 */
#include "conform.h"
#include "lib/fmt.h"

static void check_rpl(void)
{
	u32 cs;
	report("hole.mov_cs.rpl", "%u", read_cs() & SEL_RPL_MASK);
	__asm__ volatile("pushl %%cs\n\tpopl %0" : "=r"(cs));
	report("hole.push_cs.rpl", "%u", cs & SEL_RPL_MASK);
	report("hole.mov_ss.rpl", "%u", read_ss() & SEL_RPL_MASK);
}

static void check_tables(void)
{
	struct dtr g, i;
	sgdt(&g);
	sidt(&i);
	report("hole.sgdt", "%s/0x%04x", g.base == (u32)gdt ? "gdt" : "other", g.limit);
	report("hole.sidt", "%s/0x%04x", i.base == (u32)idt ? "idt" : "other", i.limit);
	report("hole.str", "0x%04x", str());
	report("hole.sldt.none", "0x%04x", sldt());
	ldt_table[1] = seg_desc(0, 0xFFFFF, SEG_W | SEG_A, 0, DESC_S | DESC_P | DESC_DB | DESC_G);
	lldt(SEL_LDT);
	report("hole.sldt.loaded", "0x%04x", sldt());
	lldt(0);
}

static void check_smsw(void)
{
	lcr0(rcr0() | CR0_TS);
	report("hole.smsw.ts", "0x%04x", smsw());
	__asm__ volatile("clts");
	report("hole.smsw.clts", "0x%04x", smsw());
}

static void check_lar(void)
{
	u32 ar = 0, lim = 0;
	u8 ok;
	__asm__ volatile("lar %2, %0\n\tsetz %1" : "+r"(ar), "=q"(ok) : "r"((u32)SEL_KCODE) : "cc");
	report("hole.lar.kcode", "%u/0x%08x", ok, ar);
	__asm__ volatile("lar %2, %0\n\tsetz %1" : "+r"(ar), "=q"(ok) : "r"((u32)SEL_TSS) : "cc");
	report("hole.lar.tss", "%u/0x%08x", ok, ar);
	__asm__ volatile("lsl %2, %0\n\tsetz %1" : "+r"(lim), "=q"(ok) : "r"((u32)SEL_TDATA) : "cc");
	report("hole.lsl.tdata", "%u/0x%08x", ok, lim);
	__asm__ volatile("verr %w1\n\tsetz %0" : "=q"(ok) : "r"((u32)SEL_KCODE) : "cc");
	report("hole.verr.kcode", "%u", ok);
	__asm__ volatile("verw %w1\n\tsetz %0" : "=q"(ok) : "r"((u32)(SEL_KDATA | 1)) : "cc");
	report("hole.verw.kdata.rpl1", "%u", ok);
	__asm__ volatile("verw %w1\n\tsetz %0" : "=q"(ok) : "r"((u32)SEL_DPL1) : "cc");
	report("hole.verw.dpl1", "%u", ok);
	gdt[SEL_SPARE / 8] = gate_desc(0, SEL_KCODE, SYS_CALL32, 3);   /* never called */
	reload_gdt(gdt, GDT_ENTRIES);
	__asm__ volatile("lar %2, %0\n\tsetz %1" : "+r"(ar), "=q"(ok) : "r"((u32)SEL_SPARE) : "cc");
	report("hole.lar.callgate", "%u/0x%08x", ok, ar);
}

/* Ring compression aliases DPL 0 and DPL 1: a selector with RPL 1 (or a
 * DPL-1 descriptor as SS) loads where ring 0 refuses it. */
static void check_compression(void)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "mov %0, %%ds" TRY_END "mov %1, %%ds"
			 : : "r"((u32)(SEL_KDATA | 1)), "r"((u32)SEL_KDATA) : "memory");
	exc_disarm();
	report("hole.ds.rpl1_dpl0", "%s", exc_at());
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "mov %0, %%ss" TRY_END "mov %1, %%ss"
			 : : "r"((u32)(SEL_DPL1 | 1)), "r"((u32)SEL_KDATA) : "memory");
	exc_disarm();
	report("hole.ss.dpl1_rpl1", "%s", exc_at());
}

static void check_flags(void)
{
	cli();
	report("hole.pushf.if_after_cli", "%u", !!(read_eflags() & FL_IF));
	report("hole.pushf.iopl", "%u", (read_eflags() & FL_IOPL) >> 12);
}

static const struct check checks[] = {
	{ "hole.rpl", check_rpl },
	{ "hole.tables", check_tables },
	{ "hole.smsw", check_smsw },
	{ "hole.lar", check_lar },
	{ "hole.compression", check_compression },
	{ "hole.flags", check_flags },
};

SECTION(sec_hole, "hole", "sensitive unprivileged instructions (the x86 holes)", checks);
