/*
 * mmap.h - read the multiboot memory map (BIOS E820 list) the loader passes.
 */
#ifndef MINIOS_MMAP_H
#define MINIOS_MMAP_H

#include <stdint.h>

#define MMAP_AVAILABLE 1

struct mb_mmap_entry {          /* 'size' does not count itself */
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

/* End (exclusive) of the available RAM region that contains the 1 MB mark,
 * clipped to 4 GB; 0 if the map has no such region or is malformed. */
uint64_t mmap_ram_top(const void *map, uint32_t length);

#endif
