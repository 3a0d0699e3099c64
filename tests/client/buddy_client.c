// SPDX-License-Identifier: GPL-2.0
/*
 * An example client of buddy.ko.
 *
 * On load it allocates a mix of sizes from a pool (the default pool, or a
 * pool of its own when pool_name is set), fills each block with a pattern,
 * and frees every third block so the pool is visibly fragmented. On unload
 * it checks the patterns and frees what it still holds, unless leak=1,
 * which deliberately keeps them to show how buddy.ko handles a leak.
 * misuse=1 also makes the mistakes buddy.ko must survive: an impossible
 * allocation with and without __GFP_NOWARN, and a double free.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <buddy.h>

static unsigned int nr_blocks = 24;
module_param(nr_blocks, uint, 0444);
MODULE_PARM_DESC(nr_blocks, "Blocks to allocate on load (default 24)");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "Keep the blocks at unload (default no)");

static bool misuse;
module_param(misuse, bool, 0444);
MODULE_PARM_DESC(misuse, "Also make an impossible allocation and a double free");

static char *pool_name;
module_param(pool_name, charp, 0444);
MODULE_PARM_DESC(pool_name, "Create and use a pool of this name");

static unsigned long pool_bytes = 1 << 20;
module_param(pool_bytes, ulong, 0444);
MODULE_PARM_DESC(pool_bytes, "Size of the pool made for pool_name");

static struct buddy_pool *pool;
static void **blocks;

/* A fixed mix: page multiples, odd sizes and a few large blocks. */
static size_t size_of(unsigned int i)
{
	static const size_t mix[] = { 4096, 100, 8192, 12288, 4096, 65536,
				      5000, 16384, 4096, 262144, 2048, 32768 };

	return mix[i % ARRAY_SIZE(mix)];
}

static u8 pattern(unsigned int i)
{
	return (u8)(0x5a ^ i);
}

static void make_mistakes(void)
{
	void *p;

	/* NULL, counted, and one ratelimited warning for the first only. */
	p = buddy_alloc(pool, SIZE_MAX, GFP_KERNEL);
	p = p ?: buddy_alloc(pool, SIZE_MAX, GFP_KERNEL | __GFP_NOWARN);
	if (p)
		pr_err("an impossible allocation succeeded\n");
	p = buddy_alloc(pool, 4096, GFP_KERNEL);
	buddy_free(pool, p);
	buddy_free(pool, p);	/* refused: double free */
	pr_info("misuse done\n");
}

static int __init client_init(void)
{
	unsigned int i, held = 0, failed = 0;

	if (pool_name) {
		pool = buddy_pool_create(pool_name, pool_bytes, PAGE_SIZE);
		if (IS_ERR(pool)) {
			pr_err("cannot create pool %s: %pe\n", pool_name, pool);
			return PTR_ERR(pool);
		}
	} else {
		pool = buddy_default_pool();
	}
	blocks = kcalloc(nr_blocks, sizeof(*blocks), GFP_KERNEL);
	if (!blocks) {
		if (pool_name)
			buddy_pool_destroy(pool);
		return -ENOMEM;
	}
	for (i = 0; i < nr_blocks; i++) {
		blocks[i] = buddy_alloc(pool, size_of(i), GFP_KERNEL);
		if (!blocks[i]) {
			failed++;
			continue;
		}
		memset(blocks[i], pattern(i), size_of(i));
	}
	for (i = 0; i < nr_blocks; i += 3) {
		buddy_free(pool, blocks[i]);
		blocks[i] = NULL;
	}
	for (i = 0; i < nr_blocks; i++)
		held += !!blocks[i];
	pr_info("allocated %u blocks (%u failed), freed every third, holding %u\n",
		nr_blocks - failed, failed, held);
	if (misuse)
		make_mistakes();
	return 0;
}

static void __exit client_exit(void)
{
	unsigned int i, bad = 0, kept = 0;

	for (i = 0; i < nr_blocks; i++) {
		if (!blocks[i])
			continue;
		if (memchr_inv(blocks[i], pattern(i), size_of(i)))
			bad++;
		if (leak)
			kept++;
		else
			buddy_free(pool, blocks[i]);
	}
	if (bad)
		pr_err("%u blocks lost their pattern\n", bad);
	pr_info("unloading: patterns %s, %u blocks kept\n",
		bad ? "CORRUPTED" : "intact", kept);
	kfree(blocks);
	if (pool_name)
		buddy_pool_destroy(pool);
}

module_init(client_init);
module_exit(client_exit);

MODULE_IMPORT_NS(BUDDY_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Example client of buddy.ko");
