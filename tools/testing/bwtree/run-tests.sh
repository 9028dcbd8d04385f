#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the harness tests and print one TAP 13 stream on stdout.  Called by
# "make check" after the build; O is the build directory.
#
# Each program prints "ok - NAME" / "not ok - NAME" lines and "# " notes;
# this script numbers them, adds a failing line for a program that crashed,
# timed out or left a sanitizer report, and prints the plan first (so it
# buffers: progress goes to stderr).  Every program's stderr is kept in
# $O/logs/NAME.log, and its tail is shown when the program fails.
#
# Two lanes run side by side (the machine has two cores): the threaded
# stress runs in one, the single-threaded programs in the other.
set -u

O=${O:-build}
NICE=${NICE:-}
# New fuzzer inputs tried after the corpus: a count of executions, not a
# time, so that a slower machine does the same work, only later.
FUZZ_CHECK_RUNS=${FUZZ_CHECK_RUNS:-4000}
HERE=$(cd "$(dirname "$0")" && pwd)
# Every time limit below is a hang guard from scripts/guard.sh.
. "$HERE/../../../scripts/guard.sh"
calibrate
LOGS="$O/logs"
mkdir -p "$LOGS" "$O/fuzz/new" "$O/fuzz/crashes"
rm -f "$LOGS"/*.tap

export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
# No suppressions: the TSan build uses the shim's own RCU (include/bwt/rcu.h),
# so no liburcu code runs under TSan.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:${TSAN_OPTIONS:-}"

total_start=$(date +%s)

# run NAME COMMAND...: results in $LOGS/NAME.tap; the hang guard of
# harness/NAME (scripts/guard.sh) limits its wall time.
run() {
	name=$1
	limit=$(guard "harness/$name")
	shift
	log="$LOGS/$name.log" out="$LOGS/$name.out" tap="$LOGS/$name.tap"
	start=$(date +%s)
	timeout -k 10 "$limit" $NICE "$@" > "$out" 2> "$log"
	rc=$?
	secs=$(( $(date +%s) - start ))
	nok=$(grep -c '^ok ' "$out")
	nbad=$(grep -c '^not ok ' "$out")
	cp "$out" "$tap.tmp"
	problem=""
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		problem=$(guard_hit "harness/$name")
	elif grep -q 'WARNING: ThreadSanitizer' "$log"; then
		problem="ThreadSanitizer reports ($(grep -c 'WARNING: ThreadSanitizer' "$log"))"
	elif grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		problem="sanitizer report"
	elif [ $rc -ne 0 ] && [ "$nbad" -eq 0 ]; then
		problem="exited with status $rc"
	elif [ "$nok" -eq 0 ] && [ "$nbad" -eq 0 ]; then
		# A program without TAP of its own (libFuzzer): its status.
		echo "ok - $name" >> "$tap.tmp"
		nok=1
	fi
	if [ -n "$problem" ]; then
		echo "not ok - $name: $problem" >> "$tap.tmp"
		nbad=$((nbad + 1))
	fi
	if [ "$nbad" -ne 0 ]; then
		echo "# --- last lines of $log:" >> "$tap.tmp"
		tail -n 40 "$log" | sed 's/^/#   /' >> "$tap.tmp"
	fi
	echo "# $name: ${secs}s" >> "$tap.tmp"
	mv "$tap.tmp" "$tap"
	printf '# %-24s %4ss (usual %ss, guard %ss)  %s ok, %s not ok\n' "$name" \
		"$secs" "$(usual "harness/$name")" "$limit" "$nok" "$nbad" >&2
}

lane_stress() {
	run stress-asan-small	"$O/asan/stress" -t 4 -n 200000 -k 2048 -l 4 -i 4 -c 2 -s 1 -N stress-asan-small
	run stress-asan-large	"$O/asan/stress" -t 4 -n 200000 -k 1000000 -l 16 -i 16 -c 4 -s 2 -N stress-asan-large
	run stress-tsan-small	"$O/tsan/stress" -t 4 -n 200000 -k 2048 -l 4 -i 4 -c 2 -s 3 -N stress-tsan-small
	run stress-tsan-large	"$O/tsan/stress" -t 4 -n 200000 -k 1000000 -l 16 -i 16 -c 4 -s 4 -N stress-tsan-large
	# Threads racing on the same keys, with nodes of 4 (SMOs all the time).
	run contend-asan	"$O/asan/contend" -t 4 -r 400 -k 64 -n 60000 -s 5 -N contend-asan
	run contend-tsan	"$O/tsan/contend" -t 4 -r 400 -k 64 -n 40000 -s 6 -N contend-tsan
	run contend-O2	"$O/bench/contend" -t 4 -r 2000 -k 64 -n 400000 -s 7 -N contend-O2
}

lane_single() {
	run shimtest	"$O/asan/shimtest"
	# The SMO races of issue 11, driven step by step at pause points.
	run interleave	"$O/asan/interleave"
	# The base node layout: summary, search, validation.
	run layout	"$O/asan/layout"
	run model	"$O/asan/model" -n 400000
	run failsweep	"$O/asan/failsweep"
	# The fuzzer: every corpus input once, then new inputs up to
	# FUZZ_CHECK_RUNS executions in all (the corpus's ~450 included; new
	# inputs are kept in $O: "make fuzz" is what grows the corpus).
	run fuzz-corpus	"$O/fuzz/fuzz" -runs=0 "$HERE/corpus"
	run fuzz-new	"$O/fuzz/fuzz" -runs="$FUZZ_CHECK_RUNS" -max_len=1024 \
		-print_final_stats=1 -artifact_prefix="$O/fuzz/crashes/" \
		"$O/fuzz/new" "$HERE/corpus"
	# How far it got: libFuzzer's own count.
	sed -n 's/^stat::number_of_executed_units: */# fuzz-new: executions /p' \
		"$LOGS/fuzz-new.log" >&2
}

lane_stress &
lane_single
wait

ORDER="shimtest interleave layout model failsweep stress-asan-small stress-asan-large
stress-tsan-small stress-tsan-large contend-asan contend-tsan contend-O2
fuzz-corpus fuzz-new"
body="$LOGS/tap.body"
: > "$body"
for t in $ORDER; do
	if [ -f "$LOGS/$t.tap" ]; then
		cat "$LOGS/$t.tap" >> "$body"
	else
		echo "not ok - $t: did not run" >> "$body"
	fi
done
n=$(grep -cE '^(not )?ok ' "$body")
bad=$(grep -c '^not ok ' "$body")
echo "TAP version 13"
echo "1..$n"
awk '/^(not )?ok /{ i++; sub(/^ok /, "ok " i " "); sub(/^not ok /, "not ok " i " ") } { print }' "$body"
echo "# harness: $((n - bad)) passed, $bad failed in $(( $(date +%s) - total_start ))s" >&2
[ "$bad" -eq 0 ]
