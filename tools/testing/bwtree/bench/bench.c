// SPDX-License-Identifier: GPL-2.0
/*
 * bench: our tree against the kernel's maple tree (RCU mode), an rbtree
 * under a rwlock and a sorted array, all in one process and one run so the
 * ratios hold.
 *
 * For each data size (random s64 keys) and contender:
 *   bulk load	 insert the keys in ascending order into an empty structure
 *   insert	 insert the keys in random order into an empty structure (with 2
 *		 threads: each inserts its half of that order)
 *   then, on the structure from the last "insert" run, with 1 and 2 threads:
 *   lookup	 uniform lookups of present keys
 *   zipf	 Zipfian (theta 0.99, scrambled) lookups
 *   ycsb-a/b/c	 50/50, 95/5, 100/0 read/update, Zipfian
 *   update	 uniform updates of present keys
 *   ycsb-e	 95% scans of 1..100 pairs from a Zipfian key, 5% inserts
 *   multiget	 uniform lookups of present keys in batches of MULTIGET: the
 *		 contender's lookup_batch hook (ours: bwtree_lookup_batch()),
 *		 or its single lookup in a loop; ops/s counts keys
 *   scan	 one full ascending scan, ns per pair
 * Each figure is run --repeats times: min, median, max of ops/s.
 * Bytes per key are the allocator's count of bytes in use, as the kernel's
 * slab would hand them out, after an RCU barrier.
 *
 * Output: a table on stdout, results.tsv and bench.png (gnuplot) in --out,
 * and last, one "RATIO name=value" line per ratio (ours / theirs, as
 * throughput; lookup_*_time_vs_sorted is our lookup time over the array's).
 *
 * --callgrind OP (lookup|insert|update|multiget|scan|fullscan) --contender
 * NAME: build N keys, then run --cg-ops operations (multiget: keys, in
 * batches of MULTIGET; fullscan: pairs, in whole scans) between
 * CALLGRIND_START/STOP_INSTRUMENTATION, for "valgrind --tool=callgrind
 * --instr-atstart=no" (make callgrind).  scan is YCSB-E's scan (1..100
 * pairs from a present key).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>
#include "contender.h"

int bench_bwtree_init(void);

static const struct contender *all_contenders[] = {
	&contender_bwtree, &contender_maple, &contender_rbtree, &contender_sorted,
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define NC ARRAY_SIZE(all_contenders)

enum wl { W_BULK, W_INSERT, W_LOOKUP, W_ZIPF, W_YA, W_YB, W_YC, W_UPDATE, W_YE,
	  W_MULTI, W_SCAN, NW };
static const char *const wl_name[NW] = {
	"bulk-load", "insert", "lookup", "zipf-lookup", "ycsb-a", "ycsb-b",
	"ycsb-c", "update", "ycsb-e", "multiget", "scan",
};

#define MULTIGET	64	/* keys per multiget batch */

static size_t sizes[4] = { 1000000, 10000000 };
static int nsizes = 2;
static int threads[4] = { 1, 2 };
static int nthreads = 2;
static int repeats = 3;
static long ops_per_thread = 1000000;
static bool use[NC] = { true, true, true, true };
static const char *outdir = ".";

/* results[size][threads idx][workload][contender][repeat] in ops/s */
#define MAXR 16
static double res[4][4][NW][NC][MAXR];
static double bytes_per_key[4][2][NC];	/* [size][0 bulk, 1 random] */
static double restarts_per_k[4][2][NC];	/* per 1000 inserts, [size][bulk, random] */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix(*s);
}

#define val_of(k) bench_val(k)

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Data of one size: keys sorted and shuffled, and spare keys for inserts. */
static int64_t *ksorted, *kshuf, *spare;
static size_t nkeys, nspare;

static bool in_sorted(int64_t k)
{
	size_t lo = 0, hi = nkeys;

	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if (ksorted[m] < k)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < nkeys && ksorted[lo] == k;
}

static void make_keys(size_t n, uint64_t seed)
{
	size_t i, j, have = 0;

	free(ksorted);
	free(kshuf);
	free(spare);
	ksorted = malloc(n * sizeof(int64_t));
	kshuf = malloc(n * sizeof(int64_t));
	while (have < n) {
		for (i = have; i < n; i++)
			ksorted[i] = (int64_t)rnd(&seed);
		qsort(ksorted, n, sizeof(int64_t), cmp64);
		for (i = 1, j = 1; i < n; i++)
			if (ksorted[i] != ksorted[j - 1])
				ksorted[j++] = ksorted[i];
		have = j;
	}
	nkeys = n;
	memcpy(kshuf, ksorted, n * sizeof(int64_t));
	for (i = n - 1; i > 0; i--) {
		int64_t t;

		j = rnd(&seed) % (i + 1);
		t = kshuf[i];
		kshuf[i] = kshuf[j];
		kshuf[j] = t;
	}
	nspare = 2000000;
	spare = malloc(nspare * sizeof(int64_t));
	for (i = 0; i < nspare; ) {
		int64_t k = (int64_t)rnd(&seed);

		if (!in_sorted(k))
			spare[i++] = k;
	}
}

/* YCSB's Zipfian generator, scrambled so hot keys spread over the key space. */
static double zetan, zeta2, zalpha, zeta_eta, ztheta = 0.99;

static void zipf_setup(size_t n)
{
	size_t i;

	zetan = 0;
	for (i = 1; i <= n; i++)
		zetan += 1.0 / pow((double)i, ztheta);
	zeta2 = 1.0 + 1.0 / pow(2.0, ztheta);
	zalpha = 1.0 / (1.0 - ztheta);
	zeta_eta = (1.0 - pow(2.0 / n, 1.0 - ztheta)) / (1.0 - zeta2 / zetan);
}

static size_t zipf(uint64_t *s, size_t n)
{
	double u = (rnd(s) >> 11) * (1.0 / 9007199254740992.0), uz = u * zetan;
	size_t rank;

	if (uz < 1.0)
		rank = 0;
	else if (uz < 1.0 + pow(0.5, ztheta))
		rank = 1;
	else
		rank = (size_t)(n * pow(zeta_eta * u - zeta_eta + 1.0, zalpha));
	if (rank >= n)
		rank = n - 1;
	return mix(rank + 0x1234) % n;
}

/* One thread's pre-generated operations. */
enum { OP_READ, OP_UPDATE, OP_SCAN, OP_INSERT, OP_LOAD, OP_MULTI };

struct op {
	uint32_t idx;		/* key index, or spare index for inserts */
	uint8_t kind;
	uint8_t len;
};

struct job {
	const struct contender *c;
	void *t;
	struct op *ops;
	long nops;
	double t0, t1;
	uint64_t sink;
	long errors;
	pthread_barrier_t *bar;
};

/* The multiget batch of ops[i..]: up to MULTIGET keys; how many. */
static long job_multiget(struct job *j, long i, uint64_t *sum)
{
	int64_t keys[MULTIGET];
	uint64_t vals[MULTIGET];
	bool found[MULTIGET];
	long m = j->nops - i < MULTIGET ? j->nops - i : MULTIGET, k;

	for (k = 0; k < m; k++)
		keys[k] = kshuf[j->ops[i + k].idx];
	if (bench_lookup_batch(j->c, j->t, keys, m, vals, found) != m)
		j->errors++;
	for (k = 0; k < m; k++)
		*sum += vals[k];
	return m;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	const struct contender *c = j->c;
	uint64_t v, sum = 0;
	long i;

	c->thread_start();
	pthread_barrier_wait(j->bar);
	j->t0 = now();
	for (i = 0; i < j->nops; i++) {
		const struct op *o = &j->ops[i];

		switch (o->kind) {
		case OP_READ:
			if (c->lookup(j->t, kshuf[o->idx], &v))
				j->errors++;
			sum += v;
			break;
		case OP_UPDATE:
			if (c->update(j->t, kshuf[o->idx], val_of(kshuf[o->idx]) + i))
				j->errors++;
			break;
		case OP_SCAN:
			c->scan(j->t, kshuf[o->idx], o->len, &sum);
			break;
		case OP_INSERT:
			if (c->insert(j->t, spare[o->idx], val_of(spare[o->idx])))
				j->errors++;
			break;
		case OP_LOAD:
			if (c->insert(j->t, kshuf[o->idx], val_of(kshuf[o->idx])))
				j->errors++;
			break;
		case OP_MULTI:
			i += job_multiget(j, i, &sum) - 1;
			break;
		}
	}
	j->t1 = now();
	j->sink = sum;
	return NULL;
}

static size_t spare_next;

static void gen_ops(struct op *ops, long n, enum wl w, uint64_t seed)
{
	long i;

	for (i = 0; i < n; i++) {
		struct op *o = &ops[i];
		uint64_t r = rnd(&seed) % 100;

		o->len = 0;
		switch (w) {
		case W_LOOKUP:
		case W_MULTI:
			o->kind = w == W_LOOKUP ? OP_READ : OP_MULTI;
			o->idx = rnd(&seed) % nkeys;
			break;
		case W_ZIPF:
		case W_YC:
			o->kind = OP_READ;
			o->idx = zipf(&seed, nkeys);
			break;
		case W_UPDATE:
			o->kind = OP_UPDATE;
			o->idx = rnd(&seed) % nkeys;
			break;
		case W_YA:
		case W_YB:
			o->kind = r < (w == W_YA ? 50 : 95) ? OP_READ : OP_UPDATE;
			o->idx = zipf(&seed, nkeys);
			break;
		case W_YE:
			if (r < 95) {
				o->kind = OP_SCAN;
				o->idx = zipf(&seed, nkeys);
				o->len = 1 + rnd(&seed) % 100;
			} else {
				o->kind = OP_INSERT;
				o->idx = spare_next++ % nspare;
			}
			break;
		default:
			break;
		}
	}
}

/* Run prepared @jobs in @nt threads; returns the wall time from first start to last end. */
static double run_jobs(struct job *jobs, int nt, pthread_barrier_t *bar, long *errors)
{
	double t0 = 1e300, t1 = 0;
	pthread_t th[8];
	int i;

	for (i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, job_run, &jobs[i]);
	for (i = 0; i < nt; i++) {
		pthread_join(th[i], NULL);
		t0 = fmin(t0, jobs[i].t0);
		t1 = fmax(t1, jobs[i].t1);
		*errors += jobs[i].errors;
		free(jobs[i].ops);
	}
	pthread_barrier_destroy(bar);
	return t1 - t0;
}

/* Run one workload with @nt threads; returns ops/s over all threads. */
static double run_threads(const struct contender *c, void *t, enum wl w, int nt,
			  uint64_t seed, long *errors)
{
	pthread_barrier_t bar;
	struct job jobs[8];
	double t1;
	int i;

	pthread_barrier_init(&bar, NULL, nt);
	for (i = 0; i < nt; i++) {
		jobs[i] = (struct job){ .c = c, .t = t, .nops = ops_per_thread, .bar = &bar };
		jobs[i].ops = malloc(ops_per_thread * sizeof(struct op));
		gen_ops(jobs[i].ops, ops_per_thread, w, seed * 131 + i);
	}
	t1 = run_jobs(jobs, nt, &bar, errors);
	return nt * (double)ops_per_thread / t1;
}

/* The random-order load with @nt threads, each inserting a slice of kshuf. */
static double load_threads(const struct contender *c, int nt, long *errors)
{
	void *t = c->create();
	pthread_barrier_t bar;
	struct job jobs[8];
	double t1;
	long k;
	int i;

	pthread_barrier_init(&bar, NULL, nt);
	for (i = 0; i < nt; i++) {
		long from = nkeys * i / nt, to = nkeys * (i + 1) / nt;

		jobs[i] = (struct job){ .c = c, .t = t, .nops = to - from, .bar = &bar };
		jobs[i].ops = malloc((to - from) * sizeof(struct op));
		for (k = from; k < to; k++)
			jobs[i].ops[k - from] = (struct op){ .idx = k, .kind = OP_LOAD };
	}
	t1 = run_jobs(jobs, nt, &bar, errors);
	c->quiesce();
	c->destroy(t);
	c->quiesce();
	return nkeys / t1;
}

static double load(const struct contender *c, void **tp, const int64_t *keys, bool sorted_order,
		   long *errors)
{
	void *t = c->create();
	double t0, t1;
	size_t i;

	c->thread_start();
	if (c->build_sorted) {
		t0 = now();
		if (c->build_sorted(t, ksorted, nkeys))
			(*errors)++;
		t1 = now();
	} else {
		t0 = now();
		for (i = 0; i < nkeys; i++)
			if (c->insert(t, keys[i], val_of(keys[i])))
				(*errors)++;
		t1 = now();
	}
	*tp = t;
	return nkeys / (t1 - t0);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const double *r, int n, double *mn, double *md, double *mx)
{
	double s[MAXR];

	memcpy(s, r, n * sizeof(double));
	qsort(s, n, sizeof(double), cmpd);
	*mn = s[0];
	*mx = s[n - 1];
	*md = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double med(int si, int ti, enum wl w, int ci)
{
	double a, b, c;

	if (!res[si][ti][w][ci][0])
		return 0;
	stats(res[si][ti][w][ci], repeats, &a, &b, &c);
	return b;
}

static void check_contents(const struct contender *c, void *t, long *errors)
{
	uint64_t s = 99, v;
	int i;

	for (i = 0; i < 10000; i++) {
		size_t k = rnd(&s) % nkeys;

		if (c->lookup(t, ksorted[k], &v) || v != val_of(ksorted[k]))
			(*errors)++;
	}
	if (c->lookup(t, spare[nspare - 1], &v) != -ENOENT)
		(*errors)++;
}

static void run_size(int si)
{
	size_t n = sizes[si];
	unsigned int ci;
	int r, ti;

	fprintf(stderr, "# %zu keys: generating\n", n);
	make_keys(n, 0xb3 + si);
	zipf_setup(n);
	for (ci = 0; ci < NC; ci++) {
		const struct contender *c = all_contenders[ci];
		long errors = 0;
		void *t = NULL;
		double t0;
		int w;

		if (!use[ci])
			continue;
		fprintf(stderr, "# %zu keys: %s:", n, c->name);
		spare_next = 0;
		/* bulk load, ascending */
		for (r = 0; r < repeats; r++) {
			res[si][0][W_BULK][ci][r] = load(c, &t, ksorted, true, &errors);
			if (c->build_sorted)	/* a copy of keys sorted beforehand */
				res[si][0][W_BULK][ci][r] = 0;
			c->quiesce();
			bytes_per_key[si][0][ci] = (double)c->bytes(t) / n;
			if (c->restarts)
				restarts_per_k[si][0][ci] = 1000.0 * c->restarts(t) / n;
			c->destroy(t);
			c->quiesce();
		}
		fprintf(stderr, " bulk");
		/* random inserts; keep the last structure */
		for (r = 0; r < repeats; r++) {
			if (r)
				c->destroy(t), c->quiesce();
			res[si][0][W_INSERT][ci][r] = c->build_sorted ? 0 :
				load(c, &t, kshuf, false, &errors);
			if (c->build_sorted)
				load(c, &t, kshuf, false, &errors);
		}
		c->quiesce();
		bytes_per_key[si][1][ci] = (double)c->bytes(t) / n;
		if (c->restarts)
			restarts_per_k[si][1][ci] = 1000.0 * c->restarts(t) / n;
		check_contents(c, t, &errors);
		fprintf(stderr, " insert");
		for (ti = 0; ti < nthreads && !c->build_sorted; ti++) {
			if (threads[ti] < 2)
				continue;
			for (r = 0; r < repeats; r++)
				res[si][ti][W_INSERT][ci][r] =
					load_threads(c, threads[ti], &errors);
			fprintf(stderr, " insert-%dT", threads[ti]);
		}
		/* warm up: caches, TLB, and the deferred frees of the loads */
		ops_per_thread /= 4;
		run_threads(c, t, W_LOOKUP, 1, 12345, &errors);
		ops_per_thread *= 4;
		for (ti = 0; ti < nthreads; ti++) {
			for (w = W_LOOKUP; w <= W_MULTI; w++) {
				if (w == W_YE && c->build_sorted)
					continue;
				for (r = 0; r < repeats; r++)
					res[si][ti][w][ci][r] =
						run_threads(c, t, w, threads[ti],
							    r * 7 + w, &errors);
			}
			fprintf(stderr, " %dT", threads[ti]);
		}
		for (r = 0; r < repeats; r++) {
			uint64_t sum = 0;
			long got;

			t0 = now();
			got = c->scan(t, INT64_MIN, 1L << 40, &sum);
			res[si][0][W_SCAN][ci][r] = got / (now() - t0);
			if (got < (long)n)
				errors++;
		}
		fprintf(stderr, " scan%s\n", errors ? "" : ", all results right");
		if (errors)
			fprintf(stderr, "# %s: %ld wrong results\n", c->name, errors);
		c->destroy(t);
		c->quiesce();
	}
}

static const char *size_name(size_t n, char *buf)
{
	if (n % 1000000 == 0)
		sprintf(buf, "%zum", n / 1000000);
	else if (n % 1000 == 0)
		sprintf(buf, "%zuk", n / 1000);
	else
		sprintf(buf, "%zu", n);
	return buf;
}

static void print_table(void)
{
	char sn[32];
	unsigned int ci;
	int si, ti, w;

	printf("\nMops/s: median (min-max) over %d runs; ", repeats);
	printf("ns/op = 1e9 / median ops/s (all threads)\n");
	for (si = 0; si < nsizes; si++) {
		for (ti = 0; ti < nthreads; ti++) {
			printf("\n%s keys, %d thread%s\n%-12s", size_name(sizes[si], sn),
			       threads[ti], threads[ti] > 1 ? "s" : "", "workload");
			for (ci = 0; ci < NC; ci++)
				if (use[ci])
					printf(" | %-26s", all_contenders[ci]->name);
			printf("\n");
			for (w = 0; w < NW; w++) {
				if (ti && (w == W_BULK || w == W_SCAN))
					continue;
				printf("%-12s", wl_name[w]);
				for (ci = 0; ci < NC; ci++) {
					double mn, md, mx;

					if (!use[ci])
						continue;
					if (!res[si][ti][w][ci][0]) {
						printf(" | %-26s", "n/a");
						continue;
					}
					stats(res[si][ti][w][ci], repeats, &mn, &md, &mx);
					if (w == W_SCAN)
						printf(" | %6.2f ns/pair (%.2f-%.2f) ", 1e9 / md,
						       1e9 / mx, 1e9 / mn);
					else
						printf(" | %6.2f (%5.2f-%5.2f) %5.0fns", md / 1e6,
						       mn / 1e6, mx / 1e6, 1e9 / md);
				}
				printf("\n");
			}
		}
		printf("%-12s", "bytes/key");
		for (ci = 0; ci < NC; ci++)
			if (use[ci])
				printf(" | asc %5.1f, random %5.1f   ", bytes_per_key[si][0][ci],
				       bytes_per_key[si][1][ci]);
		printf("\n%-12s", "restarts/1k");
		for (ci = 0; ci < NC; ci++)
			if (use[ci])
				printf(" | asc %5.1f, random %5.1f   ",
				       restarts_per_k[si][0][ci], restarts_per_k[si][1][ci]);
		printf("\n");
	}
}

static void write_tsv_and_plot(void)
{
	char path[512], sn[32];
	unsigned int ci;
	int si, ti, w, panels = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/results.tsv", outdir);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "# size\tthreads\tworkload\tcontender\tmin_ops\tmedian_ops\tmax_ops\n");
	for (si = 0; si < nsizes; si++)
		for (ti = 0; ti < nthreads; ti++)
			for (w = 0; w < NW; w++)
				for (ci = 0; ci < NC; ci++) {
					double mn, md, mx;

					if (!use[ci] || !res[si][ti][w][ci][0])
						continue;
					stats(res[si][ti][w][ci], repeats, &mn, &md, &mx);
					fprintf(f, "%s\t%d\t%s\t%s\t%.0f\t%.0f\t%.0f\n",
						size_name(sizes[si], sn), threads[ti], wl_name[w],
						all_contenders[ci]->name, mn, md, mx);
				}
	fclose(f);

	/* one data block per panel: workload, then median Mops/s per contender */
	snprintf(path, sizeof(path), "%s/plot.dat", outdir);
	f = fopen(path, "w");
	for (si = 0; si < nsizes; si++)
		for (ti = 0; ti < nthreads; ti++) {
			fprintf(f, "# %s keys, %d threads\n", size_name(sizes[si], sn),
				threads[ti]);
			for (w = 0; w < NW; w++) {
				if (w == W_SCAN || (ti && w == W_BULK))
					continue;	/* scans: ns per pair, in the table */
				fprintf(f, "%s", wl_name[w]);
				for (ci = 0; ci < NC; ci++)
					if (use[ci])
						fprintf(f, "\t%.3f", med(si, ti, w, ci) / 1e6);
				fprintf(f, "\n");
			}
			fprintf(f, "\n\n");
			panels++;
		}
	fclose(f);
	snprintf(path, sizeof(path), "%s/plot.gp", outdir);
	f = fopen(path, "w");
	fprintf(f, "set terminal pngcairo size 1600,%d font ',10'\n", 450 * ((panels + 1) / 2));
	fprintf(f, "set output '%s/bench.png'\n", outdir);
	fprintf(f, "set style data histogram\nset style histogram cluster gap 1\n");
	fprintf(f, "set style fill solid border -1\nset boxwidth 0.9\nset grid ytics\n");
	fprintf(f, "set xtics rotate by -30\nset ylabel 'Mops/s (median, log scale)'\n");
	fprintf(f, "set logscale y\nset yrange [0.01:*]\nset key top right\n");
	fprintf(f, "set multiplot layout %d,2\n", (panels + 1) / 2);
	panels = 0;
	for (si = 0; si < nsizes; si++)
		for (ti = 0; ti < nthreads; ti++) {
			int col = 2;

			fprintf(f, "set title '%s keys, %d thread%s'\nplot ",
				size_name(sizes[si], sn), threads[ti], threads[ti] > 1 ? "s" : "");
			for (ci = 0; ci < NC; ci++) {
				if (!use[ci])
					continue;
				fprintf(f, "%s'%s/plot.dat' index %d using %d:xtic(1) title '%s'",
					col > 2 ? ", " : "", outdir, panels, col,
					all_contenders[ci]->name);
				col++;
			}
			fprintf(f, "\n");
			panels++;
		}
	fprintf(f, "unset multiplot\n");
	fclose(f);
	snprintf(path, sizeof(path), "gnuplot %s/plot.gp 2>&1", outdir);
	if (system(path))
		fprintf(stderr, "# gnuplot failed: no plot\n");
	else
		fprintf(stderr, "# plot: %s/bench.png\n", outdir);
}

static void print_machine(void)
{
	char line[256], model[256] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	time_t t = time(NULL);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			char *p = strchr(line, ':');

			snprintf(model, sizeof(model), "%s", p ? p + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	printf("machine: %s, %ld CPUs online, load average at start: ", model,
	       sysconf(_SC_NPROCESSORS_ONLN));
	f = fopen("/proc/loadavg", "r");
	if (f && fgets(line, sizeof(line), f))
		printf("%.*s", (int)strcspn(line, "\n"), line);
	if (f)
		fclose(f);
	printf("\nrun: %s", ctime(&t));
	printf("sizes:");
	for (int i = 0; i < nsizes; i++)
		printf(" %zu", sizes[i]);
	printf(" keys; threads:");
	for (int i = 0; i < nthreads; i++)
		printf(" %d", threads[i]);
	printf("; %d repeats; %ld ops per thread per run\n", repeats, ops_per_thread);
	fflush(stdout);
}

static int cidx(const char *name)
{
	unsigned int ci;

	for (ci = 0; ci < NC; ci++)
		if (!strcmp(all_contenders[ci]->name, name) && use[ci])
			return ci;
	return -1;
}

static void ratio(const char *name, double ours, double theirs)
{
	if (ours > 0 && theirs > 0)
		printf("RATIO %s=%.2f\n", name, ours / theirs);
}

/* RATIO line for workload @w: contender @a over contender @b */
static void ratio_wl(const char *fmt, const char *sn, int si, int ti, enum wl w,
		     int a, int b)
{
	char nm[96];

	snprintf(nm, sizeof(nm), fmt, sn);
	ratio(nm, med(si, ti, w, a), med(si, ti, w, b));
}

static void print_ratios(void)
{
	int us = cidx("bwtree"), ma = cidx("maple"), so = cidx("sorted"), rb = cidx("rbtree");
	int si, ti, t2 = -1;
	char sn[32], nm[96];

	if (us < 0)
		return;
	for (ti = 0; ti < nthreads; ti++)
		if (threads[ti] == 2)
			t2 = ti;
	for (si = 0; si < nsizes; si++)
		printf("FIGURE scan_%s_ns_per_entry=%.2f\n", size_name(sizes[si], sn),
		       1e9 / med(si, 0, W_SCAN, us));
	for (si = 0; si < nsizes; si++) {
		size_name(sizes[si], sn);
		printf("FIGURE bytes_per_key_asc_%s=%.1f\n", sn, bytes_per_key[si][0][us]);
		printf("FIGURE bytes_per_key_random_%s=%.1f\n", sn, bytes_per_key[si][1][us]);
		printf("FIGURE restarts_per_1000_inserts_asc_%s=%.1f\n", sn,
		       restarts_per_k[si][0][us]);
		printf("FIGURE restarts_per_1000_inserts_random_%s=%.1f\n", sn,
		       restarts_per_k[si][1][us]);
	}
	for (si = 0; si < nsizes; si++) {
		size_name(sizes[si], sn);
		if (ma >= 0) {
#define R(fmt, ti, w) ratio_wl(fmt, sn, si, ti, w, us, ma)
			R("lookup_%s_vs_maple", 0, W_LOOKUP);
			R("zipf_lookup_%s_vs_maple", 0, W_ZIPF);
			R("insert_%s_vs_maple", 0, W_INSERT);
			R("bulk_load_%s_vs_maple", 0, W_BULK);
			R("ycsb_a_%s_vs_maple", 0, W_YA);
			R("ycsb_b_%s_vs_maple", 0, W_YB);
			R("ycsb_c_%s_vs_maple", 0, W_YC);
			R("ycsb_e_%s_vs_maple", 0, W_YE);
			R("update_%s_vs_maple", 0, W_UPDATE);
			if (t2 >= 0) {
				R("insert_%s_2t_vs_maple", t2, W_INSERT);
				R("ycsb_b_%s_2t_vs_maple", t2, W_YB);
				R("update_%s_2t_vs_maple", t2, W_UPDATE);
				R("lookup_%s_2t_vs_maple", t2, W_LOOKUP);
				R("ycsb_a_%s_2t_vs_maple", t2, W_YA);
				R("ycsb_e_%s_2t_vs_maple", t2, W_YE);
			}
			R("multiget_%s_vs_maple", 0, W_MULTI);
			R("scan_%s_vs_maple", 0, W_SCAN);
#undef R
			snprintf(nm, sizeof(nm), "bytes_per_key_%s_vs_maple", sn);
			ratio(nm, bytes_per_key[si][1][us], bytes_per_key[si][1][ma]);
		}
		/* our batched lookups over our single ones */
		snprintf(nm, sizeof(nm), "multiget_%s_vs_own_lookup", sn);
		ratio(nm, med(si, 0, W_MULTI, us), med(si, 0, W_LOOKUP, us));
		if (rb >= 0) {
			snprintf(nm, sizeof(nm), "lookup_%s_vs_rbtree", sn);
			ratio(nm, med(si, 0, W_LOOKUP, us), med(si, 0, W_LOOKUP, rb));
		}
		if (so >= 0) {
			snprintf(nm, sizeof(nm), "lookup_%s_time_vs_sorted", sn);
			ratio(nm, med(si, 0, W_LOOKUP, so), med(si, 0, W_LOOKUP, us));
		}
	}
}

static int run_callgrind(const char *op, const char *name, long cg_ops)
{
	int ci = cidx(name);
	const struct contender *c;
	long errors = 0, i;
	uint64_t v, s = 5, sum = 0;
	void *t;

	if (ci < 0 || (strcmp(op, "lookup") && strcmp(op, "multiget") &&
		       strcmp(op, "insert") && strcmp(op, "update") &&
		       strcmp(op, "scan") && strcmp(op, "fullscan")))
		return 64;
	c = all_contenders[ci];
	make_keys(sizes[0], 0xb3);
	load(c, &t, kshuf, false, &errors);
	c->quiesce();
	if (!strcmp(op, "lookup")) {
		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < cg_ops; i++) {
			c->lookup(t, kshuf[rnd(&s) % nkeys], &v);
			sum += v;
		}
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "update")) {
		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < cg_ops; i++)
			errors += !!c->update(t, kshuf[rnd(&s) % nkeys], i);
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "multiget")) {
		int64_t keys[MULTIGET];
		uint64_t vals[MULTIGET];
		bool found[MULTIGET];
		long m, k;

		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < cg_ops; i += m) {
			m = cg_ops - i < MULTIGET ? cg_ops - i : MULTIGET;
			for (k = 0; k < m; k++)
				keys[k] = kshuf[rnd(&s) % nkeys];
			errors += m - bench_lookup_batch(c, t, keys, m, vals, found);
			for (k = 0; k < m; k++)
				sum += vals[k];
		}
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "scan")) {
		/* YCSB-E's scans: 1..100 pairs from a present key */
		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < cg_ops; i++)
			c->scan(t, kshuf[rnd(&s) % nkeys], 1 + rnd(&s) % 100, &sum);
		CALLGRIND_STOP_INSTRUMENTATION;
	} else if (!strcmp(op, "fullscan")) {
		/* whole scans; --cg-ops counts pairs */
		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < cg_ops; i += c->scan(t, INT64_MIN, 1L << 40, &sum))
			;
		CALLGRIND_STOP_INSTRUMENTATION;
	} else {
		CALLGRIND_START_INSTRUMENTATION;
		for (i = 0; i < cg_ops; i++)
			errors += !!c->insert(t, spare[i], i);
		CALLGRIND_STOP_INSTRUMENTATION;
	}
	c->quiesce();
	c->destroy(t);
	printf("callgrind %s %s: %ld ops, %ld errors (%llu)\n", name, op, cg_ops, errors,
	       (unsigned long long)sum);
	return errors ? 1 : 0;
}

static int parse_list(const char *s, size_t *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		double v = strtod(s, &end);

		if (*end == 'k' || *end == 'K')
			v *= 1e3, end++;
		else if (*end == 'm' || *end == 'M')
			v *= 1e6, end++;
		out[n++] = (size_t)v;
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s != ',')
			break;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sizes", 1, 0, 's' }, { "threads", 1, 0, 't' }, { "repeats", 1, 0, 'r' },
		{ "ops", 1, 0, 'o' }, { "contenders", 1, 0, 'c' }, { "out", 1, 0, 'O' },
		{ "callgrind", 1, 0, 'g' }, { "contender", 1, 0, 'C' }, { "cg-ops", 1, 0, 'n' },
		{ 0 },
	};
	const char *cg = NULL, *cgc = "bwtree";
	long cg_ops = 100000;
	size_t tmp[4];
	unsigned int ci;
	int opt, i;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			nsizes = parse_list(optarg, sizes, 4);
			break;
		case 't':
			nthreads = parse_list(optarg, tmp, 4);
			for (i = 0; i < nthreads; i++)
				threads[i] = tmp[i] > 8 ? 8 : (int)tmp[i];
			break;
		case 'r':
			repeats = atoi(optarg);
			if (repeats < 1 || repeats > MAXR)
				return 64;
			break;
		case 'o':
			ops_per_thread = atol(optarg);
			break;
		case 'c':
			for (ci = 0; ci < NC; ci++)
				use[ci] = !!strstr(optarg, all_contenders[ci]->name);
			break;
		case 'O':
			outdir = optarg;
			break;
		case 'g':
			cg = optarg;
			break;
		case 'C':
			cgc = optarg;
			break;
		case 'n':
			cg_ops = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of bench.c\n");
			return 64;
		}
	}
	if (bench_bwtree_init())
		return 1;
	bwt_rcu_register();
	if (cg)
		return run_callgrind(cg, cgc, cg_ops);
	print_machine();
	for (i = 0; i < nsizes; i++)
		run_size(i);
	print_table();
	write_tsv_and_plot();
	printf("\n");
	print_ratios();
	return 0;
}
