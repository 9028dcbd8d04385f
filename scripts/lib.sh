# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Shell functions shared by scripts/check.sh, lint.sh and run-guest.sh.
# Source it after setting $top to the root of the work tree.

BUILD=$top/build
LOGDIR=$BUILD/log
CACHE=${BWTREE_CACHE:-$HOME/.cache/bwtree}
KSRC=$CACHE/linux-source-6.12
mkdir -p "$LOGDIR"

# The stock Debian kernel of the second guest run: the newest version that
# has both /boot/vmlinuz-V and /usr/src/linux-headers-V (V ends in -amd64).
stock_version() {
	for h in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -rV); do
		v=${h#/usr/src/linux-headers-}
		if [ -f "/boot/vmlinuz-$v" ]; then
			echo "$v"
			return 0
		fi
	done
	echo "lib.sh: no /boot/vmlinuz-V with /usr/src/linux-headers-V" >&2
	return 1
}

# guest_setup NAME: set KIMAGE, KBUILDDIR, GUEST_ARGS for a guest kind.
#   debug  the debug 6.12 kernel of scripts/kernel.sh (flavour "debug")
#   stock  Debian's 6.1 kernel with its headers
#   other  any other flavour of scripts/kernel.sh (e.g. kcsan)
guest_setup() {
	case $1 in
	stock)
		v=$(stock_version) || return 1
		KIMAGE=/boot/vmlinuz-$v
		KBUILDDIR=/usr/src/linux-headers-$v
		# Unmerged caches here too: the unload stage checks that ours
		# leave /sys/kernel/slab (an alias of a merged one would stay).
		GUEST_ARGS="slab_nomerge"
		;;
	*)
		KBUILDDIR=$("$top/scripts/kernel.sh" "$1") || return 1
		KIMAGE=$KBUILDDIR/arch/x86/boot/bzImage
		# Unmerged slab caches: each of ours is alone in /sys/kernel/slab
		# (failslab filtering, "still has objects" per cache).
		GUEST_ARGS="slab_nomerge"
		;;
	esac
}

# guest_kunit NAME: "yes" if the kernel of guest NAME has KUnit (then
# bwtree_kunit.ko must be there and report), "no" for Debian's 6.1 kernel,
# which has no CONFIG_KUNIT.
guest_kunit() {
	case $1 in
	stock) echo no ;;
	*) echo yes ;;
	esac
}

# build_userspace: the selftests (against the kselftest headers of the
# extracted linux-source-6.12, so that first) and the CLI, static.  Output
# goes to $LOGDIR/userspace.log.
build_userspace() {
	: >"$LOGDIR/userspace.log"
	ksrc=$("$top/scripts/kernel.sh" --source) || return 1
	for d in selftests tools; do
		make -C "$top/$d" KSFT_DIR="$ksrc/tools/testing/selftests" >>"$LOGDIR/userspace.log" 2>&1 || {
			tail -n 30 "$LOGDIR/userspace.log" >&2
			echo "make -C $d failed (log $LOGDIR/userspace.log)" >&2
			return 1
		}
	done
}

# prepare_guest NAME: kernel, modules, userspace, initramfs for guest NAME;
# sets KIMAGE, INITRD, KMODDIR, GUEST_ARGS.
prepare_guest() {
	build_userspace || return 1
	prepare_guest_nouser "$1"
}

# prepare_guest_nouser NAME: the same, with the userspace already built.
prepare_guest_nouser() {
	guest_setup "$1" || return 1
	KMODDIR=$("$top/scripts/kbuild.sh" "$1" "$KBUILDDIR") || return 1
	INITRD=$("$top/scripts/initramfs.sh" "$KMODDIR" "$BUILD/initramfs-$1.cpio.gz") ||
		return 1
}

now() { date +%s; }
