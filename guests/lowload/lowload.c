/*
 * lowload.c - a multiboot guest linked at 0x8000: does the loader put the
 * multiboot info somewhere the kernel's own image is not?
 *
 * The job: QEMU's loader (-kernel) places the info block after the kernel
 * image; the monitor's used to put it at 0x8000 whatever the kernel, and
 * refused a kernel that lives there.  This guest prints, on COM1, what it
 * finds through EBX (the magic, whether the block and its memory map and
 * command line lie outside its own image, the command line, the memory
 * map's entries), so that the native and the monitor's runs must print the
 * same lines; then it exits through the debug-exit port with 0 (or 1 if
 * something overlaps).  Addresses are not printed: the two loaders may
 * choose different places.
 */
#include <stdint.h>
#include "lib/multiboot.h"
#include "lib/mmap.h"

#define COM1        0x3F8
#define COM1_LSR    (COM1 + 5)
#define LSR_THRE    0x20
#define DEBUG_EXIT  0xF4
#define IMAGE_START 0x8000u

extern char image_end[];

static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0,%1" : : "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0,%1" : : "a"(v), "Nd"(p)); }

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

/* Does [a, a+len) stay clear of this image? */
static int clear_of_image(uint32_t a, uint32_t len)
{
	return a + len <= IMAGE_START || a >= (uint32_t)image_end;
}

static void yes_no(const char *what, int ok)
{
	puts(what);
	puts(ok ? ": yes\n" : ": NO\n");
}

static uint32_t strlen32(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

void main(uint32_t magic, const struct mb_info *mbi)
{
	int ok = magic == MB_BOOT_MAGIC;

	puts("lowload: linked at 0x8000\n");
	yes_no("lowload: multiboot magic in EAX", magic == MB_BOOT_MAGIC);
	ok &= clear_of_image((uint32_t)mbi, sizeof *mbi);
	yes_no("lowload: the info block is outside the image", clear_of_image((uint32_t)mbi,
										sizeof *mbi));
	if (mbi->flags & MBI_CMDLINE) {
		const char *cmd = (const char *)mbi->cmdline;
		int clear = clear_of_image(mbi->cmdline, strlen32(cmd) + 1);
		ok &= clear;
		yes_no("lowload: the command line is outside the image", clear);
	}
	if (mbi->flags & MBI_MMAP) {
		int clear = clear_of_image(mbi->mmap_addr, mbi->mmap_length);
		ok &= clear;
		yes_no("lowload: the memory map is outside the image", clear);
		puts("lowload: memory map entries with RAM at 0: ");
		const struct mb_mmap_entry *e = (const void *)mbi->mmap_addr;
		putdec(e->addr == 0 && e->type == 1);
		puts("\n");
	}
	yes_no("lowload: the memory size is given", (mbi->flags & MBI_MEM) && mbi->mem_upper > 0);
	outl(DEBUG_EXIT, ok ? 0 : 1);
}
