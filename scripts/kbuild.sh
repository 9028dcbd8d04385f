#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build bwtree.ko (and bwtree_kunit.ko when the kernel has KUnit) against one
# kernel, in a private copy of the sources so that builds against different
# kernels do not clobber each other or the work tree:
#
#   scripts/kbuild.sh NAME KDIR      ->  build/kmod-NAME/{bwtree.ko,...}
#
# Every build is a clean one with W=1 and sparse (C=2), run with make -s so
# that a clean build prints nothing: any output at all (a compiler warning,
# a sparse or modpost finding) fails.  The result is kept, keyed by a hash
# of the sources, KDIR and this recipe, so an unchanged tree is not rebuilt.
# The directory is printed on stdout.
set -eu

name=$1
kdir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/kmod-$name

log() { echo "kbuild.sh[$name]: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir"
cd "$top"
ls module/tree/*.c module/device/*.c >/dev/null 2>&1 || die "module/tree/ or module/device/ has no .c sources"

srcs=$(find Kbuild module include kunit -type f \( -name '*.[ch]' -o -name Kbuild \) 2>/dev/null | LC_ALL=C sort)
recipe=1
# shellcheck disable=SC2086
key=$( (echo "recipe $recipe $kdir"
	cat "$kdir/include/config/kernel.release" 2>/dev/null
	sha256sum "$kdir/Module.symvers" 2>/dev/null
	sha256sum $srcs) | sha256sum | cut -c1-16)

if [ "$(cat "$out/.bwtree-key" 2>/dev/null)" = "$key" ] && [ -f "$out/bwtree.ko" ]; then
	echo "$out"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2086
tar cf - $srcs | tar xf - -C "$out"

log "building against $kdir (W=1, C=2)"
rc=0
make -s -C "$kdir" M="$out" W=1 C=2 CONFIG_DEBUG_INFO_BTF_MODULES= \
	modules >"$out/build.log" 2>&1 || rc=$?
# make -s may still say which directories it enters; that is not a finding.
grep -v -E '^make(\[[0-9]+\])?: (Entering|Leaving) directory' \
	"$out/build.log" >"$out/findings.log" || true
if [ $rc -ne 0 ] || [ -s "$out/findings.log" ]; then
	sed "s|$out/||g" "$out/findings.log" >&2
	die "build against $kdir failed or was not silent (rc=$rc, log $out/build.log)"
fi
[ -f "$out/bwtree.ko" ] || die "no bwtree.ko after the build"
# Kbuild builds bwtree_kunit.ko where the kernel has KUnit: there it must be.
if grep -q '^CONFIG_KUNIT=[ym]' "$kdir/include/config/auto.conf" 2>/dev/null &&
	[ ! -f "$out/bwtree_kunit.ko" ]; then
	die "$kdir has CONFIG_KUNIT but no bwtree_kunit.ko was built"
fi
echo "$key" >"$out/.bwtree-key"
echo "$out"
