/*
 * vmmio.c - the virtual MMIO bus (see vmmio.h).
 */
#include "vmmio.h"

void vmmio_init(struct vmmio_bus *bus)
{
	bus->nranges = 0;
	bus->unclaimed = 0;
}

static bool overlaps(const struct vmmio_range *r, uint32_t base, uint32_t size)
{
	return base < r->base + r->size && r->base < base + size;
}

bool vmmio_map(struct vmmio_bus *bus, uint32_t base, uint32_t size,
	       const struct vmmio_ops *ops, void *dev, const char *name)
{
	if (bus->nranges >= VMMIO_MAX_RANGES || size == 0 || base + size < base)
		return false;
	for (unsigned i = 0; i < bus->nranges; i++)	/* bound: nranges <= VMMIO_MAX_RANGES */
		if (overlaps(&bus->ranges[i], base, size))
			return false;
	bus->ranges[bus->nranges++] = (struct vmmio_range){ base, size, ops, dev, name };
	return true;
}

const struct vmmio_range *vmmio_find(const struct vmmio_bus *bus, uint32_t gpa)
{
	for (unsigned i = 0; i < bus->nranges; i++)	/* bound: nranges <= VMMIO_MAX_RANGES */
		if (gpa - bus->ranges[i].base < bus->ranges[i].size)
			return &bus->ranges[i];
	return 0;
}

uint32_t vmmio_read(struct vmmio_bus *bus, uint32_t gpa, unsigned size)
{
	const struct vmmio_range *r = vmmio_find(bus, gpa);

	if (!r) {
		bus->unclaimed++;
		return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
	}
	return r->ops->read(r->dev, gpa - r->base, size);
}

void vmmio_write(struct vmmio_bus *bus, uint32_t gpa, unsigned size, uint32_t value)
{
	const struct vmmio_range *r = vmmio_find(bus, gpa);

	if (!r) {
		bus->unclaimed++;
		return;
	}
	r->ops->write(r->dev, gpa - r->base, size, value);
}
