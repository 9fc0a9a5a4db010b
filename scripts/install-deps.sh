#!/usr/bin/env bash
# Installs the Debian packages the build, the emulators and the tests need.
# Runs apt-get only when something is missing, so `make` stays fast once set up.
# Uses sudo when not root.  Called by the Makefile (stamp: build/.deps) and .ci/run.
set -euo pipefail

PKGS="gcc-multilib nasm make qemu-system-x86 grub-pc-bin grub-common xorriso mtools
      bochs bochsbios vgabios bochs-term libcmocka-dev clang libclang-rt-14-dev python3 python3-pytest python3-pytest-xdist python3-pytest-timeout python3-pexpect
      python3-dask python3-distributed python3-matplotlib python3-tqdm sqlite3 binutils gdb coreutils"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
