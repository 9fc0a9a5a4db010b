"""test_lowload.py - a multiboot kernel linked at 0x8000 boots under the
monitor with its multiboot info intact.

The monitor's loader used to build the guest's multiboot info block (and
its command line and memory map) at guest-physical 0x8000; a kernel whose
segments cover that address was overwritten by its own boot information.
loader.c's place_info() now moves the block past the end of any segment
that covers it.  guests/lowload checks, from inside, that the block, the
command line and the memory map lie outside its image, and exits 0 only if
all of them do.

Natively QEMU's own multiboot loader keeps its info block at 0x9500 and
fills it from an option ROM that uses the low 64 KB, so lowload has no
native transcript to compare with: its own verdicts are the test.
"""
import os

import pytest

from guestrun import run_monitor, make

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
LOWLOAD = os.path.join(ROOT, "build", "lowload.elf")

CHECKS = [
    "lowload: multiboot magic in EAX: yes",
    "lowload: the info block is outside the image: yes",
    "lowload: the command line is outside the image: yes",
    "lowload: the memory map is outside the image: yes",
    "lowload: memory map entries with RAM at 0: 1",
    "lowload: the memory size is given: yes",
]


@pytest.fixture(scope="module", autouse=True)
def built():
    make("lowload", "build/monitor.elf")    # one make at a time across xdist workers


@pytest.mark.parametrize("strategy", ["cached", "vtlb"])
def test_low_kernel_keeps_its_boot_info(strategy):
    run = run_monitor(MONITOR, LOWLOAD, "hello", append="shadow=" + strategy, timeout=60)
    assert run.exit_code == 0, run.text[-600:] + run.log[-600:]
    lines = run.lines()
    for want in CHECKS:
        assert want in lines, "missing %r in:\n%s" % (want, run.text)
