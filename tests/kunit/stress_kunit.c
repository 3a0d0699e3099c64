// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_stress: threads that allocate and free at random at once keep
 * every block's pattern and give the whole pool back.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/prandom.h>

#include "buddy_kunit.h"

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

struct kunit_suite buddy_stress_suite = {
	.name = "buddy_stress",
	.test_cases = buddy_stress_cases,
};
