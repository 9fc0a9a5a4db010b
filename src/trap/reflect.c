/*
 * reflect.c - exceptions and interrupts delivered through the guest's IDT.
 *
 * Mechanism (what the CPU does for vector n in protected mode): read gate n
 * from the IDT (beyond the limit, or not an interrupt, trap or task gate:
 * #GP(n*8+2)); for INT n, the gate's DPL must be >= CPL (else
 * #GP(n*8+2)); the gate must be present (else #NP(n*8+2)); its selector
 * must name a present code segment whose DPL is <= CPL.  If that DPL is
 * lower than CPL and the segment is not conforming, switch stacks to the
 * SS:ESP for that ring in the current TSS and push the old SS and ESP (a
 * conforming handler runs at the CPL the event came from, on its stack:
 * user code interrupted into conforming code stays user code, and ring=3
 * keeps it on the user view, attack=split-conforming); then push
 * EFLAGS, CS, EIP and, for some exceptions, the error code; clear TF, NT,
 * RF, VM, and IF too for an interrupt gate; jump to the gate's offset.
 *
 * What we do differently: the guest runs in ring 1 with the real IF
 * always set and IOPL 0, so the EFLAGS the guest's handler sees is built
 * from the virtual IF and IOPL, and "clear IF" clears the virtual one.
 * The guest's "ring 0" is ring 1: a gate to the guest's kernel code lands
 * in ring 1, and its stack comes from the guest's TSS ss0:esp0 with the
 * RPL compressed to 1.  The CS pushed is the one the guest expects: its
 * kernel's with RPL 0 (vcpu_guest_cs), so the handler's IRET raises #GP
 * in ring 1 and is emulated: the monitor sees the IF it restores.  RF is
 * pushed clear for INT n and interrupts (Bochs sets it in the frame of
 * the #GP that brought INT n here; the guest's INT n is a trap).
 *
 * Every loop here is bounded: delivery nests at most twice (a fault while
 * delivering a fault, then #DF) before the guest ends (triple fault).
 *
 * A fault while reading the IDT or pushing the frame is delivered in turn,
 * as the CPU would: once (double fault), then the guest ends.
 */
#include "reflect.h"
#include "desc.h"
#include "guest.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86.h"
#include "monitor/monitor.h"

#define EFLAGS_CLEARED_BY_GATE (FL_TF | FL_NT | FL_RF | FL_VM)

/* Eight bytes of guest memory in place (gva_peek): a gate, a TSS's
 * SS:ESP pair. */
typedef struct {
	uint32_t lo, hi;
} __attribute__((packed, may_alias)) gate_bytes;

/* Delivery failed: what the CPU would raise instead (reflect.h). */
static int fail(struct guest_fault *n, unsigned vector, uint32_t err)
{
	n->vector = vector;
	n->err = err;
	return -1;
}

/* The descriptors an IDT may hold: interrupt, trap (16- and 32-bit) and
 * task gates.  The CPU checks this first: anything else in the IDT (a call
 * gate among them) is #GP(vector*8+2), before the DPL and P checks. */
static bool idt_gate_type(struct segdesc g)
{
	switch (DESC_S(g) ? 0 : DESC_TYPE(g)) {
	case SYS_T_INT16: case SYS_T_TRAP16: case SYS_T_INT32: case SYS_T_TRAP32: case SYS_T_TASK:
		return true;
	default:
		return false;
	}
}

/* A gate as delivery uses it: read from the IDT and checked, with the
 * code segment it names, in everything that does not depend on the CPL. */
struct gate_use {
	uint32_t lo, hi;        /* the gate's eight bytes */
	uint32_t generation;    /* vdesc_generation its code segment was checked at */
	uint32_t offset;
	uint16_t sel;           /* its selector, ring-compressed */
	uint8_t dpl;            /* the gate's DPL */
	uint8_t cs_dpl;         /* its code segment's */
	bool conforming;        /* ...which is conforming code */
	bool interrupt;         /* an interrupt gate: it clears the (virtual) IF */
	bool valid;
};

/* The last gate each vector was delivered through.  Nothing invalidates
 * an entry, and none is ever stale: each delivery reads the gate from the
 * guest's IDT as the CPU does (a gate rewritten, an IDT moved by LIDT or
 * remapped reads other bytes) and takes the entry only if those bytes are
 * the entry's and the descriptor copies its code segment was checked in
 * are unchanged (vdesc_generation); the checks the entry skips are pure
 * functions of those two.  Only gates that passed every check are kept. */
static struct gate_use gate_seen[256];

/* Reads gate vector (the CPU's checks on it and its code segment but the
 * CPL's: dpl against CPL for the code segment is the caller's). */
static int read_gate(struct vcpu *v, unsigned vector, enum event_kind kind,
		     const struct gate_use **use, struct guest_fault *n)
{
	uint32_t ext = kind == EV_SOFT ? 0 : ERR_EXT;
	uint32_t gerr = vector * 8 + ERR_IDT + ext;
	struct gate_use *u = &gate_seen[vector & 0xFF];
	struct segdesc g, cs;
	struct gva_fault f;

	if (vector * 8 + 7 > v->idtr.limit)
		return fail(n, T_GP, gerr);
	const gate_bytes *p = gva_peek(v, v->idtr.base + vector * 8, sizeof g);
	enum gva_result r = p ? (g.lo = p->lo, g.hi = p->hi, GVA_OK)
			      : gva_read(v, v->idtr.base + vector * 8, &g, sizeof g, 0, &f);
	if (r == GVA_BAD_GPA)
		guest_die("its IDT (0x%x) is at guest-physical 0x%x, which is not RAM",
			  v->idtr.base, f.bad_gpa);
	if (r == GVA_PF) {
		n->cr2 = f.va;
		return fail(n, T_PF, f.err);
	}
	*use = u;
	if (u->valid && u->lo == g.lo && u->hi == g.hi && u->generation == vdesc_generation)
		return kind == EV_SOFT && u->dpl < vcpu_cpl(v) ? fail(n, T_GP, gerr) : 0;
	unsigned type = DESC_TYPE(g);
	if (!idt_gate_type(g))          /* a call gate, a TSS, a segment... */
		return fail(n, T_GP, gerr);
	if (kind == EV_SOFT && DESC_DPL(g) < vcpu_cpl(v))
		return fail(n, T_GP, gerr);
	if (!DESC_P(g))
		return fail(n, T_NP, gerr);
	if (type == SYS_T_TASK)
		guest_die("vector %u goes through a task gate, which the monitor does not "
			  "support", vector);
	if (type != SYS_T_INT32 && type != SYS_T_TRAP32)
		guest_die("vector %u: gate type 0x%x is not a 32-bit interrupt or trap gate",
			  vector, type);
	uint16_t sel = sel_compress(gate_selector(g));
	uint32_t sel_err = (sel & ~3u) + ext;
	if (guest_segment(v, sel, &cs) < 0 || !DESC_S(cs) || !(DESC_TYPE(cs) & SEG_T_CODE))
		return fail(n, T_GP, sel_err);
	if (!DESC_P(cs))
		return fail(n, T_NP, sel_err);
	*u = (struct gate_use){ g.lo, g.hi, vdesc_generation, gate_offset(g), sel, DESC_DPL(g),
				DESC_DPL(cs), (DESC_TYPE(cs) & SEG_T_C) != 0, type == SYS_T_INT32,
				true };
	return 0;
}

/* The guest's stack for (real) ring `ring` from its TSS, for a gate taken
 * from an outer ring: ss0:esp0 for its kernel (real ring 1), ss2:esp2 for
 * ring 2.  TSS32: esp0 at +4, ss0 at +8, then 8 bytes per ring. */
int tss_inner_stack(struct vcpu *v, unsigned ring, uint32_t *ss, uint32_t *esp,
		    struct guest_fault *n)
{
	uint32_t pair[2], off = 4 + 8 * (ring == 1 ? 0 : ring);
	struct gva_fault f;

	if (v->tr == 0 || v->tr_limit < off + 7)
		return fail(n, T_TS, v->tr & ~3u);
	const gate_bytes *p = gva_peek(v, v->tr_base + off, sizeof pair);
	enum gva_result r = p ? (pair[0] = p->lo, pair[1] = p->hi, GVA_OK)
			      : gva_read(v, v->tr_base + off, pair, sizeof pair, 0, &f);
	if (r == GVA_BAD_GPA)
		guest_die("its TSS (0x%x) is not in RAM", v->tr_base);
	if (r == GVA_PF) {
		n->cr2 = f.va;
		return fail(n, T_PF, f.err);
	}
	*esp = pair[0];
	*ss = sel_compress((uint16_t)pair[1]);
	return 0;
}

static uint32_t guest_eflags(const struct vcpu *v, enum event_kind kind)
{
	uint32_t fl = (v->tf.eflags & ~(FL_IF | FL_IOPL)) | (v->vif ? FL_IF : 0) |
		      (v->iopl << FL_IOPL_SHIFT);
	return kind == EV_FAULT ? fl : fl & ~FL_RF;
}

/* The stack segment the frame goes to: its base, and its size (a 16-bit
 * stack moves SP only), as segment_base() and stack_mask() give them.
 * The last one asked about is remembered with vdesc_generation (the
 * copies it was read from): the kernel's one stack segment, almost
 * always. */
static void stack_segment(const struct vcpu *v, uint16_t ss, uint32_t *base, uint32_t *mask)
{
	static struct {
		uint32_t generation, base, mask;
		uint16_t sel;
		bool valid;
	} last;
	struct segdesc d;

	if (!last.valid || last.sel != ss || last.generation != vdesc_generation) {
		bool have = guest_segment(v, ss, &d) == 0;
		last.base = have ? desc_base(d) : 0;
		last.mask = have && !DESC_DB(d) ? 0xFFFFu : 0xFFFFFFFFu;
		last.sel = ss;
		last.generation = vdesc_generation;
		last.valid = true;
	}
	*base = last.base;
	*mask = last.mask;
}

/* The frame the CPU pushes is built from its top down (in memory order,
 * lowest address first) into the last words of frame[]. */
#define FRAME_WORDS 6u          /* SS, ESP, EFLAGS, CS, EIP, error code */

static int deliver(struct vcpu *v, unsigned vector, enum event_kind kind, uint32_t err,
		   struct guest_fault *n)
{
	const struct gate_use *u;
	uint32_t frame[FRAME_WORDS], *top = frame + FRAME_WORDS, ss = v->tf.ss, esp = v->tf.esp;
	struct gva_fault f;

	if (read_gate(v, vector, kind, &u, n) < 0)
		return -1;
	uint16_t sel = u->sel;
	unsigned dpl = u->cs_dpl, cpl = v->tf.cs & 3;
	if (dpl > cpl)
		return fail(n, T_GP, (sel & ~3u) + (kind == EV_SOFT ? 0 : ERR_EXT));
	if (u->conforming)
		dpl = cpl;      /* conforming: the handler runs at the CPL it came from */
	if (dpl < cpl) {
		if (tss_inner_stack(v, dpl, &ss, &esp, n) < 0)
			return -1;
		*--top = v->tf.ss;      /* pushed first: highest address */
		*--top = v->tf.esp;
	}
	*--top = guest_eflags(v, kind);
	*--top = vcpu_guest_cs(v->tf.cs);
	*--top = v->tf.eip;
	if (kind == EV_FAULT && vector_has_err(vector))
		*--top = err;
	uint32_t bytes = (uint32_t)(frame + FRAME_WORDS - top) * 4, base, mask;
	stack_segment(v, (uint16_t)ss, &base, &mask);
	uint32_t new_esp = stack_move(esp, mask, -bytes);
	enum gva_result r = gva_write(v, base + (new_esp & mask), top, bytes,
				      dpl == 3 ? GVA_USER : 0, &f);
	if (r == GVA_BAD_GPA)
		guest_die("its stack 0x%x is at guest-physical 0x%x, which is not RAM",
			  new_esp, f.bad_gpa);
	if (r == GVA_PF) {
		n->cr2 = f.va;
		return fail(n, T_PF, f.err);
	}
	v->tf.ss = ss;
	v->tf.esp = new_esp;
	v->tf.cs = (sel & ~3u) | dpl;
	v->tf.eip = u->offset;
	v->tf.eflags &= ~EFLAGS_CLEARED_BY_GATE;
	if (u->interrupt)
		vcpu_set_vif(v, false);
	return 0;
}

/* The CPU's double-fault rule (Intel SDM, "Interrupt 8"): a fault while
 * delivering another becomes #DF when both are contributory (#DE, #TS,
 * #NP, #SS, #GP), or the first is #PF and the second contributory or #PF;
 * otherwise the second is delivered in the first's place. */
static bool contributory(unsigned vector)
{
	return vector == T_DE || (vector >= T_TS && vector <= T_GP);
}

static bool double_fault(unsigned first, enum event_kind kind, unsigned second)
{
	if (kind != EV_FAULT)           /* interrupts and INT n are benign */
		return false;
	if (contributory(first))
		return contributory(second);
	return first == T_PF && (contributory(second) || second == T_PF);
}

/* Delivers vector; a failure is delivered in its place (or #DF), with EIP
 * back at fault_eip (for INT n: the INT instruction, which is what
 * faulted).  Bounded: a failure while delivering #DF ends the guest
 * (triple fault), and so does a fourth attempt. */
static void deliver_or_nest(struct vcpu *v, unsigned vector, enum event_kind kind,
			    uint32_t err, uint32_t fault_eip)
{
	struct guest_fault n = { 0, 0, 0 };

	/* bound: 3 deliveries (the fault, #DF, then a triple fault ends the guest) */
	for (int depth = 0; deliver(v, vector, kind, err, &n) < 0; depth++) {
		if (vector == T_DF || depth >= 2)
			guest_die("triple fault: delivering vector %u failed with vector %u "
				  "(error 0x%x)", vector, n.vector, n.err);
		if (n.vector == T_PF)
			v->cr2 = n.cr2;
		v->tf.eip = fault_eip;
		bool df = double_fault(vector, kind, n.vector);
		vector = df ? T_DF : n.vector;
		err = df ? 0 : n.err;
		kind = EV_FAULT;
	}
	if (vector < 32 && kind == EV_FAULT)
		v->stats.reflected[vector]++;
	else if (kind == EV_SOFT)
		v->stats.soft_ints++;
	else if (kind == EV_EXTINT)
		v->stats.ext_ints++;
}

void reflect(struct vcpu *v, unsigned vector, enum event_kind kind, uint32_t err)
{
	deliver_or_nest(v, vector, kind, err, v->tf.eip);
}

void reflect_soft(struct vcpu *v, unsigned vector, uint32_t len)
{
	uint32_t at = v->tf.eip;
	v->tf.eip += len;               /* INT n returns after itself */
	deliver_or_nest(v, vector, EV_SOFT, 0, at);
}

void reflect_pf(struct vcpu *v, uint32_t va, uint32_t err)
{
	v->cr2 = va;
	reflect(v, T_PF, EV_FAULT, err);
}
