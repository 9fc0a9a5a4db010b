#!/usr/bin/env bash
# mkiso.sh [--kernel ELF] [--monitor MONITOR_OPTIONS] [--module FILE]... OUT.iso [CMDLINE] -
# build a GRUB (i386-pc, BIOS) rescue ISO that boots at once (timeout 0, no
# menu)
#   multiboot /boot/minios.elf CMDLINE                 (native)
# or, with --monitor, minios deprivileged under the monitor:
#   multiboot /boot/monitor.elf MONITOR_OPTIONS
#   module /boot/minios.elf CMDLINE
# --kernel boots another multiboot guest (e.g. build/conform.elf) in
# minios's place, under its own file name.  Each --module FILE (repeatable,
# in order) adds "module /boot/NAME /boot/NAME" after the guest: the guest's
# own modules natively, and under the monitor the modules after the guest,
# which the monitor passes on to it (e.g. the differential tester's batch).
# for Bochs (test/integration/bochs.py) or a real PC.  The ISO tree is put
# together in a temporary directory, removed afterwards.  Quiet on success;
# on failure one "mkiso: ..." line, after grub-mkrescue's own output if that
# is what failed.  Needs grub-pc-bin, grub-common, xorriso and mtools.
set -u
die() { echo "mkiso: $*" >&2; exit 1; }

monitor=no; monopts=""; elf=""; modules=()
usage="usage: mkiso.sh [--kernel ELF] [--monitor MONITOR_OPTIONS] [--module FILE]... OUT.iso [CMDLINE]"
while [ $# -ge 2 ]; do
  case "$1" in
    --kernel) elf="$2" ;;
    --monitor) monitor=yes; monopts="$2" ;;
    --module) modules+=("$2") ;;
    --*) die "unknown option '$1'; $usage" ;;
    *) break ;;
  esac
  shift 2
done
out="${1:-}"; cmdline="${2:-}"
[ -n "$out" ] || die "$usage"
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -n "$elf" ] || elf="$root/build/minios.elf"
name="$(basename "$elf")"
mon="$root/build/monitor.elf"
[ -f "$elf" ] || die "$elf not found (run 'make' first)"
[ "$monitor" = no ] || [ -f "$mon" ] || die "$mon not found (run 'make' first)"
for m in "${modules[@]}"; do
  [ -f "$m" ] || die "module $m not found"
  [[ "$(basename "$m")" =~ ^[A-Za-z0-9_.,+-]+$ ]] || die "unsupported character in module name '$m'"
  [ "$(basename "$m")" != "$name" ] || die "module $m has the guest's file name"
done
# Command lines go into grub.cfg unquoted: allow no GRUB script syntax.
for c in "$cmdline" "$monopts"; do
  [[ "$c" =~ ^[A-Za-z0-9_=,.:/+\ -]*$ ]] || die "unsupported character in command line '$c'"
done
for t in grub-mkrescue xorriso mformat; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install grub-common grub-pc-bin xorriso mtools)"
done
grubdir=/usr/lib/grub/i386-pc
[ -f "$grubdir/multiboot.mod" ] || die "$grubdir not found (apt-get install grub-pc-bin)"

work="$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")" || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
tree="$work/iso"              # the ISO's contents; $work/tmp for grub-mkrescue
{ mkdir -p "$tree/boot/grub" "$work/tmp" && cp "$elf" "$tree/boot/$name"; } ||
  die "cannot fill $tree"
if [ "$monitor" = yes ]; then
  cp "$mon" "$tree/boot/monitor.elf" || die "cannot fill $tree"
  boot="  multiboot /boot/monitor.elf $monopts
  module /boot/$name /boot/$name $cmdline"
else
  boot="  multiboot /boot/$name $cmdline"
fi
for m in "${modules[@]}"; do
  cp "$m" "$tree/boot/$(basename "$m")" || die "cannot fill $tree"
  boot="$boot
  module /boot/$(basename "$m") /boot/$(basename "$m")"
done
cat > "$tree/boot/grub/grub.cfg" <<CFG
set timeout=0
set timeout_style=hidden
menuentry "minios" {
$boot
  boot
}
CFG

mkdir -p "$(dirname "$out")" 2>/dev/null || die "cannot create the directory of $out"
if ! log="$(TMPDIR="$work/tmp" grub-mkrescue -d "$grubdir" -o "$out" "$tree" 2>&1)"; then
  printf '%s\n' "$log" >&2
  rm -f "$out"
  die "grub-mkrescue failed to write $out"
fi
