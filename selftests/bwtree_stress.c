// SPDX-License-Identifier: GPL-2.0
/*
 * bwtree_stress: many threads on one tree through /dev/bwtree for a chosen
 * time, then the end state checked exactly.
 *
 *   bwtree_stress [--threads N] [--secs S] [--enomem-ok] [--seed X]
 *		   [--keys K] [--leaf-max N] [--inner-max N] [--chain-max N]
 *		   [--named]
 *
 * The tree is made with tiny nodes and short delta chains, so that splits,
 * merges and consolidations never stop.  Its keys come from a universe of K
 * keys (S64_MIN, S64_MAX and K - 2 keys spread between them) and every
 * value encodes its key.  One key in STABLE_EVERY is stable: inserted before
 * the threads start and never touched again.  Half of the other keys are
 * inserted then too.  The other keys are dealt to
 * N writer threads in turn: owners interleave, so that they share every
 * leaf, yet each writer knows exactly what its own keys hold and checks
 * every result against its private model.  The tree is anonymous and the
 * threads share its file; with --named it is a named tree, each thread
 * attaches a file of its own, and the tree is destroyed at the end.
 *
 *  - Writers run INSERT, UPSERT, DELETE, LOOKUP and BATCH (up to BATCH_MAX
 *    ops) on their own keys, and SCANs of random ranges, in which their own
 *    keys must appear exactly as their model has them.  Half of their keys
 *    come from a hot window of HOT_SPAN keys that moves every HOT_SECS, so
 *    that they all change the same few leaves at once.  Together they fill
 *    the tree to HIGH_WATER percent of their keys, then empty it down to
 *    LOW_WATER percent, over and over, so that nodes split and merge.
 *  - A reader looks up any key: a universe key's value encodes the key, a
 *    stable key is always there with its value, a key outside the universe
 *    is never found.  It also batches such lookups, and checks COUNT and
 *    STATS.
 *  - A scanner scans random ranges up and down, in pieces of random size:
 *    keys strictly ordered across pieces, inside the range, in the universe,
 *    values well-formed, and every stable key of the range returned.
 *  Every SCAN checks its cursor: a piece that is not the last must resume
 *  strictly past its last key and inside the range.
 *
 * Any error but the EEXIST and ENOENT the models predict is a failure.
 * With --enomem-ok (the guest has failslab failing some allocations from the
 * module's caches) ENOMEM is allowed on any ioctl, as the ABI allows it, and
 * what the ABI promises then is checked: a single op that failed changed
 * nothing (a LOOKUP checks at once), and a BATCH stopped at the op that
 * failed (earlier ops took effect, later ones report ECANCELED), or, failing
 * before it ran any op, changed nothing; the models follow exactly the ops
 * that ran.
 *
 * At the end the threads are joined and the tree must equal the union of
 * the models: COUNT, a full scan each way, a lookup of every key of the
 * universe and of the key after each.  STATS must show splits, merges and
 * consolidations (so that a run too short to cause them is seen), and with
 * --enomem-ok some ENOMEM must have been seen (so that a run where the
 * injection did nothing is seen).  kselftest TAP, with a progress line
 * every PROGRESS_SECS for long runs; exit status 0 when all passed, 4 when
 * the device is missing.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

#include "kselftest.h"
#include "bwtree_test.h"

#define KEY_STRIDE	7919	/* between universe keys: a prime */
#define STABLE_EVERY	16	/* one key in this many is stable */
#define BATCH_MAX	16	/* most ops in a writer's or reader's BATCH */
#define CHUNK_MAX	64	/* most pairs of a usual SCAN piece */
#define HIGH_WATER	80	/* percent of the writers' keys: start emptying */
#define LOW_WATER	20	/* percent: start filling again */
#define PHASE_OPS	3	/* most key ops of a phase, per writer key */
#define HOT_SPAN	64	/* key indexes in the hot window */
#define HOT_SECS	0.5	/* the hot window moves this often */
#define RETRIES		10000	/* ENOMEMs in a row before giving up */
#define RETRY_USECS	100	/* sleep between those retries */
#define STOP_GRACE	120	/* seconds the threads have to stop */
#define PROGRESS_SECS	60	/* a progress line this often */
#define UNTOUCHED	0x5a5a	/* a BATCH result the kernel did not write */
#define FILL_BATCH	64	/* inserts per BATCH that fills the tree */
#define NO_OWNER	0xffff	/* owner[] of a stable key */

/* For printf: int64_t and uint64_t are long on some ABIs, long long on others. */
#define LL(x)		((long long)(x))
#define ULL(x)		((unsigned long long)(x))

static struct {
	unsigned int writers;
	unsigned int secs;
	unsigned int keys;
	unsigned int leaf_max;
	unsigned int inner_max;
	unsigned int chain_max;
	bool enomem_ok;
	bool named;
	uint64_t seed;
	uint32_t max_scan;
	unsigned int nstable;
} cfg = {
	.writers = 4,
	.secs = 20,
	.keys = 2048,
	.leaf_max = 8,
	.inner_max = 4,
	.chain_max = 3,
};

static atomic_bool stop;		/* time is up, or a thread failed */
static atomic_bool shrinking;		/* the writers' phase */
static atomic_long hot_base;		/* the hot window's first key index */
static atomic_long present;		/* writer keys in the tree */
static atomic_ulong key_ops;		/* writers' ops on keys, batched or not */
static uint16_t *owner;			/* per key index: its writer */
static atomic_int failures;
static atomic_int finished;		/* threads that returned */

enum thr_role { WRITER, READER, SCANNER, VERIFIER };

static const char *const role_name[] = {
	[WRITER] = "writer", [READER] = "reader",
	[SCANNER] = "scanner", [VERIFIER] = "verification",
};

/**
 * struct thr - one thread, what it owns and what it counted
 * @th: the thread
 * @fd: its file of /dev/bwtree
 * @role: what it does
 * @id: writer number
 * @seed: its random state
 * @m: a writer's model of its own keys
 * @own: a writer's key indexes
 * @nown: how many
 * @buf: the pairs of the current scan: room for the universe
 * @want: what a writer expects of its own keys in a scan
 * @piece: the pairs of one SCAN: room for the largest
 * @scan: the current scan, for messages
 * @version: a writer's next value version
 * @ops: ioctls issued (read by the progress line)
 * @batch_ops: ops inside BATCHes
 * @scans: whole-range scans done
 * @enomem: ENOMEMs seen
 * @last: when its last ioctl returned, 0 before the run
 * @longest: the longest time from one ioctl's return to the next one's
 * @err: the first failure, or empty
 */
struct thr {
	pthread_t th;
	int fd;
	enum thr_role role;
	unsigned int id;
	uint64_t seed;
	struct model m;
	uint32_t *own;
	size_t nown;
	struct bwtree_ioc_pair *buf;
	struct bwtree_ioc_pair *want;
	struct bwtree_ioc_pair *piece;
	char scan[96];
	uint64_t version;
	atomic_ullong ops;
	uint64_t batch_ops;
	uint64_t scans;
	uint64_t enomem;
	double last;
	double longest;
	char err[512];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Record the thread's first failure and stop everyone; returns false. */
static __printf(2, 3) bool fail(struct thr *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->err[0]) {
		va_start(ap, fmt);
		vsnprintf(t->err, sizeof(t->err), fmt, ap);
		va_end(ap);
		atomic_fetch_add(&failures, 1);
	}
	atomic_store(&stop, true);
	return false;
}

/* After each ioctl: count it, and note the longest wait for one. */
static void count_op(struct thr *t)
{
	double t1 = now();

	atomic_fetch_add_explicit(&t->ops, 1, memory_order_relaxed);
	if (t->last && t1 - t->last > t->longest)
		t->longest = t1 - t->last;
	t->last = t1;
}

/*
 * An allowed ENOMEM (counted), after which the caller tries again: false
 * for any other result, or after RETRIES of them in a row.
 */
static bool retry(struct thr *t, int ret, int *tries)
{
	if (ret != -ENOMEM || !cfg.enomem_ok || ++*tries > RETRIES)
		return false;
	t->enomem++;
	usleep(RETRY_USECS);
	return true;
}

/* An allowed ENOMEM of an op that is not tried again: counted. */
static bool enomem(struct thr *t, int ret)
{
	if (ret != -ENOMEM || !cfg.enomem_ok)
		return false;
	t->enomem++;
	return true;
}

/* The universe: key_of() is strictly increasing over 0 .. keys - 1. */
static int64_t key_of(long i)
{
	if (i <= 0)
		return INT64_MIN;
	if (i >= cfg.keys - 1)
		return INT64_MAX;
	return (i - (int64_t)cfg.keys / 2) * KEY_STRIDE;
}

/* The index of @key in the universe, or -1. */
static long index_of(int64_t key)
{
	int64_t i;

	if (key == INT64_MIN)
		return 0;
	if (key == INT64_MAX)
		return cfg.keys - 1;
	if (key % KEY_STRIDE)
		return -1;
	i = key / KEY_STRIDE + cfg.keys / 2;
	return i >= 1 && i <= cfg.keys - 2 ? i : -1;
}

/* The first index whose key is >= @key (keys when none). */
static long index_ge(int64_t key)
{
	long lo = 0, hi = cfg.keys;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;

		if (key_of(mid) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The last index whose key is <= @key (-1 when none). */
static long index_le(int64_t key)
{
	long i = index_ge(key);

	return i < cfg.keys && key_of(i) == key ? i : i - 1;
}

/* Stable keys are never the extremes, which writers own. */
static bool is_stable(long i)
{
	return i % STABLE_EVERY == STABLE_EVERY / 2 && i != cfg.keys - 1;
}

static uint64_t stable_val(int64_t key)
{
	return bw_val_of(key, 0xffff);
}

/* @key moved by @d, saturating at the ends of s64. */
static int64_t nudge(int64_t key, int d)
{
	if ((d < 0 && key == INT64_MIN) || (d > 0 && key == INT64_MAX))
		return key;
	return key + d;
}

/* A key outside the universe: next to a universe key, or anywhere. */
static int64_t phantom_key(uint64_t *seed)
{
	int64_t k;

	if (bw_rand(seed) % 4 == 0) {
		do
			k = (int64_t)bw_rand(seed);
		while (index_of(k) >= 0);
		return k;
	}
	k = key_of(bw_rand(seed) % (cfg.keys - 1));
	return k + 1 + (int64_t)(bw_rand(seed) % (KEY_STRIDE - 1));
}

/* A random range: sometimes everything, usually a few to many keys. */
static void rand_range(uint64_t *seed, int64_t *lo, int64_t *hi)
{
	uint64_t r = bw_rand(seed) % 16;
	long a, b;

	if (r == 0) {
		*lo = INT64_MIN;
		*hi = INT64_MAX;
		return;
	}
	a = bw_rand(seed) % cfg.keys;
	b = a + bw_rand(seed) % (r < 10 ? 64 : cfg.keys);
	if (b >= cfg.keys)
		b = cfg.keys - 1;
	*lo = nudge(key_of(a), (int)(bw_rand(seed) % 3) - 1);
	*hi = nudge(key_of(b), (int)(bw_rand(seed) % 3) - 1);
	if (*lo > *hi) {
		int64_t x = *lo;

		*lo = *hi;
		*hi = x;
	}
}

/* Pairs per SCAN: usually few, sometimes the most the device allows. */
static uint32_t rand_chunk(uint64_t *seed)
{
	if (bw_rand(seed) % 8 == 0)
		return cfg.max_scan;
	return 1 + bw_rand(seed) % CHUNK_MAX;
}

/* A stable key's index strictly between indexes @a and @b, or -1. */
static long stable_between(long a, long b)
{
	long i;

	for (i = a + 1; i < b; i++)
		if (is_stable(i))
			return i;
	return -1;
}

/* Check one piece of a scan; @prev is the index of the last key so far. */
static bool scan_piece(struct thr *t, int64_t clo, int64_t chi, bool rev,
		       uint32_t count, long *prev, size_t *n)
{
	uint32_t i;
	long s;

	for (i = 0; i < count; i++) {
		int64_t k = t->piece[i].key;
		uint64_t v = t->piece[i].value;
		long x = index_of(k);

		if (x < 0 || k < clo || k > chi)
			return fail(t, "%s: piece [%lld, %lld] returned %lld",
				    t->scan, LL(clo), LL(chi), LL(k));
		if (rev ? x >= *prev : x <= *prev)
			return fail(t, "%s: %lld after %lld: out of order",
				    t->scan, LL(k), LL(key_of(*prev)));
		s = rev ? stable_between(x, *prev) : stable_between(*prev, x);
		if (s >= 0)
			return fail(t, "%s: stable key %lld missing between %lld and %lld",
				    t->scan, LL(key_of(s)), LL(key_of(*prev)),
				    LL(k));
		if (!bw_val_ok(k, v) || (is_stable(x) && v != stable_val(k)))
			return fail(t, "%s: key %lld has value %#llx",
				    t->scan, LL(k), ULL(v));
		t->buf[(*n)++] = t->piece[i];
		*prev = x;
	}
	return true;
}

/*
 * Scan [@lo, @hi] in pieces of @chunk pairs, checking each: the pairs go to
 * t->buf, *@np their number.  False on a failure, or (not a failure) when
 * the threads are told to stop.
 */
static bool scan_range(struct thr *t, int64_t lo, int64_t hi, bool rev,
		       uint32_t chunk, size_t *np)
{
	uint32_t flags = rev ? BWTREE_IOC_SCAN_REVERSE : 0;
	int64_t clo = lo, chi = hi;
	long ilo = index_ge(lo), ihi = index_le(hi);
	long prev = rev ? ihi + 1 : ilo - 1;	/* index of the last key */
	size_t n = 0, pieces = 0;
	int tries = 0;
	long s;

	snprintf(t->scan, sizeof(t->scan), "SCAN [%lld, %lld]%s max %u",
		 LL(lo), LL(hi), rev ? " reverse" : "", chunk);
	for (;;) {
		uint32_t count, done;
		int64_t next, last;
		int ret;

		if (t->role != VERIFIER && atomic_load(&stop))
			return false;
		ret = bw_scan(t->fd, clo, chi, flags, t->piece, chunk, &count,
			      &next, &done);
		count_op(t);
		if (retry(t, ret, &tries))
			continue;
		if (ret)
			return fail(t, "%s: piece [%lld, %lld]: error %d",
				    t->scan, LL(clo), LL(chi), ret);
		tries = 0;
		if (count > chunk || done > 1)
			return fail(t, "%s: count %u done %u", t->scan, count,
				    done);
		if (!scan_piece(t, clo, chi, rev, count, &prev, &n))
			return false;
		if (done)
			break;
		/* Resume strictly past the last key, inside the range. */
		last = count ? key_of(prev) : rev ? chi : clo;
		if (rev ? next >= last || next < lo : next <= last || next > hi)
			return fail(t, "%s: piece [%lld, %lld] of %u pairs not done, next %lld",
				    t->scan, LL(clo), LL(chi), count, LL(next));
		if (rev)
			chi = next;
		else
			clo = next;
		if (++pieces > cfg.keys + 16UL)
			return fail(t, "%s does not end", t->scan);
	}
	s = rev ? stable_between(ilo - 1, prev) : stable_between(prev, ihi + 1);
	if (s >= 0)
		return fail(t, "%s: stable key %lld missing at the end",
			    t->scan, LL(key_of(s)));
	t->scans++;
	*np = n;
	return true;
}

/* LOOKUP, tried again after allowed ENOMEMs. */
static int lookup(struct thr *t, int64_t key, uint64_t *value)
{
	int tries = 0, ret;

	do {
		ret = bw_lookup(t->fd, key, value);
		count_op(t);
	} while (retry(t, ret, &tries));
	return ret;
}

/* @key holds what the model says: an op on it just failed. */
static bool unchanged(struct thr *t, const char *op, int64_t key)
{
	uint64_t want = 0, got = 0;
	bool in = model_get(&t->m, key, &want);
	int ret = lookup(t, key, &got);

	if (ret != (in ? 0 : -ENOENT) || (in && got != want))
		return fail(t,
			    "%s %lld failed with ENOMEM but changed the key: LOOKUP %d value %#llx, was %s %#llx",
			    op, LL(key), ret, ULL(got),
			    in ? "present" : "absent", ULL(want));
	return true;
}

static void model_add(struct thr *t, int64_t key, uint64_t value)
{
	if (!model_put(&t->m, key, value, true))
		atomic_fetch_add(&present, 1);
}

static void model_remove(struct thr *t, int64_t key)
{
	if (model_del(&t->m, key, NULL))
		atomic_fetch_sub(&present, 1);
}

/* The position in t->own of the writer's first key index >= @i. */
static size_t own_ge(struct thr *t, long i)
{
	size_t lo = 0, hi = t->nown;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->own[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * An index of one of the writer's keys: half of the time from the hot
 * window, where all writers crowd into the same few leaves.
 */
static long own_index(struct thr *t)
{
	long base = atomic_load(&hot_base);
	size_t lo, hi;

	if (bw_rand(&t->seed) & 1) {
		lo = own_ge(t, base);
		hi = own_ge(t, base + HOT_SPAN);
		if (lo < hi)
			return t->own[lo + bw_rand(&t->seed) % (hi - lo)];
	}
	return t->own[bw_rand(&t->seed) % t->nown];
}

/*
 * One of the writer's keys: a quarter of the time any, otherwise one that
 * is (@in) or is not in the model, if a few tries find one (in the hot
 * window first, which the phase may have filled or emptied already).
 */
static int64_t pick_key(struct thr *t, bool in)
{
	int64_t k = key_of(own_index(t));
	int i;

	if (bw_rand(&t->seed) % 4 == 0)
		return k;
	for (i = 0; i < 8 && model_get(&t->m, k, NULL) != in; i++)
		k = key_of(i < 2 ? own_index(t) :
			   t->own[bw_rand(&t->seed) % t->nown]);
	if (in && t->m.n && !model_get(&t->m, k, NULL))
		k = t->m.a[bw_rand(&t->seed) % t->m.n].key;
	return k;
}

/* An op, weighted by the phase: filling or emptying the tree. */
static uint32_t pick_op(struct thr *t)
{
	/* Percent of INSERT, UPSERT, DELETE, LOOKUP. */
	static const uint8_t fill[] = { 60, 15, 10, 15 };
	static const uint8_t empty[] = { 5, 5, 75, 15 };
	const uint8_t *w = atomic_load(&shrinking) ? empty : fill;
	unsigned int r = bw_rand(&t->seed) % 100, op;

	for (op = 0; op < 3 && r >= w[op]; op++)
		r -= w[op];
	return BWTREE_IOC_OP_INSERT + op;
}

static const char *op_name(uint32_t op)
{
	static const char *const names[] = {
		[BWTREE_IOC_OP_INSERT] = "INSERT",
		[BWTREE_IOC_OP_UPSERT] = "UPSERT",
		[BWTREE_IOC_OP_DELETE] = "DELETE",
		[BWTREE_IOC_OP_LOOKUP] = "LOOKUP",
	};

	return op < BW_ARRAY_SIZE(names) && names[op] ? names[op] : "?";
}

/* One single-op ioctl on one of the writer's keys, checked exactly. */
static bool w_single(struct thr *t, uint32_t op)
{
	int64_t k = pick_key(t, op == BWTREE_IOC_OP_DELETE);
	uint64_t v = bw_val_of(k, t->version++), want = 0, got = 0;
	bool in = model_get(&t->m, k, &want);
	uint32_t replaced = 0;
	int ret;

	switch (op) {
	case BWTREE_IOC_OP_INSERT:
		ret = bw_insert(t->fd, k, v);
		break;
	case BWTREE_IOC_OP_UPSERT:
		ret = bw_upsert(t->fd, k, v, &replaced);
		break;
	case BWTREE_IOC_OP_DELETE:
		ret = bw_delete(t->fd, k, &got);
		break;
	default:
		ret = bw_lookup(t->fd, k, &got);
		break;
	}
	count_op(t);
	atomic_fetch_add_explicit(&key_ops, 1, memory_order_relaxed);
	if (enomem(t, ret))
		return unchanged(t, op_name(op), k);

	switch (op) {
	case BWTREE_IOC_OP_INSERT:
		if (ret != (in ? -EEXIST : 0))
			break;
		if (!in)
			model_add(t, k, v);
		return true;
	case BWTREE_IOC_OP_UPSERT:
		if (ret || replaced != in)
			break;
		model_add(t, k, v);
		return true;
	case BWTREE_IOC_OP_DELETE:
		if (ret != (in ? 0 : -ENOENT) || (in && got != want))
			break;
		model_remove(t, k);
		return true;
	default:
		if (ret != (in ? 0 : -ENOENT) || (in && got != want))
			break;
		return true;
	}
	return fail(t, "%s %lld: returned %d replaced %u value %#llx; the key was %s, value %#llx",
		    op_name(op), LL(k), ret, replaced, ULL(got),
		    in ? "present" : "absent", ULL(want));
}

/* Check one op of a batch that ran against the model, and apply it. */
static bool w_batch_op(struct thr *t, const struct bwtree_ioc_batch_op *o,
		       uint64_t in_value, unsigned int j)
{
	uint64_t want = 0;
	bool in = model_get(&t->m, o->key, &want);
	bool ok;

	switch (o->op) {
	case BWTREE_IOC_OP_INSERT:
		ok = o->result == (in ? -EEXIST : 0) && o->value == in_value;
		if (ok && !in)
			model_add(t, o->key, o->value);
		break;
	case BWTREE_IOC_OP_UPSERT:
		ok = o->result == in && o->value == in_value;
		if (ok)
			model_add(t, o->key, o->value);
		break;
	case BWTREE_IOC_OP_DELETE:
		ok = in ? !o->result && o->value == want :
			  o->result == -ENOENT && o->value == in_value;
		if (ok)
			model_remove(t, o->key);
		break;
	default:
		ok = in ? !o->result && o->value == want :
			  o->result == -ENOENT && o->value == in_value;
		break;
	}
	if (ok)
		return true;
	return fail(t, "BATCH op %u %s %lld: result %lld value %#llx; the key was %s, value %#llx",
		    j, op_name(o->op), LL(o->key), LL(o->result),
		    ULL(o->value), in ? "present" : "absent", ULL(want));
}

/*
 * A BATCH of ops on the writer's keys.  ENOMEM stops it at op @done, whose
 * result is the error; later ops are ECANCELED, and no op from there on
 * writes its value.  An ENOMEM before any op ran leaves @done and every
 * result as they were (UNTOUCHED).
 */
static bool w_batch(struct thr *t)
{
	struct bwtree_ioc_batch_op ops[BATCH_MAX];
	uint64_t in_value[BATCH_MAX];
	uint32_t n = 1 + bw_rand(&t->seed) % BATCH_MAX, j, done;
	int ret;

	memset(ops, 0, sizeof(ops));
	for (j = 0; j < n; j++) {
		ops[j].op = pick_op(t);
		ops[j].key = pick_key(t, ops[j].op == BWTREE_IOC_OP_DELETE);
		ops[j].value = bw_val_of(ops[j].key, t->version++);
		ops[j].result = UNTOUCHED;
		in_value[j] = ops[j].value;
	}
	ret = bw_batch(t->fd, ops, n, &done);
	count_op(t);
	atomic_fetch_add_explicit(&key_ops, n, memory_order_relaxed);
	t->batch_ops += n;
	if (!ret && done != n)
		return fail(t, "BATCH of %u: returned 0 with done %u", n, done);
	if (ret && !enomem(t, ret))
		return fail(t, "BATCH of %u: error %d (done %u)", n, ret, done);
	if (ret && done == 0xdead) {
		for (j = 0; j < n; j++) {
			if (ops[j].result != UNTOUCHED ||
			    ops[j].value != in_value[j])
				return fail(t,
					    "BATCH of %u: error %d before any op ran, but op %u has result %lld value %#llx",
					    n, ret, j, LL(ops[j].result),
					    ULL(ops[j].value));
			if (!unchanged(t, "BATCH", ops[j].key))
				return false;
		}
		return true;
	}
	if (ret && (done >= n || ops[done].result != ret))
		return fail(t, "BATCH of %u: error %d, done %u, that op's result %lld",
			    n, ret, done,
			    done < n ? LL(ops[done].result) : 0LL);
	for (j = ret ? done : n; j < n; j++)
		if ((j > done && ops[j].result != -ECANCELED) ||
		    ops[j].value != in_value[j])
			return fail(t,
				    "BATCH of %u stopped at %u: op %u has result %lld value %#llx",
				    n, done, j, LL(ops[j].result),
				    ULL(ops[j].value));
	for (j = 0; j < done; j++)
		if (!w_batch_op(t, &ops[j], in_value[j], j))
			return false;
	return !ret || unchanged(t, "BATCH", ops[done].key);
}

/* A scan in which the writer's own keys must be exactly as modelled. */
static bool w_scan(struct thr *t)
{
	bool rev = bw_rand(&t->seed) & 1;
	int64_t lo, hi;
	size_t n, nwant, i, j = 0;

	rand_range(&t->seed, &lo, &hi);
	if (!scan_range(t, lo, hi, rev, rand_chunk(&t->seed), &n))
		return false;
	nwant = model_range(&t->m, lo, hi, rev, t->want);
	for (i = 0; i < n; i++) {
		long x = index_of(t->buf[i].key);

		if (owner[x] != t->id)
			continue;
		if (j >= nwant || t->buf[i].key != t->want[j].key ||
		    t->buf[i].value != t->want[j].value)
			break;
		j++;
	}
	if (i == n && j == nwant)
		return true;
	if (i == n)
		return fail(t, "%s: own key %lld = %#llx missing (own pair %zu of %zu)",
			    t->scan, LL(t->want[j].key),
			    ULL(t->want[j].value), j, nwant);
	return fail(t,
		    "%s: returned own key %lld = %#llx, model has %lld = %#llx (own pair %zu of %zu)",
		    t->scan, LL(t->buf[i].key), ULL(t->buf[i].value),
		    j < nwant ? LL(t->want[j].key) : 0LL,
		    j < nwant ? ULL(t->want[j].value) : 0ULL, j, nwant);
}

static void *writer(void *arg)
{
	struct thr *t = arg;

	t->last = now();
	while (!atomic_load(&stop)) {
		unsigned int r = bw_rand(&t->seed) % 100;
		bool ok;

		if (r < 20)
			ok = w_batch(t);
		else if (r < 24)
			ok = w_scan(t);
		else
			ok = w_single(t, pick_op(t));
		if (!ok)
			break;
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

/* What a lookup of any key may return while the writers run. */
static bool r_check(struct thr *t, const char *op, int64_t k, int ret,
		    uint64_t v)
{
	long x = index_of(k);

	if (x >= 0 && is_stable(x)) {
		if (!ret && v == stable_val(k))
			return true;
	} else if (x >= 0) {
		if (ret == -ENOENT || (!ret && bw_val_ok(k, v)))
			return true;
	} else if (ret == -ENOENT) {
		return true;
	}
	return fail(t, "%s %lld (%s): returned %d value %#llx", op, LL(k),
		    x < 0 ? "not in the universe" :
		    is_stable(x) ? "stable" : "a writer's", ret, ULL(v));
}

static int64_t r_key(struct thr *t)
{
	if (bw_rand(&t->seed) % 4 == 0)
		return phantom_key(&t->seed);
	return key_of(bw_rand(&t->seed) % cfg.keys);
}

static bool r_batch(struct thr *t)
{
	struct bwtree_ioc_batch_op ops[BATCH_MAX];
	uint32_t n = 1 + bw_rand(&t->seed) % BATCH_MAX, j, done;
	int ret;

	memset(ops, 0, sizeof(ops));
	for (j = 0; j < n; j++) {
		ops[j].op = BWTREE_IOC_OP_LOOKUP;
		ops[j].key = r_key(t);
		ops[j].value = UNTOUCHED;
	}
	ret = bw_batch(t->fd, ops, n, &done);
	count_op(t);
	t->batch_ops += n;
	if (enomem(t, ret))
		return true;
	if (ret || done != n)
		return fail(t, "BATCH of %u lookups: error %d done %u", n, ret,
			    done);
	for (j = 0; j < n; j++) {
		if (ops[j].result && ops[j].value != UNTOUCHED)
			return fail(t, "BATCH LOOKUP %lld: result %lld but value %#llx written",
				    LL(ops[j].key), LL(ops[j].result),
				    ULL(ops[j].value));
		if (!r_check(t, "BATCH LOOKUP", ops[j].key, ops[j].result,
			     ops[j].value))
			return false;
	}
	return true;
}

/* COUNT or STATS, with slack for the writers' updates in flight. */
static bool r_count(struct thr *t, bool stats)
{
	unsigned long long count, most = cfg.keys + cfg.writers;
	struct bwtree_ioc_stats st;
	uint64_t c = 0;
	int ret, i;

	ret = stats ? bw_stats(t->fd, &st) : bw_count(t->fd, &c);
	count_op(t);
	if (enomem(t, ret))
		return true;
	if (ret)
		return fail(t, "%s: error %d", stats ? "STATS" : "COUNT", ret);
	count = stats ? st.count : c;
	if (count > most || count + cfg.writers < cfg.nstable)
		return fail(t, "%s: count %llu, want %u to %llu",
			    stats ? "STATS" : "COUNT", count, cfg.nstable,
			    most);
	if (!stats)
		return true;
	if ((cfg.leaf_max && st.leaf_max != cfg.leaf_max) ||
	    (cfg.inner_max && st.inner_max != cfg.inner_max) ||
	    (cfg.chain_max && st.chain_max != cfg.chain_max) ||
	    !st.height || !st.pages)
		return fail(t,
			    "STATS: leaf_max %u inner_max %u chain_max %u height %llu pages %llu",
			    st.leaf_max, st.inner_max, st.chain_max,
			    ULL(st.height), ULL(st.pages));
	for (i = BWTREE_IOC_REC_NR; i < BWTREE_IOC_REC_SLOTS; i++)
		if (st.records[i])
			return fail(t, "STATS: records[%d] is %llu", i,
				    ULL(st.records[i]));
	return true;
}

static void *reader(void *arg)
{
	struct thr *t = arg;

	t->last = now();
	while (!atomic_load(&stop)) {
		unsigned int r = bw_rand(&t->seed) % 100;
		uint64_t v = 0;
		int64_t k;
		bool ok;
		int ret;

		if (r < 20) {
			ok = r_batch(t);
		} else if (r < 24) {
			ok = r_count(t, r & 1);
		} else {
			k = r_key(t);
			ret = bw_lookup(t->fd, k, &v);
			count_op(t);
			ok = enomem(t, ret) || r_check(t, "LOOKUP", k, ret, v);
		}
		if (!ok)
			break;
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void *scanner(void *arg)
{
	struct thr *t = arg;

	t->last = now();
	while (!atomic_load(&stop)) {
		bool rev = bw_rand(&t->seed) & 1;
		int64_t lo, hi;
		size_t n;

		rand_range(&t->seed, &lo, &hi);
		if (!scan_range(t, lo, hi, rev, rand_chunk(&t->seed), &n))
			break;
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

/* Everything a thread needs but its file; false when out of memory. */
static bool thr_init(struct thr *t, enum thr_role role, unsigned int id)
{
	long i;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->role = role;
	t->id = id;
	t->seed = (cfg.seed ^ ((role * 1000ULL + id + 1) *
			       0x9e3779b97f4a7c15ULL)) | 1;
	t->buf = calloc(cfg.keys, sizeof(*t->buf));
	t->want = calloc(cfg.keys, sizeof(*t->want));
	t->piece = calloc(cfg.max_scan, sizeof(*t->piece));
	if (!t->buf || !t->want || !t->piece)
		return false;
	if (role != WRITER)
		return true;
	t->own = calloc(cfg.keys / cfg.writers + 1, sizeof(*t->own));
	if (!t->own)
		return false;
	for (i = 0; i < cfg.keys; i++)
		if (owner[i] == id)
			t->own[t->nown++] = i;
	return true;
}

static void thr_free(struct thr *t)
{
	model_free(&t->m);
	free(t->own);
	free(t->buf);
	free(t->want);
	free(t->piece);
}

/*
 * A file of the tree, or -errno: @create makes the tree (anonymous, or
 * named @name), else the file attaches to the tree named @name.
 */
static int open_tree(struct thr *t, const char *name, bool create)
{
	struct bwtree_ioc_create c = {
		.size = sizeof(c),
		.flags = name ? BWTREE_IOC_CREATE_ATTACH :
				BWTREE_IOC_CREATE_ANON,
		.name = (uintptr_t)name,
		.name_len = name ? strlen(name) : 0,
		.leaf_max = cfg.leaf_max,
		.inner_max = cfg.inner_max,
		.chain_max = cfg.chain_max,
	};
	int fd = bw_open(O_RDWR), tries = 0, ret;

	if (fd < 0)
		return fd;
	do {
		if (create)
			ret = bw_ioctl(fd, BWTREE_IOC_CREATE, &c);
		else
			ret = bw_attach(fd, name);
	} while (retry(t, ret, &tries));
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Before the threads start: every stable key, and half of the writers' keys
 * (into their models), so that the run starts half full, emptying.  BATCHes
 * of FILL_BATCH inserts, resumed at the op that met an ENOMEM.
 */
static int fill_tree(struct thr *v, struct thr *w)
{
	struct bwtree_ioc_batch_op ops[FILL_BATCH];
	uint32_t n = 0, j, done;
	int ret, tries = 0;
	long x = 0;

	for (;;) {
		for (; n < FILL_BATCH && x < cfg.keys; x++) {
			if (!is_stable(x) && bw_rand(&v->seed) % 2)
				continue;
			memset(&ops[n], 0, sizeof(ops[n]));
			ops[n].op = BWTREE_IOC_OP_INSERT;
			ops[n].key = key_of(x);
			ops[n].value = is_stable(x) ? stable_val(key_of(x)) :
						      bw_val_of(key_of(x), 0);
			n++;
		}
		if (!n)
			return 0;
		ret = bw_batch(v->fd, ops, n, &done);
		count_op(v);
		if (ret && (ret != -ENOMEM || !cfg.enomem_ok))
			return ret;
		if (ret && done == 0xdead)
			done = 0;	/* failed before it ran an op */
		if ((!ret && done != n) || done > n)
			return -EPROTO;
		if (!done && !retry(v, ret, &tries))
			return ret;
		for (j = 0; j < done; j++) {
			if (ops[j].result)
				return ops[j].result < 0 ? ops[j].result : -EPROTO;
			if (!is_stable(index_of(ops[j].key)))
				model_add(&w[owner[index_of(ops[j].key)]],
					  ops[j].key, ops[j].value);
		}
		if (done)
			tries = 0;
		n -= done;
		memmove(ops, ops + done, n * sizeof(*ops));
	}
}

/* The tree equals the union of the models: COUNT, STATS, scans, lookups. */
static bool verify(struct thr *v, struct thr *w, struct model *all)
{
	struct bwtree_ioc_stats st;
	uint64_t count = 0, got;
	unsigned int i;
	size_t n, j;
	int ret, tries = 0;
	long x;

	for (x = 0; x < cfg.keys; x++)
		if (is_stable(x))
			model_put(all, key_of(x), stable_val(key_of(x)), false);
	for (i = 0; i < cfg.writers; i++)
		for (j = 0; j < w[i].m.n; j++)
			if (model_put(all, w[i].m.a[j].key, w[i].m.a[j].value,
				      false))
				return fail(v, "key %lld in two models",
					    LL(w[i].m.a[j].key));
	do {
		ret = bw_count(v->fd, &count);
		count_op(v);
	} while (retry(v, ret, &tries));
	if (ret || count != all->n)
		return fail(v, "COUNT: %d, count %llu, want %zu", ret,
			    ULL(count), all->n);
	tries = 0;
	do {
		ret = bw_stats(v->fd, &st);
		count_op(v);
	} while (retry(v, ret, &tries));
	if (ret || st.count != all->n)
		return fail(v, "STATS: %d, count %llu, want %zu", ret,
			    ULL(st.count), all->n);

	for (i = 0; i < 2; i++) {
		if (!scan_range(v, INT64_MIN, INT64_MAX, i, i ? 100 : 256, &n))
			return false;
		if (n != all->n)
			return fail(v, "%s: %zu pairs, want %zu", v->scan, n,
				    all->n);
		for (j = 0; j < n; j++) {
			const struct bwtree_ioc_pair *p =
				&all->a[i ? n - 1 - j : j];

			if (v->buf[j].key != p->key ||
			    v->buf[j].value != p->value)
				return fail(v, "%s: pair %zu is %lld = %#llx, want %lld = %#llx",
					    v->scan, j, LL(v->buf[j].key),
					    ULL(v->buf[j].value), LL(p->key),
					    ULL(p->value));
		}
	}

	for (x = 0; x < cfg.keys; x++) {
		int64_t k = key_of(x);
		uint64_t want = 0;
		bool in = model_get(all, k, &want);

		got = 0;
		ret = lookup(v, k, &got);
		if (ret != (in ? 0 : -ENOENT) || (in && got != want))
			return fail(v, "LOOKUP %lld: %d value %#llx, want %s %#llx",
				    LL(k), ret, ULL(got),
				    in ? "present" : "absent", ULL(want));
		if (x == cfg.keys - 1)
			break;
		ret = lookup(v, k + 1, &got);
		if (ret != -ENOENT)
			return fail(v, "LOOKUP %lld (not in the universe): %d value %#llx",
				    LL(k + 1), ret, ULL(got));
	}
	return true;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--threads N] [--secs S] [--enomem-ok] [--seed X]\n"
		"       [--keys K] [--leaf-max N] [--inner-max N] [--chain-max N] [--named]\n"
		"  --threads N   writer threads (default 4); a reader and a scanner run too\n"
		"  --secs S      how long the threads run (default 20)\n"
		"  --enomem-ok   ENOMEM is allowed (fault injection is on), and must happen\n"
		"  --seed X      random seed (default: from the clock)\n"
		"  --keys K      keys in the universe (default 2048)\n"
		"  --leaf-max N, --inner-max N, --chain-max N\n"
		"                the tree's parameters (default 8, 4, 3; 0: the module's)\n"
		"  --named       a named tree, a file per thread (needs CAP_SYS_ADMIN)\n",
		prog);
	exit(64);
}

static unsigned long arg_num(const char *prog, const char *s,
			     unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v < lo || v > hi)
		print_usage(prog);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "secs", required_argument, NULL, 's' },
		{ "enomem-ok", no_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 'S' },
		{ "keys", required_argument, NULL, 'k' },
		{ "leaf-max", required_argument, NULL, 'l' },
		{ "inner-max", required_argument, NULL, 'i' },
		{ "chain-max", required_argument, NULL, 'c' },
		{ "named", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool seeded = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cfg.writers = arg_num(argv[0], optarg, 1, 256);
			break;
		case 's':
			cfg.secs = arg_num(argv[0], optarg, 1, 30 * 86400);
			break;
		case 'e':
			cfg.enomem_ok = true;
			break;
		case 'S':
			cfg.seed = arg_num(argv[0], optarg, 0, ULONG_MAX);
			seeded = true;
			break;
		case 'k':
			cfg.keys = arg_num(argv[0], optarg, 64, 1 << 20);
			break;
		case 'l':
			cfg.leaf_max = arg_num(argv[0], optarg, 0, UINT32_MAX);
			break;
		case 'i':
			cfg.inner_max = arg_num(argv[0], optarg, 0, UINT32_MAX);
			break;
		case 'c':
			cfg.chain_max = arg_num(argv[0], optarg, 0, UINT32_MAX);
			break;
		case 'n':
			cfg.named = true;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	if (optind != argc || cfg.keys < 8 * cfg.writers)
		print_usage(argv[0]);
	if (!seeded)
		cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static unsigned long long total_ops(struct thr *th, unsigned int nthr)
{
	unsigned long long ops = 0;
	unsigned int i;

	for (i = 0; i < nthr; i++)
		ops += atomic_load_explicit(&th[i].ops, memory_order_relaxed);
	return ops;
}

/* The writers' phase and how it went. */
static struct {
	unsigned long since;	/* key_ops when this phase began */
	double hot;		/* when the hot window last moved */
	double t0;		/* when the run began */
	unsigned long flips;	/* phases ended */
	unsigned long marks;	/* of those, ended at their water mark */
	char log[200];		/* when and at how many keys the first ended */
} phase;

/*
 * Move the hot window every HOT_SECS.  Empty the tree from HIGH_WATER
 * percent of the writers' keys down to LOW_WATER, then fill it again; a
 * phase that does not get there in PHASE_OPS key ops per writer key ends
 * anyway.  Counted in ops, not seconds: a run slowed down by its host
 * (which may starve a guest for seconds) still fills and empties.
 */
static void steer(double t, uint64_t *seed)
{
	unsigned long p = atomic_load(&present);
	unsigned long owned = cfg.keys - cfg.nstable;
	bool down = atomic_load(&shrinking);
	bool mark = down ? p * 100 <= owned * LOW_WATER :
			   p * 100 >= owned * HIGH_WATER;

	if (t - phase.hot >= HOT_SECS) {
		atomic_store(&hot_base, bw_rand(seed) % cfg.keys);
		phase.hot = t;
	}
	if (!mark && atomic_load(&key_ops) - phase.since < PHASE_OPS * owned)
		return;
	atomic_store(&shrinking, !down);
	phase.since = atomic_load(&key_ops);
	phase.flips++;
	phase.marks += mark;
	if (strlen(phase.log) < sizeof(phase.log) - 16)
		snprintf(phase.log + strlen(phase.log), 16, " %.1f:%lu",
			 t - phase.t0, p);
}

/*
 * Run the threads until time is up or one fails, steering the writers'
 * phase; the seconds they ran.  Threads that do not stop are a hang: that
 * is reported, and the program exits.
 */
static double run(struct thr *th, unsigned int nthr)
{
	double t0 = now(), last = t0, t, limit;
	uint64_t seed = cfg.seed | 1;
	unsigned int i;

	phase.t0 = t0;
	for (i = 0; i < nthr; i++) {
		void *(*fn)(void *) = th[i].role == WRITER ? writer :
				      th[i].role == READER ? reader : scanner;

		if (pthread_create(&th[i].th, NULL, fn, &th[i])) {
			fail(&th[i], "pthread_create failed");
			nthr = i;
			break;
		}
	}
	while (!atomic_load(&stop)) {
		usleep(20000);
		t = now();
		if (t - t0 >= cfg.secs)
			atomic_store(&stop, true);
		steer(t, &seed);
		if (t - last >= PROGRESS_SECS) {
			printf("# stress: %.0f s: %llu ops, %ld writer keys, %lu phases\n",
			       t - t0, total_ops(th, nthr),
			       atomic_load(&present), phase.flips);
			last = t;
		}
	}
	t = now() - t0;
	limit = now() + STOP_GRACE;
	while (atomic_load(&finished) < (int)nthr && now() < limit)
		usleep(20000);
	if (atomic_load(&finished) < (int)nthr) {
		printf("not ok 1 - stress: %d of %u threads did not stop in %d s: hung?\n",
		       nthr - atomic_load(&finished), nthr, STOP_GRACE);
		fflush(stdout);
		_exit(1);
	}
	for (i = 0; i < nthr; i++)
		pthread_join(th[i].th, NULL);
	printf("# stress: %lu fill/empty phases, %lu ended at %d or %d%% full;",
	       phase.flips, phase.marks, HIGH_WATER, LOW_WATER);
	printf(" ends (s:keys)%s, now %ld keys\n", phase.log,
	       atomic_load(&present));
	return t;
}

/* Sets up the tree and the threads; 0, or a reason to bail out. */
static const char *setup(struct thr *v, struct thr *th, unsigned int nthr,
			 char *name)
{
	static char why[80];
	unsigned int i;
	double t0;
	int ret;

	if (!thr_init(v, VERIFIER, 0))
		return "out of memory";
	for (i = 0; i < nthr; i++) {
		enum thr_role role = i < cfg.writers ? WRITER :
				     i == cfg.writers ? READER : SCANNER;

		if (!thr_init(&th[i], role, i < cfg.writers ? i : 0))
			return "out of memory";
	}
	if (cfg.named)
		snprintf(name, BWTREE_IOC_NAME_MAX + 1, "bwtree_stress.%d",
			 getpid());
	v->fd = open_tree(v, cfg.named ? name : NULL, true);
	if (v->fd < 0) {
		snprintf(why, sizeof(why), "CREATE: %d", v->fd);
		return why;
	}
	t0 = now();
	ret = fill_tree(v, th);
	printf("# stress: filled with %u stable and %ld writer keys in %.1f s\n",
	       cfg.nstable, atomic_load(&present), now() - t0);
	if (ret) {
		snprintf(why, sizeof(why), "BATCH INSERT to fill the tree: %d",
			 ret);
		return why;
	}
	atomic_store(&shrinking, true);
	for (i = 0; i < nthr; i++) {
		th[i].fd = cfg.named ? open_tree(&th[i], name, false) : v->fd;
		if (th[i].fd < 0) {
			snprintf(why, sizeof(why), "ATTACH: %d", th[i].fd);
			return why;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long ops, enomems = 0, bops = 0, scans = 0;
	unsigned long long role_ops[VERIFIER] = { 0 };
	double longest[VERIFIER] = { 0 };
	char name[BWTREE_IOC_NAME_MAX + 1] = "";
	unsigned int nthr, i, test = 0;
	struct bwtree_ioc_info info;
	struct bwtree_ioc_stats st;
	struct model all = { 0 };
	bool ok, all_ok = true;
	const char *why;
	struct thr *th, v;
	int fd, ret, tries = 0;
	double secs;
	long x;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (bw_unavailable()) {
		printf("1..0 # SKIP %s\n", bw_unavailable());
		return KSFT_SKIP;
	}
	if (cfg.named && geteuid()) {
		printf("1..0 # SKIP --named needs CAP_SYS_ADMIN\n");
		return KSFT_SKIP;
	}
	printf("1..%u\n", cfg.enomem_ok ? 4 : 3);
	printf("# stress: seed %llu writers %u keys %u leaf_max %u inner_max %u chain_max %u%s%s\n",
	       ULL(cfg.seed), cfg.writers, cfg.keys, cfg.leaf_max,
	       cfg.inner_max, cfg.chain_max, cfg.named ? " named" : "",
	       cfg.enomem_ok ? " enomem-ok" : "");

	fd = bw_open(O_RDONLY);
	ret = fd < 0 ? fd : bw_info(fd, &info);
	if (fd >= 0)
		close(fd);
	if (ret) {
		printf("Bail out! GET_INFO: %d\n", ret);
		return 1;
	}
	if (info.max_batch < BATCH_MAX || info.max_scan < CHUNK_MAX) {
		printf("Bail out! GET_INFO: max_batch %u max_scan %u\n",
		       info.max_batch, info.max_scan);
		return 1;
	}
	cfg.max_scan = info.max_scan;
	owner = calloc(cfg.keys, sizeof(*owner));
	for (x = 0; owner && x < cfg.keys; x++) {
		/* Writers take the keys that are not stable in turn. */
		owner[x] = is_stable(x) ? NO_OWNER :
			   (x - cfg.nstable) % cfg.writers;
		cfg.nstable += is_stable(x);
	}
	nthr = cfg.writers + 2;
	th = calloc(nthr, sizeof(*th));
	why = th && owner ? setup(&v, th, nthr, name) : "out of memory";
	if (why) {
		printf("Bail out! %s\n", why);
		return 1;
	}

	secs = run(th, nthr);

	ops = total_ops(th, nthr);
	for (i = 0; i < nthr; i++) {
		role_ops[th[i].role] += atomic_load(&th[i].ops);
		if (th[i].longest > longest[th[i].role])
			longest[th[i].role] = th[i].longest;
		bops += th[i].batch_ops;
		scans += th[i].scans;
		enomems += th[i].enomem;
		if (th[i].err[0] && th[i].role == WRITER)
			printf("# writer %u: %s\n", th[i].id, th[i].err);
		else if (th[i].err[0])
			printf("# %s: %s\n", role_name[th[i].role], th[i].err);
	}
	printf("# stress: longest ioctl (s): writers %.3f reader %.3f scanner %.3f\n",
	       longest[WRITER], longest[READER], longest[SCANNER]);
	ok = !atomic_load(&failures);
	printf("%sok %u - stress: only expected errors (%llu ops, %llu -ENOMEM)\n",
	       ok ? "" : "not ", ++test, ops, enomems);
	all_ok &= ok;

	/* The setup's ENOMEMs count with the run's, not the verification's. */
	enomems += v.enomem;
	v.enomem = 0;
	ok = verify(&v, th, &all);
	if (v.err[0])
		printf("# verification: %s\n", v.err);
	printf("%sok %u - stress: tree equals the union of the thread models",
	       ok ? "" : "not ", ++test);
	printf(" (count %zu, scan, lookups)\n", all.n);
	all_ok &= ok;
	if (v.enomem)
		printf("# stress: the verification retried %llu reads after -ENOMEM\n",
		       ULL(v.enomem));

	do
		ret = bw_stats(v.fd, &st);
	while (retry(&v, ret, &tries));
	if (ret) {
		printf("# STATS: %d\n", ret);
		memset(&st, 0, sizeof(st));
	}
	ok = st.splits && st.merges && st.consolidations;
	printf("%sok %u - stress: splits %llu, merges %llu, consolidations %llu all happened\n",
	       ok ? "" : "not ", ++test, ULL(st.splits), ULL(st.merges),
	       ULL(st.consolidations));
	all_ok &= ok;

	if (cfg.enomem_ok) {
		ok = enomems > 0;
		printf("%sok %u - stress: -ENOMEM was injected (%llu > 0)\n",
		       ok ? "" : "not ", ++test, enomems);
		all_ok &= ok;
	}

	/* One line, for people and for scripts that follow the figures. */
	printf("# stress: threads %u (writers %u, reader, scanner) secs %.1f",
	       nthr, cfg.writers, secs);
	printf(" ops %llu ops/s %.0f (writers %llu reader %llu scanner %llu)",
	       ops, ops / secs, role_ops[WRITER], role_ops[READER],
	       role_ops[SCANNER]);
	printf(" batch_ops %llu scans %llu", bops, scans);
	printf(" enomem %llu errors %d", enomems, atomic_load(&failures));
	printf(" splits %llu merges %llu consolidations %llu", ULL(st.splits),
	       ULL(st.merges), ULL(st.consolidations));
	printf(" height %llu pages %llu cas_failures %llu retries %llu",
	       ULL(st.height), ULL(st.pages), ULL(st.cas_failures),
	       ULL(st.retries));
	printf(" longest_chain %llu\n", ULL(st.longest_chain));

	for (i = 0; i < nthr; i++) {
		if (cfg.named)
			close(th[i].fd);
		thr_free(&th[i]);
	}
	if (cfg.named) {
		fd = bw_open(O_RDWR);
		ret = fd < 0 ? fd : bw_destroy(fd, name);
		if (ret)
			printf("# DESTROY %s: %d\n", name, ret);
		if (fd >= 0)
			close(fd);
	}
	close(v.fd);
	thr_free(&v);
	model_free(&all);
	free(th);
	free(owner);
	return all_ok ? 0 : 1;
}
