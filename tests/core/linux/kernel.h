/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/kernel.h>: snprintf(). */
#ifndef BUDDY_TEST_LINUX_KERNEL_H
#define BUDDY_TEST_LINUX_KERNEL_H

#include <stdio.h>

#endif /* BUDDY_TEST_LINUX_KERNEL_H */
