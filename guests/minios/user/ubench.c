/*
 * ubench.c - the ring-3 half of benchmark mode: system calls, page faults,
 * process creation and context switches, each as cycles per operation.
 */
#include "ulib.h"

#define N_SYSCALL 2000
#define N_PAGES   64
#define N_FORK    50
#define N_YIELD   500

static void line(const char *name, uint64_t cycles, uint32_t ops)
{
	printf("bench %-16s %u\n", name, (uint32_t)(cycles / ops));
}

static void b_syscall(void)
{
	uint64_t t = rdtsc();
	for (int i = 0; i < N_SYSCALL; i++)
		getpid();
	line("null-syscall", rdtsc() - t, N_SYSCALL);
}

static void b_demand_zero(void)
{
	volatile char *p = sbrk(N_PAGES * 4096);
	uint64_t t = rdtsc();
	for (int i = 0; i < N_PAGES; i++)
		p[i * 4096] = 1;
	line("demand-zero", rdtsc() - t, N_PAGES);
}

static void b_cow(void)
{
	volatile char *p = sbrk(N_PAGES * 4096);
	for (int i = 0; i < N_PAGES; i++)
		p[i * 4096] = 1;
	int pid = fork();
	if (pid == 0) {
		uint64_t t = rdtsc();
		for (int i = 0; i < N_PAGES; i++)
			p[i * 4096] = 2;
		line("cow-fault", rdtsc() - t, N_PAGES);
		exit(0);
	}
	wait(NULL, NULL);
}

static void b_fork(void)
{
	uint64_t t = rdtsc();
	for (int i = 0; i < N_FORK; i++) {
		if (fork() == 0)
			exit(0);
		wait(NULL, NULL);
	}
	line("fork-exit-wait", rdtsc() - t, N_FORK);
}

static void b_ctxswitch(void)
{
	int pid = fork();
	uint64_t t = rdtsc();
	for (int i = 0; i < N_YIELD; i++)
		yield();
	if (pid == 0)
		exit(0);
	uint64_t d = rdtsc() - t;
	wait(NULL, NULL);
	line("ctx-switch", d, 2 * N_YIELD);
}

int main(void)
{
	b_syscall();
	b_demand_zero();
	b_cow();
	b_fork();
	b_ctxswitch();
	return 0;
}
