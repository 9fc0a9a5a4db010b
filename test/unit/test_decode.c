/*
 * test_decode.c - host unit tests of the x86-32 decoder (src/trap/decode.c).
 *
 *   known_encodings   hand-checked instructions: length, kind, sizes, every
 *                     ModRM/SIB/displacement/immediate field, and the
 *                     effective address and segment for fixed registers
 *   code16            the same decoder for a 16-bit code segment
 *   fetch_fault       a fetch that fails at byte k: the fault and its address
 *   too_long          15 bytes decode, 16 are #GP whatever they are
 *   tables            each opcode map covers 00-FF once, in order
 *   objdump_lengths   lengths against GNU objdump for a fixed-seed random set
 *                     (build/unit/decode_cases.h, made by gen_decode_cases.py)
 *
 * Build (from the repository root):
 *   python3 test/unit/gen_decode_cases.py -o build/unit/decode_cases.h
 *   gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -o build/unit/test_decode \
 *       test/unit/test_decode.c src/trap/decode*.c -lcmocka
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "trap/decode.h"
#include "trap/decode_table.h"

/* The objdump cases; a missing header fails the build, never the check. */
enum objdump_says {
    OBJDUMP_INSN,               /* one instruction of len bytes */
    OBJDUMP_BAD,                /* "(bad)" or the like */
    OBJDUMP_PREFIXES,           /* a line of prefixes only: objdump found
                                   the instruction over 15 bytes, or split
                                   off 14 prefixes (len 14) */
};
struct decode_case {
    uint8_t bytes[INSN_MAX_LEN + 1];
    uint8_t len;                /* bytes on objdump's first line */
    enum objdump_says says;
    const char *objdump;        /* objdump's text */
};
#ifndef DECODE_CASES_HEADER
#define DECODE_CASES_HEADER "../../build/unit/decode_cases.h"
#endif
#include DECODE_CASES_HEADER

#define MIN_COMPARED    20000   /* the differential test must compare this many */
#define MAX_REPORTED    20      /* mismatches printed in full */

/* Registers used for every effective address below. */
static const uint32_t regs[GPR_COUNT] = {
    [GPR_EAX] = 0x00001000, [GPR_ECX] = 0x00000003,
    [GPR_EDX] = 0x00020000, [GPR_EBX] = 0x1234fff0,
    [GPR_ESP] = 0x00007ff0, [GPR_EBP] = 0x00008000,
    [GPR_ESI] = 0x00000020, [GPR_EDI] = 0xffffff00,
};

static const char *const sreg_names[] = { "es", "cs", "ss", "ds", "fs", "gs", NULL };

/* Parse "8b 44 8d 10" into buf; returns the byte count. */
static size_t parse_hex(const char *hex, uint8_t *buf, size_t max)
{
    size_t n = 0;
    unsigned byte;
    int used;

    while (n < max && sscanf(hex, " %2x%n", &byte, &used) == 1) {
        buf[n++] = (uint8_t)byte;
        hex += used;
    }
    return n;
}

/* ---------------------------------------------------------------------
 * Known encodings.  Unnamed fields expect "absent": no ModRM, no SIB,
 * no displacement, no immediate, no prefix, no memory operand; operand
 * and address size 0 mean 4.  width and mnem are checked when given.
 */
struct known {
    const char *hex;
    const char *text;           /* Intel syntax, for failure messages */
    enum decode_result result;
    uint8_t len;
    enum insn_kind kind;
    uint8_t osz, asz, width;
    uint8_t pfx;                /* PFX_* */
    enum rep_kind rep;
    const char *ovr;            /* segment override */
    const char *modrm;          /* "mod/reg/rm" */
    const char *sib;            /* "scale/index/base", raw fields */
    int32_t disp;
    uint8_t dsz;
    uint32_t imm, imm2;
    uint8_t isz, i2sz;
    bool mem;                   /* memory operand: check ea and seg */
    uint32_t ea;
    const char *seg;
    bool dst;                   /* the memory operand is written */
    const char *mnem;
};

static const struct known known[] = {
    /* the examples of DESIGN/brief, and the addressing forms */
    { "8b 44 8d 10", "mov eax,[ebp+ecx*4+0x10]", .len = 4, .kind = INSN_MOV, .width = 4,
      .modrm = "1/0/4", .sib = "2/1/5", .disp = 0x10, .dsz = 1, .mem = true, .ea = 0x801c, .seg = "ss" },
    { "67 8b 42 02", "mov eax,[bp+si+2]", .len = 4, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "1/0/2", .disp = 2, .dsz = 1, .mem = true, .ea = 0x8022, .seg = "ss" },
    { "8b 04 25 78 56 34 12", "mov eax,[0x12345678] (SIB, no base, no index)", .len = 7, .kind = INSN_MOV,
      .modrm = "0/0/4", .sib = "0/4/5", .disp = 0x12345678, .dsz = 4, .mem = true, .ea = 0x12345678, .seg = "ds" },
    { "8b 04 24", "mov eax,[esp]", .len = 3, .kind = INSN_MOV,
      .modrm = "0/0/4", .sib = "0/4/4", .mem = true, .ea = 0x7ff0, .seg = "ss" },
    { "8b 44 24 fc", "mov eax,[esp-4]", .len = 4, .kind = INSN_MOV,
      .modrm = "1/0/4", .sib = "0/4/4", .disp = -4, .dsz = 1, .mem = true, .ea = 0x7fec, .seg = "ss" },
    { "8b 84 c8 00 01 00 00", "mov eax,[eax+ecx*8+0x100]", .len = 7, .kind = INSN_MOV,
      .modrm = "2/0/4", .sib = "3/1/0", .disp = 0x100, .dsz = 4, .mem = true, .ea = 0x1118, .seg = "ds" },
    { "8b 04 ad 00 00 00 00", "mov eax,[ebp*4+0] (index EBP: still DS)", .len = 7, .kind = INSN_MOV,
      .modrm = "0/0/4", .sib = "2/5/5", .dsz = 4, .mem = true, .ea = 0x20000, .seg = "ds" },
    { "8b 44 25 08", "mov eax,[ebp+8] (SIB base 5, mod 1: EBP)", .len = 4, .kind = INSN_MOV,
      .modrm = "1/0/4", .sib = "0/4/5", .disp = 8, .dsz = 1, .mem = true, .ea = 0x8008, .seg = "ss" },
    { "8b 45 00", "mov eax,[ebp+0]", .len = 3, .kind = INSN_MOV,
      .modrm = "1/0/5", .dsz = 1, .mem = true, .ea = 0x8000, .seg = "ss" },
    { "8b 05 00 20 00 00", "mov eax,[0x2000]", .len = 6, .kind = INSN_MOV,
      .modrm = "0/0/5", .disp = 0x2000, .dsz = 4, .mem = true, .ea = 0x2000, .seg = "ds" },
    { "8b 8d 00 ff ff ff", "mov ecx,[ebp-0x100]", .len = 6, .kind = INSN_MOV,
      .modrm = "2/1/5", .disp = -0x100, .dsz = 4, .mem = true, .ea = 0x7f00, .seg = "ss" },
    { "8b c8", "mov ecx,eax", .len = 2, .kind = INSN_MOV, .width = 4, .modrm = "3/1/0" },
    /* 16-bit addressing: every r/m, wraparound at 64K */
    { "67 8b 00", "mov eax,[bx+si] (wraps)", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/0", .mem = true, .ea = 0x0010, .seg = "ds" },
    { "67 8b 01", "mov eax,[bx+di]", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/1", .mem = true, .ea = 0xfef0, .seg = "ds" },
    { "67 8b 02", "mov eax,[bp+si]", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/2", .mem = true, .ea = 0x8020, .seg = "ss" },
    { "67 8b 03", "mov eax,[bp+di]", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/3", .mem = true, .ea = 0x7f00, .seg = "ss" },
    { "67 8b 04", "mov eax,[si]", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/4", .mem = true, .ea = 0x0020, .seg = "ds" },
    { "67 8b 05", "mov eax,[di]", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/5", .mem = true, .ea = 0xff00, .seg = "ds" },
    { "67 8b 06 34 12", "mov eax,[0x1234]", .len = 5, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/6", .disp = 0x1234, .dsz = 2, .mem = true, .ea = 0x1234, .seg = "ds" },
    { "67 8b 07", "mov eax,[bx]", .len = 3, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "0/0/7", .mem = true, .ea = 0xfff0, .seg = "ds" },
    { "67 8b 46 fe", "mov eax,[bp-2]", .len = 4, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "1/0/6", .disp = -2, .dsz = 1, .mem = true, .ea = 0x7ffe, .seg = "ss" },
    { "67 8b 87 00 80", "mov eax,[bx-0x8000] (disp16 sign, wrap)", .len = 5, .kind = INSN_MOV, .asz = 2,
      .pfx = PFX_ADDRSIZE, .modrm = "2/0/7", .disp = -0x8000, .dsz = 2, .mem = true, .ea = 0x7ff0, .seg = "ds" },
    { "67 8b 84 10 00", "mov eax,[si+0x10]", .len = 5, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .modrm = "2/0/4", .disp = 0x10, .dsz = 2, .mem = true, .ea = 0x0030, .seg = "ds" },
    { "67 a1 34 12", "mov eax,[0x1234] (moffs16)", .len = 4, .kind = INSN_MOV, .asz = 2, .pfx = PFX_ADDRSIZE,
      .disp = 0x1234, .dsz = 2, .mem = true, .ea = 0x1234, .seg = "ds" },
    { "a1 78 56 34 12", "mov eax,[0x12345678] (moffs32)", .len = 5, .kind = INSN_MOV, .width = 4,
      .disp = 0x12345678, .dsz = 4, .mem = true, .ea = 0x12345678, .seg = "ds" },
    { "66 a1 78 56 34 12", "mov ax,[0x12345678] (66 does not shrink moffs)", .len = 6, .kind = INSN_MOV,
      .osz = 2, .width = 2, .pfx = PFX_OPSIZE, .disp = 0x12345678, .dsz = 4, .mem = true, .ea = 0x12345678, .seg = "ds" },
    /* control registers, debug registers, system instructions */
    { "0f 22 d8", "mov cr3,eax", .len = 3, .kind = INSN_MOV_TO_CR, .modrm = "3/3/0", .mnem = "mov to cr" },
    { "0f 22 18", "mov cr3,eax (mod 0 ignored: no memory)", .len = 3, .kind = INSN_MOV_TO_CR, .modrm = "0/3/0" },
    { "0f 20 c0", "mov eax,cr0", .len = 3, .kind = INSN_MOV_FROM_CR, .modrm = "3/0/0" },
    { "0f 20 d7", "mov edi,cr2", .len = 3, .kind = INSN_MOV_FROM_CR, .modrm = "3/2/7" },
    { "0f 21 c8", "mov eax,dr1", .len = 3, .kind = INSN_MOV_FROM_DR, .modrm = "3/1/0" },
    { "0f 23 f8", "mov dr7,eax", .len = 3, .kind = INSN_MOV_TO_DR, .modrm = "3/7/0" },
    { "0f 01 38", "invlpg [eax]", .len = 3, .kind = INSN_INVLPG, .modrm = "0/7/0",
      .mem = true, .ea = 0x1000, .seg = "ds", .mnem = "invlpg" },
    { "0f 01 15 00 20 00 00", "lgdt [0x2000]", .len = 7, .kind = INSN_LGDT, .modrm = "0/2/5",
      .disp = 0x2000, .dsz = 4, .mem = true, .ea = 0x2000, .seg = "ds" },
    { "0f 01 1b", "lidt [ebx]", .len = 3, .kind = INSN_LIDT, .modrm = "0/3/3",
      .mem = true, .ea = 0x1234fff0, .seg = "ds" },
    { "0f 01 04 24", "sgdt [esp]", .len = 4, .kind = INSN_SGDT, .modrm = "0/0/4", .sib = "0/4/4",
      .mem = true, .ea = 0x7ff0, .seg = "ss", .dst = true },
    { "0f 01 4d fc", "sidt [ebp-4]", .len = 4, .kind = INSN_SIDT, .modrm = "1/1/5", .disp = -4, .dsz = 1,
      .mem = true, .ea = 0x7ffc, .seg = "ss", .dst = true },
    { "0f 01 f0", "lmsw ax", .len = 3, .kind = INSN_LMSW, .modrm = "3/6/0" },
    { "0f 01 30", "lmsw [eax]", .len = 3, .kind = INSN_LMSW, .modrm = "0/6/0", .mem = true, .ea = 0x1000, .seg = "ds" },
    { "0f 01 e0", "smsw eax", .len = 3, .kind = INSN_SMSW, .modrm = "3/4/0" },
    { "0f 00 d0", "lldt ax", .len = 3, .kind = INSN_LLDT, .modrm = "3/2/0" },
    { "0f 00 c0", "sldt eax", .len = 3, .kind = INSN_SLDT, .modrm = "3/0/0" },
    { "0f 00 d8", "ltr ax", .len = 3, .kind = INSN_LTR, .modrm = "3/3/0" },
    { "0f 00 0e", "str [esi]", .len = 3, .kind = INSN_STR, .modrm = "0/1/6",
      .mem = true, .ea = 0x20, .seg = "ds", .dst = true },
    { "0f 00 20", "verr [eax]", .len = 3, .kind = INSN_VERR, .modrm = "0/4/0", .mem = true, .ea = 0x1000, .seg = "ds" },
    { "0f 00 e9", "verw cx", .len = 3, .kind = INSN_VERW, .modrm = "3/5/1" },
    { "0f 02 c1", "lar eax,ecx", .len = 3, .kind = INSN_LAR, .modrm = "3/0/1" },
    { "0f 03 06", "lsl eax,[esi]", .len = 3, .kind = INSN_LSL, .modrm = "0/0/6", .mem = true, .ea = 0x20, .seg = "ds" },
    { "0f 06", "clts", .len = 2, .kind = INSN_CLTS },
    { "0f 08", "invd", .len = 2, .kind = INSN_INVD },
    { "0f 09", "wbinvd", .len = 2, .kind = INSN_WBINVD },
    { "0f 30", "wrmsr", .len = 2, .kind = INSN_WRMSR },
    { "0f 31", "rdtsc", .len = 2, .kind = INSN_RDTSC },
    { "0f 32", "rdmsr", .len = 2, .kind = INSN_RDMSR },
    { "0f 33", "rdpmc", .len = 2, .kind = INSN_RDPMC },
    { "0f a2", "cpuid", .len = 2, .kind = INSN_CPUID },
    { "0f 0b", "ud2", .len = 2, .kind = INSN_UD },
    /* interrupt flag, halt, interrupts */
    { "fa", "cli", .len = 1, .kind = INSN_CLI, .mnem = "cli" },
    { "fb", "sti", .len = 1, .kind = INSN_STI },
    { "f4", "hlt", .len = 1, .kind = INSN_HLT },
    { "cf", "iretd", .len = 1, .kind = INSN_IRET },
    { "66 cf", "iretw", .len = 2, .kind = INSN_IRET, .osz = 2, .pfx = PFX_OPSIZE },
    { "cd 80", "int 0x80", .len = 2, .kind = INSN_INT, .imm = 0x80, .isz = 1 },
    { "cc", "int3", .len = 1, .kind = INSN_INT3 },
    { "ce", "into", .len = 1, .kind = INSN_INTO },
    { "f1", "int1", .len = 1, .kind = INSN_INT1 },
    { "9c", "pushfd", .len = 1, .kind = INSN_PUSHF },
    { "66 9d", "popfw", .len = 2, .kind = INSN_POPF, .osz = 2, .pfx = PFX_OPSIZE },
    /* port I/O */
    { "e4 60", "in al,0x60", .len = 2, .kind = INSN_IN, .width = 1, .imm = 0x60, .isz = 1 },
    { "e5 60", "in eax,0x60", .len = 2, .kind = INSN_IN, .width = 4, .imm = 0x60, .isz = 1 },
    { "e6 80", "out 0x80,al", .len = 2, .kind = INSN_OUT, .width = 1, .imm = 0x80, .isz = 1 },
    { "66 e7 70", "out 0x70,ax", .len = 3, .kind = INSN_OUT, .osz = 2, .width = 2, .pfx = PFX_OPSIZE, .imm = 0x70, .isz = 1 },
    { "ec", "in al,dx", .len = 1, .kind = INSN_IN, .width = 1 },
    { "66 ed", "in ax,dx", .len = 2, .kind = INSN_IN, .osz = 2, .width = 2, .pfx = PFX_OPSIZE },
    { "ee", "out dx,al", .len = 1, .kind = INSN_OUT, .width = 1 },
    { "66 ef", "out dx,ax", .len = 2, .kind = INSN_OUT, .osz = 2, .width = 2, .pfx = PFX_OPSIZE },
    { "6c", "insb", .len = 1, .kind = INSN_INS, .width = 1 },
    { "f3 6d", "rep insd", .len = 2, .kind = INSN_INS, .width = 4, .pfx = PFX_REP, .rep = REP_E },
    { "6e", "outsb", .len = 1, .kind = INSN_OUTS, .width = 1 },
    { "f3 6f", "rep outsd", .len = 2, .kind = INSN_OUTS, .width = 4, .pfx = PFX_REP, .rep = REP_E },
    { "2e f3 66 6f", "rep outsw cs:[esi]", .len = 4, .kind = INSN_OUTS, .osz = 2, .width = 2,
      .pfx = PFX_REP | PFX_SEG | PFX_OPSIZE, .rep = REP_E, .ovr = "cs" },
    /* far transfers and segment registers */
    { "9a 78 56 34 12 08 00", "call 0x8:0x12345678", .len = 7, .kind = INSN_CALL_FAR,
      .imm = 0x12345678, .isz = 4, .imm2 = 8, .i2sz = 2 },
    { "66 9a 34 12 08 00", "call 0x8:0x1234 (ptr16:16)", .len = 6, .kind = INSN_CALL_FAR, .osz = 2, .pfx = PFX_OPSIZE,
      .imm = 0x1234, .isz = 2, .imm2 = 8, .i2sz = 2 },
    { "ea 00 00 10 00 10 00", "jmp 0x10:0x100000", .len = 7, .kind = INSN_JMP_FAR,
      .imm = 0x100000, .isz = 4, .imm2 = 0x10, .i2sz = 2 },
    { "ff 1d 00 30 00 00", "call far [0x3000]", .len = 6, .kind = INSN_CALL_FAR, .modrm = "0/3/5",
      .disp = 0x3000, .dsz = 4, .mem = true, .ea = 0x3000, .seg = "ds" },
    { "ff 2c 85 00 01 00 00", "jmp far [eax*4+0x100]", .len = 7, .kind = INSN_JMP_FAR, .modrm = "0/5/4",
      .sib = "2/0/5", .disp = 0x100, .dsz = 4, .mem = true, .ea = 0x4100, .seg = "ds" },
    { "ff d8", "call far eax: no such form", .result = DECODE_INVALID },
    { "ff d0", "call eax (near)", .len = 2, .modrm = "3/2/0", .mnem = "call" },
    { "cb", "retf", .len = 1, .kind = INSN_RET_FAR },
    { "ca 08 00", "retf 8", .len = 3, .kind = INSN_RET_FAR, .imm = 8, .isz = 2 },
    { "66 ca 08 00", "retfw 8 (66 leaves iw)", .len = 4, .kind = INSN_RET_FAR, .osz = 2, .pfx = PFX_OPSIZE,
      .imm = 8, .isz = 2 },
    { "c2 04 00", "ret 4", .len = 3, .imm = 4, .isz = 2 },
    { "06", "push es", .len = 1, .kind = INSN_PUSH_SREG },
    { "1f", "pop ds", .len = 1, .kind = INSN_POP_SREG },
    { "0f a0", "push fs", .len = 2, .kind = INSN_PUSH_SREG },
    { "0f a9", "pop gs", .len = 2, .kind = INSN_POP_SREG },
    { "8e d8", "mov ds,eax", .len = 2, .kind = INSN_MOV_TO_SREG, .modrm = "3/3/0" },
    { "8c c8", "mov eax,cs", .len = 2, .kind = INSN_MOV_FROM_SREG, .modrm = "3/1/0" },
    { "8c 1e", "mov [esi],ds", .len = 2, .kind = INSN_MOV_FROM_SREG, .modrm = "0/3/6",
      .mem = true, .ea = 0x20, .seg = "ds", .dst = true },
    { "8e c8", "mov cs,eax: #UD", .result = DECODE_INVALID },
    { "8c f0", "mov eax,sreg6: #UD", .result = DECODE_INVALID },
    /* memory writes for the page-table write emulator */
    { "89 03", "mov [ebx],eax", .len = 2, .kind = INSN_MOV, .width = 4, .modrm = "0/0/3",
      .mem = true, .ea = 0x1234fff0, .seg = "ds", .dst = true },
    { "88 07", "mov [edi],al", .len = 2, .kind = INSN_MOV, .width = 1, .modrm = "0/0/7",
      .mem = true, .ea = 0xffffff00, .seg = "ds", .dst = true },
    { "c7 00 67 00 00 00", "mov dword [eax],0x67", .len = 6, .kind = INSN_MOV, .width = 4, .modrm = "0/0/0",
      .imm = 0x67, .isz = 4, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "66 c7 00 34 12", "mov word [eax],0x1234", .len = 5, .kind = INSN_MOV, .osz = 2, .width = 2, .pfx = PFX_OPSIZE,
      .modrm = "0/0/0", .imm = 0x1234, .isz = 2, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "c6 05 10 00 00 00 ff", "mov byte [0x10],0xff", .len = 7, .kind = INSN_MOV, .width = 1, .modrm = "0/0/5",
      .disp = 0x10, .dsz = 4, .imm = 0xff, .isz = 1, .mem = true, .ea = 0x10, .seg = "ds", .dst = true },
    { "a3 00 10 00 00", "mov [0x1000],eax", .len = 5, .kind = INSN_MOV, .width = 4,
      .disp = 0x1000, .dsz = 4, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "64 a2 34 12 00 00", "mov fs:[0x1234],al", .len = 6, .kind = INSN_MOV, .width = 1, .pfx = PFX_SEG, .ovr = "fs",
      .disp = 0x1234, .dsz = 4, .mem = true, .ea = 0x1234, .seg = "fs", .dst = true },
    { "87 0b", "xchg [ebx],ecx", .len = 2, .kind = INSN_XCHG, .modrm = "0/1/3",
      .mem = true, .ea = 0x1234fff0, .seg = "ds", .dst = true },
    { "86 c4", "xchg ah,al", .len = 2, .kind = INSN_XCHG, .width = 1, .modrm = "3/0/4" },
    { "f0 0f b1 0a", "lock cmpxchg [edx],ecx", .len = 4, .kind = INSN_CMPXCHG, .width = 4, .pfx = PFX_LOCK,
      .modrm = "0/1/2", .mem = true, .ea = 0x20000, .seg = "ds", .dst = true },
    { "0f b0 0a", "cmpxchg [edx],cl", .len = 3, .kind = INSN_CMPXCHG, .width = 1,
      .modrm = "0/1/2", .mem = true, .ea = 0x20000, .seg = "ds", .dst = true },
    { "f0 0f c7 0e", "lock cmpxchg8b [esi]", .len = 4, .kind = INSN_CMPXCHG8B, .width = 8, .pfx = PFX_LOCK,
      .modrm = "0/1/6", .mem = true, .ea = 0x20, .seg = "ds", .dst = true, .mnem = "cmpxchg8b" },
    { "0f c7 c8", "cmpxchg8b eax: #UD", .result = DECODE_INVALID },
    { "21 08", "and [eax],ecx", .len = 2, .kind = INSN_AND, .modrm = "0/1/0",
      .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "23 08", "and ecx,[eax] (reads memory)", .len = 2, .kind = INSN_AND, .modrm = "0/1/0",
      .mem = true, .ea = 0x1000, .seg = "ds" },
    { "09 0c 24", "or [esp],ecx", .len = 3, .kind = INSN_OR, .modrm = "0/1/4", .sib = "0/4/4",
      .mem = true, .ea = 0x7ff0, .seg = "ss", .dst = true },
    { "31 44 24 04", "xor [esp+4],eax", .len = 4, .kind = INSN_XOR, .modrm = "1/0/4", .sib = "0/4/4",
      .disp = 4, .dsz = 1, .mem = true, .ea = 0x7ff4, .seg = "ss", .dst = true },
    { "01 00", "add [eax],eax", .len = 2, .kind = INSN_ADD, .modrm = "0/0/0",
      .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "29 03", "sub [ebx],eax", .len = 2, .kind = INSN_SUB, .modrm = "0/0/3",
      .mem = true, .ea = 0x1234fff0, .seg = "ds", .dst = true },
    { "83 20 fe", "and dword [eax],-2", .len = 3, .kind = INSN_AND, .width = 4, .modrm = "0/4/0",
      .imm = 0xfffffffe, .isz = 1, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true, .mnem = "and" },
    { "81 08 00 00 00 80", "or dword [eax],0x80000000", .len = 6, .kind = INSN_OR, .modrm = "0/1/0",
      .imm = 0x80000000, .isz = 4, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "80 30 01", "xor byte [eax],1", .len = 3, .kind = INSN_XOR, .width = 1, .modrm = "0/6/0",
      .imm = 1, .isz = 1, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "82 00 01", "add byte [eax],1 (82 = 80)", .len = 3, .kind = INSN_ADD, .width = 1, .modrm = "0/0/0",
      .imm = 1, .isz = 1, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "66 83 00 ff", "add word [eax],-1", .len = 4, .kind = INSN_ADD, .osz = 2, .width = 2, .pfx = PFX_OPSIZE,
      .modrm = "0/0/0", .imm = 0xffffffff, .isz = 1, .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "83 38 00", "cmp dword [eax],0 (no write)", .len = 3, .kind = INSN_CMP, .modrm = "0/7/0",
      .imm = 0, .isz = 1, .mem = true, .ea = 0x1000, .seg = "ds" },
    { "f3 ab", "rep stosd", .len = 2, .kind = INSN_STOS, .width = 4, .pfx = PFX_REP, .rep = REP_E, .seg = "ds" },
    { "aa", "stosb", .len = 1, .kind = INSN_STOS, .width = 1 },
    { "66 ab", "stosw", .len = 2, .kind = INSN_STOS, .osz = 2, .width = 2, .pfx = PFX_OPSIZE },
    { "a5", "movsd", .len = 1, .kind = INSN_MOVS, .width = 4 },
    { "26 f3 a4", "rep movsb es:[esi]", .len = 3, .kind = INSN_MOVS, .width = 1, .pfx = PFX_SEG | PFX_REP,
      .rep = REP_E, .ovr = "es", .seg = "es" },
    { "0f ab 02", "bts [edx],eax", .len = 3, .kind = INSN_BTS, .modrm = "0/0/2",
      .mem = true, .ea = 0x20000, .seg = "ds", .dst = true },
    { "f0 0f b3 02", "lock btr [edx],eax", .len = 4, .kind = INSN_BTR, .pfx = PFX_LOCK, .modrm = "0/0/2",
      .mem = true, .ea = 0x20000, .seg = "ds", .dst = true },
    { "0f ba 28 03", "bts dword [eax],3", .len = 4, .kind = INSN_BTS, .modrm = "0/5/0", .imm = 3, .isz = 1,
      .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "0f ba 30 03", "btr dword [eax],3", .len = 4, .kind = INSN_BTR, .modrm = "0/6/0", .imm = 3, .isz = 1,
      .mem = true, .ea = 0x1000, .seg = "ds", .dst = true },
    { "0f ba 20 03", "bt dword [eax],3", .len = 4, .kind = INSN_BT, .modrm = "0/4/0", .imm = 3, .isz = 1,
      .mem = true, .ea = 0x1000, .seg = "ds" },
    { "0f ba 08 03", "0f ba /1: #UD", .result = DECODE_INVALID },
    { "f0 0f c1 03", "lock xadd [ebx],eax", .len = 4, .kind = INSN_XADD, .pfx = PFX_LOCK, .modrm = "0/0/3",
      .mem = true, .ea = 0x1234fff0, .seg = "ds", .dst = true },
    /* immediates by opcode and operand size */
    { "c8 10 00 01", "enter 16,1", .len = 4, .imm = 0x10, .isz = 2, .imm2 = 1, .i2sz = 1, .mnem = "enter" },
    { "66 c8 10 00 01", "enterw 16,1 (66 leaves iw,ib)", .len = 5, .osz = 2, .pfx = PFX_OPSIZE,
      .imm = 0x10, .isz = 2, .imm2 = 1, .i2sz = 1 },
    { "f6 05 00 10 00 00 7f", "test byte [0x1000],0x7f", .len = 7, .width = 1, .modrm = "0/0/5",
      .disp = 0x1000, .dsz = 4, .imm = 0x7f, .isz = 1, .mem = true, .ea = 0x1000, .seg = "ds", .mnem = "test",
      .kind = INSN_TEST },
    { "f6 d0", "not al (f6 /2: no immediate)", .len = 2, .width = 1, .modrm = "3/2/0", .mnem = "not",
      .kind = INSN_NOT },
    { "f6 18", "neg byte [eax]", .len = 2, .width = 1, .modrm = "0/3/0",
      .mem = true, .ea = 0x1000, .seg = "ds", .dst = true, .kind = INSN_NEG },
    { "ff 00", "inc dword [eax]", .len = 2, .modrm = "0/0/0", .mem = true, .ea = 0x1000,
      .seg = "ds", .dst = true, .kind = INSN_INC, .mnem = "inc" },
    { "fe 08", "dec byte [eax]", .len = 2, .width = 1, .modrm = "0/1/0", .mem = true,
      .ea = 0x1000, .seg = "ds", .dst = true, .kind = INSN_DEC, .mnem = "dec" },
    { "f7 c1 01 00 00 00", "test ecx,1", .len = 6, .modrm = "3/0/1", .imm = 1, .isz = 4,
      .kind = INSN_TEST },
    { "66 f7 c1 01 00", "test cx,1", .len = 5, .osz = 2, .width = 2, .pfx = PFX_OPSIZE,
      .modrm = "3/0/1", .imm = 1, .isz = 2, .kind = INSN_TEST },
    { "f7 38", "idiv dword [eax]", .len = 2, .modrm = "0/7/0", .mem = true, .ea = 0x1000, .seg = "ds" },
    { "6a ff", "push -1", .len = 2, .imm = 0xffffffff, .isz = 1 },
    { "68 78 56 34 12", "push 0x12345678", .len = 5, .imm = 0x12345678, .isz = 4 },
    { "66 68 34 12", "push word 0x1234", .len = 4, .osz = 2, .pfx = PFX_OPSIZE, .imm = 0x1234, .isz = 2 },
    { "6b c0 fe", "imul eax,eax,-2", .len = 3, .modrm = "3/0/0", .imm = 0xfffffffe, .isz = 1 },
    { "69 c0 00 01 00 00", "imul eax,eax,0x100", .len = 6, .modrm = "3/0/0", .imm = 0x100, .isz = 4 },
    { "b0 12", "mov al,0x12", .len = 2, .kind = INSN_MOV, .width = 1, .imm = 0x12, .isz = 1 },
    { "b8 78 56 34 12", "mov eax,0x12345678", .len = 5, .kind = INSN_MOV, .imm = 0x12345678, .isz = 4 },
    { "66 bf 34 12", "mov di,0x1234", .len = 4, .kind = INSN_MOV, .osz = 2, .pfx = PFX_OPSIZE, .imm = 0x1234, .isz = 2 },
    { "04 7f", "add al,0x7f", .len = 2, .kind = INSN_ADD, .width = 1, .imm = 0x7f, .isz = 1 },
    { "66 05 34 12", "add ax,0x1234", .len = 4, .kind = INSN_ADD, .osz = 2, .pfx = PFX_OPSIZE, .imm = 0x1234, .isz = 2 },
    { "a9 01 00 00 00", "test eax,1", .len = 5, .imm = 1, .isz = 4 },
    { "c1 e0 04", "shl eax,4", .len = 3, .modrm = "3/4/0", .imm = 4, .isz = 1, .mnem = "shl",
      .kind = INSN_SHL },
    { "d1 e0", "shl eax,1", .len = 2, .modrm = "3/4/0", .kind = INSN_SHL },
    { "c0 20 04", "shl byte [eax],4", .len = 3, .width = 1, .modrm = "0/4/0", .imm = 4, .isz = 1,
      .mem = true, .ea = 0x1000, .seg = "ds", .dst = true, .kind = INSN_SHL },
    { "d1 30", "sal dword [eax],1 (/6: SHL)", .len = 2, .modrm = "0/6/0", .mem = true, .ea = 0x1000,
      .seg = "ds", .dst = true, .kind = INSN_SHL, .mnem = "sal" },
    { "d3 38", "sar dword [eax],cl", .len = 2, .modrm = "0/7/0", .mem = true, .ea = 0x1000,
      .seg = "ds", .dst = true, .kind = INSN_SAR },
    { "d3 28", "shr dword [eax],cl", .len = 2, .modrm = "0/5/0", .mem = true, .ea = 0x1000,
      .seg = "ds", .dst = true, .kind = INSN_SHR },
    { "d4 0a", "aam", .len = 2, .imm = 10, .isz = 1 },
    /* relative branches: imm is the sign-extended displacement */
    { "e8 fc ff ff ff", "call $+1", .len = 5, .imm = 0xfffffffc, .isz = 4 },
    { "66 e8 fe ff", "call rel16", .len = 4, .osz = 2, .pfx = PFX_OPSIZE, .imm = 0xfffffffe, .isz = 2 },
    { "eb fe", "jmp $", .len = 2, .imm = 0xfffffffe, .isz = 1 },
    { "0f 84 00 01 00 00", "je rel32", .len = 6, .imm = 0x100, .isz = 4 },
    { "66 0f 84 00 81", "je rel16", .len = 5, .osz = 2, .pfx = PFX_OPSIZE, .imm = 0xffff8100, .isz = 2 },
    { "67 e3 05", "jcxz", .len = 3, .asz = 2, .pfx = PFX_ADDRSIZE, .imm = 5, .isz = 1 },
    /* prefixes */
    { "f2 f3 a6", "repe cmpsb (last of F2/F3 wins)", .len = 3, .width = 1, .pfx = PFX_REPNE | PFX_REP, .rep = REP_E },
    { "f3 f2 ae", "repne scasb", .len = 3, .width = 1, .pfx = PFX_REPNE | PFX_REP, .rep = REP_NE },
    { "3e 26 8b 00", "mov eax,es:[eax] (last override wins)", .len = 4, .kind = INSN_MOV, .pfx = PFX_SEG,
      .ovr = "es", .modrm = "0/0/0", .mem = true, .ea = 0x1000, .seg = "es" },
    { "2e 8b 45 00", "mov eax,cs:[ebp] (override beats SS)", .len = 4, .kind = INSN_MOV, .pfx = PFX_SEG,
      .ovr = "cs", .modrm = "1/0/5", .dsz = 1, .mem = true, .ea = 0x8000, .seg = "cs" },
    { "65 8b 00", "mov eax,gs:[eax]", .len = 3, .kind = INSN_MOV, .pfx = PFX_SEG,
      .ovr = "gs", .modrm = "0/0/0", .mem = true, .ea = 0x1000, .seg = "gs" },
    { "66 66 66 90", "data16 data16 xchg ax,ax", .len = 4, .osz = 2, .pfx = PFX_OPSIZE },
    { "66 67 f0 64 f3 01 00", "all five prefix groups", .len = 7, .kind = INSN_ADD, .osz = 2, .asz = 2,
      .pfx = PFX_OPSIZE | PFX_ADDRSIZE | PFX_LOCK | PFX_SEG | PFX_REP, .rep = REP_E, .ovr = "fs",
      .modrm = "0/0/0", .mem = true, .ea = 0x0010, .seg = "fs", .dst = true },
    { "f0 90", "lock nop (LOCK legality is not checked)", .len = 2, .pfx = PFX_LOCK },
    /* x87, MMX/SSE: length only */
    { "d9 7d fc", "fnstcw [ebp-4]", .len = 3, .modrm = "1/7/5", .disp = -4, .dsz = 1,
      .mem = true, .ea = 0x7ffc, .seg = "ss" },
    { "9b", "fwait", .len = 1 },
    { "0f 10 04 24", "movups xmm0,[esp]", .len = 4, .modrm = "0/0/4", .sib = "0/4/4",
      .mem = true, .ea = 0x7ff0, .seg = "ss" },
    { "66 0f 70 c1 1b", "pshufd xmm0,xmm1,0x1b", .len = 5, .pfx = PFX_OPSIZE, .osz = 2, .modrm = "3/0/1",
      .imm = 0x1b, .isz = 1 },
    { "0f 0f c1 b4", "pfmul mm0,mm1 (3DNow!)", .len = 4, .modrm = "3/0/1", .imm = 0xb4, .isz = 1 },
    /* refused encodings */
    { "0f ff 00", "ud0: vendor-dependent length", .result = DECODE_INVALID },
    { "0f 04", "undefined 0f 04", .result = DECODE_INVALID },
    { "d6", "salc (undocumented)", .result = DECODE_INVALID },
    { "8d c0", "lea eax,eax", .result = DECODE_INVALID },
    { "fe 10", "fe /2", .result = DECODE_INVALID },
    { "0f b2 c0", "lss eax,eax", .result = DECODE_INVALID },
    { "0f 38 00 c0", "pshufb (0f 38 map)", .result = DECODE_UNSUPPORTED },
    { "66 0f 3a 0f c1 08", "palignr (0f 3a map)", .result = DECODE_UNSUPPORTED },
    { "c5 f8 77", "vzeroupper (VEX)", .result = DECODE_UNSUPPORTED },
    { "62 c0", "EVEX", .result = DECODE_UNSUPPORTED },
    { "8f e8 78 c0 c1 01", "XOP", .result = DECODE_UNSUPPORTED },
    { "0f 01 c8", "monitor", .result = DECODE_UNSUPPORTED },
    { "0f 78 c0", "vmread", .result = DECODE_UNSUPPORTED },
    { "c4 00", "les eax,[eax] (not VEX)", .len = 2, .modrm = "0/0/0", .mem = true, .ea = 0x1000, .seg = "ds" },
    { "62 00", "bound eax,[eax] (not EVEX)", .len = 2, .modrm = "0/0/0", .mem = true, .ea = 0x1000, .seg = "ds" },
    { "8f 00", "pop dword [eax] (not XOP)", .len = 2, .modrm = "0/0/0", .mem = true, .ea = 0x1000, .seg = "ds",
      .dst = true },
    { "8b", "truncated: a fetch fault at byte 1", .result = DECODE_FETCH_FAULT },
};

/* Print and count one field that differs from its expectation. */
static void expect(const struct known *k, const char *field, long got, long want, int *failures)
{
    if (got == want)
        return;
    print_error("%s (%s): %s = %#lx, want %#lx\n", k->hex, k->text, field, got, want);
    ++*failures;
}

static void expect_modrm(const struct known *k, const struct insn *in, int *failures)
{
    unsigned mod = 0, reg = 0, rm = 0;

    expect(k, "has_modrm", in->has_modrm, k->modrm != NULL, failures);
    if (k->modrm == NULL || sscanf(k->modrm, "%u/%u/%u", &mod, &reg, &rm) != 3)
        return;
    expect(k, "mod", in->mod, mod, failures);
    expect(k, "reg", in->reg, reg, failures);
    expect(k, "rm", in->rm, rm, failures);
}

static void expect_sib(const struct known *k, const struct insn *in, int *failures)
{
    unsigned scale = 0, index = 0, base = 0;

    expect(k, "has_sib", in->has_sib, k->sib != NULL, failures);
    if (k->sib == NULL || sscanf(k->sib, "%u/%u/%u", &scale, &index, &base) != 3)
        return;
    expect(k, "sib_scale", in->sib_scale, scale, failures);
    expect(k, "sib_index", in->sib_index, index, failures);
    expect(k, "sib_base", in->sib_base, base, failures);
}

static long sreg_by_name(const char *name, long none)
{
    for (int i = 0; name != NULL && sreg_names[i] != NULL; i++)
        if (strcmp(name, sreg_names[i]) == 0)
            return i;
    return none;
}

static void expect_prefixes(const struct known *k, const struct insn *in, int *failures)
{
    expect(k, "prefixes", in->prefixes, k->pfx, failures);
    expect(k, "lock", in->lock, (k->pfx & PFX_LOCK) != 0, failures);
    expect(k, "rep", in->rep, k->rep, failures);
    expect(k, "seg_override", in->seg_override, sreg_by_name(k->ovr, SREG_NONE), failures);
    expect(k, "opsize", in->opsize, k->osz ? k->osz : 4, failures);
    expect(k, "addrsize", in->addrsize, k->asz ? k->asz : 4, failures);
}

static void expect_operands(const struct known *k, const struct insn *in, int *failures)
{
    expect(k, "disp", in->disp, k->disp, failures);
    expect(k, "disp_size", in->disp_size, k->dsz, failures);
    expect(k, "imm", in->imm, k->imm, failures);
    expect(k, "imm_size", in->imm_size, k->isz, failures);
    expect(k, "imm2", in->imm2, k->imm2, failures);
    expect(k, "imm2_size", in->imm2_size, k->i2sz, failures);
    expect(k, "has_mem", in->has_mem, k->mem, failures);
    expect(k, "mem_dst", in->mem_dst, k->dst, failures);
    if (k->mem)
        expect(k, "decode_ea", decode_ea(in, regs), k->ea, failures);
    if (k->seg != NULL)
        expect(k, "seg", in->seg, sreg_by_name(k->seg, -1), failures);
    if (k->width)
        expect(k, "width", in->width, k->width, failures);
}

static void check_known(const struct known *k, int *failures)
{
    uint8_t buf[INSN_MAX_LEN + 1];
    size_t n = parse_hex(k->hex, buf, sizeof buf);
    struct insn in;
    enum decode_result r = decode_buf(buf, n, &in);

    expect(k, "result", r, k->result, failures);
    if (r != DECODE_OK || k->result != DECODE_OK)
        return;
    expect(k, "len", in.len, k->len, failures);
    expect(k, "bytes", memcmp(in.bytes, buf, in.len), 0, failures);
    expect(k, "kind", in.kind, k->kind, failures);
    if (k->mnem != NULL && strcmp(in.mnem, k->mnem) != 0) {
        print_error("%s (%s): mnem = %s, want %s\n", k->hex, k->text, in.mnem, k->mnem);
        ++*failures;
    }
    expect_prefixes(k, &in, failures);
    expect_modrm(k, &in, failures);
    expect_sib(k, &in, failures);
    expect_operands(k, &in, failures);
}

static void test_known_encodings(void **state)
{
    int failures = 0;
    size_t n = sizeof known / sizeof known[0];

    (void)state;
    for (size_t i = 0; i < n; i++)
        check_known(&known[i], &failures);
    print_message("%zu known encodings checked\n", n);
    assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------------------
 * A fetch routine like the monitor's: bytes at base.., failing at
 * fail_at, and recording the addresses it was asked for.
 */
struct fake_guest {
    uint32_t base;
    const uint8_t *bytes;
    size_t len;
    uint32_t fail_at;           /* this address faults */
    uint32_t asked[INSN_MAX_LEN + 1];
    size_t nasked;
};

static int fake_fetch(void *ctx, uint32_t addr, uint8_t *byte)
{
    struct fake_guest *g = ctx;

    if (g->nasked < sizeof g->asked / sizeof g->asked[0])
        g->asked[g->nasked++] = addr;
    if (addr == g->fail_at || addr - g->base >= g->len)
        return -1;
    *byte = g->bytes[addr - g->base];
    return 0;
}

static void test_code16(void **state)
{
    static const uint8_t mov16[] = { 0x8b, 0x07 };                      /* mov ax,[bx] */
    static const uint8_t mov32[] = { 0x66, 0x67, 0x8b, 0x04, 0x24 };    /* mov eax,[esp] */
    struct fake_guest g = { .base = 0x7c00, .fail_at = 0 };
    struct decode_ops ops = { fake_fetch, &g, true };
    struct insn in;

    (void)state;
    g.bytes = mov16;
    g.len = sizeof mov16;
    assert_int_equal(decode_insn(&ops, g.base, &in), DECODE_OK);
    assert_int_equal(in.len, 2);
    assert_int_equal(in.opsize, 2);
    assert_int_equal(in.addrsize, 2);
    assert_int_equal(in.base, GPR_EBX);
    assert_int_equal(decode_ea(&in, regs), 0xfff0);

    g.bytes = mov32;
    g.len = sizeof mov32;
    assert_int_equal(decode_insn(&ops, g.base, &in), DECODE_OK);
    assert_int_equal(in.len, 5);
    assert_int_equal(in.opsize, 4);
    assert_int_equal(in.addrsize, 4);
    assert_true(in.has_sib);
    assert_int_equal(in.seg, SREG_SS);
    assert_int_equal(decode_ea(&in, regs), 0x7ff0);
}

/* lock cmpxchg8b [eax+ecx*4+0x12345678]: prefix, escape, opcode, ModRM,
 * SIB, disp32; placed across a page boundary. */
static const uint8_t nine_bytes[] = { 0xf0, 0x0f, 0xc7, 0x8c, 0x88, 0x78, 0x56, 0x34, 0x12 };
#define NINE_BASE   0xc0000ffcu

static void test_fetch_fault(void **state)
{
    (void)state;
    for (uint32_t k = 0; k <= sizeof nine_bytes; k++) {
        struct fake_guest g = { .base = NINE_BASE, .bytes = nine_bytes, .len = sizeof nine_bytes };
        struct decode_ops ops = { fake_fetch, &g, false };
        struct insn in;
        enum decode_result r;

        g.fail_at = NINE_BASE + k;          /* k = 9: past the end, never asked */
        r = decode_insn(&ops, NINE_BASE, &in);
        for (size_t i = 0; i < g.nasked; i++)
            assert_int_equal(g.asked[i], NINE_BASE + i);    /* in order, once */
        if (k < sizeof nine_bytes) {
            assert_int_equal(r, DECODE_FETCH_FAULT);
            assert_int_equal(in.fault_addr, NINE_BASE + k);
            assert_int_equal(g.nasked, k + 1);
        } else {
            assert_int_equal(r, DECODE_OK);
            assert_int_equal(in.len, sizeof nine_bytes);
            assert_int_equal(in.kind, INSN_CMPXCHG8B);
            assert_int_equal(decode_ea(&in, regs), 0x12346684);  /* EAX + ECX*4 + disp */
            assert_int_equal(g.nasked, sizeof nine_bytes);
        }
    }
}

/* n prefixes (66), then the rest. */
static enum decode_result decode_with_prefixes(size_t n, const uint8_t *rest, size_t nrest,
                                               struct insn *in)
{
    uint8_t buf[2 * INSN_MAX_LEN];

    assert_true(n + nrest <= sizeof buf);
    memset(buf, 0x66, n);
    memcpy(buf + n, rest, nrest);
    return decode_buf(buf, n + nrest, in);
}

static void test_too_long(void **state)
{
    static const uint8_t nop[] = { 0x90 };
    static const uint8_t add_imm16[] = { 0x05, 0x34, 0x12 };       /* add ax,0x1234 */
    struct insn in;

    (void)state;
    assert_int_equal(decode_with_prefixes(14, nop, 1, &in), DECODE_OK);
    assert_int_equal(in.len, 15);
    assert_int_equal(in.nprefixes, 14);
    assert_int_equal(decode_with_prefixes(15, nop, 1, &in), DECODE_TOO_LONG);
    assert_int_equal(decode_with_prefixes(16, nop, 1, &in), DECODE_TOO_LONG);
    assert_int_equal(decode_with_prefixes(12, add_imm16, 3, &in), DECODE_OK);
    assert_int_equal(in.len, 15);
    assert_int_equal(decode_with_prefixes(13, add_imm16, 3, &in), DECODE_TOO_LONG);
    assert_string_equal(decode_result_name(DECODE_TOO_LONG), "longer than 15 bytes");
}

/* ---------------------------------------------------------------------
 * The tables: each map covers 00-FF exactly once, rows in order, groups
 * only where a ModRM is read; each prefix row decodes as a prefix.
 */
static void check_map(enum opmap map, const struct opcode_row *rows, size_t n)
{
    unsigned next = 0;

    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].lo, next);
        assert_true(rows[i].hi >= rows[i].lo);
        assert_true(rows[i].group == NULL || (rows[i].flags & OPF_MODRM));
        assert_non_null(rows[i].mnem);
        next = rows[i].hi + 1u;
    }
    assert_int_equal(next, 0x100);
    for (unsigned op = 0; op < 0x100; op++)
        assert_true(decode_lookup(map, (uint8_t)op)->lo <= op);
}

static void test_tables(void **state)
{
    (void)state;
    check_map(MAP_ONE, decode_map_one, decode_map_one_rows);
    check_map(MAP_0F, decode_map_0f, decode_map_0f_rows);
    for (size_t i = 0; i < decode_map_one_rows; i++) {
        const struct opcode_row *row = &decode_map_one[i];
        uint8_t buf[] = { row->lo, 0x90 };
        struct insn in;

        if (!(row->flags & OPF_PREFIX))
            continue;
        assert_int_equal(decode_buf(buf, sizeof buf, &in), DECODE_OK);
        assert_int_equal(in.len, 2);
        assert_int_equal(in.nprefixes, 1);
    }
}

/* ---------------------------------------------------------------------
 * Differential lengths against objdump.
 *
 * Encodings objdump decodes that the decoder deliberately calls invalid
 * (the only exclusions besides DECODE_UNSUPPORTED and the FWAIT fold the
 * generator drops):
 */
#define ANY_REG (-1)
static const struct refusal {
    enum opmap map;
    uint8_t opcode;
    int reg;                    /* ModRM.reg, or ANY_REG */
    const char *why;
} refusals[] = {
    { MAP_0F,  0x24, ANY_REG, "0F 24 MOV from test register: 386/486 only, #UD since the Pentium" },
    { MAP_0F,  0x26, ANY_REG, "0F 26 MOV to test register: likewise" },
    { MAP_0F,  0xff, ANY_REG, "0F FF UD0: ModRM on Intel, none on AMD: no one length" },
    { MAP_ONE, 0x8e, 1,       "8E /1 MOV CS,Ew: #UD on every 32-bit CPU" },
    { MAP_ONE, 0xc6, 7,       "C6 /7 XABORT: TSX, not decoded (#UD on CPUs without it)" },
    { MAP_ONE, 0xc7, 7,       "C7 /7 XBEGIN: TSX, not decoded (#UD on CPUs without it)" },
};
#define NREFUSALS (sizeof refusals / sizeof refusals[0])

struct tally {
    unsigned compared, mismatches, unsupported, both_bad, we_accept, too_long;
    unsigned refused[NREFUSALS];
};

/* Which documented refusal covers a rejected case, or -1. */
static int refusal_of(const struct insn *in, enum decode_result r)
{
    if (r != DECODE_INVALID)
        return -1;
    for (size_t i = 0; i < NREFUSALS; i++) {
        const struct refusal *f = &refusals[i];
        if (in->map == f->map && in->opcode == f->opcode &&
            (f->reg == ANY_REG || (in->has_modrm && in->reg == f->reg)))
            return (int)i;
    }
    return -1;
}

static void report_mismatch(const struct decode_case *c, const struct insn *in,
                            enum decode_result r, struct tally *t)
{
    char hex[3 * INSN_MAX_LEN + 1];

    if (++t->mismatches > MAX_REPORTED)
        return;
    for (size_t i = 0; i < INSN_MAX_LEN; i++)
        snprintf(hex + 3 * i, 4, "%02x ", c->bytes[i]);
    print_error("objdump %d \"%s\", decoder %s len %u: %s\n",
                c->len, c->objdump, decode_result_name(r), in->len, hex);
}

/* objdump split the prefixes off: over 15 bytes, which the decoder must
 * refuse too, unless it is 14 prefixes and a one-byte opcode. */
static bool agrees_on_prefixes(const struct decode_case *c, const struct insn *in,
                               enum decode_result r)
{
    if (r != DECODE_OK)
        return true;
    return c->len == INSN_MAX_LEN - 1 && in->nprefixes == c->len && in->len == INSN_MAX_LEN;
}

static void tally_case(const struct decode_case *c, struct tally *t)
{
    struct insn in;
    enum decode_result r = decode_buf(c->bytes, INSN_MAX_LEN, &in);
    int refusal;

    if (c->says == OBJDUMP_BAD) {
        if (r == DECODE_OK)
            t->we_accept++;
        else
            t->both_bad++;
        return;
    }
    if (c->says == OBJDUMP_PREFIXES) {
        if (agrees_on_prefixes(c, &in, r))
            t->too_long++;
        else
            report_mismatch(c, &in, r, t);
        return;
    }
    if (r == DECODE_UNSUPPORTED) {
        t->unsupported++;
        return;
    }
    refusal = refusal_of(&in, r);
    if (refusal >= 0) {
        t->refused[refusal]++;
        return;
    }
    if (r == DECODE_OK && in.len == c->len)
        t->compared++;
    else
        report_mismatch(c, &in, r, t);
}

static void test_objdump_lengths(void **state)
{
    size_t n = sizeof decode_cases / sizeof decode_cases[0];
    struct tally t = { 0 };

    (void)state;
    for (size_t i = 0; i < n; i++)
        tally_case(&decode_cases[i], &t);
    print_message("objdump (seed %d): %zu cases; %u lengths agree, %u mismatches\n",
                  DECODE_CASES_SEED, n, t.compared, t.mismatches);
    print_message("  %u prefix runs objdump gives up on: decoder agrees (too long, or "
                  "14 prefixes + 1 byte)\n", t.too_long);
    print_message("  skipped: %u unsupported by the decoder, %u (bad) to both, "
                  "%u (bad) to objdump only, %d FWAIT folds dropped\n",
                  t.unsupported, t.both_bad, t.we_accept, DECODE_CASES_FWAIT_DROPPED);
    for (size_t i = 0; i < NREFUSALS; i++)
        print_message("  refused: %u x %s\n", t.refused[i], refusals[i].why);
    assert_int_equal(t.mismatches, 0);
    assert_true(t.compared >= MIN_COMPARED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_encodings),
        cmocka_unit_test(test_code16),
        cmocka_unit_test(test_fetch_fault),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_objdump_lengths),
    };

    return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
