// SPDX-License-Identifier: GPL-2.0
/* core_test: buddy_core_check() against broken copies of the state. */
#include <stdio.h>

#include "core_test.h"

/* ---- the checker, white box ---- */

void flip(unsigned long *map, u64 bit)
{
	map[bit / BITS_PER_LONG] ^= 1UL << (bit % BITS_PER_LONG);
}

/*
 * Flip the split bit of the node of @order over min block @idx, in the
 * grouped layout buddy_core.c describes: six orders a 64-bit word.
 */
void flip_split(struct buddy_core *c, unsigned int order, u64 idx)
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
void checker_reports_each_broken_invariant(void)
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
struct buddy_core *t_copy(struct sim *s, struct buddy_core *c)
{
	void *meta = t_malloc(s->meta_size);

	ASSERT_EQ(buddy_core_snapshot(&s->bc, c, meta, s->meta_size), 0);
	ASSERT_CHECK(c);
	return c;
}

void t_refused(const struct buddy_core *c)
{
	char msg[256] = "";

	ASSERT_EQ(buddy_core_check(c, msg, sizeof(msg)), -EUCLEAN);
	ASSERT(msg[0]);
	printf("    %s\n", msg);
}

/* List entries that name no free block of their list's order. */
void checker_refuses_bogus_list_entries(void)
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
