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
 * The caller serialises all calls on one struct buddy_core.
 */
#include "buddy_core.h"

#define NIL		((u32)~0U)

/* Free-list links, stored in the first bytes of each free block. */
struct link {
	u32 next;
	u32 prev;
};

static inline bool tbit(const unsigned long *map, u64 bit)
{
	return (map[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1;
}

static inline void sbit(unsigned long *map, u64 bit)
{
	map[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline void cbit(unsigned long *map, u64 bit)
{
	map[bit / BITS_PER_LONG] &= ~(1UL << (bit % BITS_PER_LONG));
}

/* floor(log2(@v)) for a non-zero @v */
static inline unsigned int ilog2_u64(u64 v)
{
	if (sizeof(unsigned long) == sizeof(u64))
		return (unsigned int)__fls((unsigned long)v);
	if (v >> 32)
		return 32 + (unsigned int)__fls((unsigned long)(v >> 32));
	return (unsigned int)__fls((unsigned long)v);
}

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
	return !tbit(bc->head, idx) && !(order && is_split(bc, order, idx));
}

/* Is @idx, as read from a link, the start of a free block of @order? */
static __always_inline bool valid_free(const struct buddy_core *bc,
				       unsigned int order, u32 idx)
{
	if (idx & ((1U << order) - 1))
		return false;
	if (!node_exists(bc, order, idx) || !free_node(bc, order, idx))
		return false;
	return is_root(bc, order, idx) || is_split(bc, order + 1, idx);
}

static __always_inline struct link *link_of(const struct buddy_core *bc,
					    u64 idx)
{
	u64 rem = idx & bc->seg_mask;

	return (struct link *)(bc->segs[idx >> bc->seg_bits] +
			       (rem << bc->min_shift));
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
	}
	bc->free_head[order] = idx;
	bc->head_link[order] = l;
	bc->nonempty |= 1U << order;
	bc->nr_free[order]++;
	return bad;
}

/*
 * Take free block @idx of @order, the head of its list, whose links are at
 * @l and whose back link is known to be NIL, off the list. Return true,
 * leaving the list alone, if a link was found overwritten.
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
		bc->free_head[order] = NIL;
		bc->head_link[order] = NULL;
		bc->nonempty &= ~(1U << order);
		return false;
	}
	if (unlikely(next == idx || !left || !valid_free(bc, order, next)))
		return true;
	l = link_of(bc, next);
	if (unlikely(l->prev != idx))
		return true;
	l->prev = NIL;
	bc->free_head[order] = next;
	bc->head_link[order] = l;
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
 * both neighbours. Return true, leaving the list alone, if a link was
 * found overwritten.
 */
static __always_inline bool unlink_block(struct buddy_core *bc,
					 unsigned int order, u32 idx)
{
	struct link *l = link_of(bc, idx), *pl, *nl;
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
		     !valid_free(bc, order, prev)))
		return true;
	pl = link_of(bc, prev);
	if (unlikely(pl->next != idx))
		return true;
	if (next != NIL) {
		if (unlikely(!valid_free(bc, order, next)))
			return true;
		nl = link_of(bc, next);
		if (unlikely(nl->prev != idx))
			return true;
		nl->prev = prev;
	}
	pl->next = next;
	return false;
}

/*
 * Empty the free lists and refill them with every free block the bitmaps
 * show, walking from the end so each list comes out in address order.
 * O(blocks * orders).
 */
static void relist(struct buddy_core *bc)
{
	unsigned int order;
	u64 idx = bc->nblocks;

	bc->nonempty = 0;
	for (order = 0; order < BUDDY_CORE_NR_ORDERS; order++) {
		bc->free_head[order] = NIL;
		bc->nr_free[order] = 0;
	}
	while (idx) {
		u64 start;

		order = leaf_order(bc, idx - 1);
		start = (idx - 1) & ~((1ULL << order) - 1);
		if (!tbit(bc->head, start))
			push(bc, order, (u32)start);
		idx = start;
	}
}

/* A bad link was seen: count it and rebuild the lists from the bitmaps. */
static void rebuild(struct buddy_core *bc)
{
	bc->nr_corruptions++;
	relist(bc);
}

/*
 * Take free block @idx of @order, the head of its list, and split it down
 * to @want, listing each upper half; rebuild the lists if a bad link was
 * seen. Out of line, as the merge below is, so that the common path, one
 * pop() and no split, keeps its registers.
 */
static noinline void split_down(struct buddy_core *bc, unsigned int order,
				unsigned int want, u32 idx)
{
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
		struct link *l = link_of(bc, half);

		l->next = NIL;
		l->prev = NIL;
		bc->free_head[k] = half;
		bc->head_link[k] = l;
		bc->nr_free[k] = 1;
	}
	bc->nonempty |= (1U << order) - (1U << want);
	if (unlikely(bad))
		rebuild(bc);
}

/*
 * Block @idx of @order has just been freed and its buddy is free: merge
 * for as long as the buddy is free, up to @root, list the result, and
 * rebuild the lists if a bad link was seen.
 */
static noinline void merge_up(struct buddy_core *bc, unsigned int order,
			      u32 idx, unsigned int root)
{
	unsigned int leaf = order;
	u32 start = idx;
	bool bad = false;

	do {
		bad |= unlink_block(bc, order, start ^ (1U << order));
		start &= ~(1U << order);
		order++;
	} while (order < root && free_node(bc, order, start ^ (1U << order)));
	/* The nodes merged are those over @idx. */
	mark_splits(bc, idx, leaf + 1, order, 0);
	bad |= push(bc, order, start);
	if (unlikely(bad))
		rebuild(bc);
}

/**
 * buddy_core_meta_size() - bytes of metadata a range needs
 * @size: bytes in the range
 * @min_block: bytes in the smallest block
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
	/* head bits, plus about 64/63 split bits a min block */
	return head_bytes(nblocks) +
	       8 * split_words(nblocks, ilog2_u64(nblocks));
}

/**
 * buddy_core_init() - set up a range with all of it free
 * @bc: the core state to initialise
 * @size: bytes in the range, a multiple of @min_block
 * @min_block: bytes in the smallest block, a power of two of at least
 *	BUDDY_CORE_MIN_BLOCK
 * @seg_shift: log2 of the bytes in each segment, or BUDDY_CORE_ONE_SEGMENT
 *	when @segs[0] covers the whole range
 * @segs: start address of each segment; no block crosses a segment
 * @meta: metadata storage of buddy_core_meta_size() bytes, owned by @bc
 *	until the caller stops using it
 * @meta_size: bytes available at @meta
 *
 * The range is carved into the largest naturally aligned blocks that fit,
 * and a free-list link is written into each of them.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0, or -EINVAL for a bad geometry or too little metadata.
 */
int buddy_core_init(struct buddy_core *bc, u64 size, u64 min_block,
		    unsigned int seg_shift, unsigned char *const *segs,
		    void *meta, size_t meta_size)
{
	size_t need = buddy_core_meta_size(size, min_block);
	unsigned int min_shift, order;
	u64 nblocks;

	if (!need || meta_size < need || !meta || !segs)
		return -EINVAL;
	min_shift = ilog2_u64(min_block);
	if (seg_shift != BUDDY_CORE_ONE_SEGMENT &&
	    (seg_shift < min_shift || seg_shift >= 64))
		return -EINVAL;

	memset(bc, 0, sizeof(*bc));
	memset(meta, 0, need);
	nblocks = size >> min_shift;
	bc->size = size;
	bc->nblocks = (u32)nblocks;
	bc->min_shift = (u8)min_shift;
	bc->seg_bits = seg_shift == BUDDY_CORE_ONE_SEGMENT ?
		       32 : (u8)(seg_shift - min_shift);
	bc->seg_mask = (1ULL << bc->seg_bits) - 1;
	bc->max_order = (u8)ilog2_u64(nblocks);
	if (bc->max_order > BUDDY_CORE_MAX_ORDER)
		bc->max_order = BUDDY_CORE_MAX_ORDER;
	if (bc->max_order > bc->seg_bits)
		bc->max_order = bc->seg_bits;
	/* No node above max_order exists: every max_order node is a root. */
	for (order = 0; order <= bc->max_order; order++)
		bc->exist_end[order] = (u32)((nblocks >> order) << order);
	bc->max_bytes = 1ULL << (min_shift + bc->max_order);
	bc->segs = segs;
	bc->head = meta;
	bc->split = (u64 *)((char *)meta + head_bytes(nblocks));
	/* the words of each group of six orders follow the group below */
	for (order = 1; order <= BUDDY_CORE_MAX_ORDER; order++) {
		unsigned int base = (order - 1) / 6 * 6, j = order - base;

		bc->split_woff[order] = (u32)split_words(nblocks, base);
		bc->split_wshift[order] = (u8)(base + 6);
		bc->split_pbase[order] = (u8)(64 - (128 >> j));
		bc->split_pmask[order] = (u8)((64 >> j) - 1);
	}
	/* Nothing is split or allocated: every root goes on its list. */
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
 * on its free list. O(number of orders).
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

	if (unlikely(want < 0))
		goto fail;
	k = (unsigned int)want;
	avail = bc->nonempty >> k;
	if (unlikely(!avail)) {
		want = -ENOMEM;
		goto fail;
	}
	order = k + (unsigned int)__ffs(avail);
	idx = bc->free_head[order];
	/* Bitmaps and counters first: nothing below depends on them. */
	*offp = (u64)idx << bc->min_shift;
	sbit(bc->head, idx);
	bc->nr_allocs++;
	if (order > k)
		split_down(bc, order, k, idx);
	else if (unlikely(pop(bc, order, idx)))
		rebuild(bc);
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
	if (!tbit(bc->head, idx - inside))
		return -EALREADY;
	if (inside)
		return -ENOENT;
	return (int)order;
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
 * bad-free counter.
 *
 * Context: Any context; the caller excludes all other users of @bc.
 * Return: 0; -ERANGE if @off is outside the range; -EINVAL if it is not on
 * a min-block boundary; -ENOENT if it points inside an allocated block;
 * -EALREADY if it lies in a free block (a double free).
 */
int buddy_core_free(struct buddy_core *bc, u64 off)
{
	unsigned int order, root;
	int ret = lookup(bc, off, &root);
	u32 idx;

	if (unlikely(ret < 0)) {
		bc->nr_bad_frees++;
		return ret;
	}
	order = (unsigned int)ret;
	idx = (u32)(off >> bc->min_shift);
	cbit(bc->head, idx);
	bc->nr_frees++;
	/* The parent is split, so an unsplit buddy is a block. */
	if (order < root && free_node(bc, order, idx ^ (1U << order)))
		merge_up(bc, order, idx, root);
	else if (unlikely(push(bc, order, idx)))
		rebuild(bc);
	return 0;
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
 * Context: Any context; the caller excludes writers of @bc.
 * Return: true if @blk was filled, false at the end of the range.
 */
bool buddy_core_next_block(const struct buddy_core *bc, u64 *pos,
			   struct buddy_core_block *blk)
{
	u64 idx = *pos >> bc->min_shift;
	unsigned int order;

	if (*pos >= bc->size)
		return false;
	order = leaf_order(bc, idx);
	idx &= ~((1ULL << order) - 1);
	blk->off = idx << bc->min_shift;
	blk->order = order;
	blk->free = !tbit(bc->head, idx);
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
	copy->head = meta;
	copy->split = (u64 *)((char *)meta +
			      ((char *)bc->split - (char *)bc->head));
	return 0;
}

#define violation(...) ({ snprintf(buf, len, __VA_ARGS__); -EUCLEAN; })

/* Walk one free list, checking every entry and both link directions. */
static int check_list(const struct buddy_core *bc, unsigned int order,
		      char *buf, size_t len)
{
	u32 idx = bc->free_head[order], prev = NIL;
	bool listed = idx != NIL;
	u64 n = 0;

	if (listed != !!(bc->nonempty & (1U << order)))
		return violation("order %u: non-empty mask disagrees with list",
				 order);
	while (idx != NIL) {
		const struct link *l;

		if (n++ == bc->nr_free[order])
			return violation("order %u: list longer than its count %llu",
					 order,
					 (unsigned long long)bc->nr_free[order]);
		if (!valid_free(bc, order, idx))
			return violation("order %u: entry %u is not a free block",
					 order, idx);
		l = link_of(bc, idx);
		if (prev == NIL && bc->head_link[order] != l)
			return violation("order %u: head %u is not where the head link points",
					 order, idx);
		if (l->prev != prev)
			return violation("order %u: block %u has back link %u, expected %u",
					 order, idx, l->prev, prev);
		prev = idx;
		idx = l->next;
	}
	if (n != bc->nr_free[order])
		return violation("order %u: list holds %llu blocks, count says %llu",
				 order, (unsigned long long)n,
				 (unsigned long long)bc->nr_free[order]);
	return 0;
}

/**
 * buddy_core_check() - verify that bitmaps, lists and counters agree
 * @bc: the core
 * @buf: receives a description of the first violation found
 * @len: size of @buf
 *
 * Checks every free list entry and link, that split and head bits appear
 * only where blocks are, that no two free buddies sit unmerged, and that
 * the per-order counts, the free and allocated bytes and the alloc/free
 * counters all add up. O(blocks * orders).
 *
 * Context: Any context; the caller excludes writers of @bc.
 * Return: 0 if consistent, -EUCLEAN with @buf filled otherwise.
 */
int buddy_core_check(const struct buddy_core *bc, char *buf, size_t len)
{
	u64 nr_free[BUDDY_CORE_NR_ORDERS] = { 0 };
	u64 free_blocks = 0, used_blocks = 0, nr_used = 0, pos = 0;
	struct buddy_core_block blk;
	unsigned int order;
	int ret;

	if (len)
		buf[0] = '\0';
	for (order = 0; order < BUDDY_CORE_NR_ORDERS; order++) {
		if (order > bc->max_order) {
			if (bc->free_head[order] != NIL || bc->nr_free[order])
				return violation("order %u above max order %u has free blocks",
						 order, bc->max_order);
			continue;
		}
		ret = check_list(bc, order, buf, len);
		if (ret)
			return ret;
	}
	if (bc->max_order < BUDDY_CORE_MAX_ORDER &&
	    bc->nonempty >> (bc->max_order + 1))
		return violation("non-empty mask has orders above max order");

	while (buddy_core_next_block(bc, &pos, &blk)) {
		u64 idx = blk.off >> bc->min_shift, i;
		u64 nr = 1ULL << blk.order;

		/* Nothing inside a block may be split or carry a head bit. */
		for (i = idx + 1; i < idx + nr; i++) {
			if (tbit(bc->head, i))
				return violation("head bit inside block at %llu",
						 (unsigned long long)blk.off);
		}
		for (order = 1; order <= blk.order; order++) {
			for (i = idx; i < idx + nr; i += 1ULL << order) {
				if (is_split(bc, order, i))
					return violation("split bit inside block at %llu order %u",
							 (unsigned long long)blk.off,
							 blk.order);
			}
		}
		/* Every node above a block, up to its root, must be split. */
		for (order = blk.order; !is_root(bc, order, idx); order++) {
			if (!is_split(bc, order + 1, idx))
				return violation("block at %llu: unsplit parent at order %u",
						 (unsigned long long)blk.off,
						 order + 1);
		}
		if (!blk.free) {
			used_blocks += nr;
			nr_used++;
			continue;
		}
		nr_free[blk.order]++;
		free_blocks += nr;
		if (!is_root(bc, blk.order, idx)) {
			u64 buddy = idx ^ nr;

			if (free_node(bc, blk.order, buddy))
				return violation("free buddies %llu and %llu not merged, order %u",
						 (unsigned long long)blk.off,
						 (unsigned long long)(buddy << bc->min_shift),
						 blk.order);
		}
	}
	for (order = 0; order <= bc->max_order; order++) {
		if (nr_free[order] != bc->nr_free[order])
			return violation("order %u: %llu free blocks in the bitmaps, %llu counted",
					 order, (unsigned long long)nr_free[order],
					 (unsigned long long)bc->nr_free[order]);
	}
	if ((free_blocks + used_blocks) << bc->min_shift != bc->size)
		return violation("free %llu + allocated %llu != size %llu",
				 (unsigned long long)(free_blocks << bc->min_shift),
				 (unsigned long long)(used_blocks << bc->min_shift),
				 (unsigned long long)bc->size);
	if (bc->nr_allocs - bc->nr_frees != nr_used)
		return violation("%llu allocs - %llu frees != %llu allocated blocks",
				 (unsigned long long)bc->nr_allocs,
				 (unsigned long long)bc->nr_frees,
				 (unsigned long long)nr_used);
	return 0;
}
