// SPDX-License-Identifier: GPL-2.0
/*
 * User-space unit and randomized tests of buddy_core.c.
 *
 * Built with ASan and UBSan against the unchanged core. Each test is a
 * function that asserts buddy_core_check() passes before and after its
 * scenario; an assertion longjmps out of the test, and the runner frees
 * whatever the test had set up. The randomized test replays seeded
 * operations against the naive model in model.c.
 *
 * Usage: core_test [SEED [NAME-FILTER]]. Environment: CORE_TEST_SEED,
 * CORE_TEST_OPS (random ops per geometry), CORE_TEST_HUGE=1 (the full
 * 2^31-block range), CORE_TEST_TRACE=1 (print the random ops).
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "model.h"

#define KB	1024ULL
#define MB	(1024 * KB)
#define MAX_FIX	64

static jmp_buf t_env;
static int t_line;
static struct sim *t_fix[MAX_FIX];
static unsigned int t_nfix;
static void *t_mem[MAX_FIX];
static unsigned int t_nmem;
static void *t_map;
static size_t t_map_len;
static u64 t_seed;
static u64 t_ops = 4000;
static struct msrc t_rng;
static unsigned int t_trace;
static unsigned int t_huge;

static void t_where(void)
{
	fprintf(stderr, "    at %s:%d\n", __FILE__, t_line);
}

static void t_abort(void)
{
	longjmp(t_env, 1);
}

static void t_assert(bool ok, const char *expr, int line)
{
	if (ok)
		return;
	t_line = line;
	fprintf(stderr, "    FAILED: %s\n", expr);
	t_where();
	t_abort();
}

static void t_assert_eq(long long a, long long b, const char *ea,
			const char *eb, int line)
{
	if (a == b)
		return;
	t_line = line;
	fprintf(stderr, "    FAILED: %s == %s\n      %lld (%#llx) != %lld (%#llx)\n",
		ea, eb, a, ULL(a), b, ULL(b));
	t_where();
	t_abort();
}

static void t_assert_sim(struct sim *s, bool ok, const char *expr, int line)
{
	if (ok)
		return;
	t_line = line;
	fprintf(stderr, "    FAILED: %s\n      %s\n", expr, s->err);
	t_where();
	t_abort();
}

static void t_assert_check(const struct buddy_core *bc, int line)
{
	char buf[256] = "";
	int ret = buddy_core_check(bc, buf, sizeof(buf));

	if (!ret)
		return;
	t_line = line;
	fprintf(stderr, "    FAILED: buddy_core_check() = %d: %s\n", ret, buf);
	t_where();
	t_abort();
}

#define ASSERT(c)	t_assert(!!(c), #c, __LINE__)
#define ASSERT_EQ(a, b) \
	t_assert_eq((long long)(a), (long long)(b), #a, #b, __LINE__)
#define ASSERT_SIM(s, x)	t_assert_sim((s), (x), #x, __LINE__)
#define ASSERT_CHECK(bc)	t_assert_check((bc), __LINE__)

/* ---- fixtures ---- */

/* A range with exactly sized buffers, its model, and a passing check. */
static struct sim *fix_seg(u64 size, u64 min_block, unsigned int seg_shift)
{
	struct sim *s = calloc(1, sizeof(*s));

	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	ASSERT_SIM(s, sim_init(s, size, min_block, seg_shift, &t_rng) == 1);
	ASSERT_SIM(s, sim_verify(s));
	ASSERT(model_is_pristine(&s->m));
	ASSERT_CHECK(&s->bc);
	return s;
}

static struct sim *fix(u64 size, u64 min_block)
{
	return fix_seg(size, min_block, BUDDY_CORE_ONE_SEGMENT);
}

static void t_cleanup(void)
{
	while (t_nfix) {
		sim_destroy(t_fix[--t_nfix]);
		free(t_fix[t_nfix]);
	}
	while (t_nmem)
		free(t_mem[--t_nmem]);
	if (t_map)
		munmap(t_map, t_map_len);
	t_map = NULL;
}

/* Memory that the runner frees after the test, even a failed one. */
static void *t_malloc(size_t size)
{
	void *p;

	ASSERT(t_nmem < MAX_FIX);
	p = malloc(size);
	ASSERT(p);
	t_mem[t_nmem++] = p;
	return p;
}

/* Allocate through the driver (so the model checks it); the offset. */
static u64 t_alloc(struct sim *s, u64 size)
{
	u64 live = s->nr_live;

	ASSERT_SIM(s, sim_alloc(s, size));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(s->nr_live, live + 1);
	return s->live[live];
}

/* An allocation that must fail with @err. */
static void t_alloc_fails(struct sim *s, u64 size, int err)
{
	u64 failed = s->bc.nr_failed, off = 0x1234;

	ASSERT_EQ(buddy_core_alloc(&s->bc, size, &off), err);
	ASSERT_EQ(s->bc.nr_failed, failed + 1);
	s->m.nr_failed++;
	ASSERT_SIM(s, sim_verify(s));
}

static void t_free(struct sim *s, u64 off)
{
	u64 p;

	ASSERT_EQ(model_classify(&s->m, off, &p), 0);
	ASSERT_SIM(s, sim_free(s, off));
	ASSERT_SIM(s, sim_verify(s));
}

/*
 * A free that must fail with @err and change nothing but nr_bad_frees;
 * block_order() must report the same error and change nothing at all.
 */
static void t_bad_free(struct sim *s, u64 off, int err)
{
	u64 p, bad = s->bc.nr_bad_frees;

	ASSERT_EQ(model_classify(&s->m, off, &p), err);
	ASSERT_EQ(buddy_core_block_order(&s->bc, off), err);
	ASSERT_SIM(s, sim_probe(s, off));
	ASSERT_SIM(s, sim_free(s, off));
	ASSERT_EQ(s->bc.nr_bad_frees, bad + 1);
	ASSERT_SIM(s, sim_verify(s));
}

static void t_drain(struct sim *s)
{
	ASSERT_SIM(s, sim_drain(s));
}

static void t_free_all(struct sim *s)
{
	ASSERT_SIM(s, sim_free_all(s));
	ASSERT(model_is_pristine(&s->m));
}

/* End of a scenario: model, counters and checker all agree. */
static void t_done(struct sim *s)
{
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_CHECK(&s->bc);
}

/* The blocks the iterator reports, as (offset, order, free) triples. */
struct blk_want {
	u64 off;
	unsigned int order;
	bool free;
};

static void t_blocks(const struct buddy_core *bc, const struct blk_want *w,
		     unsigned int n)
{
	struct buddy_core_block blk;
	unsigned int i = 0;
	u64 pos = 0;

	while (buddy_core_next_block(bc, &pos, &blk)) {
		ASSERT(i < n);
		ASSERT_EQ(blk.off, w[i].off);
		ASSERT_EQ(blk.order, w[i].order);
		ASSERT_EQ(blk.free, w[i].free);
		i++;
	}
	ASSERT_EQ(i, n);
	ASSERT_EQ(pos, buddy_core_size(bc));
	/* the end stays the end */
	ASSERT(!buddy_core_next_block(bc, &pos, &blk));
}

/* Offset of the only free block of @order. */
static u64 t_free_of_order(const struct buddy_core *bc, unsigned int order)
{
	struct buddy_core_block blk;
	u64 pos = 0, off = UINT64_MAX;

	ASSERT_EQ(buddy_core_nr_free(bc, order), 1);
	while (buddy_core_next_block(bc, &pos, &blk))
		if (blk.free && blk.order == order)
			off = blk.off;
	ASSERT(off != UINT64_MAX);
	return off;
}

/* ---- geometry ---- */

static void init_rejects_bad_geometry(void)
{
	static const struct {
		u64 size, min_block;
		unsigned int seg_shift;
	} bad[] = {
		{ 4096, 0, 0 }, { 4096, 8, 0 }, { 4096, 15, 0 },
		{ 4096, 24, 0 }, { 4096, 48, 0 }, { 4096, 4097, 0 },
		{ 0, 16, 0 }, { 0, 4096, 0 }, { 4097, 16, 0 }, { 4104, 16, 0 },
		{ 16, 32, 0 }, { 4096, 8192, 0 },
		{ (16ULL << 31) + 16, 16, 0 }, { 1ULL << 40, 16, 0 },
		{ UINT64_MAX & ~15ULL, 16, 0 }, { UINT64_MAX, 16, 0 },
		{ 4096, 64, 5 }, { 4096, 4096, 11 }, { 4096, 64, 64 },
		{ 4096, 64, 200 }, { 4096, 64, ~0U },
	};
	struct buddy_core bc;
	unsigned char *seg;
	unsigned char *segs[1];
	size_t need, i;
	void *meta;
	struct sim *s;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		s = calloc(1, sizeof(*s));
		ASSERT(s && t_nfix < MAX_FIX);
		t_fix[t_nfix++] = s;
		ASSERT_SIM(s, sim_init(s, bad[i].size, bad[i].min_block,
				       bad[i].seg_shift, &t_rng) == 0);
		if (!bad[i].seg_shift)
			ASSERT_EQ(buddy_core_meta_size(bad[i].size,
						       bad[i].min_block), 0);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}

	/* the largest valid range is accepted by meta_size */
	ASSERT(buddy_core_meta_size(16ULL << 31, 16) > 0);
	ASSERT(buddy_core_meta_size(4096ULL << 31, 4096) > 0);

	/* meta one byte short, missing meta, missing segments */
	need = buddy_core_meta_size(64 * KB, 64);
	meta = t_malloc(need);
	seg = t_malloc(64 * KB);
	segs[0] = seg;
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, segs, meta, need - 1),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, segs, NULL, need),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, NULL, meta, need),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, segs, meta, 0),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, segs, meta, need), 0);
	ASSERT_CHECK(&bc);
	ASSERT_EQ(buddy_core_free_bytes(&bc), 64 * KB);
}

static void meta_size_is_about_six_bits_per_block(void)
{
	static const u64 counts[] = { 127, 128, 129, 4095, 4097, 65537 };
	unsigned int i;
	u64 n;

	/*
	 * the budget for large ranges: 1 % at 64-byte min blocks before the
	 * known-zero bit, 1.2 % with it
	 */
	ASSERT(buddy_core_meta_size(256 * MB, 64) * 1000 <= 256 * MB * 12);
	ASSERT(buddy_core_meta_size(256 * MB, 4096) * 10000 <= 256 * MB * 5);
	/*
	 * head, split, segment and zero bits, and two bits of free bitmaps
	 * over all orders, plus 1/64 for the grouped split words and
	 * summaries and two spare words an order
	 */
	ASSERT(buddy_core_meta_size(16ULL << 31, 16) <=
	       (1ULL << 31) * 6 / 8 + (1ULL << 31) / 128 + 600);
	for (n = 1; n < 100000; n += 1 + n / 8) {
		size_t m16 = buddy_core_meta_size(n * 16, 16);
		size_t m4k = buddy_core_meta_size(n * 4096, 4096);

		ASSERT(m16 > 0 && m16 <= n * 6 / 8 + n / 128 + 600);
		ASSERT(m4k > 0 && m4k <= n * 6 / 8 + n / 128 + 600);
	}
	/* exactly meta_size bytes are enough (ASan sees any overrun) */
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		struct sim *s = fix(counts[i] * 16, 16);

		t_alloc(s, 16);
		t_alloc(s, 16 << buddy_core_largest_free_order(&s->bc));
		t_free_all(s);
		t_done(s);
	}
}

static void init_single_min_block(void)
{
	static const struct blk_want all_free[] = { { 0, 0, true } };
	static const struct blk_want all_used[] = { { 0, 0, false } };
	struct sim *s = fix(64, 64);

	ASSERT_EQ(buddy_core_max_order(&s->bc), 0);
	t_blocks(&s->bc, all_free, 1);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), 0);
	t_alloc_fails(s, 65, -E2BIG);
	ASSERT_EQ(t_alloc(s, 1), 0);
	t_blocks(&s->bc, all_used, 1);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), -1);
	ASSERT_EQ(buddy_core_block_order(&s->bc, 0), 0);
	t_alloc_fails(s, 1, -ENOMEM);
	t_bad_free(s, 32, -EINVAL);
	t_bad_free(s, 64, -ERANGE);
	t_free(s, 0);
	t_bad_free(s, 0, -EALREADY);
	t_blocks(&s->bc, all_free, 1);
	t_done(s);
}

static void init_two_and_three_blocks(void)
{
	static const struct blk_want two[] = { { 0, 1, true } };
	static const struct blk_want three[] = {
		{ 0, 1, true }, { 128, 0, true },
	};
	static const struct blk_want three_used[] = {
		{ 0, 1, false }, { 128, 0, false },
	};
	struct sim *s = fix(128, 64);
	u64 a, b;

	ASSERT_EQ(buddy_core_max_order(&s->bc), 1);
	t_blocks(&s->bc, two, 1);
	a = t_alloc(s, 64);
	b = t_alloc(s, 64);
	ASSERT_EQ(a + b, 64);
	t_alloc_fails(s, 64, -ENOMEM);
	t_free(s, b);
	t_free(s, a);
	t_blocks(&s->bc, two, 1);
	t_done(s);

	s = fix(192, 64);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 1);
	t_blocks(&s->bc, three, 2);
	t_alloc_fails(s, 129, -E2BIG);
	/* smallest fit: the order 0 root, not half of the order 1 one */
	ASSERT_EQ(t_alloc(s, 64), 128);
	ASSERT_EQ(t_alloc(s, 128), 0);
	t_blocks(&s->bc, three_used, 2);
	t_alloc_fails(s, 1, -ENOMEM);
	t_free(s, 128);
	t_free(s, 0);
	t_blocks(&s->bc, three, 2);
	t_done(s);
}

static void init_non_power_of_two_forest(void)
{
	static const struct blk_want roots[] = {
		{ 0, 9, true }, { 2 * MB, 8, true },
		{ 3 * MB, 1, true }, { 3 * MB + 8 * KB, 0, true },
	};
	struct sim *s = fix(3 * MB + 12 * KB, 4 * KB);

	ASSERT_EQ(buddy_core_max_order(&s->bc), 9);
	t_blocks(&s->bc, roots, 4);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 9), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 8), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 2), 0);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, BUDDY_CORE_NR_ORDERS), 0);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), 9);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 3 * MB + 12 * KB);
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 0);
	t_alloc_fails(s, 2 * MB + 1, -E2BIG);
	/* each request is served by the root of exactly its size */
	ASSERT_EQ(t_alloc(s, 4 * KB), 3 * MB + 8 * KB);
	ASSERT_EQ(t_alloc(s, 8 * KB), 3 * MB);
	ASSERT_EQ(t_alloc(s, 1 * MB), 2 * MB);
	ASSERT_EQ(t_alloc(s, 2 * MB), 0);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
	t_alloc_fails(s, 1, -ENOMEM);
	t_free_all(s);
	t_blocks(&s->bc, roots, 4);
	t_done(s);
}

static void tiny_ranges_of_every_block_count(void)
{
	u64 n;

	for (n = 1; n <= 70; n++) {
		struct sim *s = fix(n * 16, 16);

		t_drain(s);
		ASSERT_EQ(s->nr_live, n);
		ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
		ASSERT_SIM(s, sim_finish(s));
		t_done(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

/*
 * 2^31 blocks of 16 bytes: max_order 31 and a 32 GiB range, reserved but
 * only touched where links are written. One check of it takes seconds
 * under ASan, so by default the range stops at 2^26 blocks (order 26);
 * CORE_TEST_HUGE=1 runs the real limit.
 */
static void largest_order_range(void)
{
	const unsigned int top = t_huge ? 31 : 26;
	const u64 size = 16ULL << top;
	size_t need = buddy_core_meta_size(size, 16);
	unsigned char *segs[1];
	struct buddy_core *bc;
	unsigned int o;
	u64 off;
	struct sim *s = calloc(1, sizeof(*s));

	/* a fixture slot, so the metadata is freed even on failure */
	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	printf("    max order %u\n", top);
	t_map_len = size;
	t_map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT(t_map != MAP_FAILED);
	s->meta = malloc(need);
	ASSERT(s->meta);
	segs[0] = t_map;
	bc = &s->bc;
	ASSERT_EQ(buddy_core_init(bc, size, 16, 0, segs, s->meta, need), 0);
	ASSERT_CHECK(bc);
	ASSERT_EQ(buddy_core_max_order(bc), top);
	ASSERT_EQ(buddy_core_nr_free(bc, top), 1);
	ASSERT_EQ(buddy_core_largest_free_order(bc), top);
	ASSERT_EQ(buddy_core_order_for(bc, size), top);
	ASSERT_EQ(buddy_core_order_for(bc, size + 1), -E2BIG);
	ASSERT_EQ(buddy_core_order_for(bc, size / 2 + 1), top);
	ASSERT_EQ(buddy_core_order_for(bc, size / 2), top - 1);
	/* a full split down from the top, then a full merge */
	ASSERT_EQ(buddy_core_alloc(bc, 16, &off), 0);
	for (o = 0; o < top; o++)
		ASSERT_EQ(buddy_core_nr_free(bc, o), 1);
	ASSERT_EQ(buddy_core_nr_free(bc, top), 0);
	ASSERT_EQ(buddy_core_largest_free_order(bc), top - 1);
	ASSERT_EQ(buddy_core_block_order(bc, off), 0);
	ASSERT_EQ(buddy_core_free(bc, off), 0);
	ASSERT_EQ(buddy_core_nr_free(bc, top), 1);
	/* the biggest block there is, whole */
	ASSERT_EQ(buddy_core_alloc(bc, size, &off), 0);
	ASSERT_EQ(off, 0);
	ASSERT_EQ(buddy_core_block_order(bc, 0), top);
	ASSERT_EQ(buddy_core_block_order(bc, size - 16), -ENOENT);
	ASSERT_EQ(buddy_core_free(bc, size / 2), -ENOENT);
	ASSERT_EQ(buddy_core_free_bytes(bc), 0);
	ASSERT_EQ(buddy_core_alloc(bc, 16, &off), -ENOMEM);
	ASSERT_EQ(buddy_core_free(bc, 0), 0);
	ASSERT_EQ(buddy_core_free(bc, 0), -EALREADY);
	ASSERT_EQ(buddy_core_free_bytes(bc), size);
	ASSERT_CHECK(bc);
}

static void segments_hold_whole_blocks(void)
{
	static const struct blk_want roots[] = {
		{ 0, 4, true }, { 64 * KB, 4, true }, { 128 * KB, 4, true },
		{ 192 * KB, 4, true }, { 256 * KB, 4, true },
		{ 320 * KB, 1, true }, { 328 * KB, 0, true },
	};
	struct sim *s = fix_seg(5 * 64 * KB + 12 * KB, 4 * KB, 16);
	u64 i, off;

	ASSERT_EQ(s->nsegs, 6);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 4);
	t_blocks(&s->bc, roots, 7);
	t_alloc_fails(s, 64 * KB + 1, -E2BIG);
	ASSERT_EQ(buddy_core_order_for(&s->bc, 64 * KB), 4);
	for (i = 0; i < 5; i++) {
		off = t_alloc(s, 64 * KB);
		ASSERT_EQ(off & (64 * KB - 1), 0);
		ASSERT(buddy_core_addr(&s->bc, off) == s->segs[off >> 16]);
		ASSERT(buddy_core_addr(&s->bc, off + 64 * KB - 1) ==
		       s->segs[off >> 16] + 64 * KB - 1);
	}
	ASSERT_EQ(t_alloc(s, 8 * KB), 320 * KB);
	ASSERT(buddy_core_addr(&s->bc, 320 * KB + 5) == s->segs[5] + 5);
	ASSERT_EQ(t_alloc(s, 4 * KB), 328 * KB);
	t_alloc_fails(s, 1, -ENOMEM);
	t_free_all(s);
	t_blocks(&s->bc, roots, 7);
	t_done(s);

	/* 64-byte blocks in 4 KiB segments, a partial last segment */
	s = fix_seg(23 * 4 * KB + 192, 64, 12);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 6);
	s->no_stray = 1;
	for (i = 0; i < 2000; i++)
		ASSERT_SIM(s, sim_step(s));
	ASSERT_SIM(s, sim_finish(s));
	t_done(s);

	/* one min block per segment: every block is order 0 */
	s = fix_seg(100 * 16, 16, 4);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 0);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 100);
	t_alloc_fails(s, 17, -E2BIG);
	t_drain(s);
	ASSERT(buddy_core_addr(&s->bc, 99 * 16 + 3) == s->segs[99] + 3);
	t_free_all(s);
	t_done(s);

	/* a segment larger than the range is just one segment */
	s = fix_seg(1000 * 64, 64, 20);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 9);
	ASSERT_EQ(t_alloc(s, 32 * KB), 0);
	t_done(s);
}

static void min_block_16_64_4096(void)
{
	static const u64 mbs[] = { 16, 64, 4096 };
	unsigned int i, o;

	for (i = 0; i < 3; i++) {
		u64 mb = mbs[i];
		struct sim *s = fix(mb * 1024, mb);

		ASSERT_EQ(buddy_core_min_block(&s->bc), mb);
		ASSERT_EQ(buddy_core_max_order(&s->bc), 10);
		ASSERT_EQ(buddy_core_order_for(&s->bc, 1), 0);
		for (o = 0; o <= 10; o++) {
			ASSERT_EQ(buddy_core_order_for(&s->bc, mb << o), o);
			if (o)
				ASSERT_EQ(buddy_core_order_for(&s->bc,
							       (mb << o) - 1),
					  o);
			if (o < 10)
				ASSERT_EQ(buddy_core_order_for(&s->bc,
							       (mb << o) + 1),
					  o + 1);
		}
		for (o = 0; o < 10; o++)
			t_alloc(s, mb << o);
		t_alloc(s, mb);
		ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
		t_free_all(s);
		ASSERT_EQ(t_alloc(s, mb << 10), 0);
		t_done(s);
	}
}

/* ---- allocation ---- */

static void alloc_splits_down_to_exact_order(void)
{
	struct sim *s = fix(4 * MB, 4 * KB);
	unsigned int o;

	ASSERT_EQ(buddy_core_nr_free(&s->bc, 10), 1);
	t_alloc(s, 4 * KB);
	for (o = 0; o <= 9; o++)
		ASSERT_EQ(buddy_core_nr_free(&s->bc, o), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 10), 0);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), 9);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 4 * MB - 4 * KB);
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 4 * KB);
	t_done(s);
}

static void alloc_takes_smallest_fit(void)
{
	struct sim *s = fix(4 * MB, 4 * KB);
	u64 o0, o1, o2, off;
	unsigned int o;

	t_alloc(s, 4 * KB);
	o0 = t_free_of_order(&s->bc, 0);
	o1 = t_free_of_order(&s->bc, 1);
	o2 = t_free_of_order(&s->bc, 2);
	/* an exact fit is taken whole, nothing else moves */
	ASSERT_EQ(t_alloc(s, 8 * KB), o1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 0);
	for (o = 0; o <= 9; o++)
		if (o != 1)
			ASSERT_EQ(buddy_core_nr_free(&s->bc, o), 1);
	ASSERT_EQ(t_alloc(s, 100), o0);
	/* no order 0 or 1 left: the order 2 block is split, not bigger */
	off = t_alloc(s, 4 * KB);
	ASSERT(off >= o2 && off < o2 + 16 * KB);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 2), 0);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 1);
	for (o = 3; o <= 9; o++)
		ASSERT_EQ(buddy_core_nr_free(&s->bc, o), 1);
	off = t_alloc(s, 4 * KB + 1);
	ASSERT(off >= o2 && off < o2 + 16 * KB);
	t_done(s);
}

static void alloc_reuses_last_freed_first(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);

	t_drain(s);
	/* buddies stay allocated, so none of these merge */
	t_free(s, 0);
	t_free(s, 8 * KB);
	t_free(s, 4 * 4 * KB);
	ASSERT_EQ(t_alloc(s, 4 * KB), 16 * KB);
	ASSERT_EQ(t_alloc(s, 4 * KB), 8 * KB);
	t_free(s, 8 * KB);
	ASSERT_EQ(t_alloc(s, 4 * KB), 8 * KB);
	ASSERT_EQ(t_alloc(s, 4 * KB), 0);
	t_done(s);
}

static void alloc_rejects_zero_and_huge_sizes(void)
{
	static const u64 huge[] = {
		UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 4094,
		UINT64_MAX - 4095, UINT64_MAX - 4096, 1ULL << 63,
		(1ULL << 63) + 1, (1ULL << 63) - 1, 1ULL << 32, MB + 1,
	};
	struct sim *s = fix(1 * MB, 4 * KB);
	unsigned int i;

	ASSERT_EQ(buddy_core_order_for(&s->bc, 0), -EINVAL);
	t_alloc_fails(s, 0, -EINVAL);
	for (i = 0; i < ARRAY_SIZE(huge); i++) {
		ASSERT_EQ(buddy_core_order_for(&s->bc, huge[i]), -E2BIG);
		t_alloc_fails(s, huge[i], -E2BIG);
	}
	ASSERT_EQ(buddy_core_order_for(&s->bc, MB), 8);
	ASSERT_EQ(s->bc.nr_failed, 11);
	ASSERT_EQ(s->bc.nr_allocs, 0);
	ASSERT_EQ(t_alloc(s, MB), 0);
	t_alloc_fails(s, 1, -ENOMEM);
	ASSERT_EQ(s->bc.nr_failed, 12);
	t_done(s);

	/* the same near the top of a 16-byte-block range */
	s = fix(48, 16);
	for (i = 0; i < ARRAY_SIZE(huge); i++)
		t_alloc_fails(s, huge[i], -E2BIG);
	t_alloc_fails(s, 33, -E2BIG);
	ASSERT_EQ(t_alloc(s, 32), 0);
	t_done(s);
}

static void exhaustion_then_full_recovery(void)
{
	struct sim *s = fix(3 * MB + 12 * KB, 4 * KB);
	unsigned int o;

	t_drain(s);
	ASSERT_EQ(s->nr_live, 771);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 3 * MB + 12 * KB);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), -1);
	for (o = 0; o < BUDDY_CORE_NR_ORDERS; o++)
		ASSERT_EQ(buddy_core_nr_free(&s->bc, o), 0);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	t_free_all(s);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 3 * MB + 12 * KB);
	/* whole again: every root can be had at full size */
	ASSERT_EQ(t_alloc(s, 2 * MB), 0);
	ASSERT_EQ(t_alloc(s, 1 * MB), 2 * MB);
	ASSERT_EQ(t_alloc(s, 8 * KB), 3 * MB);
	ASSERT_EQ(t_alloc(s, 4 * KB), 3 * MB + 8 * KB);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	t_done(s);
}

/* ---- free ---- */

static void free_merges_back_to_maximal_blocks(void)
{
	struct sim *s = fix(1 * MB, 4 * KB);
	unsigned int round;
	u64 i;

	for (round = 0; round < 4; round++) {
		t_drain(s);
		ASSERT_EQ(s->nr_live, 256);
		for (i = 0; i < 256; i++) {
			u64 k = round == 0 ? i : round == 1 ? 255 - i :
				round == 2 ? (i * 2 + i / 128) % 256 :
				(i * 37) % 256;

			t_free(s, k * 4 * KB);
		}
		ASSERT(model_is_pristine(&s->m));
		ASSERT_EQ(buddy_core_nr_free(&s->bc, 8), 1);
		ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 0);
		ASSERT_EQ(t_alloc(s, 1 * MB), 0);
		t_free(s, 0);
	}
	t_done(s);
}

static void bad_free_reports_each_error_and_changes_nothing(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	u64 a, b, c, d, blk;

	a = t_alloc(s, 16 * KB);
	b = t_alloc(s, 4 * KB);
	ASSERT_EQ(buddy_core_block_order(&s->bc, a), 2);
	ASSERT_EQ(buddy_core_block_order(&s->bc, b), 0);

	t_bad_free(s, 64 * KB, -ERANGE);
	t_bad_free(s, 64 * KB + 4 * KB, -ERANGE);
	t_bad_free(s, UINT64_MAX, -ERANGE);
	t_bad_free(s, 1ULL << 63, -ERANGE);
	t_bad_free(s, UINT64_MAX & ~4095ULL, -ERANGE);

	t_bad_free(s, 1, -EINVAL);
	t_bad_free(s, a + 1, -EINVAL);
	t_bad_free(s, a + 4095, -EINVAL);
	t_bad_free(s, b + 2048, -EINVAL);
	t_bad_free(s, 64 * KB - 1, -EINVAL);

	/* interior pointers of the order 2 block */
	t_bad_free(s, a + 4 * KB, -ENOENT);
	t_bad_free(s, a + 8 * KB, -ENOENT);
	t_bad_free(s, a + 12 * KB, -ENOENT);

	/* starts and interiors of free blocks */
	blk = t_free_of_order(&s->bc, 3);
	t_bad_free(s, blk, -EALREADY);
	t_bad_free(s, blk + 12 * KB, -EALREADY);
	t_bad_free(s, blk + 32 * KB - 4 * KB, -EALREADY);
	t_bad_free(s, blk + 8, -EINVAL);

	/* a plain double free */
	t_free(s, b);
	t_bad_free(s, b, -EALREADY);

	/* a double free after the block merged into a larger free one */
	c = t_alloc(s, 4 * KB);
	d = t_alloc(s, 4 * KB);
	ASSERT_EQ(c ^ d, 4 * KB);
	t_free(s, c);
	t_free(s, d);
	t_bad_free(s, c, -EALREADY);
	t_bad_free(s, d, -EALREADY);
	t_free(s, a);
	t_bad_free(s, a, -EALREADY);
	t_bad_free(s, a + 4 * KB, -EALREADY);
	ASSERT(model_is_pristine(&s->m));
	ASSERT_EQ(s->bc.nr_bad_frees, 22);
	t_done(s);
}

static void counters_track_every_call(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	u64 a, b;

	a = t_alloc(s, 4 * KB);
	b = t_alloc(s, 32 * KB);
	t_alloc_fails(s, 64 * KB, -ENOMEM);
	t_alloc_fails(s, 0, -EINVAL);
	t_alloc_fails(s, 128 * KB, -E2BIG);
	t_bad_free(s, a + 4 * KB, -EALREADY);
	t_bad_free(s, b + 4 * KB, -ENOENT);
	t_free(s, a);
	ASSERT_EQ(buddy_core_block_order(&s->bc, b), 3);
	ASSERT_EQ(s->bc.nr_allocs, 2);
	ASSERT_EQ(s->bc.nr_failed, 3);
	ASSERT_EQ(s->bc.nr_frees, 1);
	ASSERT_EQ(s->bc.nr_bad_frees, 2);
	ASSERT_EQ(s->bc.nr_corruptions, 0);
	t_free(s, b);
	ASSERT_EQ(s->bc.nr_frees, 2);
	t_done(s);
}

static void iterator_walks_blocks_in_address_order(void)
{
	static const struct blk_want whole[] = { { 0, 4, true } };
	static const struct blk_want after_one[] = {
		{ 0, 0, false }, { 4 * KB, 0, true }, { 8 * KB, 1, true },
		{ 16 * KB, 2, true }, { 32 * KB, 3, true },
	};
	static const struct blk_want after_two[] = {
		{ 0, 0, false }, { 4 * KB, 0, true }, { 8 * KB, 1, true },
		{ 16 * KB, 2, false }, { 32 * KB, 3, true },
	};
	struct blk_want after_four[] = {
		{ 0, 0, false }, { 4 * KB, 0, true }, { 8 * KB, 1, false },
		{ 16 * KB, 2, false }, { 32 * KB, 2, false },
		{ 48 * KB, 2, true },
	};
	struct sim *s = fix(64 * KB, 4 * KB);
	struct buddy_core_block blk;
	u64 pos;

	t_blocks(&s->bc, whole, 1);
	ASSERT_EQ(t_alloc(s, 4 * KB), 0);
	t_blocks(&s->bc, after_one, 5);
	ASSERT_EQ(t_alloc(s, 16 * KB), 16 * KB);
	t_blocks(&s->bc, after_two, 5);
	ASSERT_EQ(t_alloc(s, 8 * KB), 8 * KB);
	/* the order 3 block splits in two, one half taken */
	if (t_alloc(s, 16 * KB) == 48 * KB) {
		after_four[4].free = true;
		after_four[5].free = false;
	}
	t_blocks(&s->bc, after_four, 6);
	/* the filtered walks see the same blocks */
	pos = 0;
	ASSERT(buddy_core_next_free(&s->bc, 0, &pos, &blk));
	ASSERT_EQ(blk.off, 4 * KB);
	ASSERT(!buddy_core_next_free(&s->bc, 0, &pos, &blk));
	pos = 0;
	ASSERT(!buddy_core_next_free(&s->bc, 3, &pos, &blk));
	pos = 0;
	ASSERT(buddy_core_next_used(&s->bc, &pos, &blk));
	ASSERT_EQ(blk.off, 0);
	ASSERT(buddy_core_next_used(&s->bc, &pos, &blk));
	ASSERT_EQ(blk.off, 8 * KB);
	ASSERT_EQ(blk.order, 1);
	ASSERT(buddy_core_next_used(&s->bc, &pos, &blk));
	ASSERT_EQ(blk.off, 16 * KB);
	ASSERT(buddy_core_next_used(&s->bc, &pos, &blk));
	ASSERT(!buddy_core_next_used(&s->bc, &pos, &blk));
	/* past the end, there is nothing */
	pos = 64 * KB;
	ASSERT(!buddy_core_next_block(&s->bc, &pos, &blk));
	pos = UINT64_MAX;
	ASSERT(!buddy_core_next_block(&s->bc, &pos, &blk));
	t_done(s);
}

/* ---- snapshot ---- */

static void snapshot_keeps_the_state_it_copied(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	struct buddy_core_block want[16], blk;
	struct buddy_core copy;
	unsigned int n = 0, i = 0;
	u64 pos = 0;
	void *meta;

	t_alloc(s, 4 * KB);
	t_alloc(s, 16 * KB);
	while (buddy_core_next_block(&s->bc, &pos, &want[n]))
		n++;
	meta = t_malloc(s->meta_size);
	ASSERT_EQ(buddy_core_snapshot(&s->bc, &copy, meta, s->meta_size - 1),
		  -EINVAL);
	ASSERT_EQ(buddy_core_snapshot(&s->bc, &copy, meta, s->meta_size), 0);
	ASSERT_CHECK(&copy);
	t_alloc(s, 4 * KB);
	t_free(s, 0);
	t_alloc(s, 32 * KB);
	/* the copy still shows the state at the time it was taken */
	ASSERT_EQ(buddy_core_free_bytes(&copy), 44 * KB);
	ASSERT_EQ(buddy_core_largest_free_order(&copy), 3);
	ASSERT_EQ(copy.nr_allocs, 2);
	pos = 0;
	while (buddy_core_next_block(&copy, &pos, &blk)) {
		ASSERT(i < n);
		ASSERT_EQ(blk.off, want[i].off);
		ASSERT_EQ(blk.order, want[i].order);
		ASSERT_EQ(blk.free, want[i].free);
		i++;
	}
	ASSERT_EQ(i, n);
	t_done(s);
}

/* ---- stray writes into free blocks ---- */

/*
 * A comb of @n 64-byte blocks: even blocks free, odd ones allocated, so
 * order 0 holds n/2 blocks that cannot merge. They are freed in ascending
 * order, so the LIFO list runs from block n-2 (head) down to 0 (tail).
 */
static struct sim *comb(u64 n)
{
	struct sim *s = fix(n * 64, 64);
	u64 i;

	t_drain(s);
	for (i = 0; i < n; i += 2)
		t_free(s, i * 64);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), n / 2);
	return s;
}

enum smash {
	SMASH_ZEROS,
	SMASH_ONES,
	SMASH_RANDOM,
	SMASH_OTHER,		/* another free block's (valid) links */
	SMASH_NEXT_SELF,	/* predecessor's links: points at itself */
	SMASH_PREV_SELF,	/* successor's links */
	SMASH_SWAP,		/* its own two links swapped */
	SMASH_TAIL_LO,		/* one link copied from the list's tail */
	SMASH_TAIL_HI,
	SMASH_ONES_LO,		/* one link all ones */
	SMASH_ONES_HI,
	SMASH_ZEROS_LO,		/* one link all zeros */
	SMASH_ZEROS_HI,
	NR_SMASH
};

static const char *const smash_names[NR_SMASH] = {
	"zeros", "ones", "random", "other block's links", "points at itself",
	"points back at itself", "links swapped", "low link from the tail",
	"high link from the tail", "low link all ones", "high link all ones",
	"low link zeros", "high link zeros",
};

/*
 * New link bytes for comb block @x: in the comb its list neighbours are
 * x + 128 (towards the head) and x - 128, and the tail is block 0.
 */
static void smash_bytes(struct sim *s, enum smash kind, u64 x,
			unsigned char *buf)
{
	unsigned char *self = sim_addr(s, x);
	unsigned int i;

	memcpy(buf, self, M_LINK_BYTES);
	switch (kind) {
	case SMASH_ZEROS:
		memset(buf, 0, M_LINK_BYTES);
		break;
	case SMASH_ONES:
		memset(buf, 0xff, M_LINK_BYTES);
		break;
	case SMASH_RANDOM:
		for (i = 0; i < M_LINK_BYTES; i++)
			buf[i] = (u8)(0x5bd1e995U >> (i * 3)) ^ (u8)(i * 77);
		break;
	case SMASH_OTHER:
		memcpy(buf, sim_addr(s, 4 * 64), M_LINK_BYTES);
		break;
	case SMASH_NEXT_SELF:
		memcpy(buf, sim_addr(s, x + 128), M_LINK_BYTES);
		break;
	case SMASH_PREV_SELF:
		memcpy(buf, sim_addr(s, x - 128), M_LINK_BYTES);
		break;
	case SMASH_SWAP:
		memcpy(buf, self + 4, 4);
		memcpy(buf + 4, self, 4);
		break;
	case SMASH_TAIL_LO:
	case SMASH_TAIL_HI:
		i = kind == SMASH_TAIL_LO ? 0 : 4;
		memcpy(buf + i, sim_addr(s, 0) + i, 4);
		break;
	case SMASH_ONES_LO:
	case SMASH_ONES_HI:
		memset(buf + (kind == SMASH_ONES_LO ? 0 : 4), 0xff, 4);
		break;
	case SMASH_ZEROS_LO:
	case SMASH_ZEROS_HI:
		memset(buf + (kind == SMASH_ZEROS_LO ? 0 : 4), 0, 4);
		break;
	default:
		ASSERT(false);
	}
}

/*
 * Overwrite the links of free block @x; the checker must notice. Returns
 * true when both links changed: then the previous link surely did, and
 * any unlink or push that touches @x must catch it at once. A change to
 * the next link alone goes unseen by a push, which reads only the old
 * head's previous link; any unlink of @x reads both.
 */
static bool smash(struct sim *s, u64 x, const unsigned char *buf)
{
	unsigned char *p = sim_addr(s, x);
	unsigned char old[M_LINK_BYTES];
	char msg[256] = "";
	bool both;

	ASSERT(memcmp(p, buf, M_LINK_BYTES));
	both = memcmp(p, buf, 4) && memcmp(p + 4, buf + 4, 4);
	memcpy(old, p, M_LINK_BYTES);
	memcpy(p, buf, M_LINK_BYTES);
	sim_note_smash(s, x, s->m.order[x >> s->m.min_shift], old, buf);
	s->nr_smashes++;
	ASSERT_EQ(buddy_core_check(&s->bc, msg, sizeof(msg)), -EUCLEAN);
	ASSERT(msg[0]);
	ASSERT_EQ(s->bc.nr_corruptions, 0);
	return both;
}

static void checker_reports_smashed_links(void)
{
	unsigned int kind;

	for (kind = 0; kind < NR_SMASH; kind++) {
		struct sim *s = comb(64);
		unsigned char buf[M_LINK_BYTES], *small;
		char msg[256] = "";

		printf("    %s\n", smash_names[kind]);
		smash_bytes(s, kind, 32 * 64, buf);
		smash(s, 32 * 64, buf);
		ASSERT_EQ(buddy_core_check(&s->bc, msg, sizeof(msg)), -EUCLEAN);
		printf("      check: %s\n", msg);
		/* a short buffer gets a terminated prefix, no more */
		small = t_malloc(8);
		ASSERT_EQ(buddy_core_check(&s->bc, (char *)small, 8),
			  -EUCLEAN);
		ASSERT(memchr(small, '\0', 8));
		small[0] = 'x';
		ASSERT_EQ(buddy_core_check(&s->bc, (char *)small, 1),
			  -EUCLEAN);
		ASSERT_EQ(small[0], '\0');
		small[0] = 'x';
		ASSERT_EQ(buddy_core_check(&s->bc, (char *)small, 0),
			  -EUCLEAN);
		ASSERT_EQ(small[0], 'x');
		/* the checker only looks */
		ASSERT_EQ(s->bc.nr_corruptions, 0);
		ASSERT(!memcmp(sim_addr(s, 32 * 64), buf, M_LINK_BYTES));
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

/*
 * After a smash, @s must come back whole: every free block can still be
 * allocated exactly once, the repair is counted once, and the checker
 * passes from the operation that repaired it on.
 */
static void t_recovers(struct sim *s)
{
	t_drain(s);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
	ASSERT_EQ(s->bc.nr_corruptions, 1);
	ASSERT_EQ(s->nr_repairs, 1);
	ASSERT_CHECK(&s->bc);
	t_free_all(s);
	ASSERT_EQ(s->bc.nr_corruptions, 1);
	t_done(s);
}

static void stray_write_repaired_when_block_is_allocated(void)
{
	unsigned int kind;

	for (kind = 0; kind < NR_SMASH; kind++) {
		struct sim *s = comb(64);
		unsigned char buf[M_LINK_BYTES];

		printf("    %s\n", smash_names[kind]);
		smash_bytes(s, kind, 32 * 64, buf);
		smash(s, 32 * 64, buf);
		t_recovers(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

static void stray_write_repaired_when_block_merges(void)
{
	unsigned int kind;

	for (kind = 0; kind < NR_SMASH; kind++) {
		struct sim *s = comb(64);
		unsigned char buf[M_LINK_BYTES];
		u64 before;

		printf("    %s\n", smash_names[kind]);
		smash_bytes(s, kind, 32 * 64, buf);
		smash(s, 32 * 64, buf);
		before = buddy_core_free_bytes(&s->bc);
		/*
		 * its buddy comes back: the smashed block must be unlinked,
		 * which reads both its links, so any change is caught here
		 */
		t_free(s, 33 * 64);
		ASSERT_EQ(buddy_core_free_bytes(&s->bc), before + 64);
		ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 1);
		ASSERT_EQ(s->bc.nr_corruptions, 1);
		ASSERT_CHECK(&s->bc);
		t_recovers(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

static void stray_write_on_list_head_repaired_by_push(void)
{
	static const enum smash kinds[] = {
		SMASH_ZEROS, SMASH_ONES, SMASH_RANDOM, SMASH_OTHER,
	};
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct sim *s = fix(64 * 64, 64);
		unsigned char buf[M_LINK_BYTES];
		bool both;

		printf("    %s\n", smash_names[kinds[k]]);
		t_drain(s);
		/* order 0 list: 8, 4, 0; buddies stay allocated */
		t_free(s, 0);
		t_free(s, 4 * 64);
		t_free(s, 8 * 64);
		smash_bytes(s, kinds[k], 8 * 64, buf);
		if (kinds[k] == SMASH_OTHER)
			memcpy(buf, sim_addr(s, 4 * 64), M_LINK_BYTES);
		both = smash(s, 8 * 64, buf);
		/* pushing a new head must look at the old head's links */
		t_free(s, 12 * 64);
		ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 4);
		if (both || s->bc.nr_corruptions) {
			ASSERT_EQ(s->bc.nr_corruptions, 1);
			ASSERT_CHECK(&s->bc);
		}
		t_recovers(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

static void stray_write_on_lone_block_repaired(void)
{
	static const enum smash kinds[] = {
		SMASH_ZEROS, SMASH_RANDOM, SMASH_SWAP, SMASH_ZEROS_LO,
		SMASH_ZEROS_HI,
	};
	unsigned int k, o;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (o = 0; o <= 9; o += 3) {
			struct sim *s = fix(4 * MB, 4 * KB);
			unsigned char buf[M_LINK_BYTES];
			u64 x, got;

			t_alloc(s, 4 * KB);
			x = t_free_of_order(&s->bc, o);
			smash_bytes(s, kinds[k], x, buf);
			if (!memcmp(buf, sim_addr(s, x), M_LINK_BYTES)) {
				/* e.g. swapping two equal "none" links */
				sim_destroy(s);
				free(t_fix[--t_nfix]);
				continue;
			}
			smash(s, x, buf);
			got = t_alloc(s, (4 * KB) << o);
			ASSERT_EQ(got, x);
			ASSERT_EQ(s->bc.nr_corruptions, 1);
			ASSERT_CHECK(&s->bc);
			t_free_all(s);
			t_done(s);
			sim_destroy(s);
			free(t_fix[--t_nfix]);
		}
	}
}

/*
 * 64 blocks of 64 bytes, the rest allocated so that nothing merges: the
 * order 0 list 8, 4, 0 (head first), an empty order 1 list, the order 2
 * list 32, 24, 16 and a lone order 3 block at 48.
 */
static struct sim *forge_fixture(void)
{
	static const u64 runs[] = { 16, 24, 32, 48 };
	struct sim *s = fix(64 * 64, 64);
	unsigned int i, j;

	t_drain(s);
	for (i = 0; i <= 8; i += 4)
		t_free(s, i * 64);
	for (i = 0; i < ARRAY_SIZE(runs); i++)
		for (j = 0; j < (runs[i] == 48 ? 8 : 4); j++)
			t_free(s, (runs[i] + j) * 64);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 3);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 0);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 2), 3);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 3), 1);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), 3);
	return s;
}

enum forge_path {
	FORGE_POP,	/* alloc takes the order 0 head, 8 */
	FORGE_SPLIT,	/* alloc splits the order 2 head, 32 */
	FORGE_MERGE,	/* freeing 9 unlinks its buddy, the order 0 head */
	FORGE_LONE,	/* alloc takes the lone order 3 block, 48 */
};

/*
 * A forged next link on a list head must be refused, before it is
 * followed, by each way a head leaves its list: every test on the way
 * (alignment, range, free bitmap, back link, count) gets a link that fails
 * it alone, and the free bitmap gets one of each kind of block that is not
 * free at that order, including, in a merge, the block being freed.
 */
static void forged_next_link_refused_by_pop_split_and_merge(void)
{
	static const struct {
		enum forge_path path;
		u32 next;
		const char *what;
	} cases[] = {
		{ FORGE_POP, 0xffffffff, "list ends before its count" },
		{ FORGE_POP, 8, "itself" },
		{ FORGE_POP, 64, "just past the end" },
		{ FORGE_POP, 0xfffffffe, "far past the end" },
		{ FORGE_POP, 12, "an allocated block" },
		{ FORGE_POP, 49, "inside a free order 3 block" },
		{ FORGE_POP, 0, "a free block linked from 4" },
		{ FORGE_SPLIT, 0xffffffff, "list ends before its count" },
		{ FORGE_SPLIT, 32, "itself" },
		{ FORGE_SPLIT, 64, "just past the end" },
		{ FORGE_SPLIT, 0xfffffffe, "far past the end" },
		{ FORGE_SPLIT, 34, "misaligned" },
		{ FORGE_SPLIT, 12, "an allocated block" },
		{ FORGE_SPLIT, 0, "a split node" },
		{ FORGE_SPLIT, 52, "inside a free order 3 block" },
		{ FORGE_SPLIT, 16, "a free block linked from 24" },
		{ FORGE_MERGE, 0xffffffff, "list ends before its count" },
		{ FORGE_MERGE, 8, "itself" },
		{ FORGE_MERGE, 9, "the block being freed" },
		{ FORGE_MERGE, 64, "just past the end" },
		{ FORGE_MERGE, 0xfffffffe, "far past the end" },
		{ FORGE_MERGE, 12, "an allocated block" },
		{ FORGE_MERGE, 49, "inside a free order 3 block" },
		{ FORGE_MERGE, 0, "a free block linked from 4" },
		{ FORGE_LONE, 0, "an entry past the count" },
	};
	static const char *const paths[] = { "pop", "split", "merge", "lone" };
	static const u32 heads[] = { 8, 32, 8, 48 };
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct sim *s = forge_fixture();
		unsigned char buf[M_LINK_BYTES];
		u64 x = heads[cases[c].path] * 64;

		printf("    %s: %s\n", paths[cases[c].path], cases[c].what);
		memcpy(buf, sim_addr(s, x), M_LINK_BYTES);
		memcpy(buf, &cases[c].next, 4);
		smash(s, x, buf);
		switch (cases[c].path) {
		case FORGE_POP:
			ASSERT_EQ(t_alloc(s, 64), x);
			break;
		case FORGE_SPLIT:
			ASSERT_EQ(t_alloc(s, 128), x);
			break;
		case FORGE_MERGE:
			t_free(s, x + 64);
			break;
		case FORGE_LONE:
			ASSERT_EQ(t_alloc(s, 512), x);
			break;
		}
		ASSERT_EQ(s->bc.nr_corruptions, 1);
		ASSERT_CHECK(&s->bc);
		t_recovers(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

/*
 * Two stray writes that vouch for each other: the head's links swapped
 * (so it claims a predecessor and no successor) and that predecessor's
 * links both set to one of its own. The back-link test then passes, so
 * only "a list head has no predecessor" can tell.
 */
static void stray_writes_that_agree_repaired(void)
{
	unsigned int half;

	for (half = 0; half < 2; half++) {
		struct sim *s = comb(64);
		unsigned char buf[M_LINK_BYTES];
		unsigned char *b = sim_addr(s, 60 * 64);

		smash_bytes(s, SMASH_SWAP, 62 * 64, buf);
		smash(s, 62 * 64, buf);
		memcpy(buf, b, M_LINK_BYTES);
		memcpy(buf + 4 * !half, b + 4 * half, 4);
		smash(s, 60 * 64, buf);
		t_recovers(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

static void stray_write_past_links_is_harmless(void)
{
	struct sim *s = fix(1 * MB, 4 * KB);
	struct buddy_core_block blk;
	u64 pos = 0;

	t_alloc(s, 4 * KB);
	t_alloc(s, 64 * KB);
	while (buddy_core_next_block(&s->bc, &pos, &blk))
		if (blk.free)
			memset(sim_addr(s, blk.off) + M_LINK_BYTES, 0xa5,
			       ((4 * KB) << blk.order) - M_LINK_BYTES);
	ASSERT_CHECK(&s->bc);
	t_drain(s);
	ASSERT_EQ(s->bc.nr_corruptions, 0);
	t_free_all(s);
	t_done(s);
}

/* ---- the checker, white box ---- */

static void flip(unsigned long *map, u64 bit)
{
	map[bit / BITS_PER_LONG] ^= 1UL << (bit % BITS_PER_LONG);
}

/*
 * Flip the split bit of the node of @order over min block @idx, in the
 * grouped layout buddy_core.c describes: six orders a 64-bit word.
 */
static void flip_split(struct buddy_core *c, unsigned int order, u64 idx)
{
	u64 *w = &c->split[c->split_woff[order] +
			   (idx >> c->split_wshift[order])];

	*w ^= 1ULL << (c->split_pbase[order] +
		       ((idx >> order) & c->split_pmask[order]));
}

enum mutation {
	MUT_NONEMPTY,
	MUT_COUNT_LOW,
	MUT_COUNT_HIGH,
	MUT_HEAD_USED,
	MUT_HEAD_MISALIGNED,
	MUT_ABOVE_MAX_COUNT,
	MUT_ABOVE_MAX_HEAD,
	MUT_ABOVE_MAX_MASK,
	MUT_HEAD_BIT_INSIDE,
	MUT_SPLIT_BIT_INSIDE,
	MUT_UNSPLIT_ANCESTOR,
	MUT_UNMERGED_BUDDIES,
	MUT_UNLISTED_FREE,
	MUT_FREES,
	MUT_SIZE,
	MUT_ALLOCS,
	MUT_HEAD_LINK,
	NR_MUT
};

/*
 * Each mutation breaks one invariant of a copy of the state below; the
 * checker must refuse every one. This pokes at the bitmaps described in
 * buddy_core.c: a head bit per min block and a split bit per node above
 * order 0, grouped six orders to a word (see flip_split()).
 */
static void checker_reports_each_broken_invariant(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	struct buddy_core c;
	unsigned int mut;
	char msg[256];
	void *meta;

	/* blocks: 0 used o0, 1 free o0, 2 free o1, 4 used o2, 8 free o3 */
	ASSERT_EQ(t_alloc(s, 4 * KB), 0);
	ASSERT_EQ(t_alloc(s, 16 * KB), 16 * KB);
	meta = t_malloc(s->meta_size);
	for (mut = 0; mut < NR_MUT; mut++) {
		ASSERT_EQ(buddy_core_snapshot(&s->bc, &c, meta, s->meta_size),
			  0);
		ASSERT_CHECK(&c);
		switch (mut) {
		case MUT_NONEMPTY:
			c.nonempty |= 1U << 2;
			break;
		case MUT_COUNT_LOW:
			c.nr_free[0] = 0;
			break;
		case MUT_COUNT_HIGH:
			c.nr_free[1] = 2;
			break;
		case MUT_HEAD_USED:
			c.free_head[3] = 0;
			break;
		case MUT_HEAD_MISALIGNED:
			c.free_head[1] = 1;
			break;
		case MUT_ABOVE_MAX_COUNT:
			c.nr_free[5] = 1;
			break;
		case MUT_ABOVE_MAX_HEAD:
			c.free_head[6] = 0;
			break;
		case MUT_ABOVE_MAX_MASK:
			c.nonempty |= 1U << 5;
			break;
		case MUT_HEAD_BIT_INSIDE:
			flip(c.head, 5);
			break;
		case MUT_SPLIT_BIT_INSIDE:
			flip_split(&c, 1, 10);
			break;
		case MUT_UNSPLIT_ANCESTOR:
			flip_split(&c, 3, 0);
			break;
		case MUT_UNMERGED_BUDDIES:
			flip(c.head, 0);
			break;
		case MUT_UNLISTED_FREE:
			flip(c.head, 4);
			break;
		case MUT_FREES:
			c.nr_frees++;
			break;
		case MUT_SIZE:
			c.present -= 4 * KB;
			break;
		case MUT_ALLOCS:
			c.nr_allocs++;
			break;
		case MUT_HEAD_LINK:
			c.head_link[3] = c.head_link[1];
			break;
		}
		msg[0] = '\0';
		ASSERT_EQ(buddy_core_check(&c, msg, sizeof(msg)), -EUCLEAN);
		ASSERT(msg[0]);
		printf("    %2u: %s\n", mut, msg);
	}
	t_done(s);
}

/* A copy of @s's state for the checker to judge after a mutation. */
static struct buddy_core *t_copy(struct sim *s, struct buddy_core *c)
{
	void *meta = t_malloc(s->meta_size);

	ASSERT_EQ(buddy_core_snapshot(&s->bc, c, meta, s->meta_size), 0);
	ASSERT_CHECK(c);
	return c;
}

static void t_refused(const struct buddy_core *c)
{
	char msg[256] = "";

	ASSERT_EQ(buddy_core_check(c, msg, sizeof(msg)), -EUCLEAN);
	ASSERT(msg[0]);
	printf("    %s\n", msg);
}

/* List entries that name no free block of their list's order. */
static void checker_refuses_bogus_list_entries(void)
{
	struct buddy_core c;
	struct sim *s;

	/* 12 blocks: roots of order 3 at 0 and order 2 at 8 */
	s = fix(12 * 4 * KB, 4 * KB);
	t_copy(s, &c)->free_head[3] = 8;	/* would run past the end */
	t_refused(&c);
	t_done(s);

	/* blocks: 0 free o0, 1 used o0, 2 free o1, 4 free o2, 8 free o3 */
	s = fix(64 * KB, 4 * KB);
	ASSERT_EQ(t_alloc(s, 4 * KB), 0);
	ASSERT_EQ(t_alloc(s, 4 * KB), 4 * KB);
	t_free(s, 0);
	t_copy(s, &c)->free_head[1] = 0;	/* a split node */
	t_refused(&c);
	t_copy(s, &c)->free_head[2] = 8;	/* inside a free block */
	t_refused(&c);
	t_copy(s, &c)->free_head[0] = 2;	/* an order 1 block */
	t_refused(&c);
	t_done(s);

	/* blocks: 0 used o1, 2 free o1, 4 free o2, 8 free o3 */
	s = fix(64 * KB, 4 * KB);
	ASSERT_EQ(t_alloc(s, 8 * KB), 0);
	flip(t_copy(s, &c)->head, 0);		/* order 1 buddies unmerged */
	t_refused(&c);
	t_done(s);
}

/* ---- ranges, exact allocations and segments (issue 8) ---- */

/* A range allocation through the driver; its offset. */
static u64 t_range(struct sim *s, u64 size, u64 align, u64 start, u64 end,
		   unsigned int flags)
{
	u64 live = s->nr_live;

	ASSERT_SIM(s, sim_alloc_range(s, size, align, start, end, flags));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(s->nr_live, live + 1);
	return s->live[live];
}

static void t_range_fails(struct sim *s, u64 size, u64 align, u64 start,
			  u64 end, unsigned int flags, int err)
{
	u64 p, q, failed = s->bc.nr_failed;

	ASSERT_EQ(model_range(&s->m, size, align, start, end, flags, &p, &q),
		  err);
	ASSERT_SIM(s, sim_alloc_range(s, size, align, start, end, flags));
	ASSERT_EQ(s->bc.nr_failed, failed + 1);
	ASSERT_SIM(s, sim_verify(s));
}

static void range_takes_lowest_or_highest_fit(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);

	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, 0, 0), 0);
	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, 0, BUDDY_CORE_TOPDOWN), 60 * KB);
	ASSERT_EQ(t_range(s, 8 * KB, 0, 5 * KB, 30 * KB, 0), 8 * KB);
	ASSERT_EQ(t_range(s, 8 * KB, 0, 5 * KB, 30 * KB, BUDDY_CORE_TOPDOWN),
		  16 * KB);
	/* the end is clipped to the range */
	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, ~0ULL, BUDDY_CORE_TOPDOWN),
		  56 * KB);
	t_range_fails(s, 0, 0, 0, 0, 0, -EINVAL);
	t_range_fails(s, 4 * KB, 3, 0, 0, 0, -EINVAL);
	t_range_fails(s, 4 * KB, 0, 0, 0, 2, -EINVAL);
	t_range_fails(s, 4 * KB, 0, 8 * KB, 8 * KB, 0, -EINVAL);
	t_range_fails(s, 4 * KB, 0, 64 * KB, 0, 0, -EINVAL);
	t_range_fails(s, 128 * KB, 0, 0, 0, 0, -E2BIG);
	/* a window smaller than the block, or fully allocated */
	t_range_fails(s, 8 * KB, 0, 1 * KB, 9 * KB, 0, -ENOMEM);
	t_range_fails(s, 4 * KB, 0, 8 * KB, 24 * KB, 0, -ENOMEM);
	t_free_all(s);
	t_done(s);
}

/* Only the top (or a window) of a fragmented pool has room. */
static void range_fits_where_plain_alloc_would_not_look(void)
{
	struct sim *s = fix(64 * KB, 1 * KB);
	u64 i;

	/* every other min block (the odd ones) free, but the top 8 KB */
	t_drain(s);
	for (i = 1; i < 56; i += 2)
		t_free(s, i * KB);
	for (i = 56; i < 64; i++)
		t_free(s, i * KB);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), 3);
	ASSERT_EQ(t_range(s, 1 * KB, 0, 0, 0, BUDDY_CORE_TOPDOWN), 63 * KB);
	ASSERT_EQ(t_range(s, 1 * KB, 0, 0, 0, 0), 1 * KB);
	/* 2 KB fits only in the top block; aligned 1 KB likewise */
	ASSERT_EQ(t_range(s, 2 * KB, 0, 0, 0, 0), 56 * KB);
	ASSERT_EQ(t_range(s, 1 * KB, 4 * KB, 0, 0, 0), 60 * KB);
	/* alignment larger than the size on the fragmented part: none */
	t_range_fails(s, 1 * KB, 2 * KB, 0, 56 * KB, 0, -ENOMEM);
	t_range_fails(s, 1 * KB, 8 * KB, 0, 56 * KB, BUDDY_CORE_TOPDOWN,
		      -ENOMEM);
	ASSERT_EQ(t_range(s, 1 * KB, 0, 10 * KB, 56 * KB, BUDDY_CORE_TOPDOWN),
		  55 * KB);
	ASSERT_EQ(t_range(s, 1 * KB, 0, 10 * KB, 56 * KB, 0), 11 * KB);
	t_free_all(s);
	t_done(s);
}

/* A full window fails while the rest of the range is free. */
static void range_exhausts_its_window_only(void)
{
	struct sim *s = fix(256 * KB, 4 * KB);
	u64 i;

	for (i = 0; i < 8; i++)
		ASSERT_EQ(t_range(s, 4 * KB, 0, 96 * KB, 128 * KB,
				  i & 1 ? BUDDY_CORE_TOPDOWN : 0),
			  i & 1 ? 124 * KB - i / 2 * 4 * KB :
				  96 * KB + i / 2 * 4 * KB);
	t_range_fails(s, 4 * KB, 0, 96 * KB, 128 * KB, 0, -ENOMEM);
	t_range_fails(s, 4 * KB, 0, 96 * KB, 128 * KB, BUDDY_CORE_TOPDOWN,
		      -ENOMEM);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 224 * KB);
	ASSERT_EQ(t_alloc(s, 128 * KB), 128 * KB);
	t_free_all(s);
	t_done(s);
}

static void exact_keeps_n_blocks_for_every_n(void)
{
	struct sim *s = fix(256 * KB, 4 * KB);
	u64 n, off;

	for (n = 1; n <= 64; n++) {
		ASSERT_SIM(s, sim_alloc_exact(s, n * 4 * KB - 1));
		ASSERT_SIM(s, sim_verify(s));
		ASSERT_EQ(buddy_core_used_bytes(&s->bc), n * 4 * KB);
		off = s->ex_off[s->nr_exact - 1];
		ASSERT_SIM(s, sim_free_exact(s, off, n * 4 * KB - 1));
		ASSERT_SIM(s, sim_verify(s));
		ASSERT(model_is_pristine(&s->m));
	}
	ASSERT_EQ(buddy_core_alloc_exact(&s->bc, 256 * KB + 1, &off), -E2BIG);
	ASSERT_EQ(buddy_core_alloc_exact(&s->bc, 0, &off), -EINVAL);
	s->m.nr_failed += 2;
	t_done(s);

	/* n = 5 in an order 3 block: parts 4 + 1, free 1 + 2 */
	s = fix(32 * KB, 4 * KB);
	ASSERT_SIM(s, sim_alloc_exact(s, 5 * 4 * KB));
	{
		static const struct blk_want w[] = {
			{ 0, 2, false }, { 16 * KB, 0, false },
			{ 20 * KB, 0, true }, { 24 * KB, 1, true },
		};
		t_blocks(&s->bc, w, ARRAY_SIZE(w));
	}
	t_done(s);
}

static void free_exact_refuses_wrong_calls_changing_nothing(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	u64 off;

	ASSERT_SIM(s, sim_alloc_exact(s, 20 * KB));	/* 4 + 1 blocks */
	off = s->ex_off[0];
	ASSERT_EQ(t_alloc(s, 16 * KB), 32 * KB);
	/* each is checked against the model and must change nothing */
	ASSERT_SIM(s, sim_free_exact(s, off, 24 * KB));	/* 4 + 2 */
	ASSERT_SIM(s, sim_free_exact(s, off, 12 * KB));	/* 2 + 1 */
	ASSERT_SIM(s, sim_free_exact(s, off + 4 * KB, 20 * KB));
	ASSERT_SIM(s, sim_free_exact(s, off + 1, 20 * KB));
	ASSERT_SIM(s, sim_free_exact(s, 32 * KB, 20 * KB));
	ASSERT_SIM(s, sim_free_exact(s, 64 * KB, 20 * KB));
	ASSERT_SIM(s, sim_free_exact(s, off, 0));
	ASSERT_SIM(s, sim_free_exact(s, off, 128 * KB));
	ASSERT_EQ(s->bc.nr_bad_frees, 8);
	ASSERT_EQ(buddy_core_free_exact(&s->bc, off, 24 * KB), -EINVAL);
	ASSERT_EQ(buddy_core_free_exact(&s->bc, off + 4 * KB, 4 * KB),
		  -ENOENT);
	ASSERT_EQ(buddy_core_free_exact(&s->bc, 20 * KB, 4 * KB), -EALREADY);
	s->m.nr_bad_frees += 3;
	/* a normal block freed as exact: 16 KB is one part, so it works */
	ASSERT_SIM(s, sim_free_exact(s, 32 * KB, 16 * KB));
	ASSERT_SIM(s, sim_free_exact(s, off, 20 * KB));
	ASSERT(model_is_pristine(&s->m));
	t_done(s);
}

/* Segment number @seg of @s gets fresh memory and is added. */
static void t_add_seg(struct sim *s, u64 seg)
{
	ASSERT_SIM(s, sim_add_seg(s, seg, true));
	ASSERT_SIM(s, sim_verify(s));
}

static void segments_come_and_go(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	u64 i;

	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	/* four 16 KB segments of 4 KB blocks; 1 and 3 absent at init */
	s->absent_init = 0xa;
	ASSERT_SIM(s, sim_init(s, 64 * KB, 4 * KB, 14, &t_rng) == 1);
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_size(&s->bc), 32 * KB);
	ASSERT_EQ(buddy_core_range(&s->bc), 64 * KB);
	ASSERT(!buddy_core_segment_present(&s->bc, 1));
	ASSERT(buddy_core_segment_present(&s->bc, 2));
	ASSERT(!buddy_core_segment_present(&s->bc, 4));
	/* frees and probes into an absent segment: -ERANGE */
	t_bad_free(s, 16 * KB, -ERANGE);
	t_bad_free(s, 20 * KB, -ERANGE);
	t_bad_free(s, 60 * KB, -ERANGE);
	ASSERT_SIM(s, sim_free_exact(s, 16 * KB, 4 * KB));
	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, 0, BUDDY_CORE_TOPDOWN), 44 * KB);
	t_range_fails(s, 4 * KB, 0, 48 * KB, 0, 0, -ENOMEM);
	/* add: -EINVAL without memory or number, -EEXIST when present */
	ASSERT_SIM(s, sim_add_seg(s, 1, false));
	ASSERT_SIM(s, sim_add_seg(s, 4, true));
	ASSERT_SIM(s, sim_add_seg(s, 0, true));
	ASSERT_EQ(buddy_core_add_segment(&s->bc, 0), -EEXIST);
	ASSERT_EQ(buddy_core_add_segment(&s->bc, 1), -EINVAL);
	t_add_seg(s, 3);
	ASSERT_EQ(buddy_core_size(&s->bc), 48 * KB);
	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, 0, BUDDY_CORE_TOPDOWN), 60 * KB);
	/* remove: busy, absent, no such segment; nothing changes */
	ASSERT_SIM(s, sim_remove_seg(s, 2));
	ASSERT_SIM(s, sim_remove_seg(s, 1));
	ASSERT_SIM(s, sim_remove_seg(s, 4));
	ASSERT_EQ(buddy_core_remove_segment(&s->bc, 2), -EBUSY);
	ASSERT_EQ(buddy_core_remove_segment(&s->bc, 1), -ENOENT);
	ASSERT_EQ(buddy_core_remove_segment(&s->bc, 9), -EINVAL);
	ASSERT_SIM(s, sim_verify(s));
	/* round trips */
	for (i = 0; i < 3; i++) {
		ASSERT_SIM(s, sim_evacuate(s, 3));
		ASSERT_SIM(s, sim_verify(s));
		ASSERT_EQ(buddy_core_size(&s->bc), 32 * KB);
		t_add_seg(s, 3);
		t_add_seg(s, 1);
		ASSERT_SIM(s, sim_evacuate(s, 1));
		ASSERT_SIM(s, sim_verify(s));
	}
	t_add_seg(s, 1);
	t_drain(s);
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 64 * KB);
	t_free_all(s);
	/* everything can go, then come back */
	for (i = 0; i < 4; i++)
		ASSERT_SIM(s, sim_remove_seg(s, i));
	ASSERT_EQ(buddy_core_size(&s->bc), 0);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), -1);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	for (i = 0; i < 4; i++)
		t_add_seg(s, i);
	ASSERT(model_is_pristine(&s->m));
	t_done(s);
}

/*
 * The range search reads few bitmap words on a big fragmented pool: 2^20
 * min blocks, every other one allocated below 3/4 of the range (the odd
 * ones free, so no aligned pair is), a free order 5 block near the top.
 */
static void range_search_cost_is_bounded(void)
{
	const u64 nb = 1ULL << 20, mb = 16;
	struct buddy_core *bc;
	struct sim *s;
	u64 i, off, before, n, w, bound;
	unsigned int j;

	s = fix(nb * mb, mb);
	bc = &s->bc;
	/* the model is too slow here: drive the core directly */
	for (i = 0; i < nb; i++)
		ASSERT_EQ(buddy_core_alloc(bc, mb, &off), 0);
	for (i = 1; i < nb * 3 / 4; i += 2)
		ASSERT_EQ(buddy_core_free(bc, i * mb), 0);
	for (i = nb - 1024; i < nb - 992; i++)
		ASSERT_EQ(buddy_core_free(bc, i * mb), 0);
	ASSERT_EQ(buddy_core_nr_free(bc, 0), nb * 3 / 8);
	ASSERT_EQ(buddy_core_nr_free(bc, 5), 1);
	/* over the whole range; the bound of the kernel-doc */
	for (j = 0; j < 6; j++) {
		u64 align = j < 3 ? 0 : mb << (j * 2);
		unsigned int flags = j & 1 ? BUDDY_CORE_TOPDOWN : 0;
		u64 size = j == 2 ? 8 * mb : mb;

		before = bc->nr_scanned;
		ASSERT_EQ(buddy_core_alloc_range(bc, size, align, 0, 0, flags,
						 &off), 0);
		n = bc->nr_scanned - before;
		/* orders x (summary words + 3 + 3) plus aligned steps */
		w = nb;
		bound = 21 * (w / 4096 + 8) + 21 * 2 * (align ?
			(w * mb / align + 2) : 0);
		printf("    size %llu align %llu %s: %llu words read, at %#llx\n",
		       ULL(size), ULL(align), flags ? "topdown" : "lowest",
		       ULL(n), ULL(off));
		ASSERT(n <= bound);
		ASSERT(n * 16 < nb * 3 / 8);
		ASSERT_EQ(buddy_core_free(bc, off), 0);
	}
	/* a window in the comb, aligned above the size: none fits (steps) */
	before = bc->nr_scanned;
	ASSERT_EQ(buddy_core_alloc_range(bc, mb, 256 * mb, 1000 * mb,
					 500000 * mb, 0, &off), -ENOMEM);
	n = bc->nr_scanned - before;
	printf("    aligned window with no fit: %llu words read\n", ULL(n));
	ASSERT(n <= 21 * (2 * (499000 / 256 + 2) + 500000 / 4096 + 8));
	ASSERT(n * 10 < nb * 3 / 8);
	for (i = 0; i < nb; i++)
		if (buddy_core_block_order(bc, i * mb) >= 0)
			ASSERT_EQ(buddy_core_free(bc, i * mb), 0);
	ASSERT_CHECK(bc);
	/* keep the driver's books straight for t_cleanup's model */
	sim_destroy(s);
	free(t_fix[--t_nfix]);
}

/* Stray writes into free links are caught when range/exact calls unlink. */
static void stray_write_caught_by_range_and_exact(void)
{
	unsigned int kind;

	for (kind = 0; kind < 2; kind++) {
		struct sim *s = comb(64);
		unsigned char buf[M_LINK_BYTES];

		smash_bytes(s, SMASH_ZEROS, 32 * 64, buf);
		ASSERT(smash(s, 32 * 64, buf));
		if (kind)
			ASSERT_EQ(t_range(s, 64, 0, 32 * 64, 33 * 64, 0),
				  32 * 64);
		else
			ASSERT_EQ(t_range(s, 64, 0, 30 * 64, 40 * 64,
					  BUDDY_CORE_TOPDOWN), 38 * 64);
		t_recovers(s);
	}
}

/* The free bitmaps, their summaries and absent segments, white box. */
static void checker_reports_broken_free_bitmaps_and_segments(void)
{
	struct buddy_core c;
	struct sim *s;
	unsigned int mut;

	s = calloc(1, sizeof(*s));
	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	/* four 16 KB segments of 4 KB blocks, segment 2 absent */
	s->absent_init = 0x4;
	ASSERT_SIM(s, sim_init(s, 64 * KB, 4 * KB, 14, &t_rng) == 1);
	ASSERT_EQ(t_alloc(s, 4 * KB), 0);
	for (mut = 0; mut < 9; mut++) {
		t_copy(s, &c);
		switch (mut) {
		case 0:		/* a summary bit without its word */
			c.fsum[0][0] |= 2;
			break;
		case 1:		/* a word without its summary bit */
			c.fsum[0][0] = 0;
			break;
		case 2:		/* a summary bit past the bitmap */
			c.fsum[2][0] |= 1ULL << 40;
			break;
		case 3:		/* a free bit with no free block */
			c.fmap[1][0] |= 1;
			break;
		case 4:		/* a free block without its bit */
			c.fmap[2][0] &= ~(1ULL << 3);
			break;
		case 5:		/* a head bit in the absent segment */
			flip(c.head, 9);
			break;
		case 6:		/* a split bit in the absent segment */
			flip_split(&c, 2, 8);
			break;
		case 7:		/* a free bit in the absent segment */
			c.fmap[1][0] |= 1ULL << 5;
			c.fsum[1][0] |= 1;
			break;
		case 8:		/* the present bytes */
			c.present += 16 * KB;
			break;
		}
		t_refused(&c);
	}
	t_free_all(s);
	t_done(s);
}

/* ---- known-zero blocks ---- */

/* A fixture whose memory was zeroed before init and marked known zero. */
static struct sim *fix_zeroed(u64 size, u64 min_block,
			      unsigned int seg_shift)
{
	struct sim *s = calloc(1, sizeof(*s));

	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	s->zero_init = 1;
	s->add_zeroed = 1;
	ASSERT_SIM(s, sim_init(s, size, min_block, seg_shift, &t_rng) == 1);
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_CHECK(&s->bc);
	return s;
}

/* Is the zero bit of the block at @off set? (white box) */
static bool t_zbit(const struct buddy_core *bc, u64 off)
{
	u64 i = off >> bc->min_shift;

	return (bc->zmap[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;
}

static u64 t_range_ok(struct sim *s, u64 size, u64 start, u64 end,
		      unsigned int flags)
{
	u64 live = s->nr_live;

	ASSERT_SIM(s, sim_alloc_range(s, size, 0, start, end, flags));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(s->nr_live, live + 1);
	return s->live[live];
}

static u64 t_exact(struct sim *s, u64 size)
{
	u64 nr = s->nr_exact;

	ASSERT_SIM(s, sim_alloc_exact(s, size));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(s->nr_exact, nr + 1);
	return s->ex_off[nr];
}

static void t_free_zeroed(struct sim *s, u64 off)
{
	ASSERT_SIM(s, sim_free_z(s, off, true));
	ASSERT_SIM(s, sim_verify(s));
}

static void t_set_zeroed(struct sim *s, u64 start, u64 end)
{
	ASSERT_SIM(s, sim_set_zeroed(s, start, end));
	ASSERT_SIM(s, sim_verify(s));
}

static void init_leaves_nothing_known_zero(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	u64 a;

	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 0);
	ASSERT(!t_zbit(&s->bc, 0));
	a = t_alloc(s, 4 * KB);
	ASSERT(!buddy_core_zeroed(&s->bc, a));
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 0);
	/* the caller zeroed it all before init: every free block is zero */
	t_set_zeroed(s, 0, 64 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 60 * KB);
	ASSERT(!buddy_core_zeroed(&s->bc, a));
	t_free_all(s);
	t_done(s);
}

/*
 * Splitting a known-zero block leaves both halves known zero, and the
 * block handed out reads as zeros, even where a half kept its links.
 */
static void zero_split_keeps_zero_in_both_halves(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_SEGMENT);
	static const u64 halves[] = { 4 * KB, 8 * KB, 16 * KB, 32 * KB };
	unsigned int i;
	u64 a, b, zallocs;

	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 64 * KB);
	a = t_alloc(s, 4 * KB);
	ASSERT_EQ(a, 0);
	ASSERT(buddy_core_zeroed(&s->bc, a));
	for (i = 0; i < ARRAY_SIZE(halves); i++) {
		ASSERT(t_zbit(&s->bc, halves[i]));
		/* a free half holds its links: the core owns those bytes */
		ASSERT(!sim_all_zero(s, halves[i], M_LINK_BYTES));
	}
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 60 * KB);
	/*
	 * the half at 4K is handed out with its links cleared: sim_alloc()
	 * found every byte zero (and counted it) before writing its pattern
	 */
	zallocs = s->nr_zero_allocs;
	b = t_alloc(s, 4 * KB);
	ASSERT_EQ(b, 4 * KB);
	ASSERT(buddy_core_zeroed(&s->bc, b));
	ASSERT_EQ(s->nr_zero_allocs, zallocs + 1);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 56 * KB);
	/* a split of a half: 8K becomes 4K + 4K, both zero */
	ASSERT(buddy_core_zeroed(&s->bc, t_alloc(s, 4 * KB)));
	ASSERT(t_zbit(&s->bc, 12 * KB));
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 52 * KB);
	t_free_all(s);
	t_done(s);
}

/*
 * A merge keeps the zero bit only if both halves have it: a zeroed free
 * next to a dirty buddy loses it, and so does everything it merges into.
 */
static void zero_merge_with_nonzero_buddy_loses_it(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_SEGMENT);
	u64 a, b, zallocs;

	a = t_alloc(s, 4 * KB);
	b = t_alloc(s, 4 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 56 * KB);
	/*
	 * both back zeroed: one zero block again, whose every byte reads
	 * zero when it is handed out (sim_alloc() checks), the links the
	 * merged halves held included
	 */
	t_free_zeroed(s, b);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 60 * KB);
	t_free_zeroed(s, a);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 64 * KB);
	zallocs = s->nr_zero_allocs;
	ASSERT_EQ(t_alloc(s, 64 * KB), 0);
	ASSERT(buddy_core_zeroed(&s->bc, 0));
	ASSERT_EQ(s->nr_zero_allocs, zallocs + 1);
	t_free_zeroed(s, 0);

	/* now b comes back dirty: a, freed zeroed, merges into nothing zero */
	a = t_alloc(s, 4 * KB);
	b = t_alloc(s, 4 * KB);
	t_free(s, b);
	ASSERT(!t_zbit(&s->bc, b));
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 56 * KB);
	t_free_zeroed(s, a);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 4), 1);
	ASSERT(!t_zbit(&s->bc, 0));
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 0);

	/* and a dirty free next to a zero buddy takes the buddy's bit away */
	t_set_zeroed(s, 0, 64 * KB);
	a = t_alloc(s, 4 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 60 * KB);
	t_free(s, a);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 0);
	t_done(s);
}

/*
 * zero_bytes through every call that moves bytes in or out of the free
 * set: alloc, free, free_zeroed, alloc_exact (and its trimmed tail),
 * free_exact and free_exact_zeroed, alloc_range, remove_segment,
 * add_segment and set_zeroed. Four 64K segments of 4K blocks.
 */
static void zero_bytes_follow_every_call(void)
{
	struct sim *s = fix_zeroed(256 * KB, 4 * KB, 16);
	struct buddy_core *bc = &s->bc;
	u64 a, e, r1, r2;

	ASSERT_EQ(buddy_core_zero_bytes(bc), 256 * KB);
	a = t_alloc(s, 4 * KB);
	ASSERT_EQ(a, 0);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 252 * KB);
	/* dirty free: the whole segment merges back, not zero */
	t_free(s, a);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 192 * KB);
	a = t_alloc(s, 4 * KB);
	ASSERT_EQ(a, 0);
	ASSERT(!buddy_core_zeroed(bc, a));
	/* zeroed free, dirty buddy: still not zero */
	t_free_zeroed(s, a);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 192 * KB);
	t_set_zeroed(s, 0, 64 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 256 * KB);

	/* 12K exact from a 16K block: the 4K tail goes back zero */
	e = t_exact(s, 12 * KB);
	ASSERT_EQ(e, 0);
	ASSERT(buddy_core_zeroed(bc, e));
	ASSERT(buddy_core_zeroed(bc, e + 8 * KB));
	ASSERT(t_zbit(bc, 12 * KB));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 244 * KB);
	/* dirty parts: every zero buddy they merge with loses its bit */
	ASSERT_SIM(s, sim_free_exact(s, e, 12 * KB));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 192 * KB);
	t_set_zeroed(s, 0, 64 * KB);
	e = t_exact(s, 12 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 244 * KB);
	ASSERT_SIM(s, sim_free_exact_z(s, e, 12 * KB, true));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 256 * KB);

	/* ranges, bottom-up and top-down */
	r1 = t_range_ok(s, 4 * KB, 128 * KB, 192 * KB, 0);
	ASSERT_EQ(r1, 128 * KB);
	ASSERT(buddy_core_zeroed(bc, r1));
	r2 = t_range_ok(s, 8 * KB, 192 * KB, 0, BUDDY_CORE_TOPDOWN);
	ASSERT_EQ(r2, 248 * KB);
	ASSERT(buddy_core_zeroed(bc, r2));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 244 * KB);
	t_free_zeroed(s, r1);
	t_free(s, r2);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 192 * KB);

	/* a removed segment takes its zero bytes along, and brings none */
	ASSERT_SIM(s, sim_remove_seg(s, 1));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 128 * KB);
	ASSERT_SIM(s, sim_remove_seg(s, 3));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 128 * KB);
	t_add_seg(s, 1);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 128 * KB);
	/* a freshly zeroed segment, marked after it was added */
	s->add_zeroed = 2;
	t_add_seg(s, 3);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 192 * KB);
	/* set_zeroed over an absent-free, mixed span: idempotent */
	t_set_zeroed(s, 0, 256 * KB);
	t_set_zeroed(s, 0, 256 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 256 * KB);
	t_done(s);
}

/*
 * set_zeroed() marks just the free blocks wholly inside its span, whatever
 * the span's alignment, clips it to the range and leaves allocated blocks
 * alone.
 */
static void set_zeroed_marks_free_blocks_wholly_inside(void)
{
	struct sim *s = fix(64 * KB, 4 * KB);
	struct buddy_core *bc = &s->bc;
	u64 a = t_alloc(s, 4 * KB);

	/* free: 4K@4K, 8K@8K, 16K@16K, 32K@32K */
	t_set_zeroed(s, 4 * KB + 1, 64 * KB - 1);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 24 * KB);
	ASSERT(t_zbit(bc, 8 * KB) && t_zbit(bc, 16 * KB));
	ASSERT(!t_zbit(bc, 4 * KB) && !t_zbit(bc, 32 * KB));
	t_set_zeroed(s, 0, 6 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 24 * KB);
	t_set_zeroed(s, 8 * KB, 4 * KB);
	t_set_zeroed(s, 64 * KB, 1ULL << 40);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 24 * KB);
	t_set_zeroed(s, 32 * KB, 1ULL << 40);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 56 * KB);
	t_set_zeroed(s, 0, 64 * KB);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 60 * KB);
	ASSERT(!buddy_core_zeroed(bc, a));
	ASSERT(!t_zbit(bc, a));
	t_free_all(s);
	t_done(s);
}

/* zeroed() answers for allocated blocks only, and changes nothing. */
static void zeroed_answers_for_allocated_blocks_only(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_SEGMENT);
	struct buddy_core *bc = &s->bc;
	u64 a = t_alloc(s, 8 * KB), b;

	ASSERT(buddy_core_zeroed(bc, a));
	/* a known-zero free block is no allocated block */
	ASSERT(t_zbit(bc, 8 * KB));
	ASSERT(!buddy_core_zeroed(bc, 8 * KB));
	ASSERT(!buddy_core_zeroed(bc, a + 4 * KB));
	ASSERT(!buddy_core_zeroed(bc, a + 1));
	ASSERT(!buddy_core_zeroed(bc, 64 * KB));
	ASSERT(!buddy_core_zeroed(bc, ~0ULL));
	ASSERT_SIM(s, sim_probe(s, a));
	ASSERT_SIM(s, sim_probe(s, 8 * KB));
	/* dirty once freed, so dirty when allocated again */
	t_free(s, a);
	b = t_alloc(s, 64 * KB);
	ASSERT(!buddy_core_zeroed(bc, b));
	t_free_zeroed(s, b);
	b = t_alloc(s, 64 * KB);
	ASSERT(buddy_core_zeroed(bc, b));
	t_free_all(s);
	t_done(s);
}

/* The snapshot carries the zero bits and the count, and keeps them. */
static void snapshot_keeps_zero_bits(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_SEGMENT);
	struct buddy_core c;
	u64 a = t_alloc(s, 4 * KB);

	t_copy(s, &c);
	ASSERT_EQ(buddy_core_zero_bytes(&c), 60 * KB);
	ASSERT(t_zbit(&c, a) && t_zbit(&c, 32 * KB));
	t_free(s, a);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 0);
	ASSERT_EQ(buddy_core_zero_bytes(&c), 60 * KB);
	ASSERT(t_zbit(&c, a) && t_zbit(&c, 32 * KB));
	ASSERT_CHECK(&c);
	t_done(s);
}

/* The checker's view of the zero bits, white box. */
static void checker_reports_broken_zero_bits(void)
{
	struct buddy_core c;
	struct sim *s;
	unsigned int mut;

	s = calloc(1, sizeof(*s));
	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	/* four 16 KB segments of 4 KB blocks, segment 2 absent */
	s->absent_init = 0x4;
	s->zero_init = 1;
	ASSERT_SIM(s, sim_init(s, 64 * KB, 4 * KB, 14, &t_rng) == 1);
	ASSERT_EQ(t_alloc(s, 4 * KB), 0);
	ASSERT_EQ(buddy_core_zero_bytes(&s->bc), 44 * KB);
	for (mut = 0; mut < 7; mut++) {
		t_copy(s, &c);
		switch (mut) {
		case 0:		/* a bit inside a free block */
			flip(c.zmap, 13);
			break;
		case 1:		/* a bit inside... at an absent segment */
			flip(c.zmap, 8);
			break;
		case 2:		/* a free block's bit gone, count unchanged */
			flip(c.zmap, 1);
			break;
		case 3:		/* an allocated block's bit is no free byte */
			flip(c.zmap, 0);
			c.zero_bytes += 4 * KB;
			break;
		case 4:		/* the count */
			c.zero_bytes -= 4 * KB;
			break;
		case 5:		/* an allocated block's bit, uncounted */
			flip(c.zmap, 0);
			break;
		case 6:		/* the allocated count */
			c.zero_used++;
			break;
		}
		t_refused(&c);
	}
	t_free_all(s);
	t_done(s);
}

/* ---- damaged links that say "none" or point home ---- */

/*
 * The case that went unseen: 128 bytes of 16-byte blocks, all allocated,
 * then 16, 48 and 80 freed, so the order 0 list runs 80, 48, 16 (head
 * first) and no two of them are buddies.
 */
static struct sim *nil_fixture(void)
{
	struct sim *s = fix(128, 16);

	t_drain(s);
	ASSERT_EQ(s->nr_live, 8);
	t_free(s, 16);
	t_free(s, 48);
	t_free(s, 80);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 3);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 0);
	ASSERT_CHECK(&s->bc);
	return s;
}

/*
 * Bytes 0-3 of block 48, its next link, set to 0xffffffff ("none") while
 * 16 still follows it. free(32) merges 32 with 48, unlinking 48: only the
 * tail may say "none", so the merge must see it, count it once and
 * rebuild the lists, and check must agree with the counter.
 */
static void stray_nil_next_link_caught_on_merge(void)
{
	static const struct blk_want after[] = {
		{ 0, 0, false }, { 16, 0, true }, { 32, 1, true },
		{ 64, 0, false }, { 80, 0, true }, { 96, 0, false },
		{ 112, 0, false },
	};
	struct sim *s = nil_fixture();
	unsigned char buf[M_LINK_BYTES];
	char msg[256] = "";

	memcpy(buf, sim_addr(s, 48), M_LINK_BYTES);
	memset(buf, 0xff, 4);
	smash(s, 48, buf);
	ASSERT_EQ(buddy_core_check(&s->bc, msg, sizeof(msg)), -EUCLEAN);
	printf("    before: %s\n", msg);
	ASSERT_EQ(s->bc.nr_corruptions, 0);
	t_free(s, 32);
	ASSERT_EQ(s->bc.nr_corruptions, 1);
	ASSERT_EQ(buddy_core_check(&s->bc, msg, sizeof(msg)), 0);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 2);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 1), 1);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 64);
	t_blocks(&s->bc, after, ARRAY_SIZE(after));
	/* and every free block can be had exactly once */
	t_recovers(s);
}

/*
 * Every link of the three-block list that a stray write could set to
 * "none" or to the block itself, each caught by the first operation that
 * touches it: a merge or a range allocation unlinking the block, the
 * unlink of its neighbour, a pop, or a push onto it.
 */
static void stray_nil_or_self_links_caught_on_first_touch(void)
{
	enum nil_op { OP_FREE, OP_RANGE, OP_POP2 };
	static const struct {
		u64 x;		/* the block whose link is damaged */
		unsigned int hi;	/* 0: next link, 1: previous link */
		bool self;	/* to itself, else NIL */
		enum nil_op op;
		u64 arg;	/* what is freed or allocated */
		const char *what;
	} cases[] = {
		{ 48, 0, false, OP_FREE, 32, "inner next NIL, merge" },
		{ 48, 0, false, OP_RANGE, 48, "inner next NIL, range alloc" },
		{ 48, 0, false, OP_FREE, 0, "inner next NIL, tail merges" },
		{ 48, 0, false, OP_POP2, 0, "inner next NIL, popped as head" },
		{ 48, 1, false, OP_FREE, 32, "inner prev NIL, merge" },
		{ 48, 1, false, OP_FREE, 64, "inner prev NIL, head merges" },
		{ 48, 0, true, OP_FREE, 32, "inner next self, merge" },
		{ 48, 0, true, OP_FREE, 0, "inner next self, tail merges" },
		{ 48, 1, true, OP_FREE, 32, "inner prev self, merge" },
		{ 48, 1, true, OP_FREE, 64, "inner prev self, head merges" },
		{ 16, 1, false, OP_FREE, 0, "tail prev NIL, merge" },
		{ 16, 0, true, OP_FREE, 0, "tail next self, merge" },
		{ 16, 0, true, OP_RANGE, 16, "tail next self, range alloc" },
		{ 80, 0, false, OP_FREE, 64, "head next NIL, merge" },
		{ 80, 0, true, OP_FREE, 64, "head next self, merge" },
		{ 80, 1, true, OP_FREE, 64, "head prev self, merge" },
		{ 80, 1, true, OP_FREE, 112, "head prev self, push" },
		{ 80, 0, false, OP_POP2, 0, "head next NIL, pop" },
	};
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct sim *s = nil_fixture();
		unsigned char buf[M_LINK_BYTES];
		u32 v = 0xffffffff;

		if (cases[c].self)
			v = (u32)(cases[c].x / 16);
		printf("    %s\n", cases[c].what);
		memcpy(buf, sim_addr(s, cases[c].x), M_LINK_BYTES);
		memcpy(buf + 4 * cases[c].hi, &v, 4);
		smash(s, cases[c].x, buf);
		switch (cases[c].op) {
		case OP_FREE:
			t_free(s, cases[c].arg);
			break;
		case OP_RANGE:
			ASSERT_EQ(t_range_ok(s, 16, cases[c].arg,
					     cases[c].arg + 16, 0),
				  cases[c].arg);
			break;
		case OP_POP2:
			/* 80 comes off first; 48 next, or 80 saw it */
			ASSERT_EQ(t_alloc(s, 16), 80);
			if (!s->bc.nr_corruptions)
				ASSERT_EQ(t_alloc(s, 16), 48);
			break;
		}
		ASSERT_EQ(s->bc.nr_corruptions, 1);
		ASSERT_CHECK(&s->bc);
		t_recovers(s);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}
}

/* ---- randomized differential test ---- */

static const struct {
	u64 size, min_block;
	unsigned int seg_shift;
	u64 absent_init;	/* segments absent at init */
} geoms[] = {
	{ 1 * MB, 4 * KB, 0, 0 },
	{ 3 * MB + 12 * KB, 4 * KB, 0, 0 },
	{ 4099 * 16, 16, 0, 0 },
	{ 3 * 64, 64, 0, 0 },
	{ 64, 64, 0, 0 },
	{ 2 * 4 * KB, 4 * KB, 0, 0 },
	{ 1000 * 64, 64, 0, 0 },
	{ 23 * 4 * KB + 192, 64, 12, 0x14 },
	{ 5 * 64 * KB + 12 * KB, 4 * KB, 16, 0x2 },
	{ 100 * 16, 16, 4, 0xf0f0f0 },
	{ 700 * 64, 64, 20, 0 },
	{ 1 * MB + 64 * KB, 4 * KB, 14, 0x10001 },
	{ 16 * KB, 64, 0, 1 },
};

static void random_ops_match_naive_model(void)
{
	u64 total = 0, smashes = 0, repairs = 0, ranges = 0, exacts = 0;
	u64 moves = 0, zfrees = 0, zallocs = 0, zsets = 0;
	unsigned int g;

	for (g = 0; g < ARRAY_SIZE(geoms); g++) {
		struct msrc src = { .state = t_seed ^ (g * 0x100000001b3ULL) };
		struct sim *s = calloc(1, sizeof(*s));
		u64 i;

		ASSERT(s && t_nfix < MAX_FIX);
		t_fix[t_nfix++] = s;
		s->trace = t_trace;
		s->absent_init = geoms[g].absent_init;
		/* half the geometries start zeroed, as from vzalloc() */
		s->zero_init = g & 1;
		if (sim_init(s, geoms[g].size, geoms[g].min_block,
			     geoms[g].seg_shift, &src) != 1 ||
		    !sim_verify(s)) {
			fprintf(stderr, "    geometry %u: %s\n", g, s->err);
			ASSERT(false);
		}
		for (i = 0; i < t_ops; i++) {
			if (!sim_step(s)) {
				fprintf(stderr, "    seed %#llx geometry %u op %llu: %s\n",
					ULL(t_seed), g, ULL(i), s->err);
				fprintf(stderr, "    (CORE_TEST_TRACE=1 lists the ops)\n");
				ASSERT(false);
			}
		}
		if (!sim_finish(s)) {
			fprintf(stderr, "    seed %#llx geometry %u finish: %s\n",
				(unsigned long long)t_seed, g, s->err);
			ASSERT(false);
		}
		ASSERT_CHECK(&s->bc);
		total += s->nr_ops;
		smashes += s->nr_smashes;
		repairs += s->nr_repairs;
		ranges += s->nr_range;
		exacts += s->nr_exact_ok;
		moves += s->nr_seg_moves;
		zfrees += s->nr_zero_frees;
		zallocs += s->nr_zero_allocs;
		zsets += s->nr_set_zeroed;
	}
	printf("    %llu ops, %llu link smashes, %llu repairs\n",
	       (unsigned long long)total, (unsigned long long)smashes,
	       (unsigned long long)repairs);
	printf("    %llu range and %llu exact allocations, %llu segments added or removed\n",
	       ULL(ranges), ULL(exacts), ULL(moves));
	printf("    %llu zeroed frees, %llu set_zeroed calls, %llu allocations known zero\n",
	       ULL(zfrees), ULL(zsets), ULL(zallocs));
}

/* ---- runner ---- */

#define T(fn)	{ #fn, fn }
static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	T(init_rejects_bad_geometry),
	T(meta_size_is_about_six_bits_per_block),
	T(init_single_min_block),
	T(init_two_and_three_blocks),
	T(init_non_power_of_two_forest),
	T(tiny_ranges_of_every_block_count),
	T(largest_order_range),
	T(segments_hold_whole_blocks),
	T(min_block_16_64_4096),
	T(alloc_splits_down_to_exact_order),
	T(alloc_takes_smallest_fit),
	T(alloc_reuses_last_freed_first),
	T(alloc_rejects_zero_and_huge_sizes),
	T(exhaustion_then_full_recovery),
	T(free_merges_back_to_maximal_blocks),
	T(bad_free_reports_each_error_and_changes_nothing),
	T(counters_track_every_call),
	T(iterator_walks_blocks_in_address_order),
	T(snapshot_keeps_the_state_it_copied),
	T(checker_reports_smashed_links),
	T(stray_write_repaired_when_block_is_allocated),
	T(stray_write_repaired_when_block_merges),
	T(stray_write_on_list_head_repaired_by_push),
	T(stray_write_on_lone_block_repaired),
	T(forged_next_link_refused_by_pop_split_and_merge),
	T(stray_writes_that_agree_repaired),
	T(stray_write_past_links_is_harmless),
	T(checker_reports_each_broken_invariant),
	T(checker_refuses_bogus_list_entries),
	T(checker_reports_broken_free_bitmaps_and_segments),
	T(range_takes_lowest_or_highest_fit),
	T(range_fits_where_plain_alloc_would_not_look),
	T(range_exhausts_its_window_only),
	T(exact_keeps_n_blocks_for_every_n),
	T(free_exact_refuses_wrong_calls_changing_nothing),
	T(segments_come_and_go),
	T(range_search_cost_is_bounded),
	T(stray_write_caught_by_range_and_exact),
	T(stray_nil_next_link_caught_on_merge),
	T(stray_nil_or_self_links_caught_on_first_touch),
	T(init_leaves_nothing_known_zero),
	T(zero_split_keeps_zero_in_both_halves),
	T(zero_merge_with_nonzero_buddy_loses_it),
	T(zero_bytes_follow_every_call),
	T(set_zeroed_marks_free_blocks_wholly_inside),
	T(zeroed_answers_for_allocated_blocks_only),
	T(snapshot_keeps_zero_bits),
	T(checker_reports_broken_zero_bits),
	T(random_ops_match_naive_model),
};

int main(int argc, char **argv)
{
	const char *env = getenv("CORE_TEST_SEED");
	static const char *filter;
	static unsigned int passed, failed, planned, i;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	t_seed = (u64)ts.tv_nsec ^ ((u64)ts.tv_sec << 20) ^ (u64)getpid();
	if (env)
		t_seed = strtoull(env, NULL, 0);
	if (argc > 1)
		t_seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		filter = argv[2];
	env = getenv("CORE_TEST_OPS");
	if (env)
		t_ops = strtoull(env, NULL, 0);
	t_trace = !!getenv("CORE_TEST_TRACE");
	t_huge = !!getenv("CORE_TEST_HUGE");
	t_rng.state = t_seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* KTAP, as the kernel's own tests write it. */
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		planned += !filter || strstr(tests[i].name, filter);
	printf("KTAP version 1\n# core_test: seed=%#llx (rerun with CORE_TEST_SEED=%#llx)\n1..%u\n",
	       (unsigned long long)t_seed, (unsigned long long)t_seed,
	       planned);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		printf("# %s\n", tests[i].name);
		fflush(stdout);
		if (!setjmp(t_env)) {
			tests[i].fn();
			printf("ok %u %s\n", passed + failed + 1, tests[i].name);
			passed++;
		} else {
			printf("not ok %u %s # seed=%#llx\n",
			       passed + failed + 1, tests[i].name,
			       (unsigned long long)t_seed);
			failed++;
		}
		fflush(stdout);
		t_cleanup();
	}
	printf("# %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
