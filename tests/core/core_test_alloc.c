// SPDX-License-Identifier: GPL-2.0
/*
 * core_test: allocation and free, bad frees, the counters, the block
 * iterator and snapshots.
 */
#include <stdint.h>

#include "core_test.h"

/* ---- allocation ---- */

void alloc_splits_down_to_exact_order(void)
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

void alloc_takes_smallest_fit(void)
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

void alloc_reuses_last_freed_first(void)
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

void alloc_rejects_zero_and_huge_sizes(void)
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

void exhaustion_then_full_recovery(void)
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

void free_merges_back_to_maximal_blocks(void)
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

void bad_free_reports_each_error_and_changes_nothing(void)
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

void counters_track_every_call(void)
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

void iterator_walks_blocks_in_address_order(void)
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

void snapshot_keeps_the_state_it_copied(void)
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

/*
 * One contiguous 512 MiB range of 4 KiB blocks, as a contiguous pool
 * manages it: a block of order 17, far above the old 4 MiB chunk (order
 * 10), that halves, splits down to one min block and merges back whole.
 * Frees are plain, as a zeroed free writes the whole block.
 */
void block_of_512m_splits_to_4k_and_merges_back(void)
{
	static const struct blk_want whole[] = { { 0, 17, true } };
	static const struct blk_want halves[] = {
		{ 0, 16, false }, { 256 * MB, 16, false },
	};
	struct sim *s = fix(512 * MB, 4 * KB);
	unsigned int o;
	u64 a, b;

	ASSERT_EQ(buddy_core_max_order(&s->bc), 17);
	t_blocks(&s->bc, whole, 1);
	ASSERT_EQ(buddy_core_order_for(&s->bc, 512 * MB), 17);
	ASSERT_EQ(buddy_core_order_for(&s->bc, 256 * MB + 1), 17);
	ASSERT_EQ(buddy_core_order_for(&s->bc, 256 * MB), 16);
	ASSERT_EQ(buddy_core_order_for(&s->bc, 4 * MB + 1), 11);
	t_alloc_fails(s, 512 * MB + 1, -E2BIG);

	/* the whole range as one block */
	ASSERT_EQ(t_alloc(s, 512 * MB), 0);
	ASSERT_EQ(buddy_core_block_order(&s->bc, 0), 17);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	t_bad_free(s, 256 * MB, -ENOENT);
	ASSERT_CHECK(&s->bc);
	t_free(s, 0);
	t_blocks(&s->bc, whole, 1);
	ASSERT_CHECK(&s->bc);

	/* two 256 MiB halves, which merge only once both are free */
	a = t_alloc(s, 256 * MB);
	b = t_alloc(s, 256 * MB);
	ASSERT_EQ(a + b, 256 * MB);
	t_blocks(&s->bc, halves, 2);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	ASSERT_CHECK(&s->bc);
	t_free(s, a);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 16), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 17), 0);
	t_free(s, b);
	t_blocks(&s->bc, whole, 1);
	ASSERT_CHECK(&s->bc);

	/* down to 4 KiB: one free block of every order below 17 */
	a = t_alloc(s, 4 * KB);
	ASSERT_EQ(buddy_core_block_order(&s->bc, a), 0);
	for (o = 0; o <= 16; o++)
		ASSERT_EQ(buddy_core_nr_free(&s->bc, o), 1);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 17), 0);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), 16);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 512 * MB - 4 * KB);
	ASSERT_CHECK(&s->bc);
	/* each of those taken at its own size fills the range exactly */
	for (o = 0; o <= 16; o++)
		t_alloc(s, 4 * KB << o);
	ASSERT_EQ(s->nr_live, 18);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 0);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	ASSERT_CHECK(&s->bc);
	/* newest first: nothing merges until the first 4 KiB goes */
	while (s->nr_live > 1) {
		t_free(s, s->live[s->nr_live - 1]);
		ASSERT_EQ(buddy_core_nr_free(&s->bc, 17), 0);
	}
	ASSERT_EQ(s->live[0], a);
	t_free(s, a);
	t_blocks(&s->bc, whole, 1);
	ASSERT(model_is_pristine(&s->m));
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 512 * MB);
	t_done(s);
}
