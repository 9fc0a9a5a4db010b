/*
 * multiboot.h - the multiboot v1 boot protocol (GRUB, QEMU -kernel).
 *
 * The loader enters minios in 32-bit protected mode, paging off, with
 * EAX = MB_BOOT_MAGIC and EBX = physical address of a struct mb_info.
 */
#ifndef MINIOS_MULTIBOOT_H
#define MINIOS_MULTIBOOT_H

#include <stdint.h>

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC   0x2BADB002u

#define MBI_MEM      0x001  /* mem_lower/mem_upper valid */
#define MBI_CMDLINE  0x004
#define MBI_MODS     0x008
#define MBI_MMAP     0x040

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;  /* KB below 1 MB, KB above 1 MB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

#endif
