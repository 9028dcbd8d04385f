// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic interleavings of the structure modifications (issue 11).
 *
 * Each scenario builds a small tree by hand (base nodes straight into the
 * mapping table), then runs the core's own functions in threads that park
 * at named pause points (bwt_pause_point() in the core, see <bwt/runtime.h>)
 * inside their RCU read sections, and releases them one step at a time in
 * the order the scenario wants.  A step that the code under test no longer
 * reaches (a fixed protocol takes another path) is noted and skipped: what
 * is asserted is the end state.  The tree must validate, every key must be
 * found with its value by a lookup that returns (a watchdog catches one
 * that restarts forever), no key may be routed to a freed page ID, and no
 * WARN may have fired.
 *
 *   merge-abort  a merger delayed before its freeze, a second merge that
 *		  aborts after a parent split and merge-back while a helper
 *		  has posted INDEX_DEL, and a writer posting a stale INDEX:
 *		  the parent ends up routing to a retired page ID.
 *   abort-stale  two mergers with one view; the first aborts after the
 *		  parent split at the node's low key; the second's freeze,
 *		  prepared before, must fail (no old pointer comes back).
 *   stale-helper a helper that read a merge PENDING resumes after it
 *		  aborted and a new merge of the node removed its entry: it
 *		  must stand down, not WARN.
 *   fence	  a split of the parent at the node's low key, prepared
 *		  before the node was frozen, lands after its merge
 *		  committed: it must fail, or the merge can never finish.
 *   collapse	  the root collapse's copy is installed and the new root
 *		  splits before the state says COMMITTED; a writer helping
 *		  the frozen child must not WARN.
 *   reader-bound a lookup routed below its key restarts instead of
 *		  answering -ENOENT; readers routed to a freed page ID leave
 *		  their read section every few restarts, so a grace period
 *		  ends (synchronize_rcu() returns) while they retry.
 *   update-ready an in-place update that announced its value but has not
 *		  stored it yet when a consolidation copies the leaf: the
 *		  copy must hold the new value (the copier stores it).
 *   update-claimed an in-place update that claimed the leaf but has not
 *		  announced its value when a consolidation freezes it: the
 *		  copy lacks the value, so the update must go on into the
 *		  new leaf (a delta, or in place there after a restart).
 *   batch-split  a batched lookup parked after each of its rounds in turn
 *		  (batch_round: every lookup in flight holds a page ID, a
 *		  record, or the lines it is about to search) while the leaf
 *		  it descends to splits; resumed, it finds every key.
 *   batch-merge  the same while that leaf's right sibling merges into it
 *		  (the batch meets a committed REMOVE under a node it came to
 *		  from the parent, and hands those keys to single lookups).
 *   scan-left	  a descending scan stopped between two leaves while
 *		  the leaf to its left merges (or is frozen, then merges):
 *		  its descent to the key below must find every key once.
 *   committed-read a merge committed but its helper went no further (it
 *		  gives up, or is delayed): lookups, batched lookups and
 *		  scans of the frozen node's range, which come to it from
 *		  the parent, must answer from its frozen contents instead
 *		  of restarting until some writer finishes the merge.
 *
 * Usage: interleave [-v] [scenario...]   (default: all)
 */
#include "harness.h"
#include "internal.h"

#define STEP_SECS	2.0

static struct bwtree *tree;
static bool verbose;

struct actor {
	pthread_t thread;
	struct bwt_pause pause;
	const char *name;
	int (*job)(struct actor *a);
	u64 pid;		/* a page ID the job works on */
	int ret;
};

static void *actor_fn(void *arg)
{
	struct actor *a = arg;

	bwt_pause_attach(&a->pause);
	a->ret = a->job(a);
	bwt_pause_done(&a->pause);
	return NULL;
}

static void actor_start(struct actor *a, const char *name,
			int (*job)(struct actor *), const char *const *points)
{
	memset(&a->pause, 0, sizeof(a->pause));
	a->name = name;
	a->job = job;
	for (; *points; points++)
		bwt_pause_arm(&a->pause, *points);
	if (pthread_create(&a->thread, NULL, actor_fn, a))
		abort();
}

/* Wait for @a to park at @point; say what happened. */
static bool step_wait(struct actor *a, const char *point)
{
	bool parked = bwt_pause_wait(&a->pause, point, STEP_SECS);

	h_diag("  %s %s %s", a->name, parked ? "parked at" : "did not reach",
	       point);
	return parked;
}

static void step_release(struct actor *a)
{
	bwt_pause_release(&a->pause);
}

static bool actor_join(struct actor *a)
{
	if (!bwt_pause_wait_done(&a->pause, 3 * STEP_SECS)) {
		H_FAIL("%s never finished (parked at %s)", a->name,
		       a->pause.parked ? a->pause.parked : "-");
		return false;
	}
	pthread_join(a->thread, NULL);
	if (verbose)
		h_diag("  %s finished: %d", a->name, a->ret);
	return true;
}

/* ------------------------------------------------------------ building */

static struct bwt_rec *mk_node(unsigned int level, s64 low, s64 high,
			       bool hinf, u64 right, unsigned int n,
			       const s64 *keys, const u64 *vals)
{
	struct bwt_rec *b = bwt_base_alloc(tree, n ? n : 1, GFP_KERNEL);

	if (!b)
		abort();
	b->kind = level ? BWTREE_INNER : BWTREE_LEAF;
	b->level = level;
	b->hinf = hinf;
	b->count = n;
	b->low = low;
	b->high = high;
	b->right = right;
	memcpy(b->keys, keys, n * sizeof(s64));
	memcpy(bwt_vals(b), vals, n * sizeof(u64));
	bwt_base_seal(b);
	bwt_stat_inc(tree, records[b->kind]);
	return b;
}

static void set_slot(u64 pid, struct bwt_rec *rec)
{
	struct bwt_rec __rcu **slot = bwt_map_slot(&tree->map, pid);
	struct bwt_rec *old = rcu_dereference_protected(*slot, 1);

	if (old) {
		bwt_stat_dec(tree, records[old->kind]);
		bwt_rec_free_now(tree, old);
	}
	rcu_assign_pointer(*slot, rec);
}

static u64 new_pid(void)
{
	u64 pid;

	if (bwt_pid_alloc(tree, &pid, GFP_KERNEL))
		abort();
	return pid;
}

static struct bwt_rec *mk_leaf(s64 low, s64 high, bool hinf, u64 right,
			       unsigned int n, const s64 *keys)
{
	u64 vals[16];
	unsigned int i;

	for (i = 0; i < n; i++)
		vals[i] = h_value(keys[i], 1);
	bwt_count_add(tree, n);
	return mk_node(0, low, high, hinf, right, n, keys, vals);
}

/* ------------------------------------------------------------ running */

/*
 * Run @fn inside one read section with a writer's op stocked for any
 * structure modification; again after BWT_RESTART unless @once.
 */
static int smo_run(int (*fn)(struct bwt_op *op, void *arg), void *arg,
		   bool once)
{
	struct bwt_op op;
	int ret = BWT_RESTART, tries;

	bwt_op_init(&op, tree, true);
	bwt_op_plan(&op, &(struct bwt_need){
		.deltas = BWT_OP_DELTAS, .scratch = 64,
		.cap = { 16, 16, 16 }, .pid = { true, true } });
	for (tries = 0; tries < 50; tries++) {
		ret = bwt_op_refill(&op);
		if (ret)
			break;
		rcu_read_lock();
		ret = fn(&op, arg);
		rcu_read_unlock();
		if (ret != BWT_RESTART || once)
			break;
	}
	bwt_op_finish(&op);
	return ret;
}

static int fn_merge_leaf(struct bwt_op *op, void *arg)
{
	return bwt_try_merge(op, *(s64 *)arg, 0);
}

static int fn_merge_inner(struct bwt_op *op, void *arg)
{
	return bwt_try_merge(op, *(s64 *)arg, 1);
}

/* Split the level-1 node holding @arg if it has exactly two children. */
static int fn_split_parent(struct bwt_op *op, void *arg)
{
	struct bwt_pos pos;
	int ret;

	ret = bwt_descend(op, *(s64 *)arg, 1, &pos);
	if (ret)
		return ret;
	if (pos.top->count != 2 || pos.top->kind == BWTREE_REMOVE)
		return BWT_NOTHING;	/* no longer a split at the second child */
	return bwt_split(op, &pos, *(s64 *)arg);
}

static int fn_help(struct bwt_op *op, void *arg)
{
	u64 pid = *(u64 *)arg;
	struct bwt_rec *rd = bwt_read(tree, pid);

	if (!rd || rd->kind != BWTREE_REMOVE)
		return 0;
	return bwt_help_remove(op, pid, rd);
}

static int fn_descend_leaf(struct bwt_op *op, void *arg)
{
	struct bwt_pos pos;

	return bwt_descend(op, *(s64 *)arg, 0, &pos);
}

/* ------------------------------------------------------------ checking */

/*
 * Follow the routes to @key by hand, a bounded number of steps, and fail
 * if one leads to a page ID whose slot is empty (freed) or to a leaf that
 * does not hold the key.
 */
static void check_route(s64 key)
{
	struct bwt_rec *top;
	u64 pid = BWT_ROOT;
	int steps;

	rcu_read_lock();
	top = bwt_read(tree, pid);
	for (steps = 0; steps < 64; steps++) {
		if (!top) {
			H_FAIL("key %lld is routed to page ID %llu, which was freed",
			       key, pid);
			break;
		}
		if (top->kind == BWTREE_REMOVE)
			top = top->next;
		if (!bwt_below_high(top, key)) {
			pid = top->right;
			top = bwt_read(tree, pid);
			continue;
		}
		if (key < top->low) {
			H_FAIL("key %lld is routed to page ID %llu holding [%lld, ...)",
			       key, pid, top->low);
			break;
		}
		if (!top->level)
			break;
		pid = bwt_route_child(top, key);
		top = bwt_read(tree, pid);
	}
	rcu_read_unlock();
}

struct lookups {
	struct bwt_pause pause;	/* only its done flag */
	const s64 *keys;
	unsigned int n;
	unsigned int found;
};

static void *lookup_fn(void *arg)
{
	struct lookups *l = arg;
	unsigned int i;
	u64 v;

	for (i = 0; i < l->n; i++) {
		if (bwtree_lookup(tree, l->keys[i], &v) == 0 &&
		    v == h_value(l->keys[i], 1))
			l->found++;
		else
			H_FAIL("lookup of %lld: not found or wrong value",
			       l->keys[i]);
	}
	bwt_pause_done(&l->pause);
	return NULL;
}

/* The end state: validate, routes, lookups (with a watchdog), no WARN. */
static void check_end(const char *name, const s64 *keys, unsigned int n)
{
	struct lookups l = { .keys = keys, .n = n };
	pthread_t th;
	unsigned int i;
	int before = h_failures, ret;

	rcu_barrier();	/* retired page IDs are freed now */
	ret = bwtree_validate(tree);
	h_ok(ret == 0, "%s: bwtree_validate() (%d)", name, ret);
	before = h_failures;
	for (i = 0; i < n; i++)
		check_route(keys[i]);
	h_ok(h_failures == before, "%s: no key routed to a freed page ID",
	     name);
	before = h_failures;
	if (pthread_create(&th, NULL, lookup_fn, &l))
		abort();
	if (!bwt_pause_wait_done(&l.pause, 5.0)) {
		h_ok(false, "%s: every key found (a lookup restarts forever: %u of %u done)",
		     name, l.found, n);
		h_check_complaints(name);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(th, NULL);
	h_ok(h_failures == before && l.found == n, "%s: every key found (%u of %u)",
	     name, l.found, n);
	h_ok(bwt_complaints() == 0, "%s: no WARN or other complaint (%lu)", name,
	     bwt_complaints());
}

static void finish(const char *name)
{
	long live;

	bwtree_destroy(tree);
	rcu_barrier();
	live = bwt_live_objects();
	if (live)
		bwt_report_live();
	h_ok(live == 0, "%s: no live objects after destroy (%ld)", name, live);
	bwt_complaints_reset();
}

/* ------------------------------------------------------------ scenario 1 */

static s64 key_q = 2100;
static u64 pid_q;

static int job_merge(struct actor *a)
{
	return smo_run(fn_merge_leaf, &key_q, true);
}

static int job_help(struct actor *a)
{
	return smo_run(fn_help, &pid_q, true);
}

static int job_descend(struct actor *a)
{
	return smo_run(fn_descend_leaf, &key_q, true);
}

/*
 *   root (level 2): [MIN -> A, 1000 -> P]
 *   A: [MIN -> a0, 500 -> a1]       P: [1000 -> L, 2000 -> Q]
 *   a0 {10 20}  a1 {600 700}  L {1100 1200}  Q {2100}  (Q underfull)
 */
static void scenario_merge_abort(void)
{
	static const char *const m_pts[] = { "merge_freeze", NULL };
	static const char *const f_pts[] = { "merge_frozen", "rm_abort", NULL };
	static const char *const h_pts[] = { "rm_index_deleted", "rm_commit", NULL };
	static const char *const b_pts[] = { "post_index", NULL };
	static const s64 keys[] = { 10, 20, 600, 700, 1100, 1200, 2100 };
	struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	const char *name = "interleave-merge-abort";
	u64 pa, pa0, pa1, pp, pl;
	struct actor m, f, h2, b;
	s64 k1 = 2000;
	int ret;

	h_diag("%s: steps (issue 11, scenario 1)", name);
	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	pa = new_pid();
	pa0 = new_pid();
	pa1 = new_pid();
	pp = new_pid();
	pl = new_pid();
	pid_q = new_pid();
	set_slot(BWT_ROOT, mk_node(2, S64_MIN, 0, true, BWT_NIL, 2,
				   (s64[]){ S64_MIN, 1000 },
				   (u64[]){ pa, pp }));
	set_slot(pa, mk_node(1, S64_MIN, 1000, false, pp, 2,
			     (s64[]){ S64_MIN, 500 }, (u64[]){ pa0, pa1 }));
	set_slot(pp, mk_node(1, 1000, 0, true, BWT_NIL, 2,
			     (s64[]){ 1000, 2000 }, (u64[]){ pl, pid_q }));
	set_slot(pa0, mk_leaf(S64_MIN, 500, false, pa1, 2, (s64[]){ 10, 20 }));
	set_slot(pa1, mk_leaf(500, 1000, false, pl, 2, (s64[]){ 600, 700 }));
	set_slot(pl, mk_leaf(1000, 2000, false, pid_q, 2,
			     (s64[]){ 1100, 1200 }));
	set_slot(pid_q, mk_leaf(2000, 0, true, BWT_NIL, 1, (s64[]){ 2100 }));
	h_ok(bwtree_validate(tree) == 0, "%s: the built tree validates", name);

	/* 1. M reads P and Q's newest record V, stops before its freeze. */
	actor_start(&m, "M", job_merge, m_pts);
	step_wait(&m, "merge_freeze");
	/* 2. F freezes Q from the same view. */
	actor_start(&f, "F", job_merge, f_pts);
	step_wait(&f, "merge_frozen");
	/* 3. P splits at Q's low key: Q is the leftmost child of P'. */
	ret = smo_run(fn_split_parent, &k1, false);
	h_diag("  P split at 2000: %d", ret);
	/* F's helper decides to abort and stops before saying so. */
	step_release(&f);
	step_wait(&f, "rm_abort");
	/* 4. P' merges back into P: Q's entry is not leftmost again. */
	ret = smo_run(fn_merge_inner, &key_q, false);
	h_diag("  P' merged back into P: %d", ret);
	/* H2 helps Q's merge and stops before COMMITTED. */
	actor_start(&h2, "H2", job_help, h_pts);
	if (!step_wait(&h2, "rm_index_deleted"))
		step_wait(&h2, "rm_commit");
	/* 5. F's ABORTED wins and unfreezes Q. */
	step_release(&f);
	actor_join(&f);
	step_release(&h2);
	actor_join(&h2);
	/* 7a. B walks right from L into Q and builds INDEX(Q) for P. */
	actor_start(&b, "B", job_descend, b_pts);
	step_wait(&b, "post_index");
	/* 6. M resumes: its freeze of Q, then the merge. */
	step_release(&m);
	actor_join(&m);
	/* 7b. B installs its INDEX(Q) on P. */
	step_release(&b);
	actor_join(&b);

	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

/*
 * Same tree.  Two mergers read the same view and stop before their
 * freeze; P splits at Q's low key; the first freezes Q and aborts (Q is
 * now leftmost).  The second's freeze, prepared against Q's record before
 * the abort, must fail: the abort installs a fresh record.
 */
static void scenario_abort_stale(void)
{
	static const char *const m1_pts[] = { "merge_freeze", NULL };
	static const char *const m2_pts[] = { "merge_freeze", "merge_frozen", NULL };
	static const s64 keys[] = { 10, 20, 600, 700, 1100, 1200, 2100 };
	struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	const char *name = "interleave-abort-stale";
	u64 pa, pa0, pa1, pp, pl;
	struct actor m1, m2;
	struct bwt_rec *v;
	s64 k1 = 2000;
	int ret;

	h_diag("%s: steps", name);
	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	pa = new_pid();
	pa0 = new_pid();
	pa1 = new_pid();
	pp = new_pid();
	pl = new_pid();
	pid_q = new_pid();
	set_slot(BWT_ROOT, mk_node(2, S64_MIN, 0, true, BWT_NIL, 2,
				   (s64[]){ S64_MIN, 1000 },
				   (u64[]){ pa, pp }));
	set_slot(pa, mk_node(1, S64_MIN, 1000, false, pp, 2,
			     (s64[]){ S64_MIN, 500 }, (u64[]){ pa0, pa1 }));
	set_slot(pp, mk_node(1, 1000, 0, true, BWT_NIL, 2,
			     (s64[]){ 1000, 2000 }, (u64[]){ pl, pid_q }));
	set_slot(pa0, mk_leaf(S64_MIN, 500, false, pa1, 2, (s64[]){ 10, 20 }));
	set_slot(pa1, mk_leaf(500, 1000, false, pl, 2, (s64[]){ 600, 700 }));
	set_slot(pl, mk_leaf(1000, 2000, false, pid_q, 2,
			     (s64[]){ 1100, 1200 }));
	v = mk_leaf(2000, 0, true, BWT_NIL, 1, (s64[]){ 2100 });
	set_slot(pid_q, v);

	actor_start(&m1, "M1", job_merge, m1_pts);
	step_wait(&m1, "merge_freeze");
	actor_start(&m2, "M2", job_merge, m2_pts);
	step_wait(&m2, "merge_freeze");
	ret = smo_run(fn_split_parent, &k1, false);
	h_ok(ret == 0, "%s: P split at 2000, Q unfrozen (%d)", name, ret);
	step_release(&m1);
	actor_join(&m1);
	rcu_read_lock();
	h_ok(bwt_read(tree, pid_q) != v &&
	     bwt_read(tree, pid_q)->kind != BWTREE_REMOVE,
	     "%s: the abort left Q unfrozen in a fresh record", name);
	rcu_read_unlock();
	step_release(&m2);
	h_ok(!step_wait(&m2, "merge_frozen"),
	     "%s: a freeze prepared before the abort fails", name);
	step_release(&m2);
	actor_join(&m2);
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

/*
 * Same tree.  M freezes Q from a view older than P's split at Q's low key,
 * so its merge aborts; a helper H that read the merge PENDING before that
 * resumes only after P' merged back and a new merge of Q committed and
 * removed Q's entry.  H must see the abort and stand down, not WARN.
 */
static void scenario_stale_helper(void)
{
	static const char *const m_pts[] = { "merge_freeze", "merge_frozen", NULL };
	static const char *const h_pts[] = { "rm_decide", NULL };
	static const s64 keys[] = { 10, 20, 600, 700, 1100, 1200, 2100 };
	struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	const char *name = "interleave-stale-helper";
	u64 pa, pa0, pa1, pp, pl;
	struct actor m, h;
	s64 k1 = 2000;
	int ret;

	h_diag("%s: steps", name);
	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	pa = new_pid();
	pa0 = new_pid();
	pa1 = new_pid();
	pp = new_pid();
	pl = new_pid();
	pid_q = new_pid();
	set_slot(BWT_ROOT, mk_node(2, S64_MIN, 0, true, BWT_NIL, 2,
				   (s64[]){ S64_MIN, 1000 },
				   (u64[]){ pa, pp }));
	set_slot(pa, mk_node(1, S64_MIN, 1000, false, pp, 2,
			     (s64[]){ S64_MIN, 500 }, (u64[]){ pa0, pa1 }));
	set_slot(pp, mk_node(1, 1000, 0, true, BWT_NIL, 2,
			     (s64[]){ 1000, 2000 }, (u64[]){ pl, pid_q }));
	set_slot(pa0, mk_leaf(S64_MIN, 500, false, pa1, 2, (s64[]){ 10, 20 }));
	set_slot(pa1, mk_leaf(500, 1000, false, pl, 2, (s64[]){ 600, 700 }));
	set_slot(pl, mk_leaf(1000, 2000, false, pid_q, 2,
			     (s64[]){ 1100, 1200 }));
	set_slot(pid_q, mk_leaf(2000, 0, true, BWT_NIL, 1, (s64[]){ 2100 }));

	actor_start(&m, "M", job_merge, m_pts);
	step_wait(&m, "merge_freeze");
	ret = smo_run(fn_split_parent, &k1, false);
	h_diag("  P split at 2000: %d", ret);
	step_release(&m);
	step_wait(&m, "merge_frozen");
	actor_start(&h, "H", job_help, h_pts);
	step_wait(&h, "rm_decide");
	step_release(&m);
	actor_join(&m);
	ret = smo_run(fn_merge_inner, &key_q, false);
	h_diag("  P' merged back into P: %d", ret);
	ret = smo_run(fn_merge_leaf, &key_q, false);
	h_diag("  Q merged into L anew: %d", ret);
	step_release(&h);
	actor_join(&h);
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

static int job_upsert(struct actor *a)
{
	return bwtree_upsert(tree, key_q, h_value(key_q, 1), NULL);
}

static int job_split(struct actor *a)
{
	s64 k = 2000;

	return smo_run(fn_split_parent, &k, false);
}

/*
 * Same tree.  S is about to split P at Q's low key (it read Q unfrozen)
 * when F freezes Q and commits its merge.  S's split must not land: the
 * committed merge would find its entry the leftmost of P' and could never
 * finish (the fence before COMMITTED makes S's compare-and-swap fail).
 */
static void scenario_fence(void)
{
	static const char *const s_pts[] = { "split_cas", NULL };
	static const char *const f_pts[] = { "rm_committed", NULL };
	static const char *const w_pts[] = { NULL };
	static const s64 keys[] = { 10, 20, 600, 700, 1100, 1200, 2100 };
	struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	const char *name = "interleave-fence";
	u64 pa, pa0, pa1, pp, pl;
	struct actor s, f, w;

	h_diag("%s: steps", name);
	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	pa = new_pid();
	pa0 = new_pid();
	pa1 = new_pid();
	pp = new_pid();
	pl = new_pid();
	pid_q = new_pid();
	set_slot(BWT_ROOT, mk_node(2, S64_MIN, 0, true, BWT_NIL, 2,
				   (s64[]){ S64_MIN, 1000 },
				   (u64[]){ pa, pp }));
	set_slot(pa, mk_node(1, S64_MIN, 1000, false, pp, 2,
			     (s64[]){ S64_MIN, 500 }, (u64[]){ pa0, pa1 }));
	set_slot(pp, mk_node(1, 1000, 0, true, BWT_NIL, 2,
			     (s64[]){ 1000, 2000 }, (u64[]){ pl, pid_q }));
	set_slot(pa0, mk_leaf(S64_MIN, 500, false, pa1, 2, (s64[]){ 10, 20 }));
	set_slot(pa1, mk_leaf(500, 1000, false, pl, 2, (s64[]){ 600, 700 }));
	set_slot(pl, mk_leaf(1000, 2000, false, pid_q, 2,
			     (s64[]){ 1100, 1200 }));
	set_slot(pid_q, mk_leaf(2000, 0, true, BWT_NIL, 1, (s64[]){ 2100 }));

	actor_start(&s, "S", job_split, s_pts);
	step_wait(&s, "split_cas");
	/* F freezes Q, fences P, commits; stops before its INDEX_DEL. */
	actor_start(&f, "F", job_merge, f_pts);
	step_wait(&f, "rm_committed");
	step_release(&s);
	actor_join(&s);
	h_diag("  S's split: %d", s.ret);
	step_release(&f);
	actor_join(&f);
	h_diag("  F's merge of Q: %d", f.ret);
	/* Whatever is left of Q's merge, a writer to its range finishes. */
	actor_start(&w, "W", job_upsert, w_pts);
	if (!bwt_pause_wait_done(&w.pause, 5.0)) {
		h_ok(false, "%s: an upsert in the frozen range completes (restarts forever)",
		     name);
		h_check_complaints(name);
		fflush(stdout);
		_exit(1);
	}
	actor_join(&w);
	h_ok(w.ret == 0, "%s: an upsert in the frozen node's range completes (%d)",
	     name, w.ret);
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

/* ------------------------------------------------------------ scenario 2 */

static s64 key_c = 1;

static int job_collapse(struct actor *a)
{
	return smo_run(fn_merge_inner, &key_c, true);
}

static int job_insert(struct actor *a)
{
	return bwtree_insert(tree, 5, h_value(5, 1));
}

/*
 *   root (level 1): [MIN -> C]      C {1 2 3 4}, leaf_max 4
 */
static void scenario_collapse(void)
{
	static const char *const t_pts[] = { "collapse_frozen", "collapse_installed", NULL };
	static const char *const w_pts[] = { "help_remove", NULL };
	static const s64 keys[] = { 1, 2, 3, 4, 5, 6, 7 };
	struct bwtree_params params = {
		.leaf_max = 4, .inner_max = 8, .chain_max = 8,
	};
	const char *name = "interleave-collapse";
	struct actor t, w;
	u64 pc;

	h_diag("%s: steps (issue 11, scenario 2)", name);
	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	pc = new_pid();
	set_slot(BWT_ROOT, mk_node(1, S64_MIN, 0, true, BWT_NIL, 1,
				   (s64[]){ S64_MIN }, (u64[]){ pc }));
	set_slot(pc, mk_leaf(S64_MIN, 0, true, BWT_NIL, 4,
			     (s64[]){ 1, 2, 3, 4 }));
	h_ok(bwtree_validate(tree) == 0, "%s: the built tree validates", name);

	/* T freezes the root's only child C for the collapse. */
	actor_start(&t, "T", job_collapse, t_pts);
	step_wait(&t, "collapse_frozen");
	/* W's insert meets the frozen C and is about to help. */
	actor_start(&w, "W", job_insert, w_pts);
	step_wait(&w, "help_remove");
	/* T installs the copy as the root, stops before COMMITTED. */
	step_release(&t);
	step_wait(&t, "collapse_installed");
	/* The new root (a full leaf) splits. */
	h_ok(bwtree_insert(tree, 6, h_value(6, 1)) == 0 &&
	     bwtree_insert(tree, 7, h_value(7, 1)) == 0,
	     "%s: inserts that split the new root", name);
	/* W helps the still-PENDING REMOVE: a root with two children. */
	step_release(&w);
	actor_join(&w);
	h_ok(w.ret == 0, "%s: W's insert (%d)", name, w.ret);
	step_release(&t);
	actor_join(&t);

	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

/* ------------------------------------------------------------ scenario 3 */

struct reader {
	struct bwt_pause pause;	/* only its done flag */
	pthread_t thread;
	s64 key;
	bool scan;
	int ret;
	u64 val;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct bwtree_pair p[4];
	bool done;
	s64 next;

	if (r->scan) {
		r->ret = bwtree_scan_batch(tree, S64_MIN, S64_MAX, 0, p, 4,
					   &next, &done);
		r->val = r->ret == 1 ? p[0].value : 0;
	} else {
		r->ret = bwtree_lookup(tree, r->key, &r->val);
	}
	bwt_pause_done(&r->pause);
	return NULL;
}

static void reader_start(struct reader *r, s64 key, bool scan)
{
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->scan = scan;
	if (pthread_create(&r->thread, NULL, reader_fn, r))
		abort();
}

static void *sync_fn(void *arg)
{
	synchronize_rcu();
	bwt_pause_done(arg);
	return NULL;
}

/* Replace the root by a correct one; the old one goes after a grace period. */
static void swap_root(struct bwt_rec *root)
{
	struct bwt_rec __rcu **slot = bwt_map_slot(&tree->map, BWT_ROOT);
	struct bwt_rec *old;

	old = unrcu_pointer(xchg(slot, RCU_INITIALIZER(root)));
	bwt_chain_retire(tree, old);
}

/*
 * Readers on routes that are wrong for as long as the test likes: a lookup
 * routed to a leaf below its key must restart, not answer -ENOENT; a
 * lookup and a scan routed to a freed page ID restart, but must leave the
 * read section every few restarts, so a grace period still ends.
 */
static void scenario_reader_bound(void)
{
	static const s64 keys[] = { 10, 150 };
	struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	const char *name = "interleave-reader-bound";
	struct bwt_pause sync = { 0 };
	struct bwtree_stats st;
	struct reader r, l, sc;
	pthread_t th;
	u64 pa, pb, px;

	h_diag("%s: readers on stale routes", name);
	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	pa = new_pid();
	pb = new_pid();
	/* The root routes everything to B, which holds [100, +inf) only. */
	set_slot(BWT_ROOT, mk_node(1, S64_MIN, 0, true, BWT_NIL, 1,
				   (s64[]){ S64_MIN }, (u64[]){ pb }));
	set_slot(pa, mk_leaf(S64_MIN, 100, false, pb, 1, (s64[]){ 10 }));
	set_slot(pb, mk_leaf(100, 0, true, BWT_NIL, 1, (s64[]){ 150 }));
	reader_start(&r, 10, false);
	if (bwt_pause_wait_done(&r.pause, 0.3))
		H_FAIL("%s: lookup(10) through a leaf holding [100, +inf) returned %d",
		       name, r.ret);
	swap_root(mk_node(1, S64_MIN, 0, true, BWT_NIL, 2,
			  (s64[]){ S64_MIN, 100 }, (u64[]){ pa, pb }));
	if (!bwt_pause_wait_done(&r.pause, 3.0)) {
		h_ok(false, "%s: lookup on a repaired route", name);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(r.thread, NULL);
	h_ok(r.ret == 0 && r.val == h_value(10, 1),
	     "%s: a leaf below the key is not an answer (lookup: %d)", name, r.ret);

	/* Now the root routes everything to X, a page ID with no record. */
	px = new_pid();
	swap_root(mk_node(1, S64_MIN, 0, true, BWT_NIL, 1,
			  (s64[]){ S64_MIN }, (u64[]){ px }));
	reader_start(&l, 10, false);
	reader_start(&sc, 0, true);
	usleep(100000);
	if (pthread_create(&th, NULL, sync_fn, &sync))
		abort();
	if (!bwt_pause_wait_done(&sync, 5.0)) {
		h_ok(false, "%s: a grace period ends while readers restart (RCU stall)",
		     name);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(th, NULL);
	h_ok(!l.pause.done && !sc.pause.done,
	     "%s: a grace period ends while readers restart", name);
	bwtree_get_stats(tree, &st);
	h_ok(st.reader_yields > 0, "%s: reader_yields counted (%llu)", name,
	     st.reader_yields);
	/* X gets the record: A's keys and B's, one leaf. */
	set_slot(px, mk_leaf(S64_MIN, 0, true, BWT_NIL, 2, (s64[]){ 10, 150 }));
	bwt_count_add(tree, -2);	/* A and B are unreachable now */
	if (!bwt_pause_wait_done(&l.pause, 3.0) ||
	    !bwt_pause_wait_done(&sc.pause, 3.0)) {
		h_ok(false, "%s: readers finish on a repaired route", name);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(l.thread, NULL);
	pthread_join(sc.thread, NULL);
	h_ok(l.ret == 0 && l.val == h_value(10, 1) && sc.ret == 2,
	     "%s: lookup %d, scan %d after the repair", name, l.ret, sc.ret);
	/* A and B: free them as the tree's destroy would not. */
	set_slot(pa, NULL);
	set_slot(pb, NULL);
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

/* ------------------------------------------------------------ scenario 4 */

static const s64 key_u = 20;

static int job_upsert_u(struct actor *a)
{
	bool replaced = false;
	int ret = bwtree_upsert(tree, key_u, h_value(key_u, 2), &replaced);

	return ret ? ret : replaced ? 0 : -ENOENT;
}

static int fn_consolidate_root(struct bwt_op *op, void *arg)
{
	return bwt_consolidate(op, BWT_ROOT, bwt_read(tree, BWT_ROOT));
}

/* The value a base node holds for @key, or 0. */
static u64 base_value(const struct bwt_rec *b, s64 key)
{
	unsigned int i;

	for (i = 0; i < b->count; i++)
		if (b->keys[i] == key)
			return bwt_vals(b)[i];
	return 0;
}

/*
 * A one-leaf tree {10 20 30} whose base node decides every key; W upserts
 * 20 in place and parks at @point; the leaf is consolidated (copied) under
 * it; W goes on.  @copied: whether the copy must hold W's value itself.
 */
static void scenario_update(const char *name, const char *point, bool copied)
{
	static const s64 keys[] = { 10, 30 };
	const char *const pts[] = { point, NULL };
	struct bwtree_params params = { .chain_max = 8 };
	struct bwt_rec *b, *c;
	struct bwtree_stats st;
	struct actor w;
	u64 v = 0;

	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	h_ok(!bwtree_insert(tree, 10, h_value(10, 1)) &&
	     !bwtree_insert(tree, 20, h_value(20, 1)) &&
	     !bwtree_insert(tree, 30, h_value(30, 1)) &&
	     smo_run(fn_consolidate_root, NULL, false) == BWT_DONE,
	     "%s: a leaf {10 20 30} in one base node", name);
	rcu_read_lock();
	b = bwt_read(tree, BWT_ROOT);
	rcu_read_unlock();

	actor_start(&w, "W", job_upsert_u, pts);
	step_wait(&w, point);
	h_ok(smo_run(fn_consolidate_root, NULL, true) == BWT_DONE,
	     "%s: the leaf is copied while W is parked", name);
	rcu_read_lock();
	c = bwt_read(tree, BWT_ROOT);
	h_ok(c != b && bwt_is_base(c) &&
	     base_value(c, key_u) == h_value(key_u, copied ? 2 : 1),
	     "%s: the copy holds %s value", name, copied ? "W's" : "the old");
	rcu_read_unlock();
	step_release(&w);
	actor_join(&w);
	h_ok(w.ret == 0, "%s: W's upsert replaced the value (%d)", name, w.ret);
	h_ok(!bwtree_lookup(tree, key_u, &v) && v == h_value(key_u, 2),
	     "%s: a lookup finds W's value", name);
	/* Announced: the copy carried it, W needed no delta of its own. */
	bwtree_get_stats(tree, &st);
	h_ok(!copied || st.records[BWTREE_INSERT] == 0,
	     "%s: no delta when the copy carried W's value (%llu)", name,
	     (unsigned long long)st.records[BWTREE_INSERT]);
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

static void scenario_update_ready(void)
{
	scenario_update("interleave-update-ready", "update_ready", true);
}

static void scenario_update_claimed(void)
{
	scenario_update("interleave-update-claimed", "update_claimed", false);
}

/* ------------------------------------------------------------ scenario 5 */

#define BATCH_KEYS	16
#define BATCH_ROUNDS	7	/* most rounds a batch is parked after */
#define BATCH_UNSET	0x5eed5eed5eed5eedULL

static struct {
	s64 keys[BATCH_KEYS];
	u64 vals[BATCH_KEYS];
	bool found[BATCH_KEYS];
	unsigned int n;
} batch;

static int job_batch(struct actor *a)
{
	unsigned int i;

	for (i = 0; i < batch.n; i++)
		batch.vals[i] = BATCH_UNSET;
	return bwtree_lookup_batch(tree, batch.keys, batch.n, batch.vals,
				   batch.found);
}

/*
 * Run the batch in an actor; if it reaches the end of round @round, run
 * @smo while it is parked there, then let it finish.  Return: whether it
 * was parked; its result in *@ret (-1 if it never finished).
 */
static bool batch_parked(unsigned int round, void (*smo)(void), int *ret)
{
	static const char *const pts[] = {
		"batch_round", "batch_round", "batch_round", "batch_round",
		"batch_round", "batch_round", "batch_round", NULL,
	};
	struct actor b;
	unsigned int r;
	bool parked;

	actor_start(&b, "B", job_batch, pts + BATCH_ROUNDS - round);
	for (r = 1; r < round; r++) {
		step_wait(&b, "batch_round");
		step_release(&b);
	}
	parked = step_wait(&b, "batch_round");
	if (parked)
		smo();
	step_release(&b);
	*ret = actor_join(&b) ? b.ret : -1;
	return parked;
}

/*
 *   root (level 1): [MIN -> L, 1000 -> R]
 *   split: L {100 200 ... 800} (full, leaf_max 8), R {1100 1200}
 *   merge: L {100 200}, R {1100} (below leaf_min)
 */
static void batch_tree(bool full)
{
	static const s64 lk[] = { 100, 200, 300, 400, 500, 600, 700, 800 };
	static const struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	u64 pl, pr;

	tree = bwtree_create(&params);
	if (IS_ERR(tree) || bwt_pid_alloc(tree, &pl, GFP_KERNEL) ||
	    bwt_pid_alloc(tree, &pr, GFP_KERNEL))
		abort();
	set_slot(BWT_ROOT, mk_node(1, S64_MIN, 0, true, BWT_NIL, 2,
				   (s64[]){ S64_MIN, 1000 }, (u64[]){ pl, pr }));
	set_slot(pl, mk_leaf(S64_MIN, 1000, false, pr, full ? 8 : 2, lk));
	set_slot(pr, mk_leaf(1000, 0, true, BWT_NIL, full ? 2 : 1,
			     (s64[]){ 1100, 1200 }));
}

/* Every key of the tree, absent keys among them, some repeated. */
static const s64 batch_split_keys[] = {
	100, 200, 300, 150, 400, 500, 600, 700, 800, 1100, 1200, 700, 1250,
};

static const s64 batch_merge_keys[] = { 1100, 100, 200, 1150, 1100, 200, 50 };

static bool batch_present(s64 key, bool full)
{
	return key % 100 == 0 && (full || key == 100 || key == 200 || key == 1100);
}

/* The answers of the batch: present keys found with their values. */
static void batch_check(const char *name, unsigned int round, int ret,
			bool full)
{
	unsigned int i, want = 0;
	int before = h_failures;

	for (i = 0; i < batch.n; i++) {
		s64 k = batch.keys[i];
		bool p = batch_present(k, full);

		want += p;
		if (batch.found[i] != p ||
		    batch.vals[i] != (p ? h_value(k, 1) : BATCH_UNSET))
			H_FAIL("key %lld: found %d, value %llx", k,
			       batch.found[i], batch.vals[i]);
	}
	h_ok(h_failures == before && ret == (int)want,
	     "%s: parked after round %u, every key found (%d of %u)", name,
	     round, ret, want);
}

/* Fold the chain of the leaf holding @arg into a new base node. */
static int fn_consolidate_leaf(struct bwt_op *op, void *arg)
{
	struct bwt_pos pos;
	int ret = bwt_descend(op, *(s64 *)arg, 0, &pos);

	return ret ? ret : bwt_consolidate(op, pos.pid, pos.top);
}

/*
 * L is full: an insert splits it (and posts the new separator), then L's
 * chain is folded, so that the keys that moved right are in L' alone.
 */
static void smo_split(void)
{
	struct bwtree_stats a, b;
	s64 k = 100;
	int ret;

	bwtree_get_stats(tree, &a);
	if (bwtree_insert(tree, 850, h_value(850, 1)))
		H_FAIL("insert 850");
	ret = smo_run(fn_consolidate_leaf, &k, false);
	bwtree_get_stats(tree, &b);
	if (b.splits != a.splits + 1 || ret ||
	    b.consolidations == a.consolidations)
		H_FAIL("L did not split and consolidate (%llu, %d)",
		       b.splits - a.splits, ret);
}

/* R merges into L, all the way: frozen, merged, its entry removed. */
static void smo_merge(void)
{
	struct bwtree_stats a, b;
	s64 k = 1100;
	int ret;

	bwtree_get_stats(tree, &a);
	ret = smo_run(fn_merge_leaf, &k, false);
	bwtree_get_stats(tree, &b);
	if (ret || b.merges != a.merges + 1)
		H_FAIL("R did not merge into L (%d, %llu)", ret,
		       b.merges - a.merges);
}

static void scenario_batch(const char *name, const s64 *keys, unsigned int n,
			   bool full, void (*smo)(void))
{
	static const s64 all[] = { 100, 200, 1100, 300, 400, 500, 600, 700,
				   800, 850, 1200 };
	unsigned int round;
	int ret;

	h_diag("%s: a batch parked after each of its rounds in turn", name);
	memcpy(batch.keys, keys, n * sizeof(*keys));
	batch.n = n;
	for (round = 1; round <= BATCH_ROUNDS; round++) {
		bool parked;

		batch_tree(full);
		parked = batch_parked(round, smo, &ret);
		if (parked) {
			batch_check(name, round, ret, full);
			check_end(name, all, full ? ARRAY_SIZE(all) : 3);
		}
		finish(name);
		if (!parked)
			break;
	}
	/* Parked mid-descent: routed to the leaf, and after reading it. */
	h_ok(round > 2, "%s: the batch was parked after %u rounds", name,
	     round - 1);
}

static void scenario_batch_split(void)
{
	scenario_batch("interleave-batch-split", batch_split_keys,
		       ARRAY_SIZE(batch_split_keys), true, smo_split);
}

static void scenario_batch_merge(void)
{
	scenario_batch("interleave-batch-merge", batch_merge_keys,
		       ARRAY_SIZE(batch_merge_keys), false, smo_merge);
}

/* ------------------------------------------------------------ scenario 6 */

static s64 key_b = 150;
static struct bwtree_pair scan_out[16];
static bool scan_done;

static int job_merge_b(struct actor *a)
{
	return smo_run(fn_merge_leaf, &key_b, true);
}

static int job_scan_down(struct actor *a)
{
	s64 next;

	return bwtree_scan_batch(tree, S64_MIN, S64_MAX, BWTREE_SCAN_REVERSE,
				 scan_out, ARRAY_SIZE(scan_out), &next,
				 &scan_done);
}

/*
 *   root (level 1): [MIN -> A, 100 -> B, 200 -> C]
 *   A {10 20}  B {150} (underfull)  C {210 220}
 */
static void build_abc(void)
{
	struct bwtree_params params = {
		.leaf_max = 8, .inner_max = 8, .chain_max = 8,
	};
	u64 pid[3];
	unsigned int i;

	tree = bwtree_create(&params);
	if (IS_ERR(tree))
		abort();
	for (i = 0; i < ARRAY_SIZE(pid); i++)
		pid[i] = new_pid();
	set_slot(BWT_ROOT, mk_node(1, S64_MIN, 0, true, BWT_NIL, 3,
				   (s64[]){ S64_MIN, 100, 200 }, pid));
	set_slot(pid[0], mk_leaf(S64_MIN, 100, false, pid[1], 2,
				 (s64[]){ 10, 20 }));
	set_slot(pid[1], mk_leaf(100, 200, false, pid[2], 1, (s64[]){ 150 }));
	set_slot(pid[2], mk_leaf(200, 0, true, BWT_NIL, 2,
				 (s64[]){ 210, 220 }));
}

/* The scan returned every key once, descending, and is done. */
static void check_scan_down(const char *name, int ret, const s64 *keys,
			    unsigned int n)
{
	bool same = ret == (int)n && scan_done;
	unsigned int i;

	for (i = 0; same && i < n; i++)
		same = scan_out[i].key == keys[n - 1 - i] &&
		       scan_out[i].value == h_value(keys[n - 1 - i], 1);
	h_ok(same, "%s: the descending scan returned each key once (%d pairs, done %d)",
	     name, ret, scan_done);
}

/*
 * A descending scan finds its next leaf by descending to the key below the
 * low key of the leaf it copied.  S copies C and stops before that
 * descent; B merges into A meanwhile, so the descent for 199 must end in
 * A, which holds B's keys now.  Then again with S stopping while B is
 * frozen: it copies B's frozen contents, and A after the merge.
 */
static void scenario_scan_left(void)
{
	static const char *const s1_pts[] = { "scan_left", NULL };
	static const char *const s2_pts[] = { "scan_left", "scan_left", NULL };
	static const char *const m_pts[] = { "merge_frozen", NULL };
	static const char *const none[] = { NULL };
	static const s64 keys[] = { 10, 20, 150, 210, 220 };
	const char *name = "interleave-scan-left";
	struct bwtree_stats st;
	struct actor sa, m;

	h_diag("%s: a merge completes while a descending scan is between leaves",
	       name);
	build_abc();
	actor_start(&sa, "S", job_scan_down, s1_pts);
	step_wait(&sa, "scan_left");		/* C copied, cursor 199 */
	actor_start(&m, "M", job_merge_b, none);
	actor_join(&m);
	bwtree_get_stats(tree, &st);
	h_ok(st.merges == 1, "%s: B merged into A while S waited (%llu)", name,
	     st.merges);
	step_release(&sa);			/* A: B's keys and its own */
	actor_join(&sa);
	check_scan_down(name, sa.ret, keys, ARRAY_SIZE(keys));
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);

	h_diag("%s: the scan reads B frozen, then A merged", name);
	build_abc();
	actor_start(&sa, "S", job_scan_down, s2_pts);
	step_wait(&sa, "scan_left");		/* C copied, cursor 199 */
	actor_start(&m, "M", job_merge_b, m_pts);
	step_wait(&m, "merge_frozen");		/* B frozen, not merged */
	step_release(&sa);
	h_ok(step_wait(&sa, "scan_left"),	/* B copied, cursor 99 */
	     "%s: S copied frozen B as a leaf of its own", name);
	step_release(&m);
	actor_join(&m);
	bwtree_get_stats(tree, &st);
	h_ok(st.merges == 1, "%s: B merged into A while S waited (%llu)", name,
	     st.merges);
	step_release(&sa);
	actor_join(&sa);
	check_scan_down(name, sa.ret, keys, ARRAY_SIZE(keys));
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

/* ------------------------------------------------------------ scenario 7 */

struct reads {
	struct bwt_pause pause;	/* only its done flag */
	const s64 *keys;
	unsigned int n;
	bool ok;
};

/* Every key by lookup, by one batch, and by scans both ways. */
static void *reads_fn(void *arg)
{
	struct bwtree_pair out[16];
	struct reads *r = arg;
	u64 vals[16], v;
	bool found[16], done;
	unsigned int i;
	s64 next;
	int ret;

	r->ok = true;
	for (i = 0; i < r->n; i++)
		if (bwtree_lookup(tree, r->keys[i], &v) ||
		    v != h_value(r->keys[i], 1))
			r->ok = false;
	h_diag("  lookups: %s", r->ok ? "all found" : "wrong");
	ret = bwtree_lookup_batch(tree, r->keys, r->n, vals, found);
	for (i = 0; i < r->n; i++)
		if (ret != (int)r->n || !found[i] ||
		    vals[i] != h_value(r->keys[i], 1))
			r->ok = false;
	h_diag("  batch: %d, %s", ret, r->ok ? "all found" : "wrong");
	ret = bwtree_scan_batch(tree, S64_MIN, S64_MAX, 0, out,
				ARRAY_SIZE(out), &next, &done);
	for (i = 0; i < r->n; i++)
		if (ret != (int)r->n || !done || out[i].key != r->keys[i])
			r->ok = false;
	h_diag("  scan: %d pairs, done %d, %s", ret, done,
	       r->ok ? "right" : "wrong");
	ret = bwtree_scan_batch(tree, S64_MIN, S64_MAX, BWTREE_SCAN_REVERSE,
				out, ARRAY_SIZE(out), &next, &done);
	for (i = 0; i < r->n; i++)
		if (ret != (int)r->n || !done ||
		    out[i].key != r->keys[r->n - 1 - i])
			r->ok = false;
	h_diag("  reverse scan: %d pairs, done %d, %s", ret, done,
	       r->ok ? "right" : "wrong");
	bwt_pause_done(&r->pause);
	return NULL;
}

/*
 * M freezes B (build_abc()), commits its merge into A and stops before the
 * INDEX_DEL: the root still routes 150 to B.  Readers must answer from B's
 * frozen contents while M stays parked (the state a merge is left in when
 * bwt_merge_up() gives up), then the merge finishes.
 */
static void scenario_committed_read(void)
{
	static const char *const m_pts[] = { "rm_committed", NULL };
	static const s64 keys[] = { 10, 20, 150, 210, 220 };
	const char *name = "interleave-committed-read";
	struct reads r = { .keys = keys, .n = ARRAY_SIZE(keys) };
	struct bwtree_stats st;
	struct actor m;
	pthread_t th;

	h_diag("%s: reads while a committed merge waits before its INDEX_DEL",
	       name);
	build_abc();
	actor_start(&m, "M", job_merge_b, m_pts);
	if (!step_wait(&m, "rm_committed"))
		H_FAIL("M did not commit B's merge");
	if (pthread_create(&th, NULL, reads_fn, &r))
		abort();
	if (!bwt_pause_wait_done(&r.pause, 5.0)) {
		h_ok(false, "%s: reads complete (they restart forever)", name);
		h_check_complaints(name);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(th, NULL);
	h_ok(r.ok, "%s: lookups, a batch and scans both ways found every key",
	     name);
	bwtree_get_stats(tree, &st);
	h_ok(st.merges == 0, "%s: and B was not merged meanwhile (%llu)", name,
	     st.merges);
	step_release(&m);
	actor_join(&m);
	bwtree_get_stats(tree, &st);
	h_ok(st.merges == 1, "%s: B merged into A after (%llu)", name,
	     st.merges);
	check_end(name, keys, ARRAY_SIZE(keys));
	finish(name);
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "update-ready", scenario_update_ready },
	{ "update-claimed", scenario_update_claimed },
	{ "collapse", scenario_collapse },
	{ "merge-abort", scenario_merge_abort },
	{ "abort-stale", scenario_abort_stale },
	{ "stale-helper", scenario_stale_helper },
	{ "fence", scenario_fence },
	{ "reader-bound", scenario_reader_bound },
	{ "batch-split", scenario_batch_split },
	{ "batch-merge", scenario_batch_merge },
	{ "scan-left", scenario_scan_left },
	{ "committed-read", scenario_committed_read },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int a, first = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		first = 2;
	}
	if (bwtree_init()) {
		h_ok(false, "interleave: bwtree_init");
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		bool run = first == argc;

		for (a = first; a < argc; a++)
			run |= !strcmp(argv[a], scenarios[i].name);
		if (run)
			scenarios[i].fn();
	}
	bwtree_exit();
	return h_exit_status();
}
