/*
 * vioapic.c - the virtual I/O APIC: indirect registers, the redirection
 * table, edge and level pins, the EOI broadcast.
 *
 * Mechanism: see vioapic.h.  Map of this file:
 *   1. a redirection entry as a bus message;
 *   2. sending: edges at once, level pins while asserted and not blocked
 *      by the mask or remote IRR ("service", as QEMU calls it);
 *   3. the register window (IOREGSEL/IOWIN) and the EOI register;
 *   4. pins, EOI and init.
 *
 * Every state change that could unblock a level pin (a pin rising, an
 * entry written, an EOI) ends with service(); service() visits each pin
 * once, so it ends.
 */
#include "vioapic.h"

#define PAGE_OFFSET_MASK  0xFFu     /* QEMU decodes the low byte only */
#define HALF_SHIFT        32
#define LOW_HALF          0xFFFFFFFFull
#define BYTE_MASK         0xFFu

/* ---- 1. entries ---------------------------------------------------------- */

static struct vapic_msg entry_msg(uint64_t e)
{
	return (struct vapic_msg){
		.vector = (uint8_t)(e & IOAPIC_VECTOR_MASK),
		.dest = (uint8_t)(e >> IOAPIC_DEST_SHIFT),
		.delivery_mode = (uint8_t)((e >> IOAPIC_DM_SHIFT) & IOAPIC_DM_MASK),
		.logical = (e & IOAPIC_DEST_LOGICAL) != 0,
		.level = (e & IOAPIC_LEVEL) != 0,
	};
}

static void send(struct vioapic *io, unsigned pin)
{
	struct vapic_msg m = entry_msg(io->redtbl[pin]);

	io->sent++;
	if (!io->deliver || !io->deliver(io->ctx, &m))
		io->refused++;
}

/* ---- 2. service ---------------------------------------------------------- */

/* A pending pin: an edge entry sends once; a level entry sends and sets
 * remote IRR unless it is already set (then the EOI will call again). */
static void service_pin(struct vioapic *io, unsigned pin)
{
	uint64_t *e = &io->redtbl[pin];

	if (*e & IOAPIC_MASKED)
		return;
	if (!(*e & IOAPIC_LEVEL)) {
		io->pending &= ~(1u << pin);
		send(io, pin);
		return;
	}
	if (*e & IOAPIC_REMOTE_IRR)
		return;
	*e |= IOAPIC_REMOTE_IRR;
	send(io, pin);
}

static void service(struct vioapic *io)
{
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++)	/* bound: IOAPIC_NPINS */
		if (io->pending & (1u << pin))
			service_pin(io, pin);
}

/* ---- 3. registers -------------------------------------------------------- */

/* The redirection pin selected by IOREGSEL, or -1. */
static int selected_pin(const struct vioapic *io)
{
	int pin;

	if (io->regsel < IOAPIC_REG_TABLE)
		return -1;
	pin = (io->regsel - IOAPIC_REG_TABLE) >> 1;
	return pin < IOAPIC_NPINS ? pin : -1;
}

static uint32_t read_window(struct vioapic *io)
{
	int pin = selected_pin(io);

	switch (io->regsel) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION | ((IOAPIC_NPINS - 1) << IOAPIC_VER_ENTRIES_SHIFT);
	}
	if (pin < 0)
		return 0;
	if (io->regsel & 1)
		return (uint32_t)(io->redtbl[pin] >> HALF_SHIFT);
	return (uint32_t)(io->redtbl[pin] & LOW_HALF);
}

static void write_entry(struct vioapic *io, unsigned pin, uint32_t v)
{
	uint64_t *e = &io->redtbl[pin];
	uint64_t ro = *e & IOAPIC_RO_BITS;

	if (io->regsel & 1)
		*e = (*e & LOW_HALF) | ((uint64_t)v << HALF_SHIFT);
	else
		*e = (*e & ~LOW_HALF) | v;
	*e = (*e & ~IOAPIC_RO_BITS) | ro;
	if (!(*e & IOAPIC_LEVEL))
		*e &= ~IOAPIC_REMOTE_IRR;       /* an edge entry has no remote IRR */
	service(io);
}

static void write_window(struct vioapic *io, uint32_t v)
{
	int pin = selected_pin(io);

	if (io->regsel == IOAPIC_REG_ID)
		io->id = (v >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
	else if (pin >= 0)
		write_entry(io, (unsigned)pin, v);
}

uint32_t vioapic_mmio_read(struct vioapic *io, uint32_t off, unsigned size)
{
	switch (off & PAGE_OFFSET_MASK) {
	case IOAPIC_IOREGSEL:
		return io->regsel;
	case IOAPIC_IOWIN:
		if (size == 4)
			return read_window(io);
		break;
	}
	io->bad_access++;
	return 0;
}

void vioapic_mmio_write(struct vioapic *io, uint32_t off, unsigned size, uint32_t value)
{
	switch (off & PAGE_OFFSET_MASK) {
	case IOAPIC_IOREGSEL:
		io->regsel = (uint8_t)value;
		return;
	case IOAPIC_IOWIN:
		if (size == 4) {
			write_window(io, value);
			return;
		}
		break;
	case IOAPIC_EOI:
		if (size == 4) {
			vioapic_eoi(io, (uint8_t)(value & BYTE_MASK));
			return;
		}
		break;
	}
	io->bad_access++;
}

/* ---- 4. pins, EOI, init -------------------------------------------------- */

void vioapic_set_irq(struct vioapic *io, unsigned pin, bool level)
{
	uint32_t bit;
	bool rising;

	if (pin >= IOAPIC_NPINS)
		return;
	bit = 1u << pin;
	rising = level && !(io->levels & bit);
	io->levels = level ? io->levels | bit : io->levels & ~bit;
	if (io->redtbl[pin] & IOAPIC_LEVEL) {
		io->pending = level ? io->pending | bit : io->pending & ~bit;
		if (level)
			service_pin(io, pin);
		return;
	}
	if (!rising)
		return;
	if (io->redtbl[pin] & IOAPIC_MASKED) {
		io->masked_edges++;             /* the 82093AA ignores it */
		return;
	}
	send(io, pin);
}

unsigned vioapic_isa_pin(unsigned irq)
{
	return irq == 0 ? IOAPIC_PIT_PIN : irq;
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++) {	/* bound: IOAPIC_NPINS */
		uint64_t *e = &io->redtbl[pin];
		if ((*e & IOAPIC_VECTOR_MASK) != vector || !(*e & IOAPIC_LEVEL))
			continue;
		*e &= ~IOAPIC_REMOTE_IRR;
	}
	service(io);
}

void vioapic_init(struct vioapic *io, uint8_t id, vioapic_deliver_fn deliver, void *ctx)
{
	*io = (struct vioapic){ .id = id & IOAPIC_ID_MASK, .deliver = deliver, .ctx = ctx };
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++)	/* bound: IOAPIC_NPINS */
		io->redtbl[pin] = IOAPIC_MASKED;
}
