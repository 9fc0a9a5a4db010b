#!/usr/bin/python3
"""make_seeds.py - writes the fuzzers' hand-made seed corpus.

The job: libFuzzer starts from inputs that already reach each kind of trap
the monitor handles, so that mutation begins deep in the trap path instead
of rediscovering instruction encodings and descriptor layouts.  Each seed
is built here from named parts in the harnesses' input formats
(test/fuzz/fuzz_emul.c and fuzz_trap.c say what each byte is); the files are
committed, and `make fuzz-seeds` rewrites them.

    /usr/bin/python3 test/fuzz/make_seeds.py test/fuzz/corpus
"""
import os
import struct
import sys

# ---- fuzz_emul: one instruction on a fake vCPU --------------------------

EMULATE, PT_WRITE, MMIO = 0, 1, 2
RING1, RING2, RING3 = 0, 1, 2          # fuzz_emul.c's cs_choice[]
FL_IF, FL_TF, FL_DF = 0x200, 0x100, 0x400


def emul_seed(code, target=EMULATE, ring=RING1, iopl=0, vif=1, masked=0,
              eflags=FL_IF, cr0=0x80000011, cr4=0, regs=None, faults=0,
              ro=0, tr=0, tr_base=0, tr_limit=0, sysenter_cs=0,
              sysenter_eip=0, patches=()):
    r = {"eax": 0, "ecx": 0, "edx": 0, "ebx": 0, "esp": 0x8000, "ebp": 0,
         "esi": 0x4000, "edi": 0x5000}
    r.update(regs or {})
    mode = ring | iopl << 2 | vif << 4 | masked << 5
    b = struct.pack("<BBIII", target, mode, eflags, cr0, cr4)
    b += struct.pack("<8I", *(r[k] for k in
                              ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")))
    b += struct.pack("<H", 0)                           # DS..GS: kernel data
    b += struct.pack("<IIII", faults, ro, 0, 0)         # no page outside RAM
    b += struct.pack("<8H", *([0] * 8))                 # segment bases
    b += struct.pack("<HIH", tr, tr_base, tr_limit)
    b += struct.pack("<HIII", sysenter_cs, sysenter_eip, 0x9000, 0x55)
    b += bytes(code).ljust(15, b"\x90")
    for off, data in patches:
        b += struct.pack("<HB", off // 2, len(data)) + bytes(data)
    return b


def stack_words(addr, *words):
    return (addr, struct.pack("<%dI" % len(words), *words))


def call_gate(off, sel, dpl=3, params=0, bits=32):
    """A call gate's 8 bytes: offset, selector, parameter count, P DPL type."""
    access = 0x80 | dpl << 5 | (0xC if bits == 32 else 0x4)
    return struct.pack("<HHBBH", off & 0xFFFF, sel, params, access, off >> 16)


# fuzz_emul.c: the fake GDT's entry 7 is read from guest memory at 0x100;
# a TSS at 0x6000 whose ss0:esp0 is 0x10:0xA000
EMUL_GATE_AT, EMUL_GATE_SEL = 0x100, 0x3B
EMUL_TSS = dict(tr=0x28, tr_base=0x6000, tr_limit=0x67)
EMUL_TSS_STACK = (0x6004, struct.pack("<II", 0xA000, 0x10))


EMUL_SEEDS = {
    "cli": emul_seed([0xFA]),
    "sti": emul_seed([0xFB], vif=0),
    "hlt": emul_seed([0xF4]),
    "hlt-all-masked": emul_seed([0xF4], masked=1),
    "cli-ring2": emul_seed([0xFA], ring=RING2),
    "mov-cr3-ring2": emul_seed([0x0F, 0x22, 0xD8], ring=RING2),
    "in-imm": emul_seed([0xE4, 0x40]),
    "out-dx-ring3-bitmap": emul_seed([0xEE], ring=RING3, regs={"edx": 0x80},
                                     tr=0x28, tr_base=0x6000, tr_limit=0x87,
                                     patches=[(0x6066, b"\x68\x00")]),
    "rep-outsb-64k": emul_seed([0xF3, 0x6E], regs={"ecx": 0x10000, "edx": 0x3F8}),
    "rep-insd-4g": emul_seed([0xF3, 0x6D], regs={"ecx": 0xFFFFFFFF, "edx": 0x3F8}),
    "lgdt-limit-ffff": emul_seed([0x0F, 0x01, 0x10], regs={"eax": 0x6000},
                                 patches=[(0x6000, b"\xff\xff\x00\x70\x00\x00")]),
    "lldt-ax": emul_seed([0x0F, 0x00, 0xD0], regs={"eax": 0x30}),
    "ltr-ax": emul_seed([0x0F, 0x00, 0xD8], regs={"eax": 0x28}),
    "mov-cr0": emul_seed([0x0F, 0x22, 0xC0], regs={"eax": 0x80010011}),
    "mov-cr4-pae": emul_seed([0x0F, 0x22, 0xE0], regs={"eax": 0x20}),
    "mov-dr7": emul_seed([0x0F, 0x23, 0xF8], regs={"eax": 0x401}),
    "wrmsr-sysenter-cs": emul_seed([0x0F, 0x30], regs={"ecx": 0x174, "eax": 0x08}),
    "iret-ring3": emul_seed([0xCF], patches=[stack_words(0x8000, 0x3000, 0x1B, 0x3202,
                                                         0x7000, 0x23)]),
    "iret-vm86": emul_seed([0xCF], patches=[stack_words(0x8000, 0x3000, 0x1B, 0x20202,
                                                        0x7000, 0x23)]),
    "iret-tf": emul_seed([0xCF], eflags=FL_IF | FL_TF,
                         patches=[stack_words(0x8000, 0x3000, 0x09, 0x302)]),
    "retf-ring3": emul_seed([0xCB], patches=[stack_words(0x8000, 0x3000, 0x1B, 0x7000,
                                                         0x23)]),
    "int-80": emul_seed([0xCD, 0x80]),
    "sysenter": emul_seed([0x0F, 0x34], ring=RING3, sysenter_cs=0x08, sysenter_eip=0xC000),
    "sysexit": emul_seed([0x0F, 0x35], sysenter_cs=0x08, regs={"edx": 0x3000}),
    "pop-ss": emul_seed([0x17], patches=[stack_words(0x8000, 0x10)]),
    "pt-mov": emul_seed([0x89, 0x18], target=PT_WRITE, regs={"eax": 0x5000, "ebx": 7}),
    "pt-xchg": emul_seed([0x87, 0x18], target=PT_WRITE, regs={"eax": 0x5004}),
    "pt-cmpxchg8b": emul_seed([0x0F, 0xC7, 0x08], target=PT_WRITE, regs={"eax": 0x5008}),
    "pt-rep-stosd": emul_seed([0xF3, 0xAB], target=PT_WRITE, regs={"ecx": 0x400}),
    "pt-movsd-ro": emul_seed([0xA5], target=PT_WRITE, ro=1 << 5),
    "mmio-mov-load": emul_seed([0x8B, 0x00], target=MMIO, regs={"eax": 0x100000}),
    "mmio-or-store": emul_seed([0x83, 0x08, 0x01], target=MMIO, regs={"eax": 0x100004}),
    "mmio-cmpxchg": emul_seed([0x0F, 0xB1, 0x18], target=MMIO, regs={"eax": 0x100008}),
    "lcall-gate-ring3": emul_seed([0x9A, 0, 0, 0, 0, EMUL_GATE_SEL, 0], ring=RING3,
                                  patches=[(EMUL_GATE_AT, call_gate(0x3000, 0x08, params=2)),
                                           EMUL_TSS_STACK, stack_words(0x8000, 1, 2)],
                                  **EMUL_TSS),
    "lcall-gate16-mem": emul_seed([0xFF, 0x1B], ring=RING3, regs={"ebx": 0x2000},
                                  patches=[(EMUL_GATE_AT, call_gate(0x3000, 0x08, params=1,
                                                                    bits=16)),
                                           (0x2000, struct.pack("<IH", 0, EMUL_GATE_SEL)),
                                           EMUL_TSS_STACK], **EMUL_TSS),
    "ljmp-gate": emul_seed([0xEA, 0, 0, 0, 0, EMUL_GATE_SEL & ~3, 0],
                           patches=[(EMUL_GATE_AT, call_gate(0x3000, 0x08))]),
}

# ---- fuzz_trap: a booted guest and a sequence of traps --------------------

CFG_VTLB, CFG_RAW, CFG_USER, CFG_LDT = 0x01, 0x20, 0x40, 0x80
(OP_RAW, OP_GP_CODE, OP_PF_CODE, OP_REGS, OP_SREG, OP_FARJMP, OP_INT, OP_IRQ,
 OP_NMI, OP_DB, OP_STORE, OP_FAST) = range(12)
REG_ORDER = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
G_GDT, G_KSTACK = 0x1000, 0x9F000


def trap_seed(cfg, patches=(), ops=()):
    b = struct.pack("<BB", cfg, len(patches))
    for gpa, data in patches:
        b += struct.pack("<I", gpa)[:3] + struct.pack("<B", len(data)) + bytes(data)
    for op in ops:
        b += op
    return b


def gp(*code):
    return struct.pack("<BB", OP_GP_CODE, len(code)) + bytes(code)


def pf_code(cr2, err, *code):
    return (struct.pack("<BB", OP_PF_CODE, len(code)) + bytes(code) +
            struct.pack("<IB", cr2, err))


def raw(vector, err=0, cr2=0):
    return struct.pack("<BBHI", OP_RAW, vector, err, cr2)


def regs(eip=None, eflags=None, **r):
    mask = sum(1 << i for i, k in enumerate(REG_ORDER) if k in r)
    b = struct.pack("<BB", OP_REGS, mask)
    b += b"".join(struct.pack("<I", r[k]) for k in REG_ORDER if k in r)
    more = (1 if eip is not None else 0) | (2 if eflags is not None else 0)
    b += struct.pack("<B", more)
    if eip is not None:
        b += struct.pack("<I", eip)
    if eflags is not None:
        b += struct.pack("<I", eflags)
    return b


def sreg(which, sel):
    return struct.pack("<BBH", OP_SREG, which, sel)


def farjmp(sel, off):
    return struct.pack("<BHI", OP_FARJMP, sel, off)


def int_n(n):
    return struct.pack("<BB", OP_INT, n)


def irq(n, ticks=0):
    return struct.pack("<BHB", OP_IRQ, ticks, n)


def store(va, val):
    return struct.pack("<BII", OP_STORE, va, val)


def desc(base, limit, access, flags):
    """A raw 8-byte descriptor: access byte (P DPL S type), flags nibble (G D)."""
    return struct.pack("<HHBBBB", limit & 0xFFFF, base & 0xFFFF, (base >> 16) & 0xFF,
                       access, ((limit >> 16) & 0xF) | flags << 4, base >> 24)


def iret_frame(*words):
    return (G_KSTACK, struct.pack("<%dI" % len(words), *words))


LDT_4G = desc(0x6000, 0xFFFFF, 0x82, 0x8)       # LDT, G=1: limit 0xFFFFFFFF
LDT_ZERO = desc(0x6000, 0, 0x82, 0)             # limit 0: no whole entry
CALL_GATE_LDT = (0x6000, struct.pack("<HHBBH", 0x1000, 0x08, 0, 0xEC, 0))

TRAP_SEEDS = {
    "cli": trap_seed(0, ops=[gp(0xFA)]),
    "cli-vtlb": trap_seed(CFG_VTLB, ops=[gp(0xFA)]),
    "cli-single-step": trap_seed(0, ops=[regs(eflags=0x100), gp(0xFA)]),
    "in-pit": trap_seed(0, ops=[gp(0xE4, 0x40)]),
    "out-debug-exit": trap_seed(0, ops=[regs(eax=0x31), gp(0xE6, 0xF4)]),
    "rep-outsb-uart": trap_seed(0, ops=[regs(ecx=0x100000, esi=0x40000, edx=0x3F8),
                                        gp(0xF3, 0x6E), gp(0xF3, 0x6E)]),
    "rep-insb-step": trap_seed(0, ops=[regs(ecx=0x10, edi=0x40000, edx=0x3F8,
                                            eflags=0x100), gp(0xF3, 0x6C)]),
    "lgdt-limit-ffff": trap_seed(0, patches=[(0x8000, b"\xff\xff\x00\x10\x00\x00")],
                                 ops=[regs(eax=0x8000), gp(0x0F, 0x01, 0x10)]),
    "lgdt-limit-5": trap_seed(0, patches=[(0x8000, b"\x05\x00\x00\x10\x00\x00")],
                              ops=[regs(eax=0x8000), gp(0x0F, 0x01, 0x10)]),
    "lldt-4g-limit": trap_seed(0, patches=[(G_GDT + 6 * 8, LDT_4G)],
                               ops=[regs(eax=0x30), gp(0x0F, 0x00, 0xD0)]),
    "lldt-zero-limit": trap_seed(0, patches=[(G_GDT + 6 * 8, LDT_ZERO)],
                                 ops=[regs(eax=0x30), gp(0x0F, 0x00, 0xD0)]),
    "lldt-call-gate": trap_seed(CFG_USER | CFG_LDT, patches=[CALL_GATE_LDT],
                                ops=[farjmp(0x07, 0)]),
    "lldt-then-ds": trap_seed(CFG_LDT, ops=[sreg(2, 0x0F), gp(0xFA)]),
    "reset-ldtr": trap_seed(CFG_RAW, ops=[gp(0xFA), sreg(2, 0x07)]),
    "iret-to-ring3": trap_seed(0, patches=[iret_frame(0x30000, 0x1B, 0x202, 0x80000, 0x23)],
                               ops=[gp(0xCF), gp(0xFA)]),
    "iret-to-ring2": trap_seed(0, patches=[iret_frame(0x30000, 0x3A, 0x202, 0x70000, 0x42)],
                               ops=[gp(0xCF), gp(0xFA), gp(0x0F, 0x22, 0xD8)]),
    "iret-vm86": trap_seed(0, patches=[iret_frame(0x30000, 0x1B, 0x20202, 0x80000, 0x23)],
                           ops=[gp(0xCF)]),
    "iret-16bit-stack": trap_seed(0, patches=[(G_GDT + 8 * 8, desc(0, 0xFFFF, 0xD2, 0)),
                                              iret_frame(0x30000, 0x3A, 0x202, 0x12345678,
                                                         0x42)],
                                  ops=[gp(0x0F, 0x01, 0x15, 0, 0x10, 0, 0), gp(0xCF)]),
    "int-80-user": trap_seed(CFG_USER, ops=[int_n(0x80), gp(0xCF)]),
    "int-80-direct-gate": trap_seed(CFG_USER, ops=[int_n(0x80), gp(0xCF), int_n(0x80), gp(0xCF),
                                                   int_n(0x80)]),
    "fast-path-state": trap_seed(0, ops=[struct.pack("<B", OP_FAST) + b"\x01\x08" * 8 +
                                         b"\x01\x00" * 8, gp(0xFA), gp(0xFB)]),
    "int-30-user-dpl0": trap_seed(CFG_USER, ops=[int_n(0x30)]),
    "mov-cr3": trap_seed(0, ops=[regs(eax=0x4000), gp(0x0F, 0x22, 0xD8)]),
    "mov-cr0-wp-off": trap_seed(0, ops=[regs(eax=0x80000011), gp(0x0F, 0x22, 0xC0),
                                        store(0x30000, 1)]),
    "pt-write-mov": trap_seed(0, ops=[regs(eax=0x5140, ebx=0x50007),
                                      pf_code(0x5140, 3, 0x89, 0x18)]),
    # the second store at the same EIP (its code fetched: a hidden fill
    # first): the switcher's fast path (fastptw.c), then a store through
    # the entry it rewrote (the shadow's was dropped)
    "pt-write-fast": trap_seed(0, ops=[raw(14, 0, 0x10000), regs(eax=0x5140, ebx=0x50007),
                                       pf_code(0x5140, 3, 0x89, 0x18),
                                       regs(eip=0x10000, ebx=0x51007),
                                       pf_code(0x5140, 3, 0x89, 0x18), store(0x50000, 1)]),
    "pt-write-fast-imm-sib": trap_seed(0, ops=[raw(14, 0, 0x10000), regs(eax=0x5000, ebx=0x50),
                                               pf_code(0x5140, 3, 0xC7, 0x04, 0x98,
                                                       7, 0, 5, 0),
                                               regs(eip=0x10000, ebx=0x51),
                                               pf_code(0x5144, 3, 0xC7, 0x04, 0x98,
                                                       7, 0, 5, 0),
                                               store(0x51000, 1)]),
    "pt-write-native-store": trap_seed(0, ops=[regs(eax=0x5140, ebx=0x50007),
                                               gp(0x90), store(0x5140, 0x50007)]),
    "pt-write-vtlb": trap_seed(CFG_VTLB, ops=[store(0x5140, 0x50007), regs(eax=0x50000),
                                              gp(0x0F, 0x01, 0x38)]),
    "mmio-load": trap_seed(0, ops=[regs(eax=0x100000), pf_code(0x100000, 0, 0x8B, 0x00)]),
    "mmio-store-step": trap_seed(0, ops=[regs(eax=0x100004, eflags=0x100),
                                         pf_code(0x100004, 2, 0x89, 0x18)]),
    "pf-hidden": trap_seed(0, ops=[raw(14, 0, 0x30000), store(0x30000, 5)]),
    "pf-guest": trap_seed(0, ops=[raw(14, 2, 0x400000)]),
    "pf-user-supervisor": trap_seed(CFG_USER, ops=[raw(14, 5, 0xC0000000)]),
    "pf-beyond-ram": trap_seed(0, patches=[(0x5000 + 0x60 * 4, struct.pack("<I", 0x200007))],
                               ops=[raw(14, 0, 0x60000)]),
    "pf-switcher": trap_seed(0, ops=[raw(14, 2, 0xFFC01000)]),
    "pf-mmio-vtlb": trap_seed(CFG_VTLB, ops=[regs(eax=0x100000),
                                             pf_code(0x100000, 2, 0xC7, 0x00, 1, 0, 0, 0)]),
    "hlt": trap_seed(0, ops=[gp(0xF4)]),
    "hlt-after-mask": trap_seed(0, ops=[regs(eax=0xFF), gp(0xE6, 0x21), gp(0xE6, 0xA1),
                                        gp(0xF4)]),
    "irq-and-nmi": trap_seed(0, ops=[irq(0, 0x4000), struct.pack("<BI", OP_NMI, 0)[:4],
                                     irq(4)]),
    "db-step": trap_seed(0, ops=[regs(eflags=0x100), struct.pack("<BH", OP_DB, 0x4000)]),
    "far-jmp-kernel": trap_seed(0, ops=[farjmp(0x08, 0x10000), farjmp(0x09, 0x10000)]),
    "sysenter": trap_seed(CFG_USER, ops=[gp(0x0F, 0x34)]),
    # GDT entry 7 a DPL-3 call gate to the kernel's code: a far CALL from
    # user code (emulated, to the kernel's stack), its far RET back; a JMP
    "call-gate-user": trap_seed(CFG_USER, patches=[(G_GDT + 7 * 8, call_gate(0x30000, 0x08,
                                                                             params=1))],
                                ops=[gp(0x9A, 0, 0, 0, 0, 0x3B, 0), gp(0xCA, 4, 0)]),
    "jmp-gate-kernel": trap_seed(0, patches=[(G_GDT + 7 * 8, call_gate(0x30000, 0x08))],
                                 ops=[gp(0xEA, 0, 0, 0, 0, 0x38, 0), gp(0xFA)]),
}


def write(root, name, seeds):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    for seed, data in seeds.items():
        with open(os.path.join(d, seed), "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py CORPUS_DIR")
    write(sys.argv[1], "emul", EMUL_SEEDS)
    write(sys.argv[1], "trap", TRAP_SEEDS)
    print("%d emul seeds, %d trap seeds in %s" % (len(EMUL_SEEDS), len(TRAP_SEEDS),
                                                  sys.argv[1]))


if __name__ == "__main__":
    main()
