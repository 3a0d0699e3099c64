/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the buddy_kunit.ko suites share: declarations of the helpers in
 * buddy_kunit_helpers.c and a few small inlines. One file per suite,
 * <area>_kunit.c for suite buddy_<area>.
 */
#ifndef BUDDY_KUNIT_H
#define BUDDY_KUNIT_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/irq_work.h>
#include <linux/types.h>

#include "../../buddy_compat.h"
#include "../../buddy_internal.h"
#include "buddy_kunit_compat.h"

#define KB	1024UL
#define MB	(1024UL * 1024)

/*
 * Chunks are PAGE_SIZE << MAX_PAGE_ORDER (4 MiB on x86-64), and the
 * expected offsets of the range, exact and grow suites assume that.
 */
#define CHUNK	((size_t)PAGE_SIZE << BUDDY_MAX_PAGE_ORDER)

/* The suites, in the order they run (buddy_kunit_main.c). */
extern struct kunit_suite buddy_core_suite;
extern struct kunit_suite buddy_pool_suite;
extern struct kunit_suite buddy_stress_suite;
extern struct kunit_suite buddy_debugfs_suite;
extern struct kunit_suite buddy_pcp_suite;
extern struct kunit_suite buddy_range_suite;
extern struct kunit_suite buddy_exact_suite;
extern struct kunit_suite buddy_grow_suite;
extern struct kunit_suite buddy_zero_suite;
extern struct kunit_suite buddy_kasan_suite;
extern struct kunit_suite buddy_dma_suite;
extern struct kunit_suite buddy_contig_suite;
extern struct kunit_suite buddy_user_suite;

u32 run_seed(struct kunit *test);
void check_pool(struct kunit *test, struct buddy_pool *pool);
struct buddy_pool *keep_pool(struct kunit *test,
			     struct buddy_pool *pool);
struct buddy_pool *make_pool(struct kunit *test, const char *name,
			     size_t size, size_t min_block);
struct buddy_pool *make_uncached(struct kunit *test, const char *name,
				 size_t size, size_t min_block);
void no_caches(struct kunit *test, struct buddy_pool *pool);
char *read_file(struct kunit *test, struct buddy_pool *pool,
		const char *name);
struct device *new_dev(const char *name);
struct device *make_dev(struct kunit *test, const char *name,
			unsigned int bits);
void expect_range(struct kunit *test, struct buddy_pool *pool,
		  size_t size, size_t align, u64 start, u64 end,
		  unsigned int flags, u64 want);

/* A worker thread on a pool: told to stop, counts its work, says when done. */
struct flip_ctx {
	struct buddy_pool *pool;
	atomic_t stop;
	unsigned long pairs;
	struct completion done;
};

/*
 * Scenarios that need a block on a given CPU run there through
 * work_on_cpu(); "the other CPU" is the first online CPU that is not the
 * one the test started on, and tests that need two CPUs skip on one.
 */
struct on_cpu {
	struct buddy_pool *pool;
	void *blk[32];
	unsigned int nr;
	size_t size;
	struct irq_work work;
	struct completion done;
	void *got;
	bool in_hardirq;
};

unsigned int other_cpu(unsigned int cpu);
long alloc_on_cpu(void *arg);
long free_on_cpu(void *arg);
u64 total_cached(struct buddy_pool *pool, unsigned int order);

/* A block's pool offset, or U64_MAX for NULL: one value to assert on. */
static inline u64 off_of(struct buddy_pool *pool, const void *p)
{
	return p ? buddy_pool_offset(pool, p) : U64_MAX;
}

static inline void skip_unless_4m_chunks(struct kunit *test)
{
	if (CHUNK != 4 * MB)
		kunit_skip(test, "expected offsets assume 4 MiB chunks");
}

#endif /* BUDDY_KUNIT_H */
