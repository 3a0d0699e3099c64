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
 * only reference, so the buffer is freed before it returns. Each round
 * times ITERS pairs of each side at each size in batches of BATCH, the
 * sides taking turns batch by batch and the first side alternating, all
 * in one process, so that a change in the host's load falls on both
 * sides alike; each side's median round is reported, as ns per pair, and
 * buddy's over the heap's, then that ratio in each round.
 *
 * Prints one KTAP document: per size, diagnostics with the figures and a
 * result that says only that both sides ran (SKIP, buddy alone, where the
 * kernel has no system heap). The targets are reported, not asserted.
 * Then the dma-buf core's debugfs list of one 1 MiB buffer of each side,
 * the only view user space has of an exporter's buffers: it names the
 * exporter, the size and the attached devices, and says whether the sg
 * table's entries can be counted from there. Built static by
 * scripts/bench-kernel.sh, as the guest has only busybox.
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
#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define POOL_STATS	"/sys/kernel/debug/buddy/default/stats"
#define MAX_ROUNDS	15
#define BATCH		50
#define KIB		1024UL
#define MIB		(1024 * KIB)
#define SG_SIZE		MIB
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const unsigned long sizes[] = { 64 * KIB, MIB };
#define NR_SIZES	ARRAY_SIZE(sizes)

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

/* One diagnostic line, tabs as spaces, no newline. */
static void diag_line(const char *prefix, char *l)
{
	char *p;

	l[strcspn(l, "\n")] = '\0';
	for (p = l; *p; p++)
		if (*p == '\t')
			*p = ' ';
	out("# %s %s\n", prefix, l);
}

/*
 * list_bufs - the dma-buf core's debugfs entry for each fd in @fds, found by
 * its inode, and whether that list shows an sg table at all.
 */
static void list_bufs(const char *const *names, const int *fds, int n)
{
	char line[512], ino[32];
	bool mine = false, sg = false;
	int i, found = 0;
	struct stat st;
	FILE *f = fopen(BUFINFO, "r");

	if (!f) {
		out("# user_bufinfo %s: %s; sg entries not measured\n",
		    BUFINFO, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "nents") || strstr(line, "sg_table") ||
		    strstr(line, "scatter"))
			sg = true;
		if (!strncmp(line, "size", 4)) {
			diag_line("user_bufinfo header:", line);
			continue;
		}
		/* An object's block ends with "Total N devices attached". */
		if (line[0] != '\t' && line[0] != '\n' &&
		    !strstr(line, "devices attached")) {
			mine = false;
			for (i = 0; i < n; i++) {
				if (fds[i] < 0 || fstat(fds[i], &st))
					continue;
				snprintf(ino, sizeof(ino), "\t%08lu\t",
					 (unsigned long)st.st_ino);
				if (strstr(line, ino)) {
					mine = true;
					found++;
					out("# user_bufinfo %s's buffer:\n",
					    names[i]);
				}
			}
		}
		if (mine && line[0] != '\n')
			diag_line("user_bufinfo  ", line);
	}
	fclose(f);
	out("# user_bufinfo %d of the buffers listed\n", found);
	if (sg)
		out("# user_sg_entries size=%lu: the list mentions sg tables, see above\n",
		    SG_SIZE);
	else
		out("# user_sg_entries size=%lu buddy=not-measured heap=not-measured: %s\n",
		    SG_SIZE,
		    "bufinfo lists size, flags, mode, file count, exporter, inode, name and attached devices, no sg table; an importer must count them");
}

int main(int argc, char **argv)
{
	struct side side[2] = {
		{ .name = "buddy", .alloc = buddy_fd },
		{ .name = "heap", .alloc = heap_fd },
	};
	unsigned int iters = 2000, rounds = 7, r, warm;
	long long allocs0, zeroings0, allocs1, zeroings1;
	int fds[2] = { -1, -1 }, heap_errno, opt, k, j;
	const char *names[2] = { "buddy", "heap" };
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

	out("KTAP version 1\n1..%zu\n", NR_SIZES);
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

	/* One buffer of each side held while the dma-buf core lists them. */
	for (j = 0; j < 2; j++) {
		if (side[j].dev < 0)
			continue;
		fds[j] = side[j].alloc(side[j].dev, SG_SIZE);
		if (fds[j] < 0)
			out("# user_bufinfo %s: allocation of %lu failed: %s\n",
			    names[j], SG_SIZE, strerror(-fds[j]));
	}
	list_bufs(names, fds, 2);
	for (j = 0; j < 2; j++) {
		if (fds[j] >= 0)
			close(fds[j]);
		if (side[j].dev >= 0)
			close(side[j].dev);
	}
	return ret;
}
