"""test_trace.py - the monitor's trace= option prints what it says it does.

trace=traps: one line per trap (vector, guest EIP, ring, instruction,
action); trace=io: each port access and the device that took it;
trace=mmu: the shadow MMU's events, under shadow=vtlb (fills, flushes) and
under shadow=cached (cache hits and misses, protections, emulated
page-table writes, unprotects, evictions, drops, fills).  Each case boots
one guest and requires at least one line of each kind.
"""
import re

import pytest

from guestrun import run_monitor

TRAPS = [
    r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=cli -> emulated$",
    r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=out port 0x3f8 -> emulated$",
    r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=mov to cr cr3 -> emulated$",
    r"^monitor: trap #PF +eip=0x[0-9a-f]{8} ring=1 (err=0x\d )?va=0x[0-9a-f]+ "
    r"-> shadow filled \(hidden fault\)$",
    r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=rdpmc -> emulated: it faults, "
    r"fault injected$",
]
IO_MMU_VTLB = [
    r"^monitor: io out port 0x3f8 size 1 <- 0x61 \(uart\)$",
    r"^monitor: io out port 0x43 size 1 <- 0x[0-9a-f]+ \(pit\)$",
    r"^monitor: mmu flush: guest cr3 0x[0-9a-f]+ cr0 0x80010011 cr4 0x10$",
    r"^monitor: mmu fill va 0xc0[0-9a-f]+ -> gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+ [RW][US] \(4 MB\)$",
]
MMU_CACHED = [
    r"^monitor: mmu cr3 0x[0-9a-f]+: cached shadow reused \(hit\)$",
    r"^monitor: mmu cr3 0x[0-9a-f]+: no cached shadow, new empty one \(miss\)$",
    r"^monitor: mmu protect gpa 0x[0-9a-f]+: now a page table, \d+ mappings made read-only$",
    r"^monitor: mmu write to page table at va 0x[0-9a-f]+ \(gpa 0x[0-9a-f]+\): emulate$",
    r"^monitor: mmu page-table write gpa 0x[0-9a-f]+ \(4 bytes\): \d+ shadow entries, "
    r"\d+ shadow tables dropped$",
    r"^monitor: mmu unprotect gpa 0x[0-9a-f]+: written 16 times without a walk, "
    r"no longer shadowed as a page table$",
    r"^monitor: mmu evict shadow of guest cr3 0x[0-9a-f]+ \(least recently used\)$",
    r"^monitor: mmu drop shadow of guest cr3 0x[0-9a-f]+: its page directory was released$",
    r"^monitor: mmu fill va 0x[0-9a-f]+ -> gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+ [RW][US].* "
    r"\(new shadow table\)$",
]
TRAP_LINE = "trap "

CASES = [
    # id, minios command line, monitor options, lines required, trap lines allowed
    pytest.param("attack=rdpmc", "trace=traps", TRAPS, True, id="traps"),
    pytest.param("attack=rdpmc", "shadow=vtlb trace=io,mmu", IO_MMU_VTLB, False, id="io,mmu-vtlb"),
    pytest.param("tests", "trace=mmu shadow_cache=4", MMU_CACHED, True, id="mmu-cached",
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("cmdline,options,required,trap_lines", CASES)
def test_trace(kernel, monitor, show, cmdline, options, required, trap_lines):
    """Every kind of line the option promises appears (and trace=io,mmu
    prints no trap lines); the guest still exits 0."""
    run = run_monitor(monitor, kernel, cmdline, options, timeout=120)
    show(run, "monitor %s, %s" % (options, cmdline))
    lines = run.log.splitlines()
    missing = [w for w in required if not any(re.match(w, l) for l in lines)]
    assert run.exit_code == 0
    assert not missing, "no line matches %s" % missing
    if not trap_lines:
        assert not any(TRAP_LINE in l for l in lines), "trap lines without trace=traps"
