/*
 * vdebugexit.h - the virtual debug-exit port (QEMU isa-debug-exit at 0xF4).
 *
 * Mechanism: QEMU's isa-debug-exit device (here configured iobase=0xf4,
 * iosize=4, as the project's Makefile and test harness run it) ends the
 * emulator when the guest writes to any of its ports; the value written, v,
 * becomes QEMU's exit status (v << 1) | 1.  minios and kvm-unit-tests style
 * guests end their runs with `outl(0xF4, code)`.  There is no such port on
 * real hardware.
 *
 * What this model does: a write of any size to 0xF4-0xF7 records an exit
 * request with the value written (zero-extended from the access size).  The
 * first request is kept, later ones are only counted, so a guest cannot
 * change its verdict.  The monitor checks vdebugexit_requested() after
 * every emulated OUT and ends the run with that value (DESIGN.md 2).  Reads
 * return all ones, as an unassigned port would; it has no time, hence no
 * tick.
 *
 * Invariant: value is meaningful only while requested is true.
 */
#ifndef VIRTDEV_VDEBUGEXIT_H
#define VIRTDEV_VDEBUGEXIT_H

#include <stdbool.h>
#include <stdint.h>

#define DEBUGEXIT_PORT    0xF4
#define DEBUGEXIT_NPORTS  4         /* QEMU iosize=4: 0xF4-0xF7 */
#define DEBUGEXIT_WIDTH   4         /* takes 32-bit accesses whole */

struct vdebugexit {
	bool requested;
	uint32_t value;         /* the first value written */
	uint32_t writes;        /* all writes, including ignored later ones */
};

void vdebugexit_init(struct vdebugexit *d);

/* size is 1, 2 or 4; value has already been cut to size by the caller. */
uint32_t vdebugexit_read(struct vdebugexit *d, uint16_t port, unsigned size);
void vdebugexit_write(struct vdebugexit *d, uint16_t port, unsigned size,
		      uint32_t value);

/* True once the guest asked to exit; *value (if not NULL) gets its value. */
bool vdebugexit_requested(const struct vdebugexit *d, uint32_t *value);

#endif
