// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_pcp: the per-CPU caches keep the stats exact, give back what only
 * a drain can, refuse double frees of cached blocks, drain a CPU going
 * offline, lose nothing to an IRQ inside a push and refuse bad tuning;
 * the checker names a block cached twice and says busy, not broken, for a
 * block in flight; a refill or free racing a change of tuning strands no
 * block in a cache; caches follow the traffic and the fill.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "buddy_kunit.h"

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
		/*
		 * Send the next only when the handler is done with the last.
		 * An async call's csd is free again before its function runs,
		 * but smp_call_function_single_async() tells a csd in use by
		 * a plain read that races with the unlock (KCSAN reports it).
		 */
		if (atomic_long_read_acquire(&c->handled) == c->sent &&
		    !smp_call_function_single_async(c->cpu, &c->csd))
			c->sent++;
		cpu_relax();
		if (!(c->sent % 256))
			cond_resched();
	}
	/* Every call's handler must be done with @c before it is freed. */
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
		" 0 8 2", "0x1 8 2", "4294967296 2 1", "0 4294967298 1",
		"18446744073709551616 2 1", "autox", "auto auto", "auto\n\n",
	};
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_tn", MB, 4096);
	struct on_cpu c = { .pool = pool, .size = 4096, .nr = 1 };
	unsigned int cpu = raw_smp_processor_id(), i;
	const char *head = "# order high batch cached_per_cpu...\n"
			   "# sized by traffic and fill; pinned orders: 0\n0 8 2 ";
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

	/* "auto" unpins; the values stay until the next retuning. */
	KUNIT_EXPECT_EQ(test, buddy_debugfs_cache(pool, "auto\n", 5), 0);
	KUNIT_EXPECT_EQ(test, pool->pinned, 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->high[0]), 8);
	KUNIT_EXPECT_NOT_NULL(test, strstr(read_file(test, pool, "cache"),
					   "pinned orders: none\n0 8 2 "));

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

/*
 * What a test hook does when a hot path of @pool reaches point @at with a
 * block of @order: run the checker and take stats (a free in flight), or
 * stop caching the order (a race with buddy_pool_set_cache()), once.
 */
static struct race_hook {
	struct buddy_pool *pool;
	enum buddy_test_point at;
	bool set_cache;
	unsigned int fired;
	int ret;
	char msg[160];
	struct buddy_stats st;
	u64 range_start, range_size;	/* a placement to try there, if any */
	void *got;
} race;

static void race_hook_fn(struct buddy_pool *pool, enum buddy_test_point at,
			 unsigned int order)
{
	if (pool != race.pool || at != race.at || race.fired++)
		return;
	if (race.set_cache) {
		race.ret = buddy_pool_set_cache(pool, order, 0, 0);
		return;
	}
	race.ret = buddy_pool_check(pool, race.msg, sizeof(race.msg));
	buddy_pool_stats(pool, &race.st);
	if (race.range_size)
		race.got = buddy_alloc_range(pool, race.range_size, 0,
					     race.range_start,
					     race.range_start + race.range_size,
					     0, __GFP_NOWARN);
}

static void race_hook_off(void *unused)
{
	buddy_set_test_hook(NULL);
}

static void race_hook_on(struct kunit *test, struct buddy_pool *pool,
			 enum buddy_test_point at, bool set_cache)
{
	memset(&race, 0, sizeof(race));
	race.pool = pool;
	race.at = at;
	race.set_cache = set_cache;
	buddy_set_test_hook(race_hook_fn);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, race_hook_off,
							NULL), 0);
}

/*
 * The damage a lost push race once did: a free's block sits in a cache
 * twice, and the block of the free it overwrote is in no cache and owned
 * by no client. The counts balance (the duplicate stands in for the lost
 * block), so only a checker that looks at each cached block sees it.
 */
static void pcp_checker_names_a_block_cached_twice(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_dup", 4 * MB, 4096);
	struct buddy_pcp *pcp;
	unsigned int cpu, n;
	u32 idx_b, slot;
	char msg[160];
	void *a, *b;

	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 4), 0);
	a = buddy_alloc(pool, 4096, 0);
	b = buddy_alloc(pool, 4096, 0);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	idx_b = buddy_pool_offset(pool, b) >> pool->min_shift;
	check_pool(test, pool);

	cpu = get_cpu();
	pcp = per_cpu_ptr(pool->pcp, cpu);
	buddy_free(pool, a);
	/* b's free "succeeded" too, but into the slot a's push had taken. */
	WRITE_ONCE(pool->owner[idx_b], 0);
	n = pcp_depth(pcp, 0);
	slot = READ_ONCE(pcp->slot[0][n - 1]);
	WRITE_ONCE(pcp->slot[0][n], slot);
	WRITE_ONCE(pcp->state[0], pcp->state[0] + PCP_TICK + 1);
	/* b's free began and landed as a cached free: counted as one. */
	this_cpu_inc(pool->pcp->nr_begun);
	this_cpu_inc(pool->pcp->nr_frees);
	put_cpu();

	KUNIT_EXPECT_EQ(test, buddy_pool_check(pool, msg, sizeof(msg)),
			-EUCLEAN);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(msg, "cached twice"), "%s", msg);
	kunit_info(test, "checker: %s\n", msg);

	/* Undo the damage: the pool must be whole to be destroyed. */
	WRITE_ONCE(pcp->state[0], pcp->state[0] + PCP_TICK - 1);
	per_cpu_ptr(pool->pcp, cpu)->nr_frees--;
	per_cpu_ptr(pool->pcp, cpu)->nr_begun--;
	WRITE_ONCE(pool->owner[idx_b], 1);
	check_pool(test, pool);
	buddy_free(pool, b);
	check_pool(test, pool);
}

/*
 * A free stopped with its block in flight (owner byte cleared, not yet
 * cached or in the core): the checker must say busy, not broken, and the
 * stats must say that they may be off, for a cached and an uncached
 * order. A placement in the block's own window must fail, and must not
 * look for an uncached block on a stack. Once the free lands, both are
 * exact.
 */
static void pcp_checker_is_busy_while_a_free_is_in_flight(struct kunit *test)
{
	static const size_t sizes[] = { 4096, 256 * KB };
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_fly", 4 * MB, 4096);
	struct buddy_stats st;
	unsigned int i;
	void *p, *q;

	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 4), 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = buddy_alloc(pool, sizes[i], 0);
		KUNIT_ASSERT_NOT_NULL(test, p);
		if (sizes[i] > 4096) {
			/*
			 * 4 KiB blocks cached just past it: the 512 KiB place
			 * over both is free or cached but for the block in
			 * flight, which no stack holds.
			 */
			KUNIT_ASSERT_EQ(test, off_of(pool, p), 0ULL);
			q = buddy_alloc(pool, 4096, 0);
			KUNIT_ASSERT_EQ(test, off_of(pool, q), (u64)sizes[i]);
			buddy_free(pool, q);
			KUNIT_ASSERT_GT(test, total_cached(pool, 0), 1ULL);
		}
		race_hook_on(test, pool, BUDDY_TEST_FREE, false);
		race.range_start = off_of(pool, p);
		race.range_size = sizes[i] > 4096 ? 512 * KB : sizes[i];
		buddy_free(pool, p);
		race_hook_off(NULL);
		KUNIT_EXPECT_EQ(test, race.fired, 1U);
		KUNIT_EXPECT_NULL_MSG(test, race.got, "size %zu", sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, race.ret, -EBUSY, "size %zu: %s",
				    sizes[i], race.msg);
		KUNIT_EXPECT_EQ(test, strncmp(race.msg, "busy", 4), 0);
		KUNIT_EXPECT_EQ(test, race.st.in_flight, 1ULL);

		check_pool(test, pool);
		buddy_pool_drain(pool);
		buddy_pool_stats(pool, &st);
		KUNIT_EXPECT_EQ(test, st.in_flight, 0ULL);
		KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
		KUNIT_EXPECT_EQ(test, st.nr_allocs, st.nr_frees);
	}
}

/*
 * A refill that read the tuning before buddy_pool_set_cache() stopped
 * caching its order must not fill that order's cache after the drain:
 * nothing would ever take those blocks out again but a full drain.
 */
static void pcp_refill_racing_set_cache_caches_nothing(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_rfl", 4 * MB, 4096);
	struct buddy_stats st;
	void *p;

	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 4), 0);
	race_hook_on(test, pool, BUDDY_TEST_REFILL, true);
	p = buddy_alloc(pool, 4096, 0);
	race_hook_off(NULL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, race.fired, 1U);
	KUNIT_EXPECT_EQ(test, race.ret, 0);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB - 4096);
	check_pool(test, pool);
	buddy_free(pool, p);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	check_pool(test, pool);
}

/*
 * A free that read high before buddy_pool_set_cache() stopped caching its
 * order pushes after the drain passed: it must see that and give the block
 * back itself.
 */
static void pcp_free_racing_set_cache_caches_nothing(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_frc", 4 * MB, 4096);
	struct buddy_stats st;
	void *p;

	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 0, 8, 4), 0);
	p = buddy_alloc(pool, 4096, 0);
	KUNIT_ASSERT_NOT_NULL(test, p);
	race_hook_on(test, pool, BUDDY_TEST_FREE, true);
	buddy_free(pool, p);
	race_hook_off(NULL);
	KUNIT_EXPECT_EQ(test, race.fired, 1U);
	KUNIT_EXPECT_EQ(test, race.ret, 0);
	KUNIT_EXPECT_EQ(test, total_cached(pool, 0), 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.cached, 0ULL);
	KUNIT_EXPECT_EQ(test, st.free, 4ULL * MB);
	check_pool(test, pool);
}

/* @c->nr alloc+free pairs of @c->size; c->got is NULL after a failure. */
static long pairs_on_cpu(void *arg)
{
	struct on_cpu *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++) {
		c->got = buddy_alloc(c->pool, c->size, GFP_KERNEL);
		if (!c->got)
			return 0;
		buddy_free(c->pool, c->got);
	}
	return 0;
}

/*
 * Bytes the CPUs with traffic may cache of the orders @pool sizes by
 * itself; the others hold none of them.
 */
static u64 auto_budget(struct buddy_pool *pool)
{
	u64 bytes = 0;
	unsigned int order;

	for (order = 0; order < BUDDY_PCP_ORDERS; order++)
		if (!(pool->pinned & BIT(order)))
			bytes += (u64)READ_ONCE(pool->high[order]) <<
				 (pool->min_shift + order);
	return bytes * max_t(u32, pool->nr_active, 1);
}

/* Blocks @cpu caches of the orders @pool sizes by itself. */
static u64 auto_cached(struct buddy_pool *pool, unsigned int cpu)
{
	unsigned int order;
	u64 n = 0;

	for (order = 0; order < BUDDY_PCP_ORDERS; order++)
		if (!(pool->pinned & BIT(order)))
			n += buddy_pool_cpu_cached(pool, cpu, order);
	return n;
}

/*
 * Caches sized by the load: after ADAPT_TRIPS (256) trips to the core
 * the orders with traffic get caches, an order that had none gives its
 * blocks back on every CPU, a pinned order keeps what it was set to, a
 * fuller pool gets smaller caches, and the budget goes to the CPUs that
 * used their caches: a CPU without traffic gives back what it held.
 */
static void pcp_caches_follow_traffic_and_fill(struct kunit *test)
{
	struct buddy_pool *pool = make_pool(test, "kunit_pcp_auto", 16 * MB,
					    4096);
	unsigned int cpu = raw_smp_processor_id(), other, i;
	struct on_cpu c = { .pool = pool, .size = 8192, .nr = 4 };
	struct buddy_stats st;
	void *big[15];
	u64 before;

	KUNIT_ASSERT_TRUE(test, pool->auto_cache);
	/* 8 KiB blocks cached on this CPU: order 1 has had traffic. */
	work_on_cpu(cpu, alloc_on_cpu, &c);
	work_on_cpu(cpu, free_on_cpu, &c);
	KUNIT_ASSERT_GT(test, buddy_pool_cpu_cached(pool, cpu, 1), 0U);
	/* Order 2 pinned; order 4 uncached but not pinned. */
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 2, 8, 4), 0);
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 4, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, pool->pinned, (u8)(BIT(2) | BIT(4)));
	KUNIT_EXPECT_EQ(test, buddy_pool_cache_auto(pool), 0);
	KUNIT_EXPECT_EQ(test, pool->pinned, 0);
	KUNIT_ASSERT_EQ(test, buddy_pool_set_cache(pool, 2, 8, 4), 0);
	KUNIT_EXPECT_EQ(test, pool->nr_adapts, 0ULL);

	/* 300 pairs of the uncached 64 KiB: one retuning, then cached. */
	c.size = 64 * 1024;
	c.nr = 300;
	work_on_cpu(cpu, pairs_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.got);
	KUNIT_EXPECT_EQ(test, pool->nr_adapts, 1ULL);
	KUNIT_EXPECT_EQ(test, pool->nr_active, 1U);
	KUNIT_EXPECT_GT(test, READ_ONCE(pool->high[4]), 0);
	KUNIT_EXPECT_GT(test, buddy_pool_cpu_cached(pool, cpu, 4), 0U);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->high[0]), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->high[3]), 0);

	/* 300 pairs of 4 KiB: order 1 had no traffic since and gives back. */
	c.size = 4096;
	work_on_cpu(cpu, pairs_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.got);
	KUNIT_EXPECT_EQ(test, pool->nr_adapts, 2ULL);
	KUNIT_EXPECT_GT(test, READ_ONCE(pool->high[0]), READ_ONCE(pool->high[4]));
	KUNIT_EXPECT_GT(test, READ_ONCE(pool->high[4]), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->high[1]), 0);
	for_each_possible_cpu(other)
		KUNIT_EXPECT_EQ(test, buddy_pool_cpu_cached(pool, other, 1), 0U);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->high[2]), 8);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->batch[2]), 4);
	check_pool(test, pool);

	/* 15 of the 16 MiB taken: the next retuning shrinks the budget. */
	before = auto_budget(pool);
	KUNIT_EXPECT_GT(test, before, 0ULL);
	for (i = 0; i < ARRAY_SIZE(big); i++) {
		big[i] = buddy_alloc(pool, MB, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big[i]);
	}
	/* Another CPU caches 4 KiB blocks: two CPUs share the budget. */
	other = other_cpu(cpu);
	if (other < nr_cpu_ids) {
		c.size = 4096;
		c.nr = 4;
		work_on_cpu(other, alloc_on_cpu, &c);
		work_on_cpu(other, free_on_cpu, &c);
		KUNIT_EXPECT_GT(test, auto_cached(pool, other), 0ULL);
	}
	c.size = 32 * 1024;
	c.nr = 300;
	work_on_cpu(cpu, pairs_on_cpu, &c);
	KUNIT_ASSERT_NOT_NULL(test, c.got);
	KUNIT_EXPECT_EQ(test, pool->nr_adapts, 3ULL);
	KUNIT_EXPECT_EQ(test, pool->nr_active, other < nr_cpu_ids ? 2U : 1U);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_LE(test, auto_budget(pool), st.free / 2);
	KUNIT_EXPECT_LT(test, auto_budget(pool), before);
	KUNIT_EXPECT_GT(test, READ_ONCE(pool->high[3]), 0);

	/*
	 * It stays idle while this CPU makes 300 pairs of the now uncached
	 * 64 KiB: it gives back all it held, and this CPU alone shares.
	 */
	if (other < nr_cpu_ids) {
		KUNIT_EXPECT_GT(test, auto_cached(pool, other), 0ULL);
		KUNIT_EXPECT_EQ(test, READ_ONCE(pool->high[4]), 0);
		c.size = 64 * 1024;
		work_on_cpu(cpu, pairs_on_cpu, &c);
		KUNIT_ASSERT_NOT_NULL(test, c.got);
		KUNIT_EXPECT_EQ(test, pool->nr_adapts, 4ULL);
		KUNIT_EXPECT_EQ(test, pool->nr_active, 1U);
		KUNIT_EXPECT_EQ(test, auto_cached(pool, other), 0ULL);
		KUNIT_EXPECT_GT(test, READ_ONCE(pool->high[4]), 0);
		buddy_pool_stats(pool, &st);
		KUNIT_EXPECT_LE(test, auto_budget(pool), st.free / 2);
	}
	for (i = 0; i < ARRAY_SIZE(big); i++)
		buddy_free(pool, big[i]);
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
	KUNIT_CASE(pcp_checker_names_a_block_cached_twice),
	KUNIT_CASE(pcp_checker_is_busy_while_a_free_is_in_flight),
	KUNIT_CASE(pcp_refill_racing_set_cache_caches_nothing),
	KUNIT_CASE(pcp_free_racing_set_cache_caches_nothing),
	KUNIT_CASE(pcp_caches_follow_traffic_and_fill),
	{}
};

struct kunit_suite buddy_pcp_suite = {
	.name = "buddy_pcp",
	.test_cases = buddy_pcp_cases,
};
