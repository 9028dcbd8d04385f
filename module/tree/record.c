// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree records: their kmem_caches, allocation, and freeing after a grace
 * period.
 *
 * Prefixes: bwt_rec_ one record, bwt_chain_ a whole delta chain.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/export.h>
#include <linux/bug.h>
#include "internal.h"

/**
 * DOC: When memory is freed
 *
 * Every record lives in a kmem_cache: one for delta records, and one per
 * size class of base node.  A record is freed in exactly one of two ways:
 *
 * - It was never published (its compare-and-swap lost, or the operation
 *   gave up): no other thread can hold it, so it goes back at once.
 * - It was published and then unlinked by a compare-and-swap that the
 *   freeing thread won: a consolidation replaced the whole chain, a split
 *   or merge made a record unreachable, or the merge protocol retired a
 *   node.  Exactly one thread wins that compare-and-swap, and only it calls
 *   call_rcu() for the records it unlinked.
 *
 * Why no reader can still see a freed record: every reader and writer
 * touches records only inside rcu_read_lock(), and never keeps a record
 * pointer across rcu_read_unlock() (an operation that must drop the read
 * section, to allocate, restarts from the root).  A record is unlinked
 * before call_rcu() is called on it, so a thread that can still reach it
 * loaded it before the unlink, inside a read section that began before
 * call_rcu(); the grace period does not end, and the callback does not run,
 * until that section has ended.  Threads entering later start from the
 * mapping table, which no longer leads to the record: the slot holds a
 * newer record, and no newer record points to an unlinked one (records are
 * immutable and a new record only points to what the slot held).
 *
 * A retired record is marked ->dead before call_rcu(), for
 * bwtree_validate() to find one still reachable; readers do not look at
 * it, for the contents stay valid until the grace period ends.  Page IDs
 * follow the same rule (mapping.c).
 */

/*
 * Capacities of the size classes of base nodes.  Each is 2 more than a
 * multiple of 4, so that a base node (a 96-byte header, then 16 bytes an
 * item) is a whole number of cache lines and its alignment to one costs
 * nothing (see the DOC on the base node layout).  Steps of 4 from 50 to
 * 114 fit nodes of that many items closely (the default sizes, half full
 * to full, and consolidations that add 4 keys at a time).
 */
static const unsigned short bwt_caps[] = {
	2, 10, 18, 26, 34, 42, 50, 54, 58, 62, 66, 70, 74, 78, 82, 86, 90,
	94, 98, 102, 106, 110, 114, 130, 162, 194, 258, 322, 386, 450, 514,
	642, 770, 1026, 2050,
};

#define BWT_NR_CLASSES	ARRAY_SIZE(bwt_caps)

static struct kmem_cache *bwt_delta_cache;
static struct kmem_cache *bwt_base_cache[BWT_NR_CLASSES];
static char bwt_cache_name[BWT_NR_CLASSES][24];

#ifndef SLAB_NO_MERGE
#define SLAB_NO_MERGE 0
#endif

static int bwt_class(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < BWT_NR_CLASSES; i++)
		if (bwt_caps[i] >= n)
			return i;
	return -1;
}

/**
 * bwt_base_cap() - capacity of the base node that would hold @n items
 * @n: items
 *
 * Return: the capacity, or 0 when @n is larger than any size class.
 */
unsigned int bwt_base_cap(unsigned int n)
{
	int c = bwt_class(n ? n : 1);

	return c < 0 ? 0 : bwt_caps[c];
}

int bwt_records_init(void)
{
	unsigned int i;

	bwt_delta_cache = kmem_cache_create("bwtree_delta", BWT_DELTA_SIZE,
					    BWT_REC_ALIGN, SLAB_NO_MERGE, NULL);
	if (!bwt_delta_cache)
		return -ENOMEM;
	for (i = 0; i < BWT_NR_CLASSES; i++) {
		snprintf(bwt_cache_name[i], sizeof(bwt_cache_name[i]),
			 "bwtree_node_%u", bwt_caps[i]);
		WARN_ON_ONCE(BWT_BASE_SIZE(bwt_caps[i]) % BWT_LINE);
		bwt_base_cache[i] = kmem_cache_create(bwt_cache_name[i],
						      BWT_BASE_SIZE(bwt_caps[i]),
						      BWT_LINE, SLAB_NO_MERGE,
						      NULL);
		if (!bwt_base_cache[i])
			goto err_caches;
	}
	return 0;

err_caches:
	while (i--)
		kmem_cache_destroy(bwt_base_cache[i]);
	kmem_cache_destroy(bwt_delta_cache);
	return -ENOMEM;
}

void bwt_records_exit(void)
{
	unsigned int i;

	/* Callbacks still queued free into these caches: wait for them. */
	rcu_barrier();
	for (i = 0; i < BWT_NR_CLASSES; i++)
		kmem_cache_destroy(bwt_base_cache[i]);
	kmem_cache_destroy(bwt_delta_cache);
}

static size_t bwt_rec_size(const struct bwt_rec *rec)
{
	return bwt_is_base(rec) ? BWT_BASE_SIZE(rec->cap) : BWT_DELTA_SIZE;
}

void bwt_charge(struct bwtree *tree, long bytes)
{
	percpu_counter_add_batch(&tree->bytes, bytes, BWT_BYTES_BATCH);
	if (tree->account)
		percpu_counter_add_batch(&tree->account->bytes, bytes,
					 BWT_BYTES_BATCH);
}

struct bwt_rec *bwt_delta_alloc(struct bwtree *tree, gfp_t gfp)
{
	struct bwt_rec *d = kmem_cache_zalloc(bwt_delta_cache, gfp);

	if (!d)
		return NULL;
	d->kind = BWTREE_INSERT;	/* any delta kind, until it is filled */
	bwt_charge(tree, BWT_DELTA_SIZE);
	return d;
}

struct bwt_rec *bwt_base_alloc(struct bwtree *tree, unsigned int cap, gfp_t gfp)
{
	int c = bwt_class(cap);
	struct bwt_rec *b;

	if (WARN_ON_ONCE(c < 0))
		return NULL;
	b = kmem_cache_alloc(bwt_base_cache[c], gfp);
	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->cap = bwt_caps[c];
	bwt_charge(tree, BWT_BASE_SIZE(b->cap));
	return b;
}

/* Give back a record's bytes and count; the memory goes later or now. */
void bwt_rec_uncharge(struct bwtree *tree, struct bwt_rec *rec)
{
	bwt_charge(tree, -(long)bwt_rec_size(rec));
}

/* Free one record's memory; no accounting (done when it was unlinked). */
void bwt_rec_release(struct bwt_rec *rec)
{
	if (bwt_is_base(rec))
		kmem_cache_free(bwt_base_cache[bwt_class(rec->cap)], rec);
	else
		kmem_cache_free(bwt_delta_cache, rec);
}

/**
 * bwt_rec_free_now() - free a record that no other thread can reach
 * @tree: the tree it was charged to
 * @rec: a record never published, or published in a tree being destroyed
 */
void bwt_rec_free_now(struct bwtree *tree, struct bwt_rec *rec)
{
	bwt_rec_uncharge(tree, rec);
	bwt_rec_release(rec);
}

/* Free every record of a chain; no accounting (done when it was retired). */
static void bwt_chain_release(struct bwt_rec *top)
{
	struct bwt_chain it;

	bwt_chain_start(&it, top, S64_MIN, 0, true);
	while (bwt_chain_next(&it))
		bwt_rec_release((struct bwt_rec *)it.at.rec);
}

static void bwt_chain_rcu(struct rcu_head *head)
{
	bwt_chain_release(container_of(head, struct bwt_rec, rcu));
}

static void bwt_one_rcu(struct rcu_head *head)
{
	bwt_rec_release(container_of(head, struct bwt_rec, rcu));
}

/* Mark every record of a chain ->dead and uncharge it; frees nothing. */
static void bwt_chain_mark_retired(struct bwtree *tree, struct bwt_rec *top)
{
	struct bwt_rec *rec;
	struct bwt_chain it;
	long bytes = 0;

	bwt_chain_start(&it, top, S64_MIN, 0, true);
	while (bwt_chain_next(&it)) {
		rec = (struct bwt_rec *)it.at.rec;
		WRITE_ONCE(rec->dead, 1);
		bwt_stat_dec(tree, records[rec->kind]);
		bytes += bwt_rec_size(rec);
	}
	bwt_charge(tree, -bytes);	/* once for the chain */
}

/**
 * bwt_chain_retire() - free an unlinked chain after a grace period
 * @tree: the tree
 * @top: the newest record of a chain that the caller's compare-and-swap
 *	just made unreachable from the mapping table
 *
 * Context: any; the chain is freed from an RCU callback.
 */
void bwt_chain_retire(struct bwtree *tree, struct bwt_rec *top)
{
	bwt_chain_mark_retired(tree, top);
	call_rcu(&top->rcu, bwt_chain_rcu);
}

/**
 * bwt_one_retire() - free one unlinked record after a grace period
 * @tree: the tree
 * @rec: the record; what it points to stays in use
 */
void bwt_one_retire(struct bwtree *tree, struct bwt_rec *rec)
{
	WRITE_ONCE(rec->dead, 1);
	bwt_stat_dec(tree, records[rec->kind]);
	bwt_rec_uncharge(tree, rec);
	call_rcu(&rec->rcu, bwt_one_rcu);
}

/**
 * bwt_chain_free_now() - free a chain no thread can reach, at once
 * @tree: the tree, being destroyed
 * @top: the chain
 */
void bwt_chain_free_now(struct bwtree *tree, struct bwt_rec *top)
{
	bwt_chain_mark_retired(tree, top);
	bwt_chain_release(top);
}
