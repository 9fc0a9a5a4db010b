/*
 * decode_table.c - the x86-32 opcode maps that decode.c is driven by.
 *
 * Two maps: the one-byte opcodes, and the two-byte opcodes that follow
 * the 0F escape.  One row per opcode or per range of opcodes that decode
 * alike, with the Intel SDM operand notation in the comment:
 *
 *   E  the ModRM r/m operand (register or memory)    G  the ModRM.reg register
 *   b  byte   w  word   v  word or dword by operand size   z  the same, for
 *   an immediate   M  memory only   ib/iw/iz  an immediate of that size
 *
 * Group opcodes (80-83, 8F, C0/C1/D0-D3, C6/C7, F6/F7, FE, FF, 0F 00,
 * 0F 01, 0F BA, 0F C7, and 8C/8E whose reg field is a segment register)
 * point at 8-entry tables indexed by ModRM.reg ("/digit" in the SDM).
 *
 * Rows marked OPF_BAD raise #UD on a current CPU; rows marked OPF_UNSUP are
 * real instructions this decoder refuses rather than mis-measures.  The
 * MMX/SSE/x87 rows are described only as far as their length needs:
 * which mandatory-prefix combinations (66/F2/F3) exist is not checked.
 */
#include "decode_table.h"

/* ---- group tables: [ModRM.reg] ---- */

/* 80-83: ALU op with an immediate */
static const struct group_entry grp1[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_ADD, "add" }, /* /0 */
    { OPF_DST, IMM_NONE, INSN_OR,  "or"  }, /* /1 */
    { OPF_DST, IMM_NONE, INSN_ADC, "adc" }, /* /2 */
    { OPF_DST, IMM_NONE, INSN_SBB, "sbb" }, /* /3 */
    { OPF_DST, IMM_NONE, INSN_AND, "and" }, /* /4 */
    { OPF_DST, IMM_NONE, INSN_SUB, "sub" }, /* /5 */
    { OPF_DST, IMM_NONE, INSN_XOR, "xor" }, /* /6 */
    { 0,       IMM_NONE, INSN_CMP, "cmp" }, /* /7 */
};

/* 8F: POP Ev; the other members are AMD's XOP prefix (#UD on Intel) */
static const struct group_entry grp1a[GROUP_SIZE] = {
    { OPF_DST,   IMM_NONE, INSN_OTHER, "pop" }, /* /0 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /1 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /2 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /3 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /4 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /5 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /6 */
    { OPF_UNSUP, IMM_NONE, INSN_OTHER, "xop" }, /* /7 */
};

/* C0/C1 (count ib), D0/D1 (count 1), D2/D3 (count CL): shifts, rotates */
static const struct group_entry grp2[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_OTHER, "rol" }, /* /0 */
    { OPF_DST, IMM_NONE, INSN_OTHER, "ror" }, /* /1 */
    { OPF_DST, IMM_NONE, INSN_OTHER, "rcl" }, /* /2 */
    { OPF_DST, IMM_NONE, INSN_OTHER, "rcr" }, /* /3 */
    { OPF_DST, IMM_NONE, INSN_SHL,   "shl" }, /* /4 */
    { OPF_DST, IMM_NONE, INSN_SHR,   "shr" }, /* /5 */
    { OPF_DST, IMM_NONE, INSN_SHL,   "sal" }, /* /6: alias of /4 */
    { OPF_DST, IMM_NONE, INSN_SAR,   "sar" }, /* /7 */
};

/* F6/F7: only TEST takes an immediate */
static const struct group_entry grp3[GROUP_SIZE] = {
    { 0,       IMM_E,    INSN_TEST,  "test" }, /* /0 TEST E,ib/iz */
    { 0,       IMM_E,    INSN_TEST,  "test" }, /* /1: alias of /0 */
    { OPF_DST, IMM_NONE, INSN_NOT,   "not"  }, /* /2 */
    { OPF_DST, IMM_NONE, INSN_NEG,   "neg"  }, /* /3 */
    { 0,       IMM_NONE, INSN_OTHER, "mul"  }, /* /4 */
    { 0,       IMM_NONE, INSN_OTHER, "imul" }, /* /5 */
    { 0,       IMM_NONE, INSN_OTHER, "div"  }, /* /6 */
    { 0,       IMM_NONE, INSN_OTHER, "idiv" }, /* /7 */
};

/* FE: INC/DEC Eb */
static const struct group_entry grp4[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_INC,   "inc"   }, /* /0 */
    { OPF_DST, IMM_NONE, INSN_DEC,   "dec"   }, /* /1 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /2 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /3 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /4 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /5 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /6 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /7 */
};

/* FF: INC/DEC/CALL/JMP/PUSH Ev; far CALL/JMP through a pointer in memory */
static const struct group_entry grp5[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_INC,      "inc"   }, /* /0 */
    { OPF_DST, IMM_NONE, INSN_DEC,      "dec"   }, /* /1 */
    { 0,       IMM_NONE, INSN_OTHER,    "call"  }, /* /2 near, Ev */
    { OPF_MEM, IMM_NONE, INSN_CALL_FAR, "lcall" }, /* /3 far, Mp */
    { 0,       IMM_NONE, INSN_OTHER,    "jmp"   }, /* /4 near, Ev */
    { OPF_MEM, IMM_NONE, INSN_JMP_FAR,  "ljmp"  }, /* /5 far, Mp */
    { 0,       IMM_NONE, INSN_OTHER,    "push"  }, /* /6 */
    { OPF_BAD, IMM_NONE, INSN_OTHER,    "(bad)" }, /* /7 */
};

/* C6/C7: MOV E,ib/iz.  C6 F8 / C7 F8 (XABORT/XBEGIN) are TSX, which the
 * monitor's CPUs lack: #UD like the rest. */
static const struct group_entry grp11[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_MOV,   "mov"   }, /* /0 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /1 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /2 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /3 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /4 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /5 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /6 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /7 */
};

/* 8C: MOV Ev,Sreg; reg is the segment register, 6 and 7 do not exist */
static const struct group_entry grp_8c[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_MOV_FROM_SREG, "mov from sreg" }, /* ES */
    { OPF_DST, IMM_NONE, INSN_MOV_FROM_SREG, "mov from sreg" }, /* CS */
    { OPF_DST, IMM_NONE, INSN_MOV_FROM_SREG, "mov from sreg" }, /* SS */
    { OPF_DST, IMM_NONE, INSN_MOV_FROM_SREG, "mov from sreg" }, /* DS */
    { OPF_DST, IMM_NONE, INSN_MOV_FROM_SREG, "mov from sreg" }, /* FS */
    { OPF_DST, IMM_NONE, INSN_MOV_FROM_SREG, "mov from sreg" }, /* GS */
    { OPF_BAD, IMM_NONE, INSN_OTHER,         "(bad)"         }, /* no such Sreg */
    { OPF_BAD, IMM_NONE, INSN_OTHER,         "(bad)"         }, /* no such Sreg */
};

/* 8E: MOV Sreg,Ew; loading CS this way is #UD (a far jump loads CS) */
static const struct group_entry grp_8e[GROUP_SIZE] = {
    { 0,       IMM_NONE, INSN_MOV_TO_SREG, "mov to sreg" }, /* ES */
    { OPF_BAD, IMM_NONE, INSN_OTHER,       "(bad)"       }, /* CS */
    { 0,       IMM_NONE, INSN_MOV_TO_SREG, "mov to sreg" }, /* SS */
    { 0,       IMM_NONE, INSN_MOV_TO_SREG, "mov to sreg" }, /* DS */
    { 0,       IMM_NONE, INSN_MOV_TO_SREG, "mov to sreg" }, /* FS */
    { 0,       IMM_NONE, INSN_MOV_TO_SREG, "mov to sreg" }, /* GS */
    { OPF_BAD, IMM_NONE, INSN_OTHER,       "(bad)"       }, /* no such Sreg */
    { OPF_BAD, IMM_NONE, INSN_OTHER,       "(bad)"       }, /* no such Sreg */
};

/* 0F 00: LDT, task register, segment checks */
static const struct group_entry grp6[GROUP_SIZE] = {
    { OPF_DST, IMM_NONE, INSN_SLDT,  "sldt"  }, /* /0 Ew */
    { OPF_DST, IMM_NONE, INSN_STR,   "str"   }, /* /1 Ew */
    { 0,       IMM_NONE, INSN_LLDT,  "lldt"  }, /* /2 Ew */
    { 0,       IMM_NONE, INSN_LTR,   "ltr"   }, /* /3 Ew */
    { 0,       IMM_NONE, INSN_VERR,  "verr"  }, /* /4 Ew */
    { 0,       IMM_NONE, INSN_VERW,  "verw"  }, /* /5 Ew */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /6 (IA-64 JMPE) */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /7 */
};

/* 0F 01: descriptor tables, MSW, INVLPG.  With mod = 3 the reg/rm pair
 * names other instructions (VMCALL, MONITOR, XGETBV, RDTSCP, ...): not
 * decoded, except SMSW/LMSW which also take a register. */
static const struct group_entry grp7[GROUP_SIZE] = {
    { OPF_MEMX | OPF_DST, IMM_NONE, INSN_SGDT,   "sgdt"   }, /* /0 Ms */
    { OPF_MEMX | OPF_DST, IMM_NONE, INSN_SIDT,   "sidt"   }, /* /1 Ms */
    { OPF_MEMX,           IMM_NONE, INSN_LGDT,   "lgdt"   }, /* /2 Ms */
    { OPF_MEMX,           IMM_NONE, INSN_LIDT,   "lidt"   }, /* /3 Ms */
    { OPF_DST,            IMM_NONE, INSN_SMSW,   "smsw"   }, /* /4 Ew */
    { OPF_UNSUP,          IMM_NONE, INSN_OTHER,  "0f01/5" }, /* /5 CET, PKU, ... */
    { 0,                  IMM_NONE, INSN_LMSW,   "lmsw"   }, /* /6 Ew */
    { OPF_MEMX,           IMM_NONE, INSN_INVLPG, "invlpg" }, /* /7 Mb */
};

/* 0F BA: BT family with an immediate bit offset */
static const struct group_entry grp8[GROUP_SIZE] = {
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /0 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /1 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /2 */
    { OPF_BAD, IMM_NONE, INSN_OTHER, "(bad)" }, /* /3 */
    { 0,       IMM_NONE, INSN_BT,    "bt"    }, /* /4 */
    { OPF_DST, IMM_NONE, INSN_BTS,   "bts"   }, /* /5 */
    { OPF_DST, IMM_NONE, INSN_BTR,   "btr"   }, /* /6 */
    { OPF_DST, IMM_NONE, INSN_BTC,   "btc"   }, /* /7 */
};

/* 0F C7: CMPXCHG8B, XSAVE variants, VMX pointers, RDRAND/RDSEED */
static const struct group_entry grp9[GROUP_SIZE] = {
    { OPF_BAD,                       IMM_NONE, INSN_OTHER,     "(bad)"          }, /* /0 */
    { OPF_MEM | OPF_QWORD | OPF_DST, IMM_NONE, INSN_CMPXCHG8B, "cmpxchg8b"      }, /* /1 */
    { OPF_BAD,                       IMM_NONE, INSN_OTHER,     "(bad)"          }, /* /2 */
    { OPF_MEM,                       IMM_NONE, INSN_OTHER,     "xrstors"        }, /* /3 */
    { OPF_MEM,                       IMM_NONE, INSN_OTHER,     "xsavec"         }, /* /4 */
    { OPF_MEM,                       IMM_NONE, INSN_OTHER,     "xsaves"         }, /* /5 */
    { 0,                             IMM_NONE, INSN_OTHER,     "vmptrld/rdrand" }, /* /6 */
    { 0,                             IMM_NONE, INSN_OTHER,     "vmptrst/rdseed" }, /* /7 */
};

/* ---- one-byte opcode map ---- */

#define RM_DST   (OPF_MODRM | OPF_WBIT | OPF_DST)   /* op Eb,Gb / Ev,Gv: writes r/m */
#define RM_SRC   (OPF_MODRM | OPF_WBIT)             /* op Gb,Eb / Gv,Ev */

const struct opcode_row decode_map_one[] = {
    /* lo   hi    flags                           imm        kind              mnemonic       group */
    { 0x00, 0x01, RM_DST,                         IMM_NONE,  INSN_ADD,         "add",         NULL   }, /* ADD E,G */
    { 0x02, 0x03, RM_SRC,                         IMM_NONE,  INSN_ADD,         "add",         NULL   }, /* ADD G,E */
    { 0x04, 0x05, OPF_WBIT,                       IMM_E,     INSN_ADD,         "add",         NULL   }, /* ADD AL,ib / eAX,iz */
    { 0x06, 0x06, 0,                              IMM_NONE,  INSN_PUSH_SREG,   "push",        NULL   }, /* PUSH ES */
    { 0x07, 0x07, 0,                              IMM_NONE,  INSN_POP_SREG,    "pop",         NULL   }, /* POP ES */
    { 0x08, 0x09, RM_DST,                         IMM_NONE,  INSN_OR,          "or",          NULL   }, /* OR E,G */
    { 0x0a, 0x0b, RM_SRC,                         IMM_NONE,  INSN_OR,          "or",          NULL   }, /* OR G,E */
    { 0x0c, 0x0d, OPF_WBIT,                       IMM_E,     INSN_OR,          "or",          NULL   }, /* OR AL/eAX,imm */
    { 0x0e, 0x0e, 0,                              IMM_NONE,  INSN_PUSH_SREG,   "push",        NULL   }, /* PUSH CS */
    { 0x0f, 0x0f, OPF_ESCAPE,                     IMM_NONE,  INSN_OTHER,       "0f",          NULL   }, /* two-byte escape */
    { 0x10, 0x11, RM_DST,                         IMM_NONE,  INSN_ADC,         "adc",         NULL   }, /* ADC E,G */
    { 0x12, 0x13, RM_SRC,                         IMM_NONE,  INSN_ADC,         "adc",         NULL   }, /* ADC G,E */
    { 0x14, 0x15, OPF_WBIT,                       IMM_E,     INSN_ADC,         "adc",         NULL   }, /* ADC AL/eAX,imm */
    { 0x16, 0x16, 0,                              IMM_NONE,  INSN_PUSH_SREG,   "push",        NULL   }, /* PUSH SS */
    { 0x17, 0x17, 0,                              IMM_NONE,  INSN_POP_SREG,    "pop",         NULL   }, /* POP SS */
    { 0x18, 0x19, RM_DST,                         IMM_NONE,  INSN_SBB,         "sbb",         NULL   }, /* SBB E,G */
    { 0x1a, 0x1b, RM_SRC,                         IMM_NONE,  INSN_SBB,         "sbb",         NULL   }, /* SBB G,E */
    { 0x1c, 0x1d, OPF_WBIT,                       IMM_E,     INSN_SBB,         "sbb",         NULL   }, /* SBB AL/eAX,imm */
    { 0x1e, 0x1e, 0,                              IMM_NONE,  INSN_PUSH_SREG,   "push",        NULL   }, /* PUSH DS */
    { 0x1f, 0x1f, 0,                              IMM_NONE,  INSN_POP_SREG,    "pop",         NULL   }, /* POP DS */
    { 0x20, 0x21, RM_DST,                         IMM_NONE,  INSN_AND,         "and",         NULL   }, /* AND E,G */
    { 0x22, 0x23, RM_SRC,                         IMM_NONE,  INSN_AND,         "and",         NULL   }, /* AND G,E */
    { 0x24, 0x25, OPF_WBIT,                       IMM_E,     INSN_AND,         "and",         NULL   }, /* AND AL/eAX,imm */
    { 0x26, 0x26, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "es",          NULL   }, /* segment override ES */
    { 0x27, 0x27, 0,                              IMM_NONE,  INSN_OTHER,       "daa",         NULL   }, /* DAA */
    { 0x28, 0x29, RM_DST,                         IMM_NONE,  INSN_SUB,         "sub",         NULL   }, /* SUB E,G */
    { 0x2a, 0x2b, RM_SRC,                         IMM_NONE,  INSN_SUB,         "sub",         NULL   }, /* SUB G,E */
    { 0x2c, 0x2d, OPF_WBIT,                       IMM_E,     INSN_SUB,         "sub",         NULL   }, /* SUB AL/eAX,imm */
    { 0x2e, 0x2e, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "cs",          NULL   }, /* segment override CS */
    { 0x2f, 0x2f, 0,                              IMM_NONE,  INSN_OTHER,       "das",         NULL   }, /* DAS */
    { 0x30, 0x31, RM_DST,                         IMM_NONE,  INSN_XOR,         "xor",         NULL   }, /* XOR E,G */
    { 0x32, 0x33, RM_SRC,                         IMM_NONE,  INSN_XOR,         "xor",         NULL   }, /* XOR G,E */
    { 0x34, 0x35, OPF_WBIT,                       IMM_E,     INSN_XOR,         "xor",         NULL   }, /* XOR AL/eAX,imm */
    { 0x36, 0x36, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "ss",          NULL   }, /* segment override SS */
    { 0x37, 0x37, 0,                              IMM_NONE,  INSN_OTHER,       "aaa",         NULL   }, /* AAA */
    { 0x38, 0x39, OPF_MODRM | OPF_WBIT,           IMM_NONE,  INSN_CMP,         "cmp",         NULL   }, /* CMP E,G (no write) */
    { 0x3a, 0x3b, RM_SRC,                         IMM_NONE,  INSN_CMP,         "cmp",         NULL   }, /* CMP G,E */
    { 0x3c, 0x3d, OPF_WBIT,                       IMM_E,     INSN_CMP,         "cmp",         NULL   }, /* CMP AL/eAX,imm */
    { 0x3e, 0x3e, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "ds",          NULL   }, /* segment override DS */
    { 0x3f, 0x3f, 0,                              IMM_NONE,  INSN_OTHER,       "aas",         NULL   }, /* AAS */
    { 0x40, 0x47, 0,                              IMM_NONE,  INSN_OTHER,       "inc",         NULL   }, /* INC r (REX in 64-bit) */
    { 0x48, 0x4f, 0,                              IMM_NONE,  INSN_OTHER,       "dec",         NULL   }, /* DEC r */
    { 0x50, 0x57, 0,                              IMM_NONE,  INSN_OTHER,       "push",        NULL   }, /* PUSH r */
    { 0x58, 0x5f, 0,                              IMM_NONE,  INSN_OTHER,       "pop",         NULL   }, /* POP r */
    { 0x60, 0x60, 0,                              IMM_NONE,  INSN_OTHER,       "pusha",       NULL   }, /* PUSHA/PUSHAD */
    { 0x61, 0x61, 0,                              IMM_NONE,  INSN_OTHER,       "popa",        NULL   }, /* POPA/POPAD */
    { 0x62, 0x62, OPF_MODRM | OPF_MEMX,           IMM_NONE,  INSN_OTHER,       "bound",       NULL   }, /* BOUND Gv,Ma; mod=3: EVEX */
    { 0x63, 0x63, OPF_MODRM | OPF_DST,            IMM_NONE,  INSN_OTHER,       "arpl",        NULL   }, /* ARPL Ew,Gw */
    { 0x64, 0x64, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "fs",          NULL   }, /* segment override FS */
    { 0x65, 0x65, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "gs",          NULL   }, /* segment override GS */
    { 0x66, 0x66, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "data16",      NULL   }, /* operand size */
    { 0x67, 0x67, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "addr16",      NULL   }, /* address size */
    { 0x68, 0x68, 0,                              IMM_E,     INSN_OTHER,       "push",        NULL   }, /* PUSH iz */
    { 0x69, 0x69, OPF_MODRM,                      IMM_E,     INSN_OTHER,       "imul",        NULL   }, /* IMUL Gv,Ev,iz */
    { 0x6a, 0x6a, 0,                              IMM_S8,    INSN_OTHER,       "push",        NULL   }, /* PUSH ib */
    { 0x6b, 0x6b, OPF_MODRM,                      IMM_S8,    INSN_OTHER,       "imul",        NULL   }, /* IMUL Gv,Ev,ib */
    { 0x6c, 0x6d, OPF_WBIT,                       IMM_NONE,  INSN_INS,         "ins",         NULL   }, /* INSB / INSD, port DX */
    { 0x6e, 0x6f, OPF_WBIT,                       IMM_NONE,  INSN_OUTS,        "outs",        NULL   }, /* OUTSB / OUTSD, port DX */
    { 0x70, 0x7f, 0,                              IMM_REL8,  INSN_OTHER,       "jcc",         NULL   }, /* Jcc rel8 */
    { 0x80, 0x82, OPF_MODRM | OPF_WBIT,           IMM_E,     INSN_OTHER,       "grp1",        grp1   }, /* op Eb,ib / Ev,iz; 82 = 80 */
    { 0x83, 0x83, OPF_MODRM,                      IMM_S8,    INSN_OTHER,       "grp1",        grp1   }, /* op Ev,ib (sign-extended) */
    { 0x84, 0x85, OPF_MODRM | OPF_WBIT,           IMM_NONE,  INSN_TEST,        "test",        NULL   }, /* TEST E,G */
    { 0x86, 0x87, RM_DST,                         IMM_NONE,  INSN_XCHG,        "xchg",        NULL   }, /* XCHG E,G (locked) */
    { 0x88, 0x89, RM_DST,                         IMM_NONE,  INSN_MOV,         "mov",         NULL   }, /* MOV E,G */
    { 0x8a, 0x8b, RM_SRC,                         IMM_NONE,  INSN_MOV,         "mov",         NULL   }, /* MOV G,E */
    { 0x8c, 0x8c, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "mov",         grp_8c }, /* MOV Ev,Sreg */
    { 0x8d, 0x8d, OPF_MODRM | OPF_MEM,            IMM_NONE,  INSN_OTHER,       "lea",         NULL   }, /* LEA Gv,M */
    { 0x8e, 0x8e, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "mov",         grp_8e }, /* MOV Sreg,Ew */
    { 0x8f, 0x8f, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "pop",         grp1a  }, /* POP Ev */
    { 0x90, 0x90, 0,                              IMM_NONE,  INSN_OTHER,       "nop",         NULL   }, /* NOP (F3 90: PAUSE) */
    { 0x91, 0x97, 0,                              IMM_NONE,  INSN_XCHG,        "xchg",        NULL   }, /* XCHG eAX,r */
    { 0x98, 0x98, 0,                              IMM_NONE,  INSN_OTHER,       "cwde",        NULL   }, /* CBW/CWDE */
    { 0x99, 0x99, 0,                              IMM_NONE,  INSN_OTHER,       "cdq",         NULL   }, /* CWD/CDQ */
    { 0x9a, 0x9a, 0,                              IMM_FAR,   INSN_CALL_FAR,    "lcall",       NULL   }, /* CALL ptr16:z */
    { 0x9b, 0x9b, 0,                              IMM_NONE,  INSN_OTHER,       "fwait",       NULL   }, /* FWAIT: its own instruction */
    { 0x9c, 0x9c, 0,                              IMM_NONE,  INSN_PUSHF,       "pushf",       NULL   }, /* PUSHF/PUSHFD */
    { 0x9d, 0x9d, 0,                              IMM_NONE,  INSN_POPF,        "popf",        NULL   }, /* POPF/POPFD */
    { 0x9e, 0x9e, 0,                              IMM_NONE,  INSN_OTHER,       "sahf",        NULL   }, /* SAHF */
    { 0x9f, 0x9f, 0,                              IMM_NONE,  INSN_OTHER,       "lahf",        NULL   }, /* LAHF */
    { 0xa0, 0xa1, OPF_WBIT,                       IMM_MOFFS, INSN_MOV,         "mov",         NULL   }, /* MOV AL/eAX,moffs */
    { 0xa2, 0xa3, OPF_WBIT | OPF_DST,             IMM_MOFFS, INSN_MOV,         "mov",         NULL   }, /* MOV moffs,AL/eAX */
    { 0xa4, 0xa5, OPF_WBIT,                       IMM_NONE,  INSN_MOVS,        "movs",        NULL   }, /* MOVS ES:[EDI],[ESI] */
    { 0xa6, 0xa7, OPF_WBIT,                       IMM_NONE,  INSN_OTHER,       "cmps",        NULL   }, /* CMPS */
    { 0xa8, 0xa9, OPF_WBIT,                       IMM_E,     INSN_OTHER,       "test",        NULL   }, /* TEST AL/eAX,imm */
    { 0xaa, 0xab, OPF_WBIT,                       IMM_NONE,  INSN_STOS,        "stos",        NULL   }, /* STOS ES:[EDI] */
    { 0xac, 0xad, OPF_WBIT,                       IMM_NONE,  INSN_OTHER,       "lods",        NULL   }, /* LODS */
    { 0xae, 0xaf, OPF_WBIT,                       IMM_NONE,  INSN_OTHER,       "scas",        NULL   }, /* SCAS */
    { 0xb0, 0xb7, OPF_BYTE,                       IMM_E,     INSN_MOV,         "mov",         NULL   }, /* MOV r8,ib */
    { 0xb8, 0xbf, 0,                              IMM_E,     INSN_MOV,         "mov",         NULL   }, /* MOV r,iz */
    { 0xc0, 0xc1, OPF_MODRM | OPF_WBIT,           IMM_8,     INSN_OTHER,       "shift",       grp2   }, /* shift E,ib */
    { 0xc2, 0xc2, 0,                              IMM_16,    INSN_OTHER,       "ret",         NULL   }, /* RET iw */
    { 0xc3, 0xc3, 0,                              IMM_NONE,  INSN_OTHER,       "ret",         NULL   }, /* RET */
    { 0xc4, 0xc4, OPF_MODRM | OPF_MEMX,           IMM_NONE,  INSN_OTHER,       "les",         NULL   }, /* LES Gz,Mp; mod=3: VEX */
    { 0xc5, 0xc5, OPF_MODRM | OPF_MEMX,           IMM_NONE,  INSN_OTHER,       "lds",         NULL   }, /* LDS Gz,Mp; mod=3: VEX */
    { 0xc6, 0xc7, OPF_MODRM | OPF_WBIT,           IMM_E,     INSN_OTHER,       "mov",         grp11  }, /* MOV E,ib / E,iz */
    { 0xc8, 0xc8, 0,                              IMM_ENTER, INSN_OTHER,       "enter",       NULL   }, /* ENTER iw,ib */
    { 0xc9, 0xc9, 0,                              IMM_NONE,  INSN_OTHER,       "leave",       NULL   }, /* LEAVE */
    { 0xca, 0xca, 0,                              IMM_16,    INSN_RET_FAR,     "lret",        NULL   }, /* RETF iw */
    { 0xcb, 0xcb, 0,                              IMM_NONE,  INSN_RET_FAR,     "lret",        NULL   }, /* RETF */
    { 0xcc, 0xcc, 0,                              IMM_NONE,  INSN_INT3,        "int3",        NULL   }, /* INT3 */
    { 0xcd, 0xcd, 0,                              IMM_8,     INSN_INT,         "int",         NULL   }, /* INT ib */
    { 0xce, 0xce, 0,                              IMM_NONE,  INSN_INTO,        "into",        NULL   }, /* INTO */
    { 0xcf, 0xcf, 0,                              IMM_NONE,  INSN_IRET,        "iret",        NULL   }, /* IRET/IRETD */
    { 0xd0, 0xd3, OPF_MODRM | OPF_WBIT,           IMM_NONE,  INSN_OTHER,       "shift",       grp2   }, /* shift E,1 / E,CL */
    { 0xd4, 0xd4, 0,                              IMM_8,     INSN_OTHER,       "aam",         NULL   }, /* AAM ib */
    { 0xd5, 0xd5, 0,                              IMM_8,     INSN_OTHER,       "aad",         NULL   }, /* AAD ib */
    { 0xd6, 0xd6, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* SALC: undocumented */
    { 0xd7, 0xd7, 0,                              IMM_NONE,  INSN_OTHER,       "xlat",        NULL   }, /* XLAT */
    { 0xd8, 0xdf, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "x87",         NULL   }, /* x87 escapes */
    { 0xe0, 0xe2, 0,                              IMM_REL8,  INSN_OTHER,       "loop",        NULL   }, /* LOOPNE/LOOPE/LOOP */
    { 0xe3, 0xe3, 0,                              IMM_REL8,  INSN_OTHER,       "jecxz",       NULL   }, /* JECXZ (JCXZ with 67) */
    { 0xe4, 0xe5, OPF_WBIT,                       IMM_8,     INSN_IN,          "in",          NULL   }, /* IN AL/eAX,ib */
    { 0xe6, 0xe7, OPF_WBIT,                       IMM_8,     INSN_OUT,         "out",         NULL   }, /* OUT ib,AL/eAX */
    { 0xe8, 0xe8, 0,                              IMM_REL,   INSN_OTHER,       "call",        NULL   }, /* CALL relz */
    { 0xe9, 0xe9, 0,                              IMM_REL,   INSN_OTHER,       "jmp",         NULL   }, /* JMP relz */
    { 0xea, 0xea, 0,                              IMM_FAR,   INSN_JMP_FAR,     "ljmp",        NULL   }, /* JMP ptr16:z */
    { 0xeb, 0xeb, 0,                              IMM_REL8,  INSN_OTHER,       "jmp",         NULL   }, /* JMP rel8 */
    { 0xec, 0xed, OPF_WBIT,                       IMM_NONE,  INSN_IN,          "in",          NULL   }, /* IN AL/eAX,DX */
    { 0xee, 0xef, OPF_WBIT,                       IMM_NONE,  INSN_OUT,         "out",         NULL   }, /* OUT DX,AL/eAX */
    { 0xf0, 0xf0, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "lock",        NULL   }, /* LOCK */
    { 0xf1, 0xf1, 0,                              IMM_NONE,  INSN_INT1,        "int1",        NULL   }, /* INT1 / ICEBP */
    { 0xf2, 0xf2, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "repne",       NULL   }, /* REPNE */
    { 0xf3, 0xf3, OPF_PREFIX,                     IMM_NONE,  INSN_OTHER,       "rep",         NULL   }, /* REP / REPE */
    { 0xf4, 0xf4, 0,                              IMM_NONE,  INSN_HLT,         "hlt",         NULL   }, /* HLT */
    { 0xf5, 0xf5, 0,                              IMM_NONE,  INSN_OTHER,       "cmc",         NULL   }, /* CMC */
    { 0xf6, 0xf7, OPF_MODRM | OPF_WBIT,           IMM_NONE,  INSN_OTHER,       "grp3",        grp3   }, /* TEST/NOT/NEG/MUL/DIV E */
    { 0xf8, 0xf8, 0,                              IMM_NONE,  INSN_OTHER,       "clc",         NULL   }, /* CLC */
    { 0xf9, 0xf9, 0,                              IMM_NONE,  INSN_OTHER,       "stc",         NULL   }, /* STC */
    { 0xfa, 0xfa, 0,                              IMM_NONE,  INSN_CLI,         "cli",         NULL   }, /* CLI */
    { 0xfb, 0xfb, 0,                              IMM_NONE,  INSN_STI,         "sti",         NULL   }, /* STI */
    { 0xfc, 0xfc, 0,                              IMM_NONE,  INSN_OTHER,       "cld",         NULL   }, /* CLD */
    { 0xfd, 0xfd, 0,                              IMM_NONE,  INSN_OTHER,       "std",         NULL   }, /* STD */
    { 0xfe, 0xfe, OPF_MODRM | OPF_BYTE,           IMM_NONE,  INSN_OTHER,       "grp4",        grp4   }, /* INC/DEC Eb */
    { 0xff, 0xff, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "grp5",        grp5   }, /* INC/DEC/CALL/JMP/PUSH Ev */
};
const size_t decode_map_one_rows = sizeof decode_map_one / sizeof decode_map_one[0];

/* ---- two-byte opcode map: 0F xx ---- */

#define SIMD     OPF_MODRM                         /* MMX/SSE op, length only */

const struct opcode_row decode_map_0f[] = {
    /* lo   hi    flags                           imm        kind              mnemonic       group */
    { 0x00, 0x00, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "grp6",        grp6   }, /* SLDT/STR/LLDT/LTR/VERR/VERW */
    { 0x01, 0x01, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "grp7",        grp7   }, /* SGDT/SIDT/LGDT/LIDT/SMSW/LMSW/INVLPG */
    { 0x02, 0x02, OPF_MODRM,                      IMM_NONE,  INSN_LAR,         "lar",         NULL   }, /* LAR Gv,Ew */
    { 0x03, 0x03, OPF_MODRM,                      IMM_NONE,  INSN_LSL,         "lsl",         NULL   }, /* LSL Gv,Ew */
    { 0x04, 0x04, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x05, 0x05, 0,                              IMM_NONE,  INSN_OTHER,       "syscall",     NULL   }, /* SYSCALL (AMD) */
    { 0x06, 0x06, 0,                              IMM_NONE,  INSN_CLTS,        "clts",        NULL   }, /* CLTS */
    { 0x07, 0x07, 0,                              IMM_NONE,  INSN_OTHER,       "sysret",      NULL   }, /* SYSRET (AMD) */
    { 0x08, 0x08, 0,                              IMM_NONE,  INSN_INVD,        "invd",        NULL   }, /* INVD */
    { 0x09, 0x09, 0,                              IMM_NONE,  INSN_WBINVD,      "wbinvd",      NULL   }, /* WBINVD */
    { 0x0a, 0x0a, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x0b, 0x0b, 0,                              IMM_NONE,  INSN_UD,          "ud2",         NULL   }, /* UD2 */
    { 0x0c, 0x0c, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x0d, 0x0d, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "prefetch",    NULL   }, /* PREFETCH/PREFETCHW Mb */
    { 0x0e, 0x0e, 0,                              IMM_NONE,  INSN_OTHER,       "femms",       NULL   }, /* FEMMS (3DNow!) */
    { 0x0f, 0x0f, OPF_MODRM,                      IMM_8,     INSN_OTHER,       "3dnow",       NULL   }, /* 3DNow!: ib is the opcode */
    { 0x10, 0x17, SIMD,                           IMM_NONE,  INSN_OTHER,       "sse",         NULL   }, /* MOVUPS .. MOVHPS */
    { 0x18, 0x1f, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "nop",         NULL   }, /* PREFETCHh, hint NOPs, ENDBR */
    { 0x20, 0x20, OPF_MODRM | OPF_MODREG,         IMM_NONE,  INSN_MOV_FROM_CR, "mov from cr", NULL   }, /* MOV Rd,Cd */
    { 0x21, 0x21, OPF_MODRM | OPF_MODREG,         IMM_NONE,  INSN_MOV_FROM_DR, "mov from dr", NULL   }, /* MOV Rd,Dd */
    { 0x22, 0x22, OPF_MODRM | OPF_MODREG,         IMM_NONE,  INSN_MOV_TO_CR,   "mov to cr",   NULL   }, /* MOV Cd,Rd */
    { 0x23, 0x23, OPF_MODRM | OPF_MODREG,         IMM_NONE,  INSN_MOV_TO_DR,   "mov to dr",   NULL   }, /* MOV Dd,Rd */
    { 0x24, 0x27, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* 24/26: 386/486 MOV TRn */
    { 0x28, 0x2f, SIMD,                           IMM_NONE,  INSN_OTHER,       "sse",         NULL   }, /* MOVAPS .. COMISS */
    { 0x30, 0x30, 0,                              IMM_NONE,  INSN_WRMSR,       "wrmsr",       NULL   }, /* WRMSR */
    { 0x31, 0x31, 0,                              IMM_NONE,  INSN_RDTSC,       "rdtsc",       NULL   }, /* RDTSC */
    { 0x32, 0x32, 0,                              IMM_NONE,  INSN_RDMSR,       "rdmsr",       NULL   }, /* RDMSR */
    { 0x33, 0x33, 0,                              IMM_NONE,  INSN_RDPMC,       "rdpmc",       NULL   }, /* RDPMC */
    { 0x34, 0x34, 0,                              IMM_NONE,  INSN_SYSENTER,    "sysenter",    NULL   }, /* SYSENTER */
    { 0x35, 0x35, 0,                              IMM_NONE,  INSN_SYSEXIT,     "sysexit",     NULL   }, /* SYSEXIT */
    { 0x36, 0x36, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x37, 0x37, 0,                              IMM_NONE,  INSN_OTHER,       "getsec",      NULL   }, /* GETSEC (SMX) */
    { 0x38, 0x38, OPF_UNSUP,                      IMM_NONE,  INSN_OTHER,       "0f38",        NULL   }, /* three-byte map 0F 38 */
    { 0x39, 0x39, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x3a, 0x3a, OPF_UNSUP,                      IMM_NONE,  INSN_OTHER,       "0f3a",        NULL   }, /* three-byte map 0F 3A */
    { 0x3b, 0x3f, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x40, 0x4f, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "cmovcc",      NULL   }, /* CMOVcc Gv,Ev */
    { 0x50, 0x6f, SIMD,                           IMM_NONE,  INSN_OTHER,       "sse",         NULL   }, /* MOVMSKPS .. MOVQ */
    { 0x70, 0x70, SIMD,                           IMM_8,     INSN_OTHER,       "pshuf",       NULL   }, /* PSHUFW/D/HW/LW ib */
    { 0x71, 0x73, SIMD,                           IMM_8,     INSN_OTHER,       "pshift",      NULL   }, /* groups 12-14: shift by ib */
    { 0x74, 0x76, SIMD,                           IMM_NONE,  INSN_OTHER,       "pcmpeq",      NULL   }, /* PCMPEQB/W/D */
    { 0x77, 0x77, 0,                              IMM_NONE,  INSN_OTHER,       "emms",        NULL   }, /* EMMS */
    { 0x78, 0x79, OPF_UNSUP,                      IMM_NONE,  INSN_OTHER,       "vmread",      NULL   }, /* VMREAD/VMWRITE; SSE4a EXTRQ/INSERTQ */
    { 0x7a, 0x7b, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* undefined */
    { 0x7c, 0x7f, SIMD,                           IMM_NONE,  INSN_OTHER,       "sse",         NULL   }, /* HADDPD .. MOVQ/MOVDQA store */
    { 0x80, 0x8f, 0,                              IMM_REL,   INSN_OTHER,       "jcc",         NULL   }, /* Jcc relz */
    { 0x90, 0x9f, OPF_MODRM | OPF_BYTE | OPF_DST, IMM_NONE,  INSN_OTHER,       "setcc",       NULL   }, /* SETcc Eb */
    { 0xa0, 0xa0, 0,                              IMM_NONE,  INSN_PUSH_SREG,   "push",        NULL   }, /* PUSH FS */
    { 0xa1, 0xa1, 0,                              IMM_NONE,  INSN_POP_SREG,    "pop",         NULL   }, /* POP FS */
    { 0xa2, 0xa2, 0,                              IMM_NONE,  INSN_CPUID,       "cpuid",       NULL   }, /* CPUID */
    { 0xa3, 0xa3, OPF_MODRM,                      IMM_NONE,  INSN_BT,          "bt",          NULL   }, /* BT Ev,Gv */
    { 0xa4, 0xa4, OPF_MODRM | OPF_DST,            IMM_8,     INSN_OTHER,       "shld",        NULL   }, /* SHLD Ev,Gv,ib */
    { 0xa5, 0xa5, OPF_MODRM | OPF_DST,            IMM_NONE,  INSN_OTHER,       "shld",        NULL   }, /* SHLD Ev,Gv,CL */
    { 0xa6, 0xa7, OPF_UNSUP,                      IMM_NONE,  INSN_OTHER,       "padlock",     NULL   }, /* VIA PadLock (486: XBTS/IBTS) */
    { 0xa8, 0xa8, 0,                              IMM_NONE,  INSN_PUSH_SREG,   "push",        NULL   }, /* PUSH GS */
    { 0xa9, 0xa9, 0,                              IMM_NONE,  INSN_POP_SREG,    "pop",         NULL   }, /* POP GS */
    { 0xaa, 0xaa, 0,                              IMM_NONE,  INSN_OTHER,       "rsm",         NULL   }, /* RSM */
    { 0xab, 0xab, OPF_MODRM | OPF_DST,            IMM_NONE,  INSN_BTS,         "bts",         NULL   }, /* BTS Ev,Gv */
    { 0xac, 0xac, OPF_MODRM | OPF_DST,            IMM_8,     INSN_OTHER,       "shrd",        NULL   }, /* SHRD Ev,Gv,ib */
    { 0xad, 0xad, OPF_MODRM | OPF_DST,            IMM_NONE,  INSN_OTHER,       "shrd",        NULL   }, /* SHRD Ev,Gv,CL */
    { 0xae, 0xae, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "grp15",       NULL   }, /* FXSAVE .. fences */
    { 0xaf, 0xaf, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "imul",        NULL   }, /* IMUL Gv,Ev */
    { 0xb0, 0xb1, RM_DST,                         IMM_NONE,  INSN_CMPXCHG,     "cmpxchg",     NULL   }, /* CMPXCHG E,G */
    { 0xb2, 0xb2, OPF_MODRM | OPF_MEM,            IMM_NONE,  INSN_LSS,         "lss",         NULL   }, /* LSS Gv,Mp */
    { 0xb3, 0xb3, OPF_MODRM | OPF_DST,            IMM_NONE,  INSN_BTR,         "btr",         NULL   }, /* BTR Ev,Gv */
    { 0xb4, 0xb4, OPF_MODRM | OPF_MEM,            IMM_NONE,  INSN_OTHER,       "lfs",         NULL   }, /* LFS Gv,Mp */
    { 0xb5, 0xb5, OPF_MODRM | OPF_MEM,            IMM_NONE,  INSN_OTHER,       "lgs",         NULL   }, /* LGS Gv,Mp */
    { 0xb6, 0xb7, OPF_MODRM,                      IMM_NONE,  INSN_MOVZX,       "movzx",       NULL   }, /* MOVZX Gv,Eb/Ew */
    { 0xb8, 0xb8, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "popcnt",      NULL   }, /* POPCNT (F3) */
    { 0xb9, 0xb9, OPF_MODRM,                      IMM_NONE,  INSN_UD,          "ud1",         NULL   }, /* UD1 Gv,Ev */
    { 0xba, 0xba, OPF_MODRM,                      IMM_8,     INSN_OTHER,       "grp8",        grp8   }, /* BT/BTS/BTR/BTC Ev,ib */
    { 0xbb, 0xbb, OPF_MODRM | OPF_DST,            IMM_NONE,  INSN_BTC,         "btc",         NULL   }, /* BTC Ev,Gv */
    { 0xbc, 0xbd, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "bsf/bsr",     NULL   }, /* BSF/BSR (F3: TZCNT/LZCNT) */
    { 0xbe, 0xbf, OPF_MODRM,                      IMM_NONE,  INSN_MOVSX,       "movsx",       NULL   }, /* MOVSX Gv,Eb/Ew */
    { 0xc0, 0xc1, RM_DST,                         IMM_NONE,  INSN_XADD,        "xadd",        NULL   }, /* XADD E,G */
    { 0xc2, 0xc2, SIMD,                           IMM_8,     INSN_OTHER,       "cmpps",       NULL   }, /* CMPPS/PD/SS/SD ib */
    { 0xc3, 0xc3, OPF_MODRM | OPF_MEM | OPF_DST,  IMM_NONE,  INSN_OTHER,       "movnti",      NULL   }, /* MOVNTI My,Gy */
    { 0xc4, 0xc6, SIMD,                           IMM_8,     INSN_OTHER,       "sse",         NULL   }, /* PINSRW, PEXTRW, SHUFPS ib */
    { 0xc7, 0xc7, OPF_MODRM,                      IMM_NONE,  INSN_OTHER,       "grp9",        grp9   }, /* CMPXCHG8B Mq, ... */
    { 0xc8, 0xcf, 0,                              IMM_NONE,  INSN_OTHER,       "bswap",       NULL   }, /* BSWAP r */
    { 0xd0, 0xfe, SIMD,                           IMM_NONE,  INSN_OTHER,       "sse",         NULL   }, /* ADDSUBPD .. PADDD */
    { 0xff, 0xff, OPF_BAD,                        IMM_NONE,  INSN_OTHER,       "(bad)",       NULL   }, /* UD0: length differs by vendor */
};
const size_t decode_map_0f_rows = sizeof decode_map_0f / sizeof decode_map_0f[0];

static const struct opcode_row *search(enum opmap map, uint8_t op)
{
    const struct opcode_row *rows = map == MAP_0F ? decode_map_0f : decode_map_one;
    size_t n = map == MAP_0F ? decode_map_0f_rows : decode_map_one_rows;

    for (size_t i = 0; i < n; i++)	/* bound: the map's rows */
        if (op >= rows[i].lo && op <= rows[i].hi)
            return &rows[i];
    return NULL;    /* unreachable: the maps cover 00-FF (unit-tested) */
}

/* The rows are ranges, searched in order; every trap decodes at least one
 * opcode, so each answer is remembered (a row never moves). */
const struct opcode_row *decode_lookup(enum opmap map, uint8_t op)
{
    static const struct opcode_row *seen[2][256];
    const struct opcode_row **slot = &seen[map == MAP_0F][op];

    if (*slot == NULL)
        *slot = search(map, op);
    return *slot;
}
