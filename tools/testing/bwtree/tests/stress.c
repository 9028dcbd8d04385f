// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrent stress: T threads run mixed operations on one tree, each on its
 * own stripe of a key universe, each keeping the shadow model of its stripe.
 *
 * Every result on a thread's own keys must match its shadow exactly; keys of
 * other stripes change under it, so for those only what cannot change is
 * checked: a value always belongs to its key, scans return keys in strict
 * order within their range, and keys of the own stripe inside the range
 * appear exactly when the shadow has them, with its value.  Threads switch
 * between growing and shrinking phases so nodes keep splitting and merging
 * and the root grows and collapses.
 *
 * At the end the tree must equal the union of the shadows (scans in both
 * directions, bwtree_scan(), bwtree_count(), bwtree_validate()), and once
 * the tree is destroyed and an RCU barrier passed, no object may be live.
 *
 * Usage: stress [-t threads] [-n ops per thread] [-k universe size]
 *		 [-l leaf_max] [-i inner_max] [-c chain_max] [-s seed] [-N name]
 */
#include "harness.h"
#include <getopt.h>

struct cfg {
	int threads;
	long ops;
	size_t keys;
	struct bwtree_params params;
	u64 seed;
	const char *name;
};

static struct cfg cfg = {
	.threads = 4, .ops = 200000, .keys = 2048,
	.params = { .leaf_max = 4, .inner_max = 4, .chain_max = 2 },
	.seed = 1, .name = "stress",
};

static struct bwtree *tree;
static struct h_model model;
static int start_flag;

struct worker {
	pthread_t thread;
	int id;
	u64 rng;
	long ops[8];
	long found_foreign;
	u32 version;
};

enum { OP_INSERT, OP_UPSERT, OP_DELETE, OP_LOOKUP, OP_SCAN, OP_RSCAN, OP_SCANFN, OP_NR };
static const char *const op_names[] = {
	"insert", "upsert", "delete", "lookup", "scan", "rscan", "scanfn",
};

static size_t own_index(struct worker *w)
{
	size_t per = (model.n - w->id + cfg.threads - 1) / cfg.threads;

	return w->id + cfg.threads * h_below(&w->rng, per);
}

static bool is_own(struct worker *w, size_t i)
{
	return (int)(i % cfg.threads) == w->id;
}

/* Check one scan result: order, range, values, and the own stripe exactly. */
static void check_scan(struct worker *w, s64 lo, s64 hi, bool rev,
		       const struct bwtree_pair *p, long n)
{
	size_t first = h_model_lower(&model, lo), last, i, k;
	long j;

	last = h_model_lower(&model, hi);
	if (last < model.n && model.keys[last] == hi)
		last++;		/* [first, last) is the range in the universe */
	for (j = 0; j < n; j++) {
		long idx = h_model_find(&model, p[j].key);

		if (p[j].key < lo || p[j].key > hi) {
			H_FAIL("thread %d: scan [%lld, %lld] returned %lld", w->id,
			       lo, hi, p[j].key);
			return;
		}
		if (j && (rev ? p[j].key >= p[j - 1].key : p[j].key <= p[j - 1].key)) {
			H_FAIL("thread %d: scan out of order: %lld after %lld",
			       w->id, p[j].key, p[j - 1].key);
			return;
		}
		if (idx < 0 || !h_value_ok(p[j].key, p[j].value)) {
			H_FAIL("thread %d: scan returned %lld=%llx, never written",
			       w->id, p[j].key, p[j].value);
			return;
		}
	}
	/* The own stripe: walk the model range and the result together. */
	k = 0;
	for (i = 0; i < last - first; i++) {
		size_t mi = rev ? last - 1 - i : first + i;

		while (k < (size_t)n && (rev ? p[k].key > model.keys[mi] :
					 p[k].key < model.keys[mi]))
			k++;
		if (!is_own(w, mi))
			continue;
		if (model.present[mi]) {
			if (k >= (size_t)n || p[k].key != model.keys[mi]) {
				H_FAIL("thread %d: scan [%lld, %lld]%s missed own key %lld",
				       w->id, lo, hi, rev ? " reverse" : "", model.keys[mi]);
				return;
			}
			if (p[k].value != model.vals[mi]) {
				H_FAIL("thread %d: scan: own key %lld has %llx, shadow %llx",
				       w->id, model.keys[mi], p[k].value, model.vals[mi]);
				return;
			}
		} else if (k < (size_t)n && p[k].key == model.keys[mi]) {
			H_FAIL("thread %d: scan returned deleted own key %lld",
			       w->id, model.keys[mi]);
			return;
		}
	}
}

struct fn_state {
	struct bwtree_pair *p;
	long n, cap;
};

static int collect_fn(void *arg, s64 key, u64 value)
{
	struct fn_state *st = arg;

	if (st->n == st->cap)
		return -E2BIG;
	st->p[st->n].key = key;
	st->p[st->n].value = value;
	st->n++;
	return 0;
}

static void do_scan(struct worker *w, int op)
{
	size_t a = h_below(&w->rng, model.n), span;
	struct bwtree_pair *p;
	bool rev = op == OP_RSCAN;
	s64 lo, hi;
	long n;

	span = 1 + h_below(&w->rng, (w->rng & 7) ? 64 : min(model.n / 4, (size_t)2048) + 1);
	span = min(span, model.n - 1);
	/* sometimes at an end of the universe, open to S64_MIN or S64_MAX */
	if ((w->rng & 0x300) == 0x100)
		a = 0;
	else if ((w->rng & 0x300) == 0x200 || a + span >= model.n)
		a = model.n - 1 - span;
	lo = a == 0 && (w->rng & 0x400) ? S64_MIN : model.keys[a];
	hi = a + span == model.n - 1 && (w->rng & 0x800) ? S64_MAX : model.keys[a + span];
	/* sometimes a bound between two universe keys */
	if (!(w->rng & 0x30) && lo < hi && lo != S64_MIN)
		lo++;
	if (op == OP_SCANFN) {
		struct fn_state st = { .cap = model.n };
		int ret;

		st.p = malloc(st.cap * sizeof(*st.p));
		ret = bwtree_scan(tree, lo, hi, (w->rng & 1) ? BWTREE_SCAN_REVERSE : 0,
				  collect_fn, &st);
		if (ret)
			H_FAIL("thread %d: bwtree_scan returned %d", w->id, ret);
		else
			check_scan(w, lo, hi, w->rng & 1, st.p, st.n);
		free(st.p);
		return;
	}
	n = h_scan_all(tree, lo, hi, rev ? BWTREE_SCAN_REVERSE : 0,
		       1 + h_below(&w->rng, 40), &p);
	if (n < 0) {
		H_FAIL("thread %d: scan_batch failed: %ld", w->id, n);
		return;
	}
	check_scan(w, lo, hi, rev, p, n);
	free(p);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	long i;

	while (!__atomic_load_n(&start_flag, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < cfg.ops && __atomic_load_n(&h_failures, __ATOMIC_RELAXED) < 20; i++) {
		/* phases of 20000 operations: grow, then shrink */
		bool grow = (i / 20000) % 2 == 0;
		u64 r = h_below(&w->rng, 100);
		int op;
		size_t k;
		s64 key;
		u64 v;
		bool replaced;
		int ret;

		if (r < (grow ? 35 : 15))
			op = OP_INSERT;
		else if (r < (grow ? 50 : 25))
			op = OP_UPSERT;
		else if (r < 65)
			op = OP_DELETE;
		else if (r < 90)
			op = OP_LOOKUP;
		else if (r < 95)
			op = OP_SCAN;
		else if (r < 99)
			op = OP_RSCAN;
		else
			op = OP_SCANFN;
		w->ops[op]++;
		k = own_index(w);
		key = model.keys[k];
		switch (op) {
		case OP_INSERT:
			v = h_value(key, ++w->version);
			ret = bwtree_insert(tree, key, v);
			if (model.present[k]) {
				H_CHECK(ret == -EEXIST, "insert %lld (present): %d", key, ret);
			} else if (H_CHECK(ret == 0, "insert %lld: %d", key, ret)) {
				model.vals[k] = v;
				model.present[k] = 1;
			}
			break;
		case OP_UPSERT:
			v = h_value(key, ++w->version);
			replaced = !model.present[k];
			ret = bwtree_upsert(tree, key, v, &replaced);
			if (H_CHECK(ret == 0, "upsert %lld: %d", key, ret)) {
				H_CHECK(replaced == model.present[k],
					"upsert %lld: replaced %d, shadow %d", key,
					replaced, model.present[k]);
				model.vals[k] = v;
				model.present[k] = 1;
			}
			break;
		case OP_DELETE:
			v = 0;
			ret = bwtree_delete(tree, key, &v);
			if (!model.present[k]) {
				H_CHECK(ret == -ENOENT, "delete %lld (absent): %d", key, ret);
			} else if (H_CHECK(ret == 0, "delete %lld: %d", key, ret)) {
				H_CHECK(v == model.vals[k], "delete %lld: old %llx, shadow %llx",
					key, v, model.vals[k]);
				model.present[k] = 0;
			}
			break;
		case OP_LOOKUP:
			if (w->rng & 1) {	/* own key: exact */
				v = 0;
				ret = bwtree_lookup(tree, key, &v);
				if (model.present[k])
					H_CHECK(ret == 0 && v == model.vals[k],
						"lookup %lld: %d %llx, shadow %llx", key, ret,
						v, model.vals[k]);
				else
					H_CHECK(ret == -ENOENT, "lookup %lld (absent): %d",
						key, ret);
			} else {		/* any key: its value is its own */
				size_t a = h_below(&w->rng, model.n);

				key = model.keys[a];
				ret = bwtree_lookup(tree, key, &v);
				if (ret == 0) {
					w->found_foreign++;
					H_CHECK(h_value_ok(key, v), "lookup %lld: value %llx",
						key, v);
				} else {
					H_CHECK(ret == -ENOENT, "lookup %lld: %d", key, ret);
				}
				/* a key that is in no universe is never found */
				ret = bwtree_lookup(tree, key ^ 0x5555555555555555LL, &v);
				if (ret == 0)
					H_CHECK(h_model_find(&model,
							     key ^ 0x5555555555555555LL) >= 0,
						"lookup of a never-inserted key found %llx", v);
			}
			break;
		default:
			do_scan(w, op);
			break;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker *w;
	struct bwtree_stats st;
	double t0;
	long live;
	int c, i, ret;

	while ((c = getopt(argc, argv, "t:n:k:l:i:c:s:N:")) != -1) {
		switch (c) {
		case 't':
			cfg.threads = atoi(optarg);
			break;
		case 'n':
			cfg.ops = atol(optarg);
			break;
		case 'k':
			cfg.keys = strtoul(optarg, NULL, 0);
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
			fprintf(stderr, "usage: see the comment at the top of stress.c\n");
			return 64;
		}
	}
	h_diag("%s: %d threads x %ld ops, %zu keys, seed %llu",
	       cfg.name, cfg.threads, cfg.ops, cfg.keys, (unsigned long long)cfg.seed);
	h_diag("%s: leaf_max %u inner_max %u chain_max %u",
	       cfg.name, cfg.params.leaf_max, cfg.params.inner_max, cfg.params.chain_max);
	ret = bwtree_init();
	if (ret) {
		h_ok(false, "%s: bwtree_init: %d", cfg.name, ret);
		return 1;
	}
	h_model_init(&model, cfg.keys, cfg.seed);
	tree = bwtree_create(&cfg.params);
	if (IS_ERR(tree)) {
		h_ok(false, "%s: bwtree_create: %ld", cfg.name, PTR_ERR(tree));
		return 1;
	}
	w = calloc(cfg.threads, sizeof(*w));
	for (i = 0; i < cfg.threads; i++) {
		w[i].id = i;
		w[i].rng = cfg.seed * 1000003 + i;
		if (pthread_create(&w[i].thread, NULL, worker_fn, &w[i]))
			abort();
	}
	t0 = h_now();
	__atomic_store_n(&start_flag, 1, __ATOMIC_RELEASE);
	for (i = 0; i < cfg.threads; i++)
		pthread_join(w[i].thread, NULL);
	h_diag("%s: ran in %.1f s", cfg.name, h_now() - t0);
	for (c = 0; c < OP_NR; c++) {
		long n = 0;

		for (i = 0; i < cfg.threads; i++)
			n += w[i].ops[c];
		h_diag("  %-7s %ld", op_names[c], n);
	}
	bwtree_get_stats(tree, &st);
	h_diag("  stats: count %llu height %llu pages %llu splits %llu merges %llu",
	       st.count, st.height, st.pages, st.splits, st.merges);
	h_diag("  stats: consolidations %llu cas_failures %llu retries %llu longest_chain %llu",
	       st.consolidations, st.cas_failures, st.retries, st.longest_chain);
	h_ok(h_failures == 0, "%s: every result matched the shadows while running", cfg.name);

	ret = h_failures;
	h_tree_matches(tree, &model, 0, cfg.name);
	h_ok(h_failures == ret, "%s: tree == union of shadows (scans, count, validate)",
	     cfg.name);
	if (cfg.params.leaf_max && cfg.params.leaf_max <= 8)
		h_ok(st.splits > 0 && st.merges > 0 && st.consolidations > 0,
		     "%s: splits, merges and consolidations all happened", cfg.name);

	bwtree_destroy(tree);
	rcu_barrier();
	live = bwt_live_objects();
	if (live)
		bwt_report_live();
	h_ok(live == 0, "%s: no live objects after destroy + rcu_barrier (%ld)",
	     cfg.name, live);
	bwtree_exit();
	h_check_complaints(cfg.name);
	h_model_free(&model);
	free(w);
	return h_exit_status();
}
