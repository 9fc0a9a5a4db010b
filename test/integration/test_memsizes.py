"""test_memsizes.py - minios's suite with 64 to 512 MB of RAM, natively and
under the monitor with mem= of the same size.

minios maps RAM at 0xC0000000 (up to 768 MB) and keeps its test windows at
0xF0000000, above any direct map; before, the windows sat at 0xD0000000
and collided with the direct map of more than 256 MB (test 16 failed
natively at -m 512).
"""
import os
import subprocess

import pytest

from guestrun import QEMU_BASE, GuestRun, check_test_transcript

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "minios.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
SIZES = [64, 128, 256, 512]


def boot(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return GuestRun((e.stdout or b"").decode("utf-8", "replace"), None, True)
    code = p.returncode >> 1 if p.returncode & 1 else None
    return GuestRun(p.stdout.decode("utf-8", "replace"), code, False)


def with_memory(cmd, mb):
    cmd = list(cmd)
    cmd[cmd.index("-m") + 1] = str(mb)
    return cmd


@pytest.mark.parametrize("mb", SIZES)
def test_native(mb):
    run = boot(with_memory(QEMU_BASE, mb) + ["-kernel", KERNEL, "-append", "tests"], 180)
    assert run.exit_code == 0, run.text[-600:]
    assert check_test_transcript(run.lines()) == []


@pytest.mark.parametrize("mb", SIZES)
def test_monitor(mb):
    cmd = with_memory(QEMU_BASE, mb + 192)
    cmd = [c for c in cmd]
    run = boot(cmd + ["-kernel", MONITOR, "-initrd", KERNEL + " tests",
                      "-append", "mem=%d" % mb], 240)
    assert run.exit_code == 0, run.text[-600:]
    assert check_test_transcript(run.lines()) == []
