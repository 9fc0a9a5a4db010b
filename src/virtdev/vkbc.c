/*
 * vkbc.c - the 8042's ports with no device behind them (see vkbc.h).
 */
#include "vkbc.h"

#define KBC_EMPTY_DATA 0x00

void vkbc_init(struct vkbc *k)
{
	*k = (struct vkbc){ 0 };
}

uint8_t vkbc_read(struct vkbc *k, uint16_t port)
{
	(void)k;
	if (port == KBC_STATUS_PORT)
		return KBC_STATUS_IDLE;
	if (port == KBC_DATA_PORT)
		return KBC_EMPTY_DATA;
	return KBC_UNMAPPED_READ;
}

void vkbc_write(struct vkbc *k, uint16_t port, uint8_t value)
{
	if (port == KBC_STATUS_PORT) {
		k->commands++;
		if (value == KBC_CMD_RESET)
			k->reset_requested = true;
	} else if (port == KBC_DATA_PORT) {
		k->data_writes++;
	}
}

bool vkbc_reset_requested(const struct vkbc *k)
{
	return k->reset_requested;
}
