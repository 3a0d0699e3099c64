// SPDX-License-Identifier: GPL-2.0
/*
 * core_test: stray writes into the links of free blocks, including
 * links that say "none" or point home: the checker reports them and the
 * core repairs or refuses them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_test.h"

/* ---- stray writes into free blocks ---- */

/*
 * A comb of @n 64-byte blocks: even blocks free, odd ones allocated, so
 * order 0 holds n/2 blocks that cannot merge. They are freed in ascending
 * order, so the LIFO list runs from block n-2 (head) down to 0 (tail).
 */
struct sim *comb(u64 n)
{
	struct sim *s = fix(n * 64, 64);
	u64 i;

	t_drain(s);
	for (i = 0; i < n; i += 2)
		t_free(s, i * 64);
	ASSERT_EQ(buddy_core_nr_free(&s->bc, 0), n / 2);
	return s;
}

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
void smash_bytes(struct sim *s, enum smash kind, u64 x,
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
bool smash(struct sim *s, u64 x, const unsigned char *buf)
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

void checker_reports_smashed_links(void)
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
void t_recovers(struct sim *s)
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

void stray_write_repaired_when_block_is_allocated(void)
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

void stray_write_repaired_when_block_merges(void)
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

void stray_write_on_list_head_repaired_by_push(void)
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

void stray_write_on_lone_block_repaired(void)
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
void forged_next_link_refused_by_pop_split_and_merge(void)
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
void stray_writes_that_agree_repaired(void)
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

void stray_write_past_links_is_harmless(void)
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
void stray_nil_next_link_caught_on_merge(void)
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
void stray_nil_or_self_links_caught_on_first_touch(void)
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
