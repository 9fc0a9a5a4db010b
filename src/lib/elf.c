/*
 * elf.c - validate an ELF32 executable before anything is copied from it.
 *
 * Every field that is used as an offset or an address is bounds-checked,
 * with overflow-safe arithmetic, so a malformed image is refused with a
 * reason instead of making the loader read or write out of range.
 */
#include "elf.h"

#include <stddef.h>

/* True when [off, off+size) lies inside [0, len) without wrapping. */
static int in_range(uint32_t off, uint32_t size, uint32_t len)
{
	return off <= len && size <= len - off;
}

const struct elf32_phdr *elf_phdr(const void *img, unsigned i)
{
	const struct elf32_ehdr *eh = img;
	return (const struct elf32_phdr *)((const uint8_t *)img + eh->phoff + i * eh->phentsize);
}

static const char *check_header(const struct elf32_ehdr *eh, uint32_t len)
{
	if (len < sizeof(*eh))
		return "shorter than an ELF header";
	if (eh->magic != ELF_MAGIC)
		return "not an ELF file (bad magic)";
	if (eh->class != ELFCLASS32 || eh->data != ELFDATA2LSB)
		return "not a 32-bit little-endian ELF";
	if (eh->machine != EM_386)
		return "not an i386 ELF";
	if (eh->type != ET_EXEC)
		return "not an executable ELF (ET_EXEC)";
	if (eh->phnum == 0)
		return "no program headers";
	if (eh->phentsize < sizeof(struct elf32_phdr))
		return "program header entries too small";
	if (!in_range(eh->phoff, (uint32_t)eh->phnum * eh->phentsize, len))
		return "program headers outside the file";
	return NULL;
}

/* 'at' is the segment's vaddr or paddr, whichever the caller checks. */
static const char *check_segment(const struct elf32_phdr *ph, uint32_t at, uint32_t len,
				 uint32_t lo, uint32_t hi)
{
	if (ph->filesz > ph->memsz)
		return "segment file size larger than memory size";
	if (ph->filesz > 0 && !in_range(ph->offset, ph->filesz, len))
		return "segment data outside the file";  /* pure bss reads nothing */
	if (at < lo || at > hi || ph->memsz > hi - at)
		return "segment outside the allowed address range";
	return NULL;
}

/* The entry point may be given as a virtual address (translated through its
 * segment, as GRUB does) or directly as a physical one. */
static int entry_in(const struct elf32_phdr *ph, uint32_t entry, int phys)
{
	int in_v = entry >= ph->vaddr && entry - ph->vaddr < ph->memsz;
	int in_p = entry >= ph->paddr && entry - ph->paddr < ph->memsz;
	return phys ? in_v || in_p : in_v;
}

static int check(const void *img, uint32_t len, uint32_t lo, uint32_t hi, int phys,
		 const char **why)
{
	const struct elf32_ehdr *eh = img;
	const char *bad = check_header(eh, len);
	int entry_ok = 0, loads = 0;

	/* bound: phnum, 16 bits (checked against the image's length) */
	for (unsigned i = 0; bad == NULL && i < eh->phnum; i++) {
		const struct elf32_phdr *ph = elf_phdr(img, i);
		if (ph->type != PT_LOAD || ph->memsz == 0)
			continue;
		loads++;
		bad = check_segment(ph, phys ? ph->paddr : ph->vaddr, len, lo, hi);
		entry_ok |= entry_in(ph, eh->entry, phys);
	}
	if (bad == NULL && loads == 0)
		bad = "no loadable segment";
	if (bad == NULL && !entry_ok)
		bad = "entry point not inside a loadable segment";
	*why = bad;
	return bad ? -1 : 0;
}

int elf_check(const void *img, uint32_t len, uint32_t lo, uint32_t hi, const char **why)
{
	return check(img, len, lo, hi, 0, why);
}

int elf_check_phys(const void *img, uint32_t len, uint32_t lo, uint32_t hi, const char **why)
{
	return check(img, len, lo, hi, 1, why);
}

uint32_t elf_entry_phys(const void *img)
{
	const struct elf32_ehdr *eh = img;
	for (unsigned i = 0; i < eh->phnum; i++) {	/* bound: phnum, 16 bits */
		const struct elf32_phdr *ph = elf_phdr(img, i);
		if (ph->type == PT_LOAD && eh->entry >= ph->vaddr && eh->entry - ph->vaddr < ph->memsz)
			return eh->entry - ph->vaddr + ph->paddr;
	}
	return eh->entry;
}
