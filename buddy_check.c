// SPDX-License-Identifier: GPL-2.0
/*
 * The pool checker, bounded so that debugfs can run it on a busy pool,
 * and the statistics: both read the core under pool->lock and the per-CPU
 * caches beside it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"

/* Describe a broken invariant in @buf (@len bytes); return -EUCLEAN. */
static __printf(3, 4) int complain(char *buf, size_t len, const char *fmt,
				   ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, len, fmt, args);
	va_end(args);
	return -EUCLEAN;
}

/*
 * A pool check taken in steps (see pool_check()): the core's checker, then
 * the caches against the core and the owner map. Every cached block is an
 * allocated block of its order that no client owns and no other slot
 * holds (@seen, one bit per min block, marks each), every allocated block
 * is owned or cached, every owner byte starts an allocated block and
 * holds its order, and owned plus cached blocks are exactly the blocks
 * the core has handed out.
 */
struct pool_checker {
	struct buddy_core_checker core;
	unsigned long *seen;
	unsigned int phase, cpu;
	u64 pos, i, allocs, frees, cached, owned, tagged, tags;
};

/*
 * Is cached block @idx an allocated block of @order that no client owns
 * and no other slot holds?
 */
static int check_cached(struct buddy_pool *pool, struct pool_checker *ck,
			unsigned int cpu, unsigned int order, u32 idx,
			char *buf, size_t len)
{
	u64 off = (u64)idx << pool->min_shift;

	if (buddy_core_block_order(&pool->core, off) != (int)order)
		return complain(buf, len,
				"cpu %u order %u: cached %llu is no allocated block of that order",
				cpu, order, off);
	/* Pairs with the WRITE_ONCE() and cmpxchg() of the lockless paths. */
	if (READ_ONCE(pool->owner[idx]))
		return complain(buf, len, "cpu %u order %u: cached %llu is owned by a client",
				cpu, order, off);
	if (__test_and_set_bit(idx, ck->seen))
		return complain(buf, len, "cpu %u order %u: cached %llu is cached twice",
				cpu, order, off);
	return 0;
}

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

	/* Owners bump these with this_cpu_inc(), without the lock. */
	ck->allocs += READ_ONCE(pcp->nr_allocs);
	ck->frees += READ_ONCE(pcp->nr_frees);
	for (order = 0; order < BUDDY_PCP_ORDERS; order++) {
		unsigned int n = pcp_depth(pcp, order);

		if (n > BUDDY_PCP_HIGH_MAX)
			return complain(buf, len,
					"cpu %u order %u: %u cached, more than %u",
					cpu, order, n, BUDDY_PCP_HIGH_MAX);
		/* The slots no earlier than the depth: pairs with pcp_push(). */
		smp_rmb();
		for (j = 0; j < n; j++) {
			ret = check_cached(pool, ck, cpu, order,
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
			u32 idx = blk.off >> pool->min_shift;
			/* As in check_cached(): lockless writers. */
			u8 tag = READ_ONCE(pool->owner[idx]);

			if (tag && (tag & OWNER_ORDER) != blk.order + 1)
				return complain(buf, len,
						"block at %llu of order %u: owner byte says order %d",
						blk.off, blk.order,
						(tag & OWNER_ORDER) - 1);
			if (!tag && !test_bit(idx, ck->seen))
				return complain(buf, len,
						"block at %llu of order %u is allocated, but neither owned nor cached",
						blk.off, blk.order);
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
			/* As in check_cached(): lockless writers. */
			ck->tags += !!READ_ONCE(pool->owner[ck->i]);
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
		return complain(buf, len, "an owner byte lies outside every allocated block");
	if (ck->owned + ck->cached != bc->nr_allocs - bc->nr_frees)
		return complain(buf, len, "%llu blocks allocated, but %llu owned and %llu cached",
				bc->nr_allocs - bc->nr_frees, ck->owned,
				ck->cached);
	if (ck->allocs - ck->frees != ck->owned)
		return complain(buf, len, "%llu allocs - %llu frees != %llu owned blocks",
				ck->allocs, ck->frees, ck->owned);
	return 0;
}

#define CHECK_TRIES	8
/* Units of work per lock hold of buddy_pool_check_bounded(). */
#define CHECK_BUDGET	4096

/*
 * Check @pool holding its lock for about @budget units of work at a time,
 * cond_resched() between; @budget U64_MAX takes each try in one hold. The
 * caches change without the lock, so a violation seen while a block was in
 * flight (see pcp_landed()) may be none: keep it and try again. A try
 * starts again when the core changed or a flight began while the lock was
 * dropped. After CHECK_TRIES tries, give up with -EBUSY. A broken pool
 * fails every try that no flight overlaps.
 */
static int pool_check(struct buddy_pool *pool, struct pool_checker *ck,
		      u64 budget, char *buf, size_t len)
{
	u64 nmin = pool->max_size >> pool->min_shift;
	unsigned long landed, begun, *seen;
	unsigned int tries, holds = 0;
	unsigned long flags;
	u64 gen, t0, t, longest = 0;
	char last[96] = "";
	int ret = -EBUSY;

	/* Before the lock: a bit for every min block of the largest pool. */
	seen = kvcalloc(BITS_TO_LONGS(nmin), sizeof(long), GFP_KERNEL);
	if (!seen) {
		snprintf(buf, len, "no memory for the checker's %llu bits", nmin);
		return -ENOMEM;
	}
	for (tries = 0; tries < CHECK_TRIES; tries++) {
		memset(ck, 0, sizeof(*ck));
		ck->seen = seen;
		bitmap_zero(seen, nmin);
		raw_spin_lock_irqsave(&pool->lock, flags);
		gen = pool->core.gen;
		landed = pcp_landed(pool);
		begun = pcp_begun(pool);
		for (;;) {
			t0 = ktime_get_ns();
			ret = check_step(pool, ck, budget, buf, len);
			t = ktime_get_ns() - t0;
			longest = max(longest, t);
			holds++;
			/* The caches, owner bytes and their counters change unlocked. */
			if (ret == -EUCLEAN && ck->phase != CHECK_CORE &&
			    pcp_begun(pool) != landed) {
				strscpy(last, buf, sizeof(last));
				ret = -EBUSY;
			}
			if (ret != -EAGAIN)
				break;
			raw_spin_unlock_irqrestore(&pool->lock, flags);
			cond_resched();
			raw_spin_lock_irqsave(&pool->lock, flags);
			if (pool->core.gen != gen || pcp_begun(pool) != begun) {
				ret = -EBUSY;
				break;
			}
		}
		raw_spin_unlock_irqrestore(&pool->lock, flags);
		if (ret != -EBUSY)
			break;
	}
	kvfree(seen);
	WRITE_ONCE(pool->check_holds, holds);
	WRITE_ONCE(pool->check_longest_ns, longest);
	if (ret == -EBUSY)
		snprintf(buf, len, "busy: blocks in flight during %u tries%s%s",
			 CHECK_TRIES, last[0] ? "; last: " : "", last);
	return ret;
}

/**
 * buddy_pool_check() - run the invariant checkers on a pool
 * @pool: the pool
 * @buf: receives the first violation found
 * @len: size of @buf
 *
 * Each try holds the pool lock throughout, and a try that no allocation or
 * free overlaps is exact even while the pool is in use; for tests.
 * debugfs uses buddy_pool_check_bounded().
 * A try that finds a violation while a block is in flight between a
 * client and a cache or the core (which the checker cannot tell from a
 * lost block) is repeated; a pool that is broken fails every try that no
 * flight overlaps.
 *
 * Context: Process context; may sleep: it allocates one bit per min
 * block before it takes the pool spinlock, for O(blocks) time, up to 8
 * times while blocks in flight make the pool look inconsistent.
 * Return: 0 if the pool is consistent, -EUCLEAN if not, -EBUSY ("busy:"
 * in @buf) if every try saw a violation with a block in flight, -ENOMEM
 * if the bitmap could not be allocated.
 */
int buddy_pool_check(struct buddy_pool *pool, char *buf, size_t len)
{
	struct pool_checker ck;

	might_sleep();
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
 * changing, -ENOMEM if the bitmap could not be allocated.
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
 * Context: Any context but NMI; takes the pool spinlock for O(CPUs) time.
 */
void buddy_pool_snapshot(struct buddy_pool *pool, struct buddy_stats *st,
			 u64 *corruptions)
{
	const struct buddy_core *bc = &pool->core;
	unsigned long flags, landed;
	unsigned int cpu, i;

	memset(st, 0, sizeof(*st));
	raw_spin_lock_irqsave(&pool->lock, flags);
	landed = pcp_landed(pool);
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

		/* Owners bump these with this_cpu_inc(), without the lock. */
		st->nr_allocs += READ_ONCE(pcp->nr_allocs);
		st->nr_frees += READ_ONCE(pcp->nr_frees);
		st->nr_zeroings += READ_ONCE(pcp->nr_zeroings);
		st->nr_cache_hits += READ_ONCE(pcp->nr_allocs);
		st->nr_cache_refills += READ_ONCE(pcp->nr_refills);
		for (i = 0; i < BUDDY_PCP_ORDERS; i++) {
			unsigned int j, depth = pcp_depth(pcp, i);

			st->cached_blocks[i] += depth;
			/* Pairs with the cmpxchg() in pcp_push(). */
			smp_rmb();
			for (j = 0; j < depth; j++)
				if (READ_ONCE(pcp->slot[i][j]) & PCP_ZERO)
					st->zeroed += BIT_ULL(pool->min_shift + i);
		}
	}
	if (corruptions)
		*corruptions = bc->nr_corruptions;
	st->in_flight = pcp_begun(pool) - landed;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	for (i = 0; i < BUDDY_PCP_ORDERS; i++)
		st->cached += st->cached_blocks[i] << (pool->min_shift + i);
	st->free += st->cached;
	/* A refill serves its caller too: not a hit. */
	st->nr_cache_hits -= min(st->nr_cache_hits, st->nr_cache_refills);
}

/**
 * buddy_pool_stats() - take a snapshot of a pool's state
 * @pool: the pool
 * @st: filled in
 *
 * The core's figures are read under the pool lock; the caches' depths and
 * counters are read one word at a time beside it, while allocations and
 * frees go on. @st->in_flight counts the cached-path calls that were under
 * way at some moment of the snapshot, each of which may have had a block
 * between a client and a cache or the core; the snapshot may be off by
 * that many blocks, and when it is 0 it is exact.
 *
 * Context: Any context but NMI, hard IRQ included; takes the pool spinlock for
 * O(CPUs) time.
 */
void buddy_pool_stats(struct buddy_pool *pool, struct buddy_stats *st)
{
	buddy_pool_snapshot(pool, st, NULL);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_stats, BUDDY_NS);

