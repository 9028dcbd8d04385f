// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree operations: the state of one operation, its preallocated memory
 * and its backoff between attempts.
 *
 * Prefix: bwt_op_, for functions on @op, one operation's &struct bwt_op.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/bug.h>
#include "internal.h"

/**
 * DOC: Operations and preallocation
 *
 * An operation runs as a loop of attempts.  Each attempt first allocates,
 * with GFP_KERNEL and outside any RCU read section, whatever the previous
 * attempt found it needed (a delta record, a base node, a page ID, scratch
 * space), then enters rcu_read_lock(), descends from the root, and tries
 * to publish its change with one compare-and-swap.  Inside the read section
 * nothing sleeps: a step that finds memory missing asks bwt_op_want(),
 * which tries to get it there and then with GFP_NOWAIT, and only if that
 * fails does the attempt return BWT_RESTART (&enum bwt_res) so that the
 * loop can allocate with GFP_KERNEL and start again from the root.  An
 * attempt that lost a race returns BWT_RESTART too.  No record pointer
 * survives rcu_read_unlock().  A writer that finished a structure
 * modification of its own goes on from the node it changed, in the same
 * read section (BWT_AGAIN), so most writes never restart: a random or an
 * ascending load restarts a few times per thousand inserts (make bench,
 * "restarts/1k").
 *
 * If an allocation with GFP_KERNEL fails the operation returns -ENOMEM;
 * one with GFP_NOWAIT that fails only costs a restart.  Nothing the
 * operation did is visible: its own change is published last, in a single
 * compare-and-swap, and the structure modifications it may have completed
 * on the way (consolidations, splits, merges) change no key or value.
 * Unused preallocated memory is freed at once, for it was never published.
 *
 * Failed compare-and-swaps back off with cpu_relax() for a time that grows
 * with the number of retries, up to a bound, and the loop calls
 * cond_resched() between attempts.  Every failed compare-and-swap means
 * another one succeeded, so the tree as a whole always makes progress.
 */

#define BWT_BACKOFF_MAX	1024

/* What bwt_scratch_reserve() allocates for a &struct bwt_gather. */
struct bwt_gather_space {
	struct bwt_gather g;
	const struct bwt_rec *delta[BWT_GATHER_MAX];
	struct bwt_span span[BWT_GATHER_MAX];
};

/**
 * bwt_scratch_reserve() - make room to fold a chain
 * @bag: scratch arrays, grown to hold @cap items if they hold fewer
 * @gather: the gather space, allocated if missing
 * @cap: items; 0 for the gather space alone
 * @gfp: how to allocate
 *
 * The one allocator of scratch space: operations, scans and the checker.
 *
 * Context: process context; in an RCU read section only with a @gfp that
 * does not sleep.
 * Return: 0 or -ENOMEM (what was there stays, maybe without @bag's arrays).
 */
int bwt_scratch_reserve(struct bwt_bag *bag, struct bwt_gather **gather,
			unsigned int cap, gfp_t gfp)
{
	if (cap > bag->cap) {
		/* kvfree() of vmalloc()ed memory may sleep. */
		if (bag->keys && !gfpflags_allow_blocking(gfp))
			return -ENOMEM;
		kvfree(bag->keys);
		bag->cap = 0;
		bag->keys = kvmalloc_array(cap, 2 * sizeof(s64), gfp);
		if (!bag->keys)
			return -ENOMEM;
		bag->vals = (u64 *)&bag->keys[cap];
		bag->cap = cap;
	}
	if (!*gather) {
		struct bwt_gather_space *gs = kmalloc(sizeof(*gs), gfp);

		if (!gs)
			return -ENOMEM;
		bwt_gather_init(&gs->g, gs->delta, gs->span, BWT_GATHER_MAX);
		*gather = &gs->g;	/* the first member: kfree() takes it */
	}
	return 0;
}

/**
 * bwt_scratch_free() - free what bwt_scratch_reserve() allocated
 * @bag: the scratch arrays
 * @gather: the gather space
 */
void bwt_scratch_free(struct bwt_bag *bag, struct bwt_gather **gather)
{
	kvfree(bag->keys);
	bag->keys = NULL;
	bag->cap = 0;
	kfree(*gather);
	*gather = NULL;
}

void bwt_op_init(struct bwt_op *op, struct bwtree *tree, bool writer)
{
	unsigned int i;

	memset(op, 0, sizeof(*op));
	op->tree = tree;
	op->writer = writer;
	for (i = 0; i < BWT_NR_PIDS; i++)
		op->pid[i] = BWT_NIL;
}

/* Allocate, with @gfp, whatever @op->need asks for and @op lacks. */
static int bwt_op_fill(struct bwt_op *op, gfp_t gfp)
{
	const struct bwt_need *need = &op->need;
	struct bwtree *tree = op->tree;
	unsigned int i;

	while (op->ndelta < need->deltas) {
		struct bwt_rec *d = bwt_delta_alloc(tree, gfp);

		if (!d)
			return -ENOMEM;
		op->delta[op->ndelta++] = d;
	}
	for (i = 0; i < BWT_NR_BASES; i++) {
		if (!need->cap[i])
			continue;
		if (op->base[i] && op->base[i]->cap >= need->cap[i])
			continue;
		if (op->base[i])
			bwt_rec_free_now(tree, op->base[i]);
		op->base[i] = bwt_base_alloc(tree, need->cap[i], gfp);
		if (!op->base[i])
			return -ENOMEM;
	}
	for (i = 0; i < BWT_NR_PIDS; i++) {
		if (!need->pid[i] || op->pid[i] != BWT_NIL)
			continue;
		if (bwt_pid_alloc(tree, &op->pid[i], gfp))
			return -ENOMEM;
	}
	if (need->fold || need->scratch)
		return bwt_scratch_reserve(&op->scratch, &op->gather,
					   need->scratch, gfp);
	return 0;
}

/**
 * bwt_op_plan() - say what an operation will need
 * @op: the operation
 * @need: what it needs
 *
 * Records @need in @op, for bwt_op_refill() to allocate before the next
 * attempt.  Writers call it before their first attempt with what that
 * attempt will surely need.
 *
 * Context: any; allocates nothing.
 * Return: true if @op already holds it all.
 */
bool bwt_op_plan(struct bwt_op *op, const struct bwt_need *need)
{
	struct bwt_need *has = &op->need;
	bool ok = true;
	unsigned int i;

	has->deltas = max(has->deltas, need->deltas);
	if (op->ndelta < need->deltas)
		ok = false;
	for (i = 0; i < BWT_NR_BASES; i++) {
		has->cap[i] = max(has->cap[i], need->cap[i]);
		if (need->cap[i] &&
		    (!op->base[i] || op->base[i]->cap < need->cap[i]))
			ok = false;
	}
	for (i = 0; i < BWT_NR_PIDS; i++) {
		has->pid[i] |= need->pid[i];
		if (need->pid[i] && op->pid[i] == BWT_NIL)
			ok = false;
	}
	has->scratch = max(has->scratch, need->scratch);
	if (op->scratch.cap < need->scratch)
		ok = false;
	if (need->fold || need->scratch) {
		has->fold = true;
		if (!op->gather)
			ok = false;
	}
	return ok;
}

/**
 * bwt_op_want() - ask for memory
 * @op: the operation
 * @need: what the step about to run needs
 *
 * Records @need as bwt_op_plan() does, and allocates what @op lacks at
 * once with GFP_NOWAIT.  If that fails, the step returns BWT_RESTART and
 * bwt_op_refill() allocates before the next attempt.
 *
 * Context: any context where GFP_NOWAIT allocations may be made.
 * Return: true if the step can run now.
 */
bool bwt_op_want(struct bwt_op *op, const struct bwt_need *need)
{
	return bwt_op_plan(op, need) ||
	       !bwt_op_fill(op, GFP_NOWAIT | __GFP_NOWARN);
}

/**
 * bwt_op_refill() - allocate what the last attempt found missing
 * @op: the operation
 *
 * Context: process context, outside RCU read sections.
 * Return: 0 or -ENOMEM.
 */
int bwt_op_refill(struct bwt_op *op)
{
	might_sleep();
	return bwt_op_fill(op, GFP_KERNEL);
}

/**
 * bwt_op_finish() - free what an operation allocated and did not publish
 * @op: the operation
 */
void bwt_op_finish(struct bwt_op *op)
{
	struct bwtree *tree = op->tree;
	unsigned int i;

	while (op->ndelta)
		bwt_rec_free_now(tree, op->delta[--op->ndelta]);
	for (i = 0; i < BWT_NR_BASES; i++)
		if (op->base[i])
			bwt_rec_free_now(tree, op->base[i]);
	for (i = 0; i < BWT_NR_PIDS; i++)
		if (op->pid[i] != BWT_NIL)
			bwt_pid_free(tree, op->pid[i]);
	bwt_scratch_free(&op->scratch, &op->gather);
	if (op->restarts)
		bwt_stat_add(tree, retries, op->restarts);
}

/**
 * bwt_op_delta() - take a preallocated delta record
 * @op: the operation
 *
 * Return: a zeroed record, or NULL if none is left.
 */
struct bwt_rec *bwt_op_delta(struct bwt_op *op)
{
	struct bwt_rec *d;

	if (!op->ndelta)
		return NULL;
	d = op->delta[--op->ndelta];
	memset(d, 0, sizeof(*d));
	d->kind = BWTREE_INSERT;
	return d;
}

/* Give back a delta whose compare-and-swap failed: nobody saw it. */
void bwt_op_undelta(struct bwt_op *op, struct bwt_rec *d)
{
	op->delta[op->ndelta++] = d;
}

/**
 * bwt_op_backoff() - wait a little before the next attempt
 * @op: the operation
 *
 * Context: outside RCU read sections; may sleep.
 */
void bwt_op_backoff(struct bwt_op *op)
{
	unsigned int i, spins;

	op->restarts++;
	spins = min_t(unsigned int, op->restarts * 8, BWT_BACKOFF_MAX);
	for (i = 0; i < spins; i++)
		cpu_relax();
	cond_resched();
}
