// SPDX-License-Identifier: GPL-2.0
/*
 * A soak test of buddy.ko: every exported call, for `seconds` seconds,
 * from several kthreads and from hard IRQ, on several pools at once.
 *
 * Pools: the default pool, "soak_grow" (grows and shrinks), "soak_small"
 * (64-byte min blocks), and two churn slots whose pools the manager
 * destroys and re-creates again and again under names drawn from a set of
 * three, so that names collide: a create of a live name must fail with
 * -EEXIST, and a create right after a destroy must work.
 *
 * Each worker kthread (one per possible CPU by default) allocates with
 * buddy_alloc(), buddy_alloc_range() and buddy_alloc_exact(), fills every
 * block with a pattern made from its address, size and a seed, checks the
 * block's size, offset and address, and checks the pattern when it frees
 * it. A churn pool is used in short episodes under a reference that the
 * manager waits out before it destroys the pool. Each worker also arms an
 * hrtimer in HRTIMER_MODE_REL_HARD mode (hard IRQ on PREEMPT_RT too)
 * whose callback does the same with small blocks. Every allocation may
 * fail (fault injection may be on): all pass __GFP_NOWARN and a NULL is
 * only counted.
 *
 * The soak runs in a kthread started by init, which returns 0 at once
 * (busybox insmod would run a failing init twice). When it is over, the
 * soak frees everything, checks every pool it made (all bytes free after
 * a drain, allocs == frees, buddy_pool_check() == 0 where the kernel
 * exports it, shrunk back to its created size), prints the count of each
 * kind of operation and one line "buddy_soak: result ok ..." or
 * "buddy_soak: result fail ...". /sys/kernel/debug/buddy_soak/result
 * reads "running" until then and that summary after. rmmod during the
 * soak stops it early.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>

#include <buddy.h>

#include "../../buddy_compat.h"
#include "../../buddy_internal.h"

static unsigned int seconds = 60;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "How long to run (default 60)");

static u64 seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "Random seed; 0 picks one (default), logged either way");

static unsigned int threads;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Worker kthreads, each with a hard IRQ timer (default: one per possible CPU)");

#define CHUNK		SZ_4M	/* buddy.ko's chunk on x86-64 */
#define NR_SLOTS	32	/* blocks a worker holds */
#define NR_IRQ_SLOTS	8	/* blocks a worker's timer holds */
#define IRQ_MAX		SZ_16K	/* largest block the timer asks for */
#define EPISODE_MAX	6	/* blocks per churn pool episode */
#define TIMER_NS	(1000 * 1000)

/* Every kind of operation, counted. */
enum {
	OP_ALLOC, OP_ALLOC_ZERO, OP_ALLOC_RANGE, OP_ALLOC_EXACT, OP_ALLOC_FAIL,
	OP_FREE, OP_FREE_EXACT, OP_BLOCK_SIZE, OP_OFFSET, OP_ADDR, OP_STATS,
	OP_DRAIN, OP_SET_CACHE, OP_CHECK, OP_CHECK_BUSY, OP_DEFAULT_POOL,
	OP_CREATE,
	OP_CREATE_MAX, OP_CREATE_EEXIST, OP_CREATE_EINVAL, OP_CREATE_NOMEM,
	OP_DESTROY, OP_GROW, OP_GROW_FULL, OP_SHRINK, OP_EPISODE, OP_IRQ,
	OP_IRQ_ALLOC, OP_CACHE_AUTO, NR_OPS
};

static const char * const op_names[NR_OPS] = {
	"alloc", "alloc_zero", "alloc_range", "alloc_exact", "alloc_null",
	"free", "free_exact", "block_size", "pool_offset", "pool_addr", "stats",
	"drain", "set_cache", "check", "check_busy", "default_pool", "create",
	"create_max", "create_eexist", "create_einval", "create_enomem",
	"destroy", "grow", "grow_refused", "shrink", "churn_episodes",
	"irq_callbacks", "irq_allocs", "cache_auto",
};

static atomic64_t ops[NR_OPS];
static atomic64_t bytes_checked;
static atomic_t errors;

enum { P_DEFAULT, P_GROW, P_SMALL, P_CHURN0, P_CHURN1, NR_POOLS };
#define NR_CHURN	(NR_POOLS - P_CHURN0)

/*
 * One pool the soak uses. @users is 0 while the slot has no usable pool,
 * else 1 plus the episodes using it: only the manager creates and
 * destroys, and it destroys only after taking @users from 1 to 0.
 */
struct soak_pool {
	struct buddy_pool *pool;
	char name[BUDDY_NAME_MAX + 1];
	atomic_t users;
	u8 closing;	/* not bool: see @busy in buddy_internal.h */
	bool churn;
	size_t size, max_size;
	u32 min_block, max_order;
	atomic64_t allocs, frees;	/* successful calls by the soak */
};

static struct soak_pool pools[NR_POOLS];

/* A block the soak holds. */
struct soak_block {
	struct soak_pool *sp;
	void *p;
	size_t size;		/* asked for */
	size_t len;		/* block (or exact allocation) length */
	u64 seed;
	bool exact;
};

struct soak_worker {
	struct task_struct *task;
	struct rnd_state rnd;
	struct soak_block slot[NR_SLOTS];
	struct hrtimer timer;
	struct rnd_state irq_rnd;
	struct soak_block irq_slot[NR_IRQ_SLOTS];
	unsigned int id;
};

static struct soak_worker *workers;
static unsigned int nr_workers;
static DECLARE_COMPLETION(soak_done);
static DECLARE_WAIT_QUEUE_HEAD(soak_wait);
static u8 soak_abort;	/* not bool: see @busy in buddy_internal.h */
static DEFINE_MUTEX(result_lock);
static char *result;		/* NULL while running */
static bool result_allocated;
static struct dentry *soak_dir;

static void count(unsigned int op)
{
	atomic64_inc(&ops[op]);
}

#define soak_err(fmt, ...)						\
	do {								\
		if (atomic_inc_return(&errors) <= 20)			\
			pr_err("error: " fmt "\n", ##__VA_ARGS__);	\
	} while (0)

static u32 rnd_below(struct rnd_state *rnd, u32 n)
{
	return n ? prandom_u32_state(rnd) % n : 0;
}

/* The pattern of a block: a word sequence keyed by address, size, seed. */
static u64 pattern_base(const void *p, size_t len, u64 s)
{
	return ((u64)(uintptr_t)p * 0x9e3779b97f4a7c15ULL) ^
	       ((u64)len << 17) ^ s;
}

static void fill(const struct soak_block *b)
{
	u64 v = pattern_base(b->p, b->len, b->seed), *w = b->p;
	size_t i;

	for (i = 0; i < b->len / 8; i++)
		w[i] = v + i * 0xc2b2ae3d27d4eb4fULL;
}

static bool intact(const struct soak_block *b)
{
	u64 v = pattern_base(b->p, b->len, b->seed), *w = b->p;
	size_t i;

	for (i = 0; i < b->len / 8; i++) {
		if (w[i] != v + i * 0xc2b2ae3d27d4eb4fULL) {
			soak_err("pattern mismatch in pool %s: block at offset %llu (%zu bytes) word %zu",
				 b->sp->name,
				 buddy_pool_offset(b->sp->pool, b->p), b->len,
				 i);
			return false;
		}
	}
	atomic64_add(b->len, &bytes_checked);
	return true;
}

/* A churn pool for one episode, or NULL; soak_put() ends the episode. */
static bool soak_get(struct soak_pool *sp)
{
	return !READ_ONCE(sp->closing) && atomic_inc_not_zero(&sp->users);
}

static void soak_put(struct soak_pool *sp)
{
	atomic_dec(&sp->users);
}

/* A size up to @max: mostly small, now and then large. */
static size_t pick_size(struct rnd_state *rnd, size_t max)
{
	u32 r = rnd_below(rnd, 1000);
	size_t top = r < 750 ? SZ_4K : r < 950 ? SZ_64K : r < 995 ? SZ_1M :
		     CHUNK;

	return 1 + rnd_below(rnd, min(top, max));
}

/* Check a new block's size and place, then fill it. */
static void take(struct soak_block *b, bool zeroed, u64 align, u64 start,
		 u64 end)
{
	struct soak_pool *sp = b->sp;
	struct buddy_pool *pool = sp->pool;
	size_t len = buddy_block_size(pool, b->p);
	u64 off = buddy_pool_offset(pool, b->p);

	count(OP_BLOCK_SIZE);
	count(OP_OFFSET);
	if (b->exact)
		b->len = round_up(b->size, sp->min_block);
	else
		b->len = roundup_pow_of_two(max_t(size_t, b->size,
						  sp->min_block));
	if (len != b->len)
		soak_err("pool %s: block of %zu bytes has size %zu, expected %zu",
			 sp->name, b->size, len, b->len);
	if (off >= sp->max_size ||
	    off & (roundup_pow_of_two(b->len) - 1) ||
	    (align && off & (align - 1)) || off < start ||
	    (end && off + b->len > end))
		soak_err("pool %s: block of %zu bytes at bad offset %llu (align %llu range %llu-%llu)",
			 sp->name, b->size, off, align, start, end);
	else if (buddy_pool_addr(pool, off) != b->p)
		soak_err("pool %s: offset %llu does not map back", sp->name,
			 off);
	count(OP_ADDR);
	if (zeroed && memchr_inv(b->p, 0, b->len))
		soak_err("pool %s: __GFP_ZERO block of %zu bytes not zeroed",
			 sp->name, b->len);
	fill(b);
	atomic64_inc(&sp->allocs);
}

/* Allocate a block of any kind into @b (b->sp set); false on NULL. */
static bool get_block(struct soak_block *b, struct rnd_state *rnd,
		      size_t max, gfp_t gfp)
{
	struct soak_pool *sp = b->sp;
	struct buddy_pool *pool = sp->pool;
	u64 align = 0, start = 0, end = 0;
	u32 kind = rnd_below(rnd, 10);
	bool zeroed = false;
	unsigned int flags;

	gfp |= __GFP_NOWARN;
	b->size = pick_size(rnd, max);
	b->seed = ((u64)prandom_u32_state(rnd) << 32) | prandom_u32_state(rnd);
	b->exact = false;
	if (kind < 5) {
		b->p = buddy_alloc(pool, b->size, gfp);
		count(OP_ALLOC);
	} else if (kind < 7) {
		b->p = buddy_alloc(pool, b->size, gfp | __GFP_ZERO);
		zeroed = true;
		count(OP_ALLOC_ZERO);
	} else if (kind < 8) {
		/* Only good arguments: a bad one WARNs. */
		if (rnd_below(rnd, 2))
			align = 1ULL << rnd_below(rnd, ilog2(CHUNK) + 1);
		start = rnd_below(rnd, sp->max_size / sp->min_block) *
			(u64)sp->min_block;
		if (rnd_below(rnd, 2))
			end = start + 1 + rnd_below(rnd, sp->max_size - start);
		flags = rnd_below(rnd, 2) ? BUDDY_TOPDOWN : 0;
		b->p = buddy_alloc_range(pool, b->size, align, start, end,
					 flags, gfp);
		count(OP_ALLOC_RANGE);
	} else {
		b->p = buddy_alloc_exact(pool, b->size, gfp);
		b->exact = true;
		count(OP_ALLOC_EXACT);
	}
	if (!b->p) {
		count(OP_ALLOC_FAIL);
		return false;
	}
	take(b, zeroed, align, start, end ? min_t(u64, end, sp->max_size) : 0);
	return true;
}

static void put_block(struct soak_block *b)
{
	struct buddy_pool *pool = b->sp->pool;
	size_t len = buddy_block_size(pool, b->p);

	count(OP_BLOCK_SIZE);
	if (len != b->len)
		soak_err("pool %s: block of %zu bytes changed size to %zu",
			 b->sp->name, b->len, len);
	intact(b);
	if (b->exact) {
		buddy_free_exact(pool, b->p, b->size);
		count(OP_FREE_EXACT);
	} else {
		buddy_free(pool, b->p);
		count(OP_FREE);
	}
	atomic64_inc(&b->sp->frees);
	b->p = NULL;
}

/* Probe lookups that must fail: another pool, the middle of a block. */
static void probe(struct soak_block *b)
{
	struct soak_pool *other = &pools[b->sp == &pools[P_SMALL] ?
					 P_GROW : P_SMALL];

	if (buddy_pool_offset(other->pool, b->p) != U64_MAX)
		soak_err("pool %s maps a block of pool %s", other->name,
			 b->sp->name);
	count(OP_OFFSET);
	if (buddy_pool_addr(b->sp->pool, b->sp->max_size))
		soak_err("pool %s maps offset %zu", b->sp->name,
			 b->sp->max_size);
	count(OP_ADDR);
	if (!b->exact && b->len >= 2 * b->sp->min_block &&
	    buddy_block_size(b->sp->pool, b->p + b->sp->min_block))
		soak_err("pool %s: a block's interior has a size",
			 b->sp->name);
	count(OP_BLOCK_SIZE);
}

/* Counters and sizes that must hold at any time. */
static void stats_sane(struct soak_pool *sp)
{
	struct buddy_stats st;

	buddy_pool_stats(sp->pool, &st);
	count(OP_STATS);
	if (st.free > st.size || st.size > st.max_size ||
	    st.cached > st.free || st.max_size != sp->max_size ||
	    st.min_block != sp->min_block || st.nr_bad_frees)
		soak_err("pool %s: stats size %llu free %llu cached %llu max %llu min_block %u bad_frees %llu",
			 sp->name, st.size, st.free, st.cached, st.max_size,
			 st.min_block, st.nr_bad_frees);
}

/* Retune one cached order, and make one call that must be refused. */
static void tune(struct soak_pool *sp, struct rnd_state *rnd)
{
	u32 order = rnd_below(rnd, min_t(u32, sp->max_order,
					 BUDDY_PCP_ORDERS - 1) + 1);
	u32 high = rnd_below(rnd, BUDDY_PCP_HIGH_MAX + 1);
	u32 batch = 1 + rnd_below(rnd, high);
	int ret;

	ret = buddy_pool_set_cache(sp->pool, order, high, batch);
	if (ret)
		soak_err("pool %s: set_cache(%u, %u, %u) = %d", sp->name,
			 order, high, batch, ret);
	ret = buddy_pool_set_cache(sp->pool, BUDDY_PCP_ORDERS, 4, 2);
	if (ret != -EINVAL)
		soak_err("pool %s: set_cache of a bad order = %d", sp->name,
			 ret);
	count(OP_SET_CACHE);
	count(OP_SET_CACHE);
	/* Now and then every order sizes itself again. */
	if (!rnd_below(rnd, 4)) {
		ret = buddy_pool_cache_auto(sp->pool);
		if (ret)
			soak_err("pool %s: cache_auto = %d", sp->name, ret);
		count(OP_CACHE_AUTO);
	}
}

/* Allocate a few blocks from a churn pool, use them, give them back. */
static void episode(struct soak_pool *sp, struct rnd_state *rnd, size_t max,
		    gfp_t gfp)
{
	struct soak_block b[EPISODE_MAX];
	unsigned int i, n = 1 + rnd_below(rnd, EPISODE_MAX);

	if (!soak_get(sp))
		return;
	count(OP_EPISODE);
	for (i = 0; i < n; i++) {
		b[i].sp = sp;
		if (!get_block(&b[i], rnd, max, gfp))
			b[i].p = NULL;
	}
	switch (rnd_below(rnd, 8)) {
	case 0:
		stats_sane(sp);
		break;
	case 1:
		buddy_pool_drain(sp->pool);
		count(OP_DRAIN);
		break;
	case 2:
		tune(sp, rnd);
		break;
	}
	for (i = 0; i < n; i++) {
		if (b[i].p && !rnd_below(rnd, 4))
			probe(&b[i]);
		if (b[i].p)
			put_block(&b[i]);
	}
	soak_put(sp);
}

/* One step of a worker, or of a timer when @irq. */
static void step(struct soak_block *slot, unsigned int nr,
		 struct rnd_state *rnd, bool irq)
{
	size_t max = irq ? IRQ_MAX : CHUNK;
	gfp_t gfp = irq ? GFP_ATOMIC : GFP_KERNEL;
	u32 r = rnd_below(rnd, 100);
	struct soak_block *b = &slot[rnd_below(rnd, nr)];
	struct soak_pool *sp = &pools[rnd_below(rnd, P_SMALL + 1)];

	if (r < 70) {
		if (b->p) {
			put_block(b);
		} else {
			b->sp = sp;
			if (get_block(b, rnd, max, gfp) && irq)
				count(OP_IRQ_ALLOC);
		}
	} else if (r < 85) {
		episode(&pools[P_CHURN0 + rnd_below(rnd, NR_CHURN)], rnd, max,
			gfp);
	} else if (r < 90) {
		if (b->p)
			probe(b);
	} else if (r < 95) {
		stats_sane(sp);
	} else if (r < 97) {
		buddy_pool_drain(sp->pool);
		count(OP_DRAIN);
	} else if (r < 99) {
		tune(sp, rnd);
	} else {
		if (buddy_default_pool() != pools[P_DEFAULT].pool)
			soak_err("buddy_default_pool() changed");
		count(OP_DEFAULT_POOL);
	}
}

static enum hrtimer_restart soak_timer(struct hrtimer *t)
{
	struct soak_worker *w = container_of(t, struct soak_worker, timer);

	count(OP_IRQ);
	step(w->irq_slot, NR_IRQ_SLOTS, &w->irq_rnd, true);
	hrtimer_forward_now(t, ns_to_ktime(TIMER_NS));
	return HRTIMER_RESTART;
}

static int soak_worker_fn(void *data)
{
	struct soak_worker *w = data;
	unsigned int i;

	hrtimer_start(&w->timer, ns_to_ktime(TIMER_NS), HRTIMER_MODE_REL_HARD);
	while (!kthread_should_stop()) {
		step(w->slot, NR_SLOTS, &w->rnd, false);
		cond_resched();
	}
	hrtimer_cancel(&w->timer);
	for (i = 0; i < NR_SLOTS; i++)
		if (w->slot[i].p)
			put_block(&w->slot[i]);
	for (i = 0; i < NR_IRQ_SLOTS; i++)
		if (w->irq_slot[i].p)
			put_block(&w->irq_slot[i]);
	return 0;
}

/* Fill in a slot's figures from its new pool and make it usable. */
static void publish(struct soak_pool *sp, struct buddy_pool *pool)
{
	struct buddy_stats st;

	buddy_pool_stats(pool, &st);
	count(OP_STATS);
	sp->pool = pool;
	sp->size = st.size;
	sp->max_size = st.max_size;
	sp->min_block = st.min_block;
	sp->max_order = st.max_order;
	atomic64_set(&sp->allocs, 0);
	atomic64_set(&sp->frees, 0);
	WRITE_ONCE(sp->closing, 0);
	atomic_set_release(&sp->users, 1);
}

/*
 * buddy_pool_check(), where the kernel exports it (CONFIG_KUNIT). Every
 * violation it reports is one: with allocations running, what it cannot
 * tell from a lost block (one in flight) makes it answer busy, which is
 * counted, not an error.
 */
static void check_pool(struct soak_pool *sp)
{
#if IS_ENABLED(CONFIG_KUNIT)
	char msg[160];
	int ret;

	count(OP_CHECK);
	ret = buddy_pool_check(sp->pool, msg, sizeof(msg));
	if (ret == -EBUSY)
		count(OP_CHECK_BUSY);
	else if (ret)
		soak_err("pool %s: buddy_pool_check: %s", sp->name, msg);
#endif
}

/*
 * A pool no one else uses and that holds nothing of the soak's: after a
 * drain every byte is free, its counters match the soak's, it passes the
 * checker and shrinks back to the size it was created with.
 */
static void verify_idle(struct soak_pool *sp)
{
	u64 allocs = atomic64_read(&sp->allocs);
	u64 frees = atomic64_read(&sp->frees);
	struct buddy_stats st;

	buddy_pool_shrink(sp->pool, SIZE_MAX);
	count(OP_SHRINK);
	buddy_pool_drain(sp->pool);
	count(OP_DRAIN);
	buddy_pool_stats(sp->pool, &st);
	count(OP_STATS);
	if (st.free != st.size || st.cached || st.size != sp->size ||
	    st.nr_allocs != allocs || st.nr_frees != frees ||
	    allocs != frees || st.nr_bad_frees || st.in_flight)
		soak_err("pool %s at rest: size %llu (created %zu) free %llu cached %llu allocs %llu frees %llu (soak: %llu, %llu) bad_frees %llu in_flight %llu",
			 sp->name, st.size, sp->size, st.free, st.cached,
			 st.nr_allocs, st.nr_frees, allocs, frees,
			 st.nr_bad_frees, st.in_flight);
	check_pool(sp);
}

/* Wait out the episodes on a churn slot and take its pool away. */
static void close_slot(struct soak_pool *sp)
{
	WRITE_ONCE(sp->closing, 1);
	while (atomic_cmpxchg(&sp->users, 1, 0) != 1)
		usleep_range(50, 100);
}

/*
 * A create of a live name must fail with -EEXIST; -ENOMEM is allowed too,
 * as fault injection may fail the create before it looks at the name.
 */
static void refused(struct buddy_pool *pool, const char *name)
{
	if (PTR_ERR(pool) == -ENOMEM) {
		count(OP_CREATE_NOMEM);
		return;
	}
	if (PTR_ERR(pool) != -EEXIST)
		soak_err("create of live pool %s: %ld", name, PTR_ERR(pool));
	count(OP_CREATE_EEXIST);
	if (!IS_ERR(pool))
		buddy_pool_destroy(pool);
}

static const char * const churn_names[] = { "soak_a", "soak_b", "soak_c" };

/* A new pool for churn slot @sp, checking that names collide cleanly. */
static void reopen_slot(struct soak_pool *sp, struct rnd_state *rnd)
{
	struct buddy_pool *pool, *dup;
	unsigned int i, first = rnd_below(rnd, ARRAY_SIZE(churn_names));
	bool grows = rnd_below(rnd, 2);
	size_t min = 64UL << rnd_below(rnd, 9);

	/* A bad name, and a name that is always live. */
	pool = buddy_pool_create("bad name", SZ_1M, SZ_4K);
	if (PTR_ERR(pool) != -EINVAL)
		soak_err("create with a bad name: %ld", PTR_ERR(pool));
	count(OP_CREATE_EINVAL);
	if (!IS_ERR(pool))
		buddy_pool_destroy(pool);
	pool = buddy_pool_create("soak_grow", SZ_1M, SZ_4K);
	refused(pool, "soak_grow");

	for (i = 0; i < ARRAY_SIZE(churn_names); i++) {
		const char *name = churn_names[(first + i) %
					       ARRAY_SIZE(churn_names)];

		if (grows) {
			pool = buddy_pool_create_max(name, CHUNK, 3 * CHUNK,
						     min);
			count(OP_CREATE_MAX);
		} else {
			pool = buddy_pool_create(name, SZ_2M + SZ_512K, min);
			count(OP_CREATE);
		}
		if (!IS_ERR(pool)) {
			strscpy(sp->name, name, sizeof(sp->name));
			break;
		}
		if (PTR_ERR(pool) == -ENOMEM) {
			count(OP_CREATE_NOMEM);
			return;
		}
		if (PTR_ERR(pool) == -EEXIST)
			count(OP_CREATE_EEXIST);
		else
			soak_err("create %s: %ld", name, PTR_ERR(pool));
	}
	if (IS_ERR(pool)) {
		soak_err("no free name for a churn pool");
		return;
	}
	dup = buddy_pool_create(sp->name, SZ_1M, SZ_4K);
	refused(dup, sp->name);
	publish(sp, pool);
}

static void churn(struct soak_pool *sp, struct rnd_state *rnd)
{
	if (atomic_read(&sp->users)) {
		close_slot(sp);
		verify_idle(sp);
		buddy_pool_destroy(sp->pool);
		count(OP_DESTROY);
		sp->pool = NULL;
	}
	reopen_slot(sp, rnd);
}

/* Grow or shrink a pool that may grow, while the workers use it. */
static void resize(struct soak_pool *sp, struct rnd_state *rnd)
{
	size_t bytes = CHUNK << rnd_below(rnd, 2);
	int ret;

	if (sp->max_size == sp->size || !soak_get(sp))
		return;
	if (rnd_below(rnd, 2)) {
		ret = buddy_pool_grow(sp->pool, bytes);
		if (ret == -ENOSPC || ret == -ENOMEM)
			count(OP_GROW_FULL);
		else if (ret)
			soak_err("pool %s: grow %zu = %d", sp->name, bytes,
				 ret);
		count(OP_GROW);
	} else {
		buddy_pool_shrink(sp->pool, bytes);
		count(OP_SHRINK);
	}
	stats_sane(sp);
	soak_put(sp);
}

static struct buddy_pool *make_pool(const char *name, size_t size,
				    size_t max_size, size_t min)
{
	struct buddy_pool *pool;
	unsigned int tries;

	for (tries = 0; tries < 100; tries++) {
		pool = buddy_pool_create_max(name, size, max_size, min);
		count(OP_CREATE_MAX);
		if (PTR_ERR(pool) != -ENOMEM)
			break;
		count(OP_CREATE_NOMEM);
		msleep(20);
	}
	if (IS_ERR(pool))
		soak_err("cannot create %s: %ld", name, PTR_ERR(pool));
	return pool;
}

static int start_workers(u64 s)
{
	unsigned int i;

	workers = kcalloc(nr_workers, sizeof(*workers), GFP_KERNEL);
	if (!workers)
		return -ENOMEM;
	for (i = 0; i < nr_workers; i++) {
		struct soak_worker *w = &workers[i];

		w->id = i;
		prandom_seed_state(&w->rnd, s + 2 * i + 1);
		prandom_seed_state(&w->irq_rnd, s + 2 * i + 2);
		hrtimer_init(&w->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		w->timer.function = soak_timer;
		w->task = kthread_run(soak_worker_fn, w, "buddy_soak/%u", i);
		if (IS_ERR(w->task)) {
			soak_err("cannot start worker %u: %ld", i,
				 PTR_ERR(w->task));
			w->task = NULL;
		}
	}
	return 0;
}

static void stop_workers(void)
{
	unsigned int i;

	for (i = 0; i < nr_workers; i++)
		if (workers[i].task)
			kthread_stop(workers[i].task);
	kfree(workers);
	workers = NULL;
}

/* Format the operation counts, "kind=N ..." */
static void print_ops(char *buf, size_t len, u64 *total)
{
	size_t pos = 0;
	unsigned int i;

	*total = 0;
	for (i = 0; i < NR_OPS; i++) {
		u64 n = atomic64_read(&ops[i]);

		if (i != OP_IRQ && i != OP_IRQ_ALLOC && i != OP_EPISODE)
			*total += n;
		pos += scnprintf(buf + pos, len - pos, "%s%s=%llu",
				 i ? " " : "", op_names[i], n);
	}
}

static int soak_fn(void *data)
{
	/* Not jiffies: under TCG ticks get lost and jiffies fall behind. */
	ktime_t start = ktime_get(), end = ktime_add_ms(start, seconds * 1000ULL);
	unsigned long ms;
	struct rnd_state rnd;
	unsigned int i, n = 0;
	char *buf, *opsbuf;
	u64 s = seed, total;
	int errs;

	if (!s)
		s = get_random_u64() ?: 1;
	pr_info("start: seconds=%u seed=%llu threads=%u\n", seconds, s,
		nr_workers);
	prandom_seed_state(&rnd, s);

	pools[P_DEFAULT].pool = buddy_default_pool();
	count(OP_DEFAULT_POOL);
	strscpy(pools[P_DEFAULT].name, "default", BUDDY_NAME_MAX);
	strscpy(pools[P_GROW].name, "soak_grow", BUDDY_NAME_MAX);
	strscpy(pools[P_SMALL].name, "soak_small", BUDDY_NAME_MAX);
	pools[P_GROW].pool = make_pool("soak_grow", 2 * CHUNK, 6 * CHUNK,
				       SZ_4K);
	pools[P_SMALL].pool = make_pool("soak_small", SZ_1M, SZ_1M, 64);
	if (!pools[P_DEFAULT].pool || IS_ERR(pools[P_GROW].pool) ||
	    IS_ERR(pools[P_SMALL].pool))
		goto out_pools;
	for (i = P_DEFAULT; i <= P_SMALL; i++)
		publish(&pools[i], pools[i].pool);
	for (i = P_CHURN0; i < NR_POOLS; i++) {
		pools[i].churn = true;
		reopen_slot(&pools[i], &rnd);
	}
	if (start_workers(s))
		goto out_churn;

	/* The manager: churn, resize and check until the time is up. */
	while (ktime_before(ktime_get(), end) && !READ_ONCE(soak_abort)) {
		churn(&pools[P_CHURN0 + n % NR_CHURN], &rnd);
		resize(&pools[rnd_below(&rnd, 2) ? P_DEFAULT : P_GROW], &rnd);
		resize(&pools[P_CHURN0 + rnd_below(&rnd, NR_CHURN)], &rnd);
		if (n % 8 == 0)
			for (i = P_DEFAULT; i <= P_SMALL; i++)
				check_pool(&pools[i]);
		n++;
		wait_event_timeout(soak_wait, READ_ONCE(soak_abort),
				   msecs_to_jiffies(100));
	}
	stop_workers();

out_churn:
	for (i = P_CHURN0; i < NR_POOLS; i++) {
		if (!atomic_read(&pools[i].users))
			continue;
		close_slot(&pools[i]);
		verify_idle(&pools[i]);
		buddy_pool_destroy(pools[i].pool);
		count(OP_DESTROY);
	}
	for (i = P_GROW; i <= P_SMALL; i++) {
		verify_idle(&pools[i]);
		buddy_pool_destroy(pools[i].pool);
		count(OP_DESTROY);
		pools[i].pool = NULL;
	}
	/* Others (ctl) may use the default pool: only the soak's share. */
	buddy_pool_drain(pools[P_DEFAULT].pool);
	count(OP_DRAIN);
	check_pool(&pools[P_DEFAULT]);
	if (atomic64_read(&pools[P_DEFAULT].allocs) !=
	    atomic64_read(&pools[P_DEFAULT].frees))
		soak_err("default pool: the soak allocated %lld blocks and freed %lld",
			 atomic64_read(&pools[P_DEFAULT].allocs),
			 atomic64_read(&pools[P_DEFAULT].frees));
out_pools:
	for (i = P_GROW; i <= P_SMALL; i++)
		if (!IS_ERR_OR_NULL(pools[i].pool))
			buddy_pool_destroy(pools[i].pool);

	buf = kmalloc(2048, GFP_KERNEL);
	opsbuf = kmalloc(1024, GFP_KERNEL);
	if (buf && opsbuf) {
		print_ops(opsbuf, 1024, &total);
		ms = max_t(unsigned long,
			   ktime_ms_delta(ktime_get(), start), 1);
		errs = atomic_read(&errors);
		pr_info("ops: %s\n", opsbuf);
		scnprintf(buf, 2048,
			  "%s seconds=%u seed=%llu threads=%u errors=%d ops=%llu ops_per_sec=%llu bytes_checked=%lld elapsed_ms=%lu%s\nops: %s\n",
			  errs || READ_ONCE(soak_abort) ? "fail" : "ok",
			  seconds, s, nr_workers, errs, total,
			  div64_u64(total * 1000, ms),
			  atomic64_read(&bytes_checked), ms,
			  READ_ONCE(soak_abort) ? " (stopped early)" : "",
			  opsbuf);
		pr_info("result %.*s\n", (int)(strchr(buf, '\n') - buf), buf);
		kfree(opsbuf);
	} else {
		kfree(opsbuf);
		kfree(buf);
		buf = NULL;
	}
	mutex_lock(&result_lock);
	result = buf ?: "fail: out of memory for the summary\n";
	result_allocated = buf;
	mutex_unlock(&result_lock);
	kthread_complete_and_exit(&soak_done, 0);
}

static int result_show(struct seq_file *m, void *v)
{
	mutex_lock(&result_lock);
	seq_puts(m, result ?: "running\n");
	mutex_unlock(&result_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(result);

static int __init soak_init(void)
{
	struct task_struct *t;

	nr_workers = threads ?: num_possible_cpus();
	soak_dir = debugfs_create_dir("buddy_soak", NULL);
	debugfs_create_file("result", 0400, soak_dir, NULL, &result_fops);
	t = kthread_run(soak_fn, NULL, "buddy_soak");
	if (IS_ERR(t)) {
		/* Not an error: busybox insmod would run init again. */
		pr_err("cannot start the soak: %ld\n", PTR_ERR(t));
		result = "fail: no soak thread\n";
		complete(&soak_done);
	}
	return 0;
}

static void __exit soak_exit(void)
{
	WRITE_ONCE(soak_abort, 1);
	wake_up(&soak_wait);
	wait_for_completion(&soak_done);
	debugfs_remove(soak_dir);
	if (result_allocated)
		kfree(result);
}

module_init(soak_init);
module_exit(soak_exit);

MODULE_IMPORT_NS(BUDDY_NS);
#if IS_ENABLED(CONFIG_KUNIT)
MODULE_IMPORT_NS(BUDDY_KUNIT_NS);
#endif
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Soak test of buddy.ko: every call, many threads, hard IRQ, pools that come and go");
