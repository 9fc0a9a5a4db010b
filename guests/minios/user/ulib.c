/*
 * ulib.c - system calls (INT 0x80, a DPL-3 trap gate) and formatted output.
 */
#include "ulib.h"
#include "lib/fmt.h"

#include <stdarg.h>

int sys3(int num, uint32_t a, uint32_t b, uint32_t c)
{
	int ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(num), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return write(1, buf, n < (int)sizeof buf ? (uint32_t)n : sizeof buf - 1);
}

/* A test verdict, numbered and printed by the kernel with its own tests. */
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
