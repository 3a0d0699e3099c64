// SPDX-License-Identifier: GPL-2.0
/* core_test: known-zero blocks, from init to set_zeroed() and snapshots. */
#include <stdlib.h>

#include "core_test.h"

/* ---- known-zero blocks ---- */

/* A fixture whose memory was zeroed before init and marked known zero. */
static struct sim *fix_zeroed(u64 size, u64 min_block,
			      unsigned int chunk_shift)
{
	struct sim *s = calloc(1, sizeof(*s));

	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	s->zero_init = 1;
	s->add_zeroed = 1;
	ASSERT_SIM(s, sim_init(s, size, min_block, chunk_shift, &t_rng) == 1);
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

u64 t_range_ok(struct sim *s, u64 size, u64 start, u64 end,
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

void init_leaves_nothing_known_zero(void)
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
void zero_split_keeps_zero_in_both_halves(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_CHUNK);
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
void zero_merge_with_nonzero_buddy_loses_it(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_CHUNK);
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
 * free_exact and free_exact_zeroed, alloc_range, remove_chunk,
 * add_chunk and set_zeroed. Four 64K chunks of 4K blocks.
 */
void zero_bytes_follow_every_call(void)
{
	struct sim *s = fix_zeroed(256 * KB, 4 * KB, 16);
	struct buddy_core *bc = &s->bc;
	u64 a, e, r1, r2;

	ASSERT_EQ(buddy_core_zero_bytes(bc), 256 * KB);
	a = t_alloc(s, 4 * KB);
	ASSERT_EQ(a, 0);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 252 * KB);
	/* dirty free: the whole chunk merges back, not zero */
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

	/* a removed chunk takes its zero bytes along, and brings none */
	ASSERT_SIM(s, sim_remove_chunk(s, 1));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 128 * KB);
	ASSERT_SIM(s, sim_remove_chunk(s, 3));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(buddy_core_zero_bytes(bc), 128 * KB);
	t_add_chunk(s, 1);
	ASSERT_EQ(buddy_core_zero_bytes(bc), 128 * KB);
	/* a freshly zeroed chunk, marked after it was added */
	s->add_zeroed = 2;
	t_add_chunk(s, 3);
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
void set_zeroed_marks_free_blocks_wholly_inside(void)
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
void zeroed_answers_for_allocated_blocks_only(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_CHUNK);
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
void snapshot_keeps_zero_bits(void)
{
	struct sim *s = fix_zeroed(64 * KB, 4 * KB, BUDDY_CORE_ONE_CHUNK);
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
void checker_reports_broken_zero_bits(void)
{
	struct buddy_core c;
	struct sim *s;
	unsigned int mut;

	s = calloc(1, sizeof(*s));
	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	/* four 16 KB chunks of 4 KB blocks, chunk 2 absent */
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
		case 1:		/* a bit inside... at an absent chunk */
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
