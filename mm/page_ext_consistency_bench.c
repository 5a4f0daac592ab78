// SPDX-License-Identifier: GPL-2.0
/*
 * Page allocator microbenchmark for the page_ext consistency checker.
 *
 * For benchmarking only: it is not part of the checker and not in any
 * production path.  It measures what the checker adds to the allocator by
 * being run, unchanged, on kernels booted with the checker off, on, with
 * page_owner for reference, and built without the checker at all:
 *
 *  - alloc_free: batches of alloc_pages() + __free_pages() of orders 0, 3
 *    and 9, on one CPU and on every online CPU at once (one kthread bound
 *    to each CPU, the samples started together);
 *  - record: the atomic updates of the record that one alloc+free pair
 *    makes, on the bench's own copies, without anything else the hooks do:
 *    the floor of the checker's cost per pair, which splits it into the
 *    updates and the rest (lookup, claim, counters, branches, cache);
 *  - scrub: page_ext_consistency_scrub() throughput, when the checker is on.
 *
 * Each measurement is a series of short samples (PEC_BENCH_SAMPLE_NS).
 * Time stolen from a sample (the host preempting a virtual CPU or a UML
 * process, interrupts) only ever makes it slower, so the line reports the
 * fastest sample as ns_per_op, and the median sample as well.
 *
 * It runs at boot (late_initcall) with pec_bench=1 on the command line, or
 * when "1" is written to /sys/kernel/debug/page_ext_consistency_bench, and
 * prints one line per measurement:
 *
 *   PEC-BENCH test=alloc_free order=0 threads=1 samples=... ops=... ns=...
 *             ns_per_op=... ns_per_op_median=... ns_per_page=...
 *
 * (one line in the output).
 *
 * pec_bench_ms=<ms> sets the time spent on each measurement (default 200).
 * Time is taken with ktime_get_ns(), not local_clock(): on architectures
 * without a sched_clock of their own (UML) the latter counts jiffies.
 */

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/page_ext_consistency.h>
#include <linux/page_owner.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

/* Blocks allocated before they are freed again. */
#define PEC_BENCH_BATCH		8
/* Pairs of record transitions between two clock reads. */
#define PEC_BENCH_PAIRS		64
#define PEC_BENCH_SAMPLE_NS	(2 * NSEC_PER_MSEC)
#define PEC_BENCH_MAX_SAMPLES	1000
#define PEC_BENCH_SCRUB_RUNS	3

static bool pec_bench_boot;
core_param(pec_bench, pec_bench_boot, bool, 0444);

static unsigned int pec_bench_ms = 200;
core_param(pec_bench_ms, pec_bench_ms, uint, 0644);

static const unsigned int pec_bench_orders[] = { 0, 3, 9 };

static DEFINE_MUTEX(pec_bench_lock);

/* One measurement: what a batch does, and its samples. */
struct pec_bench {
	/* Runs one batch; returns the operations done, 0 on failure. */
	u64 (*batch)(struct pec_bench *b);
	unsigned int order;
	unsigned long *copy[2];		/* record: the two copies */
	unsigned int nr_samples;
	u64 *ns;			/* per sample */
	u64 *ops;			/* per sample */
	bool failed;
};

/* @num / @den with two decimals, for the output lines. */
static const char *pec_bench_fix(char *buf, size_t len, u64 num, u64 den)
{
	snprintf(buf, len, "%llu.%02llu", div64_u64(num, den),
		 div64_u64((num % den) * 100, den));
	return buf;
}

static int pec_bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static const char *pec_bench_checker(void)
{
#ifdef CONFIG_PAGE_EXT_CONSISTENCY
	return static_key_enabled(&page_ext_consistency_disabled) ? "off" : "on";
#else
	return "absent";
#endif
}

static const char *pec_bench_page_owner(void)
{
#ifdef CONFIG_PAGE_OWNER
	return static_key_enabled(&page_owner_inited) ? "on" : "off";
#else
	return "absent";
#endif
}

/* Run batches for at least @sample_ns; returns the operations, 0 on failure. */
static u64 pec_bench_sample(struct pec_bench *b, u64 sample_ns, u64 *ns)
{
	u64 start, now, ops = 0, n;

	start = ktime_get_ns();
	do {
		n = b->batch(b);
		if (!n)
			return 0;
		ops += n;
		now = ktime_get_ns();
	} while (now - start < sample_ns);
	*ns = now - start;
	return ops;
}

/* Allocate PEC_BENCH_BATCH blocks of b->order, then free them. */
static noinline u64 pec_bench_alloc_free_batch(struct pec_bench *b)
{
	struct page *pages[PEC_BENCH_BATCH];
	unsigned int order = b->order;
	int i, j;

	for (i = 0; i < PEC_BENCH_BATCH; i++) {
		pages[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (!pages[i]) {
			for (j = 0; j < i; j++)
				__free_pages(pages[j], order);
			return 0;
		}
	}
	for (i = 0; i < PEC_BENCH_BATCH; i++)
		__free_pages(pages[i], order);
	return PEC_BENCH_BATCH;
}

struct pec_bench_worker {
	struct task_struct *task;
	struct completion done;
	atomic_t *arrived;
	unsigned int nr_threads;
	struct pec_bench b;
};

static int pec_bench_worker_fn(void *arg)
{
	struct pec_bench_worker *w = arg;
	struct pec_bench *b = &w->b;
	unsigned int s;
	u64 ns;

	/* Warm up the pcp lists. */
	pec_bench_sample(b, 10 * PEC_BENCH_SAMPLE_NS, &ns);
	for (s = 0; s < b->nr_samples; s++) {
		/* Start each sample together with the other threads. */
		atomic_inc(w->arrived);
		while (atomic_read(w->arrived) < w->nr_threads * (s + 1))
			cpu_relax();
		b->ops[s] = pec_bench_sample(b, PEC_BENCH_SAMPLE_NS, &b->ns[s]);
		if (!b->ops[s])
			b->failed = true;
		cond_resched();
	}
	complete(&w->done);
	return 0;
}

static unsigned int pec_bench_nr_samples(u64 budget_ns)
{
	return clamp_t(u64, div64_u64(budget_ns, PEC_BENCH_SAMPLE_NS), 1,
		       PEC_BENCH_MAX_SAMPLES);
}

/*
 * Summarise @nr samples of ns per op (x100) in @x100 (sorted in place):
 * fastest and median.
 */
static void pec_bench_print(const char *what, unsigned int order,
			    u64 *x100, unsigned int nr, u64 ops, u64 ns)
{
	char fast[24], med[24], page[24];

	sort(x100, nr, sizeof(*x100), pec_bench_cmp_u64, NULL);
	pr_info("PEC-BENCH %s samples=%u ops=%llu ns=%llu ns_per_op=%s ns_per_op_median=%s ns_per_page=%s\n",
		what, nr, ops, ns,
		pec_bench_fix(fast, sizeof(fast), x100[0], 100),
		pec_bench_fix(med, sizeof(med), x100[nr / 2], 100),
		pec_bench_fix(page, sizeof(page), x100[0], 100ULL << order));
}

/* alloc_free with @nr_threads kthreads, bound to the first online CPUs. */
static int pec_bench_alloc_free(unsigned int order, unsigned int nr_threads,
				u64 budget_ns)
{
	unsigned int nr = pec_bench_nr_samples(budget_ns), i = 0, s, cpu;
	atomic_t arrived = ATOMIC_INIT(0);
	struct pec_bench_worker *w;
	u64 *buf, *x100, ns = 0, ops = 0;
	char what[64];
	int ret = 0;

	w = kcalloc(nr_threads, sizeof(*w), GFP_KERNEL);
	buf = kcalloc((2 * nr_threads + 1) * nr, sizeof(*buf), GFP_KERNEL);
	if (!w || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	x100 = buf + 2 * nr_threads * nr;
	for_each_online_cpu(cpu) {
		if (i == nr_threads)
			break;
		init_completion(&w[i].done);
		w[i].arrived = &arrived;
		w[i].nr_threads = nr_threads;
		w[i].b.batch = pec_bench_alloc_free_batch;
		w[i].b.order = order;
		w[i].b.nr_samples = nr;
		w[i].b.ns = buf + 2 * i * nr;
		w[i].b.ops = buf + (2 * i + 1) * nr;
		w[i].task = kthread_create_on_cpu(pec_bench_worker_fn, &w[i],
						  cpu, "pec_bench/%u");
		if (IS_ERR(w[i].task)) {
			ret = PTR_ERR(w[i].task);
			break;
		}
		i++;
	}
	if (i < nr_threads) {
		/* None has run yet: stop the ones created. */
		while (i--)
			kthread_stop(w[i].task);
		ret = ret ?: -ENODEV;
		goto out;
	}
	for (i = 0; i < nr_threads; i++)
		wake_up_process(w[i].task);
	for (i = 0; i < nr_threads; i++)
		wait_for_completion(&w[i].done);

	for (i = 0; i < nr_threads; i++) {
		if (w[i].b.failed) {
			ret = -ENOMEM;
			goto out;
		}
		for (s = 0; s < nr; s++) {
			ns += w[i].b.ns[s];
			ops += w[i].b.ops[s];
			/* A sample's ns per op: the mean over the threads. */
			x100[s] += div64_u64(w[i].b.ns[s] * 100, w[i].b.ops[s]);
		}
	}
	for (s = 0; s < nr; s++)
		x100[s] = div_u64(x100[s], nr_threads);
	snprintf(what, sizeof(what), "test=alloc_free order=%u threads=%u",
		 order, nr_threads);
	pec_bench_print(what, order, x100, nr, ops, ns);
out:
	if (ret)
		pr_info("PEC-BENCH test=alloc_free order=%u threads=%u error=%d\n",
			order, nr_threads, ret);
	kfree(buf);
	kfree(w);
	return ret;
}

/*
 * The floor of the record's cost: the atomic updates that the transitions
 * of one alloc+free pair make, shaped like pec_move() for a block of
 * b->order, on the bench's own two copies (separate allocations, as the
 * record's two bitmaps are), with no lookup, claim, counter or hook: one
 * test-and-clear and one test-and-set of a bit for a page, one
 * fetch-andnot and one fetch-or of a word for a block within a word, one
 * exchange of the first word of each copy and plain loads and stores of
 * the others for a larger block; twice, there and back.  Returns what
 * the updates found, for the caller to keep, as pec_move() checks it.
 */
static __always_inline unsigned long pec_bench_move(unsigned long *from,
						    unsigned long *to,
						    unsigned long nr)
{
	unsigned long mask, f, t, i;

	if (nr == 1)
		return test_and_clear_bit(0, from) + test_and_set_bit(0, to);
	if (nr < BITS_PER_LONG) {
		mask = GENMASK(nr - 1, 0);
		f = atomic_long_fetch_andnot(mask, (atomic_long_t *)from);
		t = atomic_long_fetch_or(mask, (atomic_long_t *)to);
		return f ^ t;
	}
	f = xchg(&from[0], 0UL);
	t = xchg(&to[0], ~0UL);
	for (i = 1; i < nr / BITS_PER_LONG; i++) {
		f ^= READ_ONCE(from[i]);
		t ^= READ_ONCE(to[i]);
		WRITE_ONCE(from[i], 0UL);
		WRITE_ONCE(to[i], ~0UL);
	}
	return f ^ t;
}

/* PEC_BENCH_PAIRS pairs of transitions on the bench's copies. */
static noinline u64 pec_bench_record_batch(struct pec_bench *b)
{
	unsigned long nr = 1UL << b->order, hold = 0;
	int i;

	for (i = 0; i < PEC_BENCH_PAIRS; i++) {
		hold += pec_bench_move(b->copy[0], b->copy[1], nr);
		hold += pec_bench_move(b->copy[1], b->copy[0], nr);
	}
	OPTIMIZER_HIDE_VAR(hold);
	return PEC_BENCH_PAIRS;
}

static void pec_bench_record(unsigned int order, u64 budget_ns)
{
	unsigned int nr = pec_bench_nr_samples(budget_ns), s, c;
	size_t words = BITS_TO_LONGS(1UL << order);
	struct pec_bench b = {
		.batch = pec_bench_record_batch,
		.order = order,
	};
	u64 *buf, ns = 0, ops = 0;
	char what[64];

	buf = kcalloc(2 * nr, sizeof(*buf), GFP_KERNEL);
	for (c = 0; c < 2; c++)
		b.copy[c] = kcalloc(words, sizeof(unsigned long), GFP_KERNEL);
	if (!buf || !b.copy[0] || !b.copy[1])
		goto out;
	/* A block recorded FREE: the first copy set. */
	bitmap_set(b.copy[0], 0, 1UL << order);
	b.ns = buf;
	b.ops = buf + nr;
	for (s = 0; s < nr; s++) {
		b.ops[s] = pec_bench_sample(&b, PEC_BENCH_SAMPLE_NS, &b.ns[s]);
		ns += b.ns[s];
		ops += b.ops[s];
		/* ns per pair, x100: reuse b.ns */
		b.ns[s] = div64_u64(b.ns[s] * 100, b.ops[s]);
		cond_resched();
	}
	snprintf(what, sizeof(what), "test=updates order=%u", order);
	pec_bench_print(what, order, b.ns, nr, ops, ns);
out:
	for (c = 0; c < 2; c++)
		kfree(b.copy[c]);
	kfree(buf);
}

static void pec_bench_scrub(void)
{
	u64 ns[PEC_BENCH_SCRUB_RUNS], t0, median;
	long pages = 0;
	int i;

	for (i = 0; i < PEC_BENCH_SCRUB_RUNS; i++) {
		t0 = ktime_get_ns();
		pages = page_ext_consistency_scrub();
		ns[i] = ktime_get_ns() - t0;
		if (pages <= 0)
			return;	/* checker absent or off */
	}
	sort(ns, PEC_BENCH_SCRUB_RUNS, sizeof(ns[0]), pec_bench_cmp_u64, NULL);
	median = max_t(u64, ns[PEC_BENCH_SCRUB_RUNS / 2], 1);
	pr_info("PEC-BENCH test=scrub runs=%d pages=%ld ns=%llu pages_per_sec=%llu\n",
		PEC_BENCH_SCRUB_RUNS, pages, median,
		div64_u64((u64)pages * NSEC_PER_SEC, median));
}

static int pec_bench_run(void)
{
	u64 budget_ns = (u64)max(READ_ONCE(pec_bench_ms), 1U) * NSEC_PER_MSEC;
	unsigned int cpus = num_online_cpus(), i;
	int ret = 0, err;

	mutex_lock(&pec_bench_lock);
	pr_info("PEC-BENCH test=info checker=%s page_owner=%s cpus=%u budget_ms=%llu sample_us=%ld batch=%d\n",
		pec_bench_checker(), pec_bench_page_owner(), cpus,
		div_u64(budget_ns, NSEC_PER_MSEC),
		PEC_BENCH_SAMPLE_NS / NSEC_PER_USEC, PEC_BENCH_BATCH);
	for (i = 0; i < ARRAY_SIZE(pec_bench_orders); i++) {
		err = pec_bench_alloc_free(pec_bench_orders[i], 1, budget_ns);
		ret = ret ?: err;
		if (cpus > 1) {
			err = pec_bench_alloc_free(pec_bench_orders[i], cpus,
						   budget_ns);
			ret = ret ?: err;
		}
	}
	for (i = 0; i < ARRAY_SIZE(pec_bench_orders); i++)
		pec_bench_record(pec_bench_orders[i], budget_ns / 4);
	pec_bench_scrub();
	pr_info("PEC-BENCH test=done rc=%d\n", ret);
	mutex_unlock(&pec_bench_lock);
	return ret;
}

#ifdef CONFIG_DEBUG_FS
/* Writing "1" runs the benchmark; anything else is rejected. */
static ssize_t pec_bench_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	bool run;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &run);
	if (ret)
		return ret;
	if (!run)
		return -EINVAL;
	ret = pec_bench_run();
	return ret ?: count;
}

static const struct file_operations pec_bench_fops = {
	.write = pec_bench_write,
	.llseek = noop_llseek,
};
#endif

static int __init pec_bench_init(void)
{
#ifdef CONFIG_DEBUG_FS
	debugfs_create_file("page_ext_consistency_bench", 0200, NULL, NULL,
			    &pec_bench_fops);
#endif
	if (pec_bench_boot)
		pec_bench_run();
	return 0;
}
late_initcall(pec_bench_init);
