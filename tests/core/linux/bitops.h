/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/bitops.h>: the bit searches. */
#ifndef BUDDY_TEST_LINUX_BITOPS_H
#define BUDDY_TEST_LINUX_BITOPS_H

#include <linux/compiler.h>
#include <linux/types.h>

#define BITS_PER_LONG	(__SIZEOF_LONG__ * 8)

/* Index of the lowest set bit; @word must not be zero. */
static __always_inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

static __always_inline unsigned long __ffs64(u64 word)
{
	return (unsigned long)__builtin_ctzll(word);
}

/* Index of the highest set bit; @word must not be zero. */
static __always_inline unsigned long __fls(unsigned long word)
{
	return BITS_PER_LONG - 1 - (unsigned long)__builtin_clzl(word);
}

#endif /* BUDDY_TEST_LINUX_BITOPS_H */
