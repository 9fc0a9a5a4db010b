/*
 * vide.h - the virtual IDE (ATA) controller: primary channel, two drives,
 * PIO only (ports 0x1F0-0x1F7 and 0x3F6, IRQ 14).
 *
 * Mechanism (real hardware): a channel has one set of task-file registers
 * shared by its two drives (master, slave); bit 4 of the device register
 * (0x1F6) selects which drive answers.  Software writes the sector count
 * (0x1F2), the address (LBA bits 0-23 in 0x1F3-0x1F5, bits 24-27 in the
 * device register with its LBA bit 6 set; or cylinder/head/sector) and a
 * command (0x1F7).  The drive sets BSY while it works, then DRQ when the
 * 512 bytes of a sector may move through the 16-bit data register (0x1F0;
 * a 32-bit access moves two words, as INSL/OUTSL do); it raises IRQ 14
 * when a sector is ready to read, after each sector written, and when a
 * command ends.  Reading the status register (0x1F7) clears the interrupt;
 * the alternate status register (0x3F6) reads the same bits without
 * clearing it.  Writing the device control register (0x3F6): nIEN (bit 1)
 * stops the drive raising IRQ 14, SRST (bit 2) resets both drives.
 *
 * What this model does, step by step as QEMU's hw/ide/core.c does (the
 * native reference), with the status a read gives after each step:
 *   reset / idle                      DRDY|DSC (0x50)
 *   READ SECTORS (0x20/0x21)          sector read at once: DRDY|DSC|DRQ
 *                                     (0x58), IRQ; after its 512 bytes the
 *                                     next sector the same way; after the
 *                                     last, 0x50, no IRQ
 *   WRITE SECTORS (0x30/0x31)         0x58, no IRQ; after 512 bytes the
 *                                     sector is written: 0x58 and IRQ if
 *                                     more follow, else 0x50 and IRQ
 *   IDENTIFY DEVICE (0xEC)            QEMU's identify data ("QEMU
 *                                     HARDDISK", serial QM0000n, geometry,
 *                                     LBA28 size): 0x58, IRQ; then 0x50
 *   EXECUTE DEVICE DIAGNOSTIC (0x90)  signature, error 0x01, 0x50, IRQ
 *   INITIALIZE DEVICE PARAMETERS (0x91), RECALIBRATE (0x10), SEEK (0x70),
 *   READ VERIFY (0x40/0x41), CHECK POWER MODE (0xE5/0x98), FLUSH CACHE
 *   (0xE7), the power commands (0xE0-0xE3, 0x94-0x97), SET FEATURES
 *   (0xEF; write cache, transfer mode and the other features QEMU takes):
 *                                     complete at once, 0x50, IRQ
 *   any other command, a read or write outside the disk, a backend error
 *                                     DRDY|ERR (0x41), error ABRT, IRQ
 * Addresses are LBA28 or CHS (QEMU's geometry guess: 16 heads, 63
 * sectors per track); the sector count 0 means 256.  The task file follows
 * the transfer (the address of the next sector) as on QEMU.  Register
 * writes other than the command are ignored while BSY or DRQ; commands are
 * ignored while BSY or DRQ, and to an absent slave.  An absent slave reads
 * status 0 (what xv6's probe of disk 1 checks); with no drive at all every
 * register reads 0.  A data-register access outside a data phase reads 0
 * (bytes: 0xFF) and moves nothing.
 *
 * Simplified: the backend is synchronous, so a command completes inside
 * the guest's OUT and BSY is never seen (QEMU reads asynchronously; a
 * guest polling BSY/DRDY, as xv6's idewait does, sees the same end state).
 * SRST resets both drives at once when it is set, runs their diagnostic
 * (error 0x01, IRQ) and clears itself, as QEMU's bottom half does; the
 * selected unit stays.  No DMA, no LBA48, no
 * READ/WRITE MULTIPLE (aborted), no secondary channel, no ATAPI.
 *
 * The IRQ line: vide_irq() is IRQ 14's level.  A completion raises it
 * (unless nIEN); a status-register read or a command write lowers it, as in
 * QEMU.  The monitor copies it to the PIC/I/O APIC after every access.
 *
 * Backend: each drive reads and writes 512-byte sectors by LBA through a
 * struct vide_backend (the monitor's host disk driver, or a RAM image).
 *
 * Invariants: pos <= end <= IDE_SECTOR_SIZE; DRQ is set exactly while a
 * transfer is in progress (xfer != IDE_XFER_NONE); unit is 0 or 1.
 */
#ifndef VIRTDEV_VIDE_H
#define VIRTDEV_VIDE_H

#include <stdbool.h>
#include <stdint.h>

#define IDE_PRIMARY_BASE  0x1F0
#define IDE_PRIMARY_CTRL  0x3F6     /* alternate status / device control */
#define IDE_PRIMARY_IRQ   14
#define IDE_NPORTS        8
#define IDE_SECTOR_SIZE   512
#define IDE_NDRIVES       2

/* Task-file registers (offset from the base). */
#define IDE_REG_DATA      0
#define IDE_REG_ERROR     1         /* read; write: features */
#define IDE_REG_NSECTOR   2
#define IDE_REG_SECTOR    3         /* LBA 7-0 */
#define IDE_REG_LCYL      4         /* LBA 15-8 */
#define IDE_REG_HCYL      5         /* LBA 23-16 */
#define IDE_REG_SELECT    6         /* device/head */
#define IDE_REG_STATUS    7         /* read; write: command */

/* Status. */
#define IDE_ERR           0x01
#define IDE_DRQ           0x08
#define IDE_DSC           0x10      /* seek complete */
#define IDE_DF            0x20
#define IDE_DRDY          0x40
#define IDE_BSY           0x80

/* Error. */
#define IDE_ABRT          0x04
#define IDE_DIAG_PASSED   0x01      /* EXECUTE DEVICE DIAGNOSTIC result */

/* Device register. */
#define IDE_SEL_ALWAYS    0xA0      /* obsolete bits that read as one */
#define IDE_SEL_LBA       0x40
#define IDE_SEL_SLAVE     0x10
#define IDE_SEL_HEAD      0x0F      /* head, or LBA 27-24 */

/* Device control. */
#define IDE_CTRL_NIEN     0x02
#define IDE_CTRL_SRST     0x04

/* Commands. */
#define IDE_CMD_RECALIBRATE 0x10
#define IDE_CMD_READ        0x20
#define IDE_CMD_READ_NORETRY 0x21
#define IDE_CMD_WRITE       0x30
#define IDE_CMD_WRITE_NORETRY 0x31
#define IDE_CMD_VERIFY      0x40
#define IDE_CMD_VERIFY_NORETRY 0x41
#define IDE_CMD_SEEK        0x70
#define IDE_CMD_DIAGNOSE    0x90
#define IDE_CMD_SPECIFY     0x91
#define IDE_CMD_IDENTIFY    0xEC
#define IDE_CMD_SET_FEATURES 0xEF
#define IDE_CMD_FLUSH       0xE7
#define IDE_CMD_CHECK_POWER 0xE5
#define IDE_CMD_CHECK_POWER_OLD 0x98

/* What vide_read returns for a port that is not the IDE's. */
#define IDE_UNMAPPED_READ 0xFF

/* A drive's medium.  Each call moves one 512-byte sector and returns false
 * on an I/O error. */
struct vide_backend {
	bool (*read_sector)(void *ctx, uint32_t lba, uint8_t *buf);
	bool (*write_sector)(void *ctx, uint32_t lba, const uint8_t *buf);
	void *ctx;
	uint32_t nsectors;      /* size of the medium */
};

enum vide_xfer {
	IDE_XFER_NONE,
	IDE_XFER_READ,          /* sectors to the host; next sector follows */
	IDE_XFER_IDENTIFY,      /* one block to the host */
	IDE_XFER_WRITE,         /* sectors from the host */
};

struct vide_drive {
	bool present;
	struct vide_backend be;
	uint16_t cyls, heads, spt;      /* CHS geometry */
	/* task file */
	uint8_t feature, error, sector, lcyl, hcyl, select, status;
	uint32_t nsector;               /* 1..256 once a command took it */
	/* data phase */
	enum vide_xfer xfer;
	uint16_t pos, end;
	uint8_t buf[IDE_SECTOR_SIZE];
	/* counters */
	uint32_t sectors_read, sectors_written, errors;
};

struct vide {
	struct vide_drive drive[IDE_NDRIVES];
	uint8_t unit;           /* selected drive */
	uint8_t ctrl;           /* device control as last written */
	bool irq;               /* IRQ 14's level */
	uint32_t irqs;          /* times it was raised */
	uint32_t commands, ignored;
};

/* Power-on state with no drives. */
void vide_init(struct vide *ide);
/* Gives drive unit (0 master, 1 slave) its medium and resets it. */
void vide_attach(struct vide *ide, unsigned unit, const struct vide_backend *be);
/* The state the BIOS's drive probe leaves (after vide_attach): the slave
 * selected, the task file 0, an absent master's IDENTIFY aborted. */
void vide_bios_probe(struct vide *ide);

/* Guest IN/OUT on 0x1F0-0x1F7 and 0x3F6: size 2 or 4 on the data port,
 * 1 elsewhere (wider accesses are split by the port bus). */
uint32_t vide_read(struct vide *ide, uint16_t port, unsigned size);
void vide_write(struct vide *ide, uint16_t port, unsigned size, uint32_t value);

/* IRQ 14's level. */
bool vide_irq(const struct vide *ide);

#endif
