/*
 * ktest.h - what the init kernel thread runs in each mode.
 */
#ifndef MINIOS_KTEST_H
#define MINIOS_KTEST_H

struct faultinfo;

/* Test mode: the groups in groups (TG_* of lib/cmdline.h), in order. */
void run_tests(unsigned groups) __attribute__((noreturn));
void run_bench(void) __attribute__((noreturn));
void run_demo(void) __attribute__((noreturn));

/* Reports one verdict, "ok N - name" or "not ok N - name: why", where why
 * (printf-style, formatted only on failure) says what was observed. */
void check(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Starts built-in program 'prog' as a child of the caller and waits for it;
 * returns its wait status, or a negative error if it could not start. */
int run_program(const char *prog, struct faultinfo *fi);

#endif
