/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shim allocator (lib/slab.c), declared by hand for the contenders that
 * are built against other shims than include/bwt/ (maple tree, rbtree).
 */
#ifndef BENCH_SHIM_ALLOC_H
#define BENCH_SHIM_ALLOC_H

struct kmem_cache;

struct kmem_cache *bwt_cache_create(const char *name, unsigned int size,
				    unsigned int align, unsigned int flags,
				    void (*ctor)(void *obj));
void *bwt_cache_alloc(struct kmem_cache *c, unsigned int gfp);
void bwt_cache_free(struct kmem_cache *c, void *obj);
void bwt_cache_destroy(struct kmem_cache *c);

#endif
