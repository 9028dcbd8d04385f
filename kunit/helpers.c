// SPDX-License-Identifier: GPL-2.0
/*
 * The model, the checks and the kthread plumbing that the bwtree KUnit
 * suites share, and the module's own declarations.
 *
 * Prefixes as in bwtree_kunit.h: bwt_model_ the reference map, bwt_check_
 * comparisons with a tree, bwt_kunit_ resources owned by a case, bwt_thread_
 * one kthread of a concurrent case.
 */
#include <kunit/resource.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "bwtree_kunit.h"

static ulong seed = 0x5eed0b1c0ffeeULL;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "base seed of every case's random choices");

/**
 * bwt_kunit_seed() - the seed of a case, printed so that a failure reproduces
 * @test: the case
 * @salt: distinguishes several generators of one case (e.g. a parameter)
 *
 * Return: the module's seed mixed with the case's name and @salt.
 */
u64 bwt_kunit_seed(struct kunit *test, u64 salt)
{
	u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *s;

	for (s = test->name; *s; s++)
		h = (h ^ (u8)*s) * 0x100000001b3ULL;
	h = bwt_mix(h ^ seed ^ bwt_mix(salt));
	kunit_info(test, "seed %#llx (module seed %#lx, salt %llu)\n",
		   h, seed, salt);
	return h;
}

/**
 * bwt_universe_key() - the i-th key of a universe of @nr keys
 * @i: index, below @nr
 * @nr: size of the universe, at least 6
 *
 * The universe is strictly ascending in @i: S64_MIN, S64_MIN + 1, then keys
 * three apart around 0 (so that a key one above or below a universe key is
 * not in it), then S64_MAX - 1, S64_MAX.
 *
 * Return: the key.
 */
s64 bwt_universe_key(unsigned int i, unsigned int nr)
{
	if (i < 2)
		return S64_MIN + i;
	if (i >= nr - 2)
		return S64_MAX - (nr - 1 - i);
	return ((s64)i - (s64)(nr / 2)) * 3;
}

/**
 * bwt_model_init() - an empty model over a universe of @nr keys
 * @test: the case, which owns the memory
 * @m: the model
 * @nr: keys in the universe, at least 6
 */
void bwt_model_init(struct kunit *test, struct bwt_model *m, unsigned int nr)
{
	unsigned int i;

	m->nr = nr;
	m->count = 0;
	m->keys = kunit_kmalloc_array(test, nr, sizeof(*m->keys), GFP_KERNEL);
	m->vals = kunit_kcalloc(test, nr, sizeof(*m->vals), GFP_KERNEL);
	m->present = kunit_kcalloc(test, BITS_TO_LONGS(nr), sizeof(long),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->keys);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->vals);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->present);
	for (i = 0; i < nr; i++)
		m->keys[i] = bwt_universe_key(i, nr);
}

static int bwt_key_cmp(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

/**
 * bwt_model_init_keys() - an empty model over the keys @keys
 * @test: the case, which owns the memory
 * @m: the model
 * @keys: distinct keys, in any order
 * @nr: how many
 */
void bwt_model_init_keys(struct kunit *test, struct bwt_model *m,
			 const s64 *keys, unsigned int nr)
{
	unsigned int i;

	bwt_model_init(test, m, nr);
	memcpy(m->keys, keys, nr * sizeof(*keys));
	sort(m->keys, nr, sizeof(*keys), bwt_key_cmp, NULL);
	for (i = 1; i < nr; i++)
		KUNIT_ASSERT_LT_MSG(test, m->keys[i - 1], m->keys[i],
				    "the keys of a model must be distinct");
}

/* First index whose key is >= @key; m->nr when there is none. */
unsigned int bwt_model_lower(const struct bwt_model *m, s64 key)
{
	unsigned int lo = 0, hi = m->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (m->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Last index whose key is <= @key; -1 when there is none. */
int bwt_model_upper(const struct bwt_model *m, s64 key)
{
	unsigned int i = bwt_model_lower(m, key);

	if (i < m->nr && m->keys[i] == key)
		return i;
	return (int)i - 1;
}

/* Index of @key in the universe, or -1. */
int bwt_model_find(const struct bwt_model *m, s64 key)
{
	unsigned int i = bwt_model_lower(m, key);

	return i < m->nr && m->keys[i] == key ? (int)i : -1;
}

/* The next present index at or after @i (ascending) or at or before. */
static int bwt_model_step(const struct bwt_model *m, int i, bool reverse)
{
	if (!reverse) {
		if (i < 0)
			i = 0;
		if (i >= m->nr)
			return m->nr;
		return find_next_bit(m->present, m->nr, i);
	}
	for (; i >= 0; i--)
		if (i < m->nr && test_bit(i, m->present))
			break;
	return i;
}

static bool bwt_model_in(const struct bwt_model *m, int i, s64 lo, s64 hi)
{
	return i >= 0 && i < m->nr && m->keys[i] >= lo && m->keys[i] <= hi;
}

/**
 * bwt_check_scan() - compare bwtree_scan_batch() over [@lo, @hi] with @m
 * @test: the case
 * @tree: the tree
 * @m: the model, equal to @tree when called
 * @lo: low bound, inclusive
 * @hi: high bound, inclusive
 * @flags: 0 or BWTREE_SCAN_REVERSE
 * @max: pairs per batch
 * @between: if not NULL, called between two batches; it may change both
 *	@tree and @m, keeping them equal
 * @arg: for @between
 *
 * Resumes from each batch's cursor until done.  Every batch must return
 * exactly the next pairs the model holds from the cursor on, report done
 * exactly when no key of the range remains after them, and otherwise give
 * the last key plus one (minus one when reversed) as the cursor.
 *
 * Return: true when all matched; otherwise the mismatch is reported.
 */
bool bwt_check_scan(struct kunit *test, struct bwtree *tree,
		    struct bwt_model *m, s64 lo, s64 hi, unsigned int flags,
		    unsigned int max,
		    void (*between)(struct bwt_model *m, void *arg), void *arg)
{
	bool reverse = flags & BWTREE_SCAN_REVERSE;
	struct bwtree_pair *out;
	unsigned int batches = 0;
	bool ok = false;

	out = kmalloc_array(max, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, out);

	for (;;) {
		s64 next = 0x5a5a5a5a;
		bool done = false;
		int n, i, j;

		i = reverse ? bwt_model_step(m, bwt_model_upper(m, hi), true)
			    : bwt_model_step(m, bwt_model_lower(m, lo), false);
		n = bwtree_scan_batch(tree, lo, hi, flags, out, max, &next,
				      &done);
		batches++;
		if (n < 0 || n > max) {
			KUNIT_FAIL(test, "scan [%lld, %lld] flags %#x max %u batch %u: returned %d",
				   lo, hi, flags, max, batches, n);
			goto out;
		}
		for (j = 0; j < n; j++) {
			if (!bwt_model_in(m, i, lo, hi)) {
				KUNIT_FAIL(test,
					   "scan [%lld, %lld] flags %#x max %u batch %u: pair %d key %lld is not in the model (expected end of range)",
					   lo, hi, flags, max, batches, j,
					   out[j].key);
				goto out;
			}
			if (out[j].key != m->keys[i] ||
			    out[j].value != m->vals[i]) {
				KUNIT_FAIL(test,
					   "scan [%lld, %lld] flags %#x max %u batch %u: pair %d is (%lld, %#llx), expected (%lld, %#llx)",
					   lo, hi, flags, max, batches, j,
					   out[j].key, out[j].value,
					   m->keys[i], m->vals[i]);
				goto out;
			}
			i = bwt_model_step(m, reverse ? i - 1 : i + 1, reverse);
		}
		if (done) {
			if (bwt_model_in(m, i, lo, hi)) {
				KUNIT_FAIL(test,
					   "scan [%lld, %lld] flags %#x max %u batch %u: done after %d pairs but key %lld remains",
					   lo, hi, flags, max, batches, n,
					   m->keys[i]);
				goto out;
			}
			break;
		}
		if (!bwt_model_in(m, i, lo, hi)) {
			KUNIT_FAIL(test,
				   "scan [%lld, %lld] flags %#x max %u batch %u: not done after %d pairs but no key remains",
				   lo, hi, flags, max, batches, n);
			goto out;
		}
		if (n == 0) {
			KUNIT_FAIL(test,
				   "scan [%lld, %lld] flags %#x max %u batch %u: no pair and not done while key %lld remains",
				   lo, hi, flags, max, batches, m->keys[i]);
			goto out;
		}
		if (next != (reverse ? out[n - 1].key - 1 : out[n - 1].key + 1)) {
			KUNIT_FAIL(test,
				   "scan [%lld, %lld] flags %#x max %u batch %u: cursor %lld after last key %lld",
				   lo, hi, flags, max, batches, next,
				   out[n - 1].key);
			goto out;
		}
		if (reverse)
			hi = next;
		else
			lo = next;
		if (between)
			between(m, arg);
	}
	ok = true;
out:
	kfree(out);
	return ok;
}

struct bwt_scan_cb_state {
	const struct bwt_model *m;
	s64 lo, hi;
	bool reverse;
	int i;
	unsigned long calls;
	bool bad;
	s64 bad_key;
	u64 bad_val;
};

static int bwt_scan_cb_fn(void *arg, s64 key, u64 value)
{
	struct bwt_scan_cb_state *st = arg;
	const struct bwt_model *m = st->m;

	st->calls++;
	if (st->bad)
		return 0;
	if (!bwt_model_in(m, st->i, st->lo, st->hi) ||
	    key != m->keys[st->i] || value != m->vals[st->i]) {
		st->bad = true;
		st->bad_key = key;
		st->bad_val = value;
		return 0;
	}
	st->i = bwt_model_step(m, st->reverse ? st->i - 1 : st->i + 1,
			       st->reverse);
	return 0;
}

/**
 * bwt_check_scan_cb() - compare bwtree_scan() over [@lo, @hi] with @m
 * @test: the case
 * @tree: the tree
 * @m: the model, equal to @tree
 * @lo: low bound, inclusive
 * @hi: high bound, inclusive
 * @flags: 0 or BWTREE_SCAN_REVERSE
 *
 * Return: true when the callback saw exactly the model's pairs, in order.
 */
bool bwt_check_scan_cb(struct kunit *test, struct bwtree *tree,
		       const struct bwt_model *m, s64 lo, s64 hi,
		       unsigned int flags)
{
	struct bwt_scan_cb_state st = {
		.m = m, .lo = lo, .hi = hi,
		.reverse = flags & BWTREE_SCAN_REVERSE,
	};
	int ret;

	st.i = st.reverse ? bwt_model_step(m, bwt_model_upper(m, hi), true)
			  : bwt_model_step(m, bwt_model_lower(m, lo), false);
	ret = bwtree_scan(tree, lo, hi, flags, bwt_scan_cb_fn, &st);
	if (ret) {
		KUNIT_FAIL(test, "scan callback [%lld, %lld] flags %#x: returned %d",
			   lo, hi, flags, ret);
		return false;
	}
	if (st.bad) {
		KUNIT_FAIL(test,
			   "scan callback [%lld, %lld] flags %#x: call %lu got (%lld, %#llx), expected %s%lld",
			   lo, hi, flags, st.calls, st.bad_key, st.bad_val,
			   bwt_model_in(m, st.i, lo, hi) ? "key " : "no pair after ",
			   bwt_model_in(m, st.i, lo, hi) ? m->keys[st.i] : hi);
		return false;
	}
	if (bwt_model_in(m, st.i, lo, hi)) {
		KUNIT_FAIL(test,
			   "scan callback [%lld, %lld] flags %#x: ended after %lu pairs, key %lld missing",
			   lo, hi, flags, st.calls, m->keys[st.i]);
		return false;
	}
	return true;
}

/**
 * bwt_check_tree() - compare the whole of @tree with @m
 * @test: the case
 * @tree: the tree
 * @m: the model
 *
 * bwtree_validate(), the count, the statistics' count, a lookup of every
 * key of the universe (and of some of the keys next to them, which are
 * never in a tree built from the universe), and full scans in both orders
 * and forms.
 *
 * Return: true when all matched.
 */
bool bwt_check_tree(struct kunit *test, struct bwtree *tree,
		    struct bwt_model *m)
{
	struct bwtree_stats stats;
	unsigned int i;
	int ret;

	ret = bwtree_validate(tree);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "bwtree_validate()");
	if (ret)
		return false;
	KUNIT_EXPECT_EQ(test, bwtree_count(tree), m->count);
	bwtree_get_stats(tree, &stats);
	KUNIT_EXPECT_EQ(test, stats.count, m->count);
	if (bwtree_count(tree) != m->count || stats.count != m->count)
		return false;

	for (i = 0; i < m->nr; i++) {
		s64 k = m->keys[i];
		u64 v = 0;

		ret = bwtree_lookup(tree, k, &v);
		if (bwt_model_has(m, i) ? ret || v != m->vals[i] : ret != -ENOENT) {
			KUNIT_FAIL(test, "lookup %lld: %d, %#llx; expected %d, %#llx",
				   k, ret, v, bwt_model_has(m, i) ? 0 : -ENOENT,
				   bwt_model_has(m, i) ? m->vals[i] : 0);
			return false;
		}
		if (i % 4 == 0 && k != S64_MAX && bwt_model_find(m, k + 1) < 0) {
			ret = bwtree_lookup(tree, k + 1, &v);
			if (ret != -ENOENT) {
				KUNIT_FAIL(test, "lookup %lld (never inserted): %d",
					   k + 1, ret);
				return false;
			}
		}
	}
	return bwt_check_scan(test, tree, m, S64_MIN, S64_MAX, 0, 61, NULL,
			      NULL) &&
	       bwt_check_scan(test, tree, m, S64_MIN, S64_MAX,
			      BWTREE_SCAN_REVERSE, 61, NULL, NULL) &&
	       bwt_check_scan_cb(test, tree, m, S64_MIN, S64_MAX, 0) &&
	       bwt_check_scan_cb(test, tree, m, S64_MIN, S64_MAX,
				 BWTREE_SCAN_REVERSE);
}

/**
 * bwt_min_height() - fewest levels that can hold @count keys
 * @count: keys
 * @leaf_cap: most keys a leaf can hold
 * @fanout: most children an inner node can have
 *
 * Return: 1 + the levels of inner nodes needed above ceil(@count / @leaf_cap)
 * leaves.
 */
unsigned int bwt_min_height(u64 count, unsigned int leaf_cap,
			    unsigned int fanout)
{
	u64 nodes = count ? div64_u64(count + leaf_cap - 1, leaf_cap) : 1;
	unsigned int h = 1;

	while (nodes > 1) {
		nodes = div64_u64(nodes + fanout - 1, fanout);
		h++;
	}
	return h;
}

/**
 * bwt_check_shape() - the tree is at least as tall as its node sizes force
 * @test: the case
 * @tree: the tree
 * @stats: filled with the tree's statistics
 *
 * A leaf holds at most leaf_max keys in its base node and one per delta of
 * its chain; an inner node likewise has at most inner_max + chain_max + 2
 * children.  Fewer levels than that cannot hold the tree's keys.
 *
 * Return: true when the height is large enough.
 */
bool bwt_check_shape(struct kunit *test, struct bwtree *tree,
		     struct bwtree_stats *stats)
{
	struct bwtree_params p;
	unsigned int min;

	bwtree_get_params(tree, &p);
	bwtree_get_stats(tree, stats);
	min = bwt_min_height(stats->count, p.leaf_max + p.chain_max + 1,
			     p.inner_max + p.chain_max + 2);
	KUNIT_EXPECT_GE_MSG(test, stats->height, (u64)min,
			    "%llu keys, leaf_max %u inner_max %u chain_max %u",
			    stats->count, p.leaf_max, p.inner_max, p.chain_max);
	return stats->height >= min;
}

/* A tree owned by a case: destroyed when the case ends. */
static int bwt_tree_res_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void bwt_tree_res_free(struct kunit_resource *res)
{
	bwtree_destroy(res->data);
}

static bool bwt_res_match(struct kunit *test, struct kunit_resource *res,
			  void *data)
{
	return res->data == data;
}

/**
 * bwt_kunit_create() - bwtree_create() for a case; fails the case on error
 * @test: the case, which then owns the tree
 * @params: the parameters
 *
 * Return: the tree, destroyed when the case ends.
 */
struct bwtree *bwt_kunit_create(struct kunit *test,
				const struct bwtree_params *params)
{
	return bwt_kunit_own(test, bwtree_create(params));
}

/**
 * bwt_kunit_own() - give a tree of bwtree_create() to a case
 * @test: the case, which then owns the tree
 * @tree: what bwtree_create() returned; an error fails the case
 *
 * Return: @tree, destroyed when the case ends.
 */
struct bwtree *bwt_kunit_own(struct kunit *test, struct bwtree *tree)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tree);
	if (!kunit_alloc_resource(test, bwt_tree_res_init, bwt_tree_res_free,
				  GFP_KERNEL, tree)) {
		bwtree_destroy(tree);
		tree = NULL;
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, tree, "no memory for a KUnit resource");
	return tree;
}

/**
 * bwt_kunit_destroy() - destroy a tree of bwt_kunit_create() before the end
 * @test: the case
 * @tree: the tree
 */
void bwt_kunit_destroy(struct kunit *test, struct bwtree *tree)
{
	KUNIT_EXPECT_EQ(test, kunit_destroy_resource(test, bwt_res_match, tree),
			0);
}

static int bwt_thread_main(void *data)
{
	struct bwt_thread *t = data;

	t->fn(t);
	kthread_complete_and_exit(&t->done, 0);
}

/**
 * bwt_thread_start() - start thread @i of @grp running @fn
 * @test: the case
 * @grp: the group
 * @i: index of the thread
 * @fn: the work
 * @arg: its argument
 * @name: the kthread's name
 */
void bwt_thread_start(struct kunit *test, struct bwt_threads *grp,
		      unsigned int i, void (*fn)(struct bwt_thread *t),
		      void *arg, const char *name)
{
	struct bwt_thread *t = &grp->t[i];
	struct task_struct *task;

	KUNIT_ASSERT_LT(test, i, grp->nr);
	KUNIT_ASSERT_EQ(test, i, grp->started);
	t->fn = fn;
	t->arg = arg;
	task = kthread_run(bwt_thread_main, t, "bwt-%s-%u", name, i);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	t->task = task;
	grp->started++;
}

/* Wait until thread @t has returned from its work. */
void bwt_thread_join(struct bwt_thread *t)
{
	if (!t->joined) {
		wait_for_completion(&t->done);
		t->joined = true;
	}
}

/* Wait for every thread of @grp that was started. */
void bwt_threads_join(struct bwt_threads *grp)
{
	unsigned int i;

	for (i = 0; i < grp->started; i++)
		bwt_thread_join(&grp->t[i]);
}

static int bwt_threads_res_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void bwt_threads_res_free(struct kunit_resource *res)
{
	struct bwt_threads *grp = res->data;

	bwt_threads_stop(grp);
	bwt_threads_join(grp);
	kfree(grp);
}

/**
 * bwt_kunit_threads() - a group of @nr kthreads, none started yet
 * @test: the case; make its trees first
 * @nr: threads
 * @seed: the case's seed; thread i's generator is seeded from it and i
 *
 * Return: the group, stopped and joined when the case ends.
 */
struct bwt_threads *bwt_kunit_threads(struct kunit *test, unsigned int nr,
				      u64 seed)
{
	struct bwt_threads *grp;
	unsigned int i;

	grp = kzalloc(struct_size(grp, t, nr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, grp);
	grp->nr = nr;
	for (i = 0; i < nr; i++) {
		grp->t[i].grp = grp;
		grp->t[i].id = i;
		init_completion(&grp->t[i].done);
		bwt_rng_seed(&grp->t[i].rng, bwt_mix(seed + i + 1));
	}
	if (!kunit_alloc_resource(test, bwt_threads_res_init,
				  bwt_threads_res_free, GFP_KERNEL, grp)) {
		kfree(grp);
		grp = NULL;
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, grp, "no memory for a KUnit resource");
	return grp;
}

/**
 * bwt_thread_fail() - record a failed check in a kthread
 * @t: the thread
 * @fmt: what failed
 *
 * KUnit's assertions belong to the case's own thread; a kthread records its
 * failures here and the case reports them after joining it.
 */
void bwt_thread_fail(struct bwt_thread *t, const char *fmt, ...)
{
	va_list args;

	if (t->errors++)
		return;
	va_start(args, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, args);
	va_end(args);
}

/* Report each thread's failures as failures of the case. */
void bwt_threads_report(struct kunit *test, struct bwt_threads *grp)
{
	unsigned int i;

	for (i = 0; i < grp->started; i++) {
		struct bwt_thread *t = &grp->t[i];

		kunit_info(test, "thread %u: %lu ops, %lu errors\n", i, t->ops,
			   t->errors);
		KUNIT_EXPECT_EQ_MSG(test, t->errors, 0UL,
				    "thread %u: first failure: %s", i, t->msg);
	}
}

MODULE_DESCRIPTION("KUnit suites for the bwtree latch-free BW-tree");
MODULE_LICENSE("GPL");
/* bwtree_validate() and bwtree_dump() are exported to KUnit suites only. */
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
