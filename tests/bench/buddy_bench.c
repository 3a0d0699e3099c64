// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel benchmark: buddy_alloc()/buddy_free() against alloc_pages(),
 * gen_pool and drm_buddy on the same workloads, in one boot. Each
 * workload runs `rounds` times with the allocators interleaved, so drift
 * in the host (QEMU's TCG, other jobs) hits all of them alike, and the
 * median round is reported:
 *   buddy-bench: workload=NAME allocator=NAME ns_per_pair=X failed=N
 * For the multi-CPU workloads X is wall time divided by all threads'
 * pairs. The aligned and exact-size workloads compare
 * buddy_alloc_range() and buddy_alloc_exact() with what the others offer
 * for the same request; the first allocator of each is buddy's. One more
 * line gives the bytes buddy_alloc() and buddy_alloc_exact() hold for the
 * same live sizes:
 *   buddy-bench: waste buddy_alloc=X% buddy_alloc_exact=Y% live=N ...
 * and, for each of buddy's calls in a workload, how many of its
 * allocations (timed or not, all rounds) had to zero their block:
 *   buddy-bench: zeroings workload=NAME of=CALL allocs=N zeroings=M
 * scripts/bench-kernel.sh turns these lines into ratios.
 * Loading always succeeds; the numbers are the output.
 *
 * The dma_* workloads need QEMU's edu device (-device edu), which make
 * bench adds; without it they are skipped with a note. They compare
 * buddy_alloc_dma() from a pool for edu with dma_pool_zalloc() and
 * dma_alloc_coherent(), every side handing out zeroed memory that edu
 * can reach, with its device address.
 *
 * create_256m and destroy_256m time buddy_pool_create_full() and
 * buddy_pool_destroy() of a 256 MiB pool without per-CPU caches, one pool
 * per round and side, X being ns per pool: allocator=contig is one
 * physically contiguous range (BUDDY_POOL_CONTIG), allocator=chunked 64
 * chunks of 4 MiB; both zero the pool when it is made. make bench boots
 * with 2 GiB for them, as a pool may hold at most half of RAM and the
 * range must be free or made free. A side that cannot be made is not
 * tried again: its lines give 0 with failed=1, and a note says why.
 *
 * Under init_on_alloc, buddy and alloc_pages() zero what they hand out by
 * themselves; gen_pool and drm_buddy do not, so their wrappers zero it
 * for them (init_zero()), and all four do the same work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <buddy.h>

#if IS_ENABLED(CONFIG_GPU_BUDDY)
/* Debian's 6.12.y moved drm_buddy into vmlinux as gpu_buddy. */
#include <linux/gpu_buddy.h>
#define drm_buddy		gpu_buddy
#define drm_buddy_block		gpu_buddy_block
#define drm_buddy_init		gpu_buddy_init
#define drm_buddy_fini		gpu_buddy_fini
#define drm_buddy_alloc_blocks	gpu_buddy_alloc_blocks
#define drm_buddy_free_list	gpu_buddy_free_list
#define drm_buddy_block_trim	gpu_buddy_block_trim
#define drm_buddy_block_offset	gpu_buddy_block_offset
#define HAVE_DRM_BUDDY
#elif IS_ENABLED(CONFIG_DRM_BUDDY)
#include <drm/drm_buddy.h>
#define HAVE_DRM_BUDDY
#endif

/* Since 6.10 drm_buddy_free_list() takes flags, with the CLEARED one. */
#if defined(DRM_BUDDY_CLEARED) || defined(GPU_BUDDY_CLEARED)
#define db_free_list(mm, list)	drm_buddy_free_list(mm, list, 0)
#else
#define db_free_list(mm, list)	drm_buddy_free_list(mm, list)
#endif

/* Since 6.11 drm_buddy_block_trim() takes a start, with TRIM_DISABLE. */
#if defined(DRM_BUDDY_TRIM_DISABLE) || defined(GPU_BUDDY_TRIM_DISABLE)
#define db_trim(mm, size, list)	drm_buddy_block_trim(mm, NULL, size, list)
#else
#define db_trim(mm, size, list)	drm_buddy_block_trim(mm, size, list)
#endif

static unsigned int iters;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Alloc/free pairs per measurement and thread (default 20000, 2000 under init_on_alloc)");

#define MAX_ROUNDS	15
static unsigned int rounds = 7;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Rounds per workload, median reported (default 7, max 15)");

static unsigned int seed = 42;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "Seed of the random sequences, the same for every allocator");

#define POOL_BYTES	SZ_64M
/* gen_pool's memory: alloc_pages() gives at most 4 MiB on 6.1 and 6.12. */
#define CHUNK_BYTES	SZ_4M
#define CHUNK_ORDER	get_order(CHUNK_BYTES)
#define NR_CHUNKS	(POOL_BYTES / CHUNK_BYTES)
#define MIX_SLOTS	512
#define MIX_MAX_ORDER	4	/* 4 KiB to 64 KiB */
#define MT_THREADS	2
#define SIZED_SLOTS	64	/* most live blocks of a sized workload */
#define EXACT_MAX	SZ_1M	/* exact sizes: 4 KiB to 1 MiB */
#define WASTE_LIVE	48	/* about 25 MiB asked of the 64 MiB pool */
#define WASTE_FILLS	8

struct allocator {
	const char *name;
	void *(*alloc)(void *ctx, unsigned int order);
	void (*free)(void *ctx, void *p, unsigned int order);
	void *ctx;
};

/*
 * Zero the @len bytes at @p that an allocator ignoring init_on_alloc
 * hands out, when the kernel wants every allocation zeroed, as buddy and
 * alloc_pages() then do by themselves. Only init_on_alloc is mirrored:
 * under init_on_free, which the benchmark does not boot with, bench_init()
 * notes that the comparison is not like with like.
 */
static void *init_zero(void *p, size_t len)
{
	if (p && want_init_on_alloc(GFP_KERNEL))
		memset(p, 0, len);
	return p;
}

static void *buddy_a(void *ctx, unsigned int order)
{
	return buddy_alloc(ctx, PAGE_SIZE << order, GFP_KERNEL | __GFP_NOWARN);
}

static void buddy_f(void *ctx, void *p, unsigned int order)
{
	buddy_free(ctx, p);
}

static void *pages_a(void *ctx, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

	return page ? page_address(page) : NULL;
}

static void pages_f(void *ctx, void *p, unsigned int order)
{
	free_pages((unsigned long)p, order);
}

static void *gen_a(void *ctx, unsigned int order)
{
	return init_zero((void *)gen_pool_alloc(ctx, PAGE_SIZE << order),
			 PAGE_SIZE << order);
}

static void gen_f(void *ctx, void *p, unsigned int order)
{
	gen_pool_free(ctx, (unsigned long)p, PAGE_SIZE << order);
}

/*
 * drm_buddy hands out offsets and leaves locking to its users, who take
 * a mutex around every call (amdgpu_vram_mgr, i915_ttm_buddy_manager).
 * The handle we give back is the block itself.
 *
 * It manages no memory of its own, so under init_on_alloc nothing would
 * be zeroed. Its users clear VRAM with the GPU; here, for like with like,
 * the offsets map onto gen_pool's chunks (@mem, never used by both at
 * once) and the bytes handed out are zeroed there with the CPU, outside
 * the mutex as buddy zeroes outside its lock. A block is a power of two
 * of at most CHUNK_BYTES at a multiple of its size, or the head of one,
 * so it never crosses a chunk.
 */
struct db_ctx {
	struct mutex lock;	/* serializes every drm_buddy call */
	void *mem[NR_CHUNKS];	/* gen_pool's chunks, in offset order */
#ifdef HAVE_DRM_BUDDY
	struct drm_buddy mm;
#endif
};

#ifdef HAVE_DRM_BUDDY
static void *db_zero(struct db_ctx *d, void *handle, u64 off, size_t len)
{
	if (handle)
		init_zero(d->mem[off / CHUNK_BYTES] + off % CHUNK_BYTES, len);
	return handle;
}

static int db_setup_size(struct db_ctx *d, u64 size)
{
	mutex_init(&d->lock);
	return drm_buddy_init(&d->mm, size, PAGE_SIZE);
}

static int db_setup(struct db_ctx *d)
{
	return db_setup_size(d, POOL_BYTES);
}

static void db_teardown(struct db_ctx *d)
{
	drm_buddy_fini(&d->mm);
}

static void *db_a(void *ctx, unsigned int order)
{
	struct drm_buddy_block *block;
	struct db_ctx *d = ctx;
	u64 size = PAGE_SIZE << order;
	LIST_HEAD(blocks);
	int err;

	mutex_lock(&d->lock);
	err = drm_buddy_alloc_blocks(&d->mm, 0, d->mm.size, size, size,
				     &blocks, 0);
	mutex_unlock(&d->lock);
	if (err)
		return NULL;
	block = list_first_entry(&blocks, struct drm_buddy_block, link);
	return db_zero(d, block, drm_buddy_block_offset(block), size);
}

static void db_f(void *ctx, void *p, unsigned int order)
{
	struct drm_buddy_block *block = p;
	struct db_ctx *d = ctx;
	LIST_HEAD(blocks);

	list_add(&block->link, &blocks);
	mutex_lock(&d->lock);
	db_free_list(&d->mm, &blocks);
	mutex_unlock(&d->lock);
}
#else
static int db_setup_size(struct db_ctx *d, u64 size)
{
	return -EOPNOTSUPP;
}

static int db_setup(struct db_ctx *d)
{
	return -EOPNOTSUPP;
}

static void db_teardown(struct db_ctx *d)
{
}

static void *db_a(void *ctx, unsigned int order)
{
	return NULL;
}

static void db_f(void *ctx, void *p, unsigned int order)
{
}
#endif

/*
 * The aligned and exact-size workloads ask for @size bytes at a multiple
 * of @align (0: any). Each allocator below says what it hands out for
 * that; where it is more than @size, the name or the comment says so.
 */
enum backend { PAGES, BUDDY, GENPOOL, DRMBUDDY, NR_BACKENDS };

struct sized_allocator {
	const char *name;
	void *(*alloc)(void *ctx, size_t size, size_t align);
	void (*free)(void *ctx, void *p, size_t size, size_t align);
	enum backend on;
	u64 (*where)(void *p);	/* address or offset, to check alignment */
};

static u64 addr_of(void *p)
{
	return (unsigned long)p;
}

/* The ctx of each backend; NULL for drm_buddy when there is none. */
static void *backend_ctx[NR_BACKENDS];

/* A block of buddy_alloc()'s order for @size, at an @align multiple. */
static void *range_a(void *ctx, size_t size, size_t align)
{
	return buddy_alloc_range(ctx, size, align, 0, 0, 0,
				 GFP_KERNEL | __GFP_NOWARN);
}

/* The same, at the highest offset that fits rather than the lowest. */
static void *topdown_a(void *ctx, size_t size, size_t align)
{
	return buddy_alloc_range(ctx, size, align, 0, 0, BUDDY_TOPDOWN,
				 GFP_KERNEL | __GFP_NOWARN);
}

/* Rounded up: a block of max(@size, @align), aligned to its own size. */
static void *buddy_round_a(void *ctx, size_t size, size_t align)
{
	return buddy_alloc(ctx, max(size, align), GFP_KERNEL | __GFP_NOWARN);
}

static void buddy_sized_f(void *ctx, void *p, size_t size, size_t align)
{
	buddy_free(ctx, p);
}

/* round_up(@size, min_block) bytes, the rest of the block given back. */
static void *buddy_exact_a(void *ctx, size_t size, size_t align)
{
	return buddy_alloc_exact(ctx, size, GFP_KERNEL | __GFP_NOWARN);
}

static void buddy_exact_f(void *ctx, void *p, size_t size, size_t align)
{
	buddy_free_exact(ctx, p, size);
}

/* Rounded up: the order of max(@size, @align), naturally aligned. */
static void *pages_order_a(void *ctx, size_t size, size_t align)
{
	return pages_a(ctx, get_order(max(size, align)));
}

static void pages_order_f(void *ctx, void *p, size_t size, size_t align)
{
	free_pages((unsigned long)p, get_order(max(size, align)));
}

/* Whole pages: the power-of-two order, its tail pages freed at once. */
static void *pages_exact_a(void *ctx, size_t size, size_t align)
{
	return alloc_pages_exact(size, GFP_KERNEL | __GFP_NOWARN);
}

static void pages_exact_f(void *ctx, void *p, size_t size, size_t align)
{
	free_pages_exact(p, size);
}

/* Exactly @size (in pages, the pool's min_alloc_order), first fit. */
static void *gen_sized_a(void *ctx, size_t size, size_t align)
{
	struct genpool_data_align data = { .align = align };
	unsigned long p;

	if (!align)
		p = gen_pool_alloc(ctx, size);
	else
		p = gen_pool_alloc_algo(ctx, size, gen_pool_first_fit_align,
					&data);
	return init_zero((void *)p, size);
}

static void gen_sized_f(void *ctx, void *p, size_t size, size_t align)
{
	gen_pool_free(ctx, (unsigned long)p, size);
}

#ifdef HAVE_DRM_BUDDY
/*
 * A list of drm_buddy blocks travels as a ring without its head, the
 * first block being the handle, so that no allocation is added.
 */
static void *db_handle(struct list_head *blocks)
{
	struct list_head *first = blocks->next;

	list_del(blocks);
	return list_entry(first, struct drm_buddy_block, link);
}

static void db_sized_f(void *ctx, void *p, size_t size, size_t align)
{
	struct drm_buddy_block *block = p;
	struct db_ctx *d = ctx;
	LIST_HEAD(blocks);

	list_add_tail(&blocks, &block->link);
	mutex_lock(&d->lock);
	db_free_list(&d->mm, &blocks);
	mutex_unlock(&d->lock);
}

static u64 db_offset(void *p)
{
	return drm_buddy_block_offset((struct drm_buddy_block *)p);
}

/*
 * The bytes handed out, zeroed under init_on_alloc, are @size after a
 * trim (which keeps the block's start) and the whole block without.
 */
static void *db_alloc(struct db_ctx *d, size_t size, size_t align, bool trim)
{
	u64 block = max_t(u64, roundup_pow_of_two(size), align);
	struct drm_buddy_block *head;
	LIST_HEAD(blocks);
	u64 off = 0;
	int err;

	mutex_lock(&d->lock);
	err = drm_buddy_alloc_blocks(&d->mm, 0, d->mm.size, block, block,
				     &blocks, 0);
	if (!err) {
		head = list_first_entry(&blocks, struct drm_buddy_block, link);
		off = drm_buddy_block_offset(head);
	}
	/* A failed trim leaves the whole block, which is freed alike. */
	if (!err && trim && block != size)
		db_trim(&d->mm, size, &blocks);
	mutex_unlock(&d->lock);
	if (err)
		return NULL;
	return db_zero(d, db_handle(&blocks), off, trim ? size : block);
}

/*
 * Exactly @size at an @align multiple, the way drm_buddy's users get it:
 * min_block_size is the alignment, and 6.1 refuses a size that is not a
 * multiple of it, so the block is max(roundup_pow_of_two(@size), @align)
 * and drm_buddy_block_trim() gives back what lies past @size. Debian's
 * 6.12 gpu_buddy_alloc_blocks() would round up and trim by itself; the
 * work is the same, and this way both kernels run one code path.
 */
static void *db_trim_a(void *ctx, size_t size, size_t align)
{
	return db_alloc(ctx, size, align, true);
}

/* Rounded up as 6.1 requires: the whole max(@size, @align) block. */
static void *db_round_a(void *ctx, size_t size, size_t align)
{
	return db_alloc(ctx, size, align, false);
}
#else
static void *db_trim_a(void *ctx, size_t size, size_t align)
{
	return NULL;
}

static void *db_round_a(void *ctx, size_t size, size_t align)
{
	return NULL;
}

static void db_sized_f(void *ctx, void *p, size_t size, size_t align)
{
}

static u64 db_offset(void *p)
{
	return 0;
}
#endif

/* buddy's first; then the columns of the chart; then the others. */
static const struct sized_allocator align_allocators[] = {
	{ "buddy", range_a, buddy_sized_f, BUDDY, addr_of },
	{ "alloc_pages", pages_order_a, pages_order_f, PAGES, addr_of },
	{ "gen_pool", gen_sized_a, gen_sized_f, GENPOOL, addr_of },
	{ "drm_buddy", db_trim_a, db_sized_f, DRMBUDDY, db_offset },
	{ "buddy_alloc", buddy_round_a, buddy_sized_f, BUDDY, addr_of },
	{ "drm_buddy_round", db_round_a, db_sized_f, DRMBUDDY, db_offset },
	{ "buddy_topdown", topdown_a, buddy_sized_f, BUDDY, addr_of },
};

static const struct sized_allocator exact_allocators[] = {
	{ "buddy", buddy_exact_a, buddy_exact_f, BUDDY, addr_of },
	{ "alloc_pages", pages_exact_a, pages_exact_f, PAGES, addr_of },
	{ "gen_pool", gen_sized_a, gen_sized_f, GENPOOL, addr_of },
	{ "drm_buddy", db_trim_a, db_sized_f, DRMBUDDY, db_offset },
	{ "buddy_alloc", buddy_round_a, buddy_sized_f, BUDDY, addr_of },
};

/*
 * Add buddy's allocations and zeroings since @mark to @sum (if any), then
 * move @mark to now. Untimed: the pool's counters are summed over CPUs.
 */
static void count_zeroings(struct buddy_pool *pool, u64 *mark, u64 *sum)
{
	static struct buddy_stats st;

	buddy_pool_stats(pool, &st);
	if (sum) {
		sum[0] += st.nr_allocs - mark[0];
		sum[1] += st.nr_zeroings - mark[1];
	}
	mark[0] = st.nr_allocs;
	mark[1] = st.nr_zeroings;
}

static void report_zeroings(const char *workload, const char *allocator,
			    const u64 *sum)
{
	pr_info("buddy-bench: zeroings workload=%s of=%s allocs=%llu zeroings=%llu\n",
		workload, allocator, sum[0], sum[1]);
}

/* One block of 2^order pages, allocated and freed again, @n times. */
static u64 run_single(const struct allocator *a, unsigned int order,
		      unsigned int n, unsigned int *failed)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = a->alloc(a->ctx, order);

		if (!p) {
			(*failed)++;
			break;
		}
		a->free(a->ctx, p, order);
	}
	return ktime_get_ns() - t0;
}

/*
 * The steady state of a long-lived user: n live blocks of random orders;
 * each step frees a random one and allocates a new one in its place. A
 * failed allocation leaves its slot empty and is counted.
 */
struct mix {
	void *slot[MIX_SLOTS];
	u8 ord[MIX_SLOTS];
};

static u64 run_mix(const struct allocator *a, struct mix *m, unsigned int n,
		   u32 rnd_seed, unsigned int *failed)
{
	struct rnd_state rnd;
	unsigned int i;
	u64 t0, t;

	prandom_seed_state(&rnd, rnd_seed);
	for (i = 0; i < n; i++) {
		m->ord[i] = prandom_u32_state(&rnd) % (MIX_MAX_ORDER + 1);
		m->slot[i] = a->alloc(a->ctx, m->ord[i]);
	}
	t0 = ktime_get_ns();
	for (i = 0; i < iters; i++) {
		unsigned int s = prandom_u32_state(&rnd) % n;

		if (m->slot[s])
			a->free(a->ctx, m->slot[s], m->ord[s]);
		m->ord[s] = prandom_u32_state(&rnd) % (MIX_MAX_ORDER + 1);
		m->slot[s] = a->alloc(a->ctx, m->ord[s]);
		if (!m->slot[s])
			(*failed)++;
	}
	t = ktime_get_ns() - t0;
	for (i = 0; i < n; i++)
		if (m->slot[i])
			a->free(a->ctx, m->slot[i], m->ord[i]);
	return t;
}

/*
 * Multi-CPU: one kthread bound to each CPU runs its own mix of
 * MIX_SLOTS / MT_THREADS live blocks against the one shared allocator.
 * All start together; the wall time ends with the last one.
 */
struct mt_run {
	const struct allocator *a;
	struct completion ready;
	struct completion start;
};

struct mt_worker {
	struct mt_run *run;
	struct task_struct *task;
	unsigned int cpu;
	unsigned int failed;
	u64 end;
	struct mix mix;
};

static int mt_fn(void *arg)
{
	struct mt_worker *w = arg;

	complete(&w->run->ready);
	wait_for_completion(&w->run->start);
	run_mix(w->run->a, &w->mix, MIX_SLOTS / MT_THREADS, seed + w->cpu,
		&w->failed);
	w->end = ktime_get_ns();
	return 0;
}

static u64 run_mt(const struct allocator *a, struct mt_worker *w,
		  unsigned int nr, unsigned int *failed)
{
	struct mt_run run = { .a = a };
	u64 t0, end = 0;
	unsigned int i, started = 0;

	init_completion(&run.ready);
	init_completion(&run.start);
	for (i = 0; i < nr; i++) {
		w[i].run = &run;
		w[i].failed = 0;
		w[i].task = kthread_create_on_cpu(mt_fn, &w[i], w[i].cpu,
						  "buddy_bench/%u");
		if (IS_ERR(w[i].task)) {
			(*failed)++;
			break;
		}
		/* Our reference lets kthread_stop() reap a thread that returned. */
		get_task_struct(w[i].task);
		wake_up_process(w[i].task);
		started++;
	}
	for (i = 0; i < started; i++)
		wait_for_completion(&run.ready);
	t0 = ktime_get_ns();
	complete_all(&run.start);
	for (i = 0; i < started; i++) {
		kthread_stop(w[i].task);
		put_task_struct(w[i].task);
		end = max(end, w[i].end);
		*failed += w[i].failed;
	}
	return end > t0 ? end - t0 : 0;
}

/*
 * The sized workloads: wl->slots live blocks; each step frees a random
 * one and allocates another in its place, of wl->size bytes or, when
 * that is 0, of a random whole number of pages up to EXACT_MAX. The
 * sequence is the same for every allocator.
 */
struct sized_workload {
	const char *name;
	size_t size;
	size_t align;
	unsigned int slots;
	unsigned int div;	/* iters / div steps: the slow ones do fewer */
	const struct sized_allocator *al;
	unsigned int nr_al;
};

struct sized_mix {
	void *slot[SIZED_SLOTS];
	u32 size[SIZED_SLOTS];
};

static size_t next_size(const struct sized_workload *wl, struct rnd_state *rnd)
{
	if (wl->size)
		return wl->size;
	return (prandom_u32_state(rnd) % (EXACT_MAX / PAGE_SIZE) + 1) * PAGE_SIZE;
}

static u64 run_sized(const struct sized_allocator *a,
		     const struct sized_workload *wl, struct sized_mix *m,
		     unsigned int steps, unsigned int *failed)
{
	void *ctx = backend_ctx[a->on];
	unsigned int i, bad = 0;
	struct rnd_state rnd;
	u64 t0, t;

	prandom_seed_state(&rnd, seed);
	for (i = 0; i < wl->slots; i++) {
		m->size[i] = next_size(wl, &rnd);
		m->slot[i] = a->alloc(ctx, m->size[i], wl->align);
		/* Untimed: like is compared with like only if this holds. */
		if (m->slot[i] && wl->align &&
		    !IS_ALIGNED(a->where(m->slot[i]), wl->align))
			bad++;
	}
	if (bad)
		pr_warn("buddy-bench: misaligned: workload=%s allocator=%s %u of %u blocks\n",
			wl->name, a->name, bad, wl->slots);
	t0 = ktime_get_ns();
	for (i = 0; i < steps; i++) {
		unsigned int s = prandom_u32_state(&rnd) % wl->slots;

		if (m->slot[s])
			a->free(ctx, m->slot[s], m->size[s], wl->align);
		m->size[s] = next_size(wl, &rnd);
		m->slot[s] = a->alloc(ctx, m->size[s], wl->align);
		if (!m->slot[s])
			(*failed)++;
	}
	t = ktime_get_ns() - t0;
	for (i = 0; i < wl->slots; i++)
		if (m->slot[i])
			a->free(ctx, m->slot[i], m->size[i], wl->align);
	return t;
}

enum kind { SINGLE, MIX, MT };

struct workload {
	const char *name;
	enum kind kind;
	unsigned int arg;	/* order for SINGLE, threads for MT */
};

static const struct workload workloads[] = {
	{ "single_4k", SINGLE, 0 },
	{ "single_32k", SINGLE, 3 },
	{ "single_2m", SINGLE, 9 },
	{ "steady_mix", MIX, 0 },
	{ "mt_mix_1t", MT, 1 },
	{ "mt_mix_2t", MT, 2 },
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *workload, const char *allocator,
		   u64 *ns, unsigned int pairs, unsigned int failed)
{
	u64 per;

	sort(ns, rounds, sizeof(*ns), cmp_u64, NULL);
	per = div_u64(ns[rounds / 2] * 10, pairs);
	pr_info("buddy-bench: workload=%s allocator=%s ns_per_pair=%llu.%llu failed=%u\n",
		workload, allocator, per / 10, per % 10, failed);
}

static struct allocator allocators[] = {
	{ .name = "buddy", .alloc = buddy_a, .free = buddy_f },
	{ .name = "alloc_pages", .alloc = pages_a, .free = pages_f },
	{ .name = "gen_pool", .alloc = gen_a, .free = gen_f },
	{ .name = "drm_buddy", .alloc = db_a, .free = db_f },	/* optional */
};

static void run_all(unsigned int nr, struct mix *m, struct mt_worker *w)
{
	static u64 ns[ARRAY_SIZE(workloads)][ARRAY_SIZE(allocators)][MAX_ROUNDS];
	unsigned int failed[ARRAY_SIZE(allocators)];
	u64 mark[2], zsum[2];
	unsigned int i, j, r;

	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		const struct workload *wl = &workloads[i];

		if (wl->kind == MT && wl->arg > num_online_cpus()) {
			pr_info("buddy-bench: workload=%s skipped: %u CPUs online\n",
				wl->name, num_online_cpus());
			continue;
		}
		memset(failed, 0, sizeof(failed));
		/* Only buddy, allocators[0], uses its pool here. */
		memset(zsum, 0, sizeof(zsum));
		count_zeroings(allocators[0].ctx, mark, NULL);
		for (r = 0; r < rounds; r++) {
			for (j = 0; j < nr; j++) {
				const struct allocator *a = &allocators[j];
				u64 *t = &ns[i][j][r];

				if (wl->kind == SINGLE)
					*t = run_single(a, wl->arg, iters,
							&failed[j]);
				else if (wl->kind == MIX)
					*t = run_mix(a, m, MIX_SLOTS, seed,
						     &failed[j]);
				else
					*t = run_mt(a, w, wl->arg, &failed[j]);
				/* Long loops without a scheduling point. */
				cond_resched();
			}
		}
		for (j = 0; j < nr; j++)
			report(wl->name, allocators[j].name, ns[i][j],
			       wl->kind == MT ? iters * wl->arg : iters,
			       failed[j]);
		count_zeroings(allocators[0].ctx, mark, zsum);
		report_zeroings(wl->name, allocators[0].name, zsum);
	}
}

/*
 * 4 KiB at 64 KiB and 16 KiB at 256 KiB alignment: buddy_alloc_range()
 * gives a block of the size at that alignment, as do gen_pool's
 * first_fit_align and drm_buddy with a trim; alloc_pages(),
 * buddy_alloc() and drm_buddy_round hand out the whole aligned block.
 * Exact sizes: 4 KiB to 1 MiB in whole pages, of which alloc_pages_exact(),
 * gen_pool and trimmed drm_buddy give exactly that, buddy_alloc() the
 * next power of two.
 */
static const struct sized_workload sized_workloads[] = {
	{ "align_4k_64k", SZ_4K, SZ_64K, 64, 1,
	  align_allocators, ARRAY_SIZE(align_allocators) },
	{ "align_16k_256k", SZ_16K, SZ_256K, 64, 1,
	  align_allocators, ARRAY_SIZE(align_allocators) },
	{ "exact_mix", 0, 0, 32, 4,
	  exact_allocators, ARRAY_SIZE(exact_allocators) },
};

#define MAX_SIZED_ALLOCATORS	7

static void run_sized_all(struct sized_mix *m)
{
	static u64 ns[MAX_SIZED_ALLOCATORS][MAX_ROUNDS];
	u64 zsum[MAX_SIZED_ALLOCATORS][2], mark[2];
	unsigned int failed[MAX_SIZED_ALLOCATORS];
	unsigned int i, j, r, steps;

	BUILD_BUG_ON(ARRAY_SIZE(align_allocators) > MAX_SIZED_ALLOCATORS ||
		     ARRAY_SIZE(exact_allocators) > MAX_SIZED_ALLOCATORS);
	for (i = 0; i < ARRAY_SIZE(sized_workloads); i++) {
		const struct sized_workload *wl = &sized_workloads[i];

		steps = max(iters / wl->div, 1U);
		memset(failed, 0, sizeof(failed));
		memset(zsum, 0, sizeof(zsum));
		for (r = 0; r < rounds; r++) {
			for (j = 0; j < wl->nr_al; j++) {
				const struct sized_allocator *a = &wl->al[j];

				if (a->on != PAGES && !backend_ctx[a->on])
					continue;
				if (a->on == BUDDY)
					count_zeroings(backend_ctx[BUDDY], mark,
						       NULL);
				ns[j][r] = run_sized(a, wl, m, steps, &failed[j]);
				if (a->on == BUDDY)
					count_zeroings(backend_ctx[BUDDY], mark,
						       zsum[j]);
				cond_resched();
			}
		}
		for (j = 0; j < wl->nr_al; j++)
			if (wl->al[j].on == PAGES || backend_ctx[wl->al[j].on])
				report(wl->name, wl->al[j].name, ns[j], steps,
				       failed[j]);
		for (j = 0; j < wl->nr_al; j++)
			if (wl->al[j].on == BUDDY)
				report_zeroings(wl->name, wl->al[j].name,
						zsum[j]);
	}
}

/* Per mille of @asked, rounded. */
static u64 permille(u64 part, u64 asked)
{
	return asked ? div64_u64(part * 1000 + asked / 2, asked) : 0;
}

/*
 * mixed_2t: MT_THREADS threads, one per CPU, share one allocator; each
 * keeps MIXED_SLOTS live blocks of 4-32 KiB, and each step frees a
 * random one and allocates another in its place, one step in ten at a
 * 64 KiB multiple: buddy_alloc() and buddy_alloc_range(), gen_pool's
 * first fit and first_fit_align, alloc_pages() of the order and of the
 * whole aligned 64 KiB. X is wall time over all threads' pairs. For
 * buddy a note gives the caches' hits and refills in all rounds:
 *   buddy-bench: note: cache workload=mixed_2t hits=H refills=R ...
 */
#define MIXED_SLOTS	64
#define MIXED_PLACED	10	/* one step in this many is placed */
#define MIXED_ALIGN	SZ_64K

struct mixed_side {
	const char *name;
	const struct sized_allocator *al;	/* its free() serves both */
	void *(*plain)(void *ctx, size_t size, size_t align);
};

static const struct mixed_side mixed_sides[] = {
	{ "buddy", &align_allocators[0], buddy_round_a },
	{ "alloc_pages", &align_allocators[1], pages_order_a },
	{ "gen_pool", &align_allocators[2], gen_sized_a },
};

struct mixed_worker {
	const struct mixed_side *side;
	struct completion *ready, *start;
	struct task_struct *task;
	unsigned int cpu, steps, failed;
	u64 end;
	void *slot[MIXED_SLOTS];
	u32 size[MIXED_SLOTS];
	u32 align[MIXED_SLOTS];
};

static void mixed_step(struct mixed_worker *mw, unsigned int s,
		       struct rnd_state *rnd)
{
	const struct mixed_side *side = mw->side;
	void *ctx = backend_ctx[side->al->on];

	mw->size[s] = SZ_4K << (prandom_u32_state(rnd) % 4);
	mw->align[s] = prandom_u32_state(rnd) % MIXED_PLACED ? 0 : MIXED_ALIGN;
	mw->slot[s] = mw->align[s] ?
		side->al->alloc(ctx, mw->size[s], mw->align[s]) :
		side->plain(ctx, mw->size[s], 0);
}

static int mixed_fn(void *arg)
{
	struct mixed_worker *mw = arg;
	const struct sized_allocator *al = mw->side->al;
	void *ctx = backend_ctx[al->on];
	struct rnd_state rnd;
	unsigned int i, s;

	prandom_seed_state(&rnd, seed + mw->cpu);
	for (i = 0; i < MIXED_SLOTS; i++)
		mixed_step(mw, i, &rnd);
	complete(mw->ready);
	wait_for_completion(mw->start);
	for (i = 0; i < mw->steps; i++) {
		s = prandom_u32_state(&rnd) % MIXED_SLOTS;
		if (mw->slot[s])
			al->free(ctx, mw->slot[s], mw->size[s], mw->align[s]);
		mixed_step(mw, s, &rnd);
		if (!mw->slot[s])
			mw->failed++;
	}
	mw->end = ktime_get_ns();
	for (i = 0; i < MIXED_SLOTS; i++)
		if (mw->slot[i])
			al->free(ctx, mw->slot[i], mw->size[i], mw->align[i]);
	return 0;
}

static u64 run_mixed_side(const struct mixed_side *side,
			  struct mixed_worker *mw, const unsigned int *cpus,
			  unsigned int *failed)
{
	struct completion ready, start;
	unsigned int i, started = 0;
	u64 t0, end = 0;

	init_completion(&ready);
	init_completion(&start);
	for (i = 0; i < MT_THREADS; i++) {
		memset(&mw[i], 0, sizeof(mw[i]));
		mw[i].side = side;
		mw[i].ready = &ready;
		mw[i].start = &start;
		mw[i].cpu = cpus[i];
		mw[i].steps = iters;
		mw[i].task = kthread_create_on_cpu(mixed_fn, &mw[i], cpus[i],
						   "buddy_bench/%u");
		if (IS_ERR(mw[i].task)) {
			(*failed)++;
			break;
		}
		get_task_struct(mw[i].task);
		wake_up_process(mw[i].task);
		started++;
	}
	for (i = 0; i < started; i++)
		wait_for_completion(&ready);
	t0 = ktime_get_ns();
	complete_all(&start);
	for (i = 0; i < started; i++) {
		kthread_stop(mw[i].task);
		put_task_struct(mw[i].task);
		end = max(end, mw[i].end);
		*failed += mw[i].failed;
	}
	return end > t0 ? end - t0 : 0;
}

static void run_mixed(const unsigned int *cpus)
{
	static u64 ns[ARRAY_SIZE(mixed_sides)][MAX_ROUNDS];
	unsigned int failed[ARRAY_SIZE(mixed_sides)] = {}, j, r;
	static struct mixed_worker mw[MT_THREADS];
	static struct buddy_stats st;
	u64 hits, refills, allocs;

	if (num_online_cpus() < MT_THREADS) {
		pr_info("buddy-bench: workload=mixed_2t skipped: %u CPUs online\n",
			num_online_cpus());
		return;
	}
	buddy_pool_stats(backend_ctx[BUDDY], &st);
	hits = st.nr_cache_hits;
	refills = st.nr_cache_refills;
	allocs = st.nr_allocs;
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < ARRAY_SIZE(mixed_sides); j++) {
			ns[j][r] = run_mixed_side(&mixed_sides[j], mw, cpus,
						  &failed[j]);
			cond_resched();
		}
	}
	buddy_pool_stats(backend_ctx[BUDDY], &st);
	hits = st.nr_cache_hits - hits;
	refills = st.nr_cache_refills - refills;
	allocs = st.nr_allocs - allocs;
	for (j = 0; j < ARRAY_SIZE(mixed_sides); j++)
		report("mixed_2t", mixed_sides[j].name, ns[j],
		       iters * MT_THREADS, failed[j]);
	pr_info("buddy-bench: note: cache workload=mixed_2t allocs=%llu hits=%llu refills=%llu hit_ratio=%llu.%llu%%\n",
		allocs, hits, refills,
		permille(hits, hits + refills) / 10,
		permille(hits, hits + refills) % 10);
}

/*
 * full_mix: steady_mix's 512 live blocks of 4-64 KiB (orders 0-4,
 * uniform) in a 16 MiB pool, so that it is about 80 % full: buddy in a
 * pool of its own with the default caches, drm_buddy in a 16 MiB
 * manager of its own, alloc_pages() as ever. A failed allocation (the
 * pool too fragmented for the order) leaves its slot empty and counts.
 */
#define FULL_BYTES	SZ_16M

static void run_full(struct mix *m, struct db_ctx *dbf, bool have_db)
{
	static u64 ns[4][MAX_ROUNDS];
	struct allocator full[] = {
		{ .name = "buddy", .alloc = buddy_a, .free = buddy_f },
		{ .name = "alloc_pages", .alloc = pages_a, .free = pages_f },
		{ .name = "drm_buddy", .alloc = db_a, .free = db_f, .ctx = dbf },
	};
	unsigned int failed[ARRAY_SIZE(full)] = {}, nr = ARRAY_SIZE(full);
	static struct buddy_stats st;
	struct buddy_pool *pool;
	u64 hits, refills;
	unsigned int j, r;

	pool = buddy_pool_create("bench_full", FULL_BYTES, PAGE_SIZE);
	if (IS_ERR(pool)) {
		pr_info("buddy-bench: note: workload=full_mix skipped: no pool (%ld)\n",
			PTR_ERR(pool));
		return;
	}
	full[0].ctx = pool;
	if (!have_db)
		nr--;
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < nr; j++) {
			ns[j][r] = run_mix(&full[j], m, MIX_SLOTS, seed,
					   &failed[j]);
			cond_resched();
		}
	}
	for (j = 0; j < nr; j++)
		report("full_mix", full[j].name, ns[j], iters, failed[j]);
	buddy_pool_stats(pool, &st);
	hits = st.nr_cache_hits;
	refills = st.nr_cache_refills;
	pr_info("buddy-bench: note: cache workload=full_mix pool=%u MiB allocs=%llu hits=%llu refills=%llu hit_ratio=%llu.%llu%%\n",
		FULL_BYTES >> 20, st.nr_allocs, hits, refills,
		permille(hits, hits + refills) / 10,
		permille(hits, hits + refills) % 10);
	buddy_pool_destroy(pool);
}

/*
 * Bytes held beyond those asked for when WASTE_LIVE blocks of random
 * sizes (any byte count from 4 KiB to 1 MiB) are live at once, by
 * buddy_block_size(), which the pool's own count of used bytes must
 * match. WASTE_FILLS fills one after another, all freed in between,
 * widen the sample; both calls get the same sequence of sizes.
 */
static void run_waste(struct buddy_pool *pool, struct sized_mix *m)
{
	static const char * const names[] = { "buddy_alloc", "buddy_alloc_exact" };
	static struct buddy_stats st;
	u64 asked[2] = {}, held[2] = {}, w[2], fill;
	unsigned int failed = 0, k, f, i;
	struct rnd_state rnd;

	BUILD_BUG_ON(WASTE_LIVE > SIZED_SLOTS);
	for (k = 0; k < 2; k++) {
		prandom_seed_state(&rnd, seed);
		for (f = 0; f < WASTE_FILLS; f++) {
			fill = 0;
			for (i = 0; i < WASTE_LIVE; i++) {
				size_t size = PAGE_SIZE + prandom_u32_state(&rnd) %
					(EXACT_MAX - PAGE_SIZE + 1);
				void *p = k ? buddy_alloc_exact(pool, size, GFP_KERNEL) :
					buddy_alloc(pool, size, GFP_KERNEL);

				m->slot[i] = p;
				m->size[i] = size;
				if (!p) {
					failed++;
					continue;
				}
				asked[k] += size;
				fill += buddy_block_size(pool, p);
			}
			held[k] += fill;
			buddy_pool_stats(pool, &st);
			if (st.size - st.free != fill)
				pr_warn("buddy-bench: waste: %s: pool uses %llu bytes, its blocks hold %llu\n",
					names[k], st.size - st.free, fill);
			for (i = 0; i < WASTE_LIVE; i++) {
				if (!m->slot[i])
					continue;
				if (k)
					buddy_free_exact(pool, m->slot[i], m->size[i]);
				else
					buddy_free(pool, m->slot[i]);
			}
		}
		w[k] = permille(held[k] - asked[k], asked[k]);
	}
	pr_info("buddy-bench: waste %s=%llu.%llu%% %s=%llu.%llu%% live=%u fills=%u sizes=%lu-%u seed=%u failed=%u\n",
		names[0], w[0] / 10, w[0] % 10, names[1], w[1] / 10, w[1] % 10,
		WASTE_LIVE, WASTE_FILLS, PAGE_SIZE, EXACT_MAX, seed, failed);
}

/*
 * The DMA workloads, on edu: a real driver of it would set its 28-bit
 * DMA mask, so they do too, though no driver binds, and put back the PCI
 * core's afterwards. buddy's side is a pool for edu, per-CPU caches on,
 * each chunk mapped once when the pool is made; dma_pool_zalloc() and
 * buddy's __GFP_ZERO zero the block, and dma_alloc_coherent() always
 * does, so every side zeroes what it hands out.
 */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_DMA_BITS	28
#define DMA_POOL_BYTES	SZ_16M
#define DMA_REF_BYTES	SZ_1M	/* the largest dma_* block */

struct dma_ctx {
	struct device *dev;
	struct buddy_pool *pool;
	struct dma_pool *dp;
	dma_addr_t dma;		/* of the one live block */
	void *ref;		/* DMA_REF_BYTES that memset_only zeroes */
};

static void *bdma_a(void *ctx, unsigned int order)
{
	struct dma_ctx *c = ctx;

	return buddy_alloc_dma(c->pool, PAGE_SIZE << order, &c->dma,
			       GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
}

static void bdma_f(void *ctx, void *p, unsigned int order)
{
	struct dma_ctx *c = ctx;

	buddy_free(c->pool, p);
}

/* Its blocks are 4 KiB, for order 0 only. */
static void *dpool_a(void *ctx, unsigned int order)
{
	struct dma_ctx *c = ctx;

	return dma_pool_zalloc(c->dp, GFP_KERNEL | __GFP_NOWARN, &c->dma);
}

static void dpool_f(void *ctx, void *p, unsigned int order)
{
	struct dma_ctx *c = ctx;

	dma_pool_free(c->dp, p, c->dma);
}

static void *coherent_a(void *ctx, unsigned int order)
{
	struct dma_ctx *c = ctx;

	return dma_alloc_coherent(c->dev, PAGE_SIZE << order, &c->dma,
				  GFP_KERNEL | __GFP_NOWARN);
}

static void coherent_f(void *ctx, void *p, unsigned int order)
{
	struct dma_ctx *c = ctx;

	dma_free_coherent(c->dev, PAGE_SIZE << order, p, c->dma);
}

/*
 * No allocator: the zeroing alone, of the same bytes each time, as the
 * others zero the one block they get back each time. The floor of every
 * side, to show how much of a pair is the memset.
 */
static void *zero_a(void *ctx, unsigned int order)
{
	struct dma_ctx *c = ctx;

	memset(c->ref, 0, PAGE_SIZE << order);
	return c->ref;
}

static void zero_f(void *ctx, void *p, unsigned int order)
{
}

/* buddy's first, memset_only last; each ctx is run_dma()'s dma_ctx. */
static struct allocator dma_allocators[] = {
	{ .name = "buddy", .alloc = bdma_a, .free = bdma_f },
	{ .name = "dma_pool", .alloc = dpool_a, .free = dpool_f },
	{ .name = "dma_alloc_coherent", .alloc = coherent_a, .free = coherent_f },
	{ .name = "memset_only", .alloc = zero_a, .free = zero_f },
};

struct dma_workload {
	const char *name;
	unsigned int order;
	unsigned int rival;	/* buddy's rival in dma_allocators[] */
	unsigned int div;	/* iters / div pairs: zeroing 1 MiB is slow */
	/*
	 * Under init_on_alloc the page allocator zeroes dma-direct's pages
	 * and dma_alloc_coherent() zeroes them again: not like with like.
	 */
	bool init_ok;
};

/* Blocks of up to DMA_REF_BYTES. */
static const struct dma_workload dma_workloads[] = {
	{ "dma_4k", 0, 1, 1, true },
	{ "dma_64k", 4, 2, 4, false },
	{ "dma_1m", 8, 2, 32, false },
};

/*
 * Untimed, before the rounds: @a must hand out zeroed bytes, even after
 * a user dirtied them, at a device address under the mask, or its rounds
 * are not like with like, and a line says so. Return the zone of the
 * first block ("vmap" for a remapped one), or "none".
 */
static const char *dma_check(const char *workload, const struct allocator *a,
			     unsigned int order)
{
	struct dma_ctx *c = a->ctx;
	size_t len = PAGE_SIZE << order;
	u64 mask = dma_get_mask(c->dev);
	const char *zone = "none", *bad = NULL;
	unsigned int k;
	void *p;

	for (k = 0; k < 2 && !bad; k++) {
		p = a->alloc(c, order);
		if (!p) {
			bad = "allocation failed";
			break;
		}
		if (!k)
			zone = is_vmalloc_addr(p) ? "vmap" :
			       page_zone(virt_to_page(p))->name;
		if (memchr_inv(p, 0, len))
			bad = "not zeroed";
		else if (c->dma == DMA_MAPPING_ERROR || c->dma + len - 1 > mask)
			bad = "beyond the DMA mask";
		memset(p, 0xa5, len);
		a->free(c, p, order);
	}
	if (bad)
		pr_warn("buddy-bench: dma check: workload=%s allocator=%s: %s (dma %pad)\n",
			workload, a->name, bad, &c->dma);
	return zone;
}

static void run_dma_workload(const struct dma_workload *wl,
			     struct buddy_pool *pool)
{
	const struct allocator *a[] = {
		&dma_allocators[0], &dma_allocators[wl->rival],
		&dma_allocators[ARRAY_SIZE(dma_allocators) - 1]
	};
	unsigned int n = max(iters / wl->div, 1U);
	unsigned int failed[ARRAY_SIZE(a)] = {}, j, r;
	static u64 ns[ARRAY_SIZE(a)][MAX_ROUNDS];
	u64 mark[2], zsum[2] = {};
	const char *zone[2];

	count_zeroings(pool, mark, NULL);
	for (j = 0; j < 2; j++)
		zone[j] = dma_check(wl->name, a[j], wl->order);
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < ARRAY_SIZE(a); j++) {
			ns[j][r] = run_single(a[j], wl->order, n, &failed[j]);
			cond_resched();
		}
	}
	for (j = 0; j < ARRAY_SIZE(a); j++)
		report(wl->name, a[j]->name, ns[j], n, failed[j]);
	count_zeroings(pool, mark, zsum);
	report_zeroings(wl->name, a[0]->name, zsum);
	pr_info("buddy-bench: note: workload=%s pairs=%u zone: %s=%s %s=%s\n",
		wl->name, n, a[0]->name, zone[0], a[1]->name, zone[1]);
}

static void run_dma(void)
{
	struct buddy_pool_info info = {
		.name = "bench_dma",
		.size = DMA_POOL_BYTES,
		.node = NUMA_NO_NODE,
	};
	struct dma_ctx c = {};
	struct page *ref;
	struct pci_dev *pdev;
	u64 mask, coherent;
	unsigned int i;
	int err;

	pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!pdev) {
		pr_info("buddy-bench: note: dma_* skipped: no edu device (QEMU -device edu)\n");
		return;
	}
	c.dev = &pdev->dev;
	mask = dma_get_mask(c.dev);
	coherent = c.dev->coherent_dma_mask;
	err = dma_set_mask_and_coherent(c.dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (err) {
		pr_info("buddy-bench: note: dma_* skipped: edu %s refused a %u-bit DMA mask (%d)\n",
			pci_name(pdev), EDU_DMA_BITS, err);
		goto out_put;
	}
	info.dev = c.dev;
	c.pool = buddy_pool_create_full(&info);
	if (IS_ERR(c.pool)) {
		pr_info("buddy-bench: note: dma_* skipped: no pool for edu (%ld)\n",
			PTR_ERR(c.pool));
		goto out_restore_mask;
	}
	c.dp = dma_pool_create("bench", c.dev, SZ_4K, SZ_4K, 0);
	if (!c.dp) {
		pr_info("buddy-bench: note: dma_* skipped: no dma_pool for edu\n");
		goto out_destroy_pool;
	}
	ref = alloc_pages(GFP_KERNEL, get_order(DMA_REF_BYTES));
	if (!ref) {
		pr_info("buddy-bench: note: dma_* skipped: no memory for memset_only\n");
		goto out_destroy_dma_pool;
	}
	c.ref = page_address(ref);
	for (i = 0; i < ARRAY_SIZE(dma_allocators); i++)
		dma_allocators[i].ctx = &c;
	pr_info("buddy-bench: note: dma_* on edu %s, DMA mask %u bits (the PCI core's %d), %s, buddy pool %u MiB\n",
		pci_name(pdev), EDU_DMA_BITS, fls64(mask),
		device_iommu_mapped(c.dev) ? "behind an IOMMU" : "no IOMMU",
		DMA_POOL_BYTES >> 20);
	for (i = 0; i < ARRAY_SIZE(dma_workloads); i++) {
		const struct dma_workload *wl = &dma_workloads[i];

		if (!wl->init_ok && want_init_on_alloc(GFP_KERNEL)) {
			pr_info("buddy-bench: note: workload=%s skipped: under init_on_alloc dma_alloc_coherent() zeroes twice, buddy once\n",
				wl->name);
			continue;
		}
		run_dma_workload(wl, c.pool);
	}
	__free_pages(ref, get_order(DMA_REF_BYTES));
out_destroy_dma_pool:
	dma_pool_destroy(c.dp);
out_destroy_pool:
	buddy_pool_destroy(c.pool);
out_restore_mask:
	dma_set_mask(c.dev, mask);
	dma_set_coherent_mask(c.dev, coherent);
out_put:
	pci_dev_put(pdev);
}

/*
 * A 256 MiB pool made and destroyed, with no per-CPU caches: one
 * physically contiguous range that buddy takes with alloc_contig_range()
 * (BUDDY_POOL_CONTIG) against 64 chunks of 4 MiB from alloc_pages().
 * Both zero the whole pool when it is made. A side that fails is not
 * tried again: what stopped it (a refused flag, memory no search can
 * make contiguous) still holds a round later, and a failed search costs
 * as much as a good one.
 */
#define BIG_POOL_BYTES	SZ_256M

static const struct big_pool {
	const char *name;	/* the allocator in the lines */
	const char *pool;
	unsigned int flags;
} big_pools[] = {
	{ "contig", "bench_contig", BUDDY_POOL_CONTIG | BUDDY_POOL_NO_CACHE },
	{ "chunked", "bench_chunked", BUDDY_POOL_NO_CACHE },
};

static void run_big_pools(void)
{
	static const char * const names[] = { "create_256m", "destroy_256m" };
	static u64 ns[ARRAY_SIZE(names)][ARRAY_SIZE(big_pools)][MAX_ROUNDS];
	unsigned int failed[ARRAY_SIZE(big_pools)] = {}, j, k, r;
	struct buddy_pool_info info = {
		.size = BIG_POOL_BYTES,
		.node = NUMA_NO_NODE,
	};
	struct buddy_pool *pool;
	u64 t0, t1;

	pr_info("buddy-bench: note: workload=%s pool=%u MiB pools_per_round=1 ram=%lu MiB\n",
		names[0], BIG_POOL_BYTES >> 20,
		totalram_pages() >> (20 - PAGE_SHIFT));
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < ARRAY_SIZE(big_pools); j++) {
			if (failed[j])
				continue;
			info.name = big_pools[j].pool;
			info.flags = big_pools[j].flags;
			t0 = ktime_get_ns();
			pool = buddy_pool_create_full(&info);
			t1 = ktime_get_ns();
			if (IS_ERR(pool)) {
				failed[j] = 1;
				pr_info("buddy-bench: note: workload=%s allocator=%s failed in round %u: buddy_pool_create_full() returned %ld after %llu ns; not tried again\n",
					names[0], big_pools[j].name, r + 1,
					PTR_ERR(pool), t1 - t0);
				continue;
			}
			buddy_pool_destroy(pool);
			ns[0][j][r] = t1 - t0;
			ns[1][j][r] = ktime_get_ns() - t1;
			cond_resched();
		}
	}
	/* A failed side's time is 0, and its line says failed=1. */
	for (k = 0; k < ARRAY_SIZE(names); k++) {
		for (j = 0; j < ARRAY_SIZE(big_pools); j++) {
			if (failed[j])
				memset(ns[k][j], 0, sizeof(ns[k][j]));
			report(names[k], big_pools[j].name, ns[k][j], 1,
			       failed[j]);
		}
	}
}

static int __init bench_init(void)
{
	struct page *chunks[NR_CHUNKS] = {};
	unsigned int i, nr, cpu, cpus[MT_THREADS] = {};
	struct mt_worker *w;
	struct buddy_pool *pool;
	struct gen_pool *gp;
	struct db_ctx *db, *dbf;
	struct sized_mix *sm;
	struct mix *m;
	int db_err, dbf_err = -ENOMEM;

	rounds = clamp(rounds, 1U, (unsigned int)MAX_ROUNDS);
	/*
	 * Zeroing a 2 MiB block takes milliseconds under TCG: 20000 of them
	 * would run for a minute between two scheduling points.
	 */
	if (!iters)
		iters = want_init_on_alloc(GFP_KERNEL) ? 2000 : 20000;
	pool = buddy_pool_create("bench", POOL_BYTES, PAGE_SIZE);
	gp = gen_pool_create(PAGE_SHIFT, -1);
	db = kzalloc(sizeof(*db), GFP_KERNEL);
	dbf = kzalloc(sizeof(*dbf), GFP_KERNEL);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	sm = kzalloc(sizeof(*sm), GFP_KERNEL);
	w = kcalloc(MT_THREADS, sizeof(*w), GFP_KERNEL);
	if (IS_ERR(pool) || !gp || !db || !dbf || !m || !sm || !w) {
		pr_err("buddy-bench: setup failed\n");
		goto out;
	}
	for (i = 0; i < NR_CHUNKS; i++) {
		chunks[i] = alloc_pages(GFP_KERNEL, CHUNK_ORDER);
		if (!chunks[i] ||
		    gen_pool_add(gp, (unsigned long)page_address(chunks[i]),
				 CHUNK_BYTES, -1)) {
			pr_err("buddy-bench: gen_pool setup failed\n");
			goto out;
		}
		db->mem[i] = page_address(chunks[i]);
	}
	i = 0;
	for_each_online_cpu(cpu) {
		if (i == MT_THREADS)
			break;
		cpus[i] = cpu;
		w[i++].cpu = cpu;
	}
	db_err = db_setup(db);
	dbf_err = db_err ? db_err : db_setup_size(dbf, FULL_BYTES);
	if (!dbf_err)
		memcpy(dbf->mem, db->mem, sizeof(dbf->mem));
	if (db_err)
		pr_info("buddy-bench: no drm_buddy (%d)\n", db_err);
	nr = ARRAY_SIZE(allocators) - (db_err ? 1 : 0);
	allocators[0].ctx = pool;
	allocators[2].ctx = gp;
	allocators[3].ctx = db;
	backend_ctx[BUDDY] = pool;
	backend_ctx[GENPOOL] = gp;
	backend_ctx[DRMBUDDY] = db_err ? NULL : db;
	pr_info("buddy-bench: iters=%u rounds=%u seed=%u pool=%d MiB cpus=%u init_on_alloc=%d init_on_free=%d\n",
		iters, rounds, seed, POOL_BYTES >> 20, num_online_cpus(),
		want_init_on_alloc(GFP_KERNEL), want_init_on_free());
	if (want_init_on_free())
		pr_info("buddy-bench: note: init_on_free is on: buddy and alloc_pages zero at free, gen_pool and drm_buddy never do\n");
	run_all(nr, m, w);
	run_sized_all(sm);
	run_mixed(cpus);
	run_full(m, dbf, !dbf_err);
	run_waste(pool, sm);
	run_dma();
	run_big_pools();
	if (!db_err)
		db_teardown(db);
	if (!dbf_err)
		db_teardown(dbf);
out:
	if (gp)
		gen_pool_destroy(gp);
	for (i = 0; i < NR_CHUNKS; i++)
		if (chunks[i])
			__free_pages(chunks[i], CHUNK_ORDER);
	if (!IS_ERR(pool))
		buddy_pool_destroy(pool);
	kfree(w);
	kfree(sm);
	kfree(m);
	kfree(dbf);
	kfree(db);
	pr_info("buddy-bench: done\n");
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_IMPORT_NS(BUDDY_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark of buddy.ko against alloc_pages, gen_pool, drm_buddy, dma_pool and dma_alloc_coherent, and of contiguous pools against chunked ones");
