"""report.py - what a campaign found: outcome shares with 95% intervals
per target class, extrapolated to the whole fault space, the slowest and
strangest runs, a plot (PNG) and a Markdown page with both.

Reading it (docs/fault-injection.md): each row is a target class; a share
is the fraction of its runs with that outcome, [lo, hi] its 95% Wilson
interval, and "of N" the estimated count in the class's whole fault space
(share x N, with the interval x N).  The margin line says how far any
share may be off at 95% (Leveugle et al.) and how many runs a 1% margin
would take.
"""
import json
import os

from campaign import stats
from campaign.classify import OUTCOMES

STRANGE = ("monitor failure", "hang", "SDC")


def tally(rows):
    """{class: {outcome: count}} and the totals per class."""
    t = {}
    for r in rows:
        t.setdefault(r["cls"], {o: 0 for o in OUTCOMES})[r["outcome"]] += 1
    return t


def _fmt_big(x):
    return "%.3g" % x if x >= 1e6 else "%d" % round(x)


def class_table(cls, counts, N):
    n = sum(counts.values())
    lines = ["%s: %d runs of %s faults (margin +-%.1f%% at 95%%; +-1%% needs %d runs)"
             % (cls, n, _fmt_big(N), 100 * stats.margin(n, N), stats.sample_size(N))]
    for o in OUTCOMES:
        k = counts[o]
        # every fault of the space was run (exhaustive): the share is exact
        lo, hi = (k / n, k / n) if n and n >= N else stats.wilson(k, n)
        lines.append("  %-16s %5d  %6.2f%%  [%6.2f%%, %6.2f%%]  of %s: ~%s [%s, %s]"
                     % (o, k, 100 * k / n if n else 0, 100 * lo, 100 * hi, _fmt_big(N),
                        _fmt_big(N * k / n if n else 0), _fmt_big(N * lo), _fmt_big(N * hi)))
    return lines


def text(campaign_row, rows, top=5):
    """The report as lines of text."""
    sizes = json.loads(campaign_row["class_sizes"])
    t = tally(rows)
    all_counts = {o: sum(c[o] for c in t.values()) for o in OUTCOMES}
    N_all = sum(sizes.values())
    wall = sum(r["wall"] for r in rows)
    cpu = sum(r["cpu"] for r in rows)
    out = ["campaign %s: %d runs; golden run: exit %d, %d us of virtual time, %.2f s"
           % (campaign_row["name"], len(rows), campaign_row["golden_code"],
              campaign_row["golden_end_us"], campaign_row["golden_wall"]),
           "watchdog %d ms of virtual time; per run on average %.2f s of wall time, %.2f s "
           "of QEMU CPU time" % (campaign_row["watchdog_ms"], wall / max(1, len(rows)),
                                 cpu / max(1, len(rows))), ""]
    out += class_table("all classes", all_counts, N_all) + [""]
    for cls in sorted(t):
        out += class_table(cls, t[cls], sizes.get(cls, 0)) + [""]
    out.append("slowest runs:")
    for r in sorted(rows, key=lambda r: -r["wall"])[:top]:
        out.append("  job %d: %.2f s, %s (%s %s %s)" % (r["idx"], r["wall"], r["outcome"],
                                                        r["fault"], r["trigger"], r["persist"]))
    out.append("strangest runs (rarest outcomes first):")
    for r in strangest(rows, all_counts)[:top]:
        out.append("  job %d: %s%s (%s %s %s)" % (r["idx"], r["outcome"],
                                                  ": " + r["detail"] if r["detail"] else "",
                                                  r["fault"], r["trigger"], r["persist"]))
    out.append("monitor failures: %d" % all_counts["monitor failure"])
    return out


def strangest(rows, counts):
    """Runs of the rarest outcomes (a monitor failure before all), then the
    longest in virtual time."""
    present = [o for o in OUTCOMES if counts[o]]
    rank = {o: (0 if o == "monitor failure" else 1, counts[o]) for o in present}
    return sorted(rows, key=lambda r: (rank[r["outcome"]], -(r["end_us"] or 0)))


COLOURS = {"benign": "#8fbf7f", "not activated": "#c8c8c8", "SDC": "#e07b39",
           "detected": "#4f81bd", "guest crash": "#8064a2", "hang": "#c0504d",
           "monitor failure": "#000000"}


def plot(rows, path, title):
    """Two panels: outcome share per target class; outcome by the virtual
    time of the injection."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = tally(rows)
    classes = sorted(t)
    fig, (a, b) = plt.subplots(2, 1, figsize=(9, 8))
    left = [0.0] * len(classes)
    labels = ["%s (%d)" % (c, sum(t[c].values())) for c in classes]
    for o in OUTCOMES:
        shares = [t[c][o] / max(1, sum(t[c].values())) for c in classes]
        a.barh(labels, shares, left=left, color=COLOURS[o], label=o)
        left = [x + y for x, y in zip(left, shares)]
    a.set_xlim(0, 1)
    a.set_xlabel("share of runs (runs per class in brackets)")
    a.set_title("%s: outcome per target class (%d runs)" % (title, len(rows)))
    a.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4, fontsize="small")
    injected = [r for r in rows if r["injected"]]
    data = [[r["inject_us"] / 1000.0 for r in injected if r["outcome"] == o] for o in OUTCOMES]
    if injected:
        b.hist(data, bins=30, stacked=True, color=[COLOURS[o] for o in OUTCOMES], label=OUTCOMES)
    b.set_xlabel("virtual time of the injection (ms)")
    b.set_ylabel("runs")
    b.set_title("outcome by trigger time (injected faults)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(campaign_row, rows, png_name):
    lines = text(campaign_row, rows)
    return "\n".join(["# Fault-injection campaign `%s`" % campaign_row["name"], "",
                      "![outcomes](%s)" % png_name, "", "```"] + lines + ["```", ""])


def write(campaign_row, rows, out_dir):
    """Writes <name>.png and <name>.md into out_dir; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    name = campaign_row["name"]
    png = os.path.join(out_dir, name + ".png")
    md = os.path.join(out_dir, name + ".md")
    plot(rows, png, name)
    with open(md, "w") as f:
        f.write(markdown(campaign_row, rows, os.path.basename(png)))
    return png, md
