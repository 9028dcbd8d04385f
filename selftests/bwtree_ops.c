// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree_ops: what every ioctl of /dev/bwtree does, checked against a
 * reference model (struct model in bwtree_test.h): single operations,
 * scans in both directions with the stateless cursor, batches, named and
 * anonymous trees and their lifetimes, LIST, memory limits, and the
 * statistics in debugfs and sysfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "bwtree_test.h"

#define SPREAD	2000

/* Compare the whole tree, both directions, with the model. */
static int check_tree(int fd, const struct model *m)
{
	struct bwtree_ioc_pair *got = calloc(m->n + 1, sizeof(*got));
	uint64_t count;
	long n;
	size_t i;
	int ret = 0;

	if (!got)
		return -ENOMEM;
	if (bw_count(fd, &count) || count != m->n) {
		ret = 1;
		goto out;
	}
	n = bw_scan_all(fd, INT64_MIN, INT64_MAX, 0, 97, got, m->n + 1);
	if (n != (long)m->n || memcmp(got, m->a, m->n * sizeof(*got))) {
		ret = 2;
		goto out;
	}
	n = bw_scan_all(fd, INT64_MIN, INT64_MAX, BWTREE_IOC_SCAN_REVERSE, 61,
			got, m->n + 1);
	if (n != (long)m->n) {
		ret = 3;
		goto out;
	}
	for (i = 0; i < m->n; i++) {
		if (got[i].key != m->a[m->n - 1 - i].key ||
		    got[i].value != m->a[m->n - 1 - i].value) {
			ret = 4;
			goto out;
		}
	}
out:
	free(got);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Operations against the model, over node sizes. */

FIXTURE(model) {
	int fd;
	struct model m;
	uint64_t seed;
};

FIXTURE_VARIANT(model) {
	uint32_t node_max;
};

FIXTURE_VARIANT_ADD(model, tiny_nodes) { .node_max = 4 };
FIXTURE_VARIANT_ADD(model, small_nodes) { .node_max = 16 };
FIXTURE_VARIANT_ADD(model, default_nodes) { .node_max = 0 };

FIXTURE_SETUP(model)
{
	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	self->fd = bw_open_anon(variant->node_max, 0);
	ASSERT_LE(0, self->fd);
	memset(&self->m, 0, sizeof(self->m));
	self->seed = 0x9e3779b97f4a7c15ULL ^ variant->node_max;
}

FIXTURE_TEARDOWN(model)
{
	close(self->fd);
	model_free(&self->m);
}

TEST_F_TIMEOUT(model, single_ops, 120)
{
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t r = bw_rand(&self->seed) % 100;
		int64_t k = bw_rand_key(&self->seed, SPREAD);
		uint64_t v = bw_rand(&self->seed), got = 0, want = 0;
		uint32_t replaced = 7;
		bool present = model_get(&self->m, k, &want);

		if (r < 35) {
			ASSERT_EQ(present ? -EEXIST : 0,
				  bw_insert(self->fd, k, v));
			if (!present)
				model_put(&self->m, k, v, false);
		} else if (r < 55) {
			ASSERT_EQ(0, bw_upsert(self->fd, k, v, &replaced));
			ASSERT_EQ(present, replaced);
			model_put(&self->m, k, v, true);
		} else if (r < 80) {
			ASSERT_EQ(present ? 0 : -ENOENT,
				  bw_delete(self->fd, k, &got));
			if (present) {
				ASSERT_EQ(want, got);
				model_del(&self->m, k, NULL);
			}
		} else {
			ASSERT_EQ(present ? 0 : -ENOENT,
				  bw_lookup(self->fd, k, &got));
			if (present)
				ASSERT_EQ(want, got);
		}
		if (i % 500 == 499)
			ASSERT_EQ(0, check_tree(self->fd, &self->m))
				TH_LOG("after %d ops", i + 1);
	}
	ASSERT_EQ(0, check_tree(self->fd, &self->m));
	/* Empty it again: every key deletes once. */
	while (self->m.n) {
		int64_t k = self->m.a[self->m.n / 2].key;
		uint64_t want, got;

		model_del(&self->m, k, &want);
		ASSERT_EQ(0, bw_delete(self->fd, k, &got));
		ASSERT_EQ(want, got);
		ASSERT_EQ(-ENOENT, bw_delete(self->fd, k, &got));
	}
	ASSERT_EQ(0, check_tree(self->fd, &self->m));
}

/*
 * Page through [lo, hi] with @chunk pairs per call and check the cursor:
 * progress on every call, a resume key inside the range and past what was
 * returned, and the concatenation equal to the model's range.
 */
static int scan_check(int fd, const struct model *m, int64_t lo, int64_t hi,
		      bool reverse, uint32_t chunk)
{
	struct bwtree_ioc_pair *want = calloc(m->n + 1, sizeof(*want));
	struct bwtree_ioc_pair *page = calloc(chunk, sizeof(*page));
	size_t nwant = model_range(m, lo, hi, reverse, want), seen = 0;
	int64_t clo = lo, chi = hi;
	int ret = 0;

	if (!want || !page)
		return -ENOMEM;
	for (;;) {
		uint32_t count, done, i;
		int64_t next;

		ret = bw_scan(fd, clo, chi, reverse ? BWTREE_IOC_SCAN_REVERSE : 0,
			      page, chunk, &count, &next, &done);
		if (ret)
			break;
		if (count > chunk || seen + count > nwant) {
			ret = 10;
			break;
		}
		for (i = 0; i < count; i++) {
			if (page[i].key != want[seen + i].key ||
			    page[i].value != want[seen + i].value) {
				ret = 11;
				goto out;
			}
		}
		seen += count;
		if (done)
			break;
		if (!count) {
			ret = 12;	/* no progress */
			break;
		}
		if (reverse) {
			if (next >= page[count - 1].key || next < lo) {
				ret = 13;
				break;
			}
			chi = next;
		} else {
			if (next <= page[count - 1].key || next > hi) {
				ret = 14;
				break;
			}
			clo = next;
		}
	}
	if (!ret && seen != nwant)
		ret = 15;
out:
	free(want);
	free(page);
	return ret;
}

TEST_F_TIMEOUT(model, scans, 120)
{
	static const int64_t ext[] = { INT64_MIN, INT64_MIN + 1, INT64_MAX - 1,
				       INT64_MAX };
	int64_t k;
	unsigned int i;

	for (k = -300; k <= 300; k++) {
		ASSERT_EQ(0, bw_insert(self->fd, 3 * k, (uint64_t)k ^ 0xabcd));
		model_put(&self->m, 3 * k, (uint64_t)k ^ 0xabcd, false);
	}
	for (i = 0; i < BW_ARRAY_SIZE(ext); i++) {
		ASSERT_EQ(0, bw_insert(self->fd, ext[i], i));
		model_put(&self->m, ext[i], i, false);
	}
	ASSERT_EQ(0, check_tree(self->fd, &self->m));

	/* Full range, empty ranges, single keys, the ends of the key space. */
	for (i = 0; i < 2; i++) {
		bool rev = i;

		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN,
					INT64_MAX, rev, 5));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN,
					INT64_MAX, rev, 4096));
		/* The largest page the kernel copies through its stack, and one more. */
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN,
					INT64_MAX, rev, 16));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN,
					INT64_MAX, rev, 17));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, -60, 60, rev, 1));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, 1, 2, rev, 8));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, 901, 1000000, rev,
					8));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, 3, 3, rev, 8));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, 4, 4, rev, 8));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN,
					INT64_MIN, rev, 8));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MAX,
					INT64_MAX, rev, 1));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MAX - 1,
					INT64_MAX, rev, 1));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN,
					INT64_MIN + 1, rev, 1));
		EXPECT_EQ(0, scan_check(self->fd, &self->m, -900, 900, rev, 7));
	}
	/* Random ranges and page sizes. */
	for (i = 0; i < 50; i++) {
		int64_t a = bw_rand_key(&self->seed, 1000);
		int64_t b = bw_rand_key(&self->seed, 1000);
		uint32_t chunk = 1 + bw_rand(&self->seed) % 40;

		if (a > b) {
			int64_t t = a;

			a = b;
			b = t;
		}
		EXPECT_EQ(0, scan_check(self->fd, &self->m, a, b, i & 1, chunk))
			TH_LOG("[%lld, %lld] chunk %u %s", (long long)a,
			       (long long)b, chunk, i & 1 ? "reverse" : "");
	}
	/* With holes: delete every other key, then again. */
	for (k = -300; k <= 300; k += 2) {
		ASSERT_EQ(0, bw_delete(self->fd, 3 * k, NULL));
		model_del(&self->m, 3 * k, NULL);
	}
	for (i = 0; i < 30; i++) {
		int64_t a = (int64_t)(bw_rand(&self->seed) % 1000) - 500;
		int64_t b = a + (int64_t)(bw_rand(&self->seed) % 500);

		EXPECT_EQ(0, scan_check(self->fd, &self->m, a, b, i & 1,
					1 + i % 9));
	}
	ASSERT_EQ(0, check_tree(self->fd, &self->m));
}

TEST_F_TIMEOUT(model, batches, 120)
{
	struct bwtree_ioc_batch_op ops[64];
	int b;

	for (b = 0; b < 30; b++) {
		uint32_t n = 1 + bw_rand(&self->seed) % 64, i, done = 0;

		memset(ops, 0, sizeof(ops));
		for (i = 0; i < n; i++) {
			ops[i].op = 1 + bw_rand(&self->seed) % 4;
			/* Few keys: ops of one batch hit each other. */
			ops[i].key = bw_rand_key(&self->seed, 300);
			ops[i].value = bw_rand(&self->seed);
			ops[i].result = 12345;
		}
		ASSERT_EQ(0, bw_batch(self->fd, ops, n, &done));
		ASSERT_EQ(n, done);
		for (i = 0; i < n; i++) {
			uint64_t want = 0;
			bool present = model_get(&self->m, ops[i].key, &want);

			switch (ops[i].op) {
			case BWTREE_IOC_OP_INSERT:
				ASSERT_EQ(present ? -EEXIST : 0, ops[i].result);
				model_put(&self->m, ops[i].key, ops[i].value,
					  false);
				break;
			case BWTREE_IOC_OP_UPSERT:
				ASSERT_EQ(present, ops[i].result);
				model_put(&self->m, ops[i].key, ops[i].value,
					  true);
				break;
			case BWTREE_IOC_OP_DELETE:
				ASSERT_EQ(present ? 0 : -ENOENT, ops[i].result);
				if (present) {
					ASSERT_EQ(want, ops[i].value);
					model_del(&self->m, ops[i].key, NULL);
				}
				break;
			case BWTREE_IOC_OP_LOOKUP:
				ASSERT_EQ(present ? 0 : -ENOENT, ops[i].result);
				if (present)
					ASSERT_EQ(want, ops[i].value);
				break;
			}
		}
		if (b % 10 == 9)
			ASSERT_EQ(0, check_tree(self->fd, &self->m));
	}
	ASSERT_EQ(0, check_tree(self->fd, &self->m));
}

TEST_F(model, extreme_keys_and_values)
{
	static const int64_t keys[] = { INT64_MIN, -1, 0, 1, INT64_MAX };
	static const uint64_t vals[] = { 0, UINT64_MAX, 1, 1ULL << 63, 42 };
	unsigned int i;
	uint64_t v;

	for (i = 0; i < BW_ARRAY_SIZE(keys); i++) {
		ASSERT_EQ(0, bw_insert(self->fd, keys[i], vals[i]));
		model_put(&self->m, keys[i], vals[i], false);
	}
	ASSERT_EQ(0, check_tree(self->fd, &self->m));
	for (i = 0; i < BW_ARRAY_SIZE(keys); i++) {
		ASSERT_EQ(0, bw_lookup(self->fd, keys[i], &v));
		ASSERT_EQ(vals[i], v);
		ASSERT_EQ(-EEXIST, bw_insert(self->fd, keys[i], 5));
	}
	ASSERT_EQ(0, scan_check(self->fd, &self->m, INT64_MAX, INT64_MAX,
				false, 1));
	ASSERT_EQ(0, scan_check(self->fd, &self->m, INT64_MIN, INT64_MIN,
				true, 1));
	ASSERT_EQ(0, bw_delete(self->fd, INT64_MAX, &v));
	ASSERT_EQ(42, v);
	ASSERT_EQ(0, bw_delete(self->fd, INT64_MIN, &v));
	ASSERT_EQ(0, v);
	model_del(&self->m, INT64_MAX, NULL);
	model_del(&self->m, INT64_MIN, NULL);
	ASSERT_EQ(0, check_tree(self->fd, &self->m));
}

/* ------------------------------------------------------------------ */
/* The device, the registry and lifetimes. */

TEST(get_info)
{
	struct bwtree_ioc_info info;
	int fd, ro;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	fd = bw_open(O_RDWR);
	ro = bw_open(O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, ro);
	/* Any file, bound or not, read-only or not. */
	ASSERT_EQ(0, bw_info(ro, &info));
	ASSERT_EQ(0, bw_info(fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(BWTREE_IOC_ABI_VERSION, info.abi_version);
	EXPECT_EQ(BWTREE_IOC_NAME_MAX, info.name_max);
	EXPECT_EQ(BWTREE_IOC_FEAT_NAMED | BWTREE_IOC_FEAT_ANON |
		  BWTREE_IOC_FEAT_SCAN | BWTREE_IOC_FEAT_BATCH |
		  BWTREE_IOC_FEAT_STATS, info.features);
	EXPECT_LE(256, info.max_batch);
	EXPECT_LE(256, info.max_scan);
	EXPECT_LE(2, info.min_node);
	EXPECT_LE(info.min_node, info.max_node);
	EXPECT_LE(1, info.max_chain);
	EXPECT_EQ(0, info.__reserved);
	EXPECT_EQ(0, bw_create(fd, NULL, BWTREE_IOC_CREATE_ANON, 0, 0));
	EXPECT_EQ(0, bw_info(fd, &info));
	close(fd);
	close(ro);
}

static int list_names(int fd, char *buf, uint32_t len, uint32_t *num,
		      uint32_t *need)
{
	struct bwtree_ioc_list l = {
		.size = sizeof(l),
		.buf = (uintptr_t)buf,
		.buf_len = len,
	};
	int ret = bw_ioctl(fd, BWTREE_IOC_LIST, &l);

	*num = l.num_trees;
	*need = l.buf_len;
	return ret;
}

/* Is @name in the NUL-separated list? */
static bool listed(const char *buf, uint32_t len, const char *name)
{
	uint32_t at = 0;

	while (at < len) {
		if (!strcmp(buf + at, name))
			return true;
		at += strlen(buf + at) + 1;
	}
	return false;
}

TEST(named_tree_lifetime)
{
	char name[32], buf[4096];
	int fd1, fd2, fd3, fd4, adm;
	uint32_t num, need;
	uint64_t count, v;
	int i;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	if (geteuid())
		SKIP(return, "named trees need CAP_SYS_ADMIN");
	snprintf(name, sizeof(name), "ops-life.%d", getpid());
	adm = bw_open(O_RDWR);
	ASSERT_LE(0, adm);
	ASSERT_EQ(0, bw_create(adm, name, 0, 8, 0));
	/* CREATE without ATTACH leaves the file unbound. */
	ASSERT_EQ(-ENOTCONN, bw_count(adm, &count));
	ASSERT_EQ(0, list_names(adm, buf, sizeof(buf), &num, &need));
	ASSERT_TRUE(listed(buf, need, name));

	/* The tree outlives the file that filled it. */
	fd1 = bw_open_named(name, O_RDWR);
	ASSERT_LE(0, fd1);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, bw_insert(fd1, i, i + 1));
	close(fd1);
	fd2 = bw_open_named(name, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bw_count(fd2, &count));
	ASSERT_EQ(100, count);
	ASSERT_EQ(0, bw_lookup(fd2, 99, &v));
	ASSERT_EQ(100, v);

	/* DESTROY unlinks; files still bound keep working. */
	fd3 = bw_open_named(name, O_RDONLY);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, bw_destroy(adm, name));
	ASSERT_EQ(-ENOENT, bw_destroy(adm, name));
	ASSERT_EQ(0, list_names(adm, buf, sizeof(buf), &num, &need));
	ASSERT_FALSE(listed(buf, need, name));
	ASSERT_EQ(-ENOENT, bw_open_named(name, O_RDWR));
	ASSERT_EQ(0, bw_insert(fd2, 1000, 1));
	ASSERT_EQ(0, bw_count(fd3, &count));
	ASSERT_EQ(101, count);

	/* The name is free again, for a new and empty tree. */
	ASSERT_EQ(0, bw_create(adm, name, 0, 0, 0));
	fd4 = bw_open_named(name, O_RDWR);
	ASSERT_LE(0, fd4);
	ASSERT_EQ(0, bw_count(fd4, &count));
	ASSERT_EQ(0, count);
	ASSERT_EQ(0, bw_insert(fd4, 1000, 2));
	ASSERT_EQ(0, bw_lookup(fd2, 1000, &v));
	ASSERT_EQ(1, v);
	ASSERT_EQ(0, bw_lookup(fd4, 1000, &v));
	ASSERT_EQ(2, v);
	close(fd2);
	ASSERT_EQ(0, bw_count(fd3, &count));
	ASSERT_EQ(101, count);
	close(fd3);
	ASSERT_EQ(0, bw_destroy(adm, name));
	ASSERT_EQ(0, bw_count(fd4, &count));
	ASSERT_EQ(1, count);
	close(fd4);

	/* CREATE with ATTACH binds the creating file. */
	ASSERT_EQ(0, bw_create(adm, name, BWTREE_IOC_CREATE_ATTACH, 0, 0));
	ASSERT_EQ(0, bw_insert(adm, 5, 6));
	fd1 = bw_open_named(name, O_RDONLY);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, bw_lookup(fd1, 5, &v));
	ASSERT_EQ(6, v);
	ASSERT_EQ(0, bw_destroy(adm, name));
	close(fd1);
	close(adm);
}

TEST(list_sorted_and_sized)
{
	static const char * const suffix[] = { "e", "a", "c", "b", "d" };
	char names[5][32], buf[4096], small[64];
	uint32_t num, need, num0, need0, i, at, mine;
	char prev[64] = "";
	int fd;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	if (geteuid())
		SKIP(return, "named trees need CAP_SYS_ADMIN");
	fd = bw_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, list_names(fd, buf, sizeof(buf), &num0, &need0));
	for (i = 0; i < 5; i++) {
		snprintf(names[i], sizeof(names[i]), "ops-list.%d.%s", getpid(),
			 suffix[i]);
		ASSERT_EQ(0, bw_create(fd, names[i], 0, 0, 0));
	}
	ASSERT_EQ(0, list_names(fd, buf, sizeof(buf), &num, &need));
	ASSERT_EQ(num0 + 5, num);
	ASSERT_EQ(need0 + 5 * (strlen(names[0]) + 1), need);
	/* Ascending byte order, and ours all there. */
	for (at = 0, i = 0, mine = 0; at < need; i++) {
		ASSERT_GT(strcmp(buf + at, prev), i ? 0 : -1);
		strcpy(prev, buf + at);
		if (!strncmp(buf + at, "ops-list.", 9))
			mine++;
		at += strlen(buf + at) + 1;
	}
	ASSERT_EQ(num, i);
	ASSERT_EQ(5, mine);

	/* Sizing: no buffer, one byte short, exact. */
	ASSERT_EQ(-EMSGSIZE, list_names(fd, NULL, 0, &num, &need));
	ASSERT_EQ(num0 + 5, num);
	ASSERT_EQ(-EMSGSIZE, list_names(fd, NULL, 0, &num, &need));
	memset(small, 0xaa, sizeof(small));
	if (need - 1 <= sizeof(small)) {
		ASSERT_EQ(-EMSGSIZE, list_names(fd, small, need - 1, &num,
						&need));
		for (i = 0; i < sizeof(small); i++)
			ASSERT_EQ((char)0xaa, small[i]);
	}
	ASSERT_EQ(0, list_names(fd, buf, need, &num, &need));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, bw_destroy(fd, names[i]));
	ASSERT_EQ(0, list_names(fd, buf, sizeof(buf), &num, &need));
	ASSERT_EQ(num0, num);
	ASSERT_EQ(need0, need);
	close(fd);
}

static long read_long(const char *path)
{
	char s[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(s, sizeof(s), f))
		s[0] = 0;
	fclose(f);
	return strtol(s, NULL, 0);
}

TEST(anonymous_trees_are_private)
{
	long anon0 = read_long("/sys/kernel/bwtree/anon_trees");
	int a, b, i;
	uint64_t v, count;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	a = bw_open_anon(0, 0);
	b = bw_open_anon(4, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	if (anon0 >= 0)
		ASSERT_EQ(anon0 + 2, read_long("/sys/kernel/bwtree/anon_trees"));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, bw_insert(a, i, 1));
		ASSERT_EQ(0, bw_insert(b, i, 2));
	}
	ASSERT_EQ(0, bw_insert(b, 1000, 2));
	ASSERT_EQ(0, bw_lookup(a, 50, &v));
	ASSERT_EQ(1, v);
	ASSERT_EQ(0, bw_lookup(b, 50, &v));
	ASSERT_EQ(2, v);
	ASSERT_EQ(-ENOENT, bw_lookup(a, 1000, &v));
	ASSERT_EQ(0, bw_count(a, &count));
	ASSERT_EQ(200, count);
	close(a);
	ASSERT_EQ(0, bw_count(b, &count));
	ASSERT_EQ(201, count);
	close(b);
	if (anon0 >= 0)
		ASSERT_EQ(anon0, read_long("/sys/kernel/bwtree/anon_trees"));
}

/* A dup()ed file, or one shared across fork(), is the same binding. */
TEST(shared_file_shares_tree)
{
	int a, d, status;
	uint64_t v;
	pid_t pid;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	a = bw_open_anon(0, 0);
	ASSERT_LE(0, a);
	d = dup(a);
	ASSERT_EQ(0, bw_insert(d, 1, 11));
	ASSERT_EQ(0, bw_lookup(a, 1, &v));
	ASSERT_EQ(11, v);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(bw_insert(a, 2, 22) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	close(a);
	/* The tree lives while any copy of the file is open. */
	ASSERT_EQ(0, bw_lookup(d, 2, &v));
	ASSERT_EQ(22, v);
	close(d);
}

/*
 * How far past a memory limit usage may go: the limit is checked before
 * each write, and the write that passes it allocates at most a few records
 * (a delta, or a consolidated or split node).
 */
#define OVERSHOOT	(16 << 10)

/* Fill through BATCH until -ENOSPC, checking the batch contract. */
static int fill_until_enospc(int fd, struct model *m, int64_t base)
{
	struct bwtree_ioc_batch_op ops[256];
	int b;

	for (b = 0; b < 256; b++) {
		uint32_t i, done = 0;
		int ret;

		for (i = 0; i < 256; i++) {
			ops[i].op = BWTREE_IOC_OP_INSERT;
			ops[i].flags = 0;
			ops[i].key = base + b * 256 + i;
			ops[i].value = ops[i].key * 3;
			ops[i].result = 1;
		}
		ret = bw_batch(fd, ops, 256, &done);
		if (ret != 0 && ret != -ENOSPC)
			return ret;
		for (i = 0; i < done; i++) {
			if (ops[i].result)
				return 100;
			model_put(m, ops[i].key, ops[i].value, false);
		}
		if (!ret) {
			if (done != 256)
				return 101;
			continue;
		}
		/* Stopped at op @done: its error, the rest not run. */
		if (done >= 256 || ops[done].result != -ENOSPC)
			return 102;
		for (i = done + 1; i < 256; i++)
			if (ops[i].result != -ECANCELED)
				return 103;
		return 0;
	}
	return 104;	/* never hit the limit */
}

FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, max_batch_and_max_scan, 120)
{
	struct bwtree_ioc_info info;
	struct bwtree_ioc_batch_op *ops;
	struct bwtree_ioc_pair *pairs;
	uint32_t i, done, count, fin;
	struct model m = { 0 };
	int fd = bw_open_anon(0, 0);
	int64_t next;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bw_info(fd, &info));
	ops = calloc(info.max_batch, sizeof(*ops));
	pairs = calloc(info.max_scan, sizeof(*pairs));
	ASSERT_NE(NULL, ops);
	ASSERT_NE(NULL, pairs);
	for (i = 0; i < info.max_batch; i++) {
		ops[i].op = BWTREE_IOC_OP_UPSERT;
		ops[i].key = (int64_t)i * 7 - 1000;
		ops[i].value = i;
		model_put(&m, ops[i].key, i, true);
	}
	ASSERT_EQ(0, bw_batch(fd, ops, info.max_batch, &done));
	ASSERT_EQ(info.max_batch, done);
	for (i = 0; i < info.max_batch; i++) {
		ASSERT_EQ(0, ops[i].result);
		ops[i].op = BWTREE_IOC_OP_LOOKUP;
		ops[i].value = 0;
	}
	ASSERT_EQ(0, bw_batch(fd, ops, info.max_batch, &done));
	for (i = 0; i < info.max_batch; i++) {
		ASSERT_EQ(0, ops[i].result);
		ASSERT_EQ(i, ops[i].value);
	}
	ASSERT_EQ(0, bw_scan(fd, INT64_MIN, INT64_MAX, 0, pairs,
			     info.max_scan, &count, &next, &fin));
	ASSERT_EQ(info.max_batch < info.max_scan ? info.max_batch :
		  info.max_scan, count);
	ASSERT_EQ(info.max_batch <= info.max_scan, fin);
	ASSERT_EQ(0, check_tree(fd, &m));
	free(ops);
	free(pairs);
	model_free(&m);
	close(fd);
}

TEST_F_TIMEOUT(slow, tree_memory_limit, 120)
{
	struct bwtree_ioc_stats st;
	struct model m = { 0 };
	uint64_t limit, count;
	int fd, ret, i;

	/* What an empty tree takes, plus room for a few thousand keys. */
	fd = bw_open_anon(0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bw_stats(fd, &st));
	close(fd);
	limit = st.bytes + (64 << 10);
	fd = bw_open_anon(0, limit);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bw_stats(fd, &st));
	ASSERT_EQ(limit, st.max_bytes);
	ASSERT_EQ(0, fill_until_enospc(fd, &m, 0));
	ASSERT_EQ(0, check_tree(fd, &m));
	/*
	 * The limit is reached, not missed: at least one key per 128 bytes
	 * of room went in, and usage is at the limit, past it by no more than
	 * what one write allocates.
	 */
	ASSERT_LE((limit - st.bytes) / 128, m.n);
	ASSERT_EQ(0, bw_stats(fd, &st));
	ASSERT_LE(limit, st.bytes);
	ASSERT_GE(limit + OVERSHOOT, st.bytes);
	/* A single INSERT of a new key fails the same way, changing nothing. */
	for (i = 0; i < 16; i++) {
		ret = bw_insert(fd, -1 - i, 1);
		if (ret == -ENOSPC)
			break;
		ASSERT_EQ(0, ret);
		model_put(&m, -1 - i, 1, false);
	}
	ASSERT_EQ(-ENOSPC, ret);
	ASSERT_EQ(0, check_tree(fd, &m));
	ASSERT_EQ(0, bw_stats(fd, &st));
	ASSERT_GE(limit + OVERSHOOT, st.bytes);
	ASSERT_EQ(0, bw_count(fd, &count));
	ASSERT_EQ(m.n, count);
	close(fd);
	model_free(&m);
}

FIXTURE(global_limit) {
	long orig;
};

FIXTURE_SETUP(global_limit)
{
	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	self->orig = read_long("/sys/module/bwtree/parameters/max_bytes");
	if (self->orig < 0 || access("/sys/module/bwtree/parameters/max_bytes",
				     W_OK))
		SKIP(return, "max_bytes parameter not writable");
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) < 0;
	return fclose(f) || ret ? -EIO : 0;
}

/* In the parent: it runs even when the test process dies. */
FIXTURE_TEARDOWN_PARENT(global_limit)
{
	if (self->orig >= 0)
		write_long("/sys/module/bwtree/parameters/max_bytes",
			   self->orig);
}

TEST_F_TIMEOUT(global_limit, module_memory_limit, 120)
{
	struct bwtree_ioc_info info;
	struct model m = { 0 };
	long bytes, limit;
	int fd, fd2;

	fd = bw_open_anon(0, 0);
	ASSERT_LE(0, fd);
	bytes = read_long("/sys/kernel/bwtree/bytes");
	ASSERT_LE(0, bytes);
	limit = bytes + (128 << 10);
	ASSERT_EQ(0, write_long("/sys/module/bwtree/parameters/max_bytes",
				limit));
	ASSERT_EQ(limit, read_long("/sys/module/bwtree/parameters/max_bytes"));
	ASSERT_EQ(limit, read_long("/sys/kernel/bwtree/max_bytes"));
	ASSERT_EQ(0, bw_info(fd, &info));
	ASSERT_EQ(limit, info.max_bytes);
	ASSERT_EQ(0, fill_until_enospc(fd, &m, 1000));
	ASSERT_EQ(0, check_tree(fd, &m));
	ASSERT_LE((limit - bytes) / 128, m.n);
	bytes = read_long("/sys/kernel/bwtree/bytes");
	ASSERT_LE(limit, bytes);
	ASSERT_GE(limit + OVERSHOOT, bytes);
	/* No new tree either, named or not. */
	fd2 = bw_open(O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(-ENOSPC, bw_create(fd2, NULL, BWTREE_IOC_CREATE_ANON, 0, 0));
	if (!geteuid())
		ASSERT_EQ(-ENOSPC, bw_create(fd2, "ops-full", 0, 0, 0));
	/* Deletes still work, and free memory. */
	ASSERT_EQ(0, bw_delete(fd, m.a[0].key, NULL));
	model_del(&m, m.a[0].key, NULL);
	ASSERT_EQ(0, check_tree(fd, &m));
	/* Lifting the limit lets the tree grow again. */
	ASSERT_EQ(0, write_long("/sys/module/bwtree/parameters/max_bytes", 0));
	ASSERT_EQ(0, bw_insert(fd, -5, 5));
	ASSERT_EQ(0, bw_create(fd2, NULL, BWTREE_IOC_CREATE_ANON, 0, 0));
	close(fd2);
	close(fd);
	model_free(&m);
}

static int read_stat(const char *path, const char *key, long *val)
{
	char line[128];
	size_t kl = strlen(key);
	FILE *f = fopen(path, "r");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			*val = strtol(line + kl + 1, NULL, 0);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int count_anon_dirs(void)
{
	DIR *d = opendir("/sys/kernel/debug/bwtree");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "anon:", 5);
	closedir(d);
	return n;
}

TEST(debugfs_per_tree)
{
	char name[32], dir[128], path[160];
	struct stat sb;
	long val;
	int fd, a, anon0, i;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	if (geteuid())
		SKIP(return, "named trees need CAP_SYS_ADMIN");
	if (access("/sys/kernel/debug/bwtree", F_OK))
		SKIP(return, "debugfs not mounted");
	snprintf(name, sizeof(name), "ops-dbg.%d", getpid());
	snprintf(dir, sizeof(dir), "/sys/kernel/debug/bwtree/%s", name);
	fd = bw_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bw_create(fd, name, BWTREE_IOC_CREATE_ATTACH, 8, 0));
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, bw_insert(fd, i, i));
	snprintf(path, sizeof(path), "%s/stats", dir);
	ASSERT_EQ(0, read_stat(path, "count", &val));
	ASSERT_EQ(50, val);
	ASSERT_EQ(0, read_stat(path, "height", &val));
	ASSERT_LE(1, val);
	ASSERT_EQ(0, read_stat(path, "records_leaf", &val));
	ASSERT_LE(1, val);
	snprintf(path, sizeof(path), "%s/params", dir);
	ASSERT_EQ(0, read_stat(path, "leaf_max", &val));
	ASSERT_EQ(8, val);
	snprintf(path, sizeof(path), "%s/validate", dir);
	ASSERT_EQ(0, read_long(path));
	ASSERT_EQ(0, bw_destroy(fd, name));
	/* The directory goes with the name, though the file still works. */
	ASSERT_EQ(-1, stat(dir, &sb));
	ASSERT_EQ(0, bw_insert(fd, 100, 1));
	close(fd);

	anon0 = count_anon_dirs();
	a = bw_open_anon(0, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(anon0 + 1, count_anon_dirs());
	close(a);
	ASSERT_EQ(anon0, count_anon_dirs());
}

TEST(sysfs_global)
{
	struct bwtree_ioc_batch_op ops[10];
	struct bwtree_ioc_pair pairs[10];
	long ioctls, errors, bops, spairs, named;
	uint32_t num, need, count, done, i;
	char buf[4096];
	int64_t next;
	int fd;

	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	if (access("/sys/kernel/bwtree", F_OK))
		SKIP(return, "no /sys/kernel/bwtree");
	fd = bw_open_anon(0, 0);
	ASSERT_LE(0, fd);
	ioctls = read_long("/sys/kernel/bwtree/ioctls");
	errors = read_long("/sys/kernel/bwtree/errors");
	bops = read_long("/sys/kernel/bwtree/batch_ops");
	spairs = read_long("/sys/kernel/bwtree/scan_pairs");
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 10; i++) {
		ops[i].op = BWTREE_IOC_OP_INSERT;
		ops[i].key = i;
	}
	ASSERT_EQ(0, bw_batch(fd, ops, 10, &done));
	ASSERT_EQ(0, bw_scan(fd, 0, 100, 0, pairs, 10, &count, &next, &done));
	ASSERT_EQ(-EEXIST, bw_insert(fd, 1, 1));
	ASSERT_EQ(ioctls + 3, read_long("/sys/kernel/bwtree/ioctls"));
	ASSERT_EQ(errors + 1, read_long("/sys/kernel/bwtree/errors"));
	ASSERT_EQ(bops + 10, read_long("/sys/kernel/bwtree/batch_ops"));
	ASSERT_EQ(spairs + 10, read_long("/sys/kernel/bwtree/scan_pairs"));
	named = read_long("/sys/kernel/bwtree/named_trees");
	ASSERT_EQ(0, list_names(fd, buf, sizeof(buf), &num, &need));
	ASSERT_EQ(named, num);
	ASSERT_LE(0, read_long("/sys/kernel/bwtree/bytes"));
	close(fd);
}

TEST_HARNESS_MAIN
