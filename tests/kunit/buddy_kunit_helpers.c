// SPDX-License-Identifier: GPL-2.0
/*
 * What several suites share: the seed of the randomised tests, the
 * pool fixtures and invariant check, the debugfs reader, and running
 * on a given CPU. Declared in buddy_kunit.h.
 */
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/random.h>

#include "buddy_kunit.h"

static unsigned int seed;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the randomised tests; 0 (default) picks one, which each test logs");

/* The run's seed, picked on first use unless given; logged for replay. */
u32 run_seed(struct kunit *test)
{
	while (!seed)
		seed = get_random_u32();
	kunit_info(test, "seed %u (insmod buddy_kunit.ko seed=%u replays)\n",
		   seed, seed);
	return seed;
}

void check_pool(struct kunit *test, struct buddy_pool *pool)
{
	char msg[160];

	if (buddy_pool_check(pool, msg, sizeof(msg)))
		KUNIT_FAIL(test, "pool %s invariant broken: %s", pool->name,
			   msg);
}

static void destroy_pool_action(void *pool)
{
	buddy_pool_destroy(pool);
}

/* A pool made by a test is destroyed when the test ends, however it ends. */
struct buddy_pool *keep_pool(struct kunit *test,
			     struct buddy_pool *pool)
{
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							destroy_pool_action,
							pool), 0);
	check_pool(test, pool);
	return pool;
}

struct buddy_pool *make_pool(struct kunit *test, const char *name,
			     size_t size, size_t min_block)
{
	return keep_pool(test, buddy_pool_create(name, size, min_block));
}

/* The text a pool's debugfs file would show, in a kunit-managed buffer. */
char *read_file(struct kunit *test, struct buddy_pool *pool,
		const char *name)
{
	char *buf = kunit_kzalloc(test, 16384, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, buddy_debugfs_render(pool, name, buf, 16384), 0);
	return buf;
}

/* The first online CPU other than @cpu, or nr_cpu_ids. */
unsigned int other_cpu(unsigned int cpu)
{
	unsigned int other;

	for_each_online_cpu(other) {
		if (other != cpu)
			return other;
	}
	return nr_cpu_ids;
}

long alloc_on_cpu(void *arg)
{
	struct on_cpu *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		c->blk[i] = buddy_alloc(c->pool, c->size, GFP_KERNEL);
	return 0;
}

long free_on_cpu(void *arg)
{
	struct on_cpu *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i++)
		buddy_free(c->pool, c->blk[i]);
	return 0;
}

u64 total_cached(struct buddy_pool *pool, unsigned int order)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_possible_cpu(cpu)
		n += buddy_pool_cpu_cached(pool, cpu, order);
	return n;
}

/* Stop caching every order, so free_lists shows each split and merge. */
void no_caches(struct kunit *test, struct buddy_pool *pool)
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
void expect_range(struct kunit *test, struct buddy_pool *pool,
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

/*
 * A pool with no caches: a freed block merges at once and the next
 * allocation of its size takes the lowest free block.
 */
struct buddy_pool *make_uncached(struct kunit *test, const char *name,
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

static void release_dev(struct device *dev)
{
	kfree(dev);
}

/* A device on no bus, as a driverless platform device is. */
struct device *new_dev(const char *name)
{
	struct device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return ERR_PTR(-ENOMEM);
	device_initialize(dev);
	dev->release = release_dev;
	if (dev_set_name(dev, "%s", name) || device_add(dev)) {
		put_device(dev);
		return ERR_PTR(-EINVAL);
	}
	return dev;
}

static void unregister_action(void *dev)
{
	device_unregister(dev);
}

/*
 * A device with a DMA mask of @bits (0: none), unregistered when the test
 * ends. Its mask lives in its coherent mask, as a platform device's does.
 */
struct device *make_dev(struct kunit *test, const char *name,
			unsigned int bits)
{
	struct device *dev = new_dev(name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							unregister_action,
							dev), 0);
	if (bits) {
		dev->coherent_dma_mask = DMA_BIT_MASK(bits);
		dev->dma_mask = &dev->coherent_dma_mask;
	}
	return dev;
}
