/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for <linux/errno.h>. The codes the core returns are the uapi
 * ones, which libc's <errno.h> includes through this very name: pass the
 * include on.
 */
#ifndef BUDDY_TEST_LINUX_ERRNO_H
#define BUDDY_TEST_LINUX_ERRNO_H

#include_next <linux/errno.h>

#endif /* BUDDY_TEST_LINUX_ERRNO_H */
