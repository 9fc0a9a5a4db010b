"""classify.py - a run's outcome, judged against the golden run.

The classes (docs/fault-injection.md), decided in this order:

  monitor failure  the monitor panicked (exit 0x74), refused its options
                   (0x71/0x72), QEMU ended without a debug exit (the real
                   machine reset: something escaped the guest), the host
                   timeout fired (the monitor's watchdog should have), or
                   the log has no result line.  Must never happen.
  hang             the monitor's watchdog ended the run (0x75)
  guest crash      the monitor ended the guest: triple fault, an access
                   beyond its RAM, a state it cannot resume (0x73)
  detected         the guest ended with another code than the golden run's
                   (its own panic or failed-test exit), or its transcript
                   matches the workload's 'panic' pattern (a guest that
                   panics and then spins, xv6: whatever ended the run)
  SDC              the golden run's exit code, but a different transcript
                   (with no fault injected that can only be timing: the
                   injector's own instructions count in virtual time under
                   -icount, so a workload that prints times may shift; the
                   detail says so)
  not activated    same exit, same transcript, and the monitor says the
                   fault never took effect (trigger not reached, byte never
                   read, event never happened)
  benign           same exit, same transcript
"""
import hashlib
import re

MON_BAD_OPTION, MON_BAD_GUEST, MON_GUEST_DIED, MON_PANIC, MON_HANG = 0x71, 0x72, 0x73, 0x74, 0x75

OUTCOMES = ("benign", "SDC", "detected", "guest crash", "hang", "not activated",
            "monitor failure")


def normalize(text, patterns):
    """The transcript as compared: \\r dropped, each pattern's matches blanked."""
    text = text.replace("\r", "")
    for p in patterns:
        text = re.sub(p, "#", text)
    return text


def digest(text):
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def first_difference(a, b):
    """The first line where two transcripts differ, as 'golden | run'."""
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<end>"
        y = lb[i] if i < len(lb) else "<end>"
        if x != y:
            return "line %d: %r | %r" % (i + 1, x[:80], y[:80])
    return ""


def panic_line(text, pattern):
    """The first line of text the guest's panic pattern matches, or None."""
    if not pattern:
        return None
    m = re.search(pattern, text)
    if not m:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return text[start:end if end >= 0 else len(text)]


def classify(golden, run, fault, panic=""):
    """(outcome, detail).  golden: {'code', 'text'} (text normalized);
    run: runner result with 'text' normalized; fault: monlog.fault_result()
    of the run, or None; panic: the workload's regex for the guest's own
    error report (the golden transcript never matches it)."""
    code = run["code"]
    if run["timed_out"]:
        return "monitor failure", "host timeout: the monitor's watchdog did not end the run"
    if code == MON_PANIC:
        return "monitor failure", "monitor panic"
    if code in (MON_BAD_OPTION, MON_BAD_GUEST):
        return "monitor failure", "the monitor refused the run (exit 0x%x)" % code
    if code is None:
        return "monitor failure", "QEMU ended without a debug exit (rc %s)" % run.get("rc")
    line = panic_line(run["text"], panic)
    if line is not None:
        return "detected", "guest panic: %s" % line[:100]
    if code == MON_HANG:
        return "hang", "watchdog"
    if code == MON_GUEST_DIED:
        return "guest crash", "ended by the monitor"
    if code != golden["code"]:
        return "detected", "exit code %d, golden %d" % (code, golden["code"])
    same = run["text"] == golden["text"]
    if fault is None:
        return "monitor failure", "no fault result line in the monitor's log"
    if not same:
        why = first_difference(golden["text"], run["text"])
        if not fault["injected"]:
            return "SDC", "no fault injected (timing only): " + why
        return "SDC", why
    if fault["activated"] == "no":
        return "not activated", ""
    return "benign", ""
