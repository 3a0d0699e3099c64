// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately naive buddy allocator, and a driver that runs the same
 * operations on it and on buddy_core and compares them after every step.
 *
 * The model keeps an order byte, a state byte and a known-zero byte per min
 * block and answers every question by walking the whole range: slow, but
 * obviously right. The driver also keeps the memory honest: it zeroes
 * what it tells the core is zero, and checks that a block the core calls
 * zeroed reads as zeros when it is handed out.
 * core_test.c feeds the driver from a seeded PRNG, fuzz_core.c from
 * libFuzzer's input; both share every check below.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* order[] value of a min block that does not start a block */
#define M_NONE		0xff
/* bytes at each end of an allocated block filled with a known pattern */
#define M_PATTERN	256

/*
 * The geometry rules, restated from the contract: 0 and the derived
 * values, or -EINVAL.
 */
static int model_geometry(u64 size, u64 min_block, unsigned int chunk_shift,
			  unsigned int *min_shift, u32 *nblocks,
			  unsigned int *max_order)
{
	unsigned int shift, mo;
	u64 n;

	if (min_block < BUDDY_CORE_MIN_BLOCK || (min_block & (min_block - 1)))
		return -EINVAL;
	shift = (unsigned int)__builtin_ctzll(min_block);
	if (!size || (size & (min_block - 1)))
		return -EINVAL;
	n = size >> shift;
	if (n > BUDDY_CORE_MAX_BLOCKS)
		return -EINVAL;
	mo = 63 - (unsigned int)__builtin_clzll(n);
	if (mo > BUDDY_CORE_MAX_ORDER)
		mo = BUDDY_CORE_MAX_ORDER;
	if (chunk_shift != BUDDY_CORE_ONE_CHUNK) {
		if (chunk_shift < shift || chunk_shift > 63)
			return -EINVAL;
		if (chunk_shift - shift < mo)
			mo = chunk_shift - shift;
	}
	*min_shift = shift;
	*nblocks = (u32)n;
	*max_order = mo;
	return 0;
}

/* Order of the largest block that can start at min block @i. */
static unsigned int model_root_order(const struct model *m, u64 i)
{
	unsigned int o = m->max_order;

	while ((i & ((1ULL << o) - 1)) || i + (1ULL << o) > m->nblocks)
		o--;
	return o;
}

static void model_reset(struct model *m)
{
	u64 i;

	memset(m->order, M_NONE, m->nblocks);
	memset(m->used, 0, m->nblocks);
	memset(m->zero, 0, m->nblocks);
	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i])
		m->order[i] = (u8)model_root_order(m, i);
}

static int model_init(struct model *m, u64 size, u64 min_block,
		      unsigned int chunk_shift)
{
	int ret;

	memset(m, 0, sizeof(*m));
	ret = model_geometry(size, min_block, chunk_shift, &m->min_shift,
			     &m->nblocks, &m->max_order);
	if (ret)
		return ret;
	m->size = size;
	m->min_block = min_block;
	m->chunk_bits = chunk_shift == BUDDY_CORE_ONE_CHUNK ? 32 :
		      chunk_shift - m->min_shift;
	m->nchunks = ((m->nblocks - 1ULL) >> m->chunk_bits) + 1;
	m->order = malloc(m->nblocks);
	m->used = malloc(m->nblocks);
	m->zero = malloc(m->nblocks);
	m->absent = calloc(m->nchunks, 1);
	if (!m->order || !m->used || !m->zero || !m->absent)
		abort();
	model_reset(m);
	return 0;
}

static void model_destroy(struct model *m)
{
	free(m->order);
	free(m->used);
	free(m->zero);
	free(m->absent);
	m->order = NULL;
	m->used = NULL;
	m->zero = NULL;
	m->absent = NULL;
}

/* Does min block @i lie in an absent chunk? */
static bool model_absent(const struct model *m, u64 i)
{
	return m->absent[i >> m->chunk_bits];
}

/* Is the block starting at @i free (and there to be allocated)? */
static bool model_free_at(const struct model *m, u64 i)
{
	return !m->used[i] && !model_absent(m, i);
}

/* Min blocks [*s, *e) of chunk @chunk. */
static void model_chunk_span(const struct model *m, u64 chunk, u64 *s, u64 *e)
{
	*s = chunk << m->chunk_bits;
	*e = m->nblocks - *s > (1ULL << m->chunk_bits) - 1 ?
	     *s + (1ULL << m->chunk_bits) : m->nblocks;
}

/* Bytes of the present chunks. */
static u64 model_present(const struct model *m)
{
	u64 chunk, s, e, bytes = 0;

	for (chunk = 0; chunk < m->nchunks; chunk++) {
		model_chunk_span(m, chunk, &s, &e);
		if (!m->absent[chunk])
			bytes += (e - s) << m->min_shift;
	}
	return bytes;
}

/* Is the model back to the forest of maximal blocks it started as? */
bool model_is_pristine(const struct model *m)
{
	u64 i;

	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i])
		if (m->used[i] || m->order[i] != model_root_order(m, i))
			return false;
	return true;
}

static int model_order_for(const struct model *m, u64 size)
{
	unsigned int o = 0;

	if (!size)
		return -EINVAL;
	if (size > m->min_block << m->max_order)
		return -E2BIG;
	while ((m->min_block << o) < size)
		o++;
	return (int)o;
}

/* Start (in min blocks) of the block holding min block @i. */
static u64 model_find(const struct model *m, u64 i)
{
	u64 p = 0;

	while (p + (1ULL << m->order[p]) <= i)
		p += 1ULL << m->order[p];
	return p;
}

/* What a free of @off must return; *startp is the block on success. */
int model_classify(const struct model *m, u64 off, u64 *startp)
{
	u64 i, p;

	if (off >= m->size)
		return -ERANGE;
	if (off & (m->min_block - 1))
		return -EINVAL;
	i = off >> m->min_shift;
	if (model_absent(m, i))
		return -ERANGE;
	p = model_find(m, i);
	if (!m->used[p])
		return -EALREADY;
	if (p != i)
		return -ENOENT;
	*startp = p;
	return 0;
}

/* Smallest order >= @order that has a free block, or -1. */
static int model_smallest_free(const struct model *m, unsigned int order)
{
	int best = -1;
	u64 i;

	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i])
		if (model_free_at(m, i) && m->order[i] >= order &&
		    (best < 0 || m->order[i] < best))
			best = m->order[i];
	return best;
}

/*
 * Split the free block at @p down to @order, keeping min block @i. Both
 * halves of a split inherit the known-zero flag.
 */
static void model_carve(struct model *m, u64 p, u64 i, unsigned int order)
{
	while (m->order[p] > order) {
		unsigned int half = m->order[p] - 1U;

		m->order[p] = (u8)half;
		m->order[p + (1ULL << half)] = (u8)half;
		m->zero[p + (1ULL << half)] = m->zero[p];
		if (i >= p + (1ULL << half))
			p += 1ULL << half;
	}
	m->used[p] = 1;
}

/*
 * Free the allocated block at @p, known zero if @zero, and merge it as far
 * as it goes; a merged block is known zero only if both halves were.
 */
static void model_release(struct model *m, u64 p, bool zero)
{
	unsigned int o = m->order[p];

	m->used[p] = 0;
	m->zero[p] = zero;
	while (o < m->max_order) {
		u64 buddy = p ^ (1ULL << o);
		u64 parent = p & ~(1ULL << o);

		if (parent + (2ULL << o) > m->nblocks)
			break;
		if (m->order[buddy] != o || m->used[buddy])
			break;
		m->order[buddy] = M_NONE;
		m->order[p] = M_NONE;
		zero = m->zero[p] && m->zero[buddy];
		m->zero[p] = 0;
		m->zero[buddy] = 0;
		p = parent;
		o++;
		m->order[p] = (u8)o;
		m->zero[p] = zero;
	}
}

/*
 * Where buddy_core_alloc_range() must put a block, found the slow way:
 * try every aligned position in the window, lowest (or highest) first,
 * and ask whether a free block of at least the order holds it. 0 with the
 * position *@pp and the free block holding it *@qp (both in min blocks),
 * or the error.
 */
int model_range(const struct model *m, u64 size, u64 align,
		u64 start, u64 end, unsigned int flags, u64 *pp,
		u64 *qp)
{
	unsigned __int128 a, first, pos, lastpos;
	int k, *holder;
	u64 i, bs;
	int ret = -ENOMEM;

	if (!size || (align & (align - 1)) || (flags & ~BUDDY_CORE_TOPDOWN))
		return -EINVAL;
	if (!end || end > m->size)
		end = m->size;
	if (start >= end)
		return -EINVAL;
	k = model_order_for(m, size);
	if (k < 0)
		return k;
	bs = m->min_block << k;
	a = align > bs ? align : bs;
	if (end < bs)
		return -ENOMEM;
	first = ((unsigned __int128)start + a - 1) / a * a;
	lastpos = (end - bs) / a * a;
	if (first > lastpos)
		return -ENOMEM;
	/* the start of the free block over each min block, or none */
	holder = malloc(m->nblocks * sizeof(*holder));
	if (!holder)
		abort();
	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i]) {
		u64 j;

		for (j = i; j < i + (1ULL << m->order[i]); j++)
			holder[j] = model_free_at(m, i) && m->order[i] >= k ?
				    (int)i : -1;
	}
	for (pos = flags ? lastpos : first; pos >= first && pos <= lastpos;
	     pos = flags ? pos - a : pos + a) {
		i = (u64)(pos >> m->min_shift);
		if (holder[i] >= 0) {
			*pp = i;
			*qp = (u64)holder[i];
			ret = 0;
			break;
		}
		if (flags && pos < a)
			break;
	}
	free(holder);
	return ret;
}

/*
 * Block @p of order @k was just allocated whole: keep its first @n min
 * blocks as parts (orders the set bits of @n, highest first) and give
 * the rest back as the largest aligned free blocks that fit.
 */
static void model_trim(struct model *m, u64 p, unsigned int k, u64 n)
{
	u64 cur = p, end = p + (1ULL << k);
	u8 zero = m->zero[p];
	int o;

	/* parts and rest alike keep the block's zero flag */
	for (o = (int)k; o >= 0; o--) {
		if (!(n & (1ULL << o)))
			continue;
		m->order[cur] = (u8)o;
		m->used[cur] = 1;
		m->zero[cur] = zero;
		cur += 1ULL << o;
	}
	while (cur < end) {
		o = 0;
		while (!(cur & ((2ULL << o) - 1)) && cur + (2ULL << o) <= end)
			o++;
		m->order[cur] = (u8)o;
		m->used[cur] = 0;
		m->zero[cur] = zero;
		cur += 1ULL << o;
	}
}

/* Bytes of the free blocks known zero. */
static u64 model_zero_bytes(const struct model *m)
{
	u64 i, bytes = 0;

	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i])
		if (model_free_at(m, i) && m->zero[i])
			bytes += m->min_block << m->order[i];
	return bytes;
}

/* What buddy_core_free_exact(@off, @size) must return. */
static int model_exact_classify(const struct model *m, u64 off, u64 size)
{
	u64 n, cur = off, p = 0;
	int o, ret;

	if (!size || size > m->min_block << m->max_order)
		return -EINVAL;
	n = (size - 1) / m->min_block + 1;
	for (o = 63; o >= 0; o--) {
		if (!(n & (1ULL << o)))
			continue;
		ret = model_classify(m, cur, &p);
		if (ret)
			return ret;
		if (m->order[p] != o)
			return -EINVAL;
		cur += m->min_block << o;
	}
	return 0;
}

/* Can chunk @chunk go? 0, or what buddy_core_remove_chunk() says. */
static int model_chunk_removable(const struct model *m, u64 chunk)
{
	u64 i, s, e;

	if (chunk >= m->nchunks)
		return -EINVAL;
	if (m->absent[chunk])
		return -ENOENT;
	model_chunk_span(m, chunk, &s, &e);
	for (i = s; i < e; i += 1ULL << m->order[i])
		if (m->used[i] || m->order[i] != model_root_order(m, i))
			return -EBUSY;
	return 0;
}

/* ---- the driver ---- */

static u64 msrc_next(struct msrc *r)
{
	u64 z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, @bound), @bound > 0. */
static u64 msrc_below(struct msrc *r, u64 bound)
{
	u64 v = 0;
	u64 b;

	if (bound <= 1)
		return 0;
	if (!r->data)
		return msrc_next(r) % bound;
	for (b = bound - 1; b; b >>= 8)
		v = (v << 8) | (r->pos < r->len ? r->data[r->pos++] : 0);
	return v % bound;
}

#define SIM_FAIL(s, fmt, ...) \
	(snprintf((s)->err, sizeof((s)->err), fmt, ##__VA_ARGS__), false)

unsigned char *sim_addr(const struct sim *s, u64 off)
{
	if (s->chunk_shift == BUDDY_CORE_ONE_CHUNK)
		return s->chunks[0] + off;
	return s->chunks[off >> s->chunk_shift] +
	       (off & ((1ULL << s->chunk_shift) - 1));
}

void sim_destroy(struct sim *s)
{
	u64 i;

	if (s->chunks)
		for (i = 0; i < s->nchunks; i++)
			free(s->chunks[i]);
	free(s->chunks);
	free(s->meta);
	free(s->live);
	free(s->ex_off);
	free(s->ex_size);
	model_destroy(&s->m);
	s->chunks = NULL;
	s->meta = NULL;
	s->live = NULL;
	s->ex_off = NULL;
	s->ex_size = NULL;
}

/*
 * Set up both allocators. Returns 1 when ready, 0 when the geometry is
 * invalid and the core agreed, -1 (with s->err) on a mismatch.
 */
int sim_init(struct sim *s, u64 size, u64 min_block,
	     unsigned int chunk_shift, struct msrc *src)
{
	unsigned int shift, mo, trace, zero_init, add_zeroed;
	u64 i, chunksz, absent_init;
	u32 n;
	int ret;

	trace = s->trace;
	absent_init = s->absent_init;
	zero_init = s->zero_init;
	add_zeroed = s->add_zeroed;
	memset(s, 0, sizeof(*s));
	s->trace = trace;
	s->absent_init = absent_init;
	s->zero_init = zero_init;
	s->add_zeroed = add_zeroed;
	s->src = src;
	s->chunk_shift = chunk_shift;
	s->meta_size = buddy_core_meta_size(size, min_block);
	if (model_geometry(size, min_block, BUDDY_CORE_ONE_CHUNK, &shift,
			   &n, &mo) != (s->meta_size ? 0 : -EINVAL)) {
		snprintf(s->err, sizeof(s->err), "meta_size(%#llx, %#llx): %zu",
			 ULL(size),
			 ULL(min_block), s->meta_size);
		return -1;
	}
	if (model_init(&s->m, size, min_block, chunk_shift)) {
		/* generous buffers: only the geometry may be refused */
		s->meta = calloc(1, s->meta_size + 64);
		s->chunks = calloc(1, sizeof(*s->chunks));
		s->nchunks = 1;
		if (!s->meta || !s->chunks)
			abort();
		ret = buddy_core_init(&s->bc, size, min_block, chunk_shift,
				      s->chunks, s->meta, s->meta_size + 64);
		if (ret == -EINVAL)
			return 0;
		snprintf(s->err, sizeof(s->err), "init(%#llx, %#llx, %u) = %d",
			 ULL(size),
			 ULL(min_block), chunk_shift, ret);
		return -1;
	}
	chunksz = chunk_shift ? 1ULL << chunk_shift : size;
	s->nchunks = (size - 1) / chunksz + 1;
	s->chunks = calloc(s->nchunks, sizeof(*s->chunks));
	s->meta = malloc(s->meta_size);
	s->live = malloc(s->m.nblocks * sizeof(*s->live));
	s->ex_off = malloc(s->m.nblocks * sizeof(*s->ex_off));
	s->ex_size = malloc(s->m.nblocks * sizeof(*s->ex_size));
	if (!s->chunks || !s->meta || !s->live || !s->ex_off || !s->ex_size)
		abort();
	/* exact sizes, so ASan sees any access past the range */
	for (i = 0; i < s->nchunks; i++) {
		u64 len = size - i * chunksz < chunksz ? size - i * chunksz : chunksz;

		if (i < 64 && (s->absent_init >> i) & 1) {
			s->m.absent[i] = 1;
			continue;
		}
		s->chunks[i] = s->zero_init ? calloc(1, len) : malloc(len);
		if (!s->chunks[i])
			abort();
	}
	ret = buddy_core_init(&s->bc, size, min_block, chunk_shift, s->chunks,
			      s->meta, s->meta_size);
	if (ret) {
		snprintf(s->err, sizeof(s->err), "init(%#llx, %#llx, %u) = %d",
			 ULL(size),
			 ULL(min_block), chunk_shift, ret);
		return -1;
	}
	if (buddy_core_zero_bytes(&s->bc)) {
		snprintf(s->err, sizeof(s->err), "init left %llu bytes known zero",
			 ULL(buddy_core_zero_bytes(&s->bc)));
		return -1;
	}
	if (s->zero_init) {
		/* the memory was zero before init wrote its links */
		buddy_core_set_zeroed(&s->bc, 0, size);
		for (i = 0; i < s->m.nblocks; i += 1ULL << s->m.order[i])
			s->m.zero[i] = model_free_at(&s->m, i);
	}
	return 1;
}

/*
 * Are the @bytes at @off, inside one block (so in one chunk), all zero?
 * memcmp() against zeros, as a byte loop is slow under ASan.
 */
bool sim_all_zero(const struct sim *s, u64 off, u64 bytes)
{
	static const unsigned char zeros[4096];
	const unsigned char *p = sim_addr(s, off);
	u64 n;

	for (; bytes; bytes -= n, p += n) {
		n = bytes < sizeof(zeros) ? bytes : sizeof(zeros);
		if (memcmp(p, zeros, n))
			return false;
	}
	return true;
}

/*
 * A block of @bytes at @off was just allocated: buddy_core_zeroed() must
 * say what the model says, and a zeroed block must read as zeros.
 */
static bool sim_check_zeroed(struct sim *s, u64 off, u64 bytes)
{
	bool want = s->m.zero[off >> s->m.min_shift];

	if (buddy_core_zeroed(&s->bc, off) != want)
		return SIM_FAIL(s, "zeroed(%#llx) = %d, model %d", ULL(off),
				!want, want);
	if (!want)
		return true;
	s->nr_zero_allocs++;
	if (!sim_all_zero(s, off, bytes))
		return SIM_FAIL(s, "block %#llx (%llu bytes) is said to be zero but is not",
				ULL(off), ULL(bytes));
	return true;
}

/* Note a stray write of @buf over the links @old of free block @off. */
void sim_note_smash(struct sim *s, u64 off, unsigned int order,
		    const unsigned char *old, const unsigned char *buf)
{
	unsigned int h;

	s->dirty = 1;
	if (s->nr_pending++)
		return;
	s->smash_off = off;
	s->smash_order = order;
	s->smash_which = 0;
	for (h = 0; h < 2; h++) {
		memcpy(&s->smash_link[h], buf + 4 * h, 4);
		if (memcmp(old + 4 * h, buf + 4 * h, 4))
			s->smash_which |= 1U << h;
	}
}

/*
 * buddy_core_check() into s->chk, and the same check again in steps of a
 * few units (as buddy.ko's debugfs check takes it), which must come to
 * the same verdict and message: a mismatch aborts.
 */
static int sim_core_check(struct sim *s, const struct buddy_core *bc)
{
	struct buddy_core_checker ck = { 0 };
	u64 budget = 1 + s->nr_ops % 7, steps = 0;
	char msg[sizeof(s->chk)];
	int ret, step;

	ret = buddy_core_check(bc, s->chk, sizeof(s->chk));
	do {
		step = buddy_core_check_step(bc, &ck, budget, msg, sizeof(msg));
		steps++;
	} while (step == -EAGAIN);
	if (step != ret || strcmp(msg, s->chk)) {
		fprintf(stderr, "check = %d \"%s\", in %llu steps of %llu = %d \"%s\"\n",
			ret, s->chk, ULL(steps), ULL(budget), step, msg);
		abort();
	}
	return ret;
}

/*
 * The checker sees damage that no repair has counted: with one smash
 * pending, its block must still be a free block of the same order and a
 * damaged link must still hold what the stray write put there. Had the
 * core followed or rewritten it, it had to see the damage and count it.
 */
static bool sim_damage_still_there(struct sim *s)
{
	const struct model *m = &s->m;
	u64 i = s->smash_off >> m->min_shift;
	unsigned char *p = sim_addr(s, s->smash_off);
	unsigned int h;

	if (s->nr_pending != 1)
		return true;
	if (model_absent(m, i) || m->order[i] != s->smash_order ||
	    m->used[i])
		return SIM_FAIL(s, "smashed block %#llx order %u unlinked, corruptions %llu",
				ULL(s->smash_off), s->smash_order,
				ULL(s->bc.nr_corruptions));
	for (h = 0; h < 2; h++)
		if (((s->smash_which >> h) & 1) &&
		    !memcmp(p + 4 * h, &s->smash_link[h], 4))
			return true;
	return SIM_FAIL(s, "smashed links of %#llx rewritten, nr_corruptions still %llu",
			ULL(s->smash_off), ULL(s->bc.nr_corruptions));
}

static u8 sim_pattern(u64 off, u64 i)
{
	return (u8)((off >> 4) * 131 + i * 7 + 1);
}

/* Fill (or verify) both ends of an allocated block. */
static bool sim_fill(struct sim *s, u64 off, unsigned int order, bool verify)
{
	u64 bs = s->m.min_block << order;
	u64 n = bs < 2 * M_PATTERN ? bs : 2 * M_PATTERN;
	u64 i, pos;

	for (i = 0; i < n; i++) {
		unsigned char *p;

		pos = i < n / 2 ? i : bs - n + i;
		p = sim_addr(s, off + pos);
		if (!verify)
			*p = sim_pattern(off, pos);
		else if (*p != sim_pattern(off, pos))
			return SIM_FAIL(s, "allocated block %#llx (order %u) overwritten at %llu",
					ULL(off), order,
					ULL(pos));
	}
	return true;
}

/* Compare everything observable with the model. */
bool sim_verify(struct sim *s)
{
	struct buddy_core *bc = &s->bc;
	struct model *m = &s->m;
	struct buddy_core_block blk;
	u64 nr_free[BUDDY_CORE_NR_ORDERS + 1] = { 0 };
	u64 pos = 0, i = 0, n = 0, free_bytes = 0;
	unsigned int o;
	int ret, largest = -1;

	while (buddy_core_next_block(bc, &pos, &blk)) {
		while (i < m->nblocks && model_absent(m, i))
			i = ((i >> m->chunk_bits) + 1) << m->chunk_bits;
		if (i >= m->nblocks || ++n > m->nblocks)
			return SIM_FAIL(s, "iterator runs past the end (block %#llx)",
					ULL(blk.off));
		if (blk.off != i << m->min_shift || blk.order != m->order[i] ||
		    blk.free != !m->used[i])
			return SIM_FAIL(s, "iterator: %#llx order %u %s, model: %#llx order %u %s",
					ULL(blk.off), blk.order,
					blk.free ? "free" : "used",
					ULL(i << m->min_shift),
					m->order[i],
					m->used[i] ? "used" : "free");
		if (!m->used[i]) {
			nr_free[m->order[i]]++;
			free_bytes += m->min_block << m->order[i];
		} else if (buddy_core_zeroed(bc, blk.off) != m->zero[i]) {
			return SIM_FAIL(s, "zeroed(%#llx) = %d, model %d",
					ULL(blk.off), !m->zero[i], m->zero[i]);
		}
		/* white box: the zero bit of every block, free or allocated */
		if (((bc->zmap[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1) !=
		    m->zero[i])
			return SIM_FAIL(s, "zero bit of %s block %#llx order %u is %d, model %d",
					m->used[i] ? "allocated" : "free",
					ULL(blk.off), m->order[i], !m->zero[i],
					m->zero[i]);
		i += 1ULL << m->order[i];
	}
	while (i < m->nblocks && model_absent(m, i))
		i = ((i >> m->chunk_bits) + 1) << m->chunk_bits;
	if (i < m->nblocks)
		return SIM_FAIL(s, "iterator stopped at %#llx of %#llx",
				ULL(i << m->min_shift),
				ULL(m->size));
	for (o = 0; o <= BUDDY_CORE_NR_ORDERS; o++) {
		if (buddy_core_nr_free(bc, o) != nr_free[o])
			return SIM_FAIL(s, "nr_free[%u] = %llu, model %llu", o,
					ULL(buddy_core_nr_free(bc, o)),
					ULL(nr_free[o]));
		if (nr_free[o])
			largest = (int)o;
	}
	if (buddy_core_largest_free_order(bc) != largest)
		return SIM_FAIL(s, "largest free order %d, model %d",
				buddy_core_largest_free_order(bc), largest);
	if (buddy_core_free_bytes(bc) != free_bytes ||
	    buddy_core_used_bytes(bc) != model_present(m) - free_bytes)
		return SIM_FAIL(s, "free bytes %llu, model %llu",
				ULL(buddy_core_free_bytes(bc)),
				ULL(free_bytes));
	if (buddy_core_zero_bytes(bc) != model_zero_bytes(m))
		return SIM_FAIL(s, "zero bytes %llu, model %llu",
				ULL(buddy_core_zero_bytes(bc)),
				ULL(model_zero_bytes(m)));
	for (i = 0; i < m->nchunks + 2; i++)
		if (buddy_core_chunk_present(bc, i) !=
		    (i < m->nchunks && !m->absent[i]))
			return SIM_FAIL(s, "chunk %llu present %d, model %d",
					ULL(i),
					buddy_core_chunk_present(bc, i),
					i < m->nchunks && !m->absent[i]);
	if (buddy_core_size(bc) != model_present(m) ||
	    buddy_core_range(bc) != m->size ||
	    buddy_core_min_block(bc) != m->min_block ||
	    buddy_core_max_order(bc) != m->max_order)
		return SIM_FAIL(s, "geometry: size %llu min %llu max_order %u, model %llu %llu %u",
				ULL(buddy_core_size(bc)),
				ULL(buddy_core_min_block(bc)),
				buddy_core_max_order(bc),
				ULL(model_present(m)),
				ULL(m->min_block), m->max_order);
	if (bc->nr_allocs != m->nr_allocs || bc->nr_frees != m->nr_frees ||
	    bc->nr_failed != m->nr_failed ||
	    bc->nr_bad_frees != m->nr_bad_frees)
		return SIM_FAIL(s, "a/f/x/b %llu/%llu/%llu/%llu, model %llu/%llu/%llu/%llu",
				ULL(bc->nr_allocs),
				ULL(bc->nr_frees),
				ULL(bc->nr_failed),
				ULL(bc->nr_bad_frees),
				ULL(m->nr_allocs),
				ULL(m->nr_frees),
				ULL(m->nr_failed),
				ULL(m->nr_bad_frees));
	if (bc->nr_corruptions != s->corruptions) {
		if (bc->nr_corruptions < s->corruptions || !s->dirty)
			return SIM_FAIL(s, "nr_corruptions %llu -> %llu, no stray write pending",
					ULL(s->corruptions),
					ULL(bc->nr_corruptions));
		s->corruptions = bc->nr_corruptions;
		s->nr_repairs++;
		/* a repair rebuilds every list, so the checker must pass */
		s->dirty = 0;
		s->nr_pending = 0;
	}
	s->chk[0] = '\0';
	ret = sim_core_check(s, bc);
	if (ret == -EUCLEAN && s->dirty)
		return sim_damage_still_there(s);
	if (ret)
		return SIM_FAIL(s, "buddy_core_check() = %d: %s", ret, s->chk);
	s->dirty = 0;
	s->nr_pending = 0;
	return true;
}

bool sim_alloc(struct sim *s, u64 size)
{
	struct model *m = &s->m;
	int exp = model_order_for(m, size);
	u64 off = 0, i, p, bs;
	int ret, k;

	if (buddy_core_order_for(&s->bc, size) != exp)
		return SIM_FAIL(s, "order_for(%#llx) = %d, model %d",
				ULL(size),
				buddy_core_order_for(&s->bc, size), exp);
	k = exp < 0 ? -1 : model_smallest_free(m, (unsigned int)exp);
	ret = buddy_core_alloc(&s->bc, size, &off);
	if (s->trace)
		fprintf(stderr, "alloc(%#llx) = %d, off %#llx\n",
			ULL(size), ret, ULL(off));
	if (exp < 0 || k < 0) {
		int want = exp < 0 ? exp : -ENOMEM;

		if (ret != want)
			return SIM_FAIL(s, "alloc(%#llx) = %d (off %#llx), want %d",
					ULL(size), ret,
					ULL(off), want);
		m->nr_failed++;
		return true;
	}
	if (ret)
		return SIM_FAIL(s, "alloc(%#llx) = %d, model has a free order %d block",
				ULL(size), ret, k);
	bs = m->min_block << exp;
	if (off >= m->size || (off & (bs - 1)))
		return SIM_FAIL(s, "alloc(%#llx) = %#llx: not an order %d block",
				ULL(size),
				ULL(off), exp);
	i = off >> m->min_shift;
	p = model_find(m, i);
	if (m->used[p] || m->order[p] != k)
		return SIM_FAIL(s, "alloc(%#llx) = %#llx: in %s order %u block %#llx, best fit %d",
				ULL(size),
				ULL(off),
				m->used[p] ? "allocated" : "free", m->order[p],
				ULL(p << m->min_shift), k);
	if (buddy_core_addr(&s->bc, off) != sim_addr(s, off))
		return SIM_FAIL(s, "addr(%#llx) = %p, want %p",
				ULL(off),
				buddy_core_addr(&s->bc, off), sim_addr(s, off));
	if (s->chunk_shift &&
	    (off >> s->chunk_shift) != ((off + bs - 1) >> s->chunk_shift))
		return SIM_FAIL(s, "block %#llx crosses a chunk",
				ULL(off));
	model_carve(m, p, i, (unsigned int)exp);
	m->nr_allocs++;
	s->live[s->nr_live++] = off;
	if (!sim_check_zeroed(s, off, bs))
		return false;
	return sim_fill(s, off, (unsigned int)exp, false);
}

/*
 * Free @off, which may be anything: the model says what must happen. With
 * @zero, zero the block first and free it with buddy_core_free_zeroed().
 */
bool sim_free_z(struct sim *s, u64 off, bool zero)
{
	struct model *m = &s->m;
	struct buddy_core snap;
	u64 p = 0, j;
	int exp, ret;
	bool same;
	u8 *meta;

	exp = model_classify(m, off, &p);
	if (s->trace)
		fprintf(stderr, "free(%#llx), want %d\n",
			ULL(off), exp);
	if (!exp) {
		if (!sim_fill(s, off, m->order[p], true))
			return false;
		if (zero) {
			memset(sim_addr(s, off), 0, m->min_block << m->order[p]);
			ret = buddy_core_free_zeroed(&s->bc, off);
			s->nr_zero_frees++;
		} else {
			ret = buddy_core_free(&s->bc, off);
		}
		if (ret)
			return SIM_FAIL(s, "free%s(%#llx) = %d, want 0",
					zero ? "_zeroed" : "", ULL(off), ret);
		model_release(m, p, zero);
		m->nr_frees++;
		for (j = 0; j < s->nr_live; j++)
			if (s->live[j] == off)
				s->live[j] = s->live[--s->nr_live];
		return true;
	}
	memcpy(&snap, &s->bc, sizeof(snap));
	meta = malloc(s->meta_size);
	if (!meta)
		abort();
	memcpy(meta, s->meta, s->meta_size);
	ret = zero ? buddy_core_free_zeroed(&s->bc, off) :
		     buddy_core_free(&s->bc, off);
	snap.nr_bad_frees++;
	m->nr_bad_frees++;
	same = !memcmp(&snap, &s->bc, sizeof(snap)) &&
	       !memcmp(meta, s->meta, s->meta_size);
	free(meta);
	if (ret != exp)
		return SIM_FAIL(s, "bad free(%#llx) = %d, want %d",
				ULL(off), ret, exp);
	if (!same)
		return SIM_FAIL(s, "bad free(%#llx) = %d changed more than nr_bad_frees",
				ULL(off), ret);
	return true;
}

bool sim_free(struct sim *s, u64 off)
{
	return sim_free_z(s, off, false);
}

/*
 * block_order() and zeroed() must agree with the model and change
 * nothing at all; zeroed() is false for anything but an allocated block.
 */
bool sim_probe(struct sim *s, u64 off)
{
	struct model *m = &s->m;
	struct buddy_core snap;
	u64 p = 0;
	int exp, ret;
	bool zero;

	exp = model_classify(m, off, &p);
	zero = !exp && m->zero[p];
	if (!exp)
		exp = m->order[p];
	memcpy(&snap, &s->bc, sizeof(snap));
	ret = buddy_core_block_order(&s->bc, off);
	if (ret != exp)
		return SIM_FAIL(s, "block_order(%#llx) = %d, want %d",
				ULL(off), ret, exp);
	if (buddy_core_zeroed(&s->bc, off) != zero)
		return SIM_FAIL(s, "zeroed(%#llx) = %d, want %d", ULL(off),
				!zero, zero);
	if (memcmp(&snap, &s->bc, sizeof(snap)))
		return SIM_FAIL(s, "block_order(%#llx) changed the core",
				ULL(off));
	return true;
}

/* A copy of the core and its metadata, to prove a call changed nothing. */
struct sim_snap {
	struct buddy_core bc;
	u8 *meta;
};

static void sim_snap_take(struct sim *s, struct sim_snap *sn)
{
	memcpy(&sn->bc, &s->bc, sizeof(sn->bc));
	sn->meta = malloc(s->meta_size);
	if (!sn->meta)
		abort();
	memcpy(sn->meta, s->meta, s->meta_size);
}

/*
 * Did nothing change but the counters the caller already bumped in the
 * snapshot? nr_scanned may grow and the range search's hint may be new:
 * searching is not changing.
 */
static bool sim_snap_same(struct sim *s, struct sim_snap *sn)
{
	bool same;

	sn->bc.nr_scanned = s->bc.nr_scanned;
	sn->bc.hint_lo = s->bc.hint_lo;
	sn->bc.hint_hi = s->bc.hint_hi;
	sn->bc.hint_gen = s->bc.hint_gen;
	sn->bc.hint_k = s->bc.hint_k;
	sn->bc.hint_ao = s->bc.hint_ao;
	same = !memcmp(&sn->bc, &s->bc, sizeof(sn->bc)) &&
	       !memcmp(sn->meta, s->meta, s->meta_size);
	free(sn->meta);
	return same;
}

static void sim_live_drop(struct sim *s, u64 off)
{
	u64 j;

	for (j = 0; j < s->nr_live; j++)
		if (s->live[j] == off) {
			s->live[j] = s->live[--s->nr_live];
			return;
		}
}

bool sim_alloc_range(struct sim *s, u64 size, u64 align, u64 start,
		     u64 end, unsigned int flags)
{
	struct model *m = &s->m;
	u64 p = 0, q = 0, off = 0x1234;
	struct sim_snap sn;
	int exp, ret, k;

	exp = model_range(m, size, align, start, end, flags, &p, &q);
	sim_snap_take(s, &sn);
	ret = buddy_core_alloc_range(&s->bc, size, align, start, end, flags,
				     &off);
	if (s->trace)
		fprintf(stderr, "range(%#llx,%#llx,%#llx,%#llx,%u)=%d at %#llx, want %d at %#llx\n",
			ULL(size), ULL(align), ULL(start), ULL(end), flags, ret,
			ULL(off), exp, ULL(p << m->min_shift));
	if (exp) {
		sn.bc.nr_failed++;
		m->nr_failed++;
		if (!sim_snap_same(s, &sn))
			return SIM_FAIL(s, "failed alloc_range(%#llx) changed more than nr_failed",
					ULL(size));
		if (ret != exp)
			return SIM_FAIL(s, "range(%#llx, %#llx, %#llx, %#llx, %u) = %d, want %d",
					ULL(size), ULL(align), ULL(start),
					ULL(end), flags, ret, exp);
		return true;
	}
	free(sn.meta);
	if (ret || off != p << m->min_shift)
		return SIM_FAIL(s, "range(%#llx, %#llx, %#llx, %#llx, %u) = %d at %#llx, not %#llx",
				ULL(size), ULL(align), ULL(start), ULL(end),
				flags, ret, ULL(off), ULL(p << m->min_shift));
	k = model_order_for(m, size);
	model_carve(m, q, p, (unsigned int)k);
	m->nr_allocs++;
	s->nr_range++;
	s->live[s->nr_live++] = off;
	if (!sim_check_zeroed(s, off, m->min_block << k))
		return false;
	return sim_fill(s, off, (unsigned int)k, false);
}

bool sim_alloc_exact(struct sim *s, u64 size)
{
	struct model *m = &s->m;
	int exp = model_order_for(m, size);
	u64 off = 0x1234, i, p, n, cur;
	int ret, k, o;

	k = exp < 0 ? -1 : model_smallest_free(m, (unsigned int)exp);
	ret = buddy_core_alloc_exact(&s->bc, size, &off);
	if (s->trace)
		fprintf(stderr, "alloc_exact(%#llx) = %d, off %#llx\n",
			ULL(size), ret, ULL(off));
	if (exp < 0 || k < 0) {
		int want = exp < 0 ? exp : -ENOMEM;

		if (ret != want)
			return SIM_FAIL(s, "alloc_exact(%#llx) = %d, want %d",
					ULL(size), ret, want);
		m->nr_failed++;
		return true;
	}
	if (ret)
		return SIM_FAIL(s, "alloc_exact(%#llx) = %d, model has a free order %d block",
				ULL(size), ret, k);
	if (off >= m->size || (off & ((m->min_block << exp) - 1)))
		return SIM_FAIL(s, "alloc_exact(%#llx) = %#llx: not an order %d block",
				ULL(size), ULL(off), exp);
	i = off >> m->min_shift;
	p = model_find(m, i);
	if (!model_free_at(m, p) || m->order[p] != k)
		return SIM_FAIL(s, "alloc_exact(%#llx) = %#llx: in %s order %u block, best fit %d",
				ULL(size), ULL(off),
				m->used[p] ? "allocated" : "free", m->order[p],
				k);
	model_carve(m, p, i, (unsigned int)exp);
	n = (size - 1) / m->min_block + 1;
	model_trim(m, i, (unsigned int)exp, n);
	m->nr_allocs++;
	s->nr_exact_ok++;
	/* stale records (freed in parts) are only forgotten when full */
	if (s->nr_exact == m->nblocks)
		s->nr_exact--;
	s->ex_off[s->nr_exact] = off;
	s->ex_size[s->nr_exact++] = size;
	/* every part says the same; the first n min blocks are the parts */
	if (!sim_check_zeroed(s, off, n << m->min_shift))
		return false;
	for (o = exp, cur = off; o >= 0; o--) {
		if (!(n & (1ULL << o)))
			continue;
		s->live[s->nr_live++] = cur;
		if (!sim_fill(s, cur, (unsigned int)o, false))
			return false;
		cur += m->min_block << o;
	}
	return true;
}

/*
 * free_exact(@off, @size), which may be anything: the model decides. With
 * @zero, zero the parts and use buddy_core_free_exact_zeroed().
 */
bool sim_free_exact_z(struct sim *s, u64 off, u64 size, bool zero)
{
	struct model *m = &s->m;
	int exp = model_exact_classify(m, off, size), ret, o;
	struct sim_snap sn;
	u64 n, cur, j;

	if (s->trace)
		fprintf(stderr, "free_exact(%#llx, %#llx), want %d\n",
			ULL(off), ULL(size), exp);
	if (exp) {
		sim_snap_take(s, &sn);
		ret = zero ? buddy_core_free_exact_zeroed(&s->bc, off, size) :
			     buddy_core_free_exact(&s->bc, off, size);
		sn.bc.nr_bad_frees++;
		m->nr_bad_frees++;
		if (!sim_snap_same(s, &sn))
			return SIM_FAIL(s, "bad free_exact(%#llx, %#llx) changed more",
					ULL(off), ULL(size));
		if (ret != exp)
			return SIM_FAIL(s, "bad free_exact(%#llx, %#llx) = %d, want %d",
					ULL(off), ULL(size), ret, exp);
		return true;
	}
	n = (size - 1) / m->min_block + 1;
	for (o = 63, cur = off; o >= 0; o--) {
		if (!(n & (1ULL << o)))
			continue;
		if (!sim_fill(s, cur, (unsigned int)o, true))
			return false;
		if (zero)
			memset(sim_addr(s, cur), 0, m->min_block << o);
		cur += m->min_block << o;
	}
	if (zero) {
		ret = buddy_core_free_exact_zeroed(&s->bc, off, size);
		s->nr_zero_frees++;
	} else {
		ret = buddy_core_free_exact(&s->bc, off, size);
	}
	if (ret)
		return SIM_FAIL(s, "free_exact%s(%#llx, %#llx) = %d, want 0",
				zero ? "_zeroed" : "", ULL(off), ULL(size),
				ret);
	for (o = 63, cur = off; o >= 0; o--) {
		if (!(n & (1ULL << o)))
			continue;
		model_release(m, cur >> m->min_shift, zero);
		sim_live_drop(s, cur);
		cur += m->min_block << o;
	}
	m->nr_frees++;
	for (j = 0; j < s->nr_exact; j++)
		if (s->ex_off[j] == off && s->ex_size[j] == size) {
			s->nr_exact--;
			s->ex_off[j] = s->ex_off[s->nr_exact];
			s->ex_size[j] = s->ex_size[s->nr_exact];
			break;
		}
	return true;
}

bool sim_free_exact(struct sim *s, u64 off, u64 size)
{
	return sim_free_exact_z(s, off, size, false);
}

/*
 * The caller zeroed [@start, @end) but for the core's links: zero the
 * free blocks wholly inside past their links (allocated blocks keep their
 * contents) and call buddy_core_set_zeroed(); those blocks become known
 * zero, nothing else changes.
 */
bool sim_set_zeroed(struct sim *s, u64 start, u64 end)
{
	struct model *m = &s->m;
	u64 i, bs, e = end < m->size ? end : m->size;

	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i]) {
		bs = m->min_block << m->order[i];
		if (!model_free_at(m, i) || (i << m->min_shift) < start ||
		    (i << m->min_shift) + bs > e)
			continue;
		memset(sim_addr(s, (i << m->min_shift) + M_LINK_BYTES), 0,
		       bs - M_LINK_BYTES);
		m->zero[i] = 1;
	}
	buddy_core_set_zeroed(&s->bc, start, end);
	s->nr_set_zeroed++;
	if (s->trace)
		fprintf(stderr, "set_zeroed(%#llx, %#llx)\n", ULL(start),
			ULL(end));
	return true;
}

/*
 * Add chunk @chunk; with @give_mem clear, call with no address stored,
 * which must be refused.
 */
bool sim_add_chunk(struct sim *s, u64 chunk, bool give_mem)
{
	struct model *m = &s->m;
	struct sim_snap sn;
	bool zero = false;
	int exp, ret;
	u64 st, e;

	if (chunk >= m->nchunks)
		exp = -EINVAL;
	else if (!m->absent[chunk])
		exp = -EEXIST;
	else
		exp = give_mem ? 0 : -EINVAL;
	if (!exp) {
		/* now and then a freshly zeroed chunk */
		zero = s->add_zeroed ? s->add_zeroed == 2 :
				       msrc_below(s->src, 2);
		model_chunk_span(m, chunk, &st, &e);
		s->chunks[chunk] = zero ? calloc(1, (e - st) << m->min_shift) :
				      malloc((e - st) << m->min_shift);
		if (!s->chunks[chunk])
			abort();
	}
	sim_snap_take(s, &sn);
	ret = buddy_core_add_chunk(&s->bc, chunk);
	if (s->trace)
		fprintf(stderr, "add_chunk(%llu) = %d, want %d\n", ULL(chunk),
			ret, exp);
	if (ret != exp) {
		free(sn.meta);
		return SIM_FAIL(s, "add_chunk(%llu) = %d, want %d", ULL(chunk),
				ret, exp);
	}
	if (exp) {
		if (!sim_snap_same(s, &sn))
			return SIM_FAIL(s, "refused add_chunk(%llu) changed the core",
					ULL(chunk));
		return true;
	}
	free(sn.meta);
	m->absent[chunk] = 0;
	s->nr_chunk_moves++;
	if (zero)
		return sim_set_zeroed(s, st << m->min_shift, e << m->min_shift);
	return true;
}

bool sim_remove_chunk(struct sim *s, u64 chunk)
{
	struct model *m = &s->m;
	int exp = model_chunk_removable(m, chunk), ret;
	struct sim_snap sn;
	u64 st, e;

	sim_snap_take(s, &sn);
	ret = buddy_core_remove_chunk(&s->bc, chunk);
	if (s->trace)
		fprintf(stderr, "remove_chunk(%llu) = %d, want %d\n",
			ULL(chunk), ret, exp);
	if (ret != exp) {
		free(sn.meta);
		return SIM_FAIL(s, "remove_chunk(%llu) = %d, want %d",
				ULL(chunk), ret, exp);
	}
	if (exp) {
		if (!sim_snap_same(s, &sn))
			return SIM_FAIL(s, "refused remove_chunk(%llu) changed the core",
					ULL(chunk));
		return true;
	}
	free(sn.meta);
	m->absent[chunk] = 1;
	/* what was known zero there is gone with it */
	model_chunk_span(m, chunk, &st, &e);
	memset(m->zero + st, 0, e - st);
	/* ASan now catches any access the core makes to it */
	free(s->chunks[chunk]);
	s->chunks[chunk] = NULL;
	s->nr_chunk_moves++;
	return true;
}

/* Free every live block in chunk @chunk, then remove it. */
bool sim_evacuate(struct sim *s, u64 chunk)
{
	struct model *m = &s->m;
	u64 j = 0;

	while (j < s->nr_live) {
		if (s->live[j] >> m->min_shift >> m->chunk_bits == chunk) {
			if (!sim_free(s, s->live[j]))
				return false;
		} else {
			j++;
		}
	}
	return sim_remove_chunk(s, chunk);
}

/* The @k-th free block of the model, in address order (wrapping). */
static bool sim_free_block(const struct sim *s, u64 k, u64 *offp,
			   unsigned int *orderp)
{
	const struct model *m = &s->m;
	u64 i, nfree = 0;

	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i])
		nfree += model_free_at(m, i);
	if (!nfree)
		return false;
	k %= nfree;
	for (i = 0; i < m->nblocks; i += 1ULL << m->order[i]) {
		if (!model_free_at(m, i))
			continue;
		if (!k--) {
			*offp = i << m->min_shift;
			*orderp = m->order[i];
			return true;
		}
	}
	return false;
}

/*
 * A stray write into a free block: smash its links with zeros, ones,
 * noise, another free block's links, its own links swapped, or scribble
 * past the links (which the core must not care about).
 */
static bool sim_stray(struct sim *s)
{
	unsigned char old[M_LINK_BYTES], buf[M_LINK_BYTES], *p, *q;
	u64 off, off2;
	unsigned int order, order2, kind, i;
	bool was_dirty = s->dirty;
	int ret;

	if (!sim_free_block(s, msrc_below(s->src, s->m.nblocks), &off, &order))
		return true;
	p = sim_addr(s, off);
	memcpy(old, p, sizeof(old));
	kind = (unsigned int)msrc_below(s->src, 9);
	switch (kind) {
	case 0:
		memset(buf, 0, sizeof(buf));
		break;
	case 1:
		memset(buf, 0xff, sizeof(buf));
		break;
	case 2:
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (u8)msrc_below(s->src, 256);
		break;
	case 3:
		/* valid-looking links: another free block's */
		sim_free_block(s, msrc_below(s->src, s->m.nblocks), &off2,
			       &order2);
		memcpy(buf, sim_addr(s, off2), sizeof(buf));
		break;
	case 4:
		memcpy(buf, old + 4, 4);
		memcpy(buf + 4, old, 4);
		break;
	case 5:
		memcpy(buf, old, sizeof(buf));
		buf[msrc_below(s->src, sizeof(buf))] ^=
			(u8)(1 + msrc_below(s->src, 255));
		break;
	case 6:
	case 7:
		/* one link only: all zeros or all ones (a likely "none") */
		memcpy(buf, old, sizeof(buf));
		memset(buf + 4 * msrc_below(s->src, 2), kind == 6 ? 0 : 0xff,
		       4);
		break;
	default:
		if ((s->m.min_block << order) <= M_LINK_BYTES)
			return true;
		i = M_LINK_BYTES + (unsigned int)msrc_below(s->src,
				(s->m.min_block << order) - M_LINK_BYTES);
		q = sim_addr(s, off + i);
		*q ^= 0x5a;
		ret = sim_core_check(s, &s->bc);
		/* a block known zero must stay zero: write it back */
		if (s->m.zero[off >> s->m.min_shift])
			*q ^= 0x5a;
		if (ret && !was_dirty)
			return SIM_FAIL(s, "write past links (byte %u of %#llx) upset check: %s",
					i, ULL(off), s->chk);
		return true;
	}
	memcpy(p, buf, sizeof(buf));
	if (s->trace) {
		fprintf(stderr, "stray kind %u at %#llx order %u:", kind,
			ULL(off), order);
		for (i = 0; i < sizeof(buf); i++)
			fprintf(stderr, " %02x>%02x", old[i], buf[i]);
		fprintf(stderr, "\n");
	}
	if (!memcmp(old, buf, sizeof(buf)))
		return true;
	s->nr_smashes++;
	sim_note_smash(s, off, order, old, buf);
	ret = sim_core_check(s, &s->bc);
	if (ret != -EUCLEAN && !was_dirty)
		return SIM_FAIL(s, "checker missed smash %u of order %u block %#llx: %d",
				kind, order, ULL(off), ret);
	return true;
}

/* Allocate min blocks until the core says -ENOMEM. */
bool sim_drain(struct sim *s)
{
	while (model_smallest_free(&s->m, 0) >= 0)
		if (!sim_alloc(s, s->m.min_block) || !sim_verify(s))
			return false;
	return sim_alloc(s, s->m.min_block) && sim_verify(s);
}

bool sim_free_all(struct sim *s)
{
	while (s->nr_live) {
		u64 j = msrc_below(s->src, s->nr_live);
		bool zero = !msrc_below(s->src, 4);

		if (!sim_free_z(s, s->live[j], zero) || !sim_verify(s))
			return false;
	}
	return true;
}

/* An offset worth freeing: good, bad or ugly. */
static u64 sim_pick_off(struct sim *s)
{
	struct model *m = &s->m;
	u64 off, bs;
	unsigned int order;

	switch (msrc_below(s->src, 8)) {
	case 0:
		switch (msrc_below(s->src, 4)) {
		case 0:
			return m->size;
		case 1:
			return UINT64_MAX;
		case 2:
			return m->size + msrc_below(s->src, m->size);
		default:
			return (UINT64_MAX - msrc_below(s->src, 64)) &
			       ~(m->min_block - 1);
		}
	case 1:
		return msrc_below(s->src, m->size);
	case 2:
		return msrc_below(s->src, m->nblocks) << m->min_shift;
	case 3:
	case 4:
		if (!s->nr_live)
			return 0;
		off = s->live[msrc_below(s->src, s->nr_live)];
		bs = m->min_block << m->order[off >> m->min_shift];
		/* interior: unaligned or a later min block */
		return off + 1 + msrc_below(s->src, bs - 1);
	case 5:
		if (!s->nr_live)
			return 0;
		return s->live[msrc_below(s->src, s->nr_live)];
	default:
		if (!sim_free_block(s, msrc_below(s->src, m->nblocks), &off,
				    &order))
			return 0;
		off += msrc_below(s->src, 1ULL << order) << m->min_shift;
		return off;
	}
}

static u64 sim_pick_size(struct sim *s)
{
	struct model *m = &s->m;
	unsigned int o = (unsigned int)msrc_below(s->src, m->max_order + 2);
	u64 hi = m->min_block << o;
	u64 lo = o ? (hi >> 1) + 1 : 1;

	switch (msrc_below(s->src, 32)) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX - msrc_below(s->src, 1ULL << 20);
	case 2:
		return (1ULL << 63) + msrc_below(s->src, 3) - 1;
	case 3:
		return (m->min_block << m->max_order) + msrc_below(s->src, 2);
	default:
		return lo + msrc_below(s->src, hi - lo + 1);
	}
}

/* A window bound worth trying: 0, inside, at or past the range end. */
static u64 sim_pick_bound(struct sim *s)
{
	struct model *m = &s->m;

	switch (msrc_below(s->src, 8)) {
	case 0:
		return 0;
	case 1:
		return m->size + msrc_below(s->src, 2) * m->min_block;
	case 2:
		return UINT64_MAX - msrc_below(s->src, 2);
	case 3:
		return msrc_below(s->src, m->size + 1);
	default:
		return msrc_below(s->src, m->nblocks + 1) << m->min_shift;
	}
}

static u64 sim_pick_align(struct sim *s)
{
	struct model *m = &s->m;

	switch (msrc_below(s->src, 8)) {
	case 0:
	case 1:
		return 0;
	case 2:
		return 1ULL << msrc_below(s->src, 64);
	case 3:
		return msrc_below(s->src, 3) ? 3 * m->min_block : 1;
	default:
		return m->min_block <<
		       msrc_below(s->src, m->max_order + 3);
	}
}

/* The calls of issue 8 (ranges, exact allocations, chunks), set_zeroed. */
static bool sim_step_new(struct sim *s, u64 op)
{
	struct model *m = &s->m;
	u64 start, end, j;
	unsigned int flags;

	if (op < 7) {
		start = sim_pick_bound(s);
		end = sim_pick_bound(s);
		if (start > end && end && msrc_below(s->src, 4))
			start = end - start < end ? end - start : 0;
		flags = (unsigned int)msrc_below(s->src, 2);
		if (!msrc_below(s->src, 32))
			flags |= 2U << msrc_below(s->src, 30);
		return sim_alloc_range(s, sim_pick_size(s), sim_pick_align(s),
				       start, end, flags);
	}
	if (op < 11)
		return sim_alloc_exact(s, sim_pick_size(s));
	if (op < 15) {
		bool zero = !msrc_below(s->src, 3);

		if (s->nr_exact && msrc_below(s->src, 8)) {
			j = msrc_below(s->src, s->nr_exact);
			return sim_free_exact_z(s, s->ex_off[j], s->ex_size[j],
						zero);
		}
		return sim_free_exact_z(s, sim_pick_off(s), sim_pick_size(s),
					zero);
	}
	if (op >= 20) {
		start = sim_pick_bound(s);
		end = sim_pick_bound(s);
		/* mostly a window that holds something */
		if (start > end && msrc_below(s->src, 4)) {
			j = start;
			start = end;
			end = j;
		}
		return sim_set_zeroed(s, start, end);
	}
	j = msrc_below(s->src, m->nchunks + 1);
	if (op < 17)
		return sim_add_chunk(s, j, msrc_below(s->src, 8));
	if (op < 18)
		return sim_remove_chunk(s, j);
	/* keep most of the range present */
	if (op < 19 && model_present(m) * 4 > m->size * 3)
		return sim_evacuate(s, j);
	return true;
}

/* One random operation followed by a full comparison. */
bool sim_step(struct sim *s)
{
	struct model *m = &s->m;
	u64 op = msrc_below(s->src, 87);

	s->nr_ops++;
	if (op >= 64)
		return sim_step_new(s, op - 64) && sim_verify(s);
	if (op < 24) {
		if (!sim_alloc(s, sim_pick_size(s)))
			return false;
	} else if (op < 44) {
		/* a third of them zeroed, as under init_on_free */
		if (s->nr_live &&
		    !sim_free_z(s, s->live[msrc_below(s->src, s->nr_live)],
				op < 31))
			return false;
	} else if (op < 50) {
		if (!sim_free(s, sim_pick_off(s)))
			return false;
	} else if (op < 54) {
		if (!sim_probe(s, sim_pick_off(s)))
			return false;
	} else if (op < 59) {
		if (!s->no_stray && !sim_stray(s))
			return false;
	} else if (op < 61) {
		u64 size = sim_pick_size(s);

		if (buddy_core_order_for(&s->bc, size) !=
		    model_order_for(m, size))
			return SIM_FAIL(s, "order_for(%#llx) = %d, model %d",
					ULL(size),
					buddy_core_order_for(&s->bc, size),
					model_order_for(m, size));
	} else if (op < 62) {
		if (m->nblocks <= 4096 && !s->no_drain && !sim_drain(s))
			return false;
	} else if (op < 63) {
		if (!sim_free_all(s))
			return false;
	} else {
		/* allocate exactly the largest free block */
		int k = model_smallest_free(m, 0) < 0 ? -1 :
			buddy_core_largest_free_order(&s->bc);

		if (k >= 0 && !sim_alloc(s, m->min_block << k))
			return false;
	}
	return sim_verify(s);
}

/*
 * Leave no stray write unrepaired, give everything back, and prove the
 * range is whole again: maximal blocks, each allocatable at full size.
 * Unless s->no_drain, every min block is allocated on the way; either way
 * every free block is allocated at the end, which unlinks each.
 */
bool sim_finish(struct sim *s)
{
	struct model *m = &s->m;
	u64 chunk;
	int ret;

	for (chunk = 0; chunk < m->nchunks; chunk++)
		if (m->absent[chunk] && (!sim_add_chunk(s, chunk, true) ||
				       !sim_verify(s)))
			return false;
	if (!s->no_drain) {
		if (!sim_drain(s))
			return false;
		ret = sim_core_check(s, &s->bc);
		if (ret)
			return SIM_FAIL(s, "check after allocating everything = %d: %s",
					ret, s->chk);
		s->dirty = 0;
	}
	if (!sim_free_all(s))
		return false;
	if (!model_is_pristine(m))
		return SIM_FAIL(s, "model not back to maximal blocks");
	while (model_smallest_free(m, 0) >= 0) {
		int k = buddy_core_largest_free_order(&s->bc);

		if (k < 0)
			return SIM_FAIL(s, "no free block, model has some");
		if (!sim_alloc(s, m->min_block << k) || !sim_verify(s))
			return false;
	}
	if (!sim_free_all(s))
		return false;
	if (!model_is_pristine(m))
		return SIM_FAIL(s, "model not back to maximal blocks (2)");
	return sim_verify(s);
}
