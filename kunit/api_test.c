// SPDX-License-Identifier: GPL-2.0
/*
 * One or more cases for each function of include/bwtree.h: what each
 * returns, for good arguments and bad ones (suite bwtree_api).
 *
 * Prefix: bwt_api_ for the cases and their helpers.
 */
#include <linux/delay.h>
#include <linux/limits.h>
#include <linux/module.h>

#include "bwtree_kunit.h"

static const struct bwtree_params bwt_api_tiny = {
	.leaf_max = 4, .inner_max = 4, .chain_max = 2,
};

/* Values that are not a simple function of the key. */
static u64 bwt_api_val(s64 key)
{
	return bwt_mix((u64)key ^ 0xa5a5a5a5a5a5a5a5ULL);
}

static void bwt_api_create_default(struct kunit *test)
{
	struct bwtree_params zero = { 0 }, got;
	struct bwtree *tree, *other;
	struct bwtree_stats stats;
	struct bwtree_pair out[4];
	bool done = false;
	s64 next;
	u64 v;

	tree = bwt_kunit_create(test, &zero);
	bwtree_get_params(tree, &got);
	kunit_info(test, "defaults: leaf_max %u inner_max %u chain_max %u\n",
		   got.leaf_max, got.inner_max, got.chain_max);
	KUNIT_EXPECT_GE(test, got.leaf_max, BWTREE_MIN_NODE);
	KUNIT_EXPECT_LE(test, got.leaf_max, BWTREE_MAX_NODE);
	KUNIT_EXPECT_GE(test, got.inner_max, BWTREE_MIN_NODE);
	KUNIT_EXPECT_LE(test, got.inner_max, BWTREE_MAX_NODE);
	KUNIT_EXPECT_GE(test, got.chain_max, 1U);
	KUNIT_EXPECT_LE(test, got.chain_max, BWTREE_MAX_CHAIN);
	KUNIT_EXPECT_EQ(test, got.max_bytes, 0UL);
	KUNIT_EXPECT_PTR_EQ(test, got.account, NULL);

	/* A new tree is one empty leaf. */
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 0ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 0, &v), -ENOENT);
	bwtree_get_stats(tree, &stats);
	KUNIT_EXPECT_EQ(test, stats.count, 0ULL);
	KUNIT_EXPECT_EQ(test, stats.height, 1ULL);
	KUNIT_EXPECT_EQ(test, stats.splits, 0ULL);
	KUNIT_EXPECT_EQ(test, stats.merges, 0ULL);
	KUNIT_EXPECT_GE(test, stats.records[BWTREE_LEAF], 1ULL);
	KUNIT_EXPECT_GE(test, stats.pages, 1ULL);
	KUNIT_EXPECT_GT(test, stats.bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, S64_MIN, S64_MAX, 0, out,
						ARRAY_SIZE(out), &next, &done),
			0);
	KUNIT_EXPECT_TRUE(test, done);

	/* NULL parameters are the defaults too. */
	other = bwt_kunit_create(test, NULL);
	bwtree_get_params(other, &zero);
	KUNIT_EXPECT_EQ(test, zero.leaf_max, got.leaf_max);
	KUNIT_EXPECT_EQ(test, zero.inner_max, got.inner_max);
	KUNIT_EXPECT_EQ(test, zero.chain_max, got.chain_max);
	KUNIT_EXPECT_EQ(test, bwtree_insert(other, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, bwtree_validate(other), 0);
	bwt_kunit_destroy(test, other);

	/* Two trees are independent. */
	memset(&zero, 0, sizeof(zero));
	other = bwt_kunit_create(test, &zero);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 5, 50), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(other, 5, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_count(other), 0ULL);
	KUNIT_EXPECT_EQ(test, bwtree_insert(other, 5, 51), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 5, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 50ULL);
	bwt_kunit_destroy(test, other);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 5, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 50ULL);

	/* Destroying a tree that holds keys frees them all (kmemleak). */
	for (next = 0; next < 300; next++)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, next * 7, next), 0);
}

static const struct bwtree_params bwt_api_custom[] = {
	{ .leaf_max = 4, .inner_max = 4, .chain_max = 2 },
	{ .leaf_max = 4, .inner_max = 512, .chain_max = 1 },
	{ .leaf_max = 512, .inner_max = 4, .chain_max = 64 },
	{ .leaf_max = 7, .inner_max = 13, .chain_max = 5, .max_bytes = 1UL << 30 },
};

static void bwt_api_create_custom(struct kunit *test)
{
	unsigned int p;

	for (p = 0; p < ARRAY_SIZE(bwt_api_custom); p++) {
		const struct bwtree_params *want = &bwt_api_custom[p];
		struct bwtree_params got;
		struct bwtree *tree;
		s64 k;
		u64 v;

		tree = bwt_kunit_create(test, want);
		bwtree_get_params(tree, &got);
		KUNIT_EXPECT_EQ(test, got.leaf_max, want->leaf_max);
		KUNIT_EXPECT_EQ(test, got.inner_max, want->inner_max);
		KUNIT_EXPECT_EQ(test, got.chain_max, want->chain_max);
		KUNIT_EXPECT_EQ(test, got.max_bytes, want->max_bytes);
		KUNIT_EXPECT_PTR_EQ(test, got.account, NULL);

		/* The tree works with these parameters. */
		for (k = -100; k < 100; k++)
			KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k * 11, bwt_api_val(k)), 0);
		KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
		KUNIT_EXPECT_EQ(test, bwtree_count(tree), 200ULL);
		for (k = -100; k < 100; k++) {
			KUNIT_ASSERT_EQ(test, bwtree_lookup(tree, k * 11, &v), 0);
			KUNIT_ASSERT_EQ(test, v, bwt_api_val(k));
		}
		for (k = -100; k < 100; k += 2)
			KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k * 11, &v), 0);
		KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
		KUNIT_EXPECT_EQ(test, bwtree_count(tree), 100ULL);
		bwt_kunit_destroy(test, tree);
	}
}

static const struct {
	struct bwtree_params params;
	bool valid;
} bwt_api_limits[] = {
	{ { .leaf_max = 1 }, false },
	{ { .leaf_max = BWTREE_MIN_NODE - 1 }, false },
	{ { .leaf_max = BWTREE_MIN_NODE }, true },
	{ { .leaf_max = BWTREE_MAX_NODE }, true },
	{ { .leaf_max = BWTREE_MAX_NODE + 1 }, false },
	{ { .leaf_max = UINT_MAX }, false },
	{ { .inner_max = 2 }, false },
	{ { .inner_max = BWTREE_MIN_NODE - 1 }, false },
	{ { .inner_max = BWTREE_MIN_NODE }, true },
	{ { .inner_max = BWTREE_MAX_NODE }, true },
	{ { .inner_max = BWTREE_MAX_NODE + 1 }, false },
	{ { .inner_max = UINT_MAX }, false },
	{ { .chain_max = 1 }, true },
	{ { .chain_max = BWTREE_MAX_CHAIN }, true },
	{ { .chain_max = BWTREE_MAX_CHAIN + 1 }, false },
	{ { .chain_max = UINT_MAX }, false },
	{ { .leaf_max = 8, .inner_max = BWTREE_MAX_NODE + 1, .chain_max = 4 }, false },
	{ { .leaf_max = BWTREE_MAX_NODE + 1, .inner_max = 8, .chain_max = 4 }, false },
	{ { .leaf_max = 8, .inner_max = 8, .chain_max = BWTREE_MAX_CHAIN + 1 }, false },
};

static void bwt_api_create_invalid(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bwt_api_limits); i++) {
		const struct bwtree_params *p = &bwt_api_limits[i].params;
		struct bwtree *tree = bwtree_create(p);

		if (bwt_api_limits[i].valid) {
			KUNIT_EXPECT_FALSE_MSG(test, IS_ERR_OR_NULL(tree),
					       "leaf_max %u inner_max %u chain_max %u: %ld",
					       p->leaf_max, p->inner_max,
					       p->chain_max, PTR_ERR(tree));
			if (!IS_ERR_OR_NULL(tree)) {
				KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 1, 1), 0);
				bwtree_destroy(tree);
			}
			continue;
		}
		KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(tree) && PTR_ERR(tree) == -EINVAL,
				      "leaf_max %u inner_max %u chain_max %u: %pe",
				      p->leaf_max, p->inner_max, p->chain_max,
				      tree);
		if (!IS_ERR_OR_NULL(tree))
			bwtree_destroy(tree);
	}
}

static void bwt_api_insert(struct kunit *test)
{
	static const s64 keys[] = { 0, -1, 1, S64_MIN, S64_MAX, S64_MIN + 1,
				    S64_MAX - 1, 1LL << 40, -(1LL << 40) };
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	unsigned int i;
	s64 k;
	u64 v;

	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 10, 100), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 10, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 100ULL);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 10, 200), -EEXIST);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 10, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 100ULL);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 1ULL);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, 10, &v), 0);

	/* Extreme keys and values. */
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		u64 val = i & 1 ? U64_MAX : (u64)i;

		KUNIT_EXPECT_EQ(test, bwtree_insert(tree, keys[i], val), 0);
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		u64 val = i & 1 ? U64_MAX : (u64)i;

		KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, keys[i], &v), 0);
		KUNIT_EXPECT_EQ(test, v, val);
		KUNIT_EXPECT_EQ(test, bwtree_insert(tree, keys[i], 7), -EEXIST);
		KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, keys[i], &v), 0);
		KUNIT_EXPECT_EQ(test, v, val);
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), (u64)ARRAY_SIZE(keys));
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);

	/* -EEXIST holds in a deep tree too, and leaves the value alone. */
	for (k = 1000; k < 1300; k++)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, bwt_api_val(k)), 0);
	for (k = 1000; k < 1300; k++) {
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, 0), -EEXIST);
		KUNIT_ASSERT_EQ(test, bwtree_lookup(tree, k, &v), 0);
		KUNIT_ASSERT_EQ(test, v, bwt_api_val(k));
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), ARRAY_SIZE(keys) + 300ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
}

static void bwt_api_upsert(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	bool replaced = true;
	s64 k;
	u64 v;

	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, S64_MIN, 1, &replaced), 0);
	KUNIT_EXPECT_FALSE(test, replaced);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 1ULL);
	replaced = false;
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, S64_MIN, 2, &replaced), 0);
	KUNIT_EXPECT_TRUE(test, replaced);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2ULL);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 1ULL);

	/* @replaced may be NULL. */
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, S64_MIN, 4, NULL), 0);
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, S64_MAX, 5, NULL), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 4ULL);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 2ULL);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, S64_MAX, &v), 0);
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, S64_MIN, 2, NULL), 0);

	/* After a delete, the key is new again. */
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, S64_MIN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2ULL);
	replaced = true;
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, S64_MIN, 3, &replaced), 0);
	KUNIT_EXPECT_FALSE(test, replaced);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 3ULL);

	/* Across many leaves: every other key exists. */
	for (k = 0; k < 400; k += 2)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, 0), 0);
	for (k = 0; k < 400; k++) {
		replaced = !(k & 1);
		KUNIT_ASSERT_EQ(test, bwtree_upsert(tree, k, bwt_api_val(k), &replaced), 0);
		KUNIT_ASSERT_EQ_MSG(test, replaced, !(k & 1), "key %lld", k);
	}
	for (k = 0; k < 400; k++) {
		KUNIT_ASSERT_EQ(test, bwtree_lookup(tree, k, &v), 0);
		KUNIT_ASSERT_EQ(test, v, bwt_api_val(k));
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 401ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
}

static void bwt_api_delete(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	s64 k;
	u64 v;

	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, 0, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, S64_MIN, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, S64_MAX, &v), -ENOENT);

	for (k = -300; k < 300; k += 3)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, bwt_api_val(k)), 0);
	/* Absent keys: between, below and above the present ones. */
	for (k = -302; k < 302; k++) {
		if (k % 3 == 0)
			continue;
		KUNIT_ASSERT_EQ_MSG(test, bwtree_delete(tree, k, &v), -ENOENT,
				    "key %lld", k);
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 200ULL);

	/* Present keys give their value back, once. */
	for (k = -300; k < 300; k += 6) {
		v = 0;
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k, &v), 0);
		KUNIT_ASSERT_EQ(test, v, bwt_api_val(k));
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k, &v), -ENOENT);
		KUNIT_ASSERT_EQ(test, bwtree_lookup(tree, k, &v), -ENOENT);
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 100ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	/* @value may be NULL. */
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, -300, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, 297, NULL), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 297, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 297, bwt_api_val(297)), 0);
	for (k = -297; k < 300; k += 6) {
		KUNIT_ASSERT_EQ(test, bwtree_lookup(tree, k, &v), 0);
		KUNIT_ASSERT_EQ(test, v, bwt_api_val(k));
	}
}

static void bwt_api_lookup(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	s64 k;
	u64 v;

	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 0, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MAX, &v), -ENOENT);

	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, S64_MIN, 11), 0);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, S64_MAX, 22), 0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 11ULL);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MAX, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 22ULL);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN + 1, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MAX - 1, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 0, &v), -ENOENT);

	for (k = 0; k < 500; k += 5)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, bwt_api_val(k)), 0);
	for (k = -5; k < 505; k++) {
		int ret = bwtree_lookup(tree, k, &v);

		if (k >= 0 && k < 500 && k % 5 == 0) {
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "key %lld", k);
			KUNIT_ASSERT_EQ_MSG(test, v, bwt_api_val(k), "key %lld", k);
		} else {
			KUNIT_ASSERT_EQ_MSG(test, ret, -ENOENT, "key %lld", k);
		}
	}
}

/*
 * A lookup that finds its leaf's chain two deltas long folds it: the
 * answer first, then one consolidation, and the next lookups read a bare
 * base node (no deltas left, nothing more consolidated).
 */
static void bwt_api_lookup_fold(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 16, .inner_max = 16, .chain_max = 8,
	};
	struct bwtree *tree = bwt_kunit_create(test, &p);
	struct bwtree_stats s0, s1, s2;
	bool replaced;
	s64 k;
	u64 v;

	/* One leaf, a single delta: no fold. */
	KUNIT_ASSERT_EQ(test, bwtree_insert(tree, 1, bwt_api_val(1)), 0);
	bwtree_get_stats(tree, &s0);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 1, &v), 0);
	KUNIT_EXPECT_EQ(test, v, bwt_api_val(1));
	bwtree_get_stats(tree, &s1);
	KUNIT_EXPECT_EQ(test, s1.consolidations, s0.consolidations);
	KUNIT_EXPECT_EQ(test, s1.records[BWTREE_INSERT], 1ULL);

	/* Two deltas (an insert and an upsert): the lookup folds them. */
	KUNIT_ASSERT_EQ(test, bwtree_upsert(tree, 2, bwt_api_val(2), &replaced),
			0);
	bwtree_get_stats(tree, &s1);
	KUNIT_EXPECT_EQ(test, s1.records[BWTREE_INSERT], 2ULL);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 3, &v), -ENOENT);
	bwtree_get_stats(tree, &s2);
	KUNIT_EXPECT_EQ(test, s2.consolidations, s1.consolidations + 1);
	KUNIT_EXPECT_EQ(test, s2.records[BWTREE_INSERT], 0ULL);
	for (k = 1; k <= 2; k++) {
		KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, k, &v), 0);
		KUNIT_EXPECT_EQ(test, v, bwt_api_val(k));
	}
	bwtree_get_stats(tree, &s1);
	KUNIT_EXPECT_EQ(test, s1.consolidations, s2.consolidations);
	KUNIT_EXPECT_EQ(test, s1.count, 2ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
}

#define BWT_API_BATCH_MAX	300
#define BWT_API_UNSET		0x5eed5eed5eed5eedULL	/* never a value here */

/*
 * One batch against single lookups: the same answers key by key, the count
 * of keys found returned, and absent keys' values left alone.
 */
static void bwt_api_expect_same(struct kunit *test, struct bwtree *tree,
				const s64 *keys, unsigned int n, u64 *vals,
				bool *found)
{
	unsigned int i, hits = 0;
	int ret;

	for (i = 0; i < n; i++) {
		vals[i] = BWT_API_UNSET;
		found[i] = i % 2;	/* whatever it was, it gets set */
	}
	ret = bwtree_lookup_batch(tree, keys, n, vals, found);
	for (i = 0; i < n; i++) {
		u64 v = BWT_API_UNSET;
		int one = bwtree_lookup(tree, keys[i], &v);

		KUNIT_ASSERT_EQ_MSG(test, found[i], !one, "key %lld (%u of %u)",
				    keys[i], i, n);
		KUNIT_ASSERT_EQ_MSG(test, vals[i], v, "key %lld (%u of %u)",
				    keys[i], i, n);
		hits += found[i];
	}
	KUNIT_ASSERT_EQ(test, ret, (int)hits);
}

/* bwtree_lookup_batch(): each key answered as bwtree_lookup() answers it. */
static void bwt_api_lookup_batch(struct kunit *test)
{
	static const unsigned int sizes[] = {
		1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129,
		BWT_API_BATCH_MAX,
	};
	static const struct bwtree_params shapes[] = {
		{ .leaf_max = 4, .inner_max = 4, .chain_max = 2 },	/* deep */
		{ 0 },							/* defaults */
	};
	DECLARE_BITMAP(present, 1000);	/* key 3 * i */
	struct bwt_rng rng;
	unsigned int si, z, i, round;
	bool *found;
	u64 *vals;
	s64 *keys;
	s64 k;

	keys = kunit_kcalloc(test, BWT_API_BATCH_MAX, sizeof(*keys), GFP_KERNEL);
	vals = kunit_kcalloc(test, BWT_API_BATCH_MAX, sizeof(*vals), GFP_KERNEL);
	found = kunit_kcalloc(test, BWT_API_BATCH_MAX, sizeof(*found), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, keys);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vals);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, found);
	bwt_rng_seed(&rng, bwt_kunit_seed(test, 0));

	for (si = 0; si < ARRAY_SIZE(shapes); si++) {
		struct bwtree *tree = bwt_kunit_create(test, &shapes[si]);

		/* n == 0 touches nothing; n above INT_MAX is refused. */
		KUNIT_EXPECT_EQ(test, bwtree_lookup_batch(tree, NULL, 0, NULL, NULL), 0);
		KUNIT_EXPECT_EQ(test, bwtree_lookup_batch(tree, NULL, (unsigned int)INT_MAX + 1,
							  NULL, NULL), -EINVAL);
		/* An empty tree, and the extreme keys. */
		keys[0] = S64_MIN;
		keys[1] = S64_MAX;
		keys[2] = 0;
		bwt_api_expect_same(test, tree, keys, 3, vals, found);
		KUNIT_EXPECT_FALSE(test, found[0] || found[1] || found[2]);

		/* Every third key of [0, 3000), so absent keys sit between. */
		for (k = 0; k < 3000; k += 3)
			KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, bwt_api_val(k)), 0);
		bitmap_fill(present, 1000);
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, S64_MIN, 1), 0);
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, S64_MAX, 2), 0);
		bwt_api_expect_same(test, tree, keys, 3, vals, found);
		KUNIT_EXPECT_TRUE(test, found[0] && found[1] && found[2]);
		KUNIT_EXPECT_EQ(test, vals[0], 1ULL);
		KUNIT_EXPECT_EQ(test, vals[1], 2ULL);

		for (round = 0; round < 4; round++) {
			for (z = 0; z < ARRAY_SIZE(sizes); z++) {
				unsigned int n = sizes[z];

				for (i = 0; i < n; i++) {
					if (i && !bwt_rng_below(&rng, 6))	/* a duplicate */
						keys[i] = keys[bwt_rng_below(&rng, i)];
					else
						keys[i] = (s64)bwt_rng_below(&rng, 3100) - 50;
				}
				bwt_api_expect_same(test, tree, keys, n, vals, found);
				for (i = 0; i < n; i++) {
					k = keys[i];
					KUNIT_ASSERT_EQ_MSG(test, found[i],
							    k >= 0 && k < 3000 && k % 3 == 0 &&
							    test_bit(k / 3, present),
							    "key %lld", k);
					if (found[i])
						KUNIT_ASSERT_EQ(test, vals[i], bwt_api_val(k));
				}
			}
			/*
			 * Deltas on the leaves: delete some keys, and in odd
			 * rounds put them back.
			 */
			for (i = round; i < 1000; i += 7) {
				k = 3 * (s64)i;
				if (test_bit(i, present)) {
					KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k, NULL), 0);
					__clear_bit(i, present);
				}
				if (round % 2) {
					KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k,
									    bwt_api_val(k)), 0);
					__set_bit(i, present);
				}
			}
		}
		/* All of one key. */
		for (i = 0; i < 70; i++)
			keys[i] = 999;
		bwt_api_expect_same(test, tree, keys, 70, vals, found);
		KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	}
}

static void bwt_api_count(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	u64 want = 0, v;
	bool replaced;
	s64 k;

	for (k = 0; k < 160; k++) {
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k * 3, k), 0);
		want++;
		KUNIT_ASSERT_EQ(test, bwtree_count(tree), want);
	}
	/* Failed inserts, replacing upserts and failed deletes change nothing. */
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 0, 1), -EEXIST);
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, 3, 1, &replaced), 0);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, 1, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), want);
	/* New upserts count. */
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, 1, 1, &replaced), 0);
	want++;
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), want);
	for (k = 159; k >= 0; k--) {
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k * 3, &v), 0);
		want--;
		KUNIT_ASSERT_EQ(test, bwtree_count(tree), want);
	}
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, 1, &v), 0);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 0ULL);
}

static void bwt_api_stats(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	struct bwtree *tree = bwt_kunit_create(test, &p);
	struct bwtree_stats s0, s1, s2, s3;
	unsigned int kind;
	bool replaced;
	s64 k;
	u64 v;

	bwtree_get_stats(tree, &s0);
	KUNIT_EXPECT_EQ(test, s0.count, 0ULL);
	KUNIT_EXPECT_EQ(test, s0.height, 1ULL);
	KUNIT_EXPECT_EQ(test, s0.records[BWTREE_LEAF], 1ULL);
	for (kind = BWTREE_INNER; kind < BWTREE_NR_KINDS; kind++)
		KUNIT_EXPECT_EQ_MSG(test, s0.records[kind], 0ULL, "kind %u", kind);
	KUNIT_EXPECT_EQ(test, s0.consolidations, 0ULL);

	/* A short chain is made of deltas: nothing consolidated yet. */
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, 2, 2), 0);
	KUNIT_EXPECT_EQ(test, bwtree_delete(tree, 1, &v), 0);
	bwtree_get_stats(tree, &s1);
	KUNIT_EXPECT_EQ(test, s1.count, 1ULL);
	KUNIT_EXPECT_GE(test, s1.records[BWTREE_INSERT], 1ULL);
	KUNIT_EXPECT_GE(test, s1.records[BWTREE_DELETE], 1ULL);
	KUNIT_EXPECT_GE(test, s1.longest_chain, 1ULL);

	/*
	 * A long run of upserts to one key: deltas until the chain is
	 * consolidated, then in place, into the base node (no deltas left).
	 */
	for (k = 0; k < 10 * p.chain_max; k++)
		KUNIT_ASSERT_EQ(test, bwtree_upsert(tree, 2, k, &replaced), 0);
	bwtree_get_stats(tree, &s2);
	KUNIT_EXPECT_GT(test, s2.consolidations, s1.consolidations);
	KUNIT_EXPECT_EQ(test, s2.records[BWTREE_INSERT] +
			s2.records[BWTREE_DELETE], 0ULL);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, 2, &v), 0);
	KUNIT_EXPECT_EQ(test, v, (u64)(10 * p.chain_max - 1));
	KUNIT_EXPECT_LE(test, s2.longest_chain, 2ULL * p.chain_max + 2);
	KUNIT_EXPECT_LE(test, s2.records[BWTREE_INSERT] + s2.records[BWTREE_DELETE],
			2ULL * p.chain_max + 2);
	KUNIT_EXPECT_EQ(test, s2.count, 1ULL);
	KUNIT_EXPECT_EQ(test, s2.height, 1ULL);

	/* Growth: splits, height, pages and bytes go up. */
	for (k = 100; k < 600; k++)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, k), 0);
	bwtree_get_stats(tree, &s3);
	KUNIT_EXPECT_EQ(test, s3.count, 501ULL);
	KUNIT_EXPECT_GT(test, s3.splits, 0ULL);
	KUNIT_EXPECT_GE(test, s3.height, 3ULL);
	KUNIT_EXPECT_GT(test, s3.pages, s2.pages);
	KUNIT_EXPECT_GT(test, s3.bytes, s2.bytes);
	KUNIT_EXPECT_GE(test, s3.records[BWTREE_LEAF],
			(u64)DIV_ROUND_UP(501, p.leaf_max + p.chain_max + 2));
	KUNIT_EXPECT_GE(test, s3.records[BWTREE_INNER], 1ULL);
	KUNIT_EXPECT_GE(test, s3.consolidations, s2.consolidations);
	KUNIT_EXPECT_GE(test, s3.longest_chain, s2.longest_chain);
	/* One thread alone never loses a compare-and-swap. */
	KUNIT_EXPECT_EQ(test, s3.cas_failures, 0ULL);

	/* Shrinking: merges, and the counters never go back. */
	for (k = 100; k < 600; k++)
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k, &v), 0);
	rcu_barrier();
	bwtree_get_stats(tree, &s1);
	KUNIT_EXPECT_EQ(test, s1.count, 1ULL);
	KUNIT_EXPECT_GT(test, s1.merges, s3.merges);
	KUNIT_EXPECT_GE(test, s1.splits, s3.splits);
	KUNIT_EXPECT_GE(test, s1.consolidations, s3.consolidations);
	KUNIT_EXPECT_LT(test, s1.height, s3.height);
	KUNIT_EXPECT_LT(test, s1.bytes, s3.bytes);
	KUNIT_EXPECT_EQ(test, s1.cas_failures, 0ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
}

struct bwt_api_cb {
	struct bwtree *copy;	/* insert each pair here when not NULL */
	s64 keys[16];
	unsigned int calls;
	unsigned int stop_at;	/* return @stop_ret on this call (1-based) */
	int stop_ret;
};

static int bwt_api_cb_fn(void *arg, s64 key, u64 value)
{
	struct bwt_api_cb *cb = arg;

	/* The callback runs outside RCU: it may sleep and allocate. */
	might_sleep();
	if (!cb->calls)
		usleep_range(1000, 2000);
	cond_resched();
	if (cb->calls < ARRAY_SIZE(cb->keys))
		cb->keys[cb->calls] = key;
	cb->calls++;
	if (value != bwt_api_val(key))
		return -EBADMSG;
	if (cb->copy) {
		int ret = bwtree_insert(cb->copy, key, value);

		if (ret)
			return ret;
	}
	return cb->calls == cb->stop_at ? cb->stop_ret : 0;
}

static void bwt_api_scan(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	struct bwtree *copy = bwt_kunit_create(test, &bwt_api_tiny);
	struct bwt_api_cb cb;
	unsigned int i;
	s64 k;
	u64 v;

	memset(&cb, 0, sizeof(cb));
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, S64_MIN, S64_MAX, 0,
					  bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, cb.calls, 0U);

	for (k = 0; k < 200; k++)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k * 10, bwt_api_val(k * 10)), 0);

	/* Ascending: exactly the keys in range, in order. */
	memset(&cb, 0, sizeof(cb));
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 15, 165, 0, bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, cb.calls, 15U);
	for (i = 0; i < 15; i++)
		KUNIT_EXPECT_EQ(test, cb.keys[i], 20LL + 10 * i);

	/* Descending, bounds inclusive. */
	memset(&cb, 0, sizeof(cb));
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 20, 160, BWTREE_SCAN_REVERSE,
					  bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, cb.calls, 15U);
	for (i = 0; i < 15; i++)
		KUNIT_EXPECT_EQ(test, cb.keys[i], 160LL - 10 * i);

	/* Empty ranges: between keys, below, above, a single absent key. */
	memset(&cb, 0, sizeof(cb));
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 11, 19, 0, bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, S64_MIN, -1, 0, bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 1991, S64_MAX, BWTREE_SCAN_REVERSE,
					  bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 5, 5, 0, bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, cb.calls, 0U);

	/* A single present key. */
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 50, 50, BWTREE_SCAN_REVERSE,
					  bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, cb.calls, 1U);
	KUNIT_EXPECT_EQ(test, cb.keys[0], 50LL);

	/* A non-zero return stops the scan and is returned. */
	memset(&cb, 0, sizeof(cb));
	cb.stop_at = 3;
	cb.stop_ret = 42;
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, S64_MIN, S64_MAX, 0,
					  bwt_api_cb_fn, &cb), 42);
	KUNIT_EXPECT_EQ(test, cb.calls, 3U);
	memset(&cb, 0, sizeof(cb));
	cb.stop_at = 1;
	cb.stop_ret = -EINTR;
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, S64_MIN, S64_MAX,
					  BWTREE_SCAN_REVERSE, bwt_api_cb_fn,
					  &cb), -EINTR);
	KUNIT_EXPECT_EQ(test, cb.calls, 1U);
	KUNIT_EXPECT_EQ(test, cb.keys[0], 1990LL);

	/* lo > hi is refused before any call. */
	memset(&cb, 0, sizeof(cb));
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 1, 0, 0, bwt_api_cb_fn, &cb),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, cb.calls, 0U);

	/* The callback may use the API: copy the whole tree into another. */
	memset(&cb, 0, sizeof(cb));
	cb.copy = copy;
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, S64_MIN, S64_MAX, 0,
					  bwt_api_cb_fn, &cb), 0);
	KUNIT_EXPECT_EQ(test, cb.calls, 200U);
	KUNIT_EXPECT_EQ(test, bwtree_count(copy), 200ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(copy), 0);
	for (k = 0; k < 200; k++) {
		KUNIT_ASSERT_EQ(test, bwtree_lookup(copy, k * 10, &v), 0);
		KUNIT_ASSERT_EQ(test, v, bwt_api_val(k * 10));
	}
}

/* Keys 10, 20, 30, 40. */
static struct bwtree *bwt_api_four(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	s64 k;

	for (k = 10; k <= 40; k += 10)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, bwt_api_val(k)), 0);
	return tree;
}

/* One batch: its pairs, and the cursor when not done. */
static void bwt_api_expect_batch(struct kunit *test, struct bwtree *tree,
				 s64 lo, s64 hi, unsigned int flags,
				 unsigned int max, const s64 *want,
				 unsigned int nr, bool want_done)
{
	struct bwtree_pair out[8];
	bool done = !want_done;
	unsigned int i;
	s64 next = 0;
	int n;

	n = bwtree_scan_batch(tree, lo, hi, flags, out, max, &next, &done);
	KUNIT_ASSERT_EQ_MSG(test, n, (int)nr, "[%lld, %lld] flags %#x max %u",
			    lo, hi, flags, max);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, out[i].key, want[i]);
		KUNIT_EXPECT_EQ(test, out[i].value, bwt_api_val(want[i]));
	}
	KUNIT_EXPECT_EQ_MSG(test, done, want_done, "[%lld, %lld] flags %#x max %u",
			    lo, hi, flags, max);
	if (!want_done && nr)
		KUNIT_EXPECT_EQ(test, next, flags & BWTREE_SCAN_REVERSE ?
				want[nr - 1] - 1 : want[nr - 1] + 1);
}

static void bwt_api_scan_batch_done(struct kunit *test)
{
	struct bwtree *tree = bwt_api_four(test);
	const s64 asc[] = { 10, 20, 30, 40 }, desc[] = { 40, 30, 20, 10 };

	bwt_api_expect_batch(test, tree, 10, 40, 0, 4, asc, 4, true);
	bwt_api_expect_batch(test, tree, 10, 40, 0, 8, asc, 4, true);
	bwt_api_expect_batch(test, tree, 10, 40, 0, 3, asc, 3, false);
	bwt_api_expect_batch(test, tree, 31, 40, 0, 3, asc + 3, 1, true);
	/* Filling the batch exactly with the last key of the range is done. */
	bwt_api_expect_batch(test, tree, 11, 39, 0, 2, asc + 1, 2, true);
	bwt_api_expect_batch(test, tree, 11, 39, 0, 1, asc + 1, 1, false);
	bwt_api_expect_batch(test, tree, 21, 39, 0, 1, asc + 2, 1, true);
	bwt_api_expect_batch(test, tree, S64_MIN, S64_MAX, 0, 1, asc, 1, false);

	bwt_api_expect_batch(test, tree, 10, 40, BWTREE_SCAN_REVERSE, 4, desc, 4, true);
	bwt_api_expect_batch(test, tree, 10, 40, BWTREE_SCAN_REVERSE, 3, desc, 3, false);
	bwt_api_expect_batch(test, tree, 10, 19, BWTREE_SCAN_REVERSE, 3, desc + 3, 1, true);
	bwt_api_expect_batch(test, tree, 15, 40, BWTREE_SCAN_REVERSE, 3, desc, 3, true);
	bwt_api_expect_batch(test, tree, S64_MIN, S64_MAX, BWTREE_SCAN_REVERSE,
			     2, desc, 2, false);

	/* Empty ranges are done at once. */
	bwt_api_expect_batch(test, tree, 41, 100, 0, 4, NULL, 0, true);
	bwt_api_expect_batch(test, tree, S64_MIN, 9, 0, 4, NULL, 0, true);
	bwt_api_expect_batch(test, tree, 41, S64_MAX, BWTREE_SCAN_REVERSE, 4, NULL, 0, true);
	bwt_api_expect_batch(test, tree, 21, 29, BWTREE_SCAN_REVERSE, 1, NULL, 0, true);
	bwt_api_expect_batch(test, tree, 21, 21, 0, 1, NULL, 0, true);
	/* A single key. */
	bwt_api_expect_batch(test, tree, 20, 20, 0, 1, asc + 1, 1, true);
	bwt_api_expect_batch(test, tree, 20, 20, BWTREE_SCAN_REVERSE, 4, asc + 1, 1, true);
}

static void bwt_api_scan_batch_invalid(struct kunit *test)
{
	struct bwtree *tree = bwt_api_four(test);
	struct bwtree_pair out[4];
	struct bwt_api_cb cb;
	bool done;
	s64 next;

	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, 1, 0, 0, out, 4, &next, &done),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, S64_MAX, S64_MIN,
						BWTREE_SCAN_REVERSE, out, 4,
						&next, &done), -EINVAL);
	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, 0, 100, 0, out, 0, &next, &done),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, 0, 100, BWTREE_SCAN_REVERSE,
						out, 0, &next, &done), -EINVAL);
	/* Unknown flags. */
	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, 0, 100, 0x80, out, 4, &next, &done),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, bwtree_scan_batch(tree, 0, 100, ~0U, out, 4, &next, &done),
			-EINVAL);
	memset(&cb, 0, sizeof(cb));
	KUNIT_EXPECT_EQ(test, bwtree_scan(tree, 0, 100, 0x2, bwt_api_cb_fn, &cb),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, cb.calls, 0U);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 4ULL);
}

/* Walk [lo, hi] one key per batch; the keys must be @want. */
static void bwt_api_walk(struct kunit *test, struct bwtree *tree, s64 lo,
			 s64 hi, unsigned int flags, const s64 *want,
			 unsigned int nr)
{
	bool reverse = flags & BWTREE_SCAN_REVERSE;
	unsigned int i;

	for (i = 0; ; i++) {
		struct bwtree_pair out[1];
		bool done = false;
		s64 next = 0;
		int n;

		n = bwtree_scan_batch(tree, lo, hi, flags, out, 1, &next, &done);
		if (i == nr) {
			KUNIT_EXPECT_EQ(test, n, 0);
			KUNIT_EXPECT_TRUE(test, done);
			return;
		}
		KUNIT_ASSERT_EQ_MSG(test, n, 1, "step %u of [%lld, %lld]", i, lo, hi);
		KUNIT_ASSERT_EQ(test, out[0].key, want[reverse ? nr - 1 - i : i]);
		KUNIT_ASSERT_EQ(test, out[0].value, bwt_api_val(out[0].key));
		KUNIT_ASSERT_EQ_MSG(test, done, i == nr - 1, "step %u", i);
		if (done)
			return;
		KUNIT_ASSERT_EQ(test, next, reverse ? out[0].key - 1 : out[0].key + 1);
		if (reverse)
			hi = next;
		else
			lo = next;
	}
}

static void bwt_api_scan_batch_bounds(struct kunit *test)
{
	static const s64 keys[] = { S64_MIN, S64_MIN + 1, -1, 0, 1,
				    S64_MAX - 1, S64_MAX };
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	unsigned int i;

	bwt_api_walk(test, tree, S64_MIN, S64_MAX, 0, keys, 0);
	bwt_api_walk(test, tree, S64_MIN, S64_MAX, BWTREE_SCAN_REVERSE, keys, 0);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, keys[i], bwt_api_val(keys[i])), 0);

	bwt_api_walk(test, tree, S64_MIN, S64_MAX, 0, keys, ARRAY_SIZE(keys));
	bwt_api_walk(test, tree, S64_MIN, S64_MAX, BWTREE_SCAN_REVERSE, keys,
		     ARRAY_SIZE(keys));
	bwt_api_walk(test, tree, S64_MIN, S64_MIN, 0, keys, 1);
	bwt_api_walk(test, tree, S64_MIN, S64_MIN, BWTREE_SCAN_REVERSE, keys, 1);
	bwt_api_walk(test, tree, S64_MAX, S64_MAX, 0, keys + 6, 1);
	bwt_api_walk(test, tree, S64_MAX, S64_MAX, BWTREE_SCAN_REVERSE, keys + 6, 1);
	bwt_api_walk(test, tree, S64_MIN + 1, 0, 0, keys + 1, 3);
	bwt_api_walk(test, tree, 0, S64_MAX - 1, BWTREE_SCAN_REVERSE, keys + 3, 3);
	bwt_api_walk(test, tree, S64_MIN + 2, -2, 0, keys, 0);
	bwt_api_walk(test, tree, 2, S64_MAX - 2, BWTREE_SCAN_REVERSE, keys, 0);
}

/* Insert ascending keys from @first until an insert fails; return how many. */
static unsigned int bwt_api_fill(struct kunit *test, struct bwtree *tree,
				 s64 first, unsigned int limit, int *err)
{
	unsigned int n;

	for (n = 0; n < limit; n++) {
		*err = bwtree_insert(tree, first + n, bwt_api_val(first + n));
		if (*err)
			break;
	}
	return n;
}

static void bwt_api_max_bytes(struct kunit *test)
{
	struct bwtree_params p = bwt_api_tiny;
	struct bwtree_stats stats;
	struct bwtree *tree;
	unsigned int n, i;
	bool replaced;
	int err = 0;
	u64 v;

	/* Room for a few dozen keys beyond an empty tree. */
	tree = bwt_kunit_create(test, &p);
	bwtree_get_stats(tree, &stats);
	p.max_bytes = stats.bytes + 16 * 1024;
	bwt_kunit_destroy(test, tree);
	tree = bwt_kunit_create(test, &p);

	n = bwt_api_fill(test, tree, 0, 100000, &err);
	bwtree_get_stats(tree, &stats);
	kunit_info(test, "max_bytes %lu: %u keys, %llu bytes\n", p.max_bytes, n,
		   stats.bytes);
	KUNIT_ASSERT_LT(test, n, 100000U);
	KUNIT_EXPECT_GT(test, n, 0U);
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	/* The failure changed nothing; every further insert fails too. */
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), (u64)n);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, n, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, -1, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, bwtree_upsert(tree, -1, 1, &replaced), -ENOSPC);
	KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, -1, &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	/* The limit does not stop deletes, and freeing makes room again. */
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, i, &v), 0);
		KUNIT_ASSERT_EQ(test, v, bwt_api_val(i));
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 0ULL);
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	KUNIT_EXPECT_EQ(test, bwtree_insert(tree, -1, 1), 0);
	KUNIT_EXPECT_GE(test, bwt_api_fill(test, tree, 0, 100000, &err), n / 2);
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
}

/* A KUnit action: the account outlives the trees, which are later resources. */
static void bwt_api_account_destroy(void *acct)
{
	bwtree_account_destroy(acct);
}

static void bwt_api_account(struct kunit *test)
{
	struct bwtree_account *acct;
	struct bwtree_params p = bwt_api_tiny, got;
	struct bwtree_stats sa, sb;
	struct bwtree *a, *b;
	unsigned int na, nb;
	int err = 0;

	acct = kunit_kzalloc(test, sizeof(*acct), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, acct);
	KUNIT_ASSERT_EQ(test, bwtree_account_init(acct), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bwt_api_account_destroy,
							acct), 0);
	acct->limit = 0;
	p.account = acct;
	a = bwt_kunit_create(test, &p);
	b = bwt_kunit_create(test, &p);
	bwtree_get_params(a, &got);
	KUNIT_EXPECT_PTR_EQ(test, got.account, acct);

	/* Without a limit: the account holds what both trees hold. */
	KUNIT_EXPECT_EQ(test, bwt_api_fill(test, a, 0, 200, &err), 200U);
	KUNIT_EXPECT_EQ(test, bwt_api_fill(test, b, 0, 50, &err), 50U);
	bwtree_get_stats(a, &sa);
	bwtree_get_stats(b, &sb);
	KUNIT_EXPECT_EQ(test, (u64)bwtree_account_bytes(acct), sa.bytes + sb.bytes);
	KUNIT_EXPECT_GT(test, sa.bytes, sb.bytes);

	/* A limit shared by both: whichever grows stops at it. */
	acct->limit = bwtree_account_bytes(acct) + 16 * 1024;
	na = bwt_api_fill(test, a, 1000, 100000, &err);
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	nb = bwt_api_fill(test, b, 1000, 100000, &err);
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	kunit_info(test, "limit %ld: %u + %u more keys, %ld bytes\n", acct->limit,
		   na, nb, bwtree_account_bytes(acct));
	KUNIT_EXPECT_GT(test, na, 0U);
	KUNIT_EXPECT_LT(test, nb, 8U);
	KUNIT_EXPECT_EQ(test, bwtree_count(a), 200ULL + na);
	KUNIT_EXPECT_EQ(test, bwtree_count(b), 50ULL + nb);
	KUNIT_EXPECT_EQ(test, bwtree_validate(a), 0);
	KUNIT_EXPECT_EQ(test, bwtree_validate(b), 0);

	/* Destroying the trees gives every byte back. */
	bwt_kunit_destroy(test, a);
	bwtree_get_stats(b, &sb);
	KUNIT_EXPECT_EQ(test, (u64)bwtree_account_bytes(acct), sb.bytes);
	bwt_kunit_destroy(test, b);
	KUNIT_EXPECT_EQ(test, bwtree_account_bytes(acct), 0L);
}

static void bwt_api_validate_dump(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_api_tiny);
	s64 k;
	u64 v;

	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	bwtree_dump(tree);
	for (k = 0; k < 40; k++) {
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, k, bwt_api_val(k)), 0);
		KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
	}
	bwtree_dump(tree);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 40ULL);
	for (k = 0; k < 40; k += 2) {
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, k, &v), 0);
		KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
	}
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 20ULL);
}

static struct kunit_case bwt_api_cases[] = {
	KUNIT_CASE(bwt_api_create_default),
	KUNIT_CASE_SLOW(bwt_api_create_custom),
	KUNIT_CASE(bwt_api_create_invalid),
	KUNIT_CASE_SLOW(bwt_api_insert),
	KUNIT_CASE_SLOW(bwt_api_upsert),
	KUNIT_CASE_SLOW(bwt_api_delete),
	KUNIT_CASE(bwt_api_lookup),
	KUNIT_CASE(bwt_api_lookup_fold),
	KUNIT_CASE_SLOW(bwt_api_lookup_batch),
	KUNIT_CASE_SLOW(bwt_api_count),
	KUNIT_CASE_SLOW(bwt_api_stats),
	KUNIT_CASE(bwt_api_scan),
	KUNIT_CASE(bwt_api_scan_batch_done),
	KUNIT_CASE(bwt_api_scan_batch_invalid),
	KUNIT_CASE(bwt_api_scan_batch_bounds),
	KUNIT_CASE(bwt_api_max_bytes),
	KUNIT_CASE(bwt_api_account),
	KUNIT_CASE(bwt_api_validate_dump),
	{}
};

static struct kunit_suite bwt_api_suite = {
	.name = "bwtree_api",
	.test_cases = bwt_api_cases,
};

kunit_test_suite(bwt_api_suite);
