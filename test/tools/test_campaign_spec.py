"""test_campaign_spec.py - the campaign file: what it accepts, and that each
refusal is one line naming what is wrong."""
import pytest

from campaign import spec

GOOD = """
name = "t1"
runs = 50
seed = 7
[workload]
guest = "build/minios.elf"
args = "tests=kernel"
monargs = "mem=16"
[[targets]]
class = "reg"
weight = 2
[[targets]]
class = "mem"
[triggers]
trap = 1
time = 0.5
"""


def test_modules_panic_and_timers():
    c = spec.parse(GOOD.replace('monargs = "mem=16"', 'monargs = "mem=16 disk1=mod1"\n'
                                'modules = ["build/xv6/fs.img"]\npanic = "panic: "')
                   .replace('class = "mem"', 'class = "irq"\ntimers = ["lapic", "pit"]'))
    assert c.workload["modules"] == ["build/xv6/fs.img"]
    assert c.workload["panic"] == "panic: "
    assert c.targets[1]["timers"] == ["lapic", "pit"]


def test_good_file_and_defaults():
    c = spec.parse(GOOD)
    assert (c.name, c.runs, c.seed) == ("t1", 50, 7)
    assert c.workload["monitor"] == "build/monitor.elf"
    assert c.workload["success"] == 0 and c.workload["normalize"] == []
    assert c.workload["modules"] == [] and c.workload["panic"] == ""
    assert [t["class"] for t in c.targets] == ["reg", "mem"]
    assert c.targets[1]["weight"] == 1
    assert c.triggers == {"trap": 1, "time": 0.5}


def test_fingerprint_ignores_runs_but_not_seed():
    a, b, d = spec.parse(GOOD), spec.parse(GOOD.replace("runs = 50", "runs = 5000")), \
        spec.parse(GOOD.replace("seed = 7", "seed = 8"))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != d.fingerprint()


def test_fixed_jobs():
    c = spec.parse('name = "k"\n[workload]\nguest = "g"\nargs = ""\n'
                   '[[jobs]]\nfault = "reg:eax:1"\ntrigger = "time:0"\nexpect = "benign"\n'
                   '[[jobs]]\nfault = "irq:lost"\ntrigger = "time:0"\npersist = "forever"\n')
    assert c.runs == 2
    assert c.jobs[0] == {"fault": "reg:eax:1", "trigger": "time:0", "persist": "once",
                         "expect": "benign"}
    assert c.jobs[1]["persist"] == "forever"


@pytest.mark.parametrize("change, why", [
    (("name = \"t1\"", "name = \"a b\""), "name must be"),
    (("name = \"t1\"\n", ""), "missing 'name'"),
    (("guest = \"build/minios.elf\"\n", ""), "missing 'guest'"),
    (("args = \"tests=kernel\"", "args = 3"), "'args' must be str"),
    (("class = \"reg\"", "class = \"cache\""), "class must be one of"),
    (("weight = 2", "weight = -1"), "weight must be a positive number"),
    (("trap = 1", "trap = 1\ncosmic = 1"), "unknown trigger kind 'cosmic'"),
    (("trap = 1\ntime = 0.5", "trap = 0"), "no trigger kind has a weight"),
    (("runs = 50", "runs = 0"), "runs must be"),
    (("runs = 50", "runs = \"lots\""), "runs must be"),
    (("seed = 7", "seed = \"x\""), "seed must be an integer"),
    (("monargs = \"mem=16\"", "monargs = \"mem=16 watchdog=5\""), "must not set"),
    (("[[targets]]\nclass = \"reg\"", "[[jobs]]\nfault = \"reg:eax:0\"\ntrigger = \"time:0\"\n"
      "[[targets]]\nclass = \"reg\""), "exactly one"),
    (("[workload]", "[workload\n"), "not TOML"),
    (("monargs = \"mem=16\"", "monargs = \"mem=16\"\nmodules = \"fs.img\""),
     "'modules' must be a list of file paths"),
    (("monargs = \"mem=16\"", "monargs = \"mem=16\"\npanic = \"(\""),
     "'panic' is not a regular expression"),
    (("monargs = \"mem=16\"", "monargs = \"mem=16\"\npanic = 1"), "'panic' must be str"),
    (("class = \"mem\"", "class = \"irq\"\ntimers = [\"hpet\"]"),
     "timers must be a list of pit lapic"),
    (("class = \"mem\"", "class = \"irq\"\ntimers = []"), "timers must be a list"),
])
def test_refusals_are_one_line(change, why):
    old, new = change
    assert old in GOOD
    with pytest.raises(spec.CampaignError) as e:
        spec.parse(GOOD.replace(old, new, 1))
    assert why in str(e.value)
    assert "\n" not in str(e.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(spec.CampaignError) as e:
        spec.load(str(tmp_path / "nope.toml"))
    assert "No such file" in str(e.value)


def test_shipped_campaigns_parse():
    import glob
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    files = glob.glob(os.path.join(here, "..", "..", "tools", "campaign", "campaigns", "*.toml"))
    assert len(files) >= 3
    for f in files:
        c = spec.load(f)
        assert c.name
