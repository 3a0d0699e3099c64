// SPDX-License-Identifier: GPL-2.0
/*
 * buddy.ko's glue: the module parameters and the default pool, init and
 * exit, and the exported create and destroy, which tie a pool to its
 * debugfs directory. Pools are in buddy_pool.c, the allocation paths in
 * buddy_alloc.c, the checker and statistics in buddy_check.c, the buddy
 * core itself in buddy_core.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"

static char *pool_size = "4M";
module_param(pool_size, charp, 0444);
MODULE_PARM_DESC(pool_size,
		 "Bytes in the default pool, with K/M/G suffix (default 4M)");

static char *min_block;
module_param(min_block, charp, 0444);
MODULE_PARM_DESC(min_block,
		 "Smallest block in bytes, a power of two from 16 to one chunk, with K/M suffix (default PAGE_SIZE)");

static char *pool_max;
module_param(pool_max, charp, 0444);
MODULE_PARM_DESC(pool_max,
		 "Bytes the default pool may grow to with buddy_pool_grow(), with K/M/G suffix (default pool_size)");

static bool cache = true;
module_param(cache, bool, 0444);
MODULE_PARM_DESC(cache,
		 "Give the default pool per-CPU caches of its small orders (default Y)");

static struct buddy_pool *default_pool;

static struct buddy_pool *add_pool(const char *name, size_t size,
				   size_t max_size, size_t min_block,
				   bool cached)
{
	struct buddy_pool *pool = buddy_pool_new(name, size, max_size,
						 min_block, cached);

	if (!IS_ERR(pool))
		buddy_debugfs_add(pool);
	return pool;
}

/**
 * buddy_pool_create() - reserve memory and make a new pool of it
 * @name: 1 to BUDDY_NAME_MAX characters of [A-Za-z0-9_-]; also the name
 *	of the pool's debugfs directory
 * @size: bytes to manage, a multiple of @min_block and at most half of RAM
 * @min_block: bytes in the smallest block: a power of two from 16 up to
 *	the largest alloc_pages() block
 *
 * The memory is reserved with alloc_pages() in chunks of at most the
 * largest page order; no block spans two chunks. The pool gets per-CPU
 * caches sized from @size (see buddy_pool_set_cache()).
 *
 * Context: Process context; sleeps.
 * Return: the pool; ERR_PTR(-EINVAL) for a bad name, size or min_block;
 * ERR_PTR(-EEXIST) if a pool of that name exists; ERR_PTR(-ENOMEM) if the
 * memory cannot be had.
 */
struct buddy_pool *buddy_pool_create(const char *name, size_t size,
				     size_t min_block)
{
	return add_pool(name, size, size, min_block, true);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_create, BUDDY_NS);

/**
 * buddy_pool_create_max() - make a pool that can grow and shrink
 * @name: as for buddy_pool_create()
 * @size: bytes reserved now, and the floor buddy_pool_shrink() keeps; a
 *	whole number of chunks (PAGE_SIZE << MAX_PAGE_ORDER bytes, 4 MiB on
 *	x86-64) when @max_size is larger
 * @max_size: most bytes the pool may hold after buddy_pool_grow(); at
 *	least @size, a multiple of @min_block and at most half of RAM
 * @min_block: as for buddy_pool_create()
 *
 * The pool's offsets run from 0 to @max_size, and chunks not reserved yet
 * leave holes in them; buddy_pool_create(n, s, m) is
 * buddy_pool_create_max(n, s, s, m). The metadata is sized for @max_size:
 * a few bits plus one byte per min block.
 *
 * Context: Process context; sleeps.
 * Return: the pool, or an error pointer as for buddy_pool_create(); also
 * ERR_PTR(-EINVAL) for a bad @max_size.
 */
struct buddy_pool *buddy_pool_create_max(const char *name, size_t size,
					 size_t max_size, size_t min_block)
{
	return add_pool(name, size, max_size, min_block, true);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_create_max, BUDDY_NS);

/**
 * buddy_pool_destroy() - release a pool, its name and its memory
 * @pool: the pool, or NULL or an error pointer (then nothing happens)
 *
 * Blocks still allocated are a bug in the caller: the pool warns once,
 * reports how many, and keeps the chunks that hold them reserved for good
 * rather than give memory in use back to the page allocator.
 *
 * Context: Process context; sleeps. No other call on @pool may be running
 * or follow.
 */
void buddy_pool_destroy(struct buddy_pool *pool)
{
	if (IS_ERR_OR_NULL(pool))
		return;
	buddy_debugfs_remove(pool);
	buddy_pool_free(pool);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_destroy, BUDDY_NS);

/**
 * buddy_default_pool() - the pool buddy.ko reserves when it loads
 *
 * Context: Any context.
 * Return: the pool named "default", sized by the pool_size and min_block
 * module parameters; it lives as long as the module.
 */
struct buddy_pool *buddy_default_pool(void)
{
	return default_pool;
}
EXPORT_SYMBOL_NS_GPL(buddy_default_pool, BUDDY_NS);

/*
 * The core calls the buddy_core suite makes on cores of its own: the
 * module's core, not a copy of it, is what KUnit tests. Listed together,
 * as lib/xz/xz_dec_syms.c lists its exports (see scripts/lint.sh).
 */
EXPORT_SYMBOL_IF_KUNIT(buddy_core_meta_size);
EXPORT_SYMBOL_IF_KUNIT(buddy_core_init);
EXPORT_SYMBOL_IF_KUNIT(buddy_core_order_for);
EXPORT_SYMBOL_IF_KUNIT(buddy_core_alloc);
EXPORT_SYMBOL_IF_KUNIT(buddy_core_block_order);
EXPORT_SYMBOL_IF_KUNIT(buddy_core_free);
EXPORT_SYMBOL_IF_KUNIT(buddy_core_check);

static int __init buddy_init(void)
{
	u64 size, max, min = PAGE_SIZE;
	struct buddy_pool *pool;
	int ret;

	if (min_block && (!buddy_parse_size(min_block, &min) ||
			  !buddy_min_block_ok(min))) {
		pr_err("invalid min_block=%s: must be a power of two from %u to %lu bytes\n",
		       min_block, BUDDY_CORE_MIN_BLOCK, CHUNK_BYTES);
		return -EINVAL;
	}
	if (!buddy_parse_size(pool_size, &size) || !buddy_size_ok(size, min)) {
		pr_err("invalid pool_size=%s: must be a multiple of min_block (%llu) from %llu bytes up to half of RAM (%llu), with an optional K/M/G suffix\n",
		       pool_size ? pool_size : "", min, min, buddy_half_ram());
		return -EINVAL;
	}
	max = size;
	if (pool_max && (!buddy_parse_size(pool_max, &max) ||
			 !buddy_max_ok(size, max, min))) {
		pr_err("invalid pool_max=%s: must be pool_size (%llu) or more, a multiple of min_block up to half of RAM (%llu), with pool_size a multiple of %lu bytes when larger\n",
		       pool_max, size, buddy_half_ram(), CHUNK_BYTES);
		return -EINVAL;
	}
	ret = buddy_fault_init();
	if (ret)
		return ret;

	ret = buddy_pools_init();
	if (ret) {
		pr_err("cannot register the CPU hotplug callback (%d)\n", ret);
		buddy_fault_exit();
		return ret;
	}
	buddy_debugfs_init();
	pool = add_pool("default", size, max, min, cache);
	if (IS_ERR(pool)) {
		pr_err("cannot reserve pool_size=%s for the default pool: %s (%ld)\n",
		       pool_size, PTR_ERR(pool) == -ENOMEM ?
		       "alloc_pages() failed, out of memory" : "error",
		       PTR_ERR(pool));
		buddy_debugfs_exit();
		buddy_pools_exit();
		buddy_fault_exit();
		return PTR_ERR(pool);
	}
	default_pool = pool;
	pr_info("default pool: %llu bytes in %u chunks, min_block %llu, max %llu bytes\n",
		size, pool->nr_chunks, min, max);
	return 0;
}

static void __exit buddy_exit(void)
{
	struct buddy_pool *pool;

	/*
	 * Client modules hold a reference on buddy.ko while loaded, so only
	 * pools a client forgot to destroy can remain besides the default.
	 */
	while ((pool = buddy_pools_first())) {
		if (pool != default_pool)
			pr_warn("pool %s was never destroyed\n", pool->name);
		buddy_pool_destroy(pool);
	}
	default_pool = NULL;
	buddy_debugfs_exit();
	buddy_pools_exit();
	buddy_fault_exit();
}

module_init(buddy_init);
module_exit(buddy_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The buddy developers");
MODULE_DESCRIPTION("Buddy allocator over memory reserved with alloc_pages()");
MODULE_VERSION("0.2");
/* modinfo shows what a client imports, not what we export: say it here. */
MODULE_INFO(export_ns, "BUDDY");
