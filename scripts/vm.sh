#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test guest under QEMU (TCG: there is no usable KVM here).
#
#   scripts/vm.sh -k BZIMAGE -i INITRD -m MODE [-l CONSOLE_LOG] [-r RESULTS]
#                 [-t TIMEOUT_S] [-a "EXTRA KERNEL ARGS"] [-c CPUS] [-M MEM_MB]
#
# MODE is the guest's bwtree_mode (check, demo or vm; see scripts/guest-init).
#   check  console (ttyS0) to CONSOLE_LOG, results (ttyS1) to RESULTS;
#          nothing on stdout
#   demo   console on stdout and copied to CONSOLE_LOG
#   vm     console on the terminal (Ctrl-A X leaves QEMU), results to RESULTS
# The guest ends itself with reboot -f (QEMU runs with -no-reboot); a host
# side timeout is the backstop: exit status 124 when it fired.
set -eu

kernel="" initrd="" mode=check clog="" results=/dev/null tmo=1800 extra="" cpus=2 mem=2048
while getopts k:i:m:l:r:t:a:c:M: o; do
	case $o in
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	m) mode=$OPTARG ;;
	l) clog=$OPTARG ;;
	r) results=$OPTARG ;;
	t) tmo=$OPTARG ;;
	a) extra=$OPTARG ;;
	c) cpus=$OPTARG ;;
	M) mem=$OPTARG ;;
	*) echo "usage: see the head of $0" >&2; exit 64 ;;
	esac
done
[ -f "$kernel" ] || { echo "vm.sh: no kernel image '$kernel'" >&2; exit 1; }
[ -f "$initrd" ] || { echo "vm.sh: no initramfs '$initrd'" >&2; exit 1; }
[ -n "$clog" ] || clog=/dev/null
[ "$results" = /dev/null ] || : >"$results"
[ "$clog" = /dev/null ] || : >"$clog"

append="console=ttyS0 panic=-1 bwtree_mode=$mode $extra"
set -- qemu-system-x86_64 -accel tcg,thread=multi -smp "$cpus" -m "$mem" \
	-nographic -nodefaults -no-reboot -nic none \
	-kernel "$kernel" -initrd "$initrd" -append "$append"

case $mode in
check | soak)
	set -- "$@" -monitor none -serial "file:$clog" -serial "file:$results"
	exec timeout -k 10 "$tmo" "$@" </dev/null >/dev/null
	;;
demo)
	set -- "$@" -monitor none -serial stdio -serial "file:$results"
	rcfile=$(mktemp)
	{ timeout -k 10 "$tmo" "$@" </dev/null; echo $? >"$rcfile"; } |
		tr -d '\r' | sed 's/\x1b[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' | tee "$clog"
	rc=$(cat "$rcfile")
	rm -f "$rcfile"
	exit "$rc"
	;;
vm)
	set -- "$@" -serial mon:stdio -serial "file:$results"
	exec "$@"
	;;
*)
	echo "vm.sh: unknown mode $mode" >&2
	exit 64
	;;
esac
