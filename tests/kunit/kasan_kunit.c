// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_kasan: free pool memory is poisoned, every allocation path opens
 * only the bytes asked for, and bad frees leave the shadow alone.
 */
#include <linux/kasan.h>

#include "buddy_kunit.h"

/*
 * KASAN: the shadow of pool memory, read directly, so that no test makes
 * a report (which fails the run); the harness self-test makes the reports
 * with a misbehaving client.
 */
#ifdef CONFIG_KASAN_GENERIC
#define GRANULE		BIT(KASAN_SHADOW_SCALE_SHIFT)

static noinline __no_sanitize_address u8 shadow_at(const void *addr)
{
	return *(u8 *)kasan_mem_to_shadow(addr);
}

/*
 * Expect @len bytes at @p to be open for their first @open bytes, then
 * poisoned with @rest. Return the first granule that is not, or -1.
 */
static long shadow_mismatch(const u8 *p, size_t open, size_t len, u8 rest)
{
	size_t g;

	for (g = 0; g < len / GRANULE; g++) {
		size_t at = g * GRANULE;
		u8 want = at + GRANULE <= open ? 0 :
			  at < open ? open - at : rest;

		if (shadow_at(p + at) != want)
			return g;
	}
	return -1;
}

static void expect_shadow(struct kunit *test, const u8 *p, size_t open,
			  size_t len, u8 rest)
{
	KUNIT_EXPECT_EQ_MSG(test, shadow_mismatch(p, open, len, rest), -1L,
			    "shadow of %zu bytes, %zu open, rest %#x", len,
			    open, rest);
}

static void kasan_free_blocks_are_poisoned(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_kasan", MB, 64);
	u8 *p = buddy_alloc(pool, 100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	/* A 128-byte block: 100 bytes open, 4 of the 13th granule. */
	expect_shadow(test, p, 100, 128, 0xfe);
	/* The rest of the pool is free. */
	expect_shadow(test, p + 128, 0, 4096 - 128, 0xff);
	buddy_free(pool, p);
	expect_shadow(test, p, 0, 128, 0xff);
	check_pool(test, pool);
}

static void kasan_every_path_opens_only_the_request(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_kasan", MB, 64);
	u8 *p;

	/* Too big for a cache: straight from the core. */
	p = buddy_alloc(pool, 200 * KB + 3, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_shadow(test, p, 200 * KB + 3, 256 * KB, 0xfe);
	buddy_free(pool, p);
	expect_shadow(test, p, 0, 256 * KB, 0xff);

	/* Exact: the slack to min_block is closed, the tail is free. */
	p = buddy_alloc_exact(pool, 1100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_shadow(test, p, 1100, 1152, 0xfe);
	expect_shadow(test, p + 1152, 0, 2048 - 1152, 0xff);
	buddy_free_exact(pool, p, 1100);
	expect_shadow(test, p, 0, 2048, 0xff);

	p = buddy_alloc_range(pool, 100, 0, 512 * KB, 0, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, p), 512ULL * KB);
	expect_shadow(test, p, 100, 128, 0xfe);
	/* As ksize() did, asking for the size opens the whole block. */
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p), 128UL);
	expect_shadow(test, p, 128, 128, 0xfe);
	buddy_free(pool, p);
	expect_shadow(test, p, 0, 128, 0xff);
	check_pool(test, pool);
}

static void kasan_bad_frees_leave_shadow_alone(struct kunit *test)
{
	struct buddy_pool *pool = make_uncached(test, "kunit_kasan", MB, 64);
	u8 *p = buddy_alloc(pool, 64, GFP_KERNEL);
	u8 *q = buddy_alloc(pool, 128, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	buddy_free(pool, p);
	/* A double free and an interior free are refused... */
	pr_info("BUDDY-EXPECT-WARN-BEGIN 1\n");
	buddy_free(pool, p);
	buddy_free(pool, q + 64);
	pr_info("BUDDY-EXPECT-WARN-END\n");
	/* ...and touch no shadow: the free block stays closed, q open. */
	expect_shadow(test, p, 0, 64, 0xff);
	expect_shadow(test, q, 128, 128, 0xfe);
	buddy_free(pool, q);
	check_pool(test, pool);
}

static struct kunit_case buddy_kasan_cases[] = {
	KUNIT_CASE(kasan_free_blocks_are_poisoned),
	KUNIT_CASE(kasan_every_path_opens_only_the_request),
	KUNIT_CASE(kasan_bad_frees_leave_shadow_alone),
	{}
};
#else
static void kasan_not_built(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_KASAN_GENERIC");
}

static struct kunit_case buddy_kasan_cases[] = {
	KUNIT_CASE(kasan_not_built),
	{}
};
#endif

struct kunit_suite buddy_kasan_suite = {
	.name = "buddy_kasan",
	.test_cases = buddy_kasan_cases,
};
