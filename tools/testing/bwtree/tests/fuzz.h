/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer's entry points.  libFuzzer fixes their (CamelCase) symbol names;
 * the C names here follow the kernel style and the asm labels give the
 * symbols the names libFuzzer looks for.
 */
#ifndef BWT_TESTS_FUZZ_H
#define BWT_TESTS_FUZZ_H

#include <stddef.h>
#include <bwt/shim.h>

int fuzz_initialize(int *argc, char ***argv) __asm__("LLVMFuzzerInitialize");
int fuzz_test_one_input(const u8 *data, size_t size) __asm__("LLVMFuzzerTestOneInput");

#endif
