"""store.py - a campaign's jobs and results in one SQLite file.

build/faults/<campaign>.sqlite holds:

  campaign  one row: the campaign file, its fingerprint, the golden run
            (exit code, transcript, log, virtual end time, wall time), the
            watchdog and host timeout the jobs got, the fault-space sizes
  job       one row per job: target class, fault=, trigger=, persist=, the
            monitor's whole command line
  result    one row per finished job: outcome and detail, exit code,
            injected/activated as the monitor said, virtual time of the
            injection and of the end, wall time, transcript hash, log
            excerpt, which worker ran it

A result is committed as soon as it arrives, so an interrupted campaign
keeps every finished job, and a resumed one runs only the jobs without a
result.
"""
import json
import os
import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS campaign (
    name TEXT PRIMARY KEY, fingerprint TEXT, file TEXT, created REAL,
    golden_code INTEGER, golden_text TEXT, golden_log TEXT, golden_end_us INTEGER,
    golden_wall REAL, watchdog_ms INTEGER, timeout REAL, class_sizes TEXT,
    trigger_points INTEGER);
CREATE TABLE IF NOT EXISTS job (
    idx INTEGER PRIMARY KEY, cls TEXT, fault TEXT, trigger TEXT, persist TEXT,
    expect TEXT, monargs TEXT);
CREATE TABLE IF NOT EXISTS result (
    idx INTEGER PRIMARY KEY REFERENCES job(idx), outcome TEXT, detail TEXT,
    code INTEGER, injected INTEGER, activated TEXT, inject_us INTEGER, end_us INTEGER,
    wall REAL, cpu REAL, text_hash TEXT, log_excerpt TEXT, worker TEXT, finished REAL);
"""

RESULT_FIELDS = ("idx", "outcome", "detail", "code", "injected", "activated", "inject_us",
                 "end_us", "wall", "cpu", "text_hash", "log_excerpt", "worker", "finished")
# What must be the same when a job runs twice (wall time and worker may differ).
DETERMINISTIC_FIELDS = ("idx", "outcome", "detail", "code", "injected", "activated",
                        "inject_us", "end_us", "text_hash")


class Store:
    def __init__(self, path):
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self):
        self.db.close()

    # ---- the campaign row ----

    def campaign(self):
        return self.db.execute("SELECT * FROM campaign").fetchone()

    def save_campaign(self, name, fingerprint, file_text, golden, watchdog_ms, timeout,
                      class_sizes, trigger_points):
        self.db.execute("DELETE FROM campaign")
        self.db.execute("INSERT INTO campaign VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (name, fingerprint, file_text, time.time(), golden["code"],
                         golden["text"], golden["log"], golden["end_us"], golden["wall"],
                         watchdog_ms, timeout, json.dumps(class_sizes), trigger_points))
        self.db.commit()

    # ---- jobs ----

    def add_jobs(self, jobs):
        """Insert jobs not stored yet (a grown campaign adds its new ones)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO job VALUES (?,?,?,?,?,?,?)",
            [(j["idx"], j["cls"], j["fault"], j["trigger"], j["persist"], j["expect"],
              j["monargs"]) for j in jobs])
        self.db.commit()

    def job(self, idx):
        return self.db.execute("SELECT * FROM job WHERE idx=?", (idx,)).fetchone()

    def pending(self, limit):
        """Jobs with idx < limit and no result, in order."""
        return self.db.execute("SELECT job.* FROM job LEFT JOIN result USING (idx) "
                               "WHERE result.idx IS NULL AND job.idx < ? ORDER BY idx",
                               (limit,)).fetchall()

    # ---- results ----

    def add_result(self, r):
        self.db.execute("INSERT OR REPLACE INTO result VALUES (%s)" % ",".join("?" * len(RESULT_FIELDS)),
                        tuple(r[f] for f in RESULT_FIELDS))
        self.db.commit()

    def results(self, limit=None):
        q = "SELECT job.*, result.* FROM result JOIN job USING (idx)"
        if limit is not None:
            return self.db.execute(q + " WHERE idx < ? ORDER BY idx", (limit,)).fetchall()
        return self.db.execute(q + " ORDER BY idx").fetchall()

    def count_results(self):
        return self.db.execute("SELECT COUNT(*) FROM result").fetchone()[0]
