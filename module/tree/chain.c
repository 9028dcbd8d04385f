// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree delta chains: searching one, routing through an inner node, and
 * folding a chain into sorted arrays.
 *
 * Every function here only reads records, inside the caller's RCU read
 * section, and never allocates.
 */
#include <linux/kernel.h>
#include <linux/bug.h>
#include <linux/string.h>
#include <linux/prefetch.h>
#include "internal.h"
#include "search.h"

/**
 * bwt_base_floor() - where a key falls in a base node
 * @b: the base node
 * @key: the key
 *
 * The summary in the node's first line picks the group, a line of keys, in
 * four branch-free steps; the group's values are prefetched at once, then
 * its keys are searched, in three more steps when the group is one line.
 * See the DOC on the base node layout, also for the rare case where the
 * summary cannot tell and the keys before the group decide.
 *
 * Return: the index of the last key <= @key, or -1.
 */
int bwt_base_floor(const struct bwt_rec *b, s64 key)
{
	return __bwt_base_floor(b, key);
}

/**
 * bwt_base_ceil() - where the keys from a key on start in a base node
 * @b: the base node
 * @key: the key
 *
 * Return: the index of the first key >= @key, or @b->count if none is.
 */
unsigned int bwt_base_ceil(const struct bwt_rec *b, s64 key)
{
	int i;

	if (!b->count || key <= b->keys[0])
		return 0;
	if (key > b->keys[b->count - 1])
		return b->count;
	i = bwt_base_floor(b, key);
	return b->keys[i] < key ? i + 1 : i;
}

/**
 * bwt_chain_start() - begin a walk over every record of a chain
 * @it: the walk
 * @top: the chain's newest record
 * @lo: lowest key the chain decides
 * @hi: first key it no longer decides, unless @hinf
 * @hinf: it decides every key from @lo up
 *
 * See the DOC on walking a chain.
 */
void bwt_chain_start(struct bwt_chain *it, const struct bwt_rec *top, s64 lo,
		     s64 hi, bool hinf)
{
	it->at.rec = NULL;
	it->next = (struct bwt_span){ top, lo, hi, hinf };
	it->nfork = 0;
	it->bad = false;
}

/* The range of @sp ends at @key at the latest. */
static void bwt_span_cut(struct bwt_span *sp, s64 key)
{
	if (sp->hinf || key < sp->hi) {
		sp->hi = key;
		sp->hinf = false;
	}
}

/* A MERGE: go on into the branch with fewer records, stack the other. */
static void bwt_chain_fork(struct bwt_chain *it, struct bwt_span rest)
{
	if (WARN_ON_ONCE(!it->next.rec || !rest.rec)) {
		it->bad = true;
		return;
	}
	if (rest.rec->depth < it->next.rec->depth)
		swap(rest, it->next);
	if (WARN_ON_ONCE(it->nfork == BWT_CHAIN_FORKS)) {
		it->bad = true;
		return;
	}
	it->fork[it->nfork++] = rest;
}

/**
 * bwt_chain_next() - the next record of a walk
 * @it: the walk, begun by bwt_chain_start()
 *
 * Puts the record, with the key range it decides, in @it->at.  The walk
 * is already past it, so the caller may free it.
 *
 * Return: false when every record has been visited (or, with @it->bad
 * set, when the chain is malformed: a delta without a next record, or
 * forks nested deeper than BWT_CHAIN_FORKS).
 */
bool bwt_chain_next(struct bwt_chain *it)
{
	const struct bwt_rec *rec;
	struct bwt_span rest;

	if (!it->next.rec) {
		if (!it->nfork || it->bad) {
			it->at.rec = NULL;
			return false;
		}
		it->next = it->fork[--it->nfork];
	}
	it->at = it->next;
	rec = it->at.rec;
	switch (rec->kind) {
	case BWTREE_LEAF:
	case BWTREE_INNER:
		it->next.rec = NULL;
		return true;
	case BWTREE_SPLIT:
		bwt_span_cut(&it->next, rec->high);
		break;
	case BWTREE_MERGE:
		rest = it->at;
		rest.rec = rec->merge.removed;
		rest.lo = max(rest.lo, rec->merge.sep);
		bwt_span_cut(&it->next, rec->merge.sep);
		it->next.rec = rec->next;
		bwt_chain_fork(it, rest);
		return true;
	default:
		break;
	}
	it->next.rec = rec->next;
	if (WARN_ON_ONCE(!rec->next))
		it->bad = true;	/* every chain ends in a base node */
	return true;
}

/*
 * The one search of a leaf's chain behind bwt_leaf_find() and
 * bwt_leaf_find_at(), inlined into both.
 */
static __always_inline bool __bwt_leaf_find(const struct bwt_rec *rec, s64 key,
					    u64 *val, struct bwt_found *at)
{
	at->base = NULL;
	if (rec->depth > 1)
		prefetch(bwt_chain_base(rec));
	for (; rec; rec = bwt_chain_step(rec, key)) {
		switch (rec->kind) {
		case BWTREE_INSERT:
			if (rec->kv.key == key) {
				*val = rec->kv.val;
				return true;
			}
			break;
		case BWTREE_DELETE:
			if (rec->kv.key == key)
				return false;
			break;
		case BWTREE_LEAF:
			return bwt_base_leaf_find(rec, key, val, at);
		case BWTREE_MERGE:
		case BWTREE_SPLIT:
		case BWTREE_REMOVE:
			break;
		default:
			WARN_ON_ONCE(1);
			return false;
		}
	}
	WARN_ON_ONCE(1);	/* every chain ends in a base node */
	return false;
}

/**
 * bwt_leaf_find() - look a key up in a leaf's chain
 * @rec: the leaf's newest record (or the record under its REMOVE delta);
 *	the leaf holds @key
 * @key: the key
 * @val: where to put its value
 *
 * The newest INSERT or DELETE delta for @key decides; without one, the
 * base node does.  The base node's first line is prefetched at once when
 * the newest record names it, so that it arrives while the walk goes
 * through the deltas.
 *
 * Context: RCU read-side critical section.
 * Return: true if @key is present.
 */
bool bwt_leaf_find(const struct bwt_rec *rec, s64 key, u64 *val)
{
	struct bwt_found at;

	return __bwt_leaf_find(rec, key, val, &at);
}

/**
 * bwt_leaf_find_at() - bwt_leaf_find(), and where the answer came from
 * @rec: as for bwt_leaf_find()
 * @key: the key
 * @val: where to put its value
 * @at: set to the base node and slot that decided @key, or ->base NULL
 *	when a delta did (or @key is absent)
 *
 * Context: RCU read-side critical section.
 * Return: true if @key is present.
 */
bool bwt_leaf_find_at(const struct bwt_rec *rec, s64 key, u64 *val,
		      struct bwt_found *at)
{
	return __bwt_leaf_find(rec, key, val, at);
}

/*
 * The one routing walk behind bwt_route() and bwt_route_child(), inlined
 * into both: where the caller drops the entry's range, the compiler drops
 * the stores that make it.
 */
static __always_inline void __bwt_route(const struct bwt_rec *rec, s64 key,
					struct bwt_route *rt)
{
	int i;

	for (; rec; rec = bwt_chain_step(rec, key)) {
		switch (rec->kind) {
		case BWTREE_INDEX:
		case BWTREE_INDEX_DEL:
			if (key >= rec->idx.lo &&
			    (rec->idx_hinf || key < rec->idx.hi)) {
				rt->lo = rec->idx.lo;
				rt->hi = rec->idx.hi;
				rt->hinf = rec->idx_hinf;
				rt->child = rec->idx.child;
				return;
			}
			break;
		case BWTREE_INNER:
			i = bwt_base_entry(rec, key);
			rt->lo = rec->keys[i];
			rt->child = bwt_vals(rec)[i];
			if (i + 1 < rec->count) {
				rt->hi = rec->keys[i + 1];
				rt->hinf = false;
			} else {
				rt->hi = rec->high;
				rt->hinf = rec->hinf;
			}
			return;
		case BWTREE_MERGE:
		case BWTREE_SPLIT:
		case BWTREE_REMOVE:
			break;
		default:
			WARN_ON_ONCE(1);
			rt->child = BWT_NIL;
			return;
		}
	}
	WARN_ON_ONCE(1);	/* every chain ends in a base node */
	rt->child = BWT_NIL;
}

/**
 * bwt_route() - find the child of an inner node that leads to a key
 * @rec: the inner node's newest record (or the record under its REMOVE
 *	delta); the node holds @key
 * @key: the key
 * @rt: the entry found: its key range and child
 *
 * The newest INDEX or INDEX_DEL delta whose range holds @key decides;
 * without one, the base node's entry does.  The range's high end may lie
 * beyond a separator added by a newer delta; the child then reaches the
 * key through right-sibling links, which is all routing needs.
 *
 * Context: RCU read-side critical section.
 */
void bwt_route(const struct bwt_rec *rec, s64 key, struct bwt_route *rt)
{
	__bwt_route(rec, key, rt);
}

/**
 * bwt_route_child() - bwt_route() without the entry's range, for searches
 * @rec: the inner node's newest record (or the record under its REMOVE
 *	delta); the node holds @key
 * @key: the key
 *
 * Context: RCU read-side critical section.
 * Return: the child's page ID.
 */
u64 bwt_route_child(const struct bwt_rec *rec, s64 key)
{
	struct bwt_route rt;

	__bwt_route(rec, key, &rt);
	return rt.child;
}

/*
 * Folding a chain: first pick its pieces, the deltas that matter (the
 * newest for each key, within the range the chain still owns at that
 * point) and the base nodes with their ranges, then merge them in key
 * order.
 */
static bool bwt_span_holds(const struct bwt_span *sp, s64 key)
{
	return key >= sp->lo && (sp->hinf || key < sp->hi);
}

/* The pieces of a fold of @win, picked into @g (see struct bwt_gather). */
static enum bwt_res bwt_pick_pieces(const struct bwt_rec *top,
				    const struct bwt_span *win,
				    struct bwt_gather *g)
{
	const struct bwt_rec *rec;
	struct bwt_chain it;
	unsigned int i;

	bwt_chain_start(&it, top, win->lo, win->hi, win->hinf);
	while (bwt_chain_next(&it)) {
		rec = it.at.rec;
		switch (rec->kind) {
		case BWTREE_INSERT:
		case BWTREE_DELETE:
		case BWTREE_INDEX:
		case BWTREE_INDEX_DEL:
			if (!bwt_span_holds(&it.at, rec->kv.key))
				break;
			for (i = 0; i < g->nd; i++)
				if (g->delta[i]->kv.key == rec->kv.key)
					break;
			if (i < g->nd)
				break;	/* a newer delta decided this key */
			if (g->nd == g->max)
				return BWT_SHORT;
			g->delta[g->nd++] = rec;
			break;
		case BWTREE_SPLIT:
		case BWTREE_MERGE:
		case BWTREE_REMOVE:
			break;	/* the walk narrows the range */
		case BWTREE_LEAF:
		case BWTREE_INNER:
			if (g->ns == g->max)
				return BWT_SHORT;
			g->span[g->ns++] = it.at;
			break;
		default:
			WARN_ON_ONCE(1);
			return BWT_BROKEN;
		}
	}
	return it.bad ? BWT_BROKEN : BWT_DONE;
}

static bool bwt_delta_puts(const struct bwt_rec *d)
{
	return d->kind == BWTREE_INSERT || d->kind == BWTREE_INDEX;
}

static enum bwt_res bwt_bag_add(struct bwt_bag *bag, s64 key, u64 val)
{
	if (bag->n == bag->cap)
		return BWT_SHORT;
	bag->keys[bag->n] = key;
	bag->vals[bag->n] = val;
	bag->n++;
	return BWT_DONE;
}

/* A delta's item, unless it deletes one. */
static enum bwt_res bwt_bag_delta(struct bwt_bag *bag,
				  const struct bwt_rec *d)
{
	if (!bwt_delta_puts(d))
		return BWT_DONE;
	return bwt_bag_add(bag, d->kv.key, d->kv.val);
}

/* The items [@k, @e) of base node @b, for which @bag has room. */
static void bwt_bag_copy(struct bwt_bag *bag, const struct bwt_rec *b,
			 unsigned int k, unsigned int e)
{
	const u64 *vals = bwt_vals(b);
	u64 *to = &bag->vals[bag->n];
	unsigned int i;

	memcpy(&bag->keys[bag->n], &b->keys[k], (e - k) * sizeof(s64));
	/* In-place updates store beside us (update.c): each value whole. */
	for (i = k; i < e; i++)
		*to++ = READ_ONCE(vals[i]);
	bag->n += e - k;
}

/* KV and INDEX payloads share their first two fields: key, then value. */
static_assert(BWT_DELTA_SIZE % BWT_REC_ALIGN == 0);
static_assert(offsetof(struct bwt_rec, kv.key) ==
	      offsetof(struct bwt_rec, idx.key));
static_assert(offsetof(struct bwt_rec, kv.val) ==
	      offsetof(struct bwt_rec, idx.child));

/**
 * bwt_collect_range() - the sorted contents of part of a node
 * @top: the node's newest record, or the record under its REMOVE delta
 * @win: the keys wanted, [@win->lo, @win->hi), or to +inf if @win->hinf,
 *	within the node's range (@win->rec is unused)
 * @bag: output arrays and their capacity; @bag->n is set
 * @g: scratch space
 *
 * Items are added in ascending key order, so when @bag runs short it holds
 * the first @bag->cap items of @win: a scan takes a large node in pieces.
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE; BWT_SHORT if @win holds more than @bag->cap items
 * (@bag is then full) or the chain more pieces than @g holds (@bag is then
 * empty); BWT_BROKEN for a malformed chain.
 */
enum bwt_res bwt_collect_range(const struct bwt_rec *top,
			       const struct bwt_span *win, struct bwt_bag *bag,
			       struct bwt_gather *g)
{
	unsigned int i, j, s;
	enum bwt_res ret;

	g->nd = 0;
	g->ns = 0;
	bag->n = 0;
	ret = bwt_pick_pieces(top, win, g);
	if (ret)
		return ret;

	/* Sort deltas by key (insertion sort: a chain is short). */
	for (i = 1; i < g->nd; i++) {
		const struct bwt_rec *d = g->delta[i];

		for (j = i; j > 0 && g->delta[j - 1]->kv.key > d->kv.key; j--)
			g->delta[j] = g->delta[j - 1];
		g->delta[j] = d;
	}
	/* Sort spans by low key; their ranges do not overlap. */
	for (i = 1; i < g->ns; i++) {
		struct bwt_span sp = g->span[i];

		for (j = i; j > 0 && g->span[j - 1].lo > sp.lo; j--)
			g->span[j] = g->span[j - 1];
		g->span[j] = sp;
	}

	j = 0;
	for (s = 0; s < g->ns; s++) {
		const struct bwt_span *sp = &g->span[s];
		const struct bwt_rec *b = sp->rec;
		unsigned int k = bwt_base_ceil(b, sp->lo);
		unsigned int end = sp->hinf ? b->count : bwt_base_ceil(b, sp->hi);

		while (k < end) {
			s64 key = b->keys[k];
			unsigned int e = end;

			/* Deltas for smaller keys come first. */
			for (; j < g->nd && g->delta[j]->kv.key < key; j++) {
				ret = bwt_bag_delta(bag, g->delta[j]);
				if (ret)
					return ret;
			}
			if (j < g->nd && g->delta[j]->kv.key == key) {
				ret = bwt_bag_delta(bag, g->delta[j++]);
				if (ret)
					return ret;
				k++;
				continue;
			}
			/* Then the base keys below the next delta's, as they are. */
			if (j < g->nd)
				for (e = k + 1;
				     e < end && b->keys[e] < g->delta[j]->kv.key; e++)
					;
			if (e - k > bag->cap - bag->n) {
				bwt_bag_copy(bag, b, k, k + bag->cap - bag->n);
				return BWT_SHORT;
			}
			bwt_bag_copy(bag, b, k, e);
			k = e;
		}
	}
	for (; j < g->nd; j++) {
		ret = bwt_bag_delta(bag, g->delta[j]);
		if (ret)
			return ret;
	}
	return BWT_DONE;
}

/**
 * bwt_collect() - the sorted contents of a node
 * @top: the node's newest record, or the record under its REMOVE delta
 * @bag: output arrays and their capacity; @bag->n is set
 * @g: scratch space
 *
 * Context: RCU read-side critical section.
 * Return: BWT_DONE; BWT_SHORT if the node holds more than @bag->cap items
 * (or its chain more pieces than @g holds); BWT_BROKEN for a malformed
 * chain.
 */
enum bwt_res bwt_collect(const struct bwt_rec *top, struct bwt_bag *bag,
			 struct bwt_gather *g)
{
	const struct bwt_span all = { top, top->low, top->high, top->hinf };

	return bwt_collect_range(top, &all, bag, g);
}

/**
 * bwt_rec_init_delta() - fill a delta's header from the node's newest record
 * @d: the new delta
 * @top: the record it will be prepended to
 * @kind: its kind
 *
 * Copies the node's attributes, and for an INSERT or DELETE the chain's
 * base node as @top knows it; the caller adjusts what the delta changes.
 */
void bwt_rec_init_delta(struct bwt_rec *d, const struct bwt_rec *top,
			enum bwtree_kind kind)
{
	if (kind == BWTREE_INSERT || kind == BWTREE_DELETE)
		d->kv.base = bwt_chain_base(top);
	d->kind = kind;
	d->level = top->level;
	d->depth = top->depth + 1;
	d->hinf = top->hinf;
	d->count = top->count;
	d->low = top->low;
	d->high = top->high;
	d->right = top->right;
	d->next = (struct bwt_rec *)top;
}
