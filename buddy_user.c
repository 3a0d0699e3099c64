// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/buddy: blocks of the pools that opted in (BUDDY_POOL_USER) handed
 * to user space as dma-buf file descriptors (include/uapi/buddy.h).
 *
 * A buffer owns one block. Its pages are mapped one by one with
 * vm_insert_pages(), each with its own reference count (the pool splits
 * its chunks), so that get_user_pages() works on the mapping: another
 * process's process_vm_readv(), vmsplice(), O_DIRECT. An importer gets a
 * one-entry sg table mapped for its device, a kernel vmap is the block's
 * direct-map address. The block goes back to its pool when the dma-buf is
 * released and no page is referenced from elsewhere any more (a pipe that
 * a vmsplice() filled, an O_DIRECT read in flight): until then the buffer
 * is parked, and a worker looks again.
 *
 * Every buffer is handed out zeroed. The zeroing is done when a block
 * comes back, not when it goes out, and the block is freed known to be
 * zero, so the allocation that takes it skips the memset. A small block
 * is zeroed by the release; one of SCRUB_ASYNC or more by the scrubber, a
 * worker on the unbound workqueue, so mostly on another CPU than the
 * task that closed the buffer or the one that allocates next. An
 * allocation that finds no block zeroes blocks of its pool still on the
 * scrubber's list itself, then waits for those being zeroed elsewhere,
 * before it gives up; BUDDY_IOC_POOL_INFO does the same first, so that
 * user space sees a closed buffer's bytes free once close() returns.
 *
 * Each buffer holds a reference on its pool (buddy_pool_put()) and, while
 * parked, on the module; the dma-buf holds one on the module while it
 * lives. Its bytes count against the allocating user's RLIMIT_MEMLOCK, in
 * the user's locked_vm as io_uring and RDMA count theirs, unless the
 * opener of /dev/buddy had CAP_IPC_LOCK.
 *
 * Lock order:
 *   the dma-buf's reservation lock (held by the dma-buf core around some
 *   calls on 6.2 and later)
 *     ubuf->lock (mutex: the attachments)
 *       pool->dev_lock (mutex: the pool's device)
 *   parked_lock (mutex: the parked buffers)
 *     scrub_lock (spinlock: the scrubber's list)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "buddy_internal.h"
#include "include/uapi/buddy.h"

MODULE_IMPORT_NS(BUDDY_DMA_BUF_NS);

/* How often a parked buffer's pages are looked at again. */
#define PARK_RETRY	msecs_to_jiffies(100)
/* The most an sg entry holds (its length is an unsigned int). */
#define SG_BYTES	SZ_2G
/* Bytes the scrubber zeroes between two chances to reschedule. */
#define SCRUB_SLICE	SZ_1M
/*
 * Blocks from this size on are zeroed by the scrubber; smaller ones by
 * the release, whose memset then costs less than waking a worker.
 */
#define SCRUB_ASYNC	SZ_256K
/* Pages vm_insert_pages() is handed at a time. */
#define INSERT_BATCH	64

/**
 * struct ubuf - one user buffer: a block and the dma-buf that owns it
 * @pool: the block's pool, of which the buffer holds a reference
 * @addr: the block's kernel address
 * @off: its pool offset
 * @size: the dma-buf's size: the block's, or an exact allocation's
 *	size rounded up to a page
 * @exact: the block is an exact allocation of @size bytes
 * @page: the first of its pages, each with a reference count of its own
 * @user: the user whose locked_vm it is charged to, or NULL
 * @lock: protects @attachments
 * @attachments: the importers' struct uattach
 * @parked: entry on the list of released buffers whose pages are still
 *	referenced from elsewhere
 * @scrub: entry on the scrubber's list of released, idle buffers of
 *	SCRUB_ASYNC bytes or more
 */
struct ubuf {
	struct buddy_pool *pool;
	void *addr;
	u64 off;
	size_t size;
	bool exact;
	struct page *page;
	struct user_struct *user;
	struct mutex lock;	/* see kernel-doc above */
	struct list_head attachments;
	struct list_head parked;
	struct list_head scrub;
};

/* One importer's view: a one-entry sg table, mapped for its device. */
struct uattach {
	struct device *dev;
	struct sg_table sgt;
	struct list_head node;
	bool mapped;
};

static DEFINE_MUTEX(parked_lock);
static LIST_HEAD(parked);
static void retry_parked(struct work_struct *work);
static DECLARE_DELAYED_WORK(park_work, retry_parked);
/*
 * Released buffers whose blocks are yet to be zeroed, oldest first; each
 * counts in its pool's scrubbing until its block is back.
 */
static DEFINE_SPINLOCK(scrub_lock);
static LIST_HEAD(scrub_list);
static void scrub_blocks(struct work_struct *work);
static DECLARE_WORK(scrub_work, scrub_blocks);

/* Charge @pages to @user's locked_vm, within RLIMIT_MEMLOCK. */
static int charge(struct user_struct *user, unsigned long pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur = atomic_long_read(&user->locked_vm), new;

	do {
		new = cur + pages;
		if (new < cur || new > limit)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

static unsigned long ubuf_pages(const struct ubuf *b)
{
	return b->size >> PAGE_SHIFT;
}

/* Is every page of @b referenced by the buffer alone? */
static bool pages_idle(const struct ubuf *b)
{
	unsigned long i;

	for (i = 0; i < ubuf_pages(b); i++)
		if (page_ref_count(nth_page(b->page, i)) != 1)
			return false;
	return true;
}

/*
 * Give @b's block back to its pool, as it was allocated, known to hold
 * only zeros: the caller zeroed it, or nothing wrote to it since it was
 * handed out.
 */
static void put_block(struct ubuf *b)
{
	if (b->exact)
		buddy_free_exact_zeroed(b->pool, b->addr, b->size);
	else
		buddy_free_zeroed(b->pool, b->addr);
}

/* Undo charge() for @b, and drop its user. */
static void uncharge(struct ubuf *b)
{
	atomic_long_sub(ubuf_pages(b), &b->user->locked_vm);
	free_uid(b->user);
}

/*
 * Zero @b's block, a slice at a time, and give it back; for a block that
 * was on the scrubber's list (@listed), tell its pool's waiters. Then drop
 * the pool, which they hold references of their own on.
 */
static void scrub_one(struct ubuf *b, bool listed)
{
	struct buddy_pool *pool = b->pool;
	size_t done, len;

	for (done = 0; done < b->size; done += len) {
		len = min_t(size_t, b->size - done, SCRUB_SLICE);
		memset(b->addr + done, 0, len);
		cond_resched();
	}
	put_block(b);
	atomic64_sub(b->size, &pool->user_bytes);
	if (listed) {
		/* The block is back before a waiter sees the count drop. */
		smp_mb__before_atomic();
		if (atomic_dec_and_test(&pool->scrubbing))
			wake_up_var(&pool->scrubbing);
	}
	mutex_destroy(&b->lock);
	kfree(b);
	buddy_pool_put(pool);
}

/*
 * The oldest buffer on the scrubber's list, of @pool (any pool if NULL),
 * taken off it; NULL if there is none.
 */
static struct ubuf *scrub_pop(struct buddy_pool *pool)
{
	struct ubuf *b;

	spin_lock(&scrub_lock);
	list_for_each_entry(b, &scrub_list, scrub) {
		if (!pool || b->pool == pool) {
			list_del(&b->scrub);
			spin_unlock(&scrub_lock);
			return b;
		}
	}
	spin_unlock(&scrub_lock);
	return NULL;
}

static void scrub_blocks(struct work_struct *work)
{
	struct ubuf *b;

	while ((b = scrub_pop(NULL)))
		scrub_one(b, true);
}

/*
 * Zero and give back the oldest block of @pool on the scrubber's list,
 * here rather than wait for the scrubber; false if there is none.
 */
static bool scrub_own(struct buddy_pool *pool)
{
	struct ubuf *b = scrub_pop(pool);

	if (b)
		scrub_one(b, true);
	return b;
}

/*
 * Have every block of @pool released before the call back: zero those
 * still on the scrubber's list here, then wait for those another task is
 * zeroing. A task that keeps releasing large buffers of @pool meanwhile
 * can prolong the wait, which a fatal signal ends. Return whether any
 * block was waited for.
 */
static bool scrub_wait(struct buddy_pool *pool)
{
	bool any = false;

	while (scrub_own(pool))
		any = true;
	/* Pairs with the barrier before the decrement in scrub_one(). */
	if (!atomic_read_acquire(&pool->scrubbing))
		return any;
	wait_var_event_killable(&pool->scrubbing,
				!atomic_read_acquire(&pool->scrubbing));
	return true;
}

/*
 * @b was released and no page of it is referenced any more: uncharge its
 * user, who holds it no longer, and zero and free it; a large block in
 * the scrubber, where no one waits for it.
 */
static void ubuf_free(struct ubuf *b)
{
	if (b->user)
		uncharge(b);
	b->user = NULL;
	if (b->size < SCRUB_ASYNC) {
		scrub_one(b, false);
		return;
	}
	atomic_inc(&b->pool->scrubbing);
	spin_lock(&scrub_lock);
	list_add_tail(&b->scrub, &scrub_list);
	spin_unlock(&scrub_lock);
	queue_work(system_unbound_wq, &scrub_work);
}

/*
 * buddy_user_flush() - wait for the blocks of released buffers to be back:
 * every buffer released and not parked before the call has its block
 * zeroed and back in its pool when this returns, unless an allocation
 * took it off the scrubber's list and is zeroing it. Sleeps.
 */
void buddy_user_flush(void)
{
	flush_work(&scrub_work);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_user_flush);

static void retry_parked(struct work_struct *work)
{
	struct ubuf *b, *tmp;
	bool more;

	mutex_lock(&parked_lock);
	list_for_each_entry_safe(b, tmp, &parked, parked) {
		if (!pages_idle(b))
			continue;
		list_del(&b->parked);
		ubuf_free(b);
		/* buddy_user_exit() flushes the scrubber after this work. */
		module_put(THIS_MODULE);
	}
	more = !list_empty(&parked);
	mutex_unlock(&parked_lock);
	if (more)
		schedule_delayed_work(&park_work, PARK_RETRY);
}

static void ubuf_release(struct dma_buf *dmabuf)
{
	struct ubuf *b = dmabuf->priv;

	if (pages_idle(b)) {
		ubuf_free(b);
		return;
	}
	/*
	 * A page is referenced from elsewhere (a pipe, an I/O in flight):
	 * the block cannot be handed out again yet. The dma-buf's hold on
	 * the module ends now, so the parked buffer takes one of its own.
	 */
	__module_get(THIS_MODULE);
	mutex_lock(&parked_lock);
	list_add_tail(&b->parked, &parked);
	mutex_unlock(&parked_lock);
	schedule_delayed_work(&park_work, PARK_RETRY);
}

/*
 * The longest sg entry @dev takes for @b: its max segment size and, for a
 * device with a segment boundary, no entry across one; a power of two,
 * at least a page.
 */
static size_t seg_bytes(struct device *dev, const struct ubuf *b)
{
	u64 seg = min_t(u64, dma_get_max_seg_size(dev), SG_BYTES);
	unsigned long boundary = dma_get_seg_boundary(dev);
	phys_addr_t phys = page_to_phys(b->page);

	/*
	 * ULONG_MAX, the default, is no boundary at all; entries no longer
	 * than a boundary's span and than the block's alignment cross none.
	 */
	if (boundary < ULONG_MAX) {
		seg = min_t(u64, seg, (u64)boundary + 1);
		if (phys)
			seg = min_t(u64, seg, BIT_ULL(__ffs64(phys)));
	}
	if (seg < PAGE_SIZE)
		return PAGE_SIZE;
	return rounddown_pow_of_two(seg);
}

static int ubuf_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach)
{
	struct ubuf *b = dmabuf->priv;
	size_t seg = seg_bytes(attach->dev, b);
	struct scatterlist *sg;
	struct uattach *a;
	unsigned int i;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	/*
	 * One entry, the block being contiguous, for a device that takes
	 * segments that long (dma_set_max_seg_size()); else as few as the
	 * device's limits allow, as the DMA API requires.
	 */
	ret = sg_alloc_table(&a->sgt, DIV_ROUND_UP(b->size, seg), GFP_KERNEL);
	if (ret) {
		kfree(a);
		return ret;
	}
	for_each_sgtable_sg(&a->sgt, sg, i)
		sg_set_page(sg, nth_page(b->page, i * (seg >> PAGE_SHIFT)),
			    min_t(size_t, b->size - i * seg, seg), 0);
	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&b->lock);
	list_add(&a->node, &b->attachments);
	mutex_unlock(&b->lock);
	return 0;
}

static void ubuf_detach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attach)
{
	struct ubuf *b = dmabuf->priv;
	struct uattach *a = attach->priv;

	mutex_lock(&b->lock);
	list_del(&a->node);
	mutex_unlock(&b->lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

static struct sg_table *ubuf_map(struct dma_buf_attachment *attach,
				 enum dma_data_direction dir)
{
	struct ubuf *b = attach->dmabuf->priv;
	struct uattach *a = attach->priv;
	int ret;

	ret = dma_map_sgtable(a->dev, &a->sgt, dir, 0);
	if (ret)
		return ERR_PTR(ret);
	mutex_lock(&b->lock);
	a->mapped = true;
	mutex_unlock(&b->lock);
	return &a->sgt;
}

static void ubuf_unmap(struct dma_buf_attachment *attach,
		       struct sg_table *sgt, enum dma_data_direction dir)
{
	struct ubuf *b = attach->dmabuf->priv;
	struct uattach *a = attach->priv;

	mutex_lock(&b->lock);
	a->mapped = false;
	mutex_unlock(&b->lock);
	dma_unmap_sgtable(a->dev, sgt, dir, 0);
}

/* Sync @b for the CPU (@cpu) or for its devices: importers' and pool's. */
static void ubuf_sync(struct ubuf *b, enum dma_data_direction dir, bool cpu)
{
	struct buddy_pool *pool = b->pool;
	struct scatterlist *sg;
	struct uattach *a;
	int i;

	mutex_lock(&b->lock);
	/*
	 * By DMA address: while mapped, the dma-buf core may have scrambled
	 * the table's page links (CONFIG_DMABUF_DEBUG), as importers must not
	 * read them.
	 */
	list_for_each_entry(a, &b->attachments, node) {
		if (!a->mapped)
			continue;
		for_each_sgtable_dma_sg(&a->sgt, sg, i) {
			if (cpu)
				dma_sync_single_for_cpu(a->dev,
							sg_dma_address(sg),
							sg_dma_len(sg), dir);
			else
				dma_sync_single_for_device(a->dev,
							   sg_dma_address(sg),
							   sg_dma_len(sg), dir);
		}
	}
	mutex_lock(&pool->dev_lock);
	if (pool->dev && cpu)
		buddy_dma_sync_for_cpu(pool, b->addr, b->size, dir);
	else if (pool->dev)
		buddy_dma_sync_for_device(pool, b->addr, b->size, dir);
	mutex_unlock(&pool->dev_lock);
	mutex_unlock(&b->lock);
}

static int ubuf_begin_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	ubuf_sync(dmabuf->priv, dir, true);
	return 0;
}

static int ubuf_end_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	ubuf_sync(dmabuf->priv, dir, false);
	return 0;
}

/* A page zapped since mmap() (madvise(MADV_DONTNEED)) comes back. */
static vm_fault_t ubuf_fault(struct vm_fault *vmf)
{
	struct ubuf *b = vmf->vma->vm_private_data;

	if (vmf->pgoff >= ubuf_pages(b))
		return VM_FAULT_SIGBUS;
	vmf->page = nth_page(b->page, vmf->pgoff);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct ubuf_vm_ops = {
	.fault = ubuf_fault,
};

static int ubuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct ubuf *b = dmabuf->priv;
	unsigned long nr = vma_pages(vma), done = 0;
	struct page *pages[INSERT_BATCH];
	int ret;

	/* A private copy of a device's memory is not what anyone wants. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff > ubuf_pages(b) || nr > ubuf_pages(b) - vma->vm_pgoff)
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &ubuf_vm_ops;
	vma->vm_private_data = b;
	while (done < nr) {
		unsigned long n = min_t(unsigned long, nr - done, INSERT_BATCH);
		unsigned long i, left = n;

		for (i = 0; i < n; i++)
			pages[i] = nth_page(b->page, vma->vm_pgoff + done + i);
		ret = vm_insert_pages(vma, vma->vm_start + (done << PAGE_SHIFT),
				      pages, &left);
		if (ret)
			return ret;
		done += n - left;
	}
	return 0;
}

static int ubuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct ubuf *b = dmabuf->priv;

	/* The block lies in the direct map already. */
	iosys_map_set_vaddr(map, b->addr);
	return 0;
}

static void ubuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
}

static const struct dma_buf_ops ubuf_ops = {
	.attach = ubuf_attach,
	.detach = ubuf_detach,
	.map_dma_buf = ubuf_map,
	.unmap_dma_buf = ubuf_unmap,
	.release = ubuf_release,
	.begin_cpu_access = ubuf_begin_cpu,
	.end_cpu_access = ubuf_end_cpu,
	.mmap = ubuf_mmap,
	.vmap = ubuf_vmap,
	.vunmap = ubuf_vunmap,
};

/* -EINVAL for a request no pool can meet; checked before any pool call. */
static int req_error(const struct buddy_ioc_alloc *req)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(req->reserved); i++)
		if (req->reserved[i])
			return -EINVAL;
	if (!req->size || req->flags & ~(BUDDY_TOPDOWN | BUDDY_ALLOC_EXACT |
					 BUDDY_ALLOC_ZERO))
		return -EINVAL;
	if (req->align && !is_power_of_2(req->align))
		return -EINVAL;
	if ((req->start || req->end) &&
	    (req->start >= req->end || !PAGE_ALIGNED(req->start) ||
	     !PAGE_ALIGNED(req->end)))
		return -EINVAL;
	if ((req->flags & BUDDY_ALLOC_EXACT) &&
	    (req->align || req->end || req->flags & BUDDY_TOPDOWN))
		return -EINVAL;
	return 0;
}

/* The bytes a request takes from @pool: its block, or its exact pages. */
static u64 req_bytes(const struct buddy_pool *pool,
		     const struct buddy_ioc_alloc *req)
{
	u64 size = round_up(req->size, PAGE_SIZE);

	if (req->flags & BUDDY_ALLOC_EXACT)
		return size;
	return max_t(u64, roundup_pow_of_two(size), BIT_ULL(pool->min_shift));
}

/* @b's block, as @req asks, zeroed; NULL if @pool has none to give. */
static void *alloc_block(struct buddy_pool *pool, struct ubuf *b,
			 const struct buddy_ioc_alloc *req)
{
	/* Mostly a block the scrubber zeroed, which is not zeroed again. */
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;

	if (b->exact)
		return buddy_alloc_exact(pool, b->size, gfp);
	if (req->align || req->end || req->flags & BUDDY_TOPDOWN)
		return buddy_alloc_range(pool, b->size, req->align,
					 req->start, req->end,
					 req->flags & BUDDY_TOPDOWN, gfp);
	return buddy_alloc(pool, b->size, gfp);
}

/**
 * buddy_user_export() - a block of @pool as a dma-buf, as /dev/buddy makes
 * @pool: a user pool, of which the caller holds a reference; the buffer
 *	takes it over on success
 * @req: the request, checked by req_error(); @req->offset, @req->dma_addr
 *	and @req->phys_addr are filled in
 * @charge_user: count the buffer against the caller's RLIMIT_MEMLOCK
 * @show_addrs: fill in the addresses (else 0)
 *
 * Context: Process context; sleeps.
 * Return: the dma-buf, with one reference; ERR_PTR(-EINVAL) for an
 * alignment or range @pool cannot have, ERR_PTR(-ENOMEM) if the block
 * cannot be had or the limit is reached.
 */
struct dma_buf *buddy_user_export(struct buddy_pool *pool,
				  struct buddy_ioc_alloc *req,
				  bool charge_user, bool show_addrs)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct ubuf *b;
	int ret, pending;

	if (req->align > BIT_ULL(pool->chunk_shift) ||
	    req->end > pool->max_size)
		return ERR_PTR(-EINVAL);
	if (req->size > pool->max_size)
		return ERR_PTR(-ENOMEM);
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	mutex_init(&b->lock);
	INIT_LIST_HEAD(&b->attachments);
	INIT_LIST_HEAD(&b->parked);
	b->pool = pool;
	b->exact = req->flags & BUDDY_ALLOC_EXACT;
	b->size = req_bytes(pool, req);
	if (charge_user) {
		ret = charge(current_user(), ubuf_pages(b));
		if (ret)
			goto out_free;
		b->user = get_uid(current_user());
	}
	ret = -ENOMEM;
	/* Read first: one that comes back after the try below counts here. */
	pending = atomic_read_acquire(&pool->scrubbing);
	b->addr = alloc_block(pool, b, req);
	/* Blocks of this pool yet to be zeroed: zero them here, not wait. */
	while (!b->addr && scrub_own(pool))
		b->addr = alloc_block(pool, b, req);
	/*
	 * Blocks another task is zeroing, or has given back since the first
	 * try: all released before this call.
	 */
	if (!b->addr && (scrub_wait(pool) || pending))
		b->addr = alloc_block(pool, b, req);
	if (!b->addr)
		goto out_uncharge;
	b->off = buddy_pool_offset(pool, b->addr);
	b->page = virt_to_page(b->addr);

	info.ops = &ubuf_ops;
	info.size = b->size;
	info.flags = O_RDWR | O_CLOEXEC;
	info.priv = b;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out_free_block;
	}
	atomic64_add(b->size, &pool->user_bytes);
	req->offset = b->off;
	req->phys_addr = show_addrs ? buddy_phys_addr(pool, b->addr) : 0;
	req->dma_addr = 0;
	mutex_lock(&pool->dev_lock);
	if (show_addrs && pool->dev)
		req->dma_addr = buddy_dma_addr(pool, b->addr);
	mutex_unlock(&pool->dev_lock);
	return dmabuf;

out_free_block:
	put_block(b);
out_uncharge:
	if (b->user)
		uncharge(b);
out_free:
	mutex_destroy(&b->lock);
	kfree(b);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(buddy_user_export);

/* The pool a request names: a NUL within the field, not empty. */
static struct buddy_pool *req_pool(const char *name)
{
	if (!memchr(name, '\0', BUDDY_IOC_NAME_LEN) || !name[0])
		return ERR_PTR(-EINVAL);
	return buddy_pool_get_user(name);
}

static long ioc_alloc(struct file *file, void __user *arg)
{
	struct buddy_ioc_alloc req;
	struct buddy_pool *pool;
	struct dma_buf *dmabuf;
	int fd, ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	ret = req_error(&req);
	if (ret)
		return ret;
	pool = req_pool(req.pool);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		buddy_pool_put(pool);
		return fd;
	}
	dmabuf = buddy_user_export(pool, &req,
				   !file_ns_capable(file, &init_user_ns,
						    CAP_IPC_LOCK),
				   file_ns_capable(file, &init_user_ns,
						   CAP_SYS_ADMIN));
	if (IS_ERR(dmabuf)) {
		put_unused_fd(fd);
		buddy_pool_put(pool);
		return PTR_ERR(dmabuf);
	}
	req.fd = fd;
	if (copy_to_user(arg, &req, sizeof(req))) {
		/* Never installed: the buffer goes with its one reference. */
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}

static long ioc_pool_info(void __user *arg)
{
	struct buddy_ioc_pool_info in;
	struct buddy_stats *st;
	struct buddy_pool *pool;
	unsigned int i;

	if (copy_from_user(&in, arg, sizeof(in)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(in.reserved); i++)
		if (in.reserved[i])
			return -EINVAL;
	pool = req_pool(in.pool);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		buddy_pool_put(pool);
		return -ENOMEM;
	}
	/* The bytes of buffers already closed, back and free. */
	scrub_wait(pool);
	buddy_pool_stats(pool, st);
	in.size = st->size;
	in.free = st->free;
	in.min_block = st->min_block;
	in.largest_free = stats_largest_free(st);
	in.user_bytes = atomic64_read(&pool->user_bytes);
	/* A destroy that buffers outlive may be letting the device go. */
	in.flags = (READ_ONCE(pool->dev) ? BUDDY_INFO_DEVICE : 0) |
		   (pool->region != BUDDY_REGION_CHUNKS ? BUDDY_INFO_CONTIG : 0);
	in.pad = 0;
	kfree(st);
	buddy_pool_put(pool);
	return copy_to_user(arg, &in, sizeof(in)) ? -EFAULT : 0;
}

static long buddy_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case BUDDY_IOC_ALLOC:
		return ioc_alloc(file, (void __user *)arg);
	case BUDDY_IOC_POOL_INFO:
		return ioc_pool_info((void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations buddy_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = buddy_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice buddy_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "buddy",
	.fops = &buddy_fops,
	/* Root's by default; README gives a udev rule for a group. */
	.mode = 0600,
};

/* /dev/buddy, whether or not any pool opted in. */
int buddy_user_init(void)
{
	return misc_register(&buddy_misc);
}

/*
 * Every buffer is released: each held the module while it lived or was
 * parked. The last blocks may still be being zeroed.
 */
void buddy_user_exit(void)
{
	misc_deregister(&buddy_misc);
	cancel_delayed_work_sync(&park_work);
	buddy_user_flush();
}
