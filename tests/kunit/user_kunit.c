// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_user: the kernel side of /dev/buddy. A user pool's block goes out
 * as a dma-buf that an importing device maps as one sg entry and the
 * kernel vmaps at the block itself; the block comes back only when the
 * last reference goes (an importer's, a page's), zeroed off the allocation
 * path, a destroyed pool lives until then, user bytes are counted and
 * charged, and a request the pool cannot meet changes nothing.
 */
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/scatterlist.h>

#include "buddy_kunit.h"
#include "../../include/uapi/buddy.h"

MODULE_IMPORT_NS(BUDDY_DMA_BUF_NS);

static struct buddy_pool *user_pool(struct kunit *test, const char *name,
				    size_t size)
{
	struct buddy_pool_info info = {
		.name = name,
		.size = size,
		.node = NUMA_NO_NODE,
		.flags = BUDDY_POOL_USER,
	};

	return keep_pool(test, buddy_pool_create_full(&info));
}

/*
 * A driverless device with a 64-bit mask that takes DMA segments of any
 * length, as an importer of contiguous buffers declares; @max_seg: 0 for
 * that, else its max segment size.
 */
static struct device *user_dev(struct kunit *test, unsigned int max_seg)
{
	struct device *dev = make_dev(test, "buddy_kunit_user", 64);

	dev->dma_parms = kunit_kzalloc(test, sizeof(*dev->dma_parms),
				       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev->dma_parms);
	/* As dma_set_max_seg_size() does; it returns int only before 6.12. */
	dev->dma_parms->max_segment_size = max_seg ?: UINT_MAX;
	return dev;
}

static struct buddy_ioc_alloc req_of(u64 size)
{
	return (struct buddy_ioc_alloc){ .size = size };
}

/* A buffer of @pool, or the test fails; its reference is the caller's. */
static struct dma_buf *export(struct kunit *test, struct buddy_pool *pool,
			      struct buddy_ioc_alloc *req, bool charge)
{
	struct dma_buf *dmabuf;

	/* The buffer takes over a reference, as /dev/buddy's does. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(buddy_pool_get_user(pool->name)));
	dmabuf = buddy_user_export(pool, req, charge, true);
	if (IS_ERR(dmabuf))
		buddy_pool_put(pool);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	return dmabuf;
}

/*
 * Drop a reference, let a kthread's deferred fput() run now, and wait for
 * the scrubber to have zeroed and freed what that released.
 */
static void put_now(struct dma_buf *dmabuf)
{
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	buddy_user_flush();
}

static u64 user_bytes(struct buddy_pool *pool)
{
	return atomic64_read(&pool->user_bytes);
}

/* Wait up to 3 s for @pool's user buffers to be back. */
static void settle_user_bytes(struct buddy_pool *pool)
{
	int ms;

	for (ms = 0; ms < 3000 && user_bytes(pool); ms += 20)
		msleep(20);
}

static u64 free_bytes(struct buddy_pool *pool)
{
	struct buddy_stats st;

	buddy_pool_stats(pool, &st);
	return st.free;
}

/*
 * Export, attach, map, vmap; then the exporter's reference goes first and
 * the importer's keeps the block until it unmaps, detaches and puts.
 */
static void user_import_keeps_block_until_last_put(struct kunit *test)
{
	struct buddy_pool *pool = user_pool(test, "kunit_user", 8 * MB);
	struct buddy_ioc_alloc req = req_of(MB);
	struct dma_buf_attachment *attach;
	struct device *dev = user_dev(test, 0);
	struct iosys_map map;
	struct sg_table *sgt;
	struct dma_buf *dmabuf;
	u32 *w;
	size_t i;

	dmabuf = export(test, pool, &req, false);
	KUNIT_EXPECT_EQ(test, dmabuf->size, MB);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), (u64)MB);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 7ULL * MB);
	KUNIT_EXPECT_EQ(test, req.phys_addr,
			(u64)buddy_phys_addr(pool,
					     buddy_pool_addr(pool, req.offset)));
	KUNIT_EXPECT_EQ(test, req.dma_addr, 0ULL);
	KUNIT_EXPECT_EQ(test, req.offset % MB, 0ULL);

	/* The importer's own reference, as dma_buf_get() takes it. */
	get_dma_buf(dmabuf);
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, sgt->nents, 1U);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt->sgl), (unsigned int)MB);
	KUNIT_EXPECT_EQ(test, (u64)sg_dma_address(sgt->sgl),
			(u64)phys_to_dma(dev, req.phys_addr));

	KUNIT_ASSERT_EQ(test, buddy_dma_buf_vmap_unlocked(dmabuf, &map), 0);
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, buddy_pool_addr(pool, req.offset));
	/* Synced for the importer, whose table the dma-buf core scrambles. */
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL),
			0);
	w = map.vaddr;
	for (i = 0; i < MB / 4; i++)
		KUNIT_ASSERT_EQ_MSG(test, w[i], 0U, "word %zu not zeroed", i);
	for (i = 0; i < MB / 4; i++)
		w[i] = i * 2654435761U;
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL),
			0);
	buddy_dma_buf_vunmap_unlocked(dmabuf, &map);

	put_now(dmabuf);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), (u64)MB);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 7ULL * MB);
	check_pool(test, pool);

	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
	put_now(dmabuf);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 0ULL);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 8ULL * MB);
	check_pool(test, pool);
}

/* A contiguous user pool's buffer is larger than a chunk, in one entry. */
static void user_contig_buffer_is_one_entry(struct kunit *test)
{
	struct buddy_pool_info info = {
		.name = "kunit_user_contig",
		.size = 32 * MB,
		.node = NUMA_NO_NODE,
		.flags = BUDDY_POOL_USER | BUDDY_POOL_CONTIG,
	};
	struct buddy_pool *pool = keep_pool(test, buddy_pool_create_full(&info));
	struct buddy_ioc_alloc req = req_of(16 * MB);
	struct dma_buf_attachment *attach;
	struct device *dev = user_dev(test, 0);
	struct sg_table *sgt;
	struct dma_buf *dmabuf;

	dmabuf = export(test, pool, &req, false);
	KUNIT_EXPECT_EQ(test, dmabuf->size, 16 * MB);
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, sgt->nents, 1U);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt->sgl), (unsigned int)(16 * MB));
	KUNIT_EXPECT_EQ(test, (u64)sg_dma_address(sgt->sgl),
			(u64)phys_to_dma(dev, req.phys_addr));
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
	put_now(dmabuf);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 32ULL * MB);
}

/*
 * A device that takes 64 KiB segments gets the block in 64 KiB entries,
 * one after the other: the DMA API's limit holds, the memory is one run.
 */
static void user_segments_follow_device_limit(struct kunit *test)
{
	struct buddy_pool *pool = user_pool(test, "kunit_user", 4 * MB);
	struct buddy_ioc_alloc req = req_of(MB);
	struct device *dev = user_dev(test, 64 * KB);
	struct dma_buf_attachment *attach;
	struct scatterlist *sg;
	struct sg_table *sgt;
	struct dma_buf *dmabuf;
	u64 next;
	int i;

	dmabuf = export(test, pool, &req, false);
	attach = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, sgt->nents, 16U);
	next = phys_to_dma(dev, req.phys_addr);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		KUNIT_EXPECT_EQ(test, sg_dma_len(sg), (unsigned int)(64 * KB));
		KUNIT_EXPECT_EQ(test, (u64)sg_dma_address(sg), next);
		next += 64 * KB;
	}
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, attach);
	put_now(dmabuf);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 4ULL * MB);
}

/*
 * A released buffer's block is zeroed on its way back, not by the next
 * allocation: it comes back known to be zero, and the next buffer there
 * is handed out without a memset. A small block is zeroed by the release
 * itself; a large one by the scrubber, or by a request that finds the
 * pool empty meanwhile.
 */
static void user_block_comes_back_zeroed(struct kunit *test)
{
	struct buddy_pool *pool = user_pool(test, "kunit_user", 2 * MB);
	struct buddy_ioc_alloc req = req_of(2 * MB);
	struct dma_buf *dmabuf;
	struct buddy_stats st;
	struct iosys_map map;
	u64 zeroings;
	u32 *w;
	size_t i;
	int ms;

	dmabuf = export(test, pool, &req, false);
	KUNIT_ASSERT_EQ(test, buddy_dma_buf_vmap_unlocked(dmabuf, &map), 0);
	memset(map.vaddr, 0xa5, 2 * MB);
	buddy_dma_buf_vunmap_unlocked(dmabuf, &map);
	buddy_pool_stats(pool, &st);
	zeroings = st.nr_zeroings;
	/* Released, but likely not yet zeroed when the next request comes. */
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	/* The fput worker may have taken the release: wait for it. */
	for (ms = 0; ms < 3000 && !atomic_read(&pool->scrubbing) &&
	     user_bytes(pool); ms += 20)
		msleep(20);

	dmabuf = export(test, pool, &req, false);
	KUNIT_EXPECT_EQ(test, req.offset, 0ULL);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ_MSG(test, st.nr_zeroings, zeroings,
			    "the allocation zeroed the block itself");
	KUNIT_ASSERT_EQ(test, buddy_dma_buf_vmap_unlocked(dmabuf, &map), 0);
	w = map.vaddr;
	for (i = 0; i < 2 * MB / 4; i++)
		KUNIT_ASSERT_EQ_MSG(test, w[i], 0U, "word %zu not zeroed", i);
	buddy_dma_buf_vunmap_unlocked(dmabuf, &map);
	put_now(dmabuf);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 2ULL * MB);
	KUNIT_EXPECT_EQ(test, st.zeroed, 2ULL * MB);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 0ULL);

	/* 64 KiB: back and known zero once the release returns. */
	req = req_of(64 * KB);
	dmabuf = export(test, pool, &req, false);
	KUNIT_ASSERT_EQ(test, buddy_dma_buf_vmap_unlocked(dmabuf, &map), 0);
	memset(map.vaddr, 0x5a, 64 * KB);
	buddy_dma_buf_vunmap_unlocked(dmabuf, &map);
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	settle_user_bytes(pool);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.free, 2ULL * MB);
	KUNIT_EXPECT_EQ(test, st.zeroed, 2ULL * MB);
	KUNIT_EXPECT_EQ(test, st.nr_zeroings, zeroings);
	check_pool(test, pool);
}

/* A page referenced from elsewhere keeps its block out of the pool. */
static void user_referenced_page_parks_buffer(struct kunit *test)
{
	struct buddy_pool *pool = user_pool(test, "kunit_user", 4 * MB);
	struct buddy_ioc_alloc req = req_of(64 * KB);
	struct dma_buf *dmabuf = export(test, pool, &req, false);
	struct page *page;

	page = virt_to_page(buddy_pool_addr(pool, req.offset) + 16 * KB);
	get_page(page);
	put_now(dmabuf);
	msleep(300);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 64ULL * KB);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 4ULL * MB - 64 * KB);
	put_page(page);
	settle_user_bytes(pool);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 0ULL);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 4ULL * MB);
	check_pool(test, pool);
}

/*
 * A destroy with buffers live takes the pool off the list at once (its
 * name is free again) and ends when the last buffer goes; the buffers'
 * memory is untouched meanwhile.
 */
static void user_destroy_ends_with_last_buffer(struct kunit *test)
{
	struct buddy_pool_info info = {
		.name = "kunit_user_gone",
		.size = 8 * MB,
		.node = NUMA_NO_NODE,
		.flags = BUDDY_POOL_USER,
	};
	struct buddy_ioc_alloc ra = req_of(MB), rb = req_of(2 * MB);
	struct buddy_pool *pool, *again;
	struct dma_buf *a, *b;
	struct iosys_map map;
	u64 *w;

	pool = buddy_pool_create_full(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	a = export(test, pool, &ra, false);
	b = export(test, pool, &rb, false);
	KUNIT_ASSERT_EQ(test, buddy_dma_buf_vmap_unlocked(b, &map), 0);
	w = map.vaddr;
	w[0] = 0x5eed;
	w[2 * MB / 8 - 1] = 0xfeed;

	buddy_pool_destroy(pool);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_get_user(info.name)),
			(long)-ENOENT);
	again = buddy_pool_create_full(&info);
	KUNIT_EXPECT_FALSE(test, IS_ERR(again));
	buddy_pool_destroy(again);

	put_now(a);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 2ULL * MB);
	KUNIT_EXPECT_EQ(test, w[0], 0x5eedULL);
	KUNIT_EXPECT_EQ(test, w[2 * MB / 8 - 1], 0xfeedULL);
	buddy_dma_buf_vunmap_unlocked(b, &map);
	/* The pool goes with this one; KASAN and kmemleak watch. */
	put_now(b);
}

/*
 * In a device pool a buffer comes with its device address, CPU access
 * syncs for the device, and a destroy that the buffer outlives unmaps the
 * pool from the device at once while the memory stays.
 */
static void user_device_pool_lets_device_go(struct kunit *test)
{
	struct device *dev = user_dev(test, 0);
	struct buddy_pool_info info = {
		.name = "kunit_user_dev",
		.size = 8 * MB,
		.dev = dev,
		.node = NUMA_NO_NODE,
		.flags = BUDDY_POOL_USER,
	};
	struct buddy_ioc_alloc req = req_of(64 * KB);
	struct buddy_pool *pool;
	struct dma_buf *dmabuf;
	void *addr;

	pool = buddy_pool_create_full(&info);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	dmabuf = export(test, pool, &req, false);
	addr = buddy_pool_addr(pool, req.offset);
	KUNIT_EXPECT_NE(test, req.dma_addr, 0ULL);
	KUNIT_EXPECT_EQ(test, req.dma_addr, (u64)buddy_dma_addr(pool, addr));
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE),
			0);
	memset(addr, 0x5a, 64 * KB);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_TO_DEVICE),
			0);

	buddy_pool_destroy(pool);
	KUNIT_EXPECT_NULL(test, pool->dev);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 64ULL * KB);
	KUNIT_EXPECT_EQ(test, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, ((u8 *)addr)[64 * KB - 1], 0x5a);
	KUNIT_EXPECT_EQ(test, dma_buf_end_cpu_access(dmabuf, DMA_TO_DEVICE),
			0);
	put_now(dmabuf);
}

/*
 * A charged buffer counts in the user's locked_vm until released; over
 * RLIMIT_MEMLOCK the export fails and nothing changes.
 */
static void user_charges_memlock(struct kunit *test)
{
	struct buddy_pool *pool = user_pool(test, "kunit_user", 4 * MB);
	struct buddy_ioc_alloc req = req_of(512 * KB), big = req_of(MB);
	struct user_struct *user = current_user();
	struct rlimit *rl = &current->signal->rlim[RLIMIT_MEMLOCK];
	unsigned long before = atomic_long_read(&user->locked_vm);
	struct rlimit saved = *rl;
	struct dma_buf *dmabuf, *over;

	task_lock(current->group_leader);
	rl->rlim_cur = before * PAGE_SIZE + MB;
	task_unlock(current->group_leader);

	dmabuf = export(test, pool, &req, true);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->locked_vm),
			before + (512 * KB >> PAGE_SHIFT));
	KUNIT_ASSERT_FALSE(test, IS_ERR(buddy_pool_get_user(pool->name)));
	over = buddy_user_export(pool, &big, true, true);
	KUNIT_EXPECT_EQ(test, PTR_ERR(over), (long)-ENOMEM);
	if (!IS_ERR(over))
		put_now(over);
	else
		buddy_pool_put(pool);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->locked_vm),
			before + (512 * KB >> PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 512ULL * KB);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 4ULL * MB - 512 * KB);

	task_lock(current->group_leader);
	*rl = saved;
	task_unlock(current->group_leader);
	put_now(dmabuf);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->locked_vm), before);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 0ULL);
}

/*
 * An exact buffer is its size in pages; requests the pool cannot meet are
 * refused without a change, and only a user pool is reachable.
 */
static void user_sizes_and_refusals(struct kunit *test)
{
	struct buddy_pool *pool = user_pool(test, "kunit_user", 8 * MB);
	struct buddy_ioc_alloc req = req_of(3 * PAGE_SIZE + 1);
	struct buddy_ioc_alloc bad[] = {
		{ .size = PAGE_SIZE, .align = 2 * CHUNK },
		{ .size = PAGE_SIZE, .start = 0, .end = 16 * MB },
		{ .size = 8 * MB + 1 },
		{ .size = U64_MAX },
	};
	static const long want[] = { -EINVAL, -EINVAL, -ENOMEM, -ENOMEM };
	struct buddy_pool_info plain = {
		.name = "kunit_not_user", .size = 4 * MB, .node = NUMA_NO_NODE,
	};
	struct buddy_pool_info boot = {
		.name = "kunit_user_boot", .size = 4 * MB, .node = NUMA_NO_NODE,
		.phys = 0x30000000, .flags = BUDDY_POOL_USER,
	};
	struct dma_buf *dmabuf;
	unsigned int i;

	req.flags = BUDDY_ALLOC_EXACT;
	dmabuf = export(test, pool, &req, false);
	KUNIT_EXPECT_EQ(test, dmabuf->size, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 4ULL * PAGE_SIZE);
	put_now(dmabuf);
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 8ULL * MB);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_ASSERT_FALSE(test, IS_ERR(buddy_pool_get_user(pool->name)));
		dmabuf = buddy_user_export(pool, &bad[i], false, true);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(dmabuf), want[i],
				    "request %u", i);
		if (IS_ERR(dmabuf))
			buddy_pool_put(pool);
		else
			put_now(dmabuf);
	}
	KUNIT_EXPECT_EQ(test, free_bytes(pool), 8ULL * MB);
	KUNIT_EXPECT_EQ(test, user_bytes(pool), 0ULL);
	check_pool(test, pool);

	keep_pool(test, buddy_pool_create_full(&plain));
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_get_user(plain.name)),
			(long)-EACCES);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_get_user("kunit_nowhere")),
			(long)-ENOENT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&boot)),
			(long)-EOPNOTSUPP);
}

static struct kunit_case buddy_user_cases[] = {
	KUNIT_CASE(user_import_keeps_block_until_last_put),
	KUNIT_CASE(user_contig_buffer_is_one_entry),
	KUNIT_CASE(user_segments_follow_device_limit),
	KUNIT_CASE(user_block_comes_back_zeroed),
	KUNIT_CASE(user_referenced_page_parks_buffer),
	KUNIT_CASE(user_destroy_ends_with_last_buffer),
	KUNIT_CASE(user_device_pool_lets_device_go),
	KUNIT_CASE(user_charges_memlock),
	KUNIT_CASE(user_sizes_and_refusals),
	{}
};

struct kunit_suite buddy_user_suite = {
	.name = "buddy_user",
	.test_cases = buddy_user_cases,
};
