/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: <kunit/visibility.h>, as with CONFIG_KUNIT enabled: the
 * internals marked for KUnit are visible to the harness as well.
 */
#ifndef _BWT_KUNIT_VISIBILITY_H
#define _BWT_KUNIT_VISIBILITY_H
#include <bwt/shim.h>
#define VISIBLE_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(symbol)	__bwt_swallow
#endif
