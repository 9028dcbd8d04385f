// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree range scans: a bounded batch form with a resume key, and a
 * callback form built on it.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/export.h>
#include "internal.h"

/**
 * DOC: Scans
 *
 * A scan visits one leaf at a time.  Inside rcu_read_lock() it finds the
 * leaf holding the cursor, folds the leaf's chain into sorted arrays (or
 * reads the base node directly when the chain is just a base node), copies
 * the pairs in range into the caller's buffer, and moves the cursor to the
 * leaf's high key (or below its low key, descending).  Every few leaves it
 * leaves the read section and may reschedule; it keeps only the cursor, a
 * key, across that, never a pointer.  It does the same after a few descents
 * that had to restart (BWT_READ_RESTARTS), so a scan never holds a grace
 * period up for more than a bounded number of descents.
 *
 * The first leaf of a read section is found by a descent from the root.
 * Ascending, the next one is the right sibling's newest record when that
 * is a leaf holding the cursor and not frozen by a merge; anything else (a
 * node being merged away, a freed page ID, a sibling whose range moved)
 * sends the scan down from the root again.  The sibling's page ID was read
 * in this read section, so it cannot have been freed and reused for
 * another node before the section ends.
 *
 * The scratch space for folding a chain is allocated the first time a
 * chain needs folding, outside the read section; a scan of base nodes
 * allocates nothing.
 *
 * Each leaf is read at one instant, so a scan returns every key that was
 * present and unchanged throughout the scan exactly once, in order, and
 * never a key that was absent throughout; a key inserted or deleted while
 * the scan runs may or may not be seen.
 */

#define BWT_SCAN_LEAVES	16	/* leaves per RCU read section */

struct bwt_scan {
	struct bwtree *tree;
	s64 lo;
	s64 hi;
	bool rev;
	struct bwtree_pair *out;
	unsigned int max;
	unsigned int n;
	s64 cur;
	bool finished;		/* no key left in range */
	bool more;		/* @out is full and a key is left */
	struct bwt_bag bag;
	struct bwt_gather *gather;
};

/* Copy one leaf's pairs; false when the scan is over. */
/*
 * @vals may be a live base node's, which in-place updates store into
 * (update.c): each value is read once, whole.
 */
static bool bwt_scan_copy(struct bwt_scan *sc, const s64 *keys,
			  const u64 *vals, unsigned int cnt)
{
	int i;

	if (!sc->rev) {
		for (i = 0; i < cnt && keys[i] < sc->cur; i++)
			;
		for (; i < cnt && keys[i] <= sc->hi; i++) {
			if (sc->n == sc->max) {
				sc->more = true;
				return false;
			}
			sc->out[sc->n].key = keys[i];
			sc->out[sc->n].value = READ_ONCE(vals[i]);
			sc->n++;
		}
	} else {
		for (i = cnt - 1; i >= 0 && keys[i] > sc->cur; i--)
			;
		for (; i >= 0 && keys[i] >= sc->lo; i--) {
			if (sc->n == sc->max) {
				sc->more = true;
				return false;
			}
			sc->out[sc->n].key = keys[i];
			sc->out[sc->n].value = READ_ONCE(vals[i]);
			sc->n++;
		}
	}
	return true;
}

/*
 * The right sibling's newest record, for an ascending scan about to copy
 * @top, or NULL.  Its lines start loading while @top is copied: as many as
 * a full leaf of the default size takes (the hardware streams the rest of a
 * larger one).  Context: the RCU read section @top was read in.
 */
static const struct bwt_rec *bwt_scan_right(struct bwtree *tree,
					    const struct bwt_rec *top)
{
	const struct bwt_rec *next;
	size_t off;

	if (top->right == BWT_NIL)
		return NULL;
	next = bwt_read(tree, top->right);
	if (next)
		for (off = 0; off < BWT_BASE_SIZE(BWT_DEF_LEAF_MAX);
		     off += L1_CACHE_BYTES)
			prefetch((const char *)next + off);
	return next;
}

/*
 * The next leaf of an ascending scan whose cursor is now @cur: @next, the
 * right sibling read by bwt_scan_right(), if it is an unfrozen leaf that
 * holds @cur; else NULL, and the scan descends from the root.
 */
static const struct bwt_rec *bwt_scan_next(const struct bwt_rec *next, s64 cur)
{
	if (!next || next->kind == BWTREE_REMOVE || next->level ||
	    !bwt_holds(next, cur))
		return NULL;
	return next;
}

/*
 * Scan a few leaves.  Context: RCU read section.  Return: BWT_DONE;
 * BWT_SHORT when a chain must be folded and the scratch space is missing
 * or small; BWT_RESTART after BWT_READ_RESTARTS descents that had to
 * restart (the caller leaves the read section, reschedules and goes on
 * from the cursor); BWT_BROKEN for a malformed chain.
 */
static enum bwt_res bwt_scan_leaves(struct bwt_scan *sc)
{
	const struct bwt_rec *top = NULL, *next;
	unsigned int leaves, restarts = 0;
	struct bwt_pos pos;
	struct bwt_op op;
	enum bwt_res ret;

	bwt_op_init(&op, sc->tree, false);
	for (leaves = 0; leaves < BWT_SCAN_LEAVES; leaves++) {
		while (!top) {
			ret = bwt_descend(&op, sc->cur, 0, &pos);
			if (!ret) {
				top = pos.top;
				break;
			}
			if (++restarts == BWT_READ_RESTARTS)
				return BWT_RESTART;	/* leave the read section */
			cpu_relax();
		}
		/* The sibling, unless the range ends in this leaf. */
		next = NULL;
		if (!sc->rev && !top->hinf && top->high <= sc->hi)
			next = bwt_scan_right(sc->tree, top);
		if (bwt_is_base(top)) {
			if (!bwt_scan_copy(sc, top->keys, bwt_vals(top),
					   top->count))
				return BWT_DONE;
		} else {
			if (!sc->gather)
				return BWT_SHORT;
			ret = bwt_collect(top, &sc->bag, sc->gather);
			if (ret)
				return ret;
			if (!bwt_scan_copy(sc, sc->bag.keys, sc->bag.vals,
					   sc->bag.n))
				return BWT_DONE;
		}
		if (!sc->rev) {
			if (top->hinf || top->high > sc->hi) {
				sc->finished = true;
				return BWT_DONE;
			}
			sc->cur = top->high;
			top = bwt_scan_next(next, sc->cur);
		} else {
			if (top->low <= sc->lo) {
				sc->finished = true;
				return BWT_DONE;
			}
			sc->cur = top->low - 1;
			top = NULL;
		}
	}
	return BWT_DONE;
}

/**
 * bwtree_scan_batch() - copy up to @max pairs of a key range
 * @tree: the tree
 * @lo: lowest key of the range
 * @hi: highest key of the range (inclusive)
 * @flags: 0 for ascending order, BWTREE_SCAN_REVERSE for descending
 * @out: room for @max pairs
 * @max: most pairs to copy
 * @next: where the next call should start (its @lo ascending, its @hi
 *	descending), valid when *@done is false
 * @done: set to true when no key of the range is left after those copied
 *
 * A stateless cursor: call again with the range narrowed to *@next until
 * *@done.  See the DOC on scans for what a scan sees of concurrent updates.
 *
 * Context: process context; may sleep.  Copies inside rcu_read_lock() and
 * never sleeps there.
 * Return: the number of pairs copied; -EINVAL if @lo > @hi, @max is 0 or
 * @flags has unknown bits; -ENOMEM.
 */
int bwtree_scan_batch(struct bwtree *tree, s64 lo, s64 hi, unsigned int flags,
		      struct bwtree_pair *out, unsigned int max, s64 *next,
		      bool *done)
{
	struct bwt_scan sc = {
		.tree = tree, .lo = lo, .hi = hi,
		.rev = flags & BWTREE_SCAN_REVERSE,
		.out = out, .max = max,
	};
	enum bwt_res res;
	int ret;

	if ((flags & ~BWTREE_SCAN_REVERSE) || lo > hi || !max)
		return -EINVAL;
	might_sleep();
	sc.cur = sc.rev ? hi : lo;
	ret = 0;
	while (!ret) {
		rcu_read_lock();
		res = bwt_scan_leaves(&sc);
		rcu_read_unlock();
		if (res == BWT_SHORT) {
			ret = bwt_scratch_reserve(&sc.bag, &sc.gather,
						  sc.bag.cap ? 2 * sc.bag.cap :
						  2 * tree->leaf_max + 8,
						  GFP_KERNEL);
		} else if (res == BWT_RESTART) {
			bwt_stat_inc(tree, reader_yields);
		} else if (res == BWT_BROKEN) {
			ret = -EUCLEAN;
		} else if (sc.finished || sc.more) {
			break;
		}
		cond_resched();
	}
	bwt_scratch_free(&sc.bag, &sc.gather);
	if (ret)
		return ret;
	*done = !sc.more;
	/* More keys follow the last one copied, so this cannot overflow. */
	if (sc.more)
		*next = sc.out[sc.n - 1].key + (sc.rev ? -1 : 1);
	else
		*next = sc.rev ? lo : hi;
	return sc.n;
}
EXPORT_SYMBOL_GPL(bwtree_scan_batch);

#define BWT_SCAN_CHUNK	64

/**
 * bwtree_scan() - call a function for each pair of a key range, in order
 * @tree: the tree
 * @lo: lowest key of the range
 * @hi: highest key of the range (inclusive)
 * @flags: 0 for ascending order, BWTREE_SCAN_REVERSE for descending
 * @fn: called for each pair, outside any RCU read section
 * @arg: passed to @fn
 *
 * Pairs are copied out in batches, so @fn may sleep and may even change the
 * tree.
 *
 * Context: process context; may sleep.
 * Return: 0 when the range is done; the first non-zero value @fn returned;
 * -EINVAL for a bad range or flags; -ENOMEM.
 */
int bwtree_scan(struct bwtree *tree, s64 lo, s64 hi, unsigned int flags,
		bwtree_scan_fn fn, void *arg)
{
	struct bwtree_pair *pairs;
	bool done = false;
	int i, n, ret = 0;
	s64 next;

	if ((flags & ~BWTREE_SCAN_REVERSE) || lo > hi)
		return -EINVAL;
	pairs = kmalloc_array(BWT_SCAN_CHUNK, sizeof(*pairs), GFP_KERNEL);
	if (!pairs)
		return -ENOMEM;
	while (!done) {
		n = bwtree_scan_batch(tree, lo, hi, flags, pairs, BWT_SCAN_CHUNK,
				      &next, &done);
		if (n < 0) {
			ret = n;
			break;
		}
		for (i = 0; i < n && !ret; i++)
			ret = fn(arg, pairs[i].key, pairs[i].value);
		if (ret)
			break;
		if (flags & BWTREE_SCAN_REVERSE)
			hi = next;
		else
			lo = next;
	}
	kfree(pairs);
	return ret;
}
EXPORT_SYMBOL_GPL(bwtree_scan);
