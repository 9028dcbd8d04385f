// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree_garbage: at least 100k ioctls with random commands, sizes, flags,
 * fields and pointers on every kind of file, then proof that the module
 * still works.  Pointers are drawn from a fixed menu (NULL, kernel and
 * non-canonical addresses, PROT_NONE, read-only, the end of a mapping, and
 * scratch buffers of our own), so the kernel can only ever write into the
 * scratch buffers: bw_map() puts guard pages around each, so a length that
 * runs past the end faults instead of reaching the next mapping.
 * BWTREE_SEED and BWTREE_GARBAGE_CALLS override the seed and the number of
 * calls.
 */
#define _GNU_SOURCE
#include <time.h>

#include "kselftest_harness.h"
#include "bwtree_test.h"

#define SCRATCH_PAGES	8
#define HOLE_SIZE	(1UL << 30)

struct garbage {
	uint64_t seed;
	char *scratch;		/* SCRATCH_PAGES read-write pages */
	char *ro;		/* one read-only page of random bytes */
	char *none;		/* one PROT_NONE page */
	char *edge;		/* a read-write page followed by PROT_NONE */
	char *hole;		/* HOLE_SIZE bytes of PROT_NONE reservation */
	long page;
	char names[8][8];	/* names the calls may create */
};

static uint64_t rnd(struct garbage *g)
{
	return bw_rand(&g->seed);
}

/* A pointer from the menu; @len is how much of it a valid call would use. */
static uint64_t any_ptr(struct garbage *g, size_t len)
{
	switch (rnd(g) % 12) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ULL + (rnd(g) & 0xffff);
	case 2:
		return 0x8000000000000000ULL | rnd(g);
	case 3:
		return (uintptr_t)g->none + rnd(g) % g->page;
	case 4:
		return (uintptr_t)g->ro + rnd(g) % 64;
	case 5:
		return (uintptr_t)g->edge + g->page - (rnd(g) % (len + 1));
	case 6:
		return (uintptr_t)g->hole + rnd(g) % HOLE_SIZE;
	default:
		return (uintptr_t)g->scratch + g->page +
		       rnd(g) % ((SCRATCH_PAGES - 2) * g->page);
	}
}

static uint32_t any_size(struct garbage *g, uint32_t size)
{
	switch (rnd(g) % 10) {
	case 0:
		return rnd(g);
	case 1:
		return rnd(g) % 16;
	case 2:
		return size - 1 - rnd(g) % 4;
	case 3:
		return size + 1 + rnd(g) % 64;
	case 4:
		return 4096 + rnd(g) % 4;
	default:
		return size;
	}
}

static unsigned long any_cmd(struct garbage *g, const struct bw_ioc **ioc)
{
	uint64_t r = rnd(g) % 100;

	*ioc = &bw_iocs[rnd(g) % BW_NR_IOCS];
	if (r < 80)
		return (*ioc)->cmd;
	if (r < 90)
		return _IOC(rnd(g) % 4, BWTREE_IOC_TYPE, rnd(g) % 32,
			    rnd(g) % 512);
	return (uint32_t)rnd(g);
}

/*
 * Build an argument for @ioc in the first page of scratch: mostly valid,
 * then a few random bytes changed.
 */
static void *any_arg(struct garbage *g, const struct bw_ioc *ioc)
{
	uint64_t *w = (uint64_t *)g->scratch;
	uint32_t *h = (uint32_t *)g->scratch;
	unsigned int i, n;

	switch (rnd(g) % 20) {
	case 0:
		return (void *)(uintptr_t)any_ptr(g, ioc->size);
	case 1:
		for (i = 0; i < 64; i++)
			w[i] = rnd(g);
		return g->scratch;
	}
	memset(g->scratch, 0, g->page);
	h[0] = any_size(g, ioc->size);
	h[1] = rnd(g) % 4 ? 0 : (rnd(g) % 2 ? rnd(g) : ioc->flags);
	switch (ioc->cmd) {
	case BWTREE_IOC_CREATE: {
		struct bwtree_ioc_create *c = (void *)g->scratch;

		if (!(rnd(g) % 3)) {
			c->flags = BWTREE_IOC_CREATE_ANON;
		} else if (!(c->flags & BWTREE_IOC_CREATE_ANON)) {
			c->name = (uintptr_t)g->names[rnd(g) % 8];
			c->name_len = strlen((char *)(uintptr_t)c->name);
		}
		c->leaf_max = rnd(g) % 3 ? 0 : rnd(g) % 600;
		c->max_bytes = rnd(g) % 3 ? 0 : rnd(g) % (1 << 20);
		break;
	}
	case BWTREE_IOC_DESTROY:
	case BWTREE_IOC_ATTACH: {
		struct bwtree_ioc_name *c = (void *)g->scratch;

		c->name = (uintptr_t)g->names[rnd(g) % 8];
		c->name_len = strlen((char *)(uintptr_t)c->name);
		if (!(rnd(g) % 4))
			c->name = any_ptr(g, c->name_len);
		break;
	}
	case BWTREE_IOC_LIST: {
		struct bwtree_ioc_list *c = (void *)g->scratch;

		c->buf = any_ptr(g, 256);
		c->buf_len = rnd(g) % 2 ? rnd(g) % 512 : rnd(g);
		break;
	}
	case BWTREE_IOC_INSERT:
	case BWTREE_IOC_UPSERT:
	case BWTREE_IOC_DELETE:
	case BWTREE_IOC_LOOKUP: {
		struct bwtree_ioc_kv *c = (void *)g->scratch;

		c->key = bw_rand_key(&g->seed, 5000);
		c->value = rnd(g);
		break;
	}
	case BWTREE_IOC_SCAN: {
		struct bwtree_ioc_scan *c = (void *)g->scratch;

		c->lo = bw_rand_key(&g->seed, 5000);
		c->hi = rnd(g) % 8 ? c->lo + (int64_t)(rnd(g) % 5000) :
			bw_rand_key(&g->seed, 5000);
		c->max = rnd(g) % 8 ? 1 + rnd(g) % 64 : rnd(g);
		c->pairs = any_ptr(g, c->max * 16ULL);
		break;
	}
	case BWTREE_IOC_BATCH: {
		struct bwtree_ioc_batch *c = (void *)g->scratch;
		struct bwtree_ioc_batch_op *ops;

		c->count = rnd(g) % 8 ? 1 + rnd(g) % 32 : rnd(g);
		c->ops = any_ptr(g, 32ULL * (c->count % 64));
		ops = (void *)(uintptr_t)c->ops;
		if (ops >= (struct bwtree_ioc_batch_op *)(g->scratch + g->page) &&
		    (char *)(ops + 32) <= g->scratch + SCRATCH_PAGES * g->page) {
			for (i = 0; i < 32; i++) {
				ops[i].op = rnd(g) % 6;
				ops[i].flags = rnd(g) % 16 ? 0 : rnd(g);
				ops[i].key = bw_rand_key(&g->seed, 5000);
				ops[i].value = rnd(g);
			}
		}
		break;
	}
	}
	/* A few random bytes changed, sometimes. */
	n = rnd(g) % 4 ? 0 : 1 + rnd(g) % 3;
	for (i = 0; i < n; i++)
		g->scratch[rnd(g) % (ioc->size + 8)] = rnd(g);
	return g->scratch;
}

static int destroy_new_names(int fd, const char *before, uint32_t before_len)
{
	char buf[8192];
	struct bwtree_ioc_list l = {
		.size = sizeof(l),
		.buf = (uintptr_t)buf,
		.buf_len = sizeof(buf),
	};
	uint32_t at = 0;
	int n = 0;

	if (bw_ioctl(fd, BWTREE_IOC_LIST, &l))
		return -1;
	while (at < l.buf_len) {
		const char *name = buf + at;
		uint32_t b = 0;
		bool old = false;

		while (b < before_len) {
			if (!strcmp(before + b, name))
				old = true;
			b += strlen(before + b) + 1;
		}
		if (!old && !bw_destroy(fd, name))
			n++;
		at += strlen(name) + 1;
	}
	return n;
}

FIXTURE(garbage) {
	struct garbage g;
	char before[8192];
	uint32_t before_len;
	int adm;
};

FIXTURE_SETUP(garbage)
{
	struct bwtree_ioc_list l = { .size = sizeof(l) };
	struct garbage *g = &self->g;
	const char *s = getenv("BWTREE_SEED");
	unsigned int i;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	g->page = getpagesize();
	g->seed = s ? strtoull(s, NULL, 0) : 0x600dbadULL;
	if (!g->seed)
		g->seed = 1;
	TH_LOG("seed %#llx", (unsigned long long)g->seed);
	g->scratch = bw_map(SCRATCH_PAGES, PROT_READ | PROT_WRITE);
	g->ro = bw_map(1, PROT_READ | PROT_WRITE);
	g->none = bw_map(1, PROT_NONE);
	g->edge = bw_map(2, PROT_READ | PROT_WRITE);
	g->hole = mmap(NULL, HOLE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, g->hole);
	ASSERT_NE(NULL, g->scratch);
	ASSERT_NE(NULL, g->ro);
	ASSERT_NE(NULL, g->none);
	ASSERT_NE(NULL, g->edge);
	for (i = 0; i < (unsigned int)g->page; i++)
		g->ro[i] = rnd(g);
	ASSERT_EQ(0, mprotect(g->ro, g->page, PROT_READ));
	ASSERT_EQ(0, mprotect(g->edge + g->page, g->page, PROT_NONE));
	for (i = 0; i < 8; i++)
		snprintf(g->names[i], sizeof(g->names[i]), "gb%u", i);
	self->adm = bw_open(O_RDWR);
	ASSERT_LE(0, self->adm);
	l.buf = (uintptr_t)self->before;
	l.buf_len = sizeof(self->before);
	ASSERT_EQ(0, bw_ioctl(self->adm, BWTREE_IOC_LIST, &l));
	self->before_len = l.buf_len;
}

FIXTURE_TEARDOWN(garbage)
{
	if (self->adm >= 0) {
		destroy_new_names(self->adm, self->before, self->before_len);
		close(self->adm);
	}
}

TEST_F_TIMEOUT(garbage, random_ioctls_then_still_works, 600)
{
	struct garbage *g = &self->g;
	const char *s = getenv("BWTREE_GARBAGE_CALLS");
	long calls = s ? strtol(s, NULL, 0) : 100000;
	long i, ok = 0, ioctls0, ioctls1;
	int fds[4], errs[256] = { 0 };
	struct bwtree_ioc_pair pairs[64];
	uint32_t count, done;
	int64_t next;
	uint64_t v, n;
	int fd, j;

	ioctls0 = -1;
	{
		FILE *f = fopen("/sys/kernel/bwtree/ioctls", "r");

		if (f) {
			if (fscanf(f, "%ld", &ioctls0) != 1)
				ioctls0 = -1;
			fclose(f);
		}
	}
	fds[0] = bw_open_anon(4, 0);
	fds[1] = bw_open(O_RDWR);
	fds[2] = bw_open(O_RDONLY);
	fds[3] = bw_open_anon(0, 1 << 20);
	for (j = 0; j < 4; j++)
		ASSERT_LE(0, fds[j]);

	for (i = 0; i < calls; i++) {
		const struct bw_ioc *ioc;
		unsigned long cmd = any_cmd(g, &ioc);
		int k = rnd(g) % 4;
		int ret = bw_ioctl(fds[k], cmd, any_arg(g, ioc));

		if (!ret)
			ok++;
		errs[-ret & 0xff]++;
		/* Keep unbound files around: they bind quickly. */
		if (i % 2000 == 1999) {
			close(fds[1]);
			close(fds[2]);
			fds[1] = bw_open(O_RDWR);
			fds[2] = bw_open(O_RDONLY);
			ASSERT_LE(0, fds[1]);
			ASSERT_LE(0, fds[2]);
		}
	}
	TH_LOG("%ld calls, %ld succeeded; EFAULT %d EINVAL %d E2BIG %d ENOTTY %d",
	       calls, ok, errs[EFAULT], errs[EINVAL], errs[E2BIG],
	       errs[ENOTTY]);
	/* Something got through, and most of it was turned away. */
	EXPECT_LT(0, ok);
	EXPECT_LT(0, errs[EFAULT]);
	EXPECT_LT(0, errs[EINVAL]);
	EXPECT_LT(0, errs[E2BIG]);
	EXPECT_LT(0, errs[ENOTTY]);
	for (j = 0; j < 4; j++)
		close(fds[j]);
	EXPECT_LE(0, destroy_new_names(self->adm, self->before,
				       self->before_len));

	/* The module still works, from scratch. */
	fd = bw_open_anon(0, 0);
	ASSERT_LE(0, fd);
	for (j = 0; j < 100; j++)
		ASSERT_EQ(0, bw_insert(fd, j, j * 2));
	ASSERT_EQ(-EEXIST, bw_insert(fd, 5, 0));
	ASSERT_EQ(0, bw_lookup(fd, 42, &v));
	ASSERT_EQ(84, v);
	ASSERT_EQ(0, bw_delete(fd, 42, &v));
	ASSERT_EQ(0, bw_count(fd, &n));
	ASSERT_EQ(99, n);
	ASSERT_EQ(0, bw_scan(fd, 0, 1000, BWTREE_IOC_SCAN_REVERSE, pairs, 64,
			     &count, &next, &done));
	ASSERT_EQ(64, count);
	ASSERT_EQ(99, pairs[0].key);
	ASSERT_EQ(0, done);
	close(fd);
	if (!geteuid()) {
		ASSERT_EQ(0, bw_create(self->adm, "gb-after", 0, 0, 0));
		fd = bw_open_named("gb-after", O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bw_insert(fd, 1, 1));
		close(fd);
		ASSERT_EQ(0, bw_destroy(self->adm, "gb-after"));
	}
	if (ioctls0 >= 0) {
		FILE *f = fopen("/sys/kernel/bwtree/ioctls", "r");

		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fscanf(f, "%ld", &ioctls1));
		fclose(f);
		/* Nearly all reach the driver; a few are the VFS's own. */
		EXPECT_LE(ioctls0 + calls * 9 / 10, ioctls1);
	}
}

TEST_HARNESS_MAIN
