/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace runtime behind the shims (lib/ *.c), and the hooks tests use
 * to look inside it: live-object counters, fail-the-n-th-allocation, and a
 * count of every kernel-style complaint (WARN, sleeping in atomic context,
 * suspicious RCU usage, a cache destroyed with objects in it).
 *
 * Everything here is bwt_-prefixed so that the shim never defines a global
 * symbol with a kernel name: other kernel code compiled in userspace with
 * its own shims (the maple tree in the benchmark) links into the same binary.
 */
#ifndef _BWT_RUNTIME_H
#define _BWT_RUNTIME_H

#include <linux/types.h>
#include <bwt/compiler.h>

struct kmem_cache;

/* Per-thread state standing in for the kernel's task and CPU state. */
struct bwt_task {
	int rcu_nesting;	/* rcu_read_lock() depth */
	int preempt_count;	/* preempt_disable() nesting */
	int rcu_registered;	/* known to the RCU implementation */
	int fatal_signal;	/* what fatal_signal_pending() returns */
	unsigned long rcu_ctr;	/* own RCU: grace period seen, 0 = idle */
	struct bwt_task *rcu_next, *rcu_prev; /* own RCU: reader registry */
	/* fail-nth, as /proc/self/task/<tid>/fail-nth */
	unsigned long fail_nth;	/* fail the n-th allocation from now; 0 = off */
	unsigned long fail_fired; /* allocations failed on purpose */
	unsigned long fail_nowait; /* of those, ones that could not sleep */
	unsigned long alloc_calls; /* allocation attempts, monotonic */
	u64 rand_state[2];	/* get_random_*() */
	int cpu;		/* bwt_cpu() + 1; 0 until the first call */
	int pid;
	char comm[16];
};

extern __thread struct bwt_task bwt_task;

/* Complaints: each prints a message and a backtrace and is counted. */
void bwt_complain(const char *kind, const char *file, int line,
		  const char *fmt, ...) __printf(4, 5) __cold;
void __noreturn bwt_bug(const char *file, int line, const char *what) __cold;
unsigned long bwt_complaints(void);
void bwt_complaints_reset(void);
/* Abort on the first complaint instead of counting it (BWT_FATAL=1). */
extern int bwt_complaints_fatal;
extern int bwt_loglevel;	/* printk level shown; BWT_LOGLEVEL env */
void bwt_printk(int level, const char *fmt, ...) __printf(2, 3);
void bwt_dump_stack(void);

/* Allocator (lib/slab.c) */
struct kmem_cache *bwt_cache_create(const char *name, unsigned int size,
				    unsigned int align, slab_flags_t flags,
				    void (*ctor)(void *));
void bwt_cache_destroy(struct kmem_cache *c);
void *bwt_cache_alloc(struct kmem_cache *c, gfp_t gfp);
void bwt_cache_free(struct kmem_cache *c, void *obj);
unsigned int bwt_cache_size(struct kmem_cache *c);
void *bwt_kmalloc(size_t size, gfp_t gfp);
void *bwt_krealloc(const void *p, size_t size, gfp_t gfp);
void bwt_kfree(const void *p);
size_t bwt_ksize(const void *p);
bool bwt_alloc_should_fail(gfp_t gfp);

/* Test hooks (lib/slab.c) */
void bwt_fail_nth(unsigned long n);	/* this thread; 0 turns it off */
unsigned long bwt_fail_fired(void);	/* failures injected, this thread */
unsigned long bwt_fail_nowait(void);	/* of those, non-blocking ones */
unsigned long bwt_alloc_calls(void);	/* attempts, this thread */
long bwt_live_objects(void);		/* every cache + kmalloc */
long bwt_live_bytes(void);		/* as the kernel's slab would use */
long bwt_cache_live(const struct kmem_cache *c);
long bwt_cache_live_by_name(const char *name); /* -1 if no such cache */
void bwt_report_live(void);		/* per cache, to stderr */

/* RCU (lib/rcu.c) */
void bwt_rcu_register(void);		/* lazily, from rcu_read_lock() */
void bwt_rcu_unregister(void);
void bwt_call_rcu(struct callback_head *head, void (*func)(struct callback_head *));
void bwt_synchronize_rcu(void);
void bwt_rcu_barrier(void);
void bwt_kvfree_rcu(void *ptr);		/* headless: side node from malloc */
void bwt_rcu_ownimpl_wait(void);

/* Misc (lib/misc.c) */
u64 bwt_random_u64(void);
void bwt_random_seed(u64 seed);		/* this thread */
int bwt_nr_cpus(void);

/* The thread's CPU, smp_processor_id() (lib/percpu.c). */
int bwt_cpu_assign(void);
static __always_inline int bwt_cpu(void)
{
	int cpu = bwt_task.cpu;

	return likely(cpu) ? cpu - 1 : bwt_cpu_assign();
}

/*
 * Pause points (lib/misc.c): the core calls bwt_pause_point(name) at chosen
 * places inside its RCU read sections (module/tree/internal.h defines it empty
 * for the kernel).  A test thread registers a &struct bwt_pause, arms names
 * on it, and then parks at the first hit of each armed name until another
 * thread releases it: interleavings are driven step by step.
 */
struct bwt_pause {
	const char *armed[8];	/* names to stop at once each */
	const char *parked;	/* where the thread waits now, or NULL */
	bool go;		/* released */
	bool done;		/* the thread's job is over */
};

void bwt_pause_hit(const char *name);
void bwt_pause_attach(struct bwt_pause *p);	/* the calling thread's */
void bwt_pause_arm(struct bwt_pause *p, const char *name);
/* Until @p parks at @name or is done, or @secs pass: parked at @name? */
bool bwt_pause_wait(struct bwt_pause *p, const char *name, double secs);
/* Let it go on; returns once it has left the pause point. */
void bwt_pause_release(struct bwt_pause *p);
void bwt_pause_done(struct bwt_pause *p);	/* by the thread, at its end */
/* Until done or @secs pass: done? */
bool bwt_pause_wait_done(struct bwt_pause *p, double secs);

/* Debug checks; compiled out of the benchmark build. */
#ifdef BWT_NO_CHECKS
#define BWT_CHECKS 0
#else
#define BWT_CHECKS 1
#endif

static __always_inline void bwt_might_sleep(const char *file, int line)
{
	if (BWT_CHECKS && unlikely(bwt_task.rcu_nesting || bwt_task.preempt_count))
		bwt_complain("might_sleep", file, line,
			     "sleeping function called from invalid context: rcu_nesting=%d preempt_count=%d",
			     bwt_task.rcu_nesting, bwt_task.preempt_count);
}

#endif /* _BWT_RUNTIME_H */
