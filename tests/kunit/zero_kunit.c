// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_zero: every path honours __GFP_ZERO, init_on_alloc and
 * init_on_free, and the known-zero bit, kept through splits, merges and
 * caches, spares the memset of a block that holds only zeros.
 */
#include <linux/mm.h>

#include "buddy_kunit.h"

static u64 zeroed(struct buddy_pool *pool, u64 *zeroings)
{
	struct buddy_stats st;

	buddy_pool_stats(pool, &st);
	if (zeroings)
		*zeroings = st.nr_zeroings;
	return st.zeroed;
}

static void zero_fresh_pool_needs_no_memset(struct kunit *test)
{
	struct buddy_pool *pool = make_uncached(test, "kunit_zero", MB, 4096);
	u64 fills;
	u8 *p;

	KUNIT_EXPECT_EQ(test, zeroed(pool, &fills), (u64)MB);
	KUNIT_EXPECT_EQ(test, fills, 0ULL);
	p = buddy_alloc(pool, 4096, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 4096));
	/* Fresh chunks are zeroed once, when they are reserved. */
	KUNIT_EXPECT_EQ(test, zeroed(pool, &fills), (u64)MB - 4096);
	KUNIT_EXPECT_EQ(test, fills, 0ULL);
	/* Given back, it may hold anything, and so may what it merges into. */
	buddy_free(pool, p);
	KUNIT_EXPECT_EQ(test, zeroed(pool, NULL),
			want_init_on_free() ? (u64)MB : 0ULL);
	check_pool(test, pool);
}

static void zero_dirty_block_is_zeroed_once(struct kunit *test)
{
	struct buddy_pool *pool = make_uncached(test, "kunit_zero", MB, 4096);
	bool on_free = want_init_on_free();
	u64 fills;
	u8 *p, *q;

	p = buddy_alloc(pool, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x5a, 4096);
	buddy_free(pool, p);
	/* Merged with its clean buddies: the whole pool is one block. */
	KUNIT_EXPECT_EQ(test, zeroed(pool, &fills), on_free ? (u64)MB : 0ULL);
	KUNIT_EXPECT_EQ(test, fills, 0ULL);

	q = buddy_alloc(pool, 4096, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 4096));
	zeroed(pool, &fills);
	KUNIT_EXPECT_EQ(test, fills, on_free ? 0ULL : 1ULL);
	/* Zeroed by the allocation, freed dirty again. */
	memset(q, 0x5a, 4096);
	buddy_free(pool, q);

	q = buddy_alloc(pool, 4096, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	if (want_init_on_alloc(GFP_KERNEL) || on_free) {
		KUNIT_EXPECT_NULL(test, memchr_inv(q, 0, 4096));
	} else {
		/*
		 * No zeroing asked for: the old bytes stay (but for the first
		 * ones, where the free list linked it), nothing is spent.
		 */
		KUNIT_EXPECT_EQ(test, q[64], 0x5a);
		KUNIT_EXPECT_EQ(test, q[4095], 0x5a);
	}
	zeroed(pool, &fills);
	KUNIT_EXPECT_EQ(test, fills,
			on_free ? 0ULL :
			want_init_on_alloc(GFP_KERNEL) ? 2ULL : 1ULL);
	buddy_free(pool, q);
	kunit_info(test, "init_on_alloc=%d init_on_free=%d\n",
		   want_init_on_alloc(GFP_KERNEL), on_free);
	check_pool(test, pool);
}

static void zero_split_keeps_and_merge_needs_both(struct kunit *test)
{
	struct buddy_pool *pool = make_uncached(test, "kunit_zero", MB, 4096);
	u64 clean = want_init_on_free() ? 4096 : 0;
	u8 *a, *b;

	a = buddy_alloc(pool, 4096, GFP_KERNEL);
	b = buddy_alloc(pool, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_PTR_EQ(test, b, a + 4096);
	/* The split left known-zero blocks of every order above. */
	KUNIT_EXPECT_EQ(test, zeroed(pool, NULL), (u64)MB - 8192);
	a[0] = 1;
	buddy_free(pool, a);
	/* a cannot merge while b is out, and is no longer known zero. */
	KUNIT_EXPECT_EQ(test, zeroed(pool, NULL), (u64)MB - 8192 + clean);
	buddy_free(pool, b);
	/* One dirty half: the merged block, all of the pool, is not zero. */
	KUNIT_EXPECT_EQ(test, zeroed(pool, NULL), clean ? (u64)MB : 0ULL);
	check_pool(test, pool);
}

static void zero_range_and_exact_honour_gfp_zero(struct kunit *test)
{
	struct buddy_pool *pool = make_uncached(test, "kunit_zero", MB, 4096);
	u8 *p;

	p = buddy_alloc_exact(pool, 3 * 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x33, 3 * 4096);
	buddy_free_exact(pool, p, 3 * 4096);
	p = buddy_alloc_exact(pool, 3 * 4096, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 3 * 4096));
	memset(p, 0x33, 3 * 4096);
	buddy_free_exact(pool, p, 3 * 4096);

	p = buddy_alloc_range(pool, 8192, 0, 0, 0, 0, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, p), 0ULL);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 8192));
	buddy_free(pool, p);
	check_pool(test, pool);
}

static void zero_cached_blocks_count_in_stats(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_zero", MB, 4096);
	u8 *p;

	/* A refill takes a batch of known-zero blocks into a cache. */
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 4), 0);
	p = buddy_alloc(pool, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, zeroed(pool, NULL), (u64)MB - 4096);
	memset(p, 0x11, 4096);
	buddy_free(pool, p);
	KUNIT_EXPECT_EQ(test, zeroed(pool, NULL),
			want_init_on_free() ? (u64)MB : (u64)MB - 4096);
	buddy_pool_drain(pool);
	check_pool(test, pool);
}

static struct kunit_case buddy_zero_cases[] = {
	KUNIT_CASE(zero_fresh_pool_needs_no_memset),
	KUNIT_CASE(zero_dirty_block_is_zeroed_once),
	KUNIT_CASE(zero_split_keeps_and_merge_needs_both),
	KUNIT_CASE(zero_range_and_exact_honour_gfp_zero),
	KUNIT_CASE(zero_cached_blocks_count_in_stats),
	{}
};

struct kunit_suite buddy_zero_suite = {
	.name = "buddy_zero",
	.test_cases = buddy_zero_cases,
};
