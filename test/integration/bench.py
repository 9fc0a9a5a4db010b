#!/usr/bin/env python3
"""bench.py - run minios's benchmark mode and print a table.

QEMU runs with -icount shift=0,sleep=off: the guest TSC then advances one
per guest instruction, so every number is exact and the same on every run.
Columns: 'native' (minios on the bare virtual machine), 'monitor' (minios
deprivileged under build/monitor.elf, shadow=vtlb) and their ratio.  Numbers
are guest TSC cycles per operation; under -icount one cycle is one
instruction, the monitor's included, so the ratio counts the instructions
trap-and-emulate adds (not the cost of TLB misses or of QEMU's own work).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestrun import run_qemu, run_monitor, bench_results  # noqa: E402

EXPECTED = ["cli-sti", "port-read", "port-write", "pte-invlpg", "cr3-switch", "compute",
            "mem-sweep-4k", "null-syscall", "demand-zero", "cow-fault", "fork-exit-wait",
            "ctx-switch"]


def run_column(kernel, timeout):
    run = run_qemu(kernel, "bench", timeout=timeout, icount=True)
    if run.timed_out or run.exit_code != 0:
        sys.exit("bench: minios bench run failed (exit %s, timed out %s):\n%s"
                 % (run.exit_code, run.timed_out, run.text))
    return bench_results(run.lines())


def run_monitor_column(monitor, kernel, timeout):
    run = run_monitor(monitor, kernel, "bench", timeout=timeout, icount=True)
    if run.timed_out or run.exit_code != 0:
        sys.exit("bench: minios bench run under the monitor failed (exit %s, timed out %s):\n"
                 "%s\n%s" % (run.exit_code, run.timed_out, run.text, run.log[-2000:]))
    return bench_results(run.lines())


def ratio(native, monitor):
    if native is None or monitor is None:
        return "-"
    return "%.1fx" % (monitor / max(native, 1))


def print_table(columns):
    names = list(columns)
    with_ratio = "native" in columns and "monitor" in columns
    print("%-16s" % "benchmark" + "".join("%14s" % n for n in names) +
          ("%14s" % "ratio" if with_ratio else ""))
    for b in EXPECTED:
        row = "%-16s" % b + "".join("%14s" % columns[n].get(b, "-") for n in names)
        if with_ratio:
            row += "%14s" % ratio(columns["native"].get(b), columns["monitor"].get(b))
        print(row)
    print("(guest TSC cycles per operation under QEMU -icount shift=0,sleep=off; "
          "ratio = monitor / native)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="build/minios.elf")
    ap.add_argument("--monitor", default="build/monitor.elf",
                    help="the monitor for the 'monitor' column ('' to leave it out)")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    columns = {"native": run_column(args.kernel, args.timeout)}
    if args.monitor:
        columns["monitor"] = run_monitor_column(args.monitor, args.kernel, args.timeout)
    missing = [b for b in EXPECTED for c in columns.values() if b not in c]
    print_table(columns)
    if missing:
        sys.exit("bench: missing results for: " + " ".join(missing))


if __name__ == "__main__":
    main()
