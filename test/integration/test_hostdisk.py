"""test_hostdisk.py - the monitor's disk path end to end, with a tiny guest.

guests/idetest drives IDE disk 1 by PIO as xv6's ide.c does (probe,
IDENTIFY, reads with REP INSL, a write with REP OUTSL read back, an error,
a two-sector read) and prints what it saw.  Natively its ports reach QEMU's
IDE controller; under the monitor (disk1=hd1) they reach the virtual IDE
model, whose backend is the monitor's driver for the host's real disk.  The
transcripts must be identical and the written sector must be in the host
image afterwards, exactly as natively.  A disk option naming a host disk
that is not there is refused in one line.

    /usr/bin/python3 -m pytest test/integration/test_hostdisk.py
"""
import os
import subprocess
import tempfile

import pytest

from guestrun import QEMU_BASE, MONITOR_QEMU, make

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GUEST = os.path.join(ROOT, "build", "idetest.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
SECTORS = 64
WRITE_LBA = 5
MESSAGE = b"idetest wrote this sector\n"
BAD_OPTION = 0x71


@pytest.fixture(scope="module", autouse=True)
def built():
    make("idetest", "build/monitor.elf")    # one make at a time across pytest-xdist workers


def pattern_image(path):
    with open(path, "wb") as f:
        for s in range(SECTORS):
            f.write(bytes((s * 37 + i * 7) & 0xFF for i in range(512)))


def run(cmd, timeout=60):
    """(guest exit code or None, stdout text)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    code = p.returncode >> 1 if p.returncode & 1 else None
    return code, p.stdout.decode("utf-8", "replace")


def drive(path):
    return ["-drive", "file=%s,index=1,media=disk,format=raw" % path]


def run_native(img):
    return run(QEMU_BASE + drive(img) + ["-kernel", GUEST])


def run_monitor(img, append, log):
    return run(MONITOR_QEMU + ["-serial", "stdio", "-debugcon", "file:" + log] +
               (drive(img) if img else []) +
               ["-kernel", MONITOR, "-initrd", GUEST, "-append", append])


@pytest.fixture(scope="module")
def both_runs():
    with tempfile.TemporaryDirectory() as tmp:
        native_img, mon_img = os.path.join(tmp, "n.img"), os.path.join(tmp, "m.img")
        pattern_image(native_img)
        pattern_image(mon_img)
        native = run_native(native_img)
        monitor = run_monitor(mon_img, "disk1=hd1", os.path.join(tmp, "mon.log"))
        with open(os.path.join(tmp, "mon.log")) as f:
            log = f.read()
        yield native, monitor, open(native_img, "rb").read(), open(mon_img, "rb").read(), log


def test_native_transcript_is_sane(both_runs):
    (code, out), _, _, _, _ = both_runs
    assert code == 0, out
    assert "disk 1: status 0x50" in out
    assert "model 'QEMU HARDDISK'" in out
    assert "lba28 sectors %d" % SECTORS in out
    assert "write %d: status 0x58 then 0x50, read back the same" % WRITE_LBA in out
    assert "read past the end: status 0x41 error 0x04" in out
    assert out.endswith("idetest: done\n")


def test_monitor_transcript_identical(both_runs):
    (ncode, nout), (mcode, mout), _, _, log = both_runs
    assert mcode == 0, log
    assert mout == nout


def test_guest_write_reaches_host_image(both_runs):
    _, _, nimg, mimg, log = both_runs
    sector = mimg[WRITE_LBA * 512:(WRITE_LBA + 1) * 512]
    assert sector.startswith(MESSAGE)
    assert mimg == nimg                             # and nothing else changed
    assert "guest disk 1 is host disk hd1 (%d sectors)" % SECTORS in log
    assert "guest disk 1: 7 sectors read, 1 written, 1 errors" in log


def test_missing_host_disk_is_refused():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "mon.log")
        code, out = run_monitor(None, "disk1=hd1", log)
        text = open(log).read()
    assert code == BAD_OPTION
    assert "refused: disk1=hd1: host disk hd1: no drive answers there" in text
    assert "idetest" not in out                     # the guest never ran
