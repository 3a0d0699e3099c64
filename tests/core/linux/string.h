/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/string.h>: memset() and memcpy(). */
#ifndef BUDDY_TEST_LINUX_STRING_H
#define BUDDY_TEST_LINUX_STRING_H

#include <string.h>

#endif /* BUDDY_TEST_LINUX_STRING_H */
