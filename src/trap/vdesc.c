/*
 * vdesc.c - the guest's GDT, LDT and task register under ring compression.
 *
 * Mechanism: LGDT and LIDT only load a base and a limit; the CPU reads the
 * descriptors from memory when a selector is loaded.  The guest's GDT
 * cannot be the real one: its ring-0 code and data descriptors would let
 * ring 1 code load them, a TSS or call gate in it would hand out ring 0,
 * and the monitor's own descriptors must exist somewhere.  So emulated LGDT
 * copies the guest's table, descriptor by descriptor through desc_compress(),
 * into the switcher's GDT (entries 0..GDT_GUEST_MAX-1; the monitor's are
 * above).  LLDT does the same for an LDT into the switcher's LDT page, and
 * points the real LDTR at it.  LTR is emulated entirely: the real TR keeps
 * the monitor's TSS; the guest's TSS is remembered (base, limit) for its
 * ss0:esp0, and its descriptor is marked busy in the guest's GDT, as the
 * CPU would.
 */
#include "guest.h"
#include "reflect.h"
#include "switcher.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86.h"
#include "lib/mem.h"

static uint32_t gdt_entries = 3;        /* boot entries 0..2 until LGDT */
static uint32_t ldt_entries;

int guest_segment(const struct vcpu *v, uint16_t sel, struct segdesc *d)
{
	uint32_t i = SEL_INDEX(sel);
	(void)v;
	if (sel & SEL_TI) {
		if (i >= ldt_entries)
			return -1;
		*d = sw_ldt[i];
		return 0;
	}
	if (i == 0 || i >= gdt_entries)
		return -1;
	*d = sw_gdt[i];
	return 0;
}

uint32_t segment_base(const struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	return guest_segment(v, sel, &d) < 0 ? 0 : desc_base(d);
}

uint16_t sreg_value(const struct vcpu *v, unsigned s)
{
	const uint32_t vals[] = { v->tf.es, v->tf.cs, v->tf.ss, v->tf.ds, v->tf.fs, v->tf.gs };
	return s < 6 ? (uint16_t)vals[s] : (uint16_t)v->tf.ds;
}

void vdesc_reset(struct vcpu *v)
{
	v->gdtr = (struct vdtr){ 0, 0xFFFF };
	v->idtr = (struct vdtr){ 0, 0xFFFF };
	gdt_entries = 3;
}

/* Copies n guest descriptors from guest-virtual base into dst. */
static int copy_table(struct vcpu *v, uint32_t base, uint32_t n, struct segdesc *dst,
		      const char *table)
{
	for (uint32_t i = 0; i < n; i++) {
		struct segdesc g, out;
		struct gva_fault f;
		const char *why;
		enum gva_result r = gva_read(v, base + i * 8, &g, sizeof g, 0, &f);

		if (r == GVA_BAD_GPA)
			guest_die("%s at 0x%x: entry %u is at guest-physical 0x%x, not RAM",
				  table, base, i, f.bad_gpa);
		if (r == GVA_PF)
			guest_die("%s at 0x%x: entry %u is not mapped (the monitor copies the "
				  "table when it is loaded)", table, base, i);
		if (desc_compress(g, &out, &why) == DESC_REFUSE)
			guest_die("%s entry %u (selector 0x%x) refused: %s", table, i,
				  i * 8, why);
		dst[i] = out;
	}
	return 0;
}

int vdesc_lgdt(struct vcpu *v, uint32_t base, uint32_t limit)
{
	uint32_t n = (limit + 1) / 8;

	if (n > GDT_GUEST_MAX)
		guest_die("LGDT of %u entries: the monitor keeps entries %u and up for "
			  "itself", n, GDT_GUEST_MAX);
	copy_table(v, base, n, sw_gdt, "GDT");
	memset(sw_gdt + n, 0, (GDT_GUEST_MAX - n) * sizeof *sw_gdt);
	gdt_entries = n;
	v->gdtr = (struct vdtr){ base, limit };
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
	struct segdesc d;
	uint32_t addr;

	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
		ldt_entries = 0;
		v->ldtr = sel;
		__asm__ volatile("lldt %w0" : : "r"(0));
		return 0;
	}
	if (guest_gdt_entry(v, sel, &d, &addr) < 0 || check_system(v, sel, d, SYS_T_LDT) < 0)
		return -1;
	uint32_t n = (desc_limit(d) + 1) / 8;
	if (n > LDT_ENTRIES)
		guest_die("LLDT of %u entries: the monitor's LDT holds %u", n, LDT_ENTRIES);
	copy_table(v, desc_base(d), n, sw_ldt, "LDT");
	ldt_entries = n;
	sw_gdt[GDT_MON_LDT] = desc_make(SW_VA(SW_LDT_OFF), n * 8 - 1, SYS_T_LDT, 0, false, false);
	__asm__ volatile("lldt %w0" : : "r"(SEL_MON_LDT));
	v->ldtr = sel;
	return 0;
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
	return 0;
}

int data_sel_loadable(const struct vcpu *v, uint16_t sel, unsigned cpl)
{
	struct segdesc d;
	unsigned eff = SEL_RPL(sel) > cpl ? SEL_RPL(sel) : cpl;

	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
		return 1;               /* null: loadable, faults on use */
	if (guest_segment(v, sel, &d) < 0 || !DESC_S(d) || !DESC_P(d))
		return 0;
	if ((DESC_TYPE(d) & SEG_T_CODE) && !(DESC_TYPE(d) & SEG_T_R))
		return 0;
	if ((DESC_TYPE(d) & (SEG_T_CODE | SEG_T_C)) == (SEG_T_CODE | SEG_T_C))
		return 1;
	return DESC_DPL(d) >= eff;
}

int code_sel_valid(const struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	if (guest_segment(v, sel, &d) < 0 || !DESC_S(d) || !DESC_P(d))
		return 0;
	if (!(DESC_TYPE(d) & SEG_T_CODE))
		return 0;
	if (DESC_TYPE(d) & SEG_T_C)
		return DESC_DPL(d) <= SEL_RPL(sel);
	return DESC_DPL(d) == SEL_RPL(sel);
}

int stack_sel_valid(const struct vcpu *v, uint16_t sel)
{
	struct segdesc d;
	if (guest_segment(v, sel, &d) < 0 || !DESC_S(d) || !DESC_P(d))
		return 0;
	if ((DESC_TYPE(d) & SEG_T_CODE) || !(DESC_TYPE(d) & SEG_T_W))
		return 0;
	return DESC_DPL(d) == SEL_RPL(sel);
}
