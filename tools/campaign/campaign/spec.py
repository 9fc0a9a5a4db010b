"""spec.py - the campaign file: what to run, what to inject, how many times.

A campaign file is TOML (docs/fault-injection.md has the reference):

    name = "minios-kernel"          # names build/faults/<name>.sqlite
    runs = 1000                     # or "exhaustive"
    seed = 1

    [workload]
    guest = "build/minios.elf"      # relative to the repository root
    args = "tests=kernel"           # the guest's command line
    monitor = "build/monitor.elf"
    monargs = "mem=16"              # the monitor's options besides the fault
    modules = []                    # more monitor modules (disk1=mod1, input=mod2)
    success = 0                     # the exit code of a good run
    normalize = []                  # regexes blanked before transcripts compare
    panic = ""                      # regex: the guest detected an error itself
    watchdog_factor = 2.0           # watchdog = factor x golden + margin ms
    watchdog_margin_ms = 50

    [[targets]]                     # one table per target class
    class = "reg"                   # reg mem pte pde insn port irq emul shadow
    weight = 3                      # share of the runs
    ...                             # the class's own keys (space.py)

    [triggers]                      # trigger kinds and their weights
    trap = 1
    time = 1

or, instead of targets and triggers, a fixed list of jobs:

    [[jobs]]
    fault = "reg:eip:30"
    trigger = "trap:13:1"
    persist = "once"
    expect = "guest crash"          # checked by the tests, not by the tool

A bad file is refused with one line naming the key.
"""
import hashlib
import json
import os
import re
import tomllib

TARGET_CLASSES = ("reg", "mem", "pte", "pde", "insn", "port", "irq", "emul", "shadow")
TRIGGER_KINDS = ("trap", "emul", "shadow", "irq", "eip", "time")
IRQ_TIMERS = ("pit", "lapic")   # irq faults: the PIT's IRQ 0, the local APIC timer
WORKLOAD_DEFAULTS = {"monitor": "build/monitor.elf", "monargs": "", "success": 0,
                     "normalize": [], "watchdog_factor": 2.0, "watchdog_margin_ms": 50,
                     "timeout_factor": 10.0, "timeout_min": 120, "qemu_mem": 256,
                     "modules": [], "panic": ""}


class CampaignError(ValueError):
    """A campaign file that cannot be run; the message is one line."""


class Campaign:
    def __init__(self, name, runs, seed, workload, targets, triggers, jobs, path):
        self.name, self.runs, self.seed = name, runs, seed
        self.workload, self.targets, self.triggers = workload, targets, triggers
        self.jobs, self.path = jobs, path

    def fingerprint(self):
        """What must not change between an interrupted campaign and its
        resumption (the number of runs may grow)."""
        d = {"workload": self.workload, "targets": self.targets, "triggers": self.triggers,
             "jobs": self.jobs, "seed": self.seed, "exhaustive": self.runs == "exhaustive"}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def _need(d, key, kind, where):
    if key not in d:
        raise CampaignError("%s: missing '%s'" % (where, key))
    if not isinstance(d[key], kind):
        raise CampaignError("%s: '%s' must be %s" % (where, key, kind.__name__))
    return d[key]


def _workload(d, where):
    w = dict(WORKLOAD_DEFAULTS)
    w.update(d)
    _need(w, "guest", str, where)
    _need(w, "args", str, where)
    for k in ("monargs", "monitor"):
        _need(w, k, str, where)
    if any(word.startswith(("fault=", "trigger=", "persist=", "watchdog="))
           for word in w["monargs"].split()):
        raise CampaignError("%s: monargs must not set fault=, trigger=, persist= or "
                            "watchdog= (the campaign does)" % where)
    if not isinstance(w["normalize"], list) or not all(isinstance(r, str) for r in w["normalize"]):
        raise CampaignError("%s: 'normalize' must be a list of regular expressions" % where)
    if not isinstance(w["modules"], list) or not all(isinstance(m, str) for m in w["modules"]):
        raise CampaignError("%s: 'modules' must be a list of file paths (the monitor's "
                            "modules after the guest: mod1, mod2, ...)" % where)
    _need(w, "panic", str, where)
    try:
        re.compile(w["panic"])
    except re.error as e:
        raise CampaignError("%s: 'panic' is not a regular expression: %s" % (where, e))
    return w


def _targets(lst, where):
    out = []
    for i, t in enumerate(lst):
        cls = t.get("class")
        if cls not in TARGET_CLASSES:
            raise CampaignError("%s[%d]: class must be one of %s, not %r"
                                % (where, i, " ".join(TARGET_CLASSES), cls))
        w = t.get("weight", 1)
        if not isinstance(w, (int, float)) or w <= 0:
            raise CampaignError("%s[%d]: weight must be a positive number" % (where, i))
        timers = t.get("timers", ["pit"])
        if cls == "irq" and (not isinstance(timers, list) or not timers or
                             not set(timers) <= set(IRQ_TIMERS)):
            raise CampaignError("%s[%d]: timers must be a list of %s" % (where, i,
                                                                       " ".join(IRQ_TIMERS)))
        out.append(dict(t, weight=w))
    return out


def _triggers(d, where):
    for k, w in d.items():
        if k not in TRIGGER_KINDS:
            raise CampaignError("%s: unknown trigger kind '%s' (known: %s)"
                                % (where, k, " ".join(TRIGGER_KINDS)))
        if not isinstance(w, (int, float)) or w < 0:
            raise CampaignError("%s: weight of '%s' must be a number >= 0" % (where, k))
    if not any(w > 0 for w in d.values()):
        raise CampaignError("%s: no trigger kind has a weight above 0" % where)
    return dict(d)


def _jobs(lst, where):
    out = []
    for i, j in enumerate(lst):
        for k in ("fault", "trigger"):
            _need(j, k, str, "%s[%d]" % (where, i))
        out.append({"fault": j["fault"], "trigger": j["trigger"],
                    "persist": j.get("persist", "once"), "expect": j.get("expect", "")})
    return out


def parse(text, path="<campaign>"):
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CampaignError("%s: not TOML: %s" % (path, e))
    name = _need(d, "name", str, path)
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise CampaignError("%s: name must be letters, digits, '-', '_' or '.'" % path)
    seed = d.get("seed", 1)
    if not isinstance(seed, int):
        raise CampaignError("%s: seed must be an integer" % path)
    workload = _workload(_need(d, "workload", dict, path), path + " [workload]")
    jobs = _jobs(d.get("jobs", []), path + " [[jobs]]")
    targets = _targets(d.get("targets", []), path + " [[targets]]")
    triggers = _triggers(d.get("triggers", {"trap": 1}), path + " [triggers]") if targets else {}
    if bool(jobs) == bool(targets):
        raise CampaignError("%s: give either [[targets]] (sampled) or [[jobs]] (fixed), "
                            "exactly one" % path)
    runs = d.get("runs", len(jobs) if jobs else 100)
    if runs != "exhaustive" and (not isinstance(runs, int) or runs < 1):
        raise CampaignError("%s: runs must be a number from 1 or \"exhaustive\"" % path)
    return Campaign(name, runs, seed, workload, targets, triggers, jobs, path)


def load(path):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise CampaignError("%s: %s" % (path, e.strerror))
    return parse(text, os.path.relpath(path))
