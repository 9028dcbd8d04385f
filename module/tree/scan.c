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
 * leaf holding the cursor, copies the pairs in range into the caller's
 * buffer, and moves the cursor to the leaf's high key (or below its low
 * key, descending).  Every few leaves it leaves the read section and may
 * reschedule; it keeps only the cursor, a key, across that, never a
 * pointer.  It does the same when a descent had to restart too often
 * (bwt_descend_reader()), so a scan never holds a grace period up for more
 * than a bounded number of descents.
 *
 * A leaf whose newest record is its base node is copied straight from its
 * arrays, between the bounds bwt_base_floor() finds.  A leaf with deltas is
 * folded by bwt_collect_range(), only over the keys the scan still wants,
 * into arrays on the stack; a leaf with more of them than those hold is
 * folded in pieces (ascending, the next piece starts after the last key of
 * the previous one; descending, the piece is slid up until it holds the
 * highest keys left).  Only a chain too long for the gather space on the
 * stack makes the scan allocate, once per call, outside the read section.
 *
 * Ascending, the next leaf is the right sibling.  Its mapping slot is
 * prefetched when the scan reaches a leaf, and the record it names as soon
 * as the bounds are known, so both load while the leaf is copied.  It is
 * taken if it is a leaf holding the cursor and not frozen by a merge;
 * anything else (a node being merged away, a freed page ID, a sibling whose
 * range moved) sends the scan down from the root.  The sibling's page ID
 * was read in this read section, so it cannot have been freed and reused
 * for another node before the section ends.
 *
 * Descending, there are no left links: the scan descends from the root
 * again, to the key just below the low key of the leaf it copied.  That
 * stays right whatever splits and merges complete in between, because at
 * every instant the leaves' ranges partition the keys: the descent ends in
 * the leaf that holds the new cursor when it is read (a leaf that merged
 * its left neighbour, the left half of a split, or the same leaf), and that
 * leaf, read at one instant, holds every key from its low key up to the
 * cursor.  Nothing is carried over from the leaf before but the cursor, so
 * no key can be skipped or returned twice.
 *
 * Each leaf is read at one instant, so a scan returns every key that was
 * present and unchanged throughout the scan exactly once, in order, and
 * never a key that was absent throughout; a key inserted or deleted while
 * the scan runs may or may not be seen.
 */

#define BWT_SCAN_LEAVES	16	/* leaves per RCU read section */
#define BWT_SCAN_ITEMS	48	/* items of one piece of a folded leaf */
#define BWT_SCAN_CHAIN	8	/* chains shorter than this fold on the stack */

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
	unsigned int want;	/* items @big must hold, after BWT_SHORT */
	struct bwt_bag big;	/* descending over a huge leaf */
	struct bwt_gather *heap;	/* gather space for long chains */
	struct bwt_gather gs;		/* for short ones, in the next two */
	const struct bwt_rec *delta[BWT_SCAN_CHAIN];
	struct bwt_span span[BWT_SCAN_CHAIN];
	s64 keys[BWT_SCAN_ITEMS];
	u64 vals[BWT_SCAN_ITEMS];
};

/*
 * Copy @cnt pairs from index @i of @keys and @vals, upwards (ascending) or
 * downwards (descending).  @vals may be a live base node's, which in-place
 * updates store into (update.c): each value is read once, whole.
 * Return: false if @sc->out filled up first.
 */
static bool bwt_scan_put(struct bwt_scan *sc, const s64 *keys,
			 const u64 *vals, int i, int cnt)
{
	struct bwtree_pair *o = sc->out + sc->n;
	int j, take;

	if (cnt <= 0)
		return true;
	take = min_t(int, cnt, sc->max - sc->n);
	if (!sc->rev) {
		for (j = 0; j < take; j++) {
			o[j].key = keys[i + j];
			o[j].value = READ_ONCE(vals[i + j]);
		}
	} else {
		for (j = 0; j < take; j++) {
			o[j].key = keys[i - j];
			o[j].value = READ_ONCE(vals[i - j]);
		}
	}
	sc->n += take;
	if (take < cnt) {
		sc->more = true;
		return false;
	}
	return true;
}

/*
 * Start loading the right sibling of @top, which an ascending scan copies
 * next: its mapping slot now, its record when bwt_scan_right() reads it.
 * Context: the RCU read section @top was read in.
 */
static struct bwt_rec __rcu **bwt_scan_slot(struct bwtree *tree,
					    const struct bwt_rec *top)
{
	struct bwt_rec __rcu **slot;

	if (top->right == BWT_NIL)
		return NULL;
	slot = bwt_map_slot(&tree->map, top->right);
	prefetch(slot);
	return slot;
}

/*
 * The right sibling's newest record, from the slot bwt_scan_slot() found,
 * or NULL.  Its lines start loading while the current leaf is copied: as
 * many as a full leaf of the default size takes (the hardware streams the
 * rest of a larger one).
 */
static const struct bwt_rec *bwt_scan_right(struct bwt_rec __rcu **slot)
{
	const struct bwt_rec *next;
	size_t off;

	if (!slot)
		return NULL;
	next = rcu_dereference(*slot);
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

/* Index of the last key <= @key in base node @b (-1 if none). */
static int bwt_scan_floor(const struct bwt_rec *b, s64 key)
{
	if (b->count && b->keys[b->count - 1] <= key)
		return b->count - 1;
	return bwt_base_floor(b, key);
}

/*
 * Copy the pairs in range of a leaf that is a base node, and read the
 * right sibling from @slot (if not NULL) into *@next once the bounds are
 * known, before the copy.  Return: false when @sc->out filled up.
 */
static bool bwt_scan_base(struct bwt_scan *sc, const struct bwt_rec *b,
			  struct bwt_rec __rcu **slot,
			  const struct bwt_rec **next)
{
	const u64 *vals = bwt_vals(b);
	int first, last;

	if (!sc->rev) {
		first = bwt_base_ceil(b, sc->cur);
		last = bwt_scan_floor(b, sc->hi);
		*next = bwt_scan_right(slot);
		return bwt_scan_put(sc, b->keys, vals, first, last - first + 1);
	}
	first = bwt_base_ceil(b, sc->lo);
	last = bwt_scan_floor(b, sc->cur);
	return bwt_scan_put(sc, b->keys, vals, last, last - first + 1);
}

/*
 * Fold the keys of @win into @bag: their number, and in *@full whether
 * more keys of @win follow them; -1 for a broken chain.
 */
static int bwt_scan_fold(struct bwt_bag *bag, const struct bwt_rec *top,
			 const struct bwt_span *win, struct bwt_gather *g,
			 bool *full)
{
	enum bwt_res ret = bwt_collect_range(top, win, bag, g);

	/* Short means a full bag: @g has room for the whole chain. */
	if (ret == BWT_BROKEN ||
	    WARN_ON_ONCE(ret == BWT_SHORT && bag->n != bag->cap))
		return -1;
	*full = ret == BWT_SHORT;
	return bag->n;
}

/* Ascending over a leaf with deltas: piece after piece, from the cursor. */
static enum bwt_res bwt_scan_chain_up(struct bwt_scan *sc,
				      const struct bwt_rec *top,
				      struct bwt_gather *g)
{
	struct bwt_bag bag = {
		.keys = sc->keys, .vals = sc->vals, .cap = BWT_SCAN_ITEMS,
	};
	struct bwt_span win = { top, sc->cur, top->high, top->hinf };
	bool full;
	int n;

	/* [cursor, min(high, hi + 1)) */
	if (sc->hi < S64_MAX && (win.hinf || sc->hi < win.hi)) {
		win.hi = sc->hi + 1;
		win.hinf = false;
	}
	for (;;) {
		n = bwt_scan_fold(&bag, top, &win, g, &full);
		if (n < 0)
			return BWT_BROKEN;
		if (!bwt_scan_put(sc, bag.keys, bag.vals, 0, n) || !full)
			return BWT_DONE;
		/* A full piece has a key after its last. */
		win.lo = bag.keys[n - 1] + 1;
	}
}

/*
 * Descending over a leaf with deltas, [max(low, lo), cursor]: slide the
 * piece up until it holds the highest keys, copy it, and go on below it.
 * A leaf of more than two pieces is folded whole into @sc->big instead.
 */
static enum bwt_res bwt_scan_chain_down(struct bwt_scan *sc,
					const struct bwt_rec *top,
					struct bwt_gather *g)
{
	struct bwt_bag bag = {
		.keys = sc->keys, .vals = sc->vals, .cap = BWT_SCAN_ITEMS,
	};
	s64 bottom = max(top->low, sc->lo);
	struct bwt_span win = { top, bottom, 0, sc->cur == S64_MAX };
	struct bwt_bag *b = &bag;
	bool full;
	int n;

	if (top->count > 2 * BWT_SCAN_ITEMS) {
		if (sc->big.cap < top->count || !sc->heap) {
			sc->want = top->count;
			return BWT_SHORT;
		}
		b = &sc->big;
		g = sc->heap;
	}
	if (!win.hinf)
		win.hi = sc->cur + 1;
	for (;;) {
		win.lo = bottom;
		do {
			n = bwt_scan_fold(b, top, &win, g, &full);
			if (n < 0)
				return BWT_BROKEN;
			if (full)
				win.lo = b->keys[n - 1] + 1;
		} while (full);
		if (!bwt_scan_put(sc, b->keys, b->vals, n - 1, n) ||
		    win.lo == bottom)
			return BWT_DONE;
		/* The keys below this piece are left. */
		win.hi = win.lo;
		win.hinf = false;
	}
}

/*
 * Copy the pairs in range of a leaf with deltas.  Return: BWT_DONE
 * (@sc->more set if @sc->out filled up); BWT_SHORT if the leaf needs the
 * heap's space and it is missing; BWT_BROKEN.
 */
static enum bwt_res bwt_scan_chain(struct bwt_scan *sc,
				   const struct bwt_rec *top)
{
	struct bwt_gather *g = &sc->gs;

	if (top->depth >= g->max) {
		g = sc->heap;
		if (!g)
			return BWT_SHORT;
	}
	if (!sc->rev)
		return bwt_scan_chain_up(sc, top, g);
	return bwt_scan_chain_down(sc, top, g);
}

/*
 * Scan a few leaves.  Context: RCU read section.  Return: BWT_DONE;
 * BWT_SHORT when a chain is too long for the gather space on the stack and
 * @sc->heap is missing; BWT_RESTART when a descent gave up (the caller
 * leaves the read section, reschedules and goes on from the cursor);
 * BWT_BROKEN for a malformed chain.
 */
static enum bwt_res bwt_scan_leaves(struct bwt_scan *sc)
{
	const struct bwt_rec *top = NULL, *next = NULL;
	struct bwt_rec __rcu **slot;
	unsigned int leaves;
	enum bwt_res ret;
	bool last;
	u64 pid;

	for (leaves = 0; leaves < BWT_SCAN_LEAVES; leaves++) {
		if (!top) {
			top = bwt_descend_reader(sc->tree, sc->cur, &pid);
			if (!top)
				return BWT_RESTART;	/* leave the read section */
		}
		/* The sibling, unless the range ends in this leaf. */
		last = sc->rev || top->hinf || top->high > sc->hi;
		slot = last ? NULL : bwt_scan_slot(sc->tree, top);
		if (bwt_is_base(top)) {
			if (!bwt_scan_base(sc, top, slot, &next))
				return BWT_DONE;
		} else {
			next = bwt_scan_right(slot);
			ret = bwt_scan_chain(sc, top);
			if (ret || sc->more)
				return ret;
		}
		if (!sc->rev) {
			if (last) {
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
			/* Tests park here while the left neighbour changes. */
			bwt_pause_point(scan_left);
		}
	}
	return BWT_DONE;
}

/*
 * Run @sc until @sc->out is full or the range is done.  Context: process
 * context, outside RCU read sections.  Return: 0, -ENOMEM or -EUCLEAN.
 */
static int bwt_scan_run(struct bwt_scan *sc)
{
	enum bwt_res res;
	int ret = 0;

	might_sleep();
	while (!ret && !sc->finished && !sc->more) {
		rcu_read_lock();
		res = bwt_scan_leaves(sc);
		rcu_read_unlock();
		if (res == BWT_SHORT)
			ret = bwt_scratch_reserve(&sc->big, &sc->heap,
						  sc->want, GFP_KERNEL);
		else if (res == BWT_RESTART)
			bwt_stat_inc(sc->tree, reader_yields);
		else if (res == BWT_BROKEN)
			ret = -EUCLEAN;
		if (!sc->finished && !sc->more)
			cond_resched();
	}
	return ret;
}

static void bwt_scan_init(struct bwt_scan *sc, struct bwtree *tree, s64 lo,
			  s64 hi, unsigned int flags, struct bwtree_pair *out,
			  unsigned int max)
{
	sc->tree = tree;
	sc->lo = lo;
	sc->hi = hi;
	sc->rev = flags & BWTREE_SCAN_REVERSE;
	sc->out = out;
	sc->max = max;
	sc->n = 0;
	sc->cur = sc->rev ? hi : lo;
	sc->finished = false;
	sc->more = false;
	sc->want = 0;
	sc->big = (struct bwt_bag){};
	sc->heap = NULL;
	bwt_gather_init(&sc->gs, sc->delta, sc->span, BWT_SCAN_CHAIN);
}

static void bwt_scan_finish(struct bwt_scan *sc)
{
	bwt_scratch_free(&sc->big, &sc->heap);
}

/* After a full batch: the key the rest of the range starts from. */
static s64 bwt_scan_resume(const struct bwt_scan *sc)
{
	/* More keys follow the last one copied, so this cannot overflow. */
	return sc->out[sc->n - 1].key + (sc->rev ? -1 : 1);
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
	struct bwt_scan sc;
	int ret;

	if ((flags & ~BWTREE_SCAN_REVERSE) || lo > hi || !max)
		return -EINVAL;
	bwt_scan_init(&sc, tree, lo, hi, flags, out, max);
	ret = bwt_scan_run(&sc);
	bwt_scan_finish(&sc);
	if (ret)
		return ret;
	*done = !sc.more;
	if (sc.more)
		*next = bwt_scan_resume(&sc);
	else
		*next = sc.rev ? lo : hi;
	return sc.n;
}
EXPORT_SYMBOL_GPL(bwtree_scan_batch);

#define BWT_SCAN_CHUNK	16	/* pairs bwtree_scan() copies at a time */

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
	struct bwtree_pair pairs[BWT_SCAN_CHUNK];
	struct bwt_scan sc;
	unsigned int i;
	int ret;

	if ((flags & ~BWTREE_SCAN_REVERSE) || lo > hi)
		return -EINVAL;
	bwt_scan_init(&sc, tree, lo, hi, flags, pairs, ARRAY_SIZE(pairs));
	for (;;) {
		ret = bwt_scan_run(&sc);
		for (i = 0; i < sc.n && !ret; i++)
			ret = fn(arg, pairs[i].key, pairs[i].value);
		if (ret || !sc.more)
			break;
		sc.cur = bwt_scan_resume(&sc);
		sc.n = 0;
		sc.more = false;
	}
	bwt_scan_finish(&sc);
	return ret;
}
EXPORT_SYMBOL_GPL(bwtree_scan);
