"""xv6run.py - run xv6 through the make targets and compare transcripts.

Shared by the xv6 tests (native here, under the monitor in the trap-path
tests): the fixed command set, a runner for `make run-native|run GUEST=xv6
CMDS=...`, and the one place where two xv6 transcripts are allowed to
differ.

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
import subprocess
import tempfile

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
        p = subprocess.run(argv + list(extra), cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=timeout + 60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


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
