/*
 * utest.c - the ring-3 half of test mode: system calls, processes, memory
 * and faults, seen from a user process.  Each check() is one numbered test
 * line, printed by the kernel in sequence with the kernel's own tests.
 */
#include "ulib.h"

#define KERNEL_ADDR 0xC0100000u

int main_text(void);

static int data_word = 1234;

/* ---- system calls ---- */

static void t_syscalls(void)
{
	int n = write(1, "", 0);
	int m = write(1, "hello from ring 3\n", 18);
	check(n == 0 && m == 18, "write returns the byte count", "returned %d and %d", n, m);
	int p1 = getpid(), p2 = getpid();
	check(p1 > 1 && p1 == p2, "getpid is stable and not init's", "pids %d %d", p1, p2);
	int e1 = write(1, (void *)KERNEL_ADDR, 16);
	int e2 = write(1, NULL, 4);
	int e3 = write(1, (void *)0x3FF000, 4);
	check(e1 == -EFAULT && e2 == -EFAULT && e3 == -EFAULT,
	      "write with a kernel, NULL or unmapped pointer returns -EFAULT",
	      "returned %d, %d, %d", e1, e2, e3);
	int e4 = write(1, (void *)0xBFFFFFF0, 0x100);
	check(e4 == -EFAULT, "write of a range running into the kernel returns -EFAULT",
	      "returned %d", e4);
	int e5 = wait((int *)KERNEL_ADDR, NULL);
	check(e5 == -ECHILD || e5 == -EFAULT, "wait with no children returns -ECHILD",
	      "returned %d", e5);
	int e6 = write(7, "x", 1);
	int e7 = sys3(999, 0, 0, 0);
	check(e6 == -EBADF && e7 == -ENOSYS, "bad descriptor and unknown call are refused",
	      "returned %d and %d", e6, e7);
	int e8 = report(1, (const char *)KERNEL_ADDR, NULL);
	check(e8 == -EFAULT, "a kernel pointer passed as a string is refused", "returned %d", e8);
}

/* ---- processes ---- */

static int run_child_status(int (*fn)(void), struct faultinfo *fi)
{
	int pid = fork();
	if (pid == 0)
		exit(fn());
	int status = -1;
	if (pid < 0 || wait(&status, fi) != pid)
		return -1;
	return status;
}

static int child_exit7(void) { return 7; }

static void t_fork_wait(void)
{
	int pid = fork();
	if (pid == 0)
		exit(getpid() & 0xFF);
	int status = -1;
	int got = wait(&status, NULL);
	check(pid > 0 && got == pid && status == (pid & 0xFF),
	      "fork returns the child's pid; the child sees its own", "pid %d wait %d status %d",
	      pid, got, status);
	int st = run_child_status(child_exit7, NULL);
	check(st == 7, "exit status reaches the parent through wait", "status %d", st);
	pid = fork();
	if (pid == 0) {
		exec("true42");
		exit(99);
	}
	wait(&status, NULL);
	check(status == 42, "fork + exec of a built-in program", "status %d", status);
	pid = fork();
	if (pid == 0)
		exit(exec("nonexistent") == -ENOENT ? 0 : 1);
	wait(&status, NULL);
	check(status == 0, "exec of an unknown program returns -ENOENT", "status %d", status);
}

#define MANY 40

static void t_many(void)
{
	int pids[MANY], started = 0, reaped = 0, status;
	for (int i = 0; i < MANY; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sleep(5);
			exit(i);
		}
		started += pids[i] > 0;
	}
	int sum = 0;
	for (int i = 0; i < MANY; i++)
		if (wait(&status, NULL) > 0) {
			reaped++;
			sum += status;
		}
	check(started == MANY && reaped == MANY && sum == MANY * (MANY - 1) / 2,
	      "40 processes alive at once, all reaped", "started %d reaped %d sum %d",
	      started, reaped, sum);
}

static void t_preempt(void)
{
	int pid = fork();
	if (pid == 0)
		for (;;)
			;           /* never yields, never makes a system call */
	uint32_t t0 = uptime();
	sleep(3);
	uint32_t t1 = uptime();
	int k = kill(pid), status = -1;
	int got = wait(&status, NULL);
	check(t1 - t0 >= 3 && k == 0 && got == pid && status == WSTAT_KILLED,
	      "a busy loop is preempted by the timer and can be killed",
	      "slept %u ticks, kill %d, wait %d, status 0x%x", t1 - t0, k, got, status);
}

static void t_yield_sleep(void)
{
	uint32_t t0 = uptime();
	sleep(5);
	uint32_t d = uptime() - t0;
	check(d >= 5 && d < 50, "sleep(5) sleeps at least 5 ticks", "slept %u", d);
	int pid = fork();
	int turns = 0;
	for (int i = 0; i < 20; i++, turns++)
		yield();
	if (pid == 0)
		exit(turns);
	int status;
	wait(&status, NULL);
	check(status == 20, "two processes take turns with yield", "child turns %d", status);
}

/* ---- memory ---- */

static void t_cow(void)
{
	data_word = 1234;
	int pid = fork();
	if (pid == 0) {
		int saw = data_word;
		data_word = 5678;
		exit(saw == 1234 && data_word == 5678 ? 0 : 1);
	}
	int status;
	wait(&status, NULL);
	check(status == 0 && data_word == 1234,
	      "copy-on-write: the child's write is not seen by the parent",
	      "child status %d, parent sees %d", status, data_word);
	pid = fork();
	if (pid == 0) {
		sleep(2);
		exit(data_word == 1234 ? 0 : 1);
	}
	data_word = 4321;
	wait(&status, NULL);
	check(status == 0, "copy-on-write: the parent's write is not seen by the child",
	      "child status %d", status);
	data_word = 1234;
}

static void t_heap(void)
{
	char *old = sbrk(0);
	char *a = sbrk(3 * 4096);
	int zero = 1;
	for (int i = 0; i < 3 * 4096; i++)
		zero &= a[i] == 0;
	check(a == old && zero, "sbrk grows the heap with demand-zero pages",
	      "sbrk %p (was %p), zero %d", (void *)a, (void *)old, zero);
	a[0] = 'x';
	a[3 * 4096 - 1] = 'y';
	check(a[0] == 'x' && a[3 * 4096 - 1] == 'y' && sbrk(0) == a + 3 * 4096,
	      "heap memory keeps what is written", "break %p", sbrk(0));
	sbrk(-2 * 4096);
	int status = -1;
	int pid = fork();
	if (pid == 0) {
		volatile char *gone = a + 2 * 4096;
		*gone = 1;      /* beyond the break again: must fault */
		exit(0);
	}
	struct faultinfo fi;
	wait(&status, &fi);
	check(WSTAT_KIND(status) == WSTAT_FAULT && fi.cr2 == (uint32_t)(a + 2 * 4096),
	      "sbrk shrink unmaps: a touch above the break faults", "status 0x%x cr2 0x%x",
	      status, fi.cr2);
	/* 1.75 GB of (untouched) heap fits below the stack; twice that does not */
	void *big = sbrk(0x70000000);
	void *huge = sbrk(0x70000000);
	sbrk(-0x70000000);
	check(big != (void *)-ENOMEM && (int)huge == -ENOMEM,
	      "sbrk into the stack region fails with -ENOMEM", "returned %p then %p", big, huge);
	sbrk(-4096);
}

static void t_stack(void)
{
	volatile char deep[64 * 1024];
	deep[0] = 1;
	deep[sizeof deep - 1] = 2;
	check(deep[0] == 1 && deep[sizeof deep - 1] == 2, "user stack grows on demand", "no");
}

/* ---- faults from ring 3: the child dies, the parent learns why ---- */

static int f_cli(void) { __asm__ volatile("cli"); return 0; }
static int f_int_gate(void) { __asm__ volatile("int $0x30"); return 0; }
static int f_div(void)
{
	int q;
	/* a real DIV: "1 / z" in C would be compiled to a compare */
	__asm__ volatile("xor %%edx, %%edx; div %1" : "=a"(q) : "r"(0), "a"(1) : "edx");
	return q;
}
static int f_ud(void) { __asm__ volatile("ud2"); return 0; }
/* Addresses come through volatile variables so the compiler cannot tell
 * they are bad and refuse to build the access. */
static volatile uintptr_t a_kernel = KERNEL_ADDR, a_low_r = 0x10, a_low_w = 0x20;
static int f_kread(void) { return *(volatile int *)a_kernel; }
static int f_textwrite(void) { *(volatile int *)(uintptr_t)main_text = 0; return 0; }
static int f_null_read(void) { return *(volatile int *)a_low_r; }
static int f_null_write(void) { *(volatile int *)a_low_w = 1; return 0; }

struct fault_case {
	const char *name;
	int (*fn)(void);
	unsigned vector, err, cr2;   /* cr2 ~0: do not check */
};

static void t_user_faults(void)
{
	const struct fault_case cases[] = {
		{ "#GP from ring 3: CLI", f_cli, 13, 0, ~0u },
		{ "#GP from ring 3: INT through a DPL-0 gate (err = vector*8+2)", f_int_gate, 13,
		  0x30 * 8 + 2, ~0u },
		{ "#DE from ring 3", f_div, 0, 0, ~0u },
		{ "#UD from ring 3", f_ud, 6, 0, ~0u },
		{ "#PF user read of a kernel page: err U|P, CR2", f_kread, 14, 5, KERNEL_ADDR },
		{ "#PF user write to read-only text: err U|W|P", f_textwrite, 14, 7,
		  (unsigned)(uintptr_t)main_text },
		{ "#PF user read of a not-present page: err U", f_null_read, 14, 4, 0x10 },
		{ "#PF user write to a not-present page: err U|W", f_null_write, 14, 6, 0x20 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct fault_case *c = &cases[i];
		struct faultinfo fi = { 0, 0, 0, 0 };
		int st = run_child_status(c->fn, &fi);
		check(st == (int)(WSTAT_FAULT | c->vector) && fi.err == c->err &&
		      (c->cr2 == ~0u || fi.cr2 == c->cr2), c->name,
		      "status 0x%x vector %u err 0x%x cr2 0x%x", st, fi.vector, fi.err, fi.cr2);
	}
}

int main(void)
{
	t_syscalls();
	t_fork_wait();
	t_many();
	t_preempt();
	t_yield_sleep();
	t_cow();
	t_heap();
	t_stack();
	t_user_faults();
	return 0;
}

/* A function whose first byte is in a read-only text page. */
int main_text(void)
{
	return 0;
}
