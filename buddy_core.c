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

static __always_inline void set_split(struct buddy_core *bc,
				      unsigned int order, u64 idx)
{
	*split_word(bc, order, idx) |= 1ULL << split_pos(bc, order, idx);
}

static __always_inline void clear_split(struct buddy_core *bc,
					unsigned int order, u64 idx)
{
	*split_word(bc, order, idx) &= ~(1ULL << split_pos(bc, order, idx));
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
	return order == bc->max_order || idx >= bc->exist_end[order + 1];
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
 * Order of the block (leaf) that contains min block @idx, below a root of
 * order @root: the lowest node whose parent is split, or the root.
 */
static __always_inline unsigned int leaf_below(const struct buddy_core *bc,
					       u64 idx, unsigned int root)
{
	unsigned int order = 0;

	/* One word per group of six parent orders. */
	while (order < root) {
		unsigned int base = order;
		unsigned int top = root < base + 6 ? root : base + 6;
		u64 w = bc->split[bc->split_woff[base + 1] + (idx >> (base + 6))];
		unsigned int pos = 0, step = 32;
		u64 local = ((idx >> base) & 63) >> 1;

		for (; order < top; order++) {
			if ((w >> (pos + local)) & 1)
				return order;
			pos += step;
			step >>= 1;
			local >>= 1;
		}
	}
	return order;
}

static __always_inline unsigned int leaf_order(const struct buddy_core *bc,
					       u64 idx)
{
	return leaf_below(bc, idx, root_order(bc, idx));
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
				       unsigned int order, u64 idx)
{
	if (idx & ((1ULL << order) - 1))
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
		struct link *h = link_of(bc, head);

		bad = h->prev != NIL;
		h->prev = idx;
	}
	bc->free_head[order] = idx;
	bc->nonempty |= 1U << order;
	bc->nr_free[order]++;
	return bad;
}

/*
 * Take free block @idx of @order off its list, checking both neighbours.
 * Return true, leaving the list alone, if a link was found overwritten.
 */
static __always_inline bool unlink_block(struct buddy_core *bc,
					 unsigned int order, u32 idx)
{
	struct link *l = link_of(bc, idx);
	u32 next = l->next, prev = l->prev;

	bc->nr_free[order]--;
	/* Links to itself, or a list that ends before its count does. */
	if (unlikely(prev == idx || next == idx ||
		     (prev == next && prev != NIL)))
		goto corrupt;
	if (unlikely((prev == NIL && next == NIL) != !bc->nr_free[order]))
		goto corrupt;
	if (prev == NIL) {
		if (unlikely(bc->free_head[order] != idx))
			goto corrupt;
	} else if (unlikely(bc->free_head[order] == idx ||
			    !valid_free(bc, order, prev) ||
			    link_of(bc, prev)->next != idx)) {
		goto corrupt;
	}
	if (next != NIL && unlikely(!valid_free(bc, order, next) ||
				    link_of(bc, next)->prev != idx))
		goto corrupt;

	if (prev == NIL)
		bc->free_head[order] = next;
	else
		link_of(bc, prev)->next = next;
	if (next != NIL)
		link_of(bc, next)->prev = prev;
	if (bc->free_head[order] == NIL)
		bc->nonempty &= ~(1U << order);
	return false;
corrupt:
	/* The caller rebuilds the lists from the bitmaps. */
	return true;
}

/*
 * Take the head @idx off the list of @order: unlink_block() for the one
 * case alloc needs, with the same checks. Return true on a bad link.
 */
static __always_inline bool pop(struct buddy_core *bc, unsigned int order,
				u32 idx)
{
	struct link *l = link_of(bc, idx);
	u32 next = l->next;

	bc->nr_free[order]--;
	if (unlikely(l->prev != NIL || next == idx))
		return true;
	if (next == NIL) {
		if (unlikely(bc->nr_free[order]))
			return true;
		bc->free_head[order] = NIL;
		bc->nonempty &= ~(1U << order);
		return false;
	}
	if (unlikely(!bc->nr_free[order] || !valid_free(bc, order, next)))
		return true;
	l = link_of(bc, next);
	if (unlikely(l->prev != idx))
		return true;
	l->prev = NIL;
	bc->free_head[order] = next;
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
	for (order = 0; order <= BUDDY_CORE_NR_ORDERS; order++)
		bc->exist_end[order] = order < 32 ?
				       (u32)((nblocks >> order) << order) : 0;
	bc->max_order = (u8)ilog2_u64(nblocks);
	if (bc->max_order > BUDDY_CORE_MAX_ORDER)
		bc->max_order = BUDDY_CORE_MAX_ORDER;
	if (bc->max_order > bc->seg_bits)
		bc->max_order = bc->seg_bits;
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
	if (unlikely(!size))
		return -EINVAL;
	if (unlikely(size > bc->max_bytes))
		return -E2BIG;
	if (size <= (1ULL << bc->min_shift))
		return 0;
	return (int)(ilog2_u64(size - 1) + 1 - bc->min_shift);
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
	bool bad = false;
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
	bad = pop(bc, order, idx);
	while (order > k) {
		set_split(bc, order, idx);
		order--;
		bad |= push(bc, order, idx + (1U << order));
	}
	sbit(bc->head, idx);
	if (unlikely(bad))
		rebuild(bc);
	bc->nr_allocs++;
	*offp = (u64)idx << bc->min_shift;
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
	u64 idx;

	if (unlikely(off >= bc->size))
		return -ERANGE;
	if (unlikely(off & ((1ULL << bc->min_shift) - 1)))
		return -EINVAL;
	idx = off >> bc->min_shift;
	*root = root_order(bc, idx);
	order = leaf_below(bc, idx, *root);
	if (!tbit(bc->head, idx & ~((1ULL << order) - 1)))
		return -EALREADY;
	if (idx & ((1ULL << order) - 1))
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
	bool bad = false;
	u32 idx;

	if (unlikely(ret < 0)) {
		bc->nr_bad_frees++;
		return ret;
	}
	order = (unsigned int)ret;
	idx = (u32)(off >> bc->min_shift);
	cbit(bc->head, idx);
	while (order < root) {
		u32 buddy = idx ^ (1U << order);

		/* The parent is split, so an unsplit buddy is a block. */
		if (!free_node(bc, order, buddy))
			break;
		bad |= unlink_block(bc, order, buddy);
		order++;
		clear_split(bc, order, idx);
		idx &= ~(1U << (order - 1));
	}
	bad |= push(bc, order, idx);
	if (unlikely(bad))
		rebuild(bc);
	bc->nr_frees++;
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
