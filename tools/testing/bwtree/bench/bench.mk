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

# Instructions per lookup, per key of a batched lookup (multiget, in
# batches of 64), per insert and per YCSB-E scan (1..100 pairs), ours and
# the maple tree's, with CG_KEYS keys in the structure: deterministic,
# unlike the timings.  CG_CACHE=1 also simulates the caches and reports
# first-level and last-level data misses per operation (callgrind ignores
# prefetch instructions: the misses a batch overlaps are still counted).
# The caches simulated are CG_GEOMETRY's, this machine kind's L1d and L3:
# valgrind reads a guest's cpuid as a 320 MB direct-mapped last level.
CG_CACHE	?=
CG_GEOMETRY	?= --I1=32768,8,64 --D1=32768,8,64 --LL=33554432,16,64
CG_FLAGS	:= $(if $(CG_CACHE),--cache-sim=yes $(CG_GEOMETRY))
callgrind: $(O)/bench/bench
	@rm -f $(O)/bench/callgrind.txt
	@for c in bwtree maple; do for op in lookup multiget insert scan; do \
		f=$(O)/bench/callgrind.$$c.$$op; \
		$(NICE) valgrind --tool=callgrind --instr-atstart=no $(CG_FLAGS) \
			--callgrind-out-file=$$f $(O)/bench/bench --callgrind $$op \
			--contender $$c --sizes $(CG_KEYS) --cg-ops $(CG_OPS) >/dev/null 2>$$f.log || \
			{ echo "callgrind $$c $$op failed: see $$f.log"; exit 1; }; \
		awk -v op=$$op -v c=$$c -v n=$(CG_OPS) -v keys=$(CG_KEYS) ' \
			/^events:/ { for (i = 2; i <= NF; i++) ev[$$i] = i } \
			/^totals:/ { \
				s = sprintf("CALLGRIND %s_%s=%.0f instructions/op", op, c, $$ev["Ir"] / n); \
				if ("D1mr" in ev) \
					s = s sprintf(", %.2f D1 misses/op, %.2f LL misses/op", \
						($$ev["D1mr"] + $$ev["D1mw"]) / n, \
						($$ev["DLmr"] + $$ev["DLmw"]) / n); \
				print s " (" keys " keys)" }' $$f >> $(O)/bench/callgrind.txt; \
	done; done
	@cat $(O)/bench/callgrind.txt
	@mkdir -p results && cp $(O)/bench/callgrind.txt results/callgrind.txt
