/*
 * utest.c - the ring-3 half of test mode: system calls, processes, memory
 * and faults, seen from a user process.  Each check() is one numbered test
 * line, printed by the kernel in sequence with the kernel's own tests.
 *
 * The address-space tests keep many page directories alive and change
 * page tables under them (sbrk shrink and grow, fork, exit, copy-on-write),
 * because a monitor that shadows the page tables per CR3 and write-protects
 * the guest's own must notice every one of those changes: a stale shadow
 * shows up here as another process's data, old data, or a missing fault.
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

/* ---- address spaces that change under a shadow MMU ---- */

#define PAGE_WORDS 1024

/* Moves the break up to a page boundary, so that page arithmetic on what
 * sbrk returns matches the kernel's. */
static char *heap_align(void)
{
	uintptr_t brk = (uintptr_t)sbrk(0);
	if (brk & 4095)
		sbrk((int)(4096 - (brk & 4095)));
	return sbrk(0);
}

static int words_are(volatile uint32_t *p, uint32_t n, uint32_t seed, int zero)
{
	for (uint32_t k = 0; k < n; k++)
		if (p[k] != (zero ? 0 : seed ^ k))
			return 0;
	return 1;
}

static void words_fill(volatile uint32_t *p, uint32_t n, uint32_t seed)
{
	for (uint32_t k = 0; k < n; k++)
		p[k] = seed ^ k;
}

#define CYCLES       6
#define CYCLE_PAGES  4

/* Grow, fill, shrink, again: each grow must bring fresh zero pages at the
 * same addresses, never the frames (or stale translations) of the last. */
static void t_sbrk_cycles(void)
{
	char *start = heap_align();
	int zero = 1, kept = 1, same = 1;
	for (uint32_t c = 0; c < CYCLES; c++) {
		volatile uint32_t *p = sbrk(CYCLE_PAGES * 4096);
		same &= (char *)p == start;
		zero &= words_are(p, CYCLE_PAGES * PAGE_WORDS, 0, 1);
		words_fill(p, CYCLE_PAGES * PAGE_WORDS, 0xC0DE0000 + c);
		kept &= words_are(p, CYCLE_PAGES * PAGE_WORDS, 0xC0DE0000 + c, 0);
		char *old = sbrk(-CYCLE_PAGES * 4096);
		same &= old == start + CYCLE_PAGES * 4096 && sbrk(0) == start;
	}
	int e = (int)sbrk(-0x1000000);      /* 16 MB: more than the whole heap */
	check(zero && kept && same && e == -EINVAL && sbrk(0) == start,
	      "sbrk shrink then grow, 6 times: fresh zero pages each time",
	      "zero %d kept %d same addresses %d, shrink below the heap returned %d", zero, kept,
	      same, e);
}

/* The process that shrinks is the one whose TLB (or shadow) still holds the
 * page: it reads it, gives it back, and must fault reading it again. */
static int c_shrink_touch(void)
{
	volatile uint32_t *p = sbrk(2 * 4096);
	p[0] = 0x1111;
	p[PAGE_WORDS] = 0x2222;
	if (p[0] + p[PAGE_WORDS] != 0x3333)
		return 1;
	sbrk(-4096);
	if (p[0] != 0x1111)
		return 2;
	return (int)p[PAGE_WORDS];
}

static void t_sbrk_shrink_live(void)
{
	uint32_t gone = (uint32_t)heap_align() + 4096;
	struct faultinfo fi = { 0, 0, 0, 0 };
	int st = run_child_status(c_shrink_touch, &fi);
	check(st == (WSTAT_FAULT | 14) && fi.err == 4 && fi.cr2 == gone,
	      "sbrk shrink unmaps a page the process just used: a read faults",
	      "status 0x%x err 0x%x cr2 0x%x (expected 0x%x)", st, fi.err, fi.cr2, gone);
}

#define NSWITCH    16   /* processes alive at once */
#define WS_PAGES   6    /* each one's working set, at the same addresses in all */
#define WS_COW     3    /* pages the parent wrote before fork: shared until written */
#define ROUNDS     12
#define WS_PARENT  0xEE

/* Three words per page (first, middle, last) name who wrote them and when. */
static uint32_t ws_word(uint32_t who, uint32_t page, uint32_t round, uint32_t k)
{
	return who << 24 | page << 16 | round << 4 | k;
}

static void ws_fill(volatile uint32_t *ws, int from, int to, uint32_t who, uint32_t round)
{
	for (int p = from; p < to; p++)
		for (uint32_t k = 0; k < 3; k++)
			ws[p * PAGE_WORDS + k * 511] = ws_word(who, p, round, k);
}

static int ws_holds(volatile uint32_t *ws, int from, int to, uint32_t who, uint32_t round)
{
	for (int p = from; p < to; p++)
		for (uint32_t k = 0; k < 3; k++)
			if (ws[p * PAGE_WORDS + k * 511] != (who ? ws_word(who, p, round, k) : 0))
				return 0;
	return 1;
}

/* A child: checks what it inherited, waits until all NSWITCH are alive,
 * then rewrites its pages and yields, checking them each time it is back. */
static int switch_child(volatile uint32_t *ws, uint32_t who, int alive)
{
	if (!ws_holds(ws, 0, WS_COW, WS_PARENT, 0) || !ws_holds(ws, WS_COW, WS_PAGES, 0, 0))
		return 0xF1;
	for (int spins = 0; nproc() < alive; spins++) {
		if (spins > 100000)
			return 0xF2;
		yield();
	}
	for (uint32_t r = 1; r <= ROUNDS; r++) {
		ws_fill(ws, 0, WS_PAGES, who, r);
		yield();
		if (!ws_holds(ws, 0, WS_PAGES, who, r))
			return 0xF3;
	}
	return (int)who;
}

static void t_switch_many(void)
{
	volatile uint32_t *ws = (volatile uint32_t *)heap_align();
	int pids[NSWITCH], started = 0, wrong = 0, status = -1, first_bad = 0;
	sbrk(WS_PAGES * 4096);
	ws_fill(ws, 0, WS_COW, WS_PARENT, 0);
	int alive = nproc() + NSWITCH;
	for (int i = 0; i < NSWITCH; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			exit(switch_child(ws, (uint32_t)i + 1, alive));
		started += pids[i] > 0;
	}
	for (int i = 0; i < NSWITCH && started < NSWITCH; i++)
		if (pids[i] > 0)
			kill(pids[i]);      /* the others would wait for ever */
	for (int n = 0; n < started; n++) {
		int pid = wait(&status, NULL);
		for (int i = 0; i < NSWITCH; i++)
			if (pids[i] == pid && status != i + 1) {
				wrong++;
				first_bad = status;
			}
	}
	int mine = ws_holds(ws, 0, WS_COW, WS_PARENT, 0) && ws_holds(ws, WS_COW, WS_PAGES, 0, 0);
	check(started == NSWITCH && wrong == 0 && mine,
	      "16 processes alive, yielding in turn, keep their own pages",
	      "started %d, %d wrong statuses (one 0x%x), parent's pages intact %d", started, wrong,
	      first_bad, mine);
	sbrk(-WS_PAGES * 4096);
}

#define CHURN 100

/* A churn child: sees the parent's pages, dirties them (copy-on-write),
 * a new heap page and new stack pages (demand-zero), and exits with a
 * status only its round gives. */
static int churn_child(volatile uint32_t *heap, uint32_t round)
{
	volatile uint32_t deep[2 * PAGE_WORDS];
	int ok = words_are(heap, 2 * PAGE_WORDS, 0xC4A2, 0) && data_word == 1234;
	words_fill(heap, 2 * PAGE_WORDS, round);
	data_word = (int)round;
	volatile uint32_t *more = sbrk(4096);
	more[7] = round;
	deep[0] = round;
	deep[2 * PAGE_WORDS - 1] = round;
	ok &= words_are(heap, 2 * PAGE_WORDS, round, 0) && more[7] == round &&
	      deep[0] == round && deep[2 * PAGE_WORDS - 1] == round && data_word == (int)round;
	return ok ? (int)round + 1 : 0xFF;
}

static void t_churn(void)
{
	volatile uint32_t *heap = sbrk(2 * 4096);
	int bad = 0, bad_round = -1, bad_status = 0, parent_ok = 1;
	words_fill(heap, 2 * PAGE_WORDS, 0xC4A2);
	for (uint32_t r = 0; r < CHURN; r++) {
		int pid = fork();
		if (pid == 0)
			exit(churn_child(heap, r));
		int status = -1;
		if (pid < 0 || wait(&status, NULL) != pid || status != (int)r + 1) {
			bad++;
			bad_round = (int)r;
			bad_status = status;
		}
		parent_ok &= words_are(heap, 2 * PAGE_WORDS, 0xC4A2, 0) && data_word == 1234;
	}
	check(bad == 0 && parent_ok, "fork/exit churn: 100 children dirty COW pages and exit",
	      "%d bad rounds (last %d, status 0x%x), parent's pages intact %d", bad, bad_round,
	      bad_status, parent_ok);
	sbrk(-2 * 4096);
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
	t_sbrk_cycles();
	t_sbrk_shrink_live();
	t_switch_many();
	t_churn();
	t_user_faults();
	return 0;
}

/* A function whose first byte is in a read-only text page. */
int main_text(void)
{
	return 0;
}
