/*
 * reader.h - a fuzz input read as the harnesses' machine description:
 * little-endian fields taken in order, zeros once the input runs out (so
 * every input, however short, describes a whole machine).  Shared by
 * fuzz_emul.c and fuzz_trap.c.
 */
#ifndef FUZZ_READER_H
#define FUZZ_READER_H

#include <stddef.h>
#include <stdint.h>

struct reader {
	const uint8_t *p;
	size_t n;
};

/* The next `bytes` bytes (at most 4) as a little-endian value. */
static inline uint32_t take(struct reader *r, unsigned bytes)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = 0;
		if (r->n) {
			b = *r->p++;
			r->n--;
		}
		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

#endif
