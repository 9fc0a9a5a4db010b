/*
 * mem.c - memcpy/memset/memcmp (see mem.h).  Only built into the
 * freestanding kernels; the host tests use the C library's.
 *
 * Two forms.  minios (and the conformance guests) keep the plain byte
 * loops: their instruction counts are what make bench's native column
 * measures, and changing them would move every benchmark's baseline.
 * The monitor is built with MEM_STRING_OPS: memcpy and memset use REP
 * MOVSD/STOSD and a REP MOVSB/STOSB for the tail, which QEMU's -icount
 * counts as one instruction per element moved, a quarter of the bytes, where
 * the loop costs about five instructions a byte (a reflected exception's
 * frame, an emulated access, a guest frame copied: issue 12).  They rely on
 * EFLAGS.DF = 0, which the ABI guarantees at every call and the switcher
 * establishes at every entry (cld in sw_alltraps).
 */
#include "mem.h"

#ifdef MEM_STRING_OPS
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n / 4, bytes = n % 4;

	__asm__ volatile("rep movsl" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(bytes) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t words = n / 4, bytes = n % 4;
	unsigned int fill = (unsigned char)c * 0x01010101u;

	__asm__ volatile("rep stosl" : "+D"(d), "+c"(words) : "a"(fill) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(fill) : "memory");
	return dst;
}
#else
void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)	/* bound: n bytes */
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n--)	/* bound: n bytes */
		*d++ = (unsigned char)c;
	return dst;
}
#endif

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n > 0; n--, x++, y++)	/* bound: n bytes */
		if (*x != *y)
			return *x - *y;
	return 0;
}
