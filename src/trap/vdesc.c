/*
 * vdesc.c - the guest's GDT, LDT and task register under ring compression.
 *
 * Mechanism: LGDT and LIDT only load a base and a limit; the CPU reads the
 * descriptors from memory when a selector is loaded.  The guest's GDT
 * cannot be the real one: its ring-0 code and data descriptors would let
 * ring 1 code load them, a TSS or call gate in it would hand out ring 0,
 * and the monitor's own descriptors must exist somewhere.  So emulated LGDT
 * copies the guest's table, descriptor by descriptor through desc_compress(),
 * into a validated copy (vgdt, what the monitor consults), and from it into
 * the switcher's real GDT; the monitor's descriptors sit at its top
 * (layout.h).  LLDT does the same for an LDT (vldt, the switcher's LDT) and
 * points the real LDTR at it.  LTR is emulated entirely: the real TR keeps
 * the monitor's TSS; the guest's TSS is remembered (base, limit) for its
 * ss0:esp0 and I/O bitmap, and its descriptor is marked busy in the
 * guest's GDT, as the CPU would.
 *
 * Call gates: the copy keeps the guest's (ring-compressed), the real
 * table a null descriptor at its index (real_of_mode), so a far CALL or JMP
 * through one raises #GP(selector) and is emulated (callgate.c).
 *
 * Isolation invariant (docs/security.md): whenever the guest runs, the
 * real GDTR, LDTR and their limits reach only descriptors this file
 * validated, null ones, or the monitor's own (DPL 0, unusable from rings
 * 1-3); never a gate.  The real LDTR is null unless the guest's LLDT named a table with
 * at least one entry, and then its limit is exactly that table's
 * (at most LDT_ENTRIES).  Limit arithmetic is done in 64 bits: a guest limit
 * of 0xFFFFFFFF must not wrap to zero entries, nor a limit below 7 to a
 * 4 GB real LDT.
 *
 * Descriptors the guest writes after LGDT or LLDT: a real CPU reads the
 * entry from memory at the next segment load, so the copies must follow
 * the guest's tables: both are followed in memory (watch.c), and
 * table_wrote() re-validates exactly the descriptors written.  A page of a
 * table let go by watch.c's heuristic is copied again only at the next
 * LGDT or LLDT.
 *
 * Guest user code segments (DPL 3 code) are code segments in the real
 * tables only while the guest runs at CPL 3, or while its kernel may
 * return to user mode without a trap (vdesc_set_mode).  Otherwise, while
 * its kernel runs, a readable one becomes a read-only data segment of the same
 * base and limit (the kernel's IRET or far RET to it raises #GP(selector),
 * a data segment not being code; a data segment register that holds it,
 * as user code may leave DS, still loads on the way back into the kernel,
 * and reads the same bytes), an execute-only one is marked not present
 * (#NP(selector); no data segment register can hold it).  The monitor then
 * emulates the return and so sees every change of privilege, the virtual
 * IF and IOPL it pops included.
 *
 * Two real GDTs: the switcher keeps the guest's descriptors twice, once
 * with user code hidden (sw_gdt) and once shown (sw_gdt_shown), identical
 * but for those entries, so that hiding or showing user code is one LGDT.
 * The switcher's CLI and STI fast paths (entry.asm) do that LGDT, so a
 * kernel whose return to user mode must trap only while its virtual IF is
 * off (CLI ... STI; IRET) runs that return natively without a trip through
 * C.  Both tables hold only validated descriptors, so whichever the CPU
 * holds keeps the isolation invariant; which one it holds is read back
 * (SGDT) at every entry.  The LDT has one real copy, rewritten in place:
 * when it holds user code, the stub may not switch GDTs (fast_gdt_rules).
 * ring=3 uses only sw_gdt, rewritten in place as the LDT is: every switch
 * between its kernel and its user code traps anyway, and more entries
 * depend on the mode there (the kernel's segments and code).
 *
 * ring=3 (docs/ring-compression.md): the copy is compressed exactly as in
 * ring 1 (the guest's DPL 0 reads 1 there, and the monitor's checks are
 * the same in both), but every real descriptor has DPL 3, since the guest
 * kernel runs at CPL 3 too.  Real DPL can then no longer keep guest user
 * code from loading the kernel's segments, so the kernel's (copy DPL 1 or
 * 2, not conforming code) are marked not present while guest user code
 * runs: its load of one raises #NP, which the dispatcher turns into the
 * #GP(selector) the CPU gives for a DPL below CPL.  The kernel's
 * conforming code is hidden while the kernel runs, as user code is (a
 * return to it with RPL 3 is a return to user mode), and the kernel runs it
 * through an alias past its GDT (below, "the guest kernel running
 * conforming code").  The entries whose real form depends on the mode are
 * listed (moded[]), so a switch rewrites only them.
 */
#include "guest.h"
#include "decode.h"
#include "reflect.h"
#include "switcher.h"
#include "watch.h"
#include "vidt.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86.h"
#include "monitor/addr.h"
#include "monitor/monitor.h"
#include "monitor/run.h"
#include "lib/mem.h"

#define BOOT_GDT_ENTRIES 3u     /* null, flat code 0x08, flat data 0x10 */


/* One validated descriptor table: the copy the monitor consults, and the
 * real one the CPU reads (the same but for hidden user code segments). */
struct vtable {
	struct segdesc *copy;
	struct segdesc *real;   /* the GDT: its user code hidden */
	struct segdesc *shown;  /* the GDT: ...and shown; NULL for the LDT */
	uint32_t entries;       /* indices 0..entries-1 are the guest's */
	uint32_t max;
	uint16_t *moded;        /* indices whose real form depends on the mode:
				   user code, and in ring=3 the kernel's */
	uint32_t nmoded;
	const char *name;
	uint32_t base;          /* guest-virtual, as loaded */
	struct watch watch;     /* its memory, followed */
};

static void table_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n);

static struct segdesc vgdt_copy[GDT_MON_FIRST], vldt_copy[LDT_ENTRIES];
static uint16_t gdt_moded[GDT_MON_FIRST], ldt_moded[LDT_ENTRIES];
static struct vtable vgdt = { .copy = vgdt_copy, .max = GDT_MON_FIRST, .moded = gdt_moded,
			      .name = "GDT",
			      .watch = { .name = "GDT", .wrote = table_wrote, .ctx = &vgdt } };
static struct vtable vldt = { .copy = vldt_copy, .max = LDT_ENTRIES, .moded = ldt_moded,
			      .name = "LDT",
			      .watch = { .name = "LDT", .wrote = table_wrote, .ctx = &vldt } };
/* DS and ES as the CPU holds them (the hidden descriptors, below): what
 * the register was loaded with, as last read from the copy for a selector */
struct hidden_read {
	uint16_t sel;           /* the selector */
	bool known;             /* the copy had an entry for it: desc */
	bool read;              /* known and desc are the copy's entry as it
				   was at generation (not since kept) */
	uint32_t generation;    /* vdesc_generation then */
	struct segdesc desc;    /* the copy's form (ring-compressed) */
};
struct hidden_seg {
	struct hidden_read way[2];      /* the register's now (way[cur]), and
					   the one it held before, as read */
	unsigned cur;
	bool kept;              /* resumed with way[cur].desc, which its
				   table lacks */
};
static struct hidden_seg hidden[KEEP_REGS];
struct vdesc_mode vdesc_mode = { true, true, true };
uint32_t vdesc_generation;      /* bumped whenever a copied descriptor changes */

#define DESC_HI_DPL3 (3u << 13)

static bool is_user_code(struct segdesc d)
{
	return DESC_S(d) && DESC_P(d) && (DESC_TYPE(d) & SEG_T_CODE) && DESC_DPL(d) == 3;
}

static bool is_conforming(struct segdesc d)
{
	return DESC_S(d) && (DESC_TYPE(d) & (SEG_T_CODE | SEG_T_C)) == (SEG_T_CODE | SEG_T_C);
}

/* A segment its user code may not load: the CPU refuses a DPL below CPL,
 * except for conforming code, and checks the DPL before P. */
static bool is_kernel_dpl(struct segdesc d)
{
	return DESC_S(d) && DESC_DPL(d) < 3 && !is_conforming(d);
}

/* ...and present: one of the guest's kernel segments, which ring=3 hides
 * from its user code. */
static bool is_kernel_seg(struct segdesc d)
{
	return is_kernel_dpl(d) && DESC_P(d);
}

/* ring=3: conforming code of the guest's kernel (DPL 0 to 2), which its
 * user code may also run (at CPL 3).  Hidden while the kernel runs, as
 * user code is: the kernel's IRET or far RET with RPL 3 to it is a return
 * to user mode, which at real CPL 3 would not trap if it were present
 * (attack=split-conforming). */
static bool is_kernel_conforming(struct segdesc d)
{
	return is_conforming(d) && DESC_P(d) && DESC_DPL(d) < 3;
}

static bool is_moded(struct segdesc d)
{
	return is_user_code(d) ||
	       (mon_opts.ring == 3 && (is_kernel_seg(d) || is_kernel_conforming(d)));
}

#define DESC_HI_TYPE    (0xFu << 8)

/* The real form of copied descriptor d.  A system descriptor is never
 * the guest's in the real tables: the copy holds only call gates (TSS and
 * LDT descriptors are copied null, task gates refused), and a call gate
 * there would let guest code change rings without the monitor, so it is a
 * null descriptor whose far CALL or JMP raises #GP(selector) and is
 * emulated from the copy (callgate.c). */
/* A code segment out of reach while the guest kernel runs: a readable
 * one as read-only data of the same base and limit (a far transfer to it
 * raises #GP(selector), a data segment register still loads it and reads
 * the same bytes), an execute-only one not present (#NP(selector)). */
static struct segdesc hide_code(struct segdesc d)
{
	if (DESC_TYPE(d) & SEG_T_R)
		d.hi = (d.hi & ~DESC_HI_TYPE) | (SEG_T_ACCESSED << 8);
	else
		d.hi &= ~DESC_HI_P;
	return d;
}

/* ring=3: the kernel's own non-conforming code. */
static bool is_kernel_code(struct segdesc d)
{
	return is_kernel_seg(d) && (DESC_TYPE(d) & SEG_T_CODE);
}

/* Is copied descriptor d a code segment the real tables hide now (as
 * code: a data segment register may still load it)?  User code and, in
 * ring=3, conforming code while the kernel runs; the kernel's other code
 * while it runs conforming code (through the alias: every far transfer
 * out of it then traps, and pushes the guest's own CS). */
static bool hidden_code(struct segdesc d, bool user_cs)
{
	if (mon_opts.ring == 3 && vdesc_mode.kernel && !vdesc_mode.kernel_code &&
	    is_kernel_code(d))
		return true;
	if (user_cs)
		return false;
	return is_user_code(d) || (mon_opts.ring == 3 && is_kernel_conforming(d));
}

/* ...in the real table that shows user code (user_cs) or hides it. */
static struct segdesc real_of_mode(struct segdesc d, bool user_cs)
{
	if (!DESC_S(d))
		return (struct segdesc){ 0, 0 };
	if (hidden_code(d, user_cs))
		d = hide_code(d);
	if (mon_opts.ring == 3 && DESC_S(d)) {
		if (is_kernel_seg(d) && !vdesc_mode.kernel)
			d.hi &= ~DESC_HI_P;
		d.hi |= DESC_HI_DPL3;
	}
	return d;
}

/* Entry i of t's real table(s) from its copy: the GDT's two forms, the
 * LDT's one for the mode now. */
static inline __attribute__((always_inline)) void put_real(struct vtable *t, uint32_t i)
{
	if (t->shown) {
		t->real[i] = real_of_mode(t->copy[i], false);
		t->shown[i] = real_of_mode(t->copy[i], true);
		return;
	}
	t->real[i] = real_of_mode(t->copy[i], vdesc_mode.user_cs);
}

/* Install validated descriptor d at index i (i < t->entries). */
static void table_set(struct vtable *t, uint32_t i, struct segdesc d)
{
	vdesc_generation++;
	t->copy[i] = d;
	put_real(t, i);
	if (is_moded(d))
		t->moded[t->nmoded++] = (uint16_t)i;
}

/* Empty entries [from, to) of the copy and the real table(s). */
static void table_clear(struct vtable *t, uint32_t from, uint32_t to)
{
	vdesc_generation++;
	memset(t->copy + from, 0, (to - from) * sizeof *t->copy);
	memset(t->real + from, 0, (to - from) * sizeof *t->real);
	if (t->shown)
		memset(t->shown + from, 0, (to - from) * sizeof *t->shown);
}

int guest_segment(const struct vcpu *v, uint16_t sel, struct segdesc *d)
{
	uint32_t i = SEL_INDEX(sel);
	const struct vtable *t = (sel & SEL_TI) ? &vldt : &vgdt;

	(void)v;
	if (i >= t->entries || (i == 0 && !(sel & SEL_TI)))
		return -1;
	*d = t->copy[i];
	return 0;
}

uint32_t segment_base(const struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	return guest_segment(v, sel, &d) < 0 ? 0 : desc_base(d);
}

uint32_t stack_mask(const struct vcpu *v, uint16_t ss)
{
	struct segdesc d;
	return guest_segment(v, ss, &d) == 0 && !DESC_DB(d) ? 0xFFFFu : 0xFFFFFFFFu;
}

/* (a switch: every emulated memory operand asks, and an array of all six
 * built on the stack for it cost more than the rest of the lookup) */
uint16_t sreg_value(const struct vcpu *v, unsigned s)
{
	switch (s) {
	case SREG_ES: return (uint16_t)v->tf.es;
	case SREG_CS: return (uint16_t)v->tf.cs;
	case SREG_SS: return (uint16_t)v->tf.ss;
	case SREG_FS: return (uint16_t)v->tf.fs;
	case SREG_GS: return (uint16_t)v->tf.gs;
	default: return (uint16_t)v->tf.ds;     /* SREG_DS, and no override */
	}
}

/* ---- entering and leaving the guest's user mode ---- */

static void refresh_moded(struct vtable *t)
{
	for (uint32_t k = 0; k < t->nmoded; k++)	/* bound: nmoded <= the table's entries */
		put_real(t, t->moded[k]);
}

/* ring=3, the kernel entered or left: its segments and code (user code,
 * whose form only the GDT decides, stays as it is). */
static void refresh_kernel_segs(struct vtable *t)
{
	for (uint32_t k = 0; k < t->nmoded; k++)	/* bound: nmoded <= the table's entries */
		if (!is_user_code(t->copy[t->moded[k]]))
			put_real(t, t->moded[k]);
}

/* User code shown or hidden is the GDT the CPU holds, and the LDT's
 * entries; the kernel's segments (ring=3) are rewritten in both GDTs. */
void vdesc_switch_mode(bool user_cs, bool kernel)
{
	bool kernel_changed = kernel != vdesc_mode.kernel;

	vdesc_mode.user_cs = user_cs;
	vdesc_mode.kernel = kernel;
	if (!vgdt.shown) {              /* ring=3: one GDT, rewritten in place */
		refresh_moded(&vgdt);
	} else {
		if (kernel_changed)
			refresh_kernel_segs(&vgdt);
		switcher_show_user(user_cs);
	}
	if (vldt.nmoded)
		refresh_moded(&vldt);
}

bool vdesc_fast_gdt_ok(void)
{
	return vgdt.shown && vldt.nmoded == 0;
}

bool vdesc_two_gdts;

static void set_kernel_code(bool on)
{
	if (on == vdesc_mode.kernel_code)
		return;
	vdesc_mode.kernel_code = on;
	refresh_moded(&vgdt);
	refresh_moded(&vldt);
}

bool vdesc_flat(uint16_t sel, bool code)
{
	struct segdesc d;

	if (guest_segment(0, sel, &d) < 0 || !DESC_S(d) || !DESC_P(d) || !DESC_DB(d))
		return false;
	if (((DESC_TYPE(d) & SEG_T_CODE) != 0) != code)
		return false;
	if (mon_opts.ring == 3 && is_conforming(d))
		return false;   /* the kernel runs it through the alias */
	return desc_base(d) == 0 && desc_limit(d) == 0xFFFFFFFFu;
}

bool vdesc_hidden_user_cs(uint16_t sel)
{
	struct segdesc d;
	return !vdesc_mode.user_cs && guest_segment(0, sel, &d) == 0 && is_user_code(d);
}

bool vdesc_hidden_kernel_code(uint16_t sel)
{
	struct segdesc d;
	return guest_segment(0, sel, &d) == 0 && (is_kernel_conforming(d) || is_kernel_code(d)) &&
	       hidden_code(d, vdesc_mode.user_cs);
}

bool vdesc_user_refused(uint16_t sel)
{
	struct segdesc d;
	return !vdesc_mode.kernel && guest_segment(0, sel, &d) == 0 && is_kernel_dpl(d);
}

uint32_t vdesc_monitor_rpl(uint16_t sel, unsigned cpl)
{
	struct segdesc d;

	if (guest_segment(0, sel, &d) < 0 || !DESC_S(d))
		return sel;
	if (is_conforming(d))
		return (sel & ~3u) | cpl;
	if (DESC_DPL(d) == 3)
		return sel;
	return (sel & ~3u) | DESC_DPL(d);
}

/* ---- ring=3: the guest kernel running conforming code ---- */

/* Its conforming code is hidden while the kernel runs (real_of), yet the
 * kernel runs it too: a far JMP or CALL to it, or a return into it with
 * RPL 0, keeps CPL 0 (emulated, since the segment is hidden).  The kernel
 * is resumed there through an alias: a non-conforming, DPL-3 code
 * descriptor with the segment's base, limit and size, in the first real
 * GDT entry past the guest's own (a selector the guest's CPU refuses:
 * beyond its GDT's limit).  It is present from a resume of the kernel in
 * that code until the next resume anywhere else, and never while user
 * code runs.  The alias is no way into user mode: a non-conforming DPL-3
 * segment takes an RPL-3 return only as a same-level one (the CPU stays in
 * the kernel's view, as the monitor does), and every segment a return to
 * user mode goes to (user code, conforming code) stays hidden.
 *
 * The CPU holds the alias in CS (and in a data segment register the kernel
 * loads from CS), and saves it where the guest can see it: MOV from CS,
 * PUSH CS, and a far CALL the CPU does itself (to the kernel's own code,
 * which stays present).  The monitor translates it back wherever it
 * handles the value (from_cpu at every trap; alias_of in emulated far
 * returns and transfers, which may meet it after the alias is gone);
 * docs/ring-compression.md lists what the guest can see of it. */
static struct {
	uint32_t index;         /* its real GDT entry; 0: none since the last LGDT */
	uint16_t target;        /* the guest's selector it stands for, with the RPL
				   the guest's CPU would hold there (vcpu_guest_cs) */
	bool present;
} alias;

static uint16_t alias_sel(void)
{
	return (uint16_t)(alias.index << 3);
}

/* The alias's real form: the conforming descriptor d as non-conforming
 * code, DPL 3, present and accessed (the exit path must not write it). */
static struct segdesc alias_desc(struct segdesc d)
{
	d.hi &= ~(SEG_T_C << 8);
	d.hi |= DESC_HI_DPL3 | DESC_HI_P | (SEG_T_ACCESSED << 8);
	return d;
}

static void alias_remove(void)
{
	if (alias.present && alias.index >= vgdt.entries)
		vgdt.real[alias.index] = (struct segdesc){ 0, 0 };  /* (ring=3: one GDT) */
	alias.present = false;
	set_kernel_code(true);
}

/* LGDT: the alias's entry may be the guest's now; nothing it stood for
 * is remembered. */
static void alias_forget(void)
{
	alias_remove();
	alias.index = 0;
}

void vdesc_alias_update(struct vcpu *v, bool user)
{
	struct segdesc d;
	uint32_t index = vgdt.entries, cs = v->tf.cs & 0xFFFF;

	if (user || guest_segment(0, (uint16_t)cs, &d) < 0 || !is_kernel_conforming(d)) {
		alias_remove();
		return;
	}
	if (index >= GDT_MON_FIRST)
		guest_die("its kernel runs conforming code (CS 0x%x) with a GDT of all %u entries "
			  "the monitor leaves it: ring=3 needs one past it for the conforming "
			  "code's alias", vcpu_guest_cs(cs) & 0xFFFF, GDT_MON_FIRST);
	if (alias.present && alias.index != index)
		alias_remove();
	alias.index = index;
	alias.target = (uint16_t)vcpu_guest_cs(cs);
	alias.present = true;
	vgdt.real[index] = alias_desc(d);       /* (ring=3: one GDT) */
	set_kernel_code(false);
	v->stats.conforming_alias++;
}

uint32_t vdesc_alias_to_cpu(uint32_t cs)
{
	if (alias.present && SEL_NO_RPL(cs) == SEL_NO_RPL(alias.target))
		return alias_sel() | SEL_RPL_MASK;
	return cs;
}

uint32_t vdesc_alias_from_cpu(uint32_t sel)
{
	if (alias.present && SEL_NO_RPL(sel) == alias_sel())
		return SEL_NO_RPL(alias.target) | SEL_RPL(sel);
	return sel;
}

uint16_t vdesc_alias_of(uint16_t sel)
{
	if (alias.index != 0 && SEL_NO_RPL(sel) == alias_sel())
		return alias.target;
	return sel;
}

/* ---- loading the tables ---- */

/* Loads the real LDTR: null if the guest's LDT has no entries. */
static void load_real_ldt(void)
{
	if (vldt.entries == 0) {
		lldt(0);
		return;
	}
	switcher_gdt_mon(GDT_MON_LDT, desc_make(SW_VA(SW_LDT_OFF), vldt.entries * 8 - 1, SYS_T_LDT,
						0, false, false));
	lldt(SEL_MON_LDT);
}

void vdesc_reset(struct vcpu *v)
{
	const unsigned code = SEG_T_CODE | SEG_T_R | SEG_T_ACCESSED, data = SEG_T_W | SEG_T_ACCESSED;

	vgdt.real = sw_gdt;
	vgdt.shown = mon_opts.ring == 1 ? sw_gdt_shown : NULL;        /* ring=3: one GDT */
	vdesc_two_gdts = vgdt.shown != NULL;
	switcher_show_user(vgdt.shown && vdesc_mode.user_cs);
	vldt.real = sw_ldt;
	watch_set(v, &vgdt.watch, 0, 0);
	watch_set(v, &vldt.watch, 0, 0);
	v->gdtr = (struct vdtr){ 0, 0xFFFF };
	v->idtr = (struct vdtr){ 0, 0xFFFF };
	v->ldtr = 0;
	table_clear(&vgdt, 0, vgdt.max);
	table_clear(&vldt, 0, vldt.max);
	vgdt.nmoded = vldt.nmoded = 0;
	alias_forget();
	vldt.entries = 0;
	memset(hidden, 0, sizeof hidden);
	/* until the guest loads its own GDT: flat ring-1 code and data, so
	 * selectors 0x08 and 0x10 work as a multiboot loader leaves them */
	vgdt.entries = BOOT_GDT_ENTRIES;
	table_set(&vgdt, 1, desc_make(0, 0xFFFFFFFF, code, 1, true, true));
	table_set(&vgdt, 2, desc_make(0, 0xFFFFFFFF, data, 1, true, true));
	load_real_ldt();
}

/* Entries a table of byte limit `limit` holds: selectors index at most
 * 8192 of them.  In 64 bits: limit 0xFFFFFFFF must not wrap. */
static uint32_t limit_entries(uint32_t limit)
{
	uint64_t n = ((uint64_t)limit + 1) / 8;
	return n > LDT_ENTRIES ? LDT_ENTRIES : (uint32_t)n;
}

/* Reads guest descriptor i of the table at guest-virtual base.  An entry
 * the guest has not mapped reads as null (counted): the CPU would only
 * fault if a selector ever named it. */
static void read_desc(struct vcpu *v, uint32_t base, uint32_t i, struct segdesc *g,
		      const char *table)
{
	struct gva_fault f;
	enum gva_result r = gva_read(v, base + i * 8, g, sizeof *g, 0, &f);

	if (r == GVA_BAD_GPA)
		guest_die("%s at 0x%x: entry %u is at guest-physical 0x%x, not RAM", table, base,
			  i, f.bad_gpa);
	if (r == GVA_PF) {
		*g = (struct segdesc){ 0, 0 };
		v->stats.desc_unmapped++;
	}
}

/* ---- following the guest's tables (watch.c) ---- */

/* Validates guest descriptor i of t (read from its memory) into t. */
static void revalidate(struct vcpu *v, struct vtable *t, uint32_t i)
{
	struct segdesc g, out;
	const char *why;

	read_desc(v, t->base, i, &g, t->name);
	if (desc_compress(g, &out, &why) == DESC_REFUSE)
		guest_die("%s entry %u (selector 0x%x) refused: %s", t->name, i, i * 8, why);
	t->copy[i] = out;
	put_real(t, i);
	vdesc_generation++;
}

static void rebuild_moded(struct vtable *t)
{
	t->nmoded = 0;
	/* bound: the table's entries (at most LDT_ENTRIES) */
	for (uint32_t i = 0; i < t->entries; i++)
		if (is_moded(t->copy[i]))
			t->moded[t->nmoded++] = (uint16_t)i;
}

/* The guest wrote bytes [off, off+n) of table t: those descriptors again. */
static void table_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n)
{
	struct vtable *t = ctx;

	/* bound: the table's entries (at most LDT_ENTRIES) */
	for (uint32_t i = off / 8; i <= (off + n - 1) / 8 && i < t->entries; i++)
		revalidate(v, t, i);
	rebuild_moded(t);
	v->stats.desc_writes++;
}

/* Copies n guest descriptors from guest-virtual base into t (bounded by
 * t->max: the caller clamps n), and watches their pages. */
static void copy_table(struct vcpu *v, struct vtable *t, uint32_t base, uint32_t n,
		       const char *table)
{
	t->nmoded = 0;
	for (uint32_t i = 0; i < n; i++) {	/* bound: n <= t->max (LDT_ENTRIES) */
		struct segdesc g, out;
		const char *why;

		read_desc(v, base, i, &g, table);
		if (desc_compress(g, &out, &why) == DESC_REFUSE)
			guest_die("%s entry %u (selector 0x%x) refused: %s", table, i, i * 8, why);
		table_set(t, i, out);
	}
	table_clear(t, n, t->entries > n ? t->entries : n);
	t->entries = n;
	t->base = base;
	watch_set(v, &t->watch, base, n * 8);
}

/* A guest GDT that reaches the monitor's entries must hold nothing there
 * (null or not present): those selectors are the monitor's. */
static void check_reserved(struct vcpu *v, uint32_t base, uint32_t n)
{
	/* bound: n <= LDT_ENTRIES (limit_entries) */
	for (uint32_t i = GDT_MON_FIRST; i < n; i++) {
		struct segdesc g;
		read_desc(v, base, i, &g, "GDT");
		if (DESC_P(g))
			guest_die("GDT entry %u (selector 0x%x) is present: entries %u-%u are the "
				  "monitor's own, a guest's must be empty there", i, i * 8,
				  GDT_MON_FIRST, GDT_ENTRIES - 1);
	}
}

/* A guest limit the real table cannot take as it is gets clamped, with
 * one line the first time (a guest may reload the same table often): the
 * CPU's answer stays the same, since a selector indexes at most 8192
 * entries and the monitor's five answer every guest selector with #GP. */
static void say_clamped(bool *said, const char *what, uint32_t base, uint32_t limit,
			uint32_t entries, const char *why)
{
	if (*said)
		return;
	*said = true;
	mon_log("%s at 0x%x: limit 0x%x clamped to %u entries (bytes 0-0x%x): %s", what,
		base, limit, entries, entries * 8 - 1, why);
}

int vdesc_lgdt(struct vcpu *v, uint32_t base, uint32_t limit)
{
	static bool said;
	uint32_t n = limit_entries(limit & 0xFFFF);

	check_reserved(v, base, n);
	if (n > GDT_MON_FIRST)
		say_clamped(&said, "GDT", base, limit & 0xFFFF, GDT_MON_FIRST,
			    "entries 8187-8191 are the monitor's (empty in the guest's table)");
	alias_forget();
	copy_table(v, &vgdt, base, n < GDT_MON_FIRST ? n : GDT_MON_FIRST, "GDT");
	v->gdtr = (struct vdtr){ base, limit & 0xFFFF };
	return 0;
}

/* The guest's own descriptor for a GDT selector, read from its memory. */
static int guest_gdt_entry(struct vcpu *v, uint16_t sel, struct segdesc *d, uint32_t *addr)
{
	struct gva_fault f;

	if ((sel & SEL_TI) || SEL_INDEX(sel) * 8 + 7 > v->gdtr.limit) {
		reflect(v, T_GP, EV_FAULT, sel & ~3u);
		return -1;
	}
	*addr = v->gdtr.base + SEL_INDEX(sel) * 8;
	enum gva_result r = gva_read(v, *addr, d, sizeof *d, 0, &f);
	if (r == GVA_PF) {
		reflect_pf(v, f.va, f.err);
		return -1;
	}
	if (r == GVA_BAD_GPA)
		guest_die("its GDT entry 0x%x is at guest-physical 0x%x, not RAM", sel,
			  f.bad_gpa);
	return 0;
}

int vdesc_guest_desc(struct vcpu *v, uint16_t sel, struct segdesc *d)
{
	struct gva_fault f;

	if ((sel & SEL_TI) || SEL_INDEX(sel) == 0 || SEL_INDEX(sel) * 8 + 7 > v->gdtr.limit)
		return -1;
	return gva_read(v, v->gdtr.base + SEL_INDEX(sel) * 8, d, sizeof *d, 0, &f) == GVA_OK ? 0
											      : -1;
}

static int check_system(struct vcpu *v, uint16_t sel, struct segdesc d, unsigned type)
{
	if (DESC_S(d) || DESC_TYPE(d) != type) {
		reflect(v, T_GP, EV_FAULT, sel & ~3u);
		return -1;
	}
	if (!DESC_P(d)) {
		reflect(v, T_NP, EV_FAULT, sel & ~3u);
		return -1;
	}
	return 0;
}

int vdesc_lldt(struct vcpu *v, uint16_t sel)
{
	static bool said;
	struct segdesc d;
	uint32_t addr;

	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
		copy_table(v, &vldt, 0, 0, "LDT");
	} else {
		if (guest_gdt_entry(v, sel, &d, &addr) < 0 ||
		    check_system(v, sel, d, SYS_T_LDT) < 0)
			return -1;
		if (desc_limit(d) >= LDT_ENTRIES * 8)
			say_clamped(&said, "LDT", desc_base(d), desc_limit(d), LDT_ENTRIES,
				    "no selector reaches further");
		copy_table(v, &vldt, desc_base(d), limit_entries(desc_limit(d)), "LDT");
	}
	load_real_ldt();
	v->ldtr = sel;
	vdesc_generation++;
	return 0;
}

/* ---- the accessed bit ---- */

/* Byte 5 of a descriptor: P (bit 7) and S (bit 4) both set for a present
 * code or data segment. */
#define DESC_BYTE5_S_P  0x90u

/* Which table, and which entry, the real-table address la is in. */
static struct vtable *table_at(uint32_t la, uint32_t *i)
{
	if (la - SW_VA(SW_GDT_OFF) < GDT_MON_FIRST * 8) {
		*i = (la - SW_VA(SW_GDT_OFF)) / 8;
		return &vgdt;
	}
	if (la - SW_VA(SW_GDT_SHOWN_OFF) < GDT_MON_FIRST * 8) {
		*i = (la - SW_VA(SW_GDT_SHOWN_OFF)) / 8;
		return &vgdt;
	}
	if (la - SW_VA(SW_LDT_OFF) < LDT_ENTRIES * 8) {
		*i = (la - SW_VA(SW_LDT_OFF)) / 8;
		return &vldt;
	}
	return 0;
}

bool vdesc_accessed(struct vcpu *v, uint32_t la)
{
	uint32_t i;
	struct vtable *t = table_at(la, &i);
	struct gva_fault f;
	uint8_t access;

	if (!t || i >= t->entries || (la & 7) < 4)
		return false;
	struct segdesc d = t->copy[i];
	if (!DESC_S(d) || !DESC_P(d) || (DESC_TYPE(d) & SEG_T_ACCESSED))
		return false;
	/* The CPU sets it in the guest's own table: byte 5, bit 0, of the
	 * descriptor it loaded, which is a present code or data one there too
	 * (a null or system descriptor never gets the bit). */
	uint32_t addr = t->base + i * 8 + 5;
	if (gva_read(v, addr, &access, 1, 0, &f) == GVA_OK &&
	    (access & DESC_BYTE5_S_P) == DESC_BYTE5_S_P) {
		access |= SEG_T_ACCESSED;
		gva_write(v, addr, &access, 1, 0, &f);
	}
	/* That write went through the table's watch (watch.c), which copied
	 * the entry again from the guest's memory: if it is no longer d, the
	 * copy now is the guest's own descriptor, validated, and takes no bit
	 * from here.  Only the copy the CPU loaded gets it. */
	struct segdesc now = t->copy[i];
	if (i < t->entries && now.lo == d.lo && now.hi == d.hi) {
		t->copy[i].hi |= SEG_T_ACCESSED << 8;
		put_real(t, i);
		vdesc_generation++;
	}
	v->stats.desc_accessed++;
	return true;
}

void vdesc_preaccess(struct vcpu *v, uint16_t sel)
{
	uint32_t i = SEL_INDEX(sel);
	uint32_t table = (sel & SEL_TI) ? SW_LDT_OFF : SW_GDT_OFF;

	if (i == 0 && !(sel & SEL_TI))
		return;
	vdesc_accessed(v, SW_VA(table) + i * 8 + 5);
}

int vdesc_ltr(struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	uint32_t addr;
	struct gva_fault f;

	if (SEL_INDEX(sel) == 0) {
		reflect(v, T_GP, EV_FAULT, 0);
		return -1;
	}
	if (guest_gdt_entry(v, sel, &d, &addr) < 0 || check_system(v, sel, d, SYS_T_TSS32A) < 0)
		return -1;
	d.hi |= SYS_T_BUSY << 8;
	if (gva_write(v, addr, &d, sizeof d, 0, &f) != GVA_OK)
		guest_die("LTR: cannot mark the TSS descriptor at 0x%x busy", addr);
	v->tr = sel;
	v->tr_base = desc_base(d);
	v->tr_limit = desc_limit(d);
	vidt_ltr(v);
	return 0;
}

int data_sel_loadable(const struct vcpu *v, uint16_t sel, unsigned cpl)
{
	struct segdesc d;

	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
		return 1;               /* null: loadable, faults on use */
	if (guest_segment(v, sel, &d) < 0)
		return 0;
	return desc_data_loadable(d, SEL_RPL(sel), cpl);
}

/* ---- the hidden descriptors of DS and ES ---- */

/* The CPU keeps what it loaded into a segment register until the register
 * is loaded again; a shorter GDT, another LDT or an entry made absent does
 * not reach it (the next load of the selector faults).  The exit path
 * loads DS and ES in ring 0 (the monitor's own are in them while it
 * runs), so each resume is a load.  Where the table no longer has a
 * descriptor the register's selector loads, the register keeps the one it
 * was loaded with: its real slot holds that descriptor for the exit path's
 * load only, in ring 0 with interrupts off (entry.asm, KEPT_OR; an LDT
 * slot beyond the guest's LDT through a real LDTR widened for that load
 * only), and the tables are the guest's whenever the guest runs, so no
 * other load of that selector succeeds, as on the CPU.  While the table
 * still does not have it, the register cannot have been loaded anew: a
 * kept register whose selector is unchanged at the next trap is still the
 * same.  FS and GS are never reloaded by the exit path: the CPU keeps
 * theirs by itself. */

/* The table and index a selector names, if the real table has that slot
 * (the real GDT has every guest index; the switcher's LDT pages every
 * index a selector can name, beyond the guest's entries too: the exit
 * path then loads the selector through a real LDTR that reaches it). */
static struct vtable *real_slot(uint16_t sel, uint32_t *i)
{
	struct vtable *t = (sel & SEL_TI) ? &vldt : &vgdt;

	*i = SEL_INDEX(sel);
	if (sel & SEL_TI)
		return *i < LDT_ENTRIES ? t : 0;
	return *i != 0 && *i < GDT_MON_FIRST ? t : 0;
}

/* The copy's entry for sel, or NULL beyond the guest's table. */
static const struct segdesc *copy_entry(uint16_t sel)
{
	uint32_t i = SEL_INDEX(sel);
	const struct vtable *t = (sel & SEL_TI) ? &vldt : &vgdt;

	return i < t->entries && (i != 0 || (sel & SEL_TI)) ? &t->copy[i] : 0;
}

static struct hidden_read *hidden_now(struct hidden_seg *h)
{
	return &h->way[h->cur];
}

/* Does w hold sel as read from the copy as it is now (reading it again
 * would give the same known and desc: vdesc_generation unchanged)? */
static bool read_now(const struct hidden_read *w, uint16_t sel)
{
	return w->sel == sel && w->read && w->generation == vdesc_generation;
}

/* What a register holds now: sel, loaded (the monitor assumes) from the
 * copy as it is.  Nothing to read when it is kept with sel (no load of
 * sel has succeeded since), or holds sel as read from an unchanged copy;
 * nor when it holds again the selector it held before (a kernel's and its
 * user code's DS, one after the other), that read from an unchanged
 * copy: the two ways are swapped.  These are the selectors of most traps.
 * A register once kept is read again when it is no longer kept: its desc
 * is the hidden one, not necessarily the copy's at its generation. */
static inline __attribute__((always_inline)) void hidden_record(struct hidden_seg *h,
								 uint16_t sel)
{
	struct hidden_read *w = hidden_now(h);

	if (w->sel == sel && h->kept)
		return;
	h->kept = false;
	if (read_now(w, sel))
		return;
	h->cur ^= 1;
	w = hidden_now(h);
	if (read_now(w, sel))
		return;
	const struct segdesc *d = copy_entry(sel);
	w->sel = sel;
	w->known = d != 0;
	if (d)
		w->desc = *d;
	w->read = true;
	w->generation = vdesc_generation;
}

/* hidden_record()'s cases that read nothing, for the register h holding
 * sel: it is its way's selector as read from the copy as it is now, or
 * its other way's (a kernel's and its user code's DS in turn), which then
 * becomes its way.  False: the record is to be made in full (the same
 * result, by the longer path). */
static inline bool hidden_quick(struct hidden_seg *h, uint16_t sel)
{
	if (h->kept)
		return false;
	if (read_now(&h->way[h->cur], sel))
		return true;
	if (!read_now(&h->way[h->cur ^ 1], sel))
		return false;
	h->cur ^= 1;
	return true;
}

void vdesc_hidden_entry(const struct vcpu *v)
{
	if (hidden_quick(&hidden[KEEP_DS], (uint16_t)v->tf.ds) &&
	    hidden_quick(&hidden[KEEP_ES], (uint16_t)v->tf.es))
		return;         /* most traps */
	hidden_record(&hidden[KEEP_DS], (uint16_t)v->tf.ds);
	hidden_record(&hidden[KEEP_ES], (uint16_t)v->tf.es);
}

uint16_t vdesc_resume_data(unsigned r, uint16_t sel, unsigned cpl)
{
	struct hidden_seg *h = &hidden[r];
	struct hidden_read *w = hidden_now(h);
	uint32_t i;

	h->kept = false;
	switch (desc_data_resume(copy_entry(sel), w->known && w->sel == sel ? &w->desc : 0, sel,
				 cpl)) {
	case SEG_RELOAD:
		return sel;
	case SEG_KEEP:
		if (!real_slot(sel, &i))
			return 0;       /* the monitor's own GDT slots */
		h->kept = true;
		w->read = false;
		return sel;
	default:
		return 0;
	}
}

bool vdesc_keeps(void)
{
	return hidden[KEEP_DS].kept || hidden[KEEP_ES].kept;
}

void vdesc_keep_none(void)
{
	hidden[KEEP_DS].kept = hidden[KEEP_ES].kept = false;
}

void vdesc_resume_patches(struct sw_keep *keep)
{
	if (!vdesc_keeps()) {           /* most resumes: no patched load */
		keep[KEEP_DS].slot = keep[KEEP_ES].slot = 0;
		return;
	}
	for (unsigned r = 0; r < KEEP_REGS; r++) {	/* bound: KEEP_REGS (DS, ES) */
		const struct hidden_seg *h = &hidden[r];
		const struct hidden_read *w = &h->way[h->cur];
		uint32_t i;
		struct vtable *t = h->kept ? real_slot(w->sel, &i) : 0;

		if (!t) {
			keep[r].slot = 0;
			continue;
		}
		/* the GDT the CPU holds (ring 1: the one that shows user code,
		 * or the one that hides it) */
		bool shown = t == &vgdt && vgdt.shown && vdesc_mode.user_cs;
		keep[r].sel = w->sel;
		keep[r].desc = real_of_mode(w->desc, vdesc_mode.user_cs);    /* in today's mode */
		keep[r].table = shown ? t->shown[i] : t->real[i];
		keep[r].slot = SW_VA(t == &vldt ? SW_LDT_OFF : shown ? SW_GDT_SHOWN_OFF : SW_GDT_OFF) +
			       i * 8;
		keep[r].ldtr = t == &vldt && i >= vldt.entries;
		if (!keep[r].ldtr)
			continue;
		/* beyond the real LDT's limit: one that reaches the slot for
		 * the load, then the guest's LDTR (load_real_ldt) again */
		keep[r].ldt = desc_make(SW_VA(SW_LDT_OFF), (i + 1) * 8 - 1, SYS_T_LDT, 0, false,
					false);
		keep[r].ldt_after = sw_gdt[GDT_MON_LDT];
		keep[r].ldtr_after = vldt.entries ? SEL_MON_LDT : 0;
	}
}

int code_sel_check(const struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	if (guest_segment(v, sel, &d) < 0 || !DESC_S(d) || !(DESC_TYPE(d) & SEG_T_CODE))
		return T_GP;
	if ((DESC_TYPE(d) & SEG_T_C) ? DESC_DPL(d) > SEL_RPL(sel) : DESC_DPL(d) != SEL_RPL(sel))
		return T_GP;
	return DESC_P(d) ? 0 : T_NP;
}

int code_sel_valid(const struct vcpu *v, uint16_t sel)
{
	return code_sel_check(v, sel) == 0;
}

int stack_sel_check(const struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	if (guest_segment(v, sel, &d) < 0 || !DESC_S(d))
		return T_GP;
	if ((DESC_TYPE(d) & SEG_T_CODE) || !(DESC_TYPE(d) & SEG_T_W) || DESC_DPL(d) != SEL_RPL(sel))
		return T_GP;
	return DESC_P(d) ? 0 : T_SS;
}

int stack_sel_valid(const struct vcpu *v, uint16_t sel)
{
	return stack_sel_check(v, sel) == 0;
}
