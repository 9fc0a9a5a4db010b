"""guestrun.py - boot a kernel under QEMU and read what it said.

Shared by the test harness (test/run_tests.py) and the benchmark table
(bench.py).  QEMU's isa-debug-exit device turns the guest's write of c to
port 0xF4 into QEMU exit status 2c+1; run_qemu() turns it back into c.
"""
import os
import re
import subprocess
import tempfile

QEMU_BASE = ["qemu-system-i386", "-m", "128", "-cpu", "qemu32", "-display", "none",
             "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
             "-serial", "stdio", "-monitor", "none"]
ICOUNT = ["-icount", "shift=0,sleep=off"]

TEST_LINE = re.compile(r"^(ok|not ok) (\d+) - (.*)$")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
BENCH_LINE = re.compile(r"^bench (\S+)\s+(\d+)$")


class GuestRun:
    """What one boot produced: the serial text and how the guest ended."""

    def __init__(self, text, exit_code, timed_out):
        self.text = text
        self.exit_code = exit_code      # the guest's own code, None if no debug exit
        self.timed_out = timed_out

    def lines(self):
        return [l.rstrip("\r") for l in self.text.splitlines()]


def run_qemu(kernel, append="", timeout=120, icount=False, modules=None):
    cmd = QEMU_BASE + (ICOUNT if icount else []) + ["-kernel", kernel, "-append", append]
    if modules:
        cmd += ["-initrd", ",".join(modules)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if e.stdout else ""
        return GuestRun(out, None, True)
    out = p.stdout.decode("utf-8", "replace")
    code = p.returncode >> 1 if p.returncode & 1 else None
    return GuestRun(out, code, False)


MONITOR_QEMU = ["qemu-system-i386", "-m", "256", "-cpu", "qemu32", "-display", "none",
                "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                "-monitor", "none"]


class MonitorRun(GuestRun):
    """A monitor boot: the guest's COM1 (text) and the monitor's log (port 0xE9)."""

    def __init__(self, text, exit_code, timed_out, log):
        GuestRun.__init__(self, text, exit_code, timed_out)
        self.log = log


def run_monitor(monitor, guest=None, guest_args="", append="", timeout=120, icount=False):
    """Boots the monitor with 'guest' as its first module; the module string
    (the guest's command line) is "GUEST ARGS", as GRUB's would be."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "monitor.log")
        cmd = MONITOR_QEMU + (ICOUNT if icount else []) + [
                              "-serial", "stdio", "-debugcon", "file:" + log_path,
                              "-kernel", monitor, "-append", append]
        if guest:
            cmd += ["-initrd", (guest + " " + guest_args).strip()]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout)
            out, code, timed_out = p.stdout, (p.returncode >> 1 if p.returncode & 1 else None), False
        except subprocess.TimeoutExpired as e:
            out, code, timed_out = e.stdout or b"", None, True
        with open(log_path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
    return MonitorRun(out.decode("utf-8", "replace"), code, timed_out, log)


def check_test_transcript(lines, min_tests=40):
    """Checks a test-mode transcript; returns a list of problems (empty if good)."""
    problems = []
    results = [TEST_LINE.match(l) for l in lines]
    results = [m for m in results if m]
    for i, m in enumerate(results, 1):
        if int(m.group(2)) != i:
            problems.append("test numbered %s where %d was expected" % (m.group(2), i))
            break
    failed = [m.group(0) for m in results if m.group(1) == "not ok"]
    problems += failed
    summaries = [SUMMARY.match(l) for l in lines if SUMMARY.match(l)]
    if not summaries:
        problems.append("no 'N passed, N failed' summary line")
    else:
        p, f = int(summaries[-1].group(1)), int(summaries[-1].group(2))
        if p + f != len(results) or f != len(failed):
            problems.append("summary says %d passed, %d failed but %d lines, %d not ok"
                            % (p, f, len(results), len(failed)))
    if len(results) < min_tests:
        problems.append("only %d tests ran (at least %d expected)" % (len(results), min_tests))
    return problems


def bench_results(lines):
    """name -> cycles per operation, in the order printed."""
    out = {}
    for l in lines:
        m = BENCH_LINE.match(l)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out
