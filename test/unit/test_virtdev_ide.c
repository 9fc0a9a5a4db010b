/*
 * test_virtdev_ide.c - host unit tests for src/virtdev/vide.c, the virtual
 * IDE channel, over a RAM disk backend.  The channel is driven through its
 * ports as xv6's ide.c drives it (probe of disk 1, READ and WRITE of one
 * sector with INSL/OUTSL, the interrupt after each) and by other command
 * sequences, checking the status after each step against QEMU's
 * hw/ide/core.c: multi-sector transfers, 16-bit data access, count 0 = 256,
 * CHS addressing, IDENTIFY, master and slave on their own backends, the
 * state the BIOS's probe leaves,
 * errors (outside the disk, backend failure,
 * unknown command, absent drives), nIEN, the IRQ line and who lowers it,
 * writes ignored during a data phase, SRST, and the port bus wiring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "virtdev/vide.h"
#include "virtdev/vio.h"

#define NSECT      1000         /* xv6's fs.img: 1000 blocks of 512 bytes */
#define ST_IDLE    (IDE_DRDY | IDE_DSC)
#define ST_DATA    (IDE_DRDY | IDE_DSC | IDE_DRQ)
#define ST_ERROR   (IDE_DRDY | IDE_ERR)

struct ramdisk {
	uint8_t data[NSECT][IDE_SECTOR_SIZE];
	bool fail;
	unsigned reads, writes;
};

static struct ramdisk disk;

static bool ram_read(void *ctx, uint32_t lba, uint8_t *buf)
{
	struct ramdisk *d = ctx;
	assert_true(lba < NSECT);
	if (d->fail)
		return false;
	memcpy(buf, d->data[lba], IDE_SECTOR_SIZE);
	d->reads++;
	return true;
}

static bool ram_write(void *ctx, uint32_t lba, const uint8_t *buf)
{
	struct ramdisk *d = ctx;
	assert_true(lba < NSECT);
	if (d->fail)
		return false;
	memcpy(d->data[lba], buf, IDE_SECTOR_SIZE);
	d->writes++;
	return true;
}

static const struct vide_backend ram = { ram_read, ram_write, &disk, NSECT };

static void fill_disk(void)
{
	memset(&disk, 0, sizeof disk);
	for (unsigned s = 0; s < NSECT; s++)
		for (unsigned i = 0; i < IDE_SECTOR_SIZE; i++)
			disk.data[s][i] = (uint8_t)(s * 7 + i);
}

/* xv6's machine: the file system on disk 1, no disk 0. */
static struct vide xv6_channel(void)
{
	struct vide ide;
	fill_disk();
	vide_init(&ide);
	vide_attach(&ide, 1, &ram);
	return ide;
}

static void outb(struct vide *ide, uint16_t port, uint8_t v)
{
	vide_write(ide, port, 1, v);
}

static uint8_t inb(struct vide *ide, uint16_t port)
{
	return (uint8_t)vide_read(ide, port, 1);
}

static uint8_t status(struct vide *ide)
{
	return inb(ide, IDE_PRIMARY_BASE + IDE_REG_STATUS);
}

static uint8_t altstatus(struct vide *ide)
{
	return inb(ide, IDE_PRIMARY_CTRL);
}

/* xv6 idestart(): one sector, LBA, drive dev. */
static void xv6_start(struct vide *ide, unsigned dev, uint32_t sector, uint8_t cmd)
{
	outb(ide, IDE_PRIMARY_CTRL, 0);
	outb(ide, 0x1F2, 1);
	outb(ide, 0x1F3, sector & 0xFF);
	outb(ide, 0x1F4, (sector >> 8) & 0xFF);
	outb(ide, 0x1F5, (sector >> 16) & 0xFF);
	outb(ide, 0x1F6, 0xE0 | ((dev & 1) << 4) | ((sector >> 24) & 0x0F));
	outb(ide, 0x1F7, cmd);
}

static void insl(struct vide *ide, uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = vide_read(ide, IDE_PRIMARY_BASE, 4);
		memcpy(buf + 4 * i, &v, 4);
	}
}

static void outsl(struct vide *ide, const uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t v;
		memcpy(&v, buf + 4 * i, 4);
		vide_write(ide, IDE_PRIMARY_BASE, 4, v);
	}
}

/* ---- presence ----------------------------------------------------------- */

static void test_empty_channel_reads_zero(void **state)
{
	(void)state;
	struct vide ide;
	vide_init(&ide);
	for (uint16_t p = 0x1F1; p <= 0x1F7; p++)
		assert_int_equal(inb(&ide, p), 0);
	assert_int_equal(altstatus(&ide), 0);
	assert_int_equal(inb(&ide, IDE_PRIMARY_BASE), 0xFF);
	assert_int_equal(vide_read(&ide, IDE_PRIMARY_BASE, 2), 0);
	assert_int_equal(inb(&ide, 0x170), IDE_UNMAPPED_READ);
}

static void test_xv6_probe_finds_disk1(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	/* idewait(0) with drive 0 selected: its register file answers */
	assert_int_equal(status(&ide) & (IDE_BSY | IDE_DRDY), IDE_DRDY);
	outb(&ide, 0x1F6, 0xE0 | (1 << 4));
	assert_int_not_equal(status(&ide), 0);
	assert_int_equal(status(&ide), ST_IDLE);
	assert_int_equal(inb(&ide, 0x1F2), 1);          /* signature: 1, 1, 0, 0 */
	assert_int_equal(inb(&ide, 0x1F3), 1);
	assert_int_equal(inb(&ide, 0x1F4), 0);
	assert_int_equal(inb(&ide, 0x1F5), 0);
	outb(&ide, 0x1F6, 0xE0);

	vide_init(&ide);                                /* no disk 1 */
	vide_attach(&ide, 0, &ram);
	outb(&ide, 0x1F6, 0xE0 | (1 << 4));
	for (int i = 0; i < 1000; i++)
		assert_int_equal(status(&ide), 0);
	outb(&ide, 0x1F7, IDE_CMD_READ);                /* to the absent slave: ignored */
	assert_false(vide_irq(&ide));
	assert_int_equal(ide.ignored, 1);
}

/* ---- xv6's reads and writes --------------------------------------------- */

static void test_xv6_read_one_sector(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE];

	xv6_start(&ide, 1, 517, IDE_CMD_READ);
	assert_true(vide_irq(&ide));
	assert_int_equal(altstatus(&ide), ST_DATA);
	assert_true(vide_irq(&ide));                    /* alt status leaves it */
	assert_int_equal(status(&ide), ST_DATA);        /* idewait(1) in ideintr */
	assert_false(vide_irq(&ide));                   /* status read lowers it */
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(buf, disk.data[517], IDE_SECTOR_SIZE);
	assert_int_equal(status(&ide), ST_IDLE);
	assert_false(vide_irq(&ide));                   /* no IRQ after the last */
	assert_int_equal(inb(&ide, 0x1F2), 0);
	assert_int_equal(inb(&ide, 0x1F3), 518 & 0xFF); /* next sector */
	assert_int_equal(inb(&ide, 0x1F4), 518 >> 8);
	assert_int_equal(vide_read(&ide, IDE_PRIMARY_BASE, 4), 0);     /* no data phase */
	assert_int_equal(ide.drive[1].sectors_read, 1);
}

static void test_xv6_write_one_sector(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE];

	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(0xA5 ^ i);
	xv6_start(&ide, 1, 33, IDE_CMD_WRITE);
	assert_false(vide_irq(&ide));                   /* no IRQ to start */
	assert_int_equal(altstatus(&ide), ST_DATA);
	outsl(&ide, buf, IDE_SECTOR_SIZE / 4 - 1);
	assert_int_equal(disk.writes, 0);
	outsl(&ide, buf + IDE_SECTOR_SIZE - 4, 1);
	assert_int_equal(disk.writes, 1);
	assert_memory_equal(disk.data[33], buf, IDE_SECTOR_SIZE);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_IDLE);
	assert_false(vide_irq(&ide));
	assert_int_equal(inb(&ide, 0x1F3), 34);
}

static void test_multi_sector_read_and_write(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[3 * IDE_SECTOR_SIZE];

	outb(&ide, 0x1F6, 0xF0);
	outb(&ide, 0x1F2, 3);
	outb(&ide, 0x1F3, 10);
	outb(&ide, 0x1F7, IDE_CMD_READ);
	for (unsigned s = 0; s < 3; s++) {
		assert_true(vide_irq(&ide));
		assert_int_equal(status(&ide), ST_DATA);
		assert_int_equal(inb(&ide, 0x1F2), 2 - s);
		insl(&ide, buf + s * IDE_SECTOR_SIZE, IDE_SECTOR_SIZE / 4);
	}
	assert_false(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_IDLE);
	assert_memory_equal(buf, disk.data[10], sizeof buf);       /* 10, 11, 12 */

	outb(&ide, 0x1F2, 2);
	outb(&ide, 0x1F3, 100);
	outb(&ide, 0x1F7, IDE_CMD_WRITE);
	outsl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_DATA);        /* the second sector's turn */
	outsl(&ide, buf + IDE_SECTOR_SIZE, IDE_SECTOR_SIZE / 4);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_IDLE);
	assert_memory_equal(disk.data[100], buf, 2 * IDE_SECTOR_SIZE);
}

static void test_16bit_data_and_count_zero(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE];

	outb(&ide, 0x1F6, 0xF0);
	outb(&ide, 0x1F2, 0);                           /* 256 sectors */
	outb(&ide, 0x1F3, 0);
	outb(&ide, 0x1F7, IDE_CMD_READ);
	assert_int_equal(inb(&ide, 0x1F2), 255);
	for (unsigned i = 0; i < IDE_SECTOR_SIZE / 2; i++) {
		uint16_t w = (uint16_t)vide_read(&ide, IDE_PRIMARY_BASE, 2);
		memcpy(buf + 2 * i, &w, 2);
	}
	assert_memory_equal(buf, disk.data[0], IDE_SECTOR_SIZE);
	assert_int_equal(status(&ide), ST_DATA);        /* sector 1 of 256 ready */
	assert_int_equal(inb(&ide, 0x1F2), 254);
}

static void test_chs_addressing(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE];
	unsigned cyl = 0, head = 3, sect = 5;           /* ((0*16)+3)*63 + 4 = 193 */

	outb(&ide, 0x1F6, 0xB0 | head);                 /* slave, CHS */
	outb(&ide, 0x1F2, 1);
	outb(&ide, 0x1F3, sect);
	outb(&ide, 0x1F4, cyl);
	outb(&ide, 0x1F5, 0);
	outb(&ide, 0x1F7, IDE_CMD_READ);
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(buf, disk.data[193], IDE_SECTOR_SIZE);
	assert_int_equal(inb(&ide, 0x1F3), 6);          /* next: sector 6, same head */
	assert_int_equal(inb(&ide, 0x1F6) & 0x0F, 3);
	outb(&ide, 0x1F6, 0xB0);                        /* C/H/S 0/0/0 does not exist */
	outb(&ide, 0x1F3, 0);
	outb(&ide, 0x1F7, IDE_CMD_READ);
	assert_int_equal(status(&ide), ST_ERROR);
}

/* ---- IDENTIFY ----------------------------------------------------------- */

static uint16_t word(const uint8_t *b, unsigned w)
{
	return (uint16_t)(b[2 * w] | b[2 * w + 1] << 8);
}

static void test_identify(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t id[IDE_SECTOR_SIZE];

	outb(&ide, 0x1F6, 0xA0 | IDE_SEL_SLAVE);
	outb(&ide, 0x1F7, IDE_CMD_IDENTIFY);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_DATA);
	insl(&ide, id, IDE_SECTOR_SIZE / 4);
	assert_int_equal(status(&ide), ST_IDLE);
	assert_int_equal(word(id, 0), 0x0040);
	assert_int_equal(word(id, 1), 2);               /* cylinders (QEMU's minimum) */
	assert_int_equal(word(id, 3), 16);
	assert_int_equal(word(id, 6), 63);
	assert_int_equal(word(id, 49) & (1 << 9), 1 << 9);     /* LBA */
	assert_int_equal(word(id, 60) | word(id, 61) << 16, NSECT);
	assert_memory_equal(id + 20, "MQ0000 2", 8);    /* "QM00002", bytes swapped */
	assert_memory_equal(id + 54, "EQUMH RADDSI K", 14);    /* "QEMU HARDDISK" */

	outb(&ide, 0x1F6, 0xA0);                        /* absent master: aborted */
	outb(&ide, 0x1F7, IDE_CMD_IDENTIFY);
	assert_int_equal(status(&ide), ST_ERROR);
	assert_int_equal(inb(&ide, 0x1F1), IDE_ABRT);
}

/* ---- two drives --------------------------------------------------------- */

#define NSECT_MASTER 500

static struct ramdisk disk0;    /* the master's: NSECT_MASTER sectors used */
static const struct vide_backend ram0 = { ram_read, ram_write, &disk0, NSECT_MASTER };

/* Master and slave both present, each on its own backend: the device
 * register's DEV bit picks the drive every command goes to; each drive has
 * its own status, error, capacity and IDENTIFY serial; the data a command
 * moves comes from and goes to that drive's backend only. */
static void test_master_and_slave(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE], id[IDE_SECTOR_SIZE];

	memset(&disk0, 0, sizeof disk0);
	for (unsigned i = 0; i < IDE_SECTOR_SIZE; i++)
		disk0.data[3][i] = (uint8_t)(0xC3 ^ i);
	vide_attach(&ide, 0, &ram0);

	xv6_start(&ide, 0, 3, IDE_CMD_READ);            /* the master's sector 3 */
	assert_int_equal(status(&ide), ST_DATA);
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(buf, disk0.data[3], IDE_SECTOR_SIZE);
	xv6_start(&ide, 1, 3, IDE_CMD_READ);            /* the slave's sector 3 */
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(buf, disk.data[3], IDE_SECTOR_SIZE);
	assert_int_equal(disk0.reads, 1);
	assert_int_equal(disk.reads, 1);

	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(0x5A + i);
	xv6_start(&ide, 0, 10, IDE_CMD_WRITE);          /* a write to the master only */
	assert_int_equal(altstatus(&ide), ST_DATA);
	outsl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_IDLE);
	assert_memory_equal(disk0.data[10], buf, IDE_SECTOR_SIZE);
	assert_int_equal(disk0.writes, 1);
	assert_int_equal(disk.writes, 0);
	assert_int_equal(disk.data[10][0], (uint8_t)(10 * 7));  /* the slave's: untouched */
	assert_int_equal(ide.drive[0].sectors_written, 1);
	assert_int_equal(ide.drive[1].sectors_written, 0);

	/* each drive's own capacity and status: the master ends at 500 */
	xv6_start(&ide, 0, NSECT_MASTER, IDE_CMD_READ);
	assert_int_equal(status(&ide), ST_ERROR);
	assert_int_equal(inb(&ide, 0x1F1), IDE_ABRT);
	outb(&ide, 0x1F6, 0xE0 | IDE_SEL_SLAVE);        /* the slave did not fail */
	assert_int_equal(status(&ide), ST_IDLE);
	assert_int_equal(inb(&ide, 0x1F1), 0);
	outb(&ide, 0x1F6, 0xE0);                        /* the master still has its error */
	assert_int_equal(status(&ide), ST_ERROR);
	xv6_start(&ide, 1, NSECT_MASTER, IDE_CMD_READ); /* inside the slave's 1000 */
	assert_int_equal(status(&ide), ST_DATA);
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(buf, disk.data[NSECT_MASTER], IDE_SECTOR_SIZE);

	/* IDENTIFY: serials QM00001 and QM00002 (QEMU's), each capacity */
	outb(&ide, 0x1F6, 0xA0);
	outb(&ide, 0x1F7, IDE_CMD_IDENTIFY);
	insl(&ide, id, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(id + 20, "MQ0000 1", 8);
	assert_int_equal(word(id, 60) | word(id, 61) << 16, NSECT_MASTER);
	outb(&ide, 0x1F6, 0xA0 | IDE_SEL_SLAVE);
	outb(&ide, 0x1F7, IDE_CMD_IDENTIFY);
	insl(&ide, id, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(id + 20, "MQ0000 2", 8);
	assert_int_equal(word(id, 60) | word(id, 61) << 16, NSECT);
}

/* What SeaBIOS's probe leaves, as guests/idetest reads it natively:
 * "after the BIOS: device 0xb0 status 0x50 error 0x00 count 0x00 lba
 * 0x000000", and an absent master at 0x41 (its IDENTIFY aborted). */
static void test_bios_probe_state(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();                /* the slave alone */

	vide_bios_probe(&ide);
	assert_int_equal(inb(&ide, 0x1F6), 0xB0);
	assert_int_equal(status(&ide), ST_IDLE);
	assert_int_equal(inb(&ide, 0x1F1), 0);
	for (uint16_t p = 0x1F2; p <= 0x1F5; p++)
		assert_int_equal(inb(&ide, p), 0);
	assert_false(vide_irq(&ide));
	assert_int_equal(ide.commands, 0);
	assert_int_equal(disk.reads + disk.writes, 0);  /* IDENTIFY reads no sector */
	outb(&ide, 0x1F6, 0xA0);
	assert_int_equal(status(&ide), ST_ERROR);       /* the absent master */
	assert_int_equal(inb(&ide, 0x1F1), IDE_ABRT);
	xv6_start(&ide, 1, 7, IDE_CMD_READ);            /* xv6 then works as before */
	assert_int_equal(status(&ide), ST_DATA);

	vide_attach(&ide, 0, &ram0);                    /* both drives */
	vide_bios_probe(&ide);
	outb(&ide, 0x1F6, 0xA0);
	assert_int_equal(status(&ide), ST_IDLE);

	vide_init(&ide);                                /* the master alone */
	vide_attach(&ide, 0, &ram0);
	vide_bios_probe(&ide);
	assert_int_equal(inb(&ide, 0x1F6), 0xB0);
	assert_int_equal(status(&ide), 0);              /* the absent slave */
	outb(&ide, 0x1F6, 0xA0);
	assert_int_equal(status(&ide), ST_IDLE);
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors_abort_with_irq(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();

	xv6_start(&ide, 1, NSECT, IDE_CMD_READ);        /* one past the end */
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_ERROR);
	assert_int_equal(inb(&ide, 0x1F1), IDE_ABRT);
	xv6_start(&ide, 1, 5, IDE_CMD_READ);            /* recovers */
	assert_int_equal(status(&ide), ST_DATA);
	vide_init(&ide);
	vide_attach(&ide, 1, &ram);
	disk.fail = true;
	xv6_start(&ide, 1, 5, IDE_CMD_READ);
	assert_int_equal(status(&ide), ST_ERROR);
	xv6_start(&ide, 1, 5, IDE_CMD_WRITE);
	assert_int_equal(status(&ide), ST_DATA);
	outsl(&ide, disk.data[0], IDE_SECTOR_SIZE / 4);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_ERROR);
	assert_int_equal(ide.drive[1].errors, 2);
	disk.fail = false;
	outb(&ide, 0x1F7, 0xC8);                        /* READ DMA: no DMA here */
	assert_int_equal(status(&ide), ST_ERROR);
	outb(&ide, 0x1F6, 0xE0);
	xv6_start(&ide, 0, 5, IDE_CMD_READ);            /* absent master */
	assert_int_equal(status(&ide), ST_ERROR);
}

static void test_immediate_commands(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	outb(&ide, 0x1F6, 0xB0);
	outb(&ide, 0x1F7, IDE_CMD_DIAGNOSE);
	assert_true(vide_irq(&ide));
	assert_int_equal(status(&ide), ST_IDLE);
	assert_int_equal(inb(&ide, 0x1F1), IDE_DIAG_PASSED);
	outb(&ide, 0x1F7, IDE_CMD_CHECK_POWER);
	assert_int_equal(inb(&ide, 0x1F2), 0xFF);
	assert_int_equal(status(&ide), ST_IDLE);
	outb(&ide, 0x1F1, 0x02);                        /* write cache on */
	outb(&ide, 0x1F7, IDE_CMD_SET_FEATURES);
	assert_int_equal(status(&ide), ST_IDLE);
	outb(&ide, 0x1F1, 0x77);                        /* unknown feature */
	outb(&ide, 0x1F7, IDE_CMD_SET_FEATURES);
	assert_int_equal(status(&ide), ST_ERROR);
	outb(&ide, 0x1F7, IDE_CMD_FLUSH);
	assert_int_equal(status(&ide), ST_IDLE);
	outb(&ide, 0x1F7, 0xE0);                        /* standby immediate */
	assert_int_equal(status(&ide), IDE_DRDY);       /* no DSC, as QEMU */
}

/* ---- the IRQ line, nIEN, busy rules, SRST ------------------------------- */

static void test_nien_masks_the_irq(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE];
	outb(&ide, 0x1F6, 0xF0);
	outb(&ide, IDE_PRIMARY_CTRL, IDE_CTRL_NIEN);
	outb(&ide, 0x1F2, 1);
	outb(&ide, 0x1F7, IDE_CMD_READ);
	assert_false(vide_irq(&ide));
	assert_int_equal(altstatus(&ide), ST_DATA);     /* polled I/O still works */
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	outb(&ide, IDE_PRIMARY_CTRL, 0);
	outb(&ide, 0x1F2, 1);
	outb(&ide, 0x1F7, IDE_CMD_READ);
	assert_true(vide_irq(&ide));
	outb(&ide, 0x1F7, IDE_CMD_READ);                /* ignored (DRQ), lowers IRQ */
	assert_false(vide_irq(&ide));
	assert_int_equal(ide.irqs, 1);
}

static void test_writes_ignored_during_data_phase(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	uint8_t buf[IDE_SECTOR_SIZE];
	xv6_start(&ide, 1, 40, IDE_CMD_READ);
	outb(&ide, 0x1F3, 99);                          /* ignored: DRQ */
	outb(&ide, 0x1F6, 0xE0);                        /* ignored: stays on drive 1 */
	assert_int_equal(inb(&ide, 0x1F3), 41);
	outb(&ide, 0x1F7, IDE_CMD_WRITE);               /* ignored */
	vide_write(&ide, IDE_PRIMARY_BASE, 4, 0x12345678);     /* a read phase: ignored */
	insl(&ide, buf, IDE_SECTOR_SIZE / 4);
	assert_memory_equal(buf, disk.data[40], IDE_SECTOR_SIZE);
	assert_int_equal(disk.writes, 0);
	assert_int_equal(ide.ignored, 3);
}

static void test_srst_resets_both_drives(void **state)
{
	(void)state;
	struct vide ide = xv6_channel();
	xv6_start(&ide, 1, 40, IDE_CMD_READ);
	(void)status(&ide);
	outb(&ide, IDE_PRIMARY_CTRL, IDE_CTRL_SRST);
	assert_true(vide_irq(&ide));                    /* the diagnostic's IRQ */
	assert_int_equal(status(&ide), ST_IDLE);        /* data phase dropped */
	assert_int_equal(inb(&ide, 0x1F1), IDE_DIAG_PASSED);
	assert_int_equal(inb(&ide, 0x1F2), 1);
	assert_int_equal(inb(&ide, 0x1F3), 1);
	assert_int_equal(inb(&ide, 0x1F6), 0xA0);
	outb(&ide, IDE_PRIMARY_CTRL, IDE_CTRL_SRST);    /* QEMU cleared SRST: again */
	assert_int_equal(ide.irqs, 3);
	outb(&ide, IDE_PRIMARY_CTRL, IDE_CTRL_SRST | IDE_CTRL_NIEN);
	assert_int_equal(ide.irqs, 3);
}

/* ---- on the port bus ----------------------------------------------------- */

static void test_on_the_port_bus(void **state)
{
	(void)state;
	struct vio_bus bus;
	struct vide ide = xv6_channel();
	struct vcrtc crtc;
	struct vkbc kbc;
	struct vsysctl sys;
	struct vpic pic;
	struct vpit pit;
	struct vuart uart;
	struct vdebugexit dbg;
	uint8_t buf[IDE_SECTOR_SIZE];

	vio_init(&bus);
	vpic_init(&pic); vpit_init(&pit); vdebugexit_init(&dbg);
	vuart_init(&uart, UART_COM1_BASE, UART_COM1_IRQ, NULL, NULL);
	vcrtc_init(&crtc); vkbc_init(&kbc); vsysctl_init(&sys);
	assert_true(vio_attach_pic(&bus, &pic) && vio_attach_pit(&bus, &pit) &&
		    vio_attach_uart(&bus, &uart) && vio_attach_debugexit(&bus, &dbg));
	assert_true(vio_attach_ide(&bus, &ide));
	assert_true(vio_attach_crtc(&bus, &crtc));
	assert_true(vio_attach_kbc(&bus, &kbc));
	assert_true(vio_attach_sysctl(&bus, &sys));
	assert_false(vio_attach_ide(&bus, &ide));       /* overlaps */
	vio_write(&bus, 0x1F6, 1, 0xF0);
	vio_write(&bus, 0x1F2, 1, 1);
	vio_write(&bus, 0x1F3, 1, 7);
	vio_write(&bus, 0x1F7, 1, IDE_CMD_READ);
	assert_int_equal(vio_read(&bus, 0x3F6, 1), ST_DATA);
	for (unsigned i = 0; i < IDE_SECTOR_SIZE / 4; i++) {
		uint32_t v = vio_read(&bus, 0x1F0, 4);  /* whole, not split in bytes */
		memcpy(buf + 4 * i, &v, 4);
	}
	assert_memory_equal(buf, disk.data[7], IDE_SECTOR_SIZE);
	assert_int_equal(vio_read(&bus, 0x1F7, 1), ST_IDLE);
	assert_int_equal(bus.unknown.total, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_channel_reads_zero),
		cmocka_unit_test(test_xv6_probe_finds_disk1),
		cmocka_unit_test(test_xv6_read_one_sector),
		cmocka_unit_test(test_xv6_write_one_sector),
		cmocka_unit_test(test_multi_sector_read_and_write),
		cmocka_unit_test(test_16bit_data_and_count_zero),
		cmocka_unit_test(test_chs_addressing),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_master_and_slave),
		cmocka_unit_test(test_bios_probe_state),
		cmocka_unit_test(test_errors_abort_with_irq),
		cmocka_unit_test(test_immediate_commands),
		cmocka_unit_test(test_nien_masks_the_irq),
		cmocka_unit_test(test_writes_ignored_during_data_phase),
		cmocka_unit_test(test_srst_resets_both_drives),
		cmocka_unit_test(test_on_the_port_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
