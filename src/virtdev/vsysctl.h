/*
 * vsysctl.h - system control port A (port 0x92, the "fast A20" port).
 *
 * Mechanism (real hardware): on PS/2-style and later PCs, port 0x92 bit 1
 * gates address line 20 (A20; when clear, addresses wrap at 1 MB as on an
 * 8086) and writing bit 0 as 1 (a rising edge) resets the CPU.  Software
 * reads the port, sets or clears bit 1 and writes it back.
 *
 * What this model does, as QEMU's port92 does: the byte reads back as
 * written; the BIOS left A20 enabled (0x02).  A rising edge on bit 0 is
 * recorded as a reset request (vsysctl_reset_requested) for the monitor
 * to act on.  The A20 gate itself is not applied: guest memory never
 * wraps at 1 MB (a protected-mode kernel keeps A20 on anyway).  No time, no
 * IRQ, hence no tick.
 */
#ifndef VIRTDEV_VSYSCTL_H
#define VIRTDEV_VSYSCTL_H

#include <stdbool.h>
#include <stdint.h>

#define SYSCTL_PORT       0x92
#define SYSCTL_RESET      0x01
#define SYSCTL_A20        0x02
#define SYSCTL_UNMAPPED_READ 0xFF

struct vsysctl {
	uint8_t value;
	bool reset_requested;
};

/* The post-BIOS state: A20 on. */
void vsysctl_init(struct vsysctl *s);
/* Guest IN/OUT on 0x92; other ports read 0xFF. */
uint8_t vsysctl_read(struct vsysctl *s, uint16_t port);
void vsysctl_write(struct vsysctl *s, uint16_t port, uint8_t value);
bool vsysctl_a20(const struct vsysctl *s);
bool vsysctl_reset_requested(const struct vsysctl *s);

#endif
