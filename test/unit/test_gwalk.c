/*
 * test_gwalk.c - host unit tests for src/shadow_mmu/gwalk.c, the guest page
 * walk, against an independent reference model of x86 32-bit paging (the
 * method of kvm-unit-tests x86/access.c; the model is gwalk_ref.h, shared
 * with test_shadow.c).
 *
 * Why: the shadow MMU trusts gwalk() to say whether the guest's own tables
 * allow an access, and to set A and D as the real MMU would.  A wrong bit
 * there lets a guest user process write kernel memory, or silently loses a
 * dirty bit the guest kernel relies on to write a page back.
 *
 * Setup: guest-physical memory is a small array of 4 KB pages at MEM_BASE
 * reached through read/write callbacks that fail (-1) outside it and count
 * every write.  One page directory, one page table; every other entry in
 * them is filled with a "poison" mapping, so a walk that indexes the wrong
 * slot translates to a poison address instead of passing by luck.
 *
 * The exhaustive test enumerates every combination of
 *   PDE P, W, U, A, D, PS  (D is ignored in a PDE that maps a page table)
 *   PTE P, W, U, A, D
 *   access read/write, CPL 0/3, CR0.WP, CR4.PSE   (PS honoured only with PSE)
 * = 2^15 = 32768 combinations, each walked with set_ad = true and again with
 * set_ad = false (65536 walks), and compares the result, error code, gpa,
 * effective W/U, big, dirty, and the whole of guest memory afterwards with
 * the model.  Separate tests cover a page table outside RAM (GWALK_BAD_GPA),
 * the 4 MB offset, PS without PSE, and CR3's low bits.
 *
 * What the model assumes on a fault: nothing is written, not even A in a
 * PDE that was used before the PTE refused.  The SDM leaves that open (real
 * CPUs may set the upper A; access.c ignores the PDE's A on faults); gwalk.h
 * promises A "on a successful translation", so this test holds it to that.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "shadow_mmu/gwalk.h"

/* ---- fake guest-physical memory ------------------------------------------ */

/*
 *   MEM_BASE + 0x0000  page table (PT); 4 MB aligned, so the same PDE value
 *                      is also a clean 4 MB frame when PS and PSE are set
 *   MEM_BASE + 0x1000  page directory (PD)
 *   MEM_BASE + 0x2000  poison page table that the other PDEs point to
 *   MEM_BASE + 0x3000  spare
 */
#define MEM_BASE    0x00C00000u
#define NPAGES      4
#define MEM_END     (MEM_BASE + NPAGES * PAGE)
#define PT_GPA      (MEM_BASE + 0 * PAGE)
#define PD_GPA      (MEM_BASE + 1 * PAGE)
#define POISON_PT   (MEM_BASE + 2 * PAGE)

#define VA          0x01325ABCu                 /* PD index 4, PT index 0x325 */
#define VA_PDI      (VA >> 22)
#define VA_PTI      ((VA >> 12) & 0x3FFu)
#define PDE_GPA     (PD_GPA + VA_PDI * 4)
#define PTE_GPA     (PT_GPA + VA_PTI * 4)
#define PAGE_FRAME  0x12345000u                 /* what the PTE maps (not RAM) */

/* The model (PAGE, PG_*, combinations) places its entries by the three
 * names above, so it comes after them. */
#include "gwalk_ref.h"

struct fakemem {
	uint32_t word[NPAGES * PAGE / 4];
	unsigned writes;
};

static int in_ram(uint32_t gpa)
{
	assert_int_equal(gpa & 3u, 0);              /* entries are aligned words */
	return gpa >= MEM_BASE && gpa < MEM_END;
}

static int mem_read(void *ctx, uint32_t gpa, uint32_t *val)
{
	struct fakemem *m = ctx;
	if (!in_ram(gpa))
		return -1;
	*val = m->word[(gpa - MEM_BASE) / 4];
	return 0;
}

static int mem_write(void *ctx, uint32_t gpa, uint32_t val)
{
	struct fakemem *m = ctx;
	if (!in_ram(gpa))
		return -1;
	m->word[(gpa - MEM_BASE) / 4] = val;
	m->writes++;
	return 0;
}

static uint32_t *slot(struct fakemem *m, uint32_t gpa)
{
	return &m->word[(gpa - MEM_BASE) / 4];
}

/* Every PDE points at the poison table, every PTE maps a poison frame
 * 0xBAD00000 + index (all bits allowing any access); then the two
 * entries under test are written. */
static void mem_setup(struct fakemem *m, uint32_t pde, uint32_t pte)
{
	const uint32_t all = PG_P | PG_W | PG_U | PG_A | PG_D;

	for (uint32_t i = 0; i < 1024; i++) {
		*slot(m, PD_GPA + i * 4) = POISON_PT | all;
		*slot(m, PT_GPA + i * 4) = (0xBAD00000u + (i << 12)) | all;
		*slot(m, POISON_PT + i * 4) = (0xDEA00000u + (i << 12)) | all;
		*slot(m, MEM_BASE + 3 * PAGE + i * 4) = 0x5A5A5A5Au;
	}
	*slot(m, PDE_GPA) = pde;
	*slot(m, PTE_GPA) = pte;
	m->writes = 0;
}

static struct gwalk_mem mem_ops(struct fakemem *m)
{
	return (struct gwalk_mem){ mem_read, mem_write, m };
}

/* ---- the combinations (the model is gwalk_ref.h's) ---------------------- */

static struct gwalk_req combo_req(unsigned c, bool set_ad)
{
	return (struct gwalk_req){
		.cr3 = PD_GPA, .pse = F(c, C_PSE), .wp = F(c, C_WP), .va = VA,
		.write = F(c, C_WRITE), .user = F(c, C_USER), .set_ad = set_ad,
	};
}

/* ---- running one combination --------------------------------------------- */

/* Walks combination c and checks everything against the model; returns
 * false on a mismatch, after printing the combination if report is set
 * (the caller reports the first few, then only counts). */
static bool check_combo(unsigned c, bool set_ad, bool report)
{
	static struct fakemem m, want;
	struct gwalk_mem ops = mem_ops(&m);
	struct gwalk_req req = combo_req(c, set_ad);
	struct gwalk_res res;
	struct expect e = model(c, set_ad);

	mem_setup(&m, combo_pde(c), combo_pte(c));
	want = m;
	*slot(&want, PDE_GPA) = e.pde;
	*slot(&want, PTE_GPA) = e.pte;
	unsigned changed = (e.pde != combo_pde(c)) + (e.pte != combo_pte(c));

	memset(&res, 0xA5, sizeof res);          /* junk a lazy walk would leave */
	enum gwalk_result r = gwalk(&ops, &req, &res);

	bool ok = r == e.result;
	if (ok && r == GWALK_FAULT)
		ok = res.err == e.err;
	if (ok && r == GWALK_OK)
		ok = res.gpa == e.gpa && res.w == e.w && res.u == e.u &&
		     res.big == e.big && res.dirty == e.dirty;
	ok = ok && memcmp(m.word, want.word, sizeof m.word) == 0;
	ok = ok && m.writes == changed;          /* written only when a bit changes */
	if (!ok && report) {
		print_combo(c, set_ad ? " set_ad" : "");
		print_error("  got r=%d err=%#x gpa=%#x w=%d u=%d big=%d dirty=%d "
			    "pde=%#x pte=%#x writes=%u\n", r, res.err, res.gpa, res.w,
			    res.u, res.big, res.dirty, *slot(&m, PDE_GPA),
			    *slot(&m, PTE_GPA), m.writes);
		print_error("  want r=%d err=%#x gpa=%#x w=%d u=%d big=%d dirty=%d "
			    "pde=%#x pte=%#x writes=%u\n", e.result, e.err, e.gpa, e.w,
			    e.u, e.big, e.dirty, e.pde, e.pte, changed);
	}
	return ok;
}

static void test_every_combination_set_ad(void **state)
{
	(void)state;
	unsigned checked = 0, failed = 0, faults = 0;

	for (unsigned c = 0; c < NR_COMBOS; c++) {
		failed += !check_combo(c, true, failed < 8);
		faults += model(c, true).result == GWALK_FAULT;
		checked++;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(checked, 32768);
	/* 27232 faults and 5536 translations, counted by a separate script
	 * over the rules in gwalk.h: a model that drifted towards "always
	 * fault" would agree with a gwalk that did the same */
	assert_int_equal(faults, 27232);
}

static void test_every_combination_no_set_ad(void **state)
{
	(void)state;
	unsigned checked = 0, failed = 0;

	for (unsigned c = 0; c < NR_COMBOS; c++) {
		failed += !check_combo(c, false, failed < 8);
		checked++;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(checked, 32768);
}

/* ---- the model itself, on cases worked out by hand from the SDM ---------- */

#define BIT(flag)   (1u << (flag))

static void test_model_spot_checks(void **state)
{
	(void)state;
	struct expect e;

	/* supervisor write to a read-only page: allowed without WP, sets D */
	e = model(BIT(C_PDE_P) | BIT(C_PDE_W) | BIT(C_PTE_P) | BIT(C_WRITE), true);
	assert_int_equal(e.result, GWALK_OK);
	assert_int_equal(e.pte, PAGE_FRAME | PG_P | PG_A | PG_D);
	assert_int_equal(e.pde, PT_GPA | PG_P | PG_W | PG_A);
	/* ... refused with WP: protection fault, write, supervisor */
	e = model(BIT(C_PDE_P) | BIT(C_PDE_W) | BIT(C_PTE_P) | BIT(C_WRITE) | BIT(C_WP), true);
	assert_int_equal(e.result, GWALK_FAULT);
	assert_int_equal(e.err, PFE_P | PFE_W);
	/* user read of a page whose PDE lacks U */
	e = model(BIT(C_PDE_P) | BIT(C_PTE_P) | BIT(C_PTE_U) | BIT(C_USER), true);
	assert_int_equal(e.result, GWALK_FAULT);
	assert_int_equal(e.err, PFE_P | PFE_U);
	/* absent PTE under a 4 MB PDE does not matter */
	e = model(BIT(C_PDE_P) | BIT(C_PDE_U) | BIT(C_PDE_PS) | BIT(C_PSE) | BIT(C_USER), true);
	assert_int_equal(e.result, GWALK_OK);
	assert_int_equal(e.gpa, MEM_BASE | (VA & 0x3FFFFFu));
	assert_true(e.big);
	/* user write to an absent PTE */
	e = model(BIT(C_PDE_P) | BIT(C_PDE_W) | BIT(C_PDE_U) | BIT(C_USER) | BIT(C_WRITE), true);
	assert_int_equal(e.result, GWALK_FAULT);
	assert_int_equal(e.err, PFE_W | PFE_U);
}

/* ---- single walks -------------------------------------------------------- */

static enum gwalk_result walk(struct fakemem *m, uint32_t cr3, bool pse, uint32_t va,
			      bool write, bool set_ad, struct gwalk_res *res)
{
	struct gwalk_mem ops = mem_ops(m);
	struct gwalk_req req = { .cr3 = cr3, .pse = pse, .va = va, .write = write,
				 .set_ad = set_ad };
	return gwalk(&ops, &req, res);
}

static void test_page_table_outside_ram(void **state)
{
	(void)state;
	static struct fakemem m;
	struct gwalk_res res;
	const uint32_t tables[] = { MEM_BASE - PAGE, MEM_END, 0, 0xFFFFF000u };
	uint32_t big = 0x40000000u | PG_P | PG_PS;

	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		uint32_t pde = tables[i] | PG_P | PG_W | PG_U | PG_PS;
		mem_setup(&m, pde, combo_pte(0));
		assert_int_equal(walk(&m, PD_GPA, false, VA, true, true, &res),
				 GWALK_BAD_GPA);
		assert_int_equal(res.bad_gpa, tables[i] + VA_PTI * 4);
		assert_int_equal(*slot(&m, PDE_GPA), pde);      /* no A set */
		assert_int_equal(m.writes, 0);
	}
	/* a 4 MB page outside RAM is fine: no table is read under it */
	mem_setup(&m, big, combo_pte(0));
	assert_int_equal(walk(&m, PD_GPA, true, VA, false, true, &res), GWALK_OK);
	assert_int_equal(res.gpa, 0x40000000u | (VA & 0x3FFFFFu));
}

static void test_page_directory_outside_ram(void **state)
{
	(void)state;
	static struct fakemem m;
	struct gwalk_res res;

	mem_setup(&m, PT_GPA | PG_P, PAGE_FRAME | PG_P);
	assert_int_equal(walk(&m, MEM_END, false, VA, false, true, &res), GWALK_BAD_GPA);
	assert_int_equal(res.bad_gpa, MEM_END + VA_PDI * 4);
	assert_int_equal(walk(&m, MEM_BASE - PAGE, true, 0xFFC00000u, false, true, &res),
			 GWALK_BAD_GPA);
	assert_int_equal(res.bad_gpa, MEM_BASE - 4);
	assert_int_equal(m.writes, 0);
}

static void test_big_page_keeps_low_22_bits(void **state)
{
	(void)state;
	static struct fakemem m;
	struct gwalk_res res;
	const uint32_t frames[] = { 0x00000000u, 0x00400000u, 0x7FC00000u, 0xFFC00000u };
	const uint32_t offs[] = { 0, 1, 0xFFF, 0x1000, 0x2ABCDE, 0x3FFFFF };

	for (size_t f = 0; f < sizeof frames / sizeof frames[0]; f++) {
		for (size_t o = 0; o < sizeof offs / sizeof offs[0]; o++) {
			uint32_t pde = frames[f] | PG_P | PG_W | PG_PS;
			mem_setup(&m, pde, 0);
			uint32_t va = (VA_PDI << 22) | offs[o];
			assert_int_equal(walk(&m, PD_GPA, true, va, true, true, &res),
					 GWALK_OK);
			assert_int_equal(res.gpa, frames[f] | offs[o]);
			assert_true(res.big);
			assert_true(res.dirty);
			assert_int_equal(*slot(&m, PDE_GPA), pde | PG_A | PG_D);
			assert_int_equal(*slot(&m, PTE_GPA), 0);    /* no PTE touched */
		}
	}
}

static void test_ps_without_pse_is_a_table_pointer(void **state)
{
	(void)state;
	static struct fakemem m;
	struct gwalk_res res;
	uint32_t pde = PT_GPA | PG_P | PG_W | PG_PS;
	uint32_t pte = PAGE_FRAME | PG_P | PG_W;

	mem_setup(&m, pde, pte);
	assert_int_equal(walk(&m, PD_GPA, false, VA, true, true, &res), GWALK_OK);
	assert_false(res.big);
	assert_int_equal(res.gpa, PAGE_FRAME | (VA & 0xFFFu));
	assert_int_equal(*slot(&m, PDE_GPA), pde | PG_A);         /* D not in a PDE */
	assert_int_equal(*slot(&m, PTE_GPA), pte | PG_A | PG_D);

	/* with the PTE absent the walk faults: it did read the table */
	mem_setup(&m, pde, PAGE_FRAME);
	assert_int_equal(walk(&m, PD_GPA, false, VA, false, true, &res), GWALK_FAULT);
	assert_int_equal(res.err, 0);
	/* ... and with PSE the same PDE is a 4 MB page */
	assert_int_equal(walk(&m, PD_GPA, true, VA, false, true, &res), GWALK_OK);
	assert_true(res.big);
	assert_int_equal(res.gpa, MEM_BASE | (VA & 0x3FFFFFu));
}

static void test_cr3_low_bits_ignored(void **state)
{
	(void)state;
	static struct fakemem m;
	struct gwalk_res res;

	mem_setup(&m, PT_GPA | PG_P, PAGE_FRAME | PG_P);
	assert_int_equal(walk(&m, PD_GPA | PG_PCD | PG_PWT | 0x7u, false, VA, false,
			      true, &res), GWALK_OK);
	assert_int_equal(res.gpa, PAGE_FRAME | (VA & 0xFFFu));
}

static void test_set_ad_false_writes_nothing(void **state)
{
	(void)state;
	static struct fakemem m;
	struct gwalk_res res;
	const uint32_t pdes[] = { PT_GPA | PG_P | PG_W | PG_U,
				  MEM_BASE | PG_P | PG_W | PG_U | PG_PS };

	for (size_t i = 0; i < 2; i++) {
		mem_setup(&m, pdes[i], PAGE_FRAME | PG_P | PG_W | PG_U);
		assert_int_equal(walk(&m, PD_GPA, i == 1, VA, true, false, &res),
				 GWALK_OK);
		assert_false(res.dirty);                 /* D as it is, not as it would be */
		assert_int_equal(m.writes, 0);
		assert_int_equal(*slot(&m, PDE_GPA), pdes[i]);
		assert_int_equal(*slot(&m, PTE_GPA), PAGE_FRAME | PG_P | PG_W | PG_U);
	}
}

/* A 4 MB PDE with a reserved bit (13-21) set: #PF with P and RSVD, for
 * every access, and no A/D bits set. */
static void test_big_page_reserved_bits(void **state)
{
	static struct fakemem m;
	(void)state;
	for (unsigned bit = 13; bit <= 21; bit++) {
		mem_setup(&m, PT_GPA | (1u << bit) | PG_P | PG_W | PG_U | PG_PS, 0);
		struct gwalk_mem ops = mem_ops(&m);
		struct gwalk_req req = { .cr3 = PD_GPA, .pse = true, .wp = true, .va = VA,
					 .write = true, .user = true, .set_ad = true };
		struct gwalk_res res;
		assert_int_equal(gwalk(&ops, &req, &res), GWALK_FAULT);
		assert_int_equal(res.err, 0x1 | 0x2 | 0x4 | 0x8);       /* P W U RSVD */
		assert_int_equal(m.writes, 0);                          /* no A or D */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_page_reserved_bits),
		cmocka_unit_test(test_model_spot_checks),
		cmocka_unit_test(test_every_combination_set_ad),
		cmocka_unit_test(test_every_combination_no_set_ad),
		cmocka_unit_test(test_page_table_outside_ram),
		cmocka_unit_test(test_page_directory_outside_ram),
		cmocka_unit_test(test_big_page_keeps_low_22_bits),
		cmocka_unit_test(test_ps_without_pse_is_a_table_pointer),
		cmocka_unit_test(test_cr3_low_bits_ignored),
		cmocka_unit_test(test_set_ad_false_writes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
