"""test_profile.py - `make profile` counts the monitor's trap path exactly.

The trapprof plugin (tools/profile/trapprof.c) counts every instruction
QEMU executes in minios's measured loops, and profile.py attributes the
monitor's to trap kinds and phases.  Under -icount the run is
deterministic, so two runs must agree to the instruction; the counts must
add up (phases to the total, guest + monitor to what the guest's own RDTSC
saw); and the parts with a known size must have it (the entry stub is a few
pushes and a jump, and every CLI and STI of the loop is one #GP that the
switcher's fast path handles by itself, in tens of instructions, without
the monitor's C code).
"""
import importlib.util
import os
import subprocess

import pytest

from guestrun import make

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(ROOT, "build", "tools", "trapprof.so")
SCRIPT = os.path.join(ROOT, "tools", "profile", "profile.py")
PYTHON = "/usr/bin/python3"
BENCH = "cli-sti"
OPS = 2000              # kbench.c: N_IO
STUB_MAX = 4            # sw_vectorN: [push 0,] push N, jmp sw_alltraps
FAST_MAX = 31           # entry.asm sw_fast_gp: a CLI or STI, stub included (an STI
                        # that turns the virtual IF on loads a GDT too: vdesc.c)
FAST_KINDS = ("#GP CLI (fast path)", "#GP STI (fast path)")
IN_BENCH = "port-read"  # kbench.c: N_IO one-byte INs from the master PIC's mask
IN_KIND = "#GP IN (fast path)"
IN_MAX = 40             # entry.asm sw_fast_gp .in_fast, stub included


def load_profile_module():
    """tools/profile/profile.py, under a name that does not shadow the
    standard library's profile module."""
    spec = importlib.util.spec_from_file_location("trapprofile", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    make("all", "build/tools/trapprof.so")     # one make at a time across xdist workers
    out = []
    for i in range(2):
        save = str(tmp_path_factory.mktemp("profile%d" % i))
        p = subprocess.run([PYTHON, SCRIPT, "--bench", BENCH, "--save", save, "--lines", "5"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=600)
        text = p.stdout.decode("utf-8", "replace")
        assert p.returncode == 0, text[-3000:]
        out.append((save, text))
    return out


@pytest.fixture(scope="module")
def window(runs):
    return bench_window(load_profile_module(), runs[0][0], BENCH)


def bench_window(prof, save, name):
    windows = prof.parse_raw(os.path.join(save, "trapprof.out"))
    prof.name_windows(windows, open(os.path.join(save, "console.txt")).read().splitlines())
    w = [w for w in windows if w.name == name]
    assert len(w) == 1, "no single %s window in %s" % (name, [x.name for x in windows])
    monitor = prof.Monitor(os.path.join(ROOT, "build", "monitor.elf"),
                           os.path.join(ROOT, "build", "monitor.sym"))
    return w[0], {k.label: k for k in prof.analyse(monitor, prof.Attributor(monitor), w[0])}


@pytest.fixture(scope="module")
def in_window(tmp_path_factory):
    make("all", "build/tools/trapprof.so")
    save = str(tmp_path_factory.mktemp("profile-in"))
    p = subprocess.run([PYTHON, SCRIPT, "--bench", IN_BENCH, "--save", save],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    assert p.returncode == 0, p.stdout.decode("utf-8", "replace")[-3000:]
    return bench_window(load_profile_module(), save, IN_BENCH)


def test_two_runs_count_the_same(runs):
    raw = [open(os.path.join(save, "trapprof.out")).read() for save, _ in runs]
    assert raw[0] == raw[1], "the plugin's counts differ between two -icount runs"
    assert runs[0][1] == runs[1][1], "the reports differ between two -icount runs"


def test_report_names_the_kinds_and_the_anatomy(runs):
    text = runs[0][1]
    assert "== %s: %d operations" % (BENCH, OPS) in text
    assert "-- #GP CLI (fast path): %d traps" % OPS in text
    assert "== the anatomy of a trap" in text
    assert "top source lines" in text


def test_every_cli_and_sti_is_one_trap(window):
    w, kinds = window
    assert w.ops == OPS
    for kind in FAST_KINDS:
        assert kinds[kind].traps == OPS, "%s: %d traps for %d operations" % (
            kind, kinds[kind].traps, OPS)


def test_phases_add_up_and_are_all_named(window):
    _, kinds = window
    for k in kinds.values():
        assert sum(k.by_phase.values()) == k.insns, k.label
        assert sum(k.by_func.values()) == k.insns, k.label
    for kind in FAST_KINDS:
        k = kinds[kind]
        assert set(k.by_phase) == {"entry stub", "switcher"}, \
            "%s: phases %s (the fast path never reaches C)" % (kind, sorted(k.by_phase))


def test_fast_path_is_tens_of_instructions(window):
    _, kinds = window
    for kind in FAST_KINDS:
        k = kinds[kind]
        assert 0 < k.insns / k.traps <= FAST_MAX, "%s: %.1f instructions per trap" % (
            kind, k.insns / k.traps)


def test_in_from_the_pic_mask_never_reaches_c(in_window):
    """The IN fast path (entry.asm .in_fast): every IN of port-read is one
    #GP the switcher answers from the value the monitor published."""
    w, kinds = in_window
    assert IN_KIND in kinds, "no %s kind in port-read: %s" % (IN_KIND, sorted(kinds))
    k = kinds[IN_KIND]
    assert k.traps == w.ops, "%s: %d traps for %d operations" % (IN_KIND, k.traps, w.ops)
    assert set(k.by_phase) == {"entry stub", "switcher"}, sorted(k.by_phase)
    assert 0 < k.insns / k.traps <= IN_MAX, "%.1f instructions per IN" % (k.insns / k.traps)


def test_entry_stub_is_a_few_instructions_per_trap(window):
    _, kinds = window
    cli = kinds["#GP CLI (fast path)"]
    per_trap = cli.by_phase["entry stub"] / cli.traps
    assert 0 < per_trap <= STUB_MAX, "entry stub: %.2f instructions per trap" % per_trap


def test_counts_agree_with_the_guests_rdtsc(window):
    """Under -icount the TSC is the instruction count, less the attempts
    that faulted (QEMU does not retire them; the plugin counts them), so
    the plugin's total per operation is the bench line or a little over:
    at most one faulting attempt per trap."""
    w, kinds = window
    total = sum(w.guest.values()) + sum(k.insns for k in kinds.values())
    traps = sum(k.traps for k in kinds.values())
    over = total / w.ops - w.cycles
    assert 0 <= over < traps / w.ops + 1, "plugin %.1f per op, RDTSC %d" % (total / w.ops,
                                                                             w.cycles)


def test_bad_plugin_argument_is_refused_in_one_line(tmp_path):
    make("build/tools/trapprof.so")     # one make at a time across xdist workers
    p = subprocess.run(["qemu-system-i386", "-display", "none", "-monitor", "none",
                        "-plugin", PLUGIN + ",frob=1", "-kernel",
                        os.path.join(ROOT, "build", "monitor.elf")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    text = p.stdout.decode("utf-8", "replace")
    assert p.returncode != 0
    assert "trapprof: unknown argument (known: out= mon= stubs= class= stop=): frob=1" in text


def test_unknown_benchmark_is_refused_in_one_line():
    p = subprocess.run([PYTHON, SCRIPT, "--bench", "no-such-bench"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    text = p.stdout.decode("utf-8", "replace")
    assert p.returncode != 0
    assert text.startswith("profile: no benchmark no-such-bench (minios has: cli-sti ")
    assert len(text.strip().splitlines()) == 1
