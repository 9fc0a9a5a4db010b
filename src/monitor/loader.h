/*
 * loader.h - load a multiboot v1 ELF32 guest kernel as QEMU's -kernel would.
 */
#ifndef MON_LOADER_H
#define MON_LOADER_H

#include <stdint.h>
#include "addr.h"
#include "lib/multiboot.h"

/* The guest's physical memory, as the loader sees it.  The monitor backs it
 * with the p2m table; the host unit tests with a plain array. */
struct guest_phys {
	uint32_t size;                  /* bytes of guest RAM, from gpa 0 */
	void (*write)(void *ctx, gpa_t dst, const void *src, uint32_t n);
	void *ctx;
};

/* Where the loader puts the multiboot information block it builds for the
 * guest (with its memory map and command line): low memory, as GRUB does. */
#define GUEST_MBI_GPA   0x00008000u
#define GUEST_MBI_SIZE  0x00001000u
#define GUEST_BOOT_ESP  0x00007000u     /* undefined by multiboot; below the info */
#define GUEST_LOWMEM_KB 639u            /* conventional memory below the VGA hole */
#define GUEST_HOLE_START 0x000A0000u    /* VGA + BIOS ROM: not RAM on a PC */
#define GUEST_HOLE_END   0x00100000u

#define MBH_SUPPORTED   (MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE)

/* What the guest's first instruction sees (multiboot v1 machine state). */
struct guest_boot {
	uint32_t entry;         /* physical EIP */
	uint32_t eax;           /* MB_BOOT_MAGIC */
	uint32_t ebx;           /* the info area: GUEST_MBI_GPA, or the first page
				   after the image if a segment covers that */
	uint32_t load_lo, load_hi;      /* guest-physical range the image occupies */
	unsigned nsegs;
};

/* Returns the offset of a valid multiboot header in img, or -1 with why. */
int mb_find_header(const void *img, uint32_t len, const char **why);

/* Checks img, copies its segments into guest memory, zeroes their bss,
 * writes the BIOS's low-memory tables for the machine fw describes (NULL:
 * fw_default_machine; see firmware.h), builds the multiboot info (memory
 * map, cmdline).  Returns 0, or -1 with a one-line reason in *why and guest
 * memory possibly partly written. */
struct fw_machine;
int guest_load(const void *img, uint32_t len, const char *cmdline,
	       const struct guest_phys *gp, const struct fw_machine *fw,
	       struct guest_boot *out, const char **why);

/* Modules for the guest (the monitor's own modules after the guest image):
 * after guest_load(), copies each module's bytes into guest RAM above the
 * image (page-aligned, as GRUB does), lists them in the multiboot info
 * (table at GUEST_MODS_OFF in the info area, strings after it) and sets MBI_MODS.  Returns
 * 0, or -1 with why (too many, a string too long, no room in guest RAM). */
#define GUEST_MODS_MAX      8u
#define GUEST_MODS_OFF      0x600u     /* the module table, in the info area */
#define GUEST_MODSTR_MAX    256u        /* bytes per module string, NUL included */
struct guest_module {
	const void *data;
	uint32_t len;
	const char *string;
};
int guest_add_modules(const struct guest_module *mods, unsigned n, const struct guest_phys *gp,
		      const struct guest_boot *boot, const char **why);

#endif
