/*
 * hostdisk.h - the monitor's driver for the real IDE disks of the machine
 * it runs on (primary channel, polled PIO, LBA28).
 *
 * This is the host side of a hosted VMM's disk path: the guest programs the
 * virtual IDE model (src/virtdev/vide.c); the model's backend calls this
 * driver, which programs the real (QEMU-emulated) controller, so a sector
 * the guest writes lands in the host's disk image.  See hostdisk.c for the
 * mechanism and the bounds on every wait.
 *
 * Units: 0 is the primary master (QEMU -drive ...,index=0), 1 the primary
 * slave (index=1).  Every failure logs one line ("hostdisk: hd1: ...") and
 * returns false; the caller reports an I/O error to the guest.
 */
#ifndef MON_HOSTDISK_H
#define MON_HOSTDISK_H

#include <stdbool.h>
#include <stdint.h>

#define HOSTDISK_UNITS        2
#define HOSTDISK_SECTOR_SIZE  512

/* Probes unit with IDENTIFY DEVICE: true and its size in sectors (LBA28)
 * if an ATA disk answers; false with a one-line reason in why if not. */
bool hostdisk_open(unsigned unit, uint32_t *nsectors, const char **why);

/* One 512-byte sector by LBA (below the size hostdisk_open gave). */
bool hostdisk_read(unsigned unit, uint32_t lba, uint8_t *buf);
bool hostdisk_write(unsigned unit, uint32_t lba, const uint8_t *buf);

/* Sectors moved and failures, for the exit table. */
struct hostdisk_stats {
	uint32_t reads, writes, failures;
};
const struct hostdisk_stats *hostdisk_stats(unsigned unit);

#endif
