/*
 * mem.h - memcpy/memset/memcmp for freestanding code.  GCC may emit calls
 * to these for struct copies even with -ffreestanding, so a kernel must
 * provide them; they are the standard functions, nothing more.
 */
#ifndef LIB_MEM_H
#define LIB_MEM_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
