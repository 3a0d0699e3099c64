// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_grow: pools grow and shrink by whole chunks between their size
 * and max_size, never drop a chunk in use, fill the lowest free slot, and
 * lose no block when that races with allocations.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/prandom.h>

#include "buddy_kunit.h"

static struct buddy_pool *make_pool_max(struct kunit *test, const char *name,
					size_t size, size_t max_size,
					size_t min_block)
{
	return keep_pool(test, buddy_pool_create_max(name, size, max_size,
						     min_block));
}

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

struct kunit_suite buddy_grow_suite = {
	.name = "buddy_grow",
	.test_cases = buddy_grow_cases,
};
