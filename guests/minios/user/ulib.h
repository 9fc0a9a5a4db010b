/*
 * ulib.h - the user-space library: system-call wrappers and printf.
 */
#ifndef MINIOS_ULIB_H
#define MINIOS_ULIB_H

#include <stdint.h>
#include <stddef.h>
#include "../include/abi.h"

int sys3(int num, uint32_t a, uint32_t b, uint32_t c);

static inline void exit(int code) { sys3(SYS_exit, (uint32_t)code, 0, 0); for (;;) ; }
static inline int fork(void) { return sys3(SYS_fork, 0, 0, 0); }
static inline int wait(int *status, struct faultinfo *fi)
{
	return sys3(SYS_wait, (uint32_t)status, (uint32_t)fi, 0);
}
static inline int write(int fd, const void *buf, uint32_t n)
{
	return sys3(SYS_write, (uint32_t)fd, (uint32_t)buf, n);
}
static inline int getpid(void) { return sys3(SYS_getpid, 0, 0, 0); }
static inline void *sbrk(int delta) { return (void *)sys3(SYS_sbrk, (uint32_t)delta, 0, 0); }
static inline int yield(void) { return sys3(SYS_yield, 0, 0, 0); }
static inline int sleep(uint32_t ticks) { return sys3(SYS_sleep, ticks, 0, 0); }
static inline int exec(const char *name) { return sys3(SYS_exec, (uint32_t)name, 0, 0); }
static inline int kill(int pid) { return sys3(SYS_kill, (uint32_t)pid, 0, 0); }
static inline uint32_t uptime(void) { return (uint32_t)sys3(SYS_uptime, 0, 0, 0); }
static inline int hz(void) { return sys3(SYS_hz, 0, 0, 0); }
static inline int nproc(void) { return sys3(SYS_nproc, 0, 0, 0); }
static inline int report(int ok, const char *name, const char *why)
{
	return sys3(SYS_report, (uint32_t)ok, (uint32_t)name, (uint32_t)why);
}

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void check(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
