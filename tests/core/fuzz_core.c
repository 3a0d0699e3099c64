// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target for buddy_core.c.
 *
 * The first four bytes of an input choose a geometry (now and then an
 * invalid one, which init must refuse); the rest drive the same random
 * operations as core_test.c: allocs, frees (some zeroed), bad frees,
 * probes, set_zeroed() and stray writes, each followed by a full
 * comparison with the naive model in model.c and by buddy_core_check().
 * Any disagreement aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

/*
 * The Makefile passes -DFUZZ_ENTRY=LLVMFuzzerTestOneInput, the name
 * libFuzzer calls, which checkpatch would flag as CamelCase.
 */
int FUZZ_ENTRY(const u8 *data, size_t len);

static void fail(struct sim *s, const char *what)
{
	fprintf(stderr, "fuzz_core: %s after %llu ops (size %#llx min %llu chunk %u): %s\n",
		what, (unsigned long long)s->nr_ops,
		(unsigned long long)s->m.size,
		(unsigned long long)s->m.min_block, s->chunk_shift, s->err);
	abort();
}

int FUZZ_ENTRY(const u8 *data, size_t len)
{
	struct msrc src = { .data = data, .len = len };
	static struct sim s;
	unsigned int shift, chunk_shift = BUDDY_CORE_ONE_CHUNK, log;
	u64 min_block, nblocks, size;
	int ret;

	if (len < 4)
		return -1;
	src.pos = 4;
	/*
	 * The geometry. Small: 1-64 or 1-512 min blocks of 16 B to 4 KiB, in
	 * one chunk or, with bit 0 of data[3], in chunks. Large, with bit 5
	 * of data[2]: 2049-8224 min blocks of 16-256 B in one chunk
	 * (BUDDY_CORE_ONE_CHUNK), as a contiguous pool is, never a power of
	 * two: 2^11, 2^12 or 2^13 plus 1-32, or 2049 + 29 k. So blocks reach
	 * orders 11-13, more than the 1024 min blocks of the old 4 MiB chunk
	 * at 4 KiB, in forests of roots of several orders. The small min
	 * blocks keep a large range under 2.1 MiB.
	 */
	if (data[2] & 0x20) {
		shift = 4 + data[0] % 5;
		if (data[1] & 1)
			nblocks = (2048ULL << (data[1] >> 1) % 3) + 1 +
				  (data[1] >> 3);
		else
			nblocks = 2049 + (data[1] >> 1) * 29ULL;
	} else {
		shift = 4 + data[0] % 9;
		nblocks = 1 + data[1] % (data[2] & 1 ? 512 : 64);
	}
	min_block = 1ULL << shift;
	size = nblocks << shift;
	log = 63 - (unsigned int)__builtin_clzll(nblocks);
	if ((data[3] & 1) && nblocks <= 512)
		chunk_shift = shift + (data[3] >> 1) % (log + 2);
	/* a few inputs ask for what init must refuse */
	if (data[0] == 0xff)
		min_block = 24;
	if (data[3] == 0xff)
		chunk_shift = shift - 1;
	if (data[0] == 0xfe)
		size += 8;

	s.trace = !!getenv("FUZZ_CORE_TRACE");
	/* now and then start with some chunks absent */
	s.absent_init = data[2] & 0x80 ? data[1] : 0;
	/* and now and then with the memory zeroed and known to be */
	s.zero_init = !!(data[2] & 0x40);
	ret = sim_init(&s, size, min_block, chunk_shift, &src);
	if (ret < 0)
		fail(&s, "init");
	if (ret == 0) {
		sim_destroy(&s);
		return 0;
	}
	/* allocating each min block of a large range, a verify each, is slow */
	s.no_drain = nblocks > 512;
	if (!sim_verify(&s))
		fail(&s, "after init");
	while (src.pos < src.len && s.nr_ops < 4096)
		if (!sim_step(&s))
			fail(&s, "step");
	if (!sim_finish(&s))
		fail(&s, "finish");
	sim_destroy(&s);
	return 0;
}
