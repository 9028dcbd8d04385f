// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzer (libFuzzer): bytes -> tree parameters and a sequence
 * of operations, run on the tree and on a reference ordered map (a sorted
 * array), compared after every step: each call's result, the count, a full
 * scan in a varying direction and batch size, and bwtree_validate().  At the
 * end of each input the tree is destroyed and no object may be live.
 *
 * Input: 3 bytes of parameters (leaf_max, inner_max, chain_max and
 * whether a memory limit applies, with a 4th byte for its size), then
 * operations of one opcode byte and its arguments:
 *   0 insert K   1 upsert K   2 delete K   3 lookup K
 *   4 scan K K M (ascending, batch of M)   5 the same, descending
 *   6 insert a run: K, length, step        7 delete a run: K, length, step
 *   8 fail the N-th allocation of the next operation: N
 * A key byte below 224 is a small key (byte - 112, so keys collide); the
 * others pick one of 32 keys at the ends of s64 and around 2^31 and 2^32.
 * Any disagreement aborts, which libFuzzer reports as a crash.
 */
#include <bwt/shim.h>
#include <bwtree.h>
#include "fuzz.h"

static const s64 special[32] = {
	S64_MIN, S64_MIN + 1, S64_MIN + 2, S64_MIN + 64, -(1LL << 62), -(1LL << 32) - 1,
	-(1LL << 32), -(1LL << 31) - 1, -(1LL << 31), -1000000, -65536, -4096,
	-256, -129, -113, 112, 128, 255, 4096, 65536, 1000000, (1LL << 31) - 1,
	1LL << 31, (1LL << 32) - 1, 1LL << 32, 1LL << 62, S64_MAX - 64,
	S64_MAX - 2, S64_MAX - 1, S64_MAX, 0x5555555555555555LL, -0x5555555555555555LL,
};

struct ref {
	s64 *keys;
	u64 *vals;
	size_t n, cap;
};

static struct ref ref;
static const u8 *in;
static size_t left;
static unsigned long step;

#define FAIL(fmt, ...) do {						\
	fprintf(stderr, "fuzz: step %lu: " fmt "\n", step, ##__VA_ARGS__); \
	abort();							\
} while (0)

static u8 byte(void)
{
	if (!left)
		return 0;
	left--;
	return *in++;
}

static s64 key(void)
{
	u8 b = byte();

	return b < 224 ? (s64)b - 112 : special[b - 224];
}

static size_t lower(s64 k)
{
	size_t lo = 0, hi = ref.n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ref.keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool ref_find(s64 k, size_t *pos)
{
	*pos = lower(k);
	return *pos < ref.n && ref.keys[*pos] == k;
}

static void ref_put(size_t pos, s64 k, u64 v, bool present)
{
	if (present) {
		ref.vals[pos] = v;
		return;
	}
	if (ref.n == ref.cap) {
		ref.cap = ref.cap ? 2 * ref.cap : 256;
		ref.keys = realloc(ref.keys, ref.cap * sizeof(s64));
		ref.vals = realloc(ref.vals, ref.cap * sizeof(u64));
	}
	memmove(ref.keys + pos + 1, ref.keys + pos, (ref.n - pos) * sizeof(s64));
	memmove(ref.vals + pos + 1, ref.vals + pos, (ref.n - pos) * sizeof(u64));
	ref.keys[pos] = k;
	ref.vals[pos] = v;
	ref.n++;
}

static void ref_del(size_t pos)
{
	memmove(ref.keys + pos, ref.keys + pos + 1, (ref.n - pos - 1) * sizeof(s64));
	memmove(ref.vals + pos, ref.vals + pos + 1, (ref.n - pos - 1) * sizeof(u64));
	ref.n--;
}

/* -ENOMEM under an injected failure, -ENOSPC at the memory limit: no change. */
static bool no_change(int ret, bool injected, bool limited)
{
	if (ret == -ENOMEM && injected)
		return true;
	if (ret == -ENOSPC && limited)
		return true;
	if (ret == -ENOMEM || ret == -ENOSPC)
		FAIL("unexpected %d", ret);
	return false;
}

static void do_write(struct bwtree *t, int op, s64 k, bool injected, bool limited)
{
	u64 v = (u64)k * 0x9e3779b97f4a7c15ULL + step, old = 0;
	bool replaced = false, present;
	size_t pos;
	int ret;

	present = ref_find(k, &pos);
	switch (op) {
	case 0:
		ret = bwtree_insert(t, k, v);
		if (no_change(ret, injected, limited))
			return;
		if (present ? ret != -EEXIST : ret != 0)
			FAIL("insert %lld: %d, present %d", k, ret, present);
		if (!present)
			ref_put(pos, k, v, false);
		return;
	case 1:
		ret = bwtree_upsert(t, k, v, &replaced);
		if (no_change(ret, injected, limited))
			return;
		if (ret || replaced != present)
			FAIL("upsert %lld: %d, replaced %d, present %d", k, ret, replaced, present);
		ref_put(pos, k, v, present);
		return;
	default:
		ret = bwtree_delete(t, k, &old);
		if (no_change(ret, injected, false))
			return;
		if (present ? (ret != 0 || old != ref.vals[pos]) : ret != -ENOENT)
			FAIL("delete %lld: %d, present %d", k, ret, present);
		if (present)
			ref_del(pos);
		return;
	}
}

static void do_scan(struct bwtree *t, s64 lo, s64 hi, bool rev, unsigned int max,
		    bool injected)
{
	struct bwtree_pair out[64];
	size_t a = lower(lo), b, i, want;
	bool done = false;
	s64 next = 0;
	int ret;

	if (max == 0 || max > 64)
		max = 64;
	ret = bwtree_scan_batch(t, lo, hi, rev ? BWTREE_SCAN_REVERSE : 0, out, max,
				&next, &done);
	if (lo > hi) {
		if (ret != -EINVAL)
			FAIL("scan [%lld, %lld]: %d, want -EINVAL", lo, hi, ret);
		return;
	}
	if (ret == -ENOMEM && injected)
		return;
	b = lower(hi);
	if (b < ref.n && ref.keys[b] == hi)
		b++;
	want = min(b - a, (size_t)max);
	if (ret != (int)want)
		FAIL("scan [%lld, %lld]%s max %u: %d pairs, want %zu", lo, hi,
		     rev ? " reverse" : "", max, ret, want);
	for (i = 0; i < want; i++) {
		size_t j = rev ? b - 1 - i : a + i;

		if (out[i].key != ref.keys[j] || out[i].value != ref.vals[j])
			FAIL("scan pair %zu: %lld, want %lld", i, out[i].key, ref.keys[j]);
	}
	if (done != (b - a <= max))
		FAIL("scan [%lld, %lld]: done %d with %zu of %zu", lo, hi, done, want, b - a);
	if (!done) {
		s64 last = out[want - 1].key;

		if (next != (rev ? last - 1 : last + 1))
			FAIL("scan: next %lld after %lld", next, last);
	}
}

static void check_all(struct bwtree *t)
{
	struct bwtree_pair out[32];
	unsigned int max = 1 + step % 32;
	bool rev = step & 1, done = false;
	s64 lo = S64_MIN, hi = S64_MAX, next;
	size_t seen = 0;
	int ret;

	if (bwtree_count(t) != ref.n)
		FAIL("count %llu, want %zu", (unsigned long long)bwtree_count(t), ref.n);
	while (!done) {
		ret = bwtree_scan_batch(t, lo, hi, rev ? BWTREE_SCAN_REVERSE : 0, out, max,
					&next, &done);
		if (ret < 0)
			FAIL("full scan: %d", ret);
		for (int i = 0; i < ret; i++, seen++) {
			size_t j = rev ? ref.n - 1 - seen : seen;

			if (seen >= ref.n || out[i].key != ref.keys[j] ||
			    out[i].value != ref.vals[j])
				FAIL("full scan pair %zu: %lld, want %lld", seen, out[i].key,
				     seen < ref.n ? ref.keys[j] : 0);
		}
		if (rev)
			hi = next;
		else
			lo = next;
	}
	if (seen != ref.n)
		FAIL("full scan: %zu pairs, want %zu", seen, ref.n);
	ret = bwtree_validate(t);
	if (ret)
		FAIL("bwtree_validate: %d", ret);
}

int fuzz_initialize(int *argc, char ***argv)
{
	bwt_complaints_fatal = 1;
	bwt_loglevel = 3;
	if (bwtree_init())
		abort();
	return 0;
}

int fuzz_test_one_input(const u8 *data, size_t size)
{
	struct bwtree_params p = { 0 };
	struct bwtree *t;
	u8 b0, b1, b2;

	in = data;
	left = size;
	step = 0;
	ref.n = 0;
	b0 = byte();
	b1 = byte();
	b2 = byte();
	p.leaf_max = 4 + b0 % 29;
	p.inner_max = 4 + b1 % 13;
	p.chain_max = b2 % 10;
	if (b2 & 0x80)
		p.max_bytes = 2048 * (1 + byte() % 32);
	t = bwtree_create(&p);
	if (IS_ERR(t))
		FAIL("bwtree_create: %ld", PTR_ERR(t));

	while (left) {
		u8 op = byte() % 9;
		unsigned long nth = 0;
		bool injected;

		step++;
		if (op == 8) {
			nth = 1 + byte() % 32;
			op = byte() % 8;
		}
		bwt_fail_nth(nth);
		switch (op) {
		case 0: case 1: case 2:
			do_write(t, op, key(), nth, p.max_bytes);
			break;
		case 3: {
			s64 k = key();
			size_t pos;
			u64 v = 0;
			int ret = bwtree_lookup(t, k, &v);

			if (ref_find(k, &pos) ? (ret || v != ref.vals[pos]) : ret != -ENOENT)
				FAIL("lookup %lld: %d", k, ret);
			break;
		}
		case 4: case 5: {
			s64 lo = key(), hi = key();

			do_scan(t, lo, hi, op == 5, byte() % 65, nth);
			break;
		}
		default: {	/* runs */
			s64 k = key(), s;
			unsigned int len = 1 + byte() % 64, st = 1 + byte() % 4, i;

			for (i = 0; i < len; i++) {
				if (__builtin_mul_overflow((s64)i, (s64)st, &s) ||
				    __builtin_add_overflow(k, s, &s))
					break;
				do_write(t, op == 6 ? 0 : 2, s, nth, p.max_bytes);
			}
			break;
		}
		}
		injected = bwt_fail_fired();
		bwt_fail_nth(0);
		(void)injected;
		check_all(t);
	}
	bwtree_destroy(t);
	rcu_barrier();
	if (bwt_live_objects()) {
		bwt_report_live();
		FAIL("%ld objects live after destroy", bwt_live_objects());
	}
	return 0;
}
