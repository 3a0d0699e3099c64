// SPDX-License-Identifier: GPL-2.0
/*
 * Pools for a device: chunks the device can reach, each mapped for it
 * once, and the calls that give a block's device and physical addresses
 * and sync it for a device that is not cache-coherent.
 *
 * A device that sees physical addresses (dma-direct: no IOMMU translates
 * for it) reaches only memory below its DMA mask and bus limit. The page
 * allocator's zones only approximate that: with a 28-bit mask the best
 * zone is ZONE_DMA32, all of a small machine's RAM. So a chunk beyond
 * reach goes back, and one below the limit is taken with
 * alloc_contig_range(), searched from the limit down (buddy_region.c).
 * Nothing relies on swiotlb: a mapping that bounced is refused. Behind an
 * IOMMU any page will do, and the IOMMU places the I/O address below the
 * mask.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mmzone.h>

#include "buddy_internal.h"

/* Does an IOMMU translate the DMA API's addresses for @dev? */
static bool translated(struct device *dev)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	return dom && (dom->type & __IOMMU_DOMAIN_DMA_API);
}

/*
 * Bind @pool to @dev before any chunk is reserved: check that the device
 * does DMA at all, and note what it can reach.
 */
int buddy_dma_init(struct buddy_pool *pool, struct device *dev)
{
	if (!dev->dma_mask || !*dev->dma_mask) {
		pr_err("pool %s: device %s has no DMA mask; its driver must set one (dma_set_mask_and_coherent()) first\n",
		       pool->name, dev_name(dev));
		return -EINVAL;
	}
	/* Two blocks in one cache line: a sync of one would undo the other. */
	if (BIT(pool->min_shift) < dma_get_cache_alignment()) {
		pr_err("pool %s: min_block %lu is below %s's DMA cache alignment (%d bytes)\n",
		       pool->name, BIT(pool->min_shift), dev_name(dev),
		       dma_get_cache_alignment());
		return -EINVAL;
	}
	pool->dma_limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	pool->dma_direct = !translated(dev);
	pool->chunk_dma = kcalloc(pool->nr_slots, sizeof(*pool->chunk_dma),
				  GFP_KERNEL);
	if (!pool->chunk_dma)
		return -ENOMEM;
	/*
	 * No reference: the device outlives the pool, as it does a dma_pool,
	 * and one would keep a driverless device with a devm pool alive for
	 * ever (its devres goes only when its last reference does).
	 */
	pool->dev = dev;
	return 0;
}

/* After the last chunk is gone. */
void buddy_dma_exit(struct buddy_pool *pool)
{
	kfree(pool->chunk_dma);
}

/*
 * Can @pool's device reach @len bytes at @phys? Any memory will do for a
 * pool without one, or with an IOMMU that translates for it.
 */
bool buddy_dma_reachable(struct buddy_pool *pool, phys_addr_t phys,
			 size_t len)
{
	return !pool->dev || !pool->dma_direct ||
	       dma_capable(pool->dev, phys_to_dma(pool->dev, phys), len, true);
}

/*
 * One past the highest pfn @pool's device reaches, or ULONG_MAX: the top
 * of a search for memory it can reach.
 */
unsigned long buddy_dma_top_pfn(struct buddy_pool *pool)
{
	phys_addr_t top;

	if (!pool->dev || !pool->dma_direct)
		return ULONG_MAX;
	/* -1 when the limit lies outside every DMA window: the runs' checks. */
	top = dma_to_phys(pool->dev, pool->dma_limit);
	return top == (phys_addr_t)-1 ? ULONG_MAX : PHYS_PFN(top) + 1;
}

/*
 * 2^@order zeroed pages that @pool's device can reach, or NULL. *@split is
 * set when each page has its own reference count (alloc_contig_range()
 * gives them so) and must be freed on its own.
 */
struct page *buddy_dma_pages(struct buddy_pool *pool, unsigned int order,
			     gfp_t gfp, bool *split)
{
	unsigned int tried;
	struct page *page;

	*split = false;
	if (pool->dma_direct && IS_ENABLED(CONFIG_ZONE_DMA32) &&
	    pool->dma_limit <= DMA_BIT_MASK(32))
		gfp |= __GFP_DMA32;
	page = alloc_pages_node(pool->nid, gfp, order);
	/* Out of memory, or behind an IOMMU: no search would help. */
	if (!page ||
	    buddy_dma_reachable(pool, page_to_phys(page), PAGE_SIZE << order))
		return page;
	__free_pages(page, order);
	page = buddy_contig_pages(pool, 1UL << order, 1UL << order,
				  buddy_dma_top_pfn(pool), &tried);
	if (!page)
		return NULL;
	*split = true;
	memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

/*
 * Map chunk @slot, @len bytes at @addr, for the pool's device, for good:
 * a block's device address is then its chunk's plus its offset. Whole
 * pages, which the chunk owns, so that no IOMMU bounces a partial one.
 */
int buddy_dma_map(struct buddy_pool *pool, unsigned int slot, void *addr,
		  unsigned long len)
{
	struct device *dev = pool->dev;
	dma_addr_t dma;

	if (!dev)
		return 0;
	len = PAGE_ALIGN(len);
	dma = dma_map_page_attrs(dev, virt_to_page(addr), 0, len,
				 DMA_BIDIRECTIONAL, DMA_ATTR_NO_WARN);
	if (dma_mapping_error(dev, dma)) {
		pr_err("pool %s: cannot map %lu bytes for %s\n", pool->name,
		       len, dev_name(dev));
		return -ENOMEM;
	}
	/* A bounce buffer would leave the device looking at a copy. */
	if (dma + len - 1 > pool->dma_limit ||
	    (pool->dma_direct && dma != phys_to_dma(dev, virt_to_phys(addr)))) {
		dma_unmap_page_attrs(dev, dma, len, DMA_BIDIRECTIONAL,
				     DMA_ATTR_SKIP_CPU_SYNC);
		pr_err("pool %s: %s cannot reach %lu bytes of the pool without a bounce buffer (DMA limit %#llx)\n",
		       pool->name, dev_name(dev), len, pool->dma_limit);
		return -EIO;
	}
	if (dma_need_sync(dev, dma))
		WRITE_ONCE(pool->dma_sync, true);
	WRITE_ONCE(pool->chunk_dma[slot], dma);
	return 0;
}

/* Undo buddy_dma_map(): the chunk is leaving the pool. */
void buddy_dma_unmap(struct buddy_pool *pool, unsigned int slot,
		     unsigned long len)
{
	if (pool->dev)
		dma_unmap_page_attrs(pool->dev, pool->chunk_dma[slot],
				     PAGE_ALIGN(len),
				     DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
}

/**
 * buddy_dma_addr() - the device address of a pool address
 * @pool: a pool made with a device
 * @ptr: any byte of an allocated block
 *
 * The chunk that holds @ptr was mapped once when it joined the pool (a
 * contiguous pool's region, all at once), so this is two table lookups
 * and an add, whatever the block.
 *
 * Context: Any context; takes no lock.
 * Return: the address @pool's device uses for @ptr; DMA_MAPPING_ERROR for
 * a pool without a device or a @ptr outside the pool.
 */
dma_addr_t buddy_dma_addr(struct buddy_pool *pool, const void *ptr)
{
	u64 off;

	if (IS_ERR_OR_NULL(pool) || !pool->dev)
		return DMA_MAPPING_ERROR;
	off = pool_offset(pool, ptr);
	if (off == U64_MAX)
		return DMA_MAPPING_ERROR;
	return off_dma(pool, off);
}
EXPORT_SYMBOL_NS_GPL(buddy_dma_addr, BUDDY_NS);

/**
 * buddy_alloc_dma() - allocate a block and its device address
 * @pool: a pool made with a device
 * @size: as for buddy_alloc()
 * @dma: receives the block's device address, or DMA_MAPPING_ERROR
 * @gfp: as for buddy_alloc()
 *
 * buddy_alloc() and buddy_dma_addr() in one call, as dma_pool_alloc() is.
 * Free the block with buddy_free(). The block is mapped
 * DMA_BIDIRECTIONAL for as long as the pool holds it: for a device that
 * is not cache-coherent, bracket each transfer with
 * buddy_dma_sync_for_device() and buddy_dma_sync_for_cpu().
 *
 * Context: As for buddy_alloc().
 * Return: the block's kernel address, or NULL as for buddy_alloc(); also
 * NULL, with an error in the log, for a pool without a device.
 */
void *buddy_alloc_dma(struct buddy_pool *pool, size_t size, dma_addr_t *dma,
		      gfp_t gfp)
{
	void *ptr;

	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool) || !dma))
		return NULL;
	*dma = DMA_MAPPING_ERROR;
	if (unlikely(!pool->dev)) {
		pr_err_ratelimited("%s: %s() on a pool without a device (caller %pS)\n",
				   pool->name, __func__, (void *)_RET_IP_);
		return NULL;
	}
	ptr = buddy_alloc(pool, size, gfp);
	if (ptr)
		*dma = buddy_dma_addr(pool, ptr);
	return ptr;
}
EXPORT_SYMBOL_NS_GPL(buddy_alloc_dma, BUDDY_NS);

/**
 * buddy_phys_addr() - the physical address of a pool address
 * @pool: the pool
 * @ptr: any byte inside the pool
 *
 * For a pool with a device behind an IOMMU this is not what the device
 * uses: see buddy_dma_addr().
 *
 * Context: Any context; takes no lock.
 * Return: the physical address, or 0 for a @ptr outside the pool.
 */
phys_addr_t buddy_phys_addr(struct buddy_pool *pool, const void *ptr)
{
	u64 off;

	if (IS_ERR_OR_NULL(pool))
		return 0;
	off = pool_offset(pool, ptr);
	if (off == U64_MAX)
		return 0;
	/* A boot-time region may lie outside the direct map. */
	if (pool->region != BUDDY_REGION_CHUNKS)
		return pool->phys + off;
	return virt_to_phys((void *)ptr);
}
EXPORT_SYMBOL_NS_GPL(buddy_phys_addr, BUDDY_NS);

/*
 * Sync @size bytes at @ptr, which must lie in one mapping (a chunk's, or
 * a contiguous pool's), for the device or for the CPU; a bad range is
 * reported and synced not at all.
 */
static void sync_block(struct buddy_pool *pool, const void *ptr, size_t size,
		       enum dma_data_direction dir, bool for_device,
		       unsigned long caller)
{
	u64 off;

	if (IS_ERR_OR_NULL(pool) || !READ_ONCE(pool->dma_sync))
		return;
	off = pool_offset(pool, ptr);
	if (unlikely(off == U64_MAX || !size || size > mapped_len(pool, off))) {
		pr_err_ratelimited("%s: bad buddy_dma_sync call: %zu bytes at an address %s the pool (caller %pS)\n",
				   pool->name, size,
				   off == U64_MAX ? "outside" : "inside",
				   (void *)caller);
		return;
	}
	if (for_device)
		dma_sync_single_for_device(pool->dev, off_dma(pool, off), size,
					   dir);
	else
		dma_sync_single_for_cpu(pool->dev, off_dma(pool, off), size,
					dir);
}

/**
 * buddy_dma_sync_for_device() - hand bytes of a block to the device
 * @pool: a pool made with a device
 * @ptr: the first byte, inside an allocated block
 * @size: bytes, all inside that block
 * @dir: DMA_TO_DEVICE, DMA_FROM_DEVICE or DMA_BIDIRECTIONAL
 *
 * dma_sync_single_for_device() on the block's part of its chunk's
 * mapping. Where dma_need_sync() said of no chunk that it needs one (a
 * cache-coherent device with no bounce buffer, on dma-direct; 6.1's
 * IOMMU DMA ops always say yes), this is a load and a branch.
 *
 * Context: Any context; takes no lock of buddy's.
 */
void buddy_dma_sync_for_device(struct buddy_pool *pool, const void *ptr,
			       size_t size, enum dma_data_direction dir)
{
	sync_block(pool, ptr, size, dir, true, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(buddy_dma_sync_for_device, BUDDY_NS);

/**
 * buddy_dma_sync_for_cpu() - take bytes of a block back from the device
 * @pool: a pool made with a device
 * @ptr: the first byte, inside an allocated block
 * @size: bytes, all inside that block
 * @dir: as given to buddy_dma_sync_for_device()
 *
 * dma_sync_single_for_cpu() on the block's part of its chunk's mapping;
 * as cheap as buddy_dma_sync_for_device() where no sync is needed.
 *
 * Context: Any context; takes no lock of buddy's.
 */
void buddy_dma_sync_for_cpu(struct buddy_pool *pool, const void *ptr,
			    size_t size, enum dma_data_direction dir)
{
	sync_block(pool, ptr, size, dir, false, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(buddy_dma_sync_for_cpu, BUDDY_NS);
