/*
 * syscall.c - the system-call table.
 *
 * Mechanism: INT 0x80 from ring 3 goes through a DPL-3 trap gate; the CPU
 * switches to the process's kernel stack (TSS.esp0) and trap() hands the
 * frame here.  Arguments come in EBX, ECX, EDX; every pointer argument is a
 * user address and is touched only through copyin/copyout, so a bad pointer
 * is an -EFAULT return, never a kernel fault.
 */
#include "syscall.h"
#include "proc.h"
#include "vm.h"
#include "pic.h"
#include "console.h"
#include "../include/abi.h"
#include "lib/fmt.h"

int tests_passed, tests_failed;

void report(int ok, const char *name, const char *why)
{
	int n = tests_passed + tests_failed + 1;
	if (ok) {
		tests_passed++;
		kprintf("ok %d - %s\n", n, name);
	} else {
		tests_failed++;
		kprintf("not ok %d - %s: %s\n", n, name, why && why[0] ? why : "failed");
	}
}

static int sys_write(u32 fd, u32 buf, u32 n)
{
	char chunk[128];

	if (fd != 1 && fd != 2)
		return -EBADF;
	if (buf >= KERNBASE || n > KERNBASE - buf)
		return -EFAULT;
	for (u32 done = 0; done < n;) {
		u32 k = n - done < sizeof chunk ? n - done : sizeof chunk;
		if (copyin(chunk, buf + done, k) < 0)
			return done ? (int)done : -EFAULT;
		console_write(chunk, k);
		done += k;
	}
	return (int)n;
}

static int sys_wait(u32 ustatus, u32 ufi)
{
	int status;
	struct faultinfo fi;
	int pid = proc_wait(&status, &fi);

	if (pid < 0)
		return pid;
	if (ustatus && copyout(ustatus, &status, sizeof status) < 0)
		return -EFAULT;
	if (ufi && copyout(ufi, &fi, sizeof fi) < 0)
		return -EFAULT;
	return pid;
}

static int sys_exec(u32 uname)
{
	char name[32];
	int err = copyinstr(name, uname, sizeof name);
	return err < 0 ? err : proc_exec(curproc, name);
}

static int sys_report(u32 ok, u32 uname, u32 uwhy)
{
	char name[80], why[120];

	if (copyinstr(name, uname, sizeof name) < 0)
		return -EFAULT;
	if (uwhy == 0)
		why[0] = '\0';
	else if (copyinstr(why, uwhy, sizeof why) < 0)
		return -EFAULT;
	report(ok != 0, name, why);
	return 0;
}

int syscall(struct trapframe *tf)
{
	u32 a = tf->ebx, b = tf->ecx, c = tf->edx;

	switch (tf->eax) {
	case SYS_exit:   proc_exit(WSTAT_EXITED | (int)(a & 0xFF));
	case SYS_fork:   return proc_fork();
	case SYS_wait:   return sys_wait(a, b);
	case SYS_write:  return sys_write(a, b, c);
	case SYS_getpid: return curproc->pid;
	case SYS_sbrk:   return proc_sbrk((int)a);
	case SYS_yield:  yield(); return 0;
	case SYS_sleep:  sleep_ticks(a); return 0;
	case SYS_exec:   return sys_exec(a);
	case SYS_kill:   return proc_kill((int)a);
	case SYS_uptime: return (int)ticks;
	case SYS_report: return sys_report(a, b, c);
	case SYS_hz:     return (int)timer_hz;
	case SYS_nproc:  return proc_count();
	default:         return -ENOSYS;
	}
}
