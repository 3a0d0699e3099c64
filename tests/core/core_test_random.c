// SPDX-License-Identifier: GPL-2.0
/* core_test: random operations, checked against the naive model. */
#include <stdio.h>
#include <stdlib.h>

#include "core_test.h"

/* ---- randomized differential test ---- */

static const struct {
	u64 size, min_block;
	unsigned int chunk_shift;
	u64 absent_init;	/* chunks absent at init */
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

void random_ops_match_naive_model(void)
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
			     geoms[g].chunk_shift, &src) != 1 ||
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
		moves += s->nr_chunk_moves;
		zfrees += s->nr_zero_frees;
		zallocs += s->nr_zero_allocs;
		zsets += s->nr_set_zeroed;
	}
	printf("    %llu ops, %llu link smashes, %llu repairs\n",
	       (unsigned long long)total, (unsigned long long)smashes,
	       (unsigned long long)repairs);
	printf("    %llu range and %llu exact allocations, %llu chunks added or removed\n",
	       ULL(ranges), ULL(exacts), ULL(moves));
	printf("    %llu zeroed frees, %llu set_zeroed calls, %llu allocations known zero\n",
	       ULL(zfrees), ULL(zsets), ULL(zallocs));
}
