#!/usr/bin/env python3
"""bench.py - run minios's benchmark mode and print a table.

QEMU runs with -icount shift=0,sleep=off: the guest TSC then advances one
per guest instruction, so every number is exact and the same on every run.
Columns: 'native' (minios on the bare virtual machine), 'vtlb' and 'cached'
(minios deprivileged under build/monitor.elf with shadow=vtlb and
shadow=cached), and each monitor column's ratio to native.  Numbers are
guest TSC cycles per operation; under -icount one cycle is one instruction,
the monitor's included, so a column minus 'native' is the instructions the
monitor adds per operation (not the cost of TLB misses or of QEMU's own
work).  Below the table, each strategy's shadow counters for the whole run
(from the monitor's exit table) say where the difference comes from.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestrun import run_qemu, run_monitor, bench_results  # noqa: E402

EXPECTED = ["cli-sti", "port-read", "port-write", "pte-invlpg", "cr3-switch", "compute",
            "mem-sweep-4k", "null-syscall", "demand-zero", "cow-fault", "fork-exit-wait",
            "ctx-switch", "ctxswitch-2", "ctxswitch-8", "ctxswitch-32"]
STRATEGIES = ["vtlb", "cached"]


def run_column(kernel, timeout):
    run = run_qemu(kernel, "bench", timeout=timeout, icount=True)
    if run.timed_out or run.exit_code != 0:
        sys.exit("bench: minios bench run failed (exit %s, timed out %s):\n%s"
                 % (run.exit_code, run.timed_out, run.text))
    return bench_results(run.lines())


def run_monitor_column(monitor, kernel, timeout, monargs):
    """(results, the monitor's shadow counter lines) of one run under the monitor."""
    run = run_monitor(monitor, kernel, "bench", monargs, timeout=timeout, icount=True)
    if run.timed_out or run.exit_code != 0:
        sys.exit("bench: minios bench run under the monitor (%s) failed (exit %s, timed out %s):"
                 "\n%s\n%s" % (monargs, run.exit_code, run.timed_out, run.text, run.log[-2000:]))
    lines = run.log.splitlines()
    start = next((i for i, l in enumerate(lines) if "shadow MMU (" in l), None)
    counters = []
    if start is not None:
        counters = [lines[start]] + [l for l in lines[start + 1:start + 5] if re.match(
            r"^monitor:   (page-table|shadow page tables|cache|frames) ", l)]
    return bench_results(run.lines()), [l.replace("monitor: ", "", 1).strip() for l in counters]


def ratio(native, other):
    if native is None or other is None:
        return "-"
    return "%.1fx" % (other / max(native, 1))


def print_table(columns):
    names = list(columns)
    ratios = [n for n in names if n != "native" and "native" in columns]
    print("%-16s" % "benchmark" + "".join("%12s" % n for n in names) +
          "".join("%12s" % (n + "/nat") for n in ratios))
    for b in EXPECTED:
        row = "%-16s" % b + "".join("%12s" % columns[n].get(b, "-") for n in names)
        row += "".join("%12s" % ratio(columns["native"].get(b), columns[n].get(b)) for n in ratios)
        print(row)
    print("(guest TSC cycles per operation under QEMU -icount shift=0,sleep=off: one per "
          "instruction, the monitor's included)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default="build/minios.elf")
    ap.add_argument("--monitor", default="build/monitor.elf",
                    help="the monitor for the vtlb and cached columns ('' to leave them out)")
    ap.add_argument("--monargs", default="",
                    help="further monitor options for both columns (e.g. shadow_cache=8)")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    columns = {"native": run_column(args.kernel, args.timeout)}
    counters = {}
    if args.monitor:
        for s in STRATEGIES:
            columns[s], counters[s] = run_monitor_column(
                args.monitor, args.kernel, args.timeout, ("shadow=%s %s" % (s, args.monargs)).strip())
    missing = [b for b in EXPECTED for c in columns.values() if b not in c]
    print_table(columns)
    for s in counters:
        print("%s, whole run:" % s)
        for l in counters[s]:
            print("  " + l)
    if missing:
        sys.exit("bench: missing results for: " + " ".join(missing))


if __name__ == "__main__":
    main()
