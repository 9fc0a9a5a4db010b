#!/usr/bin/env bash
# mkiso.sh OUT.iso [CMDLINE] - build a GRUB (i386-pc) rescue ISO that boots
# build/minios.elf at once (no menu) with the given minios command line, for
# Bochs or a real BIOS.  Quiet on success; one error line (plus the tools'
# output, if they failed) on failure.
set -u
out="${1:?usage: mkiso.sh OUT.iso [CMDLINE]}"
cmdline="${2:-}"
elf="build/minios.elf"

die() { echo "mkiso: $*" >&2; exit 1; }
[ -f "$elf" ] || die "$elf not found (run 'make' first)"
for t in grub-mkrescue xorriso mformat; do
  command -v "$t" >/dev/null || die "$t not found (install grub-common, grub-pc-bin, xorriso, mtools)"
done
[ -d /usr/lib/grub/i386-pc ] || die "/usr/lib/grub/i386-pc missing (install grub-pc-bin)"

tree="$(mktemp -d)" || die "mktemp failed"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/boot/grub"
cp "$elf" "$tree/boot/minios.elf" || die "cannot copy $elf"
cat > "$tree/boot/grub/grub.cfg" <<CFG
set timeout=0
set timeout_style=hidden
menuentry "minios" {
  multiboot /boot/minios.elf $cmdline
  boot
}
CFG

mkdir -p "$(dirname "$out")"
if ! log="$(grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$tree" 2>&1)"; then
  printf '%s\n' "$log" >&2
  rm -f "$out"
  die "grub-mkrescue failed for $out"
fi
