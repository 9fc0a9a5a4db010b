#!/usr/bin/env python3
"""bench.py - run minios's benchmark mode and print a table.

QEMU runs with -icount shift=0,sleep=off: the guest TSC then advances one
per guest instruction, so every number is exact and the same on every run.
Each column is one configuration; today there is one, 'native' (minios on
the bare virtual machine).  Numbers are guest TSC cycles per operation.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestrun import run_qemu, bench_results  # noqa: E402

EXPECTED = ["cli-sti", "port-read", "port-write", "pte-invlpg", "cr3-switch", "compute",
            "mem-sweep-4k", "null-syscall", "demand-zero", "cow-fault", "fork-exit-wait",
            "ctx-switch"]


def run_column(kernel, timeout):
    run = run_qemu(kernel, "bench", timeout=timeout, icount=True)
    if run.timed_out or run.exit_code != 0:
        sys.exit("bench: minios bench run failed (exit %s, timed out %s):\n%s"
                 % (run.exit_code, run.timed_out, run.text))
    return bench_results(run.lines())


def print_table(columns):
    names = list(columns)
    print("%-16s" % "benchmark" + "".join("%14s" % n for n in names))
    for b in EXPECTED:
        print("%-16s" % b + "".join("%14s" % columns[n].get(b, "-") for n in names))
    print("(guest TSC cycles per operation under QEMU -icount shift=0,sleep=off)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="build/minios.elf")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    native = run_column(args.kernel, args.timeout)
    missing = [b for b in EXPECTED if b not in native]
    print_table({"native": native})
    if missing:
        sys.exit("bench: missing results for: " + " ".join(missing))


if __name__ == "__main__":
    main()
