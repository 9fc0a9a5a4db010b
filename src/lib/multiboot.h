/*
 * multiboot.h - the multiboot v1 boot protocol (GRUB, QEMU -kernel, and the
 * monitor's own loader), defined once for minios and the monitor.
 *
 * A kernel carries a 12-byte header (magic, flags, checksum; the three sum
 * to 0) 4-byte aligned in its first 8 KB.  The loader enters it in 32-bit
 * protected mode, paging off, with EAX = MB_BOOT_MAGIC and EBX = the
 * physical address of a struct mb_info.
 */
#ifndef LIB_MULTIBOOT_H
#define LIB_MULTIBOOT_H

#include <stdint.h>

#define MB_HEADER_MAGIC  0x1BADB002u
#define MB_BOOT_MAGIC    0x2BADB002u
#define MB_HEADER_SEARCH 8192u          /* the header must be in the first 8 KB */

/* Header flags: bits 0-15 are requirements a loader must meet or refuse. */
#define MBH_PAGE_ALIGN   0x00000001u
#define MBH_MEMORY_INFO  0x00000002u
#define MBH_VIDEO_MODE   0x00000004u
#define MBH_AOUT_KLUDGE  0x00010000u

/* struct mb_info 'flags': which fields are valid */
#define MBI_MEM      0x001  /* mem_lower/mem_upper */
#define MBI_CMDLINE  0x004
#define MBI_MODS     0x008
#define MBI_MMAP     0x040
#define MBI_LOADER   0x200  /* boot_loader_name */

struct mb_header {
	uint32_t magic, flags, checksum;
};

/* The information block (multiboot v1, section 3.3). */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;  /* KB below 1 MB, KB above 1 MB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

/* One entry of the module list at mods_addr. */
struct mb_module {
	uint32_t start, end;    /* physical range of the module's bytes */
	uint32_t string;        /* its command line */
	uint32_t reserved;
};

#endif
