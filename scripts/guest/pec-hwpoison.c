// SPDX-License-Identifier: GPL-2.0
/*
 * Memory-failure rounds for the page_ext consistency checker: soft and hard
 * offline of a page in use and of a free page, each followed by unpoison.
 * Every path moves a page out of the allocator or back without the usual
 * alloc/free pairing (take_page_off_buddy(), the hwpoison early return of
 * free_pages_prepare(), put_page_back_buddy(), unpoison_memory()), and none
 * of them may make the checker report.
 *
 *   pec-hwpoison ROUNDS
 *
 * Prints one "PEC-HWPOISON kind=<kind> tried=N poisoned=N unpoisoned=N"
 * line per kind; exits 1 if a kind never managed to poison a page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON		100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif

#define HWPOISON_DIR	"/sys/kernel/debug/hwpoison"
#define KPF_BUDDY	10
#define KPF_HWPOISON	19

enum kind { SOFT_IN_USE, HARD_IN_USE, SOFT_FREE, HARD_FREE, NR_KINDS };

static const char * const kind_name[NR_KINDS] = {
	[SOFT_IN_USE]	= "soft-offline-in-use",
	[HARD_IN_USE]	= "hard-offline-in-use",
	[SOFT_FREE]	= "soft-offline-free",
	[HARD_FREE]	= "hard-offline-free",
};

static struct {
	unsigned long tried, poisoned, unpoisoned;
} count[NR_KINDS];

static long page_size;

static uint64_t read_entry(const char *path, unsigned long index)
{
	uint64_t entry = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), index * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	return entry;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val));
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static int write_pfn(const char *path, unsigned long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%#llx", val);
	return write_str(path, buf);
}

static unsigned long pfn_of(void *addr)
{
	uint64_t e = read_entry("/proc/self/pagemap", (uintptr_t)addr / page_size);

	return (e & (1ULL << 63)) ? e & ((1ULL << 55) - 1) : 0;
}

static int poisoned(unsigned long pfn)
{
	return !!(read_entry("/proc/kpageflags", pfn) & (1ULL << KPF_HWPOISON));
}

/* A free page from /proc/kpageflags, a different one each call. */
static unsigned long buddy_pfn(void)
{
	static unsigned long next = 16384;	/* skip the busy low 64 MiB */
	uint64_t flags[512];
	int pass, fd = open("/proc/kpageflags", O_RDONLY);
	unsigned long pfn, i;
	ssize_t n;

	if (fd < 0)
		return 0;
	for (pass = 0; pass < 2; pass++, next = 16384) {
		for (pfn = next;; pfn += n) {
			n = pread(fd, flags, sizeof(flags), pfn * sizeof(uint64_t));
			if (n <= 0)
				break;
			n /= sizeof(uint64_t);
			for (i = 0; i < (unsigned long)n; i++) {
				if (!(flags[i] & (1ULL << KPF_BUDDY)) ||
				    (flags[i] & (1ULL << KPF_HWPOISON)))
					continue;
				next = pfn + i + 1;
				close(fd);
				return pfn + i;
			}
		}
	}
	close(fd);
	return 0;
}

static void unpoison(enum kind k, unsigned long pfn)
{
	if (!pfn || !poisoned(pfn))
		return;
	count[k].poisoned++;
	if (!write_pfn(HWPOISON_DIR "/unpoison-pfn", pfn) && !poisoned(pfn))
		count[k].unpoisoned++;
}

/*
 * Soft or hard offline of an anonymous page in use, in a child: a hard
 * offline may kill the user of the page (SIGBUS), and the child exits with
 * the page unmapped either way.
 */
static void offline_in_use(enum kind k)
{
	int advice = k == SOFT_IN_USE ? MADV_SOFT_OFFLINE : MADV_HWPOISON;
	unsigned long pfn = 0;
	int fds[2], status;
	pid_t pid;
	char *p;

	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		p[0] = 1;
		pfn = pfn_of(p);
		if (write(fds[1], &pfn, sizeof(pfn)) != sizeof(pfn))
			_exit(1);
		madvise(p, page_size, advice);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0) {
		if (read(fds[0], &pfn, sizeof(pfn)) != sizeof(pfn))
			pfn = 0;
		waitpid(pid, &status, 0);
	}
	close(fds[0]);
	if (!pfn)
		return;
	count[k].tried++;
	unpoison(k, pfn);
}

/* Soft offline through sysfs, or hard offline through debugfs, of a free page. */
static void offline_free(enum kind k)
{
	unsigned long pfn = buddy_pfn();

	if (!pfn)
		return;
	count[k].tried++;
	if (k == SOFT_FREE)
		write_pfn("/sys/devices/system/memory/soft_offline_page",
			  (unsigned long long)pfn * page_size);
	else
		write_pfn(HWPOISON_DIR "/corrupt-pfn", pfn);
	unpoison(k, pfn);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 50, i, ret = 0;
	enum kind k;

	page_size = sysconf(_SC_PAGESIZE);
	if (access(HWPOISON_DIR "/unpoison-pfn", W_OK)) {
		fprintf(stderr, "%s/unpoison-pfn missing: needs CONFIG_HWPOISON_INJECT and debugfs\n",
			HWPOISON_DIR);
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		offline_in_use(SOFT_IN_USE);
		offline_in_use(HARD_IN_USE);
		offline_free(SOFT_FREE);
		offline_free(HARD_FREE);
	}
	for (k = 0; k < NR_KINDS; k++) {
		printf("PEC-HWPOISON kind=%s tried=%lu poisoned=%lu unpoisoned=%lu\n",
		       kind_name[k], count[k].tried, count[k].poisoned,
		       count[k].unpoisoned);
		if (!count[k].poisoned)
			ret = 1;
	}
	return ret;
}
