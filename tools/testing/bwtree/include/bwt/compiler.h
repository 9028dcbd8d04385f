/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the compiler attributes, annotations and ONCE accessors of
 * <linux/compiler.h>, <linux/compiler_types.h>, <linux/build_bug.h>,
 * <linux/kconfig.h>.  Included into every core file with -include, as Kbuild
 * does with compiler_types.h and kconfig.h.
 *
 * READ_ONCE()/WRITE_ONCE() are relaxed __atomic accesses (consume for loads:
 * the kernel relies on address dependencies after READ_ONCE(), which C11
 * calls memory_order_consume and compilers and ThreadSanitizer implement as
 * acquire), so ThreadSanitizer sees them as the marked accesses they are.
 */
#ifndef _BWT_COMPILER_H
#define _BWT_COMPILER_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* kconfig.h */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__take_second_arg(arg1_or_junk 1, 0)
#define __or(x, y)			___or(x, y)
#define ___or(x, y)			____or(__ARG_PLACEHOLDER_##x, y)
#define ____or(arg1_or_junk, y)		__take_second_arg(arg1_or_junk 1, y)
#define IS_BUILTIN(option) __is_defined(option)
#define IS_MODULE(option) __is_defined(option##_MODULE)
#define IS_REACHABLE(option) __or(IS_BUILTIN(option), IS_MODULE(option))
#define IS_ENABLED(option) __or(IS_BUILTIN(option), IS_MODULE(option))

#ifndef CONFIG_64BIT
#define CONFIG_64BIT 1
#endif
#ifndef CONFIG_SMP
#define CONFIG_SMP 1
#endif
#ifndef CONFIG_NR_CPUS
#define CONFIG_NR_CPUS 64
#endif
#ifndef BITS_PER_LONG
#define BITS_PER_LONG 64
#endif
#define BITS_PER_LONG_LONG 64

/* Sparse annotations: nothing in userspace. */
#define __user
#define __kernel
#define __iomem
#define __percpu
#define __rcu
#define __force
#define __bitwise
#define __safe
#define __private
#define __acquires(x)
#define __releases(x)
#define __acquire(x)	((void)0)
#define __release(x)	((void)0)
#define __must_hold(x)
#define __cond_lock(x, c) (c)
#define ACCESS_PRIVATE(p, member) ((p)->member)

/* Attributes */
#ifndef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define noinline		__attribute__((__noinline__))
#define __noinline		noinline
#define __must_check		__attribute__((__warn_unused_result__))
#define __maybe_unused		__attribute__((__unused__))
#define __always_unused		__attribute__((__unused__))
#define __used			__attribute__((__used__))
#define __packed		__attribute__((__packed__))
#define __aligned(x)		__attribute__((__aligned__(x)))
#define __cold			__attribute__((__cold__))
#define __hot			__attribute__((__hot__))
#define __pure			__attribute__((__pure__))
#define __const_fn		__attribute__((__const__))
#define __noreturn		__attribute__((__noreturn__))
#define __weak			__attribute__((__weak__))
#define __printf(a, b)		__attribute__((__format__(printf, a, b)))
#define __scanf(a, b)		__attribute__((__format__(scanf, a, b)))
#define __malloc		__attribute__((__malloc__))
#define __section(s)		__attribute__((__section__(s)))
#define __nonstring
#define __counted_by(m)
#define __randomize_layout
#define __no_randomize_layout
#define __designated_init
#define __init
#define __exit
#define __initdata
#define __exitdata
#define __initconst
#define __ro_after_init
#define __read_mostly
#define __visible
#define __no_kcsan
#define __no_sanitize_address
#define noinstr
#define notrace
#define asmlinkage
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif
#define __stringify_1(x...)	#x
#define __stringify(x...)	__stringify_1(x)
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)

#ifndef likely
#define likely(x)		__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)		__builtin_expect(!!(x), 0)
#endif
#define likely_notrace(x)	likely(x)
#define unlikely_notrace(x)	unlikely(x)

#define barrier()		__asm__ __volatile__("" : : : "memory")
#define barrier_data(ptr)	__asm__ __volatile__("" : : "r"(ptr) : "memory")
#define unreachable()		__builtin_unreachable()
#define OPTIMIZER_HIDE_VAR(var)	__asm__ ("" : "=r" (var) : "0" (var))
#define RELOC_HIDE(ptr, off)	((typeof(ptr))((unsigned long)(ptr) + (off)))
#define __is_constexpr(x) \
	(sizeof(int) == sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8)))
#define __same_type(a, b)	__builtin_types_compatible_p(typeof(a), typeof(b))
#define __must_be_array(a)	BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))
#define data_race(expr)		({ __auto_type __v = (expr); __v; })
#define ASSERT_EXCLUSIVE_WRITER(var)	do { } while (0)
#define ASSERT_EXCLUSIVE_ACCESS(var)	do { } while (0)
#define ASSERT_EXCLUSIVE_BITS(var, mask) do { } while (0)
#define kcsan_check_access(p, s, t)	do { } while (0)

/* build_bug.h */
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int:(-!!(e)); })))
#define BUILD_BUG_ON_MSG(cond, msg) _Static_assert(!(cond), msg)
#define BUILD_BUG_ON(condition) \
	do { _Static_assert(!(condition), "BUILD_BUG_ON failed: " #condition); } while (0)
#define BUILD_BUG_ON_NOT_POWER_OF_2(n) BUILD_BUG_ON((n) == 0 || (((n) & ((n) - 1)) != 0))
#define BUILD_BUG()		BUILD_BUG_ON(1)
#define compiletime_assert(c, msg) _Static_assert(c, msg)
#undef static_assert
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)

/*
 * Types without their qualifiers.  The kernel uses _Generic over the scalar
 * types; the comma operator's lvalue conversion does the same for every
 * type, pointers and structs included, in GCC and Clang alike.
 */
#define __unqual_scalar_typeof(x) typeof(((void)0, (x)))
#define __native_word(t) \
	(sizeof(t) == sizeof(char) || sizeof(t) == sizeof(short) || \
	 sizeof(t) == sizeof(int) || sizeof(t) == sizeof(long))

#define READ_ONCE(x)							\
({									\
	__unqual_scalar_typeof(x) __ro_v;				\
	__atomic_load(&(x), &__ro_v, __ATOMIC_CONSUME);			\
	__ro_v;								\
})

#define WRITE_ONCE(x, val)						\
do {									\
	__unqual_scalar_typeof(x) __wo_v = (val);			\
	__atomic_store(&(x), &__wo_v, __ATOMIC_RELAXED);		\
} while (0)

#define __READ_ONCE(x)		READ_ONCE(x)
#define __WRITE_ONCE(x, val)	WRITE_ONCE(x, val)
#define READ_ONCE_NOCHECK(x)	READ_ONCE(x)

/* container_of.h, stddef.h, array_size.h */
#ifndef offsetof
#define offsetof(TYPE, MEMBER)	__builtin_offsetof(TYPE, MEMBER)
#endif
#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#define offsetofend(TYPE, MEMBER) (offsetof(TYPE, MEMBER) + sizeof_field(TYPE, MEMBER))
#define typeof_member(T, m)	typeof(((T *)0)->m)
/* Integer arithmetic: list walks apply it to NULL, which UBSan would flag. */
#define container_of(ptr, type, member) ({				\
	uintptr_t __mptr = (uintptr_t)(ptr);				\
	((type *)(__mptr - offsetof(type, member))); })
#define container_of_const(ptr, type, member) container_of(ptr, type, member)
#define __DECLARE_FLEX_ARRAY(TYPE, NAME)				\
	struct {							\
		struct { } __empty_ ## NAME;				\
		TYPE NAME[];						\
	}
#define DECLARE_FLEX_ARRAY(TYPE, NAME)	__DECLARE_FLEX_ARRAY(TYPE, NAME)
#define struct_group(NAME, MEMBERS...)					\
	union {								\
		struct { MEMBERS };					\
		struct { MEMBERS } NAME;				\
	}
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))

#endif /* _BWT_COMPILER_H */
