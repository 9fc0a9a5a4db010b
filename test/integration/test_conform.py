"""test_conform.py - the conformance guest (guests/conform) natively and
under the monitor: the same lines, apart from the named holes, known bugs
and platform lines of conform_expected.py (docs/conformance.md).

Under QEMU each section is its own boot (and each shadow strategy its own
run), so a check that kills the guest under the monitor costs one more boot
of that section with the check skipped, and hides nothing else.  Under
Bochs (marker "bochs") all sections go in one boot, restarted the same way.

    /usr/bin/python3 -m pytest test/integration/test_conform.py -m "not bochs"

builds build/conform.elf and build/monitor.elf first (make conform all).
"""
import os

import pytest

import conform_expected
import conformrun
from conformrun import SECTIONS, Transcript, compare, failures, run_until_done
from guestrun import run_qemu, make

SHADOWS = ["cached", "vtlb"]
MIN_LINES = 400          # the guest prints 520-odd lines natively


def need(path):
    make("conform", "all")      # one make at a time across pytest-xdist workers
    if not os.path.isfile(path):
        pytest.fail("%s is missing after 'make conform all'" % path)


@pytest.fixture(scope="module")
def native():
    need(conformrun.GUEST)
    return run_until_done(conformrun.qemu_native, SECTIONS)


def explain(diffs, monitor):
    out = [str(d) for d in failures(diffs)]
    out += ["monitor stopped in %s: %s" % (c, why) for c, why in monitor.stopped.items()]
    return "\n".join(out)


def test_native_run_is_complete_and_clean(native):
    """Natively every section runs to its end in one boot, no check is
    aborted by an exception it did not expect, and there are enough lines."""
    assert native.boots == 1, native.stopped
    ran = {n: v for n, v in native.values.items() if n.startswith("run.")}
    assert all(v == "ran" for v in ran.values()), [n for n, v in ran.items() if v != "ran"]
    lines = [n for n in native.values if not n.startswith("run.")]
    assert len(lines) >= MIN_LINES
    text = native.transcripts[-1][1]
    assert Transcript(text).sections == SECTIONS


def test_native_run_is_deterministic(native):
    """A second native boot prints exactly the same lines: no value in the
    transcript depends on timing."""
    again = run_until_done(conformrun.qemu_native, SECTIONS)
    assert again.values == native.values


def test_expected_lists_name_real_lines(native):
    """Every HOLES, KNOWN_BUGS and PLATFORM entry names a line (or a
    run.CHECK) the guest prints, so a renamed check cannot leave a stale
    entry behind; and no line is in two lists."""
    names = set(native.values)
    lists = [conform_expected.HOLES, conform_expected.KNOWN_BUGS, conform_expected.PLATFORM]
    stale = [n for entries in lists for n in entries if n not in names]
    assert not stale
    listed = [n for entries in lists for n in entries]
    assert len(listed) == len(set(listed))


def test_platform_lines_name_one_platform():
    """A PLATFORM entry says which native platform departs (only one of
    "qemu" or "bochs"): everywhere else the line must agree."""
    for name, entry in conform_expected.PLATFORM.items():
        assert len(entry.only & {"qemu", "bochs"}) == 1, name


def test_guest_refuses_a_bad_option():
    need(conformrun.GUEST)
    run = run_qemu(conformrun.GUEST, "section=nosuch", timeout=30)
    lines = [l for l in run.lines() if l.strip()]
    assert run.exit_code == 2
    assert lines == ["conform: command line refused: unknown section in 'nosuch'"]


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("ring", [1, 3])
@pytest.mark.parametrize("shadow", SHADOWS)
def test_monitor_agrees_with_native(native, shadow, ring, section):
    """Under the monitor (QEMU, this shadow strategy, the guest kernel in
    this ring) the section prints the native lines, apart from HOLES (and
    RING3_HOLES in ring 3), KNOWN_BUGS and PLATFORM; and no known bug of the section
    has gone away unnoticed."""
    need(conformrun.MONITOR)
    monitor = run_until_done(conformrun.qemu_monitor(shadow, ring), [section])
    diffs = compare(native, monitor, {"qemu", shadow, "ring%d" % ring}, {section})
    assert not failures(diffs), explain(diffs, monitor)


@pytest.mark.bochs
@pytest.mark.parametrize("ring", [1, 3])
@pytest.mark.parametrize("shadow", SHADOWS)
def test_bochs_monitor_agrees_with_native(shadow, ring):
    """The same comparison on Bochs (GRUB ISO), all sections per boot."""
    need(conformrun.GUEST)
    need(conformrun.MONITOR)
    native = run_until_done(conformrun.bochs_boot(), SECTIONS)
    assert native.boots == 1, native.stopped
    monitor = run_until_done(conformrun.bochs_boot("shadow=%s ring=%d" % (shadow, ring)),
                             SECTIONS)
    diffs = compare(native, monitor, {"bochs", shadow, "ring%d" % ring}, set(SECTIONS))
    assert not failures(diffs), explain(diffs, monitor)
