#!/usr/bin/python3
"""loop_bounds.py - every loop in the monitor states its bound in a comment.

Issue 9 (docs/security.md, "Bounded loops"): no loop the monitor runs may
run unbounded, and each says its bound where it is written, so that a
reader (and a reviewer of a new loop) sees why it ends.  This tool finds
every for, while and do loop in the C sources under src/ and checks that
the word "bound" (bound, bounded, bounds) appears in a comment

  - on the loop's own line (or on the line of a do loop's closing while),
  - in the comment block directly above it, or
  - on the loop directly enclosing it, when that loop's body is only this
    loop (a nested "for ... for ..."), whose comment names both bounds.

A do { ... } while (0) is a statement wrapper, not a loop.  Assembly
(src/**/*.asm) has no loop keyword; its loops are listed in
docs/security.md, "Bounded loops", by hand.

Usage: loop_bounds.py [--list] [DIR...]  (default: src).  Prints each
loop without a bound comment as FILE:LINE: text, and exits 1 if any;
--list prints every loop with the comment that bounds it.
"""
import argparse
import glob
import os
import re
import sys

LOOP_WORD = re.compile(r"\b(for|while|do)\b")
BOUND = re.compile(r"\bbound", re.I)


def split_code_comments(text):
    """(code, comments): two lists of lines, the code with comments and
    string/char literals blanked, the comments' text per line."""
    code, comm = [], []
    cur_code, cur_comm = [], []
    i, n = 0, len(text)
    state = None            # None, "block", "line", '"', "'"
    while i < n:
        c = text[i]
        if c == "\n":
            code.append("".join(cur_code))
            comm.append("".join(cur_comm))
            cur_code, cur_comm = [], []
            if state == "line":
                state = None
            i += 1
            continue
        if state is None:
            if text.startswith("/*", i):
                state, i = "block", i + 2
                continue
            if text.startswith("//", i):
                state, i = "line", i + 2
                continue
            if c in "\"'":
                state = c
                cur_code.append(" ")
                i += 1
                continue
            cur_code.append(c)
        elif state == "block":
            if text.startswith("*/", i):
                state, i = None, i + 2
                continue
            cur_comm.append(c)
        elif state == "line":
            cur_comm.append(c)
        else:                   # inside a literal
            if c == "\\":
                cur_code.append("  ")
                i += 2
                continue
            if c == state:
                state = None
            cur_code.append(" ")
        i += 1
    code.append("".join(cur_code))
    comm.append("".join(cur_comm))
    return code, comm


def match_paren(flat, i, open_c, close_c):
    """Index just past the bracket that closes the one at flat[i]."""
    depth = 0
    for j in range(i, len(flat)):
        if flat[j] == open_c:
            depth += 1
        elif flat[j] == close_c:
            depth -= 1
            if depth == 0:
                return j + 1
    return len(flat)


def loops(code):
    """(line, kind, tail_line) for each loop in the blanked code lines;
    tail_line is the line of a do loop's while (else None)."""
    flat = "\n".join(code)
    starts = [0]
    for l in code:
        starts.append(starts[-1] + len(l) + 1)

    def line_of(pos):
        lo, hi = 0, len(starts) - 1
        while lo < hi - 1:                      # bound: log2(lines) halvings
            mid = (lo + hi) // 2
            if starts[mid] <= pos:
                lo = mid
            else:
                hi = mid
        return lo

    out, tails = [], set()
    for m in LOOP_WORD.finditer(flat):
        kind, pos = m.group(1), m.start()
        if kind == "do":
            k = m.end()
            while k < len(flat) and flat[k].isspace():      # bound: the text
                k += 1
            end = match_paren(flat, k, "{", "}") if k < len(flat) and flat[k] == "{" else k
            t = re.compile(r"\s*while\s*\(").match(flat, end)
            if not t:
                continue
            cond_end = match_paren(flat, t.end() - 1, "(", ")")
            tails.add(t.end() - 1)
            if re.fullmatch(r"\(\s*0\s*\)", flat[t.end() - 1:cond_end]):
                continue                        # do { } while (0): a wrapper
            out.append((line_of(pos), kind, line_of(t.end() - 1)))
        elif kind == "while" and any(flat.find("(", pos) == t for t in tails):
            continue                            # a do loop's closing while
        else:
            out.append((line_of(pos), kind, None))
    return out


def comment_above(code, comm, line):
    """The comment lines directly above `line` (no code between)."""
    text = []
    j = line - 1
    while j >= 0 and not code[j].strip() and comm[j].strip():  # bound: line
        text.append(comm[j])
        j -= 1
    return " ".join(text)


def bound_comment(code, comm, line, tail, covered):
    if BOUND.search(comm[line]) or (tail is not None and BOUND.search(comm[tail])):
        return comm[line] if BOUND.search(comm[line]) else comm[tail]
    above = comment_above(code, comm, line)
    if BOUND.search(above):
        return above
    j = line - 1
    while j >= 0 and not code[j].strip():       # bound: line
        j -= 1
    if j in covered and LOOP_WORD.match(code[j].strip()) and \
            not code[j].rstrip().endswith(";"):
        return "(the enclosing loop's: %s)" % covered[j].strip()
    return None


def check_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    code, comm = split_code_comments(text)
    lines = text.split("\n")
    covered, missing, found = {}, [], []
    for line, kind, tail in loops(code):        # bound: the file's loops
        why = bound_comment(code, comm, line, tail, covered)
        if why is None:
            missing.append((path, line + 1, lines[line].strip()))
        else:
            covered[line] = why
            found.append((path, line + 1, lines[line].strip(), why.strip()))
    return missing, found


def sources(dirs):
    out = []
    for d in dirs:                              # bound: the arguments
        out += glob.glob(os.path.join(d, "**", "*.[ch]"), recursive=True)
    return sorted(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", default=["src"], help="source trees (default: src)")
    ap.add_argument("--list", action="store_true", help="print every loop and its bound")
    args = ap.parse_args()
    missing_all, n = [], 0
    for path in sources(args.dirs):             # bound: the files
        missing, found = check_file(path)
        n += len(missing) + len(found)
        missing_all += missing
        if args.list:
            for p, l, t, why in found:          # bound: the file's loops
                print("%s:%d: %s    -- %s" % (p, l, t, why))
    for p, l, t in missing_all:                 # bound: the loops found
        print("%s:%d: no bound comment: %s" % (p, l, t))
    print("%d loops, %d without a bound comment" % (n, len(missing_all)), file=sys.stderr)
    return 1 if missing_all else 0


if __name__ == "__main__":
    sys.exit(main())
