"""test_xv6_usertests.py - xv6's own test suite, usertests, natively and under
the monitor with each shadow strategy: the same bytes, and the time it takes.

usertests is the hardest thing xv6 does to a machine: hundreds of forks and
execs, sbrk to the top of its 224 MB and back, page faults killed by the
kernel, files created and removed until the disk is full, pipes, and
interrupts from the APIC timer, the UART and the IDE disk throughout.  Run
three times in one session, one after the other on the same machine:

  native          make run-native GUEST=xv6 CMDS=usertests  (bare QEMU)
  shadow=cached   make run GUEST=xv6 CMDS=usertests MONARGS=shadow=cached
  shadow=vtlb     the same with shadow=vtlb

Each must print ALL TESTS PASSED and come back to the prompt; each monitor
transcript must equal the native one byte for byte.  Nothing is stripped:
usertests repeats exactly (xv6run.py; only stressfs, not part of it, prints
in a timing-dependent order).  The monitor's run ends with Ctrl-] on its
console (docs/xv6.md), so its log ends with the exit table, checked here.

The wall times (the console script's, from QEMU's start to the last prompt),
QEMU's CPU times (which say more when other work shares the machine) and
each run's exit-table totals are printed side by side at the end and
written to build/xv6-usertests.txt, followed by each monitor run's whole
exit table.  It takes long (shadow=vtlb most: docs/xv6.md), so the module
is marked long: `make test` leaves it out and `make test-usertests` runs it.
"""
import os
import re

import pytest

import xv6run

STRATEGIES = ["cached", "vtlb"]
NATIVE_TIMEOUT = 300        # seconds; 25-40 s on an idle machine
# seconds per strategy: cached takes minutes; vtlb refills its whole shadow
# after every CR3 write, and usertests' mem test walks a free list spread
# over thousands of pages between two timer ticks (docs/xv6.md)
MONITOR_TIMEOUT = {"cached": 1800, "vtlb": 7200}
# The three runs are one fixture, set up inside the first test: pytest's
# own timeout (pytest.ini, 900 s per test) would stop them on a loaded
# machine (vtlb alone took over 15 minutes at a load of 7-12), so this
# module's bound is the sum of the runs' own, plus a minute each for make.
SUITE_TIMEOUT = NATIVE_TIMEOUT + sum(MONITOR_TIMEOUT.values()) + 60 * (1 + len(STRATEGIES))

pytestmark = [pytest.mark.long, pytest.mark.timeout(SUITE_TIMEOUT)]
PASSED = b"ALL TESTS PASSED\n$ "
DONE = re.compile(r"console: 1 command\(s\) done in ([0-9.]+) s \(QEMU's CPU time ([0-9.]+) s\)")
EXIT_ROW = re.compile(r"^monitor:   (\S+) +(\d+)$")
ENDED_BY_CONSOLE = "monitor: run ended from the console (Ctrl-])"
REPORT = os.path.join(xv6run.ROOT, "build", "xv6-usertests.txt")


class Usertests:
    """One usertests run: status, transcript, stderr (verdict and monitor
    log), the console's wall time."""

    def __init__(self, name, rc, out, err):
        self.name, self.rc, self.out, self.err = name, rc, out, err
        m = DONE.search(err)
        self.seconds = float(m.group(1)) if m else None
        self.cpu = float(m.group(2)) if m else None

    def exits(self):
        """The exit table's 'exits by vector' rows, {name: count}."""
        rows, inside = {}, False
        for line in self.err.splitlines():
            if line == "monitor: exits by vector:":
                inside = True
            elif inside:
                m = EXIT_ROW.match(line)
                if not m:
                    break
                rows[m.group(1)] = int(m.group(2))
        return rows

    def exit_table(self):
        """The monitor's lines from the end of the run on: the exit table."""
        lines = self.err.splitlines()
        start = [i for i, l in enumerate(lines) if l == ENDED_BY_CONSOLE]
        return [l for l in lines[start[0]:] if l.startswith("monitor:")] if start else []

    def summary(self):
        return "%s: exit %d, %s" % (self.name, self.rc, self.err.strip().splitlines()[-1:])


@pytest.fixture(scope="module", autouse=True)
def built():
    xv6run.build()
    xv6run.make_monitor()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three runs, one after the other (the comparison of times is fair
    only if nothing else differs)."""
    out = {}
    disk = lambda n: str(tmp_path_factory.mktemp(n) / "disk.img")
    rc, t, e = xv6run.run("run-native", "usertests", NATIVE_TIMEOUT, disk("native"))
    out["native"] = Usertests("native", rc, t, e)
    for s in STRATEGIES:
        rc, t, e = xv6run.run("run", "usertests", MONITOR_TIMEOUT[s], disk(s),
                              ("MONARGS=shadow=" + s,))
        out[s] = Usertests("shadow=" + s, rc, t, e)
    return out


def test_usertests_pass_natively(runs):
    r = runs["native"]
    assert r.rc == 0, r.err[-2000:]
    assert r.out.endswith(PASSED), r.out[-500:]
    assert r.seconds is not None


@pytest.mark.parametrize("shadow", STRATEGIES)
def test_usertests_under_monitor_same_as_native(runs, shadow):
    r, native = runs[shadow], runs["native"]
    assert r.rc == 0, r.err[-3000:]
    assert r.out.endswith(PASSED), r.out[-500:]
    assert r.out == native.out, (
        "usertests under the monitor (shadow=%s) differs from native; monitor:\n%s\n"
        "--- native:\n%s" % (shadow, r.out.decode("utf-8", "replace")[-1500:],
                             native.out.decode("utf-8", "replace")[-1500:]))


@pytest.mark.parametrize("shadow", STRATEGIES)
def test_monitor_run_ends_with_exit_table(runs, shadow):
    """Ctrl-] ended the run: one line, then the exit table, whose rows show
    what usertests makes the monitor do (page faults, #GPs of emulated
    instructions, timer IRQs, watchdog NMIs); no guest-ended or panic."""
    r = runs[shadow]
    assert ENDED_BY_CONSOLE in r.err, r.err[-2000:]
    assert "guest ended" not in r.err and "monitor: panic" not in r.err
    ex = r.exits()
    assert ex.get("#PF", 0) > 1000 and ex.get("#GP", 0) > 1000, ex
    assert ex.get("irq0", 0) > 0, ex
    disk = re.search(r"guest disk 1: (\d+) sectors read, (\d+) written, (\d+) errors", r.err)
    assert disk and int(disk.group(2)) > 0 and disk.group(3) == "0", disk and disk.group(0)


def test_wall_times_side_by_side(runs, capsys):
    """The closing note: native and monitor times, measured in this one
    session, and each monitor run's exit total."""
    fmt = "%-15s %9s %9s %10s %10s %12s"
    lines = ["usertests, one run after the other: wall time from QEMU's start to the "
             "last prompt, and QEMU's CPU time (scripts/console.py); load average "
             "%.1f at the end" % os.getloadavg()[0],
             fmt % ("run", "wall s", "CPU s", "wall x nat", "CPU x nat", "exits")]
    nat = runs["native"]
    ratio = lambda a, b: "%.1fx" % (a / b) if a and b else "-"
    for key in ["native"] + STRATEGIES:
        r = runs[key]
        total = sum(r.exits().values()) if key != "native" else 0
        lines.append(fmt % (r.name, "%.1f" % r.seconds if r.seconds else "-",
                            "%.1f" % r.cpu if r.cpu else "-", ratio(r.seconds, nat.seconds),
                            ratio(r.cpu, nat.cpu), total or "-"))
    for key in STRATEGIES:
        lines.append("exits by vector, shadow=%s: %s" % (
            key, ", ".join("%s %d" % kv for kv in runs[key].exits().items())))
    text = "\n".join(lines) + "\n"
    with open(REPORT, "w") as f:
        f.write(text)
        for key in STRATEGIES:
            f.write("\n---- the exit table, shadow=%s ----\n" % key)
            f.write("\n".join(runs[key].exit_table()) + "\n")
    with capsys.disabled():
        print("\n" + text)
    assert all(runs[k].seconds for k in ["native"] + STRATEGIES), \
        [runs[k].summary() for k in runs]
