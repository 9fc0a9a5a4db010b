"""conform_expected.py - the lines of the conformance guest (guests/conform)
that may differ between a native run and a run under the monitor
(docs/conformance.md).

HOLES: x86 virtualization holes that cannot be closed while the guest
kernel runs in ring 1 on this host (no VT-x, and no UMIP on the qemu32 and
Bochs CPU models): sensitive instructions that do not trap.  Each name with
its reason.  A hole line may differ; it need not.

KNOWN_BUGS: divergences the monitor will fix, each with one line saying
what is wrong.  Each must differ in every run it applies to: once the
monitor is fixed the comparison fails until the entry is removed, so this
list only shrinks.  Bug(what, only={...}) applies only to runs that carry
all of those tags ("qemu" or "bochs"; "cached" or "vtlb"), for divergences
that one platform or one strategy shows and the other cannot (QEMU, for
instance, does not set the accessed bit on a far JMP nor raise #AC, so a
monitor that does not either agrees with it there).

PLATFORM: lines where the two native platforms disagree with each other
and the monitor keeps one answer on purpose, with the reason it cannot or
should not follow the other.  Bug(what, only={...}) names the platform
whose native run departs; the line may differ there (like a hole), and
must agree everywhere else (a KNOWN_BUGS check is not made: the monitor
is not expected to change).

A name "run.CHECK" stands for a whole check: "died" or "hung" when the
monitor ended the guest inside it (the lines it never printed are part of
that one difference), "aborted/..." when the guest gave up on it after an
exception it did not expect.
"""


class Bug:
    def __init__(self, what, only=()):
        self.what = what
        self.only = frozenset(only)

    def applies(self, tags):
        return self.only <= set(tags)


_RPL = "the RPL of CS and SS is the CPL: ring 1 shows 1 where the guest kernel expects 0"
_TABLES = "not privileged: shows the switcher's table and the monitor's selector"
_SMSW = "SMSW is not privileged and reads the real CR0 (TS and NE as the monitor keeps them)"
_COMPRESS = ("ring compression makes the guest's DPL-0 descriptors DPL 1, and the load "
             "does not trap: what ring 0 refuses, ring 1 accepts")
_PUSHF = ("PUSHF is not privileged and shows the real IF: 1 in ring 1 with iflag=soft "
          "(iflag=real, the default, makes the real IF follow the virtual one)")
_POPF = "POPF at CPL 1 > IOPL 0 leaves IF alone without a fault: the virtual IF does not change"

HOLES = {
    "seg.dpl1.ss": ("ring compression: the guest's rings 0 and 1 are one real ring (1), so a "
                    "DPL-1 stack segment is loadable at the guest's CPL 0, where the CPU "
                    "would refuse it (DPL != CPL)"),
    "hole.mov_cs.rpl": _RPL,
    "hole.push_cs.rpl": _RPL,
    "hole.mov_ss.rpl": _RPL,
    "hole.sgdt": "SGDT " + _TABLES + " (the switcher's GDT, 8192 entries)",
    "hole.sidt": "SIDT " + _TABLES + " (the switcher's IDT)",
    "hole.str": "STR " + _TABLES + " (the monitor's TSS selector, 0xFFF0)",
    "hole.sldt.loaded": "SLDT " + _TABLES + " (the monitor's LDT selector, 0xFFF8)",
    "hole.smsw.ts": _SMSW,
    "hole.smsw.clts": _SMSW,
    "hole.lar.kcode": "LAR is not privileged and reads the compressed copy (DPL 1)",
    "hole.lar.tss": "LAR reads the real GDT, where the guest's TSS descriptor is null (LTR is "
                    "emulated from the guest's own table)",
    "hole.lar.callgate": "LAR reads the real GDT, where the guest's call gate is null (a far "
                         "CALL or JMP through it is emulated from the monitor's copy, "
                         "src/trap/callgate.c): ZF clear where the CPU gives the gate's "
                         "access rights",
    "hole.verw.kdata.rpl1": "VERW with RPL 1 on a DPL-0 descriptor: " + _COMPRESS,
    "hole.ds.rpl1_dpl0": "MOV DS with RPL 1 on a DPL-0 descriptor: " + _COMPRESS,
    "hole.ss.dpl1_rpl1": "MOV SS with RPL 1 of a DPL-1 descriptor at guest CPL 0 runs at CPL 1 "
                         "without a fault: " + _COMPRESS,
    "hole.pushf.if_after_cli": _PUSHF,
    "run.seg.gdt8192_top": "the CPU finds the monitor's trap code and TSS through the GDT in force "
                           "while the guest runs, so the monitor keeps descriptors in the "
                           "guest's real GDT (entries 8187-8191): a guest that fills the "
                           "last entries of an 8192-entry GDT is ended",
    "irq.pushf.after_cli": _PUSHF,
    "irq.popf.set_if.ticks": _POPF,
    "irq.popf.clear_if.ticks": _POPF,
}

_RING3 = ("ring=3: every real descriptor is DPL 3 and the guest kernel runs at CPL 3, so a "
          "segment load its CPU refuses at CPL 0 for the descriptor's DPL or the selector's "
          "RPL runs without a fault")

_ALIAS = ("ring=3 hides conforming code from the guest kernel (its return to it with RPL 3 is "
          "one to user mode, which must trap), so the kernel runs conforming code through an "
          "alias, a non-conforming copy of the descriptor past its GDT, whose selector CS "
          "holds (src/trap/vdesc.c, docs/ring-compression.md)")

# Lines that differ only in ring=3 (tag "ring3"), each for its reason.
RING3_HOLES = {
    "seg.rpl3.dpl0.ds": "MOV DS with RPL 3 on a DPL-0 descriptor: " + _RING3,
    "seg.dpl3.ss": "MOV SS of a DPL-3 (user) stack segment: " + _RING3,
    "seg.rpl3.ss": "MOV SS with RPL 3 of the kernel's stack segment: " + _RING3,
    "far.jmp.conforming": "MOV from CS in conforming code at CPL 0: " + _ALIAS,
    "far.ret.conforming": "MOV from CS in conforming code at CPL 0: " + _ALIAS,
}

_IO_WIDE = ("a 16- or 32-bit read of a port no device claims gives all ones (vio.c), as an "
            "ISA bus floats and as Bochs gives; native QEMU departs from the bus and gives 0 "
            "for those widths.  Following it would mean passing the guest's read of an "
            "unclaimed port through to the host, which the monitor never does (a port unclaimed "
            "in the guest's machine may be claimed in the host's)")

PLATFORM = {
    "io.none.w": Bug(_IO_WIDE, only={"qemu"}),
    "io.none.l": Bug(_IO_WIDE, only={"qemu"}),
    "io.rep_insw": Bug(_IO_WIDE, only={"qemu"}),
    "io.rep_insl": Bug(_IO_WIDE, only={"qemu"}),
}

KNOWN_BUGS = {
    # seg
    # far
    # exc
    # cr
    # pg
    # io
    # dr
    # msr
    # irq
}
