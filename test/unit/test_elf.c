/*
 * test_elf.c - host unit tests for src/lib/elf.c: elf_check()
 * and elf_phdr().  A helper builds a valid minimal i386 ET_EXEC image with
 * one PT_LOAD segment in memory; each test then corrupts one field (magic,
 * class, machine, type, program header table, segment offset/sizes/address,
 * entry point, file length) and checks the image is refused with the right
 * reason, including integer-overflow cases.  Images that elf_check must read
 * only within [0, len) are also checked against a guard page.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guard.h"

#include "lib/elf.h"

/* The allowed load range and the layout of the test image. */
#define LO        0x00400000u
#define HI        0x00800000u
#define PHOFF     52u              /* right after the ELF header */
#define SEG_OFF   0x100u
#define SEG_FILE  0x80u
#define SEG_MEM   0x2000u          /* includes bss */
#define SEG_VADDR (LO + 0x1000u)
#define ENTRY     (SEG_VADDR + 0x10u)
#define IMG_LEN   (SEG_OFF + SEG_FILE)
#define BUF_SIZE  1024u

struct image {
	union {
		uint8_t bytes[BUF_SIZE];
		struct elf32_ehdr eh;       /* for alignment */
	};
	uint32_t len;
};

static struct elf32_ehdr *ehdr(struct image *im)
{
	return &im->eh;
}

static struct elf32_phdr *phdr(struct image *im, unsigned i)
{
	struct elf32_ehdr *eh = ehdr(im);
	return (struct elf32_phdr *)(im->bytes + eh->phoff + i * eh->phentsize);
}

/* A valid image: ELF header, one PT_LOAD header, SEG_FILE bytes of code. */
static void make_image(struct image *im)
{
	memset(im, 0, sizeof *im);
	struct elf32_ehdr *eh = ehdr(im);
	eh->magic = ELF_MAGIC;
	eh->class = ELFCLASS32;
	eh->data = ELFDATA2LSB;
	eh->version = 1;
	eh->type = ET_EXEC;
	eh->machine = EM_386;
	eh->version2 = 1;
	eh->entry = ENTRY;
	eh->phoff = PHOFF;
	eh->ehsize = sizeof(struct elf32_ehdr);
	eh->phentsize = sizeof(struct elf32_phdr);
	eh->phnum = 1;

	struct elf32_phdr *ph = phdr(im, 0);
	ph->type = PT_LOAD;
	ph->offset = SEG_OFF;
	ph->vaddr = ph->paddr = SEG_VADDR;
	ph->filesz = SEG_FILE;
	ph->memsz = SEG_MEM;
	ph->flags = PF_R | PF_X;
	ph->align = 0x1000;
	memset(im->bytes + SEG_OFF, 0x90, SEG_FILE);    /* nops */
	im->len = IMG_LEN;
}

/* Appends a second program header (moving nothing: there is room between
 * the first header and the segment data). */
static struct elf32_phdr *add_phdr(struct image *im, uint32_t type)
{
	struct elf32_ehdr *eh = ehdr(im);
	struct elf32_phdr *ph = phdr(im, eh->phnum++);
	assert_true((uint8_t *)(ph + 1) <= im->bytes + SEG_OFF);
	memset(ph, 0, sizeof *ph);
	ph->type = type;
	return ph;
}

static const char *check(struct image *im)
{
	const char *why = "(not set)";
	int rc = elf_check(im->bytes, im->len, LO, HI, &why);
	if (rc == 0) {
		assert_null(why);
		return NULL;
	}
	assert_int_equal(rc, -1);
	assert_non_null(why);
	return why;
}

static void expect_ok(struct image *im)
{
	const char *why = check(im);
	if (why != NULL)
		fail_msg("valid image refused: %s", why);
}

/* Fails unless 'why' is a reason containing 'reason'. */
static void assert_reason(const char *why, const char *reason)
{
	assert_non_null(why);
	if (strstr(why, reason) == NULL)
		fail_msg("reason \"%s\", want \"%s\"", why, reason);
}

static void expect_bad(struct image *im, const char *reason)
{
	const char *why = check(im);
	if (why == NULL)
		fail_msg("bad image accepted (want \"%s\")", reason);
	assert_reason(why, reason);
}

#define R_SHORT   "shorter than an ELF header"
#define R_MAGIC   "bad magic"
#define R_CLASS   "not a 32-bit little-endian ELF"
#define R_MACHINE "not an i386 ELF"
#define R_TYPE    "ET_EXEC"
#define R_NOPH    "no program headers"
#define R_PHSIZE  "program header entries too small"
#define R_PHOUT   "program headers outside the file"
#define R_FILEMEM "file size larger than memory size"
#define R_SEGOUT  "segment data outside the file"
#define R_RANGE   "outside the allowed address range"
#define R_ENTRY   "entry point not inside a loadable segment"

/* ---- valid images ------------------------------------------------------- */

static void test_minimal_image_is_valid(void **state)
{
	(void)state;
	struct image im;
	make_image(&im);
	assert_int_equal(sizeof(struct elf32_ehdr), 52);
	assert_int_equal(sizeof(struct elf32_phdr), 32);
	expect_ok(&im);
}

static void test_valid_boundaries(void **state)
{
	(void)state;
	struct image im;

	make_image(&im);                       /* segment starts exactly at lo */
	phdr(&im, 0)->vaddr = LO;
	ehdr(&im)->entry = LO;
	expect_ok(&im);

	make_image(&im);                       /* segment ends exactly at hi */
	phdr(&im, 0)->vaddr = HI - SEG_MEM;
	ehdr(&im)->entry = HI - 1;             /* last byte, in the bss part */
	expect_ok(&im);

	make_image(&im);                       /* filesz == memsz */
	phdr(&im, 0)->memsz = SEG_FILE;
	ehdr(&im)->entry = SEG_VADDR + SEG_FILE - 1;
	expect_ok(&im);

	make_image(&im);                       /* data ends exactly at len */
	im.len = SEG_OFF + SEG_FILE;
	expect_ok(&im);

	make_image(&im);                       /* file longer than needed */
	im.len = BUF_SIZE;
	expect_ok(&im);
}

static void test_larger_phentsize_and_elf_phdr(void **state)
{
	(void)state;
	struct image im;
	make_image(&im);

	/* Two padded 40-byte entries at offset 64 instead of one at 52. */
	struct elf32_ehdr *eh = ehdr(&im);
	memset(im.bytes + PHOFF, 0, SEG_OFF - PHOFF);
	eh->phentsize = 40;
	eh->phoff = 64;
	eh->phnum = 2;
	*phdr(&im, 0) = (struct elf32_phdr){ PT_LOAD, SEG_OFF, SEG_VADDR, SEG_VADDR,
					     0x40, 0x1000, PF_R | PF_X, 0x1000 };
	*phdr(&im, 1) = (struct elf32_phdr){ PT_LOAD, SEG_OFF + 0x40, SEG_VADDR + 0x1000,
					     SEG_VADDR + 0x1000, 0x40, 0x3000, PF_R | PF_W, 0x1000 };
	eh->entry = SEG_VADDR + 0x1000 + 0x2FFF;   /* last byte of the second */
	expect_ok(&im);

	assert_ptr_equal(elf_phdr(im.bytes, 0), im.bytes + 64);
	assert_ptr_equal(elf_phdr(im.bytes, 1), im.bytes + 64 + 40);
	assert_int_equal(elf_phdr(im.bytes, 0)->filesz, 0x40);
	assert_int_equal(elf_phdr(im.bytes, 1)->vaddr, SEG_VADDR + 0x1000);
	assert_int_equal(elf_phdr(im.bytes, 1)->memsz, 0x3000);
}

static void test_elf_phdr_default_layout(void **state)
{
	(void)state;
	struct image im;
	make_image(&im);
	add_phdr(&im, PT_LOAD)->vaddr = 0x1234;

	const struct elf32_phdr *p = elf_phdr(im.bytes, 0);
	assert_ptr_equal(p, im.bytes + PHOFF);
	assert_int_equal(p->type, PT_LOAD);
	assert_int_equal(p->offset, SEG_OFF);
	assert_int_equal(p->vaddr, SEG_VADDR);
	assert_ptr_equal(elf_phdr(im.bytes, 1), im.bytes + PHOFF + 32);
	assert_int_equal(elf_phdr(im.bytes, 1)->vaddr, 0x1234);
}

static void test_non_load_segments_are_ignored(void **state)
{
	(void)state;
	struct image im;
	make_image(&im);

	/* A PT_NOTE full of nonsense is not loaded, so not checked. */
	struct elf32_phdr *note = add_phdr(&im, 4);
	note->offset = 0xFFFFFFF0;
	note->filesz = 0x1000;
	note->memsz = 1;
	note->vaddr = 0;
	expect_ok(&im);

	/* ...but the entry point may not be inside it. */
	note->vaddr = HI + 0x1000;
	note->memsz = 0x1000;
	ehdr(&im)->entry = HI + 0x1000;
	expect_bad(&im, R_ENTRY);
}

/* ---- header corruption (table-driven) ----------------------------------- */

struct corruption {
	const char *what;
	void (*apply)(struct image *);
	const char *reason;
};

#define CORRUPT(name, body)                                                   \
	static void name(struct image *im)                                    \
	{                                                                     \
		struct elf32_ehdr *eh = ehdr(im);                             \
		struct elf32_phdr *ph = phdr(im, 0);                          \
		(void)eh;                                                     \
		(void)ph;                                                     \
		body;                                                         \
	}

/* file length */
CORRUPT(len_zero,        im->len = 0)
CORRUPT(len_51,          im->len = 51)
CORRUPT(len_header_only, im->len = 52)
CORRUPT(len_mid_phdr,    im->len = PHOFF + 31)
CORRUPT(len_mid_data,    im->len = SEG_OFF + SEG_FILE - 1)
/* identification */
CORRUPT(magic_byte0,     im->bytes[0] = 0x7E)
CORRUPT(magic_byte3,     im->bytes[3] = 'f')
CORRUPT(magic_zero,      eh->magic = 0)
CORRUPT(class_64,        eh->class = 2)
CORRUPT(class_none,      eh->class = 0)
CORRUPT(data_msb,        eh->data = 2)
CORRUPT(machine_x86_64,  eh->machine = 62)
CORRUPT(machine_arm,     eh->machine = 40)
CORRUPT(machine_none,    eh->machine = 0)
CORRUPT(type_rel,        eh->type = 1)
CORRUPT(type_dyn,        eh->type = 3)
CORRUPT(type_core,       eh->type = 4)
/* program header table */
CORRUPT(phnum_zero,      eh->phnum = 0)
CORRUPT(phentsize_31,    eh->phentsize = 31)
CORRUPT(phentsize_zero,  eh->phentsize = 0)
CORRUPT(phoff_at_len,    eh->phoff = im->len)
CORRUPT(phoff_tail,      eh->phoff = im->len - 31)
CORRUPT(phoff_huge,      eh->phoff = 0xFFFFFFFFu)
CORRUPT(phoff_wraps,     eh->phoff = 0xFFFFFFF0u)  /* phoff + 32 wraps to 16 */
CORRUPT(phnum_too_many,  eh->phnum = 11)           /* 52 + 11*32 > 0x180 */
CORRUPT(phnum_max,       eh->phnum = 0xFFFF; eh->phentsize = 0xFFFF)
/* the segment */
CORRUPT(filesz_gt_memsz, ph->filesz = ph->memsz + 1)
CORRUPT(filesz_past_len, ph->filesz = ph->memsz = SEG_FILE + 1)
CORRUPT(offset_at_len,   ph->offset = im->len)
CORRUPT(offset_past_len, ph->offset = im->len + 0x1000)
CORRUPT(offset_wraps,    ph->offset = 0xFFFFFFF0u)  /* + 0x80 wraps to 0x70 */
CORRUPT(offset_max,      ph->offset = 0xFFFFFFFFu; ph->filesz = 1)
CORRUPT(filesz_wraps,    ph->filesz = ph->memsz = 0xFFFFFFF0u) /* 0x100 + it wraps */
CORRUPT(vaddr_below_lo,  ph->vaddr = LO - 0x1000; eh->entry = LO - 0x1000)
CORRUPT(vaddr_lo_minus1, ph->vaddr = LO - 1; eh->entry = LO)
CORRUPT(vaddr_zero,      ph->vaddr = 0; eh->entry = 0)
CORRUPT(end_past_hi,     ph->vaddr = HI - SEG_MEM + 1; eh->entry = ph->vaddr)
CORRUPT(vaddr_at_hi,     ph->vaddr = HI; eh->entry = HI)
CORRUPT(vaddr_above_hi,  ph->vaddr = 0xC0000000u; eh->entry = 0xC0000000u)
CORRUPT(memsz_wraps,     ph->memsz = 0xFFFFF000u)   /* vaddr + memsz wraps */
CORRUPT(memsz_max,       ph->memsz = 0xFFFFFFFFu)
/* the entry point */
CORRUPT(entry_zero,      eh->entry = 0)
CORRUPT(entry_before,    eh->entry = SEG_VADDR - 1)
CORRUPT(entry_at_end,    eh->entry = SEG_VADDR + SEG_MEM)    /* one past */
CORRUPT(entry_far,       eh->entry = 0xFFFFFFFFu)
CORRUPT(not_load,        ph->type = 4)                      /* no PT_LOAD at all */
CORRUPT(empty_segment,   ph->filesz = ph->memsz = 0)        /* entry not inside */

static const struct corruption corruptions[] = {
	{ "len 0",                    len_zero,        R_SHORT },
	{ "len 51",                   len_51,          R_SHORT },
	{ "len = header only",        len_header_only, R_PHOUT },
	{ "len ends inside phdr",     len_mid_phdr,    R_PHOUT },
	{ "len ends inside data",     len_mid_data,    R_SEGOUT },
	{ "magic byte 0",             magic_byte0,     R_MAGIC },
	{ "magic byte 3",             magic_byte3,     R_MAGIC },
	{ "magic 0",                  magic_zero,      R_MAGIC },
	{ "ELFCLASS64",               class_64,        R_CLASS },
	{ "ELFCLASSNONE",             class_none,      R_CLASS },
	{ "big-endian",               data_msb,        R_CLASS },
	{ "EM_X86_64",                machine_x86_64,  R_MACHINE },
	{ "EM_ARM",                   machine_arm,     R_MACHINE },
	{ "EM_NONE",                  machine_none,    R_MACHINE },
	{ "ET_REL",                   type_rel,        R_TYPE },
	{ "ET_DYN",                   type_dyn,        R_TYPE },
	{ "ET_CORE",                  type_core,       R_TYPE },
	{ "phnum 0",                  phnum_zero,      R_NOPH },
	{ "phentsize 31",             phentsize_31,    R_PHSIZE },
	{ "phentsize 0",              phentsize_zero,  R_PHSIZE },
	{ "phoff = len",              phoff_at_len,    R_PHOUT },
	{ "phdr straddles end",       phoff_tail,      R_PHOUT },
	{ "phoff 0xFFFFFFFF",         phoff_huge,      R_PHOUT },
	{ "phoff + size wraps",       phoff_wraps,     R_PHOUT },
	{ "phnum past end",           phnum_too_many,  R_PHOUT },
	{ "phnum*phentsize huge",     phnum_max,       R_PHOUT },
	{ "filesz > memsz",           filesz_gt_memsz, R_FILEMEM },
	{ "filesz past end",          filesz_past_len, R_SEGOUT },
	{ "offset = len",             offset_at_len,   R_SEGOUT },
	{ "offset past end",          offset_past_len, R_SEGOUT },
	{ "offset 0xFFFFFFF0 wraps",  offset_wraps,    R_SEGOUT },
	{ "offset 0xFFFFFFFF",        offset_max,      R_SEGOUT },
	{ "filesz 0xFFFFFFF0 wraps",  filesz_wraps,    R_SEGOUT },
	{ "vaddr below lo",           vaddr_below_lo,  R_RANGE },
	{ "vaddr lo-1",               vaddr_lo_minus1, R_RANGE },
	{ "vaddr 0",                  vaddr_zero,      R_RANGE },
	{ "vaddr+memsz = hi+1",       end_past_hi,     R_RANGE },
	{ "vaddr = hi, memsz > 0",    vaddr_at_hi,     R_RANGE },
	{ "vaddr above hi",           vaddr_above_hi,  R_RANGE },
	{ "vaddr+memsz wraps",        memsz_wraps,     R_RANGE },
	{ "memsz 0xFFFFFFFF",         memsz_max,       R_RANGE },
	{ "entry 0",                  entry_zero,      R_ENTRY },
	{ "entry just before",        entry_before,    R_ENTRY },
	{ "entry one past the end",   entry_at_end,    R_ENTRY },
	{ "entry 0xFFFFFFFF",         entry_far,       R_ENTRY },
	{ "no PT_LOAD",               not_load,        "no loadable segment" },
	{ "empty segment",            empty_segment,   "no loadable segment" },
};

static void test_corruptions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof corruptions / sizeof corruptions[0]; i++) {
		const struct corruption *c = &corruptions[i];
		struct image im;
		make_image(&im);
		c->apply(&im);
		const char *why = check(&im);
		if (why == NULL)
			fail_msg("%s: accepted (want \"%s\")", c->what, c->reason);
		if (strstr(why, c->reason) == NULL)
			fail_msg("%s: reason \"%s\", want \"%s\"", c->what, why, c->reason);
	}
}

/* Segment checks apply to every PT_LOAD, not only the first. */
static void test_second_segment_is_checked(void **state)
{
	(void)state;
	struct image im;
	struct elf32_phdr *p1;

	make_image(&im);
	p1 = add_phdr(&im, PT_LOAD);
	*p1 = (struct elf32_phdr){ PT_LOAD, SEG_OFF, HI - 0x1000, 0, 0x10, 0x1001, PF_R, 0x1000 };
	expect_bad(&im, R_RANGE);

	make_image(&im);
	p1 = add_phdr(&im, PT_LOAD);
	*p1 = (struct elf32_phdr){ PT_LOAD, 0xFFFFFFF0u, SEG_VADDR + 0x4000, 0, 0x20, 0x20, PF_R, 0x1000 };
	expect_bad(&im, R_SEGOUT);

	make_image(&im);
	p1 = add_phdr(&im, PT_LOAD);
	*p1 = (struct elf32_phdr){ PT_LOAD, SEG_OFF, SEG_VADDR + 0x4000, 0, 0x20, 0x10, PF_R, 0x1000 };
	expect_bad(&im, R_FILEMEM);

	/* The entry point may be in any loadable segment. */
	make_image(&im);
	p1 = add_phdr(&im, PT_LOAD);
	*p1 = (struct elf32_phdr){ PT_LOAD, SEG_OFF, SEG_VADDR + 0x4000, 0, 0x20, 0x1000, PF_R, 0x1000 };
	ehdr(&im)->entry = SEG_VADDR + 0x4FFF;
	expect_ok(&im);
}

/* An empty allowed range refuses every non-empty segment. */
static void test_empty_range(void **state)
{
	(void)state;
	struct image im;
	const char *why;
	make_image(&im);
	assert_int_equal(elf_check(im.bytes, im.len, SEG_VADDR, SEG_VADDR, &why), -1);
	assert_reason(why, R_RANGE);
}

/* With the whole 32-bit space allowed, a segment at the very top must not
 * wrap around, and the entry point must still be inside it. */
static void test_top_of_address_space(void **state)
{
	(void)state;
	struct image im;
	struct elf32_phdr *ph;
	const char *why;
	const uint32_t top = 0xFFFFFFFFu;

	make_image(&im);
	ph = phdr(&im, 0);
	ph->vaddr = 0xFFFFF000u;
	ph->memsz = 0xFFF;                      /* ends exactly at hi */
	ehdr(&im)->entry = 0xFFFFFFFEu;
	assert_int_equal(elf_check(im.bytes, im.len, 0, top, &why), 0);

	ehdr(&im)->entry = 0xFFFFFFFFu;         /* == vaddr + memsz */
	assert_int_equal(elf_check(im.bytes, im.len, 0, top, &why), -1);
	assert_reason(why, R_ENTRY);

	ehdr(&im)->entry = 0xFFFFF000u;
	ph->memsz = 0x1000;                     /* one past hi */
	assert_int_equal(elf_check(im.bytes, im.len, 0, top, &why), -1);
	assert_reason(why, R_RANGE);

	ph->memsz = 0x2000;                     /* vaddr + memsz wraps to 0x1000 */
	assert_int_equal(elf_check(im.bytes, im.len, 0, top, &why), -1);
	assert_reason(why, R_RANGE);

	ph->vaddr = 0x1000;                     /* entry below vaddr: no wrap */
	ph->memsz = 0x1000;
	ehdr(&im)->entry = 0xFFF;
	assert_int_equal(elf_check(im.bytes, im.len, 0, top, &why), -1);
	assert_reason(why, R_ENTRY);
}

/* ---- no reads outside [0, len) ------------------------------------------ */

static void test_reads_stay_inside_len(void **state)
{
	(void)state;
	struct image im;
	const char *why;

	make_image(&im);                                    /* valid, exact len */
	assert_int_equal(elf_check(at_guard(im.bytes, im.len, 4), im.len, LO, HI, &why), 0);

	for (uint32_t len = 0; len < sizeof(struct elf32_ehdr); len++) {
		assert_int_equal(elf_check(at_guard(im.bytes, len, 4), len, LO, HI, &why), -1);
		assert_reason(why, R_SHORT);
	}
	for (uint32_t len = 52; len < PHOFF + 32; len++) {  /* phdr cut short */
		assert_int_equal(elf_check(at_guard(im.bytes, len, 4), len, LO, HI, &why), -1);
		assert_reason(why, R_PHOUT);
	}
	make_image(&im);                                    /* phdr table at the very end */
	ehdr(&im)->phnum = 2;
	im.len = PHOFF + 2 * 32;
	phdr(&im, 1)->type = 4;
	phdr(&im, 0)->offset = 0;
	phdr(&im, 0)->filesz = im.len;
	assert_int_equal(elf_check(at_guard(im.bytes, im.len, 4), im.len, LO, HI, &why), 0);
	assert_int_equal(elf_check(at_guard(im.bytes, im.len - 1, 4), im.len - 1, LO, HI, &why), -1);
	assert_reason(why, R_PHOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_image_is_valid),
		cmocka_unit_test(test_valid_boundaries),
		cmocka_unit_test(test_larger_phentsize_and_elf_phdr),
		cmocka_unit_test(test_elf_phdr_default_layout),
		cmocka_unit_test(test_non_load_segments_are_ignored),
		cmocka_unit_test(test_corruptions),
		cmocka_unit_test(test_second_segment_is_checked),
		cmocka_unit_test(test_empty_range),
		cmocka_unit_test(test_top_of_address_space),
		cmocka_unit_test(test_reads_stay_inside_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
