// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace runtime: per-CPU allocations and the slow paths of
 * percpu_counter (see <bwt/percpu.h>), and each thread's CPU number.
 *
 * An allocation is one bwt_kmalloc() (so fail-nth, the live-object counts
 * and the leak checks see it) of bwt_nr_cpus() units, aligned to a cache
 * line, with the pointer to free stored after the last unit.
 */
#include <bwt/shim.h>
#include <bwt/poison.h>

/* CPUs' copies must not share a cache line. */
static_assert(BWT_PCPU_UNIT % L1_CACHE_BYTES == 0);

static size_t pcpu_len(void)
{
	return (size_t)bwt_nr_cpus() * BWT_PCPU_UNIT;
}

void *bwt_alloc_percpu(size_t size, size_t align, gfp_t gfp)
{
	size_t len = pcpu_len();
	char *raw, *base;
	int cpu;

	if (WARN(!size || size > BWT_PCPU_UNIT || align > L1_CACHE_BYTES,
		 "alloc_percpu: size %zu align %zu", size, align))
		return NULL;
	raw = bwt_kmalloc(len + L1_CACHE_BYTES - 1 + sizeof(raw),
			  gfp | __GFP_ZERO);
	if (!raw)
		return NULL;
	base = PTR_ALIGN(raw, L1_CACHE_BYTES);
	memcpy(base + len, &raw, sizeof(raw));
	for (cpu = 0; cpu < bwt_nr_cpus(); cpu++)
		poison(base + (size_t)cpu * BWT_PCPU_UNIT + size,
		       BWT_PCPU_UNIT - size);
	return base;
}

void bwt_free_percpu(void *ptr)
{
	char *base = ptr, *raw;
	size_t len = pcpu_len();

	if (!base)
		return;
	memcpy(&raw, base + len, sizeof(raw));
	unpoison(base, len);
	bwt_kfree(raw);
}

int bwt_pcc_init(struct percpu_counter *fbc, s64 amount, gfp_t gfp)
{
	fbc->counters = alloc_percpu_gfp(s64, gfp);
	if (!fbc->counters)
		return -ENOMEM;
	pthread_mutex_init(&fbc->lock, NULL);
	fbc->count = amount;
	return 0;
}

void bwt_pcc_destroy(struct percpu_counter *fbc)
{
	if (!fbc->counters)
		return;
	free_percpu(fbc->counters);
	fbc->counters = NULL;
	pthread_mutex_destroy(&fbc->lock);
}

/*
 * This CPU's part goes into ->count, under ->lock so that a sum never sees
 * it in neither place or in both.  The exchange takes what other threads
 * of this CPU added meanwhile as well.
 */
void bwt_pcc_fold(struct percpu_counter *fbc)
{
	s64 *mine = this_cpu_ptr(fbc->counters);
	s64 v;

	pthread_mutex_lock(&fbc->lock);
	v = __atomic_exchange_n(mine, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fbc->count, fbc->count + v, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&fbc->lock);
}

s64 bwt_pcc_sum(struct percpu_counter *fbc)
{
	s64 sum;
	int cpu;

	pthread_mutex_lock(&fbc->lock);
	sum = fbc->count;
	for_each_possible_cpu(cpu)
		sum += __atomic_load_n(per_cpu_ptr(fbc->counters, cpu),
				       __ATOMIC_RELAXED);
	pthread_mutex_unlock(&fbc->lock);
	return sum;
}

void bwt_pcc_set(struct percpu_counter *fbc, s64 amount)
{
	int cpu;

	pthread_mutex_lock(&fbc->lock);
	for_each_possible_cpu(cpu)
		__atomic_store_n(per_cpu_ptr(fbc->counters, cpu), 0,
				 __ATOMIC_RELAXED);
	__atomic_store_n(&fbc->count, amount, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&fbc->lock);
}

/*
 * A thread's CPU, at its first smp_processor_id(): round-robin over the
 * CPUs, so that threads started one after another (a benchmark's workers)
 * get CPUs of their own as long as there are enough.  It never changes:
 * per-CPU data stays right whatever the number, for every update of it is
 * atomic.
 */
int bwt_cpu_assign(void)
{
	static unsigned int next;
	unsigned int n = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);

	bwt_task.cpu = 1 + (int)(n % (unsigned int)bwt_nr_cpus());
	return bwt_task.cpu - 1;
}
