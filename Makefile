# SPDX-License-Identifier: GPL-2.0
#
# bwtree: out-of-tree build of bwtree.ko (and bwtree_kunit.ko), plus the
# project's test entry points.  The kernel build itself is described by Kbuild.
#
#   make                 build the modules against KDIR, with W=1
#   make check           everything CI runs (lint, tests, two QEMU guests)
#   make lint            checkpatch, kernel-doc, sparse + W=1 on both kernels
#   make demo            boot the debug guest and run a short bwtreectl session
#   make vm              the same guest with an interactive shell
#   make soak            the stress in the debug guest for SOAK_SECS (600)
#   make kernel          build (or find cached) the debug test kernel
#   make bench           userspace benchmark against the maple tree (RATIO lines)
#   make callgrind       instructions per lookup and insert, ours and maple's
#   make help            this list
#
# KDIR defaults to the running kernel's build directory, or, when it is
# absent, the newest of Debian's installed /usr/src/linux-headers-*-amd64.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	  $(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V)))

# Debian's headers enable BTF for modules, which needs pahole and the
# matching vmlinux; our modules do not need BTF.
KBUILD_ARGS := W=1 CONFIG_DEBUG_INFO_BTF_MODULES=

# A kernel flavour for make kernel/vm/demo/soak (config/$(FLAVOUR).config).
FLAVOUR ?= debug
# make soak: seconds of stress (the guest's failslab: SOAK_FAILSLAB percent).
SOAK_SECS ?= 600
SOAK_FAILSLAB ?= 0

.PHONY: all modules clean help check lint demo vm soak kernel deps userspace \
	bench callgrind

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel build tree: pass KDIR=/path/to/kernel/build"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_ARGS) modules

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

help:
	@sed -n '3,17s/^# \{0,1\}//p' Makefile

deps:
	scripts/deps.sh

kernel:
	scripts/kernel.sh $(FLAVOUR)

lint:
	scripts/lint.sh

# The selftests build against the kselftest headers of linux-source-6.12.
userspace:
	scripts/kernel.sh --source >/dev/null
	$(MAKE) -C selftests
	$(MAKE) -C tools

check:
	scripts/check.sh

# Benchmarks of the core in userspace against the maple tree (BENCH_ARGS,
# CG_KEYS, CG_OPS: see tools/testing/bwtree/bench/bench.mk).
bench callgrind:
	scripts/kernel.sh --source >/dev/null
	$(MAKE) -C tools/testing/bwtree $@

demo:
	scripts/run-guest.sh demo $(FLAVOUR)

vm:
	scripts/run-guest.sh vm $(FLAVOUR)

soak:
	BWTREE_SOAK_SECS=$(SOAK_SECS) \
	BWTREE_GUEST_ARGS="bwtree_failslab=$(SOAK_FAILSLAB) $(BWTREE_GUEST_ARGS)" \
		scripts/run-guest.sh soak $(FLAVOUR)
