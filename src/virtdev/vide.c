/*
 * vide.c - the virtual IDE channel: task file, commands, PIO data phases.
 *
 * Mechanism: see vide.h.  Map of this file:
 *   1. reset, signature and geometry;
 *   2. addresses (LBA28 / CHS) and the IRQ line;
 *   3. data phases: start, stop, and what ends each one (the next sector
 *      read, the sector written, nothing);
 *   4. sector reads and writes through the backend;
 *   5. IDENTIFY data, as QEMU builds it;
 *   6. commands;
 *   7. the ports.
 *
 * Each function takes the drive it acts on; the channel (struct vide)
 * holds what the two drives share: the selected unit, device control and
 * the IRQ line.
 */
#include "vide.h"

#define BYTE_MASK         0xFFu
#define BITS_PER_BYTE     8
#define WORD_MASK         0xFFFFu
#define NSECTOR_ZERO_MEANS 256u     /* LBA28 sector count 0 */
#define LBA28_LIMIT       (1u << 28)
#define GEOM_HEADS        16
#define GEOM_SPT          63
#define GEOM_MIN_CYLS     2
#define GEOM_MAX_CYLS     16383
#define MAX_MULT_SECTORS  16        /* QEMU's, reported in IDENTIFY */

/* ---- 1. reset ------------------------------------------------------------ */

static void set_signature(struct vide_drive *d)
{
	d->select &= (uint8_t)~IDE_SEL_HEAD;
	d->nsector = 1;
	d->sector = 1;
	d->lcyl = d->hcyl = d->present ? 0 : BYTE_MASK;
}

static void transfer_stop(struct vide_drive *d)
{
	d->xfer = IDE_XFER_NONE;
	d->pos = d->end = 0;
	d->status &= (uint8_t)~IDE_DRQ;
}

static void drive_reset(struct vide_drive *d)
{
	d->feature = d->error = 0;
	d->sector = d->lcyl = d->hcyl = 0;
	d->nsector = 0;
	d->select = IDE_SEL_ALWAYS;
	d->status = IDE_DRDY | IDE_DSC;
	transfer_stop(d);
	set_signature(d);
}

/* QEMU's guess for a disk without a given geometry. */
static void guess_geometry(struct vide_drive *d)
{
	uint32_t cyls = d->be.nsectors / (GEOM_HEADS * GEOM_SPT);

	if (cyls < GEOM_MIN_CYLS)
		cyls = GEOM_MIN_CYLS;
	if (cyls > GEOM_MAX_CYLS)
		cyls = GEOM_MAX_CYLS;
	d->cyls = (uint16_t)cyls;
	d->heads = GEOM_HEADS;
	d->spt = GEOM_SPT;
}

void vide_init(struct vide *ide)
{
	*ide = (struct vide){ 0 };
	for (unsigned i = 0; i < IDE_NDRIVES; i++)	/* bound: IDE_NDRIVES */
		drive_reset(&ide->drive[i]);
}

void vide_attach(struct vide *ide, unsigned unit, const struct vide_backend *be)
{
	struct vide_drive *d = &ide->drive[unit & 1];

	d->be = *be;
	d->present = be->read_sector && be->write_sector;
	guess_geometry(d);
	drive_reset(d);
}

/* ---- 2. addresses and the IRQ line --------------------------------------- */

/* The address in the task file, as a 64-bit sector number (a CHS address
 * with sector 0 comes out huge, hence out of range). */
static uint64_t get_sector(const struct vide_drive *d)
{
	uint64_t cyl = (uint64_t)d->hcyl << BITS_PER_BYTE | d->lcyl;

	if (d->select & IDE_SEL_LBA)
		return (uint64_t)(d->select & IDE_SEL_HEAD) << 24 | (uint64_t)d->hcyl << 16 |
		       (uint64_t)d->lcyl << 8 | d->sector;
	return (cyl * d->heads + (d->select & IDE_SEL_HEAD)) * d->spt + d->sector - 1;
}

static void set_sector(struct vide_drive *d, uint64_t n)
{
	uint32_t cyl, r;

	if (d->select & IDE_SEL_LBA) {
		d->select = (uint8_t)((d->select & ~IDE_SEL_HEAD) | ((n >> 24) & IDE_SEL_HEAD));
		d->hcyl = (uint8_t)(n >> 16);
		d->lcyl = (uint8_t)(n >> 8);
		d->sector = (uint8_t)n;
		return;
	}
	cyl = (uint32_t)(n / (d->heads * d->spt));
	r = (uint32_t)(n % (d->heads * d->spt));
	d->hcyl = (uint8_t)(cyl >> BITS_PER_BYTE);
	d->lcyl = (uint8_t)cyl;
	d->select = (uint8_t)((d->select & ~IDE_SEL_HEAD) | ((r / d->spt) & IDE_SEL_HEAD));
	d->sector = (uint8_t)(r % d->spt + 1);
}

static bool in_range(const struct vide_drive *d, uint64_t lba)
{
	return lba < d->be.nsectors;
}

static void raise_irq(struct vide *ide)
{
	if (ide->ctrl & IDE_CTRL_NIEN)
		return;
	ide->irq = true;
	ide->irqs++;
}

bool vide_irq(const struct vide *ide)
{
	return ide->irq;
}

/* ---- 3. data phases ------------------------------------------------------ */

static void transfer_start(struct vide_drive *d, enum vide_xfer x)
{
	d->xfer = x;
	d->pos = 0;
	d->end = IDE_SECTOR_SIZE;
	if (!(d->status & IDE_ERR))
		d->status |= IDE_DRQ;
}

static void abort_command(struct vide_drive *d)
{
	transfer_stop(d);
	d->status = IDE_DRDY | IDE_ERR;
	d->error = IDE_ABRT;
}

static void rw_error(struct vide *ide, struct vide_drive *d)
{
	abort_command(d);
	d->errors++;
	raise_irq(ide);
}

/* ---- 4. sectors ---------------------------------------------------------- */

/* The next sector of a READ: into buf and a data phase, or the end. */
static void sector_read(struct vide *ide, struct vide_drive *d)
{
	uint64_t lba = get_sector(d);

	d->status = IDE_DRDY | IDE_DSC;
	d->error = 0;
	if (d->nsector == 0) {
		transfer_stop(d);
		return;
	}
	if (!in_range(d, lba) || !d->be.read_sector(d->be.ctx, (uint32_t)lba, d->buf)) {
		rw_error(ide, d);
		return;
	}
	d->sectors_read++;
	set_sector(d, lba + 1);
	d->nsector--;
	transfer_start(d, IDE_XFER_READ);
	raise_irq(ide);
}

/* A WRITE's sector has arrived in buf: to the medium, then the next data
 * phase or the end; an IRQ either way. */
static void sector_write(struct vide *ide, struct vide_drive *d)
{
	uint64_t lba = get_sector(d);

	d->status = IDE_DRDY | IDE_DSC;
	if (!in_range(d, lba) || !d->be.write_sector(d->be.ctx, (uint32_t)lba, d->buf)) {
		rw_error(ide, d);
		return;
	}
	d->sectors_written++;
	d->nsector--;
	set_sector(d, lba + 1);
	if (d->nsector == 0)
		transfer_stop(d);
	else
		transfer_start(d, IDE_XFER_WRITE);
	raise_irq(ide);
}

/* The last byte of a data phase moved. */
static void transfer_end(struct vide *ide, struct vide_drive *d)
{
	enum vide_xfer x = d->xfer;

	d->status &= (uint8_t)~IDE_DRQ;
	if (x == IDE_XFER_READ)
		sector_read(ide, d);
	else if (x == IDE_XFER_WRITE)
		sector_write(ide, d);
	else
		transfer_stop(d);
}

/* ---- 5. IDENTIFY --------------------------------------------------------- */

static void put16(uint8_t *buf, unsigned word, uint32_t v)
{
	buf[2 * word] = (uint8_t)v;
	buf[2 * word + 1] = (uint8_t)(v >> BITS_PER_BYTE);
}

/* ATA strings: space-padded, the two bytes of each word swapped. */
static void put_string(uint8_t *buf, unsigned word, const char *s, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {	/* bound: len characters */
		char c = *s ? *s++ : ' ';
		buf[2 * word + (i ^ 1)] = (uint8_t)c;
	}
}

static void identify(struct vide_drive *d, unsigned unit)
{
	uint32_t n = d->be.nsectors, lba28 = n < LBA28_LIMIT ? n : LBA28_LIMIT - 1;
	uint32_t chs = (uint32_t)d->cyls * d->heads * d->spt;
	char serial[] = "QM00001";
	uint8_t *b = d->buf;

	serial[sizeof serial - 2] = (char)('1' + unit);  /* QEMU numbers drives from 1 */
	for (unsigned i = 0; i < IDE_SECTOR_SIZE; i++)	/* bound: IDE_SECTOR_SIZE */
		b[i] = 0;
	put16(b, 0, 0x0040);                    /* fixed disk */
	put16(b, 1, d->cyls); put16(b, 3, d->heads);
	put16(b, 4, IDE_SECTOR_SIZE * d->spt); put16(b, 5, IDE_SECTOR_SIZE);
	put16(b, 6, d->spt);
	put_string(b, 10, serial, 20);
	put16(b, 20, 3); put16(b, 21, IDE_SECTOR_SIZE); put16(b, 22, 4);
	put_string(b, 23, "2.5+", 8);           /* QEMU's hw version */
	put_string(b, 27, "QEMU HARDDISK", 40);
	put16(b, 47, 0x8000 | MAX_MULT_SECTORS);
	put16(b, 48, 1);                        /* 32-bit PIO */
	put16(b, 49, (1 << 11) | (1 << 9) | (1 << 8));  /* IORDY, LBA, DMA */
	put16(b, 51, 0x200); put16(b, 52, 0x200);
	put16(b, 53, 1 | (1 << 1) | (1 << 2));  /* words 54-58, 64-70, 88 valid */
	put16(b, 54, d->cyls); put16(b, 55, d->heads); put16(b, 56, d->spt);
	put16(b, 57, chs & WORD_MASK); put16(b, 58, chs >> 16);
	put16(b, 59, 0x100 | MAX_MULT_SECTORS);
	put16(b, 60, lba28 & WORD_MASK); put16(b, 61, lba28 >> 16);
	put16(b, 62, 0x07); put16(b, 63, 0x07); put16(b, 64, 0x03);
	put16(b, 65, 120); put16(b, 66, 120); put16(b, 67, 120); put16(b, 68, 120);
	put16(b, 69, 1 << 14);                  /* determinate TRIM (QEMU 7.2 -drive) */
	put16(b, 80, 0xF0); put16(b, 81, 0x16);
	put16(b, 82, (1 << 14) | (1 << 5) | 1);
	put16(b, 83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10));
	put16(b, 84, 1 << 14);
	put16(b, 85, (1 << 14) | (1 << 5) | 1);
	put16(b, 86, (1 << 13) | (1 << 12) | (1 << 10));
	put16(b, 87, 1 << 14);
	put16(b, 88, 0x3F | (1 << 13));
	put16(b, 93, 1 | (1 << 14) | 0x2000);
	put16(b, 100, n & WORD_MASK); put16(b, 101, n >> 16);
	put16(b, 106, 0x6000);                  /* physical sector = logical (512) */
	put16(b, 169, 1);                       /* TRIM supported */
}

/* ---- 6. commands --------------------------------------------------------- */

/* SET FEATURES subcommands QEMU accepts. */
static bool feature_known(uint8_t f)
{
	return f == 0x02 || f == 0x82 || f == 0x03 || f == 0xAA || f == 0x55 ||
	       f == 0xCC || f == 0x66 || f == 0x42 || f == 0xC2;
}

/* A count of 0 means 256 for the commands that take a sector count. */
static void take_count(struct vide_drive *d)
{
	if (d->nsector == 0)
		d->nsector = NSECTOR_ZERO_MEANS;
}

/* Commands that take a data phase; false if the command is unknown or the
 * drive has no medium. */
static bool start_data_command(struct vide *ide, struct vide_drive *d, unsigned unit,
			       uint8_t cmd)
{
	if (cmd == IDE_CMD_READ || cmd == IDE_CMD_READ_NORETRY) {
		if (!d->present)
			return false;
		take_count(d);
		sector_read(ide, d);
	} else if (cmd == IDE_CMD_WRITE || cmd == IDE_CMD_WRITE_NORETRY) {
		if (!d->present)
			return false;
		take_count(d);
		d->status = IDE_DRDY | IDE_DSC;
		transfer_start(d, IDE_XFER_WRITE);
	} else if (cmd == IDE_CMD_IDENTIFY) {
		if (!d->present)
			return false;
		identify(d, unit);
		d->status = IDE_DRDY | IDE_DSC;
		transfer_start(d, IDE_XFER_IDENTIFY);
		raise_irq(ide);
	} else {
		return false;
	}
	return true;
}

/* Commands that complete at once: true, and whether to set DSC. */
static bool immediate_command(struct vide_drive *d, uint8_t cmd, bool *dsc)
{
	*dsc = true;
	switch (cmd) {
	case IDE_CMD_RECALIBRATE: case IDE_CMD_SPECIFY: case IDE_CMD_SEEK:
		return true;
	case IDE_CMD_VERIFY: case IDE_CMD_VERIFY_NORETRY:
		take_count(d);
		return true;
	case IDE_CMD_CHECK_POWER: case IDE_CMD_CHECK_POWER_OLD:
		d->nsector = BYTE_MASK;         /* active or idle */
		return true;
	case IDE_CMD_SET_FEATURES:
		return d->present && feature_known(d->feature);
	case IDE_CMD_FLUSH:
	case 0xE0: case 0xE1: case 0xE2: case 0xE3:     /* standby, idle */
	case 0x94: case 0x95: case 0x96: case 0x97:     /* the same, old codes */
		*dsc = cmd == IDE_CMD_FLUSH;
		return true;
	}
	return false;
}

static void exec_command(struct vide *ide, uint8_t cmd)
{
	struct vide_drive *d = &ide->drive[ide->unit];
	bool dsc;

	if ((ide->unit == 1 && !d->present) || (d->status & (IDE_BSY | IDE_DRQ))) {
		ide->ignored++;
		return;
	}
	ide->commands++;
	d->status = IDE_DRDY;
	d->error = 0;
	if (cmd == IDE_CMD_DIAGNOSE) {
		set_signature(d);
		d->status = IDE_DRDY | IDE_DSC;
		d->error = IDE_DIAG_PASSED;
		raise_irq(ide);
	} else if (start_data_command(ide, d, ide->unit, cmd)) {
		return;
	} else if (immediate_command(d, cmd, &dsc)) {
		d->status = (uint8_t)(IDE_DRDY | (dsc ? IDE_DSC : 0));
		raise_irq(ide);
	} else {
		abort_command(d);
		raise_irq(ide);
	}
}

/* ---- 7. ports ------------------------------------------------------------ */

static bool no_drives(const struct vide *ide)
{
	return !ide->drive[0].present && !ide->drive[1].present;
}

/* Status as a read sees it: 0 for an absent slave or an empty channel. */
static uint8_t visible_status(const struct vide *ide)
{
	if (no_drives(ide) || (ide->unit == 1 && !ide->drive[1].present))
		return 0;
	return ide->drive[ide->unit].status;
}

static uint32_t data_read(struct vide *ide, unsigned size)
{
	struct vide_drive *d = &ide->drive[ide->unit];
	uint32_t v = 0;

	if (!(d->status & IDE_DRQ) || d->xfer == IDE_XFER_WRITE || d->pos + size > d->end)
		return 0;
	for (unsigned i = 0; i < size; i++)	/* bound: size, at most 4 bytes */
		v |= (uint32_t)d->buf[d->pos + i] << (i * BITS_PER_BYTE);
	d->pos = (uint16_t)(d->pos + size);
	if (d->pos >= d->end)
		transfer_end(ide, d);
	return v;
}

static void data_write(struct vide *ide, unsigned size, uint32_t v)
{
	struct vide_drive *d = &ide->drive[ide->unit];

	if (!(d->status & IDE_DRQ) || d->xfer != IDE_XFER_WRITE || d->pos + size > d->end)
		return;
	for (unsigned i = 0; i < size; i++)	/* bound: size, at most 4 bytes */
		d->buf[d->pos + i] = (uint8_t)(v >> (i * BITS_PER_BYTE));
	d->pos = (uint16_t)(d->pos + size);
	if (d->pos >= d->end)
		transfer_end(ide, d);
}

static uint8_t task_file_read(struct vide *ide, unsigned reg)
{
	const struct vide_drive *d = &ide->drive[ide->unit];

	if (no_drives(ide))
		return 0;
	switch (reg) {
	case IDE_REG_ERROR:
		return (ide->unit == 1 && !d->present) ? 0 : d->error;
	case IDE_REG_NSECTOR: return (uint8_t)d->nsector;
	case IDE_REG_SECTOR:  return d->sector;
	case IDE_REG_LCYL:    return d->lcyl;
	case IDE_REG_HCYL:    return d->hcyl;
	case IDE_REG_SELECT:  return d->select;
	}
	ide->irq = false;                       /* IDE_REG_STATUS */
	return visible_status(ide);
}

/* Both drives latch every task-file write (they share the cable). */
static void task_file_write(struct vide *ide, unsigned reg, uint8_t v)
{
	if (ide->drive[ide->unit].status & (IDE_BSY | IDE_DRQ)) {
		ide->ignored++;
		return;
	}
	for (unsigned i = 0; i < IDE_NDRIVES; i++) {	/* bound: IDE_NDRIVES */
		struct vide_drive *d = &ide->drive[i];
		switch (reg) {
		case IDE_REG_ERROR:   d->feature = v; break;
		case IDE_REG_NSECTOR: d->nsector = v; break;
		case IDE_REG_SECTOR:  d->sector = v; break;
		case IDE_REG_LCYL:    d->lcyl = v; break;
		case IDE_REG_HCYL:    d->hcyl = v; break;
		case IDE_REG_SELECT:  d->select = v | IDE_SEL_ALWAYS; break;
		}
	}
	if (reg == IDE_REG_SELECT)
		ide->unit = (v & IDE_SEL_SLAVE) ? 1 : 0;
}

/* SRST: both drives reset and run their diagnostic, which raises the IRQ
 * (QEMU's ide_bus_perform_srst; it also keeps the selected unit). */
static void control_write(struct vide *ide, uint8_t v)
{
	bool srst = (v & IDE_CTRL_SRST) && !(ide->ctrl & IDE_CTRL_SRST);

	ide->ctrl = v;
	if (!srst)
		return;
	for (unsigned i = 0; i < IDE_NDRIVES; i++) {	/* bound: IDE_NDRIVES */
		drive_reset(&ide->drive[i]);
		ide->drive[i].error = IDE_DIAG_PASSED;
	}
	ide->ctrl &= (uint8_t)~IDE_CTRL_SRST;   /* QEMU ends the reset by itself */
	raise_irq(ide);
}

uint32_t vide_read(struct vide *ide, uint16_t port, unsigned size)
{
	if (port == IDE_PRIMARY_CTRL)
		return visible_status(ide);
	if (port < IDE_PRIMARY_BASE || port >= IDE_PRIMARY_BASE + IDE_NPORTS)
		return IDE_UNMAPPED_READ;
	if (port == IDE_PRIMARY_BASE + IDE_REG_DATA)
		return size == 1 ? IDE_UNMAPPED_READ : data_read(ide, size);
	return task_file_read(ide, port - IDE_PRIMARY_BASE);
}

void vide_write(struct vide *ide, uint16_t port, unsigned size, uint32_t value)
{
	unsigned reg = port - IDE_PRIMARY_BASE;

	if (port == IDE_PRIMARY_CTRL) {
		control_write(ide, (uint8_t)value);
	} else if (port < IDE_PRIMARY_BASE || reg >= IDE_NPORTS) {
		return;
	} else if (reg == IDE_REG_DATA) {
		if (size > 1)
			data_write(ide, size, value);
	} else if (reg == IDE_REG_STATUS) {
		ide->irq = false;
		exec_command(ide, (uint8_t)value);
	} else {
		task_file_write(ide, reg, (uint8_t)value);
	}
}

/* ---- the BIOS's probe ------------------------------------------------------ */

/* What SeaBIOS's ata_detect() leaves (QEMU's firmware; checked with
 * guests/idetest natively): each drive in turn, master first, selected
 * with a zero task file and sent IDENTIFY, its data read, its status read
 * (which lowers IRQ 14).  So the slave stays selected, the task file reads
 * 0, a present drive is idle (0x50) and an absent master, which QEMU lets
 * take the command, aborted it (0x41, error ABRT); an absent slave ignores
 * it and reads 0.  (SeaBIOS then tries IDENTIFY PACKET, aborted too, and
 * resets the channel before each drive; the end state is the same.) */
void vide_bios_probe(struct vide *ide)
{
	for (unsigned unit = 0; unit < IDE_NDRIVES; unit++) {	/* bound: IDE_NDRIVES */
		vide_write(ide, IDE_PRIMARY_BASE + IDE_REG_SELECT, 1,
			   IDE_SEL_ALWAYS | (unit ? IDE_SEL_SLAVE : 0));
		/* bound: the 4 registers NSECTOR-HCYL */
		for (unsigned reg = IDE_REG_NSECTOR; reg <= IDE_REG_HCYL; reg++)
			vide_write(ide, IDE_PRIMARY_BASE + reg, 1, 0);
		vide_write(ide, IDE_PRIMARY_BASE + IDE_REG_STATUS, 1, IDE_CMD_IDENTIFY);
		/* bound: IDE_SECTOR_SIZE / 4 reads */
		for (unsigned i = 0; i < IDE_SECTOR_SIZE / 4 &&
		     (visible_status(ide) & IDE_DRQ); i++)
			vide_read(ide, IDE_PRIMARY_BASE + IDE_REG_DATA, 4);
		vide_read(ide, IDE_PRIMARY_BASE + IDE_REG_STATUS, 1);
	}
	ide->commands = ide->irqs = ide->ignored = 0;   /* the guest's counts start here */
}
