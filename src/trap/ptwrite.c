/*
 * ptwrite.c - emul_pt_write: finish a guest instruction whose write hit a
 * page table the shadow MMU write-protects (shadow=cached).
 *
 * Mechanism: the shadow maps every guest page directory and page table
 * read-only, so the guest's store into one raises #PF (present, write)
 * before anything changes: the instruction has not happened, and its EIP
 * is the faulting one.  The monitor decodes it with the shared decoder and
 * does what the CPU would have done (the memory write, the registers, the
 * arithmetic flags), writing guest memory through gva_write(), which tells
 * the shadow MMU which guest entries changed.  The forms a kernel uses to
 * edit page tables:
 *
 *   MOV       88/89 r/m,r   C6/C7 r/m,imm   A2/A3 moffs,AL/eAX
 *   XCHG      86/87 r/m,r (locked by the CPU whether or not LOCK is given)
 *   CMPXCHG   0F B0/B1      CMPXCHG8B 0F C7 /1      XADD 0F C0/C1
 *   ALU       ADD OR ADC SBB AND SUB XOR: 00-31 r/m,r and 80/81/83 r/m,imm
 *   STOS      AA/AB ES:[EDI]        MOVS A4/A5 ES:[EDI] <- seg:[ESI]
 *
 * at any width (byte, word with 66, dword; qword for CMPXCHG8B) and with a
 * LOCK prefix where the CPU accepts one.  On one CPU the emulation is as
 * atomic as the locked instruction.  REP STOS/MOVS are done one element
 * per fault, registers updated as the CPU does between iterations, so a
 * long fill of a page that has stopped being a page table soon trips the
 * unprotect heuristic (cached.c) and the rest runs natively.
 *
 * Any other instruction (a PUSH or CALL with the stack in a page table, an
 * x87 or SSE store) is EMUL_REFUSED with nothing changed: the dispatcher
 * then releases the frame from protection and lets the guest run it.
 */
#include "emul.h"
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

/* ---- memory ---- */

static unsigned access(struct vcpu *v)
{
	return vcpu_cpl(v) == 3 ? GVA_USER : 0;
}

static enum emul_result mem_read(struct vcpu *v, uint32_t addr, void *buf, unsigned n)
{
	struct gva_fault f;
	enum gva_result r = gva_read(v, addr, buf, n, access(v), &f);
	return r == GVA_OK ? EMUL_NEXT : emul_mem_fault(v, r, &f);
}

static enum emul_result mem_write(struct vcpu *v, uint32_t addr, const void *buf, unsigned n)
{
	struct gva_fault f;
	enum gva_result r = gva_write(v, addr, buf, n, access(v), &f);
	return r == GVA_OK ? EMUL_NEXT : emul_mem_fault(v, r, &f);
}

/* Read-modify-write of in's memory operand: *old gets the value read; the
 * caller computes the new one. */
#define RMW_READ(v, addr, in, old)                                              \
	do {                                                                    \
		enum emul_result r_ = mem_read(v, addr, old, (in)->width);      \
		if (r_ != EMUL_NEXT)                                            \
			return r_;                                              \
	} while (0)

/* The value a MOV stores. */
static uint32_t mov_source(struct vcpu *v, const struct insn *in)
{
	if (in->opcode == 0xC6 || in->opcode == 0xC7)
		return in->imm;
	if (in->opcode == 0xA2 || in->opcode == 0xA3)
		return reg_get(v, GPR_EAX, in->width);
	return reg_get(v, in->reg, in->width);
}

static enum emul_result pt_mov(struct vcpu *v, const struct insn *in, uint32_t addr)
{
	uint32_t val = mov_source(v, in) & vio_size_mask(in->width);
	return mem_write(v, addr, &val, in->width);
}

static enum emul_result pt_xchg(struct vcpu *v, const struct insn *in, uint32_t addr)
{
	uint32_t old = 0, val = reg_get(v, in->reg, in->width);
	RMW_READ(v, addr, in, &old);
	enum emul_result r = mem_write(v, addr, &val, in->width);
	if (r == EMUL_NEXT)
		reg_set(v, in->reg, in->width, old);
	return r;
}

/* Compare the accumulator with the operand; equal: store the source,
 * ZF = 1; else load the accumulator, ZF = 0.  The CPU writes the operand
 * either way (its old value back when they differ). */
static enum emul_result pt_cmpxchg(struct vcpu *v, const struct insn *in, uint32_t addr)
{
	uint32_t old = 0, acc = reg_get(v, GPR_EAX, in->width), flags = v->tf.eflags;
	RMW_READ(v, addr, in, &old);
	alu(v, INSN_CMP, acc, old, in->width);
	bool equal = (v->tf.eflags & FL_ZF) != 0;
	uint32_t val = equal ? reg_get(v, in->reg, in->width) : old;
	enum emul_result r = mem_write(v, addr, &val, in->width);
	if (r != EMUL_NEXT)
		v->tf.eflags = flags;   /* a faulting instruction changes nothing */
	else if (!equal)
		reg_set(v, GPR_EAX, in->width, old);
	return r;
}

static enum emul_result pt_cmpxchg8b(struct vcpu *v, const struct insn *in, uint32_t addr)
{
	uint32_t old[2], val[2];
	RMW_READ(v, addr, in, old);
	bool equal = old[0] == v->tf.eax && old[1] == v->tf.edx;
	val[0] = equal ? v->tf.ebx : old[0];
	val[1] = equal ? v->tf.ecx : old[1];
	enum emul_result r = mem_write(v, addr, val, 8);
	if (r != EMUL_NEXT)
		return r;
	v->tf.eflags = equal ? v->tf.eflags | FL_ZF : v->tf.eflags & ~FL_ZF;
	if (!equal) {
		v->tf.eax = old[0];
		v->tf.edx = old[1];
	}
	return EMUL_NEXT;
}

static enum emul_result pt_xadd(struct vcpu *v, const struct insn *in, uint32_t addr)
{
	uint32_t old = 0, src = reg_get(v, in->reg, in->width);
	uint32_t flags = v->tf.eflags;
	RMW_READ(v, addr, in, &old);
	uint32_t sum = alu(v, INSN_ADD, old, src, in->width);
	enum emul_result r = mem_write(v, addr, &sum, in->width);
	if (r != EMUL_NEXT) {
		v->tf.eflags = flags;
		return r;
	}
	reg_set(v, in->reg, in->width, old);
	return EMUL_NEXT;
}

/* ADD/OR/ADC/SBB/AND/SUB/XOR with a memory destination. */
static enum emul_result pt_alu(struct vcpu *v, const struct insn *in, uint32_t addr)
{
	bool imm = in->opcode >= 0x80 && in->opcode <= 0x83;
	uint32_t old = 0, src = imm ? in->imm : reg_get(v, in->reg, in->width);
	uint32_t flags = v->tf.eflags;
	RMW_READ(v, addr, in, &old);
	uint32_t res = alu(v, in->kind, old, src, in->width);
	enum emul_result r = mem_write(v, addr, &res, in->width);
	if (r != EMUL_NEXT)
		v->tf.eflags = flags;   /* a faulting instruction changes nothing */
	return r;
}

/* One element of STOS or MOVS; with REP, EMUL_JUMPED while more remain. */
static enum emul_result pt_string(struct vcpu *v, const struct insn *in)
{
	uint32_t amask = in->addrsize == 2 ? 0xFFFFu : 0xFFFFFFFFu, val = 0;
	uint32_t step = (v->tf.eflags & FL_DF) ? -(uint32_t)in->width : in->width;
	bool rep = in->rep != REP_NONE;
	enum emul_result r;

	if (rep && (v->tf.ecx & amask) == 0)
		return EMUL_NEXT;       /* nothing to do (and nothing faulted) */
	if (in->kind == INSN_MOVS) {
		r = mem_read(v, segment_base(v, sreg_value(v, in->seg)) + (v->tf.esi & amask),
			     &val, in->width);
		if (r != EMUL_NEXT)
			return r;
	} else {
		val = reg_get(v, GPR_EAX, in->width);
	}
	r = mem_write(v, segment_base(v, (uint16_t)v->tf.es) + (v->tf.edi & amask), &val,
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

enum emul_result emul_pt_write(struct vcpu *v, const struct insn *in)
{
	bool string = in->kind == INSN_STOS || in->kind == INSN_MOVS;

	if (!string && !in->mem_dst)
		return EMUL_REFUSED;
	if (in->lock && (string || in->kind == INSN_MOV))
		return emul_fault(v, T_UD, 0);  /* LOCK MOV/STOS/MOVS */
	if (string)
		return pt_string(v, in);

	uint32_t addr = emul_operand_addr(v, in);
	switch (in->kind) {
	case INSN_MOV:        return pt_mov(v, in, addr);
	case INSN_XCHG:       return pt_xchg(v, in, addr);
	case INSN_CMPXCHG:    return pt_cmpxchg(v, in, addr);
	case INSN_CMPXCHG8B:  return pt_cmpxchg8b(v, in, addr);
	case INSN_XADD:       return pt_xadd(v, in, addr);
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR:
		return pt_alu(v, in, addr);
	default:
		return EMUL_REFUSED;
	}
}
