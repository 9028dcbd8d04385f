/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bwtree selftests: ioctl wrappers, a reference model and tree snapshots.
 *
 * Wrappers named bw_<ioctl>() return 0 or -errno, so that a test reads
 * ASSERT_EQ(-EINVAL, bw_insert(fd, k, v)).  model_* is the reference map
 * every semantic test checks the device against.
 */
#ifndef BWTREE_TEST_H
#define BWTREE_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bwtree.h>

#define BW_DEV "/dev/bwtree"
#define BW_UNUSED __attribute__((unused))

#define BW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Why the device cannot be used, or NULL when it can: tests SKIP() when the
 * module is not loaded or the device's mode keeps this user out.
 */
static BW_UNUSED const char *bw_unavailable(void)
{
	if (access(BW_DEV, F_OK))
		return BW_DEV " missing: module not loaded";
	if (access(BW_DEV, R_OK | W_OK))
		return BW_DEV ": permission denied (root, or the module's mode=0666)";
	return NULL;
}

static BW_UNUSED int bw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static BW_UNUSED int bw_open(int flags)
{
	int fd = open(BW_DEV, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static BW_UNUSED int bw_info(int fd, struct bwtree_ioc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return bw_ioctl(fd, BWTREE_IOC_GET_INFO, info);
}

static BW_UNUSED int bw_create(int fd, const char *name, uint32_t flags,
			       uint32_t leaf_max, uint64_t max_bytes)
{
	struct bwtree_ioc_create c = {
		.size = sizeof(c),
		.flags = flags,
		.name = (uintptr_t)name,
		.name_len = name ? strlen(name) : 0,
		.leaf_max = leaf_max,
		.inner_max = leaf_max,
		.max_bytes = max_bytes,
	};

	return bw_ioctl(fd, BWTREE_IOC_CREATE, &c);
}

static BW_UNUSED int bw_name_op(int fd, unsigned long cmd, const char *name)
{
	struct bwtree_ioc_name c = {
		.size = sizeof(c),
		.name = (uintptr_t)name,
		.name_len = strlen(name),
	};

	return bw_ioctl(fd, cmd, &c);
}

static BW_UNUSED int bw_destroy(int fd, const char *name)
{
	return bw_name_op(fd, BWTREE_IOC_DESTROY, name);
}

static BW_UNUSED int bw_attach(int fd, const char *name)
{
	return bw_name_op(fd, BWTREE_IOC_ATTACH, name);
}

/* An O_RDWR file bound to a new anonymous tree, or -errno. */
static BW_UNUSED int bw_open_anon(uint32_t node_max, uint64_t max_bytes)
{
	int fd = bw_open(O_RDWR);
	int ret;

	if (fd < 0)
		return fd;
	ret = bw_create(fd, NULL, BWTREE_IOC_CREATE_ANON, node_max, max_bytes);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* A file opened with @flags and attached to the named tree, or -errno. */
static BW_UNUSED int bw_open_named(const char *name, int flags)
{
	int fd = bw_open(flags);
	int ret;

	if (fd < 0)
		return fd;
	ret = bw_attach(fd, name);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static BW_UNUSED int bw_kv(int fd, unsigned long cmd, int64_t key,
			   uint64_t *value, uint32_t *replaced)
{
	struct bwtree_ioc_kv c = {
		.size = sizeof(c),
		.key = key,
		.value = value ? *value : 0,
		.replaced = 0xdead,
	};
	int ret = bw_ioctl(fd, cmd, &c);

	if (!ret && value)
		*value = c.value;
	if (!ret && replaced)
		*replaced = c.replaced;
	return ret;
}

static BW_UNUSED int bw_insert(int fd, int64_t key, uint64_t value)
{
	return bw_kv(fd, BWTREE_IOC_INSERT, key, &value, NULL);
}

static BW_UNUSED int bw_upsert(int fd, int64_t key, uint64_t value,
			       uint32_t *replaced)
{
	return bw_kv(fd, BWTREE_IOC_UPSERT, key, &value, replaced);
}

static BW_UNUSED int bw_delete(int fd, int64_t key, uint64_t *old)
{
	uint64_t v = 0;
	int ret = bw_kv(fd, BWTREE_IOC_DELETE, key, &v, NULL);

	if (old)
		*old = v;
	return ret;
}

static BW_UNUSED int bw_lookup(int fd, int64_t key, uint64_t *value)
{
	uint64_t v = 0;
	int ret = bw_kv(fd, BWTREE_IOC_LOOKUP, key, &v, NULL);

	if (value)
		*value = v;
	return ret;
}

static BW_UNUSED int bw_count(int fd, uint64_t *count)
{
	struct bwtree_ioc_count c = { .size = sizeof(c) };
	int ret = bw_ioctl(fd, BWTREE_IOC_COUNT, &c);

	*count = ret ? ~0ULL : c.count;
	return ret;
}

static BW_UNUSED int bw_stats(int fd, struct bwtree_ioc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return bw_ioctl(fd, BWTREE_IOC_STATS, st);
}

static BW_UNUSED int bw_scan(int fd, int64_t lo, int64_t hi, uint32_t flags,
			     struct bwtree_ioc_pair *pairs, uint32_t max,
			     uint32_t *count, int64_t *next, uint32_t *done)
{
	struct bwtree_ioc_scan c = {
		.size = sizeof(c),
		.flags = flags,
		.lo = lo,
		.hi = hi,
		.pairs = (uintptr_t)pairs,
		.max = max,
		.count = 0xdead,
	};
	int ret = bw_ioctl(fd, BWTREE_IOC_SCAN, &c);

	if (!ret) {
		*count = c.count;
		*next = c.next;
		*done = c.done;
	}
	return ret;
}

/*
 * Every pair of [lo, hi] in the order of @flags, @chunk at a time, into
 * @out (room for @cap); the number of pairs, or -errno.  More than @cap
 * pairs is -EOVERFLOW.
 */
static BW_UNUSED long bw_scan_all(int fd, int64_t lo, int64_t hi,
				  uint32_t flags, uint32_t chunk,
				  struct bwtree_ioc_pair *out, size_t cap)
{
	struct bwtree_ioc_pair *buf = calloc(chunk, sizeof(*buf));
	size_t n = 0;
	long ret = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		uint32_t count, done;
		int64_t next;
		int r = bw_scan(fd, lo, hi, flags, buf, chunk, &count, &next,
				&done);

		if (r) {
			ret = r;
			break;
		}
		if (n + count > cap) {
			ret = -EOVERFLOW;
			break;
		}
		memcpy(out + n, buf, count * sizeof(*buf));
		n += count;
		if (done)
			break;
		if (flags & BWTREE_IOC_SCAN_REVERSE)
			hi = next;
		else
			lo = next;
	}
	free(buf);
	return ret ? ret : (long)n;
}

static BW_UNUSED int bw_batch(int fd, struct bwtree_ioc_batch_op *ops,
			      uint32_t count, uint32_t *done)
{
	struct bwtree_ioc_batch c = {
		.size = sizeof(c),
		.ops = (uintptr_t)ops,
		.count = count,
		.done = 0xdead,
	};
	int ret = bw_ioctl(fd, BWTREE_IOC_BATCH, &c);

	if (done)
		*done = c.done;
	return ret;
}

/* A fingerprint of a whole tree: count, keys seen by a full scan, hash. */
struct bw_snap {
	uint64_t count;
	uint64_t scanned;
	uint64_t hash;
	int err;
};

static BW_UNUSED struct bw_snap bw_snapshot(int fd)
{
	struct bw_snap s = { 0 };
	struct bwtree_ioc_pair buf[256];
	int64_t lo = INT64_MIN;

	s.err = bw_count(fd, &s.count);
	if (s.err)
		return s;
	s.hash = 1469598103934665603ULL;
	for (;;) {
		uint32_t count, done, i;
		int64_t next;

		s.err = bw_scan(fd, lo, INT64_MAX, 0, buf, BW_ARRAY_SIZE(buf),
				&count, &next, &done);
		if (s.err)
			return s;
		for (i = 0; i < count; i++) {
			s.hash = (s.hash ^ (uint64_t)buf[i].key) *
				 1099511628211ULL;
			s.hash = (s.hash ^ buf[i].value) * 1099511628211ULL;
		}
		s.scanned += count;
		if (done)
			return s;
		lo = next;
	}
}

/* Equal trees, or the same failure to read them (a tree that is gone). */
static BW_UNUSED bool bw_snap_eq(struct bw_snap a, struct bw_snap b)
{
	if (a.err || b.err)
		return a.err == b.err;
	return a.count == b.count && a.scanned == b.scanned &&
	       a.hash == b.hash;
}

/* Values carry their key in the high bits, a version in the low 16. */
static BW_UNUSED uint64_t bw_val_of(int64_t key, uint64_t version)
{
	return (((uint64_t)key * 0x9e3779b97f4a7c15ULL) & ~0xffffULL) |
	       (version & 0xffff);
}

/* Whether @value is one that bw_val_of() made for @key. */
static BW_UNUSED bool bw_val_ok(int64_t key, uint64_t value)
{
	return (value & ~0xffffULL) == (bw_val_of(key, 0) & ~0xffffULL);
}

/* xorshift64*: the tests' random numbers, reproducible from a seed. */
static BW_UNUSED uint64_t bw_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ULL;
}

/*
 * The reference model: a sorted array of pairs.  Small (thousands of
 * keys), so insertion by memmove is fine.
 */
struct model {
	struct bwtree_ioc_pair *a;
	size_t n, cap;
};

static BW_UNUSED size_t model_find(const struct model *m, int64_t key,
				   bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->a[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n && m->a[lo].key == key;
	return lo;
}

/* Insert or replace; 1 if the key was there, 0 if not. */
static BW_UNUSED int model_put(struct model *m, int64_t key, uint64_t value,
			       bool replace)
{
	bool found;
	size_t i = model_find(m, key, &found);

	if (found) {
		if (replace)
			m->a[i].value = value;
		return 1;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->a = realloc(m->a, m->cap * sizeof(*m->a));
		if (!m->a)
			abort();
	}
	memmove(&m->a[i + 1], &m->a[i], (m->n - i) * sizeof(*m->a));
	m->a[i].key = key;
	m->a[i].value = value;
	m->n++;
	return 0;
}

static BW_UNUSED bool model_get(const struct model *m, int64_t key,
				uint64_t *value)
{
	bool found;
	size_t i = model_find(m, key, &found);

	if (found && value)
		*value = m->a[i].value;
	return found;
}

static BW_UNUSED bool model_del(struct model *m, int64_t key, uint64_t *value)
{
	bool found;
	size_t i = model_find(m, key, &found);

	if (!found)
		return false;
	if (value)
		*value = m->a[i].value;
	memmove(&m->a[i], &m->a[i + 1], (m->n - i - 1) * sizeof(*m->a));
	m->n--;
	return true;
}

/* The model's pairs of [lo, hi] in order; returns how many. */
static BW_UNUSED size_t model_range(const struct model *m, int64_t lo,
				    int64_t hi, bool reverse,
				    struct bwtree_ioc_pair *out)
{
	bool found;
	size_t i = model_find(m, lo, &found), n = 0, j;

	for (j = i; j < m->n && m->a[j].key <= hi; j++)
		out[n++] = m->a[j];
	if (reverse) {
		for (j = 0; j < n / 2; j++) {
			struct bwtree_ioc_pair t = out[j];

			out[j] = out[n - 1 - j];
			out[n - 1 - j] = t;
		}
	}
	return n;
}

static BW_UNUSED void model_free(struct model *m)
{
	free(m->a);
	memset(m, 0, sizeof(*m));
}

/* A key drawn from a mix: small, negative, extreme and wide. */
static BW_UNUSED int64_t bw_rand_key(uint64_t *state, uint64_t spread)
{
	uint64_t r = bw_rand(state);

	switch (r % 16) {
	case 0:
		return INT64_MIN + (int64_t)(bw_rand(state) % 4);
	case 1:
		return INT64_MAX - (int64_t)(bw_rand(state) % 4);
	case 2:
	case 3:
		return -(int64_t)(bw_rand(state) % spread);
	default:
		return (int64_t)(bw_rand(state) % spread);
	}
}

/*
 * PROT_NONE pages on each side of every bw_map() mapping.  The bad-input
 * tests hand the kernel pointers into these mappings with lengths that run
 * past their end (a SCAN asking for 2^32 pairs, a BATCH of 10^9 ops): the
 * guard makes such a copy fault, where without it the kernel could read or
 * write the next mapping, such as the harness's MAP_SHARED metadata.  The
 * module copies pairs and batch results sequentially from the start, so it
 * reaches the guard before anything past it; 1 MB covers any stride.
 */
#define BW_GUARD_BYTES	(1UL << 20)

/* An anonymous mapping of @pages pages with @prot between guards, or NULL. */
static BW_UNUSED void *bw_map(size_t pages, int prot)
{
	size_t len = pages * getpagesize();
	char *p = mmap(NULL, len + 2 * BW_GUARD_BYTES, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (prot != PROT_NONE && mprotect(p + BW_GUARD_BYTES, len, prot)) {
		munmap(p, len + 2 * BW_GUARD_BYTES);
		return NULL;
	}
	return p + BW_GUARD_BYTES;
}

/* Undo bw_map(@p, @pages), guards included. */
static BW_UNUSED void bw_unmap(void *p, size_t pages)
{
	munmap((char *)p - BW_GUARD_BYTES,
	       pages * getpagesize() + 2 * BW_GUARD_BYTES);
}

/* Every command of the ABI, and what the bad-input tests need to know. */
struct bw_ioc {
	const char *name;
	unsigned long cmd;
	uint32_t size;		/* sizeof its structure */
	uint32_t flags;		/* defined flag bits */
	int reserved;		/* offset of a __reserved field, or -1 */
	bool writes_back;	/* writes to its structure */
	bool mutates;		/* needs a writable file */
	bool data;		/* needs a bound file */
};

#define BW_IOC(_cmd, _struct, _flags, _res, _wb, _mut, _data) {		\
	.name = #_cmd, .cmd = _cmd, .size = sizeof(_struct),		\
	.flags = _flags, .reserved = _res, .writes_back = _wb,		\
	.mutates = _mut, .data = _data,					\
}

static BW_UNUSED const struct bw_ioc bw_iocs[] = {
	BW_IOC(BWTREE_IOC_GET_INFO, struct bwtree_ioc_info, 0,
	       offsetof(struct bwtree_ioc_info, __reserved), true, false, false),
	BW_IOC(BWTREE_IOC_CREATE, struct bwtree_ioc_create,
	       BWTREE_IOC_CREATE_ANON | BWTREE_IOC_CREATE_ATTACH, -1,
	       false, true, false),
	BW_IOC(BWTREE_IOC_DESTROY, struct bwtree_ioc_name, 0,
	       offsetof(struct bwtree_ioc_name, __reserved), false, true, false),
	BW_IOC(BWTREE_IOC_LIST, struct bwtree_ioc_list, 0, -1,
	       true, false, false),
	BW_IOC(BWTREE_IOC_ATTACH, struct bwtree_ioc_name, 0,
	       offsetof(struct bwtree_ioc_name, __reserved), false, false, false),
	BW_IOC(BWTREE_IOC_INSERT, struct bwtree_ioc_kv, 0,
	       offsetof(struct bwtree_ioc_kv, __reserved), false, true, true),
	BW_IOC(BWTREE_IOC_UPSERT, struct bwtree_ioc_kv, 0,
	       offsetof(struct bwtree_ioc_kv, __reserved), true, true, true),
	BW_IOC(BWTREE_IOC_DELETE, struct bwtree_ioc_kv, 0,
	       offsetof(struct bwtree_ioc_kv, __reserved), true, true, true),
	BW_IOC(BWTREE_IOC_LOOKUP, struct bwtree_ioc_kv, 0,
	       offsetof(struct bwtree_ioc_kv, __reserved), true, false, true),
	BW_IOC(BWTREE_IOC_COUNT, struct bwtree_ioc_count, 0, -1,
	       true, false, true),
	BW_IOC(BWTREE_IOC_STATS, struct bwtree_ioc_stats, 0,
	       offsetof(struct bwtree_ioc_stats, __reserved), true, false, true),
	BW_IOC(BWTREE_IOC_SCAN, struct bwtree_ioc_scan, BWTREE_IOC_SCAN_REVERSE,
	       offsetof(struct bwtree_ioc_scan, __reserved), true, false, true),
	BW_IOC(BWTREE_IOC_BATCH, struct bwtree_ioc_batch, 0, -1,
	       true, true, true),
};

#define BW_NR_IOCS BW_ARRAY_SIZE(bw_iocs)

#endif /* BWTREE_TEST_H */
