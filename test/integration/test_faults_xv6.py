"""test_faults_xv6.py - xv6 as a fault-injection workload (issue 15, point 6).

xv6 (unmodified) boots under the monitor from its file system image held
in RAM (disk1=mod1) and runs the shell commands of
tools/campaign/campaigns/xv6-shell.cmds, typed by the monitor at each
"$ " prompt (input=mod2); the prompt after the last command ends the run
(exit 0x76).  The campaign tools/campaign/campaigns/xv6-known-outcomes.toml
injects one fault per outcome class whose outcome is known in advance.
These tests check:

  - the scripted run itself: every command typed and answered, the exit
    code, and two runs byte for byte the same, monitor log (exit table)
    included; the guest's disk is the run's own RAM copy (the image file is
    not written)
  - every known job ends in the class it was written for (xv6's own panic
    counts as detected), a local APIC timer fault is activated, and no run
    is a monitor failure
  - determinism through the tool: rerunning stored jobs reproduces them
"""
import hashlib
import os
import sqlite3
import subprocess
import sys

import pytest

import xv6run

ROOT = xv6run.ROOT
KNOWN = os.path.join(ROOT, "tools", "campaign", "campaigns", "xv6-known-outcomes.toml")
CMDS = os.path.join(ROOT, "tools", "campaign", "campaigns", "xv6-shell.cmds")
FS_IMG = os.path.join(ROOT, "build", "xv6", "fs.img")
ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tools", "campaign"))
EXIT_SCRIPT_DONE = 0x76
RUN_TIMEOUT_S = 300

# xv6 runs: seconds each of a loaded 2-core machine.  The tests that read
# the known-outcomes campaign go to one xdist worker, which runs it once.
pytestmark = pytest.mark.slow
KNOWN_GROUP = pytest.mark.xdist_group("faults-xv6-known")


@pytest.fixture(scope="module", autouse=True)
def xv6_built():
    xv6run.build()
    xv6run.make_monitor()


def scripted_run():
    """One golden xv6 run as the campaign tool makes it: (exit code, transcript, log)."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "campaign"))
    from campaign import runner
    job = {"idx": 0, "guest": "build/xv6/kernel", "args": "", "monitor": "build/monitor.elf",
           "modules": ["build/xv6/fs.img", "tools/campaign/campaigns/xv6-shell.cmds"],
           "monargs": "mem=256 disk1=mod1 input=mod2 ifwatch=30", "qemu_mem": 512,
           "timeout": RUN_TIMEOUT_S, "root": ROOT}
    r = runner.run_job(job)
    return r["code"], r["text"], r["log"]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_scripted_xv6_runs_repeat_exactly():
    image_before = digest(FS_IMG)
    code, text, log = scripted_run()
    assert code == EXIT_SCRIPT_DONE, log[-1500:]
    with open(CMDS) as f:
        cmds = [l.strip() for l in f if l.strip()]
    for c in cmds:
        assert "$ " + c + "\n" in text, (c, text[-1500:])
    assert "hello fault injection\n" in text
    assert "\nwritten\n" in text                      # cat d/f after echo > d/f
    assert "50 329 2286 README" in text
    assert text.endswith("$ ")
    assert "monitor: guest disk 1 is module 1 in RAM (1000 sectors)" in log
    assert "monitor: run ended: the console script (input=mod2) is done: %d lines typed" \
        % len(cmds) in log
    code2, text2, log2 = scripted_run()
    assert (code2, text2) == (code, text)
    assert log2 == log                                # exit table and all
    assert digest(FS_IMG) == image_before             # the disk was the run's RAM copy


def results(db):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute("SELECT * FROM result JOIN job USING (idx) ORDER BY idx").fetchall()
    con.close()
    return rows


def campaign(*args):
    p = subprocess.run([sys.executable, "-m", "campaign"] + list(args), env=ENV, cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800)
    out = p.stdout.decode()
    return p.returncode, out


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("xv6faults") / "known.sqlite")
    code, out = campaign("run", KNOWN, "--db", db, "--fresh", "--no-progress", "--no-report")
    assert code == 0, out
    return db


@KNOWN_GROUP
def test_each_known_xv6_fault_ends_in_its_class(known):
    rows = results(known)
    assert len(rows) == 7
    for r in rows:
        assert r["outcome"] == r["expect"], "job %d (%s %s): %s (%s), expected %s; log:\n%s" % (
            r["idx"], r["fault"], r["trigger"], r["outcome"], r["detail"], r["expect"],
            r["log_excerpt"])
    assert {r["outcome"] for r in rows} == {"benign", "not activated", "guest crash",
                                            "detected", "SDC", "hang"}
    detected = [r for r in rows if r["outcome"] == "detected"][0]
    assert detected["detail"].startswith("guest panic: ")   # the line (and what came before
    assert detected["detail"].endswith("lapicid 0: panic: popcli - interruptible")  # on it)
    assert detected["code"] == 0x75                   # xv6 spun after its panic
    lapic = [r for r in rows if r["fault"] == "irq:lapic:lost"][0]
    assert lapic["activated"] == "yes"
    assert "fault: activated: a timer edge lost" in lapic["log_excerpt"]
    assert "still stuck at the end of the run" in lapic["log_excerpt"]
    assert not [r for r in rows if r["outcome"] == "monitor failure"]


@KNOWN_GROUP
def test_rerun_reproduces_xv6_jobs(known):
    code, out = campaign("rerun", known, "3", "4")     # detected, SDC
    assert code == 0, out
    assert out.count("identical to the stored result") == 2, out
