#!/usr/bin/python3
"""gen.py - the differential tester's generator: seeded random sequences of
ring-0 and ring-3 x86 instructions, assembled by NASM into the batch module
guests/difftest runs (docs/conformance.md, "The differential tester").

Mechanism: a sequence is a few templates, each a small piece of assembly
that exercises one mechanism (an ALU form on memory, a segment load, a PTE
write followed by INVLPG and an access through the new mapping, a MOV to
CR0, an INT n...), drawn at random with weights, from a random initial
state (registers, arithmetic flags, DF, AC, IF, CR0.WP/AM/MP, CR4
PSE/PGE/DE/TSD).  Every choice comes from random.Random("SEED/INDEX"), so
sequence INDEX of seed SEED is the same on every machine and can be made
alone (--show INDEX).  The guest appends nothing: the generator ends every
sequence with INT 0x81, the guest's end-of-sequence gate.

What a template may do is bounded by what makes the comparison meaningful:
- memory operands address only the test pages (difftest.h layout), never
  the guest's own code, tables or the sequence's code (no self-modifying
  code);
- in ring 0 ESP moves only by pushes and pops within its page (a fault on
  the stack there would be a double fault), SS only to flat stack segments;
- a PTE or PDE write is followed by an invalidation (INVLPG, or a CR3
  reload, or with CR4.PGE on a PGE toggle) before any access through it:
  before that the TLB may or may not hold the old entry, which the
  architecture leaves to the implementation;
- a PTE names only frames of the test area (a frame beyond guest RAM ends
  the guest under the monitor, by design);
- POPF in ring 0 keeps IF and IOPL (the generator tracks IF): at CPL 1 the
  CPU silently keeps them, a documented hole (expected.py HOLES).
Tags: every random choice that matters is recorded as a tag
("seg.load.ds.np", "cr4.set.vme"); expected.py excludes tags that are holes
or known monitor bugs, per ring, and names the reason for each.

    gen.py --seed 1 --first 0 --count 1000 -o batch.bin
    gen.py --seed 1 --show 123          # one sequence's assembly and state
    gen.py --list                        # the templates and their weights
    gen.py --seed 1 --show 123 --ring 3  # as difftest.py --ring 3 makes it
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import expected  # noqa: E402

# ---- the guest's layout (guests/difftest/difftest.h; the guest prints it) ----

LAYOUT = {
    "pd": 0x00800000, "pt": 0x00801000, "r0stack": 0x00806000, "win": 0x00C00000,
    "info": 0x00805000, "code": 0x00808000, "r3stack": 0x00C00000, "scratch": 0x00C01000,
    "alias": 0x00C04000, "pool": 0x00C08000, "stack_start": 0x800,
}
PAGE = 0x1000
PD = LAYOUT["pd"]
PT3 = LAYOUT["pt"] + 3 * PAGE           # the window's page table
WIN = LAYOUT["win"]
CODE = LAYOUT["code"]
INFO = LAYOUT["info"]                   # the guest's GDTR image at +0, IDTR at +8
R0STACK = LAYOUT["r0stack"]
R3STACK = LAYOUT["r3stack"]
SCRATCH = [LAYOUT["scratch"] + i * PAGE for i in range(3)]   # user rw, user ro, supervisor rw
ALIAS = LAYOUT["alias"]
POOL = [LAYOUT["pool"] + i * PAGE for i in range(4)]
STACK_START = LAYOUT["stack_start"]
PDE_WIN = PD + (WIN >> 22) * 4


def pte_addr(va):
    return PT3 + ((va >> 12) & 0x3FF) * 4


# the reference PTEs (paging.c window_pte)
P, W, U, PWT, PCD, A, D, PS, G = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100
REF_PTE = {R3STACK: R3STACK | P | W | U, SCRATCH[0]: SCRATCH[0] | P | W | U,
           SCRATCH[1]: SCRATCH[1] | P | U, SCRATCH[2]: SCRATCH[2] | P | W,
           ALIAS: POOL[0] | P | W | U}
# frames a PTE of the window may name
FRAMES = SCRATCH + POOL + [R3STACK]

# ---- the guest's GDT (difftest.h) ----
SEL = {"null": 0x00, "kcode": 0x08, "kdata": 0x10, "ucode": 0x1B, "udata": 0x23,
       "tss": 0x28, "tss2": 0x30, "tdata": 0x3B, "np": 0x40, "xo": 0x48, "ro": 0x53,
       "conf": 0x58, "kdata_a0": 0x60, "udata_a0": 0x6B, "ldt": 0x70, "dpl1": 0x79,
       "beyond": 0x1F8, "ldt_k": 0x0C, "ldt_u": 0x17, "ldt_np": 0x1C,
       "udata_rpl0": 0x20, "kdata_rpl3": 0x13}
V_SEQ_END = 0x81

# batch format (difftest.h)
MAGIC = 0x31425444
DTF_RING3, DTF_IF = 0x1, 0x2
DTT = {"cr": 0x100, "dr": 0x200, "msr": 0x400, "gdtr": 0x800, "ldtr": 0x1000,
       "tr": 0x2000, "idtr": 0x4000, "x87": 0x8000}
CR0_MP, CR0_TS, CR0_EM, CR0_NE, CR0_WP, CR0_AM, CR0_PG = (
    0x2, 0x8, 0x4, 0x20, 0x10000, 0x40000, 0x80000000)
CR4_VME, CR4_PVI, CR4_TSD, CR4_DE, CR4_PSE, CR4_PGE, CR4_PCE = (
    0x1, 0x2, 0x4, 0x8, 0x10, 0x80, 0x100)
FL_CF, FL_PF, FL_AF, FL_ZF, FL_SF, FL_TF, FL_IF, FL_DF, FL_OF, FL_NT, FL_AC = (
    0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x4000, 0x40000)

R32 = ["eax", "ecx", "edx", "ebx", "ebp", "esi", "edi"]       # never ESP
R16 = ["ax", "cx", "dx", "bx", "bp", "si", "di"]
R8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
REGS = {1: R8, 2: R16, 4: R32}
SIZE = {1: "byte", 2: "word", 4: "dword"}
CC = ["o", "no", "b", "ae", "z", "nz", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
STACK_SLACK = 0x600         # how far ESP may move from its start, either way

MAX_TEMPLATES = 8


def names_tag(names, tag):
    """Whether one of names is tag or a prefix of it ("seg.check.lar"
    names "seg.check.lar.kcode")."""
    return any(tag == n or tag.startswith(n + ".") for n in names)


class Sequence:
    """One generated sequence: its initial state, its assembly, its tags."""

    def __init__(self, index, ring):
        self.index = index
        self.ring = ring
        self.lines = []             # assembly, one instruction (or label) a line
        self.tags = []              # template and choice names, in order
        self.touches = 0
        self.regs = {}
        self.eflags = 0
        self.sti = False
        self.cr0_set = 0
        self.cr4_set = 0

    def flags(self):
        return ((DTF_RING3 if self.ring == 3 else 0) | (DTF_IF if self.sti else 0) |
                self.touches)

    def describe(self):
        """The generator's account of a sequence, for a mismatch report."""
        regs = " ".join("%s=0x%08x" % (r, self.regs[r]) for r in R32)
        out = ["sequence %d: ring %d, %s" % (self.index, self.ring, ", ".join(self.tags)),
               "  start: %s eflags=0x%08x IF=%d cr0|=0x%x cr4=0x%x" % (
                   regs, self.eflags, self.sti, self.cr0_set, self.cr4_set)]
        out += ["    " + l for l in self.lines]
        return "\n".join(out)


class Ctx:
    """The state a template reads and updates while a sequence is built."""

    def __init__(self, rng, seq, excluded):
        self.rng = rng
        self.seq = seq
        self.excluded = excluded    # tags (prefixes) not to generate in this ring
        self.depth = 0              # bytes pushed since the start (ESP = start - depth)
        self.if_flag = False
        self.cr4 = 0
        self.labels = 0
        self.ended = False          # a template that surely ends the sequence ran

    # ---- output ----
    def emit(self, *lines):
        self.seq.lines.extend(lines)

    def tag(self, name):
        self.seq.tags.append(name)

    def touch(self, what):
        self.seq.touches |= DTT[what]

    def label(self):
        self.labels += 1
        return "q%d_%d" % (self.seq.index, self.labels)

    def code_addr(self, label):
        return "CODE + (%s - q%d_start)" % (label, self.seq.index)

    # ---- choices ----
    def allowed(self, tag):
        return not names_tag(self.excluded, tag)

    def choose(self, prefix, options):
        """A random key of options (a dict key -> weight, or a list), never
        one whose tag PREFIX.KEY is excluded; records the tag."""
        if isinstance(options, dict):
            keys = [k for k in options if self.allowed("%s.%s" % (prefix, k))]
            weights = [options[k] for k in keys]
        else:
            keys = [k for k in options if self.allowed("%s.%s" % (prefix, k))]
            weights = None
        if not keys:
            return None
        k = self.rng.choices(keys, weights)[0]
        self.tag("%s.%s" % (prefix, k))
        return k

    def value(self):
        r = self.rng.random()
        if r < 0.3:
            return self.rng.randrange(0, 17)
        if r < 0.5:
            return self.rng.choice([0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                                    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE])
        if r < 0.6:
            return self.rng.choice(SCRATCH) + self.rng.randrange(0, PAGE, 4)
        return self.rng.getrandbits(32)

    def imm(self, size):
        return self.value() & ((1 << (8 * size)) - 1)

    def reg(self, size=4, avoid=()):
        return self.rng.choice([r for r in REGS[size] if r not in avoid])

    def esp(self):
        start = (R0STACK if self.seq.ring == 0 else R3STACK) + STACK_START
        return start - self.depth

    def can_push(self, n):
        return self.depth + n <= STACK_SLACK

    def can_pop(self, n):
        return self.depth - n >= -STACK_SLACK

    # ---- memory operands ----
    def region(self, write):
        regions = {"scratch0": 8, "scratch1": 1.5, "scratch2": 1.5, "alias": 1, "pool": 1,
                   "stack": 0.5, "code": 0 if write else 0.3}
        name = self.choose("mem", regions)
        if name == "pool":
            return self.rng.choice(POOL)
        if name == "stack":
            return R3STACK if self.seq.ring == 0 else R0STACK
        return {"scratch0": SCRATCH[0], "scratch1": SCRATCH[1], "scratch2": SCRATCH[2],
                "alias": ALIAS, "code": CODE}[name]

    def address(self, size, write=False, base=None):
        """A linear address for an access of size bytes: aligned mostly,
        sometimes not, now and then across a page boundary."""
        base = self.region(write) if base is None else base
        r = self.rng.random()
        if r < 0.04:
            return base + PAGE - max(1, size // 2)
        if r < 0.15:
            return base + self.rng.randrange(0, PAGE - size)
        return base + self.rng.randrange(0, PAGE - size + 1, size)

    def operand(self, addr, size=None, avoid=()):
        """An addressing form for addr: absolute, base+disp or
        base+index*scale+disp (the registers set just before)."""
        prefix = (SIZE[size] + " ") if size else ""
        form = self.rng.choices(["abs", "base", "sib"], [4, 3, 2])[0]
        if form == "abs":
            return "%s[0x%x]" % (prefix, addr)
        b = self.reg(avoid=avoid)
        disp = self.rng.choice([0, self.rng.randrange(-128, 128), self.rng.randrange(-4096, 4096)])
        if form == "base":
            self.emit("mov %s, 0x%x" % (b, (addr - disp) & 0xFFFFFFFF))
            return "%s[%s%+d]" % (prefix, b, disp)
        i = self.reg(avoid=tuple(avoid) + (b,))
        scale = self.rng.choice([1, 2, 4, 8])
        idx = self.rng.randrange(0, 64)
        self.emit("mov %s, 0x%x" % (b, (addr - disp - idx * scale) & 0xFFFFFFFF),
                  "mov %s, %d" % (i, idx))
        return "%s[%s+%s*%d%+d]" % (prefix, b, i, scale, disp)

    def mem(self, size, write=False, avoid=()):
        return self.operand(self.address(size, write), size, avoid)

    # ---- TLB ----
    def flush_all(self):
        """Invalidates every TLB entry of the window: a CR3 reload, or with
        CR4.PGE on (global entries survive a CR3 write) a PGE toggle."""
        r = self.reg()
        if self.cr4 & CR4_PGE:
            self.emit("mov %s, cr4" % r, "and %s, 0x%x" % (r, ~CR4_PGE & 0xFFFFFFFF),
                      "mov cr4, %s" % r, "or %s, 0x%x" % (r, CR4_PGE), "mov cr4, %s" % r)
        else:
            self.emit("mov %s, cr3" % r, "mov cr3, %s" % r)
        self.touch("cr")


class Template:
    def __init__(self, name, fn, weight, rings, touches, undef, r3):
        self.name, self.fn, self.weight, self.rings, self.touches = (
            name, fn, weight, rings, touches)
        self.undef = undef          # None, or how to define the flags it leaves undefined
        self.r3 = r3                # weight factor in ring 3 (privileged: most raise #GP)

    def weight_in(self, ring):
        return self.weight * (self.r3 if ring == 3 else 1.0)


TEMPLATES = []


PRIV = 0.25     # a privileged template's weight in ring 3, where it ends the sequence


def template(name, weight=1.0, rings=(0, 3), touches=(), undef=None, r3=1.0):
    def deco(fn):
        TEMPLATES.append(Template(name, fn, weight, tuple(rings), tuple(touches), undef, r3))
        return fn
    return deco


# Flags an instruction leaves undefined come out of QEMU's lazy flags
# differently depending on where its translation blocks end (a hidden page
# fault under the monitor splits them), and out of the monitor's emulation
# differently again: after such an instruction every flag is defined anew
# (RULES "flags.undefined").  KEEP_CF when CF is defined (BT*, MUL, shifts
# and rotates), CLEAR otherwise (DIV, BSF/BSR, SHLD/SHRD, BCD).
KEEP_CF = ("setc cl", "add cl, 0xff")
CLEAR = ("mov cl, 0", "add cl, 0")


# ===================================================================
# Data: ALU, shifts, multiply, bits, moves, BCD, flags
# ===================================================================

ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]


def size_choice(ctx):
    return ctx.rng.choices([1, 2, 4], [2, 1, 4])[0]


@template("alu.rr", 3)
def t_alu_rr(ctx):
    s = size_choice(ctx)
    op = ctx.rng.choice(ALU + ["test"])
    ctx.emit("%s %s, %s" % (op, ctx.reg(s), ctx.reg(s)))


@template("alu.ri", 3)
def t_alu_ri(ctx):
    s = size_choice(ctx)
    op = ctx.rng.choice(ALU + ["test"])
    imm = ctx.imm(s) if ctx.rng.random() < 0.7 else ctx.rng.randrange(-128, 128) & ((1 << 8 * s) - 1)
    ctx.emit("%s %s, 0x%x" % (op, ctx.reg(s), imm))


@template("alu.rm", 3)
def t_alu_rm(ctx):
    s = size_choice(ctx)
    m = ctx.mem(s)
    ctx.emit("%s %s, %s" % (ctx.rng.choice(ALU), ctx.reg(s), m))


@template("alu.mr", 3)
def t_alu_mr(ctx):
    s = size_choice(ctx)
    op = ctx.rng.choice(ALU + ["test"])
    m = ctx.mem(s, write=op not in ("cmp", "test"))
    lock = "lock " if op not in ("cmp", "test") and ctx.rng.random() < 0.25 else ""
    ctx.emit("%s%s %s, %s" % (lock, op, m, ctx.reg(s)))


@template("alu.mi", 2)
def t_alu_mi(ctx):
    s = size_choice(ctx)
    op = ctx.rng.choice(ALU)
    m = ctx.mem(s, write=op != "cmp")
    lock = "lock " if op != "cmp" and ctx.rng.random() < 0.25 else ""
    ctx.emit("%s%s %s, 0x%x" % (lock, op, m, ctx.imm(s)))


@template("shift", 2, undef=KEEP_CF)
def t_shift(ctx):
    s = size_choice(ctx)
    op = ctx.rng.choice(["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"])
    if ctx.rng.random() < 0.6 or op in ("rcl", "rcr"):
        dst = ctx.reg(s)        # RCL/RCR on memory: RULES "qemu.rcl_mem"
    else:
        dst = ctx.mem(s, write=True)
    count = ctx.rng.choice(["1", "cl", str(ctx.rng.randrange(0, 40))])
    ctx.emit("%s %s, %s" % (op, dst, count))


@template("shiftd", 0.7, undef=CLEAR)
def t_shiftd(ctx):
    s = ctx.rng.choice([2, 4])
    op = ctx.rng.choice(["shld", "shrd"])
    dst = ctx.reg(s) if ctx.rng.random() < 0.6 else ctx.mem(s, write=True)
    count = ctx.rng.choice(["cl", str(ctx.rng.randrange(0, 40))])
    ctx.emit("%s %s, %s, %s" % (op, dst, ctx.reg(s), count))


@template("unary", 2)
def t_unary(ctx):
    s = size_choice(ctx)
    op = ctx.rng.choice(["inc", "dec", "neg", "not"])
    if ctx.rng.random() < 0.5:
        ctx.emit("%s %s" % (op, ctx.reg(s)))
    else:
        lock = "lock " if ctx.rng.random() < 0.25 else ""
        ctx.emit("%s%s %s" % (lock, op, ctx.mem(s, write=True)))


@template("muldiv", 1.5, undef=CLEAR)
def t_muldiv(ctx):
    s = size_choice(ctx)
    op = ctx.choose("muldiv", {"mul": 2, "imul": 2, "div": 1, "idiv": 1, "imul2": 1,
                               "imul3": 1})
    if op in ("imul2", "imul3"):
        s = ctx.rng.choice([2, 4])
        src = ctx.reg(s) if ctx.rng.random() < 0.5 else ctx.mem(s)
        extra = ", 0x%x" % ctx.imm(s) if op == "imul3" else ""
        ctx.emit("imul %s, %s%s" % (ctx.reg(s), src, extra))
        return
    if op in ("div", "idiv") and ctx.rng.random() < 0.7:
        # mostly a quotient that fits: high half 0, divisor not 0
        hi = {1: "ah", 2: "dx", 4: "edx"}[s]
        ctx.emit("xor %s, %s" % (hi, hi) if s > 1 else "mov ah, 0")
        src = ctx.reg(s, avoid=("eax", "edx", "ax", "dx", "al", "ah"))
        ctx.emit("or %s, 1" % src, "%s %s" % (op, src))
        return
    src = ctx.reg(s) if ctx.rng.random() < 0.5 else ctx.mem(s)
    ctx.emit("%s %s" % (op, src))


@template("bits", 2, undef=CLEAR)
def t_bits(ctx):
    op = ctx.choose("bits", {"bt": 1, "bts": 1, "btr": 1, "btc": 1, "bsf": 1, "bsr": 1,
                             "bswap": 0.5})
    s = ctx.rng.choice([2, 4])
    if op == "bswap":
        ctx.emit("bswap %s" % ctx.reg())
    elif op in ("bsf", "bsr"):
        src = ctx.reg(s) if ctx.rng.random() < 0.5 else ctx.mem(s)
        ctx.emit("%s %s, %s" % (op, ctx.reg(s), src))
    elif ctx.rng.random() < 0.5:
        ctx.emit("%s %s, %s" % (op, ctx.reg(s), ctx.rng.choice([ctx.reg(s), str(ctx.rng.randrange(64))])))
    elif ctx.rng.random() < 0.5:
        lock = "lock " if op != "bt" and ctx.rng.random() < 0.3 else ""
        ctx.emit("%s%s %s, %d" % (lock, op, ctx.mem(s, write=op != "bt"), ctx.rng.randrange(64)))
    else:
        # a register bit offset reaches beyond the operand: a small one
        r = ctx.reg(s)
        m = ctx.mem(s, write=op != "bt", avoid=(R32[REGS[s].index(r)],))
        ctx.emit("mov %s, %d" % (r, ctx.rng.randrange(-64, 256)), "%s %s, %s" % (op, m, r))


@template("xchg", 2)
def t_xchg(ctx):
    op = ctx.choose("xchg", {"xchg.rr": 1, "xchg.mr": 1, "xadd": 1, "cmpxchg": 1,
                             "cmpxchg8b": 0.5})
    s = size_choice(ctx)
    if op == "xchg.rr":
        ctx.emit("xchg %s, %s" % (ctx.reg(s), ctx.reg(s)))
    elif op == "cmpxchg8b":
        m = ctx.operand(ctx.address(8, write=True), None, avoid=("eax", "edx", "ebx", "ecx"))
        cmpxchg8b(ctx, "%scmpxchg8b qword %s" % ("lock " if ctx.rng.random() < 0.5 else "", m))
    else:
        mnem = op.split(".")[0]
        m = ctx.mem(s, write=True)
        lock = "lock " if mnem != "xchg" and ctx.rng.random() < 0.5 else ""
        ctx.emit("%s%s %s, %s" % (lock, mnem, m, ctx.reg(s)))


@template("mov", 4)
def t_mov(ctx):
    form = ctx.choose("mov", {"ri": 2, "rr": 1, "rm": 2, "mr": 2, "mi": 1, "movzx": 1,
                              "movsx": 1, "lea": 1, "moffs": 0.5})
    s = size_choice(ctx)
    if form == "ri":
        ctx.emit("mov %s, 0x%x" % (ctx.reg(s), ctx.imm(s)))
    elif form == "rr":
        ctx.emit("mov %s, %s" % (ctx.reg(s), ctx.reg(s)))
    elif form == "rm":
        m = ctx.mem(s)
        ctx.emit("mov %s, %s" % (ctx.reg(s), m))
    elif form == "mr":
        m = ctx.mem(s, write=True)
        ctx.emit("mov %s, %s" % (m, ctx.reg(s)))
    elif form == "mi":
        m = ctx.mem(s, write=True)
        ctx.emit("mov %s, 0x%x" % (m, ctx.imm(s)))
    elif form in ("movzx", "movsx"):
        ss = ctx.rng.choice([1, 2])
        src = ctx.reg(ss) if ctx.rng.random() < 0.5 else ctx.mem(ss)
        ctx.emit("%s %s, %s" % (form, ctx.reg(4), src))
    elif form == "lea":
        ctx.emit("lea %s, %s" % (ctx.reg(), ctx.operand(ctx.address(4))))
    else:   # the short forms A0-A3 (EAX and an absolute offset)
        acc = {1: "al", 2: "ax", 4: "eax"}[s]
        addr = ctx.address(s, write=True)
        ctx.emit(ctx.rng.choice(["mov %s, [0x%x]" % (acc, addr), "mov [0x%x], %s" % (addr, acc)]))


@template("misc", 2)
def t_misc(ctx):
    op = ctx.choose("misc", ["cbw", "cwde", "cwd", "cdq", "lahf", "sahf", "clc", "stc",
                             "cmc", "cld", "std", "nop", "salc", "xlatb", "setcc",
                             "cmovcc", "arpl"])
    if op == "setcc":
        # a register only: RULES "qemu.setcc_mem"
        ctx.emit("set%s %s" % (ctx.rng.choice(CC), ctx.reg(1)))
    elif op == "cmovcc":
        s = ctx.rng.choice([2, 4])
        src = ctx.reg(s) if ctx.rng.random() < 0.5 else ctx.mem(s)
        ctx.emit("cmov%s %s, %s" % (ctx.rng.choice(CC), ctx.reg(s), src))
    elif op == "xlatb":
        ctx.emit("mov ebx, 0x%x" % ctx.address(1, base=SCRATCH[0]), "xlatb")
    elif op == "arpl":
        dst = ctx.reg(2) if ctx.rng.random() < 0.5 else ctx.mem(2, write=True)
        ctx.emit("arpl %s, %s" % (dst, ctx.reg(2)))
    else:
        ctx.emit(op)


@template("bcd", 0.7, undef=CLEAR)
def t_bcd(ctx):
    op = ctx.choose("bcd", {"daa": 1, "das": 1, "aaa": 1, "aas": 1, "aam": 1, "aad": 1,
                            "aam0": 0.2})
    if op == "aam0":
        ctx.emit("aam 0")
    elif op in ("aam", "aad"):
        ctx.emit("%s %d" % (op, ctx.rng.choice([10, 16, 7, 255])))
    else:
        ctx.emit(op)


@template("jcc", 1.5)
def t_jcc(ctx):
    """A conditional jump over an ALU instruction (taken or not)."""
    skip = ctx.label()
    ctx.emit("j%s %s" % (ctx.rng.choice(CC), skip))
    t_alu_ri(ctx)
    ctx.emit("%s:" % skip)


@template("call", 0.7)
def t_call(ctx):
    """A near CALL to the next instruction, its return address popped."""
    if not ctx.can_push(4):
        return
    nxt = ctx.label()
    ctx.emit("call %s" % nxt, "%s:" % nxt, "pop %s" % ctx.reg())


# ===================================================================
# The stack
# ===================================================================

@template("stack", 3)
def t_stack(ctx):
    op = ctx.choose("stack", {"push.r": 2, "push.i": 1, "push.m": 1, "pop.r": 2,
                              "pop.m": 1, "pushad": 0.5, "popad": 0.5, "pushfd": 1,
                              "push16": 0.5, "popfd": 1, "push.esp": 0.3})
    if op is None:
        return
    n = {"pushad": 32, "popad": 32, "push16": 2}.get(op, 4)
    pushing = op.startswith("push")
    if (pushing and not ctx.can_push(n)) or (not pushing and not ctx.can_pop(n)):
        return
    ctx.depth += n if pushing else -n
    if op == "push.r":
        ctx.emit("push %s" % ctx.reg())
    elif op == "push.i":
        ctx.emit("push dword 0x%x" % ctx.imm(4))
    elif op == "push.m":
        ctx.emit("push %s" % ctx.mem(4))
    elif op == "pop.r":
        ctx.emit("pop %s" % ctx.reg())
    elif op == "pop.m":
        ctx.emit("pop %s" % ctx.mem(4, write=True))
    elif op == "push16":
        ctx.emit("push %s" % ctx.reg(2))
    elif op == "push.esp":
        ctx.emit("push esp")
    elif op == "popfd":
        ctx.depth += 4          # the image is pushed first
        img = popf_image(ctx)
        ctx.emit("push dword 0x%x" % img, "popfd")
        if img & FL_TF:
            single_step(ctx)
    else:
        ctx.emit(op)


def cmpxchg8b(ctx, insn):
    """CMPXCHG8B after PUSHFD/POPFD: QEMU 7.2's TCG CMPXCHG8B takes the
    flags it keeps from a stale lazy-flags state when an instruction
    before it in the same block set them (RULES "qemu.cmpxchg8b_flags")."""
    ctx.emit("pushfd", "popfd", insn)


# One instruction each: the #DB comes right after it (no RDTSC, no IN from
# port 0x80: their values would be seen before they could be cleared; IN
# reads the PIC's mask register, the same everywhere).
STEPPED = ["nop", "add eax, 0x1234", "cli", "in al, 0x21", "out 0x80, al", "mov eax, cr0",
           "mov eax, cr3", "cpuid", "push eax", "int3", "int 0x82", "clts", "mov eax, dr7",
           "wbinvd", "mov eax, [0xc01000]", "mov dword [0xc01000], 1", "pushfd",
           "verr cx", "invlpg [0xc01000]", "lmsw ax"]


def single_step(ctx):
    """With TF set the CPU raises #DB after the next instruction: one more
    instruction, privileged or not (emulated ones step too), then the
    sequence has ended.  Never STI, MOV SS or POP SS: whether the #DB waits
    one more instruction after them is the implementation's choice (QEMU
    waits, Bochs does not; RULES "tf.shadow")."""
    step = ctx.choose("popf.tf.next", STEPPED)
    ctx.emit(step)
    ctx.ended = True


def popf_image(ctx):
    """An EFLAGS image for POPF.  In ring 0 it keeps IF as tracked and
    IOPL 0 (POPF at CPL 1 cannot change them: HOLES "popf.if_iopl");
    in ring 3 the CPU ignores both, so anything goes."""
    img = ctx.rng.getrandbits(32) & (FL_CF | FL_PF | FL_AF | FL_ZF | 0x80 | FL_DF | FL_OF |
                                     FL_AC | 0x3000 | FL_IF)
    if ctx.rng.random() < 0.08 and ctx.allowed("popf.tf"):
        img |= FL_TF
        ctx.tag("popf.tf")
    if ctx.rng.random() < 0.05 and ctx.allowed("popf.nt"):
        img |= FL_NT
        ctx.tag("popf.nt")
    if ctx.seq.ring == 0:
        img &= ~(FL_IF | 0x3000)
        img |= FL_IF if ctx.if_flag else 0
    return img | 0x2


@template("string", 2)
def t_string(ctx):
    op = ctx.choose("string", {"movs": 2, "stos": 2, "lods": 1, "cmps": 1, "scas": 1})
    s = ctx.rng.choice([1, 2, 4])
    suffix = {1: "b", 2: "w", 4: "d"}[s]
    rep = ctx.rng.choice(["", "rep ", "rep ", "repne "] if op in ("cmps", "scas")
                         else ["", "rep ", "rep "])
    count = ctx.rng.randrange(0, 40)
    # ESI and EDI start in the middle of a page: DF may run them either way
    if op in ("movs", "lods", "cmps"):
        ctx.emit("mov esi, 0x%x" % (ctx.region(False) + ctx.rng.randrange(0x400, 0xC00)))
    if op in ("movs", "stos", "cmps", "scas"):
        ctx.emit("mov edi, 0x%x" % (ctx.region(op in ("movs", "stos")) +
                                    ctx.rng.randrange(0x400, 0xC00)))
    ctx.emit("mov ecx, %d" % count, "%s%s%s" % (rep, op, suffix))


# ===================================================================
# Traps: INT n and the instructions that raise exceptions
# ===================================================================

# t_int's choices that are one fixed instruction
INT_FIXED = {"user_gate": "int 0x80", "kernel_gate": "int 0x82", "np_gate": "int 0x83",
             "int3": "int3", "int_3": "int 3", "into": "into", "icebp": "db 0xF1", "ud2": "ud2"}


@template("int", 1.2)
def t_int(ctx):
    op = ctx.choose("int", {"user_gate": 1, "kernel_gate": 1, "np_gate": 0.5, "int3": 1,
                            "int_3": 0.5, "into": 1, "icebp": 0.5, "ud2": 1, "lock_ud": 0.5,
                            "other": 1, "bound": 1})
    if op in INT_FIXED:
        ctx.emit(INT_FIXED[op])
    elif op == "lock_ud":
        ctx.emit(ctx.rng.choice(["db 0xF0, 0x90", "db 0xF0, 0x89, 0xC0"]))   # LOCK NOP, LOCK MOV
    elif op == "other":
        # vectors whose exceptions push no error code (INT n pushes none:
        # the guest's stub for 8, 10-14 or 17 would read the frame askew)
        ctx.emit("int 0x%x" % ctx.rng.choice([0, 1, 2, 5, 6, 7, 9, 16, 0x20, 0x30, 0x7F, 0xFF]))
    else:   # BOUND against a pair in scratch page 0
        addr = ctx.address(8, base=SCRATCH[0])
        lo, hi = sorted([ctx.value(), ctx.value()])
        r = ctx.reg()
        ctx.emit("mov dword [0x%x], 0x%x" % (addr, lo), "mov dword [0x%x], 0x%x" % (addr + 4, hi),
                 "mov %s, 0x%x" % (r, ctx.rng.choice([lo, hi, lo - 1, hi + 1, ctx.value()]) & 0xFFFFFFFF),
                 "bound %s, [0x%x]" % (r, addr))
    if op not in ("bound", "into"):
        ctx.ended = True


@template("unpriv", 1.5)
def t_unpriv(ctx):
    """Unprivileged instructions that read machine state."""
    op = ctx.choose("unpriv", {"rdtsc": 1, "cpuid0": 1, "cpuid1": 1, "cpuid_ext": 0.5,
                               "rdpmc": 0.3})
    if op == "rdtsc":
        # the count differs from run to run: keep only whether it faults
        ctx.emit("rdtsc", "mov eax, 0", "mov edx, 0")
    elif op == "rdpmc":
        ctx.emit("mov ecx, 0", "rdpmc", "mov eax, 0", "mov edx, 0")
    else:
        leaf = {"cpuid0": 0, "cpuid1": 1, "cpuid_ext": 0x80000000}[op]
        ctx.emit("mov eax, 0x%x" % leaf, "xor ecx, ecx", "cpuid")


# ===================================================================
# Privileged: IF, ports, control and debug registers, MSRs, x87
# ===================================================================

@template("cli_sti", 1.5, r3=PRIV)
def t_cli_sti(ctx):
    op = ctx.choose("if", ["cli", "sti"])
    ctx.emit(op)
    if ctx.seq.ring == 0:
        ctx.if_flag = op == "sti"


PORT80, UART_SCR, PIC1_DATA = 0x80, 0x3FF, 0x21


@template("io", 1.5, r3=PRIV)
def t_io(ctx):
    """Ports with no side effect on the run: POST port 0x80 (what it reads
    is cleared), the UART's scratch register, the PIC's mask register
    (written 0xFF only)."""
    op = ctx.choose("io", {"out80": 1, "in80": 0.5, "scr": 2, "pic_imr": 1, "outs": 1,
                           "ins": 1})
    if op == "out80":
        ctx.emit("mov al, 0x%x" % ctx.imm(1), "out 0x80, al")
    elif op == "in80":
        # kept for whether it faults; the value is the platform's (RULES io.port80_value)
        ctx.emit("in al, 0x80", "mov al, 0")
    elif op == "scr":
        ctx.emit("mov dx, 0x%x" % UART_SCR, "mov al, 0x%x" % ctx.imm(1), "out dx, al",
                 "mov al, 0", "in al, dx")
    elif op == "pic_imr":
        ctx.emit("in al, 0x%x" % PIC1_DATA, "mov al, 0xFF", "out 0x%x, al" % PIC1_DATA)
    else:
        rep = ctx.rng.choice(["", "rep "])
        reg = "esi" if op == "outs" else "edi"
        ctx.emit("mov dx, 0x%x" % UART_SCR, "mov %s, 0x%x" % (reg, ctx.address(
            1, write=op == "ins", base=SCRATCH[0]) | 0x400),
                 "mov ecx, %d" % ctx.rng.randrange(0, 9), "%s%sb" % (rep, op))


@template("cr.read", 1.5, touches=("cr",), r3=PRIV)
def t_cr_read(ctx):
    n = ctx.choose("cr.read", ["0", "2", "3", "4"])
    ctx.emit("mov %s, cr%s" % (ctx.reg(), n))


CR0_BITS = {"wp": CR0_WP, "ts": CR0_TS, "mp": CR0_MP, "em": CR0_EM, "am": CR0_AM,
            "ne": CR0_NE}


@template("cr0.write", 1.5, touches=("cr",), r3=PRIV)
def t_cr0_write(ctx):
    bit = ctx.choose("cr0.flip", list(CR0_BITS))
    r = ctx.reg()
    ctx.emit("mov %s, cr0" % r, "xor %s, 0x%x" % (r, CR0_BITS[bit]), "mov cr0, %s" % r)


@template("cr0.misc", 0.8, touches=("cr",), r3=PRIV)
def t_cr0_misc(ctx):
    op = ctx.choose("cr0", {"clts": 1, "lmsw": 1, "smsw.r16": 0.5, "smsw.r32": 0.5,
                            "smsw.m": 0.5})
    if op == "clts":
        ctx.emit("clts")
    elif op == "lmsw":
        ctx.emit("mov ax, 0x%x" % (0x1 | ctx.rng.getrandbits(4) << 1), "lmsw ax")
    elif op == "smsw.r16":
        ctx.emit("smsw %s" % ctx.reg(2))
    elif op == "smsw.r32":
        ctx.emit("smsw %s" % ctx.reg(4))
    else:
        ctx.emit("smsw %s" % ctx.mem(2, write=True))


@template("cr0.pg", 0.5, rings=(0,), touches=("cr",))
def t_cr0_pg(ctx):
    """Paging off, an access (physical = virtual here), paging on again."""
    r = ctx.reg()
    ctx.emit("mov %s, cr0" % r, "and %s, 0x7FFFFFFF" % r, "mov cr0, %s" % r)
    t_mov(ctx)
    r = ctx.reg()
    ctx.emit("mov %s, cr0" % r, "or %s, 0x80000000" % r, "mov cr0, %s" % r)


@template("cr2.write", 0.5, touches=("cr",), r3=PRIV)
def t_cr2(ctx):
    ctx.emit("mov %s, 0x%x" % ("ecx", ctx.value()), "mov cr2, ecx")


@template("cr3.reload", 0.7, touches=("cr",), r3=PRIV)
def t_cr3(ctx):
    ctx.emit("mov eax, cr3", "mov cr3, eax")


CR4_BITS = {"pse": CR4_PSE, "pge": CR4_PGE, "tsd": CR4_TSD, "de": CR4_DE, "pce": CR4_PCE,
            "vme": CR4_VME, "pvi": CR4_PVI}


@template("cr4.write", 1.5, touches=("cr",), r3=PRIV)
def t_cr4_write(ctx):
    bit = ctx.choose("cr4.flip", list(CR4_BITS))
    r = ctx.reg()
    ctx.emit("mov %s, cr4" % r, "xor %s, 0x%x" % (r, CR4_BITS[bit]), "mov cr4, %s" % r)
    if ctx.seq.ring == 0:
        ctx.cr4 ^= CR4_BITS[bit]


@template("dr", 1, touches=("dr",), r3=PRIV)
def t_dr(ctx):
    op = ctx.choose("dr", {"write.addr": 2, "read": 2, "write.dr6": 1, "write.dr7": 1,
                           "dr45": 0.5})
    r = ctx.reg()
    if op == "write.addr":
        ctx.emit("mov %s, 0x%x" % (r, ctx.value()), "mov dr%d, %s" % (ctx.rng.randrange(4), r))
    elif op == "read":
        ctx.emit("mov %s, dr%d" % (r, ctx.rng.choice([0, 1, 2, 3, 6, 7])))
    elif op == "write.dr6":
        # B0-B3 clear: RULES "dr6.b0_b3"
        ctx.emit("mov %s, 0x%x" % (r, ctx.value() & ~0xF), "mov dr6, %s" % r)
    elif op == "write.dr7":
        # condition and length bits, no enable (an armed breakpoint is a
        # known bug: expected.py), no GD
        ctx.emit("mov %s, 0x%x" % (r, ctx.rng.getrandbits(16) << 16 | 0x400), "mov dr7, %s" % r)
    else:
        ctx.emit("mov %s, dr%d" % (r, ctx.rng.choice([4, 5])))


MSRS = {"sysenter_cs": 0x174, "sysenter_esp": 0x175, "sysenter_eip": 0x176, "tsc": 0x10,
        "apic_base": 0x1B, "misc_enable": 0x1A0, "efer": 0xC0000080}


@template("msr", 1, touches=("msr",), r3=PRIV)
def t_msr(ctx):
    op = ctx.choose("msr", {"read": 2, "write": 2})
    name = ctx.choose("msr.%s" % op, {"sysenter_cs": 2, "sysenter_esp": 2, "sysenter_eip": 2,
                                      "tsc": 0.5, "apic_base": 0.5, "misc_enable": 0.5,
                                      "efer": 0.3} if op == "read" else
                      {"sysenter_cs": 1, "sysenter_esp": 1, "sysenter_eip": 1, "tsc": 0.3})
    ctx.emit("mov ecx, 0x%x" % MSRS[name])
    if op == "read":
        ctx.emit("rdmsr")
        if name == "tsc":
            ctx.emit("mov eax, 0", "mov edx, 0")
    else:
        value = ctx.value() & (0xFFFF if name == "sysenter_cs" else 0xFFFFFFFF)
        ctx.emit("mov eax, 0x%x" % value, "mov edx, 0x%x" % ctx.value(), "wrmsr")
        if name == "tsc":
            ctx.emit("mov ecx, 0x10", "mov eax, 0", "mov edx, 0")


@template("x87", 1, touches=("x87",))
def t_x87(ctx):
    op = ctx.choose("x87", ["fnop", "fwait", "fld1", "fninit"])
    if op == "fld1":
        ctx.emit("fld1", "fstp st0")
    else:
        ctx.emit(op)


@template("cache", 0.4, r3=PRIV)
def t_cache(ctx):
    op = ctx.choose("cache", ["wbinvd", "invd", "invlpg"])
    if op == "invlpg":
        ctx.emit("invlpg %s" % ctx.operand(ctx.address(1)))
    else:
        ctx.emit(op)


@template("hlt", 0.3, rings=(3,))
def t_hlt(ctx):
    ctx.emit("hlt")
    ctx.ended = True


# ===================================================================
# Descriptor tables and segments
# ===================================================================

@template("desc", 1.2, r3=PRIV)
def t_desc(ctx):
    op = ctx.choose("desc", {"lgdt.same": 1, "lgdt.short": 0.5, "lidt.same": 0.5, "lldt": 1,
                             "lldt.null": 0.5, "ltr.tss2": 0.5, "ltr.busy": 0.5,
                             "sgdt": 0.5, "sidt": 0.5, "sldt": 0.5, "str": 0.5})
    if op is None:
        return
    addr = ctx.address(6, write=True, base=SCRATCH[0])
    if op.startswith("lgdt") or op.startswith("lidt"):
        # the guest's own tables, from the images at INFO (SGDT would
        # read the monitor's: a hole)
        ctx.touch("gdtr" if op.startswith("lgdt") else "idtr")
        image = INFO if op.startswith("lgdt") else INFO + 8
        if op == "lgdt.short":
            ctx.emit("mov eax, [0x%x]" % (image + 2), "mov [0x%x], eax" % (addr + 2),
                     "mov word [0x%x], 0x%x" % (addr, ctx.rng.choice([0x27, 0x3F, 0x57])))
            image = addr
        ctx.emit("l%sdt [0x%x]" % (op[1], image))
        if op == "lgdt.short":
            t_seg_load(ctx)
    elif op.startswith("lldt"):
        ctx.touch("ldtr")
        sel = 0 if op == "lldt.null" else ctx.rng.choice([SEL["ldt"], SEL["ldt"], SEL["kdata"],
                                                          SEL["beyond"]])
        ctx.emit("mov ax, 0x%x" % sel, "lldt ax")
        t_seg_load(ctx)
    elif op.startswith("ltr"):
        ctx.touch("tr")
        ctx.emit("mov ax, 0x%x" % (SEL["tss2"] if op == "ltr.tss2" else SEL["tss"]), "ltr ax")
    elif op in ("sgdt", "sidt"):
        ctx.emit("%s [0x%x]" % (op, addr))
    else:
        ctx.emit("%s %s" % (op, ctx.rng.choice(["ax", "eax", "word [0x%x]" % addr])))


DATA_SELS = {"null": 1, "kdata": 2, "udata": 2, "kdata_a0": 1, "udata_a0": 1, "ro": 1,
             "tdata": 0.5, "np": 1, "xo": 0.5, "kcode": 0.5, "conf": 0.5, "tss": 0.5,
             "beyond": 0.5, "ldt_k": 0.5, "ldt_u": 0.5, "ldt_np": 0.3, "udata_rpl0": 0.5,
             "kdata_rpl3": 0.5, "dpl1": 0.5, "ucode": 0.5}
SS_SELS = {"kdata": 2, "kdata_a0": 1, "udata": 1, "udata_a0": 1, "null": 0.5, "ro": 0.5,
           "np": 0.5, "kcode": 0.3, "ldt_k": 0.3, "udata_rpl0": 0.5, "kdata_rpl3": 0.3,
           "dpl1": 0.5}
SREGS = {"ds": 2, "es": 2, "fs": 2, "gs": 2, "ss": 1}


def flat_stack_sel(ctx, sel):
    """Whether loading sel into SS leaves a usable stack in this ring
    (a flat data segment of DPL = CPL, RPL = CPL)."""
    if ctx.seq.ring == 0:
        return sel in (SEL["kdata"], SEL["kdata_a0"], SEL["ldt_k"])
    return sel in (SEL["udata"], SEL["udata_a0"])


@template("seg.load", 3)
def t_seg_load(ctx):
    form = ctx.choose("seg.load", {"mov.r": 3, "mov.m": 1, "pop": 1, "lxs": 2})
    if form is None:
        return
    if form == "lxs":
        sreg = ctx.choose("seg.lxs", ["ds", "es", "fs", "gs", "ss"])
    else:
        sreg = ctx.choose("seg.sreg", {k: v for k, v in SREGS.items()})
    if sreg is None:
        return
    name = ctx.choose("seg.%s" % ("ss" if sreg == "ss" else "data"),
                      SS_SELS if sreg == "ss" else DATA_SELS)
    if name is None:
        return
    sel = SEL[name]
    if form == "mov.r":
        r = ctx.reg(2)
        ctx.emit("mov %s, 0x%x" % (r, sel), "mov %s, %s" % (sreg, r))
    elif form == "mov.m":
        addr = ctx.address(2, base=SCRATCH[0])
        ctx.emit("mov word [0x%x], 0x%x" % (addr, sel), "mov %s, [0x%x]" % (sreg, addr))
    elif form == "pop":
        if not ctx.can_push(4):
            return
        ctx.emit("push dword 0x%x" % sel, "pop %s" % sreg)
    else:
        addr = ctx.address(8, base=SCRATCH[0]) & ~3
        if sreg == "ss":
            # LSS ESP keeps the stack where it is (or moves it a little)
            off = ctx.esp() - ctx.rng.choice([0, 0, 16, -16])
            dst = "esp"
        else:
            off = ctx.value()
            dst = ctx.reg()
        ctx.emit("mov dword [0x%x], 0x%x" % (addr, off & 0xFFFFFFFF),
                 "mov word [0x%x], 0x%x" % (addr + 4, sel),
                 "l%s %s, [0x%x]" % (sreg, dst, addr))
        if sreg == "ss" and flat_stack_sel(ctx, sel):
            ctx.depth = (R0STACK if ctx.seq.ring == 0 else R3STACK) + STACK_START - off
    if sreg == "ss" and not flat_stack_sel(ctx, sel):
        ctx.ended = True        # a faulting SS load ends it; others may not


@template("seg.read", 1)
def t_seg_read(ctx):
    sreg = ctx.choose("seg.read", ["ds", "es", "fs", "gs", "cs", "ss"])
    form = ctx.rng.choice(["mov.r", "mov.m", "push"])
    if form == "mov.r":
        ctx.emit("mov %s, %s" % (ctx.reg(ctx.rng.choice([2, 4])), sreg))
    elif form == "mov.m":
        ctx.emit("mov %s, %s" % (ctx.mem(2, write=True), sreg))
    elif ctx.can_push(4):
        ctx.depth += 4
        ctx.emit("push %s" % sreg)


@template("seg.use", 1)
def t_seg_use(ctx):
    """FS or GS loaded, then a memory access through it."""
    sreg = ctx.rng.choice(["fs", "gs"])
    name = ctx.choose("seg.use", {"tdata": 2, "udata": 1, "kdata": 1, "ro": 1, "null": 0.5})
    r = ctx.reg(2)
    ctx.emit("mov %s, 0x%x" % (r, SEL[name]), "mov %s, %s" % (sreg, r))
    s = size_choice(ctx)
    off = ctx.rng.randrange(0, PAGE - s) if name == "tdata" else ctx.address(s, write=True)
    if ctx.rng.random() < 0.5:
        ctx.emit("mov %s, [%s:0x%x]" % (ctx.reg(s), sreg, off))
    else:
        ctx.emit("mov %s [%s:0x%x], 0x%x" % (SIZE[s], sreg, off, ctx.imm(s)))


@template("seg.check", 1)
def t_seg_check(ctx):
    """LAR, LSL, VERR, VERW on a selector of each kind."""
    op = ctx.choose("seg.check", ["lar", "lsl", "verr", "verw"])
    name = ctx.choose("seg.check.%s" % op, ["null", "kcode", "kdata", "ucode", "udata", "tss",
                                            "tss2", "ldt", "np", "xo", "ro", "conf", "beyond",
                                            "ldt_u", "tdata", "kdata_a0", "udata_a0"])
    r = ctx.reg(2)
    ctx.emit("mov %s, 0x%x" % (r, SEL[name]))
    if op in ("lar", "lsl"):
        ctx.emit("%s %s, %s" % (op, ctx.reg(4), {"ax": "eax", "cx": "ecx", "dx": "edx",
                                                 "bx": "ebx", "bp": "ebp", "si": "esi",
                                                 "di": "edi"}[r]))
    else:
        ctx.emit("%s %s" % (op, r))


@template("far", 0.8)
def t_far(ctx):
    """Far JMP or CALL to the next instruction, through a selector of
    each kind (a far CALL's frame is then popped with RETF or left)."""
    op = ctx.choose("far", {"jmp": 2, "call": 1})
    names = {"kcode": 2, "ucode": 2, "conf": 1, "xo": 1, "kdata": 0.5, "null": 0.5,
             "np": 0.3, "beyond": 0.3}
    name = ctx.choose("far.%s" % op, names)
    if name is None or (op == "call" and not ctx.can_push(8)):
        return
    nxt = ctx.label()
    form = ctx.rng.choice(["ptr", "mem"])
    if form == "ptr":
        ctx.emit("%s 0x%x:%s" % (op, SEL[name], ctx.code_addr(nxt)))
    else:
        addr = ctx.address(8, base=SCRATCH[0]) & ~3
        ctx.emit("mov dword [0x%x], %s" % (addr, ctx.code_addr(nxt)),
                 "mov word [0x%x], 0x%x" % (addr + 4, SEL[name]),
                 "%s far [0x%x]" % (op, addr))
    ctx.emit("%s:" % nxt)
    if op == "call":
        ctx.depth += 8
        if ctx.rng.random() < 0.5 and ctx.allowed("far.retf"):
            ret = ctx.label()
            ctx.tag("far.retf")
            # RETF to the instruction after it: rewrite the pushed EIP
            ctx.emit("mov dword [esp], %s" % ctx.code_addr(ret), "retf", "%s:" % ret)
            ctx.depth -= 8
    ok = {0: ("kcode", "conf", "xo"), 3: ("ucode", "conf")}[ctx.seq.ring]
    if name not in ok:
        ctx.ended = True


@template("ret", 0.8)
def t_ret(ctx):
    """IRET or far RET to the next instruction in the same ring, through a
    frame the sequence builds with the selector the guest kernel uses (RPL
    0 in ring 0: at CPL 1 the CPU refuses a return to RPL 0, the monitor
    emulates it).  The EFLAGS image of an IRET: random arithmetic flags,
    IF as it may be set in this ring, IOPL 0, no NT, rarely TF."""
    op = ctx.choose("ret", {"iret": 2, "retf": 1, "retf.imm": 0.5})
    args = ctx.rng.choice([4, 8, 12]) if op == "retf.imm" else 0
    if not ctx.can_push(12 + args):
        return
    nxt = ctx.label()
    sel = {0: SEL["kcode"], 3: SEL["ucode"]}[ctx.seq.ring]
    tf = False
    for _ in range(args // 4):          # what RET imm16 pops after CS
        ctx.emit("push dword 0x%x" % ctx.imm(4))
    if op == "iret":
        img = ctx.rng.getrandbits(32) & (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF |
                                         FL_AC | FL_IF) | 0x2
        if ctx.seq.ring == 0 and ctx.rng.random() < 0.5:
            img = img & ~FL_IF | (FL_IF if ctx.if_flag else 0)
        if ctx.seq.ring == 0:
            ctx.if_flag = bool(img & FL_IF)     # the emulated IRET sets it
        tf = ctx.rng.random() < 0.05 and ctx.allowed("popf.tf")
        if tf:
            img |= FL_TF
            ctx.tag("popf.tf")
        ctx.emit("push dword 0x%x" % img)
    ctx.emit("push dword 0x%x" % sel, "push dword %s" % ctx.code_addr(nxt))
    ctx.emit({"iret": "iretd", "retf": "retf", "retf.imm": "retf %d" % args}[op])
    ctx.emit("%s:" % nxt)
    if tf:
        single_step(ctx)


# ===================================================================
# Page tables: PTE and PDE writes of every form, then access
# ===================================================================

PTE_TARGETS = {"alias": ALIAS, "scratch0": SCRATCH[0], "scratch1": SCRATCH[1],
               "scratch2": SCRATCH[2], "r3stack": R3STACK}
FLAG_BITS = [P, W, U, PWT, PCD, A, D, G, 0x200, 0x400, 0x800]


def new_pte(ctx):
    frame = ctx.rng.choice(FRAMES)
    flags = P if ctx.rng.random() < 0.85 else 0
    for bit in (W, U, A, D):
        flags |= bit if ctx.rng.random() < 0.5 else 0
    for bit in (PWT, PCD, G, 0x200, 0x400, 0x800):
        flags |= bit if ctx.rng.random() < 0.1 else 0
    if ctx.rng.random() < 0.05 and ctx.allowed("pte.pat"):
        flags |= PS          # the PAT bit of a 4 KB PTE
        ctx.tag("pte.pat")
    return frame | flags


@template("pte", 3, r3=0.5)
def t_pte(ctx):
    """A write to a live PTE of the window (the alias page's mostly), an
    invalidation, and accesses through the page."""
    tname = ctx.choose("pte.target", {"alias": 4, "scratch0": 1, "scratch1": 1, "scratch2": 1,
                                      "r3stack": 0.5})
    va = PTE_TARGETS[tname]
    pa = pte_addr(va)
    form = ctx.choose("pte.form", {"mov.i": 2, "mov.r": 2, "xchg": 1, "cmpxchg": 1,
                                   "cmpxchg8b": 0.5, "or": 1, "and": 1, "xor": 1, "bts": 1,
                                   "btr": 1, "btc": 1, "add": 0.5, "stos": 0.5, "movs": 0.5,
                                   "via_alias": 0.3})
    ref = REF_PTE[va]
    val = new_pte(ctx)
    r = ctx.reg(avoid=("eax",))
    m = ctx.operand(pa, 4, avoid=("eax", r))
    if form == "mov.i":
        ctx.emit("mov %s, 0x%x" % (m, val))
    elif form in ("mov.r", "xchg"):
        ctx.emit("mov %s, 0x%x" % (r, val), "%s %s, %s" % (form[:4].rstrip("."), m, r))
    elif form == "cmpxchg":
        # EAX = the reference (A and D clear): equal unless the sequence
        # touched the page already
        ctx.emit("mov eax, 0x%x" % ctx.rng.choice([ref, ref | A, val]), "mov %s, 0x%x" % (r, val),
                 "%scmpxchg %s, %s" % (ctx.rng.choice(["", "lock "]), m, r))
    elif form == "cmpxchg8b":
        # the PTE and its neighbour (the next page's, identity): both kept sane
        lo_addr = pa & ~7
        nxt = ((lo_addr + 4 - PT3) // 4 << 12) + WIN
        cur = [REF_PTE.get(((lo_addr - PT3) // 4 << 12) + WIN, (((lo_addr - PT3) // 4 << 12) + WIN) | P | W | U),
               REF_PTE.get(nxt, nxt | P | W | U)]
        newv = [cur[0], cur[1]]
        newv[(pa - lo_addr) // 4] = val
        ctx.emit("mov eax, 0x%x" % cur[0], "mov edx, 0x%x" % cur[1],
                 "mov ebx, 0x%x" % newv[0], "mov ecx, 0x%x" % newv[1])
        cmpxchg8b(ctx, "lock cmpxchg8b [0x%x]" % lo_addr)
    elif form in ("or", "and", "xor"):
        bits = sum(b for b in FLAG_BITS if ctx.rng.random() < 0.3) or W
        imm = bits if form != "and" else (~bits & 0xFFFFFFFF)
        if ctx.rng.random() < 0.5:
            ctx.emit("%s%s %s, 0x%x" % (ctx.rng.choice(["", "lock "]), form, m, imm))
        else:
            ctx.emit("mov %s, 0x%x" % (r, imm), "%s %s, %s" % (form, m, r))
    elif form in ("bts", "btr", "btc"):
        ctx.emit("%s%s %s, %d" % (ctx.rng.choice(["", "lock "]), form, m,
                                  ctx.rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 9])))
        # OF, SF, AF, PF are undefined after BT*: QEMU's and the monitor's
        # emulation of the PTE write legitimately differ (RULES)
        ctx.emit(*KEEP_CF)
    elif form == "add":
        # move the frame by whole pages within the pool (alias only)
        if va != ALIAS:
            ctx.emit("mov %s, 0x%x" % (m, val))
        else:
            ctx.emit("mov %s, 0x%x" % (m, POOL[0] | P | W | U),
                     "add %s, 0x%x" % (m, ctx.rng.choice([1, 2, 3]) * PAGE))
    elif form in ("stos", "movs"):
        ctx.emit("mov edi, 0x%x" % pa, "mov eax, 0x%x" % val)
        if form == "movs":
            src = ctx.address(4, base=SCRATCH[0])
            ctx.emit("mov [0x%x], eax" % src, "mov esi, 0x%x" % src, "cld", "movsd")
        else:
            ctx.emit("cld", "stosd")
    elif form == "via_alias":
        # map the window's own page table at the alias, write a PTE through it
        ctx.emit("mov dword [0x%x], 0x%x" % (pte_addr(ALIAS), PT3 | P | W | U))
        ctx.emit("invlpg [0x%x]" % ALIAS)
        if va == ALIAS:
            va, pa = SCRATCH[0], pte_addr(SCRATCH[0])
        ctx.emit("mov dword [0x%x], 0x%x" % (ALIAS + (pa - PT3), val))
        # and the alias back on a pool frame: later writes through it must
        # not reach the page table
        ctx.emit("mov dword [0x%x], 0x%x" % (pte_addr(ALIAS), ctx.rng.choice(POOL) | P | W | U),
                 "invlpg [0x%x]" % ALIAS)
    invalidate(ctx, va)
    for _ in range(ctx.rng.choice([1, 1, 2, 3])):
        access(ctx, va)


def invalidate(ctx, va):
    how = ctx.choose("pte.inval", {"invlpg": 3, "invlpg.reg": 1, "flush": 1})
    if how == "invlpg":
        ctx.emit("invlpg [0x%x]" % (va + ctx.rng.randrange(0, PAGE)))
    elif how == "invlpg.reg":
        r = ctx.reg()
        ctx.emit("mov %s, 0x%x" % (r, va + ctx.rng.randrange(0, PAGE)), "invlpg [%s]" % r)
    else:
        ctx.flush_all()


def access(ctx, va):
    kind = ctx.choose("pte.access", {"read": 2, "write": 2, "rmw": 1, "string": 0.5})
    s = size_choice(ctx)
    addr = ctx.address(s, base=va)
    if kind == "read":
        ctx.emit("mov %s, %s" % (ctx.reg(s), ctx.operand(addr, s)))
    elif kind == "write":
        ctx.emit("mov %s, 0x%x" % (ctx.operand(addr, s), ctx.imm(s)))
    elif kind == "rmw":
        ctx.emit("add %s, %s" % (ctx.operand(addr, s), ctx.reg(s)))
    else:
        ctx.emit("mov edi, 0x%x" % (va + 0x800), "mov ecx, %d" % ctx.rng.randrange(1, 8),
                 "mov eax, 0x%x" % ctx.value(), "rep stosd")


@template("pde", 1, r3=0.5)
def t_pde(ctx):
    """A write to the window's PDE (protection bits, or a 4 MB page with
    CR4.PSE), a full flush, then accesses in the window."""
    form = ctx.choose("pde.form", {"clear_w": 1, "clear_u": 1, "clear_p": 0.5, "set_ps": 1,
                                   "set_a": 0.5, "pwt_pcd": 0.3})
    if form == "set_ps":
        if not (ctx.cr4 & CR4_PSE or ctx.seq.cr4_set & CR4_PSE):
            ctx.emit("mov eax, cr4", "or eax, 0x%x" % CR4_PSE, "mov cr4, eax")
            ctx.touch("cr")
            ctx.cr4 |= CR4_PSE
        flags = P | PS | (W if ctx.rng.random() < 0.7 else 0) | (U if ctx.rng.random() < 0.8 else 0)
        ctx.emit("mov dword [0x%x], 0x%x" % (PDE_WIN, WIN | flags))
    else:
        op, bit = {"clear_w": ("btr", 1), "clear_u": ("btr", 2), "clear_p": ("btr", 0),
                   "set_a": ("bts", 5), "pwt_pcd": ("bts", 3)}[form]
        ctx.emit("%s dword [0x%x], %d" % (op, PDE_WIN, bit))
        ctx.emit(*KEEP_CF)      # RULES "flags.undefined"
    ctx.flush_all()
    for _ in range(ctx.rng.choice([1, 2, 3])):
        access(ctx, ctx.rng.choice([SCRATCH[0], SCRATCH[1], SCRATCH[2], ALIAS, R3STACK]))


# ===================================================================
# Sequences and batches
# ===================================================================

def excluded_tags(ring, extra_allowed=(), kernel_ring=1):
    """Tags not generated in this ring: expected.py's holes and known bugs
    (with the guest kernel in real ring kernel_ring under the monitor)."""
    out = set()
    holes, bugs = expected.lists(kernel_ring)
    for name, entry in holes + bugs:
        if ring in entry.rings and name not in extra_allowed:
            out.add(name)
    return out


def initial_state(ctx, seq):
    rng = ctx.rng
    seq.regs = {r: ctx.value() for r in R32}
    seq.eflags = rng.getrandbits(32) & (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
    if rng.random() < 0.2:
        seq.eflags |= FL_DF
    if rng.random() < 0.1:
        seq.eflags |= FL_AC
    seq.sti = rng.random() < 0.3
    ctx.if_flag = seq.sti
    seq.cr0_set = (CR0_WP if rng.random() < 0.5 else 0) | (CR0_AM if rng.random() < 0.2 else 0) | (
        CR0_MP if rng.random() < 0.2 else 0)
    seq.cr4_set = 0
    for bit, p in ((CR4_PSE, 0.3), (CR4_PGE, 0.2), (CR4_DE, 0.1), (CR4_TSD, 0.1)):
        if rng.random() < p:
            seq.cr4_set |= bit
    ctx.cr4 = seq.cr4_set


def sequence(seed, index, allow=(), kernel_ring=1):
    """Sequence index of seed: the same on every call (for the monitor's
    kernel_ring: its lists exclude more in ring=3)."""
    rng = random.Random("%d/%d" % (seed, index))
    ring = 0 if rng.random() < 0.6 else 3
    seq = Sequence(index, ring)
    ctx = Ctx(rng, seq, excluded_tags(ring, allow, kernel_ring))
    initial_state(ctx, seq)
    pool = [t for t in TEMPLATES if ring in t.rings and ctx.allowed(t.name)]
    weights = [t.weight_in(ring) for t in pool]
    for _ in range(rng.randrange(1, MAX_TEMPLATES + 1)):
        t = rng.choices(pool, weights)[0]
        seq.tags.append(t.name)
        for what in t.touches:
            ctx.touch(what)
        t.fn(ctx)
        if t.undef and not ctx.ended:
            ctx.emit(*t.undef)
        if ctx.ended:
            break
    seq.lines.append("int 0x%x" % V_SEQ_END)
    return seq


def witness(index, ring, lines, state=None):
    """A fixed sequence (expected.py witnesses): the given lines, a plain
    initial state."""
    seq = Sequence(index, ring)
    seq.regs = {r: 0x1000 * (i + 1) for i, r in enumerate(R32)}
    seq.eflags = 0
    for k, v in (state or {}).items():
        setattr(seq, k, v) if k != "regs" else seq.regs.update(v)
    seq.lines = list(lines) + ["int 0x%x" % V_SEQ_END]
    seq.tags = ["witness"]
    seq.touches = sum(DTT.values())
    return seq


def record_asm(seq):
    q = "q%d" % seq.index
    out = ["; sequence %d, ring %d: %s" % (seq.index, seq.ring, " ".join(seq.tags)),
           "%s_rec:" % q,
           "  dd %s_end - %s_rec, 0x%x, 0x%x, 0x%x" % (q, q, seq.flags(), seq.cr0_set, seq.cr4_set),
           "  dd " + ", ".join("0x%x" % seq.regs[r] for r in R32),
           "  dd 0x%x, %s_cend - %s_start" % (seq.eflags, q, q),
           "%s_start:" % q]
    out += ["  " + l if not l.endswith(":") else l for l in seq.lines]
    out += ["%s_cend:" % q, "  align 4, db 0", "%s_end:" % q]
    return out


def batch_asm(seqs, seed, first):
    out = ["bits 32", "CODE equ 0x%x" % CODE, "INFO equ 0x%x" % INFO,
           "  dd 0x%x, %d, %d, %d" % (MAGIC, len(seqs), seed, first)]
    for s in seqs:
        out += record_asm(s)
    return "\n".join(out) + "\n"


class AssembleError(Exception):
    pass


def assemble(text, out_path):
    with tempfile.NamedTemporaryFile("w", suffix=".asm", delete=False) as f:
        f.write(text)
        src = f.name
    try:
        p = subprocess.run(["nasm", "-f", "bin", "-o", out_path, src], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise AssembleError("nasm failed on %s:\n%s" % (src, p.stdout.decode()[:3000]))
    finally:
        if os.path.exists(src) and not os.environ.get("DIFFTEST_KEEP_ASM"):
            os.unlink(src)


def code_bytes(batch_path):
    """index -> the code bytes of each record of an assembled batch."""
    import struct
    data = open(batch_path, "rb").read()
    magic, count, _seed, first = struct.unpack_from("<4I", data, 0)
    if magic != MAGIC:
        raise ValueError("%s is not a batch" % batch_path)
    out, at = {}, 16
    for i in range(count):
        size = struct.unpack_from("<I", data, at)[0]
        clen = struct.unpack_from("<I", data, at + 4 * 12)[0]
        out[first + i] = data[at + 52:at + 52 + clen]
        at += size
    return out


def write_batch(seed, first, count, path, allow=(), kernel_ring=1):
    seqs = [sequence(seed, first + i, allow, kernel_ring) for i in range(count)]
    assemble(batch_asm(seqs, seed, first), path)
    return seqs


def write_witnesses(seqs, path):
    assemble(batch_asm(seqs, 0, seqs[0].index), path)


def disassemble(code):
    """objdump's reading of a sequence's bytes, at the address it runs at."""
    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
        f.write(code)
        name = f.name
    try:
        p = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386", "--adjust-vma=0x%x" % CODE,
                            name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        return [l for l in lines if l.strip().startswith("8") and ":" in l]
    finally:
        os.unlink(name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    ap.add_argument("--first", type=int, default=0, help="index of the first sequence")
    ap.add_argument("--count", type=int, default=100, help="sequences in the batch")
    ap.add_argument("-o", "--output", help="the batch file to write")
    ap.add_argument("--show", type=int, metavar="INDEX",
                    help="print sequence INDEX (assembly, tags, initial state, bytes)")
    ap.add_argument("--list", action="store_true", help="list the templates")
    ap.add_argument("--ring", type=int, choices=(1, 3), default=1,
                    help="the monitor's ring for the guest kernel, whose lists (expected.py) "
                    "the sequences leave out (default 1)")
    args = ap.parse_args()
    if args.list:
        for t in TEMPLATES:
            print("%-12s weight %4.1f rings %s" % (t.name, t.weight, ",".join(map(str, t.rings))))
        return 0
    if args.show is not None:
        seq = sequence(args.seed, args.show, kernel_ring=args.ring)
        print(seq.describe())
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "one.bin")
            assemble(batch_asm([seq], args.seed, args.show), path)
            print("\n".join(disassemble(code_bytes(path)[args.show])))
        return 0
    if not args.output:
        ap.error("-o FILE is needed to write a batch")
    write_batch(args.seed, args.first, args.count, args.output, kernel_ring=args.ring)
    return 0


if __name__ == "__main__":
    sys.exit(main())
