// SPDX-License-Identifier: GPL-2.0
/*
 * Workloads for timing buddy_core.c and counting its instructions.
 *
 * Usage: bench_core WORKLOAD STEPS MODE
 *   steady  256 MiB of 64-byte blocks holding 100,000 live allocations of
 *           64 << (rand % 8) bytes; each step frees a random one and
 *           allocates a new random size in its slot.
 *   cycle   one min-block alloc + free on an empty 256 MiB range: a full
 *           split and a full merge every step.
 *   fill    allocate 64-byte blocks until a STEPS-block range is full,
 *           then free them all; one step is one alloc + one free.
 *   steady-harness
 *           steady's loop calling empty stand-ins instead of the core:
 *           what the workload itself costs, to subtract from steady.
 *   range   steady's range and live allocations, then every other one
 *           freed, for a fragmented pool; each step allocates one min
 *           block with buddy_core_alloc_range(), lowest first in a
 *           window from a random offset to the end, and frees it.
 *   range-topdown
 *           the same, highest first in a window from 0 to a random end.
 *   range-aligned
 *           range, with the block aligned to 16 min blocks.
 *   exact   the fragmented pool; each step allocates (3 + 2 * (rand % 8))
 *           min blocks, never a power of two, with
 *           buddy_core_alloc_exact() and frees them with
 *           buddy_core_free_exact().
 *   chunk 16 MiB in 256 chunks of 64 KiB, all free; each step removes
 *           a random chunk with buddy_core_remove_chunk() and adds it
 *           back with buddy_core_add_chunk().
 * The random-number costs (about 20 instructions a draw) are part of
 * every workload, as they are of steady.
 * MODE "time" prints ns_per_pair=X, the median of 5 runs, timing only
 * the measured loop; MODE "once" runs the workload once, silently, for
 * callgrind (scripts/bench-core.sh subtracts two step counts so the
 * setup cancels out).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_fake.h"
#include "buddy_core.h"

#define RANGE		(256ULL << 20)
#define MIN_BLOCK	64ULL
#define LIVE		100000
#define RUNS		5
#define CHUNK_SHIFT	16
#define NR_CHUNKS		256
#define NONE		UINT64_MAX

struct bench {
	struct buddy_core bc;
	unsigned char *mem;
	unsigned char *chunks[NR_CHUNKS];
	void *meta;
	u64 *slot;
	u64 rng;
	u64 failed;
	u64 sink;
};

/* splitmix64: fast, and the same stream on every run */
static u64 rnd(struct bench *b)
{
	u64 z = (b->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_core: %s\n", what);
	exit(1);
}

static void setup_chunks(struct bench *b, u64 size, unsigned int chunk_shift)
{
	size_t need = buddy_core_meta_size(size, MIN_BLOCK);
	u64 chunk;

	memset(b, 0, sizeof(*b));
	b->rng = 0x62756464790aULL;
	b->mem = malloc(size);
	b->meta = malloc(need);
	b->slot = malloc(LIVE * sizeof(*b->slot));
	if (!b->mem || !b->meta || !b->slot)
		die("out of memory");
	if (chunk_shift == BUDDY_CORE_ONE_CHUNK)
		b->chunks[0] = b->mem;
	else
		for (chunk = 0; chunk << chunk_shift < size; chunk++)
			b->chunks[chunk] = b->mem + (chunk << chunk_shift);
	if (buddy_core_init(&b->bc, size, MIN_BLOCK, chunk_shift,
			    b->chunks, b->meta, need))
		die("init failed");
}

static void setup(struct bench *b, u64 size)
{
	setup_chunks(b, size, BUDDY_CORE_ONE_CHUNK);
}

static void teardown(struct bench *b, bool check)
{
	char msg[256];

	if (check && buddy_core_check(&b->bc, msg, sizeof(msg))) {
		fprintf(stderr, "bench_core: check: %s\n", msg);
		exit(1);
	}
	free(b->mem);
	free(b->meta);
	free(b->slot);
}

static u64 alloc_random(struct bench *b)
{
	u64 off;

	if (buddy_core_alloc(&b->bc, MIN_BLOCK << (rnd(b) % 8), &off)) {
		b->failed++;
		return NONE;
	}
	return off;
}

/* The measured loop of each workload; returns elapsed ns. */
static double run_steady(struct bench *b, u64 steps)
{
	double t;
	u64 i;

	setup(b, RANGE);
	for (i = 0; i < LIVE; i++)
		b->slot[i] = alloc_random(b);
	t = now_ns();
	for (i = 0; i < steps; i++) {
		u64 j = rnd(b) % LIVE;

		if (b->slot[j] != NONE)
			buddy_core_free(&b->bc, b->slot[j]);
		b->slot[j] = alloc_random(b);
	}
	t = now_ns() - t;
	for (i = 0; i < LIVE; i++)
		b->sink += b->slot[i];
	return t;
}

/*
 * steady's loop with the allocator taken out: the same random numbers,
 * slot traffic and calls into another unit (the core is built as one), so
 * steady minus this is what the core itself costs.
 */
/* fake_alloc() and fake_free() live in bench_fake.c, another unit. */

static double run_harness(struct bench *b, u64 steps)
{
	double t;
	u64 i;

	setup(b, 4096);
	for (i = 0; i < LIVE; i++)
		b->slot[i] = fake_alloc(&b->sink, MIN_BLOCK << (rnd(b) % 8));
	t = now_ns();
	for (i = 0; i < steps; i++) {
		u64 j = rnd(b) % LIVE;

		if (b->slot[j] != NONE)
			fake_free(&b->sink, b->slot[j]);
		b->slot[j] = fake_alloc(&b->sink, MIN_BLOCK << (rnd(b) % 8));
	}
	return now_ns() - t;
}

static double run_cycle(struct bench *b, u64 steps)
{
	double t;
	u64 i, off;

	setup(b, RANGE);
	t = now_ns();
	for (i = 0; i < steps; i++) {
		if (buddy_core_alloc(&b->bc, MIN_BLOCK, &off))
			die("cycle: alloc failed");
		b->sink += off;
		buddy_core_free(&b->bc, off);
	}
	return now_ns() - t;
}

static double run_fill(struct bench *b, u64 steps)
{
	double t;
	u64 i, off;

	setup(b, steps * MIN_BLOCK);
	t = now_ns();
	for (i = 0; i < steps; i++) {
		if (buddy_core_alloc(&b->bc, MIN_BLOCK, &off))
			die("fill: alloc failed");
		b->sink += off;
	}
	if (!buddy_core_alloc(&b->bc, MIN_BLOCK, &off))
		die("fill: range not full");
	for (i = 0; i < steps; i++)
		buddy_core_free(&b->bc, i * MIN_BLOCK);
	return now_ns() - t;
}

/*
 * steady's range and live allocations, then every other one freed: free
 * blocks of all orders scattered over the range.
 */
static void setup_fragmented(struct bench *b)
{
	u64 i;

	setup(b, RANGE);
	for (i = 0; i < LIVE; i++)
		b->slot[i] = alloc_random(b);
	for (i = 0; i < LIVE; i += 2) {
		if (b->slot[i] != NONE)
			buddy_core_free(&b->bc, b->slot[i]);
		b->slot[i] = NONE;
	}
}

static double run_range_flags(struct bench *b, u64 steps, u64 align,
			      unsigned int flags)
{
	double t;
	u64 i, off, start, end;

	setup_fragmented(b);
	t = now_ns();
	for (i = 0; i < steps; i++) {
		u64 pos = (rnd(b) % (RANGE / MIN_BLOCK)) * MIN_BLOCK;

		start = flags & BUDDY_CORE_TOPDOWN ? 0 : pos;
		end = flags & BUDDY_CORE_TOPDOWN ? pos + MIN_BLOCK : 0;
		if (buddy_core_alloc_range(&b->bc, MIN_BLOCK, align, start, end,
					   flags, &off)) {
			b->failed++;
			continue;
		}
		b->sink += off;
		buddy_core_free(&b->bc, off);
	}
	return now_ns() - t;
}

static double run_range(struct bench *b, u64 steps)
{
	return run_range_flags(b, steps, 0, 0);
}

static double run_range_topdown(struct bench *b, u64 steps)
{
	return run_range_flags(b, steps, 0, BUDDY_CORE_TOPDOWN);
}

static double run_range_aligned(struct bench *b, u64 steps)
{
	return run_range_flags(b, steps, 16 * MIN_BLOCK, 0);
}

static double run_exact(struct bench *b, u64 steps)
{
	double t;
	u64 i, off;

	setup_fragmented(b);
	t = now_ns();
	for (i = 0; i < steps; i++) {
		u64 size = (3 + 2 * (rnd(b) % 8)) * MIN_BLOCK;

		if (buddy_core_alloc_exact(&b->bc, size, &off)) {
			b->failed++;
			continue;
		}
		b->sink += off;
		if (buddy_core_free_exact(&b->bc, off, size))
			die("exact: free failed");
	}
	return now_ns() - t;
}

static double run_chunk(struct bench *b, u64 steps)
{
	double t;
	u64 i;

	setup_chunks(b, (u64)NR_CHUNKS << CHUNK_SHIFT, CHUNK_SHIFT);
	t = now_ns();
	for (i = 0; i < steps; i++) {
		u64 chunk = rnd(b) % NR_CHUNKS;

		if (buddy_core_remove_chunk(&b->bc, chunk) ||
		    buddy_core_add_chunk(&b->bc, chunk))
			die("chunk: remove or add failed");
	}
	return now_ns() - t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double (*run)(struct bench *b, u64 steps);
	double ns[RUNS];
	struct bench b;
	bool timed;
	u64 steps;
	int i;

	if (argc != 4)
		die("usage: bench_core WORKLOAD STEPS time|once");
	if (!strcmp(argv[1], "steady"))
		run = run_steady;
	else if (!strcmp(argv[1], "cycle"))
		run = run_cycle;
	else if (!strcmp(argv[1], "fill"))
		run = run_fill;
	else if (!strcmp(argv[1], "steady-harness"))
		run = run_harness;
	else if (!strcmp(argv[1], "range"))
		run = run_range;
	else if (!strcmp(argv[1], "range-topdown"))
		run = run_range_topdown;
	else if (!strcmp(argv[1], "range-aligned"))
		run = run_range_aligned;
	else if (!strcmp(argv[1], "exact"))
		run = run_exact;
	else if (!strcmp(argv[1], "chunk"))
		run = run_chunk;
	else
		die("unknown workload");
	steps = strtoull(argv[2], NULL, 0);
	if (!steps || steps > BUDDY_CORE_MAX_BLOCKS)
		die("bad step count");
	timed = !strcmp(argv[3], "time");
	if (!timed && strcmp(argv[3], "once"))
		die("mode is time or once");

	if (!timed) {
		run(&b, steps);
		teardown(&b, false);
		return 0;
	}
	for (i = 0; i < RUNS; i++) {
		ns[i] = run(&b, steps) / (double)steps;
		if (b.failed)
			fprintf(stderr, "bench_core: %s: %llu allocations failed\n",
				argv[1], (unsigned long long)b.failed);
		teardown(&b, true);
	}
	qsort(ns, RUNS, sizeof(ns[0]), cmp_double);
	printf("ns_per_pair=%.1f\n", ns[RUNS / 2]);
	return 0;
}
