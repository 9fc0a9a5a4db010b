/*
 * hostdisk.c - polled PIO ATA on the real primary IDE channel.
 *
 * Mechanism (ATA-4 PIO data-in/data-out protocols): wait until the drive
 * is not busy (status BSY clear), select it in the device register with
 * the LBA bit and LBA bits 27-24, give the sector count and LBA bits 23-0,
 * write the command (READ SECTORS 0x20 / WRITE SECTORS 0x30 / IDENTIFY
 * 0xEC).  For a read the drive sets BSY, fetches the sector, then clears
 * BSY and sets DRQ: the host reads 256 words from the data port.  For a
 * write the drive sets DRQ at once: the host writes 256 words, the drive
 * sets BSY while it stores them, then clears it.  ERR (with the error
 * register) or DF at the end means failure.  A drive needs 400 ns after
 * being selected before its status is meaningful: four reads of the
 * alternate status give that.
 *
 * What this file does: exactly that, with interrupts off at the drive (nIEN
 * in the device control register: the monitor polls, and its PIC keeps
 * IRQ 14 masked anyway).  Every wait is bounded by time on the monitor's
 * clock (host_pit_now, HOSTDISK_TIMEOUT_MS) and, as a second bound that
 * holds whatever the clock does, by a number of status reads
 * (HOSTDISK_MAX_POLLS); a drive that does not answer in time fails the
 * request with one log line.
 * The data moves with REP INSW/OUTSW (256 words).
 *
 * Not done: no DMA, no LBA48, no multi-sector commands (one sector per
 * request is what the IDE model asks), no FLUSH CACHE (QEMU has written the
 * image file by the time the command completes), no secondary channel.
 * The guest's own IDE ports are the same numbers but never reach this
 * hardware: every guest IN/OUT traps to the virtual model.
 */
#include "hostdisk.h"
#include "hosthw.h"
#include "monitor.h"
#include "x86.h"

#define ATA_DATA          0x1F0
#define ATA_ERROR         0x1F1
#define ATA_NSECTOR       0x1F2
#define ATA_LBA0          0x1F3
#define ATA_LBA1          0x1F4
#define ATA_LBA2          0x1F5
#define ATA_DEVICE        0x1F6
#define ATA_STATUS        0x1F7     /* read; write: command */
#define ATA_ALTSTATUS     0x3F6     /* read; write: device control */

#define ATA_ST_ERR        0x01
#define ATA_ST_DRQ        0x08
#define ATA_ST_DF         0x20
#define ATA_ST_DRDY       0x40
#define ATA_ST_BSY        0x80
#define ATA_ST_FLOATING   0xFF      /* no controller: the bus floats high */

#define ATA_DEV_LBA       0xE0      /* LBA mode and the obsolete one bits */
#define ATA_DEV_SLAVE     0x10
#define ATA_LBA_HIGH_MASK 0x0F
#define ATA_CTRL_NIEN     0x02

#define ATA_CMD_READ      0x20
#define ATA_CMD_WRITE     0x30
#define ATA_CMD_IDENTIFY  0xEC

#define ATA_ID_LBA28_LO   60        /* IDENTIFY words 60-61: LBA28 sectors */
#define ATA_ID_LBA28_HI   61
#define ATA_LBA28_LIMIT   (1u << 28)
#define SECTOR_WORDS      (HOSTDISK_SECTOR_SIZE / 2)
#define SELECT_DELAY_READS 4        /* 4 x ~100 ns ISA reads >= 400 ns */

#define HOSTDISK_TIMEOUT_MS 2000u   /* a request may take this long */
#define HOSTDISK_TIMEOUT_TICKS (HOST_PIT_HZ / 1000u * HOSTDISK_TIMEOUT_MS)
#define HOSTDISK_MAX_POLLS 50000000u        /* status reads per wait, whatever the PIT does */
#define HOSTDISK_LOG_MAX  8         /* failure lines logged per run */

static struct hostdisk_stats stats[HOSTDISK_UNITS];
static unsigned failures_logged;

static inline void insw(uint16_t port, void *buf, uint32_t words)
{
	__asm__ volatile("cld; rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static inline void outsw(uint16_t port, const void *buf, uint32_t words)
{
	__asm__ volatile("cld; rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

/* One line per failure, up to HOSTDISK_LOG_MAX, then one that says so. */
static bool fail(unsigned unit, const char *what, uint32_t lba, uint8_t status)
{
	stats[unit].failures++;
	if (failures_logged < HOSTDISK_LOG_MAX)
		mon_log("hostdisk: hd%u: %s of sector %u failed (status 0x%x, error 0x%x)",
			unit, what, lba, status, inb(ATA_ERROR));
	else if (failures_logged == HOSTDISK_LOG_MAX)
		mon_log("hostdisk: further failures are counted, not logged");
	failures_logged++;
	return false;
}

/* Polls the alternate status until (status & mask) == want.  Bounded by
 * HOSTDISK_TIMEOUT_TICKS of the monitor's clock and by HOSTDISK_MAX_POLLS
 * reads.
 * Returns the last status; *ok says whether it matched in time. */
static uint8_t wait_status(uint8_t mask, uint8_t want, bool *ok)
{
	uint64_t start = host_pit_now();
	uint8_t st = ATA_ST_FLOATING;

	/* bound: HOSTDISK_MAX_POLLS polls, and HOSTDISK_TIMEOUT_MS */
	for (uint32_t polls = 0; polls < HOSTDISK_MAX_POLLS; polls++) {
		st = inb(ATA_ALTSTATUS);
		if ((st & mask) == want) {
			*ok = true;
			return inb(ATA_STATUS);    /* also acknowledges the drive */
		}
		if (host_pit_now() - start > HOSTDISK_TIMEOUT_TICKS)
			break;
	}
	*ok = false;
	return st;
}

static void select_drive(unsigned unit, uint32_t lba)
{
	outb(ATA_ALTSTATUS, ATA_CTRL_NIEN);
	outb(ATA_DEVICE, (uint8_t)(ATA_DEV_LBA | (unit ? ATA_DEV_SLAVE : 0) |
				   ((lba >> 24) & ATA_LBA_HIGH_MASK)));
	for (unsigned i = 0; i < SELECT_DELAY_READS; i++)	/* bound: SELECT_DELAY_READS */
		(void)inb(ATA_ALTSTATUS);
}

/* Selects the drive and issues cmd for one sector at lba; false (with the
 * status in *st) if the drive stayed busy. */
static bool issue(unsigned unit, uint32_t lba, uint8_t cmd, uint8_t *st)
{
	bool ok;

	select_drive(unit, lba);
	*st = wait_status(ATA_ST_BSY, 0, &ok);
	if (!ok)
		return false;
	outb(ATA_NSECTOR, 1);
	outb(ATA_LBA0, (uint8_t)lba);
	outb(ATA_LBA1, (uint8_t)(lba >> 8));
	outb(ATA_LBA2, (uint8_t)(lba >> 16));
	outb(ATA_STATUS, cmd);
	return true;
}

/* After a command: BSY clear, then DRQ without ERR or DF. */
static bool data_ready(uint8_t *st)
{
	bool ok;

	*st = wait_status(ATA_ST_BSY, 0, &ok);
	return ok && !(*st & (ATA_ST_ERR | ATA_ST_DF)) && (*st & ATA_ST_DRQ);
}

bool hostdisk_read(unsigned unit, uint32_t lba, uint8_t *buf)
{
	uint8_t st;

	if (unit >= HOSTDISK_UNITS || lba >= ATA_LBA28_LIMIT)
		return fail(unit & 1, "read", lba, 0);
	if (!issue(unit, lba, ATA_CMD_READ, &st) || !data_ready(&st))
		return fail(unit, "read", lba, st);
	insw(ATA_DATA, buf, SECTOR_WORDS);
	stats[unit].reads++;
	return true;
}

bool hostdisk_write(unsigned unit, uint32_t lba, const uint8_t *buf)
{
	uint8_t st;
	bool ok;

	if (unit >= HOSTDISK_UNITS || lba >= ATA_LBA28_LIMIT)
		return fail(unit & 1, "write", lba, 0);
	if (!issue(unit, lba, ATA_CMD_WRITE, &st) || !data_ready(&st))
		return fail(unit, "write", lba, st);
	outsw(ATA_DATA, buf, SECTOR_WORDS);
	st = wait_status(ATA_ST_BSY, 0, &ok);
	if (!ok || (st & (ATA_ST_ERR | ATA_ST_DF)))
		return fail(unit, "write", lba, st);
	stats[unit].writes++;
	return true;
}

bool hostdisk_open(unsigned unit, uint32_t *nsectors, const char **why)
{
	uint16_t id[SECTOR_WORDS];
	uint8_t st;

	*why = "no such unit (hd0 and hd1 only)";
	if (unit >= HOSTDISK_UNITS)
		return false;
	select_drive(unit, 0);
	st = inb(ATA_ALTSTATUS);
	*why = "no drive answers there (QEMU: -drive file=IMG,index=N,media=disk,format=raw)";
	if (st == 0 || st == ATA_ST_FLOATING)
		return false;
	if (!issue(unit, 0, ATA_CMD_IDENTIFY, &st) || !data_ready(&st))
		return false;               /* no ATA disk (or an ATAPI one) */
	insw(ATA_DATA, id, SECTOR_WORDS);
	*nsectors = id[ATA_ID_LBA28_LO] | (uint32_t)id[ATA_ID_LBA28_HI] << 16;
	*why = "the drive reports no LBA28 sectors";
	return *nsectors != 0;
}

const struct hostdisk_stats *hostdisk_stats(unsigned unit)
{
	return &stats[unit & 1];
}
