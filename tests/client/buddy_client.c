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
 *
 * zero=1 reports whether a block freed dirty comes back zeroed, under the
 * system's init_on_alloc and init_on_free. bad_access=use-after-free,
 * overflow or wild makes one access KASAN must catch, for the harness
 * self-test and the README's example report.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
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

static bool zero;
module_param(zero, bool, 0444);
MODULE_PARM_DESC(zero, "Report how a block freed dirty comes back");

static char *bad_access;
module_param(bad_access, charp, 0444);
MODULE_PARM_DESC(bad_access, "Make one bad access: use-after-free, overflow or wild");

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

/*
 * Free a block written all over, allocate the same size again and say
 * what came back. The pool caches the freed block and hands it out again
 * on this CPU, which preemption stays off for.
 */
static void report_zeroing(void)
{
	/* Off the stack, which KASAN makes too small for three; init only. */
	static struct buddy_stats before, mid, after;
	u8 *p, *q;

	buddy_pool_stats(pool, &before);
	preempt_disable();
	p = buddy_alloc(pool, 4096, GFP_ATOMIC);
	if (p) {
		memset(p, 0xa5, 4096);
		buddy_free(pool, p);
	}
	/* p itself may have come dirty from the cache: count q alone. */
	buddy_pool_stats(pool, &mid);
	q = buddy_alloc(pool, 4096, GFP_ATOMIC);
	preempt_enable();
	if (!p || !q) {
		pr_err("zero: allocation failed\n");
		buddy_free(pool, q);
		return;
	}
	buddy_pool_stats(pool, &after);
	pr_info("zero: init_on_alloc=%d init_on_free=%d same_block=%d zeroed=%d zeroings=%llu total=%llu\n",
		want_init_on_alloc(GFP_KERNEL), want_init_on_free(), p == q,
		!memchr_inv(q, 0, 4096), after.nr_zeroings - mid.nr_zeroings,
		after.nr_zeroings - before.nr_zeroings);
	buddy_free(pool, q);
}

/* Each access is one KASAN report at this module's instruction. */
static noinline void use_after_free(void)
{
	u8 *p = buddy_alloc(pool, 4096, GFP_KERNEL);

	if (!p)
		return;
	buddy_free(pool, p);
	WRITE_ONCE(p[8], 1);
}

static noinline void overflow(void)
{
	u8 *p = buddy_alloc(pool, 12288, GFP_KERNEL);

	if (!p)
		return;
	/* A 16 KiB block, of which 12 KiB were asked for. */
	WRITE_ONCE(p[12288], 1);
	buddy_free(pool, p);
}

static noinline void wild(void)
{
	struct buddy_stats st;
	u8 *p;

	/* The last min block of the pool, which nothing has allocated. */
	buddy_pool_stats(pool, &st);
	p = buddy_pool_addr(pool, st.size - st.min_block);
	if (p)
		WRITE_ONCE(p[0], 1);
}

static void make_bad_access(void)
{
	if (!strcmp(bad_access, "use-after-free"))
		use_after_free();
	else if (!strcmp(bad_access, "overflow"))
		overflow();
	else if (!strcmp(bad_access, "wild"))
		wild();
	else
		pr_err("unknown bad_access=%s\n", bad_access);
	pr_info("bad access %s done\n", bad_access);
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
	if (zero)
		report_zeroing();
	if (bad_access)
		make_bad_access();
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
