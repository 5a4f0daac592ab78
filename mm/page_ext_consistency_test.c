// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the page allocator consistency checker.
 *
 * Included from page_ext_consistency.c so that the tests reach the records
 * and counters directly.  The tests work on real allocations and real
 * records.  Violations are provoked only on pages the test owns: a record is
 * corrupted, or a hook is called for a page in the wrong state, and the
 * report is captured instead of acted upon (see pec_captured()).  The live
 * allocator's free pages are never touched.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/page_owner.h>
#include <linux/random.h>

/* How the tests corrupt a record they own. */
enum pec_test_corruption {
	FLIP_FREE_BIT,
	FLIP_ALLOCATED_BIT,
	FLIP_BOTH_BITS,
};

static struct pec_capture pec_test_capture;

static unsigned long pec_test_violations(void)
{
	unsigned long total = 0;
	int i;

	for (i = 0; i < NR_PEC_CLASSES; i++)
		total += atomic_long_read(&pec_violations[i]);
	return total;
}

/*
 * Install @pattern in the record of one page, whatever it holds, with atomic
 * bit operations: the pages that share a word with it move at the same time.
 */
static void pec_test_record_set(unsigned long pfn, unsigned long pattern)
{
	struct pec_rec r;
	int c;

	rcu_read_lock();
	if (pec_rec_get(pfn, &r)) {
		for (c = 0; c < NR_PEC_COPIES; c++) {
			if (pattern & BIT(c))
				set_bit(r.bit, r.copy[c]);
			else
				clear_bit(r.bit, r.copy[c]);
		}
	}
	rcu_read_unlock();
}

static unsigned long pec_test_record(struct page *page)
{
	return pec_record_get(page_to_pfn(page));
}

/* How many pages of the block at @page hold @pattern. */
static unsigned long pec_test_count(struct page *page, unsigned long nr,
				    unsigned long pattern)
{
	unsigned long i, count = 0;

	for (i = 0; i < nr; i++)
		count += pec_test_record(nth_page(page, i)) == pattern;
	return count;
}

static void pec_test_corrupt(struct page *page, enum pec_test_corruption how)
{
	static const unsigned long flip[] = {
		[FLIP_FREE_BIT]		= PEC_FREE,
		[FLIP_ALLOCATED_BIT]	= PEC_ALLOCATED,
		[FLIP_BOTH_BITS]	= PEC_MASK,
	};
	unsigned long pfn = page_to_pfn(page);

	pec_test_record_set(pfn, pec_record_get(pfn) ^ flip[how]);
}

/*
 * Check that exactly one report of @class was raised for @page, with the
 * first line a user would see, and that its counter moved by exactly one.
 */
static void pec_test_expect_report(struct kunit *test, enum pec_class class,
				   unsigned long before, struct page *page,
				   unsigned int order, const char *expected,
				   const char *found)
{
	char line[sizeof(pec_test_capture.line)];

	snprintf(line, sizeof(line),
		 "BUG: page_ext_consistency: %s pfn:%#lx order:%u expected:%s found:%s",
		 pec_class_name[class], page_to_pfn(page), order, expected,
		 found);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 1U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.class, class);
	KUNIT_EXPECT_EQ(test, pec_test_capture.pfn, page_to_pfn(page));
	KUNIT_EXPECT_STREQ(test, pec_test_capture.line, line);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[class]),
			before + 1);
}

static const unsigned int pec_test_orders[] = { 0, 1, 3, MAX_PAGE_ORDER };

static void pec_test_order_desc(const unsigned int *order, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u", *order);
}

KUNIT_ARRAY_PARAM(pec_test_order, pec_test_orders, pec_test_order_desc);

/* One allocation and free of a block, and what this CPU's counters did. */
struct pec_test_pass {
	struct page *page;
	unsigned long allocated, freed;
	unsigned long alloc_checks[3], free_checks[3];
};

/*
 * Interrupts are off so that nothing else allocates or frees on this CPU
 * meanwhile, and the block stays on this CPU's pcp list or in buddy after
 * the free: no other CPU can have allocated it when its records are read.
 */
static void pec_test_alloc_free_once(struct pec_test_pass *t, unsigned int order)
{
	unsigned long nr = 1UL << order, flags;

	memset(t, 0, sizeof(*t));
	local_irq_save(flags);
	t->alloc_checks[0] = __this_cpu_read(pec_alloc_checks);
	t->free_checks[0] = __this_cpu_read(pec_free_checks);
	t->page = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order);
	if (t->page) {
		t->alloc_checks[1] = __this_cpu_read(pec_alloc_checks);
		t->free_checks[1] = __this_cpu_read(pec_free_checks);
		t->allocated = pec_test_count(t->page, nr, PEC_ALLOCATED);
		__free_pages(t->page, order);
		t->alloc_checks[2] = __this_cpu_read(pec_alloc_checks);
		t->free_checks[2] = __this_cpu_read(pec_free_checks);
		t->freed = pec_test_count(t->page, nr, PEC_FREE);
	}
	local_irq_restore(flags);
}

static bool pec_test_pass_exact(const struct pec_test_pass *t, unsigned long nr)
{
	return t->alloc_checks[1] - t->alloc_checks[0] == nr &&
	       t->free_checks[1] == t->free_checks[0] &&
	       t->alloc_checks[2] == t->alloc_checks[1] &&
	       t->free_checks[2] - t->free_checks[1] == nr;
}

/*
 * Allocate and free a block and check every page's record on the way, and
 * that this CPU's counters moved by exactly the block size.  Another hook
 * may allocate on the way (page_owner's stack depot takes a new pool of
 * pages now and then, from the free hook), so a pass whose counters moved
 * by more is measured again, up to three times: a counter that is wrong is
 * wrong every time.
 */
static void test_alloc_free(struct kunit *test)
{
	const unsigned int order = *(const unsigned int *)test->param_value;
	unsigned long nr = 1UL << order, violations = pec_test_violations();
	struct pec_test_pass t;
	int tries = 3;

	do {
		pec_test_alloc_free_once(&t, order);
	} while (t.page && !pec_test_pass_exact(&t, nr) && --tries);

	if (!t.page)
		kunit_skip(test, "no free block of order %u", order);

	KUNIT_EXPECT_EQ(test, t.allocated, nr);
	KUNIT_EXPECT_EQ(test, t.freed, nr);
	KUNIT_EXPECT_EQ(test, t.alloc_checks[1] - t.alloc_checks[0], nr);
	KUNIT_EXPECT_EQ(test, t.free_checks[1] - t.free_checks[0], 0UL);
	KUNIT_EXPECT_EQ(test, t.alloc_checks[2] - t.alloc_checks[1], 0UL);
	KUNIT_EXPECT_EQ(test, t.free_checks[2] - t.free_checks[1], nr);
	KUNIT_EXPECT_EQ(test, pec_test_violations(), violations);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}

/*
 * split_page() turns an order-3 block into eight order-0 pages without a
 * hook: the records were set for every page at allocation, so each page can
 * be freed on its own.
 */
static void test_split_page(struct kunit *test)
{
	const unsigned int order = 3;
	unsigned long nr = 1UL << order, violations = pec_test_violations();
	unsigned long free0, free1, freed, i;
	unsigned long flags;
	struct page *page;

	page = alloc_pages(GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	split_page(page, order);
	KUNIT_EXPECT_EQ(test, pec_test_count(page, nr, PEC_ALLOCATED), nr);

	local_irq_save(flags);
	free0 = __this_cpu_read(pec_free_checks);
	for (i = 0; i < nr; i++)
		__free_page(nth_page(page, i));
	free1 = __this_cpu_read(pec_free_checks);
	freed = pec_test_count(page, nr, PEC_FREE);
	local_irq_restore(flags);

	KUNIT_EXPECT_EQ(test, free1 - free0, nr);
	KUNIT_EXPECT_EQ(test, freed, nr);
	KUNIT_EXPECT_EQ(test, pec_test_violations(), violations);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}

#ifdef CONFIG_CONTIG_ALLOC
/*
 * Above MAX_PAGE_ORDER, and across two memory sections where a section is
 * larger than a MAX_PAGE_ORDER block (with 64K pages on arm64 both are 512
 * MiB, and the first order already spans two sections).
 */
static const unsigned int pec_test_contig_orders[] = {
	MAX_PAGE_ORDER + 1,
#if defined(CONFIG_SPARSEMEM) && PFN_SECTION_SHIFT > MAX_PAGE_ORDER
	PFN_SECTION_SHIFT + 1,
#endif
};

KUNIT_ARRAY_PARAM(pec_test_contig_order, pec_test_contig_orders,
		  pec_test_order_desc);

/*
 * alloc_contig_pages() with __GFP_COMP hands out one block above
 * MAX_PAGE_ORDER, the way gigantic hugetlb pages are allocated; the larger
 * one spans two memory sections and so two separate page_ext tables.
 */
static void test_alloc_contig(struct kunit *test)
{
	const unsigned int order = *(const unsigned int *)test->param_value;
	unsigned long nr = 1UL << order, violations = pec_test_violations();
	struct page *page;

	page = alloc_contig_pages(nr, GFP_KERNEL | __GFP_COMP | __GFP_NOWARN,
				  numa_mem_id(), NULL);
	if (!page)
		kunit_skip(test, "no free contiguous range of order %u", order);
	KUNIT_EXPECT_EQ(test, pec_test_count(page, nr, PEC_ALLOCATED), nr);
	free_contig_range(page_to_pfn(page), nr);

	KUNIT_EXPECT_EQ(test, pec_test_violations(), violations);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}

#if defined(CONFIG_PAGE_OWNER) && defined(CONFIG_SPARSEMEM)
/*
 * page_owner, the other client that writes the page_ext flags word, must
 * walk a block that spans memory sections with the page_ext iterator too:
 * page_ext_next() alone runs off the end of the first section's array,
 * writes into whatever memory follows, and leaves the pages of the second
 * section without an owner.
 */
static void test_page_owner_spans_sections(struct kunit *test)
{
	const unsigned int order = PFN_SECTION_SHIFT + 1;
	unsigned long i, nr = 1UL << order, pfn, owned = 0;
	struct page_ext *page_ext;
	struct page *page;

	if (!static_branch_unlikely(&page_owner_inited))
		kunit_skip(test, "Test requires: page_owner=on");
	page = alloc_contig_pages(nr, GFP_KERNEL | __GFP_COMP | __GFP_NOWARN,
				  numa_mem_id(), NULL);
	if (!page)
		kunit_skip(test, "no free contiguous range of order %u", order);
	pfn = page_to_pfn(page);
	rcu_read_lock();
	for (i = 0; i < nr; i++) {
		page_ext = page_ext_lookup(pfn + i);
		owned += page_ext &&
			 test_bit(PAGE_EXT_OWNER_ALLOCATED, &page_ext->flags);
	}
	rcu_read_unlock();
	free_contig_range(pfn, nr);

	KUNIT_EXPECT_EQ(test, owned, nr);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}
#endif
#endif

/*
 * The page_ext iterator looks the entries up again where a range crosses a
 * memory section (with FLATMEM, page_ext is one array per node, and a
 * MAX_PAGE_ORDER boundary is crossed instead): every step must give the entry
 * that a lookup of its PFN gives, and the walk must stop at its count.
 */
static void test_page_ext_iter(struct kunit *test)
{
#ifdef CONFIG_SPARSEMEM
	const unsigned long boundary = PAGES_PER_SECTION;
#else
	const unsigned long boundary = MAX_ORDER_NR_PAGES;
#endif
	struct page_ext *seen[4], *want[4], *page_ext;
	unsigned long pfn, start = 0, i, steps = 0, empty = 0;
	struct page_ext_iter iter;
	struct zone *zone;

	if (!page_ext_size)
		kunit_skip(test, "no page_ext entries: no client needs them");
	for_each_populated_zone(zone) {
		for (pfn = ALIGN(zone->zone_start_pfn + 2, boundary);
		     !start && pfn + 2 <= zone_end_pfn(zone); pfn += boundary) {
			for (i = 0; i < 4; i++)
				if (!pfn_to_online_page(pfn - 2 + i))
					break;
			if (i == 4)
				start = pfn - 2;
		}
	}
	if (!start)
		kunit_skip(test, "no online range across a %lu-page boundary",
			   boundary);

	rcu_read_lock();
	for (i = 0; i < 4; i++)
		want[i] = page_ext_lookup(start + i);
	for_each_page_ext(pfn_to_page(start), 4, page_ext, iter) {
		if (iter.index < 4)
			seen[iter.index] = page_ext;
		steps++;
	}
	for_each_page_ext(pfn_to_page(start), 0, page_ext, iter)
		empty++;
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, steps, 4UL);
	KUNIT_EXPECT_EQ(test, empty, 0UL);
	for (i = 0; i < min(steps, 4UL); i++) {
		KUNIT_EXPECT_NOT_NULL(test, want[i]);
		KUNIT_EXPECT_PTR_EQ(test, seen[i], want[i]);
	}
}

/*
 * The allocator hands out a page that is already allocated, which is what a
 * corrupted free list does: the hooks run for a page we own.  The check
 * when rmqueue takes the page off a list (check_new_pages(), warn mode)
 * refuses it and leaves the record ALLOCATED, its owner's; the allocation
 * hook, which compaction and contig allocations reach without rmqueue,
 * reports it too.
 */
static void test_double_alloc(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_DOUBLE_ALLOC]);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, __page_ext_consistency_check_new(page, 0));
	pec_test_expect_report(test, PEC_DOUBLE_ALLOC, before, page, 0,
			       "free", "allocated");
	KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_ALLOCATED);

	page_ext_consistency_alloc(page, 0);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.pfn, page_to_pfn(page));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_DOUBLE_ALLOC]),
			before + 2);
	KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_ALLOCATED);

	__free_page(page);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
}

/*
 * A page freed twice: the first free is the hook alone (the page stays
 * ours), the second the real one, which must be reported and refused.
 */
static void test_bad_free(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_BAD_FREE]);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, page_ext_consistency_free(page, 0));
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
	KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_FREE);

	__free_page(page);
	pec_test_expect_report(test, PEC_BAD_FREE, before, page, 0,
			       "allocated", "free");
	/*
	 * The free was refused: the page is left out of the allocator (a
	 * leak) instead of entering it a second time.
	 */
	drain_all_pages(NULL);
	KUNIT_EXPECT_FALSE(test, is_free_buddy_page(page));
}

/* Corrupt the record of an allocated page and free it. */
static void pec_test_corrupt_then_free(struct kunit *test,
				       enum pec_test_corruption how,
				       enum pec_class class, const char *found)
{
	unsigned long before = atomic_long_read(&pec_violations[class]);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	pec_test_corrupt(page, how);
	__free_page(page);
	pec_test_expect_report(test, class, before, page, 0, "allocated",
			       found);
}

/* One bit flips: FREE joins ALLOCATED, an invalid pattern. */
static void test_corrupt_free_bit(struct kunit *test)
{
	pec_test_corrupt_then_free(test, FLIP_FREE_BIT, PEC_CORRUPT_RECORD,
				   "invalid(both)");
}

/* The other bit flips: neither bit is left, an invalid pattern. */
static void test_corrupt_allocated_bit(struct kunit *test)
{
	pec_test_corrupt_then_free(test, FLIP_ALLOCATED_BIT, PEC_CORRUPT_RECORD,
				   "invalid(none)");
}

/*
 * Both bits flip: the record holds the other valid pattern.  That cannot be
 * told from a real bad free by looking at the record, and need not be: the
 * next transition contradicts it and reports it.
 */
static void test_corrupt_both_bits(struct kunit *test)
{
	pec_test_corrupt_then_free(test, FLIP_BOTH_BITS, PEC_BAD_FREE, "free");
}

/*
 * Corruption met by an allocation: the page (ours) is put into the FREE
 * state through the free hook alone, one bit flips, and the allocation hook
 * must report the corrupt record and resync it to ALLOCATED.
 */
static void test_corrupt_at_alloc(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	page_ext_consistency_free(page, 0);
	pec_test_corrupt(page, FLIP_ALLOCATED_BIT);
	page_ext_consistency_alloc(page, 0);
	pec_test_expect_report(test, PEC_CORRUPT_RECORD, before, page, 0,
			       "free", "invalid(both)");
	KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_ALLOCATED);

	__free_page(page);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 1U);
}

/* The tail-page cases use an order-3 block and its page 5. */
#define PEC_TEST_BLOCK_ORDER	3

static struct page *pec_test_alloc_block(struct kunit *test,
					 struct page **tail)
{
	struct page *page = alloc_pages(GFP_KERNEL, PEC_TEST_BLOCK_ORDER);

	KUNIT_ASSERT_NOT_NULL(test, page);
	*tail = nth_page(page, 5);
	return page;
}

/*
 * The allocation's transition is the first thing post_alloc_hook() does: a
 * double allocation is found before the allocator writes to the block, so
 * the owner's data is still there at the report (in panic mode, what the
 * crash dump shows), even for __GFP_ZERO, which clears the page right after.
 * post_alloc_hook() runs here for a page we hold, as for a page handed out
 * twice; allocation profiling and page poisoning would take that second
 * pass for a fault of their own.
 */
static void test_double_alloc_before_init(struct kunit *test)
{
	const unsigned long canary = 0x5a5a0f0fc3c3a5a5UL;
	struct page *page;
	unsigned long *p;

	if (mem_alloc_profiling_enabled() || page_poisoning_enabled_static())
		kunit_skip(test, "allocation profiling or page poisoning is on");
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	p = page_address(page);
	*p = canary;
	pec_test_capture.peek = p;

	post_alloc_hook(page, 0, GFP_KERNEL | __GFP_ZERO);
	pec_test_capture.peek = NULL;
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 1U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.class, PEC_DOUBLE_ALLOC);
	KUNIT_EXPECT_EQ(test, pec_test_capture.peeked, canary);
	/* The allocation went on, as in warn mode: the page was cleared. */
	if (!want_init_on_free())
		KUNIT_EXPECT_EQ(test, READ_ONCE(*p), 0UL);
	KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_ALLOCATED);
	__free_page(page);
}

/*
 * check_new_pages() reads the records in warn mode only, where a report
 * returns and refusing the block is what keeps a page with its owner.  In
 * panic mode the allocation's transition, first in post_alloc_hook(), finds
 * the same page before anything writes to it, so the hook does not read:
 * a page recorded ALLOCATED passes it unreported.
 */
static void test_check_new_warn_only(struct kunit *test)
{
	bool warn = pec_mode == PEC_MODE_WARN;
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, static_key_enabled(&page_ext_consistency_warn), warn);
	KUNIT_EXPECT_EQ(test, page_ext_consistency_check_new(page, 0), !warn);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, warn ? 1U : 0U);
	KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_ALLOCATED);
	__free_page(page);
}

/*
 * The check before hand-out only reads: a block recorded FREE passes and
 * stays FREE for the transition.  A corrupted record in it is reported for
 * that page, with the block's order, and resynced ALLOCATED (the block is
 * leaked, not free); the rest of the block is left as it was.
 */
static void test_check_new_corrupt_tail(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
	const unsigned int order = PEC_TEST_BLOCK_ORDER;
	const unsigned long nr = 1UL << order;
	struct page *tail, *page = pec_test_alloc_block(test, &tail);

	KUNIT_EXPECT_TRUE(test, page_ext_consistency_free(page, order));
	KUNIT_EXPECT_TRUE(test, __page_ext_consistency_check_new(page, order));
	KUNIT_EXPECT_EQ(test, pec_test_count(page, nr, PEC_FREE), nr);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);

	pec_test_corrupt(tail, FLIP_ALLOCATED_BIT);
	KUNIT_EXPECT_FALSE(test, __page_ext_consistency_check_new(page, order));
	pec_test_expect_report(test, PEC_CORRUPT_RECORD, before, tail, order,
			       "free", "invalid(both)");
	KUNIT_EXPECT_EQ(test, pec_test_record(tail), PEC_ALLOCATED);
	KUNIT_EXPECT_EQ(test, pec_test_count(page, nr, PEC_FREE), nr - 1);

	/* Back to a block in use, through the hooks alone, and freed. */
	pec_test_record_set(page_to_pfn(tail), PEC_FREE);
	page_ext_consistency_alloc(page, order);
	__free_pages(page, order);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 1U);
}

/*
 * A page in use with a stray PageBuddy, and its buddy's order in
 * ->private, is what __free_one_page() would merge into a free block when
 * its buddy is freed.  The merge meets the page's record, ALLOCATED, and
 * stops: the freed half goes to buddy alone, the page stays its owner's.
 * A block above PAGE_ALLOC_COSTLY_ORDER is freed to buddy at once, not to
 * a pcp list, so the merge runs in this task, under the zone lock.
 */
static void test_merge_refused(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_BUDDY_ALLOCATED]);
	const unsigned int order = PAGE_ALLOC_COSTLY_ORDER + 1;
	struct page *page, *buddy;
	unsigned long flags;
	struct zone *zone;

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order + 1);
	if (!page)
		kunit_skip(test, "no free block of order %u", order + 1);
	/* Two blocks of @order, the way a split gives them. */
	split_page_owner(page, order + 1, order);
	pgalloc_tag_split(page_folio(page), order + 1, order);
	/*
	 * The buddy keeps the refcount of zero of a tail page while it is
	 * flagged: with DEBUG_VM, page_is_buddy() would BUG on a page in use
	 * with a reference before this check ran.
	 */
	buddy = nth_page(page, 1UL << order);
	zone = page_zone(page);

	spin_lock_irqsave(&zone->lock, flags);
	set_page_private(buddy, order);
	__folio_set_buddy(page_folio(buddy));
	spin_unlock_irqrestore(&zone->lock, flags);

	__free_pages(page, order);

	spin_lock_irqsave(&zone->lock, flags);
	__folio_clear_buddy(page_folio(buddy));
	set_page_private(buddy, 0);
	spin_unlock_irqrestore(&zone->lock, flags);
	set_page_refcounted(buddy);

	pec_test_expect_report(test, PEC_BUDDY_ALLOCATED, before, buddy, order,
			       "free", "allocated");
	KUNIT_EXPECT_TRUE(test, pec_test_capture.irqs_disabled);
	KUNIT_EXPECT_EQ(test, pec_test_record(buddy), PEC_ALLOCATED);

	__free_pages(buddy, order);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 1U);
}

/*
 * A corrupted record inside a high-order block is reported for that page,
 * with the block's order, and only for that page.
 */
static void test_corrupt_tail_page(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
	const unsigned int order = PEC_TEST_BLOCK_ORDER;
	struct page *tail, *page = pec_test_alloc_block(test, &tail);

	pec_test_corrupt(tail, FLIP_ALLOCATED_BIT);
	__free_pages(page, order);
	pec_test_expect_report(test, PEC_CORRUPT_RECORD, before, tail, order,
			       "allocated", "invalid(none)");
}

/*
 * Overlapping allocations, which the tail pages of a block see through plain
 * loads and stores (see pec_transition_chunk()).  A page allocated while it
 * lies inside an allocated block is caught at once, and so is a block
 * allocated over an allocated page: the report names the page and the order
 * of the allocation that found it.
 */
static void test_overlapping_alloc(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_DOUBLE_ALLOC]);
	const unsigned int order = PEC_TEST_BLOCK_ORDER;
	struct page *tail, *page = pec_test_alloc_block(test, &tail);

	/* A page inside the block is handed out again. */
	page_ext_consistency_alloc(tail, 0);
	pec_test_expect_report(test, PEC_DOUBLE_ALLOC, before, tail, 0,
			       "free", "allocated");

	/* The block is handed out again over that page (the hooks alone). */
	page_ext_consistency_free(page, order);
	page_ext_consistency_alloc(tail, 0);
	page_ext_consistency_alloc(page, order);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.class, PEC_DOUBLE_ALLOC);
	KUNIT_EXPECT_EQ(test, pec_test_capture.pfn, page_to_pfn(tail));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_DOUBLE_ALLOC]),
			before + 2);
	KUNIT_EXPECT_EQ(test, pec_test_count(page, 1 << order, PEC_ALLOCATED),
			1UL << order);

	__free_pages(page, order);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
}

/*
 * Two CPUs that allocate overlapping blocks at the very same moment can both
 * read FREE in a tail page's record and both store ALLOCATED.  The record
 * then has two owners, and the second of their frees must report it.  The
 * lost race is simulated by the state it leaves: the block is allocated, and
 * the other owner of page 5 frees it (the hook alone) before the block is
 * freed.
 */
static void test_overlap_caught_at_free(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_BAD_FREE]);
	const unsigned int order = PEC_TEST_BLOCK_ORDER;
	struct page *tail, *page = pec_test_alloc_block(test, &tail);

	page_ext_consistency_free(tail, 0);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);

	__free_pages(page, order);
	pec_test_expect_report(test, PEC_BAD_FREE, before, tail, order,
			       "allocated", "free");
}

/* A scrub of a healthy system checks pages and finds nothing. */
static void test_scrub_clean(struct kunit *test)
{
	unsigned long violations = pec_test_violations();

	KUNIT_EXPECT_GT(test, page_ext_consistency_scrub(), 0L);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
	KUNIT_EXPECT_EQ(test, pec_test_violations(), violations);
}

/*
 * The scrub checks every page that has a record.  Where its walk meets a
 * PFN without an online page it may skip only as far as that answer goes:
 * pfn_to_online_page() answers per subsection inside an online section, and
 * a subsection can be smaller than a pageblock.  A walk of every PFN counts
 * the pages the scrub must check.
 */
static void test_scrub_covers_every_page(struct kunit *test)
{
	unsigned long pfn, expected = 0;
	struct zone *zone;
	struct page *page;

	for_each_populated_zone(zone) {
		for (pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn++) {
			if (!(pfn % pageblock_nr_pages))
				cond_resched();
			page = pfn_to_online_page(pfn);
			if (!page || page_zone(page) != zone)
				continue;
			expected += pec_record_get(pfn) != ~0UL;
		}
	}
	KUNIT_EXPECT_EQ(test, page_ext_consistency_scrub(), (long)expected);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}

/*
 * The scrub finds a corrupted record of a page that is not being allocated
 * or freed.  It reports it with the zone lock dropped (interrupts on), and
 * leaves the record as it found it: only the page's next transition knows
 * which state it should be in, so the free reports it again and resyncs it.
 */
static void test_scrub_finds_corruption(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	pec_test_corrupt(page, FLIP_ALLOCATED_BIT);
	KUNIT_EXPECT_GT(test, page_ext_consistency_scrub(), 0L);
	pec_test_expect_report(test, PEC_CORRUPT_RECORD, before, page, 0,
			       "free|allocated", "invalid(none)");
	KUNIT_EXPECT_FALSE(test, pec_test_capture.irqs_disabled);
	KUNIT_EXPECT_EQ(test, pec_test_record(page), 0UL);

	__free_page(page);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.class, PEC_CORRUPT_RECORD);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]),
			before + 2);
}

/*
 * Walk the order-0 free list of @page's pageblock with @page linked in at
 * its head, the zone lock held throughout so that nobody else sees the
 * list meanwhile, after @corrupt() has broken what it wants of @page's
 * links; the links are restored before the lock is dropped.  Then report.
 */
static void pec_test_scrub_list_with(struct page *page,
				     void (*corrupt)(struct page *page))
{
	struct zone *zone = page_zone(page);
	int mt = get_pageblock_migratetype(page);
	struct list_head *head = &zone->free_area[0].free_list[mt];
	struct pec_scrub_chunk chunk = {};
	unsigned long cursor = ~0UL, flags;
	struct list_head *first;

	spin_lock_irqsave(&zone->lock, flags);
	first = head->next;
	list_add(&page->buddy_list, head);
	if (corrupt)
		corrupt(page);
	while (pec_scrub_list(&chunk, zone, 0, mt, &cursor))
		;
	page->buddy_list.next = first;
	page->buddy_list.prev = head;
	list_del_init(&page->buddy_list);
	spin_unlock_irqrestore(&zone->lock, flags);
	pec_scrub_report(&chunk, zone->zone_start_pfn, zone_end_pfn(zone));
}

static void pec_test_bad_prev(struct page *page)
{
	page->buddy_list.prev = &page->buddy_list;
}

static void pec_test_bad_next(struct page *page)
{
	page->buddy_list.next = NULL;
}

/*
 * The scrub walks the free lists themselves: a block on a list without
 * PageBuddy (our page, in use, linked in for the walk) is reported; so is
 * a block whose prev is not the block before it, where the walk stops; and
 * a next pointer that is not a page of the zone is reported for the block
 * that holds it, without being followed.
 */
static void test_scrub_free_list(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_FREE_LIST]);
	struct page *page;

	if (!IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP) && !IS_ENABLED(CONFIG_FLATMEM))
		kunit_skip(test, "free lists are walked with SPARSEMEM_VMEMMAP or FLATMEM");
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	pec_test_scrub_list_with(page, NULL);
	pec_test_expect_report(test, PEC_FREE_LIST, before, page, 0, "buddy",
			       "not-buddy");

	memset(&pec_test_capture, 0, sizeof(pec_test_capture));
	pec_test_capture.task = current;
	pec_test_scrub_list_with(page, pec_test_bad_prev);
	pec_test_expect_report(test, PEC_FREE_LIST, before + 1, page, 0,
			       "linked", "bad-link");

	memset(&pec_test_capture, 0, sizeof(pec_test_capture));
	pec_test_capture.task = current;
	pec_test_scrub_list_with(page, pec_test_bad_next);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.pfn, page_to_pfn(page));
	KUNIT_EXPECT_NOT_NULL(test, strstr(pec_test_capture.line, "found:bad-pointer"));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_FREE_LIST]),
			before + 4);

	__free_page(page);
}

/*
 * Pages can be allocated with a refcount of zero: the tail pages of a block
 * allocated without __GFP_COMP, and every page of a free (frozen) hugetlb
 * folio.  A corrupted record there is reported by the scrub and again by
 * the block's free, both as corrupt-record: the scrub must not guess the
 * page FREE from its refcount, which would make the free report a bad free
 * that never happened.
 */
static void test_scrub_unreferenced_page(struct kunit *test)
{
	unsigned long corrupt = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
	unsigned long bad_free = atomic_long_read(&pec_violations[PEC_BAD_FREE]);
	const unsigned int order = PEC_TEST_BLOCK_ORDER;
	struct page *tail, *page = pec_test_alloc_block(test, &tail);

	KUNIT_EXPECT_EQ(test, page_count(tail), 0);
	pec_test_corrupt(tail, FLIP_ALLOCATED_BIT);
	KUNIT_EXPECT_GT(test, page_ext_consistency_scrub(), 0L);
	pec_test_expect_report(test, PEC_CORRUPT_RECORD, corrupt, tail, 0,
			       "free|allocated", "invalid(none)");

	__free_pages(page, order);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
	KUNIT_EXPECT_EQ(test, pec_test_capture.class, PEC_CORRUPT_RECORD);
	KUNIT_EXPECT_EQ(test, pec_test_capture.pfn, page_to_pfn(tail));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_BAD_FREE]),
			bad_free);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]),
			corrupt + 2);
}

#ifdef CONFIG_MEMORY_FAILURE
/*
 * A hwpoisoned page that is freed takes the early return of
 * free_pages_prepare() and never reaches buddy, so its record must stay
 * ALLOCATED: soft offline takes a reference on it again, and
 * unpoison_memory() clears the poison and frees it for real, through the
 * free hook.  The test walks those steps on a page it owns.
 */
static void test_hwpoison_free(struct kunit *test)
{
	unsigned long violations = pec_test_violations();
	unsigned long kept, freed, flags;
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	SetPageHWPoison(page);
	put_page(page);
	kept = pec_test_record(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 0);

	/* What soft offline, then unpoison_memory(), do with the page. */
	page_ref_inc(page);
	ClearPageHWPoison(page);
	local_irq_save(flags);
	put_page(page);
	freed = pec_test_record(page);
	local_irq_restore(flags);

	KUNIT_EXPECT_EQ(test, kept, PEC_ALLOCATED);
	KUNIT_EXPECT_EQ(test, freed, PEC_FREE);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
	KUNIT_EXPECT_EQ(test, pec_test_violations(), violations);
}
#endif

/*
 * The two copies of a record are in different pages of memory, so that a
 * fault confined to one page cannot change both: every record of a section
 * lies in two bitmaps that never share a page.  Bitmaps of whole pages are
 * also at least two pages apart in physical memory (a DRAM row spans about
 * 8 KiB).
 */
static void test_copies_apart(struct kunit *test)
{
#ifdef CONFIG_SPARSEMEM
	const bool whole_pages = PAGES_PER_SECTION / BITS_PER_BYTE >= PAGE_SIZE;
#else
	const bool whole_pages = true;
#endif
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long free_word, alloc_word;
	struct pec_rec r;

	KUNIT_ASSERT_NOT_NULL(test, page);
	rcu_read_lock();
	KUNIT_ASSERT_TRUE(test, pec_rec_get(page_to_pfn(page), &r));
	free_word = (unsigned long)&r.copy[PEC_COPY_FREE][BIT_WORD(r.bit)];
	alloc_word = (unsigned long)&r.copy[PEC_COPY_ALLOCATED][BIT_WORD(r.bit)];
	rcu_read_unlock();
	__free_page(page);

	KUNIT_EXPECT_NE(test, free_word >> PAGE_SHIFT, alloc_word >> PAGE_SHIFT);
	if (whole_pages && !is_vmalloc_addr((void *)free_word) &&
	    !is_vmalloc_addr((void *)alloc_word))
		KUNIT_EXPECT_GE(test, abs_diff(__pa(free_word), __pa(alloc_word)),
				2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}

/*
 * A fault in either copy alone, on a page outside buddy, is found by the
 * scrub: the two bits are no longer complementary.  The page's free finds
 * it again and resyncs the record.
 */
static void test_scrub_finds_copy_fault(struct kunit *test)
{
	static const struct {
		enum pec_test_corruption how;
		const char *found;
	} faults[] = {
		{ FLIP_FREE_BIT, "invalid(both)" },
		{ FLIP_ALLOCATED_BIT, "invalid(none)" },
	};
	unsigned long before;
	struct page *page;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(faults); i++) {
		before = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
		pec_test_capture.reports = 0;
		page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		pec_test_corrupt(page, faults[i].how);
		KUNIT_EXPECT_GT(test, page_ext_consistency_scrub(), 0L);
		pec_test_expect_report(test, PEC_CORRUPT_RECORD, before, page, 0,
				       "free|allocated", faults[i].found);
		__free_page(page);
		KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2U);
		KUNIT_EXPECT_EQ(test, pec_test_record(page), PEC_FREE);
	}
}

/*
 * A correlated fault: a whole word of one copy flips, 64 neighbouring
 * records at once, here those of a block the test owns (an order-6 block is
 * exactly one word of each bitmap).  Every record of the word breaks its
 * complement, so the scrub reports each page, and so does the block's free,
 * which resyncs them.
 */
#define PEC_TEST_WORD_ORDER	ilog2(BITS_PER_LONG)
static void test_word_fault(struct kunit *test)
{
	unsigned long before = atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]);
	unsigned long pfn, nr = BITS_PER_LONG;
	struct page *page;
	struct pec_rec r;

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, PEC_TEST_WORD_ORDER);
	if (!page)
		kunit_skip(test, "no free block of order %u", PEC_TEST_WORD_ORDER);
	pfn = page_to_pfn(page);
	rcu_read_lock();
	KUNIT_ASSERT_TRUE(test, pec_rec_get(pfn, &r));
	KUNIT_ASSERT_EQ(test, r.bit % BITS_PER_LONG, 0UL);
	atomic_long_xor(~0UL, (atomic_long_t *)&r.copy[PEC_COPY_ALLOCATED][BIT_WORD(r.bit)]);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, pec_test_count(page, nr, 0), nr);

	KUNIT_EXPECT_GT(test, page_ext_consistency_scrub(), 0L);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, nr);
	KUNIT_EXPECT_EQ(test, pec_test_capture.pfn, pfn + nr - 1);
	__free_pages(page, PEC_TEST_WORD_ORDER);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 2 * nr);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pec_violations[PEC_CORRUPT_RECORD]),
			before + 2 * nr);
	KUNIT_EXPECT_EQ(test, pec_test_count(page, nr, PEC_FREE), nr);
}

/*
 * A claim covers the pages of its chunk and no others, for blocks that
 * start before, inside and after it, and for blocks larger than a chunk;
 * no claim covers no page.
 */
static void test_claim_covers(struct kunit *test)
{
	const unsigned long c = 8 * PEC_CLAIM_PAGES, n = PEC_CLAIM_PAGES;

	KUNIT_EXPECT_TRUE(test, pec_claim_covers(c, c, 1));
	KUNIT_EXPECT_TRUE(test, pec_claim_covers(c, c + n - 1, 1));
	KUNIT_EXPECT_TRUE(test, pec_claim_covers(c, c + 64, 64));
	KUNIT_EXPECT_TRUE(test, pec_claim_covers(c, c - 1, 2));
	KUNIT_EXPECT_TRUE(test, pec_claim_covers(c, c - n, 2 * n));
	KUNIT_EXPECT_TRUE(test, pec_claim_covers(c, c - 2 * n, 4 * n));
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(c, c - 1, 1));
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(c, c - n, n));
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(c, c + n, 1));
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(c, c + n, n));
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(PEC_NO_CLAIM, c, 1));
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(PEC_NO_CLAIM, 0, n));
	/* The last chunk of PFNs there can be (of 64-bit physical addresses). */
	KUNIT_EXPECT_FALSE(test, pec_claim_covers(PEC_NO_CLAIM,
						  ALIGN_DOWN(ULONG_MAX >> PAGE_SHIFT, n), n));
}

/*
 * The scrub reads a claimed chunk again.  A record that a transition was
 * moving (marked by the transition's check of the claim) is skipped, one
 * that is bad and unmarked is counted, and the hooks of a page in the chunk
 * while it is claimed mark the page and never wait.  The block's two pages
 * are in one chunk; their records are made bad by hand and repaired before
 * the block is freed.
 */
static void test_claim_in_flight(struct kunit *test)
{
	unsigned long moving, faulty, in_flight, claim;
	struct pec_counts counts = {};
	struct page *page;

	page = alloc_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	moving = page_to_pfn(page);
	faulty = moving + 1;
	claim = ALIGN_DOWN(moving, PEC_CLAIM_PAGES);

	mutex_lock(&pec_scrub_lock);
	in_flight = pec_records_in_flight;
	pec_test_record_set(moving, PEC_MASK);
	pec_test_record_set(faulty, 0);
	pec_claim_begin(claim);
	/* What a transition of @moving does before it writes the record. */
	pec_claim_check(moving, 1);
	KUNIT_EXPECT_TRUE(test, test_bit(moving - claim, pec_claim_moved));
	pec_read_claimed(moving, moving + 2, false, &counts);
	pec_claim_end();
	KUNIT_EXPECT_EQ(test, counts.invalid, 1UL);
	KUNIT_EXPECT_GE(test, pec_records_in_flight, in_flight + 1);

	/* Without the mark, both are counted. */
	memset(&counts, 0, sizeof(counts));
	pec_check_claimed(moving, moving + 2, false, &counts);
	KUNIT_EXPECT_EQ(test, counts.invalid, 2UL);
	pec_test_record_set(moving, PEC_ALLOCATED);
	pec_test_record_set(faulty, PEC_ALLOCATED);

	/* The hooks on a page of the claimed chunk mark it, and do not wait. */
	pec_claim_begin(claim);
	__page_ext_consistency_free(pfn_to_page(faulty), 0);
	__page_ext_consistency_alloc(pfn_to_page(faulty), 0);
	KUNIT_EXPECT_TRUE(test, test_bit(faulty - claim, pec_claim_moved));
	pec_claim_end();
	mutex_unlock(&pec_scrub_lock);

	__free_pages(page, 1);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}

/*
 * A transition that saw one claim and marks its page late (preempted inside
 * its RCU reader, here held up on purpose) must not leave its mark in the
 * next claim's bitmap, where it would hide a real fault.
 */
struct pec_test_late_mark {
	unsigned long claim, pfn;
	struct completion loaded;
};

static int pec_test_late_marker(void *arg)
{
	struct pec_test_late_mark *m = arg;
	unsigned long claim;

	rcu_read_lock();
	/* As pec_claim_check() loads it. */
	claim = smp_load_acquire(&pec_claim);
	complete(&m->loaded);
	/* Long enough for the scrub to drop this claim and take the next. */
	mdelay(100);
	if (pec_claim_covers(claim, m->pfn, 1))
		pec_claim_steal(claim, m->pfn, 1);
	rcu_read_unlock();
	return 0;
}

static void test_claim_late_mark(struct kunit *test)
{
	struct pec_test_late_mark m;
	struct task_struct *task;
	struct page *page;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	m.pfn = page_to_pfn(page);
	m.claim = ALIGN_DOWN(m.pfn, PEC_CLAIM_PAGES);
	init_completion(&m.loaded);

	mutex_lock(&pec_scrub_lock);
	pec_claim_begin(m.claim);
	task = kthread_run(pec_test_late_marker, &m, "pec_late_mark");
	if (IS_ERR(task)) {
		pec_claim_end();
		mutex_unlock(&pec_scrub_lock);
		__free_page(page);
		KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
		return;
	}
	wait_for_completion(&m.loaded);
	pec_claim_end();
	/* The next claim, of the same chunk. */
	pec_claim_begin(m.claim);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(pec_claim_moved, PEC_CLAIM_PAGES));
	pec_claim_end();
	mutex_unlock(&pec_scrub_lock);
	__free_page(page);
}

/*
 * Every record in the bitmaps is valid, also outside every zone: the tail
 * of a section past the end of memory (a zone can grow over it when memory
 * is hot-added next to it) and PFNs at the start of a section that no zone
 * spans (PFN 0 on x86).  The bitmaps start with every record ALLOCATED.
 */
static void test_records_valid_outside_zones(struct kunit *test)
{
	struct pec_counts counts = {};
	unsigned long start, end;
	int nid;

	mutex_lock(&pec_scrub_lock);
	get_online_mems();
	for_each_online_node(nid) {
		/* Whole sections; with FLATMEM, what the node's bitmaps cover. */
#ifdef CONFIG_SPARSEMEM
		start = ALIGN_DOWN(node_start_pfn(nid), PAGES_PER_SECTION);
		end = ALIGN(node_end_pfn(nid), PAGES_PER_SECTION);
#else
		start = ALIGN_DOWN(node_start_pfn(nid), MAX_ORDER_NR_PAGES);
		end = node_end_pfn(nid);
#endif
		pec_check_records(start, end, false, &counts);
	}
	put_online_mems();
	mutex_unlock(&pec_scrub_lock);
	KUNIT_EXPECT_EQ(test, counts.invalid, 0UL);
	KUNIT_EXPECT_GT(test, counts.free + counts.allocated, 0UL);
}

#ifdef CONFIG_SPARSEMEM_EXTREME
/*
 * The walks over zone spans meet PFNs whose section has no root at all
 * (__pfn_to_section() is NULL): nothing to read there, and no oops.
 */
static void test_no_section_root(struct kunit *test)
{
	struct pec_counts counts = {};
	unsigned long root, pfn;

	for (root = 0; root < NR_SECTION_ROOTS; root++)
		if (!mem_section[root])
			break;
	if (root == NR_SECTION_ROOTS)
		kunit_skip(test, "every memory section root is allocated");
	pfn = section_nr_to_pfn(root * SECTIONS_PER_ROOT);
	KUNIT_ASSERT_NULL(test, __pfn_to_section(pfn));

	mutex_lock(&pec_scrub_lock);
	pec_check_records(pfn, pfn + 2 * PAGES_PER_SECTION, true, &counts);
	mutex_unlock(&pec_scrub_lock);
	KUNIT_EXPECT_EQ(test, counts.free + counts.allocated + counts.invalid, 0UL);
	KUNIT_EXPECT_EQ(test, pec_record_get(pfn), ~0UL);
	KUNIT_EXPECT_EQ(test, pec_test_capture.reports, 0U);
}
#endif

/*
 * While a test runs, the periodic scrub is held off: the tests leave
 * records of their pages corrupt for a while, and a scrub in a kworker is
 * not captured; it would act on them (panic, by default).
 */
static void test_periodic_scrub_held_off(struct kunit *test)
{
	unsigned int secs = READ_ONCE(pec_scrub_interval);

	WRITE_ONCE(pec_scrub_interval, 1);
	pec_scrub_schedule();
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&pec_scrub_work));
	WRITE_ONCE(pec_scrub_interval, secs);
}

struct pec_test_thread {
	struct task_struct *task;
	unsigned long rounds;
};

/* Allocate and free blocks of mixed orders, holding a few at a time. */
static int pec_test_churn(void *arg)
{
	struct pec_test_thread *t = arg;
	struct page *held[16] = {};
	unsigned int order[16];
	int i;

	while (!kthread_should_stop()) {
		i = get_random_u32_below(ARRAY_SIZE(held));
		if (held[i]) {
			__free_pages(held[i], order[i]);
			held[i] = NULL;
		} else {
			order[i] = get_random_u32_below(4);
			held[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN,
					      order[i]);
		}
		t->rounds++;
		cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(held); i++)
		if (held[i])
			__free_pages(held[i], order[i]);
	return 0;
}

/*
 * One thread per online CPU (at least two) allocating and freeing at the
 * same time must never raise a report.
 */
static void test_concurrent_churn(struct kunit *test)
{
	unsigned long violations = pec_test_violations();
	unsigned int nr_threads = max(2U, num_online_cpus());
	struct pec_test_thread *threads;
	unsigned int i, cpu;

	threads = kunit_kcalloc(test, nr_threads, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);

	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < nr_threads; i++) {
		threads[i].task = kthread_create(pec_test_churn, &threads[i],
						 "pec_churn/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(threads[i].task));
		kthread_bind(threads[i].task, cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	}
	for (i = 0; i < nr_threads; i++)
		wake_up_process(threads[i].task);
	msleep(2000);
	for (i = 0; i < nr_threads; i++) {
		kthread_stop(threads[i].task);
		KUNIT_EXPECT_GT(test, threads[i].rounds, 0UL);
	}

	KUNIT_EXPECT_EQ(test, pec_test_violations(), violations);
}

static int pec_test_init(struct kunit *test)
{
	if (static_branch_likely(&page_ext_consistency_disabled))
		kunit_skip(test, "Test requires: page_ext_consistency=on");

	/* No periodic scrub while a test runs: see test_periodic_scrub_held_off(). */
	WRITE_ONCE(pec_scrub_ready, false);
	cancel_delayed_work_sync(&pec_scrub_work);

	memset(&pec_test_capture, 0, sizeof(pec_test_capture));
	pec_test_capture.task = current;
	WRITE_ONCE(pec_capture, &pec_test_capture);
	return 0;
}

static void pec_test_exit(struct kunit *test)
{
	if (static_branch_likely(&page_ext_consistency_disabled))
		return;
	WRITE_ONCE(pec_capture, NULL);
	WRITE_ONCE(pec_scrub_ready, true);
	pec_scrub_schedule();
}

static struct kunit_case page_ext_consistency_test_cases[] = {
	KUNIT_CASE_PARAM(test_alloc_free, pec_test_order_gen_params),
	KUNIT_CASE(test_split_page),
#ifdef CONFIG_CONTIG_ALLOC
	KUNIT_CASE_PARAM(test_alloc_contig, pec_test_contig_order_gen_params),
#if defined(CONFIG_PAGE_OWNER) && defined(CONFIG_SPARSEMEM)
	KUNIT_CASE(test_page_owner_spans_sections),
#endif
#endif
	KUNIT_CASE(test_page_ext_iter),
	KUNIT_CASE(test_double_alloc),
	KUNIT_CASE(test_double_alloc_before_init),
	KUNIT_CASE(test_check_new_warn_only),
	KUNIT_CASE(test_check_new_corrupt_tail),
	KUNIT_CASE(test_merge_refused),
	KUNIT_CASE(test_bad_free),
	KUNIT_CASE(test_corrupt_free_bit),
	KUNIT_CASE(test_corrupt_allocated_bit),
	KUNIT_CASE(test_corrupt_both_bits),
	KUNIT_CASE(test_corrupt_at_alloc),
	KUNIT_CASE(test_corrupt_tail_page),
	KUNIT_CASE(test_overlapping_alloc),
	KUNIT_CASE(test_overlap_caught_at_free),
	KUNIT_CASE(test_scrub_clean),
	KUNIT_CASE(test_scrub_covers_every_page),
	KUNIT_CASE(test_scrub_finds_corruption),
	KUNIT_CASE(test_scrub_free_list),
	KUNIT_CASE(test_scrub_unreferenced_page),
	KUNIT_CASE(test_copies_apart),
	KUNIT_CASE(test_scrub_finds_copy_fault),
	KUNIT_CASE(test_word_fault),
	KUNIT_CASE(test_claim_covers),
	KUNIT_CASE(test_claim_in_flight),
	KUNIT_CASE(test_claim_late_mark),
	KUNIT_CASE(test_records_valid_outside_zones),
#ifdef CONFIG_SPARSEMEM_EXTREME
	KUNIT_CASE(test_no_section_root),
#endif
	KUNIT_CASE(test_periodic_scrub_held_off),
#ifdef CONFIG_MEMORY_FAILURE
	KUNIT_CASE(test_hwpoison_free),
#endif
	KUNIT_CASE_SLOW(test_concurrent_churn),
	{}
};

static struct kunit_suite page_ext_consistency_test_suite = {
	.name = "page_ext_consistency",
	.init = pec_test_init,
	.exit = pec_test_exit,
	.test_cases = page_ext_consistency_test_cases,
};

kunit_test_suite(page_ext_consistency_test_suite);
