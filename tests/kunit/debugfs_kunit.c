// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_debugfs: what a pool's debugfs files show, that ctl refuses
 * malformed input, that the directory lives as long as the pool, and
 * that check holds the pool lock only briefly.
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kthread.h>

#include "buddy_kunit.h"

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

struct kunit_suite buddy_debugfs_suite = {
	.name = "buddy_debugfs",
	.test_cases = buddy_debugfs_cases,
};
