"""pool.py - run jobs on every local core, or on a Dask cluster.

Local (the default): a pool of threads, each driving one QEMU process at a
time, as many as the machine has cores; QEMU does the work, the threads
only wait for it.

Dask (--scheduler tcp://HOST:PORT): the same jobs go to a Dask distributed
cluster as tasks of campaign.runner.run_job.  The package is uploaded to
the workers (Client.upload_file), so a worker needs only QEMU and the
built monitor and guest under its working directory (or VMM_ROOT).  A
worker that dies while running a job has the job run again elsewhere: that
is Dask's own bookkeeping (a task whose worker is lost is rescheduled, up
to distributed.scheduler.allowed-failures times).

Either way, results come back to this process one by one (on_result) and
are stored at once; stop_after ends the run early (the resumption test
and a person's Ctrl-C use the same path).
"""
import concurrent.futures as cf
import os
import shutil
import tempfile
import uuid

from campaign import runner

IN_FLIGHT_PER_WORKER = 2


def default_workers():
    return os.cpu_count() or 1


def run_local(jobs, workers, on_result, stop_after=None):
    """Run jobs with `workers` QEMUs at a time; returns how many finished."""
    done = 0
    it = iter(jobs)
    with cf.ThreadPoolExecutor(max_workers=workers) as ex:
        running = set()
        try:
            while True:
                while len(running) < workers * IN_FLIGHT_PER_WORKER and \
                        (stop_after is None or done + len(running) < stop_after):
                    j = next(it, None)
                    if j is None:
                        break
                    running.add(ex.submit(runner.run_job, j))
                if not running:
                    return done
                finished, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for f in finished:
                    on_result(f.result())
                    done += 1
        except KeyboardInterrupt:
            for f in running:
                f.cancel()
            raise


def package_zip(dest_dir):
    """tools/campaign/campaign as a zip a Dask worker can import."""
    pkg = os.path.dirname(os.path.abspath(__file__))
    base = os.path.join(dest_dir, "campaign-" + uuid.uuid4().hex[:8])
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(pkg, os.path.join(tmp, "campaign"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        return shutil.make_archive(base, "zip", tmp)


def run_dask(jobs, address, on_result, stop_after=None, tmpdir=None):
    """Run jobs on the Dask cluster at address; returns how many finished."""
    from distributed import Client, as_completed

    done = 0
    with Client(address, timeout="30s") as client:
        with tempfile.TemporaryDirectory(dir=tmpdir) as tmp:
            client.upload_file(package_zip(tmp))
        token = uuid.uuid4().hex[:8]
        futures = [client.submit(runner.run_job, j, key="campaign-%s-%d" % (token, j["idx"]),
                                 pure=False) for j in jobs]
        try:
            for fut in as_completed(futures):
                on_result(fut.result())
                done += 1
                if stop_after is not None and done >= stop_after:
                    client.cancel(futures)
                    break
        except KeyboardInterrupt:
            client.cancel(futures)
            raise
    return done
