"""test_attacks.py - the hostile-guest suite: minios attack=NAME under the
monitor, with either shadow strategy, and on bare QEMU.

Popek and Goldberg's resource control: whatever the guest does, the monitor
keeps control.  Each attack (guests/minios/kernel/attack*.c, whose header
comments say what bare hardware does and what the monitor does) is contained
in exactly one of two ways, and the test asserts which:

  HW     the guest gets the fault bare hardware gives, prints what it
         observed (vector, error code, values) and exits 0.  Where the
         attack means something on bare hardware, the guest's whole output
         must equal the native run's.
  ENDED  the monitor ends the guest: exit code 0x73 and exactly one
         'monitor: guest ended: <reason>' line, whose reason is checked.

Either way the monitor prints its exit table, never panics (exit 0x74) and
never hangs (a run that times out fails).  Native runs are made once per
attack and shared by both strategies' tests.

Every attack runs with ring=1 and ring=3 (guest kernel and user code both
at CPL 3, docs/ring-compression.md), each with both shadow strategies; a
test id ends in "-ring3" for ring=3.  Where ring=3 must differ, the attack
says how (ring3=...): switcher-data is about what ring 1 can read of the
switcher (paging cannot hide a supervisor page from ring 1); at CPL 3 the
switcher's pages are supervisor, so the paging-on reads give the guest its
own #PF, as natively, and the paging-off copy, whose identity map is the
monitor's physical-mode shadow, touches the switcher slot and is ended.
The split-* attacks (attack_split.c) are about the wall between the guest
kernel and its user code that ring=3 must rebuild (two shadow views,
hidden segments): after every kind of transition, user code's access to a
kernel page must be exactly the native #PF.

An attack may name a known bug (known_bug=...): the containment checks
still hold, and a difference from the native run is an expected failure
(xfail) that names the bug; once the outputs agree the test fails, to have
the mark taken away.
"""
import copy
import functools
import os
import re
import time

import pytest

from guestrun import run_qemu, run_monitor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "minios.elf")
# ATTACK_MONITOR=path runs the suite against another build of the monitor
# (an older one, to see which attacks it fails).
MONITOR = os.environ.get("ATTACK_MONITOR") or os.path.join(ROOT, "build", "monitor.elf")

MON_EXIT_GUEST_DIED = 0x73
MON_EXIT_PANIC = 0x74
STRATEGIES = ["cached", "vtlb"]
RINGS = [1, 3]
TIMEOUT = 60            # seconds a run may take: every attack ends in a few
SLOW_TIMEOUT = 300      # the 16 MB string I/O (40 s under the monitor on an idle machine)
PROMPT = 30             # hlt-masked must be ended well within TIMEOUT
EXIT_TABLE_HEAD = "exits by vector:"
GUEST_ENDED = re.compile(r"^monitor: guest ended: (.*)$", re.M)

HW, ENDED = "hw", "ended"
# How the native run is used: SAME (the guest's output under the monitor
# must equal it), OWN (asserted on its own, NATIVE_SAYS below; it differs
# from the monitor's by design), RESET (bare hardware triple-faults: QEMU
# resets, no exit code), None (bare hardware hangs or it means nothing).
SAME, OWN, RESET = "same", "own", "reset"


class Attack:
    def __init__(self, name, kind, says=(), reason=None, native=None, slow=False,
                 check=None, log_says=None, monargs="", ring3=None, known_bug=None):
        self.name = name
        self.kind = kind
        self.says = list(says)          # lines the guest must print under the monitor
        self.reason = reason            # ENDED: regex the reason must match
        self.native = native
        self.slow = slow
        self.check = check              # check(run, strategy): extra assertions
        self.log_says = log_says        # a line the monitor's log must hold
        self.monargs = monargs          # monitor options the attack needs
        self.ring3 = ring3 or {}        # what differs under ring=3: {attribute: value}
        self.known_bug = known_bug      # a monitor bug that keeps it from native

    def timeout(self):
        return SLOW_TIMEOUT if self.slow else TIMEOUT

    def in_ring(self, ring):
        """The attack as it must end under ring=ring."""
        if ring == 1 or not self.ring3:
            return self
        a = copy.copy(self)
        a.__dict__.update(self.ring3)
        return a


def ln(s):
    return "attack: " + s


# ---- extra checks ----

def counters(log):
    """The shadow counters of the exit table, as {name: int}."""
    out = {}
    for pat, names in [
            (r"(\d+) hidden faults filled, (\d+) flushes", ("hidden", "flushes")),
            (r"shadow page tables allocated (\d+), freed (\d+)", ("spt_alloc", "spt_free")),
            (r"(\d+) hits, (\d+) misses, (\d+) evictions", ("hits", "misses", "evictions"))]:
        m = re.search(pat, log)
        if m:
            out.update(zip(names, map(int, m.groups())))
    return out


def evicts(run, strategy):
    c = counters(run.log)
    if strategy == "cached":
        assert c.get("evictions", 0) > 0, "no evictions in the exit table: %r" % c
    else:
        assert c.get("flushes", 0) > 0, "no flushes in the exit table: %r" % c


def evicts_and_frees(run, strategy):
    evicts(run, strategy)
    if strategy == "cached":
        c = counters(run.log)
        assert c["spt_free"] > 0 and c["spt_alloc"] > 4096, c


def movs_emulated(run, strategy):
    """shadow=cached write-protects the page table, so the string move's
    elements trapped and were emulated one per fault (memop.c), the timer
    let in between; minios moves nothing else with MOVS."""
    if strategy == "cached":
        m = re.search(r"^monitor:   movs +(\d+)$", run.log, re.M)
        assert m and int(m.group(1)) > 0, "no emulated MOVS in the exit table"


def ticks_during(run, strategy):
    """Timer ticks were delivered during the string I/O, about one per
    period it took (as on hardware), not one at its end."""
    m = [TICKS.match(l) for l in run.lines() if TICKS.match(l)]
    assert m, "no tick count"
    m = m[0]
    ticks, periods = int(m.group(1)), int(m.group(2))
    assert periods > 0 and ticks * 2 >= periods, \
        "%d ticks delivered during %d timer periods" % (ticks, periods)


def hint_words(words):
    """The switcher's data past the monitor's CR3: the MOV CR3 fast path's
    paging flag (0 or 1), then (guest CR3, shadow root) pairs, both page
    addresses, or both 0 in a free slot (src/trap/switcher.h)."""
    paging, pairs = words[0], words[1:]
    if paging not in ("0", "1"):
        return False
    for key, root in zip(pairs[0::2], pairs[1::2]):
        k, r = int(key, 16), int(root, 16)
        if k & 0xfff or r & 0xfff or (k == 0) != (r == 0):
            return False
    return True


def switcher_words(run, strategy):
    """Each read of the switcher's data either faulted or found nothing
    past the first word (the monitor's CR3, which the entry stub needs
    before it switches) but what the switcher's MOV CR3 fast path reads:
    a paging flag and a table of shadow roots (hint_words); the private
    page is not there at all."""
    assert ln("paging on, read of 0xffc24000: vector 14, err 0x0, cr2 0xffc24000") \
        in run.lines()
    lines = [l for l in run.lines() if l.startswith("attack: paging") and "0xffc24000" not in l]
    assert len(lines) == 2, lines
    for l in lines:
        if "vector" in l:
            continue
        words = l.split(":", 2)[2].split()
        assert len(words) == 16, l
        assert hint_words(words[1:]), "monitor data readable from ring 1: " + l




CLI_SPIN_JMP = re.compile(r"^attack: CLI; JMP \. with the JMP at (0x[0-9a-f]+)$")
IFWATCH_DEFAULT = 5     # seconds (src/monitor/options.h), docs/security.md


def ended_at_the_jmp(run, ifwatch):
    """cli-spin: the guest named its JMP; the monitor ended it there, after
    ifwatch= seconds of IF clear (docs/security.md, promise 4)."""
    jmp = [m.group(1) for m in map(CLI_SPIN_JMP.match, run.lines()) if m]
    assert len(jmp) == 1, "the guest did not print its JMP's address"
    ended = GUEST_ENDED.findall(run.log)
    assert ended and ended[0].startswith(
        "interrupts disabled for over %d s of virtual time at eip %s:" % (ifwatch, jmp[0])), ended


def gates_contained(run, calls):
    """Call gates never reach the CPU (the real GDT/LDT hold them null):
    each far call through one trapped and was emulated by the monitor
    (src/trap/callgate.c), and the far RET back to the CS it pushed (the
    kernel's, RPL 0) trapped too; the guest's kernel never ran in ring 0."""
    emulated = dict(re.findall(r"^monitor:   (lcall|lret) +(\d+)$", run.log, re.M))
    assert int(emulated.get("lcall", 0)) == calls, emulated
    assert int(emulated.get("lret", 0)) >= calls, emulated


BASED_CLI = re.compile(r"^attack: CLI at offset (0x[0-9a-f]+) of a code segment based at "
                       r"0x90000000 \(linear (0x[0-9a-f]+) unmapped\): done, IF after it 0$")


def based_cli_done(run, strategy):
    """fast-forged-kcs: the CLI in the code segment based at 0x90000000 was
    done (IF 0 after it, no fault), at an offset whose linear address
    (taken as based at 0) is unmapped: the one the forged stub read."""
    m = [BASED_CLI.match(l) for l in run.lines() if BASED_CLI.match(l)]
    assert len(m) == 1, "no 'CLI at offset ... done, IF after it 0' line"
    assert m[0].group(1) == m[0].group(2)


FAST_PTW = re.compile(r"switcher fast path: .*, page-table writes (\d+)")


def fast_ptw_count(run):
    m = FAST_PTW.search(run.log)
    assert m, "no 'page-table writes' count on the switcher fast path line"
    return int(m.group(1))


def fast_ptw_taken(run, strategy):
    """The fast-ptw attacks changed what the switcher's page-table store
    fast path was armed with (fastptw.c): under shadow=cached, ring=1 it
    took some stores (so the attack reached it), under vtlb none."""
    n = fast_ptw_count(run)
    assert (n > 0) if strategy == "cached" else (n == 0), (strategy, n)


def no_fast_ptw(run, strategy):
    """ring=3: the fast path is not armed (the kernel's stores are user faults)."""
    assert fast_ptw_count(run) == 0


def holes_as_documented(run, strategy):
    """POPF and IRET in ring 1 cannot change IOPL (docs/x86-holes.md)."""
    assert ln("hole: POPF with IOPL 3: PUSHF shows IOPL 0") in run.lines()
    assert ln("hole: IRET with IOPL 3: PUSHF shows IOPL 0") in run.lines()


# What bare hardware shows where the monitor differs by design (native=OWN).
NATIVE_SAYS = {
    "ldt-task-gate": [ln("LLDT of a table with a task gate: no fault")],
    "idt-task-gate": [ln("INT through an IDT task gate: vector 13, err 0x28")],
    "gdt-task-gate": [ln("a GDT with a task gate at 0x68 was loaded")],
    "reset-ldtr": [ln("MOV FS, 0xc with no LLDT: no fault"),
                   ln("far call 0x17 (a call gate at linear 0x10 to 0xfe0:0xffc21000): "
                      "vector 13, err 0xfe0"),
                   ln("far call 0x1f (a call gate at linear 0x18 to 0xffe0:0xffc21000): "
                      "vector 13, err 0xffe0")],
    "gdt-top-present": [ln("GDT limit 64 KB, MOV FS, 0xffe8: no fault"),
                        ln("INT through a gate to code selector 0xffe0: vector 133, err 0x0")],
    "gdt-switcher-base": [ln("a GDT at 0xffc00000 was loaded and put back")],
    "sysenter": [],
    "vm86-iret": [ln("IRET with EFLAGS.VM: vector 13, err 0x0 at 0:8000, EFLAGS.VM 1")],
    "eflags": [ln("hole: POPF with IOPL 3: PUSHF shows IOPL 3"),
               ln("hole: IRET with IOPL 3: PUSHF shows IOPL 3")],
    "switcher-data": [ln("paging on, read of 0xffc10c00: vector 14, err 0x0, cr2 0xffc10c00"),
                      ln("paging on, read of 0xffc24000: vector 14, err 0x0, cr2 0xffc24000")],
    "selfmap-switcher": [ln("read of 0xfffff000 returned 0x0")],
    "pse-beyond-ram": [],
    "pt-beyond-ram": [],
}

GP = "vector 13, err 0x%x"
PF = "vector 14, err 0x%x, cr2 0x%x"
# attack_split.c's pages and the value its kernel writes before each return
SPLIT_KPAGE, SPLIT_FLAG, SPLIT_RO, SPLIT_SECRET = 0x80c000, 0x80b000, 0x810000, 0x5ec2e700


def user_access(after, page=SPLIT_KPAGE):
    """A user read and a user write of a supervisor page: #PF with U=1, P=1."""
    return [ln("user %s of 0x%x after %s: " % (what, page, after) + PF % (err, page))
            for what, err in (("read", 0x5), ("write", 0x7))]


ATTACKS = [
    # ---- the first ten (attack.c) ----
    Attack("idt-write", HW, [ln("write to 0xffc10000 faulted: vector 14, err 0x2, cr2 0xffc10000")],
           native=SAME),
    Attack("gdt-write", HW, [ln("write to 0xffc00000 faulted: vector 14, err 0x2, cr2 0xffc00000")],
           native=SAME),
    Attack("map-switcher", ENDED,
           reason=r"access to 0xffc10000 at eip 0x[0-9a-f]+: the guest maps the monitor's "
                  r"switcher slot"),
    Attack("phys-escape", ENDED, reason=r"reaches guest-physical 0x40000000, beyond its 64 MB"),
    Attack("pt-alias", ENDED,
           [ln("a PTE written through an alias of its page table maps a page: read 0x600da11a")],
           reason=r"reaches guest-physical 0x40000000, beyond its 64 MB"),
    # call gates are emulated (src/trap/callgate.c): the one to minios's code
    # lands; those naming the monitor's code selectors get the #GP(selector)
    # of hardware, whose GDT ends long before them (the monitor looks a
    # gate's target up in the guest's own tables); gates_contained checks
    # that no far call ever went through the CPU
    Attack("call-gate", HW,
           [ln("a GDT with call gates was loaded"),
            ln("far call through the DPL-3 call gate 0x3b to minios's code: no fault"),
            ln("far call through the call gate 0x4b to 0xfe0:0xffc21000: " + GP % 0xfe0),
            ln("far call through the call gate 0x53 to 0xffe0:0xffc21000: " + GP % 0xffe0)],
           native=SAME, check=lambda run, strategy: gates_contained(run, 1)),
    # RDPMC is emulated as the CPU underneath answers it in ring 0
    # (hostcpu.c): QEMU's qemu32 has no counters and raises #UD, as natively
    Attack("rdpmc", HW, [ln("rdpmc raised vector 6")], native=SAME),
    Attack("wrmsr", HW, [ln("wrmsr 0xc0de0001 raised vector 13")]),
    Attack("cli-hlt", ENDED, reason=r"HLT at 0x[0-9a-f]+ with interrupts disabled"),
    Attack("popf-if", HW, [ln("0 timer ticks arrived while interrupts were on by POPF")],
           log_says="warning: the guest has kept interrupts disabled for over a second"),

    # ---- descriptor tables (attack_desc.c) ----
    Attack("gdt-task-gate", ENDED, reason=r"0x68.*task gate", native=OWN),
    Attack("ldt-call-gate", HW,
           [ln("LLDT of a table with a call gate: no fault"),
            ln("far call through the LDT call gate 0xf: no fault")], native=SAME,
           check=lambda run, strategy: gates_contained(run, 1)),
    Attack("ldt-task-gate", ENDED, reason=r"LDT.*task gate", native=OWN),
    Attack("idt-task-gate", ENDED, reason=r"task gate", native=OWN),
    Attack("idt-call-gate", HW, [ln("INT through an IDT call gate: " + GP % 0x42a)],
           native=SAME),
    Attack("reset-ldtr", HW,
           [ln("MOV FS, 0xc with no LLDT: " + GP % 0xc),
            ln("far call 0x17 (a call gate at linear 0x10 to 0xfe0:0xffc21000): " + GP % 0x14),
            ln("far call 0x1f (a call gate at linear 0x18 to 0xffe0:0xffc21000): " + GP % 0x1c)],
           native=OWN),
    Attack("ldt-limits", HW,
           [ln("LDT limit 3, MOV FS, 0x4: " + GP % 0x4),
            ln("LDT limit 4 GB, MOV FS, 0xc: no fault"),
            ln("LDT limit 4 GB, MOV FS, 0xfffc: no fault"),
            ln("LDT limit 64 KB, MOV FS, 0xfffc: no fault")], native=SAME,
           log_says="limit 0xffffffff clamped to 8192 entries (bytes 0-0xffff): no selector "
                    "reaches further"),
    Attack("gdt-limits", HW,
           [ln("GDT limit 0x7b, MOV FS, 0x78: " + GP % 0x78),
            ln("GDT limit 64 KB, MOV FS, 0xfb8: no fault"),
            ln("GDT limit 64 KB, MOV FS, 0xfc0: no fault"),
            ln("GDT limit 64 KB, MOV FS, 0xffd0: no fault")], native=SAME,
           log_says="limit 0xffff clamped to 8187 entries (bytes 0-0xffd7): entries 8187-8191 "
                    "are the monitor's"),
    Attack("gdt-top-empty", HW,
           [ln("GDT limit 64 KB, MOV FS, 0x%x: " % sel + GP % sel)
            for sel in range(0xffd8, 0x10000, 8)] +
           [ln("INT through a gate to code selector 0xffe0: " + GP % 0xffe0)], native=SAME),
    Attack("gdt-top-present", ENDED, reason=r"GDT entry 8187 .*monitor's own", native=OWN),
    Attack("gate-monitor-sel", HW,
           [ln("INT through a gate to selector 0xfe0: " + GP % 0xfe0),
            ln("INT through a gate to selector 0xffe0: " + GP % 0xffe0),
            ln("INT through a gate to 0xffc21000: a fault came back: yes")], native=SAME),
    Attack("tss-esp0-switcher", ENDED, reason=r"triple fault", native=RESET),
    Attack("tss-base-switcher", ENDED, reason=r"triple fault|TSS", native=RESET),
    Attack("tss-base-gdt", ENDED, reason=r"triple fault|TSS", native=RESET),
    Attack("accessed-idle", HW,
           [ln("HLT with GS on a descriptor whose accessed bit is clear: woke up")], native=SAME),
    # the table is not readable: its copy is all null, so CS no longer loads
    Attack("gdt-switcher-base", ENDED, reason=r"0xffc00000|CS 0x9, not a valid guest code",
           native=OWN),
    Attack("ldt-switcher-base", HW, [ln("an LDT at 0xffc11000 was loaded and put back")],
           native=SAME),

    # ---- rings, EFLAGS, I/O, debug registers, SYSENTER, stacks (attack_cpu.c) ----
    Attack("ring2", HW,
           [ln("ring 2, CLI (entered by IRET): vector 13, err 0x0, cs 0x4a"),
            ln("ring 2, CLI (entered by far RET): vector 13, err 0x0, cs 0x4a"),
            ln("ring 2, MOV CR3: vector 13, err 0x0, cs 0x4a"),
            ln("ring 2, LGDT: vector 13, err 0x0, cs 0x4a"),
            ln("ring 2, INT 0x81 (a DPL-1 gate): vector 13, err 0x40a, cs 0x4a"),
            ln("ring 2, INT 0x82 (a DPL-2 gate): vector 130, err 0x0, cs 0x4a"),
            ln("ring 2, INT 0x84 (a DPL-3 gate): vector 132, err 0x0, cs 0x4a")], native=SAME),
    Attack("tf-emulated", HW,
           [ln("TF over CLI: vector 1 at insn+1 (the next instruction is at +1), DR6.BS 1"),
            ln("TF over IN 0x21: vector 1 at insn+2 (the next instruction is at +2), DR6.BS 1"),
            ln("TF over MOV to CR3: vector 1 at insn+3 (the next instruction is at +3), "
               "DR6.BS 1")], native=SAME),
    Attack("vm86-iret", ENDED, reason=r"virtual-8086", native=OWN),
    Attack("nt-iret", HW, [ln("IRET with EFLAGS.NT set (back link 0): vector 10, err 0x0")],
           native=SAME),
    # userret=trap: the kernel raises IOPL for user code by an IRET with
    # interrupts on, which the default (lazy) return does not see
    Attack("iopl", HW,
           [ln("ring 3, IOPL 3, IN 0x21: done, AL 0xfa"),
            ln("ring 3, IOPL 3, OUT 0x80: done, AL 0x5a"),
            ln("ring 3, IOPL 0, IN 0x21: " + GP % 0),
            ln("ring 3, IOPL 0, OUT 0x80: " + GP % 0)], native=SAME, monargs="userret=trap"),
    Attack("io-bitmap", HW,
           [ln("ring 3, bitmap grants 0x21, IN 0x21: done, AL 0xfa"),
            ln("ring 3, bitmap grants 0x21, IN 0xa1: " + GP % 0),
            ln("ring 3, bitmap grants 0x21, OUT 0x80: " + GP % 0)], native=SAME),
    Attack("eflags", HW,
           [ln("POPF with %s: PUSHF shows it %s" % (b, "clear" if b == "VM" else "set"))
            for b in ("AC", "ID", "NT", "VM")] +
           [ln("IRET with %s: PUSHF shows it set" % b) for b in ("AC", "ID", "NT")] +
           [ln("POPF with TF: vector 1, err 0x0"), ln("IRET with TF: vector 1, err 0x0")],
           native=OWN, check=holes_as_documented),
    Attack("dr-switcher", HW,
           [ln("DR0 0xffc21000 DR1 0xffc23ff0 DR2 0xffc10068 DR3 0xffc10c00 DR7 0xffd007ff "
               "(wrote DR7 0xffd007ff)")], native=SAME),
    # emulated SYSENTER: CS 0xfe0 compressed to ring 1 is no code segment of the guest's
    Attack("sysenter", ENDED,
           [ln("SYSENTER MSRs read back CS 0xfe0 ESP 0xffc24000 EIP 0xffc21000")],
           reason=r"CS 0xfe1"),
    Attack("stack16", HW,
           [ln("16-bit stack, ESP 0x12340ff0: after CLI 0x12340ff0, after IN 0x12340ff0, "
               "after an IRQ 0 on it 0x12340ff0 (an IRQ 0 arrived: yes)")], native=SAME),
    # ring=3: the switcher's pages are supervisor, out of the guest's reach
    Attack("switcher-data", HW, check=switcher_words, native=OWN,
           ring3=dict(kind=ENDED, check=None,
                      says=[ln("paging on, read of 0x%x: vector 14, err 0x0, cr2 0x%x" % (a, a))
                            for a in (0xffc10c00, 0xffc24000)],
                      reason=r"access to 0xffc10c00 at eip 0x[0-9a-f]+: the guest maps the "
                             r"monitor's switcher slot")),

    # ---- page tables and the shadow (attack_mem.c) ----
    Attack("selfmap-switcher", ENDED, reason=r"access to 0xfffff000 .*switcher slot",
           native=OWN),
    Attack("pse-beyond-ram", ENDED, reason=r"guest-physical 0xffc00000, beyond its 64 MB",
           native=OWN),
    Attack("pt-beyond-ram", ENDED, reason=r"0x40000000, beyond its 64 MB", native=OWN),
    Attack("cr3-storm", HW,
           [ln("40000 switches among 2000 page directories; the kernel still runs")],
           native=SAME, slow=True, check=evicts),
    Attack("shadow-exhaust", HW,
           [ln("70 address spaces x 256 page tables written 1 times: the shared page holds "
               "17920 (expected 17920)")], native=SAME, slow=True, check=evicts_and_frees),
    Attack("rep-stos-pt", HW,
           [ln("REP STOSD of 0x40000000 dwords over a page table: stopped by the timer: yes, "
               "ECX had counted down: yes")], native=SAME),
    Attack("rep-movs-pt", HW,
           [ln("REP MOVSD of 0x40000000 dwords over a page table: stopped by the timer: yes, "
               "ECX had counted down: yes")], native=SAME, check=movs_emulated),

    # ---- keeping the monitor busy (attack_time.c) ----
    Attack("rep-outsb", HW, [ln("REP OUTSB of 16 MB, port 0x2e0: ECX 0 at the end")],
           native=SAME, slow=True, check=ticks_during),
    Attack("rep-insb", HW, [ln("REP INSB of 16 MB, port 0x2e0: ECX 0 at the end")],
           native=SAME, slow=True, check=ticks_during),
    Attack("rep-outsb-stop", HW,
           [ln("REP OUTSB with ECX 0xffffffff: stopped by the timer: yes, ECX had counted "
               "down: yes")], native=SAME),
    Attack("rep-insb-stop", HW,
           [ln("REP INSB with ECX 0xffffffff: stopped by the timer: yes, ECX had counted "
               "down: yes")], native=SAME),
    Attack("hlt-masked", ENDED, [ln("HLT with IF set and both IMRs 0xff")], reason=r"mask"),
    # iflag=real (the default): only the NMI watchdog gets in; the bound is ifwatch=
    Attack("cli-spin", ENDED,
           reason=r"^interrupts disabled for over %d s of virtual time at eip 0x[0-9a-f]+: "
                  r"the guest spins with IF clear \(ifwatch=%d\)$"
                  % (IFWATCH_DEFAULT, IFWATCH_DEFAULT),
           check=lambda run, strategy: ended_at_the_jmp(run, IFWATCH_DEFAULT),
           log_says="warning: the guest has kept interrupts disabled for over a second"),
    # slow: on bare QEMU a PIT at divisor 2 fires every 1.7 us, and on a loaded
    # host QEMU's timer thread and vCPU fight for the lock (2.4 s idle, 3-8 s
    # at a load of 10, once over 60 s in a loaded test run)
    Attack("irq-flood", HW,
           [ln("the PIT at divisor 2: the IRQ 0 handler ran: yes, the flood ended: yes")],
           native=SAME, slow=True),

    # ---- the kernel/user wall after each transition (attack_split.c) ----
    Attack("split-iret", HW,
           user_access("an IRET from the kernel") + user_access("a far RET from the kernel") +
           [ln("user mode after an IRET with FS and GS the kernel's: "
               "DS 0x23 ES 0x23 FS 0x0 GS 0x0")], native=SAME),
    Attack("split-irq", HW,
           user_access("an IRQ 0 returned to it") +
           [ln("(an IRQ 0 interrupted the user code: yes)")], native=SAME),
    Attack("split-exc", HW,
           user_access("a #UD returned") + user_access("a #GP returned") +
           user_access("a #PF the kernel fixed"), native=SAME),
    Attack("split-syscall", HW,
           user_access("INT 0x80 returned") + user_access("SYSENTER and SYSEXIT"), native=SAME),
    Attack("split-switch-fault", HW,
           user_access("its IRET faulted (#SS: stack segment not present)") +
           user_access("its IRET faulted (#NP: code segment not present)") +
           user_access("a #PF on its stack the kernel fixed"), native=SAME),
    Attack("split-revoke", HW,
           [ln("user read of 0x%x after nothing yet (a user page): no fault, read 0x%x"
               % (SPLIT_FLAG, SPLIT_SECRET))] +
           user_access("the kernel took its U/S away (INVLPG)", SPLIT_FLAG) +
           user_access("the kernel took its U/S away (a CR3 reload)", SPLIT_FLAG) +
           [ln("user read of 0x%x after the kernel wrote it with CR0.WP = 0: no fault, read 0x%x"
               % (SPLIT_RO, SPLIT_SECRET)),
            ln("user write of 0x%x after the kernel wrote it with CR0.WP = 0: " % SPLIT_RO +
               PF % (0x7, SPLIT_RO))], native=SAME),
    Attack("split-cr3", HW,
           user_access("a CR3 switch to another address space") +
           user_access("a CR3 switch back") + user_access("a CR3 switch to the other again"),
           native=SAME),
    Attack("split-selectors", HW,
           [ln("user %s 0x%x: " % (insn, sel) + GP % 0x10)
            for insn in ("MOV DS,", "MOV ES,", "MOV FS,", "MOV GS,", "MOV SS,", "LSS")
            for sel in (0x10, 0x13)] +
           [ln("user MOV DS, 0x52: " + GP % 0x50)] +
           [ln("user %s 0x%x: " % (insn, sel) + GP % 0x8)
            for insn in ("far JMP to", "far CALL to", "IRET to", "far RET to")
            for sel in (0x8, 0xb)], native=SAME),
    Attack("split-conforming", HW,
           user_access("an IRET to conforming code of DPL 0") +
           user_access("a far RET to conforming code of DPL 0") +
           user_access("an IRET from conforming code to itself") +
           user_access("a far RET from conforming code to itself") +
           [l for rpl in (0, 3) for how in ("JMP", "CALL")
            for l in user_access("its far %s to conforming code (RPL %d)" % (how, rpl))] +
           user_access("its INT to a gate into conforming code") +
           user_access("its far CALL through a call gate into conforming code"), native=SAME),
    # the monitor hides readable user code as read-only data while the
    # kernel runs (vdesc.c, real_of), which POP GS loads as hardware does
    Attack("split-cs-in-gs", HW,
           [ln("user GS = its CS 0x1b, a system call with interrupts off: GS 0x1b after it")],
           native=SAME),

    # ---- the switcher's fast-path state (attack_fast.c) ----
    # a kcs/kss the guest forged once made the ring-0 stub fault (a panic)
    # or return to a 16-bit stack (ESP's high half the monitor's)
    Attack("fast-forged-kcs", HW, check=based_cli_done, native=SAME),
    Attack("fast-forged-kss", HW,
           [ln("CLI with the flat kernel code on a 16-bit stack, ESP 0x12340ff0: "
               "ESP after it 0x12340ff0")], native=SAME),
    # the page-table store fast path (fastptw.c): armed by repeated stores,
    # then the instruction rewritten, the table's mapping changed, DS given
    # a base that makes the store cross into the table from the page
    # before; an entry beyond RAM, a directory entry for the switcher's slot
    # stored at the armed site (a directory is never the fast path's)
    Attack("fast-ptw", HW,
           [ln("page-table stores through an alias of the table: entry 12 = 0x12348000"),
            ln("the store rewritten to MOV [EDX], ECX: entry 12 = 0x22222000"),
            ln("the alias remapped to a data page: entry 12 = 0x12348000, the page's "
               "word 12 = 0x33333000"),
            ln("a store through DS based at 0xfffffffd across into the table: entry 0 = "
               "0x5a, the page before ends 0xb2c3d400")],
           native=SAME, check=fast_ptw_taken, ring3={"check": no_fast_ptw}),
    Attack("fast-ptw-escape", ENDED,
           reason=r"reaches guest-physical 0x40000000, beyond its 64 MB",
           check=fast_ptw_taken, ring3={"check": no_fast_ptw}),
    Attack("fast-ptw-switcher", ENDED,
           reason=r"access to 0xffc10000 at eip 0x[0-9a-f]+: the guest maps the monitor's "
                  r"switcher slot", check=fast_ptw_taken, ring3={"check": no_fast_ptw}),
]
BY_NAME = {a.name: a for a in ATTACKS}
NATIVE_SAYS["eflags"] = BY_NAME["eflags"].says + NATIVE_SAYS["eflags"]
TICKS = re.compile(r"^attack: timer ticks during it: (\d+), in (\d+) timer periods$")
# What is compared with native only in shape: tick counts, and which fault
# ring 1 meets in the switcher's code.
VARYING = [(TICKS, "attack: timer ticks during it: N, in M timer periods"),
           (re.compile(r"^attack: the fault: .*$"), "attack: the fault: ...")]


def params(attacks):
    """(name, strategy, ring) for every attack under the monitor."""
    out = []
    for a in attacks:
        marks = [pytest.mark.slow] if a.slow else []
        for ring in RINGS:
            for s in STRATEGIES:
                out.append(pytest.param(a.name, s, ring, marks=marks,
                                        id=a.name + "-" + s + ("-ring3" if ring == 3 else "")))
    return out


def native_params(attacks):
    return [pytest.param(a.name, marks=[pytest.mark.slow] if a.slow else [], id=a.name)
            for a in attacks]


@functools.lru_cache(maxsize=None)
def native_run(name):
    return run_qemu(KERNEL, "attack=" + name, timeout=BY_NAME[name].timeout())


def show(run, what):
    print("==== %s: exit %s, timed out %s ====" % (what, run.exit_code, run.timed_out))
    print(run.text)
    if hasattr(run, "log"):
        print("==== %s: monitor log, last 40 lines ====" % what)
        print("\n".join(run.log.splitlines()[-40:]))


def comparable(run):
    out = []
    for l in run.lines():
        for pat, mask in VARYING:
            if pat.match(l):
                l = mask
        out.append(l)
    return out


def known_bug(a, run):
    """A known bug: an expected failure while the output still differs."""
    native = native_run(a.name)
    show(native, "native attack=" + a.name)
    assert comparable(run) != comparable(native), \
        "known bug fixed? the output equals the native run's: drop known_bug"
    pytest.xfail("known bug: " + a.known_bug)


@pytest.mark.parametrize("name,strategy,ring", params(ATTACKS))
def test_attack_contained(name, strategy, ring):
    """Under the monitor: the hardware's fault (exit 0, the guest's own
    account, equal to native where native means the same) or the guest
    ended with its reason (exit 0x73); the exit table; no panic, no hang."""
    a = BY_NAME[name].in_ring(ring)
    start = time.monotonic()
    monargs = "shadow=%s ring=%d %s" % (strategy, ring, a.monargs)
    run = run_monitor(MONITOR, KERNEL, "attack=" + name, monargs.strip(), timeout=a.timeout())
    took = time.monotonic() - start
    show(run, "monitor %s attack=%s (%.1f s)" % (monargs.strip(), name, took))

    assert not run.timed_out, "the run did not end within %d s" % a.timeout()
    assert run.exit_code != MON_EXIT_PANIC and "monitor: panic" not in run.log, \
        "the monitor panicked"
    assert EXIT_TABLE_HEAD in run.log, "no exit table: the monitor did not end the run itself"
    if a.known_bug:
        known_bug(a, run)
    ended = GUEST_ENDED.findall(run.log)
    if a.kind == ENDED:
        assert run.exit_code == MON_EXIT_GUEST_DIED, "exit %s, expected 0x73" % run.exit_code
        assert len(ended) == 1, "expected one 'guest ended' line, got %r" % ended
        assert re.search(a.reason, ended[0]), "reason %r does not match %r" % (ended[0], a.reason)
        assert ("attack %s: the kernel is still running" % name) not in run.lines()
    else:
        assert run.exit_code == 0, "exit %s, expected 0 (the guest goes on)" % run.exit_code
        assert ended == [], "the monitor ended the guest: %r" % ended
        assert ("attack %s: the kernel is still running" % name) in run.lines()
    missing = [l for l in a.says if l not in run.lines()]
    assert not missing, "the guest did not say %r" % missing
    if a.log_says:
        assert a.log_says in run.log, "the monitor did not say %r" % a.log_says
    if a.check:
        a.check(run, strategy)
    if name == "hlt-masked":
        assert took < PROMPT, "ended after %.1f s: not promptly" % took
    if name == "cli-spin":
        # The bound is ifwatch= s of virtual time, which the reason says and
        # ended_at_the_jmp checks; in wall time the run only has to end by
        # itself (not by its timeout): the boot before the spin took 34 s
        # once at a load of 15 on 2 cores.
        assert IFWATCH_DEFAULT <= took, \
            "ended after %.1f s: before ifwatch=%d s" % (took, IFWATCH_DEFAULT)
    if a.native == SAME:
        native = native_run(name)
        show(native, "native attack=" + name)
        assert comparable(run) == comparable(native), \
            "the guest's output differs from the native run's"


NATIVE = [a for a in ATTACKS if a.native]


@pytest.mark.parametrize("name", native_params(NATIVE))
def test_attack_on_bare_hardware(name):
    """Bare QEMU, the reference: what the hardware does with each attack
    that means something there (the header comments of attack*.c)."""
    a = BY_NAME[name]
    run = native_run(name)
    show(run, "native attack=" + name)
    assert not run.timed_out
    if a.native == RESET:
        # a triple fault: QEMU resets, and -no-reboot makes that the end
        assert run.exit_code is None, "exit %s: expected a reset" % run.exit_code
        assert run.lines()[-1] == "attack " + name
        return
    assert run.exit_code == 0
    assert ("attack %s: the kernel is still running" % name) in run.lines()
    says = a.says if a.native == SAME else NATIVE_SAYS[name]
    missing = [l for l in says if l not in run.lines()]
    assert not missing, "bare hardware did not say %r" % missing


# Not below 2 s: minios boots with interrupts off, and on a loaded machine
# that alone can take a second of virtual time under the monitor.
@pytest.mark.parametrize("ifwatch,iflag", [(2, "real"), (3, "real"), (3, "soft")])
def test_cli_spin_bound_is_ifwatch(ifwatch, iflag):
    """The bound is the option's: CLI; JMP . ends after ifwatch= seconds,
    and not before.  With iflag=soft the real IF stays 1 and the real PIT
    brings the monitor in; with iflag=real only the NMI watchdog can."""
    start = time.monotonic()
    run = run_monitor(MONITOR, KERNEL, "attack=cli-spin",
                      "ifwatch=%d iflag=%s" % (ifwatch, iflag), timeout=TIMEOUT)
    took = time.monotonic() - start
    show(run, "monitor ifwatch=%d iflag=%s attack=cli-spin (%.1f s)" % (ifwatch, iflag, took))
    assert not run.timed_out and run.exit_code == MON_EXIT_GUEST_DIED, run.exit_code
    assert EXIT_TABLE_HEAD in run.log
    ended_at_the_jmp(run, ifwatch)
    assert ifwatch <= took < ifwatch + PROMPT, "ended after %.1f s" % took
    nmis = re.search(r"^monitor:   NMI +(\d+)$", run.log, re.M)
    if iflag == "real":
        assert nmis and int(nmis.group(1)) > 0, "no watchdog NMI in the exit table"
    else:
        assert not nmis, "NMIs with iflag=soft: %s" % nmis.group(0)
