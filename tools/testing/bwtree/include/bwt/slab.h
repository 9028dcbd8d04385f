/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: <linux/gfp.h>, <linux/slab.h>, <linux/vmalloc.h> and the
 * allocation half of <linux/mm.h>, on the counting allocator of lib/slab.c.
 *
 * Every allocation is counted per cache and overall, can be made to fail
 * (bwt_fail_nth(), as the kernel's fail-nth), and one that may sleep is
 * reported when made inside an RCU read-side section or with preemption
 * disabled, as CONFIG_DEBUG_ATOMIC_SLEEP would.
 */
#ifndef _BWT_SLAB_H
#define _BWT_SLAB_H

#include <linux/types.h>
#include <bwt/compiler.h>
#include <bwt/runtime.h>

/* gfp flags: the kernel's meaning, not its bit values */
#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_WRITE		0x1000u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u
#define __GFP_NOFAIL		0x8000u
#define __GFP_NORETRY		0x10000u
#define __GFP_MEMALLOC		0x20000u
#define __GFP_COMP		0x40000u
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u
#define __GFP_NOLOCKDEP		0x800000u
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

/* slab flags */
#define SLAB_CONSISTENCY_CHECKS	0x00000100u
#define SLAB_RED_ZONE		0x00000400u
#define SLAB_POISON		0x00000800u
#define SLAB_KMALLOC		0x00001000u
#define SLAB_HWCACHE_ALIGN	0x00002000u
#define SLAB_CACHE_DMA		0x00004000u
#define SLAB_CACHE_DMA32	0x00008000u
#define SLAB_STORE_USER		0x00010000u
#define SLAB_PANIC		0x00040000u
#define SLAB_TYPESAFE_BY_RCU	0x00080000u
#define SLAB_TRACE		0x00200000u
#define SLAB_DEBUG_OBJECTS	0x00400000u
#define SLAB_NOLEAKTRACE	0x00800000u
#define SLAB_NO_MERGE		0x01000000u
#define SLAB_FAILSLAB		0x02000000u
#define SLAB_ACCOUNT		0x04000000u
#define SLAB_NO_USER_FLAGS	0x10000000u
#define SLAB_RECLAIM_ACCOUNT	0x00020000u
#define SLAB_MEM_SPREAD		0
#define SLAB_TEMPORARY		SLAB_RECLAIM_ACCOUNT

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(addr)	(((addr) + PAGE_SIZE - 1) & PAGE_MASK)
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE	(1UL << 22)
#define KMALLOC_MIN_SIZE	8
#define ARCH_KMALLOC_MINALIGN	8
#define ARCH_SLAB_MINALIGN	8
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)
#define NUMA_NO_NODE		(-1)

#define kmem_cache_create(name, size, align, flags, ctor)		\
	bwt_cache_create(name, size, align, flags, ctor)
#define kmem_cache_create_usercopy(name, size, align, flags, uo, us, ctor) \
	bwt_cache_create(name, size, align, flags, ctor)
#define KMEM_CACHE(__struct, __flags)					\
	bwt_cache_create(#__struct, sizeof(struct __struct),		\
			 __alignof__(struct __struct), (__flags), NULL)

static inline void kmem_cache_destroy(struct kmem_cache *s)
{
	bwt_cache_destroy(s);
}

static inline void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return bwt_cache_alloc(s, gfp);
}

static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return bwt_cache_alloc(s, gfp | __GFP_ZERO);
}

#define kmem_cache_alloc_node(s, gfp, node)	kmem_cache_alloc(s, gfp)
#define kmem_cache_alloc_lru(s, lru, gfp)	kmem_cache_alloc(s, gfp)

static inline void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	bwt_cache_free(s, obj);
}

static inline unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return bwt_cache_size(s);
}

static inline void kmem_cache_free_bulk(struct kmem_cache *s, size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		bwt_cache_free(s, p[i]);
}

static inline int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp,
					size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = bwt_cache_alloc(s, gfp);
		if (!p[i]) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return (int)n;
}

static inline int kmem_cache_shrink(struct kmem_cache *s) { return 0; }

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return bwt_kmalloc(size, gfp);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return bwt_kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return bwt_kmalloc(bytes, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmalloc_array(n, size, gfp | __GFP_ZERO);
}

#define kmalloc_node(size, gfp, node)		kmalloc(size, gfp)
#define kzalloc_node(size, gfp, node)		kzalloc(size, gfp)
#define kmalloc_array_node(n, size, gfp, node)	kmalloc_array(n, size, gfp)
#define kcalloc_node(n, size, gfp, node)	kcalloc(n, size, gfp)

static inline void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	return bwt_krealloc(p, size, gfp);
}

static inline void *krealloc_array(void *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return bwt_krealloc(p, bytes, gfp);
}

static inline void kfree(const void *p)
{
	bwt_kfree(p);
}

#define kfree_sensitive(p)	kfree(p)
#define kvfree_sensitive(p, n)	kfree(p)

static inline size_t ksize(const void *p)
{
	return bwt_ksize(p);
}

size_t bwt_kmalloc_size_roundup(size_t size);
#define kmalloc_size_roundup(size)	bwt_kmalloc_size_roundup(size)

/* kvmalloc: the kmalloc accounting with vmalloc's page rounding past 8K. */
#define kvmalloc(size, gfp)		kmalloc(size, gfp)
#define kvzalloc(size, gfp)		kzalloc(size, gfp)
#define kvmalloc_node(size, gfp, node)	kmalloc(size, gfp)
#define kvzalloc_node(size, gfp, node)	kzalloc(size, gfp)
#define kvmalloc_array(n, size, gfp)	kmalloc_array(n, size, gfp)
#define kvcalloc(n, size, gfp)		kcalloc(n, size, gfp)
#define kvfree(p)			kfree(p)
#define vmalloc(size)			kmalloc(size, GFP_KERNEL)
#define vzalloc(size)			kzalloc(size, GFP_KERNEL)
#define vmalloc_array(n, size)		kmalloc_array(n, size, GFP_KERNEL)
#define vcalloc(n, size)		kcalloc(n, size, GFP_KERNEL)
#define vfree(p)			kfree(p)
#define is_vmalloc_addr(p)		false

static inline void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = bwt_kmalloc(len, gfp);

	if (p)
		memcpy(p, src, len);
	return p;
}

static inline char *kstrdup(const char *s, gfp_t gfp)
{
	return s ? (char *)kmemdup(s, strlen(s) + 1, gfp) : NULL;
}

static inline char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = (char *)bwt_kmalloc(len + 1, gfp);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static inline unsigned long totalram_pages(void) { return 1UL << 22; }

#endif /* _BWT_SLAB_H */
