// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree in-place updates: a new value for a key that a leaf's base node
 * holds, stored into the base node itself, and the freeze that keeps such
 * stores from being lost when the base node is copied.
 *
 * Prefix: bwt_update_ for the writer's side, bwt_*_freeze for the copier's.
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include "internal.h"

/**
 * DOC: In-place updates
 *
 * An upsert of a key that is present, and whose value the leaf's base node
 * decides (no delta for the key above it in the chain), does not add a
 * delta: it stores the new value into the base node's value array, as the
 * maple tree stores into a slot.  It allocates nothing, adds nothing to the
 * chain, and so causes no consolidation.  Every other write (an insert of
 * an absent key, a delete, an update of a key a delta decides) adds a
 * delta as before.
 *
 * The danger is a copy.  Consolidations, splits, a root's collapse and the
 * unfreeze copy of a merge (@rm.thaw) build new base nodes from the values
 * of old ones; a store that lands in the old base node after the copy read
 * it would be lost, and readers that had seen it in the old node would see
 * the older value again in the new one.  So every base node carries a small
 * protocol word, @upd.state, and a copier first *freezes* each base node it
 * will copy (bwt_chain_freeze()); a frozen base node takes no more in-place
 * stores, and writers add deltas instead.  The word holds the slot of the
 * one store in flight, if any, and its phase:
 *
 * - FREE: a writer claims it (FREE -> CLAIMED with its slot), publishes
 *   the value in @upd.val, then announces it (CLAIMED -> READY), stores it
 *   into the slot, and hands the word back (READY -> FREE).  Each step is a
 *   fully ordered cmpxchg.
 * - A copier sets FROZEN by cmpxchg, whatever the phase.  If it finds a
 *   READY store, it stores @upd.val into the slot itself before copying,
 *   so the copy holds the value whether or not the writer's own store has
 *   landed yet.  If it finds CLAIMED, the writer's announce fails, the
 *   writer has stored nothing, and it adds a delta instead.
 *
 * Why no update is lost: a store is made only after READY was set.  If the
 * word is frozen while READY, the copier stores the value itself before its
 * copy.  If the writer handed the word back first, its store precedes the
 * hand-back, which precedes the freeze in the word's order, and the freeze
 * (fully ordered) precedes the copy: the copy sees the store.  A freeze is
 * final: a frozen base node is replaced, never thawed.
 *
 * Why a reader never sees a torn or stale value once the writer returned:
 * values are single u64 stores and loads (WRITE_ONCE()/READ_ONCE()).  A
 * writer returns after its store, or after a copier took over its value;
 * a reader that starts later reads either the old base node, which holds
 * the value, or a copy made after the freeze, which holds it too.  While
 * the update is in flight a reader may see either value, as for a delta
 * whose compare-and-swap is in flight.  Two in-place updates of one node
 * do not wait for each other: the second finds the word taken and adds a
 * delta.
 *
 * No ABA on the word: only the writer holding a claim moves it on from
 * CLAIMED or READY, and FROZEN never goes away, so a writer that finds its
 * own claim (same phase, same slot) finds the claim it made.
 *
 * Snapshots (the next wave) need the old value to stay reachable while a
 * snapshot is open: a writer will take the in-place path only while no
 * snapshot is open on the tree, and add deltas otherwise, so that every
 * value a snapshot may read stays in the chain until consolidation, which
 * then keeps what open snapshots still see.
 */

#define BWT_UPD_FREE	0
#define BWT_UPD_CLAIMED	1
#define BWT_UPD_READY	2
#define BWT_UPD_FROZEN	4
#define BWT_UPD_SHIFT	8		/* the slot, above the phase bits */

/*
 * Freeze one base node: in-place stores into it stop, and the one in
 * flight, if it was announced, is applied here so that a copy made after
 * this holds it.
 */
static void bwt_base_freeze(struct bwt_rec *b)
{
	/* Pairs with the fully ordered cmpxchg that set READY or FROZEN. */
	int old = atomic_read_acquire(&b->upd.state);

	/*
	 * Fully ordered: what the copier reads next comes after the freeze.
	 * No ABA: FROZEN is set once and stays, and a value seen again is the
	 * same claim (see the DOC).
	 */
	while (!(old & BWT_UPD_FROZEN) &&
	       !atomic_try_cmpxchg(&b->upd.state, &old, old | BWT_UPD_FROZEN))
		;
	if (old & BWT_UPD_READY)
		WRITE_ONCE(bwt_vals(b)[old >> BWT_UPD_SHIFT],
			   READ_ONCE(b->upd.val));
}

/**
 * bwt_chain_freeze() - stop in-place updates of a leaf chain's base nodes
 * @top: the chain's newest record
 *
 * Called by every step that copies a leaf's values into a new base node,
 * before it reads them.  Inner nodes take no in-place updates.
 *
 * Context: RCU read-side critical section.
 */
void bwt_chain_freeze(const struct bwt_rec *top)
{
	struct bwt_chain it;

	if (top->level)
		return;
	bwt_chain_start(&it, top, top->low, top->high, top->hinf);
	while (bwt_chain_next(&it))
		if (bwt_is_base(it.at.rec))
			bwt_base_freeze((struct bwt_rec *)it.at.rec);
}

/**
 * bwt_upsert_in_place() - the upsert of a present key, without an operation
 * @tree: the tree
 * @key: the key
 * @val: its new value
 *
 * A reader's descent, then bwt_update_in_place() if the leaf's base node
 * decides @key.  Nothing here needs a writer's help-along: a store into a
 * base node is safe wherever the node is in a structure modification,
 * since every copy freezes first (see the DOC).
 *
 * Context: any context where rcu_read_lock() may be taken.
 * Return: true if the update is done; false if the caller must write as
 * usual (the key is absent, a delta decides it, or its base node is busy).
 */
bool bwt_upsert_in_place(struct bwtree *tree, s64 key, u64 val)
{
	const struct bwt_rec *leaf;
	struct bwt_found at;
	bool done = false;
	u64 old, pid;

	rcu_read_lock();
	leaf = bwt_descend_reader(tree, key, &pid);
	if (leaf && bwt_leaf_find_at(leaf, key, &old, &at) && at.base)
		done = bwt_update_in_place(at.base, at.slot, val);
	rcu_read_unlock();
	return done;
}

/**
 * bwt_update_in_place() - store a new value into a leaf's base node
 * @b: the base node that decides the key (bwt_leaf_find_at())
 * @slot: the key's slot in @b
 * @val: the new value
 *
 * Context: RCU read-side critical section.
 * Return: true if the update is done; false if @b is frozen or another
 * in-place update of it is in flight, and the caller must add a delta.
 */
bool bwt_update_in_place(const struct bwt_rec *b, unsigned int slot, u64 val)
{
	struct bwt_rec *w = (struct bwt_rec *)b;
	int claim = slot << BWT_UPD_SHIFT | BWT_UPD_CLAIMED;
	int ready = slot << BWT_UPD_SHIFT | BWT_UPD_READY;

	/*
	 * Each step is a fully ordered cmpxchg: @upd.val is written before
	 * READY, the slot after it and before FREE.  No ABA: see the DOC.
	 */
	if (atomic_cmpxchg(&w->upd.state, BWT_UPD_FREE, claim) != BWT_UPD_FREE)
		return false;
	WRITE_ONCE(w->upd.val, val);
	bwt_pause_point(update_claimed);
	if (atomic_cmpxchg(&w->upd.state, claim, ready) != claim)
		return false;		/* frozen before the announce */
	bwt_pause_point(update_ready);
	WRITE_ONCE(bwt_vals(w)[slot], val);
	/* Frozen meanwhile: the copier stored @val too, which is as good. */
	atomic_cmpxchg(&w->upd.state, ready, BWT_UPD_FREE);
	return true;
}
