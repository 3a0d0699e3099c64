/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buddy_compat.h - the kernel API differences buddy.ko straddles, kept in
 * one place so the rest of the code reads as if written for one kernel.
 */
#ifndef BUDDY_COMPAT_H
#define BUDDY_COMPAT_H

#include <linux/mmzone.h>
#include <linux/version.h>

/*
 * The largest order alloc_pages() accepts. 6.8 named it MAX_PAGE_ORDER;
 * 6.4 to 6.7 called it MAX_ORDER; before 6.4 MAX_ORDER was one past it.
 */
#if defined(MAX_PAGE_ORDER)
#define BUDDY_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define BUDDY_MAX_PAGE_ORDER	MAX_ORDER
#else
#define BUDDY_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

#endif /* BUDDY_COMPAT_H */
