"""test_cmocka.py - the cmocka host unit tests (test/unit/test_*.c), one
pytest test per cmocka test.

cmocka runs a binary's tests one after the other and says of each
"[ RUN      ] name", then its assertion messages, then "[       OK ] name"
or "[  FAILED  ] name"; the binary's exit status is the number that failed.
It has no way to list its tests without running them, so each binary runs
once, when pytest collects this file, and the tests read that run's
verdicts; a failing one shows its own block of cmocka's output, and the
whole output below it.

A binary that is missing, crashes, hangs or says something that does not
add up (fewer verdicts than it announced, an exit status that disagrees
with them) gives one more test, "<binary>.whole-run", which fails with its
output: the harness never passes a binary it could not read.  stdout is
line-buffered (stdbuf) so that cmocka's messages on stderr land inside the
right test's block.
"""
import glob
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = os.path.join(ROOT, "test", "unit", "test_*.c")
UNIT_DIR = os.path.join(ROOT, "build", "unit")
RUN_TIMEOUT = 120
WHOLE_RUN = "whole-run"

ANNOUNCED = re.compile(r"^\[==========\] Running (\d+) test\(s\)\.$")
VERDICT = re.compile(r"^\[ (RUN     |      OK| FAILED | SKIPPED) \] (\S+)$")
RAN = re.compile(r"^\[==========\] \d+ test\(s\) run\.$")
VERDICT_WORD = {"      OK": "passed", " FAILED ": "failed", " SKIPPED": "skipped"}


class UnitRun:
    """One run of a cmocka binary: its output, exit status, test names in
    order, {name: 'passed'|'failed'|'skipped'}, {name: its output lines},
    and what does not add up (None if all does)."""

    def __init__(self, binary):
        self.binary = binary
        self.names, self.verdicts, self.blocks = [], {}, {}
        self.output, self.status, self.problem = "", None, None
        if not os.path.isfile(binary):
            self.problem = "%s not built (make unit)" % binary
            return
        try:
            p = subprocess.run(["stdbuf", "-oL", "-eL", binary], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            self.output = (e.stdout or b"").decode("utf-8", "replace")
            self.problem = "no end after %d s" % RUN_TIMEOUT
            return
        self.output, self.status = p.stdout.decode("utf-8", "replace"), p.returncode
        announced = self.parse(self.output.splitlines())
        self.problem = self.check(announced)

    def parse(self, lines):
        """Fills names, verdicts and blocks; returns the announced count."""
        announced, current = None, None
        for line in lines:
            m = ANNOUNCED.match(line)
            if m:
                announced = int(m.group(1))
            if RAN.match(line):
                break           # the summary repeats the failed names
            m = VERDICT.match(line)
            if m and m.group(1) == "RUN     " and m.group(2) not in self.blocks:
                current = m.group(2)
                self.names.append(current)
                self.blocks[current] = []
            if current is not None:
                self.blocks[current].append(line)
            if m and m.group(1) in VERDICT_WORD and m.group(2) == current:
                self.verdicts[current] = VERDICT_WORD[m.group(1)]
        return announced

    def check(self, announced):
        failed = sum(1 for v in self.verdicts.values() if v == "failed")
        if self.status < 0:
            return "killed by signal %d" % -self.status
        if announced is None or announced != len(self.names):
            return "announced %s tests, ran %d" % (announced, len(self.names))
        unended = [n for n in self.names if n not in self.verdicts]
        if unended:
            return "no verdict for %s" % ", ".join(unended)
        if self.status != failed:
            return "exit status %d, but %d tests failed" % (self.status, failed)
        return None


def unit_runs():
    """A UnitRun per test/unit/test_*.c, from the binary make builds of it."""
    binaries = [os.path.join(UNIT_DIR, os.path.basename(s)[:-len(".c")])
                for s in sorted(glob.glob(SOURCES))]
    return [UnitRun(b) for b in binaries]


def cases():
    """(run, test name) pairs; (run, WHOLE_RUN) for a run that did not add up."""
    out = []
    for run in unit_runs():
        out += [(run, name) for name in run.names]
        if run.problem:
            out.append((run, WHOLE_RUN))
    return out


def params():
    """A pytest param per case, the cases of a binary in one pytest-xdist
    group: they only read the one run, so they go to one worker together."""
    return [pytest.param(run, name, id="%s.%s" % (os.path.basename(run.binary), name),
                         marks=pytest.mark.xdist_group(os.path.basename(run.binary)))
            for run, name in cases()]


@pytest.mark.parametrize("run,name", params())
def test_cmocka(run, name):
    """One cmocka test passed (or the binary's whole run added up); a test
    cmocka skipped is skipped (and so failed under --no-skips)."""
    if name == WHOLE_RUN:
        print(run.output)
        pytest.fail("%s: %s" % (os.path.basename(run.binary), run.problem), pytrace=False)
    verdict = run.verdicts.get(name, "no verdict")
    if verdict == "skipped":
        pytest.skip("cmocka skipped it")
    if verdict != "passed":
        print("==== the whole output of %s ====\n%s" % (run.binary, run.output))
        pytest.fail("%s: %s %s:\n%s" % (os.path.basename(run.binary), name, verdict,
                                        "\n".join(run.blocks[name])), pytrace=False)
