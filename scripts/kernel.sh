#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) a test kernel from Debian's linux-source-6.12.
#
#   scripts/kernel.sh [FLAVOUR]          FLAVOUR defaults to "debug"
#   scripts/kernel.sh --source           only extract the source tree (for
#                                        the checkers and the kselftest
#                                        headers) and print its directory
#
# The kernel is tinyconfig plus config/FLAVOUR.config.  A fragment whose text
# holds a line "# base: NAME" is merged after config/NAME.config (recursively),
# so a flavour can reuse another and override some of its lines: that is how
# a KCSAN flavour (config/kcsan.config, "# base: debug") is meant to be added.
#
# The build directory lives outside the work tree, keyed by the source
# package version and a hash of the fragments and the compiler:
#   $BWTREE_CACHE/kbuild-FLAVOUR-VERSION-HASH     (BWTREE_CACHE=~/.cache/bwtree)
# and is printed on stdout as the last line.  A warm cache is a no-op.
# After olddefconfig every line of the merged fragments is checked against the
# final .config: an option that a dependency dropped fails the build loudly.
set -eu

flavour=${1:-debug}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BWTREE_CACHE:-$HOME/.cache/bwtree}
tarball=/usr/src/linux-source-6.12.tar.xz
src=$cache/linux-source-6.12
jobs=${BWTREE_JOBS:-2}

log() { echo "kernel.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$cache"

# --- the source tree, re-extracted when the Debian package changes ---
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	die "linux-source-6.12 is not installed (run scripts/deps.sh)"
[ -f "$tarball" ] || die "$tarball is missing"
(
	flock 9
	if [ "$(cat "$src/.bwtree-stamp" 2>/dev/null)" != "$pkgver" ]; then
		log "extracting $tarball ($pkgver) into $src"
		tmp=$cache/.extract.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		tar -C "$tmp" -xf "$tarball"
		rm -rf "$src"
		mv "$tmp/linux-source-6.12" "$src"
		rmdir "$tmp"
		echo "$pkgver" >"$src/.bwtree-stamp"
	fi
) 9>"$cache/.source.lock"
if [ "$flavour" = --source ]; then
	echo "$src"
	exit 0
fi

# --- fragments of this flavour, base first ---
frags=""
# (Recursive: only $1 is safe across the nested call, so no other variable
# is used after it.)
add_frag() {
	[ -f "$top/config/$1.config" ] || die "no fragment $top/config/$1.config"
	case " $frags " in *" $top/config/$1.config "*)
		die "fragment $1.config included twice" ;;
	esac
	b=$(sed -n 's/^# base: *\([A-Za-z0-9_-]*\).*/\1/p' "$top/config/$1.config" | head -n 1)
	if [ -n "$b" ]; then
		add_frag "$b"
	fi
	frags="$frags $top/config/$1.config"
}
add_frag "$flavour"

# The key: fragment texts, the compiler, and the build recipe version below.
recipe=1
hash=$( (echo "recipe $recipe"; gcc --version | head -n 1
	# shellcheck disable=SC2086
	cat $frags) | sha256sum | cut -c1-12)
safever=$(echo "$pkgver" | tr -c 'A-Za-z0-9.+_\n-' '_')
out=$cache/kbuild-$flavour-$safever-$hash

if [ -f "$out/.bwtree-done" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	touch "$out/.bwtree-used"
	echo "$out"
	exit 0
fi

# --- one kernel build at a time on this machine ---
exec 8>"$cache/.kbuild.lock"
if ! flock -n 8; then
	log "another kernel build is running; waiting for it"
	flock 8
fi
if [ -f "$out/.bwtree-done" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$out"
blog=$out/build.log
log "building the $flavour kernel in $out (cold: 4-18 min at -j$jobs, depending on load), log $blog"
start=$(date +%s)
kmake() { make -C "$src" O="$out" ARCH=x86_64 "$@"; }
{
	kmake tinyconfig
	# shellcheck disable=SC2086
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" $frags
	kmake olddefconfig
} >"$blog" 2>&1 || { tail -n 40 "$blog" >&2; die "configuring failed"; }

# --- every requested line must hold in the final .config ---
# shellcheck disable=SC2086
want=$(cat $frags | sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
	-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 n/p' |
	awk '{ v[$1] = $2; if (!($1 in o)) { o[$1] = n++ } }
	     END { for (k in o) print o[k], k, v[k] }' | sort -n | cut -d' ' -f2-)
echo "$want" | while read -r opt val; do
	got=$(sed -n "s/^$opt=\\(.*\\)\$/\\1/p" "$out/.config")
	if [ "$val" = n ]; then
		[ -z "$got" ] || [ "$got" = n ] && continue
	else
		[ "$got" = "$val" ] && continue
	fi
	echo "$opt: asked for ${val}, .config has ${got:-not set}"
done >"$out/config-mismatch.txt"
if [ -s "$out/config-mismatch.txt" ]; then
	cat "$out/config-mismatch.txt" >&2
	die "the $flavour kernel config does not hold what config/ asks for"
fi
rm -f "$out/config-mismatch.txt"

kmake -j"$jobs" bzImage modules >>"$blog" 2>&1 ||
	{ tail -n 40 "$blog" >&2; die "kernel build failed"; }
[ -f "$out/arch/x86/boot/bzImage" ] || die "no bzImage after the build"
[ -f "$out/Module.symvers" ] || die "no Module.symvers after the build"
touch "$out/.bwtree-done" "$out/.bwtree-used"
# Builds of this flavour for another fragment or source version are a few
# hundred MB each: drop those nobody asked for in 3 days (a build still in
# use by another work tree is kept: its .bwtree-used is fresh).
for old in "$cache/kbuild-$flavour-"*; do
	[ "$old" != "$out" ] && [ -d "$old" ] || continue
	[ -n "$(find "$old/.bwtree-used" -mtime -3 2>/dev/null)" ] && continue
	rm -rf "$old"
done
log "built in $(($(date +%s) - start)) s"
echo "$out"
