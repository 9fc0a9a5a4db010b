/*
 * guard.h - a buffer that ends right before an inaccessible page, for the
 * parser tests: a parser that reads past the length it was given faults
 * (and the test fails) instead of silently reading whatever follows.
 */
#ifndef TEST_GUARD_H
#define TEST_GUARD_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Copies len bytes so they end at most align-1 bytes before the guard page
 * (align 1: exactly at it; align 4 keeps an image 4-byte aligned, as
 * minios's embedded images are).  The buffer is reused by the next call. */
static const void *at_guard(const void *src, uint32_t len, uint32_t align)
{
	static uint8_t *pages;
	long pg = sysconf(_SC_PAGESIZE);
	if (pages == NULL) {
		pages = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(pages != MAP_FAILED);
		assert_int_equal(mprotect(pages + pg, pg, PROT_NONE), 0);
	}
	assert_true(len <= (uint32_t)pg);
	uint8_t *dst = pages + (((uint32_t)pg - len) & ~(align - 1));
	memcpy(dst, src, len);
	return dst;
}

#endif
