// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree structure modifications: consolidation, split, merge, and the
 * root's growth and collapse.
 *
 * Every function here runs inside the caller's RCU read section, takes its
 * memory from the operation's preallocation (asking for more with
 * BWT_RESTART)
 * and changes the tree only by compare-and-swap on a mapping table slot.
 */
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/bug.h>
#include "internal.h"

/**
 * DOC: Structure modifications
 *
 * The tree is a B-link tree: at every level the nodes form a list through
 * their right-sibling pids, their [low, high) ranges tile the key space,
 * and a parent's entry for a child carries the child's low key.  A search
 * that finds its key at or above a node's high key follows the right
 * sibling, so a parent that lacks an entry only costs a step to the right.
 *
 * Split, in two phases.  (1) The splitting thread folds the node and builds
 * its upper half as a new base node Q under a fresh pid, and its lower half
 * as a new base node whose high key is the separator and whose right
 * sibling is Q; one compare-and-swap installs the lower half in the node's
 * slot, and the old chain is retired.  From then on, Q is part of the tree.
 * (Building the lower half anew, rather than prepending a SPLIT delta to
 * the old chain, is a consolidation in the same step: the node keeps no
 * deltas and no base node sized for twice its keys.)  (2) It posts an INDEX
 * delta (separator -> Q) on the parent.  Any writer that walks right from a
 * node it reached through the parent knows the parent lacks that entry and
 * posts it, so phase two is finished by whoever gets there first.  The root
 * splits in one step instead: two new children and a new root base node
 * installed in the root's slot by one compare-and-swap, so the root's pid
 * never changes.
 *
 * Merge of an underfull node R into its left sibling L, in four phases.
 * (1) A REMOVE delta freezes R: nothing is ever prepended to it again.
 * (2) Decide, with one cmpxchg() on the REMOVE delta's state word, before
 * anything else changes: a helper finds the parent X holding R's entry.
 * If the entry is X's leftmost (X split at R's low key after the freeze),
 * the merge cannot go on and the state moves to ABORTED.  Otherwise the
 * helper first *fences* X: it restates R's entry in a new INDEX delta on X
 * by compare-and-swap from the record it checked, and only then moves the
 * state to COMMITTED.  (3) An INDEX_DEL delta on the parent removes R's
 * entry, routing its range to the entry on the left.  (4) A MERGE delta on
 * L takes R's high key and right sibling and points to R's frozen chain;
 * then R's pid and the REMOVE delta are retired after a grace period.  A
 * leftmost child is never removed: it absorbs its right sibling instead.
 *
 * Why this order is sound:
 *
 * - INDEX_DEL is posted only by a thread that read COMMITTED, and the
 *   state never changes once decided, so ABORTED is only ever reached from
 *   a state in which no INDEX_DEL for R exists or can appear.  An aborted
 *   merge has changed nothing but R's slot.
 * - COMMITTED is only ever set when R's entry is not its parent's leftmost
 *   and cannot become so: an entry becomes leftmost only when its parent
 *   splits exactly at it, and an inner node never splits at a separator
 *   whose child is frozen (bwt_split() helps the child instead).  A split
 *   that read the child before the freeze read the parent before the
 *   fence, so its compare-and-swap fails on the fence's new record; one
 *   that reads the parent after the fence reads the child after it too
 *   (address dependency through the child's pid) and sees it frozen.  So
 *   a committed merge can always post its INDEX_DEL and finish.
 * - The entry is removed only by R's own INDEX_DEL: an earlier REMOVE on R
 *   either committed (then R's slot keeps it until R is retired, and no
 *   later REMOVE could be installed) or aborted (no INDEX_DEL).  So a
 *   helper that finds the entry gone while the state says PENDING has met
 *   an impossible state; one that finds it gone with COMMITTED knows phase
 *   three is done; one that finds it gone with ABORTED is stale (R was
 *   unfrozen, frozen anew and merged by another REMOVE) and stands down.
 *   The old "entry gone, so some thread committed" inference is gone: it
 *   was wrong after an abort that followed an INDEX_DEL (issue 11).
 * - On abort R is unfrozen by installing a fresh copy of the record it
 *   had, made by the freezer before the freeze (so an abort needs no
 *   memory and always completes), never the old pointer: a
 *   compare-and-swap prepared against R's pre-freeze record (a delayed
 *   merger's freeze, a delayed writer's delta) fails instead of acting on
 *   a view from before the abort.
 * - The phase-four MERGE and the pid's retirement happen only after the
 *   helper saw the parent without R's entry, so no parent routes to a
 *   retired pid; a stale INDEX for R (a writer that walked right into R
 *   before the freeze) fails its compare-and-swap, because the parent
 *   changed (fence, INDEX_DEL) after the writer read it, or is refused,
 *   because R is frozen when the writer reads it after the parent.
 *
 * Any writer that meets a REMOVE delta helps finish these phases before
 * doing anything else, then restarts from the root.  A reader that meets
 * one reads R's frozen contents, which stay authoritative until the MERGE
 * delta is installed.  If the merge has committed and the reader came down
 * from the parent, it might be past phase three: it reads the parent's
 * slot again, and only if that still routes its key to R (no INDEX_DEL
 * yet, so no MERGE) does it read R; otherwise it restarts.  So readers
 * never wait for a committed merge to finish: a merge whose helpers gave
 * up stays committed until the next writer in its range finishes it, and
 * readers of the range go on meanwhile (bwt_frozen_still_routed()).
 *
 * Root collapse: when the root has a single child C spanning all keys, C
 * is frozen by a REMOVE delta that carries a copy of C's contents, and the
 * copy is installed in the root's slot; C's pid is then retired.
 */

static void bwt_base_init(struct bwt_rec *b, const struct bwt_rec *top,
			  unsigned int n)
{
	b->kind = top->level ? BWTREE_INNER : BWTREE_LEAF;
	b->level = top->level;
	b->depth = 0;
	b->hinf = top->hinf;
	b->dead = 0;
	b->count = n;
	b->low = top->low;
	b->high = top->high;
	b->right = top->right;
	b->next = NULL;
	atomic_set(&b->upd.state, 0);
}

static void bwt_base_copy(struct bwt_rec *b, const struct bwt_bag *bag,
			  unsigned int from, unsigned int n)
{
	memcpy(b->keys, &bag->keys[from], n * sizeof(s64));
	memcpy(bwt_vals(b), &bag->vals[from], n * sizeof(u64));
}

/*
 * Fold a node into the scratch arrays, to copy it (so its base nodes are
 * frozen first); restart for larger arrays if they are short.
 */
static enum bwt_res bwt_collect_scratch(struct bwt_op *op,
					const struct bwt_rec *top)
{
	enum bwt_res ret;

	bwt_chain_freeze(top);
	ret = bwt_collect(top, &op->scratch, op->gather);

	if (ret == BWT_SHORT)
		bwt_op_want(op, &(struct bwt_need){
				.scratch = 2 * op->scratch.cap });
	return ret == BWT_DONE ? BWT_DONE : BWT_RESTART;
}

/**
 * bwt_consolidate() - replace a node's chain by one base node
 * @op: the operation
 * @pid: the node
 * @top: its newest record, read in this RCU section
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE if installed; BWT_RESTART if memory is missing or the
 * race lost
 * (the new base node then stays with @op for the next attempt).
 */
enum bwt_res bwt_consolidate(struct bwt_op *op, u64 pid, struct bwt_rec *top)
{
	struct bwtree *tree = op->tree;
	struct bwt_need need = {
		.cap[BWT_BASE_NEW] = max(top->count, 1U), .fold = true,
	};
	struct bwt_bag bag;
	struct bwt_rec *b;
	enum bwt_res ret;

	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	b = op->base[BWT_BASE_NEW];
	bag.keys = b->keys;
	bag.vals = bwt_vals(b);
	bag.cap = b->cap;
	bwt_chain_freeze(top);
	ret = bwt_collect(top, &bag, op->gather);
	if (ret)
		return BWT_RESTART;
	if (WARN_ON_ONCE(bag.n != top->count))
		return BWT_RESTART;
	bwt_base_init(b, top, bag.n);
	bwt_base_seal(b);
	/*
	 * Fully ordered: @b's contents before the pointer.  No ABA: @top was
	 * read in this RCU section and no record is ever put back into a
	 * slot, so the slot still holding @top means nothing changed.
	 */
	if (!bwt_cas(tree, pid, top, b))
		return BWT_RESTART;
	op->base[BWT_BASE_NEW] = NULL;
	bwt_stat_inc(tree, records[b->kind]);
	bwt_stat_inc(tree, consolidations);
	bwt_chain_retire(tree, top);
	return BWT_DONE;
}

/*
 * An inner node never splits at a separator whose child is frozen: that
 * would make a merge's entry the leftmost of the new node (see the DOC on
 * merges).  Help the child's merge along instead.  The child's pid comes
 * from the node read in this RCU section, so reading its slot is ordered
 * after reading the node (address dependency).  Return: BWT_DONE or
 * BWT_RESTART.
 */
static enum bwt_res bwt_split_sep_ok(struct bwt_op *op,
				     const struct bwt_rec *top, unsigned int m)
{
	u64 child;
	struct bwt_rec *c;

	if (!top->level)
		return BWT_DONE;
	child = op->scratch.vals[m];
	c = bwt_read(op->tree, child);
	if (!c || c->kind != BWTREE_REMOVE)
		return BWT_DONE;
	bwt_help_remove(op, child, c);
	return BWT_RESTART;
}

/*
 * Where to split the @bag->n (at least two) sorted items of a node that
 * @key is on its way into: in the middle, unless @key lies beyond either
 * end of the node's keys, as each key of an ascending or a descending load
 * does.  The full side then keeps all its items but one and the new side
 * starts with one, so such a load fills its nodes instead of leaving every
 * one of them half empty.
 */
static unsigned int bwt_split_point(const struct bwt_bag *bag, s64 key)
{
	if (key > bag->keys[bag->n - 1])
		return bag->n - 1;
	if (key < bag->keys[0])
		return 1;
	return bag->n / 2;
}

/* Fold the node to split into the scratch arrays; where to split it. */
static enum bwt_res bwt_split_fold(struct bwt_op *op, const struct bwt_rec *top,
				   s64 key, unsigned int *m)
{
	enum bwt_res ret = bwt_collect_scratch(op, top);

	if (ret)
		return ret;
	if (WARN_ON_ONCE(op->scratch.n != top->count || top->count < 2))
		return BWT_RESTART;
	*m = bwt_split_point(&op->scratch, key);
	return bwt_split_sep_ok(op, top, *m);
}

/*
 * Both halves of a split, from the node folded into the scratch arrays:
 * @l the lower @m items, ending at the separator with @rpid to its right,
 * @r the rest.
 */
static void bwt_split_halves(struct bwt_op *op, const struct bwt_rec *top,
			     unsigned int m, struct bwt_rec *l, struct bwt_rec *r,
			     u64 rpid)
{
	unsigned int n = top->count;
	s64 sep = op->scratch.keys[m];

	bwt_base_init(l, top, m);
	l->high = sep;
	l->hinf = 0;
	l->right = rpid;
	bwt_base_copy(l, &op->scratch, 0, m);
	bwt_base_seal(l);
	bwt_base_init(r, top, n - m);
	r->low = sep;
	bwt_base_copy(r, &op->scratch, m, n - m);
	bwt_base_seal(r);
}

static enum bwt_res bwt_split_root(struct bwt_op *op, struct bwt_pos *pos,
				   s64 key)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *top = pos->top, *l, *r, *root;
	struct bwt_map *map = &tree->map;
	unsigned int n = top->count, m;
	struct bwt_need need = {
		.cap[BWT_BASE_ROOT] = 2,
		.pid[BWT_PID_LEFT] = true, .pid[BWT_PID_RIGHT] = true,
		.scratch = n,
	};
	u64 lpid, rpid;
	s64 sep;
	enum bwt_res ret;

	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	ret = bwt_split_fold(op, top, key, &m);
	if (ret)
		return ret;
	need.cap[BWT_BASE_NEW] = m;
	need.cap[BWT_BASE_RIGHT] = n - m;
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	if (ret)
		return ret;
	sep = op->scratch.keys[m];
	l = op->base[BWT_BASE_NEW];
	r = op->base[BWT_BASE_RIGHT];
	root = op->base[BWT_BASE_ROOT];
	lpid = op->pid[BWT_PID_LEFT];
	rpid = op->pid[BWT_PID_RIGHT];

	bwt_split_halves(op, top, m, l, r, rpid);

	root->kind = BWTREE_INNER;
	root->level = top->level + 1;
	root->depth = 0;
	root->hinf = 1;
	root->dead = 0;
	root->count = 2;
	root->low = top->low;
	root->right = BWT_NIL;
	root->next = NULL;
	root->keys[0] = top->low;
	root->keys[1] = sep;
	bwt_vals(root)[0] = lpid;
	bwt_vals(root)[1] = rpid;
	bwt_base_seal(root);

	/*
	 * Ordered before the root by the fully ordered cmpxchg in bwt_cas().
	 * The new pids are ours alone until it succeeds, and emptied again
	 * if it fails, before anyone could have read them: no stale reader.
	 * No ABA on the root: @top was read in this RCU section.
	 */
	RCU_INIT_POINTER(*bwt_map_slot(map, lpid), l);
	RCU_INIT_POINTER(*bwt_map_slot(map, rpid), r);
	if (!bwt_cas(tree, BWT_ROOT, top, root)) {
		RCU_INIT_POINTER(*bwt_map_slot(map, lpid), NULL);
		RCU_INIT_POINTER(*bwt_map_slot(map, rpid), NULL);
		return BWT_RESTART;
	}
	op->base[BWT_BASE_NEW] = NULL;
	op->base[BWT_BASE_RIGHT] = NULL;
	op->base[BWT_BASE_ROOT] = NULL;
	op->pid[BWT_PID_LEFT] = BWT_NIL;
	op->pid[BWT_PID_RIGHT] = BWT_NIL;
	bwt_stat_add(tree, records[l->kind], 2);
	bwt_stat_inc(tree, records[BWTREE_INNER]);
	bwt_stat_inc(tree, splits);
	bwt_chain_retire(tree, top);
	return BWT_DONE;
}

/*
 * Descents bwt_descend_to_sep() makes: each one that walks right, past the
 * parent's missing entry, posts it or meets the thread that did; a third
 * try covers two lost races, and any later writer finishes the job anyway.
 */
#define BWT_SEP_DESCENTS	3

/*
 * Phase two of a split, best effort.  This posts nothing itself: it
 * descends to the separator, and bwt_descend() posts the parent's entry
 * when it walks right past the split (bwt_help_index()).
 */
static void bwt_descend_to_sep(struct bwt_op *op, s64 sep, unsigned int level)
{
	struct bwt_pos pos;
	int i;

	for (i = 0; i < BWT_SEP_DESCENTS; i++) {
		if (bwt_descend(op, sep, level, &pos) || !pos.via_right)
			return;
	}
}

/**
 * bwt_split() - split a node that is too big
 * @op: the operation
 * @pos: the node, as found by bwt_descend() in this RCU section
 * @key: the key @op is on its way to insert (it decides where to split)
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE if the split was installed (the caller restarts);
 * BWT_RESTART if memory is missing or the race was lost.
 */
enum bwt_res bwt_split(struct bwt_op *op, struct bwt_pos *pos, s64 key)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *top = pos->top, *l, *q;
	unsigned int n = top->count, m;
	/* The INDEX that posts the new node. */
	struct bwt_need need = {
		.deltas = 1, .pid[BWT_PID_RIGHT] = true, .scratch = n,
	};
	struct bwt_rec __rcu **slot;
	s64 sep;
	u64 qpid;
	enum bwt_res ret;

	if (pos->pid == BWT_ROOT)
		return bwt_split_root(op, pos, key);
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	ret = bwt_split_fold(op, top, key, &m);
	if (ret)
		return ret;
	need.cap[BWT_BASE_NEW] = m;
	need.cap[BWT_BASE_RIGHT] = n - m;
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	sep = op->scratch.keys[m];
	q = op->base[BWT_BASE_RIGHT];
	qpid = op->pid[BWT_PID_RIGHT];
	l = op->base[BWT_BASE_NEW];
	bwt_split_halves(op, top, m, l, q, qpid);
	slot = bwt_map_slot(&tree->map, qpid);
	/* Ordered before the new lower half by the cmpxchg in bwt_cas(). */
	RCU_INIT_POINTER(*slot, q);
	bwt_pause_point(split_cas);
	/*
	 * Fully ordered: Q's slot and @l before @l is reachable.  No ABA:
	 * @top was read in this RCU section; Q's pid is unpublished until
	 * this succeeds, so emptying its slot on failure hides nothing.
	 */
	if (!bwt_cas(tree, pos->pid, top, l)) {
		RCU_INIT_POINTER(*slot, NULL);
		return BWT_RESTART;
	}
	op->base[BWT_BASE_NEW] = NULL;
	op->base[BWT_BASE_RIGHT] = NULL;
	op->pid[BWT_PID_RIGHT] = BWT_NIL;
	bwt_stat_add(tree, records[l->kind], 2);
	bwt_stat_inc(tree, splits);
	bwt_chain_retire(tree, top);
	/* @top stays readable until this RCU section ends. */
	bwt_descend_to_sep(op, sep, l->level);
	return BWT_DONE;
}

/**
 * bwt_maintain() - keep an inner node on a writer's path in shape
 * @op: the operation
 * @pos: the node
 * @key: the key @op descends for
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE to go on down; BWT_AGAIN after consolidating or
 * splitting it; BWT_RESTART to restart.
 */
enum bwt_res bwt_maintain(struct bwt_op *op, struct bwt_pos *pos, s64 key)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *top = pos->top;

	if (top->depth >= BWT_INNER_CHAIN_MAX)
		return bwt_consolidate(op, pos->pid, top) ? BWT_RESTART :
							    BWT_AGAIN;
	if (top->count >= tree->inner_max)
		return bwt_split(op, pos, key) ? BWT_RESTART : BWT_AGAIN;
	return BWT_DONE;
}

/* Index of @key in the scratch arrays, or -1. */
static int bwt_scratch_find(const struct bwt_bag *bag, s64 key)
{
	int lo = 0, hi = bag->n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (bag->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < bag->n && bag->keys[lo] == key ? lo : -1 - lo;
}

/**
 * bwt_post_index() - phase two of a split: add the parent's missing entry
 * @op: the operation
 * @pos: the node the descent walked right from, and its parent entry
 *
 * The separator is the node's high key, the child its right sibling.  The
 * new delta's range is exact: it ends at the next separator.
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE if posted or not needed; BWT_RESTART otherwise.
 */
enum bwt_res bwt_post_index(struct bwt_op *op, struct bwt_pos *pos)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *top = pos->top, *ptop = pos->ptop, *child, *d;
	struct bwt_need need = { .deltas = 1, .scratch = ptop->count + 1 };
	s64 sep = top->high;
	int i;

	if (sep <= pos->proute.lo ||
	    !(pos->proute.hinf || sep < pos->proute.hi))
		return BWT_DONE;
	if (ptop->depth >= tree->chain_max + BWT_CHAIN_SLACK)
		return BWT_RESTART;
	/* Read after the parent: a node frozen since cannot get an entry. */
	child = bwt_read(tree, top->right);
	if (!child || child->kind == BWTREE_REMOVE)
		return BWT_RESTART;
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	if (bwt_collect_scratch(op, ptop))
		return BWT_RESTART;
	i = bwt_scratch_find(&op->scratch, sep);
	if (i >= 0)
		return BWT_DONE;
	i = -1 - i;	/* the first entry above @sep */

	d = bwt_op_delta(op);
	bwt_rec_init_delta(d, ptop, BWTREE_INDEX);
	d->idx.key = sep;
	d->idx.child = top->right;
	d->idx.lo = sep;
	if (i < op->scratch.n) {
		d->idx.hi = op->scratch.keys[i];
		d->idx_hinf = 0;
	} else {
		d->idx.hi = ptop->high;
		d->idx_hinf = ptop->hinf;
	}
	d->count++;
	bwt_pause_point(post_index);
	/*
	 * Fully ordered; @ptop was read in this RCU section (no ABA).  The
	 * child was read after the parent: if it was frozen since, the
	 * parent changed since (fence or INDEX_DEL) and this fails.
	 */
	if (!bwt_cas(tree, pos->ppid, ptop, d)) {
		bwt_op_undelta(op, d);
		return BWT_RESTART;
	}
	bwt_stat_inc(tree, records[BWTREE_INDEX]);
	bwt_note_chain(tree, d->depth);
	pos->ptop = d;
	return BWT_DONE;
}

/*
 * The parent's entry for the separator @key, for a delta about to be
 * posted on @pp: consolidates a chain that is too long, asks for @deltas
 * deltas, and gathers the entries into the scratch.  Sets *@index to the
 * entry's index, never the leftmost (0).
 */
static enum bwt_res bwt_parent_entry(struct bwt_op *op, struct bwt_pos *pp,
				     s64 key, unsigned int deltas, int *index)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *ptop = pp->top;
	struct bwt_need need = { .deltas = deltas, .scratch = ptop->count + 1 };
	int i;

	if (ptop->depth >= tree->chain_max + BWT_CHAIN_SLACK) {
		bwt_consolidate(op, pp->pid, ptop);
		return BWT_RESTART;
	}
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	if (bwt_collect_scratch(op, ptop))
		return BWT_RESTART;
	i = bwt_scratch_find(&op->scratch, key);
	if (WARN_ON_ONCE(i <= 0))
		return BWT_RESTART;
	*index = i;
	return BWT_DONE;
}

/* The upper end of entry @i of the scratch gathered from @ptop, into @d. */
static void bwt_entry_high(struct bwt_op *op, const struct bwt_rec *ptop,
			   int i, struct bwt_rec *d)
{
	if (i + 1 < op->scratch.n) {
		d->idx.hi = op->scratch.keys[i + 1];
		d->idx_hinf = 0;
	} else {
		d->idx.hi = ptop->high;
		d->idx_hinf = ptop->hinf;
	}
}

/*
 * Phase two of a merge, the fence before COMMITTED: restate the entry @key
 * -> @child on the parent @pp with a new INDEX delta, so that no split of
 * the parent prepared against an older record can land (see the DOC).
 * The delta changes no route and no count.  On success @pp->top is the
 * fence.
 */
static enum bwt_res bwt_post_fence(struct bwt_op *op, struct bwt_pos *pp,
				   s64 key, u64 child)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *ptop = pp->top, *d;
	enum bwt_res ret;
	int i;

	/* The fence, the INDEX_DEL and the MERGE, in one attempt. */
	ret = bwt_parent_entry(op, pp, key, 3, &i);
	if (ret)
		return ret;
	if (WARN_ON_ONCE(op->scratch.vals[i] != child))
		return BWT_RESTART;

	d = bwt_op_delta(op);
	bwt_rec_init_delta(d, ptop, BWTREE_INDEX);
	d->idx.key = key;
	d->idx.child = child;
	d->idx.lo = key;
	bwt_entry_high(op, ptop, i, d);
	/*
	 * Fully ordered (bwt_cas()): the freeze, which this thread read
	 * before, is visible to whoever reads the parent after the fence.
	 * @ptop was read in this RCU section, so it cannot have been freed
	 * and reused: a split prepared against it or anything older fails.
	 */
	if (!bwt_cas(tree, pp->pid, ptop, d)) {
		bwt_op_undelta(op, d);
		return BWT_RESTART;
	}
	bwt_stat_inc(tree, records[BWTREE_INDEX]);
	bwt_note_chain(tree, d->depth);
	pp->top = d;
	return BWT_DONE;
}

/* Phase three of a merge: remove the separator @key from the parent. */
static enum bwt_res bwt_post_index_del(struct bwt_op *op, struct bwt_pos *pp,
				       s64 key)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *ptop = pp->top, *d;
	enum bwt_res ret;
	int i;

	ret = bwt_parent_entry(op, pp, key, 2, &i);
	if (ret)
		return ret;

	d = bwt_op_delta(op);
	bwt_rec_init_delta(d, ptop, BWTREE_INDEX_DEL);
	d->idx.key = key;
	d->idx.child = op->scratch.vals[i - 1];
	d->idx.lo = op->scratch.keys[i - 1];
	bwt_entry_high(op, ptop, i, d);
	d->count--;
	/*
	 * Posted only once the merge is COMMITTED.  @ptop was read in this
	 * RCU section (no ABA); a parent changed since makes it fail.
	 */
	if (!bwt_cas(tree, pp->pid, ptop, d)) {
		bwt_op_undelta(op, d);
		return BWT_RESTART;
	}
	bwt_stat_inc(tree, records[BWTREE_INDEX_DEL]);
	bwt_note_chain(tree, d->depth);
	return BWT_DONE;
}

static enum bwt_res bwt_help_collapse(struct bwt_op *op, u64 pid,
				      struct bwt_rec *rd)
{
	struct bwtree *tree = op->tree;
	struct bwt_rec *root = bwt_read(tree, BWT_ROOT);
	struct bwt_rec *copy = rd->rm.collapse;
	struct bwt_route rt;

	if (atomic_read(&rd->rm.state) == BWT_RM_COMMITTED)
		return BWT_DONE;
	/*
	 * Until the copy is installed the root is exactly what the freeze
	 * saw: one level above the frozen child, with it as its only entry
	 * (a frozen child cannot split, so the root gains no entry).  Any
	 * other root means the copy was installed by a thread that has yet
	 * to say so, and the new root may since have split, even more than
	 * once, or shrunk: that is legal, not a reason to WARN.  The root
	 * cannot route to @pid again, for @pid is not freed, let alone
	 * reused, while this RCU section lasts.
	 */
	if (root->level == rd->level + 1 && root->count == 1)
		bwt_route(root, S64_MIN, &rt);
	if (root == copy || root->level != rd->level + 1 ||
	    root->count != 1 || rt.child != pid) {
		/*
		 * Relaxed is enough: the state only tells readers to restart,
		 * and PENDING -> COMMITTED is its only change (no ABA).
		 */
		atomic_cmpxchg(&rd->rm.state, BWT_RM_PENDING, BWT_RM_COMMITTED);
		return BWT_DONE;
	}
	/* @root was read in this RCU section: no ABA on the root's slot. */
	if (!bwt_cas(tree, BWT_ROOT, root, copy))
		return BWT_RESTART;
	bwt_pause_point(collapse_installed);
	/* As above; the copy is in place, whoever says so first. */
	atomic_cmpxchg(&rd->rm.state, BWT_RM_PENDING, BWT_RM_COMMITTED);
	bwt_stat_inc(tree, records[copy->kind]);
	bwt_stat_inc(tree, merges);
	bwt_chain_retire(tree, root);
	bwt_chain_retire(tree, rd->next);
	bwt_pid_retire(tree, pid, rd);
	return BWT_COLLAPSED;
}

static enum bwt_res __bwt_help_remove(struct bwt_op *op, u64 pid,
				      struct bwt_rec *rd)
{
	static const struct bwt_need merge_need = { .deltas = 1 };
	struct bwtree *tree = op->tree;
	struct bwt_pos pp, lp;
	struct bwt_route rt;
	struct bwt_rec *x, *d;
	enum bwt_res ret;
	int state;

	state = atomic_read(&rd->rm.state);
	if (state == BWT_RM_ABORTED)
		goto unfreeze;
	bwt_pause_point(rm_decide);
	/* Phases two and three: decide, then remove the parent's entry. */
	ret = bwt_descend(op, rd->low, rd->level + 1, &pp);
	if (ret)
		return BWT_RESTART;
	bwt_route(pp.top, rd->low, &rt);
	if (rt.child != pid || rt.lo != rd->low) {
		/*
		 * Only our own INDEX_DEL, posted after COMMITTED, removes the
		 * entry while @rd is in the slot.  Aborted meanwhile: @rd was
		 * since swapped out (and the node maybe frozen and merged
		 * anew), the unfreeze below fails harmlessly.
		 */
		state = atomic_read(&rd->rm.state);
		if (state == BWT_RM_ABORTED)
			goto unfreeze;
		if (WARN_ON_ONCE(state != BWT_RM_COMMITTED))
			return BWT_RESTART;
		goto merge;
	}
	if (state == BWT_RM_PENDING) {
		if (rd->low == pp.top->low) {
			bwt_pause_point(rm_abort);
			/*
			 * Relaxed is enough: the decision orders nothing by
			 * itself, the compare-and-swaps that act on it are
			 * fully ordered.  The word goes PENDING -> decided
			 * once and never back, so no ABA.
			 */
			atomic_cmpxchg(&rd->rm.state, BWT_RM_PENDING,
				       BWT_RM_ABORTED);
		} else {
			ret = bwt_post_fence(op, &pp, rd->low, pid);
			if (ret)
				return ret;
			bwt_pause_point(rm_commit);
			/* As above; the fence is already in place. */
			atomic_cmpxchg(&rd->rm.state, BWT_RM_PENDING,
				       BWT_RM_COMMITTED);
		}
		state = atomic_read(&rd->rm.state);
		if (state == BWT_RM_ABORTED)
			goto unfreeze;
	}
	/* COMMITTED with the entry still there: never the leftmost (DOC). */
	bwt_pause_point(rm_committed);
	if (WARN_ON_ONCE(rd->low == pp.top->low))
		return BWT_RESTART;
	ret = bwt_post_index_del(op, &pp, rd->low);
	if (ret)
		return ret;
	bwt_pause_point(rm_index_deleted);

merge:

	ret = bwt_descend(op, rd->low - 1, rd->level, &lp);
	if (ret)
		return BWT_RESTART;
	x = lp.top;
	/*
	 * X holds rd->low - 1.  If X does not end at rd->low, or its right
	 * sibling is not the frozen node, the merge is done: X absorbed it
	 * (and may since have split again, even at the same key).  The pid
	 * cannot have been reused while this RCU section lasts.
	 */
	if (x->hinf || x->high != rd->low || x->right != pid)
		return BWT_DONE;
	/*
	 * The merged chain is walked through both halves: keep it within
	 * bwt_chain_bound() + 1 (the frozen half alone is within the bound).
	 */
	if (x->depth && x->depth + rd->depth > bwt_chain_bound(tree)) {
		bwt_consolidate(op, lp.pid, x);
		return BWT_RESTART;
	}
	if (!bwt_op_want(op, &merge_need))
		return BWT_RESTART;
	d = bwt_op_delta(op);
	bwt_rec_init_delta(d, x, BWTREE_MERGE);
	d->depth = x->depth + rd->depth;
	d->high = rd->high;
	d->hinf = rd->hinf;
	d->right = rd->right;
	d->count = x->count + rd->count;
	d->merge.sep = rd->low;
	d->merge.removed = rd->next;
	/*
	 * Fully ordered.  No ABA: @x was read in this RCU section, and the
	 * check above (X ends at the frozen node's low key, with it as the
	 * right sibling) holds for @x, so at most one MERGE absorbs the node.
	 */
	if (!bwt_cas(tree, lp.pid, x, d)) {
		bwt_op_undelta(op, d);
		return BWT_RESTART;
	}
	bwt_stat_inc(tree, records[BWTREE_MERGE]);
	bwt_stat_inc(tree, merges);
	bwt_note_chain(tree, d->depth);
	bwt_pid_retire(tree, pid, rd);
	return BWT_DONE;

unfreeze:
	/*
	 * The freezer's copy of the frozen record replaces @rd: the record
	 * the node had before the freeze never comes back, so no
	 * compare-and-swap prepared against it (a delayed freeze, a delayed
	 * delta) can succeed.  The copy was made before the freeze and is
	 * published here once, by whichever helper wins; it needs no memory,
	 * so an abort always completes.  Fully ordered; @rd was read in this
	 * RCU section, so the swap from it has no ABA either.
	 */
	x = rd->rm.thaw;
	if (!bwt_cas(tree, pid, rd, x))
		return BWT_DONE;	/* another helper unfroze it */
	bwt_stat_inc(tree, records[x->kind]);
	bwt_one_retire(tree, rd->next);
	bwt_one_retire(tree, rd);
	return BWT_DONE;
}

/**
 * bwt_help_remove() - drive a frozen node's merge to its end
 * @op: the operation
 * @pid: the frozen node
 * @rd: its REMOVE delta, read in this RCU section
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE or BWT_COLLAPSED when the merge is over (committed and
 * merged, or aborted); BWT_RESTART to restart.
 */
enum bwt_res bwt_help_remove(struct bwt_op *op, u64 pid, struct bwt_rec *rd)
{
	enum bwt_res ret;

	bwt_pause_point(help_remove);
	if (rd->rm.collapse)
		return bwt_help_collapse(op, pid, rd);
	if (op->help_depth >= BWT_HELP_DEPTH_MAX)
		return BWT_RESTART;
	op->help_depth++;
	ret = __bwt_help_remove(op, pid, rd);
	op->help_depth--;
	return ret;
}

/*
 * A node's right sibling has no entry in the parent yet (phase two of its
 * split is pending): descend to the sibling, which posts the entry on the
 * way (bwt_help_index()), then restart.
 */
static enum bwt_res bwt_descend_to_right(struct bwt_op *op,
					 const struct bwt_rec *top)
{
	struct bwt_pos pos;

	bwt_descend(op, top->high, top->level, &pos);
	return BWT_RESTART;
}

/* The root has one child spanning every key: make its contents the root. */
static enum bwt_res bwt_try_collapse(struct bwt_op *op, struct bwt_rec *root)
{
	struct bwtree *tree = op->tree;
	struct bwt_need need = { .deltas = 1, .fold = true };
	struct bwt_rec *ctop, *copy, *rd;
	struct bwt_route rt;
	struct bwt_bag bag;
	u64 pid;

	if (!root->level || root->count != 1)
		return BWT_NOTHING;
	bwt_route(root, S64_MIN, &rt);
	pid = rt.child;
	ctop = bwt_read(tree, pid);
	if (!ctop)
		return BWT_RESTART;
	if (ctop->kind == BWTREE_REMOVE) {
		bwt_help_remove(op, pid, ctop);
		return BWT_RESTART;
	}
	if (WARN_ON_ONCE(ctop->low != S64_MIN))
		return BWT_NOTHING;
	if (!ctop->hinf)
		return bwt_descend_to_right(op, ctop);
	need.cap[BWT_BASE_NEW] = max(ctop->count, 1U);
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	copy = op->base[BWT_BASE_NEW];
	bag.keys = copy->keys;
	bag.vals = bwt_vals(copy);
	bag.cap = copy->cap;
	bwt_chain_freeze(ctop);
	if (bwt_collect(ctop, &bag, op->gather) || bag.n != ctop->count)
		return BWT_RESTART;
	bwt_base_init(copy, ctop, bag.n);
	bwt_base_seal(copy);

	rd = bwt_op_delta(op);
	bwt_rec_init_delta(rd, ctop, BWTREE_REMOVE);
	atomic_set(&rd->rm.state, BWT_RM_PENDING);
	rd->rm.collapse = copy;
	/* Fully ordered; @ctop read in this RCU section: no ABA. */
	if (!bwt_cas(tree, pid, ctop, rd)) {
		bwt_op_undelta(op, rd);
		return BWT_RESTART;
	}
	op->base[BWT_BASE_NEW] = NULL;
	bwt_stat_inc(tree, records[BWTREE_REMOVE]);
	bwt_pause_point(collapse_frozen);
	return bwt_help_collapse(op, pid, rd);
}

/**
 * bwt_try_merge() - merge the node at @level holding @key if underfull
 * @op: the operation
 * @key: a key the node holds
 * @level: its level
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE if a merge happened at @level; BWT_COLLAPSED if the root
 * lost a level; BWT_NOTHING if there is nothing to do at @level;
 * BWT_NO_LEVEL if @level is above the root; BWT_RESTART to retry.
 */
enum bwt_res bwt_try_merge(struct bwt_op *op, s64 key, unsigned int level)
{
	struct bwtree *tree = op->tree;
	struct bwt_need need = { .deltas = 5 };
	struct bwt_rec *top, *vtop, *rd, *thaw;
	struct bwt_route rt;
	struct bwt_pos pos;
	bool thaw_base;
	u64 victim;
	enum bwt_res ret;

	ret = bwt_descend(op, key, level, &pos);
	if (ret)
		return ret;
	top = pos.top;
	if (pos.pid == BWT_ROOT)
		return bwt_try_collapse(op, top);
	if (top->count >= (level ? tree->inner_min : tree->leaf_min))
		return BWT_NOTHING;
	if (pos.ppid == BWT_NIL || pos.via_right ||
	    pos.proute.child != pos.pid || pos.proute.lo != top->low)
		return BWT_NOTHING;
	if (top->low != pos.ptop->low) {
		victim = pos.pid;
		vtop = top;
	} else {
		/* A leftmost child absorbs its right sibling instead. */
		if (top->hinf || (!pos.ptop->hinf && top->high >= pos.ptop->high))
			return BWT_NOTHING;
		bwt_route(pos.ptop, top->high, &rt);
		if (rt.lo < top->high)
			return bwt_descend_to_right(op, top);
		if (rt.child != top->right || rt.lo != top->high)
			return BWT_NOTHING;
		victim = top->right;
		vtop = bwt_read(tree, victim);
		if (!vtop)
			return BWT_RESTART;
		if (vtop->kind == BWTREE_REMOVE) {
			bwt_help_remove(op, victim, vtop);
			return BWT_RESTART;
		}
		if (vtop->low != top->high)
			return BWT_RESTART;
	}
	/*
	 * A frozen chain can never be consolidated: freeze a short one, so
	 * the merged chain stays within bwt_chain_bound().
	 */
	if (vtop->depth >= tree->chain_max) {
		bwt_consolidate(op, victim, vtop);
		return BWT_RESTART;
	}
	/*
	 * REMOVE, its unfreeze copy (a base node when it copies one), fence,
	 * INDEX_DEL, MERGE; the parent's entries.
	 */
	thaw_base = bwt_is_base(vtop);
	if (thaw_base)
		need.cap[BWT_BASE_NEW] = max(vtop->count, 1U);
	need.scratch = pos.ptop->count + 1;
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	if (thaw_base) {
		unsigned int i;

		thaw = op->base[BWT_BASE_NEW];
		bwt_base_init(thaw, vtop, vtop->count);
		memcpy(thaw->keys, vtop->keys, vtop->count * sizeof(s64));
		/* A store announced before the freeze may land beside us. */
		bwt_chain_freeze(vtop);
		for (i = 0; i < vtop->count; i++)
			bwt_vals(thaw)[i] = READ_ONCE(bwt_vals(vtop)[i]);
		bwt_base_seal(thaw);
	} else {
		/*
		 * Up to the rcu head: that and ->dead are written when @vtop
		 * is retired, maybe right now, and are not the node's.
		 */
		thaw = bwt_op_delta(op);
		memcpy(thaw, vtop, offsetof(struct bwt_rec, rcu));
		thaw->idx_hinf = vtop->idx_hinf;
	}
	rd = bwt_op_delta(op);
	bwt_rec_init_delta(rd, vtop, BWTREE_REMOVE);
	atomic_set(&rd->rm.state, BWT_RM_PENDING);
	rd->rm.thaw = thaw;
	bwt_pause_point(merge_freeze);
	/*
	 * Fully ordered.  No ABA: @vtop was read in this RCU section, and an
	 * aborted merge unfreezes with a fresh record, never @vtop again, so
	 * a freeze decided on a view from before an abort fails here.
	 */
	if (!bwt_cas(tree, victim, vtop, rd)) {
		bwt_op_undelta(op, rd);
		if (!thaw_base)
			bwt_op_undelta(op, thaw);
		return BWT_RESTART;
	}
	/* From here on @thaw may be published or freed by another helper. */
	if (thaw_base)
		op->base[BWT_BASE_NEW] = NULL;
	bwt_stat_inc(tree, records[BWTREE_REMOVE]);
	bwt_pause_point(merge_frozen);
	/*
	 * If this attempt cannot finish the merge, the next one (or any
	 * writer passing by) helps it along from where it stopped.
	 */
	ret = bwt_help_remove(op, victim, rd);
	return ret == BWT_COLLAPSED ? BWT_DONE : ret;
}
