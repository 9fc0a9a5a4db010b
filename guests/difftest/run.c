/*
 * run.c - one sequence from its record to its observations.
 *
 * Mechanism: before a sequence the runner puts the machine in the state
 * the record names: the code copied to DT_CODE, every test page filled
 * with a pattern that depends only on its address, the page tables as the
 * reference (A and D clear), CR0 = PE|ET|NE|PG plus the record's bits,
 * CR4 = the record's bits, CR2 = 0, interrupts as the record says.  The
 * sequence ends with a trap (trap() below); the runner then reads what
 * the sequence can have changed and emits it, then undoes it.
 *
 * Every observation goes through emit(name, idx, value): in full mode it
 * prints "name value" (or "name.idx value"), otherwise it folds the same
 * bytes into a 32-bit FNV-1a hash, so a hash differs exactly when some
 * line of the full dump would.  The line per sequence is
 * "HASH VECTOR xrcptm": the hash, the vector that ended it, and one hex
 * digit per category of observation (enum category).  The observations,
 * in order:
 *
 *   exc, err, eip (offset from DT_CODE), cs, eflags, [cr2 (#PF)], [dr6 (#DB)]
 *   eax ecx edx ebx esp ebp esi edi, ss ds es fs gs
 *   cr0 cr2 cr3 cr4, [dr0-3 dr6 dr7], [msr.174-176]
 *   pd.N, pt.N (entries that differ from the reference)
 *   gdt.N, ldt.N (descriptor dwords that differ)
 *   mem.ADDR (dwords of the test pages that differ from the fill)
 */
#include "difftest.h"
#include "run.h"

#define CR0_BASE     (CR0_PE | CR0_ET | CR0_NE | CR0_PG)
#define CR0_SEQ_BITS (CR0_WP | CR0_AM | CR0_MP)
#define CR4_SEQ_BITS (CR4_PSE | CR4_PGE | CR4_DE | CR4_TSD)
#define FL_PF        0x0004u
#define FL_AF        0x0010u
#define FL_SF        0x0080u
#define FL_ARITH     (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
#define FL_SEQ_BITS  (FL_ARITH | FL_DF | FL_AC)  /* what a record may set */
#define FILL_MUL     0x9E3779B1u
#define CODE_PAD     0xCCu                      /* INT3 */
#define FNV_BASIS    0x811C9DC5u
#define FNV_PRIME    0x01000193u
#define DR6_FIXED    0xFFFF0FF0u
#define DR7_FIXED    0x00000400u

struct seq_end seq_end;
static volatile bool in_sequence;
static bool full_mode;
static u32 masks;
static u32 hash;
/* The observations fall in categories, each with a hash of its own; the
 * line per sequence shows each as one hex digit, so that a mismatch that
 * does not come back when the sequence runs again still says where it was:
 * x the exception and its frame, r general and segment registers,
 * c control and debug registers and MSRs, p page tables, t descriptor
 * tables, m memory. */
enum category { CAT_X, CAT_R, CAT_C, CAT_P, CAT_T, CAT_M, NCAT };
static u32 cat_hash[NCAT];
static enum category cat;

/* ---- the fill ---- */

static u32 fill_value(u32 addr)
{
	return addr * FILL_MUL;
}

struct region {
	u32 base, pages;
};

/* The pages a sequence may write, apart from the code, and the page after
 * each group (an access across the last page's end writes there). */
static const struct region regions[] = {
	{ DT_R0STACK, DT_R0STACK_PAGES },
	{ DT_R3STACK, 1 + DT_SCRATCH_PAGES },       /* the ring-3 stack, scratch 0-2 */
	{ DT_ALIAS + PGSIZE, 1 },
	{ DT_POOL, DT_POOL_FRAMES + 1 },
};
#define NREGIONS (sizeof regions / sizeof regions[0])

static void fill_region(const struct region *r)
{
	u32 *p = (u32 *)r->base, n = r->pages * PGSIZE / 4;
	for (u32 i = 0; i < n; i++)
		p[i] = fill_value((u32)&p[i]);
}

static u8 code_byte(const struct dt_record *rec, u32 i)
{
	return i < rec->code_len ? rec->code[i] : CODE_PAD;
}

static void fill_code(const struct dt_record *rec)
{
	u8 *code = (u8 *)DT_CODE;
	for (u32 i = 0; i < DT_CODE_PAGES * PGSIZE; i++)
		code[i] = code_byte(rec, i);
}

/* ---- emit ---- */

static void fold(const void *p, u32 n)
{
	const u8 *b = p;
	for (u32 i = 0; i < n; i++) {
		hash = (hash ^ b[i]) * FNV_PRIME;
		cat_hash[cat] = (cat_hash[cat] ^ b[i]) * FNV_PRIME;
	}
}

static void category(enum category c)
{
	cat = c;
}

/* A category's hash as one hex digit: its eight nibbles xored. */
static unsigned cat_digit(enum category c)
{
	u32 h = cat_hash[c];
	h ^= h >> 16;
	h ^= h >> 8;
	h ^= h >> 4;
	return h & 0xF;
}

void emit(const char *name, u32 idx, u32 value)
{
	if (full_mode) {
		if (idx == NO_IDX)
			console_printf("%s 0x%08x\n", name, value);
		else
			console_printf("%s.%x 0x%08x\n", name, idx, value);
		return;
	}
	fold(name, fmt_strlen(name));
	fold(&idx, sizeof idx);
	fold(&value, sizeof value);
}

static void emit1(const char *name, u32 value)
{
	emit(name, NO_IDX, value);
}

/* ---- the trap that ends a sequence ---- */

void trap(struct frame *f)
{
	extern u32 trap_ss;
	bool user = (f->cs & SEL_RPL_MASK) == 3;

	if (!in_sequence) {
		console_printf("difftest: trap %u (err 0x%x) at eip 0x%08x outside a sequence\n",
			       f->vector, f->err, f->eip);
		machine_exit(EXIT_BROKEN);
	}
	in_sequence = false;
	seq_end.f = *f;
	seq_end.esp = user ? f->esp : (u32)&f->esp;
	seq_end.ss = user ? f->ss & 0xFFFF : trap_ss & 0xFFFF;
	seq_end.cr2 = f->vector == T_PF ? rcr2() : 0;
	seq_end.dr6 = f->vector == T_DB ? rdr6() : 0;
	seq_return();
}

/* ---- before ---- */

static void prepare(const struct dt_record *rec)
{
	lcr4(0);
	lcr0(CR0_BASE);
	fill_code(rec);
	for (unsigned i = 0; i < NREGIONS; i++)
		fill_region(&regions[i]);
	paging_restore();
	lcr2(0);
	if (rec->cr4_set & CR4_SEQ_BITS)
		lcr4(rec->cr4_set & CR4_SEQ_BITS);
	if (rec->cr0_set & CR0_SEQ_BITS)
		lcr0(CR0_BASE | (rec->cr0_set & CR0_SEQ_BITS));
}

static void enter(const struct dt_record *rec)
{
	bool ring3 = rec->flags & DTF_RING3;
	struct seq_entry e = {
		rec->eax, rec->ecx, rec->edx, rec->ebx, rec->ebp, rec->esi, rec->edi,
		(rec->eflags & FL_SEQ_BITS) | FL_RSVD1,
		(ring3 ? DT_R3STACK : DT_R0STACK) + DT_STACK_START,
		ring3, (rec->flags & DTF_IF) != 0,
	};
	in_sequence = true;
	seq_enter(&e);
	cli();
}

/* ---- after ---- */

static void observe_exception(void)
{
	const struct frame *f = &seq_end.f;
	emit1("exc", f->vector);
	emit1("err", f->err);
	emit1("eip", f->eip - DT_CODE);
	emit1("cs", f->cs & 0xFFFF);
	emit1("eflags", f->eflags);
	if (f->vector == T_PF)
		emit1("cr2.pf", seq_end.cr2);
	if (f->vector == T_DB)
		emit1("dr6.db", seq_end.dr6);
}

static void observe_registers(bool ring3)
{
	const struct frame *f = &seq_end.f;
	u32 ss = seq_end.ss;

	if (!ring3 && (masks & MASK_SS_RPL))
		ss &= ~SEL_RPL_MASK;
	emit1("eax", f->eax);
	emit1("ecx", f->ecx);
	emit1("edx", f->edx);
	emit1("ebx", f->ebx);
	emit1("esp", seq_end.esp);
	emit1("ebp", f->ebp);
	emit1("esi", f->esi);
	emit1("edi", f->edi);
	emit1("ss", ss);
	emit1("ds", f->ds & 0xFFFF);
	emit1("es", f->es & 0xFFFF);
	emit1("fs", f->fs & 0xFFFF);
	emit1("gs", f->gs & 0xFFFF);
}

static void observe_control(u32 touched)
{
	emit1("cr0", rcr0());
	emit1("cr2", rcr2());
	emit1("cr3", rcr3());
	emit1("cr4", rcr4());
	if (touched & DTT_DR) {
		emit1("dr0", rdr0());
		emit1("dr1", rdr1());
		emit1("dr2", rdr2());
		emit1("dr3", rdr3());
		emit1("dr6", rdr6());
		emit1("dr7", rdr7());
	}
	if (touched & DTT_MSR)
		for (u32 m = MSR_SYSENTER_CS; m <= MSR_SYSENTER_EIP; m++)
			emit("msr", m, (u32)rdmsr(m));
}

static void observe_memory(const struct dt_record *rec)
{
	const u8 *code = (const u8 *)DT_CODE;
	for (u32 i = 0; i < DT_CODE_PAGES * PGSIZE; i++)
		if (code[i] != code_byte(rec, i))
			emit("code", i, code[i]);
	for (unsigned r = 0; r < NREGIONS; r++) {
		const u32 *p = (const u32 *)regions[r].base;
		for (u32 i = 0; i < regions[r].pages * PGSIZE / 4; i++)
			if (p[i] != fill_value((u32)&p[i]))
				emit("mem", (u32)&p[i], p[i]);
	}
}

/* Puts back what a sequence may have changed outside the test pages. */
static void undo(u32 touched)
{
	lcr4(0);
	lcr0(CR0_BASE);
	if (touched & DTT_DR) {
		ldr7(DR7_FIXED);
		ldr0(0);
		ldr1(0);
		ldr2(0);
		ldr3(0);
		ldr6(DR6_FIXED);
	}
	if (touched & DTT_MSR)
		for (u32 m = MSR_SYSENTER_CS; m <= MSR_SYSENTER_EIP; m++)
			wrmsr(m, 0);
	if (touched & DTT_X87)
		__asm__ volatile("fninit");
	tables_restore(touched);
	/* the runner keeps IF clear; a monitor that watches for a guest
	 * spinning with IF clear (ifwatch=) sees it open once per sequence
	 * (every interrupt source is masked: nothing arrives) */
	sti();
	cli();
}

/* Runs one record; returns the vector that ended it. */
u32 run_record(const struct dt_record *rec, u32 index, bool full)
{
	bool ring3 = rec->flags & DTF_RING3;
	u32 touched = rec->flags;

	prepare(rec);
	enter(rec);
	hash = FNV_BASIS;
	for (unsigned c = 0; c < NCAT; c++)
		cat_hash[c] = FNV_BASIS;
	full_mode = full;
	if (full_mode)
		console_printf("seq %u ring %u\n", index, ring3 ? 3 : 0);
	category(CAT_X);
	observe_exception();
	category(CAT_R);
	observe_registers(ring3);
	category(CAT_C);
	observe_control(touched);
	category(CAT_P);
	observe_paging(emit, !(seq_end.f.vector == T_PF && (masks & MASK_PF_PDE_A)));
	category(CAT_T);
	observe_tables(emit);
	undo(touched);
	paging_restore();
	category(CAT_M);
	observe_memory(rec);
	if (full_mode)
		console_printf("end %u\n", index);
	else
		console_printf("%08x %02x %x%x%x%x%x%x\n", hash, seq_end.f.vector, cat_digit(CAT_X),
			       cat_digit(CAT_R), cat_digit(CAT_C), cat_digit(CAT_P), cat_digit(CAT_T),
			       cat_digit(CAT_M));
	return seq_end.f.vector;
}

void run_setup(u32 mask_bits)
{
	masks = mask_bits;
}
