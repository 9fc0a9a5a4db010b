/*
 * mmap.c - find how far usable RAM extends above 1 MB, where minios lives.
 * Entries are variable-sized ('size' + 4 bytes each); a size that would run
 * past the map ends the walk.
 */
#include "mmap.h"

#define ONE_MB 0x100000u
#define FOUR_GB 0x100000000ull

uint64_t mmap_ram_top(const void *map, uint32_t length)
{
	const uint8_t *p = map;
	uint32_t off = 0;

	/* bound: length / 24: each entry moves off by at least 24 bytes */
	while (off + sizeof(struct mb_mmap_entry) <= length) {
		const struct mb_mmap_entry *e = (const void *)(p + off);
		if (e->size < sizeof(*e) - 4 || e->size > length - off - 4)
			return 0;
		if (e->type == MMAP_AVAILABLE && e->addr <= ONE_MB && e->addr + e->len > ONE_MB)
			return e->addr + e->len > FOUR_GB ? FOUR_GB : e->addr + e->len;
		off += e->size + 4;
	}
	return 0;
}
