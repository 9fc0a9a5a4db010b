/*
 * test_virtdev_pcbits.c - host unit tests for the small PC devices a real
 * kernel touches: src/virtdev/vcrtc.c (CRT controller index/data, xv6's
 * cursor read and write, VGA's register 0-7 lock), vkbc.c (an 8042 with no
 * data: status, data, the reset command) and vsysctl.c (port 0x92: A20 read
 * back, the fast reset edge), each through its ports as a guest drives it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "virtdev/vcrtc.h"
#include "virtdev/vkbc.h"
#include "virtdev/vsysctl.h"

#define CRTPORT 0x3D4       /* console.c */

/* console.c cgaputc: the cursor position from registers 14 and 15. */
static int xv6_read_cursor(struct vcrtc *c)
{
	int pos;
	vcrtc_write(c, CRTPORT, 14);
	pos = vcrtc_read(c, CRTPORT + 1) << 8;
	vcrtc_write(c, CRTPORT, 15);
	pos |= vcrtc_read(c, CRTPORT + 1);
	return pos;
}

static void xv6_write_cursor(struct vcrtc *c, int pos)
{
	vcrtc_write(c, CRTPORT, 14);
	vcrtc_write(c, CRTPORT + 1, (uint8_t)(pos >> 8));
	vcrtc_write(c, CRTPORT, 15);
	vcrtc_write(c, CRTPORT + 1, (uint8_t)pos);
}

static void test_crtc_cursor_round_trip(void **state)
{
	(void)state;
	struct vcrtc c;
	vcrtc_init(&c);
	int pos = xv6_read_cursor(&c);
	assert_true(pos >= 0 && pos <= 25 * 80);        /* xv6 panics otherwise */
	assert_int_equal(pos, 0);
	xv6_write_cursor(&c, 24 * 80 + 79);
	assert_int_equal(xv6_read_cursor(&c), 24 * 80 + 79);
	assert_int_equal(vcrtc_cursor(&c), 24 * 80 + 79);
	assert_int_equal(vcrtc_read(&c, CRTC_INDEX_PORT), 15);  /* index reads back */
}

static void test_crtc_registers_and_lock(void **state)
{
	(void)state;
	struct vcrtc c;
	vcrtc_init(&c);
	vcrtc_write(&c, CRTC_INDEX_PORT, 0x01);
	assert_int_equal(vcrtc_read(&c, CRTC_DATA_PORT), 0x4F);        /* mode 3: 80 columns */
	vcrtc_write(&c, CRTC_DATA_PORT, 0x27);          /* locked by reg 0x11 bit 7 */
	assert_int_equal(vcrtc_read(&c, CRTC_DATA_PORT), 0x4F);
	vcrtc_write(&c, CRTC_INDEX_PORT, CRTC_OVERFLOW);
	vcrtc_write(&c, CRTC_DATA_PORT, 0x00);          /* only bit 4 changes */
	assert_int_equal(vcrtc_read(&c, CRTC_DATA_PORT), 0x1F & ~0x10);
	vcrtc_write(&c, CRTC_INDEX_PORT, CRTC_VSYNC_END);
	vcrtc_write(&c, CRTC_DATA_PORT, 0x0E);          /* unlock */
	vcrtc_write(&c, CRTC_INDEX_PORT, 0x01);
	vcrtc_write(&c, CRTC_DATA_PORT, 0x27);
	assert_int_equal(vcrtc_read(&c, CRTC_DATA_PORT), 0x27);
	vcrtc_write(&c, CRTC_INDEX_PORT, 0xC0);         /* beyond the VGA set */
	vcrtc_write(&c, CRTC_DATA_PORT, 0x5A);
	assert_int_equal(vcrtc_read(&c, CRTC_DATA_PORT), 0x5A);
	assert_int_equal(vcrtc_read(&c, 0x3D6), CRTC_UNMAPPED_READ);
}

static void test_kbc_has_no_data(void **state)
{
	(void)state;
	struct vkbc k;
	vkbc_init(&k);
	uint8_t st = vkbc_read(&k, KBC_STATUS_PORT);
	assert_int_equal(st & KBC_STAT_OBF, 0);         /* kbd.c: no data */
	assert_int_equal(st & KBC_STAT_IBF, 0);         /* ready for a command */
	assert_int_equal(st, 0x1C);
	assert_int_equal(vkbc_read(&k, KBC_DATA_PORT), 0);
	vkbc_write(&k, KBC_STATUS_PORT, 0xAD);          /* disable keyboard */
	vkbc_write(&k, KBC_DATA_PORT, 0xF4);
	assert_false(vkbc_reset_requested(&k));
	vkbc_write(&k, KBC_STATUS_PORT, KBC_CMD_RESET);
	assert_true(vkbc_reset_requested(&k));
	assert_int_equal(k.commands, 2);
	assert_int_equal(k.data_writes, 1);
	assert_int_equal(vkbc_read(&k, 0x61), KBC_UNMAPPED_READ);
}

static void test_port92_a20_and_reset(void **state)
{
	(void)state;
	struct vsysctl s;
	vsysctl_init(&s);
	assert_int_equal(vsysctl_read(&s, SYSCTL_PORT), SYSCTL_A20);   /* BIOS enabled A20 */
	assert_true(vsysctl_a20(&s));
	vsysctl_write(&s, SYSCTL_PORT, 0);
	assert_int_equal(vsysctl_read(&s, SYSCTL_PORT), 0);
	assert_false(vsysctl_a20(&s));
	vsysctl_write(&s, SYSCTL_PORT, vsysctl_read(&s, SYSCTL_PORT) | SYSCTL_A20);
	assert_int_equal(vsysctl_read(&s, SYSCTL_PORT), SYSCTL_A20);
	assert_false(vsysctl_reset_requested(&s));
	vsysctl_write(&s, SYSCTL_PORT, SYSCTL_A20 | SYSCTL_RESET);
	assert_true(vsysctl_reset_requested(&s));
	assert_int_equal(vsysctl_read(&s, 0x93), SYSCTL_UNMAPPED_READ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crtc_cursor_round_trip),
		cmocka_unit_test(test_crtc_registers_and_lock),
		cmocka_unit_test(test_kbc_has_no_data),
		cmocka_unit_test(test_port92_a20_and_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
