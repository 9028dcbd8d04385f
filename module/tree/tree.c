// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree: trees, and the public API of include/bwtree.h but for scans
 * (scan.c) and the checker (validate.c).
 *
 * Prefixes: bwtree_ public API, bwt_ the rest.  @tree is a tree, @op an
 * operation, @pos where a descent ended, @top the newest record of a node,
 * @pid a page ID.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/export.h>
#include <linux/module.h>
#include <linux/bug.h>
#include "internal.h"
#include "search.h"

/* A node below this merges; an inner node with one child always does. */
static unsigned int bwt_min_of(unsigned int max, unsigned int floor)
{
	return max(max / 4, floor);
}

void bwt_note_chain(struct bwtree *tree, unsigned int depth)
{
	int cur = atomic_read(&tree->longest_chain);

	/* A statistic, only ever raised: any ordering, no ABA to care about. */
	while (depth > cur)
		if (atomic_try_cmpxchg(&tree->longest_chain, &cur, depth))
			break;
}

/**
 * bwtree_check_params() - check tunables as bwtree_create() will
 * @p: the tunables
 *
 * leaf_max and inner_max are 0 or %BWTREE_MIN_NODE to %BWTREE_MAX_NODE,
 * chain_max is at most %BWTREE_MAX_CHAIN, and max_bytes at most LONG_MAX
 * (the tree compares it with a signed byte count).  @p->account is not
 * looked at.  Callers that take tunables from elsewhere, such as an ioctl,
 * check them here rather than with rules of their own.
 *
 * Context: Any context.
 * Return: 0 when bwtree_create() accepts @p, -EINVAL when it does not.
 */
int bwtree_check_params(const struct bwtree_params *p)
{
	if (p->leaf_max && (p->leaf_max < BWTREE_MIN_NODE ||
			    p->leaf_max > BWTREE_MAX_NODE))
		return -EINVAL;
	if (p->inner_max && (p->inner_max < BWTREE_MIN_NODE ||
			     p->inner_max > BWTREE_MAX_NODE))
		return -EINVAL;
	if (p->chain_max > BWTREE_MAX_CHAIN)
		return -EINVAL;
	if (p->max_bytes > LONG_MAX)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(bwtree_check_params);

/**
 * bwtree_create() - make an empty tree
 * @params: tunables, or NULL for the defaults
 *
 * Context: process context; may sleep.
 * Return: the tree, ERR_PTR(-EINVAL) for bad @params, ERR_PTR(-ENOMEM).
 */
struct bwtree *bwtree_create(const struct bwtree_params *params)
{
	static const struct bwtree_params defaults;
	const struct bwtree_params *p = params ? params : &defaults;
	struct bwtree *tree;
	struct bwt_rec *root;
	int ret;

	ret = bwtree_check_params(p);
	if (ret)
		return ERR_PTR(ret);
	tree = kzalloc(sizeof(*tree), GFP_KERNEL);
	if (!tree)
		return ERR_PTR(-ENOMEM);
	ret = bwt_counters_init(tree);
	if (ret)
		goto err_counters;
	tree->leaf_max = p->leaf_max ? p->leaf_max : BWT_DEF_LEAF_MAX;
	tree->inner_max = p->inner_max ? p->inner_max : BWT_DEF_INNER_MAX;
	tree->chain_max = p->chain_max ? p->chain_max : BWT_DEF_CHAIN_MAX;
	tree->leaf_min = bwt_min_of(tree->leaf_max, 1);
	tree->inner_min = bwt_min_of(tree->inner_max, 2);
	tree->max_bytes = p->max_bytes;
	tree->account = p->account;
	bwt_charge(tree, sizeof(*tree) + bwt_counters_size());

	ret = bwt_map_init(tree);
	if (ret)
		goto err_map;
	root = bwt_base_alloc(tree, 1, GFP_KERNEL);
	if (!root) {
		ret = -ENOMEM;
		goto err_map;
	}
	root->kind = BWTREE_LEAF;
	root->low = S64_MIN;
	root->hinf = 1;
	root->right = BWT_NIL;
	bwt_base_seal(root);
	rcu_assign_pointer(*bwt_map_slot(&tree->map, BWT_ROOT), root);
	bwt_stat_inc(tree, records[BWTREE_LEAF]);
	return tree;

err_map:
	bwt_map_destroy(tree);
	bwt_charge(tree, -(long)(sizeof(*tree) + bwt_counters_size()));
	bwt_counters_destroy(tree);
err_counters:
	kfree(tree);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(bwtree_create);

/**
 * bwtree_destroy() - free a tree and everything in it
 * @tree: the tree; no other thread may use it any more
 *
 * Waits for the RCU callbacks that still refer to the tree.
 *
 * Context: process context; sleeps.
 */
void bwtree_destroy(struct bwtree *tree)
{
	if (!tree)
		return;
	might_sleep();
	/* Callbacks that free page IDs write to the tree's table. */
	rcu_barrier();
	bwt_map_destroy(tree);
	bwt_charge(tree, -(long)(sizeof(*tree) + bwt_counters_size()));
	WARN_ON_ONCE(percpu_counter_sum(&tree->bytes));
	bwt_counters_destroy(tree);
	kfree(tree);
}
EXPORT_SYMBOL_GPL(bwtree_destroy);

enum bwt_write {
	BWT_W_INSERT,
	BWT_W_UPSERT,
	BWT_W_DELETE,
};

struct bwt_wres {
	int err;
	u64 old;
	bool found;
	bool underflow;
};

/* Exact at the limit: see DOC: Counters. */
static bool bwt_over_limit(struct bwtree *tree)
{
	if (tree->max_bytes &&
	    __percpu_counter_compare(&tree->bytes, tree->max_bytes,
				     BWT_BYTES_BATCH) >= 0)
		return true;
	return tree->account && bwtree_account_full(tree->account);
}

static const struct bwt_need bwt_one_delta = { .deltas = 1 };

/*
 * The leaf's own structure modifications one attempt goes on after: a
 * split and a consolidation of each half is the most one write needs.
 */
#define BWT_LEAF_AGAIN_MAX	4

/*
 * One attempt at a write.  Return: BWT_DONE with @res->err the write's
 * result (0, -EEXIST, -ENOENT), or BWT_RESTART.
 */
static enum bwt_res __bwt_write(struct bwt_op *op, enum bwt_write w, s64 key,
				u64 val, struct bwt_wres *res)
{
	struct bwtree *tree = op->tree;
	unsigned int again = 0;
	struct bwt_found at;
	struct bwt_pos pos;
	struct bwt_rec *top, *d;
	bool present;
	u64 old = 0;

	/* Level 0 always exists: anything but BWT_DONE is a restart. */
	if (bwt_descend(op, key, 0, &pos))
		return BWT_RESTART;
	for (;;) {
		enum bwt_res ret = BWT_DONE;

		top = pos.top;
		present = bwt_leaf_find_at(top, key, &old, &at);
		res->underflow = false;
		res->old = old;
		res->found = present;
		if (w == BWT_W_INSERT && present) {
			res->err = -EEXIST;
			return BWT_DONE;
		}
		if (w == BWT_W_DELETE && !present) {
			res->err = -ENOENT;
			return BWT_DONE;
		}
		/* See the DOC on in-place updates (update.c). */
		if (w == BWT_W_UPSERT && at.base &&
		    bwt_update_in_place(at.base, at.slot, val)) {
			res->err = 0;
			return BWT_DONE;
		}
		if (!present && top->count >= tree->leaf_max)
			ret = bwt_split(op, &pos, key);
		else if (top->depth >= tree->chain_max)
			ret = bwt_consolidate(op, pos.pid, top);
		else
			break;
		/* Our own split or consolidation: go on from the leaf. */
		if (ret || again++ == BWT_LEAF_AGAIN_MAX ||
		    bwt_descend_resume(op, key, 0, &pos))
			return BWT_RESTART;
	}

	/* An upsert, or helping on the way, may not have left us one. */
	if (!bwt_op_want(op, &bwt_one_delta))
		return BWT_RESTART;
	d = bwt_op_delta(op);
	bwt_rec_init_delta(d, top, w == BWT_W_DELETE ? BWTREE_DELETE :
			   BWTREE_INSERT);
	d->kv.key = key;
	d->kv.val = val;
	if (w == BWT_W_DELETE)
		d->count--;
	else if (!present)
		d->count++;
	/*
	 * Fully ordered: @d before its pointer.  No ABA: @top was read in
	 * this RCU section and no record ever returns to a slot, so a slot
	 * still holding @top is the leaf this write was decided on.
	 */
	if (!bwt_cas(tree, pos.pid, top, d)) {
		bwt_op_undelta(op, d);
		return BWT_RESTART;
	}
	bwt_stat_inc(tree, records[d->kind]);
	bwt_note_chain(tree, d->depth);
	if (w == BWT_W_DELETE)
		bwt_count_add(tree, -1);
	else if (!present)
		bwt_count_add(tree, 1);
	res->err = 0;
	res->underflow = w == BWT_W_DELETE && pos.pid != BWT_ROOT &&
			 d->count < tree->leaf_min;
	return BWT_DONE;
}

/*
 * Attempts bwt_merge_up() makes: enough for a merge at every level of the
 * highest tree with a few lost races each; a merge left undone is not an
 * error (see below).
 */
#define BWT_MERGE_UP_TRIES	64

/*
 * After a delete left a leaf small: merge it, then look at each level above
 * for a node made small in turn, up to the root, which may collapse; and if
 * anything changed, go round once more from the leaf (a merged parent can
 * let a leftmost leaf merge).  Failures here are not the caller's: the
 * delete is done, the tree stays valid, and a later delete tries again.
 */
static void bwt_merge_up(struct bwtree *tree, s64 key)
{
	struct bwt_op op;
	unsigned int level = 0, tries = 0;
	bool progress = false;
	enum bwt_res ret;

	bwt_op_init(&op, tree, true);
	/* REMOVE, its copy, fence, INDEX_DEL, MERGE; a parent's entries. */
	bwt_op_plan(&op, &(struct bwt_need){
		.deltas = 5, .scratch = 2 * tree->inner_max + 8 });
	while (tries++ < BWT_MERGE_UP_TRIES) {
		if (bwt_op_refill(&op))
			break;
		rcu_read_lock();
		ret = bwt_try_merge(&op, key, level);
		rcu_read_unlock();
		if (ret == BWT_NO_LEVEL) {
			/* Past the root: once more from the leaf if it helped. */
			if (!progress)
				break;
			progress = false;
			level = 0;
			continue;
		}
		if (ret == BWT_RESTART) {
			progress = true;
			bwt_op_backoff(&op);
			continue;
		}
		if (ret != BWT_NOTHING)
			progress = true;	/* merged, or the root collapsed */
		level++;
	}
	bwt_op_finish(&op);
}

static int bwt_write(struct bwtree *tree, enum bwt_write w, s64 key,
		     u64 val, struct bwt_wres *res)
{
	enum bwt_res res_step;
	struct bwt_op op;
	int ret;

	might_sleep();
	if (w != BWT_W_DELETE && bwt_over_limit(tree))
		return -ENOSPC;
	bwt_op_init(&op, tree, true);
	/* An upsert of a present key usually needs nothing (update.c). */
	if (w != BWT_W_UPSERT)
		bwt_op_plan(&op, &bwt_one_delta);
	for (;;) {
		ret = bwt_op_refill(&op);
		if (ret)
			break;
		rcu_read_lock();
		res_step = __bwt_write(&op, w, key, val, res);
		rcu_read_unlock();
		if (res_step == BWT_DONE) {
			ret = res->err;
			break;
		}
		bwt_op_backoff(&op);
	}
	bwt_op_finish(&op);
	if (!ret && res->underflow)
		bwt_merge_up(tree, key);
	return ret;
}

/**
 * bwtree_insert() - add a key that is not in the tree
 * @tree: the tree
 * @key: the key
 * @value: its value
 *
 * Context: process context; may sleep.
 * Return: 0; -EEXIST if @key is present; -ENOMEM (nothing changed);
 * -ENOSPC if the tree or its account reached its memory limit.
 */
int bwtree_insert(struct bwtree *tree, s64 key, u64 value)
{
	struct bwt_wres res;

	return bwt_write(tree, BWT_W_INSERT, key, value, &res);
}
EXPORT_SYMBOL_GPL(bwtree_insert);

/**
 * bwtree_upsert() - add a key or replace its value
 * @tree: the tree
 * @key: the key
 * @value: its value
 * @replaced: if not NULL, set to whether @key was present
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOMEM (nothing changed); -ENOSPC if the tree or its account
 * reached its memory limit.
 */
int bwtree_upsert(struct bwtree *tree, s64 key, u64 value, bool *replaced)
{
	struct bwt_wres res;
	int ret;

	might_sleep();
	if (bwt_over_limit(tree))
		return -ENOSPC;
	if (bwt_upsert_in_place(tree, key, value)) {
		if (replaced)
			*replaced = true;
		return 0;
	}
	ret = bwt_write(tree, BWT_W_UPSERT, key, value, &res);
	if (!ret && replaced)
		*replaced = res.found;
	return ret;
}
EXPORT_SYMBOL_GPL(bwtree_upsert);

/**
 * bwtree_delete() - remove a key
 * @tree: the tree
 * @key: the key
 * @value: if not NULL, set to the value the key had
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT if @key is absent; -ENOMEM (nothing changed).
 */
int bwtree_delete(struct bwtree *tree, s64 key, u64 *value)
{
	struct bwt_wres res;
	int ret;

	ret = bwt_write(tree, BWT_W_DELETE, key, 0, &res);
	if (!ret && value)
		*value = res.old;
	return ret;
}
EXPORT_SYMBOL_GPL(bwtree_delete);

/*
 * A leaf whose chain a lookup finds this long, the lookup folds: a leaf
 * that is read and no longer written keeps its last deltas otherwise, and
 * every lookup of it walks them.
 */
#define BWT_READ_FOLD_DEPTH	2

/*
 * Fold the leaf @pid, whose newest record @top a lookup just searched, as a
 * writer's consolidation would: allocating only with GFP_NOWAIT, never
 * sleeping, and giving up on any failure, a lost race or a memory limit
 * reached (the lookup's answer is already made and does not depend on it).
 * Not in NMI context, where nothing may be allocated.
 */
static void bwt_read_fold(struct bwtree *tree, u64 pid,
			  const struct bwt_rec *top)
{
	struct bwt_op op;

	if (in_nmi() || bwt_read(tree, pid) != top || bwt_over_limit(tree))
		return;		/* frozen, changed meanwhile, or no room */
	bwt_op_init(&op, tree, true);
	bwt_consolidate(&op, pid, (struct bwt_rec *)top);
	bwt_op_finish(&op);
}

/**
 * bwtree_lookup() - find a key's value
 * @tree: the tree
 * @key: the key
 * @value: where to put its value
 *
 * Never sleeps; takes no lock but the RCU read lock.  A lookup that finds
 * its leaf's delta chain BWT_READ_FOLD_DEPTH records long folds it into a
 * new base node, as the BW-tree has any thread do that meets a long chain,
 * so that read-mostly leaves are searched without a chain walk: it
 * allocates then with GFP_NOWAIT, and a failure only leaves the chain as
 * it was (a fold counts in &bwtree_stats.consolidations).  A
 * descent that keeps meeting structure modifications in flight leaves the
 * read section after BWT_READ_RESTARTS restarts and enters a new one
 * (counted in &bwtree_stats.reader_yields); it does not reschedule, for the
 * caller may be atomic.
 *
 * Context: any context where rcu_read_lock() may be taken and, but in NMI
 * context, GFP_NOWAIT allocations made.
 * Return: 0, or -ENOENT if @key is absent.
 */
int bwtree_lookup(struct bwtree *tree, s64 key, u64 *value)
{
	const struct bwt_rec *leaf;
	struct bwt_found at;
	bool found = false;
	u64 pid;

	for (;;) {
		rcu_read_lock();
		leaf = bwt_descend_reader(tree, key, &pid);
		/* A bare base node: searched here, inline. */
		if (leaf && bwt_is_base(leaf)) {
			found = bwt_base_leaf_find(leaf, key, value, &at);
		} else if (leaf) {
			found = bwt_leaf_find(leaf, key, value);
			if (unlikely(leaf->depth >= BWT_READ_FOLD_DEPTH))
				bwt_read_fold(tree, pid, leaf);
		}
		rcu_read_unlock();
		if (likely(leaf))
			break;
		bwt_stat_inc(tree, reader_yields);
		cpu_relax();
	}
	return found ? 0 : -ENOENT;
}
EXPORT_SYMBOL_GPL(bwtree_lookup);

/**
 * bwtree_count() - the number of keys
 * @tree: the tree
 *
 * Exact when no update is in flight: a sum over the CPUs, O(CPUs).
 *
 * Context: any.
 * Return: the number of keys.
 */
u64 bwtree_count(struct bwtree *tree)
{
	return percpu_counter_sum_positive(&tree->count);
}
EXPORT_SYMBOL_GPL(bwtree_count);

/**
 * bwtree_get_stats() - read a tree's counters
 * @tree: the tree
 * @stats: where to put them
 *
 * Sums over the CPUs, O(CPUs): each figure is exact when no update is in
 * flight.
 *
 * Context: any.
 */
void bwtree_get_stats(struct bwtree *tree, struct bwtree_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	bwt_stats_sum(tree, stats);
	stats->count = bwtree_count(tree);
	rcu_read_lock();
	stats->height = bwt_read(tree, BWT_ROOT)->level + 1;
	rcu_read_unlock();
	stats->bytes = percpu_counter_sum_positive(&tree->bytes);
	stats->longest_chain = atomic_read(&tree->longest_chain);
}
EXPORT_SYMBOL_GPL(bwtree_get_stats);

/**
 * bwtree_get_params() - the tunables a tree was made with
 * @tree: the tree
 * @params: where to put them, defaults resolved
 *
 * Context: any.
 */
void bwtree_get_params(struct bwtree *tree, struct bwtree_params *params)
{
	params->leaf_max = tree->leaf_max;
	params->inner_max = tree->inner_max;
	params->chain_max = tree->chain_max;
	params->max_bytes = tree->max_bytes;
	params->account = tree->account;
}
EXPORT_SYMBOL_GPL(bwtree_get_params);

/**
 * bwtree_init() - set up the record caches
 *
 * Called by bwtree.ko's own init; not exported.
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int bwtree_init(void)
{
	return bwt_records_init();
}

/**
 * bwtree_exit() - wait for deferred frees, then destroy the caches
 *
 * Every tree must have been destroyed.  Called by bwtree.ko's own exit;
 * not exported.
 *
 * Context: module exit; sleeps.
 */
void bwtree_exit(void)
{
	bwt_records_exit();
}
