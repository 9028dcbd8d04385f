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
#include "search.h"

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
			    (pos->via_right ? !!top->rm.collapse :
			     !bwt_frozen_still_routed(tree, pos->ppid, pid,
						      top->level, key)))
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
 * merge already committed, it came from the parent, and the parent no
 * longer routes the key there (bwt_frozen_still_routed()): the contents
 * may have moved left, and it restarts.  A writer helps the merge along
 * and restarts.
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

/**
 * bwt_frozen_still_routed() - may a reader use a committed merge's frozen node
 * @tree: the tree
 * @ppid: the parent the reader came down from
 * @pid: the frozen node, whose merge (or collapse) has committed
 * @level: its level
 * @key: the key the reader routed by
 *
 * A frozen node's contents are the truth for its range until its merge's
 * MERGE delta (or a collapse's copy) is installed, and that happens only
 * after a helper saw the parent without the node's entry.  So a reader that
 * reads the parent's slot again and finds it still routing @key to @pid
 * knows that, at that read, the INDEX_DEL was not posted, so nothing had
 * moved: the frozen contents are what a lookup of @key must answer from
 * (the read is its linearization point).  Without this a reader could only
 * restart, forever if the merge's helpers gave up (bwt_merge_up() may) and
 * no writer came by.  No pid here can be reused while the reader's RCU
 * section lasts: it read both records in it.  A parent that is itself
 * frozen is read through its REMOVE delta unless its own merge committed:
 * while that merge is undecided nothing is posted on it or for it.
 *
 * Context: RCU read-side critical section, the reader's.
 * Return: true if the frozen contents may be read.
 */
bool bwt_frozen_still_routed(struct bwtree *tree, u64 ppid, u64 pid,
			     unsigned int level, s64 key)
{
	const struct bwt_rec *p;

	if (ppid == BWT_NIL)
		return false;
	p = bwt_read(tree, ppid);
	if (!p)
		return false;
	if (p->kind == BWTREE_REMOVE) {
		if (atomic_read(&p->rm.state) == BWT_RM_COMMITTED)
			return false;
		p = p->next;
	}
	/* The root may have collapsed to a copy of a lower node meanwhile. */
	if (p->level != level + 1 || key < p->low || !bwt_below_high(p, key))
		return false;
	return bwt_route_child(p, key) == pid;
}

/*
 * The reader's descent, for lookups: bwt_descend() without the bookkeeping
 * a writer needs.  Same rules for frozen nodes, and the same check that the
 * node reached holds the key (low <= key < high), taken one node at a time
 * by bwt_descend_at(): a stale route restarts instead of reading the wrong
 * leaf.  After BWT_READ_RESTARTS restarts it gives up, so that the caller
 * leaves the read section: a reader never holds up a grace period for more
 * than a bounded number of descents.
 * Context: RCU read section.  Return: the leaf (its pid in *@leaf_pid), or
 * NULL to leave it.
 */
const struct bwt_rec *bwt_descend_reader(struct bwtree *tree, s64 key,
					 u64 *leaf_pid)
{
	unsigned int restarts = 0;
	const struct bwt_rec *top;
	u64 pid, ppid;
	bool via_right;

restart:
	if (unlikely(restarts++ == BWT_READ_RESTARTS))
		return NULL;
	pid = BWT_ROOT;
	ppid = BWT_NIL;
	top = bwt_read(tree, pid);
	via_right = false;
	for (;;) {
		/*
		 * Most nodes are a bare base node that holds the key: route
		 * by it at once (bwt_descend_at() would say BWT_STEP_HERE).
		 */
		if (likely(top && bwt_is_base(top) && bwt_holds(top, key))) {
			if (!top->level) {
				*leaf_pid = pid;
				return top;
			}
			ppid = pid;
			pid = bwt_vals(top)[bwt_base_entry(top, key)];
			via_right = false;
			top = bwt_read(tree, pid);
			continue;
		}
		switch (bwt_descend_at(&top, key, via_right, &pid)) {
		case BWT_STEP_RESTART:
			goto restart;
		case BWT_STEP_FROZEN:
			if (!bwt_frozen_still_routed(tree, ppid, pid,
						     top->level, key))
				goto restart;
			top = top->next;	/* the frozen contents */
			continue;
		case BWT_STEP_RIGHT:
			via_right = true;
			break;
		case BWT_STEP_HERE:
			if (!top->level) {
				*leaf_pid = pid;
				return top;
			}
			ppid = pid;
			pid = bwt_route_child(top, key);
			via_right = false;
			break;
		}
		top = bwt_read(tree, pid);
	}
}
