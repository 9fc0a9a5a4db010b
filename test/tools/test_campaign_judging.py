"""test_campaign_judging.py - reading the monitor's log, classifying a run
against the golden one, and the statistics of the report."""
import math

import pytest

from campaign import classify, monlog, stats

LOG = """monitor: guest 'build/minios.elf tests=kernel' loaded: 3 segment(s)
monitor: fault: watchdog: 240 ms of virtual time
monitor: fault: armed: reg eax bits 3-3 at trap 13 #100, once
monitor: fault: injected: eax 0x60 -> 0x68 at trap 141, eip 0xc010058c, 957 us
monitor: guest exited with code 0 (0x0)
monitor: fault: result: injected=1 activated=unknown trap=141 eip=0xc010058c us=957 end_us=94577
monitor: exits by vector:
monitor:   #GP          2757
monitor:   #PF           217
monitor:   irq0            5
monitor: emulated instructions:
monitor:   cli               310
monitor:   mov from cr         11
monitor:   pop                 1
monitor:   mov                13
monitor: reflected to the guest:
monitor:   #PF             9
monitor:   INT n          63
monitor:   IRQs           90
monitor: shadow MMU (cached): 195 hidden faults filled, 2 flushes, 7 invlpg
monitor:   page-table writes emulated 13, not emulable (frame released) 0
"""


def test_exit_table():
    t = monlog.exit_table(LOG)
    assert t["traps"] == {13: 2757, 14: 217, 0x20: 5}
    assert t["emul"] == {"cli": 310, "movfromcr": 11, "popss": 1}    # MOV: a pt write
    assert t["shadow"] == {"fill": 195, "flush": 2, "invlpg": 7, "ptwrite": 13}
    assert t["irqs"] == 90


def test_fault_result_and_excerpt():
    r = monlog.fault_result(LOG)
    assert r == {"injected": 1, "activated": "unknown", "trap": 141, "eip": 0xc010058c,
                 "inject_us": 957, "end_us": 94577}
    assert monlog.fault_result("monitor: fault: result: none end_us=12\n")["end_us"] == 12
    assert monlog.fault_result("monitor: panic: x\n") is None
    ex = monlog.excerpt(LOG)
    assert "fault: injected" in ex and "guest exited" in ex and "#GP" not in ex


GOLDEN = {"code": 0, "text": "a\nb\n"}
FAULT = {"injected": 1, "activated": "unknown"}


def run(code=0, text="a\nb\n", timed_out=False, rc=1):
    return {"code": code, "text": text, "timed_out": timed_out, "rc": rc}


@pytest.mark.parametrize("r, fault, outcome", [
    (run(), FAULT, "benign"),
    (run(), dict(FAULT, activated="no"), "not activated"),
    (run(), {"injected": 0, "activated": "no"}, "not activated"),
    (run(text="a\nX\n"), FAULT, "SDC"),
    (run(code=1), FAULT, "detected"),
    (run(code=3), FAULT, "detected"),
    (run(code=0x73), FAULT, "guest crash"),
    (run(code=0x75), FAULT, "hang"),
    (run(code=0x74), None, "monitor failure"),
    (run(code=0x71), None, "monitor failure"),
    (run(code=None, rc=0), None, "monitor failure"),
    (run(code=None, timed_out=True), None, "monitor failure"),
    (run(), None, "monitor failure"),
    (run(text="a\nX\n"), {"injected": 0, "activated": "no"}, "SDC"),
])
def test_classify(r, fault, outcome):
    assert classify.classify(GOLDEN, r, fault)[0] == outcome


def test_guest_panic_is_detected_whatever_ended_the_run():
    """A guest that reports its own error and then spins (xv6's panic) is
    'detected', even though the watchdog or the monitor ended it; a monitor
    failure stays one."""
    text = "a\nlapicid 0: panic: popcli - interruptible\n 80104566 0 0\n"
    for code in (0x75, 0x73, 0x76):
        o, why = classify.classify(GOLDEN, run(code=code, text=text), FAULT, "panic: ")
        assert o == "detected"
        assert why == "guest panic: lapicid 0: panic: popcli - interruptible"
    assert classify.classify(GOLDEN, run(code=0x74, text=text), FAULT, "panic: ")[0] == \
        "monitor failure"
    assert classify.classify(GOLDEN, run(code=0x75, text=text), FAULT)[0] == "hang"
    assert classify.classify(GOLDEN, run(code=0x75), FAULT, "panic: ")[0] == "hang"
    assert classify.panic_line("x\npanic: y", "panic: ") == "panic: y"
    assert classify.panic_line("x\n", "panic: ") is None
    assert classify.panic_line("panic: y", "") is None


def test_sdc_detail_and_normalize():
    o, why = classify.classify(GOLDEN, run(text="a\nc\n"), FAULT)
    assert o == "SDC" and why == "line 2: 'b' | 'c'"
    o, why = classify.classify(GOLDEN, run(text="a\nc\n"), {"injected": 0, "activated": "no"})
    assert o == "SDC" and why.startswith("no fault injected (timing only)")
    assert classify.normalize("bench x  123\r\nok\n", [r"(?m)\d+$"]) == "bench x  #\nok\n"


def test_sample_size_known_values():
    # Leveugle et al.: the infinite-population limit at e=1% is 9604 runs
    assert stats.sample_size(10 ** 12) == 9604
    assert stats.sample_size(10 ** 12, e=0.05) == 385
    assert stats.sample_size(1000, e=0.05) == 278
    assert stats.sample_size(1) == 1


def test_margin():
    assert math.isclose(stats.margin(9604, 10 ** 12), 0.01, rel_tol=1e-3)
    assert stats.margin(1000, 1000) == 0.0
    assert stats.margin(0, 10) == 1.0
    assert stats.margin(500, 1000) < stats.margin(500, 10 ** 9)


def test_wilson():
    lo, hi = stats.wilson(0, 1000)
    assert lo < 1e-12 and 0.0038 < hi < 0.0039
    lo, hi = stats.wilson(500, 1000)
    assert math.isclose(lo, 0.469, abs_tol=1e-3) and math.isclose(hi, 0.531, abs_tol=1e-3)
    assert stats.wilson(5, 5)[1] == 1.0
    assert stats.wilson(0, 0) == (0.0, 1.0)
