// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree_abi: the ioctl ABI of /dev/bwtree.
 *
 * The size contract of every command (size one below the first version:
 * EINVAL; one byte more, non-zero: E2BIG; zero: as exact; above a page:
 * E2BIG) and bad input of every kind, one case each, with its exact errno
 * and every tree unchanged afterwards.
 *
 * Each test works in a struct env: an anonymous tree with keys 0..99 on an
 * O_RDWR file, an unbound O_RDWR file, and a named tree with keys 0..9.
 * struct env_state fingerprints all three.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "bwtree_test.h"

#define ENV_KEYS	100
#define ENV_NAMED_KEYS	10
#define BUF_SIZE	8192

struct env {
	int fd;
	int ufd;
	char name[32];
	struct bwtree_ioc_pair pairs[64];
	struct bwtree_ioc_batch_op ops[4];
	char list[4096];
};

struct env_state {
	struct bw_snap anon;
	struct bw_snap named;
	int ufd;		/* COUNT on the unbound file: -ENOTCONN */
	uint32_t named_trees;	/* LIST's num_trees */
	uint32_t list_len;	/* LIST's buf_len */
};

static int env_setup(struct env *e)
{
	struct bwtree_ioc_batch_op ops[ENV_KEYS] = { 0 };
	int i, ret, nfd;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->ufd = -1;
	snprintf(e->name, sizeof(e->name), "abi.%d", getpid());
	e->fd = bw_open_anon(0, 0);
	if (e->fd < 0)
		return e->fd;
	for (i = 0; i < ENV_KEYS; i++) {
		ops[i].op = BWTREE_IOC_OP_INSERT;
		ops[i].key = i;
		ops[i].value = 10 * i;
	}
	ret = bw_batch(e->fd, ops, ENV_KEYS, NULL);
	if (ret)
		return ret;
	e->ufd = bw_open(O_RDWR);
	if (e->ufd < 0)
		return e->ufd;
	ret = bw_create(e->ufd, e->name, 0, 0, 0);
	if (ret)
		return ret;
	nfd = bw_open_named(e->name, O_RDWR);
	if (nfd < 0)
		return nfd;
	for (i = 0; i < ENV_NAMED_KEYS; i++) {
		ret = bw_insert(nfd, i, i);
		if (ret)
			break;
	}
	close(nfd);
	return ret;
}

static void env_teardown(struct env *e)
{
	int fd = bw_open(O_RDWR);

	if (fd >= 0) {
		bw_destroy(fd, e->name);
		close(fd);
	}
	if (e->fd >= 0)
		close(e->fd);
	if (e->ufd >= 0)
		close(e->ufd);
	e->fd = -1;
	e->ufd = -1;
}

static struct env_state env_state(struct env *e)
{
	struct env_state s = { 0 };
	struct bwtree_ioc_list l = { .size = sizeof(l) };
	uint64_t count;
	int nfd;

	s.anon = bw_snapshot(e->fd);
	nfd = bw_open_named(e->name, O_RDONLY);
	if (nfd >= 0) {
		s.named = bw_snapshot(nfd);
		close(nfd);
	} else {
		s.named.err = nfd;
	}
	s.ufd = bw_count(e->ufd, &count);
	bw_ioctl(e->fd, BWTREE_IOC_LIST, &l);
	s.named_trees = l.num_trees;
	s.list_len = l.buf_len;
	return s;
}

static bool env_state_eq(struct env_state a, struct env_state b)
{
	return bw_snap_eq(a.anon, b.anon) && bw_snap_eq(a.named, b.named) &&
	       a.ufd == b.ufd && a.named_trees == b.named_trees &&
	       a.list_len == b.list_len;
}

/*
 * Fill @buf with a valid call of @cmd in @e (flags, reserved fields and
 * the tail zero); returns the file to make it on.
 */
static int fill(struct env *e, unsigned long cmd, void *buf)
{
	memset(buf, 0, BUF_SIZE);
	switch (cmd) {
	case BWTREE_IOC_GET_INFO: {
		struct bwtree_ioc_info *c = buf;

		c->size = sizeof(*c);
		return e->fd;
	}
	case BWTREE_IOC_CREATE: {
		struct bwtree_ioc_create *c = buf;

		c->size = sizeof(*c);
		c->flags = BWTREE_IOC_CREATE_ANON;
		return e->ufd;
	}
	case BWTREE_IOC_DESTROY:
	case BWTREE_IOC_ATTACH: {
		struct bwtree_ioc_name *c = buf;

		c->size = sizeof(*c);
		c->name = (uintptr_t)e->name;
		c->name_len = strlen(e->name);
		return cmd == BWTREE_IOC_ATTACH ? e->ufd : e->fd;
	}
	case BWTREE_IOC_LIST: {
		struct bwtree_ioc_list *c = buf;

		c->size = sizeof(*c);
		c->buf = (uintptr_t)e->list;
		c->buf_len = sizeof(e->list);
		return e->fd;
	}
	case BWTREE_IOC_INSERT:
	case BWTREE_IOC_UPSERT:
	case BWTREE_IOC_DELETE:
	case BWTREE_IOC_LOOKUP: {
		struct bwtree_ioc_kv *c = buf;

		c->size = sizeof(*c);
		c->key = cmd == BWTREE_IOC_INSERT ? 1000 :
			 cmd == BWTREE_IOC_UPSERT ? 5 :
			 cmd == BWTREE_IOC_DELETE ? 6 : 7;
		c->value = 77;
		return e->fd;
	}
	case BWTREE_IOC_COUNT: {
		struct bwtree_ioc_count *c = buf;

		c->size = sizeof(*c);
		return e->fd;
	}
	case BWTREE_IOC_STATS: {
		struct bwtree_ioc_stats *c = buf;

		c->size = sizeof(*c);
		return e->fd;
	}
	case BWTREE_IOC_SCAN: {
		struct bwtree_ioc_scan *c = buf;

		c->size = sizeof(*c);
		c->lo = 0;
		c->hi = ENV_KEYS - 1;
		c->pairs = (uintptr_t)e->pairs;
		c->max = BW_ARRAY_SIZE(e->pairs);
		return e->fd;
	}
	case BWTREE_IOC_BATCH: {
		struct bwtree_ioc_batch *c = buf;
		static const struct bwtree_ioc_batch_op ops[4] = {
			{ .op = BWTREE_IOC_OP_INSERT, .key = 1001, .value = 1 },
			{ .op = BWTREE_IOC_OP_UPSERT, .key = 8, .value = 88 },
			{ .op = BWTREE_IOC_OP_DELETE, .key = 9 },
			{ .op = BWTREE_IOC_OP_LOOKUP, .key = 10 },
		};

		memcpy(e->ops, ops, sizeof(ops));
		c->size = sizeof(*c);
		c->ops = (uintptr_t)e->ops;
		c->count = BW_ARRAY_SIZE(ops);
		return e->fd;
	}
	}
	return -1;
}

/* Bytes of output that legitimately differ between two identical runs. */
static void mask_volatile(unsigned long cmd, void *buf)
{
	if (cmd == BWTREE_IOC_GET_INFO)
		((struct bwtree_ioc_info *)buf)->bytes = 0;
	if (cmd == BWTREE_IOC_STATS)
		((struct bwtree_ioc_stats *)buf)->bytes = 0;
}

static unsigned char buf[BUF_SIZE] __attribute__((aligned(4096)));

/* ------------------------------------------------------------------ */
/* The size contract, one variant per command. */

FIXTURE(sizes) {
	struct env env;
	struct env_state before;
};

FIXTURE_VARIANT(sizes) {
	int idx;
};

FIXTURE_VARIANT_ADD(sizes, get_info) { .idx = 0 };
FIXTURE_VARIANT_ADD(sizes, create) { .idx = 1 };
FIXTURE_VARIANT_ADD(sizes, destroy) { .idx = 2 };
FIXTURE_VARIANT_ADD(sizes, list) { .idx = 3 };
FIXTURE_VARIANT_ADD(sizes, attach) { .idx = 4 };
FIXTURE_VARIANT_ADD(sizes, insert) { .idx = 5 };
FIXTURE_VARIANT_ADD(sizes, upsert) { .idx = 6 };
FIXTURE_VARIANT_ADD(sizes, delete) { .idx = 7 };
FIXTURE_VARIANT_ADD(sizes, lookup) { .idx = 8 };
FIXTURE_VARIANT_ADD(sizes, count) { .idx = 9 };
FIXTURE_VARIANT_ADD(sizes, stats) { .idx = 10 };
FIXTURE_VARIANT_ADD(sizes, scan) { .idx = 11 };
FIXTURE_VARIANT_ADD(sizes, batch) { .idx = 12 };

FIXTURE_SETUP(sizes)
{
	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	ASSERT_EQ(BW_NR_IOCS, 13);
	ASSERT_EQ(0, env_setup(&self->env));
	self->before = env_state(&self->env);
}

FIXTURE_TEARDOWN(sizes)
{
	env_teardown(&self->env);
}

/* Run the variant's command with @size, the byte at @tail_at set to 0x5a. */
static int run_sized(struct env *e, const struct bw_ioc *ioc, uint32_t size,
		     long tail_at)
{
	int fd = fill(e, ioc->cmd, buf);

	*(uint32_t *)buf = size;
	if (tail_at >= 0)
		buf[tail_at] = 0x5a;
	return bw_ioctl(fd, ioc->cmd, buf);
}

/*
 * The whole contract for one command, each part from the same starting
 * state: sizes below the first version (EINVAL), non-zero bytes past the
 * structure (E2BIG), sizes above a page (E2BIG), all changing nothing; then
 * the exact size, one byte more (zero) and a page (zeros), each in a fresh
 * identical environment: the same return, the same outputs and the same
 * resulting state.
 */
TEST_F(sizes, contract)
{
	const struct bw_ioc *ioc = &bw_iocs[variant->idx];
	uint32_t small[] = { ioc->size - 1, 8, 4, 0 };
	static unsigned char out[3][BUF_SIZE];
	static struct env side[3];
	uint32_t sizes[3] = { ioc->size, ioc->size + 1, 4096 };
	struct env_state st[3];
	int ret[3];
	unsigned int i;

	for (i = 0; i < BW_ARRAY_SIZE(small); i++) {
		EXPECT_EQ(-EINVAL, run_sized(&self->env, ioc, small[i], -1))
			TH_LOG("%s size %u", ioc->name, small[i]);
	}
	EXPECT_EQ(-E2BIG, run_sized(&self->env, ioc, ioc->size + 1, ioc->size))
		TH_LOG("%s: one non-zero byte more", ioc->name);
	EXPECT_EQ(-E2BIG, run_sized(&self->env, ioc, ioc->size + 64,
				    ioc->size + 63))
		TH_LOG("%s: 64 bytes more, the last non-zero", ioc->name);
	EXPECT_EQ(-E2BIG, run_sized(&self->env, ioc, 4096, 4095))
		TH_LOG("%s: a page, the last byte non-zero", ioc->name);
	EXPECT_EQ(-E2BIG, run_sized(&self->env, ioc, 4097, -1))
		TH_LOG("%s: a page and a byte", ioc->name);
	EXPECT_EQ(-E2BIG, run_sized(&self->env, ioc, UINT32_MAX, -1))
		TH_LOG("%s: size UINT32_MAX", ioc->name);
	EXPECT_TRUE(env_state_eq(self->before, env_state(&self->env)))
		TH_LOG("%s: a rejected call changed something", ioc->name);

	for (i = 0; i < 3; i++) {
		if (i) {
			env_teardown(&self->env);
			ASSERT_EQ(0, env_setup(&self->env));
		}
		ret[i] = run_sized(&self->env, ioc, sizes[i], -1);
		memcpy(out[i], buf, BUF_SIZE);
		mask_volatile(ioc->cmd, out[i]);
		/* The size field is given back as the caller wrote it. */
		EXPECT_EQ(sizes[i], *(uint32_t *)out[i]);
		*(uint32_t *)out[i] = 0;
		side[i] = self->env;
		st[i] = env_state(&self->env);
	}
	EXPECT_EQ(0, ret[0]) TH_LOG("%s: exact size", ioc->name);
	for (i = 1; i < 3; i++) {
		EXPECT_EQ(ret[0], ret[i]) TH_LOG("%s size %u", ioc->name,
						 sizes[i]);
		/* Outputs are written back to at most the structure's size. */
		EXPECT_EQ(0, memcmp(out[0], out[i], ioc->size))
			TH_LOG("%s size %u: outputs differ", ioc->name,
			       sizes[i]);
		EXPECT_EQ(0, out[i][ioc->size]);
		EXPECT_EQ(0, memcmp(side[0].pairs, side[i].pairs,
				    sizeof(side[0].pairs)));
		EXPECT_EQ(0, memcmp(side[0].ops, side[i].ops,
				    sizeof(side[0].ops)));
		EXPECT_EQ(0, memcmp(side[0].list, side[i].list,
				    sizeof(side[0].list)));
		EXPECT_TRUE(env_state_eq(st[0], st[i]))
			TH_LOG("%s size %u: state differs", ioc->name,
			       sizes[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Bad input. */

FIXTURE(bad) {
	struct env env;
	struct env_state before;
	long page;
};

FIXTURE_SETUP(bad)
{
	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	ASSERT_EQ(0, env_setup(&self->env));
	self->before = env_state(&self->env);
	self->page = getpagesize();
}

FIXTURE_TEARDOWN(bad)
{
	env_teardown(&self->env);
}

#define EXPECT_UNCHANGED() \
	EXPECT_TRUE(env_state_eq(self->before, env_state(&self->env)))

/* For every command: the file fill() picks, and the bound one. */
TEST_F(bad, null_argument)
{
	unsigned int i;

	for (i = 0; i < BW_NR_IOCS; i++) {
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.fd, bw_iocs[i].cmd, NULL))
			TH_LOG("%s", bw_iocs[i].name);
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.ufd, bw_iocs[i].cmd, NULL))
			TH_LOG("%s", bw_iocs[i].name);
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, prot_none_argument)
{
	void *p = bw_map(1, PROT_NONE);
	unsigned int i;

	ASSERT_NE(NULL, p);
	for (i = 0; i < BW_NR_IOCS; i++) {
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.fd, bw_iocs[i].cmd, p))
			TH_LOG("%s", bw_iocs[i].name);
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.ufd, bw_iocs[i].cmd, p))
			TH_LOG("%s", bw_iocs[i].name);
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, kernel_address_argument)
{
	static const uintptr_t addrs[] = { 0xffff888000000000UL,
					   0xffffffffff600000UL,
					   0x8000000000000000UL };
	unsigned int i, j;

	for (i = 0; i < BW_NR_IOCS; i++) {
		for (j = 0; j < BW_ARRAY_SIZE(addrs); j++) {
			EXPECT_EQ(-EFAULT, bw_ioctl(self->env.fd,
						    bw_iocs[i].cmd,
						    (void *)addrs[j]))
				TH_LOG("%s at %#lx", bw_iocs[i].name,
				       (unsigned long)addrs[j]);
		}
	}
	EXPECT_UNCHANGED();
}

/*
 * The structure straddles the end of a mapping: its first 8 bytes (size
 * and flags) readable, the rest not; then all but its last byte.
 */
TEST_F(bad, struct_straddles_mapping_end)
{
	char *p = bw_map(2, PROT_READ | PROT_WRITE);
	char *end;
	unsigned int i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_NONE));
	end = p + self->page;
	for (i = 0; i < BW_NR_IOCS; i++) {
		const struct bw_ioc *ioc = &bw_iocs[i];
		int fd = fill(&self->env, ioc->cmd, buf);

		memcpy(end - 8, buf, 8);
		EXPECT_EQ(-EFAULT, bw_ioctl(fd, ioc->cmd, end - 8))
			TH_LOG("%s: 8 bytes readable", ioc->name);
		memcpy(end - (ioc->size - 1), buf, ioc->size - 1);
		EXPECT_EQ(-EFAULT, bw_ioctl(fd, ioc->cmd, end - (ioc->size - 1)))
			TH_LOG("%s: all but the last byte readable", ioc->name);
	}
	EXPECT_UNCHANGED();
	bw_unmap(p, 2);
}

/* A read-only structure for every command that writes to it. */
TEST_F(bad, readonly_struct)
{
	char *p = bw_map(1, PROT_READ | PROT_WRITE);
	unsigned int i;

	ASSERT_NE(NULL, p);
	for (i = 0; i < BW_NR_IOCS; i++) {
		const struct bw_ioc *ioc = &bw_iocs[i];
		int fd;

		if (!ioc->writes_back)
			continue;
		ASSERT_EQ(0, mprotect(p, self->page, PROT_READ | PROT_WRITE));
		fd = fill(&self->env, ioc->cmd, buf);
		memcpy(p, buf, ioc->size);
		ASSERT_EQ(0, mprotect(p, self->page, PROT_READ));
		EXPECT_EQ(-EFAULT, bw_ioctl(fd, ioc->cmd, p))
			TH_LOG("%s", ioc->name);
	}
	EXPECT_UNCHANGED();
	bw_unmap(p, 1);
}

/* Commands that only read their structure accept a read-only one. */
TEST_F(bad, readonly_struct_input_only)
{
	char *p = bw_map(1, PROT_READ | PROT_WRITE);
	uint64_t v;

	ASSERT_NE(NULL, p);
	fill(&self->env, BWTREE_IOC_INSERT, buf);
	memcpy(p, buf, sizeof(struct bwtree_ioc_kv));
	ASSERT_EQ(0, mprotect(p, self->page, PROT_READ));
	EXPECT_EQ(0, bw_ioctl(self->env.fd, BWTREE_IOC_INSERT, p));
	EXPECT_EQ(0, bw_lookup(self->env.fd, 1000, &v));
	EXPECT_EQ(77, v);
	bw_unmap(p, 1);
}

TEST_F(bad, undefined_flag_bits)
{
	unsigned int i, bit;

	for (i = 0; i < BW_NR_IOCS; i++) {
		const struct bw_ioc *ioc = &bw_iocs[i];

		for (bit = 0; bit < 32; bit++) {
			int fd;

			if (ioc->flags & (1U << bit))
				continue;
			fd = fill(&self->env, ioc->cmd, buf);
			((uint32_t *)buf)[1] |= 1U << bit;
			EXPECT_EQ(-EINVAL, bw_ioctl(fd, ioc->cmd, buf))
				TH_LOG("%s flag bit %u", ioc->name, bit);
		}
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, nonzero_reserved)
{
	static const uint32_t vals[] = { 1, 0x80000000, UINT32_MAX };
	unsigned int i, j;

	for (i = 0; i < BW_NR_IOCS; i++) {
		const struct bw_ioc *ioc = &bw_iocs[i];

		if (ioc->reserved < 0)
			continue;
		for (j = 0; j < BW_ARRAY_SIZE(vals); j++) {
			int fd = fill(&self->env, ioc->cmd, buf);

			memcpy(buf + ioc->reserved, &vals[j], sizeof(vals[j]));
			EXPECT_EQ(-EINVAL, bw_ioctl(fd, ioc->cmd, buf))
				TH_LOG("%s reserved %#x", ioc->name, vals[j]);
		}
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, batch_op_fields)
{
	static const uint32_t bad_ops[] = { 0, 5, 6, 0x100, 0x80000001,
					    UINT32_MAX };
	struct bwtree_ioc_batch_op ops[3];
	unsigned int i;

	/* Valid mutations first: the bad op at the end must stop them all. */
	for (i = 0; i < BW_ARRAY_SIZE(bad_ops); i++) {
		memset(ops, 0, sizeof(ops));
		ops[0].op = BWTREE_IOC_OP_INSERT;
		ops[0].key = 5000;
		ops[1].op = BWTREE_IOC_OP_DELETE;
		ops[1].key = 1;
		ops[2].op = bad_ops[i];
		ops[2].key = 2;
		EXPECT_EQ(-EINVAL, bw_batch(self->env.fd, ops, 3, NULL))
			TH_LOG("op %#x", bad_ops[i]);
	}
	for (i = 0; i < 32; i++) {
		memset(ops, 0, sizeof(ops));
		ops[0].op = BWTREE_IOC_OP_INSERT;
		ops[0].key = 5000;
		ops[1].op = BWTREE_IOC_OP_LOOKUP;
		ops[1].key = 3;
		ops[1].flags = 1U << i;
		EXPECT_EQ(-EINVAL, bw_batch(self->env.fd, ops, 2, NULL))
			TH_LOG("op flag bit %u", i);
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, wrong_command_encodings)
{
	unsigned int i, nr;

	for (i = 0; i < BW_NR_IOCS; i++) {
		const struct bw_ioc *ioc = &bw_iocs[i];
		unsigned int n = _IOC_NR(ioc->cmd);
		unsigned long cmds[] = {
			_IOC(_IOC_READ, BWTREE_IOC_TYPE, n, ioc->size),
			_IOC(_IOC_WRITE, BWTREE_IOC_TYPE, n, ioc->size),
			_IOC(_IOC_READ | _IOC_WRITE, BWTREE_IOC_TYPE, n,
			     ioc->size),
			_IOC(_IOC_NONE, BWTREE_IOC_TYPE, n, ioc->size),
			_IOC(_IOC_NONE, BWTREE_IOC_TYPE, n, 8),
			_IO(BWTREE_IOC_TYPE - 1, n),
			_IO(BWTREE_IOC_TYPE + 1, n),
			_IO(BWTREE_IOC_TYPE, n + 0x80),
		};
		unsigned int j;

		for (j = 0; j < BW_ARRAY_SIZE(cmds); j++) {
			int fd = fill(&self->env, ioc->cmd, buf);

			EXPECT_EQ(-ENOTTY, bw_ioctl(fd, cmds[j], buf))
				TH_LOG("%s as %#lx", ioc->name, cmds[j]);
		}
	}
	for (nr = BW_NR_IOCS; nr < 256; nr++) {
		fill(&self->env, BWTREE_IOC_INSERT, buf);
		EXPECT_EQ(-ENOTTY, bw_ioctl(self->env.fd,
					    _IO(BWTREE_IOC_TYPE, nr), buf))
			TH_LOG("nr %#x", nr);
	}
	EXPECT_EQ(-ENOTTY, bw_ioctl(self->env.fd, 0, buf));
	EXPECT_UNCHANGED();
}

TEST_F(bad, scan_lo_above_hi)
{
	static const int64_t r[][2] = {
		{ 1, 0 }, { 0, -1 }, { INT64_MAX, INT64_MIN },
		{ INT64_MIN + 1, INT64_MIN }, { 50, 49 },
	};
	struct bwtree_ioc_pair pairs[4];
	uint32_t count, done;
	int64_t next;
	unsigned int i;

	for (i = 0; i < BW_ARRAY_SIZE(r); i++) {
		EXPECT_EQ(-EINVAL, bw_scan(self->env.fd, r[i][0], r[i][1], 0,
					   pairs, 4, &count, &next, &done));
		EXPECT_EQ(-EINVAL, bw_scan(self->env.fd, r[i][0], r[i][1],
					   BWTREE_IOC_SCAN_REVERSE, pairs, 4,
					   &count, &next, &done));
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, scan_max_zero_and_oversized)
{
	struct bwtree_ioc_info info;
	struct bwtree_ioc_pair *pairs;
	uint32_t count, done;
	int64_t next;

	ASSERT_EQ(0, bw_info(self->env.fd, &info));
	pairs = calloc(info.max_scan + 1, sizeof(*pairs));
	ASSERT_NE(NULL, pairs);
	EXPECT_EQ(-EINVAL, bw_scan(self->env.fd, 0, 10, 0, pairs, 0, &count,
				   &next, &done));
	EXPECT_EQ(-EINVAL, bw_scan(self->env.fd, 0, 10, 0, pairs,
				   info.max_scan + 1, &count, &next, &done));
	EXPECT_EQ(-EINVAL, bw_scan(self->env.fd, 0, 10, 0, pairs, UINT32_MAX,
				   &count, &next, &done));
	EXPECT_EQ(0, bw_scan(self->env.fd, 0, 10, 0, pairs, info.max_scan,
			     &count, &next, &done));
	EXPECT_EQ(11, count);
	free(pairs);
	EXPECT_UNCHANGED();
}

TEST_F(bad, batch_count_zero_and_oversized)
{
	struct bwtree_ioc_info info;
	struct bwtree_ioc_batch_op *ops;
	uint32_t i;

	ASSERT_EQ(0, bw_info(self->env.fd, &info));
	ops = calloc(info.max_batch + 1, sizeof(*ops));
	ASSERT_NE(NULL, ops);
	for (i = 0; i <= info.max_batch; i++) {
		ops[i].op = BWTREE_IOC_OP_INSERT;
		ops[i].key = 10000 + i;
	}
	EXPECT_EQ(-EINVAL, bw_batch(self->env.fd, ops, 0, NULL));
	EXPECT_EQ(-EINVAL, bw_batch(self->env.fd, ops, info.max_batch + 1,
				    NULL));
	EXPECT_EQ(-EINVAL, bw_batch(self->env.fd, ops, UINT32_MAX, NULL));
	free(ops);
	EXPECT_UNCHANGED();
}

/* Bad pair buffers fail whether or not the range holds keys. */
TEST_F(bad, scan_bad_buffer)
{
	char *p = bw_map(2, PROT_READ | PROT_WRITE);
	char *ro = bw_map(1, PROT_READ);
	char *none = bw_map(1, PROT_NONE);
	uint32_t count, done, r;
	int64_t next;
	unsigned int i;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, none);
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_NONE));
	for (r = 0; r < 2; r++) {
		int64_t lo = r ? 5000 : 0, hi = r ? 6000 : 99;
		void *bufs[] = {
			NULL, none, ro,
			p + self->page - 3 * sizeof(struct bwtree_ioc_pair),
			(void *)0xffff888000000000UL,
			(void *)0x8000000000000000UL,
		};

		for (i = 0; i < BW_ARRAY_SIZE(bufs); i++) {
			EXPECT_EQ(-EFAULT, bw_scan(self->env.fd, lo, hi, 0,
						   bufs[i], 4, &count, &next,
						   &done))
				TH_LOG("buffer %u range %u", i, r);
			EXPECT_EQ(-EFAULT, bw_scan(self->env.fd, lo, hi,
						   BWTREE_IOC_SCAN_REVERSE,
						   bufs[i], 4, &count, &next,
						   &done))
				TH_LOG("buffer %u range %u reverse", i, r);
		}
	}
	/* Three pairs fit before the hole: max 3 works there. */
	EXPECT_EQ(0, bw_scan(self->env.fd, 0, 99, 0,
			     (void *)(p + self->page - 48), 3, &count, &next,
			     &done));
	EXPECT_EQ(3, count);
	EXPECT_UNCHANGED();
}

/* Bad op arrays, including one whose last op is past a mapping's end. */
TEST_F(bad, batch_bad_buffer)
{
	char *p = bw_map(2, PROT_READ | PROT_WRITE);
	char *none = bw_map(1, PROT_NONE);
	struct bwtree_ioc_batch_op *ops;
	char *ro;
	unsigned int i;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, none);
	ro = bw_map(1, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, ro);
	ops = (void *)ro;
	for (i = 0; i < 4; i++) {
		ops[i].op = BWTREE_IOC_OP_INSERT;
		ops[i].key = 7000 + i;
	}
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_NONE));
	ops = (void *)(p + self->page - 3 * sizeof(*ops));
	for (i = 0; i < 3; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].op = BWTREE_IOC_OP_INSERT;
		ops[i].key = 8000 + i;
	}
	EXPECT_EQ(-EFAULT, bw_batch(self->env.fd, NULL, 4, NULL));
	EXPECT_EQ(-EFAULT, bw_batch(self->env.fd, (void *)none, 4, NULL));
	EXPECT_EQ(-EFAULT, bw_batch(self->env.fd, (void *)ro, 4, NULL));
	EXPECT_EQ(-EFAULT, bw_batch(self->env.fd, ops, 4, NULL));
	EXPECT_EQ(-EFAULT, bw_batch(self->env.fd,
				    (void *)0xffff888000000000UL, 4, NULL));
	EXPECT_UNCHANGED();
}

TEST_F(bad, name_bad_pointer)
{
	char *p = bw_map(2, PROT_READ | PROT_WRITE);
	char *none = bw_map(1, PROT_NONE);
	char *straddle;
	struct bwtree_ioc_create c;
	struct bwtree_ioc_name n;
	const char *names[3];
	unsigned int i;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, none);
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_NONE));
	straddle = p + self->page - 2;
	memcpy(straddle, "ab", 2);
	names[0] = NULL;
	names[1] = none;
	names[2] = straddle;
	for (i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.name = (uintptr_t)names[i];
		c.name_len = 4;
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE,
					    &c));
		c.flags = BWTREE_IOC_CREATE_ATTACH;
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE,
					    &c));
		memset(&n, 0, sizeof(n));
		n.size = sizeof(n);
		n.name = (uintptr_t)names[i];
		n.name_len = 4;
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.fd, BWTREE_IOC_DESTROY,
					    &n));
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.ufd, BWTREE_IOC_ATTACH,
					    &n));
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, list_bad_buffer)
{
	char *ro = bw_map(1, PROT_READ);
	char *none = bw_map(1, PROT_NONE);
	struct bwtree_ioc_list l;
	void *bufs[3];
	unsigned int i;

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, none);
	bufs[0] = NULL;
	bufs[1] = ro;
	bufs[2] = none;
	for (i = 0; i < 3; i++) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.buf = (uintptr_t)bufs[i];
		l.buf_len = 4096;
		EXPECT_EQ(-EFAULT, bw_ioctl(self->env.fd, BWTREE_IOC_LIST, &l))
			TH_LOG("buffer %u", i);
	}
	EXPECT_UNCHANGED();
}

TEST_F(bad, invalid_names)
{
	static const struct { const char *s; uint32_t len; } names[] = {
		{ "", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32 },
		{ "a/b", 3 },
		{ "a b", 3 },
		{ ".hidden", 7 },
		{ "..", 2 },
		{ ".", 1 },
		{ "a:b", 3 },
		{ "a\nb", 3 },
		{ "\xff", 1 },
		{ "ab\0", 3 },
		{ "abc", 4096 },
		{ "abc", UINT32_MAX },
	};
	struct bwtree_ioc_create c;
	struct bwtree_ioc_name n;
	unsigned int i;

	for (i = 0; i < BW_ARRAY_SIZE(names); i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.name = (uintptr_t)names[i].s;
		c.name_len = names[i].len;
		EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE,
					    &c))
			TH_LOG("create name %u", i);
		memset(&n, 0, sizeof(n));
		n.size = sizeof(n);
		n.name = (uintptr_t)names[i].s;
		n.name_len = names[i].len;
		EXPECT_EQ(-EINVAL, bw_ioctl(self->env.fd, BWTREE_IOC_DESTROY,
					    &n))
			TH_LOG("destroy name %u", i);
		EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_ATTACH,
					    &n))
			TH_LOG("attach name %u", i);
	}
	EXPECT_UNCHANGED();
	/* The longest name, and every allowed character, are fine. */
	EXPECT_EQ(0, bw_create(self->env.fd, "Az09_.-aaaaaaaaaaaaaaaaaaaaaaaa",
			       0, 0, 0));
	EXPECT_EQ(0, bw_destroy(self->env.fd,
				"Az09_.-aaaaaaaaaaaaaaaaaaaaaaaa"));
	EXPECT_UNCHANGED();
}

TEST_F(bad, invalid_params)
{
	struct bwtree_ioc_info info;
	struct bwtree_ioc_create c;
	unsigned int i;
	struct {
		uint32_t leaf, inner, chain;
		uint64_t max_bytes;
	} p[] = {
		{ 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 0, 1ULL << 63 },
		{ 0, 0, 0, UINT64_MAX }, { UINT32_MAX, 0, 0, 0 },
		{ 0, UINT32_MAX, 0, 0 }, { 0, 0, UINT32_MAX, 0 },
		{ 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 },
		{ 0, 0, 0, 0 }, { 0, 0, 0, 0 },
	};

	ASSERT_EQ(0, bw_info(self->env.fd, &info));
	p[7].leaf = info.min_node - 1;
	p[8].leaf = info.max_node + 1;
	p[9].inner = info.min_node - 1;
	p[10].inner = info.max_node + 1;
	p[11].chain = info.max_chain + 1;
	for (i = 0; i < BW_ARRAY_SIZE(p); i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.flags = BWTREE_IOC_CREATE_ANON;
		c.leaf_max = p[i].leaf;
		c.inner_max = p[i].inner;
		c.chain_max = p[i].chain;
		c.max_bytes = p[i].max_bytes;
		EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE,
					    &c))
			TH_LOG("params %u", i);
		/* Same for a named tree. */
		c.flags = 0;
		c.name = (uintptr_t)"abi-params";
		c.name_len = strlen("abi-params");
		EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE,
					    &c))
			TH_LOG("named params %u", i);
	}
	/* An anonymous tree has no name. */
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = BWTREE_IOC_CREATE_ANON;
	c.name = (uintptr_t)"x";
	c.name_len = 1;
	EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE, &c));
	c.name_len = 0;
	EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE, &c));
	c.name = 0;
	c.name_len = 1;
	EXPECT_EQ(-EINVAL, bw_ioctl(self->env.ufd, BWTREE_IOC_CREATE, &c));
	EXPECT_UNCHANGED();
	/* The limits themselves are accepted. */
	EXPECT_EQ(0, bw_create(self->env.ufd, NULL, BWTREE_IOC_CREATE_ANON,
			       info.min_node, 0));
}

TEST_F(bad, readonly_file)
{
	int ro = bw_open_named(self->env.name, O_RDONLY);
	int ro2 = bw_open(O_RDONLY);
	struct bwtree_ioc_batch_op ops[3] = {
		{ .op = BWTREE_IOC_OP_LOOKUP, .key = 1 },
		{ .op = BWTREE_IOC_OP_LOOKUP, .key = 2 },
		{ .op = BWTREE_IOC_OP_LOOKUP, .key = 3 },
	};
	static const uint32_t mut[] = { BWTREE_IOC_OP_INSERT,
					BWTREE_IOC_OP_UPSERT,
					BWTREE_IOC_OP_DELETE };
	struct bwtree_ioc_stats st;
	uint64_t v, count;
	uint32_t done, i;

	ASSERT_LE(0, ro);
	ASSERT_LE(0, ro2);
	EXPECT_EQ(-EBADF, bw_insert(ro, 100, 1));
	EXPECT_EQ(-EBADF, bw_insert(ro, 1, 1));
	EXPECT_EQ(-EBADF, bw_upsert(ro, 1, 5, NULL));
	EXPECT_EQ(-EBADF, bw_delete(ro, 1, NULL));
	EXPECT_EQ(-EBADF, bw_delete(ro, 100, NULL));
	for (i = 0; i < BW_ARRAY_SIZE(mut); i++) {
		ops[2].op = mut[i];
		EXPECT_EQ(-EBADF, bw_batch(ro, ops, 3, NULL));
	}
	EXPECT_EQ(-EBADF, bw_create(ro2, NULL, BWTREE_IOC_CREATE_ANON, 0, 0));
	EXPECT_EQ(-EBADF, bw_create(ro2, "abi-ro", 0, 0, 0));
	EXPECT_EQ(-EBADF, bw_destroy(ro2, self->env.name));
	EXPECT_EQ(-EBADF, bw_destroy(ro, self->env.name));
	EXPECT_UNCHANGED();

	/* Reading works. */
	ops[2].op = BWTREE_IOC_OP_LOOKUP;
	EXPECT_EQ(0, bw_batch(ro, ops, 3, &done));
	EXPECT_EQ(3, done);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_EQ(i + 1, ops[i].value);
	}
	EXPECT_EQ(0, bw_lookup(ro, 4, &v));
	EXPECT_EQ(4, v);
	EXPECT_EQ(0, bw_count(ro, &count));
	EXPECT_EQ(ENV_NAMED_KEYS, count);
	EXPECT_EQ(0, bw_stats(ro, &st));
	EXPECT_EQ(ENV_NAMED_KEYS, st.count);
	EXPECT_EQ(0, bw_attach(ro2, self->env.name));
	EXPECT_EQ(-EBADF, bw_insert(ro2, 100, 1));
	close(ro);
	close(ro2);
	EXPECT_UNCHANGED();
}

TEST_F(bad, unbound_file)
{
	struct bwtree_ioc_batch_op op = { .op = BWTREE_IOC_OP_LOOKUP };
	struct bwtree_ioc_pair pairs[4];
	struct bwtree_ioc_stats st;
	uint32_t count32, done;
	uint64_t count;
	int64_t next;

	EXPECT_EQ(-ENOTCONN, bw_insert(self->env.ufd, 1, 1));
	EXPECT_EQ(-ENOTCONN, bw_upsert(self->env.ufd, 1, 1, NULL));
	EXPECT_EQ(-ENOTCONN, bw_delete(self->env.ufd, 1, NULL));
	EXPECT_EQ(-ENOTCONN, bw_lookup(self->env.ufd, 1, NULL));
	EXPECT_EQ(-ENOTCONN, bw_count(self->env.ufd, &count));
	EXPECT_EQ(-ENOTCONN, bw_stats(self->env.ufd, &st));
	EXPECT_EQ(-ENOTCONN, bw_scan(self->env.ufd, 0, 1, 0, pairs, 4,
				     &count32, &next, &done));
	EXPECT_EQ(-ENOTCONN, bw_batch(self->env.ufd, &op, 1, NULL));
	EXPECT_UNCHANGED();
}

TEST_F(bad, already_bound)
{
	EXPECT_EQ(-EBUSY, bw_attach(self->env.fd, self->env.name));
	EXPECT_EQ(-EBUSY, bw_create(self->env.fd, NULL, BWTREE_IOC_CREATE_ANON,
				    0, 0));
	EXPECT_EQ(-EBUSY, bw_create(self->env.fd, "abi-busy",
				    BWTREE_IOC_CREATE_ATTACH, 0, 0));
	EXPECT_EQ(-ENOENT, bw_destroy(self->env.fd, "abi-busy"));
	EXPECT_UNCHANGED();
	/* A file is bound once, whichever way. */
	EXPECT_EQ(0, bw_attach(self->env.ufd, self->env.name));
	EXPECT_EQ(-EBUSY, bw_attach(self->env.ufd, self->env.name));
	EXPECT_EQ(-EBUSY, bw_create(self->env.ufd, NULL,
				    BWTREE_IOC_CREATE_ANON, 0, 0));
}

TEST_F(bad, absent_and_present)
{
	uint64_t v = 1234;

	EXPECT_EQ(-ENOENT, bw_attach(self->env.ufd, "abi-absent"));
	EXPECT_EQ(-ENOENT, bw_destroy(self->env.fd, "abi-absent"));
	EXPECT_EQ(-EEXIST, bw_create(self->env.fd, self->env.name, 0, 0, 0));
	EXPECT_EQ(-EEXIST, bw_create(self->env.ufd, self->env.name,
				     BWTREE_IOC_CREATE_ATTACH, 0, 0));
	EXPECT_EQ(-ENOENT, bw_delete(self->env.fd, ENV_KEYS, &v));
	EXPECT_EQ(-ENOENT, bw_lookup(self->env.fd, -1, &v));
	EXPECT_EQ(-EEXIST, bw_insert(self->env.fd, 0, 5));
	EXPECT_UNCHANGED();
}

/*
 * Fork a child that drops privilege by @how and checks what it may still
 * do through the files it inherited; returns its exit status: 0, or the
 * number of the first check that failed.
 */
enum { DROP_UID, DROP_CAPS };

static int capset_none(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { 0 };

	return syscall(SYS_capset, &h, d);
}

static int mode_is_default(void)
{
	char s[32] = "";
	FILE *f = fopen("/sys/module/bwtree/parameters/mode", "r");

	if (!f)
		return 0;
	if (!fgets(s, sizeof(s), f))
		s[0] = 0;
	fclose(f);
	return strtoul(s, NULL, 0) == 0600;
}

static int unprivileged_child(struct env *e, int how)
{
	/* A file of its own: e->ufd is shared with the parent. */
	int own = bw_open(O_RDWR);
	int fd;

	if (own < 0)
		return 102;
	if (how == DROP_UID) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			return 100;
	}
	if (capset_none())
		return 101;
	if (bw_create(e->ufd, "abi-unpriv", 0, 0, 0) != -EPERM)
		return 1;
	if (bw_create(e->ufd, "abi-unpriv", BWTREE_IOC_CREATE_ATTACH, 0, 0) !=
	    -EPERM)
		return 2;
	if (bw_destroy(e->fd, e->name) != -EPERM)
		return 3;
	if (bw_destroy(e->fd, "abi-absent") != -EPERM)
		return 4;
	/* Only a writable file fails with EBADF first. */
	fd = bw_open(O_RDONLY);
	if (how == DROP_UID && mode_is_default()) {
		/* 0600 root: others cannot open the device at all. */
		if (fd != -EACCES)
			return 5;
	}
	if (fd >= 0)
		close(fd);
	/* Anonymous trees and data operations need no capability. */
	if (bw_create(own, NULL, BWTREE_IOC_CREATE_ANON, 0, 0))
		return 6;
	if (bw_insert(own, 1, 1))
		return 7;
	if (bw_lookup(e->fd, 3, NULL))
		return 8;
	return 0;
}

static void check_unprivileged(struct __test_metadata *_metadata,
			       struct env *e, int how)
{
	int status = -1;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(unprivileged_child(e, how));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(bad, unprivileged_uid)
{
	if (geteuid())
		SKIP(return, "needs root to drop privilege");
	check_unprivileged(_metadata, &self->env, DROP_UID);
	EXPECT_UNCHANGED();
}

TEST_F(bad, unprivileged_caps)
{
	if (geteuid())
		SKIP(return, "needs root to drop privilege");
	check_unprivileged(_metadata, &self->env, DROP_CAPS);
	EXPECT_UNCHANGED();
}

TEST_HARNESS_MAIN
