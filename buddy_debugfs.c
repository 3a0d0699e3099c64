// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/buddy/<pool>/: per-order free lists,
 * statistics, fragmentation indices, a map of the pool, the invariant
 * checker, the per-CPU caches, and a ctl file to allocate and free from a
 * shell.
 *
 * Every reader takes the pool lock once, copies what it needs and formats
 * after dropping it, so a reader never stalls allocation for longer than
 * a memcpy and a pass over the CPUs (the check file alone runs the checker
 * under the lock, on purpose). Offsets, never kernel addresses, are shown.
 *
 * Lock order: pool->ctl_lock, then pool->lock (see buddy_mod.c).
 * Failing to create a file or directory never fails the pool.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

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
};

/*
 * Free blocks of each order, on the free lists or in a cache: what an
 * allocation of that order could be served from without a split.
 */
static void free_counts(const struct buddy_stats *st, u64 *nr)
{
	unsigned int order;

	for (order = 0; order < BUDDY_NR_ORDERS; order++)
		nr[order] = st->free_blocks[order] + st->cached_blocks[order];
}

static int free_lists_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	struct buddy_stats st;
	unsigned int order;

	buddy_pool_snapshot(pool, &st, NULL);
	seq_puts(m, "# order block_size free_blocks cached_blocks free_bytes\n");
	for (order = 0; order <= st.max_order; order++) {
		u64 bsize = (u64)st.min_block << order;
		u64 nr = st.free_blocks[order], cached = st.cached_blocks[order];

		seq_printf(m, "%u %llu %llu %llu %llu\n", order, bsize, nr,
			   cached, (nr + cached) * bsize);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(free_lists);

static int stats_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	u64 meta, corruptions, largest = 0;
	struct buddy_stats st;
	int order;

	buddy_pool_snapshot(pool, &st, &corruptions);
	for (order = st.max_order; order >= 0; order--) {
		if (st.free_blocks[order] + st.cached_blocks[order]) {
			largest = (u64)st.min_block << order;
			break;
		}
	}
	meta = buddy_core_meta_size(st.size, st.min_block) +
	       st.size / st.min_block +
	       pool->nr_chunks * sizeof(*pool->segs) +
	       pool->dir_len * sizeof(*pool->chunk_dir) +
	       num_possible_cpus() * sizeof(struct buddy_pcp);
	seq_printf(m, "size: %llu\n", st.size);
	seq_printf(m, "min_block: %u\n", st.min_block);
	seq_printf(m, "max_order: %u\n", st.max_order);
	seq_printf(m, "free: %llu\n", st.free);
	seq_printf(m, "allocated: %llu\n", st.size - st.free);
	seq_printf(m, "cached: %llu\n", st.cached);
	seq_printf(m, "largest_free_block: %llu\n", largest);
	seq_printf(m, "allocs: %llu\n", st.nr_allocs);
	seq_printf(m, "frees: %llu\n", st.nr_frees);
	seq_printf(m, "failures: %llu\n", st.nr_failed);
	seq_printf(m, "bad_frees: %llu\n", st.nr_bad_frees);
	seq_printf(m, "corruptions: %llu\n", corruptions);
	seq_printf(m, "metadata_bytes: %llu\n", meta);
	seq_printf(m, "chunks: %u\n", pool->nr_chunks);
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
 * or fragmentation (towards 1). Both are in thousandths.
 */
static void frag_indices(const struct buddy_stats *st, const u64 *free,
			 unsigned int order, int *unusable, int *extfrag)
{
	u64 total = 0, pages = 0, suitable = 0;
	unsigned int o;

	for (o = 0; o <= st->max_order; o++) {
		u64 nr = free[o];

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
	struct buddy_pool *pool = m->private;
	u64 nr[BUDDY_NR_ORDERS];
	struct buddy_stats st;
	unsigned int order;

	buddy_pool_snapshot(pool, &st, NULL);
	free_counts(&st, nr);
	seq_puts(m, "# order unusable_index extfrag_index\n");
	for (order = 0; order <= st.max_order; order++) {
		int unusable, extfrag;

		frag_indices(&st, nr, order, &unusable, &extfrag);
		seq_printf(m, "%u", order);
		seq_milli(m, unusable);
		seq_milli(m, extfrag);
		seq_putc(m, '\n');
	}
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
	struct buddy_core c;
	size_t meta_size;
	void *meta;
	int ret;

	meta_size = buddy_core_meta_size(pool->size,
					 buddy_core_min_block(&pool->core));
	meta = kvmalloc(meta_size, GFP_KERNEL);
	owner = kvmalloc(pool->size >> pool->min_shift, GFP_KERNEL);
	if (!meta || !owner) {
		ret = -ENOMEM;
		goto out_free_meta;
	}
	/* Cached blocks are allocated in the core but free to clients. */
	raw_spin_lock_irqsave(&pool->lock, flags);
	ret = buddy_core_snapshot(&pool->core, &c, meta, meta_size);
	memcpy(owner, pool->owner, pool->size >> pool->min_shift);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (ret)
		goto out_free_meta;

	cell = max_t(u64, buddy_core_min_block(&c),
		     roundup_pow_of_two(DIV_ROUND_UP_ULL(c.size,
							 MAP_COLS * MAP_ROWS)));
	ncells = DIV_ROUND_UP_ULL(c.size, cell);
	used = kvcalloc(ncells, sizeof(*used), GFP_KERNEL);
	if (!used) {
		ret = -ENOMEM;
		goto out_free_meta;
	}
	while (buddy_core_next_used(&c, &pos, &blk)) {
		u64 start = blk.off, end = blk.off +
			    (buddy_core_min_block(&c) << blk.order);

		if (!owner[start >> pool->min_shift])
			continue;

		/* Blocks and cells are both powers of two, so nest. */
		for (i = start / cell; i * cell < end; i++)
			used[i] += min(end, (i + 1) * cell) - max(start, i * cell);
	}

	seq_printf(m, "# cell = %llu bytes, %d cells a line; '.' free, '#' allocated, '+' partly allocated\n",
		   cell, MAP_COLS);
	for (i = 0; i < ncells; i++) {
		u64 len = min(cell, c.size - i * cell);

		if (i % MAP_COLS == 0)
			seq_printf(m, "%s0x%08llx ", i ? "\n" : "", i * cell);
		seq_putc(m, !used[i] ? '.' : used[i] == len ? '#' : '+');
	}
	seq_putc(m, '\n');
	kvfree(used);
out_free_meta:
	kvfree(owner);
	kvfree(meta);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(map);

static int check_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	char msg[128];

	if (buddy_pool_check(pool, msg, sizeof(msg)))
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
	unsigned int order, cpu;

	seq_puts(m, "# order high batch cached_per_cpu...\n");
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
 * @cmd: "drain", or "ORDER HIGH BATCH" as for buddy_pool_set_cache(), with
 *	at most one trailing newline; need not be NUL-terminated
 * @count: bytes in @cmd
 *
 * Context: Process context.
 * Return: 0, or -EINVAL (nothing changes) for malformed input or values
 * buddy_pool_set_cache() refuses.
 */
int buddy_debugfs_cache(struct buddy_pool *pool, const char *cmd,
			size_t count)
{
	char buf[CTL_MAX_INPUT + 1], extra;
	unsigned int order, high, batch;

	if (take_line(buf, cmd, count))
		return -EINVAL;
	if (!strcmp(buf, "drain")) {
		buddy_pool_drain(pool);
		return 0;
	}
	if (!isdigit(buf[0]) ||
	    sscanf(buf, "%u %u %u%c", &order, &high, &batch, &extra) != 3)
		return -EINVAL;
	return buddy_pool_set_cache(pool, order, high, batch);
}

static ssize_t cache_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	return write_cmd(file, ubuf, count, buddy_debugfs_cache);
}

static int cache_open(struct inode *inode, struct file *file)
{
	return single_open(file, cache_show, inode->i_private);
}

static const struct file_operations cache_fops = {
	.owner = THIS_MODULE,
	.open = cache_open,
	.read = seq_read,
	.write = cache_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int ctl_show(struct seq_file *m, void *v)
{
	struct buddy_pool *pool = m->private;
	struct ctl_alloc *a;

	mutex_lock(&pool->ctl_lock);
	list_for_each_entry(a, &pool->ctl, node)
		seq_printf(m, "%llu %llu %llu\n", a->id, a->off, a->bytes);
	mutex_unlock(&pool->ctl_lock);
	return 0;
}

static int ctl_alloc(struct buddy_pool *pool, const char *arg)
{
	struct ctl_alloc *a;
	u64 size;

	if (!buddy_parse_size(arg, &size) ||
	    buddy_core_order_for(&pool->core, size) < 0)
		return -EINVAL;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->ptr = buddy_alloc(pool, size, __GFP_NOWARN);
	if (!a->ptr) {
		kfree(a);
		return -ENOMEM;
	}
	a->off = buddy_pool_offset(pool, a->ptr);
	a->bytes = buddy_block_size(pool, a->ptr);
	a->id = ++pool->ctl_next_id;
	list_add_tail(&a->node, &pool->ctl);
	return 0;
}

static int ctl_free(struct buddy_pool *pool, const char *arg)
{
	struct ctl_alloc *a;
	u64 id;

	if (!isdigit(*arg) || kstrtou64(arg, 10, &id))
		return -EINVAL;
	list_for_each_entry(a, &pool->ctl, node) {
		if (a->id == id) {
			buddy_free(pool, a->ptr);
			list_del(&a->node);
			kfree(a);
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * buddy_debugfs_ctl() - carry out one ctl command
 * @pool: the pool
 * @cmd: "alloc SIZE" or "free ID", with at most one trailing newline; need
 *	not be NUL-terminated
 * @count: bytes in @cmd
 *
 * Context: Process context; takes pool->ctl_lock.
 * Return: 0; -EINVAL for malformed input, a bad size or an unknown ID;
 * -ENOMEM when the pool has no block large enough.
 */
int buddy_debugfs_ctl(struct buddy_pool *pool, const char *cmd, size_t count)
{
	char buf[CTL_MAX_INPUT + 1];
	int ret;

	if (take_line(buf, cmd, count))
		return -EINVAL;

	mutex_lock(&pool->ctl_lock);
	if (!strncmp(buf, "alloc ", 6))
		ret = ctl_alloc(pool, buf + 6);
	else if (!strncmp(buf, "free ", 5))
		ret = ctl_free(pool, buf + 5);
	else
		ret = -EINVAL;
	mutex_unlock(&pool->ctl_lock);
	return ret;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	return write_cmd(file, ubuf, count, buddy_debugfs_ctl);
}

static int ctl_open(struct inode *inode, struct file *file)
{
	return single_open(file, ctl_show, inode->i_private);
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.open = ctl_open,
	.read = seq_read,
	.write = ctl_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static const struct {
	const char *name;
	int (*show)(struct seq_file *m, void *v);
} renderers[] = {
	{ "free_lists", free_lists_show },
	{ "stats", stats_show },
	{ "fragmentation", fragmentation_show },
	{ "map", map_show },
	{ "check", check_show },
	{ "cache", cache_show },
	{ "ctl", ctl_show },
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

	for (i = 0; i < ARRAY_SIZE(renderers); i++) {
		if (strcmp(renderers[i].name, file))
			continue;
		mutex_init(&m.lock);
		ret = renderers[i].show(&m, NULL);
		if (!ret && seq_has_overflowed(&m))
			ret = -EOVERFLOW;
		buf[ret ? 0 : m.count] = '\0';
		return ret;
	}
	return -ENOENT;
}

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

	if (IS_ERR_OR_NULL(buddy_root))
		return;
	dir = debugfs_create_dir(pool->name, buddy_root);
	if (IS_ERR(dir))
		return;
	debugfs_create_file("free_lists", 0400, dir, pool, &free_lists_fops);
	debugfs_create_file("stats", 0400, dir, pool, &stats_fops);
	debugfs_create_file("fragmentation", 0400, dir, pool,
			    &fragmentation_fops);
	debugfs_create_file("map", 0400, dir, pool, &map_fops);
	debugfs_create_file("check", 0400, dir, pool, &check_fops);
	debugfs_create_file("cache", 0600, dir, pool, &cache_fops);
	debugfs_create_file("ctl", 0600, dir, pool, &ctl_fops);
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
	list_for_each_entry_safe(a, tmp, &pool->ctl, node) {
		buddy_free(pool, a->ptr);
		list_del(&a->node);
		kfree(a);
	}
	mutex_unlock(&pool->ctl_lock);
}
