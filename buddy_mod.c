// SPDX-License-Identifier: GPL-2.0
/*
 * buddy.ko's glue: the module parameters and the default pool, init and
 * exit, and the exported create and destroy, which tie a pool to its
 * debugfs directory. Pools are in buddy_pool.c, the allocation paths in
 * buddy_alloc.c, the checker and statistics in buddy_check.c, the buddy
 * core itself in buddy_core.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"

static char *pool_size;
module_param(pool_size, charp, 0444);
MODULE_PARM_DESC(pool_size,
		 "Bytes in the default pool, with K/M/G suffix (default 4M; for reserve_mem=, the region's size)");

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

static bool contig;
module_param(contig, bool, 0444);
MODULE_PARM_DESC(contig,
		 "Make the default pool one physically contiguous region, found with alloc_contig_range() (default N)");

/* Root only: a physical address says where the kernel's memory is. */
static unsigned long long phys;
module_param(phys, ullong, 0400);
MODULE_PARM_DESC(phys,
		 "Make the default pool the pool_size bytes at this physical address, set aside at boot with memmap=SIZE$ADDR (default 0: none)");

static char *reserve_mem;
module_param(reserve_mem, charp, 0444);
MODULE_PARM_DESC(reserve_mem,
		 "Make the default pool the region of this name set aside at boot with reserve_mem=SIZE:ALIGN:NAME (Linux 6.11 on)");

static bool user;
module_param(user, bool, 0444);
MODULE_PARM_DESC(user,
		 "Let user space allocate from the default pool through /dev/buddy (default N)");

static struct buddy_pool *default_pool;

/**
 * buddy_pool_create_full() - reserve memory and make a pool, as described
 * @info: what to make; see struct buddy_pool_info. Only read during the
 *	call.
 *
 * The memory is reserved with alloc_pages() in chunks of at most the
 * largest page order (4 MiB on x86-64), each naturally aligned; no block
 * spans two chunks. A contiguous pool (BUDDY_POOL_CONTIG, @info->phys or
 * @info->reserve_mem) is one region instead, found at run time by a
 * bounded search for a range alloc_contig_range() can take, aligned to
 * 4 MiB (or to its own size, if smaller), or set aside at boot; its
 * blocks go up to the largest power of two in its size, and a size that
 * is not a power of two is carved into the largest naturally aligned
 * blocks, in offset order. A pool with a device has each chunk (or its
 * region) where the device can reach it and mapped for it once, so that a
 * block's device address is its chunk's plus its offset
 * (buddy_dma_addr()). Unless BUDDY_POOL_NO_CACHE is set, the pool gets
 * per-CPU caches sized from @info->size (see buddy_pool_set_cache()).
 * Every refusal is explained in the kernel log. Behind an IOMMU in lazy
 * mode, a creation right after one that ran out of I/O addresses below
 * the mask may fail as well, until the IOMMU's deferred frees run (tens
 * of ms): the IOVA allocator refuses a size that failed until an address
 * below 4 GiB is freed.
 *
 * Context: Process context; sleeps.
 * Return: the pool; ERR_PTR(-EINVAL) for a NULL @info, a bad name, size,
 * max_size, min_block, node or flags, a device without a DMA mask, a
 * min_block below the device's DMA cache alignment, or a boot-time range
 * that is not wholly reserved memory outside System RAM;
 * ERR_PTR(-EOPNOTSUPP) for BUDDY_POOL_USER, a contiguous pool that could
 * grow, a device with a boot-time region, or reserve_mem before 6.11;
 * ERR_PTR(-ENOENT) for an unknown reserve_mem name; ERR_PTR(-EEXIST) if a
 * pool of that name exists; ERR_PTR(-EBUSY) if no contiguous range was
 * found in the time allowed, or the boot-time range overlaps another
 * pool's; ERR_PTR(-ENOMEM) if the memory cannot be had (for a device:
 * where it can reach it, mapped without a bounce buffer). Nothing is left
 * reserved or mapped on failure.
 */
struct buddy_pool *buddy_pool_create_full(const struct buddy_pool_info *info)
{
	struct buddy_pool *pool = buddy_pool_new(info);

	if (!IS_ERR(pool))
		buddy_debugfs_add(pool);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_create_full, BUDDY_NS);

static void devm_pool_release(struct device *dev, void *res)
{
	buddy_pool_destroy(*(struct buddy_pool **)res);
}

/**
 * devm_buddy_pool_create() - buddy_pool_create_full(), undone on unbind
 * @dev: the device whose driver owns the pool
 * @info: as for buddy_pool_create_full(); @info->dev, if set, is the
 *	device that DMAs (usually @dev), else the pool is for the CPU only
 *
 * The pool is destroyed when @dev's driver unbinds (or its probe fails),
 * as dmam_pool_create() does for a dma_pool. buddy_pool_destroy() must not
 * be called on it.
 *
 * Context: Process context; sleeps.
 * Return: as for buddy_pool_create_full(); ERR_PTR(-EINVAL), with a
 * warning, for a NULL @dev.
 */
struct buddy_pool *devm_buddy_pool_create(struct device *dev,
					  const struct buddy_pool_info *info)
{
	struct buddy_pool **res, *pool;

	if (WARN_ON_ONCE(!dev))
		return ERR_PTR(-EINVAL);
	res = devres_alloc(devm_pool_release, sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	pool = buddy_pool_create_full(info);
	if (IS_ERR(pool)) {
		devres_free(res);
		return pool;
	}
	*res = pool;
	devres_add(dev, res);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(devm_buddy_pool_create, BUDDY_NS);

/**
 * buddy_pool_create() - reserve memory and make a new pool of it
 * @name: 1 to BUDDY_NAME_MAX characters of [A-Za-z0-9_-]; also the name
 *	of the pool's debugfs directory
 * @size: bytes to manage, a multiple of @min_block and at most half of RAM
 * @min_block: bytes in the smallest block: a power of two from 16 up to
 *	the largest alloc_pages() block
 *
 * buddy_pool_create_full() for memory the CPU alone uses, on any node,
 * with per-CPU caches.
 *
 * Context: Process context; sleeps.
 * Return: as for buddy_pool_create_full().
 */
struct buddy_pool *buddy_pool_create(const char *name, size_t size,
				     size_t min_block)
{
	return buddy_pool_create_max(name, size, size, min_block);
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
 * Return: as for buddy_pool_create_full().
 */
struct buddy_pool *buddy_pool_create_max(const char *name, size_t size,
					 size_t max_size, size_t min_block)
{
	struct buddy_pool_info info = {
		.name = name,
		.size = size,
		.max_size = max_size,
		.min_block = min_block,
		.node = NUMA_NO_NODE,
	};

	/* 0 means a default to create_full(), but was always refused here. */
	if (!max_size || !min_block) {
		pr_err("pool %.*s: max_size and min_block must not be 0\n",
		       BUDDY_NAME_MAX + 1, name ? name : "");
		return ERR_PTR(-EINVAL);
	}
	return buddy_pool_create_full(&info);
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

/*
 * Check the default pool's parameters and describe it in @info; an error
 * names the parameter, as every refusal of a bad one does.
 */
static int __init default_info(struct buddy_pool_info *info)
{
	bool boot = phys || reserve_mem;
	u64 size = SZ_4M, max, min = PAGE_SIZE;

	if (min_block && (!buddy_parse_size(min_block, &min) ||
			  !buddy_min_block_ok(min))) {
		pr_err("invalid min_block=%s: must be a power of two from %u to %lu bytes\n",
		       min_block, BUDDY_CORE_MIN_BLOCK, CHUNK_BYTES);
		return -EINVAL;
	}
	if (phys && reserve_mem) {
		pr_err("invalid reserve_mem=%s: must be left out with phys=\n",
		       reserve_mem);
		return -EINVAL;
	}
	if (phys && !pool_size) {
		pr_err("invalid phys=%#llx: must be given with pool_size=, the size of the region\n",
		       phys);
		return -EINVAL;
	}
	if (reserve_mem && !pool_size)
		size = 0;
	/* A boot-time region is not RAM, so half of RAM does not bound it. */
	if (pool_size && (!buddy_parse_size(pool_size, &size) ||
			  !(boot ? size && size % min == 0 :
			    buddy_size_ok(size, min)))) {
		pr_err("invalid pool_size=%s: must be a multiple of min_block (%llu) from %llu bytes up to half of RAM (%llu), with an optional K/M/G suffix\n",
		       pool_size, min, min, buddy_half_ram());
		return -EINVAL;
	}
	max = size;
	if (pool_max && (!buddy_parse_size(pool_max, &max) ||
			 !buddy_max_ok(size, max, min))) {
		pr_err("invalid pool_max=%s: must be pool_size (%llu) or more, a multiple of min_block up to half of RAM (%llu), with pool_size a multiple of %lu bytes when larger\n",
		       pool_max, size, buddy_half_ram(), CHUNK_BYTES);
		return -EINVAL;
	}
	if ((contig || boot) && max != size) {
		pr_err("invalid pool_max=%s: must be pool_size, as a contiguous pool (contig=1, phys=, reserve_mem=) cannot grow\n",
		       pool_max);
		return -EINVAL;
	}
	*info = (struct buddy_pool_info){
		.name = "default",
		.size = size,
		.max_size = max,
		.min_block = min,
		.node = NUMA_NO_NODE,
		.flags = (cache ? 0 : BUDDY_POOL_NO_CACHE) |
			 (contig ? BUDDY_POOL_CONTIG : 0) |
			 (user ? BUDDY_POOL_USER : 0),
		.phys = phys,
		.reserve_mem = reserve_mem,
	};
	return 0;
}

static int __init buddy_init(void)
{
	struct buddy_pool_info info;
	struct buddy_pool *pool;
	int ret;

	ret = default_info(&info);
	if (ret)
		return ret;
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
	pool = buddy_pool_create_full(&info);
	if (IS_ERR(pool)) {
		pr_err("cannot make the default pool of %s bytes: %s (%ld)\n",
		       pool_size ? pool_size : "4M", PTR_ERR(pool) == -ENOMEM ?
		       "out of memory" : "see above", PTR_ERR(pool));
		buddy_debugfs_exit();
		buddy_pools_exit();
		buddy_fault_exit();
		return PTR_ERR(pool);
	}
	ret = buddy_user_init();
	if (ret) {
		pr_err("cannot register /dev/buddy (%d)\n", ret);
		buddy_pool_destroy(pool);
		buddy_debugfs_exit();
		buddy_pools_exit();
		buddy_fault_exit();
		return ret;
	}
	default_pool = pool;
	pr_info("default pool: %zu bytes in %s, min_block %zu, max %zu bytes\n",
		pool->size, pool->region == BUDDY_REGION_CHUNKS ? "chunks" :
		"one contiguous region", info.min_block, pool->max_size);
	return 0;
}

static void __exit buddy_exit(void)
{
	struct buddy_pool *pool;

	/* No user buffer lives: each holds the module. */
	buddy_user_exit();
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
