// SPDX-License-Identifier: GPL-2.0
/* The failing twin of vmdummy_kunit.c; see there. */
#define VMDUMMY_KUNIT_FAIL
#include "vmdummy_kunit.c"
