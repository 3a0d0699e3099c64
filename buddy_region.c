// SPDX-License-Identifier: GPL-2.0
/*
 * Contiguous pools: one physically contiguous region, whatever its size,
 * that the core manages as a single chunk, so a block may be as large as
 * the largest power of two the region holds.
 *
 * A region comes from one of two places:
 *  - at run time, from the page allocator: a search of the zones for an
 *    aligned run of pages that alloc_contig_range() can isolate and
 *    migrate, as the kernel does for gigantic huge pages (its own
 *    alloc_contig_pages() is not exported to modules);
 *  - from a range set aside at boot: a memmap=SIZE$ADDR hole, which the
 *    kernel does not use as RAM, or (6.11 on) a reserve_mem= region,
 *    mapped with memremap(MEMREMAP_WB).
 *
 * The search is also what buddy_dma.c falls back on for a chunk that a
 * device without an IOMMU must reach below its DMA limit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/jiffies.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>

#include "buddy_internal.h"

/*
 * How long one search may take. A run the page allocator can give fails
 * fast (isolation finds an unmovable page), but each candidate that looks
 * movable costs a migration attempt; under QEMU's TCG a 512 MiB one takes
 * seconds. The bound makes a failure under fragmentation prompt.
 */
#define SEARCH_MS	30000

#if IS_ENABLED(CONFIG_CONTIG_ALLOC)
/*
 * The first page of @pfn .. @pfn + @nr - 1 that alloc_contig_range() must
 * not be asked for on @pool's behalf: out of its device's reach, offline,
 * outside @zone, reserved or hugetlb (as the kernel's own
 * alloc_contig_pages() checks). @nr itself if there is none.
 */
static unsigned long run_bad(struct buddy_pool *pool, struct zone *zone,
			     unsigned long pfn, unsigned long nr)
{
	unsigned long i;

	if (!buddy_dma_reachable(pool, PFN_PHYS(pfn), nr << PAGE_SHIFT))
		return 0;
	for (i = 0; i < nr; i++) {
		struct page *page = pfn_to_online_page(pfn + i);

		if (!page || page_zone(page) != zone || PageReserved(page) ||
		    PageHuge(page))
			return i;
		if (!(i & 1023))
			cond_resched();
	}
	return nr;
}

/* Where one search stands: for its bound and for its message. */
struct search {
	unsigned long deadline;
	unsigned int tried;
	bool stopped;
};

/*
 * The highest run of @nr pages of node @nid, aligned to @align pages (a
 * power of two), ending at or below @top_pfn, that alloc_contig_range()
 * gave us, or NULL. A run with a page that cannot be had is skipped with
 * every candidate that holds that page. Only the zones GFP_KERNEL may use:
 * pages kept for good in ZONE_MOVABLE would stop its memory from going
 * offline.
 */
static struct page *search_node(struct buddy_pool *pool, int nid,
				unsigned long nr, unsigned long align,
				unsigned long top_pfn, struct search *s)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long pfn, next, lo, end, bad;
	int z, ret;

	for (z = ZONE_NORMAL; z >= 0 && !s->stopped; z--) {
		struct zone *zone = &pgdat->node_zones[z];

		if (!populated_zone(zone))
			continue;
		lo = ALIGN(zone->zone_start_pfn, align);
		end = min(zone_end_pfn(zone), top_pfn);
		if (end < lo + nr)
			continue;
		pfn = ALIGN_DOWN(end - nr, align);
		while (pfn >= lo) {
			bad = run_bad(pool, zone, pfn, nr);
			if (bad == nr) {
				s->tried++;
				ret = alloc_contig_range(pfn, pfn + nr,
							 MIGRATE_MOVABLE,
							 GFP_KERNEL |
							 __GFP_NOWARN);
				if (!ret)
					return pfn_to_page(pfn);
				if (ret == -EINTR)
					s->stopped = true;
			}
			if (fatal_signal_pending(current) ||
			    time_after(jiffies, s->deadline))
				s->stopped = true;
			if (s->stopped || pfn < lo + align)
				break;
			next = pfn - align;
			/* No run that holds the bad page will do. */
			if (bad < nr) {
				if (pfn + bad < lo + nr)
					break;
				next = min(next, ALIGN_DOWN(pfn + bad - nr,
							    align));
			}
			pfn = next;
			cond_resched();
		}
	}
	return NULL;
}

/**
 * buddy_contig_pages() - a run of pages from the page allocator
 * @pool: the pool they are for; a device of its limits what may be used
 * @nr: pages in the run
 * @align: pages the run's first pfn is a multiple of, a power of two
 * @top_pfn: the run ends at or below this pfn
 * @tried: receives the candidate runs offered to alloc_contig_range()
 *
 * Searches the pool's node first if it has one, then every online node,
 * each from the top down, for at most SEARCH_MS; a fatal signal ends it.
 * Each page of the run has its own reference count (free them with
 * free_contig_range()); they are not zeroed.
 *
 * Context: Process context; sleeps.
 * Return: the first page, or NULL.
 */
struct page *buddy_contig_pages(struct buddy_pool *pool, unsigned long nr,
				unsigned long align, unsigned long top_pfn,
				unsigned int *tried)
{
	struct search s = { .deadline = jiffies + msecs_to_jiffies(SEARCH_MS) };
	struct page *page = NULL;
	int nid;

	if (pool->nid != NUMA_NO_NODE)
		page = search_node(pool, pool->nid, nr, align, top_pfn, &s);
	for_each_online_node(nid) {
		if (page || s.stopped)
			break;
		if (nid != pool->nid)
			page = search_node(pool, nid, nr, align, top_pfn, &s);
	}
	*tried = s.tried;
	return page;
}
#else
struct page *buddy_contig_pages(struct buddy_pool *pool, unsigned long nr,
				unsigned long align, unsigned long top_pfn,
				unsigned int *tried)
{
	*tried = 0;
	return NULL;
}
#endif

/* Bytes of [@start, @end] that lie in reserved memory resources. */
struct cover {
	u64 bytes;
};

static int add_cover(struct resource *res, void *arg)
{
	struct cover *c = arg;

	/* The walk hands out disjoint pieces, clipped to the range. */
	c->bytes += resource_size(res);
	return 0;
}

/*
 * Why @len bytes at @phys may not become a pool, said in the log; 0 if
 * they may. Only memory the firmware (or memmap=) marks reserved and the
 * kernel does not use as RAM: handing out RAM the kernel owns would
 * corrupt it, and a range beyond memory or in MMIO space is no memory.
 */
static int boot_range_error(struct buddy_pool *pool, phys_addr_t phys,
			    u64 len)
{
	struct cover c = { 0 };

	if (!PAGE_ALIGNED(phys) || !PAGE_ALIGNED(len) || phys + len < phys) {
		pr_err("pool %s: phys %pa and size %llu must be whole pages\n",
		       pool->name, &phys, len);
		return -EINVAL;
	}
	if (region_intersects(phys, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("pool %s: phys %pa + %llu overlaps System RAM, which the kernel owns; reserve the range at boot (memmap=SIZE$ADDR) first\n",
		       pool->name, &phys, len);
		return -EINVAL;
	}
	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, phys,
			    phys + len - 1, &c, add_cover);
	if (c.bytes != len) {
		pr_err("pool %s: phys %pa + %llu is not wholly reserved memory (%llu bytes are; see /proc/iomem): reserve it at boot with memmap=SIZE$ADDR\n",
		       pool->name, &phys, len, c.bytes);
		return -EINVAL;
	}
	return 0;
}

/* Where @info's boot-time region is, checked; 0 or an error, logged. */
static int boot_range(struct buddy_pool *pool,
		      const struct buddy_pool_info *info, phys_addr_t *phys,
		      u64 *len)
{
	if (!info->reserve_mem) {
		*phys = info->phys;
		*len = info->size;
		return boot_range_error(pool, *phys, *len);
	}
#if BUDDY_HAVE_RESERVE_MEM
	if (!reserve_mem_find_by_name(info->reserve_mem, phys, len)) {
		pr_err("pool %s: no reserve_mem= region is named \"%s\" (boot with reserve_mem=SIZE:ALIGN:%s)\n",
		       pool->name, info->reserve_mem, info->reserve_mem);
		return -ENOENT;
	}
	if (info->size && info->size != *len) {
		pr_err("pool %s: size %zu is not the size of reserve_mem region \"%s\" (%llu bytes); give 0 or that\n",
		       pool->name, info->size, info->reserve_mem, *len);
		return -EINVAL;
	}
	return 0;
#else
	pr_err("pool %s: reserve_mem= regions need Linux 6.11 or later\n",
	       pool->name);
	return -EOPNOTSUPP;
#endif
}

/**
 * buddy_region_get() - reserve and map a contiguous pool's region
 * @pool: the pool, with its name, node and device set
 * @info: its description, defaults resolved; for a region set aside at
 *	boot, @info->size may be 0 (reserve_mem) and is then filled in by
 *	buddy_region_size()
 * @phys: receives the region's physical start
 * @len: receives its bytes
 *
 * Context: Process context; sleeps. The caller holds buddy_pools_lock,
 * so that buddy_region_overlaps() sees every other region.
 * Return: the region's kernel address, zeroed; or an ERR_PTR, with the
 * reason in the log.
 */
void *buddy_region_get(struct buddy_pool *pool,
		       const struct buddy_pool_info *info, phys_addr_t *phys,
		       u64 *len)
{
	unsigned long nr, align, top_pfn = ULONG_MAX;
	unsigned int tried;
	struct page *page;
	void *addr;
	int ret;

	if (info->phys || info->reserve_mem) {
		ret = boot_range(pool, info, phys, len);
		if (ret)
			return ERR_PTR(ret);
		if (buddy_region_overlaps(pool, *phys, *len)) {
			pr_err("pool %s: phys %pa + %llu overlaps another pool's region\n",
			       pool->name, phys, *len);
			return ERR_PTR(-EBUSY);
		}
		addr = memremap(*phys, *len, MEMREMAP_WB);
		if (!addr) {
			pr_err("pool %s: memremap() of phys %pa + %llu failed\n",
			       pool->name, phys, *len);
			return ERR_PTR(-ENOMEM);
		}
		pool->region = BUDDY_REGION_BOOT;
		return addr;
	}

	*len = PAGE_ALIGN(info->size);
	nr = *len >> PAGE_SHIFT;
	/* Chunk-aligned, as a chunked pool's are, or to its own size. */
	align = min_t(unsigned long, roundup_pow_of_two(nr), BIT(CHUNK_ORDER));
	if (pool->dev)
		top_pfn = buddy_dma_top_pfn(pool);
	page = buddy_contig_pages(pool, nr, align, top_pfn, &tried);
	if (!page) {
		pr_err("pool %s: no physically contiguous %llu bytes%s found: %u candidate ranges tried in at most %u ms (%lu bytes free); try again, or at boot\n",
		       pool->name, *len, pool->dev ?
		       " that its device can reach" : "", tried, SEARCH_MS,
		       global_zone_page_state(NR_FREE_PAGES) << PAGE_SHIFT);
		return ERR_PTR(tried ? -EBUSY : -ENOMEM);
	}
	pool->region = BUDDY_REGION_RUNTIME;
	*phys = page_to_phys(page);
	return page_address(page);
}

/* Zero @len bytes at @addr, a chunk at a time: megabytes take a while. */
void buddy_region_zero(void *addr, u64 len)
{
	u64 done;

	for (done = 0; done < len; done += CHUNK_BYTES) {
		memset(addr + done, 0, min_t(u64, CHUNK_BYTES, len - done));
		cond_resched();
	}
}

/**
 * buddy_region_put() - give back what buddy_region_get() reserved
 * @pool: the pool
 * @addr: the region's kernel address
 * @phys: its physical start
 * @len: its bytes
 *
 * Context: Process context; sleeps.
 */
void buddy_region_put(struct buddy_pool *pool, void *addr, phys_addr_t phys,
		      u64 len)
{
	if (pool->region == BUDDY_REGION_BOOT)
		memunmap(addr);
	else
		free_contig_range(PHYS_PFN(phys), len >> PAGE_SHIFT);
}
