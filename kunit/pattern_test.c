// SPDX-License-Identifier: GPL-2.0
/*
 * Node sizes and thresholds crossed with key patterns (suite
 * bwtree_pattern).  Each parameter fills a tree in one pattern,
 * checks it whole, replaces and deletes half of it, checks again, and
 * deletes the rest: the tree must then be a single empty leaf.
 *
 * Prefix: bwt_pattern_.
 */
#include <linux/module.h>

#include "bwtree_kunit.h"

#define BWT_PATTERN_KEYS	200

enum bwt_pattern {
	BWT_ASCENDING,
	BWT_DESCENDING,
	BWT_RANDOM,
	BWT_CLUSTERED,
	BWT_NEGATIVE,
	BWT_EXTREMES,
	BWT_NR_PATTERNS,
};

static const char * const bwt_pattern_names[BWT_NR_PATTERNS] = {
	[BWT_ASCENDING] = "ascending",
	[BWT_DESCENDING] = "descending",
	[BWT_RANDOM] = "random",
	[BWT_CLUSTERED] = "clustered",
	[BWT_NEGATIVE] = "negative",
	[BWT_EXTREMES] = "s64-min-max",
};

struct bwt_pattern_case {
	unsigned int set;
	enum bwt_pattern pattern;
};

/* Every parameter set of bwt_param_sets[] with every pattern. */
static const struct bwt_pattern_case bwt_pattern_cases[] = {
	{ 0, BWT_ASCENDING }, { 0, BWT_DESCENDING }, { 0, BWT_RANDOM },
	{ 0, BWT_CLUSTERED }, { 0, BWT_NEGATIVE }, { 0, BWT_EXTREMES },
	{ 1, BWT_ASCENDING }, { 1, BWT_DESCENDING }, { 1, BWT_RANDOM },
	{ 1, BWT_CLUSTERED }, { 1, BWT_NEGATIVE }, { 1, BWT_EXTREMES },
	{ 2, BWT_ASCENDING }, { 2, BWT_DESCENDING }, { 2, BWT_RANDOM },
	{ 2, BWT_CLUSTERED }, { 2, BWT_NEGATIVE }, { 2, BWT_EXTREMES },
	{ 3, BWT_ASCENDING }, { 3, BWT_DESCENDING }, { 3, BWT_RANDOM },
	{ 3, BWT_CLUSTERED }, { 3, BWT_NEGATIVE }, { 3, BWT_EXTREMES },
	{ 4, BWT_ASCENDING }, { 4, BWT_DESCENDING }, { 4, BWT_RANDOM },
	{ 4, BWT_CLUSTERED }, { 4, BWT_NEGATIVE }, { 4, BWT_EXTREMES },
};

static void bwt_pattern_desc(const struct bwt_pattern_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s/%s",
		 bwt_param_sets[c->set].name, bwt_pattern_names[c->pattern]);
}

KUNIT_ARRAY_PARAM(bwt_pattern, bwt_pattern_cases, bwt_pattern_desc);

/* The keys of @pattern in the order they are inserted. */
static void bwt_pattern_keys(enum bwt_pattern pattern, s64 *keys,
			     unsigned int n, struct bwt_rng *rng)
{
	u64 salt = bwt_rng_next(rng);
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		switch (pattern) {
		case BWT_ASCENDING:
			keys[i] = ((s64)i - n / 2) * 1000;
			break;
		case BWT_DESCENDING:
			keys[i] = ((s64)(n - 1 - i) - n / 2) * 1000;
			break;
		case BWT_RANDOM:
			/* A bijection of distinct inputs: distinct keys. */
			keys[i] = (s64)bwt_mix(salt + i);
			break;
		case BWT_CLUSTERED:
			/* Eight runs of consecutive keys far apart, round robin. */
			keys[i] = ((s64)(i % 8) - 4) * (1LL << 60) + i / 8;
			break;
		case BWT_NEGATIVE:
			keys[i] = i == n - 1 ? S64_MIN : -1 - (s64)i * 7;
			break;
		case BWT_EXTREMES:
			keys[i] = i & 1 ? S64_MAX - i / 2 : S64_MIN + i / 2;
			break;
		default:
			keys[i] = 0;
			break;
		}
	}
	if (pattern == BWT_NEGATIVE || pattern == BWT_CLUSTERED) {
		/* Fisher-Yates, so the order is random but the keys are not. */
		for (i = n - 1; i > 0; i--) {
			s64 tmp;

			j = bwt_rng_below(rng, i + 1);
			tmp = keys[i];
			keys[i] = keys[j];
			keys[j] = tmp;
		}
	}
}

static void bwt_pattern_run(struct kunit *test)
{
	const struct bwt_pattern_case *c = test->param_value;
	const struct bwtree_params *p = &bwt_param_sets[c->set].params;
	const unsigned int n = BWT_PATTERN_KEYS;
	struct bwtree_stats stats, full;
	struct bwt_model m;
	struct bwtree *tree;
	struct bwt_rng rng;
	bool replaced;
	unsigned int i;
	int *idx;
	s64 *keys;
	u64 v;

	bwt_rng_seed(&rng, bwt_kunit_seed(test, c->set * BWT_NR_PATTERNS + c->pattern));
	keys = kunit_kmalloc_array(test, n, sizeof(*keys), GFP_KERNEL);
	idx = kunit_kmalloc_array(test, n, sizeof(*idx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, keys);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, idx);
	bwt_pattern_keys(c->pattern, keys, n, &rng);
	bwt_model_init_keys(test, &m, keys, n);
	for (i = 0; i < n; i++)
		idx[i] = bwt_model_find(&m, keys[i]);
	tree = bwt_kunit_create(test, p);

	/* Fill, validating as the tree grows. */
	for (i = 0; i < n; i++) {
		v = bwt_rng_next(&rng);
		KUNIT_ASSERT_EQ_MSG(test, bwtree_insert(tree, keys[i], v), 0,
				    "insert %u: key %lld", i, keys[i]);
		bwt_model_set(&m, idx[i], v);
		if (i % (n / 4) == n / 4 - 1)
			KUNIT_ASSERT_EQ_MSG(test, bwtree_validate(tree), 0,
					    "after %u inserts", i + 1);
	}
	KUNIT_ASSERT_TRUE(test, bwt_check_tree(test, tree, &m));
	KUNIT_EXPECT_TRUE(test, bwt_check_shape(test, tree, &full));
	if (p->leaf_max && p->leaf_max <= 8) {
		KUNIT_EXPECT_GT(test, full.splits, 0ULL);
		KUNIT_EXPECT_GE(test, full.height, 3ULL);
	}
	kunit_info(test,
		   "full: height %llu, pages %llu, splits %llu, consolidations %llu, bytes %llu\n",
		   full.height, full.pages, full.splits, full.consolidations,
		   full.bytes);

	/* Inserting a present key fails; upserting it replaces. */
	for (i = 0; i < n; i += 5)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, keys[i], 0), -EEXIST);
	for (i = 0; i < n; i += 3) {
		v = bwt_rng_next(&rng);
		replaced = false;
		KUNIT_ASSERT_EQ(test, bwtree_upsert(tree, keys[i], v, &replaced), 0);
		KUNIT_ASSERT_TRUE(test, replaced);
		bwt_model_set(&m, idx[i], v);
	}

	/* Delete the first half in the order of insertion. */
	for (i = 0; i < n / 2; i++) {
		v = 0;
		KUNIT_ASSERT_EQ_MSG(test, bwtree_delete(tree, keys[i], &v), 0,
				    "delete %u: key %lld", i, keys[i]);
		KUNIT_ASSERT_EQ(test, v, m.vals[idx[i]]);
		bwt_model_clear(&m, idx[i]);
	}
	KUNIT_ASSERT_TRUE(test, bwt_check_tree(test, tree, &m));
	KUNIT_EXPECT_TRUE(test, bwt_check_shape(test, tree, &stats));
	for (i = 0; i < 8; i++) {
		unsigned int a = bwt_rng_below(&rng, n), b = bwt_rng_below(&rng, n);

		KUNIT_ASSERT_TRUE(test, bwt_check_scan(test, tree, &m,
						       m.keys[min(a, b)],
						       m.keys[max(a, b)],
						       i & 1 ? BWTREE_SCAN_REVERSE : 0,
						       1 + i * 3, NULL, NULL));
	}

	/* Delete the rest, last inserted first. */
	for (i = n - 1; i >= n / 2; i--) {
		v = 0;
		KUNIT_ASSERT_EQ_MSG(test, bwtree_delete(tree, keys[i], &v), 0,
				    "delete %u: key %lld", i, keys[i]);
		KUNIT_ASSERT_EQ(test, v, m.vals[idx[i]]);
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, keys[i], &v), -ENOENT);
		bwt_model_clear(&m, idx[i]);
	}
	KUNIT_ASSERT_TRUE(test, bwt_check_tree(test, tree, &m));
	bwtree_get_stats(tree, &stats);
	KUNIT_EXPECT_EQ(test, stats.count, 0ULL);
	KUNIT_EXPECT_EQ(test, stats.height, 1ULL);
	if (full.height > 1)
		KUNIT_EXPECT_GT(test, stats.merges, 0ULL);
}

static struct kunit_case bwt_pattern_test_cases[] = {
	BWT_CASE_PARAM_SLOW(bwt_pattern_run, bwt_pattern_gen_params),
	{}
};

static struct kunit_suite bwt_pattern_suite = {
	.name = "bwtree_pattern",
	.test_cases = bwt_pattern_test_cases,
};

kunit_test_suite(bwt_pattern_suite);
