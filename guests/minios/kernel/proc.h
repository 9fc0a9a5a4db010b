/*
 * proc.h - processes and the scheduler.
 */
#ifndef MINIOS_PROC_H
#define MINIOS_PROC_H

#include "mmu.h"
#include "trap.h"
#include "../include/abi.h"

#define NPROC       64
#define KSTACKSIZE  8192

enum pstate { P_UNUSED, P_EMBRYO, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };

/* Callee-saved registers of a switched-out kernel thread (swtch pushes them) */
struct context {
	u32 edi, esi, ebx, ebp, eip;
};

struct proc {
	enum pstate state;
	int pid;
	char name[16];
	struct proc *parent;
	pde_t *pgdir;
	u8 *kstack;                 /* bottom of this process's kernel stack */
	struct trapframe *tf;       /* user registers, at the top of kstack */
	struct context *ctx;
	const void *chan;           /* what a sleeping process waits for */
	int killed;
	int xstatus;                /* WSTAT_* | code, for wait() */
	struct faultinfo fault;     /* what killed it, if a fault did */
	u32 heap_start, brk;
	int kthread;                /* runs only in the kernel (init) */
	void (*kfn)(void);
	u32 stat_demand_zero, stat_cow;
};

extern struct proc *curproc;
extern struct proc ptable[NPROC];

void proc_init(void);
struct proc *kthread_create(const char *name, void (*fn)(void));
int proc_spawn(const char *prog);       /* new user process running prog */
void scheduler(void) __attribute__((noreturn));
void yield(void);
void sleep_on(const void *chan);        /* interrupts must be off */
void wakeup(const void *chan);
void sleep_ticks(u32 n);

int proc_fork(void);
int proc_exec(struct proc *p, const char *name);
void proc_exit(int status) __attribute__((noreturn));
int proc_wait(int *status, struct faultinfo *fi);
int proc_kill(int pid);
void proc_fault_kill(struct trapframe *tf, u32 cr2);
int proc_sbrk(int delta);
int proc_count(void);

/* Built-in user programs, embedded in the kernel image (userprogs.asm) */
struct userprog {
	const char *name;
	const u8 *start;
	const u8 *end;
};
extern const struct userprog userprogs[];
const struct userprog *userprog_find(const char *name);

#endif
