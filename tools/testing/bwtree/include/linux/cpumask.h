/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: everything is in <bwt/shim.h>. */
#include <bwt/shim.h>
