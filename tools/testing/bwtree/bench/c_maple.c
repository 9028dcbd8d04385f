// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark contender: the kernel's maple tree, lib/maple_tree.c compiled in
 * userspace the way tools/testing/radix-tree does (its shims from
 * tools/testing/shared and tools/include), in RCU mode (MT_FLAGS_USE_RCU),
 * writers serialised by the tree's own lock, readers lock-free under RCU.
 *
 * Differences from radix-tree's build, for a fair comparison: no
 * CONFIG_DEBUG_MAPLE_TREE, -O2, and kmem_cache_* are served by the same
 * allocator as our tree (lib/slab.c) instead of tools/testing/shared/linux.c,
 * whose GFP_NOWAIT allocations fail on purpose (to test the retry path) and
 * would make every maple insert that allocates run twice.
 *
 * Keys: s64 k maps to the index k ^ (1 << 63), which keeps the order; values
 * are stored as xa_mk_value() (maple reserves some pointer patterns).
 */
#define CONFIG_MAPLE_SEARCH
#define MAPLE_32BIT (MAPLE_NODE_SLOTS > 31)
#include "shared.h"
#include <stdlib.h>
#include <time.h>
#include "linux/init.h"
#include "../../../lib/maple_tree.c"
#include "contender.h"
#include "shim_alloc.h"

#define BWT_GFP_ZERO	0x100u
#define BWT_GFP_KERNEL	0x4c0u

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	return bwt_cache_create(name, size, align, flags, ctor);
}

void *kmem_cache_alloc_lru(struct kmem_cache *c, struct list_lru *lru, int gfp)
{
	/* GFP_NOWAIT succeeds, as it almost always does in the kernel */
	return bwt_cache_alloc(c, BWT_GFP_KERNEL | ((gfp & __GFP_ZERO) ? BWT_GFP_ZERO : 0));
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	bwt_cache_free(c, obj);
}

void kmem_cache_free_bulk(struct kmem_cache *c, size_t n, void **list)
{
	size_t i;

	for (i = 0; i < n; i++)
		bwt_cache_free(c, list[i]);
}

int kmem_cache_alloc_bulk(struct kmem_cache *c, gfp_t gfp, size_t n, void **list)
{
	size_t i;

	for (i = 0; i < n; i++) {
		list[i] = kmem_cache_alloc_lru(c, NULL, gfp);
		if (!list[i]) {
			kmem_cache_free_bulk(c, i, list);
			return 0;
		}
	}
	return n;
}

static long base_bytes;

static inline unsigned long idx(int64_t k)
{
	return (unsigned long)k ^ (1UL << 63);
}

static void *m_create(void)
{
	struct maple_tree *mt = malloc(sizeof(*mt));

	if (!maple_node_cache)
		maple_tree_init();
	base_bytes = bwt_live_bytes();
	mt_init_flags(mt, MT_FLAGS_USE_RCU);
	return mt;
}

/*
 * No reader is left when the benchmark destroys a tree, so leave RCU mode
 * first: 6.12's RCU-mode teardown (mt_free_walk() from call_rcu) crashes in
 * mte_dead_walk() on trees built by >= 50k ascending inserts, with
 * tools/testing/shared's own allocator too (a maple tree bug, not ours).
 */
static void m_destroy(void *t)
{
	mt_clear_in_rcu(t);
	mtree_destroy(t);
	free(t);
}

static int m_insert(void *t, int64_t k, uint64_t v)
{
	return mtree_insert(t, idx(k), xa_mk_value(v), GFP_KERNEL);
}

static int m_update(void *t, int64_t k, uint64_t v)
{
	return mtree_store(t, idx(k), xa_mk_value(v), GFP_KERNEL);
}

static int m_lookup(void *t, int64_t k, uint64_t *v)
{
	void *e = mtree_load(t, idx(k));

	if (!e)
		return -ENOENT;
	*v = xa_to_value(e);
	return 0;
}

static long m_scan(void *t, int64_t k, long n, uint64_t *sum)
{
	MA_STATE(mas, t, idx(k), idx(k));
	void *entry;
	long got = 0;

	rcu_read_lock();
	mas_for_each(&mas, entry, ULONG_MAX) {
		*sum += xa_to_value(entry);
		if (++got >= n)
			break;
	}
	rcu_read_unlock();
	return got;
}

static long m_bytes(void *t)
{
	return bwt_live_bytes() - base_bytes;
}

static void m_thread_start(void)
{
	bwt_rcu_register();	/* the same liburcu-memb registry */
}

static void m_quiesce(void)
{
	urcu_memb_barrier();	/* maple uses liburcu's call_rcu directly */
}

const struct contender contender_maple = {
	.name = "maple",
	.create = m_create, .destroy = m_destroy, .insert = m_insert,
	.update = m_update, .lookup = m_lookup, .scan = m_scan,
	.bytes = m_bytes, .thread_start = m_thread_start, .quiesce = m_quiesce,
};
