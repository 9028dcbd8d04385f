# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Hang guards: every time limit of make check, in one place.
#
# A limit here is a guard against a hang, never a budget.  Each step has its
# usual wall time (the table below: seconds it took inside make check on an
# idle machine of this kind, both lanes running); its guard is
#
#	GUARD_X (4) x usual x this machine's slowdown, and at least 60 s
#
# The slowdown (BWTREE_SLOWDOWN, in percent, never below 100) is measured
# once per make check by calibrate() against the machine the table was
# measured on, so a machine twice as slow, or one already busy when the run
# starts, gets guards twice as long.  A step that hits its guard says which
# step, the guard and the usual time (guard_hit()).
#
# Source it after lib.sh; calibrate() exports BWTREE_SLOWDOWN so that the
# harness (tools/testing/bwtree/run-tests.sh sources this file too) and the
# guests (scripts/check.sh passes bwtree_guards=) use the same figure.

GUARD_X=${BWTREE_GUARD_X:-4}

# usual STEP: the step's usual seconds inside make check on an idle machine
# of this kind: the longest of three warm runs on 2026-12-02 (795 s on one
# machine; 1253 s and 983 s on a slower one, calibrate 115-123%), all lanes
# at once; a section kind inside a guest: its longest run in any guest;
# stress: besides its chosen run time.
usual() {
	case $1 in
	# the userspace harness, tools/testing/bwtree/run-tests.sh
	harness/shimtest)		echo 1 ;;
	harness/interleave)		echo 1 ;;
	harness/layout)			echo 1 ;;
	harness/model)			echo 99 ;;
	harness/failsweep)		echo 108 ;;
	harness/stress-asan-small)	echo 16 ;;
	harness/stress-asan-large)	echo 76 ;;
	harness/stress-tsan-small)	echo 34 ;;
	# stress-tsan-large: 109 s alone on 2026-12-02 (calibrate 111%), 230 s
	# beside a second copy; with 72 s, its guard (319 s) was hit in one make check.
	harness/stress-tsan-large)	echo 130 ;;
	harness/contend-asan)		echo 11 ;;
	harness/contend-tsan)		echo 19 ;;
	harness/contend-O2)		echo 18 ;;
	harness/fuzz-corpus)		echo 35 ;;
	harness/fuzz-new)		echo 207 ;;
	# whole guests, host side (scripts/vm.sh)
	guest/debug-core)		echo 1165 ;;
	guest/debug-ioctl)		echo 1081 ;;
	guest/kcsan)			echo 632 ;;
	guest/stock)			echo 169 ;;
	guest/demo)			echo 150 ;;	# not measured this time
	guest/*)			echo 1165 ;;
	# sections inside the guests (scripts/guest-init), KIND/GUEST
	# kunit: the longest single KUnit case (insmod waits for each one;
	# scripts/guest-init makes its guard the hung-task detector's limit)
	kunit/*)			echo 75 ;;
	selftest/*)			echo 220 ;;
	fault/*)			echo 101 ;;
	stress/*)			echo 18 ;;
	unload/*)			echo 112 ;;
	*)				echo 60 ;;
	esac
}

# guard STEP: the step's hang guard in seconds.
guard() {
	g=$(($(usual "$1") * GUARD_X * ${BWTREE_SLOWDOWN:-100} / 100))
	[ "$g" -ge 60 ] || g=60
	echo "$g"
}

# guard_hit STEP: the line that says a step hit its guard.
guard_hit() {
	echo "$1 hit its hang guard of $(guard "$1") s (usual $(usual "$1") s on" \
		"an idle machine of this kind; guard = $GUARD_X x usual x" \
		"slowdown ${BWTREE_SLOWDOWN:-100}%)"
}

# calibrate: measure this machine's slowdown against the one the table was
# measured on (a fixed single-threaded loop, best of three, 0.19 s there),
# export it as BWTREE_SLOWDOWN unless it is already set.
CALIBRATE_REF_MS=190
calibrate() {
	[ -z "${BWTREE_SLOWDOWN:-}" ] || return 0
	best=""
	for _ in 1 2 3; do
		t0=$(date +%s%N)
		awk 'BEGIN { s = 0; for (i = 0; i < 5000000; i++) s += i % 7; print s }' \
			>/dev/null
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ -n "$best" ] && [ "$best" -le "$ms" ] || best=$ms
	done
	BWTREE_SLOWDOWN=$((best * 100 / CALIBRATE_REF_MS))
	[ "$BWTREE_SLOWDOWN" -ge 100 ] || BWTREE_SLOWDOWN=100
	export BWTREE_SLOWDOWN
}
