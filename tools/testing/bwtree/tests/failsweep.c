// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure sweep, as tools/testing/selftests/iommu/iommufd_fail_nth.c
 * does in the kernel: for each operation of a scripted sequence, rebuild the
 * tree up to it, then make its 1st, 2nd, 3rd, ... allocation fail until it
 * runs without reaching the failure.  Each failed call must return -ENOMEM
 * and leave the tree exactly as it was (both scans, bwtree_scan(), count,
 * validate); the same call then retried must succeed; and after the tree is
 * destroyed and an RCU barrier passed, no object may be live.  A delete may
 * also succeed despite the failure: the merge after it is best effort.  So
 * may any call whose failed allocation was a GFP_NOWAIT one inside its read
 * section: the call restarts and allocates with GFP_KERNEL (op.c); its
 * result and the tree must then be exactly what the call without a failure
 * gives.
 *
 * The sequences use tiny nodes so that, between them, inserts split leaves
 * and inner nodes at every level and grow the root, deletes merge at every
 * level and collapse the root, and chains are consolidated; each scenario
 * checks that what it claims to cover did happen.
 */
#include "harness.h"

enum op { INSERT, UPSERT, DELETE, SCAN, RSCAN, SCANFN };

struct step {
	enum op op;
	size_t k;		/* universe index */
	size_t k2;		/* scans: upper bound index */
	unsigned int batch;
};

struct scenario {
	const char *name;
	struct bwtree_params p;
	size_t keys;		/* universe */
	size_t prefix;		/* steps replayed but not swept */
	size_t nsteps;
	struct step *steps;
	/* coverage demanded */
	bool need_split, need_root_split, need_merge, need_collapse, need_consolidate;
};

static struct h_model m;
static u64 rng = 7;

struct cover {
	long ops, injected, absorbed, nowait, max_allocs;
	long split_ops, inner_split_ops, root_splits, merge_ops, collapses, consolidate_ops;
};

static int scan_fn(void *arg, s64 key, u64 value)
{
	long *n = arg;

	(*n)++;
	return 0;
}

/* Run one step; returns its error (or pair count for scans). */
static int do_step(struct bwtree *tree, const struct step *s, bool *replaced, u64 *old)
{
	s64 key = m.keys[s->k];
	struct bwtree_pair pairs[64];
	bool done;
	s64 next;
	long n = 0;
	int ret;

	switch (s->op) {
	case INSERT:
		return bwtree_insert(tree, key, h_value(key, (u32)s->k));
	case UPSERT:
		return bwtree_upsert(tree, key, h_value(key, (u32)s->k + 1), replaced);
	case DELETE:
		return bwtree_delete(tree, key, old);
	case SCAN:
	case RSCAN:
		return bwtree_scan_batch(tree, key, m.keys[s->k2],
					 s->op == RSCAN ? BWTREE_SCAN_REVERSE : 0,
					 pairs, s->batch, &next, &done);
	case SCANFN:
		ret = bwtree_scan(tree, key, m.keys[s->k2], 0, scan_fn, &n);
		return ret ? ret : (int)n;
	}
	return -EINVAL;
}

/* Apply a successful step to the model and check its results. */
static void apply(const struct step *s, int ret, bool replaced, u64 old)
{
	size_t k = s->k;
	s64 key = m.keys[k];

	switch (s->op) {
	case INSERT:
		if (m.present[k]) {
			H_CHECK(ret == -EEXIST, "insert %lld: %d", key, ret);
			break;
		}
		if (H_CHECK(ret == 0, "insert %lld: %d", key, ret)) {
			m.present[k] = 1;
			m.vals[k] = h_value(key, (u32)k);
		}
		break;
	case UPSERT:
		if (H_CHECK(ret == 0, "upsert %lld: %d", key, ret)) {
			H_CHECK(replaced == m.present[k], "upsert %lld: replaced %d",
				key, replaced);
			m.present[k] = 1;
			m.vals[k] = h_value(key, (u32)k + 1);
		}
		break;
	case DELETE:
		if (!m.present[k]) {
			H_CHECK(ret == -ENOENT, "delete %lld: %d", key, ret);
			break;
		}
		if (H_CHECK(ret == 0 && old == m.vals[k], "delete %lld: %d", key, ret))
			m.present[k] = 0;
		break;
	default: {
		size_t a = s->k, b = s->k2, i, n = 0;

		for (i = a; i <= b; i++)
			n += m.present[i];
		if (s->op != SCANFN && n > s->batch)
			n = s->batch;
		H_CHECK(ret == (int)n, "scan %zu..%zu: %d pairs, model %zu", a, b, ret, n);
		break;
	}
	}
}

static struct bwtree *rebuild(struct scenario *sc, size_t until)
{
	struct bwtree *tree = bwtree_create(&sc->p);
	bool replaced;
	u64 old;
	size_t i;

	if (IS_ERR(tree)) {
		H_FAIL("bwtree_create: %ld", PTR_ERR(tree));
		return NULL;
	}
	memset(m.present, 0, m.n);
	for (i = 0; i < until; i++) {
		int ret = do_step(tree, &sc->steps[i], &replaced, &old);

		apply(&sc->steps[i], ret, replaced, old);
	}
	return tree;
}

static void sweep_step(struct scenario *sc, size_t si, struct cover *cv)
{
	const struct step *s = &sc->steps[si];
	struct bwtree_stats st0, st1;
	unsigned long nth;
	bool replaced;
	u64 old;
	int ret;

	for (nth = 1; ; nth++) {
		struct bwtree *tree = rebuild(sc, si);
		unsigned long fired, nowait;

		if (!tree)
			return;
		bwtree_get_stats(tree, &st0);
		bwt_fail_nth(nth);
		ret = do_step(tree, s, &replaced, &old);
		fired = bwt_fail_fired();
		nowait = bwt_fail_nowait();
		bwt_fail_nth(0);
		if (!fired) {
			/* ran to the end: every allocation point was tried */
			apply(s, ret, replaced, old);
			h_tree_matches(tree, &m, 0, "after the op");
			bwtree_get_stats(tree, &st1);
			cv->ops++;
			cv->max_allocs = max(cv->max_allocs, (long)nth - 1);
			cv->split_ops += st1.splits > st0.splits;
			cv->inner_split_ops += st1.splits > st0.splits + 1 ||
					       (st1.splits > st0.splits && st1.height > st0.height);
			cv->root_splits += st1.height > st0.height;
			cv->merge_ops += st1.merges > st0.merges;
			cv->collapses += st1.height < st0.height;
			cv->consolidate_ops += st1.consolidations > st0.consolidations;
		} else if (ret == -ENOMEM) {
			cv->injected++;
			if (!h_tree_matches(tree, &m, 0, "after -ENOMEM"))
				H_FAIL("%s: step %zu (op %d, key %lld): alloc %lu changed the tree",
				       sc->name, si, s->op, m.keys[s->k], nth);
			ret = do_step(tree, s, &replaced, &old);
			apply(s, ret, replaced, old);
			if (!h_tree_matches(tree, &m, 0, "after the retry"))
				H_FAIL("%s: step %zu: retry after failing allocation %lu is wrong",
				       sc->name, si, nth);
		} else if (nowait == fired && ret != -ENOMEM) {
			/* a GFP_NOWAIT failure costs a restart, nothing else */
			cv->nowait++;
			apply(s, ret, replaced, old);
			if (!h_tree_matches(tree, &m, 0, "after a GFP_NOWAIT failure"))
				H_FAIL("%s: step %zu: wrong after GFP_NOWAIT allocation %lu failed",
				       sc->name, si, nth);
		} else if (s->op == DELETE && ret == 0) {
			/* the delete is done; the merge after it gave up */
			cv->absorbed++;
			apply(s, ret, replaced, old);
			h_tree_matches(tree, &m, 0, "delete with a failed merge");
		} else {
			H_FAIL("%s: step %zu (op %d, key %lld): alloc %lu failed, call returned %d",
			       sc->name, si, s->op, m.keys[s->k], nth, ret);
		}
		bwtree_destroy(tree);
		rcu_barrier();
		if (bwt_live_objects()) {
			H_FAIL("%s: step %zu, failing allocation %lu: %ld objects leaked",
			       sc->name, si, nth, bwt_live_objects());
			bwt_report_live();
			return;
		}
		if (!fired || h_failures > 10)
			return;
		if (nth > 10000) {
			H_FAIL("%s: step %zu: more than 10000 allocations", sc->name, si);
			return;
		}
	}
}

static void run(struct scenario *sc)
{
	struct cover cv = { 0 };
	int before = h_failures;
	double t0 = h_now();
	size_t i;

	h_model_init(&m, sc->keys, 99);
	for (i = sc->prefix; i < sc->nsteps && h_failures == before; i++)
		sweep_step(sc, i, &cv);
	h_diag("%s: %ld ops swept in %.1f s: %ld failures injected, %ld absorbed,",
	       sc->name, cv.ops, h_now() - t0, cv.injected, cv.absorbed);
	h_diag("%s: %ld GFP_NOWAIT failures cost a restart only", sc->name, cv.nowait);
	h_diag("%s: up to %ld allocations per op", sc->name, cv.max_allocs);
	h_diag("%s: ops that split %ld (inner too %ld, root %ld), merged %ld,",
	       sc->name, cv.split_ops, cv.inner_split_ops, cv.root_splits, cv.merge_ops);
	h_diag("%s: collapsed the root %ld, consolidated %ld",
	       sc->name, cv.collapses, cv.consolidate_ops);
	h_ok(h_failures == before,
	     "failsweep %s: every failed call returned -ENOMEM, changed nothing, retried fine, leaked nothing",
	     sc->name);
	h_ok((!sc->need_split || cv.inner_split_ops) &&
	     (!sc->need_root_split || cv.root_splits) &&
	     (!sc->need_merge || cv.merge_ops) &&
	     (!sc->need_collapse || cv.collapses) &&
	     (!sc->need_consolidate || cv.consolidate_ops) && cv.injected,
	     "failsweep %s: covered what it claims (splits at inner levels, root split, merges, collapse, consolidation)",
	     sc->name);
	h_model_free(&m);
}

static struct step *perm_steps(size_t n, enum op op, size_t *out_n, struct step *prefix,
			       size_t np)
{
	struct step *s = calloc(np + n, sizeof(*s));
	size_t i;

	if (np)
		memcpy(s, prefix, np * sizeof(*s));
	for (i = 0; i < n; i++) {
		s[np + i].op = op;
		s[np + i].k = i;
	}
	for (i = n - 1; i > 0; i--) {
		size_t j = h_below(&rng, i + 1);
		size_t t = s[np + i].k;

		s[np + i].k = s[np + j].k;
		s[np + j].k = t;
	}
	*out_n = np + n;
	return s;
}

static void sweep_init_and_create(void)
{
	struct bwtree_params p = { .leaf_max = 4 };
	unsigned long nth, fired;
	struct bwtree *tree;
	int before = h_failures, ret;

	for (nth = 1; ; nth++) {
		bwt_fail_nth(nth);
		ret = bwtree_init();
		fired = bwt_fail_fired();
		bwt_fail_nth(0);
		if (!fired) {
			H_CHECK(ret == 0, "bwtree_init: %d", ret);
			break;
		}
		H_CHECK(ret == -ENOMEM, "bwtree_init, allocation %lu failed: %d", nth, ret);
		if (!ret)
			bwtree_exit();
		H_CHECK(bwt_complaints() == 0, "bwtree_init error path complained");
	}
	h_diag("bwtree_init: %lu allocations", nth - 1);
	for (nth = 1; ; nth++) {
		bwt_fail_nth(nth);
		tree = bwtree_create(&p);
		fired = bwt_fail_fired();
		bwt_fail_nth(0);
		if (!fired) {
			H_CHECK(!IS_ERR(tree), "bwtree_create: %ld", PTR_ERR(tree));
			if (!IS_ERR(tree))
				bwtree_destroy(tree);
			break;
		}
		H_CHECK(tree == ERR_PTR(-ENOMEM), "bwtree_create, allocation %lu failed: %p",
			nth, tree);
		if (!IS_ERR(tree))
			bwtree_destroy(tree);
		rcu_barrier();
		H_CHECK(bwt_live_objects() == 0, "bwtree_create leaked %ld", bwt_live_objects());
	}
	h_diag("bwtree_create: %lu allocations", nth - 1);
	h_ok(h_failures == before, "failsweep init and create: -ENOMEM, nothing left behind");
}

int main(void)
{
	struct bwtree_params tiny = { .leaf_max = 4, .inner_max = 4, .chain_max = 2 };
	struct step *pre, *s;
	struct scenario sc;
	size_t n, np, i;

	bwt_loglevel = 3;
	sweep_init_and_create();

	/* inserts in random order, from an empty tree: every kind of split */
	memset(&sc, 0, sizeof(sc));
	sc.name = "insert";
	sc.p = tiny;
	sc.keys = 200;
	sc.steps = perm_steps(200, INSERT, &sc.nsteps, NULL, 0);
	sc.need_split = true;
	sc.need_root_split = true;
	sc.need_consolidate = true;
	run(&sc);

	/* inserts in ascending order: splits at the right edge */
	sc.name = "insert-ascending";
	sc.p.chain_max = 3;
	for (i = 0; i < sc.nsteps; i++)
		sc.steps[i].k = i;
	run(&sc);
	free(sc.steps);

	/* deletes in random order down to empty: merges and collapses */
	pre = perm_steps(200, INSERT, &np, NULL, 0);
	memset(&sc, 0, sizeof(sc));
	sc.name = "delete";
	sc.p = tiny;
	sc.keys = 200;
	sc.steps = perm_steps(200, DELETE, &sc.nsteps, pre, np);
	sc.prefix = np;
	sc.need_merge = true;
	sc.need_collapse = true;
	sc.need_consolidate = true;
	run(&sc);
	free(sc.steps);

	/* upserts of present and absent keys, with deletes between */
	memset(&sc, 0, sizeof(sc));
	sc.name = "upsert";
	sc.p = tiny;
	sc.p.chain_max = 4;
	sc.keys = 400;
	s = perm_steps(200, INSERT, &n, NULL, 0);
	for (i = 0; i < n; i++)
		s[i].k *= 2;		/* even keys present */
	sc.prefix = n;
	sc.steps = perm_steps(400, UPSERT, &sc.nsteps, s, n);
	for (i = sc.prefix; i < sc.nsteps; i += 7)
		sc.steps[i].op = DELETE;
	sc.need_split = true;
	sc.need_consolidate = true;
	run(&sc);
	free(sc.steps);
	free(s);

	/* scans over chains (consolidation held off) and over base nodes */
	memset(&sc, 0, sizeof(sc));
	sc.name = "scan";
	sc.p = (struct bwtree_params){ .leaf_max = 16, .inner_max = 4, .chain_max = 12 };
	sc.keys = 400;
	s = perm_steps(400, INSERT, &n, NULL, 0);
	sc.steps = calloc(n + 100 + 60, sizeof(*sc.steps));
	memcpy(sc.steps, s, n * sizeof(*s));
	for (i = 0; i < 100; i++) {
		sc.steps[n + i].op = DELETE;
		sc.steps[n + i].k = h_below(&rng, 400);
	}
	sc.prefix = n + 100;
	for (i = 0; i < 60; i++) {
		struct step *st = &sc.steps[sc.prefix + i];

		st->op = i % 3 == 0 ? SCAN : i % 3 == 1 ? RSCAN : SCANFN;
		st->k = h_below(&rng, 300);
		st->k2 = st->k + h_below(&rng, 100);
		st->batch = 1 + h_below(&rng, 64);
	}
	sc.nsteps = sc.prefix + 60;
	run(&sc);
	free(sc.steps);
	free(s);
	free(pre);

	bwtree_exit();
	h_check_complaints("failsweep");
	return h_exit_status();
}
