"""runner.py - one boot of the monitor with one fault: the unit of work.

A job is a plain dict (picklable, so a Dask worker on another host can run
it): the QEMU binary, the monitor and guest images (paths relative to the
repository root, which is VMM_ROOT on a worker or its working directory),
the guest's command line, the monitor's options (the fault among them), a
host timeout.  QEMU runs with -icount shift=0,sleep=off: the guest's clock
is the instruction count, so the same job gives the same run, byte for
byte, wherever it runs.

This module imports only the standard library: it is what workers execute.
"""
import os
import subprocess
import tempfile
import time

QEMU_ARGS = ["-cpu", "qemu32", "-display", "none", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-monitor", "none",
             "-icount", "shift=0,sleep=off"]


def root():
    return os.environ.get("VMM_ROOT", os.getcwd())


def qemu_command(job, log_path):
    r = job.get("root") or root()
    guest = os.path.join(r, job["guest"])
    return [job.get("qemu", "qemu-system-i386"), "-m", str(job.get("qemu_mem", 256))] + QEMU_ARGS + [
        "-serial", "stdio", "-debugcon", "file:" + log_path,
        "-kernel", os.path.join(r, job["monitor"]), "-append", job["monargs"],
        "-initrd", (guest + " " + job["args"].replace(",", ",,")).strip()]


def run_job(job):
    """Boot once; returns {'idx', 'text', 'log', 'code', 'timed_out', 'wall'}.
    code is the value written to the debug-exit port (QEMU exits 2c+1), or
    None if QEMU ended any other way."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="campaign-") as tmp:
        log_path = os.path.join(tmp, "monitor.log")
        try:
            p = subprocess.run(qemu_command(job, log_path), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=job["timeout"])
            out, rc, timed_out = p.stdout, p.returncode, False
        except subprocess.TimeoutExpired as e:
            out, rc, timed_out = e.stdout or b"", None, True
        try:
            with open(log_path, "rb") as f:
                log = f.read().decode("utf-8", "replace")
        except OSError:
            log = ""
    code = rc >> 1 if rc is not None and rc & 1 else None
    return {"idx": job.get("idx"), "text": out.decode("utf-8", "replace"), "log": log,
            "code": code, "rc": rc, "timed_out": timed_out,
            "wall": time.monotonic() - start, "worker": worker_name()}


def worker_name():
    """The Dask worker running this job, or 'local'."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return "local"
