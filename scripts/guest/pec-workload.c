// SPDX-License-Identifier: GPL-2.0
/*
 * A short, mixed page allocator workload for the guest: anonymous memory of
 * several sizes, page cache written, read and dropped, and fork/exit with
 * copy-on-write.  It only drives the allocator; the checker's verdict comes
 * from its counters, which the job script prints afterwards.
 *
 * Usage: pec-workload [rounds]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1024UL * 1024)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Fault in, dirty and unmap anonymous memory of @size bytes. */
static void anon(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	for (size_t off = 0; off < size; off += 4096)
		p[off] = (char)off;
	if (munmap(p, size))
		die("munmap");
}

/* Write a file into the page cache, read it back, then delete it. */
static void page_cache(const char *path, size_t size)
{
	static char buf[64 * 1024];
	size_t done;
	int fd;

	memset(buf, 0x5a, sizeof(buf));
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0)
		die("open");
	for (done = 0; done < size; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			die("write");
	if (lseek(fd, 0, SEEK_SET))
		die("lseek");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	if (unlink(path))
		die("unlink");
}

/* Children share a parent's dirty memory copy-on-write and then exit. */
static void forks(int nr)
{
	size_t size = 4 * MiB;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i, status;

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, size);
	for (i = 0; i < nr; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			for (size_t off = 0; off < size; off += 8192)
				p[off] = 2;
			anon(MiB);
			_exit(0);
		}
	}
	for (i = 0; i < nr; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			die("child");
	munmap(p, size);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 64 * 1024, MiB, 8 * MiB, 32 * MiB };
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	int r;
	size_t i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			anon(sizes[i]);
		page_cache("/tmp/pec-workload.dat", 16 * MiB);
		forks(4);
		printf("pec-workload: round %d/%d done\n", r + 1, rounds);
		fflush(stdout);
	}
	return 0;
}
