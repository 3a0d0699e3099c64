/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pool object shared by buddy_mod.c and buddy_debugfs.c. Not part of
 * the public API.
 */
#ifndef BUDDY_INTERNAL_H
#define BUDDY_INTERNAL_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

#include "buddy_core.h"
#include "include/buddy.h"

struct dentry;

/* One alloc_pages() reservation, for the address-to-offset lookup. */
struct buddy_chunk {
	unsigned long start;	/* kernel virtual address */
	unsigned long len;	/* bytes managed in this chunk */
	unsigned int seg;	/* its segment number in the core */
};

/**
 * struct buddy_pool - one named pool
 * @lock: protects @core and @warned; a raw spinlock taken with interrupts
 *	disabled, so that alloc and free work in hard IRQ context even on
 *	PREEMPT_RT
 * @core: the buddy state of all chunks, as one range of offsets
 * @warned: the first bad free in this pool has triggered its WARN
 * @name: NUL-terminated name, also the debugfs directory name
 * @size: bytes managed
 * @nr_chunks: number of alloc_pages() reservations
 * @chunk_shift: log2 of the bytes in a full chunk (one core segment)
 * @segs: address of each chunk, indexed by segment
 * @by_addr: the chunks sorted by address
 * @meta: the core's bitmaps
 * @node: entry on the list of pools, under buddy_pools_lock
 * @dir: debugfs directory, or NULL
 * @ctl_lock: protects @ctl and @ctl_next_id; taken before @lock
 * @ctl: blocks allocated through the debugfs ctl file
 * @ctl_next_id: ID of the next ctl allocation
 */
struct buddy_pool {
	raw_spinlock_t lock;
	struct buddy_core core;
	bool warned;

	char name[BUDDY_NAME_MAX + 1];
	size_t size;
	unsigned int nr_chunks;
	unsigned int chunk_shift;
	unsigned char **segs;
	struct buddy_chunk *by_addr;
	void *meta;
	struct list_head node;

	struct dentry *dir;
	struct mutex ctl_lock;		/* see kernel-doc above */
	struct list_head ctl;
	u64 ctl_next_id;
};

u64 buddy_pool_offset(const struct buddy_pool *pool, const void *ptr);
bool buddy_parse_size(const char *str, u64 *val);
int buddy_pool_check(struct buddy_pool *pool, char *buf, size_t len);

int buddy_debugfs_ctl(struct buddy_pool *pool, const char *cmd, size_t count);
int buddy_kunit_ctl(struct buddy_pool *pool, const char *cmd, size_t count);
int buddy_kunit_render(struct buddy_pool *pool, const char *file, char *buf,
		       size_t len);
int buddy_debugfs_render(struct buddy_pool *pool, const char *file,
			 char *buf, size_t len);

/*
 * Without CONFIG_DEBUG_FS these still build: debugfs.h's stubs fail every
 * create, and a pool works the same without its directory.
 */
void buddy_debugfs_init(void);
void buddy_debugfs_exit(void);
void buddy_debugfs_add(struct buddy_pool *pool);
void buddy_debugfs_remove(struct buddy_pool *pool);

#endif /* BUDDY_INTERNAL_H */
