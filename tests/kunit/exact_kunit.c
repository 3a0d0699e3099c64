// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_exact: buddy_alloc_exact() carves every length up to a chunk,
 * leaves the rest of its power-of-two block free at once, fills every
 * chunk, and refuses bad frees without change.
 */
#include <linux/io.h>

#include "buddy_kunit.h"

/*
 * Every length a 1-chunk pool of 4 KiB min blocks can carve: the length
 * is exact, the offset aligned to its power of two, and the free with
 * that size gives back every byte and merges the pool whole.
 */
static void exact_every_length_up_to_a_chunk(struct kunit *test)
{
	static const size_t odd[] = { 1, 4 * KB + 1, 12 * KB - 1,
				      3 * MB + 1, 4 * MB - 1 };
	struct buddy_pool *pool = make_pool(test, "kunit_exact", 4 * MB, 4096);
	unsigned int n, nr_odd = ARRAY_SIZE(odd);
	struct buddy_stats st;

	skip_unless_4m_chunks(test);
	for (n = 1; n <= CHUNK / (4 * KB) + nr_odd; n++) {
		size_t size = n <= CHUNK / (4 * KB) ? n * 4 * KB :
			      odd[n - CHUNK / (4 * KB) - 1];
		size_t len = round_up(size, 4 * KB);
		u8 *p = buddy_alloc_exact(pool, size, GFP_KERNEL);
		u64 off = off_of(pool, p);

		KUNIT_ASSERT_NOT_NULL_MSG(test, p, "size %zu", size);
		KUNIT_ASSERT_EQ_MSG(test, buddy_block_size(pool, p), len,
				    "size %zu", size);
		KUNIT_ASSERT_EQ_MSG(test, off % roundup_pow_of_two(len), 0ULL,
				    "size %zu at %llu", size, off);
		KUNIT_ASSERT_EQ_MSG(test, virt_to_phys(p + len - 1) -
				    virt_to_phys(p), (phys_addr_t)len - 1,
				    "size %zu", size);
		p[0] = 0xa5;
		p[len - 1] = 0x5a;
		buddy_pool_stats(pool, &st);
		KUNIT_ASSERT_EQ_MSG(test, st.free, 4ULL * MB - len, "size %zu",
				    size);
		check_pool(test, pool);
		buddy_free_exact(pool, p, size);
		buddy_pool_stats(pool, &st);
		KUNIT_ASSERT_EQ_MSG(test, st.free, 4ULL * MB, "size %zu", size);
		KUNIT_ASSERT_EQ_MSG(test, st.free_blocks[10],
				    1ULL, "size %zu", size);
		check_pool(test, pool);
	}
	/* Any size that rounds to the same length frees it. */
	{
		void *p = buddy_alloc_exact(pool, 12 * KB, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		buddy_free_exact(pool, p, 8 * KB + 1);
		KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p), 0UL);
	}
	buddy_free_exact(pool, NULL, 4 * KB);
	KUNIT_EXPECT_NULL(test, buddy_alloc_exact(pool, 0, __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc_exact(pool, CHUNK + 1,
						  __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc_exact(pool, SIZE_MAX,
						  __GFP_NOWARN));
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 3ULL);
	KUNIT_EXPECT_EQ(test, st.nr_bad_frees, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	check_pool(test, pool);
}

/* What an exact length leaves of its power-of-two block is free at once. */
static void exact_rest_of_block_is_free_at_once(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_exact_rest", 64 * KB,
					    4096);
	static const u64 want12[] = { 1, 0, 1, 1, 0 }, want20[] = { 1, 1, 0, 1, 0 };
	struct buddy_stats st;
	unsigned int order;
	u8 *p, *q;
	u64 off;

	no_caches(test, pool);
	p = buddy_alloc_exact(pool, 12 * KB, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 12 * KB));
	off = off_of(pool, p);
	KUNIT_EXPECT_EQ(test, off % (16 * KB), 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 52ULL * KB);
	for (order = 0; order <= 4; order++)
		KUNIT_EXPECT_EQ_MSG(test, st.free_blocks[order], want12[order],
				    "order %u after 12K", order);
	/* The 4K after it is a free block of its own. */
	q = buddy_alloc_range(pool, 4 * KB, 0, off, off + 16 * KB, 0,
			      GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, off_of(pool, q), off + 12 * KB);
	buddy_free(pool, q);
	buddy_free_exact(pool, p, 12 * KB);
	check_pool(test, pool);

	p = buddy_alloc_exact(pool, 20 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, off_of(pool, p) % (32 * KB), 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 44ULL * KB);
	for (order = 0; order <= 4; order++)
		KUNIT_EXPECT_EQ_MSG(test, st.free_blocks[order], want20[order],
				    "order %u after 20K", order);
	/* A second exact length fits into what the first left free. */
	q = buddy_alloc_exact(pool, 32 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_NULL(test, buddy_alloc_exact(pool, 16 * KB, __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc_exact(pool, 12 * KB, __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, 16 * KB, __GFP_NOWARN));
	check_pool(test, pool);
	buddy_free_exact(pool, q, 32 * KB);
	buddy_free_exact(pool, p, 20 * KB);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 64ULL * KB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[4], 1ULL);
	check_pool(test, pool);
}

static void exact_refuses_bad_frees_without_change(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_exact_bad", MB, 4096);
	struct buddy_stats before, after;
	u8 *p, *r, *q, *g, *outside;

	outside = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, outside);
	p = buddy_alloc_exact(pool, 12 * KB, GFP_KERNEL);
	r = buddy_alloc_exact(pool, 8 * KB, GFP_KERNEL);
	q = buddy_alloc(pool, 16 * KB, GFP_KERNEL);
	g = buddy_alloc_range(pool, 16 * KB, 0, 0, 0, BUDDY_TOPDOWN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_NOT_NULL(test, g);
	memset(p, 0x11, 12 * KB);
	memset(r, 0x22, 8 * KB);
	buddy_pool_stats(pool, &before);

	pr_info("BUDDY-EXPECT-WARN-BEGIN 1\n");
	buddy_free_exact(pool, p, 8 * KB);		/* wrong size */
	buddy_free_exact(pool, p, 16 * KB);
	buddy_free_exact(pool, p, 12 * KB + 1);
	buddy_free_exact(pool, p + 4 * KB, 8 * KB);	/* interior */
	buddy_free_exact(pool, p + 1, 12 * KB);
	buddy_free_exact(pool, q, 16 * KB);		/* buddy_alloc block */
	buddy_free_exact(pool, g, 16 * KB);		/* range block */
	buddy_free_exact(pool, outside, 4 * KB);
	buddy_free(pool, p);				/* exact to buddy_free */
	buddy_free(pool, r);				/* power of two, too */
	pr_info("BUDDY-EXPECT-WARN-END\n");

	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_bad_frees, before.nr_bad_frees + 10);
	after.nr_bad_frees = before.nr_bad_frees;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p), 12 * KB);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, r), 8 * KB);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, q), 16 * KB);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x11, 12 * KB));
	KUNIT_EXPECT_NULL(test, memchr_inv(r, 0x22, 8 * KB));
	check_pool(test, pool);

	buddy_free_exact(pool, p, 12 * KB);
	buddy_free_exact(pool, r, 8 * KB);
	buddy_free(pool, q);
	buddy_free(pool, g);
	/* A second bad free is counted but WARNs no more. */
	buddy_free_exact(pool, p, 12 * KB);
	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_bad_frees, before.nr_bad_frees + 11);
	KUNIT_EXPECT_EQ(test, after.free, (u64)MB);
	check_pool(test, pool);
}

static void exact_fills_every_chunk(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_exact_2", 8 * MB, 4096);
	struct buddy_stats st;
	void *a, *b, *c;

	skip_unless_4m_chunks(test);
	a = buddy_alloc_exact(pool, 3 * MB, GFP_KERNEL);
	b = buddy_alloc_exact(pool, 3 * MB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NE(test, off_of(pool, a) / CHUNK, off_of(pool, b) / CHUNK);
	/* 2 MiB is left, 1 MiB in each chunk: no 2 MiB length fits. */
	KUNIT_EXPECT_NULL(test, buddy_alloc_exact(pool, 2 * MB, __GFP_NOWARN));
	c = buddy_alloc_exact(pool, MB, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, (u64)MB);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 1ULL);
	check_pool(test, pool);
	buddy_free_exact(pool, a, 3 * MB);
	buddy_free_exact(pool, b, 3 * MB);
	buddy_free_exact(pool, c, MB);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 8ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[10], 2ULL);
	check_pool(test, pool);
}

static struct kunit_case buddy_exact_cases[] = {
	KUNIT_CASE(exact_every_length_up_to_a_chunk),
	KUNIT_CASE(exact_rest_of_block_is_free_at_once),
	KUNIT_CASE(exact_refuses_bad_frees_without_change),
	KUNIT_CASE(exact_fills_every_chunk),
	{}
};

struct kunit_suite buddy_exact_suite = {
	.name = "buddy_exact",
	.test_cases = buddy_exact_cases,
};
