/*
 * test_firmware.c - host unit tests for src/monitor/firmware.c, the BIOS
 * data area, EBDA and MP tables the loader leaves for every guest.  The MP
 * structures are checked byte by byte against the MultiProcessor
 * Specification 1.4 (signatures, lengths, checksums, entry layout, the
 * ISA interrupt assignments QEMU's BIOS gives) and then read back from a
 * loaded guest's memory exactly as xv6's mp.c reads them (mpsearch,
 * mpconfig, mpinit), which must find one CPU with APIC ID 0 and the I/O
 * APIC with ID 0, in memory the multiboot map marks reserved.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "monitor/firmware.h"
#include "lib/mmap.h"
#include "lib/multiboot.h"

#define RAM_SIZE (2u << 20)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }

static struct fw_machine machine(void)
{
	struct fw_machine m;
	fw_default_machine(&m);
	return m;
}

/* ---- the builders --------------------------------------------------------- */

static void test_floating_pointer(void **state)
{
	(void)state;
	uint8_t fp[FW_MP_FLOATING_SIZE];
	fw_build_mp_floating(fp, 0x000F0010);
	assert_memory_equal(fp, "_MP_", 4);
	assert_int_equal(rd32(fp + 4), 0x000F0010);
	assert_int_equal(fp[8], 1);                     /* 16-byte units */
	assert_int_equal(fp[9], 4);                     /* spec 1.4 */
	assert_int_equal(fw_checksum(fp, sizeof fp), 0);
	assert_int_equal(fp[11], 0);                    /* a table is present */
	assert_int_equal(fp[12], 0);                    /* no IMCR: xv6 leaves 0x22/0x23 */
}

static void test_config_header(void **state)
{
	(void)state;
	uint8_t t[FW_MPC_MAX];
	struct fw_machine m = machine();
	uint32_t len = fw_build_mp_config(t, sizeof t, &m);
	assert_int_equal(len, 44 + 20 + 19 * 8);
	assert_memory_equal(t, "PCMP", 4);
	assert_int_equal(rd16(t + 4), len);
	assert_int_equal(t[6], 4);
	assert_int_equal(fw_checksum(t, len), 0);
	assert_memory_equal(t + 8, "BOCHSCPU", 8);
	assert_int_equal(rd32(t + 28), 0);              /* no OEM table */
	assert_int_equal(rd16(t + 34), 20);             /* entries */
	assert_int_equal(rd32(t + 36), 0xFEE00000);     /* local APIC */
	assert_int_equal(rd16(t + 40), 0);              /* no extended table */
	assert_int_equal(fw_build_mp_config(t, len - 1, &m), 0);
}

static void test_config_entries(void **state)
{
	(void)state;
	uint8_t t[FW_MPC_MAX];
	struct fw_machine m = machine();
	m.cpu_signature = 0x663;
	m.cpu_features = 0x0781abfd;
	uint32_t len = fw_build_mp_config(t, sizeof t, &m);
	const uint8_t *p = t + 44;

	assert_int_equal(p[0], MP_PROC);
	assert_int_equal(p[1], 0);                      /* APIC ID of the vlapic */
	assert_int_equal(p[2], 0x14);                   /* its version */
	assert_int_equal(p[3], MP_CPU_ENABLED | MP_CPU_BSP);
	assert_int_equal(rd32(p + 4), 0x663);
	assert_int_equal(rd32(p + 8), 0x0781abfd);
	p += 20;
	assert_int_equal(p[0], MP_BUS);
	assert_memory_equal(p + 2, "ISA   ", 6);
	p += 8;
	assert_int_equal(p[0], MP_IOAPIC);
	assert_int_equal(p[1], 0);
	assert_int_equal(p[2], 0x20);
	assert_int_equal(p[3], MP_IOAPIC_ENABLED);
	assert_int_equal(rd32(p + 4), 0xFEC00000);
	p += 8;
	static const uint8_t irqs[] = { 0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	for (unsigned i = 0; i < sizeof irqs; i++, p += 8) {
		assert_int_equal(p[0], MP_IOINTR);
		assert_int_equal(p[1], MP_INT);
		assert_int_equal(rd16(p + 2), 0);       /* conforms to the bus */
		assert_int_equal(p[4], 0);              /* the ISA bus */
		assert_int_equal(p[5], irqs[i]);
		assert_int_equal(p[6], 0);              /* the I/O APIC */
		assert_int_equal(p[7], irqs[i] == 0 ? 2 : irqs[i]);
	}
	assert_int_equal(p[0], MP_LINTR);
	assert_int_equal(p[1], MP_EXTINT);
	assert_int_equal(p[6], 0);
	assert_int_equal(p[7], 0);                      /* LINT0 */
	p += 8;
	assert_int_equal(p[0], MP_LINTR);
	assert_int_equal(p[1], MP_NMI);
	assert_int_equal(p[6], 0xFF);
	assert_int_equal(p[7], 1);                      /* LINT1 */
	p += 8;
	assert_int_equal(p - t, len);
}

static void test_seabios_cpu_defaults(void **state)
{
	(void)state;
	uint8_t t[FW_MPC_MAX];
	struct fw_machine m = machine();                /* no CPUID given */
	fw_build_mp_config(t, sizeof t, &m);
	assert_int_equal(rd32(t + 44 + 4), 0x600);
	assert_int_equal(rd32(t + 44 + 8), 0x201);
}

static void test_bios_data_area(void **state)
{
	(void)state;
	uint8_t bda[FW_BDA_SIZE];
	struct fw_machine m = machine();
	fw_build_bda(bda, &m);
	assert_int_equal(rd16(bda + 0x00), 0x3F8);      /* COM1 */
	assert_int_equal(rd16(bda + 0x02), 0);          /* no COM2 */
	assert_int_equal(rd16(bda + 0x0E), 0x9FC0);     /* EBDA segment */
	assert_int_equal(rd16(bda + 0x13), 639);        /* base memory, KB */
	assert_int_equal((rd16(bda + 0x10) >> 9) & 7, 1);      /* one serial port */
	assert_int_equal(bda[0x49], 3);
	assert_int_equal(rd16(bda + 0x4A), 80);
	assert_int_equal(rd16(bda + 0x63), 0x3D4);
	assert_int_equal(bda[0x84], 24);
}

/* ---- in a loaded guest, as xv6's mp.c sees it ------------------------------ */

struct ram {
	uint8_t *b;
};

static void ram_write(void *ctx, gpa_t dst, const void *src, uint32_t n)
{
	struct ram *r = ctx;
	assert_true((uint64_t)dst.v + n <= RAM_SIZE);
	memcpy(r->b + dst.v, src, n);
}

/* A one-segment multiboot ELF at 1 MB. */
static uint32_t tiny_kernel(uint8_t *img)
{
	static const uint8_t ident[16] = { 0x7F, 'E', 'L', 'F', 1, 1, 1 };
	memset(img, 0, 0x2000);
	memcpy(img, ident, sizeof ident);
	img[16] = 2; img[18] = 3; img[20] = 1;          /* ET_EXEC, EM_386, version */
	*(uint32_t *)(img + 24) = 0x100000;             /* entry */
	*(uint32_t *)(img + 28) = 52;                   /* phoff */
	img[40] = 52; img[42] = 32; img[44] = 1;        /* ehsize, phentsize, phnum */
	uint32_t *ph = (uint32_t *)(img + 52);
	ph[0] = 1; ph[1] = 0x1000; ph[2] = 0x100000; ph[3] = 0x100000;
	ph[4] = 0x1000; ph[5] = 0x1000; ph[6] = 5; ph[7] = 0x1000;
	uint32_t *mb = (uint32_t *)(img + 0x1000);
	mb[0] = MB_HEADER_MAGIC; mb[1] = 0; mb[2] = 0u - MB_HEADER_MAGIC;
	return 0x2000;
}

static uint8_t sum(const uint8_t *p, int len)
{
	uint8_t s = 0;
	for (int i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* mp.c mpsearch1(): a 16-byte-aligned "_MP_" that sums to 0. */
static int mpsearch1(const uint8_t *ram, uint32_t a, int len)
{
	for (uint32_t p = a; p < a + (uint32_t)len; p += 16)
		if (memcmp(ram + p, "_MP_", 4) == 0 && sum(ram + p, 16) == 0)
			return (int)p;
	return -1;
}

/* mp.c mpsearch(): EBDA, else the last KB of base memory, then the ROM. */
static int mpsearch(const uint8_t *ram)
{
	const uint8_t *bda = ram + 0x400;
	uint32_t p;
	int mp;
	if ((p = ((uint32_t)(bda[0x0F] << 8) | bda[0x0E]) << 4)) {
		if ((mp = mpsearch1(ram, p, 1024)) >= 0)
			return mp;
	} else {
		p = ((uint32_t)(bda[0x14] << 8) | bda[0x13]) * 1024;
		if ((mp = mpsearch1(ram, p - 1024, 1024)) >= 0)
			return mp;
	}
	return mpsearch1(ram, 0xF0000, 0x10000);
}

static bool reserved_in_map(const uint8_t *ram, uint32_t lo, uint32_t hi)
{
	const struct mb_info *mbi = (const void *)(ram + GUEST_MBI_GPA);
	const struct mb_mmap_entry *e = (const void *)(ram + mbi->mmap_addr);
	for (uint32_t i = 0; i < mbi->mmap_length / sizeof *e; i++)
		if (e[i].type == 2 && e[i].addr <= lo && hi <= e[i].addr + e[i].len)
			return true;
	return false;
}

static void test_xv6_mpinit_accepts_the_tables(void **state)
{
	(void)state;
	struct ram r = { calloc(1, RAM_SIZE) };
	static uint8_t img[0x2000];
	uint32_t len = tiny_kernel(img);
	struct guest_phys gp = { RAM_SIZE, ram_write, &r };
	struct guest_boot boot;
	const char *why = NULL;
	assert_non_null(r.b);
	memset(r.b, 0xCC, RAM_SIZE);
	assert_int_equal(guest_load(img, len, "", &gp, NULL, &boot, &why), 0);

	/* mpconfig() */
	int mp = mpsearch(r.b);
	assert_int_equal(mp, FW_MP_GPA);
	uint32_t conf = rd32(r.b + mp + 4);
	assert_int_not_equal(conf, 0);
	assert_memory_equal(r.b + conf, "PCMP", 4);
	assert_true(r.b[conf + 6] == 1 || r.b[conf + 6] == 4);
	uint16_t length = rd16(r.b + conf + 4);
	assert_int_equal(sum(r.b + conf, length), 0);
	assert_true(reserved_in_map(r.b, (uint32_t)mp, (uint32_t)mp + 16));
	assert_true(reserved_in_map(r.b, conf, conf + length));
	assert_true(reserved_in_map(r.b, FW_EBDA_GPA, FW_EBDA_GPA + FW_EBDA_SIZE));
	assert_int_equal(r.b[FW_EBDA_GPA], 1);          /* EBDA size, KB */

	/* mpinit() */
	int ncpu = 0, ismp = 1, ioapicid = -1, apicid = -1;
	const uint8_t *p = r.b + conf + 44, *e = r.b + conf + length;
	assert_int_equal(rd32(r.b + conf + 36), 0xFEE00000);    /* lapic = conf->lapicaddr */
	while (p < e && ismp) {
		switch (*p) {
		case MP_PROC: apicid = p[1]; ncpu++; p += 20; break;
		case MP_IOAPIC: ioapicid = p[1]; p += 8; break;
		case MP_BUS: case MP_IOINTR: case MP_LINTR: p += 8; break;
		default: ismp = 0; break;
		}
	}
	assert_true(ismp);
	assert_int_equal(ncpu, 1);                      /* or xv6 waits for others */
	assert_int_equal(apicid, 0);
	assert_int_equal(ioapicid, 0);
	assert_int_equal(r.b[mp + 12] & 0x80, 0);       /* imcrp */
	free(r.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floating_pointer),
		cmocka_unit_test(test_config_header),
		cmocka_unit_test(test_config_entries),
		cmocka_unit_test(test_seabios_cpu_defaults),
		cmocka_unit_test(test_bios_data_area),
		cmocka_unit_test(test_xv6_mpinit_accepts_the_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
