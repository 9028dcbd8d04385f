/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: one header behind every <linux/...> shim.
 *
 * The kernel's headers pull each other in freely, so core code that is
 * correct in the kernel may use a name from a header it did not include.
 * Rather than mirror that web, every shim header includes all of this;
 * the real kernel builds (6.1 and 6.12) check the includes.
 *
 * The glibc headers come first: after this point function-like macros such
 * as min(), max() and abs() are defined and must not meet glibc's
 * prototypes.
 */
#ifndef _BWT_SHIM_H
#define _BWT_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <limits.h>
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <time.h>

#include <linux/types.h>
#include <linux/limits.h>
#include <linux/errno.h>
#include <bwt/compiler.h>
#include <bwt/runtime.h>
#include <bwt/atomic.h>
#include <bwt/slab.h>
#include <bwt/rcu.h>

/* ---------------------------------------------------------------- printk */
#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
#define KERN_DEFAULT	""
#define KERN_CONT	KERN_SOH "c"

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

#define printk(fmt, ...)	bwt_printk(-1, fmt, ##__VA_ARGS__)
#define no_printk(fmt, ...)	({ if (0) bwt_printk(7, fmt, ##__VA_ARGS__); 0; })
#define pr_emerg(fmt, ...)	bwt_printk(0, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...)	bwt_printk(1, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)	bwt_printk(2, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	bwt_printk(3, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	bwt_printk(4, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warning(fmt, ...)	pr_warn(fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...)	bwt_printk(5, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	bwt_printk(6, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...)	bwt_printk(-2, fmt, ##__VA_ARGS__)
#if defined(DEBUG)
#define pr_debug(fmt, ...)	bwt_printk(7, pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug(fmt, ...)	no_printk(pr_fmt(fmt), ##__VA_ARGS__)
#endif
#define pr_devel(fmt, ...)	pr_debug(fmt, ##__VA_ARGS__)
#define __bwt_once(stmt) ({						\
	static bool __print_once;					\
	if (!__atomic_exchange_n(&__print_once, true, __ATOMIC_RELAXED)) \
		stmt;							\
})
#define printk_once(fmt, ...)	__bwt_once(printk(fmt, ##__VA_ARGS__))
#define pr_err_once(fmt, ...)	__bwt_once(pr_err(fmt, ##__VA_ARGS__))
#define pr_warn_once(fmt, ...)	__bwt_once(pr_warn(fmt, ##__VA_ARGS__))
#define pr_info_once(fmt, ...)	__bwt_once(pr_info(fmt, ##__VA_ARGS__))
#define pr_debug_once(fmt, ...)	pr_debug(fmt, ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...)	pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...)	pr_warn(fmt, ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...)	pr_info(fmt, ##__VA_ARGS__)
#define pr_debug_ratelimited(fmt, ...)	pr_debug(fmt, ##__VA_ARGS__)
#define printk_ratelimit()	1
#define dump_stack()		bwt_dump_stack()

/* ------------------------------------------------------------------- bug */
#define __bwt_warn(cond, ...) ({					\
	int __ret_warn_on = !!(cond);					\
	if (unlikely(__ret_warn_on))					\
		bwt_complain("WARNING", __FILE__, __LINE__, __VA_ARGS__); \
	unlikely(__ret_warn_on);					\
})
#define __bwt_warn_once(cond, ...) ({					\
	static bool __warned;						\
	int __ret_warn_once = !!(cond);					\
	if (unlikely(__ret_warn_once) &&				\
	    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED))	\
		bwt_complain("WARNING", __FILE__, __LINE__, __VA_ARGS__); \
	unlikely(__ret_warn_once);					\
})
#define WARN_ON(cond)		__bwt_warn(cond, "WARN_ON(%s)", #cond)
#define WARN_ON_ONCE(cond)	__bwt_warn_once(cond, "WARN_ON_ONCE(%s)", #cond)
#define WARN(cond, fmt...)	__bwt_warn(cond, fmt)
#define WARN_ONCE(cond, fmt...)	__bwt_warn_once(cond, fmt)
#define WARN_ON_SMP(cond)	WARN_ON(cond)
#define BUG()			bwt_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(cond)							\
do {									\
	if (unlikely(cond))						\
		bwt_bug(__FILE__, __LINE__, "BUG_ON(" #cond ")");	\
} while (0)
#define VM_BUG_ON(cond)		BUG_ON(cond)
#define VM_WARN_ON(cond)	(void)WARN_ON(cond)
#define VM_WARN_ON_ONCE(cond)	(void)WARN_ON_ONCE(cond)
#define panic(fmt, ...)	({ bwt_printk(0, "Kernel panic: " fmt, ##__VA_ARGS__); \
			   bwt_bug(__FILE__, __LINE__, "panic()"); })
#define add_taint(flag, lockdep)	do { } while (0)

/* ------------------------------------------------------------------- err */
#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *__must_check ERR_PTR(long error) { return (void *)error; }
static inline long __must_check PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool __must_check IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool __must_check IS_ERR_OR_NULL(const void *ptr)
{
	return unlikely(!ptr) || IS_ERR_VALUE((unsigned long)ptr);
}
static inline void *__must_check ERR_CAST(const void *ptr) { return (void *)ptr; }
static inline int __must_check PTR_ERR_OR_ZERO(const void *ptr)
{
	return IS_ERR(ptr) ? (int)PTR_ERR(ptr) : 0;
}

/* ---------------------------------------------------------------- minmax */
#define min(x, y)	({ typeof(x) __mx = (x); typeof(y) __my = (y); __mx < __my ? __mx : __my; })
#define max(x, y)	({ typeof(x) __mx = (x); typeof(y) __my = (y); __mx > __my ? __mx : __my; })
#define umin(x, y)	min((x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define umax(x, y)	max((x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define min3(x, y, z)	min((typeof(x))min(x, y), z)
#define max3(x, y, z)	max((typeof(x))max(x, y), z)
#define min_t(type, x, y) ({ type __tx = (x); type __ty = (y); __tx < __ty ? __tx : __ty; })
#define max_t(type, x, y) ({ type __tx = (x); type __ty = (y); __tx > __ty ? __tx : __ty; })
#define min_not_zero(x, y) ({ typeof(x) __x = (x); typeof(y) __y = (y); \
	__x == 0 ? __y : ((__y == 0) ? __x : min(__x, __y)); })
#define clamp(val, lo, hi)	min((typeof(val))max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi)	clamp_t(typeof(val), val, lo, hi)
#define in_range(val, start, len) ((val) >= (start) && (val) - (start) < (len))
#define swap(a, b) do { typeof(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)
#undef abs
#define abs(x)	({ typeof(x) __ax = (x); __ax < 0 ? -__ax : __ax; })

/* ---------------------------------------------------------------- kernel */
#define __ALIGN_KERNEL(x, a)		__ALIGN_KERNEL_MASK(x, (typeof(x))(a) - 1)
#define __ALIGN_KERNEL_MASK(x, mask)	(((x) + (mask)) & ~(mask))
#define ALIGN(x, a)		__ALIGN_KERNEL((x), (a))
#define ALIGN_DOWN(x, a)	__ALIGN_KERNEL((x) - ((a) - 1), (a))
#define PTR_ALIGN(p, a)		((typeof(p))ALIGN((unsigned long)(p), (a)))
#define PTR_ALIGN_DOWN(p, a)	((typeof(p))ALIGN_DOWN((unsigned long)(p), (a)))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define __round_mask(x, y)	((__typeof__(x))((y) - 1))
#define round_up(x, y)		((((x) - 1) | __round_mask(x, y)) + 1)
#define round_down(x, y)	((x) & ~__round_mask(x, y))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(ll, d)	DIV_ROUND_UP((unsigned long long)(ll), (d))
#define DIV_ROUND_DOWN_ULL(ll, d) ((unsigned long long)(ll) / (d))
#define DIV_ROUND_CLOSEST(x, d)	(((x) + ((d) / 2)) / (d))
#define roundup(x, y)		({ typeof(y) __y = (y); (((x) + (__y - 1)) / __y) * __y; })
#define rounddown(x, y)		({ typeof(x) __x = (x); __x - (__x % (y)); })
#define upper_32_bits(n)	((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n)	((u32)((n) & 0xffffffff))
#define upper_16_bits(n)	((u16)((n) >> 16))
#define lower_16_bits(n)	((u16)((n) & 0xffff))
#define mult_frac(x, n, d)	({ typeof(x) q = (x) / (d); typeof(x) r = (x) % (d); \
				   (q * (n)) + ((r * (n)) / (d)); })
#define do_div(n, base) ({ u32 __base = (base); u32 __rem = (u32)((n) % __base); \
			   (n) /= __base; __rem; })
static inline u64 div_u64(u64 dividend, u32 divisor) { return dividend / divisor; }
static inline s64 div_s64(s64 dividend, s32 divisor) { return dividend / divisor; }
static inline u64 div64_u64(u64 dividend, u64 divisor) { return dividend / divisor; }
static inline s64 div64_s64(s64 dividend, s64 divisor) { return dividend / divisor; }
static inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *rem)
{
	*rem = dividend % divisor;
	return dividend / divisor;
}
#define typecheck(type, x) ({ type __dummy; typeof(x) __dummy2; \
	(void)(&__dummy == &__dummy2); 1; })
#define _RET_IP_		((unsigned long)__builtin_return_address(0))
#define _THIS_IP_		({ __label__ __here; __here: (unsigned long)&&__here; })
#define scnprintf(buf, size, fmt, ...) ({				\
	size_t __sz = (size);						\
	int __n = snprintf(buf, __sz, fmt, ##__VA_ARGS__);		\
	__n < 0 ? 0 : ((size_t)__n >= __sz ? (__sz ? (int)__sz - 1 : 0) : __n); })
#define vscnprintf(buf, size, fmt, args) ({				\
	size_t __sz = (size);						\
	int __n = vsnprintf(buf, __sz, fmt, args);			\
	__n < 0 ? 0 : ((size_t)__n >= __sz ? (__sz ? (int)__sz - 1 : 0) : __n); })
#define might_sleep()		bwt_might_sleep(__FILE__, __LINE__)
#define might_resched()		do { } while (0)
#define might_fault()		might_sleep()
#define might_sleep_if(cond)	do { if (cond) might_sleep(); } while (0)
#define cant_sleep()		do { } while (0)
#define cant_migrate()		do { } while (0)
#define non_block_start()	do { } while (0)
#define non_block_end()		do { } while (0)
#define STACK_MAGIC		0xdeadbeef
#define REPEAT_BYTE(x)		((~0ul / 0xff) * (x))
#define SIZE_MAX_KERNEL		(~(size_t)0)
#define U64_C(x)		x##ULL
#define S64_C(x)		x##LL

/* ------------------------------------------------------------- overflow */
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#define add_would_overflow(a, b)	({ typeof(a) __d; check_add_overflow(a, b, &__d); })
#define sub_would_overflow(a, b)	({ typeof(a) __d; check_sub_overflow(a, b, &__d); })
static inline size_t size_mul(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
static inline size_t size_add(size_t a, size_t b)
{
	size_t r;

	return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}
static inline size_t size_sub(size_t a, size_t b)
{
	size_t r;

	if (a == SIZE_MAX || b == SIZE_MAX || __builtin_sub_overflow(a, b, &r))
		return SIZE_MAX;
	return r;
}
#define array_size(a, b)	size_mul(a, b)
#define array3_size(a, b, c)	size_mul(size_mul(a, b), c)
#define flex_array_size(p, member, count) size_mul(count, sizeof(*(p)->member))
#define struct_size(p, member, count) \
	size_add(sizeof(*(p)), flex_array_size(p, member, count))
#define struct_size_t(type, member, count) \
	struct_size((type *)NULL, member, count)

/* ------------------------------------------------------- bitops and log2 */
#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
#define BIT_ULL_MASK(nr)	(1ULL << ((nr) % BITS_PER_LONG_LONG))
#define BIT_ULL_WORD(nr)	((nr) / BITS_PER_LONG_LONG)
#define BITS_PER_BYTE		8
#define BITS_PER_TYPE(type)	(sizeof(type) * BITS_PER_BYTE)
#define BITS_TO_LONGS(nr)	DIV_ROUND_UP(nr, BITS_PER_TYPE(long))
#define GENMASK(h, l)		(((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l)	(((~0ULL) - (1ULL << (l)) + 1) & (~0ULL >> (63 - (h))))
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

static __always_inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static __always_inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static __always_inline int fls_long(unsigned long x) { return fls64(x); }
static __always_inline unsigned long __fls(unsigned long x) { return 63 - __builtin_clzl(x); }
static __always_inline unsigned long __ffs(unsigned long x) { return __builtin_ctzl(x); }
static __always_inline unsigned long __ffs64(u64 x) { return __builtin_ctzll(x); }
static __always_inline unsigned long ffz(unsigned long x) { return __builtin_ctzl(~x); }
#define hweight8(w)		__builtin_popcount((u8)(w))
#define hweight16(w)		__builtin_popcount((u16)(w))
#define hweight32(w)		__builtin_popcount((u32)(w))
#define hweight64(w)		__builtin_popcountll((u64)(w))
#define hweight_long(w)		__builtin_popcountl((unsigned long)(w))
static inline u64 rol64(u64 w, unsigned int s) { return (w << (s & 63)) | (w >> ((-s) & 63)); }
static inline u64 ror64(u64 w, unsigned int s) { return (w >> (s & 63)) | (w << ((-s) & 63)); }
static inline u32 rol32(u32 w, unsigned int s) { return (w << (s & 31)) | (w >> ((-s) & 31)); }
static inline u32 ror32(u32 w, unsigned int s) { return (w >> (s & 31)) | (w << ((-s) & 31)); }

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size, unsigned long off)
{
	for (; off < size; off++)
		if (addr[off / BITS_PER_LONG] & BIT(off % BITS_PER_LONG))
			return off;
	return size;
}
static inline unsigned long find_next_zero_bit(const unsigned long *addr,
					       unsigned long size, unsigned long off)
{
	for (; off < size; off++)
		if (!(addr[off / BITS_PER_LONG] & BIT(off % BITS_PER_LONG)))
			return off;
	return size;
}
#define find_first_bit(addr, size)	find_next_bit(addr, size, 0)
#define find_first_zero_bit(addr, size)	find_next_zero_bit(addr, size, 0)
#define for_each_set_bit(bit, addr, size) \
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size); \
	     (bit) = find_next_bit((addr), (size), (bit) + 1))
#define for_each_clear_bit(bit, addr, size) \
	for ((bit) = find_first_zero_bit((addr), (size)); (bit) < (size); \
	     (bit) = find_next_zero_bit((addr), (size), (bit) + 1))
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}
static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}
static inline unsigned int bitmap_weight(const unsigned long *src, unsigned int nbits)
{
	unsigned int i, w = 0;

	for (i = 0; i < nbits; i++)
		w += !!(src[i / BITS_PER_LONG] & BIT(i % BITS_PER_LONG));
	return w;
}

#define ilog2(n)	((n) ? 63 - __builtin_clzll((u64)(n)) : -1)
#define __ilog2_u32(n)	(31 - __builtin_clz(n))
#define __ilog2_u64(n)	(63 - __builtin_clzll(n))
#define is_power_of_2(n) ((n) != 0 && (((n) & ((n) - 1)) == 0))
#define roundup_pow_of_two(n) \
	((n) == 1 ? 1UL : (1UL << (64 - __builtin_clzll((u64)(n) - 1))))
#define rounddown_pow_of_two(n)	(1UL << ilog2(n))
#define order_base_2(n)		((n) > 1 ? ilog2((n) - 1) + 1 : 0)
#define const_ilog2(n)		ilog2(n)
#define bits_per(n)		(ilog2(n) + 1)

/* ---------------------------------------------------------------- string */
static inline ssize_t strscpy(char *dst, const char *src, size_t count)
{
	size_t len;

	if (!count)
		return -E2BIG;
	len = strnlen(src, count);
	if (len == count) {
		memcpy(dst, src, count - 1);
		dst[count - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return (ssize_t)len;
}
#define strscpy_pad(dst, src, count) ({ memset(dst, 0, count); strscpy(dst, src, count); })
#define memzero_explicit(p, n)	do { memset(p, 0, n); barrier_data(p); } while (0)
static inline bool str_has_prefix(const char *str, const char *prefix)
{
	return !strncmp(str, prefix, strlen(prefix));
}
static inline const char *str_true_false(bool v) { return v ? "true" : "false"; }
static inline const char *str_yes_no(bool v) { return v ? "yes" : "no"; }
static inline void memset64(u64 *s, u64 v, size_t n)
{
	while (n--)
		*s++ = v;
}
#define memset_after(obj, v, member) memset((u8 *)(obj) + offsetofend(typeof(*(obj)), member), \
	v, sizeof(*(obj)) - offsetofend(typeof(*(obj)), member))

/* ------------------------------------------------------------------ cache */
#define L1_CACHE_SHIFT		6
#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)
#define SMP_CACHE_BYTES		L1_CACHE_BYTES
#define L1_CACHE_ALIGN(x)	ALIGN(x, L1_CACHE_BYTES)
#define ____cacheline_aligned	__attribute__((__aligned__(SMP_CACHE_BYTES)))
#define ____cacheline_aligned_in_smp ____cacheline_aligned
#define __cacheline_aligned	____cacheline_aligned
#define __cacheline_aligned_in_smp ____cacheline_aligned
#define ____cacheline_internodealigned_in_smp ____cacheline_aligned
#define cache_line_size()	L1_CACHE_BYTES
#define prefetch(x)		__builtin_prefetch(x)
#define prefetchw(x)		__builtin_prefetch(x, 1)

/* ---------------------------------------------- sched, preempt, irq, cpu */
struct task_struct {
	int pid;
	char comm[16];
};
#define current		((struct task_struct *)&bwt_task.pid)
static inline int signal_pending(struct task_struct *t) { return bwt_task.fatal_signal; }
static inline int fatal_signal_pending(struct task_struct *t) { return bwt_task.fatal_signal; }
static inline int need_resched(void) { return 0; }
#define cond_resched()		({ might_sleep(); 0; })
#define cond_resched_rcu()	do { rcu_read_unlock(); rcu_read_lock(); } while (0)
#define schedule()		do { might_sleep(); sched_yield(); } while (0)
#define yield()			sched_yield()
#define cpu_relax()		__builtin_ia32_pause()
#define preempt_disable()	do { bwt_task.preempt_count++; barrier(); } while (0)
#define preempt_enable()	do { barrier(); bwt_task.preempt_count--; } while (0)
#define preempt_enable_no_resched() preempt_enable()
#define preempt_count()		(bwt_task.preempt_count)
#define preemptible()		(bwt_task.preempt_count == 0 && bwt_task.rcu_nesting == 0)
#define migrate_disable()	do { } while (0)
#define migrate_enable()	do { } while (0)
#define in_task()		1
#define in_interrupt()		0
#define in_irq()		0
#define in_softirq()		0
#define in_nmi()		0
#define in_atomic()		(bwt_task.preempt_count != 0)
#define irqs_disabled()		0
#define local_irq_disable()	do { } while (0)
#define local_irq_enable()	do { } while (0)
#define local_irq_save(f)	do { (f) = 0; } while (0)
#define local_irq_restore(f)	do { (void)(f); } while (0)
#define local_bh_disable()	do { } while (0)
#define local_bh_enable()	do { } while (0)
#define smp_processor_id()	bwt_cpu()
#define raw_smp_processor_id()	bwt_cpu()
#define get_cpu()		({ preempt_disable(); bwt_cpu(); })
#define put_cpu()		preempt_enable()
#define num_online_cpus()	((unsigned int)bwt_nr_cpus())
#define num_possible_cpus()	((unsigned int)bwt_nr_cpus())
#define nr_cpu_ids		((unsigned int)bwt_nr_cpus())
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < bwt_nr_cpus(); (cpu)++)
#define for_each_online_cpu(cpu)   for_each_possible_cpu(cpu)
#define cpu_to_node(cpu)	0
#define numa_node_id()		0

/* ---------------------------------------------------------------- random */
struct rnd_state { u64 s; };
static inline u64 get_random_u64(void) { return bwt_random_u64(); }
static inline u32 get_random_u32(void) { return (u32)bwt_random_u64(); }
static inline unsigned long get_random_long(void) { return bwt_random_u64(); }
static inline u32 get_random_u32_below(u32 ceil)
{
	return ceil ? (u32)(((u64)get_random_u32() * ceil) >> 32) : 0;
}
static inline u32 get_random_u32_inclusive(u32 floor, u32 ceil)
{
	return floor + get_random_u32_below(ceil - floor + 1);
}
#define prandom_u32_max(ceil)	get_random_u32_below(ceil)
static inline void get_random_bytes(void *buf, size_t len)
{
	u8 *p = (u8 *)buf;

	while (len--)
		*p++ = (u8)bwt_random_u64();
}
static inline void prandom_seed_state(struct rnd_state *st, u64 seed) { st->s = seed | 1; }
static inline u32 prandom_u32_state(struct rnd_state *st)
{
	st->s ^= st->s << 13;
	st->s ^= st->s >> 7;
	st->s ^= st->s << 17;
	return (u32)(st->s >> 16);
}

/* ------------------------------------------------------------------- time */
static inline u64 ktime_get_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}
#define ktime_get_mono_fast_ns()	ktime_get_ns()
#define ktime_get_boottime_ns()		ktime_get_ns()
#define local_clock()			ktime_get_ns()
#define HZ				250
#define jiffies				((unsigned long)(ktime_get_ns() / (1000000000ULL / HZ)))
#define msecs_to_jiffies(m)		((unsigned long)(m) * HZ / 1000)
#define jiffies_to_msecs(j)		((unsigned int)((j) * 1000 / HZ))
#define time_after(a, b)		((long)((b) - (a)) < 0)
#define time_before(a, b)		time_after(b, a)
#define NSEC_PER_SEC			1000000000L
#define NSEC_PER_MSEC			1000000L
#define NSEC_PER_USEC			1000L
#define USEC_PER_SEC			1000000L
#define MSEC_PER_SEC			1000L

/* --------------------------------------------------------- module, export */
#define THIS_MODULE			((struct module *)NULL)
#define KBUILD_MODNAME_DEFAULT		"bwtree"
#define __bwt_swallow			extern int __bwt_swallow_semicolon
#define EXPORT_SYMBOL(sym)		__bwt_swallow
#define EXPORT_SYMBOL_GPL(sym)		__bwt_swallow
#define EXPORT_SYMBOL_NS(sym, ns)	__bwt_swallow
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	__bwt_swallow
#define MODULE_LICENSE(x)		__bwt_swallow
#define MODULE_AUTHOR(x)		__bwt_swallow
#define MODULE_DESCRIPTION(x)		__bwt_swallow
#define MODULE_VERSION(x)		__bwt_swallow
#define MODULE_ALIAS(x)			__bwt_swallow
#define MODULE_IMPORT_NS(x)		__bwt_swallow
#define MODULE_SOFTDEP(x)		__bwt_swallow
#define MODULE_PARM_DESC(p, d)		__bwt_swallow
#define module_param(n, t, p)		__bwt_swallow
#define module_param_named(n, v, t, p)	__bwt_swallow
#define module_init(fn)			__bwt_swallow
#define module_exit(fn)			__bwt_swallow
#define late_initcall(fn)		__bwt_swallow
#define ALLOW_ERROR_INJECTION(fn, t)	__bwt_swallow
struct module;

/* Test-only pause points of the core: see <bwt/runtime.h>. */
#ifndef BWT_NO_CHECKS
#define bwt_pause_point(name)		bwt_pause_hit(#name)
#endif

/* Per-CPU data and percpu_counter, on the macros above. */
#include <bwt/percpu.h>

/*
 * Last, after every include: glibc's <assert.h> (also included by liburcu)
 * redefines static_assert as _Static_assert, and the kernel's takes one
 * argument.
 */
#undef static_assert
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)

#endif /* _BWT_SHIM_H */
