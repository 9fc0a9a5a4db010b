"""test_campaign_space.py - the fault space from a golden run's counters, and
jobs drawn from it: deterministic per (seed, index), inside the space, in
the proportions the weights ask for."""
import collections

import pytest

from campaign import space, spec

TABLE = {"traps": {13: 900, 14: 100}, "emul": {"cli": 30, "in": 70},
         "shadow": {"fill": 10, "flush": 0, "invlpg": 5, "ptwrite": 0}, "irqs": 12}


def campaign(targets, triggers, seed=3, runs=200):
    c = spec.Campaign("t", runs, seed, dict(spec.WORKLOAD_DEFAULTS, guest="g", args=""),
                      targets, triggers, [], "t")
    return c


def fs(targets, triggers, **kw):
    return space.FaultSpace(campaign(targets, triggers, **kw), TABLE, 5000, "unused",
                            eips=[0xc0100000, 0xc0100004])


REG = {"class": "reg", "weight": 1}


def test_trigger_space_sizes():
    t = space.TriggerSpace(TABLE, 5000, [1, 2, 3], eip_kmax=2)
    assert t.size("trap") == 1000 and t.size("emul") == 100 and t.size("shadow") == 15
    assert t.size("irq") == 12 and t.size("time") == 5000 and t.size("eip") == 6


def test_draws_are_inside_the_space():
    f = fs([REG], {"trap": 1, "emul": 1, "shadow": 1, "irq": 1, "time": 1, "eip": 1})
    for i in range(300):
        j = f.job(i)
        kind, *rest = j["trigger"].split(":")
        if kind == "trap":
            assert int(rest[1]) <= TABLE["traps"][int(rest[0])]
        elif kind == "emul":
            assert 1 <= int(rest[1]) <= TABLE["emul"][rest[0]]
        elif kind == "shadow":
            assert rest[0] in ("fill", "invlpg")       # events with a count only
        elif kind == "irq":
            assert 1 <= int(rest[0]) <= 12
        elif kind == "time":
            assert 0 <= int(rest[0]) <= 5000
        else:
            assert int(rest[0], 16) in (0xc0100000, 0xc0100004) and 1 <= int(rest[1]) <= 3
        reg, bit = j["fault"].split(":")[1:]
        assert reg in space.REGS and 0 <= int(bit) <= 31


def test_trap_draws_follow_the_counts():
    f = fs([REG], {"trap": 1})
    vec = collections.Counter(f.job(i)["trigger"].split(":")[1] for i in range(2000))
    assert 0.85 < vec["13"] / 2000 < 0.95


def test_job_depends_only_on_seed_and_index():
    a = fs([REG, {"class": "port", "weight": 1}], {"trap": 1, "time": 1}, seed=5)
    b = fs([REG, {"class": "port", "weight": 1}], {"trap": 1, "time": 1}, seed=5, runs=10)
    c = fs([REG, {"class": "port", "weight": 1}], {"trap": 1, "time": 1}, seed=6)
    assert a.jobs(200)[:10] == b.jobs(10)
    assert [a.job(i) for i in range(20)] != [c.job(i) for i in range(20)]


def test_target_weights():
    f = fs([dict(REG, weight=3), {"class": "emul", "weight": 1}], {"time": 1})
    cls = collections.Counter(f.job(i)["cls"] for i in range(2000))
    assert 0.70 < cls["reg"] / 2000 < 0.80


@pytest.mark.parametrize("t, size", [
    ({"class": "reg", "weight": 1}, 10 * 32),
    ({"class": "reg", "weight": 1, "width": 2, "regs": ["eax"]}, 31),
    ({"class": "mem", "weight": 1, "ranges": [[0x1000, 0x1010]]}, 16 * 8),
    ({"class": "pte", "weight": 1, "ranges": [[0x400000, 0x402000]]}, 2 * 32),
    ({"class": "pde", "weight": 1}, 1 * 32),
    ({"class": "insn", "weight": 1}, 32),
    ({"class": "port", "weight": 1, "ports": [0x40]}, 8),
    ({"class": "irq", "weight": 1}, 3),
    ({"class": "irq", "weight": 1, "timers": ["pit", "lapic"]}, 6),
    ({"class": "emul", "weight": 1}, 32),
    ({"class": "shadow", "weight": 1}, 2),
])
def test_target_sizes_and_enumeration(t, size):
    ts = space.TargetSpace(t, "unused")
    assert ts.size() == size
    values = ts.enumerate()
    assert len(values) == len(set(values)) == size


def test_class_sizes_multiply_trigger_points():
    f = fs([{"class": "port", "weight": 1, "ports": [0x40]}], {"irq": 1, "time": 1})
    assert f.trigger_points() == 12 + 5000
    assert f.class_sizes() == {"port": 8 * 5012}


def test_exhaustive_needs_points_and_enumerates():
    t = {"class": "port", "weight": 1, "ports": [0x40, 0x21], "points": ["time:0", "irq:3"]}
    f = fs([t], {"time": 1})
    jobs = f.jobs("exhaustive")
    assert len(jobs) == 2 * 8 * 2
    assert [j["idx"] for j in jobs] == list(range(32))
    # the report's N is the space it enumerated, so its margin is 0
    ex = fs([dict(t, persist=["once", "5"])], {"time": 1}, runs="exhaustive")
    assert ex.class_sizes() == {"port": 2 * 8 * 2 * 2} == {"port": len(ex.jobs("exhaustive"))}
    with pytest.raises(space.SpaceError):
        fs([{"class": "port", "weight": 1}], {"time": 1}).jobs("exhaustive")


def test_no_trigger_points_is_refused():
    with pytest.raises(space.SpaceError):
        space.FaultSpace(campaign([REG], {"shadow": 1}), dict(TABLE, shadow={}), 0, "unused")


def test_monargs():
    j = {"fault": "reg:eax:1", "trigger": "time:5", "persist": "once"}
    assert space.monargs({"monargs": "mem=16"}, j, 250) == \
        "mem=16 fault=reg:eax:1 trigger=time:5 persist=once watchdog=250"
    assert space.monargs({"monargs": ""}, j, 1).startswith("fault=")


def test_irq_faults_name_their_timer():
    import random
    rng = random.Random(5)
    lapic = space.TargetSpace({"class": "irq", "weight": 1, "timers": ["lapic"]}, "unused")
    drawn = {lapic.draw(rng) for _ in range(200)}
    assert {d.split(":")[2] if d.startswith("irq:lapic:delay") else d for d in drawn} == \
        {"irq:lapic:lost", "irq:lapic:spurious", "delay"}
    assert all(d.startswith("irq:lapic:") for d in drawn)
    assert sorted(lapic.enumerate()) == ["irq:lapic:delay:1", "irq:lapic:lost",
                                         "irq:lapic:spurious"]
    pit = space.TargetSpace({"class": "irq", "weight": 1}, "unused")
    assert sorted(pit.enumerate()) == ["irq:delay:1", "irq:lost", "irq:spurious"]
