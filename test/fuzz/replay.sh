#!/usr/bin/env bash
# replay.sh - reruns one fuzzer input and shows what happened.
#
# The job: a crash-* file from `make fuzz` (or any corpus or regression
# input) is rerun by the harness it belongs to, with FUZZ_VERBOSE=1 so
# fuzz_trap prints every trap, where the guest resumes and how its run
# ended; the invariant that broke, or a sanitizer report, follows.
#
#   test/fuzz/replay.sh [emul|trap] FILE...
#
# Without a harness name, one is taken from the file's directory
# (corpus/trap/..., regressions/emul/...), else fuzz_trap.
set -euo pipefail
cd "$(dirname "$0")/../.."
harness=""
case "${1:-}" in emul|trap) harness=$1; shift ;; esac
[ $# -ge 1 ] || { echo "usage: test/fuzz/replay.sh [emul|trap] FILE..." >&2; exit 2; }
if [ -z "$harness" ]; then
  case "$1" in */emul/*) harness=emul ;; *) harness=trap ;; esac
fi
make -s fuzz-build
FUZZ_VERBOSE=1 exec "build/fuzz/fuzz_$harness" "$@"
