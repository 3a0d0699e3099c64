// SPDX-License-Identifier: GPL-2.0
/*
 * buddy_user_test.c - /dev/buddy from user space, as root in a test guest
 * (tests/vm/integration.sh): dma-buf buffers of buddy.ko's pools, their
 * sizes, placement, zeroing and mappings, who holds a buffer (dup, fork,
 * SCM_RIGHTS, mappings, kill -9, process_vm_*, vmsplice), every refused
 * input, what an unprivileged opener gets and the RLIMIT_MEMLOCK charge,
 * and an importing driver where buddy_edu_test.ko offers one.
 *
 * Usage: buddy_user_test [-p POOL] all | case NAME... | hold SECONDS
 *
 * all and case print one KTAP document on stdout, one test per case, and
 * exit 0 iff every case passed. Every case starts and must end with the
 * pool idle: no user bytes, as many free bytes as at the start. hold
 * allocates and maps 1 MiB, prints READY and sleeps. Built static, as
 * the guest has only busybox: see tests/user/Makefile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <buddy.h>

typedef __u64 u64;
typedef __u32 u32;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* The kernel's __printf(), spelt so that checkpatch takes it as one. */
#define __gcc_attr(x)	__attribute__(x)
#define __printf(a, b)	__gcc_attr((format(printf, a, b)))

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define PAGE		4096ULL
#define DEV		"/dev/buddy"
#define DEBUGFS		"/sys/kernel/debug/buddy"
#define IMPORT		"/sys/kernel/debug/buddy_edu_test/import"
#define NOBODY		65534
/* A deferred free retries every ~100 ms; give it this long. */
#define SETTLE_MS	3000
/* How long a buffer that must stay held is watched for an early free. */
#define HOLD_MS		300
#define REPEAT		1000
/* Buffers case_zeroed() may hold to take the whole pool. */
#define FILL_MAX	256

static const char *pool_name = "default";
static int dev = -1;		/* /dev/buddy, opened by root for each case */
static bool failed;		/* a check of the current case failed */
static bool in_child;		/* diagnostics of a forked child say so */
static const char *skip;	/* the current case skipped, and why */

/* ---- Output: each line one write(), so a child's lines stay whole ---- */

static void out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (n > 0 && write(1, buf, n) < 0)
		_exit(2);
}

static void vdiag(const char *fmt, va_list ap)
{
	char msg[900];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	out("# %s%s\n", in_child ? "child: " : "", msg);
}

static void __printf(1, 2) diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
}

/* check - fail the case with a diagnostic unless @ok; return @ok. */
static bool __printf(2, 3) check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	failed = true;
	va_start(ap, fmt);
	vdiag(fmt, ap);
	va_end(ap);
	return false;
}

static bool check_eq(const char *what, u64 want, u64 got)
{
	return check(want == got, "%s: expected %llu, got %llu", what, want, got);
}

static const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "?";
}

/* check_err - @ret, a call's return, must be -1 with errno @want. */
static bool check_err(const char *what, long ret, int want)
{
	int e = errno;

	return check(ret == -1 && e == want, "%s: expected -1/%s, got %ld/%s",
		     what, ename(want), ret, ret == -1 ? ename(e) : "-");
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- The pool ---- */

struct snap {
	u64 size, free, user;
};

static void name_pool(char *dst, const char *name)
{
	memset(dst, 0, BUDDY_IOC_NAME_LEN);
	snprintf(dst, BUDDY_IOC_NAME_LEN, "%s", name);
}

static int pool_info(int fd, struct buddy_ioc_pool_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	name_pool(pi->pool, pool_name);
	return ioctl(fd, BUDDY_IOC_POOL_INFO, pi);
}

static bool snap_get(int fd, struct snap *s)
{
	struct buddy_ioc_pool_info pi;

	memset(s, 0, sizeof(*s));
	if (!check(!pool_info(fd, &pi), "POOL_INFO %s: %s", pool_name,
		   ename(errno)))
		return false;
	s->size = pi.size;
	s->free = pi.free;
	s->user = pi.user_bytes;
	return true;
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
	return a->size == b->size && a->free == b->free && a->user == b->user;
}

/* The pool as @base with @held more bytes held by dma-bufs. */
static struct snap held_by(const struct snap *base, u64 held)
{
	struct snap s = { base->size, base->free - held, base->user + held };

	return s;
}

/*
 * expect_snap - the pool must be (or within @ms become) @want: the size,
 * free bytes and user bytes exactly.
 */
static bool expect_snap(const char *what, int fd, const struct snap *want,
			unsigned int ms)
{
	struct snap s;
	unsigned int waited = 0;

	for (;;) {
		if (!snap_get(fd, &s))
			return false;
		if (snap_same(&s, want) || waited >= ms)
			break;
		sleep_ms(20);
		waited += 20;
	}
	return check(snap_same(&s, want),
		     "%s: expected size %llu free %llu user_bytes %llu, got %llu %llu %llu",
		     what, want->size, want->free, want->user, s.size, s.free,
		     s.user);
}

/* expect_held - @want now, and still after HOLD_MS: nothing freed early. */
static bool expect_held(const char *what, int fd, const struct snap *want)
{
	if (!expect_snap(what, fd, want, 0))
		return false;
	sleep_ms(HOLD_MS);
	return expect_snap(what, fd, want, 0);
}

static void req_init(struct buddy_ioc_alloc *a, u64 size, u32 flags)
{
	memset(a, 0, sizeof(*a));
	name_pool(a->pool, pool_name);
	a->size = size;
	a->flags = flags;
	a->fd = -1;
}

/* do_alloc - the dma-buf fd, or -1 with errno. */
static int do_alloc(int fd, struct buddy_ioc_alloc *a)
{
	if (ioctl(fd, BUDDY_IOC_ALLOC, a))
		return -1;
	return a->fd;
}

/* alloc_buf - a buffer of @size, or -1 after a diagnostic. */
static int alloc_buf(int fd, u64 size, u32 flags, struct buddy_ioc_alloc *a)
{
	struct buddy_ioc_alloc tmp;
	int ret;

	if (!a)
		a = &tmp;
	req_init(a, size, flags);
	ret = do_alloc(fd, a);
	check(ret >= 0, "alloc %llu flags %#x from %s: %s", size, flags,
	      pool_name, ename(errno));
	return ret;
}

/* dma-buf size: what lseek(SEEK_END) says. */
static u64 buf_size(int fd)
{
	return (u64)lseek(fd, 0, SEEK_END);
}

static bool buf_sync(int fd, u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return check(!ioctl(fd, DMA_BUF_IOCTL_SYNC, &s),
		     "DMA_BUF_IOCTL_SYNC %#llx: %s", flags, ename(errno));
}

static void *map_buf(int fd, u64 len, u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (!check(p != MAP_FAILED, "mmap %llu at %llu: %s", len, off,
		   ename(errno)))
		return NULL;
	return p;
}

/* ---- Patterns ---- */

static u64 pat(u64 seed, u64 i)
{
	return (seed << 40) ^ (i * 0x9e3779b97f4a7c15ULL) ^ (i + 1);
}

/* fill - the pattern of @seed over @len bytes, every word of every page. */
static void fill(void *p, u64 len, u64 seed)
{
	u64 *w = p, i;

	for (i = 0; i < len / 8; i++)
		w[i] = pat(seed, i);
}

/* verify - the pattern of @seed must be there; @what names the place. */
static bool verify(const char *what, const void *p, u64 len, u64 seed)
{
	const u64 *w = p;
	u64 i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pat(seed, i))
			return check(false, "%s: word at byte %llu is %#llx, expected %#llx",
				     what, i * 8, w[i], pat(seed, i));
	return true;
}

static bool verify_zero(const char *what, const void *p, u64 len)
{
	const u64 *w = p;
	u64 i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return check(false, "%s: not zeroed: byte %llu holds %#llx",
				     what, i * 8, w[i]);
	return true;
}

/* ---- Processes ---- */

/*
 * spawn - fork a child that runs @fn(@arg) and exits 0 iff no check in it
 * failed; it dies with the parent.
 */
static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		in_child = true;
		failed = false;
		fn(arg);
		_exit(failed ? 1 : 0);
	}
	check(pid > 0, "fork: %s", ename(errno));
	return pid;
}

/* reap - the child must have exited 0. */
static bool reap(pid_t pid, const char *what)
{
	int st;

	if (pid <= 0)
		return false;
	if (!check(waitpid(pid, &st, 0) == pid, "waitpid: %s", ename(errno)))
		return false;
	return check(WIFEXITED(st) && !WEXITSTATUS(st),
		     "%s: child ended with status %#x", what, st);
}

/* A one-byte message through a pipe; 0 when the other side is gone. */
static void post(int fd, char c)
{
	check(write(fd, &c, 1) == 1, "pipe write: %s", ename(errno));
}

static char await(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1)
		return 0;
	return c;
}

static bool xpipe(int p[2])
{
	return check(!pipe2(p, O_CLOEXEC), "pipe: %s", ename(errno));
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* become_nobody - drop to uid/gid 65534 and with them every capability. */
static bool become_nobody(void)
{
	return check(!setgroups(0, NULL) && !setgid(NOBODY) && !setuid(NOBODY),
		     "setuid(%d): %s", NOBODY, ename(errno));
}

static bool set_memlock(u64 bytes)
{
	struct rlimit r = { bytes, bytes };

	return check(!setrlimit(RLIMIT_MEMLOCK, &r), "RLIMIT_MEMLOCK: %s",
		     ename(errno));
}

static bool send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return check(sendmsg(sock, &m, 0) == 1, "sendmsg: %s", ename(errno));
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd = -1;

	if (!check(recvmsg(sock, &m, MSG_CMSG_CLOEXEC) == 1, "recvmsg: %s",
		   ename(errno)))
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!check(cm && cm->cmsg_type == SCM_RIGHTS, "recvmsg: no fd"))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The lowest free fd number: a failed call must not have taken one. */
static int next_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

/* ---- debugfs ---- */

/* stats_field - KEY's value in POOL's debugfs stats, or -1 (all ones). */
static u64 stats_field(const char *pool, const char *key)
{
	char path[128], line[256];
	size_t n = strlen(key);
	u64 v = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS "/%s/stats", pool);
	f = fopen(path, "re");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 0);
			break;
		}
	fclose(f);
	return v;
}

/* stats_is - does KEY in POOL's debugfs stats read VALUE? */
static bool stats_is(const char *pool, const char *key, const char *value)
{
	char path[128], line[256];
	size_t n = strlen(key);
	bool is = false;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS "/%s/stats", pool);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			line[strcspn(line, "\n")] = 0;
			is = !strcmp(line + n + 1 + (line[n + 1] == ' '), value);
			break;
		}
	fclose(f);
	return is;
}

/* ---- The cases ---- */

static struct snap base;	/* the idle pool, taken before each case */
static struct buddy_ioc_pool_info base_info;

/* /dev/buddy: a misc device, root's alone. */
static void case_device(void)
{
	struct stat st;

	if (!check(!stat(DEV, &st), "stat " DEV ": %s", ename(errno)))
		return;
	check(S_ISCHR(st.st_mode), DEV " is not a character device");
	check_eq("mode", 0600, st.st_mode & 07777);
	check_eq("owner", 0, st.st_uid);
	check_eq("group", 0, st.st_gid);
	check(!access("/sys/class/misc/buddy", F_OK),
	      "no /sys/class/misc/buddy: %s", ename(errno));
}

/* POOL_INFO of the idle pool, against debugfs. */
static void case_pool_info(void)
{
	struct buddy_ioc_pool_info pi = base_info;
	int i;

	check_eq("size as in stats", stats_field(pool_name, "size"), pi.size);
	check_eq("free as in stats", stats_field(pool_name, "free"), pi.free);
	check_eq("free: all of it", pi.size, pi.free);
	check_eq("min_block as in stats", stats_field(pool_name, "min_block"),
		 pi.min_block);
	check_eq("largest_free as in stats",
		 stats_field(pool_name, "largest_free_block"), pi.largest_free);
	check_eq("user_bytes", 0, pi.user_bytes);
	check_eq("user_bytes in stats", 0, stats_field(pool_name, "user_bytes"));
	check_eq("flags as in stats", (stats_is(pool_name, "contiguous", "yes") ?
				       BUDDY_INFO_CONTIG : 0) |
		 (stats_is(pool_name, "device", "none") ? 0 : BUDDY_INFO_DEVICE),
		 pi.flags);
	check(stats_is(pool_name, "user", "yes"), "stats: not a user pool");
	check_eq("pad", 0, pi.pad);
	for (i = 0; i < 4; i++)
		check_eq("reserved", 0, pi.reserved[i]);
	check(!strcmp(pi.pool, pool_name), "pool name changed to %.32s", pi.pool);
}

/* 1 MiB: held while it lives, every page written and read, then freed. */
static void case_alloc_1m(void)
{
	struct buddy_ioc_alloc a;
	struct snap held = held_by(&base, MIB);
	void *p;
	int fd;

	fd = alloc_buf(dev, MIB, 0, &a);
	if (fd < 0)
		return;
	check_eq("dma-buf size", MIB, buf_size(fd));
	check_eq("fd field is the fd", (u64)fd, (u64)a.fd);
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "not O_CLOEXEC");
	check_eq("O_RDWR", O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	check_eq("offset aligned to the block", 0, a.offset % MIB);
	check(a.offset + MIB <= base.size, "offset %llu beyond the pool",
	      a.offset);
	check(a.phys_addr, "phys_addr 0 for root");
	/* A block lies in one naturally aligned chunk of 4 MiB. */
	check_eq("phys_addr aligned to the block", 0, a.phys_addr % MIB);
	check_eq("dma_addr (no device)", 0, a.dma_addr);
	expect_snap("held", dev, &held, 0);
	check_eq("user_bytes in stats", MIB, stats_field(pool_name, "user_bytes"));
	p = map_buf(fd, MIB, 0);
	if (p) {
		buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		verify_zero("new buffer", p, MIB);
		fill(p, MIB, 1);
		buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		verify("read back", p, MIB, 1);
		buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		check(!munmap(p, MIB), "munmap: %s", ename(errno));
	}
	expect_snap("held after munmap", dev, &held, 0);
	close(fd);
	/* Back once close() returns: POOL_INFO waits for the scrubber. */
	expect_snap("freed", dev, &base, 0);
	check_eq("user_bytes in stats after", 0,
		 stats_field(pool_name, "user_bytes"));
}

/* Sizes round up to a block (a power of two, at least a page). */
static void case_sizes(void)
{
	static const u64 sizes[][2] = {
		{ 1, PAGE }, { PAGE, PAGE }, { PAGE + 1, 2 * PAGE },
		{ 3 * PAGE + 1, 4 * PAGE }, { 100000, 128 * KIB },
		{ MIB - 1, MIB }, { MIB + 1, 2 * MIB }, { 4 * MIB, 4 * MIB },
	};
	struct buddy_ioc_alloc a;
	struct snap held;
	unsigned int i;
	char what[64];
	int fd;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i][1] > base_info.largest_free)
			continue;
		fd = alloc_buf(dev, sizes[i][0], 0, &a);
		if (fd < 0)
			continue;
		snprintf(what, sizeof(what), "size %llu", sizes[i][0]);
		check_eq(what, sizes[i][1], buf_size(fd));
		check_eq("offset aligned", 0, a.offset % sizes[i][1]);
		held = held_by(&base, sizes[i][1]);
		expect_snap(what, dev, &held, 0);
		close(fd);
		expect_snap("freed", dev, &base, SETTLE_MS);
	}
}

/* BUDDY_ALLOC_EXACT: pages, not a block; the mapping is that long. */
static void case_exact(void)
{
	static const u64 sizes[][2] = {
		{ 3 * PAGE + 1, 4 * PAGE }, { 5 * PAGE + 1, 6 * PAGE },
		{ 1, PAGE }, { 7 * PAGE, 7 * PAGE },
	};
	struct snap held;
	unsigned int i;
	char what[64];
	void *p;
	int fd;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fd = alloc_buf(dev, sizes[i][0], BUDDY_ALLOC_EXACT, NULL);
		if (fd < 0)
			continue;
		snprintf(what, sizeof(what), "exact %llu", sizes[i][0]);
		check_eq(what, sizes[i][1], buf_size(fd));
		held = held_by(&base, sizes[i][1]);
		expect_snap(what, dev, &held, 0);
		p = map_buf(fd, sizes[i][1], 0);
		if (p) {
			buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			verify_zero(what, p, sizes[i][1]);
			fill(p, sizes[i][1], 2 + i);
			verify(what, p, sizes[i][1], 2 + i);
			buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			munmap(p, sizes[i][1]);
		}
		errno = 0;
		p = mmap(NULL, sizes[i][1] + PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		check_err("mmap a page beyond an exact buffer",
			  p == MAP_FAILED ? -1 : 0, EINVAL);
		if (p != MAP_FAILED)
			munmap(p, sizes[i][1] + PAGE);
		close(fd);
		expect_snap("freed", dev, &base, SETTLE_MS);
	}
}

/* alloc_at - a buffer placed by @start, @end, @align and @flags at @want. */
static void alloc_at(const char *what, u64 size, u32 flags, u64 align,
		     u64 start, u64 end, u64 want)
{
	struct buddy_ioc_alloc a;
	int fd;

	req_init(&a, size, flags);
	a.align = align;
	a.start = start;
	a.end = end;
	fd = do_alloc(dev, &a);
	if (!check(fd >= 0, "%s: %s", what, ename(errno)))
		return;
	if (want == ~0ULL)
		check(align && !(a.offset % align), "%s: offset %llu", what,
		      a.offset);
	else
		check_eq(what, want, a.offset);
	check_eq("size", size, buf_size(fd));
	close(fd);
	expect_snap("freed", dev, &base, SETTLE_MS);
}

/* Range, alignment and top-down, in the idle pool. */
static void case_placement(void)
{
	u64 s = base.size;

	if (s < 16 * MIB) {
		skip = "pool under 16 MiB";
		return;
	}
	alloc_at("range 8M-12M", MIB, 0, 0, 8 * MIB, 12 * MIB, 8 * MIB);
	alloc_at("range 8M-12M topdown", MIB, BUDDY_TOPDOWN, 0, 8 * MIB,
		 12 * MIB, 11 * MIB);
	alloc_at("range to the pool's end", MIB, 0, 0, s - MIB, s, s - MIB);
	alloc_at("topdown", MIB, BUDDY_TOPDOWN, 0, 0, 0, s - MIB);
	alloc_at("topdown 4K", PAGE, BUDDY_TOPDOWN, 0, 0, 0, s - PAGE);
	alloc_at("align 4M", PAGE, 0, 4 * MIB, 0, 0, ~0ULL);
	alloc_at("align 2M topdown", PAGE, BUDDY_TOPDOWN, 2 * MIB, 0, 0,
		 s - 2 * MIB);
	alloc_at("align 64K in 4K-1M", PAGE, 0, 64 * KIB, PAGE, MIB, 64 * KIB);
	alloc_at("ALLOC_ZERO accepted", PAGE, BUDDY_ALLOC_ZERO | BUDDY_TOPDOWN,
		 0, 0, 0, s - PAGE);
}

/*
 * have_madvise - does MADV_DONTNEED work on anonymous memory? Not on a
 * kernel without CONFIG_ADVISE_SYSCALLS, such as the test kernels.
 */
static bool have_madvise(void)
{
	void *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (a == MAP_FAILED)
		return false;
	ok = !madvise(a, PAGE, MADV_DONTNEED);
	munmap(a, PAGE);
	if (!ok)
		diag("no madvise(MADV_DONTNEED) here (%s): not zapping",
		     ename(errno));
	return ok;
}

/*
 * mmap: MAP_PRIVATE refused, no page beyond the end, offsets work, pages
 * zapped by MADV_DONTNEED come back.
 */
static void case_mmap(void)
{
	u64 len = 64 * KIB;
	char *p, *q, *r;
	int fd;

	fd = alloc_buf(dev, len, 0, NULL);
	if (fd < 0)
		return;
	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check_err("MAP_PRIVATE", p == MAP_FAILED ? -1 : 0, EINVAL);
	if (p != MAP_FAILED)
		munmap(p, len);
	p = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check_err("mmap twice the size", p == MAP_FAILED ? -1 : 0, EINVAL);
	if (p != MAP_FAILED)
		munmap(p, 2 * len);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, len);
	check_err("mmap at the end", p == MAP_FAILED ? -1 : 0, EINVAL);
	if (p != MAP_FAILED)
		munmap(p, PAGE);

	p = map_buf(fd, len, 0);
	q = map_buf(fd, len, 0);
	r = map_buf(fd, 16 * KIB, 16 * KIB);
	if (p && q && r) {
		buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		fill(r, 16 * KIB, 7);
		verify("at offset 16K, through another mapping", p + 16 * KIB,
		       16 * KIB, 7);
		fill(p, len, 8);
		verify("a second mapping", q, len, 8);
		/* Zapped pages fault back in: the buffer's, not new ones. */
		if (have_madvise()) {
			check(!madvise(p, len, MADV_DONTNEED),
			      "MADV_DONTNEED: %s", ename(errno));
			verify("after MADV_DONTNEED", p, len, 8);
		}
		buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	}
	if (r && p)
		check(!memcmp(r, p + 16 * KIB, 16 * KIB),
		      "offset mapping differs from the whole one");
	if (p)
		munmap(p, len);
	if (q)
		munmap(q, len);
	if (r)
		munmap(r, 16 * KIB);
	close(fd);
	expect_snap("freed", dev, &base, SETTLE_MS);
}

/*
 * Every buffer is handed out zeroed, whatever its block held: a 64 KiB
 * buffer is written and closed, then the whole pool is taken, largest
 * free block first, written over, given back, and taken again. Given
 * back, every free byte is known to be zero (the release zeroed a small
 * block, the scrubber a large one), so no allocation has to zero it.
 */
static void case_zeroed(void)
{
	u64 total[2] = { 0, 0 }, len;
	struct buddy_ioc_pool_info pi;
	int fds[FILL_MAX], n, i, round;
	char *p;

	/* A small block is zeroed by the release itself. */
	fds[0] = alloc_buf(dev, 64 * KIB, 0, NULL);
	p = fds[0] < 0 ? NULL : map_buf(fds[0], 64 * KIB, 0);
	if (p) {
		memset(p, 0xa5, 64 * KIB);
		munmap(p, 64 * KIB);
	}
	if (fds[0] >= 0)
		close(fds[0]);
	check_eq("known zero after a 64 KiB buffer's close", base.free,
		 stats_field(pool_name, "zeroed"));

	for (round = 0; round < 2; round++) {
		for (n = 0; n < FILL_MAX; n++) {
			if (!check(!pool_info(dev, &pi), "POOL_INFO: %s",
				   ename(errno)) || !pi.largest_free)
				break;
			len = pi.largest_free;
			fds[n] = alloc_buf(dev, len, 0, NULL);
			if (fds[n] < 0)
				break;
			p = map_buf(fds[n], len, 0);
			if (!p) {
				n++;
				break;
			}
			buf_sync(fds[n], DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			if (round)
				verify_zero("taken again", p, len);
			memset(p, 0xa5, len);
			buf_sync(fds[n], DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			munmap(p, len);
			total[round] += len;
		}
		for (i = 0; i < n; i++)
			close(fds[i]);
		expect_snap("given back", dev, &base, 0);
		check_eq("known zero, all free bytes", base.free,
			 stats_field(pool_name, "zeroed"));
		check_eq("bytes taken", base.free, total[round]);
	}
}

/* A dup'd fd holds the buffer; the last close frees it. */
static void case_dup(void)
{
	struct snap held = held_by(&base, 64 * KIB);
	int fd, fd2, fd3;

	fd = alloc_buf(dev, 64 * KIB, 0, NULL);
	if (fd < 0)
		return;
	fd2 = dup(fd);
	fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	check(fd2 >= 0 && fd3 >= 0, "dup: %s", ename(errno));
	close(fd);
	expect_held("dup'd fds hold it", dev, &held);
	close(fd2);
	expect_held("one dup'd fd holds it", dev, &held);
	check_eq("size through the dup", 64 * KIB, buf_size(fd3));
	close(fd3);
	expect_snap("freed", dev, &base, SETTLE_MS);
}

/* A mapping holds the buffer after its fd is closed. */
static void case_mapping(void)
{
	struct snap held = held_by(&base, 256 * KIB);
	void *p;
	int fd;

	fd = alloc_buf(dev, 256 * KIB, 0, NULL);
	if (fd < 0)
		return;
	p = map_buf(fd, 256 * KIB, 0);
	if (p)
		fill(p, 256 * KIB, 9);
	close(fd);
	if (!p)
		return;
	expect_held("the mapping holds it", dev, &held);
	verify("after close", p, 256 * KIB, 9);
	fill(p, 256 * KIB, 10);
	verify("written after close", p, 256 * KIB, 10);
	munmap(p, 256 * KIB);
	expect_snap("freed at munmap", dev, &base, SETTLE_MS);
}

struct shared {
	int fd, sock;
	int p2c[2], c2p[2];
	void *map;
	u64 len, seed, addr;
};

static void fork_child(void *arg)
{
	struct shared *s = arg;
	void *q;

	munmap(s->map, s->len);	/* the inherited mapping: only the fd now */
	post(s->c2p[1], 'r');
	if (await(s->p2c[0]) != 'g')
		return;
	q = map_buf(s->fd, s->len, 0);
	if (q) {
		buf_sync(s->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		verify("the parent's pattern", q, s->len, s->seed);
		fill(q, s->len, s->seed + 1);
		buf_sync(s->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	}
	post(s->c2p[1], 'w');
	await(s->p2c[0]);
	if (q)
		munmap(q, s->len);
	close(s->fd);
}

/* fork: the child's inherited fd holds the buffer once the parent lets go. */
static void case_fork(void)
{
	struct shared s = { .len = 256 * KIB, .seed = 11 };
	struct snap held = held_by(&base, s.len);
	pid_t pid;

	s.fd = alloc_buf(dev, s.len, 0, NULL);
	if (s.fd < 0)
		return;
	s.map = map_buf(s.fd, s.len, 0);
	if (!s.map || !xpipe(s.p2c) || !xpipe(s.c2p)) {
		close(s.fd);
		return;
	}
	fill(s.map, s.len, s.seed);
	pid = spawn(fork_child, &s);
	check(await(s.c2p[0]) == 'r', "child not ready");
	close(s.fd);
	post(s.p2c[1], 'g');
	check(await(s.c2p[0]) == 'w', "child did not write");
	verify("the child's pattern, through the parent's mapping", s.map,
	       s.len, s.seed + 1);
	munmap(s.map, s.len);
	expect_held("the child's fd and mapping hold it", dev, &held);
	post(s.p2c[1], 'x');
	reap(pid, "fork");
	close_pair(s.p2c);
	close_pair(s.c2p);
	expect_snap("freed when the child closed", dev, &base, SETTLE_MS);
}

static void scm_child(void *arg)
{
	struct shared *s = arg;
	void *q;
	int fd;

	if (await(s->p2c[0]) != 'g')
		return;
	fd = recv_fd(s->sock);
	if (fd < 0)
		return;
	check_eq("size of the received buffer", s->len, buf_size(fd));
	q = map_buf(fd, s->len, 0);
	if (q) {
		buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		verify("the sender's pattern", q, s->len, s->seed);
		buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap(q, s->len);
	}
	close(fd);
}

/* SCM_RIGHTS: an fd in flight holds the buffer, and so does its receiver. */
static void case_scm_rights(void)
{
	struct shared s = { .len = 128 * KIB, .seed = 13 };
	struct snap held = held_by(&base, s.len);
	int sv[2], fd;
	pid_t pid;
	void *p;

	/* Sent, never received: the socket's close frees it. */
	if (!check(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		   "socketpair: %s", ename(errno)))
		return;
	fd = alloc_buf(dev, s.len, 0, NULL);
	if (fd >= 0) {
		send_fd(sv[0], fd);
		close(fd);
		expect_held("in flight", dev, &held);
	}
	close_pair(sv);
	expect_snap("freed with the socket", dev, &base, SETTLE_MS);

	/* Received by a child, which maps it after the sender closed it. */
	if (!check(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		   "socketpair: %s", ename(errno)) || !xpipe(s.p2c))
		return;
	s.sock = sv[1];
	pid = spawn(scm_child, &s);
	fd = alloc_buf(dev, s.len, 0, NULL);
	if (fd >= 0) {
		p = map_buf(fd, s.len, 0);
		if (p) {
			fill(p, s.len, s.seed);
			munmap(p, s.len);
		}
		send_fd(sv[0], fd);
		close(fd);
		expect_held("sent to the child", dev, &held);
	}
	post(s.p2c[1], 'g');
	close(sv[0]);	/* nothing sent: the child's recvmsg() ends */
	reap(pid, "SCM_RIGHTS");
	close_pair(s.p2c);
	close(sv[1]);
	expect_snap("freed when the child closed", dev, &base, SETTLE_MS);
}

static const u64 kill_sizes[][2] = {
	{ PAGE, 0 }, { 64 * KIB, 0 }, { MIB, 0 }, { 6 * PAGE, BUDDY_ALLOC_EXACT },
	{ 2 * MIB, BUDDY_TOPDOWN },
};

static void kill_child(void *arg)
{
	struct shared *s = arg;
	unsigned int i;
	void *p;
	int fd;

	for (i = 0; i < ARRAY_SIZE(kill_sizes); i++) {
		fd = alloc_buf(dev, kill_sizes[i][0], kill_sizes[i][1], NULL);
		if (fd < 0)
			break;
		p = map_buf(fd, kill_sizes[i][0], 0);
		if (p)
			fill(p, kill_sizes[i][0], i);
		if (i == 1)
			dup(fd);	/* two fds and a mapping */
		if (i == 2)
			close(fd);	/* the mapping alone */
	}
	post(s->c2p[1], failed ? 'f' : 'r');
	for (;;)
		pause();
}

/* kill -9 of a process holding buffers in fds and mappings frees them. */
static void case_kill9(void)
{
	struct shared s = { 0 };
	struct snap held;
	unsigned int i;
	u64 sum = 0;
	pid_t pid;
	int st;

	for (i = 0; i < ARRAY_SIZE(kill_sizes); i++)
		sum += kill_sizes[i][0];
	held = held_by(&base, sum);
	if (!xpipe(s.c2p))
		return;
	pid = spawn(kill_child, &s);
	if (pid <= 0)
		return;
	check(await(s.c2p[0]) == 'r', "child could not allocate");
	expect_snap("the child holds them", dev, &held, 0);
	kill(pid, SIGKILL);
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
	      WTERMSIG(st) == SIGKILL, "child status %#x", st);
	close_pair(s.c2p);
	expect_snap("freed after kill -9", dev, &base, SETTLE_MS);
}

static void vm_child(void *arg)
{
	struct shared *s = arg;
	void *q;
	int fd;

	fd = alloc_buf(dev, s->len, 0, NULL);
	q = fd < 0 ? NULL : map_buf(fd, s->len, 0);
	if (!q) {
		post(s->c2p[1], 'f');
		return;
	}
	buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill(q, s->len, s->seed);
	buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	s->addr = (u64)(unsigned long)q;
	check(write(s->c2p[1], &s->addr, 8) == 8, "pipe: %s", ename(errno));
	if (await(s->p2c[0]) != 'g')
		return;
	buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	verify("written by process_vm_writev", q, s->len, s->seed + 1);
	buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(q, s->len);
	close(fd);
}

/* process_vm_readv/writev on another process's mapping of a buffer. */
static void case_process_vm(void)
{
	struct shared s = { .len = 256 * KIB, .seed = 17 };
	struct iovec local, remote[3];
	char *p = NULL;
	pid_t pid;
	int fd;
	long n;

	if (!xpipe(s.p2c) || !xpipe(s.c2p))
		return;
	pid = spawn(vm_child, &s);
	/* The parent's side is a buffer of its own. */
	fd = alloc_buf(dev, s.len, 0, NULL);
	if (fd >= 0)
		p = map_buf(fd, s.len, 0);
	if (!check(read(s.c2p[0], &s.addr, 8) == 8, "child could not allocate") ||
	    !p)
		goto out;
	local.iov_base = p;
	local.iov_len = s.len;
	/* Three pieces, the middle one across page boundaries. */
	remote[0].iov_base = (void *)(unsigned long)s.addr;
	remote[0].iov_len = 1000;
	remote[1].iov_base = (char *)remote[0].iov_base + 1000;
	remote[1].iov_len = 3 * PAGE;
	remote[2].iov_base = (char *)remote[1].iov_base + 3 * PAGE;
	remote[2].iov_len = s.len - 1000 - 3 * PAGE;
	buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	n = process_vm_readv(pid, &local, 1, remote, 3, 0);
	check(n == (long)s.len, "process_vm_readv: %ld/%s", n, ename(errno));
	verify("read from the child", p, s.len, s.seed);
	fill(p, s.len, s.seed + 1);
	n = process_vm_writev(pid, &local, 1, remote, 3, 0);
	check(n == (long)s.len, "process_vm_writev: %ld/%s", n, ename(errno));
	buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
out:
	post(s.p2c[1], 'g');
	reap(pid, "process_vm");
	if (p)
		munmap(p, s.len);
	if (fd >= 0)
		close(fd);
	close_pair(s.p2c);
	close_pair(s.c2p);
	expect_snap("freed", dev, &base, SETTLE_MS);
}

/*
 * vmsplice: the pipe holds the pages after the buffer's fd and mapping are
 * gone; the block stays out of the pool until the pipe lets go.
 */
static void case_vmsplice(void)
{
	u64 len = 64 * KIB, got = 0;
	struct snap held = held_by(&base, len);
	struct buddy_ioc_alloc a, b;
	struct iovec iov;
	int fd, fd2, pp[2];
	char *p, *q;
	ssize_t n;

	fd = alloc_buf(dev, len, 0, &a);
	if (fd < 0)
		return;
	p = map_buf(fd, len, 0);
	if (!p || !xpipe(pp)) {
		close(fd);
		return;
	}
	check(fcntl(pp[1], F_SETPIPE_SZ, (int)MIB) >= (int)len,
	      "F_SETPIPE_SZ: %s", ename(errno));
	fill(p, len, 19);
	iov.iov_base = p;
	iov.iov_len = len;
	while (iov.iov_len) {
		n = vmsplice(pp[1], &iov, 1, 0);
		if (!check(n > 0, "vmsplice: %s", ename(errno)))
			break;
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= n;
	}
	munmap(p, len);
	close(fd);
	expect_held("the pipe holds it", dev, &held);

	/* Its block is not handed out again while the pipe has its pages. */
	fd2 = alloc_buf(dev, len, 0, &b);
	if (fd2 >= 0) {
		check(b.offset != a.offset, "block at %llu handed out again while in a pipe",
		      a.offset);
		q = map_buf(fd2, len, 0);
		if (q) {
			verify_zero("another buffer", q, len);
			memset(q, 0xff, len);
			munmap(q, len);
		}
		close(fd2);
	}
	expect_snap("the pipe still holds it", dev, &held, SETTLE_MS);

	q = malloc(len);
	while (q && got < len) {
		n = read(pp[0], q + got, len - got);
		if (!check(n > 0, "read the pipe: %s", ename(errno)))
			break;
		got += n;
	}
	if (q && got == len)
		verify("the pipe's bytes", q, len, 19);
	free(q);
	close_pair(pp);
	expect_snap("freed once the pipe let go", dev, &base, SETTLE_MS);
}

enum { NAME_OK, NAME_UNKNOWN, NAME_EMPTY, NAME_NO_NUL };

struct bad {
	const char *what;
	int name;
	u64 size, align;
	u32 flags;
	u64 start, end;
	int rsv;		/* reserved[rsv - 1] = 1 */
	int want;
};

static void bad_req(const struct bad *b, struct buddy_ioc_alloc *a)
{
	req_init(a, b->size, b->flags);
	if (b->name == NAME_UNKNOWN)
		name_pool(a->pool, "nosuch");
	else if (b->name == NAME_EMPTY)
		memset(a->pool, 0, sizeof(a->pool));
	else if (b->name == NAME_NO_NUL)
		memset(a->pool, 'a', sizeof(a->pool));
	a->align = b->align;
	a->start = b->start;
	a->end = b->end;
	if (b->rsv)
		a->reserved[b->rsv - 1] = 1;
}

/* repeat - @n calls of BUDDY_IOC_ALLOC with @b must fail with its errno. */
static void repeat_bad(const struct bad *b, int n)
{
	struct buddy_ioc_alloc a;
	int i, ret, e;

	for (i = 0; i < n; i++) {
		bad_req(b, &a);
		ret = ioctl(dev, BUDDY_IOC_ALLOC, &a);
		e = errno;
		if (ret == -1 && e == b->want)
			continue;
		check(false, "%s (call %d): expected -1/%s, got %d/%s", b->what,
		      i + 1, ename(b->want), ret, ret == -1 ? ename(e) : "-");
		if (ret >= 0 && a.fd >= 0)
			close(a.fd);
		return;
	}
}

/* Every refused request, 1000 times each: an errno and no change. */
static void case_bad_input(void)
{
	u64 s = base.size, big = base_info.largest_free * 2;
	const struct bad bads[] = {
		{ "unknown pool", NAME_UNKNOWN, PAGE, .want = ENOENT },
		{ "empty name", NAME_EMPTY, PAGE, .want = EINVAL },
		{ "name without NUL", NAME_NO_NUL, PAGE, .want = EINVAL },
		{ "size 0", 0, 0, .want = EINVAL },
		{ "exact size 0", 0, 0, .flags = BUDDY_ALLOC_EXACT, .want = EINVAL },
		{ "flag 0x8", 0, PAGE, .flags = 0x8, .want = EINVAL },
		{ "flag 1<<31", 0, PAGE, .flags = 1U << 31, .want = EINVAL },
		{ "all flags", 0, PAGE, .flags = ~0U, .want = EINVAL },
		{ "reserved[0]", 0, PAGE, .rsv = 1, .want = EINVAL },
		{ "reserved[1]", 0, PAGE, .rsv = 2, .want = EINVAL },
		{ "reserved[2]", 0, PAGE, .rsv = 3, .want = EINVAL },
		{ "reserved[3]", 0, PAGE, .rsv = 4, .want = EINVAL },
		{ "align 3", 0, PAGE, 3, .want = EINVAL },
		{ "align 12K", 0, PAGE, 3 * PAGE, .want = EINVAL },
		{ "align 2^63+2^62", 0, PAGE, 3ULL << 62, .want = EINVAL },
		{ "start 1", 0, PAGE, .start = 1, .end = MIB, .want = EINVAL },
		{ "end 1M+1", 0, PAGE, .end = MIB + 1, .want = EINVAL },
		{ "start without end", 0, PAGE, .start = PAGE, .want = EINVAL },
		{ "start = end", 0, PAGE, .start = MIB, .end = MIB, .want = EINVAL },
		{ "start > end", 0, PAGE, .start = 2 * MIB, .end = MIB, .want = EINVAL },
		{ "end beyond the pool", 0, PAGE, .end = s + PAGE, .want = EINVAL },
		{ "range beyond the pool", 0, PAGE, .start = s, .end = s + MIB,
		  .want = EINVAL },
		{ "end at 2^64 - 4K", 0, PAGE, .start = PAGE, .end = -PAGE,
		  .want = EINVAL },
		{ "exact with align", 0, 3 * PAGE, PAGE, BUDDY_ALLOC_EXACT,
		  .want = EINVAL },
		{ "exact with a range", 0, 3 * PAGE, 0, BUDDY_ALLOC_EXACT, 0, MIB,
		  .want = EINVAL },
		{ "exact with start", 0, 3 * PAGE, 0, BUDDY_ALLOC_EXACT, PAGE, MIB,
		  .want = EINVAL },
		{ "exact topdown", 0, 3 * PAGE, 0,
		  BUDDY_ALLOC_EXACT | BUDDY_TOPDOWN, .want = EINVAL },
		{ "bigger than the pool", 0, s + 1, .want = ENOMEM },
		{ "twice the pool", 0, 2 * s, .want = ENOMEM },
		{ "2^63", 0, 1ULL << 63, .want = ENOMEM },
		{ "2^63 + 1", 0, (1ULL << 63) + 1, .want = ENOMEM },
		{ "2^64 - 1", 0, ~0ULL, .want = ENOMEM },
		{ "exact bigger than the pool", 0, s + 1, 0, BUDDY_ALLOC_EXACT,
		  .want = ENOMEM },
		{ "exact 2^64 - 1", 0, ~0ULL, 0, BUDDY_ALLOC_EXACT, .want = ENOMEM },
		{ "exact 2^64 - 4K", 0, -PAGE, 0, BUDDY_ALLOC_EXACT, .want = ENOMEM },
		{ "range smaller than the block", 0, 2 * PAGE, 0, 0, 0, PAGE,
		  .want = ENOMEM },
		{ "twice the largest free block", 0, big, .want = ENOMEM },
	};
	static const struct bad bad_infos[] = {
		{ "POOL_INFO unknown pool", NAME_UNKNOWN, .want = ENOENT },
		{ "POOL_INFO empty name", NAME_EMPTY, .want = EINVAL },
		{ "POOL_INFO name without NUL", NAME_NO_NUL, .want = EINVAL },
		{ "POOL_INFO reserved[3]", NAME_OK, .rsv = 1, .want = EINVAL },
	};
	struct buddy_ioc_pool_info pi;
	int i, j, fdn = next_fd(), ret;

	for (i = 0; i < (int)ARRAY_SIZE(bads); i++) {
		/* Twice the largest block is the pool itself if contiguous. */
		if (bads[i].size == big && big > s)
			continue;
		repeat_bad(&bads[i], REPEAT);
	}
	/* POOL_INFO's own refusals. */
	for (i = 0; i < (int)ARRAY_SIZE(bad_infos); i++) {
		for (j = 0; j < REPEAT; j++) {
			memset(&pi, 0, sizeof(pi));
			if (bad_infos[i].name == NAME_NO_NUL)
				memset(pi.pool, 'a', sizeof(pi.pool));
			else if (bad_infos[i].name != NAME_EMPTY)
				name_pool(pi.pool, bad_infos[i].name == NAME_OK ?
					  pool_name : "nosuch");
			pi.reserved[3] = bad_infos[i].rsv;
			ret = ioctl(dev, BUDDY_IOC_POOL_INFO, &pi);
			if (ret == -1 && errno == bad_infos[i].want)
				continue;
			check_err(bad_infos[i].what, ret, bad_infos[i].want);
			break;
		}
	}
	expect_snap("unchanged", dev, &base, 0);
	check_eq("no fd left behind", fdn, next_fd());
	expect_snap("unchanged", dev, &base, SETTLE_MS);
}

/* Bad pointers: EFAULT, and a result that cannot be written undoes all. */
static void case_efault(void)
{
	struct buddy_ioc_alloc *ro, a;
	char *pg;
	int i, fdn = next_fd(), n = 0;
	struct buddy_ioc_pool_info *pi;

	for (i = 0; i < REPEAT; i++) {
		n += ioctl(dev, BUDDY_IOC_ALLOC, NULL) == -1 && errno == EFAULT;
		n += ioctl(dev, BUDDY_IOC_ALLOC, (void *)1) == -1 && errno == EFAULT;
		n += ioctl(dev, BUDDY_IOC_POOL_INFO, NULL) == -1 && errno == EFAULT;
		n += ioctl(dev, BUDDY_IOC_POOL_INFO, (void *)-4096L) == -1 &&
		     errno == EFAULT;
	}
	check_eq("EFAULT for NULL, 1 and -4096", 4 * REPEAT, n);

	/* A request on the last bytes of a page before an unmapped one. */
	pg = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!check(pg != MAP_FAILED, "mmap: %s", ename(errno)))
		return;
	munmap(pg + PAGE, PAGE);
	req_init(&a, PAGE, 0);
	memcpy(pg + PAGE - 16, &a, 16);
	check_err("request across into an unmapped page",
		  ioctl(dev, BUDDY_IOC_ALLOC, pg + PAGE - 16), EFAULT);

	/*
	 * A valid request in a read-only page: the kernel reads it, allocates,
	 * and cannot write the result back. Nothing may stay: no fd, no bytes.
	 */
	ro = (void *)(pg + 2 * PAGE);
	req_init(ro, 64 * KIB, 0);
	pi = (void *)(pg + 2 * PAGE + 1024);
	memset(pi, 0, sizeof(*pi));
	name_pool(pi->pool, pool_name);
	mprotect(pg + 2 * PAGE, PAGE, PROT_READ);
	n = 0;
	for (i = 0; i < 200; i++)
		n += ioctl(dev, BUDDY_IOC_ALLOC, ro) == -1 && errno == EFAULT;
	check_eq("EFAULT for a read-only request", 200, n);
	check_err("POOL_INFO into a read-only page",
		  ioctl(dev, BUDDY_IOC_POOL_INFO, pi), EFAULT);
	munmap(pg, 3 * PAGE);
	check_eq("no fd left behind", fdn, next_fd());
	expect_snap("unchanged", dev, &base, SETTLE_MS);
}

/* Unknown ioctls, on /dev/buddy and the buddy ioctls on a dma-buf. */
static void case_enotty(void)
{
	static const unsigned long cmds[] = {
		_IO(BUDDY_IOC_MAGIC, 0x00), _IO(BUDDY_IOC_MAGIC, 0x02),
		_IOWR(BUDDY_IOC_MAGIC, 0x02, struct buddy_ioc_alloc),
		_IOWR(BUDDY_IOC_MAGIC, 0xff, struct buddy_ioc_pool_info),
		_IOR(BUDDY_IOC_MAGIC, 0x00, struct buddy_ioc_alloc),
		_IOW(BUDDY_IOC_MAGIC, 0x01, struct buddy_ioc_pool_info),
		_IOWR(BUDDY_IOC_MAGIC, 0x00, __u64), DMA_BUF_IOCTL_SYNC,
		_IOWR('d', 0x00, struct buddy_ioc_alloc), 0,
	};
	struct buddy_ioc_alloc a;
	unsigned int i;
	int j, fd, ret, fdn = next_fd();
	char what[64];

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < REPEAT; j++) {
			req_init(&a, PAGE, 0);
			ret = ioctl(dev, cmds[i], &a);
			if (ret == -1 && errno == ENOTTY)
				continue;
			snprintf(what, sizeof(what), "ioctl %#lx", cmds[i]);
			check_err(what, ret, ENOTTY);
			if (!ret && a.fd >= 0)
				close(a.fd);
			break;
		}
	}
	fd = alloc_buf(dev, PAGE, 0, NULL);
	if (fd >= 0) {
		req_init(&a, PAGE, 0);
		check_err("BUDDY_IOC_ALLOC on a dma-buf",
			  ioctl(fd, BUDDY_IOC_ALLOC, &a), ENOTTY);
		close(fd);
	}
	check_eq("no fd left behind", fdn, next_fd());
	expect_snap("unchanged", dev, &base, SETTLE_MS);
}

static void denied_child(void *arg)
{
	(void)arg;
	if (!become_nobody())
		return;
	check_err("open " DEV " as nobody", open(DEV, O_RDWR), EACCES);
	check_err("open " DEV " read-only as nobody", open(DEV, O_RDONLY),
		  EACCES);
}

/* Mode 0600: nobody cannot open it. */
static void case_nonroot_denied(void)
{
	struct stat st;

	if (check(!stat(DEV, &st), "stat: %s", ename(errno)))
		check_eq("mode", 0600, st.st_mode & 07777);
	reap(spawn(denied_child, NULL), "nobody's open");
}

/* open_as_nobody - chmod 0666, run @fn as nobody, chmod 0600 again. */
static void as_nobody(void (*fn)(void *), void *arg, const char *what)
{
	struct stat st;

	if (!check(!chmod(DEV, 0666), "chmod: %s", ename(errno)))
		return;
	reap(spawn(fn, arg), what);
	check(!chmod(DEV, 0600), "chmod back: %s", ename(errno));
	if (check(!stat(DEV, &st), "stat: %s", ename(errno)))
		check_eq("mode restored", 0600, st.st_mode & 07777);
}

static void addrs_child(void *arg)
{
	struct buddy_ioc_alloc a;
	struct buddy_ioc_pool_info pi;
	int d, fd;
	void *p;

	(void)arg;
	if (!become_nobody())
		return;
	d = open(DEV, O_RDWR | O_CLOEXEC);
	if (!check(d >= 0, "open as nobody: %s", ename(errno)))
		return;
	check(!pool_info(d, &pi), "POOL_INFO as nobody: %s", ename(errno));
	fd = alloc_buf(d, 64 * KIB, 0, &a);
	if (fd >= 0) {
		check_eq("phys_addr for nobody", 0, a.phys_addr);
		check_eq("dma_addr for nobody", 0, a.dma_addr);
		check(a.offset < pi.size, "offset %llu", a.offset);
		p = map_buf(fd, 64 * KIB, 0);
		if (p) {
			verify_zero("nobody's buffer", p, 64 * KIB);
			fill(p, 64 * KIB, 23);
			verify("nobody's buffer", p, 64 * KIB, 23);
			munmap(p, 64 * KIB);
		}
		close(fd);
	}
	close(d);
}

/* Opened by nobody: no addresses; root's own open sees them. */
static void case_nonroot_addrs(void)
{
	struct buddy_ioc_alloc a;
	int fd;

	as_nobody(addrs_child, NULL, "nobody's buffer");
	fd = alloc_buf(dev, 64 * KIB, 0, &a);
	if (fd >= 0) {
		check(a.phys_addr, "phys_addr 0 for root");
		check_eq("dma_addr (no device)", 0, a.dma_addr);
		close(fd);
	}
	expect_snap("freed", dev, &base, SETTLE_MS);
}

static void memlock_child(void *arg)
{
	struct buddy_ioc_alloc a;
	struct snap s0, held;
	int d, fd1, fd2;

	(void)arg;
	if (!set_memlock(MIB) || !become_nobody())
		return;
	d = open(DEV, O_RDWR | O_CLOEXEC);
	if (!check(d >= 0, "open as nobody: %s", ename(errno)) ||
	    !snap_get(d, &s0))
		return;
	fd1 = alloc_buf(d, 512 * KIB, 0, NULL);
	held = held_by(&s0, 512 * KIB);
	expect_snap("512 KiB held", d, &held, 0);
	req_init(&a, MIB, 0);
	check_err("1 MiB more, over RLIMIT_MEMLOCK 1 MiB", do_alloc(d, &a),
		  ENOMEM);
	req_init(&a, MIB, BUDDY_ALLOC_EXACT);
	check_err("exact 1 MiB more", do_alloc(d, &a), ENOMEM);
	expect_snap("the refusals changed nothing", d, &held, 0);
	/* Up to the limit exactly, and not a page more. */
	fd2 = alloc_buf(d, 512 * KIB, 0, NULL);
	req_init(&a, PAGE, 0);
	check_err("a page over the limit", do_alloc(d, &a), ENOMEM);
	held = held_by(&s0, MIB);
	expect_snap("1 MiB held", d, &held, 0);
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	expect_snap("freed", d, &s0, SETTLE_MS);
	/* Uncharged with the frees: the whole limit again. */
	fd1 = alloc_buf(d, MIB, 0, NULL);
	if (fd1 >= 0)
		close(fd1);
	expect_snap("freed again", d, &s0, SETTLE_MS);
	close(d);
}

/* RLIMIT_MEMLOCK bounds what an opener without CAP_IPC_LOCK holds. */
static void case_memlock(void)
{
	as_nobody(memlock_child, NULL, "RLIMIT_MEMLOCK as nobody");
	expect_snap("freed", dev, &base, SETTLE_MS);
}

static void creds_child(void *arg)
{
	struct buddy_ioc_alloc a;
	int fd;

	(void)arg;
	/* dev is root's open: its credentials count, not the caller's. */
	if (!set_memlock(MIB) || !become_nobody())
		return;
	fd = alloc_buf(dev, 2 * MIB, 0, &a);
	if (fd < 0)
		return;
	check(a.phys_addr, "phys_addr 0 through root's open");
	close(fd);
}

static void sender_child(void *arg)
{
	int *sock = arg, d;

	if (!become_nobody())
		return;
	d = open(DEV, O_RDWR | O_CLOEXEC);
	if (check(d >= 0, "open as nobody: %s", ename(errno)))
		send_fd(*sock, d);
}

/* The opener's credentials decide, not the caller's. */
static void case_file_creds(void)
{
	struct buddy_ioc_alloc a;
	int sv[2], d, fd;

	reap(spawn(creds_child, NULL), "nobody through root's open");
	expect_snap("freed", dev, &base, SETTLE_MS);

	if (!check(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		   "socketpair: %s", ename(errno)))
		return;
	as_nobody(sender_child, &sv[1], "nobody's open, sent to root");
	d = recv_fd(sv[0]);
	close_pair(sv);
	if (d < 0)
		return;
	fd = alloc_buf(d, PAGE, 0, &a);
	if (fd >= 0) {
		check_eq("phys_addr for root through nobody's open", 0,
			 a.phys_addr);
		close(fd);
	}
	close(d);
	expect_snap("freed", dev, &base, SETTLE_MS);
}

static void ipc_lock_child(void *arg)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2];
	struct buddy_ioc_alloc a;
	int d, fd;

	(void)arg;
	if (!set_memlock(64 * KIB))
		return;
	fd = alloc_buf(dev, MIB, 0, NULL);	/* root: CAP_IPC_LOCK */
	if (fd >= 0)
		close(fd);
	/* Without CAP_IPC_LOCK, still CAP_SYS_ADMIN. */
	if (!check(!syscall(SYS_capget, &h, c), "capget: %s", ename(errno)))
		return;
	c[0].effective &= ~(1U << CAP_IPC_LOCK);
	c[0].permitted &= ~(1U << CAP_IPC_LOCK);
	if (!check(!syscall(SYS_capset, &h, c), "capset: %s", ename(errno)))
		return;
	d = open(DEV, O_RDWR | O_CLOEXEC);
	if (!check(d >= 0, "open: %s", ename(errno)))
		return;
	req_init(&a, MIB, 0);
	check_err("1 MiB over RLIMIT_MEMLOCK 64 KiB without CAP_IPC_LOCK",
		  do_alloc(d, &a), ENOMEM);
	fd = alloc_buf(d, 64 * KIB, 0, &a);
	if (fd >= 0) {
		check(a.phys_addr, "phys_addr 0 with CAP_SYS_ADMIN");
		close(fd);
	}
	close(d);
}

/* CAP_IPC_LOCK lifts the limit; CAP_SYS_ADMIN alone does not. */
static void case_cap_ipc_lock(void)
{
	reap(spawn(ipc_lock_child, NULL), "CAP_IPC_LOCK");
	expect_snap("freed", dev, &base, SETTLE_MS);
}

/* All of the pool in buffers, largest first: then nothing more. */
static void case_exhaust(void)
{
	static int fds[600];
	struct buddy_ioc_alloc a;
	struct snap full = held_by(&base, base.size);
	u64 sz, sum = 0;
	int n = 0, i, fdn, ret;

	for (sz = base_info.largest_free; sz >= PAGE; sz /= 2) {
		for (;;) {
			req_init(&a, sz, 0);
			ret = do_alloc(dev, &a);
			if (ret < 0 || n == 599)
				break;
			fds[n++] = ret;
			sum += sz;
		}
		check_err("the next block", ret, ENOMEM);
	}
	check_eq("all of the pool in buffers", base.size, sum);
	expect_snap("the pool is full", dev, &full, 0);
	fdn = next_fd();
	for (i = 0; i < REPEAT; i++) {
		req_init(&a, PAGE, 0);
		ret = do_alloc(dev, &a);
		if (ret == -1 && errno == ENOMEM)
			continue;
		check_err("a page from the full pool", ret, ENOMEM);
		if (ret >= 0)
			fds[n++] = ret;
		break;
	}
	check_eq("no fd left behind", fdn, next_fd());
	expect_snap("still full", dev, &full, 0);
	check_eq("free in stats", 0, stats_field(pool_name, "free"));
	for (i = 0; i < n; i++)
		close(fds[i]);
	expect_snap("all freed", dev, &base, SETTLE_MS);
}

/*
 * An importing driver: buddy_edu_test.ko's debugfs file "import" takes
 * "FD SEED" from this process, checks the middle page by DMA and writes
 * seed + offset over the first and last 4 KiB; read back, the file says
 * that the table it mapped had one entry.
 */
static void case_importer(void)
{
	u64 len = MIB, mid = len / 2, o;
	u32 seed = (u32)time(NULL) * 2654435761U, *w;
	char line[64], want[96], got[128];
	ssize_t n;
	char *p;
	int fd, imp;

	imp = open(IMPORT, O_RDWR | O_CLOEXEC);
	if (imp < 0 && errno == ENOENT) {
		skip = "no importer";
		return;
	}
	if (!check(imp >= 0, "open " IMPORT ": %s", ename(errno)))
		return;
	fd = alloc_buf(dev, len, 0, NULL);
	p = fd < 0 ? NULL : map_buf(fd, len, 0);
	if (!p)
		goto out;
	buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (o = mid; o < mid + PAGE; o += 4)
		*(u32 *)(p + o) = ~(seed + (u32)o);
	buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	diag("seed %u", seed);
	snprintf(line, sizeof(line), "%d %u\n", fd, seed);
	n = write(imp, line, strlen(line));
	if (!check(n == (ssize_t)strlen(line), "write \"%d %u\" to import: %zd/%s",
		   fd, seed, n, n < 0 ? ename(errno) : "-"))
		goto out;
	snprintf(want, sizeof(want), "fd=%d size=%llu entries=1 pieces=1 result=0\n",
		 fd, len);
	n = pread(imp, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	check(!strcmp(got, want), "import reads \"%s\", expected \"%s\"",
	      got, want);
	buf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (o = 0; o < len; o += 4) {
		w = (u32 *)(p + o);
		if (o < PAGE || o >= len - PAGE) {
			if (!check(*w == seed + (u32)o,
				   "byte %llu: %#x, expected %#x from the device",
				   o, *w, seed + (u32)o))
				break;
		} else if (o >= mid && o < mid + PAGE) {
			if (!check(*w == ~(seed + (u32)o),
				   "byte %llu of the middle page: %#x, expected %#x",
				   o, *w, ~(seed + (u32)o)))
				break;
		} else if (!check(!*w, "byte %llu: %#x, expected 0", o, *w)) {
			break;
		}
	}
	buf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
out:
	if (p)
		munmap(p, len);
	if (fd >= 0)
		close(fd);
	close(imp);
	expect_snap("freed", dev, &base, SETTLE_MS);
}

/* A pool that did not opt in: EACCES, 1000 times, nothing changed. */
static void case_denied(void)
{
	u64 free0 = stats_field(pool_name, "free");
	struct buddy_ioc_pool_info pi;
	struct buddy_ioc_alloc a;
	int i, ret, fdn = next_fd();

	for (i = 0; i < REPEAT; i++) {
		req_init(&a, PAGE, 0);
		ret = ioctl(dev, BUDDY_IOC_ALLOC, &a);
		if (ret == -1 && errno == EACCES)
			continue;
		check_err("alloc from a pool that did not opt in", ret, EACCES);
		if (!ret && a.fd >= 0)
			close(a.fd);
		break;
	}
	for (i = 0; i < REPEAT; i++) {
		ret = pool_info(dev, &pi);
		if (ret == -1 && errno == EACCES)
			continue;
		check_err("POOL_INFO of a pool that did not opt in", ret, EACCES);
		break;
	}
	check(!stats_is(pool_name, "user", "yes"), "stats: a user pool");
	check_eq("no fd left behind", fdn, next_fd());
	check_eq("free in stats unchanged", free0, stats_field(pool_name, "free"));
	check(free0 != ~0ULL, "no stats for pool %s", pool_name);
}

struct test_case {
	const char *name;
	void (*fn)(void);
	bool idle;	/* starts and ends with the pool idle */
};

static const struct test_case cases[] = {
	{ "device", case_device, false },
	{ "pool_info", case_pool_info, true },
	{ "alloc_1m", case_alloc_1m, true },
	{ "sizes", case_sizes, true },
	{ "exact", case_exact, true },
	{ "placement", case_placement, true },
	{ "mmap", case_mmap, true },
	{ "zeroed", case_zeroed, true },
	{ "dup", case_dup, true },
	{ "mapping", case_mapping, true },
	{ "fork", case_fork, true },
	{ "scm_rights", case_scm_rights, true },
	{ "kill9", case_kill9, true },
	{ "process_vm", case_process_vm, true },
	{ "vmsplice", case_vmsplice, true },
	{ "bad_input", case_bad_input, true },
	{ "efault", case_efault, true },
	{ "enotty", case_enotty, true },
	{ "nonroot_denied", case_nonroot_denied, false },
	{ "nonroot_addrs", case_nonroot_addrs, true },
	{ "memlock", case_memlock, true },
	{ "file_creds", case_file_creds, true },
	{ "cap_ipc_lock", case_cap_ipc_lock, true },
	{ "exhaust", case_exhaust, true },
	{ "importer", case_importer, true },
	/* Not in "all": a pool that did not opt in (-p POOL case denied). */
	{ "denied", case_denied, false },
};

#define NR_ALL	(ARRAY_SIZE(cases) - 1)

static const char *cur_case;

static void on_alarm(int sig)
{
	(void)sig;
	diag("%s: timed out", cur_case);
	_exit(3);
}

static int first_fd;	/* the lowest fd a case may have left open */

/* idle_info - the idle pool in base and base_info, after up to 3 s. */
static bool idle_info(void)
{
	unsigned int waited = 0;

	for (;;) {
		if (!check(!pool_info(dev, &base_info), "POOL_INFO %s: %s",
			   pool_name, ename(errno)))
			return false;
		if (!base_info.user_bytes || waited >= SETTLE_MS)
			break;
		sleep_ms(20);
		waited += 20;
	}
	base.size = base_info.size;
	base.free = base_info.free;
	base.user = base_info.user_bytes;
	return check_eq("idle before the case: user_bytes", 0, base.user);
}

/* run - one case as test @n, with the idle pool checked around it. */
static bool run(const struct test_case *c, unsigned int n)
{
	failed = false;
	skip = NULL;
	cur_case = c->name;
	alarm(120);
	dev = open(DEV, O_RDWR | O_CLOEXEC);
	if (check(dev >= 0, "open " DEV ": %s", ename(errno))) {
		if (!c->idle) {
			c->fn();
		} else if (idle_info()) {
			c->fn();
			/* Whatever the case did, it must leave nothing held. */
			expect_snap("idle after the case", dev, &base, SETTLE_MS);
		}
	}
	/* What a failed case left open must not fail the next ones too. */
	close_range(first_fd, ~0U, 0);
	alarm(0);
	if (skip && !failed)
		out("ok %u %s # SKIP %s\n", n, c->name, skip);
	else
		out("%sok %u %s\n", failed ? "not " : "", n, c->name);
	return !failed;
}

/* hold SECONDS: 1 MiB allocated, mapped and written; READY; sleep. */
static int hold(unsigned int secs)
{
	struct buddy_ioc_alloc a;
	void *p;
	int d, fd;

	d = open(DEV, O_RDWR | O_CLOEXEC);
	fd = d < 0 ? -1 : alloc_buf(d, MIB, 0, &a);
	p = fd < 0 ? NULL : map_buf(fd, MIB, 0);
	if (!p)
		return 1;
	fill(p, MIB, 29);
	out("READY offset=%llu size=%llu\n", a.offset, buf_size(fd));
	sleep(secs);
	return 0;
}

static int bad_usage(void)
{
	fprintf(stderr, "usage: buddy_user_test [-p POOL] all | case NAME... | hold SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned int i, j, n = 0, bad = 0;

	if (argc > 2 && !strcmp(argv[1], "-p")) {
		pool_name = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(atoi(argv[2]));
	first_fd = next_fd();
	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && !strcmp(argv[1], "all")) {
		out("KTAP version 1\n1..%u\n", (unsigned int)NR_ALL);
		for (i = 0; i < NR_ALL; i++)
			bad += !run(&cases[i], i + 1);
		return !!bad;
	}
	if (argc < 3 || strcmp(argv[1], "case"))
		return bad_usage();
	for (j = 2; j < (unsigned int)argc; j++) {
		for (i = 0; i <= NR_ALL && strcmp(cases[i].name, argv[j]); i++)
			;
		if (i > NR_ALL) {
			fprintf(stderr, "no case %s\n", argv[j]);
			return bad_usage();
		}
	}
	out("KTAP version 1\n1..%d\n", argc - 2);
	for (j = 2; j < (unsigned int)argc; j++) {
		for (i = 0; strcmp(cases[i].name, argv[j]); i++)
			;
		bad += !run(&cases[i], ++n);
	}
	return !!bad;
}
