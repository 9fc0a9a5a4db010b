/*
 * desc.c - descriptor fields and the ring-compression rule (see desc.h).
 */
#include "desc.h"

uint32_t desc_base(struct segdesc d)
{
	return (d.lo >> 16) | ((d.hi & 0xFFu) << 16) | (d.hi & 0xFF000000u);
}

uint32_t desc_limit(struct segdesc d)
{
	uint32_t lim = (d.lo & 0xFFFFu) | (d.hi & 0xF0000u);
	return (d.hi & (1u << 23)) ? (lim << 12) | 0xFFFu : lim;
}

struct segdesc desc_make(uint32_t base, uint32_t limit, unsigned type,
			 unsigned dpl, bool code_data, bool big)
{
	bool g = limit > 0xFFFFFu;
	uint32_t lim = g ? limit >> 12 : limit;
	struct segdesc d;

	d.lo = (lim & 0xFFFFu) | (base << 16);
	d.hi = ((base >> 16) & 0xFFu) | (type << 8) | (code_data ? DESC_HI_S : 0) |
	       (dpl << 13) | DESC_HI_P | (lim & 0xF0000u) | (big ? 1u << 22 : 0) |
	       (g ? 1u << 23 : 0) | (base & 0xFF000000u);
	return d;
}

uint32_t gate_offset(struct segdesc g)
{
	return (g.lo & 0xFFFFu) | (g.hi & 0xFFFF0000u);
}

uint16_t gate_selector(struct segdesc g)
{
	return (uint16_t)(g.lo >> 16);
}

struct segdesc gate_make(uint32_t offset, uint16_t sel, unsigned type, unsigned dpl)
{
	struct segdesc g;
	g.lo = (offset & 0xFFFFu) | ((uint32_t)sel << 16);
	g.hi = (offset & 0xFFFF0000u) | DESC_HI_P | (dpl << 13) | (type << 8);
	return g;
}

/* A call gate, present or not (a far CALL through an absent one is
 * #NP(gate), which the emulation must know to give): the guest's, with
 * DPL 0 read as 1 like every descriptor of the copy. */
static enum desc_verdict call_gate(struct segdesc g, struct segdesc *out)
{
	*out = g;
	if (DESC_DPL(g) == 0)
		out->hi |= 1u << 13;
	return DESC_GATE;
}

/* Any other system descriptor (call gates are taken first). */
static enum desc_verdict system_desc(struct segdesc g, const char **why)
{
	switch (DESC_TYPE(g)) {
	case SYS_T_TASK:
		*why = "a task gate (a hardware task switch would load CR3 and rings)";
		return DESC_REFUSE;
	case SYS_T_TSS16A:
	case SYS_T_TSS16B:
	case SYS_T_TSS32A:
	case SYS_T_TSS32B:
	case SYS_T_LDT:
		return DESC_NULL;       /* used only through emulated LTR/LLDT */
	default:
		*why = "a system descriptor type this CPU does not define in a GDT";
		return DESC_REFUSE;
	}
}

enum desc_verdict desc_compress(struct segdesc g, struct segdesc *out, const char **why)
{
	*why = "";
	*out = (struct segdesc){ 0, 0 };
	if (desc_is_call_gate(g))
		return call_gate(g, out);
	if (!DESC_P(g)) {
		/* absent: loading it must still raise #NP, so keep it (cleared
		 * of any DPL 0, in case the guest marks it present later it is
		 * copied again by the LGDT that follows) */
		if (!DESC_S(g))         /* includes the null descriptor */
			return DESC_NULL;
		*out = g;
		if (DESC_DPL(g) == 0)
			out->hi |= 1u << 13;
		return DESC_COPY;
	}
	if (!DESC_S(g))
		return system_desc(g, why);
	*out = g;
	if (DESC_DPL(g) == 0)
		out->hi |= 1u << 13;
	return DESC_COPY;
}

static bool is_exec_only(struct segdesc d)
{
	return (DESC_TYPE(d) & SEG_T_CODE) && !(DESC_TYPE(d) & SEG_T_R);
}

bool desc_data_loadable(struct segdesc d, unsigned rpl, unsigned cpl)
{
	unsigned eff = rpl > cpl ? rpl : cpl;

	if (!DESC_S(d) || !DESC_P(d) || is_exec_only(d))
		return false;
	if ((DESC_TYPE(d) & (SEG_T_CODE | SEG_T_C)) == (SEG_T_CODE | SEG_T_C))
		return true;
	return DESC_DPL(d) >= eff;
}

bool desc_data_unloadable(struct segdesc d)
{
	return !DESC_S(d) || !DESC_P(d) || is_exec_only(d);
}

/* A data segment register holding a selector whose descriptor the table
 * no longer has (a shorter GDT or LDT, the entry made absent or a system
 * descriptor) keeps what it was loaded with, as on the CPU, if that may
 * still be used at cpl.  One whose table entry merely changed but still
 * loads (a DPL, base or limit edited) is loaded again from the table:
 * the guest could have reloaded the selector meanwhile without a trap,
 * and the monitor could not tell the two apart afterwards. */
enum seg_resume desc_data_resume(const struct segdesc *table, const struct segdesc *hidden,
				 uint16_t sel, unsigned cpl)
{
	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
		return SEG_RELOAD;              /* null: loads, faults on use */
	if (table && desc_data_loadable(*table, SEL_RPL(sel), cpl))
		return SEG_RELOAD;
	if (hidden && (!table || desc_data_unloadable(*table)) &&
	    desc_data_loadable(*hidden, SEL_RPL(sel), cpl))
		return SEG_KEEP;
	return SEG_NULL;
}
