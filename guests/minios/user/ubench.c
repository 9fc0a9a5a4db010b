/*
 * ubench.c - the ring-3 half of benchmark mode: system calls, page faults,
 * process creation and context switches, each as cycles per operation.
 *
 * ctxswitch-N keeps N address spaces busy at once: each process writes one
 * word in each page of its working set, then yields, so every switch loads
 * another CR3 and then touches pages only that address space maps.  A
 * shadow MMU that rebuilds its tables on every CR3 load pays for the whole
 * working set each time; one that keeps shadows per address space need not.
 *
 * Each timed loop is marked for `make profile` (include/profmark.h): only
 * the process that times it closes the window, and line() says how many
 * operations it timed.
 */
#include "ulib.h"
#include "../include/profmark.h"

#define N_SYSCALL 2000
#define N_PAGES   64
#define N_FORK    50
#define N_YIELD   500
#define WS_PAGES  8     /* ctxswitch-N: each process's working set */
#define SWITCHES  1024  /* ctxswitch-N: switches timed, whatever N is */
#define WARMUP    2     /* untimed rounds: every child past its first faults */
#define SYSCALL_WARMUP 100      /* untimed calls: one-time costs before the loop (under
				   the monitor, the kernel's GDT page is let go after 64
				   writes beside the table, to intr_on at every trap) */

static void line(const char *name, uint64_t cycles, uint32_t ops)
{
	profmark_ops(ops);
	printf("bench %-16s %u\n", name, (uint32_t)(cycles / ops));
}

static void b_syscall(void)
{
	for (int i = 0; i < SYSCALL_WARMUP; i++)
		getpid();
	profmark_begin();
	uint64_t t = rdtsc();
	for (int i = 0; i < N_SYSCALL; i++)
		getpid();
	profmark_end();
	line("null-syscall", rdtsc() - t, N_SYSCALL);
}

static void b_demand_zero(void)
{
	volatile char *p = sbrk(N_PAGES * 4096);
	profmark_begin();
	uint64_t t = rdtsc();
	for (int i = 0; i < N_PAGES; i++)
		p[i * 4096] = 1;
	profmark_end();
	line("demand-zero", rdtsc() - t, N_PAGES);
}

static void b_cow(void)
{
	volatile char *p = sbrk(N_PAGES * 4096);
	for (int i = 0; i < N_PAGES; i++)
		p[i * 4096] = 1;
	int pid = fork();
	if (pid == 0) {
		profmark_begin();
		uint64_t t = rdtsc();
		for (int i = 0; i < N_PAGES; i++)
			p[i * 4096] = 2;
		profmark_end();
		line("cow-fault", rdtsc() - t, N_PAGES);
		exit(0);
	}
	wait(NULL, NULL);
}

static void b_fork(void)
{
	profmark_begin();
	uint64_t t = rdtsc();
	for (int i = 0; i < N_FORK; i++) {
		if (fork() == 0)
			exit(0);
		wait(NULL, NULL);
	}
	profmark_end();
	line("fork-exit-wait", rdtsc() - t, N_FORK);
}

static void b_ctxswitch(void)
{
	int pid = fork();
	profmark_begin();
	uint64_t t = rdtsc();
	for (int i = 0; i < N_YIELD; i++)
		yield();
	if (pid == 0)
		exit(0);
	profmark_end();
	uint64_t d = rdtsc() - t;
	wait(NULL, NULL);
	line("ctx-switch", d, 2 * N_YIELD);
}

static void ws_touch(volatile uint32_t *ws, uint32_t v)
{
	for (int p = 0; p < WS_PAGES; p++)
		ws[p * 1024] = v;
}

/* The caller and n-1 children take turns: touch the working set, yield.
 * Round-robin gives each round n switches; the caller times 'rounds' of
 * them after the children have all faulted their pages in, and the
 * children go on a little longer so that every timed round has all n. */
static void b_ctxswitch_n(const char *name, int n)
{
	int rounds = SWITCHES / n, alive = nproc() + n - 1;
	volatile uint32_t *ws = sbrk(WS_PAGES * 4096);

	for (int i = 1; i < n; i++) {
		if (fork() != 0)
			continue;
		ws_touch(ws, (uint32_t)i);
		while (nproc() < alive)
			yield();
		for (int r = 0; r < WARMUP + rounds + 2; r++) {
			ws_touch(ws, (uint32_t)r);
			yield();
		}
		exit(0);
	}
	ws_touch(ws, 0);
	for (int r = 0; r < WARMUP; r++) {
		ws_touch(ws, (uint32_t)r);
		yield();
	}
	profmark_begin();
	uint64_t t = rdtsc();
	for (int r = 0; r < rounds; r++) {
		ws_touch(ws, (uint32_t)r);
		yield();
	}
	profmark_end();
	uint64_t d = rdtsc() - t;
	for (int i = 1; i < n; i++)
		wait(NULL, NULL);
	sbrk(-WS_PAGES * 4096);
	line(name, d, (uint32_t)(rounds * n));
}

int main(void)
{
	b_syscall();
	b_demand_zero();
	b_cow();
	b_fork();
	b_ctxswitch();
	b_ctxswitch_n("ctxswitch-2", 2);
	b_ctxswitch_n("ctxswitch-8", 8);
	b_ctxswitch_n("ctxswitch-32", 32);
	return 0;
}
