"""engine.py - a campaign from start to stored results.

  1. the golden run: the workload under the monitor with no fault (and the
     watchdog off in effect), twice: the two must be identical, or runs are
     not deterministic and no outcome could be trusted
  2. the watchdog for the jobs, from the golden run's virtual time, and a
     host timeout far above it (a backstop: the watchdog must fire first)
  3. the fault space from the golden run's exit table; the jobs drawn from
     it by seed, stored with their full monitor command lines
  4. the jobs without a result run (locally or on Dask); each result is
     classified against the golden run and stored as it arrives
"""
import math
import os
import re
import time

from campaign import classify, monlog, pool, runner, space
from campaign.spec import CampaignError

GOLDEN_WATCHDOG_MS = 3600000     # a golden run gets an hour of virtual time
GOLDEN_TIMEOUT_S = 600


def job_payload(c, job, timeout, root):
    w = c.workload
    return {"idx": job["idx"], "guest": w["guest"], "args": w["args"], "monitor": w["monitor"],
            "modules": w["modules"], "monargs": job["monargs"], "timeout": timeout,
            "qemu_mem": w["qemu_mem"], "root": root}


def golden_run(c, root):
    """Runs the workload twice without a fault; returns the first run with
    'text' normalized and 'end_us' from the monitor's result line."""
    args = (c.workload["monargs"] + " watchdog=%d" % GOLDEN_WATCHDOG_MS).strip()
    job = {"idx": -1, "guest": c.workload["guest"], "args": c.workload["args"],
           "monitor": c.workload["monitor"], "modules": c.workload["modules"], "monargs": args,
           "timeout": GOLDEN_TIMEOUT_S, "qemu_mem": c.workload["qemu_mem"], "root": root}
    runs = [runner.run_job(job) for _ in range(2)]
    g = runs[0]
    if g["code"] != c.workload["success"]:
        raise CampaignError("the golden run ended with %s, not the success code %d; its log "
                            "ends: %s" % (g["code"], c.workload["success"],
                                          monlog.excerpt(g["log"])[-300:].replace("\n", " / ")))
    if c.workload["panic"] and re.search(c.workload["panic"], g["text"]):
        raise CampaignError("the golden run's transcript matches the workload's 'panic' "
                            "pattern %r: no run could be told apart" % c.workload["panic"])
    if (g["text"], g["log"]) != (runs[1]["text"], runs[1]["log"]):
        raise CampaignError("two golden runs differ: the workload is not deterministic "
                            "under -icount (%s)" % classify.first_difference(g["text"], runs[1]["text"]))
    result = monlog.fault_result(g["log"])
    if result is None:
        raise CampaignError("the golden run's log has no 'fault: result:' line: is the "
                            "monitor built with src/fault?")
    g["end_us"] = result["end_us"]
    g["text"] = classify.normalize(g["text"], c.workload["normalize"])
    return g


def limits(c, golden):
    """(watchdog_ms, host timeout s) for the jobs."""
    w = c.workload
    watchdog = math.ceil(golden["end_us"] / 1000.0 * w["watchdog_factor"] + w["watchdog_margin_ms"])
    timeout = max(w["timeout_min"], golden["wall"] * w["timeout_factor"])
    return watchdog, timeout


class Prepared:
    """A campaign ready to run: its store holds the golden run and jobs."""

    def __init__(self, c, store, root, golden, watchdog_ms, timeout, jobs):
        self.c, self.store, self.root = c, store, root
        self.golden, self.watchdog_ms, self.timeout, self.jobs = golden, watchdog_ms, timeout, jobs


def prepare(c, store, root, file_text, log=print):
    row = store.campaign()
    if row is not None and row["fingerprint"] != c.fingerprint():
        raise CampaignError("%s was made from another campaign file (or seed); give --fresh "
                            "to start over, or another --db" % store.path)
    if row is None:
        log("golden run (twice, to check determinism)...")
        g = golden_run(c, root)
        watchdog, timeout = limits(c, g)
        fs = space.FaultSpace(c, monlog.exit_table(g["log"]), g["end_us"], _path(root, c))
        store.save_campaign(c.name, c.fingerprint(), file_text, g, watchdog, timeout,
                            fs.class_sizes(), fs.trigger_points())
        row = store.campaign()
    golden = {"code": row["golden_code"], "text": row["golden_text"], "log": row["golden_log"],
              "end_us": row["golden_end_us"], "wall": row["golden_wall"]}
    fs = space.FaultSpace(c, monlog.exit_table(golden["log"]), golden["end_us"], _path(root, c))
    jobs = fs.jobs(c.runs)
    for j in jobs:
        j["monargs"] = space.monargs(c.workload, j, row["watchdog_ms"])
    store.add_jobs(jobs)
    return Prepared(c, store, root, golden, row["watchdog_ms"], row["timeout"], jobs)


def _path(root, c):
    return os.path.join(root, c.workload["guest"])


def judge(p, res, job_row):
    """The stored result of one finished run."""
    text = classify.normalize(res["text"], p.c.workload["normalize"])
    fault = monlog.fault_result(res["log"])
    outcome, detail = classify.classify(p.golden, dict(res, text=text), fault,
                                        p.c.workload["panic"])
    f = fault or {}
    return {"idx": res["idx"], "outcome": outcome, "detail": detail, "code": res["code"],
            "injected": f.get("injected", 0), "activated": f.get("activated", "?"),
            "inject_us": f.get("inject_us", 0), "end_us": f.get("end_us", 0),
            "wall": res["wall"], "cpu": res["cpu"], "text_hash": classify.digest(text),
            "log_excerpt": monlog.excerpt(res["log"]), "worker": res["worker"],
            "finished": time.time()}


def execute(p, scheduler=None, workers=None, stop_after=None, progress=True):
    """Runs the jobs without a result; returns (runs done, seconds)."""
    pending = p.store.pending(len(p.jobs))
    payloads = [job_payload(p.c, dict(j), p.timeout, None if scheduler else p.root)
                for j in pending]
    rows = {j["idx"]: j for j in pending}
    bar = _bar(len(payloads), progress)

    def on_result(res):
        p.store.add_result(judge(p, res, rows[res["idx"]]))
        bar.update(1)

    start = time.monotonic()
    try:
        if scheduler:
            n = pool.run_dask(payloads, scheduler, on_result, stop_after)
        else:
            n = pool.run_local(payloads, workers or pool.default_workers(), on_result, stop_after)
    finally:
        bar.close()
    return n, time.monotonic() - start


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _bar(total, progress):
    if not progress:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, unit="run", desc="faults", smoothing=0.1)
