/*
 * vcrtc.h - the CGA/VGA CRT controller's index and data ports (0x3D4/0x3D5).
 *
 * Mechanism (real hardware): the 6845-style CRT controller of a colour
 * display adapter has a bank of 8-bit registers reached indirectly: write a
 * register number to the index port 0x3D4, then read or write it at the
 * data port 0x3D5.  Registers 0x0E/0x0F hold the text cursor's position
 * (offset in characters from the top left, high byte first); kernels read
 * them to continue where the BIOS left the cursor and write them to move
 * it (xv6's console.c cgaputc).  On a VGA, bit 7 of register 0x11 write-
 * protects registers 0-7 (except bit 4 of register 7).
 *
 * What this model does, as QEMU's VGA does: 256 registers, the index
 * readable at 0x3D4, every register reading back what was written, the
 * register 0-7 write protection.  Initial state (vcrtc_init): the 80x25
 * colour text mode (BIOS mode 3) register values, cursor at 0 (QEMU's
 * cursor ends wherever the BIOS's boot messages left it; a guest that
 * trusts the position only bounds-checks it, as xv6 does).
 *
 * Not modelled: the display itself (text memory at 0xB8000 is plain guest
 * RAM), the monochrome ports 0x3B4/0x3B5, the other VGA ports (0x3C0-0x3CF,
 * input status 0x3DA).  No time, no IRQ, hence no tick.
 */
#ifndef VIRTDEV_VCRTC_H
#define VIRTDEV_VCRTC_H

#include <stdbool.h>
#include <stdint.h>

#define CRTC_INDEX_PORT   0x3D4
#define CRTC_DATA_PORT    0x3D5
#define CRTC_NREGS        256
#define CRTC_CURSOR_HI    0x0E
#define CRTC_CURSOR_LO    0x0F
#define CRTC_OVERFLOW     0x07      /* bit 4 stays writable when locked */
#define CRTC_OVERFLOW_LINE_COMPARE8 0x10
#define CRTC_VSYNC_END    0x11
#define CRTC_LOCK_CR0_CR7 0x80      /* in register 0x11 */
#define CRTC_UNMAPPED_READ 0xFF

struct vcrtc {
	uint8_t index;
	uint8_t regs[CRTC_NREGS];
};

void vcrtc_init(struct vcrtc *c);
/* Guest IN/OUT on 0x3D4/0x3D5; other ports read 0xFF. */
uint8_t vcrtc_read(struct vcrtc *c, uint16_t port);
void vcrtc_write(struct vcrtc *c, uint16_t port, uint8_t value);
/* The cursor position (registers 0x0E:0x0F). */
uint16_t vcrtc_cursor(const struct vcrtc *c);

#endif
