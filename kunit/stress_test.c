// SPDX-License-Identifier: GPL-2.0
/*
 * Kthread stress that may run under injected allocation failures (suite
 * bwtree_stress).
 *
 * One writer per online CPU (at least two) owns the keys whose index is its
 * id modulo the number of writers, so that every leaf is shared by all of
 * them, and changes them at random, checking every result exactly against
 * its private model: twice a quarter of its writes mostly inserting, then a
 * quarter mostly deleting, so that nodes split and then merge.  A reader
 * looks keys up and a scanner scans ranges in batches while they write.  At
 * the end the tree must equal the union of the models: count, every key by
 * lookup, one full scan, and bwtree_validate().
 *
 * The case is strict when it runs at module load: -ENOMEM is a failure.
 * The test guest loads the module a second time with stress_enomem=1 while
 * failslab fails a percentage of the allocations from the module's caches
 * (scripts/guest-init, stage "stress").  Then a write may fail with -ENOMEM,
 * which must have changed nothing (the model stays as it was: a later
 * lookup or the final comparison catches a half-done write), and at least
 * one must have failed, or the run proved nothing.  Lookups never allocate,
 * so they must never fail; scans allocate only from kmalloc, outside the
 * caches failslab is told to fail, but may see -ENOMEM in principle and
 * retry.
 *
 * Module parameters: stress_enomem (bool), stress_ops (writes per writer,
 * 0 for the default).  Prefix: bwt_stress_.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "bwtree_kunit.h"

#define BWT_STRESS_KEYS		2048
#define BWT_STRESS_OPS		3000
#define BWT_STRESS_MAX_WRITERS	8
#define BWT_STRESS_RETRIES	10000

static bool stress_enomem;
module_param(stress_enomem, bool, 0644);
MODULE_PARM_DESC(stress_enomem,
		 "bwtree_stress: writes may fail with -ENOMEM (failslab is on)");

static unsigned int stress_ops;
module_param(stress_ops, uint, 0644);
MODULE_PARM_DESC(stress_ops, "bwtree_stress: writes per writer (0: 3000)");

/**
 * struct bwt_stress - what the threads share
 * @tree: the tree
 * @universe: the keys; at the end, the expected tree
 * @models: each writer's model
 * @writers: number of writers
 * @ops: writes per writer
 * @enomem: -ENOMEM results seen, all threads
 */
struct bwt_stress {
	struct bwtree *tree;
	struct bwt_model universe;
	struct bwt_model *models;
	unsigned int writers;
	unsigned int ops;
	atomic_long_t enomem;
};

/* Tag of a value written by writer @id at write @seq: class id + 1. */
static u16 bwt_stress_tag(unsigned int id, unsigned int seq)
{
	return ((id + 1) << 12) | (seq & 0xfff);
}

/* Whether @val is one that the owner of key index @i could have written. */
static bool bwt_stress_val_ok(struct bwt_stress *s, unsigned int i, u64 val)
{
	return bwt_val_ok(s->universe.keys[i], val) &&
	       bwt_val_tag(val) >> 12 == i % s->writers + 1;
}

/*
 * Whether -ENOMEM from a write is allowed; counts it if so.  The write
 * changed nothing, so the caller leaves its model alone.
 */
static bool bwt_stress_enomem(struct bwt_stress *s, int ret)
{
	if (ret != -ENOMEM || !stress_enomem)
		return false;
	atomic_long_inc(&s->enomem);
	return true;
}

static void bwt_stress_writer(struct bwt_thread *t)
{
	struct bwt_stress *s = t->arg;
	struct bwt_model *m = &s->models[t->id];
	unsigned int op, mine = (m->nr - t->id + s->writers - 1) / s->writers;

	for (op = 0; op < s->ops && !bwt_thread_should_stop(t); op++) {
		/* Two rounds of filling, then emptying: splits, then merges. */
		bool emptying = (op * 4 / s->ops) % 2;
		unsigned int ins = emptying ? 15 : 55, del = emptying ? 70 : 15;
		unsigned int r = bwt_rng_below(&t->rng, 100);
		unsigned int i = t->id + s->writers * bwt_rng_below(&t->rng, mine);
		s64 k = m->keys[i];
		bool has = bwt_model_has(m, i), replaced = false;
		u64 v = bwt_val(k, bwt_stress_tag(t->id, op)), got = 0;
		int ret;

		t->ops++;
		if (r < ins) {
			ret = bwtree_insert(s->tree, k, v);
			if (bwt_stress_enomem(s, ret))
				continue;
			if (ret != (has ? -EEXIST : 0))
				goto bad;
			if (!has)
				bwt_model_set(m, i, v);
		} else if (r < ins + del) {
			ret = bwtree_delete(s->tree, k, &got);
			if (bwt_stress_enomem(s, ret))
				continue;
			if (ret != (has ? 0 : -ENOENT) ||
			    (has && got != m->vals[i]))
				goto bad;
			bwt_model_clear(m, i);
		} else if (r < ins + del + 15) {
			ret = bwtree_upsert(s->tree, k, v, &replaced);
			if (bwt_stress_enomem(s, ret))
				continue;
			if (ret || replaced != has)
				goto bad;
			bwt_model_set(m, i, v);
		} else {
			ret = bwtree_lookup(s->tree, k, &got);
			if (ret != (has ? 0 : -ENOENT) ||
			    (has && got != m->vals[i]))
				goto bad;
		}
		continue;
bad:
		bwt_thread_fail(t,
				"writer %u op %u (r %u) key %lld present %d value %#llx: returned %d, value %#llx",
				t->id, op, r, k, has, has ? m->vals[i] : 0, ret,
				got);
		return;
	}
}

/* Lookups of any key until told to stop: never an error, never garbage. */
static void bwt_stress_reader(struct bwt_thread *t)
{
	struct bwt_stress *s = t->arg;
	const struct bwt_model *u = &s->universe;

	while (!bwt_thread_should_stop(t)) {
		unsigned int i = bwt_rng_below(&t->rng, u->nr);
		u64 v = 0;
		int ret = bwtree_lookup(s->tree, u->keys[i], &v);

		t->ops++;
		if ((ret && ret != -ENOENT) ||
		    (!ret && !bwt_stress_val_ok(s, i, v))) {
			bwt_thread_fail(t, "lookup %lld: %d, value %#llx",
					u->keys[i], ret, v);
			return;
		}
	}
}

/*
 * Scans of random ranges in batches of random size until told to stop:
 * strictly ordered, inside the range, only keys of the universe with
 * values their owner wrote.
 */
static void bwt_stress_scanner(struct bwt_thread *t)
{
	struct bwt_stress *s = t->arg;
	const struct bwt_model *u = &s->universe;
	struct bwtree_pair *out;

	out = kmalloc_array(32, sizeof(*out), GFP_KERNEL);
	if (!out) {
		bwt_thread_fail(t, "no memory for the scan buffer");
		return;
	}
	while (!bwt_thread_should_stop(t)) {
		unsigned int a = bwt_rng_below(&t->rng, u->nr);
		unsigned int b = bwt_rng_below(&t->rng, u->nr);
		unsigned int max = 1 + bwt_rng_below(&t->rng, 32);
		unsigned int flags = bwt_rng_below(&t->rng, 2) ?
				     BWTREE_SCAN_REVERSE : 0;
		unsigned int tries = 0;
		s64 lo, hi, prev = 0;
		bool seen = false;

		if (a > b)
			swap(a, b);
		lo = u->keys[a];
		hi = u->keys[b];
		for (;;) {
			bool done = false;
			s64 next = 0;
			int n, j;

			n = bwtree_scan_batch(s->tree, lo, hi, flags, out, max,
					      &next, &done);
			if (n == -ENOMEM && stress_enomem &&
			    ++tries < BWT_STRESS_RETRIES) {
				atomic_long_inc(&s->enomem);
				continue;
			}
			if (n < 0 || n > max) {
				bwt_thread_fail(t, "scan [%lld, %lld]: %d",
						lo, hi, n);
				goto out;
			}
			for (j = 0; j < n; j++) {
				s64 k = out[j].key;
				int i = bwt_model_find(u, k);

				if (k < lo || k > hi || i < 0 ||
				    (seen && (flags ? k >= prev : k <= prev)) ||
				    !bwt_stress_val_ok(s, i, out[j].value)) {
					bwt_thread_fail(t,
							"scan [%lld, %lld] flags %#x: pair (%lld, %#llx) after %lld",
							lo, hi, flags, k,
							out[j].value, prev);
					goto out;
				}
				prev = k;
				seen = true;
			}
			if (done)
				break;
			if (flags)
				hi = next;
			else
				lo = next;
		}
		t->ops++;
	}
out:
	kfree(out);
}

/*
 * The tree equals @m: count, every key of the universe by lookup, a full
 * scan, and the structure's invariants.
 */
static void bwt_stress_check(struct kunit *test, struct bwt_stress *s,
			     struct bwt_model *m)
{
	struct bwtree_pair *out;
	unsigned int i, seen = 0, tries = 0;
	s64 lo = S64_MIN;

	KUNIT_EXPECT_EQ(test, bwtree_count(s->tree), m->count);
	for (i = 0; i < m->nr; i++) {
		u64 v = 0;
		int ret = bwtree_lookup(s->tree, m->keys[i], &v);

		if (ret != (bwt_model_has(m, i) ? 0 : -ENOENT) ||
		    (!ret && v != m->vals[i])) {
			KUNIT_FAIL(test, "key %lld: lookup %d value %#llx, model %d %#llx",
				   m->keys[i], ret, v, bwt_model_has(m, i),
				   m->vals[i]);
			return;
		}
	}

	out = kunit_kmalloc_array(test, 64, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, out);
	i = 0;
	for (;;) {
		bool done = false;
		s64 next = 0;
		int n, j;

		n = bwtree_scan_batch(s->tree, lo, S64_MAX, 0, out, 64, &next,
				      &done);
		if (n == -ENOMEM && stress_enomem &&
		    ++tries < BWT_STRESS_RETRIES)
			continue;
		KUNIT_ASSERT_GE(test, n, 0);
		for (j = 0; j < n; j++) {
			while (i < m->nr && !bwt_model_has(m, i))
				i++;
			if (i >= m->nr || out[j].key != m->keys[i] ||
			    out[j].value != m->vals[i]) {
				KUNIT_FAIL(test, "full scan: pair %u is (%lld, %#llx), model %lld",
					   seen, out[j].key, out[j].value,
					   i < m->nr ? m->keys[i] : 0);
				return;
			}
			i++;
			seen++;
		}
		if (done)
			break;
		lo = next;
	}
	KUNIT_EXPECT_EQ(test, (u64)seen, m->count);
	KUNIT_EXPECT_EQ(test, bwtree_validate(s->tree), 0);
}

static void bwt_stress_kthreads(struct kunit *test)
{
	const struct bwtree_params p = {
		.leaf_max = 8, .inner_max = 4, .chain_max = 2,
	};
	struct bwtree_stats stats;
	struct bwt_threads *grp;
	struct bwt_stress *s;
	unsigned long writes = 0;
	unsigned int i, w;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	s->writers = clamp(num_online_cpus(), 2U, BWT_STRESS_MAX_WRITERS);
	s->ops = stress_ops ?: BWT_STRESS_OPS;
	atomic_long_set(&s->enomem, 0);
	bwt_model_init(test, &s->universe, BWT_STRESS_KEYS);
	s->models = kunit_kcalloc(test, s->writers, sizeof(*s->models),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s->models);
	for (w = 0; w < s->writers; w++)
		bwt_model_init(test, &s->models[w], BWT_STRESS_KEYS);
	/* Under failslab, creating the tree may take a few tries. */
	for (i = 0; ; i++) {
		s->tree = bwtree_create(&p);
		if (!IS_ERR(s->tree) || PTR_ERR(s->tree) != -ENOMEM ||
		    !bwt_stress_enomem(s, -ENOMEM) || i >= BWT_STRESS_RETRIES)
			break;
	}
	bwt_kunit_own(test, s->tree);

	grp = bwt_kunit_threads(test, s->writers + 2, bwt_kunit_seed(test, 0));
	for (w = 0; w < s->writers; w++)
		bwt_thread_start(test, grp, w, bwt_stress_writer, s, "writer");
	bwt_thread_start(test, grp, s->writers, bwt_stress_reader, s, "reader");
	bwt_thread_start(test, grp, s->writers + 1, bwt_stress_scanner, s,
			 "scanner");
	for (w = 0; w < s->writers; w++) {
		bwt_thread_join(&grp->t[w]);
		writes += grp->t[w].ops;
	}
	bwt_threads_stop(grp);
	bwt_threads_join(grp);
	bwt_threads_report(test, grp);
	KUNIT_EXPECT_GT(test, grp->t[s->writers].ops, 0UL);
	KUNIT_EXPECT_GT(test, grp->t[s->writers + 1].ops, 0UL);

	/* The expected tree: the union of the writers' models. */
	for (i = 0; i < s->universe.nr; i++) {
		struct bwt_model *m = &s->models[i % s->writers];

		if (bwt_model_has(m, i))
			bwt_model_set(&s->universe, i, m->vals[i]);
	}
	bwt_stress_check(test, s, &s->universe);

	bwtree_get_stats(s->tree, &stats);
	kunit_info(test,
		   "%u writers, %lu writes, %ld -ENOMEM (%s), %llu keys, height %llu, splits %llu, merges %llu, consolidations %llu\n",
		   s->writers, writes, atomic_long_read(&s->enomem),
		   stress_enomem ? "allowed" : "not allowed", stats.count,
		   stats.height, stats.splits, stats.merges,
		   stats.consolidations);
	KUNIT_EXPECT_GT(test, stats.splits, 0ULL);
	KUNIT_EXPECT_GT(test, stats.merges, 0ULL);
	KUNIT_EXPECT_GT(test, stats.consolidations, 0ULL);
	/* Under failslab, a run that saw no failure proved nothing. */
	if (stress_enomem)
		KUNIT_EXPECT_GT_MSG(test, atomic_long_read(&s->enomem), 0L,
				    "stress_enomem=1 but no -ENOMEM: is failslab on?");
}

static struct kunit_case bwt_stress_cases[] = {
	KUNIT_CASE_SLOW(bwt_stress_kthreads),
	{}
};

static struct kunit_suite bwt_stress_suite = {
	.name = "bwtree_stress",
	.test_cases = bwt_stress_cases,
};

kunit_test_suite(bwt_stress_suite);
