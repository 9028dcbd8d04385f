/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark's view of a contender: plain C types only, so the driver
 * needs none of the (mutually incompatible) kernel header shims that each
 * contender is compiled with.
 */
#ifndef _BENCH_CONTENDER_H
#define _BENCH_CONTENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct contender {
	const char *name;
	void *(*create)(void);
	void (*destroy)(void *t);
	/* 0, or -EEXIST; -EOPNOTSUPP where the contender has no inserts */
	int (*insert)(void *t, int64_t key, uint64_t val);
	/* replace the value of a present key (YCSB update) */
	int (*update)(void *t, int64_t key, uint64_t val);
	/* 0 or -ENOENT */
	int (*lookup)(void *t, int64_t key, uint64_t *val);
	/*
	 * Optional: @n lookups at once, vals[i] and found[i] for keys[i];
	 * returns how many were found.  Without it the driver calls lookup()
	 * in a loop (bench_lookup_batch()).
	 */
	long (*lookup_batch)(void *t, const int64_t *keys, unsigned int n,
			     uint64_t *vals, bool *found);
	/* visit up to n pairs from key upwards; returns how many, adds values to *sum */
	long (*scan)(void *t, int64_t key, long n, uint64_t *sum);
	/* build from sorted distinct keys in one go (only the sorted array) */
	int (*build_sorted)(void *t, const int64_t *keys, size_t n);
	/* structure bytes in use (allocator-counted, as the kernel's slab would) */
	long (*bytes)(void *t);
	/* writers' restarts from the root so far (optional) */
	long (*restarts)(void *t);
	/* per-thread setup (RCU registration), and waiting for deferred frees */
	void (*thread_start)(void);
	void (*quiesce)(void);
};

/* The value stored with each key: below 2^62, for maple's xa_mk_value(). */
static inline uint64_t bench_val(int64_t k)
{
	return ((uint64_t)k * 0x9e3779b97f4a7c15ULL) >> 2;
}

/* A batch of lookups through the contender's hook, or its lookup() in a loop. */
static inline long bench_lookup_batch(const struct contender *c, void *t,
				      const int64_t *keys, unsigned int n,
				      uint64_t *vals, bool *found)
{
	long hits = 0;
	unsigned int i;

	if (c->lookup_batch)
		return c->lookup_batch(t, keys, n, vals, found);
	for (i = 0; i < n; i++) {
		found[i] = !c->lookup(t, keys[i], &vals[i]);
		hits += found[i];
	}
	return hits;
}

extern const struct contender contender_bwtree;
extern const struct contender contender_maple;
extern const struct contender contender_rbtree;
extern const struct contender contender_sorted;

/* From the shim runtime (lib/), for every contender's memory accounting. */
long bwt_live_bytes(void);
void bwt_rcu_register(void);
void bwt_rcu_barrier(void);

#endif /* _BENCH_CONTENDER_H */
