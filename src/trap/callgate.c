/*
 * callgate.c - far CALL and far JMP through a call gate, emulated.
 *
 * Mechanism (Intel SDM Vol. 3 5.8.4-5.8.6; Vol. 2, CALL and JMP): a far
 * CALL or JMP whose selector names a call gate goes to the gate's
 * selector:offset; the instruction's own offset is ignored.  The CPU
 * checks, in this order:
 *
 *   the gate     DPL >= CPL and DPL >= the selector's RPL  else #GP(gate)
 *                present                                   else #NP(gate)
 *   its target   not null                                  else #GP(0)
 *                a code segment in the tables              else #GP(target)
 *                CALL: DPL <= CPL; JMP: DPL == CPL, or
 *                DPL <= CPL if conforming                  else #GP(target)
 *                present                                   else #NP(target)
 *
 * A CALL to a non-conforming segment of lower DPL changes privilege: the
 * stack for the new ring comes from the current TSS (beyond its limit:
 * #TS(TR); SS null, of another RPL or DPL, or not writable data:
 * #TS(SS); not present: #SS(SS)); on it the CPU pushes the caller's SS
 * and ESP, the gate's parameter count of dwords (words for a 16-bit gate)
 * copied from the caller's stack, then the caller's CS and EIP.  Any other
 * CALL through a gate pushes CS:EIP on the current stack, at the gate's
 * size; CS gets RPL = the new CPL.  A JMP through a gate never changes
 * privilege.  The gate's offset must lie within the target's limit, else
 * #GP(0).
 *
 * What we do differently: a call gate the CPU honoured would move guest
 * code between rings without the monitor seeing it (one naming the
 * monitor's ring-0 code selector is the classic escape), so no call gate
 * ever reaches the real GDT or LDT.  desc_compress() keeps the guest's gate
 * in the copy the monitor consults, and the real table holds a null
 * descriptor at its index (vdesc.c): a far CALL or JMP through it raises
 * #GP(selector), and lands here.  The monitor then does what the CPU would
 * have done, with the copy's descriptors (ring-compressed: DPL 0 reads 1,
 * so every check is against the guest's ring as it runs, exactly as the
 * monitor's other checks are) and the guest's own TSS.  The target is
 * always looked up in the guest's tables (guest_segment): a selector of
 * the monitor's is beyond them and gets the #GP(target) of a CPU whose GDT
 * ends there.  The CS pushed is the one the guest expects (its kernel's
 * with RPL 0, vcpu_guest_cs), so its far RET back traps and is emulated
 * like any other (emul.c, far_return).  Under ring=3 a far CALL or JMP
 * straight to kernel code the monitor hides (its conforming code while the
 * kernel runs, its other code while it runs conforming code; vdesc.c) is
 * emulated here too (to_hidden_code).  Any other far CALL or JMP that
 * faulted raised the CPU's own #GP, which the guest gets as is.
 *
 * Guest memory is touched through gva_read/gva_write only; every fault
 * leaves the guest's registers as they were (the CALL restarts), as the
 * CPU's checks and pushes do.
 */
#include "emul.h"
#include "guest.h"
#include "reflect.h"
#include "monitor/x86.h"

#define GATE_PARAMS_MAX 0x1Fu              /* a 5-bit count */
#define GATE_FRAME_MAX  (2u + GATE_PARAMS_MAX + 2u)     /* SS, ESP, parameters, CS, EIP */

/* What a CALL or JMP through gate g goes to: the code segment, its
 * selector as the gate names it, the CPL it runs at, the offset. */
struct gate_target {
	struct segdesc cs;
	uint16_t sel;
	unsigned cpl;
	uint32_t eip;
	unsigned size;          /* 4 for a 32-bit gate, 2 for a 16-bit one */
};

/* The far pointer of a far CALL or JMP: ptr16:16/32 in the instruction,
 * or m16:16/32 in memory (the selector after the offset; the offset is
 * zero-extended).  EMUL_NEXT or the fault injected. */
static enum emul_result far_pointer(struct vcpu *v, const struct insn *in, uint16_t *sel,
				    uint32_t *off)
{
	struct gva_fault f;
	uint32_t addr;
	uint8_t ptr[6];

	if (!in->has_mem) {
		*sel = vdesc_kernel_target(v, (uint16_t)in->imm2);
		*off = in->imm;
		return EMUL_NEXT;
	}
	if (emul_operand(v, in, &addr) != EMUL_NEXT)
		return EMUL_FAULTED;
	enum gva_result r = gva_read(v, addr, ptr, in->opsize + 2u,
				     vcpu_cpl(v) == 3 ? GVA_USER : 0, &f);
	if (r != GVA_OK)
		return emul_mem_fault(v, r, &f);
	*off = 0;
	for (unsigned b = 0; b < in->opsize; b++)	/* bound: opsize, at most 4 bytes */
		*off |= (uint32_t)ptr[b] << (8 * b);
	*sel = vdesc_kernel_target(v, (uint16_t)(ptr[in->opsize] | ptr[in->opsize + 1] << 8));
	return EMUL_NEXT;
}

/* The gate's checks and its target's; EMUL_NEXT with *t filled, or the
 * fault injected.  cpl and every DPL are ring-compressed (see the header). */
static enum emul_result check_gate(struct vcpu *v, uint16_t sel, struct segdesc g, bool call,
				   struct gate_target *t)
{
	unsigned cpl = v->tf.cs & 3, rpl = SEL_RPL(sel_compress(sel));

	if (DESC_DPL(g) < cpl || DESC_DPL(g) < rpl)
		return emul_fault(v, T_GP, sel & ~3u);
	if (!DESC_P(g))
		return emul_fault(v, T_NP, sel & ~3u);
	t->sel = gate_selector(g);
	if ((t->sel & ~3u) == 0)
		return emul_fault(v, T_GP, 0);
	uint32_t err = t->sel & ~3u;
	struct segdesc *cs = &t->cs;
	if (guest_segment(v, t->sel, cs) < 0 || !DESC_S(*cs) || !(DESC_TYPE(*cs) & SEG_T_CODE))
		return emul_fault(v, T_GP, err);
	unsigned dpl = DESC_DPL(*cs);
	bool conforming = (DESC_TYPE(*cs) & SEG_T_C) != 0;
	if (call || conforming ? dpl > cpl : dpl != cpl)
		return emul_fault(v, T_GP, err);
	if (!DESC_P(*cs))
		return emul_fault(v, T_NP, err);
	t->cpl = call && !conforming ? dpl : cpl;   /* conforming, or a JMP: CPL stays */
	t->size = DESC_TYPE(g) == SYS_T_CALL32 ? 4 : 2;
	t->eip = t->size == 4 ? gate_offset(g) : gate_offset(g) & 0xFFFFu;
	return EMUL_NEXT;
}

/* The gate's offset must lie within its code segment. */
static enum emul_result check_limit(struct vcpu *v, const struct gate_target *t)
{
	return t->eip > desc_limit(t->cs) ? emul_fault(v, T_GP, 0) : EMUL_NEXT;
}

/* The inner stack for ring t->cpl from the guest's TSS, checked as the CPU
 * checks it: *ss (ring-compressed) and *esp, or the fault injected. */
static enum emul_result inner_stack(struct vcpu *v, const struct gate_target *t, uint32_t *ss,
				    uint32_t *esp)
{
	struct guest_fault f = { 0, 0, 0 };

	if (tss_inner_stack(v, t->cpl, ss, esp, &f) < 0) {
		if (f.vector == T_PF)
			reflect_pf(v, f.cr2, f.err);
		else
			reflect(v, f.vector, EV_FAULT, f.err);
		return EMUL_FAULTED;
	}
	uint32_t err = *ss & ~3u;
	if (SEL_RPL(*ss) != t->cpl)
		return emul_fault(v, T_TS, err);
	switch (stack_sel_check(v, (uint16_t)*ss)) {    /* null, DPL, type */
	case 0: return EMUL_NEXT;
	case T_SS: return emul_fault(v, T_SS, err);
	default: return emul_fault(v, T_TS, err);
	}
}

/* Writes vals[0..n) (vals[0] at the lowest address: the last pushed) of
 * size bytes each below esp on stack ss, as the CPU's pushes do; the new
 * ESP in *esp.  EMUL_NEXT or the fault injected (nothing written). */
static enum emul_result push_frame(struct vcpu *v, uint32_t ss, uint32_t *esp, unsigned cpl,
				   const uint32_t *vals, unsigned n, unsigned size)
{
	uint8_t bytes[GATE_FRAME_MAX * 4];
	struct gva_fault f;
	uint32_t mask = stack_mask(v, (uint16_t)ss);   /* a 16-bit stack moves SP only */
	uint32_t new_esp = stack_move(*esp, mask, -(n * size));

	/* bound: n <= GATE_FRAME_MAX values x size <= 4 bytes */
	for (unsigned i = 0; i < n; i++)
		for (unsigned b = 0; b < size; b++)
			bytes[i * size + b] = (uint8_t)(vals[i] >> (8 * b));
	enum gva_result r = gva_write(v, segment_base(v, (uint16_t)ss) + (new_esp & mask), bytes,
				      n * size, cpl == 3 ? GVA_USER : 0, &f);
	if (r != GVA_OK)
		return emul_mem_fault(v, r, &f);
	*esp = new_esp;
	return EMUL_NEXT;
}

/* The gate's parameters from the caller's stack, into vals[0..count):
 * the one at the caller's ESP first. */
static enum emul_result read_params(struct vcpu *v, unsigned count, unsigned size,
				    uint32_t *vals)
{
	uint8_t bytes[GATE_PARAMS_MAX * 4];
	struct gva_fault f;
	uint32_t mask = stack_mask(v, (uint16_t)v->tf.ss);

	if (count == 0)
		return EMUL_NEXT;
	enum gva_result r = gva_read(v, segment_base(v, (uint16_t)v->tf.ss) + (v->tf.esp & mask),
				     bytes, count * size, 0, &f);
	if (r != GVA_OK)
		return emul_mem_fault(v, r, &f);
	for (unsigned i = 0; i < count; i++) {	/* bound: count <= GATE_PARAMS_MAX parameters */
		vals[i] = 0;
		for (unsigned b = 0; b < size; b++)	/* bound: size, at most 4 bytes */
			vals[i] |= (uint32_t)bytes[i * size + b] << (8 * b);
	}
	return EMUL_NEXT;
}

/* CALL through the gate to a more privileged ring: the new stack gets
 * (from the top) the caller's SS and ESP, the parameters, CS and EIP. */
static enum emul_result call_inner(struct vcpu *v, const struct insn *in, struct segdesc g,
				   const struct gate_target *t)
{
	uint32_t vals[GATE_FRAME_MAX], ss, esp;
	unsigned count = GATE_PARAMS(g), n = 0;
	enum emul_result r = inner_stack(v, t, &ss, &esp);

	if (r == EMUL_NEXT)
		r = check_limit(v, t);
	if (r != EMUL_NEXT)
		return r;
	vals[n++] = v->tf.eip + in->len;
	vals[n++] = vcpu_guest_cs(v->tf.cs) & 0xFFFFu;
	r = read_params(v, count, t->size, vals + n);
	if (r != EMUL_NEXT)
		return r;
	n += count;
	vals[n++] = v->tf.esp;
	vals[n++] = v->tf.ss & 0xFFFFu;
	r = push_frame(v, ss, &esp, t->cpl, vals, n, t->size);
	if (r != EMUL_NEXT)
		return r;
	v->tf.ss = ss;
	v->tf.esp = esp;
	return EMUL_JUMPED;
}

/* CALL through the gate in the same ring (a conforming target, or one of
 * the caller's DPL): CS and EIP on the current stack. */
static enum emul_result call_same(struct vcpu *v, const struct insn *in,
				  const struct gate_target *t)
{
	uint32_t vals[2] = { v->tf.eip + in->len, vcpu_guest_cs(v->tf.cs) & 0xFFFFu };
	uint32_t esp = v->tf.esp;
	enum emul_result r = check_limit(v, t);

	if (r == EMUL_NEXT)
		r = push_frame(v, v->tf.ss, &esp, t->cpl, vals, 2, t->size);
	if (r != EMUL_NEXT)
		return r;
	v->tf.esp = esp;
	return EMUL_JUMPED;
}

/* Loads CS:EIP of the target: the transfer is done. */
static enum emul_result land(struct vcpu *v, const struct gate_target *t)
{
	v->tf.cs = (t->sel & ~3u) | t->cpl;
	v->tf.eip = t->eip;
	v->tf.eflags &= ~FL_RF;         /* the instruction completed */
	return EMUL_JUMPED;
}

/* A far CALL or JMP straight to kernel code the real tables hide
 * (ring=3, vdesc.c: its conforming code while the kernel runs, its other
 * code while it runs conforming code): what the CPU does, from the copy.
 * Conforming: DPL <= CPL; otherwise RPL <= CPL and DPL == CPL; else
 * #GP(selector) (the segment is present: it would not be hidden
 * otherwise); the offset within the limit, else #GP(0).  The CPL stays,
 * and is CS's RPL; a CALL pushes CS (the guest's, vcpu_guest_cs) and EIP
 * at the operand size. */
static enum emul_result to_hidden_code(struct vcpu *v, const struct insn *in, uint16_t sel,
				       uint32_t off, bool call)
{
	struct gate_target t = { .sel = sel, .cpl = v->tf.cs & 3, .size = in->opsize };

	if (guest_segment(v, sel, &t.cs) < 0)
		return emul_fault(v, T_GP, sel & ~3u);
	unsigned dpl = DESC_DPL(t.cs);
	bool conforming = (DESC_TYPE(t.cs) & SEG_T_C) != 0;
	if (conforming ? dpl > t.cpl : SEL_RPL(sel_compress(sel)) > t.cpl || dpl != t.cpl)
		return emul_fault(v, T_GP, sel & ~3u);
	t.eip = in->opsize == 4 ? off : off & 0xFFFFu;
	enum emul_result r = call ? call_same(v, in, &t) : check_limit(v, &t);
	return r == EMUL_FAULTED ? r : land(v, &t);
}

/* A far CALL or JMP that raised #GP: through one of the guest's call
 * gates, or to kernel code the monitor hides (both emulated), or the
 * CPU's own #GP. */
static enum emul_result far_transfer(struct vcpu *v, const struct insn *in, bool call)
{
	struct segdesc g;
	struct gate_target t;
	uint16_t sel = 0;
	uint32_t off = 0;
	enum emul_result r = far_pointer(v, in, &sel, &off);

	if (r != EMUL_NEXT)
		return r;
	if (vdesc_hidden_kernel_code(sel))
		return to_hidden_code(v, in, sel, off, call);
	if (guest_segment(v, sel, &g) < 0 || !desc_is_call_gate(g))
		return emul_fault(v, T_GP, v->tf.err);  /* the CPU's fault, as it came */
	r = check_gate(v, sel, g, call, &t);
	if (r != EMUL_NEXT)
		return r;
	if (!call)
		r = check_limit(v, &t);
	else if (t.cpl < (v->tf.cs & 3))
		r = call_inner(v, in, g, &t);
	else
		r = call_same(v, in, &t);
	return r == EMUL_FAULTED ? r : land(v, &t);
}

enum emul_result emul_call_far(struct vcpu *v, const struct insn *in)
{
	return far_transfer(v, in, true);
}

enum emul_result emul_jmp_far(struct vcpu *v, const struct insn *in)
{
	return far_transfer(v, in, false);
}
