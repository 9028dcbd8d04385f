#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unload safety, run in the test guest by scripts/guest-init (stage "unload")
# after the module has been unloaded.  Prints TAP.
#
#   1. rmmod is refused while a file of /dev/bwtree is open (read-write and
#      unbound; read-only while a named tree holds keys)
#   2. with 10 named trees of 10000 keys each and no file open, rmmod
#      succeeds, with no "still has objects" from kmem_cache_destroy()
#   3. no bwtree_* cache is left in /sys/kernel/slab after that rmmod
#   4. kmemleak finds nothing (two scans 6 s apart), on a kernel that has it
#   5. 50 cycles of insmod, traffic, rmmod: every rmmod succeeds, every
#      time the caches are gone
#   6. ... and Slab: in /proc/meminfo stays flat over the 50 cycles
#
# Environment (kernel command line words reach it through init's
# environment): UNLOAD_TREES (10), UNLOAD_KEYS (10000), UNLOAD_CYCLES (50),
# UNLOAD_SLAB_SLACK_KB (1024: how much Slab: may grow over the cycles; a
# leak of the traffic's tree, ~40 kB a cycle, would be 2000 kB).

L=${L:-/lib/bwtree}
trees=${UNLOAD_TREES:-10}
keys=${UNLOAD_KEYS:-10000}
cycles=${UNLOAD_CYCLES:-50}
slack=${UNLOAD_SLAB_SLACK_KB:-1024}
create_args=${UNLOAD_CREATE_ARGS:-}
n=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
	fi
}

note() { echo "# $*"; }

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

# Our caches still registered with the slab allocator.
our_caches() {
	oc=0
	for c in /sys/kernel/slab/bwtree_*; do
		[ -e "$c" ] && oc=$((oc + 1))
	done
	echo $oc
}

# Lines of the kernel log since the mark: cache shutdown complaints.
dmesg_mark() { dmesg | wc -l; }
dmesg_since() { dmesg | tail -n +$(($1 + 1)); }
destroy_complaints() {
	dmesg_since "$1" | grep -c -E 'still has objects|Objects remaining'
}

# keys_of N: "key value" lines for N keys spread over the key space.
keys_of() {
	awk -v n="$1" -v t="$2" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "%d %d\n", (i * 7919 + t) % 1000003 - 500000, i * 3 + t
	}'
}

k=/sys/kernel/debug/kmemleak
echo "TAP version 13"
if [ -e $k ]; then
	echo "1..6"
else
	echo "1..5"
	note "no leak detector in this kernel: the debug guest scans for leaks"
fi

# --- 1. refused while a file is open ---
r=0
insmod $L/bwtree.ko || r=1
if [ $r -eq 0 ]; then
	exec 5<>/dev/bwtree
	if rmmod bwtree 2>/dev/null; then
		note "rmmod succeeded with an unbound file open"
		r=1
	fi
	# A named tree holding keys, and a read-only file.
	bwtreectl create keep >/dev/null || r=1
	keys_of 200 1 | bwtreectl -t keep load --batch 200 >/dev/null || r=1
	exec 5>&-
	exec 6</dev/bwtree
	if rmmod bwtree 2>/dev/null; then
		note "rmmod succeeded with a read-only file open"
		r=1
	fi
	exec 6>&-
	bwtreectl destroy keep >/dev/null || r=1
fi
ok $r "rmmod is refused while a file of /dev/bwtree is open"

# --- 2. full named trees, no file open ---
r=0
t0=$(date +%s)
# Filled two at a time: the guest has CPUs to spare.
fill() {
	# shellcheck disable=SC2086
	bwtreectl create "t$1" $create_args >/dev/null &&
	keys_of "$keys" "$1" | bwtreectl -t "t$1" load --batch 256 >/dev/null
}
i=0
while [ $i -lt "$trees" ]; do
	fill $i &
	p1=$!
	p2=""
	if [ $((i + 1)) -lt "$trees" ]; then
		fill $((i + 1)) &
		p2=$!
	fi
	wait $p1 || r=1
	[ -z "$p2" ] || wait "$p2" || r=1
	i=$((i + 2))
done
i=0
while [ $i -lt "$trees" ]; do
	c=$(bwtreectl -t "t$i" count 2>/dev/null)
	[ "$c" = "$keys" ] || { note "tree t$i holds '$c' keys, not $keys"; r=1; }
	i=$((i + 1))
done
note "filled $trees trees of $keys keys in $(($(date +%s) - t0)) s; Slab: $(slab_kb) kB"
mark=$(dmesg_mark)
rmmod bwtree || { note "rmmod failed"; r=1; }
d=$(destroy_complaints "$mark")
[ "$d" -eq 0 ] || { note "kmem_cache_destroy complained $d time(s):"; dmesg_since "$mark" | sed 's/^/# /'; r=1; }
ok $r "rmmod with $trees named trees of $keys keys and no file open"

# --- 3. caches gone ---
c=$(our_caches)
[ "$c" -eq 0 ] || note "left in /sys/kernel/slab: $(echo /sys/kernel/slab/bwtree_*)"
ok "$c" "no bwtree_* slab cache left after rmmod"

# --- 4. kmemleak ---
if [ -e $k ]; then
	echo scan >$k
	sleep 6
	echo scan >$k
	cat $k >/tmp/unload-kmemleak
	r=0
	[ -s /tmp/unload-kmemleak ] && { sed 's/^/# /' /tmp/unload-kmemleak | head -n 40; r=1; }
	ok $r "no leak found by kmemleak after the unload (two scans 6 s apart)"
fi

# --- 5, 6. cycles ---
r=0
bad_caches=0
mark=$(dmesg_mark)
# One cycle first, so that what a first load allocates for good (sysfs,
# module loader caches) is not counted as growth.
traffic() {
	bwtreectl create c >/dev/null &&
	keys_of 500 "$1" | bwtreectl -t c load --batch 128 >/dev/null &&
	bwtreectl -t c scan 0 1000000 --limit 50 >/dev/null &&
	bwtreectl -t c del "$(keys_of 1 "$1" | cut -d' ' -f1)" >/dev/null &&
	bwtreectl -t c upsert 7 7 >/dev/null &&
	[ "$(bwtreectl -t c count)" -gt 0 ]
}
# Milliseconds since boot.
ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
t_ins=0 t_traffic=0 t_rm=0
cycle() {
	c0=$(ms)
	insmod $L/bwtree.ko || return 1
	c1=$(ms)
	traffic "$1" || { note "traffic of cycle $1 failed"; rmmod bwtree; return 1; }
	c2=$(ms)
	# The named tree is left for rmmod to destroy.
	rmmod bwtree || return 1
	c3=$(ms)
	t_ins=$((t_ins + c1 - c0))
	t_traffic=$((t_traffic + c2 - c1))
	t_rm=$((t_rm + c3 - c2))
	[ "$(our_caches)" -eq 0 ] || bad_caches=$((bad_caches + 1))
}
cycle 0 || r=1
sync
echo 3 >/proc/sys/vm/drop_caches
before=$(slab_kb)
t0=$(date +%s)
i=1
while [ $i -le "$cycles" ]; do
	cycle "$i" || { note "cycle $i failed"; r=1; break; }
	i=$((i + 1))
done
secs=$(($(date +%s) - t0))
[ "$cycles" -gt 0 ] && note "per cycle: insmod $((t_ins / (cycles + 1))) ms, traffic $((t_traffic / (cycles + 1))) ms, rmmod $((t_rm / (cycles + 1))) ms"
sync
echo 3 >/proc/sys/vm/drop_caches
after=$(slab_kb)
d=$(destroy_complaints "$mark")
[ "$d" -eq 0 ] || { note "kmem_cache_destroy complained $d time(s)"; r=1; }
[ $bad_caches -eq 0 ] || { note "caches left after $bad_caches rmmod(s)"; r=1; }
ok $r "$cycles cycles of insmod, traffic, rmmod in $secs s: caches gone every time"
note "Slab: before $before kB, after $after kB, growth $((after - before)) kB over $cycles cycles (allowed $slack kB)"
r=0
[ $((after - before)) -le "$slack" ] || r=1
ok $r "Slab: in /proc/meminfo flat over $cycles cycles ($before kB -> $after kB)"
