// SPDX-License-Identifier: GPL-2.0
/*
 * The base node layout (internal.h, DOC "Base node layout"): the summary
 * bwt_base_seal() writes and the search that reads it.
 *
 *   search	base nodes built by hand for key patterns that give the
 *		summary every kind of trouble (dense keys, keys over all of
 *		s64, dense keys beside one far key so that many keys cut to
 *		the same summary entry, the extremes of s64) and every count
 *		from 0 past the largest node searched in one line (124), so
 *		groups of one and of more lines: bwt_leaf_find() and
 *		bwt_route_child() must agree with a linear search for every
 *		key, its neighbours, the node's low key and the extremes.
 *   lines	a node is cache-line aligned and a whole number of lines,
 *		and group g >= 1 starts on a line boundary.
 *   validate	bwtree_validate() rejects a tree whose base node has a
 *		stale summary, or a delta naming another chain's base node,
 *		and accepts it again once repaired.
 *
 * Usage: layout
 */
#include "harness.h"
#include "internal.h"

static struct bwtree *tree;

enum pattern { P_DENSE, P_SPREAD, P_OUTLIER, P_EXTREMES, P_STEPS, NR_PATTERNS };

static const char *const pattern_name[NR_PATTERNS] = {
	"dense", "spread", "outlier", "extremes", "steps",
};

/* @n sorted distinct keys of @pat, and the node's low key in *@low. */
static void fill(enum pattern pat, unsigned int n, s64 *keys, s64 *low,
		 u64 *seed)
{
	unsigned int i;

	switch (pat) {
	case P_DENSE:
		for (i = 0; i < n; i++)
			keys[i] = 1000 + 3 * i;
		*low = 990;
		break;
	case P_SPREAD:
		for (i = 0; i < n; i++)
			keys[i] = S64_MIN / 2 + (s64)(i * (U64_MAX / 4 / (n + 1))) +
				  (s64)h_below(seed, 1000);
		*low = S64_MIN / 2 - 1;
		break;
	case P_OUTLIER:
		/* All but the last within a few units: one summary entry. */
		for (i = 0; i + 1 < n; i++)
			keys[i] = -50 + 2 * (s64)i;
		if (n)
			keys[n - 1] = S64_MAX;
		*low = S64_MIN;
		break;
	case P_EXTREMES:
		for (i = 0; i < n; i++)
			keys[i] = i < n / 2 ? S64_MIN + i : S64_MAX - (n - 1 - i);
		*low = S64_MIN;
		break;
	case P_STEPS:
		/* Runs of close keys a huge step apart. */
		for (i = 0; i < n; i++)
			keys[i] = (s64)(i / 5) * (1LL << 50) + (i % 5) - (1LL << 58);
		*low = S64_MIN + 7;
		break;
	default:
		break;
	}
}

static struct bwt_rec *build(unsigned int level, s64 low, const s64 *keys,
			     unsigned int n)
{
	struct bwt_rec *b = bwt_base_alloc(tree, n ? n : 1, GFP_KERNEL);
	unsigned int i;

	if (!b)
		abort();
	b->kind = level ? BWTREE_INNER : BWTREE_LEAF;
	b->level = level;
	b->hinf = 1;
	b->right = BWT_NIL;
	b->low = low;
	b->count = n;
	memcpy(b->keys, keys, n * sizeof(s64));
	for (i = 0; i < n; i++)
		bwt_vals(b)[i] = h_value(keys[i], level + 1);
	bwt_base_seal(b);
	return b;
}

/* The reference: index of the last key <= @key, or -1. */
static long floor_ref(const s64 *keys, unsigned int n, s64 key)
{
	long i = -1;

	while (i + 1 < (long)n && keys[i + 1] <= key)
		i++;
	return i;
}

static bool check_key(const struct bwt_rec *leaf, const struct bwt_rec *inner,
		      const s64 *keys, unsigned int n, s64 key, const char *what)
{
	long f = floor_ref(keys, n, key);
	bool want = f >= 0 && keys[f] == key, got;
	u64 v = 0, child;

	rcu_read_lock();
	got = bwt_leaf_find(leaf, key, &v);
	child = n && key >= inner->low ? bwt_route_child(inner, key) : 0;
	rcu_read_unlock();
	if (got != want || (got && v != h_value(key, 1))) {
		H_FAIL("%s: leaf: key %lld found %d (want %d) value %#llx", what,
		       key, got, want, v);
		return false;
	}
	if (!n || key < inner->low)
		return true;	/* an inner node routes only keys it holds */
	if (child != h_value(keys[f < 0 ? 0 : f], 2)) {
		H_FAIL("%s: inner: key %lld routed to %#llx, want entry %ld",
		       what, key, child, f);
		return false;
	}
	return true;
}

static void test_search(void)
{
	static s64 keys[160];
	unsigned int p, n, i, bad = 0, nodes = 0, probes = 0;
	u64 seed = 7;
	char what[64];
	s64 low;

	for (p = 0; p < NR_PATTERNS; p++) {
		for (n = 0; n <= ARRAY_SIZE(keys); n++) {
			struct bwt_rec *leaf, *inner;
			static const s64 ends[] = { S64_MIN, S64_MIN + 1, -1, 0, 1,
						    S64_MAX - 1, S64_MAX };

			fill(p, n, keys, &low, &seed);
			leaf = build(0, low, keys, n);
			/* An inner node's first separator is its low key. */
			inner = build(1, n ? keys[0] : low, keys, n);
			snprintf(what, sizeof(what), "%s, %u keys",
				 pattern_name[p], n);
			if (!bwt_base_sealed(leaf) || !bwt_base_sealed(inner)) {
				H_FAIL("%s: bwt_base_sealed() says no", what);
				bad++;
			}
			for (i = 0; i < n; i++) {
				bad += !check_key(leaf, inner, keys, n, keys[i], what);
				if (keys[i] > S64_MIN)
					bad += !check_key(leaf, inner, keys, n,
							  keys[i] - 1, what);
				if (keys[i] < S64_MAX)
					bad += !check_key(leaf, inner, keys, n,
							  keys[i] + 1, what);
				probes += 3;
			}
			for (i = 0; i < ARRAY_SIZE(ends); i++)
				bad += !check_key(leaf, inner, keys, n, ends[i], what);
			bad += !check_key(leaf, inner, keys, n, low, what);
			probes += ARRAY_SIZE(ends) + 1;
			bwt_rec_free_now(tree, leaf);
			bwt_rec_free_now(tree, inner);
			nodes += 2;
			if (bad > 20)
				break;
		}
	}
	h_ok(!bad, "search: %u nodes, %u probes agree with a linear search (%u wrong)",
	     nodes, probes, bad);
}

static void test_lines(void)
{
	unsigned int n, bad = 0, g;
	struct bwt_rec *b;

	for (n = 1; n <= 600; n += 7) {
		b = bwt_base_alloc(tree, n, GFP_KERNEL);
		if (!b)
			abort();
		if ((uintptr_t)b % BWT_LINE || BWT_BASE_SIZE(b->cap) % BWT_LINE)
			bad++;
		b->count = n;
		for (g = 1; g < BWT_SUM_LEN; g++)
			if (((uintptr_t)&b->keys[bwt_group_start(b, g)]) % BWT_LINE)
				bad++;
		bwt_rec_free_now(tree, b);
	}
	h_ok(!bad, "lines: nodes aligned, whole lines, groups on lines (%u wrong)",
	     bad);
}

static void test_validate(void)
{
	struct bwtree_params p = { .leaf_max = 32, .inner_max = 32, .chain_max = 4 };
	struct bwtree *t = bwtree_create(&p);
	struct bwt_rec *b, *top;
	const struct bwt_rec *saved;
	int i, ok, stale, fixed;
	u16 was;

	if (IS_ERR(t)) {
		h_ok(false, "validate: bwtree_create");
		return;
	}
	/*
	 * One leaf: with chain_max 4 the 9th insert consolidates 8 keys, so
	 * the base has a summary entry and two INSERT deltas name the base.
	 */
	for (i = 0; i < 10; i++)
		bwtree_insert(t, 10 * i, i);
	ok = bwtree_validate(t);
	rcu_read_lock();
	top = bwt_read(t, BWT_ROOT);
	rcu_read_unlock();
	/* No writer runs: the records stay, and the test may poke them. */
	b = (struct bwt_rec *)bwt_chain_base(top);
	if (!b || top->kind != BWTREE_INSERT || b->count <= BWT_SKEW) {
		h_ok(false, "validate: the leaf is not INSERT deltas on a base of > %lu keys",
		     (unsigned long)BWT_SKEW);
		bwtree_destroy(t);
		return;
	}
	was = b->sum[0];
	b->sum[0] = was ^ 1;
	stale = bwtree_validate(t);
	b->sum[0] = was;
	fixed = bwtree_validate(t);
	h_ok(!ok && stale == -EUCLEAN && !fixed,
	     "validate: a stale summary is caught (%d, %d, %d)", ok, stale,
	     fixed);

	saved = top->kv.base;
	top->kv.base = top->next;	/* the delta under it, not a base */
	stale = bwtree_validate(t);
	top->kv.base = saved;
	fixed = bwtree_validate(t);
	h_ok(stale == -EUCLEAN && !fixed,
	     "validate: a delta naming the wrong base node is caught (%d, %d)",
	     stale, fixed);
	bwtree_destroy(t);
}

int main(void)
{
	if (bwtree_init()) {
		h_ok(false, "layout: bwtree_init");
		return 1;
	}
	tree = bwtree_create(NULL);
	if (IS_ERR(tree)) {
		h_ok(false, "layout: bwtree_create");
		return 1;
	}
	test_search();
	test_lines();
	test_validate();
	bwtree_destroy(tree);
	h_check_complaints("layout");
	bwtree_exit();
	return h_exit_status();
}
