/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for <linux/bitops.h>: the bit searches, and the plain-C bitops
 * of the kernel's asm-generic/bitops/generic-non-atomic.h under their
 * names. generic_test_bit() is a load the compiler may neither merge nor
 * drop, as the kernel's volatile one is, so the benchmarks see the code
 * the kernel gets.
 */
#ifndef BUDDY_TEST_LINUX_BITOPS_H
#define BUDDY_TEST_LINUX_BITOPS_H

#include <linux/compiler.h>
#include <linux/types.h>

#define BITS_PER_LONG	(__SIZEOF_LONG__ * 8)

static __always_inline bool generic_test_bit(unsigned long nr,
					     const unsigned long *addr)
{
	unsigned long word = __atomic_load_n(addr + nr / BITS_PER_LONG,
					     __ATOMIC_RELAXED);

	return (word >> (nr % BITS_PER_LONG)) & 1;
}

static __always_inline void generic___set_bit(unsigned long nr,
					      unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static __always_inline void generic___clear_bit(unsigned long nr,
						unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}

/* Set bits in @w. */
static __always_inline unsigned int hweight64(u64 w)
{
	return (unsigned int)__builtin_popcountll(w);
}

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
