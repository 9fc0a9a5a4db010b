#!/usr/bin/env bash
# mkiso.sh OUT.iso [CMDLINE] - build a GRUB (i386-pc, BIOS) rescue ISO that
# boots build/minios.elf at once (timeout 0, no menu) as
#   multiboot /boot/minios.elf CMDLINE
# for Bochs (test/integration/bochs.py) or a real PC.  The ISO tree is put
# together in a temporary directory, removed afterwards.  Quiet on success;
# on failure one "mkiso: ..." line, after grub-mkrescue's own output if that
# is what failed.  Needs grub-pc-bin, grub-common, xorriso and mtools.
set -u
die() { echo "mkiso: $*" >&2; exit 1; }

out="${1:-}"; cmdline="${2:-}"
[ -n "$out" ] || die "usage: mkiso.sh OUT.iso [CMDLINE]"
root="$(cd "$(dirname "$0")/.." && pwd)"
elf="$root/build/minios.elf"
[ -f "$elf" ] || die "$elf not found (run 'make' first)"
# The command line goes into grub.cfg unquoted: allow no GRUB script syntax.
[[ "$cmdline" =~ ^[A-Za-z0-9_=,.:/+\ -]*$ ]] || die "unsupported character in command line '$cmdline'"
for t in grub-mkrescue xorriso mformat; do
  command -v "$t" >/dev/null || die "$t not found (apt-get install grub-common grub-pc-bin xorriso mtools)"
done
grubdir=/usr/lib/grub/i386-pc
[ -f "$grubdir/multiboot.mod" ] || die "$grubdir not found (apt-get install grub-pc-bin)"

work="$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")" || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
tree="$work/iso"              # the ISO's contents; $work/tmp for grub-mkrescue
{ mkdir -p "$tree/boot/grub" "$work/tmp" && cp "$elf" "$tree/boot/minios.elf"; } ||
  die "cannot fill $tree"
cat > "$tree/boot/grub/grub.cfg" <<CFG
set timeout=0
set timeout_style=hidden
menuentry "minios" {
  multiboot /boot/minios.elf $cmdline
  boot
}
CFG

mkdir -p "$(dirname "$out")" 2>/dev/null || die "cannot create the directory of $out"
if ! log="$(TMPDIR="$work/tmp" grub-mkrescue -d "$grubdir" -o "$out" "$tree" 2>&1)"; then
  printf '%s\n' "$log" >&2
  rm -f "$out"
  die "grub-mkrescue failed to write $out"
fi
