/*
 * syscall.h - INT 0x80 system calls (numbers and ABI in include/abi.h).
 */
#ifndef MINIOS_SYSCALL_H
#define MINIOS_SYSCALL_H

#include "trap.h"

int syscall(struct trapframe *tf);

/* Test-mode verdicts, shared by kernel tests and SYS_report. */
void report(int ok, const char *name, const char *why);
extern int tests_passed, tests_failed;

#endif
