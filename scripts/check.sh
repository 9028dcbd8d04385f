#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything CI runs, on a fresh Debian 12 machine or a warm one.
#
#   1. scripts/deps.sh       install missing Debian packages
#   2. scripts/lint.sh       checkpatch, kernel-doc, W=1 + sparse on both
#                            kernels (builds the debug kernel, cached)
#   3. guests prepared       the kernel source tree, kernels, modules, static
#                            selftests and CLI, initramfs images (all cached
#                            when unchanged)
#   4. then all at once, at the same priority: the guests (debug-core,
#      debug-ioctl: the 6.12 KASAN + kmemleak + lockdep kernel; kcsan: the
#      6.12 KCSAN (strict) kernel; stock: Debian's 6.1 kernel), each running
#      the stages guest_plan below gives it (scripts/stages: what a stage
#      is and what it must report), and the userspace harness (make -C
#      tools/testing/bwtree check, TAP).  Every guest is also judged on
#      kmemleak (debug), splats, taint and lockdep (scripts/report.py).
#   5. the last line         "N passed, N failed, N skipped" over KUnit cases,
#                            selftests and harness tests (a failed check that
#                            is not a test adds one to "failed")
# Logs: build/log/ (console-*.log is each guest's serial console).
# Every time limit is a hang guard of scripts/guard.sh: 4 x the step's usual
# time x this machine's slowdown, measured first (calibrate).
# Environment: BWTREE_GUEST_TIMEOUT (s, per guest; default its guard),
# BWTREE_SLOWDOWN (percent; default measured), BWTREE_GUARD_X (4),
# BWTREE_CPUS (guest CPUs; default 2), BWTREE_GUESTS (default
# "debug-core debug-ioctl kcsan stock"), BWTREE_KCSAN_SKIP_WATCH (400).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
. "$top/scripts/guard.sh"
cd "$top"
calibrate

t0=$(now)
timings=""
counts=""
stage_failed=""
gcpus=${BWTREE_CPUS:-2}
# Guests to run: "stock" is Debian's 6.1 kernel, any other name a flavour of
# scripts/kernel.sh (config/NAME.config) with an optional -PART (guest_plan).
guests=${BWTREE_GUESTS:-debug-core debug-ioctl kcsan stock}

say() { echo "check: $*"; }
say "this machine's slowdown: ${BWTREE_SLOWDOWN}% (hang guards are $GUARD_X x usual x slowdown)"
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

# 3-4. the guests and the userspace harness, all at once.  Every guest is
# prepared first (kernel, modules, userspace, initramfs; cached); then the
# guests boot and the harness runs, side by side and at the same priority.
# Measured on an idle machine of this kind (README, "Time limits"): the debug
# guest alone took 757 s and used 1.1 CPUs, the harness alone 126 s with 1.7
# CPUs; serially, or with the harness starved at nice 19 beside a guest, the
# wall time is their sum.  So the debug kernel's stages run as two guests of
# about equal length (debug-core and debug-ioctl), each mostly one thread,
# and every lane runs at once, keeping both CPUs busy to the end.

# guest_plan RUN: the stages of a guest run (names of scripts/stages, from
# which report.py knows the result sections to find), its kernel command
# line words and its CPUs.  RUN is "stock" or a flavour of
# scripts/kernel.sh, optionally with "-PART" (debug-core).
guest_plan() {
	plan_cpus=$gcpus
	case $1 in
	stock)
		# The 50 insmod/rmmod cycles of the unload stage run here: on
		# 6.12 every kmem_cache_destroy() waits for kfree_rcu batches,
		# which with 36 caches makes a cycle take seconds in the debug
		# guest.
		plan_stages=kunit,selftests,unload
		plan_args=""
		;;
	kcsan)
		# KCSAN: the concurrent KUnit suites, then the stress with 1% of
		# the module's slab allocations failing.  Every access is slow
		# here (one in kcsan_skip is watched, and waits): a smaller
		# universe for the pthreads, so that the stress still fills and
		# empties its tree.  The kthread suite has a writer per CPU and
		# must see merges: 3000 writes each (its default) on 2 CPUs, the
		# 6000 writes of 4 x 1500 before; 2 x 1500 once ended with no
		# merge.
		plan_stages=kunit,stress
		plan_args="bwtree_failslab=1 bwtree_stress_secs=10"
		plan_args="$plan_args bwtree_stress_ops=3000 bwtree_stress_args=--keys,384"
		plan_args="$plan_args kcsan.skip_watch=$kcsan_skip kcsan.early_enable=0"
		plan_args="$plan_args bwtree_kunit_filter=bwtree_concurrency,bwtree_rcu"
		;;
	*-ioctl)
		# The ioctls under KASAN, kmemleak and lockdep: the selftests,
		# allocation and user-copy failures swept through them, then
		# the stress (the kthread suite and pthreads through the
		# ioctls) with failslab failing 1% of our allocations.
		plan_stages=selftests,fault,stress
		plan_args="bwtree_failslab=1 bwtree_stress_secs=10"
		;;
	*)
		# The core under KASAN, kmemleak and lockdep: KUnit, unload.
		# Unload: full trees (10 of 1000 keys here, a root over a few
		# dozen leaves; 10 of 10000 on stock: filling costs 1 ms a key
		# here and took 97 s of the stage at 3000), kmemleak, 2 cycles
		# (50 on stock: a cycle costs 7 s here, 33
		# kvfree_rcu_barrier()s in rmmod); the trees consolidate every
		# 16 deltas, not 4, to fill faster.
		plan_stages=kunit,unload
		plan_args="UNLOAD_CYCLES=2 UNLOAD_KEYS=1000"
		plan_args="$plan_args UNLOAD_CREATE_ARGS=--chain-max=16"
		;;
	esac
}
# KCSAN sets a watchpoint on one access in this many (default 4000): more
# often finds more in a short run, at a cost in speed.
kcsan_skip=${BWTREE_KCSAN_SKIP_WATCH:-400}
# Guest memory in MB.  The tests need little (a guest's slab peaks near
# 70 MB); a debug kernel's boot and its kmemleak scans (of every page
# struct) take longer the more it has.
guest_mem=${BWTREE_GUEST_MEM:-1024}

prepared=""
s=$(now)
if build_userspace; then
	for g in $guests; do
		if prepare_guest_nouser "${g%%-*}"; then
			printf "kimage='%s'\ninitrd='%s'\ngargs='%s'\n" \
				"$KIMAGE" "$INITRD" "$GUEST_ARGS" >"$BUILD/guest-$g.env"
			prepared="$prepared $g"
		else
			stage_fail "prepare-$g"
		fi
	done
else
	for g in $guests; do
		stage_fail "prepare-$g"
	done
fi
timed "prepare guests" $(($(now) - s))

run_guest() {
	g=$1
	s=$(now)
	kimage="" initrd="" gargs=""
	# shellcheck source=/dev/null
	. "$BUILD/guest-$g.env"
	guest_plan "$g"
	gtimeout=${BWTREE_GUEST_TIMEOUT:-$(guard "guest/$g")}
	# The guards of the sections inside the guest: KIND:GUARD:USUAL,...
	gguards=""
	for k in kunit selftest fault stress unload; do
		gguards="$gguards${gguards:+,}$k:$(guard "$k/$g"):$(usual "$k/$g")"
	done
	say "guest $g: booting $(basename "$kimage"), $plan_cpus CPUs, stages $plan_stages (KUnit: $(guest_kunit "$g")); console build/log/console-$g.log"
	rc=0
	"$top/scripts/vm.sh" -m check -k "$kimage" -i "$initrd" -c "$plan_cpus" \
		-M "$guest_mem" \
		-t "$gtimeout" -l "$LOGDIR/console-$g.log" -r "$LOGDIR/results-$g.log" \
		-a "$gargs bwtree_stages=$plan_stages bwtree_guards=$gguards $plan_args" ||
		rc=$?
	if [ $rc -eq 124 ]; then
		if [ -n "${BWTREE_GUEST_TIMEOUT:-}" ]; then
			say "guest $g: hit BWTREE_GUEST_TIMEOUT=$gtimeout s (usual $(usual "guest/$g") s)"
		else
			say "guest $g: $(guard_hit "guest/$g")"
		fi
	fi
	[ $rc -eq 0 ] || [ $rc -eq 124 ] || say "guest $g: qemu exited with status $rc"
	python3 "$top/scripts/report.py" guest --name "$g" --ksrc "$KSRC" \
		--stages "$plan_stages" --kunit "$(guest_kunit "$g")" \
		--selftests-list "$initrd.list" --expect-cpus "$plan_cpus" \
		--console "$LOGDIR/console-$g.log" --results "$LOGDIR/results-$g.log" \
		--counts "$LOGDIR/counts-$g" >"$LOGDIR/report-$g.txt" 2>&1 || true
	cat "$LOGDIR/report-$g.txt"
	echo "$(($(now) - s))" >"$LOGDIR/secs-$g"
}

# The longest first: the order of the lines on the console only.
pids=""
for g in $prepared; do
	run_guest "$g" &
	pids="$pids $!"
done

s=$(now)
say "userspace harness (make -C tools/testing/bwtree check)"
rc=0
make -C tools/testing/bwtree check >"$LOGDIR/harness.log" 2>&1 || rc=$?
f=$LOGDIR/counts-harness
python3 "$top/scripts/report.py" tap --name harness --ksrc "$KSRC" \
	--counts "$f" "$LOGDIR/harness.log" || true
if [ $rc -ne 0 ] && [ "$(cut -d' ' -f2 "$f")" = 0 ]; then
	say "harness: make exited with status $rc (log build/log/harness.log)"
	tail -n 20 "$LOGDIR/harness.log"
	stage_fail harness-exit
fi
counts="$counts $f"
timed harness $(($(now) - s))

for p in $pids; do
	wait "$p" || true
done
for g in $prepared; do
	counts="$counts $LOGDIR/counts-$g"
	timed "guest $g" "$(cat "$LOGDIR/secs-$g" 2>/dev/null || echo 0)"
done

finish
