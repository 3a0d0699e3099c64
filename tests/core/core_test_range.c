// SPDX-License-Identifier: GPL-2.0
/* core_test: range and exact allocations, and chunks that come and go. */
#include <stdio.h>
#include <stdlib.h>

#include "core_test.h"

/* ---- ranges, exact allocations and chunks ---- */

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

void range_takes_lowest_or_highest_fit(void)
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
void range_fits_where_plain_alloc_would_not_look(void)
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
void range_exhausts_its_window_only(void)
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

/*
 * A search that found no place, or none before its answer, is not made
 * again while the core is unchanged: the next one for the same order and
 * alignment reads no bitmap word there, either way round. Any change to
 * the core (here a free) ends that.
 */
void range_search_remembers_until_the_core_changes(void)
{
	struct sim *s = fix(1 * MB, 4 * KB);
	u64 q, before;

	/* Every 64 KiB-aligned place holds a live 4 KiB block. */
	for (q = 0; q < 1 * MB; q += 64 * KB)
		ASSERT_EQ(t_range(s, 4 * KB, 64 * KB, q, q + 4 * KB, 0), q);
	before = s->bc.nr_scanned;
	t_range_fails(s, 4 * KB, 64 * KB, 0, 0, 0, -ENOMEM);
	ASSERT(s->bc.nr_scanned > before);
	before = s->bc.nr_scanned;
	t_range_fails(s, 4 * KB, 64 * KB, 0, 0, 0, -ENOMEM);
	t_range_fails(s, 4 * KB, 64 * KB, 128 * KB, 0, BUDDY_CORE_TOPDOWN,
		      -ENOMEM);
	ASSERT_EQ(s->bc.nr_scanned, before);
	/* Another alignment is another search. */
	t_range_fails(s, 4 * KB, 128 * KB, 0, 0, 0, -ENOMEM);
	ASSERT(s->bc.nr_scanned > before);
	t_range_fails(s, 4 * KB, 64 * KB, 0, 0, 0, -ENOMEM);
	/* A free: the place it leaves is found, and nothing below it. */
	t_free(s, 192 * KB);
	ASSERT_EQ(t_range(s, 4 * KB, 64 * KB, 0, 0, 0), 192 * KB);
	t_range_fails(s, 4 * KB, 64 * KB, 0, 0, 0, -ENOMEM);
	before = s->bc.nr_scanned;
	t_range_fails(s, 4 * KB, 64 * KB, 64 * KB, 0, 0, -ENOMEM);
	ASSERT_EQ(s->bc.nr_scanned, before);
	/* Top-down: found at the top, nothing above it to search again. */
	t_free(s, 960 * KB);
	ASSERT_EQ(t_range(s, 4 * KB, 64 * KB, 0, 0, BUDDY_CORE_TOPDOWN),
		  960 * KB);
	before = s->bc.nr_scanned;
	t_range_fails(s, 4 * KB, 64 * KB, 512 * KB, 1 * MB,
		      BUDDY_CORE_TOPDOWN, -ENOMEM);
	ASSERT(s->bc.nr_scanned > before);
	t_free_all(s);
	t_done(s);
}

void exact_keeps_n_blocks_for_every_n(void)
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

void free_exact_refuses_wrong_calls_changing_nothing(void)
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

/*
 * An exact allocation whose tails are all still free is freed as the one
 * block it came from; one with a tail taken is freed part by part, and
 * the tail's own free merges the rest. Both end where the model says.
 */
void free_exact_frees_the_whole_block_when_it_can(void)
{
	struct sim *s = fix(96 * KB, 4 * KB);
	unsigned char buf[M_LINK_BYTES];

	/* 20 KB: parts 16 + 4 KB at 64 KB, tails of 4 and 8 KB after them */
	ASSERT_SIM(s, sim_alloc_exact(s, 20 * KB));
	ASSERT_EQ(s->ex_off[0], 64 * KB);
	ASSERT_SIM(s, sim_free_exact(s, 64 * KB, 20 * KB));
	ASSERT(model_is_pristine(&s->m));
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 3), 1);

	/* the 8 KB tail allocated meanwhile: part by part */
	ASSERT_SIM(s, sim_alloc_exact(s, 20 * KB));
	ASSERT_EQ(t_alloc(s, 8 * KB), 88 * KB);
	ASSERT_SIM(s, sim_free_exact(s, 64 * KB, 20 * KB));
	{
		static const struct blk_want w[] = {
			{ 0, 4, true }, { 64 * KB, 2, true },
			{ 80 * KB, 1, true }, { 88 * KB, 1, false },
		};
		t_blocks(&s->bc, w, ARRAY_SIZE(w));
	}
	t_free(s, 88 * KB);
	ASSERT(model_is_pristine(&s->m));

	/* a tail's links smashed: caught as the tails are taken back */
	ASSERT_SIM(s, sim_alloc_exact(s, 20 * KB));
	smash_bytes(s, SMASH_ZEROS, 88 * KB, buf);
	ASSERT(smash(s, 88 * KB, buf));
	ASSERT_SIM(s, sim_free_exact(s, 64 * KB, 20 * KB));
	ASSERT_EQ(s->bc.nr_corruptions, 1);
	ASSERT_CHECK(&s->bc);
	ASSERT(model_is_pristine(&s->m));
	t_recovers(s);
}

/* Chunk number @chunk of @s gets fresh memory and is added. */
void t_add_chunk(struct sim *s, u64 chunk)
{
	ASSERT_SIM(s, sim_add_chunk(s, chunk, true));
	ASSERT_SIM(s, sim_verify(s));
}

void chunks_come_and_go(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	u64 i;

	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	/* four 16 KB chunks of 4 KB blocks; 1 and 3 absent at init */
	s->absent_init = 0xa;
	ASSERT_SIM(s, sim_init(s, 64 * KB, 4 * KB, 14, &t_rng) == 1);
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_size(&s->bc), 32 * KB);
	ASSERT_EQ(buddy_core_range(&s->bc), 64 * KB);
	ASSERT(!buddy_core_chunk_present(&s->bc, 1));
	ASSERT(buddy_core_chunk_present(&s->bc, 2));
	ASSERT(!buddy_core_chunk_present(&s->bc, 4));
	/* frees and probes into an absent chunk: -ERANGE */
	t_bad_free(s, 16 * KB, -ERANGE);
	t_bad_free(s, 20 * KB, -ERANGE);
	t_bad_free(s, 60 * KB, -ERANGE);
	ASSERT_SIM(s, sim_free_exact(s, 16 * KB, 4 * KB));
	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, 0, BUDDY_CORE_TOPDOWN), 44 * KB);
	t_range_fails(s, 4 * KB, 0, 48 * KB, 0, 0, -ENOMEM);
	/* add: -EINVAL without memory or number, -EEXIST when present */
	ASSERT_SIM(s, sim_add_chunk(s, 1, false));
	ASSERT_SIM(s, sim_add_chunk(s, 4, true));
	ASSERT_SIM(s, sim_add_chunk(s, 0, true));
	ASSERT_EQ(buddy_core_add_chunk(&s->bc, 0), -EEXIST);
	ASSERT_EQ(buddy_core_add_chunk(&s->bc, 1), -EINVAL);
	t_add_chunk(s, 3);
	ASSERT_EQ(buddy_core_size(&s->bc), 48 * KB);
	ASSERT_EQ(t_range(s, 4 * KB, 0, 0, 0, BUDDY_CORE_TOPDOWN), 60 * KB);
	/* remove: busy, absent, no such chunk; nothing changes */
	ASSERT_SIM(s, sim_remove_chunk(s, 2));
	ASSERT_SIM(s, sim_remove_chunk(s, 1));
	ASSERT_SIM(s, sim_remove_chunk(s, 4));
	ASSERT_EQ(buddy_core_remove_chunk(&s->bc, 2), -EBUSY);
	ASSERT_EQ(buddy_core_remove_chunk(&s->bc, 1), -ENOENT);
	ASSERT_EQ(buddy_core_remove_chunk(&s->bc, 9), -EINVAL);
	ASSERT_SIM(s, sim_verify(s));
	/* round trips */
	for (i = 0; i < 3; i++) {
		ASSERT_SIM(s, sim_evacuate(s, 3));
		ASSERT_SIM(s, sim_verify(s));
		ASSERT_EQ(buddy_core_size(&s->bc), 32 * KB);
		t_add_chunk(s, 3);
		t_add_chunk(s, 1);
		ASSERT_SIM(s, sim_evacuate(s, 1));
		ASSERT_SIM(s, sim_verify(s));
	}
	t_add_chunk(s, 1);
	t_drain(s);
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 64 * KB);
	t_free_all(s);
	/* everything can go, then come back */
	for (i = 0; i < 4; i++)
		ASSERT_SIM(s, sim_remove_chunk(s, i));
	ASSERT_EQ(buddy_core_size(&s->bc), 0);
	ASSERT_EQ(buddy_core_largest_free_order(&s->bc), -1);
	t_alloc_fails(s, 4 * KB, -ENOMEM);
	for (i = 0; i < 4; i++)
		t_add_chunk(s, i);
	ASSERT(model_is_pristine(&s->m));
	t_done(s);
}

/*
 * The range search reads few bitmap words on a big fragmented pool: 2^20
 * min blocks, every other one allocated below 3/4 of the range (the odd
 * ones free, so no aligned pair is), a free order 5 block near the top.
 */
void range_search_cost_is_bounded(void)
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
void stray_write_caught_by_range_and_exact(void)
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

/* An exact allocation through the driver; the offset of its first part. */
static u64 t_exact(struct sim *s, u64 size)
{
	u64 nr = s->nr_exact;

	ASSERT_SIM(s, sim_alloc_exact(s, size));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(s->nr_exact, nr + 1);
	return s->ex_off[nr];
}

/*
 * Range and exact allocations above 4 MiB, the old chunk, on contiguous
 * ranges of 4 KiB blocks whose size is not a power of two. An exact
 * allocation takes one block, so it is bounded by the largest root, not
 * by the size of the range. Frees are plain, as a zeroed free writes the
 * whole block.
 */
void range_and_exact_above_4m_on_non_power_of_two_ranges(void)
{
	static const struct blk_want mib384[] = {
		{ 0, 16, true }, { 256 * MB, 15, true },
	};
	/* 128 + 64 + 8 MiB kept of the 256 MiB root, 8 + 16 + 32 given back */
	static const struct blk_want exact200[] = {
		{ 0, 15, false }, { 128 * MB, 14, false },
		{ 192 * MB, 11, false }, { 200 * MB, 11, true },
		{ 208 * MB, 12, true }, { 224 * MB, 13, true },
		{ 256 * MB, 15, true },
	};
	static const struct blk_want mib640[] = {
		{ 0, 17, true }, { 512 * MB, 15, true },
	};
	/* 256 + 32 + 8 + 4 MiB kept of the 512 MiB root */
	static const struct blk_want exact300[] = {
		{ 0, 16, false }, { 256 * MB, 13, false },
		{ 288 * MB, 11, false }, { 296 * MB, 10, false },
		{ 300 * MB, 10, true }, { 304 * MB, 12, true },
		{ 320 * MB, 14, true }, { 384 * MB, 15, true },
		{ 512 * MB, 15, true },
	};
	struct sim *s = fix(384 * MB, 4 * KB);
	u64 off;

	t_blocks(&s->bc, mib384, ARRAY_SIZE(mib384));
	/* above the largest block, 256 MiB: refused, nothing changes */
	ASSERT_SIM(s, sim_alloc_exact(s, 300 * MB));
	ASSERT_EQ(s->nr_exact, 0);
	ASSERT_EQ(s->bc.nr_failed, 1);
	ASSERT_EQ(buddy_core_alloc_exact(&s->bc, 256 * MB + 1, &off), -E2BIG);
	s->m.nr_failed++;
	t_range_fails(s, 256 * MB + 1, 0, 0, 0, 0, -E2BIG);
	t_blocks(&s->bc, mib384, ARRAY_SIZE(mib384));

	ASSERT_EQ(t_exact(s, 200 * MB), 0);
	t_blocks(&s->bc, exact200, ARRAY_SIZE(exact200));
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 200 * MB);
	ASSERT_CHECK(&s->bc);
	/* 64 MiB at a 64 MiB boundary: only the 128 MiB root has one */
	ASSERT_EQ(t_range(s, 64 * MB, 64 * MB, 0, 0, 0), 256 * MB);
	ASSERT_EQ(t_range(s, 64 * MB, 64 * MB, 0, 0, BUDDY_CORE_TOPDOWN),
		  320 * MB);
	t_range_fails(s, 32 * MB, 64 * MB, 0, 0, 0, -ENOMEM);
	ASSERT_EQ(t_range(s, 16 * MB, 32 * MB, 0, 0, BUDDY_CORE_TOPDOWN),
		  224 * MB);
	ASSERT_EQ(t_range(s, 16 * MB, 0, 200 * MB, 232 * MB, 0), 208 * MB);
	ASSERT_EQ(t_range(s, 8 * MB, 0, 0, 0, 0), 200 * MB);
	t_range_fails(s, 16 * MB, 0, 0, 240 * MB, 0, -ENOMEM);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 16 * MB);
	ASSERT_CHECK(&s->bc);
	ASSERT_SIM(s, sim_free_exact(s, 0, 200 * MB));
	ASSERT_SIM(s, sim_verify(s));
	t_free_each(s);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 384 * MB);
	t_blocks(&s->bc, mib384, ARRAY_SIZE(mib384));
	t_done(s);

	/* 512 + 128 MiB: 300 MiB exactly, from the 512 MiB root */
	s = fix(640 * MB, 4 * KB);
	t_blocks(&s->bc, mib640, ARRAY_SIZE(mib640));
	ASSERT_EQ(t_exact(s, 300 * MB), 0);
	t_blocks(&s->bc, exact300, ARRAY_SIZE(exact300));
	ASSERT_EQ(buddy_core_used_bytes(&s->bc), 300 * MB);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 15), 2);
	/* a 256 MiB boundary from the top: the 128 MiB root at 512 MiB */
	ASSERT_EQ(t_range(s, 64 * MB, 256 * MB, 0, 0, BUDDY_CORE_TOPDOWN),
		  512 * MB);
	ASSERT_CHECK(&s->bc);
	ASSERT_SIM(s, sim_free_exact(s, 0, 300 * MB));
	ASSERT_SIM(s, sim_verify(s));
	t_free_each(s);
	ASSERT_EQ(buddy_core_free_bytes(&s->bc), 640 * MB);
	t_blocks(&s->bc, mib640, ARRAY_SIZE(mib640));
	t_done(s);
}

/* The free bitmaps, their summaries and absent chunks, white box. */
void checker_reports_broken_free_bitmaps_and_chunks(void)
{
	struct buddy_core c;
	struct sim *s;
	unsigned int mut;

	s = calloc(1, sizeof(*s));
	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	/* four 16 KB chunks of 4 KB blocks, chunk 2 absent */
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
		case 5:		/* a head bit in the absent chunk */
			flip(c.head, 9);
			break;
		case 6:		/* a split bit in the absent chunk */
			flip_split(&c, 2, 8);
			break;
		case 7:		/* a free bit in the absent chunk */
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
