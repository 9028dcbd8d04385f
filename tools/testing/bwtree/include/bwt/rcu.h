/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: <linux/rcupdate.h>.
 *
 * Two implementations, chosen at build time:
 *  - default: liburcu's urcu-memb flavour, with its read-side inlined
 *    (_LGPL_SOURCE).  Threads register lazily on their first
 *    rcu_read_lock()/call_rcu(); lib/rcu.c unregisters them at exit.
 *  - BWT_RCU_OWN: a small RCU made of __atomic operations only
 *    (lib/rcu.c), for ThreadSanitizer, which cannot see liburcu's
 *    membarrier()-based ordering.  A reader publishes the grace-period
 *    counter it saw with a seq_cst store and leaves with a release store of
 *    0; synchronize_rcu() advances the counter and waits, with acquire
 *    loads, for every reader that is neither idle nor past the new value.
 *    The release/acquire pair is the happens-before edge TSan needs between
 *    a reader's last access and the free.
 *
 * Both track the read-side depth per thread, so might_sleep(),
 * GFP_KERNEL allocations and synchronize_rcu() inside a read-side section,
 * and rcu_dereference() outside one, are reported as the kernel's
 * CONFIG_PROVE_RCU / CONFIG_DEBUG_ATOMIC_SLEEP would.
 */
#ifndef _BWT_RCU_H
#define _BWT_RCU_H

#include <linux/types.h>
#include <bwt/compiler.h>
#include <bwt/atomic.h>
#include <bwt/runtime.h>

#ifndef BWT_RCU_OWN
#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#undef rcu_head
#include <urcu/urcu-memb.h>
#define rcu_head callback_head
#undef rcu_dereference
#undef rcu_cmpxchg_pointer
#undef rcu_xchg_pointer
#undef rcu_set_pointer
#undef rcu_assign_pointer
#else
extern unsigned long bwt_rcu_gp;
#endif

static __always_inline void rcu_read_lock(void)
{
	if (unlikely(!bwt_task.rcu_registered))
		bwt_rcu_register();
#ifdef BWT_RCU_OWN
	if (bwt_task.rcu_nesting++ == 0) {
		__atomic_store_n(&bwt_task.rcu_ctr,
				 __atomic_load_n(&bwt_rcu_gp, __ATOMIC_RELAXED),
				 __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
#else
	bwt_task.rcu_nesting++;
	urcu_memb_read_lock();
#endif
}

static __always_inline void rcu_read_unlock(void)
{
	if (BWT_CHECKS && unlikely(bwt_task.rcu_nesting <= 0))
		bwt_bug(__FILE__, __LINE__, "rcu_read_unlock() without rcu_read_lock()");
#ifdef BWT_RCU_OWN
	if (--bwt_task.rcu_nesting == 0)
		__atomic_store_n(&bwt_task.rcu_ctr, 0, __ATOMIC_RELEASE);
#else
	urcu_memb_read_unlock();
	bwt_task.rcu_nesting--;
#endif
}

#define rcu_read_lock_bh()		rcu_read_lock()
#define rcu_read_unlock_bh()		rcu_read_unlock()
#define rcu_read_lock_sched()		do { rcu_read_lock(); preempt_disable(); } while (0)
#define rcu_read_unlock_sched()		do { preempt_enable(); rcu_read_unlock(); } while (0)
#define rcu_read_lock_held()		(bwt_task.rcu_nesting > 0)
#define rcu_read_lock_any_held()	(bwt_task.rcu_nesting > 0 || bwt_task.preempt_count > 0)
#define rcu_read_lock_bh_held()		rcu_read_lock_held()
#define rcu_read_lock_sched_held()	rcu_read_lock_any_held()
#define rcu_is_watching()		true
#define rcu_lockdep_current_cpu_online() true
#define debug_lockdep_rcu_enabled()	BWT_CHECKS

#define RCU_LOCKDEP_WARN(c, s)						\
do {									\
	if (BWT_CHECKS && unlikely(c))					\
		bwt_complain("suspicious RCU usage", __FILE__, __LINE__, "%s", s); \
} while (0)

#define __bwt_rcu_check(c, what)					\
	RCU_LOCKDEP_WARN(!(c), what " outside its protection")

#define RCU_INITIALIZER(v)	((typeof(*(v)) __force __rcu *)(v))
#define unrcu_pointer(p)	((typeof(*(p)) __force *)(p))
#define rcu_access_pointer(p)	READ_ONCE(p)
#define rcu_dereference_raw(p)	READ_ONCE(p)
#define rcu_dereference_raw_check(p) READ_ONCE(p)

#define rcu_dereference_check(p, c)					\
({									\
	__bwt_rcu_check((c) || rcu_read_lock_held(), "rcu_dereference_check()"); \
	READ_ONCE(p);							\
})
#define rcu_dereference(p)	rcu_dereference_check(p, 0)
#define rcu_dereference_bh(p)	rcu_dereference_check(p, 0)
#define rcu_dereference_sched(p) rcu_dereference_check(p, bwt_task.preempt_count > 0)
#define rcu_dereference_bh_check(p, c) rcu_dereference_check(p, c)
#define rcu_dereference_sched_check(p, c) rcu_dereference_check(p, (c) || bwt_task.preempt_count > 0)

/*
 * As in the kernel, a plain load: the condition says why nothing can change
 * the pointer, so a concurrent writer is a data race ThreadSanitizer reports.
 */
#define rcu_dereference_protected(p, c)					\
({									\
	__bwt_rcu_check(c, "rcu_dereference_protected()");		\
	(p);								\
})

#define rcu_assign_pointer(p, v)					\
do {									\
	__typeof__(p) __ra_v = (__typeof__(p))(v);			\
	__atomic_store(&(p), &__ra_v, __ATOMIC_RELEASE);		\
} while (0)
#define RCU_INIT_POINTER(p, v)	WRITE_ONCE(p, (__typeof__(p))(v))
#define RCU_POINTER_INITIALIZER(p, v) .p = RCU_INITIALIZER(v)
#define rcu_replace_pointer(rcu_ptr, ptr, c)				\
({									\
	typeof(ptr) __tmp = rcu_dereference_protected((rcu_ptr), (c));	\
	rcu_assign_pointer((rcu_ptr), (ptr));				\
	__tmp;								\
})

static __always_inline void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	bwt_call_rcu(head, func);
}

#define call_rcu_hurry(head, func)	call_rcu(head, func)

static inline void synchronize_rcu(void)
{
	bwt_might_sleep(__FILE__, __LINE__);
	bwt_synchronize_rcu();
}

#define synchronize_rcu_expedited()	synchronize_rcu()
#define synchronize_rcu_tasks()		synchronize_rcu()
#define synchronize_net()		synchronize_rcu()

static inline void rcu_barrier(void)
{
	bwt_might_sleep(__FILE__, __LINE__);
	bwt_rcu_barrier();
}

#define cond_synchronize_rcu(cookie)	synchronize_rcu()
#define get_state_synchronize_rcu()	0UL
#define poll_state_synchronize_rcu(c)	false

/* kfree_rcu(ptr, field) and kvfree_rcu(ptr[, field]); the field is not needed. */
#define __bwt_kvfree_rcu_1(ptr)		bwt_kvfree_rcu((void *)(ptr))
#define __bwt_kvfree_rcu_2(ptr, rhf)					\
do {									\
	BUILD_BUG_ON(offsetof(typeof(*(ptr)), rhf) >= 4096);		\
	bwt_kvfree_rcu((void *)(ptr));					\
} while (0)
#define __bwt_kvfree_rcu_pick(_1, _2, name, ...) name
#define kvfree_rcu(...)							\
	__bwt_kvfree_rcu_pick(__VA_ARGS__, __bwt_kvfree_rcu_2,		\
			      __bwt_kvfree_rcu_1)(__VA_ARGS__)
#define kfree_rcu(...)		kvfree_rcu(__VA_ARGS__)
#define kfree_rcu_mightsleep(ptr) __bwt_kvfree_rcu_1(ptr)
#define kvfree_rcu_mightsleep(ptr) __bwt_kvfree_rcu_1(ptr)

static inline void init_rcu_head(struct rcu_head *head) { }
static inline void destroy_rcu_head(struct rcu_head *head) { }
static inline void init_rcu_head_on_stack(struct rcu_head *head) { }
static inline void destroy_rcu_head_on_stack(struct rcu_head *head) { }

#endif /* _BWT_RCU_H */
