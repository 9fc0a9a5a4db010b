/*
 * vkbc.h - the keyboard controller's ports (8042: data 0x60, status and
 * command 0x64), with no keyboard behind it.
 *
 * Mechanism (real hardware): the 8042 buffers a byte from the keyboard (or
 * mouse) in its output buffer and says so in bit 0 of its status register
 * (OBF); bit 1 (IBF) says it has not yet taken the last byte written to it;
 * bit 2 is the system flag (set once the BIOS's self-test passed); bit 3
 * tells whether the last byte written went to the command port; bit 4 is
 * the keyboard-unlocked switch.  Reading port 0x60 takes the output byte.
 * Writing command 0xFE to port 0x64 pulses the CPU's reset line.
 *
 * What this model does: a controller with nothing to say.  Status reads
 * 0x1C (system flag, command, unlocked: QEMU's i8042 after the BIOS's
 * self-test; OBF and IBF clear: no data, ready for input); the data port
 * reads 0.  Command 0xFE is recorded as a reset request
 * (vkbc_reset_requested) for the monitor to act on; other commands and
 * data bytes are counted and otherwise ignored (a keyboard would answer
 * some of them: a guest that waits for the answer waits forever, as it
 * would with no keyboard).  xv6 reads the status only when IRQ 1 comes,
 * which this machine never raises.  No time, no IRQ, hence no tick.
 */
#ifndef VIRTDEV_VKBC_H
#define VIRTDEV_VKBC_H

#include <stdbool.h>
#include <stdint.h>

#define KBC_DATA_PORT     0x60
#define KBC_STATUS_PORT   0x64      /* read: status; write: command */

#define KBC_STAT_OBF      0x01
#define KBC_STAT_IBF      0x02
#define KBC_STAT_SYS      0x04
#define KBC_STAT_CMD      0x08
#define KBC_STAT_UNLOCKED 0x10
#define KBC_STATUS_IDLE   (KBC_STAT_SYS | KBC_STAT_CMD | KBC_STAT_UNLOCKED)
#define KBC_CMD_RESET     0xFE      /* pulse the reset line */
#define KBC_UNMAPPED_READ 0xFF

struct vkbc {
	bool reset_requested;
	uint32_t commands, data_writes;
};

void vkbc_init(struct vkbc *k);
/* Guest IN/OUT on 0x60 and 0x64; other ports read 0xFF. */
uint8_t vkbc_read(struct vkbc *k, uint16_t port);
void vkbc_write(struct vkbc *k, uint16_t port, uint8_t value);
/* True once the guest asked for a CPU reset through the controller. */
bool vkbc_reset_requested(const struct vkbc *k);

#endif
