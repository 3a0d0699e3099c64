// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_user_bench.c - /dev/buddy against /dev/dma_heap/system from user
 * space, as root in a `make bench` guest (tests/vm/bench.sh): the time of
 * one allocate+close pair, a dma-buf of 64 KiB and of 1 MiB from buddy.ko's
 * default pool (loaded with user=1) and from the system heap.
 *
 * Usage: buddy_user_bench [-i ITERS] [-r ROUNDS] (2000 and 7 by default)
 *
 * Like with like: both sides hand out a zeroed buffer as a dma-buf fd
 * (buddy zeroes every user buffer, the system heap allocates its pages
 * with __GFP_ZERO), neither is mapped or touched, and close() drops the
 * only reference, so the buffer is released before it returns: the
 * heap's pages are freed then, buddy's block is zeroed and freed by its
 * scrubber, a worker, so mostly on the other CPU. Each round times ITERS
 * pairs of each side at each size in batches of BATCH, the sides taking
 * turns batch by batch and the first side alternating, all in one
 * process, so that a change in the host's load falls on both sides
 * alike; each side's median round is reported, as ns per pair, and
 * buddy's over the heap's, then that ratio in each round.
 *
 * Then, where buddy_edu_test.ko offers its debugfs import file (the
 * second edu device, 64-bit mask, no segment limit), a buffer of each
 * side at 1 MiB and 4 MiB is attached and mapped for that device, and
 * the entries of its sg table are reported: as mapped, and as the
 * exporter built it (pieces).
 *
 * Prints one KTAP document: per size, diagnostics with the figures and a
 * result that says only that both sides ran (SKIP, buddy alone, where the
 * kernel has no system heap); then the sg entries, a result that says
 * they were counted. The targets are reported, not asserted. Built static
 * by scripts/bench-kernel.sh, as the guest has only busybox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-heap.h>
#include <buddy.h>

#define BUDDY_DEV	"/dev/buddy"
#define HEAP_DEV	"/dev/dma_heap/system"
#define IMPORT		"/sys/kernel/debug/buddy_edu_test/import"
#define POOL_STATS	"/sys/kernel/debug/buddy/default/stats"
#define MAX_ROUNDS	15
#define BATCH		50
#define KIB		1024UL
#define MIB		(1024 * KIB)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const unsigned long sizes[] = { 64 * KIB, MIB };
#define NR_SIZES	ARRAY_SIZE(sizes)
/* Where the system heap's buffer is one piece, and where it cannot be. */
static const unsigned long sg_sizes[] = { MIB, 4 * MIB };
#define NR_SG_SIZES	ARRAY_SIZE(sg_sizes)

struct side {
	const char *name;
	int dev;		/* the device's fd, or -1 where it is missing */
	int (*alloc)(int dev, unsigned long size);
	double ns[NR_SIZES][MAX_ROUNDS];
	int err[NR_SIZES];	/* the first errno of a failed allocation */
};

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Each returns the dma-buf's fd, or -errno. */
static int buddy_fd(int dev, unsigned long size)
{
	struct buddy_ioc_alloc req = { .pool = "default", .size = size };

	return ioctl(dev, BUDDY_IOC_ALLOC, &req) ? -errno : req.fd;
}

static int heap_fd(int dev, unsigned long size)
{
	struct dma_heap_allocation_data req = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	return ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &req) ? -errno : (int)req.fd;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* ns for @n allocate+close pairs at size @k; -1 (and @s->err) on failure. */
static double pairs(struct side *s, int k, unsigned int n)
{
	double t0 = now_ns();
	unsigned int i;
	int fd;

	for (i = 0; i < n; i++) {
		fd = s->alloc(s->dev, sizes[k]);
		if (fd < 0) {
			if (!s->err[k])
				s->err[k] = -fd;
			return -1;
		}
		close(fd);
	}
	return now_ns() - t0;
}

/* Round @r at size @k: @iters pairs of each side that still runs. */
static void round_of(struct side *side, int k, unsigned int r,
		     unsigned int iters)
{
	double total[2] = { 0, 0 };
	unsigned int done, n, b;
	int i, j;

	for (done = 0, b = r; done < iters; done += n, b++) {
		n = iters - done < BATCH ? iters - done : BATCH;
		for (i = 0; i < 2; i++) {
			j = (i + b) % 2;
			if (side[j].dev >= 0 && !side[j].err[k])
				total[j] += pairs(&side[j], k, n);
		}
	}
	for (j = 0; j < 2; j++)
		side[j].ns[k][r] = total[j] / iters;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, lowest and highest of @n rounds, none of which failed. */
static double median(const double *v, unsigned int n, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The value of "@key: N" in the default pool's debugfs stats, or -1. */
static long long pool_stat(const char *key)
{
	char line[128];
	long long v = -1;
	size_t len = strlen(key);
	FILE *f = fopen(POOL_STATS, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = strtoll(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * sg_count - "entries=N pieces=N" of the sg table the importer mapped for
 * dma-buf @fd, through @imp (see the top of this file), or an error.
 */
static bool sg_count(int imp, int fd, unsigned int *entries,
		     unsigned int *pieces, char *why, size_t len)
{
	char line[128];
	ssize_t n;
	int res;

	n = snprintf(line, sizeof(line), "%d\n", fd);
	if (write(imp, line, n) != n) {
		snprintf(why, len, "import-write-%s", strerror(errno));
		return false;
	}
	n = pread(imp, line, sizeof(line) - 1, 0);
	line[n > 0 ? n : 0] = '\0';
	if (sscanf(strstr(line, "entries=") ?: "", "entries=%u pieces=%u result=%d",
		   entries, pieces, &res) != 3 || res) {
		snprintf(why, len, "import-read-\"%.*s\"",
			 (int)strcspn(line, "\n"), line);
		return false;
	}
	return true;
}

/*
 * sg_entries - result @t: the sg tables that the importer's device (the
 * second edu, with a 64-bit mask and no segment limit) maps for a buffer
 * of each side at each of sg_sizes, one buffer at a time.
 */
static bool sg_entries(struct side *side, int t)
{
	int imp = open(IMPORT, O_RDWR | O_CLOEXEC), fd, k, j, n;
	bool ok = true, both = side[0].dev >= 0 && side[1].dev >= 0;
	unsigned int entries, pieces;
	char line[512], why[160];

	if (imp < 0) {
		out("ok %d user_sg_entries # SKIP %s: %s\n", t, IMPORT,
		    strerror(errno));
		return true;
	}
	for (k = 0; k < (int)NR_SG_SIZES; k++) {
		n = snprintf(line, sizeof(line), "# user_sg_entries size=%lu",
			     sg_sizes[k]);
		for (j = 0; j < 2; j++) {
			if (side[j].dev < 0) {
				n += snprintf(line + n, sizeof(line) - n,
					      " %s=absent", side[j].name);
				continue;
			}
			fd = side[j].alloc(side[j].dev, sg_sizes[k]);
			if (fd < 0) {
				n += snprintf(line + n, sizeof(line) - n,
					      " %s=alloc-failed-%s",
					      side[j].name, strerror(-fd));
				ok = false;
				continue;
			}
			if (sg_count(imp, fd, &entries, &pieces, why,
				     sizeof(why))) {
				n += snprintf(line + n, sizeof(line) - n,
					      " %s_entries=%u %s_pieces=%u",
					      side[j].name, entries,
					      side[j].name, pieces);
			} else {
				n += snprintf(line + n, sizeof(line) - n,
					      " %s=%s", side[j].name, why);
				ok = false;
			}
			close(fd);
		}
		out("%s\n", line);
	}
	close(imp);
	if (!ok)
		out("not ok %d user_sg_entries\n", t);
	else if (!both)
		out("ok %d user_sg_entries # SKIP no %s: buddy alone\n", t,
		    HEAP_DEV);
	else
		out("ok %d user_sg_entries\n", t);
	return ok;
}

int main(int argc, char **argv)
{
	struct side side[2] = {
		{ .name = "buddy", .alloc = buddy_fd },
		{ .name = "heap", .alloc = heap_fd },
	};
	unsigned int iters = 2000, rounds = 7, r, warm;
	long long allocs0, zeroings0, allocs1, zeroings1;
	int heap_errno, opt, k, j;
	int ret = 0;

	while ((opt = getopt(argc, argv, "i:r:")) != -1) {
		switch (opt) {
		case 'i':
			iters = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-i ITERS] [-r ROUNDS]\n",
				argv[0]);
			return 2;
		}
	}
	if (!iters || !rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "%s: ITERS > 0, ROUNDS 1 to %d\n", argv[0],
			MAX_ROUNDS);
		return 2;
	}
	warm = iters / 10 ? iters / 10 : 1;

	out("KTAP version 1\n1..%zu\n", NR_SIZES + 1);
	side[0].dev = open(BUDDY_DEV, O_RDWR | O_CLOEXEC);
	if (side[0].dev < 0)
		out("# user_note %s: %s\n", BUDDY_DEV, strerror(errno));
	side[1].dev = open(HEAP_DEV, O_RDONLY | O_CLOEXEC);
	heap_errno = errno;
	if (side[1].dev < 0)
		out("# user_note %s: %s: the heap is absent, buddy alone\n",
		    HEAP_DEV, strerror(heap_errno));
	out("# user_note iters=%u rounds=%u batch=%u warm-up=%u: %s\n", iters,
	    rounds, BATCH, warm,
	    "per round and size, iters allocate+close pairs of each side, the sides taking turns batch by batch, the first side alternating; each side's median round in ns per pair");
	out("# user_note %s\n",
	    "like with like: buddy=BUDDY_IOC_ALLOC from the default pool, heap=DMA_HEAP_IOCTL_ALLOC (O_RDWR|O_CLOEXEC); both hand out a zeroed dma-buf (buddy zeroes every user buffer, the system heap allocates with __GFP_ZERO), neither maps or touches it, close() frees it");

	allocs0 = pool_stat("allocs");
	zeroings0 = pool_stat("zeroings");
	for (k = 0; k < (int)NR_SIZES; k++)
		for (j = 0; j < 2; j++)
			if (side[j].dev >= 0)
				pairs(&side[j], k, warm);
	for (r = 0; r < rounds; r++)
		for (k = 0; k < (int)NR_SIZES; k++)
			round_of(side, k, r, iters);
	allocs1 = pool_stat("allocs");
	zeroings1 = pool_stat("zeroings");

	for (k = 0; k < (int)NR_SIZES; k++) {
		double med[2] = { 0, 0 }, lo[2] = { 0, 0 }, hi[2] = { 0, 0 };
		bool ran[2];
		char line[512];
		int n = 0;

		for (j = 0; j < 2; j++) {
			ran[j] = side[j].dev >= 0 && !side[j].err[k];
			if (ran[j])
				med[j] = median(side[j].ns[k], rounds, &lo[j],
						&hi[j]);
			else if (side[j].err[k])
				out("# user_alloc_close size=%lu %s: allocation failed: %s\n",
				    sizes[k], side[j].name,
				    strerror(side[j].err[k]));
		}
		n += snprintf(line + n, sizeof(line) - n,
			      "# user_alloc_close size=%lu", sizes[k]);
		for (j = 0; j < 2; j++) {
			if (ran[j])
				n += snprintf(line + n, sizeof(line) - n,
					      " %s_ns=%.0f", side[j].name,
					      med[j]);
			else
				n += snprintf(line + n, sizeof(line) - n,
					      " %s=%s", side[j].name,
					      side[j].dev < 0 ? "absent" :
					      "failed");
		}
		if (ran[0] && ran[1])
			n += snprintf(line + n, sizeof(line) - n,
				      " ratio=%.2f", med[0] / med[1]);
		for (j = 0; j < 2; j++)
			if (ran[j])
				n += snprintf(line + n, sizeof(line) - n,
					      " %s_range=%.0f-%.0f",
					      side[j].name, lo[j], hi[j]);
		/* The host's load moves both sides of a round alike. */
		for (r = 0; ran[0] && ran[1] && r < rounds; r++)
			n += snprintf(line + n, sizeof(line) - n, "%s%.2f",
				      r ? "," : " round_ratios=",
				      side[0].ns[k][r] / side[1].ns[k][r]);
		out("%s\n", line);
		if (ran[0] && ran[1]) {
			out("ok %d user_alloc_close_%lu\n", k + 1, sizes[k]);
		} else if (ran[0] && side[1].dev < 0 && heap_errno == ENOENT) {
			out("ok %d user_alloc_close_%lu # SKIP no %s: buddy alone\n",
			    k + 1, sizes[k], HEAP_DEV);
		} else {
			out("not ok %d user_alloc_close_%lu\n", k + 1,
			    sizes[k]);
			ret = 1;
		}
	}
	if (allocs0 >= 0 && zeroings0 >= 0 && allocs1 >= 0 && zeroings1 >= 0)
		out("# user_note buddy zeroings/allocs=%lld/%lld in warm-up and rounds\n",
		    zeroings1 - zeroings0, allocs1 - allocs0);

	if (!sg_entries(side, NR_SIZES + 1))
		ret = 1;
	for (j = 0; j < 2; j++)
		if (side[j].dev >= 0)
			close(side[j].dev);
	return ret;
}
