// SPDX-License-Identifier: GPL-2.0
/*
 * User-space unit and randomized tests of buddy_core.c.
 *
 * Built with ASan and UBSan against the unchanged core. Each test is a
 * function that asserts buddy_core_check() passes before and after its
 * scenario; an assertion longjmps out of the test, and the runner frees
 * whatever the test had set up. The randomized test replays seeded
 * operations against the naive model in model.c. This file holds the
 * assertions, the fixtures and the runner; the tests are in
 * core_test_*.c, declared in core_test.h.
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

#include "core_test.h"

static jmp_buf t_env;
static const char *t_file;
static int t_line;
struct sim *t_fix[MAX_FIX];
unsigned int t_nfix;
static void *t_mem[MAX_FIX];
static unsigned int t_nmem;
void *t_map;
size_t t_map_len;
u64 t_seed;
u64 t_ops = 4000;
struct msrc t_rng;
unsigned int t_trace;
unsigned int t_huge;

static void t_where(void)
{
	fprintf(stderr, "    at %s:%d\n", t_file, t_line);
}

static void t_abort(void)
{
	longjmp(t_env, 1);
}

void t_assert(bool ok, const char *expr, const char *file, int line)
{
	if (ok)
		return;
	t_file = file;
	t_line = line;
	fprintf(stderr, "    FAILED: %s\n", expr);
	t_where();
	t_abort();
}

void t_assert_eq(long long a, long long b, const char *ea,
		 const char *eb, const char *file, int line)
{
	if (a == b)
		return;
	t_file = file;
	t_line = line;
	fprintf(stderr, "    FAILED: %s == %s\n      %lld (%#llx) != %lld (%#llx)\n",
		ea, eb, a, ULL(a), b, ULL(b));
	t_where();
	t_abort();
}

void t_assert_sim(struct sim *s, bool ok, const char *expr,
		  const char *file, int line)
{
	if (ok)
		return;
	t_file = file;
	t_line = line;
	fprintf(stderr, "    FAILED: %s\n      %s\n", expr, s->err);
	t_where();
	t_abort();
}

void t_assert_check(const struct buddy_core *bc, const char *file,
		    int line)
{
	char buf[256] = "";
	int ret = buddy_core_check(bc, buf, sizeof(buf));

	if (!ret)
		return;
	t_file = file;
	t_line = line;
	fprintf(stderr, "    FAILED: buddy_core_check() = %d: %s\n", ret, buf);
	t_where();
	t_abort();
}

/* ---- fixtures ---- */

/* A range with exactly sized buffers, its model, and a passing check. */
struct sim *fix_chunk(u64 size, u64 min_block, unsigned int chunk_shift)
{
	struct sim *s = calloc(1, sizeof(*s));

	ASSERT(s && t_nfix < MAX_FIX);
	t_fix[t_nfix++] = s;
	ASSERT_SIM(s, sim_init(s, size, min_block, chunk_shift, &t_rng) == 1);
	ASSERT_SIM(s, sim_verify(s));
	ASSERT(model_is_pristine(&s->m));
	ASSERT_CHECK(&s->bc);
	return s;
}

struct sim *fix(u64 size, u64 min_block)
{
	return fix_chunk(size, min_block, BUDDY_CORE_ONE_CHUNK);
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
void *t_malloc(size_t size)
{
	void *p;

	ASSERT(t_nmem < MAX_FIX);
	p = malloc(size);
	ASSERT(p);
	t_mem[t_nmem++] = p;
	return p;
}

/* Allocate through the driver (so the model checks it); the offset. */
u64 t_alloc(struct sim *s, u64 size)
{
	u64 live = s->nr_live;

	ASSERT_SIM(s, sim_alloc(s, size));
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_EQ(s->nr_live, live + 1);
	return s->live[live];
}

/* An allocation that must fail with @err. */
void t_alloc_fails(struct sim *s, u64 size, int err)
{
	u64 failed = s->bc.nr_failed, off = 0x1234;

	ASSERT_EQ(buddy_core_alloc(&s->bc, size, &off), err);
	ASSERT_EQ(s->bc.nr_failed, failed + 1);
	s->m.nr_failed++;
	ASSERT_SIM(s, sim_verify(s));
}

void t_free(struct sim *s, u64 off)
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
void t_bad_free(struct sim *s, u64 off, int err)
{
	u64 p, bad = s->bc.nr_bad_frees;

	ASSERT_EQ(model_classify(&s->m, off, &p), err);
	ASSERT_EQ(buddy_core_block_order(&s->bc, off), err);
	ASSERT_SIM(s, sim_probe(s, off));
	ASSERT_SIM(s, sim_free(s, off));
	ASSERT_EQ(s->bc.nr_bad_frees, bad + 1);
	ASSERT_SIM(s, sim_verify(s));
}

void t_drain(struct sim *s)
{
	ASSERT_SIM(s, sim_drain(s));
}

void t_free_all(struct sim *s)
{
	ASSERT_SIM(s, sim_free_all(s));
	ASSERT(model_is_pristine(&s->m));
}

/*
 * Free every live block, newest first, none zeroed: a zeroed free writes
 * the whole block, and a block of a large range can be hundreds of MiB.
 */
void t_free_each(struct sim *s)
{
	while (s->nr_live)
		t_free(s, s->live[s->nr_live - 1]);
	ASSERT(model_is_pristine(&s->m));
}

/* End of a scenario: model, counters and checker all agree. */
void t_done(struct sim *s)
{
	ASSERT_SIM(s, sim_verify(s));
	ASSERT_CHECK(&s->bc);
}

void t_blocks(const struct buddy_core *bc, const struct blk_want *w,
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
u64 t_free_of_order(const struct buddy_core *bc, unsigned int order)
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
	T(chunks_hold_whole_blocks),
	T(min_block_16_64_4096),
	T(non_power_of_two_ranges_carve_aligned_roots),
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
	T(block_of_512m_splits_to_4k_and_merges_back),
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
	T(checker_reports_broken_free_bitmaps_and_chunks),
	T(range_takes_lowest_or_highest_fit),
	T(range_fits_where_plain_alloc_would_not_look),
	T(range_exhausts_its_window_only),
	T(range_search_remembers_until_the_core_changes),
	T(exact_keeps_n_blocks_for_every_n),
	T(free_exact_refuses_wrong_calls_changing_nothing),
	T(free_exact_frees_the_whole_block_when_it_can),
	T(chunks_come_and_go),
	T(range_search_cost_is_bounded),
	T(stray_write_caught_by_range_and_exact),
	T(range_and_exact_above_4m_on_non_power_of_two_ranges),
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
