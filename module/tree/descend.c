// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree descent from the root: a writer's, which helps structure
 * modifications along the way, and a reader's, which only reads.
 *
 * Prefix: bwt_descend, for the descents; @pos is where one ended.
 */
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/bug.h>
#include "internal.h"

/*
 * Walked right from @pos->top after coming down from the parent: the parent
 * lacks an entry for the right sibling, so a writer posts it (phase two of
 * a split).  Return: BWT_RESTART if the writer must first get scratch
 * memory, else BWT_DONE.
 */
static enum bwt_res bwt_help_index(struct bwt_op *op, struct bwt_pos *pos)
{
	struct bwt_need need = {};

	if (!op->writer || pos->ppid == BWT_NIL || pos->via_right)
		return BWT_DONE;
	need.scratch = pos->ptop->count + 1;
	if (!bwt_op_want(op, &need))
		return BWT_RESTART;
	bwt_post_index(op, pos);
	return BWT_DONE;
}

/*
 * A writer's own structure modifications a descent goes on after, before it
 * restarts anyway: each one is progress, but the read section stays short.
 */
#define BWT_AGAIN_MAX	8

/* The descent loop of bwt_descend(), from the node @pid on. */
static enum bwt_res bwt_descend_from(struct bwt_op *op, s64 key,
				     unsigned int level, struct bwt_pos *pos,
				     u64 pid)
{
	struct bwtree *tree = op->tree;
	unsigned int again = 0;
	struct bwt_route rt;
	struct bwt_rec *top;
	enum bwt_res ret;

	top = bwt_read(tree, pid);
	for (;;) {
		if (unlikely(!top))
			return BWT_RESTART;	/* a stale pid: start again */
		if (top->kind == BWTREE_REMOVE) {
			if (op->writer) {
				bwt_help_remove(op, pid, top);
				return BWT_RESTART;
			}
			if (atomic_read(&top->rm.state) == BWT_RM_COMMITTED &&
			    (!pos->via_right || top->rm.collapse))
				return BWT_RESTART;
			top = top->next;
		}
		if (!bwt_below_high(top, key)) {
			if (WARN_ON_ONCE(top->right == BWT_NIL))
				return BWT_RESTART;
			pos->pid = pid;
			pos->top = top;
			ret = bwt_help_index(op, pos);
			if (ret)
				return ret;
			pid = top->right;
			top = bwt_read(tree, pid);
			pos->via_right = true;
			continue;
		}
		if (unlikely(key < top->low || top->level < level))
			return BWT_RESTART;
		pos->pid = pid;
		pos->top = top;
		if (top->level == level)
			return BWT_DONE;
		if (op->writer) {
			ret = bwt_maintain(op, pos, key);
			if (ret == BWT_AGAIN && again++ < BWT_AGAIN_MAX) {
				/* Our own SMO: as in bwt_descend_resume(). */
				pos->via_right = true;
				top = bwt_read(tree, pid);
				continue;
			}
			if (ret)
				return BWT_RESTART;
		}
		bwt_route(top, key, &rt);
		pos->ppid = pid;
		pos->ptop = top;
		pos->proute = rt;
		pos->via_right = false;
		pid = rt.child;
		top = bwt_read(tree, pid);
	}
}

/**
 * bwt_descend() - find the node at a level that holds a key
 * @op: the operation; a writer also helps finish structure modifications
 *	and keeps the inner nodes it passes short and small enough
 * @key: the key
 * @level: 0 for a leaf
 * @pos: where the descent ended: the node, and the parent entry used
 *
 * A reader that meets a frozen node reads its frozen contents unless the
 * merge already committed and it came from the parent, in which case the
 * contents may have moved left: it restarts.  A writer helps the merge
 * along and restarts.
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE; BWT_RESTART to restart from the root (after refilling
 * @op); BWT_NO_LEVEL if the tree has no such level.
 */
enum bwt_res bwt_descend(struct bwt_op *op, s64 key, unsigned int level,
			 struct bwt_pos *pos)
{
	pos->ppid = BWT_NIL;
	pos->ptop = NULL;
	pos->via_right = false;
	if (bwt_read(op->tree, BWT_ROOT)->level < level)
		return BWT_NO_LEVEL;
	return bwt_descend_from(op, key, level, pos, BWT_ROOT);
}

/**
 * bwt_descend_resume() - go on from where a descent ended
 * @op: the operation, a writer
 * @key: the key it descended for
 * @level: the level it descended to
 * @pos: where it ended, in this RCU section
 *
 * After @op changed the node at @pos itself (BWT_AGAIN: it consolidated
 * or split it), this reads the node again and walks on as bwt_descend()
 * would, to the right sibling if a split moved @key there, or further down
 * if the node was the root and split.  No parent entry is posted on the
 * way: the split posted its own, and the parent @pos holds may be stale.
 *
 * Context: RCU read-side critical section, the one of the descent.
 * Return: as bwt_descend().
 */
enum bwt_res bwt_descend_resume(struct bwt_op *op, s64 key, unsigned int level,
				struct bwt_pos *pos)
{
	pos->via_right = true;
	return bwt_descend_from(op, key, level, pos, pos->pid);
}

/*
 * The reader's descent, for lookups: bwt_descend() without the bookkeeping
 * a writer needs.  Same rules for frozen nodes, and the same check that the
 * node reached holds the key (low <= key < high), taken one node at a time
 * by bwt_descend_at(): a stale route restarts instead of reading the wrong
 * leaf.  After BWT_READ_RESTARTS restarts it gives up, so that the caller
 * leaves the read section: a reader never holds up a grace period for more
 * than a bounded number of descents.
 * Context: RCU read section.  Return: the leaf, or NULL to leave it.
 */
const struct bwt_rec *bwt_descend_reader(struct bwtree *tree, s64 key)
{
	unsigned int restarts = 0;
	const struct bwt_rec *top;
	bool via_right;
	u64 pid;

restart:
	if (unlikely(restarts++ == BWT_READ_RESTARTS))
		return NULL;
	top = bwt_read(tree, BWT_ROOT);
	via_right = false;
	for (;;) {
		switch (bwt_descend_at(&top, key, via_right, &pid)) {
		case BWT_STEP_RESTART:
			goto restart;
		case BWT_STEP_RIGHT:
			via_right = true;
			break;
		case BWT_STEP_HERE:
			if (!top->level)
				return top;
			pid = bwt_route_child(top, key);
			via_right = false;
			break;
		}
		top = bwt_read(tree, pid);
	}
}
