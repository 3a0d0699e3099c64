// SPDX-License-Identifier: GPL-2.0
/*
 * The hot paths of buddy.ko: allocation and free of every kind, the
 * per-CPU caches in front of the core, the owner map that says which
 * client block starts where, KASAN's view of blocks handed out and taken
 * back, failure reports, cache tuning and the drain of a dead CPU's cache.
 *
 * The fast path: an allocation of a cached order pops a block from this
 * CPU's cache with one cmpxchg() and clears its bit in the map of cached
 * blocks, and a free clears the owner byte with a cmpxchg(), sets the
 * block's bit and pushes it with another, with no lock (see pcp_pop()).
 * The caches refill from and drain to the core in batches, under
 * pool->lock. A client's ownership of a block is one byte in pool->owner,
 * which also holds the block's order, so a free needs no lookup in the
 * core and a double free is caught even while the block sits in some
 * CPU's cache. pool->lock is the only lock taken here. It is never taken
 * in NMI context, where this CPU might be its holder: pop and push are
 * safe there, a refill, a drain or the core are not, so nothing here may
 * be called from an NMI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kasan.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"

#define CREATE_TRACE_POINTS
#include "buddy_trace.h"

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

/*
 * @len bytes at @addr in @pool are free: any access reports a use after
 * free. Memory outside the direct map (a boot-time region) has no shadow
 * of its own to write: there, as for the other two, nothing is done.
 */
void buddy_poison_free(const struct buddy_pool *pool, const void *addr,
		       size_t len)
{
	if (pool->poison)
		kasan_poison(addr, len, SHADOW_FREE, false);
}

/* Every byte of @len at @addr is accessible again. */
void buddy_unpoison(const struct buddy_pool *pool, const void *addr,
		    size_t len)
{
	if (pool->poison)
		kasan_poison(addr, len, 0, false);
}

/* Of @len bytes at @addr, the first @size are accessible, the rest not. */
static void unpoison_size(const struct buddy_pool *pool, const void *addr,
			  size_t size, size_t len)
{
	size_t used = round_up(size, GRANULE);

	if (!pool->poison)
		return;
	kasan_poison(addr, used, 0, false);
	if (size & (GRANULE - 1))
		shadow_last_granule(addr, size);
	if (len > used)
		kasan_poison(addr + used, len - used, SHADOW_SLACK, false);
}
#else
static inline void unpoison_size(const struct buddy_pool *pool,
				 const void *addr, size_t size, size_t len) { }
#endif

/*
 * A cache of one order is a stack of block indices plus one word, @state,
 * that holds the depth in its low byte and a version above it. Every
 * change to the stack ends with a cmpxchg() of @state that bumps the
 * version, so a change based on a stale view fails and is retried.
 *
 * Any CPU may pop, from any context (the drains pop other CPUs' caches
 * under the lock): so an allocation that needs the blocks in every cache
 * can always take them, even in hard IRQ and even from a cache whose owner
 * it interrupted. Only the owning CPU pushes,
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
/*
 * pool->cached_map has a bit set for every cached block: set before the
 * push, cleared after the pop, so that a block on a stack always has its
 * bit (a bit without a block is a hint only: see find_cached_place()).
 */
static __always_inline void mark_cached(struct buddy_pool *pool, u32 e)
{
	set_bit(e & ~PCP_ZERO, pool->cached_map);
}

static __always_inline void unmark_cached(struct buddy_pool *pool, u32 e)
{
	clear_bit(e & ~PCP_ZERO, pool->cached_map);
}

/* Take the top slot of @pcp's stack of @order into *@e, if any. */
static bool pcp_pop(struct buddy_pool *pool, struct buddy_pcp *pcp,
		    unsigned int order, u32 *e)
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
	unmark_cached(pool, *e);
	return true;
}

/*
 * Push slot @e on this CPU's stack of @order unless it holds @high blocks
 * or an interrupted push of this CPU's is under way. The caller runs on
 * the owning CPU with preemption disabled.
 */
static __always_inline bool pcp_push(struct buddy_pool *pool,
				     struct buddy_pcp *pcp,
				     unsigned int order, u32 e,
				     unsigned int high)
{
	unsigned long old, n;
	bool done = false;

	/* Only this CPU writes @busy, so no atomics: an interrupt sees it. */
	if (unlikely(READ_ONCE(pcp->busy)))
		return false;
	WRITE_ONCE(pcp->busy, 1);
	barrier();
	/* Ordered before the push by its fully ordered cmpxchg(). */
	mark_cached(pool, e);
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
	if (!done)
		unmark_cached(pool, e);
	barrier();
	WRITE_ONCE(pcp->busy, 0);
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
	for (i = 0; i < n && pcp_pop(pool, pcp, order, &e); i++)
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
void __buddy_drain_all(struct buddy_pool *pool)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		__drain_cpu(pool, cpu);
}

/* Trips to the core between two __adapt_caches() (see size_caches()). */
#define ADAPT_TRIPS		256

static void __adapt_caches(struct buddy_pool *pool);

/*
 * One more trip to the core, by a refill, the drain of a full cache, an
 * allocation of an uncached order or a placement. The caller holds
 * pool->lock.
 */
static __always_inline void __count_trip(struct buddy_pool *pool)
{
	if (unlikely(++pool->nr_trips >= ADAPT_TRIPS) && pool->auto_cache)
		__adapt_caches(pool);
}

/*
 * A block of @order left the core for a client without a cache: an
 * allocation of an uncached order, or a placement (whose free lands in
 * the order's cache, where the next placement can take it whole). It is
 * traffic for that order's cache, and a trip. The caller holds pool->lock.
 */
static __always_inline void __count_core_alloc(struct buddy_pool *pool,
					       unsigned int order)
{
	if (order < BUDDY_PCP_ORDERS) {
		pool->core_allocs[order]++;
		__count_trip(pool);
	}
}

/*
 * This CPU's cache of @order is empty: take a batch from the core, keep
 * the first block for the caller in *@e and cache the rest, so that the
 * blocks go out in address order. The caller runs with preemption
 * disabled.
 */
static noinline bool pcp_refill(struct buddy_pool *pool, struct buddy_pcp *pcp,
				unsigned int order, u32 *e)
{
	u64 bytes = 1ULL << (pool->min_shift + order), off;
	unsigned int n, got, batch, high;
	u32 blk[BUDDY_PCP_HIGH_MAX];
	unsigned long flags;

	buddy_test_point(pool, BUDDY_TEST_REFILL, order);
	raw_spin_lock_irqsave(&pool->lock, flags);
	/*
	 * The tuning as of now: a buddy_pool_set_cache() that ran since
	 * buddy_alloc() looked may have stopped caching @order, and blocks
	 * pushed after its drain would stay there.
	 */
	batch = pool->batch[order];
	high = pool->high[order];
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
	while (n > 1 && pcp_push(pool, pcp, order, blk[n - 1], high))
		n--;
	/* Taken for good: the caller's block and the ones cached. */
	if (got) {
		this_cpu_inc(pool->pcp->nr_refills);
		trace_buddy_cache_refill(pool, smp_processor_id(), order,
					 got - n + 1);
	}
	while (n > 1)
		__free_slot(pool, blk[--n]);
	__count_trip(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (n)
		*e = blk[0];
	return n;
}

/* Zero @len bytes at @addr, which KASAN may have closed. */
static void wipe_block(struct buddy_pool *pool, void *addr, size_t len)
{
	buddy_unpoison(pool, addr, len);
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
		wipe_block(pool, addr, len);
		this_cpu_inc(pool->pcp->nr_zeroings);
	}
	unpoison_size(pool, addr, size, len);
	return addr;
}

/*
 * A client gave back @len bytes at @addr, which it says it @zeroed: wipe
 * them if it did not and the system's init_on_free wants it, and close
 * them to KASAN. Return whether they are now known to hold only zeros.
 * The caller owns the memory until it passes it on.
 */
static bool take_back(struct buddy_pool *pool, void *addr, size_t len,
		      bool zeroed)
{
	bool wipe = !zeroed && want_init_on_free();

	if (wipe)
		wipe_block(pool, addr, len);
	buddy_poison_free(pool, addr, len);
	return zeroed || wipe;
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

	/* A flight from the pop to the owner byte (see pcp_landed()). */
	this_cpu_inc(pool->pcp->nr_begun);
	got = pcp_pop(pool, pcp, order, &e) ||
	      pcp_refill(pool, pcp, order, &e);
	if (likely(got)) {
		idx = e & ~PCP_ZERO;
		/* Pairs with READ_ONCE() in free_owned() and the checker. */
		WRITE_ONCE(pool->owner[idx], order + 1);
		/* The owner byte, then nr_allocs, the landing (pcp_landed()). */
		smp_wmb();
		this_cpu_inc(pool->pcp->nr_allocs);
		trace_buddy_alloc(pool, (u64)idx << pool->min_shift, size,
				  order, caller);
	} else {
		/* A flight that found nothing: begun before its landing. */
		smp_wmb();
		this_cpu_inc(pool->pcp->nr_landed);
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
	/* The landing (pcp_landed()), under the lock a reader holds. */
	pool->nr_frees++;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * This CPU's cache of @order took no push: give a batch back if it is
 * full, then push, or free to the core if this interrupts a push or
 * @order is no longer cached.
 */
static noinline void free_full(struct buddy_pool *pool, struct buddy_pcp *pcp,
			       u32 e, unsigned int order)
{
	unsigned int high;
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	/* The tuning as of now, as in pcp_refill(). */
	high = pool->high[order];
	if (high && pcp_depth(pcp, order) >= high)
		__drain(pool, smp_processor_id(), pcp, order,
			pool->batch[order]);
	if (!high || !pcp_push(pool, pcp, order, e, high)) {
		__free_slot(pool, e);
		/* The landing, as in free_to_core(). */
		pool->nr_frees++;
	} else {
		this_cpu_inc(pool->pcp->nr_frees);
	}
	__count_trip(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * A buddy_pool_set_cache() stopped caching @order while this CPU pushed a
 * block of it, and its drain may have missed the block: give back what
 * this CPU's cache of @order holds. The caller runs with preemption
 * disabled.
 */
static noinline void drain_stray(struct buddy_pool *pool,
				 struct buddy_pcp *pcp, unsigned int order)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	__drain(pool, smp_processor_id(), pcp, order, BUDDY_PCP_HIGH_MAX);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * Free the block at @ptr, which starts at min block @idx and holds only
 * zeros if @zeroed. Return false, changing nothing, if no client owns a
 * block starting there. @caller is for the trace event only.
 */
static bool free_owned(struct buddy_pool *pool, const void *ptr, u32 idx,
		       bool zeroed, unsigned long caller)
{
	/* Pairs with the WRITE_ONCE() of the allocation that set it. */
	u8 tag = READ_ONCE(pool->owner[idx]);
	unsigned int order = tag - 1, high;
	struct buddy_pcp *pcp;
	u32 e = idx;

	/* Nothing, or a part of an exact allocation: not for buddy_free(). */
	if (unlikely(!tag || tag > BUDDY_NR_ORDERS))
		return false;
	/* A flight until the block is cached or in the core (pcp_landed()). */
	this_cpu_inc(pool->pcp->nr_begun);
	/* Of two racing frees of one block, exactly one gets its tag. */
	if (unlikely(cmpxchg(&pool->owner[idx], tag, 0) != tag)) {
		/* A failed cmpxchg() orders nothing: begun before landed. */
		smp_wmb();
		this_cpu_inc(pool->pcp->nr_landed);
		return false;
	}
	trace_buddy_free(pool, (u64)idx << pool->min_shift, order, caller);
	/* Ours alone until it is cached or back in the core. */
	if (take_back(pool, (void *)ptr, BIT(pool->min_shift + order), zeroed))
		e |= PCP_ZERO;
	/* Pairs with WRITE_ONCE() in set_cache; a stale value is rechecked. */
	high = order < BUDDY_PCP_ORDERS ? READ_ONCE(pool->high[order]) : 0;
	buddy_test_point(pool, BUDDY_TEST_FREE, order);
	if (unlikely(!high)) {
		free_to_core(pool, e);
		return true;
	}
	pcp = get_cpu_ptr(pool->pcp);
	if (likely(pcp_push(pool, pcp, order, e, high))) {
		/* The landing; the push's cmpxchg() ordered it (pcp_landed()). */
		this_cpu_inc(pool->pcp->nr_frees);
		/* After the push: pairs with smp_mb() in set_cache. */
		if (unlikely(!READ_ONCE(pool->high[order])))
			drain_stray(pool, pcp, order);
	} else {
		free_full(pool, pcp, e, order);
	}
	put_cpu_ptr(pool->pcp);
	return true;
}

/*
 * Why is @off not the start of a block a client owns? 0 if it is. A block
 * in a cache is free to the client, so anything in it is a double free,
 * as for a block on a free list. The caller holds pool->lock.
 */
static int classify_free(struct buddy_pool *pool, u64 off)
{
	struct buddy_core_block blk;
	u64 pos = off;
	u8 tag;

	lockdep_assert_held(&pool->lock);
	if (off >= pool->max_size ||
	    !buddy_core_chunk_present(&pool->core, off >> pool->chunk_shift))
		return -ERANGE;
	if (off & (BIT_ULL(pool->min_shift) - 1))
		return -EINVAL;
	/*
	 * Only the first owner byte of a live exact allocation has
	 * OWNER_EXACT, set and cleared under the lock: no walk for it.
	 */
	if (READ_ONCE(pool->owner[off >> pool->min_shift]) & OWNER_EXACT)
		return -EXDEV;
	buddy_core_next_block(&pool->core, &pos, &blk);
	/* Lockless frees clear owner bytes: pairs with their cmpxchg(). */
	tag = READ_ONCE(pool->owner[blk.off >> pool->min_shift]);
	if (blk.free || !tag)
		return -EALREADY;
	if (blk.off != off || (tag & OWNER_PART))
		return -ENOENT;
	return tag & OWNER_EXACT ? -EXDEV : 0;
}

/*
 * Default cache sizes: the orders whose blocks are at most
 * PCP_DEFAULT_BYTES (and below BUDDY_PCP_ORDERS) may be cached, and all
 * CPUs together may hold up to 1/PCP_DEFAULT_SHARE of the pool, split
 * evenly over the CPUs and the orders, at most BUDDY_PCP_HIGH_MAX blocks
 * of an order on each. An order that would
 * get fewer than PCP_DEFAULT_HIGH_MIN blocks is not cached. A batch is
 * half the high mark: a cache refills to half full and drains to half
 * full, as far from both ends as its random walk can start.
 */
#define PCP_DEFAULT_BYTES	SZ_64K
#define PCP_DEFAULT_SHARE	8
#define PCP_DEFAULT_HIGH_MIN	4

static void size_caches(struct buddy_pool *pool)
{
	unsigned int order, nr = 0, max = buddy_core_max_order(&pool->core);
	u64 budget;

	while (nr < BUDDY_PCP_ORDERS && nr <= max &&
	       BIT_ULL(pool->min_shift + nr) <= PCP_DEFAULT_BYTES)
		nr++;
	if (!nr)
		return;
	budget = div_u64(pool->size / PCP_DEFAULT_SHARE,
			 num_possible_cpus() * nr);
	for (order = 0; order < nr; order++) {
		u64 high = min_t(u64, BUDDY_PCP_HIGH_MAX,
				 budget >> (pool->min_shift + order));

		if (high < PCP_DEFAULT_HIGH_MIN)
			continue;
		pool->high[order] = (u16)high;
		pool->batch[order] = (u16)(high / 2);
	}
}

/*
 * Cache sizes that follow the load. A pool created with caches starts
 * from size_caches() and, every ADAPT_TRIPS trips to the core, shares a
 * budget out among the orders that are not pinned:
 *
 * - The budget: all CPUs together may cache 1/PCP_DEFAULT_SHARE of the
 *   pool and at most 1/PCP_FILL_SHARE of what is free or cached, so the
 *   caches shrink as the pool fills. It is shared among the CPUs whose
 *   caches had traffic since the last time; the others give back all
 *   they hold. A CPU that starts using its caches between two retunings
 *   may fill them up to the sizes of the others meanwhile.
 * - The traffic of an order: its pushes and pops on all CPUs since the
 *   last time (the versions in the caches' @state count them), plus two
 *   for each allocation of it that went to the core uncached and for
 *   each buddy_alloc_range() of it.
 * - A cache of depth H between its refills and drains of H / 2 blocks
 *   goes to the core about once every (H / 2)^2 calls of a random mix, so
 *   trips cost traffic / H^2 for H blocks of the order's size: the sum
 *   over orders is least for the same bytes when H is in proportion to
 *   the cube root of traffic / block size. An order without traffic gets
 *   no cache and gives back what it held.
 */
#define PCP_FILL_SHARE		2

/* floor(cbrt(@x)) */
static u64 icbrt(u64 x)
{
	u64 lo = 0, hi = 1ULL << 21, mid;

	/* (2^21)^3 = 2^63: the root of any u64 lies below it. */
	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if (mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Set @order's @high and @batch, then give back what each CPU holds of it
 * beyond @keep blocks (all of it for 0). Return how many blocks went
 * back. The caller holds pool->lock.
 */
static unsigned int __tune(struct buddy_pool *pool, unsigned int order,
			   unsigned int high, unsigned int batch,
			   unsigned int keep)
{
	unsigned int cpu, n, given = 0;

	lockdep_assert_held(&pool->lock);
	WRITE_ONCE(pool->high[order], high);
	WRITE_ONCE(pool->batch[order], high ? batch : 0);
	/*
	 * A free that read the old high may push after the drain below
	 * passed its CPU. Pairs with the READ_ONCE() of high after that push
	 * in free_owned(): the drain sees the block, or the free sees 0.
	 */
	smp_mb();
	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		n = BUDDY_PCP_HIGH_MAX;
		if (keep) {
			n = pcp_depth(pcp, order);
			if (n <= keep)
				continue;
			n -= keep;
		}
		given += __drain(pool, cpu, pcp, order, n);
	}
	return given;
}

/*
 * Set @order's @high, with a batch of high / 2 but at least 1, and give
 * back what each CPU holds beyond it. The caller holds pool->lock.
 */
static void __set_high(struct buddy_pool *pool, unsigned int order,
		       unsigned int high)
{
	if (high == pool->high[order])
		return;
	/* Its pops are no traffic: the next round must not count them. */
	pool->last_ticks[order] += __tune(pool, order, high,
					  max(high / 2, 1U), high);
}

/* Pushes and pops of every order on @pcp's CPU so far. */
static u64 pcp_ticks(struct buddy_pcp *pcp)
{
	unsigned int order;
	u64 ticks = 0;

	for (order = 0; order < BUDDY_PCP_ORDERS; order++)
		ticks += READ_ONCE(pcp->state[order]) / PCP_TICK;
	return ticks;
}

static void __adapt_caches(struct buddy_pool *pool)
{
	unsigned int order, cpu, top = min_t(unsigned int, BUDDY_PCP_ORDERS - 1,
					     buddy_core_max_order(&pool->core));
	u64 root[BUDDY_PCP_ORDERS] = {}, cached = 0, sum = 0, budget, ticks;

	lockdep_assert_held(&pool->lock);
	pool->nr_trips = 0;
	pool->nr_adapts++;
	/*
	 * Which CPUs pushed or popped since the last time? Each other one
	 * gives back what it holds; its pops are no traffic, as in
	 * __set_high().
	 */
	pool->nr_active = 0;
	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		if (pcp_ticks(pcp) != pcp->adapt_ticks) {
			pool->nr_active++;
			continue;
		}
		for (order = 0; order <= top; order++)
			if (!(pool->pinned & BIT(order)))
				pool->last_ticks[order] +=
					__drain(pool, cpu, pcp, order,
						BUDDY_PCP_HIGH_MAX);
	}
	for (order = 0; order <= top; order++) {
		u64 traffic;

		ticks = 0;
		for_each_possible_cpu(cpu) {
			unsigned long st = READ_ONCE(per_cpu_ptr(pool->pcp,
								 cpu)->state[order]);

			ticks += st / PCP_TICK;
			cached += (u64)(st & PCP_DEPTH) <<
				  (pool->min_shift + order);
		}
		traffic = ticks - pool->last_ticks[order] +
			  2ULL * pool->core_allocs[order];
		pool->last_ticks[order] = ticks;
		pool->core_allocs[order] = 0;
		if (pool->pinned & BIT(order))
			continue;
		/* At most 2^40 a round, far more than ADAPT_TRIPS bring. */
		root[order] = icbrt(min_t(u64, traffic, 1ULL << 40) <<
				    (BUDDY_PCP_ORDERS - order));
		sum += root[order] << order;
	}
	budget = min_t(u64, pool->size / PCP_DEFAULT_SHARE,
		       (buddy_core_free_bytes(&pool->core) + cached) /
		       PCP_FILL_SHARE);
	budget = div_u64(budget >> pool->min_shift,
			 max_t(u32, pool->nr_active, 1));
	for (order = 0; order <= top; order++) {
		u64 high;

		if (pool->pinned & BIT(order))
			continue;
		high = sum ? div64_u64(budget * root[order], sum) : 0;
		__set_high(pool, order,
			   min_t(u64, high, BUDDY_PCP_HIGH_MAX));
	}
	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		pcp->adapt_ticks = pcp_ticks(pcp);
	}
}

/**
 * buddy_pool_cache_auto() - let every order's cache size itself again
 * @pool: a pool created with caches
 *
 * Undoes the pinning of buddy_pool_set_cache(): from the next retuning
 * on, the sizes of every order follow the traffic and the fill again.
 * Until then each order keeps its high and batch.
 *
 * Context: Any context but NMI; takes the pool spinlock.
 * Return: 0, or -EINVAL (nothing changes) for a pool created without
 * caches, which has none to size.
 */
int buddy_pool_cache_auto(struct buddy_pool *pool)
{
	unsigned long flags;

	if (IS_ERR_OR_NULL(pool) || !pool->auto_cache)
		return -EINVAL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	WRITE_ONCE(pool->pinned, 0);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_cache_auto, BUDDY_NS);

int buddy_caches_init(struct buddy_pool *pool, bool cached)
{
	pool->owner = kvzalloc(pool->max_size >> pool->min_shift, GFP_KERNEL);
	if (!pool->owner)
		return -ENOMEM;
	pool->cached_map = kvcalloc(BITS_TO_LONGS(pool->max_size >>
						  pool->min_shift),
				    sizeof(long), GFP_KERNEL);
	pool->pcp = alloc_percpu(struct buddy_pcp);
	if (!pool->pcp || !pool->cached_map) {
		free_percpu(pool->pcp);
		kvfree(pool->cached_map);
		kvfree(pool->owner);
		return -ENOMEM;
	}
	pool->pcp_bytes = min_t(u64, BIT_ULL(pool->min_shift + BUDDY_PCP_ORDERS - 1),
				buddy_core_min_block(&pool->core) <<
				buddy_core_max_order(&pool->core));
	if (cached) {
		size_caches(pool);
		pool->auto_cache = true;
	}
	return 0;
}

void buddy_caches_free(struct buddy_pool *pool)
{
	free_percpu(pool->pcp);
	kvfree(pool->cached_map);
	kvfree(pool->owner);
}

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
		/* Pairs with the READ_ONCE() of a racing free (free_owned()). */
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
		__buddy_drain_all(pool);
		ret = __alloc_core(pool, size, order, off, dirty);
	}
	if (ret)
		pool->nr_failed++;
	else
		__count_core_alloc(pool, order);
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
static inline bool fault_injected(struct buddy_pool *pool, const char *what,
				  size_t size, gfp_t gfp, unsigned long caller)
{
	if (likely(!buddy_should_fail(size)))
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
	return hand_out(pool, off_addr(pool, off),
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
 * Context: Any context but NMI, hard IRQ included. A hit in this CPU's cache
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
	if (fault_injected(pool, NULL, size, gfp, _RET_IP_))
		return NULL;
	/* The common case, a cached order, inline. */
	if (likely(size - 1 < pool->pcp_bytes)) {
		order = size > BIT(pool->min_shift) ?
			fls_long(size - 1) - pool->min_shift : 0;
		/* Pairs with WRITE_ONCE() in set_cache; refill rechecks. */
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
	ret = classify_free(pool, off);
	/* Not owned a moment ago: only a racing client could own it now. */
	if (!ret)
		ret = -EALREADY;
	__report_free(pool, ptr, ret, flags, caller);
}

/* buddy_free(), of a block that holds only zeros if @zeroed. */
static __always_inline void free_block(struct buddy_pool *pool,
				       const void *ptr, bool zeroed,
				       unsigned long caller)
{
	u64 off;

	if (!ptr)
		return;
	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return;
	off = pool_offset(pool, ptr);
	/* U64_MAX, for a pointer outside the pool, is misaligned too. */
	if (likely(!(off & (BIT_ULL(pool->min_shift) - 1))) &&
	    likely(free_owned(pool, ptr, (u32)(off >> pool->min_shift),
			      zeroed, caller)))
		return;
	bad_free(pool, ptr, off, caller);
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
 * Context: Any context but NMI, hard IRQ included; takes no lock when the block
 * goes to this CPU's cache, else the pool spinlock.
 */
void buddy_free(struct buddy_pool *pool, const void *ptr)
{
	free_block(pool, ptr, false, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(buddy_free, BUDDY_NS);

/*
 * buddy_free_zeroed() - buddy_free() of a block whose owner wrote zeros
 * over all of it: it goes back known to be zero, so the next allocation
 * that must be zeroed skips it. /dev/buddy frees its zeroed blocks so.
 */
void buddy_free_zeroed(struct buddy_pool *pool, const void *ptr)
{
	free_block(pool, ptr, true, _RET_IP_);
}

/*
 * Min blocks in the exact allocation that starts at min block @idx: its
 * first block, then the parts that follow it, each half the size of the
 * one before at most. The caller holds pool->lock.
 */
static u64 exact_blocks(struct buddy_pool *pool, u32 idx)
{
	u64 n = 0, end = pool->max_size >> pool->min_shift;
	/* Owner bytes change without the lock: pairs with free_owned(). */
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
 * Context: Any context but NMI, hard IRQ included; takes the pool spinlock.
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
	off = pool_offset(pool, ptr);
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = classify_free(pool, off);
	if (!ret)
		bytes = BIT_ULL(buddy_core_block_order(&pool->core, off));
	else if (ret == -EXDEV)
		bytes = exact_blocks(pool, (u32)(off >> pool->min_shift));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	bytes <<= pool->min_shift;
	/* As ksize() did: whoever asks may use all of it. */
	if (bytes)
		buddy_unpoison(pool, ptr, bytes);
	return bytes;
}
EXPORT_SYMBOL_NS_GPL(buddy_block_size, BUDDY_NS);

/*
 * Placement with the caches kept.
 *
 * buddy_alloc_range() counts cached blocks as free, without emptying
 * every cache to do so. The best place (lowest, or highest top-down) that
 * would be free if every cached block were, and is not free now, meets a
 * cached block, and every cached block that meets a place of the request
 * starts inside one: in [q * A, q * A + S) for alignment A and block size
 * S (a block that starts before q * A and reaches past it is aligned to
 * more than A, so it starts at some q' * A itself). So under the pool lock
 * (no cache refills) the search reads pool->cached_map over the window,
 * only at those positions, in address order (top-down, backwards). For
 * each cached block found, its place is the best that meets it: one inside
 * it if it is at least A large, else its own aligned place if every block
 * there is free or cached (see may_be_cached()). The first such place,
 * @best, bounds the core's search: only a fully free place better than
 * @best can beat it. If the core finds none, @best is the answer: taken straight
 * off its stack when it is one cached block of the order, else made free
 * by giving the cached blocks that meet it back to the core, which then
 * splits it off. Only those blocks leave the caches; on another CPU's
 * stack, those pushed after them move to this CPU's. A try that finds
 * the caches changed under it is tried again (RANGE_TRIES).
 */
struct place {
	u64 start, end;		/* the window, clipped to the pool */
	u64 size, align;	/* the block's bytes; alignment, at least size */
	bool top;		/* BUDDY_TOPDOWN */
	u64 best;		/* best place that needs cached blocks, or NONE */
	bool whole;		/* @best is one cached block of @size, ... */
	unsigned int order;	/* ... of @order, at min block @idx */
	u32 idx;
};

#define NONE	U64_MAX

/*
 * May the allocated block of @order at min block @idx be cached? Its order
 * must be one the caches hold, no client may own it and its bit in the map
 * must be set. A block whose free is under way (owner byte cleared, not
 * yet cached or given to the core) may pass too, and an uncacheable one
 * in that state must not: nothing may look for it on a stack.
 */
static bool may_be_cached(struct buddy_pool *pool, u64 idx,
			  unsigned int order)
{
	return order < BUDDY_PCP_ORDERS && !READ_ONCE(pool->owner[idx]) &&
	       (READ_ONCE(pool->cached_map[BIT_WORD(idx)]) & BIT_MASK(idx));
}

/* Is the block that starts at min block @idx allocated and cached? */
static bool cached_block(struct buddy_pool *pool, u64 idx, unsigned int *order)
{
	int ret = buddy_core_block_order(&pool->core, idx << pool->min_shift);

	if (ret < 0 || !may_be_cached(pool, idx, ret))
		return false;
	*order = ret;
	return true;
}

/*
 * Would the place of @size bytes at @p be free if every cached block
 * were? Every block that meets it must be free or cached. Under
 * pool->lock.
 */
static bool place_free_or_cached(struct buddy_pool *pool, u64 p, u64 size)
{
	struct buddy_core_block blk;
	u64 pos = p, at;

	while (pos < p + size) {
		at = pos;
		if (!buddy_core_next_block(&pool->core, &pos, &blk) ||
		    blk.off > at)
			return false;
		if (!blk.free &&
		    !may_be_cached(pool, blk.off >> pool->min_shift,
				   blk.order))
			return false;
	}
	return true;
}

/*
 * The best place in @pl's window that meets the cached block of @len
 * bytes at @x and would be free if the caches were empty, or NONE.
 */
static u64 cached_place(struct buddy_pool *pool, const struct place *pl,
			u64 x, u64 len)
{
	u64 lo = max(x, pl->start), hi = min(x + len, pl->end), p;

	if (len >= pl->align) {
		/* Every aligned place inside the block is the block's. */
		if (lo >= hi || hi - lo < pl->size)
			return NONE;
		p = pl->top ? round_down(hi - pl->size, pl->align) :
			      round_up(lo, pl->align);
		return p >= lo && p + pl->size <= hi ? p : NONE;
	}
	p = round_down(x, pl->align);
	if (p < pl->start || p + pl->size > pl->end || x >= p + pl->size)
		return NONE;
	/* A place the block covers needs no walk. */
	if ((x > p || len < pl->size) &&
	    !place_free_or_cached(pool, p, pl->size))
		return NONE;
	return p;
}

/*
 * Try the cached block at min block @idx, if it is one, for @pl->best.
 * Return whether it gave a place.
 */
static bool try_cached(struct buddy_pool *pool, struct place *pl, u64 idx)
{
	unsigned int order;
	u64 x = idx << pool->min_shift, len, p;

	if (!cached_block(pool, idx, &order))
		return false;
	len = BIT_ULL(pool->min_shift + order);
	p = cached_place(pool, pl, x, len);
	if (p == NONE)
		return false;
	pl->best = p;
	pl->whole = p == x && len == pl->size;
	pl->order = order;
	pl->idx = idx;
	return true;
}

/*
 * The bits of map word @w that may start a cached block meeting a place:
 * those at (index mod @period) < @span, in min blocks, both powers of
 * two, @span <= @period. Below a word's width the mask is the same for
 * every word, @pm.
 */
static __always_inline u64 span_bits(u64 w, u64 period, u64 span, u64 pm)
{
	u64 off;

	if (period <= BITS_PER_LONG)
		return pm;
	off = (w * BITS_PER_LONG) & (period - 1);
	if (off >= span)
		return 0;
	return span - off >= BITS_PER_LONG ? ~0ULL : BIT_ULL(span - off) - 1;
}

/*
 * Does any CPU cache a block? A push on another CPU may come right after,
 * as it may during find_cached_place()'s read of the map.
 */
static bool any_cached(struct buddy_pool *pool)
{
	unsigned int cpu, order;

	for_each_possible_cpu(cpu) {
		struct buddy_pcp *pcp = per_cpu_ptr(pool->pcp, cpu);

		for (order = 0; order < BUDDY_PCP_ORDERS; order++)
			if (pcp_depth(pcp, order))
				return true;
	}
	return false;
}

/*
 * Find @pl->best, the best place that needs a cached block, from the
 * map of cached blocks. Under pool->lock; other CPUs change the map as
 * they push and pop, so each bit is checked against the core and the
 * owner map, and a block pushed meanwhile may be missed, as a free under
 * way may be.
 */
static void find_cached_place(struct buddy_pool *pool, struct place *pl)
{
	u64 period = pl->align >> pool->min_shift;
	u64 span = pl->size >> pool->min_shift;
	u64 lo = pl->start >> pool->min_shift;
	u64 hi = (pl->end - 1) >> pool->min_shift;
	u64 w, first, last, bits, m, pm = 0, pos, next;
	struct buddy_core_block blk;
	unsigned int b;

	lockdep_assert_held(&pool->lock);
	/*
	 * A cached block that starts before the window's edge, holding it;
	 * none can where the edge is aligned to the largest cached block.
	 */
	pos = pl->top ? pl->end - 1 : pl->start;
	if (!IS_ALIGNED(pl->top ? pl->end : pl->start, pool->pcp_bytes) &&
	    buddy_core_next_block(&pool->core, &pos, &blk) && !blk.free &&
	    (pl->top ? blk.off + BIT_ULL(pool->min_shift + blk.order) > pl->end :
		       blk.off < pl->start) &&
	    try_cached(pool, pl, blk.off >> pool->min_shift))
		return;
	if (period <= BITS_PER_LONG) {
		pm = span >= BITS_PER_LONG ? ~0ULL : BIT_ULL(span) - 1;
		for (b = period; b < BITS_PER_LONG; b <<= 1)
			pm |= pm << b;
	}
	first = lo / BITS_PER_LONG;
	last = hi / BITS_PER_LONG;
	/* Unsigned: top-down, w-- past 0 ends the loop too. */
	for (w = pl->top ? last : first; w >= first && w <= last;
	     pl->top ? w-- : w++) {
		m = span_bits(w, period, span, pm);
		if (!m) {
			/* On to the next span (top-down: the one below). */
			if (pl->top) {
				next = round_down(w * BITS_PER_LONG, period);
				w = (next + span - 1) / BITS_PER_LONG + 1;
			} else {
				next = round_up(w * BITS_PER_LONG + 1, period);
				w = next / BITS_PER_LONG - 1;
			}
			continue;
		}
		if (w == first)
			m &= ~0ULL << (lo % BITS_PER_LONG);
		if (w == last && hi % BITS_PER_LONG != BITS_PER_LONG - 1)
			m &= BIT_ULL(hi % BITS_PER_LONG + 1) - 1;
		bits = READ_ONCE(pool->cached_map[w]) & m;
		while (bits) {
			b = pl->top ? __fls(bits) : __ffs(bits);
			bits &= ~BIT_ULL(b);
			if (try_cached(pool, pl, w * BITS_PER_LONG + b))
				return;
		}
	}
}

/* The slot of @pcp's stack of @order that holds min block @idx, or -1. */
static int stack_slot(struct buddy_pcp *pcp, unsigned int order, u32 idx)
{
	int i = pcp_depth(pcp, order);

	/* Slots no earlier than the depth that covers them. Newest first. */
	smp_rmb();
	while (i--)
		if ((READ_ONCE(pcp->slot[order][i]) & ~PCP_ZERO) == idx)
			return i;
	return -1;
}

/*
 * Which CPU's stack of @order holds min block @idx, or nr_cpu_ids; *@slot
 * gets where on it. This CPU's first: a block freed here lately is near
 * its top.
 */
static unsigned int cached_on(struct buddy_pool *pool, unsigned int order,
			      u32 idx, int *slot)
{
	unsigned int cpu, here = smp_processor_id();

	*slot = stack_slot(per_cpu_ptr(pool->pcp, here), order, idx);
	if (*slot >= 0)
		return here;
	for_each_possible_cpu(cpu) {
		if (cpu == here)
			continue;
		*slot = stack_slot(per_cpu_ptr(pool->pcp, cpu), order, idx);
		if (*slot >= 0)
			return cpu;
	}
	return nr_cpu_ids;
}

/*
 * Pop another CPU's stack of @order down to min block @idx, into *@e. The
 * blocks above it move to this CPU's stack of @order, in their order, as
 * far as its high mark allows, and the rest go back to the core. Under
 * pool->lock, interrupts off. Return whether the block was found.
 */
static bool take_remote(struct buddy_pool *pool, struct buddy_pcp *pcp,
			unsigned int order, u32 idx, u32 *e)
{
	struct buddy_pcp *here = this_cpu_ptr(pool->pcp);
	u32 above[BUDDY_PCP_HIGH_MAX], f;
	unsigned int n = 0;
	bool found = false;

	while (n < BUDDY_PCP_HIGH_MAX && pcp_pop(pool, pcp, order, &f)) {
		if ((f & ~PCP_ZERO) == idx) {
			*e = f;
			found = true;
			break;
		}
		above[n++] = f;
	}
	while (n) {
		f = above[--n];
		if (!pcp_push(pool, here, order, f, pool->high[order]))
			__free_slot(pool, f);
	}
	return found;
}

/*
 * Take the cached block at min block @idx off @cpu's stack of @order;
 * *@e gets its slot. This CPU's stacks change only under pool->lock while
 * it holds it with interrupts off (other CPUs pop them only under the
 * lock), so the block is cut out where it lies. Another CPU's owner may
 * push or pop meanwhile, so that stack is popped down to the block (see
 * take_remote()). Under pool->lock. Return whether the block was taken.
 */
static bool take_cached(struct buddy_pool *pool, unsigned int order, u32 idx,
			u32 *e)
{
	struct buddy_pcp *pcp;
	unsigned int cpu;
	unsigned long old;
	int i, n;

	lockdep_assert_held(&pool->lock);
	cpu = cached_on(pool, order, idx, &i);
	if (cpu >= nr_cpu_ids)
		return false;
	pcp = per_cpu_ptr(pool->pcp, cpu);
	if (cpu != smp_processor_id())
		return take_remote(pool, pcp, order, idx, e);
	/* This CPU's stack cannot change while we hold the lock: @i holds. */
	old = READ_ONCE(pcp->state[order]);
	n = old & PCP_DEPTH;
	*e = pcp->slot[order][i];
	for (; i + 1 < n; i++)
		WRITE_ONCE(pcp->slot[order][i], pcp->slot[order][i + 1]);
	/* Nothing else can change the stack: this cannot fail. */
	WARN_ON_ONCE(cmpxchg(&pcp->state[order], old,
			     old + PCP_TICK - 1) != old);
	unmark_cached(pool, *e);
	return true;
}

/*
 * Give back to the core every cached block that meets [@p, @p + @size),
 * each taken off its stack as take_cached() does. Under pool->lock.
 */
static void free_place(struct buddy_pool *pool, u64 p, u64 size)
{
	struct buddy_core_block blk;
	u64 pos = p;
	u32 e;

	lockdep_assert_held(&pool->lock);
	while (pos < p + size &&
	       buddy_core_next_block(&pool->core, &pos, &blk)) {
		u64 idx = blk.off >> pool->min_shift;

		/* The walk has the block's order: no lookup. */
		if (blk.free || !may_be_cached(pool, idx, blk.order))
			continue;
		if (take_cached(pool, blk.order, (u32)idx, &e))
			__free_slot(pool, e);
	}
}

/*
 * Tries of the placement with the caches kept before the drain of every
 * cache: each failed try is a block that left a cache or arrived in one
 * while the caches were read, or a free under way (owner byte cleared,
 * not yet cached), which the next try may find landed.
 */
#define RANGE_TRIES	4

/*
 * The core of buddy_alloc_range(), under pool->lock: the block's offset
 * in *@off, its order in *@order and whether it may hold anything but
 * zeros in *@dirty, or an error from the core.
 */
static int __alloc_range(struct buddy_pool *pool, size_t size, size_t align,
			 u64 start, u64 end, bool top, u64 *off,
			 unsigned int *order, bool *dirty)
{
	unsigned int cflags = top ? BUDDY_CORE_TOPDOWN : 0, tries;
	struct place pl = { .start = start, .end = end, .top = top };
	u64 cstart, cend;
	int k, ret;
	u32 e;

	lockdep_assert_held(&pool->lock);
	k = buddy_core_order_for(&pool->core, size);
	if (k < 0)
		return buddy_core_alloc_range(&pool->core, size, align, start,
					      end, cflags, off);
	pl.size = BIT_ULL(pool->min_shift + k);
	pl.align = max_t(u64, align, pl.size);
	for (tries = 0; tries < RANGE_TRIES; tries++) {
		pl.best = NONE;
		/* The map is read word by word over the window: skip it. */
		if (any_cached(pool))
			find_cached_place(pool, &pl);
		/* Only a free place better than @pl.best can beat it. */
		cstart = start;
		cend = end;
		if (pl.best != NONE) {
			if (top)
				cstart = max(start, pl.best + pl.align);
			else
				cend = min(end, pl.best);
		}
		ret = -ENOMEM;
		if (cstart < cend)
			ret = buddy_core_alloc_range(&pool->core, size, align,
						     cstart, cend, cflags, off);
		if (ret != -ENOMEM || pl.best == NONE)
			goto out;
		if (pl.whole && take_cached(pool, pl.order, pl.idx, &e)) {
			*off = pl.best;
			*order = k;
			*dirty = !(e & PCP_ZERO);
			return 0;
		}
		free_place(pool, pl.best, pl.size);
		ret = buddy_core_alloc_range(&pool->core, size, align, pl.best,
					     pl.best + pl.size, cflags, off);
		if (!ret)
			goto out;
	}
	/* Still moving: search with every cache empty. */
	__buddy_drain_all(pool);
	ret = buddy_core_alloc_range(&pool->core, size, align, start, end,
				     cflags, off);
out:
	if (!ret) {
		*order = buddy_core_block_order(&pool->core, *off);
		*dirty = !buddy_core_zeroed(&pool->core, *off);
	}
	return ret;
}

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
	if (align && (!is_power_of_2(align) ||
		      align > BIT_ULL(pool->chunk_shift)))
		return "align is not 0 or a power of two up to a chunk or the pool's size";
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
 * @align: 0, or a power of two up to one chunk (in a contiguous pool, up
 *	to its size rounded up to a power of two): the block's pool offset
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
 * block. Blocks in the per-CPU caches count as free, and the caches keep
 * them unless the chosen place needs them: a cached block that is the
 * place is taken off its cache, and cached blocks that make up part of
 * it go back to the pool (blocks cached after them on another CPU move
 * to this CPU's cache). A block freed on another CPU while the call runs
 * may be missed. Free the block with buddy_free().
 *
 * The search first reads the pool's map of cached blocks (a bit per min
 * block) over the range, only at the offsets where a block meeting an
 * aligned place can start, up to the first cached block that gives a
 * place; it skips the map when no CPU caches a block. Then it reads the
 * pool's per-order free bitmaps over the range short of that place,
 * skipping 64 words of them at a time where they are empty: for each
 * order, about (@end - @start) / (min_block << order) / 4096 words, plus a
 * few at the edges of the range; an alignment larger than the block adds
 * at most one step per aligned position for each order below it. It never
 * walks the free lists.
 *
 * Context: Any context but NMI, hard IRQ included; takes the pool spinlock for
 * the search.
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
	unsigned int order = 0;
	int ret;
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
	if (fault_injected(pool, __func__, size, gfp, _RET_IP_))
		return NULL;
	raw_spin_lock_irqsave(&pool->lock, flags_irq);
	ret = __alloc_range(pool, size, align, start,
			    min_t(u64, end, pool->max_size),
			    flags & BUDDY_TOPDOWN, &off, &order, &dirty);
	if (likely(!ret)) {
		/* Pairs with the READ_ONCE() of a racing free (free_owned()). */
		WRITE_ONCE(pool->owner[off >> pool->min_shift], order + 1);
		pool->nr_allocs++;
		__count_core_alloc(pool, order);
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
	return hand_out(pool, off_addr(pool, off),
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

		/* Pairs with the READ_ONCE() of a racing free (free_owned()). */
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
 * Context: Any context but NMI, hard IRQ included; takes the pool spinlock.
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
	if (fault_injected(pool, __func__, size, gfp, _RET_IP_))
		return NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_alloc_exact(&pool->core, size, &off);
	if (unlikely(ret == -ENOMEM)) {
		/* No cache refills without this lock, which we hold. */
		__buddy_drain_all(pool);
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
	return hand_out(pool, off_addr(pool, off),
			size, round_up(size, BIT(pool->min_shift)), gfp, dirty);
}
EXPORT_SYMBOL_NS_GPL(buddy_alloc_exact, BUDDY_NS);

/*
 * Give the disowned exact run of @n min blocks at @off back to the core,
 * as holding only zeros if @zero, and land its flight. The caller holds
 * pool->lock.
 */
static void __free_exact_core(struct buddy_pool *pool, u64 off, u64 n,
			      bool zero)
{
	int ret;

	lockdep_assert_held(&pool->lock);
	if (zero)
		ret = buddy_core_free_exact_zeroed(&pool->core, off,
						   n << pool->min_shift);
	else
		ret = buddy_core_free_exact(&pool->core, off,
					    n << pool->min_shift);
	WARN_ON_ONCE(ret);
	/* The landing, as in free_to_core(). */
	pool->nr_frees++;
}

/* buddy_free_exact(), of a run that holds only zeros if @zeroed. */
static void free_exact(struct buddy_pool *pool, const void *ptr, size_t size,
		       bool zeroed, unsigned long caller)
{
	unsigned long flags;
	bool quick;
	u64 off, n, i;
	u32 idx;
	int ret;

	if (!ptr)
		return;
	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return;
	off = pool_offset(pool, ptr);
	n = DIV_ROUND_UP_ULL(size, BIT(pool->min_shift));
	idx = (u32)(off >> pool->min_shift);
	/* Nothing to write over the run: it goes to the core in one hold. */
	quick = (zeroed || !want_init_on_free()) && !pool->poison;
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = classify_free(pool, off);
	if (ret != -EXDEV) {
		/* Anything buddy_free() would take is no exact allocation. */
		__report_free(pool, ptr, ret ? ret : -EBADSLT, flags,
			      caller);
		return;
	}
	if (!size || exact_blocks(pool, idx) != n) {
		__report_free(pool, ptr, -EMSGSIZE, flags, caller);
		return;
	}
	/*
	 * Disowned, it is ours alone: wipe and poison it without the lock,
	 * which an init_on_free memset of megabytes must not hold. In flight
	 * till then (see pcp_landed()); a quick free lands in this hold.
	 */
	this_cpu_inc(pool->pcp->nr_begun);
	/* Only each part's first byte is set (tag_exact()). */
	for (i = n; i; i -= BIT_ULL(fls64(i) - 1)) {
		/* Pairs with the READ_ONCE() of a racing bad buddy_free(). */
		WRITE_ONCE(pool->owner[idx], 0);
		idx += BIT(fls64(i) - 1);
	}
	if (quick)
		__free_exact_core(pool, off, n, zeroed);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	trace_buddy_free(pool, off, order_base_2(n), caller);
	if (quick)
		return;
	zeroed = take_back(pool, (void *)ptr, n << pool->min_shift, zeroed);
	raw_spin_lock_irqsave(&pool->lock, flags);
	__free_exact_core(pool, off, n, zeroed);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

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
 * Context: Any context but NMI, hard IRQ included; takes the pool spinlock.
 */
void buddy_free_exact(struct buddy_pool *pool, const void *ptr, size_t size)
{
	free_exact(pool, ptr, size, false, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(buddy_free_exact, BUDDY_NS);

/* buddy_free_exact() of a run whose owner wrote zeros over all of it. */
void buddy_free_exact_zeroed(struct buddy_pool *pool, const void *ptr,
			     size_t size)
{
	free_exact(pool, ptr, size, true, _RET_IP_);
}

/**
 * buddy_pool_drain() - give every CPU's cached blocks back to the pool
 * @pool: the pool
 *
 * The blocks merge with their buddies, so the free lists show the pool as
 * it would be without caches. Caches refill on their next use.
 *
 * Context: Any context but NMI, hard IRQ included; takes the pool spinlock for
 * O(CPUs) time.
 */
void buddy_pool_drain(struct buddy_pool *pool)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	__buddy_drain_all(pool);
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
 * The order is pinned: a pool created with caches no longer sizes its
 * cache by the traffic (until buddy_pool_cache_auto()). Every CPU's
 * cache of @order is drained; a free under way may still push
 * one block of @order afterwards, which it gives back itself when @high
 * is 0. A pool whose orders all have @high 0 works without caches.
 *
 * Context: Any context but NMI; takes the pool spinlock for O(CPUs) time.
 * Return: 0, or -EINVAL (nothing changes) for an argument out of range.
 */
int buddy_pool_set_cache(struct buddy_pool *pool, unsigned int order,
			 unsigned int high, unsigned int batch)
{
	unsigned long flags;

	if (IS_ERR_OR_NULL(pool) || order >= BUDDY_PCP_ORDERS ||
	    order > buddy_core_max_order(&pool->core) ||
	    high > BUDDY_PCP_HIGH_MAX || (high && (!batch || batch > high)))
		return -EINVAL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	WRITE_ONCE(pool->pinned, pool->pinned | BIT(order));
	__tune(pool, order, high, batch, 0);
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

#if IS_ENABLED(CONFIG_KUNIT)
DEFINE_STATIC_KEY_FALSE(buddy_test_key);
static buddy_test_hook_t test_hook;

void buddy_test_hook(struct buddy_pool *pool, enum buddy_test_point at,
		     unsigned int order)
{
	buddy_test_hook_t hook = READ_ONCE(test_hook);

	if (hook)
		hook(pool, at, order);
}

/* Stop the hot paths at each buddy_test_point() in @hook; NULL: no more. */
void buddy_set_test_hook(buddy_test_hook_t hook)
{
	if (hook) {
		WRITE_ONCE(test_hook, hook);
		static_branch_enable(&buddy_test_key);
	} else {
		static_branch_disable(&buddy_test_key);
		WRITE_ONCE(test_hook, NULL);
	}
}
EXPORT_SYMBOL_IF_KUNIT(buddy_set_test_hook);
#endif

/* A CPU went offline: give its cached blocks back to every pool. */
int buddy_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct buddy_pool *pool = hlist_entry(node, struct buddy_pool, cpuhp);
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	__drain_cpu(pool, cpu);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}

