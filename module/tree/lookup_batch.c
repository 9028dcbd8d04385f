// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree batched lookups: many descents advanced a node at a time, each
 * prefetching what it needs next, so that their cache misses overlap.
 *
 * Prefix: bwt_batch_, for the batch and for one lookup's state in it
 * (struct bwt_batch_key, @s).
 */
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/prefetch.h>
#include <linux/rcupdate.h>
#include "internal.h"

/**
 * DOC: Batched lookups
 *
 * A lookup is a chain of dependent cache misses: at each level the node's
 * mapping slot, its newest record, the records of its delta chain, the key
 * lines its search probes, and the CPU waits for each before it knows the
 * next address.  bwtree_lookup_batch() overlaps the misses of many lookups
 * the way AMAC does (Kocberber et al., "Asynchronous Memory Access
 * Chaining", VLDB 2015): BWT_BATCH_GROUP lookups are in flight, each an
 * explicit state (&struct bwt_batch_key), and every round moves each of
 * them one stage on and prefetches what that lookup reads in its next
 * stage, so that by the time the round comes back to it the line is there,
 * while the other lookups' lines were on their way too.  A state whose
 * lookup is done takes the next key at once.
 *
 * ===========  ==============================  ===========================
 * stage        reads                           then prefetches
 * ===========  ==============================  ===========================
 * SLOT         the node's mapping slot         the record's header
 * NODE         the header: bwt_descend_at()    right: the sibling's slot;
 *                                              else as CHAIN
 * CHAIN        a record of the chain: one      a base node's key lines, or
 *              bwt_chain_step() towards the    the next record
 *              key
 * SEARCH       bwt_leaf_find(): done;          the child's slot
 *              bwt_route_child(): SLOT
 * ===========  ==============================  ===========================
 *
 * Every lookup reads the root, so it is in cache: a lookup starts at its
 * search when the root is a base node that holds the key, at NODE if not.
 *
 * The rules are a single lookup's, by the same code: bwt_descend_at() at
 * every node, bwt_leaf_find() and bwt_route_child() for the search, which
 * walk the chain again from its newest record (CHAIN only fetches it).  A
 * lookup that would restart (a stale route, a merge committed under a node
 * reached from its parent, a malformed chain already warned about) leaves
 * the batch and is done by bwtree_lookup() once the read section is over,
 * which bounds its own restarts: the batch itself never restarts.
 *
 * States hold records, so they cannot outlive the RCU read section they
 * were filled in: a section takes at most BWT_BATCH_SECTION keys, and the
 * group drains before it ends.
 */

static_assert(BWT_BATCH_SECTION <= 64);	/* a u64 of keys left over */

enum bwt_batch_stage {
	BWT_BATCH_SLOT,
	BWT_BATCH_NODE,
	BWT_BATCH_CHAIN,
	BWT_BATCH_SEARCH,
	BWT_BATCH_IDLE,
};

/**
 * struct bwt_batch_key - one lookup in flight
 * @slot: SLOT: the mapping slot of the node to read
 * @top: NODE and later: the node's newest record (the record under its
 *	REMOVE delta from CHAIN on)
 * @at: CHAIN: the record of @top's chain reached towards @key
 * @key: the key
 * @idx: its index in the section's arrays
 * @stage: &enum bwt_batch_stage
 * @via_right: the node was reached through a right-sibling link
 */
struct bwt_batch_key {
	union {
		struct bwt_rec __rcu **slot;
		const struct bwt_rec *top;
	};
	const struct bwt_rec *at;
	s64 key;
	unsigned int idx;
	u8 stage;
	bool via_right;
};

/* Go on at page @pid: its mapping slot is the next line @s reads. */
static void bwt_batch_goto(struct bwtree *tree, struct bwt_batch_key *s,
			   u64 pid, bool via_right)
{
	s->slot = bwt_map_slot(&tree->map, pid);
	prefetch(s->slot);
	s->via_right = via_right;
	s->stage = BWT_BATCH_SLOT;
}

/*
 * One record of the chain to search, @s->at, is in cache: fetch the next
 * one towards the key, or, at the base node, the key lines the search
 * will probe.
 */
static void bwt_batch_ahead(struct bwt_batch_key *s)
{
	const struct bwt_rec *next;

	if (bwt_is_base(s->at)) {
		bwt_base_prefetch(s->at, s->key);
		s->stage = BWT_BATCH_SEARCH;
		return;
	}
	next = bwt_chain_step(s->at, s->key);
	if (unlikely(!next)) {
		/* Malformed: the search says so, as a single lookup's would. */
		s->stage = BWT_BATCH_SEARCH;
		return;
	}
	prefetch(next);		/* what any walk reads of it: its first line */
	s->at = next;
	s->stage = BWT_BATCH_CHAIN;
}

/*
 * Move @s one stage on.  Return: false while its lookup goes on; true when
 * it is over, with @found[@s->idx] (and the value) set, or with
 * @s->idx's bit set in @single for bwtree_lookup() to do it instead.
 */
static bool bwt_batch_step(struct bwtree *tree, struct bwt_batch_key *s,
			   u64 *values, bool *found, u64 *single)
{
	const struct bwt_rec *top;
	u64 pid;

	switch (s->stage) {
	case BWT_BATCH_SLOT:
		top = rcu_dereference(*s->slot);
		if (likely(top))
			bwt_rec_prefetch(top);
		s->top = top;
		s->stage = BWT_BATCH_NODE;
		return false;
	case BWT_BATCH_NODE:
		top = s->top;
		switch (bwt_descend_at(&top, s->key, s->via_right, &pid)) {
		case BWT_STEP_HERE:
			s->top = top;
			s->at = top;
			bwt_batch_ahead(s);
			return false;
		case BWT_STEP_RIGHT:
			bwt_batch_goto(tree, s, pid, true);
			return false;
		case BWT_STEP_RESTART:
		case BWT_STEP_FROZEN:	/* the parent's check: a single lookup's */
			break;
		}
		break;
	case BWT_BATCH_CHAIN:
		bwt_batch_ahead(s);
		return false;
	case BWT_BATCH_SEARCH:
		if (!s->top->level) {
			found[s->idx] = bwt_leaf_find(s->top, s->key,
						      &values[s->idx]);
			return true;
		}
		pid = bwt_route_child(s->top, s->key);
		if (likely(pid != BWT_NIL)) {
			bwt_batch_goto(tree, s, pid, false);
			return false;
		}
		break;		/* a malformed inner node, warned about */
	default:
		return false;
	}
	*single |= BIT_ULL(s->idx);
	return true;
}

/* Start the lookup of @key, index @idx, at the root (see the DOC). */
static void bwt_batch_start(struct bwtree *tree, struct bwt_batch_key *s,
			    s64 key, unsigned int idx)
{
	const struct bwt_rec *root = bwt_read(tree, BWT_ROOT), *top = root;
	u64 pid;

	s->key = key;
	s->idx = idx;
	s->via_right = false;
	if (likely(bwt_descend_at(&top, key, false, &pid) == BWT_STEP_HERE &&
		   bwt_is_base(top))) {
		s->top = top;
		s->stage = BWT_BATCH_SEARCH;
	} else {
		s->top = root;	/* the general case, from the start */
		s->stage = BWT_BATCH_NODE;
	}
}

/*
 * The lookups of @keys[0..@n), @n at most BWT_BATCH_SECTION, inside one RCU
 * read section.  Return: the bits of the keys left to bwtree_lookup().
 */
static u64 bwt_batch_section(struct bwtree *tree, const s64 *keys,
			     unsigned int n, u64 *values, bool *found)
{
	struct bwt_batch_key group[BWT_BATCH_GROUP], *s;
	unsigned int next = 0, busy = 0;
	u64 single = 0;

	for (s = group; s < group + BWT_BATCH_GROUP; s++) {
		if (next < n) {
			bwt_batch_start(tree, s, keys[next], next);
			next++;
			busy++;
		} else {
			s->stage = BWT_BATCH_IDLE;
		}
	}
	while (busy) {
		for (s = group; s < group + BWT_BATCH_GROUP; s++) {
			if (!bwt_batch_step(tree, s, values, found, &single))
				continue;
			if (next < n) {
				bwt_batch_start(tree, s, keys[next], next);
				next++;
			} else {
				s->stage = BWT_BATCH_IDLE;
				busy--;
			}
		}
		bwt_pause_point(batch_round);
	}
	return single;
}

/**
 * bwtree_lookup_batch() - find the values of many keys
 * @tree: the tree
 * @keys: the keys, in any order, duplicates allowed
 * @n: how many; at most INT_MAX
 * @values: where to put each key's value: @values[i] for @keys[i], left
 *	alone when the key is absent
 * @found: set to whether each key is present: @found[i] for @keys[i]
 *
 * Each key's answer is what bwtree_lookup() would have returned at some
 * moment during the call.  The lookups run a group at a time with their
 * cache misses overlapped (see the DOC on batched lookups): that pays when
 * the tree does not fit in the caches; the bookkeeping costs about 40%
 * more instructions per key than a single lookup.  Never allocates and
 * never sleeps; takes no lock but the RCU read lock, for at most
 * BWT_BATCH_SECTION keys at a time.
 *
 * Context: any context where rcu_read_lock() may be taken.
 * Return: the number of keys found (0 for @n == 0), or -EINVAL if @n is
 * above INT_MAX.
 */
int bwtree_lookup_batch(struct bwtree *tree, const s64 *keys, unsigned int n,
			u64 *values, bool *found)
{
	unsigned int at, len, i, hits = 0;
	u64 single;

	if (n > INT_MAX)
		return -EINVAL;
	for (at = 0; at < n; at += len) {
		len = min_t(unsigned int, n - at, BWT_BATCH_SECTION);
		rcu_read_lock();
		single = bwt_batch_section(tree, keys + at, len, values + at,
					   found + at);
		rcu_read_unlock();
		for (; single; single &= single - 1) {
			i = at + __ffs64(single);
			found[i] = !bwtree_lookup(tree, keys[i], &values[i]);
		}
	}
	for (i = 0; i < n; i++)
		hits += found[i];
	return hits;
}
EXPORT_SYMBOL_GPL(bwtree_lookup_batch);
