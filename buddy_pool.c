// SPDX-License-Identifier: GPL-2.0
/*
 * Pools: their names and sizes, the list of them, the chunks of
 * alloc_pages() memory each one reserves, the table that finds a pointer's
 * chunk, and growing and shrinking by whole chunks. The allocation paths
 * are in buddy_alloc.c.
 *
 * Lock order:
 *   buddy_pools_lock (mutex: the list of pools and their names; held
 *   across a new pool's reservation, which sleeps and allocates)
 *     pool->ctl_lock (mutex: debugfs ctl allocations)
 *       pool->resize_lock (mutex: grow and shrink; they allocate and
 *       free chunks under it)
 *         pool->lock (raw spinlock, irqsave: the core state; nothing
 *         under it sleeps, prints or allocates)
 *   pool->dev_lock (mutex: a pool's device, against a destroy that user
 *   buffers outlive; see buddy_user.c) is taken alone here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"
#include "buddy_trace.h"

static DEFINE_MUTEX(buddy_pools_lock);
static LIST_HEAD(buddy_pools);

/*
 * Boot-time regions of destroyed pools that clients still held blocks
 * of: kept, and never to be handed out again by a new pool. Under
 * buddy_pools_lock; freed at module exit.
 */
struct kept_region {
	struct list_head node;
	phys_addr_t phys;
	u64 len;
};

static LIST_HEAD(kept_regions);
static enum cpuhp_state buddy_cpuhp_state;

static bool name_ok(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, BUDDY_NAME_MAX + 1);
	if (!len || len > BUDDY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	}
	return true;
}

u64 buddy_half_ram(void)
{
	return ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_half_ram);

bool buddy_min_block_ok(size_t min)
{
	return min >= BUDDY_CORE_MIN_BLOCK && min <= CHUNK_BYTES &&
	       is_power_of_2(min);
}

bool buddy_size_ok(size_t size, size_t min)
{
	return size && size % min == 0 && size <= buddy_half_ram() &&
	       buddy_core_meta_size(size, min);
}

static struct buddy_pool *find_pool(const char *name)
{
	struct buddy_pool *pool;

	lockdep_assert_held(&buddy_pools_lock);
	list_for_each_entry(pool, &buddy_pools, node) {
		if (!strcmp(pool->name, name))
			return pool;
	}
	return NULL;
}

/*
 * Does @len bytes at @phys overlap the region of a contiguous pool other
 * than @pool? The caller holds buddy_pools_lock.
 */
bool buddy_region_overlaps(struct buddy_pool *pool, phys_addr_t phys,
			   u64 len)
{
	struct kept_region *k;
	struct buddy_pool *p;

	lockdep_assert_held(&buddy_pools_lock);
	list_for_each_entry(p, &buddy_pools, node) {
		if (p != pool && p->region != BUDDY_REGION_CHUNKS &&
		    phys < p->phys + PAGE_ALIGN(p->max_size) &&
		    p->phys < phys + len)
			return true;
	}
	list_for_each_entry(k, &kept_regions, node) {
		if (phys < k->phys + k->len && k->phys < phys + len)
			return true;
	}
	return false;
}

/* Free the pages of chunk @slot, as the page allocator gave them. */
static void put_pages(struct buddy_pool *pool, unsigned int slot,
		      struct page *page)
{
	unsigned long len = chunk_len(pool, slot);
	unsigned int order = get_order(len);
	unsigned long nr = DIV_ROUND_UP(len, PAGE_SIZE), j;

	/* A short tail chunk, or a user pool's, was split when reserved. */
	if (nr == 1UL << order && !test_bit(slot, pool->split)) {
		__free_pages(page, order);
		return;
	}
	for (j = 0; j < nr; j++)
		__free_page(page + j);
}

/* Give back chunk @slot, at @addr: unmapped, then its pages freed. */
static void free_chunk(struct buddy_pool *pool, unsigned int slot, void *addr)
{
	buddy_dma_unmap(pool, slot, chunk_len(pool, slot));
	/* Back as the page allocator gave it, whatever clients left. */
	buddy_unpoison(pool, addr, chunk_len(pool, slot));
	put_pages(pool, slot, virt_to_page(addr));
}

/*
 * Reserve chunk @slot: the smallest block of pages that holds it, on the
 * pool's node by preference and where its device can reach it, with the
 * unused pages of a short tail chunk given straight back; zeroed, mapped
 * for the device, and poisoned as free for KASAN. Return its address, or
 * NULL.
 */
static void *alloc_chunk(struct buddy_pool *pool, unsigned int slot)
{
	/* Zeroed, so that every free block starts known to be zero. */
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL |
		    __GFP_ZERO;
	unsigned long len = chunk_len(pool, slot);
	unsigned int order = get_order(len);
	unsigned long nr = DIV_ROUND_UP(len, PAGE_SIZE), j;
	bool split = false;
	struct page *page;

	if (pool->dev)
		page = buddy_dma_pages(pool, order, gfp, &split);
	else
		page = alloc_pages_node(pool->nid, gfp, order);
	if (!page)
		return NULL;
	/* A user pool's pages are mapped one by one, each counted. */
	if (!split && (nr != 1UL << order || pool->user)) {
		split_page(page, order);
		split = true;
	}
	for (j = nr; j < 1UL << order; j++)
		__free_page(page + j);
	__assign_bit(slot, pool->split, split);
	if (buddy_dma_map(pool, slot, page_address(page), len)) {
		put_pages(pool, slot, page);
		return NULL;
	}
	buddy_poison_free(pool, page_address(page), len);
	return page_address(page);
}

static void free_dir(struct buddy_pool *pool)
{
	unsigned long t;

	for (t = 0; pool->chunk_dir && t < pool->dir_len; t++)
		kfree(pool->chunk_dir[t]);
	kvfree(pool->chunk_dir);
	pool->chunk_dir = NULL;
}

/*
 * The table slot of the chunk at @addr, its second-level table allocated
 * if need be; NULL if @addr lies outside the table or memory is short.
 */
static u32 *dir_slot(struct buddy_pool *pool, void *addr)
{
	unsigned long rel = (unsigned long)addr - pool->dir_base;
	unsigned long t = rel >> DIR_SHIFT;
	u32 *tab;

	if (t >= pool->dir_len)
		return NULL;
	tab = pool->chunk_dir[t];
	if (!tab) {
		tab = kcalloc(DIR_SLOTS, sizeof(u32), GFP_KERNEL);
		if (!tab)
			return NULL;
		/* Lock-free readers see a zeroed table or none. */
		smp_store_release(&pool->chunk_dir[t], tab);
	}
	return tab + ((rel >> CHUNK_SHIFT) & (DIR_SLOTS - 1));
}

/*
 * Set up the address-to-chunk table and enter the chunks present. A chunk
 * is naturally aligned to its own size, at most CHUNK_BYTES, so it lies
 * in one chunk-sized slot of the direct map and no other chunk shares
 * that slot. A pool that can grow cannot know where its next chunks will
 * be, so its table spans the whole direct map: a pointer per GiB of it.
 * A contiguous pool's table starts at its region, whose kernel address
 * (memremap()'s, for a boot-time region) need not be aligned: its chunk
 * slots then fall one per table slot all the same.
 */
static int build_dir(struct buddy_pool *pool)
{
	unsigned long lo = ULONG_MAX, hi = 0;
	unsigned int i;

	if (pool->max_size > pool->size) {
		lo = PAGE_OFFSET;
		hi = (unsigned long)high_memory - 1;
	}
	for (i = 0; i < pool->nr_slots; i++) {
		if (!pool->chunks[i])
			continue;
		lo = min_t(unsigned long, lo, (unsigned long)pool->chunks[i]);
		hi = max_t(unsigned long, hi, (unsigned long)pool->chunks[i]);
	}
	pool->dir_base = pool->region == BUDDY_REGION_CHUNKS ?
			 round_down(lo, BIT(DIR_SHIFT)) : lo;
	pool->dir_len = ((hi - pool->dir_base) >> DIR_SHIFT) + 1;
	pool->chunk_dir = kvcalloc(pool->dir_len, sizeof(*pool->chunk_dir),
				   GFP_KERNEL);
	if (!pool->chunk_dir)
		return -ENOMEM;
	for (i = 0; i < pool->nr_slots; i++) {
		u32 *slot;

		if (!pool->chunks[i])
			continue;
		slot = dir_slot(pool, pool->chunks[i]);
		if (!slot || WARN_ON_ONCE(*slot))
			goto out_free_dir;
		*slot = i + 1;
	}
	return 0;

out_free_dir:
	free_dir(pool);
	return -ENOMEM;
}

/**
 * buddy_pool_offset() - offset within the pool of a pool address
 * @pool: the pool
 * @ptr: an address that may lie in one of the pool's chunks
 *
 * Any byte of a chunk present in the pool has an offset, not only the
 * start of a block; the offsets are those debugfs shows, and a chunk keeps
 * its range of offsets for as long as it is in the pool. Two table
 * lookups, whatever the number of chunks.
 *
 * Context: Any context; takes no lock.
 * Return: the offset, or U64_MAX if @ptr is not inside the pool.
 */
u64 buddy_pool_offset(struct buddy_pool *pool, const void *ptr)
{
	return pool_offset(pool, ptr);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_offset, BUDDY_NS);

/**
 * buddy_pool_addr() - kernel address of a pool offset
 * @pool: the pool
 * @offset: an offset, as buddy_pool_offset() and debugfs give them
 *
 * Context: Any context; takes no lock.
 * Return: the address, or NULL if no chunk present in the pool holds
 * @offset.
 */
void *buddy_pool_addr(struct buddy_pool *pool, u64 offset)
{
	unsigned int chunk;
	unsigned char *start;

	if (IS_ERR_OR_NULL(pool) || offset >= pool->max_size)
		return NULL;
	chunk = (unsigned int)(offset >> CHUNK_SHIFT);
	start = READ_ONCE(pool->chunks[chunk]);
	if (!start)
		return NULL;
	return start + (offset & (CHUNK_BYTES - 1));
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_addr, BUDDY_NS);

/* Undo use_region(): unmap a contiguous pool's region, and unpoison it. */
static void unuse_region(struct buddy_pool *pool)
{
	u64 len = PAGE_ALIGN(pool->max_size);

	buddy_dma_unmap(pool, 0, len);
	buddy_unpoison(pool, pool->chunks[0], len);
}

/* Give back a contiguous pool's region, unmapped and unpoisoned. */
static void free_region(struct buddy_pool *pool)
{
	unuse_region(pool);
	buddy_region_put(pool, pool->chunks[0], pool->phys,
			 PAGE_ALIGN(pool->max_size));
}

/*
 * Make a contiguous pool's region its memory: its chunk slots are the
 * region's CHUNK_BYTES pieces, it is zeroed, mapped once for the device
 * (so that any block has one range of device addresses), and poisoned as
 * free. On error the caller still owns the region.
 */
static int use_region(struct buddy_pool *pool, void *addr, phys_addr_t phys,
		      u64 len)
{
	unsigned int i;
	int ret;

	for (i = 0; i < pool->nr_slots; i++)
		pool->chunks[i] = addr + ((size_t)i << CHUNK_SHIFT);
	pool->phys = phys;
	pool->poison = virt_addr_valid(addr);
	/* Under init_on_alloc, alloc_contig_range() zeroed its pages. */
	if (pool->region == BUDDY_REGION_BOOT || !want_init_on_alloc(GFP_KERNEL))
		buddy_region_zero(addr, len);
	ret = buddy_dma_map(pool, 0, addr, len);
	if (ret)
		return ret;
	for (i = 1; pool->dev && i < pool->nr_slots; i++)
		pool->chunk_dma[i] = pool->chunk_dma[0] +
				     ((dma_addr_t)i << CHUNK_SHIFT);
	buddy_poison_free(pool, addr, len);
	return 0;
}

/*
 * Lay out a pool of @info->max_size bytes, bind it to its device, and
 * reserve the chunks of the first @info->size bytes; the core sees the
 * rest as absent chunk slots. A contiguous pool's region is one core
 * chunk; a boot-time one sets @info's sizes.
 */
static int reserve_chunks(struct buddy_pool *pool,
			  struct buddy_pool_info *info)
{
	bool contig = info->flags & BUDDY_POOL_CONTIG;
	bool boot = info->phys || info->reserve_mem;
	size_t size, max_size, min = info->min_block, meta_size;
	unsigned int i = 0, present;
	void *region = NULL;
	phys_addr_t phys;
	u64 len;
	int ret;

	pool->poison = true;
	if (boot) {
		/* Its size is known once it is found. */
		region = buddy_region_get(pool, info, &phys, &len);
		if (IS_ERR(region))
			return PTR_ERR(region);
		info->size = len;
		info->max_size = len;
		if (len % min || !buddy_core_meta_size(len, min)) {
			pr_err("pool %s: a region of %llu bytes is not a multiple of min_block (%zu) or has 2^31 of them or more\n",
			       pool->name, len, min);
			ret = -EINVAL;
			goto out_put_region;
		}
	}
	size = info->size;
	max_size = info->max_size;
	meta_size = buddy_core_meta_size(max_size, min);
	present = DIV_ROUND_UP(size, CHUNK_BYTES);
	pool->size = size;
	pool->floor = size;
	pool->max_size = max_size;
	pool->chunk_shift = contig ? order_base_2(max_size) : CHUNK_SHIFT;
	pool->min_shift = ilog2(min);
	pool->chunk_bits = CHUNK_SHIFT - pool->min_shift;
	pool->nr_chunks = present;
	pool->nr_slots = DIV_ROUND_UP(max_size, CHUNK_BYTES);
	ret = -ENOMEM;
	pool->chunks = kcalloc(pool->nr_slots, sizeof(*pool->chunks), GFP_KERNEL);
	if (!pool->chunks)
		goto out_put_region;
	pool->split = bitmap_zalloc(pool->nr_slots, GFP_KERNEL);
	if (!pool->split)
		goto out_free_array;
	pool->meta = kvzalloc(meta_size, GFP_KERNEL);
	if (!pool->meta)
		goto out_free_split;
	if (info->dev) {
		ret = buddy_dma_init(pool, info->dev);
		if (ret)
			goto out_free_meta;
	}
	if (contig) {
		/* At run time, searched where the device can reach. */
		if (!boot) {
			region = buddy_region_get(pool, info, &phys, &len);
			if (IS_ERR(region)) {
				ret = PTR_ERR(region);
				goto out_dma_exit;
			}
		}
		ret = use_region(pool, region, phys, len);
		if (ret)
			goto out_dma_exit;
		i = present;
	}
	ret = -ENOMEM;
	for (; i < present; i++) {
		/* Only the last chunk of a pool that cannot grow is short. */
		pool->chunks[i] = alloc_chunk(pool, i);
		if (!pool->chunks[i]) {
			/* Without a device, -ENOMEM says it all. */
			if (pool->dev)
				pr_err("pool %s: cannot reserve chunk %u of %u (%lu bytes) that %s can reach (DMA limit %#llx%s)\n",
				       pool->name, i + 1, present,
				       chunk_len(pool, i), dev_name(pool->dev),
				       pool->dma_limit, pool->dma_direct ?
				       ", no IOMMU" : ", through its IOMMU");
			goto out_free_chunks;
		}
	}
	ret = build_dir(pool);
	if (ret)
		goto out_free_chunks;
	ret = buddy_core_init(&pool->core, max_size, min,
			      contig ? BUDDY_CORE_ONE_CHUNK : CHUNK_SHIFT,
			      pool->chunks, pool->meta, meta_size);
	if (WARN_ON_ONCE(ret))
		goto out_free_dir;
	buddy_core_set_zeroed(&pool->core, 0, max_size);
	return 0;

out_free_dir:
	free_dir(pool);
out_free_chunks:
	if (contig)
		unuse_region(pool);
	else
		while (i--)
			free_chunk(pool, i, pool->chunks[i]);
out_dma_exit:
	if (pool->dev)
		buddy_dma_exit(pool);
out_free_meta:
	kvfree(pool->meta);
out_free_split:
	bitmap_free(pool->split);
out_free_array:
	kfree(pool->chunks);
out_put_region:
	if (!IS_ERR_OR_NULL(region))
		buddy_region_put(pool, region, phys, len);
	return ret;
}

/* Free what reserve_chunks() set up, once its chunks are gone. */
static void unreserve(struct buddy_pool *pool)
{
	free_dir(pool);
	/* A destroy that user buffers outlived took the device already. */
	buddy_dma_exit(pool);
	kvfree(pool->meta);
	bitmap_free(pool->split);
	kfree(pool->chunks);
}

/*
 * Give back every chunk that holds no allocated block, and return how many
 * chunks had to stay reserved because a client still owns memory in them.
 */
static unsigned int release_chunks(struct buddy_pool *pool)
{
	unsigned int i, kept = 0;

	/* A region goes whole, or stays whole. */
	if (pool->region != BUDDY_REGION_CHUNKS) {
		if (buddy_core_remove_chunk(&pool->core, 0))
			return pool->nr_chunks;
		free_region(pool);
		return 0;
	}
	for (i = 0; i < pool->nr_slots; i++) {
		if (!pool->chunks[i])
			continue;
		/* The core takes a chunk out only if all of it is free. */
		if (buddy_core_remove_chunk(&pool->core, i))
			kept++;
		else
			free_chunk(pool, i, pool->chunks[i]);
	}
	return kept;
}

/* Can a pool be created @size bytes large and grow to @max_size? */
bool buddy_max_ok(size_t size, size_t max_size, size_t min)
{
	if (max_size == size)
		return true;
	/* Only whole chunks come and go. */
	return max_size > size && buddy_size_ok(max_size, min) &&
	       size % CHUNK_BYTES == 0;
}

/* Why @info cannot make a pool, said in the log; 0 if it can. */
static int info_error(const struct buddy_pool_info *info)
{
	const char *name = info->name;
	size_t min = info->min_block;

	if (!name_ok(name)) {
		pr_err("bad pool name \"%.*s\": 1 to %u characters of A-Z, a-z, 0-9, _ and -\n",
		       BUDDY_NAME_MAX + 1, name ? name : "", BUDDY_NAME_MAX);
		return -EINVAL;
	}
	if (info->flags & ~(BUDDY_POOL_NO_CACHE | BUDDY_POOL_CONTIG |
			    BUDDY_POOL_USER)) {
		pr_err("pool %s: unknown flags %#x\n", name, info->flags);
		return -EINVAL;
	}
	if ((info->flags & BUDDY_POOL_CONTIG) &&
	    info->max_size != info->size) {
		pr_err("pool %s: a contiguous pool cannot grow: max_size %zu must be size (%zu) or 0\n",
		       name, info->max_size, info->size);
		return -EOPNOTSUPP;
	}
	if (info->phys && info->reserve_mem) {
		pr_err("pool %s: give phys or reserve_mem, not both\n", name);
		return -EINVAL;
	}
	if ((info->phys || info->reserve_mem) && info->dev) {
		pr_err("pool %s: a pool over a boot-time region cannot have a device\n",
		       name);
		return -EOPNOTSUPP;
	}
	if ((info->flags & BUDDY_POOL_USER) &&
	    !IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)) {
		pr_err("pool %s: a user pool (BUDDY_POOL_USER) needs a kernel with dma-buf (CONFIG_DMA_SHARED_BUFFER)\n",
		       name);
		return -EOPNOTSUPP;
	}
	if ((info->phys || info->reserve_mem) &&
	    (info->flags & BUDDY_POOL_USER)) {
		pr_err("pool %s: a pool over a boot-time region cannot be a user pool (BUDDY_POOL_USER): its pages are not the kernel's to count\n",
		       name);
		return -EOPNOTSUPP;
	}
	if (info->node != NUMA_NO_NODE &&
	    (info->node < 0 || info->node >= MAX_NUMNODES ||
	     !node_online(info->node))) {
		pr_err("pool %s: node %d is not an online NUMA node\n", name,
		       info->node);
		return -EINVAL;
	}
	if (!buddy_min_block_ok(min)) {
		pr_err("pool %s: min_block %zu is not a power of two from %u to %lu\n",
		       name, min, BUDDY_CORE_MIN_BLOCK, CHUNK_BYTES);
		return -EINVAL;
	}
	/* A boot-time region's size is checked when it is found. */
	if (info->phys || info->reserve_mem)
		return 0;
	if (!buddy_size_ok(info->size, min)) {
		pr_err("pool %s: size %zu is not a multiple of min_block (%zu) up to half of RAM (%llu)\n",
		       name, info->size, min, buddy_half_ram());
		return -EINVAL;
	}
	if (!buddy_max_ok(info->size, info->max_size, min)) {
		pr_err("pool %s: max_size %zu is not size or more, a multiple of min_block up to half of RAM, with size a whole number of %lu-byte chunks\n",
		       name, info->max_size, CHUNK_BYTES);
		return -EINVAL;
	}
	return 0;
}

/*
 * A new pool, on the list of pools but without its debugfs directory: see
 * buddy_pool_create_full() for @info and the errors.
 */
struct buddy_pool *buddy_pool_new(const struct buddy_pool_info *info)
{
	struct buddy_pool_info in;
	struct buddy_pool *pool;
	int ret, dev_node;

	if (!info) {
		pr_err("buddy_pool_create_full() without a struct buddy_pool_info\n");
		return ERR_PTR(-EINVAL);
	}
	/* The zeros that mean a default, resolved. */
	in = *info;
	if (!in.min_block)
		in.min_block = PAGE_SIZE;
	if (!in.max_size)
		in.max_size = in.size;
	/* A region set aside at boot is contiguous. */
	if (in.phys || in.reserve_mem)
		in.flags |= BUDDY_POOL_CONTIG;
	/* The device's node, if it is one we can reserve on. */
	dev_node = in.dev ? dev_to_node(in.dev) : NUMA_NO_NODE;
	if (in.node == NUMA_NO_NODE && dev_node != NUMA_NO_NODE &&
	    node_online(dev_node))
		in.node = dev_node;
	ret = info_error(&in);
	if (ret)
		return ERR_PTR(ret);
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&pool->lock);
	mutex_init(&pool->resize_lock);
	mutex_init(&pool->ctl_lock);
	mutex_init(&pool->dev_lock);
	INIT_LIST_HEAD(&pool->ctl);
	strscpy(pool->name, in.name, sizeof(pool->name));
	pool->nid = in.node;
	pool->user = in.flags & BUDDY_POOL_USER;
	refcount_set(&pool->refs, 1);

	mutex_lock(&buddy_pools_lock);
	if (find_pool(in.name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = reserve_chunks(pool, &in);
	if (ret)
		goto out_unlock;
	ret = buddy_caches_init(pool, !(in.flags & BUDDY_POOL_NO_CACHE));
	if (ret)
		goto out_release;
	ret = cpuhp_state_add_instance_nocalls(buddy_cpuhp_state, &pool->cpuhp);
	if (ret)
		goto out_free_caches;
	list_add_tail(&pool->node, &buddy_pools);
	mutex_unlock(&buddy_pools_lock);
	return pool;

out_free_caches:
	buddy_caches_free(pool);
out_release:
	release_chunks(pool);
	unreserve(pool);
out_unlock:
	mutex_unlock(&buddy_pools_lock);
	mutex_destroy(&pool->dev_lock);
	mutex_destroy(&pool->ctl_lock);
	mutex_destroy(&pool->resize_lock);
	kfree(pool);
	return ERR_PTR(ret);
}

/*
 * Give back the chunks of @pool, off the list and without references,
 * keeping only those that clients still own memory in. The caller holds
 * buddy_pools_lock throughout, so that no new pool takes a region that
 * stays kept; free_pool() follows, without it.
 */
static void release_pool(struct buddy_pool *pool)
{
	struct kept_region *k;
	unsigned int kept;
	u64 live, bytes;

	lockdep_assert_held(&buddy_pools_lock);
	cpuhp_state_remove_instance_nocalls(buddy_cpuhp_state, &pool->cpuhp);

	/* With the caches empty, what the core holds is what clients hold. */
	buddy_pool_drain(pool);
	live = pool->core.nr_allocs - pool->core.nr_frees;
	bytes = buddy_core_used_bytes(&pool->core);
	kept = release_chunks(pool);
	if (live)
		pr_warn("pool %s destroyed with %llu blocks (%llu bytes) still allocated; keeping %u of %u chunks reserved\n",
			pool->name, live, bytes, kept, pool->nr_chunks);
	if (kept && pool->region == BUDDY_REGION_BOOT) {
		k = kzalloc(sizeof(*k), GFP_KERNEL | __GFP_NOFAIL);
		k->phys = pool->phys;
		k->len = pool->max_size;
		list_add(&k->node, &kept_regions);
	}
}

/* Free what is left of @pool after release_pool(). */
static void free_pool(struct buddy_pool *pool)
{
	buddy_caches_free(pool);
	unreserve(pool);
	mutex_destroy(&pool->dev_lock);
	mutex_destroy(&pool->ctl_lock);
	mutex_destroy(&pool->resize_lock);
	kfree(pool);
}

/*
 * Unmap every chunk of @pool from its device and forget the device, for a
 * destroy that user buffers outlive: the device may go once its driver
 * has destroyed the pool, the buffers' memory stays.
 */
static void detach_dev(struct buddy_pool *pool)
{
	unsigned int i;

	mutex_lock(&pool->dev_lock);
	if (pool->region != BUDDY_REGION_CHUNKS)
		buddy_dma_unmap(pool, 0, PAGE_ALIGN(pool->max_size));
	else
		for (i = 0; i < pool->nr_slots; i++)
			if (pool->chunks[i])
				buddy_dma_unmap(pool, i, chunk_len(pool, i));
	/* Pairs with the READ_ONCE() of BUDDY_IOC_POOL_INFO. */
	WRITE_ONCE(pool->dev, NULL);
	mutex_unlock(&pool->dev_lock);
}

/*
 * Take @pool off the list of pools and free it, keeping only the chunks
 * that clients still own memory in; its debugfs directory is gone. While
 * user buffers live, only the first happens now (and the device is let
 * go): the last buffer's buddy_pool_put() frees the pool.
 */
void buddy_pool_free(struct buddy_pool *pool)
{
	mutex_lock(&buddy_pools_lock);
	list_del(&pool->node);
	/* No buffer: held throughout, so no new pool takes a kept region. */
	if (refcount_dec_if_one(&pool->refs)) {
		release_pool(pool);
		mutex_unlock(&buddy_pools_lock);
		free_pool(pool);
		return;
	}
	mutex_unlock(&buddy_pools_lock);
	/*
	 * Off the list, nothing takes a new reference; the list's, still
	 * ours, keeps the pool while its device goes. (Never a boot-time
	 * region: those have no user buffers.)
	 */
	pr_info("pool %s: destroyed while user buffers hold %lld bytes; it goes when they do\n",
		pool->name, (long long)atomic64_read(&pool->user_bytes));
	if (pool->dev)
		detach_dev(pool);
	buddy_pool_put(pool);
}

/*
 * The pool named @name, with a reference for the caller, if /dev/buddy
 * may use it: ERR_PTR(-ENOENT) if there is none, ERR_PTR(-EACCES) if it
 * did not opt in.
 */
struct buddy_pool *buddy_pool_get_user(const char *name)
{
	struct buddy_pool *pool;

	mutex_lock(&buddy_pools_lock);
	pool = find_pool(name);
	if (!pool)
		pool = ERR_PTR(-ENOENT);
	else if (!pool->user)
		pool = ERR_PTR(-EACCES);
	else
		refcount_inc(&pool->refs);
	mutex_unlock(&buddy_pools_lock);
	return pool;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_pool_get_user);

/*
 * Drop a reference buddy_pool_get_user() took; the last frees the pool.
 * Only a pool off the list can lose its last, so no lookup races it.
 */
void buddy_pool_put(struct buddy_pool *pool)
{
	if (!refcount_dec_and_test(&pool->refs))
		return;
	mutex_lock(&buddy_pools_lock);
	release_pool(pool);
	mutex_unlock(&buddy_pools_lock);
	free_pool(pool);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_pool_put);

/**
 * buddy_pool_grow() - reserve more memory for a pool
 * @pool: a pool made with buddy_pool_create_max()
 * @bytes: bytes to add; rounded up to whole chunks
 *
 * Fills the lowest free chunk slots with new alloc_pages() chunks, so a
 * pool that grows after a shrink reuses the offsets it gave up. All of the
 * new memory is free at once. The pool grows by all of @bytes or not at
 * all; allocations and frees on other CPUs go on meanwhile.
 *
 * Context: Process context; sleeps. Takes the pool spinlock for
 * O(chunks added) time.
 * Return: 0; -EINVAL for @bytes of 0; -ENOSPC (nothing changes) if the
 * pool would pass its maximum size; -ENOMEM (nothing changes) if the
 * pages cannot be had; -EOPNOTSUPP for a contiguous pool, which never
 * grows.
 */
int buddy_pool_grow(struct buddy_pool *pool, size_t bytes)
{
	/* Each chunk to add: its slot, its pages, its table entry. */
	struct {
		unsigned int slot;
		void *addr;
		u32 *dir;
	} *c;
	unsigned int i, n = 0;
	unsigned long flags;
	size_t added = 0;
	int ret;

	might_sleep();
	if (IS_ERR_OR_NULL(pool) || !bytes)
		return -EINVAL;
	if (pool->region != BUDDY_REGION_CHUNKS)
		return -EOPNOTSUPP;
	c = kcalloc(pool->nr_slots, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;

	mutex_lock(&pool->resize_lock);
	for (i = 0; i < pool->nr_slots && added < bytes; i++) {
		if (pool->chunks[i])
			continue;
		c[n++].slot = i;
		added += chunk_len(pool, i);
	}
	ret = -ENOSPC;
	if (added < bytes)
		goto out_unlock;
	ret = -ENOMEM;
	for (i = 0; i < n; i++) {
		c[i].addr = alloc_chunk(pool, c[i].slot);
		if (!c[i].addr)
			goto out_free_chunks;
		/* Outside the table only after memory hot-add: give it up. */
		c[i].dir = dir_slot(pool, c[i].addr);
		if (!c[i].dir) {
			i++;
			goto out_free_chunks;
		}
	}
	/*
	 * Publish each chunk's address before its table slot, so that
	 * buddy_pool_offset() never finds a slot without its chunk, and
	 * both before the core hands out anything in it.
	 */
	for (i = 0; i < n; i++) {
		WRITE_ONCE(pool->chunks[c[i].slot], c[i].addr);
		/* The address first: buddy_pool_offset() reads it second. */
		smp_wmb();
		WRITE_ONCE(*c[i].dir, c[i].slot + 1);
	}
	raw_spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < n; i++) {
		u64 start = (u64)c[i].slot << CHUNK_SHIFT;

		WARN_ON_ONCE(buddy_core_add_chunk(&pool->core, c[i].slot));
		buddy_core_set_zeroed(&pool->core, start,
				      start + chunk_len(pool, c[i].slot));
	}
	WRITE_ONCE(pool->size, pool->size + added);
	WRITE_ONCE(pool->nr_chunks, pool->nr_chunks + n);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	trace_buddy_pool_grow(pool, added, pool->size);
	ret = 0;
	goto out_unlock;

out_free_chunks:
	while (i--)
		free_chunk(pool, c[i].slot, c[i].addr);
out_unlock:
	mutex_unlock(&pool->resize_lock);
	kfree(c);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_grow, BUDDY_NS);

/**
 * buddy_pool_shrink() - give wholly free chunks back to the page allocator
 * @pool: the pool
 * @bytes: bytes to release; whole chunks go, so up to a chunk more may
 *	be released
 *
 * Every CPU's cache is drained first. Then the chunks that hold no
 * allocated block go, from the highest offset down, until @bytes are
 * released or no other chunk can go; the pool never shrinks below the
 * size it was created with. Live blocks never move.
 *
 * Context: Process context; sleeps. Takes the pool spinlock for
 * O(CPUs + chunks) time.
 * Return: the bytes released, 0 if none; always 0 for a contiguous pool,
 * which is one region and never shrinks.
 */
size_t buddy_pool_shrink(struct buddy_pool *pool, size_t bytes)
{
	unsigned int i, n = 0, *slot;
	unsigned long flags;
	size_t released = 0;

	might_sleep();
	/* A contiguous pool is one region: it cannot give back a part. */
	if (IS_ERR_OR_NULL(pool) || !bytes ||
	    pool->region != BUDDY_REGION_CHUNKS)
		return 0;
	slot = kcalloc(pool->nr_slots, sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return 0;

	mutex_lock(&pool->resize_lock);
	raw_spin_lock_irqsave(&pool->lock, flags);
	/* A cached block is allocated to the core: let it go home first. */
	__buddy_drain_all(pool);
	for (i = pool->nr_slots; i-- && released < bytes;) {
		size_t len = chunk_len(pool, i);

		if (!pool->chunks[i] || pool->size - released < pool->floor + len)
			continue;
		/* Fails, changing nothing, unless all of the chunk is free. */
		if (buddy_core_remove_chunk(&pool->core, i))
			continue;
		slot[n++] = i;
		released += len;
	}
	WRITE_ONCE(pool->size, pool->size - released);
	WRITE_ONCE(pool->nr_chunks, pool->nr_chunks - n);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (released)
		trace_buddy_pool_shrink(pool, released, pool->size);

	/*
	 * The core hands out nothing in them now, and no client owns any of
	 * them: unhook them from lookups, then free the pages. Only this
	 * function, under resize_lock, clears a chunk's address.
	 */
	for (i = 0; i < n; i++) {
		void *addr = pool->chunks[slot[i]];
		u32 *tab_slot = dir_slot(pool, addr);

		if (!WARN_ON_ONCE(!tab_slot))
			WRITE_ONCE(*tab_slot, 0);
		WRITE_ONCE(pool->chunks[slot[i]], NULL);
		free_chunk(pool, slot[i], addr);
	}
	mutex_unlock(&pool->resize_lock);
	kfree(slot);
	return released;
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_shrink, BUDDY_NS);

/**
 * buddy_parse_size() - parse a byte count the way memparse() does, strictly
 * @str: decimal digits with an optional K, M, G, T, P or E suffix
 * @val: receives the value
 *
 * Unlike a bare memparse(), reject signs, hex, octal, trailing junk and
 * values that do not fit in 64 bits.
 *
 * Context: Any context.
 * Return: true if @str is a valid size.
 */
bool buddy_parse_size(const char *str, u64 *val)
{
	static const char suffixes[] = "KMGTPE";
	unsigned long long digits, v;
	size_t ndigits;
	char num[24], *end;
	const char *s;
	int shift = 0;

	if (!str)
		return false;
	ndigits = strspn(str, "0123456789");
	if (!ndigits || ndigits >= sizeof(num) || (str[0] == '0' && ndigits > 1))
		return false;
	memcpy(num, str, ndigits);
	num[ndigits] = '\0';
	if (kstrtoull(num, 10, &digits))
		return false;
	if (str[ndigits]) {
		s = strchr(suffixes, toupper(str[ndigits]));
		if (!s || !*s || str[ndigits + 1])
			return false;
		shift = 10 * (int)(s - suffixes + 1);
	}
	v = memparse(str, &end);
	if (*end || v >> shift != digits)
		return false;
	*val = v;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_parse_size);

/* The first pool on the list, or NULL: for the module's exit. */
struct buddy_pool *buddy_pools_first(void)
{
	struct buddy_pool *pool;

	mutex_lock(&buddy_pools_lock);
	pool = list_first_entry_or_null(&buddy_pools, struct buddy_pool, node);
	mutex_unlock(&buddy_pools_lock);
	return pool;
}

/* Before the first pool: a dead CPU's cached blocks go back to each pool. */
int buddy_pools_init(void)
{
	int ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "buddy:dead",
					  NULL, buddy_cpu_dead);

	if (ret < 0)
		return ret;
	buddy_cpuhp_state = ret;
	return 0;
}

/* After the last pool. */
void buddy_pools_exit(void)
{
	struct kept_region *k, *tmp;

	list_for_each_entry_safe(k, tmp, &kept_regions, node)
		kfree(k);
	cpuhp_remove_multi_state(buddy_cpuhp_state);
}
