/*
 * vmmio.h - the virtual memory-mapped I/O bus: routes guest loads and
 * stores to device registers in guest-physical address space.
 *
 * Mechanism (real hardware): some devices answer memory cycles instead of
 * I/O cycles: on a PC the local APIC at 0xFEE00000 and the I/O APIC at
 * 0xFEC00000, each a page of 32-bit registers.  The CPU reads and writes
 * them with ordinary MOVs.  Under the monitor a device's guest-physical
 * range is never mapped in a shadow page table (memory.c keeps the list,
 * gpa_is_mmio), so every access raises #PF; the dispatcher decodes the
 * instruction (memop.c) and its memory operand becomes vmmio_read or
 * vmmio_write here, with the guest-physical address and the access size.
 *
 * What this module does: a small table of ranges, each with a device and
 * its ops, which get the offset into the range.  An access that no range
 * contains (the caller only sends accesses to registered ranges, so this
 * is a monitor bug) reads as all ones and is counted.  Pure: unit-tested
 * on the host (test/unit/test_vmmio.c).
 *
 * Invariants: ranges do not overlap; nranges <= VMMIO_MAX_RANGES.
 */
#ifndef VIRTDEV_VMMIO_H
#define VIRTDEV_VMMIO_H

#include <stdbool.h>
#include <stdint.h>

#define VMMIO_MAX_RANGES 8

struct vmmio_ops {
	uint32_t (*read)(void *dev, uint32_t off, unsigned size);
	void (*write)(void *dev, uint32_t off, unsigned size, uint32_t value);
};

struct vmmio_range {
	uint32_t base, size;
	const struct vmmio_ops *ops;
	void *dev;
	const char *name;
};

struct vmmio_bus {
	struct vmmio_range ranges[VMMIO_MAX_RANGES];
	unsigned nranges;
	uint32_t unclaimed;     /* accesses no range took (a caller bug) */
};

void vmmio_init(struct vmmio_bus *bus);
/* Maps [base, base+size) to dev; false if full, empty, wrapping or
 * overlapping. */
bool vmmio_map(struct vmmio_bus *bus, uint32_t base, uint32_t size,
	       const struct vmmio_ops *ops, void *dev, const char *name);
const struct vmmio_range *vmmio_find(const struct vmmio_bus *bus, uint32_t gpa);
/* size is 1, 2 or 4 (the caller splits a qword). */
uint32_t vmmio_read(struct vmmio_bus *bus, uint32_t gpa, unsigned size);
void vmmio_write(struct vmmio_bus *bus, uint32_t gpa, unsigned size, uint32_t value);

#endif
