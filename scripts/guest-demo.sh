#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The scripted bwtreectl session of `make demo`, run inside the guest with
# bwtree.ko loaded.  Each command is echoed before it runs.

run() {
	echo "# $*"
	"$@"
	rc=$?
	[ $rc -eq 0 ] || echo "(exit status $rc)"
	echo
}

echo
echo "==== bwtree demo: a BW-tree in the kernel, driven through /dev/bwtree ===="
echo
run bwtreectl create demo
run bwtreectl list
for kv in "42 42000" "7 7000" "19 19000" "-3 3" "100 100000" "55 55000"; do
	# shellcheck disable=SC2086
	run bwtreectl -t demo insert $kv
done
run bwtreectl -t demo upsert 7 7777
run bwtreectl -t demo get 19
run bwtreectl -t demo get 8
run bwtreectl -t demo del 42
run bwtreectl -t demo get 42
run bwtreectl -t demo scan -10 1000
run bwtreectl -t demo scan -10 1000 --reverse --limit 3
echo "# seq 1 5000 | awk '{ print \$1, \$1 * 2 }' | bwtreectl -t demo load -"
seq 1 5000 | awk '{ print $1, $1 * 2 }' | bwtreectl -t demo load -
echo "# seq 5001 10000 | shuf | awk '{ print \$1, \$1 * 2 }' | bwtreectl -t demo load -"
seq 5001 10000 | shuf | awk '{ print $1, $1 * 2 }' | bwtreectl -t demo load -
echo
run bwtreectl -t demo count
run bwtreectl -t demo scan 2500 2504
run bwtreectl -t demo stats
run bwtreectl --json -t demo stats
run bwtreectl destroy demo
echo "==== end of demo ===="
