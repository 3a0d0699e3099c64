/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for <linux/compiler.h>. In the kernel, __always_inline and
 * noinline come from <linux/compiler_types.h>, which Kbuild includes in
 * every file; here glibc's <sys/cdefs.h> has them, or their equivalents.
 */
#ifndef BUDDY_TEST_LINUX_COMPILER_H
#define BUDDY_TEST_LINUX_COMPILER_H

#include <sys/cdefs.h>	/* __always_inline, __attribute_noinline__ */

#define noinline	__attribute_noinline__

#define fallthrough	__attribute__((__fallthrough__))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#endif /* BUDDY_TEST_LINUX_COMPILER_H */
