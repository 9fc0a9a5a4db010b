/*
 * vio.c - the port bus: range table, access splitting, unknown-port counts.
 *
 * Mechanism: see vio.h.  Map of this file:
 *   1. sizes and masks;
 *   2. the unknown-port record;
 *   3. the range table and the adapters that give each device model the
 *      bus's (dev, port, size) shape;
 *   4. vio_read/vio_write, which split accesses wider than a device.
 *
 * Splitting recurses at most once per piece and each piece is narrower than
 * the access it came from, so it ends.
 */
#include <stddef.h>

#include "vio.h"

#define ALL_ONES_32   0xFFFFFFFFu
#define BITS_PER_BYTE 8
#define ISA_WIDTH     1     /* the PC devices here are 8-bit ISA parts */
#define IDE_DATA_WIDTH 4    /* the IDE data port takes 16 and 32-bit accesses */

/* ---- 1. sizes ---------------------------------------------------------- */

static bool valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4;
}

/* ---- 2. unknown ports -------------------------------------------------- */

/* The slot for port, creating it if there is room; NULL if none. */
static struct vio_unknown_port *unknown_slot(struct vio_unknown *u,
					     uint16_t port)
{
	for (unsigned i = 0; i < u->nports; i++)	/* bound: nports <= VIO_UNKNOWN_SLOTS */
		if (u->ports[i].port == port)
			return &u->ports[i];
	if (u->nports == VIO_UNKNOWN_SLOTS)
		return NULL;
	u->ports[u->nports].port = port;
	u->ports[u->nports].reads = 0;
	u->ports[u->nports].writes = 0;
	return &u->ports[u->nports++];
}

static void note_unknown(struct vio_bus *bus, uint16_t port, bool write)
{
	struct vio_unknown *u = &bus->unknown;
	struct vio_unknown_port *slot = unknown_slot(u, port);

	u->total++;
	if (!slot)
		u->untracked++;
	else if (write)
		slot->writes++;
	else
		slot->reads++;
	u->recent[u->recent_next] = port;
	u->recent_next = (u->recent_next + 1) % VIO_RECENT;
	if (u->nrecent < VIO_RECENT)
		u->nrecent++;
}

/* ---- 3. ranges and device adapters ------------------------------------- */

static bool overlaps(const struct vio_range *r, uint16_t first, uint16_t last)
{
	return first <= r->last && r->first <= last;
}

bool vio_map(struct vio_bus *bus, uint16_t first, uint16_t last,
	     const struct vio_ops *ops, void *dev, const char *name)
{
	struct vio_range *r;

	if (bus->nranges == VIO_MAX_RANGES || first > last ||
	    !valid_size(ops->width))
		return false;
	for (unsigned i = 0; i < bus->nranges; i++)	/* bound: nranges <= VIO_MAX_RANGES */
		if (overlaps(&bus->ranges[i], first, last))
			return false;
	r = &bus->ranges[bus->nranges++];
	r->first = first;
	r->last = last;
	r->ops = ops;
	r->dev = dev;
	r->name = name;
	return true;
}

static uint32_t pic_read(void *dev, uint16_t port, unsigned size)
{
	(void)size;
	return vpic_read(dev, port);
}

static void pic_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)size;
	vpic_write(dev, port, (uint8_t)v);
}

static uint32_t pit_read(void *dev, uint16_t port, unsigned size)
{
	(void)size;
	return vpit_read(dev, port);
}

static void pit_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)size;
	vpit_write(dev, port, (uint8_t)v);
}

static uint32_t uart_read(void *dev, uint16_t port, unsigned size)
{
	(void)size;
	return vuart_read(dev, port);
}

static void uart_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)size;
	vuart_write(dev, port, (uint8_t)v);
}

static uint32_t dbg_read(void *dev, uint16_t port, unsigned size)
{
	return vdebugexit_read(dev, port, size);
}

static void dbg_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	vdebugexit_write(dev, port, size, v);
}

static uint32_t ide_read(void *dev, uint16_t port, unsigned size)
{
	return vide_read(dev, port, size);
}

static void ide_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	vide_write(dev, port, size, v);
}

static uint32_t crtc_read(void *dev, uint16_t port, unsigned size)
{
	(void)size;
	return vcrtc_read(dev, port);
}

static void crtc_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)size;
	vcrtc_write(dev, port, (uint8_t)v);
}

static uint32_t kbc_read(void *dev, uint16_t port, unsigned size)
{
	(void)size;
	return vkbc_read(dev, port);
}

static void kbc_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)size;
	vkbc_write(dev, port, (uint8_t)v);
}

static uint32_t sysctl_read(void *dev, uint16_t port, unsigned size)
{
	(void)size;
	return vsysctl_read(dev, port);
}

static void sysctl_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)size;
	vsysctl_write(dev, port, (uint8_t)v);
}

static const struct vio_ops pic_ops = { pic_read, pic_write, ISA_WIDTH };
static const struct vio_ops pit_ops = { pit_read, pit_write, ISA_WIDTH };
static const struct vio_ops uart_ops = { uart_read, uart_write, ISA_WIDTH };
static const struct vio_ops dbg_ops = { dbg_read, dbg_write, DEBUGEXIT_WIDTH };
static const struct vio_ops ide_data_ops = { ide_read, ide_write, IDE_DATA_WIDTH };
static const struct vio_ops ide_ops = { ide_read, ide_write, ISA_WIDTH };
static const struct vio_ops crtc_ops = { crtc_read, crtc_write, ISA_WIDTH };
static const struct vio_ops kbc_ops = { kbc_read, kbc_write, ISA_WIDTH };
static const struct vio_ops sysctl_ops = { sysctl_read, sysctl_write, ISA_WIDTH };

bool vio_attach_pic(struct vio_bus *bus, struct vpic *pic)
{
	return vio_map(bus, PIC_MASTER_CMD, PIC_MASTER_DATA, &pic_ops, pic,
		       "pic-master") &&
	       vio_map(bus, PIC_SLAVE_CMD, PIC_SLAVE_DATA, &pic_ops, pic,
		       "pic-slave");
}

bool vio_attach_pit(struct vio_bus *bus, struct vpit *pit)
{
	return vio_map(bus, PIT_CH0_PORT, PIT_CTRL_PORT, &pit_ops, pit, "pit") &&
	       vio_map(bus, PIT_PORTB, PIT_PORTB, &pit_ops, pit, "port61");
}

bool vio_attach_uart(struct vio_bus *bus, struct vuart *uart)
{
	return vio_map(bus, uart->base,
		       (uint16_t)(uart->base + UART_NPORTS - 1), &uart_ops,
		       uart, "uart");
}

bool vio_attach_debugexit(struct vio_bus *bus, struct vdebugexit *d)
{
	return vio_map(bus, DEBUGEXIT_PORT,
		       DEBUGEXIT_PORT + DEBUGEXIT_NPORTS - 1, &dbg_ops, d,
		       "debug-exit");
}

bool vio_attach_ide(struct vio_bus *bus, struct vide *ide)
{
	return vio_map(bus, IDE_PRIMARY_BASE, IDE_PRIMARY_BASE, &ide_data_ops, ide,
		       "ide-data") &&
	       vio_map(bus, IDE_PRIMARY_BASE + 1, IDE_PRIMARY_BASE + IDE_NPORTS - 1, &ide_ops,
		       ide, "ide") &&
	       vio_map(bus, IDE_PRIMARY_CTRL, IDE_PRIMARY_CTRL, &ide_ops, ide, "ide-ctrl");
}

bool vio_attach_crtc(struct vio_bus *bus, struct vcrtc *crtc)
{
	return vio_map(bus, CRTC_INDEX_PORT, CRTC_DATA_PORT, &crtc_ops, crtc, "crtc");
}

bool vio_attach_kbc(struct vio_bus *bus, struct vkbc *kbc)
{
	return vio_map(bus, KBC_DATA_PORT, KBC_DATA_PORT, &kbc_ops, kbc, "kbc-data") &&
	       vio_map(bus, KBC_STATUS_PORT, KBC_STATUS_PORT, &kbc_ops, kbc, "kbc-status");
}

bool vio_attach_sysctl(struct vio_bus *bus, struct vsysctl *s)
{
	return vio_map(bus, SYSCTL_PORT, SYSCTL_PORT, &sysctl_ops, s, "port92");
}

void vio_init(struct vio_bus *bus)
{
	bus->nranges = 0;
	bus->bad_size = 0;
	bus->unknown.total = 0;
	bus->unknown.untracked = 0;
	bus->unknown.nports = 0;
	bus->unknown.recent_next = 0;
	bus->unknown.nrecent = 0;
}

const struct vio_range *vio_find(const struct vio_bus *bus, uint16_t port)
{
	for (unsigned i = 0; i < bus->nranges; i++)	/* bound: nranges <= VIO_MAX_RANGES */
		if (port >= bus->ranges[i].first && port <= bus->ranges[i].last)
			return &bus->ranges[i];
	return NULL;
}

/* ---- 4. access --------------------------------------------------------- */

static uint32_t read_split(struct vio_bus *bus, uint16_t port, unsigned size,
			   unsigned width)
{
	uint32_t v = 0;

	for (unsigned off = 0; off < size; off += width)	/* bound: size / width, at most 4 */
		v |= vio_read(bus, (uint16_t)(port + off), width) <<
		     (off * BITS_PER_BYTE);
	return v;
}

static void write_split(struct vio_bus *bus, uint16_t port, unsigned size,
			unsigned width, uint32_t value)
{
	for (unsigned off = 0; off < size; off += width)	/* bound: size / width, at most 4 */
		vio_write(bus, (uint16_t)(port + off), width,
			  (value >> (off * BITS_PER_BYTE)) & vio_size_mask(width));
}

uint32_t vio_read(struct vio_bus *bus, uint16_t port, unsigned size)
{
	const struct vio_range *r;

	if (!valid_size(size)) {
		bus->bad_size++;
		return ALL_ONES_32;
	}
	r = vio_find(bus, port);
	if (!r) {
		note_unknown(bus, port, false);
		return vio_size_mask(size);
	}
	if (size > r->ops->width)
		return read_split(bus, port, size, r->ops->width);
	return r->ops->read(r->dev, port, size) & vio_size_mask(size);
}

void vio_write(struct vio_bus *bus, uint16_t port, unsigned size,
	       uint32_t value)
{
	const struct vio_range *r;

	if (!valid_size(size)) {
		bus->bad_size++;
		return;
	}
	r = vio_find(bus, port);
	if (!r) {
		note_unknown(bus, port, true);
		return;
	}
	if (size > r->ops->width)
		write_split(bus, port, size, r->ops->width, value);
	else
		r->ops->write(r->dev, port, size, value & vio_size_mask(size));
}

uint32_t vio_unknown_count(const struct vio_bus *bus, uint16_t port)
{
	const struct vio_unknown *u = &bus->unknown;

	for (unsigned i = 0; i < u->nports; i++)	/* bound: nports <= VIO_UNKNOWN_SLOTS */
		if (u->ports[i].port == port)
			return u->ports[i].reads + u->ports[i].writes;
	return 0;
}

bool vio_unknown_recent(const struct vio_bus *bus, unsigned i, uint16_t *port)
{
	const struct vio_unknown *u = &bus->unknown;

	if (i >= u->nrecent)
		return false;
	*port = u->recent[(u->recent_next + VIO_RECENT - 1 - i) % VIO_RECENT];
	return true;
}
