/*
 * decode.h - decode one x86-32 instruction: bytes in, struct insn out.
 *
 * When a guest kernel running in ring 1 executes CLI, OUT or MOV CR3, the
 * CPU raises #GP and leaves the monitor with a guest EIP; when it writes
 * a page table that the monitor has write-protected, the CPU raises #PF.
 * In both cases the monitor must find out which instruction it was, how
 * long it is, and which memory it addresses before it can emulate it.
 * decode_insn() answers that from the instruction bytes alone.  It reads
 * the bytes through a fetch callback (struct decode_ops), so the monitor
 * reads guest-virtual memory and learns about a fault, while the host
 * unit tests read a plain buffer.  The same source builds into both.
 *
 * Typical use in the monitor:
 *
 *     struct insn in;
 *     switch (decode_insn(&guest_code_ops, linear_eip, &in)) {
 *     case DECODE_OK:          emulate by in.kind, advance EIP by in.len
 *     case DECODE_FETCH_FAULT: reflect #PF for in.fault_addr
 *     case DECODE_INVALID:     reflect #UD
 *     case DECODE_TOO_LONG:    reflect #GP(0)
 *     case DECODE_UNSUPPORTED: end the guest, naming the opcode
 *     }
 *
 * The instruction format, and what is and is not handled, are described
 * at the top of decode.c.
 */
#ifndef TRAP_DECODE_H
#define TRAP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSN_MAX_LEN    15      /* longer instructions raise #GP(0) */

/* General registers in ModRM/SIB encoding order; also the order of the
 * regs[] array that decode_ea() takes. */
enum gpr {
    GPR_EAX, GPR_ECX, GPR_EDX, GPR_EBX, GPR_ESP, GPR_EBP, GPR_ESI, GPR_EDI,
    GPR_COUNT,
    GPR_NONE = GPR_COUNT        /* "no base" / "no index" */
};

/* Segment registers in their encoding order (ModRM.reg of MOV Sreg). */
enum sreg {
    SREG_ES, SREG_CS, SREG_SS, SREG_DS, SREG_FS, SREG_GS,
    SREG_NONE                   /* no segment-override prefix */
};

/* Prefix bits in insn.prefixes: which legacy prefixes were present. */
#define PFX_LOCK        0x01    /* F0 */
#define PFX_REPNE       0x02    /* F2 */
#define PFX_REP         0x04    /* F3 (REP / REPE) */
#define PFX_OPSIZE      0x08    /* 66: the other operand size */
#define PFX_ADDRSIZE    0x10    /* 67: the other address size */
#define PFX_SEG         0x20    /* one of 26 2E 36 3E 64 65 */

/* Which of F2/F3 governs a string instruction: the last one given. */
enum rep_kind { REP_NONE, REP_E, REP_NE };

/* Opcode maps: one-byte opcodes, and two-byte opcodes after the 0F escape. */
enum opmap { MAP_ONE, MAP_0F };

/*
 * What an instruction is, for the instructions the monitor emulates or
 * inspects.  Everything else decodes as INSN_OTHER (its mnemonic is still
 * in insn.mnem).  "FROM"/"TO" name the direction: MOV_TO_CR writes CRn.
 */
enum insn_kind {
    INSN_OTHER,
    /* interrupt flag, halting, port I/O */
    INSN_CLI, INSN_STI, INSN_HLT,
    INSN_IN, INSN_OUT, INSN_INS, INSN_OUTS,
    /* descriptor tables, task register, CR0 low word, TLB */
    INSN_LGDT, INSN_LIDT, INSN_SGDT, INSN_SIDT,
    INSN_LLDT, INSN_SLDT, INSN_LTR, INSN_STR,
    INSN_LMSW, INSN_SMSW, INSN_INVLPG,
    /* control and debug registers, caches, MSRs, counters */
    INSN_MOV_FROM_CR, INSN_MOV_TO_CR, INSN_MOV_FROM_DR, INSN_MOV_TO_DR,
    INSN_CLTS, INSN_WBINVD, INSN_INVD,
    INSN_RDMSR, INSN_WRMSR, INSN_RDTSC, INSN_RDPMC, INSN_CPUID,
    /* interrupts and privilege-changing control transfers */
    INSN_INT, INSN_INT3, INSN_INTO, INSN_INT1, INSN_IRET,
    INSN_PUSHF, INSN_POPF,
    INSN_CALL_FAR, INSN_JMP_FAR, INSN_RET_FAR,
    INSN_SYSENTER, INSN_SYSEXIT,
    INSN_UD,                    /* UD2 / UD1: defined to raise #UD */
    /* segments */
    INSN_LAR, INSN_LSL, INSN_VERR, INSN_VERW,
    INSN_PUSH_SREG, INSN_POP_SREG, INSN_MOV_FROM_SREG, INSN_MOV_TO_SREG,
    INSN_LSS,                   /* LDS/LES/LFS/LGS never trap: INSN_OTHER */
    /* data movement and read-modify-write (the page-table write emulator) */
    INSN_MOV, INSN_XCHG, INSN_CMPXCHG, INSN_CMPXCHG8B, INSN_XADD,
    INSN_ADD, INSN_OR, INSN_ADC, INSN_SBB,
    INSN_AND, INSN_SUB, INSN_XOR, INSN_CMP,
    INSN_STOS, INSN_MOVS,
    INSN_TEST, INSN_MOVZX, INSN_MOVSX,      /* reads (MMIO) */
    INSN_BT, INSN_BTS, INSN_BTR, INSN_BTC,
    INSN_INC, INSN_DEC, INSN_NOT, INSN_NEG,
    INSN_SHL, INSN_SHR, INSN_SAR,           /* SAL decodes as SHL */
    INSN_KIND_COUNT
};

/* One decoded instruction.  Fields are meaningful only after DECODE_OK,
 * except fault_addr (DECODE_FETCH_FAULT) and what was read so far. */
struct insn {
    uint8_t len;                /* total length in bytes, 1..15 */
    uint8_t bytes[INSN_MAX_LEN];/* the bytes read, for traces */

    /* prefixes */
    uint8_t prefixes;           /* PFX_* */
    uint8_t nprefixes;          /* count, repeats included */
    enum sreg seg_override;     /* last segment prefix, or SREG_NONE */
    enum rep_kind rep;          /* last of F2/F3 */
    bool lock;                  /* F0 */

    /* sizes in bytes */
    uint8_t opsize;             /* 2 or 4: code segment default, 66 flips */
    uint8_t addrsize;           /* 2 or 4: code segment default, 67 flips */
    uint8_t width;              /* data width: 1 for byte forms (w bit
                                   clear), 8 for CMPXCHG8B, else opsize */

    /* opcode */
    enum opmap map;             /* MAP_0F: the opcode followed 0F */
    uint8_t opcode;             /* the (last) opcode byte */

    /* ModRM: mod(7:6) reg(5:3) rm(2:0) */
    bool has_modrm;
    uint8_t mod, reg, rm;       /* reg: register, Sreg, CRn/DRn, or the
                                   group member ("/digit") */

    /* SIB: scale(7:6) index(5:3) base(2:0), raw fields */
    bool has_sib;
    uint8_t sib_scale, sib_index, sib_base;

    /* displacement (ModRM or moffs), sign-extended */
    int32_t disp;
    uint8_t disp_size;          /* 0, 1, 2 or 4 */

    /* immediates: imm is sign-extended where the CPU sign-extends it
       (83, 6A, 6B, relative branches), otherwise zero-extended.  imm2 is
       the selector of a far pointer (9A, EA) or ENTER's nesting level. */
    uint32_t imm, imm2;
    uint8_t imm_size, imm2_size;

    /* The memory operand (ModRM memory form or moffs).  Its offset is
       decode_ea(); its segment is seg.  For string instructions, seg is
       the segment of the source DS:ESI; the destination is always ES:EDI. */
    bool has_mem;
    enum gpr base, index;       /* GPR_NONE if absent */
    uint8_t scale;              /* 1, 2, 4 or 8 */
    enum sreg seg;              /* override, else DS, or SS for an
                                   ESP/EBP (32-bit) or BP (16-bit) base */
    bool mem_dst;               /* the memory operand is written (integer
                                   instructions; x87/SSE stores not marked) */

    enum insn_kind kind;        /* INSN_OTHER unless DECODE_OK */
    const char *mnem;           /* short lowercase name, for traces; after
                                   a refusal, the opcode or group member
                                   reached, or "(bad)" */

    uint32_t fault_addr;        /* DECODE_FETCH_FAULT: the address */
};

enum decode_result {
    DECODE_OK,                  /* *in describes one whole instruction */
    DECODE_INVALID,             /* undefined opcode: the CPU raises #UD */
    DECODE_TOO_LONG,            /* over 15 bytes: the CPU raises #GP(0) */
    DECODE_UNSUPPORTED,         /* defined, but not decoded here: 0F 38,
                                   0F 3A, VEX/EVEX/XOP, VMX/SSE4a 0F 78/79,
                                   PadLock 0F A6/A7, 0F 01 register forms
                                   other than SMSW/LMSW */
    DECODE_FETCH_FAULT,         /* ops->fetch failed at in->fault_addr */
};

/*
 * Where the instruction bytes come from.  fetch() reads the byte at a
 * linear address and returns 0, or returns nonzero if it cannot (the
 * monitor's guest-virtual read records why in its ctx).  code16 is set for
 * a 16-bit code segment (CS.D = 0): 16-bit default operand/address size.
 */
struct decode_ops {
    int (*fetch)(void *ctx, uint32_t addr, uint8_t *byte);
    void *ctx;
    bool code16;
};

/* Decode the instruction that starts at linear address addr. */
enum decode_result decode_insn(const struct decode_ops *ops, uint32_t addr,
                               struct insn *in);

/* Decode 32-bit code from buf[0..len); reading past len is a fetch fault
 * whose fault_addr is the offset into buf. */
enum decode_result decode_buf(const uint8_t *buf, size_t len, struct insn *in);

/* The offset (before segmentation) of in's memory operand, given the
 * guest's registers in enum gpr order; wraps at 64K for 16-bit addressing.
 * Only meaningful when in->has_mem. */
uint32_t decode_ea(const struct insn *in, const uint32_t regs[GPR_COUNT]);

/* "ok", "invalid", ... for messages. */
const char *decode_result_name(enum decode_result r);

#endif /* TRAP_DECODE_H */
