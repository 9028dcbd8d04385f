// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree: the per-CPU counters of a tree (key count, byte charge,
 * statistics) and the shared memory account; see DOC: Counters in
 * internal.h.
 *
 * Prefixes: bwtree_account_ the public account API, bwt_counters_ and
 * bwt_stats_ a tree's counters.  @acct is an account, @tree a tree.
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/percpu_counter.h>
#include <linux/export.h>
#include <linux/bug.h>
#include "internal.h"

/**
 * bwt_counters_init() - allocate a new tree's counters
 * @tree: the tree, zeroed, not yet charged for anything
 *
 * Context: process context; may sleep.
 * Return: 0, or -ENOMEM with nothing left allocated.
 */
int bwt_counters_init(struct bwtree *tree)
{
	tree->stats = alloc_percpu(struct bwtree_stats);
	if (!tree->stats)
		return -ENOMEM;
	if (percpu_counter_init(&tree->count, 0, GFP_KERNEL))
		goto err_count;
	if (percpu_counter_init(&tree->bytes, 0, GFP_KERNEL))
		goto err_bytes;
	return 0;

err_bytes:
	percpu_counter_destroy(&tree->count);
err_count:
	free_percpu(tree->stats);
	tree->stats = NULL;
	return -ENOMEM;
}

/**
 * bwt_counters_destroy() - free a tree's counters
 * @tree: the tree, everything in it uncharged
 */
void bwt_counters_destroy(struct bwtree *tree)
{
	percpu_counter_destroy(&tree->bytes);
	percpu_counter_destroy(&tree->count);
	free_percpu(tree->stats);
	tree->stats = NULL;
}

/**
 * bwt_counters_size() - bytes a tree's counters take, per-CPU copies included
 *
 * Charged to the tree with the tree itself.
 *
 * Return: the size.
 */
size_t bwt_counters_size(void)
{
	/* The statistics and the two percpu_counters' s32, on every CPU. */
	return num_possible_cpus() *
	       (sizeof(struct bwtree_stats) + 2 * sizeof(s32));
}

/**
 * bwt_stats_sum() - add up the statistics of every CPU
 * @tree: the tree
 * @stats: where to add them: the records, pages, consolidations, splits,
 *	merges, cas_failures, retries and reader_yields
 *
 * Exact when no update is in flight; see DOC: Counters.
 *
 * Context: any.
 */
void bwt_stats_sum(struct bwtree *tree, struct bwtree_stats *stats)
{
	const struct bwtree_stats *c;
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		c = per_cpu_ptr(tree->stats, cpu);
		for (i = 0; i < BWTREE_NR_KINDS; i++)
			stats->records[i] += READ_ONCE(c->records[i]);
		stats->pages += READ_ONCE(c->pages);
		stats->consolidations += READ_ONCE(c->consolidations);
		stats->splits += READ_ONCE(c->splits);
		stats->merges += READ_ONCE(c->merges);
		stats->cas_failures += READ_ONCE(c->cas_failures);
		stats->retries += READ_ONCE(c->retries);
		stats->reader_yields += READ_ONCE(c->reader_yields);
	}
}

/**
 * bwtree_account_init() - set up a memory account, with nothing charged
 * @acct: the account; @acct->limit is left as it is
 *
 * Context: process context; may sleep.
 * Return: 0, or -ENOMEM.
 */
int bwtree_account_init(struct bwtree_account *acct)
{
	return percpu_counter_init(&acct->bytes, 0, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(bwtree_account_init);

/**
 * bwtree_account_destroy() - free what bwtree_account_init() allocated
 * @acct: the account; no tree may be charged to it any more
 *
 * Context: process context.
 */
void bwtree_account_destroy(struct bwtree_account *acct)
{
	if (!percpu_counter_initialized(&acct->bytes))
		return;
	WARN_ON_ONCE(percpu_counter_sum(&acct->bytes));
	percpu_counter_destroy(&acct->bytes);
}
EXPORT_SYMBOL_GPL(bwtree_account_destroy);

/**
 * bwtree_account_bytes() - the bytes charged to an account
 * @acct: the account
 *
 * The exact sum over the CPUs, not counting charges in flight; O(CPUs).
 *
 * Context: any.
 * Return: the bytes, never negative.
 */
long bwtree_account_bytes(struct bwtree_account *acct)
{
	return percpu_counter_sum_positive(&acct->bytes);
}
EXPORT_SYMBOL_GPL(bwtree_account_bytes);

/**
 * bwtree_account_full() - has an account reached its limit?
 * @acct: the account
 *
 * Exact as DOC: Counters says: cheap while the charge is far from the
 * limit, a sum over the CPUs near it.
 *
 * Context: any.
 * Return: true if the account has a limit and its bytes are at or past it.
 */
bool bwtree_account_full(struct bwtree_account *acct)
{
	/* The owner may change the limit at any time (a module parameter). */
	long limit = READ_ONCE(acct->limit);

	return limit &&
	       __percpu_counter_compare(&acct->bytes, limit,
					BWT_BYTES_BATCH) >= 0;
}
EXPORT_SYMBOL_GPL(bwtree_account_full);
