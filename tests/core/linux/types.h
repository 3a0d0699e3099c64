/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space stand-ins for the kernel headers buddy_core.c includes.
 *
 * tests/core/Makefile puts tests/core first on the include path, so
 * <linux/types.h> and the other headers the core asks for are found in
 * this directory, and the core compiles unchanged. Each one provides only
 * what the core and the tests use. Where libc's headers include a uapi
 * header of the same name, the stand-in includes that one in turn.
 */
#ifndef BUDDY_TEST_LINUX_TYPES_H
#define BUDDY_TEST_LINUX_TYPES_H

#include_next <linux/types.h>	/* the uapi __u8 to __u64 */
#include <stdbool.h>
#include <stddef.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;

#endif /* BUDDY_TEST_LINUX_TYPES_H */
