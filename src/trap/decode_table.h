/*
 * decode_table.h - the opcode tables behind decode.c (private to the
 * decoder and its unit test).
 *
 * Each opcode map is a list of rows, one per opcode or range of opcodes
 * that decode alike, in increasing order, covering all 256 values.  A row
 * says whether a ModRM byte follows, what immediate follows, how wide the
 * data is, and what the instruction is.  For a "group" opcode (80-83, F6,
 * FF, 0F 01, ...) the ModRM.reg field selects the instruction, so the row
 * points at an 8-entry table indexed by ModRM.reg, whose entry adds its
 * own flags and, if the row has none, its immediate.
 */
#ifndef TRAP_DECODE_TABLE_H
#define TRAP_DECODE_TABLE_H

#include "decode.h"

/* Opcode properties, in rows and group entries. */
#define OPF_MODRM   0x0001  /* a ModRM byte follows the opcode */
#define OPF_MODREG  0x0002  /* ModRM.mod ignored, r/m is a register (MOV CR/DR) */
#define OPF_MEM     0x0004  /* r/m must be memory: mod = 3 is #UD */
#define OPF_MEMX    0x0008  /* mod = 3 is another instruction we do not
                               decode (VEX/EVEX prefix, 0F 01 system ops) */
#define OPF_BYTE    0x0010  /* byte operands */
#define OPF_WBIT    0x0020  /* opcode bit 0 is the w bit: clear = byte */
#define OPF_QWORD   0x0040  /* 8-byte memory operand */
#define OPF_DST     0x0080  /* writes its r/m or moffs operand */
#define OPF_PREFIX  0x0100  /* a prefix, never looked up as an opcode */
#define OPF_ESCAPE  0x0200  /* 0F: the opcode continues in the 0F map */
#define OPF_BAD     0x0400  /* undefined: #UD */
#define OPF_UNSUP   0x0800  /* defined, but not decoded here */

/* What follows the ModRM/SIB/displacement bytes. */
enum imm_form {
    IMM_NONE,
    IMM_8,          /* ib, zero-extended (port, vector, count) */
    IMM_S8,         /* ib, sign-extended to the operand size */
    IMM_16,         /* iw (RET/RETF imm16) */
    IMM_E,          /* as wide as the data: 1, 2 or 4 bytes */
    IMM_REL8,       /* rel8 branch displacement */
    IMM_REL,        /* rel16/rel32 by operand size */
    IMM_MOFFS,      /* moffs: a memory offset as wide as the ADDRESS size */
    IMM_FAR,        /* ptr16:16 / ptr16:32: offset by operand size, then selector */
    IMM_ENTER,      /* iw then ib (ENTER) */
};

/* One member of a group, selected by ModRM.reg. */
struct group_entry {
    uint16_t flags;             /* OPF_*, added to the row's */
    enum imm_form imm;          /* used if the row has IMM_NONE */
    enum insn_kind kind;
    const char *mnem;
};

/* Opcodes lo..hi of one map. */
struct opcode_row {
    uint8_t lo, hi;
    uint16_t flags;             /* OPF_* */
    enum imm_form imm;
    enum insn_kind kind;
    const char *mnem;
    const struct group_entry *group;    /* [8] by ModRM.reg, or NULL */
};

#define GROUP_SIZE  8

extern const struct opcode_row decode_map_one[];
extern const size_t decode_map_one_rows;
extern const struct opcode_row decode_map_0f[];
extern const size_t decode_map_0f_rows;

/* The row that covers opcode op of map (every opcode has one). */
const struct opcode_row *decode_lookup(enum opmap map, uint8_t op);

#endif /* TRAP_DECODE_TABLE_H */
