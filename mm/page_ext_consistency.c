// SPDX-License-Identifier: GPL-2.0
/*
 * Page allocator consistency checker.
 *
 * Every page has a two-bit record: FREE while the page allocator owns the
 * page, ALLOCATED while anybody else does.  The two bits are complementary,
 * so of the four patterns two are valid and two can only come from
 * corruption of the record itself.  They are kept apart, in two page_ext
 * bitmaps of one bit per page each (the two copies of the record, in
 * different pages of memory), so that a fault that hits neighbouring bits
 * (a word, a DRAM row) breaks the complement of many records instead of
 * swapping one.  The allocator hooks move each page of a block from one
 * valid pattern to the other, a word at a time, with atomic operations that
 * also check the old pattern, so a page handed out twice, a free of a page
 * that is not allocated and a record that is neither pattern are all caught
 * at the transition that meets them.
 *
 * The record is independent of the allocator's own metadata (PageBuddy, the
 * free lists, the order in page->private): it is what the hooks have seen,
 * not what buddy believes, and that is what makes a disagreement visible.
 * Two read-only checks hold it against that metadata where the allocator
 * acts on it: a buddy that a free is about to merge with must be FREE
 * (__free_one_page()), and in warn mode so must a block that rmqueue takes
 * off a free or pcp list (check_new_pages()).  When either is not, the
 * allocator stops merging or drops the block, as it does for a bad page, so
 * warn mode does not merge, or hand out, a page that somebody holds.  In
 * panic mode the allocation's own transition, the first thing
 * post_alloc_hook() does, finds what the second check would, before the
 * block is written to.
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
 *    page by page or as that one block.  After migration,
 *    replace_free_hugepage_folios() dissolves the free hugetlb folios left
 *    in the range: a pool folio is ALLOCATED (it left buddy through
 *    post_alloc_hook() and was only frozen), its replacement is allocated
 *    outside the isolated pageblocks through post_alloc_hook(), and the old
 *    folio reaches the isolated free list through folio_put() and
 *    free_pages_prepare(), FREE before isolate_freepages_range() takes it.
 *  - __free_pages_core() (boot, hotplug) clears a block's allocation tag
 *    before __free_pages_ok(): page_ext data beside the record, which the
 *    free hook then moves as for any free.
 *  - free page reporting and memory offlining: __isolate_free_page() and
 *    __putback_isolated_page() / __offline_isolated_pages() move FREE pages
 *    and never hand them to anybody; offlining then frees the page_ext.
 *  - memory-failure: a hwpoisoned order-0 page that is freed takes the early
 *    return of free_pages_prepare() and does not reach buddy, so for the
 *    record it is not freed: it stays ALLOCATED.  Soft offline
 *    (page_handle_poison()) then takes a reference on it again, and
 *    unpoison_memory() frees it for real, through the hook, once the poison
 *    is cleared.  take_page_off_buddy() keeps a FREE page out of buddy and
 *    put_page_back_buddy() returns it FREE, both under the zone lock.  A
 *    hwpoisoned page that rmqueue finds in buddy is dropped by
 *    check_new_pages() without the alloc hook: it stays FREE and nobody
 *    owns it.
 *  - debug_pagealloc guard blocks: expand() marks a block split off a free
 *    block as a guard block (the first page PageGuard, its order in
 *    page->private) instead of putting it on a free list, and
 *    __free_one_page() merges it back; neither runs a hook.  Guard blocks are
 *    free blocks: init records every page of one FREE, and the scrub checks
 *    them as it checks buddy blocks.
 *  - free_reserved_area(), initmem, memblock_free_late() and unaccepted
 *    memory: such pages were never in buddy when the records were set up, so
 *    they are ALLOCATED, and they reach buddy through __free_pages_ok() or
 *    __free_page(), i.e. through the free hook.
 *  - memory hotplug: every record of a section starts ALLOCATED, from the
 *    moment page_ext allocates its bitmaps (bitmaps_set: the ALLOCATED copy
 *    is filled with ones, the FREE copy zeroed), at boot and when a section
 *    is onlined, so online_pages() releases the pages to buddy through the
 *    free hook like any free.  With memmap_on_memory, the first pages of a
 *    hot-added memory block hold its own memmap (PageVmemmapSelfHosted):
 *    memory_block_online() puts them in the zone but never in buddy, and
 *    they stay ALLOCATED.  Offlining moves FREE pages out of buddy, and the
 *    bitmaps are freed with the section.
 *  - split_page() and THP splitting: every page of a block is recorded, so
 *    the pieces can be freed in any order and at any size.
 *
 * Initialisation is exact.  Enabling the checker forces early page_ext, so
 * the init callback runs from mm_core_init() on the boot CPU, with interrupts
 * off and before the secondary CPUs are brought up.  Nothing else can
 * allocate or free while it drains the pcp lists, records every buddy block
 * FREE (every other page is ALLOCATED already) and enables the static key.
 * Every record in the bitmaps is valid from the moment they exist, inside a
 * zone or not (a section's tail past the end of memory, which a zone may
 * grow over when memory is hot-added), so an invalid record is always
 * corruption and no report has to be suppressed during boot.
 */

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/memory_hotplug.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_ext.h>
#include <linux/page_ext_consistency.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "internal.h"

/*
 * The record of a page is one bit in each of two page_ext bitmaps, FREE and
 * ALLOCATED, which page_ext allocates per memory section (per node with
 * FLATMEM), each an allocation of its own: the two copies of a record never
 * share a page.  As a two-bit value, for reports and tests: PEC_FREE is the
 * FREE copy's bit, PEC_ALLOCATED the ALLOCATED copy's.
 */
enum pec_copy {
	PEC_COPY_FREE,
	PEC_COPY_ALLOCATED,
	NR_PEC_COPIES,
};

#define PEC_FREE	BIT(PEC_COPY_FREE)
#define PEC_ALLOCATED	BIT(PEC_COPY_ALLOCATED)
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
	PEC_FREE_LIST,
	NR_PEC_CLASSES,
};

/* Names in the first line of a report. */
static const char * const pec_class_name[NR_PEC_CLASSES] = {
	[PEC_DOUBLE_ALLOC]	= "double-alloc",
	[PEC_BAD_FREE]		= "bad-free",
	[PEC_CORRUPT_RECORD]	= "corrupt-record",
	[PEC_BUDDY_ALLOCATED]	= "buddy-allocated",
	[PEC_FREE_LIST]		= "free-list",
};

static enum pec_mode pec_mode __ro_after_init =
	IS_ENABLED(CONFIG_PAGE_EXT_CONSISTENCY_ENFORCED) ?
	PEC_MODE_PANIC : PEC_MODE_OFF;

DEFINE_STATIC_KEY_TRUE(page_ext_consistency_disabled);
/* The checks that only warn mode needs, to refuse what it reported. */
DEFINE_STATIC_KEY_FALSE(page_ext_consistency_warn);

/*
 * The hot path only touches per-cpu counters, with raw_cpu_add(): one
 * instruction where the architecture has per-cpu arithmetic (x86, s390).
 * Elsewhere it is a plain read-modify-write of this CPU's counter, which an
 * interrupt that allocates, or a preemption, can make lose a count (arm64's
 * this_cpu_add() would disable preemption around an LL/SC loop, the generic
 * one interrupts, on every allocation and free).  The counters are a
 * statistic: stats says how many checks ran, not that none was missed.
 * Violations are rare enough for atomics.
 */
static DEFINE_PER_CPU(unsigned long, pec_alloc_checks);
static DEFINE_PER_CPU(unsigned long, pec_free_checks);
static atomic_long_t pec_violations[NR_PEC_CLASSES];

#ifdef CONFIG_PAGE_EXT_CONSISTENCY_KUNIT_TEST
/*
 * The KUnit test provokes violations on pages it owns.  Reports raised by
 * the test's own task are recorded here instead of being acted upon, so the
 * test can check them without panicking or tainting the kernel.  Whether
 * interrupts were off tells the test whether a report was raised under the
 * zone lock, which the scrub must not do.  @peek, if the test sets it, is
 * a word of memory it owns, read into @peeked at each report: what the
 * memory held when the checker found the fault.
 */
struct pec_capture {
	struct task_struct *task;
	unsigned int reports;
	enum pec_class class;
	unsigned long pfn;
	bool irqs_disabled;
	const unsigned long *peek;
	unsigned long peeked;
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
	cap->irqs_disabled = irqs_disabled();
	if (cap->peek)
		cap->peeked = READ_ONCE(*cap->peek);
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
	if (!buf)
		buf = "";
	if (!strcmp(buf, "off")) {
		pec_mode = PEC_MODE_OFF;
	} else if (!strcmp(buf, "on") || !strcmp(buf, "panic")) {
		pec_mode = PEC_MODE_PANIC;
	} else if (!strcmp(buf, "warn")) {
		pec_mode = PEC_MODE_WARN;
	} else {
		pr_err("page_ext_consistency: invalid value '%s' for page_ext_consistency=, expected off, on, panic or warn; staying %s\n",
		       buf, pec_mode_name[pec_mode]);
	}
	return 0;
}
early_param("page_ext_consistency", early_page_ext_consistency_param);

/**
 * page_ext_consistency_early() - Does the checker need early page_ext?
 *
 * Exact initialisation needs page_ext before deferred struct page init and
 * before SMP (see page_ext_consistency_init()), so memmap init asks this,
 * after the early parameters are parsed, whether to defer.  Only an enabled
 * checker needs it: with page_ext_consistency=off, deferred struct page init
 * stays on even in a kernel built with CONFIG_PAGE_EXT_CONSISTENCY_ENFORCED.
 *
 * Return: true if the checker is enabled at boot.
 */
bool __meminit page_ext_consistency_early(void)
{
	return pec_mode != PEC_MODE_OFF;
}

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
 * The two copies of the records from @pfn on, to the end of the bitmaps
 * that hold it (a memory section), and @pfn's bit in them.  Under the RCU
 * read lock, as page_ext frees the bitmaps of an offlined section after a
 * grace period.
 */
struct pec_rec {
	unsigned long *copy[NR_PEC_COPIES];
	unsigned long bit;
};

static __always_inline bool pec_rec_get(unsigned long pfn, struct pec_rec *r)
{
	unsigned int first = page_ext_consistency_ops.bitmap;
	unsigned long **maps, bit;

	maps = page_ext_bitmaps(pfn, &bit);
	if (unlikely(!maps))
		return false;
	*r = (struct pec_rec) {
		.copy[PEC_COPY_FREE] = maps[first + PEC_COPY_FREE],
		.copy[PEC_COPY_ALLOCATED] = maps[first + PEC_COPY_ALLOCATED],
		.bit = bit,
	};
	return true;
}

/* The record at @r, as a two-bit pattern. */
static __always_inline unsigned long pec_rec_pattern(const struct pec_rec *r)
{
	return (test_bit(r->bit, r->copy[PEC_COPY_FREE]) ? PEC_FREE : 0) |
	       (test_bit(r->bit, r->copy[PEC_COPY_ALLOCATED]) ? PEC_ALLOCATED : 0);
}

/*
 * pec_rec_get() for any PFN, for the walks over zone spans, which may hold
 * PFNs with no memory section at all: with SPARSEMEM_EXTREME even the root
 * of their section may be missing (a zone spanning a hole of 16 GiB or more,
 * with 4K pages).  The hooks' pages always have a section.
 */
static bool pec_rec_find(unsigned long pfn, struct pec_rec *r)
{
#ifdef CONFIG_SPARSEMEM
	if (!valid_section_nr(pfn_to_section_nr(pfn)))
		return false;
#endif
	return pec_rec_get(pfn, r);
}

#if defined(CONFIG_PAGE_EXT_CONSISTENCY_INJECT) || \
	defined(CONFIG_PAGE_EXT_CONSISTENCY_KUNIT_TEST)
/* The record of one page, as a two-bit pattern; ~0UL if it has none. */
static unsigned long pec_record_get(unsigned long pfn)
{
	unsigned long pattern = ~0UL;
	struct pec_rec r;

	rcu_read_lock();
	if (pec_rec_find(pfn, &r))
		pattern = pec_rec_pattern(&r);
	rcu_read_unlock();
	return pattern;
}
#endif

/*
 * Install @pattern in the records of @nr pages from @pfn on, whole words
 * where it can, with plain writes: only where nothing else can move the
 * pages (initialisation, on the boot CPU before SMP).
 */
static void pec_set_range(unsigned long pfn, unsigned long nr,
			  unsigned long pattern)
{
	unsigned long end = pfn + nr, n;
	struct pec_rec r;
	int c;

	rcu_read_lock();
	for (; pfn < end; pfn += n) {
		n = min(end - pfn, page_ext_bitmaps_span(pfn));
		if (!pec_rec_find(pfn, &r))
			continue;
		for (c = 0; c < NR_PEC_COPIES; c++) {
			if (pattern & BIT(c))
				bitmap_set(r.copy[c], r.bit, n);
			else
				bitmap_clear(r.copy[c], r.bit, n);
		}
	}
	rcu_read_unlock();
}

/* The bytes of both copies, over all the memory that has them. */
static unsigned long pec_record_bytes(void)
{
	return READ_ONCE(page_ext_bitmap_bytes) * NR_PEC_COPIES;
}

/*
 * Report a violation of @class on the page at @pfn, found by @what
 * ("allocation", "free", "merge" or "scrub") of the block of @order at
 * @block_pfn, with what was @expected and @found there (records, or for a
 * free list what the list says and what the block is).  The first line is
 * stable for log parsers; dump_page() follows, which also
 * prints page_owner's stacks when page_owner is on.  In panic mode this does
 * not return.  Otherwise the caller acts on the finding (resyncs the record,
 * so that one fault is reported once, or refuses the operation), and reports
 * are rate-limited.
 */
static void __cold pec_report_as(enum pec_class class, unsigned long pfn,
				 unsigned long block_pfn, unsigned int order,
				 const char *expected, const char *found,
				 const char *what)
{
	static DEFINE_RATELIMIT_STATE(pec_ratelimit, 5 * HZ, 10);
	char line[128];

	atomic_long_inc(&pec_violations[class]);
	snprintf(line, sizeof(line),
		 "BUG: page_ext_consistency: %s pfn:%#lx order:%u expected:%s found:%s",
		 pec_class_name[class], pfn, order, expected, found);

	if (pec_captured(class, pfn, line))
		return;
	if (pec_mode != PEC_MODE_PANIC && !__ratelimit(&pec_ratelimit))
		return;

	pr_err("%s\n", line);
	pr_err("page_ext_consistency: found by %s of block pfn:%#lx order:%u in task %s (pid %d)\n",
	       what, block_pfn, order, current->comm, task_pid_nr(current));
	if (pfn_valid(pfn))
		dump_page(pfn_to_page(pfn), "page_ext_consistency");
	if (pec_mode == PEC_MODE_PANIC)
		panic("page_ext_consistency: %s pfn:%#lx\n",
		      pec_class_name[class], pfn);

	WARN(1, "page_ext_consistency: %s pfn:%#lx (mode:warn)\n",
	     pec_class_name[class], pfn);
	add_taint(TAINT_BAD_PAGE, LOCKDEP_STILL_OK);
}

/* pec_report_as() with the expected and found records as patterns. */
static void __cold pec_report(enum pec_class class, unsigned long pfn,
			      unsigned long block_pfn, unsigned int order,
			      unsigned long expected, unsigned long found,
			      const char *what)
{
	pec_report_as(class, pfn, block_pfn, order, pec_pattern_name(expected),
		      pec_pattern_name(found), what);
}

/*
 * A transition of the block of @order at @block_pfn met records it did not
 * expect in the word of the records from @pfn on: @bad has a bit for each
 * of those pages, @from and @to the word of each copy as the transition
 * found it (@from: the copy it cleared, FREE for an allocation).  A page
 * whose record held the other valid pattern is a double allocation or a
 * bad free; anything else is a corrupted record.  The transition has
 * installed the new pattern already, so the record is resynced.
 */
static void __cold pec_violations_in_word(unsigned long pfn, unsigned long block_pfn,
					  unsigned int order, bool alloc,
					  unsigned long from, unsigned long to,
					  unsigned long bad)
{
	unsigned long expected = alloc ? PEC_FREE : PEC_ALLOCATED;
	unsigned long fbit, tbit, found;
	enum pec_class class;
	unsigned int i;

	for_each_set_bit(i, &bad, BITS_PER_LONG) {
		fbit = (from >> i) & 1;
		tbit = (to >> i) & 1;
		found = alloc ? fbit * PEC_FREE | tbit * PEC_ALLOCATED :
				tbit * PEC_FREE | fbit * PEC_ALLOCATED;
		if (found == PEC_FREE || found == PEC_ALLOCATED)
			class = alloc ? PEC_DOUBLE_ALLOC : PEC_BAD_FREE;
		else
			class = PEC_CORRUPT_RECORD;
		pec_report(class, pfn + i, block_pfn, order, expected, found,
			   alloc ? "allocation" : "free");
	}
}

/*
 * A transition is two atomic updates, one per copy, in words of different
 * bitmaps, so for a moment the record is neither pattern.  The scrub checks
 * the records of pages outside buddy too, which move at any time.  To tell
 * a fault from a transition in flight, a scrub that finds a record that is
 * neither pattern claims the PEC_CLAIM_PAGES-aligned chunk of PFNs that
 * holds it, waits for an RCU grace period and reads the chunk's records
 * again (pec_check_claimed()).  A transition runs inside an RCU read-side
 * critical section and reads the claim before it writes the record:
 *
 *  - If it does not see the claim, it began before the grace period, so it
 *    has finished, every write visible, when the scrub reads again; or it
 *    read the claim already dropped (acquire, paired with the release in
 *    pec_check_claimed()), so its writes come after the scrub's reading.
 *  - If it sees the claim on one of its pages, it marks those pages in
 *    pec_claim_moved before it writes (pec_claim_steal()).  The scrub reads
 *    the records, then the marks: a record it read half moved is marked,
 *    and is not reported; the transition checks it itself.
 *
 * A transition never waits, so an allocation with interrupts off cannot
 * hold up the scrub or be held up by it, and its fast path is one load
 * (acquire, a plain load on x86) and a branch: no barrier, no store.
 */
#define PEC_CLAIM_PAGES		MAX_ORDER_NR_PAGES
#define PEC_NO_CLAIM		(~0UL)

static unsigned long pec_claim __read_mostly = PEC_NO_CLAIM;
static unsigned long pec_claim_moved[BITS_TO_LONGS(PEC_CLAIM_PAGES)];
/* The grace period that began when the last claim was dropped. */
static unsigned long pec_claim_ended;

/* A transition of @nr pages from @pfn on met the claim on the chunk at @claim. */
static noinline void __cold pec_claim_steal(unsigned long claim, unsigned long pfn,
					    unsigned long nr)
{
	unsigned long i = max(pfn, claim) - claim;
	unsigned long end = min(pfn + nr, claim + PEC_CLAIM_PAGES) - claim;
	unsigned long n;

	/* A claim chunk is whole words of pec_claim_moved. */
	BUILD_BUG_ON(PEC_CLAIM_PAGES % BITS_PER_LONG);
	for (; i < end; i += n) {
		n = min(end - i, BITS_PER_LONG - i % BITS_PER_LONG);
		atomic_long_or(GENMASK(i % BITS_PER_LONG + n - 1, i % BITS_PER_LONG),
			       (atomic_long_t *)&pec_claim_moved[BIT_WORD(i)]);
	}
	/* The marks before the record: pairs with smp_rmb() in pec_read_claimed(). */
	smp_mb();
}

/*
 * Whether the chunk claimed at @claim holds one of the @nr pages from @pfn
 * on: claims are chunk-aligned, so whether @claim is in [first, @pfn + @nr)
 * with first the start of @pfn's chunk.  Never for PEC_NO_CLAIM.
 */
static __always_inline bool pec_claim_covers(unsigned long claim,
					     unsigned long pfn, unsigned long nr)
{
	unsigned long first = ALIGN_DOWN(pfn, PEC_CLAIM_PAGES);

	return claim - first < pfn + nr - first;
}

/* Before a transition writes the records of @nr pages from @pfn on. */
static __always_inline void pec_claim_check(unsigned long pfn, unsigned long nr)
{
	/* The claim before the record: pairs with pec_claim_end(). */
	unsigned long claim = smp_load_acquire(&pec_claim);

	if (unlikely(pec_claim_covers(claim, pfn, nr)))
		pec_claim_steal(claim, pfn, nr);
}

/*
 * The pages of word @i of the records of a block of @nr pages at @r that
 * are not recorded FREE, with the word of each copy in @f and @a: plain
 * reads, for a block that only its holder moves (taken off a free list, or
 * in buddy under the zone lock).
 */
static __always_inline unsigned long pec_not_free(const struct pec_rec *r,
						  unsigned long nr, unsigned long i,
						  unsigned long *f, unsigned long *a)
{
	unsigned long w = BIT_WORD(r->bit) + i, off = r->bit % BITS_PER_LONG;
	unsigned long mask = nr < BITS_PER_LONG ? GENMASK(off + nr - 1, off) : ~0UL;

	*f = READ_ONCE(r->copy[PEC_COPY_FREE][w]);
	*a = READ_ONCE(r->copy[PEC_COPY_ALLOCATED][w]);
	return (~*f | *a) & mask;
}

/*
 * Move the records of @nr pages from @pfn on, all in one bitmap (memory
 * section), from one valid pattern to the other, checking each (@alloc:
 * FREE to ALLOCATED); false if one was not in the pattern it left.  @copy
 * holds the two copies, @bit is @pfn's bit in them.  A block lies in whole
 * words of its own (orders of 6 and up) or in part of one word (smaller
 * orders): the copies of that word are updated with one atomic operation
 * each, and so are the first words of a larger block.
 *
 * The atomic update of the first word of @from decides a race: two CPUs
 * moving the same page (what a corrupted free list produces) cannot both
 * find its bit set, and the loser reports a double allocation, a bad free or
 * a corrupted record.  The further words of a large block are checked and
 * updated with plain loads and stores: nobody else writes them while the
 * block is ours, a page handed out twice at different times is caught as by
 * an atomic update, and two CPUs moving the same large block at the very
 * same moment are caught, at the latest, at the next transition of one of
 * its pages.
 */
static __always_inline bool pec_move(unsigned long **copy, unsigned long bit,
				     unsigned long pfn, unsigned long nr,
				     unsigned long block_pfn, unsigned int order,
				     bool alloc)
{
	unsigned long *from = copy[alloc ? PEC_COPY_FREE : PEC_COPY_ALLOCATED];
	unsigned long *to = copy[alloc ? PEC_COPY_ALLOCATED : PEC_COPY_FREE];
	unsigned long w = BIT_WORD(bit), off = bit % BITS_PER_LONG;
	unsigned long f, t, mask, i;
	bool ok = true;

	pec_claim_check(pfn, nr);
	if (nr == 1) {
		f = test_and_clear_bit(bit, from);
		t = test_and_set_bit(bit, to);
		if (likely(f && !t))
			return true;
		pec_violations_in_word(pfn, block_pfn, order, alloc,
				       (unsigned long)f, (unsigned long)t, 1);
		return false;
	}
	if (nr < BITS_PER_LONG) {
		mask = GENMASK(off + nr - 1, off);
		f = atomic_long_fetch_andnot(mask, (atomic_long_t *)&from[w]);
		t = atomic_long_fetch_or(mask, (atomic_long_t *)&to[w]);
		if (likely(!((~f | t) & mask)))
			return true;
		pec_violations_in_word(pfn - off, block_pfn, order, alloc,
				       f, t, (~f | t) & mask);
		return false;
	}
	f = xchg(&from[w], 0UL);
	t = xchg(&to[w], ~0UL);
	if (unlikely(~f | t)) {
		pec_violations_in_word(pfn, block_pfn, order, alloc, f, t, ~f | t);
		ok = false;
	}
	for (i = 1; i < nr / BITS_PER_LONG; i++) {
		f = READ_ONCE(from[w + i]);
		t = READ_ONCE(to[w + i]);
		WRITE_ONCE(from[w + i], 0UL);
		WRITE_ONCE(to[w + i], ~0UL);
		if (unlikely(~f | t)) {
			pec_violations_in_word(pfn + i * BITS_PER_LONG, block_pfn,
					       order, alloc, f, t, ~f | t);
			ok = false;
		}
	}
	return ok;
}

/*
 * A block above MAX_PAGE_ORDER, from alloc_contig_range() (a gigantic
 * hugetlb page), spans memory sections: move it section by section.  Out of
 * line, so that the common case keeps its record in registers.
 */
static noinline bool pec_transition_sections(unsigned long pfn,
					     unsigned int order, bool alloc)
{
	unsigned long nr = 1UL << order, done, n;
	struct pec_rec r;
	bool ok = true;

	for (done = 0; done < nr; done += n) {
		n = min(nr - done, page_ext_bitmaps_span(pfn + done));
		if (pec_rec_get(pfn + done, &r) &&
		    !pec_move(r.copy, r.bit, pfn + done, n, pfn, order, alloc))
			ok = false;
	}
	return ok;
}

/*
 * Move every page of the block of @order at @page; false if one was not in
 * the pattern it left.  A block of up to MAX_PAGE_ORDER lies in one memory
 * section.  The RCU read-side critical section keeps the bitmaps in place
 * and is what the scrub's grace period waits for (see pec_claim_check()).
 */
static __always_inline bool pec_transition(struct page *page, unsigned int order,
					   bool alloc)
{
	unsigned long pfn = page_to_pfn(page), **maps, bit;
	bool ok = true;

	rcu_read_lock();
	if (unlikely(order > MAX_PAGE_ORDER)) {
		ok = pec_transition_sections(pfn, order, alloc);
	} else {
		maps = page_ext_bitmaps(pfn, &bit);
		if (likely(maps))
			ok = pec_move(maps + page_ext_consistency_ops.bitmap, bit,
				      pfn, 1UL << order, pfn, order, alloc);
	}
	rcu_read_unlock();
	return ok;
}

/**
 * __page_ext_consistency_check_new() - Check a block before it is handed out.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called through page_ext_consistency_check_new() when the checker is
 * enabled in warn mode.  The block has just left a free list or a pcp
 * list, so nobody moves its records but a second holder of one of its
 * pages, whose transition the atomic update in post_alloc_hook() still
 * catches.  A page
 * recorded ALLOCATED is a double allocation; one in neither pattern has a
 * corrupted record, which is resynced ALLOCATED: the block is leaked, and
 * a leaked page belongs to nobody but is not free.  A block above
 * MAX_PAGE_ORDER (alloc_contig_range() with __GFP_COMP, which hands the
 * block out whatever check_new_pages() says) is left to the transition.
 *
 * Return: false if a page of the block was not recorded FREE; the block
 * must then not be handed out (see page_ext_consistency_check_new()).
 */
bool __page_ext_consistency_check_new(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), nr = 1UL << order;
	unsigned long i, b, bad, corrupt, f, a, found, base;
	struct pec_rec r;
	bool ok = true;

	if (order > MAX_PAGE_ORDER)
		return true;
	rcu_read_lock();
	if (unlikely(!pec_rec_get(pfn, &r)))
		goto out;
	for (i = 0; i < DIV_ROUND_UP(nr, BITS_PER_LONG); i++) {
		bad = pec_not_free(&r, nr, i, &f, &a);
		if (likely(!bad))
			continue;
		ok = false;
		base = ALIGN_DOWN(pfn, BITS_PER_LONG) + i * BITS_PER_LONG;
		corrupt = bad & ~(a & ~f);
		for_each_set_bit(b, &bad, BITS_PER_LONG) {
			found = ((f >> b) & 1) * PEC_FREE | ((a >> b) & 1) * PEC_ALLOCATED;
			pec_report(corrupt & BIT(b) ? PEC_CORRUPT_RECORD : PEC_DOUBLE_ALLOC,
				   base + b, pfn, order, PEC_FREE, found,
				   "allocation");
		}
		if (corrupt) {
			pec_claim_check(base, BITS_PER_LONG);
			atomic_long_andnot(corrupt, (atomic_long_t *)
					   &r.copy[PEC_COPY_FREE][BIT_WORD(r.bit) + i]);
			atomic_long_or(corrupt, (atomic_long_t *)
				       &r.copy[PEC_COPY_ALLOCATED][BIT_WORD(r.bit) + i]);
		}
	}
out:
	rcu_read_unlock();
	return ok;
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
	pec_transition(page, order, true);
}

/**
 * __page_ext_consistency_free() - Check and record a free.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called through page_ext_consistency_free() when the checker is enabled.
 *
 * Return: false if a page of the block was not recorded ALLOCATED; the
 * block must then not be freed (see page_ext_consistency_free()).
 */
bool __page_ext_consistency_free(struct page *page, unsigned int order)
{
	raw_cpu_add(pec_free_checks, 1UL << order);
	return pec_transition(page, order, false);
}

/**
 * __page_ext_consistency_merge() - Check a buddy before merging with it.
 * @buddy: The first page of the free block found as buddy.
 * @buddy_pfn: Its PFN.
 * @order: The order of both blocks.
 *
 * Called through page_ext_consistency_merge() when the checker is enabled,
 * under the zone lock.  A buddy found by find_buddy_page_pfn() is in buddy
 * (PageBuddy, or a debug_pagealloc guard block), so its first page is
 * recorded FREE: two bit tests per merge level.  If it is not, its record
 * is left as it is: either the page is in use and the flag is wrong, or the
 * record is corrupt and the block is free, and in both cases leaving the
 * buddy unmerged keeps the allocator safe; a scrub, or the buddy's next
 * transition, reports its record again.
 *
 * Return: false if the buddy's first page is not recorded FREE; the caller
 * must then not merge with it (see page_ext_consistency_merge()).
 */
bool __page_ext_consistency_merge(struct page *buddy, unsigned long buddy_pfn,
				  unsigned int order)
{
	unsigned long found = 0;
	struct pec_rec r;
	bool ok = true;

	rcu_read_lock();
	if (likely(pec_rec_get(buddy_pfn, &r))) {
		found = pec_rec_pattern(&r);
		ok = found == PEC_FREE;
	}
	rcu_read_unlock();
	if (unlikely(!ok)) {
		/* Under the zone lock: consoles print once it is dropped. */
		printk_deferred_enter();
		pec_report(found == PEC_ALLOCATED ? PEC_BUDDY_ALLOCATED :
			   PEC_CORRUPT_RECORD, buddy_pfn, buddy_pfn, order,
			   PEC_FREE, found, "merge");
		printk_deferred_exit();
	}
	return ok;
}

/*
 * The order of the free block that starts at @page, or -1 if no free block
 * starts there.  Buddy blocks are free, and so are debug_pagealloc's guard
 * blocks, which expand() splits off free blocks and __free_one_page() merges
 * back without either hook.  A guard block keeps its order in page->private
 * of its first page only.  Stable under the zone lock.
 */
static int pec_free_block_order(struct page *page)
{
	if (PageBuddy(page))
		return buddy_order(page);
	if (page_is_guard(page))
		return page_private(page);
	return -1;
}

/*
 * The next PFN after @pfn, which has no online page, that may have one.
 * pfn_to_online_page() answers per section where the section is offline or
 * absent, per subsection within an online section (memory holes and
 * ZONE_DEVICE), and per page where the architecture has its own pfn_valid().
 * That can be finer than a pageblock (arm64 with 64K pages, x86 without THP
 * and hugetlb), so a walk must not skip more than the answer covers.
 */
static unsigned long pec_next_pfn(unsigned long pfn)
{
#ifdef CONFIG_SPARSEMEM
	if (!online_section_nr(pfn_to_section_nr(pfn)))
		return SECTION_ALIGN_UP(pfn + 1);
	if (!IS_ENABLED(CONFIG_HAVE_ARCH_PFN_VALID))
		return ALIGN(pfn + 1, PAGES_PER_SUBSECTION);
#endif
	return pfn + 1;
}

/*
 * Record the free blocks of a zone FREE (every other page is ALLOCATED
 * already).  Runs on the boot CPU with interrupts off and nothing else
 * running, so the snapshot is exact; the zone lock is taken anyway to
 * honour the rules.
 */
static void __init pec_init_zone(struct zone *zone, unsigned long *nr_free)
{
	unsigned long pfn = zone->zone_start_pfn;
	unsigned long end = zone_end_pfn(zone);
	unsigned long flags, nr;
	struct page *page;
	int order;

	spin_lock_irqsave(&zone->lock, flags);
	while (pfn < end) {
		page = pfn_to_online_page(pfn);
		if (!page) {
			pfn = pec_next_pfn(pfn);
			continue;
		}
		nr = 1;
		order = page_zone(page) == zone ? pec_free_block_order(page) : -1;
		if (order >= 0) {
			nr = 1UL << order;
			pec_set_range(pfn, nr, PEC_FREE);
			*nr_free += nr;
		}
		pfn += nr;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
}

static bool __init page_ext_consistency_need(void)
{
	return pec_mode != PEC_MODE_OFF;
}

/*
 * How long initialisation took: local_clock(), because timekeeping is not
 * up yet (on architectures without a sched_clock of their own it counts
 * jiffies and reads 0).
 */
static u64 pec_init_ns __ro_after_init;

static void __init page_ext_consistency_init(void)
{
	unsigned long nr_free = 0, nr_pages = 0;
	struct zone *zone;
	u64 start;

	if (pec_mode == PEC_MODE_OFF)
		return;

	start = local_clock();
	/*
	 * Only the boot CPU is up and interrupts are off: draining its pcp
	 * lists leaves every free page PageBuddy, and nothing can allocate
	 * or free until the key is on.  Every record is ALLOCATED since its
	 * bitmaps were allocated (page_ext_consistency_ops.bitmaps_set), so
	 * only the free blocks are recorded, FREE.
	 */
	WARN_ON_ONCE(num_online_cpus() > 1);
	pec_claim_ended = get_completed_synchronize_rcu();
	drain_local_pages(NULL);
	for_each_populated_zone(zone) {
		pec_init_zone(zone, &nr_free);
		nr_pages += zone->spanned_pages;
	}

	if (pec_mode == PEC_MODE_WARN)
		static_branch_enable(&page_ext_consistency_warn);
	static_branch_disable(&page_ext_consistency_disabled);
	pec_init_ns = local_clock() - start;
	pr_info("page_ext_consistency: enabled, mode:%s, %lu pages recorded (%lu free, %lu allocated) in %llu us, record %lu bytes\n",
		pec_mode_name[pec_mode], nr_pages, nr_free, nr_pages - nr_free,
		div_u64(pec_init_ns, NSEC_PER_USEC), pec_record_bytes());
}

struct page_ext_operations page_ext_consistency_ops = {
	.nr_bitmaps = NR_PEC_COPIES,
	/* Every record starts ALLOCATED: the ALLOCATED copy's bits set. */
	.bitmaps_set = BIT(PEC_COPY_ALLOCATED),
	.need = page_ext_consistency_need,
	.init = page_ext_consistency_init,
};

/*
 * The scrub checks every record of every populated zone, so that corruption
 * of a page that will not be allocated or freed for a long time is found
 * too: every page's two copies must be complementary, and every page of a
 * free block must be FREE.  Under the zone lock PageBuddy and guard blocks
 * are stable, and a page only joins a free block after its free hook made
 * it FREE (pages leave free blocks under the lock and meet the alloc hook
 * after it), so the records of free blocks are stable too and are checked
 * then.  The records of all other pages (in use, on pcp lists, isolated)
 * move without the zone lock; they are checked afterwards, whole words at a
 * time, and a record that is neither pattern is read again with the claim
 * up (pec_check_claimed()) before it is reported.
 *
 * The zone lock is held for PEC_SCRUB_CHUNK pages at a time: one
 * MAX_PAGE_ORDER block, so no buddy block straddles two chunks and each hold
 * stays in the tens of microseconds on real hardware.  Nothing is reported
 * under the lock: printk may reach a console driver that allocates memory,
 * which would take the zone lock again.  The chunk notes what it found in
 * its free blocks, resyncs their records to FREE at once (they may be
 * allocated as soon as the lock is dropped), and the reports follow once
 * the lock is dropped.  get_online_mems() keeps the memory map, the zone's
 * span and the records of a chunk in place while it is checked; it is taken
 * per chunk, so that memory offlining (virtio-mem unplug, ACPI eject) waits
 * for one chunk at most, not for a whole scrub.
 */
#define PEC_SCRUB_CHUNK		MAX_ORDER_NR_PAGES
/* Findings of one chunk's free blocks reported in full; further ones are counted. */
#define PEC_SCRUB_FINDINGS	8

/* What a block on a free list is, that the list says it is not. */
enum pec_list_fault {
	PEC_LIST_NOT_BUDDY,	/* not PageBuddy */
	PEC_LIST_ORDER,		/* found: its buddy order */
	PEC_LIST_MIGRATETYPE,	/* found: its pageblock's migratetype */
	PEC_LIST_LINK,		/* its prev is not the block before it */
	PEC_LIST_POINTER,	/* its next is not a page of the zone */
};

struct pec_finding {
	enum pec_class class;
	unsigned long pfn, block_pfn;
	unsigned int order;
	unsigned long expected, found;
	enum pec_list_fault list_fault;	/* for PEC_FREE_LIST */
};

struct pec_scrub_chunk {
	unsigned int nr;
	unsigned long unreported[NR_PEC_CLASSES];
	struct pec_finding finding[PEC_SCRUB_FINDINGS];
};

static DEFINE_MUTEX(pec_scrub_lock);
static unsigned long pec_scrub_runs;
static unsigned long pec_scrub_pages;
static u64 pec_scrub_last_ns;
static u64 pec_scrub_max_hold_ns;
/* Records read again under a claim, and those a transition was moving. */
static unsigned long pec_records_reread;
static unsigned long pec_records_in_flight;

/* Note a finding of the scrub, to report once the zone lock is dropped. */
static struct pec_finding *pec_scrub_note(struct pec_scrub_chunk *chunk,
					  enum pec_class class, unsigned long pfn,
					  unsigned long block_pfn, unsigned int order,
					  unsigned long expected, unsigned long found)
{
	struct pec_finding *f;

	if (chunk->nr == PEC_SCRUB_FINDINGS) {
		chunk->unreported[class]++;
		return NULL;
	}
	f = &chunk->finding[chunk->nr++];
	*f = (struct pec_finding) {
		.class = class, .pfn = pfn, .block_pfn = block_pfn,
		.order = order, .expected = expected, .found = found,
	};
	return f;
}

/*
 * Check the records of the free block of @order at @pfn, a word at a time.
 * A page that is not FREE is resynced to FREE at once, under the lock,
 * with atomic operations: other pages of the word may be moving.
 */
static void pec_scrub_free_block(struct pec_scrub_chunk *chunk,
				 unsigned long pfn, unsigned int order)
{
	unsigned long nr = 1UL << order, w, i, b, bad, f, a, found;
	unsigned long *free, *alloc;
	struct pec_rec r;

	if (!pec_rec_get(pfn, &r))
		return;
	free = r.copy[PEC_COPY_FREE];
	alloc = r.copy[PEC_COPY_ALLOCATED];
	for (i = 0; i < DIV_ROUND_UP(nr, BITS_PER_LONG); i++) {
		w = BIT_WORD(r.bit) + i;
		bad = pec_not_free(&r, nr, i, &f, &a);
		if (likely(!bad))
			continue;
		for_each_set_bit(b, &bad, BITS_PER_LONG) {
			found = ((f >> b) & 1) * PEC_FREE | ((a >> b) & 1) * PEC_ALLOCATED;
			pec_scrub_note(chunk, found == PEC_ALLOCATED ?
				       PEC_BUDDY_ALLOCATED : PEC_CORRUPT_RECORD,
				       (pfn & ~(BITS_PER_LONG - 1)) + i * BITS_PER_LONG + b,
				       pfn, order, PEC_FREE, found);
		}
		atomic_long_or(bad, (atomic_long_t *)&free[w]);
		atomic_long_andnot(bad, (atomic_long_t *)&alloc[w]);
	}
}

/* Scrub the free blocks in [@pfn, @end) of @zone; called with the zone lock held. */
static unsigned long pec_scrub_free_blocks(struct pec_scrub_chunk *chunk,
					   struct zone *zone, unsigned long pfn,
					   unsigned long end)
{
	unsigned long checked = 0, nr;
	struct page *page;
	int order;

	rcu_read_lock();
	while (pfn < end) {
		page = pfn_to_online_page(pfn);
		if (!page) {
			pfn = pec_next_pfn(pfn);
			continue;
		}
		nr = 1;
		if (page_zone(page) == zone) {
			order = pec_free_block_order(page);
			if (order >= 0) {
				nr = 1UL << order;
				pec_scrub_free_block(chunk, pfn, order);
			}
			checked += nr;
		}
		pfn += nr;
	}
	rcu_read_unlock();
	return checked;
}

/* Report a free-list finding: what the list says, and what the block is. */
static void pec_report_list(const struct pec_finding *f)
{
	char expected[24], found[24];

	switch (f->list_fault) {
	case PEC_LIST_NOT_BUDDY:
		strscpy(expected, "buddy");
		strscpy(found, "not-buddy");
		break;
	case PEC_LIST_ORDER:
		snprintf(expected, sizeof(expected), "order-%lu", f->expected);
		snprintf(found, sizeof(found), "order-%lu", f->found);
		break;
	case PEC_LIST_MIGRATETYPE:
		snprintf(expected, sizeof(expected), "migratetype-%lu", f->expected);
		snprintf(found, sizeof(found), "migratetype-%lu", f->found);
		break;
	case PEC_LIST_LINK:
		strscpy(expected, "linked");
		strscpy(found, "bad-link");
		break;
	default:
		strscpy(expected, "linked");
		strscpy(found, "bad-pointer");
		break;
	}
	pec_report_as(PEC_FREE_LIST, f->pfn, f->block_pfn, f->order, expected,
		      found, "scrub of the free list");
}

/* Report what a chunk found in its free blocks, with the zone lock dropped. */
static void pec_scrub_report(struct pec_scrub_chunk *chunk, unsigned long start,
			     unsigned long end)
{
	unsigned long unreported = 0;
	struct pec_finding *f;
	unsigned int i;

	for (i = 0; i < chunk->nr; i++) {
		f = &chunk->finding[i];
		if (f->class == PEC_FREE_LIST)
			pec_report_list(f);
		else
			pec_report(f->class, f->pfn, f->block_pfn, f->order,
				   f->expected, f->found, "scrub");
	}
	for (i = 0; i < NR_PEC_CLASSES; i++) {
		atomic_long_add(chunk->unreported[i], &pec_violations[i]);
		unreported += chunk->unreported[i];
	}
	if (unreported)
		pr_err("page_ext_consistency: scrub: %lu more violations in pfn %#lx-%#lx, counted but not reported\n",
		       unreported, start, end - 1);
}

/*
 * The free lists themselves.  Every block on the list of (order,
 * migratetype) must be PageBuddy with that order, in a pageblock of that
 * migratetype (__del_page_from_free_list() warns about the same with
 * DEBUG_VM), and each block's prev must be the block before it.  The links
 * are not trusted: a block is read only once its address is found to be
 * the memmap entry of an online page of the zone, which page_to_pfn() can
 * tell without reading it with SPARSEMEM_VMEMMAP or FLATMEM; with classic
 * SPARSEMEM the lists are not walked.  The walk of a list stops at the
 * first bad link, as what follows it cannot be trusted.
 *
 * The zone lock is held for PEC_LIST_BATCH blocks at a time.  A walk
 * resumes after the last block it checked if that is still a free block of
 * the list's order and migratetype, i.e. still on the list, and leaves the
 * list for the next scrub otherwise.  Blocks that move meanwhile may be met
 * twice or not at all, so a block on a list twice is not looked for.
 */
#define PEC_LIST_BATCH		1024

static void pec_scrub_list_note(struct pec_scrub_chunk *chunk,
				enum pec_list_fault fault, unsigned long pfn,
				unsigned int order, unsigned long expected,
				unsigned long found)
{
	struct pec_finding *f;

	f = pec_scrub_note(chunk, PEC_FREE_LIST, pfn, pfn, order, expected, found);
	if (f)
		f->list_fault = fault;
}

/* Whether @page, read from a free list of @zone, is a page of @zone. */
static bool pec_zone_page(struct zone *zone, struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	return pfn_to_online_page(pfn) == page && page_zone(page) == zone;
}

/* Whether the block at @pfn is still a free block on the list of (@order, @mt). */
static bool pec_still_listed(struct zone *zone, unsigned long pfn,
			     unsigned int order, int mt)
{
	struct page *page = pfn_to_online_page(pfn);

	return page && page_zone(page) == zone && PageBuddy(page) &&
	       buddy_order(page) == order &&
	       get_pageblock_migratetype(page) == mt;
}

/*
 * Check up to PEC_LIST_BATCH blocks of the free list of (@order, @mt) of
 * @zone, after the block at *@cursor (~0UL: from the head).  Return true
 * with *@cursor at the last block checked if the list goes on, false at
 * its end or at a bad link.  Called with the zone lock held.
 */
static bool pec_scrub_list(struct pec_scrub_chunk *chunk, struct zone *zone,
			   unsigned int order, int mt, unsigned long *cursor)
{
	struct list_head *head = &zone->free_area[order].free_list[mt];
	struct list_head *prev = head, *next;
	unsigned long pfn = *cursor;
	struct page *page;
	unsigned int n;

	if (pfn != ~0UL)
		prev = &pfn_to_page(pfn)->buddy_list;
	for (n = 0; n < PEC_LIST_BATCH; n++) {
		next = READ_ONCE(prev->next);
		if (next == head)
			return false;
		page = list_entry(next, struct page, buddy_list);
		if (!pec_zone_page(zone, page)) {
			pec_scrub_list_note(chunk, PEC_LIST_POINTER, pfn, order, 0, 0);
			return false;
		}
		pfn = page_to_pfn(page);
		if (READ_ONCE(next->prev) != prev) {
			pec_scrub_list_note(chunk, PEC_LIST_LINK, pfn, order, 0, 0);
			return false;
		}
		if (!PageBuddy(page))
			pec_scrub_list_note(chunk, PEC_LIST_NOT_BUDDY, pfn, order, 0, 0);
		else if (buddy_order(page) != order)
			pec_scrub_list_note(chunk, PEC_LIST_ORDER, pfn, order, order,
					    buddy_order(page));
		else if (get_pageblock_migratetype(page) != mt)
			pec_scrub_list_note(chunk, PEC_LIST_MIGRATETYPE, pfn, order, mt,
					    get_pageblock_migratetype(page));
		prev = next;
		*cursor = pfn;
	}
	return true;
}

/*
 * Walk every free list of @zone, PEC_LIST_BATCH blocks per hold of the zone
 * lock; add the longest hold to *@max_hold.  A list is walked for at most
 * as many blocks as the order had free ones at the start, and a batch more:
 * frees that keep adding blocks ahead of the walk cannot hold it up.
 */
static void pec_scrub_lists(struct zone *zone, u64 *max_hold)
{
	struct pec_scrub_chunk chunk;
	unsigned long cursor, budget, flags;
	unsigned int order;
	bool more;
	u64 t0;
	int mt;

	if (!IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP) && !IS_ENABLED(CONFIG_FLATMEM))
		return;
	for (order = 0; order < NR_PAGE_ORDERS; order++) {
		for (mt = 0; mt < MIGRATE_TYPES; mt++) {
			cursor = ~0UL;
			/* Only a bound on the walk: a stale count will do. */
			budget = data_race(zone->free_area[order].nr_free) +
				 PEC_LIST_BATCH;
			do {
				memset(&chunk, 0, sizeof(chunk));
				get_online_mems();
				spin_lock_irqsave(&zone->lock, flags);
				t0 = ktime_get_ns();
				more = (cursor == ~0UL ||
					pec_still_listed(zone, cursor, order, mt)) &&
				       pec_scrub_list(&chunk, zone, order, mt, &cursor);
				*max_hold = max(*max_hold, ktime_get_ns() - t0);
				spin_unlock_irqrestore(&zone->lock, flags);
				put_online_mems();
				if (unlikely(chunk.nr))
					pec_scrub_report(&chunk, zone->zone_start_pfn,
							 zone_end_pfn(zone));
				cond_resched();
				budget -= min_t(unsigned long, budget, PEC_LIST_BATCH);
			} while (more && budget);
		}
	}
}

/* What a walk of the records found; see pec_check_records(). */
struct pec_counts {
	unsigned long free, allocated, invalid;
};

/* The records of [@first, @last] (bits of a bitmap) in its word @w. */
static unsigned long pec_word_mask(unsigned long w, unsigned long first,
				   unsigned long last)
{
	unsigned long mask = ~0UL;

	if (w == BIT_WORD(first))
		mask &= BITMAP_FIRST_WORD_MASK(first);
	if (w == BIT_WORD(last))
		mask &= BITMAP_LAST_WORD_MASK(last + 1);
	return mask;
}

/*
 * Claim the chunk at @claim and wait until every transition that did not
 * see the claim has finished (see pec_claim_check()).
 */
static void pec_claim_begin(unsigned long claim)
{
	lockdep_assert_held(&pec_scrub_lock);
	/*
	 * A transition that saw the last claim may still be on its way to
	 * marking its pages (an RCU reader may be preempted): wait until it
	 * has, or its marks would land in this claim's.  Most claims come
	 * long after the last one ended, and do not wait.
	 */
	cond_synchronize_rcu(pec_claim_ended);
	bitmap_zero(pec_claim_moved, PEC_CLAIM_PAGES);
	/* The marks cleared before the claim: pairs with pec_claim_check(). */
	smp_store_release(&pec_claim, claim);
	synchronize_rcu();
}

static void pec_claim_end(void)
{
	/* The reading before the claim is dropped: pairs with pec_claim_check(). */
	smp_store_release(&pec_claim, PEC_NO_CLAIM);
	pec_claim_ended = get_state_synchronize_rcu();
}

/*
 * Read the records of [@pfn, @end), in the claimed chunk, and count and
 * report, when @report is set, each that is neither pattern and that no
 * transition was moving.
 */
static void pec_read_claimed(unsigned long pfn, unsigned long end,
			     bool report, struct pec_counts *counts)
{
	unsigned long claim = ALIGN_DOWN(pfn, PEC_CLAIM_PAGES);
	unsigned long w, first, last, f, a, bad, moved, b, p, found;
	struct pec_rec r;

	rcu_read_lock();
	if (!pec_rec_find(pfn, &r))
		goto out;
	first = r.bit;
	last = r.bit + end - pfn - 1;
	for (w = BIT_WORD(first); w <= BIT_WORD(last); w++) {
		f = READ_ONCE(r.copy[PEC_COPY_FREE][w]);
		a = READ_ONCE(r.copy[PEC_COPY_ALLOCATED][w]);
		/* The records before the marks: pairs with pec_claim_steal(). */
		smp_rmb();
		p = pfn - r.bit + w * BITS_PER_LONG;
		moved = READ_ONCE(pec_claim_moved[BIT_WORD(p - claim)]);
		bad = ~(f ^ a) & pec_word_mask(w, first, last);
		pec_records_in_flight += hweight_long(bad & moved);
		bad &= ~moved;
		for_each_set_bit(b, &bad, BITS_PER_LONG) {
			if (counts)
				counts->invalid++;
			if (!report)
				continue;
			found = ((f >> b) & 1) * PEC_FREE |
				((a >> b) & 1) * PEC_ALLOCATED;
			pec_report(PEC_CORRUPT_RECORD, p + b, p + b, 0,
				   PEC_VALID, found, "scrub");
		}
	}
out:
	rcu_read_unlock();
}

/*
 * Read the records of [@pfn, @end), in one claim chunk, again with the
 * chunk claimed.  Sleeps for a grace period; few chunks need it: one with
 * a transition caught in flight, or a fault.
 */
static void pec_check_claimed(unsigned long pfn, unsigned long end,
			      bool report, struct pec_counts *counts)
{
	pec_claim_begin(ALIGN_DOWN(pfn, PEC_CLAIM_PAGES));
	pec_read_claimed(pfn, end, report, counts);
	pec_claim_end();
}

/*
 * Check that the two copies of every record in [@pfn, @end) are
 * complementary, a word of each at a time, and add the FREE and ALLOCATED
 * records to @counts if it is not NULL.  The records of a claim chunk in
 * which one is not are read again with pec_check_claimed(), and those still
 * bad are counted and reported when @report is set.  Such a record is left
 * as it is: which state the page should hold cannot be told from here
 * (pages on pcp lists and isolated free pages have a refcount of zero, and
 * so do allocated ones: tail pages of a block allocated without
 * __GFP_COMP, a frozen hugetlb folio).  The page's next transition reports
 * it again and resyncs it.
 */
static void pec_check_records(unsigned long pfn, unsigned long end,
			      bool report, struct pec_counts *counts)
{
	unsigned long next, w, first, last, mask, f, a, bad, nr_bad;
	struct pec_rec r;

	for (; pfn < end; pfn = next) {
		next = min3(ALIGN(pfn + 1, PEC_CLAIM_PAGES), end,
			    pfn + page_ext_bitmaps_span(pfn));
		nr_bad = 0;
		cond_resched();
		rcu_read_lock();
		if (pec_rec_find(pfn, &r)) {
			first = r.bit;
			last = r.bit + next - pfn - 1;
			for (w = BIT_WORD(first); w <= BIT_WORD(last); w++) {
				mask = pec_word_mask(w, first, last);
				f = READ_ONCE(r.copy[PEC_COPY_FREE][w]);
				a = READ_ONCE(r.copy[PEC_COPY_ALLOCATED][w]);
				if (counts) {
					counts->free += hweight_long(f & ~a & mask);
					counts->allocated += hweight_long(a & ~f & mask);
				}
				bad = ~(f ^ a) & mask;
				if (unlikely(bad))
					nr_bad += hweight_long(bad);
			}
		}
		rcu_read_unlock();
		if (unlikely(nr_bad)) {
			pec_records_reread += nr_bad;
			pec_check_claimed(pfn, next, report, counts);
		}
	}
}

/**
 * page_ext_consistency_scrub() - Verify every page's record.
 *
 * Walks all populated zones in chunks under the zone lock and reports every
 * record that is invalid, and every page of a free block that is not
 * recorded FREE, through the same path and action as the allocator hooks.
 *
 * Context: Process context, may sleep.
 * Return: the number of pages checked, or -ENODEV if the checker is off.
 */
long page_ext_consistency_scrub(void)
{
	unsigned long pfn, next, end, flags, checked = 0;
	u64 start, t0, hold, max_hold = 0;
	struct pec_scrub_chunk chunk;
	struct zone *zone;

	if (static_branch_likely(&page_ext_consistency_disabled))
		return -ENODEV;

	mutex_lock(&pec_scrub_lock);
	start = ktime_get_ns();
	for_each_populated_zone(zone) {
		for (pfn = zone->zone_start_pfn; ; pfn = next) {
			get_online_mems();
			/* The span may have changed while the lock was dropped. */
			pfn = max(pfn, zone->zone_start_pfn);
			end = zone_end_pfn(zone);
			if (pfn >= end) {
				put_online_mems();
				break;
			}
			next = min(ALIGN(pfn + 1, PEC_SCRUB_CHUNK), end);
			memset(&chunk, 0, sizeof(chunk));
			spin_lock_irqsave(&zone->lock, flags);
			t0 = ktime_get_ns();
			checked += pec_scrub_free_blocks(&chunk, zone, pfn, next);
			hold = ktime_get_ns() - t0;
			spin_unlock_irqrestore(&zone->lock, flags);
			max_hold = max(max_hold, hold);
			if (unlikely(chunk.nr))
				pec_scrub_report(&chunk, pfn, next);
			pec_check_records(pfn, next, true, NULL);
			put_online_mems();
			cond_resched();
		}
		pec_scrub_lists(zone, &max_hold);
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
	unsigned int secs;

	if (!READ_ONCE(pec_scrub_ready))
		return;
	secs = READ_ONCE(pec_scrub_interval);
	if (secs)
		mod_delayed_work(system_unbound_wq, &pec_scrub_work,
				 (unsigned long)secs * HZ);
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
	[PEC_FREE_LIST]		= "free_list",
};

static unsigned long pec_sum(unsigned long __percpu *counter)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		/* A statistic: the hooks add to it while it is read. */
		sum += data_race(*per_cpu_ptr(counter, cpu));
	}
	return sum;
}

/*
 * Count the records of all populated zones, whole words at a time: a
 * snapshot, not a check.  A record that is neither pattern is counted only
 * once pec_check_claimed() has read it again, as a transition in flight
 * makes it look so for a moment.  Holes in a zone are recorded ALLOCATED.
 */
static void pec_count_records(struct pec_counts *counts)
{
	unsigned long pfn, end;
	struct zone *zone;

	mutex_lock(&pec_scrub_lock);
	for_each_populated_zone(zone) {
		/* A chunk at a time, as the scrub: offlining waits for one only. */
		for (pfn = zone->zone_start_pfn; ; pfn = end) {
			get_online_mems();
			pfn = max(pfn, zone->zone_start_pfn);
			end = min(ALIGN(pfn + 1, PEC_SCRUB_CHUNK), zone_end_pfn(zone));
			if (pfn < end)
				pec_check_records(pfn, end, false, counts);
			put_online_mems();
			if (pfn >= end)
				break;
			cond_resched();
		}
	}
	mutex_unlock(&pec_scrub_lock);
}

static int stats_show(struct seq_file *m, void *v)
{
	struct pec_counts counts = {};
	unsigned long count, total = 0;
	u64 walk_ns;
	int i;

	walk_ns = ktime_get_ns();
	pec_count_records(&counts);
	walk_ns = ktime_get_ns() - walk_ns;
	seq_printf(m, "mode: %s\n", pec_mode_name[pec_mode]);
	seq_printf(m, "alloc_checks: %lu\n", pec_sum(&pec_alloc_checks));
	seq_printf(m, "free_checks: %lu\n", pec_sum(&pec_free_checks));
	seq_printf(m, "pages_allocated: %lu\n", counts.allocated);
	seq_printf(m, "pages_free: %lu\n", counts.free);
	seq_printf(m, "records_invalid: %lu\n", counts.invalid);
	seq_printf(m, "record_bytes: %lu\n", pec_record_bytes());
	for (i = 0; i < NR_PEC_CLASSES; i++)
		total += atomic_long_read(&pec_violations[i]);
	seq_printf(m, "violations: %lu\n", total);
	for (i = 0; i < NR_PEC_CLASSES; i++) {
		count = atomic_long_read(&pec_violations[i]);
		seq_printf(m, "%s: %lu\n", pec_class_key[i], count);
	}
	seq_printf(m, "init_us: %llu\n", div_u64(pec_init_ns, NSEC_PER_USEC));
	seq_printf(m, "records_walk_us: %llu\n", div_u64(walk_ns, NSEC_PER_USEC));
	mutex_lock(&pec_scrub_lock);
	seq_printf(m, "scrub_runs: %lu\n", pec_scrub_runs);
	seq_printf(m, "scrub_pages_checked: %lu\n", pec_scrub_pages);
	seq_printf(m, "scrub_last_duration_us: %llu\n",
		   div_u64(pec_scrub_last_ns, NSEC_PER_USEC));
	seq_printf(m, "scrub_max_lock_hold_us: %llu\n",
		   div_u64(pec_scrub_max_hold_ns, NSEC_PER_USEC));
	seq_printf(m, "records_reread: %lu\n", pec_records_reread);
	seq_printf(m, "records_in_flight: %lu\n", pec_records_in_flight);
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
 * one page, or, for the -word faults, the whole word of one copy that holds
 * it (64 neighbouring records: a correlated fault), and nothing else, so
 * that detection can be shown end to end.  @copies: the copies to flip, or
 * to set to @set.
 */
static const struct {
	const char *name;
	unsigned long flip, set;
	bool word;
} pec_inject_ops[] = {
	{ "flip-free",		PEC_FREE,	0,		false },
	{ "flip-allocated",	PEC_ALLOCATED,	0,		false },
	{ "flip-both",		PEC_MASK,	0,		false },
	{ "set-free",		0,		PEC_FREE,	false },
	{ "set-allocated",	0,		PEC_ALLOCATED,	false },
	{ "set-none",		0,		0,		false },
	{ "set-both",		0,		PEC_MASK,	false },
	{ "flip-free-word",	PEC_FREE,	0,		true },
	{ "flip-allocated-word", PEC_ALLOCATED,	0,		true },
};

static ssize_t inject_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char buf[64], *how, *pos;
	unsigned long pfn, record;
	struct pec_rec r;
	int i, c;

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
	if (!pfn_to_online_page(pfn))
		return -EINVAL;

	rcu_read_lock();
	if (!pec_rec_get(pfn, &r)) {
		rcu_read_unlock();
		return -EINVAL;
	}
	for (c = 0; c < NR_PEC_COPIES; c++) {
		if (pec_inject_ops[i].word) {
			if (pec_inject_ops[i].flip & BIT(c))
				atomic_long_xor(~0UL, (atomic_long_t *)
						&r.copy[c][BIT_WORD(r.bit)]);
		} else if (pec_inject_ops[i].flip & BIT(c)) {
			change_bit(r.bit, r.copy[c]);
		} else if (!pec_inject_ops[i].flip) {
			if (pec_inject_ops[i].set & BIT(c))
				set_bit(r.bit, r.copy[c]);
			else
				clear_bit(r.bit, r.copy[c]);
		}
	}
	rcu_read_unlock();
	record = pec_record_get(pfn);
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
