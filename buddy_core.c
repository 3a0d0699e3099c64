// SPDX-License-Identifier: GPL-2.0
/*
 * The bitmap-and-free-list buddy allocator core.
 *
 * Two bitmaps in caller-supplied storage describe the whole state, at two
 * bits per min block: a head bit at the start of every allocated block and
 * a split bit for every tree node above order 0 that has been divided.
 * Everything else is derived: a node is a block (a leaf) when its parent is
 * split and it is not, and a leaf is free when its head bit is clear.
 *
 * The per-order free lists only make "find a free block of order k" O(1).
 * They are doubly linked through the first eight bytes of each free block,
 * where a client's stray write can reach them, so a link is followed only
 * after the bitmaps confirm that it names a free block of the right order
 * whose back link agrees. A bad link is counted and the lists are rebuilt
 * from the bitmaps; no memory is lost and no wild pointer is followed.
 *
 * A free bitmap per order, with a summary bit per word of it, mirrors the
 * lists: it costs two stores a list operation, lets
 * buddy_core_alloc_range() find the lowest or highest free block in a
 * window without walking the lists, and checks a link, or whether a buddy
 * is free, in one word read. Chunks may be absent (all their bits
 * clear, nothing listed) and come and go with the pool.
 *
 * A third bitmap, zmap, has a bit at the start of each block known to
 * hold only zeros, for callers that zero memory on free or on allocation.
 * It costs a bit test a split or merge level while nothing is known zero.
 *
 * The caller serialises all calls on one struct buddy_core.
 */
#include "buddy_core.h"

#define NIL		((u32)~0U)
#define NONE		(~0ULL)

/* Free-list links, stored in the first bytes of each free block. */
struct link {
	u32 next;
	u32 prev;
};

/*
 * The head, known-zero and chunk bitmaps are read and written with
 * generic_test_bit(), generic___set_bit() and generic___clear_bit() rather
 * than test_bit(), __set_bit() and __clear_bit(). On x86 those are asm
 * volatile "bt", "bts" and "btr" on memory with a "memory" clobber: slow
 * microcoded instructions, and a compiler barrier that makes the hot paths
 * reload what they had in registers. The generic helpers are plain C, and
 * the caller's lock already orders every access.
 */

/* Does node (order, idx >> order) lie wholly inside the range? */
static __always_inline bool node_exists(const struct buddy_core *bc,
					unsigned int order, u64 idx)
{
	return idx < bc->exist_end[order];
}

/*
 * Split bits come in groups of six orders, 1-6, 7-12 and so on. One 64-bit
 * word holds the 63 nodes of a group that lie under one node of the
 * group's top order: 32 of its lowest order at bits 0-31, 16 of the next
 * at 32-47, then 8, 4, 2 and 1. So the six ancestors of a block that
 * matter most share a word, and finding a block's order reads one word
 * for orders 0-5 rather than one cache line an order.
 */
static __always_inline u64 *split_word(const struct buddy_core *bc,
				       unsigned int order, u64 idx)
{
	return &bc->split[bc->split_woff[order] +
			  (idx >> bc->split_wshift[order])];
}

static __always_inline unsigned int split_pos(const struct buddy_core *bc,
					      unsigned int order, u64 idx)
{
	return bc->split_pbase[order] + ((idx >> order) &
					 bc->split_pmask[order]);
}

/* Is the node of @order containing min block @idx divided in two? */
static __always_inline bool is_split(const struct buddy_core *bc,
				     unsigned int order, u64 idx)
{
	return (*split_word(bc, order, idx) >> split_pos(bc, order, idx)) & 1;
}

/* 64-bit words of split bits for @nblocks min blocks up to @max_order. */
static u64 split_words(u64 nblocks, unsigned int max_order)
{
	unsigned int base;
	u64 words = 0;

	for (base = 0; base < max_order; base += 6)
		words += (nblocks + (1ULL << (base + 6)) - 1) >> (base + 6);
	return words;
}

static inline u64 head_bytes(u64 nblocks)
{
	return (nblocks + 63) / 64 * 8;
}

/* Would a node of @order holding @idx be a root (it has no parent)? */
static __always_inline bool is_root(const struct buddy_core *bc,
				    unsigned int order, u64 idx)
{
	return idx >= bc->exist_end[order + 1];
}

/* Order of the root, the largest node, that holds min block @idx. */
static __always_inline unsigned int root_order(const struct buddy_core *bc,
					       u64 idx)
{
	unsigned int order = bc->max_order;

	/* Only the short tail of a range that is no power of two loops. */
	while (idx >= bc->exist_end[order])
		order--;
	return order;
}

/*
 * The split bits, in a group's word, of the six ancestors (orders base + 1
 * to base + 6) of the min blocks 2 * i and 2 * i + 1 of the group: entry i
 * has bits i, 32 + i / 2, 48 + i / 4, 56 + i / 8, 60 + i / 16 and 62.
 */
static const u64 anc_mask[32] = {
	0x5101000100000001ULL, 0x5101000100000002ULL,
	0x5101000200000004ULL, 0x5101000200000008ULL,
	0x5102000400000010ULL, 0x5102000400000020ULL,
	0x5102000800000040ULL, 0x5102000800000080ULL,
	0x5204001000000100ULL, 0x5204001000000200ULL,
	0x5204002000000400ULL, 0x5204002000000800ULL,
	0x5208004000001000ULL, 0x5208004000002000ULL,
	0x5208008000004000ULL, 0x5208008000008000ULL,
	0x6410010000010000ULL, 0x6410010000020000ULL,
	0x6410020000040000ULL, 0x6410020000080000ULL,
	0x6420040000100000ULL, 0x6420040000200000ULL,
	0x6420080000400000ULL, 0x6420080000800000ULL,
	0x6840100001000000ULL, 0x6840100002000000ULL,
	0x6840200004000000ULL, 0x6840200008000000ULL,
	0x6880400010000000ULL, 0x6880400020000000ULL,
	0x6880800040000000ULL, 0x6880800080000000ULL,
};

/*
 * Order of the block (leaf) that contains min block @idx, below a root of
 * order @root: the lowest node whose parent is split, or the root.
 */
static __always_inline unsigned int leaf_below(const struct buddy_core *bc,
					       u64 idx, unsigned int root)
{
	unsigned int base;

	/* One word per group of six parent orders. */
	for (base = 0; base < root; base += 6) {
		u64 w = bc->split[bc->split_woff[base + 1] + (idx >> (base + 6))];

		w &= anc_mask[(idx >> (base + 1)) & 31];
		if (w) {
			/*
			 * The lowest bit set is the lowest split parent: bits
			 * 0-31 are of order base + 1, 32-47 of base + 2 and
			 * so on, so the leaf is base + 5 - fls(63 - bit).
			 */
			unsigned int leaf = base + 5 -
					    (unsigned int)__fls(63 - __ffs64(w));

			/*
			 * Bits above the root are never set; were one, the
			 * root would still be the block.
			 */
			return leaf < root ? leaf : root;
		}
	}
	return root;
}

static __always_inline unsigned int leaf_order(const struct buddy_core *bc,
					       u64 idx)
{
	return leaf_below(bc, idx, root_order(bc, idx));
}

/*
 * Set the split bits of the nodes of orders @lo to @hi over min block @idx
 * to @val (all ones or all zeros), one word for each group of six orders.
 */
static __always_inline void mark_splits(struct buddy_core *bc, u32 idx,
					unsigned int lo, unsigned int hi,
					u64 val)
{
	while (lo <= hi) {
		unsigned int base = bc->split_wshift[lo] - 6;
		unsigned int top = hi < base + 6 ? hi : base + 6;
		u64 *w = split_word(bc, lo, idx);
		/* bits of orders lo to top, from the first of lo's */
		u64 m = anc_mask[(idx >> (base + 1)) & 31] &
			(~0ULL << bc->split_pbase[lo]) &
			(~0ULL >> (64 >> (top - base)));

		*w = (*w & ~m) | (val & m);
		lo = top + 1;
	}
}

/*
 * Is the node of @order starting at min block @idx neither allocated nor
 * split? Under a split parent, that makes it a free block.
 */
static __always_inline bool free_node(const struct buddy_core *bc,
				      unsigned int order, u64 idx)
{
	return !generic_test_bit(idx, bc->head) &&
	       !(order && is_split(bc, order, idx));
}

/*
 * Is @idx, as read from a link, the start of a free block of @order? This
 * asks the head and split bits, so buddy_core_check() uses it to check the
 * lists independently of the free bitmaps; the list operations use the
 * cheaper valid_link().
 */
static __always_inline bool valid_free(const struct buddy_core *bc,
				       unsigned int order, u32 idx)
{
	if (idx & ((1U << order) - 1))
		return false;
	if (!node_exists(bc, order, idx) || !free_node(bc, order, idx))
		return false;
	/* All bits of an absent chunk are clear, so only its roots get here. */
	if (is_root(bc, order, idx))
		return !generic_test_bit((u64)idx >> bc->chunk_bits, bc->absent);
	return is_split(bc, order + 1, idx);
}

static __always_inline struct link *link_of(const struct buddy_core *bc,
					    u64 idx)
{
	u64 rem = idx & bc->chunk_mask;

	return (struct link *)(bc->chunks[idx >> bc->chunk_bits] +
			       (rem << bc->min_shift));
}

/* Mark block @idx of @order free in the free bitmap and its summary. */
static __always_inline void fset(struct buddy_core *bc, unsigned int order,
				 u32 idx)
{
	u32 n = idx >> order;

	bc->fmap[order][n >> 6] |= 1ULL << (n & 63);
	bc->fsum[order][n >> 12] |= 1ULL << ((n >> 6) & 63);
}

/* Clear it again; the summary bit goes with the word's last bit. */
static __always_inline void fclr(struct buddy_core *bc, unsigned int order,
				 u32 idx)
{
	u32 n = idx >> order;
	u64 *w = &bc->fmap[order][n >> 6];

	*w &= ~(1ULL << (n & 63));
	if (!*w)
		bc->fsum[order][n >> 12] &= ~(1ULL << ((n >> 6) & 63));
}

/*
 * fclr() for the last free block of @order: no other bit of the order's
 * bitmap is set, so its word and summary word both become zero.
 */
static __always_inline void fclr_last(struct buddy_core *bc,
				      unsigned int order, u32 idx)
{
	u32 n = idx >> order;

	bc->fmap[order][n >> 6] = 0;
	bc->fsum[order][n >> 12] = 0;
}

/*
 * Is node @idx of @order, one that exists, a free block? The free bitmap
 * answers in one word where free_node() reads a head and a split word.
 */
static __always_inline bool fbit(const struct buddy_core *bc,
				 unsigned int order, u32 idx)
{
	u32 n = idx >> order;

	return (bc->fmap[order][n >> 6] >> (n & 63)) & 1;
}

/*
 * valid_free() for the list operations: the free bitmap, which holds
 * exactly the free blocks the head and split bits show (and nothing in an
 * absent chunk), answers in one word. During a merge or a chunk
 * removal it is stricter still, as the block being freed or removed is
 * not in it.
 */
static __always_inline bool valid_link(const struct buddy_core *bc,
				       unsigned int order, u32 idx)
{
	if (idx & ((1U << order) - 1) || !node_exists(bc, order, idx))
		return false;
	return fbit(bc, order, idx);
}

/* Is chunk @chunk, one that exists, absent? */
static __always_inline bool chunk_absent(const struct buddy_core *bc, u64 chunk)
{
	return generic_test_bit(chunk, bc->absent);
}

/* The min blocks [*@s, *@e) of chunk @chunk, one that exists. */
static void chunk_span(const struct buddy_core *bc, u64 chunk, u64 *s, u64 *e)
{
	*s = chunk << bc->chunk_bits;
	*e = bc->nblocks - *s > bc->chunk_mask ? *s + bc->chunk_mask + 1 :
	     bc->nblocks;
}

/*
 * Push free block @idx of @order on its list. Return true if the old head
 * turned out to have been overwritten.
 */
static __always_inline bool push(struct buddy_core *bc, unsigned int order,
				 u32 idx)
{
	struct link *l = link_of(bc, idx);
	u32 head = bc->free_head[order];
	bool bad = false;

	l->next = head;
	l->prev = NIL;
	if (head != NIL) {
		struct link *h = bc->head_link[order];

		bad = h->prev != NIL;
		h->prev = idx;
	} else {
		bc->free_tail[order] = idx;
	}
	bc->free_head[order] = idx;
	bc->head_link[order] = l;
	bc->nonempty |= 1U << order;
	bc->nr_free[order]++;
	fset(bc, order, idx);
	return bad;
}

/*
 * Take free block @idx of @order, the head of its list, whose links are at
 * @l and whose back link is known to be NIL, off the list and the free
 * bitmap. Return true, leaving the list alone, if a link was found
 * overwritten; the caller then rebuilds lists and bitmaps alike.
 */
static __always_inline bool unlink_head(struct buddy_core *bc,
					unsigned int order, u32 idx,
					struct link *l)
{
	u32 next = l->next;
	u64 left = --bc->nr_free[order];

	if (next == NIL) {
		/* A list that ends before its count does is corrupt. */
		if (unlikely(left))
			return true;
		/* free_tail[] of an empty list is never read */
		bc->free_head[order] = NIL;
		bc->head_link[order] = NULL;
		bc->nonempty &= ~(1U << order);
		fclr_last(bc, order, idx);
		return false;
	}
	if (unlikely(next == idx || !left || !valid_link(bc, order, next)))
		return true;
	l = link_of(bc, next);
	if (unlikely(l->prev != idx))
		return true;
	l->prev = NIL;
	bc->free_head[order] = next;
	bc->head_link[order] = l;
	fclr(bc, order, idx);
	return false;
}

/* Take the head @idx off the list of @order; true on a bad link. */
static __always_inline bool pop(struct buddy_core *bc, unsigned int order,
				u32 idx)
{
	struct link *l = bc->head_link[order];

	/* A list head has no predecessor. */
	if (unlikely(l->prev != NIL))
		return true;
	return unlink_head(bc, order, idx, l);
}

/*
 * Take free block @idx of @order off its list, wherever it is, checking
 * both neighbours, and off the free bitmap. Return true, leaving the list
 * alone, if a link was found overwritten. A NIL link is checked as well as
 * any other: only the head has no predecessor and only the tail has no
 * successor, or a stray NIL would cut the rest of the list off unseen.
 */
static __always_inline bool unlink_at(struct buddy_core *bc,
				      unsigned int order, u32 idx,
				      struct link *l)
{
	struct link *pl, *nl;
	u32 next = l->next, prev = l->prev;

	if (prev == NIL) {
		/* Only the head has no predecessor. */
		if (unlikely(bc->free_head[order] != idx))
			return true;
		return unlink_head(bc, order, idx, l);
	}
	/* Links to itself, or a list that ends before its count does. */
	if (unlikely(prev == idx || next == idx || prev == next))
		return true;
	if (unlikely(!--bc->nr_free[order]))
		return true;
	if (unlikely(bc->free_head[order] == idx ||
		     !valid_link(bc, order, prev)))
		return true;
	pl = link_of(bc, prev);
	if (unlikely(pl->next != idx))
		return true;
	if (next != NIL) {
		if (unlikely(!valid_link(bc, order, next)))
			return true;
		nl = link_of(bc, next);
		if (unlikely(nl->prev != idx))
			return true;
		nl->prev = prev;
	} else {
		if (unlikely(bc->free_tail[order] != idx))
			return true;
		bc->free_tail[order] = prev;
	}
	pl->next = next;
	fclr(bc, order, idx);
	return false;
}

/* unlink_at() for a block whose links are not at hand yet. */
static __always_inline bool unlink_block(struct buddy_core *bc,
					 unsigned int order, u32 idx)
{
	return unlink_at(bc, order, idx, link_of(bc, idx));
}

/* unlink_block() out of line, for the calls off the hot path. */
static noinline bool unlink_cold(struct buddy_core *bc, unsigned int order,
				 u32 idx)
{
	return unlink_block(bc, order, idx);
}

/*
 * Empty the free lists and bitmaps and refill them with every free block
 * the head and split bits show in the present chunks, walking from the
 * end so each list comes out in address order. O(blocks * orders).
 */
static void relist(struct buddy_core *bc)
{
	unsigned int order;
	u64 idx = bc->nblocks;

	bc->nonempty = 0;
	for (order = 0; order < BUDDY_CORE_NR_ORDERS; order++) {
		bc->free_head[order] = NIL;
		bc->free_tail[order] = NIL;
		bc->nr_free[order] = 0;
	}
	memset(bc->fmap[0], 0, bc->fbytes);
	while (idx) {
		u64 start, chunk = (idx - 1) >> bc->chunk_bits;

		if (chunk_absent(bc, chunk)) {
			idx = chunk << bc->chunk_bits;
			continue;
		}
		order = leaf_order(bc, idx - 1);
		start = (idx - 1) & ~((1ULL << order) - 1);
		if (!generic_test_bit(start, bc->head))
			push(bc, order, (u32)start);
		idx = start;
	}
}

/*
 * A known-zero block stops being free: clear the links the core kept in
 * it, so that it holds only zeros again.
 */
static __always_inline void scrub(struct link *l)
{
	l->next = 0;
	l->prev = 0;
}

/* A bad link was seen: count it and rebuild the lists from the bitmaps. */
static void rebuild(struct buddy_core *bc)
{
	bc->gen++;
	bc->nr_corruptions++;
	relist(bc);
}

/*
 * Take free block @idx of @order, the head of its list, and split it down
 * to @want, listing each upper half, known zero if @zero; rebuild the
 * lists if a bad link was seen. Out of line, as the merge below is, so
 * that the common path, one pop() and no split, keeps its registers.
 */
static noinline void split_down(struct buddy_core *bc, unsigned int order,
				unsigned int want, u32 idx, bool zero)
{
	/* The head's links; no block crosses a chunk, so nor do its halves. */
	unsigned char *base = bc->head_link[order];
	size_t min_block = (size_t)1 << bc->min_shift;
	bool bad = pop(bc, order, idx);
	unsigned int k;

	mark_splits(bc, idx, want + 1, order, ~0ULL);
	/*
	 * The lists of orders @want to @order - 1 are empty, or @order would
	 * not be the smallest order with a free block: each upper half
	 * becomes the only entry of its list.
	 */
	for (k = want; k < order; k++) {
		u32 half = idx + (1U << k);
		struct link *l = (struct link *)(base + (min_block << k));

		l->next = NIL;
		l->prev = NIL;
		bc->free_head[k] = half;
		bc->free_tail[k] = half;
		bc->head_link[k] = l;
		bc->nr_free[k] = 1;
		fset(bc, k, half);
	}
	if (unlikely(zero)) {
		for (k = want; k < order; k++)
			generic___set_bit(idx + (1U << k), bc->zmap);
	}
	bc->nonempty |= (1U << order) - (1U << want);
	if (unlikely(bad))
		rebuild(bc);
}

/*
 * The buddies of block @idx from order @leaf up to @order - 1 were just
 * merged with it, itself known zero if @zero: drop their zero bits and
 * bytes, and say whether the merged block is known zero, clearing their
 * links from it if it is.
 */
static noinline bool merge_zero(struct buddy_core *bc, unsigned char *chunk,
				u32 idx, unsigned int leaf, unsigned int order,
				bool zero)
{
	unsigned int o;

	for (o = leaf; o < order; o++) {
		u32 buddy = (idx & ~((1U << o) - 1)) ^ (1U << o);

		if (!generic_test_bit(buddy, bc->zmap)) {
			zero = false;
			continue;
		}
		generic___clear_bit(buddy, bc->zmap);
		bc->zero_bytes -= 1ULL << (o + bc->min_shift);
		if (zero)
			scrub((struct link *)(chunk + ((u64)(buddy & bc->chunk_mask) <<
						     bc->min_shift)));
	}
	return zero;
}

/*
 * Block @idx of @order, known zero if @zero, has just been freed and its
 * buddy is free: merge for as long as the buddy is free, up to @root,
 * list the result, and rebuild the lists if a bad link was seen. The free
 * bitmap of each order above is untouched until then, so one word of it
 * says whether the next buddy is free. The result is known zero only if
 * every piece was; each buddy's zero bit goes, as it is no block now.
 */
static noinline void merge_up(struct buddy_core *bc, unsigned int order,
			      u32 idx, unsigned int root, bool zero)
{
	/* All the buddies lie in @idx's chunk. */
	unsigned char *chunk = bc->chunks[(u64)idx >> bc->chunk_bits];
	unsigned int leaf = order;
	u32 start = idx, buddy;
	bool bad = false;

	do {
		buddy = start ^ (1U << order);
		bad |= unlink_at(bc, order, buddy,
				 (struct link *)(chunk + ((u64)(buddy & bc->chunk_mask) <<
							bc->min_shift)));
		start &= ~(1U << order);
		order++;
	} while (order < root && fbit(bc, order, start ^ (1U << order)));
	/* The nodes merged are those over @idx. */
	mark_splits(bc, idx, leaf + 1, order, 0);
	/*
	 * While no free block is known zero, no buddy was and the result is
	 * not; otherwise a second pass over the buddies drops their bits.
	 */
	if (unlikely(bc->zero_bytes))
		zero = merge_zero(bc, chunk, idx, leaf, order, zero);
	else
		zero = false;
	if (zero) {
		generic___set_bit(start, bc->zmap);
		bc->zero_bytes += 1ULL << (order + bc->min_shift);
	}
	bad |= push(bc, order, start);
	if (unlikely(bad))
		rebuild(bc);
}

/*
 * Lay the metadata for @nblocks min blocks out at @meta: head bits, split
 * bits, a bit per chunk (at most one a min block), known-zero bits, then
 * for each order up to log2(@nblocks) a free bitmap with a spare bit past
 * its last node, then a summary for each. Set @bc's pointers when @bc is not NULL; return
 * the bytes used.
 */
static size_t lay_out(struct buddy_core *bc, u64 nblocks, void *meta)
{
	unsigned int top = ilog2(nblocks), order;
	u64 pos, fstart;

	pos = head_bytes(nblocks) + 8 * split_words(nblocks, top);
	if (bc) {
		bc->head = meta;
		bc->split = (u64 *)((char *)meta + head_bytes(nblocks));
		bc->absent = (unsigned long *)((char *)meta + pos);
	}
	pos += head_bytes(nblocks);
	if (bc)
		bc->zmap = (unsigned long *)((char *)meta + pos);
	pos += head_bytes(nblocks);
	fstart = pos;
	for (order = 0; order <= top; order++) {
		if (bc)
			bc->fmap[order] = (u64 *)((char *)meta + pos);
		pos += 8 * (((nblocks >> order) >> 6) + 1);
	}
	for (order = 0; order <= top; order++) {
		if (bc)
			bc->fsum[order] = (u64 *)((char *)meta + pos);
		pos += 8 * (((((nblocks >> order) >> 6) + 1) >> 6) + 1);
	}
	if (bc)
		bc->fbytes = (size_t)(pos - fstart);
	return (size_t)pos;
}

/**
 * buddy_core_meta_size() - bytes of metadata a range needs
 * @size: bytes in the range
 * @min_block: bytes in the smallest block
 *
 * About six bits a min block: a head bit, a split bit, a chunk bit
 * (enough for chunks as small as a min block), a known-zero bit and
 * about two bits of free bitmaps over all orders.
 *
 * Context: Any context.
 * Return: the number of bytes buddy_core_init() needs for @meta, or 0 if
 * the geometry is invalid.
 */
size_t buddy_core_meta_size(u64 size, u64 min_block)
{
	u64 nblocks;

	if (min_block < BUDDY_CORE_MIN_BLOCK || (min_block & (min_block - 1)))
		return 0;
	if (!size || size % min_block)
		return 0;
	nblocks = size / min_block;
	if (nblocks > BUDDY_CORE_MAX_BLOCKS)
		return 0;
	return lay_out(NULL, nblocks, NULL);
}

/**
 * buddy_core_init() - set up a range with all of its present chunks free
 * @bc: the core state to initialise
 * @size: bytes in the range, a multiple of @min_block
 * @min_block: bytes in the smallest block, a power of two of at least
 *	BUDDY_CORE_MIN_BLOCK
 * @chunk_shift: log2 of the bytes in each chunk, or BUDDY_CORE_ONE_CHUNK
 *	when @chunks[0] covers the whole range
 * @chunks: start address of each chunk, NULL for one that is absent until
 *	buddy_core_add_chunk(); no block crosses a chunk
 * @meta: metadata storage of buddy_core_meta_size() bytes, owned by @bc
 *	until the caller stops using it
 * @meta_size: bytes available at @meta
 *
 * Each present chunk is carved into the largest naturally aligned
 * blocks that fit, and a free-list link is written into each of them.
 * There are ceil(@size / chunk size) chunks, numbered from 0. No block
 * is known zero: see buddy_core_set_zeroed().
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0, or -EINVAL for a bad geometry or too little metadata.
 */
int buddy_core_init(struct buddy_core *bc, u64 size, u64 min_block,
		    unsigned int chunk_shift, unsigned char *const *chunks,
		    void *meta, size_t meta_size)
{
	size_t need = buddy_core_meta_size(size, min_block);
	unsigned int min_shift, order;
	u64 nblocks, chunk, s, e;

	if (!need || meta_size < need || !meta || !chunks)
		return -EINVAL;
	min_shift = ilog2(min_block);
	if (chunk_shift != BUDDY_CORE_ONE_CHUNK &&
	    (chunk_shift < min_shift || chunk_shift >= 64))
		return -EINVAL;

	memset(bc, 0, sizeof(*bc));
	memset(meta, 0, need);
	nblocks = size >> min_shift;
	bc->size = size;
	bc->nblocks = (u32)nblocks;
	bc->min_shift = (u8)min_shift;
	bc->chunk_bits = chunk_shift == BUDDY_CORE_ONE_CHUNK ?
		       32 : (u8)(chunk_shift - min_shift);
	bc->chunk_mask = (1ULL << bc->chunk_bits) - 1;
	bc->nchunks = (u32)(((nblocks - 1) >> bc->chunk_bits) + 1);
	bc->max_order = (u8)ilog2(nblocks);
	if (bc->max_order > BUDDY_CORE_MAX_ORDER)
		bc->max_order = BUDDY_CORE_MAX_ORDER;
	if (bc->max_order > bc->chunk_bits)
		bc->max_order = bc->chunk_bits;
	/* No node above max_order exists: every max_order node is a root. */
	for (order = 0; order <= bc->max_order; order++)
		bc->exist_end[order] = (u32)((nblocks >> order) << order);
	bc->max_bytes = 1ULL << (min_shift + bc->max_order);
	bc->chunks = chunks;
	lay_out(bc, nblocks, meta);
	/* the words of each group of six orders follow the group below */
	for (order = 1; order <= BUDDY_CORE_MAX_ORDER; order++) {
		unsigned int base = (order - 1) / 6 * 6, j = order - base;

		bc->split_woff[order] = (u32)split_words(nblocks, base);
		bc->split_wshift[order] = (u8)(base + 6);
		bc->split_pbase[order] = (u8)(64 - (128 >> j));
		bc->split_pmask[order] = (u8)((64 >> j) - 1);
	}
	for (chunk = 0; chunk < bc->nchunks; chunk++) {
		if (!chunks[chunk]) {
			generic___set_bit(chunk, bc->absent);
			continue;
		}
		chunk_span(bc, chunk, &s, &e);
		bc->present += (e - s) << min_shift;
	}
	/* Nothing is split or allocated: every present root is listed. */
	relist(bc);
	return 0;
}

/**
 * buddy_core_order_for() - the order a request would be served from
 * @bc: the core
 * @size: bytes requested
 *
 * Context: Any context.
 * Return: the smallest order whose blocks hold @size bytes, -EINVAL for a
 * @size of 0, or -E2BIG if even the largest block of the range is smaller.
 */
int buddy_core_order_for(const struct buddy_core *bc, u64 size)
{
	u64 blocks = size - 1;

	/* A @size of 0 wraps around, so one test catches both. */
	if (unlikely(blocks >= bc->max_bytes))
		return size ? -E2BIG : -EINVAL;
	blocks >>= bc->min_shift;
	/* fls(blocks): below 2^31, so 2 * blocks + 1 fits a long */
	return (int)__fls((unsigned long)(blocks * 2 + 1));
}

/**
 * buddy_core_alloc() - allocate the smallest block that holds @size bytes
 * @bc: the core
 * @size: bytes requested
 * @offp: where the block's byte offset is stored on success
 *
 * Takes a free block of the smallest non-empty order that fits and splits
 * it down to exactly the order @size needs, putting each unused upper half
 * on its free list. O(number of orders). buddy_core_zeroed() tells whether
 * the block holds only zeros.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -EINVAL for a @size of 0; -E2BIG if @size exceeds the largest
 * block; -ENOMEM if no free block is large enough.
 */
int buddy_core_alloc(struct buddy_core *bc, u64 size, u64 *offp)
{
	int want = buddy_core_order_for(bc, size);
	unsigned int order, k;
	u32 avail, idx;
	bool zero;

	if (unlikely(want < 0))
		goto fail;
	k = (unsigned int)want;
	avail = bc->nonempty >> k;
	if (unlikely(!avail)) {
		want = -ENOMEM;
		goto fail;
	}
	order = k + (unsigned int)__ffs(avail);
	bc->gen++;
	idx = bc->free_head[order];
	/* Bitmaps and counters first: nothing below depends on them. */
	*offp = (u64)idx << bc->min_shift;
	generic___set_bit(idx, bc->head);
	bc->nr_allocs++;
	/*
	 * The block keeps its zero bit, and so do the halves split off. No
	 * free block has one while no free byte is known zero.
	 */
	zero = unlikely(bc->zero_bytes) && generic_test_bit(idx, bc->zmap);
	if (order > k)
		split_down(bc, order, k, idx, zero);
	else if (unlikely(pop(bc, order, idx)))
		rebuild(bc);
	if (unlikely(zero)) {
		bc->zero_bytes -= 1ULL << (k + bc->min_shift);
		bc->zero_used++;
		scrub(link_of(bc, idx));
	}
	return 0;
fail:
	bc->nr_failed++;
	return want;
}

/*
 * Find the allocated block starting at @off. Return its order, or the
 * error that describes why @off is not one; *@root gets its root's order.
 */
static __always_inline int lookup(const struct buddy_core *bc, u64 off,
				  unsigned int *root)
{
	unsigned int order;
	u32 idx, inside;

	if (unlikely(off >= bc->size))
		return -ERANGE;
	idx = (u32)(off >> bc->min_shift);
	if (unlikely((u64)idx << bc->min_shift != off))
		return -EINVAL;
	*root = root_order(bc, idx);
	order = leaf_below(bc, idx, *root);
	inside = idx & ((1U << order) - 1);
	if (!generic_test_bit(idx - inside, bc->head)) {
		/* Off the hot path: an absent chunk holds no blocks. */
		if (chunk_absent(bc, (u64)idx >> bc->chunk_bits))
			return -ERANGE;
		return -EALREADY;
	}
	if (inside)
		return -ENOENT;
	return (int)order;
}

/*
 * Free allocated block @idx of @order below a root of order @root, known
 * zero if @zero.
 */
static __always_inline void release(struct buddy_core *bc, u32 idx,
				    unsigned int order, unsigned int root,
				    bool zero)
{
	generic___clear_bit(idx, bc->head);
	/* It may be set from the allocation; skip the cache line if none is. */
	if (unlikely(bc->zero_used) && generic_test_bit(idx, bc->zmap)) {
		generic___clear_bit(idx, bc->zmap);
		bc->zero_used--;
	}
	/* The parent is split, so an unsplit buddy is a block. */
	if (order < root && free_node(bc, order, idx ^ (1U << order))) {
		merge_up(bc, order, idx, root, zero);
		return;
	}
	if (zero) {
		generic___set_bit(idx, bc->zmap);
		bc->zero_bytes += 1ULL << (order + bc->min_shift);
	}
	if (unlikely(push(bc, order, idx)))
		rebuild(bc);
}

/* buddy_core_free() and buddy_core_free_zeroed(). */
static __always_inline int free_block(struct buddy_core *bc, u64 off,
				      bool zero)
{
	unsigned int root;
	int ret = lookup(bc, off, &root);

	if (unlikely(ret < 0)) {
		bc->nr_bad_frees++;
		return ret;
	}
	bc->gen++;
	release(bc, (u32)(off >> bc->min_shift), (unsigned int)ret, root,
		zero);
	bc->nr_frees++;
	return 0;
}

/**
 * buddy_core_block_order() - order of the allocated block at @off
 * @bc: the core
 * @off: byte offset of the block's start
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: the order, or the error buddy_core_free() would return.
 */
int buddy_core_block_order(const struct buddy_core *bc, u64 off)
{
	unsigned int root;

	return lookup(bc, off, &root);
}

/**
 * buddy_core_free() - free the allocated block that starts at @off
 * @bc: the core
 * @off: byte offset returned by buddy_core_alloc()
 *
 * Merges the block with its buddy for as long as the buddy is free at the
 * same order. O(number of orders). A refused free changes nothing but the
 * bad-free counter. The block is not known zero, nor is anything it
 * merges with.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -ERANGE if @off is outside the range or in an absent chunk;
 * -EINVAL if it is not on a min-block boundary; -ENOENT if it points inside
 * an allocated block; -EALREADY if it lies in a free block (a double free).
 */
int buddy_core_free(struct buddy_core *bc, u64 off)
{
	return free_block(bc, off, false);
}

/**
 * buddy_core_free_zeroed() - free a block that holds only zeros
 * @bc: the core
 * @off: byte offset returned by buddy_core_alloc()
 *
 * As buddy_core_free(), but the caller guarantees that every byte of the
 * block is zero. The block becomes known zero, and so does what it merges
 * into if every buddy it merges with is known zero too.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: as buddy_core_free().
 */
int buddy_core_free_zeroed(struct buddy_core *bc, u64 off)
{
	return free_block(bc, off, true);
}

/*
 * Periodic masks: bit i set iff i is a multiple of 2^d, for d = 0 to 6.
 * A word of a free bitmap ANDed with mask[d] keeps the nodes whose index
 * is a multiple of 2^d.
 */
static const u64 period_mask[7] = {
	~0ULL, 0x5555555555555555ULL, 0x1111111111111111ULL,
	0x0101010101010101ULL, 0x0001000100010001ULL,
	0x0000000100000001ULL, 0x0000000000000001ULL,
};

/*
 * The lowest node of @order in [@nlo, @nhi] that is free and kept by
 * @mask, or NONE. The summary skips words that are zero; each word read
 * is counted in nr_scanned.
 */
static u64 scan_up(struct buddy_core *bc, unsigned int order, u64 nlo,
		   u64 nhi, u64 mask)
{
	const u64 *map = bc->fmap[order], *sum = bc->fsum[order];
	u64 sw = nlo >> 12, swend = nhi >> 12, w, x, y;

	for (; sw <= swend; sw++) {
		x = sum[sw];
		bc->nr_scanned++;
		if (sw == nlo >> 12)
			x &= ~0ULL << ((nlo >> 6) & 63);
		for (; x; x &= x - 1) {
			w = (sw << 6) + __ffs64(x);
			if (w > nhi >> 6)
				return NONE;
			y = map[w] & mask;
			bc->nr_scanned++;
			if (w == nlo >> 6)
				y &= ~0ULL << (nlo & 63);
			if (w == nhi >> 6)
				y &= ~0ULL >> (63 - (nhi & 63));
			if (y)
				return (w << 6) + __ffs64(y);
		}
	}
	return NONE;
}

/*
 * Index of the highest set bit of @word, not zero: ilog2() where a long
 * cannot hold @word. ilog2() returns an int, which the loop below would
 * sign-extend on every bit (after x86's fls64() loads its -1): __fls()
 * compiles to the bare instruction.
 */
static __always_inline unsigned long top_bit(u64 word)
{
	if (BITS_PER_LONG == 64)
		return __fls(word);
	return ilog2(word);
}

/* The highest such node, or NONE: scan_up() mirrored. */
static u64 scan_down(struct buddy_core *bc, unsigned int order, u64 nlo,
		     u64 nhi, u64 mask)
{
	const u64 *map = bc->fmap[order], *sum = bc->fsum[order];
	u64 sw = nhi >> 12, w, x, y;

	for (;; sw--) {
		x = sum[sw];
		bc->nr_scanned++;
		if (sw == nhi >> 12)
			x &= ~0ULL >> (63 - ((nhi >> 6) & 63));
		while (x) {
			w = (sw << 6) + top_bit(x);
			if (w < nlo >> 6)
				return NONE;
			y = map[w] & mask;
			bc->nr_scanned++;
			if (w == nhi >> 6)
				y &= ~0ULL >> (63 - (nhi & 63));
			if (w == nlo >> 6)
				y &= ~0ULL << (nlo & 63);
			if (y)
				return (w << 6) + top_bit(y);
			x &= ~(1ULL << (w & 63));
		}
		if (sw == nlo >> 12)
			return NONE;
	}
}

/*
 * The lowest (or with @top the highest) free node of @order among the
 * multiples of 2^@d in [@nlo, @nhi], @nlo being one: one word read a
 * candidate, for strides too wide for a periodic mask.
 */
static u64 scan_step(struct buddy_core *bc, unsigned int order, u64 nlo,
		     u64 nhi, unsigned int d, bool top)
{
	const u64 *map = bc->fmap[order];
	u64 n = top ? nlo + (((nhi - nlo) >> d) << d) : nlo;

	for (;;) {
		bc->nr_scanned++;
		if ((map[n >> 6] >> (n & 63)) & 1)
			return n;
		if (top ? n == nlo : nhi - n < (1ULL << d))
			return NONE;
		if (top)
			n -= 1ULL << d;
		else
			n += 1ULL << d;
	}
}

/*
 * Note for the next range search that no free block of order @k at a
 * multiple of 2^@ao starts in [@lo, @hi), true until the core changes.
 */
static void remember(struct buddy_core *bc, unsigned int k, unsigned int ao,
		     u64 lo, u64 hi)
{
	bc->hint_lo = lo;
	bc->hint_hi = hi;
	bc->hint_k = k;
	bc->hint_ao = ao;
	bc->hint_gen = bc->gen;
}

/**
 * buddy_core_alloc_range() - allocate a block at the lowest or highest
 *	suitable offset in a window
 * @bc: the core
 * @size: bytes requested; the block is of buddy_core_order_for(@size)
 * @align: 0, or a power of two the block's offset must be a multiple of
 *	(besides its own size; it does not make the block larger)
 * @start: lowest byte offset the block may cover
 * @end: the block ends at or before this byte offset; 0 for the end of
 *	the range, and anything past the range is clipped to it
 * @flags: 0 for the lowest suitable offset, BUDDY_CORE_TOPDOWN for the
 *	highest
 * @offp: where the block's byte offset is stored on success
 *
 * The placement is address-ordered and deterministic: the lowest (highest)
 * offset at which a block of the order is free, or can be made free by
 * splitting a larger free block, which is then split down towards it,
 * each half off the path going on its free list.
 *
 * Cost: the lists are never walked. The block holding the first
 * (top-down, the last) aligned place is found from the split bits; if it
 * is free and large enough, that is the answer. Otherwise, for each order
 * j from the block's k up to the largest order that has a free block and
 * a node left in the window, the order-j free bitmap is searched over the
 * nodes of the window, skipping zero words with its summary; once a
 * candidate is found, the later orders search only the part of the window
 * beyond it. Let W = (@end - @start) / min block and A
 * the alignment order (the larger of k and log2(@align / min block)). For
 * an order j >= A every free node in the window fits, so the search reads
 * at most W / 2^(j + 12) + 2 summary words and 3 bitmap words. For j < A
 * only nodes at multiples of 2^(A - j) fit: up to A - j = 6 a periodic
 * mask picks them out and every non-zero bitmap word in the window may be
 * read, at most W / 2^(j + 6) + 2 (no more than (@end - @start) / @align
 * + 2) besides the summary words; above that one bitmap word is read at
 * each aligned node, at most (@end - @start) / @align + 1. All reads are
 * counted in nr_scanned. The split costs O(orders). While the core is
 * unchanged since the last search for the same order and alignment, the
 * part of the window that search found no place in is not read again.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -EINVAL for a @size of 0, a bad @align or @flags, or an empty
 * window (@start at or past its end); -E2BIG if @size exceeds the largest
 * block; -ENOMEM if no such block can be had in the window.
 */
int buddy_core_alloc_range(struct buddy_core *bc, u64 size, u64 align,
			   u64 start, u64 end, unsigned int flags, u64 *offp)
{
	bool top = flags & BUDDY_CORE_TOPDOWN, bad, zero;
	unsigned int k, ao, j, o, best_order = 0;
	u32 orders;
	u64 q, lo, last, first, best = NONE, best_node = 0, mb, flo, fhi, wlo,
	    wlast;
	int ret = -EINVAL;

	if (!size || (align & (align - 1)) || (flags & ~BUDDY_CORE_TOPDOWN))
		goto fail;
	if (!end || end > bc->size)
		end = bc->size;
	if (start >= end)
		goto fail;
	ret = buddy_core_order_for(bc, size);
	if (ret < 0)
		goto fail;
	k = (unsigned int)ret;
	ret = -ENOMEM;
	ao = k;
	mb = 1ULL << bc->min_shift;
	if (align > mb && ilog2(align) - bc->min_shift > (int)ao)
		ao = ilog2(align) - bc->min_shift;
	/* No block index reaches 2^32: past that only 0 is aligned. */
	if (ao > 32)
		ao = 32;
	/* in min blocks: first block start allowed, last block start */
	first = (start >> bc->min_shift) + !!(start & (mb - 1));
	lo = ((first + (1ULL << ao) - 1) >> ao) << ao;
	if ((end >> bc->min_shift) < (1ULL << k))
		goto fail;
	last = (end >> bc->min_shift) - (1ULL << k);

	/*
	 * The last search's finding holds while the core has not changed
	 * (@gen): no place starts in [hint_lo, hint_hi), so a window that
	 * begins (top-down, ends) there begins past it. @flo and @fhi bound
	 * what this search will know to have no place.
	 */
	flo = lo;
	fhi = last + 1;
	if (bc->hint_gen == bc->gen && bc->hint_k == k && bc->hint_ao == ao) {
		if (!top && bc->hint_lo <= lo && lo < bc->hint_hi) {
			flo = bc->hint_lo;
			lo = ((bc->hint_hi + (1ULL << ao) - 1) >> ao) << ao;
		} else if (top && bc->hint_lo <= last && last < bc->hint_hi) {
			fhi = bc->hint_hi;
			if (!bc->hint_lo)
				goto fail;
			last = bc->hint_lo - 1;
		}
	}
	wlo = lo;
	wlast = last;

	/*
	 * The best place there can be is the first aligned one (top-down,
	 * the last): if a free block of the order or larger holds it, that
	 * block is the answer and no bitmap needs searching.
	 */
	q = top ? (last >> ao) << ao : lo;
	if (lo <= last) {
		/* Only the block that holds @q can: is it free and no smaller? */
		j = leaf_order(bc, q);
		if (j >= k && fbit(bc, j, (u32)q)) {
			best = q;
			best_order = j;
			best_node = (q >> j) << j;
			goto found;
		}
	}
	/*
	 * No free block holds the first place (top-down, the last), @q, or
	 * the test above would have found it, and the loop moves only the
	 * other end of the window: each order's search starts past the
	 * node at @q. For j >= @ao any free node fits, as the part of it in
	 * the window starts at a multiple of 2^@ao; below @ao only the
	 * nodes at multiples of 2^(@ao - j) do.
	 */
	for (orders = bc->nonempty >> k << k; orders && lo <= last;
	     orders &= orders - 1) {
		u64 n, p, nlo, nhi, step;

		j = __ffs(orders);
		step = 1;
		if (j < ao)
			step <<= ao - j;
		/* A window with no node past @q's has none at higher orders. */
		if (top) {
			nlo = lo >> j;
			nhi = q >> j;
			if (nhi < nlo + step)
				break;
			nhi -= step;
		} else {
			nlo = (q >> j) + step;
			nhi = last >> j;
			if (nlo > nhi)
				break;
		}
		if (j >= ao)
			n = top ? scan_down(bc, j, nlo, nhi, ~0ULL) :
				  scan_up(bc, j, nlo, nhi, ~0ULL);
		else if (ao - j <= 6)
			n = top ? scan_down(bc, j, nlo, nhi,
					    period_mask[ao - j]) :
				  scan_up(bc, j, nlo, nhi, period_mask[ao - j]);
		else
			n = scan_step(bc, j, nlo, nhi, ao - j, top);
		if (n == NONE)
			continue;
		/* Top-down, the last aligned place in the node. */
		p = top && j > ao ? ((n + 1) << j) - (1ULL << ao) : n << j;
		best = p;
		best_order = j;
		best_node = n << j;
		/* Later orders only look beyond the best so far. */
		if (top)
			lo = p + (1ULL << ao);
		else
			last = p - 1;	/* p > @wlo: not 0 */
	}
	if (best == NONE) {
		/* No place in the whole window. */
		if (wlo <= wlast)
			remember(bc, k, ao, flo, fhi);
		goto fail;
	}
found:
	bc->gen++;
	/* None below the best (top-down, above it) in the window. */
	if (top)
		remember(bc, k, ao, best + 1, fhi);
	else
		remember(bc, k, ao, flo, best);
	bad = unlink_cold(bc, best_order, (u32)best_node);
	zero = generic_test_bit(best_node, bc->zmap);
	if (best_order > k)
		mark_splits(bc, (u32)best, k + 1, best_order, ~0ULL);
	for (o = best_order; o-- > k; ) {
		u32 half = ((u32)best & ~((1U << o) - 1)) ^ (1U << o);

		bad |= push(bc, o, half);
		if (zero)
			generic___set_bit(half, bc->zmap);
	}
	generic___set_bit(best, bc->head);
	if (zero) {
		/* @best_node is @best or one of the halves: its bit stays. */
		generic___set_bit(best, bc->zmap);
		bc->zero_bytes -= 1ULL << (k + bc->min_shift);
		bc->zero_used++;
		scrub(link_of(bc, best));
	}
	bc->nr_allocs++;
	*offp = best << bc->min_shift;
	if (unlikely(bad))
		rebuild(bc);
	return 0;
fail:
	bc->nr_failed++;
	return ret;
}

/*
 * Free block @idx of @order, trimmed off an exact allocation, was never
 * handed out: it is as zero as the block it came from was.
 */
static noinline void zero_back(struct buddy_core *bc, unsigned int order,
			       u32 idx)
{
	generic___set_bit(idx, bc->zmap);
	bc->zero_bytes += 1ULL << (order + bc->min_shift);
}

/**
 * buddy_core_alloc_exact() - allocate just the min blocks @size needs
 * @bc: the core
 * @size: bytes requested
 * @offp: where the first part's byte offset is stored on success
 *
 * Like alloc_pages_exact(): takes a block as buddy_core_alloc() would and
 * keeps only its first n = ceil(@size / min block) min blocks, as parts
 * whose orders are the set bits of n, highest first and in address order,
 * each an allocated block of its own. The rest of the block goes back on
 * the free lists as smaller blocks, which cannot merge while the parts
 * are allocated. Free the parts with buddy_core_free_exact() (or one by
 * one with buddy_core_free()). O(number of orders). The parts and the rest
 * keep the block's zero bit: buddy_core_zeroed(*@offp) tells.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -EINVAL for a @size of 0; -E2BIG if @size exceeds the largest
 * block; -ENOMEM if no free block is large enough.
 */
int buddy_core_alloc_exact(struct buddy_core *bc, u64 size, u64 *offp)
{
	int ret = buddy_core_alloc(bc, size, offp);
	unsigned int k, j, t;
	u32 idx, n, parts = 0;
	bool bad = false, zero;

	/* buddy_core_alloc() counted the failure. */
	if (ret)
		return ret;
	n = (u32)((size - 1) >> bc->min_shift) + 1;
	if (!(n & (n - 1)))
		return 0;
	/*
	 * Block (idx, k) is cut into the parts, the set bits of n from the
	 * highest, bit k - 1, down to the lowest, bit t. Walking down, a
	 * clear bit j leaves the upper half of the node being cut, of order
	 * j, free (a tail) and the last part leaves the rest, of order t.
	 * The nodes cut are those of orders t + 1 to k over the last part.
	 */
	k = (unsigned int)__fls(n) + 1;
	t = (unsigned int)__ffs(n);
	idx = (u32)(*offp >> bc->min_shift);
	zero = generic_test_bit(idx, bc->zmap);
	mark_splits(bc, idx + n - (1U << t), t + 1, k, ~0ULL);
	for (j = k - 1; ; j--) {
		u32 half = 1U << j;

		if (!(n & half)) {
			bad |= push(bc, j, idx + half);
			if (unlikely(zero))
				zero_back(bc, j, idx + half);
			continue;
		}
		/* A part; buddy_core_alloc() set the first one's bits. */
		generic___set_bit(idx, bc->head);
		parts++;
		if (unlikely(zero))
			generic___set_bit(idx, bc->zmap);
		idx += half;
		if (j == t)
			break;
	}
	/* What the last part leaves. */
	bad |= push(bc, t, idx);
	if (unlikely(zero))
		zero_back(bc, t, idx);
	bc->nr_parts += parts - 1;
	/* buddy_core_alloc() counted the first part */
	if (unlikely(zero))
		bc->zero_used += parts - 1;
	if (unlikely(bad))
		rebuild(bc);
	return 0;
}

/*
 * Is block (@idx, k) laid out as buddy_core_alloc_exact() of @n min blocks
 * left it, k = fls(@n), lowest bit t, with every tail still free? That is,
 * each part an allocated block of its order, each tail a free one. A free
 * tail vouches for the split bits above it, so they are not read.
 */
static bool parts_in_place(const struct buddy_core *bc, u32 idx, u32 n,
			   unsigned int k, unsigned int t)
{
	unsigned int j;

	for (j = k - 1; ; j--) {
		u32 half = 1U << j;

		if (!(n & half)) {
			if (!fbit(bc, j, idx + half))
				return false;
			continue;
		}
		if (!generic_test_bit(idx, bc->head) ||
		    (j && is_split(bc, j, idx)))
			return false;
		idx += half;
		if (j == t)
			return fbit(bc, t, idx);
	}
}

/*
 * If the exact allocation of @n min blocks (not a power of two) at @idx,
 * a multiple of 2^k, is laid out as parts_in_place() says, free it as one
 * block of order k: take the tails off their lists, clear the parts' head
 * bits and the split bits between, and free the block. Return the number
 * of parts, or 0 if it is not so laid out and nothing changed.
 */
static noinline u32 free_whole(struct buddy_core *bc, u32 idx, u32 n,
			       unsigned int k, unsigned int t)
{
	u32 cur = idx, parts = 0;
	unsigned int j, root;
	bool bad = false;

	if (!parts_in_place(bc, idx, n, k, t))
		return 0;

	for (j = k - 1; ; j--) {
		u32 half = 1U << j;
		u32 tail = cur + half;

		if (n & half) {
			generic___clear_bit(cur, bc->head);
			parts++;
			cur += half;
			if (j > t)
				continue;
			tail = cur;
		}
		bad |= unlink_cold(bc, j, tail);
		if (j == t)
			break;
	}
	mark_splits(bc, cur - (1U << t), t + 1, k, 0);
	/* As release() would, with no zero bits to mind. */
	root = root_order(bc, idx);
	if (k < root && free_node(bc, k, idx ^ (1U << k)))
		merge_up(bc, k, idx, root, false);
	else
		bad |= push(bc, k, idx);
	if (unlikely(bad))
		rebuild(bc);
	return parts;
}

/* buddy_core_free_exact() and buddy_core_free_exact_zeroed(). */
static int free_parts(struct buddy_core *bc, u64 off, u64 size, bool zero)
{
	unsigned int order, root, k, t;
	u64 n, rem, cur;
	u32 parts = 0;
	int ret = -EINVAL;

	if (!size || size - 1 >= bc->max_bytes)
		goto bad;
	n = ((size - 1) >> bc->min_shift) + 1;
	cur = off >> bc->min_shift;
	k = (unsigned int)__fls(n) + 1;
	t = (unsigned int)__ffs(n);
	/*
	 * The parts as buddy_core_alloc_exact() left them, in their block of
	 * order k with every tail still free: free the block in one go. That
	 * check also validates the parts. Zero bits would have to be summed
	 * over parts and tails; those frees go part by part.
	 */
	if (!zero && (n & (n - 1)) && off < bc->size &&
	    cur << bc->min_shift == off && !(cur & ((1ULL << k) - 1)) &&
	    !bc->zero_bytes && !bc->zero_used) {
		parts = free_whole(bc, (u32)cur, (u32)n, k, t);
		if (parts)
			goto done;
	}
	for (rem = n, cur = off; rem; rem &= ~(1ULL << order)) {
		order = ilog2(rem);
		ret = lookup(bc, cur, &root);
		if (ret < 0)
			goto bad;
		if ((unsigned int)ret != order) {
			ret = -EINVAL;
			goto bad;
		}
		cur += 1ULL << (order + bc->min_shift);
	}
	for (rem = n, cur = off >> bc->min_shift; rem;
	     rem &= ~(1ULL << order)) {
		order = ilog2(rem);
		release(bc, (u32)cur, order, root_order(bc, cur), zero);
		cur += 1ULL << order;
		parts++;
	}
done:
	bc->gen++;
	bc->nr_parts -= parts - 1;
	bc->nr_frees++;
	return 0;
bad:
	bc->nr_bad_frees++;
	return ret;
}

/**
 * buddy_core_free_exact() - free what buddy_core_alloc_exact() allocated
 * @bc: the core
 * @off: byte offset returned by buddy_core_alloc_exact()
 * @size: the size it was called with
 *
 * With n = ceil(@size / min block), the parts are the blocks whose orders
 * are the set bits of n, highest first, one after another from @off. All
 * of them are checked before anything changes. If they lie in their block
 * as buddy_core_alloc_exact() left them, with every piece it trimmed off
 * still free, that block is freed whole; otherwise each part is freed,
 * not known zero, and merges as far as it can. Either way the result is
 * the same. O(number of orders).
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -EINVAL for a @size of 0 or above the largest block, or when
 * a part is an allocated block of another order; otherwise, for the first
 * part that is no allocated block, what buddy_core_free() would return for
 * it: -ERANGE, -EINVAL, -ENOENT or -EALREADY. A refused free changes
 * nothing but the bad-free counter.
 */
int buddy_core_free_exact(struct buddy_core *bc, u64 off, u64 size)
{
	return free_parts(bc, off, size, false);
}

/**
 * buddy_core_free_exact_zeroed() - free_exact for parts holding only zeros
 * @bc: the core
 * @off: byte offset returned by buddy_core_alloc_exact()
 * @size: the size it was called with
 *
 * As buddy_core_free_exact(), but the caller guarantees that every byte of
 * the parts, the first n min blocks from @off, is zero: each part is freed
 * as buddy_core_free_zeroed() would free it.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: as buddy_core_free_exact().
 */
int buddy_core_free_exact_zeroed(struct buddy_core *bc, u64 off, u64 size)
{
	return free_parts(bc, off, size, true);
}

/**
 * buddy_core_set_zeroed() - mark the free blocks of a zeroed span known zero
 * @bc: the core
 * @start: byte offset of the span
 * @end: byte offset just past it; clipped to the range
 *
 * The caller has zeroed [@start, @end), all but the free-list links the
 * core keeps in the first bytes of each free block: it zeroed the memory
 * before buddy_core_init() or buddy_core_add_chunk(), or zeroed free
 * blocks past their links. Every free block wholly inside the span becomes
 * known zero; allocated blocks, and free blocks that stick out of it, do
 * not change. Reads the free bitmaps of each order over the span:
 * O(span / (64 * min block) + free blocks in the span).
 *
 * Context: Any context; the caller excludes all other users of @bc.
 */
void buddy_core_set_zeroed(struct buddy_core *bc, u64 start, u64 end)
{
	unsigned int order;
	u64 s, e, n, nend;

	if (end > bc->size)
		end = bc->size;
	if (start >= end)
		return;
	/* the min blocks wholly inside */
	s = (start >> bc->min_shift) + !!(start & ((1ULL << bc->min_shift) - 1));
	e = end >> bc->min_shift;
	for (order = 0; order <= bc->max_order; order++) {
		/* the nodes of @order wholly inside: [n, nend) */
		n = (s + (1ULL << order) - 1) >> order;
		nend = e >> order;
		while (n < nend) {
			u64 word = bc->fmap[order][n >> 6] & (~0ULL << (n & 63));
			u64 next = (n | 63) + 1;

			/* nend is inside this word, not at its start */
			if (next > nend)
				word &= ~0ULL >> (64 - (nend & 63));
			for (; word; word &= word - 1) {
				u64 idx = (((n >> 6) << 6) + __ffs64(word)) <<
					  order;

				if (!generic_test_bit(idx, bc->zmap)) {
					bc->gen++;
					generic___set_bit(idx, bc->zmap);
					bc->zero_bytes += 1ULL <<
							  (order + bc->min_shift);
				}
			}
			n = next;
		}
	}
}

/**
 * buddy_core_zeroed() - did an allocated block hold only zeros?
 * @bc: the core
 * @off: byte offset of an allocated block
 *
 * For a block from buddy_core_alloc(), buddy_core_alloc_range() or
 * buddy_core_alloc_exact() (where @off is the first part's offset): was it
 * known zero when it was allocated? The core cleared its own links in it,
 * so then every byte was zero when the allocator returned it.
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: true if it was; false if not, or if @off is no allocated block.
 */
bool buddy_core_zeroed(const struct buddy_core *bc, u64 off)
{
	unsigned int root;

	return lookup(bc, off, &root) >= 0 &&
	       generic_test_bit(off >> bc->min_shift, bc->zmap);
}

/**
 * buddy_core_add_chunk() - make an absent chunk present and free
 * @bc: the core
 * @chunk: the chunk's number, its offsets starting at @chunk times the
 *	chunk size
 *
 * The caller must first store the chunk's address in its entry of the
 * chunks array given to buddy_core_init(). The whole chunk becomes free:
 * its roots go on the free lists, not known zero: buddy_core_set_zeroed()
 * marks them if the caller zeroed the chunk. O(roots in the chunk).
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -EINVAL if there is no chunk @chunk or its address is NULL;
 * -EEXIST if it is already present.
 */
int buddy_core_add_chunk(struct buddy_core *bc, u64 chunk)
{
	u64 idx, s, e;
	bool bad = false;

	if (chunk >= bc->nchunks || !bc->chunks[chunk])
		return -EINVAL;
	if (!chunk_absent(bc, chunk))
		return -EEXIST;
	bc->gen++;
	generic___clear_bit(chunk, bc->absent);
	chunk_span(bc, chunk, &s, &e);
	bc->present += (e - s) << bc->min_shift;
	for (idx = s; idx < e; idx += 1ULL << root_order(bc, idx))
		bad |= push(bc, root_order(bc, idx), (u32)idx);
	if (unlikely(bad))
		rebuild(bc);
	return 0;
}

/**
 * buddy_core_remove_chunk() - make a wholly free chunk absent
 * @bc: the core
 * @chunk: the chunk's number
 *
 * Takes the chunk's roots, all free, off the free lists; those known
 * zero leave buddy_core_zero_bytes(). Afterwards the core never touches
 * the chunk's memory, so the caller may clear its address and free it.
 * Nothing changes on error. O(roots in the chunk).
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -EINVAL if there is no chunk @chunk; -ENOENT if it is absent;
 * -EBUSY if any of it is allocated.
 */
int buddy_core_remove_chunk(struct buddy_core *bc, u64 chunk)
{
	unsigned int order;
	u64 idx, s, e;
	bool bad = false;

	if (chunk >= bc->nchunks)
		return -EINVAL;
	if (chunk_absent(bc, chunk))
		return -ENOENT;
	chunk_span(bc, chunk, &s, &e);
	for (idx = s; idx < e; idx += 1ULL << order) {
		order = root_order(bc, idx);
		if (!free_node(bc, order, idx))
			return -EBUSY;
	}
	bc->gen++;
	for (idx = s; idx < e; idx += 1ULL << order) {
		order = root_order(bc, idx);
		bad |= unlink_cold(bc, order, (u32)idx);
		if (generic_test_bit(idx, bc->zmap)) {
			generic___clear_bit(idx, bc->zmap);
			bc->zero_bytes -= 1ULL << (order + bc->min_shift);
		}
	}
	generic___set_bit(chunk, bc->absent);
	bc->present -= (e - s) << bc->min_shift;
	if (unlikely(bad))
		rebuild(bc);
	return 0;
}

/**
 * buddy_core_chunk_present() - is a chunk there to allocate from?
 * @bc: the core
 * @chunk: the chunk's number
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: true if chunk @chunk exists and is present.
 */
bool buddy_core_chunk_present(const struct buddy_core *bc, u64 chunk)
{
	return chunk < bc->nchunks && !chunk_absent(bc, chunk);
}

/**
 * buddy_core_addr() - address of byte @off of the range
 * @bc: the core
 * @off: byte offset below the range size
 *
 * Context: Any context.
 * Return: the address.
 */
void *buddy_core_addr(const struct buddy_core *bc, u64 off)
{
	u64 idx = off >> bc->min_shift;
	u64 low = off & ((1ULL << bc->min_shift) - 1);

	return (char *)link_of(bc, idx) + low;
}

/**
 * buddy_core_next_block() - iterate over all blocks in address order
 * @bc: the core
 * @pos: cursor, 0 to start; advanced past the block returned
 * @blk: filled with the block at @pos
 *
 * Absent chunks are skipped: they hold no blocks.
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: true if @blk was filled, false at the end of the range.
 */
bool buddy_core_next_block(const struct buddy_core *bc, u64 *pos,
			   struct buddy_core_block *blk)
{
	unsigned int order;
	u64 idx, chunk;

	for (;;) {
		if (*pos >= bc->size)
			return false;
		idx = *pos >> bc->min_shift;
		chunk = idx >> bc->chunk_bits;
		if (!chunk_absent(bc, chunk))
			break;
		if (chunk + 1 >= bc->nchunks)
			*pos = bc->size;
		else
			*pos = (chunk + 1) << (bc->chunk_bits + bc->min_shift);
	}
	order = leaf_order(bc, idx);
	idx &= ~((1ULL << order) - 1);
	blk->off = idx << bc->min_shift;
	blk->order = order;
	blk->free = !generic_test_bit(idx, bc->head);
	*pos = (idx + (1ULL << order)) << bc->min_shift;
	return true;
}

/**
 * buddy_core_snapshot() - copy the state, for reading without the lock
 * @bc: the core
 * @copy: receives the copy
 * @meta: storage for a copy of the bitmaps, buddy_core_meta_size() bytes
 * @meta_size: bytes available at @meta
 *
 * Only the statistics accessors, the counters and buddy_core_next_block()
 * may be used on @copy; it shares no state with @bc.
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: 0, or -EINVAL if @meta is too small.
 */
int buddy_core_snapshot(const struct buddy_core *bc, struct buddy_core *copy,
			void *meta, size_t meta_size)
{
	size_t need = buddy_core_meta_size(bc->size, 1ULL << bc->min_shift);

	if (meta_size < need)
		return -EINVAL;
	*copy = *bc;
	memcpy(meta, bc->head, need);
	lay_out(copy, bc->nblocks, meta);
	return 0;
}

/*
 * Describe a violation in @buf, of @len bytes, for buddy_core_check() to
 * report, and give -EUCLEAN.
 */
#define violation(buf, len, fmt, ...) \
	({ snprintf(buf, len, fmt, ##__VA_ARGS__); -EUCLEAN; })

/*
 * The lowest order at which the node starting at min block @idx has its
 * split or free bit set, or max_order + 1 if none.
 */
static unsigned int node_bits(const struct buddy_core *bc, u64 idx)
{
	unsigned int order;

	for (order = 0; order <= bc->max_order; order++) {
		if (idx & ((1ULL << order) - 1) || !node_exists(bc, order, idx))
			continue;
		if ((order && is_split(bc, order, idx)) ||
		    ((bc->fmap[order][idx >> order >> 6] >>
		      ((idx >> order) & 63)) & 1))
			break;
	}
	return order;
}

/* The phases of a check, in order. */
enum { CHECK_LISTS, CHECK_BLOCKS, CHECK_FMAP, CHECK_CHUNKS, CHECK_SUMS };

/*
 * Walk the free lists, checking every entry and both link directions, and
 * each list's count, mask bit and tail. One unit of work an entry.
 */
static int check_lists(const struct buddy_core *bc,
		       struct buddy_core_checker *ck, u64 *work, u64 budget,
		       char *buf, size_t len)
{
	for (; ck->order < BUDDY_CORE_NR_ORDERS;
	     ck->order++, ck->started = false) {
		unsigned int order = ck->order;
		bool listed = bc->free_head[order] != NIL;

		if (order > bc->max_order) {
			if (listed || bc->nr_free[order])
				return violation(buf, len,
						 "order %u above max order %u has free blocks",
						 order, bc->max_order);
			continue;
		}
		if (!ck->started) {
			if (listed != !!(bc->nonempty & (1U << order)))
				return violation(buf, len,
						 "order %u: non-empty mask disagrees with list",
						 order);
			ck->idx = bc->free_head[order];
			ck->prev = NIL;
			ck->n = 0;
			ck->started = true;
		}
		while (ck->idx != NIL) {
			const struct link *l;

			if ((*work)++ >= budget)
				return -EAGAIN;
			if (ck->n++ == bc->nr_free[order])
				return violation(buf, len,
						 "order %u: list longer than its count %llu",
						 order,
						 (unsigned long long)bc->nr_free[order]);
			if (!valid_free(bc, order, ck->idx))
				return violation(buf, len,
						 "order %u: entry %u is not a free block",
						 order, ck->idx);
			l = link_of(bc, ck->idx);
			if (ck->prev == NIL && bc->head_link[order] != l)
				return violation(buf, len,
						 "order %u: head %u is not where the head link points",
						 order, ck->idx);
			if (l->prev != ck->prev)
				return violation(buf, len,
						 "order %u: block %u has back link %u, expected %u",
						 order, ck->idx, l->prev, ck->prev);
			ck->prev = ck->idx;
			ck->idx = l->next;
		}
		if (ck->n != bc->nr_free[order])
			return violation(buf, len,
					 "order %u: list holds %llu blocks, count says %llu",
					 order, (unsigned long long)ck->n,
					 (unsigned long long)bc->nr_free[order]);
		if (listed && ck->prev != bc->free_tail[order])
			return violation(buf, len,
					 "order %u: list ends at %u, tail says %u",
					 order, ck->prev, bc->free_tail[order]);
	}
	if (bc->max_order < BUDDY_CORE_MAX_ORDER &&
	    bc->nonempty >> (bc->max_order + 1))
		return violation(buf, len,
				 "non-empty mask has orders above max order");
	return 0;
}

/*
 * The bits inside, above and of the block in ck->blk, as it is counted:
 * one unit of work per min block of it and per split bit inside it.
 */
static int check_block(const struct buddy_core *bc,
		       struct buddy_core_checker *ck, u64 *work, u64 budget,
		       char *buf, size_t len)
{
	const struct buddy_core_block *blk = &ck->blk;
	u64 idx = blk->off >> bc->min_shift, nr = 1ULL << blk->order;
	unsigned int order;

	/* Nothing inside a block may be split or carry a head bit. */
	for (; ck->i < idx + nr; ck->i++) {
		if ((*work)++ >= budget)
			return -EAGAIN;
		if (generic_test_bit(ck->i, bc->head))
			return violation(buf, len, "head bit inside block at %llu",
					 (unsigned long long)blk->off);
		if (generic_test_bit(ck->i, bc->zmap))
			return violation(buf, len, "zero bit inside block at %llu",
					 (unsigned long long)blk->off);
	}
	for (; ck->order <= blk->order; ck->order++, ck->j = idx) {
		for (; ck->j < idx + nr; ck->j += 1ULL << ck->order) {
			if ((*work)++ >= budget)
				return -EAGAIN;
			if (is_split(bc, ck->order, ck->j))
				return violation(buf, len,
						 "split bit inside block at %llu order %u",
						 (unsigned long long)blk->off,
						 blk->order);
		}
	}
	/* Every node above a block, up to its root, must be split. */
	for (order = blk->order; !is_root(bc, order, idx); order++) {
		if (!is_split(bc, order + 1, idx))
			return violation(buf, len,
					 "block at %llu: unsplit parent at order %u",
					 (unsigned long long)blk->off, order + 1);
	}
	if (!blk->free) {
		ck->used_blocks += nr;
		ck->nr_used++;
		ck->zero_used += generic_test_bit(idx, bc->zmap);
		return 0;
	}
	ck->nr_free[blk->order]++;
	ck->free_blocks += nr;
	if (generic_test_bit(idx, bc->zmap))
		ck->zero += nr;
	if (!((bc->fmap[blk->order][idx >> blk->order >> 6] >>
	       ((idx >> blk->order) & 63)) & 1))
		return violation(buf, len,
				 "free block at %llu order %u not in the free bitmap",
				 (unsigned long long)blk->off, blk->order);
	if (!is_root(bc, blk->order, idx) &&
	    free_node(bc, blk->order, idx ^ nr))
		return violation(buf, len,
				 "free buddies %llu and %llu not merged, order %u",
				 (unsigned long long)blk->off,
				 (unsigned long long)((idx ^ nr) << bc->min_shift),
				 blk->order);
	return 0;
}

/* Every block, as check_block() sees it. */
static int check_blocks(const struct buddy_core *bc,
			struct buddy_core_checker *ck, u64 *work, u64 budget,
			char *buf, size_t len)
{
	int ret;

	for (;;) {
		if (!ck->started) {
			if ((*work)++ >= budget)
				return -EAGAIN;
			if (!buddy_core_next_block(bc, &ck->pos, &ck->blk))
				return 0;
			ck->started = true;
			ck->i = (ck->blk.off >> bc->min_shift) + 1;
			ck->order = 1;
			ck->j = ck->blk.off >> bc->min_shift;
		}
		ret = check_block(bc, ck, work, budget, buf, len);
		if (ret)
			return ret;
		ck->started = false;
	}
}

/*
 * Each order's free bitmap holds exactly the free blocks found in it, and
 * each summary bit says whether its word is non-zero. One unit of work a
 * bitmap word.
 */
static int check_fmap(const struct buddy_core *bc,
		      struct buddy_core_checker *ck, u64 *work, u64 budget,
		      char *buf, size_t len)
{
	for (; ck->order <= bc->max_order; ck->order++, ck->started = false) {
		unsigned int order = ck->order;
		u64 words = ((u64)(bc->nblocks >> order) >> 6) + 1, i;

		if (!ck->started) {
			if (ck->nr_free[order] != bc->nr_free[order])
				return violation(buf, len,
						 "order %u: %llu free blocks in the bitmaps, %llu counted",
						 order,
						 (unsigned long long)ck->nr_free[order],
						 (unsigned long long)bc->nr_free[order]);
			ck->i = 0;
			ck->bits = 0;
			ck->started = true;
		}
		for (; ck->i < words; ck->i++) {
			u64 w = bc->fmap[order][ck->i];
			bool sum = (bc->fsum[order][ck->i >> 6] >> (ck->i & 63)) & 1;

			if ((*work)++ >= budget)
				return -EAGAIN;
			if (sum != !!w)
				return violation(buf, len,
						 "order %u: summary bit %llu is %d for word %#llx",
						 order, (unsigned long long)ck->i, sum,
						 (unsigned long long)w);
			ck->bits += hweight64(w);
		}
		for (i = words; i < ((words >> 6) + 1) << 6; i++) {
			if ((bc->fsum[order][i >> 6] >> (i & 63)) & 1)
				return violation(buf, len,
						 "order %u: summary bit %llu past the bitmap",
						 order, (unsigned long long)i);
		}
		if (ck->bits != ck->nr_free[order])
			return violation(buf, len,
					 "order %u: %llu free bits, %llu free blocks",
					 order, (unsigned long long)ck->bits,
					 (unsigned long long)ck->nr_free[order]);
	}
	return 0;
}

/*
 * An absent chunk has no head, zero, split or free bits; the present
 * ones add up to the present bytes. One unit of work a chunk and a min
 * block of an absent one.
 */
static int check_chunks(const struct buddy_core *bc,
			  struct buddy_core_checker *ck, u64 *work, u64 budget,
			  char *buf, size_t len)
{
	unsigned int order;
	u64 s, e;

	for (; ck->j < bc->nchunks; ck->j++, ck->started = false) {
		chunk_span(bc, ck->j, &s, &e);
		if (!ck->started) {
			if ((*work)++ >= budget)
				return -EAGAIN;
			ck->started = true;
			ck->i = s;
			if (!chunk_absent(bc, ck->j)) {
				ck->present += (e - s) << bc->min_shift;
				continue;
			}
		}
		for (; ck->i < e; ck->i++) {
			if ((*work)++ >= budget)
				return -EAGAIN;
			if (generic_test_bit(ck->i, bc->head))
				return violation(buf, len,
						 "absent chunk %llu: head bit at %llu",
						 (unsigned long long)ck->j,
						 (unsigned long long)ck->i);
			if (generic_test_bit(ck->i, bc->zmap))
				return violation(buf, len,
						 "absent chunk %llu: zero bit at %llu",
						 (unsigned long long)ck->j,
						 (unsigned long long)ck->i);
			order = node_bits(bc, ck->i);
			if (order <= bc->max_order)
				return violation(buf, len,
						 "absent chunk %llu: node %llu/%u split or free",
						 (unsigned long long)ck->j,
						 (unsigned long long)ck->i, order);
		}
	}
	if (ck->present != bc->present)
		return violation(buf, len,
				 "present chunks hold %llu bytes, %llu counted",
				 (unsigned long long)ck->present,
				 (unsigned long long)bc->present);
	return 0;
}

/* The byte and block totals against the counters. */
static int check_sums(const struct buddy_core *bc,
		      const struct buddy_core_checker *ck, char *buf,
		      size_t len)
{
	if ((ck->free_blocks + ck->used_blocks) << bc->min_shift != bc->present)
		return violation(buf, len, "free %llu + allocated %llu != present %llu",
				 (unsigned long long)(ck->free_blocks << bc->min_shift),
				 (unsigned long long)(ck->used_blocks << bc->min_shift),
				 (unsigned long long)bc->present);
	if (ck->zero << bc->min_shift != bc->zero_bytes)
		return violation(buf, len,
				 "free blocks known zero hold %llu bytes, %llu counted",
				 (unsigned long long)(ck->zero << bc->min_shift),
				 (unsigned long long)bc->zero_bytes);
	if (ck->zero_used != bc->zero_used)
		return violation(buf, len,
				 "%llu allocated blocks were known zero, %llu counted",
				 (unsigned long long)ck->zero_used,
				 (unsigned long long)bc->zero_used);
	if (bc->nr_allocs + bc->nr_parts - bc->nr_frees != ck->nr_used)
		return violation(buf, len,
				 "%llu allocs + %llu parts - %llu frees != %llu allocated blocks",
				 (unsigned long long)bc->nr_allocs,
				 (unsigned long long)bc->nr_parts,
				 (unsigned long long)bc->nr_frees,
				 (unsigned long long)ck->nr_used);
	return 0;
}

/**
 * buddy_core_check_step() - go on with a check, for a bounded time
 * @bc: the core
 * @ck: the check's progress, zeroed to start it
 * @budget: units of work to do at most (list entries, min blocks, bitmap
 *	words), give or take one; U64_MAX does it all
 * @buf: receives a description of the first violation found
 * @len: size of @buf
 *
 * Does what buddy_core_check() does, in steps of about @budget units, so
 * that a caller can drop its lock between steps. Steps add up to a check
 * of one state only if @bc did not change between them: compare @bc->gen
 * before and after, and start again with a zeroed @ck if it moved.
 *
 * Context: Any context; the caller excludes writers of @bc during a step.
 * Return: 0 if all is checked and consistent; -EAGAIN when the budget ran
 * out first (call again); -EUCLEAN with @buf filled on a violation.
 */
int buddy_core_check_step(const struct buddy_core *bc,
			  struct buddy_core_checker *ck, u64 budget,
			  char *buf, size_t len)
{
	u64 work = 0;
	int ret;

	if (len)
		buf[0] = '\0';
	switch (ck->phase) {
	case CHECK_LISTS:
		ret = check_lists(bc, ck, &work, budget, buf, len);
		if (ret)
			return ret;
		ck->phase = CHECK_BLOCKS;
		ck->started = false;
		fallthrough;
	case CHECK_BLOCKS:
		ret = check_blocks(bc, ck, &work, budget, buf, len);
		if (ret)
			return ret;
		ck->phase = CHECK_FMAP;
		ck->order = 0;
		ck->started = false;
		fallthrough;
	case CHECK_FMAP:
		ret = check_fmap(bc, ck, &work, budget, buf, len);
		if (ret)
			return ret;
		ck->phase = CHECK_CHUNKS;
		ck->j = 0;
		ck->started = false;
		fallthrough;
	case CHECK_CHUNKS:
		ret = check_chunks(bc, ck, &work, budget, buf, len);
		if (ret)
			return ret;
		ck->phase = CHECK_SUMS;
		fallthrough;
	default:
		return check_sums(bc, ck, buf, len);
	}
}

/**
 * buddy_core_check() - verify that bitmaps, lists and counters agree
 * @bc: the core
 * @buf: receives a description of the first violation found
 * @len: size of @buf
 *
 * Checks every free list entry and link and each list's tail, that split,
 * head and zero bits appear only where blocks are, that no two free
 * buddies sit unmerged, that the free bitmaps and their summaries show
 * exactly the free blocks, that absent chunks have no bits set, and that
 * the per-order counts, the present, free, known-zero and allocated bytes
 * and the alloc/free counters all add up. O(min blocks), in one go; see
 * buddy_core_check_step() for a check in steps.
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: 0 if consistent, -EUCLEAN with @buf filled otherwise.
 */
int buddy_core_check(const struct buddy_core *bc, char *buf, size_t len)
{
	struct buddy_core_checker ck = { 0 };

	return buddy_core_check_step(bc, &ck, U64_MAX, buf, len);
}
