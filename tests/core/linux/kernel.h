/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/kernel.h>: snprintf(), and U64_MAX of <linux/limits.h>. */
#ifndef BUDDY_TEST_LINUX_KERNEL_H
#define BUDDY_TEST_LINUX_KERNEL_H

#include <stdio.h>

#include <linux/types.h>

#define U64_MAX		((u64)~0ULL)

#endif /* BUDDY_TEST_LINUX_KERNEL_H */
