/*
 * kbench.c - the kernel half of benchmark mode.
 *
 * Each benchmark times a loop of one operation with RDTSC and prints
 * "bench NAME CYCLES_PER_OP".  Under QEMU with -icount shift=0,sleep=off
 * the TSC advances one per guest instruction, so the numbers are exact and
 * repeat from run to run; they count what the operation costs in guest
 * instructions (plus, later, whatever a monitor adds around them).
 * The user half (user/ubench.c) times system calls, faults and switches.
 * profmark_begin()/profmark_end() around each timed loop and the count of
 * operations bench_line() passes on let `make profile` measure exactly the
 * same loop (include/profmark.h).
 */
#include "ktest.h"
#include "proc.h"
#include "vm.h"
#include "pic.h"
#include "x86.h"
#include "console.h"
#include "../include/profmark.h"

#define N_IO     2000
#define N_MMU    2000
#define N_COMP   100000
#define SWEEP_PAGES 256

static void bench_line(const char *name, u64 cycles, u32 ops)
{
	profmark_ops(ops);
	kprintf("bench %-16s %u\n", name, (u32)(cycles / ops));
}

static void b_cli_sti(void)
{
	profmark_begin();
	u64 t = rdtsc();
	for (int i = 0; i < N_IO; i++)
		__asm__ volatile("cli; sti" ::: "memory");
	profmark_end();
	bench_line("cli-sti", rdtsc() - t, N_IO);
}

static void b_ports(void)
{
	profmark_begin();
	u64 t = rdtsc();
	for (int i = 0; i < N_IO; i++)
		(void)inb(PIC1_DATA);
	profmark_end();
	bench_line("port-read", rdtsc() - t, N_IO);
	profmark_begin();
	t = rdtsc();
	for (int i = 0; i < N_IO; i++)
		outb(0x80, 0);              /* POST diagnostic port: no effect */
	profmark_end();
	bench_line("port-write", rdtsc() - t, N_IO);
}

static void b_mmu(void)
{
	u8 *page = page_alloc();
	pde_t *other = vm_new();
	u32 kcr3 = rcr3(), ocr3 = V2P(other);

	profmark_begin();
	u64 t = rdtsc();
	for (int i = 0; i < N_MMU; i++) {
		testwin_pt[0] = V2P(page) | PTE_P | PTE_W | (i & 1 ? PTE_A : 0);
		invlpg(TESTWIN);
		*(volatile u32 *)TESTWIN = (u32)i;
	}
	profmark_end();
	bench_line("pte-invlpg", rdtsc() - t, N_MMU);
	testwin_pt[0] = 0;
	invlpg(TESTWIN);
	profmark_begin();
	t = rdtsc();
	for (int i = 0; i < N_MMU; i++) {
		lcr3(ocr3);
		lcr3(kcr3);
	}
	profmark_end();
	bench_line("cr3-switch", rdtsc() - t, 2 * N_MMU);
	vm_free(other);
	page_free(page);
}

static void b_compute(void)
{
	volatile u32 x = 1;
	profmark_begin();
	u64 t = rdtsc();
	for (int i = 0; i < N_COMP; i++)
		x = x * 1103515245u + 12345u;
	profmark_end();
	bench_line("compute", rdtsc() - t, N_COMP);
}

static void b_sweep(void)
{
	u8 *pages[SWEEP_PAGES];
	for (int i = 0; i < SWEEP_PAGES; i++)
		pages[i] = page_alloc();
	profmark_begin();
	u64 t = rdtsc();
	for (int i = 0; i < SWEEP_PAGES; i++) {
		volatile u32 *w = (volatile u32 *)pages[i];
		for (u32 k = 0; k < PGSIZE / 4; k++)
			w[k] = k;
	}
	profmark_end();
	bench_line("mem-sweep-4k", rdtsc() - t, SWEEP_PAGES);
	for (int i = 0; i < SWEEP_PAGES; i++)
		page_free(pages[i]);
}

void run_bench(void)
{
	kprintf("minios bench mode\n");
	b_cli_sti();
	b_ports();
	b_mmu();
	b_compute();
	b_sweep();
	int st = run_program("ubench", NULL);
	kprintf("bench done\n");
	machine_exit(st == 0 ? EXIT_OK : EXIT_FAILED);
}
