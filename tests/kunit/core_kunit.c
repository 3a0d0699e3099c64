// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_core: the core inside the kernel, on cores of the test's own over
 * vmalloc'ed memory: exact splits, best fit, refused bad frees, recovery
 * from stray writes, and random operations that match a naive model.
 */
#include <linux/prandom.h>
#include <linux/vmalloc.h>

#include "buddy_kunit.h"

/* check_core() - assert that a core's invariants hold, explaining if not */
static void check_core(struct kunit *test, const struct buddy_core *bc)
{
	char msg[160];

	if (buddy_core_check(bc, msg, sizeof(msg)))
		KUNIT_FAIL(test, "core invariant broken: %s", msg);
}

static void vfree_action(void *mem)
{
	vfree(mem);
}

/* A core over a vmalloc'ed range, freed when the test ends. */
struct core_fixture {
	struct buddy_core bc;
	unsigned char *mem;
	unsigned char *chunks[1];
	void *meta;
};

static struct core_fixture *make_core(struct kunit *test, u64 size,
				      u64 min_block)
{
	struct core_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	size_t meta = buddy_core_meta_size(size, min_block);

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_GT(test, meta, (size_t)0);
	f->mem = vmalloc(size);
	KUNIT_ASSERT_NOT_NULL(test, f->mem);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vfree_action,
							f->mem), 0);
	f->meta = kunit_kzalloc(test, meta, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->meta);
	f->chunks[0] = f->mem;
	KUNIT_ASSERT_EQ(test, buddy_core_init(&f->bc, size, min_block,
					      BUDDY_CORE_ONE_CHUNK, f->chunks,
					      f->meta, meta), 0);
	check_core(test, &f->bc);
	return f;
}

static void core_alloc_splits_to_exact_order(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 4 * MB, 4 * KB);
	unsigned int order;
	u64 off;

	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 10), 1ULL);
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 4 * KB, &off), 0);
	check_core(test, &f->bc);
	for (order = 0; order < 10; order++)
		KUNIT_EXPECT_EQ_MSG(test, buddy_core_nr_free(&f->bc, order),
				    1ULL, "order %u", order);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 10), 0ULL);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, off), 0);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 10), 1ULL);
}

static void core_takes_smallest_fitting_block(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 64 * KB, 4 * KB);
	u64 a, b, c;

	/* Leave free blocks of 4K, 8K, 16K and 32K. */
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 1, &a), 0);
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 5000, &b), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_block_order(&f->bc, b), 1);
	/* A 4K request must take the remaining 4K block, not split 16K. */
	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 4 * KB, &c), 0);
	KUNIT_EXPECT_EQ(test, c, 4 * KB);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 2), 1ULL);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, a), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, b), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, c), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 4), 1ULL);
	check_core(test, &f->bc);
}

static void core_refuses_each_bad_free(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 3 * MB + 12 * KB, 4 * KB);
	u64 off, free_before, bad_before;

	KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 16 * KB, &off), 0);
	free_before = buddy_core_free_bytes(&f->bc);
	bad_before = f->bc.nr_bad_frees;
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, 3 * MB + 12 * KB),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off + 4 * KB), -ENOENT);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off + 16 * KB),
			-EALREADY);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), free_before);
	KUNIT_EXPECT_EQ(test, f->bc.nr_bad_frees, bad_before + 4);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off), 0);
	KUNIT_EXPECT_EQ(test, buddy_core_free(&f->bc, off), -EALREADY);
	check_core(test, &f->bc);
}

static void core_recovers_from_stray_writes(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 1 * MB, 64);
	u64 offs[64], free_before;
	char msg[96];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++)
		KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 64, &offs[i]),
				0);
	for (i = 0; i < ARRAY_SIZE(offs); i += 2)
		KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]), 0);
	check_core(test, &f->bc);
	free_before = buddy_core_free_bytes(&f->bc);
	/* Use after free: scribble over freed blocks' first bytes. */
	memset(f->mem + offs[10], 0xff, 16);
	memset(f->mem + offs[20], 0, 16);
	KUNIT_EXPECT_NE(test, buddy_core_check(&f->bc, msg, sizeof(msg)), 0);
	for (i = 1; i < ARRAY_SIZE(offs); i += 2)
		KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]), 0);
	KUNIT_EXPECT_GT(test, f->bc.nr_corruptions, 0ULL);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), 1 * MB);
	KUNIT_EXPECT_GT(test, buddy_core_free_bytes(&f->bc), free_before);
}

/*
 * A stray write of "none" (0xffffffff) into the next link of a free block
 * that is not its list's head: the merge that unlinks it must catch it,
 * count it once and repair, so that check agrees with the counter.
 */
static void core_stray_nil_link_is_counted_on_merge(struct kunit *test)
{
	struct core_fixture *f = make_core(test, 128, 16);
	u64 off;
	int i;

	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, buddy_core_alloc(&f->bc, 16, &off), 0);
		KUNIT_ASSERT_EQ(test, off, (u64)i * 16);
	}
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 16), 0);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 48), 0);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 80), 0);
	check_core(test, &f->bc);
	memset(f->mem + 48, 0xff, 4);
	KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, 32), 0);
	KUNIT_EXPECT_EQ(test, f->bc.nr_corruptions, 1ULL);
	check_core(test, &f->bc);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), 64ULL);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 0), 2ULL);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 1), 1ULL);
}

/* Random alloc/free against a per-min-block ownership array. */
static void core_random_ops_match_naive_model(struct kunit *test)
{
	enum { NBLK = 256, OPS = 4000, LIVE = 64 };
	struct core_fixture *f = make_core(test, NBLK * 64, 64);
	struct rnd_state rnd;
	u64 offs[LIVE];
	u16 owner[NBLK];
	unsigned int i, j, op;
	u32 seed = run_seed(test);

	prandom_seed_state(&rnd, seed);
	memset(owner, 0, sizeof(owner));
	for (i = 0; i < LIVE; i++)
		offs[i] = U64_MAX;
	for (op = 0; op < OPS; op++) {
		i = prandom_u32_state(&rnd) % LIVE;
		if (offs[i] == U64_MAX) {
			u64 size = 1 + prandom_u32_state(&rnd) % (64 * 16);
			int order = buddy_core_order_for(&f->bc, size);
			u64 off, nb = 1ULL << order;
			bool room = false;

			/* The model: is any aligned run of nb blocks free? */
			for (j = 0; j < NBLK && !room; j += nb) {
				unsigned int k;

				room = true;
				for (k = j; k < j + nb; k++)
					room &= !owner[k];
			}
			if (buddy_core_alloc(&f->bc, size, &off)) {
				KUNIT_ASSERT_FALSE_MSG(test, room,
						       "seed %u op %u: alloc failed with room",
						       seed, op);
				continue;
			}
			KUNIT_ASSERT_EQ_MSG(test, off % (nb * 64), 0ULL,
					    "seed %u: misaligned", seed);
			for (j = off / 64; j < off / 64 + nb; j++) {
				KUNIT_ASSERT_EQ_MSG(test, owner[j], 0,
						    "seed %u op %u: overlap", seed,
						    op);
				owner[j] = i + 1;
			}
			offs[i] = off;
		} else {
			KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]),
					0);
			for (j = 0; j < NBLK; j++)
				if (owner[j] == i + 1)
					owner[j] = 0;
			offs[i] = U64_MAX;
		}
		check_core(test, &f->bc);
	}
	for (i = 0; i < LIVE; i++)
		if (offs[i] != U64_MAX)
			KUNIT_ASSERT_EQ(test, buddy_core_free(&f->bc, offs[i]),
					0);
	KUNIT_EXPECT_EQ(test, buddy_core_free_bytes(&f->bc), (u64)NBLK * 64);
	KUNIT_EXPECT_EQ(test, buddy_core_nr_free(&f->bc, 8), 1ULL);
	check_core(test, &f->bc);
}

static struct kunit_case buddy_core_cases[] = {
	KUNIT_CASE(core_alloc_splits_to_exact_order),
	KUNIT_CASE(core_takes_smallest_fitting_block),
	KUNIT_CASE(core_refuses_each_bad_free),
	KUNIT_CASE(core_recovers_from_stray_writes),
	KUNIT_CASE(core_stray_nil_link_is_counted_on_merge),
	KUNIT_CASE(core_random_ops_match_naive_model),
	{}
};

struct kunit_suite buddy_core_suite = {
	.name = "buddy_core",
	.test_cases = buddy_core_cases,
};
