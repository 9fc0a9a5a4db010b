#!/usr/bin/env python3
"""run_tests.py - everything `make test` runs, with one summary line.

  unit         every build/unit/test_* cmocka binary; each cmocka test counts
  integration  boots of build/minios.elf under QEMU and (from a GRUB ISO of the
               same file) under Bochs; each case counts once and checks the
               guest's own verdicts, its exit code and its exact output

The last line is "N passed, N failed"; the exit status is 0 only if nothing
failed.  Set MINIOS_SKIP_BOCHS=1 to leave out the (slow) Bochs cases; they
then count as failed, so a full run can never pass without them.
"""
import glob
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "integration"))
from guestrun import run_qemu, run_monitor, check_test_transcript, bench_results  # noqa: E402
from guestrun import TEST_LINE as TEST_LINE_RE  # noqa: E402
from bench import EXPECTED as BENCHMARKS  # noqa: E402

KERNEL = os.path.join(ROOT, "build", "minios.elf")
MONITOR = os.path.join(ROOT, "build", "monitor.elf")
TEST_ISO = os.path.join(ROOT, "build", "minios-tests.iso")

passed = failed = 0


def verdict(ok, name, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS %s" % name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))
    sys.stdout.flush()


# ---- unit tests ----

CMOCKA_PASSED = re.compile(r"^\[  PASSED  \] (\d+) test")
CMOCKA_FAILED = re.compile(r"^\[  FAILED  \] (\d+) test")


def run_unit(binary):
    global passed, failed
    name = os.path.basename(binary)
    p = subprocess.run([binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    np = sum(int(m.group(1)) for m in map(CMOCKA_PASSED.match, out.splitlines()) if m)
    nf = sum(int(m.group(1)) for m in map(CMOCKA_FAILED.match, out.splitlines()) if m)
    if p.returncode != 0 and nf == 0:
        nf = 1      # crashed or printed no summary
    passed += np
    failed += nf
    print("%s %s: %d passed, %d failed" % ("PASS" if nf == 0 else "FAIL", name, np, nf))
    if nf:
        print(out)


# ---- integration: QEMU ----

def test_lines(lines):
    """The part of a transcript that minios wrote in test mode."""
    start = [i for i, l in enumerate(lines) if l == "minios test mode"]
    return lines[start[0]:] if start else lines


def case_qemu_tests():
    run = run_qemu(KERNEL, "tests", timeout=180)
    problems = check_test_transcript(run.lines())
    if run.timed_out:
        problems.append("timed out")
    elif run.exit_code != 0:
        problems.append("exit code %s, expected 0" % run.exit_code)
    n = sum(1 for l in run.lines() if l.startswith("ok "))
    verdict(not problems, "qemu: minios test suite (%d tests)" % n, "; ".join(problems))
    return test_lines(run.lines()), run.text


def case_qemu_demo():
    run = run_qemu(KERNEL, "", timeout=60)
    text = run.text
    want = ["worker 2 (pid 5): round 2", "was killed by vector 14 at address 0x10",
            "demo finished with status 0"]
    missing = [w for w in want if w not in text]
    ok = run.exit_code == 0 and not missing
    verdict(ok, "qemu: demo mode (make run) schedules, kills a faulty child, exits 0",
            "exit %s, missing %s" % (run.exit_code, missing))


BAD_OPTIONS = [
    ("bogus", "unknown option 'bogus'"),
    ("hz=abc", "bad value in 'hz=abc'"),
    ("hz=5", "bad value in 'hz=5'"),
    ("tests bench", "option 'bench' conflicts"),
]


def case_bad_option(opt, expect):
    run = run_qemu(KERNEL, opt, timeout=30)
    lines = [l for l in run.lines() if l.strip()]
    ok = (run.exit_code == 2 and len(lines) == 1 and expect in lines[0]
          and lines[0].startswith("minios: command line refused:"))
    verdict(ok, "qemu: bad option '%s' refused in one line, exit 2" % opt,
            "exit %s, output %r" % (run.exit_code, run.text))


def case_bench_deterministic():
    runs = [run_qemu(KERNEL, "bench", timeout=180, icount=True) for _ in range(2)]
    res = [bench_results(r.lines()) for r in runs]
    missing = [b for b in BENCHMARKS if b not in res[0]]
    ok = all(r.exit_code == 0 for r in runs) and not missing and res[0] == res[1]
    verdict(ok, "qemu -icount: %d benchmarks, identical numbers on two runs" % len(BENCHMARKS),
            "exits %s, missing %s, runs %s vs %s" % ([r.exit_code for r in runs], missing,
                                                    res[0], res[1]))


# ---- integration: the monitor ----

MON_EXIT_BAD_OPTION, MON_EXIT_BAD_GUEST, MON_EXIT_GUEST_DIED = 0x71, 0x72, 0x73


def elf_load_facts(path):
    """(entry, lowest paddr, highest paddr+memsz, PT_LOAD count) of an ELF32."""
    with open(path, "rb") as f:
        img = f.read()
    entry, phoff = struct.unpack_from("<II", img, 24)
    phentsize, phnum = struct.unpack_from("<HH", img, 42)
    segs = []
    for i in range(phnum):
        ptype, off, vaddr, paddr, filesz, memsz = struct.unpack_from("<6I", img, phoff + i * phentsize)
        if ptype == 1 and memsz:
            segs.append((vaddr, paddr, memsz))
    for vaddr, paddr, memsz in segs:
        if vaddr <= entry < vaddr + memsz:
            entry = entry - vaddr + paddr
    return entry, min(s[1] for s in segs), max(s[1] + s[2] for s in segs), len(segs)


EXIT_TABLE_LINE = re.compile(r"^monitor:\s+(\S.*?)\s+(\d+)$")


def exit_table(log):
    """{row name: count} from the monitor's exit table."""
    rows = {}
    for l in log.splitlines():
        m = EXIT_TABLE_LINE.match(l)
        if m:
            rows[m.group(1)] = int(m.group(2))
    return rows


def shadow_counters(log):
    """The shadow MMU's counters from the exit table, by name."""
    pats = {
        "hidden": r"shadow MMU \(\w+\): (\d+) hidden faults filled, (\d+) flushes",
        "ptwrites": r"page-table writes emulated (\d+), not emulable \(frame released\) (\d+)",
        "spt": r"shadow page tables allocated (\d+), freed (\d+)",
        "cache": r"cache \(shadow_cache=\d+\): (\d+) hits, (\d+) misses, (\d+) evictions",
        "protect": r"frames write-protected (\d+); unprotected \(written, not walked\) (\d+), "
                   r"kept \(active directory\) (\d+)",
    }
    out = {}
    for name, pat in pats.items():
        m = re.search(pat, log)
        if m:
            out[name] = tuple(int(g) for g in m.groups())
    m = re.search(r"shadow MMU \((\w+)\)", log)
    out["strategy"] = m.group(1) if m else None
    return out


def case_monitor_tests(native_text, shadow):
    """minios's main suite under the monitor with one shadow strategy: same
    transcript, and the exit table shows the kernel trapped on the
    instructions ring 1 refuses, and the strategy's own counters."""
    entry, lo, hi, n = elf_load_facts(KERNEL)
    run = run_monitor(MONITOR, KERNEL, "tests", "shadow=" + shadow, timeout=300)
    tag = "monitor shadow=%s" % shadow
    if shadow == "cached":
        want = ("guest '%s tests' loaded: %d segment(s) at 0x%x-0x%x, entry 0x%x, 64 MB"
                % (KERNEL, n, lo, hi, entry))
        verdict(want in run.log, "monitor: loads minios at its physical addresses, entry as in the ELF",
                "log %r, wanted %r" % (run.log[:400], want))
    problems = check_test_transcript(run.lines())
    if run.exit_code != 0:
        problems.append("exit code %s (timed out: %s)" % (run.exit_code, run.timed_out))
    verdict(not problems, "%s: minios test suite passes with its kernel in ring 1" % tag,
            "; ".join(problems[:5]) + " log tail %r" % run.log[-600:])
    same = run.text == native_text
    first = next((i for i, (a, b) in enumerate(zip(run.lines(), native_text.splitlines()))
                  if a != b.rstrip("\r")), None)
    verdict(same, "%s: guest transcript byte-identical to the native run" % tag,
            "first differing line %s" % first)
    rows = exit_table(run.log)
    need = ["cli", "sti", "out", "in", "mov to cr", "mov from cr", "lgdt", "lidt", "ltr",
            "invlpg", "hlt", "#GP", "#PF", "irq0"]
    zero = [k for k in need if rows.get(k, 0) == 0]
    verdict(not zero, "%s: exit table shows the kernel trapped and was emulated" % tag,
            "zero or missing rows: %s" % zero)
    c = shadow_counters(run.log)
    if shadow == "vtlb":
        ok = c["strategy"] == "vtlb" and c.get("hidden", (0, 0))[1] > 1000 and "cache" not in c
        verdict(ok, "%s: exit table: a flush per CR3 write, no cache counters" % tag, repr(c))
    else:
        hits, misses, _ = c.get("cache", (0, 0, 0))
        writes = c.get("ptwrites", (0, 0))[0]
        alloc, freed = c.get("spt", (0, 0))
        ok = (c["strategy"] == "cached" and hits > misses > 0 and writes > 0 and alloc >= freed
              and c.get("protect", (0,))[0] > 0 and c.get("hidden", (0, 99))[1] < 10)
        verdict(ok, "%s: exit table: cache hits outnumber misses, page-table writes emulated, "
                "no flush per CR3 write" % tag, repr(c))
        if rows.get("mov", 0) == 0:
            verdict(False, "%s: emulated page-table writes are listed by instruction" % tag,
                    "no 'mov' row in %r" % rows)
        else:
            verdict(True, "%s: emulated page-table writes are listed by instruction" % tag)
    return run


CTX_BENCHES = ["cr3-switch", "ctx-switch", "ctxswitch-2", "ctxswitch-8", "ctxswitch-32"]


def case_bench_strategies(native_text):
    """make bench's claim, checked: under -icount (one TSC tick per guest or
    monitor instruction) shadow=cached costs fewer instructions than
    shadow=vtlb on every address-space-switching benchmark, and the
    counters say why: vtlb flushes on every CR3 write, cached hits."""
    res, logs = {}, {}
    for shadow in ("vtlb", "cached"):
        run = run_monitor(MONITOR, KERNEL, "bench", "shadow=" + shadow, timeout=300, icount=True)
        res[shadow], logs[shadow] = bench_results(run.lines()), run.log
    worse = [b for b in CTX_BENCHES
             if not res["cached"].get(b, 1 << 30) < res["vtlb"].get(b, 0)]
    verdict(not worse, "bench: shadow=cached needs fewer instructions than shadow=vtlb on %s"
            % ", ".join(CTX_BENCHES), "not fewer on %s: vtlb %s, cached %s"
            % (worse, res["vtlb"], res["cached"]))
    v, c = shadow_counters(logs["vtlb"]), shadow_counters(logs["cached"])
    hits, misses, _ = c.get("cache", (0, 0, 0))
    ok = (v.get("hidden", (0, 0))[1] > 1000 and hits > 10 * misses and c.get("hidden", (0, 99))[1] < 10
          and c.get("hidden", (1 << 30,))[0] < v.get("hidden", (0,))[0])
    verdict(ok, "bench: the counters show why: vtlb flushes and refills, cached hits its cache",
            "vtlb %r, cached %r" % (v, c))


# Holes suite: the lines that fail under the monitor (docs/x86-holes.md).
HOLES_FAIL_UNDER_MONITOR = {3, 4, 5, 6, 7, 8, 9, 11, 15, 19, 20, 21, 22, 23, 24}
# iflag=soft (the real IF always 1): PUSHF after CLI shows IF=1 too
HOLES_FAIL_IFLAG_SOFT = HOLES_FAIL_UNDER_MONITOR | {1}
HOLES_TOTAL = 24
CS_RPL_LINE = 20


def holes_results(lines):
    return {int(m.group(2)): (m.group(1) == "ok", m.group(3))
            for m in map(TEST_LINE_RE.match, lines) if m}


def case_holes_native():
    run = run_qemu(KERNEL, "holes", timeout=60)
    res = holes_results(run.lines())
    bad = [n for n, (ok, _) in res.items() if not ok]
    ok = run.exit_code == 0 and len(res) == HOLES_TOTAL and not bad
    verdict(ok, "qemu: holes suite, natively every check passes (CS RPL reads 0)",
            "exit %s, %d lines, failing %s" % (run.exit_code, len(res), bad))


def case_holes_monitor(monargs="", expected=HOLES_FAIL_UNDER_MONITOR):
    run = run_monitor(MONITOR, KERNEL, "holes", monargs, timeout=120)
    res = holes_results(run.lines())
    failing = {n for n, (ok, _) in res.items() if not ok}
    rpl = res.get(CS_RPL_LINE, (True, ""))[1]
    ok = (run.exit_code == 1 and len(res) == HOLES_TOTAL and failing == expected
          and "observed RPL 1" in rpl)
    verdict(ok, "monitor %s: holes suite fails exactly the documented checks; CS RPL reads 1"
            % (monargs or "(iflag=real)"),
            "exit %s, %d lines, unexpected failures %s, unexpected passes %s, line %d %r"
            % (run.exit_code, len(res), sorted(failing - expected),
               sorted(expected - failing), CS_RPL_LINE, rpl))


def moved_segment_image(tmpdir):
    """minios with its last segment moved to 112 MB: too high for 64 MB of RAM."""
    with open(KERNEL, "rb") as f:
        img = bytearray(f.read())
    phoff, = struct.unpack_from("<I", img, 28)
    phentsize, phnum = struct.unpack_from("<HH", img, 42)
    loads = [phoff + i * phentsize for i in range(phnum)
             if struct.unpack_from("<I", img, phoff + i * phentsize)[0] == 1]
    struct.pack_into("<I", img, loads[-1] + 12, 0x07000000)   # its p_paddr
    path = os.path.join(tmpdir, "minios-high.elf")
    with open(path, "wb") as f:
        f.write(img)
    return path


def monitor_refusal_cases(tmpdir):
    garbage = os.path.join(tmpdir, "garbage.bin")
    with open(garbage, "wb") as f:
        f.write(bytes((i * 37 + 11) % 256 for i in range(5000)))
    user_elf = os.path.join(ROOT, "build", "minios", "user", "utest.elf")
    return [
        ("bad option", KERNEL, "frob", MON_EXIT_BAD_OPTION, "unknown option 'frob'"),
        ("bad mem= value", KERNEL, "mem=3", MON_EXIT_BAD_OPTION, "mem= takes megabytes"),
        ("more guest RAM than the host has", KERNEL, "mem=1024", MON_EXIT_BAD_OPTION,
         "not enough host RAM"),
        ("no guest module", None, "", MON_EXIT_BAD_GUEST, "no guest"),
        ("guest image that is not a kernel", garbage, "", MON_EXIT_BAD_GUEST,
         "no multiboot header"),
        ("ELF without a multiboot header", user_elf, "", MON_EXIT_BAD_GUEST,
         "no multiboot header"),
        ("guest that does not fit in guest RAM", moved_segment_image(tmpdir), "",
         MON_EXIT_BAD_GUEST, "outside the allowed address range"),
    ]


def case_monitor_refusals():
    with tempfile.TemporaryDirectory() as tmp:
        for what, guest, append, code, expect in monitor_refusal_cases(tmp):
            run = run_monitor(MONITOR, guest, "", append, timeout=30)
            lines = [l for l in run.log.splitlines() if l.strip()]
            ok = (run.exit_code == code and len(lines) == 1 and expect in lines[0]
                  and lines[0].startswith("monitor: refused:"))
            verdict(ok, "monitor: refuses %s in one line (exit 0x%x)" % (what, code),
                    "exit %s, log %r" % (run.exit_code, run.log))


# Hostile guest kernels (minios attack=NAME): each is contained, either by
# the fault real hardware would give (then the guest goes on and exits 0,
# with the same words as natively) or by the monitor ending the guest with a
# one-line reason; in both cases the monitor prints its exit table.
ATTACKS = [
    ("idt-write", 0, "write to 0xffc01000 faulted: vector 14, err 0x2, cr2 0xffc01000", None),
    ("gdt-write", 0, "write to 0xffc00000 faulted: vector 14, err 0x2, cr2 0xffc00000", None),
    ("map-switcher", MON_EXIT_GUEST_DIED, None,
     "guest ended: access to 0xffc01000 at eip 0x"),
    ("phys-escape", MON_EXIT_GUEST_DIED, None,
     "reaches guest-physical 0x40000000, beyond its 64 MB of RAM"),
    ("pt-alias", MON_EXIT_GUEST_DIED,
     "a PTE written through an alias of its page table maps a page: read 0x600da11a",
     "reaches guest-physical 0x40000000, beyond its 64 MB of RAM"),
    ("call-gate", MON_EXIT_GUEST_DIED, None,
     "guest ended: GDT entry 7 (selector 0x38) refused: a call gate"),
    ("rdpmc", 0, "rdpmc raised vector 13", "not emulated: rdpmc (opcode 0f 33)"),
    ("wrmsr", 0, "wrmsr 0xc0de0001 raised vector 13", None),
    ("cli-hlt", MON_EXIT_GUEST_DIED, None, "guest ended: HLT at 0x"),
    ("popf-if", 0, "0 timer ticks arrived while interrupts were on by POPF",
     "warning: the guest has kept interrupts disabled for over a second"),
]
NATIVE_SAME = {"idt-write", "gdt-write"}


def case_monitor_containment():
    for name, code, guest_says, monitor_says in ATTACKS:
        run = run_monitor(MONITOR, KERNEL, "attack=" + name, timeout=60)
        problems = []
        if run.exit_code != code:
            problems.append("exit %s, expected 0x%x" % (run.exit_code, code))
        if guest_says and guest_says not in run.text:
            problems.append("guest did not say %r" % guest_says)
        if monitor_says and monitor_says not in run.log:
            problems.append("monitor did not say %r" % monitor_says)
        if "exits by vector:" not in run.log:
            problems.append("no exit table: the monitor did not end the run itself")
        if name in NATIVE_SAME:
            native = run_qemu(KERNEL, "attack=" + name, timeout=60)
            if native.text != run.text:
                problems.append("guest output differs from native: %r vs %r"
                                % (run.text, native.text))
        verdict(not problems, "monitor: contains attack=%s (%s)" % (
            name, "the hardware's fault" if code == 0 else "guest ended with a reason"),
            "; ".join(problems) + " log tail %r" % run.log[-400:])


def case_monitor_modules():
    """The monitor's second module becomes the guest's first, as QEMU -kernel
    -initrd would pass it natively: minios reports the same line both ways."""
    with tempfile.TemporaryDirectory() as tmp:
        mod = os.path.join(tmp, "payload.bin")
        with open(mod, "wb") as f:
            f.write(b"Zmodule payload\n")
        native = run_qemu(KERNEL, "attack=none", timeout=30, modules=[mod + " hello world"])
        run = run_monitor(MONITOR, KERNEL, "attack=none," + mod + " hello world", timeout=30)
    want = "minios: 1 module(s); the first is '%s hello world', 16 bytes, starting 0x5a" % mod
    ok = (want in native.text and native.text == run.text and run.exit_code == 2
          and "passed 1 module(s) to the guest" in run.log)
    verdict(ok, "monitor: passes its further modules to the guest as a multiboot loader would",
            "native %r, monitor %r, log %r" % (native.text, run.text, run.log[-300:]))


def case_monitor_trace():
    run = run_monitor(MONITOR, KERNEL, "attack=rdpmc", "trace=traps", timeout=60)
    want = [re.compile(r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=cli -> emulated$"),
            re.compile(r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=out port 0x3f8 -> emulated$"),
            re.compile(r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=mov to cr cr3 -> emulated$"),
            re.compile(r"^monitor: trap #PF +eip=0x[0-9a-f]{8} ring=1 (err=0x\d )?va=0x[0-9a-f]+ "
                       r"-> shadow filled \(hidden fault\)$"),
            re.compile(r"^monitor: trap #GP +eip=0x[0-9a-f]{8} ring=1 insn=rdpmc "
                       r"-> not emulated: #GP injected$")]
    lines = run.log.splitlines()
    missing = [w.pattern for w in want if not any(w.match(l) for l in lines)]
    verdict(run.exit_code == 0 and not missing,
            "monitor: trace=traps prints a line per trap: vector, EIP, ring, instruction, action",
            "exit %s, missing %s" % (run.exit_code, missing))
    run = run_monitor(MONITOR, KERNEL, "attack=rdpmc", "shadow=vtlb trace=io,mmu", timeout=60)
    want = [re.compile(r"^monitor: io out port 0x3f8 size 1 <- 0x61 \(uart\)$"),
            re.compile(r"^monitor: io out port 0x43 size 1 <- 0x[0-9a-f]+ \(pit\)$"),
            re.compile(r"^monitor: mmu flush: guest cr3 0x[0-9a-f]+ cr0 0x80010011 cr4 0x10$"),
            re.compile(r"^monitor: mmu fill va 0xc0[0-9a-f]+ -> gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+ "
                       r"[RW][US] \(4 MB\)$")]
    lines = run.log.splitlines()
    missing = [w.pattern for w in want if not any(w.match(l) for l in lines)]
    verdict(run.exit_code == 0 and not missing and not any("trap " in l for l in lines),
            "monitor: trace=io,mmu prints port accesses and shadow fills/flushes (no trap lines)",
            "exit %s, missing %s" % (run.exit_code, missing))
    run = run_monitor(MONITOR, KERNEL, "tests", "trace=mmu shadow_cache=4", timeout=120)
    want = [re.compile(r"^monitor: mmu cr3 0x[0-9a-f]+: cached shadow reused \(hit\)$"),
            re.compile(r"^monitor: mmu cr3 0x[0-9a-f]+: no cached shadow, new empty one \(miss\)$"),
            re.compile(r"^monitor: mmu protect gpa 0x[0-9a-f]+: now a page table, \d+ mappings "
                       r"made read-only$"),
            re.compile(r"^monitor: mmu write to page table at va 0x[0-9a-f]+ \(gpa 0x[0-9a-f]+\): "
                       r"emulate$"),
            re.compile(r"^monitor: mmu page-table write gpa 0x[0-9a-f]+ \(4 bytes\): \d+ shadow "
                       r"entries, \d+ shadow tables dropped$"),
            re.compile(r"^monitor: mmu unprotect gpa 0x[0-9a-f]+: written 16 times without a "
                       r"walk, no longer shadowed as a page table$"),
            re.compile(r"^monitor: mmu evict shadow of guest cr3 0x[0-9a-f]+ \(least recently "
                       r"used\)$"),
            re.compile(r"^monitor: mmu drop shadow of guest cr3 0x[0-9a-f]+: its page directory "
                       r"was released$"),
            re.compile(r"^monitor: mmu fill va 0x[0-9a-f]+ -> gpa 0x[0-9a-f]+ hpa 0x[0-9a-f]+ "
                       r"[RW][US].* \(new shadow table\)$")]
    lines = run.log.splitlines()
    missing = [w.pattern for w in want if not any(w.match(l) for l in lines)]
    verdict(run.exit_code == 0 and not missing,
            "monitor: shadow=cached trace=mmu (shadow_cache=4) prints hits, misses, protects, "
            "emulated page-table writes, unprotects, evictions, fills",
            "exit %s, missing %s" % (run.exit_code, missing))


# ---- integration: Bochs ----

def case_bochs(qemu_lines):
    name = "bochs: minios test suite from a GRUB ISO of the same ELF"
    same = "bochs: test transcript identical to QEMU's"
    if os.environ.get("MINIOS_SKIP_BOCHS"):
        verdict(False, name, "skipped (MINIOS_SKIP_BOCHS set)")
        verdict(False, same, "skipped")
        return
    from bochs import run_bochs
    mk = subprocess.run(["bash", os.path.join(ROOT, "scripts", "mkiso.sh"), TEST_ISO, "tests"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if mk.returncode != 0:
        verdict(False, name, "ISO build failed: " + mk.stdout.decode())
        verdict(False, same, "no ISO")
        return
    with tempfile.TemporaryDirectory() as work:
        text, clean, secs = run_bochs(TEST_ISO, 900, work)
    lines = [l.rstrip("\r") for l in text.splitlines()]
    problems = check_test_transcript(lines)
    if not clean:
        problems.append("Bochs did not end by itself (timeout)")
    verdict(not problems, "%s (%.0f s)" % (name, secs), "; ".join(problems))
    blines = test_lines(lines)
    diff = [(q, b) for q, b in zip(qemu_lines, blines) if q != b]
    ok = blines == qemu_lines
    verdict(ok, same, "first difference: %r" % (diff[:1] or
                                                 "lengths %d/%d" % (len(qemu_lines), len(blines))))


MONITOR_ISO = os.path.join(ROOT, "build", "monitor-tests.iso")
MONITOR_VTLB_ISO = os.path.join(ROOT, "build", "monitor-tests-vtlb.iso")
HOLES_ISO = os.path.join(ROOT, "build", "monitor-holes.iso")


def bochs_monitor_run(iso, cmdline, monopts=""):
    """Boots the monitor (options MONOPTS) with minios CMDLINE as its module
    under Bochs.  Returns (guest lines, monitor log, problems)."""
    from bochs import run_bochs
    mk = subprocess.run(["bash", os.path.join(ROOT, "scripts", "mkiso.sh"), "--monitor", monopts,
                         iso, cmdline], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if mk.returncode != 0:
        return [], "", ["ISO build failed: " + mk.stdout.decode()]
    with tempfile.TemporaryDirectory() as work:
        text, clean, secs = run_bochs(iso, 900, work)
        with open(os.path.join(work, "bochs.out"), "rb") as f:
            out = f.read().decode("utf-8", "replace")
    log = "\n".join(l[l.index("monitor:"):].rstrip("\r") for l in out.splitlines()
                    if "monitor:" in l)
    problems = [] if clean else ["Bochs did not end by itself (timeout)"]
    return [l.rstrip("\r") for l in text.splitlines()], log, problems


def case_bochs_monitor(qemu_lines):
    names = ["bochs: minios test suite under the monitor (shadow=%s), transcript identical to "
             "QEMU native" % shadow for shadow in ("cached", "vtlb")]
    holes = "bochs: holes suite under the monitor fails exactly the documented checks"
    if os.environ.get("MINIOS_SKIP_BOCHS"):
        for name in names + [holes]:
            verdict(False, name, "skipped (MINIOS_SKIP_BOCHS set)")
        return
    for name, shadow, iso in zip(names, ("cached", "vtlb"), (MONITOR_ISO, MONITOR_VTLB_ISO)):
        lines, log, problems = bochs_monitor_run(iso, "tests", "shadow=" + shadow)
        problems += check_test_transcript(lines)
        if test_lines(lines) != qemu_lines:
            problems.append("transcript differs from the native QEMU run")
        if "guest exited with code 0 (0x0)" not in log:
            problems.append("the monitor's log (port 0xE9) lacks the guest's exit: %r" % log[-300:])
        if "shadow MMU (%s)" % shadow not in log:
            problems.append("the exit table does not name shadow=%s" % shadow)
        verdict(not problems, name, "; ".join(problems[:5]))
    lines, log, problems = bochs_monitor_run(HOLES_ISO, "holes")
    failing = {n for n, (ok, _) in holes_results(lines).items() if not ok}
    if failing != HOLES_FAIL_UNDER_MONITOR:
        problems.append("failing %s" % sorted(failing))
    verdict(not problems, holes, "; ".join(problems))


def main():
    t0 = time.time()
    print("== unit tests")
    for b in sorted(glob.glob(os.path.join(ROOT, "build", "unit", "test_*"))):
        run_unit(b)
    print("== integration: QEMU")
    qemu_lines, native_text = case_qemu_tests()
    case_qemu_demo()
    for opt, expect in BAD_OPTIONS:
        case_bad_option(opt, expect)
    case_bench_deterministic()
    print("== integration: the monitor")
    case_holes_native()
    case_monitor_tests(native_text, "cached")
    case_monitor_tests(native_text, "vtlb")
    case_bench_strategies(native_text)
    case_holes_monitor()
    case_holes_monitor("iflag=soft", HOLES_FAIL_IFLAG_SOFT)
    case_monitor_refusals()
    case_monitor_containment()
    case_monitor_trace()
    case_monitor_modules()
    print("== integration: Bochs")
    case_bochs(qemu_lines)
    case_bochs_monitor(qemu_lines)
    print("(%.0f s)" % (time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
