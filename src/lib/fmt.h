/*
 * fmt.h - printf-style formatting into a buffer, with no libc underneath.
 * Pure: builds into minios and into the host unit tests (test/unit).
 */
#ifndef MINIOS_FMT_H
#define MINIOS_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Conversions: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width, a
 * precision for %s (".N" or ".*": at most N characters, so a word that is
 * not NUL-terminated can be printed), the length modifiers l (ignored: long
 * is 32-bit here) and ll (64-bit).
 * Writes at most size-1 characters and a NUL; returns the length the full
 * output would have had, like C99 vsnprintf. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

size_t fmt_strlen(const char *s);
int fmt_strcmp(const char *a, const char *b);
int fmt_strncmp(const char *a, const char *b, size_t n);

#endif
