/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the bwtree KUnit suites.
 *
 * Prefixes: bwt_rng_ is a seeded xorshift64* generator (struct bwt_rng);
 * bwt_model_ the reference map the suites compare a tree with (struct
 * bwt_model: a bitmap and a value array over a bounded universe of keys, so
 * every model operation is O(1)); bwt_val_ values that carry a checksum of
 * their key and a tag naming who wrote them; bwt_kunit_ trees and kthreads
 * that are torn down when a case ends, even one ended by a failed assertion;
 * bwt_check_ comparisons of a tree with what a case knows must hold.
 *
 * The suites use only the public API of include/bwtree.h.  Every random
 * choice comes from a bwt_rng seeded from the module parameter "seed" and
 * the case's name, and the seed is printed, so a failure reproduces.
 */
#ifndef _BWTREE_KUNIT_H
#define _BWTREE_KUNIT_H

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "bwtree.h"

/*
 * Cases that take more than a second in the debug guest are marked slow.
 * KUnit on 6.1 has no attributes: a slow case is then a plain one (slow
 * cases run either way unless a filter asks otherwise).
 */
#ifndef KUNIT_CASE_SLOW
#define KUNIT_CASE_SLOW(test_name) KUNIT_CASE(test_name)
#endif
#ifdef KUNIT_CASE_PARAM_ATTR
#define BWT_CASE_PARAM_SLOW(test_name, gen_params)			\
	KUNIT_CASE_PARAM_ATTR(test_name, gen_params,			\
			      { .speed = KUNIT_SPEED_SLOW })
#else
#define BWT_CASE_PARAM_SLOW(test_name, gen_params)			\
	KUNIT_CASE_PARAM(test_name, gen_params)
#endif

/**
 * struct bwt_rng - a xorshift64* generator
 * @s: the state, never 0
 */
struct bwt_rng {
	u64 s;
};

static inline void bwt_rng_seed(struct bwt_rng *rng, u64 seed)
{
	rng->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static inline u64 bwt_rng_next(struct bwt_rng *rng)
{
	u64 x = rng->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, @n), @n > 0. */
static inline u32 bwt_rng_below(struct bwt_rng *rng, u32 n)
{
	return (u32)(((bwt_rng_next(rng) >> 32) * n) >> 32);
}

/* A 64-bit mixer (splitmix64's finaliser): a bijection on u64. */
static inline u64 bwt_mix(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * Values written by the concurrent suites: the high 16 bits are a tag
 * (who wrote it and when), the low 48 bits a checksum of the key.  A reader
 * that finds a value whose checksum does not match its key has read garbage
 * or another key's value.
 */
#define BWT_VAL_SUM_MASK	GENMASK_ULL(47, 0)

static inline u64 bwt_val(s64 key, u16 tag)
{
	return ((u64)tag << 48) | (bwt_mix((u64)key) & BWT_VAL_SUM_MASK);
}

static inline bool bwt_val_ok(s64 key, u64 val)
{
	return (val & BWT_VAL_SUM_MASK) == (bwt_mix((u64)key) & BWT_VAL_SUM_MASK);
}

static inline u16 bwt_val_tag(u64 val)
{
	return val >> 48;
}

/**
 * struct bwt_model - the reference map
 * @nr: keys in the universe
 * @keys: the universe, strictly ascending; see bwt_universe_key()
 * @vals: the value of each key that is present
 * @present: bitmap of the keys that are present
 * @count: keys present
 */
struct bwt_model {
	unsigned int nr;
	s64 *keys;
	u64 *vals;
	unsigned long *present;
	u64 count;
};

s64 bwt_universe_key(unsigned int i, unsigned int nr);
void bwt_model_init(struct kunit *test, struct bwt_model *m, unsigned int nr);
void bwt_model_init_keys(struct kunit *test, struct bwt_model *m,
			 const s64 *keys, unsigned int nr);
int bwt_model_find(const struct bwt_model *m, s64 key);
unsigned int bwt_model_lower(const struct bwt_model *m, s64 key);
int bwt_model_upper(const struct bwt_model *m, s64 key);

static inline bool bwt_model_has(const struct bwt_model *m, unsigned int i)
{
	return test_bit(i, m->present);
}

static inline void bwt_model_set(struct bwt_model *m, unsigned int i, u64 v)
{
	if (!__test_and_set_bit(i, m->present))
		m->count++;
	m->vals[i] = v;
}

static inline void bwt_model_clear(struct bwt_model *m, unsigned int i)
{
	if (__test_and_clear_bit(i, m->present))
		m->count--;
}

u64 bwt_kunit_seed(struct kunit *test, u64 salt);

struct bwtree *bwt_kunit_create(struct kunit *test,
				const struct bwtree_params *params);
struct bwtree *bwt_kunit_own(struct kunit *test, struct bwtree *tree);
void bwt_kunit_destroy(struct kunit *test, struct bwtree *tree);

bool bwt_check_scan(struct kunit *test, struct bwtree *tree,
		    struct bwt_model *m, s64 lo, s64 hi, unsigned int flags,
		    unsigned int max,
		    void (*between)(struct bwt_model *m, void *arg), void *arg);
bool bwt_check_scan_cb(struct kunit *test, struct bwtree *tree,
		       const struct bwt_model *m, s64 lo, s64 hi,
		       unsigned int flags);
bool bwt_check_tree(struct kunit *test, struct bwtree *tree,
		    struct bwt_model *m);
bool bwt_check_shape(struct kunit *test, struct bwtree *tree,
		     struct bwtree_stats *stats);
unsigned int bwt_min_height(u64 count, unsigned int leaf_cap,
			    unsigned int fanout);

/*
 * Parameter sets the suites sweep: tiny nodes make deep trees from a few
 * keys; {0, 0, 0} is the defaults.
 */
struct bwt_param_set {
	const char *name;
	struct bwtree_params params;
};

static const struct bwt_param_set bwt_param_sets[] __maybe_unused = {
	{ "leaf4-inner4-chain2", { .leaf_max = 4, .inner_max = 4, .chain_max = 2 } },
	{ "leaf8-inner8-chain4", { .leaf_max = 8, .inner_max = 8, .chain_max = 4 } },
	{ "leaf64-inner64-chain8", { .leaf_max = 64, .inner_max = 64, .chain_max = 8 } },
	{ "leaf16-inner4-chain1", { .leaf_max = 16, .inner_max = 4, .chain_max = 1 } },
	{ "defaults", { 0 } },
};

struct bwt_threads;

/**
 * struct bwt_thread - one kthread of a concurrent case
 * @grp: its group
 * @task: the kthread
 * @done: completed when @fn has returned
 * @joined: the case has waited for @done
 * @fn: the work; returns when done or when bwt_thread_should_stop()
 * @arg: the case's argument
 * @id: index in the group
 * @rng: its own generator, seeded from the case's seed and @id
 * @ops: operations done, for the report
 * @errors: checks that failed
 * @msg: the first failed check
 */
struct bwt_thread {
	struct bwt_threads *grp;
	struct task_struct *task;
	struct completion done;
	bool joined;
	void (*fn)(struct bwt_thread *t);
	void *arg;
	unsigned int id;
	struct bwt_rng rng;
	unsigned long ops;
	unsigned long errors;
	char msg[192];
};

/**
 * struct bwt_threads - kthreads of one case, stopped before its trees go
 * @nr: threads in @t
 * @started: threads started
 * @stop: set to ask every thread to return
 * @t: the threads
 *
 * Made by bwt_kunit_threads() after the case's trees, so that KUnit's
 * cleanup (which runs in reverse order) stops the threads before it
 * destroys the trees when an assertion ends a case early.
 */
struct bwt_threads {
	unsigned int nr;
	unsigned int started;
	atomic_t stop;
	struct bwt_thread t[];
};

struct bwt_threads *bwt_kunit_threads(struct kunit *test, unsigned int nr,
				      u64 seed);
void bwt_thread_start(struct kunit *test, struct bwt_threads *grp,
		      unsigned int i, void (*fn)(struct bwt_thread *t),
		      void *arg, const char *name);
void bwt_thread_join(struct bwt_thread *t);
void bwt_threads_join(struct bwt_threads *grp);
void bwt_threads_report(struct kunit *test, struct bwt_threads *grp);
__printf(2, 3) void bwt_thread_fail(struct bwt_thread *t, const char *fmt, ...);

static inline bool bwt_thread_should_stop(struct bwt_thread *t)
{
	return atomic_read(&t->grp->stop);
}

static inline void bwt_threads_stop(struct bwt_threads *grp)
{
	atomic_set(&grp->stop, 1);
}

#endif /* _BWTREE_KUNIT_H */
