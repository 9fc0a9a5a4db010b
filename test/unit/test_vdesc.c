/*
 * test_vdesc.c - host unit tests for the accessed bit in src/trap/vdesc.c,
 * and for the hidden descriptors of DS and ES it keeps across a table
 * change (vdesc_hidden_entry, vdesc_resume_data, vdesc_resume_patches:
 * the CPU keeps a loaded segment until the register is loaded again).
 *
 * Mechanism: when the CPU loads a segment register from a descriptor whose
 * accessed bit (type bit 0) is clear, it writes the bit into the table.
 * The real GDT and LDT are read-only to the guest's rings, so that write is
 * a #PF the monitor answers with vdesc_accessed(): the bit goes into the
 * guest's own descriptor (the CPU would have written the guest's table) and
 * into the monitor's copy and real table.  A null or system descriptor
 * never gets it, and the guest's table is watched (watch.c): the write into
 * it makes the monitor copy that entry again from the guest's memory.
 * The limits (issue 9's findings 1 and 2): the real LDTR is null from the
 * start, never the CPU's reset one over guest memory; the real LDT's
 * limit covers exactly the guest LDT's whole entries (a limit below 7 is
 * none, 0xFFFFFFFF does not wrap, past 64 KB is clamped to 8192 with a
 * line), and a 64 KB guest GDT stops below the monitor's five entries.
 * ring=3 (the ring3_* tests): conforming code of the kernel is hidden
 * from it as user code is, and the kernel runs it through an alias past
 * its GDT, with its other code hidden meanwhile (docs/ring-compression.md).
 *
 * What is checked here, found by fuzz_trap (test/fuzz/regressions/trap/
 * cs-null-descriptor-accessed-bit): the bit lands in a present code or data
 * descriptor; a null or system one, in the copy or in the guest's memory,
 * never gets it; when the guest's memory and the copy disagree, the entry
 * the watch copied again is the guest's own, not the old one with the bit.
 *
 * vdesc.c is compiled into this test (MON_HOST_TEST: lldt is declared, not
 * executed) with fakes for guest memory (linear = physical, 64 KB), the
 * watch (a write inside the watched range is handed to the owner, as
 * shadow.c and watch.c do) and the rest of the monitor it calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "trap/vdesc.c"

#define GUEST_MEM   0x10000u
#define G_GDT       0x1000u             /* the guest's GDT: 4 entries */
#define G_GDT_N     4u
#define SEL_KCODE   0x08u               /* entry 1: ring-0 code */
#define SEL_KDATA   0x10u               /* entry 2: ring-0 data */
#define SEL_TSS     0x18u               /* entry 3: an available 32-bit TSS */
#define BYTE5       5u                  /* access byte: P, DPL, S, type */
#define CODE_TYPE   (SEG_T_CODE | SEG_T_R)
#define DATA_TYPE   SEG_T_W
#define TSS_AVAIL32 0x9u

static uint8_t mem[GUEST_MEM];
static struct segdesc real_gdt[GDT_ENTRIES], shown_gdt[GDT_ENTRIES], real_ldt[LDT_ENTRIES];
struct segdesc *const sw_gdt = real_gdt;
struct segdesc *const sw_gdt_shown = shown_gdt;
struct segdesc *const sw_ldt = real_ldt;
static bool gdt_shown_loaded;   /* which GDT the fake CPU holds */
struct mon_options mon_opts = { .ring = 1 };
static struct vcpu vc;
static struct watch *watches[2];
static unsigned guest_writes;

/* ---- fakes of the rest of the monitor ---- */

enum gva_result gva_read(struct vcpu *v, uint32_t va, void *buf, uint32_t n, unsigned acc,
			 struct gva_fault *f)
{
	(void)v, (void)acc;
	*f = (struct gva_fault){ 0 };
	assert_true(va + n <= GUEST_MEM);
	memcpy(buf, mem + va, n);
	return GVA_OK;
}

/* A guest write inside a watched range is told to its owner, as shadow.c
 * and watch.c do for a write the monitor makes for the guest. */
enum gva_result gva_write(struct vcpu *v, uint32_t va, const void *buf, uint32_t n,
			  unsigned acc, struct gva_fault *f)
{
	(void)acc;
	if (f)
		*f = (struct gva_fault){ 0 };
	assert_true(va + n <= GUEST_MEM);
	memcpy(mem + va, buf, n);
	guest_writes++;
	for (unsigned i = 0; i < 2; i++) {
		struct watch *w = watches[i];
		if (w && w->len && va >= w->base && va + n <= w->base + w->len)
			w->wrote(v, w->ctx, va - w->base, n);
	}
	return GVA_OK;
}

void watch_set(struct vcpu *v, struct watch *w, uint32_t base, uint32_t len)
{
	(void)v;
	w->base = base;
	w->len = len;
	watches[w == &vgdt.watch ? 0 : 1] = w;
}

void guest_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fail_msg("guest_die");
	abort();
}

/* The CPU's LDTR as the monitor last loaded it (0: null). */
static uint16_t real_ldtr = 0xFFFF;
void lldt(uint16_t sel) { real_ldtr = sel; }
/* The monitor's log: its last line. */
static char last_log[256];
void mon_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof last_log, fmt, ap);
	va_end(ap);
}
void switcher_gdt_mon(unsigned i, struct segdesc d) { real_gdt[i] = shown_gdt[i] = d; }
void switcher_show_user(bool shown) { gdt_shown_loaded = shown; }
bool switcher_user_shown(void) { return gdt_shown_loaded; }
void reflect(struct vcpu *v, unsigned vector, enum event_kind kind, uint32_t err)
{ (void)v, (void)vector, (void)kind, (void)err; fail_msg("reflect"); }
void reflect_pf(struct vcpu *v, uint32_t va, uint32_t err)
{ (void)v, (void)va, (void)err; fail_msg("reflect_pf"); }
void vidt_ltr(struct vcpu *v) { (void)v; }

/* ---- helpers ---- */

static void put_guest(unsigned index, struct segdesc d)
{
	memcpy(mem + G_GDT + index * 8, &d, sizeof d);
}

static struct segdesc guest_desc(unsigned index)
{
	struct segdesc d;
	memcpy(&d, mem + G_GDT + index * 8, sizeof d);
	return d;
}

/* The real-table address of byte 5 of sel's entry: where the CPU's write
 * of the accessed bit faults. */
static uint32_t real_byte5(uint16_t sel)
{
	return SW_VA(SW_GDT_OFF) + SEL_INDEX(sel) * 8 + BYTE5;
}

/* A guest GDT: null, ring-0 code and data (accessed bits clear), a TSS. */
static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof mem);
	memset(&vc, 0, sizeof vc);
	vdesc_reset(&vc);
	put_guest(1, desc_make(0, 0xFFFFFFFF, CODE_TYPE, 0, true, true));
	put_guest(2, desc_make(0, 0xFFFFFFFF, DATA_TYPE, 0, true, true));
	put_guest(3, desc_make(0x3000, 0x67, TSS_AVAIL32, 0, false, false));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, G_GDT_N * 8 - 1), 0);
	guest_writes = 0;
	return 0;
}

static bool accessed(struct segdesc d)
{
	return DESC_TYPE(d) & SEG_T_ACCESSED;
}

/* ---- tests ---- */

static void code_descriptor_gets_the_bit_everywhere(void **state)
{
	(void)state;
	assert_false(accessed(vgdt_copy[1]));
	assert_true(vdesc_accessed(&vc, real_byte5(SEL_KCODE)));
	assert_true(accessed(guest_desc(1)));
	assert_true(accessed(vgdt_copy[1]));
	assert_true(accessed(real_gdt[1]));
	assert_true(DESC_S(vgdt_copy[1]) && (DESC_TYPE(vgdt_copy[1]) & SEG_T_CODE));
	assert_int_equal(vc.stats.desc_accessed, 1);
	/* set now: a second fault there is not the accessed bit's */
	assert_false(vdesc_accessed(&vc, real_byte5(SEL_KCODE)));
}

/* The two real GDTs differ only in user code: a code segment in the one
 * the CPU holds while user code may run, a read-only data segment (an
 * execute-only one not present) in the one that hides it; switching the
 * mode is loading the other GDT, and the accessed bit lands in both. */
static void two_gdts_differ_only_in_user_code(void **state)
{
	(void)state;
	const unsigned ucode = 4, uxonly = 5;
	put_guest(ucode, desc_make(0, 0xFFFFFFFF, CODE_TYPE, 3, true, true));
	put_guest(uxonly, desc_make(0, 0xFFFFFFFF, SEG_T_CODE, 3, true, true));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, 6 * 8 - 1), 0);
	for (unsigned i = 1; i < 4; i++)
		assert_memory_equal(&real_gdt[i], &shown_gdt[i], sizeof real_gdt[i]);
	assert_true(DESC_TYPE(shown_gdt[ucode]) & SEG_T_CODE);
	assert_false(DESC_TYPE(real_gdt[ucode]) & SEG_T_CODE);
	assert_true(DESC_P(shown_gdt[uxonly]));
	assert_false(DESC_P(real_gdt[uxonly]));
	vdesc_switch_mode(false, true);
	assert_false(gdt_shown_loaded);
	vdesc_switch_mode(true, true);
	assert_true(gdt_shown_loaded);
	assert_true(vdesc_accessed(&vc, SW_VA(SW_GDT_SHOWN_OFF) + ucode * 8 + BYTE5));
	assert_true(accessed(real_gdt[ucode]) && accessed(shown_gdt[ucode]));
}

static void preaccess_sets_the_data_segments_bit(void **state)
{
	(void)state;
	vdesc_preaccess(&vc, SEL_KDATA);
	assert_true(accessed(guest_desc(2)));
	assert_true(accessed(vgdt_copy[2]));
	assert_false(accessed(vgdt_copy[1]));
}

static void null_and_system_descriptors_never_get_it(void **state)
{
	(void)state;
	struct segdesc tss = guest_desc(3);

	assert_false(vdesc_accessed(&vc, real_byte5(0)));
	assert_false(vdesc_accessed(&vc, real_byte5(SEL_TSS)));
	vdesc_preaccess(&vc, 0);
	vdesc_preaccess(&vc, SEL_TSS);
	assert_int_equal(guest_writes, 0);
	assert_memory_equal(&tss, mem + G_GDT + 3 * 8, sizeof tss);
	assert_int_equal(vgdt_copy[0].hi, 0);
	assert_false(DESC_S(vgdt_copy[3]));
	/* beyond the guest's entries: not its table */
	assert_false(vdesc_accessed(&vc, real_byte5((uint16_t)(G_GDT_N * 8))));
}

/* The guest's memory holds a null entry where the copy holds the code
 * descriptor the CPU loaded (memory and copy disagree, as when the table's
 * page was let go by watch.c): the guest's null entry is left alone, and
 * the loaded descriptor in the copy gets the bit (the CPU wrote the real
 * table's). */
static void guest_null_entry_left_alone(void **state)
{
	(void)state;
	put_guest(1, (struct segdesc){ 0, 0 });
	assert_true(vdesc_accessed(&vc, real_byte5(SEL_KCODE)));
	assert_int_equal(guest_writes, 0);
	assert_int_equal(guest_desc(1).hi, 0);
	assert_true(DESC_S(vgdt_copy[1]) && accessed(vgdt_copy[1]));
}

/* The guest's memory holds another present code or data descriptor: the
 * bit goes into it, the watch copies that entry again, and the copy is
 * the guest's own descriptor, validated, with its bit (not the old one
 * with a bit ORed in). */
static void entry_copied_again_is_the_guests(void **state)
{
	(void)state;
	put_guest(1, desc_make(0x400000, 0xFFFFF, DATA_TYPE, 0, true, true));
	assert_true(vdesc_accessed(&vc, real_byte5(SEL_KCODE)));
	assert_int_equal(guest_writes, 1);
	assert_true(accessed(guest_desc(1)));
	assert_false(DESC_TYPE(vgdt_copy[1]) & SEG_T_CODE);
	assert_int_equal(desc_base(vgdt_copy[1]), 0x400000);
	assert_true(accessed(vgdt_copy[1]));
	assert_memory_equal(&real_gdt[1], &vgdt_copy[1], sizeof real_gdt[1]);
}

/* The finding: the guest's entry is a not-present system descriptor (type
 * 1) while the copy holds code; nothing turns it into a "null entry with
 * the accessed bit", in the guest's memory or in the copy. */
static void no_accessed_bit_in_a_null_copy(void **state)
{
	(void)state;
	put_guest(1, (struct segdesc){ 0, 0x00000100 });
	assert_true(vdesc_accessed(&vc, real_byte5(SEL_KCODE)));
	assert_int_equal(guest_desc(1).hi, 0x00000100);
	assert_true(DESC_S(vgdt_copy[1]) || vgdt_copy[1].hi == 0);
	/* and a write the guest makes there is seen: the copy follows */
	uint8_t b = 0;
	gva_write(&vc, G_GDT + 8 + BYTE5, &b, 1, 0, NULL);
	assert_int_equal(vgdt_copy[1].hi, 0);
	assert_int_equal(vgdt_copy[1].lo, 0);
	assert_false(vdesc_accessed(&vc, real_byte5(SEL_KCODE)));
	assert_int_equal(vgdt_copy[1].hi, 0);
}

/* ---- ring=3: conforming code hidden from the kernel, and its alias ---- */

#define R3_GDT_N    7u
#define SEL_UCODE   0x1Bu               /* entry 3: user code, readable */
#define SEL_CONF    0x28u               /* entry 5: conforming code of DPL 0, readable */
#define SEL_CONF_X  0x30u               /* entry 6: ...execute-only */
#define SEL_ALIAS   (R3_GDT_N << 3)     /* the first entry past the guest's */
#define CONF_BASE   0x10000u
#define CONF_LIMIT  0xFFFFFu

/* The guest GDT above plus user code and data and two conforming
 * segments, loaded with ring=3. */
static int setup_ring3(void **state)
{
	mon_opts.ring = 3;
	setup(state);
	vdesc_switch_mode(true, true);
	put_guest(3, desc_make(0, 0xFFFFFFFF, CODE_TYPE, 3, true, true));
	put_guest(4, desc_make(0, 0xFFFFFFFF, DATA_TYPE, 3, true, true));
	put_guest(5, desc_make(CONF_BASE, CONF_LIMIT, CODE_TYPE | SEG_T_C, 0, true, true));
	put_guest(6, desc_make(CONF_BASE, CONF_LIMIT, SEG_T_CODE | SEG_T_C, 0, true, true));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, R3_GDT_N * 8 - 1), 0);
	return 0;
}

static int teardown_ring3(void **state)
{
	(void)state;
	vdesc_switch_mode(true, true);
	mon_opts.ring = 1;
	return 0;
}

/* The real GDT the (fake) CPU holds: vdesc.c loads the one that shows
 * user code or the one that hides it. */
static struct segdesc *cpu_gdt(void)
{
	return gdt_shown_loaded ? shown_gdt : real_gdt;
}

static bool real_is_code(unsigned i)
{
	return DESC_S(cpu_gdt()[i]) && (DESC_TYPE(cpu_gdt()[i]) & SEG_T_CODE);
}

/* While the kernel runs, conforming code is out of reach as code (a
 * readable one read-only data of DPL 3, an execute-only one not present),
 * as user code is: the kernel's return to it with RPL 3 faults.  While
 * user code runs it is the conforming code user code may run. */
static void ring3_conforming_hidden_while_the_kernel_runs(void **state)
{
	(void)state;
	vdesc_switch_mode(false, true);                 /* the kernel runs */
	assert_true(DESC_P(cpu_gdt()[5]) && !real_is_code(5) && DESC_DPL(cpu_gdt()[5]) == 3);
	assert_int_equal(desc_base(cpu_gdt()[5]), CONF_BASE);
	assert_false(DESC_P(cpu_gdt()[6]));
	assert_false(real_is_code(3));
	assert_true(real_is_code(1) && DESC_P(cpu_gdt()[1]));
	assert_true(vdesc_hidden_kernel_code(SEL_CONF));
	assert_true(vdesc_hidden_kernel_code(SEL_CONF_X | 3));
	assert_false(vdesc_hidden_kernel_code(SEL_KCODE));
	assert_false(vdesc_hidden_kernel_code(SEL_UCODE));

	vdesc_switch_mode(true, false);                 /* user code runs */
	assert_true(real_is_code(5) && (DESC_TYPE(cpu_gdt()[5]) & SEG_T_C) && DESC_P(cpu_gdt()[5]));
	assert_int_equal(DESC_DPL(cpu_gdt()[5]), 3);
	assert_true(real_is_code(6) && DESC_P(cpu_gdt()[6]));
	assert_false(DESC_P(cpu_gdt()[1]));
	assert_false(vdesc_hidden_kernel_code(SEL_CONF));
}

/* The kernel resumed in conforming code runs through the alias past its
 * GDT (non-conforming, DPL 3, present, accessed, the segment's base and
 * limit), with its other code hidden; the selectors translate both ways;
 * a resume elsewhere takes the alias away, its meaning stays until LGDT. */
static void ring3_alias_follows_the_kernel(void **state)
{
	(void)state;
	vdesc_switch_mode(false, true);
	vc.tf.cs = SEL_CONF | 1;                        /* the kernel, as the monitor holds it */
	vdesc_alias_update(&vc, false);
	struct segdesc a = cpu_gdt()[R3_GDT_N];
	assert_true(DESC_S(a) && DESC_P(a) && (DESC_TYPE(a) & SEG_T_CODE));
	assert_false(DESC_TYPE(a) & SEG_T_C);
	assert_true(accessed(a));
	assert_int_equal(DESC_DPL(a), 3);
	assert_int_equal(desc_base(a), CONF_BASE);
	assert_int_equal(desc_limit(a), desc_limit(vgdt_copy[5]));
	assert_false(real_is_code(1));                  /* leaving it traps */
	assert_true(vdesc_hidden_kernel_code(SEL_KCODE));
	assert_int_equal(vdesc_alias_to_cpu(SEL_CONF | 1), SEL_ALIAS | 3);
	assert_int_equal(vdesc_alias_to_cpu(SEL_KCODE | 1), SEL_KCODE | 1);
	assert_int_equal(vdesc_alias_from_cpu(SEL_ALIAS | 3), SEL_CONF | 3);
	assert_int_equal(vdesc_alias_from_cpu(SEL_KDATA), SEL_KDATA);
	assert_int_equal(vdesc_alias_of(SEL_ALIAS | 3), SEL_CONF);
	assert_int_equal(vc.stats.conforming_alias, 1);

	vc.tf.cs = SEL_KCODE | 1;
	vdesc_alias_update(&vc, false);
	assert_int_equal(cpu_gdt()[R3_GDT_N].hi, 0);
	assert_true(real_is_code(1));
	assert_int_equal(vdesc_alias_to_cpu(SEL_CONF | 1), SEL_CONF | 1);
	assert_int_equal(vdesc_alias_from_cpu(SEL_ALIAS | 3), SEL_ALIAS | 3);
	assert_int_equal(vdesc_alias_of(SEL_ALIAS | 3), SEL_CONF);

	vc.tf.cs = SEL_CONF | 3;                        /* user code in it: no alias */
	vdesc_alias_update(&vc, true);
	assert_int_equal(cpu_gdt()[R3_GDT_N].hi, 0);

	assert_int_equal(vdesc_lgdt(&vc, G_GDT, R3_GDT_N * 8 - 1), 0);
	assert_int_equal(vdesc_alias_of(SEL_ALIAS | 3), SEL_ALIAS | 3);
}

/* Guest ring 2 in conforming code: the alias stands for RPL 2. */
static void ring3_alias_keeps_ring2(void **state)
{
	(void)state;
	vdesc_switch_mode(false, true);
	vc.tf.cs = SEL_CONF | 2;
	vdesc_alias_update(&vc, false);
	assert_int_equal(vdesc_alias_of(SEL_ALIAS | 3), SEL_CONF | 2);
	assert_int_equal(vdesc_alias_to_cpu(SEL_CONF | 2), SEL_ALIAS | 3);
}

/* ---- the hidden descriptors of DS and ES ---- */

/* The frame's DS and ES at a trap. */
static void trap_with(uint16_t ds, uint16_t es)
{
	vc.tf.ds = ds;
	vc.tf.es = es;
	vdesc_hidden_entry(&vc);
}

/* The difftest's old known bug desc.lgdt.short: DS holds the kernel's data
 * segment, then LGDT leaves it beyond the limit.  DS is resumed with the
 * descriptor it was loaded with, through a slot patched for the exit
 * path's load only: the real table keeps the guest's (null) entry. */
static void ds_keeps_what_a_shorter_gdt_lost(void **state)
{
	(void)state;
	struct sw_keep keep[KEEP_REGS];
	struct segdesc loaded = real_gdt[2];

	trap_with(SEL_KDATA, 0);
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, 2 * 8 - 1), 0);        /* null, code */
	assert_int_equal(real_gdt[2].hi, 0);
	assert_int_equal(vdesc_resume_data(KEEP_DS, SEL_KDATA, 1), SEL_KDATA);
	assert_int_equal(vdesc_resume_data(KEEP_ES, 0, 1), 0);
	assert_true(vdesc_keeps());
	vdesc_resume_patches(keep);
	/* (in the real GDT the CPU holds: vdesc.c keeps two) */
	assert_int_equal(keep[KEEP_DS].slot,
			 SW_VA(gdt_shown_loaded ? SW_GDT_SHOWN_OFF : SW_GDT_OFF) + 2 * 8);
	assert_int_equal(keep[KEEP_DS].sel, SEL_KDATA);
	assert_memory_equal(&keep[KEEP_DS].desc, &loaded, sizeof loaded);
	assert_memory_equal(&keep[KEEP_DS].table, &cpu_gdt()[2], sizeof real_gdt[2]);
	assert_int_equal(keep[KEEP_ES].slot, 0);
	assert_int_equal(real_gdt[2].hi, 0);    /* nothing else can load it */

	/* the next trap: DS still 0x10, which no load could have given it
	 * meanwhile: still the same descriptor */
	trap_with(SEL_KDATA, 0);
	assert_int_equal(vdesc_resume_data(KEEP_DS, SEL_KDATA, 1), SEL_KDATA);
	vdesc_resume_patches(keep);
	assert_memory_equal(&keep[KEEP_DS].desc, &loaded, sizeof loaded);

	/* to user mode: a DPL-1 segment is nulled, as the CPU's IRET does */
	assert_int_equal(vdesc_resume_data(KEEP_DS, SEL_KDATA, 3), 0);
	assert_false(vdesc_keeps());
}

/* The entry edited (still loadable) is loaded from the table, the kept
 * state forgotten once the table has the selector again; a register that
 * never held the selector cannot keep anything. */
static void table_wins_when_it_loads(void **state)
{
	(void)state;
	struct sw_keep keep[KEEP_REGS];

	trap_with(SEL_KDATA, SEL_KDATA);
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, 2 * 8 - 1), 0);
	assert_int_equal(vdesc_resume_data(KEEP_ES, SEL_KDATA, 1), SEL_KDATA);
	trap_with(SEL_KDATA, SEL_KDATA);
	put_guest(2, desc_make(0x5000, 0xFFFF, DATA_TYPE, 0, true, false));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, G_GDT_N * 8 - 1), 0);
	assert_int_equal(vdesc_resume_data(KEEP_ES, SEL_KDATA, 1), SEL_KDATA);
	assert_false(vdesc_keeps());
	vdesc_resume_patches(keep);
	assert_int_equal(keep[KEEP_ES].slot, 0);

	/* DS was 0 at the trap: a selector it is given now has no past */
	trap_with(0, 0);
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, 2 * 8 - 1), 0);
	assert_int_equal(vdesc_resume_data(KEEP_DS, SEL_KDATA, 1), 0);
}

/* An LDT selector kept: within the new LDT through its slot; beyond it
 * (LLDT 0, the difftest's old known bug desc.lldt.null) through a real
 * LDTR that reaches the slot for the load, the guest's null one after. */
static void ldt_selector_kept_within_and_beyond_the_real_ldt(void **state)
{
	(void)state;
	struct sw_keep keep[KEEP_REGS];
	const uint32_t g_ldt = 0x2000;
	const uint16_t sel_ldt = 0x18, sel_l1 = 0x0C;    /* GDT 3: the LDT; LDT entry 1 */

	put_guest(3, desc_make(g_ldt, 4 * 8 - 1, SYS_T_LDT, 0, false, false));
	struct segdesc ld = desc_make(0, 0xFFFFFFFF, DATA_TYPE, 0, true, true);
	memcpy(mem + g_ldt + 8, &ld, sizeof ld);
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, G_GDT_N * 8 - 1), 0);
	assert_int_equal(vdesc_lldt(&vc, sel_ldt), 0);
	trap_with(sel_l1, sel_l1);
	memset(mem + g_ldt + 8, 0, 8);          /* entry 1 gone: the same LDT again */
	assert_int_equal(vdesc_lldt(&vc, sel_ldt), 0);
	assert_int_equal(vdesc_resume_data(KEEP_DS, sel_l1, 1), sel_l1);
	vdesc_resume_patches(keep);
	assert_int_equal(keep[KEEP_DS].slot, SW_VA(SW_LDT_OFF) + 8);
	assert_true(DESC_S(keep[KEEP_DS].desc) && DESC_P(keep[KEEP_DS].desc));
	assert_int_equal(DESC_DPL(keep[KEEP_DS].desc), 1);
	assert_int_equal(keep[KEEP_DS].ldtr, 0);        /* the guest's LDTR reaches it */
	/* LLDT 0: no real LDT at all */
	assert_int_equal(vdesc_lldt(&vc, 0), 0);
	assert_int_equal(vdesc_resume_data(KEEP_ES, sel_l1, 1), sel_l1);
	vdesc_resume_patches(keep);
	assert_int_equal(keep[KEEP_ES].slot, SW_VA(SW_LDT_OFF) + 8);
	assert_int_equal(keep[KEEP_ES].ldtr, 1);
	assert_int_equal(desc_base(keep[KEEP_ES].ldt), SW_VA(SW_LDT_OFF));
	assert_int_equal(desc_limit(keep[KEEP_ES].ldt), 2 * 8 - 1);
	assert_int_equal(DESC_TYPE(keep[KEEP_ES].ldt), SYS_T_LDT);
	assert_int_equal(keep[KEEP_ES].ldtr_after, 0);
	assert_int_equal(keep[KEEP_ES].table.hi, 0);    /* the slot is empty again after */
	assert_int_equal(real_ldt[1].hi, 0);
}

/* The descriptor kept is the one the register was loaded with at its last
 * trap, read again from the copy whenever the copy changed since it was
 * last read (vdesc_generation), also for a selector held before and held
 * again (the kernel's DS, then its user code's, then the kernel's: the two
 * are remembered, not read at every trap), and after it was kept. */
static struct segdesc kept_ds_after_short_gdt(uint16_t sel)
{
	struct sw_keep keep[KEEP_REGS];

	trap_with(sel, 0);
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, 2 * 8 - 1), 0);        /* null, code */
	assert_int_equal(vdesc_resume_data(KEEP_DS, sel, 1), sel);
	assert_int_equal(vdesc_resume_data(KEEP_ES, 0, 1), 0);
	vdesc_resume_patches(keep);
	assert_int_equal(keep[KEEP_DS].sel, sel);
	return keep[KEEP_DS].desc;
}

static void hidden_read_again_when_the_copy_changed(void **state)
{
	(void)state;
	const uint16_t sel_udata = 0x23;        /* entry 4: user data */
	const unsigned n = 5;

	put_guest(4, desc_make(0, 0xFFFFFFFF, DATA_TYPE, 3, true, true));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, n * 8 - 1), 0);
	trap_with(SEL_KDATA, SEL_KDATA);
	trap_with(sel_udata, sel_udata);
	trap_with(SEL_KDATA, SEL_KDATA);        /* held before, copy unchanged */
	assert_int_equal(vdesc_resume_data(KEEP_DS, SEL_KDATA, 1), SEL_KDATA);
	assert_false(vdesc_keeps());

	/* the kernel's entry edited while user code runs: its DS is the new
	 * one at its next trap, not the one remembered from before */
	trap_with(sel_udata, sel_udata);
	put_guest(2, desc_make(0x5000, 0xFFFF, DATA_TYPE, 0, true, false));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, n * 8 - 1), 0);
	assert_int_equal(desc_base(kept_ds_after_short_gdt(SEL_KDATA)), 0x5000);

	/* the table has it again, edited once more: loaded from the table,
	 * no longer kept; the next trap reads what it was loaded with */
	put_guest(2, desc_make(0x7000, 0xFFFF, DATA_TYPE, 0, true, false));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, n * 8 - 1), 0);
	assert_int_equal(vdesc_resume_data(KEEP_DS, SEL_KDATA, 1), SEL_KDATA);
	assert_false(vdesc_keeps());
	assert_int_equal(desc_base(kept_ds_after_short_gdt(SEL_KDATA)), 0x7000);
}

/* ---- impossible guest limits (issue 9, findings 1 and 2) ---- */

#define SEL_GUEST_LDT 0x18u     /* GDT entry 3 made an LDT descriptor */

/* LLDT of an LDT descriptor whose limit is lim: the entries the real LDT
 * gets, or 0 if the real LDTR was loaded null. */
static uint32_t real_ldt_entries(uint32_t lim)
{
	put_guest(3, desc_make(0, lim, SYS_T_LDT, 0, false, false));
	assert_int_equal(vdesc_lgdt(&vc, G_GDT, G_GDT_N * 8 - 1), 0);
	real_ldtr = 0xFFFF;
	assert_int_equal(vdesc_lldt(&vc, SEL_GUEST_LDT), 0);
	if (real_ldtr == 0)
		return 0;
	assert_int_equal(real_ldtr, SEL_MON_LDT);
	struct segdesc d = real_gdt[GDT_MON_LDT];
	assert_int_equal(desc_base(d), SW_VA(SW_LDT_OFF));
	assert_int_equal((desc_limit(d) + 1) % 8, 0);
	return (desc_limit(d) + 1) / 8;
}

/* The CPU's reset LDTR (base 0, limit 0xFFFF, in guest memory) is never
 * the guest's: the monitor loads a null one before the guest runs. */
static void the_reset_ldtr_is_never_left_in_force(void **state)
{
	(void)state;
	real_ldtr = 0xFFFF;
	vdesc_reset(&vc);
	assert_int_equal(real_ldtr, 0);
	assert_int_equal(vc.ldtr, 0);
}

/* The real LDT's limit covers exactly the guest's whole entries: a limit
 * below 7 is no entry (null LDTR, every LDT selector #GP, as the CPU's
 * limit check gives), 0xFFFFFFFF does not wrap to 0, and a limit past
 * 64 KB is clamped to the 8192 entries a selector can name, with a line. */
static void ldt_limits_never_wrap(void **state)
{
	(void)state;
	last_log[0] = '\0';
	assert_int_equal(real_ldt_entries(0), 0);
	assert_int_equal(real_ldt_entries(6), 0);
	assert_int_equal(real_ldt_entries(7), 1);
	assert_int_equal(real_ldt_entries(0x0B), 1);        /* entry 1 is cut: #GP */
	assert_int_equal(real_ldt_entries(0xFFFF), LDT_ENTRIES);
	assert_string_equal(last_log, "");
	assert_int_equal(real_ldt_entries(0xFFFFFFFF), LDT_ENTRIES);
	assert_non_null(strstr(last_log, "LDT at 0x0: limit 0xffffffff clamped to 8192 entries"));
	assert_int_equal(real_ldt_entries(0x10000), LDT_ENTRIES);
}

/* A 64 KB guest GDT reaches the monitor's five entries at its top: empty
 * there, the guest keeps 8187 (the rest are the monitor's, DPL 0), said
 * in a line; no guest descriptor is ever copied there. */
static void gdt_limit_stops_below_the_monitors_entries(void **state)
{
	(void)state;
	last_log[0] = '\0';
	assert_int_equal(vdesc_lgdt(&vc, 0, 0xFFFF), 0);
	assert_int_equal(vgdt.entries, GDT_MON_FIRST);
	assert_non_null(strstr(last_log, "GDT at 0x0: limit 0xffff clamped to 8187 entries"));
	assert_int_equal(vc.gdtr.limit, 0xFFFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(code_descriptor_gets_the_bit_everywhere, setup),
		cmocka_unit_test_setup(preaccess_sets_the_data_segments_bit, setup),
		cmocka_unit_test_setup(two_gdts_differ_only_in_user_code, setup),
		cmocka_unit_test_setup(null_and_system_descriptors_never_get_it, setup),
		cmocka_unit_test_setup(guest_null_entry_left_alone, setup),
		cmocka_unit_test_setup(entry_copied_again_is_the_guests, setup),
		cmocka_unit_test_setup(no_accessed_bit_in_a_null_copy, setup),
		cmocka_unit_test_setup_teardown(ring3_conforming_hidden_while_the_kernel_runs,
						setup_ring3, teardown_ring3),
		cmocka_unit_test_setup_teardown(ring3_alias_follows_the_kernel, setup_ring3,
						teardown_ring3),
		cmocka_unit_test_setup_teardown(ring3_alias_keeps_ring2, setup_ring3,
						teardown_ring3),
		cmocka_unit_test_setup(ds_keeps_what_a_shorter_gdt_lost, setup),
		cmocka_unit_test_setup(table_wins_when_it_loads, setup),
		cmocka_unit_test_setup(ldt_selector_kept_within_and_beyond_the_real_ldt, setup),
		cmocka_unit_test_setup(hidden_read_again_when_the_copy_changed, setup),
		cmocka_unit_test_setup(the_reset_ldtr_is_never_left_in_force, setup),
		cmocka_unit_test_setup(ldt_limits_never_wrap, setup),
		cmocka_unit_test_setup(gdt_limit_stops_below_the_monitors_entries, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
