"""test_time.py - virtual time under the monitor.

The monitor's clock is the TSC calibrated against the real PIT
(src/monitor/hosthw.c).  Under QEMU -icount shift=0,sleep=off the TSC is the
instruction clock, warped across idle HLTs like the PIT, so a run under the
monitor is deterministic: two runs print the same transcript and the same
exit table, counters included.  (Before the TSC clock, an idle guest woke
the monitor at the same PIT phase every period, wraps went unseen, virtual
time stood still and minios's tests hung.)
"""
import os

from guestrun import run_monitor, check_test_transcript

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "minios.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")


def test_icount_runs_pass_and_are_identical():
    runs = [run_monitor(MONITOR, KERNEL, "tests", "", timeout=240, icount=True)
            for _ in range(2)]
    for r in runs:
        assert not r.timed_out, "timed out under -icount; log tail %r" % r.log[-400:]
        assert r.exit_code == 0, "exit %s; log tail %r" % (r.exit_code, r.log[-400:])
        assert check_test_transcript(r.lines()) == []
    assert runs[0].text == runs[1].text, "guest transcripts differ between two -icount runs"
    assert runs[0].log == runs[1].log, "monitor logs (exit tables) differ between two runs"
