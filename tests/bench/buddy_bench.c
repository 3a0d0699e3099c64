// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmark: buddy_alloc()/buddy_free() against alloc_pages()
 * and gen_pool on the same workloads, in one boot, so that the ratios mean
 * something even under QEMU's TCG. Results go to the kernel log as
 *   buddy-bench: workload=NAME allocator=NAME ns_per_pair=X
 * Loading always succeeds; the numbers are the output.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/slab.h>

#include <buddy.h>

static unsigned int iters = 20000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Alloc/free pairs per measurement (default 20000)");

#define POOL_BYTES	(16UL << 20)
#define CHUNK_ORDER	(ilog2(POOL_BYTES / PAGE_SIZE) - 2)	/* 4 chunks */
#define SLOTS		256
#define MAX_ORDER_USED	4

struct allocator {
	const char *name;
	void *(*alloc)(void *ctx, unsigned int order);
	void (*free)(void *ctx, void *p, unsigned int order);
	void *ctx;
};

static void *buddy_a(void *ctx, unsigned int order)
{
	return buddy_alloc(ctx, PAGE_SIZE << order, __GFP_NOWARN);
}

static void buddy_f(void *ctx, void *p, unsigned int order)
{
	buddy_free(ctx, p);
}

static void *pages_a(void *ctx, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

	return page ? page_address(page) : NULL;
}

static void pages_f(void *ctx, void *p, unsigned int order)
{
	free_pages((unsigned long)p, order);
}

static void *gen_a(void *ctx, unsigned int order)
{
	return (void *)gen_pool_alloc(ctx, PAGE_SIZE << order);
}

static void gen_f(void *ctx, void *p, unsigned int order)
{
	gen_pool_free(ctx, (unsigned long)p, PAGE_SIZE << order);
}

/* One block of the smallest size, allocated and freed again. */
static u64 run_single(const struct allocator *a)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		void *p = a->alloc(a->ctx, 0);

		if (!p)
			return 0;
		a->free(a->ctx, p, 0);
	}
	return ktime_get_ns() - t0;
}

/* SLOTS live blocks of random orders; each step frees one, allocates one. */
static u64 run_mixed(const struct allocator *a)
{
	static void *slot[SLOTS];
	static u8 ord[SLOTS];
	struct rnd_state rnd;
	unsigned int i;
	u64 t0, t;

	prandom_seed_state(&rnd, 42);
	for (i = 0; i < SLOTS; i++) {
		ord[i] = prandom_u32_state(&rnd) % (MAX_ORDER_USED + 1);
		slot[i] = a->alloc(a->ctx, ord[i]);
	}
	t0 = ktime_get_ns();
	for (i = 0; i < iters; i++) {
		unsigned int s = prandom_u32_state(&rnd) % SLOTS;

		if (slot[s])
			a->free(a->ctx, slot[s], ord[s]);
		ord[s] = prandom_u32_state(&rnd) % (MAX_ORDER_USED + 1);
		slot[s] = a->alloc(a->ctx, ord[s]);
	}
	t = ktime_get_ns() - t0;
	for (i = 0; i < SLOTS; i++)
		if (slot[i])
			a->free(a->ctx, slot[i], ord[i]);
	return t;
}

static void report(const char *workload, const struct allocator *a, u64 ns)
{
	u64 per = ns * 10 / iters;

	pr_info("buddy-bench: workload=%s allocator=%s ns_per_pair=%llu.%llu\n",
		workload, a->name, per / 10, per % 10);
}

static int __init bench_init(void)
{
	struct buddy_pool *pool;
	struct gen_pool *gp;
	struct page *chunks[4] = {};
	unsigned int i;

	pool = buddy_pool_create("bench", POOL_BYTES, PAGE_SIZE);
	gp = gen_pool_create(PAGE_SHIFT, -1);
	if (IS_ERR(pool) || !gp)
		goto out;
	for (i = 0; i < ARRAY_SIZE(chunks); i++) {
		chunks[i] = alloc_pages(GFP_KERNEL, CHUNK_ORDER);
		if (!chunks[i] ||
		    gen_pool_add(gp, (unsigned long)page_address(chunks[i]),
				 PAGE_SIZE << CHUNK_ORDER, -1))
			goto out;
	}

	{
		const struct allocator all[] = {
			{ "buddy", buddy_a, buddy_f, pool },
			{ "alloc_pages", pages_a, pages_f, NULL },
			{ "gen_pool", gen_a, gen_f, gp },
		};

		for (i = 0; i < ARRAY_SIZE(all); i++) {
			run_single(&all[i]);	/* warm up */
			report("single_4k", &all[i], run_single(&all[i]));
		}
		for (i = 0; i < ARRAY_SIZE(all); i++)
			report("mixed_4k_64k", &all[i], run_mixed(&all[i]));
	}
out:
	if (gp)
		gen_pool_destroy(gp);
	for (i = 0; i < ARRAY_SIZE(chunks); i++)
		if (chunks[i])
			__free_pages(chunks[i], CHUNK_ORDER);
	if (!IS_ERR(pool))
		buddy_pool_destroy(pool);
	pr_info("buddy-bench: done\n");
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_IMPORT_NS(BUDDY);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark of buddy.ko against alloc_pages and gen_pool");
