/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bwtree: searching a base node, inlined into every walk that does (the
 * chain walks of chain.c, the reader's descent).  The layout searched is
 * the DOC "Base node layout" in internal.h.
 */
#ifndef _BWTREE_SEARCH_H
#define _BWTREE_SEARCH_H

#include <linux/bug.h>
#include <linux/prefetch.h>
#include "internal.h"

/* Index of the last of @keys[@lo..@hi) <= @key, or @lo - 1; branch-free. */
static __always_inline int bwt_floor_in(const s64 *keys, unsigned int lo,
					unsigned int hi, s64 key)
{
	const s64 *base = keys + lo;
	unsigned int n = hi - lo, half;

	if (unlikely(!n))
		return (int)lo - 1;
	while (n > 1) {
		half = n / 2;
		base = base[half] <= key ? base + half : base;
		n -= half;
	}
	return (int)(base - keys) - (*base > key);
}

/* One step of bwt_base_floor()'s search in a line: probe @half on. */
static __always_inline unsigned int bwt_floor_step(const s64 *keys,
						   unsigned int at,
						   unsigned int half,
						   unsigned int last, s64 key)
{
	unsigned int p = min(at + half, last);

	return keys[p] <= key ? p : at;
}

/* bwt_base_floor(), inlined into the searches of this file. */
static __always_inline int __bwt_base_floor(const struct bwt_rec *b, s64 key)
{
	unsigned int n = b->count, g, lo, at, half;
	const s64 *keys = b->keys;
	const u64 *vals;
	int i;

	if (unlikely(!n))
		return -1;
	g = bwt_sum_group(b, key);
	lo = bwt_group_start(b, g);
	vals = bwt_vals(b);
	prefetch(&vals[lo]);
	if (likely(!b->sum_order)) {
		/*
		 * A line: group 0 is BWT_SKEW keys, the others 8, and their
		 * values may span two lines.  (A prefetch never faults, so it
		 * may point past the node.)
		 */
		prefetch(&vals[lo + (1 << BWT_LINE_SHIFT) - 1]);
		half = g ? 1 << (BWT_LINE_SHIFT - 1) : BWT_SKEW / 2;
		at = bwt_floor_step(keys, lo, half, n - 1, key);
		at = bwt_floor_step(keys, at, half / 2, n - 1, key);
		at = bwt_floor_step(keys, at, half / 4, n - 1, key);
		i = (int)at - (keys[at] > key);
	} else {
		i = bwt_floor_in(keys, lo, min(bwt_group_start(b, g + 1), n),
				 key);
	}
	if (unlikely(i < (int)lo) && g) {
		/* The summary could not tell: the group before, then all. */
		at = bwt_group_start(b, g - 1);
		i = bwt_floor_in(keys, at, lo, key);
		if (i < (int)at && g > 1)
			i = bwt_floor_in(keys, 0, at, key);
	}
	return i;
}

/*
 * The entry of inner base node @b whose range holds @key (which @b holds):
 * its first key is @b's low key, so there always is one.
 */
static __always_inline unsigned int bwt_base_entry(const struct bwt_rec *b,
						   s64 key)
{
	int i = __bwt_base_floor(b, key);

	if (WARN_ON_ONCE(i < 0))
		i = 0;
	return i;
}

/*
 * Look @key up in leaf base node @b: its value into *@val, and where it
 * was into *@at, if present.
 */
static __always_inline bool bwt_base_leaf_find(const struct bwt_rec *b,
					       s64 key, u64 *val,
					       struct bwt_found *at)
{
	int i = __bwt_base_floor(b, key);

	if (i < 0 || b->keys[i] != key)
		return false;
	/* In-place updates store beside us (update.c). */
	*val = READ_ONCE(bwt_vals(b)[i]);
	at->base = b;
	at->slot = i;
	return true;
}

#endif /* _BWTREE_SEARCH_H */
