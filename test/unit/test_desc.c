/*
 * test_desc.c - host unit tests for src/trap/desc.c: segment descriptor and
 * gate fields, the ring-compression rule desc_compress() applies to
 * every descriptor the guest puts in its GDT or LDT, and what a data
 * segment register may hold on the way back to the guest
 * (desc_data_loadable, desc_data_resume: the CPU keeps a loaded
 * descriptor its table has since lost).
 *
 * Why: the real GDT and LDT hold what desc_compress() returns.  A DPL 0
 * descriptor slipping through would let guest code reach ring 0; a field
 * garbled on the way (base, limit, D/B, G) breaks the guest in ways far from
 * the cause; a call or task gate in the real tables would hand the guest
 * the CPU's privilege machinery behind the monitor's back (call gates are
 * kept for the monitor's own use, DESC_GATE, and are null in the real
 * tables: vdesc.c).
 *
 * Descriptors are built here bit by bit from the SDM's layout (raw()), not
 * with desc_make(), so the accessors are checked against the architecture
 * rather than against their own inverse:
 *
 *   hi: 31..24 base 31:24 | G | D/B | L | AVL | 19..16 limit 19:16 |
 *       P | DPL(2) | S | type(4) | 7..0 base 23:16
 *   lo: 31..16 base 15:0  | 15..0 limit 15:0
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "trap/desc.h"

#define HI_AVL  (1u << 20)
#define HI_L    (1u << 21)
#define HI_DB   (1u << 22)
#define HI_G    (1u << 23)
#define HI_A    (SEG_T_ACCESSED << 8)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fields {
	uint32_t base, limit;   /* limit: the raw 20-bit field */
	unsigned type, dpl;
	bool s, p, g, db, avl;
};

static struct segdesc raw(struct fields f)
{
	struct segdesc d;
	d.lo = (f.base << 16) | (f.limit & 0xFFFFu);
	d.hi = (f.base & 0xFF000000u) | (f.g ? HI_G : 0) | (f.db ? HI_DB : 0) |
	       (f.avl ? HI_AVL : 0) | (f.limit & 0xF0000u) | (f.p ? DESC_HI_P : 0) |
	       (f.dpl << 13) | (f.s ? DESC_HI_S : 0) | (f.type << 8) |
	       ((f.base >> 16) & 0xFFu);
	return d;
}

static void assert_desc_equal(struct segdesc a, struct segdesc b)
{
	assert_int_equal(a.lo, b.lo);
	assert_int_equal(a.hi, b.hi);
}

/* ---- base and limit ------------------------------------------------------ */

static void test_known_descriptors(void **state)
{
	(void)state;
	/* Linux's and minios's flat ring-0 code segment */
	struct segdesc flat = { 0x0000FFFFu, 0x00CF9A00u };
	assert_int_equal(desc_base(flat), 0);
	assert_int_equal(desc_limit(flat), 0xFFFFFFFFu);
	assert_int_equal(DESC_TYPE(flat), SEG_T_CODE | SEG_T_R);
	assert_int_equal(DESC_S(flat), 1);
	assert_int_equal(DESC_DPL(flat), 0);
	assert_int_equal(DESC_P(flat), 1);
	assert_int_equal(DESC_DB(flat), 1);

	/* base 0x12345678, limit 0xABCDE, data, DPL 0, byte granular */
	struct segdesc d = { 0x5678BCDEu, 0x120A9234u };
	assert_int_equal(desc_base(d), 0x12345678u);
	assert_int_equal(desc_limit(d), 0xABCDEu);
	d.hi |= HI_G;
	assert_int_equal(desc_base(d), 0x12345678u);
	assert_int_equal(desc_limit(d), 0xABCDEFFFu);
}

static void test_base_bits_one_at_a_time(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 32; i++) {
		struct segdesc d = raw((struct fields){ .base = 1u << i, .limit = 0x5A5A5,
							.type = 0x3, .s = true, .p = true });
		assert_int_equal(desc_base(d), 1u << i);
		assert_int_equal(desc_limit(d), 0x5A5A5u);
	}
	/* every other field set, base 0: none of them leaks into the base */
	struct segdesc d = { 0x0000FFFFu, 0x00FFFF00u };
	assert_int_equal(desc_base(d), 0);
}

static void test_limit_bits_one_at_a_time(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 20; i++) {
		struct fields f = { .base = 0xFFFFFFFFu, .limit = 1u << i, .type = 0x3,
				    .s = true, .p = true, .dpl = 3, .db = true, .avl = true };
		assert_int_equal(desc_limit(raw(f)), 1u << i);
		f.g = true;
		assert_int_equal(desc_limit(raw(f)), ((1u << i) << 12) | 0xFFFu);
	}
}

static void test_limit_granularity_edges(void **state)
{
	(void)state;
	struct fields f = { .s = true, .p = true, .type = 0x3 };

	f.limit = 0;
	assert_int_equal(desc_limit(raw(f)), 0);
	f.g = true;
	assert_int_equal(desc_limit(raw(f)), 0xFFFu);       /* one page */
	f.limit = 0xFFFFF;
	assert_int_equal(desc_limit(raw(f)), 0xFFFFFFFFu);
	f.g = false;
	assert_int_equal(desc_limit(raw(f)), 0xFFFFFu);
}

/* ---- desc_make ----------------------------------------------------------- */

static void test_desc_make_known_value(void **state)
{
	(void)state;
	struct segdesc flat = { 0x0000FFFFu, 0x00CF9A00u };
	assert_desc_equal(desc_make(0, 0xFFFFFFFFu, SEG_T_CODE | SEG_T_R, 0, true, true),
			  flat);
	/* a 32-bit TSS as the monitor builds one: byte limit, S = 0 */
	struct segdesc tss = raw((struct fields){ .base = 0x00123456u, .limit = 0x67,
						  .type = SYS_T_TSS32A, .p = true });
	assert_desc_equal(desc_make(0x00123456u, 0x67, SYS_T_TSS32A, 0, false, false), tss);
}

static void test_desc_make_round_trip(void **state)
{
	(void)state;
	const uint32_t bases[] = { 0, 1, 0x12345678u, 0x00C0FFEEu, 0xFF000000u, 0xFFFFFFFFu };
	const uint32_t limits[] = { 0, 1, 0x67, 0xFFFF, 0x10000, 0xFFFFF,   /* bytes */
				    0x100FFF, 0x12345FFFu, 0xFFFFFFFFu };    /* pages */
	unsigned n = 0;

	for (size_t b = 0; b < ARRAY_LEN(bases); b++)
	for (size_t l = 0; l < ARRAY_LEN(limits); l++)
	for (unsigned type = 0; type < 16; type++)
	for (unsigned dpl = 0; dpl < 4; dpl++)
	for (unsigned cd = 0; cd < 2; cd++)
	for (unsigned big = 0; big < 2; big++) {
		struct segdesc d = desc_make(bases[b], limits[l], type, dpl, cd, big);
		assert_int_equal(desc_base(d), bases[b]);
		assert_int_equal(desc_limit(d), limits[l]);
		assert_int_equal(DESC_TYPE(d), type);
		assert_int_equal(DESC_DPL(d), dpl);
		assert_int_equal(DESC_S(d), cd);
		assert_int_equal(DESC_P(d), 1);
		assert_int_equal(DESC_DB(d), big);
		assert_int_equal((d.hi & HI_G) != 0, limits[l] > 0xFFFFFu);
		assert_int_equal(d.hi & (HI_AVL | HI_L), 0);
		n++;
	}
	assert_int_equal(n, 6 * 9 * 16 * 4 * 2 * 2);
}

/* ---- gates --------------------------------------------------------------- */

static void test_gate_known_value(void **state)
{
	(void)state;
	/* the SDM's interrupt gate: offset split over both words, selector
	 * in lo 31:16, P DPL 0 type in hi 15:8, hi 7:0 zero */
	struct segdesc g = gate_make(0x12345678u, 0x0010, SYS_T_INT32, 3);
	assert_int_equal(g.lo, 0x00105678u);
	assert_int_equal(g.hi, 0x1234EE00u);
}

static void test_gate_round_trip(void **state)
{
	(void)state;
	const uint32_t offsets[] = { 0, 0xFFFF, 0x10000, 0xC0100ABCu, 0xFFFFFFFFu };
	const uint16_t sels[] = { 0, 0x0008, 0x0010, 0x001B, 0xFFF8, 0xFFFF };
	const unsigned types[] = { SYS_T_CALL16, SYS_T_TASK, SYS_T_INT16, SYS_T_TRAP16,
				   SYS_T_CALL32, SYS_T_INT32, SYS_T_TRAP32 };

	for (size_t o = 0; o < ARRAY_LEN(offsets); o++)
	for (size_t s = 0; s < ARRAY_LEN(sels); s++)
	for (size_t t = 0; t < ARRAY_LEN(types); t++)
	for (unsigned dpl = 0; dpl < 4; dpl++) {
		struct segdesc g = gate_make(offsets[o], sels[s], types[t], dpl);
		assert_int_equal(gate_offset(g), offsets[o]);
		assert_int_equal(gate_selector(g), sels[s]);
		assert_int_equal(DESC_TYPE(g), types[t]);
		assert_int_equal(DESC_DPL(g), dpl);
		assert_int_equal(DESC_P(g), 1);
		assert_int_equal(DESC_S(g), 0);
		assert_int_equal(g.hi & 0xFFu, 0);    /* call gate parameter count */
	}
}

/* ---- selectors ----------------------------------------------------------- */

static void test_sel_compress(void **state)
{
	(void)state;
	const struct { uint16_t in, out; } cases[] = {
		{ 0x0000, 0x0000 },     /* the null selector stays null */
		{ 0x0001, 0x0001 },     /* null selectors with an RPL: untouched */
		{ 0x0003, 0x0003 },
		{ 0x0008, 0x0009 },     /* kernel code: RPL 0 becomes 1 */
		{ 0x0010, 0x0011 },
		{ 0x0004, 0x0005 },     /* LDT entry 0 is not null */
		{ 0x0009, 0x0009 },     /* RPL 1..3 unchanged */
		{ 0x000A, 0x000A },
		{ 0x001B, 0x001B },
		{ 0xFFF8, 0xFFF9 },
		{ 0xFFFC, 0xFFFD },
		{ 0xFFFF, 0xFFFF },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(sel_compress(cases[i].in), cases[i].out);
}

/* ---- desc_compress: code and data ---------------------------------------- */

static enum desc_verdict compress(struct segdesc g, struct segdesc *out, const char **why)
{
	out->lo = out->hi = 0xA5A5A5A5u;        /* junk the verdict must replace */
	*why = NULL;
	return desc_compress(g, out, why);
}

static void test_compress_flat_kernel_code(void **state)
{
	(void)state;
	struct segdesc out;
	const char *why;

	assert_int_equal(compress((struct segdesc){ 0x0000FFFFu, 0x00CF9A00u }, &out, &why),
			 DESC_COPY);
	assert_desc_equal(out, (struct segdesc){ 0x0000FFFFu, 0x00CFBA00u });  /* DPL 1, A kept */
}

/* Every code/data type, every DPL, with fields that differ per descriptor:
 * DPL 0 becomes 1, and nothing else moves (A stays as the guest has it). */
static void test_compress_code_data(void **state)
{
	(void)state;
	const struct fields shapes[] = {
		{ .base = 0, .limit = 0xFFFFF, .g = true, .db = true },
		{ .base = 0x12345678u, .limit = 0xABCDE, .g = false, .db = false },
		{ .base = 0xFFFFFFFFu, .limit = 0, .g = true, .db = false, .avl = true },
		{ .base = 0x00C0FFEEu, .limit = 0x0FFFF, .g = false, .db = true, .avl = true },
	};
	unsigned n = 0;

	for (size_t i = 0; i < ARRAY_LEN(shapes); i++)
	for (unsigned type = 0; type < 16; type++)
	for (unsigned dpl = 0; dpl < 4; dpl++) {
		struct fields f = shapes[i];
		f.type = type, f.dpl = dpl, f.s = true, f.p = true;
		struct segdesc g = raw(f), out;
		const char *why;

		assert_int_equal(compress(g, &out, &why), DESC_COPY);
		assert_int_equal(DESC_DPL(out), dpl == 0 ? 1 : dpl);
		assert_int_equal(DESC_TYPE(out), type);  /* A as the guest has it */
		assert_int_equal(desc_base(out), desc_base(g));
		assert_int_equal(desc_limit(out), desc_limit(g));
		assert_int_equal(DESC_DB(out), f.db);
		assert_int_equal(DESC_S(out), 1);
		assert_int_equal(DESC_P(out), 1);
		/* and the words bit for bit: only the DPL may differ */
		assert_int_equal(out.lo, g.lo);
		assert_int_equal(out.hi & ~DESC_HI_DPL, g.hi & ~DESC_HI_DPL);
		n++;
	}
	assert_int_equal(n, 4 * 16 * 4);
}

static void test_compress_not_present_code_data(void **state)
{
	(void)state;
	for (unsigned type = 0; type < 16; type++)
	for (unsigned dpl = 0; dpl < 4; dpl++) {
		struct fields f = { .base = 0x00ABCDEFu, .limit = 0x12345, .g = true,
				    .db = true, .type = type, .dpl = dpl, .s = true };
		struct segdesc g = raw(f), out;
		const char *why;

		assert_int_equal(compress(g, &out, &why), DESC_COPY);
		assert_int_equal(DESC_P(out), 0);       /* loading it still faults */
		assert_int_equal(DESC_DPL(out), dpl == 0 ? 1 : dpl);
		assert_int_equal(DESC_S(out), 1);
		assert_int_equal(DESC_TYPE(out) & ~SEG_T_ACCESSED, type & ~SEG_T_ACCESSED);
		assert_int_equal(out.lo, g.lo);
		assert_int_equal(out.hi & ~(DESC_HI_DPL | HI_A), g.hi & ~(DESC_HI_DPL | HI_A));
	}
}

/* ---- desc_compress: null and system descriptors -------------------------- */

static void assert_becomes_null(struct segdesc g)
{
	struct segdesc out;
	const char *why;

	assert_int_equal(compress(g, &out, &why), DESC_NULL);
	assert_desc_equal(out, (struct segdesc){ 0, 0 });
}

static void assert_refused_with_reason(struct segdesc g)
{
	struct segdesc out;
	const char *why;

	assert_int_equal(compress(g, &out, &why), DESC_REFUSE);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
}

static void test_compress_null_descriptor(void **state)
{
	(void)state;
	assert_becomes_null((struct segdesc){ 0, 0 });
}

static void test_compress_tss_and_ldt_become_null(void **state)
{
	(void)state;
	const unsigned types[] = { SYS_T_TSS16A, SYS_T_TSS16B, SYS_T_TSS32A,
				   SYS_T_TSS32B, SYS_T_LDT };

	for (size_t t = 0; t < ARRAY_LEN(types); t++)
	for (unsigned dpl = 0; dpl < 4; dpl++)
	for (unsigned p = 0; p < 2; p++)
		assert_becomes_null(raw((struct fields){ .base = 0x00123000u, .limit = 0x67,
						 .type = types[t], .dpl = dpl, .p = p }));
}

static void test_compress_task_gates_refused(void **state)
{
	(void)state;
	for (unsigned dpl = 0; dpl < 4; dpl++) {
		assert_refused_with_reason(gate_make(0xC0101234u, 0x0008, SYS_T_TASK, dpl));
		/* absent, it can never be used: a null entry does as well */
		struct segdesc g = gate_make(0xC0101234u, 0x0008, SYS_T_TASK, dpl);
		g.hi &= ~DESC_HI_P;
		assert_becomes_null(g);
	}
}

/* A call gate is kept for the monitor (callgate.c emulates the far CALL or
 * JMP through it) as the guest wrote it, offset, selector, parameter count
 * and P included, with DPL 0 read as 1 like every copied descriptor. */
static void test_compress_call_gates_kept(void **state)
{
	(void)state;
	const unsigned types[] = { SYS_T_CALL16, SYS_T_CALL32 };

	for (size_t t = 0; t < ARRAY_LEN(types); t++)
	for (unsigned dpl = 0; dpl < 4; dpl++)
	for (unsigned p = 0; p < 2; p++) {
		struct segdesc g = gate_make(0xC0101234u, 0x0008, types[t], dpl), out;
		const char *why;

		g.hi |= 5;                      /* five parameters */
		if (!p)
			g.hi &= ~DESC_HI_P;
		assert_true(desc_is_call_gate(g));
		assert_int_equal(compress(g, &out, &why), DESC_GATE);
		assert_int_equal(DESC_DPL(out), dpl == 0 ? 1 : dpl);
		assert_int_equal(out.hi & ~DESC_HI_DPL, g.hi & ~DESC_HI_DPL);
		assert_int_equal(out.lo, g.lo);
		assert_int_equal(gate_offset(out), 0xC0101234u);
		assert_int_equal(gate_selector(out), 0x0008);
		assert_int_equal(GATE_PARAMS(out), 5);
		assert_int_equal(DESC_P(out), p);
	}
}

static void test_only_call_gates_are_call_gates(void **state)
{
	(void)state;
	for (unsigned type = 0; type < 16; type++) {
		struct segdesc sys = gate_make(0, 0x0008, type, 0);
		struct segdesc seg = desc_make(0, 0xFFFFF, type, 0, true, true);
		assert_int_equal(desc_is_call_gate(sys), type == SYS_T_CALL16 || type == SYS_T_CALL32);
		assert_false(desc_is_call_gate(seg));
	}
	assert_false(desc_is_call_gate((struct segdesc){ 0, 0 }));
}

static void test_compress_interrupt_and_trap_gates_refused(void **state)
{
	(void)state;
	const unsigned types[] = { SYS_T_INT16, SYS_T_TRAP16, SYS_T_INT32, SYS_T_TRAP32 };

	for (size_t t = 0; t < ARRAY_LEN(types); t++)
	for (unsigned dpl = 0; dpl < 4; dpl++)
		assert_refused_with_reason(gate_make(0xC0101234u, 0x0008, types[t], dpl));
}

static void test_compress_reserved_system_types_refused(void **state)
{
	(void)state;
	const unsigned reserved[] = { 0x0, 0x8, 0xA, 0xD };

	for (size_t t = 0; t < ARRAY_LEN(reserved); t++)
		assert_refused_with_reason(raw((struct fields){ .limit = 0xFFFFF, .type = reserved[t],
						    .p = true }));
}

/* ---- data segment loads and the hidden descriptors of DS and ES ---- */

static struct segdesc seg(unsigned type, unsigned dpl, bool p)
{
	return raw((struct fields){ .limit = 0xFFFFF, .type = type, .dpl = dpl, .s = true, .p = p,
				    .g = true, .db = true });
}

#define DATA_RW  (SEG_T_W | SEG_T_ACCESSED)
#define CODE_RX  (SEG_T_CODE | SEG_T_R | SEG_T_ACCESSED)
#define CODE_X   (SEG_T_CODE | SEG_T_ACCESSED)
#define CODE_CRX (SEG_T_CODE | SEG_T_C | SEG_T_R | SEG_T_ACCESSED)

/* MOV DS's checks (SDM vol. 2, MOV): a data or readable code segment,
 * present, DPL >= max(CPL, RPL) unless conforming code. */
static void test_data_loadable(void **state)
{
	(void)state;
	for (unsigned dpl = 0; dpl < 4; dpl++)
	for (unsigned cpl = 0; cpl < 4; cpl++)
	for (unsigned rpl = 0; rpl < 4; rpl++) {
		bool priv = dpl >= cpl && dpl >= rpl;
		assert_int_equal(desc_data_loadable(seg(DATA_RW, dpl, true), rpl, cpl), priv);
		assert_int_equal(desc_data_loadable(seg(CODE_RX, dpl, true), rpl, cpl), priv);
		assert_true(desc_data_loadable(seg(CODE_CRX, dpl, true), rpl, cpl));
		assert_false(desc_data_loadable(seg(CODE_X, dpl, true), rpl, cpl));
		assert_false(desc_data_loadable(seg(DATA_RW, dpl, false), rpl, cpl));
	}
	assert_false(desc_data_loadable(gate_make(0x1000, 0x08, SYS_T_CALL32, 3), 3, 3));
	assert_false(desc_data_loadable((struct segdesc){ 0, 0 }, 0, 0));
}

/* Unloadable whatever the privilege: only the table's content decides. */
static void test_data_unloadable(void **state)
{
	(void)state;
	assert_true(desc_data_unloadable((struct segdesc){ 0, 0 }));
	assert_true(desc_data_unloadable(seg(DATA_RW, 3, false)));
	assert_true(desc_data_unloadable(seg(CODE_X, 3, true)));
	assert_true(desc_data_unloadable(gate_make(0x1000, 0x08, SYS_T_CALL32, 3)));
	assert_true(desc_data_unloadable(raw((struct fields){ .limit = 0x67,
							     .type = SYS_T_TSS32A, .p = true })));
	for (unsigned dpl = 0; dpl < 4; dpl++) {   /* a DPL refuses some rings only */
		assert_false(desc_data_unloadable(seg(DATA_RW, dpl, true)));
		assert_false(desc_data_unloadable(seg(CODE_RX, dpl, true)));
	}
}

/* The witness of the difftest's old known bug desc.lgdt.short: DS holds
 * 0x58 and LGDT leaves it beyond the limit: the register keeps what it
 * loaded, in the guest kernel (CPL 1 as compressed) and in user mode. */
static void test_resume_keeps_a_descriptor_the_table_lost(void **state)
{
	(void)state;
	struct segdesc k = seg(DATA_RW, 1, true), u = seg(DATA_RW, 3, true);

	assert_int_equal(desc_data_resume(NULL, &k, 0x58, 1), SEG_KEEP);
	assert_int_equal(desc_data_resume(NULL, &u, 0x5B, 3), SEG_KEEP);
	assert_int_equal(desc_data_resume(NULL, &u, 0x58, 1), SEG_KEEP);
	/* made absent, a system descriptor, execute-only code: the same */
	struct segdesc np = seg(DATA_RW, 1, false), xo = seg(CODE_X, 1, true);
	struct segdesc tss = raw((struct fields){ .limit = 0x67, .type = SYS_T_TSS32A, .p = true });
	struct segdesc null = { 0, 0 };
	assert_int_equal(desc_data_resume(&np, &k, 0x58, 1), SEG_KEEP);
	assert_int_equal(desc_data_resume(&xo, &k, 0x58, 1), SEG_KEEP);
	assert_int_equal(desc_data_resume(&tss, &k, 0x58, 1), SEG_KEEP);
	assert_int_equal(desc_data_resume(&null, &k, 0x5C, 1), SEG_KEEP);      /* an LDT one */
}

/* Still loadable from the table: loaded from it (an edited base or limit
 * is taken, as the guest's own reload without a trap would take it). */
static void test_resume_reloads_what_the_table_has(void **state)
{
	(void)state;
	struct segdesc k = seg(DATA_RW, 1, true), edited = raw((struct fields){
		.base = 0x1000, .limit = 0xFF, .type = DATA_RW, .dpl = 1, .s = true, .p = true });

	assert_int_equal(desc_data_resume(&k, &k, 0x10, 1), SEG_RELOAD);
	assert_int_equal(desc_data_resume(&edited, &k, 0x10, 1), SEG_RELOAD);
	assert_int_equal(desc_data_resume(&k, NULL, 0x10, 1), SEG_RELOAD);
	assert_int_equal(desc_data_resume(NULL, NULL, 0x00, 1), SEG_RELOAD);   /* null */
	assert_int_equal(desc_data_resume(NULL, &k, 0x03, 3), SEG_RELOAD);
}

/* Nulled: what the CPU's IRET to an outer ring nulls (a DPL below the new
 * CPL, in the table or in the hidden descriptor), and a register whose
 * hidden descriptor is unknown or that its table lost without it being
 * kept (a DPL change is not a lost descriptor: the guest could reload the
 * selector at another CPL without a trap). */
static void test_resume_nulls(void **state)
{
	(void)state;
	struct segdesc k = seg(DATA_RW, 1, true), u = seg(DATA_RW, 3, true);

	assert_int_equal(desc_data_resume(&k, &k, 0x10, 3), SEG_NULL);
	assert_int_equal(desc_data_resume(NULL, &k, 0x10, 3), SEG_NULL);
	assert_int_equal(desc_data_resume(NULL, NULL, 0x58, 1), SEG_NULL);
	assert_int_equal(desc_data_resume(&k, &u, 0x23, 3), SEG_NULL);
	struct segdesc xo = seg(CODE_X, 1, true);
	assert_int_equal(desc_data_resume(&xo, &xo, 0x58, 1), SEG_NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_descriptors),
		cmocka_unit_test(test_base_bits_one_at_a_time),
		cmocka_unit_test(test_limit_bits_one_at_a_time),
		cmocka_unit_test(test_limit_granularity_edges),
		cmocka_unit_test(test_desc_make_known_value),
		cmocka_unit_test(test_desc_make_round_trip),
		cmocka_unit_test(test_gate_known_value),
		cmocka_unit_test(test_gate_round_trip),
		cmocka_unit_test(test_sel_compress),
		cmocka_unit_test(test_compress_flat_kernel_code),
		cmocka_unit_test(test_compress_code_data),
		cmocka_unit_test(test_compress_not_present_code_data),
		cmocka_unit_test(test_compress_null_descriptor),
		cmocka_unit_test(test_compress_tss_and_ldt_become_null),
		cmocka_unit_test(test_compress_task_gates_refused),
		cmocka_unit_test(test_compress_call_gates_kept),
		cmocka_unit_test(test_only_call_gates_are_call_gates),
		cmocka_unit_test(test_compress_interrupt_and_trap_gates_refused),
		cmocka_unit_test(test_compress_reserved_system_types_refused),
		cmocka_unit_test(test_data_loadable),
		cmocka_unit_test(test_data_unloadable),
		cmocka_unit_test(test_resume_keeps_a_descriptor_the_table_lost),
		cmocka_unit_test(test_resume_reloads_what_the_table_has),
		cmocka_unit_test(test_resume_nulls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
