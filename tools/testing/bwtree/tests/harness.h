/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the harness programs: TAP output, a key universe with a shadow
 * model, and the comparison of a whole tree with the model.
 *
 * TAP: each program prints "ok - NAME" / "not ok - NAME" lines and "# "
 * diagnostics; run-tests.sh numbers them and prints the plan.
 *
 * The model: a sorted array of distinct keys (the universe), and for each
 * the value it has in the model or "absent".  Operations pick universe
 * indices, so the model needs no search; scans and bound checks use binary
 * search.  Threads own the indices i with i % nthreads == t (a stripe), so
 * each thread writes only its own entries.
 */
#ifndef _BWT_HARNESS_H
#define _BWT_HARNESS_H

#include <bwt/shim.h>
#include <bwtree.h>

extern int h_failures;

void h_ok(bool ok, const char *fmt, ...) __printf(2, 3);
void h_diag(const char *fmt, ...) __printf(1, 2);
/* Record a failure with file:line and a message, without ending the test. */
#define H_FAIL(fmt, ...) h_fail_at(__FILE__, __LINE__, fmt, ##__VA_ARGS__)
void h_fail_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);
#define H_CHECK(cond, fmt, ...) \
	({ bool __c = (cond); if (!__c) H_FAIL("%s: " fmt, #cond, ##__VA_ARGS__); __c; })

double h_now(void);
u64 h_rand(u64 *state);
static inline u64 h_below(u64 *state, u64 n) { return n ? h_rand(state) % n : 0; }
u64 h_mix(u64 x);

struct h_model {
	s64 *keys;		/* sorted, distinct */
	u64 *vals;
	u8 *present;
	size_t n;
};

/* A universe of @n keys from @seed, always with S64_MIN, S64_MAX, 0, +-1. */
void h_model_init(struct h_model *m, size_t n, u64 seed);
/* A universe of the keys @first, @first + @step, ... */
void h_model_init_seq(struct h_model *m, size_t n, s64 first, s64 step);
void h_model_free(struct h_model *m);
size_t h_model_count(const struct h_model *m);
/* Index of the first key >= @key (n if none). */
size_t h_model_lower(const struct h_model *m, s64 key);
/* Index of @key, or -1. */
long h_model_find(const struct h_model *m, s64 key);

/* Values carry a hash of their key, so a value can be checked against it. */
static inline u64 h_value(s64 key, u32 version)
{
	return (h_mix((u64)key) & 0xffffffff00000000ULL) | version;
}

static inline bool h_value_ok(s64 key, u64 v)
{
	return (v & 0xffffffff00000000ULL) == (h_mix((u64)key) & 0xffffffff00000000ULL);
}

/*
 * Compare the whole tree with the model: ascending and descending scans in
 * batches of @batch pairs (0: vary), bwtree_scan(), batched and single
 * lookups of every key (and of keys beside them), bwtree_count() and
 * bwtree_validate().  Returns true if all agree; reports the first
 * differences.
 */
bool h_tree_matches(struct bwtree *tree, const struct h_model *m,
		    unsigned int batch, const char *what);

/* Scan [lo, hi] in @flags order, batches of @batch, into a new array. */
long h_scan_all(struct bwtree *tree, s64 lo, s64 hi, unsigned int flags,
		unsigned int batch, struct bwtree_pair **out);

/* Sanitizer/complaint summary at the end of a program: ok or not. */
void h_check_complaints(const char *name);
int h_exit_status(void);

#endif /* _BWT_HARNESS_H */
