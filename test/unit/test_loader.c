/*
 * test_loader.c - host unit tests for src/monitor/loader.c: guest_load()
 * and mb_find_header().  Multiboot v1 ELF32 images are built in memory and
 * loaded into a malloc'd guest RAM pre-filled with junk (0xCC) through a
 * write callback that fails the test on any out-of-bounds write.  Checks:
 * segments copied to p_paddr byte-exact, bss zeroed, nothing else touched;
 * the multiboot info block read back at spec offsets (flags, mem_lower/upper,
 * memory map, loader name, command line incl. NULL and truncation); entry
 * translation for higher-half kernels; and every refusal with its reason
 * (header search/checksum/flags, ELF header, segment range incl. wrap-around,
 * info-area and VGA-hole overlap, 1 MB guest, truncated file, entry point).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "monitor/loader.h"
#include "monitor/firmware.h"
#include "lib/elf.h"
#include "lib/mmap.h"

#define RAM_SIZE   (4u << 20)
#define JUNK       0xCCu
#define IMG_CAP    0x5000u
#define PHOFF      52u
#define PT_NOTE    4u

/* Multiboot v1 info flags and offsets, straight from the spec (section 3.3),
 * so the loader's struct layout is checked too. */
#define SPEC_MBI_MEM         0x001u
#define SPEC_MBI_CMDLINE     0x004u
#define SPEC_MBI_MMAP        0x040u
#define SPEC_MBI_LOADER      0x200u
#define OFF_FLAGS       0
#define OFF_MEM_LOWER   4
#define OFF_MEM_UPPER   8
#define OFF_CMDLINE     16
#define OFF_MMAP_LENGTH 44
#define OFF_MMAP_ADDR   48
#define OFF_LOADER_NAME 64
#define MBI_FIXED_SIZE  68u             /* up to and including boot_loader_name */
#define CMDLINE_MAX     1024u           /* as in loader.c */

/* ---- guest RAM ------------------------------------------------------- */

struct ram {
	uint8_t *bytes;
	uint32_t size;
	uint64_t written;               /* bytes passed to the write callback */
	uint32_t info_max_end;          /* highest end of a write starting in the info area */
	struct guest_phys gp;
};

static void ram_write(void *ctx, gpa_t dst, const void *src, uint32_t n)
{
	struct ram *r = ctx;
	if ((uint64_t)dst.v + n > r->size)
		fail_msg("loader wrote %u bytes at gpa 0x%x, past guest RAM (0x%x)", n, dst.v, r->size);
	if (n)
		memcpy(r->bytes + dst.v, src, n);
	r->written += n;
	if (dst.v >= GUEST_MBI_GPA && dst.v < GUEST_MBI_GPA + GUEST_MBI_SIZE &&
	    dst.v + n > r->info_max_end)
		r->info_max_end = dst.v + n;
}

static void ram_resize(struct ram *r, uint32_t size)
{
	free(r->bytes);
	r->bytes = malloc(size ? size : 1);
	assert_non_null(r->bytes);
	memset(r->bytes, JUNK, size);
	r->size = size;
	r->written = 0;
	r->info_max_end = 0;
	r->gp = (struct guest_phys){ size, ram_write, r };
}

static int setup(void **state)
{
	struct ram *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -1;
	ram_resize(r, RAM_SIZE);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct ram *r = *state;
	free(r->bytes);
	free(r);
	return 0;
}

static uint32_t rd32(const struct ram *r, uint32_t gpa_v)
{
	uint32_t v;
	assert_true((uint64_t)gpa_v + 4 <= r->size);
	memcpy(&v, r->bytes + gpa_v, 4);
	return v;
}

static uint32_t mbi(const struct ram *r, uint32_t off)
{
	return rd32(r, GUEST_MBI_GPA + off);
}

/* The BIOS's areas the loader writes for every guest (firmware.c). */
static bool in_firmware(uint32_t a)
{
	return (a >= FW_BDA_GPA && a < FW_BDA_GPA + FW_BDA_SIZE) ||
	       (a >= FW_EBDA_GPA && a < FW_EBDA_GPA + FW_EBDA_SIZE) ||
	       (a >= FW_ROM_GPA && a < FW_ROM_GPA + FW_ROM_SIZE);
}
#define FW_BYTES (FW_BDA_SIZE + FW_EBDA_SIZE + 1 + FW_ROM_SIZE + FW_MP_FLOATING_SIZE + FW_MPC_MAX)

/* Every byte of [lo, hi) outside the BIOS areas still holds the junk fill. */
static void assert_untouched(const struct ram *r, uint32_t lo, uint32_t hi)
{
	for (uint32_t a = lo; a < hi; a++)
		if (r->bytes[a] != JUNK && !in_firmware(a))
			fail_msg("gpa 0x%x was written (0x%02x) but should not have been", a,
				 r->bytes[a]);
}

/* A NUL-terminated string at gpa s that lies inside the info area. */
static const char *guest_str(const struct ram *r, uint32_t s)
{
	assert_true(s >= GUEST_MBI_GPA && s < GUEST_MBI_GPA + GUEST_MBI_SIZE);
	const char *p = (const char *)r->bytes + s;
	assert_non_null(memchr(p, 0, GUEST_MBI_GPA + GUEST_MBI_SIZE - s));
	return p;
}

/* ---- images ---------------------------------------------------------- */

struct seg {
	uint32_t type, offset, vaddr, paddr, filesz, memsz;
};

struct img {
	union {
		uint8_t b[IMG_CAP];
		struct elf32_ehdr eh;   /* for alignment */
	};
	uint32_t len;
};

static struct elf32_phdr *phdr(struct img *im, unsigned i)
{
	return (struct elf32_phdr *)(im->b + PHOFF + i * sizeof(struct elf32_phdr));
}

static void extend(struct img *im, uint32_t end)
{
	assert_true(end <= IMG_CAP);
	if (end > im->len)
		im->len = end;
}

/* A multiboot header at off with the given flags and checksum adjustment. */
static void put_mb_raw(uint8_t *b, uint32_t off, uint32_t flags, uint32_t sum_delta)
{
	uint32_t h[3] = { MB_HEADER_MAGIC, flags, -(MB_HEADER_MAGIC + flags) + sum_delta };
	memcpy(b + off, h, sizeof h);
}

static void put_mb(struct img *im, uint32_t off, uint32_t flags)
{
	put_mb_raw(im->b, off, flags, 0);
	extend(im, off + 12);
}

/* ELF header, program headers, a distinctive payload per segment, and a
 * valid multiboot header (flags 0) at mb_off. */
static void build(struct img *im, const struct seg *s, unsigned n, uint32_t entry,
		  uint32_t mb_off)
{
	memset(im, 0, sizeof *im);
	struct elf32_ehdr *eh = &im->eh;
	eh->magic = ELF_MAGIC;
	eh->class = ELFCLASS32;
	eh->data = ELFDATA2LSB;
	eh->version = 1;
	eh->type = ET_EXEC;
	eh->machine = EM_386;
	eh->version2 = 1;
	eh->entry = entry;
	eh->phoff = PHOFF;
	eh->ehsize = sizeof *eh;
	eh->phentsize = sizeof(struct elf32_phdr);
	eh->phnum = (uint16_t)n;
	extend(im, PHOFF + n * sizeof(struct elf32_phdr));
	for (unsigned i = 0; i < n; i++) {
		struct elf32_phdr *ph = phdr(im, i);
		*ph = (struct elf32_phdr){ s[i].type, s[i].offset, s[i].vaddr, s[i].paddr,
					   s[i].filesz, s[i].memsz, PF_R | PF_W | PF_X, 0x1000 };
		if (s[i].filesz == 0 || s[i].offset >= IMG_CAP)
			continue;
		extend(im, s[i].offset + s[i].filesz);
		for (uint32_t k = 0; k < s[i].filesz; k++)
			im->b[s[i].offset + k] = (uint8_t)(k * 37u + i * 101u + 1u);
	}
	put_mb(im, mb_off, 0);
}

/* The standard image: text at 1 MB (multiboot header at its start, as a
 * linker script puts it) and data + bss whose size is not a multiple of
 * the loader's 256-byte zero chunk; a PT_NOTE pointing into the VGA hole
 * that must be ignored. */
#define TEXT_OFF   0x1000u
#define TEXT_PA    0x100000u
#define TEXT_SZ    0x800u
#define DATA_OFF   0x1800u
#define DATA_PA    0x102000u
#define DATA_FILE  0x123u
#define DATA_MEM   (DATA_FILE + 0x2345u)
#define STD_ENTRY  (TEXT_PA + 0xCu)

static const struct seg std_segs[] = {
	{ PT_LOAD, TEXT_OFF, TEXT_PA, TEXT_PA, TEXT_SZ, TEXT_SZ },
	{ PT_NOTE, 0x200, 0xA0000, 0xA0000, 0x20, 0x20 },
	{ PT_LOAD, DATA_OFF, DATA_PA, DATA_PA, DATA_FILE, DATA_MEM },
};

static void std_image(struct img *im)
{
	build(im, std_segs, 3, STD_ENTRY, TEXT_OFF);
}

/* One PT_LOAD segment at paddr (== vaddr) of memsz bytes, 0x100 of file. */
static void one_seg_image(struct img *im, uint32_t paddr, uint32_t memsz, uint32_t entry)
{
	uint32_t filesz = memsz < 0x100 ? memsz : 0x100;
	struct seg s = { PT_LOAD, 0x1000, paddr, paddr, filesz, memsz };
	build(im, &s, 1, entry, 0x100);
}

static int load(struct ram *r, struct img *im, const char *cmdline, struct guest_boot *out,
		const char **why)
{
	*why = "(unset)";
	return guest_load(im->b, im->len, cmdline, &r->gp, NULL, out, why);
}

static void expect_loaded(struct ram *r, struct img *im, struct guest_boot *out)
{
	const char *why;
	int rc = load(r, im, "", out, &why);
	if (rc != 0)
		fail_msg("refused a valid image: %s", why ? why : "(null)");
}

static void expect_refused(struct ram *r, struct img *im, const char *reason)
{
	struct guest_boot out;
	const char *why;
	assert_int_equal(load(r, im, "x", &out, &why), -1);
	assert_non_null(why);
	if (strstr(why, reason) == NULL)
		fail_msg("reason \"%s\" does not contain \"%s\"", why, reason);
}

/* ---- valid images ---------------------------------------------------- */

static void test_valid_segments(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	std_image(&im);
	expect_loaded(r, &im, &out);

	assert_memory_equal(r->bytes + TEXT_PA, im.b + TEXT_OFF, TEXT_SZ);
	assert_memory_equal(r->bytes + DATA_PA, im.b + DATA_OFF, DATA_FILE);
	for (uint32_t a = DATA_PA + DATA_FILE; a < DATA_PA + DATA_MEM; a++)
		if (r->bytes[a] != 0)
			fail_msg("bss byte at gpa 0x%x not zeroed (0x%02x)", a, r->bytes[a]);

	/* Nothing outside the two segments and the info area was written. */
	assert_untouched(r, 0, GUEST_MBI_GPA);
	assert_untouched(r, GUEST_MBI_GPA + GUEST_MBI_SIZE, TEXT_PA);   /* incl. the PT_NOTE */
	assert_untouched(r, TEXT_PA + TEXT_SZ, DATA_PA);
	assert_untouched(r, DATA_PA + DATA_MEM, r->size);

	assert_int_equal(out.entry, STD_ENTRY);
	assert_int_equal(out.eax, 0x2BADB002u);
	assert_int_equal(out.ebx, 0x8000u);
	assert_int_equal(out.load_lo, TEXT_PA);
	assert_int_equal(out.load_hi, DATA_PA + DATA_MEM);
	assert_int_equal(out.nsegs, 2);
	assert_true(r->written >= TEXT_SZ + DATA_MEM);
	assert_true(r->written <= TEXT_SZ + DATA_MEM + GUEST_MBI_SIZE + FW_BYTES);
}

static void test_info_block(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	const char *why;
	static const char cmd[] = "console=serial loglevel=3 root=/dev/null";
	std_image(&im);
	assert_int_equal(load(r, &im, cmd, &out, &why), 0);

	assert_int_equal(mbi(r, OFF_FLAGS), SPEC_MBI_MEM | SPEC_MBI_CMDLINE | SPEC_MBI_MMAP | SPEC_MBI_LOADER);
	assert_int_equal(mbi(r, OFF_MEM_LOWER), 639);
	assert_int_equal(mbi(r, OFF_MEM_UPPER), (RAM_SIZE - 0x100000u) / 1024);   /* 3072 */

	uint32_t cmd_at = mbi(r, OFF_CMDLINE);
	assert_string_equal(guest_str(r, cmd_at), cmd);
	uint32_t name_at = mbi(r, OFF_LOADER_NAME);
	const char *name = guest_str(r, name_at);
	assert_true(strlen(name) > 0);
	assert_string_equal(name, "trap-and-emulate monitor");

	/* The memory map: four 24-byte entries (size field 20), the EBDA and
	 * the VGA/BIOS area reserved, as QEMU's e820 map. */
	uint32_t mlen = mbi(r, OFF_MMAP_LENGTH), maddr = mbi(r, OFF_MMAP_ADDR);
	assert_int_equal(mlen, 4 * sizeof(struct mb_mmap_entry));
	assert_true(maddr >= GUEST_MBI_GPA + MBI_FIXED_SIZE);
	assert_true(maddr + mlen <= GUEST_MBI_GPA + GUEST_MBI_SIZE);
	static const struct { uint64_t addr, len; uint32_t type; } want[4] = {
		{ 0, 639 * 1024, 1 },
		{ 0x9FC00, 0x400, 2 },
		{ 0xA0000, 0x60000, 2 },
		{ 0x100000, RAM_SIZE - 0x100000, 1 },
	};
	for (unsigned i = 0; i < 4; i++) {
		struct mb_mmap_entry e;
		memcpy(&e, r->bytes + maddr + i * sizeof e, sizeof e);
		assert_int_equal(e.size, 20);
		assert_true(e.addr == want[i].addr);
		assert_true(e.len == want[i].len);
		assert_int_equal(e.type, want[i].type);
	}
	/* What minios itself makes of it. */
	assert_true(mmap_ram_top(r->bytes + maddr, mlen) == RAM_SIZE);

	/* The pieces do not overlap each other or the fixed part. */
	uint32_t lo[4] = { GUEST_MBI_GPA, maddr, name_at, cmd_at };
	uint32_t hi[4] = { GUEST_MBI_GPA + MBI_FIXED_SIZE, maddr + mlen,
			   name_at + (uint32_t)strlen(name) + 1, cmd_at + sizeof cmd };
	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = i + 1; j < 4; j++)
			if (lo[i] < hi[j] && lo[j] < hi[i])
				fail_msg("info pieces %u and %u overlap", i, j);
	assert_true(r->info_max_end <= GUEST_MBI_GPA + GUEST_MBI_SIZE);
}

static void test_cmdline_null_is_empty(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	const char *why;
	std_image(&im);
	assert_int_equal(load(r, &im, NULL, &out, &why), 0);
	assert_true(mbi(r, OFF_FLAGS) & SPEC_MBI_CMDLINE);
	assert_string_equal(guest_str(r, mbi(r, OFF_CMDLINE)), "");
}

/* mem_upper and the last map entry follow the guest RAM size; the
 * smallest usable guest (1 MB + one page) is accepted. */
static void test_other_ram_sizes(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	static const uint32_t sizes[] = { 0x101000u, 0x2345600u, 32u << 20 };
	for (unsigned i = 0; i < 3; i++) {
		ram_resize(r, sizes[i]);
		one_seg_image(&im, 0x100000, 0x1000, 0x100000);
		expect_loaded(r, &im, &out);
		assert_int_equal(mbi(r, OFF_MEM_UPPER), (sizes[i] - 0x100000u) / 1024);
		struct mb_mmap_entry e;
		memcpy(&e, r->bytes + mbi(r, OFF_MMAP_ADDR) + 3 * sizeof e, sizeof e);
		assert_true(e.addr == 0x100000 && e.len == sizes[i] - 0x100000u);
	}
}

/* The BIOS ran before the loader: a segment in low memory (over the BIOS
 * data area) keeps its own bytes, and the MP table is still where a kernel
 * looks for it. */
static void test_segment_over_bda_wins(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	one_seg_image(&im, 0x400, 0x100, 0x400);
	expect_loaded(r, &im, &out);
	assert_memory_equal(r->bytes + 0x400, im.b + 0x1000, 0x100);
	assert_memory_equal(r->bytes + FW_MP_GPA, "_MP_", 4);
}

/* Segment ending exactly at the end of guest RAM, and segments right next
 * to the info area and the hole, are all fine. */
static void test_boundaries_accepted(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;

	one_seg_image(&im, RAM_SIZE - 0x2000, 0x2000, RAM_SIZE - 0x2000);
	expect_loaded(r, &im, &out);
	assert_int_equal(out.load_hi, RAM_SIZE);
	assert_int_equal(r->bytes[RAM_SIZE - 1], 0);             /* bss at the very end */

	one_seg_image(&im, 0x7000, 0x1000, 0x7000);             /* ends at 0x8000 */
	expect_loaded(r, &im, &out);
	one_seg_image(&im, 0x9000, 0x1000, 0x9000);             /* starts at 0x9000 */
	expect_loaded(r, &im, &out);
	one_seg_image(&im, 0x9F000, 0x1000, 0x9F000);           /* ends at 0xA0000 */
	expect_loaded(r, &im, &out);
	one_seg_image(&im, 0x100000, 0x1000, 0x100FFF);         /* entry on the last byte */
	expect_loaded(r, &im, &out);
	assert_int_equal(out.entry, 0x100FFF);
}

/* Optional header flags (bits 16-31 other than the a.out kludge) and all
 * supported required ones are accepted. */
static void test_flags_accepted(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	static const uint32_t ok[] = { MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE,
				       0x00020000u, 0x80000003u };
	for (unsigned i = 0; i < 3; i++) {
		std_image(&im);
		put_mb(&im, TEXT_OFF, ok[i]);
		expect_loaded(r, &im, &out);
	}
}

/* ---- entry translation ----------------------------------------------- */

#define HH_VA 0xC0100000u

static void test_higher_half_entry(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	struct seg s = { PT_LOAD, 0x1000, HH_VA, 0x100000, 0x200, 0x1000 };
	build(&im, &s, 1, 0xC010000Cu, 0x1000);
	expect_loaded(r, &im, &out);
	assert_int_equal(out.entry, 0x10000Cu);
	assert_int_equal(out.load_lo, 0x100000u);
	assert_int_equal(out.load_hi, 0x101000u);
	assert_memory_equal(r->bytes + 0x100000, im.b + 0x1000, 0x200);
}

static void test_physical_entry_accepted(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	struct seg s = { PT_LOAD, 0x1000, HH_VA, 0x100000, 0x200, 0x1000 };
	build(&im, &s, 1, 0x10000Cu, 0x1000);
	expect_loaded(r, &im, &out);
	assert_int_equal(out.entry, 0x10000Cu);
}

/* The entry is translated through the segment that holds it, not the first;
 * with the segments in descending address order, load_lo/load_hi are still
 * the overall minimum and maximum. */
static void test_entry_in_second_segment(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	struct seg s[2] = {
		{ PT_LOAD, 0x2000, 0xC0400000u, 0x200000, 0x100, 0x1000 },
		{ PT_LOAD, 0x1000, HH_VA, 0x100000, 0x100, 0x1000 },
	};
	build(&im, s, 2, HH_VA + 0x10, 0x1000);
	expect_loaded(r, &im, &out);
	assert_int_equal(out.entry, 0x100010u);
	assert_int_equal(out.load_lo, 0x100000u);
	assert_int_equal(out.load_hi, 0x201000u);
	assert_int_equal(out.nsegs, 2);
	assert_memory_equal(r->bytes + 0x100000, im.b + 0x1000, 0x100);
	assert_memory_equal(r->bytes + 0x200000, im.b + 0x2000, 0x100);
}

/* ---- refusals -------------------------------------------------------- */

static void test_refuse_no_header(void **state)
{
	struct img im;
	std_image(&im);
	memset(im.b + TEXT_OFF, 0, 12);
	expect_refused(*state, &im, "no multiboot header");
}

static void test_refuse_header_beyond_8k(void **state)
{
	struct img im;
	std_image(&im);
	memset(im.b + TEXT_OFF, 0, 12);
	put_mb(&im, 8192, 0);                   /* starts just past the window */
	expect_refused(*state, &im, "no multiboot header");
	memset(im.b + 8192, 0, 12);
	put_mb(&im, 8188, 0);                   /* straddles the 8 KB mark */
	expect_refused(*state, &im, "no multiboot header");
	memset(im.b + 8188, 0, 12);
	put_mb(&im, 8180, 0);                   /* last spot entirely inside */
	struct guest_boot out;
	expect_loaded(*state, &im, &out);
}

static void test_refuse_bad_checksum(void **state)
{
	struct img im;
	std_image(&im);
	put_mb_raw(im.b, TEXT_OFF, 0, 1);
	expect_refused(*state, &im, "checksum");
}

static void test_refuse_aout_kludge(void **state)
{
	struct img im;
	std_image(&im);
	put_mb(&im, TEXT_OFF, MBH_AOUT_KLUDGE);
	expect_refused(*state, &im, "a.out");
}

static void test_refuse_unsupported_flag(void **state)
{
	struct img im;
	static const uint32_t bad[] = { 1u << 3, 1u << 15, MBH_MEMORY_INFO | (1u << 8) };
	for (unsigned i = 0; i < 3; i++) {
		std_image(&im);
		put_mb(&im, TEXT_OFF, bad[i]);
		expect_refused(*state, &im, "requires a feature");
	}
}

static void test_refuse_not_elf(void **state)
{
	struct img im;
	std_image(&im);
	memcpy(im.b, "MZ\x90\x00", 4);
	expect_refused(*state, &im, "not an ELF");
}

static void test_refuse_elf64(void **state)
{
	struct img im;
	std_image(&im);
	im.eh.class = 2;                        /* ELFCLASS64 */
	expect_refused(*state, &im, "not a 32-bit");
	std_image(&im);
	im.eh.machine = 62;                     /* EM_X86_64 */
	expect_refused(*state, &im, "not an i386");
}

static void test_refuse_short_image(void **state)
{
	struct img im;
	memset(&im, 0, sizeof im);
	put_mb(&im, 0, 0);
	im.len = 16;                            /* a header and nothing else */
	expect_refused(*state, &im, "shorter than an ELF header");
}

static void test_refuse_beyond_ram(void **state)
{
	struct img im;
	one_seg_image(&im, RAM_SIZE - 0x1000, 0x1001, RAM_SIZE - 0x1000);
	expect_refused(*state, &im, "outside the allowed address range");
	one_seg_image(&im, RAM_SIZE, 0x10, RAM_SIZE);
	expect_refused(*state, &im, "outside the allowed address range");
	one_seg_image(&im, 0x10000000u, 0x1000, 0x10000000u);
	expect_refused(*state, &im, "outside the allowed address range");
}

static void test_refuse_wraparound(void **state)
{
	struct img im;
	/* paddr + memsz wraps to 0x1000 (inside RAM) */
	one_seg_image(&im, 0xFFFFF000u, 0x2000, 0xFFFFF000u);
	expect_refused(*state, &im, "outside the allowed address range");
	/* 1 MB + almost 4 GB wraps to 0x1 */
	one_seg_image(&im, 0x100000, 0xFFF00001u, 0x100000);
	expect_refused(*state, &im, "outside the allowed address range");
	/* higher-half vaddr with a wrapping paddr */
	struct seg s = { PT_LOAD, 0x1000, HH_VA, 0xFFFFF000u, 0x100, 0x2000 };
	build(&im, &s, 1, HH_VA, 0x100);
	expect_refused(*state, &im, "outside the allowed address range");
}

/* A guest linked over the default info area (0x8000) gets its info block
 * on the first page after its image, as QEMU's loader places it; its
 * module table goes with it and the modules after that. */
static void test_info_moves_past_a_low_image(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	static const uint32_t lo[] = { 0x7000, 0x8FFF, 0x8800, 0x1000 };
	static const uint32_t sz[] = { 0x1001, 0x1, 0x100, 0x20000 };
	for (unsigned i = 0; i < 4; i++) {
		one_seg_image(&im, lo[i], sz[i], lo[i]);
		expect_loaded(r, &im, &out);
		uint32_t want = (lo[i] + sz[i] + 0xFFFu) & ~0xFFFu;
		assert_int_equal(out.ebx, want);
		assert_true(rd32(r, want) & MBI_MMAP);                  /* flags */
		assert_int_equal(rd32(r, want + OFF_MMAP_ADDR), want + sizeof(struct mb_info));
	}
	static const char data[] = "module data";
	struct guest_module m = { data, sizeof data, "mod arg" };
	const char *why;
	assert_int_equal(guest_add_modules(&m, 1, &r->gp, &out, &why), 0);
	uint32_t table = rd32(r, out.ebx + offsetof(struct mb_info, mods_addr));
	assert_int_equal(table, out.ebx + GUEST_MODS_OFF);
	assert_true(rd32(r, table) >= out.ebx + GUEST_MBI_SIZE);       /* mod_start */
	assert_memory_equal(r->bytes + rd32(r, table), data, sizeof data);
}

static void test_refuse_hole_overlap(void **state)
{
	struct img im;
	static const uint32_t lo[] = { 0x9F000, 0xFFFFF, 0xB8000, 0x90000 };
	static const uint32_t sz[] = { 0x1001, 0x1, 0x1000, 0x80000 };
	for (unsigned i = 0; i < 4; i++) {
		one_seg_image(&im, lo[i], sz[i], lo[i]);
		expect_refused(*state, &im, "VGA/BIOS hole");
	}
	/* One good segment does not excuse a bad second one. */
	struct seg s[2] = {
		{ PT_LOAD, 0x1000, 0x100000, 0x100000, 0x100, 0x1000 },
		{ PT_LOAD, 0x2000, 0xC0000000u, 0xA0000, 0x100, 0x1000 },
	};
	build(&im, s, 2, 0x100000, 0x1000);
	expect_refused(*state, &im, "VGA/BIOS hole");
}

static void test_refuse_1mb_guest(void **state)
{
	struct ram *r = *state;
	struct img im;
	ram_resize(r, 0x100000);
	one_seg_image(&im, 0x10000, 0x1000, 0x10000);   /* would fit below the hole */
	expect_refused(r, &im, "too small");
	assert_int_equal(r->written, 0);
}

/* Only a PT_NOTE, or only an empty PT_LOAD: nothing to load, said so. */
static void test_refuse_no_load_segment(void **state)
{
	struct img im;
	struct seg s = { PT_NOTE, 0x1000, 0x100000, 0x100000, 0x100, 0x100 };
	build(&im, &s, 1, 0x100000, 0x100);
	expect_refused(*state, &im, "no loadable segment");
	struct seg z = { PT_LOAD, 0x100, 0x100000, 0x100000, 0, 0 };
	build(&im, &z, 1, 0x100000, 0x100);
	expect_refused(*state, &im, "no loadable segment");
}

static void test_refuse_truncated(void **state)
{
	struct img im;
	std_image(&im);
	im.len = DATA_OFF + DATA_FILE - 1;
	expect_refused(*state, &im, "outside the file");
	std_image(&im);
	phdr(&im, 2)->offset = 0xFFFFFF00u;     /* offset + filesz wraps */
	expect_refused(*state, &im, "outside the file");
	std_image(&im);
	phdr(&im, 0)->filesz = TEXT_SZ + 1;     /* filesz > memsz */
	expect_refused(*state, &im, "file size larger than memory size");
}

static void test_refuse_entry_outside(void **state)
{
	struct img im;
	std_image(&im);
	im.eh.entry = TEXT_PA + TEXT_SZ;        /* one past the text */
	expect_refused(*state, &im, "entry point not inside");
	std_image(&im);
	im.eh.entry = 0;
	expect_refused(*state, &im, "entry point not inside");
	struct seg s = { PT_LOAD, 0x1000, HH_VA, 0x100000, 0x100, 0x1000 };
	build(&im, &s, 1, HH_VA + 0x1000, 0x100);
	expect_refused(*state, &im, "entry point not inside");
}

/* ---- command line ---------------------------------------------------- */

static void test_cmdline_truncated(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	const char *why;
	static char cmd[5001];
	for (unsigned i = 0; i < 5000; i++)
		cmd[i] = (char)('a' + i % 26);
	cmd[5000] = 0;
	one_seg_image(&im, 0x100000, 0x1000, 0x100000);
	assert_int_equal(load(r, &im, cmd, &out, &why), 0);

	const char *got = guest_str(r, mbi(r, OFF_CMDLINE));
	assert_int_equal(strlen(got), CMDLINE_MAX - 1);
	assert_memory_equal(got, cmd, CMDLINE_MAX - 1);

	/* All writes below the kernel stayed inside the info area. */
	assert_true(r->info_max_end <= GUEST_MBI_GPA + GUEST_MBI_SIZE);
	assert_true(r->info_max_end > GUEST_MBI_GPA + CMDLINE_MAX);
	assert_untouched(r, 0, GUEST_MBI_GPA);
	assert_untouched(r, GUEST_MBI_GPA + GUEST_MBI_SIZE, 0x100000);
	assert_untouched(r, r->info_max_end, GUEST_MBI_GPA + GUEST_MBI_SIZE);
}

static void test_cmdline_limit_exact(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	const char *why;
	static char cmd[CMDLINE_MAX + 1];
	memset(cmd, 'q', CMDLINE_MAX);
	cmd[CMDLINE_MAX - 1] = 0;               /* 1023 chars: fits whole */
	one_seg_image(&im, 0x100000, 0x1000, 0x100000);
	assert_int_equal(load(r, &im, cmd, &out, &why), 0);
	assert_string_equal(guest_str(r, mbi(r, OFF_CMDLINE)), cmd);
	cmd[CMDLINE_MAX - 1] = 'Z';             /* 1024 chars: last one dropped */
	cmd[CMDLINE_MAX] = 0;
	assert_int_equal(load(r, &im, cmd, &out, &why), 0);
	const char *got = guest_str(r, mbi(r, OFF_CMDLINE));
	assert_int_equal(strlen(got), CMDLINE_MAX - 1);
	assert_null(strchr(got, 'Z'));
}

/* ---- mb_find_header -------------------------------------------------- */

static uint8_t hbuf[16384];

static int find_at(uint32_t off, uint32_t len)
{
	const char *why = NULL;
	memset(hbuf, 0, sizeof hbuf);
	put_mb_raw(hbuf, off, MBH_MEMORY_INFO, 0);
	int rc = mb_find_header(hbuf, len, &why);
	if (rc < 0) {
		assert_non_null(why);
		assert_non_null(strstr(why, "no multiboot header"));
	}
	return rc;
}

static void test_find_header_offsets(void **state)
{
	(void)state;
	assert_int_equal(find_at(0, sizeof hbuf), 0);
	assert_int_equal(find_at(4, sizeof hbuf), 4);
	assert_int_equal(find_at(100, sizeof hbuf), 100);
	/* The header (12 bytes) must lie entirely in the first 8192 bytes, as the
	 * multiboot spec says: 8180 is the last 4-aligned spot, 8184/8188 straddle. */
	assert_int_equal(find_at(8180, sizeof hbuf), 8180);
	assert_int_equal(find_at(8180, 8192), 8180);
	assert_int_equal(find_at(8184, sizeof hbuf), -1);
	assert_int_equal(find_at(8188, sizeof hbuf), -1);
	assert_int_equal(find_at(8192, sizeof hbuf), -1);
}

static void test_find_header_unaligned(void **state)
{
	(void)state;
	assert_int_equal(find_at(2, sizeof hbuf), -1);
	assert_int_equal(find_at(1, sizeof hbuf), -1);
	assert_int_equal(find_at(4094, sizeof hbuf), -1);
}

/* The file's end limits the search as the 8 KB window does. */
static void test_find_header_file_end(void **state)
{
	(void)state;
	assert_int_equal(find_at(100, 112), 100);
	assert_int_equal(find_at(100, 111), -1);
	assert_int_equal(find_at(0, 8), -1);
	assert_int_equal(find_at(0, 0), -1);
}

/* ---- modules for the guest ------------------------------------------- */

/* Multiboot v1 spec offsets (not the loader's header): flags at 0, mods_count
 * at 20, mods_addr at 24; module entries are 16 bytes: start, end, string. */
#define SPEC_MBI_FLAGS      0
#define SPEC_MBI_MODS_COUNT 20
#define SPEC_MBI_MODS_ADDR  24
#define SPEC_MBI_FLAG_MODS  (1u << 3)

static void test_modules_passed(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	const char *why = NULL;
	static const char a[] = "first module bytes", b[] = "2nd";
	struct guest_module mods[2] = { { a, sizeof a, "/boot/a.bin x=1" }, { b, 3, NULL } };

	std_image(&im);
	expect_loaded(r, &im, &out);
	assert_int_equal(guest_add_modules(mods, 2, &r->gp, &out, &why), 0);
	assert_true(mbi(r, SPEC_MBI_FLAGS) & SPEC_MBI_FLAG_MODS);
	assert_int_equal(mbi(r, SPEC_MBI_MODS_COUNT), 2);
	uint32_t t = mbi(r, SPEC_MBI_MODS_ADDR);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t start = rd32(r, t + 16 * i), end = rd32(r, t + 16 * i + 4);
		assert_int_equal(start & 0xFFF, 0);                /* page-aligned */
		assert_true(start >= out.load_hi);                 /* above the image */
		assert_int_equal(end - start, mods[i].len);
		assert_memory_equal(r->bytes + start, mods[i].data, mods[i].len);
	}
	assert_true(rd32(r, t + 16) >= rd32(r, t + 4));            /* no overlap */
	assert_string_equal(guest_str(r, rd32(r, t + 8)), "/boot/a.bin x=1");
	assert_string_equal(guest_str(r, rd32(r, t + 24)), "");
}

static void test_modules_refused(void **state)
{
	struct ram *r = *state;
	struct img im;
	struct guest_boot out;
	const char *why = NULL;
	static char big[300];
	struct guest_module many[GUEST_MODS_MAX + 1];

	std_image(&im);
	expect_loaded(r, &im, &out);
	for (unsigned i = 0; i <= GUEST_MODS_MAX; i++)
		many[i] = (struct guest_module){ "x", 1, "m" };
	assert_int_equal(guest_add_modules(many, GUEST_MODS_MAX + 1, &r->gp, &out, &why), -1);
	assert_non_null(strstr(why, "too many modules"));
	memset(big, 'a', sizeof big - 1);
	struct guest_module longstr = { "x", 1, big };
	assert_int_equal(guest_add_modules(&longstr, 1, &r->gp, &out, &why), -1);
	assert_non_null(strstr(why, "longer than 255"));
	struct guest_module huge = { "x", RAM_SIZE, "h" };
	assert_int_equal(guest_add_modules(&huge, 1, &r->gp, &out, &why), -1);
	assert_non_null(strstr(why, "do not fit in guest RAM"));
	assert_false(mbi(r, SPEC_MBI_FLAGS) & SPEC_MBI_FLAG_MODS);  /* nothing half-done */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_valid_segments),
		T(test_info_block),
		T(test_cmdline_null_is_empty),
		T(test_other_ram_sizes),
		T(test_segment_over_bda_wins),
		T(test_boundaries_accepted),
		T(test_flags_accepted),
		T(test_higher_half_entry),
		T(test_physical_entry_accepted),
		T(test_entry_in_second_segment),
		T(test_refuse_no_header),
		T(test_refuse_header_beyond_8k),
		T(test_refuse_bad_checksum),
		T(test_refuse_aout_kludge),
		T(test_refuse_unsupported_flag),
		T(test_refuse_not_elf),
		T(test_refuse_elf64),
		T(test_refuse_short_image),
		T(test_refuse_beyond_ram),
		T(test_refuse_wraparound),
		T(test_info_moves_past_a_low_image),
		T(test_refuse_hole_overlap),
		T(test_refuse_1mb_guest),
		T(test_refuse_no_load_segment),
		T(test_refuse_truncated),
		T(test_refuse_entry_outside),
		T(test_cmdline_truncated),
		T(test_cmdline_limit_exact),
		T(test_find_header_offsets),
		T(test_find_header_unaligned),
		T(test_find_header_file_end),
		T(test_modules_passed),
		T(test_modules_refused),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
