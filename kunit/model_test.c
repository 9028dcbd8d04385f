// SPDX-License-Identifier: GPL-2.0
/*
 * Random operations checked one by one against a reference map, and scans
 * of every shape compared with it (suite bwtree_model).
 *
 * The model (struct bwt_model) holds a universe of a few thousand keys that
 * includes S64_MIN, S64_MAX and keys around 0, so each of its operations is
 * O(1).  Phases alternate between growing the tree (inserts win) and
 * shrinking it (deletes win), so splits and merges both happen, and the
 * whole tree is compared with the model between phases.
 *
 * Prefix: bwt_mt_.
 */
#include <linux/module.h>

#include "bwtree_kunit.h"

#define BWT_MT_KEYS	4096

/**
 * struct bwt_mt - one run of random operations
 * @test: the case
 * @tree: the tree
 * @m: its model
 * @rng: the generator
 * @op: operations done so far, for messages
 */
struct bwt_mt {
	struct kunit *test;
	struct bwtree *tree;
	struct bwt_model m;
	struct bwt_rng rng;
	unsigned long op;
};

/* A bound near the key of index @i: the key itself, or one off it. */
static s64 bwt_mt_bound(struct bwt_mt *mt, unsigned int i)
{
	s64 k = mt->m.keys[i];

	switch (bwt_rng_below(&mt->rng, 4)) {
	case 0:
		return k == S64_MIN ? k : k - 1;
	case 1:
		return k == S64_MAX ? k : k + 1;
	default:
		return k;
	}
}

/* A random range: empty, a single key, short, long, or everything. */
static void bwt_mt_range(struct bwt_mt *mt, s64 *lo, s64 *hi)
{
	unsigned int nr = mt->m.nr, a, span;

	switch (bwt_rng_below(&mt->rng, 16)) {
	case 0:
		*lo = S64_MIN;
		*hi = S64_MAX;
		return;
	case 1:
	case 2:
		a = bwt_rng_below(&mt->rng, nr);
		*lo = mt->m.keys[a];
		*hi = *lo;
		return;
	case 3:
		span = nr;
		break;
	case 4:
	case 5:
	case 6:
		span = 256;
		break;
	default:
		span = 32;
		break;
	}
	a = bwt_rng_below(&mt->rng, nr);
	*lo = bwt_mt_bound(mt, a);
	*hi = bwt_mt_bound(mt, min(a + bwt_rng_below(&mt->rng, span), nr - 1));
	if (*lo > *hi)
		swap(*lo, *hi);
}

/* Between two batches of a resumed scan: change the tree and the model. */
static void bwt_mt_between(struct bwt_model *m, void *arg)
{
	struct bwt_mt *mt = arg;
	unsigned int n = bwt_rng_below(&mt->rng, 4), i;

	while (n--) {
		i = bwt_rng_below(&mt->rng, m->nr);
		if (bwt_model_has(m, i)) {
			u64 v;

			if (!bwtree_delete(mt->tree, m->keys[i], &v))
				bwt_model_clear(m, i);
		} else {
			u64 v = bwt_rng_next(&mt->rng);

			if (!bwtree_insert(mt->tree, m->keys[i], v))
				bwt_model_set(m, i, v);
		}
	}
}

static const unsigned int bwt_mt_maxes[] = { 1, 2, 3, 7, 16, 64, 1000 };

/* A batch size for [@lo, @hi]: any, but at most ~32 batches to a scan. */
static unsigned int bwt_mt_max(struct bwt_mt *mt, s64 lo, s64 hi)
{
	int span = bwt_model_upper(&mt->m, hi) - (int)bwt_model_lower(&mt->m, lo) + 1;
	unsigned int max;

	do {
		max = bwt_mt_maxes[bwt_rng_below(&mt->rng, ARRAY_SIZE(bwt_mt_maxes))];
	} while ((int)max * 32 < span);
	return max;
}

/* One random scan compared with the model. */
static bool bwt_mt_scan(struct bwt_mt *mt)
{
	unsigned int flags = bwt_rng_below(&mt->rng, 2) ? BWTREE_SCAN_REVERSE : 0;
	s64 lo, hi;

	bwt_mt_range(mt, &lo, &hi);
	switch (bwt_rng_below(&mt->rng, 4)) {
	case 0:
		return bwt_check_scan_cb(mt->test, mt->tree, &mt->m, lo, hi, flags);
	case 1:
		/* Deletes and inserts interleaved with the batches. */
		return bwt_check_scan(mt->test, mt->tree, &mt->m, lo, hi, flags,
				      bwt_mt_max(mt, lo, hi), bwt_mt_between, mt);
	default:
		return bwt_check_scan(mt->test, mt->tree, &mt->m, lo, hi, flags,
				      bwt_mt_max(mt, lo, hi), NULL, NULL);
	}
}

/*
 * One random operation, checked against the model.  Out of 1000: @ins
 * inserts, @del deletes, 100 upserts, 10 scans, and lookups for the rest.
 */
static bool bwt_mt_op(struct bwt_mt *mt, unsigned int ins, unsigned int del)
{
	struct kunit *test = mt->test;
	struct bwt_model *m = &mt->m;
	unsigned int r = bwt_rng_below(&mt->rng, 1000);
	unsigned int i = bwt_rng_below(&mt->rng, m->nr);
	bool has = bwt_model_has(m, i), replaced = !has;
	s64 k = m->keys[i];
	u64 v = bwt_rng_next(&mt->rng), got = ~v;
	int ret;

	mt->op++;
	if (r < ins) {
		ret = bwtree_insert(mt->tree, k, v);
		if (ret != (has ? -EEXIST : 0))
			goto bad;
		if (!has)
			bwt_model_set(m, i, v);
		return true;
	}
	r -= ins;
	if (r < del) {
		ret = bwtree_delete(mt->tree, k, &got);
		if (ret != (has ? 0 : -ENOENT) || (has && got != m->vals[i]))
			goto bad;
		bwt_model_clear(m, i);
		return true;
	}
	r -= del;
	if (r < 100) {
		ret = bwtree_upsert(mt->tree, k, v, &replaced);
		if (ret || replaced != has)
			goto bad;
		bwt_model_set(m, i, v);
		return true;
	}
	r -= 100;
	if (r < 10)
		return bwt_mt_scan(mt);
	ret = bwtree_lookup(mt->tree, k, &got);
	if (ret != (has ? 0 : -ENOENT) || (has && got != m->vals[i]))
		goto bad;
	return true;
bad:
	KUNIT_FAIL(test,
		   "op %lu (r %u) key %lld present %d value %#llx: returned %d, value %#llx, replaced %d",
		   mt->op, r, k, has, has ? m->vals[i] : 0, ret, got, replaced);
	return false;
}

/*
 * @ops random operations over a universe of @nr keys in @phases phases; the
 * tree is validated after each phase and compared whole with the model after
 * every second one and at the end.
 */
static void bwt_mt_run(struct kunit *test, const struct bwtree_params *p,
		       unsigned int nr, unsigned int ops, unsigned int phases,
		       u64 salt)
{
	struct bwtree_stats stats;
	struct bwt_mt *mt;
	unsigned int ph, i;

	mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mt);
	mt->test = test;
	bwt_rng_seed(&mt->rng, bwt_kunit_seed(test, salt));
	bwt_model_init(test, &mt->m, nr);
	mt->tree = bwt_kunit_create(test, p);

	for (ph = 0; ph < phases; ph++) {
		/* Even phases fill to ~80%, odd ones drain to ~18%. */
		unsigned int ins = ph & 1 ? 70 : 300, del = ph & 1 ? 330 : 75;

		for (i = 0; i < ops / phases; i++)
			if (!bwt_mt_op(mt, ins, del))
				return;
		KUNIT_ASSERT_EQ_MSG(test, bwtree_validate(mt->tree), 0,
				    "after phase %u", ph);
		KUNIT_ASSERT_EQ(test, bwtree_count(mt->tree), mt->m.count);
		if (ph & 1)
			KUNIT_ASSERT_TRUE_MSG(test, bwt_check_tree(test, mt->tree, &mt->m),
					      "after phase %u", ph);
		KUNIT_EXPECT_TRUE(test, bwt_check_shape(test, mt->tree, &stats));
		kunit_info(test,
			   "phase %u: %llu keys, height %llu, splits %llu, merges %llu, consolidations %llu\n",
			   ph, stats.count, stats.height, stats.splits,
			   stats.merges, stats.consolidations);
	}
	/* Drain: the tree goes back to one empty leaf. */
	for (i = 0; i < mt->m.nr; i++) {
		u64 v;

		if (!bwt_model_has(&mt->m, i))
			continue;
		KUNIT_ASSERT_EQ(test, bwtree_delete(mt->tree, mt->m.keys[i], &v), 0);
		KUNIT_ASSERT_EQ(test, v, mt->m.vals[i]);
		bwt_model_clear(&mt->m, i);
	}
	KUNIT_ASSERT_TRUE(test, bwt_check_tree(test, mt->tree, &mt->m));
	bwtree_get_stats(mt->tree, &stats);
	KUNIT_EXPECT_EQ(test, stats.height, 1ULL);
	KUNIT_EXPECT_GT(test, stats.consolidations, 0ULL);
	if (stats.splits)
		KUNIT_EXPECT_GT(test, stats.merges, 0ULL);
}

/*
 * The main model run: random operations on small nodes, as three runs of
 * their own seeds, so that no one KUnit case runs for long (each case is a
 * hang guard's unit, scripts/guest-init): about 30 s each in the debug
 * guest.  The userspace harness runs the same core for millions.
 */
#define BWT_MT_RUNS	3

static const unsigned int bwt_mt_runs[BWT_MT_RUNS] = { 1, 2, 3 };

static void bwt_mt_run_desc(const unsigned int *run, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "run%u", *run);
}

KUNIT_ARRAY_PARAM(bwt_mt_run, bwt_mt_runs, bwt_mt_run_desc);

static void bwt_mt_random(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 4,
	};
	const unsigned int *run = test->param_value;

	bwt_mt_run(test, &p, BWT_MT_KEYS, 12000, 4, 100 + *run);
}

static void bwt_mt_set_desc(const struct bwt_param_set *s, char *desc)
{
	strscpy(desc, s->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bwt_mt_set, bwt_param_sets, bwt_mt_set_desc);

/* Fewer operations under each parameter set. */
static void bwt_mt_params(struct kunit *test)
{
	const struct bwt_param_set *s = test->param_value;

	bwt_mt_run(test, &s->params, BWT_MT_KEYS / 2, 3000, 2, s - bwt_param_sets + 1);
}

/*
 * The trees bwt_mt_scans() runs on: a deep one of small nodes, and two of
 * leaves larger than the pieces a scan folds a leaf with deltas in (48
 * items, scan.c), one with chains short enough to fold on the stack, one
 * with leaves too large and chains too long for that.
 */
static const struct bwt_param_set bwt_mt_shapes[] = {
	{ "deep", { .leaf_max = 4, .inner_max = 4, .chain_max = 2 } },
	{ "leaf96-chain6", { .leaf_max = 96, .inner_max = 8, .chain_max = 6 } },
	{ "leaf512-chain64", { .leaf_max = 512, .inner_max = 8, .chain_max = 64 } },
};

KUNIT_ARRAY_PARAM(bwt_mt_shape, bwt_mt_shapes, bwt_mt_set_desc);

/* Scans of every shape on a fixed tree. */
static void bwt_mt_scans(struct kunit *test)
{
	const struct bwt_param_set *shape = test->param_value;
	const struct bwtree_params p = shape->params;
	struct bwt_mt *mt;
	unsigned int i, f, max;
	u64 v;

	mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mt);
	mt->test = test;
	bwt_rng_seed(&mt->rng, bwt_kunit_seed(test, 0));
	bwt_model_init(test, &mt->m, 1024);
	mt->tree = bwt_kunit_create(test, &p);

	/* Empty tree: every range is empty. */
	for (f = 0; f < 2; f++) {
		KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m, S64_MIN,
						       S64_MAX, f, 1, NULL, NULL));
		KUNIT_ASSERT_TRUE(test, bwt_check_scan_cb(test, mt->tree, &mt->m, 0, 0, f));
	}

	/* Every third key of the universe, and both extremes. */
	for (i = 0; i < mt->m.nr; i++) {
		if (i % 3 && i != mt->m.nr - 1)
			continue;
		v = bwt_rng_next(&mt->rng);
		KUNIT_ASSERT_EQ(test, bwtree_insert(mt->tree, mt->m.keys[i], v), 0);
		bwt_model_set(&mt->m, i, v);
	}
	KUNIT_ASSERT_TRUE(test, bwt_check_tree(test, mt->tree, &mt->m));

	for (f = 0; f <= BWTREE_SCAN_REVERSE; f += BWTREE_SCAN_REVERSE) {
		for (max = 1; max <= 9; max += 4) {
			/* Full range, across every leaf. */
			KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m,
							       S64_MIN, S64_MAX, f,
							       max, NULL, NULL));
			/* Ranges between two present keys: empty. */
			KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m,
							       mt->m.keys[3 * max + 1],
							       mt->m.keys[3 * max + 2],
							       f, max, NULL, NULL));
			/* Single keys, present and absent. */
			KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m,
							       mt->m.keys[3 * max],
							       mt->m.keys[3 * max],
							       f, max, NULL, NULL));
			KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m,
							       mt->m.keys[3 * max + 1],
							       mt->m.keys[3 * max + 1],
							       f, max, NULL, NULL));
		}
		/* Bounded ranges with bounds on, next to and between keys. */
		for (i = 0; i < 40; i++) {
			s64 lo, hi;

			bwt_mt_range(mt, &lo, &hi);
			max = bwt_mt_maxes[i % ARRAY_SIZE(bwt_mt_maxes)];
			KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m,
							       lo, hi, f, max,
							       NULL, NULL));
			KUNIT_ASSERT_TRUE(test, bwt_check_scan_cb(test, mt->tree,
								  &mt->m, lo, hi, f));
		}
		/* Full scans with inserts and deletes between the batches. */
		for (i = 1; i < 6; i++)
			KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, mt->tree, &mt->m,
							       S64_MIN, S64_MAX, f,
							       bwt_mt_maxes[i], bwt_mt_between,
							       mt));
		KUNIT_ASSERT_TRUE(test, bwt_check_tree(test, mt->tree, &mt->m));
	}
}

static struct kunit_case bwt_mt_cases[] = {
	BWT_CASE_PARAM_SLOW(bwt_mt_scans, bwt_mt_shape_gen_params),
	BWT_CASE_PARAM_SLOW(bwt_mt_params, bwt_mt_set_gen_params),
	BWT_CASE_PARAM_SLOW(bwt_mt_random, bwt_mt_run_gen_params),
	{}
};

static struct kunit_suite bwt_mt_suite = {
	.name = "bwtree_model",
	.test_cases = bwt_mt_cases,
};

kunit_test_suite(bwt_mt_suite);
