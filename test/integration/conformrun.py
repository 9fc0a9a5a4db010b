#!/usr/bin/env python3
"""conformrun.py - run the conformance guest (guests/conform) natively or
under the monitor, and compare the two transcripts line by line.

The guest prints "## SECTION", "# CHECK" before each check, then one
"name value" line per observation, and "conform: done, ..." at the end.  A
run under the monitor may stop early: the monitor ends the guest (exit code
0x73, "guest ended: ..." in its log), or it hangs.  The check that was
running is the last "# CHECK" marker; run_until_done() then boots again
with that check in skip= and the sections from its own onwards, until the
guest reaches its end, so one monitor bug hides no later check.

Each check also gets a pseudo-line "run.CHECK": "ran" when it finished,
"died" or "hung" when the run stopped inside it, "aborted/..." when the
guest itself gave up on it after an unexpected exception.  The lines a
dead or aborted check never printed count as part of that one difference.

    python3 test/integration/conformrun.py [--monitor] [--shadow S] [--ring R] [--bochs]
            [--section NAME...]
        boots natively and (with --monitor) under the monitor, prints every
        line that differs with the native and monitor values and its class
        (hole, known bug, NEW), exits 1 if any NEW difference or fixed
        known bug is found.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from guestrun import run_qemu, run_monitor  # noqa: E402
import conform_expected  # noqa: E402

GUEST = os.path.join(ROOT, "build", "conform.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
SECTIONS = ["seg", "far", "exc", "cr", "pg", "io", "dr", "msr", "irq", "hole"]
# seconds for one QEMU boot: a boot takes about a second, but at a load of
# 10 a 30 s bound was reached once and the check it stopped in read as hung
# (a spurious difference); no check hangs in a normal run, so a long bound
# costs nothing there
SECTION_TIMEOUT = 120
BOCHS_TIMEOUT = 600        # a whole run under the monitor takes about 20 s (idle), minutes when loaded
MAX_BOOTS = 60             # bound on restarts after dead checks
SEP = "+"                  # list separator the guest accepts (QEMU -initrd splits at ',')

LINE = re.compile(r"^(\S+) (\S.*)$")
DONE = re.compile(r"^conform: done, (\d+) checks, (\d+) lines, (\d+) skipped$")


class Transcript:
    """One boot's output, parsed: {name: value}, which check printed each
    line, the checks that ran to their end, the one that was running when
    the output stopped."""

    def __init__(self, text):
        self.values = {}
        self.owner = {}
        self.sections = []
        self.finished = []
        self.running = None
        self.done = None
        self.aborted = {}
        self._parse(text)

    def _parse(self, text):
        for raw in text.splitlines():
            line = raw.rstrip("\r")
            if line.startswith("## "):
                self._end_check()
                self.sections.append(line[3:].split(":")[0])
            elif line.startswith("# "):
                self._end_check()
                self.running = line[2:]
            elif DONE.match(line):
                self._end_check()
                self.done = line
            else:
                self._value_line(line)

    def _value_line(self, line):
        m = LINE.match(line)
        if not m:
            return
        name, value = m.groups()
        if name == self.running and value.startswith("aborted/"):
            self.aborted[name] = value
            return
        self.values[name] = value
        self.owner[name] = self.running

    def _end_check(self):
        if self.running is not None:
            self.finished.append(self.running)
        self.running = None


class Result:
    """The merged outcome of one or more boots of the same configuration."""

    def __init__(self):
        self.values = {}       # name -> value, including run.CHECK pseudo-lines
        self.owner = {}        # name -> check
        self.stopped = {}      # check -> why the run stopped in it ("died: ...")
        self.boots = 0
        self.transcripts = []

    def add(self, t, stop=None):
        self.boots += 1
        self.values.update(t.values)
        self.owner.update(t.owner)
        for c in t.finished:
            self.values["run." + c] = t.aborted.get(c, "ran")
        if stop:
            self.values["run." + t.running] = stop[0]
            self.stopped[t.running] = stop[1]

    def lines_of(self, check):
        return [n for n, c in self.owner.items() if c == check]


def section_of(check):
    return check.split(".")[0]


def run_until_done(boot, sections, max_boots=MAX_BOOTS):
    """boot(args) -> (text, stop) where stop is None for a run that reached
    its end, else (value, reason): ("died", "guest ended: ...") or
    ("hung", "..."). Restarts after each stop with that check skipped."""
    result, skip, todo = Result(), [], list(sections)
    while result.boots < max_boots:
        args = "section=" + SEP.join(todo)
        if skip:
            args += " skip=" + SEP.join(skip)
        text, stop = boot(args)
        t = Transcript(text)
        result.transcripts.append((args, text))
        if t.done and not stop:
            result.add(t)
            return result
        if t.running is None:
            raise RuntimeError("the guest stopped outside any check (%s): %r"
                               % (stop, text[-500:]))
        result.add(t, stop or ("died", "no end line"))
        skip.append(t.running)
        todo = todo[todo.index(section_of(t.running)):]
    raise RuntimeError("more than %d boots" % max_boots)


# ---- boots ----

def qemu_native(args):
    run = run_qemu(GUEST, args, timeout=SECTION_TIMEOUT)
    if run.timed_out:
        return run.text, ("hung", "native run timed out")
    return run.text, (None if run.exit_code == 0 else ("died", "exit %s" % run.exit_code))


def guest_ended(log):
    for l in log.splitlines():
        if "guest ended" in l or "panic" in l:
            return l.strip()
    return "no reason in the log"


def qemu_monitor(shadow, ring=1):
    def boot(args):
        run = run_monitor(MONITOR, GUEST, args, "shadow=%s ring=%d" % (shadow, ring),
                          timeout=SECTION_TIMEOUT)
        if run.timed_out:
            return run.text, ("hung", "timed out after %ds" % SECTION_TIMEOUT)
        if run.exit_code != 0:
            return run.text, ("died", "exit %s: %s" % (run.exit_code, guest_ended(run.log)))
        return run.text, None
    return boot


def bochs_boot(monitor_opts=None):
    """Boots under Bochs from a GRUB ISO built for this command line."""
    from bochs import boot_guest

    def boot(args):
        text, how, log, _ = boot_guest(GUEST, args, monitor_opts, timeout_s=BOCHS_TIMEOUT)
        clean = how == "shutdown"
        t = Transcript(text)
        if t.done and clean:
            return text, None
        reason = guest_ended(log) if log else "no reason in the log"
        if not clean:
            reason = "Bochs stopped without a clean shutdown; " + reason
        return text, ("died", reason)
    return boot


# ---- comparison ----

class Diff:
    def __init__(self, name, native, monitor, kind, why):
        self.name, self.native, self.monitor, self.kind, self.why = (
            name, native, monitor, kind, why)

    def __str__(self):
        return "%-8s %-40s native %-24s monitor %-24s %s" % (
            self.kind, self.name, self.native, self.monitor, self.why)


MISSING = "<missing>"


def compare(native, monitor, tags, sections=None):
    """Differences between two Results, each classified: 'hole' (HOLES),
    'known' (KNOWN_BUGS applying to tags), 'platform' (PLATFORM applying to
    tags), 'new'; plus 'fixed' entries for known bugs that apply here and
    no longer differ."""
    diffs = []
    names = [n for n in native.values if sections is None or section_of(
        n[4:] if n.startswith("run.") else n) in sections]
    names += [n for n in monitor.values if n not in native.values and (
        sections is None or section_of(n[4:] if n.startswith("run.") else n) in sections)]
    differing = set()
    for name in names:
        nv, mv = native.values.get(name, MISSING), monitor.values.get(name, MISSING)
        if nv == mv:
            continue
        owner = monitor.owner.get(name) or native.owner.get(name)
        if mv == MISSING and owner and monitor.values.get("run." + owner, "ran") != "ran":
            continue        # a line its dead or aborted check never printed
        differing.add(name)
        diffs.append(classify(name, nv, mv, tags))
    for name, bug in conform_expected.KNOWN_BUGS.items():
        applies = bug.applies(tags)
        if applies and name not in differing and in_sections(name, sections) and (
                name in native.values or name in monitor.values):
            diffs.append(Diff(name, native.values.get(name, MISSING),
                              monitor.values.get(name, MISSING), "fixed",
                              "listed in KNOWN_BUGS but the monitor now agrees: remove it"))
    return diffs


def in_sections(name, sections):
    if sections is None:
        return True
    return section_of(name[4:] if name.startswith("run.") else name) in sections


def classify(name, nv, mv, tags):
    if name in conform_expected.HOLES:
        return Diff(name, nv, mv, "hole", conform_expected.HOLES[name])
    if "ring3" in tags and name in conform_expected.RING3_HOLES:
        return Diff(name, nv, mv, "hole", conform_expected.RING3_HOLES[name])
    bug = conform_expected.KNOWN_BUGS.get(name)
    if bug and bug.applies(tags):
        return Diff(name, nv, mv, "known", bug.what)
    plat = conform_expected.PLATFORM.get(name)
    if plat and plat.applies(tags):
        return Diff(name, nv, mv, "platform", plat.what)
    return Diff(name, nv, mv, "new", "not in HOLES, KNOWN_BUGS or PLATFORM")


def failures(diffs):
    return [d for d in diffs if d.kind in ("new", "fixed")]


def main():
    ap = argparse.ArgumentParser(description="Run the conformance guest natively and under "
                                 "the monitor; print the lines that differ.")
    ap.add_argument("--shadow", default="cached", choices=["cached", "vtlb"],
                    help="the monitor's shadow strategy (default cached)")
    ap.add_argument("--ring", type=int, default=1, choices=[1, 3],
                    help="the ring the guest kernel runs in (ring=, default 1)")
    ap.add_argument("--bochs", action="store_true", help="boot under Bochs instead of QEMU")
    ap.add_argument("--section", action="append", choices=SECTIONS,
                    help="only this section (repeatable; default all)")
    ap.add_argument("--all", action="store_true",
                    help="print holes, known bugs and platform lines too, not only failures")
    a = ap.parse_args()
    sections = a.section or SECTIONS
    if a.bochs:
        native = run_until_done(bochs_boot(), sections)
        monitor = run_until_done(bochs_boot("shadow=%s ring=%d" % (a.shadow, a.ring)), sections)
    else:
        native = run_until_done(qemu_native, sections)
        monitor = run_until_done(qemu_monitor(a.shadow, a.ring), sections)
    tags = {"bochs" if a.bochs else "qemu", a.shadow, "ring%d" % a.ring}
    diffs = compare(native, monitor, tags, set(sections))
    for check, why in monitor.stopped.items():
        print("stopped  run.%-36s %s" % (check, why))
    for d in diffs:
        if a.all or d.kind in ("new", "fixed"):
            print(d)
    n = sum(1 for v in native.values if not v.startswith("run."))
    print("%d lines natively, %d boots under the monitor; %d holes, %d known bugs, "
          "%d platform, %d new, %d fixed" % (
              n, monitor.boots, *[sum(1 for d in diffs if d.kind == k)
                                  for k in ("hole", "known", "platform", "new", "fixed")]))
    return 1 if failures(diffs) else 0


if __name__ == "__main__":
    sys.exit(main())
