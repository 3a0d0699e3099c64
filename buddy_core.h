/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure buddy allocator core shared by buddy.ko and the
 * user-space tests.
 *
 * The core manages the offsets [0, size) of a range made of one or more
 * equally sized chunks. It takes no locks, allocates nothing and prints
 * nothing: the caller supplies the metadata storage and serialises every
 * call on one struct buddy_core.
 *
 * It is plain kernel C. The user-space tests compile it, and
 * buddy_core.c, against the stand-ins for the kernel headers kept in
 * tests/core/linux/.
 */
#ifndef BUDDY_CORE_H
#define BUDDY_CORE_H

/* All that buddy_core.c needs as well: it includes only this header. */
#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/types.h>

/* Smallest supported min block: a free block holds two 32-bit links. */
#define BUDDY_CORE_MIN_BLOCK	16
/* Orders 0..BUDDY_CORE_MAX_ORDER; matches BUDDY_NR_ORDERS in buddy.h. */
#define BUDDY_CORE_NR_ORDERS	32
#define BUDDY_CORE_MAX_ORDER	(BUDDY_CORE_NR_ORDERS - 1)
/* Most min blocks one core can manage (indices are 32-bit). */
#define BUDDY_CORE_MAX_BLOCKS	0x80000000ULL
/* Pass as @chunk_shift when the whole range is one contiguous chunk. */
#define BUDDY_CORE_ONE_CHUNK	0
/* buddy_core_alloc_range() flag: the highest suitable offset, not the lowest */
#define BUDDY_CORE_TOPDOWN	0x1

/**
 * struct buddy_core - state of one buddy-managed range
 * @nr_allocs: successful buddy_core_alloc(), buddy_core_alloc_range() and
 *	buddy_core_alloc_exact() calls
 * @nr_frees: successful buddy_core_free() and buddy_core_free_exact() calls
 * @nr_failed: failed calls of the three allocators
 * @nr_bad_frees: refused buddy_core_free() and buddy_core_free_exact()
 *	calls
 * @nr_corruptions: times a bad free-list link was found and the lists
 *	were rebuilt from the bitmaps
 * @nr_scanned: free-bitmap and summary words read by
 *	buddy_core_alloc_range(), to measure its search cost
 * @gen: bumped by every call that may change the state, so that a caller
 *	that drops its lock between steps of buddy_core_check_step() can tell
 *	whether the core changed meanwhile
 *
 * The bitmaps in the caller-supplied metadata are the truth: a head bit per
 * min block marks the start of each allocated block, and a split bit per
 * tree node above order 0 marks nodes divided into two halves. A free block
 * is a node that is not split, whose parent is split (or which is a root),
 * and whose start has no head bit. The per-order free lists are doubly
 * linked through the first bytes of the free blocks themselves; every link
 * is checked against the bitmaps before it is followed, and the lists are
 * rebuilt from the bitmaps when a stray write is found. A free bitmap per
 * order, with a summary bit per 64-bit word of it, mirrors the lists so
 * that buddy_core_alloc_range() can find free blocks by address.
 *
 * A known-zero bit per min block, set only where a block starts, says that
 * a free block holds only zero bytes (apart from its links, which the core
 * clears when the block stops being free), or that an allocated block did
 * when it was allocated. Splitting keeps the bit in both halves; merging
 * keeps it only if both halves have it.
 *
 * A chunk whose address is NULL at init, or that was removed, is absent:
 * no block of it is free or allocated and no link is written into it.
 *
 * The geometry and lists are private to buddy_core.c; the counters may be
 * read directly.
 */
struct buddy_core {
	/* private: read through the accessors below */
	/* geometry, fixed by buddy_core_init() */
	u64 size;
	u32 nblocks;
	u8 min_shift;
	u8 max_order;
	u8 chunk_bits;
	u64 chunk_mask;
	u64 max_bytes;
	unsigned char *const *chunks;
	unsigned long *head;
	u64 *split;
	/* where the split bit of a node of order k lives: see split_word() */
	u32 split_woff[BUDDY_CORE_NR_ORDERS];
	u8 split_wshift[BUDDY_CORE_NR_ORDERS];
	u8 split_pbase[BUDDY_CORE_NR_ORDERS];
	u8 split_pmask[BUDDY_CORE_NR_ORDERS];
	/* min blocks covered by whole nodes of each order; 0 above max_order */
	u32 exist_end[BUDDY_CORE_NR_ORDERS + 1];
	/* chunks: one bit each in @absent, set while a chunk is absent */
	u32 nchunks;
	unsigned long *absent;
	/* bytes of the present chunks */
	u64 present;
	/*
	 * a bit per min block, set only at the start of a block: a free
	 * block known to hold only zeros, or an allocated block that was
	 * known zero when it was allocated
	 */
	unsigned long *zmap;
	/* bytes of the free blocks whose zmap bit is set */
	u64 zero_bytes;
	/* allocated blocks whose zmap bit is set: free() skips zmap at 0 */
	u64 zero_used;
	/*
	 * per order, a bit per node set iff it is a free block, and a bit per
	 * 64-bit word of that set iff the word is non-zero; @fbytes of both
	 * lie together in the metadata
	 */
	u64 *fmap[BUDDY_CORE_NR_ORDERS];
	u64 *fsum[BUDDY_CORE_NR_ORDERS];
	size_t fbytes;
	/* allocated blocks beyond one per counted alloc (exact parts) */
	u64 nr_parts;

	/*
	 * what the last range search found, for the next one: no free block
	 * of order @hint_k at a multiple of 2^@hint_ao starts in
	 * [@hint_lo, @hint_hi) (min blocks), true while @gen is @hint_gen
	 */
	u64 hint_lo, hint_hi, hint_gen;
	unsigned int hint_k, hint_ao;

	/* free lists */
	u32 nonempty;
	u32 free_head[BUDDY_CORE_NR_ORDERS];
	/*
	 * the last block of each non-empty list, so that a NIL next link
	 * can be checked
	 */
	u32 free_tail[BUDDY_CORE_NR_ORDERS];
	/* the address of each list's head block, where its links are */
	void *head_link[BUDDY_CORE_NR_ORDERS];
	/* blocks per list: fewer than 2^31, as the min blocks are */
	u32 nr_free[BUDDY_CORE_NR_ORDERS];

	/* public: counters, read under the caller's lock */
	u64 nr_allocs;
	u64 nr_frees;
	u64 nr_failed;
	u64 nr_bad_frees;
	u64 nr_corruptions;
	u64 nr_scanned;
	u64 gen;
};

/**
 * struct buddy_core_block - one block, as reported by the iterator
 * @off: byte offset of the block in the range
 * @order: the block is (min_block << @order) bytes
 * @free: true for a free block, false for an allocated one
 */
struct buddy_core_block {
	u64 off;
	unsigned int order;
	bool free;
};

size_t buddy_core_meta_size(u64 size, u64 min_block);
int buddy_core_init(struct buddy_core *bc, u64 size, u64 min_block,
		    unsigned int chunk_shift, unsigned char *const *chunks,
		    void *meta, size_t meta_size);
int buddy_core_alloc(struct buddy_core *bc, u64 size, u64 *offp);
int buddy_core_free(struct buddy_core *bc, u64 off);
int buddy_core_block_order(const struct buddy_core *bc, u64 off);
int buddy_core_order_for(const struct buddy_core *bc, u64 size);
bool buddy_core_next_block(const struct buddy_core *bc, u64 *pos,
			   struct buddy_core_block *blk);
int buddy_core_check(const struct buddy_core *bc, char *buf, size_t len);

/**
 * struct buddy_core_checker - progress of buddy_core_check_step()
 *
 * Zeroed to start a check; otherwise only the core reads and writes it.
 */
struct buddy_core_checker {
	/* private: */
	unsigned int phase, order;
	bool started;
	u32 idx, prev;
	u64 n, pos, i, j, bits;
	struct buddy_core_block blk;
	u64 nr_free[BUDDY_CORE_NR_ORDERS];
	u64 free_blocks, used_blocks, nr_used, zero, zero_used, present;
};

int buddy_core_check_step(const struct buddy_core *bc,
			  struct buddy_core_checker *ck, u64 budget,
			  char *buf, size_t len);
void *buddy_core_addr(const struct buddy_core *bc, u64 off);
int buddy_core_snapshot(const struct buddy_core *bc, struct buddy_core *copy,
			void *meta, size_t meta_size);

int buddy_core_alloc_range(struct buddy_core *bc, u64 size, u64 align,
			   u64 start, u64 end, unsigned int flags, u64 *offp);
int buddy_core_alloc_exact(struct buddy_core *bc, u64 size, u64 *offp);
int buddy_core_free_exact(struct buddy_core *bc, u64 off, u64 size);
int buddy_core_free_zeroed(struct buddy_core *bc, u64 off);
int buddy_core_free_exact_zeroed(struct buddy_core *bc, u64 off, u64 size);
void buddy_core_set_zeroed(struct buddy_core *bc, u64 start, u64 end);
bool buddy_core_zeroed(const struct buddy_core *bc, u64 off);
int buddy_core_add_chunk(struct buddy_core *bc, u64 chunk);
int buddy_core_remove_chunk(struct buddy_core *bc, u64 chunk);
bool buddy_core_chunk_present(const struct buddy_core *bc, u64 chunk);

/*
 * The next free block of @order, or the next allocated block, at or after
 * the cursor @pos; false at the end. Start with *@pos = 0.
 */
static inline bool buddy_core_next_free(const struct buddy_core *bc,
					unsigned int order, u64 *pos,
					struct buddy_core_block *blk)
{
	while (buddy_core_next_block(bc, pos, blk)) {
		if (blk->free && blk->order == order)
			return true;
	}
	return false;
}

static inline bool buddy_core_next_used(const struct buddy_core *bc,
					u64 *pos, struct buddy_core_block *blk)
{
	while (buddy_core_next_block(bc, pos, blk)) {
		if (!blk->free)
			return true;
	}
	return false;
}

/* O(1) statistics. */

/* Bytes of the chunks that are present: what can be allocated. */
static inline u64 buddy_core_size(const struct buddy_core *bc)
{
	return bc->present;
}

/* Offsets in the range, [0, range), present or not: the init size. */
static inline u64 buddy_core_range(const struct buddy_core *bc)
{
	return bc->size;
}

static inline u64 buddy_core_min_block(const struct buddy_core *bc)
{
	return 1ULL << bc->min_shift;
}

static inline unsigned int buddy_core_max_order(const struct buddy_core *bc)
{
	return bc->max_order;
}

static inline u64 buddy_core_free_bytes(const struct buddy_core *bc)
{
	u64 blocks = 0;
	unsigned int order;

	for (order = 0; order <= bc->max_order; order++)
		blocks += (u64)bc->nr_free[order] << order;
	return blocks << bc->min_shift;
}

/* Free bytes known to hold only zeros: blocks with their zero bit set. */
static inline u64 buddy_core_zero_bytes(const struct buddy_core *bc)
{
	return bc->zero_bytes;
}

static inline u64 buddy_core_used_bytes(const struct buddy_core *bc)
{
	return bc->present - buddy_core_free_bytes(bc);
}

static inline u64 buddy_core_nr_free(const struct buddy_core *bc,
				     unsigned int order)
{
	return order < BUDDY_CORE_NR_ORDERS ? bc->nr_free[order] : 0;
}

/* Largest order with a free block, or -1 when nothing is free. */
static inline int buddy_core_largest_free_order(const struct buddy_core *bc)
{
	return bc->nonempty ? (int)__fls(bc->nonempty) : -1;
}

#endif /* BUDDY_CORE_H */
