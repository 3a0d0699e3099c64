// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test KUnit suite. Built twice: as vmdummy_kunit, which
 * passes, and with VMDUMMY_KUNIT_FAIL as vmdummy_kunit_fail, which has
 * one failing case, so that the harness is seen to count both.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void vmdummy_adds(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 2 + 2, 4);
}

static void vmdummy_compares(struct kunit *test)
{
#ifdef VMDUMMY_KUNIT_FAIL
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "deliberate failure");
#else
	KUNIT_EXPECT_LT(test, 1, 2);
#endif
}

static void vmdummy_skips(struct kunit *test)
{
	kunit_skip(test, "skipped on purpose");
}

static struct kunit_case vmdummy_cases[] = {
	KUNIT_CASE(vmdummy_adds),
	KUNIT_CASE(vmdummy_compares),
	KUNIT_CASE(vmdummy_skips),
	{}
};

static struct kunit_suite vmdummy_suite = {
#ifdef VMDUMMY_KUNIT_FAIL
	.name = "vmdummy_fail",
#else
	.name = "vmdummy",
#endif
	.test_cases = vmdummy_cases,
};

kunit_test_suite(vmdummy_suite);

MODULE_DESCRIPTION("buddy VM harness self-test KUnit suite");
MODULE_LICENSE("GPL");
