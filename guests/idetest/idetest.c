/*
 * idetest.c - a tiny multiboot guest that drives the primary IDE channel's
 * two disks by PIO, the way xv6's ide.c drives disk 1, and says on COM1
 * what it saw.
 *
 * The job: exercise the monitor's whole disk path without a big guest.
 * Natively the ports reach QEMU's IDE controller; under the monitor they
 * trap to the virtual IDE model (src/virtdev/vide.c), whose backend is the
 * monitor's driver for the real disk (src/monitor/hostdisk.c).  The same
 * transcript must come out both ways, and the sector written must be in
 * the disk image afterwards.
 *
 * Steps, for disk 1 (the slave, xv6's) and then disk 0 (the master), each
 * printing one line: probe (status after selecting it; a drive whose
 * status reads 0 or 0xFF is not there), IDENTIFY (model, serial, firmware,
 * geometry, size, a checksum of all 512 bytes; an aborted IDENTIFY means
 * no drive, and the rest is skipped), read sectors 0-3 (first bytes and a
 * checksum of each, 32-bit REP INSL as xv6), write sector 5 with a known
 * pattern naming the disk (REP OUTSL), read it back and compare, read past
 * the end of the disk (the error status), a two-sector read; then exit
 * through the debug-exit port with 0.
 */
#include <stdint.h>

#define COM1        0x3F8
#define COM1_LSR    (COM1 + 5)
#define LSR_THRE    0x20
#define DEBUG_EXIT  0xF4

#define IDE_DATA    0x1F0
#define IDE_ERROR   0x1F1
#define IDE_NSECT   0x1F2
#define IDE_LBA0    0x1F3
#define IDE_LBA1    0x1F4
#define IDE_LBA2    0x1F5
#define IDE_DEVICE  0x1F6
#define IDE_STATUS  0x1F7
#define IDE_CTRL    0x3F6
#define ST_BSY      0x80
#define ST_DRDY     0x40
#define ST_DRQ      0x08
#define ST_ERR      0x01
#define CMD_READ    0x20
#define CMD_WRITE   0x30
#define CMD_IDENTIFY 0xEC
#define DEV_LBA     0xE0            /* LBA mode (and the obsolete one bits) */
#define DEV_SLAVE   0x10            /* DEV: drive 1 */
#define ST_FLOATING 0xFF            /* nothing on the bus */
#define SECTOR      512
#define WAIT_LIMIT  10000000        /* status reads before giving up */
#define WRITE_LBA   5

static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0,%1" : : "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0,%1" : : "a"(v), "Nd"(p)); }
static inline void insl(uint16_t p, void *buf, uint32_t n)
{
	__asm__ volatile("cld; rep insl" : "+D"(buf), "+c"(n) : "d"(p) : "memory");
}
static inline void outsl(uint16_t p, const void *buf, uint32_t n)
{
	__asm__ volatile("cld; rep outsl" : "+S"(buf), "+c"(n) : "d"(p) : "memory");
}

static void putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THRE); i++)
		;
	outb(COM1, (uint8_t)c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(uint32_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		putc("0123456789abcdef"[(v >> (4 * i)) & 0xF]);
}

static void putdec(uint32_t v)
{
	char b[11];
	int n = 0;
	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc(b[--n]);
}

/* An ATA string: byte-swapped words, trailing spaces dropped. */
static void put_ata_string(const uint8_t *id, int word, int len)
{
	char s[64];
	int n = 0;
	for (int i = 0; i < len; i++)
		s[n++] = (char)id[2 * word + (i ^ 1)];
	while (n > 0 && s[n - 1] == ' ')
		n--;
	for (int i = 0; i < n; i++)
		putc(s[i]);
}

static uint32_t sum(const uint8_t *b, int n)
{
	uint32_t s = 0;
	for (int i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

static int wait_ready(void)
{
	int r = 0;
	for (int i = 0; i < WAIT_LIMIT; i++)
		if (((r = inb(IDE_STATUS)) & (ST_BSY | ST_DRDY)) == ST_DRDY)
			return r;
	return -1;
}

static unsigned drive;               /* the disk the steps drive: 0 or 1 */

static uint8_t dev_bits(void)
{
	return (uint8_t)(DEV_LBA | (drive ? DEV_SLAVE : 0));
}

static void start(uint32_t lba, uint8_t count, uint8_t cmd)
{
	wait_ready();
	outb(IDE_NSECT, count);
	outb(IDE_LBA0, (uint8_t)lba);
	outb(IDE_LBA1, (uint8_t)(lba >> 8));
	outb(IDE_LBA2, (uint8_t)(lba >> 16));
	outb(IDE_DEVICE, (uint8_t)(dev_bits() | ((lba >> 24) & 0x0F)));
	outb(IDE_STATUS, cmd);
}

/* After a read command: wait, then the data if there is any; the status. */
static int read_data(uint8_t *buf)
{
	int st = wait_ready();
	if (st >= 0 && (st & ST_DRQ) && !(st & ST_ERR))
		insl(IDE_DATA, buf, SECTOR / 4);
	return st;
}

/* Returns whether a drive answered (the command was not aborted). */
static int identify(void)
{
	static uint8_t id[SECTOR];
	start(0, 0, CMD_IDENTIFY);
	int st = read_data(id);
	if (st < 0 || (st & ST_ERR)) {
		puts("identify: status 0x"); puthex((uint32_t)st, 2);
		puts(" error 0x"); puthex(inb(IDE_ERROR), 2); puts(": no drive\n");
		return 0;
	}
	puts("identify: status 0x"); puthex((uint32_t)st, 2);
	puts(" model '"); put_ata_string(id, 27, 40);
	puts("' serial '"); put_ata_string(id, 10, 20);
	puts("' firmware '"); put_ata_string(id, 23, 8);
	puts("'\nidentify: chs ");
	putdec(id[2] | id[3] << 8); putc('/'); putdec(id[6] | id[7] << 8); putc('/');
	putdec(id[12] | id[13] << 8);
	puts(" lba28 sectors "); putdec((uint32_t)(id[120] | id[121] << 8 | id[122] << 16 | id[123] << 24));
	puts(" capabilities 0x"); puthex((uint32_t)(id[98] | id[99] << 8), 4);
	puts(" sum "); puthex(sum(id, SECTOR), 8);
	puts("\n");
	return 1;
}

static void read_sectors(void)
{
	static uint8_t b[SECTOR];
	for (uint32_t s = 0; s < 4; s++) {
		start(s, 1, CMD_READ);
		int st = read_data(b);
		puts("read "); putdec(s); puts(": status 0x"); puthex((uint32_t)st, 2);
		puts(" first "); for (int i = 0; i < 8; i++) puthex(b[i], 2);
		puts(" sum "); puthex(sum(b, SECTOR), 8);
		puts(" after 0x"); puthex(inb(IDE_STATUS), 2);
		puts("\n");
	}
}

static void write_and_check(void)
{
	static uint8_t w[SECTOR], r[SECTOR];
	static char msg[] = "idetest wrote this sector on disk N\n";
	msg[sizeof msg - 3] = (char)('0' + drive);
	for (int i = 0; i < SECTOR; i++)
		w[i] = (uint8_t)(i < (int)sizeof msg - 1 ? (uint8_t)msg[i] : (i * 13 + (int)drive) & 0xFF);
	start(WRITE_LBA, 1, CMD_WRITE);
	int st1 = inb(IDE_CTRL);            /* alternate status: DRQ expected */
	outsl(IDE_DATA, w, SECTOR / 4);
	int st2 = wait_ready();
	start(WRITE_LBA, 1, CMD_READ);
	read_data(r);
	int same = 1;
	for (int i = 0; i < SECTOR; i++)
		same &= w[i] == r[i];
	puts("write "); putdec(WRITE_LBA); puts(": status 0x"); puthex((uint32_t)st1, 2);
	puts(" then 0x"); puthex((uint32_t)st2, 2);
	puts(same ? ", read back the same\n" : ", read back DIFFERENT\n");
}

static void errors_and_two_sectors(void)
{
	static uint8_t b[2 * SECTOR];
	start(0x0FFFFFFF, 1, CMD_READ);     /* far past the end */
	int st = wait_ready();
	puts("read past the end: status 0x"); puthex((uint32_t)st, 2);
	puts(" error 0x"); puthex(inb(IDE_ERROR), 2); puts("\n");
	start(2, 2, CMD_READ);
	read_data(b);
	int st2 = read_data(b + SECTOR);
	puts("read 2-3 in one command: status 0x"); puthex((uint32_t)st2, 2);
	puts(" sum "); puthex(sum(b, 2 * SECTOR), 8);
	puts(" left "); putdec(inb(IDE_NSECT)); puts("\n");
}

static void one_disk(unsigned d)
{
	drive = d;
	outb(IDE_DEVICE, dev_bits());
	int st = inb(IDE_STATUS);
	puts("disk "); putdec(d); puts(": status 0x"); puthex((uint32_t)st, 2); puts("\n");
	if (st == 0 || st == ST_FLOATING || !identify())
		return;
	read_sectors();
	write_and_check();
	errors_and_two_sectors();
}

void main(void)
{
	puts("idetest: start\n");
	puts("after the BIOS: device 0x"); puthex(inb(IDE_DEVICE), 2);
	puts(" status 0x"); puthex(inb(IDE_STATUS), 2);
	puts(" error 0x"); puthex(inb(IDE_ERROR), 2);
	puts(" count 0x"); puthex(inb(IDE_NSECT), 2);
	puts(" lba 0x"); puthex(inb(IDE_LBA2), 2); puthex(inb(IDE_LBA1), 2); puthex(inb(IDE_LBA0), 2);
	puts("\n");
	one_disk(1);
	one_disk(0);
	puts("idetest: done\n");
	outl(DEBUG_EXIT, 0);
}
