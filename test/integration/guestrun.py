"""guestrun.py - boot a kernel under QEMU and read what it said.

Shared by the pytest suite (test/**/test_*.py, fixtures in test/conftest.py)
and the benchmark table (bench.py).  make() builds a target, one make at a
time across the suite's parallel workers.  QEMU's isa-debug-exit device turns the
guest's write of c to port 0xF4 into QEMU exit status 2c+1; run_qemu() turns
it back into c.  Below the runners: readers of what a run printed (minios's
test and bench lines, the monitor's exit table and shadow counters) and of
an ELF's load facts, for tests to assert on.

No name here starts with "test": a test file imports these, and pytest
would collect such a name as a test.
"""
import fcntl
import os
import re
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")

QEMU_BASE = ["qemu-system-i386", "-m", "128", "-cpu", "qemu32", "-display", "none",
             "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
             "-serial", "stdio", "-monitor", "none"]
ICOUNT = ["-icount", "shift=0,sleep=off"]

TEST_LINE = re.compile(r"^(ok|not ok) (\d+) - (.*)$")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
BENCH_LINE = re.compile(r"^bench (\S+)\s+(\d+)$")


# ---- building: one make at a time ----

class FileLock:
    """An exclusive flock(2) on PATH, held inside a with block; it is
    released when the process ends, however it ends."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


MAKE_LOCK = os.path.join(BUILD, ".make.lock")


class MakeFailed(Exception):
    pass


def make(*targets):
    """Runs `make TARGETS` at the top of the tree, one at a time across
    processes (the pytest-xdist workers of one run, or two runs): two makes
    of one target at once can each write half of it.  Quiet when all is up
    to date; MakeFailed, with make's output, when it fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    with FileLock(MAKE_LOCK):
        p = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT] + list(targets),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, env=env)
    if p.returncode != 0:
        raise MakeFailed("'make %s' failed:\n%s" % (" ".join(targets),
                                                   p.stdout.decode("utf-8", "replace")))


# ---- booting ----

class GuestRun:
    """What one boot produced: the serial text and how the guest ended."""

    def __init__(self, text, exit_code, timed_out, cmd=None):
        self.text = text
        self.exit_code = exit_code      # the guest's own code, None if no debug exit
        self.timed_out = timed_out
        self.cmd = cmd                  # the QEMU command line, to run it again by hand

    def lines(self):
        return [l.rstrip("\r") for l in self.text.splitlines()]


def run_qemu(kernel, append="", timeout=120, icount=False, modules=None):
    """Boots KERNEL alone (QEMU -kernel, command line APPEND, further
    multiboot MODULES as "PATH ARGS" strings); serial output and the guest's
    exit code in the GuestRun.  A run past TIMEOUT seconds is killed and
    comes back with timed_out set and exit_code None."""
    cmd = QEMU_BASE + (ICOUNT if icount else []) + ["-kernel", kernel, "-append", append]
    if modules:
        cmd += ["-initrd", ",".join(modules)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if e.stdout else ""
        return GuestRun(out, None, True, cmd)
    out = p.stdout.decode("utf-8", "replace")
    code = p.returncode >> 1 if p.returncode & 1 else None
    return GuestRun(out, code, False, cmd)


MONITOR_QEMU = ["qemu-system-i386", "-m", "256", "-cpu", "qemu32", "-display", "none",
                "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                "-monitor", "none"]


class MonitorRun(GuestRun):
    """A monitor boot: the guest's COM1 (text) and the monitor's log (port 0xE9)."""

    def __init__(self, text, exit_code, timed_out, log, cmd=None):
        GuestRun.__init__(self, text, exit_code, timed_out, cmd)
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
    cmd = [a if not a.startswith("file:" + tmp) else "file:monitor.log" for a in cmd]
    return MonitorRun(out.decode("utf-8", "replace"), code, timed_out, log, cmd)


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


# ---- what minios printed ----

SUITE_START = "minios test mode"


def suite_lines(lines):
    """The part of a transcript that minios wrote in test mode (from its
    'minios test mode' line on; everything if there is none).  Bochs's
    transcript starts with GRUB's output, QEMU's with minios's own."""
    start = [i for i, l in enumerate(lines) if l == SUITE_START]
    return lines[start[0]:] if start else lines


# The holes suite (minios holes, docs/x86-holes.md): natively every line
# passes; under the monitor exactly these fail.
HOLES_TOTAL = 24
HOLES_FAIL_UNDER_MONITOR = {3, 4, 5, 6, 7, 8, 9, 11, 15, 19, 20, 21, 22, 23, 24}
# iflag=soft (the real IF always 1): PUSHF after CLI shows IF=1 too
HOLES_FAIL_IFLAG_SOFT = HOLES_FAIL_UNDER_MONITOR | {1}


def holes_results(lines):
    """The holes suite's lines: {number: (passed, description)}."""
    return {int(m.group(2)): (m.group(1) == "ok", m.group(3))
            for m in map(TEST_LINE.match, lines) if m}


# ---- what the monitor printed (its log, port 0xE9) ----

# The monitor's own exit codes (src/monitor/monitor.h), above any of minios's.
MON_EXIT_BAD_OPTION, MON_EXIT_BAD_GUEST, MON_EXIT_GUEST_DIED = 0x71, 0x72, 0x73

GUEST_EXITED = re.compile(r"^monitor: guest exited with code (\d+)", re.M)


def logged_exit_code(log):
    """The guest's exit code as the monitor logged it, None if it did not
    (where the emulator loses the code itself: Bochs)."""
    m = GUEST_EXITED.search(log)
    return int(m.group(1)) if m else None


EXIT_TABLE_LINE = re.compile(r"^monitor:\s+(\S.*?)\s+(\d+)$")


def exit_table(log):
    """{row name: count} from the monitor's exit table ('cli', '#GP', 'irq0'...)."""
    rows = {}
    for l in log.splitlines():
        m = EXIT_TABLE_LINE.match(l)
        if m:
            rows[m.group(1)] = int(m.group(2))
    return rows


FAST_PATH = re.compile(r"switcher fast path: cli (\d+), sti (\d+), mov cr3 (\d+), in (\d+), "
                       r"mov from cr (\d+), invlpg (\d+)")


def trapped_counts(log):
    """{row name: count} of the instructions that trapped: the exit table's
    emulated rows plus those the switcher's fast path handled without
    reaching the dispatcher (its 'switcher fast path' line: cli, sti,
    mov cr3 (counted as 'mov to cr'), in, mov from cr, invlpg)."""
    rows = exit_table(log)
    m = FAST_PATH.search(log)
    if m:
        names = ("cli", "sti", "mov to cr", "in", "mov from cr", "invlpg")
        for name, count in zip(names, m.groups()):
            rows[name] = rows.get(name, 0) + int(count)
    return rows


SHADOW_COUNTERS = {
    "hidden": r"shadow MMU \(\w+\): (\d+) hidden faults filled, (\d+) flushes",
    "ptwrites": r"page-table writes emulated (\d+), not emulable \(frame released\) (\d+)",
    "spt": r"shadow page tables allocated (\d+), freed (\d+)",
    "cache": r"cache \(shadow_cache=\d+\): (\d+) hits, (\d+) misses, (\d+) evictions",
    "protect": r"frames write-protected (\d+); unprotected \(written, not walked\) (\d+), "
               r"kept \(active directory\) (\d+)",
}


def shadow_counters(log):
    """The shadow MMU's counters from the exit table: {name: tuple of ints}
    for each line present (keys of SHADOW_COUNTERS), and 'strategy'."""
    out = {}
    for name, pat in SHADOW_COUNTERS.items():
        m = re.search(pat, log)
        if m:
            out[name] = tuple(int(g) for g in m.groups())
    m = re.search(r"shadow MMU \((\w+)\)", log)
    out["strategy"] = m.group(1) if m else None
    return out


# ---- ELF images ----

ELF_PT_LOAD = 1


def elf_load_facts(path):
    """(entry, lowest paddr, highest paddr+memsz, PT_LOAD count) of an ELF32,
    the entry translated to a physical address as a multiboot loader does."""
    with open(path, "rb") as f:
        img = f.read()
    entry, phoff = struct.unpack_from("<II", img, 24)
    phentsize, phnum = struct.unpack_from("<HH", img, 42)
    segs = []
    for i in range(phnum):
        ptype, off, vaddr, paddr, filesz, memsz = struct.unpack_from(
            "<6I", img, phoff + i * phentsize)
        if ptype == ELF_PT_LOAD and memsz:
            segs.append((vaddr, paddr, memsz))
    for vaddr, paddr, memsz in segs:
        if vaddr <= entry < vaddr + memsz:
            entry = entry - vaddr + paddr
    return entry, min(s[1] for s in segs), max(s[1] + s[2] for s in segs), len(segs)
