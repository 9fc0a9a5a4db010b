/*
 * test_vmmio.c - host unit tests for src/virtdev/vmmio.c, the MMIO bus:
 * ranges map and refuse overlaps, accesses reach the device with the
 * offset into its range and the size, and unclaimed accesses read as all
 * ones and are counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "virtdev/vmmio.h"

struct fake_dev {
	uint32_t last_off, last_value;
	unsigned last_size, reads, writes;
};

static uint32_t fake_read(void *dev, uint32_t off, unsigned size)
{
	struct fake_dev *d = dev;
	d->reads++;
	d->last_off = off;
	d->last_size = size;
	return 0xA0000000u | off;
}

static void fake_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct fake_dev *d = dev;
	d->writes++;
	d->last_off = off;
	d->last_size = size;
	d->last_value = value;
}

static const struct vmmio_ops fake_ops = { fake_read, fake_write };

static void test_map_and_route(void **state)
{
	struct vmmio_bus bus;
	struct fake_dev a = { 0 }, b = { 0 };
	(void)state;
	vmmio_init(&bus);
	assert_true(vmmio_map(&bus, 0xFEE00000u, 0x1000, &fake_ops, &a, "lapic"));
	assert_true(vmmio_map(&bus, 0xFEC00000u, 0x1000, &fake_ops, &b, "ioapic"));
	assert_int_equal(vmmio_read(&bus, 0xFEE00020u, 4), 0xA0000020u);
	assert_int_equal(a.last_off, 0x20);
	assert_int_equal(a.last_size, 4);
	vmmio_write(&bus, 0xFEC00010u, 1, 0x12);
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.last_off, 0x10);
	assert_int_equal(b.last_value, 0x12);
	assert_int_equal(a.writes, 0);
	assert_string_equal(vmmio_find(&bus, 0xFEE00FFFu)->name, "lapic");
	assert_null(vmmio_find(&bus, 0xFEE01000u));
}

static void test_refusals(void **state)
{
	struct vmmio_bus bus;
	struct fake_dev a = { 0 };
	(void)state;
	vmmio_init(&bus);
	assert_true(vmmio_map(&bus, 0x1000, 0x1000, &fake_ops, &a, "x"));
	assert_false(vmmio_map(&bus, 0x1800, 0x1000, &fake_ops, &a, "overlap"));
	assert_false(vmmio_map(&bus, 0x0800, 0x1000, &fake_ops, &a, "overlap below"));
	assert_false(vmmio_map(&bus, 0x3000, 0, &fake_ops, &a, "empty"));
	assert_false(vmmio_map(&bus, 0xFFFFF000u, 0x2000, &fake_ops, &a, "wraps"));
	for (unsigned i = 1; i < VMMIO_MAX_RANGES; i++)
		assert_true(vmmio_map(&bus, 0x10000 * (i + 1), 0x1000, &fake_ops, &a, "more"));
	assert_false(vmmio_map(&bus, 0x900000, 0x1000, &fake_ops, &a, "full"));
}

static void test_unclaimed(void **state)
{
	struct vmmio_bus bus;
	(void)state;
	vmmio_init(&bus);
	assert_int_equal(vmmio_read(&bus, 0x5000, 1), 0xFF);
	assert_int_equal(vmmio_read(&bus, 0x5000, 2), 0xFFFF);
	assert_int_equal(vmmio_read(&bus, 0x5000, 4), 0xFFFFFFFFu);
	vmmio_write(&bus, 0x5000, 4, 1);
	assert_int_equal(bus.unclaimed, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_and_route),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_unclaimed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
