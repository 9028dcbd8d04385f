/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: <linux/types.h>.
 *
 * glibc and the UAPI headers include <linux/types.h> themselves, so this
 * file first pulls in the real UAPI header and then adds the kernel-only
 * types.  It must stay self-contained: no other shim header from here.
 */
#ifndef _BWT_SHIM_LINUX_TYPES_H
#define _BWT_SHIM_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

typedef __u8 u8;
typedef __s8 s8;
typedef __u16 u16;
typedef __s16 s16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;

typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;
typedef unsigned int fmode_t;
typedef u64 phys_addr_t;
typedef unsigned long uintptr_t_kernel;

/* The kernel's atomic types are structs so plain arithmetic cannot touch them. */
typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

typedef atomic64_t atomic_long_t;

struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

/* As the kernel's; lib/rcu.c queues them for its call_rcu() worker. */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(sizeof(void *))));
#define rcu_head callback_head

typedef void (*rcu_callback_t)(struct rcu_head *head);

#endif /* _BWT_SHIM_LINUX_TYPES_H */
