#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything CI runs, on a fresh Debian 12 machine or a warm one.
#
#   1. scripts/deps.sh       install missing Debian packages
#   2. scripts/lint.sh       checkpatch, kernel-doc, W=1 + sparse on both
#                            kernels (builds the debug kernel, cached)
#   3. userspace harness     make -C tools/testing/bwtree check (TAP)
#   4. selftests + CLI       static binaries, packed with the modules
#   5. debug guest           6.12 debug kernel: KUnit, selftests, kmemleak,
#                            splats, taint, lockdep
#   6. stock guest           Debian's 6.1 kernel: selftests, splats, taint
#   7. the last line         "N passed, N failed, N skipped" over KUnit cases,
#                            selftests and harness tests (a failed check that
#                            is not a test adds one to "failed")
# Logs: build/log/ (console-*.log is each guest's serial console).
# Environment: BWTREE_GUEST_TIMEOUT (s, per guest; default 1800),
# BWTREE_CPUS (guest CPUs, default 2), BWTREE_GUESTS (default "debug stock").
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

t0=$(now)
timings=""
counts=""
stage_failed=""
gtimeout=${BWTREE_GUEST_TIMEOUT:-1800}
gcpus=${BWTREE_CPUS:-2}
# Guests to run: "stock" is Debian's 6.1 kernel, any other name a flavour of
# scripts/kernel.sh (config/NAME.config), e.g. "debug kcsan stock".
guests=${BWTREE_GUESTS:-debug stock}

say() { echo "check: $*"; }
timed() {
	timings="$timings
  $(printf '%-22s %5d s' "$1" "$2")"
}
stage_fail() {
	stage_failed="$stage_failed $1"
	f=$LOGDIR/counts-$1
	echo "0 1 0" >"$f"
	counts="$counts $f"
}
finish() {
	say "wall time per stage:$timings"
	say "total $(($(now) - t0)) s; logs in build/log/"
	[ -z "$stage_failed" ] || say "FAILED stages:$stage_failed"
	# shellcheck disable=SC2086
	python3 "$top/scripts/report.py" sum $counts
}

rm -f "$LOGDIR"/counts-*

# 1. dependencies
s=$(now)
"$top/scripts/deps.sh"
timed deps $(($(now) - s))

# 2. lint (also builds the debug kernel and both module builds)
s=$(now)
say "lint (checkpatch, kernel-doc, W=1 + sparse against 6.12 debug and stock)"
if ! "$top/scripts/lint.sh"; then
	stage_fail lint
	# Without clean module builds there is nothing to boot.
	if [ ! -f "$BUILD/kmod-debug/.bwtree-key" ] || [ ! -f "$BUILD/kmod-stock/.bwtree-key" ]; then
		timed lint $(($(now) - s))
		finish || exit 1
		exit 1
	fi
fi
timed lint+kernel+modules $(($(now) - s))

# 3. userspace harness
if [ -f tools/testing/bwtree/Makefile ]; then
	s=$(now)
	say "userspace harness (make -C tools/testing/bwtree check)"
	rc=0
	nice make -C tools/testing/bwtree check >"$LOGDIR/harness.log" 2>&1 || rc=$?
	f=$LOGDIR/counts-harness
	python3 "$top/scripts/report.py" tap --name harness --counts "$f" \
		"$LOGDIR/harness.log" || true
	if [ $rc -ne 0 ] && [ "$(cut -d' ' -f2 "$f")" = 0 ]; then
		say "harness: make exited with status $rc (log build/log/harness.log)"
		tail -n 20 "$LOGDIR/harness.log"
		stage_fail harness-exit
	fi
	counts="$counts $f"
	timed harness $(($(now) - s))
fi

# 4-6. guests
run_guest() {
	g=$1
	s=$(now)
	if ! prepare_guest "$g"; then
		stage_fail "prepare-$g"
		return
	fi
	nsel=$(wc -l <"$BUILD/initramfs-$g.cpio.gz.list" 2>/dev/null || echo 0)
	kunit=""
	[ -f "$KMODDIR/bwtree_kunit.ko" ] && kunit=--expect-kunit
	say "guest $g: booting $(basename "$KIMAGE") ($nsel selftests${kunit:+, KUnit}); console build/log/console-$g.log"
	rc=0
	"$top/scripts/vm.sh" -m check -k "$KIMAGE" -i "$INITRD" -c "$gcpus" \
		-t "$gtimeout" -a "$GUEST_ARGS" -l "$LOGDIR/console-$g.log" \
		-r "$LOGDIR/results-$g.log" || rc=$?
	[ $rc -eq 124 ] && say "guest $g: host-side timeout after $gtimeout s"
	[ $rc -eq 0 ] || [ $rc -eq 124 ] || say "guest $g: qemu exited with status $rc"
	# shellcheck disable=SC2086
	python3 "$top/scripts/report.py" guest --name "$g" $kunit \
		--expect-selftests "$nsel" --expect-cpus "$gcpus" --console "$LOGDIR/console-$g.log" \
		--results "$LOGDIR/results-$g.log" --counts "$LOGDIR/counts-$g" || true
	counts="$counts $LOGDIR/counts-$g"
	timed "guest $g" $(($(now) - s))
}
for g in $guests; do
	run_guest "$g"
done

finish
