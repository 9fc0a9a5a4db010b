#!/usr/bin/env bash
# qemu-run.sh TIMEOUT QEMU-ARGS... - run QEMU under a timeout and turn the
# isa-debug-exit status back into the guest's own exit code:
# the guest writes c to port 0xF4, QEMU exits with 2c+1.
timeout="$1"; shift
timeout --foreground "$timeout" "$@"
st=$?
if [ "$st" -eq 124 ]; then
  echo "qemu-run: no exit after ${timeout}s; stopped (the guest hung or never wrote port 0xF4)" >&2
  exit 124
fi
if [ $((st & 1)) -eq 1 ]; then
  code=$((st >> 1))
  [ "$code" -ne 0 ] && echo "qemu-run: guest exited with code $code" >&2
  exit "$code"
fi
echo "qemu-run: QEMU ended with status $st without the guest's exit code (reset or crash)" >&2
exit 125
