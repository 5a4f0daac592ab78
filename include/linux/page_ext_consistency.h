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
extern struct page_ext_operations page_ext_consistency_ops;

void __page_ext_consistency_alloc(struct page *page, unsigned int order);
bool __page_ext_consistency_free(struct page *page, unsigned int order);
long page_ext_consistency_scrub(void);

/**
 * page_ext_consistency_alloc() - Record that a block leaves the allocator.
 * @page: The first page of the block.
 * @order: The order of the block.
 *
 * Called from post_alloc_hook(). Every page of the block must be recorded
 * FREE; each is switched to ALLOCATED. Always inline: with the checker off,
 * the hook is one patched-out branch, not a call.
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

#else

static inline long page_ext_consistency_scrub(void)
{
	return -ENODEV;
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

#endif /* CONFIG_PAGE_EXT_CONSISTENCY */
#endif /* __LINUX_PAGE_EXT_CONSISTENCY_H */
