/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of buddy.ko share: the pool object, the constants and
 * small inline helpers that several files and the hot paths need, and the
 * prototypes from one file to another. Not part of the public API.
 */
#ifndef BUDDY_INTERNAL_H
#define BUDDY_INTERNAL_H

#include <linux/cpuhotplug.h>
#include <linux/fault-inject.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>

#include "buddy_compat.h"
#include "buddy_core.h"
#include "include/buddy.h"

struct dentry;

/*
 * The address-to-chunk table is two levels deep: a directory entry covers
 * 2^BUDDY_DIR_BITS chunk-sized slots of the direct map, and each slot holds
 * a chunk number plus one (0: not ours). Two loads find any pointer's
 * chunk, and the table costs a pointer per such span of address space
 * between the lowest and the highest chunk, plus one small table per span
 * that holds a chunk.
 */
#define BUDDY_DIR_BITS	8

/* A chunk: the largest alloc_pages() block, and one chunk of the core. */
#define CHUNK_ORDER	BUDDY_MAX_PAGE_ORDER
#define CHUNK_SHIFT	(PAGE_SHIFT + CHUNK_ORDER)
#define CHUNK_BYTES	BIT(CHUNK_SHIFT)

#define DIR_SHIFT	(CHUNK_SHIFT + BUDDY_DIR_BITS)
#define DIR_SLOTS	BIT(BUDDY_DIR_BITS)

/* @owner tags beside order + 1: see struct buddy_pool */
#define OWNER_EXACT	0x80
#define OWNER_PART	0x40
#define OWNER_ORDER	0x3f

/* In a cache slot: the block holds only zeros. Indices are below 2^31. */
#define PCP_ZERO	BIT(31)

/* A cache's @state: the depth in the low byte, a version above it. */
#define PCP_DEPTH	0xffUL
#define PCP_TICK	0x100UL

/*
 * A cache's version must not wrap while a pop that read a stale depth and
 * slot waits to cmpxchg() it: 2^56 changes cannot happen in that time,
 * but 2^24, all a 32-bit word leaves, take under a second.
 */
static_assert(BITS_PER_LONG == 64,
	      "buddy.ko needs a 64-bit kernel: a cache's version would wrap");

/* The constants that must agree across the files and with the core. */
static_assert(BUDDY_NR_ORDERS == BUDDY_CORE_NR_ORDERS);
static_assert(BUDDY_PCP_ORDERS <= BUDDY_NR_ORDERS);
/* An owner byte holds any order plus one. */
static_assert(BUDDY_NR_ORDERS <= OWNER_ORDER);
/* Min block indices, below BUDDY_CORE_MAX_BLOCKS, leave PCP_ZERO free. */
static_assert(BUDDY_CORE_MAX_BLOCKS <= PCP_ZERO);
/* A cache's depth fits in its byte of @state, high and batch in a u16. */
static_assert(BUDDY_PCP_HIGH_MAX <= PCP_DEPTH);
static_assert(BUDDY_PCP_HIGH_MAX <= U16_MAX);

/**
 * struct buddy_pcp - one CPU's cache of free blocks of one pool
 * @state: for each order, the depth of its stack in the low byte and a
 *	version above it; changed only by cmpxchg() (see pcp_pop())
 * @busy: this CPU is inside pcp_push(); an interrupt on it must not push.
 *	A u8, not a bool: gcc's UBSAN check of a bool load (UBSAN_BOOL)
 *	makes READ_ONCE() a plain access to KCSAN, which then reports it.
 * @nr_allocs: buddy_alloc() calls served from this cache
 * @nr_frees: buddy_free() calls done through this cache
 * @nr_zeroings: blocks this CPU zeroed for an allocation
 * @nr_refills: refills of this CPU's cache that took at least one block
 * @slot: block indices (offset / min_block) of each order, with PCP_ZERO
 *	set for a block known to hold only zeros, used as a stack so the
 *	most recently freed block is handed out first
 * @nr_begun: calls on this CPU that began a flight (see pcp_landed())
 * @nr_landed: flights that ended on this CPU having moved no block (a
 *	pop that found none, a free that lost a race); the others land in
 *	@nr_allocs or @nr_frees here, or in the pool's @nr_frees
 * @adapt_ticks: this CPU's pushes and pops of every order, as the
 *	versions in @state said at the pool's last __adapt_caches(); under
 *	the pool's lock
 *
 * A cached block is allocated as far as the core knows, and its bit in
 * its byte in the pool's @owner map is 0: it belongs to no client.
 */
struct buddy_pcp {
	unsigned long state[BUDDY_PCP_ORDERS];
	u8 busy;
	u64 nr_allocs;
	u64 nr_frees;
	u64 nr_zeroings;
	u64 nr_refills;
	u32 slot[BUDDY_PCP_ORDERS][BUDDY_PCP_HIGH_MAX];
	unsigned long nr_begun;
	unsigned long nr_landed;
	u64 adapt_ticks;
};

/**
 * struct buddy_pool - one named pool
 * @lock: protects @core, the counters below it and @warned; a raw
 *	spinlock taken with interrupts disabled, so that alloc and free work
 *	in hard IRQ context even on PREEMPT_RT
 * @core: the buddy state of all chunks, as one range of offsets
 * @nr_allocs: buddy_alloc() calls served by the core directly
 * @nr_frees: buddy_free() calls done on the core directly
 * @nr_failed: buddy_alloc() calls that returned NULL
 * @nr_bad_frees: buddy_free() calls refused
 * @warned: the first bad free in this pool has triggered its WARN
 * @pcp: the per-CPU caches, or NULL for a pool that never has any
 * @high: most blocks a CPU caches of each order; 0: that order is not
 *	cached. Written under @lock, read without it.
 * @batch: blocks moved between a cache and the core at a time
 * @auto_cache: the pool was created with caches, which size themselves:
 *	every ADAPT_TRIPS trips to the core, __adapt_caches() shares a
 *	budget out among the orders by their traffic (see buddy_alloc.c)
 * @pinned: a bit per order whose @high and @batch a buddy_pool_set_cache()
 *	set; __adapt_caches() leaves those alone
 * @nr_trips: trips to the core (refills, drains of a full cache,
 *	allocations of an uncached order, placements) since the last
 *	__adapt_caches()
 * @core_allocs: allocations of each uncached order, and placements of
 *	each order, since then
 * @last_ticks: each order's pushes and pops on all CPUs together, as the
 *	versions in the caches' @state said at the last __adapt_caches()
 * @nr_adapts: __adapt_caches() runs
 * @nr_active: CPUs whose caches had traffic before the last of them
 *	All seven under @lock.
 * @cached_map: one bit per min block, set at the start of every block in
 *	a per-CPU cache: set before its push, cleared after its pop, with
 *	atomic bitops; read word by word with READ_ONCE() by
 *	buddy_alloc_range(), which finds cached blocks by it
 * @owner: one byte per min block: at the start of every block a client
 *	owns, its order plus one; 0 elsewhere. An exact allocation is made
 *	of several blocks: the first is tagged OWNER_EXACT, the others
 *	OWNER_PART, each with its order plus one. Set by the allocating CPU
 *	with WRITE_ONCE() (the block is exclusively its own then), cleared
 *	with cmpxchg() so that of two racing frees exactly one wins; read
 *	with READ_ONCE(), the lock held or not (the debugfs map copies it
 *	as a marked data race).
 * @pcp_bytes: the largest block size that may be cached
 * @min_shift: log2 of min_block
 * @chunk_bits: log2 of the min blocks in a chunk
 * @warned_call: the first bad buddy_alloc_range() call has WARNed
 * @name: NUL-terminated name, also the debugfs directory name
 * @size: bytes present now; written under @resize_lock and @lock
 * @floor: bytes the pool was created with; it never shrinks below them
 * @max_size: bytes the pool may grow to; the core's range of offsets
 * @nr_chunks: chunks present now; written under @resize_lock and @lock
 * @nr_slots: chunk slots in the range, present or not
 * @chunk_shift: log2 of the bytes in a full core chunk: CHUNK_SHIFT, or
 *	for a contiguous pool a power of two that spans all of it
 * @chunks: address of each chunk, indexed by chunk; NULL while absent
 * @chunk_dir: the address-to-chunk table, @dir_len entries from @dir_base
 * @dir_base: lowest address @chunk_dir covers
 * @dir_len: entries in @chunk_dir
 * @meta: the core's bitmaps
 * @split: a bit per chunk slot: the chunk's pages each have their own
 *	reference count (alloc_contig_range() gives them so)
 * @nid: the NUMA node chunks are reserved on by preference, or
 *	NUMA_NO_NODE
 * @dev: the device every chunk is mapped for, or NULL (see buddy_dma.c)
 * @chunk_dma: the device address of each chunk, indexed like @chunks
 * @dma_limit: the highest device address @dev reaches (mask, bus limit)
 * @dma_direct: @dev sees physical addresses: no IOMMU translates for it
 * @dma_sync: some chunk's mapping needs dma_sync_*() calls
 * @region: where the memory is from: BUDDY_REGION_CHUNKS (alloc_pages()
 *	chunks) or, for a contiguous pool, one region (buddy_region.c); the
 *	core then sees one chunk, and the chunk slots are the CHUNK_BYTES
 *	pieces of the region, for the lookups
 * @poison: KASAN keeps a shadow for the memory (the direct map's), which
 *	buddy.ko writes; not for a boot-time region outside the direct map
 * @phys: a contiguous pool's physical start
 * @cpuhp: instance of the CPU hotplug state that drains a dead CPU's cache
 * @node: entry on the list of pools, under buddy_pools_lock
 * @dir: debugfs directory, or NULL
 * @resize_lock: serialises buddy_pool_grow() and buddy_pool_shrink();
 *	taken after @ctl_lock and before @lock
 * @ctl_lock: protects @ctl and @ctl_next_id; taken before @lock
 * @ctl: blocks allocated through the debugfs ctl file
 * @ctl_next_id: ID of the next ctl allocation
 * @check_holds: pool lock holds the last check took, all tries together
 * @check_longest_ns: the longest of them, in ns (both for the KUnit suites)
 * @user: /dev/buddy may hand out its blocks (BUDDY_POOL_USER); every
 *	chunk's pages then have reference counts of their own, to be mapped
 * @refs: one for the list of pools, one for each live user buffer (and
 *	for a /dev/buddy call while it looks at the pool); the pool is torn
 *	down when the last goes, so a destroy that user buffers outlive only
 *	takes the pool off the list and away from its device
 * @user_bytes: bytes the pool's live user buffers hold
 * @scrubbing: the pool's released user blocks not yet zeroed and back
 *	(buddy_user.c's scrubber), for waiters on it (wait_var_event())
 * @dev_lock: held by user-buffer calls that sync for @dev, and by a
 *	destroy that takes @dev away while user buffers live
 */
struct buddy_pool {
	raw_spinlock_t lock;
	struct buddy_core core;
	u64 nr_allocs, nr_frees, nr_failed, nr_bad_frees;
	bool warned;
	bool warned_call;

	struct buddy_pcp __percpu *pcp;
	u16 high[BUDDY_PCP_ORDERS];
	u16 batch[BUDDY_PCP_ORDERS];
	bool auto_cache;
	u8 pinned;
	u32 nr_trips;
	u32 core_allocs[BUDDY_PCP_ORDERS];
	u64 last_ticks[BUDDY_PCP_ORDERS];
	u64 nr_adapts;
	u32 nr_active;
	u8 *owner;
	unsigned long *cached_map;
	size_t pcp_bytes;
	unsigned int min_shift;
	unsigned int chunk_bits;

	char name[BUDDY_NAME_MAX + 1];
	size_t size;
	size_t floor;
	size_t max_size;
	unsigned int nr_chunks;
	unsigned int nr_slots;
	unsigned int chunk_shift;
	unsigned char **chunks;
	u32 **chunk_dir;
	unsigned long dir_base;
	unsigned long dir_len;
	void *meta;
	unsigned long *split;
	int nid;
	struct device *dev;
	dma_addr_t *chunk_dma;
	u64 dma_limit;
	bool dma_direct;
	bool dma_sync;
	u8 region;
	bool poison;
	phys_addr_t phys;
	struct hlist_node cpuhp;
	struct list_head node;

	struct dentry *dir;
	struct mutex resize_lock;	/* see kernel-doc above */
	struct mutex ctl_lock;		/* see kernel-doc above */
	struct list_head ctl;
	u64 ctl_next_id;
	unsigned int check_holds;
	u64 check_longest_ns;

	bool user;
	refcount_t refs;
	atomic64_t user_bytes;
	atomic_t scrubbing;
	struct mutex dev_lock;		/* see kernel-doc above */
};

/* Where a pool's memory comes from: see @region above. */
enum {
	BUDDY_REGION_CHUNKS,
	BUDDY_REGION_RUNTIME,	/* alloc_contig_range() */
	BUDDY_REGION_BOOT,	/* memremap() of memmap= or reserve_mem= */
};

/* Bytes in chunk @i: all but the last chunk slot of the range are full. */
static inline unsigned long chunk_len(const struct buddy_pool *pool,
				      unsigned int i)
{
	return min_t(size_t, CHUNK_BYTES,
		     pool->max_size - ((size_t)i << CHUNK_SHIFT));
}

/*
 * buddy_pool_offset(), inline for the free paths: the offset of @ptr, or
 * U64_MAX if it is not inside the pool.
 */
static inline u64 pool_offset(struct buddy_pool *pool, const void *ptr)
{
	unsigned long addr = (unsigned long)ptr;
	unsigned long rel = addr - pool->dir_base, t = rel >> DIR_SHIFT;
	unsigned long start;
	const u32 *tab;
	u32 chunk;

	if (unlikely(t >= pool->dir_len))
		return U64_MAX;
	/* Pairs with the release in dir_slot(): a table is seen zeroed. */
	tab = smp_load_acquire(&pool->chunk_dir[t]);
	if (unlikely(!tab))
		return U64_MAX;
	chunk = READ_ONCE(tab[(rel >> CHUNK_SHIFT) & (DIR_SLOTS - 1)]);
	if (unlikely(!chunk--))
		return U64_MAX;
	/* NULL, for a chunk shrink is taking away, fails the test below. */
	start = (unsigned long)READ_ONCE(pool->chunks[chunk]);
	if (unlikely(addr - start >= chunk_len(pool, chunk)))
		return U64_MAX;
	return ((u64)chunk << CHUNK_SHIFT) + (addr - start);
}

/* The kernel address of min block @idx, which must be present. */
static inline void *idx_addr(const struct buddy_pool *pool, u32 idx)
{
	return pool->chunks[idx >> pool->chunk_bits] +
	       ((unsigned long)(idx & (BIT(pool->chunk_bits) - 1)) <<
		pool->min_shift);
}

/*
 * The device address of pool offset @off in a device pool; @off must lie
 * in a chunk present in the pool.
 */
static inline dma_addr_t off_dma(const struct buddy_pool *pool, u64 off)
{
	return READ_ONCE(pool->chunk_dma[off >> CHUNK_SHIFT]) +
	       (off & (CHUNK_BYTES - 1));
}

/*
 * Bytes from pool offset @off to the end of the mapping that holds it:
 * its chunk's, or a contiguous pool's one.
 */
static inline u64 mapped_len(const struct buddy_pool *pool, u64 off)
{
	if (pool->region != BUDDY_REGION_CHUNKS)
		return pool->max_size - off;
	return chunk_len(pool, off >> CHUNK_SHIFT) - (off & (CHUNK_BYTES - 1));
}

/* The largest free block of a snapshot, cached ones counted; 0 if none. */
static inline u64 stats_largest_free(const struct buddy_stats *st)
{
	int order;

	for (order = st->max_order; order >= 0; order--)
		if (st->free_blocks[order] + st->cached_blocks[order])
			return (u64)st->min_block << order;
	return 0;
}

/* The kernel address of pool offset @off, which must be present. */
static inline void *off_addr(const struct buddy_pool *pool, u64 off)
{
	return idx_addr(pool, (u32)(off >> pool->min_shift));
}

static inline unsigned int pcp_depth(const struct buddy_pcp *pcp,
				     unsigned int order)
{
	return READ_ONCE(pcp->state[order]) & PCP_DEPTH;
}

/*
 * A block in flight is allocated as far as the core knows, but neither
 * owned by a client nor in a cache: a free between clearing the owner
 * byte and pushing the block (or taking the lock to give it to the core),
 * an allocation between its pop and writing the owner byte, an exact free
 * between its two holds of the lock. Each such call counts in @nr_begun
 * of the CPU where it begins, before the block leaves its owner or cache,
 * and lands, after the block arrives, in a count it bumps anyway: this
 * CPU's @nr_allocs or @nr_frees for a cached allocation or free, the
 * pool's nr_frees (under the lock) for a free to the core; a flight that
 * moved nothing lands in @nr_landed.
 *
 * A reader that sums the landings, then (after a full barrier) looks at the
 * caches and owner bytes, then (after another) sums @nr_begun, gets
 * begun - landed >= 0, and 0 only if no flight overlapped its look: the
 * counts only grow, each flight lands after it begins, and anything that
 * begun counts had landed by the time landed was read (SRCU's readers
 * check makes the same argument). It needs each begin ordered before the
 * flight's first change (a fully ordered cmpxchg() or a lock follows it)
 * and each landing after the flight's last change and counters (an
 * smp_wmb() precedes it, or the change was made under the lock that the
 * reader holds). A flight may also be a call that found nothing to do (a
 * free that lost a race, a pop of an empty cache). So a checker that sees
 * a block nowhere asks this before it calls it lost.
 */
static inline unsigned long pcp_landed(struct buddy_pool *pool)
{
	unsigned long n = pool->nr_frees;
	unsigned int cpu;

	lockdep_assert_held(&pool->lock);
	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		n += READ_ONCE(pcp->nr_allocs) + READ_ONCE(pcp->nr_frees) +
		     READ_ONCE(pcp->nr_landed);
	}
	/* Pairs with the barriers that order each landing. */
	smp_mb();
	return n;
}

static inline unsigned long pcp_begun(struct buddy_pool *pool)
{
	unsigned long n = 0;
	unsigned int cpu;

	/* Pairs with the cmpxchg() or lock after each begin. */
	smp_mb();
	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(pool->pcp, cpu)->nr_begun);
	return n;
}

/*
 * Test hooks: the KUnit suites stop a hot path at these points to drive a
 * race deterministically. Without KUnit there are none; with it, a
 * disabled static key costs a no-op.
 */
enum buddy_test_point {
	BUDDY_TEST_REFILL,	/* pcp_refill(), before it takes the lock */
	BUDDY_TEST_FREE,	/* free_owned(), the block in flight */
};

typedef void (*buddy_test_hook_t)(struct buddy_pool *pool,
				  enum buddy_test_point at,
				  unsigned int order);

#if IS_ENABLED(CONFIG_KUNIT)
DECLARE_STATIC_KEY_FALSE(buddy_test_key);
void buddy_test_hook(struct buddy_pool *pool, enum buddy_test_point at,
		     unsigned int order);
void buddy_set_test_hook(buddy_test_hook_t hook);

static __always_inline void buddy_test_point(struct buddy_pool *pool,
					     enum buddy_test_point at,
					     unsigned int order)
{
	if (static_branch_unlikely(&buddy_test_key))
		buddy_test_hook(pool, at, order);
}
#else
static inline void buddy_test_point(struct buddy_pool *pool,
				    enum buddy_test_point at,
				    unsigned int order) { }
#endif

/* buddy_pool.c: names, sizes, the list of pools, chunks. */
bool buddy_parse_size(const char *str, u64 *val);
u64 buddy_half_ram(void);
bool buddy_min_block_ok(size_t min);
bool buddy_size_ok(size_t size, size_t min);
bool buddy_max_ok(size_t size, size_t max_size, size_t min);
bool buddy_region_overlaps(struct buddy_pool *pool, phys_addr_t phys,
			   u64 len);
struct buddy_pool *buddy_pool_new(const struct buddy_pool_info *info);
void buddy_pool_free(struct buddy_pool *pool);
struct buddy_pool *buddy_pools_first(void);
struct buddy_pool *buddy_pool_get_user(const char *name);
void buddy_pool_put(struct buddy_pool *pool);
int buddy_pools_init(void);
void buddy_pools_exit(void);

/* buddy_alloc.c: the per-CPU caches and the hot paths. */
int buddy_caches_init(struct buddy_pool *pool, bool cached);
void buddy_caches_free(struct buddy_pool *pool);
void __buddy_drain_all(struct buddy_pool *pool);
void buddy_free_zeroed(struct buddy_pool *pool, const void *ptr);
void buddy_free_exact_zeroed(struct buddy_pool *pool, const void *ptr,
			     size_t size);
int buddy_cpu_dead(unsigned int cpu, struct hlist_node *node);
u32 buddy_pool_cpu_cached(struct buddy_pool *pool, unsigned int cpu,
			  unsigned int order);

/*
 * KASAN's view of pool memory (buddy_alloc.c): @len bytes at @addr free,
 * so that any access reports, or all accessible again.
 */
#ifdef CONFIG_KASAN_GENERIC
void buddy_poison_free(const struct buddy_pool *pool, const void *addr,
		       size_t len);
void buddy_unpoison(const struct buddy_pool *pool, const void *addr,
		    size_t len);
#else
static inline void buddy_poison_free(const struct buddy_pool *pool,
				     const void *addr, size_t len) { }
static inline void buddy_unpoison(const struct buddy_pool *pool,
				  const void *addr, size_t len) { }
#endif

/* buddy_dma.c: pools for a device. */
int buddy_dma_init(struct buddy_pool *pool, struct device *dev);
void buddy_dma_exit(struct buddy_pool *pool);
struct page *buddy_dma_pages(struct buddy_pool *pool, unsigned int order,
			     gfp_t gfp, bool *split);
int buddy_dma_map(struct buddy_pool *pool, unsigned int slot, void *addr,
		  unsigned long len);
void buddy_dma_unmap(struct buddy_pool *pool, unsigned int slot,
		     unsigned long len);
bool buddy_dma_reachable(struct buddy_pool *pool, phys_addr_t phys,
			 size_t len);
unsigned long buddy_dma_top_pfn(struct buddy_pool *pool);

/* buddy_region.c: contiguous pools' regions, and the search for them. */
struct page *buddy_contig_pages(struct buddy_pool *pool, unsigned long nr,
				unsigned long align, unsigned long top_pfn,
				unsigned int *tried);
void *buddy_region_get(struct buddy_pool *pool,
		       const struct buddy_pool_info *info, phys_addr_t *phys,
		       u64 *len);
void buddy_region_zero(void *addr, u64 len);
void buddy_region_put(struct buddy_pool *pool, void *addr, phys_addr_t phys,
		      u64 len);

/*
 * buddy_user.c: /dev/buddy and its dma-bufs, on kernels with dma-buf
 * (CONFIG_DMA_SHARED_BUFFER); without, user pools are refused.
 */
struct buddy_ioc_alloc;
struct dma_buf;
struct dma_buf *buddy_user_export(struct buddy_pool *pool,
				  struct buddy_ioc_alloc *req, bool charge,
				  bool show_addrs);
void buddy_user_flush(void);
#ifdef CONFIG_DMA_SHARED_BUFFER
int buddy_user_init(void);
void buddy_user_exit(void);
#else
static inline int buddy_user_init(void) { return 0; }
static inline void buddy_user_exit(void) { }
#endif

/* buddy_fault.c: fail_buddy_alloc, asked by every allocation call. */
#ifdef CONFIG_FAULT_INJECTION
extern struct fault_attr fail_buddy_alloc;

static inline bool buddy_should_fail(size_t size)
{
	return should_fail(&fail_buddy_alloc, size);
}

int buddy_fault_init(void);
void buddy_fault_exit(void);
#else
static inline bool buddy_should_fail(size_t size) { return false; }
static inline int buddy_fault_init(void) { return 0; }
static inline void buddy_fault_exit(void) { }
#endif

/* buddy_check.c: the pool checker and statistics. */
int buddy_pool_check(struct buddy_pool *pool, char *buf, size_t len);
int buddy_pool_check_bounded(struct buddy_pool *pool, char *buf, size_t len);
void buddy_pool_snapshot(struct buddy_pool *pool, struct buddy_stats *st,
			 u64 *corruptions);

/* buddy_debugfs.c */
int buddy_debugfs_cache(struct buddy_pool *pool, const char *cmd,
			size_t count);

int buddy_debugfs_ctl(struct buddy_pool *pool, const char *cmd, size_t count);
int buddy_debugfs_render(struct buddy_pool *pool, const char *file,
			 char *buf, size_t len);

/*
 * Without CONFIG_DEBUG_FS these still build: debugfs.h's stubs fail every
 * create, and a pool works the same without its directory.
 */
void buddy_debugfs_init(void);
void buddy_debugfs_exit(void);
void buddy_debugfs_add(struct buddy_pool *pool);
void buddy_debugfs_remove(struct buddy_pool *pool);

#endif /* BUDDY_INTERNAL_H */
