"""test_native.py - minios alone on the bare virtual machine.

The reference the monitor is held to: what minios does natively (its test
suite, the demo, the holes suite, its refusal of a bad command line) is
what it must do deprivileged, and these tests check that it does it here.
The test suite also runs on a second x86 model, Bochs, from a GRUB ISO of
the same ELF: QEMU's TCG and Bochs implement the architecture
independently, so a transcript both agree on rests on neither one's
leniency.  Bochs loses the guest's exit code; its verdict is the
transcript and the guest's shutdown of Bochs.
"""
import pytest

from guestrun import run_qemu, check_test_transcript, holes_results, suite_lines, HOLES_TOTAL

DEMO_SAYS = ["worker 2 (pid 5): round 2", "was killed by vector 14 at address 0x10",
             "demo finished with status 0"]
MINIOS_EXIT_BAD_CMDLINE = 2
# The tests that read bochs_suite go to one pytest-xdist worker (make test
# runs --dist loadgroup), which then boots it once.
BOCHS_SUITE_GROUP = pytest.mark.xdist_group("bochs-native-suite")
EMULATORS = [pytest.param("qemu", id="qemu"),
             pytest.param("bochs", id="bochs", marks=[pytest.mark.bochs, BOCHS_SUITE_GROUP])]


@pytest.fixture(scope="module")
def bochs_suite(boot):
    """minios's test suite from a GRUB ISO under Bochs."""
    return boot("bochs", "tests")


@pytest.fixture(params=EMULATORS)
def suite(request, native_suite):
    """minios's test suite, natively on the emulator <param>."""
    return (request.param, native_suite if request.param == "qemu"
            else request.getfixturevalue("bochs_suite"))


def test_suite(suite, show):
    """minios's test suite passes natively: every line ok, numbered in
    order, a summary that agrees; exit code 0 (QEMU), the guest's own
    shutdown (Bochs)."""
    emulator, run = suite
    show(run, "native on %s, tests" % emulator)
    problems = check_test_transcript(run.lines())
    assert not run.timed_out, "no end by the guest (timeout, or Bochs stopped)"
    assert not problems, "; ".join(problems)
    if emulator == "qemu":
        assert run.exit_code == 0


@pytest.mark.bochs
@BOCHS_SUITE_GROUP
def test_bochs_same_as_qemu(bochs_suite, native_suite_lines, show):
    """The test transcript on Bochs (after GRUB's output) is QEMU's, line
    for line."""
    show(bochs_suite, "native on bochs, tests")
    lines, want = suite_lines(bochs_suite.lines()), native_suite_lines
    diff = [(q, b) for q, b in zip(want, lines) if q != b]
    assert lines == want, "first difference: %r" % (
        diff[:1] or "lengths %d/%d" % (len(want), len(lines)),)


def test_demo(kernel, show):
    """The demo (make run's default) schedules its workers, kills the
    faulty child and exits 0."""
    run = run_qemu(kernel, "", timeout=60)
    show(run, "native, demo")
    missing = [w for w in DEMO_SAYS if w not in run.text]
    assert not missing, "the demo did not say %s" % missing
    assert run.exit_code == 0


@pytest.mark.parametrize("cmdline,says", [
    ("bogus", "unknown option 'bogus'"),
    ("hz=abc", "bad value in 'hz=abc'"),
    ("hz=5", "bad value in 'hz=5'"),
    ("tests bench", "option 'bench' conflicts"),
], ids=["bogus", "hz=abc", "hz=5", "tests-bench"])
def test_bad_option(kernel, show, cmdline, says):
    """A bad command line is refused in one line, exit code 2."""
    run = run_qemu(kernel, cmdline, timeout=30)
    show(run, "native, %r" % cmdline)
    lines = [l for l in run.lines() if l.strip()]
    assert run.exit_code == MINIOS_EXIT_BAD_CMDLINE
    assert len(lines) == 1, "%d lines, not one" % len(lines)
    assert lines[0].startswith("minios: command line refused:")
    assert says in lines[0]


def test_holes(kernel, show):
    """The holes suite natively: all 24 checks pass (CS RPL reads 0)."""
    run = run_qemu(kernel, "holes", timeout=60)
    show(run, "native, holes")
    res = holes_results(run.lines())
    failing = sorted(n for n, (ok, _) in res.items() if not ok)
    assert len(res) == HOLES_TOTAL, "%d lines" % len(res)
    assert not failing, "failing checks %s" % failing
    assert run.exit_code == 0
