/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page allocator consistency checker: a FREE/ALLOCATED record per page in
 * page_ext, checked and updated on every allocation and free.
 *
 * See Documentation/mm/page_ext_consistency.rst.
 */
#ifndef __LINUX_PAGE_EXT_CONSISTENCY_H
#define __LINUX_PAGE_EXT_CONSISTENCY_H

#include <linux/errno.h>
#include <linux/types.h>

struct page;

#ifdef CONFIG_PAGE_EXT_CONSISTENCY
#include <linux/jump_label.h>

extern struct static_key_true page_ext_consistency_disabled;
extern struct static_key_false page_ext_consistency_warn;
extern struct page_ext_operations page_ext_consistency_ops;

bool __page_ext_consistency_check_new(struct page *page, unsigned int order);
void __page_ext_consistency_alloc(struct page *page, unsigned int order);
bool __page_ext_consistency_free(struct page *page, unsigned int order);
bool __page_ext_consistency_merge(struct page *buddy, unsigned long buddy_pfn,
				  unsigned int order);
long page_ext_consistency_scrub(void);

/**
 * page_ext_consistency_check_new() - Check a block before it is handed out.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called from check_new_pages(), when rmqueue has taken the block off a free
 * list or a pcp list and before anything writes to it: every page of the
 * block must be recorded FREE.  Only reads the records; the transition to
 * ALLOCATED is page_ext_consistency_alloc()'s.  In warn mode only: there the
 * report returns, and this is what keeps rmqueue from handing out a page
 * somebody holds.  In panic mode the transition, which post_alloc_hook()
 * runs before anything writes to the block, finds the same pages and does
 * not return, so the read would only add to every allocation.
 *
 * Return: false if a page of the block was not recorded FREE (reported).
 * The caller must then not hand the block out: it stays out of the
 * allocator (leaked), and a page of it that somebody owns stays theirs, as
 * after bad_page().  True otherwise, and outside warn mode.
 */
static __always_inline bool page_ext_consistency_check_new(struct page *page,
							   unsigned int order)
{
	if (!static_branch_unlikely(&page_ext_consistency_warn))
		return true;

	return __page_ext_consistency_check_new(page, order);
}

/**
 * page_ext_consistency_alloc() - Record that a block leaves the allocator.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called from post_alloc_hook(), first, so that a double allocation is
 * found before anything writes to the block. Every page of the block must
 * be recorded FREE; each is switched to ALLOCATED. Always inline: with the
 * checker off, the hook is one patched-out branch, not a call.
 */
static __always_inline void page_ext_consistency_alloc(struct page *page,
						       unsigned int order)
{
	if (static_branch_likely(&page_ext_consistency_disabled))
		return;

	__page_ext_consistency_alloc(page, order);
}

/**
 * page_ext_consistency_free() - Record that a block returns to the allocator.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called from free_pages_prepare(). Every page of the block must be recorded
 * ALLOCATED; each is switched to FREE. Always inline, as above.
 *
 * Return: false if a page of the block was not recorded ALLOCATED (reported;
 * in panic mode this does not return). The caller must then not free the
 * block, which stays out of the allocator (leaked) rather than entering it a
 * second time, as after bad_page(). True otherwise, and with the checker off.
 */
static __always_inline bool page_ext_consistency_free(struct page *page,
						      unsigned int order)
{
	if (static_branch_likely(&page_ext_consistency_disabled))
		return true;

	return __page_ext_consistency_free(page, order);
}

/**
 * page_ext_consistency_merge() - Check a buddy before merging with it.
 * @buddy: The first page of the free block found as buddy.
 * @buddy_pfn: Its PFN.
 * @order: The order of both blocks.
 *
 * Called from __free_one_page(), under the zone lock, for each buddy that
 * the block being freed is about to merge with: its first page must be
 * recorded FREE.  A page in use with PageBuddy set (a stray flag write)
 * would otherwise be merged into a free block and handed out again.
 *
 * Return: false if the buddy's first page is not recorded FREE (reported;
 * in panic mode this does not return).  The caller must then stop merging:
 * the block is freed at @order and the buddy is left as it is.  True
 * otherwise, and with the checker off.
 */
static __always_inline bool page_ext_consistency_merge(struct page *buddy,
						       unsigned long buddy_pfn,
						       unsigned int order)
{
	if (static_branch_likely(&page_ext_consistency_disabled))
		return true;

	return __page_ext_consistency_merge(buddy, buddy_pfn, order);
}

#else

static inline long page_ext_consistency_scrub(void)
{
	return -ENODEV;
}

static inline bool page_ext_consistency_check_new(struct page *page,
						  unsigned int order)
{
	return true;
}

static inline void page_ext_consistency_alloc(struct page *page,
					      unsigned int order)
{
}

static inline bool page_ext_consistency_free(struct page *page,
					     unsigned int order)
{
	return true;
}

static inline bool page_ext_consistency_merge(struct page *buddy,
					      unsigned long buddy_pfn,
					      unsigned int order)
{
	return true;
}

#endif /* CONFIG_PAGE_EXT_CONSISTENCY */
#endif /* __LINUX_PAGE_EXT_CONSISTENCY_H */
