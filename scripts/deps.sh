#!/bin/sh
# Install from Debian's packages whatever bwtree's build and tests need and
# this machine lacks.  Idempotent: a warm machine installs nothing.
#   qemu-system-x86 busybox-static cpio    the test guests
#   linux-source-6.12 bc flex bison libelf-dev libssl-dev   the debug kernel
#   linux-image-amd64 linux-headers-amd64  the stock-kernel guest and `make`
#   sparse (+ perl, python3 for checkpatch, kernel-doc, report.py)  lint
#   liburcu-dev clang libclang-rt-14-dev valgrind gnuplot-nox  the harness
set -eu

PKGS="qemu-system-x86 busybox-static cpio kmod linux-source-6.12 \
linux-image-amd64 linux-headers-amd64 bc flex bison libelf-dev libssl-dev \
sparse python3 gcc make perl xz-utils liburcu-dev clang libclang-rt-14-dev \
valgrind gnuplot-nox dwarves libc6-dev binutils gzip"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
