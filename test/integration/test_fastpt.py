"""test_fastpt.py - the fast paths around the shadow MMU (issue 12): the
guest kernel's stores to its TSS.ESP0 and to its page tables done by the
switcher, the fast CLI and STI that hide and show user code by loading
the other GDT, and a page table being rewritten byte by byte released at
its first write.

Each is checked where it must happen and where it must not: minios's
context switches under shadow=cached, ring=1 store ESP0 through the
switcher (the exit table's 'tss esp0' count), and its page-table stores
(vm_map, break_cow, vm_copy_cow, vm_unmap_range: 'page-table writes'),
while its whole test suite still matches the native transcript;
shadow=vtlb, ring=3 and trace=mmu never arm either; the suite's recycled
page tables are released, not emulated byte by byte.  make bench's rows
are the cost: under 1100 guest instructions per switch (ctx-switch, 5948
before) and under 1500 per PTE write, INVLPG and touch (pte-invlpg, 2965
before) under cached (docs/shadow-paging.md).
"""
import re

import pytest

from guestrun import (run_monitor, run_qemu, check_test_transcript, bench_results, make,
                      shadow_counters)

KERNEL = "build/minios.elf"
MONITOR = "build/monitor.elf"
FAST = re.compile(r"switcher fast path: cli (\d+), sti (\d+), mov cr3 (\d+),.* tss esp0 (\d+), "
                  r"page-table writes (\d+)")
RECYCLED = re.compile(r"narrower than an entry \(frame released\) (\d+)")
CTX_SWITCH_MAX = 1100   # cached, ring=1, guest instructions per switch (make bench)
PTE_INVLPG_MAX = 1500   # ...per PTE write, INVLPG and touch


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
    return dict(zip(("cli", "sti", "mov_cr3", "esp0", "ptw"), (int(g) for g in m.groups())))


@pytest.fixture(scope="module")
def cached_run():
    return suite("shadow=cached ring=1")


def test_esp0_store_is_done_by_the_switcher(native, cached_run):
    run = cached_run
    assert run.text == native.text, "the suite's transcript differs from the native one"
    assert not check_test_transcript(run.lines())
    c = fast_counts(run)
    assert c["esp0"] > 100, c           # every context switch but the first after a change
    assert c["cli"] > 0 and c["sti"] > 0, c


def test_pt_stores_are_done_by_the_switcher(native, cached_run):
    """Most of minios's page-table stores (each site after its first, C's),
    while the transcript stays native; C still emulates some."""
    run = cached_run
    assert run.text == native.text, "the suite's transcript differs from the native one"
    c = fast_counts(run)
    emulated = shadow_counters(run.log)["ptwrites"][0]
    assert c["ptw"] > 1000 and c["ptw"] > emulated, (c, emulated)


@pytest.mark.parametrize("append", ["shadow=vtlb ring=1", "shadow=cached ring=3",
                                    "shadow=cached ring=1 trace=mmu"])
def test_esp0_store_not_armed(native, append):
    """vtlb empties its shadow at every CR3 write, ring=3 has no direct
    gates, tracing wants every trap: the store goes through C.  The
    page-table stores too: vtlb protects no page table, ring=3's kernel
    stores are user faults, tracing wants them."""
    run = suite(append)
    if "trace" not in append:
        assert run.text == native.text, "the suite's transcript differs from the native one"
    c = fast_counts(run)
    assert c["esp0"] == 0 and c["ptw"] == 0, c


def test_recycled_page_tables_are_released():
    """minios zeroes a recycled page directory byte by byte (vm_new): the
    first byte write to a page table releases it (cached)."""
    run = suite("shadow=cached ring=1")
    m = RECYCLED.search(run.log)
    assert m and int(m.group(1)) > 0, "no frame released for a byte-wise rewrite"
    assert shadow_counters(run.log)["ptwrites"][0] > 0


def test_ctx_switch_and_pte_invlpg_cost():
    run = run_monitor(MONITOR, KERNEL, "bench", "shadow=cached", icount=True, timeout=300)
    res = bench_results(run.lines())
    assert "ctx-switch" in res and "pte-invlpg" in res, sorted(res)
    assert res["ctx-switch"] <= CTX_SWITCH_MAX, res["ctx-switch"]
    assert res["pte-invlpg"] <= PTE_INVLPG_MAX, res["pte-invlpg"]
