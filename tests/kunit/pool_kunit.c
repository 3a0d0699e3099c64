// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_pool: the pool API refuses bad arguments and bad frees without
 * change, returns aligned smallest blocks, counts failures, spans chunks
 * without crossing them and works in hard IRQ context.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/irq_work.h>

#include "buddy_kunit.h"

static void pool_create_rejects_bad_arguments(struct kunit *test)
{
	static const char * const bad_names[] = {
		"", "has space", "a/b", "dot.ted", "x\n",
		"abcdefghijklmnopqrstuvwxyz012345",	/* 32 characters */
	};
	struct buddy_pool *pool;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_names); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    PTR_ERR(buddy_pool_create(bad_names[i], MB,
							      PAGE_SIZE)),
				    -EINVAL, "name \"%s\"", bad_names[i]);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create(NULL, MB, PAGE_SIZE)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("k", 0, PAGE_SIZE)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("k", MB, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("k", MB, 3000)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("k", MB, 8)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("k", MB + 1, 4096)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("k", SIZE_MAX, 4096)),
			-EINVAL);

	pool = make_pool(test, "abcdefghijklmnopqrstuvwxyz01234", MB, 4096);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(buddy_pool_create("abcdefghijklmnopqrstuvwxyz01234",
						  MB, 4096)), -EEXIST);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create("default", MB, 4096)),
			-EEXIST);
	check_pool(test, pool);
}

static void pool_alloc_returns_aligned_smallest_block(struct kunit *test)
{
	static const size_t sizes[] = { 1, 4096, 4097, 12288, 65536, MB };
	struct buddy_pool *pool = make_pool(test, "kunit_align", 4 * MB, 4096);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t want = max_t(size_t, 4096, roundup_pow_of_two(sizes[i]));
		u8 *p = buddy_alloc(pool, sizes[i], GFP_KERNEL | __GFP_ZERO);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p), want);
		KUNIT_EXPECT_EQ_MSG(test, virt_to_phys(p) % want, 0ULL,
				    "size %zu", sizes[i]);
		KUNIT_EXPECT_EQ(test, virt_to_phys(p + want - 1) -
				virt_to_phys(p), (phys_addr_t)want - 1);
		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, want));
		KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p + 4096), 0UL);
		memset(p, 0xaa, want);
		buddy_free(pool, p);
		check_pool(test, pool);
	}
	/* A recycled block comes back zeroed when asked. */
	{
		u8 *p = buddy_alloc(pool, 4096, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0x77, 4096);
		buddy_free(pool, p);
		p = buddy_alloc(pool, 4096, GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 4096));
		buddy_free(pool, p);
	}
	check_pool(test, pool);
}

static void pool_failed_allocs_return_null_and_count(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_fail", MB, 4096);
	struct buddy_stats st;
	void *whole;

	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, 0, __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, MB + 1, __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, SIZE_MAX, __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, SIZE_MAX - 4095,
					    __GFP_NOWARN));
	whole = buddy_alloc(pool, MB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, whole);
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, 1, __GFP_NOWARN));
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 5ULL);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, st.free, 0ULL);
	buddy_free(pool, whole);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, (u64)MB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[8], 1ULL);
	KUNIT_EXPECT_EQ(test, st.max_order, 8U);
	KUNIT_EXPECT_EQ(test, st.min_block, 4096U);
	check_pool(test, pool);
}

static void pool_refuses_bad_frees_without_change(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_badfree", MB, 4096);
	struct buddy_stats before, after;
	u8 *p, *q, *outside;

	outside = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, outside);
	p = buddy_alloc(pool, 16 * KB, GFP_KERNEL);
	q = buddy_alloc(pool, 4 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	buddy_free(pool, q);
	buddy_pool_stats(pool, &before);

	pr_info("BUDDY-EXPECT-WARN-BEGIN 1\n");
	buddy_free(pool, outside);
	buddy_free(pool, p + 4096);
	buddy_free(pool, p + 1);
	buddy_free(pool, q);
	pr_info("BUDDY-EXPECT-WARN-END\n");
	buddy_free(pool, NULL);

	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_bad_frees, before.nr_bad_frees + 4);
	after.nr_bad_frees = before.nr_bad_frees;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p), 16 * KB);
	check_pool(test, pool);
	buddy_free(pool, p);
	check_pool(test, pool);
}

static void pool_spans_chunks_without_crossing_them(struct kunit *test)
{
	size_t size = 16 * MB + 12 * KB, chunk = PAGE_SIZE << BUDDY_MAX_PAGE_ORDER;
	struct buddy_pool *pool = make_pool(test, "kunit_chunks", size, 4096);
	unsigned int i, n = 16 * MB / chunk;
	void *big[64], *small[2];
	struct buddy_stats st;

	KUNIT_ASSERT_LE(test, n, (unsigned int)ARRAY_SIZE(big));
	KUNIT_EXPECT_EQ(test, pool->nr_chunks, n + 1);
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, chunk + 1, __GFP_NOWARN));
	for (i = 0; i < n; i++) {
		big[i] = buddy_alloc(pool, chunk, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big[i]);
		KUNIT_EXPECT_EQ(test, virt_to_phys(big[i]) % chunk, 0ULL);
		memset(big[i], i, chunk);
	}
	small[0] = buddy_alloc(pool, 8 * KB, GFP_KERNEL);
	small[1] = buddy_alloc(pool, 4 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small[0]);
	KUNIT_ASSERT_NOT_NULL(test, small[1]);
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, 1, __GFP_NOWARN));
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 0ULL);
	check_pool(test, pool);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_NULL(test, memchr_inv(big[i], i, chunk));
		buddy_free(pool, big[i]);
	}
	buddy_free(pool, small[0]);
	buddy_free(pool, small[1]);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, (u64)size);
	KUNIT_EXPECT_EQ(test, st.free_blocks[st.max_order], (u64)n);
	check_pool(test, pool);
}

struct irq_ctx {
	struct irq_work work;
	struct completion done;
	struct buddy_pool *pool;
	bool in_hardirq;
	bool ok;
};

static void irq_alloc_free(struct irq_work *work)
{
	struct irq_ctx *c = container_of(work, struct irq_ctx, work);
	void *p = buddy_alloc(c->pool, 8192, GFP_ATOMIC | __GFP_ZERO);

	c->in_hardirq = in_hardirq();
	c->ok = p && buddy_block_size(c->pool, p) == 8192;
	buddy_free(c->pool, p);
	complete(&c->done);
}

static void pool_works_in_hard_irq_context(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_irq", MB, 4096);
	struct irq_ctx c = { .pool = pool };
	struct buddy_stats st;
	unsigned long flags;
	void *p;

	init_completion(&c.done);
	init_irq_work(&c.work, irq_alloc_free);
	irq_work_queue(&c.work);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&c.done, 10 * HZ),
			0UL);
	irq_work_sync(&c.work);
	KUNIT_EXPECT_TRUE(test, c.ok);
	kunit_info(test, "callback ran in hard IRQ: %d\n", c.in_hardirq);

	local_irq_save(flags);
	p = buddy_alloc(pool, 4096, GFP_ATOMIC);
	buddy_free(pool, p);
	local_irq_restore(flags);
	KUNIT_EXPECT_NOT_NULL(test, p);

	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, 2ULL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 2ULL);
	KUNIT_EXPECT_EQ(test, st.free, (u64)MB);
	check_pool(test, pool);
}

static void pool_default_is_loaded_and_named(struct kunit *test)
{
	struct buddy_pool *pool = buddy_default_pool();
	struct buddy_stats st;

	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_EXPECT_STREQ(test, pool->name, "default");
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_GT(test, st.size, 0ULL);
	KUNIT_EXPECT_EQ(test, st.size % st.min_block, 0ULL);
	check_pool(test, pool);
}

static void pool_parses_sizes_strictly(struct kunit *test)
{
	static const char * const bad[] = {
		"", "-1", "+4K", "4KK", "4 K", "0x10", "010", "4Q", "K",
		"99999999999999999999999", "17179869184G",
	};
	unsigned int i;
	u64 v;

	KUNIT_EXPECT_TRUE(test, buddy_parse_size("4096", &v));
	KUNIT_EXPECT_EQ(test, v, 4096ULL);
	KUNIT_EXPECT_TRUE(test, buddy_parse_size("16M", &v));
	KUNIT_EXPECT_EQ(test, v, 16ULL * MB);
	KUNIT_EXPECT_TRUE(test, buddy_parse_size("2g", &v));
	KUNIT_EXPECT_EQ(test, v, 2048ULL * MB);
	KUNIT_EXPECT_TRUE(test, buddy_parse_size("0", &v));
	KUNIT_EXPECT_EQ(test, v, 0ULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, buddy_parse_size(bad[i], &v),
				       "\"%s\"", bad[i]);
}

static struct kunit_case buddy_pool_cases[] = {
	KUNIT_CASE(pool_create_rejects_bad_arguments),
	KUNIT_CASE(pool_alloc_returns_aligned_smallest_block),
	KUNIT_CASE(pool_failed_allocs_return_null_and_count),
	KUNIT_CASE(pool_refuses_bad_frees_without_change),
	KUNIT_CASE(pool_spans_chunks_without_crossing_them),
	KUNIT_CASE(pool_works_in_hard_irq_context),
	KUNIT_CASE(pool_default_is_loaded_and_named),
	KUNIT_CASE(pool_parses_sizes_strictly),
	{}
};

struct kunit_suite buddy_pool_suite = {
	.name = "buddy_pool",
	.test_cases = buddy_pool_cases,
};
