"""expected.py - what the differential tester (guests/difftest, gen.py)
leaves out or masks, and why, by name (docs/conformance.md).

HOLES: instruction forms whose result under the monitor legitimately
differs from bare hardware, because ring 1 cannot hide them on this host
(no VT-x; no UMIP on the qemu32 CPU model): the x86 virtualization holes
of docs/x86-holes.md.  Each is a generator tag (a template or one of its
choices, gen.py) and the rings it is a hole in; the generator never emits
it there.

MASKS: fields of the observed state the guest clears before comparing
(guests/difftest/run.h), each with its reason; passed to the guest on its
command line natively and under the monitor alike.

RULES: what the generator does not do by construction (no tag can turn it
on), because the architecture leaves the result open or because the
monitor ends a guest that does it, by design.

RING3_HOLES, RING3_KNOWN_BUGS: the same for the guest kernel in real
ring 3 (the monitor's ring=3, docs/ring-compression.md), on top of the
lists above (which hold in both rings): what ring 3 cannot hide beyond
what ring 1 cannot.  lists(kernel_ring) gives the entries that apply.

KNOWN_BUGS: divergences of the monitor that a sequence found and nobody
has fixed yet.  Each is a tag (left out of random sequences in its rings,
so that random runs show only new divergences), one line on what is
wrong, and a witness: a fixed sequence that shows it.  The test runs the
witnesses and requires each to still differ, so a fixed bug fails the
test until its entry is removed: the list only shrinks.
"""


class Entry:
    def __init__(self, rings, why, witness=None, shadows=("cached", "vtlb")):
        self.rings = frozenset(rings)
        self.why = why
        self.witness = witness          # (ring, [asm lines]) for a known bug
        self.shadows = frozenset(shadows)


_RPL = "the RPL of CS and SS is the CPL: ring 1 shows 1 where the guest kernel expects 0"
_TABLES = ("is not privileged: it shows the monitor's register (the switcher's table, the "
           "monitor's TSS or LDT selector)")
_ALIAS = ("ring compression: the guest's DPL-0 and DPL-1 descriptors both run at CPL 1, so "
          "what the CPU refuses at CPL 0 (DPL != CPL, RPL 1) it accepts")

HOLES = {
    "seg.read.cs": Entry({0}, "MOV from CS and PUSH CS: " + _RPL),
    "seg.read.ss": Entry({0}, "MOV from SS and PUSH SS: " + _RPL),
    "far.call": Entry({0}, "a far CALL from the guest kernel pushes CS with RPL 1 (" + _RPL +
                      ")"),
    "desc.sgdt": Entry({0, 3}, "SGDT " + _TABLES),
    "desc.sidt": Entry({0, 3}, "SIDT " + _TABLES),
    "desc.sldt": Entry({0, 3}, "SLDT " + _TABLES),
    "desc.str": Entry({0, 3}, "STR " + _TABLES),
    "seg.data.dpl1": Entry({0}, "a DPL-1 data segment at guest CPL 0: " + _ALIAS),
    "seg.ss.dpl1": Entry({0}, "a DPL-1 stack segment at guest CPL 0: " + _ALIAS),
    "cr0.smsw.r32": Entry({0, 3}, "SMSW into a 32-bit register is not privileged and copies "
                          "the whole real CR0 (WP always set by the monitor); the low 16 "
                          "bits, all that SMSW r16 and m16 show, agree"),
    "int.user_gate": Entry({0}, "INT to the guest's DPL-3 trap gate from the guest kernel: "
                           "the monitor installs it as a real gate into ring 1 (direct "
                           "system-call gates, src/trap/vidt.c), so the CPU delivers it "
                           "without a trap and pushes the real CS, RPL 1 (" + _RPL + "); from "
                           "ring 3 the frame is right"),
}
for _sel in ("kcode", "kdata", "kdata_a0", "np", "xo", "conf"):
    HOLES["seg.check.lar." + _sel] = Entry(
        {0, 3} if _sel == "conf" else {0},
        "LAR is not privileged and reads the compressed copy of a DPL-0 descriptor: DPL 1")
HOLES["seg.check.lar.ucode"] = Entry(
    {0}, "LAR reads the real GDT, where the guest's user code segments are not present while "
         "its kernel runs (how the monitor makes the kernel's IRET to user mode trap)")
for _op in ("lar", "lsl"):
    for _sel in ("tss", "tss2", "ldt"):
        HOLES["seg.check.%s.%s" % (_op, _sel)] = Entry(
            {0}, "%s reads the real GDT, where the guest's TSS and LDT descriptors are null "
                 "(LTR and LLDT are emulated from the guest's own table)" % _op.upper())

MASKS = {
    "ss_rpl": "in ring 0, SS's RPL is the CPL, 1 under the monitor (" + _RPL + "); the "
              "selector's index and table bit are compared",
    "pf_pde_a": "after a sequence that ended in #PF, the PDEs' accessed bits: when the PTE "
                "refuses the access, QEMU (and Intel CPUs, SDM vol. 3A, the #PF page) has "
                "already set A in the PDE it used, the monitor's guest walk (gwalk.h) sets "
                "A only on a successful translation; test/unit/gwalk_ref.h calls it "
                "implementation-defined",
}

RULES = {
    "popf.if_iopl": "POPF in ring 0 keeps IF (tracked through CLI and STI) and IOPL 0: at "
                    "CPL 1 > IOPL the CPU leaves both alone without a fault (docs/x86-holes.md)",
    "tlb.invalidate": "a PTE or PDE write is followed by INVLPG, a CR3 reload or (CR4.PGE "
                      "on) a PGE toggle before the page is touched again: until then the "
                      "TLB may hold either entry, and a shadow MMU and QEMU's TLB choose "
                      "differently",
    "pte.frames": "PTEs name only frames of the test area: a frame beyond guest RAM ends "
                  "the guest under the monitor (docs/architecture.md, phys-escape)",
    "code.outside_window": "the code runs from its own page outside the window, and no "
                           "access writes it (no self-modifying code)",
    "stack.ring0": "in ring 0 ESP moves only by pushes, pops and LSS within its page, and "
                   "SS only to flat stack segments: a fault on the stack there would be a "
                   "double fault",
    "hlt.ring0": "no HLT in ring 0: with every interrupt masked it sleeps forever natively; "
                 "the monitor ends such a guest (by design)",
    "rdtsc.value": "RDTSC and RDMSR of the TSC are kept for whether they fault; their value "
                   "is cleared right after (time differs from run to run)",
    "io.port80_value": "IN from port 0x80 is kept for whether it faults; AL is cleared right "
                       "after: what the POST port reads is the platform's (QEMU's dummy "
                       "device reads 0xFF, Bochs latches the last byte written, 0 at first), "
                       "and the monitor, which claims no port 0x80, gives the floating bus's "
                       "0xFF on both (vio.c: an unclaimed read never reaches the host); the single-stepped IN "
                       "(POPF with TF) reads port 0x21 instead",
    "io.ports": "ports 0x80 (byte), 0x21 (written 0xFF) and the UART's scratch 0x3FF "
                "(byte) only: other ports change what the run does next or, wider than a "
                "byte, make QEMU's 16550 abort",
    "int.error_code_vectors": "INT n never names 8, 10-14 or 17: the guest's stub expects "
                              "the CPU's error code there, and INT n pushes none",
    "dr7.enable": "DR7 is written without enable bits (breakpoints: KNOWN_BUGS dr.bp)",
    "qemu.cmpxchg8b_flags": "CMPXCHG8B comes after PUSHFD/POPFD: QEMU 7.2's TCG CMPXCHG8B "
                            "keeps flags from a stale lazy-flags state when an instruction "
                            "before it in the same translation block set them (natively "
                            "OF and SF of an earlier instruction come back); the monitor, "
                            "emulating it on a page table, gets them right",
    "qemu.rcl_mem": "no RCL or RCR with a memory operand: when one faults (a hidden page "
                    "fault under the monitor, a real one natively), QEMU 7.2's TCG pushes "
                    "an EFLAGS image from a stale lazy-flags state",
    "flags.undefined": "after an instruction that leaves flags undefined (BT*, MUL, DIV, "
                       "shifts and rotates, SHLD/SHRD, BSF/BSR, BCD adjustments, BT* on a "
                       "PTE or PDE) the generator defines them all again (SETC/ADD, or "
                       "MOV/ADD): QEMU computes them lazily, so their value depends on where "
                       "its translation blocks end (a hidden page fault under the monitor "
                       "splits one), and the monitor's emulation of a page-table write "
                       "leaves its own values",
    "tf.shadow": "POPF that sets TF is followed by one instruction that is not STI, MOV SS "
                 "or POP SS: whether the single-step #DB waits one more instruction after "
                 "those is left to the implementation (QEMU waits, the monitor does not)",
    "dr6.b0_b3": "DR6 is written with B0-B3 clear: the SDM lets a debug exception clear "
                 "them or not ('certain debug exceptions may clear bits 0-3'); QEMU clears "
                 "them on a single-step #DB, the monitor, raising it, keeps them",
    "qemu.setcc_mem": "SETcc writes only registers: when a SETcc to memory faults (a "
                      "hidden page fault under the monitor, a real one natively), QEMU 7.2's "
                      "TCG has already rewritten its lazy-flags state, and the EFLAGS of the "
                      "fault frame come out wrong (seen for most conditions after ADD, INC, "
                      "CMP, IMUL, and for NZ after REPNE SCASW)",
    "qemu.sysenter_cs": "WRMSR of SYSENTER_CS writes bits 31:16 as 0: QEMU keeps only bits "
                        "15:0, where the SDM makes 31:16 read/write (the monitor keeps them)",
}

KNOWN_BUGS = {}


# ---- ring=3: the guest kernel in real ring 3 ----

_RING3 = ("ring=3: every real descriptor is DPL 3 and the guest kernel runs at CPL 3, so the "
          "CPU's privilege checks cannot tell the guest kernel from its user code: ")
_R3_LOAD = (_RING3 + "a segment load the guest's CPU refuses at CPL 0 (#GP(selector)) loads "
            "without a fault (nothing traps, nothing to emulate)")
_R3_CHECK = (_RING3 + "%s is not privileged and does not fault; it succeeds on the real DPL-3 "
             "descriptor where the guest's CPU, at CPL 3, refuses a DPL below CPL (ZF=0)")

RING3_HOLES = {
    "seg.data.kdata_rpl3": Entry({0}, "DS/ES/FS/GS with RPL 3 on the kernel's DPL-0 data "
                                 "segment, RPL > DPL: " + _R3_LOAD),
    "seg.ss.udata": Entry({0}, "SS with the user (DPL-3) stack segment, DPL != CPL: " + _R3_LOAD +
                          "; the monitor resumes the kernel with it (trap.c, ring3_alias)"),
    "seg.ss.udata_a0": Entry({0}, "SS with a DPL-3 stack segment, DPL != CPL: " + _R3_LOAD),
    "seg.ss.kdata_rpl3": Entry({0}, "SS with RPL 3 on the kernel's stack segment, RPL != CPL: " +
                               _R3_LOAD),
}
# the DPL-0 descriptors of the guest's GDT (difftest.h); conforming code
# passes these checks at any CPL, TSS and LDT descriptors are null in the
# real GDT (ring 1's HOLES)
for _op in ("lar", "lsl", "verr", "verw"):
    for _sel in ("kcode", "kdata", "kdata_a0", "np", "xo"):
        RING3_HOLES["seg.check.%s.%s" % (_op, _sel)] = Entry(
            {3}, _R3_CHECK % _op.upper() + (" (LAR shows the real access rights: DPL 3, and "
                                            "P clear while user code runs)" if _op == "lar"
                                            else ""))

# ring=1 hides readable user code as read-only data while the kernel runs
# (vdesc.c, real_of), which DS and ES load as hardware does; ring=3 still
# marks it not present
RING3_KNOWN_BUGS = {}


def lists(kernel_ring=1):
    """(holes, known_bugs) for the guest kernel in real ring kernel_ring:
    lists of (tag, Entry); a tag may appear twice, for disjoint rings."""
    holes, bugs = list(HOLES.items()), list(KNOWN_BUGS.items())
    if kernel_ring == 3:
        holes += list(RING3_HOLES.items())
        bugs += list(RING3_KNOWN_BUGS.items())
    return holes, bugs
