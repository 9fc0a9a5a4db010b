/*
 * sec_seg.c - segment loads: every instruction that loads a data or stack
 * segment register, the checks the CPU makes, and what it writes back.
 *
 * Mechanism: loading DS/ES/FS/GS/SS with a selector makes the CPU read the
 * descriptor from the GDT (or LDT) *at that moment*, check it (index within
 * the table limit, type, DPL against CPL and RPL, present), cache base,
 * limit and rights in the register's hidden part, and set the accessed bit
 * of the descriptor in memory.  A null selector loads into DS..GS (use then
 * faults) but not into SS.  The checks here load with every encoding (MOV
 * from a register and from memory, POP with 32- and 16-bit operands, LDS/
 * LES/LFS/LGS/LSS with m16:32 and m16:16), then read through the register,
 * so a monitor that copies descriptors, presets accessed bits, caps the GDT
 * or fails to emulate a form shows up as a different line.
 *
 * Lines: seg.<form>.<sreg> with the dword read at offset 4 through the
 * loaded segment (or the exception), seg.<form>.ss with the SS selector
 * read back without its RPL (the RPL is a hole line of its own), the
 * accessed bit as 0/1, limits as the outcome of an access.
 */
#include "conform.h"
#include "lib/fmt.h"

#define PROBE_OFF      0x800   /* inside every test segment, and free low memory */
#define PROBE_FLAT     0xF1A70000u
#define PROBE_TDATA    0xC0FFEE01u
#define PROBE_SPARE    0x5BA2E002u
#define PROBE_MOVED    0x0000A003u
#define PROBE_BIG      0xB16D7004u
#define FAR_OFF32      0x11223344u
#define REG_FILL       0xAAAA5555u
#define RPL0(s)        ((s) & ~SEL_RPL_MASK)

struct farptr32 {
	u32 off;
	u16 sel;
} __attribute__((packed));

struct farptr16 {
	u16 off;
	u16 sel;
} __attribute__((packed));

static struct farptr32 fp32 __attribute__((used));
static struct farptr16 fp16 __attribute__((used));
static u16 sel_mem __attribute__((used));
static u32 saved_esp __attribute__((used));

static const char *hex(u32 v)
{
	static char buf[16];
	fmt_snprintf(buf, sizeof buf, "0x%08x", v);
	return buf;
}

/* The dword a probe reads: PROBE_TDATA through a segment based at
 * test_area, PROBE_FLAT through a flat one (linear PROBE_OFF). */
static void probe_init(void)
{
	*(volatile u32 *)(test_area + PROBE_OFF) = PROBE_TDATA;
	volatile u32 *flat = (volatile u32 *)PROBE_OFF;
	__asm__("" : "+r"(flat));       /* GCC takes a constant address this low for NULL */
	*flat = PROBE_FLAT;
}

static void report_probe(const char *name, u32 val)
{
	report(name, "%s", exc.vector == ~0u ? hex(val) : exc_at());
}

/* Loads sel into one data segment register by one encoding and reads the
 * dword at PROBE_OFF through it; the register goes back to SEL_KDATA. */
#define LOAD_PROBE(fn, load, sreg)                                                   \
	static u32 fn(u32 sel)                                                       \
	{                                                                            \
		u32 val = 0xDEADBEEF;                                                \
		sel_mem = (u16)sel;                                                  \
		exc_clear();                                                         \
		__asm__ volatile(TRY_BEGIN load "\n\tmovl %%" sreg ":0x800, %0" TRY_END \
				 "mov %2, %%" sreg                                   \
				 : "+r"(val) : "r"(sel), "r"((u32)SEL_KDATA)         \
				 : "memory");                                        \
		exc_disarm();                                                        \
		return val;                                                          \
	}

#define FORMS(sreg)                                                                 \
	LOAD_PROBE(movr_##sreg, AT "mov %1, %%" #sreg, #sreg)                        \
	LOAD_PROBE(movm_##sreg, AT "mov sel_mem, %%" #sreg, #sreg)                   \
	LOAD_PROBE(pop32_##sreg, "push %1\n\t" AT "pop %%" #sreg, #sreg)             \
	LOAD_PROBE(pop16_##sreg, "pushw %w1\n\t" AT "popw %%" #sreg, #sreg)

FORMS(ds)
FORMS(es)
FORMS(fs)
FORMS(gs)

typedef u32 (*load_fn)(u32 sel);

struct sreg_forms {
	const char *sreg;
	load_fn movr, movm, pop32, pop16;
};

static const struct sreg_forms data_sregs[] = {
	{ "ds", movr_ds, movm_ds, pop32_ds, pop16_ds },
	{ "es", movr_es, movm_es, pop32_es, pop16_es },
	{ "fs", movr_fs, movm_fs, pop32_fs, pop16_fs },
	{ "gs", movr_gs, movm_gs, pop32_gs, pop16_gs },
};

static void report_form(const char *form, const char *sreg, u32 val)
{
	char name[48];
	fmt_snprintf(name, sizeof name, "seg.%s.%s", form, sreg);
	report_probe(name, val);
}

/* MOV Sreg from a register and from memory, POP Sreg (o32 and o16). */
static void check_mov_pop(void)
{
	probe_init();
	for (unsigned i = 0; i < sizeof data_sregs / sizeof data_sregs[0]; i++) {
		const struct sreg_forms *f = &data_sregs[i];
		report_form("mov.r", f->sreg, f->movr(SEL_TDATA));
		report_form("mov.m", f->sreg, f->movm(SEL_TDATA));
		report_form("pop.o32", f->sreg, f->pop32(SEL_TDATA));
		report_form("pop.o16", f->sreg, f->pop16(SEL_TDATA));
	}
}

/* ---- LDS/LES/LFS/LGS: a far pointer into a segment and a register ---- */

#define LXS(fn, insn, sreg, fp, reg)                                                 \
	static u32 fn(u32 sel, u32 *regval)                                          \
	{                                                                            \
		u32 val = 0xDEADBEEF, r = REG_FILL;                                  \
		fp.sel = (u16)sel;                                                   \
		exc_clear();                                                         \
		__asm__ volatile(TRY_BEGIN AT insn " " #fp ", " reg "\n\t"           \
				 "movl %%" sreg ":0x800, %0" TRY_END "mov %2, %%" sreg   \
				 : "+r"(val), "+c"(r) : "r"((u32)SEL_KDATA) : "memory"); \
		exc_disarm();                                                        \
		*regval = r;                                                         \
		return val;                                                          \
	}

LXS(lds32, "lds", "ds", fp32, "%%ecx")
LXS(les32, "les", "es", fp32, "%%ecx")
LXS(lfs32, "lfs", "fs", fp32, "%%ecx")
LXS(lgs32, "lgs", "gs", fp32, "%%ecx")
LXS(lds16, "lds", "ds", fp16, "%%cx")
LXS(les16, "les", "es", fp16, "%%cx")
LXS(lfs16, "lfs", "fs", fp16, "%%cx")
LXS(lgs16, "lgs", "gs", fp16, "%%cx")

typedef u32 (*lxs_fn)(u32 sel, u32 *regval);

static void report_lxs(const char *name, lxs_fn fn, u32 sel)
{
	u32 reg, val = fn(sel, &reg);
	if (exc.vector != ~0u)
		report(name, "%s", exc_at());
	else
		report(name, "0x%08x/0x%08x", val, reg);
}

static void check_lxs(void)
{
	probe_init();
	fp32.off = FAR_OFF32;
	fp16.off = (u16)FAR_OFF32;
	report_lxs("seg.lds.o32", lds32, SEL_TDATA);
	report_lxs("seg.les.o32", les32, SEL_TDATA);
	report_lxs("seg.lfs.o32", lfs32, SEL_TDATA);
	report_lxs("seg.lgs.o32", lgs32, SEL_TDATA);
	report_lxs("seg.lds.o16", lds16, SEL_TDATA);
	report_lxs("seg.les.o16", les16, SEL_TDATA);
	report_lxs("seg.lfs.o16", lfs16, SEL_TDATA);
	report_lxs("seg.lgs.o16", lgs16, SEL_TDATA);
	report_lxs("seg.lds.null", lds32, 0);
	report_lxs("seg.lfs.np", lfs32, SEL_NP);
	report_lxs("seg.lgs.beyond", lgs32, SEL_BEYOND);
}

/* ---- SS: every encoding, with flat selectors (a stack C can run on) ---- */

static u32 ss_after __attribute__((used));

#define SS_LOAD(fn, body)                                                            \
	static void fn(u32 sel)                                                      \
	{                                                                            \
		sel_mem = (u16)sel;                                                  \
		ss_after = 0xDEAD;                                                   \
		exc_clear();                                                         \
		__asm__ volatile(TRY_BEGIN body "\n\tmov %%ss, %%eax\n\t"            \
				 "movl %%eax, ss_after" TRY_END                      \
				 : : "r"(sel) : "eax", "ecx", "memory");             \
		exc_disarm();                                                        \
	}

SS_LOAD(ss_movr, AT "mov %0, %%ss")
SS_LOAD(ss_movm, AT "mov sel_mem, %%ss")
SS_LOAD(ss_pop32, "push %0\n\t" AT "pop %%ss")
SS_LOAD(ss_pop16, "pushw %w0\n\t" AT "popw %%ss")

static u32 lss_esp __attribute__((used));

/* LSS loads SS:ESP (o32) or SS:SP (o16) at once: the offset loaded is the
 * current ESP, so the stack stays where it is. */
static void ss_lss(u32 sel, bool o16)
{
	fp32.sel = fp16.sel = (u16)sel;
	ss_after = 0xDEAD;
	lss_esp = 0;
	exc_clear();
	if (!o16)
		__asm__ volatile(TRY_BEGIN "movl %%esp, fp32\n\t" AT "lss fp32, %%esp\n\t"
				 "mov %%ss, %%eax\n\tmovl %%eax, ss_after\n\t"
				 "movl %%esp, lss_esp" TRY_END : : : "eax", "memory");
	else
		__asm__ volatile(TRY_BEGIN "movw %%sp, fp16\n\t" AT "lss fp16, %%sp\n\t"
				 "mov %%ss, %%eax\n\tmovl %%eax, ss_after\n\t"
				 "movl %%esp, lss_esp" TRY_END : : : "eax", "memory");
	exc_disarm();
}

static void report_ss(const char *name)
{
	if (exc.vector != ~0u)
		report(name, "%s", exc_at());
	else
		report(name, "0x%04x", RPL0(ss_after));
	__asm__ volatile("mov %0, %%ss" : : "r"((u32)SEL_KDATA));
}

static void check_ss_forms(void)
{
	ss_movr(SEL_KDATA_A0);
	report_ss("seg.mov.r.ss");
	ss_movm(SEL_KDATA_A0);
	report_ss("seg.mov.m.ss");
	ss_pop32(SEL_KDATA_A0);
	report_ss("seg.pop.o32.ss");
	ss_pop16(SEL_KDATA_A0);
	report_ss("seg.pop.o16.ss");
	ss_lss(SEL_KDATA_A0, false);
	report_ss("seg.lss.o32");
	report("seg.lss.o32.esp", "%s", lss_esp == fp32.off ? "loaded" : hex(lss_esp));
	ss_lss(SEL_KDATA_A0, true);
	report_ss("seg.lss.o16");
	report("seg.lss.o16.esp", "%s", (u16)lss_esp == fp16.off ? "loaded" : hex(lss_esp));
}

/* ---- what may not be loaded, and the error code it gives ---- */

static void check_refused(void)
{
	probe_init();
	report_probe("seg.null.ds", movr_ds(0));
	report_probe("seg.null.rpl3.es", movr_es(3));
	report_probe("seg.beyond.ds", movr_ds(SEL_BEYOND));
	report_probe("seg.ldt.none.fs", movr_fs(LDT_SEL(0)));
	report_probe("seg.np.ds", movr_ds(SEL_NP));
	report_probe("seg.xo.ds", movr_ds(SEL_XO));
	report_probe("seg.code.ds", movr_ds(SEL_KCODE));
	report_probe("seg.tss.gs", movr_gs(SEL_TSS));
	report_probe("seg.rpl3.dpl0.ds", movr_ds(SEL_KDATA | 3));
	report_probe("seg.dpl1.ds", movr_ds(SEL_DPL1));
	report_probe("seg.dpl3.ds", movr_ds(SEL_UDATA));
	ss_movr(0);
	report_ss("seg.null.ss");
	ss_movr(SEL_NP);
	report_ss("seg.np.ss");
	ss_movr(SEL_RO);
	report_ss("seg.ro.ss");
	ss_movr(SEL_KCODE);
	report_ss("seg.code.ss");
	ss_movr(SEL_UDATA);
	report_ss("seg.dpl3.ss");
	ss_movr(SEL_DPL1);
	report_ss("seg.dpl1.ss");
	ss_movr(SEL_KDATA | 3);
	report_ss("seg.rpl3.ss");
	ss_pop32(0);
	report_ss("seg.pop.null.ss");
	ss_lss(0, false);
	report_ss("seg.lss.null");
}

/* A null selector loads; the first use of the segment faults with #GP(0). */
static void check_null_use(void)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN "mov %0, %%fs\n\t" AT "movl %%fs:0, %%eax" TRY_END
			 "mov %1, %%fs" : : "r"(0u), "r"((u32)SEL_KDATA) : "eax", "memory");
	exc_disarm();
	report("seg.null.use.fs", "%s", exc_at());
	exc_clear();
	__asm__ volatile(TRY_BEGIN "mov %0, %%es\n\tmovl $0, %%edi\n\t" AT "stosb" TRY_END
			 "mov %1, %%es" : : "r"(0u), "r"((u32)SEL_KDATA) : "eax", "edi", "memory");
	exc_disarm();
	report("seg.null.use.stos", "%s", exc_at());
}

/* ---- the LDT ---- */

static void check_ldt(void)
{
	probe_init();
	ldt_table[1] = seg_desc((u32)test_area, 0xFFF, SEG_W, 0, DESC_S | DESC_P | DESC_DB);
	ldt_table[2] = seg_desc(0, 0xFFFFF, SEG_W, 0, DESC_S | DESC_DB | DESC_G);   /* not present */
	lldt(SEL_LDT);
	report_probe("seg.ldt.fs", movr_fs(LDT_SEL(1)));
	report("seg.ldt.accessed", "%u", (ldt_table[1].hi >> DESC_TYPE_SHIFT) & SEG_A);
	report_probe("seg.ldt.np.gs", movr_gs(LDT_SEL(2)));
	report_probe("seg.ldt.beyond.gs", movr_gs(LDT_SEL(4)));
	lldt(0);
	report_probe("seg.ldt.unloaded.fs", movr_fs(LDT_SEL(1)));
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "lldt %w0" TRY_END : : "r"((u32)SEL_KDATA) : "memory");
	exc_disarm();
	report("seg.lldt.notldt", "%s", exc_at());
}

/* ---- the accessed bit, written by the CPU into the descriptor ---- */

static unsigned accessed(u16 sel)
{
	return (gdt[sel / 8].hi >> DESC_TYPE_SHIFT) & SEG_A;
}

static void clear_accessed(u16 sel)
{
	gdt[sel / 8].hi &= ~(SEG_A << DESC_TYPE_SHIFT);
}

static u32 ss_a0_sel = SEL_KDATA_A0;

static void user_load_udata_a0(void)
{
	__asm__ volatile("mov %0, %%es\n\tmov %1, %%es" : : "r"((u32)SEL_UDATA_A0),
			 "r"((u32)SEL_UDATA) : "memory");
}

static void check_accessed(void)
{
	probe_init();
	report("seg.accessed.template", "%u", accessed(SEL_KDATA_A0));
	movr_ds(SEL_KDATA_A0);
	report("seg.accessed.mov.ds", "%u", accessed(SEL_KDATA_A0));
	clear_accessed(SEL_KDATA_A0);
	pop32_es(SEL_KDATA_A0);
	report("seg.accessed.pop.es", "%u", accessed(SEL_KDATA_A0));
	clear_accessed(SEL_KDATA_A0);
	u32 r;
	fp32.off = FAR_OFF32;
	lfs32(SEL_KDATA_A0, &r);
	report("seg.accessed.lfs", "%u", accessed(SEL_KDATA_A0));
	clear_accessed(SEL_KDATA_A0);
	__asm__ volatile("mov %0, %%ss\n\tmov %1, %%ss" : : "m"(ss_a0_sel),
			 "r"((u32)SEL_KDATA) : "memory");
	report("seg.accessed.mov.ss", "%u", accessed(SEL_KDATA_A0));
	clear_accessed(SEL_KDATA_A0);
	ss_lss(SEL_KDATA_A0, false);
	__asm__ volatile("mov %0, %%ss" : : "r"((u32)SEL_KDATA));
	report("seg.accessed.lss", "%u", accessed(SEL_KDATA_A0));
	__asm__ volatile("ljmp %0, $1f\n1:\n\tljmp %1, $2f\n2:" : : "i"(SEL_KCODE_A0),
			 "i"(SEL_KCODE) : "memory");
	report("seg.accessed.ljmp.cs", "%u", accessed(SEL_KCODE_A0));
	run_user(user_load_udata_a0, 0);
	report("seg.accessed.ring3.es", "%u", accessed(SEL_UDATA_A0));
	/* a failed load (not present) leaves the bit alone */
	gdt[SEL_NP / 8].hi &= ~(SEG_A << DESC_TYPE_SHIFT);
	movr_ds(SEL_NP);
	report("seg.accessed.np", "%u", accessed(SEL_NP));
}

/* ---- LTR and the busy bit ---- */

static unsigned tss_type(u16 sel)
{
	return (gdt[sel / 8].hi >> DESC_TYPE_SHIFT) & 0xF;
}

static void try_ltr(const char *name, u32 sel)
{
	exc_clear();
	__asm__ volatile(TRY_BEGIN AT "ltr %w0" TRY_END : : "r"(sel) : "memory");
	exc_disarm();
	report(name, "%s", exc_at());
}

static void check_ltr(void)
{
	report("seg.tss.type.loaded", "0x%x", tss_type(SEL_TSS));
	report("seg.tss.type.other", "0x%x", tss_type(SEL_TSS2));
	try_ltr("seg.ltr.tss2", SEL_TSS2);
	report("seg.ltr.busy", "0x%x", tss_type(SEL_TSS2));
	report("seg.ltr.previous", "0x%x", tss_type(SEL_TSS));
	try_ltr("seg.ltr.busy.again", SEL_TSS2);
	try_ltr("seg.ltr.data", SEL_KDATA);
	try_ltr("seg.ltr.ldt.ti", SEL_TSS | SEL_TI);
	try_ltr("seg.ltr.beyond", SEL_BEYOND);
	gdt[SEL_TSS / 8].hi &= ~((0xFu << DESC_TYPE_SHIFT) | DESC_P);
	gdt[SEL_TSS / 8].hi |= SYS_TSS32A << DESC_TYPE_SHIFT;
	try_ltr("seg.ltr.np", SEL_TSS);
}

/* ---- the GDT is read at each load, not at LGDT ---- */

static void check_gdt_edit(void)
{
	*(volatile u32 *)(test_area + 0x100 + PROBE_OFF) = PROBE_SPARE;
	*(volatile u32 *)(test_area + 0x200 + PROBE_OFF) = PROBE_MOVED;
	probe_init();
	/* a descriptor written into an empty slot after LGDT */
	gdt[SEL_SPARE / 8] = seg_desc((u32)test_area + 0x100, 0xFFF, SEG_W, 0,
				      DESC_S | DESC_P | DESC_DB);
	report_probe("seg.gdt.edit.new", movr_fs(SEL_SPARE));
	/* an existing descriptor's base moved after LGDT */
	gdt[SEL_TDATA / 8] = seg_desc((u32)test_area + 0x200, 0xFFF, SEG_W, 0,
				      DESC_S | DESC_P | DESC_DB);
	report_probe("seg.gdt.edit.base", movr_gs(SEL_TDATA));
	/* an existing descriptor made not present */
	gdt[SEL_DPL1 / 8].hi &= ~DESC_P;
	report_probe("seg.gdt.edit.np", movr_es(SEL_DPL1));
	/* and the register keeps what it loaded: the old base until reloaded */
	exc_clear();
	u32 v = 0;
	gdt[SEL_SPARE / 8] = seg_desc((u32)test_area + 0x100, 0xFFF, SEG_W, 0,
				      DESC_S | DESC_P | DESC_DB);
	__asm__ volatile(TRY_BEGIN AT "mov %1, %%fs\n\t"
			 "movl $0, gdt + %c3\n\tmovl $0, gdt + %c3 + 4\n\t"
			 "movl %%fs:0x800, %0" TRY_END "mov %2, %%fs"
			 : "+r"(v) : "r"((u32)SEL_SPARE), "r"((u32)SEL_KDATA), "i"(SEL_SPARE)
			 : "memory");
	exc_disarm();
	report("seg.gdt.edit.cached", "%s", exc.vector == ~0u ? hex(v) : exc_at());
}

/* ---- table limits: 8192 entries, and the limit is a byte count ---- */

static struct segdesc big_gdt[8192] __attribute__((aligned(8)));
#define GDT_MAX_ENTRIES  8192
#define BIG_PROBE_ENTRY  8186           /* the highest the monitor leaves the guest */

/* A GDT of 8192 entries (limit 0xFFFF), the most the architecture allows;
 * `top` also fills the very last entry. */
static void big_gdt_load(bool top)
{
	*(volatile u32 *)(test_area + 0x300 + PROBE_OFF) = PROBE_BIG;
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		big_gdt[i] = gdt[i];
	struct segdesc d = seg_desc((u32)test_area + 0x300, 0xFFF, SEG_W, 0,
				    DESC_S | DESC_P | DESC_DB);
	big_gdt[BIG_PROBE_ENTRY] = d;
	if (top)
		big_gdt[GDT_MAX_ENTRIES - 1] = d;
	reload_gdt(big_gdt, GDT_MAX_ENTRIES);
}

static void check_gdt_8192(void)
{
	big_gdt_load(false);
	report_probe("seg.gdt8192.high", movr_fs(BIG_PROBE_ENTRY * 8));
	report_probe("seg.gdt8192.first", movr_gs(SEL_TDATA));
	report_probe("seg.gdt8192.empty_last", movr_gs(0xFFF8));
	struct dtr dl = { 0xFFF7, (u32)big_gdt };
	lgdt(&dl);
	report_probe("seg.gdt8191.beyond", movr_fs(0xFFF8));
}

/* The last entries of a full GDT: a monitor needs its own descriptors in
 * the GDT the CPU uses while the guest runs (its trap handler's CS, its
 * TSS), and a full table leaves it no room. */
static void check_gdt_8192_top(void)
{
	big_gdt_load(true);
	report_probe("seg.gdt8192.last", movr_fs(0xFFF8));
}

static void check_gdt_limit(void)
{
	probe_init();
	struct dtr d = { SEL_SPARE - 1, (u32)gdt };     /* entries 0..19 */
	gdt[SEL_SPARE / 8] = gdt[SEL_TDATA / 8];
	lgdt(&d);
	report_probe("seg.gdtlimit.below", movr_fs(SEL_SPARE - 8));
	report_probe("seg.gdtlimit.at", movr_fs(SEL_SPARE));
	d.limit = SEL_SPARE + 6;                        /* entry 20 but its last byte */
	lgdt(&d);
	report_probe("seg.gdtlimit.partial", movr_fs(SEL_SPARE));
	d.limit = SEL_SPARE + 7;
	lgdt(&d);
	report_probe("seg.gdtlimit.whole", movr_fs(SEL_SPARE));
}

/* ---- segment limits: expand-up and expand-down ---- */

static void try_read(const char *name, u16 sel, u32 off, unsigned size)
{
	exc_clear();
	if (size == 1)
		__asm__ volatile(TRY_BEGIN "mov %0, %%fs\n\t" AT "movb %%fs:(%1), %%al" TRY_END
				 "mov %2, %%fs" : : "r"((u32)sel), "r"(off), "r"((u32)SEL_KDATA)
				 : "eax", "memory");
	else
		__asm__ volatile(TRY_BEGIN "mov %0, %%fs\n\t" AT "movl %%fs:(%1), %%eax" TRY_END
				 "mov %2, %%fs" : : "r"((u32)sel), "r"(off), "r"((u32)SEL_KDATA)
				 : "eax", "memory");
	exc_disarm();
	report(name, "%s", exc_at());
}

static void check_limits(void)
{
	try_read("seg.limit.up.last.byte", SEL_TDATA, 0xFFF, 1);
	try_read("seg.limit.up.past.byte", SEL_TDATA, 0x1000, 1);
	try_read("seg.limit.up.last.dword", SEL_TDATA, 0xFFC, 4);
	try_read("seg.limit.up.straddle.dword", SEL_TDATA, 0xFFD, 4);
	try_read("seg.limit.down.first", SEL_EXPDN, 0x1000, 4);
	try_read("seg.limit.down.below", SEL_EXPDN, 0xFFF, 1);
	try_read("seg.limit.down.zero", SEL_EXPDN, 0, 1);
	try_read("seg.limit.down.top", SEL_EXPDN, 0xFFFC, 4);
	try_read("seg.limit.down.past16", SEL_EXPDN, 0xFFFE, 4);
}

/* ---- a 16-bit stack segment: pushes use SP, ESP's high half stays ---- */

static u32 ss16_esp_after __attribute__((used));

/* Switches to SS16 with ESP = esp (by MOV SS then MOV ESP: MOV SS holds
 * interrupts off for the next instruction, and a monitor emulates it where
 * it may not emulate LSS), runs insn, reads ESP, switches back.  No C and
 * no exception can run on that stack (V_IRET_ONLY's handler is a bare
 * IRET). */
#define SS16_RUN(fn, insn)                                                           \
	static void fn(u32 esp)                                                      \
	{                                                                            \
		fp32.off = esp;                                                      \
		__asm__ volatile("movl %%esp, saved_esp\n\tmov %1, %%ss\n\t"        \
				 "movl fp32, %%esp\n\t"                              \
				 insn "\n\tmovl %%esp, ss16_esp_after\n\t"           \
				 "mov %0, %%ss\n\tmovl saved_esp, %%esp"             \
				 : : "r"((u32)SEL_KDATA), "r"((u32)SEL_SS16)         \
				 : "eax", "memory");                                 \
	}

SS16_RUN(ss16_int, "int $0x86")
SS16_RUN(ss16_cli, "cli")
SS16_RUN(ss16_push, "pushl $0x1234\n\tpopl %%eax")

static void check_ss16_push(void)
{
	ss16_push(0xABCD0F00);
	report("seg.ss16.push.esp", "0x%08x", ss16_esp_after);
}

static void check_ss16_int(void)
{
	ss16_int(0x00000F00);
	report("seg.ss16.int.esp", "0x%08x", ss16_esp_after);
}

static void check_ss16_cli(void)
{
	ss16_cli(0xABCD0F00);
	report("seg.ss16.cli.esp", "0x%08x", ss16_esp_after);
}

static void check_ss16_int_high(void)
{
	ss16_int(0xABCD0F00);
	report("seg.ss16.int.high.esp", "0x%08x", ss16_esp_after);
}

static const struct check checks[] = {
	{ "seg.mov_pop", check_mov_pop },
	{ "seg.lxs", check_lxs },
	{ "seg.ss_forms", check_ss_forms },
	{ "seg.refused", check_refused },
	{ "seg.null_use", check_null_use },
	{ "seg.ldt", check_ldt },
	{ "seg.accessed", check_accessed },
	{ "seg.ltr", check_ltr },
	{ "seg.gdt_edit", check_gdt_edit },
	{ "seg.gdt_limit", check_gdt_limit },
	{ "seg.gdt8192", check_gdt_8192 },
	{ "seg.gdt8192_top", check_gdt_8192_top },
	{ "seg.limits", check_limits },
	{ "seg.ss16_push", check_ss16_push },
	{ "seg.ss16_cli", check_ss16_cli },
	{ "seg.ss16_int", check_ss16_int },
	{ "seg.ss16_int_high", check_ss16_int_high },
};

SECTION(sec_seg, "seg", "segment loads, descriptor tables, limits", checks);
