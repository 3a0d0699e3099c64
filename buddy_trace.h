/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of buddy.ko, in events/buddy/ of tracefs. A disabled event
 * costs one static branch: every argument is a value the caller has at
 * hand, and the copying and formatting happen only when it is enabled.
 *
 * Offsets are pool offsets, as buddy_pool_offset() and the debugfs ctl
 * file give them. An order counts min blocks, as in free_lists: the block
 * holds min_block << order bytes. For buddy_alloc_exact() and
 * buddy_free_exact() the order is that of the block the allocation is cut
 * from (the smallest that holds it), and size is the length asked for.
 * The caller is the return address of the exported function.
 *
 * Strings are copied into fixed arrays, which need no __assign_str(): its
 * arguments changed in 6.10. A reason is one of the constant messages of
 * buddy_alloc.c, all shorter than BUDDY_WHY_LEN.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM buddy

#if !defined(_BUDDY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _BUDDY_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#include "buddy_internal.h"

#define BUDDY_WHY_LEN	48
#define buddy_copy(dst, src)	strscpy(dst, src, sizeof(dst))

TRACE_EVENT(buddy_alloc,
	    TP_PROTO(const struct buddy_pool *pool, u64 off, size_t size,
		     unsigned int order, unsigned long caller),
	    TP_ARGS(pool, off, size, order, caller),
	    TP_STRUCT__entry(__array(char, pool, BUDDY_NAME_MAX + 1)
			     __field(u64, off)
			     __field(size_t, size)
			     __field(unsigned int, order)
			     __field(unsigned long, caller)),
	    TP_fast_assign(buddy_copy(__entry->pool, pool->name);
			   __entry->off = off;
			   __entry->size = size;
			   __entry->order = order;
			   __entry->caller = caller;),
	    TP_printk("pool=%s offset=0x%llx size=%zu order=%u caller=%pS",
		      __entry->pool, __entry->off, __entry->size,
		      __entry->order, (void *)__entry->caller)
);

TRACE_EVENT(buddy_free,
	    TP_PROTO(const struct buddy_pool *pool, u64 off, unsigned int order,
		     unsigned long caller),
	    TP_ARGS(pool, off, order, caller),
	    TP_STRUCT__entry(__array(char, pool, BUDDY_NAME_MAX + 1)
			     __field(u64, off)
			     __field(unsigned int, order)
			     __field(unsigned long, caller)),
	    TP_fast_assign(buddy_copy(__entry->pool, pool->name);
			   __entry->off = off;
			   __entry->order = order;
			   __entry->caller = caller;),
	    TP_printk("pool=%s offset=0x%llx order=%u caller=%pS",
		      __entry->pool, __entry->off, __entry->order,
		      (void *)__entry->caller)
);

TRACE_EVENT(buddy_alloc_fail,
	    TP_PROTO(const struct buddy_pool *pool, size_t size,
		     const char *why, unsigned long caller),
	    TP_ARGS(pool, size, why, caller),
	    TP_STRUCT__entry(__array(char, pool, BUDDY_NAME_MAX + 1)
			     __field(size_t, size)
			     __array(char, why, BUDDY_WHY_LEN)
			     __field(unsigned long, caller)),
	    TP_fast_assign(buddy_copy(__entry->pool, pool->name);
			   __entry->size = size;
			   buddy_copy(__entry->why, why);
			   __entry->caller = caller;),
	    TP_printk("pool=%s size=%zu reason=\"%s\" caller=%pS",
		      __entry->pool, __entry->size, __entry->why,
		      (void *)__entry->caller)
);

TRACE_EVENT(buddy_bad_free,
	    TP_PROTO(const struct buddy_pool *pool, const char *why,
		     unsigned long caller),
	    TP_ARGS(pool, why, caller),
	    TP_STRUCT__entry(__array(char, pool, BUDDY_NAME_MAX + 1)
			     __array(char, why, BUDDY_WHY_LEN)
			     __field(unsigned long, caller)),
	    TP_fast_assign(buddy_copy(__entry->pool, pool->name);
			   buddy_copy(__entry->why, why);
			   __entry->caller = caller;),
	    TP_printk("pool=%s reason=\"%s\" caller=%pS", __entry->pool,
		      __entry->why, (void *)__entry->caller)
);

/* @count blocks of @order moved between the core and @cpu's cache. */
DECLARE_EVENT_CLASS(buddy_cache,
		    TP_PROTO(const struct buddy_pool *pool, unsigned int cpu,
			     unsigned int order, unsigned int count),
		    TP_ARGS(pool, cpu, order, count),
		    TP_STRUCT__entry(__array(char, pool, BUDDY_NAME_MAX + 1)
				     __field(unsigned int, cpu)
				     __field(unsigned int, order)
				     __field(unsigned int, count)),
		    TP_fast_assign(buddy_copy(__entry->pool, pool->name);
				   __entry->cpu = cpu;
				   __entry->order = order;
				   __entry->count = count;),
		    TP_printk("pool=%s cpu=%u order=%u count=%u",
			      __entry->pool, __entry->cpu, __entry->order,
			      __entry->count)
);

DEFINE_EVENT(buddy_cache, buddy_cache_refill,
	     TP_PROTO(const struct buddy_pool *pool, unsigned int cpu,
		      unsigned int order, unsigned int count),
	     TP_ARGS(pool, cpu, order, count)
);

DEFINE_EVENT(buddy_cache, buddy_cache_drain,
	     TP_PROTO(const struct buddy_pool *pool, unsigned int cpu,
		      unsigned int order, unsigned int count),
	     TP_ARGS(pool, cpu, order, count)
);

/* The pool gained or gave up @bytes and now holds @size. */
DECLARE_EVENT_CLASS(buddy_resize,
		    TP_PROTO(const struct buddy_pool *pool, size_t bytes,
			     size_t size),
		    TP_ARGS(pool, bytes, size),
		    TP_STRUCT__entry(__array(char, pool, BUDDY_NAME_MAX + 1)
				     __field(size_t, bytes)
				     __field(size_t, size)),
		    TP_fast_assign(buddy_copy(__entry->pool, pool->name);
				   __entry->bytes = bytes;
				   __entry->size = size;),
		    TP_printk("pool=%s bytes=%zu size=%zu", __entry->pool,
			      __entry->bytes, __entry->size)
);

DEFINE_EVENT(buddy_resize, buddy_pool_grow,
	     TP_PROTO(const struct buddy_pool *pool, size_t bytes,
		      size_t size),
	     TP_ARGS(pool, bytes, size)
);

DEFINE_EVENT(buddy_resize, buddy_pool_shrink,
	     TP_PROTO(const struct buddy_pool *pool, size_t bytes,
		      size_t size),
	     TP_ARGS(pool, bytes, size)
);

#endif /* _BUDDY_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE buddy_trace
#include <trace/define_trace.h>
