/*
 * elf.h - the ELF32 structures minios reads when it starts a user program
 * (and that a monitor reads when it loads a guest kernel).
 */
#ifndef MINIOS_ELF_H
#define MINIOS_ELF_H

#include <stdint.h>

#define ELF_MAGIC   0x464C457Fu  /* "\x7FELF" little-endian */
#define ELFCLASS32  1
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_386      3
#define PT_LOAD     1
#define PF_X        1
#define PF_W        2
#define PF_R        4

struct elf32_ehdr {
	uint32_t magic;
	uint8_t class, data, version, osabi;
	uint8_t pad[8];
	uint16_t type, machine;
	uint32_t version2, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

/* Checks that img[0..len) is an i386 ELF32 executable whose loadable
 * segments lie inside the file and inside [lo, hi), with an entry point in
 * one of them.  Returns 0, or -1 and a static one-line reason in *why. */
int elf_check(const void *img, uint32_t len, uint32_t lo, uint32_t hi, const char **why);

/* The same, but for a kernel that a boot loader places at the segments'
 * physical addresses (p_paddr): those must lie in [lo, hi), and the entry
 * may be virtual (inside a segment's p_vaddr range) or physical. */
int elf_check_phys(const void *img, uint32_t len, uint32_t lo, uint32_t hi, const char **why);

/* Entry point of a checked image as a physical address (translated through
 * the segment whose virtual range holds it, as GRUB does). */
uint32_t elf_entry_phys(const void *img);

/* The i-th program header of a checked image. */
const struct elf32_phdr *elf_phdr(const void *img, unsigned i);

#endif
