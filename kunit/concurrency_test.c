// SPDX-License-Identifier: GPL-2.0
/*
 * Kthreads on one tree at once (suite bwtree_concurrency).
 *
 * Every key of the universe has an owner: a writer that alone changes it
 * (disjoint ranges, contiguous or interleaved so that owners share leaves),
 * a pair of writers that race for it (overlapping ranges), or nobody (stable
 * keys, inserted before the threads start and never changed).  Values carry
 * a checksum of their key and a tag naming their writer (bwt_val()), so
 * readers and scanners can tell what may be seen from what must not:
 *
 * - a writer sees its own keys exactly as its private model says;
 * - a lookup finds every stable key, never a key outside the universe, and
 *   only values its owner could have written;
 * - a scan is strictly ordered, stays in its range, contains every stable
 *   key of the range and no phantom;
 * - of two writers racing to insert or delete a key, exactly one wins.
 *
 * At the end the tree equals the union of the per-thread models, exactly.
 *
 * Prefix: bwt_conc_.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "bwtree_kunit.h"

#define BWT_CONC_KEYS		1024
#define BWT_CONC_STABLE		0xff	/* owner of the stable keys */
#define BWT_CONC_SHARED		0xfe	/* owner of keys two writers race for */
#define BWT_CONC_TAG_FINAL	0xf000	/* both racers write this last */
#define BWT_CONC_ROUNDS		2

/* Tag of a value written by thread @id: its class is id + 1, never 0. */
static u16 bwt_conc_tag(unsigned int id, unsigned int seq)
{
	return ((id + 1) << 12) | (seq & 0xfff);
}

/**
 * struct bwt_conc - what the threads of one case share
 * @tree: the tree
 * @universe: the keys (its bitmap unused)
 * @owner: owner of each key: a thread id, BWT_CONC_STABLE or BWT_CONC_SHARED
 * @models: each writer's private model, by thread id
 * @racers: ids of the two writers that race for the shared keys
 * @shared: indices of the shared keys
 * @nr_shared: how many
 * @won_ins: per round and racer, the shared keys whose insert it won
 * @won_del: per round and racer, the shared keys whose delete it won
 * @barrier: arrivals at the racers' barrier
 * @ops: operations per disjoint writer
 * @writers: threads that are writers (0 .. @writers - 1)
 */
struct bwt_conc {
	struct bwtree *tree;
	struct bwt_model universe;
	u8 *owner;
	struct bwt_model *models;
	unsigned int racers[2];
	unsigned int *shared;
	unsigned int nr_shared;
	unsigned long *won_ins[BWT_CONC_ROUNDS][2];
	unsigned long *won_del[BWT_CONC_ROUNDS][2];
	atomic_t barrier;
	unsigned int ops;
	unsigned int writers;
};

/* Whether @val is a value that the owner of key index @i could have written. */
static bool bwt_conc_val_ok(struct bwt_conc *c, unsigned int i, u64 val)
{
	s64 k = c->universe.keys[i];
	unsigned int class = bwt_val_tag(val) >> 12;

	if (!bwt_val_ok(k, val))
		return false;
	switch (c->owner[i]) {
	case BWT_CONC_STABLE:
		return val == bwt_val(k, 0);
	case BWT_CONC_SHARED:
		return bwt_val_tag(val) == BWT_CONC_TAG_FINAL ||
		       class == c->racers[0] + 1 || class == c->racers[1] + 1;
	default:
		return class == c->owner[i] + 1;
	}
}

/* A disjoint writer: random operations on its own keys, checked exactly. */
static void bwt_conc_writer(struct bwt_thread *t)
{
	struct bwt_conc *c = t->arg;
	struct bwt_model *m = &c->models[t->id];
	unsigned int op;

	for (op = 0; op < c->ops && !bwt_thread_should_stop(t); op++) {
		unsigned int r = bwt_rng_below(&t->rng, 1000), i;
		bool has, replaced;
		u64 v, got = 0;
		s64 k;
		int ret;

		do {
			i = bwt_rng_below(&t->rng, m->nr);
		} while (c->owner[i] != t->id);
		k = m->keys[i];
		has = bwt_model_has(m, i);
		v = bwt_val(k, bwt_conc_tag(t->id, op));
		t->ops++;
		if (r < 350) {
			ret = bwtree_insert(c->tree, k, v);
			if (ret != (has ? -EEXIST : 0))
				goto bad;
			bwt_model_set(m, i, has ? m->vals[i] : v);
		} else if (r < 650) {
			ret = bwtree_delete(c->tree, k, &got);
			if (ret != (has ? 0 : -ENOENT) || (has && got != m->vals[i]))
				goto bad;
			bwt_model_clear(m, i);
		} else if (r < 850) {
			ret = bwtree_upsert(c->tree, k, v, &replaced);
			if (ret || replaced != has)
				goto bad;
			bwt_model_set(m, i, v);
		} else {
			ret = bwtree_lookup(c->tree, k, &got);
			if (ret != (has ? 0 : -ENOENT) || (has && got != m->vals[i]))
				goto bad;
		}
		continue;
bad:
		bwt_thread_fail(t,
				"writer %u op %u (r %u) key %lld present %d value %#llx: returned %d, value %#llx",
				t->id, op, r, k, has, has ? m->vals[i] : 0, ret, got);
	}
}

/* Lookups anywhere until told to stop. */
static void bwt_conc_reader(struct bwt_thread *t)
{
	struct bwt_conc *c = t->arg;
	const struct bwt_model *u = &c->universe;

	while (!bwt_thread_should_stop(t)) {
		unsigned int i = bwt_rng_below(&t->rng, u->nr);
		s64 k = u->keys[i];
		u64 v = 0;
		int ret;

		t->ops++;
		ret = bwtree_lookup(c->tree, k, &v);
		if (ret == -ENOENT && c->owner[i] == BWT_CONC_STABLE)
			bwt_thread_fail(t, "stable key %lld not found", k);
		else if (ret && ret != -ENOENT)
			bwt_thread_fail(t, "lookup %lld: %d", k, ret);
		else if (!ret && !bwt_conc_val_ok(c, i, v))
			bwt_thread_fail(t, "lookup %lld: value %#llx, owner %u",
					k, v, c->owner[i]);
		/* The key after it is in no tree. */
		if (k != S64_MAX && bwt_model_find(u, k + 1) < 0) {
			ret = bwtree_lookup(c->tree, k + 1, &v);
			if (ret != -ENOENT)
				bwt_thread_fail(t, "phantom lookup %lld: %d", k + 1, ret);
		}
	}
}

#define BWT_CONC_BATCH		40	/* most keys in one batched lookup */
#define BWT_CONC_UNSET		0x5eed5eed5eed5eedULL	/* never a value */

/*
 * Batched lookups until told to stop: keys of the universe, keys next to
 * them that no tree holds, and repeats of earlier keys in the same batch.
 * Each key's answer must be one a single lookup could give: every stable
 * key found with its value, never a key outside the universe, only values
 * the key's owner could have written, absent keys' values left alone.
 */
static void bwt_conc_batch_reader(struct bwt_thread *t)
{
	struct bwt_conc *c = t->arg;
	const struct bwt_model *u = &c->universe;
	s64 keys[BWT_CONC_BATCH];
	u64 vals[BWT_CONC_BATCH];
	bool found[BWT_CONC_BATCH];
	int idx[BWT_CONC_BATCH];	/* universe index, or -1 */

	while (!bwt_thread_should_stop(t)) {
		unsigned int n = 1 + bwt_rng_below(&t->rng, BWT_CONC_BATCH), j;
		int ret, hits = 0;

		for (j = 0; j < n; j++) {
			unsigned int r = bwt_rng_below(&t->rng, 8);
			unsigned int i = bwt_rng_below(&t->rng, u->nr);

			if (j && r == 0) {
				i = bwt_rng_below(&t->rng, j);
				keys[j] = keys[i];
				idx[j] = idx[i];
			} else if (r == 1 && u->keys[i] != S64_MAX &&
				   bwt_model_find(u, u->keys[i] + 1) < 0) {
				keys[j] = u->keys[i] + 1;
				idx[j] = -1;
			} else {
				keys[j] = u->keys[i];
				idx[j] = i;
			}
			vals[j] = BWT_CONC_UNSET;
		}
		t->ops += n;
		ret = bwtree_lookup_batch(c->tree, keys, n, vals, found);
		for (j = 0; j < n; j++) {
			int i = idx[j];

			hits += found[j];
			if (i < 0 && found[j])
				bwt_thread_fail(t, "batch: phantom key %lld", keys[j]);
			else if (i >= 0 && !found[j] && c->owner[i] == BWT_CONC_STABLE)
				bwt_thread_fail(t, "batch: stable key %lld not found", keys[j]);
			else if (i >= 0 && found[j] && !bwt_conc_val_ok(c, i, vals[j]))
				bwt_thread_fail(t, "batch: key %lld value %#llx, owner %u",
						keys[j], vals[j], c->owner[i]);
			else if (!found[j] && vals[j] != BWT_CONC_UNSET)
				bwt_thread_fail(t, "batch: absent key %lld got value %#llx",
						keys[j], vals[j]);
		}
		if (ret != hits)
			bwt_thread_fail(t, "batch of %u: returned %d, %d found", n,
					ret, hits);
	}
}

/* Index of the next stable key at or after @i, going up or down. */
static int bwt_conc_next_stable(struct bwt_conc *c, int i, bool reverse)
{
	while (i >= 0 && i < c->universe.nr && c->owner[i] != BWT_CONC_STABLE)
		i += reverse ? -1 : 1;
	return i;
}

/* One scan of [lo index, hi index] in batches; false on a failed check. */
static bool bwt_conc_scan_one(struct bwt_thread *t, struct bwtree_pair *out,
			      unsigned int max)
{
	struct bwt_conc *c = t->arg;
	const struct bwt_model *u = &c->universe;
	unsigned int a = bwt_rng_below(&t->rng, u->nr);
	unsigned int b = bwt_rng_below(&t->rng, u->nr);
	bool reverse = bwt_rng_below(&t->rng, 2);
	unsigned int flags = reverse ? BWTREE_SCAN_REVERSE : 0;
	s64 lo, hi, cur_lo, cur_hi, prev = 0;
	unsigned long batches = 0, seen = 0;
	int stable;

	if (a > b)
		swap(a, b);
	if (bwt_rng_below(&t->rng, 8) == 0) {
		a = 0;
		b = u->nr - 1;
	}
	lo = u->keys[a];
	hi = u->keys[b];
	cur_lo = lo;
	cur_hi = hi;
	stable = bwt_conc_next_stable(c, reverse ? b : a, reverse);

	for (;;) {
		bool done = false;
		s64 next = 0;
		int n, j;

		n = bwtree_scan_batch(c->tree, cur_lo, cur_hi, flags, out, max,
				      &next, &done);
		if (n < 0 || n > max) {
			bwt_thread_fail(t, "scan [%lld, %lld] max %u: returned %d",
					cur_lo, cur_hi, max, n);
			return false;
		}
		for (j = 0; j < n; j++) {
			s64 k = out[j].key;
			int i = bwt_model_find(u, k);

			if (k < cur_lo || k > cur_hi ||
			    (seen && (reverse ? k >= prev : k <= prev))) {
				bwt_thread_fail(t,
						"scan [%lld, %lld] flags %#x: key %lld after %lld",
						lo, hi, flags, k, prev);
				return false;
			}
			if (i < 0 || !bwt_conc_val_ok(c, i, out[j].value)) {
				bwt_thread_fail(t,
						"scan [%lld, %lld]: phantom or bad pair (%lld, %#llx)",
						lo, hi, k, out[j].value);
				return false;
			}
			/* No stable key may be skipped. */
			if (stable >= 0 && stable < u->nr &&
			    (reverse ? stable > i : stable < i)) {
				bwt_thread_fail(t,
						"scan [%lld, %lld] flags %#x: stable key %lld missing before %lld",
						lo, hi, flags, u->keys[stable], k);
				return false;
			}
			if (stable == i)
				stable = bwt_conc_next_stable(c, reverse ? i - 1 : i + 1,
							      reverse);
			prev = k;
			seen++;
		}
		if (done)
			break;
		if (n == 0 || next != (reverse ? prev - 1 : prev + 1) ||
		    ++batches > u->nr + 16) {
			bwt_thread_fail(t,
					"scan [%lld, %lld] flags %#x: %d pairs, not done, cursor %lld after %lld",
					lo, hi, flags, n, next, prev);
			return false;
		}
		if (reverse)
			cur_hi = next;
		else
			cur_lo = next;
	}
	if (stable >= 0 && stable < u->nr && stable >= a && stable <= b) {
		bwt_thread_fail(t, "scan [%lld, %lld] flags %#x: done, stable key %lld missing",
				lo, hi, flags, u->keys[stable]);
		return false;
	}
	return true;
}

/* Scans until told to stop; ops counts whole scans. */
static void bwt_conc_scanner(struct bwt_thread *t)
{
	struct bwtree_pair *out;
	unsigned int max;

	out = kmalloc_array(64, sizeof(*out), GFP_KERNEL);
	if (!out) {
		bwt_thread_fail(t, "no memory");
		return;
	}
	while (!bwt_thread_should_stop(t)) {
		max = 1 + bwt_rng_below(&t->rng, 64);
		if (!bwt_conc_scan_one(t, out, max))
			break;
		t->ops++;
	}
	kfree(out);
}

/* Wait until every racer has arrived @gen times; false when told to stop. */
static bool bwt_conc_barrier(struct bwt_thread *t, atomic_t *barrier,
			     int parties, int *gen)
{
	int target = ++*gen * parties;

	atomic_inc(barrier);
	while (atomic_read(barrier) < target) {
		if (bwt_thread_should_stop(t))
			return false;
		usleep_range(20, 50);
	}
	return true;
}

/* A racer: both racers insert, upsert and delete every shared key. */
static void bwt_conc_racer(struct bwt_thread *t)
{
	struct bwt_conc *c = t->arg;
	const struct bwt_model *u = &c->universe;
	unsigned int me = t->id == c->racers[1], r, j;
	int gen = 0;

	for (r = 0; r < BWT_CONC_ROUNDS; r++) {
		bool last = r == BWT_CONC_ROUNDS - 1;
		unsigned int seq = r * 4;

		/* Insert: exactly one racer wins each key. */
		for (j = 0; j < c->nr_shared; j++) {
			unsigned int i = c->shared[me ? c->nr_shared - 1 - j : j];
			s64 k = u->keys[i];
			int ret = bwtree_insert(c->tree, k,
						bwt_val(k, bwt_conc_tag(t->id, seq)));

			t->ops++;
			if (!ret)
				__set_bit(i, c->won_ins[r][me]);
			else if (ret != -EEXIST)
				bwt_thread_fail(t, "round %u insert %lld: %d", r, k, ret);
		}
		if (!bwt_conc_barrier(t, &c->barrier, 2, &gen))
			return;

		/* Upsert: every key is there, whoever put it. */
		for (j = 0; j < c->nr_shared; j++) {
			unsigned int i = c->shared[(j * 7 + me * c->nr_shared / 2) %
						   c->nr_shared];
			s64 k = u->keys[i];
			bool replaced = false;
			int ret = bwtree_upsert(c->tree, k,
						bwt_val(k, bwt_conc_tag(t->id, seq + 1)),
						&replaced);

			t->ops++;
			if (ret || !replaced)
				bwt_thread_fail(t, "round %u upsert %lld: %d, replaced %d",
						r, k, ret, replaced);
		}
		if (!bwt_conc_barrier(t, &c->barrier, 2, &gen))
			return;

		/* Delete (in the last round every other key): one winner each. */
		for (j = 0; j < c->nr_shared; j++) {
			unsigned int i = c->shared[me ? j : c->nr_shared - 1 - j];
			s64 k = u->keys[i];
			u64 v = 0;
			int ret;

			if (last && i % 2)
				continue;
			t->ops++;
			ret = bwtree_delete(c->tree, k, &v);
			if (!ret) {
				__set_bit(i, c->won_del[r][me]);
				if (!bwt_val_ok(k, v) ||
				    (bwt_val_tag(v) != bwt_conc_tag(c->racers[0], seq + 1) &&
				     bwt_val_tag(v) != bwt_conc_tag(c->racers[1], seq + 1)))
					bwt_thread_fail(t, "round %u delete %lld: value %#llx",
							r, k, v);
			} else if (ret != -ENOENT) {
				bwt_thread_fail(t, "round %u delete %lld: %d", r, k, ret);
			}
		}
		if (!bwt_conc_barrier(t, &c->barrier, 2, &gen))
			return;
	}

	/* Both write the same final value to the keys that stay. */
	for (j = 0; j < c->nr_shared; j++) {
		unsigned int i = c->shared[j];
		s64 k = u->keys[i];
		bool replaced = false;
		int ret;

		if (!(i % 2))
			continue;
		t->ops++;
		ret = bwtree_upsert(c->tree, k, bwt_val(k, BWT_CONC_TAG_FINAL),
				    &replaced);
		if (ret || !replaced)
			bwt_thread_fail(t, "final upsert %lld: %d, replaced %d",
					k, ret, replaced);
	}
}

/* A group of @nr threads, the first c->writers of them writers, started. */
static struct bwt_threads *bwt_conc_start(struct kunit *test,
					  struct bwt_conc *c, unsigned int nr)
{
	struct bwt_threads *grp = bwt_kunit_threads(test, nr,
						    bwt_kunit_seed(test, 0));
	unsigned int i;

	for (i = 0; i < c->writers; i++)
		bwt_thread_start(test, grp, i, bwt_conc_writer, c, "writer");
	return grp;
}

/*
 * Wait for the writers, threads 0 .. @writers - 1, then stop the others
 * (readers, scanners), which must each have done something.
 */
static void bwt_conc_join(struct kunit *test, struct bwt_threads *grp,
			  unsigned int writers)
{
	unsigned int i;

	for (i = 0; i < writers; i++)
		bwt_thread_join(&grp->t[i]);
	bwt_threads_stop(grp);
	bwt_threads_join(grp);
	bwt_threads_report(test, grp);
	for (i = writers; i < grp->nr; i++)
		KUNIT_EXPECT_GT(test, grp->t[i].ops, 0UL);
}

/* Set up a case: universe, owners, models, stable keys inserted. */
static struct bwt_conc *bwt_conc_setup(struct kunit *test,
				       const struct bwtree_params *p,
				       unsigned int threads)
{
	struct bwt_conc *c;
	unsigned int i, r;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	bwt_model_init(test, &c->universe, BWT_CONC_KEYS);
	c->owner = kunit_kzalloc(test, BWT_CONC_KEYS, GFP_KERNEL);
	c->shared = kunit_kcalloc(test, BWT_CONC_KEYS, sizeof(*c->shared),
				  GFP_KERNEL);
	c->models = kunit_kcalloc(test, threads, sizeof(*c->models), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->owner);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->shared);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->models);
	for (i = 0; i < threads; i++)
		bwt_model_init(test, &c->models[i], BWT_CONC_KEYS);
	for (r = 0; r < BWT_CONC_ROUNDS; r++) {
		for (i = 0; i < 2; i++) {
			c->won_ins[r][i] = kunit_kcalloc(test, BITS_TO_LONGS(BWT_CONC_KEYS),
							 sizeof(long), GFP_KERNEL);
			c->won_del[r][i] = kunit_kcalloc(test, BITS_TO_LONGS(BWT_CONC_KEYS),
							 sizeof(long), GFP_KERNEL);
			KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->won_ins[r][i]);
			KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->won_del[r][i]);
		}
	}
	c->tree = bwt_kunit_create(test, p);
	return c;
}

/* Insert the stable keys: those whose owner is BWT_CONC_STABLE. */
static void bwt_conc_insert_stable(struct kunit *test, struct bwt_conc *c)
{
	unsigned int i;

	for (i = 0; i < c->universe.nr; i++) {
		s64 k = c->universe.keys[i];

		if (c->owner[i] == BWT_CONC_STABLE)
			KUNIT_ASSERT_EQ(test, bwtree_insert(c->tree, k, bwt_val(k, 0)), 0);
		else if (c->owner[i] == BWT_CONC_SHARED)
			c->shared[c->nr_shared++] = i;
	}
}

/* The expected tree: stable keys, the writers' models, the racers' keys. */
static void bwt_conc_final(struct kunit *test, struct bwt_conc *c)
{
	struct bwt_model *all = &c->universe;
	struct bwtree_stats stats;
	unsigned int i, w;

	for (i = 0; i < all->nr; i++) {
		s64 k = all->keys[i];

		bwt_model_clear(all, i);
		if (c->owner[i] == BWT_CONC_STABLE)
			bwt_model_set(all, i, bwt_val(k, 0));
		else if (c->owner[i] == BWT_CONC_SHARED && i % 2)
			bwt_model_set(all, i, bwt_val(k, BWT_CONC_TAG_FINAL));
		else if (c->owner[i] < c->writers &&
			 bwt_model_has(&c->models[c->owner[i]], i))
			bwt_model_set(all, i, c->models[c->owner[i]].vals[i]);
	}
	KUNIT_EXPECT_TRUE(test, bwt_check_tree(test, c->tree, all));

	/* Of two racers, exactly one won each insert and each delete. */
	for (w = 0; w < BWT_CONC_ROUNDS; w++) {
		for (i = 0; i < c->nr_shared; i++) {
			unsigned int j = c->shared[i];
			bool last = w == BWT_CONC_ROUNDS - 1;
			int ins = test_bit(j, c->won_ins[w][0]) + test_bit(j, c->won_ins[w][1]);
			int del = test_bit(j, c->won_del[w][0]) + test_bit(j, c->won_del[w][1]);

			KUNIT_EXPECT_EQ_MSG(test, ins, 1,
					    "round %u: key %lld inserted by %d racers",
					    w, all->keys[j], ins);
			KUNIT_EXPECT_EQ_MSG(test, del, last && j % 2 ? 0 : 1,
					    "round %u: key %lld deleted by %d racers",
					    w, all->keys[j], del);
			if (ins != 1 || del != (last && j % 2 ? 0 : 1))
				return;
		}
	}
	bwtree_get_stats(c->tree, &stats);
	kunit_info(test,
		   "%llu keys, height %llu, splits %llu, merges %llu, consolidations %llu, cas failures %llu, retries %llu, longest chain %llu\n",
		   stats.count, stats.height, stats.splits, stats.merges,
		   stats.consolidations, stats.cas_failures, stats.retries,
		   stats.longest_chain);
}

/*
 * Four writers on disjoint keys interleaved one by one (so they share every
 * leaf), a reader and a scanner.
 */
static void bwt_conc_disjoint(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 4,
	};
	struct bwt_threads *grp;
	struct bwt_conc *c;
	unsigned int i;

	c = bwt_conc_setup(test, &p, 4);
	c->writers = 4;
	c->ops = 2000;
	for (i = 0; i < BWT_CONC_KEYS; i++)
		c->owner[i] = i % 16 == 15 ? BWT_CONC_STABLE : i % 4;
	bwt_conc_insert_stable(test, c);

	grp = bwt_conc_start(test, c, 6);
	bwt_thread_start(test, grp, 4, bwt_conc_reader, c, "reader");
	bwt_thread_start(test, grp, 5, bwt_conc_scanner, c, "scanner");
	bwt_conc_join(test, grp, 4);
	bwt_conc_final(test, c);
}

/*
 * Two writers on disjoint contiguous ranges (plus an interleaved one) and
 * two racers on an overlapping range, @ops operations each, started:
 * threads 0 to 3 of @nr.
 */
static struct bwt_threads *bwt_conc_mixed_start(struct kunit *test,
						struct bwt_conc **cp,
						unsigned int nr,
						unsigned int ops)
{
	const struct bwtree_params p = {
		.leaf_max = 4, .inner_max = 4, .chain_max = 2,
	};
	const unsigned int q = BWT_CONC_KEYS / 4;
	struct bwt_threads *grp;
	struct bwt_conc *c;
	unsigned int i;

	c = bwt_conc_setup(test, &p, 2);
	c->writers = 2;
	c->ops = ops;
	c->racers[0] = 2;
	c->racers[1] = 3;
	for (i = 0; i < BWT_CONC_KEYS; i++) {
		if (i % 16 == 15)
			c->owner[i] = BWT_CONC_STABLE;
		else if (i < q)
			c->owner[i] = 0;
		else if (i < 2 * q)
			c->owner[i] = 1;
		else if (i < 3 * q)
			c->owner[i] = BWT_CONC_SHARED;
		else
			c->owner[i] = i % 2;
	}
	bwt_conc_insert_stable(test, c);

	grp = bwt_conc_start(test, c, nr);
	bwt_thread_start(test, grp, 2, bwt_conc_racer, c, "racer");
	bwt_thread_start(test, grp, 3, bwt_conc_racer, c, "racer");
	*cp = c;
	return grp;
}

/* The mixed writers and racers, a reader and a scanner. */
static void bwt_conc_mixed(struct kunit *test)
{
	struct bwt_threads *grp;
	struct bwt_conc *c;

	grp = bwt_conc_mixed_start(test, &c, 6, 2000);
	bwt_thread_start(test, grp, 4, bwt_conc_reader, c, "reader");
	bwt_thread_start(test, grp, 5, bwt_conc_scanner, c, "scanner");
	bwt_conc_join(test, grp, 4);
	bwt_conc_final(test, c);
}

/*
 * The mixed writers and racers on nodes of 4 (splits, merges and
 * consolidations all the time) beside two threads of batched lookups, half
 * as many operations as bwt_conc_mixed() (the batches slow the writers: 80 s
 * in the debug guest with as many).  At the end, batched lookups of every
 * key of the universe give exactly the final tree.
 */
static void bwt_conc_batch(struct kunit *test)
{
	const struct bwt_model *all;
	struct bwtree_stats stats;
	struct bwt_threads *grp;
	struct bwt_conc *c;
	unsigned int i, j, n;
	bool *found;
	u64 *vals;

	vals = kunit_kcalloc(test, BWT_CONC_KEYS, sizeof(*vals), GFP_KERNEL);
	found = kunit_kcalloc(test, BWT_CONC_KEYS, sizeof(*found), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vals);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, found);
	grp = bwt_conc_mixed_start(test, &c, 6, 1000);
	bwt_thread_start(test, grp, 4, bwt_conc_batch_reader, c, "batch");
	bwt_thread_start(test, grp, 5, bwt_conc_batch_reader, c, "batch");
	bwt_conc_join(test, grp, 4);
	bwt_conc_final(test, c);	/* c->universe is now the final tree */

	all = &c->universe;
	for (i = 0; i < all->nr; i += n) {
		int hits = 0;

		n = min_t(unsigned int, all->nr - i, 1 + i % 97);
		for (j = i; j < i + n; j++) {
			vals[j] = BWT_CONC_UNSET;
			hits += bwt_model_has(all, j);
		}
		KUNIT_EXPECT_EQ(test, bwtree_lookup_batch(c->tree, all->keys + i, n,
							  vals + i, found + i), hits);
	}
	for (i = 0; i < all->nr; i++) {
		KUNIT_EXPECT_EQ_MSG(test, found[i], bwt_model_has(all, i),
				    "key %lld", all->keys[i]);
		KUNIT_EXPECT_EQ_MSG(test, vals[i],
				    bwt_model_has(all, i) ? all->vals[i] : BWT_CONC_UNSET,
				    "key %lld", all->keys[i]);
		if (found[i] != bwt_model_has(all, i))
			break;
	}
	bwtree_get_stats(c->tree, &stats);
	KUNIT_EXPECT_GT(test, stats.splits, 0ULL);
	KUNIT_EXPECT_GT(test, stats.merges, 0ULL);
	KUNIT_EXPECT_GT(test, stats.consolidations, 0ULL);
}

/*
 * Four threads race for the same keys: each inserts all of them in its own
 * order, upserts all of them, deletes all of them.  Exactly one thread wins
 * each insert and each delete, and the tree ends as one empty leaf.
 */
struct bwt_conc_race {
	struct bwtree *tree;
	unsigned int nr;
	atomic_t barrier;
	unsigned long *won_ins[4];
	unsigned long *won_del[4];
};

#define BWT_RACE_KEY(i)		((s64)(i) * 5 - 1000)

static unsigned int bwt_race_index(struct bwt_thread *t, unsigned int j,
				   unsigned int nr, u64 salt)
{
	switch (t->id) {
	case 0:
		return j;
	case 1:
		return nr - 1 - j;
	case 2:
		return (j * 7 + (unsigned int)salt) % nr;	/* nr prime to 7 */
	default:
		return (j % 2 ? j / 2 : nr - 1 - j / 2);
	}
}

static void bwt_conc_race_thread(struct bwt_thread *t)
{
	struct bwt_conc_race *rc = t->arg;
	u64 salt = bwt_rng_next(&t->rng);
	unsigned int j;
	int gen = 0;

	for (j = 0; j < rc->nr; j++) {
		unsigned int i = bwt_race_index(t, j, rc->nr, salt);
		s64 k = BWT_RACE_KEY(i);
		int ret = bwtree_insert(rc->tree, k, bwt_val(k, bwt_conc_tag(t->id, 0)));

		t->ops++;
		if (!ret)
			__set_bit(i, rc->won_ins[t->id]);
		else if (ret != -EEXIST)
			bwt_thread_fail(t, "insert %lld: %d", k, ret);
	}
	if (!bwt_conc_barrier(t, &rc->barrier, 4, &gen))
		return;
	for (j = 0; j < rc->nr; j++) {
		unsigned int i = bwt_race_index(t, rc->nr - 1 - j, rc->nr, salt);
		s64 k = BWT_RACE_KEY(i);
		bool replaced = false;
		u64 v = 0;
		int ret;

		t->ops += 2;
		ret = bwtree_upsert(rc->tree, k, bwt_val(k, bwt_conc_tag(t->id, 1)),
				    &replaced);
		if (ret || !replaced)
			bwt_thread_fail(t, "upsert %lld: %d, replaced %d", k, ret,
					replaced);
		ret = bwtree_lookup(rc->tree, k, &v);
		if (ret || !bwt_val_ok(k, v) || (bwt_val_tag(v) & 0xfff) > 1)
			bwt_thread_fail(t, "lookup %lld: %d, %#llx", k, ret, v);
	}
	if (!bwt_conc_barrier(t, &rc->barrier, 4, &gen))
		return;
	for (j = 0; j < rc->nr; j++) {
		unsigned int i = bwt_race_index(t, j, rc->nr, salt + 1);
		s64 k = BWT_RACE_KEY(i);
		u64 v = 0;
		int ret = bwtree_delete(rc->tree, k, &v);

		t->ops++;
		if (!ret) {
			__set_bit(i, rc->won_del[t->id]);
			if (!bwt_val_ok(k, v) || (bwt_val_tag(v) & 0xfff) != 1)
				bwt_thread_fail(t, "delete %lld: value %#llx", k, v);
		} else if (ret != -ENOENT) {
			bwt_thread_fail(t, "delete %lld: %d", k, ret);
		}
	}
}

static void bwt_conc_race(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 4, .inner_max = 4, .chain_max = 2,
	};
	struct bwt_conc_race *rc;
	struct bwtree_stats stats;
	struct bwt_threads *grp;
	unsigned int i, round;

	rc = kunit_kzalloc(test, sizeof(*rc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rc);
	rc->nr = 257;	/* odd, and prime to 7: see bwt_race_index() */
	for (i = 0; i < 4; i++) {
		rc->won_ins[i] = kunit_kcalloc(test, BITS_TO_LONGS(rc->nr),
					       sizeof(long), GFP_KERNEL);
		rc->won_del[i] = kunit_kcalloc(test, BITS_TO_LONGS(rc->nr),
					       sizeof(long), GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rc->won_ins[i]);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rc->won_del[i]);
	}
	rc->tree = bwt_kunit_create(test, &p);

	for (round = 0; round < 2; round++) {
		unsigned long ins = 0, del = 0;

		atomic_set(&rc->barrier, 0);
		for (i = 0; i < 4; i++) {
			bitmap_zero(rc->won_ins[i], rc->nr);
			bitmap_zero(rc->won_del[i], rc->nr);
		}
		grp = bwt_kunit_threads(test, 4, bwt_kunit_seed(test, round));
		for (i = 0; i < 4; i++)
			bwt_thread_start(test, grp, i, bwt_conc_race_thread, rc, "race");
		bwt_threads_join(grp);
		bwt_threads_report(test, grp);

		for (i = 0; i < rc->nr; i++) {
			int wi = 0, wd = 0, w;

			for (w = 0; w < 4; w++) {
				wi += test_bit(i, rc->won_ins[w]);
				wd += test_bit(i, rc->won_del[w]);
			}
			KUNIT_EXPECT_EQ_MSG(test, wi, 1, "key %lld inserted %d times",
					    BWT_RACE_KEY(i), wi);
			KUNIT_EXPECT_EQ_MSG(test, wd, 1, "key %lld deleted %d times",
					    BWT_RACE_KEY(i), wd);
			if (wi != 1 || wd != 1)
				break;
		}
		for (i = 0; i < 4; i++) {
			ins += bitmap_weight(rc->won_ins[i], rc->nr);
			del += bitmap_weight(rc->won_del[i], rc->nr);
		}
		KUNIT_EXPECT_EQ(test, ins, (unsigned long)rc->nr);
		KUNIT_EXPECT_EQ(test, del, (unsigned long)rc->nr);
		KUNIT_EXPECT_EQ(test, bwtree_validate(rc->tree), 0);
		bwtree_get_stats(rc->tree, &stats);
		kunit_info(test,
			   "round %u: splits %llu, merges %llu, cas failures %llu, retries %llu\n",
			   round, stats.splits, stats.merges, stats.cas_failures,
			   stats.retries);
		KUNIT_EXPECT_EQ(test, stats.count, 0ULL);
		KUNIT_EXPECT_EQ(test, bwtree_count(rc->tree), 0ULL);
		KUNIT_EXPECT_EQ(test, stats.height, 1ULL);
		KUNIT_EXPECT_GT(test, stats.splits, 0ULL);
		KUNIT_EXPECT_GT(test, stats.merges, 0ULL);
	}
}

/*
 * Four threads upsert the same few hot keys while each inserts and deletes
 * filler keys of its own between them, so the hot keys' leaves keep
 * splitting and merging.  A lookup only sees a value some thread wrote for
 * that key, and at the end each hot key holds the last value one of the
 * threads wrote to it.
 */
#define BWT_HOT_KEYS		8
#define BWT_HOT_FILLERS		128	/* per thread */
#define BWT_HOT_KEY(h)		((s64)(h) * 64 + 1)	/* odd */

struct bwt_conc_hot {
	struct bwtree *tree;
	unsigned int ops;
	u64 last[4][BWT_HOT_KEYS];
};

static s64 bwt_hot_filler(unsigned int id, unsigned int j)
{
	return ((s64)j * 4 + id) * 2;	/* even, one stripe per thread */
}

static void bwt_conc_hot_thread(struct bwt_thread *t)
{
	struct bwt_conc_hot *hc = t->arg;
	DECLARE_BITMAP(have, BWT_HOT_FILLERS);
	unsigned int op;

	bitmap_zero(have, BWT_HOT_FILLERS);
	for (op = 0; op < hc->ops && !bwt_thread_should_stop(t); op++) {
		unsigned int r = bwt_rng_below(&t->rng, 100);
		u64 v = 0;
		s64 k;
		int ret;

		t->ops++;
		if (r < 50) {
			unsigned int h = bwt_rng_below(&t->rng, BWT_HOT_KEYS);

			k = BWT_HOT_KEY(h);
			v = bwt_val(k, bwt_conc_tag(t->id, op));
			ret = bwtree_upsert(hc->tree, k, v, NULL);
			if (ret)
				bwt_thread_fail(t, "upsert %lld: %d", k, ret);
			else
				hc->last[t->id][h] = v;
		} else if (r < 70) {
			k = BWT_HOT_KEY(bwt_rng_below(&t->rng, BWT_HOT_KEYS));
			ret = bwtree_lookup(hc->tree, k, &v);
			if (ret == -ENOENT)
				continue;
			if (ret || !bwt_val_ok(k, v) ||
			    (bwt_val_tag(v) >> 12) < 1 || (bwt_val_tag(v) >> 12) > 4)
				bwt_thread_fail(t, "lookup %lld: %d, %#llx", k, ret, v);
		} else {
			unsigned int j = bwt_rng_below(&t->rng, BWT_HOT_FILLERS);
			bool grow = !((op >> 9) & 1);

			k = bwt_hot_filler(t->id, j);
			if (!test_bit(j, have) && grow) {
				ret = bwtree_insert(hc->tree, k, bwt_val(k, 0));
				if (ret)
					bwt_thread_fail(t, "insert %lld: %d", k, ret);
				__set_bit(j, have);
			} else if (test_bit(j, have)) {
				ret = bwtree_delete(hc->tree, k, NULL);
				if (ret)
					bwt_thread_fail(t, "delete %lld: %d", k, ret);
				__clear_bit(j, have);
			}
		}
	}
}

static void bwt_conc_hot_upsert(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 4, .inner_max = 4, .chain_max = 2,
	};
	struct bwtree_stats stats;
	struct bwt_conc_hot *hc;
	struct bwt_threads *grp;
	unsigned int i, h;

	hc = kunit_kzalloc(test, sizeof(*hc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hc);
	hc->tree = bwt_kunit_create(test, &p);
	hc->ops = 4000;
	grp = bwt_kunit_threads(test, 4, bwt_kunit_seed(test, 0));
	for (i = 0; i < 4; i++)
		bwt_thread_start(test, grp, i, bwt_conc_hot_thread, hc, "hot");
	bwt_threads_join(grp);
	bwt_threads_report(test, grp);

	for (h = 0; h < BWT_HOT_KEYS; h++) {
		bool someone = false;
		u64 v = 0;
		int ret = bwtree_lookup(hc->tree, BWT_HOT_KEY(h), &v);

		for (i = 0; i < 4; i++)
			someone |= hc->last[i][h] && hc->last[i][h] == v;
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_TRUE_MSG(test, someone,
				      "hot key %lld ends with %#llx, no thread's last write",
				      BWT_HOT_KEY(h), v);
	}
	KUNIT_EXPECT_EQ(test, bwtree_validate(hc->tree), 0);
	bwtree_get_stats(hc->tree, &stats);
	kunit_info(test, "splits %llu, merges %llu, cas failures %llu, retries %llu, reader yields %llu\n",
		   stats.splits, stats.merges, stats.cas_failures, stats.retries,
		   stats.reader_yields);
	KUNIT_EXPECT_GT(test, stats.splits, 0ULL);
	KUNIT_EXPECT_GT(test, stats.merges, 0ULL);
}

static struct kunit_case bwt_conc_cases[] = {
	KUNIT_CASE_SLOW(bwt_conc_disjoint),
	KUNIT_CASE_SLOW(bwt_conc_mixed),
	KUNIT_CASE_SLOW(bwt_conc_race),
	KUNIT_CASE_SLOW(bwt_conc_hot_upsert),
	KUNIT_CASE_SLOW(bwt_conc_batch),
	{}
};

static struct kunit_suite bwt_conc_suite = {
	.name = "bwtree_concurrency",
	.test_cases = bwt_conc_cases,
};

kunit_test_suite(bwt_conc_suite);
