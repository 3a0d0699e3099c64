// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for buddy.ko: the core inside the kernel, the pool API,
 * atomic-context use, multi-chunk pools, a concurrent stress test, the
 * debugfs files, the per-CPU caches, issue 8's calls (range and exact
 * allocations, offsets, pools that grow and shrink), and issue 11's
 * zeroing and KASAN poisoning. A separate module (CONFIG_BUDDY_KUNIT_TEST),
 * so buddy.ko carries no tests. KUnit runs a module's suites as it loads:
 * before its init on 6.1, after it on 6.12.
 *
 * The core suite drives cores of its own through buddy.ko's core, pools
 * are reached through buddy.ko's API, and both through a few KUnit-only
 * exports (EXPORT_SYMBOL_IF_KUNIT).
 *
 * Every scenario asserts the invariant checker before and after it runs.
 * Randomised tests take the module parameter seed, picked at random unless
 * given, and log it: `insmod buddy_kunit.ko seed=N` replays a run. What a
 * test makes (pools, cores) is released by KUnit actions when it ends,
 * even when an assertion ends it early.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/workqueue.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/irq_work.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../../buddy_compat.h"
#include "../../buddy_internal.h"
#include "buddy_kunit_compat.h"

#define KB	1024UL
#define MB	(1024UL * 1024)

static unsigned int seed;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the randomised tests; 0 (default) picks one, which each test logs");

/* The run's seed, picked on first use unless given; logged for replay. */
static u32 run_seed(struct kunit *test)
{
	while (!seed)
		seed = get_random_u32();
	kunit_info(test, "seed %u (insmod buddy_kunit.ko seed=%u replays)\n",
		   seed, seed);
	return seed;
}

/* check_core() - assert that a core's invariants hold, explaining if not */
static void check_core(struct kunit *test, const struct buddy_core *bc)
{
	char msg[160];

	if (buddy_core_check(bc, msg, sizeof(msg)))
		KUNIT_FAIL(test, "core invariant broken: %s", msg);
}

static void check_pool(struct kunit *test, struct buddy_pool *pool)
{
	char msg[160];

	if (buddy_pool_check(pool, msg, sizeof(msg)))
		KUNIT_FAIL(test, "pool %s invariant broken: %s", pool->name,
			   msg);
}

static void vfree_action(void *mem)
{
	vfree(mem);
}

/* A core over a vmalloc'ed range, freed when the test ends. */
struct core_fixture {
	struct buddy_core bc;
	unsigned char *mem;
	unsigned char *segs[1];
	void *meta;
};

static struct core_fixture *make_core(struct kunit *test, u64 size,
				      u64 min_block)
{
	struct core_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	size_t meta = buddy_core_meta_size(size, min_block);

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_GT(test, meta, (size_t)0);
	f->mem = vmalloc(size);
	KUNIT_ASSERT_NOT_NULL(test, f->mem);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vfree_action,
							f->mem), 0);
	f->meta = kunit_kzalloc(test, meta, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->meta);
	f->segs[0] = f->mem;
	KUNIT_ASSERT_EQ(test, buddy_core_init(&f->bc, size, min_block,
					      BUDDY_CORE_ONE_SEGMENT, f->segs,
					      f->meta, meta), 0);
	check_core(test, &f->bc);
	return f;
}

static void core_alloc_splits_to_exact_order(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 4 * MB, 4 * KB);
	unsigned int order;
	u64 off;

	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 10), 1ULL);
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 4 * KB, &off), 0);
	check_core(test, &f->bc);
	for (order = 0; order < 10; order++)
		KUNIT_EXPECT_EQ_MSG(test, buddy_core_nr_free(&f->bc, order),
				    1ULL, "order %u", order);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 10), 0ULL);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, off), 0);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 10), 1ULL);
}

static void core_takes_smallest_fitting_block(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 64 * KB, 4 * KB);
	u64 a, b, c;

	/* Leave free blocks of 4K, 8K, 16K and 32K. */
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 1, &a), 0);
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 5000, &b), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_block_order(&f->bc, b), 1);
	/* A 4K request must take the remaining 4K block, not split 16K. */
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 4 * KB, &c), 0);
	KUNIT_EXPECT_EQ(test, c, 4 * KB);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 2), 1ULL);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, a), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, b), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, c), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 4), 1ULL);
	check_core(test, &f->bc);
}

static void core_refuses_each_bad_free(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 3 * MB + 12 * KB, 4 * KB);
	u64 off, free_before, bad_before;

	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 16 * KB, &off), 0);
	free_before = buddy_core_free_bytes(&f->bc);
	bad_before = f->bc.nr_bad_frees;
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, 3 * MB + 12 * KB),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off + 4 * KB), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off + 16 * KB),
			-EALREADY);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), free_before);
	KUNIT_EXPECT_EQ(test, f->bc.nr_bad_frees, bad_before + 4);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off), -EALREADY);
	check_core(test, &f->bc);
}

static void core_recovers_from_stray_writes(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 1 * MB, 64);
	u64 offs[64], free_before;
	char msg[96];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 64, &offs[i]),
				0);
	for (i = 0; i < ARRAY_SIZE(offs); i += 2)
		KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]), 0);
	check_core(test, &f->bc);
	free_before = buddy_core_free_bytes(&f->bc);
	/* Use after free: scribble over freed blocks' first bytes. */
	memset(f->mem + offs[10], 0xff, 16);
	memset(f->mem + offs[20], 0, 16);
	KUNIT_EXPECT_NE(test, buddy_core_check(&f->bc, msg, sizeof(msg)), 0);
	for (i = 1; i < ARRAY_SIZE(offs); i += 2)
		KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]), 0);
	KUNIT_EXPECT_GT(test, f->bc.nr_corruptions, 0ULL);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), 1 * MB);
	KUNIT_EXPECT_GT(test, buddy_core_free_bytes(&f->bc), free_before);
}

/*
 * A stray write of "none" (0xffffffff) into the next link of a free block
 * that is not its list's head: the merge that unlinks it must catch it,
 * count it once and repair, so that check agrees with the counter.
 */
static void core_stray_nil_link_is_counted_on_merge(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 128, 16);
	u64 off;
	int i;

	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 16, &off), 0);
		KUNIT_ASSERT_EQ(test, off, (u64)i * 16);
	}
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 16), 0);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 48), 0);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 80), 0);
	check_core(test, &f->bc);
	memset(f->mem + 48, 0xff, 4);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 32), 0);
	KUNIT_EXPECT_EQ(test, f->bc.nr_corruptions, 1ULL);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), 64ULL);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 0), 2ULL);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 1), 1ULL);
}

/* Random alloc/free against a per-min-block ownership array. */
static void core_random_ops_match_naive_model(struct kunit *test)
{
	enum { NBLK = 256, OPS = 4000, LIVE = 64 };
	struct core_fixture *f = make_core(test, NBLK * 64, 64);
	struct rnd_state rnd;
	u64 offs[LIVE];
	u16 owner[NBLK];
	unsigned int i, j, op;
	u32 seed = run_seed(test);

	prandom_seed_state(&rnd, seed);
	memset(owner, 0, sizeof(owner));
	for (i = 0; i < LIVE; i++)
		offs[i] = U64_MAX;
	for (op = 0; op < OPS; op++) {
		i = prandom_u32_state(&rnd) % LIVE;
		if (offs[i] == U64_MAX) {
			u64 size = 1 + prandom_u32_state(&rnd) % (64 * 16);
			int order = buddy_core_order_for(&f->bc, size);
			u64 off, nb = 1ULL << order;
			bool room = false;

			/* The model: is any aligned run of nb blocks free? */
			for (j = 0; j < NBLK && !room; j += nb) {
				unsigned int k;

				room = true;
				for (k = j; k < j + nb; k++)
					room &= !owner[k];
			}
			if (buddy_core_alloc(&f->bc, size, &off)) {
				KUNIT_ASSERT_FALSE_MSG(test, room,
						       "seed %u op %u: alloc failed with room",
						       seed, op);
				continue;
			}
			KUNIT_ASSERT_EQ_MSG(test, off % (nb * 64), 0ULL,
					    "seed %u: misaligned", seed);
			for (j = off / 64; j < off / 64 + nb; j++) {
				KUNIT_ASSERT_EQ_MSG(test, owner[j], 0,
						    "seed %u op %u: overlap", seed,
						    op);
				owner[j] = i + 1;
			}
			offs[i] = off;
		} else {
			KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]),
					0);
			for (j = 0; j < NBLK; j++)
				if (owner[j] == i + 1)
					owner[j] = 0;
			offs[i] = U64_MAX;
		}
		check_core(test, &f->bc);
	}
	for (i = 0; i < LIVE; i++)
		if (offs[i] != U64_MAX)
			KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]),
					0);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), (u64)NBLK * 64);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 8), 1ULL);
	check_core(test, &f->bc);
}

static struct kunit_case buddy_core_cases[] = {
	KUNIT_CASE(core_alloc_splits_to_exact_order),
	KUNIT_CASE(core_takes_smallest_fitting_block),
	KUNIT_CASE(core_refuses_each_bad_free),
	KUNIT_CASE(core_recovers_from_stray_writes),
	KUNIT_CASE(core_stray_nil_link_is_counted_on_merge),
	KUNIT_CASE(core_random_ops_match_naive_model),
	{}
};

static struct kunit_suite buddy_core_suite = {
	.name = "buddy_core",
	.test_cases = buddy_core_cases,
};

static void destroy_pool_action(void *pool)
{
	buddy_pool_destroy(pool);
}

/* A pool made by a test is destroyed when the test ends, however it ends. */
static struct buddy_pool *keep_pool(struct kunit *test,
				    struct buddy_pool *pool)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							destroy_pool_action,
							pool), 0);
	check_pool(test, pool);
	return pool;
}

static struct buddy_pool *make_pool(struct kunit *test, const char *name,
				    size_t size, size_t min_block)
{
	return keep_pool(test, buddy_pool_create(name, size, min_block));
}

static struct buddy_pool *make_pool_max(struct kunit *test, const char *name,
					size_t size, size_t max_size,
					size_t min_block)
{
	return keep_pool(test, buddy_pool_create_max(name, size, max_size,
						     min_block));
}

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

static struct kunit_suite buddy_pool_suite = {
	.name = "buddy_pool",
	.test_cases = buddy_pool_cases,
};

#define STRESS_THREADS	4
#define STRESS_OPS	4000
#define STRESS_SLOTS	32

struct stress_ctx {
	struct buddy_pool *pool;
	struct completion done;
	u32 seed;
	unsigned int id;
	unsigned long allocs, corrupt;
};

static int stress_thread(void *arg)
{
	struct stress_ctx *c = arg;
	void *slot[STRESS_SLOTS] = {};
	size_t len[STRESS_SLOTS] = {};
	struct rnd_state rnd;
	unsigned int op, i;

	prandom_seed_state(&rnd, c->seed);
	for (op = 0; op < STRESS_OPS; op++) {
		u8 tag = (u8)(c->id * 64 + op);

		i = prandom_u32_state(&rnd) % STRESS_SLOTS;
		if (slot[i]) {
			u8 want = *(u8 *)slot[i];

			if (memchr_inv(slot[i], want, len[i]))
				c->corrupt++;
			buddy_free(c->pool, slot[i]);
			slot[i] = NULL;
			continue;
		}
		len[i] = 1 + prandom_u32_state(&rnd) % (32 * KB);
		slot[i] = buddy_alloc(c->pool, len[i], GFP_KERNEL | __GFP_NOWARN);
		if (!slot[i])
			continue;
		c->allocs++;
		memset(slot[i], tag, len[i]);
		if (op % 256 == 0)
			cond_resched();
	}
	for (i = 0; i < STRESS_SLOTS; i++) {
		if (slot[i] && memchr_inv(slot[i], *(u8 *)slot[i], len[i]))
			c->corrupt++;
		buddy_free(c->pool, slot[i]);
	}
	complete(&c->done);
	return 0;
}

static void stress_threads_keep_patterns_and_return_all(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_stress", 4 * MB, 4096);
	struct stress_ctx ctx[STRESS_THREADS];
	u32 seed = run_seed(test);
	struct buddy_stats st;
	unsigned int i;

	for (i = 0; i < STRESS_THREADS; i++) {
		struct task_struct *t;

		ctx[i] = (struct stress_ctx){ .pool = pool, .id = i,
					      .seed = seed + i };
		init_completion(&ctx[i].done);
		t = kthread_run(stress_thread, &ctx[i], "buddy_stress/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		wait_for_completion(&ctx[i].done);
		KUNIT_EXPECT_EQ_MSG(test, ctx[i].corrupt, 0UL, "thread %u", i);
		KUNIT_EXPECT_GT(test, ctx[i].allocs, 0UL);
	}
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, st.nr_frees);
	KUNIT_EXPECT_EQ(test, st.nr_bad_frees, 0ULL);
	check_pool(test, pool);
	/* Drained, every block merges back into the one root. */
	buddy_pool_drain(pool);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[st.max_order], 1ULL);
	check_pool(test, pool);
}

static struct kunit_case buddy_stress_cases[] = {
	KUNIT_CASE(stress_threads_keep_patterns_and_return_all),
	{}
};

static struct kunit_suite buddy_stress_suite = {
	.name = "buddy_stress",
	.test_cases = buddy_stress_cases,
};

/* The text a pool's debugfs file would show, in a kunit-managed buffer. */
static char *read_file(struct kunit *test, struct buddy_pool *pool,
		       const char *name)
{
	char *buf = kunit_kzalloc(test, 16384, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, buddy_debugfs_render(pool, name, buf, 16384), 0);
	return buf;
}

static int write_ctl(struct kunit *test, struct buddy_pool *pool,
		     const char *s, size_t len)
{
	return buddy_debugfs_ctl(pool, s, len);
}

static void debugfs_free_lists_follow_ctl(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_dfs", 64 * KB, 4096);
	char *txt;

	txt = read_file(test, pool, "free_lists");
	KUNIT_EXPECT_STREQ(test, txt,
			   "# order block_size free_blocks cached_blocks free_bytes\n"
			   "0 4096 0 0 0\n1 8192 0 0 0\n2 16384 0 0 0\n"
			   "3 32768 0 0 0\n4 65536 1 0 65536\n");
	KUNIT_ASSERT_EQ(test, write_ctl(test, pool, "alloc 4K\n", 9), 0);
	KUNIT_ASSERT_EQ(test, write_ctl(test, pool, "alloc 8192", 10), 0);
	txt = read_file(test, pool, "free_lists");
	KUNIT_EXPECT_STREQ(test, txt,
			   "# order block_size free_blocks cached_blocks free_bytes\n"
			   "0 4096 1 0 4096\n1 8192 0 0 0\n2 16384 1 0 16384\n"
			   "3 32768 1 0 32768\n4 65536 0 0 0\n");
	txt = read_file(test, pool, "ctl");
	KUNIT_EXPECT_STREQ(test, txt, "1 0 4096\n2 8192 8192\n");
	txt = read_file(test, pool, "map");
	KUNIT_EXPECT_STREQ(test, txt,
			   "# cell = 4096 bytes, 64 cells a line; '.' free, '#' allocated, '+' partly allocated\n"
			   "0x00000000 #.##............\n");
	txt = read_file(test, pool, "fragmentation");
	/* 13 free pages in blocks of 1, 4 and 8 pages. */
	KUNIT_EXPECT_STREQ(test, txt,
			   "# order unusable_index extfrag_index\n"
			   "0 0.000 -1.000\n1 0.076 -1.000\n2 0.076 -1.000\n"
			   "3 0.384 -1.000\n4 1.000 0.396\n");
	txt = read_file(test, pool, "check");
	KUNIT_EXPECT_STREQ(test, txt, "ok\n");
	KUNIT_ASSERT_EQ(test, write_ctl(test, pool, "free 1", 6), 0);
	KUNIT_ASSERT_EQ(test, write_ctl(test, pool, "free 2\n", 7), 0);
	txt = read_file(test, pool, "ctl");
	KUNIT_EXPECT_STREQ(test, txt, "");
	txt = read_file(test, pool, "map");
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "0x00000000 ................\n"));
	check_pool(test, pool);
}

static void debugfs_ctl_refuses_malformed_input(struct kunit *test)
{
	static const char * const bad[] = {
		"\n", "alloc", "alloc ", "alloc -4K", "alloc 0", "alloc 4X",
		"alloc 4K junk", "alloc  4K", "alloc 128K", "alloc 0x10",
		"alloc 99999999999999999999999", "free", "free 1", "free -1",
		"free x", "frees 1", "ALLOC 4K", "alloc 4K\n\n", "alloc\t4K",
		"alloc 4K\0 free 1",
	};
	struct buddy_pool *pool = make_pool(test, "kunit_ctl", 64 * KB, 4096);
	struct buddy_stats before, after;
	char *lists;
	unsigned int i;

	lists = read_file(test, pool, "free_lists");
	buddy_pool_stats(pool, &before);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t len = i == ARRAY_SIZE(bad) - 1 ? 16 : strlen(bad[i]);

		KUNIT_EXPECT_EQ_MSG(test, write_ctl(test, pool, bad[i],
						    len), -EINVAL,
				    "input \"%s\"", bad[i]);
	}
	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "free_lists"),
			   lists);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "ctl"), "");
	/* A full pool is -ENOMEM, and a valid free after it still works. */
	KUNIT_EXPECT_EQ(test, write_ctl(test, pool, "alloc 64K", 9), 0);
	KUNIT_EXPECT_EQ(test, write_ctl(test, pool, "alloc 4K", 8),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, write_ctl(test, pool, "free 1", 6), 0);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "check"), "ok\n");
	check_pool(test, pool);
}

static void debugfs_stats_add_up(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_stats", MB, 4096);
	void *p = buddy_alloc(pool, 12 * KB, GFP_KERNEL);
	char *txt;

	KUNIT_ASSERT_NOT_NULL(test, p);
	txt = read_file(test, pool, "stats");
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "size: 1048576\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "free: 1032192\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "allocated: 16384\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "largest_free_block: 524288\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "allocs: 1\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "chunks: 1\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "corruptions: 0\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "cached: 0\n"));
	buddy_free(pool, p);
	check_pool(test, pool);
}

static void debugfs_map_marks_partial_cells(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_map", 8 * MB, 64);
	char *txt, *line;

	KUNIT_ASSERT_EQ(test, write_ctl(test, pool, "alloc 64", 8), 0);
	KUNIT_ASSERT_EQ(test, write_ctl(test, pool, "alloc 4K", 8), 0);
	txt = read_file(test, pool, "map");
	/* 8 MiB in at most 4096 cells: 2 KiB cells, 64 lines. */
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "# cell = 2048 bytes,"));
	line = strstr(txt, "\n0x00000000 ");
	KUNIT_ASSERT_NOT_NULL(test, line);
	KUNIT_EXPECT_EQ(test, strncmp(line + 12, "+.##....", 8), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(txt, "\n0x007e0000 "));
	KUNIT_EXPECT_NULL(test, strstr(txt, "\n0x00800000 "));
	check_pool(test, pool);
}

static bool pool_dir_exists(const char *name)
{
	struct dentry *root = debugfs_lookup("buddy", NULL), *d = NULL;
	bool found;

	if (root) {
		d = debugfs_lookup(name, root);
		dput(root);
	}
	found = d;
	dput(d);
	return found;
}

static void debugfs_dir_follows_pool_lifetime(struct kunit *test)
{
	struct buddy_pool *pool;

	if (!pool_dir_exists("default"))
		kunit_skip(test, "debugfs is not available");
	KUNIT_EXPECT_FALSE(test, pool_dir_exists("kunit_life"));
	pool = buddy_pool_create("kunit_life", MB, 4096);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_EXPECT_TRUE(test, pool_dir_exists("kunit_life"));
	/* A live ctl block is freed with the pool; KASAN and kmemleak watch. */
	KUNIT_EXPECT_EQ(test, write_ctl(test, pool, "alloc 8K", 8), 0);
	buddy_pool_destroy(pool);
	KUNIT_EXPECT_FALSE(test, pool_dir_exists("kunit_life"));
	/* The name is free again. */
	pool = make_pool(test, "kunit_life", MB, 4096);
	KUNIT_EXPECT_TRUE(test, pool_dir_exists("kunit_life"));
}

/* The first online CPU other than @cpu, or nr_cpu_ids. */
static unsigned int other_cpu(unsigned int cpu)
{
	unsigned int other;

	for_each_online_cpu(other) {
		if (other != cpu)
			return other;
	}
	return nr_cpu_ids;
}

/* A worker thread on a pool: told to stop, counts its work, says when done. */
struct flip_ctx {
	struct buddy_pool *pool;
	atomic_t stop;
	unsigned long pairs;
	struct completion done;
};

/* Exact allocations (the core, under the lock) and cached ones, in turn. */
static int churn_worker(void *arg)
{
	struct flip_ctx *c = arg;
	void *p, *q;

	while (!atomic_read(&c->stop)) {
		p = buddy_alloc_exact(c->pool, 3 * 4096, __GFP_NOWARN);
		q = buddy_alloc(c->pool, 64, __GFP_NOWARN);
		buddy_free_exact(c->pool, p, 3 * 4096);
		buddy_free(c->pool, q);
		c->pairs += 2;
		cond_resched();
	}
	complete(&c->done);
	return 0;
}

/*
 * check on a pool of 2^22 min blocks (64 MiB of 16-byte blocks) runs in
 * steps: many short holds of the pool lock, none more than a small part
 * of the whole check; buddy_pool_check() takes it in one. While another
 * CPU allocates and frees, it answers ok or busy, never a false violation.
 */
static void debugfs_check_holds_the_lock_briefly(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_check_big", 64 * MB,
					    16);
	char *buf = kunit_kzalloc(test, 256, GFP_KERNEL);
	struct flip_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int cpu = raw_smp_processor_id(), i;
	u64 t0, bounded, whole;
	struct task_struct *t;
	void *blk[48];

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(blk); i++) {
		blk[i] = buddy_alloc(pool, 16UL << (i % 16), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
	}
	/*
	 * The longest hold under a quarter of the whole, and not less: the
	 * host may stall a vCPU inside a hold, so it gets a second chance.
	 */
	for (i = 0; i < 2; i++) {
		t0 = ktime_get_ns();
		KUNIT_ASSERT_EQ(test,
				buddy_debugfs_render(pool, "check", buf, 256), 0);
		bounded = ktime_get_ns() - t0;
		KUNIT_EXPECT_STREQ(test, buf, "ok\n");
		if (pool->check_longest_ns * 4 < bounded)
			break;
	}
	KUNIT_EXPECT_GE(test, pool->check_holds, 64U);
	KUNIT_EXPECT_LT(test, pool->check_longest_ns * 4, bounded);
	kunit_info(test, "check: %llu ms in %u holds, longest %llu us\n",
		   bounded / NSEC_PER_MSEC, pool->check_holds,
		   pool->check_longest_ns / NSEC_PER_USEC);
	t0 = ktime_get_ns();
	KUNIT_EXPECT_EQ(test, buddy_pool_check(pool, buf, 256), 0);
	whole = ktime_get_ns() - t0;
	KUNIT_EXPECT_EQ(test, pool->check_holds, 1U);
	kunit_info(test, "buddy_pool_check: one hold of %llu ms\n",
		   whole / NSEC_PER_MSEC);

	if (other_cpu(cpu) < nr_cpu_ids) {
		c->pool = pool;
		init_completion(&c->done);
		t = kthread_create(churn_worker, c, "buddy_churn");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		kthread_bind(t, other_cpu(cpu));
		wake_up_process(t);
		for (i = 0; i < 2; i++) {
			KUNIT_EXPECT_EQ(test, buddy_debugfs_render(pool, "check",
								   buf, 256), 0);
			KUNIT_EXPECT_TRUE_MSG(test, !strcmp(buf, "ok\n") ||
					      !strncmp(buf, "busy", 4),
					      "check said %s", buf);
		}
		atomic_set(&c->stop, 1);
		wait_for_completion(&c->done);
		KUNIT_EXPECT_GT(test, c->pairs, 0UL);
	}
	for (i = 0; i < ARRAY_SIZE(blk); i++)
		buddy_free(pool, blk[i]);
	check_pool(test, pool);
}

static struct kunit_case buddy_debugfs_cases[] = {
	KUNIT_CASE(debugfs_map_marks_partial_cells),
	KUNIT_CASE(debugfs_dir_follows_pool_lifetime),
	KUNIT_CASE(debugfs_free_lists_follow_ctl),
	KUNIT_CASE(debugfs_ctl_refuses_malformed_input),
	KUNIT_CASE(debugfs_stats_add_up),
	KUNIT_CASE_SLOW(debugfs_check_holds_the_lock_briefly),
	{}
};

static struct kunit_suite buddy_debugfs_suite = {
	.name = "buddy_debugfs",
	.test_cases = buddy_debugfs_cases,
};

/*
 * The per-CPU caches. Scenarios that need a block on a given CPU run
 * there through work_on_cpu(); "the other CPU" is the first online CPU
 * that is not the one the test started on, and tests that need two CPUs
 * skip on one.
 */
struct on_cpu {
	struct buddy_pool *pool;
	void *blk[32];
	unsigned int nr;
	size_t size;
	struct irq_work work;
	struct completion done;
	void *got;
	bool in_hardirq;
};

static long alloc_on_cpu(void *arg)
{
	struct on_cpu *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		c->blk[i] = buddy_alloc(c->pool, c->size, GFP_KERNEL);
	return 0;
}

static long free_on_cpu(void *arg)
{
	struct on_cpu *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		buddy_free(c->pool, c->blk[i]);
	return 0;
}

static void irq_alloc(struct irq_work *work)
{
	struct on_cpu *c = container_of(work, struct on_cpu, work);

	c->in_hardirq = in_hardirq();
	c->got = buddy_alloc(c->pool, c->size, GFP_ATOMIC);
	complete(&c->done);
}

/* Allocate c->size in hard IRQ context on the CPU this runs on. */
static long alloc_in_irq_on_cpu(void *arg)
{
	struct on_cpu *c = arg;

	init_completion(&c->done);
	init_irq_work(&c->work, irq_alloc);
	irq_work_queue(&c->work);
	wait_for_completion(&c->done);
	irq_work_sync(&c->work);
	return 0;
}

static u64 total_cached(struct buddy_pool *pool, unsigned int order)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_possible_cpu(cpu)
		n += buddy_pool_cpu_cached(pool, cpu, order);
	return n;
}

static void pcp_repeat_pairs_touch_only_the_cache(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp", 16 * MB, 4096);
	unsigned int cpu = raw_smp_processor_id(), i;
	struct on_cpu c = { .pool = pool, .size = 4096, .nr = 1 };
	struct buddy_stats st;
	u64 core_allocs;

	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 4), 0);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.blk[0]);
	/* One batch came from the core; the client got one block of it. */
	KUNIT_EXPECT_EQ(test, buddy_pool_cpu_cached(pool, cpu, 0), 3U);
	KUNIT_EXPECT_EQ(test, pool->core.nr_allocs, 4ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached_blocks[0], 3ULL);
	KUNIT_EXPECT_EQ(test, st.cached, 3ULL * 4096);
	KUNIT_EXPECT_EQ(test, st.free, 16ULL * MB - 4096);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, c.blk[0]), 4096UL);
	check_pool(test, pool);

	core_allocs = pool->core.nr_allocs;
	for (i = 0; i < 100; i++) {
		work_on_cpu(cpu, free_on_cpu, &c);
		work_on_cpu(cpu, alloc_on_cpu, &c);
		KUNIT_ASSERT_NOT_NULL(test, c.blk[0]);
	}
	KUNIT_EXPECT_EQ(test, pool->core.nr_allocs, core_allocs);
	KUNIT_EXPECT_EQ(test, pool->core.nr_frees, 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, 101ULL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 100ULL);

	/* Freeing past the high mark gives a batch back to the core. */
	work_on_cpu(cpu, free_on_cpu, &c);
	c.nr = 12;
	work_on_cpu(cpu, alloc_on_cpu, &c);
	for (i = 0; i < 12; i++)
		KUNIT_ASSERT_NOT_NULL(test, c.blk[i]);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_EXPECT_EQ(test, buddy_pool_cpu_cached(pool, cpu, 0), 8U);
	KUNIT_EXPECT_EQ(test, pool->core.nr_frees, 4ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 16ULL * MB);
	check_pool(test, pool);
}

static void pcp_stats_are_exact_with_blocks_on_several_cpus(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_st", 4 * MB, 4096);
	unsigned int cpu = raw_smp_processor_id(), other = other_cpu(cpu);
	struct on_cpu a = { .pool = pool, .size = 8192, .nr = 12 };
	struct on_cpu b = { .pool = pool };
	struct buddy_stats st;
	char *txt, *line;
	u64 sum = 0;
	unsigned int i;

	if (other >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 1, 16, 4), 0);
	work_on_cpu(cpu, alloc_on_cpu, &a);
	for (i = 0; i < 12; i++)
		KUNIT_ASSERT_NOT_NULL(test, a.blk[i]);
	/* Five go back on this CPU, seven on the other. */
	a.nr = 5;
	work_on_cpu(cpu, free_on_cpu, &a);
	b.nr = 7;
	memcpy(b.blk, a.blk + 5, 7 * sizeof(void *));
	work_on_cpu(other, free_on_cpu, &b);

	KUNIT_EXPECT_EQ(test, buddy_pool_cpu_cached(pool, other, 1), 7U);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached_blocks[1],
			(u64)buddy_pool_cpu_cached(pool, cpu, 1) + 7);
	KUNIT_EXPECT_EQ(test, st.cached, st.cached_blocks[1] * 8192);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, 12ULL);
	KUNIT_EXPECT_EQ(test, st.nr_frees, 12ULL);
	/* free_lists adds the cached blocks in, to the byte. */
	txt = read_file(test, pool, "free_lists");
	for (line = txt; (line = strchr(line, '\n')) && line[1]; ) {
		unsigned long long bs, nr, cached, bytes;
		unsigned int order;
		int fields;

		line++;
		fields = sscanf(line, "%u %llu %llu %llu %llu", &order, &bs, &nr,
				&cached, &bytes);
		KUNIT_ASSERT_EQ(test, fields, 5);
		KUNIT_EXPECT_EQ(test, bytes, (nr + cached) * bs);
		if (order < BUDDY_PCP_ORDERS)
			KUNIT_EXPECT_EQ(test, cached, st.cached_blocks[order]);
		sum += bytes;
	}
	KUNIT_EXPECT_EQ(test, sum, 4ULL * MB);
	check_pool(test, pool);

	/* Drained, the pool is one free root again. */
	KUNIT_EXPECT_EQ(test, buddy_debugfs_cache(pool, "drain\n", 6), 0);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[st.max_order], 1ULL);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 1), 0ULL);
	check_pool(test, pool);
}

static void pcp_failure_only_a_drain_can_satisfy(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_dr", 64 * KB, 4096);
	unsigned int cpu = raw_smp_processor_id(), other = other_cpu(cpu);
	struct on_cpu fill = { .pool = pool, .size = 4096, .nr = 16 };
	struct on_cpu irq = { .pool = pool, .size = 64 * KB };
	struct buddy_stats st;
	unsigned int i;
	void *whole;

	if (other >= nr_cpu_ids)
		other = cpu;
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 16, 16), 0);
	/* The whole pool ends up in the other CPU's cache. */
	work_on_cpu(other, alloc_on_cpu, &fill);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_NOT_NULL(test, fill.blk[i]);
	work_on_cpu(other, free_on_cpu, &fill);
	KUNIT_EXPECT_EQ(test, buddy_pool_cpu_cached(pool, other, 0), 16U);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free_blocks[0] + st.free_blocks[4], 0ULL);
	KUNIT_EXPECT_EQ(test, st.free, 64ULL * KB);
	check_pool(test, pool);

	/* From hard IRQ on this CPU, 64 KiB needs every cached block. */
	work_on_cpu(cpu, alloc_in_irq_on_cpu, &irq);
	KUNIT_EXPECT_TRUE(test, irq.in_hardirq);
	KUNIT_ASSERT_NOT_NULL(test, irq.got);
	whole = irq.got;
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, whole), 64 * KB);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free, 0ULL);
	check_pool(test, pool);

	/* Now the pool is really full: that failure is counted once. */
	irq.size = 4096;
	work_on_cpu(cpu, alloc_in_irq_on_cpu, &irq);
	KUNIT_EXPECT_NULL(test, irq.got);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.nr_failed, 1ULL);
	buddy_free(pool, whole);
	check_pool(test, pool);
}

static void pcp_double_free_of_cached_block_is_refused(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_df", MB, 4096);
	unsigned int cpu = raw_smp_processor_id(), other = other_cpu(cpu);
	struct on_cpu c = { .pool = pool, .size = 8192, .nr = 2 };
	struct buddy_stats *before, *after;

	/* Off the stack, which the work_on_cpu() calls need. */
	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	if (other >= nr_cpu_ids)
		other = cpu;
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 1, 8, 2), 0);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.blk[0]);
	KUNIT_ASSERT_NOT_NULL(test, c.blk[1]);
	/* One block sits in this CPU's cache, one in the other's. */
	c.nr = 1;
	work_on_cpu(cpu, free_on_cpu, &c);
	c.blk[0] = c.blk[1];
	work_on_cpu(other, free_on_cpu, &c);
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, c.blk[0]), 0UL);
	buddy_pool_stats(pool, before);
	KUNIT_EXPECT_EQ(test, before->cached_blocks[1], 2ULL);

	pr_info("BUDDY-EXPECT-WARN-BEGIN 1\n");
	work_on_cpu(cpu, free_on_cpu, &c);	/* cached on the other CPU */
	work_on_cpu(other, free_on_cpu, &c);	/* cached right here */
	buddy_free(pool, (u8 *)c.blk[0] + 4096);	/* inside a cached block */
	pr_info("BUDDY-EXPECT-WARN-END\n");

	buddy_pool_stats(pool, after);
	KUNIT_EXPECT_EQ(test, after->nr_bad_frees, before->nr_bad_frees + 3);
	after->nr_bad_frees = before->nr_bad_frees;
	KUNIT_EXPECT_EQ(test, memcmp(before, after, sizeof(*before)), 0);
	check_pool(test, pool);
}

static int flip_worker(void *arg)
{
	struct flip_ctx *c = arg;
	void *blk[16] = {};
	unsigned int i = 0;

	while (!atomic_read(&c->stop)) {
		size_t size = 4096 << (i % 3);

		buddy_free(c->pool, blk[i % 16]);
		blk[i % 16] = buddy_alloc(c->pool, size, __GFP_NOWARN);
		if (blk[i % 16])
			memset(blk[i % 16], i, size);
		c->pairs++;
		if (++i % 64 == 0)
			cond_resched();
	}
	for (i = 0; i < 16; i++)
		buddy_free(c->pool, blk[i]);
	complete(&c->done);
	return 0;
}

static void pcp_cpu_offline_drains_during_stress(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_hp", 4 * MB, 4096);
	struct flip_ctx ctx[2];
	unsigned int i, round, victim = nr_cpu_ids, cpu, order;
	struct buddy_stats st;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU))
		kunit_skip(test, "needs CONFIG_HOTPLUG_CPU");
	for_each_online_cpu(cpu) {
		if (cpu)
			victim = cpu;
	}
	if (victim >= nr_cpu_ids)
		kunit_skip(test, "needs an online CPU other than CPU 0");
	for (order = 0; order < 3; order++)
		KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, order, 16, 4), 0);
	for (i = 0; i < 2; i++) {
		struct task_struct *t;

		ctx[i] = (struct flip_ctx){ .pool = pool };
		init_completion(&ctx[i].done);
		t = kthread_run(flip_worker, &ctx[i], "buddy_flip/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	for (round = 0; round < 3; round++) {
		msleep(50);
		KUNIT_EXPECT_EQ(test, remove_cpu(victim), 0);
		for (order = 0; order < BUDDY_PCP_ORDERS; order++)
			KUNIT_EXPECT_EQ_MSG(test,
					    buddy_pool_cpu_cached(pool, victim, order),
					    0U, "order %u after offline", order);
		check_pool(test, pool);
		msleep(50);
		KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	}
	for (i = 0; i < 2; i++)
		atomic_set(&ctx[i].stop, 1);
	for (i = 0; i < 2; i++) {
		wait_for_completion(&ctx[i].done);
		KUNIT_EXPECT_GT(test, ctx[i].pairs, 0UL);
	}
	kunit_info(test, "pairs %lu + %lu around 3 offlines of CPU %u\n",
		   ctx[0].pairs, ctx[1].pairs, victim);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, st.nr_frees);
	check_pool(test, pool);
}

/*
 * A thread frees and allocates blocks of one order on one CPU while a
 * second CPU keeps interrupting it with IPIs whose handler does the same
 * in hard IRQ, so that now and then the interrupt pushes a block into the
 * cache in the middle of the thread's own push. The soak found the bug
 * this guards against: the thread wrote its slot before it knew the depth
 * was still current, so the interrupt's block was overwritten (lost for
 * good) and the thread's block was cached twice (handed out twice).
 */
struct nest_ctx {
	struct buddy_pool *pool;
	call_single_data_t csd;
	void *irq_blk[4];
	unsigned long irq_allocs, irq_frees, pairs, sent;
	atomic_long_t handled;
	unsigned int cpu;
	atomic_t stop;
	struct completion done[2];
};

/*
 * Every other call frees (one push) or allocates (one pop): a handler that
 * did both would pop the block it had just pushed and leave no trace.
 */
static void nest_irq(void *arg)
{
	struct nest_ctx *c = arg;
	unsigned int i = c->irq_allocs % ARRAY_SIZE(c->irq_blk);

	if (c->irq_blk[i]) {
		buddy_free(c->pool, c->irq_blk[i]);
		c->irq_blk[i] = NULL;
		c->irq_frees++;
	} else {
		c->irq_blk[i] = buddy_alloc(c->pool, 4096,
					    GFP_ATOMIC | __GFP_NOWARN);
		c->irq_allocs++;
	}
	/* The last touch of @c: the sender waits for it (see below). */
	atomic_long_inc_return_release(&c->handled);
}

static int nest_worker(void *arg)
{
	struct nest_ctx *c = arg;
	void *blk[8] = {};
	unsigned int i;

	while (!atomic_read(&c->stop)) {
		for (i = 0; i < ARRAY_SIZE(blk); i++)
			blk[i] = buddy_alloc(c->pool, 4096, __GFP_NOWARN);
		for (i = 0; i < ARRAY_SIZE(blk); i++)
			buddy_free(c->pool, blk[i]);
		c->pairs += ARRAY_SIZE(blk);
		cond_resched();
	}
	complete(&c->done[0]);
	return 0;
}

/* From another CPU: interrupt the worker's CPU as often as it can be. */
static int nest_sender(void *arg)
{
	struct nest_ctx *c = arg;

	while (!atomic_read(&c->stop)) {
		/* -EBUSY while the last one is still pending */
		if (!smp_call_function_single_async(c->cpu, &c->csd))
			c->sent++;
		cpu_relax();
		if (!(c->sent % 256))
			cond_resched();
	}
	/*
	 * An async call's csd is free again before its function runs, so
	 * wait for the handler itself to be done with @c, every call of it.
	 */
	while (atomic_long_read_acquire(&c->handled) != c->sent)
		cpu_relax();
	complete(&c->done[1]);
	return 0;
}

static void pcp_irq_push_inside_a_push_loses_nothing(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_nest", 4 * MB,
					    4096);
	struct nest_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int cpu = raw_smp_processor_id(), other = other_cpu(cpu), i;
	struct task_struct *t[2];
	struct buddy_stats st;

	if (other >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 64, 16), 0);
	c->pool = pool;
	c->cpu = cpu;
	INIT_CSD(&c->csd, nest_irq, c);
	init_completion(&c->done[0]);
	init_completion(&c->done[1]);
	t[0] = kthread_create(nest_worker, c, "buddy_nest");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t[0]));
	t[1] = kthread_create(nest_sender, c, "buddy_nest_ipi");
	if (IS_ERR(t[1]))
		kthread_stop(t[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t[1]));
	kthread_bind(t[0], cpu);
	kthread_bind(t[1], other);
	wake_up_process(t[0]);
	wake_up_process(t[1]);
	msleep(3000);
	atomic_set(&c->stop, 1);
	wait_for_completion(&c->done[0]);
	wait_for_completion(&c->done[1]);
	for (i = 0; i < ARRAY_SIZE(c->irq_blk); i++)
		buddy_free(pool, c->irq_blk[i]);
	kunit_info(test, "CPU %u: %lu thread pairs; %lu IPIs from CPU %u, %lu IRQ frees\n",
		   cpu, c->pairs, c->sent, other, c->irq_frees);
	KUNIT_EXPECT_GT(test, c->pairs, 0UL);
	KUNIT_EXPECT_GT(test, c->irq_frees, 0UL);
	check_pool(test, pool);
	buddy_pool_drain(pool);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.nr_allocs, st.nr_frees);
	check_pool(test, pool);
}

static void pcp_tuning_refuses_bad_values(struct kunit *test)
{
	static const char * const bad[] = {
		"", "\n", "drain\n\n", "drainx", "0", "0 4", "0 4 1 1",
		"0 4 0", "0 4 5", "0 65 4", "6 8 2", "-1 8 2", "0 8 2x",
		" 0 8 2", "0x1 8 2",
	};
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_tn", MB, 4096);
	struct on_cpu c = { .pool = pool, .size = 4096, .nr = 1 };
	unsigned int cpu = raw_smp_processor_id(), i;
	const char *head = "# order high batch cached_per_cpu...\n0 8 2 ";
	char *before;

	KUNIT_EXPECT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 9), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_pool_set_cache(pool, 0, 65, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_pool_set_cache(pool, BUDDY_PCP_ORDERS, 8, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_pool_set_cache(NULL, 0, 8, 2), -EINVAL);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_EXPECT_EQ(test, buddy_pool_cpu_cached(pool, cpu, 0), 2U);
	before = read_file(test, pool, "cache");
	KUNIT_EXPECT_EQ(test, strncmp(before, head, strlen(head)), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, buddy_debugfs_cache(pool, bad[i],
							      strlen(bad[i])),
				    -EINVAL, "input \"%s\"", bad[i]);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "cache"), before);

	/* High 0: that order is no longer cached, and its cache is empty. */
	KUNIT_EXPECT_EQ(test, buddy_debugfs_cache(pool, "0 0 0\n", 6), 0);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, buddy_debugfs_cache(pool, "0 4 1", 5), 0);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "check"), "ok\n");
	check_pool(test, pool);
}

static struct kunit_case buddy_pcp_cases[] = {
	KUNIT_CASE(pcp_repeat_pairs_touch_only_the_cache),
	KUNIT_CASE(pcp_stats_are_exact_with_blocks_on_several_cpus),
	KUNIT_CASE(pcp_failure_only_a_drain_can_satisfy),
	KUNIT_CASE(pcp_double_free_of_cached_block_is_refused),
	KUNIT_CASE(pcp_cpu_offline_drains_during_stress),
	KUNIT_CASE_SLOW(pcp_irq_push_inside_a_push_loses_nothing),
	KUNIT_CASE(pcp_tuning_refuses_bad_values),
	{}
};

static struct kunit_suite buddy_pcp_suite = {
	.name = "buddy_pcp",
	.test_cases = buddy_pcp_cases,
};

/*
 * Issue 8: buddy_alloc_range(), buddy_alloc_exact(), offsets and addresses,
 * and pools that grow and shrink. Chunks are PAGE_SIZE << MAX_PAGE_ORDER
 * (4 MiB on x86-64), and the expected offsets below assume that.
 */
#define CHUNK	((size_t)PAGE_SIZE << BUDDY_MAX_PAGE_ORDER)

/* A block's pool offset, or U64_MAX for NULL: one value to assert on. */
static u64 off_of(struct buddy_pool *pool, const void *p)
{
	return p ? buddy_pool_offset(pool, p) : U64_MAX;
}

static void skip_unless_4m_chunks(struct kunit *test)
{
	if (CHUNK != 4 * MB)
		kunit_skip(test, "expected offsets assume 4 MiB chunks");
}

/* Stop caching every order, so free_lists shows each split and merge. */
static void no_caches(struct kunit *test, struct buddy_pool *pool)
{
	struct buddy_stats st;
	unsigned int order;

	buddy_pool_stats(pool, &st);
	for (order = 0; order < BUDDY_PCP_ORDERS && order <= st.max_order;
	     order++)
		KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, order, 0, 0), 0);
}

/*
 * Allocate with buddy_alloc_range() on a pool of 4 KiB min blocks, expect
 * offset @want (U64_MAX: no block) and the buddy_alloc() block size, and
 * free the block again.
 */
static void expect_range(struct kunit *test, struct buddy_pool *pool,
			 size_t size, size_t align, u64 start, u64 end,
			 unsigned int flags, u64 want)
{
	gfp_t gfp = want == U64_MAX ? __GFP_NOWARN : GFP_KERNEL;
	void *p = buddy_alloc_range(pool, size, align, start, end, flags, gfp);

	KUNIT_EXPECT_EQ_MSG(test, off_of(pool, p), want,
			    "size %zu align %zu range [%llu, %llu) flags %u",
			    size, align, start, end, flags);
	if (p) {
		KUNIT_EXPECT_EQ(test, buddy_block_size(pool, p),
				max_t(size_t, 4 * KB, roundup_pow_of_two(size)));
		buddy_free(pool, p);
	}
	check_pool(test, pool);
}

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

static struct kunit_suite buddy_range_suite = {
	.name = "buddy_range",
	.test_cases = buddy_range_cases,
};

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

static struct kunit_suite buddy_exact_suite = {
	.name = "buddy_exact",
	.test_cases = buddy_exact_cases,
};

/* Expect "size: @size", "max_size: @max" right after it, and @chunks. */
static void expect_stats_file(struct kunit *test, struct buddy_pool *pool,
			      u64 size, u64 max, unsigned int chunks)
{
	char *txt = read_file(test, pool, "stats"), want[80];

	snprintf(want, sizeof(want), "size: %llu\nmax_size: %llu\n", size, max);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(txt, want), "%s", txt);
	snprintf(want, sizeof(want), "\nchunks: %u\n", chunks);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(txt, want), "%s", txt);
}

static void grow_adds_chunks_up_to_max(struct kunit *test)
{
	struct buddy_pool *pool = make_pool_max(test, "kunit_grow", 4 * MB,
						16 * MB, 4096);
	struct buddy_pool *fixed = make_pool(test, "kunit_grow_fixed", MB, 4096);
	struct buddy_stats st, before;

	skip_unless_4m_chunks(test);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.max_size, 16ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	expect_stats_file(test, pool, 4 * MB, 16 * MB, 1);
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 4 * MB));

	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 4 * MB), 0);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 8ULL * MB);
	KUNIT_EXPECT_EQ(test, st.max_size, 16ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 8ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[10], 2ULL);
	expect_stats_file(test, pool, 8 * MB, 16 * MB, 2);
	KUNIT_EXPECT_NOT_NULL(test, buddy_pool_addr(pool, 4 * MB));
	check_pool(test, pool);

	/* Past the maximum, or nothing to add: refused, nothing changes. */
	buddy_pool_stats(pool, &before);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 12 * MB), -ENOSPC);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 8 * MB + 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, SIZE_MAX), -ENOSPC);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 0), -EINVAL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, memcmp(&before, &st, sizeof(st)), 0);
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 8 * MB));

	/* One byte adds a whole chunk; then exactly up to the maximum. */
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 1), 0);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 4 * MB), 0);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 1), -ENOSPC);
	KUNIT_EXPECT_NOT_NULL(test, buddy_pool_addr(pool, 16 * MB - 1));
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 16 * MB));
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 16ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 16ULL * MB);
	expect_stats_file(test, pool, 16 * MB, 16 * MB, 4);
	check_pool(test, pool);

	/* Back to the floor and never below it. */
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, SIZE_MAX), 12 * MB);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 4 * MB), 0UL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	expect_stats_file(test, pool, 4 * MB, 16 * MB, 1);
	check_pool(test, pool);

	/* buddy_pool_create() is create_max() with max_size == size. */
	buddy_pool_stats(fixed, &st);
	KUNIT_EXPECT_EQ(test, st.max_size, (u64)MB);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(fixed, 4096), -ENOSPC);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(fixed, MB), 0UL);
	expect_stats_file(test, fixed, MB, MB, 1);
	check_pool(test, fixed);
}

static void grow_create_max_rejects_bad_sizes(struct kunit *test)
{
	struct buddy_pool *pool;

	skip_unless_4m_chunks(test);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("k", 4 * MB + 4096,
							    16 * MB, 4096)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("k", 2 * MB,
							    16 * MB, 4096)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("k", 8 * MB,
							    4 * MB, 4096)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("k", 4 * MB,
							    16 * MB + 2048,
							    4096)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("k", 4 * MB,
							    SIZE_MAX, 4096)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("k", 0, 4 * MB,
							    4096)),
			-EINVAL);
	/* Not whole chunks is fine when the pool cannot grow. */
	pool = make_pool_max(test, "kunit_grow_odd", 2 * MB + 4096,
			     2 * MB + 4096, 4096);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 4096), -ENOSPC);
	pool = make_pool_max(test, "kunit_grow_8m", 8 * MB, 12 * MB, 4096);
	expect_stats_file(test, pool, 8 * MB, 12 * MB, 2);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_max("kunit_grow_8m",
							    4 * MB, 8 * MB,
							    4096)),
			-EEXIST);
}

static void grow_shrink_keeps_chunks_in_use(struct kunit *test)
{
	struct buddy_pool *pool = make_pool_max(test, "kunit_shrink", 4 * MB,
						16 * MB, 4096);
	struct buddy_stats st;
	u8 *live, *pin;

	skip_unless_4m_chunks(test);
	/*
	 * The floor is a size, not a set of chunks: a free chunk 0 may go
	 * while a grown one stays. A block in chunk 0 keeps this test to
	 * chunks 1 and 2.
	 */
	pin = buddy_alloc_range(pool, 64 * KB, 0, 0, CHUNK, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pin);
	KUNIT_ASSERT_EQ(test, buddy_pool_grow(pool, 8 * MB), 0);
	/* A live block in chunk 1 keeps it; chunk 2, higher, goes. */
	live = buddy_alloc_range(pool, 4096, 0, 4 * MB, 8 * MB, BUDDY_TOPDOWN,
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	KUNIT_EXPECT_EQ(test, off_of(pool, live), 8ULL * MB - 4096);
	memset(live, 0x3c, 4096);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 8 * MB), 4 * MB);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 4 * MB), 0UL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 8ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 8ULL * MB - 4096 - 64 * KB);
	expect_stats_file(test, pool, 8 * MB, 16 * MB, 2);
	KUNIT_EXPECT_EQ(test, off_of(pool, live), 8ULL * MB - 4096);
	KUNIT_EXPECT_NULL(test, memchr_inv(live, 0x3c, 4096));
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 8 * MB));
	check_pool(test, pool);

	/* A block cached by a CPU does not pin the chunk: shrink drains. */
	buddy_free(pool, live);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 1), 4 * MB);
	KUNIT_EXPECT_PTR_EQ(test, buddy_pool_addr(pool, 0), (void *)pin);
	buddy_free(pool, pin);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.cached, 0ULL);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 4 * MB), 0UL);
	expect_stats_file(test, pool, 4 * MB, 16 * MB, 1);
	check_pool(test, pool);
}

static void grow_takes_lowest_free_slot(struct kunit *test)
{
	struct buddy_pool *pool = make_pool_max(test, "kunit_grow_slot", 4 * MB,
						16 * MB, 4096);
	struct buddy_stats st;
	u8 *low, *high, *p, *gone;

	skip_unless_4m_chunks(test);
	low = buddy_alloc(pool, 64 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, low);
	memset(low, 0x61, 64 * KB);
	KUNIT_ASSERT_EQ(test, buddy_pool_grow(pool, 8 * MB), 0);
	high = buddy_alloc_range(pool, 64 * KB, 0, 8 * MB, 0, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, high);
	KUNIT_EXPECT_EQ(test, off_of(pool, high), 8ULL * MB);
	memset(high, 0x68, 64 * KB);

	/* Chunk 2 is in use, so chunk 1 is the one that goes. */
	gone = buddy_pool_addr(pool, 4 * MB + 4096);
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, gone), 4ULL * MB + 4096);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 4 * MB), 4 * MB);
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 4 * MB));
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, gone), U64_MAX);
	KUNIT_EXPECT_NOT_NULL(test, buddy_pool_addr(pool, 8 * MB));
	expect_stats_file(test, pool, 8 * MB, 16 * MB, 2);
	expect_range(test, pool, 4096, 0, 4 * MB, 0, 0, 8 * MB + 64 * KB);
	check_pool(test, pool);

	/* Growing fills the hole at 4M; live blocks keep offset and data. */
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 4 * MB), 0);
	KUNIT_EXPECT_NOT_NULL(test, buddy_pool_addr(pool, 4 * MB));
	KUNIT_EXPECT_NULL(test, buddy_pool_addr(pool, 12 * MB));
	expect_stats_file(test, pool, 12 * MB, 16 * MB, 3);
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, high), 8ULL * MB);
	KUNIT_EXPECT_PTR_EQ(test, buddy_pool_addr(pool, 8 * MB), (void *)high);
	KUNIT_EXPECT_NULL(test, memchr_inv(low, 0x61, 64 * KB));
	KUNIT_EXPECT_NULL(test, memchr_inv(high, 0x68, 64 * KB));
	KUNIT_EXPECT_EQ(test, buddy_block_size(pool, high), 64 * KB);
	expect_range(test, pool, 4096, 0, 4 * MB, 0, 0, 4 * MB);
	expect_range(test, pool, 4096, 0, 0, 0, BUDDY_TOPDOWN, 12 * MB - 4096);
	p = buddy_alloc_range(pool, 4 * MB, 0, 0, 0, BUDDY_TOPDOWN, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, off_of(pool, p), 4ULL * MB);
	buddy_free(pool, p);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 12ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 12ULL * MB - 128 * KB);
	check_pool(test, pool);

	buddy_free(pool, low);
	buddy_free(pool, high);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, SIZE_MAX), 8 * MB);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	check_pool(test, pool);
}

#define GROW_THREADS	2
#define GROW_OPS	3000
#define GROW_SLOTS	24

struct grow_ctx {
	struct buddy_pool *pool;
	struct completion done;
	u32 seed;
	unsigned int id;
	unsigned long allocs[3], corrupt, wrong_size;
};

struct grow_blk {
	u8 *p;
	size_t len;
	u8 tag;
	u8 kind;	/* 0 buddy_alloc, 1 exact, 2 range */
};

static void grow_put(struct grow_ctx *c, struct grow_blk *b)
{
	if (memchr_inv(b->p, b->tag, b->len))
		c->corrupt++;
	if (b->kind == 1)
		buddy_free_exact(c->pool, b->p, b->len);
	else
		buddy_free(c->pool, b->p);
	b->p = NULL;
}

/* Random alloc/free of all three kinds, each block holding its tag. */
static int grow_worker(void *arg)
{
	struct grow_ctx *c = arg;
	struct grow_blk blk[GROW_SLOTS] = {};
	struct rnd_state rnd;
	unsigned int op, i;

	prandom_seed_state(&rnd, c->seed);
	for (op = 0; op < GROW_OPS; op++) {
		struct grow_blk *b = &blk[prandom_u32_state(&rnd) % GROW_SLOTS];

		if (b->p) {
			grow_put(c, b);
			continue;
		}
		b->len = 1 + prandom_u32_state(&rnd) % (128 * KB);
		b->kind = prandom_u32_state(&rnd) % 3;
		b->tag = (u8)(c->id * 64 + op);
		if (b->kind == 0)
			b->p = buddy_alloc(c->pool, b->len, __GFP_NOWARN);
		else if (b->kind == 1)
			b->p = buddy_alloc_exact(c->pool, b->len, __GFP_NOWARN);
		else	/* only the chunks above the floor */
			b->p = buddy_alloc_range(c->pool, b->len, 0, CHUNK, 0,
						 BUDDY_TOPDOWN, __GFP_NOWARN);
		if (!b->p)
			continue;
		c->allocs[b->kind]++;
		if (buddy_block_size(c->pool, b->p) < b->len)
			c->wrong_size++;
		memset(b->p, b->tag, b->len);
		if (op % 64 == 0)
			cond_resched();
	}
	for (i = 0; i < GROW_SLOTS; i++)
		if (blk[i].p)
			grow_put(c, &blk[i]);
	complete(&c->done);
	return 0;
}

static void grow_shrink_race_with_allocations(struct kunit *test)
{
	struct buddy_pool *pool = make_pool_max(test, "kunit_grow_race", 4 * MB,
						16 * MB, 4096);
	struct grow_ctx ctx[GROW_THREADS];
	unsigned long grows = 0, shrinks = 0, released = 0;
	u32 seed = run_seed(test);
	struct buddy_stats st;
	unsigned int i, round;

	for (i = 0; i < GROW_THREADS; i++) {
		struct task_struct *t;

		ctx[i] = (struct grow_ctx){ .pool = pool, .id = i,
					    .seed = seed + i };
		init_completion(&ctx[i].done);
		t = kthread_run(grow_worker, &ctx[i], "buddy_grow/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	for (round = 0; ; round++) {
		bool running = false;
		size_t got;
		int ret;

		for (i = 0; i < GROW_THREADS; i++)
			running |= !completion_done(&ctx[i].done);
		if (!running)
			break;
		ret = buddy_pool_grow(pool, (round % 3 + 1) * CHUNK);
		KUNIT_EXPECT_TRUE_MSG(test, ret == 0 || ret == -ENOSPC,
				      "grow returned %d", ret);
		grows += !ret;
		usleep_range(500, 1000);
		got = buddy_pool_shrink(pool, (round % 2 + 1) * CHUNK);
		KUNIT_EXPECT_EQ(test, got % CHUNK, 0UL);
		KUNIT_EXPECT_LE(test, got, 12 * MB);
		shrinks += !!got;
		released += got;
		buddy_pool_stats(pool, &st);
		KUNIT_EXPECT_GE(test, st.size, 4ULL * MB);
		KUNIT_EXPECT_LE(test, st.size, 16ULL * MB);
		KUNIT_EXPECT_EQ(test, st.max_size, 16ULL * MB);
		usleep_range(500, 1000);
	}
	for (i = 0; i < GROW_THREADS; i++) {
		wait_for_completion(&ctx[i].done);
		KUNIT_EXPECT_EQ_MSG(test, ctx[i].corrupt, 0UL, "thread %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ctx[i].wrong_size, 0UL, "thread %u",
				    i);
		kunit_info(test, "thread %u: %lu allocs, %lu exact, %lu range\n",
			   i, ctx[i].allocs[0], ctx[i].allocs[1],
			   ctx[i].allocs[2]);
	}
	kunit_info(test, "%u rounds: %lu grows, %lu shrinks, %lu MiB released\n",
		   round, grows, shrinks, released / MB);
	KUNIT_EXPECT_GT(test, grows, 0UL);
	KUNIT_EXPECT_GT(test, shrinks, 0UL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, st.size);
	KUNIT_EXPECT_EQ(test, st.nr_bad_frees, 0ULL);
	check_pool(test, pool);
	buddy_pool_shrink(pool, SIZE_MAX);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 4ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	check_pool(test, pool);
}

static struct kunit_case buddy_grow_cases[] = {
	KUNIT_CASE(grow_adds_chunks_up_to_max),
	KUNIT_CASE(grow_create_max_rejects_bad_sizes),
	KUNIT_CASE(grow_shrink_keeps_chunks_in_use),
	KUNIT_CASE(grow_takes_lowest_free_slot),
	KUNIT_CASE(grow_shrink_race_with_allocations),
	{}
};

static struct kunit_suite buddy_grow_suite = {
	.name = "buddy_grow",
	.test_cases = buddy_grow_cases,
};

/*
 * Zeroing: the system's init_on_alloc and init_on_free, __GFP_ZERO, and
 * the known-zero bit that spares a memset of a block that holds only
 * zeros. The pools here have no caches, so a freed block merges at once
 * and the next allocation of its size takes the lowest free block.
 */
static struct buddy_pool *make_uncached(struct kunit *test, const char *name,
					size_t size, size_t min_block)
{
	struct buddy_pool *pool = make_pool(test, name, size, min_block);
	unsigned int order;

	for (order = 0; order < BUDDY_PCP_ORDERS &&
	     order <= buddy_core_max_order(&pool->core); order++)
		KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, order, 0, 0),
				0);
	return pool;
}

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

static struct kunit_suite buddy_zero_suite = {
	.name = "buddy_zero",
	.test_cases = buddy_zero_cases,
};

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

static struct kunit_suite buddy_kasan_suite = {
	.name = "buddy_kasan",
	.test_cases = buddy_kasan_cases,
};

kunit_test_suites(&buddy_core_suite, &buddy_pool_suite, &buddy_stress_suite,
		  &buddy_debugfs_suite, &buddy_pcp_suite, &buddy_range_suite,
		  &buddy_exact_suite, &buddy_grow_suite, &buddy_zero_suite,
		  &buddy_kasan_suite);

MODULE_IMPORT_NS(BUDDY_NS);
MODULE_IMPORT_NS(BUDDY_KUNIT_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for buddy.ko");
