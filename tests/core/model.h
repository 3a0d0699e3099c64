/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The naive model of buddy_core and the driver that runs both side by
 * side, defined in model.c: the types and calls the tests use.
 */
#ifndef BUDDY_CORE_MODEL_H
#define BUDDY_CORE_MODEL_H

#include "buddy_core.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* bytes of a free block that hold the core's links */
#define M_LINK_BYTES	8

struct model {
	u64 size;
	u64 min_block;
	u32 nblocks;
	unsigned int min_shift;
	unsigned int max_order;
	u8 *order;
	u8 *used;
	/* at the start of a block: known zero (free), or was when allocated */
	u8 *zero;
	/* chunks: min blocks each (log2), count, and which are absent */
	unsigned int chunk_bits;
	u64 nchunks;
	u8 *absent;
	u64 nr_allocs;
	u64 nr_frees;
	u64 nr_failed;
	u64 nr_bad_frees;
};

bool model_is_pristine(const struct model *m);
int model_classify(const struct model *m, u64 off, u64 *startp);
int model_range(const struct model *m, u64 size, u64 align,
		u64 start, u64 end, unsigned int flags, u64 *pp,
		u64 *qp);

/* ---- the driver ---- */

/*
 * Where the driver's choices come from: a splitmix64 stream when @data is
 * NULL, else the bytes of a fuzzer input (zeros once it runs out).
 */
struct msrc {
	const u8 *data;
	size_t len;
	size_t pos;
	u64 state;
};

struct sim {
	struct buddy_core bc;
	struct model m;
	unsigned int chunk_shift;
	u64 nchunks;
	unsigned char **chunks;
	void *meta;
	size_t meta_size;
	u64 *live;
	u64 nr_live;
	/* exact allocations (offset, size), some freed since in parts */
	u64 *ex_off;
	u64 *ex_size;
	u64 nr_exact;
	/* chunks below 64 to leave absent at init */
	u64 absent_init;
	/* zero the memory before init and tell the core with set_zeroed() */
	unsigned int zero_init;
	/* chunks added zeroed: 0 now and then, 1 never, 2 always */
	unsigned int add_zeroed;
	/* counts of the new calls that succeeded */
	u64 nr_range;
	u64 nr_exact_ok;
	u64 nr_chunk_moves;
	/* a stray write changed links the core has not repaired yet */
	unsigned int dirty;
	/*
	 * The smashes since the last repair and, for the first, the block,
	 * its order, the new link values and which of the two links changed:
	 * until it is repaired, the core must not change those links.
	 */
	unsigned int nr_pending;
	u64 smash_off;
	unsigned int smash_order;
	u32 smash_link[2];
	unsigned int smash_which;
	/* zeroed frees, set_zeroed() calls and allocations that were zero */
	u64 nr_zero_frees;
	u64 nr_set_zeroed;
	u64 nr_zero_allocs;
	u64 corruptions;
	u64 nr_ops;
	u64 nr_smashes;
	u64 nr_repairs;
	/* print every operation to stderr */
	unsigned int trace;
	/* leave stray writes out of sim_step() */
	unsigned int no_stray;
	/*
	 * leave out the drains, in sim_step() and sim_finish(), that allocate
	 * every min block with a verify each: O(n^2) in min blocks, too slow
	 * for a fuzzer on large ranges
	 */
	unsigned int no_drain;
	struct msrc *src;
	char err[1024];
	char chk[256];
};

#define ULL(x)	((unsigned long long)(x))

unsigned char *sim_addr(const struct sim *s, u64 off);
void sim_destroy(struct sim *s);
int sim_init(struct sim *s, u64 size, u64 min_block,
	     unsigned int chunk_shift, struct msrc *src);
bool sim_all_zero(const struct sim *s, u64 off, u64 bytes);
void sim_note_smash(struct sim *s, u64 off, unsigned int order,
		    const unsigned char *old, const unsigned char *buf);
bool sim_verify(struct sim *s);
bool sim_alloc(struct sim *s, u64 size);
bool sim_free_z(struct sim *s, u64 off, bool zero);
bool sim_free(struct sim *s, u64 off);
bool sim_probe(struct sim *s, u64 off);
bool sim_alloc_range(struct sim *s, u64 size, u64 align, u64 start,
		     u64 end, unsigned int flags);
bool sim_alloc_exact(struct sim *s, u64 size);
bool sim_free_exact_z(struct sim *s, u64 off, u64 size, bool zero);
bool sim_free_exact(struct sim *s, u64 off, u64 size);
bool sim_set_zeroed(struct sim *s, u64 start, u64 end);
bool sim_add_chunk(struct sim *s, u64 chunk, bool give_mem);
bool sim_remove_chunk(struct sim *s, u64 chunk);
bool sim_evacuate(struct sim *s, u64 chunk);
bool sim_drain(struct sim *s);
bool sim_free_all(struct sim *s);
bool sim_step(struct sim *s);
bool sim_finish(struct sim *s);

#endif /* BUDDY_CORE_MODEL_H */
