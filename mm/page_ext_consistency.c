// SPDX-License-Identifier: GPL-2.0
/*
 * Page allocator consistency checker.
 *
 * Every page has a two-bit record in page_ext->flags: FREE while the page
 * allocator owns the page, ALLOCATED while anybody else does.  The two bits
 * are complementary, so of the four patterns two are valid and two can only
 * come from corruption of the record itself.  The allocator hooks move each
 * page of a block from one valid pattern to the other with a single
 * compare-and-exchange that also checks the old pattern, so a page handed out
 * twice, a free of a page that is not allocated and a record that is neither
 * pattern are all caught at the transition that meets them.
 *
 * The record is independent of the allocator's own metadata (PageBuddy, the
 * free lists, the order in page->private): it is what the hooks have seen,
 * not what buddy believes, and that is what makes a disagreement visible.
 *
 * The model: a page is FREE from free_pages_prepare() until post_alloc_hook()
 * and ALLOCATED from post_alloc_hook() until free_pages_prepare().  Pages
 * that move into or out of buddy without those hooks keep the model because
 * they move while they are FREE and stay FREE, or because they arrive
 * through __free_pages_ok() from an ALLOCATED record:
 *
 *  - pcp lists: pages are freed (FREE) before they reach a pcp list and are
 *    allocated through post_alloc_hook() when they leave it; draining a pcp
 *    list to buddy moves FREE pages.  Boot-time init drains the boot CPU's
 *    lists because pcp pages are not PageBuddy.
 *  - compaction: isolate_freepages_block() takes FREE pages off buddy;
 *    compaction_alloc() and release_free_list() pass them through
 *    post_alloc_hook() before use or before __free_pages(), and
 *    compaction_free() through free_pages_prepare().
 *  - alloc_contig_range(), CMA and gigantic hugetlb pages: the free pages are
 *    isolated FREE and handed out through split_free_pages() ->
 *    post_alloc_hook(), or, for __GFP_COMP, as one block above
 *    MAX_PAGE_ORDER through prep_new_page(); free_contig_range() frees them
 *    page by page or as that one block.
 *  - page_owner shares the page_ext flags word and updates it with
 *    non-atomic bitops.  The hooks therefore run before set_page_owner() and
 *    reset_page_owner(): page_owner only ever writes back a record that this
 *    CPU's transition has already installed.
 *  - free page reporting and memory offlining: __isolate_free_page() and
 *    __putback_isolated_page() / __offline_isolated_pages() move FREE pages
 *    and never hand them to anybody; offlining then frees the page_ext.
 *  - take_page_off_buddy() (hwpoison) keeps a FREE page out of buddy for
 *    good; put_page_back_buddy() returns it FREE.  A hwpoisoned page that is
 *    freed takes the early return of free_pages_prepare(), which records it
 *    FREE like any other free.
 *  - free_reserved_area(), initmem, memblock_free_late() and unaccepted
 *    memory: such pages were never in buddy when the records were set up, so
 *    they are ALLOCATED, and they reach buddy through __free_pages_ok() or
 *    __free_page(), i.e. through the free hook.
 *  - memory hotplug: page_ext for a new section is zeroed, which is not a
 *    valid record; the memory notifier records the range ALLOCATED before
 *    online_pages() releases it to buddy through the free hook.
 *  - split_page() and THP splitting: every page of a block is recorded, so
 *    the pieces can be freed in any order and at any size.
 *  - debug_pagealloc guard pages are split off free blocks in expand() and
 *    merged back in __free_one_page() without the hooks; they stay FREE.
 *
 * Initialisation is exact.  Enabling the checker forces early page_ext, so
 * the init callback runs from mm_core_init() on the boot CPU, with interrupts
 * off and before the secondary CPUs are brought up.  Nothing else can
 * allocate or free while it drains the pcp lists, records every buddy block
 * FREE and every other page ALLOCATED, and enables the static key.  From
 * then on every record in a populated zone is valid, so an invalid record is
 * always corruption and no report has to be suppressed during boot.
 */

#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/memory.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_ext.h>
#include <linux/page_ext_consistency.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "internal.h"

#define PEC_FREE	BIT(PAGE_EXT_CONSISTENCY_FREE)
#define PEC_ALLOCATED	BIT(PAGE_EXT_CONSISTENCY_ALLOCATED)
#define PEC_MASK	(PEC_FREE | PEC_ALLOCATED)
/* Not a pattern: what the scrub expects of a page outside buddy. */
#define PEC_VALID	(~0UL)

enum pec_mode {
	PEC_MODE_OFF,
	PEC_MODE_WARN,
	PEC_MODE_PANIC,
};

static const char * const pec_mode_name[] = {
	[PEC_MODE_OFF]		= "off",
	[PEC_MODE_WARN]		= "warn",
	[PEC_MODE_PANIC]	= "panic",
};

enum pec_class {
	PEC_DOUBLE_ALLOC,
	PEC_BAD_FREE,
	PEC_CORRUPT_RECORD,
	PEC_BUDDY_ALLOCATED,
	NR_PEC_CLASSES,
};

/* Names in the first line of a report. */
static const char * const pec_class_name[NR_PEC_CLASSES] = {
	[PEC_DOUBLE_ALLOC]	= "double-alloc",
	[PEC_BAD_FREE]		= "bad-free",
	[PEC_CORRUPT_RECORD]	= "corrupt-record",
	[PEC_BUDDY_ALLOCATED]	= "buddy-allocated",
};

static enum pec_mode pec_mode __ro_after_init =
	IS_ENABLED(CONFIG_PAGE_EXT_CONSISTENCY_ENFORCED) ?
	PEC_MODE_PANIC : PEC_MODE_OFF;

DEFINE_STATIC_KEY_TRUE(page_ext_consistency_disabled);

/*
 * The hot path only touches per-cpu counters, with raw_cpu_add(): it is one
 * instruction where the architecture has per-cpu arithmetic (x86), and where
 * it has not, a preempted update may lose a count, which is better for a
 * statistic than disabling interrupts twice on every allocation.  Violations
 * are rare enough for atomics.
 */
static DEFINE_PER_CPU(unsigned long, pec_alloc_checks);
static DEFINE_PER_CPU(unsigned long, pec_free_checks);
static atomic_long_t pec_violations[NR_PEC_CLASSES];

#ifdef CONFIG_PAGE_EXT_CONSISTENCY_KUNIT_TEST
/*
 * The KUnit test provokes violations on pages it owns.  Reports raised by
 * the test's own task are recorded here instead of being acted upon, so the
 * test can check them without panicking or tainting the kernel.
 */
struct pec_capture {
	struct task_struct *task;
	unsigned int reports;
	enum pec_class class;
	unsigned long pfn;
	char line[128];
};

static struct pec_capture *pec_capture;

static bool pec_captured(enum pec_class class, unsigned long pfn,
			 const char *line)
{
	struct pec_capture *cap = READ_ONCE(pec_capture);

	if (!cap || cap->task != current)
		return false;
	cap->reports++;
	cap->class = class;
	cap->pfn = pfn;
	strscpy(cap->line, line, sizeof(cap->line));
	return true;
}
#else
static inline bool pec_captured(enum pec_class class, unsigned long pfn,
				const char *line)
{
	return false;
}
#endif

static int __init early_page_ext_consistency_param(char *buf)
{
	enum pec_mode mode;

	if (!buf)
		buf = "";
	if (!strcmp(buf, "off")) {
		mode = PEC_MODE_OFF;
	} else if (!strcmp(buf, "on") || !strcmp(buf, "panic")) {
		mode = PEC_MODE_PANIC;
	} else if (!strcmp(buf, "warn")) {
		mode = PEC_MODE_WARN;
	} else {
		pr_err("page_ext_consistency: invalid value '%s' for page_ext_consistency=, expected off, on, panic or warn; staying %s\n",
		       buf, pec_mode_name[pec_mode]);
		return 0;
	}

	pec_mode = mode;
	/*
	 * Exact initialisation needs page_ext before deferred struct page
	 * init and before SMP: see page_ext_consistency_init().
	 */
	if (pec_mode != PEC_MODE_OFF)
		early_page_ext = true;
	return 0;
}
early_param("page_ext_consistency", early_page_ext_consistency_param);

static const char *pec_pattern_name(unsigned long pattern)
{
	switch (pattern) {
	case PEC_FREE:
		return "free";
	case PEC_ALLOCATED:
		return "allocated";
	case PEC_VALID:
		return "free|allocated";
	case 0:
		return "invalid(none)";
	default:
		return "invalid(both)";
	}
}

/*
 * Install @pattern whatever the record holds: used where the record is
 * defined rather than checked (init, hotplug) and to resync a record after a
 * report.  The other bits of page_ext->flags belong to other page_ext
 * clients and may change under us, hence the loop.
 */
static void pec_record_set(struct page_ext *page_ext, unsigned long pattern)
{
	unsigned long old = READ_ONCE(page_ext->flags);

	while (!try_cmpxchg(&page_ext->flags, &old, (old & ~PEC_MASK) | pattern))
		;
}

static unsigned long pec_record_get(struct page_ext *page_ext)
{
	return READ_ONCE(page_ext->flags) & PEC_MASK;
}

/* Set the records of @nr_pages pages that lie within one MAX_PAGE_ORDER block. */
static void pec_set_block(struct page *page, unsigned long nr_pages,
			  unsigned long pattern)
{
	struct page_ext *page_ext = page_ext_get(page);
	struct page_ext *iter = page_ext;
	unsigned long i;

	if (!page_ext)
		return;
	for (i = 0; i < nr_pages; i++) {
		pec_record_set(iter, pattern);
		iter = page_ext_next(iter);
	}
	page_ext_put(page_ext);
}

/*
 * Report a violation of @class on @page, found by @what ("allocation",
 * "free" or "scrub") of the block at @block.  The first line is stable for
 * log parsers; dump_page() follows, which also prints page_owner's stacks
 * when page_owner is on.  In panic mode this does not return.  Otherwise the
 * record is resynced to @resync so that one fault is reported once, and
 * reports are rate-limited.
 */
static void __cold pec_report(enum pec_class class, struct page *page,
			      struct page *block, unsigned int order,
			      struct page_ext *page_ext, unsigned long expected,
			      unsigned long found, unsigned long resync,
			      const char *what)
{
	static DEFINE_RATELIMIT_STATE(pec_ratelimit, 5 * HZ, 10);
	unsigned long pfn = page_to_pfn(page);
	char line[128];

	atomic_long_inc(&pec_violations[class]);
	snprintf(line, sizeof(line),
		 "BUG: page_ext_consistency: %s pfn:%#lx order:%u expected:%s found:%s",
		 pec_class_name[class], pfn, order, pec_pattern_name(expected),
		 pec_pattern_name(found));

	if (pec_captured(class, pfn, line))
		goto resync;
	if (pec_mode != PEC_MODE_PANIC && !__ratelimit(&pec_ratelimit))
		goto resync;

	pr_err("%s\n", line);
	pr_err("page_ext_consistency: found by %s of block pfn:%#lx order:%u in task %s (pid %d)\n",
	       what, page_to_pfn(block), order, current->comm,
	       task_pid_nr(current));
	dump_page(page, "page_ext_consistency");
	if (pec_mode == PEC_MODE_PANIC)
		panic("page_ext_consistency: %s pfn:%#lx\n",
		      pec_class_name[class], pfn);

	WARN(1, "page_ext_consistency: %s pfn:%#lx (mode:warn, record resynced)\n",
	     pec_class_name[class], pfn);
	add_taint(TAINT_BAD_PAGE, LOCKDEP_STILL_OK);
resync:
	pec_record_set(page_ext, resync);
}

/*
 * A transition met a record it did not expect.  If the record holds the
 * other valid pattern the allocator contradicts itself (a double allocation
 * or a bad free); anything else means the record was corrupted.  The record
 * is resynced to the state the allocator is moving the page to.
 */
static void __cold pec_violation(struct page *page, struct page *block,
				 unsigned int order, struct page_ext *page_ext,
				 unsigned long expected, unsigned long found,
				 unsigned long new)
{
	enum pec_class class;

	if (found == PEC_FREE || found == PEC_ALLOCATED)
		class = new == PEC_ALLOCATED ? PEC_DOUBLE_ALLOC : PEC_BAD_FREE;
	else
		class = PEC_CORRUPT_RECORD;
	pec_report(class, page, block, order, page_ext, expected, found, new,
		   new == PEC_ALLOCATED ? "allocation" : "free");
}

/*
 * Move the records of @nr pages from @old to @new, starting at @page; all of
 * them lie within one MAX_PAGE_ORDER block, so their page_ext entries are
 * contiguous and are looked up once.  @block and @order describe the whole
 * block, for the report.
 *
 * The first page takes exactly one compare-and-exchange when nothing else
 * touches page_ext->flags: it checks the old pattern and installs the new
 * one in a single atomic step, so a corrupted record is seen before it is
 * overwritten, and two CPUs racing for the same page (what a corrupted free
 * list produces) cannot both succeed.  That is the whole of an order-0
 * transition.
 *
 * The other pages are checked and updated with a plain load and store, which
 * costs a fraction of a locked instruction on a 512-page block.  Their flags
 * word has no other writer: the other page_ext clients touch it only on
 * behalf of the page's owner, which is us.  A page handed out twice at
 * different times (a page on two free lists, a block freed twice) is caught
 * exactly as by a compare-and-exchange: the second transition finds the
 * pattern the first one installed.  Only when two CPUs move the same tail
 * page at the very same moment can both read the old pattern; both then
 * store the new one, and the record is left ALLOCATED for two owners (or
 * FREE with the page in buddy twice).  That is caught at the latest at the
 * next transition of the page: the first owner's free makes it FREE and the
 * second owner's free reports a bad free (or the next allocation of the
 * doubly freed page finds it ALLOCATED by the other path and reports a
 * double allocation).
 */
static __always_inline void pec_transition_chunk(struct page *page,
						 unsigned long nr,
						 struct page *block,
						 unsigned int order,
						 unsigned long old,
						 unsigned long new)
{
	struct page_ext *page_ext, *iter;
	unsigned long i, val;

	page_ext = page_ext_get(page);
	if (unlikely(!page_ext))
		return;
	val = READ_ONCE(page_ext->flags);
	do {
		if (unlikely((val & PEC_MASK) != old)) {
			pec_violation(page, block, order, page_ext, old,
				      val & PEC_MASK, new);
			break;
		}
	} while (!try_cmpxchg(&page_ext->flags, &val, (val & ~PEC_MASK) | new));

	iter = page_ext;
	for (i = 1; i < nr; i++) {
		iter = page_ext_next(iter);
		val = READ_ONCE(iter->flags);
		if (unlikely((val & PEC_MASK) != old))
			pec_violation(nth_page(page, i), block, order, iter,
				      old, val & PEC_MASK, new);
		else
			WRITE_ONCE(iter->flags, (val & ~PEC_MASK) | new);
	}
	page_ext_put(page_ext);
}

/*
 * Move every page of a block from @old to @new.  page_ext entries are
 * contiguous only within a memory section, and alloc_contig_range() hands
 * out blocks above MAX_PAGE_ORDER (gigantic hugetlb pages), so those are
 * walked one MAX_ORDER_NR_PAGES chunk at a time.  Every other block is one
 * chunk.
 */
static __always_inline void pec_transition(struct page *page, unsigned int order,
					   unsigned long old, unsigned long new)
{
	unsigned long nr = 1UL << order, done;

	if (likely(order <= MAX_PAGE_ORDER)) {
		pec_transition_chunk(page, nr, page, order, old, new);
		return;
	}
	for (done = 0; done < nr; done += MAX_ORDER_NR_PAGES)
		pec_transition_chunk(nth_page(page, done), MAX_ORDER_NR_PAGES,
				     page, order, old, new);
}

/**
 * __page_ext_consistency_alloc() - Check and record an allocation.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called through page_ext_consistency_alloc() when the checker is enabled.
 */
void __page_ext_consistency_alloc(struct page *page, unsigned int order)
{
	raw_cpu_add(pec_alloc_checks, 1UL << order);
	pec_transition(page, order, PEC_FREE, PEC_ALLOCATED);
}

/**
 * __page_ext_consistency_free() - Check and record a free.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called through page_ext_consistency_free() when the checker is enabled.
 */
void __page_ext_consistency_free(struct page *page, unsigned int order)
{
	raw_cpu_add(pec_free_checks, 1UL << order);
	pec_transition(page, order, PEC_ALLOCATED, PEC_FREE);
}

/*
 * Record the current state of every page of a zone: buddy blocks FREE,
 * everything else (reserved, memblock and early allocations) ALLOCATED.
 * Runs on the boot CPU with interrupts off and nothing else running, so the
 * snapshot is exact; the zone lock is taken anyway to honour the rules.
 */
static void __init pec_init_zone(struct zone *zone, unsigned long *nr_free,
				 unsigned long *nr_allocated)
{
	unsigned long pfn = zone->zone_start_pfn;
	unsigned long end = zone_end_pfn(zone);
	unsigned long flags, nr;
	struct page *page;

	spin_lock_irqsave(&zone->lock, flags);
	while (pfn < end) {
		page = pfn_to_online_page(pfn);
		if (!page) {
			pfn = ALIGN(pfn + 1, pageblock_nr_pages);
			continue;
		}
		if (page_zone(page) != zone) {
			pfn++;
			continue;
		}
		if (PageBuddy(page)) {
			nr = 1UL << buddy_order(page);
			pec_set_block(page, nr, PEC_FREE);
			*nr_free += nr;
		} else {
			nr = 1;
			pec_set_block(page, nr, page_is_guard(page) ?
				      PEC_FREE : PEC_ALLOCATED);
			*nr_allocated += nr;
		}
		pfn += nr;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
}

/*
 * A new memory block's page_ext is zeroed, which is not a valid record.
 * Record its pages ALLOCATED before online_pages() hands them to buddy:
 * that goes through the free hook and makes them FREE.  Runs after
 * page_ext's own notifier has allocated the entries (lower priority).
 * Offlining needs nothing: the pages leave buddy isolated and FREE, and
 * their page_ext is freed with the section.
 */
static int pec_memory_callback(struct notifier_block *self,
			       unsigned long action, void *arg)
{
	struct memory_notify *mn = arg;
	unsigned long pfn, end;

	if (action != MEM_GOING_ONLINE)
		return NOTIFY_OK;

	end = mn->start_pfn + mn->nr_pages;
	for (pfn = mn->start_pfn; pfn < end; pfn += pageblock_nr_pages)
		pec_set_block(pfn_to_page(pfn),
			      min(end - pfn, pageblock_nr_pages), PEC_ALLOCATED);
	return NOTIFY_OK;
}

static bool __init page_ext_consistency_need(void)
{
	return pec_mode != PEC_MODE_OFF;
}

static void __init page_ext_consistency_init(void)
{
	unsigned long nr_free = 0, nr_allocated = 0;
	struct zone *zone;

	if (pec_mode == PEC_MODE_OFF)
		return;

	/*
	 * Only the boot CPU is up and interrupts are off: draining its pcp
	 * lists leaves every free page PageBuddy, and nothing can allocate
	 * or free until the key is on.
	 */
	WARN_ON_ONCE(num_online_cpus() > 1);
	drain_local_pages(NULL);
	for_each_populated_zone(zone)
		pec_init_zone(zone, &nr_free, &nr_allocated);

	hotplug_memory_notifier(pec_memory_callback, DEFAULT_CALLBACK_PRI - 1);
	static_branch_disable(&page_ext_consistency_disabled);
	pr_info("page_ext_consistency: enabled, mode:%s, %lu pages recorded (%lu free, %lu allocated)\n",
		pec_mode_name[pec_mode], nr_free + nr_allocated, nr_free,
		nr_allocated);
}

struct page_ext_operations page_ext_consistency_ops = {
	.need = page_ext_consistency_need,
	.init = page_ext_consistency_init,
	.need_shared_flags = true,
};

/*
 * The scrub checks every record of every populated zone, so that corruption
 * of a page that will not be allocated or freed for a long time is found
 * too.  Under the zone lock PageBuddy is stable, and a page only becomes
 * PageBuddy after its free hook made it FREE (pages leave buddy under the
 * lock and meet the alloc hook after it), so every page of a buddy block
 * must be FREE.  Any other page may be either (pcp lists, isolated pages),
 * but must hold a valid pattern.
 *
 * The zone lock is held for PEC_SCRUB_CHUNK pages at a time: one
 * MAX_PAGE_ORDER block, so no buddy block straddles two chunks and each hold
 * stays in the tens of microseconds on real hardware.
 */
#define PEC_SCRUB_CHUNK		MAX_ORDER_NR_PAGES

static DEFINE_MUTEX(pec_scrub_lock);
static unsigned long pec_scrub_runs;
static unsigned long pec_scrub_pages;
static u64 pec_scrub_last_ns;
static u64 pec_scrub_max_hold_ns;

/* Check the records of one buddy block, or of one page outside buddy. */
static unsigned long pec_scrub_page(struct page *page, struct page_ext *page_ext)
{
	unsigned long nr, i, found;
	unsigned int order;

	if (!PageBuddy(page)) {
		found = pec_record_get(page_ext);
		if (unlikely(found != PEC_FREE && found != PEC_ALLOCATED))
			pec_report(PEC_CORRUPT_RECORD, page, page, 0, page_ext,
				   PEC_VALID, found, page_count(page) ?
				   PEC_ALLOCATED : PEC_FREE, "scrub");
		return 1;
	}

	order = buddy_order(page);
	nr = 1UL << order;
	for (i = 0; i < nr; i++) {
		found = pec_record_get(page_ext);
		if (unlikely(found != PEC_FREE))
			pec_report(found == PEC_ALLOCATED ? PEC_BUDDY_ALLOCATED :
				   PEC_CORRUPT_RECORD, nth_page(page, i), page,
				   order, page_ext, PEC_FREE, found, PEC_FREE,
				   "scrub");
		page_ext = page_ext_next(page_ext);
	}
	return nr;
}

/* Scrub [@pfn, @end) of @zone; called with the zone lock held. */
static unsigned long pec_scrub_range(struct zone *zone, unsigned long pfn,
				     unsigned long end)
{
	struct page_ext *page_ext;
	unsigned long checked = 0, nr;
	struct page *page;

	while (pfn < end) {
		page = pfn_to_online_page(pfn);
		if (!page) {
			pfn = ALIGN(pfn + 1, pageblock_nr_pages);
			continue;
		}
		nr = 1;
		page_ext = page_zone(page) == zone ? page_ext_get(page) : NULL;
		if (page_ext) {
			nr = pec_scrub_page(page, page_ext);
			page_ext_put(page_ext);
			checked += nr;
		}
		pfn += nr;
	}
	return checked;
}

/**
 * page_ext_consistency_scrub() - Verify every page's record.
 *
 * Walks all populated zones in chunks under the zone lock and reports every
 * record that is invalid, and every page of a buddy block that is not
 * recorded FREE, through the same path and action as the allocator hooks.
 *
 * Context: Process context, may sleep.
 * Return: the number of pages checked, or -ENODEV if the checker is off.
 */
long page_ext_consistency_scrub(void)
{
	unsigned long pfn, next, end, flags, checked = 0;
	u64 start, t0, hold, max_hold = 0;
	struct zone *zone;

	if (static_branch_likely(&page_ext_consistency_disabled))
		return -ENODEV;

	mutex_lock(&pec_scrub_lock);
	start = ktime_get_ns();
	for_each_populated_zone(zone) {
		end = zone_end_pfn(zone);
		for (pfn = zone->zone_start_pfn; pfn < end; pfn = next) {
			next = min(ALIGN(pfn + 1, PEC_SCRUB_CHUNK), end);
			spin_lock_irqsave(&zone->lock, flags);
			t0 = ktime_get_ns();
			checked += pec_scrub_range(zone, pfn, next);
			hold = ktime_get_ns() - t0;
			spin_unlock_irqrestore(&zone->lock, flags);
			max_hold = max(max_hold, hold);
			cond_resched();
		}
	}
	pec_scrub_runs++;
	pec_scrub_pages = checked;
	pec_scrub_last_ns = ktime_get_ns() - start;
	pec_scrub_max_hold_ns = max(pec_scrub_max_hold_ns, max_hold);
	mutex_unlock(&pec_scrub_lock);
	return checked;
}

/*
 * Periodic scrub: page_ext_consistency.scrub_interval=<seconds> on the
 * command line or in /sys/module/page_ext_consistency/parameters/, 0 = off.
 */
static unsigned int pec_scrub_interval;
static bool pec_scrub_ready;
static void pec_scrub_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(pec_scrub_work, pec_scrub_workfn);

static void pec_scrub_schedule(void)
{
	if (!READ_ONCE(pec_scrub_ready))
		return;
	if (pec_scrub_interval)
		mod_delayed_work(system_unbound_wq, &pec_scrub_work,
				 (unsigned long)pec_scrub_interval * HZ);
	else
		cancel_delayed_work(&pec_scrub_work);
}

static void pec_scrub_workfn(struct work_struct *work)
{
	page_ext_consistency_scrub();
	pec_scrub_schedule();
}

static int pec_scrub_interval_set(const char *val, const struct kernel_param *kp)
{
	unsigned int secs;
	int ret;

	ret = kstrtouint(val, 0, &secs);
	if (ret)
		return ret;
	WRITE_ONCE(pec_scrub_interval, secs);
	pec_scrub_schedule();
	return 0;
}

static const struct kernel_param_ops pec_scrub_interval_ops = {
	.set = pec_scrub_interval_set,
	.get = param_get_uint,
};
module_param_cb(scrub_interval, &pec_scrub_interval_ops, &pec_scrub_interval,
		0600);
MODULE_PARM_DESC(scrub_interval, "seconds between full scrubs, 0 = no periodic scrub");

static int __init pec_scrub_init(void)
{
	if (static_branch_likely(&page_ext_consistency_disabled))
		return 0;
	WRITE_ONCE(pec_scrub_ready, true);
	pec_scrub_schedule();
	return 0;
}
late_initcall(pec_scrub_init);

#ifdef CONFIG_DEBUG_FS
static const char * const pec_class_key[NR_PEC_CLASSES] = {
	[PEC_DOUBLE_ALLOC]	= "double_alloc",
	[PEC_BAD_FREE]		= "bad_free",
	[PEC_CORRUPT_RECORD]	= "corrupt_record",
	[PEC_BUDDY_ALLOCATED]	= "buddy_allocated",
};

static unsigned long pec_sum(unsigned long __percpu *counter)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(counter, cpu);
	return sum;
}

/* Count the records of all populated zones: a snapshot, not a check. */
static void pec_count_records(unsigned long *nr_free, unsigned long *nr_allocated,
			      unsigned long *nr_invalid)
{
	struct page_ext *page_ext;
	unsigned long pfn;
	struct zone *zone;
	struct page *page;

	for_each_populated_zone(zone) {
		for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn++) {
			if (!(pfn & (pageblock_nr_pages - 1)))
				cond_resched();
			page = pfn_to_online_page(pfn);
			if (!page || page_zone(page) != zone)
				continue;
			page_ext = page_ext_get(page);
			if (!page_ext)
				continue;
			switch (pec_record_get(page_ext)) {
			case PEC_FREE:
				(*nr_free)++;
				break;
			case PEC_ALLOCATED:
				(*nr_allocated)++;
				break;
			default:
				(*nr_invalid)++;
			}
			page_ext_put(page_ext);
		}
	}
}

static int stats_show(struct seq_file *m, void *v)
{
	unsigned long nr_free = 0, nr_allocated = 0, nr_invalid = 0, total = 0;
	unsigned long count;
	int i;

	pec_count_records(&nr_free, &nr_allocated, &nr_invalid);
	seq_printf(m, "mode: %s\n", pec_mode_name[pec_mode]);
	seq_printf(m, "alloc_checks: %lu\n", pec_sum(&pec_alloc_checks));
	seq_printf(m, "free_checks: %lu\n", pec_sum(&pec_free_checks));
	seq_printf(m, "pages_allocated: %lu\n", nr_allocated);
	seq_printf(m, "pages_free: %lu\n", nr_free);
	seq_printf(m, "records_invalid: %lu\n", nr_invalid);
	for (i = 0; i < NR_PEC_CLASSES; i++)
		total += atomic_long_read(&pec_violations[i]);
	seq_printf(m, "violations: %lu\n", total);
	for (i = 0; i < NR_PEC_CLASSES; i++) {
		count = atomic_long_read(&pec_violations[i]);
		seq_printf(m, "%s: %lu\n", pec_class_key[i], count);
	}
	mutex_lock(&pec_scrub_lock);
	seq_printf(m, "scrub_runs: %lu\n", pec_scrub_runs);
	seq_printf(m, "scrub_pages_checked: %lu\n", pec_scrub_pages);
	seq_printf(m, "scrub_last_duration_us: %llu\n",
		   div_u64(pec_scrub_last_ns, NSEC_PER_USEC));
	seq_printf(m, "scrub_max_lock_hold_us: %llu\n",
		   div_u64(pec_scrub_max_hold_ns, NSEC_PER_USEC));
	mutex_unlock(&pec_scrub_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* Writing "1" runs a full scrub; anything else is rejected. */
static ssize_t scrub_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	bool run;
	long ret;

	ret = kstrtobool_from_user(ubuf, count, &run);
	if (ret)
		return ret;
	if (!run)
		return -EINVAL;
	ret = page_ext_consistency_scrub();
	return ret < 0 ? ret : count;
}

static const struct file_operations scrub_fops = {
	.write = scrub_write,
	.llseek = noop_llseek,
};

#ifdef CONFIG_PAGE_EXT_CONSISTENCY_INJECT
/*
 * Fault injection, for testing only: "<pfn> <how>" changes the record of
 * one page, and nothing else, so that detection can be shown end to end.
 */
static const struct {
	const char *name;
	unsigned long flip, set;
} pec_inject_ops[] = {
	{ "flip-free",		PEC_FREE,	0 },
	{ "flip-allocated",	PEC_ALLOCATED,	0 },
	{ "flip-both",		PEC_MASK,	0 },
	{ "set-free",		0,		PEC_FREE },
	{ "set-allocated",	0,		PEC_ALLOCATED },
	{ "set-none",		0,		0 },
	{ "set-both",		0,		PEC_MASK },
};

static ssize_t inject_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct page_ext *page_ext;
	char buf[64], *how, *pos;
	unsigned long pfn, record;
	struct page *page;
	int i;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	pos = strim(buf);
	how = strsep(&pos, " \t");
	if (!pos || kstrtoul(how, 0, &pfn))
		return -EINVAL;
	how = strim(pos);
	for (i = 0; i < ARRAY_SIZE(pec_inject_ops); i++)
		if (!strcmp(how, pec_inject_ops[i].name))
			break;
	if (i == ARRAY_SIZE(pec_inject_ops))
		return -EINVAL;

	page = pfn_to_online_page(pfn);
	if (!page)
		return -EINVAL;
	page_ext = page_ext_get(page);
	if (!page_ext)
		return -EINVAL;
	record = pec_record_get(page_ext);
	if (pec_inject_ops[i].flip)
		record ^= pec_inject_ops[i].flip;
	else
		record = pec_inject_ops[i].set;
	pec_record_set(page_ext, record);
	page_ext_put(page_ext);
	pr_warn("page_ext_consistency: injected %s into pfn:%#lx, record now %s\n",
		how, pfn, pec_pattern_name(record));
	return count;
}

static const struct file_operations inject_fops = {
	.write = inject_write,
	.llseek = noop_llseek,
};
#endif /* CONFIG_PAGE_EXT_CONSISTENCY_INJECT */

static int __init pec_debugfs_init(void)
{
	struct dentry *dir;

	if (static_branch_likely(&page_ext_consistency_disabled))
		return 0;

	dir = debugfs_create_dir("page_ext_consistency", NULL);
	debugfs_create_file("stats", 0400, dir, NULL, &stats_fops);
	debugfs_create_file("scrub", 0200, dir, NULL, &scrub_fops);
#ifdef CONFIG_PAGE_EXT_CONSISTENCY_INJECT
	debugfs_create_file("inject", 0200, dir, NULL, &inject_fops);
#endif
	return 0;
}
late_initcall(pec_debugfs_init);
#endif /* CONFIG_DEBUG_FS */

#ifdef CONFIG_PAGE_EXT_CONSISTENCY_KUNIT_TEST
#include "page_ext_consistency_test.c"
#endif
