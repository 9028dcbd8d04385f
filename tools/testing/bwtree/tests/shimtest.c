// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the shim itself: if the shim is wrong, every other test is too.
 * Atomics return what the kernel's return, cmpxchg/try_cmpxchg/xchg on
 * pointers, the allocator's counters and fail-nth, per-CPU data and
 * percpu_counter (layout, exact sums with threads sharing a CPU), and RCU:
 * synchronize_rcu() waits for a reader, call_rcu() callbacks run after a
 * grace period and before rcu_barrier() returns, and the debug checks fire.
 */
#include "harness.h"

static void test_atomics(void)
{
	atomic_t a = ATOMIC_INIT(5);
	atomic64_t b = ATOMIC64_INIT(-3);
	atomic_long_t c = ATOMIC_LONG_INIT(10);
	int old = 7;
	s64 o64 = -3;
	long ol = 11;
	int before = h_failures;

	H_CHECK(atomic_add_return(2, &a) == 7, "add_return");
	H_CHECK(atomic_fetch_add(1, &a) == 7 && atomic_read(&a) == 8, "fetch_add");
	H_CHECK(atomic_inc_return(&a) == 9, "inc_return");
	H_CHECK(atomic_dec_and_test(&a) == false, "dec_and_test");
	H_CHECK(atomic_cmpxchg(&a, 8, 1) == 8 && atomic_read(&a) == 1, "cmpxchg");
	H_CHECK(!atomic_try_cmpxchg(&a, &old, 2) && old == 1, "try_cmpxchg fail");
	H_CHECK(atomic_try_cmpxchg(&a, &old, 2) && atomic_read(&a) == 2, "try_cmpxchg");
	H_CHECK(atomic_xchg(&a, 0) == 2 && !atomic_inc_not_zero(&a), "xchg, inc_not_zero");
	H_CHECK(atomic_dec_if_positive(&a) == -1 && atomic_read(&a) == 0, "dec_if_positive");
	H_CHECK(atomic64_try_cmpxchg(&b, &o64, S64_MAX) && atomic64_read(&b) == S64_MAX,
		"atomic64 try_cmpxchg");
	H_CHECK(atomic64_inc_return(&b) == S64_MIN, "atomic64 wraps like the kernel");
	H_CHECK(!atomic_long_try_cmpxchg(&c, &ol, 3) && ol == 10, "atomic_long try_cmpxchg");
	atomic_long_sub(4, &c);
	H_CHECK(atomic_long_read(&c) == 6 && atomic_long_sub_return(6, &c) == 0, "atomic_long");
	h_ok(h_failures == before, "atomic_t/atomic64_t/atomic_long_t return values");
}

struct node {
	int v;
};

static void test_cmpxchg(void)
{
	struct node n[4], *p = &n[0], *q, *exp;
	struct node *slot = p;
	u64 w = 1;
	int before = h_failures;

	exp = &n[1];
	H_CHECK(cmpxchg(&slot, exp, &n[2]) == p && slot == p, "failed cmpxchg returns current");
	H_CHECK(cmpxchg(&slot, p, &n[2]) == p && slot == &n[2], "cmpxchg");
	q = &n[3];
	H_CHECK(!try_cmpxchg(&slot, &q, p) && q == &n[2], "try_cmpxchg updates old");
	H_CHECK(xchg(&slot, NULL) == &n[2] && !slot, "xchg");
	H_CHECK(cmpxchg(&w, 1, 2) == 1 && w == 2, "cmpxchg u64");
	/* single-threaded: only checks that the acquire load returns the value */
	H_CHECK(smp_load_acquire(&w) == 2, "smp_load_acquire");
	/* single-threaded: only checks that the release store writes the value */
	smp_store_release(&w, 5);
	H_CHECK(READ_ONCE(w) == 5, "READ_ONCE");
	h_ok(h_failures == before, "cmpxchg, try_cmpxchg, xchg, acquire/release");
}

static void test_bits(void)
{
	int before = h_failures;

	H_CHECK(ilog2(1) == 0 && ilog2(64) == 6 && ilog2(65) == 6, "ilog2");
	H_CHECK(roundup_pow_of_two(1) == 1 && roundup_pow_of_two(33) == 64, "roundup_pow_of_two");
	H_CHECK(fls64(0) == 0 && fls64(1) == 1 && fls64(U64_MAX) == 64, "fls64");
	H_CHECK(min(3, 4) == 3 && max_t(s64, -1, 2) == 2 && clamp(9, 1, 5) == 5, "minmax");
	H_CHECK(IS_ERR(ERR_PTR(-ENOMEM)) && PTR_ERR(ERR_PTR(-ENOMEM)) == -ENOMEM &&
		!IS_ERR(&before), "ERR_PTR");
	H_CHECK(S64_MIN < 0 && S64_MAX > 0 && U64_MAX == ~0ULL,
		"limits");
	H_CHECK(size_mul(SIZE_MAX, 2) == SIZE_MAX && array_size(3, 4) == 12, "overflow");
	h_ok(h_failures == before, "bitops, log2, minmax, err, limits, overflow");
}

static void test_alloc(void)
{
	struct kmem_cache *c = kmem_cache_create("shimtest", 40, 0, SLAB_HWCACHE_ALIGN, NULL);
	long live0 = bwt_live_objects(), bytes0 = bwt_live_bytes();
	void *p[4], *k;
	int before = h_failures, i;

	H_CHECK(c, "kmem_cache_create");
	for (i = 0; i < 4; i++)
		p[i] = kmem_cache_zalloc(c, GFP_KERNEL);
	H_CHECK(bwt_live_objects() == live0 + 4 && bwt_cache_live(c) == 4, "counted");
	H_CHECK(bwt_live_bytes() == bytes0 + 4 * 64, "SLUB size: 40 -> 64 with HWCACHE_ALIGN");
	H_CHECK(((unsigned long)p[0] & 63) == 0, "cache line aligned");
	H_CHECK(!memcmp(p[1], p[2], 40) && !((char *)p[1])[39], "zeroed");
	k = kmalloc(100, GFP_KERNEL);
	H_CHECK(bwt_live_bytes() == bytes0 + 4 * 64 + 128, "kmalloc-128");
	H_CHECK(((unsigned long)kmalloc_size_roundup(100)) == 128, "kmalloc_size_roundup");
	kfree(k);
	k = kmalloc(256, GFP_KERNEL);
	H_CHECK(((unsigned long)k & 255) == 0, "kmalloc(256) is naturally aligned");
	kfree(k);
	bwt_fail_nth(3);
	k = kmalloc(8, GFP_KERNEL);
	H_CHECK(k, "1st ok");
	kfree(k);
	k = kmem_cache_alloc(c, GFP_KERNEL);
	H_CHECK(k, "2nd ok");
	kmem_cache_free(c, k);
	k = kmalloc(8, GFP_KERNEL);
	H_CHECK(!k && bwt_fail_fired() == 1, "3rd fails");
	k = kmalloc(8, GFP_KERNEL);
	H_CHECK(k, "only once");
	kfree(k);
	bwt_fail_nth(0);
	for (i = 0; i < 4; i++)
		kmem_cache_free(c, p[i]);
	H_CHECK(bwt_live_objects() == live0 && bwt_live_bytes() == bytes0, "all freed");
	kmem_cache_destroy(c);
	h_ok(h_failures == before, "allocator: counters, SLUB sizes, alignment, fail-nth");
}

struct pcpu_obj {
	u64 a;
	u64 b[3];
};

#define PCPU_ROUNDS	100000

static struct {
	struct pcpu_obj __percpu *obj;
	struct percpu_counter fbc;
	pthread_barrier_t start;
	int threads;
	int done;
	int cpu_used[CONFIG_NR_CPUS];
} pc;

/*
 * Started together, PCPU_ROUNDS times: count one on this CPU, and add 1 to
 * the counter with a batch of 2, so that every other addition folds.
 */
static void *pcpu_worker(void *arg)
{
	int i;

	__atomic_store_n(&pc.cpu_used[bwt_cpu() % CONFIG_NR_CPUS], 1,
			 __ATOMIC_RELAXED);
	pthread_barrier_wait(&pc.start);
	for (i = 0; i < PCPU_ROUNDS; i++) {
		this_cpu_inc(pc.obj->a);
		percpu_counter_add_batch(&pc.fbc, 1, 2);
	}
	__atomic_add_fetch(&pc.done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_percpu(void)
{
	int before = h_failures, ncpu = bwt_nr_cpus(), cpu, i, used = 0;
	long live0 = bwt_live_objects();
	struct percpu_counter fbc;
	pthread_t th[2 * CONFIG_NR_CPUS + 1];
	s64 sum, prev = 0;
	u64 total = 0;
	long sums = 0, drops = 0;

	pc.obj = alloc_percpu(struct pcpu_obj);
	H_CHECK(pc.obj, "alloc_percpu");
	for_each_possible_cpu(cpu) {
		struct pcpu_obj *o = per_cpu_ptr(pc.obj, cpu);

		H_CHECK(!o->a && !o->b[2], "zeroed on CPU %d", cpu);
		H_CHECK(((uintptr_t)o & 63) == 0, "CPU %d's copy starts a cache line", cpu);
		if (cpu)
			H_CHECK((char *)o - (char *)per_cpu_ptr(pc.obj, cpu - 1) >= 64,
				"CPUs %d and %d share no cache line", cpu - 1, cpu);
	}
	H_CHECK(this_cpu_ptr(pc.obj) == per_cpu_ptr(pc.obj, smp_processor_id()),
		"this_cpu_ptr");
	this_cpu_add(pc.obj->b[1], 5);
	this_cpu_dec(pc.obj->b[1]);
	H_CHECK(per_cpu_ptr(pc.obj, bwt_cpu())->b[1] == 4 && this_cpu_read(pc.obj->b[1]) == 4,
		"this_cpu_add/dec on a member land in this CPU's copy");
	this_cpu_write(pc.obj->b[1], 0);

	H_CHECK(percpu_counter_init(&fbc, 5, GFP_KERNEL) == 0, "percpu_counter_init");
	percpu_counter_add_batch(&fbc, 3, 4);
	H_CHECK(percpu_counter_read(&fbc) == 5 && percpu_counter_sum(&fbc) == 8,
		"below the batch: only this CPU's part changes");
	H_CHECK(__percpu_counter_compare(&fbc, 8, 4) == 0 &&
		__percpu_counter_compare(&fbc, 7, 4) == 1 &&
		__percpu_counter_compare(&fbc, 9, 4) == -1,
		"compare near the value: exact");
	percpu_counter_add_batch(&fbc, 1, 4);
	H_CHECK(percpu_counter_read(&fbc) == 9 && percpu_counter_sum(&fbc) == 9,
		"at the batch: folded");
	percpu_counter_add_local(&fbc, -20);
	H_CHECK(percpu_counter_read(&fbc) == 9 && percpu_counter_sum(&fbc) == -11 &&
		percpu_counter_sum_positive(&fbc) == 0, "add_local, sum_positive");
	H_CHECK(__percpu_counter_compare(&fbc, 1000000, 4) == -1, "compare far away");
	percpu_counter_set(&fbc, 7);
	H_CHECK(percpu_counter_read(&fbc) == 7 && percpu_counter_sum(&fbc) == 7, "set");
	percpu_counter_destroy(&fbc);
	H_CHECK(!percpu_counter_initialized(&fbc), "destroyed");
	percpu_counter_destroy(&fbc);

	bwt_fail_nth(1);
	H_CHECK(percpu_counter_init(&fbc, 0, GFP_KERNEL) == -ENOMEM &&
		!percpu_counter_initialized(&fbc), "percpu_counter_init fails cleanly");
	bwt_fail_nth(1);
	H_CHECK(!alloc_percpu(u64), "alloc_percpu fails under fail-nth");
	bwt_fail_nth(0);

	/* More threads than CPUs: some share one, and nothing is lost. */
	pc.threads = min(2 * ncpu + 1, (int)ARRAY_SIZE(th));
	H_CHECK(percpu_counter_init(&pc.fbc, 0, GFP_KERNEL) == 0, "percpu_counter_init");
	pthread_barrier_init(&pc.start, NULL, pc.threads + 1);
	for (i = 0; i < pc.threads; i++)
		pthread_create(&th[i], NULL, pcpu_worker, NULL);
	pthread_barrier_wait(&pc.start);
	/* A fold moves a CPU's part into ->count at once: no sum sees it in neither. */
	while (__atomic_load_n(&pc.done, __ATOMIC_RELAXED) < pc.threads) {
		sum = percpu_counter_sum(&pc.fbc);
		drops += sum < prev;
		prev = sum;
		sums++;
	}
	for (i = 0; i < pc.threads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&pc.start);
	h_diag("percpu: %d threads on %d CPUs, %ld sums meanwhile", pc.threads, ncpu, sums);
	H_CHECK(!drops, "sums of a counter that only grows never fell (%ld times)", drops);
	H_CHECK(percpu_counter_sum(&pc.fbc) == (s64)pc.threads * PCPU_ROUNDS,
		"exact at rest: %lld", (long long)percpu_counter_sum(&pc.fbc));
	for_each_possible_cpu(cpu) {
		total += per_cpu_ptr(pc.obj, cpu)->a;
		used += pc.cpu_used[cpu % CONFIG_NR_CPUS];
	}
	H_CHECK(total == (u64)pc.threads * PCPU_ROUNDS, "this_cpu_inc lost nothing: %llu",
		(unsigned long long)total);
	H_CHECK(used == min(ncpu, CONFIG_NR_CPUS), "threads spread over every CPU (%d of %d)",
		used, ncpu);
	percpu_counter_destroy(&pc.fbc);
	free_percpu(pc.obj);
	H_CHECK(bwt_live_objects() == live0, "per-CPU memory freed");
	h_ok(h_failures == before,
	     "per-CPU data and percpu_counter: layout, this_cpu ops, folds, exact sums, fail-nth");
}

static int reader_state;	/* 1: in section, 2: may leave, 3: left */
static int cb_ran;

static void *reader(void *arg)
{
	rcu_read_lock();
	__atomic_store_n(&reader_state, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&reader_state, __ATOMIC_SEQ_CST) != 2)
		usleep(1000);
	usleep(50000);
	__atomic_store_n(&reader_state, 3, __ATOMIC_SEQ_CST);
	rcu_read_unlock();
	return NULL;
}

static void cb(struct rcu_head *head)
{
	__atomic_add_fetch(&cb_ran, 1, __ATOMIC_SEQ_CST);
	free(head);
}

static void test_rcu(void)
{
	int before = h_failures, i;
	unsigned long c0;
	pthread_t t;
	int *ip = NULL, *pp;

	pthread_create(&t, NULL, reader, NULL);
	while (!__atomic_load_n(&reader_state, __ATOMIC_SEQ_CST))
		usleep(1000);
	__atomic_store_n(&reader_state, 2, __ATOMIC_SEQ_CST);
	synchronize_rcu();
	H_CHECK(__atomic_load_n(&reader_state, __ATOMIC_SEQ_CST) == 3,
		"synchronize_rcu() returned while a reader was inside");
	pthread_join(t, NULL);
	for (i = 0; i < 100; i++)
		call_rcu(malloc(sizeof(struct rcu_head)), cb);
	rcu_barrier();
	H_CHECK(cb_ran == 100, "rcu_barrier() returned before the callbacks ran (%d)", cb_ran);
	rcu_assign_pointer(ip, &i);
	rcu_read_lock();
	pp = rcu_dereference(ip);
	rcu_read_unlock();
	H_CHECK(pp == &i, "rcu_dereference");
	/* the checks: each must complain once */
	c0 = bwt_complaints();
	rcu_read_lock();
	might_sleep();
	rcu_read_unlock();
	H_CHECK(bwt_complaints() == c0 + 1, "might_sleep in RCU read section not reported");
	pp = rcu_dereference(ip);
	H_CHECK(bwt_complaints() == c0 + 2, "rcu_dereference outside RCU not reported");
	rcu_read_lock();
	pp = kmalloc(8, GFP_KERNEL);
	rcu_read_unlock();
	kfree(pp);
	H_CHECK(bwt_complaints() == c0 + 3, "GFP_KERNEL in RCU read section not reported");
	WARN_ON(1);
	H_CHECK(bwt_complaints() == c0 + 4, "WARN_ON not counted");
	bwt_complaints_reset();
	h_ok(h_failures == before,
	     "RCU: grace periods, call_rcu, rcu_barrier, lockdep-like checks");
}

int main(void)
{
	bwt_loglevel = 3;
	test_atomics();
	test_cmpxchg();
	test_bits();
	test_alloc();
	test_percpu();
	fprintf(stderr, "# the next four complaints are expected\n");
	test_rcu();
	h_check_complaints("shimtest");
	return h_exit_status();
}
