/*
 * vcrtc.c - the CRT controller's indexed registers (see vcrtc.h).
 *
 * The whole device is a register file behind an index; the one rule is
 * VGA's write protection of registers 0-7 by register 0x11 bit 7.
 */
#include "vcrtc.h"

/* Registers 0x00-0x18 of BIOS mode 3 (80x25 colour text), as a VGA BIOS
 * programs them; the cursor (0x0E/0x0F) at the top left. */
static const uint8_t mode3[] = {
	0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F,
	0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
	0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3,
	0xFF,
};

void vcrtc_init(struct vcrtc *c)
{
	c->index = 0;
	for (unsigned i = 0; i < CRTC_NREGS; i++)	/* bound: CRTC_NREGS */
		c->regs[i] = i < sizeof mode3 ? mode3[i] : 0;
}

uint8_t vcrtc_read(struct vcrtc *c, uint16_t port)
{
	if (port == CRTC_INDEX_PORT)
		return c->index;
	if (port == CRTC_DATA_PORT)
		return c->regs[c->index];
	return CRTC_UNMAPPED_READ;
}

static void write_data(struct vcrtc *c, uint8_t v)
{
	bool locked = c->regs[CRTC_VSYNC_END] & CRTC_LOCK_CR0_CR7;

	if (locked && c->index <= CRTC_OVERFLOW) {
		if (c->index == CRTC_OVERFLOW)
			c->regs[CRTC_OVERFLOW] = (uint8_t)((c->regs[CRTC_OVERFLOW] &
				~CRTC_OVERFLOW_LINE_COMPARE8) | (v & CRTC_OVERFLOW_LINE_COMPARE8));
		return;
	}
	c->regs[c->index] = v;
}

void vcrtc_write(struct vcrtc *c, uint16_t port, uint8_t value)
{
	if (port == CRTC_INDEX_PORT)
		c->index = value;
	else if (port == CRTC_DATA_PORT)
		write_data(c, value);
}

uint16_t vcrtc_cursor(const struct vcrtc *c)
{
	return (uint16_t)(c->regs[CRTC_CURSOR_HI] << 8 | c->regs[CRTC_CURSOR_LO]);
}
