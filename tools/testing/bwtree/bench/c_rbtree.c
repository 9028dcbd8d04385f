// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark contender: the kernel's rbtree (tools/lib/rbtree.c, the same
 * code as lib/rbtree.c) under a pthread rwlock: readers share it, writers
 * hold it alone.  Nodes come from the shim allocator's kmem_cache, so their
 * bytes are counted as the kernel's slab would (40-byte objects).
 */
#include <linux/rbtree.h>
#include <pthread.h>
#include <stdlib.h>
#include <errno.h>
#include "contender.h"
#include "shim_alloc.h"
#define BWT_GFP_KERNEL	0x4c0u

struct rnode {
	struct rb_node rb;
	int64_t key;
	uint64_t val;
};

struct rtree {
	pthread_rwlock_t lock;
	struct rb_root root;
	struct kmem_cache *cache;
	long base;
};

static void *r_create(void)
{
	struct rtree *t = calloc(1, sizeof(*t));

	pthread_rwlock_init(&t->lock, NULL);
	t->root = RB_ROOT;
	t->base = bwt_live_bytes();
	t->cache = bwt_cache_create("rbnode", sizeof(struct rnode), 8, 0, NULL);
	return t;
}

static void r_destroy(void *p)
{
	struct rtree *t = p;
	struct rb_node *n = rb_first_postorder(&t->root), *next;

	for (; n; n = next) {
		next = rb_next_postorder(n);
		bwt_cache_free(t->cache, rb_entry(n, struct rnode, rb));
	}
	bwt_cache_destroy(t->cache);
	free(t);
}

static struct rnode *find(struct rtree *t, int64_t key)
{
	struct rb_node *n = t->root.rb_node;

	while (n) {
		struct rnode *r = rb_entry(n, struct rnode, rb);

		if (key < r->key)
			n = n->rb_left;
		else if (key > r->key)
			n = n->rb_right;
		else
			return r;
	}
	return NULL;
}

static int r_insert(void *p, int64_t key, uint64_t val)
{
	struct rtree *t = p;
	struct rb_node **link = &t->root.rb_node, *parent = NULL;
	struct rnode *r = bwt_cache_alloc(t->cache, BWT_GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	r->key = key;
	r->val = val;
	pthread_rwlock_wrlock(&t->lock);
	while (*link) {
		struct rnode *x = rb_entry(*link, struct rnode, rb);

		parent = *link;
		if (key < x->key) {
			link = &parent->rb_left;
		} else if (key > x->key) {
			link = &parent->rb_right;
		} else {
			pthread_rwlock_unlock(&t->lock);
			bwt_cache_free(t->cache, r);
			return -EEXIST;
		}
	}
	rb_link_node(&r->rb, parent, link);
	rb_insert_color(&r->rb, &t->root);
	pthread_rwlock_unlock(&t->lock);
	return 0;
}

static int r_update(void *p, int64_t key, uint64_t val)
{
	struct rtree *t = p;
	struct rnode *r;

	pthread_rwlock_wrlock(&t->lock);
	r = find(t, key);
	if (r)
		r->val = val;
	pthread_rwlock_unlock(&t->lock);
	return r ? 0 : r_insert(p, key, val);
}

static int r_lookup(void *p, int64_t key, uint64_t *val)
{
	struct rtree *t = p;
	struct rnode *r;

	pthread_rwlock_rdlock(&t->lock);
	r = find(t, key);
	if (r)
		*val = r->val;
	pthread_rwlock_unlock(&t->lock);
	return r ? 0 : -ENOENT;
}

static long r_scan(void *p, int64_t key, long n, uint64_t *sum)
{
	struct rtree *t = p;
	struct rb_node *x = t->root.rb_node, *best = NULL;
	long got = 0;

	pthread_rwlock_rdlock(&t->lock);
	while (x) {		/* first node >= key */
		struct rnode *r = rb_entry(x, struct rnode, rb);

		if (r->key >= key) {
			best = x;
			x = x->rb_left;
		} else {
			x = x->rb_right;
		}
	}
	for (x = best; x && got < n; x = rb_next(x), got++)
		*sum += rb_entry(x, struct rnode, rb)->val;
	pthread_rwlock_unlock(&t->lock);
	return got;
}

static long r_bytes(void *p)
{
	return bwt_live_bytes() - ((struct rtree *)p)->base;
}

static void r_nothing(void)
{
}

const struct contender contender_rbtree = {
	.name = "rbtree",
	.create = r_create, .destroy = r_destroy, .insert = r_insert,
	.update = r_update, .lookup = r_lookup, .scan = r_scan,
	.bytes = r_bytes, .thread_start = r_nothing, .quiesce = r_nothing,
};
