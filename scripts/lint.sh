#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Static checks; any finding fails (make lint, and a stage of make check):
#   - checkpatch.pl --strict --no-tree on every C file and header of ours
#     (module/, include/, kunit/, selftests/, tools/; userspace code is not
#     told to use kernel-only macros and types);
#   - scripts/kernel-doc -none -Wall on the kernel sources (module/,
#     include/, kunit/);
#   - the module built with W=1 and sparse (C=2) against the debug 6.12
#     kernel and against Debian's stock kernel headers (scripts/kbuild.sh:
#     any compiler, sparse or modpost output is a finding).
# The checkers come from the extracted linux-source-6.12 (scripts/kernel.sh
# extracts it).  Findings are printed; the full log is build/log/lint.log.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

lintlog=$LOGDIR/lint.log
: >"$lintlog"
failed=""

finding() {
	failed="$failed $1"
	echo "lint: $1: FAILED" >&2
	sed 's/^/    /' "$2" | head -n 60 >&2
	cat "$2" >>"$lintlog"
}

# The debug kernel build also extracts the source tree the checkers are in.
guest_setup debug >/dev/null || { echo "lint: cannot get the debug kernel" >&2; exit 1; }
kdebug=$KBUILDDIR

# --- checkpatch ---
# Kernel code gets --strict with nothing ignored.  Userspace code (selftests,
# the CLI, the harness) gets --strict too, less the advice to use kernel-only
# facilities that userspace does not have: u64 for uint64_t, BIT(),
# strscpy(), __aligned()/__packed/__always_unused, kstrto*(), fallthrough,
# min()/max().  Not checked: the harness's userspace stand-ins for kernel
# headers (tools/testing/bwtree/include/: READ_ONCE() built on volatile,
# barrier macros, ...), which checkpatch cannot judge, like the kernel's own
# tools/include/.
user_ignore=PREFER_KERNEL_TYPES,BIT_MACRO,STRCPY,STRLCPY,STRNCPY
user_ignore=$user_ignore,PREFER_DEFINED_ATTRIBUTE_MACRO,SSCANF_TO_KSTRTO
user_ignore=$user_ignore,CONSIDER_KSTRTO,PREFER_FALLTHROUGH,MINMAX
tmp=$LOGDIR/lint.tmp
: >"$tmp.all"
checkpatch() {
	files=$1
	shift
	[ -n "$files" ] || return 0
	rc=0
	# shellcheck disable=SC2086
	"$KSRC/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types \
		--no-summary "$@" --file $files >"$tmp" 2>&1 || rc=$?
	[ $rc -eq 0 ] || echo "checkpatch exited with status $rc" >>"$tmp"
	cat "$tmp" >>"$tmp.all"
}
ksrcs=$(find module include kunit -type f -name '*.[ch]' \
	-not -name '*.mod.c' 2>/dev/null | LC_ALL=C sort)
usrcs=$(find selftests tools -type f -name '*.[ch]' -not -name '*.mod.c' \
	-not -path '*/build/*' -not -path 'tools/testing/bwtree/include/*' \
	2>/dev/null | LC_ALL=C sort)
checkpatch "$ksrcs"
checkpatch "$usrcs" --ignore "$user_ignore"
if [ -s "$tmp.all" ]; then finding checkpatch "$tmp.all"; fi
rm -f "$tmp.all"

# --- kernel-doc ---
if [ -n "$ksrcs" ]; then
	rc=0
	# shellcheck disable=SC2086
	"$KSRC/scripts/kernel-doc" -none -Wall $ksrcs >"$tmp" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ -s "$tmp" ]; then finding kernel-doc "$tmp"; fi
fi

# --- W=1 + sparse builds against both kernels ---
if ! "$top/scripts/kbuild.sh" debug "$kdebug" >/dev/null 2>"$tmp"; then
	finding "build-debug-6.12" "$tmp"
fi
if guest_setup stock 2>"$tmp" && "$top/scripts/kbuild.sh" stock "$KBUILDDIR" >/dev/null 2>"$tmp"; then
	:
else
	finding "build-stock" "$tmp"
fi
rm -f "$tmp"

if [ -n "$failed" ]; then
	echo "lint: FAILED:$failed" >&2
	exit 1
fi
echo "lint: clean (checkpatch --strict, kernel-doc -Wall, W=1 + sparse on 6.12 debug and $(stock_version))"
