"""test_xv6_monitor.py - xv6 (x86, unmodified) under the monitor.

The same runs as test_xv6.py's native reference, through `make run
GUEST=xv6 CMDS=...`: the monitor boots xv6 as its guest with the host disk
copy behind the guest's IDE disk 1 (disk1=hd1), the local APIC and I/O
APIC by MMIO, the firmware's MP tables, and the real IF following the
virtual one (iflag=real) so that xv6's pushcli/popcli read IF right.  The
transcript of the fixed command set must equal the native one (in
xv6run.canonical form: stressfs's output is timing-dependent even
natively), under both shadow strategies and with xv6's kernel in ring 1
and in ring 3, and the file xv6 writes must
reach the host's disk image.  usertests is in test_xv6_usertests.py (slow).
"""
import os
import re
import sys

import pytest

import guestrun
import xv6run
from xv6run import FIXED_CMDS

sys.path.insert(0, os.path.join(xv6run.ROOT, "tools"))
import xv6fs    # noqa: E402

STRATEGIES = ["cached", "vtlb"]
MMIO_TRAPS_MAX = 20000      # the fixed command set's device accesses that trap

# Minutes of guest time on a loaded 2-core machine: marked slow so that the
# harness starts these first (test/conftest.py, run_order).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def xv6_built():
    xv6run.build()
    xv6run.make_monitor()


@pytest.fixture(scope="module")
def native_fixed(tmp_path_factory):
    disk = str(tmp_path_factory.mktemp("native") / "disk.img")
    rc, out, err = xv6run.run("run-native", FIXED_CMDS, 120, disk)
    assert rc == 0, err
    return out


@pytest.mark.parametrize("ring", [1, 3])
@pytest.mark.parametrize("shadow", STRATEGIES)
def test_fixed_commands_same_as_native(native_fixed, shadow, ring, tmp_path):
    disk = str(tmp_path / "disk.img")
    rc, out, err = xv6run.run("run", FIXED_CMDS, 600, disk,
                              ("MONARGS=shadow=%s ring=%d" % (shadow, ring),))
    assert rc == 0, err[-2000:]
    assert xv6run.canonical(out) == xv6run.canonical(native_fixed), (
        "xv6 under the monitor (shadow=%s ring=%d) printed:\n%s\n--- native:\n%s\n"
        "--- monitor log:\n%s" % (shadow, ring, out.decode("utf-8", "replace")[-1500:],
           native_fixed.decode("utf-8", "replace")[-1500:], err[-1500:]))
    assert xv6fs.Xv6Fs(disk).read_file("/d/greeting") == b"hello from xv6\n"
    # the run ended with Ctrl-]: the monitor's line, then its exit table
    assert "monitor: run ended from the console (Ctrl-])\nmonitor: exits by vector:" in err
    assert "guest ended" not in err and "monitor: panic" not in err
    # the local APIC's read image: xv6's mycpu() reads the APIC ID at every
    # pushcli (over a million times here) without a trap; the MMIO accesses
    # left are the writes (EOI after each interrupt, the timer at boot):
    # about 2,000 (docs/xv6.md); without the image, hundreds of thousands
    mmio = re.search(r"MMIO accesses (\d+)", err)
    assert mmio and 0 < int(mmio.group(1)) < MMIO_TRAPS_MAX, mmio and mmio.group(0)


CTRL_RBRACKET = 0x1D        # the monitor's end-of-run byte (docs/xv6.md)


def test_interactive_keys_reach_the_shell():
    """make run GUEST=xv6 without CMDS, on a terminal: typed keys reach
    xv6's shell through the monitor (the host's COM1, the virtual UART, its
    interrupt through the I/O APIC); Ctrl-] ends the run with the exit
    table, and make succeeds."""
    status, shown = xv6run.interactive("run", "echo typed-by-hand", end=CTRL_RBRACKET)
    assert "typed-by-hand\r\ntyped-by-hand\r\n$ " in shown, shown[-1500:]
    assert "monitor: run ended from the console (Ctrl-])" in shown, shown[-1500:]
    assert "monitor: exits by vector:" in shown
    assert "console: run ended by the end byte" in shown
    assert status == 0, shown[-1500:]
