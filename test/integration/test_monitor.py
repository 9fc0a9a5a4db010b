"""test_monitor.py - minios deprivileged under the monitor (ring 1), on
QEMU and on Bochs.

Popek and Goldberg's equivalence, checked on minios: its test suite passes
with its kernel in ring 1 under each shadow strategy, and the guest's
transcript is the native run's (byte for byte on QEMU; on Bochs, where
GRUB's output comes first, line for line from minios's first).  The
monitor's exit table shows that the kernel did trap and was emulated (not
that it ran natively by mistake), and each strategy's counters show it at
work.  Each of these runs on QEMU and, from a GRUB ISO of the same ELF
files, on Bochs, a second, independent x86 model (marker bochs).  Then what
the monitor must get right around a guest: loading it where its ELF says,
refusing a bad command line or a bad image in one line, passing further
multiboot modules on, and the holes suite failing exactly the documented
checks (docs/x86-holes.md).
"""
import os
import struct

import pytest

from guestrun import (run_qemu, run_monitor, check_test_transcript, holes_results, exit_table,
                      shadow_counters, trapped_counts, elf_load_facts, suite_lines, MON_EXIT_BAD_OPTION,
                      MON_EXIT_BAD_GUEST, HOLES_TOTAL, HOLES_FAIL_UNDER_MONITOR,
                      HOLES_FAIL_IFLAG_SOFT)

STRATEGIES = ["cached", "vtlb"]
EMULATORS = ["qemu", "bochs"]
GUEST_RAM_MB = 64

# Rows of the exit table minios's test suite must reach: the instructions
# ring 1 refuses, the faults, the timer.
TRAPPED_ROWS = ["cli", "sti", "out", "in", "mov to cr", "mov from cr", "lgdt", "lidt", "ltr",
                "invlpg", "hlt", "#GP", "#PF", "irq0"]
VTLB_MIN_FLUSHES = 1000         # one per guest CR3 write
CACHED_MAX_FLUSHES = 10

CS_RPL_LINE = 20                # the holes suite's line on CS's RPL
HOLES_EXIT_FAILED = 1

MINIOS_EXIT_BAD_CMDLINE = 2
MODULE_PAYLOAD = b"Zmodule payload\n"


def on(emulator, *marks):
    """A pytest param's marks for a case on EMULATOR: bochs for Bochs."""
    return list(marks) + ([pytest.mark.bochs] if emulator == "bochs" else [])


# The tests that read one suite_run go to one pytest-xdist worker (make
# test runs --dist loadgroup), which then boots it once.
SUITE_RUNS = {"%s-%s" % (e, s): pytest.param(
    (e, s), id="%s-%s" % (e, s),
    marks=on(e, pytest.mark.xdist_group("monitor-suite-%s-%s" % (e, s))))
    for e in EMULATORS for s in STRATEGIES}


@pytest.fixture(scope="module", params=list(SUITE_RUNS.values()))
def suite_run(request, boot):
    """(emulator, strategy, run): minios's test suite under the monitor
    with shadow=<strategy>, on <emulator>."""
    emulator, shadow = request.param
    return emulator, shadow, boot(emulator, "tests", "shadow=" + shadow)


@pytest.mark.parametrize("suite_run", [SUITE_RUNS["qemu-cached"]], indirect=True)
def test_loads_at_physical_addresses(kernel, suite_run, show):
    """The monitor loads minios at its physical addresses, entry as in the ELF."""
    _, _, run = suite_run
    show(run, "monitor, tests")
    entry, lo, hi, n = elf_load_facts(kernel)
    want = ("guest '%s tests' loaded: %d segment(s) at 0x%x-0x%x, entry 0x%x, %d MB"
            % (kernel, n, lo, hi, entry, GUEST_RAM_MB))
    assert want in run.log


def test_suite_passes(suite_run, show):
    """minios's test suite passes with its kernel in ring 1; the guest
    exits 0 (on Bochs: as the monitor logs it, and shuts Bochs down)."""
    emulator, shadow, run = suite_run
    show(run, "monitor shadow=%s on %s, tests" % (shadow, emulator))
    problems = check_test_transcript(run.lines())
    assert not run.timed_out, "no end by the guest (timeout, or Bochs stopped)"
    assert not problems, "; ".join(problems[:5])
    assert run.exit_code == 0


def test_transcript_identical(suite_run, native_suite, show):
    """The guest's transcript is the native QEMU run's: byte-identical on
    QEMU, line for line after GRUB's output on Bochs."""
    emulator, shadow, run = suite_run
    show(run, "monitor shadow=%s on %s, tests" % (shadow, emulator))
    show(native_suite, "native on qemu, tests")
    if emulator == "qemu":
        got, want = run.lines(), native_suite.lines()
    else:
        got, want = suite_lines(run.lines()), suite_lines(native_suite.lines())
    first = next((i + 1 for i, (a, b) in enumerate(zip(got, want)) if a != b), None)
    assert got == want, "first differing line: %s (lengths %d/%d)" % (first, len(got), len(want))
    if emulator == "qemu":
        assert run.text == native_suite.text


def test_exit_table_shows_traps(suite_run, show):
    """The exit table shows the kernel trapped and was emulated (by the
    dispatcher, or by the switcher's fast path for CLI, STI, MOV CR3, IN,
    MOV from CR and INVLPG)."""
    emulator, shadow, run = suite_run
    show(run, "monitor shadow=%s on %s, tests" % (shadow, emulator))
    rows = trapped_counts(run.log)
    zero = [k for k in TRAPPED_ROWS if rows.get(k, 0) == 0]
    assert not zero, "zero or missing rows: %s" % zero


def test_shadow_counters(suite_run, show):
    """The exit table names the strategy.  vtlb: a flush per CR3 write, no
    cache counters.  cached: cache hits outnumber misses, page-table writes
    emulated, no flush per CR3 write."""
    emulator, shadow, run = suite_run
    show(run, "monitor shadow=%s on %s, tests" % (shadow, emulator))
    c = shadow_counters(run.log)
    assert c["strategy"] == shadow, repr(c)
    if shadow == "vtlb":
        assert c.get("hidden", (0, 0))[1] > VTLB_MIN_FLUSHES, repr(c)
        assert "cache" not in c, repr(c)
        return
    hits, misses, _ = c.get("cache", (0, 0, 0))
    alloc, freed = c.get("spt", (0, 0))
    assert hits > misses > 0, repr(c)
    assert c.get("ptwrites", (0, 0))[0] > 0, repr(c)
    assert alloc >= freed, repr(c)
    assert c.get("protect", (0,))[0] > 0, repr(c)
    assert c.get("hidden", (0, 99))[1] < CACHED_MAX_FLUSHES, repr(c)


@pytest.mark.parametrize("suite_run", [SUITE_RUNS["qemu-cached"], SUITE_RUNS["bochs-cached"]],
                         indirect=True)
def test_ptwrites_listed_by_instruction(suite_run, show):
    """shadow=cached: emulated page-table writes are listed by instruction."""
    emulator, shadow, run = suite_run
    show(run, "monitor shadow=%s on %s, tests" % (shadow, emulator))
    rows = exit_table(run.log)
    assert rows.get("mov", 0) > 0, "no 'mov' row in %r" % rows


HOLES_CASES = [
    # id, emulator, monitor options, the checks that fail
    ("qemu", "qemu", "", HOLES_FAIL_UNDER_MONITOR),
    ("qemu-iflag=soft", "qemu", "iflag=soft", HOLES_FAIL_IFLAG_SOFT),
    ("bochs", "bochs", "", HOLES_FAIL_UNDER_MONITOR),
]


@pytest.mark.parametrize("emulator,options,expected", [
    pytest.param(*c[1:], id=c[0], marks=on(c[1])) for c in HOLES_CASES])
def test_holes(boot, show, emulator, options, expected):
    """The holes suite fails exactly the documented checks (with
    iflag=soft, PUSHF after CLI shows IF=1 too); CS RPL reads 1; the guest
    exits 1 (on Bochs: as the monitor logs it)."""
    run = boot(emulator, "holes", options, timeout=120)
    show(run, "monitor %s on %s, holes" % (options, emulator))
    res = holes_results(run.lines())
    failing = {n for n, (ok, _) in res.items() if not ok}
    rpl = res.get(CS_RPL_LINE, (True, ""))[1]
    assert not run.timed_out, "no end by the guest (timeout, or Bochs stopped)"
    assert len(res) == HOLES_TOTAL, "%d lines" % len(res)
    assert failing == expected, "unexpected failures %s, unexpected passes %s" % (
        sorted(failing - expected), sorted(expected - failing))
    assert "observed RPL 1" in rpl, "line %d: %r" % (CS_RPL_LINE, rpl)
    assert run.exit_code == HOLES_EXIT_FAILED


# ---- refusals: each in one line, before the guest starts ----

def garbage_image(tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes((i * 37 + 11) % 256 for i in range(5000)))
    return str(path)


def user_elf(kernel):
    """An ELF that is no kernel: a minios user program, built beside it."""
    return os.path.join(os.path.dirname(kernel), "minios", "user", "utest.elf")


HIGH_PADDR = 0x07000000         # 112 MB: beyond 64 MB of guest RAM
ELF_PHOFF, ELF_PHENTSIZE = 28, 42
PHDR_PADDR = 12


def moved_segment_image(tmp_path, kernel):
    """minios with its last segment moved to 112 MB: too high for 64 MB of RAM."""
    img = bytearray(open(kernel, "rb").read())
    phoff, = struct.unpack_from("<I", img, ELF_PHOFF)
    phentsize, phnum = struct.unpack_from("<HH", img, ELF_PHENTSIZE)
    loads = [phoff + i * phentsize for i in range(phnum)
             if struct.unpack_from("<I", img, phoff + i * phentsize)[0] == 1]
    struct.pack_into("<I", img, loads[-1] + PHDR_PADDR, HIGH_PADDR)
    path = tmp_path / "minios-high.elf"
    path.write_bytes(bytes(img))
    return str(path)


REFUSALS = [
    # id, the guest (a function of tmp_path and the kernel), monitor options, exit, message
    ("bad-option", lambda t, k: k, "frob", MON_EXIT_BAD_OPTION, "unknown option 'frob'"),
    ("bad-mem-value", lambda t, k: k, "mem=3", MON_EXIT_BAD_OPTION, "mem= takes megabytes"),
    ("more-ram-than-host", lambda t, k: k, "mem=1024", MON_EXIT_BAD_OPTION,
     "not enough host RAM"),
    ("no-guest-module", lambda t, k: None, "", MON_EXIT_BAD_GUEST, "no guest"),
    ("not-a-kernel", lambda t, k: garbage_image(t), "", MON_EXIT_BAD_GUEST,
     "no multiboot header"),
    ("elf-without-multiboot", lambda t, k: user_elf(k), "", MON_EXIT_BAD_GUEST,
     "no multiboot header"),
    ("does-not-fit-guest-ram", moved_segment_image, "", MON_EXIT_BAD_GUEST,
     "outside the allowed address range"),
]


@pytest.mark.parametrize("guest_of,options,code,says", [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])
def test_refusal(kernel, monitor, tmp_path, show, guest_of, options, code, says):
    """The monitor refuses a bad option or a bad guest image in one line,
    with its exit code (0x71 options, 0x72 guest)."""
    run = run_monitor(monitor, guest_of(tmp_path, kernel), "", options, timeout=30)
    show(run, "monitor %r" % options)
    lines = [l for l in run.log.splitlines() if l.strip()]
    assert run.exit_code == code
    assert len(lines) == 1, "%d log lines, not one" % len(lines)
    assert lines[0].startswith("monitor: refused:")
    assert says in lines[0]


def test_passes_modules(kernel, monitor, tmp_path, show):
    """The monitor's second module becomes the guest's first, as QEMU
    -kernel -initrd would pass it natively: minios says the same both ways
    (then refuses attack=none, a name it does not know, with exit code 2)."""
    mod = tmp_path / "payload.bin"
    mod.write_bytes(MODULE_PAYLOAD)
    native = run_qemu(kernel, "attack=none", timeout=30, modules=["%s hello world" % mod])
    run = run_monitor(monitor, kernel, "attack=none,%s hello world" % mod, timeout=30)
    show(native, "native, attack=none + a module")
    show(run, "monitor, attack=none + a module")
    want = ("minios: 1 module(s); the first is '%s hello world', %d bytes, starting 0x%02x"
            % (mod, len(MODULE_PAYLOAD), MODULE_PAYLOAD[0]))
    assert want in native.text
    assert run.text == native.text
    assert run.exit_code == MINIOS_EXIT_BAD_CMDLINE
    assert "passed 1 module(s) to the guest" in run.log
