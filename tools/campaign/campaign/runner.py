"""runner.py - one boot of the monitor with one fault: the unit of work.

A job is a plain dict (picklable, so a Dask worker on another host can run
it): the QEMU binary, the monitor and guest images and the monitor's other
modules (paths relative to the repository root, which is VMM_ROOT on a
worker or its working directory),
the guest's command line, the monitor's options (the fault among them), a
host timeout.  QEMU runs with -icount shift=0,sleep=off: the guest's clock
is the instruction count, so the same job gives the same run, byte for
byte, wherever it runs.

This module imports only the standard library: it is what workers execute.
"""
import os
import subprocess
import tempfile
import threading
import time

# -nodefaults: no VGA, NIC or their option ROMs for the BIOS to start (a
# quarter of a short run's cost); the guest uses only COM1 and the exit port.
QEMU_ARGS = ["-nodefaults", "-cpu", "qemu32", "-display", "none", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-monitor", "none",
             "-icount", "shift=0,sleep=off"]


def root():
    return os.environ.get("VMM_ROOT", os.getcwd())


def initrd(r, job):
    """QEMU's -initrd: the guest with its command line, then the monitor's
    other modules (disk images, console scripts), comma-separated (a comma
    inside one is doubled)."""
    guest = os.path.join(r, job["guest"])
    mods = [(guest + " " + job["args"]).strip()] + [os.path.join(r, m)
                                                    for m in job.get("modules", [])]
    return ",".join(m.replace(",", ",,") for m in mods)


def qemu_command(job, log_path):
    r = job.get("root") or root()
    return [job.get("qemu", "qemu-system-i386"), "-m", str(job.get("qemu_mem", 256))] + QEMU_ARGS + [
        "-serial", "stdio", "-debugcon", "file:" + log_path,
        "-kernel", os.path.join(r, job["monitor"]), "-append", job["monargs"],
        "-initrd", initrd(r, job)]


def run_job(job):
    """Boot once; returns {'idx', 'text', 'log', 'code', 'rc', 'timed_out',
    'wall', 'cpu', 'worker'}.  code is the value written to the debug-exit
    port (QEMU exits 2c+1), or None if QEMU ended any other way; cpu is
    QEMU's own CPU time (user + system)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="campaign-") as tmp:
        log_path = os.path.join(tmp, "monitor.log")
        out_path = os.path.join(tmp, "serial.txt")
        rc, timed_out, cpu = _boot(qemu_command(job, log_path), out_path, job["timeout"])
        text = _read(out_path)
        log = _read(log_path)
    code = rc >> 1 if rc is not None and rc > 0 and rc & 1 else None
    return {"idx": job.get("idx"), "text": text, "log": log, "code": code, "rc": rc,
            "timed_out": timed_out, "wall": time.monotonic() - start, "cpu": cpu,
            "worker": worker_name()}


def _boot(cmd, out_path, timeout):
    """Runs cmd with its output in out_path, killed after timeout seconds;
    (exit status, timed out, CPU seconds) from wait4's resource usage."""
    fired = threading.Event()
    with open(out_path, "wb") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def kill():
            fired.set()
            p.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)   # reaped: Popen must not wait
    return (None if fired.is_set() else p.returncode), fired.is_set(), usage.ru_utime + usage.ru_stime


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def worker_name():
    """The Dask worker running this job, or 'local'."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return "local"
