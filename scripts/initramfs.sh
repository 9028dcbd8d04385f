#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test guest's initramfs:
#
#   scripts/initramfs.sh KMODDIR OUT.cpio.gz
#
# KMODDIR is a directory made by scripts/kbuild.sh (bwtree.ko, and
# bwtree_kunit.ko if that kernel has KUnit: kbuild.sh makes sure).  The
# archive holds a static busybox, /init (scripts/guest-init), the stage
# table (scripts/stages), the modules, every selftest of
# `make -s -C selftests print-progs` (built beforehand by build_userspace of
# scripts/lib.sh) and tools/bwtreectl.  Every binary must be static: the
# guest has no libc.  OUT.cpio.gz.list names the selftests packed.
set -eu

kmod=$1
outfile=$2
top=$(cd "$(dirname "$0")/.." && pwd)
busybox=${BUSYBOX:-/bin/busybox}

log() { echo "initramfs.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_static() {
	[ -x "$1" ] || return 1
	! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}

stage=$outfile.d
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib/bwtree/selftests" "$stage/lib/bwtree/extra" \
	"$stage/usr/bin"

is_static "$busybox" || die "$busybox is not a static binary (install busybox-static)"
cp "$busybox" "$stage/bin/busybox"
cp "$top/scripts/guest-init" "$stage/init"
cp "$top/scripts/stages" "$stage/lib/bwtree/stages"
cp "$top/scripts/guest-demo.sh" "$stage/lib/bwtree/demo.sh"
cp "$top/scripts/guest-unload.sh" "$stage/lib/bwtree/unload.sh"
chmod 755 "$stage/init" "$stage/lib/bwtree/demo.sh" "$stage/lib/bwtree/unload.sh"

[ -f "$kmod/bwtree.ko" ] || die "no $kmod/bwtree.ko"
cp "$kmod/bwtree.ko" "$stage/lib/bwtree/"
[ -f "$kmod/bwtree_kunit.ko" ] && cp "$kmod/bwtree_kunit.ko" "$stage/lib/bwtree/"

: >"$stage/lib/bwtree/selftests.list"
progs=$(make -s -C "$top/selftests" print-progs) || die "make -C selftests print-progs failed"
[ -n "$progs" ] || die "make -C selftests print-progs names no selftest"
for p in $progs; do
	b=$top/selftests/$p
	is_static "$b" || die "selftest $b is missing or not static"
	cp "$b" "$stage/lib/bwtree/selftests/"
	echo "$p" >>"$stage/lib/bwtree/selftests.list"
done
# Programs of the other stages (fault, stress): not in selftests.list.
extra=$(make -s -C "$top/selftests" print-extra) || die "make -C selftests print-extra failed"
for p in $extra; do
	b=$top/selftests/$p
	is_static "$b" || die "program $b is missing or not static"
	cp "$b" "$stage/lib/bwtree/extra/"
done
is_static "$top/tools/bwtreectl" || die "tools/bwtreectl is missing or not static"
cp "$top/tools/bwtreectl" "$stage/usr/bin/"

(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -1 >"$outfile.tmp"
mv "$outfile.tmp" "$outfile"
cp "$stage/lib/bwtree/selftests.list" "$outfile.list"
rm -rf "$stage"
echo "$outfile"
