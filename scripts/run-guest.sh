#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo / make vm: boot a guest with bwtree.ko loaded.
#
#   scripts/run-guest.sh demo [FLAVOUR]   scripted bwtreectl session, printed
#   scripts/run-guest.sh vm [FLAVOUR]     interactive shell (Ctrl-A X quits)
#   scripts/run-guest.sh check FLAVOUR STAGES
#                                         some stages of make check's guest
#                                         (scripts/guest-init), e.g.
#                                         "fault,unload", then its report
#   scripts/run-guest.sh soak [FLAVOUR]   make soak: the stress for
#                                         BWTREE_SOAK_SECS (default 600) s
#
# FLAVOUR is a kernel of scripts/kernel.sh (default debug) or "stock" for
# Debian's 6.1 kernel.  The console is kept in build/log/console-MODE.log.
# BWTREE_GUEST_ARGS adds kernel command line words (e.g. bwtree_failslab=1),
# BWTREE_CPUS sets the guest's CPUs (default 2; 4 for soak).
set -eu

mode=$1
flavour=${2:-debug}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
. "$top/scripts/guard.sh"
calibrate
extra=${BWTREE_GUEST_ARGS:-}

prepare_guest "$flavour"
case $mode in
demo)
	# quiet: only kernel warnings and errors reach the console.
	exec "$top/scripts/vm.sh" -m demo -k "$KIMAGE" -i "$INITRD" -t "$(guard guest/demo)" \
		-a "$GUEST_ARGS quiet" -l "$LOGDIR/console-demo.log" \
		-r "$LOGDIR/results-demo.log"
	;;
vm)
	exec "$top/scripts/vm.sh" -m vm -k "$KIMAGE" -i "$INITRD" \
		-a "$GUEST_ARGS" -r "$LOGDIR/results-vm.log"
	;;
check)
	stages=${3:?"usage: $0 check FLAVOUR STAGES"}
	cpus=${BWTREE_CPUS:-2}
	rc=0
	"$top/scripts/vm.sh" -m check -k "$KIMAGE" -i "$INITRD" -c "$cpus" \
		-t "${BWTREE_GUEST_TIMEOUT:-$(guard "guest/$flavour")}" \
		-a "$GUEST_ARGS bwtree_stages=$stages $extra" \
		-l "$LOGDIR/console-$flavour-check.log" \
		-r "$LOGDIR/results-$flavour-check.log" || rc=$?
	[ $rc -eq 0 ] || echo "run-guest: qemu exited with status $rc" >&2
	python3 "$top/scripts/report.py" guest --name "$flavour" --ksrc "$KSRC" \
		--stages "$stages" --kunit "$(guest_kunit "$flavour")" \
		--selftests-list "$INITRD.list" \
		--expect-cpus "$cpus" --console "$LOGDIR/console-$flavour-check.log" \
		--results "$LOGDIR/results-$flavour-check.log"
	;;
soak)
	secs=${BWTREE_SOAK_SECS:-600}
	cpus=${BWTREE_CPUS:-4}
	echo "soak: $secs s of stress on the $flavour kernel, $cpus CPUs; console $LOGDIR/console-soak.log"
	rc=0
	"$top/scripts/vm.sh" -m soak -k "$KIMAGE" -i "$INITRD" -c "$cpus" \
		-t $((secs + $(guard "guest/$flavour"))) \
		-a "$GUEST_ARGS bwtree_soak_secs=$secs $extra" \
		-l "$LOGDIR/console-soak.log" -r "$LOGDIR/results-soak.log" || rc=$?
	[ $rc -eq 0 ] || echo "soak: qemu exited with status $rc" >&2
	rc=0
	python3 "$top/scripts/report.py" guest --name soak --ksrc "$KSRC" \
		--expect-cpus "$cpus" --console "$LOGDIR/console-soak.log" \
		--results "$LOGDIR/results-soak.log" --expect stress=1 || rc=$?
	# The stress program's own summary: ops done, errors.
	grep '^# stress:' "$LOGDIR/results-soak.log" | sed 's/^# /soak: /'
	exit $rc
	;;
*)
	echo "usage: $0 demo|vm|check|soak [FLAVOUR] [STAGES]" >&2
	exit 64
	;;
esac
