/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bwtree internals shared by the core's files.
 *
 * Prefixes: bwtree_ is the public API (include/bwtree.h), bwt_ an internal
 * function or type, bwt_rec_ one record, bwt_chain_ a delta chain and the
 * walk over it, bwt_map_ the mapping table, bwt_op_ the state of one
 * operation, bwt_scratch_ the space to fold a chain, bwt_descend a descent
 * from the root.  Functions that run inside an RCU read section return an
 * &enum bwt_res; errnos are for the API.
 */
#ifndef _BWTREE_INTERNAL_H
#define _BWTREE_INTERNAL_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/limits.h>
#include <linux/prefetch.h>
#include <linux/percpu.h>
#include <linux/bitops.h>
#include <linux/percpu_counter.h>
#include <bwtree.h>

/*
 * Symbols only the KUnit suites use are exported to them alone, and only
 * when the kernel has KUnit: <kunit/visibility.h> (6.2 and later), or the
 * same by hand where Kbuild found no such header.
 */
#ifndef BWT_NO_KUNIT_VISIBILITY
#include <kunit/visibility.h>
#elif IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KUNIT(symbol) \
	EXPORT_SYMBOL_NS(symbol, EXPORTED_FOR_KUNIT_TESTING)
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)	__ADDRESSABLE(symbol)
#endif

/**
 * DOC: Records and delta chains
 *
 * A logical node is named by a page ID (pid).  The mapping table maps the
 * pid to the newest record of the node's *delta chain*; each record points
 * to the next older one, and the chain ends in a base node::
 *
 *   map[pid] --> INSERT k=7 --> DELETE k=3 --> SPLIT sep=40 --> LEAF [1 3 9 41 50]
 *                 depth 3        depth 2        depth 1          depth 0
 *
 * Every record starts with the same header (&struct bwt_rec): its kind, the
 * node's level, the chain depth, and the node's attributes as of that
 * record: low key (inclusive), high key (exclusive, or +inf), right sibling
 * and item count.  A reader therefore learns everything about the node from
 * the first record it loads, and walks further only to find a key.
 *
 * Records are immutable once published.  A chain changes only by a
 * compare-and-swap of map[pid] from the record the writer read to a new
 * record whose ->next is that record (a delta), or to a new base node that
 * folds the chain into sorted arrays (consolidation).  A MERGE delta has two
 * older chains: ->next for keys below the separator and ->merge.removed, the
 * absorbed right sibling's chain, for keys at or above it.
 *
 * Base nodes keep keys contiguous (keys[cap] then vals[cap]), with a
 * summary of them in the header's first cache line, so that a search
 * touches three lines of the node (see the DOC on the base node layout).
 * Inner nodes use the same layout: entry i routes keys in
 * [keys[i], keys[i + 1]) to the child pid in vals[i]; keys[0] is the node's
 * low key.
 */

/*
 * Test-only pause points: the userspace harness defines bwt_pause_point()
 * (tools/testing/bwtree/include/bwt/shim.h) to park a thread there, so that
 * tests can drive an interleaving step by step.  In the kernel it is
 * nothing at all.
 */
#ifndef bwt_pause_point
#define bwt_pause_point(name)	((void)(#name))
#endif

#define BWT_NIL			U64_MAX		/* no page */
#define BWT_ROOT		0		/* the root's pid never changes */
#define BWT_CHAIN_SLACK		8		/* SMO deltas allowed past chain_max */
#define BWT_READ_RESTARTS	8		/* a reader's restarts per RCU section */
/*
 * Deltas a writer leaves on an inner node it passes (chain_max bounds the
 * leaves'): every descent reads the inner nodes and a split adds one INDEX
 * delta to one of them, so folding each at once costs a copy per split and
 * lets every descent route by a bare base node (callgrind, 100k keys:
 * lookups 632 -> 549 instructions, inserts 4005 -> 3889).
 */
#define BWT_INNER_CHAIN_MAX	1
/*
 * Merges one operation helps inside one another: helping descends, and a
 * descent may meet another frozen node.  Bounds the stack; the deepest
 * help restarts instead, and the operation helps again from the root.
 */
#define BWT_HELP_DEPTH_MAX	8

/*
 * Defaults, chosen by measurement (docs/results.md, "Tunables"): a node of
 * up to 124 keys is searched in one line of keys (see the DOC on the base
 * node layout), and nodes of 104 keys read best for little more memory
 * than larger ones.
 */
#define BWT_DEF_LEAF_MAX	104
#define BWT_DEF_INNER_MAX	104
#define BWT_DEF_CHAIN_MAX	4

/* States of a REMOVE delta. */
enum bwt_rm_state {
	BWT_RM_PENDING,		/* frozen, parent entry may still exist */
	BWT_RM_COMMITTED,	/* parent entry gone: merge into left sibling */
	BWT_RM_ABORTED,		/* cannot merge: the node is to be unfrozen */
};

struct bwtree;

/**
 * enum bwt_res - how a step inside an RCU read section ended
 * @BWT_DONE: it did what was asked, or found it done
 * @BWT_RESTART: leave the read section, refill the operation (see the DOC
 *	on what an operation needs) and start again from the root
 * @BWT_AGAIN: this operation just changed the node it is at (a
 *	consolidation or a split of its own): read the node again and go on
 * @BWT_NOTHING: there is nothing to do here
 * @BWT_NO_LEVEL: the tree has no node at the level asked for
 * @BWT_COLLAPSED: done, and the root lost a level
 * @BWT_SHORT: the output arrays are too small for the node's contents
 * @BWT_BROKEN: the chain is malformed (a bug, already WARNed about)
 *
 * The internal functions speak these; errnos are for the API.
 */
enum bwt_res {
	BWT_DONE,
	BWT_RESTART,
	BWT_AGAIN,
	BWT_NOTHING,
	BWT_NO_LEVEL,
	BWT_COLLAPSED,
	BWT_SHORT,
	BWT_BROKEN,
};

#define BWT_SUM_LEN	16		/* summary entries of a base node */

/**
 * struct bwt_rec - one record: a delta, or a base node with its arrays
 * @kind: &enum bwtree_kind
 * @level: 0 for leaves, parents one more than their children
 * @depth: delta records between here and the base (this one included,
 *	both halves of a merge counted), 0 for a base node
 * @hinf: the node's high key is +infinity (@high is then unused)
 * @count: items in the node (keys, or children for an inner node)
 * @next: the next older record of the chain, NULL for a base node
 * @kv: INSERT, DELETE: the key and value; @kv.base, the base node of the
 *	chain below when it has one only (no SPLIT or MERGE above it), else
 *	NULL: a search prefetches it while it walks the deltas
 * @idx: INDEX, INDEX_DEL: separator @idx.key was added (removed); keys in
 *	[@idx.lo, @idx.hi) (or to +inf when @idx_hinf) route to @idx.child
 * @merge: MERGE: keys >= @merge.sep are in chain @merge.removed
 * @upd: base nodes: the in-place update in flight and the freeze
 *	(update.c): @upd.state its phase and slot, @upd.val its value
 * @rm: REMOVE: the merge's state; @rm.collapse is the root's new contents
 *	when the node is the root's only child; @rm.thaw, for a merge, an
 *	unpublished copy of the record frozen, what an abort installs; once
 *	the merge is over (@rm.thaw freed) @rm.tree and @rm.pid for
 *	retirement
 * @upd_room: base nodes: where @upd.state is, for @cap, @sum_shift and
 *	@sum_order to lie in the gap after it, before @upd.val
 * @cap: base nodes: capacity of @keys and of the values after it
 * @sum_shift: base nodes: the summary holds keys as (key - @low) >> this
 * @sum_order: base nodes: a group of keys is 8 << this keys (one cache
 *	line at order 0), the first group excepted
 * @sum: base nodes: the summary, the first key of each group but the first
 *	(bwt_base_seal() writes it; see the DOC on the base node layout)
 * @low: lowest key the node holds (inclusive)
 * @high: first key the node no longer holds (exclusive), unless @hinf
 * @right: pid of the right sibling, or BWT_NIL
 * @rcu: for freeing after a grace period
 * @dead: set when the record is retired, before call_rcu(); only
 *	bwtree_validate() reads it, to find a retired record still reachable
 * @idx_hinf: INDEX, INDEX_DEL: @idx.hi is +infinity
 * @keys: base nodes: sorted keys, then @cap values (or child pids)
 *
 * What a search reads of a delta (kind, next, key, value) sits in its first
 * 32 bytes, the node's range (@low, @high) in the next 32, and neither
 * straddles a cache line (deltas are 32-byte aligned and sized).  A base
 * node is cache-line aligned, and what a search reads of it, @right
 * excepted (only read to move right), sits in its first line: the kind,
 * level and count, @cap, the summary, @low and @high (and @upd).
 */
struct bwt_rec {
	u8 kind;
	u8 level;
	u8 depth;
	u8 hinf;
	u32 count;
	struct bwt_rec *next;
	union {
		struct {
			s64 key;
			u64 val;
			const struct bwt_rec *base;
		} kv;
		struct {
			s64 key;
			u64 child;
			s64 lo;
			s64 hi;
		} idx;
		struct {
			s64 sep;
			struct bwt_rec *removed;
		} merge;
		struct {
			union {
				struct {
					atomic_t state;
					u64 val;
				} upd;
				struct {
					u32 upd_room;
					u16 cap;
					u8 sum_shift;
					u8 sum_order;
				};
			};
			u8 sum[BWT_SUM_LEN];
		};
		struct {
			atomic_t state;
			struct bwt_rec *collapse;
			union {
				struct bwt_rec *thaw;
				struct {
					struct bwtree *tree;
					u64 pid;
				};
			};
		} rm;
	};
	s64 low;
	s64 high;
	u64 right;
	struct rcu_head rcu;
	u8 dead;
	u8 idx_hinf;
	s64 keys[];
};

#define BWT_REC_ALIGN	32		/* of deltas */
#define BWT_LINE	64		/* the cache line the layout is made for */
#define BWT_DELTA_SIZE	sizeof(struct bwt_rec)
#define BWT_BASE_SIZE(cap) \
	(sizeof(struct bwt_rec) + (size_t)(cap) * 2 * sizeof(s64))

static inline u64 *bwt_vals(const struct bwt_rec *b)
{
	return (u64 *)&b->keys[b->cap];
}

/**
 * DOC: Base node layout
 *
 * A base node is aligned to a cache line, and its size classes make its
 * size a multiple of one (record.c), so its lines are always these (64-byte
 * lines; a node of capacity 46, 13 lines)::
 *
 *   line 0   kind level depth hinf count | next | upd.state cap shift
 *            order | upd.val | sum[16] | low | high
 *   line 1   right | rcu | dead idx_hinf | keys[0..3]      group 0
 *   line 2   keys[4..11]                                   group 1
 *   ...
 *   line 6   keys[36..43]                                  group 5
 *   line 7   keys[44..45] | vals[0..5]                     group 6
 *   line 8   vals[6..13]
 *   ...
 *
 * Keys fall into *groups* that are whole cache lines: group 0 is the keys
 * before the first line boundary (BWT_SKEW of them), group g >= 1 the
 * 8 << @sum_order keys from BWT_SKEW + (g - 1) * (8 << @sum_order), 8 keys
 * being a line (BWT_LINE_SHIFT).  The summary, in line 0, holds the first
 * key of every group but group 0, cut to 8 bits as (key - @low) >>
 * @sum_shift, the shift being the least that makes the node's largest key
 * fit; unused entries are BWT_SUM_NONE, and so is the last, a sentinel.
 * So a search reads line 0, finds the group from the summary in four
 * branch-free steps (bwt_sum_group()), and reads one line of keys (at
 * @sum_order 0, for nodes of up to BWT_SKEW + 15 * 8 = 124 keys) and one
 * line of values, which it prefetches as soon as it knows the group.
 *
 * Cutting keys to 8 bits keeps their order but may make two equal: the
 * summary then picks the last group whose cut first key equals the key's,
 * which is right unless the key is below that group's first key; the
 * search sees it (the floor falls below the group) and searches the group
 * before, then, should the key be below that one's first key too, all the
 * keys before it: always right, and for keys spread evenly over a node it
 * takes the one line more in about 3% of the searches.
 *
 * @cap, @sum_shift and @sum_order share line 0 with the summary, in the gap
 * that the alignment of @upd.val leaves after @upd.state: nothing stores
 * @upd as a whole (update.c stores its two fields), so nothing writes that
 * gap but bwt_base_alloc() and bwt_base_seal().
 *
 * Everything that builds a base node ends with bwt_base_seal(), which
 * writes the summary from the keys, the count and @low; bwtree_validate()
 * checks it with bwt_base_sealed().
 */
#define BWT_SUM_NONE	0xff		/* no group; greater than any key */
#define BWT_SUM_TOP	0xfe		/* the greatest summary entry */
/* Keys in line 1, before the first line boundary in @keys. */
#define BWT_SKEW	((BWT_LINE - offsetof(struct bwt_rec, keys) % BWT_LINE) / \
			 sizeof(s64))

#define BWT_LINE_SHIFT	3		/* log2 of the keys in a line */

/* The first key of group @g (see the DOC on the base node layout). */
static inline unsigned int bwt_group_start(const struct bwt_rec *b,
					   unsigned int g)
{
	return g ? BWT_SKEW + ((g - 1) << (BWT_LINE_SHIFT + b->sum_order)) : 0;
}

/*
 * The group of base node @b the summary says holds the last key <= @key:
 * the entries at most @key's cut, counted in four branch-free steps (the
 * 16th entry, the sentinel, is never read).  It is never too low, and too
 * high only when @key's cut equals the group's first key's (see the DOC
 * on the base node layout).
 */
static __always_inline unsigned int bwt_sum_group(const struct bwt_rec *b,
						  s64 key)
{
	u64 q = ((u64)key - (u64)b->low) >> b->sum_shift;
	unsigned int g;

	q = min_t(u64, q, BWT_SUM_TOP);
	g = (b->sum[7] <= q) << 3;
	g += (b->sum[g + 3] <= q) << 2;
	g += (b->sum[g + 1] <= q) << 1;
	g += b->sum[g] <= q;
	return g;
}

/*
 * Prefetching a record before it is read, for a reader that has other work
 * to do meanwhile (the batched lookups): the lines of @len bytes at @p.
 */
static inline void bwt_prefetch_lines(const void *p, size_t len)
{
	const char *line = PTR_ALIGN_DOWN((const char *)p, L1_CACHE_BYTES);
	const char *end = (const char *)p + len;

	for (; line < end; line += L1_CACHE_BYTES)
		prefetch(line);
}

/*
 * What a descent reads of a node's newest record before it searches: the
 * header's first line (kind, level, count, next) and its range (low, high,
 * right), which may lie in the line after.
 */
static inline void bwt_rec_prefetch(const struct bwt_rec *r)
{
	prefetch(r);
	prefetch(&r->right);
}

/*
 * What a search of base node @b for @key (line 0 already read) will read
 * besides line 0: the group of keys the summary picks, and their values.
 */
static inline void bwt_base_prefetch(const struct bwt_rec *b, s64 key)
{
	unsigned int lo = bwt_group_start(b, bwt_sum_group(b, key));
	size_t len = sizeof(s64) << (BWT_LINE_SHIFT + b->sum_order);

	bwt_prefetch_lines(&b->keys[lo], len);
	bwt_prefetch_lines(&bwt_vals(b)[lo], len);
}

static inline bool bwt_is_base(const struct bwt_rec *r)
{
	return r->kind == BWTREE_LEAF || r->kind == BWTREE_INNER;
}

/* A leaf's base node, if a search can learn it from @r: see @kv.base. */
static inline const struct bwt_rec *bwt_chain_base(const struct bwt_rec *r)
{
	switch (r->kind) {
	case BWTREE_LEAF:
	case BWTREE_INNER:
		return r;
	case BWTREE_INSERT:
	case BWTREE_DELETE:
		return r->kv.base;
	default:
		return NULL;
	}
}

/* Does the node whose newest record is @r hold @key (ignoring its low)? */
static inline bool bwt_below_high(const struct bwt_rec *r, s64 key)
{
	return r->hinf || key < r->high;
}

static inline bool bwt_holds(const struct bwt_rec *r, s64 key)
{
	return key >= r->low && bwt_below_high(r, key);
}

/**
 * DOC: Mapping table
 *
 * The mapping table is an array of segments that double in size: segment
 * s holds 2^(s + BWT_MAP_SHIFT) slots, so a fixed directory of BWT_MAP_SEGS
 * segments covers every pid a u32 can name, and the table grows by
 * allocating one more segment (outside any RCU read section) and
 * publishing it with cmpxchg().  Segments are never moved or freed while
 * the tree lives, so readers index them without any synchronisation but
 * the acquire load of the segment pointer.
 *
 * Each slot is an RCU-protected pointer to a node's newest record.  Beside
 * the slots, each segment keeps a u32 "next free" link per pid, so page IDs
 * freed after a grace period form a Treiber stack whose head packs the top
 * pid with a 32-bit tag against ABA.
 */
#define BWT_MAP_SHIFT	6
#define BWT_MAP_SEGS	26
#define BWT_MAX_PID	((1ULL << (BWT_MAP_SEGS + BWT_MAP_SHIFT)) - \
			 (1ULL << BWT_MAP_SHIFT) - 1)

struct bwt_map_seg {
	u32 *next_free;
	struct bwt_rec __rcu *slot[];
};

struct bwt_map {
	struct bwt_map_seg *seg[BWT_MAP_SEGS];
	atomic64_t next_pid;
	atomic64_t free_head;		/* tag << 32 | pid, U32_MAX: empty */
};

/* The segment of @pid, and its offset there into *@off. */
static inline unsigned int bwt_map_seg_of(u64 pid, u64 *off)
{
	u64 x = pid + (1ULL << BWT_MAP_SHIFT);
	unsigned int s = fls64(x) - 1 - BWT_MAP_SHIFT;

	*off = x - (1ULL << (s + BWT_MAP_SHIFT));
	return s;
}

/**
 * bwt_map_slot() - the slot of a page ID
 * @map: the mapping table
 * @pid: a page ID returned by bwt_pid_alloc()
 *
 * Inline: every level of every descent takes it.
 *
 * Context: any; the segment exists since the pid was allocated.
 * Return: the slot.
 */
static inline struct bwt_rec __rcu **bwt_map_slot(struct bwt_map *map,
						  u64 pid)
{
	u64 off;
	unsigned int s = bwt_map_seg_of(pid, &off);
	/* Pairs with the cmpxchg() that published the segment. */
	struct bwt_map_seg *seg = smp_load_acquire(&map->seg[s]);

	return &seg->slot[off];
}

/**
 * DOC: Counters
 *
 * The counters a write bumps are per CPU and summed only when read, so
 * writers on different CPUs share no counter's cache line (but for the
 * rare writes named below).
 *
 * - Statistics: a &struct bwtree_stats per CPU, of which the counted
 *   fields are used (records, pages, consolidations, splits, merges,
 *   cas_failures, retries, reader_yields); bwt_stat_inc() and friends,
 *   this_cpu operations, one line at every site; bwtree_get_stats() adds
 *   up every possible CPU's copy.  A copy may wrap below zero (a record
 *   counted on one CPU and retired on another); the sum is right modulo
 *   2^64, and exact when no update is in flight (a 32-bit kernel may read
 *   a copy torn while it is written: statistics only).  longest_chain is
 *   not per CPU: a maximum that is only raised, so written a few dozen
 *   times in a tree's life, and read by each write from a line that stays
 *   shared.
 * - The key count (@count of &struct bwtree) is a percpu_counter with the
 *   local batch (PERCPU_COUNTER_LOCAL_BATCH): a CPU folds into the shared
 *   total only past 2^31 keys of its own, and bwtree_count() is
 *   percpu_counter_sum(), exact when no update is in flight.
 * - The byte charge (@bytes, and &bwtree_account.bytes of a shared
 *   account) is a percpu_counter with batch BWT_BYTES_BATCH: each CPU
 *   holds less than that many bytes of the charge, so the shared total is
 *   off by less than BWT_BYTES_BATCH * num_online_cpus(), and a CPU writes
 *   the shared line once per BWT_BYTES_BATCH bytes of net charge (some 700
 *   deltas).
 *   Both are changed in process context only (RCU callbacks free memory
 *   already uncharged): percpu_counter_add_batch() of 6.1 is not safe
 *   against an interrupt that adds to the same counter.
 *
 * The memory limits (max_bytes, the account's limit) stay exact: a write
 * compares each charge with its limit through __percpu_counter_compare()
 * with the same batch, which decides from the shared total when that is
 * further from the limit than the error bound, and otherwise from the
 * exact sum.  So a write is refused exactly when the charge, summed at the
 * check, has reached the limit, as with one shared atomic; the price is a
 * sum over the CPUs (under the counter's lock) for every write while the
 * charge is within BWT_BYTES_BATCH * num_online_cpus() of a limit.  As
 * before, writes that passed the check may still allocate what they need,
 * so a tree may pass its limit by what the writers in flight allocate: a
 * few base nodes and deltas each, or a new segment of the mapping table.
 */
#define BWT_BYTES_BATCH		(64 * 1024)

/*
 * Count a statistic on this CPU, one line at every site:
 * bwt_stat_inc(tree, splits), bwt_stat_dec(tree, records[kind]).
 */
#define bwt_stat_add(tree, field, n)	this_cpu_add((*(tree)->stats).field, (n))
#define bwt_stat_sub(tree, field, n)	this_cpu_sub((*(tree)->stats).field, (n))
#define bwt_stat_inc(tree, field)	this_cpu_inc((*(tree)->stats).field)
#define bwt_stat_dec(tree, field)	this_cpu_dec((*(tree)->stats).field)

/**
 * struct bwtree - one tree
 * @map: the mapping table
 * @max_bytes: inserts fail with -ENOSPC once @bytes reaches this (0: none)
 * @account: shared account also charged, or NULL
 * @leaf_max: most keys in a leaf before it splits
 * @inner_max: most children of an inner node before it splits
 * @leaf_min: a leaf with fewer keys merges
 * @inner_min: an inner node with fewer children merges
 * @chain_max: longest delta chain before consolidation
 * @stats: statistics, per CPU (see DOC: Counters)
 * @longest_chain: longest delta chain seen, only ever raised
 * @count: keys in the tree
 * @bytes: bytes of records, table and the tree itself charged to the tree
 *
 * After bwtree_create() only the mapping table's pid allocator, the
 * percpu_counters' rare folds and a new @longest_chain write here; see
 * DOC: Counters.
 */
struct bwtree {
	struct bwt_map map;
	unsigned long max_bytes;
	struct bwtree_account *account;
	unsigned int leaf_max;
	unsigned int inner_max;
	unsigned int leaf_min;
	unsigned int inner_min;
	unsigned int chain_max;
	struct bwtree_stats __percpu *stats;
	atomic_t longest_chain;
	struct percpu_counter count;
	struct percpu_counter bytes;
};

/* Keys added (@n > 0) or removed (@n < 0): see DOC: Counters. */
static inline void bwt_count_add(struct bwtree *tree, s64 n)
{
	percpu_counter_add_local(&tree->count, n);
}

struct bwt_bag {
	s64 *keys;
	u64 *vals;
	unsigned int n;
	unsigned int cap;
};

/*
 * Scratch space for folding a chain: the deltas that decide a key and the
 * base nodes with the range each still owns.
 */
#define BWT_GATHER_MAX	(2 * (BWTREE_MAX_CHAIN + BWT_CHAIN_SLACK) + 8)

/*
 * A record of a chain with the key range it still decides: a walk narrows
 * the range at a SPLIT delta (to the new high key) and at a MERGE delta
 * (the absorbed chain keeps the keys at or above the separator, ->next
 * those below).
 */
struct bwt_span {
	const struct bwt_rec *rec;
	s64 lo;
	s64 hi;
	bool hinf;
};

/*
 * The pieces of a fold: @delta and @span have room for @max entries each;
 * bwt_scratch_reserve() allocates them for BWT_GATHER_MAX, and a caller
 * that folds only short chains may keep them on its stack
 * (bwt_gather_init()).
 */
struct bwt_gather {
	const struct bwt_rec **delta;
	struct bwt_span *span;
	unsigned int max;
	unsigned int nd;
	unsigned int ns;
};

/* Point @g at arrays of @max entries each. */
static inline void bwt_gather_init(struct bwt_gather *g,
				   const struct bwt_rec **delta,
				   struct bwt_span *span, unsigned int max)
{
	*g = (struct bwt_gather){ .delta = delta, .span = span, .max = max };
}

/**
 * DOC: Walking a chain
 *
 * Two walks cover every use of a chain, and both live in chain.c:
 *
 * - bwt_chain_step() walks towards one key: at a MERGE delta it takes the
 *   absorbed chain (->merge.removed) for keys at or above the separator,
 *   ->next for the others.  Searches and routing use it.
 * - &struct bwt_chain visits every record of a chain, both branches of
 *   every MERGE, each with the key range it still decides (&struct
 *   bwt_span), newest first along every path.  Folding, freeing,
 *   validation and the dump use it::
 *
 *	struct bwt_chain it;
 *
 *	bwt_chain_start(&it, top, top->low, top->high, top->hinf);
 *	while (bwt_chain_next(&it))
 *		use(it.at.rec, it.at.lo, it.at.hi, it.at.hinf);
 *
 *   The walk has advanced past it.at.rec when the body runs, so the body
 *   may free it.  At a fork the walk goes on into the branch with fewer
 *   records and stacks the other, so BWT_CHAIN_FORKS stacked branches
 *   cover a chain of 2^BWT_CHAIN_FORKS records, far beyond the longest a
 *   merge may build; a chain deeper than that sets ->bad and its
 *   rest is not visited (->bad, also set for a delta without a next
 *   record).
 */
#define BWT_CHAIN_FORKS	12

struct bwt_chain {
	struct bwt_span at;
	struct bwt_span next;
	struct bwt_span fork[BWT_CHAIN_FORKS];
	unsigned int nfork;
	bool bad;
};

/* The next record towards @key after @rec, NULL after a base node. */
static inline const struct bwt_rec *
bwt_chain_step(const struct bwt_rec *rec, s64 key)
{
	if (rec->kind == BWTREE_MERGE && key >= rec->merge.sep)
		return rec->merge.removed;
	return rec->next;
}

/**
 * DOC: What an operation needs
 *
 * One operation's memory, allocated before it is published: the work
 * inside the read section takes from here.  Whatever needs memory states
 * it in a &struct bwt_need and asks bwt_op_want(), which records the need
 * in the operation and, if it is not met yet, allocates the rest at once
 * with GFP_NOWAIT; only if that fails does the work drop out to restart,
 * and bwt_op_refill() allocates what was recorded, with GFP_KERNEL, before
 * the next attempt.  What a write surely needs it states up front with
 * bwt_op_plan(), for the first refill.  Base nodes and page IDs sit in
 * slots named for what they become.
 */
#define BWT_OP_DELTAS	6

enum bwt_base_slot {
	/*
	 * A node's new base: consolidation, a merge's unfreeze copy, a
	 * collapse's copy of the child, a split's lower half (the root's: its
	 * new left child).
	 */
	BWT_BASE_NEW,
	BWT_BASE_RIGHT,		/* a split's new right node */
	BWT_BASE_ROOT,		/* a root split's new root */
	BWT_NR_BASES,
};

enum bwt_pid_slot {
	BWT_PID_LEFT,		/* a root split's new left child */
	BWT_PID_RIGHT,		/* a split's new right node */
	BWT_NR_PIDS,
};

/**
 * struct bwt_need - what one step of an operation needs preallocated
 * @deltas: delta records
 * @cap: for each &enum bwt_base_slot, the base node's capacity (0: none)
 * @pid: for each &enum bwt_pid_slot, whether a fresh page ID is needed
 * @scratch: items the scratch arrays must hold (0: none)
 * @fold: space to fold a chain (&struct bwt_gather); implied by @scratch
 */
struct bwt_need {
	unsigned int deltas;
	unsigned int cap[BWT_NR_BASES];
	bool pid[BWT_NR_PIDS];
	unsigned int scratch;
	bool fold;
};

struct bwt_op {
	struct bwtree *tree;
	struct bwt_need need;
	struct bwt_rec *delta[BWT_OP_DELTAS];
	unsigned int ndelta;
	struct bwt_rec *base[BWT_NR_BASES];
	u64 pid[BWT_NR_PIDS];
	struct bwt_bag scratch;
	struct bwt_gather *gather;
	unsigned int restarts;
	unsigned int help_depth;
	bool writer;
};

/* record.c */
int bwt_records_init(void);
void bwt_records_exit(void);
struct bwt_rec *bwt_delta_alloc(struct bwtree *tree, gfp_t gfp);
struct bwt_rec *bwt_base_alloc(struct bwtree *tree, unsigned int cap, gfp_t gfp);
unsigned int bwt_base_cap(unsigned int n);
void bwt_rec_free_now(struct bwtree *tree, struct bwt_rec *rec);
void bwt_rec_uncharge(struct bwtree *tree, struct bwt_rec *rec);
void bwt_rec_release(struct bwt_rec *rec);
void bwt_chain_retire(struct bwtree *tree, struct bwt_rec *top);
void bwt_chain_free_now(struct bwtree *tree, struct bwt_rec *top);
void bwt_one_retire(struct bwtree *tree, struct bwt_rec *rec);
void bwt_charge(struct bwtree *tree, long bytes);

/* counter.c */
int bwt_counters_init(struct bwtree *tree);
void bwt_counters_destroy(struct bwtree *tree);
size_t bwt_counters_size(void);
void bwt_stats_sum(struct bwtree *tree, struct bwtree_stats *stats);

/* base.c */
void bwt_base_seal(struct bwt_rec *b);
bool bwt_base_sealed(const struct bwt_rec *b);

/* mapping.c */
int bwt_map_init(struct bwtree *tree);
void bwt_map_destroy(struct bwtree *tree);
int bwt_pid_alloc(struct bwtree *tree, u64 *pid, gfp_t gfp);
void bwt_pid_free(struct bwtree *tree, u64 pid);
void bwt_pid_retire(struct bwtree *tree, u64 pid, struct bwt_rec *rd);

/**
 * bwt_read() - the newest record of a node
 * @tree: the tree
 * @pid: the node's page ID, allocated and published
 *
 * Context: RCU read-side critical section.
 * Return: the record, or NULL for a pid that was freed.
 */
static inline struct bwt_rec *bwt_read(struct bwtree *tree, u64 pid)
{
	return rcu_dereference(*bwt_map_slot(&tree->map, pid));
}

/**
 * DOC: Compare-and-swap and ABA
 *
 * Every compare-and-swap in the core, and why a value seen again cannot
 * fool it (each site repeats its sentence):
 *
 * - bwt_cas() on a mapping slot, everywhere a record is published: the old
 *   record was read in the same RCU read section, records are freed only
 *   after a grace period, and no record is ever put back into a slot it
 *   left.  The one place that did, the unfreeze of an aborted merge, now
 *   installs a copy made before the freeze (@rm.thaw), never published
 *   before.  So "the slot still holds @old" means the node has not changed
 *   since it was read.
 * - The slots of new pids (bwt_split(), bwt_split_root()) are set before
 *   the publishing compare-and-swap and emptied if it fails: nobody can
 *   have read them, for nothing pointed to them.
 * - A pid is reused only after bwt_pid_rcu() ran, a grace period after its
 *   node became unreachable from its parent and its left sibling; a reader
 *   holding the pid from before is in a read section that grace period
 *   waited for, so within one section a pid never names two nodes.
 * - The free-pid stack's head (bwt_pid_alloc(), bwt_pid_free()) packs a
 *   tag that changes on every push and pop.
 * - next_pid's hand-back, segment publication (NULL -> segment, once),
 *   the REMOVE state (PENDING -> decided, once), longest_chain (only
 *   raised): values that do not come back, or whose return is harmless.
 * - Records an operation preallocated go back to it (bwt_op_undelta())
 *   only after a failed compare-and-swap, i.e. unseen.
 */

/**
 * bwt_cas() - replace a node's newest record
 * @tree: the tree
 * @pid: the node's page ID
 * @old: the record read from the slot in this same RCU read section
 * @new: the record to publish, fully initialised
 *
 * cmpxchg() is fully ordered, so every store that built @new is visible
 * before the pointer is; readers load the pointer with rcu_dereference(),
 * whose address dependency orders their reads of @new after it.  @old was
 * read in this RCU read section and so cannot have been freed and reused
 * (no ABA on the pointer).
 *
 * Context: RCU read-side critical section.
 * Return: true if @new was installed.
 */
static inline bool bwt_cas(struct bwtree *tree, u64 pid, struct bwt_rec *old,
			   struct bwt_rec *new)
{
	struct bwt_rec __rcu **slot = bwt_map_slot(&tree->map, pid);

	if (unrcu_pointer(cmpxchg(slot, RCU_INITIALIZER(old),
				  RCU_INITIALIZER(new))) == old)
		return true;
	bwt_stat_inc(tree, cas_failures);
	return false;
}

/* chain.c */
struct bwt_route {
	s64 lo;
	s64 hi;
	bool hinf;
	u64 child;
};

int bwt_base_floor(const struct bwt_rec *b, s64 key);
unsigned int bwt_base_ceil(const struct bwt_rec *b, s64 key);
void bwt_chain_start(struct bwt_chain *it, const struct bwt_rec *top, s64 lo,
		     s64 hi, bool hinf);
bool bwt_chain_next(struct bwt_chain *it);
bool bwt_leaf_find(const struct bwt_rec *rec, s64 key, u64 *val);

/* Where a leaf's base node decided a key: bwt_leaf_find_at(). */
struct bwt_found {
	const struct bwt_rec *base;
	unsigned int slot;
};

bool bwt_leaf_find_at(const struct bwt_rec *rec, s64 key, u64 *val,
		      struct bwt_found *at);
void bwt_route(const struct bwt_rec *rec, s64 key, struct bwt_route *rt);

u64 bwt_route_child(const struct bwt_rec *rec, s64 key);

enum bwt_res bwt_collect_range(const struct bwt_rec *top,
			       const struct bwt_span *win, struct bwt_bag *bag,
			       struct bwt_gather *g);
enum bwt_res bwt_collect(const struct bwt_rec *top, struct bwt_bag *bag,
			 struct bwt_gather *g);
void bwt_rec_init_delta(struct bwt_rec *d, const struct bwt_rec *top,
			enum bwtree_kind kind);

/* descend.c */
struct bwt_pos {
	u64 pid;
	struct bwt_rec *top;
	u64 ppid;			/* parent, or BWT_NIL */
	struct bwt_rec *ptop;
	struct bwt_route proute;	/* the parent's entry we came by */
	bool via_right;
};

enum bwt_res bwt_descend(struct bwt_op *op, s64 key, unsigned int level,
			 struct bwt_pos *pos);
enum bwt_res bwt_descend_resume(struct bwt_op *op, s64 key, unsigned int level,
				struct bwt_pos *pos);
const struct bwt_rec *bwt_descend_reader(struct bwtree *tree, s64 key,
					 u64 *leaf_pid);

/**
 * enum bwt_step - where one node of a reader's descent sends it
 * @BWT_STEP_HERE: the node holds the key: search it, or route to a child
 * @BWT_STEP_RIGHT: the key lies to the right: go on at the right sibling
 * @BWT_STEP_RESTART: a stale route; start again from the root
 * @BWT_STEP_FROZEN: a node frozen by a committed merge, reached from its
 *	parent: its contents hold only while the parent still routes the key
 *	to it (bwt_frozen_still_routed()); restart otherwise
 */
enum bwt_step {
	BWT_STEP_HERE,
	BWT_STEP_RIGHT,
	BWT_STEP_RESTART,
	BWT_STEP_FROZEN,
};

bool bwt_frozen_still_routed(struct bwtree *tree, u64 ppid, u64 pid,
			     unsigned int level, s64 key);

/**
 * bwt_descend_at() - one node of a reader's descent
 * @top: in: the record just read from the node's mapping slot (NULL for a
 *	freed pid); out, for BWT_STEP_HERE: the record to search (the one
 *	under a REMOVE delta)
 * @key: the key
 * @via_right: the node was reached through a right-sibling link
 * @right: out, for BWT_STEP_RIGHT: the right sibling's pid
 *
 * The rules every reader follows at a node, shared by bwt_descend_reader()
 * and the batched lookups (lookup_batch.c), which run them a node at a time:
 * a frozen node is read through its REMOVE delta unless the merge committed
 * and the node was reached from its parent (its contents may have moved
 * left: BWT_STEP_FROZEN, *@top still the REMOVE delta) or it is a
 * collapsed root; a key at or above the high key goes right; a key below
 * the low key means a stale route.
 *
 * Context: RCU read-side critical section.
 * Return: the &enum bwt_step to take.
 */
static __always_inline enum bwt_step
bwt_descend_at(const struct bwt_rec **top, s64 key, bool via_right, u64 *right)
{
	const struct bwt_rec *t = *top;

	if (unlikely(!t))
		return BWT_STEP_RESTART;	/* a freed pid: a stale route */
	if (unlikely(t->kind == BWTREE_REMOVE)) {
		if (atomic_read(&t->rm.state) == BWT_RM_COMMITTED) {
			if (!via_right)
				return BWT_STEP_FROZEN;
			if (t->rm.collapse)
				return BWT_STEP_RESTART;
		}
		t = t->next;
		*top = t;
	}
	if (unlikely(!bwt_below_high(t, key))) {
		if (unlikely(t->right == BWT_NIL))
			return BWT_STEP_RESTART;
		*right = t->right;
		return BWT_STEP_RIGHT;
	}
	if (unlikely(key < t->low))
		return BWT_STEP_RESTART;	/* routed past the key: stale */
	return BWT_STEP_HERE;
}

/* lookup_batch.c: see the DOC there. */
#ifndef BWT_BATCH_GROUP
#define BWT_BATCH_GROUP		16	/* lookups in flight at once */
#endif
#define BWT_BATCH_SECTION	64	/* most keys per RCU read section */

/* op.c */
int bwt_scratch_reserve(struct bwt_bag *bag, struct bwt_gather **gather,
			unsigned int cap, gfp_t gfp);
void bwt_scratch_free(struct bwt_bag *bag, struct bwt_gather **gather);
void bwt_op_init(struct bwt_op *op, struct bwtree *tree, bool writer);
bool bwt_op_plan(struct bwt_op *op, const struct bwt_need *need);
bool bwt_op_want(struct bwt_op *op, const struct bwt_need *need);
int bwt_op_refill(struct bwt_op *op);
void bwt_op_finish(struct bwt_op *op);
void bwt_op_backoff(struct bwt_op *op);
struct bwt_rec *bwt_op_delta(struct bwt_op *op);
void bwt_op_undelta(struct bwt_op *op, struct bwt_rec *d);

/* tree.c */
void bwt_note_chain(struct bwtree *tree, unsigned int depth);

/* Longest chain a merge may build; writers consolidate from chain_max. */
static inline unsigned int bwt_chain_bound(const struct bwtree *tree)
{
	return 2 * (tree->chain_max + BWT_CHAIN_SLACK);
}

/* update.c */
void bwt_chain_freeze(const struct bwt_rec *top);
bool bwt_update_in_place(const struct bwt_rec *b, unsigned int slot, u64 val);
bool bwt_upsert_in_place(struct bwtree *tree, s64 key, u64 val);

/* smo.c */
enum bwt_res bwt_consolidate(struct bwt_op *op, u64 pid, struct bwt_rec *top);
enum bwt_res bwt_split(struct bwt_op *op, struct bwt_pos *pos, s64 key);
enum bwt_res bwt_help_remove(struct bwt_op *op, u64 pid, struct bwt_rec *rd);
enum bwt_res bwt_post_index(struct bwt_op *op, struct bwt_pos *pos);
enum bwt_res bwt_try_merge(struct bwt_op *op, s64 key, unsigned int level);
enum bwt_res bwt_maintain(struct bwt_op *op, struct bwt_pos *pos, s64 key);

#endif /* _BWTREE_INTERNAL_H */
