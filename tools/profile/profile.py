#!/usr/bin/env python3
"""profile.py - where the monitor's instructions go, per trap kind, exactly.

Boots the monitor with minios's benchmark mode under QEMU -icount with the
trapprof plugin (tools/profile/trapprof.c), which counts every instruction
the monitor executes inside each benchmark's measured loop, by trap and by
calling context.  This script then

  - names each trap kind: the vector its stub serves, and the first
    "classifier" symbol the trap executed (CLASSIFIERS below: the
    emulation function, reflect_pf, host_irq...);
  - gives each monitor instruction a phase (PHASES): the instruction's
    function and those it was inlined into (DWARF, via addr2line -i), then
    each caller up the calling context, innermost first; the first that
    LINE_RULES, PHASE_OF, PHASE_FILES or PHASE_PREFIXES names decides;
  - prints, per benchmark, guest and monitor instructions per operation,
    the trap kinds with monitor instructions per trap, and for each kind
    that matters a phase table and the top functions; at the end "the
    anatomy of a trap" (ANATOMY): one column per trap kind of interest.

Numbers are exact counts averaged over the window (per operation or per
trap); two runs print the same text, so `diff` shows what a change did.
docs/profile.md explains the markers, the tables and how to add to them.
"""
import argparse
import bisect
import os
import re
import struct
import subprocess
import sys
import tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
import guestrun  # noqa: E402  (the QEMU command line make bench uses)
from bench import EXPECTED as BENCH_ORDER  # noqa: E402  (the order minios runs them in)

# ---- what the report calls things ----

VECTOR_NAMES = {0: "#DE", 1: "#DB", 2: "NMI", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD",
                7: "#NM", 8: "#DF", 10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP", 14: "#PF",
                16: "#MF", 17: "#AC", 18: "#MC", 19: "#XM"}
HOST_IRQ_BASE = 0x20    # src/monitor/layout.h: the real PICs' vectors

# A trap's kind is its vector and the first of these symbols it executes
# (a function's entry, or any label in entry.asm).  A symbol the monitor
# no longer has is skipped.  Order does not matter: execution order does.
CLASSIFIERS = [
    ("emul_cli", "CLI"), ("emul_sti", "STI"), ("emul_hlt", "HLT"),
    ("emul_in", "IN"), ("emul_out", "OUT"), ("emul_ins", "INS"), ("emul_outs", "OUTS"),
    ("emul_soft_int", "INT n"), ("emul_iret", "IRET"), ("emul_retf", "far RET"),
    ("emul_mov_to_cr", "MOV to CR"), ("emul_mov_from_cr", "MOV from CR"),
    ("emul_invlpg", "INVLPG"), ("emul_clts", "CLTS"), ("emul_lmsw", "LMSW"),
    ("emul_lgdt", "LGDT"), ("emul_lidt", "LIDT"), ("emul_lldt", "LLDT"), ("emul_ltr", "LTR"),
    ("emul_mov_to_sreg", "MOV to Sreg"), ("emul_pop_sreg", "POP Sreg"), ("emul_lss", "LSS"),
    ("emul_mov_to_dr", "MOV to DR"), ("emul_mov_from_dr", "MOV from DR"),
    ("emul_rdtsc", "RDTSC"), ("emul_rdmsr", "RDMSR"), ("emul_wrmsr", "WRMSR"),
    ("emul_cache", "INVD/WBINVD"), ("emul_sysenter", "SYSENTER"), ("emul_sysexit", "SYSEXIT"),
    ("emul_pt_write", "page-table write"), ("emul_mmio", "MMIO access"),
    ("pt_frame_recycled", "page table recycled"),
    ("reflect_pf", "guest #PF reflected"), ("vdesc_accessed", "descriptor A bit"),
    ("host_irq", "host IRQ"), ("watchdog_nmi", "watchdog NMI"),
    ("undecodable", "undecodable"),
    # the switcher's fast path (entry.asm): labels past its last check, so
    # a trap it hands on to C is named by C's classifier instead
    ("sw_fast_gp.cli_fast", "CLI (fast path)"), ("sw_fast_gp.sti_fast", "STI (fast path)"),
    ("sw_fast_gp.sti_on", "STI (fast path)"),
    ("sw_fast_gp.mov_cr3_fast", "MOV CR3 (fast path)"), ("sw_fast_gp.in_fast", "IN (fast path)"),
    ("sw_fast_gp.mov_from_cr_fast", "MOV from CR (fast path)"),
    ("sw_fast_gp.invlpg_fast", "INVLPG (fast path)"),
    ("sw_fast_pf.esp0_fast", "TSS.ESP0 store (fast path)"),
    ("sw_fast_pf.ptw_fast", "page-table write (fast path)"),
]
# What a trap that executed no classifier is, by vector.
UNCLASSIFIED = {"#PF": "hidden fill", "#DB": "single step"}

PHASES = ["entry stub", "save", "frame copy", "dispatch", "fetch", "decode", "emulate", "shadow MMU",
          "reflect", "host IRQ", "device sync", "irq delivery", "trace, stats", "sanitize",
          "exit", "switcher", "ring-0 trap", "other"]

# The rules, tried on each frame from the innermost out; the first that
# names a phase decides.  A function no rule names (gwalk, memcpy, the
# device models...) is a helper: it takes its caller's phase.
#
# function (as DWARF names it; entry.asm: its label) -> phase, or None for
# a helper that a file rule below would otherwise claim.
PHASE_OF = {
    "guest_trap": "dispatch", "trap_enter": "dispatch", "trap_leave": "dispatch",
    "light_pf": "dispatch", "light_reflect": "dispatch",
    "dispatch": "dispatch", "general_protection": "dispatch",
    "page_fault": "dispatch", "segment_not_present": "dispatch", "debug_trap": "dispatch",
    "run_emulation": "dispatch", "page_table_write": "dispatch", "mmio_access": "dispatch",
    "fetch_byte": "fetch", "fetch_page": "fetch", "walk_page": "fetch",
    "decode_guest": "decode", "decode_at_eip": "decode", "undecodable": "decode",
    "shadow_root": None,
    "single_step_trap": "reflect",
    "host_irq": "host IRQ",
    "devices_sync": "device sync",
    "deliver_interrupt": "irq delivery", "devices_irq_pending": "irq delivery",
    "devices_irq_ack": "irq delivery",
    "sanitize": "sanitize", "prepare_resume": "sanitize", "selectors_checked": "sanitize",
    "light_resume_ok": "sanitize",
    "host_trap": "ring-0 trap", "sw_from_ring0": "ring-0 trap",
    "sw_alltraps": "save", "sw_resume": "exit", "sw_exit_start": "exit", "sw_exit_end": "exit",
}
# source file (a regular expression on its path) -> phase, or None: every
# function of the file, unless PHASE_OF names it.
PHASE_FILES = [
    (r"(^|/)src/shadow_mmu/(gva|gwalk)\.c$", None),   # guest memory access, for anyone
    (r"(^|/)src/shadow_mmu/", "shadow MMU"),
    (r"(^|/)src/trap/decode", "decode"),
    (r"(^|/)src/trap/(emul|memop|mmio)\.c$", "emulate"),
    (r"(^|/)src/trap/reflect\.c$", "reflect"),
    (r"(^|/)src/monitor/stats\.[ch]$", "trace, stats"),
]
# name prefix -> phase (entry.asm's labels have no file rule of their own)
PHASE_PREFIXES = [("sw_vector", "entry stub"), ("trace_", "trace, stats"),
                  ("stats_", "trace, stats"), ("sw_", "switcher")]
# (function, regular expression on the source line) -> phase: parts of a
# function that belong to another phase than the rest of it.
LINE_RULES = [
    ("trap_enter", r"v->tf = \*f", "frame copy"),
    ("trap_leave", r"\*f = v->tf", "frame copy"),
    ("trap_leave", r"guest_cr3 = ", "exit"),
    ("light_leave", r"guest_cr3 = ", "exit"),
    ("light_leave", r"f->eflags = ", "sanitize"),
    ("light_reflect", r"v->tf\.\w+ = f->|f->\w+ = v->tf", "frame copy"),
    ("trap_enter", r"stats\.", "trace, stats"),
    ("light_pf", r"stats\.", "trace, stats"),
    ("light_reflect", r"stats\.", "trace, stats"),
]

# The anatomy table: (column, benchmark, trap kind measured there); where a
# fast path may take the trap instead of C, the kind is a pair (C path,
# fast path) and the one with more traps in the window is shown.
ANATOMY = [
    ("CLI", "cli-sti", ("#GP CLI", "#GP CLI (fast path)")),
    ("IN", "port-read", ("#GP IN", "#GP IN (fast path)")),
    ("INT 0x80", "null-syscall", "#GP INT n"),
    ("MOV CR3 hit", "cr3-switch", ("#GP MOV to CR", "#GP MOV CR3 (fast path)")),
    ("PT write #PF", "pte-invlpg", ("#PF page-table write", "#PF page-table write (fast path)")),
    ("fill #PF", "demand-zero", "#PF hidden fill"),
]
DEFAULT_BENCH = [b for _, b, _ in ANATOMY]

# A kind gets its own phase table when it carries this share of the
# window's monitor instructions (or with --all-kinds).
KIND_SHARE = 0.10

LAYOUT_H = os.path.join(ROOT, "src", "monitor", "layout.h")


def fail(msg):
    sys.exit("profile: " + msg)


# ---- the monitor image ----

def elf_section(path, name):
    """(address, size) of a section of a 32-bit little-endian ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1:
        fail("%s is not a 32-bit ELF file" % path)
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    sections = [struct.unpack_from("<IIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = sections[shstrndx][4]
    for s in sections:
        end = data.index(b"\0", strtab + s[0])
        if data[strtab + s[0]:end].decode() == name:
            return s[3], s[5]
    fail("%s has no %s section" % (path, name))


def layout_constant(name):
    m = re.search(r"#define\s+%s\s+(0x[0-9A-Fa-f]+)u?" % name, open(LAYOUT_H).read())
    if not m:
        fail("no %s in %s" % (name, LAYOUT_H))
    return int(m.group(1), 16)


class Monitor:
    """build/monitor.elf: its symbols, its code, and the switcher's copy."""

    def __init__(self, elf, sym):
        self.elf = elf
        self.labels = []        # (address, name), sorted: code symbols
        self.by_name = {}
        for line in open(sym):
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                addr, name = int(parts[0], 16), parts[2]
                self.labels.append((addr, name))
                self.by_name.setdefault(name, addr)
        self.labels.sort()
        self.addrs = [a for a, _ in self.labels]
        self.text = elf_section(elf, ".text")
        for need in ("sw_code_start", "sw_code_end", "sw_vector255"):
            if need not in self.by_name:
                fail("%s has no symbol %s" % (sym, need))
        self.sw_start, self.sw_end = self.by_name["sw_code_start"], self.by_name["sw_code_end"]
        self.sw_copy = layout_constant("SWITCHER_BASE") + layout_constant("SW_CODE_OFF")
        last = self.by_name["sw_vector255"]
        stubs_end = min(a for a in self.addrs if a > last)
        self.stubs = (self.copy_of(self.sw_start), self.copy_of(stubs_end))

    def copy_of(self, addr):
        return addr - self.sw_start + self.sw_copy

    def original(self, va):
        """The address in monitor.elf of an instruction the CPU ran at va."""
        if self.sw_copy <= va < self.sw_copy + (self.sw_end - self.sw_start):
            return va - self.sw_copy + self.sw_start
        return va

    def is_stub(self, va):
        return self.stubs[0] <= va < self.stubs[1]

    def in_switcher(self, addr):
        return self.sw_start <= addr < self.sw_end

    def label(self, addr):
        """The nearest code symbol at or below addr (addr in monitor.elf)."""
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.labels[i][1] if i >= 0 else "?"

    def classifier_addrs(self):
        """(address the CPU runs it at, kind label) for each classifier present."""
        if not hasattr(self, "_classifiers"):
            self._classifiers = []
            for name, label in CLASSIFIERS:
                matches = [a for a, n in self.labels if n == name or n.startswith(name + ".")]
                for a in matches[:1]:
                    self._classifiers.append((self.copy_of(a) if self.in_switcher(a) else a,
                                              label))
        return self._classifiers

    def plugin_args(self, out_path, stop):
        t0, size = self.text
        copy_end = self.copy_of(self.sw_end)
        args = ["out=" + out_path, "mon=%x-%x" % (t0, t0 + size),
                "mon=%x-%x" % (self.sw_copy, copy_end), "stubs=%x-%x" % self.stubs,
                "stop=%d" % stop]
        args += ["class=%x" % a for a, _ in self.classifier_addrs()]
        return args


# ---- running the guest ----

def stop_window(wanted):
    """The window whose start may end the run: the one after the last
    benchmark wanted (0: run to the end)."""
    if wanted == ["all"]:
        return 0
    last = max(BENCH_ORDER.index(b) for b in wanted)
    return last + 2 if last + 1 < len(BENCH_ORDER) else 0


def run_profile(plugin, monitor, kernel, monargs, timeout, raw_path, stop):
    """Boots minios's benchmark mode under the monitor with the plugin;
    returns the guest's console lines."""
    if not os.path.exists(plugin):
        fail("no plugin at %s (make %s)" % (plugin, plugin))
    if "," in os.path.abspath(plugin) + raw_path:
        fail("QEMU's -plugin option cannot take a path with a comma: %s, %s" % (plugin, raw_path))
    plug = ",".join([os.path.abspath(plugin)] + monitor.plugin_args(raw_path, stop))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = guestrun.MONITOR_QEMU + guestrun.ICOUNT + [
            "-serial", "stdio", "-debugcon", "file:" + os.path.join(tmp, "monitor.log"),
            "-kernel", monitor.elf, "-append", monargs, "-initrd", kernel + " bench",
            "-plugin", plug]
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            fail("the profiled run did not end within %d s (--timeout)" % timeout)
        text = p.stdout.decode("utf-8", "replace")
        code = p.returncode >> 1 if p.returncode & 1 else None
        stopped = p.returncode == 0 and os.path.exists(raw_path) and \
            open(raw_path).read().endswith("stopped\n")
        if code != 0 and not stopped:
            log = open(os.path.join(tmp, "monitor.log"), errors="replace").read()
            fail("the profiled run failed (QEMU status %d):\n%s\n%s"
                 % (p.returncode, text[-2000:], log[-2000:]))
    return [l.rstrip("\r") for l in text.splitlines()]


# ---- the plugin's output ----

class Window:
    """One measured loop: what ran in it, and how many operations it timed."""

    def __init__(self, seq):
        self.seq = seq
        self.nodes = {}         # id -> (parent, callsite, entry)
        self.traps = {}         # (class address, root node) -> traps
        self.mon = {}           # (class address, node, vaddr) -> executions
        self.guest = {}         # vaddr -> executions
        self.stats = {}
        self.ops = None
        self.name = None
        self.cycles = None      # the guest's own bench line


def parse_raw(path):
    windows, w = [], None
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "window":
            w = Window(int(f[1]))
        elif f[0] == "node":
            w.nodes[int(f[1])] = (int(f[2]), int(f[3], 16), int(f[4], 16))
        elif f[0] == "trap":
            w.traps[(int(f[1], 16), int(f[2]))] = int(f[3])
        elif f[0] == "m":
            w.mon[(int(f[1], 16), int(f[2]), int(f[3], 16))] = int(f[4])
        elif f[0] == "g":
            w.guest[int(f[1], 16)] = int(f[2])
        elif f[0] == "stat":
            w.stats[f[1]] = int(f[2])
        elif f[0] == "end":
            windows.append(w)
        elif f[0] == "ops":
            windows[-1].ops = int(f[1])
    return windows


def name_windows(windows, console):
    results = list(guestrun.bench_results(console).items())
    if len(results) != len(windows):
        fail("the guest printed %d bench lines but the plugin saw %d measured windows "
             "(each timed loop needs profmark_begin/profmark_end)" % (len(results), len(windows)))
    for w, (name, cycles) in zip(windows, results):
        w.name, w.cycles = name, cycles
        if not w.ops:
            fail("window %d (%s) has no operation count" % (w.seq, name))
        bad = {k: v for k, v in w.stats.items() if v and k != "extra_begins"}
        if bad:
            fail("window %s: the plugin lost track of the monitor: %s" % (name, bad))


# ---- attribution: functions, source lines, phases ----

def source_path(path):
    """A DWARF file name as a path that exists: NASM writes entry.asm's as
    its directory and its name joined, src/trap//src/trap/entry.asm."""
    if path and not os.path.exists(path) and "//" in path:
        fixed = os.path.join(ROOT, path.split("//")[-1])
        if os.path.exists(fixed):
            return fixed
    return path


class Attributor:
    def __init__(self, monitor):
        self.mon = monitor
        self.frames = {}        # original address -> [(function, file, line)], innermost first
        self.sources = {}
        self.node_chain = {}
        self.phase_cache = {}

    def load(self, vaddrs):
        todo = sorted({self.mon.original(v) for v in vaddrs} - set(self.frames))
        if not todo:
            return
        p = subprocess.run(["addr2line", "-f", "-i", "-a", "-e", self.mon.elf],
                           input="".join("0x%x\n" % a for a in todo), capture_output=True,
                           text=True, check=True)
        cur = None
        lines = p.stdout.splitlines()
        i = 0
        while i < len(lines):
            if re.fullmatch(r"0x[0-9a-f]+", lines[i]):
                cur = int(lines[i], 16)
                self.frames[cur] = []
                i += 1
                continue
            func, loc = lines[i], lines[i + 1] if i + 1 < len(lines) else "??:0"
            path, _, num = loc.partition(" ")[0].rpartition(":")
            self.frames[cur].append((func, source_path(path), int(num) if num.isdigit() else 0))
            i += 2
        for a in todo:
            # entry.asm's local labels (sw_alltraps.from_guest) come from the
            # symbol table; DWARF knows its lines but not its labels
            frames = self.frames.get(a) or [("??", "", 0)]
            if self.mon.in_switcher(a) or frames[0][0] == "??":
                frames[0] = (self.mon.label(a),) + frames[0][1:]
            self.frames[a] = frames

    def chain(self, va):
        return self.frames[self.mon.original(va)]

    def source_line(self, path, num):
        if path not in self.sources:
            try:
                self.sources[path] = open(path, errors="replace").read().splitlines()
            except OSError:
                self.sources[path] = []
        src = self.sources[path]
        return src[num - 1].strip() if 0 < num <= len(src) else ""

    def context(self, w, node):
        """What led to node, innermost first, as frames: for each call, the
        function it entered (a tail call from there runs on in the same
        node, in another function) and the call site with its inlining."""
        if node not in self.node_chain:
            out, n = [], node
            while n in w.nodes and w.nodes[n][0] >= 0:
                parent, callsite, entry = w.nodes[n]
                if entry and not self.mon.is_stub(entry):
                    out.append((self.mon.label(self.mon.original(entry)), "", 0))
                out += self.chain(callsite)
                n = parent
            self.node_chain[node] = out
        return self.node_chain[node]

    def frame_phase(self, func, path, num):
        for rfunc, pattern, phase in LINE_RULES:
            if func == rfunc and num and re.search(pattern, self.source_line(path, num)):
                return phase
        base = func.split(".")[0]     # decode_guest.constprop.0, sw_alltraps.from_guest
        if base in PHASE_OF:
            return PHASE_OF[base] or ""
        for pattern, phase in PHASE_FILES:
            if path and re.search(pattern, path):
                return phase or ""
        for prefix, phase in PHASE_PREFIXES:
            if base.startswith(prefix):
                return phase
        return ""

    def phase(self, w, node, va):
        key = (node, va)
        if key not in self.phase_cache:
            found = "other"
            for func, path, num in self.chain(va) + self.context(w, node):
                p = self.frame_phase(func, path, num)
                if p:
                    found = p
                    break
            self.phase_cache[key] = found
        return self.phase_cache[key]

    def function(self, va):
        """The innermost function of va, with the symbol it was inlined into."""
        frames = self.chain(va)
        inner = frames[0][0]
        outer = self.mon.label(self.mon.original(va))
        return inner if inner == outer or self.mon.in_switcher(self.mon.original(va)) \
            else "%s [%s]" % (inner, outer)

    def line(self, va):
        func, path, num = self.chain(va)[0]
        rel = os.path.relpath(path, ROOT) if path else "?"
        return "%s:%d" % (rel, num), self.source_line(path, num) if path else ""


# ---- trap kinds ----

def vector_name(vector):
    if vector in VECTOR_NAMES:
        return VECTOR_NAMES[vector]
    if HOST_IRQ_BASE <= vector < HOST_IRQ_BASE + 16:
        return "irq%d" % (vector - HOST_IRQ_BASE)
    return "vec%d" % vector


def kind_label(monitor, w, class_addr, root):
    label = monitor.label(monitor.original(w.nodes[root][2]))
    m = re.fullmatch(r"sw_vector(\d+)", label)
    vec = vector_name(int(m.group(1))) if m else label
    if class_addr:
        names = dict(monitor.classifier_addrs())
        return "%s %s" % (vec, names.get(class_addr, "0x%x" % class_addr))
    return "%s %s" % (vec, UNCLASSIFIED.get(vec, "-")) if vec in UNCLASSIFIED else vec


class Kind:
    def __init__(self, label):
        self.label = label
        self.traps = 0
        self.insns = 0
        self.by_phase = defaultdict(int)
        self.by_func = defaultdict(int)
        self.by_line = defaultdict(int)


def analyse(monitor, attr, w):
    """Trap kinds of a window, with their phases, functions and lines."""
    attr.node_chain = {}
    attr.phase_cache = {}
    attr.load([va for _, _, va in w.mon] + [cs for _, cs, _ in w.nodes.values() if cs])
    kinds = {}
    roots = {}
    for (cls, root), n in w.traps.items():
        label = kind_label(monitor, w, cls, root)
        roots[(cls, root)] = label
        kinds.setdefault(label, Kind(label)).traps += n
    for (cls, node, va), n in w.mon.items():
        root = node
        while w.nodes[root][0] >= 0:
            root = w.nodes[root][0]
        label = roots.get((cls, root)) or kind_label(monitor, w, cls, root)
        k = kinds.setdefault(label, Kind(label))
        k.insns += n
        phase = attr.phase(w, node, va)
        k.by_phase[phase] += n
        k.by_func[(attr.function(va), phase)] += n
        k.by_line[va] += n
    return sorted(kinds.values(), key=lambda k: (-k.insns, k.label))


# ---- the report ----

def per(n, d):
    return n / d if d else 0.0


def print_summary(windows, results):
    print("%-16s %7s %9s %10s %11s %11s %11s  %s" % (
        "benchmark", "ops", "traps/op", "guest/op", "monitor/op", "total/op", "bench line",
        "main trap kind"))
    for w in windows:
        kinds = results[w.name]
        guest = sum(w.guest.values())
        mon = sum(k.insns for k in kinds)
        traps = sum(k.traps for k in kinds)
        print("%-16s %7d %9.3f %10.1f %11.1f %11.1f %11d  %s" % (
            w.name, w.ops, per(traps, w.ops), per(guest, w.ops), per(mon, w.ops),
            per(guest + mon, w.ops), w.cycles, kinds[0].label if kinds else "-"))
    print("(instructions per operation in the measured loop; guest counts include the "
          "attempts that trapped; 'bench line' is what the guest printed from RDTSC)")


def print_phases(counts, divisor, unit):
    total = sum(counts.values())
    print("  %-14s %12s %7s" % ("phase", unit, "%"))
    for p in PHASES:
        if counts.get(p):
            print("  %-14s %12.1f %7.1f" % (p, per(counts[p], divisor), 100.0 * per(counts[p], total)))
    print("  %-14s %12.1f %7.1f" % ("total", per(total, divisor), 100.0))


def print_top(counts, divisor, top, unit):
    print("  top functions (%s, own instructions; [the symbol it is inlined into]):" % unit)
    for (func, phase), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        print("  %12.1f  %-14s %s" % (per(n, divisor), phase, func))


def print_lines(attr, counts, divisor, top):
    print("  top source lines (per trap):")
    by_line = defaultdict(int)
    text = {}
    for va, n in counts.items():
        where, src = attr.line(va)
        by_line[where] += n
        text[where] = src
    for where, n in sorted(by_line.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        print("  %12.1f  %-28s %s" % (per(n, divisor), where, text[where][:60]))


def print_window(attr, w, kinds, args):
    mon = sum(k.insns for k in kinds)
    print()
    print("== %s: %d operations, %.1f monitor instructions per operation ==" % (
        w.name, w.ops, per(mon, w.ops)))
    if not kinds:
        print("  no traps")
        return
    print("  %-30s %8s %8s %12s %11s" % ("trap kind", "traps", "per op", "insns/trap",
                                          "insns/op"))
    for k in kinds:
        print("  %-30s %8d %8.3f %12.1f %11.1f" % (k.label, k.traps, per(k.traps, w.ops),
                                                   per(k.insns, k.traps), per(k.insns, w.ops)))
    shown = [k for k in kinds if args.all_kinds or k.insns >= KIND_SHARE * mon]
    if len(kinds) > 1:
        print()
        print("  -- all traps, per operation")
        allp = defaultdict(int)
        for k in kinds:
            for p, n in k.by_phase.items():
                allp[p] += n
        print_phases(allp, w.ops, "insns/op")
    for k in shown:
        print()
        print("  -- %s: %d traps, %.1f monitor instructions per trap" % (
            k.label, k.traps, per(k.insns, k.traps)))
        print_phases(k.by_phase, k.traps, "insns/trap")
        print_top(k.by_func, k.traps, args.top, "per trap")
        if args.lines:
            print_lines(attr, k.by_line, k.traps, args.lines)


def cell(n, d):
    return "%13.1f" % per(n, d) if n else "%13s" % "-"


def print_anatomy(results, windows, strategy):
    """One column per ANATOMY row whose benchmark ran; a kind the monitor
    no longer traps for (a fast path took it) shows as no trap at all."""
    cols, absent = [], []
    by_name = {w.name: w for w in windows}
    for col, bench, label in ANATOMY:
        kinds = {k.label: k for k in results.get(bench, [])}
        if bench not in by_name:
            continue
        if isinstance(label, tuple):
            label = max(label, key=lambda l: kinds[l].traps if l in kinds else -1)
        if label not in kinds:
            absent.append("%s: no '%s' trap in %s" % (col, label, bench))
        cols.append((col, bench, kinds.get(label) or Kind(label)))
    if not cols:
        return
    print()
    print("== the anatomy of a trap: monitor instructions per trap, by phase (%s) ==" % strategy)
    print("  %-14s" % "phase" + "".join("%13s" % c for c, _, _ in cols))
    print("  %-14s" % "(benchmark)" + "".join("%13s" % b for _, b, _ in cols))
    for p in PHASES:
        if any(k.by_phase.get(p) for _, _, k in cols):
            print("  %-14s" % p + "".join(cell(k.by_phase.get(p, 0), k.traps)
                                          for _, _, k in cols))
    print("  %-14s" % "total" + "".join("%13.1f" % per(k.insns, k.traps) for _, _, k in cols))
    for note in absent:
        print("  (%s)" % note)


def strategy_of(monargs):
    m = re.search(r"\bshadow=(\S+)", monargs)
    return "shadow=" + (m.group(1) if m else "cached")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: %(prog)s --bench 'cli-sti null-syscall' --lines 10")
    ap.add_argument("--plugin", default="build/tools/trapprof.so",
                    help="the trapprof plugin (make build/tools/trapprof.so)")
    ap.add_argument("--monitor", default="build/monitor.elf", help="the monitor image")
    ap.add_argument("--sym", help="its symbol table (default: the image's name with .sym)")
    ap.add_argument("--kernel", default="build/minios.elf",
                    help="the guest: minios, run with its 'bench' command line")
    ap.add_argument("--monargs", default="", help="the monitor's command line (e.g. shadow=vtlb)")
    ap.add_argument("--bench", default=" ".join(DEFAULT_BENCH),
                    help="benchmarks to report, space or comma separated, or 'all' "
                         "(default: %(default)s); the run ends after the last of them")
    ap.add_argument("--top", type=int, default=10, help="functions listed per trap kind")
    ap.add_argument("--lines", type=int, default=0,
                    help="also list this many hottest source lines per trap kind")
    ap.add_argument("--all-kinds", action="store_true",
                    help="a phase table for every trap kind, not only those with over "
                         "%d%%%% of a benchmark's monitor instructions" % (KIND_SHARE * 100))
    ap.add_argument("--save", metavar="DIR",
                    help="keep the plugin's output and the guest's console in DIR")
    ap.add_argument("--load", metavar="DIR",
                    help="report from a DIR written by --save instead of running QEMU")
    ap.add_argument("--timeout", type=int, default=900, help="seconds the run may take")
    args = ap.parse_args()

    monitor = Monitor(args.monitor, args.sym or os.path.splitext(args.monitor)[0] + ".sym")
    wanted = [b for b in re.split(r"[\s,]+", args.bench.strip()) if b]
    unknown = [b for b in wanted if b not in BENCH_ORDER] if wanted != ["all"] else []
    if unknown or not wanted:
        fail("no benchmark %s (minios has: %s, or 'all')"
             % (", ".join(unknown) or "named", " ".join(BENCH_ORDER)))
    with tempfile.TemporaryDirectory() as tmp:
        where = args.load or args.save or tmp
        raw, console_path = os.path.join(where, "trapprof.out"), os.path.join(where, "console.txt")
        if args.load:
            console = open(console_path).read().splitlines()
        else:
            os.makedirs(where, exist_ok=True)
            console = run_profile(args.plugin, monitor, args.kernel, args.monargs,
                                  args.timeout, raw, stop_window(wanted))
            open(console_path, "w").write("\n".join(console) + "\n")
        windows = parse_raw(raw)
    name_windows(windows, console)
    if wanted != ["all"]:
        missing = [b for b in wanted if b not in [w.name for w in windows]]
        if missing:
            fail("the run has no measured window for %s (a --save of fewer benchmarks?)"
                 % ", ".join(missing))
        windows = [w for w in windows if w.name in wanted]
    attr = Attributor(monitor)
    results = {w.name: analyse(monitor, attr, w) for w in windows}
    print("make profile: the monitor's instructions in each benchmark's measured loop "
          "(QEMU -icount, exact; %s)" % strategy_of(args.monargs))
    print()
    print_summary(windows, results)
    for w in windows:
        print_window(attr, w, results[w.name], args)
    print_anatomy(results, windows, strategy_of(args.monargs))


if __name__ == "__main__":
    main()
