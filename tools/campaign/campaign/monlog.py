"""monlog.py - read the monitor's log (port 0xE9) of one run.

The monitor prints, at the end of a run, the exit table (traps by vector,
emulated instructions by kind, shadow counters, virtual interrupts) and, when
fault injection or the watchdog is on, lines starting "fault:" (see
src/fault/fault.h).  The fault space of a campaign is built from the golden
run's table; each job's outcome reads its "fault: result:" line.
"""
import re

VECTOR_NAMES = {"#DE": 0, "#DB": 1, "NMI": 2, "#BP": 3, "#OF": 4, "#BR": 5, "#UD": 6,
                "#NM": 7, "#DF": 8, "#TS": 10, "#NP": 11, "#SS": 12, "#GP": 13, "#PF": 14,
                "#MF": 16, "#AC": 17, "#MC": 18, "#XM": 19}
# The exit table prints the decoder's mnemonic for each emulated kind; the
# trigger= option names kinds as src/fault/spec.c does.
EMUL_KINDS = {"cli": "cli", "sti": "sti", "hlt": "hlt", "in": "in", "out": "out",
              "ins": "ins", "outs": "outs", "lgdt": "lgdt", "lidt": "lidt", "lldt": "lldt",
              "ltr": "ltr", "lmsw": "lmsw", "invlpg": "invlpg", "mov from cr": "movfromcr",
              "mov to cr": "movtocr", "mov from dr": "movfromdr", "mov to dr": "movtodr",
              "clts": "clts", "wbinvd": "wbinvd", "invd": "invd", "rdmsr": "rdmsr",
              "wrmsr": "wrmsr", "int": "int", "int3": "int3", "into": "into", "iret": "iret",
              "retf": "retf", "lret": "retf", "mov to sreg": "movss", "pop": "popss"}

LINE = re.compile(r"^monitor: (.*)$")
RESULT = re.compile(r"fault: result: injected=(\d) activated=(\w+) trap=(\d+) eip=(0x[0-9a-f]+) "
                    r"us=(\d+) end_us=(\d+)")
RESULT_NONE = re.compile(r"fault: result: none end_us=(\d+)")
SHADOW = re.compile(r"shadow MMU \((\w+)\): (\d+) hidden faults filled, (\d+) flushes, (\d+) invlpg")
PTWRITES = re.compile(r"page-table writes emulated (\d+)")
IRQS = re.compile(r"^  IRQs\s+(\d+)$")


def lines(log):
    """The monitor's own lines, without the 'monitor: ' prefix."""
    out = []
    for l in log.splitlines():
        m = LINE.match(l.rstrip("\r"))
        if m:
            out.append(m.group(1))
    return out


def _vector(name):
    if name in VECTOR_NAMES:
        return VECTOR_NAMES[name]
    if name.startswith("irq"):
        return 0x20 + int(name[3:])
    if name.startswith("vec"):
        return int(name[3:])
    return None


def exit_table(log):
    """Counters of the exit table: {'traps': {vector: n}, 'emul': {kind: n},
    'shadow': {event: n}, 'irqs': n}."""
    t = {"traps": {}, "emul": {}, "shadow": {}, "irqs": 0}
    section = None
    for l in lines(log):
        if l == "exits by vector:":
            section = "traps"
            continue
        if l == "emulated instructions:":
            section = "emul"
            continue
        if l.endswith(":") and not l.startswith("  "):
            section = None
        m = SHADOW.search(l)
        if m:
            t["shadow"].update(fill=int(m.group(2)), flush=int(m.group(3)), invlpg=int(m.group(4)))
            continue
        m = PTWRITES.search(l)
        if m:
            t["shadow"]["ptwrite"] = int(m.group(1))
            continue
        m = IRQS.match(l)
        if m:
            t["irqs"] = int(m.group(1))
            continue
        if not l.startswith("  ") or section is None:
            continue
        name, _, count = l.strip().rpartition(" ")
        name = name.strip()
        if not count.isdigit():
            continue
        if section == "traps" and _vector(name) is not None:
            t["traps"][_vector(name)] = int(count)
        elif section == "emul" and name in EMUL_KINDS:
            t["emul"][EMUL_KINDS[name]] = t["emul"].get(EMUL_KINDS[name], 0) + int(count)
    return t


def fault_result(log):
    """The 'fault: result:' line as a dict, or None if the run never printed
    one (a monitor panic, a host timeout)."""
    for l in lines(log):
        m = RESULT.search(l)
        if m:
            return {"injected": int(m.group(1)), "activated": m.group(2),
                    "trap": int(m.group(3)), "eip": int(m.group(4), 16),
                    "inject_us": int(m.group(5)), "end_us": int(m.group(6))}
        m = RESULT_NONE.search(l)
        if m:
            return {"injected": 0, "activated": "no", "trap": 0, "eip": 0, "inject_us": 0,
                    "end_us": int(m.group(1))}
    return None


def excerpt(log, limit=1500):
    """What a person wants to see of a run's log: the fault lines and how
    it ended (the exit table left out)."""
    keep = [l for l in lines(log) if l.startswith(("fault:", "hang:", "guest ended:",
                                                    "guest exited", "panic", "refused",
                                                    "warning", "not emulated"))]
    text = "\n".join(keep)
    return text[:limit]
