/*
 * ktest.c - the kernel half of test mode, and the demo.
 *
 * Each test exercises one piece of hardware behaviour minios relies on and
 * checks what the CPU or device really did: the vector, error code, CR2 and
 * EIP of an exception (through the probe catcher in trapentry.asm), the A/D
 * bits the MMU wrote into a PTE, a counter a device returned.  The user half
 * (user/utest.c) covers system calls, processes and memory from ring 3.
 *
 * Output is TAP-like: "ok N - name" or "not ok N - name: why", then
 * "N passed, N failed"; the run exits with 0 only if nothing failed.
 */
#include "ktest.h"
#include "proc.h"
#include "vm.h"
#include "gdt.h"
#include "pic.h"
#include "intr.h"
#include "x86.h"
#include "console.h"
#include "syscall.h"
#include "lib/fmt.h"

#include <stdarg.h>

void check(int ok, const char *name, const char *fmt, ...)
{
	char why[160] = "";
	va_list ap;

	if (!ok) {
		va_start(ap, fmt);
		fmt_vsnprintf(why, sizeof why, fmt, ap);
		va_end(ap);
	}
	report(ok, name, why);
}

int run_program(const char *prog, struct faultinfo *fi)
{
	int status;
	int pid = proc_spawn(prog);
	if (pid < 0)
		return pid;
	for (;;) {
		int got = proc_wait(&status, fi);
		if (got == pid)
			return status;
		if (got < 0)
			return got;
	}
}

/* ---- exceptions ---- */

static void t_exceptions(void)
{
	int f = probe_div0();
	check(f && probe_info.vector == T_DE && probe_info.eip == (u32)&probe_div0_insn,
	      "#DE: divide by zero faults at the DIV", "faulted=%d vector=%u eip=0x%x", f,
	      probe_info.vector, probe_info.eip);
	f = probe_ud2();
	check(f && probe_info.vector == T_UD && probe_info.eip == (u32)&probe_ud2_insn,
	      "#UD: UD2 faults at the instruction", "faulted=%d vector=%u eip=0x%x", f,
	      probe_info.vector, probe_info.eip);
	u32 before = probe_info.count;
	probe_int3();
	check(probe_info.count == before + 1 && probe_info.vector == T_BP &&
	      probe_info.eip == (u32)&probe_int3_after,
	      "#BP: INT3 traps with EIP after it", "count=%u vector=%u eip=0x%x",
	      probe_info.count - before, probe_info.vector, probe_info.eip);
}

/* ---- paging ---- */

static u8 *frame_a, *frame_b;

static void win_map(u32 idx, void *kva, u32 perm)
{
	testwin_pt[idx] = V2P(kva) | PTE_P | perm;
	invlpg(TESTWIN + idx * PGSIZE);
}

static void t_pf_codes(void)
{
	u32 va = TESTWIN + 5 * PGSIZE + 0x10, v;

	testwin_pt[5] = 0;
	invlpg(va);
	int f = probe_read32(va, &v);
	check(f && probe_info.vector == T_PF && probe_info.err == 0 && probe_info.cr2 == va,
	      "#PF: kernel read of a not-present page: err 0, CR2", "f=%d err=0x%x cr2=0x%x",
	      f, probe_info.err, probe_info.cr2);
	f = probe_write32(va, 1);
	check(f && probe_info.err == PFE_W && probe_info.cr2 == va,
	      "#PF: kernel write to a not-present page: err W", "f=%d err=0x%x cr2=0x%x",
	      f, probe_info.err, probe_info.cr2);
	win_map(5, frame_a, 0);
	f = probe_write32(va, 1);
	check(f && probe_info.err == (PFE_P | PFE_W) && probe_info.cr2 == va,
	      "#PF: kernel write to a read-only page with CR0.WP=1: err P|W",
	      "f=%d err=0x%x cr2=0x%x", f, probe_info.err, probe_info.cr2);
	lcr0(rcr0() & ~CR0_WP);
	f = probe_write32(va, 0x5EED);
	lcr0(rcr0() | CR0_WP);
	check(!f && *(u32 *)(frame_a + 0x10) == 0x5EED,
	      "CR0.WP=0: kernel write to a read-only page succeeds", "f=%d", f);
}

static void t_accessed_dirty(void)
{
	u32 va = TESTWIN + 6 * PGSIZE, v;

	win_map(6, frame_a, PTE_W);
	probe_read32(va, &v);
	check((testwin_pt[6] & PTE_A) && !(testwin_pt[6] & PTE_D),
	      "MMU sets the accessed bit on a read, not dirty", "pte=0x%x", testwin_pt[6]);
	probe_write32(va, 7);
	check((testwin_pt[6] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	      "MMU sets the dirty bit on a write", "pte=0x%x", testwin_pt[6]);
}

static void t_tlb(void)
{
	u32 va = TESTWIN + 7 * PGSIZE, v = 0;

	*(u32 *)frame_a = 0xAAAA0001;
	*(u32 *)frame_b = 0xBBBB0002;
	win_map(7, frame_a, PTE_W);
	probe_read32(va, &v);                    /* now cached in the TLB */
	testwin_pt[7] = V2P(frame_b) | PTE_P | PTE_W;
	invlpg(va);
	probe_read32(va, &v);
	check(v == 0xBBBB0002, "changed PTE is used after INVLPG", "read 0x%x", v);
	testwin_pt[7] = V2P(frame_a) | PTE_P | PTE_W;
	lcr3(rcr3());
	probe_read32(va, &v);
	check(v == 0xAAAA0001, "changed PTE is used after a CR3 reload", "read 0x%x", v);
}

static void t_bigpage(void)
{
	u32 pa = V2P(frame_a), v = 0;
	pde_t *pd = P2V(rcr3());

	*(u32 *)(frame_a + 0x40) = 0x4B16;
	pd[PDX(TESTWIN4M)] = PDE_BIGADDR(pa) | PTE_P | PTE_W | PTE_PS;
	invlpg(TESTWIN4M + (pa & (BIGPGSIZE - 1)));
	int f = probe_read32(TESTWIN4M + (pa & (BIGPGSIZE - 1)) + 0x40, &v);
	check(!f && v == 0x4B16, "4 MB page maps and reads correctly", "f=%d read 0x%x", f, v);
	probe_write32(TESTWIN4M + (pa & (BIGPGSIZE - 1)) + 0x44, 0x77);
	check(*(u32 *)(frame_a + 0x44) == 0x77 && (pd[PDX(TESTWIN4M)] & PTE_D),
	      "write through a 4 MB page lands in the frame and sets its PDE dirty",
	      "value 0x%x pde 0x%x", *(u32 *)(frame_a + 0x44), pd[PDX(TESTWIN4M)]);
	pd[PDX(TESTWIN4M)] = 0;
	lcr3(rcr3());
}

static void t_global(void)
{
	u32 a, b, c, d, v = 0, va = TESTWIN + 8 * PGSIZE;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID_PGE)) {
		check(0, "global page: PGE mapping, flushed by toggling CR4.PGE", "CPU has no PGE");
		return;
	}
	lcr4(rcr4() | CR4_PGE);
	win_map(8, frame_a, PTE_W | PTE_G);
	probe_read32(va, &v);
	int ok1 = v == 0xAAAA0001;
	testwin_pt[8] = V2P(frame_b) | PTE_P | PTE_W | PTE_G;
	lcr4(rcr4() & ~CR4_PGE);             /* toggling PGE flushes global entries */
	lcr4(rcr4() | CR4_PGE);
	probe_read32(va, &v);
	check(ok1 && v == 0xBBBB0002 && (rcr4() & CR4_PGE),
	      "global page: PGE mapping, flushed by toggling CR4.PGE", "ok1=%d read 0x%x", ok1, v);
	lcr4(rcr4() & ~CR4_PGE);
}

/* A not-present entry is never cached in the TLB (SDM vol. 3, 4.10.2.3), so
 * making it present needs no INVLPG: the next access walks the tables again.
 * Each test first takes the not-present fault, so anything that remembered
 * that walk (a shadow MMU) would be caught using it. */
static void t_pte_fill(void)
{
	u32 va = TESTWIN + 9 * PGSIZE + 0x20, v = 0;

	*(u32 *)(frame_b + 0x20) = 0xF111ED09;
	testwin_pt[9] = 0;
	invlpg(va);
	int f1 = probe_read32(va, &v);
	u32 err1 = probe_info.err;
	testwin_pt[9] = V2P(frame_b) | PTE_P | PTE_W;
	int f2 = probe_read32(va, &v);
	int f3 = probe_write32(va + 4, 0x5EC0DD);
	check(f1 && err1 == 0 && !f2 && v == 0xF111ED09 && !f3 &&
	      *(u32 *)(frame_b + 0x24) == 0x5EC0DD,
	      "not-present PTE made present is used without INVLPG",
	      "faults %d/%d/%d (first err 0x%x), read 0x%x, frame word 0x%x", f1, f2, f3, err1,
	      v, *(u32 *)(frame_b + 0x24));
}

/* The same one level up: a PDE from not-present to a fresh page table, then
 * a new PTE in that table, each used with no INVLPG or CR3 reload. */
static void t_pde_fill(void)
{
	pde_t *pd = P2V(rcr3());
	u32 va = TESTWINPT + 3 * PGSIZE + 0x30, v1 = 0, v2 = 0;

	if (pd[PDX(TESTWINPT)] != 0) {      /* more than 264 MB of RAM: direct map */
		check(0, "not-present PDE made present is used without a flush",
		      "the window's PDE is in use: 0x%x", pd[PDX(TESTWINPT)]);
		return;
	}
	pte_t *pt = page_alloc();
	*(u32 *)(frame_a + 0x30) = 0xA11CE03;
	*(u32 *)(frame_b + 0x30) = 0xB0B04;
	int f1 = probe_read32(va, &v1);
	pt[3] = V2P(frame_a) | PTE_P | PTE_W;
	pd[PDX(TESTWINPT)] = V2P(pt) | PTE_P | PTE_W;
	int f2 = probe_read32(va, &v1);
	check(f1 && !f2 && v1 == 0xA11CE03, "not-present PDE made present is used without a flush",
	      "faults %d/%d, read 0x%x", f1, f2, v1);
	int f3 = probe_read32(va + PGSIZE, &v2);
	pt[4] = V2P(frame_b) | PTE_P | PTE_W;
	int f4 = probe_read32(va + PGSIZE, &v2);
	check(f3 && !f4 && v2 == 0xB0B04, "new PTE in a just-linked page table is used without INVLPG",
	      "faults %d/%d, read 0x%x", f3, f4, v2);
	pd[PDX(TESTWINPT)] = 0;
	lcr3(rcr3());
	page_free(pt);
}

static void t_paging(void)
{
	frame_a = page_alloc();
	frame_b = page_alloc();
	t_pf_codes();
	t_accessed_dirty();
	t_tlb();
	t_bigpage();
	t_global();
	t_pte_fill();
	t_pde_fill();
	for (u32 i = 0; i < NPTENTRIES; i++)
		testwin_pt[i] = 0;
	lcr3(rcr3());
	page_free(frame_a);
	page_free(frame_b);
}

/* ---- interrupts and devices ---- */

static int wait_ticks(u32 n)
{
	u32 start = ticks;
	for (int i = 0; i < 1000 && ticks - start < n; i++)
		sleep_ticks(1);
	return ticks - start >= n;
}

static void t_interrupts(void)
{
	check(wait_ticks(3), "timer ticks advance", "ticks stuck at %u", ticks);
	u16 old = pic_get_mask();
	pic_set_mask(0xFFFA);
	u16 got = pic_get_mask();
	pic_set_mask(old);
	check(got == 0xFFFA, "PIC mask register reads back", "wrote 0xfffa, read 0x%x", got);

	pic_set_mask(old | (1 << IRQ_TIMER));
	u32 t0 = ticks;
	pit_spin_periods(3);
	u32 t1 = ticks;
	pic_set_mask(old);
	check(t1 == t0 && wait_ticks(1), "masked IRQ 0 is not delivered, unmasked it is",
	      "ticks moved by %u while masked", t1 - t0);

	pic_isr_probe = 1;
	wait_ticks(2);
	check(pic_isr_probe == 0 && (pic_isr_before & 1) && !(pic_isr_after & 1),
	      "EOI clears the timer's in-service bit", "probe=%d isr before 0x%x after 0x%x",
	      pic_isr_probe, pic_isr_before, pic_isr_after);
}

static void t_devices(void)
{
	outb(COM1 + UART_SCR, 0x5A);
	u8 a = inb(COM1 + UART_SCR);
	outb(COM1 + UART_SCR, 0xA5);
	u8 b = inb(COM1 + UART_SCR);
	check(a == 0x5A && b == 0xA5, "UART scratch register holds a byte",
	      "read 0x%x and 0x%x", a, b);

	int decreased = 0;
	u16 c1 = 0, c2 = 0;
	for (int i = 0; i < 5 && !decreased; i++) {
		c1 = pit_read_counter();
		for (volatile int k = 0; k < 200; k++)
			;
		c2 = pit_read_counter();
		decreased = c2 < c1 && c1 <= pit_divisor;
	}
	check(decreased, "PIT latched counter counts down", "read %u then %u (divisor %u)",
	      c1, c2, pit_divisor);
}

/* ---- descriptor tables ---- */

static struct segdesc newgdt[NSEGS];
static volatile u32 lgdt_marker[2] = { 0, 0x600D5E6 };
static struct gatedesc newidt[NIDT];
extern void alt_bp_handler(void);
extern volatile u32 alt_bp_count;

static u32 read_fs4(void)
{
	u32 v;
	__asm__ volatile("movl %%fs:4, %0" : "=r"(v));
	return v;
}

static void t_lgdt(void)
{
	int s = intr_save();
	for (int i = 0; i < NSEGS; i++)
		newgdt[i] = gdt[i];
	newgdt[SEG_TEST] = seg_make((u32)lgdt_marker, 0xFFF, STA_W, 0, 0);
	gdt_load(newgdt, NSEGS);
	__asm__ volatile("movw %0, %%fs" : : "r"((u16)SEL(SEG_TEST, 0)));
	u32 v = read_fs4();
	gdt_load(gdt, NSEGS);
	intr_restore(s);
	check(v == 0x600D5E6, "LGDT to a new table: its segment's base is used, then back",
	      "fs:4 read 0x%x", v);
}

static void t_lidt(void)
{
	struct dtr d = { sizeof newidt - 1, (u32)newidt };
	int s = intr_save();

	trap_copy_idt(newidt);
	newidt[T_BP].off_lo = (u16)(u32)alt_bp_handler;
	newidt[T_BP].off_hi = (u16)((u32)alt_bp_handler >> 16);
	lidt(&d);
	__asm__ volatile("int3");
	idt_load();
	intr_restore(s);
	u32 before = probe_info.count;
	probe_int3();
	check(alt_bp_count == 1 && probe_info.count == before + 1,
	      "LIDT to a new table routes INT3 to its handler, then back",
	      "alt handler ran %u times, normal %u", alt_bp_count, probe_info.count - before);
}

static void t_ltr(void)
{
	int s = intr_save();
	ltr(SEL(SEG_TSS2, 0));
	u32 busy2 = seg_type(&gdt[SEG_TSS2]);
	gdt[SEG_TSS] = seg_make((u32)&tss, sizeof tss - 1, STS_T32A, 0, 1);
	ltr(SEL(SEG_TSS, 0));
	u32 busy1 = seg_type(&gdt[SEG_TSS]);
	gdt[SEG_TSS2] = seg_make((u32)&tss2, sizeof tss2 - 1, STS_T32A, 0, 1);
	intr_restore(s);
	check(busy2 == STS_T32B && busy1 == STS_T32B, "LTR marks the new TSS busy, and back",
	      "types after LTR: tss2 0x%x, tss 0x%x", busy2, busy1);
}

/* ---- processes, from the kernel's side ---- */

static void t_processes(void)
{
	int st = run_program("true42", NULL);
	check(st == 42, "exec of a built-in program; exit status 42 through wait", "status %d", st);
	struct trapframe *tf = last_user_trapframe;
	int on_kstack = 0;
	for (int i = 0; i < NPROC; i++)
		if ((u8 *)(tf + 1) == ptable[i].kstack + KSTACKSIZE)
			on_kstack = 1;
	check(on_kstack && tf->ss == SEL(SEG_UDATA, DPL_USER),
	      "ring-3 trap switches to the TSS's kernel stack", "frame at %p, ss 0x%x",
	      (void *)tf, tf->ss);
	st = proc_spawn("badelf");
	check(st == -ENOEXEC, "a malformed program image is refused", "spawn returned %d", st);
	st = proc_spawn("no-such-program");
	check(st == -ENOENT, "exec of an unknown program fails with ENOENT", "returned %d", st);
}

static void t_frames_churn(void)
{
	u32 before = free_frames();
	int st = run_program("churn", NULL);
	u32 after = free_frames();
	check(st == 0 && after == before, "free frames back to start after 200 fork/exit rounds",
	      "status %d, free frames %u before, %u after", st, before, after);
}

static void t_user(void)
{
	u32 before = free_frames();
	int st = run_program("utest", NULL);
	u32 after = free_frames();
	check(st == 0, "user test program ran to completion", "status 0x%x", st);
	check(after == before, "free frames back to start after the user tests",
	      "%u before, %u after", before, after);
}

static void t_descriptors(void)
{
	t_lgdt();
	t_lidt();
	t_ltr();
}

/* The groups of tests=LIST, in the order they run (TG_* bit i is row i). */
static void (*const groups_run[])(void) = {
	t_exceptions, t_paging, t_interrupts, t_devices, t_descriptors, t_processes,
	t_user, t_frames_churn,
};

void run_tests(unsigned groups)
{
	kprintf("minios test mode\n");
	for (unsigned i = 0; i < sizeof groups_run / sizeof groups_run[0]; i++)
		if (groups & (1u << i))
			groups_run[i]();
	kprintf("%d passed, %d failed\n", tests_passed, tests_failed);
	machine_exit(tests_failed == 0 && tests_passed > 0 ? EXIT_OK : EXIT_FAILED);
}

void run_demo(void)
{
	kprintf("minios: %u MB of RAM, %u free frames, timer at %u Hz\n", ram_top >> 20,
		free_frames(), timer_hz);
	int st = run_program("demo", NULL);
	kprintf("minios: demo finished with status %d; goodbye\n", st);
	machine_exit(st == 0 ? EXIT_OK : EXIT_FAILED);
}
