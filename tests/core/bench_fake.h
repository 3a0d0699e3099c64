/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-ins for the core in bench_core.c's steady-harness workload. */
#ifndef BENCH_FAKE_H
#define BENCH_FAKE_H

#include "buddy_core.h"

u64 fake_alloc(u64 *sink, u64 size);
void fake_free(u64 *sink, u64 off);

#endif /* BENCH_FAKE_H */
