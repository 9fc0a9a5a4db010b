"""xv6run.py - run xv6 through the make targets and compare transcripts.

Shared by the xv6 tests (native here, under the monitor in the trap-path
tests): the fixed command set, a runner for `make run-native|run GUEST=xv6
CMDS=...`, one for the interactive targets on a pseudo-terminal (keys
typed one by one), and the one place where two xv6 transcripts are allowed
to differ.

Why a canonical form: stressfs forks children that print while they write
and read their files concurrently, and xv6's printf writes one character
per system call, so the children's "write N" / "read" lines interleave as
the timer falls, even inside a line ("wwrite 2\nrwrite 3\n...ite 1").
Two native runs on the same machine differ there (measured: 2 in 4; also
with -icount, since the disk's completion timing is the host's).
Everything else xv6 prints in the fixed set and in usertests repeats byte
for byte.  So the comparison replaces the output of each stressfs by its
bytes in sorted order (same bytes, any order) and leaves the rest alone.
"""
import os
import signal
import subprocess
import tempfile
import time

import guestrun

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
XB = os.path.join(ROOT, "build", "xv6")

FIXED_CMDS = ("ls; echo hi; cat README; mkdir d; echo hello from xv6 > d/greeting; ls d; "
              "cat d/greeting; grep the README; forktest; stressfs; wc README")
PROMPT = b"$ "
TIMING_DEPENDENT = (b"stressfs",)   # commands whose output lines may interleave


def build():
    guestrun.make("xv6")    # one make at a time across pytest-xdist workers


def make_monitor():
    guestrun.make("all")    # one make at a time across pytest-xdist workers


def run(target, cmds, timeout=120, keep_disk=None, extra=()):
    """(status, transcript bytes, stderr text) of make TARGET GUEST=xv6 CMDS=cmds;
    target is run-native or run."""
    argv = ["make", "-s", target, "GUEST=xv6", "CMDS=" + cmds, "TIMEOUT=%d" % timeout]
    if keep_disk:
        argv.append("XV6_KEEP_DISK=" + keep_disk)
    with tempfile.TemporaryDirectory(prefix="xv6run-") as tmp:
        # the monitor's log of this run alone, whatever else runs at the time
        argv.append("XV6_MONLOG=" + os.path.join(tmp, "monitor.log"))
        p = subprocess.Popen(argv + list(extra), cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout + 60)
        except BaseException:   # our timeout, pytest-timeout's, Ctrl-C
            end_group(p)
            raise
    return p.returncode, out, err.decode("utf-8", "replace")


GRACE = 10      # seconds console.py gets to end QEMU after SIGTERM


def end_group(p):
    """Ends make and what it started: SIGTERM to its process group reaches
    console.py, which ends QEMU (in a session of its own) and deletes its
    disk copy; SIGKILL if that takes too long."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
    except ProcessLookupError:
        pass


TYPE_DELAY = 0.02      # seconds between typed keys, as a person types


def interactive(target, line, timeout=120, end=None):
    """`make TARGET GUEST=xv6` on a pseudo-terminal, as a user runs it: waits
    for the shell, types line key by key and Enter, waits for the next
    prompt, then ends the run by typing the byte end (the monitor's Ctrl-])
    or, natively, by SIGTERM.  Returns (make's exit status, or None if it
    was signalled; everything the terminal showed, as text)."""
    import io
    import pexpect
    seen = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="xv6run-") as tmp:
        c = pexpect.spawn("make", ["-s", target, "GUEST=xv6",
                                   "XV6_MONLOG=" + os.path.join(tmp, "monitor.log")],
                          cwd=ROOT, timeout=timeout, encoding="utf-8", codec_errors="replace")
        c.logfile_read = seen
        try:
            c.expect_exact("init: starting sh")
            c.expect_exact("$ ")
            for ch in line + "\r":
                c.send(ch)
                time.sleep(TYPE_DELAY)
            c.expect_exact("\n$ ")
            if end is not None:
                c.send(chr(end))
            else:
                c.kill(signal.SIGTERM)
            c.expect(pexpect.EOF)
        finally:
            c.close(force=True)
    return c.exitstatus, seen.getvalue()


def canonical(transcript):
    """The transcript with each timing-dependent command's output replaced by
    its bytes in sorted order (see the module docstring); the rest as is."""
    parts = transcript.split(b"\n" + PROMPT)
    out = []
    for part in parts:
        cmd, nl, output = part.partition(b"\n")
        if nl and cmd.split(b" ")[0] in TIMING_DEPENDENT:
            part = cmd + nl + bytes(sorted(output))
        out.append(part)
    return (b"\n" + PROMPT).join(out)
