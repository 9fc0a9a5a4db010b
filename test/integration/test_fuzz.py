"""test_fuzz.py - the trap-path fuzzers' fixed smoke (make test).

The two libFuzzer harnesses (test/fuzz/fuzz_emul.c, fuzz_trap.c) check the
monitor's isolation invariants after every input (docs/security.md,
"Fuzzing the trap path").  Here each binary runs, and must exit 0 (no
invariant violated, no sanitizer report, no mon_panic):

  replay   every committed seed (test/fuzz/corpus/<harness>/) and every
           regression input (test/fuzz/regressions/<harness>/: what the
           fuzzers found, fixed since) once
  smoke    FUZZ_SMOKE_RUNS (20,000) mutated executions from the seeds with
           a fixed -seed, new inputs going to a scratch directory

A failure prints libFuzzer's report: the invariant, and the crash-* file to
rerun with test/fuzz/replay.sh.
"""
import glob
import os
import subprocess
import tempfile

import pytest

from guestrun import make   # one make at a time across pytest-xdist workers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "test", "fuzz")
BUILD = os.path.join(ROOT, "build", "fuzz")
HARNESSES = ("emul", "trap")
SMOKE_RUNS = int(os.environ.get("FUZZ_SMOKE_RUNS", "20000"))
SEED = 12345


@pytest.fixture(scope="module", autouse=True)
def built():
    make("fuzz-build")


def run(harness, args, timeout):
    with tempfile.TemporaryDirectory() as art:
        r = subprocess.run([os.path.join(BUILD, "fuzz_" + harness), "-timeout=10",
                            "-artifact_prefix=%s/" % art] + args,
                           capture_output=True, text=True, timeout=timeout)
        crashes = os.listdir(art)
    assert r.returncode == 0 and not crashes, \
        "fuzz_%s failed (exit %d, artifacts %s):\n%s" % (harness, r.returncode, crashes,
                                                        r.stderr[-3000:])
    return r.stderr


@pytest.mark.parametrize("harness", HARNESSES)
def test_seeds_and_regressions_pass(harness):
    inputs = sorted(glob.glob(os.path.join(FUZZ, "corpus", harness, "*")) +
                    glob.glob(os.path.join(FUZZ, "regressions", harness, "*")))
    assert len(inputs) >= 10, "too few committed inputs for %s" % harness
    out = run(harness, inputs, timeout=120)
    assert out.count("Executed ") == len(inputs), out[-2000:]


@pytest.mark.parametrize("harness", HARNESSES)
def test_fixed_smoke_run(harness):
    with tempfile.TemporaryDirectory() as corpus:
        out = run(harness, ["-runs=%d" % SMOKE_RUNS, "-seed=%d" % SEED, "-max_len=1024",
                            corpus, os.path.join(FUZZ, "corpus", harness)], timeout=300)
    assert "Done %d runs" % SMOKE_RUNS in out, out[-2000:]
