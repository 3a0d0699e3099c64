/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/log2.h>. */
#ifndef BUDDY_TEST_LINUX_LOG2_H
#define BUDDY_TEST_LINUX_LOG2_H

#include <linux/compiler.h>
#include <linux/types.h>

/*
 * floor(log2(@n)); @n must not be zero. The kernel's is a macro for any
 * integer type; the core takes it of u64 values only.
 */
static __always_inline int ilog2(u64 n)
{
	return 63 - __builtin_clzll(n);
}

#endif /* BUDDY_TEST_LINUX_LOG2_H */
