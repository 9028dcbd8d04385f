// SPDX-License-Identifier: GPL-2.0
/*
 * A reader that stays inside rcu_read_lock() sections while another kthread
 * rebuilds the tree under it (suite bwtree_rcu).
 *
 * The writer works only while the reader holds a read-side section: before
 * each operation it checks a gate that the reader opens once inside a
 * section, and the reader, before it leaves, closes the gate and waits until
 * no operation is in flight (a Dekker handshake: each side writes its flag,
 * then a full barrier, then reads the other's).  So every insert that splits
 * leaves and inner nodes and grows the root, every consolidation, every
 * upsert of a key the reader checks and every delete that merges nodes back
 * happens entirely inside one of the reader's sections; statistics taken at
 * both ends of each section prove it.  Meanwhile the reader looks keys up
 * with bwtree_lookup(), which never sleeps (it allocates only to fold a
 * leaf's chain, with GFP_NOWAIT, inside its section): everything the
 * writer unlinks must stay readable until the reader leaves (KASAN reports
 * it otherwise), and every value found must be one that can be there.
 * bwtree_scan_batch() may sleep (it allocates scratch space), so a third
 * kthread scans with it at the same time, each batch in its own section.
 *
 * Prefix: bwt_rcu_.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "bwtree_kunit.h"

#define BWT_RCU_KEYS		256
#define BWT_RCU_ROUNDS		3
#define BWT_RCU_TAG_CHURN	2
#define BWT_RCU_BATCH		16
#define BWT_RCU_SECTION		(HZ / 2)	/* how long the reader holds a section */
#define BWT_RCU_PATIENCE	(10 * HZ)	/* well below the RCU stall timeout */

/**
 * struct bwt_rcu_case - one variant
 * @name: its name
 * @params: the tree's parameters
 * @stable_every: key i is stable when i % @stable_every == 0, and the last
 *	key too; 0 means only the first and the last key
 * @collapse: after each round the tree must be a single leaf again
 */
struct bwt_rcu_case {
	const char *name;
	struct bwtree_params params;
	unsigned int stable_every;
	bool collapse;
};

static const struct bwt_rcu_case bwt_rcu_cases[] = {
	{
		.name = "smo-under-reader",
		.params = { .leaf_max = 4, .inner_max = 4, .chain_max = 2 },
		.stable_every = 32,
	},
	{
		.name = "collapse-under-reader",
		.params = { .leaf_max = 8, .inner_max = 8, .chain_max = 2 },
		.stable_every = 0,
		.collapse = true,
	},
};

static void bwt_rcu_desc(const struct bwt_rcu_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bwt_rcu, bwt_rcu_cases, bwt_rcu_desc);

/**
 * struct bwt_rcu - what the reader and the writer share
 * @c: the variant
 * @tree: the tree
 * @u: the universe of keys (its bitmap unused)
 * @gate: 1 while the reader holds a section and the writer may start an
 *	operation
 * @busy: 1 while the writer has an operation in flight
 * @done: rounds the writer has finished
 * @before: statistics before each round
 * @peak: statistics when each round's tree was largest
 * @after: statistics after each round
 * @inside: sums of what the statistics gained between the two ends of each
 *	of the reader's sections
 * @sections: read-side sections the reader held
 */
struct bwt_rcu {
	const struct bwt_rcu_case *c;
	struct bwtree *tree;
	struct bwt_model u;
	atomic_t gate;
	atomic_t busy;
	atomic_t done;
	struct bwtree_stats before[BWT_RCU_ROUNDS];
	struct bwtree_stats peak[BWT_RCU_ROUNDS];
	struct bwtree_stats after[BWT_RCU_ROUNDS];
	struct bwtree_stats inside;
	unsigned long sections;
};

static bool bwt_rcu_stable(const struct bwt_rcu *r, unsigned int i)
{
	if (i == 0 || i == r->u.nr - 1)
		return true;
	return r->c->stable_every && i % r->c->stable_every == 0;
}

/* Whether (key of index @i, @v) may be seen at any time. */
static bool bwt_rcu_val_ok(const struct bwt_rcu *r, unsigned int i, u64 v)
{
	s64 k = r->u.keys[i];

	if (bwt_rcu_stable(r, i))
		return v == bwt_val(k, 0) || v == bwt_val(k, 1);
	return v == bwt_val(k, BWT_RCU_TAG_CHURN);
}

/* One pass of lookups; runs inside rcu_read_lock(). */
static void bwt_rcu_lookups(struct bwt_thread *t, struct bwt_rcu *r)
{
	const struct bwt_model *u = &r->u;
	unsigned int i;
	u64 v;
	int ret;

	/* Every stable key is there, with one of its two values. */
	for (i = 0; i < u->nr; i++) {
		if (!bwt_rcu_stable(r, i))
			continue;
		ret = bwtree_lookup(r->tree, u->keys[i], &v);
		if (ret || !bwt_rcu_val_ok(r, i, v))
			bwt_thread_fail(t, "stable key %lld: %d, %#llx",
					u->keys[i], ret, v);
	}
	/* A churn key is there with its value, or not there. */
	i = bwt_rng_below(&t->rng, u->nr);
	ret = bwtree_lookup(r->tree, u->keys[i], &v);
	if ((ret && ret != -ENOENT) || (!ret && !bwt_rcu_val_ok(r, i, v)))
		bwt_thread_fail(t, "key %lld: %d, %#llx", u->keys[i], ret, v);
	/* A key that is in no tree is never found. */
	if (u->keys[i] != S64_MAX && bwt_model_find(u, u->keys[i] + 1) < 0 &&
	    bwtree_lookup(r->tree, u->keys[i] + 1, &v) != -ENOENT)
		bwt_thread_fail(t, "phantom key %lld", u->keys[i] + 1);
}

/* One scan of a random window, resumed batch by batch. */
static void bwt_rcu_scan(struct bwt_thread *t, struct bwt_rcu *r,
			 struct bwtree_pair *out)
{
	const struct bwt_model *u = &r->u;
	bool reverse = bwt_rng_below(&t->rng, 2);
	unsigned int flags = reverse ? BWTREE_SCAN_REVERSE : 0;
	s64 lo, hi, prev = 0;
	bool seen = false;
	int a, b, stable;

	a = bwt_rng_below(&t->rng, u->nr);
	b = min_t(int, a + bwt_rng_below(&t->rng, 128), u->nr - 1);
	if (!bwt_rng_below(&t->rng, 8)) {
		a = 0;
		b = u->nr - 1;
	}
	lo = u->keys[a];
	hi = u->keys[b];
	stable = reverse ? b : a;
	for (;;) {
		bool done = false;
		s64 next = 0;
		int n, j;

		n = bwtree_scan_batch(r->tree, lo, hi, flags, out, BWT_RCU_BATCH,
				      &next, &done);
		if (n < 0 || n > BWT_RCU_BATCH) {
			bwt_thread_fail(t, "scan [%lld, %lld]: %d", lo, hi, n);
			return;
		}
		for (j = 0; j < n; j++) {
			int x = bwt_model_find(u, out[j].key);

			if (out[j].key < lo || out[j].key > hi || x < 0 ||
			    (seen && (reverse ? out[j].key >= prev : out[j].key <= prev)) ||
			    !bwt_rcu_val_ok(r, x, out[j].value)) {
				bwt_thread_fail(t,
						"scan [%lld, %lld] flags %#x: pair (%lld, %#llx) after %lld",
						lo, hi, flags, out[j].key,
						out[j].value, prev);
				return;
			}
			/* Every stable key passed over must have been returned. */
			for (; reverse ? stable > x : stable < x; stable += reverse ? -1 : 1)
				if (bwt_rcu_stable(r, stable)) {
					bwt_thread_fail(t, "scan: stable key %lld missing",
							u->keys[stable]);
					return;
				}
			stable = reverse ? x - 1 : x + 1;
			prev = out[j].key;
			seen = true;
		}
		if (done)
			break;
		if (!n || next != (reverse ? prev - 1 : prev + 1)) {
			bwt_thread_fail(t, "scan [%lld, %lld]: %d pairs, cursor %lld after %lld",
					lo, hi, n, next, prev);
			return;
		}
		if (reverse)
			hi = next;
		else
			lo = next;
	}
	for (; reverse ? stable >= a : stable <= b; stable += reverse ? -1 : 1)
		if (bwt_rcu_stable(r, stable)) {
			bwt_thread_fail(t, "scan done: stable key %lld missing",
					u->keys[stable]);
			return;
		}
}

/* Add what the statistics gained from @in to @out into @sum. */
static void bwt_rcu_gain(struct bwtree_stats *sum, const struct bwtree_stats *in,
			 const struct bwtree_stats *out)
{
	sum->splits += out->splits - in->splits;
	sum->merges += out->merges - in->merges;
	sum->consolidations += out->consolidations - in->consolidations;
}

static void bwt_rcu_reader(struct bwt_thread *t)
{
	struct bwt_rcu *r = t->arg;
	struct bwtree_stats in, out;

	while (atomic_read_acquire(&r->done) < BWT_RCU_ROUNDS &&
	       !bwt_thread_should_stop(t)) {
		unsigned long end;

		rcu_read_lock();
		bwtree_get_stats(r->tree, &in);
		atomic_set(&r->gate, 1);
		end = jiffies + BWT_RCU_SECTION;
		do {
			bwt_rcu_lookups(t, r);
			t->ops++;
		} while (time_before(jiffies, end) &&
			 atomic_read(&r->done) < BWT_RCU_ROUNDS);
		/* Close the gate, then wait for the operation in flight. */
		atomic_set(&r->gate, 0);
		/* Orders the gate's store before the load of busy; pairs with
		 * the writer's barrier between its store of busy and its load of
		 * the gate: one of the two sees the other's store.
		 */
		smp_mb();
		end = jiffies + BWT_RCU_PATIENCE;
		while (atomic_read_acquire(&r->busy)) {
			bwt_rcu_lookups(t, r);
			if (time_after(jiffies, end)) {
				bwt_thread_fail(t,
						"an update took %u s while a reader held rcu_read_lock(): does it wait for a grace period?",
						BWT_RCU_PATIENCE / HZ);
				break;
			}
		}
		bwtree_get_stats(r->tree, &out);
		/* One more pass sees the tree as the section leaves it. */
		bwt_rcu_lookups(t, r);
		rcu_read_unlock();
		bwt_rcu_gain(&r->inside, &in, &out);
		r->sections++;
		if (t->errors)
			break;
		/* Let the callbacks of what was unlinked run now and then. */
		if (r->sections % 4 == 0)
			synchronize_rcu();
	}
	bwt_threads_stop(t->grp);
}

/* Writer: wait until the reader holds a section, then mark an op in flight. */
static bool bwt_rcu_op_begin(struct bwt_thread *t, struct bwt_rcu *r)
{
	for (;;) {
		atomic_set(&r->busy, 1);
		/* Pairs with the reader's barrier after closing the gate. */
		smp_mb();
		if (atomic_read(&r->gate))
			return true;
		atomic_set(&r->busy, 0);
		while (!atomic_read(&r->gate)) {
			if (bwt_thread_should_stop(t))
				return false;
			usleep_range(20, 50);
		}
	}
}

static void bwt_rcu_op_end(struct bwt_rcu *r)
{
	atomic_set_release(&r->busy, 0);
}

/* Scans until the reader is done; ops counts whole scans. */
static void bwt_rcu_scanner(struct bwt_thread *t)
{
	struct bwt_rcu *r = t->arg;
	struct bwtree_pair *out;

	out = kmalloc_array(BWT_RCU_BATCH, sizeof(*out), GFP_KERNEL);
	if (!out) {
		bwt_thread_fail(t, "no memory");
		return;
	}
	while (!bwt_thread_should_stop(t) && !t->errors) {
		bwt_rcu_scan(t, r, out);
		t->ops++;
	}
	kfree(out);
}

/* Fisher-Yates. */
static void bwt_rcu_shuffle(struct bwt_thread *t, unsigned int *perm,
			    unsigned int n)
{
	unsigned int j, k;

	for (j = n - 1; j > 0; j--) {
		k = bwt_rng_below(&t->rng, j + 1);
		swap(perm[j], perm[k]);
	}
}

/* Insert every churn key, upsert the stable ones, delete the churn. */
static void bwt_rcu_writer(struct bwt_thread *t)
{
	struct bwt_rcu *r = t->arg;
	const struct bwt_model *u = &r->u;
	unsigned int round, j, *perm;

	perm = kmalloc_array(u->nr, sizeof(*perm), GFP_KERNEL);
	if (!perm) {
		bwt_thread_fail(t, "no memory");
		bwt_threads_stop(t->grp);
		return;
	}
	for (j = 0; j < u->nr; j++)
		perm[j] = j;

	for (round = 0; round < BWT_RCU_ROUNDS; round++) {
		bool replaced;

		bwtree_get_stats(r->tree, &r->before[round]);
		bwt_rcu_shuffle(t, perm, u->nr);
		for (j = 0; j < u->nr; j++) {
			unsigned int i = perm[j];
			s64 k = u->keys[i];
			int ret;

			if (!bwt_rcu_op_begin(t, r))
				goto out;
			t->ops++;
			if (bwt_rcu_stable(r, i)) {
				ret = bwtree_upsert(r->tree, k, bwt_val(k, (round + 1) & 1),
						    &replaced);
				bwt_rcu_op_end(r);
				if (ret || !replaced)
					bwt_thread_fail(t, "round %u upsert %lld: %d, replaced %d",
							round, k, ret, replaced);
				continue;
			}
			ret = bwtree_insert(r->tree, k, bwt_val(k, BWT_RCU_TAG_CHURN));
			bwt_rcu_op_end(r);
			if (ret)
				bwt_thread_fail(t, "round %u insert %u of %lld: %d",
						round, j, k, ret);
		}
		bwtree_get_stats(r->tree, &r->peak[round]);
		bwt_rcu_shuffle(t, perm, u->nr);
		for (j = 0; j < u->nr; j++) {
			unsigned int i = perm[j];
			s64 k = u->keys[i];
			u64 v = 0;
			int ret;

			if (bwt_rcu_stable(r, i))
				continue;
			if (!bwt_rcu_op_begin(t, r))
				goto out;
			t->ops++;
			ret = bwtree_delete(r->tree, k, &v);
			bwt_rcu_op_end(r);
			if (ret || v != bwt_val(k, BWT_RCU_TAG_CHURN))
				bwt_thread_fail(t, "round %u delete %u of %lld: %d, %#llx",
						round, j, k, ret, v);
		}
		bwtree_get_stats(r->tree, &r->after[round]);
		atomic_set_release(&r->done, round + 1);
	}
out:
	kfree(perm);
}

static void bwt_rcu_run(struct kunit *test)
{
	const struct bwt_rcu_case *c = test->param_value;
	const struct bwtree_stats *first, *last;
	struct bwt_threads *grp;
	struct bwt_rcu *r;
	unsigned int i, round;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);
	r->c = c;
	bwt_model_init(test, &r->u, BWT_RCU_KEYS);
	r->tree = bwt_kunit_create(test, &c->params);
	for (i = 0; i < r->u.nr; i++) {
		if (!bwt_rcu_stable(r, i))
			continue;
		KUNIT_ASSERT_EQ(test, bwtree_insert(r->tree, r->u.keys[i],
						    bwt_val(r->u.keys[i], 0)), 0);
		bwt_model_set(&r->u, i, bwt_val(r->u.keys[i], BWT_RCU_ROUNDS & 1));
	}

	grp = bwt_kunit_threads(test, 3, bwt_kunit_seed(test, c - bwt_rcu_cases));
	bwt_thread_start(test, grp, 0, bwt_rcu_reader, r, "rcu-reader");
	bwt_thread_start(test, grp, 1, bwt_rcu_writer, r, "rcu-writer");
	bwt_thread_start(test, grp, 2, bwt_rcu_scanner, r, "rcu-scanner");
	bwt_threads_join(grp);
	bwt_threads_report(test, grp);
	KUNIT_EXPECT_GT(test, grp->t[2].ops, 0UL);
	KUNIT_ASSERT_EQ(test, atomic_read(&r->done), BWT_RCU_ROUNDS);

	for (round = 0; round < BWT_RCU_ROUNDS; round++) {
		const struct bwtree_stats *b = &r->before[round];
		const struct bwtree_stats *p = &r->peak[round];
		const struct bwtree_stats *a = &r->after[round];

		kunit_info(test,
			   "round %u: height %llu -> %llu -> %llu; splits +%llu, merges +%llu, consolidations +%llu\n",
			   round, b->height, p->height, a->height,
			   a->splits - b->splits, a->merges - b->merges,
			   a->consolidations - b->consolidations);
		KUNIT_EXPECT_GT(test, a->splits, b->splits);
		KUNIT_EXPECT_GT(test, a->merges, b->merges);
		KUNIT_EXPECT_GT(test, a->consolidations, b->consolidations);
		KUNIT_EXPECT_GE(test, p->height, 3ULL);
		KUNIT_EXPECT_LT(test, a->height, p->height);
		if (c->collapse)
			KUNIT_EXPECT_EQ(test, a->height, 1ULL);
	}
	/* All of it happened inside the reader's read-side sections. */
	first = &r->before[0];
	last = &r->after[BWT_RCU_ROUNDS - 1];
	kunit_info(test, "%lu sections, %lu lookup passes, %lu scans\n",
		   r->sections, grp->t[0].ops, grp->t[2].ops);
	kunit_info(test, "inside the sections: splits %llu of %llu, merges %llu of %llu, consolidations %llu of %llu\n",
		   r->inside.splits, last->splits - first->splits,
		   r->inside.merges, last->merges - first->merges,
		   r->inside.consolidations,
		   last->consolidations - first->consolidations);
	KUNIT_EXPECT_GT(test, r->inside.splits, 0ULL);
	KUNIT_EXPECT_GT(test, r->inside.merges, 0ULL);
	KUNIT_EXPECT_GT(test, r->inside.consolidations, 0ULL);
	KUNIT_EXPECT_TRUE(test, bwt_check_tree(test, r->tree, &r->u));
}

static struct kunit_case bwt_rcu_test_cases[] = {
	BWT_CASE_PARAM_SLOW(bwt_rcu_run, bwt_rcu_gen_params),
	{}
};

static struct kunit_suite bwt_rcu_suite = {
	.name = "bwtree_rcu",
	.test_cases = bwt_rcu_test_cases,
};

kunit_test_suite(bwt_rcu_suite);
