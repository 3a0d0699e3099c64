// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_range: buddy_alloc_range() puts a block of buddy_alloc()'s size
 * lowest or highest in its window at any alignment, in fragmented pools
 * and past the caches too; offsets and addresses round-trip.
 */
#include <linux/cpumask.h>
#include <linux/workqueue.h>

#include "buddy_kunit.h"

static void range_empty_pool_lowest_and_highest(struct kunit *test)
{
	static const size_t sizes[] = { 1, 4 * KB, 12 * KB, MB, 4 * MB };
	struct buddy_pool *pool = make_pool(test, "kunit_rng", 8 * MB, 4096);
	struct buddy_stats st;
	unsigned int i;
	u8 *p;

	skip_unless_4m_chunks(test);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t bs = max_t(size_t, 4 * KB, roundup_pow_of_two(sizes[i]));

		expect_range(test, pool, sizes[i], 0, 0, 0, 0, 0);
		expect_range(test, pool, sizes[i], 0, 0, 0, BUDDY_TOPDOWN,
			     8 * MB - bs);
	}
	/* __GFP_ZERO zeroes a recycled block. */
	p = buddy_alloc_range(pool, 8 * KB, 0, 0, 0, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x5a, 8 * KB);
	buddy_free(pool, p);
	p = buddy_alloc_range(pool, 8 * KB, 0, 0, 0, 0,
			      GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, off_of(pool, p), 0ULL);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 8 * KB));
	buddy_free(pool, p);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 8ULL * MB);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 0ULL);
	check_pool(test, pool);
}

static void range_places_block_inside_window(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_win", 4 * MB, 4096);
	struct buddy_stats st;

	skip_unless_4m_chunks(test);
	/* The first and the last 16K-aligned block of [1M + 4K, 2M). */
	expect_range(test, pool, 16 * KB, 0, MB + 4 * KB, 2 * MB, 0,
		     MB + 16 * KB);
	expect_range(test, pool, 16 * KB, 0, MB + 4 * KB, 2 * MB,
		     BUDDY_TOPDOWN, 2 * MB - 16 * KB);
	/* An end that is not block-aligned: the block ends at or below it. */
	expect_range(test, pool, 16 * KB, 0, MB, 2 * MB - 4 * KB,
		     BUDDY_TOPDOWN, 2 * MB - 32 * KB);
	/* A window exactly one block wide. */
	expect_range(test, pool, 16 * KB, 0, 2 * MB - 16 * KB, 2 * MB, 0,
		     2 * MB - 16 * KB);
	expect_range(test, pool, 16 * KB, 0, 2 * MB - 16 * KB, 2 * MB,
		     BUDDY_TOPDOWN, 2 * MB - 16 * KB);
	/* End 0 is the end of the pool; an end past the pool is clipped. */
	expect_range(test, pool, 16 * KB, 0, 3 * MB, 0, 0, 3 * MB);
	expect_range(test, pool, 16 * KB, 0, 3 * MB, 0, BUDDY_TOPDOWN,
		     4 * MB - 16 * KB);
	expect_range(test, pool, 16 * KB, 0, MB, 5 * MB, BUDDY_TOPDOWN,
		     4 * MB - 16 * KB);
	expect_range(test, pool, 16 * KB, 0, MB, U64_MAX, BUDDY_TOPDOWN,
		     4 * MB - 16 * KB);
	expect_range(test, pool, 4 * MB, 0, 0, 64 * MB, 0, 0);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 0ULL);

	/* Windows no block of that size fits in: plain failures. */
	expect_range(test, pool, 64 * KB, 0, MB, MB + 32 * KB, 0, U64_MAX);
	expect_range(test, pool, 16 * KB, 0, 4 * KB, 20 * KB, 0, U64_MAX);
	expect_range(test, pool, 16 * KB, 0, 4 * KB, 20 * KB, BUDDY_TOPDOWN,
		     U64_MAX);
	expect_range(test, pool, 4 * MB, 0, 4 * KB, 0, 0, U64_MAX);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 4ULL);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	check_pool(test, pool);
}

static void range_align_beyond_size_keeps_block_size(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_al", 4 * MB, 4096);
	struct buddy_stats st;
	void *a, *b;

	skip_unless_4m_chunks(test);
	expect_range(test, pool, 4 * KB, 64 * KB, 4 * KB, 0, 0, 64 * KB);
	expect_range(test, pool, 4 * KB, 64 * KB, 0, 0, BUDDY_TOPDOWN,
		     4 * MB - 64 * KB);
	expect_range(test, pool, 4 * KB, MB, MB + 4 * KB, 3 * MB, 0, 2 * MB);
	expect_range(test, pool, 4 * KB, MB, MB + 4 * KB, 3 * MB,
		     BUDDY_TOPDOWN, 2 * MB);
	expect_range(test, pool, 4 * KB, CHUNK, 0, 0, BUDDY_TOPDOWN, 0);
	/* An alignment below the block size changes nothing. */
	expect_range(test, pool, 16 * KB, 4 * KB, 4 * KB, 0, 0, 16 * KB);

	/* A taken aligned slot sends the next block to the next multiple. */
	a = buddy_alloc_range(pool, 4 * KB, 64 * KB, 4 * KB, 0, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, off_of(pool, a), 64ULL * KB);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, a), 4 * KB);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB - 4 * KB);
	b = buddy_alloc_range(pool, 4 * KB, 64 * KB, 4 * KB, 0, 0, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, off_of(pool, b), 128ULL * KB);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, b), 4 * KB);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB - 8 * KB);
	check_pool(test, pool);
	buddy_free(pool, a);
	buddy_free(pool, b);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	check_pool(test, pool);
}

/*
 * 64 blocks of 64 KiB fill the pool; those at odd multiples of 64 KiB are
 * freed. Only 64 KiB holes are left, none of them 128 KiB-aligned.
 */
static void range_fragmented_pool_finds_the_right_hole(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_frag", 4 * MB, 4096);
	struct buddy_stats before, after;
	unsigned int i, nr = 64;
	void **blk;

	skip_unless_4m_chunks(test);
	blk = kunit_kcalloc(test, nr, sizeof(*blk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	no_caches(test, pool);
	for (i = 0; i < nr; i++) {
		blk[i] = buddy_alloc(pool, 64 * KB, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
	}
	for (i = 0; i < nr; i++) {
		if ((off_of(pool, blk[i]) / (64 * KB)) % 2) {
			buddy_free(pool, blk[i]);
			blk[i] = NULL;
		}
	}
	buddy_pool_stats(pool, &before);
	KUNIT_ASSERT_EQ(test, before.free, 2ULL * MB);
	check_pool(test, pool);

	expect_range(test, pool, 64 * KB, 0, 0, 0, 0, 64 * KB);
	expect_range(test, pool, 64 * KB, 0, 2 * MB, 0, 0, 2 * MB + 64 * KB);
	expect_range(test, pool, 64 * KB, 0, 0, 0, BUDDY_TOPDOWN,
		     4 * MB - 64 * KB);
	expect_range(test, pool, 64 * KB, 0, 0, MB, BUDDY_TOPDOWN,
		     MB - 64 * KB);
	/* Small blocks split a hole: the lowest and highest 4K in it. */
	expect_range(test, pool, 4 * KB, 0, 0, 0, 0, 64 * KB);
	expect_range(test, pool, 4 * KB, 0, 0, 0, BUDDY_TOPDOWN,
		     4 * MB - 4 * KB);
	expect_range(test, pool, 4 * KB, 64 * KB, 0, 0, BUDDY_TOPDOWN,
		     4 * MB - 64 * KB);
	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_failed, before.nr_failed);

	/* Half the pool is free, but no 128K-aligned min block is. */
	expect_range(test, pool, 4 * KB, 128 * KB, 0, 0, 0, U64_MAX);
	expect_range(test, pool, 4 * KB, 128 * KB, 0, 0, BUDDY_TOPDOWN,
		     U64_MAX);
	expect_range(test, pool, 128 * KB, 0, 0, 0, 0, U64_MAX);
	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_failed, before.nr_failed + 3);
	after.nr_failed = before.nr_failed;
	after.nr_allocs = before.nr_allocs;
	after.nr_frees = before.nr_frees;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);

	for (i = 0; i < nr; i++)
		buddy_free(pool, blk[i]);
	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.free, 4ULL * MB);
	check_pool(test, pool);
}

static void range_exhausts_window_while_pool_has_room(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_full", 4 * MB, 4096);
	unsigned int i, flags;
	struct buddy_stats st;
	void *blk[4];

	for (flags = 0; flags <= BUDDY_TOPDOWN; flags += BUDDY_TOPDOWN) {
		for (i = 0; i < 4; i++) {
			u64 want = flags ? (3 - i) * 16 * KB : i * 16 * KB;

			blk[i] = buddy_alloc_range(pool, 16 * KB, 0, 0, 64 * KB,
						   flags, GFP_KERNEL);
			KUNIT_EXPECT_EQ_MSG(test, off_of(pool, blk[i]), want,
					    "block %u flags %u", i, flags);
		}
		buddy_pool_stats(pool, &st);
		KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB - 64 * KB);
		expect_range(test, pool, 16 * KB, 0, 0, 64 * KB, flags,
			     U64_MAX);
		expect_range(test, pool, 4 * KB, 0, 0, 64 * KB, flags ^
			     BUDDY_TOPDOWN, U64_MAX);
		buddy_pool_stats(pool, &st);
		KUNIT_EXPECT_EQ(test, st.nr_failed, flags ? 4ULL : 2ULL);
		KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB - 64 * KB);
		/* Outside the window the pool still serves. */
		expect_range(test, pool, 16 * KB, 0, 0, 0, 0, 64 * KB);
		for (i = 0; i < 4; i++)
			buddy_free(pool, blk[i]);
		check_pool(test, pool);
	}
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
}

static void range_refuses_bad_arguments_without_change(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_bad", 4 * MB, 4096);
	struct buddy_stats before, after;
	void *live;

	live = buddy_alloc(pool, 16 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	buddy_pool_stats(pool, &before);

	pr_info("BUDDY-EXPECT-WARN-BEGIN 1\n");
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 3, 0, 0, 0,
						  GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 48 * KB, 0, 0,
						  0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 2 * CHUNK, 0,
						  0, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 0, MB, MB, 0,
						  GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 0, 2 * MB, MB,
						  0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 0, 4 * MB, 0,
						  0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 0, 8 * MB,
						  16 * MB, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 0, 0, 0, 0x2,
						  GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 4 * KB, 0, 0, 0,
						  BUDDY_TOPDOWN | 0x80,
						  GFP_KERNEL));
	pr_info("BUDDY-EXPECT-WARN-END\n");

	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_failed, before.nr_failed + 9);
	after.nr_failed = before.nr_failed;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, live), 16 * KB);
	check_pool(test, pool);

	/* Size 0 and oversized sizes are plain failures: they never WARN. */
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, 0, 0, 0, 0, 0,
						  __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, CHUNK + 1, 0, 0, 0, 0,
						  __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc_range(pool, SIZE_MAX, 0, 0, 0,
						  BUDDY_TOPDOWN, __GFP_NOWARN));
	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_failed, before.nr_failed + 12);
	KUNIT_EXPECT_EQ(test, after.nr_bad_frees, 0ULL);
	buddy_free(pool, live);
	check_pool(test, pool);
}

static void range_drains_every_cache_first(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_pcp", 4 * MB, 4096);
	unsigned int cpu = raw_smp_processor_id(), other = other_cpu(cpu);
	struct on_cpu c = { .pool = pool, .size = 4096, .nr = 1 };
	struct buddy_stats st;
	u64 nr_cached = 16;
	void *p;

	skip_unless_4m_chunks(test);
	if (other >= nr_cpu_ids) {
		other = cpu;
		nr_cached = 8;
	}
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 16, 8), 0);
	/* A batch of 8 free blocks waits in each CPU's cache. */
	work_on_cpu(other, alloc_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.blk[0]);
	work_on_cpu(other, free_on_cpu, &c);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.blk[0]);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), nr_cached);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached, nr_cached * 4096);

	p = buddy_alloc_range(pool, 4096, 0, 0, 0, 0, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, off_of(pool, p), 0ULL);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB - 4096);
	check_pool(test, pool);
	buddy_free(pool, p);

	/* Again with the freed block cached here: top-down sees it all too. */
	work_on_cpu(cpu, alloc_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.blk[0]);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_EXPECT_GT(test, total_cached(pool, 0), 0ULL);
	expect_range(test, pool, 8 * KB, 0, 0, 0, BUDDY_TOPDOWN,
		     4 * MB - 8 * KB);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	expect_range(test, pool, 8 * KB, 0, 0, 0, 0, 0);
	buddy_pool_drain(pool);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[st.max_order], 1ULL);
	check_pool(test, pool);
}

static void range_offset_and_addr_round_trip(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_rng_addr", 8 * MB, 4096);
	static const u64 inside[] = { 0, 1, 4095, 4096, 64 * KB - 1 };
	u8 *p, *outside;
	unsigned int i;
	u64 base;

	skip_unless_4m_chunks(test);
	outside = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, outside);
	p = buddy_alloc_range(pool, 64 * KB, 0, 4 * MB, 0, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	base = off_of(pool, p);
	KUNIT_EXPECT_EQ(test, base, 4ULL * MB);
	for (i = 0; i < ARRAY_SIZE(inside); i++) {
		KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, p + inside[i]),
				base + inside[i]);
		KUNIT_EXPECT_PTR_EQ(test, buddy_pool_addr(pool, base + inside[i]),
				    (void *)(p + inside[i]));
	}
	/* Free memory has offsets and addresses too, in both chunks. */
	for (i = 0; i < 2; i++) {
		u64 o = i * CHUNK + 12345;
		u8 *a = buddy_pool_addr(pool, o);

		KUNIT_ASSERT_NOT_NULL(test, a);
		KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, a), o);
		KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, a - 12345 +
							CHUNK - 1),
				i * CHUNK + CHUNK - 1);
	}
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, outside), U64_MAX);
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, NULL), U64_MAX);
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 8 * MB));
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 8 * MB + 1));
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, U64_MAX));
	buddy_free(pool, p);
	check_pool(test, pool);
}

static struct kunit_case buddy_range_cases[] = {
	KUNIT_CASE(range_empty_pool_lowest_and_highest),
	KUNIT_CASE(range_places_block_inside_window),
	KUNIT_CASE(range_align_beyond_size_keeps_block_size),
	KUNIT_CASE(range_fragmented_pool_finds_the_right_hole),
	KUNIT_CASE(range_exhausts_window_while_pool_has_room),
	KUNIT_CASE(range_refuses_bad_arguments_without_change),
	KUNIT_CASE(range_drains_every_cache_first),
	KUNIT_CASE(range_offset_and_addr_round_trip),
	{}
};

struct kunit_suite buddy_range_suite = {
	.name = "buddy_range",
	.test_cases = buddy_range_cases,
};
