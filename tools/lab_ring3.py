#!/usr/bin/env python3
"""lab_ring3.py - the exercises of docs/lab-ring-compression.md, one command each.

Ring compression puts the guest kernel in a ring other than 0: ring 1
(ring=1, the default) or ring 3 (ring=3, beside its own user code).  Each
exercise runs minios under the monitor both ways, on QEMU, and prints what
the lab asks about side by side:

    same        minios's test suite natively, in ring 1 and in ring 3:
                identical transcripts?  how many view switches?
    holes       the holes suite in ring 1 and in ring 3: which checks fail,
                and what each one observed in each ring
    syscall     the traps one system call costs in ring 1 and in ring 3
                (trace=traps around minios's first user INT 0x80)
    isolation   user code reading a kernel page: the guest's own checks, and
                the shadow view behind them, in both rings
    bench       make bench's microbenchmarks, ring 1 against ring 3 (-icount)

Usage: lab_ring3.py EXERCISE [--shadow cached|vtlb]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
from guestrun import run_qemu, run_monitor  # noqa: E402

KERNEL = os.path.join(ROOT, "build", "minios.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
RINGS = (1, 3)
KERNEL_BASE = 0xC0000000        # minios's kernel half
TEST_LINE = re.compile(r"^(ok|not ok) (\d+) - (.*)$")
VIEWS = re.compile(r"ring=3: kernel/user view switches (\d+)")
TRAP = re.compile(r"^monitor: trap (\S+) +eip=0x([0-9a-f]+) ring=(\d)( user| kernel)?(.*)$")


def monitor(cmdline, ring, shadow, extra=""):
    opts = ("ring=%d shadow=%s %s" % (ring, shadow, extra)).strip()
    run = run_monitor(MONITOR, KERNEL, cmdline, opts, timeout=300)
    if run.timed_out:
        sys.exit("lab: minios '%s' under the monitor (%s) timed out" % (cmdline, opts))
    return run


def exit_rows(log, names):
    """Rows ("  name   count") of the exit table's first two parts (exits by
    vector, emulated instructions) for the given names."""
    rows, inside = {}, False
    for l in log.splitlines():
        if l.startswith("monitor: exits by vector:"):
            inside = True
        elif l.startswith("monitor: reflected to the guest:"):
            break
        m = re.match(r"^monitor:   (\S.*?) +(\d+)$", l)
        if inside and m and m.group(1) in names:
            rows[m.group(1)] = int(m.group(2))
    return rows


def same(a):
    native = run_qemu(KERNEL, "tests", timeout=300)
    print("minios 'tests' natively: exit %s, %d lines" % (native.exit_code, len(native.lines())))
    for ring in RINGS:
        run = monitor("tests", ring, a.shadow)
        views = VIEWS.search(run.log)
        verdict = "identical to native" if run.text == native.text else "DIFFERENT from native"
        print("ring=%d shadow=%s: exit %s, transcript %s; view switches %s"
              % (ring, a.shadow, run.exit_code, verdict, views.group(1) if views else "-"))
        rows = exit_rows(run.log, {"#GP", "#NP", "#PF", "iret", "int", "sti", "cli"})
        print("    exits: " + ", ".join("%s %d" % kv for kv in sorted(rows.items())))


def holes(a):
    results = {}
    for ring in RINGS:
        run = monitor("holes", ring, a.shadow)
        results[ring] = {int(m.group(2)): (m.group(1), m.group(3))
                         for m in map(TEST_LINE.match, run.lines()) if m}
    for n in sorted(results[1]):
        (v1, t1), (v3, t3) = results[1][n], results[3].get(n, ("-", ""))
        name, _, seen1 = t1.partition(": observed ")
        seen3 = t3.partition(": observed ")[2]
        print("%2d %-52s ring 1: %-6s ring 3: %s" % (n, name[:52], v1, v3))
        if seen1 or seen3:
            print("     observed in ring 1: %s" % (seen1 or "as expected"))
            print("     observed in ring 3: %s" % (seen3 or "as expected"))


def first_syscall(lines):
    """The trace lines from the first INT 0x80 from user mode to the first
    trap taken in user mode again (in ring 1 the return itself may not
    trap: then that first user-mode trap shows the guest got there)."""
    start = next((i for i, l in enumerate(lines)
                  if "insn=int 0x80" in l and TRAP.match(l)
                  and (TRAP.match(l).group(3) == "3")), None)
    if start is None:
        return []
    out = [lines[start]]
    for l in lines[start + 1:]:
        m = TRAP.match(l)
        if not m:
            continue
        user = m.group(4) == " user" or (m.group(4) is None and m.group(3) == "3")
        out.append(l + ("   <- back in user mode" if user else ""))
        if user or len(out) > 40:
            break
    return out


# (ring, further options, what the run shows)
SYSCALL_RUNS = [(1, "", "ring=1: system calls take the direct gate (vidt.c) and never trap"),
                (1, "iflag=soft", "ring=1 with iflag=soft: no direct gates, every INT traps"),
                (3, "", "ring=3: no direct gates possible, and the view changes")]


def syscall(a):
    for ring, extra, what in SYSCALL_RUNS:
        run = monitor("", ring, a.shadow, ("trace=traps " + extra).strip())
        lines = [l for l in run.log.splitlines() if l.startswith("monitor: trap ")]
        seq = first_syscall(lines)
        ints = sum(1 for l in lines if "insn=int 0x80" in l)
        print("%s\n  the first system call from user mode, trap by trap (%d traps; "
              "INT 0x80 traps in the whole demo: %d):" % (what, len(seq), ints))
        for l in seq:
            print("   " + l[len("monitor: "):])
        print()


def user_faults(log):
    """The trace lines of #PFs raised in guest user mode at a kernel
    address and reflected to the guest (its own faults, not hidden ones)."""
    out = []
    for l in log.splitlines():
        m = TRAP.match(l)
        va = re.search(r"va=0x([0-9a-f]+)", l)
        if m and m.group(1) == "#PF" and "guest #PF reflected" in l and va and \
                int(va.group(1), 16) >= KERNEL_BASE and \
                (m.group(4) == " user" or (m.group(4) is None and m.group(3) == "3")):
            out.append(l[len("monitor: "):])
    return out


def isolation(a):
    for ring in RINGS:
        run = monitor("tests", ring, a.shadow, "trace=traps")
        views = VIEWS.search(run.log)
        print("ring=%d shadow=%s (view switches: %s):" % (ring, a.shadow,
                                                           views.group(1) if views else "none: one view"))
        for l in run.lines():
            m = TEST_LINE.match(l)
            if m and "#PF user" in m.group(3):
                print("   " + l)
        faults = user_faults(run.log)
        print("   the monitor's side: %d #PFs of user code at kernel addresses, reflected "
              "to minios:" % len(faults))
        for l in faults[:4]:
            print("     " + l)


def bench(a):
    cols = "%s,%s/r3" % (a.shadow, a.shadow)
    sys.exit(subprocess.call([sys.executable, os.path.join(ROOT, "test", "integration", "bench.py"),
                              "--kernel", KERNEL, "--monitor", MONITOR, "--columns", cols]))


EXERCISES = {"same": same, "holes": holes, "syscall": syscall, "isolation": isolation,
             "bench": bench}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("exercise", choices=sorted(EXERCISES))
    ap.add_argument("--shadow", default="cached", choices=["cached", "vtlb"])
    a = ap.parse_args()
    for path in (KERNEL, MONITOR):
        if not os.path.exists(path):
            sys.exit("lab: %s not found (run 'make' first)" % path)
    EXERCISES[a.exercise](a)


if __name__ == "__main__":
    main()
