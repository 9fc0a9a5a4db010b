/*
 * sec_pg.c - paging: page tables written while in use, by every kind of
 * instruction a kernel writes PTEs with, and what the MMU then does.
 *
 * Mechanism: the MMU walks the page directory and page table in memory on
 * a TLB miss, setting the accessed bit in each entry it uses and the dirty
 * bit in the PTE on a write.  A PTE that was not present is never cached,
 * so making it present needs no INVLPG; changing a present one needs
 * INVLPG (or a CR3 write, or a paging off/on) before the new mapping is
 * guaranteed.  A shadow-paging monitor must see each of these writes (or
 * the INVLPG) and copy the A/D bits back, whatever instruction did them.
 *
 * Layout: WIN (1 GB) is mapped by test_pt, whose entries start not
 * present; each form writes its own entry so the forms do not disturb each
 * other; frames[k] holds the signature SIG(k) at offset 0.  The identity
 * map (cpu.c) keeps code, data and test_pt itself reachable.
 */
#include "conform.h"
#include "lib/fmt.h"
#include "lib/mem.h"

#define WIN        0x40000000u
#define WIN2       0x40400000u          /* a second 4 MB slot, for PDE writes */
#define WIN4M      0x40800000u          /* a 4 MB page */
#define PA4M       0x00800000u
#define NFRAMES    4
#define SIG(k)     (0x516E0000u | (k))
#define UW         (PTE_P | PTE_W | PTE_U)
#define VA(i)      (WIN + (i) * PGSIZE)

static u32 test_pt[1024] __attribute__((aligned(PGSIZE)));
static u32 test_pt2[1024] __attribute__((aligned(PGSIZE)));
static u8 frames[NFRAMES][PGSIZE] __attribute__((aligned(PGSIZE), used));
static u32 src_ptes[4] __attribute__((used));

static u32 F(unsigned k)
{
	return (u32)frames[k];
}

static const char *hex(u32 v)
{
	static char buf[16];
	fmt_snprintf(buf, sizeof buf, "0x%08x", v);
	return buf;
}

static void pg_setup(void)
{
	pg_build();
	memset(test_pt, 0, sizeof test_pt);
	memset(test_pt2, 0, sizeof test_pt2);
	for (unsigned k = 0; k < NFRAMES; k++)
		*(u32 *)frames[k] = SIG(k);
	pg_dir[PDX(WIN)] = (u32)test_pt | UW;
	pg_on(CR4_PSE);
}

/* The dword at va, or "pf/0x0000@+0" if reading it faults. */
static const char *read_va(u32 va)
{
	u32 v = 0;
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "movl (%1), %0" TRY_END : "+r"(v) : "r"(va) : "memory");
	exc_disarm();
	return exc.vector == ~0u ? hex(v) : exc_at();
}

static void report_va(const char *name, u32 va)
{
	report(name, "%s", read_va(va));
}

/* ---- the forms that write one PTE, each on its own entry i ---- */

static u32 reg_out __attribute__((used));

static void check_pte_forms(void)
{
	u32 *pte;
	u32 r;
	pg_setup();

	pte = &test_pt[0];
	__asm__ volatile("movl %1, (%0)" : : "r"(pte), "r"(F(0) | UW) : "memory");
	report_va("pg.pte.mov_r32", VA(0));

	pte = &test_pt[1];
	__asm__ volatile("movl $frames + 4096 + %c1, (%0)" : : "r"(pte), "i"(UW) : "memory");
	report_va("pg.pte.mov_imm32", VA(1));

	pte = &test_pt[2];
	*pte = F(2);                                    /* address set, not present */
	__asm__ volatile("movw %w1, (%0)" : : "r"(pte), "r"((F(2) & 0xFFFF) | UW) : "memory");
	report_va("pg.pte.mov_r16", VA(2));

	pte = &test_pt[3];
	*pte = F(3) | PTE_W | PTE_U;
	__asm__ volatile("movb $7, (%0)" : : "r"(pte) : "memory");
	report_va("pg.pte.mov_imm8", VA(3));

	pte = &test_pt[4];
	*pte = F(0) | PTE_W | PTE_U;
	__asm__ volatile("movb %b1, (%0)" : : "r"(pte), "q"(UW) : "memory");
	report_va("pg.pte.mov_r8", VA(4));

	pte = &test_pt[5];
	r = F(1) | UW;
	__asm__ volatile("xchgl %0, (%1)" : "+r"(r) : "r"(pte) : "memory");
	report_va("pg.pte.xchg", VA(5));
	report("pg.pte.xchg.old", "%s", hex(r));

	pte = &test_pt[6];
	u32 old = 0, zf = 0;
	__asm__ volatile("lock cmpxchgl %3, (%2)\n\tsete %b1" : "+a"(old), "=&q"(zf)
			 : "r"(pte), "r"(F(2) | UW) : "memory", "cc");
	report_va("pg.pte.cmpxchg", VA(6));
	report("pg.pte.cmpxchg.zf", "%u", zf & 1);

	pte = &test_pt[7];
	old = 1;
	__asm__ volatile("lock cmpxchgl %3, (%2)\n\tsete %b1" : "+a"(old), "=&q"(zf)
			 : "r"(pte), "r"(F(2) | UW) : "memory", "cc");
	report_va("pg.pte.cmpxchg_fail", VA(7));
	report("pg.pte.cmpxchg_fail.zf_eax", "%u/%s", zf & 1, hex(old));

	pte = &test_pt[8];                              /* and 9 */
	u32 lo = 0, hi = 0;
	__asm__ volatile("lock cmpxchg8b (%4)" : "+a"(lo), "+d"(hi)
			 : "b"(F(3) | UW), "c"(F(0) | UW), "r"(pte) : "memory", "cc");
	report_va("pg.pte.cmpxchg8b.lo", VA(8));
	report_va("pg.pte.cmpxchg8b.hi", VA(9));

	pte = &test_pt[10];
	r = F(1) | UW;
	__asm__ volatile("lock xaddl %0, (%1)" : "+r"(r) : "r"(pte) : "memory", "cc");
	report_va("pg.pte.xadd", VA(10));
	report("pg.pte.xadd.old", "%s", hex(r));

	pte = &test_pt[11];
	*pte = F(2) | PTE_W | PTE_U;
	__asm__ volatile("orl $1, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.or_imm8", VA(11));

	pte = &test_pt[12];
	*pte = F(3);
	__asm__ volatile("lock orl %1, (%0)" : : "r"(pte), "r"(UW) : "memory", "cc");
	report_va("pg.pte.or_r32", VA(12));

	pte = &test_pt[13];
	*pte = F(0) | PTE_W | PTE_U;
	__asm__ volatile("addl $1, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.add", VA(13));

	pte = &test_pt[14];
	*pte = F(1) | PTE_W | PTE_U | 8;
	__asm__ volatile("subl $1, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.sub", VA(14));

	pte = &test_pt[15];
	*pte = F(2) | PTE_W | PTE_U;
	__asm__ volatile("xorl $1, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.xor", VA(15));

	pte = &test_pt[16];
	*pte = F(3) | UW | PTE_PWT;
	__asm__ volatile("andl %1, (%0)" : : "r"(pte), "i"(~PTE_PWT) : "memory", "cc");
	report_va("pg.pte.and", VA(16));
	report("pg.pte.and.value", "%s", hex(test_pt[16] & 0xFFF));
}

/* Forms the page-table-write emulator may not know: the monitor must
 * still end up with the right mapping. */
static void check_pte_other_forms(void)
{
	u32 *pte;
	pg_setup();

	pte = &test_pt[20];
	*pte = F(0) | PTE_W | PTE_U;
	__asm__ volatile("incl (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.inc", VA(20));

	pte = &test_pt[21];
	*pte = F(1) | PTE_W | PTE_U;
	__asm__ volatile("btsl $0, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.bts", VA(21));

	pte = &test_pt[22];
	*pte = F(2) | PTE_W | PTE_U;
	__asm__ volatile("lock btsl $0, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.lock_bts", VA(22));

	pte = &test_pt[23];
	*pte = ~(F(3) | UW);
	__asm__ volatile("notl (%0)" : : "r"(pte) : "memory");
	report_va("pg.pte.not", VA(23));

	pte = &test_pt[24];
	*pte = F(0) | PTE_U;
	__asm__ volatile("orw $3, (%0)" : : "r"(pte) : "memory", "cc");
	report_va("pg.pte.or_m16", VA(24));
}

static void check_pte_string_forms(void)
{
	pg_setup();

	u32 *pte = &test_pt[30];
	__asm__ volatile("cld\n\tstosl" : "+D"(pte) : "a"(F(0) | UW) : "memory");
	report_va("pg.pte.stos", VA(30));

	pte = &test_pt[31];
	u32 n = 4;
	__asm__ volatile("cld\n\trep stosl" : "+D"(pte), "+c"(n) : "a"(F(1) | UW) : "memory");
	report_va("pg.pte.rep_stos.first", VA(31));
	report_va("pg.pte.rep_stos.last", VA(34));
	report("pg.pte.rep_stos.regs", "%u/%s", n, pte == &test_pt[35] ? "edi+16" : "edi?");

	src_ptes[0] = F(2) | UW;
	src_ptes[1] = F(3) | UW;
	const u32 *s = src_ptes;
	pte = &test_pt[40];
	__asm__ volatile("cld\n\tmovsl" : "+S"(s), "+D"(pte) : : "memory");
	report_va("pg.pte.movs", VA(40));

	s = src_ptes;
	pte = &test_pt[41];
	n = 2;
	__asm__ volatile("cld\n\trep movsl" : "+S"(s), "+D"(pte), "+c"(n) : : "memory");
	report_va("pg.pte.rep_movs.first", VA(41));
	report_va("pg.pte.rep_movs.second", VA(42));

	s = src_ptes;
	pte = &test_pt[43];
	n = 8;
	__asm__ volatile("cld\n\trep movsb" : "+S"(s), "+D"(pte), "+c"(n) : : "memory");
	report_va("pg.pte.rep_movsb.first", VA(43));
	report_va("pg.pte.rep_movsb.second", VA(44));
}

/* The same backwards (EFLAGS.DF set), apart: a monitor that trips over DF
 * should not hide the forms above. */
static void check_pte_string_df(void)
{
	pg_setup();
	src_ptes[0] = F(2) | UW;
	src_ptes[1] = F(3) | UW;
	const u32 *s = &src_ptes[1];
	u32 *pte = &test_pt[46];
	u32 n = 2;
	__asm__ volatile("std\n\trep movsl\n\tcld" : "+S"(s), "+D"(pte), "+c"(n) : : "memory");
	report_va("pg.pte.rep_movs_df.high", VA(46));
	report_va("pg.pte.rep_movs_df.low", VA(45));
}

/* A write from ring 3 (test_pt is user-writable in the identity map) and
 * through a second mapping of the page table's frame. */
static volatile u32 *volatile user_pte;
static volatile u32 user_pte_val;

static void user_pte_write(void)
{
	*user_pte = user_pte_val;
}

static void check_pte_writers(void)
{
	pg_setup();
	user_pte = &test_pt[50];
	user_pte_val = F(1) | UW;
	run_user(user_pte_write, 0);
	report("pg.pte.ring3.run", "%s", exc_str());
	report_va("pg.pte.ring3", VA(50));

	test_pt[1023] = (u32)test_pt | UW;              /* the table, at VA(1023) */
	volatile u32 *alias = (volatile u32 *)VA(1023);
	alias[51] = F(2) | UW;
	report_va("pg.pte.alias", VA(51));
	report("pg.pte.alias.seen", "%s", hex(test_pt[51]));
}

/* ---- PDE writes in the live page directory ---- */

static void check_pde_forms(void)
{
	pg_setup();
	test_pt2[0] = F(3) | UW;
	u32 *pde = &pg_dir[PDX(WIN2)];
	__asm__ volatile("movl %1, (%0)" : : "r"(pde), "r"((u32)test_pt2 | UW) : "memory");
	report_va("pg.pde.mov", WIN2);
	*pde = 0;
	invlpg(WIN2);
	u32 r = (u32)test_pt2 | UW;
	__asm__ volatile("xchgl %0, (%1)" : "+r"(r) : "r"(pde) : "memory");
	report_va("pg.pde.xchg", WIN2);
	*pde = 0;
	invlpg(WIN2);
	u32 old = 0;
	__asm__ volatile("lock cmpxchgl %2, (%1)" : "+a"(old) : "r"(pde), "r"((u32)test_pt2 | UW)
			 : "memory", "cc");
	report_va("pg.pde.cmpxchg", WIN2);
	*pde = (u32)test_pt2 | PTE_W | PTE_U;
	invlpg(WIN2);
	__asm__ volatile("orl $1, (%0)" : : "r"(pde) : "memory", "cc");
	report_va("pg.pde.or", WIN2);
	/* a 4 MB page by a PDE write */
	*(volatile u32 *)PA4M = SIG(9);
	pde = &pg_dir[PDX(WIN4M)];
	__asm__ volatile("movl %1, (%0)" : : "r"(pde), "r"(PA4M | PTE_PS | UW) : "memory");
	report_va("pg.pde.mov_4m", WIN4M);
}

static void check_pde_bts(void)
{
	pg_setup();
	test_pt2[0] = F(3) | UW;
	u32 *pde = &pg_dir[PDX(WIN2)];
	*pde = (u32)test_pt2 | PTE_W | PTE_U;
	__asm__ volatile("btsl $0, (%0)" : : "r"(pde) : "memory", "cc");
	report_va("pg.pde.bts", WIN2);
}

/* ---- changing a present mapping: INVLPG in its forms, CR3, CR0.PG ---- */

static void remap(unsigned i, unsigned from, unsigned to)
{
	test_pt[i] = F(from) | UW;
	read_va(VA(i));                 /* now it may be in the TLB */
	test_pt[i] = F(to) | UW;
}

static void check_invlpg_forms(void)
{
	pg_setup();
	remap(60, 0, 1);
	__asm__ volatile("invlpg (%0)" : : "r"(VA(60)) : "memory");
	report_va("pg.invlpg.reg", VA(60));

	remap(61, 0, 2);
	__asm__ volatile("invlpg %c0" : : "i"(VA(61)) : "memory");
	report_va("pg.invlpg.disp32", VA(61));

	remap(62, 0, 3);
	__asm__ volatile("invlpg 0x123(%0)" : : "r"(VA(62) - 0x123) : "memory");
	report_va("pg.invlpg.reg_disp", VA(62));

	remap(63, 1, 2);
	__asm__ volatile("invlpg 8(%0,%1,4)" : : "r"(WIN), "r"((63 * PGSIZE - 8) / 4) : "memory");
	report_va("pg.invlpg.sib", VA(63));

	remap(64, 2, 3);
	gdt[SEL_SPARE / 8] = seg_desc(0x1000, 0xFFFFF, SEG_W | SEG_A, 0,
				      DESC_S | DESC_P | DESC_DB | DESC_G);
	reload_gdt(gdt, GDT_ENTRIES);
	__asm__ volatile("mov %1, %%fs\n\tinvlpg %%fs:(%0)\n\tmov %2, %%fs"
			 : : "r"(VA(64) - 0x1000), "r"((u32)SEL_SPARE), "r"((u32)SEL_KDATA)
			 : "memory");
	report_va("pg.invlpg.fs_base", VA(64));

	remap(65, 3, 0);
	__asm__ volatile("invlpg (%0)" : : "r"(VA(65) + 0xABC) : "memory");
	report_va("pg.invlpg.mid_page", VA(65));

	/* a 4 MB page changed, INVLPG of an address inside it */
	*(volatile u32 *)PA4M = SIG(9);
	*(volatile u32 *)(PA4M + PGSIZE4M) = SIG(10);
	pg_dir[PDX(WIN4M)] = PA4M | PTE_PS | UW;
	read_va(WIN4M);
	pg_dir[PDX(WIN4M)] = (PA4M + PGSIZE4M) | PTE_PS | UW;
	invlpg(WIN4M + 0x3000);
	report_va("pg.invlpg.4m", WIN4M);
}

static void check_flushes(void)
{
	pg_setup();
	remap(70, 0, 1);
	lcr3(rcr3());
	report_va("pg.flush.cr3_reload", VA(70));

	remap(71, 1, 2);
	pg_off();
	report("pg.flush.off.read_phys", "%s", hex(*(volatile u32 *)F(2)));
	pg_on(0);
	report_va("pg.flush.off_on", VA(71));

	remap(72, 2, 3);
	pg_off();
	test_pt[72] = F(0) | UW;        /* written while paging is off */
	pg_on(0);
	report_va("pg.flush.write_while_off", VA(72));

	/* two address spaces: CR3 switches between directories */
	static u32 dir2[1024] __attribute__((aligned(PGSIZE)));
	memcpy(dir2, pg_dir, sizeof dir2);
	test_pt2[73] = F(3) | UW;
	dir2[PDX(WIN)] = (u32)test_pt2 | UW;
	test_pt[73] = F(1) | UW;
	report_va("pg.cr3.first", VA(73));
	lcr3((u32)dir2);
	report_va("pg.cr3.second", VA(73));
	lcr3((u32)pg_dir);
	report_va("pg.cr3.back", VA(73));
	test_pt2[73] = F(2) | UW;       /* edited while not current */
	lcr3((u32)dir2);
	report_va("pg.cr3.edited_while_away", VA(73));
	lcr3((u32)pg_dir);
}

/* ---- accessed and dirty bits ---- */

static void touch(u32 va, bool write)
{
	exc_clear();
	if (write)
		__asm__ volatile(TRY_BEGIN AT "movl $1, 4(%0)" TRY_END : : "r"(va) : "memory");
	else
		__asm__ volatile(TRY_BEGIN AT "movl 4(%0), %%eax" TRY_END : : "r"(va) : "eax", "memory");
	exc_disarm();
}

static volatile u32 user_va;

static void user_touch_write(void)
{
	touch(user_va, true);
}

static void check_ad(void)
{
	pg_setup();
	pg_dir[PDX(WIN)] &= ~PTE_A;
	test_pt[80] = F(0) | UW;
	report("pg.ad.4k.fresh", "0x%02x", test_pt[80] & (PTE_A | PTE_D));
	touch(VA(80), false);
	report("pg.ad.4k.read", "0x%02x", test_pt[80] & (PTE_A | PTE_D));
	report("pg.ad.pde.read", "0x%02x", pg_dir[PDX(WIN)] & (PTE_A | PTE_D));
	touch(VA(80), true);
	report("pg.ad.4k.write", "0x%02x", test_pt[80] & (PTE_A | PTE_D));

	test_pt[81] = F(1) | UW;
	touch(VA(81), true);
	report("pg.ad.4k.write_first", "0x%02x", test_pt[81] & (PTE_A | PTE_D));

	/* A/D cleared by the kernel (INVLPG after), then set again */
	test_pt[81] &= ~(PTE_A | PTE_D);
	invlpg(VA(81));
	touch(VA(81), false);
	report("pg.ad.4k.cleared.read", "0x%02x", test_pt[81] & (PTE_A | PTE_D));
	touch(VA(81), true);
	report("pg.ad.4k.cleared.write", "0x%02x", test_pt[81] & (PTE_A | PTE_D));

	/* a read-only page written from ring 3: the write faults, D stays clear */
	test_pt[82] = F(2) | PTE_P | PTE_U;
	user_va = VA(82);
	run_user(user_touch_write, 0);
	report("pg.ad.ro.r3_write", "%s", exc_at());
	report("pg.ad.ro.r3_write.d", "%u", !!(test_pt[82] & PTE_D));

	*(volatile u32 *)PA4M = SIG(9);
	pg_dir[PDX(WIN4M)] = PA4M | PTE_PS | UW;
	touch(WIN4M, false);
	report("pg.ad.4m.read", "0x%02x", pg_dir[PDX(WIN4M)] & (PTE_A | PTE_D));
	touch(WIN4M, true);
	report("pg.ad.4m.write", "0x%02x", pg_dir[PDX(WIN4M)] & (PTE_A | PTE_D));
	pg_dir[PDX(WIN4M)] = PA4M | PTE_PS | UW;
	invlpg(WIN4M);
	touch(WIN4M + 0x200000, true);
	report("pg.ad.4m.write_first", "0x%02x", pg_dir[PDX(WIN4M)] & (PTE_A | PTE_D));
}

/* ---- page faults: error codes and CR2 ---- */

static void report_pf(const char *name, u32 va)
{
	char n[64];
	report(name, "%s", exc_at());
	fmt_snprintf(n, sizeof n, "%s.cr2", name);
	if (exc.vector == T_PF)
		report(n, "%s", exc.cr2 == va ? "addr" : hex(exc.cr2));
	else
		report(n, "-");
}

static void user_touch_read(void)
{
	touch(user_va, false);
}

static void check_pf(void)
{
	pg_setup();
	touch(VA(90), false);
	report_pf("pg.pf.np.read", VA(90) + 4);
	touch(VA(90), true);
	report_pf("pg.pf.np.write", VA(90) + 4);
	test_pt[91] = F(0) | PTE_P | PTE_W;             /* supervisor */
	user_va = VA(91);
	run_user(user_touch_read, 0);
	report_pf("pg.pf.user_sup.read", VA(91) + 4);
	run_user(user_touch_write, 0);
	report_pf("pg.pf.user_sup.write", VA(91) + 4);
	test_pt[92] = F(1) | PTE_P | PTE_U;             /* read-only */
	user_va = VA(92);
	run_user(user_touch_write, 0);
	report_pf("pg.pf.user_ro.write", VA(92) + 4);
	lcr0(rcr0() | CR0_WP);
	touch(VA(92), true);
	report_pf("pg.pf.sup_ro_wp.write", VA(92) + 4);
	lcr0(rcr0() & ~CR0_WP);
	pg_dir[PDX(WIN2)] = (u32)test_pt2 | PTE_P | PTE_W;      /* PDE supervisor */
	test_pt2[0] = F(2) | UW;
	user_va = WIN2;
	run_user(user_touch_read, 0);
	report_pf("pg.pf.user_pde_sup.read", WIN2 + 4);
	pg_dir[PDX(WIN4M)] = PA4M | PTE_PS | UW | (1u << 21);   /* reserved bit */
	touch(WIN4M, false);
	/* QEMU leaves P out of this error code, Bochs has it: print RSVD alone */
	report("pg.pf.rsvd_4m.read", "%s", exc.vector != T_PF ? exc_str() :
	       (exc.err & PFE_RSVD) ? "pf-rsvd" : "pf");
	pg_dir[PDX(WIN4M)] = 0;
	/* an instruction fetch from a page that is not present */
	exc_clear();
	__asm__ volatile("movl %%esp, %%ecx\n\t" TRY_BEGIN AT "call *%0" TRY_END
			 "movl %%ecx, %%esp" : : "r"(VA(93)) : "ecx", "memory");
	exc_disarm();
	report("pg.pf.fetch", "%s", exc.vector == ~0u ? "none" : exc_str());
	report("pg.pf.fetch.eip", "%s", exc.eip == VA(93) ? "addr" : hex(exc.eip));
	report("pg.pf.fetch.cr2", "%s", exc.cr2 == VA(93) ? "addr" : hex(exc.cr2));
}

static const struct check checks[] = {
	{ "pg.pte_forms", check_pte_forms },
	{ "pg.pte_other_forms", check_pte_other_forms },
	{ "pg.pte_string_forms", check_pte_string_forms },
	{ "pg.pte_string_df", check_pte_string_df },
	{ "pg.pte_writers", check_pte_writers },
	{ "pg.pde_forms", check_pde_forms },
	{ "pg.pde_bts", check_pde_bts },
	{ "pg.invlpg", check_invlpg_forms },
	{ "pg.flushes", check_flushes },
	{ "pg.ad", check_ad },
	{ "pg.pf", check_pf },
};

SECTION(sec_pg, "pg", "page tables written live, A/D bits, INVLPG, #PF", checks);
