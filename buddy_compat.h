/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences buddy.ko straddles, kept in one place so the
 * rest of the code reads as if written for one kernel.
 */
#ifndef BUDDY_COMPAT_H
#define BUDDY_COMPAT_H

#include <linux/mmzone.h>

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

#endif /* BUDDY_COMPAT_H */
