/*
 * memop.c - finish a guest instruction whose memory operand the monitor
 * must perform itself: a write to a page table the shadow MMU
 * write-protects (emul_pt_write, shadow=cached), or any access to a
 * device's memory-mapped registers (emul_mmio).
 *
 * Mechanism: the shadow maps every guest page directory and page table
 * read-only, and never maps a device's guest-physical range at all, so the
 * guest's access raises #PF before anything changes: the instruction has
 * not happened, and its EIP is the faulting one.  The monitor decodes it
 * with the shared decoder and does what the CPU would have done (the
 * memory access, the registers, the arithmetic flags), with the memory
 * operand going through a backend (struct memop_ops): guest memory through
 * gva_read/gva_write, which tell the shadow MMU which guest entries
 * changed, or a device model.  The forms a kernel uses:
 *
 *   MOV       88/89 r/m,r   C6/C7 r/m,imm   A2/A3 moffs,AL/eAX
 *             8A/8B r,r/m   A0/A1 AL/eAX,moffs                   (reads)
 *   MOVZX/SX  0F B6/B7/BE/BF r,r/m8/16                           (reads)
 *   TEST      84/85 r/m,r   F6/F7 /0 r/m,imm                     (reads)
 *   CMP       38/39 r/m,r   3A/3B r,r/m   80-83 /7 r/m,imm       (reads)
 *   XCHG      86/87 r/m,r (locked by the CPU whether or not LOCK is given)
 *   CMPXCHG   0F B0/B1      CMPXCHG8B 0F C7 /1      XADD 0F C0/C1
 *   ALU       ADD OR ADC SBB AND SUB XOR: 00-31 r/m,r and 80/81/83 r/m,imm,
 *             and r,r/m (a read)
 *   BTS/BTR/BTC  0F AB/B3/BB r/m,r (a bit string)   0F BA /5-7 r/m,imm8
 *   BT        0F A3, 0F BA /4                                    (reads)
 *   INC/DEC   FE/FF /0 /1       NOT/NEG  F6/F7 /2 /3
 *   SHL/SHR/SAR  C0/C1 (imm8), D0/D1 (1), D2/D3 (CL) /4 /5 /7 (/6, SAL, is SHL)
 *   STOS      AA/AB ES:[EDI]        MOVS A4/A5 ES:[EDI] <- seg:[ESI]
 *
 * at any width (byte, word with 66, dword; qword for CMPXCHG8B) and with a
 * LOCK prefix where the CPU accepts one.  On one CPU the emulation is as
 * atomic as the locked instruction.  REP STOS/MOVS are done one element
 * per fault, registers updated as the CPU does between iterations, so a
 * long fill of a page that has stopped being a page table soon trips the
 * unprotect heuristic (cached.c) and the rest runs natively.
 *
 * Page-table writes take only the forms that write memory; MMIO takes all
 * but the string forms.  Any other instruction (a PUSH or CALL with the
 * stack in a page table, a rotate, SHLD/SHRD, SETcc, an x87 or SSE store)
 * is EMUL_REFUSED with nothing changed: for a page table the dispatcher then releases the frame from
 * protection and lets the guest run it; for a device the guest ends.
 */
#include "emul.h"
#include "memop.h"
#include "guest.h"
#include "monitor/x86.h"
#include "virtdev/vio.h"

/* General register n at this width: for bytes, 0-3 are AL CL DL BL and
 * 4-7 are AH CH DH BH. */
static uint32_t reg_get(struct vcpu *v, unsigned n, unsigned width)
{
	if (width == 1)
		return (*vcpu_gpr(v, n & 3) >> (n & 4 ? 8 : 0)) & 0xFF;
	return *vcpu_gpr(v, n) & vio_size_mask(width);
}

static void reg_set(struct vcpu *v, unsigned n, unsigned width, uint32_t val)
{
	if (width == 1) {
		unsigned shift = n & 4 ? 8 : 0;
		uint32_t *r = vcpu_gpr(v, n & 3);
		*r = (*r & ~(0xFFu << shift)) | (val & 0xFF) << shift;
		return;
	}
	uint32_t m = vio_size_mask(width), *r = vcpu_gpr(v, n);
	*r = (*r & ~m) | (val & m);
}

/* ---- arithmetic flags ---- */

static bool parity_even(uint32_t x)
{
	x &= 0xFF;
	x ^= x >> 4;
	x ^= x >> 2;
	x ^= x >> 1;
	return !(x & 1);
}

/* a op b (with carry-in for ADC/SBB) at this width; sets the six
 * arithmetic flags in v as the CPU does (AF cleared for logic ops). */
static uint32_t alu(struct vcpu *v, enum insn_kind op, uint32_t a, uint32_t b, unsigned width)
{
	unsigned bits = 8 * width;
	uint32_t m = vio_size_mask(width), top = 1u << (bits - 1), cin = v->tf.eflags & FL_CF;
	uint64_t wide;
	uint32_t res, fl = 0;

	a &= m;
	b &= m;
	switch (op) {
	case INSN_ADD: case INSN_ADC:
		wide = (uint64_t)a + b + (op == INSN_ADC ? cin : 0);
		res = (uint32_t)wide & m;
		fl |= (wide >> bits) & 1 ? FL_CF : 0;
		fl |= ((a ^ res) & (b ^ res) & top) ? FL_OF : 0;
		fl |= ((a ^ b ^ res) & 0x10) ? FL_AF : 0;
		break;
	case INSN_SUB: case INSN_SBB: case INSN_CMP:
		wide = (uint64_t)b + (op == INSN_SBB ? cin : 0);
		res = (uint32_t)((uint64_t)a - wide) & m;
		fl |= (uint64_t)a < wide ? FL_CF : 0;
		fl |= ((a ^ b) & (a ^ res) & top) ? FL_OF : 0;
		fl |= ((a ^ b ^ res) & 0x10) ? FL_AF : 0;
		break;
	case INSN_AND:
		res = a & b;
		break;
	case INSN_OR:
		res = a | b;
		break;
	default:        /* INSN_XOR */
		res = a ^ b;
		break;
	}
	fl |= res == 0 ? FL_ZF : 0;
	fl |= res & top ? FL_SF : 0;
	fl |= parity_even(res) ? FL_PF : 0;
	v->tf.eflags = (v->tf.eflags & ~FL_ARITH) | fl;
	return res;
}

/* ---- memory: through the backend ---- */

#define M_READ(m, v, addr, buf, n)                                               \
	do {                                                                     \
		enum emul_result r_ = (m)->read(v, (m)->ctx, addr, buf, n);      \
		if (r_ != EMUL_NEXT)                                             \
			return r_;                                               \
	} while (0)

static enum emul_result m_write(const struct memop_ops *m, struct vcpu *v, uint32_t addr,
				const void *buf, unsigned n)
{
	return m->write(v, m->ctx, addr, buf, n);
}

/* Read-modify-write of in's memory operand: *old gets the value read; the
 * caller computes the new one. */
#define RMW_READ(m, v, addr, in, old) M_READ(m, v, addr, old, (in)->width)

/* The value a MOV stores. */
static uint32_t mov_source(struct vcpu *v, const struct insn *in)
{
	if (in->opcode == 0xC6 || in->opcode == 0xC7)
		return in->imm;
	if (in->opcode == 0xA2 || in->opcode == 0xA3)
		return reg_get(v, GPR_EAX, in->width);
	return reg_get(v, in->reg, in->width);
}

static enum emul_result op_mov(const struct memop_ops *m, struct vcpu *v, const struct insn *in,
			       uint32_t addr)
{
	uint32_t val = mov_source(v, in) & vio_size_mask(in->width);
	return m_write(m, v, addr, &val, in->width);
}

static enum emul_result op_xchg(const struct memop_ops *m, struct vcpu *v, const struct insn *in,
				uint32_t addr)
{
	uint32_t old = 0, val = reg_get(v, in->reg, in->width);
	RMW_READ(m, v, addr, in, &old);
	enum emul_result r = m_write(m, v, addr, &val, in->width);
	if (r == EMUL_NEXT)
		reg_set(v, in->reg, in->width, old);
	return r;
}

/* Compare the accumulator with the operand; equal: store the source,
 * ZF = 1; else load the accumulator, ZF = 0.  The CPU writes the operand
 * either way (its old value back when they differ). */
static enum emul_result op_cmpxchg(const struct memop_ops *m, struct vcpu *v,
				   const struct insn *in, uint32_t addr)
{
	uint32_t old = 0, acc = reg_get(v, GPR_EAX, in->width), flags = v->tf.eflags;
	RMW_READ(m, v, addr, in, &old);
	alu(v, INSN_CMP, acc, old, in->width);
	bool equal = (v->tf.eflags & FL_ZF) != 0;
	uint32_t val = equal ? reg_get(v, in->reg, in->width) : old;
	enum emul_result r = m_write(m, v, addr, &val, in->width);
	if (r != EMUL_NEXT)
		v->tf.eflags = flags;   /* a faulting instruction changes nothing */
	else if (!equal)
		reg_set(v, GPR_EAX, in->width, old);
	return r;
}

static enum emul_result op_cmpxchg8b(const struct memop_ops *m, struct vcpu *v,
				     const struct insn *in, uint32_t addr)
{
	uint32_t old[2], val[2];
	RMW_READ(m, v, addr, in, old);
	bool equal = old[0] == v->tf.eax && old[1] == v->tf.edx;
	val[0] = equal ? v->tf.ebx : old[0];
	val[1] = equal ? v->tf.ecx : old[1];
	enum emul_result r = m_write(m, v, addr, val, 8);
	if (r != EMUL_NEXT)
		return r;
	v->tf.eflags = equal ? v->tf.eflags | FL_ZF : v->tf.eflags & ~FL_ZF;
	if (!equal) {
		v->tf.eax = old[0];
		v->tf.edx = old[1];
	}
	return EMUL_NEXT;
}

static enum emul_result op_xadd(const struct memop_ops *m, struct vcpu *v, const struct insn *in,
				uint32_t addr)
{
	uint32_t old = 0, src = reg_get(v, in->reg, in->width);
	uint32_t flags = v->tf.eflags;
	RMW_READ(m, v, addr, in, &old);
	uint32_t sum = alu(v, INSN_ADD, old, src, in->width);
	enum emul_result r = m_write(m, v, addr, &sum, in->width);
	if (r != EMUL_NEXT) {
		v->tf.eflags = flags;
		return r;
	}
	reg_set(v, in->reg, in->width, old);
	return EMUL_NEXT;
}

/* ADD/OR/ADC/SBB/AND/SUB/XOR with a memory destination. */
static enum emul_result op_alu(const struct memop_ops *m, struct vcpu *v, const struct insn *in,
			       uint32_t addr)
{
	bool imm = in->opcode >= 0x80 && in->opcode <= 0x83;
	uint32_t old = 0, src = imm ? in->imm : reg_get(v, in->reg, in->width);
	uint32_t flags = v->tf.eflags;
	RMW_READ(m, v, addr, in, &old);
	uint32_t res = alu(v, in->kind, old, src, in->width);
	enum emul_result r = m_write(m, v, addr, &res, in->width);
	if (r != EMUL_NEXT)
		v->tf.eflags = flags;   /* a faulting instruction changes nothing */
	return r;
}

/* INC, DEC (CF kept), NEG (CF = operand != 0) and NOT (no flags). */
static enum emul_result op_unary(const struct memop_ops *m, struct vcpu *v,
				 const struct insn *in, uint32_t addr)
{
	uint32_t old = 0, res, flags = v->tf.eflags;
	RMW_READ(m, v, addr, in, &old);
	switch (in->kind) {
	case INSN_INC:
		res = alu(v, INSN_ADD, old, 1, in->width);
		v->tf.eflags = (v->tf.eflags & ~FL_CF) | (flags & FL_CF);
		break;
	case INSN_DEC:
		res = alu(v, INSN_SUB, old, 1, in->width);
		v->tf.eflags = (v->tf.eflags & ~FL_CF) | (flags & FL_CF);
		break;
	case INSN_NEG:
		res = alu(v, INSN_SUB, 0, old, in->width);
		break;
	default:        /* INSN_NOT */
		res = ~old & vio_size_mask(in->width);
		break;
	}
	enum emul_result r = m_write(m, v, addr, &res, in->width);
	if (r != EMUL_NEXT)
		v->tf.eflags = flags;   /* a faulting instruction changes nothing */
	return r;
}

#define SHIFT_COUNT_MASK 0x1Fu  /* the CPU uses the count's low 5 bits */

/* The count of a shift: an immediate (C0/C1), 1 (D0/D1) or CL (D2/D3). */
static unsigned shift_count(const struct vcpu *v, const struct insn *in)
{
	uint32_t c = in->opcode <= 0xC1 ? in->imm : in->opcode <= 0xD1 ? 1 : v->tf.ecx;
	return c & SHIFT_COUNT_MASK;
}

/* SHL, SHR, SAR of a memory operand.  A count of 0 (after the mask)
 * changes nothing: no flags, and no write (the CPU's write would store the
 * same value; to a device register that write would not be harmless).
 * CF is the last bit shifted out (0 once the count passes the width), SF,
 * ZF and PF follow the result; OF, which the SDM defines for a count of 1
 * only (SHL: MSB(result) XOR CF, SHR: MSB(operand), SAR: 0), is MSB(operand
 * XOR result) for SHL and SHR at every count, as those formulas give for 1;
 * AF, undefined, is cleared. */
static enum emul_result op_shift(const struct memop_ops *m, struct vcpu *v,
				 const struct insn *in, uint32_t addr)
{
	unsigned bits = 8 * in->width, c = shift_count(v, in);
	uint32_t mask = vio_size_mask(in->width), top = 1u << (bits - 1);
	uint32_t old = 0, res, cf, flags = v->tf.eflags;
	RMW_READ(m, v, addr, in, &old);
	if (c == 0)
		return EMUL_NEXT;
	old &= mask;
	if (in->kind == INSN_SHL) {
		res = (uint32_t)((uint64_t)old << c) & mask;
		cf = c <= bits ? (old >> (bits - c)) & 1 : 0;
	} else if (in->kind == INSN_SHR) {
		res = old >> c;                 /* c < 32: defined in C */
		cf = c <= bits ? (old >> (c - 1)) & 1 : 0;
	} else {                                /* SAR: the sign fills in */
		int32_t sx = (int32_t)(old << (32 - bits)) >> (32 - bits);
		res = (uint32_t)(sx >> c) & mask;
		cf = (uint32_t)(sx >> (c - 1)) & 1;
	}
	uint32_t fl = cf ? FL_CF : 0;
	if (in->kind != INSN_SAR && ((old ^ res) & top))
		fl |= FL_OF;
	fl |= res == 0 ? FL_ZF : 0;
	fl |= res & top ? FL_SF : 0;
	fl |= parity_even(res) ? FL_PF : 0;
	v->tf.eflags = (v->tf.eflags & ~FL_ARITH) | fl;
	enum emul_result r = m_write(m, v, addr, &res, in->width);
	if (r != EMUL_NEXT)
		v->tf.eflags = flags;
	return r;
}

/* One element of STOS or MOVS; with REP, EMUL_JUMPED while more remain. */
static enum emul_result op_string(const struct memop_ops *m, struct vcpu *v,
				  const struct insn *in)
{
	uint32_t amask = in->addrsize == 2 ? 0xFFFFu : 0xFFFFFFFFu, val = 0;
	uint32_t step = (v->tf.eflags & FL_DF) ? -(uint32_t)in->width : in->width;
	bool rep = in->rep != REP_NONE;
	enum emul_result r;

	if (rep && (v->tf.ecx & amask) == 0)
		return EMUL_NEXT;       /* nothing to do (and nothing faulted) */
	if (in->kind == INSN_MOVS) {
		M_READ(m, v, segment_base(v, sreg_value(v, in->seg)) + (v->tf.esi & amask),
		       &val, in->width);
	} else {
		val = reg_get(v, GPR_EAX, in->width);
	}
	r = m_write(m, v, segment_base(v, (uint16_t)v->tf.es) + (v->tf.edi & amask), &val,
		    in->width);
	if (r != EMUL_NEXT)
		return r;
	v->tf.edi = (v->tf.edi & ~amask) | ((v->tf.edi + step) & amask);
	if (in->kind == INSN_MOVS)
		v->tf.esi = (v->tf.esi & ~amask) | ((v->tf.esi + step) & amask);
	if (!rep)
		return EMUL_NEXT;
	v->tf.ecx = (v->tf.ecx & ~amask) | ((v->tf.ecx - 1) & amask);
	return (v->tf.ecx & amask) ? EMUL_JUMPED : EMUL_NEXT;
}

/* ---- bit tests: BT, BTS, BTR, BTC ---- */

/* The bit string form (0F A3/AB/B3/BB, a register offset) addresses the
 * operand's word at addr + (offset >> 5) * 4 (signed; >> 4 and 2 bytes
 * with an o16 operand); the immediate form (0F BA) takes the offset
 * modulo the operand's width.  CF gets the bit's old value; BTS sets it,
 * BTR clears it, BTC flips it. */
static enum emul_result op_bit(const struct memop_ops *m, struct vcpu *v, const struct insn *in,
			       uint32_t addr)
{
	unsigned width = in->opsize, bits = 8 * width;
	uint32_t val = 0;

	if (in->opcode != 0xBA) {
		int32_t offset = (int32_t)reg_get(v, in->reg, width);
		if (width == 2)
			offset = (int16_t)offset;
		addr += (uint32_t)((offset >> (width == 2 ? 4 : 5)) * (int32_t)width);
	}
	uint32_t bit = (in->opcode == 0xBA ? in->imm : reg_get(v, in->reg, width)) & (bits - 1);
	M_READ(m, v, addr, &val, width);
	bool old = (val >> bit) & 1;
	uint32_t nv = in->kind == INSN_BTS ? val | (1u << bit)
		    : in->kind == INSN_BTR ? val & ~(1u << bit)
		    : in->kind == INSN_BTC ? val ^ (1u << bit) : val;
	if (in->kind != INSN_BT) {
		enum emul_result r = m_write(m, v, addr, &nv, width);
		if (r != EMUL_NEXT)
			return r;
	}
	v->tf.eflags = (v->tf.eflags & ~FL_CF) | (old ? FL_CF : 0);
	return EMUL_NEXT;
}

/* ---- the read forms (MMIO) ---- */

/* MOV r,m; MOV AL/eAX,moffs. */
static enum emul_result op_load(const struct memop_ops *m, struct vcpu *v, const struct insn *in,
				uint32_t addr)
{
	uint32_t val = 0;
	unsigned reg = (in->opcode == 0xA0 || in->opcode == 0xA1) ? GPR_EAX : in->reg;
	M_READ(m, v, addr, &val, in->width);
	reg_set(v, reg, in->width, val);
	return EMUL_NEXT;
}

/* MOVZX/MOVSX r,m8/m16 (0F B6/BE: a byte, B7/BF: a word). */
static enum emul_result op_load_extend(const struct memop_ops *m, struct vcpu *v,
				       const struct insn *in, uint32_t addr)
{
	unsigned src = (in->opcode & 1) ? 2 : 1;
	uint32_t val = 0, top = 1u << (8 * src - 1);
	M_READ(m, v, addr, &val, src);
	if (in->kind == INSN_MOVSX && (val & top))
		val |= ~vio_size_mask(src);
	reg_set(v, in->reg, in->opsize, val);
	return EMUL_NEXT;
}

/* TEST and CMP with a memory operand: flags only.  CMP r,m (3A/3B) has
 * the register first; every other form has memory first. */
static enum emul_result op_compare(const struct memop_ops *m, struct vcpu *v,
				   const struct insn *in, uint32_t addr)
{
	bool imm = in->opcode == 0xF6 || in->opcode == 0xF7 || (in->opcode >= 0x80 && in->opcode <= 0x83);
	uint32_t mem = 0, other = imm ? in->imm : reg_get(v, in->reg, in->width);
	M_READ(m, v, addr, &mem, in->width);
	if (in->kind == INSN_TEST)
		alu(v, INSN_AND, mem, other, in->width);
	else if (in->opcode == 0x3A || in->opcode == 0x3B)
		alu(v, INSN_CMP, other, mem, in->width);
	else
		alu(v, INSN_CMP, mem, other, in->width);
	return EMUL_NEXT;
}

/* ADD..XOR r,m: the register is the destination. */
static enum emul_result op_alu_load(const struct memop_ops *m, struct vcpu *v,
				    const struct insn *in, uint32_t addr)
{
	uint32_t mem = 0;
	M_READ(m, v, addr, &mem, in->width);
	reg_set(v, in->reg, in->width, alu(v, in->kind, reg_get(v, in->reg, in->width), mem,
					  in->width));
	return EMUL_NEXT;
}

/* An instruction whose memory operand is written. */
static enum emul_result op_store(const struct memop_ops *m, struct vcpu *v, const struct insn *in)
{
	uint32_t addr = emul_operand_addr(v, in);
	switch (in->kind) {
	case INSN_MOV:        return op_mov(m, v, in, addr);
	case INSN_XCHG:       return op_xchg(m, v, in, addr);
	case INSN_CMPXCHG:    return op_cmpxchg(m, v, in, addr);
	case INSN_CMPXCHG8B:  return op_cmpxchg8b(m, v, in, addr);
	case INSN_XADD:       return op_xadd(m, v, in, addr);
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR:
		return op_alu(m, v, in, addr);
	case INSN_BTS: case INSN_BTR: case INSN_BTC:
		return op_bit(m, v, in, addr);
	case INSN_INC: case INSN_DEC: case INSN_NOT: case INSN_NEG:
		return op_unary(m, v, in, addr);
	case INSN_SHL: case INSN_SHR: case INSN_SAR:
		return op_shift(m, v, in, addr);
	default:
		return EMUL_REFUSED;
	}
}

/* An instruction whose memory operand is only read. */
static enum emul_result op_load_any(const struct memop_ops *m, struct vcpu *v,
				    const struct insn *in)
{
	uint32_t addr = emul_operand_addr(v, in);
	switch (in->kind) {
	case INSN_MOV:        return op_load(m, v, in, addr);
	case INSN_MOVZX: case INSN_MOVSX:
		return op_load_extend(m, v, in, addr);
	case INSN_TEST: case INSN_CMP:
		return op_compare(m, v, in, addr);
	case INSN_BT:
		return op_bit(m, v, in, addr);
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR:
		return op_alu_load(m, v, in, addr);
	default:
		return EMUL_REFUSED;
	}
}

/* ---- the two users ---- */

static unsigned access(struct vcpu *v)
{
	return vcpu_cpl(v) == 3 ? GVA_USER : 0;
}

static enum emul_result gva_op_read(struct vcpu *v, void *ctx, uint32_t addr, void *buf,
				    unsigned n)
{
	struct gva_fault f;
	(void)ctx;
	enum gva_result r = gva_read(v, addr, buf, n, access(v), &f);
	return r == GVA_OK ? EMUL_NEXT : emul_mem_fault(v, r, &f);
}

static enum emul_result gva_op_write(struct vcpu *v, void *ctx, uint32_t addr, const void *buf,
				     unsigned n)
{
	struct gva_fault f;
	(void)ctx;
	enum gva_result r = gva_write(v, addr, buf, n, access(v), &f);
	return r == GVA_OK ? EMUL_NEXT : emul_mem_fault(v, r, &f);
}

static const struct memop_ops guest_memory = { gva_op_read, gva_op_write, 0 };

/* May a LOCK prefix precede it (with a memory destination)?  MOV, the
 * shifts and the string forms: #UD. */
static bool lockable(enum insn_kind k)
{
	switch (k) {
	case INSN_MOV: case INSN_STOS: case INSN_MOVS:
	case INSN_SHL: case INSN_SHR: case INSN_SAR:
		return false;
	default:
		return true;
	}
}

enum emul_result emul_pt_write(struct vcpu *v, const struct insn *in)
{
	bool string = in->kind == INSN_STOS || in->kind == INSN_MOVS;

	if (!string && !in->mem_dst)
		return EMUL_REFUSED;
	if (in->lock && !lockable(in->kind))
		return emul_fault(v, T_UD, 0);  /* LOCK MOV/STOS/MOVS/SHL... */
	if (string)
		return op_string(&guest_memory, v, in);
	return op_store(&guest_memory, v, in);
}

enum emul_result emul_memop(struct vcpu *v, const struct insn *in, const struct memop_ops *m)
{
	if (!in->has_mem || in->kind == INSN_STOS || in->kind == INSN_MOVS)
		return EMUL_REFUSED;
	if (in->lock && (!in->mem_dst || !lockable(in->kind)))
		return emul_fault(v, T_UD, 0);  /* LOCK on a read form, MOV, a shift */
	return in->mem_dst ? op_store(m, v, in) : op_load_any(m, v, in);
}
