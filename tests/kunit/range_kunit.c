// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_range: buddy_alloc_range() puts a block of buddy_alloc()'s size
 * lowest or highest in its window at any alignment, in fragmented pools
 * and with blocks cached, which it counts as free without emptying the
 * caches; offsets and addresses round-trip.
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

/*
 * On a pool no other CPU uses, the map of cached blocks holds exactly the
 * blocks on the stacks, each at its first min block.
 */
static void expect_cached_map(struct kunit *test, struct buddy_pool *pool)
{
	unsigned long nbits = pool->max_size >> pool->min_shift;
	unsigned int cpu, order, i, n;
	u64 on_stacks = 0;

	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		for (order = 0; order < BUDDY_PCP_ORDERS; order++) {
			n = buddy_pool_cpu_cached(pool, cpu, order);
			for (i = 0; i < n; i++) {
				u32 idx = READ_ONCE(pcp->slot[order][i]) &
					  ~PCP_ZERO;

				KUNIT_EXPECT_TRUE_MSG(test,
						      test_bit(idx, pool->cached_map),
						      "cpu %u order %u block %u not in the map",
						      cpu, order, idx);
			}
			on_stacks += n;
		}
	}
	KUNIT_EXPECT_EQ(test, (u64)bitmap_weight(pool->cached_map, nbits),
			on_stacks);
}

struct range_call {
	struct buddy_pool *pool;
	size_t size, align;
	u64 start, end;
	unsigned int flags;
	void *p;
};

static long range_on_cpu(void *arg)
{
	struct range_call *rc = arg;

	rc->p = buddy_alloc_range(rc->pool, rc->size, rc->align, rc->start,
				  rc->end, rc->flags, GFP_KERNEL);
	return 0;
}

/*
 * Placement counts cached blocks as free without emptying the caches.
 * @pool caches 4 KiB blocks on two CPUs and 16 KiB blocks on this one;
 * @ref is the same pool with no caches, so its free blocks are @pool's
 * free and cached ones. Each placement must land where it does in @ref,
 * and the caches must keep every block but those of the place (on the
 * other CPU's stack, those pushed after them move to this CPU's).
 */
static void range_sees_cached_blocks_and_keeps_the_rest(struct kunit *test)
{
	static const struct {
		size_t size, align;
		u64 start, end;
		unsigned int flags;
		u64 want;
		u32 other0, here0, here2;	/* cached after the step */
	} step[] = {
		/* One cached block, on top of the other CPU's stack. */
		{ 4 * KB, 0, 0, 0, 0, 0, 7, 8, 4 },
		/*
		 * Two of that CPU's blocks, one under another: those two go
		 * to the core, the one above them moves here, four stay.
		 */
		{ 8 * KB, 0, 0, 0, 0, 8 * KB, 4, 9, 4 },
		/* A cached 16 KiB block that is the place, on top here. */
		{ 16 * KB, 64 * KB, 4 * KB, 0, 0, 64 * KB, 4, 9, 3 },
		/* A place inside a cached 16 KiB block in mid-stack. */
		{ 4 * KB, 16 * KB, 80 * KB, 0, 0, 80 * KB, 4, 9, 2 },
		/* A window that starts inside a cached 16 KiB block. */
		{ 4 * KB, 0, 100 * KB, 0, 0, 100 * KB, 4, 9, 1 },
		/* One that ends inside one, top-down. */
		{ 4 * KB, 0, 0, 116 * KB, BUDDY_TOPDOWN, 112 * KB, 4, 9, 0 },
		/* A free place beats the cached ones: no cache changes. */
		{ 8 * KB, 0, 0, 128 * KB, BUDDY_TOPDOWN, 120 * KB, 4, 9, 0 },
		/* Top-down, a cached block at the bottom of its stack. */
		{ 4 * KB, 0, 0, 64 * KB, BUDDY_TOPDOWN, 60 * KB, 4, 8, 0 },
		/* A live block in the first place: the next one. */
		{ 8 * KB, 0, 128 * KB, 144 * KB, 0, 136 * KB, 4, 8, 0 },
		/* The top of the pool, free, beats every cached place. */
		{ 4 * KB, 0, 0, 0, BUDDY_TOPDOWN, 4 * MB - 4 * KB, 4, 8, 0 },
	};
	struct buddy_pool *pool = make_pool(test, "kunit_rng_pcp", 4 * MB, 4096);
	struct buddy_pool *ref = make_uncached(test, "kunit_rng_ref", 4 * MB,
					       4096);
	unsigned int cpu = raw_smp_processor_id(), other = other_cpu(cpu), i;
	struct on_cpu c = { .pool = pool, .size = 4 * KB, .nr = 1 };
	void *live[2], *got[ARRAY_SIZE(step)], *want[ARRAY_SIZE(step)];
	struct range_call rc;
	struct buddy_stats st;

	skip_unless_4m_chunks(test);
	if (other >= nr_cpu_ids)
		kunit_skip(test, "needs a second CPU");
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 16, 8), 0);
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 2, 16, 4), 0);
	/* 8 blocks of 4 KiB cached on each CPU, 4 of 16 KiB here. */
	work_on_cpu(other, alloc_on_cpu, &c);
	KUNIT_ASSERT_EQ(test, off_of(pool, c.blk[0]), 0ULL);
	work_on_cpu(other, free_on_cpu, &c);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	KUNIT_ASSERT_EQ(test, off_of(pool, c.blk[0]), 32ULL * KB);
	work_on_cpu(cpu, free_on_cpu, &c);
	c.size = 16 * KB;
	work_on_cpu(cpu, alloc_on_cpu, &c);
	KUNIT_ASSERT_EQ(test, off_of(pool, c.blk[0]), 64ULL * KB);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_ASSERT_EQ(test, buddy_pool_cpu_cached(pool, other, 0), 8U);
	KUNIT_ASSERT_EQ(test, buddy_pool_cpu_cached(pool, cpu, 0), 8U);
	KUNIT_ASSERT_EQ(test, buddy_pool_cpu_cached(pool, cpu, 2), 4U);
	/* The same live block in both pools. */
	live[0] = buddy_alloc_range(pool, 4 * KB, 0, 132 * KB, 136 * KB, 0,
				    GFP_KERNEL);
	live[1] = buddy_alloc_range(ref, 4 * KB, 0, 132 * KB, 136 * KB, 0,
				    GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, off_of(pool, live[0]), 132ULL * KB);
	KUNIT_ASSERT_EQ(test, off_of(ref, live[1]), 132ULL * KB);

	for (i = 0; i < ARRAY_SIZE(step); i++) {
		/* On this CPU, whose stacks are "here". */
		rc = (struct range_call){ pool, step[i].size, step[i].align,
					  step[i].start, step[i].end,
					  step[i].flags };
		work_on_cpu(cpu, range_on_cpu, &rc);
		got[i] = rc.p;
		want[i] = buddy_alloc_range(ref, step[i].size, step[i].align,
					 step[i].start, step[i].end,
					 step[i].flags, GFP_KERNEL);
		KUNIT_EXPECT_EQ_MSG(test, off_of(pool, got[i]),
				    off_of(ref, want[i]), "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, off_of(pool, got[i]), step[i].want,
				    "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, buddy_pool_cpu_cached(pool, other, 0),
				    step[i].other0, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, buddy_pool_cpu_cached(pool, cpu, 0),
				    step[i].here0, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, buddy_pool_cpu_cached(pool, cpu, 2),
				    step[i].here2, "step %u", i);
		if (got[i])
			KUNIT_EXPECT_EQ(test, buddy_block_size(pool, got[i]),
					max_t(size_t, 4 * KB, step[i].size));
		expect_cached_map(test, pool);
		check_pool(test, pool);
	}
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 0ULL);
	for (i = 0; i < ARRAY_SIZE(step); i++) {
		buddy_free(pool, got[i]);
		buddy_free(ref, want[i]);
	}
	buddy_free(pool, live[0]);
	buddy_free(ref, live[1]);
	expect_cached_map(test, pool);
	buddy_pool_drain(pool);
	expect_cached_map(test, pool);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
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
	KUNIT_CASE(range_sees_cached_blocks_and_keeps_the_rest),
	KUNIT_CASE(range_offset_and_addr_round_trip),
	{}
};

struct kunit_suite buddy_range_suite = {
	.name = "buddy_range",
	.test_cases = buddy_range_cases,
};
