/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KUnit suites need from newer kernels than 6.1: test-managed
 * cleanup actions came with 6.5. Before that they are built here on
 * kunit_alloc_resource(), whose free function runs when the test ends,
 * in reverse order of registration, as actions do. Marking a case slow
 * came with 6.6; before it a slow case is an ordinary one.
 */
#ifndef BUDDY_KUNIT_COMPAT_H
#define BUDDY_KUNIT_COMPAT_H

#include <kunit/resource.h>
#include <linux/slab.h>
#include <linux/version.h>

#if LINUX_VERSION_MAJOR < 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL < 5)
typedef void (kunit_action_t)(void *);

struct buddy_kunit_action {
	kunit_action_t *fn;
	void *ctx;
};

static inline void buddy_kunit_run_action(struct kunit_resource *res)
{
	struct buddy_kunit_action *a = res->data;

	a->fn(a->ctx);
	kfree(a);
}

/* As the kernel's: on failure run @fn(@ctx) at once and return -ENOMEM. */
static inline int kunit_add_action_or_reset(struct kunit *test,
					    kunit_action_t *fn, void *ctx)
{
	struct buddy_kunit_action *a = kmalloc(sizeof(*a), GFP_KERNEL);

	if (a) {
		a->fn = fn;
		a->ctx = ctx;
		if (kunit_alloc_resource(test, NULL, buddy_kunit_run_action,
					 GFP_KERNEL, a))
			return 0;
		kfree(a);
	}
	fn(ctx);
	return -ENOMEM;
}
#endif

#ifndef KUNIT_CASE_SLOW
#define KUNIT_CASE_SLOW(test_name)	KUNIT_CASE(test_name)
#endif

#endif /* BUDDY_KUNIT_COMPAT_H */
