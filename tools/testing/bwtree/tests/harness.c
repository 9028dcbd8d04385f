// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by the harness programs: see harness.h.
 */
#include "harness.h"

int h_failures;
static int fail_reports;

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	flockfile(stdout);
	fputs(prefix, stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	funlockfile(stdout);
}

void h_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		h_failures++;
	va_start(ap, fmt);
	vprint(ok ? "ok - " : "not ok - ", fmt, ap);
	va_end(ap);
}

void h_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("# ", fmt, ap);
	va_end(ap);
}

void h_fail_at(const char *file, int line, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	__atomic_add_fetch(&h_failures, 1, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&fail_reports, 1, __ATOMIC_RELAXED) > 50)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h_diag("FAIL %s:%d: %s", file, line, buf);
}

double h_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

u64 h_mix(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

u64 h_rand(u64 *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return h_mix(*state);
}

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

static void model_alloc(struct h_model *m, size_t n)
{
	m->n = n;
	m->keys = calloc(n, sizeof(*m->keys));
	m->vals = calloc(n, sizeof(*m->vals));
	m->present = calloc(n, 1);
	if (!m->keys || !m->vals || !m->present)
		abort();
}

void h_model_init(struct h_model *m, size_t n, u64 seed)
{
	static const s64 special[] = {
		S64_MIN, S64_MIN + 1, S64_MIN + 2, -1, 0, 1, S64_MAX - 2,
		S64_MAX - 1, S64_MAX,
	};
	size_t i, j, have;

	model_alloc(m, n + ARRAY_SIZE(special));
	for (i = 0; i < ARRAY_SIZE(special); i++)
		m->keys[i] = special[i];
	have = i;
	/* Draw, sort, drop duplicates, repeat until there are enough. */
	while (have < m->n) {
		for (i = have; i < m->n; i++) {
			u64 r = h_rand(&seed);

			/* half spread over all of s64, half bunched near 0 */
			m->keys[i] = (r & 1) ? (s64)r : (s64)(r >> 40) - (1LL << 23);
		}
		qsort(m->keys, m->n, sizeof(s64), cmp_s64);
		for (i = 1, j = 1; i < m->n; i++)
			if (m->keys[i] != m->keys[j - 1])
				m->keys[j++] = m->keys[i];
		have = j;
	}
}

void h_model_init_seq(struct h_model *m, size_t n, s64 first, s64 step)
{
	size_t i;

	model_alloc(m, n);
	for (i = 0; i < n; i++)
		m->keys[i] = first + (s64)i * step;
}

void h_model_free(struct h_model *m)
{
	free(m->keys);
	free(m->vals);
	free(m->present);
	memset(m, 0, sizeof(*m));
}

size_t h_model_count(const struct h_model *m)
{
	size_t i, c = 0;

	for (i = 0; i < m->n; i++)
		c += m->present[i];
	return c;
}

size_t h_model_lower(const struct h_model *m, s64 key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long h_model_find(const struct h_model *m, s64 key)
{
	size_t i = h_model_lower(m, key);

	return i < m->n && m->keys[i] == key ? (long)i : -1;
}

long h_scan_all(struct bwtree *tree, s64 lo, s64 hi, unsigned int flags,
		unsigned int batch, struct bwtree_pair **out)
{
	size_t cap = 1024, n = 0;
	struct bwtree_pair *all = malloc(cap * sizeof(*all));
	unsigned int b = batch ? batch : 1;
	bool done = false;
	s64 next;
	int ret;

	if (!all)
		abort();
	while (!done) {
		if (n + b > cap) {
			cap = 2 * (n + b);
			all = realloc(all, cap * sizeof(*all));
			if (!all)
				abort();
		}
		ret = bwtree_scan_batch(tree, lo, hi, flags, all + n, b, &next, &done);
		if (ret < 0) {
			free(all);
			return ret;
		}
		if ((unsigned int)ret > b) {
			H_FAIL("scan_batch returned %d > max %u", ret, b);
			free(all);
			return -EIO;
		}
		if (!done && ret == 0) {
			H_FAIL("scan_batch returned 0 pairs and not done");
			free(all);
			return -EIO;
		}
		n += ret;
		if (!done) {
			if (flags & BWTREE_SCAN_REVERSE)
				hi = next;
			else
				lo = next;
		}
		if (!batch)	/* vary: 1, 2, 3, 5, 8, ... up to 200 */
			b = b >= 200 ? 1 : b + b / 2 + 1;
	}
	*out = all;
	return (long)n;
}

struct cb_state {
	const struct h_model *m;
	size_t i;
	long bad;
};

static int scan_cb(void *arg, s64 key, u64 value)
{
	struct cb_state *st = arg;
	const struct h_model *m = st->m;

	while (st->i < m->n && !m->present[st->i])
		st->i++;
	if (st->i >= m->n || m->keys[st->i] != key || m->vals[st->i] != value) {
		if (!st->bad++)
			H_FAIL("bwtree_scan: got %lld=%llx, model has %lld",
			       key, value, st->i < m->n ? m->keys[st->i] : 0);
		return -EIO;
	}
	st->i++;
	return 0;
}

#define H_BATCH_MAX	200
#define H_BATCH_UNSET	0x5eed5eed5eed5eedULL	/* never a value */

/*
 * Batched lookups of every key of the universe and of keys next to them,
 * in batches of sizes around the group and the read section's, with
 * repeats: each answer must be the model's and bwtree_lookup()'s, absent
 * keys' values left alone, the count returned right.
 */
static void h_batch_matches(struct bwtree *tree, const struct h_model *m,
			    const char *what)
{
	static const unsigned int sizes[] = {
		1, 2, 15, 16, 17, 31, 33, 63, 64, 65, 129, H_BATCH_MAX,
	};
	s64 keys[H_BATCH_MAX];
	u64 vals[H_BATCH_MAX], v;
	bool found[H_BATCH_MAX];
	long idx[H_BATCH_MAX];
	unsigned int z = 0, n, j;
	u64 rng = m->n;
	size_t at = 0;
	int ret, hits;

	if (bwtree_lookup_batch(tree, NULL, 0, NULL, NULL) != 0)
		H_FAIL("%s: a batch of no keys", what);
	while (at < m->n) {
		n = sizes[z++ % ARRAY_SIZE(sizes)];
		for (j = 0; j < n; j++) {
			u64 r = h_below(&rng, 8);

			if (j && r == 0) {
				r = h_below(&rng, j);
				keys[j] = keys[r];
				idx[j] = idx[r];
			} else if (r == 1 && at < m->n && m->keys[at] != S64_MAX) {
				keys[j] = m->keys[at] + 1;
				idx[j] = h_model_find(m, keys[j]);
			} else {
				idx[j] = at < m->n ? at++ : h_below(&rng, m->n);
				keys[j] = m->keys[idx[j]];
			}
			vals[j] = H_BATCH_UNSET;
		}
		ret = bwtree_lookup_batch(tree, keys, n, vals, found);
		hits = 0;
		for (j = 0; j < n; j++) {
			bool want = idx[j] >= 0 && m->present[idx[j]];
			u64 wv = want ? m->vals[idx[j]] : H_BATCH_UNSET;
			bool one;

			v = H_BATCH_UNSET;
			one = !bwtree_lookup(tree, keys[j], &v);
			hits += found[j];
			if (found[j] != want || vals[j] != wv || one != want ||
			    v != wv) {
				H_FAIL("%s: batch of %u: %lld: %d %llx, one %d %llx, model %d %llx",
				       what, n, keys[j], found[j], vals[j], one,
				       v, want, wv);
				return;
			}
		}
		if (ret != hits)
			H_FAIL("%s: batch of %u returned %d, found %d", what, n,
			       ret, hits);
	}
}

bool h_tree_matches(struct bwtree *tree, const struct h_model *m,
		    unsigned int batch, const char *what)
{
	size_t i, j, k, count = h_model_count(m);
	struct bwtree_pair *all;
	struct cb_state st = { .m = m };
	int before = h_failures, dir, ret;
	long n;

	for (dir = 0; dir < 2; dir++) {
		unsigned int flags = dir ? BWTREE_SCAN_REVERSE : 0;

		n = h_scan_all(tree, S64_MIN, S64_MAX, flags, batch, &all);
		if (n < 0) {
			H_FAIL("%s: full scan failed: %ld", what, n);
			continue;
		}
		if ((size_t)n != count)
			H_FAIL("%s: %s scan returned %ld pairs, model has %zu",
			       what, dir ? "descending" : "ascending", n, count);
		for (i = 0, k = 0; i < m->n && k < (size_t)n; i++) {
			j = dir ? m->n - 1 - i : i;
			if (!m->present[j])
				continue;
			if (all[k].key != m->keys[j] || all[k].value != m->vals[j]) {
				H_FAIL("%s: %s scan pair %zu is %lld=%llx, model %lld=%llx",
				       what, dir ? "descending" : "ascending", k,
				       all[k].key, all[k].value, m->keys[j], m->vals[j]);
				break;
			}
			k++;
		}
		free(all);
	}
	ret = bwtree_scan(tree, S64_MIN, S64_MAX, 0, scan_cb, &st);
	if (ret)
		H_FAIL("%s: bwtree_scan returned %d", what, ret);
	h_batch_matches(tree, m, what);
	if (bwtree_count(tree) != count)
		H_FAIL("%s: bwtree_count %llu, model %zu", what,
		       (unsigned long long)bwtree_count(tree), count);
	ret = bwtree_validate(tree);
	if (ret)
		H_FAIL("%s: bwtree_validate returned %d", what, ret);
	return h_failures == before;
}

void h_check_complaints(const char *name)
{
	unsigned long c = bwt_complaints();

	h_ok(c == 0, "%s: no WARN, BUG, sleep-in-atomic, RCU-usage or leak reports (%lu)",
	     name, c);
}

int h_exit_status(void)
{
	return h_failures ? 1 : 0;
}
