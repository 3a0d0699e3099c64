// SPDX-License-Identifier: GPL-2.0
/*
 * Stand-ins for the core in the steady-harness workload of bench_core.c:
 * a separate unit, as buddy_core.c is, so calls to them are not inlined.
 */
#include "bench_fake.h"

u64 fake_alloc(u64 *sink, u64 size)
{
	return *sink += size;
}

void fake_free(u64 *sink, u64 off)
{
	*sink ^= off;
}
