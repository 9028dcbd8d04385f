// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree_threads: concurrency through /dev/bwtree.  pthreads on one tree
 * (disjoint ranges with a scanner checking order, racing inserts and
 * deletes of the same keys, batches against stable keys, a named tree
 * destroyed under its users) and on separate trees; every end state is
 * checked exactly against per-thread models.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "bwtree_test.h"

#define NTHREADS	4
#define OPS		600
#define RANGE		1000

static int64_t base_of(int t)
{
	return ((int64_t)t - NTHREADS / 2) << 40;
}

struct worker {
	pthread_t th;
	int fd;
	int id;
	uint64_t seed;
	struct model m;
	int err;		/* 0, or the line of the first failure */
	int last;		/* the last return value seen */
	bool use_batch;
};

/* Run an op, keeping its return value for the failure report. */
#define W(w, call) ((w)->last = (call))

/*
 * Random single ops or batches on the worker's own key range; 0, or the
 * line of the first check that failed.
 */
static int writer_run(struct worker *w)
{
	int64_t base = base_of(w->id);
	int i;

	for (i = 0; i < OPS; i++) {
		int64_t k = base + (int64_t)(bw_rand(&w->seed) % RANGE);
		uint64_t r = bw_rand(&w->seed) % 100, want = 0, got = 0;
		uint64_t v = bw_val_of(k, i);
		bool present = model_get(&w->m, k, &want);
		uint32_t replaced;

		if (w->use_batch && r < 30) {
			struct bwtree_ioc_batch_op ops[8];
			uint32_t n = 1 + bw_rand(&w->seed) % 8, j, done;

			memset(ops, 0, sizeof(ops));
			for (j = 0; j < n; j++) {
				ops[j].op = 1 + bw_rand(&w->seed) % 4;
				ops[j].key = base +
					(int64_t)(bw_rand(&w->seed) % RANGE);
				ops[j].value = bw_val_of(ops[j].key, i);
			}
			if (W(w, bw_batch(w->fd, ops, n, &done)) || done != n)
				return __LINE__;
			for (j = 0; j < n; j++) {
				present = model_get(&w->m, ops[j].key, &want);
				w->last = ops[j].result;
				switch (ops[j].op) {
				case BWTREE_IOC_OP_INSERT:
					if (ops[j].result != (present ? -EEXIST : 0))
						return __LINE__;
					model_put(&w->m, ops[j].key,
						  ops[j].value, false);
					break;
				case BWTREE_IOC_OP_UPSERT:
					if (ops[j].result != present)
						return __LINE__;
					model_put(&w->m, ops[j].key,
						  ops[j].value, true);
					break;
				case BWTREE_IOC_OP_DELETE:
					if (ops[j].result != (present ? 0 : -ENOENT))
						return __LINE__;
					if (present && ops[j].value != want)
						return __LINE__;
					model_del(&w->m, ops[j].key, NULL);
					break;
				default:
					if (ops[j].result != (present ? 0 : -ENOENT))
						return __LINE__;
					if (present && ops[j].value != want)
						return __LINE__;
				}
			}
		} else if (r < 40) {
			if (W(w, bw_insert(w->fd, k, v)) != (present ? -EEXIST : 0))
				return __LINE__;
			model_put(&w->m, k, v, false);
		} else if (r < 60) {
			if (W(w, bw_upsert(w->fd, k, v, &replaced)) ||
			    replaced != present)
				return __LINE__;
			model_put(&w->m, k, v, true);
		} else if (r < 85) {
			if (W(w, bw_delete(w->fd, k, &got)) != (present ? 0 : -ENOENT))
				return __LINE__;
			if (present && got != want)
				return __LINE__;
			model_del(&w->m, k, NULL);
		} else {
			if (W(w, bw_lookup(w->fd, k, &got)) != (present ? 0 : -ENOENT))
				return __LINE__;
			if (present && got != want)
				return __LINE__;
		}
	}
	return 0;
}

static void *writer(void *arg)
{
	struct worker *w = arg;

	w->err = writer_run(w);
	return NULL;
}

struct scanner {
	pthread_t th;
	int fd;
	atomic_bool *stop;
	int err;
	long passes;
};

/* Full scans while writers run: strictly ordered, no foreign keys. */
static void *scanner(void *arg)
{
	struct scanner *s = arg;
	struct bwtree_ioc_pair buf[128];

	while (!atomic_load(s->stop) || s->passes < 2) {
		bool reverse = s->passes & 1;
		int64_t lo = INT64_MIN, hi = INT64_MAX, last = 0;
		bool first = true;

		for (;;) {
			uint32_t count, done, i;
			int64_t next;

			if (bw_scan(s->fd, lo, hi,
				    reverse ? BWTREE_IOC_SCAN_REVERSE : 0, buf,
				    BW_ARRAY_SIZE(buf), &count, &next, &done)) {
				s->err = __LINE__;
				return NULL;
			}
			for (i = 0; i < count; i++) {
				int64_t k = buf[i].key;
				int64_t off = k - base_of(0);

				if (!first && (reverse ? k >= last : k <= last)) {
					s->err = __LINE__;
					return NULL;
				}
				if (off < 0 || (off >> 40) >= NTHREADS ||
				    (k - base_of(off >> 40)) >= RANGE ||
				    !bw_val_ok(k, buf[i].value)) {
					s->err = __LINE__;
					return NULL;
				}
				first = false;
				last = k;
			}
			if (done)
				break;
			if (reverse)
				hi = next;
			else
				lo = next;
		}
		s->passes++;
	}
	return NULL;
}

/* The tree behind @fd holds exactly the union of the models. */
static int check_union(int fd, struct worker *w, int n)
{
	struct model all = { 0 };
	struct bwtree_ioc_pair *got;
	uint64_t count;
	size_t i;
	long ret;
	int t;

	for (t = 0; t < n; t++)
		for (i = 0; i < w[t].m.n; i++)
			model_put(&all, w[t].m.a[i].key, w[t].m.a[i].value,
				  false);
	got = calloc(all.n + 1, sizeof(*got));
	ret = bw_scan_all(fd, INT64_MIN, INT64_MAX, 0, 200, got, all.n + 1);
	if (ret != (long)all.n || memcmp(got, all.a, all.n * sizeof(*got)))
		ret = -1;
	else if (bw_count(fd, &count) || count != all.n)
		ret = -2;
	else
		ret = 0;
	free(got);
	model_free(&all);
	return ret;
}

FIXTURE(threads) {
	struct worker w[NTHREADS];
	int fd;
};

FIXTURE_SETUP(threads)
{
	if (bw_unavailable())
		SKIP(return, "%s", bw_unavailable());
	memset(self->w, 0, sizeof(self->w));
	self->fd = -1;
}

FIXTURE_TEARDOWN(threads)
{
	int t;

	for (t = 0; t < NTHREADS; t++)
		model_free(&self->w[t].m);
	if (self->fd >= 0)
		close(self->fd);
}

static void run_writers(struct __test_metadata *_metadata,
			struct worker *w, int fd_shared, bool batch)
{
	atomic_bool stop = false;
	struct scanner s = { .fd = fd_shared, .stop = &stop };
	int t;

	for (t = 0; t < NTHREADS; t++) {
		w[t].id = t;
		w[t].seed = 0x1234567ULL * (t + 1);
		w[t].use_batch = batch;
		if (fd_shared >= 0)
			w[t].fd = fd_shared;
		ASSERT_EQ(0, pthread_create(&w[t].th, NULL, writer, &w[t]));
	}
	if (fd_shared >= 0)
		ASSERT_EQ(0, pthread_create(&s.th, NULL, scanner, &s));
	for (t = 0; t < NTHREADS; t++) {
		ASSERT_EQ(0, pthread_join(w[t].th, NULL));
		EXPECT_EQ(0, w[t].err)
			TH_LOG("writer %d failed at line %d, last result %d",
			       t, w[t].err, w[t].last);
	}
	atomic_store(&stop, true);
	if (fd_shared >= 0) {
		ASSERT_EQ(0, pthread_join(s.th, NULL));
		EXPECT_EQ(0, s.err) TH_LOG("scanner failed at line %d", s.err);
	}
}

TEST_F_TIMEOUT(threads, one_tree_disjoint_ranges, 300)
{
	self->fd = bw_open_anon(8, 0);
	ASSERT_LE(0, self->fd);
	run_writers(_metadata, self->w, self->fd, false);
	EXPECT_EQ(0, check_union(self->fd, self->w, NTHREADS));
}

TEST_F_TIMEOUT(threads, one_tree_with_batches, 300)
{
	self->fd = bw_open_anon(4, 0);
	ASSERT_LE(0, self->fd);
	run_writers(_metadata, self->w, self->fd, true);
	EXPECT_EQ(0, check_union(self->fd, self->w, NTHREADS));
}

TEST_F_TIMEOUT(threads, separate_trees, 300)
{
	int t;

	for (t = 0; t < NTHREADS; t++) {
		self->w[t].fd = bw_open_anon(t ? 4 * t : 0, 0);
		ASSERT_LE(0, self->w[t].fd);
	}
	run_writers(_metadata, self->w, -1, true);
	for (t = 0; t < NTHREADS; t++) {
		EXPECT_EQ(0, check_union(self->w[t].fd, &self->w[t], 1))
			TH_LOG("tree %d", t);
		close(self->w[t].fd);
	}
}

/*
 * Each thread has its own file attached to one named tree; the name is
 * destroyed while they run, which must not disturb them.
 */
TEST_F_TIMEOUT(threads, named_tree_destroyed_under_users, 300)
{
	char name[32];
	int adm, t;

	if (geteuid())
		SKIP(return, "named trees need CAP_SYS_ADMIN");
	snprintf(name, sizeof(name), "thr.%d", getpid());
	adm = bw_open(O_RDWR);
	ASSERT_LE(0, adm);
	ASSERT_EQ(0, bw_create(adm, name, 0, 8, 0));
	for (t = 0; t < NTHREADS; t++) {
		self->w[t].fd = bw_open_named(name, O_RDWR);
		ASSERT_LE(0, self->w[t].fd);
		self->w[t].id = t;
		self->w[t].seed = 0x777ULL * (t + 1);
		ASSERT_EQ(0, pthread_create(&self->w[t].th, NULL, writer,
					    &self->w[t]));
	}
	usleep(20000);
	ASSERT_EQ(0, bw_destroy(adm, name));
	ASSERT_EQ(-ENOENT, bw_open_named(name, O_RDONLY));
	for (t = 0; t < NTHREADS; t++) {
		ASSERT_EQ(0, pthread_join(self->w[t].th, NULL));
		EXPECT_EQ(0, self->w[t].err)
			TH_LOG("writer %d line %d, last %d", t,
			       self->w[t].err, self->w[t].last);
	}
	EXPECT_EQ(0, check_union(self->w[0].fd, self->w, NTHREADS));
	for (t = 0; t < NTHREADS; t++)
		close(self->w[t].fd);
	close(adm);
}

/* Racing INSERTs and DELETEs of the same keys: each wins exactly once. */
struct racer {
	pthread_t th;
	int fd, id;
	uint32_t n;
	uint8_t *won;		/* per key: 1 if this thread's op succeeded */
	uint64_t *got;		/* per key: the value its delete returned */
	bool del;
	int err;
	int last;		/* the unexpected return value */
};

static void *racer(void *arg)
{
	struct racer *r = arg;
	uint64_t seed = 0xabcdefULL + r->id;
	uint32_t *order = malloc(r->n * sizeof(*order));
	uint32_t i;

	if (!order) {
		r->err = __LINE__;
		return NULL;
	}
	for (i = 0; i < r->n; i++)
		order[i] = i;
	for (i = r->n - 1; i > 0; i--) {
		uint32_t j = bw_rand(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < r->n; i++) {
		uint32_t k = order[i];
		int ret;

		if (r->del)
			ret = bw_delete(r->fd, k, &r->got[k]);
		else
			ret = bw_insert(r->fd, k, ((uint64_t)r->id << 32) | k);
		if (ret == 0) {
			r->won[k] = 1;
		} else if (ret != (r->del ? -ENOENT : -EEXIST) && !r->err) {
			r->err = __LINE__;
			r->last = ret;
		}
	}
	free(order);
	return NULL;
}

TEST_F_TIMEOUT(threads, racing_same_keys, 300)
{
	const uint32_t n = 600;
	struct racer r[NTHREADS];
	struct bwtree_ioc_pair *pairs = calloc(n + 1, sizeof(*pairs));
	uint64_t count;
	uint32_t k;
	int t, pass;

	ASSERT_NE(NULL, pairs);
	self->fd = bw_open_anon(4, 0);
	ASSERT_LE(0, self->fd);
	memset(r, 0, sizeof(r));
	for (t = 0; t < NTHREADS; t++) {
		r[t].won = calloc(n, 1);
		r[t].got = calloc(n, sizeof(uint64_t));
		ASSERT_NE(NULL, r[t].won);
		ASSERT_NE(NULL, r[t].got);
	}
	for (pass = 0; pass < 2; pass++) {
		for (t = 0; t < NTHREADS; t++) {
			r[t].fd = self->fd;
			r[t].id = t;
			r[t].n = n;
			r[t].del = pass;
			memset(r[t].won, 0, n);
			ASSERT_EQ(0, pthread_create(&r[t].th, NULL, racer,
						    &r[t]));
		}
		for (t = 0; t < NTHREADS; t++) {
			ASSERT_EQ(0, pthread_join(r[t].th, NULL));
			EXPECT_EQ(0, r[t].err)
				TH_LOG("racer %d line %d: %d", t, r[t].err,
				       r[t].last);
		}
		if (pass == 0) {
			/* One winner per key, and its value is stored. */
			ASSERT_EQ(n, bw_scan_all(self->fd, INT64_MIN,
						 INT64_MAX, 0, 256, pairs,
						 n + 1));
			for (k = 0; k < n; k++) {
				int wins = 0, winner = -1;

				for (t = 0; t < NTHREADS; t++) {
					wins += r[t].won[k];
					if (r[t].won[k])
						winner = t;
				}
				ASSERT_EQ(1, wins) TH_LOG("key %u", k);
				ASSERT_EQ(k, pairs[k].key);
				ASSERT_EQ(((uint64_t)winner << 32) | k,
					  pairs[k].value);
			}
		} else {
			/* One deleter per key, which got the stored value. */
			for (k = 0; k < n; k++) {
				int wins = 0;

				for (t = 0; t < NTHREADS; t++) {
					wins += r[t].won[k];
					if (r[t].won[k])
						ASSERT_EQ(pairs[k].value,
							  r[t].got[k]);
				}
				ASSERT_EQ(1, wins) TH_LOG("key %u", k);
			}
			ASSERT_EQ(0, bw_count(self->fd, &count));
			ASSERT_EQ(0, count);
			ASSERT_EQ(0, bw_scan_all(self->fd, INT64_MIN, INT64_MAX,
						 0, 256, pairs, n + 1));
		}
	}
	for (t = 0; t < NTHREADS; t++) {
		free(r[t].won);
		free(r[t].got);
	}
	free(pairs);
}

/*
 * Batched lookups of keys nobody touches always find them, while other
 * threads batch inserts and deletes around them.
 */
struct stable_reader {
	pthread_t th;
	int fd;
	atomic_bool *stop;
	int err;
	int last;
	long rounds;
};

#define STABLE 100

static void *stable_reader(void *arg)
{
	struct stable_reader *s = arg;
	struct bwtree_ioc_batch_op ops[STABLE];
	uint32_t i, done;

	while (!atomic_load(s->stop) || s->rounds < 2) {
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < STABLE; i++) {
			ops[i].op = BWTREE_IOC_OP_LOOKUP;
			ops[i].key = (int64_t)i * 5000 + 2500;
		}
		if (bw_batch(s->fd, ops, STABLE, &done) || done != STABLE) {
			s->err = __LINE__;
			return NULL;
		}
		for (i = 0; i < STABLE; i++) {
			if (ops[i].result || ops[i].value != i) {
				s->last = ops[i].result;
				s->err = __LINE__;
				return NULL;
			}
		}
		s->rounds++;
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, batches_around_stable_keys, 300)
{
	atomic_bool stop = false;
	struct stable_reader s = { .stop = &stop };
	struct worker *w = self->w;
	uint32_t i;
	int t;

	self->fd = bw_open_anon(4, 0);
	ASSERT_LE(0, self->fd);
	/* Stable keys sit between the writers' ranges' keys. */
	for (i = 0; i < STABLE; i++)
		ASSERT_EQ(0, bw_insert(self->fd, (int64_t)i * 5000 + 2500, i));
	s.fd = self->fd;
	ASSERT_EQ(0, pthread_create(&s.th, NULL, stable_reader, &s));
	for (t = 0; t < NTHREADS; t++) {
		w[t].id = t;
		w[t].fd = self->fd;
		w[t].seed = 0x55ULL * (t + 1);
		w[t].use_batch = true;
		ASSERT_EQ(0, pthread_create(&w[t].th, NULL, writer, &w[t]));
	}
	for (t = 0; t < NTHREADS; t++) {
		ASSERT_EQ(0, pthread_join(w[t].th, NULL));
		EXPECT_EQ(0, w[t].err)
			TH_LOG("writer %d line %d, last %d", t, w[t].err,
			       w[t].last);
	}
	atomic_store(&stop, true);
	ASSERT_EQ(0, pthread_join(s.th, NULL));
	EXPECT_EQ(0, s.err) TH_LOG("reader line %d: %d", s.err, s.last);
	/* The stable keys join the union as a fifth model. */
	for (i = 0; i < STABLE; i++)
		model_put(&w[0].m, (int64_t)i * 5000 + 2500, i, false);
	EXPECT_EQ(0, check_union(self->fd, w, NTHREADS));
}

TEST_HARNESS_MAIN
