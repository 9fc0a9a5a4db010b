/*
 * proc.c - process table, round-robin scheduler, fork/exec/exit/wait.
 *
 * Mechanism: each process has its own kernel stack; switching processes is
 * switching kernel stacks (swtch) plus CR3 and TSS.esp0.  The scheduler is
 * a loop on the boot stack: it picks the next runnable process in table
 * order and swtch()es to it; a process gives the CPU back by swtch()ing to
 * the scheduler, either voluntarily (yield, sleep, wait, exit) or because
 * the timer interrupted it in ring 3 (preemption, see trap.c).
 *
 * Invariant: the process table is touched only with interrupts off (one CPU,
 * so that is the whole locking story); swtch is always called with them off.
 */
#include "proc.h"
#include "vm.h"
#include "gdt.h"
#include "intr.h"
#include "x86.h"
#include "console.h"
#include "lib/elf.h"
#include "lib/fmt.h"

struct proc ptable[NPROC];
struct proc *curproc;
static struct context *sched_ctx;
static int nextpid = 1;
static struct proc *initproc;
static u8 kstacks[NPROC][KSTACKSIZE] __attribute__((aligned(4096)));

void swtch(struct context **old, struct context *new);

static void name_set(struct proc *p, const char *name)
{
	u32 i;
	for (i = 0; i + 1 < sizeof p->name && name[i]; i++)
		p->name[i] = name[i];
	p->name[i] = '\0';
}

/* First thing a new process runs: finish the switch, return to its frame. */
static void forkret(void)
{
	intr_on = (curproc->tf->eflags & FL_IF) != 0;
}

static struct proc *proc_alloc(void)
{
	for (int i = 0; i < NPROC; i++) {
		struct proc *p = &ptable[i];
		if (p->state != P_UNUSED)
			continue;
		u8 *top = kstacks[i] + KSTACKSIZE;
		*p = (struct proc){ .state = P_EMBRYO, .pid = nextpid++, .kstack = kstacks[i] };
		p->tf = (struct trapframe *)(top - sizeof(struct trapframe));
		u32 *sp = (u32 *)p->tf;
		*--sp = (u32)trapret;
		p->ctx = (struct context *)((u8 *)sp - sizeof(struct context));
		*p->ctx = (struct context){ .eip = (u32)forkret };
		return p;
	}
	return NULL;
}

void proc_init(void)
{
	for (int i = 0; i < NPROC; i++)
		ptable[i].state = P_UNUSED;
}

static void kthread_start(void)
{
	intr_enable();
	curproc->kfn();
	proc_exit(0);
}

struct proc *kthread_create(const char *name, void (*fn)(void))
{
	struct proc *p = proc_alloc();
	if (p == NULL)
		panic("no process slot for kernel thread %s", name);
	name_set(p, name);
	p->kthread = 1;
	p->kfn = fn;
	p->pgdir = kpgdir;
	p->ctx->eip = (u32)kthread_start;
	if (initproc == NULL)
		initproc = p;
	p->state = P_RUNNABLE;
	return p;
}

int proc_count(void)
{
	int n = 0;
	for (int i = 0; i < NPROC; i++)
		n += ptable[i].state != P_UNUSED;
	return n;
}

static struct proc *pick_next(void)
{
	static int last;
	for (int k = 1; k <= NPROC; k++) {
		struct proc *p = &ptable[(last + k) % NPROC];
		if (p->state == P_RUNNABLE) {
			last = (last + k) % NPROC;
			return p;
		}
	}
	return NULL;
}

void scheduler(void)
{
	for (;;) {
		intr_disable();
		struct proc *p = pick_next();
		if (p == NULL) {
			intr_on = 1;
			sti_hlt();          /* idle until an interrupt makes work */
			continue;
		}
		curproc = p;
		p->state = P_RUNNING;
		tss_set_kstack((u32)p->kstack + KSTACKSIZE);
		vm_switch(p->pgdir);
		swtch(&sched_ctx, p->ctx);
		vm_switch(kpgdir);
		curproc = NULL;
	}
}

/* Give the CPU to the scheduler; interrupts must be off. */
static void sched(void)
{
	swtch(&curproc->ctx, sched_ctx);
}

void yield(void)
{
	int s = intr_save();
	curproc->state = P_RUNNABLE;
	sched();
	intr_restore(s);
}

void sleep_on(const void *chan)
{
	curproc->chan = chan;
	curproc->state = P_SLEEPING;
	sched();
	curproc->chan = NULL;
}

void wakeup(const void *chan)
{
	for (int i = 0; i < NPROC; i++)
		if (ptable[i].state == P_SLEEPING && ptable[i].chan == chan)
			ptable[i].state = P_RUNNABLE;
}

void sleep_ticks(u32 n)
{
	int s = intr_save();
	u32 until = ticks + n;
	while ((i32)(ticks - until) < 0 && !curproc->killed)
		sleep_on((const void *)&ticks);
	intr_restore(s);
}

int proc_fork(void)
{
	struct proc *cur = curproc, *np = proc_alloc();
	if (np == NULL)
		return -ENOMEM;
	np->pgdir = vm_new();
	if (np->pgdir == NULL || vm_copy_cow(cur->pgdir, np->pgdir) < 0) {
		if (np->pgdir)
			vm_free(np->pgdir);
		np->state = P_UNUSED;
		vm_switch(cur->pgdir);
		return -ENOMEM;
	}
	vm_switch(cur->pgdir);      /* our writable pages just became read-only */
	*np->tf = *cur->tf;
	np->tf->eax = 0;
	np->heap_start = cur->heap_start;
	np->brk = cur->brk;
	np->parent = cur;
	name_set(np, cur->name);
	int s = intr_save();
	np->state = P_RUNNABLE;
	intr_restore(s);
	return np->pid;
}

const struct userprog *userprog_find(const char *name)
{
	for (const struct userprog *u = userprogs; u->name; u++)
		if (fmt_strcmp(u->name, name) == 0)
			return u;
	return NULL;
}

static int load_segment(pde_t *pd, const u8 *img, const struct elf32_phdr *ph)
{
	u32 perm = PTE_U | ((ph->flags & PF_W) ? PTE_W : 0);

	for (u32 off = 0; off < ph->memsz + (ph->vaddr & 0xFFF); off += PGSIZE) {
		u32 va = PGROUNDDOWN(ph->vaddr) + off;
		pte_t *pte = vm_walk(pd, va, 1);
		if (pte == NULL)
			return -ENOMEM;
		if (!(*pte & PTE_P)) {
			u8 *page = page_alloc();
			if (page == NULL)
				return -ENOMEM;
			*pte = V2P(page) | PTE_P;
		}
		*pte |= perm;
		u8 *kpage = P2V(PTE_ADDR(*pte));
		for (u32 b = 0; b < PGSIZE; b++) {
			u32 a = va + b;
			if (a >= ph->vaddr && a - ph->vaddr < ph->filesz)
				kpage[b] = img[ph->offset + (a - ph->vaddr)];
		}
	}
	return 0;
}

/* Replaces p's user address space with the built-in program 'name'. */
int proc_exec(struct proc *p, const char *name)
{
	const struct userprog *u = userprog_find(name);
	const char *why;
	if (u == NULL)
		return -ENOENT;
	u32 len = (u32)(u->end - u->start);
	if (elf_check(u->start, len, USERBASE, USTACKTOP - USTACKMAX, &why) < 0) {
		kprintf("minios: exec %s refused: %s\n", name, why);
		return -ENOEXEC;
	}
	const struct elf32_ehdr *eh = (const void *)u->start;
	pde_t *pd = vm_new();
	u32 top = USERBASE;
	int err = pd ? 0 : -ENOMEM;
	for (unsigned i = 0; err == 0 && i < eh->phnum; i++) {
		const struct elf32_phdr *ph = elf_phdr(u->start, i);
		if (ph->type != PT_LOAD)
			continue;
		err = load_segment(pd, u->start, ph);
		if (ph->vaddr + ph->memsz > top)
			top = ph->vaddr + ph->memsz;
	}
	if (err < 0) {
		if (pd)
			vm_free(pd);
		return err;
	}
	pde_t *old = p->pgdir;
	p->pgdir = pd;
	p->heap_start = p->brk = PGROUNDUP(top);
	p->kthread = 0;
	name_set(p, name);
	*p->tf = (struct trapframe){
		.cs = SEL(SEG_UCODE, DPL_USER), .ds = SEL(SEG_UDATA, DPL_USER),
		.es = SEL(SEG_UDATA, DPL_USER), .fs = SEL(SEG_UDATA, DPL_USER),
		.gs = SEL(SEG_UDATA, DPL_USER), .ss = SEL(SEG_UDATA, DPL_USER),
		.eflags = FL_IF | FL_RSVD, .eip = eh->entry, .esp = USTACKTOP,
	};
	if (p == curproc)
		vm_switch(pd);
	if (old && old != kpgdir)
		vm_free(old);
	return 0;
}

int proc_spawn(const char *prog)
{
	struct proc *p = proc_alloc();
	if (p == NULL)
		return -ENOMEM;
	p->pgdir = NULL;
	int err = proc_exec(p, prog);
	if (err < 0) {
		p->state = P_UNUSED;
		return err;
	}
	p->parent = curproc;
	int s = intr_save();
	p->state = P_RUNNABLE;
	intr_restore(s);
	return p->pid;
}

void proc_exit(int status)
{
	struct proc *p = curproc;

	intr_disable();
	if (!p->kthread) {
		vm_switch(kpgdir);
		vm_free(p->pgdir);
		p->pgdir = kpgdir;
	}
	for (int i = 0; i < NPROC; i++) {
		if (ptable[i].parent != p)
			continue;
		ptable[i].parent = initproc;
		if (ptable[i].state == P_ZOMBIE)
			wakeup(initproc);
	}
	p->xstatus = status;
	p->state = P_ZOMBIE;
	if (p->parent)
		wakeup(p->parent);
	sched();
	panic("zombie %d ran again", p->pid);
}

static int reap(struct proc *p, int *status, struct faultinfo *fi)
{
	int pid = p->pid;
	if (status)
		*status = p->xstatus;
	if (fi)
		*fi = p->fault;
	p->state = P_UNUSED;
	p->parent = NULL;
	p->pid = 0;
	return pid;
}

int proc_wait(int *status, struct faultinfo *fi)
{
	int s = intr_save();
	for (;;) {
		int havekids = 0;
		for (int i = 0; i < NPROC; i++) {
			struct proc *p = &ptable[i];
			if (p->parent != curproc || p->state == P_UNUSED)
				continue;
			havekids = 1;
			if (p->state == P_ZOMBIE) {
				int pid = reap(p, status, fi);
				intr_restore(s);
				return pid;
			}
		}
		if (!havekids || curproc->killed) {
			intr_restore(s);
			return havekids ? -EINTR : -ECHILD;
		}
		sleep_on(curproc);
	}
}

int proc_kill(int pid)
{
	int s = intr_save();
	for (int i = 0; i < NPROC; i++) {
		struct proc *p = &ptable[i];
		if (p->pid != pid || p->state == P_UNUSED || p->state == P_ZOMBIE)
			continue;
		p->killed = 1;
		if (p->state == P_SLEEPING)
			p->state = P_RUNNABLE;
		intr_restore(s);
		return 0;
	}
	intr_restore(s);
	return -ESRCH;
}

static const char *exc_name(u32 v)
{
	static const char *names[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
		"#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC",
		"#MC", "#XM" };
	return v < sizeof names / sizeof names[0] ? names[v] : "exception";
}

/* A user process took an exception it cannot survive: record, tell, end it. */
void proc_fault_kill(struct trapframe *tf, u32 cr2)
{
	struct proc *p = curproc;
	p->fault = (struct faultinfo){ tf->trapno, tf->err, cr2, tf->eip };
	kprintf("minios: pid %d (%s) killed: %s at eip 0x%x, err 0x%x, cr2 0x%x\n",
		p->pid, p->name, exc_name(tf->trapno), tf->eip, tf->err, cr2);
	proc_exit(WSTAT_FAULT | (int)tf->trapno);
}

int proc_sbrk(int delta)
{
	struct proc *p = curproc;
	u32 old = p->brk;
	u32 limit = USTACKTOP - USTACKMAX;

	if (delta > 0 && (u32)delta > limit - old)
		return -ENOMEM;
	if (delta < 0 && (u32)(-delta) > old - p->heap_start)
		return -EINVAL;
	p->brk = old + (u32)delta;
	if (delta < 0)
		vm_unmap_range(p->pgdir, PGROUNDUP(p->brk), PGROUNDUP(old));
	return (int)old;
}
