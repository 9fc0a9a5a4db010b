"""space.py - the fault space of a campaign, and jobs drawn from it.

A fault is (target, trigger, persistence).  The trigger space comes from
the golden run's exit table: "the Nth trap with vector V" ranges over every
trap the run took (a vector drawn in proportion to its count, then N
uniform), likewise emulated instructions, shadow events and virtual
interrupts; "time" over the run's virtual microseconds; "eip" over the
guest's instruction addresses (objdump) and the first few executions.  The
target space comes from the campaign's [[targets]] and the guest ELF.

Job i is drawn by its own generator, seeded with (seed, i): the jobs do not
depend on how many there are, so growing a campaign (RUNS=) keeps the
first ones, and a job can be drawn again anywhere.
"""
import itertools
import random
import re
import subprocess

from campaign import elfinfo

REGS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags"]
DEFAULT_PORTS = [0x3FD, 0x40, 0x21, 0x3F8]
DEFAULT_PTE_RANGES = [[0x400000, 0x410000]]     # a user program's first pages
SHADOW_EVENTS = ("fill", "flush", "invlpg", "ptwrite")
IRQ_MODES = ("lost", "delay", "spurious")
IRQ_TIMERS = ("pit",)           # the PIT's IRQ 0; "lapic": the local APIC timer (xv6)
EXHAUSTIVE_MAX = 100000
OBJDUMP_INSN = re.compile(r"^\s*([0-9a-f]+):\t")
PLACEHOLDER = re.compile(r"\{(sym|str):([^}]*)\}")


class SpaceError(ValueError):
    """The campaign asks for a space that is empty or too big."""


def instruction_addresses(guest):
    """Addresses of the guest's instructions (objdump -d), sorted."""
    out = subprocess.run(["objdump", "-d", guest], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout.decode()
    return sorted({int(m.group(1), 16) for m in map(OBJDUMP_INSN.match, out.splitlines()) if m})


def resolve(text, guest):
    """Fault and trigger strings may name guest addresses symbolically:
    {sym:NAME} is the symbol's address, {str:TEXT} where the bytes of TEXT
    first occur in the loaded image (so a campaign survives a rebuild)."""
    def one(m):
        if m.group(1) == "sym":
            addr = elfinfo.symbols(guest).get(m.group(2))
        else:
            addr = elfinfo.find_bytes(guest, m.group(2).encode())
        if addr is None:
            raise SpaceError("%s: no %s %r in %s" % (text, "symbol" if m.group(1) == "sym"
                                                     else "string", m.group(2), guest))
        return "0x%x" % addr
    return PLACEHOLDER.sub(one, text)


class TriggerSpace:
    """Where a trigger can point, from the golden run."""

    def __init__(self, table, end_us, eips, eip_kmax=3):
        self.traps = sorted(table["traps"].items())
        self.emul = sorted(table["emul"].items())
        self.shadow = sorted((e, n) for e, n in table["shadow"].items() if e in SHADOW_EVENTS and n)
        self.irqs = table["irqs"]
        self.end_us = end_us
        self.eips, self.eip_kmax = eips, eip_kmax

    def size(self, kind):
        if kind in ("trap", "emul", "shadow"):
            return sum(n for _, n in getattr(self, {"trap": "traps", "emul": "emul",
                                                     "shadow": "shadow"}[kind]))
        if kind == "irq":
            return self.irqs
        if kind == "time":
            return self.end_us
        return len(self.eips) * self.eip_kmax

    def draw(self, kind, rng):
        if kind in ("trap", "emul", "shadow"):
            pairs = {"trap": self.traps, "emul": self.emul, "shadow": self.shadow}[kind]
            what, count = _weighted(rng, pairs)
            return "%s:%s:%d" % (kind, what, rng.randint(1, count))
        if kind == "irq":
            return "irq:%d" % rng.randint(1, self.irqs)
        if kind == "time":
            return "time:%d" % rng.randint(0, self.end_us)
        return "eip:0x%x:%d" % (rng.choice(self.eips), rng.randint(1, self.eip_kmax))


def _weighted(rng, pairs):
    total = sum(n for _, n in pairs)
    x = rng.randrange(total)
    for what, n in pairs:
        if x < n:
            return what, n
        x -= n
    return pairs[-1]


class TargetSpace:
    """One [[targets]] table: its fault= strings, drawn or enumerated."""

    def __init__(self, t, guest):
        self.cls, self.weight = t["class"], t["weight"]
        self.persist = t.get("persist", ["once"])
        self.t = t
        self.ranges = self._ranges(guest)

    def _ranges(self, guest):
        if self.cls == "mem":
            if "ranges" in self.t:
                return [tuple(r) for r in self.t["ranges"]]
            kinds = self.t.get("sections", ["text", "rodata", "data", "bss"])
            return [(s.addr, s.addr + s.size) for s in elfinfo.sections(guest) if s.kind in kinds]
        if self.cls in ("pte", "pde"):
            return [tuple(r) for r in self.t.get("ranges", DEFAULT_PTE_RANGES)]
        return []

    def _addresses(self):
        step = {"mem": 1, "pte": 4096, "pde": 1 << 22}[self.cls]
        return sum((hi - lo + step - 1) // step for lo, hi in self.ranges), step

    def size(self):
        c, t = self.cls, self.t
        if c == "reg":
            w = t.get("width", 1)
            return len(t.get("regs", REGS)) * (33 - w)
        if c in ("mem", "pte", "pde"):
            n, _ = self._addresses()
            return n * (8 if c == "mem" else 32)
        if c == "insn":
            return t.get("offsets", 4) * 8
        if c == "port":
            return len(t.get("ports", DEFAULT_PORTS)) * 8
        if c == "irq":
            return len(t.get("modes", IRQ_MODES)) * len(t.get("timers", IRQ_TIMERS))
        if c == "emul":
            return 32
        return len(t.get("modes", ("invlpg", "ptwrite")))

    def draw(self, rng):
        c, t = self.cls, self.t
        if c == "reg":
            w = t.get("width", 1)
            bit = rng.randint(0, 32 - w)
            reg = rng.choice(t.get("regs", REGS))
            return "reg:%s:%d" % (reg, bit) + (":%d" % w if w > 1 else "")
        if c in ("mem", "pte", "pde"):
            return "%s:0x%x:%d" % (c, self._draw_address(rng), rng.randint(0, 7 if c == "mem" else 31))
        if c == "insn":
            return "insn:%d:%d" % (rng.randint(0, t.get("offsets", 4) - 1), rng.randint(0, 7))
        if c == "port":
            return "port:0x%x:%d" % (rng.choice(t.get("ports", DEFAULT_PORTS)), rng.randint(0, 7))
        if c == "irq":
            mode = rng.choice(t.get("modes", IRQ_MODES))
            timer = _timer_prefix(rng.choice(t.get("timers", IRQ_TIMERS)))
            if mode == "delay":
                lo, hi = t.get("delay_ms", [1, 20])
                return "irq:%sdelay:%d" % (timer, rng.randint(lo, hi))
            return "irq:" + timer + mode
        if c == "emul":
            return "emul:%d" % rng.randint(0, 31)
        return "shadow:" + rng.choice(t.get("modes", ["invlpg", "ptwrite"]))

    def _draw_address(self, rng):
        n, step = self._addresses()
        x = rng.randrange(n)
        for lo, hi in self.ranges:
            k = (hi - lo + step - 1) // step
            if x < k:
                return lo + x * step
            x -= k
        raise SpaceError("empty address ranges")

    def enumerate(self):
        """Every fault= string of this class (exhaustive campaigns)."""
        if self.size() > EXHAUSTIVE_MAX:
            raise SpaceError("class %s has %d values: too many to enumerate (at most %d)"
                             % (self.cls, self.size(), EXHAUSTIVE_MAX))
        c, t = self.cls, self.t
        if c == "reg":
            w = t.get("width", 1)
            return ["reg:%s:%d" % (r, b) + (":%d" % w if w > 1 else "")
                    for r in t.get("regs", REGS) for b in range(33 - w)]
        if c in ("mem", "pte", "pde"):
            n, step = self._addresses()
            bits = 8 if c == "mem" else 32
            addrs = itertools.chain.from_iterable(range(lo, hi, step) for lo, hi in self.ranges)
            return ["%s:0x%x:%d" % (c, a, b) for a in addrs for b in range(bits)]
        if c == "insn":
            return ["insn:%d:%d" % (o, b) for o in range(t.get("offsets", 4)) for b in range(8)]
        if c == "port":
            return ["port:0x%x:%d" % (p, b) for p in t.get("ports", DEFAULT_PORTS) for b in range(8)]
        if c == "irq":
            lo, _ = t.get("delay_ms", [1, 20])
            return ["irq:" + _timer_prefix(tm) + ("delay:%d" % lo if m == "delay" else m)
                    for tm in t.get("timers", IRQ_TIMERS) for m in t.get("modes", IRQ_MODES)]
        if c == "emul":
            return ["emul:%d" % b for b in range(32)]
        return ["shadow:" + m for m in t.get("modes", ["invlpg", "ptwrite"])]


class FaultSpace:
    """The whole campaign's space: targets x triggers x persistence."""

    def __init__(self, campaign, golden_table, end_us, guest_path, eips=None):
        self.c = campaign
        self.guest = guest_path
        self.targets = [TargetSpace(t, guest_path) for t in campaign.targets]
        kinds = {k: w for k, w in campaign.triggers.items() if w > 0}
        if "eip" in kinds and eips is None:
            eips = instruction_addresses(guest_path)
        self.triggers = TriggerSpace(golden_table, end_us, eips or [])
        self.kinds = [(k, w) for k, w in sorted(kinds.items()) if self.triggers.size(k) > 0]
        if campaign.targets and not self.kinds:
            raise SpaceError("no trigger kind has any point in the golden run")

    def trigger_points(self):
        return sum(self.triggers.size(k) for k, _ in self.kinds)

    def class_sizes(self):
        """Faults per target class: its values times every trigger point of
        the golden run; in an exhaustive campaign, the space it enumerates
        (values x its listed points x persistences), every fault of which
        it runs."""
        out = {}
        for t in self.targets:
            if self.c.runs == "exhaustive":
                n = t.size() * len(t.t.get("points", [])) * len(t.persist)
            else:
                n = t.size() * self.trigger_points()
            out[t.cls] = out.get(t.cls, 0) + n
        return out

    def job(self, idx):
        """Job idx: {'idx', 'cls', 'fault', 'trigger', 'persist', 'expect'}."""
        if self.c.jobs:
            j = self.c.jobs[idx]
            return {"idx": idx, "cls": j["fault"].split(":")[0],
                    "fault": resolve(j["fault"], self.guest),
                    "trigger": resolve(j["trigger"], self.guest), "persist": j["persist"],
                    "expect": j["expect"]}
        rng = random.Random("%d:%d" % (self.c.seed, idx))
        t = _pick(rng, [(t, t.weight) for t in self.targets])
        kind = _pick(rng, self.kinds)
        return {"idx": idx, "cls": t.cls, "fault": t.draw(rng),
                "trigger": self.triggers.draw(kind, rng), "persist": rng.choice(t.persist),
                "expect": ""}

    def jobs(self, runs):
        if self.c.jobs:
            return [self.job(i) for i in range(len(self.c.jobs))]
        if runs == "exhaustive":
            return self.exhaustive()
        return [self.job(i) for i in range(runs)]

    def exhaustive(self):
        """Every target value x each of its listed trigger points x persistence."""
        out = []
        for t in self.targets:
            points = t.t.get("points")
            if not points:
                raise SpaceError("an exhaustive campaign lists each target's trigger points: "
                                 "points = [\"trap:13:100\", ...] in its [[targets]] table")
            for f in t.enumerate():
                for p in (resolve(x, self.guest) for x in points):
                    for persist in t.persist:
                        out.append({"idx": len(out), "cls": t.cls, "fault": f, "trigger": p,
                                    "persist": persist, "expect": ""})
                        if len(out) > EXHAUSTIVE_MAX:
                            raise SpaceError("exhaustive campaign of more than %d jobs"
                                             % EXHAUSTIVE_MAX)
        return out


def _timer_prefix(timer):
    """The fault= word for an irq fault's timer: the PIT is the default."""
    return "" if timer == "pit" else timer + ":"


def _pick(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.uniform(0, total)
    for item, w in pairs:
        if x < w:
            return item
        x -= w
    return pairs[-1][0]


def monargs(workload, job, watchdog_ms):
    """The monitor's command line for a job."""
    words = [workload["monargs"], "fault=" + job["fault"], "trigger=" + job["trigger"],
             "persist=" + job["persist"], "watchdog=%d" % watchdog_ms]
    return " ".join(w for w in words if w)
