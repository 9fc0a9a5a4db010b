"""test_fastpt.py - the fast paths around the shadow MMU (issue 12): the
guest kernel's store to its TSS.ESP0 done by the switcher, the fast CLI
and STI that hide and show user code by loading the other GDT, and a page
table being rewritten byte by byte released at its first write.

Each is checked where it must happen and where it must not: minios's
context switches under shadow=cached, ring=1 store ESP0 through the
switcher (the exit table's 'tss esp0' count) while its whole test suite
still matches the native transcript; shadow=vtlb and ring=3 never arm the
store; the suite's recycled page tables are released, not emulated byte
by byte.  make bench's ctx-switch row is the cost: under 1100 guest
instructions per switch under cached (5948 before; docs/shadow-paging.md).
"""
import re

import pytest

from guestrun import (run_monitor, run_qemu, check_test_transcript, bench_results, make,
                      shadow_counters)

KERNEL = "build/minios.elf"
MONITOR = "build/monitor.elf"
FAST = re.compile(r"switcher fast path: cli (\d+), sti (\d+), mov cr3 (\d+),.* tss esp0 (\d+)")
RECYCLED = re.compile(r"narrower than an entry \(frame released\) (\d+)")
CTX_SWITCH_MAX = 1100   # cached, ring=1, guest instructions per switch (make bench)


@pytest.fixture(scope="module", autouse=True)
def built():
    make("all")


@pytest.fixture(scope="module")
def native():
    return run_qemu(KERNEL, "tests")


def suite(append):
    run = run_monitor(MONITOR, KERNEL, "tests", append)
    assert not run.timed_out, append
    return run


def fast_counts(run):
    m = FAST.search(run.log)
    assert m, "no 'switcher fast path' line in the exit table"
    return dict(zip(("cli", "sti", "mov_cr3", "esp0"), (int(g) for g in m.groups())))


def test_esp0_store_is_done_by_the_switcher(native):
    run = suite("shadow=cached ring=1")
    assert run.text == native.text, "the suite's transcript differs from the native one"
    assert not check_test_transcript(run.lines())
    c = fast_counts(run)
    assert c["esp0"] > 100, c           # every context switch but the first after a change
    assert c["cli"] > 0 and c["sti"] > 0, c


@pytest.mark.parametrize("append", ["shadow=vtlb ring=1", "shadow=cached ring=3",
                                    "shadow=cached ring=1 trace=mmu"])
def test_esp0_store_not_armed(native, append):
    """vtlb empties its shadow at every CR3 write, ring=3 has no direct
    gates, tracing wants every trap: the store goes through C."""
    run = suite(append)
    if "trace" not in append:
        assert run.text == native.text, "the suite's transcript differs from the native one"
    assert fast_counts(run)["esp0"] == 0


def test_recycled_page_tables_are_released():
    """minios zeroes a recycled page directory byte by byte (vm_new): the
    first byte write to a page table releases it (cached)."""
    run = suite("shadow=cached ring=1")
    m = RECYCLED.search(run.log)
    assert m and int(m.group(1)) > 0, "no frame released for a byte-wise rewrite"
    assert shadow_counters(run.log)["ptwrites"][0] > 0


def test_ctx_switch_cost():
    run = run_monitor(MONITOR, KERNEL, "bench", "shadow=cached", icount=True, timeout=300)
    res = bench_results(run.lines())
    assert "ctx-switch" in res, sorted(res)
    assert res["ctx-switch"] <= CTX_SWITCH_MAX, res["ctx-switch"]
