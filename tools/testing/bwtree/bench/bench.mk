# SPDX-License-Identifier: GPL-2.0
# Benchmark build, included by ../Makefile.  The maple tree comes from the
# 6.12 source tree in $(LINUX_SRC), compiled with its own userspace shims
# (tools/testing/shared, tools/include) as tools/testing/radix-tree does.

BENCH_ARGS	?=
CG_KEYS		?= 1000000
CG_OPS		?= 200000
MAPLE_GEN	:= $(O)/bench/maple-gen
MAPLE_CFLAGS	:= -O2 -g -D_LGPL_SOURCE -I$(LINUX_SRC)/tools/testing/shared \
		   -I$(MAPLE_GEN) -I$(LINUX_SRC)/tools/include -I$(HERE)/bench \
		   -Wno-unused-function
RBTREE_CFLAGS	:= -O2 -g -I$(LINUX_SRC)/tools/include -I$(HERE)/bench
BENCH_OBJS	:= $(O)/bench/bench.o $(O)/bench/c_bwtree.o $(O)/bench/c_maple.o \
		   $(O)/bench/c_rbtree.o $(O)/bench/rbtree.o $(O)/bench/c_sorted.o \
		   $(bench_CORE) $(bench_LIB)

$(MAPLE_GEN)/generated/autoconf.h:
	@mkdir -p $(MAPLE_GEN)/generated
	@test -f $(LINUX_SRC)/lib/maple_tree.c || { echo "no $(LINUX_SRC)/lib/maple_tree.c: set LINUX_SRC"; exit 1; }
	echo '#define CONFIG_64BIT 1' > $(MAPLE_GEN)/generated/bit-length.h
	echo '#define XA_CHUNK_SHIFT 6' > $(MAPLE_GEN)/generated/map-shift.h
	cp $(LINUX_SRC)/tools/testing/shared/autoconf.h $@

$(O)/bench/c_maple.o: bench/c_maple.c bench/contender.h $(MAPLE_GEN)/generated/autoconf.h
	$(CC_GCC) $(MAPLE_CFLAGS) -c $< -o $@

$(O)/bench/c_rbtree.o: bench/c_rbtree.c bench/contender.h
	@mkdir -p $(@D)
	$(CC_GCC) $(RBTREE_CFLAGS) -c $< -o $@

$(O)/bench/rbtree.o: $(LINUX_SRC)/tools/lib/rbtree.c
	@mkdir -p $(@D)
	$(CC_GCC) $(RBTREE_CFLAGS) -c $< -o $@

$(O)/bench/c_sorted.o $(O)/bench/bench.o: $(O)/bench/%.o: bench/%.c bench/contender.h
	@mkdir -p $(@D)
	$(CC_GCC) -O2 -g -Wall -I$(HERE)/bench -c $< -o $@

$(O)/bench/c_bwtree.o: bench/c_bwtree.c bench/contender.h $(CORE_DEPS) $(SHIM_DEPS)
	@mkdir -p $(@D)
	$(CC_GCC) $(KCPPFLAGS) $(KCFLAGS) $(bench_CFLAGS) -I$(HERE)/bench -c $< -o $@

$(O)/bench/bench: $(BENCH_OBJS)
	$(CC_GCC) $^ $(bench_LIBS) -o $@

# The table, plot and RATIO lines also go to results/, for the README.
bench: $(O)/bench/bench
	@mkdir -p results
	$(NICE) $(O)/bench/bench --out $(O)/bench $(BENCH_ARGS) | tee $(O)/bench/bench.txt
	@cp $(O)/bench/bench.txt results/bench.txt
	@test ! -f $(O)/bench/bench.png || cp $(O)/bench/bench.png results/bench.png

# Instructions per lookup and per insert, ours and the maple tree's, with
# CG_KEYS keys in the structure: deterministic, unlike the timings.
callgrind: $(O)/bench/bench
	@rm -f $(O)/bench/callgrind.txt
	@for c in bwtree maple; do for op in lookup insert; do \
		f=$(O)/bench/callgrind.$$c.$$op; \
		$(NICE) valgrind --tool=callgrind --instr-atstart=no \
			--callgrind-out-file=$$f $(O)/bench/bench --callgrind $$op \
			--contender $$c --sizes $(CG_KEYS) --cg-ops $(CG_OPS) >/dev/null 2>$$f.log || \
			{ echo "callgrind $$c $$op failed: see $$f.log"; exit 1; }; \
		ir=$$(sed -n "s/^totals: *\([0-9]*\).*/\1/p" $$f); \
		echo "CALLGRIND $${op}_$$c=$$(echo "$$ir $(CG_OPS)" | awk '{printf "%.0f", $$1 / $$2}') instructions/op ($(CG_KEYS) keys)" \
			>> $(O)/bench/callgrind.txt; \
	done; done
	@cat $(O)/bench/callgrind.txt
	@mkdir -p results && cp $(O)/bench/callgrind.txt results/callgrind.txt
