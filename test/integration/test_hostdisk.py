"""test_hostdisk.py - the monitor's disk path end to end, with a tiny guest.

guests/idetest drives IDE disk 1 (slave) and disk 0 (master) by PIO as
xv6's ide.c drives disk 1 (the registers as the BIOS left them, probe,
IDENTIFY, reads with REP INSL, a write with REP OUTSL read back, an error,
a two-sector read) and prints what it saw.  Natively its ports reach QEMU's
IDE controller; under the monitor they reach the virtual IDE model, whose
backends are the monitor's driver for the host's real disks.  The
transcripts must be identical and the written sectors must be in the host
images afterwards, exactly as natively, with:

  disk1=hd1              the slave alone (xv6's machine; the absent master
                         answers as after SeaBIOS's probe)
  disk0=hd0 disk1=hd1    both drives
  disk0=hd1 disk1=hd0    both, crossed: the guest's master is the host's
                         slave (the option, not the wiring, decides)

A disk option naming a host disk that is not there is refused in one line.

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
SECTORS_MASTER = 48     # the two images differ in size and content
WRITE_LBA = 5
MESSAGE = b"idetest wrote this sector on disk %d\n"
BAD_OPTION = 0x71


@pytest.fixture(scope="module", autouse=True)
def built():
    make("idetest", "build/monitor.elf")    # one make at a time across pytest-xdist workers


def pattern_image(path, sectors=SECTORS, seed=0):
    with open(path, "wb") as f:
        for s in range(sectors):
            f.write(bytes((s * 37 + i * 7 + seed) & 0xFF for i in range(512)))


def run(cmd, timeout=60):
    """(guest exit code or None, stdout text)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    code = p.returncode >> 1 if p.returncode & 1 else None
    return code, p.stdout.decode("utf-8", "replace")


def drive(path, index=1):
    return ["-drive", "file=%s,index=%d,media=disk,format=raw" % (path, index)]


def run_native(img, master=None):
    return run(QEMU_BASE + drive(img) + (drive(master, 0) if master else []) +
               ["-kernel", GUEST])


def run_monitor(img, append, log, master=None):
    return run(MONITOR_QEMU + ["-serial", "stdio", "-debugcon", "file:" + log] +
               (drive(img) if img else []) + (drive(master, 0) if master else []) +
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
    assert "after the BIOS: device 0xb0 status 0x50 error 0x00" in out
    assert "disk 1: status 0x50" in out
    assert "model 'QEMU HARDDISK'" in out
    assert "lba28 sectors %d" % SECTORS in out
    assert "write %d: status 0x58 then 0x50, read back the same" % WRITE_LBA in out
    assert "read past the end: status 0x41 error 0x04" in out
    assert "disk 0: status 0x41\nidentify: status 0x41 error 0x04: no drive\n" in out
    assert out.endswith("idetest: done\n")


def test_monitor_transcript_identical(both_runs):
    (ncode, nout), (mcode, mout), _, _, log = both_runs
    assert mcode == 0, log
    assert mout == nout


def test_guest_write_reaches_host_image(both_runs):
    _, _, nimg, mimg, log = both_runs
    sector = mimg[WRITE_LBA * 512:(WRITE_LBA + 1) * 512]
    assert sector.startswith(MESSAGE % 1)
    assert mimg == nimg                             # and nothing else changed
    assert "guest disk 1 is host disk hd1 (%d sectors)" % SECTORS in log
    assert "guest disk 1: 7 sectors read, 1 written, 1 errors" in log


@pytest.fixture(scope="module")
def two_drive_runs():
    """Natively with a master and a slave, and under the monitor twice with
    the same images: straight (disk0=hd0 disk1=hd1) and crossed (QEMU's
    drives swapped, disk0=hd1 disk1=hd0: the guest sees the same disks)."""
    with tempfile.TemporaryDirectory() as tmp:
        imgs = {}
        for run_name in ("native", "straight", "crossed"):
            m, s = os.path.join(tmp, run_name + "-0.img"), os.path.join(tmp, run_name + "-1.img")
            pattern_image(m, SECTORS_MASTER, seed=101)
            pattern_image(s)
            imgs[run_name] = (m, s)
        log = lambda n: os.path.join(tmp, n + ".log")
        native = run_native(imgs["native"][1], master=imgs["native"][0])
        straight = run_monitor(imgs["straight"][1], "disk0=hd0 disk1=hd1", log("straight"),
                               master=imgs["straight"][0])
        # crossed: QEMU's master (index 0) holds the guest's slave image
        crossed = run_monitor(imgs["crossed"][0], "disk0=hd1 disk1=hd0", log("crossed"),
                              master=imgs["crossed"][1])
        read = lambda p: open(p, "rb").read()
        yield {
            "native": (native, [read(p) for p in imgs["native"]], ""),
            "straight": (straight, [read(p) for p in imgs["straight"]], read(log("straight"))),
            "crossed": (crossed, [read(p) for p in imgs["crossed"]], read(log("crossed"))),
        }


def test_native_two_drives(two_drive_runs):
    (code, out), _, _ = two_drive_runs["native"]
    assert code == 0, out
    assert "serial 'QM00002'" in out and "serial 'QM00001'" in out
    assert "lba28 sectors %d" % SECTORS in out and "lba28 sectors %d" % SECTORS_MASTER in out
    assert out.count("read back the same") == 2


@pytest.mark.parametrize("mapping", ["straight", "crossed"])
def test_monitor_two_drives_identical(two_drive_runs, mapping):
    (ncode, nout), nimgs, _ = two_drive_runs["native"]
    (mcode, mout), mimgs, log = two_drive_runs[mapping]
    assert mcode == 0, log
    assert mout == nout
    for unit, (n, m) in enumerate(zip(nimgs, mimgs)):     # each guest disk's image
        assert m[WRITE_LBA * 512:].startswith(MESSAGE % unit)
        assert m == n, "guest disk %d: the image differs from native" % unit
    hd = {"straight": (0, 1), "crossed": (1, 0)}[mapping]
    text = log.decode()
    assert "guest disk 0 is host disk hd%d (%d sectors)" % (hd[0], SECTORS_MASTER) in text
    assert "guest disk 1 is host disk hd%d (%d sectors)" % (hd[1], SECTORS) in text
    for unit in (0, 1):
        assert "guest disk %d: 7 sectors read, 1 written, 1 errors" % unit in text


def test_missing_host_disk_is_refused():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "mon.log")
        code, out = run_monitor(None, "disk1=hd1", log)
        text = open(log).read()
    assert code == BAD_OPTION
    assert "refused: disk1=hd1: host disk hd1: no drive answers there" in text
    assert "idetest" not in out                     # the guest never ran
