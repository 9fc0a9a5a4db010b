#!/usr/bin/python3
"""difftest.py - the differential tester's runner: generate batches of
random sequences (gen.py), run each batch natively on QEMU (with --bochs:
on Bochs, from GRUB ISOs) and under the monitor on the same emulator (one
run per shadow strategy), compare the per-sequence hashes,
and for every mismatch run that sequence alone in full mode on both sides
and print the sequence and both states (docs/conformance.md).

Mechanism: guests/difftest prints one "HASH VECTOR" line per sequence, the
hash folding every observation (registers, flags, the exception, control
registers, page-table and descriptor entries, every test-page dword that
changed).  Equal hashes mean equal observations.  A run under the monitor
can stop early (the monitor ended the guest, panicked, or the run hung):
the sequence it stopped in is recorded with the monitor's reason as a
mismatch of its own ("died"/"hung") and the batch goes on from the next
sequence, so one monitor bug hides nothing after it.

    difftest.py --seed 1 --count 20000 --progress      # a long run
    difftest.py --seed 1 --only 1234                     # one sequence, both states
    difftest.py --witnesses                              # do the known bugs still show?
    difftest.py --seed 5 --count 1500 --ring 3           # the guest kernel in real ring 3
    difftest.py --seed 1 --count 300 --bochs --progress  # on Bochs (GRUB ISOs; slow)

With --ring 3 (or --monargs ring=3) the monitor runs the guest kernel in
real ring 3 and the sequences also leave out expected.py's RING3_HOLES
and RING3_KNOWN_BUGS.

Exit status: 0 when no sequence mismatched (known bugs are left out of the
random sequences, holes too), 1 otherwise, 2 on a broken setup.
"""
import argparse
import concurrent.futures
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
import expected  # noqa: E402
import gen  # noqa: E402
from guestrun import run_qemu, run_monitor, MonitorRun  # noqa: E402

GUEST = os.path.join(ROOT, "build", "difftest.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
NATIVE = "native"
SHADOWS = ["cached", "vtlb"]
BATCH = 2000                # sequences per boot
BOOT_TIMEOUT = 60           # seconds, plus PER_SEQ_TIMEOUT per sequence
PER_SEQ_TIMEOUT = 0.05
BOCHS_BATCH = 300           # sequences per boot on Bochs (--bochs)
BOCHS_TIMEOUT = 600         # seconds for one Bochs boot, plus BOCHS_PER_SEQ per sequence
BOCHS_PER_SEQ = 1.0
DETAIL_LIMIT = 10           # mismatches shown in full
MONARGS = []                # more monitor options for every run (--monargs)

RESULT = re.compile(r"^([0-9a-f]{8}) ([0-9a-f]{2}) ([0-9a-f]{6})$")
CATEGORIES = ["exception", "registers", "control", "paging", "tables", "memory"]
LAYOUT = re.compile(r"^difftest: layout (.*)$")
DONE = re.compile(r"^difftest: done (\d+)$")
FIELD = re.compile(r"^(\S+) (0x[0-9a-f]+)$")
SEQ_HEADER = re.compile(r"^seq (\d+) ring \d$")
MONITOR_END = re.compile(r"^monitor: (guest ended: .*|panic: .*|refused: .*)$", re.M)


def guest_args(start=0, full=False, show=None):
    words = ["mask=" + "+".join(sorted(expected.MASKS))]
    if start:
        words.append("start=%d" % start)
    if full:
        words.append("full")
    if show is not None:
        words.append("show=%d" % show)
    return " ".join(words)


class BootResult:
    """One boot of a batch: the lines it printed, and why it stopped."""

    def __init__(self, run, target):
        self.run = run
        self.target = target
        self.lines = run.lines()
        self.results = [m.groups() for m in map(RESULT.match, self.lines) if m]
        self.done = any(DONE.match(l) for l in self.lines)
        self.layout = next((m.group(1) for m in map(LAYOUT.match, self.lines) if m), None)

    def stop_reason(self):
        if self.run.timed_out:
            return "hung (no progress before the timeout)"
        log = getattr(self.run, "log", "")
        m = MONITOR_END.search(log)
        if m:
            return m.group(1)
        tail = [l for l in self.lines if l.startswith("difftest:")][-1:]
        return "stopped, exit code %s%s" % (self.run.exit_code, (": " + tail[0]) if tail else "")


def monitor_args(target, ring):
    words = ["shadow=" + target] + MONARGS
    if ring != 1 and not any(w.startswith("ring=") for w in MONARGS):
        words.append("ring=%d" % ring)
    return " ".join(words)


def bochs_run(target, batch, args, ring, timeout):
    """One boot under Bochs from a GRUB ISO (test/integration/bochs.py),
    as a MonitorRun: Bochs loses the guest's exit code (exit_code None;
    the guest's "difftest: done" line says it ended), a run that did not
    end by the guest's shutdown counts as timed out when it ran out of
    time."""
    from bochs import boot_guest
    monopts = None if target == NATIVE else monitor_args(target, ring)
    text, how, log, _ = boot_guest(GUEST, args, monopts, [batch], timeout)
    return MonitorRun(text, None, how == "timeout", log)


def boot(target, batch, count, start=0, full=False, show=None, ring=1, bochs=False):
    """One boot of a batch, natively or under the monitor with the guest
    kernel in real ring `ring`, on QEMU or (bochs) on Bochs."""
    timeout = BOOT_TIMEOUT + PER_SEQ_TIMEOUT * count
    args = guest_args(start, full, show)
    if bochs:
        run = bochs_run(target, batch, args, ring, BOCHS_TIMEOUT + BOCHS_PER_SEQ * count)
    elif target == NATIVE:
        run = run_qemu(GUEST, append=args, timeout=timeout, modules=[batch])
    else:
        run = run_monitor(MONITOR, GUEST, args + "," + batch,
                          append=monitor_args(target, ring), timeout=timeout)
    return BootResult(run, target)


def expected_layout():
    return " ".join("%s=0x%x" % (k, gen.LAYOUT[k]) for k in
                    ["pd", "pt", "r0stack", "win", "info", "code", "r3stack", "scratch",
                     "alias", "pool", "stack_start"])


class SetupError(Exception):
    pass


class BatchRun:
    """A batch on one target, to its end: index -> (hash, vector), and the
    sequences it stopped in, index -> reason."""

    def __init__(self, target, batch, first, count, ring=1, bochs=False):
        self.target, self.results, self.stops, self.boots = target, {}, {}, 0
        self.context = {}           # index -> the first sequence its boot ran
        start = 0
        while start < count:
            b = boot(target, batch, count - start, start, ring=ring, bochs=bochs)
            self.boots += 1
            if b.layout is not None and b.layout != expected_layout():
                raise SetupError("the guest's layout (%s) is not gen.py's (%s)"
                                 % (b.layout, expected_layout()))
            if b.layout is None:
                raise SetupError("%s: the guest did not start:\n%s%s" % (
                    target, b.run.text[-2000:], getattr(b.run, "log", "")[-2000:]))
            for i, r in enumerate(b.results):
                self.results[first + start + i] = r
                self.context[first + start + i] = first + start
            if b.done:
                break
            stopped = start + len(b.results)
            if stopped < count:
                self.stops[first + stopped] = b.stop_reason()
            start = stopped + 1


# ---- one sequence in full ----

def full_state(target, batch, count=1, show=None, ring=1, bochs=False):
    b = boot(target, batch, count, full=show is None, show=show, ring=ring, bochs=bochs)
    fields = {}
    for l in b.lines:
        m = FIELD.match(l)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields, (None if b.done else b.stop_reason())


def compare_fields(a, b):
    names = list(a) + [n for n in b if n not in a]
    return [(n, a.get(n, "-"), b.get(n, "-")) for n in names if a.get(n) != b.get(n)]


def show_sequence(seq, batch):
    out = [seq.describe(), "  bytes (objdump):"]
    out += ["    " + l for l in gen.disassemble(gen.code_bytes(batch)[seq.index])]
    return "\n".join(out)


def detail(seq, target, tmp, seed=None, context=None, ring=1, bochs=False):
    """The sequence, and the fields that differ between native and target:
    run alone, or if alone it agrees, after the sequences from context on
    (those its boot ran before it: what it found may depend on them)."""
    batch = os.path.join(tmp, "one-%d.bin" % seq.index)
    gen.write_witnesses([seq], batch)
    nat, nat_stop = full_state(NATIVE, batch, bochs=bochs)
    mon, mon_stop = full_state(target, batch, ring=ring, bochs=bochs)
    out = [show_sequence(seq, batch)]
    if not compare_fields(nat, mon) and context is not None and context < seq.index:
        n = seq.index - context + 1
        path = os.path.join(tmp, "ctx-%d.bin" % seq.index)
        gen.write_batch(seed, context, n, path, kernel_ring=ring)
        nat, nat_stop = full_state(NATIVE, path, n, show=n - 1, bochs=bochs)
        mon, mon_stop = full_state(target, path, n, show=n - 1, ring=ring, bochs=bochs)
        out.append("  (alone it agrees: the states below are after sequences %d-%d ran "
                   "before it in one boot)" % (context, seq.index - 1))
    if nat_stop:
        out.append("  native run stopped: %s" % nat_stop)
    if mon_stop:
        out.append("  %s run stopped: %s" % (target, mon_stop))
    diffs = compare_fields(nat, mon)
    out.append("  %-16s %-12s %-12s" % ("field", "native", target))
    for n, x, y in diffs:
        out.append("  %-16s %-12s %-12s" % (n, x, y))
    same = [n for n in nat if n in mon and nat[n] == mon[n] and not n.startswith("mem.")]
    out.append("  equal: " + " ".join("%s=%s" % (n, nat[n]) for n in same))
    return "\n".join(out), diffs


# ---- the whole run ----

class Mismatch:
    def __init__(self, index, target, kind, native, monitor, context=None):
        self.index, self.target, self.kind = index, target, kind
        self.native, self.monitor = native, monitor
        self.context = context      # the first sequence of the boot it ran in

    def categories(self):
        """The categories of observation whose digits differ."""
        if self.kind != "differs":
            return []
        return [c for c, a, b in zip(CATEGORIES, self.native[2], self.monitor[2]) if a != b]

    def __str__(self):
        if self.kind != "differs":
            return "sequence %d under %s: %s (%s)" % (self.index, self.target, self.kind,
                                                       self.monitor)
        return "sequence %d under %s: differs in %s (native %s, monitor %s)" % (
            self.index, self.target, ", ".join(self.categories()) or "the hash only",
            " ".join(self.native), " ".join(self.monitor))


def compare(native, other):
    out = []
    for i in sorted(set(native.results) | set(other.results) | set(other.stops)):
        n, m = native.results.get(i), other.results.get(i)
        if i in native.stops:
            continue
        if i in other.stops:
            out.append(Mismatch(i, other.target, "died", n, other.stops[i]))
        elif n != m:
            out.append(Mismatch(i, other.target, "differs", n, m, other.context.get(i)))
    return out


class Totals:
    def __init__(self, targets):
        self.ran = {t: 0 for t in targets}
        self.mismatches = []
        self.native_stops = {}
        self.vectors = {}
        self.rings = {0: 0, 3: 0}
        self.tags = {}


def run_batches(seed, first, count, targets, batch_size, jobs, progress, tmp, ring=1,
                bochs=False):
    totals = Totals(targets)
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for at in range(first, first + count, batch_size):
            n = min(batch_size, first + count - at)
            path = os.path.join(tmp, "batch-%d.bin" % at)
            seqs = gen.write_batch(seed, at, n, path, kernel_ring=ring)
            for s in seqs:
                totals.rings[s.ring] += 1
                for tag in s.tags:
                    totals.tags[tag] = totals.tags.get(tag, 0) + 1
            futures = {t: pool.submit(BatchRun, t, path, at, n, ring, bochs)
                       for t in [NATIVE] + targets}
            runs = {t: f.result() for t, f in futures.items()}
            native = runs[NATIVE]
            totals.native_stops.update(native.stops)
            for _, v, _ in native.results.values():
                totals.vectors[v] = totals.vectors.get(v, 0) + 1
            for t in targets:
                totals.ran[t] += len(runs[t].results) + len(runs[t].stops)
                totals.mismatches += compare(native, runs[t])
            os.unlink(path)
            if progress:
                done = at + n - first
                print("difftest: %d/%d sequences, %s (%.0f s)" % (
                    done, count, ", ".join("%s %d mismatched" % (
                        t, sum(1 for m in totals.mismatches if m.target == t)) for t in targets),
                    time.time() - t0), flush=True)
    return totals


VECTOR_NAMES = {0: "#DE", 1: "#DB", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD", 7: "#NM",
                8: "#DF", 10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP", 14: "#PF", 16: "#MF",
                17: "#AC", gen.V_SEQ_END: "end"}


def list_line(entries):
    return ", ".join("%s (ring %s)" % (n, "/".join(map(str, sorted(e.rings))))
                     for n, e in entries)


def report(totals, seed, first, count, targets, tmp, detail_limit, ring=1, bochs=False):
    print("difftest: seed %d, sequences %d-%d (ring 0: %d, ring 3: %d), the monitor's guest "
          "kernel in ring %d, on %s" % (seed, first, first + count - 1, totals.rings[0],
                                        totals.rings[3], ring, "Bochs" if bochs else "QEMU"))
    ends = sorted(totals.vectors.items(), key=lambda kv: -kv[1])
    print("difftest: native ends: " + ", ".join("%s %d" % (
        VECTOR_NAMES.get(int(v, 16), "int 0x" + v), n) for v, n in ends))
    for i, why in sorted(totals.native_stops.items()):
        print("difftest: NATIVE run stopped in sequence %d (a generator or guest bug): %s"
              % (i, why))
    print("difftest: left out as holes (expected.py HOLES): " + list_line(expected.HOLES.items()))
    if ring == 3:
        print("difftest: and as ring=3 holes (expected.py RING3_HOLES): " +
              list_line(expected.RING3_HOLES.items()))
    print("difftest: left out as known bugs (expected.py KNOWN_BUGS): " +
          list_line(expected.KNOWN_BUGS.items()))
    if ring == 3 and expected.RING3_KNOWN_BUGS:
        print("difftest: and as ring=3 known bugs (expected.py RING3_KNOWN_BUGS): " +
              list_line(expected.RING3_KNOWN_BUGS.items()))
    for t in targets:
        mine = [m for m in totals.mismatches if m.target == t]
        print("difftest: %s: %d sequences ran, %d mismatched (%d died or hung)" % (
            t, totals.ran[t], len(mine), sum(1 for m in mine if m.kind == "died")))
    for k, m in enumerate(totals.mismatches):
        print("difftest: MISMATCH " + str(m))
        if k < detail_limit:
            text, _ = detail(gen.sequence(seed, m.index, kernel_ring=ring), m.target, tmp,
                             seed, m.context, ring, bochs)
            print(text)
    total = len(totals.mismatches) + len(totals.native_stops)
    print("difftest: %d sequences, %d mismatches" % (count, len(totals.mismatches)))
    return total


# ---- known bugs: do their witnesses still differ? ----

def witnesses(ring=1):
    """name -> [Entry, ring, lines]: the fixed sequences of the known bugs
    for the guest kernel in real ring `ring`."""
    out = {}
    for k, (name, entry) in enumerate(sorted(expected.lists(ring)[1], key=lambda e: e[0])):
        ring, lines = entry.witness
        out[name] = (entry, gen.witness(k, ring, lines))
    return out


def full_states(target, batch, count, ring=1, bochs=False):
    """index -> {field: value} for every sequence of a batch, in full mode
    (one boot), and why the boot stopped early (or None)."""
    b = boot(target, batch, count, full=True, ring=ring, bochs=bochs)
    states, cur = {}, None
    for l in b.lines:
        m = SEQ_HEADER.match(l)
        if m:
            cur = states.setdefault(int(m.group(1)), {})
            continue
        m = FIELD.match(l)
        if m and cur is not None:
            cur[m.group(1)] = m.group(2)
    return states, (None if b.done else b.stop_reason())


def run_witnesses(targets, tmp, ring=1, bochs=False):
    """name -> {target: differs?} for every known bug's witness, all in one
    boot per target (a witness the monitor dies in differs, and takes the
    ones after it along: those are run again alone)."""
    ws = witnesses(ring)
    if not ws:
        return {}               # no known bug left: nothing to boot
    seqs = [seq for _, seq in ws.values()]
    path = os.path.join(tmp, "witnesses.bin")
    gen.write_witnesses(seqs, path)
    native, stop = full_states(NATIVE, path, len(seqs), bochs=bochs)
    if stop or len(native) != len(seqs):
        raise SetupError("the witnesses do not all run natively: %s" % stop)
    found = {name: {} for name in ws}
    for t in targets:
        mon, _ = full_states(t, path, len(seqs), ring, bochs)
        for name, (entry, seq) in ws.items():
            if t not in entry.shadows:
                continue
            if seq.index not in mon:
                one = os.path.join(tmp, "witness-%d.bin" % seq.index)
                gen.write_witnesses([seq], one)
                alone, stop = full_state(t, one, ring=ring, bochs=bochs)
                found[name][t] = bool(stop) or bool(compare_fields(native[seq.index], alone))
            else:
                found[name][t] = bool(compare_fields(native[seq.index], mon[seq.index]))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    ap.add_argument("--first", type=int, default=0, help="index of the first sequence")
    ap.add_argument("--count", type=int, default=1000, help="how many sequences (default 1000)")
    ap.add_argument("--only", type=int, metavar="INDEX",
                    help="run sequence INDEX alone, in full, and print both states")
    ap.add_argument("--shadow", default=",".join(SHADOWS),
                    help="the monitor's strategies to compare with (default cached,vtlb)")
    ap.add_argument("--batch", type=int, help="sequences per boot (default %d, with --bochs %d)"
                    % (BATCH, BOCHS_BATCH))
    ap.add_argument("--bochs", action="store_true",
                    help="boot natively and under the monitor on Bochs (from GRUB ISOs) "
                    "instead of QEMU")
    ap.add_argument("--jobs", type=int, default=2, help="emulator runs at once (default 2)")
    ap.add_argument("--progress", action="store_true", help="a line after every batch")
    ap.add_argument("--details", type=int, default=DETAIL_LIMIT,
                    help="mismatches shown in full (default %d)" % DETAIL_LIMIT)
    ap.add_argument("--monargs", default="",
                    help="more monitor options for every run under the monitor (ring=3 is "
                    "--ring 3)")
    ap.add_argument("--ring", type=int, choices=(1, 3),
                    help="the ring the monitor runs the guest kernel in (default: ring=N of "
                    "--monargs, else 1); 3 leaves out RING3_HOLES too")
    ap.add_argument("--witnesses", action="store_true",
                    help="run the known bugs' witnesses: does each still differ?")
    args = ap.parse_args()
    targets = [t for t in args.shadow.split(",") if t]
    MONARGS.extend(args.monargs.split())
    named = [int(w[5:]) for w in MONARGS if re.match(r"^ring=[13]$", w)]
    if args.ring is not None and named and named[-1] != args.ring:
        ap.error("--ring %d and --monargs ring=%d disagree" % (args.ring, named[-1]))
    ring = args.ring or (named[-1] if named else 1)
    for t in targets:
        if t not in SHADOWS:
            ap.error("unknown strategy %r (known: %s)" % (t, ", ".join(SHADOWS)))
    for path in (GUEST, MONITOR):
        if not os.path.isfile(path):
            print("difftest: %s is missing: run 'make difftest-guest all' first" % path)
            return 2
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if args.witnesses:
                found = run_witnesses(targets, tmp, ring, args.bochs)
                if not found:
                    print("difftest: no known bugs listed (expected.py)")
                for name, by in found.items():
                    print("difftest: known bug %s: %s" % (name, ", ".join(
                        "%s %s" % (t, "still differs" if d else "FIXED (remove it)")
                        for t, d in by.items())))
                return 0
            if args.only is not None:
                for t in targets:
                    text, diffs = detail(gen.sequence(args.seed, args.only, kernel_ring=ring),
                                         t, tmp, ring=ring, bochs=args.bochs)
                    print(text)
                return 0
            batch = args.batch or (BOCHS_BATCH if args.bochs else BATCH)
            totals = run_batches(args.seed, args.first, args.count, targets, batch,
                                 args.jobs, args.progress, tmp, ring, args.bochs)
            bad = report(totals, args.seed, args.first, args.count, targets, tmp, args.details,
                         ring, args.bochs)
        except (SetupError, gen.AssembleError) as e:
            print("difftest: %s" % e)
            return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
