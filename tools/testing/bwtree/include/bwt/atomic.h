/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: barriers, cmpxchg/xchg and the atomic_t API on GCC/Clang
 * __atomic builtins, with the kernel's ordering rules
 * (Documentation/atomic_t.txt):
 *
 *  - atomic_read/set and the non-value-returning RMW ops (atomic_inc, ...)
 *    are relaxed;
 *  - value-returning RMW ops (atomic_add_return, atomic_fetch_or,
 *    atomic_xchg, atomic_cmpxchg, ...), xchg() and cmpxchg() are fully
 *    ordered; the _relaxed/_acquire/_release variants are what they say;
 *  - a failed cmpxchg is still a read of the current value; it is given
 *    acquire semantics here because the kernel relies on the address
 *    dependency when it follows the returned pointer, which C11 spells
 *    "consume" and implements as acquire.
 */
#ifndef _BWT_ATOMIC_H
#define _BWT_ATOMIC_H

#include <linux/types.h>
#include <bwt/compiler.h>

/* Barriers */
#define mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()			__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()			__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb__before_atomic()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_mb__after_atomic()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_mb__after_spinlock() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_acquire__after_ctrl_dep() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define dma_rmb()		rmb()
#define dma_wmb()		wmb()
#define virt_mb()		mb()
#define smp_store_mb(var, value) do { WRITE_ONCE(var, value); smp_mb(); } while (0)

#define smp_load_acquire(p)						\
({									\
	__unqual_scalar_typeof(*(p)) __la_v;				\
	__atomic_load((p), &__la_v, __ATOMIC_ACQUIRE);			\
	__la_v;								\
})

#define smp_store_release(p, v)						\
do {									\
	__unqual_scalar_typeof(*(p)) __sr_v = (v);			\
	__atomic_store((p), &__sr_v, __ATOMIC_RELEASE);			\
} while (0)

#define smp_cond_load_relaxed(ptr, cond_expr) ({			\
	typeof(ptr) __PTR = (ptr);					\
	__unqual_scalar_typeof(*ptr) VAL;				\
	for (;;) {							\
		VAL = READ_ONCE(*__PTR);				\
		if (cond_expr)						\
			break;						\
		__builtin_ia32_pause();					\
	}								\
	(typeof(*ptr))VAL;						\
})
#define smp_cond_load_acquire(ptr, cond_expr) ({			\
	__unqual_scalar_typeof(*ptr) _val;				\
	_val = smp_cond_load_relaxed(ptr, cond_expr);			\
	smp_acquire__after_ctrl_dep();					\
	(typeof(*ptr))_val;						\
})

/* xchg / cmpxchg on any native word, pointers included */
#define __bwt_xchg(ptr, v, order)					\
({									\
	__typeof__(*(ptr)) __x_new = (v), __x_old;			\
	__atomic_exchange((ptr), &__x_new, &__x_old, order);		\
	__x_old;							\
})
#define xchg(ptr, v)		__bwt_xchg(ptr, v, __ATOMIC_SEQ_CST)
#define xchg_relaxed(ptr, v)	__bwt_xchg(ptr, v, __ATOMIC_RELAXED)
#define xchg_acquire(ptr, v)	__bwt_xchg(ptr, v, __ATOMIC_ACQUIRE)
#define xchg_release(ptr, v)	__bwt_xchg(ptr, v, __ATOMIC_RELEASE)

#define __bwt_cmpxchg(ptr, o, n, order, forder)				\
({									\
	__typeof__(*(ptr)) __c_old = (o), __c_new = (n);		\
	__atomic_compare_exchange((ptr), &__c_old, &__c_new, false,	\
				  order, forder);			\
	__c_old;							\
})
#define cmpxchg(ptr, o, n) \
	__bwt_cmpxchg(ptr, o, n, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define cmpxchg_relaxed(ptr, o, n) \
	__bwt_cmpxchg(ptr, o, n, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define cmpxchg_acquire(ptr, o, n) \
	__bwt_cmpxchg(ptr, o, n, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)
#define cmpxchg_release(ptr, o, n) \
	__bwt_cmpxchg(ptr, o, n, __ATOMIC_RELEASE, __ATOMIC_RELAXED)
#define cmpxchg64(ptr, o, n)		cmpxchg(ptr, o, n)
#define cmpxchg64_relaxed(ptr, o, n)	cmpxchg_relaxed(ptr, o, n)
#define cmpxchg_local(ptr, o, n)	cmpxchg(ptr, o, n)
#define cmpxchg128(ptr, o, n)		cmpxchg(ptr, o, n)

#define __bwt_try_cmpxchg(ptr, oldp, n, order, forder)			\
({									\
	__typeof__(*(ptr)) *__t_oldp = (oldp);				\
	__typeof__(*(ptr)) __t_new = (n);				\
	__atomic_compare_exchange((ptr), __t_oldp, &__t_new, false,	\
				  order, forder);			\
})
#define try_cmpxchg(ptr, oldp, n) \
	__bwt_try_cmpxchg(ptr, oldp, n, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define try_cmpxchg_relaxed(ptr, oldp, n) \
	__bwt_try_cmpxchg(ptr, oldp, n, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define try_cmpxchg_acquire(ptr, oldp, n) \
	__bwt_try_cmpxchg(ptr, oldp, n, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)
#define try_cmpxchg_release(ptr, oldp, n) \
	__bwt_try_cmpxchg(ptr, oldp, n, __ATOMIC_RELEASE, __ATOMIC_RELAXED)
#define try_cmpxchg64(ptr, oldp, n)	try_cmpxchg(ptr, oldp, n)
#define try_cmpxchg128(ptr, oldp, n)	try_cmpxchg(ptr, oldp, n)
#define system_has_cmpxchg128()		1

/*
 * The atomic_t, atomic64_t and atomic_long_t families, generated for each
 * (prefix, struct type, value type).
 */
#define __BWT_RLX __ATOMIC_RELAXED
#define __BWT_ACQ __ATOMIC_ACQUIRE
#define __BWT_REL __ATOMIC_RELEASE
#define __BWT_SC  __ATOMIC_SEQ_CST

#define __BWT_ATOMIC_ORDERED(pfx, T, V, name, order, body)		\
static __always_inline V pfx##_##name(V i, T *v)			\
{ return body(&v->counter, i, order); }

#define __BWT_FETCH_OP(pfx, T, V, op, builtin)				\
static __always_inline V pfx##_fetch_##op(V i, T *v)			\
{ return (V)builtin(&v->counter, i, __BWT_SC); }			\
static __always_inline V pfx##_fetch_##op##_relaxed(V i, T *v)		\
{ return (V)builtin(&v->counter, i, __BWT_RLX); }			\
static __always_inline V pfx##_fetch_##op##_acquire(V i, T *v)		\
{ return (V)builtin(&v->counter, i, __BWT_ACQ); }			\
static __always_inline V pfx##_fetch_##op##_release(V i, T *v)		\
{ return (V)builtin(&v->counter, i, __BWT_REL); }			\
static __always_inline void pfx##_##op(V i, T *v)			\
{ (void)builtin(&v->counter, i, __BWT_RLX); }

#define __BWT_OP_RETURN(pfx, T, V, op, builtin)				\
static __always_inline V pfx##_##op##_return(V i, T *v)			\
{ return (V)builtin(&v->counter, i, __BWT_SC); }			\
static __always_inline V pfx##_##op##_return_relaxed(V i, T *v)		\
{ return (V)builtin(&v->counter, i, __BWT_RLX); }			\
static __always_inline V pfx##_##op##_return_acquire(V i, T *v)		\
{ return (V)builtin(&v->counter, i, __BWT_ACQ); }			\
static __always_inline V pfx##_##op##_return_release(V i, T *v)		\
{ return (V)builtin(&v->counter, i, __BWT_REL); }

#define __BWT_ATOMIC_FAMILY(pfx, T, V)					\
static __always_inline V pfx##_read(const T *v)				\
{ return __atomic_load_n(&v->counter, __BWT_RLX); }			\
static __always_inline V pfx##_read_acquire(const T *v)			\
{ return __atomic_load_n(&v->counter, __BWT_ACQ); }			\
static __always_inline void pfx##_set(T *v, V i)			\
{ __atomic_store_n(&v->counter, i, __BWT_RLX); }			\
static __always_inline void pfx##_set_release(T *v, V i)		\
{ __atomic_store_n(&v->counter, i, __BWT_REL); }			\
__BWT_FETCH_OP(pfx, T, V, add, __atomic_fetch_add)			\
__BWT_FETCH_OP(pfx, T, V, sub, __atomic_fetch_sub)			\
__BWT_FETCH_OP(pfx, T, V, and, __atomic_fetch_and)			\
__BWT_FETCH_OP(pfx, T, V, or, __atomic_fetch_or)			\
__BWT_FETCH_OP(pfx, T, V, xor, __atomic_fetch_xor)			\
__BWT_OP_RETURN(pfx, T, V, add, __atomic_add_fetch)			\
__BWT_OP_RETURN(pfx, T, V, sub, __atomic_sub_fetch)			\
static __always_inline void pfx##_andnot(V i, T *v)			\
{ pfx##_and(~i, v); }							\
static __always_inline V pfx##_fetch_andnot(V i, T *v)			\
{ return pfx##_fetch_and(~i, v); }					\
static __always_inline void pfx##_inc(T *v) { pfx##_add(1, v); }	\
static __always_inline void pfx##_dec(T *v) { pfx##_sub(1, v); }	\
static __always_inline V pfx##_inc_return(T *v)				\
{ return pfx##_add_return(1, v); }					\
static __always_inline V pfx##_dec_return(T *v)				\
{ return pfx##_sub_return(1, v); }					\
static __always_inline V pfx##_inc_return_relaxed(T *v)			\
{ return pfx##_add_return_relaxed(1, v); }				\
static __always_inline V pfx##_dec_return_relaxed(T *v)			\
{ return pfx##_sub_return_relaxed(1, v); }				\
static __always_inline V pfx##_inc_return_acquire(T *v)			\
{ return pfx##_add_return_acquire(1, v); }				\
static __always_inline V pfx##_dec_return_release(T *v)			\
{ return pfx##_sub_return_release(1, v); }				\
static __always_inline V pfx##_fetch_inc(T *v)				\
{ return pfx##_fetch_add(1, v); }					\
static __always_inline V pfx##_fetch_dec(T *v)				\
{ return pfx##_fetch_sub(1, v); }					\
static __always_inline V pfx##_fetch_inc_relaxed(T *v)			\
{ return pfx##_fetch_add_relaxed(1, v); }				\
static __always_inline V pfx##_fetch_dec_relaxed(T *v)			\
{ return pfx##_fetch_sub_relaxed(1, v); }				\
static __always_inline V pfx##_xchg(T *v, V i)				\
{ return __atomic_exchange_n(&v->counter, i, __BWT_SC); }		\
static __always_inline V pfx##_xchg_relaxed(T *v, V i)			\
{ return __atomic_exchange_n(&v->counter, i, __BWT_RLX); }		\
static __always_inline V pfx##_cmpxchg(T *v, V o, V n)			\
{ __atomic_compare_exchange_n(&v->counter, &o, n, false, __BWT_SC,	\
			      __BWT_SC); return o; }			\
static __always_inline V pfx##_cmpxchg_relaxed(T *v, V o, V n)		\
{ __atomic_compare_exchange_n(&v->counter, &o, n, false, __BWT_RLX,	\
			      __BWT_RLX); return o; }			\
static __always_inline V pfx##_cmpxchg_acquire(T *v, V o, V n)		\
{ __atomic_compare_exchange_n(&v->counter, &o, n, false, __BWT_ACQ,	\
			      __BWT_ACQ); return o; }			\
static __always_inline V pfx##_cmpxchg_release(T *v, V o, V n)		\
{ __atomic_compare_exchange_n(&v->counter, &o, n, false, __BWT_REL,	\
			      __BWT_RLX); return o; }			\
static __always_inline bool pfx##_try_cmpxchg(T *v, V *o, V n)		\
{ return __atomic_compare_exchange_n(&v->counter, o, n, false,		\
				     __BWT_SC, __BWT_SC); }		\
static __always_inline bool pfx##_try_cmpxchg_relaxed(T *v, V *o, V n)	\
{ return __atomic_compare_exchange_n(&v->counter, o, n, false,		\
				     __BWT_RLX, __BWT_RLX); }		\
static __always_inline bool pfx##_try_cmpxchg_acquire(T *v, V *o, V n)	\
{ return __atomic_compare_exchange_n(&v->counter, o, n, false,		\
				     __BWT_ACQ, __BWT_ACQ); }		\
static __always_inline bool pfx##_try_cmpxchg_release(T *v, V *o, V n)	\
{ return __atomic_compare_exchange_n(&v->counter, o, n, false,		\
				     __BWT_REL, __BWT_RLX); }		\
static __always_inline bool pfx##_sub_and_test(V i, T *v)		\
{ return pfx##_sub_return(i, v) == 0; }					\
static __always_inline bool pfx##_dec_and_test(T *v)			\
{ return pfx##_dec_return(v) == 0; }					\
static __always_inline bool pfx##_inc_and_test(T *v)			\
{ return pfx##_inc_return(v) == 0; }					\
static __always_inline bool pfx##_add_negative(V i, T *v)		\
{ return pfx##_add_return(i, v) < 0; }					\
static __always_inline V pfx##_fetch_add_unless(T *v, V a, V u)		\
{									\
	V c = pfx##_read(v);						\
	do {								\
		if (unlikely(c == u))					\
			break;						\
	} while (!pfx##_try_cmpxchg(v, &c, c + a));			\
	return c;							\
}									\
static __always_inline bool pfx##_add_unless(T *v, V a, V u)		\
{ return pfx##_fetch_add_unless(v, a, u) != u; }			\
static __always_inline bool pfx##_inc_not_zero(T *v)			\
{ return pfx##_add_unless(v, 1, 0); }					\
static __always_inline bool pfx##_inc_unless_negative(T *v)		\
{									\
	V c = pfx##_read(v);						\
	do {								\
		if (unlikely(c < 0))					\
			return false;					\
	} while (!pfx##_try_cmpxchg(v, &c, c + 1));			\
	return true;							\
}									\
static __always_inline bool pfx##_dec_unless_positive(T *v)		\
{									\
	V c = pfx##_read(v);						\
	do {								\
		if (unlikely(c > 0))					\
			return false;					\
	} while (!pfx##_try_cmpxchg(v, &c, c - 1));			\
	return true;							\
}									\
static __always_inline V pfx##_dec_if_positive(T *v)			\
{									\
	V dec, c = pfx##_read(v);					\
	do {								\
		dec = c - 1;						\
		if (unlikely(dec < 0))					\
			break;						\
	} while (!pfx##_try_cmpxchg(v, &c, dec));			\
	return dec;							\
}

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

__BWT_ATOMIC_FAMILY(atomic, atomic_t, int)
__BWT_ATOMIC_FAMILY(atomic64, atomic64_t, s64)

/*
 * atomic_long_t is atomic64_t, as on every 64-bit kernel; its operations take
 * and return long.
 */
#define __BWT_LONG_ATOMIC(pfx, T, V)					\
static __always_inline V pfx##_read(const T *v)				\
{ return __atomic_load_n(&v->counter, __BWT_RLX); }			\
static __always_inline V pfx##_read_acquire(const T *v)			\
{ return __atomic_load_n(&v->counter, __BWT_ACQ); }			\
static __always_inline void pfx##_set(T *v, V i)			\
{ __atomic_store_n(&v->counter, i, __BWT_RLX); }			\
static __always_inline void pfx##_set_release(T *v, V i)		\
{ __atomic_store_n(&v->counter, i, __BWT_REL); }			\
static __always_inline void pfx##_add(V i, T *v)			\
{ atomic64_add(i, v); }							\
static __always_inline void pfx##_sub(V i, T *v)			\
{ atomic64_sub(i, v); }							\
static __always_inline void pfx##_inc(T *v) { atomic64_inc(v); }	\
static __always_inline void pfx##_dec(T *v) { atomic64_dec(v); }	\
static __always_inline void pfx##_or(V i, T *v) { atomic64_or(i, v); }	\
static __always_inline void pfx##_and(V i, T *v) { atomic64_and(i, v); } \
static __always_inline void pfx##_andnot(V i, T *v)			\
{ atomic64_andnot(i, v); }						\
static __always_inline V pfx##_add_return(V i, T *v)			\
{ return atomic64_add_return(i, v); }					\
static __always_inline V pfx##_add_return_relaxed(V i, T *v)		\
{ return atomic64_add_return_relaxed(i, v); }				\
static __always_inline V pfx##_sub_return(V i, T *v)			\
{ return atomic64_sub_return(i, v); }					\
static __always_inline V pfx##_sub_return_relaxed(V i, T *v)		\
{ return atomic64_sub_return_relaxed(i, v); }				\
static __always_inline V pfx##_inc_return(T *v)				\
{ return atomic64_inc_return(v); }					\
static __always_inline V pfx##_inc_return_relaxed(T *v)			\
{ return atomic64_inc_return_relaxed(v); }				\
static __always_inline V pfx##_dec_return(T *v)				\
{ return atomic64_dec_return(v); }					\
static __always_inline V pfx##_fetch_add(V i, T *v)			\
{ return atomic64_fetch_add(i, v); }					\
static __always_inline V pfx##_fetch_add_relaxed(V i, T *v)		\
{ return atomic64_fetch_add_relaxed(i, v); }				\
static __always_inline V pfx##_fetch_sub(V i, T *v)			\
{ return atomic64_fetch_sub(i, v); }					\
static __always_inline V pfx##_fetch_or(V i, T *v)			\
{ return atomic64_fetch_or(i, v); }					\
static __always_inline V pfx##_fetch_and(V i, T *v)			\
{ return atomic64_fetch_and(i, v); }					\
static __always_inline V pfx##_fetch_andnot(V i, T *v)			\
{ return atomic64_fetch_andnot(i, v); }					\
static __always_inline V pfx##_xchg(T *v, V i)				\
{ return atomic64_xchg(v, i); }						\
static __always_inline V pfx##_cmpxchg(T *v, V o, V n)			\
{ return atomic64_cmpxchg(v, o, n); }					\
static __always_inline V pfx##_cmpxchg_relaxed(T *v, V o, V n)		\
{ return atomic64_cmpxchg_relaxed(v, o, n); }				\
static __always_inline bool pfx##_try_cmpxchg(T *v, V *o, V n)		\
{ return __atomic_compare_exchange_n(&v->counter, (s64 *)o, n, false,	\
				     __BWT_SC, __BWT_SC); }		\
static __always_inline bool pfx##_try_cmpxchg_relaxed(T *v, V *o, V n)	\
{ return __atomic_compare_exchange_n(&v->counter, (s64 *)o, n, false,	\
				     __BWT_RLX, __BWT_RLX); }		\
static __always_inline bool pfx##_try_cmpxchg_acquire(T *v, V *o, V n)	\
{ return __atomic_compare_exchange_n(&v->counter, (s64 *)o, n, false,	\
				     __BWT_ACQ, __BWT_ACQ); }		\
static __always_inline bool pfx##_try_cmpxchg_release(T *v, V *o, V n)	\
{ return __atomic_compare_exchange_n(&v->counter, (s64 *)o, n, false,	\
				     __BWT_REL, __BWT_RLX); }		\
static __always_inline bool pfx##_sub_and_test(V i, T *v)		\
{ return atomic64_sub_and_test(i, v); }					\
static __always_inline bool pfx##_dec_and_test(T *v)			\
{ return atomic64_dec_and_test(v); }					\
static __always_inline bool pfx##_inc_and_test(T *v)			\
{ return atomic64_inc_and_test(v); }					\
static __always_inline bool pfx##_add_negative(V i, T *v)		\
{ return atomic64_add_negative(i, v); }					\
static __always_inline bool pfx##_add_unless(T *v, V a, V u)		\
{ return atomic64_add_unless(v, a, u); }				\
static __always_inline V pfx##_fetch_add_unless(T *v, V a, V u)		\
{ return atomic64_fetch_add_unless(v, a, u); }				\
static __always_inline bool pfx##_inc_not_zero(T *v)			\
{ return atomic64_inc_not_zero(v); }					\
static __always_inline V pfx##_dec_if_positive(T *v)			\
{ return atomic64_dec_if_positive(v); }

_Static_assert(sizeof(long) == sizeof(s64), "64-bit only");
__BWT_LONG_ATOMIC(atomic_long, atomic_long_t, long)

/* Atomic bit operations on unsigned long words (<linux/bitops.h>). */
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))
static __always_inline void set_bit(long nr, volatile unsigned long *addr)
{ __atomic_fetch_or((unsigned long *)addr + BIT_WORD(nr), BIT_MASK(nr), __BWT_RLX); }
static __always_inline void clear_bit(long nr, volatile unsigned long *addr)
{ __atomic_fetch_and((unsigned long *)addr + BIT_WORD(nr), ~BIT_MASK(nr), __BWT_RLX); }
static __always_inline void clear_bit_unlock(long nr, volatile unsigned long *addr)
{ __atomic_fetch_and((unsigned long *)addr + BIT_WORD(nr), ~BIT_MASK(nr), __BWT_REL); }
static __always_inline void change_bit(long nr, volatile unsigned long *addr)
{ __atomic_fetch_xor((unsigned long *)addr + BIT_WORD(nr), BIT_MASK(nr), __BWT_RLX); }
static __always_inline bool test_and_set_bit(long nr, volatile unsigned long *addr)
{ return __atomic_fetch_or((unsigned long *)addr + BIT_WORD(nr), BIT_MASK(nr), __BWT_SC) & BIT_MASK(nr); }
static __always_inline bool test_and_set_bit_lock(long nr, volatile unsigned long *addr)
{ return __atomic_fetch_or((unsigned long *)addr + BIT_WORD(nr), BIT_MASK(nr), __BWT_ACQ) & BIT_MASK(nr); }
static __always_inline bool test_and_clear_bit(long nr, volatile unsigned long *addr)
{ return __atomic_fetch_and((unsigned long *)addr + BIT_WORD(nr), ~BIT_MASK(nr), __BWT_SC) & BIT_MASK(nr); }
static __always_inline bool test_and_change_bit(long nr, volatile unsigned long *addr)
{ return __atomic_fetch_xor((unsigned long *)addr + BIT_WORD(nr), BIT_MASK(nr), __BWT_SC) & BIT_MASK(nr); }
static __always_inline bool test_bit(long nr, const volatile unsigned long *addr)
{ return (__atomic_load_n((const unsigned long *)addr + BIT_WORD(nr), __BWT_RLX) & BIT_MASK(nr)) != 0; }
static __always_inline bool test_bit_acquire(long nr, const volatile unsigned long *addr)
{ return (__atomic_load_n((const unsigned long *)addr + BIT_WORD(nr), __BWT_ACQ) & BIT_MASK(nr)) != 0; }
static __always_inline void __set_bit(long nr, volatile unsigned long *addr)
{ ((unsigned long *)addr)[BIT_WORD(nr)] |= BIT_MASK(nr); }
static __always_inline void __clear_bit(long nr, volatile unsigned long *addr)
{ ((unsigned long *)addr)[BIT_WORD(nr)] &= ~BIT_MASK(nr); }
static __always_inline bool __test_and_set_bit(long nr, volatile unsigned long *addr)
{
	bool old = ((unsigned long *)addr)[BIT_WORD(nr)] & BIT_MASK(nr);

	((unsigned long *)addr)[BIT_WORD(nr)] |= BIT_MASK(nr);
	return old;
}
static __always_inline bool __test_and_clear_bit(long nr, volatile unsigned long *addr)
{
	bool old = ((unsigned long *)addr)[BIT_WORD(nr)] & BIT_MASK(nr);

	((unsigned long *)addr)[BIT_WORD(nr)] &= ~BIT_MASK(nr);
	return old;
}

#endif /* _BWT_ATOMIC_H */
