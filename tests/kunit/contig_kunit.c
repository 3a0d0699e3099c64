// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_contig: contiguous pools. A run-time region is one run of pages,
 * hands out blocks far above the 4 MiB chunk, goes back whole, fails in
 * bounded time when memory is full, and neither grows nor shrinks;
 * a size that is not a power of two is carved into the largest aligned
 * blocks; a boot-time region (memmap=, reserve_mem=) is exactly the range
 * set aside, and nothing else is accepted. The boot-time cases need the
 * boot lines scripts/host-lib.sh's REGIONS adds, and skip without them.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/sizes.h>

#include "buddy_kunit.h"
#include "../buddy_test_mm.h"

/* The boot-time ranges of REGIONS in scripts/host-lib.sh. */
#define MEMMAP_PHYS	0x30000000ULL
#define MEMMAP_SIZE	(64 * MB)
#define RESERVE_SIZE	(32 * MB)

static struct buddy_pool_info contig_info(const char *name, size_t size)
{
	return (struct buddy_pool_info){
		.name = name,
		.size = size,
		.node = NUMA_NO_NODE,
		.flags = BUDDY_POOL_CONTIG | BUDDY_POOL_NO_CACHE,
	};
}

static void skip_unless_room(struct kunit *test, u64 size)
{
	if (buddy_half_ram() < size)
		kunit_skip(test, "half of RAM (%llu bytes) is under %llu: boot with 2 GiB",
			   buddy_half_ram(), size);
}

/* Write a pattern over @len bytes at @p and read it back: bad words. */
static u64 pattern_errors(void *p, size_t len, u64 seed)
{
	u64 *w = p, i, n = len / sizeof(u64), bad = 0;

	for (i = 0; i < n; i++)
		w[i] = (i ^ seed) * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < n; i++)
		bad += w[i] != ((i ^ seed) * 0x9e3779b97f4a7c15ULL);
	return bad;
}

static void expect_line(struct kunit *test, const char *txt, const char *line)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(txt, line), "no \"%s\" in:\n%s",
				  line, txt);
}

/*
 * A 512 MiB pool is one run of pages: two 256 MiB blocks, each of whose
 * pages has the next pfn, side by side, hold any pattern; then one block
 * of all 512 MiB.
 */
static void contig_blocks_are_one_run_of_pages(struct kunit *test)
{
	struct buddy_pool_info info = contig_info("kunit_contig", 512 * MB);
	struct buddy_pool *pool;
	struct buddy_stats st;
	char *txt, line[64];
	void *a, *b, *all;

	skip_unless_room(test, 512 * MB);
	pool = keep_pool(test, buddy_pool_create_full(&info));
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, st.size, 512ULL * MB);
	KUNIT_EXPECT_EQ(test, (u64)st.min_block << st.max_order, 512ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[st.max_order], 1ULL);

	a = buddy_alloc(pool, 256 * MB, GFP_KERNEL);
	b = buddy_alloc(pool, 256 * MB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, buddy_test_pfn_gaps(a, 256 * MB), 0UL);
	KUNIT_EXPECT_EQ(test, buddy_test_pfn_gaps(b, 256 * MB), 0UL);
	/* The two halves of one region, each where its offset says. */
	KUNIT_EXPECT_EQ(test, buddy_phys_addr(pool, b) - buddy_phys_addr(pool, a),
			(phys_addr_t)(off_of(pool, b) - off_of(pool, a)));
	KUNIT_EXPECT_EQ(test, buddy_phys_addr(pool, a),
			page_to_phys(virt_to_page(a)));
	KUNIT_EXPECT_EQ(test, pattern_errors(a, 256 * MB, 1), 0ULL);
	KUNIT_EXPECT_EQ(test, pattern_errors(b, 256 * MB, 2), 0ULL);
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, PAGE_SIZE,
					    GFP_KERNEL | __GFP_NOWARN));
	check_pool(test, pool);

	txt = read_file(test, pool, "stats");
	expect_line(test, txt, "\ncontiguous: yes\n");
	expect_line(test, txt, "\nlargest_block: 536870912\n");
	snprintf(line, sizeof(line), "\nphys: %#llx\n",
		 (u64)buddy_phys_addr(pool, buddy_pool_addr(pool, 0)));
	expect_line(test, txt, line);
	txt = read_file(test, pool, "free_lists");
	expect_line(test, txt, "\n17 536870912 0 0 0\n");

	buddy_free(pool, a);
	buddy_free(pool, b);
	all = buddy_alloc(pool, 512 * MB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_EXPECT_EQ(test, buddy_test_pfn_gaps(all, 512 * MB), 0UL);
	buddy_free(pool, all);
	check_pool(test, pool);
}

/*
 * Ten times: a 128 MiB pool takes its memory from the page allocator, and
 * destroying it gives all of it back. (128 MiB: with page_poison=1 and
 * KASAN under TCG, each 512 MiB round takes 14 s; tests/vm/integration.sh
 * loads and unloads buddy.ko with a 256 MiB pool ten times on the stock
 * kernels.)
 */
static void contig_create_destroy_gives_memory_back(struct kunit *test)
{
	struct buddy_pool_info info = contig_info("kunit_contig", 128 * MB);
	long before, during, after, want = (128 * MB) >> PAGE_SHIFT;
	/* Slab, KASAN's quarantine, other tasks: 8 MiB of noise. */
	long slack = (8 * MB) >> PAGE_SHIFT;
	struct buddy_pool *pool;
	int i;

	for (i = 0; i < 10; i++) {
		before = buddy_test_free_pages();
		pool = buddy_pool_create_full(&info);
		KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, pool, "round %d", i);
		during = buddy_test_free_pages();
		buddy_pool_destroy(pool);
		after = buddy_test_free_pages();
		KUNIT_EXPECT_GE_MSG(test, before - during, want - slack,
				    "round %d: the pool took %ld pages", i,
				    before - during);
		KUNIT_EXPECT_LE_MSG(test, before - after, slack,
				    "round %d: %ld pages before, %ld after", i,
				    before, after);
	}
}

/*
 * What a contiguous pool refuses: more than half of RAM, and growing;
 * shrinking gives back nothing; an alignment as large as the pool is
 * good, where a chunked pool's stops at 4 MiB.
 */
static void contig_refuses_growth_and_half_of_ram(struct kunit *test)
{
	struct buddy_pool_info info = contig_info("kunit_contig", 8 * MB);
	struct buddy_stats before, st;
	struct buddy_pool *pool;

	info.size = round_up(buddy_half_ram() + 1, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.size = 8 * MB;
	info.max_size = 16 * MB;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)),
			-EOPNOTSUPP);
	info.max_size = 0;
	pool = keep_pool(test, buddy_pool_create_full(&info));
	buddy_pool_stats(pool, &before);
	KUNIT_EXPECT_EQ(test, buddy_pool_grow(pool, 4 * MB), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, buddy_pool_shrink(pool, 4 * MB), (size_t)0);
	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, memcmp(&before, &st, sizeof(st)), 0);
	/* Offsets aligned to the pool's own size: only offset 0. */
	expect_range(test, pool, 4 * MB, 8 * MB, 0, 0, BUDDY_TOPDOWN, 0);
	check_pool(test, pool);
}

/*
 * 12 MiB + 8 KiB, not a power of two: roots of 8 MiB, 4 MiB and 8 KiB in
 * offset order, the largest block 8 MiB, and nothing larger.
 */
static void contig_odd_size_is_carved_into_aligned_blocks(struct kunit *test)
{
	struct buddy_pool_info info = contig_info("kunit_contig",
						  12 * MB + 8 * KB);
	struct buddy_pool *pool = keep_pool(test, buddy_pool_create_full(&info));
	struct buddy_stats st;
	void *big, *mid, *tail;

	buddy_pool_stats(pool, &st);
	KUNIT_EXPECT_EQ(test, (u64)st.min_block << st.max_order, 8ULL * MB);
	KUNIT_EXPECT_EQ(test, st.free_blocks[11], 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[10], 1ULL);
	KUNIT_EXPECT_EQ(test, st.free_blocks[1], 1ULL);
	KUNIT_EXPECT_NULL(test, buddy_alloc(pool, 8 * MB + 1,
					    GFP_KERNEL | __GFP_NOWARN));
	big = buddy_alloc(pool, 8 * MB, GFP_KERNEL);
	mid = buddy_alloc(pool, 4 * MB, GFP_KERNEL);
	tail = buddy_alloc(pool, 8 * KB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, mid);
	KUNIT_ASSERT_NOT_NULL(test, tail);
	KUNIT_EXPECT_EQ(test, off_of(pool, big), 0ULL);
	KUNIT_EXPECT_EQ(test, off_of(pool, mid), 8ULL * MB);
	KUNIT_EXPECT_EQ(test, off_of(pool, tail), 12ULL * MB);
	KUNIT_EXPECT_EQ(test, buddy_test_pfn_gaps(big, 12 * MB + 8 * KB), 0UL);
	KUNIT_EXPECT_EQ(test, pattern_errors(big, 8 * MB, 3), 0ULL);
	buddy_free(pool, big);
	buddy_free(pool, mid);
	buddy_free(pool, tail);
	check_pool(test, pool);
}

/* Free what pin_memory() took. */
static void unpin(struct list_head *big, struct list_head *small)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, big, lru) {
		list_del(&page->lru);
		__free_pages(page, CHUNK_ORDER);
	}
	list_for_each_entry_safe(page, tmp, small, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/*
 * Take all but 64 MiB of free memory, as 4 MiB blocks while there are
 * any, then page by page, never calling on the OOM killer. Return the
 * pages taken.
 */
static unsigned long pin_memory(struct list_head *big, struct list_head *small)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	const long floor = (64 * MB) >> PAGE_SHIFT;
	unsigned long nr = 0;
	struct page *page;

	while (buddy_test_free_pages() > floor + BIT(CHUNK_ORDER) &&
	       (page = alloc_pages(gfp, CHUNK_ORDER))) {
		list_add(&page->lru, big);
		nr += BIT(CHUNK_ORDER);
	}
	while (buddy_test_free_pages() > floor && (page = alloc_page(gfp))) {
		list_add(&page->lru, small);
		if (!(++nr & 4095))
			cond_resched();
	}
	return nr;
}

/*
 * With memory filled by pages of ours that cannot move, a 256 MiB pool,
 * which half of RAM allows, cannot be found: creation fails with -EBUSY
 * or -ENOMEM, in bounded time, leaving nothing behind; with the pages
 * back, it works.
 */
static void contig_fails_promptly_when_memory_is_full(struct kunit *test)
{
	struct buddy_pool_info info = contig_info("kunit_contig", 256 * MB);
	struct buddy_pool *pool;
	LIST_HEAD(big);
	LIST_HEAD(small);
	long before, after;
	unsigned long nr;
	ktime_t t0;
	s64 ms;

	skip_unless_room(test, 256 * MB);
	nr = pin_memory(&big, &small);
	kunit_info(test, "took %lu pages, %ld left free", nr, buddy_test_free_pages());
	before = buddy_test_free_pages();
	t0 = ktime_get();
	pool = buddy_pool_create_full(&info);
	ms = ktime_ms_delta(ktime_get(), t0);
	after = buddy_test_free_pages();
	unpin(&big, &small);
	KUNIT_EXPECT_TRUE_MSG(test, PTR_ERR(pool) == -EBUSY ||
			      PTR_ERR(pool) == -ENOMEM, "got %pe", pool);
	if (!IS_ERR(pool))
		buddy_pool_destroy(pool);
	/* The search's 30 s, and slack for one last migration attempt. */
	KUNIT_EXPECT_LT_MSG(test, ms, 40000LL, "the search took %lld ms", ms);
	KUNIT_EXPECT_LE_MSG(test, before - after, (long)((8 * MB) >> PAGE_SHIFT),
			    "%ld pages before, %ld after", before, after);
	kunit_info(test, "the failed search took %lld ms", ms);

	pool = buddy_pool_create_full(&info);
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(pool),
			       "with the pages back: %pe", pool);
	if (!IS_ERR(pool))
		buddy_pool_destroy(pool);
}

/* Is the memmap= range of REGIONS there, reserved? */
static bool have_memmap(void)
{
	return region_intersects(MEMMAP_PHYS, MEMMAP_SIZE, IORESOURCE_MEM,
				 IORES_DESC_RESERVED) == REGION_INTERSECTS &&
	       region_intersects(MEMMAP_PHYS, MEMMAP_SIZE,
				 IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) ==
	       REGION_DISJOINT;
}

/*
 * Over the memmap= hole: exactly the range, one 64 MiB block at its
 * start, outside the direct map (KASAN's shadow is not written), any
 * byte readable and writable; nothing beside or over it is accepted.
 */
static void contig_boot_region_is_exactly_the_range(struct kunit *test)
{
	struct buddy_pool_info info = {
		.name = "kunit_boot",
		.size = MEMMAP_SIZE,
		.node = NUMA_NO_NODE,
		.phys = MEMMAP_PHYS,
	};
	struct buddy_pool_info other = info;
	struct page *ram = alloc_page(GFP_KERNEL);
	struct buddy_pool *pool;
	char *txt, line[64];
	void *p, *q;

	KUNIT_ASSERT_NOT_NULL(test, ram);
	/* RAM the kernel owns, a range not set aside, unaligned, too big. */
	other.name = "kunit_bad";
	other.size = PAGE_SIZE;
	other.phys = page_to_phys(ram);
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)), -EINVAL);
	__free_page(ram);
	other.phys = 1ULL << 46;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)), -EINVAL);
	other.phys = MEMMAP_PHYS + 512;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)), -EINVAL);
	other.phys = MEMMAP_PHYS;
	other.size = MEMMAP_SIZE + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)), -EINVAL);
	other.size = MEMMAP_SIZE;
	other.max_size = 2 * MEMMAP_SIZE;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)),
			-EOPNOTSUPP);
	other.max_size = 0;
	other.reserve_mem = "buddy";
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)), -EINVAL);
	other.reserve_mem = NULL;

	if (!have_memmap())
		kunit_skip(test, "no memmap=64M$0x30000000 on the command line");
	pool = keep_pool(test, buddy_pool_create_full(&info));
	KUNIT_EXPECT_FALSE(test, pool->poison);
	p = buddy_alloc(pool, MEMMAP_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (u64)buddy_phys_addr(pool, p), MEMMAP_PHYS);
	KUNIT_EXPECT_EQ(test, (u64)buddy_phys_addr(pool, p + MEMMAP_SIZE - 1),
			MEMMAP_PHYS + MEMMAP_SIZE - 1);
	KUNIT_EXPECT_EQ(test, buddy_pool_offset(pool, p + 5 * MB + 3),
			5ULL * MB + 3);
	KUNIT_EXPECT_EQ(test, pattern_errors(p, MEMMAP_SIZE, 4), 0ULL);
	buddy_free(pool, p);
	/* Known zero no more, handed out zeroed all the same. */
	q = buddy_alloc(pool, 4 * MB, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(q, 0, 4 * MB));
	buddy_free(pool, q);
	check_pool(test, pool);
	txt = read_file(test, pool, "stats");
	snprintf(line, sizeof(line), "\nphys: %#llx\n", MEMMAP_PHYS);
	expect_line(test, txt, line);
	expect_line(test, txt, "\nlargest_block: 67108864\n");

	/* Over the first pool: refused, and the first one is untouched. */
	other.phys = MEMMAP_PHYS + 16 * MB;
	other.size = 16 * MB;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&other)), -EBUSY);
	check_pool(test, pool);
}

#if BUDDY_HAVE_RESERVE_MEM
/* reserve_mem=32M:4M:buddy: a pool of exactly that region, and no other. */
static void contig_reserve_mem_region(struct kunit *test)
{
	struct buddy_pool_info info = {
		.name = "kunit_resmem",
		.node = NUMA_NO_NODE,
		.reserve_mem = "buddy-none",
	};
	struct buddy_pool *pool;
	phys_addr_t start, size;
	void *p;

	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -ENOENT);
	info.reserve_mem = "buddy";
	if (!reserve_mem_find_by_name("buddy", &start, &size))
		kunit_skip(test, "no reserve_mem=32M:4M:buddy on the command line");
	KUNIT_EXPECT_EQ(test, (u64)size, (u64)RESERVE_SIZE);
	info.size = 4 * MB;
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EINVAL);
	info.size = 0;
	pool = keep_pool(test, buddy_pool_create_full(&info));
	KUNIT_EXPECT_EQ(test, pool->size, (size_t)size);
	p = buddy_alloc(pool, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, buddy_phys_addr(pool, p), start);
	KUNIT_EXPECT_EQ(test, pattern_errors(p, size, 5), 0ULL);
	buddy_free(pool, p);
	check_pool(test, pool);
	/* The same region twice: refused. */
	info.name = "kunit_resmem2";
	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)), -EBUSY);
}
#else
/* Before 6.11 there is no reserve_mem=: refused, and said so. */
static void contig_reserve_mem_region(struct kunit *test)
{
	struct buddy_pool_info info = {
		.name = "kunit_resmem",
		.node = NUMA_NO_NODE,
		.reserve_mem = "buddy",
	};

	KUNIT_EXPECT_EQ(test, PTR_ERR(buddy_pool_create_full(&info)),
			-EOPNOTSUPP);
	kunit_skip(test, "reserve_mem= is new in 6.11");
}
#endif

static struct kunit_case contig_cases[] = {
	KUNIT_CASE(contig_blocks_are_one_run_of_pages),
	KUNIT_CASE(contig_create_destroy_gives_memory_back),
	KUNIT_CASE(contig_refuses_growth_and_half_of_ram),
	KUNIT_CASE(contig_odd_size_is_carved_into_aligned_blocks),
	KUNIT_CASE(contig_fails_promptly_when_memory_is_full),
	KUNIT_CASE(contig_boot_region_is_exactly_the_range),
	KUNIT_CASE(contig_reserve_mem_region),
	{}
};

struct kunit_suite buddy_contig_suite = {
	.name = "buddy_contig",
	.test_cases = contig_cases,
};
