// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_edu_test.ko - buddy's device pools against a real DMA engine, the
 * edu device of QEMU (-device edu, hw/misc/edu.c). Its probe refuses bad
 * pool descriptions, makes the page allocator hand out memory the device
 * cannot reach first, creates a device pool with devm_buddy_pool_create()
 * and moves patterns between blocks through the device's buffer. The
 * pool stays, with every block free, until the driver unbinds.
 *
 * edu clamps every address to its own 28 bits, so a block the pool put
 * out of reach, or a wrong device address, moves the wrong bytes, and the
 * byte-for-byte comparison after each round trip fails.
 *
 * With contig_size= it runs instead the tests of a contiguous pool for
 * the device (see test_contig()), best with edu's own mask wide open
 * (-device edu,dma_mask=0xffffffffffffffff) and dma_bits=64; only= picks
 * one of several edu devices.
 *
 * Results: /sys/kernel/debug/buddy_edu_test/results, one "ok N WHAT" or
 * "not ok N WHAT" line per check, "# ..." diagnostics before a failure;
 * also in the kernel log. The module loads even when checks fail.
 *
 * It is also a dma-buf importer, for /dev/buddy's tests: the first device
 * bound with dma_bits=64 (tests=N binds it without running the tests)
 * gets /sys/kernel/debug/buddy_edu_test/import. Writing "FD SEED" there
 * attaches the caller's dma-buf FD to the device, checks that it is one
 * range of device addresses, moves data through its middle and both ends
 * with edu's DMA engine and reads the ends back through a kernel vmap
 * (see import_one()). Writing "FD" alone only attaches and maps it, to
 * count its sg entries, of any exporter. Reading the file gives the last
 * import's "fd=FD size=BYTES entries=N pieces=N result=ERRNO" line:
 * entries as mapped for edu, pieces as the exporter built the table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iosys-map.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include <buddy.h>

#include "../../buddy_compat.h"
#include "../buddy_test_mm.h"

/* The largest page order, and so a pool's chunk. */
#define TOP_ORDER	BUDDY_MAX_PAGE_ORDER
#define CHUNK		(PAGE_SIZE << TOP_ORDER)

/* edu's registers */
#define EDU_ID		0x00
#define EDU_LIVE	0x04
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	BIT(0)
#define EDU_CMD_TO_RAM	BIT(1)
/* The device's 4 KiB buffer, as its DMA engine addresses it. */
#define EDU_BUF		0x40000
/*
 * QEMU 7.2's edu aborts the whole VM on a transfer that ends at the
 * buffer's last byte: every transfer stays in its first half.
 */
#define EDU_BUF_USE	2048
/* Each transfer takes 100 ms of the VM's clock. */
#define XFER_TIMEOUT	(5 * HZ)

#define RESULTS_SIZE	SZ_32K
#define MAX_GRAB	4096	/* top-order blocks taken to arrange */
#define MAX_BIG		64	/* 4 MiB blocks checked */
#define MAX_BIG_DMA	8	/* of which moved through the device */
#define GUARD		16	/* bytes checked on each side of a copy */
#define GROW		(2 * CHUNK)	/* what test_grow() adds and takes back */
/* Free pages a failed pool creation may cost: slab and per-CPU noise. */
#define FREE_SLACK	512

static int dma_bits = 28;
module_param(dma_bits, int, 0444);
MODULE_PARM_DESC(dma_bits, "DMA mask to set, in bits (default 28, edu's own)");

static unsigned long pool_size = SZ_16M;
module_param(pool_size, ulong, 0444);
MODULE_PARM_DESC(pool_size, "Bytes in the device pool (default 16 MiB)");

static int expect_iommu = -1;
module_param(expect_iommu, int, 0444);
MODULE_PARM_DESC(expect_iommu,
		 "1: an IOMMU translates, device addresses differ from physical; 0: they are equal; -1: do not check (default)");

static bool arrange = true;
module_param(arrange, bool, 0444);
MODULE_PARM_DESC(arrange,
		 "First make the page allocator's next large blocks its highest (default Y)");

static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only,
		 "Bind only the edu device of this PCI name, such as 0000:00:04.0 (default: every one)");

static unsigned long contig_size;
module_param(contig_size, ulong, 0444);
MODULE_PARM_DESC(contig_size,
		 "Instead of the other tests, make a contiguous pool of this many bytes for the device and move data through the ends of its one block (default 0: no)");

static unsigned long default_block;
module_param(default_block, ulong, 0444);
MODULE_PARM_DESC(default_block,
		 "With contig_size: also check that a block of this many bytes from buddy's default pool is physically contiguous (default 0: no)");

static bool tests = true;
module_param(tests, bool, 0444);
MODULE_PARM_DESC(tests,
		 "Run the tests when a device binds (default Y); N only binds it, as the importer behind debugfs import with dma_bits=64");

static DEFINE_MUTEX(results_lock);
static char *results;
static size_t results_len;
static unsigned int results_nr, results_lost;
static struct dentry *results_dir;

/*
 * The import file and the device behind it; import_lock also keeps one
 * import at a time in edu's buffer.
 */
static DEFINE_MUTEX(import_lock);
static struct dentry *import_file;
/* The last import's line, under import_lock. */
static char import_last[128];

/* A bound device's state, devm's: it stays for the importer. */
struct edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct buddy_pool *pool;
	u64 mask;
	u32 seed;
	bool dead;			/* a transfer hung: no more DMA */
	unsigned int max_seg;		/* the device's own, back at unbind */
	unsigned int nr_blocks, nr_translated;
	void *big[MAX_BIG];
	struct buddy_stats st;
};

/* A block under test, for copy() and the descriptions. */
struct blk {
	u8 *p;
	size_t size;
	char name[16];
};

static void add_line(const char *line)
{
	size_t len = strlen(line) + 1;

	pr_info("%s\n", line);
	mutex_lock(&results_lock);
	if (results && results_len + len <= RESULTS_SIZE) {
		memcpy(results + results_len, line, len - 1);
		results[results_len + len - 1] = '\n';
		results_len += len;
	} else {
		results_lost++;
	}
	mutex_unlock(&results_lock);
}

static __printf(1, 2) void diag(const char *fmt, ...)
{
	char line[200] = "# ";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + 2, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	add_line(line);
}

/* Record one check; returns @ok. */
static __printf(2, 3) bool report(bool ok, const char *fmt, ...)
{
	char what[160], line[200];
	unsigned int nr;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	mutex_lock(&results_lock);
	nr = ++results_nr;
	mutex_unlock(&results_lock);
	snprintf(line, sizeof(line), "%s %u %s", ok ? "ok" : "not ok", nr,
		 what);
	add_line(line);
	return ok;
}

static int results_show(struct seq_file *m, void *v)
{
	mutex_lock(&results_lock);
	seq_write(m, results, results_len);
	/* A lost line might have been a failure. */
	if (results_lost)
		seq_printf(m, "not ok %u results: %u lines did not fit\n",
			   results_nr + 1, results_lost);
	mutex_unlock(&results_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

/* xorshift32: each seed gives its own stream of bytes. */
static u32 xorshift(u32 x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static void fill(u8 *p, size_t len, u32 seed)
{
	u32 x = seed * 2654435761U | 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = xorshift(x);
		p[i] = x >> 24;
	}
}

/* The first byte of @p that is not @seed's stream (*@want), or @len. */
static size_t differs(const u8 *p, size_t len, u32 seed, u8 *want)
{
	u32 x = seed * 2654435761U | 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = xorshift(x);
		if (p[i] != (u8)(x >> 24)) {
			*want = x >> 24;
			return i;
		}
	}
	return len;
}

/* Run one transfer and wait until edu has done it. */
static int xfer(struct edu *e, u64 src, u64 dst, u32 len, u64 cmd)
{
	unsigned long deadline = jiffies + XFER_TIMEOUT;

	if (e->dead)
		return -EIO;
	writeq(src, e->regs + EDU_DMA_SRC);
	writeq(dst, e->regs + EDU_DMA_DST);
	writeq(len, e->regs + EDU_DMA_CNT);
	writeq(cmd | EDU_CMD_RUN, e->regs + EDU_DMA_CMD);
	while (readq(e->regs + EDU_DMA_CMD) & EDU_CMD_RUN) {
		if (time_after(jiffies, deadline)) {
			/* It may still write; leave it alone from now on. */
			e->dead = true;
			return -ETIMEDOUT;
		}
		msleep(20);
	}
	return 0;
}

static int to_dev(struct edu *e, const void *p, u32 devoff, u32 len)
{
	buddy_dma_sync_for_device(e->pool, p, len, DMA_TO_DEVICE);
	return xfer(e, buddy_dma_addr(e->pool, p), EDU_BUF + devoff, len, 0);
}

static int from_dev(struct edu *e, void *p, u32 devoff, u32 len)
{
	int ret;

	buddy_dma_sync_for_device(e->pool, p, len, DMA_FROM_DEVICE);
	ret = xfer(e, EDU_BUF + devoff, buddy_dma_addr(e->pool, p), len,
		   EDU_CMD_TO_RAM);
	buddy_dma_sync_for_cpu(e->pool, p, len, DMA_FROM_DEVICE);
	return ret;
}

/*
 * Move @len bytes from @s at @soff to @d at @doff through the end of the
 * used half of edu's buffer; then compare every byte, and check the GUARD
 * bytes on each side of the destination, which must not change.
 */
static void copy(struct edu *e, const char *test, const struct blk *s,
		 size_t soff, const struct blk *d, size_t doff, u32 len)
{
	u32 seed = (++e->seed) << 2, devoff = EDU_BUF_USE - len;
	size_t lo = min_t(size_t, doff, GUARD);
	size_t hi = min_t(size_t, d->size - doff - len, GUARD);
	u8 *src = s->p + soff, *dst = d->p + doff, want = 0;
	dma_addr_t sdma = buddy_dma_addr(e->pool, src);
	dma_addr_t ddma = buddy_dma_addr(e->pool, dst);
	size_t bad;
	int ret;

	fill(src, len, seed);
	/* Other streams: stale bytes cannot pass for the copy. */
	fill(dst, len, seed + 1);
	fill(dst - lo, lo, seed + 2);
	fill(dst + len, hi, seed + 3);
	ret = to_dev(e, src, devoff, len);
	if (!ret)
		ret = from_dev(e, dst, devoff, len);
	bad = ret ? 0 : differs(dst, len, seed, &want);
	if (ret) {
		diag("transfer failed: %d", ret);
	} else if (bad < len) {
		diag("byte %zu of %u is %#04x, expected %#04x; from %pad to %pad",
		     bad, len, dst[bad], want, &sdma, &ddma);
		ret = -EIO;
	} else if (differs(dst - lo, lo, seed + 2, &want) < lo ||
		   differs(dst + len, hi, seed + 3, &want) < hi) {
		diag("a byte beside the destination changed");
		ret = -EIO;
	}
	report(!ret, "%s: %u bytes from %s+%zu to %s+%zu through edu+%u",
	       test, len, s->name, soff, d->name, doff, devoff);
}

/*
 * Check that the device can reach all of block @b, at addresses that run
 * on through the block, and that they are physical ones unless an IOMMU
 * translates.
 */
static bool check_block(struct edu *e, const char *test, const struct blk *b)
{
	dma_addr_t dma = buddy_dma_addr(e->pool, b->p);
	dma_addr_t last = buddy_dma_addr(e->pool, b->p + b->size - 1);
	phys_addr_t phys = buddy_phys_addr(e->pool, b->p);
	bool ok, same = (u64)dma == (u64)phys;

	e->nr_blocks++;
	e->nr_translated += !same;
	ok = dma != DMA_MAPPING_ERROR && last == dma + b->size - 1 &&
	     last <= e->mask && (expect_iommu != 0 || same);
	if (!ok)
		diag("%s: device addresses %pad to %pad, physical %pa, mask %#llx",
		     b->name, &dma, &last, &phys, e->mask);
	return report(ok, "%s: %s is where the device reaches it%s", test,
		      b->name, expect_iommu == 0 ? ", at its physical address" : "");
}

/* An allocation into @b, checked; false if there is none. */
static bool take(struct edu *e, const char *test, struct blk *b, void *p)
{
	b->p = p;
	if (!p)
		return report(false, "%s: %s allocated", test, b->name);
	return check_block(e, test, b);
}

/* Did @pool fail with @err? A pool made by mistake goes again. */
static bool refused(struct buddy_pool *pool, int err)
{
	if (!IS_ERR(pool)) {
		diag("a pool was made");
		buddy_pool_destroy(pool);
		return false;
	}
	if (PTR_ERR(pool) != err) {
		diag("got %pe, expected %d", pool, err);
		return false;
	}
	return true;
}

static void test_bad_input(struct edu *e)
{
	static const struct {
		unsigned int flags;
		phys_addr_t phys;
		int err;
		size_t max_size;
	} cases[] = {
		/* A contiguous pool cannot grow. */
		{ BUDDY_POOL_CONTIG, 0, -EOPNOTSUPP, 2 * CHUNK },
		{ 0x8, 0, -EINVAL },
		/* A region set aside at boot is for the CPU only. */
		{ 0, 0x1000, -EOPNOTSUPP },
	};
	struct device *dev = &e->pdev->dev;
	struct buddy_pool_info info = {
		.name = "edu-bad",
		.size = CHUNK,
		.dev = dev,
		.node = NUMA_NO_NODE,
	};
	struct buddy_pool *pool;
	unsigned int i;
	long before, after;
	int ret;

	report(refused(buddy_pool_create_full(NULL), -EINVAL),
	       "a: no pool info is refused with -EINVAL");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		info.flags = cases[i].flags;
		info.phys = cases[i].phys;
		info.max_size = cases[i].max_size;
		report(refused(buddy_pool_create_full(&info), cases[i].err),
		       "a: flags %#x, phys %pa, max_size %zu is refused with %d",
		       info.flags, &info.phys, info.max_size, cases[i].err);
	}
	info.max_size = 0;

	/* 16 MiB lie below 24 bits, of which the kernel holds some. */
	before = buddy_test_free_pages();
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(24));
	if (!report(!ret, "a: a 24-bit DMA mask is accepted"))
		return;
	info.name = "edu-24bit";
	info.size = SZ_64M;
	info.flags = 0;
	info.phys = 0;
	pool = buddy_pool_create_full(&info);
	ret = dma_set_mask_and_coherent(dev, e->mask);
	/*
	 * Behind an IOMMU in lazy mode the failed pool's I/O addresses are
	 * freed by a timer, and until then the IOVA allocator fails at once
	 * any request below 4 GiB as large as the one that failed (its
	 * max32_alloc_size): the real pool would find no room.
	 */
	msleep(100);
	report(refused(pool, -ENOMEM),
	       "a: a 64 MiB pool below a 24-bit mask fails with -ENOMEM");
	report(!ret, "a: the %d-bit mask is back", dma_bits);
	after = buddy_test_free_pages();
	if (before - after > FREE_SLACK)
		diag("%ld free pages before, %ld after", before, after);
	report(before - after <= FREE_SLACK,
	       "a: the failed pool gave its memory back");
}

static int cmp_pfn(const void *a, const void *b)
{
	unsigned long x = page_to_pfn(*(struct page * const *)a);
	unsigned long y = page_to_pfn(*(struct page * const *)b);

	return x < y ? -1 : x > y;
}

/*
 * Make the page allocator's next top-order blocks its highest, so that
 * the pool's alloc_pages() gets memory beyond the device's reach and has
 * to search below it: take every top-order block there is, and free them
 * lowest first. A block of the top order is freed to the head of its
 * list, so the highest ends up first in line.
 */
static void test_arrange(struct edu *e)
{
	struct page **pages, *page;
	unsigned int n = 0, i;
	phys_addr_t phys = 0;
	bool ok;

	pages = kvmalloc_array(MAX_GRAB, sizeof(*pages), GFP_KERNEL);
	if (!report(pages, "b: room to arrange the page allocator"))
		return;
	while (n < MAX_GRAB) {
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				   TOP_ORDER);
		if (!page)
			break;
		pages[n++] = page;
		cond_resched();
	}
	sort(pages, n, sizeof(*pages), cmp_pfn, NULL);
	/* Poisoning a GiB on free takes seconds on a debug kernel. */
	for (i = 0; i < n; i++) {
		__free_pages(pages[i], TOP_ORDER);
		cond_resched();
	}
	kvfree(pages);

	page = alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN, TOP_ORDER);
	if (page) {
		phys = page_to_phys(page);
		__free_pages(page, TOP_ORDER);
	}
	ok = page && phys + CHUNK - 1 > e->mask;
	if (!ok)
		diag("took and freed %u blocks; the next is at %pa, mask %#llx",
		     n, &phys, e->mask);
	report(ok, "b: arranged: the next 4 MiB block is above the mask");
}

static bool test_create(struct edu *e)
{
	struct device *dev = &e->pdev->dev;
	struct buddy_pool_info info = {
		.name = "edu",
		.size = pool_size,
		/* Room for test_grow()'s chunks. */
		.max_size = pool_size + GROW,
		.dev = dev,
		.node = NUMA_NO_NODE,
	};
	struct buddy_pool *pool = devm_buddy_pool_create(dev, &info);

	if (IS_ERR(pool))
		diag("devm_buddy_pool_create: %pe", pool);
	else
		e->pool = pool;
	return report(!IS_ERR(pool), "c: devm_buddy_pool_create: %lu KiB for %s",
		      pool_size >> 10, pci_name(e->pdev));
}

/*
 * Every chunk as one largest block: each within reach, and data moved
 * from each to the next through the device. The first stays allocated
 * for test_dma().
 */
static bool test_chunks(struct edu *e)
{
	unsigned int n = 0, i, want = min_t(unsigned long, pool_size / CHUNK,
					    MAX_BIG);
	struct blk s = { .size = CHUNK }, d = { .size = CHUNK };
	void *p;

	while (n < MAX_BIG &&
	       (p = buddy_alloc(e->pool, CHUNK, GFP_KERNEL | __GFP_NOWARN)))
		e->big[n++] = p;
	if (!report(n && n == want, "d: the pool holds %u blocks of 4 MiB, one a chunk",
		    want))
		diag("got %u", n);
	for (i = 0; i < n; i++) {
		s.p = e->big[i];
		snprintf(s.name, sizeof(s.name), "4M-%u", i);
		check_block(e, "d", &s);
	}
	for (i = 0; i < min(n, MAX_BIG_DMA); i++) {
		s.p = e->big[i];
		d.p = e->big[(i + 1) % n];
		snprintf(s.name, sizeof(s.name), "4M-%u", i);
		snprintf(d.name, sizeof(d.name), "4M-%u", (i + 1) % n);
		copy(e, "d", &s, (i % 4) * SZ_1M + SZ_64K + 7, &d,
		     SZ_2M + i * SZ_4K + 3, EDU_BUF_USE - 64 * i);
	}
	/* A hung device may still write: keep what it could write to. */
	for (i = 1; i < n && !e->dead; i++)
		buddy_free(e->pool, e->big[i]);
	return n && !e->dead;
}

static unsigned int chunk_of(struct edu *e, const void *p)
{
	return buddy_pool_offset(e->pool, p) >> ilog2(CHUNK);
}

/*
 * Transfers to and from the ends of the largest block and blocks of every
 * kind of allocation; then everything goes back and the pool must be
 * whole.
 */
static void test_dma(struct edu *e)
{
	struct blk big = { e->big[0], CHUNK, "4M-0" };
	struct blk small = { .size = SZ_8K, .name = "8K" };
	struct blk ex = { .size = 12 * SZ_1K, .name = "12K-exact" };
	struct blk rg = { .size = SZ_64K, .name = "64K-range" };
	struct blk dm = { .size = SZ_16K, .name = "16K-dma" };
	struct buddy_pool *pool = e->pool;
	unsigned long chunks = 0;
	unsigned int nr_chunks;
	u64 off, top = 0;
	dma_addr_t dma;
	bool all;

	all = take(e, "e", &small, buddy_alloc(pool, small.size, GFP_KERNEL));
	all &= take(e, "e", &ex, buddy_alloc_exact(pool, ex.size, GFP_KERNEL));
	all &= take(e, "e", &rg, buddy_alloc_range(pool, rg.size, SZ_64K, 0, 0,
						   BUDDY_TOPDOWN, GFP_KERNEL));
	all &= take(e, "e", &dm, buddy_alloc_dma(pool, dm.size, &dma,
						 GFP_KERNEL));
	if (dm.p && !report(dma == buddy_dma_addr(pool, dm.p),
			    "e: buddy_alloc_dma gives the block's device address"))
		all = false;
	if (!all)
		goto out_free;

	off = buddy_pool_offset(pool, rg.p);
	top = max3(buddy_pool_offset(pool, big.p),
		   buddy_pool_offset(pool, small.p),
		   buddy_pool_offset(pool, ex.p));
	if (!report(off % SZ_64K == 0 && off > top,
		    "e: the top-down range block is aligned and above the others"))
		diag("at %#llx, others up to %#llx", off, top);
	__set_bit(chunk_of(e, big.p) % BITS_PER_LONG, &chunks);
	__set_bit(chunk_of(e, small.p) % BITS_PER_LONG, &chunks);
	__set_bit(chunk_of(e, ex.p) % BITS_PER_LONG, &chunks);
	__set_bit(chunk_of(e, rg.p) % BITS_PER_LONG, &chunks);
	__set_bit(chunk_of(e, dm.p) % BITS_PER_LONG, &chunks);
	nr_chunks = hweight_long(chunks);
	report(nr_chunks >= 2, "e: the blocks lie in %u chunks", nr_chunks);

	/* The first and last 4 KiB of the largest block as sources... */
	copy(e, "e", &big, 0, &small, 0, EDU_BUF_USE);
	copy(e, "e", &big, SZ_2K, &rg, SZ_64K - SZ_2K, EDU_BUF_USE);
	copy(e, "e", &big, CHUNK - SZ_4K, &ex, ex.size - SZ_2K, EDU_BUF_USE);
	copy(e, "e", &big, CHUNK - SZ_2K, &dm, 0, EDU_BUF_USE);
	/* ...and as destinations. */
	copy(e, "e", &small, SZ_2K, &big, 0, EDU_BUF_USE);
	copy(e, "e", &rg, 0, &big, SZ_2K, EDU_BUF_USE);
	copy(e, "e", &ex, ex.size - SZ_2K, &big, CHUNK - SZ_4K, EDU_BUF_USE);
	copy(e, "e", &dm, SZ_4K, &big, CHUNK - SZ_2K, EDU_BUF_USE);
	/* Odd addresses and length, mid-buffer in the device. */
	copy(e, "e", &small, SZ_4K + 3, &rg, SZ_8K + 5, 1000);

	/* A block freed and allocated again is mapped all the same. */
	buddy_free(pool, dm.p);
	strscpy(dm.name, "16K-dma-again", sizeof(dm.name));
	if (take(e, "e", &dm, buddy_alloc_dma(pool, dm.size, &dma, GFP_KERNEL)))
		copy(e, "e", &big, CHUNK - SZ_2K, &dm, dm.size - SZ_2K,
		     EDU_BUF_USE);

out_free:
	if (expect_iommu == 1)
		report(e->nr_translated,
		       "e: an IOMMU translates: %u of %u blocks have a device address that is not physical",
		       e->nr_translated, e->nr_blocks);
	/* A hung device may still write: keep what it could write to. */
	if (e->dead)
		return;
	buddy_free(pool, big.p);
	if (small.p)
		buddy_free(pool, small.p);
	if (ex.p)
		buddy_free_exact(pool, ex.p, ex.size);
	if (rg.p)
		buddy_free(pool, rg.p);
	if (dm.p)
		buddy_free(pool, dm.p);
	buddy_pool_stats(pool, &e->st);
	if (!report(e->st.free == e->st.size && e->st.size == pool_size &&
		    !e->st.nr_bad_frees,
		    "f: all blocks freed, the pool is whole"))
		diag("size %llu, free %llu, bad frees %llu, in flight %llu",
		     e->st.size, e->st.free, e->st.nr_bad_frees,
		     e->st.in_flight);
}

/*
 * Chunks that join the pool later are mapped as they come, and unmapped
 * as they go: data moves through a block in each new chunk, and at
 * unbind DMA_API_DEBUG reports any mapping shrink left behind.
 */
static void test_grow(struct edu *e)
{
	struct blk s = { .size = CHUNK, .name = "4M-new" };
	struct blk d = { .size = CHUNK, .name = "4M-other" };
	unsigned int n = 0, i, moved = 0;
	size_t released;
	void *p;
	int ret;

	ret = buddy_pool_grow(e->pool, GROW);
	if (!report(!ret, "g: buddy_pool_grow adds %lu MiB", GROW >> 20)) {
		diag("buddy_pool_grow: %d", ret);
		return;
	}
	while (n < MAX_BIG &&
	       (p = buddy_alloc(e->pool, CHUNK, GFP_KERNEL | __GFP_NOWARN)))
		e->big[n++] = p;
	report(n == (pool_size + GROW) / CHUNK,
	       "g: the grown pool holds %lu blocks of 4 MiB",
	       (pool_size + GROW) / CHUNK);
	for (i = 0; i < n && n > 1; i++) {
		if (buddy_pool_offset(e->pool, e->big[i]) < pool_size)
			continue;
		s.p = e->big[i];
		d.p = e->big[(i + 1) % n];
		check_block(e, "g", &s);
		copy(e, "g", &s, CHUNK - SZ_2K, &d, SZ_4K, EDU_BUF_USE);
		moved++;
	}
	report(moved == GROW / CHUNK, "g: data moved through each new chunk");
	if (e->dead)
		return;
	for (i = 0; i < n; i++)
		buddy_free(e->pool, e->big[i]);
	released = buddy_pool_shrink(e->pool, GROW);
	if (!report(released == GROW, "g: buddy_pool_shrink gives the %lu MiB back",
		    GROW >> 20))
		diag("released %zu", released);
}

/* Does this look like edu, and does it answer? */
static bool test_edu(struct edu *e)
{
	u32 id = readl(e->regs + EDU_ID), live;

	writel(0x5a0ff0a5, e->regs + EDU_LIVE);
	live = readl(e->regs + EDU_LIVE);
	if ((id & 0xff) != 0xed || live != ~0x5a0ff0a5U)
		diag("id %#x, liveness %#x", id, live);
	return report((id & 0xff) == 0xed && live == ~0x5a0ff0a5U,
		      "edu answers: id and liveness registers");
}

static int setup(struct edu *e, struct pci_dev *pdev)
{
	int ret;

	e->pdev = pdev;
	ret = pcim_enable_device(pdev);
	if (ret) {
		diag("pcim_enable_device: %d", ret);
		return ret;
	}
	/* edu's DMA does nothing without bus mastering. */
	pci_set_master(pdev);
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret) {
		diag("pcim_iomap_regions: %d", ret);
		return ret;
	}
	e->regs = pcim_iomap_table(pdev)[0];
	if (dma_bits < 12 || dma_bits > 64) {
		diag("dma_bits=%d is not 12 to 64", dma_bits);
		return -EINVAL;
	}
	e->mask = DMA_BIT_MASK(dma_bits);
	ret = dma_set_mask_and_coherent(&pdev->dev, e->mask);
	if (ret)
		diag("dma_set_mask_and_coherent: %d", ret);
	return ret;
}

/*
 * A block of @default_block bytes from buddy's default pool (insmod
 * buddy.ko contig=1): one run of pages, every byte of which holds what was
 * written, at the physical address buddy_phys_addr() gives.
 */
static void test_default_block(void)
{
	struct buddy_pool *pool = buddy_default_pool();
	u64 *p, i, n = default_block / sizeof(u64), bad = n;
	unsigned long gaps;

	p = buddy_alloc(pool, default_block, GFP_KERNEL | __GFP_NOWARN);
	if (!report(p, "p: a %lu MiB block from the default pool",
		    default_block >> 20))
		return;
	gaps = buddy_test_pfn_gaps(p, default_block);
	if (gaps)
		diag("%lu of %lu pages do not follow the first", gaps,
		     default_block >> PAGE_SHIFT);
	report(!gaps, "p: each of its %lu pages has the next pfn",
	       default_block >> PAGE_SHIFT);
	report(buddy_phys_addr(pool, p) == page_to_phys(virt_to_page(p)),
	       "p: buddy_phys_addr() is its first page's");
	for (i = 0; i < n; i++)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < n && bad == n; i++)
		if (p[i] != i * 0x9e3779b97f4a7c15ULL)
			bad = i;
	if (bad < n)
		diag("word %llu of %llu does not hold what was written", bad, n);
	report(bad == n, "p: a pattern over all of it reads back");
	buddy_free(pool, p);
}

/*
 * A contiguous pool of @contig_size bytes for the device: its one block
 * is one run of pages, with one range of device addresses, and data moves
 * to and from its last 4 KiB through the device.
 */
static void test_contig(struct edu *e)
{
	struct device *dev = &e->pdev->dev;
	struct buddy_pool_info info = {
		.name = "edu",
		.size = contig_size,
		.dev = dev,
		.node = NUMA_NO_NODE,
		.flags = BUDDY_POOL_CONTIG,
	};
	struct blk b = { .size = contig_size, .name = "block" };
	size_t end = contig_size;
	unsigned long gaps;

	e->pool = devm_buddy_pool_create(dev, &info);
	if (!report(!IS_ERR(e->pool), "c: a contiguous pool of %lu MiB for the device",
		    contig_size >> 20)) {
		diag("devm_buddy_pool_create: %pe", e->pool);
		return;
	}
	b.p = buddy_alloc(e->pool, contig_size, GFP_KERNEL | __GFP_NOWARN);
	if (!report(b.p, "c: one block of all of it"))
		return;
	gaps = buddy_test_pfn_gaps(b.p, contig_size);
	if (gaps)
		diag("%lu pages do not follow the first", gaps);
	report(!gaps, "c: each of its pages has the next pfn");
	check_block(e, "c", &b);
	/* To the start, to the very end, and back into the last 4 KiB. */
	copy(e, "c", &b, end - SZ_4K, &b, 0, EDU_BUF_USE);
	copy(e, "c", &b, 0, &b, end - EDU_BUF_USE, EDU_BUF_USE);
	copy(e, "c", &b, end / 2 + 5, &b, end - SZ_4K, EDU_BUF_USE);
	/* A hung device may still write: keep what it could write to. */
	if (!e->dead)
		buddy_free(e->pool, b.p);
}

/* Bytes the importer moves and checks at each place: a page. */
#define IMPORT_LEN	SZ_4K

/*
 * The word at byte offset @o of an imported buffer: seed + o where the
 * importer writes, ~(seed + o) where user space did.
 */
static u32 import_word(u32 seed, size_t o, bool inverted)
{
	u32 v = seed + (u32)o;

	return inverted ? ~v : v;
}

/*
 * The index of the first word of @p, a copy of IMPORT_LEN bytes from
 * buffer offset @off, that does not hold import_word(); IMPORT_LEN / 4 if
 * all do.
 */
static size_t import_bad(const u32 *p, size_t off, u32 seed, bool inverted)
{
	size_t i;

	for (i = 0; i < IMPORT_LEN / 4; i++)
		if (p[i] != import_word(seed, off + 4 * i, inverted))
			break;
	return i;
}

static bool import_check(const u32 *p, size_t off, u32 seed, bool inverted,
			 const char *how)
{
	size_t i = import_bad(p, off, seed, inverted);

	if (i == IMPORT_LEN / 4)
		return true;
	pr_err("import: %s: the word at offset %zu is %#x, expected %#x\n",
	       how, off + 4 * i, p[i], import_word(seed, off + 4 * i, inverted));
	return false;
}

/*
 * Move @len bytes from device address @src to @dst through edu's buffer,
 * at most EDU_BUF_USE bytes at a time.
 */
static int import_move(struct edu *e, u64 src, u64 dst, u32 len)
{
	u32 o, n;
	int ret;

	for (o = 0; o < len; o += n) {
		n = min_t(u32, len - o, EDU_BUF_USE);
		ret = xfer(e, src + o, EDU_BUF, n, 0);
		if (ret)
			return ret;
		ret = xfer(e, EDU_BUF, dst + o, n, EDU_CMD_TO_RAM);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * With edu's DMA engine: the middle page of the @size bytes at device
 * address @dma into @bounce (at @bdma), where user space's words must be;
 * then seed + o from @bounce over the first and the last page.
 */
static int import_dma(struct edu *e, dma_addr_t dma, size_t size, u32 seed,
		      u32 *bounce, dma_addr_t bdma)
{
	size_t ends[] = { 0, size - IMPORT_LEN }, mid = size / 2, o;
	unsigned int i;
	int ret;

	ret = import_move(e, dma + mid, bdma, IMPORT_LEN);
	if (ret) {
		pr_err("import: edu DMA from the middle of the buffer: %d\n",
		       ret);
		return ret;
	}
	if (!import_check(bounce, mid, seed, true, "through edu"))
		return -EIO;
	for (i = 0; i < ARRAY_SIZE(ends); i++) {
		for (o = 0; o < IMPORT_LEN; o += 4)
			bounce[o / 4] = import_word(seed, ends[i] + o, false);
		ret = import_move(e, bdma, dma + ends[i], IMPORT_LEN);
		if (ret) {
			pr_err("import: edu DMA to offset %zu of the buffer: %d\n",
			       ends[i], ret);
			return ret;
		}
	}
	return 0;
}

/*
 * Through a kernel vmap of @dmabuf, between begin and end of CPU access:
 * its first and last pages hold what import_dma() wrote. @copy takes a
 * page of it at a time.
 */
static int import_vmap(struct dma_buf *dmabuf, u32 seed, u32 *copy)
{
	size_t ends[] = { 0, dmabuf->size - IMPORT_LEN };
	struct iosys_map map;
	unsigned int i;
	int ret, end;

	ret = buddy_dma_buf_vmap_unlocked(dmabuf, &map);
	if (ret) {
		pr_err("import: dma_buf_vmap: %d\n", ret);
		return ret;
	}
	ret = dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE);
	if (ret) {
		pr_err("import: dma_buf_begin_cpu_access: %d\n", ret);
		goto out_vunmap;
	}
	for (i = 0; i < ARRAY_SIZE(ends) && !ret; i++) {
		iosys_map_memcpy_from(copy, &map, ends[i], IMPORT_LEN);
		if (!import_check(copy, ends[i], seed, false, "through the vmap"))
			ret = -EIO;
	}
	end = dma_buf_end_cpu_access(dmabuf, DMA_FROM_DEVICE);
	if (end) {
		pr_err("import: dma_buf_end_cpu_access: %d\n", end);
		ret = ret ?: end;
	}
out_vunmap:
	buddy_dma_buf_vunmap_unlocked(dmabuf, &map);
	return ret;
}

/*
 * Import the caller's dma-buf @fd for edu: it must be one range of device
 * addresses covering the buffer; edu reads user space's words from its
 * middle page and writes the importer's over its first and last, which a
 * kernel vmap must then show. Everything is undone before it returns.
 */
static int import_one(struct edu *e, int fd, u32 seed, bool count_only)
{
	struct device *dev = &e->pdev->dev;
	struct dma_buf_attachment *attach;
	struct scatterlist *sg;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	dma_addr_t dma = 0, bdma;
	unsigned int len = 0;
	u64 total = 0;
	u32 *bounce;
	int i, ret;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		pr_err("import: dma_buf_get(%d): %pe\n", fd, dmabuf);
		return PTR_ERR(dmabuf);
	}
	if (!count_only &&
	    (dmabuf->size < 2 * IMPORT_LEN || !PAGE_ALIGNED(dmabuf->size))) {
		pr_err("import: the buffer has %zu bytes: expected whole pages, at least %u\n",
		       dmabuf->size, 2 * IMPORT_LEN);
		ret = -EINVAL;
		goto out_put;
	}
	attach = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(attach)) {
		pr_err("import: dma_buf_attach: %pe\n", attach);
		ret = PTR_ERR(attach);
		goto out_put;
	}
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		pr_err("import: dma_buf_map_attachment: %pe\n", sgt);
		ret = PTR_ERR(sgt);
		goto out_detach;
	}
	/* Not sg_page(): CONFIG_DMABUF_DEBUG scrambles it for importers. */
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (!i) {
			dma = sg_dma_address(sg);
			len = sg_dma_len(sg);
		}
		total += sg_dma_len(sg);
	}
	scnprintf(import_last, sizeof(import_last),
		  "fd=%d size=%zu entries=%u pieces=%u", fd, dmabuf->size,
		  sgt->nents, sgt->orig_nents);
	if (count_only) {
		ret = 0;
		goto out_unmap;
	}
	if (sgt->nents != 1 || len < dmabuf->size) {
		pr_err("import: %u DMA entries, %llu bytes in all, the first %u bytes at %pad, for a buffer of %zu bytes: expected one entry covering it\n",
		       sgt->nents, total, len, &dma, dmabuf->size);
		ret = -EINVAL;
		goto out_unmap;
	}
	bounce = dma_alloc_coherent(dev, IMPORT_LEN, &bdma,
				    GFP_KERNEL | __GFP_NOWARN);
	if (!bounce) {
		pr_err("import: dma_alloc_coherent of a page for edu: -ENOMEM\n");
		ret = -ENOMEM;
		goto out_unmap;
	}
	ret = import_dma(e, dma, dmabuf->size, seed, bounce, bdma);
	if (!ret)
		ret = import_vmap(dmabuf, seed, bounce);
	if (!ret)
		pr_info("import: fd %d, %zu bytes at %pad, seed %u: ok\n", fd,
			dmabuf->size, &dma, seed);
	dma_free_coherent(dev, IMPORT_LEN, bounce, bdma);
out_unmap:
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
out_detach:
	dma_buf_detach(dmabuf, attach);
out_put:
	dma_buf_put(dmabuf);
	return ret;
}

/*
 * "FD SEED\n" (the full import) or "FD\n" (attach and map only), decimal,
 * from the process whose FD it is.
 */
static ssize_t import_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct edu *e = file->private_data;
	char buf[32], extra;
	u32 seed = 0;
	int fd, ret, n;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%d %u %c", &fd, &seed, &extra);
	/* "FD" alone, not "FD" and a SEED that is no number. */
	if (n == 1 && sscanf(buf, "%d %c", &fd, &extra) != 1)
		n = 0;
	if (n != 1 && n != 2) {
		pr_err("import: expected \"FD SEED\" or \"FD\", got \"%s\"\n",
		       strim(buf));
		return -EINVAL;
	}
	mutex_lock(&import_lock);
	import_last[0] = '\0';
	ret = import_one(e, fd, seed, n == 1);
	/* After the counts, if the import got that far. */
	scnprintf(import_last + strlen(import_last),
		  sizeof(import_last) - strlen(import_last), "%sresult=%d\n",
		  import_last[0] ? " " : "", ret);
	mutex_unlock(&import_lock);
	return ret ? ret : count;
}

/* The last import's line. */
static ssize_t import_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char buf[sizeof(import_last)];

	mutex_lock(&import_lock);
	strscpy(buf, import_last, sizeof(buf));
	mutex_unlock(&import_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, strlen(buf));
}

static const struct file_operations import_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = import_write,
	.read = import_read,
	.llseek = noop_llseek,
};

/* Before devm unmaps the registers the import file uses. */
static void import_remove(void *data)
{
	struct edu *e = data;
	struct dentry *file;

	mutex_lock(&import_lock);
	file = import_file;
	import_file = NULL;
	mutex_unlock(&import_lock);
	/* Outside the lock: it waits for a write in progress, which holds it. */
	debugfs_remove(file);
	dma_set_max_seg_size(&e->pdev->dev, e->max_seg);
}

/*
 * Make the import file for @e, unless another device has it. The
 * exporter's one-entry sg table is mapped for the device, which must
 * then take a segment of any length.
 */
static int add_importer(struct edu *e)
{
	struct device *dev = &e->pdev->dev;

	mutex_lock(&import_lock);
	if (import_file) {
		mutex_unlock(&import_lock);
		pr_info("%s: not the importer, another device is\n",
			pci_name(e->pdev));
		return 0;
	}
	e->max_seg = dma_get_max_seg_size(dev);
	dma_set_max_seg_size(dev, UINT_MAX);
	import_file = debugfs_create_file("import", 0600, results_dir, e,
					  &import_fops);
	mutex_unlock(&import_lock);
	pr_info("%s: the importer: write \"FD SEED\" to import\n",
		pci_name(e->pdev));
	return devm_add_action_or_reset(dev, import_remove, e);
}

static void run_tests(struct edu *e)
{
	if (contig_size) {
		test_contig(e);
		if (default_block)
			test_default_block();
		return;
	}
	test_bad_input(e);
	/* Nothing between arranging and creating, so that it holds. */
	if (arrange)
		test_arrange(e);
	if (test_create(e) && test_chunks(e)) {
		test_dma(e);
		if (!e->dead)
			test_grow(e);
	}
}

static int probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *e;
	int ret;

	/* Another edu, for another run of the tests. */
	if (only && strcmp(pci_name(pdev), only))
		return -ENODEV;
	e = devm_kzalloc(&pdev->dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	ret = setup(e, pdev);
	if (!report(!ret, "%s: enabled, BAR0 mapped, %d-bit DMA mask",
		    pci_name(pdev), dma_bits))
		return ret;
	if (!test_edu(e))
		return 0;
	if (tests)
		run_tests(e);
	/* Only a 64-bit mask reaches any buffer an exporter hands out. */
	return dma_bits == 64 ? add_importer(e) : 0;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

/*
 * No remove(): the pool, the import file and the device's resources are
 * devm's to free.
 */
static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = probe,
};

static int __init edu_test_init(void)
{
	int ret;

	results = kmalloc(RESULTS_SIZE, GFP_KERNEL);
	if (!results)
		return -ENOMEM;
	results_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("results", 0444, results_dir, NULL, &results_fops);
	/* Probing runs the tests; failed checks do not fail the load. */
	ret = pci_register_driver(&edu_driver);
	if (ret) {
		debugfs_remove_recursive(results_dir);
		kfree(results);
	}
	return ret;
}
module_init(edu_test_init);

static void __exit edu_test_exit(void)
{
	pci_unregister_driver(&edu_driver);
	debugfs_remove_recursive(results_dir);
	kfree(results);
}
module_exit(edu_test_exit);

MODULE_DESCRIPTION("buddy.ko device pools tested with QEMU's edu device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(BUDDY_NS);
MODULE_IMPORT_NS(BUDDY_DMA_BUF_NS);
