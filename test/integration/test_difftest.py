"""test_difftest.py - the differential instruction tester (guests/difftest,
test/difftest) on a fixed small batch: random ring-0 and ring-3 sequences
natively and under the monitor with both shadow strategies, the same
observations apart from the named holes, masks and rules of
test/difftest/expected.py; every known bug still shows (docs/conformance.md,
"The differential tester").  A smaller batch runs with the guest kernel in
real ring 3 (the monitor's ring=3), apart from expected.py's ring-3 lists
too.  On Bochs (marker "bochs"), a smaller batch natively and under the
monitor with both strategies.

    /usr/bin/python3 -m pytest test/integration/test_difftest.py
    /usr/bin/python3 -m pytest test/integration/test_difftest.py -m bochs

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
    from guestrun import make       # the pytest harness builds what a test needs
except ImportError:
    make = None

SEED = 20240611         # the fixed batch: sequences 0..COUNT-1 of this seed
COUNT = 1500
SHADOWS = ["cached", "vtlb"]
DETAILS = 3             # mismatches shown in full when the test fails
TAG_SAMPLE = 4000       # sequences generated to find every listed tag
RING3_COUNT = 1500      # the ring=3 batch: sequences 0..RING3_COUNT-1 of SEED
RING3_SHADOWS = ["cached", "vtlb"]


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


@pytest.mark.parametrize("kernel_ring", [1, 3])
def test_known_bugs_still_differ(tmp, kernel_ring):
    """Each KNOWN_BUGS witness (and in ring=3 each RING3_KNOWN_BUGS one)
    still differs under each strategy it names; once the monitor is fixed
    this fails until the entry (and the generator's exclusion of it) is
    removed, so the list only shrinks."""
    need(difftest.MONITOR)
    found = difftest.run_witnesses(SHADOWS, tmp, kernel_ring)
    fixed = ["%s under %s" % (n, t) for n, by in found.items() for t, d in by.items() if not d]
    assert not fixed, "fixed in ring=%d: remove from expected.py: %s" % (kernel_ring, fixed)
    why = dict(expected.lists(kernel_ring)[1])
    print("known bugs, each still differing: " +
          "; ".join("%s: %s" % (n, why[n].why) for n in sorted(found)))


@pytest.mark.parametrize("kernel_ring", [1, 3])
def test_expected_names_are_generated_tags(kernel_ring):
    """Every HOLES and KNOWN_BUGS name (and in ring=3 every RING3_HOLES and
    RING3_KNOWN_BUGS name) is a tag the generator makes when allowed to (so
    a renamed template cannot leave a stale entry that excludes nothing),
    none is both a hole and a bug, a name in both rings' lists names
    disjoint rings, and with the defaults no excluded tag is generated in
    its rings."""
    holes, bugs = expected.lists(kernel_ring)
    assert not {n for n, _ in holes} & {n for n, _ in bugs}
    rings = {}
    for n, e in holes + bugs:
        assert not rings.get(n, set()) & e.rings, "%s twice for ring %s" % (n, e.rings)
        rings.setdefault(n, set()).update(e.rings)
    named = set(rings)
    seen, leaked = set(), []
    for i in range(TAG_SAMPLE):
        seen.update(gen.sequence(SEED, i, allow=named, kernel_ring=kernel_ring).tags)
        seq = gen.sequence(SEED, i, kernel_ring=kernel_ring)
        excluded = gen.excluded_tags(seq.ring, kernel_ring=kernel_ring)
        leaked += [(i, t) for t in seq.tags if gen.names_tag(excluded, t)]
    missing = [n for n in named if not any(gen.names_tag([n], t) for t in seen)]
    assert not missing, "never generated: %s" % missing
    assert not leaked, leaked[:10]


# ---- the guest kernel in real ring 3 (ring=3, docs/ring-compression.md) ----

@pytest.fixture(scope="module")
def ring3_batch(tmp):
    need(difftest.GUEST)
    path = os.path.join(tmp, "batch3.bin")
    seqs = gen.write_batch(SEED, 0, RING3_COUNT, path, kernel_ring=3)
    return path, seqs


@pytest.fixture(scope="module")
def ring3_native(ring3_batch):
    return difftest.BatchRun(difftest.NATIVE, ring3_batch[0], 0, RING3_COUNT)


@pytest.mark.parametrize("shadow", RING3_SHADOWS)
def test_monitor_agrees_with_native_in_ring3(ring3_native, ring3_batch, tmp, shadow):
    """With the guest kernel in real ring 3, every sequence leaves the
    native observations, apart from ring 1's lists and ring 3's own
    (expected.py RING3_HOLES: what the CPU's checks at CPL 3 cannot tell
    from user mode); the batch still runs the forms ring 3 handles by
    trapping (far JMP to conforming code, user loads of not-present kernel
    segments, SS and DS loads of user segments from user mode)."""
    need(difftest.MONITOR)
    path, seqs = ring3_batch
    assert {s.ring for s in seqs} == {0, 3}
    tags = {t for s in seqs for t in s.tags}
    assert {"far.jmp.conf", "seg.data.np", "seg.check.lar.udata"} <= tags, tags
    assert not ring3_native.stops, ring3_native.stops
    run = difftest.BatchRun(shadow, path, 0, RING3_COUNT, ring=3)
    mismatches = difftest.compare(ring3_native, run)
    shown = []
    for m in mismatches[:DETAILS]:
        text, _ = difftest.detail(gen.sequence(SEED, m.index, kernel_ring=3), shadow, tmp, SEED,
                                  m.context, ring=3)
        shown.append(str(m) + "\n" + text)
    assert not mismatches, "%d of %d sequences differ under ring=3:\n%s" % (
        len(mismatches), RING3_COUNT, "\n".join(shown))


def test_ring3_holes_still_differ(tmp):
    """A sequence made of each kind of RING3_HOLES entry still differs under
    ring=3 (and agrees under ring=1): the list names real holes, and
    shrinks if the monitor ever hides one."""
    need(difftest.MONITOR)
    seqs = [gen.witness(k, ring, lines) for k, (ring, lines) in enumerate(RING3_HOLE_SAMPLES)]
    path = os.path.join(tmp, "ring3-holes.bin")
    gen.write_witnesses(seqs, path)
    native, stop = difftest.full_states(difftest.NATIVE, path, len(seqs))
    assert not stop and len(native) == len(seqs), stop
    for ring, want in ((3, True), (1, False)):
        mon, stop = difftest.full_states("cached", path, len(seqs), ring)
        assert not stop, stop
        got = [bool(difftest.compare_fields(native[s.index], mon[s.index])) for s in seqs]
        assert got == [want] * len(seqs), (ring, list(zip(RING3_HOLE_SAMPLES, got)))


# one sequence per kind of RING3_HOLES entry: (ring, lines)
RING3_HOLE_SAMPLES = [
    (0, ["mov ax, 0x13", "mov ds, ax"]),                # seg.data.kdata_rpl3
    (0, ["mov ax, 0x6b", "mov ss, ax"]),                # seg.ss.udata_a0
    (3, ["mov ax, 0x10", "lar ebx, eax"]),              # seg.check.lar.kdata
    (3, ["mov ax, 0x40", "verr ax"]),                   # seg.check.verr.np
]


# ---- on Bochs (GRUB ISOs, test/integration/bochs.py) ----

BOCHS_SEED = 1          # its sequences 7 and 171 write a non-canonical SYSENTER_ESP/EIP:
BOCHS_COUNT = 300       # #GP on Bochs's long-mode CPU (docs/conformance.md, "On Bochs")


@pytest.mark.bochs
def test_bochs_monitor_agrees_with_native(tmp):
    """The same batch natively on Bochs and under the monitor on Bochs with
    each shadow strategy: the same observations apart from expected.py's
    lists.  Bochs is a second CPU model with its own answers (a long-mode
    CPU: 64-bit SYSENTER_ESP/EIP checked for canonical; #GP on a null data
    segment); the monitor follows the CPU underneath (hostcpu.c)."""
    need(difftest.MONITOR)
    path = os.path.join(tmp, "bochs-batch.bin")
    gen.write_batch(BOCHS_SEED, 0, BOCHS_COUNT, path)
    native = difftest.BatchRun(difftest.NATIVE, path, 0, BOCHS_COUNT, bochs=True)
    assert not native.stops, native.stops
    assert len(native.results) == BOCHS_COUNT
    ends = {v for _, v, _ in native.results.values()}
    assert {"81", "0d", "0e"} <= ends, ends
    failed = []
    for shadow in SHADOWS:
        run = difftest.BatchRun(shadow, path, 0, BOCHS_COUNT, bochs=True)
        mismatches = difftest.compare(native, run)
        for m in mismatches[:DETAILS]:
            text, _ = difftest.detail(gen.sequence(BOCHS_SEED, m.index), shadow, tmp,
                                      BOCHS_SEED, m.context, bochs=True)
            failed.append(str(m) + "\n" + text)
        failed += [str(m) for m in mismatches[DETAILS:]]
    assert not failed, "on Bochs, %d mismatches of %d sequences x %d strategies:\n%s" % (
        len(failed), BOCHS_COUNT, len(SHADOWS), "\n".join(failed))


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
