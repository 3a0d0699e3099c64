/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the core_test*.c files share: the assertions and fixtures of
 * core_test.c, the helpers a test file lends another, and the tests the
 * runner in core_test.c calls.
 */
#ifndef BUDDY_CORE_TEST_H
#define BUDDY_CORE_TEST_H

#include "model.h"

#define KB	1024ULL
#define MB	(1024 * KB)
#define MAX_FIX	64

extern struct sim *t_fix[MAX_FIX];
extern unsigned int t_nfix;
extern void *t_map;
extern size_t t_map_len;
extern u64 t_seed;
extern u64 t_ops;
extern struct msrc t_rng;
extern unsigned int t_trace;
extern unsigned int t_huge;

void t_assert(bool ok, const char *expr, const char *file, int line);
void t_assert_eq(long long a, long long b, const char *ea,
		 const char *eb, const char *file, int line);
void t_assert_sim(struct sim *s, bool ok, const char *expr,
		  const char *file, int line);
void t_assert_check(const struct buddy_core *bc, const char *file,
		    int line);

#define ASSERT(c)	t_assert(!!(c), #c, __FILE__, __LINE__)
#define ASSERT_EQ(a, b) \
	t_assert_eq((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define ASSERT_SIM(s, x)	t_assert_sim((s), (x), #x, __FILE__, __LINE__)
#define ASSERT_CHECK(bc)	t_assert_check((bc), __FILE__, __LINE__)

/* fixtures, in core_test.c */
struct sim *fix_chunk(u64 size, u64 min_block, unsigned int chunk_shift);
struct sim *fix(u64 size, u64 min_block);
void *t_malloc(size_t size);
u64 t_alloc(struct sim *s, u64 size);
void t_alloc_fails(struct sim *s, u64 size, int err);
void t_free(struct sim *s, u64 off);
void t_bad_free(struct sim *s, u64 off, int err);
void t_drain(struct sim *s);
void t_free_all(struct sim *s);
void t_free_each(struct sim *s);
void t_done(struct sim *s);

/* The blocks the iterator reports, as (offset, order, free) triples. */
struct blk_want {
	u64 off;
	unsigned int order;
	bool free;
};

void t_blocks(const struct buddy_core *bc, const struct blk_want *w,
	      unsigned int n);
u64 t_free_of_order(const struct buddy_core *bc, unsigned int order);

/* helpers a test file lends another, by the file that defines them */

/* core_test_stray.c */
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

struct sim *comb(u64 n);
void smash_bytes(struct sim *s, enum smash kind, u64 x,
		 unsigned char *buf);
bool smash(struct sim *s, u64 x, const unsigned char *buf);
void t_recovers(struct sim *s);

/* core_test_checker.c */
void flip(unsigned long *map, u64 bit);
void flip_split(struct buddy_core *c, unsigned int order, u64 idx);
struct buddy_core *t_copy(struct sim *s, struct buddy_core *c);
void t_refused(const struct buddy_core *c);

/* core_test_range.c */
void t_add_chunk(struct sim *s, u64 chunk);

/* core_test_zero.c */
u64 t_range_ok(struct sim *s, u64 size, u64 start, u64 end,
	       unsigned int flags);

/* the tests, by file */

/* core_test_geometry.c */
void init_rejects_bad_geometry(void);
void meta_size_is_about_six_bits_per_block(void);
void init_single_min_block(void);
void init_two_and_three_blocks(void);
void init_non_power_of_two_forest(void);
void tiny_ranges_of_every_block_count(void);
void largest_order_range(void);
void chunks_hold_whole_blocks(void);
void min_block_16_64_4096(void);
void non_power_of_two_ranges_carve_aligned_roots(void);

/* core_test_alloc.c */
void alloc_splits_down_to_exact_order(void);
void alloc_takes_smallest_fit(void);
void alloc_reuses_last_freed_first(void);
void alloc_rejects_zero_and_huge_sizes(void);
void exhaustion_then_full_recovery(void);
void free_merges_back_to_maximal_blocks(void);
void bad_free_reports_each_error_and_changes_nothing(void);
void counters_track_every_call(void);
void iterator_walks_blocks_in_address_order(void);
void snapshot_keeps_the_state_it_copied(void);
void block_of_512m_splits_to_4k_and_merges_back(void);

/* core_test_stray.c */
void checker_reports_smashed_links(void);
void stray_write_repaired_when_block_is_allocated(void);
void stray_write_repaired_when_block_merges(void);
void stray_write_on_list_head_repaired_by_push(void);
void stray_write_on_lone_block_repaired(void);
void forged_next_link_refused_by_pop_split_and_merge(void);
void stray_writes_that_agree_repaired(void);
void stray_write_past_links_is_harmless(void);
void stray_nil_next_link_caught_on_merge(void);
void stray_nil_or_self_links_caught_on_first_touch(void);

/* core_test_checker.c */
void checker_reports_each_broken_invariant(void);
void checker_refuses_bogus_list_entries(void);

/* core_test_range.c */
void range_takes_lowest_or_highest_fit(void);
void range_fits_where_plain_alloc_would_not_look(void);
void range_exhausts_its_window_only(void);
void range_search_remembers_until_the_core_changes(void);
void exact_keeps_n_blocks_for_every_n(void);
void free_exact_refuses_wrong_calls_changing_nothing(void);
void free_exact_frees_the_whole_block_when_it_can(void);
void chunks_come_and_go(void);
void range_search_cost_is_bounded(void);
void stray_write_caught_by_range_and_exact(void);
void range_and_exact_above_4m_on_non_power_of_two_ranges(void);
void checker_reports_broken_free_bitmaps_and_chunks(void);

/* core_test_zero.c */
void init_leaves_nothing_known_zero(void);
void zero_split_keeps_zero_in_both_halves(void);
void zero_merge_with_nonzero_buddy_loses_it(void);
void zero_bytes_follow_every_call(void);
void set_zeroed_marks_free_blocks_wholly_inside(void);
void zeroed_answers_for_allocated_blocks_only(void);
void snapshot_keeps_zero_bits(void);
void checker_reports_broken_zero_bits(void);

/* core_test_random.c */
void random_ops_match_naive_model(void);

#endif /* BUDDY_CORE_TEST_H */
