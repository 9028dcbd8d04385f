/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bwtree - a latch-free BW-tree on kernel RCU: the in-kernel API.
 *
 * Conventions: @tree is a tree made by bwtree_create(); keys are any s64
 * (S64_MIN..S64_MAX inclusive), values any u64.  Every function may be
 * called concurrently with every other on the same tree, except
 * bwtree_destroy().  Functions that may allocate take no gfp argument: they
 * allocate with GFP_KERNEL outside any RCU read-side critical section, so
 * they must be called from process context without spinlocks held.
 */
#ifndef _BWTREE_H
#define _BWTREE_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/percpu_counter.h>

struct bwtree;

/**
 * enum bwtree_kind - kinds of record a tree is made of
 * @BWTREE_LEAF: base leaf: sorted keys and their values
 * @BWTREE_INNER: base inner node: sorted separators and child page IDs
 * @BWTREE_INSERT: delta: a key was inserted or its value replaced
 * @BWTREE_DELETE: delta: a key was deleted
 * @BWTREE_SPLIT: delta: keys at or above the separator moved to a new right
 *	sibling.  No longer made: a split installs both halves as base nodes
 *	(the kind keeps its index in the statistics' ABI)
 * @BWTREE_INDEX: delta on an inner node: a separator and child were added
 * @BWTREE_INDEX_DEL: delta on an inner node: a separator was removed after
 *	its child merged into its left sibling
 * @BWTREE_REMOVE: delta: the node is frozen, to be merged into its left
 *	sibling
 * @BWTREE_MERGE: delta: the right sibling's contents joined this node
 * @BWTREE_NR_KINDS: number of kinds
 */
enum bwtree_kind {
	BWTREE_LEAF,
	BWTREE_INNER,
	BWTREE_INSERT,
	BWTREE_DELETE,
	BWTREE_SPLIT,
	BWTREE_INDEX,
	BWTREE_INDEX_DEL,
	BWTREE_REMOVE,
	BWTREE_MERGE,
	BWTREE_NR_KINDS,
};

/**
 * struct bwtree_account - memory shared by several trees, with a limit
 * @bytes: bytes charged now by every tree that points here, a per-CPU
 *	counter: read it with bwtree_account_bytes()
 * @limit: most bytes the trees may use together; 0 means no limit.  The
 *	owner may change it at any time with WRITE_ONCE().
 *
 * Set up with bwtree_account_init() before the first tree points here, and
 * torn down with bwtree_account_destroy() after the last one is destroyed.
 */
struct bwtree_account {
	struct percpu_counter bytes;
	long limit;
};

/**
 * struct bwtree_params - tunables of one tree, fixed at creation
 * @leaf_max: most entries in a leaf; 0 picks the default
 * @inner_max: most separators in an inner node; 0 picks the default
 * @chain_max: longest delta chain of a leaf before consolidation (inner
 *	nodes are folded as soon as a writer passes one with a delta); 0 picks
 *	the default
 * @max_bytes: most bytes this tree may use; 0 means no limit of its own
 * @account: shared account charged as well, or NULL
 *
 * Nodes merge when they fall below a quarter of their maximum.
 */
struct bwtree_params {
	unsigned int leaf_max;
	unsigned int inner_max;
	unsigned int chain_max;
	unsigned long max_bytes;
	struct bwtree_account *account;
};

#define BWTREE_MIN_NODE		4
#define BWTREE_MAX_NODE		512
#define BWTREE_MAX_CHAIN	64

/**
 * struct bwtree_stats - a snapshot of one tree's counters
 * @records: live records of each &enum bwtree_kind
 * @count: keys in the tree
 * @height: levels, 1 when the root is a leaf
 * @pages: page IDs in use
 * @bytes: bytes of records, mapping table and the tree's own structures
 *	in use
 * @consolidations: chains replaced by a new base node
 * @splits: node splits, the root's included
 * @merges: node merges, the root collapse included
 * @cas_failures: compare-and-swap attempts that lost a race
 * @retries: operations restarted from the root
 * @reader_yields: lookups and scans that left their RCU read section after
 *	BWT_READ_RESTARTS restarts in it, to let a grace period end
 * @longest_chain: longest delta chain seen
 */
struct bwtree_stats {
	u64 records[BWTREE_NR_KINDS];
	u64 count;
	u64 height;
	u64 pages;
	u64 bytes;
	u64 consolidations;
	u64 splits;
	u64 merges;
	u64 cas_failures;
	u64 retries;
	u64 reader_yields;
	u64 longest_chain;
};

/**
 * struct bwtree_pair - one key and its value, as scans return them
 * @key: the key
 * @value: its value
 */
struct bwtree_pair {
	s64 key;
	u64 value;
};

/* Flags for the scans. */
#define BWTREE_SCAN_REVERSE	0x1	/* descending order, from @hi down */

/**
 * typedef bwtree_scan_fn - called for each pair by bwtree_scan()
 * @arg: the caller's argument
 * @key: the key
 * @value: its value
 *
 * Context: Process context, outside any RCU read-side section: may sleep.
 * Return: 0 to go on, anything else to stop the scan and return it.
 */
typedef int (*bwtree_scan_fn)(void *arg, s64 key, u64 value);

int bwtree_init(void);
void bwtree_exit(void);

int bwtree_account_init(struct bwtree_account *acct);
void bwtree_account_destroy(struct bwtree_account *acct);
long bwtree_account_bytes(struct bwtree_account *acct);
bool bwtree_account_full(struct bwtree_account *acct);

int bwtree_check_params(const struct bwtree_params *params);
struct bwtree *bwtree_create(const struct bwtree_params *params);
void bwtree_destroy(struct bwtree *tree);

int bwtree_insert(struct bwtree *tree, s64 key, u64 value);
int bwtree_upsert(struct bwtree *tree, s64 key, u64 value, bool *replaced);
int bwtree_delete(struct bwtree *tree, s64 key, u64 *value);
int bwtree_lookup(struct bwtree *tree, s64 key, u64 *value);
int bwtree_lookup_batch(struct bwtree *tree, const s64 *keys, unsigned int n,
			u64 *values, bool *found);
u64 bwtree_count(struct bwtree *tree);
void bwtree_get_stats(struct bwtree *tree, struct bwtree_stats *stats);
void bwtree_get_params(struct bwtree *tree, struct bwtree_params *params);

int bwtree_scan(struct bwtree *tree, s64 lo, s64 hi, unsigned int flags,
		bwtree_scan_fn fn, void *arg);
int bwtree_scan_batch(struct bwtree *tree, s64 lo, s64 hi, unsigned int flags,
		      struct bwtree_pair *out, unsigned int max, s64 *next,
		      bool *done);

int bwtree_validate(struct bwtree *tree);
void bwtree_dump(struct bwtree *tree);
const char *bwtree_kind_name(unsigned int kind);

#endif /* _BWTREE_H */
