"""cli.py - the campaign tool's command line.

  campaign run FILE      make the golden run, draw the jobs, run those
                         without a result, store everything, print the report
  campaign report DB     the report of a stored campaign (text, PNG, Markdown)
  campaign rerun DB IDX  run stored jobs again; say whether each outcome,
                         exit code, virtual times and transcript are the same
  campaign show DB IDX   one job: its fault, its result, the QEMU command

Every option is in --help.  Exit status: 0; 1 if a rerun differs or a run
had a monitor failure; 2 for a bad campaign file or option (one line).
"""
import argparse
import os
import shlex
import sys

from campaign import engine, pool, report, runner, spec
from campaign.store import Store, DETERMINISTIC_FIELDS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def default_db(root, name):
    return os.path.join(root, "build", "faults", name + ".sqlite")


def parser():
    p = argparse.ArgumentParser(prog="campaign", description="Fault-injection campaigns "
                                "against the monitor (docs/fault-injection.md).")
    p.add_argument("--root", default=ROOT, help="the repository root: campaign paths and "
                   "build/ are relative to it (default: %(default)s)")
    sub = p.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("run", help="run a campaign (resumes a stored one)")
    r.add_argument("file", help="the campaign file (TOML; tools/campaign/campaigns/ has some)")
    r.add_argument("--runs", type=int, help="number of jobs (default: the file's 'runs'); "
                   "growing it keeps the jobs already drawn")
    r.add_argument("--seed", type=int, help="seed of the job draw (default: the file's 'seed'); "
                   "another seed is another campaign, <name>-seedN")
    r.add_argument("--db", help="the SQLite file (default: build/faults/<name>.sqlite)")
    r.add_argument("--fresh", action="store_true", help="delete a stored campaign first")
    r.add_argument("--workers", type=int, default=pool.default_workers(),
                   help="QEMUs run at once on this machine (default: the cores, %(default)s)")
    r.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the jobs on this Dask "
                   "scheduler's workers instead of locally")
    r.add_argument("--stop-after", type=int, metavar="N", help="stop after N more results "
                   "(as an interruption would; run again to resume)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--no-report", action="store_true", help="do not print or write the report")
    r.add_argument("--out-dir", help="where the PNG and Markdown go (default: next to the db)")

    rep = sub.add_parser("report", help="report a stored campaign")
    rep.add_argument("db", help="the campaign's SQLite file")
    rep.add_argument("--out-dir", help="where the PNG and Markdown go (default: next to the db)")
    rep.add_argument("--top", type=int, default=5, help="slowest/strangest runs listed (%(default)s)")

    re_ = sub.add_parser("rerun", help="run stored jobs again and compare")
    re_.add_argument("db", help="the campaign's SQLite file")
    re_.add_argument("idx", type=int, nargs="+", help="job numbers")

    sh = sub.add_parser("show", help="one stored job, its result and its QEMU command")
    sh.add_argument("db", help="the campaign's SQLite file")
    sh.add_argument("idx", type=int, help="job number")
    return p


def cmd_run(a):
    c = spec.load(a.file)
    if a.runs is not None:
        c.runs = a.runs
    if a.seed is not None and a.seed != c.seed:
        c.seed = a.seed
        c.name = "%s-seed%d" % (c.name, a.seed)     # another seed, another campaign
    db = a.db or default_db(a.root, c.name)
    if a.fresh:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    with open(a.file, encoding="utf-8") as f:
        text = f.read()
    store = Store(db)
    p = engine.prepare(c, store, a.root, text)
    todo = len(store.pending(len(p.jobs)))
    print("campaign %s: %d jobs, %d to run, on %s; results in %s"
          % (c.name, len(p.jobs), todo, a.scheduler or "%d local workers" % a.workers,
             os.path.relpath(db)))
    n, secs = engine.execute(p, a.scheduler, a.workers, a.stop_after, not a.no_progress)
    if n:
        print("%d runs in %.1f s: %.2f runs/s" % (n, secs, n / secs))
    rows = store.results(len(p.jobs))
    failures = sum(1 for r in rows if r["outcome"] == "monitor failure")
    if not a.no_report and rows:
        print_report(store, rows, a.out_dir or os.path.dirname(db))
    store.close()
    return 1 if failures else 0


def print_report(store, rows, out_dir, top=5):
    row = store.campaign()
    print("\n".join(report.text(row, rows, top)))
    png, md = report.write(row, rows, out_dir)
    print("plot %s, page %s" % (os.path.relpath(png), os.path.relpath(md)))


def open_store(path):
    if not os.path.exists(path):
        raise spec.CampaignError("%s: no such campaign database" % path)
    return Store(path)


def cmd_report(a):
    store = open_store(a.db)
    rows = store.results()
    if not rows:
        raise spec.CampaignError("%s: no results yet" % a.db)
    print_report(store, rows, a.out_dir or os.path.dirname(os.path.abspath(a.db)), a.top)
    return 0


def cmd_rerun(a):
    store = open_store(a.db)
    c = spec.parse(store.campaign()["file"])
    p = engine.prepare(c, store, a.root, store.campaign()["file"], log=lambda s: None)
    differ = 0
    for idx in a.idx:
        job, old = store.job(idx), [r for r in store.results() if r["idx"] == idx]
        if job is None:
            raise spec.CampaignError("no job %d in %s" % (idx, a.db))
        res = runner.run_job(engine.job_payload(c, dict(job), p.timeout, a.root))
        new = engine.judge(p, res, job)
        same = old and all(old[0][f] == new[f] for f in DETERMINISTIC_FIELDS)
        differ += 0 if same else 1
        print("job %d (%s %s %s): %s, exit %s, injected at %s us, ended at %s us: %s"
              % (idx, job["fault"], job["trigger"], job["persist"], new["outcome"], new["code"],
                 new["inject_us"], new["end_us"],
                 "identical to the stored result" if same else
                 "DIFFERS from the stored result" if old else "no stored result"))
    return 1 if differ else 0


def cmd_show(a):
    store = open_store(a.db)
    job = store.job(a.idx)
    if job is None:
        raise spec.CampaignError("no job %d in %s" % (a.idx, a.db))
    c = spec.parse(store.campaign()["file"])
    payload = engine.job_payload(c, dict(job), store.campaign()["timeout"], a.root)
    print("job %d: class %s, fault=%s trigger=%s persist=%s" % (job["idx"], job["cls"],
                                                                job["fault"], job["trigger"],
                                                                job["persist"]))
    print("command: " + " ".join(shlex.quote(w) for w in runner.qemu_command(payload, "monitor.log")))
    for r in store.results():
        if r["idx"] == a.idx:
            print("result: %s%s; exit %s; injected=%s activated=%s at %s us; end %s us; %.2f s on %s"
                  % (r["outcome"], ": " + r["detail"] if r["detail"] else "", r["code"],
                     r["injected"], r["activated"], r["inject_us"], r["end_us"], r["wall"],
                     r["worker"]))
            print(r["log_excerpt"])
    return 0


COMMANDS = {"run": cmd_run, "report": cmd_report, "rerun": cmd_rerun, "show": cmd_show}


def main(argv=None):
    a = parser().parse_args(argv)
    try:
        return COMMANDS[a.cmd](a)
    except (spec.CampaignError, ValueError) as e:
        print("campaign: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ncampaign: interrupted; finished jobs are stored, run again to resume",
              file=sys.stderr)
        return 130
