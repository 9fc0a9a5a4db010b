#!/usr/bin/env python3
"""bochs.py - boot a minios ISO under Bochs, headless, and return COM1's output.

    run_bochs(iso_path, timeout_s, workdir) -> (serial_text, ended_cleanly, elapsed_s)
    e9_log(workdir) -> the monitor's log (port 0xE9) of that run
    boot_guest(kernel, cmdline, monitor_opts, modules, timeout_s)
        -> (serial_text, how, e9_log, elapsed_s): builds the ISO
        (scripts/mkiso.sh) for one command line and boots it; how is
        'shutdown' (the guest ended the run), 'timeout' or 'exited'

    python3 test/integration/bochs.py ISO [--timeout S] [--workdir DIR] [--ips N]
        prints the serial transcript; exits 0 if the guest shut Bochs down,
        124 on timeout, 1 if Bochs stopped for any other reason.

The ISO comes from scripts/mkiso.sh (GRUB boots minios from an ATAPI CD-ROM).
workdir receives bochsrc, bochs.rc, serial.txt (COM1), bochs.log and bochs.out
(Bochs's own stdout and stderr), which are the place to look when a run fails.

How it is headless: Debian's Bochs 2.7 has no "nogui" display and is built
with the internal debugger, so it runs as `bochs -q -f bochsrc -rc bochs.rc`
where bochs.rc says "c" (continue).  The "term" display (curses) needs only a
TERM it knows, not a terminal: stdin is /dev/null, stdout a file, TERM=dumb.
Should the debugger ever take over (a breakpoint, say), its prompt reads EOF
from /dev/null and Bochs quits, so nothing waits for the keyboard.

How a run ends: minios writes "Shutdown" to port 0x8900; Bochs logs the panic
"Shutdown port: shutdown requested" and exits (with status 1, so the status
says nothing: that log line is what marks a clean end).  The exit code minios
writes to port 0xF4 is lost on Bochs; read the verdict from the transcript.
Any other panic (e.g. a triple fault) ends Bochs at once instead of resetting;
a hang is stopped by killing Bochs's process group after timeout_s.

Timing: clock sync=none ties guest time to the instruction count (ips
instructions = 1 guest second, so the 100 Hz PIT ticks every ips/100
instructions) and HLT skips ahead to the next timer event, so runs are fast
and repeatable.  A test run takes about 3-4 s of wall clock, ~2.5 s of it
BIOS + GRUB.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

MKISO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts", "mkiso.sh")

BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGABIOS = "/usr/share/vgabios/vgabios.bin"
DEFAULT_IPS = 50_000_000
SHUTDOWN_MSG = "Shutdown port: shutdown requested"

BOCHSRC = """\
# written by test/integration/bochs.py
megs: 128
romimage: file="{bios}"
vgaromimage: file="{vgabios}"
cpu: count=1, ips={ips}, reset_on_triple_fault=0
clock: sync=none, time0=local
display_library: term
ata0-master: type=cdrom, path="{iso}", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="{serial}"
speaker: enabled=0
port_e9_hack: enabled=1
sound: driver=dummy
mouse: enabled=0
log: "{log}"
panic: action=fatal
error: action=report
info: action=report
"""


def _run(iso_path, timeout_s, workdir, ips=DEFAULT_IPS):
    """Boots the ISO; returns (serial_text, how, elapsed_s) where how is
    'shutdown' (the guest ended the run), 'timeout' or 'exited'."""
    iso = os.path.abspath(iso_path)
    if not os.path.isfile(iso):
        raise FileNotFoundError(f"no ISO at {iso}")
    wd = os.path.abspath(workdir)
    os.makedirs(wd, exist_ok=True)
    p = {n: os.path.join(wd, n)
         for n in ("bochsrc", "bochs.rc", "serial.txt", "bochs.log", "bochs.out")}
    if any('"' in s for s in (iso, wd)):
        raise ValueError('paths with " cannot go into a bochsrc')
    for n in ("serial.txt", "bochs.log"):
        if os.path.exists(p[n]):
            os.remove(p[n])
    with open(p["bochsrc"], "w") as f:
        f.write(BOCHSRC.format(bios=BIOS, vgabios=VGABIOS, ips=int(ips), iso=iso,
                               serial=p["serial.txt"], log=p["bochs.log"]))
    with open(p["bochs.rc"], "w") as f:
        f.write("c\n")

    env = dict(os.environ, TERM="dumb")
    start = time.monotonic()
    with open(p["bochs.out"], "wb") as out:
        proc = subprocess.Popen(["bochs", "-q", "-f", p["bochsrc"], "-rc", p["bochs.rc"]],
                                cwd=wd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=timeout_s)
            how = "exited"
        except subprocess.TimeoutExpired:
            how = "timeout"
        finally:
            if proc.poll() is None:                   # timeout, or ^C here
                os.killpg(proc.pid, signal.SIGKILL)   # Bochs and anything it started
                proc.wait()
    elapsed = time.monotonic() - start

    if how == "exited" and SHUTDOWN_MSG in _read(p["bochs.log"]):
        how = "shutdown"
    return _read(p["serial.txt"]).replace("\r\n", "\n"), how, elapsed


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def run_bochs(iso_path, timeout_s, workdir, ips=DEFAULT_IPS):
    """Boots iso_path under Bochs for at most timeout_s seconds, files in
    workdir; returns (serial_text, ended_cleanly, elapsed_s), ended_cleanly
    meaning the guest shut Bochs down through port 0x8900."""
    serial, how, elapsed = _run(iso_path, timeout_s, workdir, ips)
    return serial, how == "shutdown", elapsed


E9_MARK = "monitor:"


def e9_log(workdir):
    """The monitor's log from a run in workdir: port_e9_hack writes port
    0xE9 to Bochs's stdout (bochs.out), between Bochs's own lines; each
    "monitor:" line from its mark on."""
    out = _read(os.path.join(os.path.abspath(workdir), "bochs.out"))
    return "\n".join(l[l.index(E9_MARK):].rstrip("\r") for l in out.splitlines()
                     if E9_MARK in l)


def boot_guest(kernel, cmdline, monitor_opts=None, modules=(), timeout_s=600,
               ips=DEFAULT_IPS):
    """Boots multiboot KERNEL with CMDLINE under Bochs, natively or (unless
    monitor_opts is None) as the monitor's guest with those options, with
    MODULES (file paths) after it: GRUB ISO and Bochs's files in a
    temporary directory.  Returns (serial_text, how, e9_log, elapsed_s),
    how being 'shutdown' (the guest shut Bochs down through port 0x8900),
    'timeout' or 'exited' (any other end: a triple fault, say); a failed
    ISO build raises CalledProcessError."""
    with tempfile.TemporaryDirectory() as tmp:
        iso = os.path.join(tmp, "guest.iso")
        cmd = ["bash", MKISO, "--kernel", kernel]
        if monitor_opts is not None:
            cmd += ["--monitor", monitor_opts]
        for m in modules:
            cmd += ["--module", m]
        subprocess.run(cmd + [iso, cmdline], check=True)
        workdir = os.path.join(tmp, "bochs")
        text, how, elapsed = _run(iso, timeout_s, workdir, ips)
        return text, how, e9_log(workdir), elapsed


def main():
    ap = argparse.ArgumentParser(description="Boot a minios ISO under Bochs, headless; "
                                 "print its serial output.")
    ap.add_argument("iso")
    ap.add_argument("--timeout", type=float, default=300, help="seconds (default 300)")
    ap.add_argument("--workdir", help="for bochsrc and logs (default: ISO path minus "
                    ".iso, plus .bochs)")
    ap.add_argument("--ips", type=int, default=DEFAULT_IPS,
                    help=f"emulated instructions per second (default {DEFAULT_IPS})")
    a = ap.parse_args()
    workdir = a.workdir or os.path.splitext(a.iso)[0] + ".bochs"
    try:
        serial, how, elapsed = _run(a.iso, a.timeout, workdir, a.ips)
    except (OSError, ValueError) as e:
        print(f"bochs.py: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(serial)
    if serial and not serial.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()
    if how == "shutdown":
        return 0
    if how == "timeout":
        print(f"bochs.py: no shutdown after {a.timeout:g}s; Bochs killed "
              f"(files in {workdir})", file=sys.stderr)
        return 124
    print(f"bochs.py: Bochs stopped after {elapsed:.1f}s without the guest's shutdown; "
          f"see {workdir}/bochs.log and bochs.out", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
