// SPDX-License-Identifier: GPL-2.0
/*
 * Allocator-state faults on purpose, for the evidence runs of the page_ext
 * consistency checker (make evidence): which of the kernel's debugging tools
 * finds which fault, how soon, and whether two owners wrote a page first.
 *
 * For testing only, in a throw-away guest, the way lkdtm provokes crashes:
 * it is not part of the checker and not posted with it.  Each boot runs one
 * fault:
 *
 *   echo "<fault> [<ms>]" > /sys/kernel/debug/pec_evidence
 *
 * corrupts the allocator's state once, then allocates and frees (orders 0 to
 * 3, unmovable and movable, draining the per-CPU lists every 256 operations
 * so that the buddy free lists are used) for <ms> milliseconds (default
 * 3000) or until a report, all in the writer's context.  It prints
 *
 *   PEC-EVIDENCE inject fault=<name> pfn=<pfn>
 *   PEC-EVIDENCE result fault=<name> detected=<0|1> ops=<n> ms=<ms>
 *                shared=<0|1> clobbered=<0|1> clobbered_before=<0|1>
 *                end=<time|report|panic>
 *
 * (one line).  A report is whatever taints the kernel (bad_page(), WARN,
 * KASAN, the checker in warn mode) or panics it (an oops with oops=panic,
 * BUG_ON, the checker in panic mode: a panic notifier prints the result).
 * ops is the number of the allocation or free, counted from the fault, that
 * was running when the report came (0: before the first one: a report from
 * an allocation elsewhere).  Every
 * owner writes a canary into the first word of each of its pages and checks
 * it: "shared" means a block was handed to the workload while one of its
 * pages was held by another owner, "clobbered" that an owner found another
 * owner's canary in its page, and clobbered_before that this happened
 * before the report (or without one).
 *
 * The faults:
 *   two-lists        a free page linked into a second free list as well
 *   order-up         the order of a free page raised to 1: its buddy, in use,
 *                    is handed out with it
 *   buddy-clear      PageBuddy cleared on a free page
 *   buddy-set        PageBuddy set on a page in use (on its owner's list), so
 *                    that its buddy's free merges it into a free block
 *   double-free      a page freed, its refcount reset to 1 and freed again
 *   double-free-tail a tail page of a compound block freed on its own after
 *                    the block was freed (refcount reset as above)
 *   double-free-order  an order-0 page freed with free_pages() of order 1:
 *                    its neighbour in the order-1 block was freed before
 *   free-after-reuse a page freed, handed to another owner (the victim) and
 *                    freed again by its first owner: the refcounts are right,
 *                    the second free drops the new owner's reference
 *   freed-mapped     a user page freed while still mapped (one put_page() too
 *                    many), the mapping's owner writing on through it
 *   record-bit       one bit of a free page's record (the FREE copy)
 *   record-2bit      both bits of a free page's record (reads ALLOCATED)
 *   record-word      the FREE copy's word that holds a free page (64 pages)
 *   record-row-zero  8 KiB of the FREE copy zeroed, from a free page's section
 *   record-row-flip  8 KiB of the ALLOCATED copy flipped, likewise
 *   list-bit         one bit of a free page's free-list pointer, the bit that
 *                    moves it to the same field of the neighbouring page
 *   list-2bit        two bits of it
 *   list-word        the pointer zeroed
 *
 * The record faults need the checker on (-ENODEV otherwise).
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmzone.h>
#include <linux/notifier.h>
#include <linux/page_ext.h>
#include <linux/page_ext_consistency.h>
#include <linux/panic.h>
#include <linux/panic_notifier.h>
#include <linux/sched.h>
#include <linux/swap.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "internal.h"

#define PEV_SLOTS	512
#define PEV_DRAIN_OPS	256
#define PEV_ROW_BYTES	SZ_8K
#define PEV_TAG		0x5045564900000000ULL	/* "PEVI" and a serial */

struct pev_block {
	struct page *page;
	unsigned int order;
	u64 tag;
};

/* One run per boot: the state the workload and the panic notifier share. */
static struct pev_state {
	const char *fault;
	struct pev_block slot[PEV_SLOTS];
	struct pev_block victim;	/* a page held across the fault */
	unsigned long uaddr;		/* freed-mapped: the user's mapping */
	u64 utag;
	unsigned long taint;
	u64 t0;
	unsigned long ops;
	unsigned long seq;		/* events, to order them */
	unsigned long det_seq, shared_seq, clobber_seq;
	unsigned long det_ops;
	u64 det_ns;
	u64 serial;
} pev;

static atomic_t pev_started = ATOMIC_INIT(0);
static bool pev_running;
static LIST_HEAD(pev_owner_list);

static u64 pev_next_tag(void)
{
	return PEV_TAG | ++pev.serial;
}

static void pev_write_tag(struct page *page, unsigned int order, u64 tag)
{
	unsigned int i;

	for (i = 0; i < (1U << order); i++)
		WRITE_ONCE(*(u64 *)page_address(page + i), tag);
}

static void pev_event(unsigned long *seq)
{
	if (!*seq)
		*seq = ++pev.seq;
}

/* Check @b's canary: another owner's tag in it is a clobber. */
static void pev_check_tag(struct pev_block *b)
{
	unsigned int i;

	for (i = 0; i < (1U << b->order); i++)
		if (READ_ONCE(*(u64 *)page_address(b->page + i)) != b->tag)
			pev_event(&pev.clobber_seq);
}

/* The first report since the fault: anything that tainted the kernel. */
static bool pev_detected(void)
{
	if (pev.det_seq)
		return true;
	if (get_taint() == pev.taint)
		return false;
	pev.det_ops = pev.ops;
	pev.det_ns = ktime_get_ns() - pev.t0;
	pev_event(&pev.det_seq);
	return true;
}

static bool pev_held(struct pev_block *b, unsigned long pfn, unsigned long end)
{
	unsigned long p;

	if (!b->page)
		return false;
	p = page_to_pfn(b->page);
	return p < end && pfn < p + (1UL << b->order);
}

/* Whether a block just handed out holds a page that an owner still holds. */
static bool pev_shared(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + (1UL << order);
	int i;

	if (pev_held(&pev.victim, pfn, end))
		return true;
	for (i = 0; i < PEV_SLOTS; i++)
		if (pev_held(&pev.slot[i], pfn, end))
			return true;
	return false;
}

static void pev_check_user(void)
{
	u64 v;

	if (!pev.uaddr)
		return;
	/* The mapping's owner reads its canary, then writes it again. */
	if (!copy_from_user(&v, (void __user *)pev.uaddr, sizeof(v)) && v != pev.utag)
		pev_event(&pev.clobber_seq);
	if (copy_to_user((void __user *)pev.uaddr, &pev.utag, sizeof(pev.utag)))
		pev.uaddr = 0;
}

static const char *pev_end;

static void pev_print_result(const char *end)
{
	u64 ns = pev.det_seq ? pev.det_ns : ktime_get_ns() - pev.t0;
	bool before = pev.clobber_seq && (!pev.det_seq || pev.clobber_seq < pev.det_seq);

	pr_info("PEC-EVIDENCE result fault=%s detected=%d ops=%lu ms=%llu shared=%d clobbered=%d clobbered_before=%d end=%s\n",
		pev.fault, !!pev.det_seq, pev.det_seq ? pev.det_ops : pev.ops,
		div_u64(ns, NSEC_PER_MSEC), !!pev.shared_seq, !!pev.clobber_seq,
		before, end);
}

static int pev_panic(struct notifier_block *nb, unsigned long action, void *data)
{
	if (!READ_ONCE(pev_running))
		return NOTIFY_DONE;
	/* The panic is the report, if nothing tainted the kernel before it. */
	if (!pev.det_seq) {
		pev.det_ops = pev.ops;
		pev.det_ns = ktime_get_ns() - pev.t0;
		pev_event(&pev.det_seq);
	}
	pev_print_result("panic");
	return NOTIFY_DONE;
}

static struct notifier_block pev_panic_nb = {
	.notifier_call = pev_panic,
};

/* Allocate and free until @ms have passed or something reported. */
static void pev_workload(unsigned int ms)
{
	static const unsigned int orders[] = { 0, 0, 1, 0, 3, 0, 1, 2 };
	u64 end = pev.t0 + (u64)ms * NSEC_PER_MSEC;
	unsigned long i;

	pev_end = "time";
	for (i = 0; ; i++) {
		struct pev_block *b = &pev.slot[i % PEV_SLOTS];
		unsigned int order = orders[i % ARRAY_SIZE(orders)];
		gfp_t gfp = (i / ARRAY_SIZE(orders)) & 1 ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL;
		struct page *page;

		pev_check_user();
		if (pev.victim.page)
			pev_check_tag(&pev.victim);
		if (b->page) {
			pev_check_tag(b);
			pev.ops++;
			__free_pages(b->page, b->order);
			b->page = NULL;
			if (pev_detected())
				break;
		}
		pev.ops++;
		page = alloc_pages(gfp | __GFP_NOWARN, order);
		if (page) {
			if (pev_shared(page, order))
				pev_event(&pev.shared_seq);
			b->page = page;
			b->order = order;
			b->tag = pev_next_tag();
		}
		if (pev_detected())
			break;
		if (page)
			pev_write_tag(page, order, b->tag);
		if (i % PEV_DRAIN_OPS == PEV_DRAIN_OPS - 1)
			drain_all_pages(NULL);
		if (ktime_get_ns() > end)
			break;
		cond_resched();
	}
	if (pev.det_seq)
		pev_end = "report";
}

/*
 * A free page whose buddy is in use: the first half of a split order-1
 * block, freed and drained into buddy; the second half is the victim, which
 * keeps a canary.  Returns with the zone lock held, or NULL.
 */
static struct page *pev_free_page(struct zone **zonep, unsigned long *flags)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		struct page *page = alloc_pages(GFP_KERNEL, 1);
		struct zone *zone;

		if (!page)
			return NULL;
		split_page(page, 1);
		pev.victim.page = page + 1;
		pev.victim.order = 0;
		pev.victim.tag = pev_next_tag();
		pev_write_tag(page + 1, 0, pev.victim.tag);
		__free_page(page);
		zone = page_zone(page);
		drain_all_pages(zone);
		spin_lock_irqsave(&zone->lock, *flags);
		if (PageBuddy(page) && buddy_order(page) == 0) {
			*zonep = zone;
			return page;
		}
		/* Someone took it meanwhile: try another pair. */
		spin_unlock_irqrestore(&zone->lock, *flags);
		__free_page(page + 1);
		pev.victim.page = NULL;
	}
	return NULL;
}

/* The fault happens now: time and taint are taken from here. */
static void pev_mark(const char *fault)
{
	pev.fault = fault;
	pev.ops = 0;
	pev.taint = get_taint();
	WRITE_ONCE(pev_running, true);
	pev.t0 = ktime_get_ns();
}

static void pev_inject_line(struct page *page)
{
	pr_info("PEC-EVIDENCE inject fault=%s pfn=%#lx\n", pev.fault,
		page ? page_to_pfn(page) : 0UL);
}

/* The record faults: the checker's bitmaps, FREE copy first. */
static unsigned long *pev_copy(unsigned long pfn, int copy, unsigned long *bit)
{
	unsigned long **maps = page_ext_bitmaps(pfn, bit);

	return maps ? maps[page_ext_consistency_ops.bitmap + copy] : NULL;
}

static bool pev_checker_on(void)
{
	return !static_key_enabled(&page_ext_consistency_disabled);
}

enum pev_how { PEV_BIT, PEV_2BIT, PEV_WORD, PEV_ROW_ZERO, PEV_ROW_FLIP };

static void pev_record(struct zone *zone, struct page *page, unsigned long how)
{
	unsigned long pfn = page_to_pfn(page), bit, left, n, *map;

	rcu_read_lock();
	switch (how) {
	case PEV_2BIT:
		map = pev_copy(pfn, 1, &bit);
		change_bit(bit, map);
		fallthrough;
	case PEV_BIT:
		map = pev_copy(pfn, 0, &bit);
		change_bit(bit, map);
		break;
	case PEV_WORD:
		map = pev_copy(pfn, 0, &bit);
		atomic_long_xor(~0UL, (atomic_long_t *)&map[BIT_WORD(bit)]);
		break;
	case PEV_ROW_ZERO:
	case PEV_ROW_FLIP:
		/* From the start of the page's section, 8 KiB of one copy. */
		pfn = round_down(pfn, PAGES_PER_SECTION);
		for (left = PEV_ROW_BYTES; left; left -= n, pfn += n * BITS_PER_BYTE) {
			map = pev_copy(pfn, how == PEV_ROW_ZERO ? 0 : 1, &bit);
			if (!map)
				break;
			n = min(left, page_ext_bitmaps_span(pfn) / BITS_PER_BYTE);
			if (how == PEV_ROW_ZERO)
				memset(map, 0, n);
			else
				bitmap_complement(map, map, n * BITS_PER_BYTE);
		}
		break;
	}
	rcu_read_unlock();
}

/* The page's free-list pointer with the bits of @mask flipped, or zeroed. */
static void pev_list(struct zone *zone, struct page *page, unsigned long mask)
{
	unsigned long next = (unsigned long)page->buddy_list.next;

	page->buddy_list.next = mask ? (void *)(next ^ mask) : NULL;
}

static void pev_two_lists(struct zone *zone, struct page *page, unsigned long unused)
{
	int mt = get_pageblock_migratetype(page) == MIGRATE_MOVABLE ?
		 MIGRATE_UNMOVABLE : MIGRATE_MOVABLE;

	list_add(&page->buddy_list, &zone->free_area[0].free_list[mt]);
	zone->free_area[0].nr_free++;
}

static void pev_order_up(struct zone *zone, struct page *page, unsigned long unused)
{
	int mt = get_pageblock_migratetype(page);

	list_del(&page->buddy_list);
	zone->free_area[0].nr_free--;
	set_page_private(page, 1);
	list_add(&page->buddy_list, &zone->free_area[1].free_list[mt]);
	zone->free_area[1].nr_free++;
}

static void pev_buddy_clear(struct zone *zone, struct page *page, unsigned long unused)
{
	__folio_clear_buddy(page_folio(page));
}

static int pev_buddy_set(const char *fault)
{
	struct page *page = alloc_pages(GFP_KERNEL, 1);

	if (!page)
		return -EAGAIN;
	split_page(page, 1);
	/* The victim is on its owner's list, as drivers keep pages. */
	pev.victim.page = page + 1;
	pev.victim.tag = pev_next_tag();
	pev_write_tag(page + 1, 0, pev.victim.tag);
	list_add(&pev.victim.page->lru, &pev_owner_list);
	pev_mark(fault);
	__folio_set_buddy(page_folio(page + 1));
	set_page_private(page + 1, 0);
	pev_inject_line(page + 1);
	/* Its buddy's free now merges it into a free block. */
	pev.ops++;
	__free_page(page);
	drain_all_pages(page_zone(page));
	return 0;
}

static int pev_double_free(const char *fault)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return -EAGAIN;
	__free_page(page);
	pev_mark(fault);
	pev_inject_line(page);
	/* What a driver that resets the refcount does: free it again. */
	set_page_count(page, 1);
	pev.ops++;
	__free_page(page);
	return 0;
}

static int pev_double_free_tail(const char *fault)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_COMP, 2);

	if (!page)
		return -EAGAIN;
	__free_pages(page, 2);
	pev_mark(fault);
	pev_inject_line(page + 2);
	/* A stale pointer to a tail page of the folio, freed on its own. */
	set_page_count(page + 2, 1);
	pev.ops++;
	__free_page(page + 2);
	return 0;
}

static int pev_double_free_order(const char *fault)
{
	struct page *page = alloc_pages(GFP_KERNEL, 1);

	if (!page)
		return -EAGAIN;
	split_page(page, 1);
	/* The caller keeps an order-0 page; its neighbour goes back. */
	__free_page(page + 1);
	pev_mark(fault);
	pev_inject_line(page);
	/* And frees its page with the order of a larger allocation. */
	pev.ops++;
	free_pages((unsigned long)page_address(page), 1);
	return 0;
}

static int pev_free_after_reuse(const char *fault)
{
	struct page *page, *again = NULL;
	int tries;

	/* The per-CPU list hands a page freed on this CPU straight back. */
	for (tries = 0; tries < 8 && !again; tries++) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return -EAGAIN;
		__free_page(page);
		again = alloc_page(GFP_KERNEL);
		if (again && again != page) {
			__free_page(again);
			again = NULL;
		}
	}
	if (!again)
		return -EAGAIN;
	/* The victim is its second owner, who keeps a canary in it. */
	pev.victim.page = page;
	pev.victim.order = 0;
	pev.victim.tag = pev_next_tag();
	pev_write_tag(page, 0, pev.victim.tag);
	pev_mark(fault);
	pev_inject_line(page);
	/* The first owner frees it once more, through its stale pointer. */
	pev.ops++;
	__free_page(page);
	return 0;
}

static int pev_freed_mapped(const char *fault)
{
	struct page *page;
	unsigned long addr;

	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	if (get_user_pages_fast(addr, 1, FOLL_WRITE, &page) != 1)
		return -EFAULT;
	/* The LRU batch holds a reference too: drain it. */
	lru_add_drain();
	if (page_ref_count(page) != 2) {
		pr_err("PEC-EVIDENCE %s: refcount %d, expected 2\n", fault, page_ref_count(page));
		put_page(page);
		return -EAGAIN;
	}
	pev.utag = pev_next_tag();
	if (copy_to_user((void __user *)addr, &pev.utag, sizeof(pev.utag))) {
		put_page(page);
		return -EFAULT;
	}
	pev.uaddr = addr;
	pev_mark(fault);
	pev_inject_line(page);
	/* The mapping's reference dropped one time too many: freed, mapped. */
	pev.ops++;
	put_page(page);
	put_page(page);
	return 0;
}

/* The bit of a pointer into struct page that moves it to the neighbour. */
#define PEV_PAGE_BIT	ilog2(sizeof(struct page))

/*
 * A fault either corrupts a free page whose buddy is in use, under the zone
 * lock (corrupt), or sets itself up (inject).
 */
static const struct pev_fault {
	const char *name;
	void (*corrupt)(struct zone *zone, struct page *page, unsigned long arg);
	int (*inject)(const char *name);
	unsigned long arg;
	bool record;	/* needs the checker on */
} pev_faults[] = {
	{ "two-lists",		pev_two_lists },
	{ "order-up",		pev_order_up },
	{ "buddy-clear",	pev_buddy_clear },
	{ "buddy-set",		.inject = pev_buddy_set },
	{ "double-free",	.inject = pev_double_free },
	{ "double-free-tail",	.inject = pev_double_free_tail },
	{ "double-free-order",	.inject = pev_double_free_order },
	{ "free-after-reuse",	.inject = pev_free_after_reuse },
	{ "freed-mapped",	.inject = pev_freed_mapped },
	{ "record-bit",		pev_record,	.arg = PEV_BIT,		.record = true },
	{ "record-2bit",	pev_record,	.arg = PEV_2BIT,	.record = true },
	{ "record-word",	pev_record,	.arg = PEV_WORD,	.record = true },
	{ "record-row-zero",	pev_record,	.arg = PEV_ROW_ZERO,	.record = true },
	{ "record-row-flip",	pev_record,	.arg = PEV_ROW_FLIP,	.record = true },
	{ "list-bit",		pev_list,	.arg = BIT(PEV_PAGE_BIT) },
	{ "list-2bit",		pev_list,	.arg = 3UL << PEV_PAGE_BIT },
	{ "list-word",		pev_list,	.arg = 0 },
};

static int pev_corrupt_free_page(const struct pev_fault *f)
{
	unsigned long flags;
	struct zone *zone;
	struct page *page;

	if (f->record && !pev_checker_on())
		return -ENODEV;
	page = pev_free_page(&zone, &flags);
	if (!page)
		return -EAGAIN;
	pev_mark(f->name);
	f->corrupt(zone, page, f->arg);
	spin_unlock_irqrestore(&zone->lock, flags);
	pev_inject_line(page);
	return 0;
}

static ssize_t pev_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	unsigned int ms = 3000;
	char buf[64], *pos, *name;
	int i, ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	pos = strim(buf);
	name = strsep(&pos, " \t");
	if (pos && kstrtouint(strim(pos), 0, &ms))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(pev_faults); i++)
		if (!strcmp(name, pev_faults[i].name))
			break;
	if (i == ARRAY_SIZE(pev_faults))
		return -EINVAL;
	/* One fault per boot: the allocator is not to be trusted after it. */
	if (atomic_xchg(&pev_started, 1))
		return -EBUSY;

	if (pev_faults[i].corrupt)
		ret = pev_corrupt_free_page(&pev_faults[i]);
	else
		ret = pev_faults[i].inject(pev_faults[i].name);
	if (ret) {
		pr_info("PEC-EVIDENCE unavailable fault=%s error=%d\n", pev_faults[i].name, ret);
		return ret;
	}
	if (!pev_detected())
		pev_workload(ms);
	if (pev.uaddr && !pev.det_seq) {
		/* The process unmaps its page, as at exit. */
		pev.ops++;
		vm_munmap(pev.uaddr, PAGE_SIZE);
		pev.uaddr = 0;
		if (pev_detected())
			pev_end = "report";
	}
	WRITE_ONCE(pev_running, false);
	pev_print_result(pev_end ?: "report");
	/* What the workload holds is left allocated: the guest powers off. */
	return count;
}

static const struct file_operations pev_fops = {
	.write = pev_write,
	.llseek = noop_llseek,
};

static int __init pev_init(void)
{
	debugfs_create_file("pec_evidence", 0200, NULL, NULL, &pev_fops);
	atomic_notifier_chain_register(&panic_notifier_list, &pev_panic_nb);
	return 0;
}
late_initcall(pev_init);
