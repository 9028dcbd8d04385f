// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic single-threaded model test: millions of operations, each
 * checked against the model (return value, old value, replaced flag), with
 * exact range scans in both directions and, every few thousand operations,
 * a whole-tree comparison and bwtree_validate().
 *
 * Operation streams: random mixes in growing and shrinking phases, ascending
 * and descending runs (splits at the right edge, merges from the left),
 * and bursts on one small key range (long delta chains on one leaf).
 *
 * Usage: model [-n ops per configuration] [-s seed]
 */
#include "harness.h"
#include <getopt.h>

struct config {
	struct bwtree_params p;
	size_t keys;
	bool dense;		/* consecutive keys: off-by-one bounds show */
};

static const struct config configs[] = {
	{ { .leaf_max = 4, .inner_max = 4, .chain_max = 1 }, 3000 },
	{ { .leaf_max = 5, .inner_max = 7, .chain_max = 3 }, 20000 },
	{ { .leaf_max = 16, .inner_max = 8, .chain_max = 8 }, 100000 },
	{ { 0 }, 200000 },			/* the defaults */
	{ { .leaf_max = 512, .inner_max = 512, .chain_max = 64 }, 200000 },
	/* leaves larger than a scan's folded piece, short chains */
	{ { .leaf_max = 96, .inner_max = 8, .chain_max = 6 }, 20000, true },
};

static u64 rng;
static long nops = 600000;

static void check_range(struct bwtree *tree, const struct h_model *m, s64 lo,
			s64 hi, bool rev, unsigned int batch)
{
	struct bwtree_pair *p;
	size_t a = h_model_lower(m, lo), b = h_model_lower(m, hi), i, k = 0;
	long n;

	if (b < m->n && m->keys[b] == hi)
		b++;
	n = h_scan_all(tree, lo, hi, rev ? BWTREE_SCAN_REVERSE : 0, batch, &p);
	if (n < 0) {
		H_FAIL("scan [%lld, %lld]: %ld", lo, hi, n);
		return;
	}
	for (i = 0; i < b - a; i++) {
		size_t j = rev ? b - 1 - i : a + i;

		if (!m->present[j])
			continue;
		if (k >= (size_t)n || p[k].key != m->keys[j] || p[k].value != m->vals[j]) {
			H_FAIL("scan [%lld, %lld]%s: pair %zu is %lld, model %lld", lo, hi,
			       rev ? " reverse" : "", k, k < (size_t)n ? p[k].key : 0,
			       m->keys[j]);
			free(p);
			return;
		}
		k++;
	}
	H_CHECK(k == (size_t)n, "scan [%lld, %lld]: %ld pairs, model %zu", lo, hi, n, k);
	free(p);
}

static void one_op(struct bwtree *tree, struct h_model *m, size_t k, int op, u32 ver)
{
	s64 key = m->keys[k];
	bool replaced;
	u64 v;
	int ret;

	switch (op) {
	case 0:		/* insert */
		v = h_value(key, ver);
		ret = bwtree_insert(tree, key, v);
		if (m->present[k]) {
			H_CHECK(ret == -EEXIST, "insert %lld: %d", key, ret);
		} else if (H_CHECK(ret == 0, "insert %lld: %d", key, ret)) {
			m->present[k] = 1;
			m->vals[k] = v;
		}
		break;
	case 1:		/* upsert */
		v = h_value(key, ver);
		ret = bwtree_upsert(tree, key, v, &replaced);
		if (H_CHECK(ret == 0, "upsert %lld: %d", key, ret)) {
			H_CHECK(replaced == m->present[k], "upsert %lld: replaced %d",
				key, replaced);
			m->present[k] = 1;
			m->vals[k] = v;
		}
		break;
	case 2:		/* delete */
		ret = bwtree_delete(tree, key, &v);
		if (!m->present[k])
			H_CHECK(ret == -ENOENT, "delete %lld: %d", key, ret);
		else if (H_CHECK(ret == 0 && v == m->vals[k], "delete %lld: %d", key, ret))
			m->present[k] = 0;
		break;
	default:	/* lookup */
		ret = bwtree_lookup(tree, key, &v);
		if (m->present[k])
			H_CHECK(ret == 0 && v == m->vals[k], "lookup %lld: %d", key, ret);
		else
			H_CHECK(ret == -ENOENT, "lookup %lld: %d", key, ret);
		break;
	}
}

static void run_config(const struct config *c, int ci)
{
	struct h_model m;
	struct bwtree *tree;
	struct bwtree_stats st;
	int before = h_failures;
	long i, checks = 0;
	u32 ver = 0;
	double t0 = h_now();

	if (c->dense)
		h_model_init_seq(&m, c->keys, -(s64)c->keys / 2, 1);
	else
		h_model_init(&m, c->keys, rng + ci);
	tree = bwtree_create(&c->p);
	if (IS_ERR(tree)) {
		h_ok(false, "model config %d: bwtree_create: %ld", ci, PTR_ERR(tree));
		return;
	}
	for (i = 0; i < nops && h_failures == before; ) {
		long phase = i / 50000, len, j;
		int kind = h_below(&rng, 10);
		size_t k = h_below(&rng, m.n);

		if (kind < 6) {			/* random mix, 2000 ops */
			bool grow = phase % 2 == 0;

			for (j = 0; j < 2000; j++, i++) {
				u64 r = h_below(&rng, 100);
				int op = r < (grow ? 40 : 15) ? 0 : r < (grow ? 55 : 25) ? 1 :
					 r < 75 ? 2 : 3;

				one_op(tree, &m, h_below(&rng, m.n), op, ++ver);
			}
		} else if (kind < 8) {		/* a run up or down */
			int op = h_below(&rng, 3);
			bool down = rng & 1;

			len = 1 + h_below(&rng, 1000);
			for (j = 0; j < len; j++, i++) {
				size_t kk = down ? (k + m.n - j % m.n) % m.n : (k + j) % m.n;

				one_op(tree, &m, kk, op, ++ver);
			}
		} else if (kind < 9) {		/* a burst on 16 keys */
			for (j = 0; j < 500; j++, i++)
				one_op(tree, &m, min(k + h_below(&rng, 16), m.n - 1),
				       h_below(&rng, 4), ++ver);
		} else {			/* scans */
			for (j = 0; j < 8; j++, i++) {
				size_t a = h_below(&rng, m.n);
				size_t b = min(a + h_below(&rng, 300), m.n - 1);

				check_range(tree, &m,
					    m.keys[a] + (rng & 1 && m.keys[a] < m.keys[b]),
					    m.keys[b], rng & 2, 1 + h_below(&rng, 70));
			}
		}
		if (i / 100000 != checks) {
			checks = i / 100000;
			h_tree_matches(tree, &m, 0, "model");
		}
	}
	h_tree_matches(tree, &m, 0, "model (end)");
	bwtree_get_stats(tree, &st);
	h_diag("config %d (leaf %u inner %u chain %u, %zu keys): %ld ops in %.1f s",
	       ci, c->p.leaf_max, c->p.inner_max, c->p.chain_max, c->keys, i,
	       h_now() - t0);
	h_diag("config %d: count %llu height %llu splits %llu merges %llu consolidations %llu",
	       ci, st.count, st.height, st.splits, st.merges, st.consolidations);
	/* empty it completely: the root must collapse back to one leaf */
	for (i = 0; i < (long)m.n; i++)
		if (m.present[i])
			one_op(tree, &m, i, 2, 0);
	bwtree_get_stats(tree, &st);
	h_tree_matches(tree, &m, 7, "model (emptied)");
	H_CHECK(st.count == 0 && st.height == 1, "emptied: count %llu height %llu pages %llu",
		st.count, st.height, st.pages);
	bwtree_destroy(tree);
	rcu_barrier();
	H_CHECK(bwt_live_objects() == 0, "live objects after destroy: %ld", bwt_live_objects());
	h_ok(h_failures == before,
	     "model: config %d (leaf_max %u inner_max %u chain_max %u): %ld ops agree with the model",
	     ci, c->p.leaf_max, c->p.inner_max, c->p.chain_max, nops);
	h_model_free(&m);
}

int main(int argc, char **argv)
{
	int c, ret;
	size_t i;

	rng = 42;
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		if (c == 'n')
			nops = atol(optarg);
		else if (c == 's')
			rng = strtoull(optarg, NULL, 0);
		else
			return 64;
	}
	ret = bwtree_init();
	if (ret) {
		h_ok(false, "bwtree_init: %d", ret);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(configs); i++)
		run_config(&configs[i], i);
	bwtree_exit();
	h_check_complaints("model");
	return h_exit_status();
}
