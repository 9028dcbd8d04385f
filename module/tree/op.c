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
 * nothing is allocated and nothing sleeps.  An attempt that lost a race, or
 * finished a structure modification (its own or another thread's), or ran
 * short of memory returns -EAGAIN and the loop starts again from the root:
 * no record pointer survives rcu_read_unlock().
 *
 * If an allocation fails the operation returns -ENOMEM.  Nothing it did is
 * visible: its own change is published last, in a single compare-and-swap,
 * and the structure modifications it may have completed on the way
 * (consolidations, splits, merges) change no key or value.  Unused
 * preallocated memory is freed at once, for it was never published.
 *
 * Failed compare-and-swaps back off with cpu_relax() for a time that grows
 * with the number of retries, up to a bound, and the loop calls
 * cond_resched() between attempts.  Every failed compare-and-swap means
 * another one succeeded, so the tree as a whole always makes progress.
 */

#define BWT_BACKOFF_MAX	1024

void bwt_op_init(struct bwt_op *op, struct bwtree *tree, bool writer)
{
	memset(op, 0, sizeof(*op));
	op->tree = tree;
	op->writer = writer;
	op->pid[0] = BWT_NIL;
	op->pid[1] = BWT_NIL;
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
	struct bwtree *tree = op->tree;
	unsigned int i;

	might_sleep();
	while (op->ndelta < op->need_delta) {
		struct bwt_rec *d = bwt_delta_alloc(tree);

		if (!d)
			return -ENOMEM;
		op->delta[op->ndelta++] = d;
	}
	for (i = 0; i < ARRAY_SIZE(op->base); i++) {
		if (!op->need_cap[i])
			continue;
		if (op->base[i] && op->base[i]->cap >= op->need_cap[i])
			continue;
		if (op->base[i])
			bwt_rec_free_now(tree, op->base[i]);
		op->base[i] = bwt_base_alloc(tree, op->need_cap[i]);
		if (!op->base[i])
			return -ENOMEM;
	}
	for (i = 0; i < op->need_pid; i++) {
		if (op->pid[i] != BWT_NIL)
			continue;
		if (bwt_pid_alloc(tree, &op->pid[i]))
			return -ENOMEM;
	}
	if (op->need_scratch > op->scratch.cap) {
		kvfree(op->scratch.keys);
		op->scratch.cap = 0;
		op->scratch.keys = kvmalloc_array(op->need_scratch,
						  2 * sizeof(s64), GFP_KERNEL);
		if (!op->scratch.keys)
			return -ENOMEM;
		op->scratch.vals = (u64 *)&op->scratch.keys[op->need_scratch];
		op->scratch.cap = op->need_scratch;
	}
	if (op->need_gather && !op->gather) {
		op->gather = kmalloc(sizeof(*op->gather), GFP_KERNEL);
		if (!op->gather)
			return -ENOMEM;
	}
	return 0;
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
	for (i = 0; i < ARRAY_SIZE(op->base); i++)
		if (op->base[i])
			bwt_rec_free_now(tree, op->base[i]);
	for (i = 0; i < ARRAY_SIZE(op->pid); i++)
		if (op->pid[i] != BWT_NIL)
			bwt_pid_free(tree, op->pid[i]);
	kvfree(op->scratch.keys);
	kfree(op->gather);
	if (op->restarts)
		atomic64_add(op->restarts, &tree->stats.retries);
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
