/*
 * vio.h - the virtual I/O port bus: routes guest IN/OUT to device models.
 *
 * Mechanism (real hardware): x86 has a separate 64K I/O port space reached
 * by IN/OUT (and INS/OUTS) with 8, 16 or 32-bit operands.  On a PC the ISA
 * devices (PIC, PIT, UART, ...) are 8-bit: the chipset splits a 16-bit
 * access at port p into byte cycles at p and p+1 (low byte first), a 32-bit
 * one into four.  A port no device decodes floats: reads return all ones
 * and writes vanish.  Under the monitor every IN/OUT traps (IOPL 0, no I/O
 * bitmap), the emulator decodes port and size, and calls vio_read/vio_write.
 *
 * What this module does: a small table of port ranges, each with a device
 * and its ops.  An access no wider than the device's width goes to it in one
 * call; a wider one is split into width-sized pieces at consecutive ports,
 * little-endian, each piece routed on its own (so a piece may land on
 * another device or on nothing).  Which device "owns" an access is decided
 * by its first port: if no range contains it, the whole access is unknown:
 * it reads as all ones for its size (0xFF, 0xFFFF, 0xFFFFFFFF), a write is
 * ignored, and it is counted once.  Unknown accesses are counted in total,
 * per port for the first VIO_UNKNOWN_SLOTS distinct ports (reads and writes
 * apart; later ports only add to 'untracked'), and the last VIO_RECENT ports
 * are kept in a ring, so the monitor can report what the guest probed.
 * Sizes other than 1, 2, 4 are a caller bug: counted in bad_size, reads
 * return all ones, writes are ignored.  Port numbers wrap at 0xFFFF.
 *
 * Attaching the standard devices (vio_attach_*):
 *   PIC 0x20-0x21, 0xA0-0xA1 | PIT 0x40-0x43, 0x61 | UART base..base+7 |
 *   debug-exit 0xF4-0xF7 (width 4: `outl 0xF4` reaches it whole) |
 *   IDE 0x1F0 (width 4: 16/32-bit data), 0x1F1-0x1F7, 0x3F6 | CRTC 0x3D4-0x3D5 |
 *   keyboard controller 0x60, 0x64 | system control port A 0x92.
 *
 * The bus knows nothing of IRQs.  After each vio access and each timer or
 * host-serial event the monitor wires the lines:
 *   for (n = vpit_advance(pit, dt); n; n--) vpic_pulse_irq(pic, PIT_IRQ);
 *   vpic_set_irq(pic, uart->irq, vuart_irq_pending(uart));
 *   vpic_set_irq(pic, IDE_PRIMARY_IRQ, vide_irq(ide));  (and the I/O APIC pin)
 *   if (vdebugexit_requested(dbg, &code)) end the run with code;
 *   deliver vpic_pending_vector()/vpic_ack() when the virtual IF is set.
 *
 * Invariants: ranges do not overlap; nranges <= VIO_MAX_RANGES; every
 * range's width is 1, 2 or 4.
 */
#ifndef VIRTDEV_VIO_H
#define VIRTDEV_VIO_H

#include <stdbool.h>
#include <stdint.h>

#include "vcrtc.h"
#include "vdebugexit.h"
#include "vide.h"
#include "vkbc.h"
#include "vpic.h"
#include "vpit.h"
#include "vsysctl.h"
#include "vuart.h"

#define VIO_MAX_RANGES      24
#define VIO_UNKNOWN_SLOTS   16
#define VIO_RECENT          8

/* A device's side of the bus.  size <= width; read results are cut to
 * size by the bus. */
struct vio_ops {
	uint32_t (*read)(void *dev, uint16_t port, unsigned size);
	void (*write)(void *dev, uint16_t port, unsigned size, uint32_t value);
	unsigned width;         /* widest access taken whole: 1, 2 or 4 */
};

struct vio_range {
	uint16_t first, last;   /* inclusive */
	const struct vio_ops *ops;
	void *dev;
	const char *name;       /* for traces */
};

struct vio_unknown_port {
	uint16_t port;
	uint32_t reads, writes;
};

struct vio_unknown {
	uint32_t total;                 /* all unknown accesses */
	uint32_t untracked;             /* those to ports without a slot */
	unsigned nports;
	struct vio_unknown_port ports[VIO_UNKNOWN_SLOTS];
	uint16_t recent[VIO_RECENT];    /* ring of the last ports */
	unsigned recent_next;           /* slot the next one goes to */
	unsigned nrecent;               /* valid entries, <= VIO_RECENT */
};

struct vio_bus {
	struct vio_range ranges[VIO_MAX_RANGES];
	unsigned nranges;
	struct vio_unknown unknown;
	uint32_t bad_size;
};

void vio_init(struct vio_bus *bus);

/* Maps ports first..last to dev.  False (and nothing mapped) if the table
 * is full, the range is empty or overlaps a mapped one, or width is bad. */
bool vio_map(struct vio_bus *bus, uint16_t first, uint16_t last,
	     const struct vio_ops *ops, void *dev, const char *name);

bool vio_attach_pic(struct vio_bus *bus, struct vpic *pic);
bool vio_attach_pit(struct vio_bus *bus, struct vpit *pit);
bool vio_attach_uart(struct vio_bus *bus, struct vuart *uart);
bool vio_attach_debugexit(struct vio_bus *bus, struct vdebugexit *d);
bool vio_attach_ide(struct vio_bus *bus, struct vide *ide);
bool vio_attach_crtc(struct vio_bus *bus, struct vcrtc *crtc);
bool vio_attach_kbc(struct vio_bus *bus, struct vkbc *kbc);
bool vio_attach_sysctl(struct vio_bus *bus, struct vsysctl *s);

/* The guest's IN and OUT; size is 1, 2 or 4. */
uint32_t vio_read(struct vio_bus *bus, uint16_t port, unsigned size);
void vio_write(struct vio_bus *bus, uint16_t port, unsigned size,
	       uint32_t value);

/* All ones in the low size bytes (size 1, 2 or 4); inline, since the
 * trap path (emulated I/O and page-table writes) uses it on every access. */
static inline uint32_t vio_size_mask(unsigned size)
{
	return size >= 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

/* The range that decodes port, or NULL. */
const struct vio_range *vio_find(const struct vio_bus *bus, uint16_t port);

/* Unknown accesses (reads + writes) to port, if it has a slot, else 0. */
uint32_t vio_unknown_count(const struct vio_bus *bus, uint16_t port);
/* The i-th most recent unknown port (0 = newest); false if i >= nrecent. */
bool vio_unknown_recent(const struct vio_bus *bus, unsigned i,
			uint16_t *port);

#endif
