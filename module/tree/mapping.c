// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree mapping table: page ID -> newest record, and page ID allocation.
 *
 * Prefixes: bwt_map_ the table, bwt_pid_ page IDs.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/bitops.h>
#include <linux/rcupdate.h>
#include "internal.h"

#define BWT_FREE_EMPTY	U32_MAX

static size_t bwt_map_seg_len(unsigned int s)
{
	return (size_t)1 << (s + BWT_MAP_SHIFT);
}

static u32 *bwt_map_next_free(struct bwt_map *map, u64 pid)
{
	u64 off;
	unsigned int s = bwt_map_seg_of(pid, &off);

	/* Pairs with the cmpxchg() that published the segment. */
	return &smp_load_acquire(&map->seg[s])->next_free[off];
}

/* Make sure the segment holding @pid exists, allocating with @gfp. */
static int bwt_map_grow(struct bwtree *tree, u64 pid, gfp_t gfp)
{
	struct bwt_map *map = &tree->map;
	struct bwt_map_seg *seg;
	size_t len, bytes;
	u64 off;
	unsigned int s = bwt_map_seg_of(pid, &off);

	/* Pairs with the cmpxchg() below, in another thread. */
	if (smp_load_acquire(&map->seg[s]))
		return 0;
	len = bwt_map_seg_len(s);
	bytes = sizeof(*seg) + len * (sizeof(seg->slot[0]) + sizeof(u32));
	seg = kvzalloc(bytes, gfp);
	if (!seg)
		return -ENOMEM;
	seg->next_free = (u32 *)&seg->slot[len];
	/*
	 * cmpxchg() is fully ordered: the zeroed segment is visible before
	 * the pointer.  The loser frees its copy, which nobody saw.
	 */
	if (cmpxchg(&map->seg[s], NULL, seg)) {
		kvfree(seg);
		return 0;
	}
	bwt_charge(tree, bytes);
	return 0;
}

int bwt_map_init(struct bwtree *tree)
{
	struct bwt_map *map = &tree->map;

	atomic64_set(&map->next_pid, 1);	/* pid 0 is the root */
	atomic64_set(&map->free_head, BWT_FREE_EMPTY);
	bwt_stat_inc(tree, pages);	/* the root's */
	return bwt_map_grow(tree, BWT_ROOT, GFP_KERNEL);
}

/**
 * bwt_map_destroy() - free every chain and the table
 * @tree: a tree no thread uses any more, after rcu_barrier()
 */
void bwt_map_destroy(struct bwtree *tree)
{
	struct bwt_map *map = &tree->map;
	u64 pid, end = atomic64_read(&map->next_pid);
	unsigned int s;

	for (pid = 0; pid < end; pid++) {
		struct bwt_rec *rec;
		u64 off;

		s = bwt_map_seg_of(pid, &off);
		if (s >= BWT_MAP_SEGS || !map->seg[s])
			continue;
		rec = rcu_dereference_protected(*bwt_map_slot(map, pid), 1);
		if (!rec)
			continue;
		if (rec->kind == BWTREE_REMOVE) {
			/* A merge never finished: the node still owns it all. */
			if (rec->rm.collapse)
				bwt_chain_free_now(tree, rec->rm.collapse);
			else if (rec->rm.thaw)
				bwt_rec_free_now(tree, rec->rm.thaw);
		}
		bwt_chain_free_now(tree, rec);
	}
	for (s = 0; s < BWT_MAP_SEGS; s++) {
		struct bwt_map_seg *seg = map->seg[s];

		if (!seg)
			continue;
		bwt_charge(tree, -(long)(sizeof(*seg) + bwt_map_seg_len(s) *
				 (sizeof(seg->slot[0]) + sizeof(u32))));
		kvfree(seg);
		map->seg[s] = NULL;
	}
}

/**
 * bwt_pid_alloc() - reserve a page ID
 * @tree: the tree
 * @pid: where to put it
 * @gfp: how to allocate a segment of the table, should one be needed
 *
 * Reuses a page ID freed after a grace period if there is one.  The slot
 * of the returned pid is NULL.
 *
 * Context: process context; in an RCU read section only with a @gfp that
 * does not sleep.
 * Return: 0, or -ENOMEM (-ENOSPC when every page ID is taken).
 */
int bwt_pid_alloc(struct bwtree *tree, u64 *pid, gfp_t gfp)
{
	struct bwt_map *map = &tree->map;
	s64 head = atomic64_read(&map->free_head);
	u64 p;
	int ret;

	for (;;) {
		u32 top = (u32)head;
		u64 next;

		if (top == BWT_FREE_EMPTY)
			break;
		next = READ_ONCE(*bwt_map_next_free(map, top));
		next |= (((u64)head >> 32) + 1) << 32;
		/*
		 * Fully ordered; the tag in the upper half changes on every
		 * pop and push, so a head that was popped and pushed back in
		 * between does not compare equal (ABA).
		 */
		if (atomic64_try_cmpxchg(&map->free_head, &head, next)) {
			*pid = top;
			bwt_stat_inc(tree, pages);
			return 0;
		}
	}
	p = atomic64_inc_return(&map->next_pid) - 1;
	if (p >= BWT_MAX_PID) {
		atomic64_dec(&map->next_pid);
		return -ENOSPC;
	}
	ret = bwt_map_grow(tree, p, gfp);
	if (ret) {
		/*
		 * Hand the pid back if nobody took a later one; otherwise it
		 * stays unused (its slot is NULL, or its segment missing).
		 * ABA is harmless: next_pid only comes back to p + 1 when p + 1
		 * was itself handed back unused.
		 */
		atomic64_cmpxchg(&map->next_pid, p + 1, p);
		return ret;
	}
	*pid = p;
	bwt_stat_inc(tree, pages);
	return 0;
}

/**
 * bwt_pid_free() - give back a page ID that no thread can reach
 * @tree: the tree
 * @pid: a pid whose slot is NULL, unpublished or past a grace period
 *
 * Context: any (called from RCU callbacks too).
 */
void bwt_pid_free(struct bwtree *tree, u64 pid)
{
	struct bwt_map *map = &tree->map;
	s64 head = atomic64_read(&map->free_head);
	s64 new;

	bwt_stat_dec(tree, pages);
	do {
		WRITE_ONCE(*bwt_map_next_free(map, pid), (u32)head);
		new = pid | ((((u64)head >> 32) + 1) << 32);
		/* Fully ordered: the link is written before the push. */
	} while (!atomic64_try_cmpxchg(&map->free_head, &head, new));
}

static void bwt_pid_rcu(struct rcu_head *head)
{
	struct bwt_rec *rd = container_of(head, struct bwt_rec, rcu);
	struct bwtree *tree = rd->rm.tree;
	u64 pid = rd->rm.pid;

	RCU_INIT_POINTER(*bwt_map_slot(&tree->map, pid), NULL);
	bwt_pid_free(tree, pid);
	bwt_rec_release(rd);
}

/**
 * bwt_pid_retire() - free a merged-away node's page ID after a grace period
 * @tree: the tree
 * @pid: the node, now unreachable from its parent and its left sibling
 * @rd: the REMOVE delta in its slot, freed with it (the chain below is
 *	owned by the left sibling's MERGE delta)
 */
void bwt_pid_retire(struct bwtree *tree, u64 pid, struct bwt_rec *rd)
{
	/* The merge committed: its unfreeze copy was never published. */
	if (!rd->rm.collapse && rd->rm.thaw)
		bwt_rec_free_now(tree, rd->rm.thaw);
	rd->rm.tree = tree;
	rd->rm.pid = pid;
	WRITE_ONCE(rd->dead, 1);
	bwt_stat_dec(tree, records[rd->kind]);
	bwt_rec_uncharge(tree, rd);
	call_rcu(&rd->rcu, bwt_pid_rcu);
}
