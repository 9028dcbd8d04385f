// SPDX-License-Identifier: GPL-2.0
/* Benchmark contender: our tree, the core built with the shims (-O2, no checks). */
#include <bwt/shim.h>
#include <bwtree.h>
#include "contender.h"

static long base_bytes;

static void *c_create(void)
{
	struct bwtree *t;

	base_bytes = bwt_live_bytes();
	t = bwtree_create(NULL);
	return IS_ERR(t) ? NULL : t;
}

static void c_destroy(void *t)
{
	bwtree_destroy(t);
}

static int c_insert(void *t, int64_t k, uint64_t v)
{
	return bwtree_insert(t, k, v);
}

static int c_update(void *t, int64_t k, uint64_t v)
{
	return bwtree_upsert(t, k, v, NULL);
}

static int c_lookup(void *t, int64_t k, uint64_t *v)
{
	u64 val;
	int ret = bwtree_lookup(t, k, &val);

	*v = val;
	return ret;
}

/* int64_t and s64 are both 64-bit two's complement, only spelt apart. */
static long c_lookup_batch(void *t, const int64_t *keys, unsigned int n,
			   uint64_t *vals, bool *found)
{
	return bwtree_lookup_batch(t, (const s64 *)keys, n, (u64 *)vals, found);
}

static long c_scan(void *t, int64_t k, long n, uint64_t *sum)
{
	struct bwtree_pair buf[128];
	long got = 0;
	bool done = false;
	s64 next, lo = k;

	while (got < n && !done) {
		unsigned int want = min_t(long, n - got, ARRAY_SIZE(buf));
		int i, r = bwtree_scan_batch(t, lo, S64_MAX, 0, buf, want, &next, &done);

		if (r <= 0)
			break;
		for (i = 0; i < r; i++)
			*sum += buf[i].value;
		got += r;
		lo = next;
	}
	return got;
}

static long c_bytes(void *t)
{
	return bwt_live_bytes() - base_bytes;
}

static long c_restarts(void *t)
{
	struct bwtree_stats st;

	bwtree_get_stats(t, &st);
	return st.retries;
}

static void c_thread_start(void)
{
	bwt_rcu_register();
}

static void c_quiesce(void)
{
	rcu_barrier();
}

const struct contender contender_bwtree = {
	.name = "bwtree",
	.create = c_create, .destroy = c_destroy, .insert = c_insert,
	.update = c_update, .lookup = c_lookup, .lookup_batch = c_lookup_batch,
	.scan = c_scan, .bytes = c_bytes, .restarts = c_restarts,
	.thread_start = c_thread_start, .quiesce = c_quiesce,
};

/* bwtree_init() for the driver, which cannot include the shim. */
int bench_bwtree_init(void)
{
	return bwtree_init();
}
