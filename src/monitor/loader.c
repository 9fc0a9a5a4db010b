/*
 * loader.c - the monitor's multiboot v1 loader.
 *
 * Mechanism: a multiboot loader finds the 12-byte header (magic, flags,
 * checksum with magic + flags + checksum == 0) in the first 8 KB of the
 * kernel file, 4-byte aligned; for an ELF kernel it copies each PT_LOAD
 * segment to its physical address (p_paddr), zeroes the rest of its memory
 * size, builds a multiboot info block (memory size and map, command line),
 * and enters at the entry point in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = the info block's physical address.
 *
 * This file does exactly that into *guest* physical memory, so any
 * multiboot kernel that boots with QEMU -kernel boots under the monitor.
 * It also leaves what QEMU's BIOS would have left before the boot loader
 * ran (firmware.c: BIOS data area, EBDA, MP tables) and marks the EBDA and
 * the BIOS area reserved in the memory map, as QEMU's e820 map does.
 * Everything in the image is untrusted: each offset and address is checked
 * before use and a bad image is refused with a one-line reason.
 */
#include "loader.h"
#include <stdbool.h>
#include <stddef.h>
#include "firmware.h"
#include "lib/elf.h"
#include "lib/fmt.h"
#include "lib/mmap.h"

#define MMAP_RESERVED 2
#define MMAP_ENTRIES 4
#define CMDLINE_MAX  1024

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Checks the header at off; returns NULL if it is usable, else why not. */
static const char *check_header_at(const uint8_t *b, uint32_t off)
{
	uint32_t flags = rd32(b + off + 4);
	if (rd32(b + off) + flags + rd32(b + off + 8) != 0)
		return "multiboot header checksum is wrong";
	if (flags & MBH_AOUT_KLUDGE)
		return "multiboot a.out-kludge images are not supported (ELF only)";
	if (flags & 0xFFFFu & ~MBH_SUPPORTED)
		return "multiboot header requires a feature this loader lacks";
	return NULL;
}

/* Like GRUB, a magic word whose header does not check out is skipped: the
 * real header may come later.  Its reason is reported if none does. */
int mb_find_header(const void *img, uint32_t len, const char **why)
{
	const uint8_t *b = img;
	uint32_t end = len < MB_HEADER_SEARCH ? len : MB_HEADER_SEARCH;

	*why = "no multiboot header in the first 8 KB";
	/* bound: MB_HEADER_SEARCH / 4 offsets */
	for (uint32_t off = 0; off + sizeof(struct mb_header) <= end; off += 4) {
		if (rd32(b + off) != MB_HEADER_MAGIC)
			continue;
		const char *bad = check_header_at(b, off);
		if (bad == NULL)
			return (int)off;
		*why = bad;
	}
	return -1;
}

static void load_segment(const uint8_t *img, const struct elf32_phdr *ph,
			 const struct guest_phys *gp)
{
	static const uint8_t zeros[256];

	gp->write(gp->ctx, gpa(ph->paddr), img + ph->offset, ph->filesz);
	for (uint32_t done = ph->filesz; done < ph->memsz;) {	/* bound: memsz / 256 writes */
		uint32_t n = ph->memsz - done < sizeof zeros ? ph->memsz - done : sizeof zeros;
		gp->write(gp->ctx, gpa(ph->paddr + done), zeros, n);
		done += n;
	}
}

static bool overlaps(uint32_t lo, uint32_t hi, uint32_t a, uint32_t b)
{
	return lo < b && hi > a;
}

/* Does any segment of img cover [a, b)? */
static bool segments_cover(const void *img, uint32_t a, uint32_t b)
{
	const struct elf32_ehdr *eh = img;
	for (unsigned i = 0; i < eh->phnum; i++) {	/* bound: phnum, 16 bits */
		const struct elf32_phdr *ph = elf_phdr(img, i);
		if (ph->type == PT_LOAD && ph->memsz &&
		    overlaps(ph->paddr, ph->paddr + ph->memsz, a, b))
			return true;
	}
	return false;
}

/* Where the info area goes: GUEST_MBI_GPA, as before; or, if a segment
 * covers it, the first page after the image (where QEMU's loader puts it).
 * 0 if neither fits. */
static uint32_t place_info(const void *img, const struct guest_boot *b, uint32_t ram)
{
	uint32_t after = (b->load_hi + 0xFFFu) & ~0xFFFu;

	if (!segments_cover(img, GUEST_MBI_GPA, GUEST_MBI_GPA + GUEST_MBI_SIZE))
		return GUEST_MBI_GPA;
	if (after >= b->load_hi && after <= ram - GUEST_MBI_SIZE &&
	    !overlaps(after, after + GUEST_MBI_SIZE, GUEST_HOLE_START, GUEST_HOLE_END))
		return after;
	return 0;
}

/* Segments must not cover the VGA/BIOS hole. */
static const char *check_placement(const void *img, struct guest_boot *out)
{
	const struct elf32_ehdr *eh = img;
	out->load_lo = 0xFFFFFFFFu;
	out->load_hi = 0;
	out->nsegs = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {	/* bound: phnum, 16 bits */
		const struct elf32_phdr *ph = elf_phdr(img, i);
		if (ph->type != PT_LOAD || ph->memsz == 0)
			continue;
		uint32_t lo = ph->paddr, hi = ph->paddr + ph->memsz;
		if (lo < GUEST_HOLE_END && hi > GUEST_HOLE_START)
			return "a segment overlaps the VGA/BIOS hole (0xa0000-0xfffff)";
		out->load_lo = lo < out->load_lo ? lo : out->load_lo;
		out->load_hi = hi > out->load_hi ? hi : out->load_hi;
		out->nsegs++;
	}
	return NULL;            /* elf_check_phys has ensured there is a segment */
}

static void put_mmap(struct mb_mmap_entry *e, uint64_t addr, uint64_t len, uint32_t type)
{
	*e = (struct mb_mmap_entry){ sizeof *e - 4, addr, len, type };
}

static void build_info(const char *cmdline, const struct guest_phys *gp, uint32_t info_gpa)
{
	struct mb_mmap_entry map[MMAP_ENTRIES];
	static const char name[] = "trap-and-emulate monitor";
	uint32_t map_gpa = info_gpa + sizeof(struct mb_info);
	uint32_t name_gpa = map_gpa + sizeof map;
	uint32_t cmd_gpa = name_gpa + sizeof name;
	uint32_t cmdlen = (uint32_t)fmt_strlen(cmdline);

	if (cmdlen > CMDLINE_MAX - 1)
		cmdlen = CMDLINE_MAX - 1;
	_Static_assert(GUEST_LOWMEM_KB * 1024u == FW_EBDA_GPA &&
		       FW_EBDA_GPA + FW_EBDA_SIZE == GUEST_HOLE_START, "EBDA between RAM and hole");
	put_mmap(&map[0], 0, GUEST_LOWMEM_KB * 1024u, MMAP_AVAILABLE);
	put_mmap(&map[1], FW_EBDA_GPA, FW_EBDA_SIZE, MMAP_RESERVED);
	put_mmap(&map[2], GUEST_HOLE_START, GUEST_HOLE_END - GUEST_HOLE_START, MMAP_RESERVED);
	put_mmap(&map[3], GUEST_HOLE_END, gp->size - GUEST_HOLE_END, MMAP_AVAILABLE);
	struct mb_info mbi = {
		.flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER,
		.mem_lower = GUEST_LOWMEM_KB, .mem_upper = (gp->size - GUEST_HOLE_END) / 1024,
		.cmdline = cmd_gpa, .mmap_length = sizeof map, .mmap_addr = map_gpa,
		.boot_loader_name = name_gpa,
	};
	gp->write(gp->ctx, gpa(info_gpa), &mbi, sizeof mbi);
	gp->write(gp->ctx, gpa(map_gpa), map, sizeof map);
	gp->write(gp->ctx, gpa(name_gpa), name, sizeof name);
	gp->write(gp->ctx, gpa(cmd_gpa), cmdline, cmdlen);
	gp->write(gp->ctx, gpa(cmd_gpa + cmdlen), "", 1);
}

int guest_load(const void *img, uint32_t len, const char *cmdline,
	       const struct guest_phys *gp, const struct fw_machine *fw,
	       struct guest_boot *out, const char **why)
{
	struct fw_machine fw_default;

	_Static_assert(sizeof(struct mb_info) + MMAP_ENTRIES * sizeof(struct mb_mmap_entry) + 32 +
		       CMDLINE_MAX <= GUEST_MBI_SIZE, "multiboot info must fit its area");
	if (mb_find_header(img, len, why) < 0)
		return -1;
	if (gp->size <= GUEST_HOLE_END) {
		*why = "guest memory too small (needs more than 1 MB)";
		return -1;
	}
	if (elf_check_phys(img, len, 0, gp->size, why) < 0)
		return -1;
	if ((*why = check_placement(img, out)) != NULL)
		return -1;
	uint32_t info_gpa = place_info(img, out, gp->size);
	if (info_gpa == 0) {
		*why = "no room for the multiboot info: segments cover 0x8000 and guest RAM "
		       "ends right after the image";
		return -1;
	}
	const struct elf32_ehdr *eh = img;
	if (!fw) {
		fw_default_machine(&fw_default);
		fw = &fw_default;
	}
	firmware_write(gp, fw);         /* first: the BIOS ran before the loader */
	for (unsigned i = 0; i < eh->phnum; i++) {	/* bound: phnum, 16 bits */
		const struct elf32_phdr *ph = elf_phdr(img, i);
		if (ph->type == PT_LOAD)
			load_segment(img, ph, gp);
	}
	build_info(cmdline ? cmdline : "", gp, info_gpa);
	out->entry = elf_entry_phys(img);
	out->eax = MB_BOOT_MAGIC;
	out->ebx = info_gpa;
	return 0;
}

static uint32_t page_up(uint32_t a)
{
	return (a + 0xFFFu) & ~0xFFFu;
}

int guest_add_modules(const struct guest_module *mods, unsigned n, const struct guest_phys *gp,
		      const struct guest_boot *boot, const char **why)
{
	_Static_assert(GUEST_MODS_OFF >= sizeof(struct mb_info) +
		       MMAP_ENTRIES * sizeof(struct mb_mmap_entry) + 32 + CMDLINE_MAX,
		       "module table after the command line");
	_Static_assert(GUEST_MODS_OFF + GUEST_MODS_MAX * (sizeof(struct mb_module) +
		       GUEST_MODSTR_MAX) <= GUEST_MBI_SIZE,
		       "module table and strings fit the info area");
	uint32_t info = boot->ebx, mods_gpa = info + GUEST_MODS_OFF;
	uint32_t at = page_up(boot->load_hi > GUEST_HOLE_END ? boot->load_hi : GUEST_HOLE_END);
	if (at < info + GUEST_MBI_SIZE && info >= GUEST_HOLE_END)
		at = info + GUEST_MBI_SIZE;     /* the info area sits after the image */
	uint32_t str_gpa = mods_gpa + GUEST_MODS_MAX * sizeof(struct mb_module);
	struct mb_module table[GUEST_MODS_MAX];

	if (n == 0)
		return 0;
	if (n > GUEST_MODS_MAX) {
		*why = "too many modules for the guest (at most 8)";
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {	/* bound: n <= GUEST_MODS_MAX (checked above) */
		uint32_t slen = (uint32_t)fmt_strlen(mods[i].string ? mods[i].string : "") + 1;
		if (slen > GUEST_MODSTR_MAX) {
			*why = "a module's string is longer than 255 characters";
			return -1;
		}
		if (mods[i].len > gp->size || at > gp->size - mods[i].len) {
			*why = "the guest's modules do not fit in guest RAM";
			return -1;
		}
		gp->write(gp->ctx, gpa(at), mods[i].data, mods[i].len);
		gp->write(gp->ctx, gpa(str_gpa), mods[i].string ? mods[i].string : "", slen);
		table[i] = (struct mb_module){ at, at + mods[i].len, str_gpa, 0 };
		at = page_up(at + mods[i].len);
		str_gpa += slen;
	}
	uint32_t flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER | MBI_MODS;
	uint32_t count = n, addr = mods_gpa;
	gp->write(gp->ctx, gpa(mods_gpa), table, n * sizeof table[0]);
	gp->write(gp->ctx, gpa(info + offsetof(struct mb_info, flags)), &flags, 4);
	gp->write(gp->ctx, gpa(info + offsetof(struct mb_info, mods_count)), &count, 4);
	gp->write(gp->ctx, gpa(info + offsetof(struct mb_info, mods_addr)), &addr, 4);
	return 0;
}
