// SPDX-License-Identifier: GPL-2.0
/*
 * Drive the page_ext consistency checker from userspace: a workload over
 * the paths that move pages into and out of the page allocator, a scrub,
 * fault injection for every violation class, and bad input to every
 * writable file.  Verdicts come from the checker's own counters in
 * /sys/kernel/debug/page_ext_consistency/stats.
 *
 * The injection cases need CONFIG_PAGE_EXT_CONSISTENCY_INJECT and
 * page_ext_consistency=warn.  With PEC_EXPECT_PANIC=1 in the environment
 * they run in panic mode too, and fail if the kernel survives the fault.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define PEC_DIR		"/sys/kernel/debug/page_ext_consistency"
#define PEC_STATS	PEC_DIR "/stats"
#define PEC_SCRUB	PEC_DIR "/scrub"
#define PEC_INJECT	PEC_DIR "/inject"
#define PEC_INTERVAL	"/sys/module/page_ext_consistency/parameters/scrub_interval"
#define MEMORY_BLOCKS	"/sys/devices/system/memory"

#define MiB		(1024UL * 1024)
#define KPF_BUDDY	10
#define KPF_THP		22
/* kpageflags of a page somebody uses: on an LRU list, mapped, or slab. */
#define KPF_IN_USE	((1ULL << 5) | (1ULL << 11) | (1ULL << 7))

static size_t page_size;

/* Write @val to @path; 0 or -errno. */
static int write_file(const char *path, const char *val)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val));
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* The value of @key in the stats file, or -1. */
static long pec_stat(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long val = -1;
	FILE *f;

	f = fopen(PEC_STATS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static bool pec_mode_is(const char *mode)
{
	char line[256], want[64];
	bool ret = false;
	FILE *f;

	snprintf(want, sizeof(want), "mode: %s\n", mode);
	f = fopen(PEC_STATS, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, want))
			ret = true;
	fclose(f);
	return ret;
}

/* Entry @index of a file of 64-bit entries (pagemap, kpageflags); 0 if unknown. */
static uint64_t read_entry(const char *path, unsigned long index)
{
	uint64_t entry = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), index * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	return entry;
}

/* The page frame behind @addr, from /proc/self/pagemap; 0 if unknown. */
static unsigned long pfn_of(void *addr)
{
	uint64_t entry = read_entry("/proc/self/pagemap",
				    (uintptr_t)addr / page_size);

	if (!(entry & (1ULL << 63)))
		return 0;
	return entry & ((1ULL << 55) - 1);
}

static int inject(unsigned long pfn, const char *how)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%#lx %s", pfn, how);
	return write_file(PEC_INJECT, buf);
}

/* A private anonymous mapping with every page faulted in. */
static char *map_anon(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t off = 0; off < size; off += page_size)
		p[off] = 1;
	return p;
}

/*
 * One faulted-in anonymous page that munmap() really frees: a new folio sits
 * in this CPU's LRU-add batch, which holds a reference until the batch
 * drains, so fault in enough other pages to push it out first.  The filler
 * stays mapped until the test process exits: freeing many pages at once
 * makes the pcp list drain to buddy on the next free.  The caller is pinned
 * to one CPU (see the fixture).
 */
static char *map_one_page(void)
{
	char *p = map_anon(page_size);

	map_anon(64 * page_size);
	return p;
}

static void pin_to_this_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

FIXTURE(pec) {
	long violations;
};

FIXTURE_SETUP(pec)
{
	page_size = getpagesize();
	if (geteuid())
		SKIP(return, "needs root");
	if (access(PEC_STATS, R_OK))
		SKIP(return, "%s missing: boot with page_ext_consistency=on",
		     PEC_STATS);
	self->violations = pec_stat("violations");
	pin_to_this_cpu();
}

FIXTURE_TEARDOWN(pec)
{
}

/*
 * Injection cases: need the inject file, and warn mode, or panic mode when
 * the caller expects the kernel to panic (then surviving is a failure).
 */
static bool expect_panic(void)
{
	const char *env = getenv("PEC_EXPECT_PANIC");

	return env && !strcmp(env, "1");
}

/* Why an injection case cannot run here, or NULL. */
static const char *injection_unavailable(void)
{
	if (access(PEC_INJECT, W_OK))
		return "needs CONFIG_PAGE_EXT_CONSISTENCY_INJECT";
	if (!pec_mode_is("warn") && !expect_panic())
		return "needs page_ext_consistency=warn (or PEC_EXPECT_PANIC=1)";
	return NULL;
}

#define SURVIVED()							\
	do {								\
		if (expect_panic())					\
			ASSERT_TRUE(false) TH_LOG("kernel did not panic"); \
	} while (0)

/* Anonymous memory, several sizes. */
static void anon_sizes(void)
{
	static const size_t sizes[] = { 4096, 64 * 1024, MiB, 16 * MiB };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *p = map_anon(sizes[i]);

		if (p)
			munmap(p, sizes[i]);
	}
}

/* THP through madvise: faults in PMD-sized pages where THP is enabled. */
static void thp(void)
{
	size_t size = 8 * MiB, huge = 2 * MiB;
	char *p, *aligned;

	p = mmap(NULL, size + huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	aligned = (char *)(((uintptr_t)p + huge - 1) & ~(huge - 1));
	madvise(aligned, size, MADV_HUGEPAGE);
	for (size_t off = 0; off < size; off += page_size)
		aligned[off] = 1;
	/* Split one of them by unmapping half of it. */
	munmap(aligned + huge / 2, huge / 2);
	munmap(p, size + huge);
}

static void fork_and_exit(void)
{
	char *p = map_anon(4 * MiB);
	int i, status;

	for (i = 0; i < 4; i++) {
		if (fork() == 0) {
			if (p)
				for (size_t off = 0; off < 4 * MiB; off += 2 * page_size)
					p[off] = 2;
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		;
	if (p)
		munmap(p, 4 * MiB);
}

static void page_cache(void)
{
	static char buf[64 * 1024];
	const char *path = "/tmp/pec-selftest.dat";
	int fd, i;

	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0)
		return;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 256; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			break;
	lseek(fd, 0, SEEK_SET);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	unlink(path);
	sync();
	write_file("/proc/sys/vm/drop_caches", "3");
}

static void hugetlb_pool(void)
{
	const char *path = "/proc/sys/vm/nr_hugepages";

	if (write_file(path, "16"))
		return;
	write_file(path, "0");
}

/* Offline and online again every memory block that lets us. */
static int memory_blocks_cycle(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	int cycled = 0;
	DIR *dir;

	dir = opendir(MEMORY_BLOCKS);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && cycled < 4) {
		if (strncmp(d->d_name, "memory", 6) || d->d_name[6] < '0' ||
		    d->d_name[6] > '9')
			continue;
		snprintf(path, sizeof(path), MEMORY_BLOCKS "/%s/state",
			 d->d_name);
		if (write_file(path, "offline"))
			continue;
		if (write_file(path, "online_movable") &&
		    write_file(path, "online"))
			continue;
		cycled++;
	}
	closedir(dir);
	return cycled;
}

/*
 * Inject @how into the record of a page we hold, then free it: exactly one
 * report of @class (its stats key) follows, and the record is resynced, so a
 * scrub finds nothing more.
 */
static void inject_then_free(struct __test_metadata *_metadata,
			     long violations, const char *how,
			     const char *class)
{
	long before = pec_stat(class);
	unsigned long pfn;
	char *p;

	p = map_one_page();
	ASSERT_NE(NULL, p);
	pfn = pfn_of(p);
	ASSERT_NE(0, pfn);
	ASSERT_EQ(0, inject(pfn, how));
	munmap(p, page_size);
	SURVIVED();

	ASSERT_EQ(pec_stat(class), before + 1);
	ASSERT_EQ(pec_stat("violations"), violations + 1);
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	ASSERT_EQ(pec_stat("violations"), violations + 1);
}

/* The record of a page we hold is made FREE; freeing it is a bad free. */
TEST_F(pec, inject_bad_free)
{
	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	inject_then_free(_metadata, self->violations, "flip-both", "bad_free");
}

/* One bit of a held page's record flips; freeing it meets an invalid record. */
TEST_F(pec, inject_corrupt_record)
{
	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	inject_then_free(_metadata, self->violations, "flip-free",
			 "corrupt_record");
}

/*
 * A page we just freed is recorded ALLOCATED; handing it out again is a
 * double allocation, which the checker finds when rmqueue takes the page off
 * the pcp list, before anything writes to it, and refuses: the page is not
 * handed out (the fault gets another one) and stays out of the allocator.
 *
 * munmap() frees the page before it returns (the TLB gather of the unmap
 * frees its pages at the end of it) onto this CPU's pcp list of the page's
 * pageblock migratetype, movable for an anonymous page.  pcp lists are LIFO,
 * and nothing between the free and the first probe fault allocates a movable
 * page on this CPU (debugfs and pagemap use slab memory), so the first
 * order-0 anonymous fault on this CPU takes the page: THP is off for the
 * process, so that the faults are order-0.  The probe reads back the pfn of
 * every page it faults in and stops when it is the injected one, or when
 * double_alloc moved (somebody else took it); in panic mode the fault that
 * takes it panics.  Rarely another task takes the page between munmap() and
 * the injection (a drain of the pcp lists hands it to another CPU); the
 * record of a page in use was ALLOCATED anyway, so the test tries again
 * with a fresh page.
 */
TEST_F(pec, inject_double_alloc)
{
	const int max_probes = 1024;
	long before = pec_stat("double_alloc");
	size_t size = max_probes * page_size;
	bool returned = false;
	int probes = 0, attempts;
	unsigned long pfn;
	uint64_t flags;
	char *p, *q;

	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	q = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	madvise(q, size, MADV_NOHUGEPAGE);
	for (attempts = 0; attempts < 8; attempts++) {
		p = map_one_page();
		ASSERT_NE(NULL, p);
		pfn = pfn_of(p);
		ASSERT_NE(0, pfn);
		munmap(p, page_size);
		ASSERT_EQ(0, inject(pfn, "set-allocated"));
		if (!(read_entry("/proc/kpageflags", pfn) & KPF_IN_USE))
			break;
		TH_LOG("pfn %#lx was taken before the injection; again", pfn);
	}
	ASSERT_LT(attempts, 8);

	while (probes < max_probes) {
		p = q + probes++ * page_size;
		*p = 1;
		if (pfn_of(p) == pfn) {
			returned = true;
			break;
		}
		/* Reading the stats walks every record: not on every probe. */
		if (!(probes % 64) && pec_stat("double_alloc") != before)
			break;
	}
	SURVIVED();

	flags = read_entry("/proc/kpageflags", pfn);
	TH_LOG("pfn %#lx: %s after %d order-0 faults (kpageflags %#llx)", pfn,
	       returned ? "handed out to this test" : "not faulted in here",
	       probes, (unsigned long long)flags);
	ASSERT_EQ(pec_stat("double_alloc"), before + 1)
		TH_LOG("no double-alloc report for pfn %#lx", pfn);
	ASSERT_EQ(pec_stat("violations"), self->violations + 1);
	/* Refused: never mapped here, and leaked: neither in use nor free. */
	ASSERT_FALSE(returned);
	ASSERT_EQ(0, flags & (KPF_IN_USE | 1ULL << KPF_BUDDY));
	ASSERT_EQ(0, read_entry("/proc/kpagecount", pfn));
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	ASSERT_EQ(pec_stat("violations"), self->violations + 1);
	munmap(q, size);
	ASSERT_EQ(pec_stat("violations"), self->violations + 1);
}

/*
 * A page we hold and will not free gets a fault in one copy of its record;
 * only the scrub can find it, as the two copies are no longer
 * complementary.  The scrub cannot know which state the page should be in,
 * so it leaves the record, and the page's free reports it once more and
 * resyncs it.
 */
static void inject_then_scrub(struct __test_metadata *_metadata,
			      long violations, const char *how)
{
	long before = pec_stat("corrupt_record");
	unsigned long pfn;
	char *p;

	p = map_one_page();
	ASSERT_NE(NULL, p);
	pfn = pfn_of(p);
	ASSERT_NE(0, pfn);
	ASSERT_EQ(0, inject(pfn, how));
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	SURVIVED();

	ASSERT_EQ(pec_stat("corrupt_record"), before + 1);
	munmap(p, page_size);
	ASSERT_EQ(pec_stat("corrupt_record"), before + 2);
	ASSERT_EQ(pec_stat("violations"), violations + 2);
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	ASSERT_EQ(pec_stat("violations"), violations + 2);
}

/* The ALLOCATED copy of a held page's record flips. */
TEST_F(pec, inject_scrub_held_page)
{
	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	inject_then_scrub(_metadata, self->violations, "flip-allocated");
}

/* The FREE copy of a held page's record flips. */
TEST_F(pec, inject_scrub_free_copy)
{
	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	inject_then_scrub(_metadata, self->violations, "flip-free");
}

/*
 * A correlated fault: a whole word of the ALLOCATED copy flips, the records
 * of 64 neighbouring pages.  They must all be ours, so the test takes the
 * first 64 pages of a THP: consecutive and aligned PFNs, one folio.  The
 * scrub reports every page of the word, and so does the THP's free.
 */
#define WORD_PAGES	64
TEST_F(pec, inject_scrub_word)
{
	size_t huge = 2 * MiB, size = 2 * huge;
	long before = pec_stat("corrupt_record");
	unsigned long pfn = 0, i;
	char *p, *aligned;

	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	aligned = (char *)(((uintptr_t)p + huge - 1) & ~(huge - 1));
	madvise(aligned, huge, MADV_HUGEPAGE);
	for (size_t off = 0; off < huge; off += page_size)
		aligned[off] = 1;
	pfn = pfn_of(aligned);
	for (i = 0; pfn && i < WORD_PAGES; i++)
		if (pfn_of(aligned + i * page_size) != pfn + i)
			pfn = 0;
	if (!pfn || pfn % WORD_PAGES ||
	    !(read_entry("/proc/kpageflags", pfn) & (1ULL << KPF_THP))) {
		munmap(p, size);
		SKIP(return, "no THP of %d pages or more here", WORD_PAGES);
	}
	ASSERT_EQ(0, inject(pfn, "flip-allocated-word"));
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	SURVIVED();

	ASSERT_EQ(pec_stat("corrupt_record"), before + WORD_PAGES);
	munmap(p, size);
	ASSERT_EQ(pec_stat("corrupt_record"), before + 2 * WORD_PAGES);
	ASSERT_EQ(pec_stat("violations"), self->violations + 2 * WORD_PAGES);
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	ASSERT_EQ(pec_stat("violations"), self->violations + 2 * WORD_PAGES);
}

/*
 * The first page of a free buddy block at or above @from, from
 * /proc/kpageflags; 0 if none.
 */
static unsigned long find_buddy_pfn(unsigned long from)
{
	uint64_t flags[512];
	unsigned long pfn, i;
	ssize_t n;
	int fd;

	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0)
		return 0;
	/* Skip the first 64 MiB: low memory is busy with early allocations. */
	for (pfn = from > 16384 ? from : 16384;; pfn += n) {
		n = pread(fd, flags, sizeof(flags), pfn * sizeof(uint64_t));
		if (n <= 0)
			break;
		n /= sizeof(uint64_t);
		for (i = 0; i < (unsigned long)n; i++)
			if (flags[i] & (1ULL << KPF_BUDDY)) {
				close(fd);
				return pfn + i;
			}
	}
	close(fd);
	return 0;
}

/*
 * A free page in buddy is recorded ALLOCATED; the scrub reports it.  If the
 * page is allocated between injection and scrub, the allocation reports a
 * double allocation instead: either way one report.  A free that merges
 * with the page first reports it as well, and leaves the record as it is
 * (it cannot tell whether the flag or the record is wrong), so the scrub or
 * the allocation then reports it a second time.  If it was
 * allocated before the injection (found in buddy, gone by then), its
 * record was ALLOCATED anyway and nothing is wrong with it: the test tries
 * again with the next free page.
 */
TEST_F(pec, inject_scrub_buddy_page)
{
	long buddy = pec_stat("buddy_allocated"), dbl = pec_stat("double_alloc");
	unsigned long pfn = 0;
	long found;
	int attempts;

	if (injection_unavailable())
		SKIP(return, "%s", injection_unavailable());
	for (attempts = 0; attempts < 8; attempts++) {
		pfn = find_buddy_pfn(pfn + 1);
		if (!pfn)
			SKIP(return, "no buddy page found in /proc/kpageflags");
		ASSERT_EQ(0, inject(pfn, "set-allocated"));
		if ((read_entry("/proc/kpageflags", pfn) & (1ULL << KPF_BUDDY)) ||
		    pec_stat("double_alloc") != dbl)
			break;
		TH_LOG("pfn %#lx was taken before the injection; again", pfn);
	}
	ASSERT_LT(attempts, 8);
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));
	SURVIVED();

	TH_LOG("buddy_allocated +%ld, double_alloc +%ld",
	       pec_stat("buddy_allocated") - buddy,
	       pec_stat("double_alloc") - dbl);
	found = pec_stat("buddy_allocated") - buddy + pec_stat("double_alloc") - dbl;
	ASSERT_TRUE(found == 1 || found == 2);
	ASSERT_EQ(pec_stat("violations"), self->violations + found);
}

/* Write each of @vals to @path; count those not refused with EINVAL. */
static int accepted_writes(const char *path, const char * const *vals,
			   size_t nr)
{
	int accepted = 0;
	size_t i;
	int ret;

	for (i = 0; i < nr; i++) {
		ret = write_file(path, vals[i]);
		if (ret != -EINVAL) {
			ksft_print_msg("%s: '%s' gave %d, not -EINVAL\n",
				       path, vals[i], ret);
			accepted++;
		}
	}
	return accepted;
}

/* Malformed writes to every writable file fail with EINVAL and change nothing. */
TEST_F(pec, bad_input)
{
	static const char * const bad_inject[] = {
		"\n", "garbage", "123", "0x1000 flip-sideways",
		"0x1000 flip-free extra", "-1 flip-free",
		"0x10000000000 flip-free", "flip-free 0x1000",
	};
	static const char * const bad_scrub[] = { "\n", "0", "2", "maybe", "-1" };
	static const char * const bad_interval[] = { "\n", "abc", "-1", "1x" };
	long runs = pec_stat("scrub_runs");
	long invalid = pec_stat("records_invalid");

	if (!access(PEC_INJECT, W_OK))
		EXPECT_EQ(0, accepted_writes(PEC_INJECT, bad_inject,
					     ARRAY_SIZE(bad_inject)));
	EXPECT_EQ(0, accepted_writes(PEC_SCRUB, bad_scrub, ARRAY_SIZE(bad_scrub)));
	EXPECT_EQ(0, accepted_writes(PEC_INTERVAL, bad_interval,
				     ARRAY_SIZE(bad_interval)));

	EXPECT_EQ(pec_stat("scrub_runs"), runs);
	EXPECT_EQ(pec_stat("records_invalid"), invalid);
	EXPECT_EQ(pec_stat("violations"), self->violations);
}

/*
 * Last, because it cycles memory blocks offline and online, which changes
 * the zones and pcp lists the injection cases rely on.
 *
 * A mixed workload over every path the checker must stay consistent with,
 * then a scrub: checks happened and not one violation was reported.
 */
TEST_F_TIMEOUT(pec, workload, 900)
{
	long alloc = pec_stat("alloc_checks"), free = pec_stat("free_checks");
	long runs = pec_stat("scrub_runs");
	int round, blocks = 0;

	for (round = 0; round < 3; round++) {
		anon_sizes();
		thp();
		fork_and_exit();
		page_cache();
		write_file("/proc/sys/vm/compact_memory", "1");
		hugetlb_pool();
		blocks += memory_blocks_cycle();
	}
	TH_LOG("memory blocks cycled offline/online: %d", blocks);
	ASSERT_EQ(0, write_file(PEC_SCRUB, "1"));

	ASSERT_GT(pec_stat("alloc_checks"), alloc);
	ASSERT_GT(pec_stat("free_checks"), free);
	/* A periodic scrub may have run too. */
	ASSERT_GE(pec_stat("scrub_runs"), runs + 1);
	ASSERT_GT(pec_stat("scrub_pages_checked"), 0);
	ASSERT_EQ(pec_stat("records_invalid"), 0);
	ASSERT_EQ(pec_stat("violations"), self->violations);
}

TEST_HARNESS_MAIN
