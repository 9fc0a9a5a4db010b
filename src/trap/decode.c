/*
 * decode.c - the x86-32 instruction decoder: prefixes, opcode, ModRM, SIB,
 * displacement, immediates.
 *
 * An x86 instruction is 1 to 15 bytes:
 *
 *   +-------------+---------+-------+-----+--------------+-------------+
 *   | prefixes    | opcode  | ModRM | SIB | displacement | immediate(s)|
 *   | 0..14 bytes | 1 or 2  | 0/1   | 0/1 | 0, 1, 2, 4   | 0..6 bytes  |
 *   +-------------+---------+-------+-----+--------------+-------------+
 *
 *   ModRM:  7  6 | 5  4  3 | 2  1  0      SIB:  7  6 | 5  4  3 | 2  1  0
 *           mod  |   reg   |   r/m               scale |  index  |  base
 *
 * Prefixes (any order, repeats allowed): F0 LOCK, F2 REPNE, F3 REP,
 * 26 2E 36 3E 64 65 segment override, 66 operand size, 67 address size.
 * The opcode is one byte, or 0F and a second byte.  Whether ModRM and
 * which immediate follow depend on the opcode: that is what the tables in
 * decode_table.c say.  ModRM.mod = 3 names a register; otherwise r/m
 * names a memory operand, whose form depends on the address size:
 *
 *   32-bit: [reg], [reg+disp8], [reg+disp32]; r/m = 4 means a SIB byte
 *           (base + index*scale), r/m = 5 with mod = 0 means [disp32];
 *           in SIB, index = 4 means no index and base = 5 with mod = 0
 *           means no base and a disp32.
 *   16-bit: [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX], + disp8
 *           or disp16; r/m = 6 with mod = 0 means [disp16].  No SIB.
 *
 * A memory operand uses DS unless its base is ESP/EBP (BP in 16-bit
 * forms), which use SS; a segment prefix overrides either.
 *
 * What this decoder does: finds the length and every field above for the
 * one-byte map and the 0F map, for 32-bit and (ops->code16) 16-bit code
 * segments, classifies the instructions the monitor emulates (enum
 * insn_kind), and reports undefined opcodes (#UD), instructions longer
 * than 15 bytes (#GP) and fetch faults as distinct results.
 *
 * What it does not: the three-byte maps 0F 38 / 0F 3A, VEX/EVEX/XOP
 * prefixes, VMX/SSE4a (0F 78/79), VIA PadLock (0F A6/A7) and the 0F 01
 * register-form system instructions (MONITOR, VMCALL, XGETBV, ...) return
 * DECODE_UNSUPPORTED rather than a guessed length.  It does not check LOCK
 * legality, the mandatory prefixes of MMX/SSE instructions, or whether
 * MOV CRn names a control register that exists (CR1, CR5-7): the CPU, or
 * the emulator, raises #UD for those.  x87 and MMX/SSE opcodes are decoded
 * only for their length.  It applies no segmentation and reads no
 * operands: decode_ea() gives the offset, the caller adds the base.
 *
 * Invariants: decode_insn() reads at most 15 bytes, in order, each once,
 * through ops->fetch; it never reads past the instruction it decodes.
 */
#include "decode.h"
#include "decode_table.h"

/* Prefix bytes */
#define PREFIX_LOCK     0xf0
#define PREFIX_REPNE    0xf2
#define PREFIX_REP      0xf3
#define PREFIX_OPSIZE   0x66
#define PREFIX_ADDRSIZE 0x67
#define PREFIX_ES       0x26
#define PREFIX_CS       0x2e
#define PREFIX_SS       0x36
#define PREFIX_DS       0x3e
#define PREFIX_FS       0x64
#define PREFIX_GS       0x65

/* ModRM and SIB fields */
#define MODRM_MOD(b)    ((b) >> 6)
#define MODRM_REG(b)    (((b) >> 3) & 7)
#define MODRM_RM(b)     ((b) & 7)
#define MOD_NODISP      0       /* [reg] (but see RM_DISP32, RM16_DISP16) */
#define MOD_DISP8       1       /* [reg + disp8] */
#define MOD_DISP        2       /* [reg + disp16/32] */
#define MOD_REG         3       /* register operand, no memory */
#define RM_SIB          4       /* 32-bit: a SIB byte follows */
#define RM_DISP32       5       /* 32-bit, mod 0: [disp32], no base */
#define RM16_DISP16     6       /* 16-bit, mod 0: [disp16], no base */
#define SIB_NO_INDEX    4       /* index field 4: no index register */
#define SIB_NO_BASE     5       /* base field 5 with mod 0: disp32, no base */

#define OPCODE_W_BIT    0x01    /* the w bit of OPF_WBIT opcodes */
#define SIZE_8          1       /* operand / address / field sizes in bytes */
#define SIZE_16         2
#define SIZE_32         4
#define SIZE_64         8
#define SELECTOR_SIZE   2       /* the selector of a far pointer */
#define ENTER_LEVEL_SIZE SIZE_8 /* ENTER's nesting-level byte */
#define ADDR16_MASK     0xffffu /* 16-bit addressing wraps at 64K */
#define BITS_PER_BYTE   8

/* Decoding state: the source of bytes, where the instruction starts, and
 * the instruction being filled in (in->len counts the bytes read). */
struct cursor {
    const struct decode_ops *ops;
    uint32_t start;
    struct insn *in;
};

/* The properties that drive the rest of the decode once the group member
 * (if any) is known: the row's, merged with its group entry's. */
struct opinfo {
    uint16_t flags;
    enum imm_form imm;
    enum insn_kind kind;
    const char *mnem;
};

/* ---- reading bytes ---- */

static enum decode_result next_byte(struct cursor *c, uint8_t *byte)
{
    struct insn *in = c->in;
    uint32_t addr = c->start + in->len;

    if (in->len >= INSN_MAX_LEN)
        return DECODE_TOO_LONG;
    if (c->ops->fetch(c->ops->ctx, addr, byte) != 0) {
        in->fault_addr = addr;
        return DECODE_FETCH_FAULT;
    }
    in->bytes[in->len++] = *byte;
    return DECODE_OK;
}

/* Read a little-endian field of size bytes into *value, zero-extended. */
static enum decode_result next_field(struct cursor *c, uint8_t size, uint32_t *value)
{
    uint32_t v = 0;

    for (uint8_t i = 0; i < size; i++) {	/* bound: size, at most 4 bytes */
        uint8_t byte;
        enum decode_result r = next_byte(c, &byte);
        if (r != DECODE_OK)
            return r;
        v |= (uint32_t)byte << (i * BITS_PER_BYTE);
    }
    *value = v;
    return DECODE_OK;
}

/* Sign-extend a size-byte field (size 1, 2 or 4) to 32 bits. */
static uint32_t sign_extend(uint32_t v, uint8_t size)
{
    uint32_t sign;

    if (size == 0 || size >= SIZE_32)
        return v;
    sign = 1u << (size * BITS_PER_BYTE - 1);
    return (v ^ sign) - sign;
}

/* ---- prefixes ---- */

static enum sreg segment_prefix(uint8_t byte)
{
    switch (byte) {
    case PREFIX_ES: return SREG_ES;
    case PREFIX_CS: return SREG_CS;
    case PREFIX_SS: return SREG_SS;
    case PREFIX_DS: return SREG_DS;
    case PREFIX_FS: return SREG_FS;
    case PREFIX_GS: return SREG_GS;
    default:        return SREG_NONE;
    }
}

/* Record byte if it is a prefix; later prefixes of a kind win. */
static bool apply_prefix(struct insn *in, uint8_t byte, uint8_t other_size)
{
    enum sreg seg = segment_prefix(byte);

    if (seg != SREG_NONE) {
        in->prefixes |= PFX_SEG;
        in->seg_override = seg;
    } else if (byte == PREFIX_LOCK) {
        in->prefixes |= PFX_LOCK;
        in->lock = true;
    } else if (byte == PREFIX_REPNE) {
        in->prefixes |= PFX_REPNE;
        in->rep = REP_NE;
    } else if (byte == PREFIX_REP) {
        in->prefixes |= PFX_REP;
        in->rep = REP_E;
    } else if (byte == PREFIX_OPSIZE) {
        in->prefixes |= PFX_OPSIZE;
        in->opsize = other_size;
    } else if (byte == PREFIX_ADDRSIZE) {
        in->prefixes |= PFX_ADDRSIZE;
        in->addrsize = other_size;
    } else {
        return false;
    }
    in->nprefixes++;
    return true;
}

/* Consume the prefixes; leave the first opcode byte in in->opcode. */
static enum decode_result decode_prefixes(struct cursor *c)
{
    uint8_t other_size = c->ops->code16 ? SIZE_32 : SIZE_16;
    enum decode_result r;

    do {	/* bound: INSN_MAX_LEN (15) bytes: next_byte refuses the 16th */
        r = next_byte(c, &c->in->opcode);
        if (r != DECODE_OK)
            return r;
    } while (apply_prefix(c->in, c->in->opcode, other_size));
    return DECODE_OK;
}

/* ---- opcode ---- */

static enum decode_result status_of(uint16_t flags)
{
    if (flags & (OPF_BAD | OPF_PREFIX))
        return DECODE_INVALID;
    if (flags & OPF_UNSUP)
        return DECODE_UNSUPPORTED;
    return DECODE_OK;
}

/* Look the opcode up, following the 0F escape into the two-byte map. */
static enum decode_result decode_opcode(struct cursor *c, const struct opcode_row **row)
{
    struct insn *in = c->in;

    *row = decode_lookup(MAP_ONE, in->opcode);
    if (*row != NULL && ((*row)->flags & OPF_ESCAPE)) {
        enum decode_result r = next_byte(c, &in->opcode);
        if (r != DECODE_OK)
            return r;
        in->map = MAP_0F;
        *row = decode_lookup(MAP_0F, in->opcode);
    }
    if (*row == NULL)
        return DECODE_INVALID;
    in->mnem = (*row)->mnem;
    return status_of((*row)->flags);
}

/* The row's properties, refined by its group member for ModRM.reg. */
static struct opinfo resolve_group(const struct opcode_row *row, uint8_t reg)
{
    struct opinfo op = { row->flags, row->imm, row->kind, row->mnem };
    const struct group_entry *e;

    if (row->group == NULL)
        return op;
    e = &row->group[reg];
    op.flags |= e->flags;
    if (op.imm == IMM_NONE)
        op.imm = e->imm;
    op.kind = e->kind;
    op.mnem = e->mnem;
    return op;
}

/* Undefined or unsupported member, or a register where memory is needed. */
static enum decode_result check_form(const struct insn *in, uint16_t flags)
{
    enum decode_result r = status_of(flags);

    if (r != DECODE_OK || !in->has_modrm || in->mod != MOD_REG)
        return r;
    if (flags & OPF_MEM)
        return DECODE_INVALID;
    if (flags & OPF_MEMX)
        return DECODE_UNSUPPORTED;
    return DECODE_OK;
}

/* ---- ModRM memory operand ---- */

static enum decode_result decode_disp(struct cursor *c, uint8_t size)
{
    struct insn *in = c->in;
    uint32_t v;
    enum decode_result r = next_field(c, size, &v);

    if (r != DECODE_OK)
        return r;
    in->disp = (int32_t)sign_extend(v, size);
    in->disp_size = size;
    return DECODE_OK;
}

/* 32-bit SIB byte: base + index * scale.  Returns the displacement size,
 * which SIB base 5 with mod 0 turns into a disp32 without base. */
static enum decode_result decode_sib(struct cursor *c, uint8_t *disp_size)
{
    struct insn *in = c->in;
    uint8_t sib;
    enum decode_result r = next_byte(c, &sib);

    if (r != DECODE_OK)
        return r;
    in->has_sib = true;
    in->sib_scale = MODRM_MOD(sib);
    in->sib_index = MODRM_REG(sib);
    in->sib_base = MODRM_RM(sib);
    in->scale = (uint8_t)(1u << in->sib_scale);
    in->index = in->sib_index == SIB_NO_INDEX ? GPR_NONE : (enum gpr)in->sib_index;
    in->base = (enum gpr)in->sib_base;
    if (in->sib_base == SIB_NO_BASE && in->mod == MOD_NODISP) {
        in->base = GPR_NONE;
        *disp_size = SIZE_32;
    }
    return DECODE_OK;
}

static enum decode_result decode_mem32(struct cursor *c)
{
    struct insn *in = c->in;
    uint8_t disp_size = in->mod == MOD_DISP8 ? SIZE_8 : in->mod == MOD_DISP ? SIZE_32 : 0;
    enum decode_result r;

    in->base = (enum gpr)in->rm;
    if (in->rm == RM_SIB) {
        r = decode_sib(c, &disp_size);
        if (r != DECODE_OK)
            return r;
    } else if (in->rm == RM_DISP32 && in->mod == MOD_NODISP) {
        in->base = GPR_NONE;
        disp_size = SIZE_32;
    }
    return decode_disp(c, disp_size);
}

/* The 16-bit forms, by r/m: base register and index register. */
static const struct { enum gpr base, index; } ea16[8] = {
    { GPR_EBX, GPR_ESI },       /* [BX+SI] */
    { GPR_EBX, GPR_EDI },       /* [BX+DI] */
    { GPR_EBP, GPR_ESI },       /* [BP+SI] (SS) */
    { GPR_EBP, GPR_EDI },       /* [BP+DI] (SS) */
    { GPR_ESI, GPR_NONE },      /* [SI] */
    { GPR_EDI, GPR_NONE },      /* [DI] */
    { GPR_EBP, GPR_NONE },      /* [BP] (SS); mod 0: [disp16] */
    { GPR_EBX, GPR_NONE },      /* [BX] */
};

static enum decode_result decode_mem16(struct cursor *c)
{
    struct insn *in = c->in;
    uint8_t disp_size = in->mod == MOD_DISP8 ? SIZE_8 : in->mod == MOD_DISP ? SIZE_16 : 0;

    in->base = ea16[in->rm].base;
    in->index = ea16[in->rm].index;
    if (in->rm == RM16_DISP16 && in->mod == MOD_NODISP) {
        in->base = GPR_NONE;
        disp_size = SIZE_16;
    }
    return decode_disp(c, disp_size);
}

static enum decode_result decode_modrm(struct cursor *c)
{
    struct insn *in = c->in;
    uint8_t modrm;
    enum decode_result r = next_byte(c, &modrm);

    if (r != DECODE_OK)
        return r;
    in->has_modrm = true;
    in->mod = MODRM_MOD(modrm);
    in->reg = MODRM_REG(modrm);
    in->rm = MODRM_RM(modrm);
    return DECODE_OK;
}

/* SIB and displacement, for a ModRM that names memory. */
static enum decode_result decode_mem_operand(struct cursor *c, uint16_t flags)
{
    struct insn *in = c->in;

    if (!in->has_modrm || in->mod == MOD_REG || (flags & OPF_MODREG))
        return DECODE_OK;
    in->has_mem = true;
    return in->addrsize == SIZE_16 ? decode_mem16(c) : decode_mem32(c);
}

/* ---- immediates ---- */

/* Read an immediate of size bytes into *value (sign-extended if asked). */
static enum decode_result imm_field(struct cursor *c, uint8_t size, bool sext,
                                    uint32_t *value, uint8_t *value_size)
{
    enum decode_result r = next_field(c, size, value);

    if (r != DECODE_OK)
        return r;
    if (sext)
        *value = sign_extend(*value, size);
    *value_size = size;
    return DECODE_OK;
}

/* moffs (A0-A3): a memory offset, no base or index, sized by addrsize. */
static enum decode_result decode_moffs(struct cursor *c)
{
    c->in->has_mem = true;
    return decode_disp(c, c->in->addrsize);
}

/* Two immediates: far pointer offset:selector, or ENTER size,level. */
static enum decode_result imm_pair(struct cursor *c, uint8_t size, uint8_t size2)
{
    struct insn *in = c->in;
    enum decode_result r = imm_field(c, size, false, &in->imm, &in->imm_size);

    if (r != DECODE_OK)
        return r;
    return imm_field(c, size2, false, &in->imm2, &in->imm2_size);
}

static enum decode_result decode_imm(struct cursor *c, enum imm_form form)
{
    struct insn *in = c->in;

    switch (form) {
    case IMM_NONE:  return DECODE_OK;
    case IMM_8:     return imm_field(c, SIZE_8, false, &in->imm, &in->imm_size);
    case IMM_S8:    return imm_field(c, SIZE_8, true, &in->imm, &in->imm_size);
    case IMM_16:    return imm_field(c, SIZE_16, false, &in->imm, &in->imm_size);
    case IMM_E:     return imm_field(c, in->width, false, &in->imm, &in->imm_size);
    case IMM_REL8:  return imm_field(c, SIZE_8, true, &in->imm, &in->imm_size);
    case IMM_REL:   return imm_field(c, in->opsize, true, &in->imm, &in->imm_size);
    case IMM_MOFFS: return decode_moffs(c);
    case IMM_FAR:   return imm_pair(c, in->opsize, SELECTOR_SIZE);
    case IMM_ENTER: return imm_pair(c, SIZE_16, ENTER_LEVEL_SIZE);
    }
    return DECODE_INVALID;      /* unreachable: every form is handled */
}

/* ---- putting it together ---- */

static uint8_t data_width(const struct insn *in, uint16_t flags)
{
    if (flags & OPF_QWORD)
        return SIZE_64;
    if ((flags & OPF_BYTE) || ((flags & OPF_WBIT) && !(in->opcode & OPCODE_W_BIT)))
        return SIZE_8;
    return in->opsize;
}

/* Default segment of the memory operand, then the override. */
static enum sreg operand_segment(const struct insn *in)
{
    if (in->seg_override != SREG_NONE)
        return in->seg_override;
    if (in->base == GPR_ESP || in->base == GPR_EBP)
        return SREG_SS;
    return SREG_DS;
}

static void insn_reset(struct insn *in, bool code16)
{
    *in = (struct insn){
        .seg_override = SREG_NONE,
        .rep = REP_NONE,
        .opsize = code16 ? SIZE_16 : SIZE_32,
        .addrsize = code16 ? SIZE_16 : SIZE_32,
        .map = MAP_ONE,
        .base = GPR_NONE,
        .index = GPR_NONE,
        .scale = 1,
        .seg = SREG_DS,
        .kind = INSN_OTHER,
        .mnem = "(bad)",
    };
}

/* Everything after the opcode: ModRM, group member, SIB/disp, immediate. */
static enum decode_result decode_operands(struct cursor *c, const struct opcode_row *row)
{
    struct insn *in = c->in;
    struct opinfo op;
    enum decode_result r = DECODE_OK;

    if (row->flags & OPF_MODRM)
        r = decode_modrm(c);
    if (r != DECODE_OK)
        return r;
    op = resolve_group(row, in->reg);
    in->mnem = op.mnem;
    r = check_form(in, op.flags);
    if (r == DECODE_OK)
        r = decode_mem_operand(c, op.flags);
    if (r != DECODE_OK)
        return r;
    in->width = data_width(in, op.flags);
    r = decode_imm(c, op.imm);
    in->kind = op.kind;
    in->mem_dst = in->has_mem && (op.flags & OPF_DST);
    in->seg = operand_segment(in);
    return r;
}

enum decode_result decode_insn(const struct decode_ops *ops, uint32_t addr, struct insn *in)
{
    struct cursor c = { ops, addr, in };
    const struct opcode_row *row = NULL;
    enum decode_result r;

    insn_reset(in, ops->code16);
    r = decode_prefixes(&c);
    if (r == DECODE_OK)
        r = decode_opcode(&c, &row);
    if (r == DECODE_OK)
        r = decode_operands(&c, row);
    if (r != DECODE_OK)
        in->kind = INSN_OTHER;
    return r;
}

/* ---- plain buffers, effective addresses, names ---- */

struct buf_source {
    const uint8_t *buf;
    size_t len;
};

static int buf_fetch(void *ctx, uint32_t addr, uint8_t *byte)
{
    const struct buf_source *src = ctx;

    if (addr >= src->len)
        return -1;
    *byte = src->buf[addr];
    return 0;
}

enum decode_result decode_buf(const uint8_t *buf, size_t len, struct insn *in)
{
    struct buf_source src = { buf, len };
    struct decode_ops ops = { buf_fetch, &src, false };

    return decode_insn(&ops, 0, in);
}

uint32_t decode_ea(const struct insn *in, const uint32_t regs[GPR_COUNT])
{
    uint32_t ea = (uint32_t)in->disp;

    if (in->base != GPR_NONE)
        ea += regs[in->base];
    if (in->index != GPR_NONE)
        ea += regs[in->index] * in->scale;
    if (in->addrsize == SIZE_16)
        ea &= ADDR16_MASK;
    return ea;
}

const char *decode_result_name(enum decode_result r)
{
    switch (r) {
    case DECODE_OK:          return "ok";
    case DECODE_INVALID:     return "invalid opcode";
    case DECODE_TOO_LONG:    return "longer than 15 bytes";
    case DECODE_UNSUPPORTED: return "unsupported";
    case DECODE_FETCH_FAULT: return "fetch fault";
    }
    return "?";
}
