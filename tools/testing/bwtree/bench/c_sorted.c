// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark contender: a sorted array of keys with a parallel array of
 * values, searched with a branch-free binary search: the practical floor
 * for lookups.  Built once from sorted keys; updates store the value in
 * place; no inserts.
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "contender.h"

struct sorted {
	int64_t *keys;
	uint64_t *vals;
	size_t n;
};

static void *s_create(void)
{
	return calloc(1, sizeof(struct sorted));
}

static void s_destroy(void *p)
{
	struct sorted *s = p;

	free(s->keys);
	free(s->vals);
	free(s);
}

static int s_build(void *p, const int64_t *keys, size_t n)
{
	struct sorted *s = p;
	size_t i;

	s->keys = malloc(n * sizeof(int64_t));
	s->vals = malloc(n * sizeof(uint64_t));
	if (!s->keys || !s->vals)
		return -ENOMEM;
	memcpy(s->keys, keys, n * sizeof(int64_t));
	for (i = 0; i < n; i++)
		s->vals[i] = bench_val(keys[i]);
	s->n = n;
	return 0;
}

/* index of the first key >= @key */
static inline size_t lower(const struct sorted *s, int64_t key)
{
	const int64_t *base = s->keys;
	size_t n = s->n;

	if (!n)
		return 0;
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] < key ? base + half : base;
		n -= half;
	}
	return (base - s->keys) + (*base < key);
}

static int s_insert(void *p, int64_t key, uint64_t val)
{
	return -EOPNOTSUPP;
}

static int s_update(void *p, int64_t key, uint64_t val)
{
	struct sorted *s = p;
	size_t i = lower(s, key);

	if (i == s->n || s->keys[i] != key)
		return -EOPNOTSUPP;
	__atomic_store_n(&s->vals[i], val, __ATOMIC_RELAXED);
	return 0;
}

static int s_lookup(void *p, int64_t key, uint64_t *val)
{
	struct sorted *s = p;
	size_t i = lower(s, key);

	if (i == s->n || s->keys[i] != key)
		return -ENOENT;
	*val = __atomic_load_n(&s->vals[i], __ATOMIC_RELAXED);
	return 0;
}

static long s_scan(void *p, int64_t key, long n, uint64_t *sum)
{
	struct sorted *s = p;
	size_t i = lower(s, key);
	long got = 0;

	for (; i < s->n && got < n; i++, got++)
		*sum += __atomic_load_n(&s->vals[i], __ATOMIC_RELAXED);
	return got;
}

static long s_bytes(void *p)
{
	return (long)(((struct sorted *)p)->n * (sizeof(int64_t) + sizeof(uint64_t)));
}

static void s_nothing(void)
{
}

const struct contender contender_sorted = {
	.name = "sorted",
	.create = s_create, .destroy = s_destroy, .insert = s_insert,
	.update = s_update, .lookup = s_lookup, .scan = s_scan,
	.build_sorted = s_build, .bytes = s_bytes,
	.thread_start = s_nothing, .quiesce = s_nothing,
};
