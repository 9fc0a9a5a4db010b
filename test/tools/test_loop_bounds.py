"""test_loop_bounds.py - every loop in the monitor says its bound
(issue 9, docs/security.md "Bounded loops"), checked by tools/loop_bounds.py;
and the checker itself finds what it must."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import loop_bounds  # noqa: E402


def check(tmp_path, text):
    p = tmp_path / "t.c"
    p.write_text(text)
    missing, found = loop_bounds.check_file(str(p))
    return [l for _, l, _ in missing], [l for _, l, _, _ in found]


def test_every_monitor_loop_states_its_bound():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "loop_bounds.py"),
                        os.path.join(ROOT, "src")], capture_output=True, text=True)
    assert r.returncode == 0, "loops without a bound comment:\n" + r.stdout
    n = int(r.stderr.split()[0])
    assert n > 150, "too few loops found (%d): is the checker blind?" % n


def test_a_loop_without_a_comment_is_found(tmp_path):
    missing, found = check(tmp_path, "void f(int n)\n{\n\tfor (int i = 0; i < n; i++)\n"
                                     "\t\tg(i);\n\twhile (h())\n\t\t;\n}\n")
    assert missing == [3, 5] and found == []


def test_comment_on_the_line_above_or_the_enclosing_loop(tmp_path):
    missing, found = check(tmp_path,
                           "void f(void)\n{\n"
                           "\tfor (int i = 0; i < 4; i++)\t/* bound: 4 x 8 */\n"
                           "\t\tfor (int j = 0; j < 8; j++)\n\t\t\tg(i, j);\n"
                           "\t/* bound: the list's length */\n"
                           "\twhile (p)\n\t\tp = p->next;\n}\n")
    assert missing == [] and found == [3, 4, 7]


def test_words_in_comments_and_strings_and_do_while_0_are_no_loops(tmp_path):
    missing, found = check(tmp_path,
                           "/* for a while we do nothing */\n"
                           "#define M(x) do { g(x); } while (0)\n"
                           "const char *s = \"for (;;) while do\";\n"
                           "void f(void)\n{\n\tdo {\n\t\tg(1);\n\t} while (h());\n}\n")
    assert missing == [6] and found == []


def test_a_do_loop_may_say_its_bound_at_its_while(tmp_path):
    missing, found = check(tmp_path, "void f(void)\n{\n\tdo {\n\t\tg(1);\n"
                                     "\t} while (h());\t/* bound: h() is true 3 times */\n}\n")
    assert missing == [] and found == [3]
