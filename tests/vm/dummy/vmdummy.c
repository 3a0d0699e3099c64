// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test module: each parameter provokes one kind of kernel
 * report so that scripts/harness-selftest.sh can prove that
 * the log judge (tests/vm/judge.awk) notices it. Loading it with no parameter does
 * nothing and must leave a clean log.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "WARN_ON() once in init");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "leak one kmalloc() object (kmemleak)");

static bool oob;
module_param(oob, bool, 0444);
MODULE_PARM_DESC(oob, "read past a kmalloc() object (KASAN)");

static bool ubsan;
module_param(ubsan, bool, 0444);
MODULE_PARM_DESC(ubsan, "index an array out of its bounds (UBSAN)");

static bool lockdep;
module_param(lockdep, bool, 0444);
MODULE_PARM_DESC(lockdep, "take two mutexes in both orders (lockdep)");

static bool atomic_sleep;
module_param(atomic_sleep, bool, 0444);
MODULE_PARM_DESC(atomic_sleep, "GFP_KERNEL allocation under a spinlock");

static bool oops;
module_param(oops, bool, 0444);
MODULE_PARM_DESC(oops, "dereference NULL (Oops)");

static bool page_uaf;
module_param(page_uaf, bool, 0444);
MODULE_PARM_DESC(page_uaf, "write to a freed page, unseen by KASAN (DEBUG_PAGEALLOC)");

static bool poison;
module_param(poison, bool, 0444);
MODULE_PARM_DESC(poison, "flip a bit of a freed page through a vmap() alias (PAGE_POISONING, with page_poison=1)");

static bool fail_init;
module_param(fail_init, bool, 0444);
MODULE_PARM_DESC(fail_init, "print one pr_err() and fail init with -EINVAL");

static bool storm;
module_param(storm, bool, 0444);
MODULE_PARM_DESC(storm, "print bursts of lines from a kthread until unloaded (console flood)");

static bool race;
module_param(race, bool, 0444);
MODULE_PARM_DESC(race, "two CPUs increment one plain counter for 2 s (a data race for KCSAN)");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(spin);

struct two_arrays {
	int a[4];
	int b[4];
};

/* The index is a parameter so that the compiler cannot see the bug. */
static int index = 4;
module_param(index, int, 0444);
MODULE_PARM_DESC(index, "index used by oob= and ubsan=");

static void *leaked;

/* KASAN would report the write first; the page fault is what is wanted. */
static __no_sanitize_address void write_freed_page(void)
{
	struct page *page = alloc_page(GFP_KERNEL);
	char *p;

	if (!page)
		return;
	p = page_address(page);
	__free_page(page);
	OPTIMIZER_HIDE_VAR(p);
	WRITE_ONCE(*p, 1);
}

/*
 * The alias stays mapped after the free, so the write lands; the page is
 * checked for its poison when handed out again, which on this CPU's
 * per-CPU list (last in, first out) is the next order-0 allocation.
 */
static void flip_freed_page_bit(void)
{
	struct page *page = alloc_page(GFP_KERNEL), *again;
	char *alias;

	if (!page)
		return;
	alias = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	if (!alias) {
		__free_page(page);
		return;
	}
	preempt_disable();
	__free_page(page);
	alias[64] ^= 1;
	again = alloc_page(GFP_ATOMIC);
	preempt_enable();
	pr_info("poison: the page came back %s\n",
		again == page ? "at once" : "not at once");
	vunmap(alias);
	if (again)
		__free_page(again);
}

static struct task_struct *stormer;
static unsigned long racy;

/* The other side of race=: plain increments until told to stop. */
static int race_fn(void *unused)
{
	while (!kthread_should_stop()) {
		racy++;
		cpu_relax();
	}
	return 0;
}

static void data_race_for_2s(void)
{
	struct task_struct *t = kthread_run(race_fn, NULL, "vmdummy_race");
	unsigned long end = jiffies + 2 * HZ;

	if (IS_ERR(t))
		return;
	while (time_before(jiffies, end)) {
		racy++;
		cpu_relax();
	}
	kthread_stop(t);
	pr_info("race: counter at %lu\n", racy);
}

/* Bursts with short pauses, so the lines meet the guest's own output. */
static int storm_fn(void *unused)
{
	unsigned long n = 0;
	int i;

	while (!kthread_should_stop()) {
		for (i = 0; i < 8; i++, n++)
			pr_info("storm line %lu: the kernel's printk racing the guest's output\n",
				n);
		usleep_range(500, 2000);
	}
	pr_info("storm: %lu lines\n", n);
	return 0;
}

static int __init vmdummy_init(void)
{
	if (fail_init) {
		pr_err("init failed on request\n");
		return -EINVAL;
	}
	WARN_ON(warn);
	if (leak) {
		leaked = kmalloc(128, GFP_KERNEL);
		if (leaked)
			memset(leaked, 0x5a, 128);
		/* Drop the only reference so that kmemleak sees a leak. */
		leaked = NULL;
	}
	if (oob) {
		char *p = kmalloc(16, GFP_KERNEL);

		if (p) {
			pr_info("oob read: %d\n", READ_ONCE(p[12 + index]));
			kfree(p);
		}
	}
	if (ubsan) {
		struct two_arrays *t = kzalloc(sizeof(*t), GFP_KERNEL);

		if (t) {
			/* In bounds for KASAN, out of bounds for UBSAN. */
			pr_info("ubsan read: %d\n", t->a[index]);
			kfree(t);
		}
	}
	if (lockdep) {
		mutex_lock(&lock_a);
		mutex_lock(&lock_b);
		mutex_unlock(&lock_b);
		mutex_unlock(&lock_a);
		mutex_lock(&lock_b);
		mutex_lock(&lock_a);
		mutex_unlock(&lock_a);
		mutex_unlock(&lock_b);
	}
	if (atomic_sleep) {
		/* might_sleep() reports it; the allocation does not sleep. */
		spin_lock(&spin);
		kfree(kmalloc(16, GFP_KERNEL));
		spin_unlock(&spin);
	}
	if (page_uaf)
		write_freed_page();
	if (poison)
		flip_freed_page_bit();
	if (oops) {
		int *null = NULL;

		OPTIMIZER_HIDE_VAR(null);
		pr_info("oops read: %d\n", *null);
	}
	if (race)
		data_race_for_2s();
	if (storm) {
		stormer = kthread_run(storm_fn, NULL, "vmdummy_storm");
		if (IS_ERR(stormer)) {
			pr_err("storm: no kthread (%ld)\n", PTR_ERR(stormer));
			stormer = NULL;
		}
	}
	pr_info("loaded\n");
	return 0;
}
module_init(vmdummy_init);

static void __exit vmdummy_exit(void)
{
	if (stormer)
		kthread_stop(stormer);
	pr_info("unloaded\n");
}
module_exit(vmdummy_exit);

MODULE_DESCRIPTION("buddy VM harness self-test module");
MODULE_LICENSE("GPL");
