/*
 * test_mmap.c - host unit tests for src/lib/mmap.c:
 * mmap_ram_top() over multiboot memory maps built in memory: a QEMU-like
 * map, regions that do or do not contain the 1 MB mark, clipping above
 * 4 GB, larger-than-usual entries, malformed 'size' fields (too small or
 * running past the end, checked against a guard page), and empty maps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "guard.h"

#include "lib/mmap.h"

#define ONE_MB   0x100000ull
#define FOUR_GB  0x100000000ull
#define RESERVED 2
#define ACPI     3

/* A memory map being built: entries are appended back to back. */
struct map {
	uint8_t bytes[1024];
	uint32_t len;
};

/* Appends an entry whose 'size' field is 'size' (20 normally; the entry
 * then occupies size + 4 bytes, zero-padded beyond the standard fields). */
static void add_sized(struct map *m, uint32_t size, uint64_t addr, uint64_t len,
		      uint32_t type)
{
	struct mb_mmap_entry e = { size, addr, len, type };
	uint32_t room = size + 4 > sizeof e ? size + 4 : sizeof e;
	assert_true(m->len + room <= sizeof m->bytes);
	memset(m->bytes + m->len, 0, room);
	memcpy(m->bytes + m->len, &e, sizeof e);
	m->len += size + 4;
}

static void add(struct map *m, uint64_t addr, uint64_t len, uint32_t type)
{
	add_sized(m, 20, addr, len, type);
}

/* Overwrites the 'size' field of the entry starting at byte 'off'. */
static void set_size(struct map *m, uint32_t off, uint32_t size)
{
	memcpy(m->bytes + off, &size, sizeof size);
}

static void map_init(struct map *m)
{
	memset(m, 0, sizeof *m);
}

static uint64_t top(const struct map *m)
{
	return mmap_ram_top(at_guard(m->bytes, m->len, 1), m->len);
}

/* ---- well-formed maps ---------------------------------------------------- */

static void test_entry_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct mb_mmap_entry), 24);
	assert_int_equal(offsetof(struct mb_mmap_entry, addr), 4);
	assert_int_equal(offsetof(struct mb_mmap_entry, len), 12);
	assert_int_equal(offsetof(struct mb_mmap_entry, type), 20);
}

/* What QEMU's SeaBIOS reports for -m 128. */
static void test_qemu_like_map(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add(&m, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add(&m, 0x9FC00, 0x400, RESERVED);
	add(&m, 0xF0000, 0x10000, RESERVED);
	add(&m, 0x100000, 0x7EE0000, MMAP_AVAILABLE);
	add(&m, 0x7FE0000, 0x20000, RESERVED);
	add(&m, 0xFFFC0000, 0x40000, RESERVED);
	assert_int_equal(top(&m), 0x7FE0000);
}

static void test_order_does_not_matter(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add(&m, 0x100000, 0x3F00000, MMAP_AVAILABLE);      /* first entry */
	add(&m, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add(&m, 0x9FC00, 0x400, RESERVED);
	assert_int_equal(top(&m), 0x4000000);

	map_init(&m);
	add(&m, 0xFFFC0000, 0x40000, RESERVED);
	add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);      /* last entry */
	assert_int_equal(top(&m), 0x2000000);
}

/* Table of single-region maps: [addr, addr+len) with a type -> result. */
struct region_case {
	const char *what;
	uint64_t addr, len;
	uint32_t type;
	uint64_t want;
};

static const struct region_case regions[] = {
	{ "starts at 1 MB",         0x100000, 0x7F00000,  MMAP_AVAILABLE, 0x8000000 },
	{ "starts below 1 MB",      0x0,      0x8000000,  MMAP_AVAILABLE, 0x8000000 },
	{ "just 1 MB itself",       0x100000, 1,          MMAP_AVAILABLE, 0x100001 },
	{ "1 MB is its last byte",  0xFFFFF,  2,          MMAP_AVAILABLE, 0x100001 },
	{ "ends at 1 MB",           0x0,      0x100000,   MMAP_AVAILABLE, 0 },
	{ "starts past 1 MB",       0x100001, 0x1000000,  MMAP_AVAILABLE, 0 },
	{ "high memory only",       0x1000000, 0x1000000, MMAP_AVAILABLE, 0 },
	{ "empty region at 1 MB",   0x100000, 0,          MMAP_AVAILABLE, 0 },
	{ "reserved at 1 MB",       0x100000, 0x7F00000,  RESERVED,       0 },
	{ "ACPI at 1 MB",           0x100000, 0x7F00000,  ACPI,           0 },
	{ "type 0 at 1 MB",         0x100000, 0x7F00000,  0,              0 },
	{ "ends at 4 GB",           0x100000, FOUR_GB - ONE_MB,     MMAP_AVAILABLE, FOUR_GB },
	{ "ends 1 byte below 4 GB", 0x100000, FOUR_GB - ONE_MB - 1, MMAP_AVAILABLE, FOUR_GB - 1 },
	{ "ends past 4 GB",         0x100000, FOUR_GB,              MMAP_AVAILABLE, FOUR_GB },
	{ "8 GB from 0",            0x0,      2 * FOUR_GB,          MMAP_AVAILABLE, FOUR_GB },
	{ "starts above 4 GB",      FOUR_GB,  FOUR_GB,              MMAP_AVAILABLE, 0 },
};

static void test_single_regions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
		const struct region_case *c = &regions[i];
		struct map m;
		map_init(&m);
		add(&m, c->addr, c->len, c->type);
		uint64_t got = top(&m);
		if (got != c->want)
			fail_msg("%s: got 0x%llx, want 0x%llx", c->what,
				 (unsigned long long)got, (unsigned long long)c->want);
	}
}

static void test_no_region_contains_1mb(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add(&m, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add(&m, 0x9FC00, 0x400, RESERVED);
	add(&m, 0x100000, 0x7F00000, RESERVED);
	add(&m, 0x8000000, 0x8000000, MMAP_AVAILABLE);
	add(&m, FOUR_GB, FOUR_GB, MMAP_AVAILABLE);
	assert_int_equal(top(&m), 0);
}

/* Only the region containing 1 MB counts, not an adjacent available one. */
static void test_adjacent_region_not_merged(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
	add(&m, 0x2000000, 0x2000000, MMAP_AVAILABLE);
	assert_int_equal(top(&m), 0x2000000);
}

/* Entries may be larger than the standard 20 bytes (ACPI 3.0 adds a 4-byte
 * attribute field); the walk must step by size + 4. */
static void test_larger_entries(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add_sized(&m, 24, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add_sized(&m, 24, 0x9FC00, 0x400, RESERVED);
	add_sized(&m, 24, 0x100000, 0x3F00000, MMAP_AVAILABLE);
	assert_int_equal(m.len, 3 * 28);
	assert_int_equal(top(&m), 0x4000000);

	map_init(&m);
	add_sized(&m, 60, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
	assert_int_equal(top(&m), 0x2000000);

	/* If the walk stepped by sizeof(entry) instead, it would land in the
	 * padding of the first entry, where a fake 1 MB entry hides. */
	map_init(&m);
	add_sized(&m, 44, 0x0, 0x9FC00, MMAP_AVAILABLE);
	struct mb_mmap_entry fake = { 20, 0x100000, 0x100000, MMAP_AVAILABLE };
	memcpy(m.bytes + sizeof fake, &fake, sizeof fake);
	add(&m, 0x100000, 0x3F00000, MMAP_AVAILABLE);
	assert_int_equal(top(&m), 0x4000000);
}

/* ---- empty and malformed maps -------------------------------------------- */

static void test_empty_map(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	assert_int_equal(top(&m), 0);
	assert_int_equal(mmap_ram_top(NULL, 0), 0);
}

static void test_length_shorter_than_an_entry(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
	for (uint32_t len = 0; len < 24; len++) {
		uint64_t got = mmap_ram_top(at_guard(m.bytes, len, 1), len);
		if (got != 0)
			fail_msg("length %u: got 0x%llx", len, (unsigned long long)got);
	}
	assert_int_equal(mmap_ram_top(at_guard(m.bytes, 24, 1), 24), 0x2000000);
}

static void test_size_too_small(void **state)
{
	(void)state;
	const uint32_t sizes[] = { 0, 1, 4, 16, 19 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct map m;
		map_init(&m);
		add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
		add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
		set_size(&m, 0, sizes[i]);
		uint64_t got = top(&m);
		if (got != 0)
			fail_msg("size %u: got 0x%llx, want 0", sizes[i],
				 (unsigned long long)got);
	}
}

static void test_size_runs_past_end(void **state)
{
	(void)state;
	/* 21 is one byte too many for a 24-byte map; the last two make
	 * size + 4 wrap to 3 and to 0 in 32-bit arithmetic. */
	const uint32_t sizes[] = { 21, 100, 0x7FFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFCu };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct map m;
		map_init(&m);
		add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
		set_size(&m, 0, sizes[i]);
		uint64_t got = top(&m);
		if (got != 0)
			fail_msg("size 0x%x: got 0x%llx, want 0", sizes[i],
				 (unsigned long long)got);
	}
}

/* A malformed entry before the 1 MB region ends the walk with 0. */
static void test_malformed_before_match(void **state)
{
	(void)state;
	const uint32_t sizes[] = { 8, 200 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct map m;
		map_init(&m);
		add(&m, 0x0, 0x9FC00, MMAP_AVAILABLE);
		add(&m, 0x9FC00, 0x400, RESERVED);
		add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
		assert_int_equal(top(&m), 0x2000000);
		set_size(&m, 24, sizes[i]);          /* break the middle entry */
		uint64_t got = top(&m);
		if (got != 0)
			fail_msg("size %u: got 0x%llx, want 0", sizes[i],
				 (unsigned long long)got);
	}
}

/* Trailing bytes too few for another entry are ignored. */
static void test_trailing_partial_entry(void **state)
{
	(void)state;
	struct map m;
	map_init(&m);
	add(&m, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
	m.len += 10;
	assert_int_equal(top(&m), 0x2000000);

	map_init(&m);
	add(&m, 0x0, 0x9FC00, MMAP_AVAILABLE);
	add(&m, 0x100000, 0x1F00000, MMAP_AVAILABLE);
	m.len -= 1;                          /* the 1 MB entry is cut short */
	assert_int_equal(top(&m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_layout),
		cmocka_unit_test(test_qemu_like_map),
		cmocka_unit_test(test_order_does_not_matter),
		cmocka_unit_test(test_single_regions),
		cmocka_unit_test(test_no_region_contains_1mb),
		cmocka_unit_test(test_adjacent_region_not_merged),
		cmocka_unit_test(test_larger_entries),
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_length_shorter_than_an_entry),
		cmocka_unit_test(test_size_too_small),
		cmocka_unit_test(test_size_runs_past_end),
		cmocka_unit_test(test_malformed_before_match),
		cmocka_unit_test(test_trailing_partial_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
