"""test_xv6.py - xv6 (x86, unmodified) on bare QEMU: the native reference.

What the monitor's xv6 runs are compared with: xv6 boots natively to its
shell, a fixed set of commands gives a transcript, two runs give the same
bytes, and a file xv6 writes reaches the host's disk image (read back with
tools/xv6fs.py).  Every run goes through the same make target a user types
(`make run-native GUEST=xv6 CMDS=...`, test/integration/xv6run.py), which
drives the console with scripts/console.py.  "The same bytes" allows one
thing: the order of stressfs's output, which follows the timer even natively
(xv6run.canonical).  The console script's own failure paths (panic,
timeout, early end) are checked with a fake guest, no QEMU needed.

    /usr/bin/python3 -m pytest test/integration/test_xv6.py      (usertests: -m slow)
"""
import os
import sys

import pytest

import xv6run
from xv6run import FIXED_CMDS, XB

sys.path.insert(0, os.path.join(xv6run.ROOT, "scripts"))
sys.path.insert(0, os.path.join(xv6run.ROOT, "tools"))
import console  # noqa: E402
import xv6fs    # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def xv6_built():
    xv6run.build()


def run_native(cmds, timeout=120, keep_disk=None):
    return xv6run.run("run-native", cmds, timeout, keep_disk)


def prompt_count(transcript):
    return transcript.count(b"$ ")


@pytest.fixture(scope="module")
def fixed_run(tmp_path_factory):
    disk = str(tmp_path_factory.mktemp("xv6") / "disk.img")
    rc, out, err = run_native(FIXED_CMDS, keep_disk=disk)
    assert rc == 0, err
    return out, disk


def test_boots_to_shell():
    rc, out, err = run_native(";")
    assert rc == 0, err
    assert out.startswith(b"xv6...\ncpu0: starting 0\n")
    assert out.endswith(b"init: starting sh\n$ ")
    assert "0 command(s) done" in err


def test_fixed_commands_transcript(fixed_run):
    out, _ = fixed_run
    readme = open(os.path.join(XB, "README"), "rb").read()
    assert b"\n$ ls\n.              1 1 512\n" in out
    assert b"README         2 2 %d\n" % len(readme) in out
    assert b"$ echo hi\nhi\n$ " in out
    assert b"$ cat README\n" + readme + b"$ " in out        # README has no final newline
    assert b"$ ls d\n.              1 " in out
    assert b"greeting       2 " in out
    assert b"$ cat d/greeting\nhello from xv6\n$ " in out
    assert b"fork test OK\n" in out
    assert b"stressfs starting\n" in out
    words, lines = len(readme.split()), readme.count(b"\n")
    assert b"%d %d %d README\n" % (lines, words, len(readme)) in out
    assert prompt_count(out) >= len(console.split_cmds(FIXED_CMDS)) + 1
    assert out.endswith(b"$ ")


def test_grep_finds_lines_of_readme(fixed_run):
    out, _ = fixed_run
    readme = open(os.path.join(XB, "README"), "rb").read()
    expected = b"".join(l + b"\n" for l in readme.split(b"\n") if b"the" in l)
    assert b"$ grep the README\n" + expected in out


def test_two_runs_identical(fixed_run):
    """Byte for byte, except the order of stressfs's output bytes (xv6run.py)."""
    out, _ = fixed_run
    rc, again, err = run_native(FIXED_CMDS)
    assert rc == 0, err
    assert xv6run.canonical(again) == xv6run.canonical(out)
    before = lambda t: t[:t.index(b"$ stressfs")]
    after = lambda t: t[t.index(b"$ wc README"):]
    assert before(again) == before(out) and after(again) == after(out)


def test_canonical_form_sorts_only_stressfs_output():
    a = b"$ echo b\nb\na\n$ stressfs\nstressfs starting\nwrite 1\nread\nwrite 0\n$ "
    b = b"$ echo b\nb\na\n$ stressfs\nstressfs starting\nwrite 0\nwrite 1\nread\n$ "
    assert a != b and xv6run.canonical(a) == xv6run.canonical(b)
    c = b"$ echo b\na\nb\n$ stressfs\nstressfs starting\nwrite 0\nwrite 1\nread\n$ "
    assert xv6run.canonical(c) != xv6run.canonical(b)
    d = b"$ echo b\nb\na\n$ stressfs\nstressfs starting\nwwrite 1\nrite 0\nread\n$ "
    assert xv6run.canonical(d) == xv6run.canonical(b)


def test_file_written_by_xv6_reaches_host_image(fixed_run):
    _, disk = fixed_run
    fs = xv6fs.Xv6Fs(disk)
    assert fs.read_file("/d/greeting") == b"hello from xv6\n"
    names = [e[0] for e in fs.listdir("/d")]
    assert names == [".", "..", "greeting"]
    assert "stressfs0" in [e[0] for e in fs.listdir("/")]
    pristine = xv6fs.Xv6Fs(os.path.join(XB, "fs.img"))
    with pytest.raises(xv6fs.FsError):
        pristine.lookup("/d")           # the run wrote a copy, not the built image


def test_fs_reader_against_built_image():
    fs = xv6fs.Xv6Fs(os.path.join(XB, "fs.img"))
    assert (fs.size, fs.ninodes) == (1000, 200)
    assert fs.read_file("/README") == open(os.path.join(XB, "README"), "rb").read()
    usertests = open(os.path.join(XB, "_usertests"), "rb").read()
    assert len(usertests) > xv6fs.NDIRECT * xv6fs.BSIZE        # uses the indirect block
    assert fs.read_file("/usertests") == usertests
    with pytest.raises(xv6fs.FsError, match="no such file"):
        fs.read_file("/nope")


def test_interactive_keys_reach_the_shell():
    """make run-native GUEST=xv6 without CMDS, on a terminal: what is typed
    reaches xv6's shell through COM1 and its output comes back."""
    status, shown = xv6run.interactive("run-native", "echo typed-by-hand")
    assert "typed-by-hand\r\ntyped-by-hand\r\n$ " in shown, shown[-500:]


@pytest.mark.slow
def test_usertests_pass_natively():
    rc, out, err = run_native("usertests", timeout=300)
    assert rc == 0, err
    assert b"ALL TESTS PASSED\n$ " in out


# ---- the console script's failure paths, with a fake guest ----------------

def fake_guest(script):
    return ["/bin/sh", "-c", script]


def test_console_reports_panic_in_one_line():
    r = console.run_scripted(fake_guest(
        'printf "xv6...\\n$ "; read l; printf "lapicid 0: panic: boom\\n"; sleep 10'),
        ["ls"], timeout=20)
    assert r.status == console.EXIT_PANIC
    assert r.reason == "guest panicked: panic: boom"
    assert r.seconds < 10


def test_console_reports_timeout():
    r = console.run_scripted(fake_guest('printf "booting"; sleep 10'), ["ls"], timeout=1)
    assert r.status == console.EXIT_TIMEOUT
    assert r.reason == "timeout: no prompt after the first prompt within 1 s"
    assert r.transcript == b"booting"


def test_console_reports_early_end():
    r = console.run_scripted(fake_guest('printf "$ "; read l; exit 0'), ["ls", "ls"],
                             timeout=10)
    assert r.status == console.EXIT_EARLY


def test_console_ends_with_the_end_byte():
    """--end-byte: after the last prompt the byte is typed and the guest
    gets to exit by itself (the monitor's Ctrl-]), before any signal."""
    r = console.run_scripted(fake_guest(
        'printf "$ "; read l; printf "ok\\n$ "; '
        'printf "got %s" "$(head -c 1 | od -An -tx1 | tr -d " ")"; exit 0'),
        ["ls"], timeout=20, end_byte=0x1d)
    assert r.ok, r.reason
    assert r.transcript.endswith(b"ok\n$ got 1d"), r.transcript
    assert r.seconds < console.KILL_GRACE


def test_console_ignores_dollar_inside_output():
    r = console.run_scripted(fake_guest(
        'printf "$ "; read l; printf "costs $ 5"; sleep 0.6; printf " only\\n$ "; sleep 10'),
        ["price"], timeout=10, settle=0.3)
    assert r.ok, r.reason
    assert r.transcript == b"$ costs $ 5 only\n$ "


CONSOLE = os.path.join(xv6run.ROOT, "scripts", "console.py")


def console_cmd(*args):
    return [sys.executable, CONSOLE] + list(args)


def test_console_interactive_end_status_and_log(tmp_path):
    """Interactive (no --cmds): QEMU's status for the end byte (the
    monitor's Ctrl-], 237) is a normal end, and the --log file (the
    monitor's exit table) is shown after the run; another status is
    passed on as it is."""
    import subprocess
    log = tmp_path / "monitor.log"
    log.write_text("monitor: run ended from the console (Ctrl-])\nmonitor: exits by vector:\n")
    p = subprocess.run(console_cmd("--log", str(log), "--end-status", "237", "--",
                                   "/bin/sh", "-c", "exit 237"),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "monitor: exits by vector:" in p.stderr
    assert "console: run ended by the end byte" in p.stderr
    p = subprocess.run(console_cmd("--log", str(log), "--end-status", "237", "--",
                                   "/bin/sh", "-c", "exit 3"),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert p.returncode == 3
    assert "monitor: exits by vector:" in p.stderr


@pytest.mark.parametrize("cmds", [None, "ls"])
def test_console_sigterm_ends_the_guest(tmp_path, cmds):
    """A harness that gives up sends SIGTERM: console.py ends its QEMU (a
    session of its own, so the signal to the script's group misses it)
    before it exits, scripted or interactive."""
    import signal
    import subprocess
    import time
    pidfile = tmp_path / "guest.pid"
    guest = 'echo $$ > %s; printf booting; exec sleep 60' % pidfile
    args = (["--cmds", cmds, "--timeout", "60"] if cmds else []) + ["--", "/bin/sh", "-c", guest]
    p = subprocess.Popen(console_cmd(*args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    guest_pid = int(pidfile.read_text())
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 128 + signal.SIGTERM
    for _ in range(100):            # reaped by console.py; gone at once
        try:
            os.kill(guest_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(guest_pid, signal.SIGKILL)
        pytest.fail("the guest (pid %d) outlived console.py" % guest_pid)
