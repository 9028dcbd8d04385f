// SPDX-License-Identifier: GPL-2.0
/*
 * Same-key contention: threads race on the same keys, where stress.c gives
 * each thread its own stripe.  Small nodes keep splits and merges going
 * around the contended keys.  Three parts, one tree each:
 *
 *   insdel  rounds: every thread inserts every hot key (in its own order),
 *	     then every thread deletes every hot key.  Exactly one insert and
 *	     one delete per key per round succeed, the others get -EEXIST /
 *	     -ENOENT; the delete returns the value the winning insert wrote;
 *	     bwtree_count() and lookups agree after each half round.
 *   upsert  every thread upserts the same few hot keys, and inserts and
 *	     deletes filler keys of its own stripe around them (splits and
 *	     merges).  Lookups only ever see values some thread wrote for
 *	     that key; at the end each hot key holds the last value one of
 *	     the threads wrote to it.
 *   scan    stable keys never change while writer threads insert and
 *	     delete the keys between them; scanner threads scan the whole
 *	     range both ways: every stable key exactly once, in order, with
 *	     its value, and nothing out of order.
 *   batch   the same kind of churn beside threads of bwtree_lookup_batch()
 *	     over random keys, repeats included: stable keys found with
 *	     their value, keys nobody writes never found, others found only
 *	     with a value a writer wrote, absent keys' values left alone,
 *	     the count returned right; at the end batched lookups of every
 *	     key give exactly what the writers left.
 *
 * At the end of each part: validate, no live object after destroy, no
 * complaint.  Usage: contend [-t threads] [-r rounds] [-k hot keys]
 *	[-n ops per thread] [-l leaf_max] [-i inner_max] [-c chain_max]
 *	[-s seed] [-N name] [part...]
 */
#include "harness.h"
#include <getopt.h>

static struct {
	int threads;
	int rounds;
	int hot;
	long ops;
	struct bwtree_params params;
	u64 seed;
	const char *name;
} cfg = {
	.threads = 4, .rounds = 100, .hot = 64, .ops = 20000,
	.params = { .leaf_max = 4, .inner_max = 4, .chain_max = 2 },
	.seed = 1, .name = "contend",
};

static struct bwtree *tree;
static pthread_barrier_t barrier;
static double t_start;

struct worker {
	pthread_t thread;
	int id;
	u64 rng;
	long ops;
	u64 *last;		/* upsert: last value written per hot key */
};

static void *run_threads(void *(*fn)(void *), struct worker **out)
{
	struct worker *w = calloc(cfg.threads, sizeof(*w));
	int i;

	for (i = 0; i < cfg.threads; i++) {
		w[i].id = i;
		w[i].rng = cfg.seed * 7919 + i;
		if (pthread_create(&w[i].thread, NULL, fn, &w[i]))
			abort();
	}
	for (i = 0; i < cfg.threads; i++)
		pthread_join(w[i].thread, NULL);
	*out = w;
	return NULL;
}

static long total_ops(struct worker *w)
{
	long n = 0;
	int i;

	for (i = 0; i < cfg.threads; i++)
		n += w[i].ops;
	return n;
}

static bool too_many_failures(void)
{
	return __atomic_load_n(&h_failures, __ATOMIC_RELAXED) > 20;
}

static void part_begin(const char *part)
{
	tree = bwtree_create(&cfg.params);
	if (IS_ERR(tree))
		abort();
	pthread_barrier_init(&barrier, NULL, cfg.threads);
	t_start = h_now();
	h_diag("%s-%s: %d threads, leaf_max %u inner_max %u chain_max %u",
	       cfg.name, part, cfg.threads, cfg.params.leaf_max,
	       cfg.params.inner_max, cfg.params.chain_max);
}

static void part_end(const char *part, struct worker *w, int before)
{
	struct bwtree_stats st;
	long live;
	int ret;

	bwtree_get_stats(tree, &st);
	h_diag("%s-%s: %ld ops in %.2f s; splits %llu merges %llu consolidations %llu",
	       cfg.name, part, total_ops(w), h_now() - t_start, st.splits,
	       st.merges, st.consolidations);
	h_diag("%s-%s: cas_failures %llu retries %llu reader_yields %llu",
	       cfg.name, part, st.cas_failures, st.retries, st.reader_yields);
	h_ok(h_failures == before, "%s-%s: every result as the contract says",
	     cfg.name, part);
	ret = bwtree_validate(tree);
	h_ok(ret == 0, "%s-%s: bwtree_validate() (%d)", cfg.name, part, ret);
	if (cfg.params.leaf_max <= 8)
		h_ok(st.splits > 0 && st.merges > 0,
		     "%s-%s: splits and merges happened", cfg.name, part);
	bwtree_destroy(tree);
	rcu_barrier();
	live = bwt_live_objects();
	if (live)
		bwt_report_live();
	h_ok(live == 0, "%s-%s: no live objects after destroy (%ld)", cfg.name,
	     part, live);
	pthread_barrier_destroy(&barrier);
	free(w);
}

/* ---------------------------------------------------------------- insdel */

static s64 hot_key(int i)
{
	return (s64)i * 10 - 300;	/* a few negative, a few positive */
}

static int *ins_wins, *del_wins;
static u64 *ins_val, *del_old;

static void *insdel_fn(void *arg)
{
	struct worker *w = arg;
	int r, i, j, ret;
	int *order = malloc(cfg.hot * sizeof(*order));
	u64 v;

	for (r = 0; r < cfg.rounds && !too_many_failures(); r++) {
		/* Each thread its own order of the keys. */
		for (i = 0; i < cfg.hot; i++)
			order[i] = i;
		for (i = cfg.hot - 1; i > 0; i--) {
			j = h_below(&w->rng, i + 1);
			swap(order[i], order[j]);
		}
		pthread_barrier_wait(&barrier);
		for (i = 0; i < cfg.hot; i++) {
			s64 key = hot_key(order[i]);

			v = h_value(key, (r << 8) | w->id);
			ret = bwtree_insert(tree, key, v);
			w->ops++;
			if (ret == 0) {
				__atomic_fetch_add(&ins_wins[order[i]], 1, __ATOMIC_RELAXED);
				__atomic_store_n(&ins_val[order[i]], v, __ATOMIC_RELAXED);
			} else {
				H_CHECK(ret == -EEXIST, "round %d insert %lld: %d", r, key, ret);
			}
		}
		pthread_barrier_wait(&barrier);
		if (w->id == 0) {
			for (i = 0; i < cfg.hot; i++) {
				H_CHECK(ins_wins[i] == 1, "round %d: key %lld inserted %d times",
					r, hot_key(i), ins_wins[i]);
				ret = bwtree_lookup(tree, hot_key(i), &v);
				H_CHECK(ret == 0 && v == ins_val[i],
					"round %d: key %lld: lookup %d %llx, winner wrote %llx",
					r, hot_key(i), ret, v, ins_val[i]);
				ins_wins[i] = 0;
			}
			H_CHECK(bwtree_count(tree) == (u64)cfg.hot, "round %d: count %llu",
				r, bwtree_count(tree));
		}
		pthread_barrier_wait(&barrier);
		for (i = 0; i < cfg.hot; i++) {
			s64 key = hot_key(order[cfg.hot - 1 - i]);

			v = 0;
			ret = bwtree_delete(tree, key, &v);
			w->ops++;
			if (ret == 0) {
				__atomic_fetch_add(&del_wins[order[cfg.hot - 1 - i]], 1,
						   __ATOMIC_RELAXED);
				__atomic_store_n(&del_old[order[cfg.hot - 1 - i]], v,
						 __ATOMIC_RELAXED);
			} else {
				H_CHECK(ret == -ENOENT, "round %d delete %lld: %d", r, key, ret);
			}
		}
		pthread_barrier_wait(&barrier);
		if (w->id == 0) {
			for (i = 0; i < cfg.hot; i++) {
				H_CHECK(del_wins[i] == 1, "round %d: key %lld deleted %d times",
					r, hot_key(i), del_wins[i]);
				H_CHECK(del_old[i] == ins_val[i],
					"round %d: key %lld: delete returned %llx, insert wrote %llx",
					r, hot_key(i), del_old[i], ins_val[i]);
				ret = bwtree_lookup(tree, hot_key(i), &v);
				H_CHECK(ret == -ENOENT, "round %d: deleted key %lld: lookup %d",
					r, hot_key(i), ret);
				del_wins[i] = 0;
			}
			H_CHECK(bwtree_count(tree) == 0, "round %d: count %llu after deletes",
				r, bwtree_count(tree));
		}
	}
	free(order);
	return NULL;
}

static void part_insdel(void)
{
	int before = h_failures;
	struct worker *w;

	ins_wins = calloc(cfg.hot, sizeof(int));
	del_wins = calloc(cfg.hot, sizeof(int));
	ins_val = calloc(cfg.hot, sizeof(u64));
	del_old = calloc(cfg.hot, sizeof(u64));
	part_begin("insdel");
	h_diag("%s-insdel: %d rounds x %d hot keys, insert then delete each",
	       cfg.name, cfg.rounds, cfg.hot);
	run_threads(insdel_fn, &w);
	part_end("insdel", w, before);
	free(ins_wins);
	free(del_wins);
	free(ins_val);
	free(del_old);
}

/* ---------------------------------------------------------------- upsert */

#define UPSERT_HOT	8
#define FILLER_PER	256	/* filler keys per thread */

/* Values: key hash | thread << 24 | sequence (24 bits). */
static u64 up_value(s64 key, int t, u32 seq)
{
	return h_value(key, ((u32)t << 24) | (seq & 0xffffff));
}

static s64 up_hot(int i)
{
	return (s64)i * 1000 + 1;	/* odd */
}

static s64 up_filler(int t, int i)
{
	/* even: between and around the hot keys, one stripe per thread */
	return ((s64)i * cfg.threads + t) * 2 - 3000;
}

static void *upsert_fn(void *arg)
{
	struct worker *w = arg;
	u8 *have = calloc(FILLER_PER, 1);
	u32 seq = 0;
	long i;
	int ret;
	u64 v;

	pthread_barrier_wait(&barrier);
	for (i = 0; i < cfg.ops && !too_many_failures(); i++) {
		u64 r = h_below(&w->rng, 100);

		w->ops++;
		if (r < 50) {
			int h = h_below(&w->rng, UPSERT_HOT);
			s64 key = up_hot(h);

			v = up_value(key, w->id, ++seq);
			ret = bwtree_upsert(tree, key, v, NULL);
			if (H_CHECK(ret == 0, "upsert %lld: %d", key, ret))
				w->last[h] = v;
		} else if (r < 70) {
			s64 key = up_hot(h_below(&w->rng, UPSERT_HOT));

			ret = bwtree_lookup(tree, key, &v);
			if (ret == 0)
				H_CHECK(h_value_ok(key, v) && ((v >> 24) & 0xff) < cfg.threads,
					"lookup %lld: %llx written by nobody", key, v);
			else
				H_CHECK(ret == -ENOENT, "lookup %lld: %d", key, ret);
		} else {
			int f = h_below(&w->rng, FILLER_PER);
			s64 key = up_filler(w->id, f);

			/* grow in the first half of each 4096 ops, then shrink */
			if (!have[f] && ((i >> 12) & 1) == 0) {
				ret = bwtree_insert(tree, key, h_value(key, 1));
				H_CHECK(ret == 0, "filler insert %lld: %d", key, ret);
				have[f] = 1;
			} else if (have[f]) {
				ret = bwtree_delete(tree, key, NULL);
				H_CHECK(ret == 0, "filler delete %lld: %d", key, ret);
				have[f] = 0;
			}
		}
	}
	free(have);
	return NULL;
}

static void *upsert_start(void *arg)
{
	struct worker *w = arg;

	w->last = calloc(UPSERT_HOT, sizeof(u64));
	return upsert_fn(w);
}

static void part_upsert(void)
{
	int before = h_failures, i, t;
	struct worker *w;
	u64 v;

	part_begin("upsert");
	h_diag("%s-upsert: %ld ops per thread, %d hot keys, fillers around them",
	       cfg.name, cfg.ops, UPSERT_HOT);
	run_threads(upsert_start, &w);
	for (i = 0; i < UPSERT_HOT; i++) {
		bool someone = false;
		int ret = bwtree_lookup(tree, up_hot(i), &v);

		for (t = 0; t < cfg.threads; t++)
			someone |= w[t].last[i] && w[t].last[i] == v;
		H_CHECK(ret == 0 && someone,
			"hot key %lld ends with %llx (%d), no thread's last write",
			up_hot(i), v, ret);
	}
	for (t = 0; t < cfg.threads; t++)
		free(w[t].last);
	part_end("upsert", w, before);
}

/* ---------------------------------------------------------------- scan */

#define SCAN_STEP	8	/* every 8th key is stable */
#define SCAN_KEYS	2048

static int scan_writers;

static bool is_stable(s64 key)
{
	return key % SCAN_STEP == 0;
}

/* A key of [0, @nkeys) in the stripe of writer @w of @writers. */
static s64 stripe_key(struct worker *w, s64 nkeys, int writers)
{
	return h_below(&w->rng, nkeys / writers) * writers + w->id;
}

static void check_pairs(int id, const struct bwtree_pair *p, long n, bool rev)
{
	s64 expect = rev ? (SCAN_KEYS - 1) / SCAN_STEP * SCAN_STEP : 0;
	long j;

	for (j = 0; j < n; j++) {
		if (j && (rev ? p[j].key >= p[j - 1].key : p[j].key <= p[j - 1].key)) {
			H_FAIL("scanner %d: %lld after %lld", id, p[j].key, p[j - 1].key);
			return;
		}
		if (!h_value_ok(p[j].key, p[j].value)) {
			H_FAIL("scanner %d: %lld=%llx", id, p[j].key, p[j].value);
			return;
		}
		if (!is_stable(p[j].key))
			continue;
		if (p[j].key != expect) {
			H_FAIL("scanner %d: stable key %lld missing (next seen %lld)%s",
			       id, expect, p[j].key, rev ? " reverse" : "");
			return;
		}
		expect += rev ? -SCAN_STEP : SCAN_STEP;
	}
	if (rev ? expect >= 0 : expect < SCAN_KEYS)
		H_FAIL("scanner %d: stable key %lld missing at the end%s", id,
		       expect, rev ? " reverse" : "");
}

static void *scan_fn(void *arg)
{
	struct worker *w = arg;
	long i;

	pthread_barrier_wait(&barrier);
	if (w->id < scan_writers) {
		/* A writer: the unstable keys of its own stripe. */
		for (i = 0; i < cfg.ops && !too_many_failures(); i++) {
			s64 key = stripe_key(w, SCAN_KEYS, scan_writers);
			int ret;

			if (is_stable(key))
				continue;
			w->ops++;
			if (((i >> 11) & 1) == 0)
				ret = bwtree_insert(tree, key, h_value(key, 2));
			else
				ret = bwtree_delete(tree, key, NULL);
			H_CHECK(ret == 0 || ret == -EEXIST || ret == -ENOENT,
				"writer %d: %lld: %d", w->id, key, ret);
		}
		return NULL;
	}
	for (i = 0; i < cfg.ops / 64 && !too_many_failures(); i++) {
		bool rev = i & 1;
		struct bwtree_pair *p;
		long n;

		n = h_scan_all(tree, S64_MIN, S64_MAX, rev ? BWTREE_SCAN_REVERSE : 0,
			       1 + h_below(&w->rng, 48), &p);
		w->ops++;
		if (n < 0) {
			H_FAIL("scanner %d: %ld", w->id, n);
			return NULL;
		}
		check_pairs(w->id, p, n, rev);
		free(p);
	}
	return NULL;
}

static void part_scan(void)
{
	int before = h_failures;
	struct worker *w;
	s64 k;

	part_begin("scan");
	scan_writers = max(1, cfg.threads / 2);
	for (k = 0; k < SCAN_KEYS; k += SCAN_STEP)
		if (bwtree_insert(tree, k, h_value(k, 1)))
			abort();
	h_diag("%s-scan: %d stable keys, %d writers x %ld ops, %d scanners x %ld full scans",
	       cfg.name, SCAN_KEYS / SCAN_STEP, scan_writers, cfg.ops,
	       cfg.threads - scan_writers, cfg.ops / 64);
	run_threads(scan_fn, &w);
	part_end("scan", w, before);
}

/* ---------------------------------------------------------------- batch */

#define BATCH_KEYS	2048
#define BATCH_MAX	100
#define BATCH_UNSET	0x5eed5eed5eed5eedULL	/* never a value */

/* Keys 8i are stable (version 1), 8i + 4 are never written. */
static u8 batch_state[BATCH_KEYS];	/* version present, 0: absent */
static int batch_writers, batch_running;

static void batch_check(int id, const s64 *keys, unsigned int n,
			const u64 *vals, const bool *found, int ret, bool exact)
{
	unsigned int j;
	int hits = 0;

	for (j = 0; j < n; j++) {
		s64 k = keys[j];
		u8 want = __atomic_load_n(&batch_state[k], __ATOMIC_RELAXED);

		hits += found[j];
		if (!found[j]) {
			H_CHECK(vals[j] == BATCH_UNSET && (!exact || !want) &&
				k % 8 != 0,
				"reader %d: key %lld absent, value %llx", id, k, vals[j]);
		} else if (k % 8 == 4) {
			H_FAIL("reader %d: key %lld, never written, found", id, k);
		} else {
			H_CHECK(h_value_ok(k, vals[j]) &&
				(u32)vals[j] >= 1 && (u32)vals[j] <= 3 &&
				(k % 8 == 0 ? (u32)vals[j] == 1 : (u32)vals[j] >= 2) &&
				(!exact || (u32)vals[j] == want),
				"reader %d: key %lld = %llx (state %u)", id, k,
				vals[j], want);
		}
	}
	H_CHECK(ret == hits, "reader %d: batch of %u returned %d, found %d",
		id, n, ret, hits);
}

/* A writer: keys 8i + 1..3 and 8i + 5..7 of its own stripe. */
static void batch_writer(struct worker *w)
{
	long i;

	for (i = 0; i < cfg.ops && !too_many_failures(); i++) {
		s64 k = stripe_key(w, BATCH_KEYS, batch_writers);
		u8 have = batch_state[k];
		int ret = 0;

		if (k % 4 == 0)
			continue;
		w->ops++;
		if (((i >> 10) & 1) == 0 && !have) {
			ret = bwtree_insert(tree, k, h_value(k, 2));
			have = 2;
		} else if (have && h_below(&w->rng, 4) == 0) {
			ret = bwtree_upsert(tree, k, h_value(k, 3), NULL);
			have = 3;
		} else if (have) {
			ret = bwtree_delete(tree, k, NULL);
			have = 0;
		}
		H_CHECK(ret == 0, "writer %d: %lld: %d", w->id, k, ret);
		__atomic_store_n(&batch_state[k], have, __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&batch_running, 1, __ATOMIC_RELEASE);
}

/* A reader: batches of random keys, repeats included, while writers run. */
static void batch_reader(struct worker *w)
{
	s64 keys[BATCH_MAX];
	u64 vals[BATCH_MAX];
	bool found[BATCH_MAX];

	while (__atomic_load_n(&batch_running, __ATOMIC_ACQUIRE) &&
	       !too_many_failures()) {
		unsigned int n = h_below(&w->rng, BATCH_MAX + 1), j;
		int ret;

		for (j = 0; j < n; j++) {
			if (j && h_below(&w->rng, 6) == 0)
				keys[j] = keys[h_below(&w->rng, j)];
			else
				keys[j] = h_below(&w->rng, BATCH_KEYS);
			vals[j] = BATCH_UNSET;
		}
		ret = bwtree_lookup_batch(tree, keys, n, vals, found);
		batch_check(w->id, keys, n, vals, found, ret, false);
		w->ops += n;
	}
}

static void *batch_fn(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&barrier);
	if (w->id < batch_writers)
		batch_writer(w);
	else
		batch_reader(w);
	return NULL;
}

static void part_batch(void)
{
	s64 keys[BATCH_MAX];
	u64 vals[BATCH_MAX];
	bool found[BATCH_MAX];
	int before = h_failures, ret;
	struct worker *w;
	unsigned int n;
	s64 k, at;

	part_begin("batch");
	batch_writers = max(1, cfg.threads / 2);
	batch_running = batch_writers;
	memset(batch_state, 0, sizeof(batch_state));
	for (k = 0; k < BATCH_KEYS; k += 8) {
		if (bwtree_insert(tree, k, h_value(k, 1)))
			abort();
		batch_state[k] = 1;
	}
	h_diag("%s-batch: %d writers x %ld ops, %d readers of batches of 0..%d keys",
	       cfg.name, batch_writers, cfg.ops, cfg.threads - batch_writers,
	       BATCH_MAX);
	run_threads(batch_fn, &w);
	/* Nothing moves now: every answer is exact. */
	for (at = 0; at < BATCH_KEYS; at += n) {
		unsigned int j;

		n = min_t(s64, BATCH_KEYS - at, 1 + at % BATCH_MAX);
		for (j = 0; j < n; j++) {
			keys[j] = at + j;
			vals[j] = BATCH_UNSET;
		}
		ret = bwtree_lookup_batch(tree, keys, n, vals, found);
		batch_check(-1, keys, n, vals, found, ret, true);
	}
	part_end("batch", w, before);
}

/* Is @part named after the options, or are none named? */
static bool want(int argc, char **argv, const char *part)
{
	int i;

	for (i = optind; i < argc; i++)
		if (!strcmp(argv[i], part))
			return true;
	return optind == argc;
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "t:r:k:n:l:i:c:s:N:")) != -1) {
		switch (c) {
		case 't':
			cfg.threads = atoi(optarg);
			break;
		case 'r':
			cfg.rounds = atoi(optarg);
			break;
		case 'k':
			cfg.hot = atoi(optarg);
			break;
		case 'n':
			cfg.ops = atol(optarg);
			break;
		case 'l':
			cfg.params.leaf_max = atoi(optarg);
			break;
		case 'i':
			cfg.params.inner_max = atoi(optarg);
			break;
		case 'c':
			cfg.params.chain_max = atoi(optarg);
			break;
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			break;
		case 'N':
			cfg.name = optarg;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of contend.c\n");
			return 64;
		}
	}
	if (cfg.threads < 2 || cfg.hot < 1 || cfg.hot > 1000)
		return 64;
	if (bwtree_init()) {
		h_ok(false, "%s: bwtree_init", cfg.name);
		return 1;
	}
	if (want(argc, argv, "insdel"))
		part_insdel();
	if (want(argc, argv, "upsert"))
		part_upsert();
	if (want(argc, argv, "scan"))
		part_scan();
	if (want(argc, argv, "batch"))
		part_batch();
	bwtree_exit();
	h_check_complaints(cfg.name);
	return h_exit_status();
}
