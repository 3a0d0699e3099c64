/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences buddy.ko straddles, kept in one place so the
 * rest of the code reads as if written for one kernel.
 */
#ifndef BUDDY_COMPAT_H
#define BUDDY_COMPAT_H

#include <linux/mmzone.h>
#include <linux/seq_file.h>
#include <linux/version.h>

/*
 * The largest order alloc_pages() accepts, and so the size of a chunk.
 * 6.8 named it MAX_PAGE_ORDER. Before 6.4, MAX_ORDER was one past it; 6.4
 * to 6.7 used MAX_ORDER for the order itself, where MAX_ORDER - 1 merely
 * halves the chunk size. That beats keying on the version number.
 */
#ifdef MAX_PAGE_ORDER
#define BUDDY_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#else
#define BUDDY_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * The namespace of EXPORT_SYMBOL_IF_KUNIT(), for the KUnit module's
 * MODULE_IMPORT_NS(): a string literal from 6.13, as BUDDY_NS in buddy.h.
 */
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define BUDDY_KUNIT_NS	"EXPORTED_FOR_KUNIT_TESTING"
#else
#define BUDDY_KUNIT_NS	EXPORTED_FOR_KUNIT_TESTING
#endif

/*
 * The dma-buf exports' namespace, for MODULE_IMPORT_NS(BUDDY_DMA_BUF_NS):
 * a string literal from 6.13, as BUDDY_NS in buddy.h.
 */
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define BUDDY_DMA_BUF_NS	"DMA_BUF"
#else
#define BUDDY_DMA_BUF_NS	DMA_BUF
#endif

/*
 * An importer's vmap of a dma-buf without the reservation lock held: 6.2
 * made dma_buf_vmap() want the lock and added dma_buf_vmap_unlocked();
 * Debian's 6.1 took dma_buf_map_attachment_unlocked() from that change but
 * not the vmap half, and its dma_buf_vmap() takes no lock.
 */
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 2)
#define buddy_dma_buf_vmap_unlocked	dma_buf_vmap_unlocked
#define buddy_dma_buf_vunmap_unlocked	dma_buf_vunmap_unlocked
#else
#define buddy_dma_buf_vmap_unlocked	dma_buf_vmap
#define buddy_dma_buf_vunmap_unlocked	dma_buf_vunmap
#endif

/* vm_flags_set(), from 6.3: before it, vm_flags was written directly. */
#if LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL < 3
#define vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#endif

/* reserve_mem=SIZE:ALIGN:NAME and reserve_mem_find_by_name(), from 6.11. */
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 11)
#define BUDDY_HAVE_RESERVE_MEM	1
#else
#define BUDDY_HAVE_RESERVE_MEM	0
#endif

/*
 * A debugfs file read with NAME_show() and written with NAME_write(), as
 * newer seq_file.h defines it; 6.1's has no such macro.
 */
#ifndef DEFINE_SHOW_STORE_ATTRIBUTE
#define DEFINE_SHOW_STORE_ATTRIBUTE(name)				\
static int name##_open(struct inode *inode, struct file *file)		\
{									\
	return single_open(file, name##_show, inode->i_private);	\
}									\
static const struct file_operations name##_fops = {			\
	.owner = THIS_MODULE,						\
	.open = name##_open,						\
	.read = seq_read,						\
	.write = name##_write,						\
	.llseek = seq_lseek,						\
	.release = single_release,					\
}
#endif

/*
 * mm/kasan/shadow.c exports kasan_poison() on 6.1 and 6.12 (for KASAN's
 * KUnit module), but only mm/kasan/kasan.h declares it.
 */
#ifdef CONFIG_KASAN_GENERIC
void kasan_poison(const void *addr, size_t size, u8 value, bool init);
#endif

#endif /* BUDDY_COMPAT_H */
