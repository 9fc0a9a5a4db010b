#!/usr/bin/python3
"""console.py - drive a guest's serial console (a shell behind a prompt) under QEMU.

The job: a kernel with a shell on its COM1 (xv6) is booted by a QEMU command
that puts the guest's serial port on QEMU's stdio (-serial stdio).  This
script runs that command in one of two ways:

  interactive (no --cmds): QEMU owns the terminal; typed keys reach the
      guest's shell (QEMU puts the terminal in raw mode; Ctrl-C ends QEMU).
  scripted (--cmds "ls; echo hi"): QEMU's stdio is a pair of pipes; the
      script waits for the shell prompt, types each command, waits for the
      next prompt, and ends the run after the last one.  Everything the
      guest printed (the transcript) goes to stdout as it arrives, byte for
      byte; the verdict is one line on stderr.  A kernel panic (the guest
      prints --panic, default "panic:") or the --timeout ends the run with
      one clear line and a non-zero status.  --cmds ";" (no command) boots
      to the first prompt and stops.

The prompt is recognized as --prompt (default "$ ") followed by a quiet
period (--settle seconds with no more output), so a "$ " inside a command's
output does not count as the prompt unless the guest then stays silent.

Disk: with --disk IMAGE the image is copied first and every "{disk}" in the
QEMU command is replaced by the copy's path, so runs repeat on a fresh disk;
--keep-disk PATH makes the copy at PATH and keeps it (to inspect what the
guest wrote), otherwise the copy is deleted at the end.  QEMU's stderr goes
to stderr after the run, never into the transcript; --log FILE (e.g. the
monitor's -debugcon file) is printed to stderr after the run too.

Ending: after the last prompt (or a panic or the timeout) the script ends
QEMU with SIGTERM.  With --end-byte B it first types the byte B and gives
QEMU a moment to exit by itself: the monitor takes Ctrl-] (0x1d) on its
console as "end the run and print the exit table" (docs/xv6.md), which a
guest that never exits (xv6) cannot do otherwise.  Interactively the user
types that byte; --end-status N is QEMU's exit status when the run ended
that way (isa-debug-exit: the monitor's code * 2 + 1), which then counts
as a normal end (status 0), and the --log file (the exit table) is printed
after an interactive run as after a scripted one.  A SIGTERM or SIGHUP to
this script (a test harness giving up) ends QEMU too: QEMU runs in its
own session, so nothing else would.

Exit status: 0 when every command's prompt came back (interactive: QEMU's
own status, 0 for --end-status); 1 panic; 2 timeout; 3 QEMU ended early;
4 bad usage.

    console.py [--cmds CMDS] [--timeout S] [--disk IMG] [--keep-disk PATH]
               [--log FILE] [--prompt P] [--panic P] [--settle S] [--end-byte B]
               [--end-status N] -- QEMU ARGS...
"""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EXIT_OK, EXIT_PANIC, EXIT_TIMEOUT, EXIT_EARLY, EXIT_USAGE = 0, 1, 2, 3, 4
KILL_GRACE = 5.0        # seconds QEMU gets to exit on SIGTERM before SIGKILL
PANIC_TAIL = 0.5        # seconds to collect the rest of a panic line
POLL_SECONDS = 0.005    # pexpect's sleep between two reads of QEMU's output
READ_CHUNK = 65536      # bytes pexpect takes from its queue at once


class ConsoleRun:
    """What a scripted run produced."""

    def __init__(self, status, reason, transcript, seconds, cpu_seconds=None):
        self.status = status            # EXIT_*
        self.reason = reason            # one line
        self.transcript = transcript    # bytes the guest printed
        self.seconds = seconds          # wall time, start to end
        self.cpu_seconds = cpu_seconds  # QEMU's user + system CPU time

    @property
    def ok(self):
        return self.status == EXIT_OK


def split_cmds(cmds):
    """'ls; echo hi' -> ['ls', 'echo hi']; empty entries are dropped."""
    return [c.strip() for c in cmds.split(";") if c.strip()]


def substitute_disk(argv, disk_path):
    return [a.replace("{disk}", disk_path) for a in argv] if disk_path else list(argv)


def prepare_disk(image, keep_path):
    """Copies image; returns (path of the copy, whether to delete it)."""
    if not image:
        return None, False
    if keep_path:
        shutil.copyfile(image, keep_path)
        return keep_path, False
    fd, path = tempfile.mkstemp(prefix="console-disk-", suffix=".img")
    os.close(fd)
    shutil.copyfile(image, path)
    return path, True


class Transcript:
    """pexpect's logfile_read: keeps the bytes and streams them to out."""

    def __init__(self, out):
        self.data = bytearray()
        self.out = out

    def write(self, b):
        self.data += b
        if self.out:
            self.out.write(b)
            self.out.flush()

    def flush(self):
        pass


class Session:
    """One scripted QEMU run, its stdio on pipes."""

    def __init__(self, argv, prompt, panic, settle, deadline, out, stderr_path, end_byte=None):
        import pexpect     # Debian's python3-pexpect; only scripted runs need it
        from pexpect.popen_spawn import PopenSpawn
        self.pexpect = pexpect
        self.prompt = prompt.encode()
        self.panic = panic.encode()
        self.settle = settle
        self.deadline = deadline
        self.end_byte = end_byte
        self.log = Transcript(out)
        # Pipes, not a pseudo-terminal: QEMU would switch a terminal's output
        # processing on (newline -> CR LF), and the transcript must be the
        # guest's own bytes.  QEMU's stderr goes to a file (see main).
        wrapper = ["/bin/sh", "-c", 'exec "$@" 2>>"$CONSOLE_STDERR"', "sh"]
        env = dict(os.environ, CONSOLE_STDERR=stderr_path)
        self.child = PopenSpawn(wrapper + argv, env=env, encoding=None, timeout=None,
                                maxread=READ_CHUNK,
                                preexec_fn=os.setsid)      # its own group: see stop()
        self.child.logfile_read = self.log
        # pexpect polls its reader thread's queue, sleeping this long between
        # polls (0.1 ms by default: a core's third, taken from QEMU, while a
        # long command runs); 5 ms is still far below the prompt's settle
        self.child.delayafterread = POLL_SECONDS

    def left(self):
        return max(0.0, self.deadline - time.monotonic())

    def expect(self, timeout):
        pe = self.pexpect
        return self.child.expect_exact([self.prompt, self.panic, pe.EOF, pe.TIMEOUT],
                                       timeout=timeout)

    def panic_line(self):
        """The panic message: the rest of its line, read for a moment."""
        try:
            self.child.expect_exact(b"\n", timeout=PANIC_TAIL)
            tail = self.child.before
        except (self.pexpect.TIMEOUT, self.pexpect.EOF):
            tail = self.child.buffer
        line = self.panic + tail
        return line.decode("utf-8", "replace").strip()

    def wait_prompt(self):
        """Returns None when the prompt came and the guest fell quiet, else
        (status, reason)."""
        while True:
            i = self.expect(self.left())
            if i != 0:
                return self.failure(i)
            while i == 0:                   # the prompt: is the guest quiet now?
                i = self.expect(min(self.settle, self.left()))
            if i in (1, 2):
                return self.failure(i)
            if not self.child.buffer:       # nothing since the prompt
                return None
            if self.left() == 0:
                return self.failure(3)

    def failure(self, i):
        if i == 1:
            return EXIT_PANIC, "guest panicked: " + self.panic_line()
        if i == 2:
            return EXIT_EARLY, "QEMU ended before the commands were done"
        return EXIT_TIMEOUT, None

    def type_line(self, cmd):
        """Types cmd and Enter (a newline: xv6 takes CR or LF alike)."""
        self.child.send(cmd.encode() + b"\n")

    def stop(self):
        """Ends QEMU (and anything it started): the end byte, if any, and a
        moment to exit by itself; then SIGTERM, then SIGKILL."""
        proc = self.child.proc
        if self.end_byte is not None and proc.poll() is None:
            try:
                self.child.send(bytes([self.end_byte]))
                proc.wait(timeout=KILL_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                proc.wait(timeout=KILL_GRACE)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                proc.wait()
        self.signal_group(signal.SIGKILL)      # stragglers that kept the pipe open
        self.drain()

    def signal_group(self, sig):
        try:
            os.killpg(self.child.proc.pid, sig)
        except ProcessLookupError:
            pass

    def drain(self):
        """Reads what QEMU wrote before it ended, so the transcript is whole."""
        try:
            self.child.expect(self.pexpect.EOF, timeout=KILL_GRACE)
        except self.pexpect.TIMEOUT:
            pass


def run_scripted(argv, cmds, timeout=120, prompt="$ ", panic="panic:", settle=0.25,
                 out=None, stderr_path=os.devnull, end_byte=None):
    """Boots argv, types each of cmds (a list) at the prompt; see the module
    docstring.  out (a binary stream or None) gets the transcript live;
    end_byte (an int or None) is typed to end the run (Session.stop)."""
    start = time.monotonic()
    cpu_before = children_cpu()
    s = Session(argv, prompt, panic, settle, start + timeout, out, stderr_path, end_byte)
    status, reason = EXIT_OK, None
    steps = ["the first prompt"] + ["'%s'" % c for c in cmds]
    try:
        for n, step in enumerate(steps):
            if n > 0:
                s.type_line(cmds[n - 1])
            r = s.wait_prompt()
            if r:
                status, reason = r
                if status == EXIT_TIMEOUT:
                    reason = "timeout: no prompt after %s within %d s" % (step, timeout)
                break
    finally:
        s.stop()
    elapsed = time.monotonic() - start
    cpu = children_cpu() - cpu_before
    if status == EXIT_OK:
        reason = "%d command(s) done in %.1f s (QEMU's CPU time %.1f s)" % (
            len(cmds), elapsed, cpu)
    return ConsoleRun(status, reason, bytes(s.log.data), elapsed, cpu)


def children_cpu():
    """User + system seconds of this process's reaped children: QEMU's, once
    stop() has waited for it.  On a machine shared with other work this
    says more about the guest's cost than the wall time does."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_interactive(argv, timeout, end_status=None):
    """QEMU on this terminal; returns its exit status (0 if it is
    end_status: the run was ended by the end byte)."""
    p = subprocess.Popen(argv)
    try:
        status = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()
        p.wait()
        print("console: stopped after %d s (--timeout)" % timeout, file=sys.stderr)
        return EXIT_TIMEOUT
    except KeyboardInterrupt:
        return p.wait()
    except SystemExit:          # SIGTERM or SIGHUP (end_on_signal)
        p.terminate()
        p.wait()
        raise
    if end_status is not None and status == end_status:
        print("console: run ended by the end byte", file=sys.stderr)
        return EXIT_OK
    return status


def end_on_signal(signum, frame):
    """SIGTERM/SIGHUP: unwind, so that the finally clauses end QEMU (in its
    own session: a signal to this script's group does not reach it) and
    delete the disk copy.  A second signal does not cut that short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    raise SystemExit(128 + signum)


QEMU_SIGNAL_NOTE = "terminating on signal"    # QEMU's own line when we end it


def print_file(path, label):
    """Copies the file to stderr under a label, leaving out QEMU's note that
    this script ended it."""
    if not path or not os.path.exists(path):
        return
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").splitlines(True)
    lines = [l for l in lines if QEMU_SIGNAL_NOTE not in l]
    if lines:
        sys.stderr.write("---- %s ----\n" % label)
        sys.stderr.write("".join(lines))
        sys.stderr.flush()


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cmds", default=None,
                    help='commands separated by ";" (scripted); ";" alone boots to the prompt')
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds the whole run may take (scripted default 120; "
                         "interactive: none)")
    ap.add_argument("--disk", help="disk image to copy; {disk} in the QEMU command is the copy")
    ap.add_argument("--keep-disk", help="make the copy here and keep it")
    ap.add_argument("--log", help="file to print to stderr after the run (monitor log)")
    ap.add_argument("--prompt", default="$ ", help='shell prompt (default "$ ")')
    ap.add_argument("--panic", default="panic:", help='panic marker (default "panic:")')
    ap.add_argument("--settle", type=float, default=0.25,
                    help="quiet seconds after a prompt before it counts (default 0.25)")
    ap.add_argument("--end-byte", type=lambda x: int(x, 0), default=None,
                    help="byte to type to end the run before QEMU is signalled "
                         "(0x1d: Ctrl-], the monitor's end-of-run key)")
    ap.add_argument("--end-status", type=int, default=None,
                    help="QEMU's exit status when the end byte ended the run (the "
                         "monitor's 0x76: 237); an interactive run then ends with 0")
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- then the QEMU command")
    a = ap.parse_args(argv)
    if a.qemu and a.qemu[0] == "--":
        a.qemu = a.qemu[1:]
    if not a.qemu:
        ap.error("no QEMU command after --")
    if a.disk and not os.path.exists(a.disk):
        ap.error("disk image %s does not exist (run make xv6?)" % a.disk)
    return a


def main(argv):
    a = parse_args(argv)
    signal.signal(signal.SIGTERM, end_on_signal)
    signal.signal(signal.SIGHUP, end_on_signal)
    disk, delete_disk = prepare_disk(a.disk, a.keep_disk)
    qemu = substitute_disk(a.qemu, disk)
    fd, err_path = tempfile.mkstemp(prefix="console-stderr-")
    os.close(fd)
    try:
        if a.cmds is None:
            status = run_interactive(qemu, a.timeout, a.end_status)
            print_file(a.log, a.log)
        else:
            r = run_scripted(qemu, split_cmds(a.cmds), a.timeout or 120, a.prompt, a.panic,
                             a.settle, sys.stdout.buffer, err_path, a.end_byte)
            print_file(err_path, "QEMU stderr")
            print_file(a.log, a.log)
            print("\nconsole: %s" % r.reason, file=sys.stderr)
            status = r.status
    finally:
        os.unlink(err_path)
        if delete_disk:
            os.unlink(disk)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
