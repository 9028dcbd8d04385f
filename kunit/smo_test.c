// SPDX-License-Identifier: GPL-2.0
/*
 * Structure modifications at every level (suite bwtree_smo): the root
 * split, growth to many levels, merges from either edge and in the middle,
 * the collapse back to one leaf, and consolidation of long chains.  Tiny
 * nodes make deep trees from a few hundred keys; bwtree_get_stats() proves
 * that the modifications happened and bwtree_validate() that the tree stayed
 * well formed through them.
 *
 * Prefix: bwt_smo_.
 */
#include <linux/module.h>

#include "bwtree_kunit.h"

static const struct bwtree_params bwt_smo_tiny = {
	.leaf_max = 4, .inner_max = 4, .chain_max = 2,
};

static u64 bwt_smo_val(s64 key)
{
	return bwt_mix((u64)key) ^ 0x5307;
}

/* Insert keys @first, @first + @step, ... (@n of them), validating. */
static void bwt_smo_fill(struct kunit *test, struct bwtree *tree, s64 first,
			 s64 step, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		s64 k = first + step * i;

		KUNIT_ASSERT_EQ_MSG(test, bwtree_insert(tree, k, bwt_smo_val(k)), 0,
				    "key %lld", k);
		if (i % 64 == 63)
			KUNIT_ASSERT_EQ_MSG(test, bwtree_validate(tree), 0,
					    "after inserting key %lld", k);
	}
	KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
}

/* Every key of @first, @first + @step, ... is there, with its value. */
static void bwt_smo_expect(struct kunit *test, struct bwtree *tree, s64 first,
			   s64 step, unsigned int n, bool present)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		s64 k = first + step * i;
		u64 v = 0;
		int ret = bwtree_lookup(tree, k, &v);

		if (present) {
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "key %lld", k);
			KUNIT_ASSERT_EQ_MSG(test, v, bwt_smo_val(k), "key %lld", k);
		} else {
			KUNIT_ASSERT_EQ_MSG(test, ret, -ENOENT, "key %lld", k);
		}
	}
}

static void bwt_smo_root_split(struct kunit *test)
{
	const struct bwtree_params *p = &bwt_smo_tiny;
	struct bwtree *tree = bwt_kunit_create(test, p);
	struct bwtree_stats stats;
	unsigned int n;

	/* Grow one key at a time until the root leaf has split. */
	for (n = 1; n <= 4 * (p->leaf_max + p->chain_max); n++) {
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, n * 10, bwt_smo_val(n * 10)), 0);
		KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
		bwtree_get_stats(tree, &stats);
		if (stats.height > 1)
			break;
		KUNIT_ASSERT_EQ(test, stats.splits, 0ULL);
	}
	kunit_info(test, "root split after %u keys\n", n);
	KUNIT_ASSERT_EQ_MSG(test, stats.height, 2ULL,
			    "no root split after %u keys into leaves of %u", n,
			    p->leaf_max);
	/* No node outgrew its maximum before; it had to split after that. */
	KUNIT_EXPECT_GT(test, n, p->leaf_max);
	KUNIT_EXPECT_LE(test, n, 2 * (p->leaf_max + p->chain_max) + 2);
	KUNIT_EXPECT_GE(test, stats.splits, 1ULL);
	KUNIT_EXPECT_GE(test, stats.records[BWTREE_LEAF], 2ULL);
	KUNIT_EXPECT_GE(test, stats.pages, 3ULL);
	bwt_smo_expect(test, tree, 10, 10, n, true);
	bwt_smo_expect(test, tree, 5, 10, n + 1, false);

	/* Keys keep going to the right leaf on both sides of the split. */
	bwt_smo_fill(test, tree, 1, 10, n);
	bwt_smo_expect(test, tree, 1, 10, n, true);
	bwt_smo_expect(test, tree, 10, 10, n, true);
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), 2ULL * n);
}

/* Grow to at least three levels, in several orders. */
static void bwt_smo_grow(struct kunit *test)
{
	const struct bwtree_params *p = &bwt_smo_tiny;
	struct bwtree_stats stats;
	unsigned int order;

	for (order = 0; order < 3; order++) {
		struct bwtree *tree = bwt_kunit_create(test, p);
		const unsigned int n = 400;

		if (order == 0)
			bwt_smo_fill(test, tree, 0, 1, n);	/* ascending */
		else if (order == 1)
			bwt_smo_fill(test, tree, n - 1, -1, n);	/* descending */
		else
			bwt_smo_fill(test, tree, -200 * 7, 7, n); /* across 0 */
		KUNIT_EXPECT_TRUE(test, bwt_check_shape(test, tree, &stats));
		kunit_info(test, "order %u: height %llu, splits %llu, pages %llu\n",
			   order, stats.height, stats.splits, stats.pages);
		KUNIT_EXPECT_EQ(test, stats.count, (u64)n);
		KUNIT_EXPECT_GE(test, stats.height, 3ULL);
		KUNIT_EXPECT_GE(test, stats.records[BWTREE_INNER], 2ULL);
		/* Each split adds one page to the one leaf the tree began with. */
		KUNIT_EXPECT_GE(test, stats.splits,
				(u64)DIV_ROUND_UP(n, p->leaf_max + p->chain_max + 1) - 1);
		if (order == 2)
			bwt_smo_expect(test, tree, -200 * 7, 7, n, true);
		else
			bwt_smo_expect(test, tree, 0, 1, n, true);
		bwt_kunit_destroy(test, tree);
	}
}

/* Delete keys in the given order until none is left. */
static void bwt_smo_drain(struct kunit *test, struct bwtree *tree, s64 first,
			  s64 step, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		s64 k = first + step * i;
		u64 v = 0;

		KUNIT_ASSERT_EQ_MSG(test, bwtree_delete(tree, k, &v), 0, "key %lld", k);
		KUNIT_ASSERT_EQ(test, v, bwt_smo_val(k));
		if (i % 32 == 31)
			KUNIT_ASSERT_EQ_MSG(test, bwtree_validate(tree), 0,
					    "after deleting key %lld", k);
	}
}

/*
 * Delete everything from the left edge, from the right edge, and from the
 * middle outwards: the tree collapses to a single empty leaf each time.
 */
static void bwt_smo_collapse(struct kunit *test)
{
	const unsigned int n = 300;
	unsigned int way;

	for (way = 0; way < 3; way++) {
		struct bwtree *tree = bwt_kunit_create(test, &bwt_smo_tiny);
		struct bwtree_stats full, empty;
		int ret;
		u64 v;

		bwt_smo_fill(test, tree, 0, 1, n);
		bwtree_get_stats(tree, &full);
		KUNIT_ASSERT_GE(test, full.height, 3ULL);
		if (way == 0) {
			bwt_smo_drain(test, tree, 0, 1, n);
		} else if (way == 1) {
			bwt_smo_drain(test, tree, n - 1, -1, n);
		} else {
			bwt_smo_drain(test, tree, n / 2, 1, n / 2);
			bwt_smo_drain(test, tree, n / 2 - 1, -1, n / 2);
		}
		KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
		rcu_barrier();
		bwtree_get_stats(tree, &empty);
		kunit_info(test,
			   "way %u: height %llu -> %llu, merges %llu, pages %llu -> %llu, bytes %llu -> %llu\n",
			   way, full.height, empty.height, empty.merges,
			   full.pages, empty.pages, full.bytes, empty.bytes);
		KUNIT_EXPECT_EQ(test, empty.count, 0ULL);
		KUNIT_EXPECT_EQ(test, bwtree_count(tree), 0ULL);
		KUNIT_EXPECT_EQ(test, empty.height, 1ULL);
		KUNIT_EXPECT_GT(test, empty.merges, full.merges);
		KUNIT_EXPECT_EQ(test, empty.records[BWTREE_INNER], 0ULL);
		KUNIT_EXPECT_LT(test, empty.bytes, full.bytes);
		ret = bwtree_lookup(tree, n / 2, &v);
		KUNIT_EXPECT_EQ(test, ret, -ENOENT);

		/* The collapsed tree grows again. */
		bwt_smo_fill(test, tree, 3, 3, 100);
		bwt_smo_expect(test, tree, 3, 3, 100, true);
		bwtree_get_stats(tree, &empty);
		KUNIT_EXPECT_GE(test, empty.height, 2ULL);
		bwt_kunit_destroy(test, tree);
	}
}

/*
 * Keep only S64_MIN and S64_MAX, deleting the rest in random orders: the two
 * leaves they end in are below a quarter of leaf_max, so they merge, and
 * the root, left with one child, collapses: one leaf holding both.
 */
static void bwt_smo_collapse_ends(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 2,
	};
	const unsigned int n = 300;
	struct bwt_rng rng;
	unsigned int run, i, j, *perm;

	bwt_rng_seed(&rng, bwt_kunit_seed(test, 0));
	perm = kunit_kmalloc_array(test, n, sizeof(*perm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, perm);
	for (run = 0; run < 3; run++) {
		struct bwtree *tree = bwt_kunit_create(test, &p);
		struct bwtree_stats stats;
		u64 v;

		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, S64_MIN, 1), 0);
		KUNIT_ASSERT_EQ(test, bwtree_insert(tree, S64_MAX, 2), 0);
		bwt_smo_fill(test, tree, -(s64)n / 2 * 3, 3, n);
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n - 1; i > 0; i--) {
			j = bwt_rng_below(&rng, i + 1);
			swap(perm[i], perm[j]);
		}
		for (i = 0; i < n; i++) {
			s64 k = -(s64)n / 2 * 3 + 3 * (s64)perm[i];

			KUNIT_ASSERT_EQ_MSG(test, bwtree_delete(tree, k, &v), 0,
					    "key %lld", k);
		}
		KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
		bwtree_get_stats(tree, &stats);
		kunit_info(test, "run %u: height %llu, leaves %llu, merges %llu\n",
			   run, stats.height, stats.records[BWTREE_LEAF],
			   stats.merges);
		KUNIT_EXPECT_EQ(test, stats.count, 2ULL);
		KUNIT_EXPECT_EQ(test, stats.height, 1ULL);
		KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MIN, &v), 0);
		KUNIT_EXPECT_EQ(test, v, 1ULL);
		KUNIT_EXPECT_EQ(test, bwtree_lookup(tree, S64_MAX, &v), 0);
		KUNIT_EXPECT_EQ(test, v, 2ULL);
		bwt_kunit_destroy(test, tree);
	}
}

/* Thin a deep tree to one key in 64: fewer levels, leaves merged. */
static void bwt_smo_shrink(struct kunit *test)
{
	struct bwtree *tree = bwt_kunit_create(test, &bwt_smo_tiny);
	const unsigned int n = 640;
	struct bwtree_stats full, thin;
	unsigned int i;
	u64 v;

	bwt_smo_fill(test, tree, 0, 1, n);
	bwtree_get_stats(tree, &full);
	for (i = 0; i < n; i++) {
		if (i % 64 == 0)
			continue;
		KUNIT_ASSERT_EQ(test, bwtree_delete(tree, i, &v), 0);
		if (i % 128 == 127)
			KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
	}
	KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
	bwtree_get_stats(tree, &thin);
	kunit_info(test, "height %llu -> %llu, leaves %llu -> %llu, merges %llu\n",
		   full.height, thin.height, full.records[BWTREE_LEAF],
		   thin.records[BWTREE_LEAF], thin.merges);
	KUNIT_EXPECT_EQ(test, thin.count, (u64)n / 64);
	KUNIT_EXPECT_LT(test, thin.height, full.height);
	KUNIT_EXPECT_GT(test, thin.merges, 0ULL);
	KUNIT_EXPECT_LT(test, thin.records[BWTREE_LEAF], full.records[BWTREE_LEAF]);
	/* Merged leaves keep their survivors, and nothing else. */
	bwt_smo_expect(test, tree, 0, 64, n / 64, true);
	bwt_smo_expect(test, tree, 1, 64, n / 64, false);
	bwt_smo_expect(test, tree, 63, 64, n / 64, false);
}

/* Grow and shrink again and again: the counters keep moving. */
static void bwt_smo_cycles(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 4, .inner_max = 5, .chain_max = 3,
	};
	struct bwtree *tree = bwt_kunit_create(test, &p);
	struct bwtree_stats prev = { 0 }, now;
	unsigned int cycle;

	for (cycle = 0; cycle < 3; cycle++) {
		s64 base = (s64)cycle * 100000 - 150000;

		bwt_smo_fill(test, tree, base, 2, 240);
		bwt_smo_drain(test, tree, base + 2, 4, 120);
		KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
		bwt_smo_expect(test, tree, base, 4, 120, true);
		bwt_smo_expect(test, tree, base + 2, 4, 120, false);
		bwt_smo_drain(test, tree, base, 4, 120);
		KUNIT_ASSERT_EQ(test, bwtree_validate(tree), 0);
		bwtree_get_stats(tree, &now);
		KUNIT_EXPECT_EQ(test, now.count, 0ULL);
		KUNIT_EXPECT_EQ(test, now.height, 1ULL);
		KUNIT_EXPECT_GT(test, now.splits, prev.splits);
		KUNIT_EXPECT_GT(test, now.merges, prev.merges);
		KUNIT_EXPECT_GT(test, now.consolidations, prev.consolidations);
		prev = now;
	}
}

/* Long runs on one key: consolidation keeps chains short. */
static void bwt_smo_consolidate(struct kunit *test)
{
	static const unsigned int chains[] = { 1, 2, 5, 16, BWTREE_MAX_CHAIN };
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(chains); c++) {
		const struct bwtree_params p = {
			.leaf_max = 16, .inner_max = 16, .chain_max = chains[c],
		};
		struct bwtree *tree = bwt_kunit_create(test, &p);
		struct bwtree_stats stats;
		bool replaced;
		unsigned int i;
		u64 v;

		/* Upserts, inserts and deletes of a few keys in one leaf. */
		for (i = 0; i < 8 * chains[c] + 8; i++) {
			s64 k = i % 3;

			KUNIT_ASSERT_EQ(test, bwtree_upsert(tree, k, i, &replaced), 0);
			KUNIT_ASSERT_EQ(test, replaced, i >= 3);
			KUNIT_ASSERT_EQ(test, bwtree_lookup(tree, k, &v), 0);
			KUNIT_ASSERT_EQ(test, v, (u64)i);
			KUNIT_ASSERT_EQ(test, bwtree_insert(tree, 100 + i, i), 0);
			KUNIT_ASSERT_EQ(test, bwtree_delete(tree, 100 + i, &v), 0);
		}
		KUNIT_EXPECT_EQ(test, bwtree_validate(tree), 0);
		bwtree_get_stats(tree, &stats);
		kunit_info(test, "chain_max %u: consolidations %llu, longest chain %llu\n",
			   chains[c], stats.consolidations, stats.longest_chain);
		KUNIT_EXPECT_EQ(test, stats.count, 3ULL);
		KUNIT_EXPECT_EQ(test, stats.height, 1ULL);
		KUNIT_EXPECT_GE(test, stats.consolidations, 3ULL);
		KUNIT_EXPECT_LE(test, stats.longest_chain, 2ULL * chains[c] + 2);
		KUNIT_EXPECT_LE(test, stats.records[BWTREE_INSERT] +
				stats.records[BWTREE_DELETE], 2ULL * chains[c] + 2);
		bwt_kunit_destroy(test, tree);
	}
}

static struct kunit_case bwt_smo_cases[] = {
	KUNIT_CASE(bwt_smo_root_split),
	KUNIT_CASE_SLOW(bwt_smo_grow),
	KUNIT_CASE_SLOW(bwt_smo_collapse),
	KUNIT_CASE_SLOW(bwt_smo_collapse_ends),
	KUNIT_CASE_SLOW(bwt_smo_shrink),
	KUNIT_CASE_SLOW(bwt_smo_cycles),
	KUNIT_CASE(bwt_smo_consolidate),
	{}
};

static struct kunit_suite bwt_smo_suite = {
	.name = "bwtree_smo",
	.test_cases = bwt_smo_cases,
};

kunit_test_suite(bwt_smo_suite);
