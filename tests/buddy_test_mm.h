/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test modules (buddy_kunit.ko, buddy_edu_test.ko) ask of the
 * page allocator to check a pool: the free pages, and whether a block is
 * one run of page frames. Static inlines, as each module has its own copy.
 */
#ifndef BUDDY_TEST_MM_H
#define BUDDY_TEST_MM_H

#include <linux/compiler.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/vmstat.h>

/*
 * Free pages, those on the per-CPU lists included: a pool's chunks, and
 * a contiguous region, go back a page at a time, and many stop there
 * (tens of MiB on 6.12).
 */
static inline long buddy_test_free_pages(void)
{
	long sum = 0;
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			if (!populated_zone(zone))
				continue;
			sum += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_online_cpu(cpu) {
				struct per_cpu_pages *pcp;

				pcp = per_cpu_ptr(zone->per_cpu_pageset, cpu);
				/* Unlocked: an estimate is all we need. */
				sum += data_race(pcp->count);
			}
		}
	}
	return sum;
}

/*
 * Of the pages of the @len bytes from @p on, in the direct map, those
 * whose page frame is not the first one's plus their index: 0 for one
 * physically contiguous run.
 */
static inline unsigned long buddy_test_pfn_gaps(const void *p, size_t len)
{
	unsigned long first = page_to_pfn(virt_to_page(p)), i, gaps = 0;

	for (i = 1; i < len >> PAGE_SHIFT; i++) {
		if (page_to_pfn(virt_to_page(p + (i << PAGE_SHIFT))) !=
		    first + i)
			gaps++;
		if (!(i & 4095))
			cond_resched();
	}
	return gaps;
}

#endif /* BUDDY_TEST_MM_H */
