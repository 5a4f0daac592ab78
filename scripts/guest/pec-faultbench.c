// SPDX-License-Identifier: GPL-2.0
/*
 * Page-fault workload for make bench: map anonymous memory, fault in every
 * page by writing to it, unmap, repeat. THP is disabled for the process
 * (prctl(PR_SET_THP_DISABLE), and MADV_NOHUGEPAGE where madvise() exists;
 * tinyconfig kernels have no madvise()), so every fault is an order-0
 * allocation and munmap an order-0 free: where the checker's per-page cost
 * is largest relative to the work done.
 *
 *   pec-faultbench [seconds [MiB]]     (default 3 s, 16 MiB per mapping)
 *
 * One untimed warm-up pass, then timed passes until <seconds> have passed.
 * Each pass is a sample; time stolen from a pass (preemption of the vCPU or
 * of the UML process by the host) only makes it slower, so ns_per_page is
 * the fastest pass and ns_per_page_median the median one; pages_per_sec is
 * the throughput over all passes. One line:
 *   PEC-BENCH test=pagefault mib=16 passes=N pages=N ns=N ns_per_page=N.NN
 *             ns_per_page_median=N.NN pages_per_sec=N
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_PASSES 100000

static double per_page[MAX_PASSES];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Map, touch every page, unmap: one pass. Returns pages faulted, 0 on error. */
static uint64_t pass(size_t size, size_t page)
{
	volatile char *p;
	size_t off;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "pec-faultbench: mmap: %s\n", strerror(errno));
		return 0;
	}
	/*
	 * ENOSYS without CONFIG_ADVISE_SYSCALLS, EINVAL without THP: there is
	 * nothing to turn off then, or PR_SET_THP_DISABLE covers it.
	 */
	if (madvise((void *)p, size, MADV_NOHUGEPAGE) && errno != ENOSYS &&
	    errno != EINVAL) {
		fprintf(stderr, "pec-faultbench: madvise: %s\n", strerror(errno));
		munmap((void *)p, size);
		return 0;
	}
	for (off = 0; off < size; off += page)
		p[off] = 1;
	munmap((void *)p, size);
	return size / page;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	long mib = argc > 2 ? atol(argv[2]) : 16;
	size_t page = sysconf(_SC_PAGESIZE), size;
	uint64_t pages = 0, n, start, t0, t1, budget;
	unsigned long passes = 0;

	if (secs <= 0 || mib <= 0) {
		fprintf(stderr, "usage: pec-faultbench [seconds [MiB]]\n");
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		perror("pec-faultbench: prctl(PR_SET_THP_DISABLE)");
		return 1;
	}
	size = (size_t)mib << 20;
	budget = (uint64_t)(secs * 1e9);
	if (!pass(size, page))
		return 1;
	start = t1 = now_ns();
	do {
		t0 = t1;
		n = pass(size, page);
		if (!n)
			return 1;
		t1 = now_ns();
		per_page[passes++] = (double)(t1 - t0) / n;
		pages += n;
	} while (t1 - start < budget && passes < MAX_PASSES);

	qsort(per_page, passes, sizeof(per_page[0]), cmp_double);
	printf("PEC-BENCH test=pagefault mib=%ld passes=%lu pages=%llu ns=%llu ns_per_page=%.2f ns_per_page_median=%.2f pages_per_sec=%llu\n",
	       mib, passes, (unsigned long long)pages,
	       (unsigned long long)(t1 - start), per_page[0],
	       per_page[passes / 2],
	       (unsigned long long)(pages * 1000000000ull / (t1 - start)));
	fflush(stdout);
	return 0;
}
