/*
 * vdebugexit.c - the debug-exit port: record the guest's exit request.
 *
 * Mechanism: see vdebugexit.h.  The device keeps the first value written
 * and a count of writes; deciding what to do with it (ending the run,
 * forwarding the code to the host's own isa-debug-exit) is the monitor's.
 */
#include <stddef.h>

#include "vdebugexit.h"

#define ALL_ONES_32 0xFFFFFFFFu
#define BITS_PER_BYTE 8

static uint32_t size_mask(unsigned size)
{
	return size >= sizeof(uint32_t) ? ALL_ONES_32 :
	       (1u << (size * BITS_PER_BYTE)) - 1;
}

static bool is_ours(uint16_t port)
{
	return port >= DEBUGEXIT_PORT && port - DEBUGEXIT_PORT < DEBUGEXIT_NPORTS;
}

void vdebugexit_init(struct vdebugexit *d)
{
	d->requested = false;
	d->value = 0;
	d->writes = 0;
}

uint32_t vdebugexit_read(struct vdebugexit *d, uint16_t port, unsigned size)
{
	(void)d;
	(void)port;
	return size_mask(size);
}

void vdebugexit_write(struct vdebugexit *d, uint16_t port, unsigned size,
		      uint32_t value)
{
	if (!is_ours(port))
		return;
	d->writes++;
	if (d->requested)
		return;
	d->requested = true;
	d->value = value & size_mask(size);
}

bool vdebugexit_requested(const struct vdebugexit *d, uint32_t *value)
{
	if (d->requested && value)
		*value = d->value;
	return d->requested;
}
