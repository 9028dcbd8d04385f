// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace runtime: kmem_cache and kmalloc on malloc, with counters.
 *
 * Each object carries a 16-byte header just below it (cache or size, and a
 * magic number), poisoned for AddressSanitizer, so that freeing to the wrong
 * cache, kfree() of a foreign pointer and double frees are caught.
 *
 * Counting: every thread keeps its own live-object and byte counters, one
 * slot per cache, written only by that thread (a relaxed load and store, no
 * locked instruction and no shared cache line), and the totals are the sums
 * over all threads, exited ones included.  The benchmark's two contenders
 * share this allocator, so its cost is the same on both sides.
 *
 * Bytes are counted as the kernel's SLUB would use them: a cache object
 * takes its size rounded to its alignment (SLAB_HWCACHE_ALIGN as in
 * calculate_alignment()), a kmalloc() takes its kmalloc size class, and
 * anything past 8 KiB takes whole pages, rounded to a power of two.
 */
#include <bwt/shim.h>
#include <malloc.h>
#include <bwt/poison.h>

#define MAX_CACHES	64
#define KMALLOC_ID	0
#define MAGIC_CACHE	0xb3c4cac4u
#define MAGIC_KMALLOC	0xb3c4a110u
#define MAGIC_FREED	0xdeadf4eeu
#define HDR		16

struct kmem_cache {
	char name[32];
	unsigned int size;	/* as asked */
	unsigned int align;	/* of the userspace object */
	unsigned int objsize;	/* what SLUB would use per object */
	slab_flags_t flags;
	void (*ctor)(void *obj);
	int id;
};

struct hdr {
	u32 magic;
	u32 offset;		/* from the malloc()ed block to the object */
	union {
		struct kmem_cache *cache;
		size_t size;
	};
};

struct counters {
	long live[MAX_CACHES];
	long bytes;
	struct counters *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmem_cache *caches[MAX_CACHES];
static bool leaked_id[MAX_CACHES];
static struct counters *all_counters;
static __thread struct counters *my;

static struct counters *counters(void)
{
	struct counters *c = my;

	if (likely(c))
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	pthread_mutex_lock(&registry_lock);
	c->next = all_counters;
	__atomic_store_n(&all_counters, c, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&registry_lock);
	my = c;
	return c;
}

static inline void count(int id, long objs, long bytes)
{
	struct counters *c = counters();

	__atomic_store_n(&c->live[id], __atomic_load_n(&c->live[id], __ATOMIC_RELAXED) + objs,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->bytes, __atomic_load_n(&c->bytes, __ATOMIC_RELAXED) + bytes,
			 __ATOMIC_RELAXED);
}

static long sum_live(int id)
{
	struct counters *c;
	long n = 0;

	for (c = __atomic_load_n(&all_counters, __ATOMIC_ACQUIRE); c; c = c->next)
		n += __atomic_load_n(&c->live[id], __ATOMIC_RELAXED);
	return n;
}

long bwt_live_objects(void)
{
	long n = 0;
	int id;

	for (id = 0; id < MAX_CACHES; id++)
		n += sum_live(id);
	return n;
}

long bwt_live_bytes(void)
{
	struct counters *c;
	long n = 0;

	for (c = __atomic_load_n(&all_counters, __ATOMIC_ACQUIRE); c; c = c->next)
		n += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	return n;
}

long bwt_cache_live(const struct kmem_cache *s)
{
	return sum_live(s ? s->id : KMALLOC_ID);
}

long bwt_cache_live_by_name(const char *name)
{
	long n = -1;
	int id;

	pthread_mutex_lock(&registry_lock);
	for (id = 0; id < MAX_CACHES; id++)
		if (caches[id] && !strcmp(caches[id]->name, name))
			n = sum_live(id);
	pthread_mutex_unlock(&registry_lock);
	if (n < 0 && !strcmp(name, "kmalloc"))
		n = sum_live(KMALLOC_ID);
	return n;
}

void bwt_report_live(void)
{
	int id;

	pthread_mutex_lock(&registry_lock);
	fprintf(stderr, "# live objects: kmalloc %ld", sum_live(KMALLOC_ID));
	for (id = 1; id < MAX_CACHES; id++)
		if (caches[id])
			fprintf(stderr, ", %s %ld", caches[id]->name, sum_live(id));
	fprintf(stderr, "; bytes %ld\n", bwt_live_bytes());
	pthread_mutex_unlock(&registry_lock);
}

/* fail-nth */
void bwt_fail_nth(unsigned long n)
{
	bwt_task.fail_nth = n;
	bwt_task.fail_fired = 0;
	bwt_task.fail_nowait = 0;
}

unsigned long bwt_fail_nowait(void)
{
	return bwt_task.fail_nowait;
}

unsigned long bwt_fail_fired(void)
{
	return bwt_task.fail_fired;
}

unsigned long bwt_alloc_calls(void)
{
	return bwt_task.alloc_calls;
}

bool bwt_alloc_should_fail(gfp_t gfp)
{
	if (gfpflags_allow_blocking(gfp))
		bwt_might_sleep("(allocation)", 0);
	bwt_task.alloc_calls++;
	if (bwt_task.fail_nth && --bwt_task.fail_nth == 0 && !(gfp & __GFP_NOFAIL)) {
		bwt_task.fail_fired++;
		bwt_task.fail_nowait += !gfpflags_allow_blocking(gfp);
		return true;
	}
	return false;
}

/* Sizes as SLUB: mm/slab_common.c calculate_alignment(), kmalloc classes. */
static unsigned int slub_objsize(unsigned int size, unsigned int align,
				 slab_flags_t flags, bool ctor)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = 64;

		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	align = max(align, 8u);
	size = ALIGN(size, 8u);
	if ((flags & SLAB_TYPESAFE_BY_RCU) || ctor)
		size += 8;	/* free pointer outside the object */
	return ALIGN(size, align);
}

size_t bwt_kmalloc_size_roundup(size_t size)
{
	static const size_t classes[] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	size_t i;

	if (!size)
		return 0;
	for (i = 0; i < ARRAY_SIZE(classes); i++)
		if (size <= classes[i])
			return classes[i];
	return PAGE_SIZE << order_base_2(DIV_ROUND_UP(size, PAGE_SIZE));
}

static void *raw_alloc(size_t align, size_t offset, size_t size)
{
	void *raw;

	if (align <= 16)
		return malloc(offset + size);
	if (posix_memalign(&raw, align, offset + size))
		return NULL;
	return raw;
}

static inline struct hdr *hdr_of(const void *obj)
{
	struct hdr *h = (struct hdr *)((char *)obj - HDR);

	unpoison(h, HDR);
	return h;
}

static inline void hdr_done(struct hdr *h)
{
	poison(h, HDR);
}

struct kmem_cache *bwt_cache_create(const char *name, unsigned int size,
				    unsigned int align, slab_flags_t flags,
				    void (*ctor)(void *))
{
	struct kmem_cache *s;
	int id;

	if (bwt_alloc_should_fail(GFP_KERNEL))
		goto fail;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->size = size;
	s->flags = flags;
	s->ctor = ctor;
	s->objsize = slub_objsize(size, align, flags, ctor);
	s->align = 16;
	if (flags & SLAB_HWCACHE_ALIGN)
		s->align = 64;
	if (align > s->align)
		s->align = roundup_pow_of_two(align);
	pthread_mutex_lock(&registry_lock);
	for (id = 1; id < MAX_CACHES; id++)
		if (!caches[id] && !leaked_id[id])
			break;
	if (id < MAX_CACHES) {
		s->id = id;
		caches[id] = s;
	}
	pthread_mutex_unlock(&registry_lock);
	if (id == MAX_CACHES) {
		free(s);
		goto fail;
	}
	return s;
fail:
	if (flags & SLAB_PANIC)
		bwt_bug(__FILE__, __LINE__, "kmem_cache_create() failed with SLAB_PANIC");
	return NULL;
}

void bwt_cache_destroy(struct kmem_cache *s)
{
	long live;

	if (!s)
		return;
	live = sum_live(s->id);
	pthread_mutex_lock(&registry_lock);
	caches[s->id] = NULL;
	if (live)
		leaked_id[s->id] = true;
	pthread_mutex_unlock(&registry_lock);
	if (live) {
		/* The kernel warns and keeps the cache; so do we. */
		bwt_complain("kmem_cache_destroy", __FILE__, __LINE__,
			     "%s: Slab cache still has objects (%ld)", s->name, live);
		return;
	}
	free(s);
}

unsigned int bwt_cache_size(struct kmem_cache *s)
{
	return s->size;
}

void *bwt_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	size_t offset = max_t(size_t, HDR, s->align);
	struct hdr *h;
	void *raw, *obj;

	if (bwt_alloc_should_fail(gfp))
		return NULL;
	raw = raw_alloc(s->align, offset, s->size);
	if (!raw)
		return NULL;
	obj = (char *)raw + offset;
	h = (struct hdr *)((char *)obj - HDR);
	h->magic = MAGIC_CACHE;
	h->offset = offset;
	h->cache = s;
	if (offset > HDR)
		poison(raw, offset - HDR);
	hdr_done(h);
	if (s->ctor)
		s->ctor(obj);
	else if (gfp & __GFP_ZERO)
		memset(obj, 0, s->size);
	else if (BWT_CHECKS)
		memset(obj, 0x5a, s->size);	/* POISON_INUSE */
	count(s->id, 1, s->objsize);
	return obj;
}

static void free_raw(struct hdr *h, void *obj)
{
	void *raw = (char *)obj - h->offset;

	h->magic = MAGIC_FREED;
	unpoison(raw, h->offset);
	free(raw);
}

struct deferred_free {
	struct rcu_head rcu;
	void *obj;
};

static void typesafe_free_rcu(struct rcu_head *head)
{
	struct deferred_free *d = container_of(head, struct deferred_free, rcu);

	free_raw(hdr_of(d->obj), d->obj);
	free(d);
}

static void cache_free(struct kmem_cache *s, void *obj, struct hdr *h)
{
	count(s->id, -1, -(long)s->objsize);
	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		struct deferred_free *d = malloc(sizeof(*d));

		if (!d)
			abort();
		hdr_done(h);
		d->obj = obj;
		call_rcu(&d->rcu, typesafe_free_rcu);
		return;
	}
	free_raw(h, obj);
}

void bwt_cache_free(struct kmem_cache *s, void *obj)
{
	struct hdr *h;

	if (!obj)
		return;
	h = hdr_of(obj);
	if (h->magic != MAGIC_CACHE || h->cache != s) {
		u32 magic = h->magic;

		hdr_done(h);
		bwt_complain("kmem_cache_free", __FILE__, __LINE__,
			     "%p freed to cache %s: %s", obj, s ? s->name : "(null)",
			     magic == MAGIC_FREED ? "double free" :
			     magic == MAGIC_KMALLOC ? "it came from kmalloc" :
			     magic == MAGIC_CACHE ? "it came from another cache" :
			     "not a slab object");
		abort();
	}
	cache_free(s, obj, h);
}

void *bwt_kmalloc(size_t size, gfp_t gfp)
{
	size_t align = 16, offset;
	struct hdr *h;
	void *raw, *obj;

	if (bwt_alloc_should_fail(gfp))
		return NULL;
	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_SIZE * 64)
		return NULL;
	/* kmalloc() aligns power-of-two sizes naturally, up to a page. */
	if (is_power_of_2(size) && size > 16)
		align = min_t(size_t, size, PAGE_SIZE);
	offset = max_t(size_t, HDR, align);
	raw = raw_alloc(align, offset, size);
	if (!raw)
		return NULL;
	obj = (char *)raw + offset;
	h = (struct hdr *)((char *)obj - HDR);
	h->magic = MAGIC_KMALLOC;
	h->offset = offset;
	h->size = size;
	if (offset > HDR)
		poison(raw, offset - HDR);
	hdr_done(h);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, size);
	else if (BWT_CHECKS)
		memset(obj, 0x5a, size);
	count(KMALLOC_ID, 1, bwt_kmalloc_size_roundup(size));
	return obj;
}

void bwt_kfree(const void *p)
{
	struct hdr *h;

	if (ZERO_OR_NULL_PTR(p))
		return;
	h = hdr_of(p);
	if (h->magic == MAGIC_CACHE) {
		/* kfree() of a kmem_cache object is allowed (SLUB) */
		cache_free(h->cache, (void *)p, h);
		return;
	}
	if (h->magic != MAGIC_KMALLOC) {
		u32 magic = h->magic;

		hdr_done(h);
		bwt_complain("kfree", __FILE__, __LINE__, "%p: %s", p,
			     magic == MAGIC_FREED ? "double free" : "not a kmalloc object");
		abort();
	}
	count(KMALLOC_ID, -1, -(long)bwt_kmalloc_size_roundup(h->size));
	free_raw(h, (void *)p);
}

size_t bwt_ksize(const void *p)
{
	struct hdr *h;
	size_t n;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	h = hdr_of(p);
	n = h->magic == MAGIC_CACHE ? h->cache->size : h->size;
	hdr_done(h);
	/* Report only what was asked for: the rest is not addressable here. */
	return n;
}

void *bwt_krealloc(const void *p, size_t size, gfp_t gfp)
{
	size_t old;
	void *n;

	if (ZERO_OR_NULL_PTR(p))
		return bwt_kmalloc(size, gfp);
	if (!size) {
		bwt_kfree(p);
		return ZERO_SIZE_PTR;
	}
	old = bwt_ksize(p);
	n = bwt_kmalloc(size, gfp);
	if (!n)
		return NULL;
	memcpy(n, p, min(old, size));
	if (gfp & __GFP_ZERO && size > old)
		memset((char *)n + old, 0, size - old);
	bwt_kfree(p);
	return n;
}
