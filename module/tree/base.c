// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree base nodes: the summary a search reads first, written once when a
 * node is built (see the DOC on the base node layout in internal.h).
 *
 * Prefix: bwt_base_ for a base node, bwt_sum_ for its summary.
 */
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/string.h>
#include "internal.h"

/* What a search reads of a delta, and of a base node, shares no line. */
static_assert(offsetof(struct bwt_rec, kv.val) + sizeof(u64) <=
	      BWT_REC_ALIGN);
static_assert(offsetof(struct bwt_rec, low) >= BWT_REC_ALIGN &&
	      offsetof(struct bwt_rec, high) + sizeof(s64) <= 2 * BWT_REC_ALIGN);
static_assert(offsetof(struct bwt_rec, sum) + sizeof_field(struct bwt_rec, sum) <=
	      BWT_LINE);
static_assert(offsetof(struct bwt_rec, high) + sizeof(s64) <= BWT_LINE);
static_assert(sizeof(s64) << BWT_LINE_SHIFT == BWT_LINE);
static_assert(BWT_SKEW >= 1 && BWT_SKEW <= 1 << BWT_LINE_SHIFT &&
	      !(BWT_SKEW & (BWT_SKEW - 1)));	/* bwt_base_floor() halves it */
/* Summary entries and the search's key, cut alike, fit the entries. */
static_assert(BWT_SUM_NONE == U8_MAX && BWT_SUM_TOP < BWT_SUM_NONE);
/* @cap, @sum_shift and @sum_order lie in the gap inside @upd. */
static_assert(offsetof(struct bwt_rec, cap) >=
	      offsetof(struct bwt_rec, upd.state) + sizeof(atomic_t) &&
	      offsetof(struct bwt_rec, sum_order) < offsetof(struct bwt_rec, upd.val));
static_assert(offsetof(struct bwt_rec, upd.val) + sizeof(u64) <=
	      offsetof(struct bwt_rec, sum));

struct bwt_sum {
	u8 shift;
	u8 order;
	u8 sum[BWT_SUM_LEN];
};

/* The summary of @b's keys, as bwt_base_seal() writes it. */
static void bwt_sum_make(const struct bwt_rec *b, struct bwt_sum *s)
{
	unsigned int n = b->count, g, first;
	u64 range = n ? (u64)b->keys[n - 1] - (u64)b->low : 0;

	s->shift = range > BWT_SUM_TOP ? fls64(range) - 8 : 0;
	if ((range >> s->shift) > BWT_SUM_TOP)
		s->shift++;
	s->order = 0;
	while (n > BWT_SKEW + ((BWT_SUM_LEN - 1) <<
			       (BWT_LINE_SHIFT + s->order)))
		s->order++;
	for (g = 1; g < BWT_SUM_LEN; g++) {
		first = BWT_SKEW + ((g - 1) << (BWT_LINE_SHIFT + s->order));
		s->sum[g - 1] = first < n ?
			((u64)b->keys[first] - (u64)b->low) >> s->shift :
			BWT_SUM_NONE;
	}
	s->sum[BWT_SUM_LEN - 1] = BWT_SUM_NONE;
}

/**
 * bwt_base_seal() - finish building a base node
 * @b: a base node with its keys, values, count and low key final, not yet
 *	published
 *
 * Writes the summary of the keys that bwt_base_floor() searches first.
 * Every writer of a base node calls it last, before the node is published
 * (or copied: a copy of a sealed node is sealed).
 */
void bwt_base_seal(struct bwt_rec *b)
{
	struct bwt_sum s;

	bwt_sum_make(b, &s);
	b->sum_shift = s.shift;
	b->sum_order = s.order;
	memcpy(b->sum, s.sum, sizeof(b->sum));
}

/**
 * bwt_base_sealed() - is a base node's summary that of its keys
 * @b: a base node
 *
 * For bwtree_validate(): also checks what the summary relies on, keys in
 * strictly ascending order from the node's low key up.
 *
 * Return: true if @b's keys are in order and its summary is theirs.
 */
bool bwt_base_sealed(const struct bwt_rec *b)
{
	unsigned int i;
	struct bwt_sum s;

	for (i = 0; i < b->count; i++)
		if (i ? b->keys[i] <= b->keys[i - 1] : b->keys[i] < b->low)
			return false;
	bwt_sum_make(b, &s);
	return b->sum_shift == s.shift && b->sum_order == s.order &&
	       !memcmp(b->sum, s.sum, sizeof(s.sum));
}
