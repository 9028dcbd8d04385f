/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: per-CPU data (<linux/percpu.h>) and percpu_counter
 * (<linux/percpu_counter.h>), written for the harness.
 *
 * A per-CPU object is bwt_nr_cpus() copies, BWT_PCPU_UNIT bytes apart (the
 * kernel's per-CPU "unit"), the first at the address alloc_percpu()
 * returns: per_cpu_ptr(p, cpu) is p + cpu * BWT_PCPU_UNIT.  The stride is
 * the same for every allocation, so a this_cpu operation finds its copy
 * from the address of any member alone, as this_cpu_inc(p->field) needs.
 * Copies of different CPUs never share a cache line; the bytes of a unit
 * past the object are poisoned for AddressSanitizer.
 *
 * The current CPU is bwt_cpu(), smp_processor_id(): a number each thread
 * gets once (<bwt/runtime.h>).  Threads may share one, so where the kernel's
 * this_cpu operations are plain instructions, safe because only that CPU
 * writes its copy, these are relaxed atomic read-modify-writes: no update
 * is lost, and reads of other CPUs' copies (READ_ONCE(), relaxed atomic
 * loads) race with nothing ThreadSanitizer would report.
 *
 * percpu_counter keeps the kernel's contract: a part per CPU, folded into
 * ->count under ->lock once its magnitude reaches the batch;
 * percpu_counter_sum() takes ->lock and adds every CPU's part to ->count, so
 * it is exact but for the additions in flight; percpu_counter_read() is
 * ->count alone, off by less than batch * num_online_cpus().
 */
#ifndef _BWT_PERCPU_H
#define _BWT_PERCPU_H

#define BWT_PCPU_UNIT		512	/* bytes per CPU for each allocation */

void *bwt_alloc_percpu(size_t size, size_t align, gfp_t gfp);
void bwt_free_percpu(void *ptr);

#define __alloc_percpu_gfp(size, align, gfp) bwt_alloc_percpu(size, align, gfp)
#define __alloc_percpu(size, align)	bwt_alloc_percpu(size, align, GFP_KERNEL)
#define alloc_percpu_gfp(type, gfp)					\
	((typeof(type) __percpu *)bwt_alloc_percpu(sizeof(type),	\
						   __alignof__(type), gfp))
#define alloc_percpu(type)		alloc_percpu_gfp(type, GFP_KERNEL)
#define free_percpu(ptr)		bwt_free_percpu(ptr)

#define per_cpu_ptr(ptr, cpu)						\
	((typeof(ptr))((uintptr_t)(ptr) +				\
		       (uintptr_t)(unsigned int)(cpu) * BWT_PCPU_UNIT))
#define this_cpu_ptr(ptr)		per_cpu_ptr(ptr, bwt_cpu())
#define raw_cpu_ptr(ptr)		this_cpu_ptr(ptr)
#define per_cpu(var, cpu)		(*per_cpu_ptr(&(var), cpu))

/* this_cpu operations on an lvalue: relaxed atomics on this CPU's copy. */
#define __bwt_pcpu_rmw(op, pcp, val)					\
	__atomic_##op(this_cpu_ptr(&(pcp)), (typeof(pcp))(val),	\
		      __ATOMIC_RELAXED)
#define this_cpu_read(pcp)						\
	__atomic_load_n(this_cpu_ptr(&(pcp)), __ATOMIC_RELAXED)
#define this_cpu_write(pcp, val)					\
	__atomic_store_n(this_cpu_ptr(&(pcp)), (typeof(pcp))(val),	\
			 __ATOMIC_RELAXED)
#define this_cpu_add(pcp, val)	((void)__bwt_pcpu_rmw(fetch_add, pcp, val))
#define this_cpu_sub(pcp, val)	((void)__bwt_pcpu_rmw(fetch_sub, pcp, val))
#define this_cpu_inc(pcp)		this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)		this_cpu_sub(pcp, 1)
#define this_cpu_add_return(pcp, val)	__bwt_pcpu_rmw(add_fetch, pcp, val)
#define this_cpu_sub_return(pcp, val)	__bwt_pcpu_rmw(sub_fetch, pcp, val)
#define this_cpu_inc_return(pcp)	this_cpu_add_return(pcp, 1)
#define this_cpu_dec_return(pcp)	this_cpu_sub_return(pcp, 1)
#define this_cpu_xchg(pcp, val)	__bwt_pcpu_rmw(exchange_n, pcp, val)
#define this_cpu_try_cmpxchg(pcp, ovalp, nval)				\
	__atomic_compare_exchange_n(this_cpu_ptr(&(pcp)), (ovalp),	\
				    (typeof(pcp))(nval), false,		\
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define this_cpu_cmpxchg(pcp, oval, nval) ({				\
	typeof(pcp) __pc_old = (oval);					\
	this_cpu_try_cmpxchg(pcp, &__pc_old, nval);			\
	__pc_old;							\
})
#define __this_cpu_read(pcp)		this_cpu_read(pcp)
#define __this_cpu_write(pcp, val)	this_cpu_write(pcp, val)
#define __this_cpu_add(pcp, val)	this_cpu_add(pcp, val)
#define __this_cpu_sub(pcp, val)	this_cpu_sub(pcp, val)
#define __this_cpu_inc(pcp)		this_cpu_inc(pcp)
#define __this_cpu_dec(pcp)		this_cpu_dec(pcp)
#define raw_cpu_read(pcp)		this_cpu_read(pcp)
#define raw_cpu_write(pcp, val)		this_cpu_write(pcp, val)
#define raw_cpu_add(pcp, val)		this_cpu_add(pcp, val)
#define raw_cpu_inc(pcp)		this_cpu_inc(pcp)
#define raw_cpu_dec(pcp)		this_cpu_dec(pcp)

/* ---------------------------------------------------------- percpu_counter */
/*
 * The per-CPU parts are s64 here, not the kernel's s32, so that one atomic
 * addition can take any amount and be looked at afterwards.
 */
struct percpu_counter {
	pthread_mutex_t lock;
	s64 count;
	s64 __percpu *counters;
};

#define PERCPU_COUNTER_LOCAL_BATCH	INT_MAX
#define percpu_counter_batch		((s32)max(32, 2 * bwt_nr_cpus()))

int bwt_pcc_init(struct percpu_counter *fbc, s64 amount, gfp_t gfp);
void bwt_pcc_destroy(struct percpu_counter *fbc);
void bwt_pcc_fold(struct percpu_counter *fbc);
s64 bwt_pcc_sum(struct percpu_counter *fbc);
void bwt_pcc_set(struct percpu_counter *fbc, s64 amount);

#define percpu_counter_init(fbc, value, gfp)	bwt_pcc_init(fbc, value, gfp)
#define percpu_counter_destroy(fbc)		bwt_pcc_destroy(fbc)
#define percpu_counter_set(fbc, amount)		bwt_pcc_set(fbc, amount)

static inline bool percpu_counter_initialized(struct percpu_counter *fbc)
{
	return fbc->counters != NULL;
}

/* Add to this CPU's part; once that reaches @batch, fold it into ->count. */
static inline void percpu_counter_add_batch(struct percpu_counter *fbc,
					    s64 amount, s32 batch)
{
	s64 now = __atomic_add_fetch(this_cpu_ptr(fbc->counters), amount,
				     __ATOMIC_RELAXED);

	if (unlikely(abs(now) >= batch))
		bwt_pcc_fold(fbc);
}

static inline void percpu_counter_add(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add_batch(fbc, amount, percpu_counter_batch);
}

static inline void percpu_counter_add_local(struct percpu_counter *fbc,
					    s64 amount)
{
	percpu_counter_add_batch(fbc, amount, PERCPU_COUNTER_LOCAL_BATCH);
}

static inline void percpu_counter_sub(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add(fbc, -amount);
}

static inline void percpu_counter_sub_local(struct percpu_counter *fbc,
					    s64 amount)
{
	percpu_counter_add_local(fbc, -amount);
}

static inline void percpu_counter_inc(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, 1);
}

static inline void percpu_counter_dec(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, -1);
}

static inline s64 __percpu_counter_sum(struct percpu_counter *fbc)
{
	return bwt_pcc_sum(fbc);
}

static inline s64 percpu_counter_sum(struct percpu_counter *fbc)
{
	return bwt_pcc_sum(fbc);
}

static inline s64 percpu_counter_sum_positive(struct percpu_counter *fbc)
{
	s64 ret = bwt_pcc_sum(fbc);

	return ret < 0 ? 0 : ret;
}

static inline s64 percpu_counter_read(struct percpu_counter *fbc)
{
	return __atomic_load_n(&fbc->count, __ATOMIC_RELAXED);
}

static inline s64 percpu_counter_read_positive(struct percpu_counter *fbc)
{
	s64 ret = percpu_counter_read(fbc);

	return ret < 0 ? 0 : ret;
}

/*
 * -1, 0 or 1 as the counter is below, at or above @rhs: from ->count alone
 * when that is further from @rhs than the CPUs' parts can hold, else from
 * the exact sum.
 */
static inline int __percpu_counter_compare(struct percpu_counter *fbc,
					   s64 rhs, s32 batch)
{
	s64 v = percpu_counter_read(fbc);

	if (abs(v - rhs) <= (s64)batch * num_online_cpus())
		v = bwt_pcc_sum(fbc);
	return v > rhs ? 1 : v < rhs ? -1 : 0;
}

static inline int percpu_counter_compare(struct percpu_counter *fbc, s64 rhs)
{
	return __percpu_counter_compare(fbc, rhs, percpu_counter_batch);
}

#endif /* _BWT_PERCPU_H */
