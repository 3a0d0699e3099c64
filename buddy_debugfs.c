// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/buddy/<pool>/: per-order free lists,
 * statistics, fragmentation indices, a map of the pool, the invariant
 * checker, the per-CPU caches, and a ctl file to allocate and free from a
 * shell.
 *
 * Every reader takes the pool lock once, copies what it needs and formats
 * after dropping it, so a reader never stalls allocation for longer than
 * a memcpy and a pass over the CPUs; map copies the core's bitmaps, and
 * check runs the checkers in bounded steps under the lock (see
 * buddy_pool_check_bounded()). Offsets, never kernel addresses, are shown.
 *
 * Lock order: pool->ctl_lock, then pool->lock (see buddy_pool.c).
 * Failing to create a file or directory never fails the pool.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"

#define MAP_COLS	64
#define MAP_ROWS	64
#define CTL_MAX_INPUT	64

static struct dentry *buddy_root;

/* A block allocated through the ctl file. */
struct ctl_alloc {
	struct list_head node;
	u64 id;
	u64 off;
	u64 bytes;
	void *ptr;
	bool exact;
};

/*
 * A snapshot of @pool's counters, off the stack (the per-order arrays make
 * it most of a kilobyte), or NULL; kfree() it.
 */
static struct buddy_stats *snapshot(struct buddy_pool *pool, u64 *corruptions)
{
	struct buddy_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);

	if (st)
		buddy_pool_snapshot(pool, st, corruptions);
	return st;
}

static int free_lists_show(struct seq_file *m, void *v)
{
	struct buddy_stats *st = snapshot(m->private, NULL);
	unsigned int order;

	if (!st)
		return -ENOMEM;
	seq_puts(m, "# order block_size free_blocks cached_blocks free_bytes\n");
	for (order = 0; order <= st->max_order; order++) {
		u64 bsize = (u64)st->min_block << order;
		u64 nr = st->free_blocks[order], cached = st->cached_blocks[order];

		seq_printf(m, "%u %llu %llu %llu %llu\n", order, bsize, nr,
			   cached, (nr + cached) * bsize);
	}
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(free_lists);

static int stats_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	u64 meta, corruptions;
	struct buddy_stats *st = snapshot(pool, &corruptions);

	if (!st)
		return -ENOMEM;
	meta = buddy_core_meta_size(st->max_size, st->min_block) +
	       st->max_size / st->min_block +
	       BITS_TO_LONGS(st->max_size / st->min_block) * sizeof(long) +
	       pool->nr_slots * sizeof(*pool->chunks) +
	       pool->dir_len * sizeof(*pool->chunk_dir) +
	       num_possible_cpus() * sizeof(struct buddy_pcp);
	seq_printf(m, "size: %llu\n", st->size);
	seq_printf(m, "max_size: %llu\n", st->max_size);
	seq_printf(m, "min_block: %u\n", st->min_block);
	seq_printf(m, "max_order: %u\n", st->max_order);
	seq_printf(m, "free: %llu\n", st->free);
	seq_printf(m, "allocated: %llu\n", st->size - st->free);
	seq_printf(m, "cached: %llu\n", st->cached);
	seq_printf(m, "zeroed: %llu\n", st->zeroed);
	seq_printf(m, "largest_free_block: %llu\n", stats_largest_free(st));
	seq_printf(m, "allocs: %llu\n", st->nr_allocs);
	seq_printf(m, "frees: %llu\n", st->nr_frees);
	seq_printf(m, "failures: %llu\n", st->nr_failed);
	seq_printf(m, "bad_frees: %llu\n", st->nr_bad_frees);
	seq_printf(m, "zeroings: %llu\n", st->nr_zeroings);
	seq_printf(m, "cache_hits: %llu\n", st->nr_cache_hits);
	seq_printf(m, "cache_refills: %llu\n", st->nr_cache_refills);
	seq_printf(m, "in_flight: %llu\n", st->in_flight);
	seq_printf(m, "corruptions: %llu\n", corruptions);
	seq_printf(m, "metadata_bytes: %llu\n", meta);
	seq_printf(m, "chunks: %u\n", pool->nr_chunks);
	seq_printf(m, "device: %s\n", pool->dev ? dev_name(pool->dev) : "none");
	if (pool->dev)
		seq_printf(m, "dma_mask: %#llx\n", pool->dma_limit);
	else
		seq_puts(m, "dma_mask: none\n");
	if (pool->nid == NUMA_NO_NODE)
		seq_puts(m, "node: any\n");
	else
		seq_printf(m, "node: %d\n", pool->nid);
	seq_printf(m, "contiguous: %s\n",
		   pool->region == BUDDY_REGION_CHUNKS ? "no" : "yes");
	/*
	 * Where the kernel's memory lies is for root, as in /proc/iomem; a
	 * rendering for the kernel itself (no file) shows it.
	 */
	if (pool->region == BUDDY_REGION_CHUNKS)
		seq_puts(m, "phys: none\n");
	else if (!m->file ||
		 file_ns_capable(m->file, &init_user_ns, CAP_SYS_ADMIN))
		seq_printf(m, "phys: %#llx\n", (u64)pool->phys);
	else
		seq_puts(m, "phys: hidden\n");
	seq_printf(m, "largest_block: %llu\n",
		   (u64)st->min_block << st->max_order);
	seq_printf(m, "user: %s\n", pool->user ? "yes" : "no");
	seq_printf(m, "user_bytes: %lld\n",
		   (long long)atomic64_read(&pool->user_bytes));
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* Print a value in thousandths as x.yyy, as mm/vmstat.c does. */
static void seq_milli(struct seq_file *m, int v)
{
	seq_printf(m, " %s%d.%03d", v < 0 ? "-" : "", abs(v) / 1000,
		   abs(v) % 1000);
}

/*
 * The two indices of mm/vmstat.c for a request of @order, with pages read
 * as min blocks: the share of free memory unusable for such a request,
 * and, when it would fail, whether that is for lack of memory (towards 0)
 * or fragmentation (towards 1). Both are in thousandths. A block free to
 * a client is one on a free list or in a cache.
 */
static void frag_indices(const struct buddy_stats *st, unsigned int order,
			 int *unusable, int *extfrag)
{
	u64 total = 0, pages = 0, suitable = 0;
	unsigned int o;

	for (o = 0; o <= st->max_order; o++) {
		u64 nr = st->free_blocks[o] + st->cached_blocks[o];

		total += nr;
		pages += nr << o;
		if (o >= order)
			suitable += nr << (o - order);
	}
	*unusable = pages ? (int)div64_u64((pages - (suitable << order)) *
					   1000ULL, pages) : 1000;
	if (!total)
		*extfrag = 0;
	else if (suitable)
		*extfrag = -1000;
	else
		*extfrag = 1000 - (int)div64_u64(1000 +
				div64_u64(pages * 1000ULL, 1ULL << order),
				total);
}

static int fragmentation_show(struct seq_file *m, void *v)
{
	struct buddy_stats *st = snapshot(m->private, NULL);
	unsigned int order;

	if (!st)
		return -ENOMEM;
	seq_puts(m, "# order unusable_index extfrag_index\n");
	for (order = 0; order <= st->max_order; order++) {
		int unusable, extfrag;

		frag_indices(st, order, &unusable, &extfrag);
		seq_printf(m, "%u", order);
		seq_milli(m, unusable);
		seq_milli(m, extfrag);
		seq_putc(m, '\n');
	}
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fragmentation);

static int map_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	u64 cell, ncells, i, pos = 0, *used;
	unsigned long flags;
	u8 *owner;
	struct buddy_core_block blk;
	struct buddy_core *c;
	size_t meta_size;
	void *meta;
	int ret;

	meta_size = buddy_core_meta_size(pool->max_size,
					 buddy_core_min_block(&pool->core));
	/* Off the stack: the core's state is most of a kilobyte. */
	c = kmalloc(sizeof(*c), GFP_KERNEL);
	meta = kvmalloc(meta_size, GFP_KERNEL);
	owner = kvmalloc(pool->max_size >> pool->min_shift, GFP_KERNEL);
	if (!c || !meta || !owner) {
		ret = -ENOMEM;
		goto out_free_meta;
	}
	/* Cached blocks are allocated in the core but free to clients. */
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_snapshot(&pool->core, c, meta, meta_size);
	/* A moment's view: frees clear owner bytes without the lock. */
	data_race(memcpy(owner, pool->owner, pool->max_size >> pool->min_shift));
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (ret)
		goto out_free_meta;

	cell = max_t(u64, buddy_core_min_block(c),
		     roundup_pow_of_two(DIV_ROUND_UP_ULL(c->size,
							 MAP_COLS * MAP_ROWS)));
	ncells = DIV_ROUND_UP_ULL(c->size, cell);
	used = kvcalloc(ncells, sizeof(*used), GFP_KERNEL);
	if (!used) {
		ret = -ENOMEM;
		goto out_free_meta;
	}
	while (buddy_core_next_used(c, &pos, &blk)) {
		u64 start = blk.off, end = blk.off +
			    (buddy_core_min_block(c) << blk.order);

		if (!owner[start >> pool->min_shift])
			continue;

		/* Blocks and cells are both powers of two, so nest. */
		for (i = start / cell; i * cell < end; i++)
			used[i] += min(end, (i + 1) * cell) - max(start, i * cell);
	}

	seq_printf(m, "# cell = %llu bytes, %d cells a line; '.' free, '#' allocated, '+' partly allocated%s\n",
		   cell, MAP_COLS,
		   pool->max_size > pool->floor ? ", '-' not reserved" : "");
	for (i = 0; i < ncells; i++) {
		u64 len = min(cell, c->size - i * cell);

		if (i % MAP_COLS == 0)
			seq_printf(m, "%s0x%08llx ", i ? "\n" : "", i * cell);
		if (!buddy_core_chunk_present(c, i * cell >> pool->chunk_shift))
			seq_putc(m, '-');
		else
			seq_putc(m, !used[i] ? '.' : used[i] == len ? '#' : '+');
	}
	seq_putc(m, '\n');
	kvfree(used);
out_free_meta:
	kvfree(owner);
	kvfree(meta);
	kfree(c);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(map);

static int check_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	char msg[128];

	if (buddy_pool_check_bounded(pool, msg, sizeof(msg)))
		seq_printf(m, "%s\n", msg);
	else
		seq_puts(m, "ok\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(check);

/*
 * Copy a one-line command of @count bytes into @buf (CTL_MAX_INPUT + 1
 * bytes) as a string, dropping one trailing newline. Return -EINVAL for
 * an empty or too long command or one with a NUL inside.
 */
static int take_line(char *buf, const char *cmd, size_t count)
{
	size_t len = count;

	if (!count || count > CTL_MAX_INPUT)
		return -EINVAL;
	memcpy(buf, cmd, count);
	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	return strlen(buf) == len ? 0 : -EINVAL;
}

/* A write to a command file: the whole command in one write() call. */
static ssize_t write_cmd(struct file *file, const char __user *ubuf,
			 size_t count,
			 int (*run)(struct buddy_pool *pool, const char *cmd,
				    size_t count))
{
	struct buddy_pool *pool = file_inode(file)->i_private;
	char buf[CTL_MAX_INPUT];
	int ret;

	if (!count || count > CTL_MAX_INPUT)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	ret = run(pool, buf, count);
	return ret ? ret : count;
}

static int cache_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	unsigned long pinned = READ_ONCE(pool->pinned);
	unsigned int order, cpu;

	seq_puts(m, "# order high batch cached_per_cpu...\n");
	if (pool->auto_cache && pinned)
		seq_printf(m, "# sized by traffic and fill; pinned orders: %*pbl\n",
			   BUDDY_PCP_ORDERS, &pinned);
	else if (pool->auto_cache)
		seq_puts(m, "# sized by traffic and fill; pinned orders: none\n");
	else
		seq_puts(m, "# sized by hand\n");
	for (order = 0; order < BUDDY_PCP_ORDERS &&
	     order <= buddy_core_max_order(&pool->core); order++) {
		seq_printf(m, "%u %u %u", order, READ_ONCE(pool->high[order]),
			   READ_ONCE(pool->batch[order]));
		for_each_possible_cpu(cpu)
			seq_printf(m, " %u", buddy_pool_cpu_cached(pool, cpu, order));
		seq_putc(m, '\n');
	}
	return 0;
}

/**
 * buddy_debugfs_cache() - carry out one write to the cache file
 * @pool: the pool
 * @cmd: "drain"; "auto", which unpins every order (buddy_pool_cache_auto());
 *	or "ORDER HIGH BATCH" as for buddy_pool_set_cache(), which pins
 *	ORDER; with at most one trailing newline; need not be NUL-terminated
 * @count: bytes in @cmd
 *
 * Context: Process context.
 * Return: 0, or -EINVAL (nothing changes) for malformed input, values
 * buddy_pool_set_cache() refuses, or "auto" for a pool without caches.
 */
int buddy_debugfs_cache(struct buddy_pool *pool, const char *cmd,
			size_t count)
{
	char buf[CTL_MAX_INPUT + 1], *s = buf, *tok;
	unsigned int v[3], i;

	if (take_line(buf, cmd, count))
		return -EINVAL;
	if (!strcmp(buf, "drain")) {
		buddy_pool_drain(pool);
		return 0;
	}
	if (!strcmp(buf, "auto"))
		return buddy_pool_cache_auto(pool);
	/* Not sscanf(): its %u takes 4294967296 for 0. */
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		tok = strsep(&s, " ");
		if (!tok || !isdigit(tok[0]) || kstrtouint(tok, 10, &v[i]))
			return -EINVAL;
	}
	if (s)
		return -EINVAL;
	return buddy_pool_set_cache(pool, v[0], v[1], v[2]);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_debugfs_cache);

static ssize_t cache_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	return write_cmd(file, ubuf, count, buddy_debugfs_cache);
}

DEFINE_SHOW_STORE_ATTRIBUTE(cache);

static int ctl_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	struct ctl_alloc *a;

	mutex_lock(&pool->ctl_lock);
	list_for_each_entry(a, &pool->ctl, node) {
		seq_printf(m, "%llu %llu %llu", a->id, a->off, a->bytes);
		/* The device's address: it differs under an IOMMU. */
		if (pool->dev)
			seq_printf(m, " %#llx", (u64)off_dma(pool, a->off));
		seq_putc(m, '\n');
	}
	mutex_unlock(&pool->ctl_lock);
	return 0;
}

/* The options of "alloc SIZE ..." that make it buddy_alloc_range(). */
struct ctl_range {
	bool any;
	bool has_align, has_range, topdown;
	u64 align, start, end;
};

/* Does @buf start with @cmd? Then *@arg is what follows it. */
static bool ctl_cmd(char *buf, const char *cmd, char **arg)
{
	size_t n = str_has_prefix(buf, cmd);

	*arg = buf + n;
	return n;
}

/*
 * Parse one option of an alloc command into @r. Each may appear once, and
 * only values buddy_alloc_range() takes without complaint pass, so that a
 * bad line fails the write rather than WARN.
 */
static int ctl_option(struct buddy_pool *pool, char *opt, struct ctl_range *r)
{
	char *arg, *end;

	r->any = true;
	if (!strcmp(opt, "topdown")) {
		if (r->topdown)
			return -EINVAL;
		r->topdown = true;
		return 0;
	}
	if (ctl_cmd(opt, "align=", &arg)) {
		if (r->has_align || !buddy_parse_size(arg, &r->align) ||
		    !is_power_of_2(r->align) ||
		    r->align > BIT_ULL(pool->chunk_shift))
			return -EINVAL;
		r->has_align = true;
		return 0;
	}
	if (ctl_cmd(opt, "range=", &arg)) {
		end = strchr(arg, '-');
		if (r->has_range || !end)
			return -EINVAL;
		*end++ = '\0';
		if (!buddy_parse_size(arg, &r->start) ||
		    !buddy_parse_size(end, &r->end) || r->start >= r->end ||
		    r->start >= pool->max_size)
			return -EINVAL;
		r->has_range = true;
		return 0;
	}
	return -EINVAL;
}

/* Record a ctl allocation of @size bytes at @ptr, or undo it. */
static int ctl_add(struct buddy_pool *pool, void *ptr, u64 size, bool exact)
{
	struct ctl_alloc *a;

	if (!ptr)
		return -ENOMEM;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		if (exact)
			buddy_free_exact(pool, ptr, size);
		else
			buddy_free(pool, ptr);
		return -ENOMEM;
	}
	a->ptr = ptr;
	a->exact = exact;
	a->off = buddy_pool_offset(pool, ptr);
	a->bytes = buddy_block_size(pool, ptr);
	a->id = ++pool->ctl_next_id;
	list_add_tail(&a->node, &pool->ctl);
	return 0;
}

/* Is @str a size that some block of @pool can hold? */
static bool ctl_size(struct buddy_pool *pool, const char *str, u64 *size)
{
	return buddy_parse_size(str, size) &&
	       buddy_core_order_for(&pool->core, *size) >= 0;
}

/* "SIZE [align=A] [range=START-END] [topdown]", space-separated */
static int ctl_alloc(struct buddy_pool *pool, char *arg)
{
	struct ctl_range r = { };
	char *tok = strsep(&arg, " ");
	u64 size;
	int ret;

	if (!ctl_size(pool, tok, &size))
		return -EINVAL;
	while ((tok = strsep(&arg, " "))) {
		ret = ctl_option(pool, tok, &r);
		if (ret)
			return ret;
	}
	if (!r.any)
		return ctl_add(pool, buddy_alloc(pool, size, __GFP_NOWARN),
			       size, false);
	return ctl_add(pool, buddy_alloc_range(pool, size, r.align, r.start,
					       r.end, r.topdown ?
					       BUDDY_TOPDOWN : 0,
					       __GFP_NOWARN), size, false);
}

static int ctl_alloc_exact(struct buddy_pool *pool, const char *arg)
{
	u64 size;

	if (!ctl_size(pool, arg, &size))
		return -EINVAL;
	return ctl_add(pool, buddy_alloc_exact(pool, size, __GFP_NOWARN), size,
		       true);
}

static void ctl_release(struct buddy_pool *pool, struct ctl_alloc *a)
{
	if (a->exact)
		buddy_free_exact(pool, a->ptr, a->bytes);
	else
		buddy_free(pool, a->ptr);
	list_del(&a->node);
	kfree(a);
}

static int ctl_free(struct buddy_pool *pool, const char *arg)
{
	struct ctl_alloc *a;
	u64 id;

	if (!isdigit(*arg) || kstrtou64(arg, 10, &id))
		return -EINVAL;
	list_for_each_entry(a, &pool->ctl, node) {
		if (a->id == id) {
			ctl_release(pool, a);
			return 0;
		}
	}
	return -EINVAL;
}

/* "grow SIZE" and "shrink SIZE" */
static int ctl_resize(struct buddy_pool *pool, const char *arg, bool grow)
{
	u64 bytes;

	if (!buddy_parse_size(arg, &bytes) || !bytes || bytes > SIZE_MAX)
		return -EINVAL;
	if (grow)
		return buddy_pool_grow(pool, bytes);
	buddy_pool_shrink(pool, bytes);
	return 0;
}

/**
 * buddy_debugfs_ctl() - carry out one ctl command
 * @pool: the pool
 * @cmd: "alloc SIZE [align=A] [range=START-END] [topdown]",
 *	"alloc_exact SIZE", "free ID", "grow SIZE" or "shrink SIZE", with at
 *	most one trailing newline; need not be NUL-terminated
 * @count: bytes in @cmd
 *
 * Context: Process context; takes pool->ctl_lock, and for grow and shrink
 * the pool's resize_lock.
 * Return: 0; -EINVAL for malformed input, a bad size or option or an
 * unknown ID, with nothing changed; -ENOMEM when the pool has no suitable
 * block; for grow, what buddy_pool_grow() returns.
 */
int buddy_debugfs_ctl(struct buddy_pool *pool, const char *cmd, size_t count)
{
	char buf[CTL_MAX_INPUT + 1], *arg;
	int ret;

	if (take_line(buf, cmd, count))
		return -EINVAL;

	mutex_lock(&pool->ctl_lock);
	if (ctl_cmd(buf, "alloc ", &arg))
		ret = ctl_alloc(pool, arg);
	else if (ctl_cmd(buf, "alloc_exact ", &arg))
		ret = ctl_alloc_exact(pool, arg);
	else if (ctl_cmd(buf, "free ", &arg))
		ret = ctl_free(pool, arg);
	else if (ctl_cmd(buf, "grow ", &arg))
		ret = ctl_resize(pool, arg, true);
	else if (ctl_cmd(buf, "shrink ", &arg))
		ret = ctl_resize(pool, arg, false);
	else
		ret = -EINVAL;
	mutex_unlock(&pool->ctl_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_debugfs_ctl);

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	return write_cmd(file, ubuf, count, buddy_debugfs_ctl);
}

DEFINE_SHOW_STORE_ATTRIBUTE(ctl);

/*
 * Every file of a pool's directory. debugfs and the KUnit renderer, which
 * checks the exact text of each, both go by this one table.
 */
static const struct buddy_dbg_file {
	const char *name;
	umode_t mode;
	const struct file_operations *fops;
	int (*show)(struct seq_file *m, void *v);
} dbg_files[] = {
	{ "free_lists", 0400, &free_lists_fops, free_lists_show },
	{ "stats", 0400, &stats_fops, stats_show },
	{ "fragmentation", 0400, &fragmentation_fops, fragmentation_show },
	{ "map", 0400, &map_fops, map_show },
	{ "check", 0400, &check_fops, check_show },
	{ "cache", 0600, &cache_fops, cache_show },
	{ "ctl", 0600, &ctl_fops, ctl_show },
};

/**
 * buddy_debugfs_render() - format one of a pool's files into a buffer
 * @pool: the pool
 * @file: the file's name, e.g. "free_lists"
 * @buf: receives the text, NUL-terminated
 * @len: size of @buf
 *
 * The KUnit suites use this to check the exact text the files show.
 *
 * Context: Process context.
 * Return: 0; -ENOENT for an unknown @file; -EOVERFLOW if @buf is too small;
 * or the error the file's show function returned.
 */
int buddy_debugfs_render(struct buddy_pool *pool, const char *file,
			 char *buf, size_t len)
{
	struct seq_file m = { .buf = buf, .size = len - 1, .private = pool };
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(dbg_files); i++) {
		if (strcmp(dbg_files[i].name, file))
			continue;
		mutex_init(&m.lock);
		ret = dbg_files[i].show(&m, NULL);
		if (!ret && seq_has_overflowed(&m))
			ret = -EOVERFLOW;
		buf[ret ? 0 : m.count] = '\0';
		return ret;
	}
	return -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(buddy_debugfs_render);

void buddy_debugfs_init(void)
{
	buddy_root = debugfs_create_dir("buddy", NULL);
}

void buddy_debugfs_exit(void)
{
	debugfs_remove_recursive(buddy_root);
	buddy_root = NULL;
}

void buddy_debugfs_add(struct buddy_pool *pool)
{
	struct dentry *dir;
	unsigned int i;

	if (IS_ERR_OR_NULL(buddy_root))
		return;
	dir = debugfs_create_dir(pool->name, buddy_root);
	if (IS_ERR(dir))
		return;
	for (i = 0; i < ARRAY_SIZE(dbg_files); i++)
		debugfs_create_file(dbg_files[i].name, dbg_files[i].mode, dir,
				    pool, dbg_files[i].fops);
	pool->dir = dir;
}

/*
 * Remove the pool's directory, which waits for readers and writers still
 * inside its files, then free what was allocated through ctl.
 */
void buddy_debugfs_remove(struct buddy_pool *pool)
{
	struct ctl_alloc *a, *tmp;

	debugfs_remove_recursive(pool->dir);
	pool->dir = NULL;
	mutex_lock(&pool->ctl_lock);
	list_for_each_entry_safe(a, tmp, &pool->ctl, node)
		ctl_release(pool, a);
	mutex_unlock(&pool->ctl_lock);
}
