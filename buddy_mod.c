// SPDX-License-Identifier: GPL-2.0
/*
 * buddy.ko: pools of alloc_pages() memory managed by the buddy core, the
 * exported API, the module parameters and the default pool. Every export
 * and MODULE_* line of the module lives here.
 *
 * Lock order:
 *   buddy_pools_lock (mutex: the list of pools and their names)
 *     pool->ctl_lock (mutex: debugfs ctl allocations)
 *       pool->lock (raw spinlock, irqsave: the core state)
 * pool->lock is innermost and is never held across anything that sleeps,
 * prints or allocates.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "buddy_compat.h"
#include "buddy_internal.h"

#define CHUNK_ORDER	BUDDY_MAX_PAGE_ORDER
#define CHUNK_SHIFT	(PAGE_SHIFT + CHUNK_ORDER)
#define CHUNK_BYTES	BIT(CHUNK_SHIFT)

static char *pool_size = "4M";
module_param(pool_size, charp, 0444);
MODULE_PARM_DESC(pool_size,
		 "Bytes in the default pool, with K/M/G suffix (default 4M)");

static char *min_block;
module_param(min_block, charp, 0444);
MODULE_PARM_DESC(min_block,
		 "Smallest block in bytes, a power of two (default PAGE_SIZE)");

static DEFINE_MUTEX(buddy_pools_lock);
static LIST_HEAD(buddy_pools);
static struct buddy_pool *default_pool;

static bool name_ok(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, BUDDY_NAME_MAX + 1);
	if (!len || len > BUDDY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	}
	return true;
}

static u64 half_ram(void)
{
	return ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

static bool min_block_ok(size_t min)
{
	return min >= BUDDY_CORE_MIN_BLOCK && min <= CHUNK_BYTES &&
	       is_power_of_2(min);
}

static bool size_ok(size_t size, size_t min)
{
	return size && size % min == 0 && size <= half_ram() &&
	       buddy_core_meta_size(size, min);
}

static struct buddy_pool *find_pool(const char *name)
{
	struct buddy_pool *pool;

	lockdep_assert_held(&buddy_pools_lock);
	list_for_each_entry(pool, &buddy_pools, node) {
		if (!strcmp(pool->name, name))
			return pool;
	}
	return NULL;
}

static unsigned long chunk_len(size_t size, unsigned int i)
{
	return min_t(size_t, CHUNK_BYTES, size - ((size_t)i << CHUNK_SHIFT));
}

static void free_chunk(struct buddy_pool *pool, unsigned int i)
{
	unsigned long len = chunk_len(pool->size, i);
	unsigned int order = get_order(len);
	struct page *page = virt_to_page(pool->segs[i]);
	unsigned long nr = DIV_ROUND_UP(len, PAGE_SIZE), j;

	/* A tail chunk was split into single pages when it was trimmed. */
	if (nr == 1UL << order) {
		__free_pages(page, order);
		return;
	}
	for (j = 0; j < nr; j++)
		__free_page(page + j);
}

/*
 * Reserve chunk @i: the smallest alloc_pages() block that holds it, with
 * the unused pages of a short tail chunk given straight back.
 */
static int alloc_chunk(struct buddy_pool *pool, unsigned int i)
{
	unsigned long len = chunk_len(pool->size, i);
	unsigned int order = get_order(len);
	unsigned long nr = DIV_ROUND_UP(len, PAGE_SIZE), j;
	struct page *page;

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL,
			   order);
	if (!page)
		return -ENOMEM;
	if (nr != 1UL << order) {
		split_page(page, order);
		for (j = nr; j < 1UL << order; j++)
			__free_page(page + j);
	}
	pool->segs[i] = page_address(page);
	pool->by_addr[i].start = (unsigned long)pool->segs[i];
	pool->by_addr[i].len = len;
	pool->by_addr[i].seg = i;
	return 0;
}

static int cmp_chunk(const void *a, const void *b)
{
	const struct buddy_chunk *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int find_chunk(const void *key, const void *elt)
{
	unsigned long addr = *(const unsigned long *)key;
	const struct buddy_chunk *c = elt;

	if (addr < c->start)
		return -1;
	return addr - c->start >= c->len;
}

/**
 * buddy_pool_offset() - offset within the pool of a pool address
 * @pool: the pool
 * @ptr: an address that may lie in one of the pool's chunks
 *
 * Context: Any context; reads only what is fixed at pool creation.
 * Return: the offset, or U64_MAX if @ptr is not inside the pool.
 */
u64 buddy_pool_offset(const struct buddy_pool *pool, const void *ptr)
{
	unsigned long addr = (unsigned long)ptr;
	const struct buddy_chunk *c;

	c = bsearch(&addr, pool->by_addr, pool->nr_chunks, sizeof(*c),
		    find_chunk);
	if (!c)
		return U64_MAX;
	return ((u64)c->seg << pool->chunk_shift) + (addr - c->start);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_pool_offset);

static int reserve(struct buddy_pool *pool, size_t size, size_t min)
{
	size_t meta_size = buddy_core_meta_size(size, min);
	unsigned int i;
	int ret = -ENOMEM;

	pool->size = size;
	pool->chunk_shift = CHUNK_SHIFT;
	pool->nr_chunks = DIV_ROUND_UP(size, CHUNK_BYTES);
	pool->segs = kcalloc(pool->nr_chunks, sizeof(*pool->segs), GFP_KERNEL);
	if (!pool->segs)
		return -ENOMEM;
	pool->by_addr = kcalloc(pool->nr_chunks, sizeof(*pool->by_addr),
				GFP_KERNEL);
	if (!pool->by_addr)
		goto out_free_segs;
	pool->meta = kvzalloc(meta_size, GFP_KERNEL);
	if (!pool->meta)
		goto out_free_by_addr;
	for (i = 0; i < pool->nr_chunks; i++) {
		ret = alloc_chunk(pool, i);
		if (ret)
			goto out_free_chunks;
	}
	sort(pool->by_addr, pool->nr_chunks, sizeof(*pool->by_addr),
	     cmp_chunk, NULL);
	ret = buddy_core_init(&pool->core, size, min, pool->chunk_shift,
			      pool->segs, pool->meta, meta_size);
	if (WARN_ON_ONCE(ret))
		goto out_free_chunks;
	return 0;

out_free_chunks:
	while (i--)
		free_chunk(pool, i);
	kvfree(pool->meta);
out_free_by_addr:
	kfree(pool->by_addr);
out_free_segs:
	kfree(pool->segs);
	return ret;
}

/*
 * Give back every chunk that holds no allocated block, and return how many
 * chunks had to stay reserved because a client still owns memory in them.
 */
static unsigned int release(struct buddy_pool *pool)
{
	unsigned int i, kept = 0;

	for (i = 0; i < pool->nr_chunks; i++) {
		u64 pos = (u64)i << pool->chunk_shift;
		u64 end = pos + chunk_len(pool->size, i);
		struct buddy_core_block blk;
		bool busy = false;

		while (pos < end && buddy_core_next_block(&pool->core, &pos,
							  &blk)) {
			if (!blk.free) {
				busy = true;
				break;
			}
		}
		if (busy)
			kept++;
		else
			free_chunk(pool, i);
	}
	return kept;
}

/**
 * buddy_pool_create() - reserve memory and make a new pool of it
 * @name: 1 to BUDDY_NAME_MAX characters of [A-Za-z0-9_-]; also the name
 *	of the pool's debugfs directory
 * @size: bytes to manage, a multiple of @min_block and at most half of RAM
 * @min_block: bytes in the smallest block: a power of two from 16 up to
 *	the largest alloc_pages() block
 *
 * The memory is reserved with alloc_pages() in chunks of at most the
 * largest page order; no block spans two chunks.
 *
 * Context: Process context; sleeps.
 * Return: the pool; ERR_PTR(-EINVAL) for a bad name, size or min_block;
 * ERR_PTR(-EEXIST) if a pool of that name exists; ERR_PTR(-ENOMEM) if the
 * memory cannot be had.
 */
struct buddy_pool *buddy_pool_create(const char *name, size_t size,
				     size_t min_block)
{
	struct buddy_pool *pool;
	int ret;

	if (!name_ok(name) || !min_block_ok(min_block) ||
	    !size_ok(size, min_block))
		return ERR_PTR(-EINVAL);
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	raw_spin_lock_init(&pool->lock);
	mutex_init(&pool->ctl_lock);
	INIT_LIST_HEAD(&pool->ctl);
	strscpy(pool->name, name, sizeof(pool->name));

	mutex_lock(&buddy_pools_lock);
	if (find_pool(name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = reserve(pool, size, min_block);
	if (ret)
		goto out_unlock;
	list_add_tail(&pool->node, &buddy_pools);
	mutex_unlock(&buddy_pools_lock);

	buddy_debugfs_add(pool);
	return pool;

out_unlock:
	mutex_unlock(&buddy_pools_lock);
	mutex_destroy(&pool->ctl_lock);
	kfree(pool);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_create, BUDDY);

/**
 * buddy_pool_destroy() - release a pool, its name and its memory
 * @pool: the pool, or NULL or an error pointer (then nothing happens)
 *
 * Blocks still allocated are a bug in the caller: the pool warns once,
 * reports how many, and keeps the chunks that hold them reserved for good
 * rather than give memory in use back to the page allocator.
 *
 * Context: Process context; sleeps. No other call on @pool may be running
 * or follow.
 */
void buddy_pool_destroy(struct buddy_pool *pool)
{
	unsigned int kept;
	u64 live, bytes;

	if (IS_ERR_OR_NULL(pool))
		return;
	buddy_debugfs_remove(pool);

	mutex_lock(&buddy_pools_lock);
	list_del(&pool->node);
	mutex_unlock(&buddy_pools_lock);

	live = pool->core.nr_allocs - pool->core.nr_frees;
	bytes = buddy_core_used_bytes(&pool->core);
	kept = release(pool);
	if (live)
		pr_warn("pool %s destroyed with %llu blocks (%llu bytes) still allocated; keeping %u of %u chunks reserved\n",
			pool->name, live, bytes, kept, pool->nr_chunks);
	kvfree(pool->meta);
	kfree(pool->by_addr);
	kfree(pool->segs);
	mutex_destroy(&pool->ctl_lock);
	kfree(pool);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_destroy, BUDDY);

/**
 * buddy_default_pool() - the pool buddy.ko reserves when it loads
 *
 * Context: Any context.
 * Return: the pool named "default", sized by the pool_size and min_block
 * module parameters; it lives as long as the module.
 */
struct buddy_pool *buddy_default_pool(void)
{
	return default_pool;
}
EXPORT_SYMBOL_NS_GPL(buddy_default_pool, BUDDY);

static const char *alloc_error(int err)
{
	switch (err) {
	case -EINVAL:
		return "zero size";
	case -E2BIG:
		return "larger than the largest block";
	default:
		return "pool exhausted";
	}
}

/**
 * buddy_alloc() - allocate a physically contiguous block
 * @pool: the pool
 * @size: bytes needed
 * @gfp: only __GFP_ZERO (zero the block) and __GFP_NOWARN (no warning on
 *	failure) matter; the call never sleeps whatever the flags
 *
 * The block holds the smallest power of two of bytes that is at least
 * max(@size, min_block), and is naturally aligned to that size in
 * physical memory.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 * Return: the block's kernel virtual address, or NULL for a @size of 0, a
 * @size larger than any block, or an exhausted pool. Each NULL counts in
 * nr_failed.
 */
void *buddy_alloc(struct buddy_pool *pool, size_t size, gfp_t gfp)
{
	unsigned long flags;
	void *ptr;
	u64 off;
	int ret;

	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_alloc(&pool->core, size, &off);
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (unlikely(ret)) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("%s: cannot allocate %zu bytes: %s (caller %pS)\n",
					    pool->name, size, alloc_error(ret),
					    __builtin_return_address(0));
		return NULL;
	}
	/* The block is ours now; geometry needs no lock. */
	ptr = buddy_core_addr(&pool->core, off);
	if (gfp & __GFP_ZERO)
		memset(ptr, 0, buddy_core_min_block(&pool->core) <<
		       buddy_core_order_for(&pool->core, size));
	return ptr;
}
EXPORT_SYMBOL_NS_GPL(buddy_alloc, BUDDY);

static const char *free_error(int err)
{
	switch (err) {
	case -ERANGE:
		return "pointer outside the pool";
	case -EINVAL:
		return "pointer not on a min_block boundary";
	case -ENOENT:
		return "pointer inside an allocated block";
	default:
		return "double free";
	}
}

/**
 * buddy_free() - give a block back to its pool
 * @pool: the pool the block came from
 * @ptr: the address buddy_alloc() returned, or NULL
 *
 * The block merges with its free buddy as far as it can. A pointer that
 * is not the start of an allocated block of @pool (outside the pool,
 * inside a block, or already free) is refused: nothing changes but
 * nr_bad_frees, a ratelimited error names the caller, and the first bad
 * free of each pool also WARNs.
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 */
void buddy_free(struct buddy_pool *pool, const void *ptr)
{
	unsigned long flags;
	bool first = false;
	int ret;

	if (!ptr)
		return;
	if (WARN_ON_ONCE(IS_ERR_OR_NULL(pool)))
		return;
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_free(&pool->core, buddy_pool_offset(pool, ptr));
	if (unlikely(ret) && !pool->warned) {
		pool->warned = true;
		first = true;
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (likely(!ret))
		return;
	pr_err_ratelimited("%s: bad free of %p: %s (caller %pS)\n", pool->name,
			   ptr, free_error(ret), __builtin_return_address(0));
	WARN(first, "buddy: first bad free in pool %s: %s\n", pool->name,
	     free_error(ret));
}
EXPORT_SYMBOL_NS_GPL(buddy_free, BUDDY);

/**
 * buddy_block_size() - size of the allocated block starting at @ptr
 * @pool: the pool
 * @ptr: an address
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 * Return: the block's size in bytes, or 0 if @ptr is not the start of an
 * allocated block of @pool.
 */
size_t buddy_block_size(struct buddy_pool *pool, const void *ptr)
{
	unsigned long flags;
	int order;

	if (IS_ERR_OR_NULL(pool) || !ptr)
		return 0;
	raw_spin_lock_irqsave(&pool->lock, flags);
	order = buddy_core_block_order(&pool->core,
				       buddy_pool_offset(pool, ptr));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (order < 0)
		return 0;
	return buddy_core_min_block(&pool->core) << order;
}
EXPORT_SYMBOL_NS_GPL(buddy_block_size, BUDDY);

/**
 * buddy_pool_check() - run the core's invariant checker on a pool
 * @pool: the pool
 * @buf: receives the first violation found
 * @len: size of @buf
 *
 * Context: Any context; holds the pool spinlock for O(blocks) time.
 * Return: 0 if the pool is consistent, -EUCLEAN otherwise.
 */
int buddy_pool_check(struct buddy_pool *pool, char *buf, size_t len)
{
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_check(&pool->core, buf, len);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_pool_check);

/**
 * buddy_pool_stats() - take a consistent snapshot of a pool's state
 * @pool: the pool
 * @st: filled in
 *
 * Context: Any context, hard IRQ included; takes the pool spinlock.
 */
void buddy_pool_stats(struct buddy_pool *pool, struct buddy_stats *st)
{
	const struct buddy_core *bc = &pool->core;
	unsigned long flags;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	raw_spin_lock_irqsave(&pool->lock, flags);
	st->size = buddy_core_size(bc);
	st->free = buddy_core_free_bytes(bc);
	st->min_block = (u32)buddy_core_min_block(bc);
	st->max_order = buddy_core_max_order(bc);
	for (i = 0; i < BUDDY_NR_ORDERS; i++)
		st->free_blocks[i] = buddy_core_nr_free(bc, i);
	st->nr_allocs = bc->nr_allocs;
	st->nr_frees = bc->nr_frees;
	st->nr_failed = bc->nr_failed;
	st->nr_bad_frees = bc->nr_bad_frees;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(buddy_pool_stats, BUDDY);

/**
 * buddy_parse_size() - parse a byte count the way memparse() does, strictly
 * @str: decimal digits with an optional K, M, G, T, P or E suffix
 * @val: receives the value
 *
 * Unlike a bare memparse(), reject signs, hex, octal, trailing junk and
 * values that do not fit in 64 bits.
 *
 * Context: Any context.
 * Return: true if @str is a valid size.
 */
bool buddy_parse_size(const char *str, u64 *val)
{
	static const char suffixes[] = "KMGTPE";
	unsigned long long digits, v;
	size_t ndigits;
	char num[24], *end;
	const char *s;
	int shift = 0;

	if (!str)
		return false;
	ndigits = strspn(str, "0123456789");
	if (!ndigits || ndigits >= sizeof(num) || (str[0] == '0' && ndigits > 1))
		return false;
	memcpy(num, str, ndigits);
	num[ndigits] = '\0';
	if (kstrtoull(num, 10, &digits))
		return false;
	if (str[ndigits]) {
		s = strchr(suffixes, toupper(str[ndigits]));
		if (!s || !*s || str[ndigits + 1])
			return false;
		shift = 10 * (int)(s - suffixes + 1);
	}
	v = memparse(str, &end);
	if (*end || v >> shift != digits)
		return false;
	*val = v;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_parse_size);

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * Entry points for the KUnit suites in tests/kunit/, which check the exact
 * text of the debugfs files; not part of the API.
 */
int buddy_kunit_ctl(struct buddy_pool *pool, const char *cmd, size_t count)
{
	return buddy_debugfs_ctl(pool, cmd, count);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_kunit_ctl);

int buddy_kunit_render(struct buddy_pool *pool, const char *file, char *buf,
		       size_t len)
{
	return buddy_debugfs_render(pool, file, buf, len);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_kunit_render);
#endif

static int __init buddy_init(void)
{
	u64 size, min = PAGE_SIZE;
	struct buddy_pool *pool;

	if (min_block && (!buddy_parse_size(min_block, &min) ||
			  !min_block_ok(min))) {
		pr_err("invalid min_block=%s: must be a power of two from %u to %lu bytes\n",
		       min_block, BUDDY_CORE_MIN_BLOCK, CHUNK_BYTES);
		return -EINVAL;
	}
	if (!buddy_parse_size(pool_size, &size) || !size_ok(size, min)) {
		pr_err("invalid pool_size=%s: must be a multiple of min_block (%llu) from %llu bytes up to half of RAM (%llu), with an optional K/M/G suffix\n",
		       pool_size ? pool_size : "", min, min, half_ram());
		return -EINVAL;
	}

	buddy_debugfs_init();
	pool = buddy_pool_create("default", size, min);
	if (IS_ERR(pool)) {
		pr_err("cannot reserve pool_size=%s for the default pool: %s (%ld)\n",
		       pool_size, PTR_ERR(pool) == -ENOMEM ?
		       "alloc_pages() failed, out of memory" : "error",
		       PTR_ERR(pool));
		buddy_debugfs_exit();
		return PTR_ERR(pool);
	}
	default_pool = pool;
	pr_info("default pool: %llu bytes in %u chunks, min_block %llu\n",
		size, pool->nr_chunks, min);
	return 0;
}

static void __exit buddy_exit(void)
{
	struct buddy_pool *pool;

	/*
	 * Client modules hold a reference on buddy.ko while loaded, so only
	 * pools a client forgot to destroy can remain besides the default.
	 */
	for (;;) {
		mutex_lock(&buddy_pools_lock);
		pool = list_first_entry_or_null(&buddy_pools, struct buddy_pool,
						node);
		mutex_unlock(&buddy_pools_lock);
		if (!pool)
			break;
		if (pool != default_pool)
			pr_warn("pool %s was never destroyed\n", pool->name);
		buddy_pool_destroy(pool);
	}
	default_pool = NULL;
	buddy_debugfs_exit();
}

module_init(buddy_init);
module_exit(buddy_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The buddy developers");
MODULE_DESCRIPTION("Buddy allocator over memory reserved with alloc_pages()");
MODULE_VERSION("0.1");
