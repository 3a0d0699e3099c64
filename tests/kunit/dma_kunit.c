// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_dma: pools for a device, on a device made here that sees physical
 * addresses (dma-direct, as a PCI device without an IOMMU does): device
 * addresses of any byte, chunks below a narrow DMA mask even when the page
 * allocator offers its highest blocks first, grow and shrink, the devm
 * form, and every refusal of buddy_pool_create_full(). The edu tests
 * (tests/dma/) move data through a real device, with and without an IOMMU.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sort.h>

#include "buddy_kunit.h"

static struct buddy_pool_info info_for(const char *name, size_t size,
				       struct device *dev)
{
	return (struct buddy_pool_info){
		.name = name,
		.size = size,
		.dev = dev,
		.node = NUMA_NO_NODE,
	};
}

/* Every chunk present lies wholly below @limit, and dma == phys. */
static void expect_chunks_below(struct kunit *test, struct buddy_pool *pool,
				u64 limit)
{
	unsigned int i;

	for (i = 0; i < pool->nr_slots; i++) {
		void *c = pool->chunks[i];
		phys_addr_t phys;

		if (!c)
			continue;
		phys = buddy_phys_addr(pool, c);
		KUNIT_EXPECT_EQ(test, phys, virt_to_phys(c));
		KUNIT_EXPECT_LE(test, (u64)phys + chunk_len(pool, i) - 1, limit);
		KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(pool, c), (u64)phys);
	}
}

static void dma_addr_of_any_byte_is_phys_on_direct_device(struct kunit *test)
{
	struct device *dev = make_dev(test, "buddy_kunit_dma", 64);
	struct buddy_pool_info info = info_for("kunit_dma", 8 * MB, dev);
	struct buddy_pool *pool = keep_pool(test, buddy_pool_create_full(&info));
	struct buddy_pool *cpu = make_pool(test, "kunit_cpu", MB, 4096);
	static const size_t sizes[] = { 4096, 5000, 64 * KB, 4 * MB };
	dma_addr_t dma;
	unsigned int i;
	u8 *p, *q;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = buddy_alloc_dma(pool, sizes[i], &dma, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, (u64)dma, (u64)virt_to_phys(p));
		KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(pool, p), (u64)dma);
		/* Any byte, not only the start of a block. */
		q = p + sizes[i] - 1;
		KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(pool, q),
				(u64)dma + sizes[i] - 1);
		KUNIT_EXPECT_EQ(test, (u64)buddy_phys_addr(pool, q),
				(u64)virt_to_phys(q));
		/* Coherent and direct: nothing to sync, and nothing breaks. */
		buddy_dma_sync_for_device(pool, p, sizes[i], DMA_TO_DEVICE);
		buddy_dma_sync_for_cpu(pool, p, sizes[i], DMA_FROM_DEVICE);
		buddy_free(pool, p);
	}
	KUNIT_EXPECT_FALSE(test, pool->dma_sync);
	expect_chunks_below(test, pool, DMA_BIT_MASK(64));

	/*
	 * The syncs as a device that needs them sees them: DMA_API_DEBUG
	 * checks that each lies inside its chunk's mapping (a WARN, which
	 * fails the boot, if not), and those that cross a chunk's end or lie
	 * outside the pool are refused before they reach it.
	 */
	WRITE_ONCE(pool->dma_sync, true);
	p = buddy_alloc(pool, 4 * MB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	buddy_dma_sync_for_device(pool, p + 100, 1000, DMA_TO_DEVICE);
	buddy_dma_sync_for_cpu(pool, p + 4 * MB - 4096, 4096, DMA_FROM_DEVICE);
	buddy_dma_sync_for_device(pool, p + 4 * MB - 16, 32, DMA_TO_DEVICE);
	buddy_dma_sync_for_cpu(pool, p, SIZE_MAX, DMA_FROM_DEVICE);
	buddy_dma_sync_for_device(pool, &dma, 8, DMA_TO_DEVICE);
	buddy_free(pool, p);
	WRITE_ONCE(pool->dma_sync, false);

	/* Outside the pool, and a pool without a device. */
	p = buddy_alloc(cpu, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(pool, p),
			(u64)DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, (u64)buddy_phys_addr(pool, p), 0ULL);
	KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(cpu, p),
			(u64)DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, (u64)buddy_phys_addr(cpu, p),
			(u64)virt_to_phys(p));
	buddy_free(cpu, p);
	dma = 0;
	KUNIT_EXPECT_NULL(test, buddy_alloc_dma(cpu, 4096, &dma, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, (u64)dma, (u64)DMA_MAPPING_ERROR);
	check_pool(test, pool);
	check_pool(test, cpu);
}

static int cmp_pages(const void *a, const void *b)
{
	unsigned long x = page_to_pfn(*(struct page * const *)a);
	unsigned long y = page_to_pfn(*(struct page * const *)b);

	return x < y ? -1 : x > y;
}

/*
 * Have the page allocator hand out its highest chunk-sized blocks first:
 * take all it has, then free them lowest first, each to the head of its
 * free list. Return how many there were.
 */
static unsigned int arrange_high_first(struct kunit *test)
{
	unsigned int n = 0, max = 1024, i;
	struct page **pages;

	pages = kunit_kcalloc(test, max, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	while (n < max) {
		pages[n] = alloc_pages(GFP_KERNEL | __GFP_DMA32 |
				       __GFP_NORETRY | __GFP_NOWARN,
				       BUDDY_MAX_PAGE_ORDER);
		if (!pages[n])
			break;
		n++;
	}
	sort(pages, n, sizeof(*pages), cmp_pages, NULL);
	for (i = 0; i < n; i++)
		__free_pages(pages[i], BUDDY_MAX_PAGE_ORDER);
	return n;
}

static void dma_chunks_below_narrow_mask_when_highest_offered(struct kunit *test)
{
	u64 limit = DMA_BIT_MASK(28);
	struct device *dev = make_dev(test, "buddy_kunit_dma", 28);
	/* A short tail chunk too, which the search splits as it finds it. */
	struct buddy_pool_info info = info_for("kunit_dma", 12 * MB + 8 * KB,
					       dev);
	struct buddy_pool *pool;
	struct page *top;
	unsigned int i, split = 0;
	char *stats;

	if (((u64)totalram_pages() << PAGE_SHIFT) < 512 * MB)
		kunit_skip(test, "needs RAM above the 28-bit mask");
	KUNIT_ASSERT_GT(test, arrange_high_first(test), 0U);
	/* The arrangement works: the next block is out of the device's reach. */
	top = alloc_pages(GFP_KERNEL | __GFP_DMA32, BUDDY_MAX_PAGE_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, top);
	KUNIT_EXPECT_GT(test, (u64)page_to_phys(top), limit);
	__free_pages(top, BUDDY_MAX_PAGE_ORDER);

	pool = keep_pool(test, buddy_pool_create_full(&info));
	expect_chunks_below(test, pool, limit);
	/* Some chunk came from the search below the mask. */
	for (i = 0; i < pool->nr_slots; i++)
		split += test_bit(i, pool->split);
	KUNIT_EXPECT_GT(test, split, 0U);

	stats = read_file(test, pool, "stats");
	KUNIT_EXPECT_NOT_NULL(test, strstr(stats, "\ndevice: buddy_kunit_dma\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(stats, "\ndma_mask: 0xfffffff\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(stats, "\nnode: "));
	check_pool(test, pool);
}

static void dma_grow_and_shrink_map_and_unmap(struct kunit *test)
{
	u64 limit = DMA_BIT_MASK(30);
	struct device *dev = make_dev(test, "buddy_kunit_dma", 30);
	struct buddy_pool_info info = info_for("kunit_dma", 4 * MB, dev);
	struct buddy_pool *pool;
	void *blk[3];
	dma_addr_t dma;
	unsigned int i;

	info.max_size = 12 * MB;
	pool = keep_pool(test, buddy_pool_create_full(&info));
	KUNIT_ASSERT_EQ(test, buddy_pool_grow(pool, 8 * MB), 0);
	expect_chunks_below(test, pool, limit);
	for (i = 0; i < ARRAY_SIZE(blk); i++) {
		blk[i] = buddy_alloc_dma(pool, 4 * MB, &dma, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, blk[i]);
		KUNIT_EXPECT_EQ(test, (u64)dma, (u64)virt_to_phys(blk[i]));
	}
	for (i = 0; i < ARRAY_SIZE(blk); i++)
		buddy_free(pool, blk[i]);
	/* DMA_API_DEBUG checks that each unmap matches its map. */
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 8 * MB), (size_t)8 * MB);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 4 * MB), 0);
	expect_chunks_below(test, pool, limit);
	check_pool(test, pool);
}

static void dma_ctl_lists_device_addresses(struct kunit *test)
{
	struct device *dev = make_dev(test, "buddy_kunit_dma", 64);
	struct buddy_pool_info info = info_for("kunit_dma", 4 * MB, dev);
	struct buddy_pool *pool = keep_pool(test, buddy_pool_create_full(&info));
	unsigned long long id, off, bytes, dma;
	char *ctl, cmd[32];
	int n;

	KUNIT_ASSERT_EQ(test, buddy_debugfs_ctl(pool, "alloc 8K", 8), 0);
	ctl = read_file(test, pool, "ctl");
	n = sscanf(ctl, "%llu %llu %llu %llx", &id, &off, &bytes, &dma);
	KUNIT_ASSERT_EQ(test, n, 4);
	KUNIT_EXPECT_EQ(test, bytes, 8ULL * KB);
	/* dma-direct: the device address is the physical one. */
	KUNIT_EXPECT_EQ(test, dma, (u64)virt_to_phys(off_addr(pool, off)));
	snprintf(cmd, sizeof(cmd), "free %llu", id);
	KUNIT_EXPECT_EQ(test, buddy_debugfs_ctl(pool, cmd, strlen(cmd)), 0);
	check_pool(test, pool);
}

static void dma_create_full_refuses_bad_info(struct kunit *test)
{
	struct device *dev = make_dev(test, "buddy_kunit_dma", 24);
	struct device *nodma = make_dev(test, "buddy_kunit_nodma", 0);
	struct buddy_pool_info info = info_for("kunit_dma", 4 * MB, NULL);
	struct buddy_pool *pool;

	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(NULL)), -EINVAL);
	/* A contiguous pool that could grow. */
	info.flags = BUDDY_POOL_CONTIG;
	info.max_size = 8 * MB;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)),
			-EOPNOTSUPP);
	info.max_size = 0;
	info.flags = 0x8;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.flags = 0;
	/* A boot-time region with a device; without, RAM is refused. */
	info.phys = SZ_1G;
	info.dev = dev;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)),
			-EOPNOTSUPP);
	info.dev = NULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.phys = 0;
	info.node = MAX_NUMNODES;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.node = -2;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.node = NUMA_NO_NODE;
	info.max_size = 2 * MB;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.max_size = 0;
	info.min_block = 3000;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.min_block = 0;
	info.dev = nodma;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	/* 16 MiB of reach, most of it the kernel's: 64 MiB cannot be had. */
	info.dev = dev;
	info.size = 64 * MB;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -ENOMEM);

	/* Each refusal left the name free, and the defaults work. */
	info.dev = NULL;
	info.size = 4 * MB;
	info.flags = BUDDY_POOL_NO_CACHE;
	pool = keep_pool(test, buddy_pool_create_full(&info));
	KUNIT_EXPECT_EQ(test, pool->max_size, (size_t)4 * MB);
	KUNIT_EXPECT_EQ(test, 1UL << pool->min_shift, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, (unsigned int)pool->high[0], 0U);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EEXIST);
	check_pool(test, pool);
}

/*
 * A contiguous pool for a device without an IOMMU: the whole region is
 * searched below the device's 30-bit mask (1 GiB, half of the KUnit
 * boot's RAM), and mapped once, so its one block's device addresses run
 * on from its first, and are its physical ones.
 */
static void dma_contig_pool_lies_below_the_mask(struct kunit *test)
{
	struct device *dev = make_dev(test, "buddy_kunit_dma", 30);
	struct buddy_pool_info info = info_for("kunit_dma", 64 * MB, dev);
	struct buddy_pool *pool;
	unsigned long i, first, gaps = 0;
	void *p;

	info.flags = BUDDY_POOL_CONTIG;
	pool = keep_pool(test, buddy_pool_create_full(&info));
	p = buddy_alloc(pool, 64 * MB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	first = page_to_pfn(virt_to_page(p));
	for (i = 1; i < (64 * MB) >> PAGE_SHIFT; i++)
		gaps += page_to_pfn(virt_to_page(p + (i << PAGE_SHIFT))) !=
			first + i;
	KUNIT_EXPECT_EQ(test, gaps, 0UL);
	KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(pool, p),
			(u64)virt_to_phys(p));
	KUNIT_EXPECT_EQ(test, (u64)buddy_dma_addr(pool, p + 64 * MB - 1),
			(u64)virt_to_phys(p) + 64 * MB - 1);
	KUNIT_EXPECT_LT(test, (u64)virt_to_phys(p) + 64 * MB - 1,
			DMA_BIT_MASK(30) + 1);
	buddy_free(pool, p);
	check_pool(test, pool);
}

static void dma_devm_pool_goes_with_its_device(struct kunit *test)
{
	struct device *dev = new_dev("buddy_kunit_devm");
	struct buddy_pool_info info = info_for("kunit_devm", 4 * MB, NULL);
	struct buddy_pool *pool, *again;
	void *p;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	dev->dma_mask = &dev->coherent_dma_mask;
	info.dev = dev;
	pool = devm_buddy_pool_create(dev, &info);
	if (IS_ERR(pool))
		device_unregister(dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	p = buddy_alloc(pool, 4096, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	if (p)
		buddy_free(pool, p);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EEXIST);
	/* Its last reference gone, a driverless device releases its devres. */
	device_unregister(dev);
	info.dev = NULL;
	again = keep_pool(test, buddy_pool_create_full(&info));
	check_pool(test, again);
}

static void dma_destroy_keeps_mapped_what_a_client_holds(struct kunit *test)
{
	/*
	 * What a destroyed pool keeps it keeps for good, mapped for its
	 * device: so this device is never unregistered (DMA_API_DEBUG's
	 * record of the mapping names it).
	 */
	struct device *dev = new_dev("buddy_kunit_kept");
	struct buddy_pool_info info = info_for("kunit_dma", 8 * MB, dev);
	struct buddy_pool *pool;
	struct page *page;
	dma_addr_t dma;
	u8 *p;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	dev->dma_mask = &dev->coherent_dma_mask;
	pool = buddy_pool_create_full(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	p = buddy_alloc_dma(pool, 64 * KB, &dma, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = virt_to_page(pool->chunks[buddy_pool_offset(pool, p) >> CHUNK_SHIFT]);
	buddy_pool_destroy(pool);
	/* Its chunk is still allocated, not back in the page allocator... */
	KUNIT_EXPECT_FALSE(test, PageBuddy(page));
	KUNIT_EXPECT_GE(test, page_ref_count(page), 1);
	/* ...and still mapped: DMA_API_DEBUG finds the mapping for a sync. */
	memset(p, 0x5a, 64 * KB);
	dma_sync_single_for_device(dev, dma, 64 * KB, DMA_TO_DEVICE);
}

static struct kunit_case buddy_dma_cases[] = {
	KUNIT_CASE(dma_addr_of_any_byte_is_phys_on_direct_device),
	KUNIT_CASE(dma_chunks_below_narrow_mask_when_highest_offered),
	KUNIT_CASE(dma_grow_and_shrink_map_and_unmap),
	KUNIT_CASE(dma_ctl_lists_device_addresses),
	KUNIT_CASE(dma_create_full_refuses_bad_info),
	KUNIT_CASE(dma_contig_pool_lies_below_the_mask),
	KUNIT_CASE(dma_devm_pool_goes_with_its_device),
	KUNIT_CASE(dma_destroy_keeps_mapped_what_a_client_holds),
	{}
};

struct kunit_suite buddy_dma_suite = {
	.name = "buddy_dma",
	.test_cases = buddy_dma_cases,
};
