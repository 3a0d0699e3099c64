// SPDX-License-Identifier: GPL-2.0
/*
 * core_test: init's geometry rules, the metadata size, and the blocks
 * a fresh range holds, from one min block to the largest order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core_test.h"

/* ---- geometry ---- */

void init_rejects_bad_geometry(void)
{
	static const struct {
		u64 size, min_block;
		unsigned int chunk_shift;
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
	unsigned char *chunk;
	unsigned char *chunks[1];
	size_t need, i;
	void *meta;
	struct sim *s;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		s = calloc(1, sizeof(*s));
		ASSERT(s && t_nfix < MAX_FIX);
		t_fix[t_nfix++] = s;
		ASSERT_SIM(s, sim_init(s, bad[i].size, bad[i].min_block,
				       bad[i].chunk_shift, &t_rng) == 0);
		if (!bad[i].chunk_shift)
			ASSERT_EQ(buddy_core_meta_size(bad[i].size,
						       bad[i].min_block), 0);
		sim_destroy(s);
		free(t_fix[--t_nfix]);
	}

	/* the largest valid range is accepted by meta_size */
	ASSERT(buddy_core_meta_size(16ULL << 31, 16) > 0);
	ASSERT(buddy_core_meta_size(4096ULL << 31, 4096) > 0);

	/* meta one byte short, missing meta, missing chunks */
	need = buddy_core_meta_size(64 * KB, 64);
	meta = t_malloc(need);
	chunk = t_malloc(64 * KB);
	chunks[0] = chunk;
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, chunks, meta, need - 1),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, chunks, NULL, need),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, NULL, meta, need),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, chunks, meta, 0),
		  -EINVAL);
	ASSERT_EQ(buddy_core_init(&bc, 64 * KB, 64, 0, chunks, meta, need), 0);
	ASSERT_CHECK(&bc);
	ASSERT_EQ(buddy_core_free_bytes(&bc), 64 * KB);
}

void meta_size_is_about_six_bits_per_block(void)
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
	 * head, split, chunk and zero bits, and two bits of free bitmaps
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

void init_single_min_block(void)
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

void init_two_and_three_blocks(void)
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

void init_non_power_of_two_forest(void)
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

void tiny_ranges_of_every_block_count(void)
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
void largest_order_range(void)
{
	const unsigned int top = t_huge ? 31 : 26;
	const u64 size = 16ULL << top;
	size_t need = buddy_core_meta_size(size, 16);
	unsigned char *chunks[1];
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
	chunks[0] = t_map;
	bc = &s->bc;
	ASSERT_EQ(buddy_core_init(bc, size, 16, 0, chunks, s->meta, need), 0);
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

void chunks_hold_whole_blocks(void)
{
	static const struct blk_want roots[] = {
		{ 0, 4, true }, { 64 * KB, 4, true }, { 128 * KB, 4, true },
		{ 192 * KB, 4, true }, { 256 * KB, 4, true },
		{ 320 * KB, 1, true }, { 328 * KB, 0, true },
	};
	struct sim *s = fix_chunk(5 * 64 * KB + 12 * KB, 4 * KB, 16);
	u64 i, off;

	ASSERT_EQ(s->nchunks, 6);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 4);
	t_blocks(&s->bc, roots, 7);
	t_alloc_fails(s, 64 * KB + 1, -E2BIG);
	ASSERT_EQ(buddy_core_order_for(&s->bc, 64 * KB), 4);
	for (i = 0; i < 5; i++) {
		off = t_alloc(s, 64 * KB);
		ASSERT_EQ(off & (64 * KB - 1), 0);
		ASSERT(buddy_core_addr(&s->bc, off) == s->chunks[off >> 16]);
		ASSERT(buddy_core_addr(&s->bc, off + 64 * KB - 1) ==
		       s->chunks[off >> 16] + 64 * KB - 1);
	}
	ASSERT_EQ(t_alloc(s, 8 * KB), 320 * KB);
	ASSERT(buddy_core_addr(&s->bc, 320 * KB + 5) == s->chunks[5] + 5);
	ASSERT_EQ(t_alloc(s, 4 * KB), 328 * KB);
	t_alloc_fails(s, 1, -ENOMEM);
	t_free_all(s);
	t_blocks(&s->bc, roots, 7);
	t_done(s);

	/* 64-byte blocks in 4 KiB chunks, a partial last chunk */
	s = fix_chunk(23 * 4 * KB + 192, 64, 12);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 6);
	s->no_stray = 1;
	for (i = 0; i < 2000; i++)
		ASSERT_SIM(s, sim_step(s));
	ASSERT_SIM(s, sim_finish(s));
	t_done(s);

	/* one min block per chunk: every block is order 0 */
	s = fix_chunk(100 * 16, 16, 4);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 0);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), 100);
	t_alloc_fails(s, 17, -E2BIG);
	t_drain(s);
	ASSERT(buddy_core_addr(&s->bc, 99 * 16 + 3) == s->chunks[99] + 3);
	t_free_all(s);
	t_done(s);

	/* a chunk larger than the range is just one chunk */
	s = fix_chunk(1000 * 64, 64, 20);
	ASSERT_EQ(buddy_core_max_order(&s->bc), 9);
	ASSERT_EQ(t_alloc(s, 32 * KB), 0);
	t_done(s);
}

void min_block_16_64_4096(void)
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

/*
 * A fresh range is the forest @w of free roots: the largest naturally
 * aligned blocks, in offset order. The first root is the largest block
 * there is, the largest power of two that fits; a request of each root's
 * size takes that root whole rather than split a larger one; and freeing
 * it all gives the same forest back. Frees are plain, as a zeroed free
 * writes the whole block.
 */
static void t_forest(struct sim *s, const struct blk_want *w, unsigned int n)
{
	const struct buddy_core *bc = &s->bc;
	u64 mb = buddy_core_min_block(bc), size = buddy_core_range(bc);
	u64 big = mb << w[0].order;
	unsigned int i;

	t_blocks(bc, w, n);
	ASSERT_EQ(buddy_core_max_order(bc), w[0].order);
	ASSERT_EQ(buddy_core_largest_free_order(bc), w[0].order);
	ASSERT(big <= size && 2 * big > size);
	for (i = 0; i < n; i++)
		ASSERT_EQ(buddy_core_nr_free(bc, w[i].order), 1);
	ASSERT_EQ(buddy_core_free_bytes(bc), size);
	ASSERT_EQ(buddy_core_order_for(bc, big), w[0].order);
	ASSERT_EQ(buddy_core_order_for(bc, big / 2 + 1), w[0].order);
	ASSERT_EQ(buddy_core_order_for(bc, big + 1), -E2BIG);
	t_alloc_fails(s, big + 1, -E2BIG);
	t_alloc_fails(s, size, -E2BIG);
	ASSERT_CHECK(bc);
	/* one min block comes from the smallest root, not a larger one */
	ASSERT_EQ(t_alloc(s, mb), w[n - 1].off);
	t_free_each(s);
	/* smallest first, each request is served by the root of its size */
	for (i = n; i--; )
		ASSERT_EQ(t_alloc(s, mb << w[i].order), w[i].off);
	ASSERT_EQ(buddy_core_free_bytes(bc), 0);
	ASSERT_EQ(buddy_core_used_bytes(bc), size);
	t_alloc_fails(s, mb, -ENOMEM);
	ASSERT_CHECK(bc);
	t_free_each(s);
	ASSERT_EQ(buddy_core_free_bytes(bc), size);
	t_blocks(bc, w, n);
	t_done(s);
}

/*
 * One contiguous range of 4 KiB blocks whose size is not a power of two,
 * as a contiguous pool manages it: roots far above the old 4 MiB chunk
 * (order 10), of as many orders as the size has set bits.
 */
void non_power_of_two_ranges_carve_aligned_roots(void)
{
	static const struct blk_want mib384[] = {
		{ 0, 16, true }, { 256 * MB, 15, true },
	};
	/* 64 + 32 + 4 MiB, 8 + 4 KiB */
	static const struct blk_want mib100[] = {
		{ 0, 14, true }, { 64 * MB, 13, true }, { 96 * MB, 10, true },
		{ 100 * MB, 1, true }, { 100 * MB + 8 * KB, 0, true },
	};
	struct blk_want every[16];
	unsigned int o;
	u64 off = 0;

	t_forest(fix(384 * MB, 4 * KB), mib384, ARRAY_SIZE(mib384));
	t_forest(fix(100 * MB + 12 * KB, 4 * KB), mib100, ARRAY_SIZE(mib100));

	/* 256 MiB less 4 KiB: a root of every order from 15 down to 0 */
	for (o = 0; o < ARRAY_SIZE(every); o++) {
		every[o] = (struct blk_want){ off, 15 - o, true };
		off += 4 * KB << (15 - o);
	}
	ASSERT_EQ(off, 256 * MB - 4 * KB);
	t_forest(fix(256 * MB - 4 * KB, 4 * KB), every, ARRAY_SIZE(every));
}
