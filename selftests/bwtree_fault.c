// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree_fault: allocation and user-copy failures swept through the ioctls
 * of /dev/bwtree, in the kernel, one fault site at a time.
 *
 * Why: the core promises that an operation failing with -ENOMEM changed
 * nothing (include/bwtree.h), the ABI that -EFAULT and -ENOMEM change
 * nothing (include/uapi/linux/bwtree.h), and BATCH that an -ENOMEM stops it
 * with exactly the operations before it applied.  Error paths that never run
 * are where leaks, half-published records and wrong errnos hide; this runs
 * every one of them that a single call can reach.
 *
 * How: per-task fail-nth (Documentation/fault-injection): write N to
 * /proc/self/task/<tid>/fail-nth, make one ioctl, and the N-th fault site
 * that task reaches fails; reading the file back gives 0 when that happened
 * and the sites still to go when the call ended first, which ends the sweep
 * of that call.  Sites are failslab (every slab allocation, GFP_KERNEL ones
 * included once ignore-gfp-wait is N) and fail_usercopy (copy_from_user()
 * and copy_to_user(); get_user() and put_user() are not sites).  With
 * failslab's cache-filter on and no cache flagged, and fail_page_alloc's
 * min-order above any order, allocations are no sites, so the same sweep
 * counts the user copies alone.  Page allocations
 * are sites from 64 KB up (fail_page_alloc min-order 4): the kernel's copy
 * of a big SCAN or BATCH array, so kvmalloc()'s fallback to vmalloc() runs
 * too.  Smaller ones are kept out: whether a slab needs a new page depends
 * on the past, not on the call.
 *
 * For each kind of call (CREATE anonymous and named; INSERT into an empty
 * tree, INSERT that splits a leaf, the root leaf or the root inner node,
 * INSERT that consolidates a chain; UPSERT; DELETE; DELETE that merges;
 * BATCH of mixed operations; SCAN of a few thousand pairs, forwards and
 * backwards; a BATCH of 2048 LOOKUPs; LOOKUP, COUNT, STATS; LIST, ATTACH
 * and DESTROY of a named tree) a test sweeps N = 1, 2, ... over a start
 * state rebuilt the same way each time (a new tree with tiny nodes, so that
 * a handful of keys splits and merges; one tree for the calls that change
 * none):
 *
 *  - the call returns 0, -ENOMEM or -EFAULT, nothing else, and never
 *    -ENOMEM if it allocates nothing (the reads, ATTACH, DESTROY) or only
 *    with kvmalloc() (the BATCH of lookups);
 *  - after a failure the tree is exactly as before (count and a full scan,
 *    bw_snapshot(), and the reference model), its statistics too unless a
 *    structure modification ran (which moves no key), the tree passes its
 *    own invariant check (debugfs validate), and the same call retried
 *    without injection succeeds and gives the expected tree and outputs;
 *  - a BATCH stopped by -ENOMEM reports the failed op's error, -ECANCELED
 *    after it, and the tree equals the model of exactly the ops before it;
 *  - a call that succeeds despite the failure (the kernel absorbed it:
 *    kmemleak's metadata, a debugfs file, the merge that follows a delete)
 *    gives the expected tree;
 *  - the run that reaches no failure does what the case claims (a split, a
 *    new root level, a merge, a consolidation: BWTREE_IOC_STATS), so no case
 *    can pass by testing nothing;
 *  - with user copies alone every injected failure is -EFAULT, and the
 *    number of them equals the -EFAULT count of the sweep over all sites
 *    (see run_case() on the rare site that the kernel's own debugging
 *    allocations displace);
 *  - the module's live counters (/sys/kernel/bwtree: named_trees,
 *    anon_trees, bytes) are back where they were after each attempt of
 *    CREATE and after each sweep of the others (whose files a thread
 *    closes while the next attempt runs).
 *
 * kmemleak and the rmmod that follow in the guest catch leaked objects.
 * The program needs the fault-injection debug kernel and root: without
 * fail-nth or the debugfs knobs every test fails (this is never skipped).
 * Knobs it changes (verbose first: a verbose injection prints a stack
 * trace, which the guest counts as a splat) are restored at exit.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "bwtree_test.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_USERCOPY	"/sys/kernel/debug/fail_usercopy/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define SLAB_SYSFS	"/sys/kernel/slab/"
#define BW_SYSFS	"/sys/kernel/bwtree/"
#define BW_DEBUGFS	"/sys/kernel/debug/bwtree/"

#define MAX_SITES	400	/* more in one call means a runaway sweep */
#define SCAN_KEYS	2000	/* the SCAN case's tree */
#define SCAN_MAX	4096	/* its one call asks for this many pairs */
#define BIG_OPS		2048	/* ops of the 64 KB BATCH */
#define LIST_BUF	8192	/* LIST's buffer */
#define NAMED		"bwtree_fault"
#define SENTINEL	0x5a5aLL	/* a batch result the kernel never wrote */
#define UNWRITTEN	0xdead		/* bw_batch()'s @done when not written */

/* ------------------------------------------------------------------ */
/* The fault-injection knobs: checked and set by main(), put back at exit. */

struct knob {
	const char *path;
	const char *value;	/* what the sweeps need */
	char old[32];		/* what it was */
	bool changed;
};

static struct knob knobs[] = {
	/* First: a verbose injection prints a stack trace. */
	{ FAILSLAB "verbose", "0" },
	{ FAIL_USERCOPY "verbose", "0" },
	{ FAIL_PAGE "verbose", "0" },
	/* Count GFP_KERNEL slab allocations too. */
	{ FAILSLAB "ignore-gfp-wait", "N" },
	/* Every cache; the user-copy sweeps turn it on. */
	{ FAILSLAB "cache-filter", "N" },
	/*
	 * Page allocations of 64 KB and up are sites: the kernel's copy of a
	 * big SCAN or BATCH array, whose failure kvmalloc() absorbs with
	 * vmalloc().  A slab's pages are never that big (slub_max_order is
	 * 3), so whether a slab needs a new page, which depends on the past,
	 * not on the call, is no site.
	 */
	{ FAIL_PAGE "min-order", "4" },
	{ FAIL_PAGE "ignore-gfp-wait", "N" },
};

#define KNOB_CACHE_FILTER	4
#define KNOB_MIN_ORDER		5
#define NO_PAGE_SITES		"32"	/* min-order above any order */

/* Why the tests cannot run, set by main() before they start. */
static char env_error[256];

/* Figures of every test, kept by main(): the tests run in children. */
struct totals {
	unsigned long sweeps, injected, enomem, efault, absorbed;
	double secs;
};

static struct totals *totals;

/* The module's live counters before the first test. */
struct counters {
	long named, anon, bytes;
};

static struct counters base_counters;

/* @path's contents, without the trailing newline; 0 or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(text), n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != len)
		n = n < 0 ? -errno : -EIO;
	else
		n = 0;
	close(fd);
	return n;
}

static int read_long(const char *path, long *val)
{
	char buf[64], *end;
	int ret = read_text(path, buf, sizeof(buf));

	if (ret)
		return ret;
	*val = strtol(buf, &end, 0);
	return end == buf ? -EINVAL : 0;
}

static int counters_read(struct counters *c)
{
	return read_long(BW_SYSFS "named_trees", &c->named) ?:
	       read_long(BW_SYSFS "anon_trees", &c->anon) ?:
	       read_long(BW_SYSFS "bytes", &c->bytes);
}

static __printf(1, 2) void env_fail(const char *fmt, ...)
{
	va_list ap;

	if (env_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(env_error, sizeof(env_error), fmt, ap);
	va_end(ap);
}

/* Any cache flagged for failslab would break the user-copy sweeps. */
static void env_check_caches(void)
{
	DIR *d = opendir(SLAB_SYSFS);
	struct dirent *e;
	char path[PATH_MAX], val[16];

	if (!d) {
		env_fail("%s: %s", SLAB_SYSFS, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SLAB_SYSFS "%s/failslab",
			 e->d_name);
		if (!read_text(path, val, sizeof(val)) && strcmp(val, "0"))
			env_fail("%s is %s: the user-copy sweeps need no cache flagged",
				 path, val);
	}
	closedir(d);
}

static void env_restore(void)
{
	int i;

	for (i = BW_ARRAY_SIZE(knobs) - 1; i >= 0; i--)
		if (knobs[i].changed && write_text(knobs[i].path, knobs[i].old))
			fprintf(stderr, "# cannot restore %s to %s\n",
				knobs[i].path, knobs[i].old);
}

static void env_prepare(void)
{
	static const char * const needed[] = {
		"/proc/self/fail-nth", FAILSLAB "probability",
		FAIL_USERCOPY "probability", FAIL_PAGE "min-order",
		BW_SYSFS "anon_trees", BW_DEBUGFS,
	};
	char val[32];
	unsigned int i;

	if (bw_unavailable()) {
		env_fail("%s", bw_unavailable());
		return;
	}
	for (i = 0; i < BW_ARRAY_SIZE(needed); i++) {
		if (access(needed[i], F_OK)) {
			env_fail("%s: %s (a kernel without fault injection?)",
				 needed[i], strerror(errno));
			return;
		}
	}
	/* Random failures of another user would spoil every count. */
	if (read_text(FAILSLAB "probability", val, sizeof(val)) ||
	    strcmp(val, "0") ||
	    read_text(FAIL_USERCOPY "probability", val, sizeof(val)) ||
	    strcmp(val, "0")) {
		env_fail("failslab or fail_usercopy probability is not 0");
		return;
	}
	env_check_caches();
	if (env_error[0])
		return;
	for (i = 0; i < BW_ARRAY_SIZE(knobs); i++) {
		struct knob *k = &knobs[i];
		int ret = read_text(k->path, k->old, sizeof(k->old));

		if (!ret && strcmp(k->old, k->value)) {
			ret = write_text(k->path, k->value);
			k->changed = !ret;
		}
		if (ret) {
			env_fail("%s: %s", k->path, strerror(-ret));
			return;
		}
	}
	if (counters_read(&base_counters))
		env_fail(BW_SYSFS ": cannot read the module's counters");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* fail-nth of this task. */

static int nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Fail the @n-th fault site this task reaches from now on. */
static int nth_arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Turn fail-nth off.  Return: 1 if the armed failure was injected, 0 if the
 * call ended before reaching it, -errno.  Reading and writing the file are
 * user copies, and so sites themselves: a read failing with -EFAULT, or a
 * write, means the failure was still pending after the call (as
 * tools/testing/selftests/iommu/iommufd_fail_nth.c handles it).
 */
static int nth_disarm(int nth)
{
	char buf[16] = "";
	ssize_t len = pread(nth, buf, sizeof(buf) - 1, 0);
	int fired, i;

	if (len < 0 && errno != EFAULT)
		return -errno;
	fired = len > 0 && buf[0] == '0';
	for (i = 0; i < 2; i++) {
		if (pwrite(nth, "0", 1, 0) == 1)
			return fired;
		if (errno != EFAULT)
			return -errno;
	}
	return -EIO;
}

/* ------------------------------------------------------------------ */
/* The cases. */

enum fop {
	FOP_CREATE_ANON,
	FOP_CREATE_NAMED,
	FOP_INSERT,
	FOP_UPSERT,
	FOP_DELETE,
	FOP_BATCH,
	FOP_SCAN,
	FOP_BATCH_BIG,		/* BIG_OPS lookups */
	FOP_LOOKUP,
	FOP_COUNT,
	FOP_STATS,
	FOP_LIST,
	FOP_ATTACH,
	FOP_DESTROY,
};

/* What the clean run must have done, by BWTREE_IOC_STATS. */
enum fproof {
	PROOF_NONE,
	PROOF_INSERT_DELTA,	/* one more insert delta */
	PROOF_DELETE_DELTA,	/* one more delete delta */
	PROOF_SPLIT,		/* a split, the height unchanged */
	PROOF_GROW,		/* the root split: one level more */
	PROOF_MERGE,		/* a merge */
	PROOF_CONSOLIDATE,	/* a consolidation */
};

/*
 * One kind of call and its start state: an anonymous tree with the node
 * sizes given, keys 10, 20, ..., 10 * @nkeys inserted in order (a fixed
 * permutation for SCAN), then the highest @ndel deleted from the top, all
 * in one BATCH.  The prototypes of these states were checked against the
 * core in userspace: what each call then does is what @proof demands.
 */
struct fcase {
	const char *name;
	enum fop op;
	uint32_t leaf_max, inner_max, chain_max;
	unsigned int nkeys, ndel;
	int64_t key;		/* INSERT, UPSERT, DELETE, LOOKUP */
	enum fproof proof;
	bool reverse;		/* SCAN backwards */
	bool no_alloc;		/* allocates nothing: never -ENOMEM */
	bool absorbs;		/* survives any one failed allocation */
};

static const struct fcase case_create_anon = {
	.name = "create-anon", .op = FOP_CREATE_ANON,
	.leaf_max = 4, .inner_max = 8, .chain_max = 3,
};

static const struct fcase case_create_named = {
	.name = "create-named", .op = FOP_CREATE_NAMED,
	.leaf_max = 8, .inner_max = 4, .chain_max = 5,
};

static const struct fcase case_insert_empty = {
	.name = "insert-empty", .op = FOP_INSERT,
	.leaf_max = 4, .inner_max = 4, .key = 10, .proof = PROOF_INSERT_DELTA,
};

/*
 * Two leaves [10 20 30] [40 50 60 70] (an ascending load splits a full
 * node at its end, so the full side stays full): 80 splits the right one.
 */
static const struct fcase case_insert_split_leaf = {
	.name = "insert-split-leaf", .op = FOP_INSERT,
	.leaf_max = 4, .inner_max = 4, .nkeys = 7, .key = 80,
	.proof = PROOF_SPLIT,
};

/* A full root leaf [10 20 30 40]: 50 splits it into two and a new root. */
static const struct fcase case_insert_split_root = {
	.name = "insert-split-root", .op = FOP_INSERT,
	.leaf_max = 4, .inner_max = 4, .nkeys = 4, .key = 50,
	.proof = PROOF_GROW,
};

/*
 * A root with three leaves [10 20 30] [40 50 60] [70 80 90 100], the last
 * full: 110 splits that leaf, which fills the root inner node, which
 * splits too: height 2 -> 3.
 */
static const struct fcase case_insert_split_inner = {
	.name = "insert-split-inner", .op = FOP_INSERT,
	.leaf_max = 4, .inner_max = 4, .nkeys = 10, .key = 110,
	.proof = PROOF_GROW,
};

/* A root leaf whose chain is at chain_max (2): 30 consolidates it. */
static const struct fcase case_insert_consolidate = {
	.name = "insert-consolidate", .op = FOP_INSERT,
	.leaf_max = 16, .inner_max = 16, .chain_max = 2, .nkeys = 2,
	.key = 30, .proof = PROOF_CONSOLIDATE,
};

/*
 * 20 is decided by an INSERT delta, so the upsert adds one.  An upsert
 * takes its delta inside the read section with GFP_NOWAIT (an upsert of a
 * key in a base node needs none): one failed allocation costs a restart,
 * and the GFP_KERNEL refill after it succeeds.
 */
static const struct fcase case_upsert = {
	.name = "upsert", .op = FOP_UPSERT,
	.leaf_max = 4, .inner_max = 4, .nkeys = 3, .key = 20,
	.proof = PROOF_INSERT_DELTA, .absorbs = true,
};

static const struct fcase case_delete = {
	.name = "delete", .op = FOP_DELETE,
	.leaf_max = 4, .inner_max = 4, .nkeys = 3, .key = 20,
	.proof = PROOF_DELETE_DELTA,
};

/*
 * leaf_max 8 merges a leaf below 2 keys: leaves [10..70] [80 90] after the
 * deletes (none of which merges); deleting 90 merges the right leaf away
 * and collapses the root.
 */
static const struct fcase case_delete_merge = {
	.name = "delete-merge", .op = FOP_DELETE,
	.leaf_max = 8, .inner_max = 8, .nkeys = 12, .ndel = 3, .key = 90,
	.proof = PROOF_MERGE,
};

/* On [10 20 30] with leaf_max 4: the root leaf splits at the 2nd op. */
static const struct fcase case_batch = {
	.name = "batch", .op = FOP_BATCH,
	.leaf_max = 4, .inner_max = 4, .chain_max = 2, .nkeys = 3,
	.proof = PROOF_GROW,
};

static const struct bwtree_ioc_batch_op batch_ops[] = {
	{ .op = BWTREE_IOC_OP_INSERT, .key = 40 },
	{ .op = BWTREE_IOC_OP_INSERT, .key = 50 },
	{ .op = BWTREE_IOC_OP_UPSERT, .key = 20 },	/* replaces */
	{ .op = BWTREE_IOC_OP_UPSERT, .key = 60 },	/* inserts */
	{ .op = BWTREE_IOC_OP_LOOKUP, .key = 40 },
	{ .op = BWTREE_IOC_OP_INSERT, .key = 30 },	/* -EEXIST */
	{ .op = BWTREE_IOC_OP_DELETE, .key = 10 },
	{ .op = BWTREE_IOC_OP_DELETE, .key = 15 },	/* -ENOENT */
	{ .op = BWTREE_IOC_OP_UPSERT, .key = 25 },
	{ .op = BWTREE_IOC_OP_LOOKUP, .key = 99 },	/* -ENOENT */
};

#define NR_BATCH_OPS	BW_ARRAY_SIZE(batch_ops)

/*
 * The whole tree in one call; default nodes; keys go in out of order.  The
 * core's scan folds short chains on the stack and allocates nothing; the
 * kernel's copy of the pairs comes from kvmalloc(), which absorbs one
 * failure (vmalloc()).
 */
static const struct fcase case_scan = {
	.name = "scan", .op = FOP_SCAN,
	.nkeys = SCAN_KEYS, .absorbs = true,
};

static const struct fcase case_scan_reverse = {
	.name = "scan-reverse", .op = FOP_SCAN,
	.nkeys = SCAN_KEYS, .reverse = true, .absorbs = true,
};

/*
 * BIG_OPS LOOKUPs in one BATCH, half of them of absent keys: the kernel's
 * copy of the array is 64 KB, from the page allocator, and kvmalloc()
 * absorbs its failure with vmalloc(); a failure inside vmalloc() means the
 * page allocation succeeded.  Lookups allocate nothing, so no single
 * failure can fail the call for memory.
 */
static const struct fcase case_batch_big = {
	.name = "batch-lookups", .op = FOP_BATCH_BIG,
	.leaf_max = 8, .inner_max = 8, .nkeys = BIG_OPS / 2,
	.absorbs = true,
};

/*
 * Reads of a tree of three levels: only user copies, and the GFP_NOWAIT
 * allocations of a lookup that folds a leaf's chain, whose failure leaves
 * the chain as it was: never -ENOMEM.
 */
static const struct fcase case_lookup = {
	.name = "lookup", .op = FOP_LOOKUP,
	.leaf_max = 4, .inner_max = 4, .nkeys = 12, .key = 60,
	.no_alloc = true,
};

static const struct fcase case_count = {
	.name = "count", .op = FOP_COUNT,
	.leaf_max = 4, .inner_max = 4, .nkeys = 12, .no_alloc = true,
};

static const struct fcase case_stats = {
	.name = "stats", .op = FOP_STATS,
	.leaf_max = 4, .inner_max = 4, .nkeys = 12, .no_alloc = true,
};

/* The names of the named trees, ours among them, into a kernel buffer. */
static const struct fcase case_list = {
	.name = "list", .op = FOP_LIST,
	.leaf_max = 4, .inner_max = 4, .nkeys = 3,
};

/* A named tree of 12 keys: binding a file to it allocates nothing. */
static const struct fcase case_attach = {
	.name = "attach", .op = FOP_ATTACH,
	.leaf_max = 4, .inner_max = 4, .nkeys = 12, .no_alloc = true,
};

/* Unlinking it, no file bound: it is freed within the call. */
static const struct fcase case_destroy = {
	.name = "destroy", .op = FOP_DESTROY,
	.leaf_max = 4, .inner_max = 4, .nkeys = 12, .no_alloc = true,
};

/* ------------------------------------------------------------------ */
/* One sweep's state. */

struct tally {
	unsigned int sites;	/* failures injected */
	unsigned int enomem, efault, absorbed;
};

struct run {
	const struct fcase *c;
	int nth;		/* this task's fail-nth */
	unsigned int n;		/* the site being failed, 0 for none */
	bool uc_only;		/* user copies alone */
	int fd;			/* the tree's file, or -1 */
	bool created;		/* CREATE succeeded on @fd */
	char dbg[PATH_MAX];	/* the tree's debugfs directory, or "" */
	struct model m;		/* what the tree holds */
	struct bwtree_ioc_stats st0;	/* statistics of the start state */
	struct bw_snap snap0;	/* snapshot of the start state */
	/* outputs of the call */
	uint64_t value;
	uint32_t replaced;
	struct bwtree_ioc_batch_op ops[NR_BATCH_OPS];
	uint32_t first, done;	/* BATCH: ops[first..] passed; done */
	struct bwtree_ioc_pair *pairs;	/* SCAN_MAX, faulted in */
	uint32_t count, sdone;
	int64_t next;
	struct bwtree_ioc_batch_op *big;	/* BIG_OPS, faulted in */
	uint64_t cnt;			/* COUNT */
	struct bwtree_ioc_stats st;	/* STATS */
	struct bwtree_ioc_list list;	/* LIST: the call's */
	struct bwtree_ioc_list list0;	/* LIST: before the sweeps */
	char *names, *names0;		/* LIST_BUF each, faulted in */
	/* trees of the case that outlive its attempts */
	long own_named, own_anon;
	struct counters base;	/* the module's counters before the test */
	/* the data cases' closer thread, and its pipe of files to close */
	pthread_t reaper;
	int reaper_pipe[2];
	bool reaping;
	char why[1024];
};

static __printf(2, 3) int fail(struct run *r, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	len = snprintf(r->why, sizeof(r->why), "%s%s, N=%u: ", r->c->name,
		       r->uc_only ? " (user copies)" : "", r->n);
	if (len >= sizeof(r->why))
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->why + len, sizeof(r->why) - len, fmt, ap);
	va_end(ap);
	return -1;
}

static int create_tree(int fd, const char *name, uint32_t flags,
		       const struct fcase *c)
{
	struct bwtree_ioc_create cr = {
		.size = sizeof(cr),
		.flags = flags,
		.name = (uintptr_t)name,
		.name_len = name ? strlen(name) : 0,
		.leaf_max = c->leaf_max,
		.inner_max = c->inner_max,
		.chain_max = c->chain_max,
	};

	return bw_ioctl(fd, BWTREE_IOC_CREATE, &cr);
}

/* The debugfs directory of the anonymous tree made last, or "". */
static void newest_anon_dir(char *out, size_t len)
{
	unsigned long long id, best = 0;
	DIR *d = opendir(BW_DEBUGFS);
	struct dirent *e;

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "anon:%llu", &id) == 1 && id >= best) {
			best = id;
			snprintf(out, len, BW_DEBUGFS "%s", e->d_name);
		}
	closedir(d);
}

/* The tree's own invariant check, through debugfs. */
static int check_validate(struct run *r)
{
	char path[PATH_MAX + 16], buf[32];
	int ret;

	if (!r->dbg[0])
		return 0;
	snprintf(path, sizeof(path), "%s/validate", r->dbg);
	ret = read_text(path, buf, sizeof(buf));
	if (ret)
		return fail(r, "%s: %s", path, strerror(-ret));
	if (strcmp(buf, "0"))
		return fail(r, "the tree is broken: %s says %s", path, buf);
	return 0;
}

/* The tree holds exactly the model's pairs. */
static int check_tree(struct run *r)
{
	const struct model *m = &r->m;
	struct bwtree_ioc_pair *got = calloc(m->n + 1, sizeof(*got));
	uint64_t count;
	long n;
	int ret = 0;

	if (!got)
		return fail(r, "out of memory");
	if (bw_count(r->fd, &count) || count != m->n) {
		ret = fail(r, "COUNT %llu, model %zu", (unsigned long long)count,
			   m->n);
		goto out;
	}
	n = bw_scan_all(r->fd, INT64_MIN, INT64_MAX, 0, 256, got, m->n + 1);
	if (n != (long)m->n)
		ret = fail(r, "full scan gave %ld pairs, model %zu", n, m->n);
	else if (memcmp(got, m->a, m->n * sizeof(*got)))
		ret = fail(r, "the tree's pairs differ from the model's");
out:
	free(got);
	return ret;
}

static int check_counters(struct run *r, long named, long anon, bool bytes)
{
	struct counters c;

	if (counters_read(&c))
		return fail(r, BW_SYSFS ": unreadable");
	if (c.named != r->base.named + named ||
	    c.anon != r->base.anon + anon ||
	    (bytes && c.bytes != r->base.bytes))
		return fail(r,
			    "module counters named_trees %ld anon_trees %ld bytes %ld, want %ld %ld %ld",
			    c.named, c.anon, c.bytes, r->base.named + named,
			    r->base.anon + anon, r->base.bytes);
	return 0;
}

/* The clean run did what the case is about. */
static int check_proof(struct run *r)
{
	const struct bwtree_ioc_stats *a = &r->st0;
	struct bwtree_ioc_stats b;
	bool ok;

	if (bw_stats(r->fd, &b))
		return fail(r, "STATS failed");
	switch (r->c->proof) {
	case PROOF_INSERT_DELTA:
		ok = b.records[BWTREE_IOC_REC_INSERT] >
		     a->records[BWTREE_IOC_REC_INSERT];
		break;
	case PROOF_DELETE_DELTA:
		ok = b.records[BWTREE_IOC_REC_DELETE] >
		     a->records[BWTREE_IOC_REC_DELETE];
		break;
	case PROOF_SPLIT:
		ok = b.splits > a->splits && b.height == a->height;
		break;
	case PROOF_GROW:
		ok = b.splits > a->splits && b.height == a->height + 1;
		break;
	case PROOF_MERGE:
		ok = b.merges > a->merges;
		break;
	case PROOF_CONSOLIDATE:
		ok = b.consolidations > a->consolidations;
		break;
	default:
		ok = true;
	}
	if (!ok)
		return fail(r,
			    "did not do what the case is about: height %llu->%llu splits %llu->%llu merges %llu->%llu consolidations %llu->%llu",
			    (unsigned long long)a->height,
			    (unsigned long long)b.height,
			    (unsigned long long)a->splits,
			    (unsigned long long)b.splits,
			    (unsigned long long)a->merges,
			    (unsigned long long)b.merges,
			    (unsigned long long)a->consolidations,
			    (unsigned long long)b.consolidations);
	return 0;
}

/*
 * After a failure that changed no key: a structure modification may have
 * run on the way (splits, merges and consolidations move no key), but if
 * none did, every record and byte must be as before.
 */
static int check_stats_kept(struct run *r)
{
	static const int smo[] = {
		BWTREE_IOC_REC_SPLIT, BWTREE_IOC_REC_INDEX,
		BWTREE_IOC_REC_INDEX_DEL, BWTREE_IOC_REC_REMOVE,
		BWTREE_IOC_REC_MERGE,
	};
	const struct bwtree_ioc_stats *a = &r->st0;
	struct bwtree_ioc_stats b;
	unsigned int i;

	if (bw_stats(r->fd, &b))
		return fail(r, "STATS failed");
	if (a->splits != b.splits || a->merges != b.merges ||
	    a->consolidations != b.consolidations || a->height != b.height)
		return 0;
	for (i = 0; i < BW_ARRAY_SIZE(smo); i++)
		if (a->records[smo[i]] != b.records[smo[i]])
			return 0;
	for (i = 0; i < BWTREE_IOC_REC_NR; i++)
		if (a->records[i] != b.records[i])
			return fail(r,
				    "no structure modification, yet %llu records of kind %u, %llu before",
				    (unsigned long long)b.records[i], i,
				    (unsigned long long)a->records[i]);
	if (a->bytes != b.bytes || a->pages != b.pages || a->count != b.count)
		return fail(r,
			    "no structure modification, yet bytes %llu pages %llu count %llu, before %llu %llu %llu",
			    (unsigned long long)b.bytes,
			    (unsigned long long)b.pages,
			    (unsigned long long)b.count,
			    (unsigned long long)a->bytes,
			    (unsigned long long)a->pages,
			    (unsigned long long)a->count);
	return 0;
}

/*
 * What one operation does to the model: its result as BATCH reports it
 * (UPSERT: 1 when it replaced), and in @out the value DELETE and LOOKUP
 * give.
 */
static int64_t model_apply(struct model *m, uint32_t op, int64_t key,
			   uint64_t value, uint64_t *out)
{
	bool present = model_get(m, key, out);

	switch (op) {
	case BWTREE_IOC_OP_INSERT:
		if (present)
			return -EEXIST;
		model_put(m, key, value, false);
		return 0;
	case BWTREE_IOC_OP_UPSERT:
		model_put(m, key, value, true);
		return present;
	case BWTREE_IOC_OP_DELETE:
		if (!present)
			return -ENOENT;
		model_del(m, key, NULL);
		return 0;
	default:
		return present ? 0 : -ENOENT;
	}
}

/*
 * A new tree in the case's start state, all in one BATCH: anonymous, or
 * named @name (and kept by the registry); @r->fd is bound to it.
 */
static int build_tree(struct run *r, const char *name)
{
	const struct fcase *c = r->c;
	unsigned int n = c->nkeys + c->ndel, i;
	struct bwtree_ioc_batch_op *ops = NULL;
	uint32_t done;
	int ret;

	model_free(&r->m);
	r->fd = bw_open(O_RDWR);
	if (r->fd < 0)
		return fail(r, "open: %s", strerror(-r->fd));
	ret = create_tree(r->fd, name, name ? BWTREE_IOC_CREATE_ATTACH :
			  BWTREE_IOC_CREATE_ANON, c);
	if (ret)
		return fail(r, "CREATE of the start state: %s", strerror(-ret));
	if (name)
		snprintf(r->dbg, sizeof(r->dbg), BW_DEBUGFS "%s", name);
	else
		newest_anon_dir(r->dbg, sizeof(r->dbg));
	if (!r->dbg[0])
		return fail(r, "no debugfs directory for the new tree");
	if (n) {
		ops = calloc(n, sizeof(*ops));
		if (!ops)
			return fail(r, "out of memory");
	}
	for (i = 0; i < c->nkeys; i++) {
		/* 7919 is prime: a permutation of 0..nkeys-1 for SCAN. */
		unsigned int k = c->op == FOP_SCAN ? i * 7919 % c->nkeys : i;
		int64_t key = 10 * (int64_t)(k + 1);

		ops[i].op = BWTREE_IOC_OP_INSERT;
		ops[i].key = key;
		ops[i].value = bw_val_of(key, 0);
		model_put(&r->m, key, ops[i].value, false);
	}
	for (i = 0; i < c->ndel; i++) {
		ops[c->nkeys + i].op = BWTREE_IOC_OP_DELETE;
		ops[c->nkeys + i].key = 10 * (int64_t)(c->nkeys - i);
		model_del(&r->m, ops[c->nkeys + i].key, NULL);
	}
	if (n) {
		ret = bw_batch(r->fd, ops, n, &done);
		for (i = 0; !ret && i < n; i++)
			if (ops[i].result)
				ret = ops[i].result;
		free(ops);
		if (ret || done != n)
			return fail(r, "BATCH of the start state: %s, %u done",
				    strerror(-ret), done);
	}
	if (bw_stats(r->fd, &r->st0))
		return fail(r, "STATS of the start state failed");
	r->snap0 = bw_snapshot(r->fd);
	if (r->snap0.err || r->snap0.count != r->m.n)
		return fail(r, "snapshot of the start state: %d, %llu keys",
			    r->snap0.err, (unsigned long long)r->snap0.count);
	return 0;
}

static int build(struct run *r)
{
	return build_tree(r, NULL);
}

/*
 * The named tree of the case, kept by the registry alone, and @r->fd an
 * unbound file to work on it with.
 */
static int build_named(struct run *r)
{
	int err = build_tree(r, NAMED);

	if (err)
		return err;
	close(r->fd);
	r->fd = bw_open(O_RDWR);
	return r->fd < 0 ? fail(r, "open: %s", strerror(-r->fd)) : 0;
}

/* The cases whose one tree serves every attempt: calls that change none. */
static bool one_tree(const struct fcase *c)
{
	switch (c->op) {
	case FOP_SCAN:
	case FOP_BATCH_BIG:
	case FOP_LOOKUP:
	case FOP_COUNT:
	case FOP_STATS:
		return true;
	default:
		return false;
	}
}

/* The cases that build a new anonymous tree for every attempt. */
static bool tree_each(const struct fcase *c)
{
	switch (c->op) {
	case FOP_INSERT:
	case FOP_UPSERT:
	case FOP_DELETE:
	case FOP_BATCH:
		return true;
	default:
		return false;
	}
}

/* BIG_OPS LOOKUPs of keys 5, 10, 15, ...: the odd multiples are absent. */
static void big_reset(struct run *r)
{
	unsigned int i;

	for (i = 0; i < BIG_OPS; i++) {
		r->big[i].op = BWTREE_IOC_OP_LOOKUP;
		r->big[i].flags = 0;
		r->big[i].key = 5 * (int64_t)(i + 1);
		r->big[i].value = 0;
		r->big[i].result = SENTINEL;
	}
}

static int list_call(int fd, struct bwtree_ioc_list *l, char *buf)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->buf = (uintptr_t)buf;
	l->buf_len = LIST_BUF;
	return bw_ioctl(fd, BWTREE_IOC_LIST, l);
}

static void batch_reset(struct run *r, uint32_t first)
{
	unsigned int i;

	r->first = first;
	for (i = first; i < NR_BATCH_OPS; i++) {
		r->ops[i] = batch_ops[i];
		r->ops[i].value = bw_val_of(batch_ops[i].key, i + 1);
		r->ops[i].result = SENTINEL;
	}
}

/* The start state of one attempt. */
static int setup(struct run *r)
{
	int ret;

	r->created = false;
	switch (r->c->op) {
	case FOP_CREATE_ANON:
	case FOP_CREATE_NAMED:
		r->dbg[0] = '\0';
		model_free(&r->m);
		r->fd = bw_open(O_RDWR);
		return r->fd < 0 ? fail(r, "open: %s", strerror(-r->fd)) : 0;
	case FOP_BATCH_BIG:
		big_reset(r);
		return 0;
	case FOP_BATCH:
		batch_reset(r, 0);
		return build(r);
	case FOP_LIST:
		return 0;
	case FOP_ATTACH:
		r->fd = bw_open(O_RDWR);
		return r->fd < 0 ? fail(r, "open: %s", strerror(-r->fd)) : 0;
	case FOP_DESTROY:
		/* Its debugfs directory goes with it: no validate. */
		ret = build_named(r);
		r->dbg[0] = '\0';
		return ret;
	default:
		/* one tree for every attempt: the call changes none */
		return one_tree(r->c) ? 0 : build(r);
	}
}

/*
 * The call under test, the only thing that runs while fail-nth is armed:
 * every buffer it touches is faulted in already, so no page fault
 * allocates on its behalf.
 */
static int call(struct run *r)
{
	const struct fcase *c = r->c;

	switch (c->op) {
	case FOP_CREATE_ANON:
		return create_tree(r->fd, NULL, BWTREE_IOC_CREATE_ANON, c);
	case FOP_CREATE_NAMED:
		return create_tree(r->fd, NAMED, BWTREE_IOC_CREATE_ATTACH, c);
	case FOP_INSERT:
		return bw_insert(r->fd, c->key, bw_val_of(c->key, 1));
	case FOP_UPSERT:
		r->replaced = 7;
		return bw_upsert(r->fd, c->key, bw_val_of(c->key, 1), &r->replaced);
	case FOP_DELETE:
		r->value = 0;
		return bw_delete(r->fd, c->key, &r->value);
	case FOP_BATCH:
		return bw_batch(r->fd, r->ops + r->first,
				NR_BATCH_OPS - r->first, &r->done);
	case FOP_SCAN:
		r->count = UNWRITTEN;
		return bw_scan(r->fd, INT64_MIN, INT64_MAX,
			       c->reverse ? BWTREE_IOC_SCAN_REVERSE : 0,
			       r->pairs, SCAN_MAX, &r->count, &r->next,
			       &r->sdone);
	case FOP_BATCH_BIG:
		return bw_batch(r->fd, r->big, BIG_OPS, &r->done);
	case FOP_LOOKUP:
		r->value = 0;
		return bw_lookup(r->fd, c->key, &r->value);
	case FOP_COUNT:
		return bw_count(r->fd, &r->cnt);
	case FOP_STATS:
		return bw_stats(r->fd, &r->st);
	case FOP_LIST:
		return list_call(r->fd, &r->list, r->names);
	case FOP_ATTACH:
		return bw_attach(r->fd, NAMED);
	case FOP_DESTROY:
		return bw_destroy(r->fd, NAMED);
	}
	return -EINVAL;
}

/*
 * Check the results of a BATCH from ops[r->first] that returned @ret, and
 * apply the ops that ran to the model.
 */
static int check_batch(struct run *r, int ret)
{
	uint32_t i, end = r->first + r->done;

	if (r->done > NR_BATCH_OPS - r->first)
		return fail(r, "BATCH done %u of %zu", r->done,
			    NR_BATCH_OPS - r->first);
	if (!ret && end != NR_BATCH_OPS)
		return fail(r, "BATCH returned 0 with %u of %zu done", r->done,
			    NR_BATCH_OPS - r->first);
	for (i = r->first; i < end; i++) {
		struct bwtree_ioc_batch_op *op = &r->ops[i];
		uint64_t out = 0;
		int64_t want = model_apply(&r->m, op->op, op->key, op->value,
					   &out);

		if (op->result != want)
			return fail(r, "BATCH op %u (%u, key %lld): result %lld, want %lld",
				    i, op->op, (long long)op->key,
				    (long long)op->result, (long long)want);
		if (!want && (op->op == BWTREE_IOC_OP_DELETE ||
			      op->op == BWTREE_IOC_OP_LOOKUP) &&
		    op->value != out)
			return fail(r, "BATCH op %u: value %llu, want %llu", i,
				    (unsigned long long)op->value,
				    (unsigned long long)out);
	}
	if (ret) {
		if (r->ops[end].result != ret)
			return fail(r, "BATCH failed with %d but op %u says %lld",
				    ret, end, (long long)r->ops[end].result);
		for (i = end + 1; i < NR_BATCH_OPS; i++)
			if (r->ops[i].result != -ECANCELED)
				return fail(r,
					    "BATCH op %u after the failure: %lld, want -ECANCELED",
					    i, (long long)r->ops[i].result);
	}
	return 0;
}

/* SCAN's pairs are the model's, in the case's order. */
static bool scan_matches(const struct run *r)
{
	size_t i, n = r->m.n;

	if (!r->c->reverse)
		return !memcmp(r->pairs, r->m.a, n * sizeof(*r->pairs));
	for (i = 0; i < n; i++)
		if (r->pairs[i].key != r->m.a[n - 1 - i].key ||
		    r->pairs[i].value != r->m.a[n - 1 - i].value)
			return false;
	return true;
}

/* The big BATCH ran every LOOKUP, each with the model's answer. */
static int check_big(struct run *r)
{
	uint32_t i;

	if (r->done != BIG_OPS)
		return fail(r, "BATCH done %u of %u", r->done, BIG_OPS);
	for (i = 0; i < BIG_OPS; i++) {
		const struct bwtree_ioc_batch_op *op = &r->big[i];
		uint64_t out = 0;
		bool present = model_get(&r->m, op->key, &out);

		if (op->result != (present ? 0 : -ENOENT) ||
		    (present && op->value != out))
			return fail(r, "BATCH op %u (key %lld): result %lld value %llu",
				    i, (long long)op->key,
				    (long long)op->result,
				    (unsigned long long)op->value);
	}
	return 0;
}

/* The call succeeded; @clean: no failure was injected into it (or a retry). */
static int check_success(struct run *r, int ret, bool clean)
{
	const struct fcase *c = r->c;
	char path[PATH_MAX + 16];
	struct bwtree_ioc_stats st;
	uint64_t out = 0;
	int64_t want;
	int err;

	if (ret)
		return fail(r, "returned %d (%s)", ret, strerror(-ret));
	switch (c->op) {
	case FOP_CREATE_ANON:
	case FOP_CREATE_NAMED:
		r->created = true;
		if (bw_stats(r->fd, &st) || st.leaf_max != c->leaf_max ||
		    st.inner_max != c->inner_max ||
		    st.chain_max != c->chain_max || st.count)
			return fail(r, "the new tree's STATS are wrong");
		err = check_counters(r, c->op == FOP_CREATE_NAMED,
				     c->op == FOP_CREATE_ANON, false);
		if (err)
			return err;
		if (c->op == FOP_CREATE_NAMED)
			snprintf(r->dbg, sizeof(r->dbg), BW_DEBUGFS NAMED);
		else
			newest_anon_dir(r->dbg, sizeof(r->dbg));
		/*
		 * A debugfs file that could not be made is no error; a clean
		 * run makes them all.
		 */
		snprintf(path, sizeof(path), "%s/validate", r->dbg);
		if (!r->dbg[0] || access(path, F_OK)) {
			if (clean)
				return fail(r, "no debugfs files after a clean CREATE");
			r->dbg[0] = '\0';
		}
		if (bw_insert(r->fd, 1, 2) || bw_lookup(r->fd, 1, &out) ||
		    out != 2)
			return fail(r, "the new tree does not work");
		model_put(&r->m, 1, 2, false);
		return check_tree(r);
	case FOP_INSERT:
	case FOP_UPSERT:
	case FOP_DELETE:
		want = model_apply(&r->m, c->op == FOP_INSERT ?
				   BWTREE_IOC_OP_INSERT : c->op == FOP_UPSERT ?
				   BWTREE_IOC_OP_UPSERT : BWTREE_IOC_OP_DELETE,
				   c->key, bw_val_of(c->key, 1), &out);
		if (want < 0)
			return fail(r, "the case is wrong: model says %lld",
				    (long long)want);
		if (c->op == FOP_UPSERT && r->replaced != want)
			return fail(r, "UPSERT replaced %u, want %lld",
				    r->replaced, (long long)want);
		if (c->op == FOP_DELETE && r->value != out)
			return fail(r, "DELETE gave value %llu, want %llu",
				    (unsigned long long)r->value,
				    (unsigned long long)out);
		break;
	case FOP_BATCH:
		err = check_batch(r, 0);
		if (err)
			return err;
		break;
	case FOP_SCAN:
		if (r->count != r->m.n || !r->sdone || !scan_matches(r))
			return fail(r, "SCAN gave %u pairs, done %u; want the %zu of the model",
				    r->count, r->sdone, r->m.n);
		return 0;
	case FOP_BATCH_BIG:
		err = check_big(r);
		if (err)
			return err;
		break;
	case FOP_LOOKUP:
		if (!model_get(&r->m, c->key, &out) || r->value != out)
			return fail(r, "LOOKUP gave %llu, want %llu",
				    (unsigned long long)r->value,
				    (unsigned long long)out);
		break;
	case FOP_COUNT:
		if (r->cnt != r->m.n)
			return fail(r, "COUNT gave %llu, want %zu",
				    (unsigned long long)r->cnt, r->m.n);
		break;
	case FOP_STATS:
		if (r->st.count != r->m.n || r->st.leaf_max != c->leaf_max ||
		    r->st.height != r->st0.height)
			return fail(r, "STATS gave count %llu leaf_max %u height %llu",
				    (unsigned long long)r->st.count,
				    r->st.leaf_max,
				    (unsigned long long)r->st.height);
		break;
	case FOP_LIST:
		if (r->list.buf_len != r->list0.buf_len ||
		    r->list.num_trees != r->list0.num_trees ||
		    memcmp(r->names, r->names0, r->list0.buf_len))
			return fail(r, "LIST gave %u trees in %u bytes, before %u in %u",
				    r->list.num_trees, r->list.buf_len,
				    r->list0.num_trees, r->list0.buf_len);
		return 0;
	case FOP_ATTACH:
		/* The file now reads the named tree. */
		return check_tree(r) ?: check_counters(r, 1, 0, false);
	case FOP_DESTROY:
		err = bw_open_named(NAMED, O_RDONLY);
		if (err >= 0) {
			close(err);
			return fail(r, "the tree is still there after DESTROY");
		}
		if (err != -ENOENT)
			return fail(r, "ATTACH after DESTROY: %d", err);
		/* Freed within the call: its bytes are back too. */
		return check_counters(r, 0, 0, true);
	}
	err = check_tree(r);
	if (!err && clean)
		err = check_proof(r);
	return err;
}

/* The call failed with @ret after a failure was injected. */
static int check_failure(struct run *r, int ret)
{
	const struct fcase *c = r->c;
	struct bw_snap s;
	uint64_t count;
	unsigned int i;
	int err;

	switch (c->op) {
	case FOP_CREATE_ANON:
	case FOP_CREATE_NAMED:
		if (bw_count(r->fd, &count) != -ENOTCONN)
			return fail(r, "the file is bound after a failed CREATE");
		err = check_counters(r, 0, 0, true);
		if (err)
			return err;
		if (c->op == FOP_CREATE_NAMED &&
		    bw_destroy(r->fd, NAMED) != -ENOENT)
			return fail(r, "the name exists after a failed CREATE");
		return 0;
	case FOP_BATCH:
		if (r->done != UNWRITTEN) {
			/* Stopped by -ENOMEM: the ops before it took effect. */
			if (ret != -ENOMEM)
				return fail(r, "BATCH ran and failed with %d", ret);
			err = check_batch(r, ret);
			return err ?: check_tree(r);
		}
		for (i = 0; i < NR_BATCH_OPS; i++)
			if (r->ops[i].result != SENTINEL)
				return fail(r, "BATCH failed before running, yet op %u was written",
					    i);
		break;
	case FOP_BATCH_BIG:
		/* Lookups cannot fail for memory: it failed before running. */
		for (i = 0; i < BIG_OPS; i++)
			if (r->big[i].result != SENTINEL)
				return fail(r, "BATCH failed with %d, yet op %u was written",
					    ret, i);
		break;
	case FOP_LIST:
		return 0;	/* changes nothing; the retry checks the names */
	case FOP_ATTACH:
		if (bw_count(r->fd, &count) != -ENOTCONN)
			return fail(r, "the file is bound after a failed ATTACH");
		return check_counters(r, 1, 0, false);
	case FOP_DESTROY: {
		int fd = bw_open_named(NAMED, O_RDONLY);

		if (fd < 0)
			return fail(r, "the tree is gone after a failed DESTROY: %d",
				    fd);
		s = bw_snapshot(fd);
		close(fd);
		if (!bw_snap_eq(r->snap0, s))
			return fail(r, "the tree changed in a failed DESTROY");
		return check_counters(r, 1, 0, false);
	}
	default:
		break;
	}
	s = bw_snapshot(r->fd);
	if (!bw_snap_eq(r->snap0, s))
		return fail(r, "the tree changed: %llu keys hash %llx, before %llu keys hash %llx",
			    (unsigned long long)s.count,
			    (unsigned long long)s.hash,
			    (unsigned long long)r->snap0.count,
			    (unsigned long long)r->snap0.hash);
	return check_tree(r) ?: check_stats_kept(r);
}

/* The same call again, without injection, must now succeed. */
static int retry(struct run *r)
{
	int ret;

	if (r->c->op == FOP_BATCH)
		batch_reset(r, r->done == UNWRITTEN ? r->first :
			    r->first + r->done);
	if (r->c->op == FOP_BATCH_BIG)
		big_reset(r);
	ret = call(r);
	if (ret)
		return fail(r, "again without injection: %d (%s)", ret,
			    strerror(-ret));
	return check_success(r, ret, true);
}

/*
 * Closing a tree's last file destroys the tree, and bwtree_destroy() waits
 * for an RCU barrier: tens of milliseconds in the debug guest.  The data
 * cases hand their files to a thread that closes them while the next
 * attempt runs (fail-nth counts only the sites that the task which armed it
 * reaches), and check the module's counters once it has closed them all.
 */
static void *reaper_fn(void *arg)
{
	struct run *r = arg;
	int fd;

	while (read(r->reaper_pipe[0], &fd, sizeof(fd)) == sizeof(fd) &&
	       fd >= 0)
		close(fd);
	return NULL;
}

static int reaper_start(struct run *r)
{
	if (pipe2(r->reaper_pipe, O_CLOEXEC))
		return fail(r, "pipe: %s", strerror(errno));
	errno = pthread_create(&r->reaper, NULL, reaper_fn, r);
	if (errno) {
		close(r->reaper_pipe[0]);
		close(r->reaper_pipe[1]);
		return fail(r, "pthread_create: %s", strerror(errno));
	}
	r->reaping = true;
	return 0;
}

/* Wait until every file handed over is closed. */
static void reaper_stop(struct run *r)
{
	int end = -1;

	if (!r->reaping)
		return;
	if (write(r->reaper_pipe[1], &end, sizeof(end)) != sizeof(end))
		abort();
	pthread_join(r->reaper, NULL);
	close(r->reaper_pipe[0]);
	close(r->reaper_pipe[1]);
	r->reaping = false;
}

static int teardown(struct run *r)
{
	const struct fcase *c = r->c;
	int ret;

	if (one_tree(c) || c->op == FOP_LIST)
		return 0;
	if (c->op == FOP_CREATE_NAMED) {
		ret = bw_destroy(r->fd, NAMED);
		if (ret != (r->created ? 0 : -ENOENT))
			return fail(r, "DESTROY: %d", ret);
	}
	if (r->reaping) {
		if (write(r->reaper_pipe[1], &r->fd, sizeof(r->fd)) !=
		    sizeof(r->fd))
			return fail(r, "pipe: %s", strerror(errno));
		r->fd = -1;
		return 0;
	}
	close(r->fd);
	r->fd = -1;
	/* Every tree of the attempt is gone: the counters are back. */
	return check_counters(r, r->own_named, r->own_anon,
			      !r->own_named && !r->own_anon);
}

/* Set up, fail the @n-th site of the call, check, tear down. */
static int attempt(struct run *r, unsigned int n, struct tally *t,
		   bool *clean)
{
	int ret, fired, err;

	r->n = n;
	err = setup(r);
	if (err)
		return err;
	if (nth_arm(r->nth, n))
		return fail(r, "cannot arm fail-nth: %s", strerror(errno));
	ret = call(r);
	fired = nth_disarm(r->nth);
	if (fired < 0)
		return fail(r, "cannot disarm fail-nth: %s", strerror(-fired));
	*clean = !fired;
	if (!fired) {
		err = check_success(r, ret, true);
	} else {
		t->sites++;
		if (ret == -ENOMEM)
			t->enomem++;
		else if (ret == -EFAULT)
			t->efault++;
		else if (!ret)
			t->absorbed++;
		else
			return fail(r, "returned %d (%s); only 0, -ENOMEM and -EFAULT may be",
				    ret, strerror(-ret));
		if (r->uc_only && ret != -EFAULT)
			return fail(r, "a failed user copy gave %d, not -EFAULT",
				    ret);
		if (!ret)
			err = check_success(r, ret, false);
		else
			err = check_failure(r, ret) ?: retry(r);
	}
	if (!err)
		err = check_validate(r);
	return err ?: teardown(r);
}

static int sweep(struct run *r, bool uc_only, struct tally *t)
{
	unsigned int n;
	bool clean;
	int ret;

	memset(t, 0, sizeof(*t));
	r->uc_only = uc_only;
	r->n = 0;
	ret = write_text(knobs[KNOB_CACHE_FILTER].path, uc_only ? "Y" : "N");
	if (ret)
		return fail(r, "cache-filter: %s", strerror(-ret));
	ret = write_text(knobs[KNOB_MIN_ORDER].path,
			 uc_only ? NO_PAGE_SITES : knobs[KNOB_MIN_ORDER].value);
	if (ret)
		return fail(r, "min-order: %s", strerror(-ret));
	/* The others check the counters after each attempt: no reaper. */
	if (tree_each(r->c)) {
		ret = reaper_start(r);
		if (ret)
			return ret;
	}
	for (n = 1; !ret; n++) {
		if (n > MAX_SITES) {
			ret = fail(r, "still reaching fault sites after %u",
				   MAX_SITES);
			break;
		}
		clean = false;
		ret = attempt(r, n, t, &clean);
		if (!ret && clean)
			break;
	}
	reaper_stop(r);
	r->n = 0;
	/* Every tree of the sweep is gone (but the case's own). */
	return ret ?: check_counters(r, r->own_named, r->own_anon,
				     !r->own_named && !r->own_anon);
}

static bool uses_named(const struct fcase *c)
{
	return c->op == FOP_CREATE_NAMED || c->op == FOP_LIST ||
	       c->op == FOP_ATTACH || c->op == FOP_DESTROY;
}

/* LIST_BUF bytes, written once so that every page is there for the call. */
static char *names_buf(void)
{
	char *p = malloc(LIST_BUF);

	if (p)
		memset(p, 0xa5, LIST_BUF);
	return p;
}

/* Once per test: the trees the attempts share; no leftover named tree. */
static int case_begin(struct run *r)
{
	const struct fcase *c = r->c;
	const char *name;
	int ret;

	r->fd = -1;
	r->own_named = 0;
	r->own_anon = 0;
	if (uses_named(c)) {
		ret = bw_open(O_RDWR);
		if (ret < 0)
			return fail(r, "open: %s", strerror(-ret));
		bw_destroy(ret, NAMED);
		close(ret);
	}
	if (counters_read(&r->base))
		return fail(r, BW_SYSFS ": unreadable");
	if (c->op == FOP_SCAN) {
		/* Written once here, so every page is there for the call. */
		r->pairs = calloc(SCAN_MAX, sizeof(*r->pairs));
		if (!r->pairs)
			return fail(r, "out of memory");
		memset(r->pairs, 0xa5, SCAN_MAX * sizeof(*r->pairs));
	}
	if (c->op == FOP_BATCH_BIG) {
		r->big = calloc(BIG_OPS, sizeof(*r->big));
		if (!r->big)
			return fail(r, "out of memory");
		big_reset(r);
	}
	if (one_tree(c)) {
		r->own_anon = 1;
		return build(r) ?: check_validate(r);
	}
	if (c->op != FOP_LIST && c->op != FOP_ATTACH)
		return 0;
	r->own_named = 1;
	ret = build_named(r);
	if (ret)
		return ret;
	if (c->op == FOP_ATTACH) {
		/* Each attempt attaches a new file. */
		close(r->fd);
		r->fd = -1;
		return check_validate(r);
	}
	r->names = names_buf();
	r->names0 = names_buf();
	if (!r->names || !r->names0)
		return fail(r, "out of memory");
	ret = list_call(r->fd, &r->list0, r->names0);
	if (ret)
		return fail(r, "LIST before the sweeps: %s", strerror(-ret));
	for (name = r->names0; name < r->names0 + r->list0.buf_len;
	     name += strlen(name) + 1)
		if (!strcmp(name, NAMED))
			return check_validate(r);
	return fail(r, "LIST does not name the tree %s", NAMED);
}

static int case_end(struct run *r)
{
	const struct fcase *c = r->c;
	int ret = 0, fd;

	if (one_tree(c) || c->op == FOP_LIST || c->op == FOP_ATTACH) {
		ret = check_validate(r);
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
	}
	if (c->op == FOP_LIST || c->op == FOP_ATTACH) {
		fd = bw_open(O_RDWR);
		if (fd < 0)
			return fail(r, "open: %s", strerror(-fd));
		if (bw_destroy(fd, NAMED) && !ret)
			ret = fail(r, "DESTROY of the case's tree failed");
		close(fd);
	}
	if (r->own_named || r->own_anon)
		ret = ret ?: check_counters(r, 0, 0, true);
	free(r->pairs);
	free(r->big);
	free(r->names);
	free(r->names0);
	r->pairs = NULL;
	r->big = NULL;
	r->names = NULL;
	r->names0 = NULL;
	model_free(&r->m);
	return ret;
}

/* ------------------------------------------------------------------ */

FIXTURE(fault) {
	int nth;
	struct run r;
};

FIXTURE_SETUP(fault)
{
	ASSERT_EQ(0, env_error[0]) TH_LOG("%s", env_error);
	self->nth = nth_open();
	ASSERT_LE(0, self->nth) TH_LOG("fail-nth: %s", strerror(errno));
	self->r.fd = -1;
}

FIXTURE_TEARDOWN(fault)
{
	if (self->r.fd >= 0)
		close(self->r.fd);
	if (self->nth >= 0)
		close(self->nth);
}

static void sweep_line(const char *name, const char *what,
		       const struct tally *t, double secs)
{
	ksft_print_msg("%s, %s: %u site%s, %u -ENOMEM, %u -EFAULT, %u absorbed, %.1f s\n",
		       name, what, t->sites, t->sites == 1 ? "" : "s",
		       t->enomem, t->efault, t->absorbed, secs);
}

static void add_totals(const struct tally *t, double secs)
{
	totals->sweeps++;
	totals->injected += t->sites;
	totals->enomem += t->enomem;
	totals->efault += t->efault;
	totals->absorbed += t->absorbed;
	totals->secs += secs;
}

/*
 * A call reaches the same sites in the same order on every run, but for
 * allocations the kernel makes for itself now and then: debugobjects, for
 * one, refills its pool from whichever task queues an RCU callback while
 * the pool is low, and kmemleak queues one for every object freed.  Such an
 * extra site takes the place of the N-th site in run N, which then fails in
 * no run (or a site fails twice).  Only SCAN frees memory before one of its
 * user copies, so only it was seen to miss one.  A sweep over all sites
 * whose -EFAULT count is not the number of user-copy sites is therefore
 * repeated, up to SWEEP_TRIES times in all: a real mismatch (an allocation
 * failure turned into -EFAULT, a failed copy ignored) repeats every time.
 */
#define SWEEP_TRIES	3

static void run_case(struct __test_metadata *_metadata, struct run *r,
		     int nth, const struct fcase *c)
{
	struct tally all, uc;
	unsigned int tries;
	double t0;

	r->c = c;
	r->nth = nth;
	t0 = now();
	ASSERT_EQ(0, case_begin(r)) TH_LOG("%s", r->why);
	if (c->op == FOP_SCAN)
		ksft_print_msg("%s: %u keys in %.1f s\n", c->name, c->nkeys,
			       now() - t0);
	t0 = now();
	ASSERT_EQ(0, sweep(r, true, &uc)) TH_LOG("%s", r->why);
	add_totals(&uc, now() - t0);
	sweep_line(c->name, "user copies", &uc, now() - t0);
	for (tries = 1; ; tries++) {
		t0 = now();
		ASSERT_EQ(0, sweep(r, false, &all)) TH_LOG("%s", r->why);
		add_totals(&all, now() - t0);
		sweep_line(c->name, "all sites", &all, now() - t0);
		if (all.efault == uc.sites || tries == SWEEP_TRIES)
			break;
		ksft_print_msg("%s: %u -EFAULT, %u user copies: again\n",
			       c->name, all.efault, uc.sites);
	}
	ASSERT_EQ(0, case_end(r)) TH_LOG("%s", r->why);
	fflush(stdout);

	/* Every ioctl copies its structure in: at least one user copy. */
	EXPECT_LT(0, uc.sites);
	EXPECT_EQ(uc.sites, uc.efault);
	/* Each user-copy site failed once in the full sweep, as -EFAULT. */
	EXPECT_EQ(uc.sites, all.efault)
		TH_LOG("%s: %u user-copy sites, %u -EFAULT in all sites (%u sweeps)",
		       c->name, uc.sites, all.efault, tries);
	if (c->no_alloc) {
		/* It allocates nothing: it cannot fail for memory. */
		EXPECT_EQ(0, all.enomem);
	} else if (c->absorbs) {
		/* It allocates, and survives the failure. */
		EXPECT_EQ(0, all.enomem);
		EXPECT_LT(0, all.absorbed);
	} else {
		/* It allocates, and fails without it. */
		EXPECT_LT(0, all.enomem);
	}
	EXPECT_EQ(all.sites, all.enomem + all.efault + all.absorbed);
}

TEST_F_TIMEOUT(fault, create_anon, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_create_anon);
}

TEST_F_TIMEOUT(fault, create_named, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_create_named);
}

TEST_F_TIMEOUT(fault, insert_empty, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_insert_empty);
}

TEST_F_TIMEOUT(fault, insert_split_leaf, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_insert_split_leaf);
}

TEST_F_TIMEOUT(fault, insert_split_root, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_insert_split_root);
}

TEST_F_TIMEOUT(fault, insert_split_inner, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_insert_split_inner);
}

TEST_F_TIMEOUT(fault, insert_consolidate, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_insert_consolidate);
}

TEST_F_TIMEOUT(fault, upsert, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_upsert);
}

TEST_F_TIMEOUT(fault, delete, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_delete);
}

TEST_F_TIMEOUT(fault, delete_merge, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_delete_merge);
}

TEST_F_TIMEOUT(fault, batch, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_batch);
}

TEST_F_TIMEOUT(fault, scan, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_scan);
}

TEST_F_TIMEOUT(fault, scan_reverse, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_scan_reverse);
}

TEST_F_TIMEOUT(fault, batch_lookups, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_batch_big);
}

TEST_F_TIMEOUT(fault, lookup, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_lookup);
}

TEST_F_TIMEOUT(fault, count, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_count);
}

TEST_F_TIMEOUT(fault, stats, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_stats);
}

TEST_F_TIMEOUT(fault, list, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_list);
}

TEST_F_TIMEOUT(fault, attach, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_attach);
}

TEST_F_TIMEOUT(fault, destroy, 300)
{
	run_case(_metadata, &self->r, self->nth, &case_destroy);
}

/* Last: the sum of the sweeps, and nothing left behind by any of them. */
TEST_F(fault, summary)
{
	struct counters c;
	char val[32];

	ksft_print_msg("total: %lu failures injected in %lu sweeps, %.1f s\n",
		       totals->injected, totals->sweeps, totals->secs);
	ksft_print_msg("total: %lu -ENOMEM, %lu -EFAULT, %lu absorbed\n",
		       totals->enomem, totals->efault, totals->absorbed);
	EXPECT_LT(0, totals->injected);
	ASSERT_EQ(0, counters_read(&c));
	EXPECT_EQ(base_counters.named, c.named);
	EXPECT_EQ(base_counters.anon, c.anon);
	EXPECT_EQ(base_counters.bytes, c.bytes);
	/* Still quiet: nobody turned verbose back on under us. */
	ASSERT_EQ(0, read_text(FAILSLAB "verbose", val, sizeof(val)));
	EXPECT_STREQ("0", val);
}

int main(int argc, char **argv)
{
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		return KSFT_FAIL;
	env_prepare();
	atexit(env_restore);
	return test_harness_run(argc, argv);
}
