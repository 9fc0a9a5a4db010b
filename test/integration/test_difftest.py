"""test_difftest.py - the differential instruction tester (guests/difftest,
test/difftest) on a fixed small batch: random ring-0 and ring-3 sequences
natively and under the monitor with both shadow strategies, the same
observations apart from the named holes, masks and rules of
test/difftest/expected.py; every known bug still shows (docs/conformance.md,
"The differential tester").

    /usr/bin/python3 -m pytest test/integration/test_difftest.py

needs build/difftest.elf and build/monitor.elf (make difftest-guest all).
The long run is `make difftest N=100000 SEED=7`.
"""
import os
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "difftest"))
import difftest  # noqa: E402
import expected  # noqa: E402
import gen  # noqa: E402
from guestrun import run_qemu  # noqa: E402
try:
    from guestrun import make       # the pytest harness (issue 10) builds what a test needs
except ImportError:
    make = None

SEED = 20240611         # the fixed batch: sequences 0..COUNT-1 of this seed
COUNT = 1500
SHADOWS = ["cached", "vtlb"]
DETAILS = 3             # mismatches shown in full when the test fails
TAG_SAMPLE = 4000       # sequences generated to find every listed tag


def need(path):
    if make is not None:
        make("difftest-guest")
    if not os.path.isfile(path):
        pytest.fail("%s is missing: run 'make difftest-guest all' first" % path)


@pytest.fixture(scope="module")
def tmp():
    with tempfile.TemporaryDirectory() as d:
        yield d


@pytest.fixture(scope="module")
def batch(tmp):
    need(difftest.GUEST)
    path = os.path.join(tmp, "batch.bin")
    gen.write_batch(SEED, 0, COUNT, path)
    return path


@pytest.fixture(scope="module")
def native(batch):
    return difftest.BatchRun(difftest.NATIVE, batch, 0, COUNT)


def test_native_batch_is_complete_and_deterministic(native, batch):
    """Natively every sequence runs (none brings the guest down: the
    generator keeps to what a ring-0 sequence can survive), and a second
    boot gives the same hashes: nothing observed depends on timing."""
    assert not native.stops, native.stops
    assert len(native.results) == COUNT
    again = difftest.BatchRun(difftest.NATIVE, batch, 0, COUNT)
    assert again.results == native.results


def test_batch_covers_both_rings_and_many_ends(native):
    """The batch runs ring 0 and ring 3 and ends in many ways: the normal
    end, #GP, #PF, #UD, INT n... (a generator that broke and ended every
    sequence the same way would pass the comparison vacuously)."""
    rings = {gen.sequence(SEED, i).ring for i in range(0, COUNT, 7)}
    assert rings == {0, 3}
    ends = {v for _, v, _ in native.results.values()}
    assert {"81", "0d", "0e", "06"} <= ends, ends
    normal = sum(1 for _, v, _ in native.results.values() if v == "81")
    assert normal > COUNT // 3


@pytest.mark.parametrize("shadow", SHADOWS)
def test_monitor_agrees_with_native(native, batch, tmp, shadow):
    """Under the monitor every sequence leaves the native observations:
    registers, flags, the exception and its frame, control registers, page
    tables (A and D bits), descriptor tables, every test-page dword."""
    need(difftest.MONITOR)
    run = difftest.BatchRun(shadow, batch, 0, COUNT)
    mismatches = difftest.compare(native, run)
    shown = []
    for m in mismatches[:DETAILS]:
        text, _ = difftest.detail(gen.sequence(SEED, m.index), shadow, tmp, SEED, m.context)
        shown.append(str(m) + "\n" + text)
    assert not mismatches, "%d of %d sequences differ:\n%s" % (
        len(mismatches), COUNT, "\n".join(shown))


def test_known_bugs_still_differ(tmp):
    """Each KNOWN_BUGS witness still differs under each strategy it names;
    once the monitor is fixed this fails until the entry (and the
    generator's exclusion of it) is removed, so the list only shrinks."""
    need(difftest.MONITOR)
    found = difftest.run_witnesses(SHADOWS, tmp)
    fixed = ["%s under %s" % (n, t) for n, by in found.items() for t, d in by.items() if not d]
    assert not fixed, "fixed: remove from expected.py KNOWN_BUGS: %s" % fixed
    print("known bugs (expected.py KNOWN_BUGS), each still differing: " +
          "; ".join("%s: %s" % (n, expected.KNOWN_BUGS[n].why) for n in sorted(found)))


def test_expected_names_are_generated_tags():
    """Every HOLES and KNOWN_BUGS name is a tag the generator makes when
    allowed to (so a renamed template cannot leave a stale entry that
    excludes nothing), none is in both lists, and with the defaults no
    excluded tag is generated in its rings."""
    named = set(expected.HOLES) | set(expected.KNOWN_BUGS)
    assert not set(expected.HOLES) & set(expected.KNOWN_BUGS)
    seen, leaked = set(), []
    for i in range(TAG_SAMPLE):
        seen.update(gen.sequence(SEED, i, allow=named).tags)
        seq = gen.sequence(SEED, i)
        excluded = gen.excluded_tags(seq.ring)
        leaked += [(i, t) for t in seq.tags if gen.names_tag(excluded, t)]
    missing = [n for n in named if not any(gen.names_tag([n], t) for t in seen)]
    assert not missing, "never generated: %s" % missing
    assert not leaked, leaked[:10]


def test_generator_is_reproducible():
    """Sequence I of seed S is the same on every call and alone or in a
    batch (a mismatch report's seed and index are enough to see it again);
    another seed gives other sequences."""
    a = [gen.sequence(SEED, i).lines for i in range(50)]
    b = [gen.sequence(SEED, i).lines for i in range(50)]
    c = [gen.sequence(SEED + 1, i).lines for i in range(50)]
    assert a == b
    assert a != c


def test_guest_refuses_a_bad_option(batch):
    run = run_qemu(difftest.GUEST, "frob", timeout=30, modules=[batch])
    lines = [l for l in run.lines() if l.strip()]
    assert run.exit_code == 2
    assert lines == ["difftest: refused: unknown option 'frob'"]


def test_guest_refuses_a_module_that_is_not_a_batch():
    run = run_qemu(difftest.GUEST, "", timeout=30, modules=[difftest.GUEST])
    assert run.exit_code == 2
    assert "difftest: refused: the module is not a batch (no DTB1 magic)" in run.lines()
