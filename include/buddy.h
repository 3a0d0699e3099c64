/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddy.h - public API of buddy.ko, a buddy allocator over memory the
 * module reserves for itself (with alloc_pages(), as one contiguous
 * region, or from a range set aside at boot), for the CPU or for one
 * device's DMA.
 *
 * A client module includes this header, adds MODULE_IMPORT_NS(BUDDY_NS)
 * and builds with KBUILD_EXTRA_SYMBOLS pointing at buddy's Module.symvers
 * (make install puts both under /usr/src/buddy-<version>/).
 *
 * Locking: every function here does its own locking. buddy_alloc(),
 * buddy_free(), buddy_block_size(), buddy_pool_stats(), buddy_pool_drain()
 * and buddy_pool_set_cache() take at most the pool's raw spinlock, with
 * interrupts disabled, and never sleep, so they may be called from any
 * context but NMI, hard IRQ included; so do buddy_alloc_dma(),
 * buddy_dma_addr(), buddy_phys_addr() and the buddy_dma_sync_*() calls.
 * Creating and destroying a pool sleeps.
 *
 * Per-CPU caches: each CPU keeps a few free blocks of the small orders, so
 * that most allocations and frees touch only that CPU's cache. Cached
 * blocks still count as free everywhere: an allocation drains every CPU's
 * cache before it fails, and a free of a cached block is refused as a
 * double free.
 */
#ifndef _BUDDY_H
#define _BUDDY_H

#include <linux/dma-direction.h>
#include <linux/gfp.h>
#include <linux/numa.h>
#include <linux/types.h>
#include <linux/version.h>

/*
 * The symbol namespace of every buddy export, for MODULE_IMPORT_NS(BUDDY_NS)
 * on any kernel: 6.13 made namespaces string literals, where older kernels
 * stringify a bare name (on those, MODULE_IMPORT_NS(BUDDY) works too).
 */
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define BUDDY_NS "BUDDY"
#else
#define BUDDY_NS BUDDY
#endif

/* Upper bound on the number of orders in any pool. */
#define BUDDY_NR_ORDERS 32
/* Longest pool name, not counting the terminating NUL. */
#define BUDDY_NAME_MAX 31
/* Orders 0 to BUDDY_PCP_ORDERS - 1 may have per-CPU caches. */
#define BUDDY_PCP_ORDERS 6
/* Most blocks one CPU may cache of one order. */
#define BUDDY_PCP_HIGH_MAX 64
/* buddy_alloc_range() flag: the highest suitable offset, not the lowest */
#define BUDDY_TOPDOWN 0x1

/* struct buddy_pool_info flags */
#define BUDDY_POOL_CONTIG	0x1	/* one physically contiguous region */
#define BUDDY_POOL_NO_CACHE	0x2	/* no per-CPU caches */
#define BUDDY_POOL_USER		0x4	/* reachable through /dev/buddy */

struct buddy_pool;
struct device;

/**
 * struct buddy_pool_info - what buddy_pool_create_full() makes
 * @name: 1 to BUDDY_NAME_MAX characters of [A-Za-z0-9_-]; also the name
 *	of the pool's debugfs directory
 * @size: bytes reserved now, a multiple of @min_block and at most half
 *	of RAM; a whole number of chunks (PAGE_SIZE << MAX_PAGE_ORDER bytes,
 *	4 MiB on x86-64) when @max_size is larger. For a region set aside
 *	at boot (@phys or @reserve_mem) it is the region's size instead, in
 *	whole pages and not bound by RAM (0 for all of a reserve_mem region).
 * @max_size: most bytes the pool may hold after buddy_pool_grow(); 0 for
 *	@size
 * @min_block: bytes in the smallest block, a power of two from 16 up to
 *	a chunk; 0 for PAGE_SIZE
 * @dev: the device that will DMA to and from the blocks, or NULL for
 *	memory the CPU alone uses. Every chunk is reserved where the device
 *	can reach it (below its DMA mask and bus limit, unless an IOMMU
 *	translates for it) and mapped for it once, with dma_map_page_attrs()
 *	and DMA_BIDIRECTIONAL, until it leaves the pool. The device must
 *	outlive the pool: see devm_buddy_pool_create().
 * @node: the NUMA node to reserve on by preference, as alloc_pages_node()
 *	does; NUMA_NO_NODE for @dev's node, or any. Zero is node 0, so set
 *	it.
 * @flags: BUDDY_POOL_* flags. BUDDY_POOL_CONTIG makes the pool one
 *	physically contiguous region, found at creation by a search of the
 *	zones that alloc_contig_range() takes (bounded in time; it fails
 *	with -EBUSY or -ENOMEM under fragmentation), so that a block may be
 *	as large as the largest power of two in @size. Such a pool cannot
 *	grow (@max_size must be @size or 0). BUDDY_POOL_USER lets user
 *	space allocate from the pool through /dev/buddy, as dma-buf fds
 *	(include/uapi/buddy.h): each chunk's pages get reference counts of
 *	their own so that they can be mapped one by one, and a destroy while
 *	such buffers live ends only when the last goes (the pool leaves the
 *	list and its device at once). Not with @phys or @reserve_mem, nor on
 *	a kernel without CONFIG_DMA_SHARED_BUFFER (-EOPNOTSUPP).
 * @phys: 0, or the physical start of a range set aside at boot with
 *	memmap=SIZE$ADDR, of @size bytes, page-aligned, wholly reserved
 *	memory that is not System RAM. The pool is then that range, mapped
 *	with memremap(MEMREMAP_WB), and contiguous. No @dev with it.
 * @reserve_mem: NULL, or the name of a reserve_mem=SIZE:ALIGN:NAME region
 *	(Linux 6.11 on): the pool is then exactly that region, as for @phys
 *	(leave @phys 0).
 */
struct buddy_pool_info {
	const char *name;
	size_t size;
	size_t max_size;
	size_t min_block;
	struct device *dev;
	int node;
	unsigned int flags;
	phys_addr_t phys;
	const char *reserve_mem;
};

/**
 * struct buddy_stats - a consistent snapshot of one pool
 * @size: bytes the pool holds now; between the size it was created with
 *	and @max_size
 * @free: bytes in free blocks, on the free lists or in per-CPU caches
 * @min_block: bytes in the smallest block
 * @max_order: largest order present; the biggest block is
 *	@min_block << @max_order bytes
 * @free_blocks: free blocks of each order on the pool's free lists
 * @nr_allocs: successful buddy_alloc() calls
 * @nr_frees: successful buddy_free() calls
 * @nr_failed: buddy_alloc() calls that returned NULL
 * @nr_bad_frees: buddy_free() calls refused as invalid
 * @cached: bytes of @free held in per-CPU caches
 * @cached_blocks: free blocks of each order held in per-CPU caches, all
 *	CPUs together; not counted in @free_blocks
 * @max_size: most bytes the pool may grow to (see buddy_pool_grow())
 * @zeroed: bytes of @free known to hold only zeros, which an allocation
 *	that must be zeroed (init_on_alloc, __GFP_ZERO) hands out without a
 *	memset
 * @nr_zeroings: allocations that had to zero their block
 * @in_flight: allocations and frees under way while the snapshot was
 *	taken (those that may hold a block between a client and a per-CPU
 *	cache or the pool), each of which may have left one block out of
 *	the counts above; 0 means the snapshot is exact
 * @nr_cache_hits: buddy_alloc() calls served from a per-CPU cache that
 *	held a block
 * @nr_cache_refills: buddy_alloc() calls that found their cache empty and
 *	refilled it from the pool
 */
struct buddy_stats {
	u64 size;
	u64 free;
	u32 min_block;
	u32 max_order;
	u64 free_blocks[BUDDY_NR_ORDERS];
	u64 nr_allocs, nr_frees, nr_failed, nr_bad_frees;
	u64 cached;
	u64 cached_blocks[BUDDY_NR_ORDERS];
	u64 max_size;
	u64 zeroed;
	u64 nr_zeroings;
	u64 in_flight;
	u64 nr_cache_hits;
	u64 nr_cache_refills;
};

struct buddy_pool *buddy_pool_create_full(const struct buddy_pool_info *info);
struct buddy_pool *devm_buddy_pool_create(struct device *dev,
					  const struct buddy_pool_info *info);
struct buddy_pool *buddy_pool_create(const char *name, size_t size,
				     size_t min_block);
void buddy_pool_destroy(struct buddy_pool *pool);
struct buddy_pool *buddy_default_pool(void);
void *buddy_alloc(struct buddy_pool *pool, size_t size, gfp_t gfp);
void buddy_free(struct buddy_pool *pool, const void *ptr);
size_t buddy_block_size(struct buddy_pool *pool, const void *ptr);
void buddy_pool_stats(struct buddy_pool *pool, struct buddy_stats *st);
void buddy_pool_drain(struct buddy_pool *pool);
int buddy_pool_set_cache(struct buddy_pool *pool, unsigned int order,
			 unsigned int high, unsigned int batch);
int buddy_pool_cache_auto(struct buddy_pool *pool);

void *buddy_alloc_range(struct buddy_pool *pool, size_t size, size_t align,
			u64 start, u64 end, unsigned int flags, gfp_t gfp);
void *buddy_alloc_exact(struct buddy_pool *pool, size_t size, gfp_t gfp);
void buddy_free_exact(struct buddy_pool *pool, const void *ptr, size_t size);
u64 buddy_pool_offset(struct buddy_pool *pool, const void *ptr);
void *buddy_pool_addr(struct buddy_pool *pool, u64 offset);
struct buddy_pool *buddy_pool_create_max(const char *name, size_t size,
					 size_t max_size, size_t min_block);
int buddy_pool_grow(struct buddy_pool *pool, size_t bytes);
size_t buddy_pool_shrink(struct buddy_pool *pool, size_t bytes);

void *buddy_alloc_dma(struct buddy_pool *pool, size_t size, dma_addr_t *dma,
		      gfp_t gfp);
dma_addr_t buddy_dma_addr(struct buddy_pool *pool, const void *ptr);
phys_addr_t buddy_phys_addr(struct buddy_pool *pool, const void *ptr);
void buddy_dma_sync_for_device(struct buddy_pool *pool, const void *ptr,
			       size_t size, enum dma_data_direction dir);
void buddy_dma_sync_for_cpu(struct buddy_pool *pool, const void *ptr,
			    size_t size, enum dma_data_direction dir);

#endif /* _BUDDY_H */
