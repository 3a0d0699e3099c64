/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * buddy.h - the user-space interface of buddy.ko: /dev/buddy hands out
 * blocks of the pools that opted in (BUDDY_POOL_USER; the default pool
 * with the module parameter user=1) as dma-buf file descriptors.
 *
 * A buffer is one block, physically contiguous, zeroed before it is
 * handed out. mmap() it MAP_SHARED, bracket CPU access with
 * DMA_BUF_IOCTL_SYNC (<linux/dma-buf.h>), pass the fd to another driver
 * to import, and close it: the block goes back to its pool when the last
 * reference (fd, mapping, importer, pinned page) goes.
 */
#ifndef _UAPI_BUDDY_H
#define _UAPI_BUDDY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bytes in a pool name, the terminating NUL included. */
#define BUDDY_IOC_NAME_LEN	32

/* struct buddy_ioc_alloc flags */
#define BUDDY_TOPDOWN		0x1	/* the highest suitable offset */
#define BUDDY_ALLOC_EXACT	0x2	/* size bytes (in pages), not a block */
#define BUDDY_ALLOC_ZERO	0x4	/* zeroed: always so, accepted anyway */

/**
 * struct buddy_ioc_alloc - BUDDY_IOC_ALLOC: one block as a dma-buf fd
 * @pool: in: the pool's name, NUL-terminated ("default": the default pool)
 * @size: in: bytes wanted, rounded up to the block (a power of two times
 *	the pool's smallest block, at least a page); with BUDDY_ALLOC_EXACT,
 *	rounded up to a page only
 * @align: in: 0, or a power of two the block's pool offset is a multiple
 *	of (a block is always aligned to its own size)
 * @flags: in: BUDDY_TOPDOWN, BUDDY_ALLOC_EXACT, BUDDY_ALLOC_ZERO.
 *	BUDDY_ALLOC_EXACT takes no @align, range or BUDDY_TOPDOWN.
 * @fd: out: the dma-buf, O_RDWR and O_CLOEXEC
 * @start: in: lowest pool offset the block may start at
 * @end: in: offset the block must end by; 0 with @start 0: anywhere
 * @offset: out: the block's offset in its pool
 * @dma_addr: out: its address for the pool's device, if the pool has one
 *	and the opener of /dev/buddy had CAP_SYS_ADMIN; else 0
 * @phys_addr: out: its physical address if the opener had CAP_SYS_ADMIN,
 *	else 0
 * @reserved: must be zero
 */
struct buddy_ioc_alloc {
	char pool[BUDDY_IOC_NAME_LEN];
	__u64 size;
	__u64 align;
	__u32 flags;
	__s32 fd;
	__u64 start;
	__u64 end;
	__u64 offset;
	__u64 dma_addr;
	__u64 phys_addr;
	__u64 reserved[4];
};

/* struct buddy_ioc_pool_info flags */
#define BUDDY_INFO_DEVICE	0x1	/* the pool is mapped for a device */
#define BUDDY_INFO_CONTIG	0x2	/* one physically contiguous region */

/**
 * struct buddy_ioc_pool_info - BUDDY_IOC_POOL_INFO: what a pool holds
 * @pool: in: the pool's name, NUL-terminated
 * @size: out: bytes in the pool
 * @free: out: bytes free in it
 * @min_block: out: bytes in its smallest block
 * @largest_free: out: bytes in its largest free block
 * @user_bytes: out: bytes its dma-bufs hold, until each is freed
 * @flags: out: BUDDY_INFO_*
 * @pad: out: 0
 * @reserved: must be zero
 */
struct buddy_ioc_pool_info {
	char pool[BUDDY_IOC_NAME_LEN];
	__u64 size;
	__u64 free;
	__u64 min_block;
	__u64 largest_free;
	__u64 user_bytes;
	__u32 flags;
	__u32 pad;
	__u64 reserved[4];
};

#define BUDDY_IOC_MAGIC		0xBD
#define BUDDY_IOC_ALLOC		_IOWR(BUDDY_IOC_MAGIC, 0x00, struct buddy_ioc_alloc)
#define BUDDY_IOC_POOL_INFO	_IOWR(BUDDY_IOC_MAGIC, 0x01, struct buddy_ioc_pool_info)

#endif /* _UAPI_BUDDY_H */
