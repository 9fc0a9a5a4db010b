"""conftest.py - the pytest harness every test under test/ shares.

The job: boot guests (minios natively, minios deprivileged under the
monitor, either from a GRUB ISO under Bochs) and hand a test what the run
printed and how it ended, so that a test is a few assertions; and keep the
project's conventions on top of pytest's:

  - test/integration is on sys.path: any test file says
    `from guestrun import run_qemu, run_monitor, ...`.
  - Before the first test the kernels and unit binaries are built
    (`make all unit`, once, in the controlling process; --no-build leaves
    that to the caller, as `make test` does, having built them itself).
  - show(run, what) prints a run's guest transcript and the tail of the
    monitor's log (port 0xE9).  pytest captures it and shows it under
    "Captured stdout call" only when the test fails; the JUnit XML carries
    it for failed tests too.
  - --no-skips (make test): a skipped test is reported as failed, so a
    missing tool can never let the suite pass with cases left out.
  - The last line of every run is "N passed, N failed" (errors and, under
    --no-skips, skips count as failed), just below pytest's own summary;
    CI reads it.
  - Long cases (markers bochs, slow) go first in the run order, so that
    pytest-xdist hands them out to both workers early instead of leaving
    one of them at the end of the run.

Session fixtures run a guest once per pytest process and share the result
between the tests that read it (under xdist: once per worker).  Bochs ISOs
are built into build/test/ under a file lock, so two workers never write
the same ISO, and only when an input changed.
"""
import os
import re
import shlex
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))

from guestrun import (run_qemu, run_monitor, suite_lines, logged_exit_code, make,  # noqa: E402
                      MakeFailed, FileLock, MonitorRun)

BUILD = os.path.join(ROOT, "build")
KERNEL = os.path.join(BUILD, "minios.elf")
MONITOR = os.path.join(BUILD, "monitor.elf")
ISO_DIR = os.path.join(BUILD, "test")
MKISO = os.path.join(ROOT, "scripts", "mkiso.sh")
BUILD_TARGETS = ["all", "unit"]

# What show() prints of a run on failure.
TRANSCRIPT_LINES = 200
LOG_LINES = 60

# Timeouts (seconds) of the guest runs the session fixtures make: far above
# what each takes on an idle machine (under 3 s), for a loaded 2-core one.
NATIVE_SUITE_TIMEOUT = 180
QEMU_TIMEOUT = 300
BOCHS_TIMEOUT = 600


# ---- options, markers, the build ----

def pytest_addoption(parser):
    group = parser.getgroup("minios", "the VMM project's harness (test/conftest.py)")
    group.addoption("--no-build", action="store_true",
                    help="do not run 'make %s' before the tests (make test has built them)"
                    % " ".join(BUILD_TARGETS))
    group.addoption("--no-skips", action="store_true",
                    help="report a skipped test as failed (make test: nothing is left out "
                    "silently, e.g. for want of a tool)")


def is_worker(config):
    return hasattr(config, "workerinput")


def pytest_configure(config):
    if is_worker(config):
        return
    config.pluginmanager.register(PlainNodeids(), "vmm-plain-nodeids")
    if config.option.no_build or config.option.help or config.option.version:
        return
    try:
        make(*BUILD_TARGETS)
    except MakeFailed as e:
        pytest.exit("conftest: %s" % e, returncode=2)


def run_order(item):
    """Bochs cases first, then the other slow ones, then the rest."""
    if item.get_closest_marker("bochs"):
        return 0
    if item.get_closest_marker("slow"):
        return 1
    return 2


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=run_order)     # stable: the order within a group is kept


# ---- skips are failures under --no-skips; the project's last line ----

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.config.option.no_skips and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = "skipped, and --no-skips (make test) leaves nothing out: %s" % reason


def without_group(nodeid):
    """NODEID without the "@group" pytest-xdist's --dist loadgroup appends
    for an xdist_group mark (its own rule: an @ after any parameter id)."""
    at = nodeid.rfind("@")
    return nodeid[:at] if at > nodeid.rfind("]") and at > nodeid.rfind("::") else nodeid


class PlainNodeids:
    """In the controlling process (a worker checks that a report's name is
    its item's), a test's reported name is the same with or without -n:
    the summary, the JUnit XML and --lf never see the scheduling group."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report):
        report.nodeid = without_group(report.nodeid)


OUTCOMES = ["passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected"]


def pytest_unconfigure(config):
    """After pytest's own summary line: "N passed, N failed"."""
    if is_worker(config) or config.option.collectonly:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not any(reporter.stats.get(k) for k in OUTCOMES):
        return          # --help, --markers, --fixtures: no session ran
    count = lambda key: len(reporter.stats.get(key, []))
    failed = count("failed") + count("error")
    if config.option.no_skips:
        failed += count("skipped")
    reporter.write_line("%d passed, %d failed" % (count("passed"), failed))


# ---- paths ----

def built(path):
    """PATH, which the build makes; a clear failure if it is not there."""
    if not os.path.isfile(path):
        pytest.fail("%s not built (run 'make', or pytest without --no-build)" % path,
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def kernel():
    """build/minios.elf."""
    return built(KERNEL)


@pytest.fixture(scope="session")
def monitor():
    """build/monitor.elf."""
    return built(MONITOR)


# ---- showing a run when a test fails ----

def tail(text, n):
    lines = text.splitlines()
    if len(lines) <= n:
        return text
    return "[... %d lines before these ...]\n" % (len(lines) - n) + "\n".join(lines[-n:])


def how_it_ended(run):
    if isinstance(run, BochsRun):
        return ("the guest shut Bochs down after %.0f s" % run.secs if run.clean else
                "no shutdown by the guest (Bochs timed out or stopped)")
    if run.timed_out:
        return "timed out"
    if run.exit_code is None:
        return "ended without the guest's exit code (no debug exit)"
    return "exit code %d (0x%x)" % (run.exit_code, run.exit_code)


@pytest.fixture
def show():
    """show(run, what): prints RUN's guest transcript and, for a monitor
    run, the end of the monitor's log, headed by WHAT (which boot it was).
    pytest shows it only if the test fails."""
    def show_run(run, what):
        if getattr(run, "cmd", None):
            print("==== %s: %s" % (what, " ".join(shlex.quote(a) for a in run.cmd)))
        print("==== %s: %s; guest transcript (%d lines) ===="
              % (what, how_it_ended(run), len(run.lines())))
        print(tail(run.text, TRANSCRIPT_LINES))
        if isinstance(run, MonitorRun) and (run.log or not isinstance(run, BochsRun)):
            print("==== %s: the monitor's log, last %d of %d lines ===="
                  % (what, min(LOG_LINES, len(run.log.splitlines())), len(run.log.splitlines())))
            print(tail(run.log, LOG_LINES))
        if getattr(run, "workdir", None):
            print("==== %s: Bochs's files (bochsrc, bochs.log, bochs.out) are in %s ===="
                  % (what, run.workdir))
    return show_run


# ---- runs several tests share ----

@pytest.fixture(scope="session")
def native_suite(kernel):
    """minios's test suite on bare QEMU: the reference transcript."""
    return run_qemu(kernel, "tests", timeout=NATIVE_SUITE_TIMEOUT)


@pytest.fixture(scope="session")
def native_suite_lines(native_suite):
    """The reference transcript's test-mode lines (what Bochs must match)."""
    return suite_lines(native_suite.lines())


# ---- Bochs: GRUB ISOs and runs ----

def iso_is_fresh(iso, stamp, args, inputs):
    if not (os.path.isfile(iso) and os.path.isfile(stamp)):
        return False
    with open(stamp) as f:
        if f.read() != args:
            return False
    return all(os.path.getmtime(i) <= os.path.getmtime(iso) for i in inputs)


def make_iso(name, cmdline, monopts=None):
    """build/test/NAME.iso: GRUB booting minios CMDLINE, under the monitor
    with options MONOPTS unless that is None (scripts/mkiso.sh).  Built
    under a lock, only if missing or older than its inputs, and written
    under another name first, so a reader never sees half an ISO."""
    os.makedirs(ISO_DIR, exist_ok=True)
    iso = os.path.join(ISO_DIR, name + ".iso")
    stamp = iso + ".args"
    args = "monitor %r, minios %r" % (monopts, cmdline)
    inputs = [built(KERNEL), MKISO] + ([built(MONITOR)] if monopts is not None else [])
    with FileLock(os.path.join(ISO_DIR, ".iso.lock")):
        if iso_is_fresh(iso, stamp, args, inputs):
            return iso
        tmp = iso + ".tmp"
        cmd = ["bash", MKISO] + (["--monitor", monopts] if monopts is not None else []) + \
              [tmp, cmdline]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            pytest.fail("ISO build failed: %s" % p.stdout.decode("utf-8", "replace"),
                        pytrace=False)
        os.replace(tmp, iso)
        with open(stamp, "w") as f:
            f.write(args)
    return iso


class BochsRun(MonitorRun):
    """A Bochs boot: COM1 (text), the port 0xE9 lines (log: the monitor's,
    if it ran), whether the guest shut Bochs down (clean) and where Bochs's
    own files are (workdir).  Bochs loses the guest's exit code: exit_code
    is the one the monitor logged, None without the monitor."""

    def __init__(self, iso, text, clean, log, workdir, secs):
        MonitorRun.__init__(self, text, logged_exit_code(log), not clean, log,
                            [sys.executable, "test/integration/bochs.py", iso])
        self.clean = clean
        self.workdir = workdir
        self.secs = secs


def boot_bochs(iso, workdir):
    from bochs import run_bochs, e9_log
    text, clean, secs = run_bochs(iso, BOCHS_TIMEOUT, workdir)
    return BochsRun(iso, text, clean, e9_log(workdir), workdir, secs)


def iso_name(cmdline, monopts):
    """build/test/<this>.iso for minios CMDLINE, under the monitor with
    MONOPTS unless None: "minios-tests", "monitor-shadow=vtlb-tests"."""
    what = "minios" if monopts is None else ("monitor-" + monopts).strip("-")
    return re.sub(r"[^A-Za-z0-9_.=,-]+", "-", "%s-%s" % (what, cmdline)).strip("-")


@pytest.fixture(scope="session")
def boot(kernel, monitor, tmp_path_factory):
    """boot(emulator, cmdline, monopts=None, timeout=QEMU_TIMEOUT): minios
    with command line CMDLINE, alone (monopts None) or under the monitor
    with options MONOPTS, on emulator "qemu" (QEMU -kernel: a GuestRun or
    MonitorRun) or "bochs" (GRUB from an ISO, built by make_iso: a
    BochsRun, its files in a directory of its own under pytest's
    temporary directory)."""
    def boot_on(emulator, cmdline, monopts=None, timeout=QEMU_TIMEOUT):
        if emulator == "qemu" and monopts is None:
            return run_qemu(kernel, cmdline, timeout=timeout)
        if emulator == "qemu":
            return run_monitor(monitor, kernel, cmdline, monopts, timeout=timeout)
        if emulator != "bochs":
            raise ValueError("no emulator %r (qemu, bochs)" % emulator)
        name = iso_name(cmdline, monopts)
        iso = make_iso(name, cmdline, monopts)
        return boot_bochs(iso, str(tmp_path_factory.mktemp("bochs-" + name)))
    return boot_on
