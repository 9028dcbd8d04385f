/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace runtime: poison(p, n) and unpoison(p, n) mark memory the
 * program must not touch for AddressSanitizer, and are nothing without it.
 * For the runtime's own files (lib/), not the shim.
 */
#ifndef _BWT_POISON_H
#define _BWT_POISON_H

#if defined(__SANITIZE_ADDRESS__)
#define BWT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BWT_ASAN 1
#endif
#endif
#ifdef BWT_ASAN
#include <sanitizer/asan_interface.h>
#define poison(p, n)	ASAN_POISON_MEMORY_REGION(p, n)
#define unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define poison(p, n)	((void)(p), (void)(n))
#define unpoison(p, n)	((void)(p), (void)(n))
#endif

#endif /* _BWT_POISON_H */
