#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo / make vm: boot a guest with bwtree.ko loaded.
#
#   scripts/run-guest.sh demo [FLAVOUR]   scripted bwtreectl session, printed
#   scripts/run-guest.sh vm [FLAVOUR]     interactive shell (Ctrl-A X quits)
#
# FLAVOUR is a kernel of scripts/kernel.sh (default debug) or "stock" for
# Debian's 6.1 kernel.  The console is kept in build/log/console-MODE.log.
set -eu

mode=$1
flavour=${2:-debug}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

prepare_guest "$flavour"
[ -f "$top/tools/Makefile" ] || echo "run-guest: warning: no tools/Makefile yet, bwtreectl is missing" >&2
case $mode in
demo)
	# quiet: only kernel warnings and errors reach the console.
	exec "$top/scripts/vm.sh" -m demo -k "$KIMAGE" -i "$INITRD" -t 900 \
		-a "$GUEST_ARGS quiet" -l "$LOGDIR/console-demo.log" \
		-r "$LOGDIR/results-demo.log"
	;;
vm)
	exec "$top/scripts/vm.sh" -m vm -k "$KIMAGE" -i "$INITRD" \
		-a "$GUEST_ARGS" -r "$LOGDIR/results-vm.log"
	;;
*)
	echo "usage: $0 demo|vm [FLAVOUR]" >&2
	exit 64
	;;
esac
