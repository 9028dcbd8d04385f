// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree invariant checker and dumper, for tests and debugging.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/export.h>
#include <linux/printk.h>
#include "internal.h"

struct bwt_check {
	struct bwtree *tree;
	struct bwt_bag bag;
	struct bwt_gather *gather;
	u64 keys;
	u64 nodes;
};

#define bwt_bad(fmt, ...) \
	pr_err("bwtree: validate: " fmt "\n", ##__VA_ARGS__)

/* An INSERT or DELETE names no base, or the one its run of them ends in. */
static bool bwt_check_base_hint(const struct bwt_rec *rec)
{
	const struct bwt_rec *r = rec;

	if ((rec->kind != BWTREE_INSERT && rec->kind != BWTREE_DELETE) ||
	    !rec->kv.base)
		return true;
	while (r && (r->kind == BWTREE_INSERT || r->kind == BWTREE_DELETE))
		r = bwt_chain_step(r, rec->kv.key);
	return r == rec->kv.base;
}

/* Check one node; set *@pid to its right sibling. */
static int bwt_check_node(struct bwt_check *c, unsigned int level, u64 *pid,
			  s64 *expect_low, u64 *first_child)
{
	struct bwtree *tree = c->tree;
	unsigned int bound = bwt_chain_bound(tree) + 1;
	struct bwt_rec *top = bwt_read(tree, *pid);
	struct bwt_chain it;
	unsigned int i;
	int ret;

	if (!top) {
		bwt_bad("pid %llu at level %u has no record", *pid, level);
		return -EUCLEAN;
	}
	/* Both branches of every MERGE: the absorbed chain is live too. */
	bwt_chain_start(&it, top, S64_MIN, 0, true);
	while (bwt_chain_next(&it)) {
		if (READ_ONCE(it.at.rec->dead)) {
			bwt_bad("pid %llu: retired record reachable", *pid);
			return -EUCLEAN;
		}
		if (bwt_is_base(it.at.rec) && !bwt_base_sealed(it.at.rec)) {
			bwt_bad("pid %llu: base node's keys out of order or its summary stale",
				*pid);
			return -EUCLEAN;
		}
		if (!bwt_check_base_hint(it.at.rec)) {
			bwt_bad("pid %llu: a delta names another chain's base node",
				*pid);
			return -EUCLEAN;
		}
	}
	if (it.bad) {
		bwt_bad("pid %llu: malformed chain", *pid);
		return -EUCLEAN;
	}
	if (top->kind == BWTREE_REMOVE) {
		if (top->rm.collapse ||
		    atomic_read(&top->rm.state) == BWT_RM_ABORTED) {
			bwt_bad("pid %llu: a root collapse or an aborted merge left behind",
				*pid);
			return -EUCLEAN;
		}
		top = top->next;
	}
	if (top->level != level || top->low != *expect_low) {
		bwt_bad("pid %llu: level %u low %lld, expected level %u low %lld",
			*pid, top->level, top->low, level, *expect_low);
		return -EUCLEAN;
	}
	if (top->depth > bound) {
		bwt_bad("pid %llu: chain of %u records", *pid, top->depth);
		return -EUCLEAN;
	}
	if (!top->hinf && top->high <= top->low) {
		bwt_bad("pid %llu: empty range [%lld, %lld)", *pid, top->low,
			top->high);
		return -EUCLEAN;
	}
	ret = bwt_collect(top, &c->bag, c->gather);
	if (ret) {
		bwt_bad("pid %llu: cannot fold its chain (%d)", *pid, ret);
		return -EUCLEAN;
	}
	if (c->bag.n != top->count) {
		bwt_bad("pid %llu: count %u but %u items", *pid, top->count,
			c->bag.n);
		return -EUCLEAN;
	}
	for (i = 0; i < c->bag.n; i++) {
		s64 k = c->bag.keys[i];

		if (!bwt_holds(top, k) || (i && k <= c->bag.keys[i - 1])) {
			bwt_bad("pid %llu: key %lld out of order or range",
				*pid, k);
			return -EUCLEAN;
		}
	}
	if (level) {
		if (!c->bag.n || c->bag.keys[0] != top->low) {
			bwt_bad("pid %llu: first separator is not the low key",
				*pid);
			return -EUCLEAN;
		}
		if (*first_child == BWT_NIL)
			*first_child = c->bag.vals[0];
		for (i = 0; i < c->bag.n; i++) {
			struct bwt_rec *ch = bwt_read(tree, c->bag.vals[i]);

			if (ch && ch->kind == BWTREE_REMOVE)
				ch = ch->next;
			if (!ch || ch->level != level - 1 ||
			    ch->low != c->bag.keys[i] ||
			    (i + 1 < c->bag.n &&
			     (ch->hinf || ch->high > c->bag.keys[i + 1]))) {
				bwt_bad("pid %llu: entry %lld -> %llu does not bracket its child",
					*pid, c->bag.keys[i], c->bag.vals[i]);
				return -EUCLEAN;
			}
		}
	} else {
		c->keys += c->bag.n;
	}
	c->nodes++;
	if (top->hinf) {
		if (top->right != BWT_NIL) {
			bwt_bad("pid %llu: last node has a right sibling", *pid);
			return -EUCLEAN;
		}
		*pid = BWT_NIL;
	} else {
		if (top->right == BWT_NIL) {
			bwt_bad("pid %llu: no right sibling below +inf", *pid);
			return -EUCLEAN;
		}
		*expect_low = top->high;
		*pid = top->right;
	}
	return 0;
}

static int bwt_check_levels(struct bwt_check *c)
{
	struct bwtree *tree = c->tree;
	struct bwt_rec *root = bwt_read(tree, BWT_ROOT);
	int level = root->level, ret;
	u64 start = BWT_ROOT;

	if (root->kind == BWTREE_REMOVE) {
		bwt_bad("the root is frozen");
		return -EUCLEAN;
	}
	for (; level >= 0; level--) {
		u64 pid = start, first_child = BWT_NIL;
		s64 low = S64_MIN;

		while (pid != BWT_NIL) {
			ret = bwt_check_node(c, level, &pid, &low, &first_child);
			if (ret)
				return ret;
		}
		start = first_child;
	}
	if (c->keys != bwtree_count(tree)) {
		bwt_bad("%llu keys in leaves, count says %llu", c->keys,
			bwtree_count(tree));
		return -EUCLEAN;
	}
	return 0;
}

/**
 * bwtree_validate() - check every invariant of a tree
 * @tree: the tree; no update may run concurrently
 *
 * Checks at every level that the nodes tile the key space through their
 * right siblings, that keys are sorted and inside their node's range,
 * that each node's count matches its contents, that every separator is
 * its child's low key and brackets it, that delta chains stay within their
 * bound, that no retired record is reachable and that the leaves hold
 * bwtree_count() keys.  Unfinished splits and merges are allowed.  On
 * failure it logs what broke (bwtree_dump(), or a write to the tree's
 * debugfs file dump, prints the whole tree).
 *
 * Context: process context; may sleep (allocates scratch space).
 * Return: 0 if the tree is sound, -EUCLEAN if not, -ENOMEM.
 */
int bwtree_validate(struct bwtree *tree)
{
	unsigned int cap = 4 * BWTREE_MAX_NODE + 2 * BWT_GATHER_MAX;
	struct bwt_check c = { .tree = tree };
	int ret;

	ret = bwt_scratch_reserve(&c.bag, &c.gather, cap, GFP_KERNEL);
	if (ret)
		goto out;
	rcu_read_lock();
	ret = bwt_check_levels(&c);
	rcu_read_unlock();
out:
	bwt_scratch_free(&c.bag, &c.gather);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(bwtree_validate);

static const char * const bwt_kind_name[BWTREE_NR_KINDS] = {
	[BWTREE_LEAF] = "leaf",
	[BWTREE_INNER] = "inner",
	[BWTREE_INSERT] = "insert",
	[BWTREE_DELETE] = "delete",
	[BWTREE_SPLIT] = "split",
	[BWTREE_INDEX] = "index",
	[BWTREE_INDEX_DEL] = "index_del",
	[BWTREE_REMOVE] = "remove",
	[BWTREE_MERGE] = "merge",
};

/**
 * bwtree_kind_name() - the name of a kind of record, as stats print it
 * @kind: an &enum bwtree_kind
 *
 * Context: any.
 * Return: a static string; "?" for an unknown kind.
 */
const char *bwtree_kind_name(unsigned int kind)
{
	return kind < BWTREE_NR_KINDS ? bwt_kind_name[kind] : "?";
}

/**
 * bwtree_dump() - print a tree's nodes to the kernel log, level by level
 * @tree: the tree; best without concurrent updates
 *
 * Prints each node's pid, range, count, right sibling and the kinds of its
 * chain's records (all of them, both branches of a merge, newest first).
 * Meant for small trees in tests.
 *
 * Context: any context where rcu_read_lock() may be taken.
 */
void bwtree_dump(struct bwtree *tree)
{
	struct bwt_rec *root, *top;
	struct bwt_chain it;
	u64 pid, start = BWT_ROOT;
	int level, nodes = 0;
	size_t len;
	char chain[160];

	rcu_read_lock();
	root = bwt_read(tree, BWT_ROOT);
	for (level = root->level; level >= 0 && start != BWT_NIL; level--) {
		u64 first = BWT_NIL;

		pr_info("bwtree: level %d\n", level);
		for (pid = start; pid != BWT_NIL && nodes < 4096; nodes++) {
			struct bwt_route rt;

			top = bwt_read(tree, pid);
			if (!top)
				break;
			len = 0;
			bwt_chain_start(&it, top, S64_MIN, 0, true);
			while (len < sizeof(chain) - 12 && bwt_chain_next(&it))
				len += snprintf(chain + len, sizeof(chain) - len,
						" %s",
						bwtree_kind_name(it.at.rec->kind));
			pr_info("bwtree:  pid %llu [%lld, %s%lld) count %u right %lld depth %u:%s\n",
				pid, top->low, top->hinf ? "+inf " : "",
				top->high, top->count, (s64)top->right,
				top->depth, chain);
			if (top->kind == BWTREE_REMOVE)
				top = top->next;
			if (level && first == BWT_NIL) {
				bwt_route(top, top->low, &rt);
				first = rt.child;
			}
			pid = top->hinf ? BWT_NIL : top->right;
		}
		start = first;
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(bwtree_dump);
