"""test_campaign_store.py - the SQLite store (resumption rests on it), the
report it feeds, the guest ELF reader, the local pool and the command line."""
import os
import struct

import pytest

from campaign import cli, elfinfo, pool, report, runner
from campaign.store import Store
from campaign.classify import OUTCOMES

GOLDEN = {"code": 0, "text": "t", "log": "l", "end_us": 1000, "wall": 0.5}


def job(i, cls="reg"):
    return {"idx": i, "cls": cls, "fault": "reg:eax:%d" % i, "trigger": "time:%d" % i,
            "persist": "once", "expect": "", "monargs": "m"}


def result(i, outcome="benign", injected=1):
    return {"idx": i, "outcome": outcome, "detail": "", "code": 0, "injected": injected,
            "activated": "unknown", "inject_us": 10 * i, "end_us": 1000, "wall": 0.1 * i,
            "cpu": 0.05, "text_hash": "h", "log_excerpt": "", "worker": "local",
            "finished": 0.0}


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / "sub" / "c.sqlite"))
    s.save_campaign("c", "fp", "file", GOLDEN, 3, 30.0, {"reg": 1000, "mem": 10 ** 9}, 100)
    yield s
    s.close()


def test_pending_skips_finished_and_resumes(store):
    store.add_jobs([job(i) for i in range(5)])
    store.add_result(result(1))
    store.add_result(result(3))
    assert [j["idx"] for j in store.pending(5)] == [0, 2, 4]
    assert [j["idx"] for j in store.pending(3)] == [0, 2]
    # a grown campaign adds jobs; stored ones are kept as they were
    store.add_jobs([dict(job(i), fault="other") for i in range(7)])
    assert store.job(1)["fault"] == "reg:eax:1" and store.job(6)["fault"] == "other"
    assert store.count_results() == 2


def test_reopen_keeps_everything(tmp_path):
    path = str(tmp_path / "c.sqlite")
    s = Store(path)
    s.save_campaign("c", "fp", "file", GOLDEN, 3, 30.0, {}, 1)
    s.add_jobs([job(0)])
    s.add_result(result(0, "hang"))
    s.close()
    s = Store(path)
    assert s.campaign()["fingerprint"] == "fp"
    assert s.results()[0]["outcome"] == "hang"
    s.close()


def test_report_text_plot_and_page(store, tmp_path):
    store.add_jobs([job(i, "reg" if i % 2 else "mem") for i in range(40)])
    outcomes = ["benign", "SDC", "detected", "guest crash", "hang", "not activated"]
    for i in range(40):
        store.add_result(result(i, outcomes[i % 6], injected=i % 3 != 0))
    rows = store.results()
    lines = report.text(store.campaign(), rows)
    text = "\n".join(lines)
    assert "all classes: 40 runs" in text and "mem: 20 runs" in text and "reg: 20 runs" in text
    for o in outcomes + ["monitor failure"]:
        assert "  %-16s" % o in text
    assert "monitor failures: 0" in text
    assert "slowest runs:" in text and "job 39: 3.90 s" in text
    png, md = report.write(store.campaign(), rows, str(tmp_path / "out"))
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert "![outcomes](c.png)" in open(md).read()


def tiny_elf(path):
    """An ELF32 with .text at 0x1000 (4 bytes 'abcd'), .bss at 0x2000 (64
    bytes), a symbol 'start' = 0x1002, and the string tables."""
    shstr = b"\0.text\0.bss\0.shstrtab\0.symtab\0.strtab\0"
    strtab = b"\0start\0"
    text = b"abcd"
    sym = struct.pack("<IIIBBH", 0, 0, 0, 0, 0, 0) + struct.pack("<IIIBBH", 1, 0x1002, 0, 0, 0, 1)
    body = text + shstr + strtab + sym
    off_text, off_shstr = 52, 52 + 4
    off_str, off_sym = off_shstr + len(shstr), off_shstr + len(shstr) + len(strtab)
    shoff = 52 + len(body)
    hdr = b"\x7fELF\x01\x01\x01" + b"\0" * 9 + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x1000, 0,
                                                              shoff, 0, 52, 0, 0, 40, 6, 3)
    sh = [(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
          (1, 1, 6, 0x1000, off_text, 4, 0, 0, 4, 0),
          (7, 8, 3, 0x2000, off_text + 4, 64, 0, 0, 4, 0),
          (12, 3, 0, 0, off_shstr, len(shstr), 0, 0, 1, 0),
          (22, 2, 0, 0, off_sym, len(sym), 5, 1, 4, 16),
          (30, 3, 0, 0, off_str, len(strtab), 0, 0, 1, 0)]
    with open(path, "wb") as f:
        f.write(hdr + body + b"".join(struct.pack("<IIIIIIIIII", *s) for s in sh))


def test_elfinfo(tmp_path):
    p = str(tmp_path / "k.elf")
    tiny_elf(p)
    secs = elfinfo.sections(p)
    assert [(s.name, s.addr, s.size, s.kind) for s in secs] == \
        [(".text", 0x1000, 4, "text"), (".bss", 0x2000, 64, "bss")]
    assert elfinfo.symbols(p) == {"start": 0x1002}
    assert elfinfo.find_bytes(p, b"cd") == 0x1002
    assert elfinfo.find_bytes(p, b"zz") is None
    with open(str(tmp_path / "x"), "wb") as f:
        f.write(b"not an elf" * 10)
    with pytest.raises(ValueError):
        elfinfo.sections(str(tmp_path / "x"))


def test_local_pool_runs_each_job_once_and_stops(monkeypatch):
    seen = []
    monkeypatch.setattr(runner, "run_job", lambda j: {"idx": j["idx"]})
    n = pool.run_local([{"idx": i} for i in range(9)], 3, lambda r: seen.append(r["idx"]))
    assert n == 9 and sorted(seen) == list(range(9))
    seen.clear()
    n = pool.run_local([{"idx": i} for i in range(9)], 2, lambda r: seen.append(r["idx"]),
                       stop_after=4)
    assert n == 4 and len(seen) == 4


def test_qemu_command_escapes_commas():
    cmd = runner.qemu_command({"guest": "g.elf", "monitor": "m.elf", "args": "tests=a,b",
                               "monargs": "mem=16", "root": "/r"}, "/tmp/l")
    assert cmd[cmd.index("-initrd") + 1] == "/r/g.elf tests=a,,b"
    assert cmd[cmd.index("-append") + 1] == "mem=16"
    assert "-icount" in cmd and "shift=0,sleep=off" in cmd


def test_qemu_command_passes_the_monitor_modules():
    cmd = runner.qemu_command({"guest": "build/xv6/kernel", "monitor": "m.elf", "args": "",
                               "modules": ["build/xv6/fs.img", "c,d.cmds"],
                               "monargs": "disk1=mod1 input=mod2", "root": "/r",
                               "qemu_mem": 512}, "/tmp/l")
    assert cmd[cmd.index("-initrd") + 1] == "/r/build/xv6/kernel,/r/build/xv6/fs.img,/r/c,,d.cmds"
    assert cmd[cmd.index("-m") + 1] == "512"


def test_help_documents_every_option(capsys):
    for sub, opts in [("run", ["--runs", "--seed", "--db", "--fresh", "--workers",
                               "--scheduler", "--stop-after", "--no-progress", "--no-report",
                               "--out-dir"]),
                      ("report", ["--out-dir", "--top"]), ("rerun", []), ("show", [])]:
        with pytest.raises(SystemExit):
            cli.main([sub, "--help"])
        out = capsys.readouterr().out
        for o in opts:
            assert o in out


def test_bad_input_is_one_line(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\n')
    assert cli.main(["run", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("campaign: ") and err.count("\n") == 1 and "missing 'workload'" in err
    assert cli.main(["report", str(tmp_path / "none.sqlite")]) == 2
    assert "no such campaign database" in capsys.readouterr().err


def test_exhaustive_class_has_exact_shares():
    """A class whose whole space was run: margin 0 and each share its own
    interval; a sampled one: the Wilson interval around it."""
    lines = report.class_table("shadow", {o: 0 for o in OUTCOMES} | {"benign": 3,
                                                                     "not activated": 1}, 4)
    assert lines[0] == "shadow: 4 runs of 4 faults (margin +-0.0% at 95%; +-1% needs 4 runs)"
    assert "75.00%  [ 75.00%,  75.00%]  of 4: ~3 [3, 3]" in lines[1]
    sampled = report.class_table("shadow", {o: 0 for o in OUTCOMES} | {"benign": 3,
                                                                       "not activated": 1}, 400)
    assert "75.00%  [ 30.06%,  95.44%]" in sampled[1]
