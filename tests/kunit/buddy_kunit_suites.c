// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for buddy.ko: the core inside the kernel,
 * the pool API, atomic-context use, multi-chunk pools, a concurrent stress
 * test and the debugfs files. A separate module, because KUnit runs a
 * module's suites before its init.
 *
 * The module links its own copy of the pure core (buddy_core_copy.c), so
 * the core needs no exports; pools are reached through buddy.ko's API and
 * a few KUnit-only exports.
 *
 * Every scenario asserts the invariant checker before and after it runs.
 * Randomised tests log their seed.
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
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../../buddy_compat.h"
#include "../../buddy_internal.h"

#define KB	1024UL
#define MB	(1024UL * 1024)

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

/* A core over a vmalloc'ed range, freed with the test. */
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
	f->meta = kunit_kzalloc(test, meta, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->meta);
	f->segs[0] = f->mem;
	KUNIT_ASSERT_EQ(test, buddy_core_init(&f->bc, size, min_block,
					      BUDDY_CORE_ONE_SEGMENT, f->segs,
					      f->meta, meta), 0);
	check_core(test, &f->bc);
	return f;
}

static void free_core(struct core_fixture *f)
{
	vfree(f->mem);
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
	free_core(f);
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
	free_core(f);
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
	free_core(f);
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
	free_core(f);
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
	u32 seed = get_random_u32();

	kunit_info(test, "seed %u\n", seed);
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
	free_core(f);
}

static struct kunit_case buddy_core_cases[] = {
	KUNIT_CASE(core_alloc_splits_to_exact_order),
	KUNIT_CASE(core_takes_smallest_fitting_block),
	KUNIT_CASE(core_refuses_each_bad_free),
	KUNIT_CASE(core_recovers_from_stray_writes),
	KUNIT_CASE(core_random_ops_match_naive_model),
	{}
};

static struct kunit_suite buddy_core_suite = {
	.name = "buddy_core",
	.test_cases = buddy_core_cases,
};

/*
 * Pools made by a test are destroyed by the suite's exit hook, so they go
 * away even when an assertion ends the test early. Tests run one at a time.
 */
static struct buddy_pool *made[4];
static unsigned int nr_made;

static struct buddy_pool *make_pool(struct kunit *test, const char *name,
				    size_t size, size_t min_block)
{
	struct buddy_pool *pool;

	KUNIT_ASSERT_LT(test, nr_made, (unsigned int)ARRAY_SIZE(made));
	pool = buddy_pool_create(name, size, min_block);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	made[nr_made++] = pool;
	check_pool(test, pool);
	return pool;
}

static void destroy_pools(struct kunit *test)
{
	while (nr_made)
		buddy_pool_destroy(made[--nr_made]);
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
	.exit = destroy_pools,
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
	u32 seed = get_random_u32();
	struct buddy_stats st;
	unsigned int i;

	kunit_info(test, "seed %u\n", seed);
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
	.exit = destroy_pools,
	.name = "buddy_stress",
	.test_cases = buddy_stress_cases,
};

/* The text a pool's debugfs file would show, in a kunit-managed buffer. */
static char *read_file(struct kunit *test, struct buddy_pool *pool,
		       const char *name)
{
	char *buf = kunit_kzalloc(test, 16384, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, buddy_kunit_render(pool, name, buf, 16384), 0);
	return buf;
}

static int write_ctl(struct kunit *test, struct buddy_pool *pool,
		     const char *s, size_t len)
{
	return buddy_kunit_ctl(pool, s, len);
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

static struct kunit_case buddy_debugfs_cases[] = {
	KUNIT_CASE(debugfs_map_marks_partial_cells),
	KUNIT_CASE(debugfs_dir_follows_pool_lifetime),
	KUNIT_CASE(debugfs_free_lists_follow_ctl),
	KUNIT_CASE(debugfs_ctl_refuses_malformed_input),
	KUNIT_CASE(debugfs_stats_add_up),
	{}
};

static struct kunit_suite buddy_debugfs_suite = {
	.exit = destroy_pools,
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

static unsigned int other_cpu(unsigned int cpu)
{
	unsigned int other;

	for_each_online_cpu(other) {
		if (other != cpu)
			return other;
	}
	return nr_cpu_ids;
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
	KUNIT_EXPECT_EQ(test, buddy_kunit_cache(pool, "drain\n", 6), 0);
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
	struct buddy_stats before, after;

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
	buddy_pool_stats(pool, &before);
	KUNIT_EXPECT_EQ(test, before.cached_blocks[1], 2ULL);

	pr_info("BUDDY-EXPECT-WARN-BEGIN 1\n");
	work_on_cpu(cpu, free_on_cpu, &c);	/* cached on the other CPU */
	work_on_cpu(other, free_on_cpu, &c);	/* cached right here */
	buddy_free(pool, (u8 *)c.blk[0] + 4096);	/* inside a cached block */
	pr_info("BUDDY-EXPECT-WARN-END\n");

	buddy_pool_stats(pool, &after);
	KUNIT_EXPECT_EQ(test, after.nr_bad_frees, before.nr_bad_frees + 3);
	after.nr_bad_frees = before.nr_bad_frees;
	KUNIT_EXPECT_EQ(test, memcmp(&before, &after, sizeof(before)), 0);
	check_pool(test, pool);
}

struct flip_ctx {
	struct buddy_pool *pool;
	atomic_t stop;
	unsigned long pairs;
	struct completion done;
};

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
		KUNIT_EXPECT_EQ_MSG(test, buddy_kunit_cache(pool, bad[i],
							    strlen(bad[i])),
				    -EINVAL, "input \"%s\"", bad[i]);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "cache"), before);

	/* High 0: that order is no longer cached, and its cache is empty. */
	KUNIT_EXPECT_EQ(test, buddy_kunit_cache(pool, "0 0 0\n", 6), 0);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	work_on_cpu(cpu, alloc_on_cpu, &c);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, buddy_kunit_cache(pool, "0 4 1", 5), 0);
	KUNIT_EXPECT_STREQ(test, read_file(test, pool, "check"), "ok\n");
	check_pool(test, pool);
}

static struct kunit_case buddy_pcp_cases[] = {
	KUNIT_CASE(pcp_repeat_pairs_touch_only_the_cache),
	KUNIT_CASE(pcp_stats_are_exact_with_blocks_on_several_cpus),
	KUNIT_CASE(pcp_failure_only_a_drain_can_satisfy),
	KUNIT_CASE(pcp_double_free_of_cached_block_is_refused),
	KUNIT_CASE(pcp_cpu_offline_drains_during_stress),
	KUNIT_CASE(pcp_tuning_refuses_bad_values),
	{}
};

static struct kunit_suite buddy_pcp_suite = {
	.exit = destroy_pools,
	.name = "buddy_pcp",
	.test_cases = buddy_pcp_cases,
};

kunit_test_suites(&buddy_core_suite, &buddy_pool_suite, &buddy_stress_suite,
		  &buddy_debugfs_suite, &buddy_pcp_suite);

MODULE_IMPORT_NS(BUDDY);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for buddy.ko");
