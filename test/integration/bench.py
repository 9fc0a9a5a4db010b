#!/usr/bin/env python3
"""bench.py - run minios's benchmark mode and print a table.

QEMU runs with -icount shift=0,sleep=off: the guest TSC then advances one
per guest instruction, so every number is exact and the same on every run.
Columns: 'native' (minios on the bare virtual machine), 'vtlb' and 'cached'
(minios deprivileged under build/monitor.elf with shadow=vtlb and
shadow=cached, its kernel in ring 1), 'vtlb/r3' and 'cached/r3' (the same
with ring=3: kernel and user code both in ring 3), and each monitor
column's ratio to native.  Numbers are
guest TSC cycles per operation; under -icount one cycle is one instruction,
the monitor's included, so a column minus 'native' is the instructions the
monitor adds per operation (not the cost of TLB misses or of QEMU's own
work).  Below the table, each column's shadow counters for the whole run
(from the monitor's exit table) say where the difference comes from (in
ring 3, the kernel/user view switches), and the wall-clock seconds each
run took, measured side by side in this one invocation (QEMU's own speed:
not a guest number).  Last, a whole minios `tests` run (without -icount,
as a user runs it) natively and under each monitor column, one after the
other in this invocation: its wall-clock seconds side by side, what a
user feels of the monitor's overhead on a real workload.
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guestrun import run_qemu, run_monitor, bench_results  # noqa: E402

EXPECTED = ["cli-sti", "port-read", "port-write", "pte-invlpg", "cr3-switch", "compute",
            "mem-sweep-4k", "null-syscall", "demand-zero", "cow-fault", "fork-exit-wait",
            "ctx-switch", "ctxswitch-2", "ctxswitch-8", "ctxswitch-32"]
# (column, monitor options)
MONITOR_COLUMNS = [("vtlb", "shadow=vtlb"), ("cached", "shadow=cached"),
                   ("vtlb/r3", "shadow=vtlb ring=3"), ("cached/r3", "shadow=cached ring=3")]


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
        counters = [lines[start]] + [l for l in lines[start + 1:start + 6] if re.match(
            r"^monitor:   (page-table |shadow page tables |cache |frames |ring=3: )", l)]
    return bench_results(run.lines()), [l.replace("monitor: ", "", 1).strip() for l in counters]


def tests_wall(kernel, monitor, wanted, monargs, timeout):
    """Wall-clock seconds of one whole `tests` run natively and under each
    wanted monitor column, or exits if a run fails."""
    wall = {}
    t0 = time.monotonic()
    run = run_qemu(kernel, "tests", timeout=timeout)
    wall["native"] = time.monotonic() - t0
    runs = [("native", run)]
    for name, opts in MONITOR_COLUMNS:
        if name not in wanted or not monitor:
            continue
        print("bench: minios tests under %s ..." % name, file=sys.stderr, flush=True)
        t0 = time.monotonic()
        run = run_monitor(monitor, kernel, "tests", ("%s %s" % (opts, monargs)).strip(),
                          timeout=timeout)
        wall[name] = time.monotonic() - t0
        runs.append((name, run))
    for name, run in runs:
        if run.timed_out or run.exit_code != 0:
            sys.exit("bench: minios tests (%s) failed (exit %s, timed out %s):\n%s"
                     % (name, run.exit_code, run.timed_out, run.text[-2000:]))
    return wall


def ratio(native, other):
    if native is None or other is None:
        return "-"
    return "%.1fx" % (other / max(native, 1))


def print_table(columns):
    names = list(columns)
    ratios = [n for n in names if n != "native" and "native" in columns]
    print("%-16s" % "benchmark" + "".join("%12s" % n for n in names) +
          "".join("%14s" % (n + "/nat") for n in ratios))
    for b in EXPECTED:
        row = "%-16s" % b + "".join("%12s" % columns[n].get(b, "-") for n in names)
        row += "".join("%14s" % ratio(columns["native"].get(b), columns[n].get(b)) for n in ratios)
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
    ap.add_argument("--no-tests-run", action="store_true",
                    help="leave out the wall-clock comparison of a whole minios tests run")
    ap.add_argument("--columns", default=",".join(c for c, _ in MONITOR_COLUMNS),
                    help="the monitor columns to run (default all: %(default)s)")
    args = ap.parse_args()
    wanted = args.columns.split(",")
    unknown = [c for c in wanted if c not in dict(MONITOR_COLUMNS)]
    if unknown:
        sys.exit("bench: unknown column %s (known: %s)"
                 % (", ".join(unknown), ", ".join(c for c, _ in MONITOR_COLUMNS)))
    wall = {}
    t0 = time.monotonic()
    columns = {"native": run_column(args.kernel, args.timeout)}
    wall["native"] = time.monotonic() - t0
    counters = {}
    if args.monitor:
        for name, opts in MONITOR_COLUMNS:
            if name not in wanted:
                continue
            print("bench: running %s (%s) ..." % (name, opts), file=sys.stderr, flush=True)
            t0 = time.monotonic()
            columns[name], counters[name] = run_monitor_column(
                args.monitor, args.kernel, args.timeout, ("%s %s" % (opts, args.monargs)).strip())
            wall[name] = time.monotonic() - t0
    missing = [b for b in EXPECTED for c in columns.values() if b not in c]
    print_table(columns)
    for name in counters:
        print("%s, whole run:" % name)
        for l in counters[name]:
            print("  " + l)
    print("wall clock of each whole bench run, side by side (s): " +
          ", ".join("%s %.1f" % (n, t) for n, t in wall.items()))
    if missing:
        sys.exit("bench: missing results for: " + " ".join(missing))
    if not args.no_tests_run:
        tw = tests_wall(args.kernel, args.monitor, wanted, args.monargs, args.timeout)
        print("a whole minios `tests` run (no -icount), wall clock side by side (s): " +
              ", ".join("%s %.1f (%.1fx)" % (n, t, t / max(tw["native"], 0.01))
                        for n, t in tw.items()))


if __name__ == "__main__":
    main()
