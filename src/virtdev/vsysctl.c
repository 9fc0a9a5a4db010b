/*
 * vsysctl.c - port 0x92 (see vsysctl.h).
 */
#include "vsysctl.h"

void vsysctl_init(struct vsysctl *s)
{
	s->value = SYSCTL_A20;
	s->reset_requested = false;
}

uint8_t vsysctl_read(struct vsysctl *s, uint16_t port)
{
	return port == SYSCTL_PORT ? s->value : SYSCTL_UNMAPPED_READ;
}

void vsysctl_write(struct vsysctl *s, uint16_t port, uint8_t value)
{
	if (port != SYSCTL_PORT)
		return;
	if ((value & SYSCTL_RESET) && !(s->value & SYSCTL_RESET))
		s->reset_requested = true;
	s->value = value;
}

bool vsysctl_a20(const struct vsysctl *s)
{
	return s->value & SYSCTL_A20;
}

bool vsysctl_reset_requested(const struct vsysctl *s)
{
	return s->reset_requested;
}
