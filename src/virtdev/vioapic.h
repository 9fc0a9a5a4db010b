/*
 * vioapic.h - the virtual I/O APIC (82093AA-style, at 0xFEC00000).
 *
 * Mechanism (real hardware): the I/O APIC turns interrupt pins into APIC
 * bus messages.  Software reaches its registers indirectly: write a
 * register number to IOREGSEL (offset 0x00), then read or write it through
 * IOWIN (offset 0x10).  Register 0 is the ID (bits 27-24), 1 the version
 * (bits 7-0) with the highest redirection entry in bits 23-16, 2 the
 * arbitration ID; 0x10 + 2n and 0x11 + 2n are the low and high halves of
 * pin n's 64-bit redirection entry: vector (7-0), delivery mode (10-8),
 * destination mode (11), delivery status (12, read-only), polarity (13),
 * remote IRR (14, read-only), trigger mode (15), mask (16), destination
 * (63-56).  An edge-triggered pin sends its message on a rising edge; a
 * masked pin ignores edges.  A level-triggered pin sends while asserted,
 * sets remote IRR, and sends again only after the local APIC's EOI for
 * that vector clears remote IRR (the EOI broadcast; version 0x20 also has
 * an EOI register at 0x40).
 *
 * What this model does, as QEMU's hw/intc/ioapic.c does (the native
 * reference): 24 pins, version 0x20 (0x00170020), ID read/write (4 bits),
 * arbitration reads as the ID, the redirection table with its read-only
 * bits kept, masking, edge and level triggering with remote IRR, the EOI
 * broadcast (vioapic_eoi) and the EOI register, and the PC wiring of ISA
 * IRQs to pins (IRQ 0, the PIT, on pin 2; the rest 1:1: vioapic_isa_pin).
 * A message goes out through the deliver callback, normally to the local
 * APIC (vlapic_deliver).
 *
 * Simplified, as QEMU does: polarity is stored but not applied (inputs are
 * active high); ExtINT delivery (the 8259's vector through a pin) is not
 * modelled: such messages are passed on with their delivery mode and the
 * local APIC refuses them; delivery status always reads 0.  One difference
 * from QEMU, on purpose: an edge-triggered pin fires on a rising edge of
 * the level the monitor reports (vioapic_set_irq is told levels, after
 * each device access), whereas a QEMU device that re-asserts a line that is
 * already high fires it again.  Only extra interrupts that find nothing to
 * do differ (a UART handler that has drained its FIFO).
 *
 * Initial state (vioapic_init): every entry masked, all else 0, as QEMU's
 * reset leaves it (the BIOS does not program it).
 *
 * Invariants: remote IRR is set only on level-triggered entries; pin
 * levels and the pending set are masks of IOAPIC_NPINS bits.
 */
#ifndef VIRTDEV_VIOAPIC_H
#define VIRTDEV_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vlapic.h"     /* struct vapic_msg, the message it sends */

#define IOAPIC_BASE       0xFEC00000u
#define IOAPIC_SIZE       0x1000u
#define IOAPIC_NPINS      24
#define IOAPIC_VERSION    0x20u

/* Offsets in the page. */
#define IOAPIC_IOREGSEL   0x00
#define IOAPIC_IOWIN      0x10
#define IOAPIC_EOI        0x40

/* Register numbers (IOREGSEL). */
#define IOAPIC_REG_ID     0x00
#define IOAPIC_REG_VER    0x01
#define IOAPIC_REG_ARB    0x02
#define IOAPIC_REG_TABLE  0x10      /* 0x10 + 2n: low half of pin n */

#define IOAPIC_ID_SHIFT   24
#define IOAPIC_ID_MASK    0x0Fu
#define IOAPIC_VER_ENTRIES_SHIFT 16

/* Redirection entry bits (64-bit entry). */
#define IOAPIC_VECTOR_MASK   0xFFull
#define IOAPIC_DM_SHIFT      8
#define IOAPIC_DM_MASK       0x7ull
#define IOAPIC_DEST_LOGICAL  (1ull << 11)
#define IOAPIC_DELIVS        (1ull << 12)
#define IOAPIC_ACTIVE_LOW    (1ull << 13)
#define IOAPIC_REMOTE_IRR    (1ull << 14)
#define IOAPIC_LEVEL         (1ull << 15)
#define IOAPIC_MASKED        (1ull << 16)
#define IOAPIC_DEST_SHIFT    56
#define IOAPIC_RO_BITS       (IOAPIC_DELIVS | IOAPIC_REMOTE_IRR)

/* The PC's ISA wiring: IRQ 0 on pin 2 (interrupt source override). */
#define IOAPIC_PIT_PIN       2

/* Sends one message; returns whether a local APIC accepted it. */
typedef bool (*vioapic_deliver_fn)(void *ctx, const struct vapic_msg *m);

struct vioapic {
	uint8_t id;
	uint8_t regsel;
	uint64_t redtbl[IOAPIC_NPINS];
	uint32_t levels;        /* current input level of each pin */
	uint32_t pending;       /* level pins waiting for the mask or remote IRR */
	vioapic_deliver_fn deliver;
	void *ctx;
	uint32_t sent, refused, masked_edges, bad_access;
};

void vioapic_init(struct vioapic *io, uint8_t id, vioapic_deliver_fn deliver, void *ctx);

/* Guest loads and stores at IOAPIC_BASE + off (size 1, 2 or 4; IOWIN and
 * EOI take 32-bit accesses only, IOREGSEL any). */
uint32_t vioapic_mmio_read(struct vioapic *io, uint32_t off, unsigned size);
void vioapic_mmio_write(struct vioapic *io, uint32_t off, unsigned size, uint32_t value);

/* The level of input pin (0-23); pins out of range are ignored. */
void vioapic_set_irq(struct vioapic *io, unsigned pin, bool level);
/* The pin ISA IRQ irq (0-15) is wired to. */
unsigned vioapic_isa_pin(unsigned irq);

/* The local APIC's EOI of a level-triggered vector (vlapic_eoi_fn). */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
