/*
 * abi.h - the minios system-call interface, shared by the kernel and user
 * programs.  A user program traps with INT 0x80 (a DPL-3 trap gate):
 * EAX = call number, EBX/ECX/EDX = arguments, result in EAX.  Negative
 * results are errors (-E*).
 */
#ifndef MINIOS_ABI_H
#define MINIOS_ABI_H

#define SYS_exit     1   /* exit(status & 0xff) */
#define SYS_fork     2   /* -> child pid in parent, 0 in child */
#define SYS_wait     3   /* wait(int *status, struct faultinfo *fi) -> pid */
#define SYS_write    4   /* write(fd 1 or 2, buf, n) -> n */
#define SYS_getpid   5
#define SYS_sbrk     6   /* sbrk(delta) -> old break */
#define SYS_yield    7
#define SYS_sleep    8   /* sleep(ticks) */
#define SYS_exec     9   /* exec(name of a built-in program) */
#define SYS_kill     10  /* kill(pid) */
#define SYS_uptime   11  /* -> timer ticks since boot */
#define SYS_report   12  /* report(ok, name, why): one test-mode verdict */
#define SYS_hz       13  /* -> timer ticks per second */
#define SYS_nproc    14  /* -> processes in the table, zombies and init included */
#define NSYSCALL     15

#define EPERM   1
#define ENOENT  2
#define ESRCH   3
#define EINTR   4
#define ENOEXEC 8
#define EBADF   9
#define ECHILD  10
#define ENOMEM  12
#define EFAULT  14
#define EINVAL  22
#define ENOSYS  38

/* wait() status: how the child ended */
#define WSTAT_EXITED  0x000     /* | exit code (0..255) */
#define WSTAT_FAULT   0x100     /* | exception vector: killed by a fault */
#define WSTAT_KILLED  0x200     /* killed by kill() */
#define WSTAT_KIND(s) ((s) & 0xF00)
#define WSTAT_CODE(s) ((s) & 0xFF)

/* What killed a faulting child, filled by wait() when fi != NULL. */
struct faultinfo {
	unsigned vector;
	unsigned err;
	unsigned cr2;
	unsigned eip;
};

#endif
