// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection, as failslab and fail_page_alloc do it: the standard
 * knobs in /sys/kernel/debug/fail_buddy_alloc/, or the module parameter
 * of the same name in the boot-option format <interval>,<probability>,
 * <space>,<times>. Every allocation call of every pool asks it first,
 * through buddy_should_fail() in buddy_internal.h. Built only with
 * CONFIG_FAULT_INJECTION (Kbuild).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/moduleparam.h>

#include "buddy_internal.h"

DECLARE_FAULT_ATTR(fail_buddy_alloc);
static char *fail_param;
module_param_named(fail_buddy_alloc, fail_param, charp, 0444);
MODULE_PARM_DESC(fail_buddy_alloc,
		 "Fault injection: <interval>,<probability>,<space>,<times> (default: off; needs CONFIG_FAULT_INJECTION)");
static struct dentry *fail_dir;

int buddy_fault_init(void)
{
	/* setup_fault_attr() takes any probability; should_fail() does not. */
	if (fail_param && (!setup_fault_attr(&fail_buddy_alloc, fail_param) ||
			   fail_buddy_alloc.probability > 100)) {
		pr_err("invalid fail_buddy_alloc=%s: must be <interval>,<probability>,<space>,<times>, probability 0 to 100\n",
		       fail_param);
		return -EINVAL;
	}
	/* As for any debugfs file, a failure costs only the knobs. */
	fail_dir = fault_create_debugfs_attr("fail_buddy_alloc", NULL,
					     &fail_buddy_alloc);
	return 0;
}

void buddy_fault_exit(void)
{
	debugfs_remove_recursive(fail_dir);
}
