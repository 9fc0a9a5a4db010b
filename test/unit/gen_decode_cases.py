#!/usr/bin/env python3
"""gen_decode_cases.py - instruction-length cases for test_decode, from objdump.

Generates a fixed-seed set of x86-32 byte sequences -- every opcode of the
one-byte and 0F maps with every ModRM.reg, then random ones (random legacy
prefixes, an opcode, random ModRM/SIB/displacement/immediate bytes), each
filled to 15 bytes -- has GNU objdump disassemble them all in one run, and writes a C header of cases with objdump's length
(0 where objdump finds no valid instruction).  test_decode.c includes the
header and compares src/trap/decode.c against it.

  python3 test/unit/gen_decode_cases.py [-o build/unit/decode_cases.h]
                                        [--count 30000] [--seed 1]

Each case sits in a 32-byte slot: its 15 bytes, then 17 NOPs (90).  An
instruction objdump starts inside the 15 bytes ends at most 15 bytes later,
inside the NOPs, and NOP is one byte, so objdump is back in step at the
next slot whatever it made of this one.

Exclusion (the only one made here): FWAIT (9B) followed by an x87 opcode,
a prefix or another 9B.  objdump folds FWAIT into what follows (9B D9 /7
prints as "fstcw", 9B 65 9B as "gs fwait"); the CPU executes FWAIT as an
instruction of its own, as the decoder says.  Such cases are dropped and
counted.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

MAX_LEN = 15
SLOT = 32
NOP = 0x90
PREFIXES = [0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67]
ESCAPE = 0x0F
FWAIT = 0x9B
X87 = range(0xD8, 0xE0)
ONE_BYTE_OPCODES = [b for b in range(256) if b not in PREFIXES and b != ESCAPE]
# how many prefixes a case gets, and how often (weights); 11..15 mostly
# make instructions longer than 15 bytes
PREFIX_COUNTS = [(0, 40), (1, 25), (2, 12), (3, 7), (4, 4), (6, 3), (9, 2),
                 (11, 2), (12, 1), (13, 2), (14, 2), (15, 1)]

BAD_MARKS = ("(bad)", ".byte", "%?")
# objdump's names for prefixes; a line of nothing else means objdump gave
# up on the prefixes: the instruction would be over 15 bytes, or it has 14
# prefixes (objdump prints at most 14 on one line)
PREFIX_NAMES = {"lock", "rep", "repz", "repnz", "data16", "addr16",
                "cs", "ds", "es", "ss", "fs", "gs"}


def pick_prefix_count(rng):
    total = sum(w for _, w in PREFIX_COUNTS)
    x = rng.randrange(total)
    for n, w in PREFIX_COUNTS:
        if x < w:
            return n
        x -= w
    raise AssertionError("unreachable")


def memory_modrm(rng):
    """A ModRM (and SIB) biased towards the addressing corner cases."""
    choice = rng.randrange(4)
    if choice == 0:                     # SIB, any mod but register
        return [rng.randrange(3) << 6 | rng.randrange(8) << 3 | 4, rng.randrange(256)]
    if choice == 1:                     # SIB with base 5: disp32 without base if mod 0
        return [rng.randrange(3) << 6 | rng.randrange(8) << 3 | 4, rng.randrange(256) & ~7 | 5]
    if choice == 2:                     # [disp32] / 16-bit [disp16] forms
        return [rng.randrange(8) << 3 | rng.choice((5, 6))]
    return [rng.randrange(256)]


def fill(rng, out):
    while len(out) < MAX_LEN:
        out.append(rng.randrange(256))
    return bytes(out[:MAX_LEN])


def random_case(rng):
    out = [rng.choice(PREFIXES) for _ in range(pick_prefix_count(rng))]
    if rng.randrange(100) < 55:
        out.append(rng.choice(ONE_BYTE_OPCODES))
    else:
        out += [ESCAPE, rng.randrange(256)]
    if rng.randrange(100) < 30:
        out += memory_modrm(rng)
    return fill(rng, out)


def directed_cases(rng):
    """Every opcode of both maps with every ModRM.reg ("/digit"), as
    register form rm 0, another register form, and a memory form."""
    opcodes = [[op] for op in ONE_BYTE_OPCODES] + [[ESCAPE, op] for op in range(256)]
    for opcode in opcodes:
        for reg in range(8):
            for modrm in (0xC0 | reg << 3, 0xC0 | reg << 3 | rng.randrange(8),
                          rng.randrange(3) << 6 | reg << 3 | rng.randrange(8)):
                prefixes = [rng.choice(PREFIXES) for _ in range(rng.choice((0, 0, 1, 2)))]
                yield fill(rng, prefixes + opcode + [modrm])


def run_objdump(cases):
    """{slot start: (length, text)} for every line objdump prints."""
    blob = b"".join(c + bytes([NOP] * (SLOT - MAX_LEN)) for c in cases)
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(blob)
        f.flush()
        out = subprocess.run(["objdump", "-D", "-z", "-w", "-b", "binary", "-m", "i386", f.name],
                             check=True, stdout=subprocess.PIPE).stdout.decode()
    first, pending = {}, None
    for line in out.splitlines():
        head, tab, rest = line.partition(":\t")
        if not tab or not head.strip():
            continue
        addr = int(head, 16)
        if pending is not None:
            first[pending[0]] = (addr - pending[0], pending[1])
            pending = None
        if addr % SLOT == 0:
            pending = (addr, rest.partition("\t")[2].strip())
    if pending is not None:
        first[pending[0]] = (len(blob) - pending[0], pending[1])
    return first


def is_fwait_fold(case):
    """9B (after any prefixes) followed by an x87 opcode, a prefix or 9B."""
    i = 0
    while i < MAX_LEN and case[i] in PREFIXES:
        i += 1
    folds_into = list(X87) + PREFIXES + [FWAIT]
    return i + 1 < MAX_LEN and case[i] == FWAIT and case[i + 1] in folds_into


def classify(text):
    """What objdump made of a case: an instruction, (bad), or prefixes only."""
    if any(mark in text for mark in BAD_MARKS):
        return "OBJDUMP_BAD"
    if set(text.split()) <= PREFIX_NAMES:
        return "OBJDUMP_PREFIXES"
    return "OBJDUMP_INSN"


def c_bytes(b):
    return '"' + "".join("\\x%02x" % x for x in b) + '"'


def c_text(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="build/unit/decode_cases.h")
    ap.add_argument("--count", type=int, default=30000, help="random cases, besides "
                    "the %d directed ones" % (3 * 8 * (len(ONE_BYTE_OPCODES) + 256)))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    cases = list(directed_cases(rng))
    cases += [random_case(rng) for _ in range(args.count)]
    first = run_objdump(cases)
    rows, fwait = [], 0
    counts = dict.fromkeys(("OBJDUMP_INSN", "OBJDUMP_BAD", "OBJDUMP_PREFIXES"), 0)
    for i, case in enumerate(cases):
        length, text = first[i * SLOT]     # KeyError: objdump lost step
        if is_fwait_fold(case):
            fwait += 1
            continue
        says = classify(text)
        counts[says] += 1
        rows.append("    { %s, %2d, %s, %s }," % (c_bytes(case), length, says, c_text(text)))

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write("/* Generated by test/unit/gen_decode_cases.py --seed %d --count %d.\n"
                " * Do not edit; objdump's lengths for test_decode.c. */\n"
                "#define DECODE_CASES_SEED          %d\n"
                "#define DECODE_CASES_RANDOM        %d\n"
                "#define DECODE_CASES_FWAIT_DROPPED %d\n\n"
                "static const struct decode_case decode_cases[] = {\n"
                % (args.seed, args.count, args.seed, args.count, fwait))
        f.write("\n".join(rows))
        f.write("\n};\n")
    print("gen_decode_cases: %d cases (%d instructions, %d (bad), %d prefixes only; "
          "%d FWAIT folds dropped) -> %s"
          % (len(rows), counts["OBJDUMP_INSN"], counts["OBJDUMP_BAD"],
             counts["OBJDUMP_PREFIXES"], fwait, args.output))


if __name__ == "__main__":
    sys.exit(main())
