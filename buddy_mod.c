// SPDX-License-Identifier: GPL-2.0
/*
 * buddy.ko: pools of alloc_pages() memory managed by the buddy core, the
 * exported API, the module parameters and the default pool. Every export
 * and MODULE_* line of the module lives here.
 *
 * Lock order:
 *   buddy_pools_lock (mutex: the list of pools and their names)
 *     pool->ctl_lock (mutex: debugfs ctl allocations)
 *       pool->lock (raw spinlock, irqsave: the core state)
 * None of them is held across anything that sleeps, prints or allocates.
 *
 * The fast path: an allocation of a cached order pops a block from this
 * CPU's cache and a free pushes it back, with one cmpxchg() and no lock
 * (see pcp_pop()). The caches refill from and drain to the core in
 * batches, under pool->lock. A client's ownership of a block is one byte
 * in pool->owner, which also holds the block's order, so a free needs no
 * lookup in the core and a double free is caught even while the block
 * sits in some CPU's cache.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/kasan.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "buddy_compat.h"
#include "buddy_internal.h"

#define CREATE_TRACE_POINTS
#include "buddy_trace.h"

#define CHUNK_ORDER	BUDDY_MAX_PAGE_ORDER
#define CHUNK_SHIFT	(PAGE_SHIFT + CHUNK_ORDER)
#define CHUNK_BYTES	BIT(CHUNK_SHIFT)

/*
 * Catching client bugs where they happen.
 *
 * KASAN (generic mode) sees a pool's chunks as the page allocator left
 * them: all accessible. So buddy.ko keeps their shadow itself, as the slab
 * allocators do for their pages. A free block, cached or not, is poisoned
 * as freed memory; of an allocated block only the bytes the caller asked
 * for are accessible, and the rest is poisoned as a redzone. Of KASAN's
 * shadow API only kasan_poison() is exported to modules on both 6.1 and
 * 6.12 (for KASAN's own test module; the kasan_unpoison*() and
 * kasan_*_pages() hooks are not), so it does the bulk and the one shadow
 * byte of a partly used last granule is written here. buddy_core.o is
 * built without KASAN instrumentation (Kbuild), as mm/slub.o is, so the
 * core's links inside free blocks never report.
 */
#ifdef CONFIG_KASAN_GENERIC
#define GRANULE		BIT(KASAN_SHADOW_SCALE_SHIFT)
/* mm/kasan/kasan.h's KASAN_PAGE_FREE and KASAN_PAGE_REDZONE */
#define SHADOW_FREE	0xff
#define SHADOW_SLACK	0xfe

/* Not instrumented: an access to the shadow must not check the shadow. */
static noinline __no_sanitize_address void
shadow_last_granule(const void *addr, size_t size)
{
	u8 *shadow = kasan_mem_to_shadow(addr + round_down(size, GRANULE));

	*shadow = size & (GRANULE - 1);
}

/* @len bytes at @addr are free: any access reports a use after free. */
static void poison_free(const void *addr, size_t len)
{
	kasan_poison(addr, len, SHADOW_FREE, false);
}

/* Every byte of @len at @addr is accessible again. */
static void unpoison(const void *addr, size_t len)
{
	kasan_poison(addr, len, 0, false);
}

/* Of @len bytes at @addr, the first @size are accessible, the rest not. */
static void unpoison_size(const void *addr, size_t size, size_t len)
{
	size_t used = round_up(size, GRANULE);

	kasan_poison(addr, used, 0, false);
	if (size & (GRANULE - 1))
		shadow_last_granule(addr, size);
	if (len > used)
		kasan_poison(addr + used, len - used, SHADOW_SLACK, false);
}
#else
static inline void poison_free(const void *addr, size_t len) { }
static inline void unpoison(const void *addr, size_t len) { }
static inline void unpoison_size(const void *addr, size_t size, size_t len) { }
#endif

/*
 * Fault injection, as failslab and fail_page_alloc do it: the standard
 * knobs in /sys/kernel/debug/fail_buddy_alloc/, or the module parameter
 * of the same name in the boot-option format <interval>,<probability>,
 * <space>,<times>. Every allocation call of every pool asks it first.
 */
#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(fail_buddy_alloc);
static char *fail_param;
module_param_named(fail_buddy_alloc, fail_param, charp, 0444);
MODULE_PARM_DESC(fail_buddy_alloc,
		 "Fault injection: <interval>,<probability>,<space>,<times> (default: off; needs CONFIG_FAULT_INJECTION)");
static struct dentry *fail_dir;

static bool fail_alloc(size_t size)
{
	return should_fail(&fail_buddy_alloc, size);
}

static int fail_init(void)
{
	/* setup_fault_attr() takes any probability; should_fail() does not. */
	if (fail_param && (!setup_fault_attr(&fail_buddy_alloc, fail_param) ||
			   fail_buddy_alloc.probability > 100)) {
		pr_err("invalid fail_buddy_alloc=%s: must be <interval>,<probability>,<space>,<times>, probability 0 to 100\n",
		       fail_param);
		return -EINVAL;
	}
	/* As for any debugfs file, a failure costs only the knobs. */
	fail_dir = fault_create_debugfs_attr("fail_buddy_alloc", NULL,
					     &fail_buddy_alloc);
	return 0;
}

static void fail_exit(void)
{
	debugfs_remove_recursive(fail_dir);
}
#else
static inline bool fail_alloc(size_t size) { return false; }
static inline int fail_init(void) { return 0; }
static inline void fail_exit(void) { }
#endif

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

static DEFINE_MUTEX(buddy_pools_lock);
static LIST_HEAD(buddy_pools);
static struct buddy_pool *default_pool;
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

static u64 half_ram(void)
{
	return ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

static bool min_block_ok(size_t min)
{
	return min >= BUDDY_CORE_MIN_BLOCK && min <= CHUNK_BYTES &&
	       is_power_of_2(min);
}

static bool size_ok(size_t size, size_t min)
{
	return size && size % min == 0 && size <= half_ram() &&
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

/* Bytes in chunk @i: all but the last chunk slot of the range are full. */
static unsigned long chunk_len(const struct buddy_pool *pool, unsigned int i)
{
	return min_t(size_t, CHUNK_BYTES,
		     pool->max_size - ((size_t)i << CHUNK_SHIFT));
}

static void free_chunk(void *addr, unsigned long len)
{
	unsigned int order = get_order(len);
	struct page *page = virt_to_page(addr);
	unsigned long nr = DIV_ROUND_UP(len, PAGE_SIZE), j;

	/* Back as the page allocator gave it, whatever clients left. */
	unpoison(addr, len);
	/* A tail chunk was split into single pages when it was trimmed. */
	if (nr == 1UL << order) {
		__free_pages(page, order);
		return;
	}
	for (j = 0; j < nr; j++)
		__free_page(page + j);
}

/*
 * Reserve @len bytes for a chunk: the smallest alloc_pages() block that
 * holds them, with the unused pages of a short tail chunk given straight
 * back; zeroed, and poisoned as free for KASAN. Return its address, or
 * NULL.
 */
static void *alloc_chunk(unsigned long len)
{
	unsigned int order = get_order(len);
	unsigned long nr = DIV_ROUND_UP(len, PAGE_SIZE), j;
	struct page *page;

	/* Zeroed, so that every free block starts known to be zero. */
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL |
			   __GFP_ZERO, order);
	if (!page)
		return NULL;
	if (nr != 1UL << order) {
		split_page(page, order);
		for (j = nr; j < 1UL << order; j++)
			__free_page(page + j);
	}
	poison_free(page_address(page), len);
	return page_address(page);
}

#define DIR_SHIFT	(CHUNK_SHIFT + BUDDY_DIR_BITS)
#define DIR_SLOTS	BIT(BUDDY_DIR_BITS)

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
		if (!pool->segs[i])
			continue;
		lo = min_t(unsigned long, lo, (unsigned long)pool->segs[i]);
		hi = max_t(unsigned long, hi, (unsigned long)pool->segs[i]);
	}
	pool->dir_base = round_down(lo, BIT(DIR_SHIFT));
	pool->dir_len = ((hi - pool->dir_base) >> DIR_SHIFT) + 1;
	pool->chunk_dir = kvcalloc(pool->dir_len, sizeof(*pool->chunk_dir),
				   GFP_KERNEL);
	if (!pool->chunk_dir)
		return -ENOMEM;
	for (i = 0; i < pool->nr_slots; i++) {
		u32 *slot;

		if (!pool->segs[i])
			continue;
		slot = dir_slot(pool, pool->segs[i]);
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
	unsigned long addr = (unsigned long)ptr;
	unsigned long rel = addr - pool->dir_base, t = rel >> DIR_SHIFT;
	unsigned long start;
	const u32 *tab;
	u32 seg;

	if (unlikely(t >= pool->dir_len))
		return U64_MAX;
	/* Pairs with the release in dir_slot(): a table is seen zeroed. */
	tab = smp_load_acquire(&pool->chunk_dir[t]);
	if (unlikely(!tab))
		return U64_MAX;
	seg = READ_ONCE(tab[(rel >> CHUNK_SHIFT) & (DIR_SLOTS - 1)]);
	if (unlikely(!seg--))
		return U64_MAX;
	/* NULL, for a chunk shrink is taking away, fails the test below. */
	start = (unsigned long)READ_ONCE(pool->segs[seg]);
	if (unlikely(addr - start >= chunk_len(pool, seg)))
		return U64_MAX;
	return ((u64)seg << CHUNK_SHIFT) + (addr - start);
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
	unsigned int seg;
	unsigned char *start;

	if (IS_ERR_OR_NULL(pool) || offset >= pool->max_size)
		return NULL;
	seg = (unsigned int)(offset >> CHUNK_SHIFT);
	start = READ_ONCE(pool->segs[seg]);
	if (!start)
		return NULL;
	return start + (offset & (CHUNK_BYTES - 1));
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_addr, BUDDY_NS);

static void *idx_addr(const struct buddy_pool *pool, u32 idx)
{
	return pool->segs[idx >> pool->seg_bits] +
	       ((unsigned long)(idx & (BIT(pool->seg_bits) - 1)) <<
		pool->min_shift);
}

/*
 * A cache of one order is a stack of block indices plus one word, @state,
 * that holds the depth in its low byte and a version above it. Every
 * change to the stack ends with a cmpxchg() of @state that bumps the
 * version, so a change based on a stale view fails and is retried.
 *
 * Any CPU may pop, from any context: so an allocation that needs the
 * blocks in every cache can always take them, even in hard IRQ and even
 * from a cache whose owner it interrupted. Only the owning CPU pushes,
 * with preemption disabled. A push writes its slot before its cmpxchg()
 * can tell whether the depth it read is still current, which is harmless
 * against a pop (the slot is above the stack) but not against another
 * push on the same CPU: an interrupt that pushed in between would fill
 * that very slot, the interrupted push would overwrite it, retry and
 * succeed, and one block would be lost while another sat in the cache
 * twice. So a push marks the cache busy, and a push from an interrupt
 * that finds it busy fails and its caller gives the block to the core,
 * as the page allocator does when an interrupt finds this CPU's lists
 * locked. The fast paths take no lock and leave interrupts on.
 */
#define PCP_DEPTH	0xffUL
#define PCP_TICK	0x100UL

static unsigned int pcp_depth(const struct buddy_pcp *pcp, unsigned int order)
{
	return READ_ONCE(pcp->state[order]) & PCP_DEPTH;
}

/* Take the top slot of @pcp's stack of @order into *@e, if any. */
static bool pcp_pop(struct buddy_pcp *pcp, unsigned int order, u32 *e)
{
	unsigned long old, n;

	do {
		old = READ_ONCE(pcp->state[order]);
		n = old & PCP_DEPTH;
		if (!n)
			return false;
		/* Read the slot no earlier than the depth that covers it. */
		smp_rmb();
		*e = READ_ONCE(pcp->slot[order][n - 1]);
	} while (cmpxchg(&pcp->state[order], old, old + PCP_TICK - 1) != old);
	return true;
}

/*
 * Push slot @e on this CPU's stack of @order unless it holds @high blocks
 * or an interrupted push of this CPU's is under way. The caller runs on
 * the owning CPU with preemption disabled.
 */
static bool pcp_push(struct buddy_pcp *pcp, unsigned int order, u32 e,
		     unsigned int high)
{
	unsigned long old, n;
	bool done = false;

	/* Only this CPU writes @busy, so no atomics: an interrupt sees it. */
	if (unlikely(READ_ONCE(pcp->busy)))
		return false;
	WRITE_ONCE(pcp->busy, true);
	barrier();
	do {
		old = READ_ONCE(pcp->state[order]);
		n = old & PCP_DEPTH;
		if (n >= high)
			goto out;
		WRITE_ONCE(pcp->slot[order][n], e);
		/* A fully ordered cmpxchg() publishes the slot with the depth. */
	} while (cmpxchg(&pcp->state[order], old, old + PCP_TICK + 1) != old);
	done = true;
out:
	barrier();
	WRITE_ONCE(pcp->busy, false);
	return done;
}

/*
 * Give the block in cache slot @e back to the core, which merges it. The
 * caller holds pool->lock.
 */
static void __free_slot(struct buddy_pool *pool, u32 e)
{
	u64 off = (u64)(e & ~PCP_ZERO) << pool->min_shift;

	lockdep_assert_held(&pool->lock);
	if (e & PCP_ZERO)
		WARN_ON_ONCE(buddy_core_free_zeroed(&pool->core, off));
	else
		WARN_ON_ONCE(buddy_core_free(&pool->core, off));
}

/*
 * Give up to @n blocks from the top of @pcp's stack of @order back to the
 * core, which merges them. The caller holds pool->lock. Return how many.
 */
static unsigned int __drain(struct buddy_pool *pool, unsigned int cpu,
			    struct buddy_pcp *pcp, unsigned int order,
			    unsigned int n)
{
	unsigned int i;
	u32 e;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < n && pcp_pop(pcp, order, &e); i++)
		__free_slot(pool, e);
	if (i)
		trace_buddy_cache_drain(pool, cpu, order, i);
	return i;
}

static void __drain_cpu(struct buddy_pool *pool, unsigned int cpu)
{
	struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);
	unsigned int order;

	for (order = 0; order < BUDDY_PCP_ORDERS; order++)
		__drain(pool, cpu, pcp, order, BUDDY_PCP_HIGH_MAX);
}

/* Empty every CPU's cache. The caller holds pool->lock. */
static void __drain_all(struct buddy_pool *pool)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		__drain_cpu(pool, cpu);
}

/*
 * This CPU's cache of @order is empty: take a batch from the core, keep
 * the first block for the caller in *@e and cache the rest, so that the
 * blocks go out in address order. The caller runs with preemption
 * disabled.
 */
static noinline bool refill(struct buddy_pool *pool, struct buddy_pcp *pcp,
			    unsigned int order, u32 *e)
{
	u64 bytes = 1ULL << (pool->min_shift + order), off;
	unsigned int n, got, batch = READ_ONCE(pool->batch[order]);
	unsigned int high = READ_ONCE(pool->high[order]);
	u32 blk[BUDDY_PCP_HIGH_MAX];
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	for (n = 0; n < batch; n++) {
		if (buddy_core_alloc(&pool->core, bytes, &off))
			break;
		blk[n] = (u32)(off >> pool->min_shift);
		if (buddy_core_zeroed(&pool->core, off))
			blk[n] |= PCP_ZERO;
	}
	got = n;
	/*
	 * An interrupt may have filled the cache meanwhile, or this one may
	 * have interrupted a push: what the cache does not take goes back.
	 */
	while (n > 1 && pcp_push(pcp, order, blk[n - 1], high))
		n--;
	/* Taken for good: the caller's block and the ones cached. */
	if (got)
		trace_buddy_cache_refill(pool, smp_processor_id(), order,
					 got - n + 1);
	while (n > 1)
		__free_slot(pool, blk[--n]);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (n)
		*e = blk[0];
	return n;
}

/* Zero @len bytes at @addr, which KASAN may have closed. */
static void wipe(void *addr, size_t len)
{
	unpoison(addr, len);
	memset(addr, 0, len);
}

/*
 * Hand @len bytes at @addr to a client that asked for @size bytes: zero
 * them if the system's init_on_alloc or the caller's __GFP_ZERO wants it
 * and they may hold anything (@dirty), then open @size bytes of them to
 * KASAN.
 */
static void *hand_out(struct buddy_pool *pool, void *addr, size_t size,
		      size_t len, gfp_t gfp, bool dirty)
{
	if (want_init_on_alloc(gfp) && dirty) {
		wipe(addr, len);
		this_cpu_inc(pool->pcp->nr_zeroings);
	}
	unpoison_size(addr, size, len);
	return addr;
}

/*
 * A client gave back @len bytes at @addr: wipe them if the system's
 * init_on_free wants it and close them to KASAN. Return whether they are
 * now known to hold only zeros. The caller owns the memory until it
 * passes it on.
 */
static bool take_back(void *addr, size_t len)
{
	bool zero = want_init_on_free();

	if (zero)
		wipe(addr, len);
	poison_free(addr, len);
	return zero;
}

/*
 * A block of a cached @order from this CPU's cache, or NULL. @caller is
 * for the trace event only.
 */
static void *alloc_cached(struct buddy_pool *pool, size_t size,
			  unsigned int order, gfp_t gfp, unsigned long caller)
{
	struct buddy_pcp *pcp = get_cpu_ptr(pool->pcp);
	u32 e, idx;
	bool got;

	got = pcp_pop(pcp, order, &e) || refill(pool, pcp, order, &e);
	if (likely(got)) {
		idx = e & ~PCP_ZERO;
		WRITE_ONCE(pool->owner[idx], order + 1);
		this_cpu_inc(pool->pcp->nr_allocs);
		trace_buddy_alloc(pool, (u64)idx << pool->min_shift, size,
				  order, caller);
	}
	put_cpu_ptr(pool->pcp);
	if (unlikely(!got))
		return NULL;
	return hand_out(pool, idx_addr(pool, idx), size,
			BIT(pool->min_shift + order), gfp, !(e & PCP_ZERO));
}

/* Give the block in cache slot form @e back to the core. */
static void free_to_core(struct buddy_pool *pool, u32 e)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	__free_slot(pool, e);
	pool->nr_frees++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * This CPU's cache of @order took no push: give a batch back if it is
 * full, then push, or free to the core if this interrupts a push.
 */
static noinline void free_full(struct buddy_pool *pool, struct buddy_pcp *pcp,
			       u32 e, unsigned int order, unsigned int high)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	if (pcp_depth(pcp, order) >= high)
		__drain(pool, smp_processor_id(), pcp, order,
			READ_ONCE(pool->batch[order]));
	if (!pcp_push(pcp, order, e, high)) {
		__free_slot(pool, e);
		pool->nr_frees++;
	} else {
		this_cpu_inc(pool->pcp->nr_frees);
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * Free the block starting at min block @idx. Return false, changing
 * nothing, if no client owns a block starting there. @caller is for the
 * trace event only.
 */
static bool free_owned(struct buddy_pool *pool, u32 idx, unsigned long caller)
{
	u8 tag = READ_ONCE(pool->owner[idx]);
	unsigned int order = tag - 1, high;
	struct buddy_pcp *pcp;
	u32 e = idx;

	/* Nothing, or a part of an exact allocation: not for buddy_free(). */
	if (unlikely(!tag || tag > BUDDY_NR_ORDERS))
		return false;
	/* Of two racing frees of one block, exactly one gets its tag. */
	if (unlikely(cmpxchg(&pool->owner[idx], tag, 0) != tag))
		return false;
	trace_buddy_free(pool, (u64)idx << pool->min_shift, order, caller);
	/* Ours alone until it is cached or back in the core. */
	if (take_back(idx_addr(pool, idx), BIT(pool->min_shift + order)))
		e |= PCP_ZERO;
	high = order < BUDDY_PCP_ORDERS ? READ_ONCE(pool->high[order]) : 0;
	if (unlikely(!high)) {
		free_to_core(pool, e);
		return true;
	}
	pcp = get_cpu_ptr(pool->pcp);
	if (likely(pcp_push(pcp, order, e, high)))
		this_cpu_inc(pool->pcp->nr_frees);
	else
		free_full(pool, pcp, e, order, high);
	put_cpu_ptr(pool->pcp);
	return true;
}

/*
 * Why is @off not the start of a block a client owns? 0 if it is. A block
 * in a cache is free to the client, so anything in it is a double free,
 * as for a block on a free list. The caller holds pool->lock.
 */
static int classify(struct buddy_pool *pool, u64 off)
{
	struct buddy_core_block blk;
	u64 pos = off;
	u8 tag;

	lockdep_assert_held(&pool->lock);
	if (off >= pool->max_size ||
	    !buddy_core_segment_present(&pool->core, off >> CHUNK_SHIFT))
		return -ERANGE;
	if (off & (BIT_ULL(pool->min_shift) - 1))
		return -EINVAL;
	buddy_core_next_block(&pool->core, &pos, &blk);
	tag = READ_ONCE(pool->owner[blk.off >> pool->min_shift]);
	if (blk.free || !tag)
		return -EALREADY;
	if (blk.off != off || (tag & OWNER_PART))
		return -ENOENT;
	return tag & OWNER_EXACT ? -EXDEV : 0;
}

/*
 * Default cache sizes: the orders whose blocks are at most 64 KiB (and
 * below BUDDY_PCP_ORDERS) may be cached, and each CPU may hold up to an
 * eighth of the pool split evenly over them, at most BUDDY_PCP_HIGH_MAX
 * blocks of an order. An order that would get fewer than 4 blocks is not
 * cached. A batch is half the high mark: a cache refills to half full and
 * drains to half full, as far from both ends as its random walk can start.
 */
static void size_caches(struct buddy_pool *pool)
{
	unsigned int order, nr = 0, max = buddy_core_max_order(&pool->core);
	u64 budget;

	while (nr < BUDDY_PCP_ORDERS && nr <= max &&
	       BIT_ULL(pool->min_shift + nr) <= SZ_64K)
		nr++;
	if (!nr)
		return;
	budget = div_u64(pool->size / 8, num_possible_cpus() * nr);
	for (order = 0; order < nr; order++) {
		u64 high = min_t(u64, BUDDY_PCP_HIGH_MAX,
				 budget >> (pool->min_shift + order));

		if (high < 4)
			continue;
		pool->high[order] = (u16)high;
		pool->batch[order] = (u16)(high / 2);
	}
}

static int init_caches(struct buddy_pool *pool, bool cached)
{
	pool->owner = kvzalloc(pool->max_size >> pool->min_shift, GFP_KERNEL);
	if (!pool->owner)
		return -ENOMEM;
	pool->pcp = alloc_percpu(struct buddy_pcp);
	if (!pool->pcp) {
		kvfree(pool->owner);
		return -ENOMEM;
	}
	pool->pcp_bytes = min_t(u64, BIT_ULL(pool->min_shift + BUDDY_PCP_ORDERS - 1),
				buddy_core_min_block(&pool->core) <<
				buddy_core_max_order(&pool->core));
	if (cached)
		size_caches(pool);
	return 0;
}

static void free_caches(struct buddy_pool *pool)
{
	free_percpu(pool->pcp);
	kvfree(pool->owner);
}

/*
 * Reserve the chunks of the first @size bytes of a range of @max_size
 * bytes; the core sees the rest as absent chunk slots.
 */
static int reserve(struct buddy_pool *pool, size_t size, size_t max_size,
		   size_t min)
{
	size_t meta_size = buddy_core_meta_size(max_size, min);
	unsigned int i, present = DIV_ROUND_UP(size, CHUNK_BYTES);
	int ret = -ENOMEM;

	pool->size = size;
	pool->floor = size;
	pool->max_size = max_size;
	pool->chunk_shift = CHUNK_SHIFT;
	pool->min_shift = ilog2(min);
	pool->seg_bits = CHUNK_SHIFT - pool->min_shift;
	pool->nr_chunks = present;
	pool->nr_slots = DIV_ROUND_UP(max_size, CHUNK_BYTES);
	pool->segs = kcalloc(pool->nr_slots, sizeof(*pool->segs), GFP_KERNEL);
	if (!pool->segs)
		return -ENOMEM;
	pool->meta = kvzalloc(meta_size, GFP_KERNEL);
	if (!pool->meta)
		goto out_free_segs;
	for (i = 0; i < present; i++) {
		/* Only the last chunk of a pool that cannot grow is short. */
		pool->segs[i] = alloc_chunk(chunk_len(pool, i));
		if (!pool->segs[i])
			goto out_free_chunks;
	}
	ret = build_dir(pool);
	if (ret)
		goto out_free_chunks;
	ret = buddy_core_init(&pool->core, max_size, min, pool->chunk_shift,
			      pool->segs, pool->meta, meta_size);
	if (WARN_ON_ONCE(ret))
		goto out_free_dir;
	buddy_core_set_zeroed(&pool->core, 0, max_size);
	return 0;

out_free_dir:
	free_dir(pool);
out_free_chunks:
	while (i--)
		free_chunk(pool->segs[i], chunk_len(pool, i));
	kvfree(pool->meta);
out_free_segs:
	kfree(pool->segs);
	return ret;
}

/*
 * Give back every chunk that holds no allocated block, and return how many
 * chunks had to stay reserved because a client still owns memory in them.
 */
static unsigned int release(struct buddy_pool *pool)
{
	unsigned int i, kept = 0;

	for (i = 0; i < pool->nr_slots; i++) {
		if (!pool->segs[i])
			continue;
		/* The core takes a chunk out only if all of it is free. */
		if (buddy_core_remove_segment(&pool->core, i))
			kept++;
		else
			free_chunk(pool->segs[i], chunk_len(pool, i));
	}
	return kept;
}

/* Can a pool be created @size bytes large and grow to @max_size? */
static bool max_ok(size_t size, size_t max_size, size_t min)
{
	if (max_size == size)
		return true;
	/* Only whole chunks come and go. */
	return max_size > size && size_ok(max_size, min) &&
	       size % CHUNK_BYTES == 0;
}

static struct buddy_pool *create_pool(const char *name, size_t size,
				      size_t max_size, size_t min_block,
				      bool cached)
{
	struct buddy_pool *pool;
	int ret;

	if (!name_ok(name) || !min_block_ok(min_block) ||
	    !size_ok(size, min_block) || !max_ok(size, max_size, min_block))
		return ERR_PTR(-EINVAL);
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&pool->lock);
	mutex_init(&pool->resize_lock);
	mutex_init(&pool->ctl_lock);
	INIT_LIST_HEAD(&pool->ctl);
	strscpy(pool->name, name, sizeof(pool->name));

	mutex_lock(&buddy_pools_lock);
	if (find_pool(name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = reserve(pool, size, max_size, min_block);
	if (ret)
		goto out_unlock;
	ret = init_caches(pool, cached);
	if (ret)
		goto out_release;
	ret = cpuhp_state_add_instance_nocalls(buddy_cpuhp_state, &pool->cpuhp);
	if (ret)
		goto out_free_caches;
	list_add_tail(&pool->node, &buddy_pools);
	mutex_unlock(&buddy_pools_lock);

	buddy_debugfs_add(pool);
	return pool;

out_free_caches:
	free_caches(pool);
out_release:
	release(pool);
	free_dir(pool);
	kvfree(pool->meta);
	kfree(pool->segs);
out_unlock:
	mutex_unlock(&buddy_pools_lock);
	mutex_destroy(&pool->ctl_lock);
	mutex_destroy(&pool->resize_lock);
	kfree(pool);
	return ERR_PTR(ret);
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
	return create_pool(name, size, size, min_block, true);
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
	return create_pool(name, size, max_size, min_block, true);
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
	unsigned int kept;
	u64 live, bytes;

	if (IS_ERR_OR_NULL(pool))
		return;
	buddy_debugfs_remove(pool);

	mutex_lock(&buddy_pools_lock);
	list_del(&pool->node);
	mutex_unlock(&buddy_pools_lock);
	cpuhp_state_remove_instance_nocalls(buddy_cpuhp_state, &pool->cpuhp);

	/* With the caches empty, what the core holds is what clients hold. */
	buddy_pool_drain(pool);
	live = pool->core.nr_allocs - pool->core.nr_frees;
	bytes = buddy_core_used_bytes(&pool->core);
	kept = release(pool);
	if (live)
		pr_warn("pool %s destroyed with %llu blocks (%llu bytes) still allocated; keeping %u of %u chunks reserved\n",
			pool->name, live, bytes, kept, pool->nr_chunks);
	free_caches(pool);
	free_dir(pool);
	kvfree(pool->meta);
	kfree(pool->segs);
	mutex_destroy(&pool->ctl_lock);
	mutex_destroy(&pool->resize_lock);
	kfree(pool);
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
 * pages cannot be had.
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
	c = kcalloc(pool->nr_slots, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;

	mutex_lock(&pool->resize_lock);
	for (i = 0; i < pool->nr_slots && added < bytes; i++) {
		if (pool->segs[i])
			continue;
		c[n++].slot = i;
		added += chunk_len(pool, i);
	}
	ret = -ENOSPC;
	if (added < bytes)
		goto out_unlock;
	ret = -ENOMEM;
	for (i = 0; i < n; i++) {
		c[i].addr = alloc_chunk(chunk_len(pool, c[i].slot));
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
		WRITE_ONCE(pool->segs[c[i].slot], c[i].addr);
		/* The address first: buddy_pool_offset() reads it second. */
		smp_wmb();
		WRITE_ONCE(*c[i].dir, c[i].slot + 1);
	}
	raw_spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < n; i++) {
		u64 start = (u64)c[i].slot << CHUNK_SHIFT;

		WARN_ON_ONCE(buddy_core_add_segment(&pool->core, c[i].slot));
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
		free_chunk(c[i].addr, chunk_len(pool, c[i].slot));
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
 * Return: the bytes released, 0 if none.
 */
size_t buddy_pool_shrink(struct buddy_pool *pool, size_t bytes)
{
	unsigned int i, n = 0, *slot;
	unsigned long flags;
	size_t released = 0;

	might_sleep();
	if (IS_ERR_OR_NULL(pool) || !bytes)
		return 0;
	slot = kcalloc(pool->nr_slots, sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return 0;

	mutex_lock(&pool->resize_lock);
	raw_spin_lock_irqsave(&pool->lock, flags);
	/* A cached block is allocated to the core: let it go home first. */
	__drain_all(pool);
	for (i = pool->nr_slots; i-- && released < bytes;) {
		size_t len = chunk_len(pool, i);

		if (!pool->segs[i] || pool->size - released < pool->floor + len)
			continue;
		/* Fails, changing nothing, unless all of the chunk is free. */
		if (buddy_core_remove_segment(&pool->core, i))
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
		void *addr = pool->segs[slot[i]];
		u32 *tab_slot = dir_slot(pool, addr);

		if (!WARN_ON_ONCE(!tab_slot))
			WRITE_ONCE(*tab_slot, 0);
		WRITE_ONCE(pool->segs[slot[i]], NULL);
		free_chunk(addr, chunk_len(pool, slot[i]));
	}
	mutex_unlock(&pool->resize_lock);
	kfree(slot);
	return released;
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_shrink, BUDDY_NS);

static const char *alloc_error(int err)
{
	switch (err) {
	case -EINVAL:
		return "zero size";
	case -E2BIG:
		return "larger than the largest block";
	default:
		return "pool exhausted";
	}
}

/*
 * Take a block from the core for a client; *@dirty says whether it may
 * hold anything but zeros. The caller holds pool->lock.
 */
static int __alloc_core(struct buddy_pool *pool, size_t size,
			unsigned int order, u64 *off, bool *dirty)
{
	int ret = buddy_core_alloc(&pool->core, size, off);

	if (likely(!ret)) {
		WRITE_ONCE(pool->owner[*off >> pool->min_shift], order + 1);
		*dirty = !buddy_core_zeroed(&pool->core, *off);
		pool->nr_allocs++;
	}
	return ret;
}

/*
 * Allocate from the core. When it has nothing large enough, empty every
 * CPU's cache into it and try again, under the pool lock so that no cache
 * can refill in between: the call fails only if no block that could serve
 * it is left anywhere.
 */
static int alloc_core(struct buddy_pool *pool, size_t size,
		      unsigned int order, u64 *off, bool *dirty)
{
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = __alloc_core(pool, size, order, off, dirty);
	if (unlikely(ret == -ENOMEM)) {
		/* No cache refills without this lock, which we hold. */
		__drain_all(pool);
		ret = __alloc_core(pool, size, order, off, dirty);
	}
	if (ret)
		pool->nr_failed++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return ret;
}

/*
 * Tell a client that nothing could be had for it. @what names the call,
 * NULL for buddy_alloc().
 */
static void alloc_failed(struct buddy_pool *pool, const char *what,
			 size_t size, const char *why, gfp_t gfp,
			 unsigned long caller)
{
	trace_buddy_alloc_fail(pool, size, why, caller);
	if (gfp & __GFP_NOWARN)
		return;
	if (what)
		pr_warn_ratelimited("%s: %s() cannot allocate %zu bytes: %s (caller %pS)\n",
				    pool->name, what, size, why,
				    (void *)caller);
	else
		pr_warn_ratelimited("%s: cannot allocate %zu bytes: %s (caller %pS)\n",
				    pool->name, size, why, (void *)caller);
}

/* Count in nr_failed, then tell the client, as alloc_failed() does. */
static noinline void count_failed(struct buddy_pool *pool, const char *what,
				  size_t size, const char *why, gfp_t gfp,
				  unsigned long caller)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_failed++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	alloc_failed(pool, what, size, why, gfp, caller);
}

/* Should this allocation fail by fault injection? Then it is counted. */
static inline bool injected(struct buddy_pool *pool, const char *what,
			    size_t size, gfp_t gfp, unsigned long caller)
{
	if (likely(!fail_alloc(size)))
		return false;
	count_failed(pool, what, size, "fault injected", gfp, caller);
	return true;
}

/* Everything but a hit in this CPU's cache. */
static noinline void *alloc_slow(struct buddy_pool *pool, size_t size,
				 gfp_t gfp, unsigned long caller)
{
	int ret, order = buddy_core_order_for(&pool->core, size);
	bool dirty;
	u64 off;

	if (unlikely(order < 0)) {
		count_failed(pool, NULL, size, alloc_error(order), gfp, caller);
		return NULL;
	}
	ret = alloc_core(pool, size, order, &off, &dirty);
	if (unlikely(ret)) {
		alloc_failed(pool, NULL, size, alloc_error(ret), gfp, caller);
		return NULL;
	}
	trace_buddy_alloc(pool, off, size, order, caller);
	return hand_out(pool, idx_addr(pool, (u32)(off >> pool->min_shift)),
			size, BIT_ULL(pool->min_shift + order), gfp, dirty);
}

/**
 * buddy_alloc() - allocate a physically contiguous block
 * @pool: the pool
 * @size: bytes needed
 * @gfp: only __GFP_ZERO (zero the block) and __GFP_NOWARN (no warning on
 *	failure) matter; the call never sleeps whatever the flags
 *
 * The block holds the smallest power of two of bytes that is at least
 * max(@size, min_block), and is naturally aligned to that size in
 * physical memory. A block of a cached order comes from this CPU's cache
 * when it has one; an empty cache refills with a batch from the pool.
 * The block is zeroed for __GFP_ZERO and under init_on_alloc, unless it
 * is known to hold only zeros. Under KASAN only @size bytes of it are
 * accessible (see buddy_block_size()).
 *
 * Context: Any context, hard IRQ included. A hit in this CPU's cache
 * takes no lock; otherwise the pool spinlock, held for O(CPUs) time when
 * the pool is nearly exhausted and every cache is drained.
 * Return: the block's kernel virtual address, or NULL for a @size of 0, a
 * @size larger than any block, an exhausted pool, or a failure injected
 * through fail_buddy_alloc. Each NULL counts in nr_failed.
 */
void *buddy_alloc(struct buddy_pool *pool, size_t size, gfp_t gfp)
{
	unsigned int order;
	void *ptr;

	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return NULL;
	if (injected(pool, NULL, size, gfp, _RET_IP_))
		return NULL;
	/* The common case, a cached order, inline. */
	if (likely(size - 1 < pool->pcp_bytes)) {
		order = size > BIT(pool->min_shift) ?
			fls_long(size - 1) - pool->min_shift : 0;
		if (likely(READ_ONCE(pool->high[order]))) {
			ptr = alloc_cached(pool, size, order, gfp, _RET_IP_);
			if (likely(ptr))
				return ptr;
		}
	}
	return alloc_slow(pool, size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(buddy_alloc, BUDDY_NS);

static const char *free_error(int err)
{
	switch (err) {
	case -ERANGE:
		return "pointer outside the pool";
	case -EINVAL:
		return "pointer not on a min_block boundary";
	case -ENOENT:
		return "pointer inside an allocated block";
	case -EXDEV:
		return "exact allocation passed to buddy_free()";
	case -EBADSLT:
		return "not the start of an exact allocation";
	case -EMSGSIZE:
		return "size differs from the exact allocation's";
	default:
		return "double free";
	}
}

/*
 * Count and report a refused free, for the reason @ret. The caller holds
 * pool->lock, which this drops: printing waits until it is released.
 */
static void __report_free(struct buddy_pool *pool, const void *ptr, int ret,
			  unsigned long flags, unsigned long caller)
	__releases(&pool->lock)
{
	bool first = !pool->warned;

	pool->nr_bad_frees++;
	pool->warned = true;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	trace_buddy_bad_free(pool, free_error(ret), caller);
	pr_err_ratelimited("%s: bad free of %p: %s (caller %pS)\n", pool->name,
			   ptr, free_error(ret), (void *)caller);
	WARN(first, "buddy: first bad free in pool %s: %s\n", pool->name,
	     free_error(ret));
}

/* Refuse, count and report a free of something no client owns. */
static noinline void bad_free(struct buddy_pool *pool, const void *ptr,
			      u64 off, unsigned long caller)
{
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = classify(pool, off);
	/* Not owned a moment ago: only a racing client could own it now. */
	if (!ret)
		ret = -EALREADY;
	__report_free(pool, ptr, ret, flags, caller);
}

/**
 * buddy_free() - give a block back to its pool
 * @pool: the pool the block came from
 * @ptr: the address buddy_alloc() returned, or NULL
 *
 * A block of a cached order goes to this CPU's cache (a full cache first
 * gives a batch back to the pool); any other block merges with its free
 * buddy as far as it can. A pointer that is not the start of an allocated
 * block of @pool (outside the pool, inside a block, or already free, in a
 * cache or not) is refused: nothing changes but nr_bad_frees, a
 * ratelimited error names the caller, and the first bad free of each pool
 * also WARNs. Under init_on_free the block is zeroed first; under KASAN
 * it is poisoned, so a later access by the client reports.
 *
 * Context: Any context, hard IRQ included; takes no lock when the block
 * goes to this CPU's cache, else the pool spinlock.
 */
void buddy_free(struct buddy_pool *pool, const void *ptr)
{
	u64 off;

	if (!ptr)
		return;
	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return;
	off = buddy_pool_offset(pool, ptr);
	/* U64_MAX, for a pointer outside the pool, is misaligned too. */
	if (likely(!(off & (BIT_ULL(pool->min_shift) - 1))) &&
	    likely(free_owned(pool, (u32)(off >> pool->min_shift), _RET_IP_)))
		return;
	bad_free(pool, ptr, off, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(buddy_free, BUDDY_NS);

/*
 * Min blocks in the exact allocation that starts at min block @idx: its
 * first block, then the parts that follow it, each half the size of the
 * one before at most. The caller holds pool->lock.
 */
static u64 exact_blocks(struct buddy_pool *pool, u32 idx)
{
	u64 n = 0, end = pool->max_size >> pool->min_shift;
	u8 tag = READ_ONCE(pool->owner[idx]);

	lockdep_assert_held(&pool->lock);
	do {
		n += BIT_ULL((tag & OWNER_ORDER) - 1);
		if (idx + n >= end)
			break;
		tag = READ_ONCE(pool->owner[idx + n]);
	} while (tag & OWNER_PART);
	return n;
}

/**
 * buddy_block_size() - size of the allocated block starting at @ptr
 * @pool: the pool
 * @ptr: an address
 *
 * Under KASAN only the bytes asked for are accessible at first; as
 * ksize() used to, this call opens the whole block to its owner.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 * Return: the block's size in bytes (for an exact allocation, its length),
 * or 0 if @ptr is not the start of a block or exact allocation a client
 * of @pool owns.
 */
size_t buddy_block_size(struct buddy_pool *pool, const void *ptr)
{
	unsigned long flags;
	size_t bytes = 0;
	int ret;
	u64 off;

	if (IS_ERR_OR_NULL(pool) || !ptr)
		return 0;
	off = buddy_pool_offset(pool, ptr);
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = classify(pool, off);
	if (!ret)
		bytes = BIT_ULL(buddy_core_block_order(&pool->core, off));
	else if (ret == -EXDEV)
		bytes = exact_blocks(pool, (u32)(off >> pool->min_shift));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	bytes <<= pool->min_shift;
	/* As ksize() did: whoever asks may use all of it. */
	if (bytes)
		unpoison(ptr, bytes);
	return bytes;
}
EXPORT_SYMBOL_NS_GPL(buddy_block_size, BUDDY_NS);

/* Report a bad buddy_alloc_range() call: once per pool with a WARN. */
static noinline void bad_call(struct buddy_pool *pool, const char *why,
			      unsigned long caller)
{
	unsigned long flags;
	bool first;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_failed++;
	first = !pool->warned_call;
	pool->warned_call = true;
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	pr_err_ratelimited("%s: bad buddy_alloc_range() call: %s (caller %pS)\n",
			   pool->name, why, (void *)caller);
	WARN(first, "buddy: first bad buddy_alloc_range() call in pool %s: %s\n",
	     pool->name, why);
}

/* What is wrong with these buddy_alloc_range() arguments, if anything? */
static const char *range_error(struct buddy_pool *pool, size_t align,
			       u64 start, u64 end, unsigned int flags)
{
	if (flags & ~BUDDY_TOPDOWN)
		return "unknown flags";
	if (align && (!is_power_of_2(align) || align > CHUNK_BYTES))
		return "align is not 0 or a power of two up to one chunk";
	if (start >= end)
		return "empty range: start >= end";
	if (start >= pool->max_size)
		return "range lies outside the pool";
	return NULL;
}

/**
 * buddy_alloc_range() - allocate a block at a chosen place in the pool
 * @pool: the pool
 * @size: bytes needed; the block is the one buddy_alloc() would give
 * @align: 0, or a power of two up to one chunk: the block's pool offset
 *	is a multiple of it. An alignment larger than the block does not
 *	make the block larger.
 * @start: lowest pool offset the block may occupy
 * @end: pool offset the block must end at or before; 0 for the end of the
 *	pool. A range past the pool is clipped to it.
 * @flags: 0 for the lowest suitable offset; BUDDY_TOPDOWN for the highest
 * @gfp: __GFP_ZERO and __GFP_NOWARN, as for buddy_alloc()
 *
 * Placement is address-ordered and so deterministic: the lowest (or
 * highest) offset in [@start, @end), aligned to @align and to the block's
 * own size, at which a block is free or can be split off a larger free
 * block. Every CPU's cache is drained first, so cached blocks count as
 * free. Free the block with buddy_free().
 *
 * The search reads the pool's per-order free bitmaps over the range only,
 * skipping 64 words of them at a time where they are empty: for each
 * order, about (@end - @start) / (min_block << order) / 4096 words, plus
 * a few at the edges of the range; an alignment larger than the block adds
 * at most one step per aligned position for each order below it. It never
 * walks the free lists.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock for
 * the drain and the search.
 * Return: the block's address, or NULL. A NULL counts in nr_failed: when
 * no such block is free or can be made free, for a @size of 0 or larger
 * than any block, and for bad arguments, which are also reported (the
 * first per pool with a WARN): an @align that is neither 0 nor a power of
 * two up to one chunk, @start >= @end, @start beyond the pool, unknown
 * @flags.
 */
void *buddy_alloc_range(struct buddy_pool *pool, size_t size, size_t align,
			u64 start, u64 end, unsigned int flags, gfp_t gfp)
{
	unsigned long flags_irq;
	int ret, order = 0;
	bool dirty = true;
	const char *why;
	u64 off;

	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return NULL;
	if (!end)
		end = pool->max_size;
	why = range_error(pool, align, start, end, flags);
	if (unlikely(why)) {
		trace_buddy_alloc_fail(pool, size, "bad argument", _RET_IP_);
		bad_call(pool, why, _RET_IP_);
		return NULL;
	}
	if (injected(pool, __func__, size, gfp, _RET_IP_))
		return NULL;
	raw_spin_lock_irqsave(&pool->lock, flags_irq);
	__drain_all(pool);
	ret = buddy_core_alloc_range(&pool->core, size, align, start,
				     min_t(u64, end, pool->max_size),
				     flags & BUDDY_TOPDOWN ?
				     BUDDY_CORE_TOPDOWN : 0, &off);
	if (likely(!ret)) {
		order = buddy_core_block_order(&pool->core, off);
		WRITE_ONCE(pool->owner[off >> pool->min_shift], order + 1);
		dirty = !buddy_core_zeroed(&pool->core, off);
		pool->nr_allocs++;
	} else {
		pool->nr_failed++;
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags_irq);
	if (unlikely(ret)) {
		alloc_failed(pool, __func__, size, alloc_error(ret), gfp,
			     _RET_IP_);
		return NULL;
	}
	trace_buddy_alloc(pool, off, size, order, _RET_IP_);
	return hand_out(pool, idx_addr(pool, (u32)(off >> pool->min_shift)),
			size, BIT_ULL(pool->min_shift + order), gfp, dirty);
}
EXPORT_SYMBOL_NS_GPL(buddy_alloc_range, BUDDY_NS);

/*
 * Tag the parts of an exact allocation of @n min blocks at min block
 * @idx: the orders of the set bits of @n, highest first. The caller holds
 * pool->lock.
 */
static void tag_exact(struct buddy_pool *pool, u32 idx, u64 n)
{
	u8 kind = OWNER_EXACT;

	lockdep_assert_held(&pool->lock);
	while (n) {
		unsigned int order = fls64(n) - 1;

		WRITE_ONCE(pool->owner[idx], kind | (order + 1));
		kind = OWNER_PART;
		idx += BIT(order);
		n -= BIT_ULL(order);
	}
}

/**
 * buddy_alloc_exact() - allocate exactly @size bytes, rounded to min_block
 * @pool: the pool
 * @size: bytes needed
 * @gfp: __GFP_ZERO and __GFP_NOWARN, as for buddy_alloc()
 *
 * Like alloc_pages_exact(): the smallest block that holds @size is taken,
 * its first round_up(@size, min_block) bytes are the allocation and the
 * rest goes straight back to the pool as smaller free blocks. So the
 * memory is physically contiguous, lies in one chunk and is aligned to
 * that block's size, and at most min_block - 1 bytes are wasted rather
 * than up to half the block. Exact allocations bypass the per-CPU caches.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 * Return: the address, or NULL (counted in nr_failed) for a @size of 0,
 * larger than any block, or that no free block can hold.
 */
void *buddy_alloc_exact(struct buddy_pool *pool, size_t size, gfp_t gfp)
{
	bool dirty = true;
	unsigned long flags;
	u64 off;
	int ret;

	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return NULL;
	if (injected(pool, __func__, size, gfp, _RET_IP_))
		return NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_alloc_exact(&pool->core, size, &off);
	if (unlikely(ret == -ENOMEM)) {
		/* No cache refills without this lock, which we hold. */
		__drain_all(pool);
		ret = buddy_core_alloc_exact(&pool->core, size, &off);
	}
	if (likely(!ret)) {
		tag_exact(pool, (u32)(off >> pool->min_shift),
			  DIV_ROUND_UP_ULL(size, BIT(pool->min_shift)));
		dirty = !buddy_core_zeroed(&pool->core, off);
		pool->nr_allocs++;
	} else {
		pool->nr_failed++;
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (unlikely(ret)) {
		alloc_failed(pool, __func__, size, alloc_error(ret), gfp,
			     _RET_IP_);
		return NULL;
	}
	/* The order takes a call into the core: only for a reader. */
	if (trace_buddy_alloc_enabled())
		trace_buddy_alloc(pool, off, size,
				  buddy_core_order_for(&pool->core, size),
				  _RET_IP_);
	return hand_out(pool, idx_addr(pool, (u32)(off >> pool->min_shift)),
			size, round_up(size, BIT(pool->min_shift)), gfp, dirty);
}
EXPORT_SYMBOL_NS_GPL(buddy_alloc_exact, BUDDY_NS);

/**
 * buddy_free_exact() - free what buddy_alloc_exact() allocated
 * @pool: the pool
 * @ptr: the address buddy_alloc_exact() returned, or NULL
 * @size: the size passed to buddy_alloc_exact(), or any size that rounds
 *	up to the same number of min blocks
 *
 * Every part goes back to the pool and merges as far as it can. A @ptr
 * that is not the start of a live exact allocation of @pool (a block from
 * buddy_alloc() included), or a @size that does not match, is refused
 * as buddy_free() refuses a bad pointer: nothing changes but nr_bad_frees,
 * and the free is reported.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 */
void buddy_free_exact(struct buddy_pool *pool, const void *ptr, size_t size)
{
	unsigned long flags;
	bool zero;
	u64 off, n;
	u32 idx;
	int ret;

	if (!ptr)
		return;
	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return;
	off = buddy_pool_offset(pool, ptr);
	n = DIV_ROUND_UP_ULL(size, BIT(pool->min_shift));
	idx = (u32)(off >> pool->min_shift);
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = classify(pool, off);
	if (ret != -EXDEV) {
		/* Anything buddy_free() would take is no exact allocation. */
		__report_free(pool, ptr, ret ? ret : -EBADSLT, flags,
			      _RET_IP_);
		return;
	}
	if (!size || exact_blocks(pool, idx) != n) {
		__report_free(pool, ptr, -EMSGSIZE, flags, _RET_IP_);
		return;
	}
	/*
	 * Disowned, it is ours alone: wipe and poison it without the lock,
	 * which an init_on_free memset of megabytes must not hold.
	 */
	memset(pool->owner + idx, 0, n);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	trace_buddy_free(pool, off, order_base_2(n), _RET_IP_);
	zero = take_back((void *)ptr, n << pool->min_shift);
	raw_spin_lock_irqsave(&pool->lock, flags);
	if (zero)
		ret = buddy_core_free_exact_zeroed(&pool->core, off,
						   n << pool->min_shift);
	else
		ret = buddy_core_free_exact(&pool->core, off,
					    n << pool->min_shift);
	WARN_ON_ONCE(ret);
	pool->nr_frees++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(buddy_free_exact, BUDDY_NS);

/* Describe a broken invariant in @buf (@len bytes); return -EUCLEAN. */
static __printf(3, 4) int violation(char *buf, size_t len, const char *fmt,
				    ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, len, fmt, args);
	va_end(args);
	return -EUCLEAN;
}

/* Is cached block @idx an allocated block of @order that no client owns? */
static int check_cached(struct buddy_pool *pool, unsigned int cpu,
			unsigned int order, u32 idx, char *buf, size_t len)
{
	u64 off = (u64)idx << pool->min_shift;

	if (buddy_core_block_order(&pool->core, off) != (int)order)
		return violation(buf, len,
				 "cpu %u order %u: cached %llu is no allocated block of that order",
				 cpu, order, off);
	if (pool->owner[idx])
		return violation(buf, len, "cpu %u order %u: cached %llu is owned by a client",
				 cpu, order, off);
	return 0;
}

/*
 * A pool check taken in steps (see pool_check()): the core's checker, then
 * the caches against the core and the owner map. Every cached block is an
 * allocated block of its order that no client owns, every owner byte
 * starts an allocated block and holds its order, and owned plus cached
 * blocks are exactly the blocks the core has handed out, so no block is
 * cached twice.
 */
struct pool_checker {
	struct buddy_core_checker core;
	unsigned int phase, cpu;
	u64 pos, i, allocs, frees, cached, owned, tagged, tags;
};

enum { CHECK_CORE, CHECK_CACHES, CHECK_OWNED, CHECK_TAGS, CHECK_SUMS };

/* Owner bytes scanned per unit of a step's budget. */
#define CHECK_TAG_BYTES	16

/* One CPU's caches: bounded by BUDDY_PCP_ORDERS * BUDDY_PCP_HIGH_MAX. */
static int check_cpu(struct buddy_pool *pool, struct pool_checker *ck,
		     unsigned int cpu, char *buf, size_t len)
{
	struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);
	unsigned int order, j;
	int ret;

	ck->allocs += READ_ONCE(pcp->nr_allocs);
	ck->frees += READ_ONCE(pcp->nr_frees);
	for (order = 0; order < BUDDY_PCP_ORDERS; order++) {
		unsigned int n = pcp_depth(pcp, order);

		if (n > BUDDY_PCP_HIGH_MAX)
			return violation(buf, len,
					 "cpu %u order %u: %u cached, more than %u",
					 cpu, order, n, BUDDY_PCP_HIGH_MAX);
		for (j = 0; j < n; j++) {
			ret = check_cached(pool, cpu, order,
					   READ_ONCE(pcp->slot[order][j]) &
					   ~PCP_ZERO, buf, len);
			if (ret)
				return ret;
		}
		ck->cached += n;
	}
	return 0;
}

/*
 * Go on with @ck for about @budget units of work. The caller holds
 * pool->lock, and the pool has not changed since @ck started.
 * Return: 0 when all is checked and consistent, -EAGAIN when the budget
 * ran out first, -EUCLEAN with @buf filled on a violation.
 */
static int check_step(struct buddy_pool *pool, struct pool_checker *ck,
		      u64 budget, char *buf, size_t len)
{
	const struct buddy_core *bc = &pool->core;
	u64 work = 0, nmin = pool->max_size >> pool->min_shift;
	u64 tag_budget = budget > U64_MAX / CHECK_TAG_BYTES ? U64_MAX :
			 budget * CHECK_TAG_BYTES;
	struct buddy_core_block blk;
	int ret;

	lockdep_assert_held(&pool->lock);
	switch (ck->phase) {
	case CHECK_CORE:
		ret = buddy_core_check_step(bc, &ck->core, budget, buf, len);
		if (ret)
			return ret;
		ck->phase = CHECK_CACHES;
		ck->cpu = cpumask_first(cpu_possible_mask);
		ck->allocs = pool->nr_allocs;
		ck->frees = pool->nr_frees;
		fallthrough;
	case CHECK_CACHES:
		for (; ck->cpu < nr_cpu_ids;
		     ck->cpu = cpumask_next(ck->cpu, cpu_possible_mask)) {
			if (work >= budget)
				return -EAGAIN;
			ret = check_cpu(pool, ck, ck->cpu, buf, len);
			if (ret)
				return ret;
			work += BUDDY_PCP_ORDERS * BUDDY_PCP_HIGH_MAX;
		}
		ck->phase = CHECK_OWNED;
		fallthrough;
	case CHECK_OWNED:
		while (buddy_core_next_used(bc, &ck->pos, &blk)) {
			u8 tag = pool->owner[blk.off >> pool->min_shift];

			if (tag && (tag & OWNER_ORDER) != blk.order + 1)
				return violation(buf, len,
						 "block at %llu of order %u: owner byte says order %d",
						 blk.off, blk.order,
						 (tag & OWNER_ORDER) - 1);
			ck->tagged += !!tag;
			/* An exact allocation counts once, by its first block. */
			ck->owned += tag && !(tag & OWNER_PART);
			if (++work >= budget)
				return -EAGAIN;
		}
		ck->phase = CHECK_TAGS;
		fallthrough;
	case CHECK_TAGS:
		for (; ck->i < nmin; ck->i++) {
			ck->tags += !!pool->owner[ck->i];
			if (++work >= tag_budget) {
				ck->i++;
				return -EAGAIN;
			}
		}
		ck->phase = CHECK_SUMS;
		fallthrough;
	default:
		break;
	}
	if (ck->tags != ck->tagged)
		return violation(buf, len, "an owner byte lies outside every allocated block");
	if (ck->owned + ck->cached != bc->nr_allocs - bc->nr_frees)
		return violation(buf, len, "%llu blocks allocated, but %llu owned and %llu cached",
				 bc->nr_allocs - bc->nr_frees, ck->owned,
				 ck->cached);
	if (ck->allocs - ck->frees != ck->owned)
		return violation(buf, len, "%llu allocs - %llu frees != %llu owned blocks",
				 ck->allocs, ck->frees, ck->owned);
	return 0;
}

/* Every operation on the caches counts in one of these. */
static u64 cache_ops(struct buddy_pool *pool)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		n += READ_ONCE(pcp->nr_allocs) + READ_ONCE(pcp->nr_frees);
	}
	return n;
}

#define CHECK_TRIES	8
/* Units of work per lock hold of buddy_pool_check_bounded(). */
#define CHECK_BUDGET	4096

/*
 * Check @pool holding its lock for about @budget units of work at a time,
 * cond_resched() between. If the core or a cache changed while the lock
 * was dropped, start again; after CHECK_TRIES starts give up with -EBUSY.
 * A try that sees a block between a cache and its owner (the caches change
 * without the lock) fails too and is retried: a broken pool fails every
 * time. @budget U64_MAX takes each try in one hold.
 */
static int pool_check(struct buddy_pool *pool, struct pool_checker *ck,
		      u64 budget, char *buf, size_t len)
{
	unsigned int tries, holds = 0;
	unsigned long flags;
	u64 gen, ops, t0, t, longest = 0;
	char last[96] = "";
	int ret = -EBUSY;

	for (tries = 0; tries < CHECK_TRIES; tries++) {
		memset(ck, 0, sizeof(*ck));
		raw_spin_lock_irqsave(&pool->lock, flags);
		gen = pool->core.gen;
		ops = cache_ops(pool);
		for (;;) {
			t0 = ktime_get_ns();
			ret = check_step(pool, ck, budget, buf, len);
			t = ktime_get_ns() - t0;
			longest = max(longest, t);
			holds++;
			/*
			 * The caches against the core, seen while a cache
			 * changed, may be no violation: keep it, try again.
			 */
			if (ret == -EUCLEAN && cache_ops(pool) != ops &&
			    (ck->phase == CHECK_CACHES ||
			     ck->phase == CHECK_SUMS)) {
				strscpy(last, buf, sizeof(last));
				ret = -EBUSY;
			}
			if (ret != -EAGAIN)
				break;
			raw_spin_unlock_irqrestore(&pool->lock, flags);
			cond_resched();
			raw_spin_lock_irqsave(&pool->lock, flags);
			if (pool->core.gen != gen || cache_ops(pool) != ops) {
				ret = -EBUSY;
				break;
			}
		}
		raw_spin_unlock_irqrestore(&pool->lock, flags);
		if (!ret)
			break;
	}
	WRITE_ONCE(pool->check_holds, holds);
	WRITE_ONCE(pool->check_longest_ns, longest);
	if (ret == -EBUSY)
		snprintf(buf, len, "busy: the pool changed during %u tries%s%s",
			 CHECK_TRIES, last[0] ? "; last: " : "", last);
	return ret;
}

/**
 * buddy_pool_check() - run the invariant checkers on a pool
 * @pool: the pool
 * @buf: receives the first violation found
 * @len: size of @buf
 *
 * Each try holds the pool lock throughout, so it is exact even while the
 * pool is in use; for tests. debugfs uses buddy_pool_check_bounded().
 *
 * Context: Any context; takes the pool spinlock for O(blocks) time, up to
 * 8 times while allocations and frees make the caches look inconsistent.
 * Return: 0 if the pool is consistent, -EUCLEAN if not, -EBUSY if every
 * try saw the caches change under a violation of the caches' invariants.
 */
int buddy_pool_check(struct buddy_pool *pool, char *buf, size_t len)
{
	struct pool_checker ck;

	return pool_check(pool, &ck, U64_MAX, buf, len);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_pool_check);

/**
 * buddy_pool_check_bounded() - buddy_pool_check() for a busy pool
 * @pool: the pool
 * @buf: receives the first violation found, or why there is no answer
 * @len: size of @buf
 *
 * As buddy_pool_check(), but the pool lock is held for about CHECK_BUDGET
 * units of work (list entries, blocks, bitmap words; at most twice that
 * when a hold ends one phase and starts the next) at a time, so
 * allocations on other CPUs never wait long; the check starts again when
 * the pool changed in between.
 *
 * Context: Process context; may sleep.
 * Return: 0 if the pool is consistent, -EUCLEAN if not, -EBUSY if it kept
 * changing.
 */
int buddy_pool_check_bounded(struct buddy_pool *pool, char *buf, size_t len)
{
	struct pool_checker ck;

	might_sleep();
	return pool_check(pool, &ck, CHECK_BUDGET, buf, len);
}

/**
 * buddy_pool_snapshot() - statistics, with the core's count of repairs
 * @pool: the pool
 * @st: filled in as by buddy_pool_stats()
 * @corruptions: if not NULL, receives the core's count of repaired stray
 *	writes
 *
 * Context: Any context; takes the pool spinlock for O(CPUs) time.
 */
void buddy_pool_snapshot(struct buddy_pool *pool, struct buddy_stats *st,
			 u64 *corruptions)
{
	const struct buddy_core *bc = &pool->core;
	unsigned int cpu, i;
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	raw_spin_lock_irqsave(&pool->lock, flags);
	st->size = buddy_core_size(bc);
	st->max_size = pool->max_size;
	st->free = buddy_core_free_bytes(bc);
	st->min_block = (u32)buddy_core_min_block(bc);
	st->max_order = buddy_core_max_order(bc);
	for (i = 0; i < BUDDY_NR_ORDERS; i++)
		st->free_blocks[i] = buddy_core_nr_free(bc, i);
	st->nr_allocs = pool->nr_allocs;
	st->nr_frees = pool->nr_frees;
	st->nr_failed = pool->nr_failed;
	st->nr_bad_frees = pool->nr_bad_frees;
	st->zeroed = buddy_core_zero_bytes(bc);
	for_each_possible_cpu(cpu) {
		const struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		st->nr_allocs += READ_ONCE(pcp->nr_allocs);
		st->nr_frees += READ_ONCE(pcp->nr_frees);
		st->nr_zeroings += READ_ONCE(pcp->nr_zeroings);
		for (i = 0; i < BUDDY_PCP_ORDERS; i++) {
			unsigned int j, depth = pcp_depth(pcp, i);

			st->cached_blocks[i] += depth;
			for (j = 0; j < depth; j++)
				if (READ_ONCE(pcp->slot[i][j]) & PCP_ZERO)
					st->zeroed += BIT_ULL(pool->min_shift + i);
		}
	}
	if (corruptions)
		*corruptions = bc->nr_corruptions;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	for (i = 0; i < BUDDY_PCP_ORDERS; i++)
		st->cached += st->cached_blocks[i] << (pool->min_shift + i);
	st->free += st->cached;
}

/**
 * buddy_pool_stats() - take a snapshot of a pool's state
 * @pool: the pool
 * @st: filled in
 *
 * The core's figures are read under the pool lock; the caches' depths and
 * counters are read one word at a time beside it. So the snapshot is exact
 * whenever no allocation or free runs at the same time, and otherwise
 * off by the blocks in flight between a cache and its caller.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock for
 * O(CPUs) time.
 */
void buddy_pool_stats(struct buddy_pool *pool, struct buddy_stats *st)
{
	buddy_pool_snapshot(pool, st, NULL);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_stats, BUDDY_NS);

/**
 * buddy_pool_drain() - give every CPU's cached blocks back to the pool
 * @pool: the pool
 *
 * The blocks merge with their buddies, so the free lists show the pool as
 * it would be without caches. Caches refill on their next use.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock for
 * O(CPUs) time.
 */
void buddy_pool_drain(struct buddy_pool *pool)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	__drain_all(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_drain, BUDDY_NS);

/**
 * buddy_pool_set_cache() - tune the per-CPU caches of one order
 * @pool: the pool
 * @order: an order below BUDDY_PCP_ORDERS, at most the pool's max order
 * @high: most blocks each CPU keeps of @order, up to BUDDY_PCP_HIGH_MAX;
 *	0 stops caching @order
 * @batch: blocks moved between a cache and the pool at a time, from 1 to
 *	@high; ignored when @high is 0
 *
 * Every CPU's cache of @order is drained. A pool whose orders all have
 * @high 0 works without caches.
 *
 * Context: Any context; takes the pool spinlock for O(CPUs) time.
 * Return: 0, or -EINVAL (nothing changes) for an argument out of range.
 */
int buddy_pool_set_cache(struct buddy_pool *pool, unsigned int order,
			 unsigned int high, unsigned int batch)
{
	unsigned long flags;
	unsigned int cpu;

	if (IS_ERR_OR_NULL(pool) || order >= BUDDY_PCP_ORDERS ||
	    order > buddy_core_max_order(&pool->core) ||
	    high > BUDDY_PCP_HIGH_MAX || (high && (!batch || batch > high)))
		return -EINVAL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	WRITE_ONCE(pool->high[order], high);
	WRITE_ONCE(pool->batch[order], high ? batch : 0);
	for_each_possible_cpu(cpu)
		__drain(pool, cpu, per_cpu_ptr(pool->pcp, cpu), order,
			BUDDY_PCP_HIGH_MAX);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_set_cache, BUDDY_NS);

/**
 * buddy_pool_cpu_cached() - blocks of one order in one CPU's cache
 * @pool: the pool
 * @cpu: a possible CPU
 * @order: an order below BUDDY_PCP_ORDERS
 *
 * Context: Any context.
 * Return: the count.
 */
u32 buddy_pool_cpu_cached(struct buddy_pool *pool, unsigned int cpu,
			  unsigned int order)
{
	return pcp_depth(per_cpu_ptr(pool->pcp, cpu), order);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_pool_cpu_cached);

/* A CPU went offline: give its cached blocks back to every pool. */
static int buddy_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct buddy_pool *pool = hlist_entry(node, struct buddy_pool, cpuhp);
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	__drain_cpu(pool, cpu);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}

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
			  !min_block_ok(min))) {
		pr_err("invalid min_block=%s: must be a power of two from %u to %lu bytes\n",
		       min_block, BUDDY_CORE_MIN_BLOCK, CHUNK_BYTES);
		return -EINVAL;
	}
	if (!buddy_parse_size(pool_size, &size) || !size_ok(size, min)) {
		pr_err("invalid pool_size=%s: must be a multiple of min_block (%llu) from %llu bytes up to half of RAM (%llu), with an optional K/M/G suffix\n",
		       pool_size ? pool_size : "", min, min, half_ram());
		return -EINVAL;
	}
	max = size;
	if (pool_max && (!buddy_parse_size(pool_max, &max) ||
			 !max_ok(size, max, min))) {
		pr_err("invalid pool_max=%s: must be pool_size (%llu) or more, a multiple of min_block up to half of RAM (%llu), with pool_size a multiple of %lu bytes when larger\n",
		       pool_max, size, half_ram(), CHUNK_BYTES);
		return -EINVAL;
	}
	ret = fail_init();
	if (ret)
		return ret;

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "buddy:dead", NULL,
				      buddy_cpu_dead);
	if (ret < 0) {
		pr_err("cannot register the CPU hotplug callback (%d)\n", ret);
		fail_exit();
		return ret;
	}
	buddy_cpuhp_state = ret;
	buddy_debugfs_init();
	pool = create_pool("default", size, max, min, cache);
	if (IS_ERR(pool)) {
		pr_err("cannot reserve pool_size=%s for the default pool: %s (%ld)\n",
		       pool_size, PTR_ERR(pool) == -ENOMEM ?
		       "alloc_pages() failed, out of memory" : "error",
		       PTR_ERR(pool));
		buddy_debugfs_exit();
		cpuhp_remove_multi_state(buddy_cpuhp_state);
		fail_exit();
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
	for (;;) {
		mutex_lock(&buddy_pools_lock);
		pool = list_first_entry_or_null(&buddy_pools, struct buddy_pool,
						node);
		mutex_unlock(&buddy_pools_lock);
		if (!pool)
			break;
		if (pool != default_pool)
			pr_warn("pool %s was never destroyed\n", pool->name);
		buddy_pool_destroy(pool);
	}
	default_pool = NULL;
	buddy_debugfs_exit();
	cpuhp_remove_multi_state(buddy_cpuhp_state);
	fail_exit();
}

module_init(buddy_init);
module_exit(buddy_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The buddy developers");
MODULE_DESCRIPTION("Buddy allocator over memory reserved with alloc_pages()");
MODULE_VERSION("0.2");
/* modinfo shows what a client imports, not what we export: say it here. */
MODULE_INFO(export_ns, "BUDDY");
