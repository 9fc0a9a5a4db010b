/*
 * test_virtdev_pit.c - host unit tests for src/virtdev/vpit.c, the virtual
 * 8254 and port 0x61.  The PIT is programmed through its ports as a guest
 * would and time is handed to it in PIT ticks, as the monitor will.  Covers
 * the post-BIOS state, divisor programming in each access mode, the IRQ 0
 * edge count over a second in mode 2 (exact, including the rounding of the
 * divisor), splitting time into many small steps, mode 0 firing once,
 * divisor 0 = 65536, the counter latch (frozen, decreasing between
 * reloads), read-back status, mode 3, reprogramming at the next reload,
 * channel 2's GATE and OUT through port 0x61 (the PIT calibration loop),
 * and reads of every port not crashing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "virtdev/vpit.h"

/* Control words, spelled out as guests write them. */
#define CW_CH0_LOHI_MODE2 0x34      /* minios and Linux: rate generator */
#define CW_CH0_LOHI_MODE0 0x30
#define CW_CH0_LOHI_MODE3 0x36
#define CW_CH0_LSB_MODE2  0x14
#define CW_CH0_MSB_MODE2  0x24
#define CW_CH0_LATCH      0x00
#define CW_CH2_LOHI_MODE0 0xB0      /* Linux's pit_calibrate_tsc */
#define CW_CH2_LOHI_MODE1 0xB2
#define CW_CH2_LATCH      0x80

static void program(struct vpit *pit, unsigned ch, uint8_t cw, uint32_t count)
{
	vpit_write(pit, PIT_CTRL_PORT, cw);
	vpit_write(pit, PIT_CH0_PORT + ch, (uint8_t)count);
	vpit_write(pit, PIT_CH0_PORT + ch, (uint8_t)(count >> 8));
}

/* minios's pit_read_counter(): latch, then low and high byte. */
static uint16_t latch_read(struct vpit *pit, unsigned ch)
{
	uint8_t lo, hi;
	vpit_write(pit, PIT_CTRL_PORT, (uint8_t)(ch << PIT_CW_SC_SHIFT));
	lo = vpit_read(pit, PIT_CH0_PORT + ch);
	hi = vpit_read(pit, PIT_CH0_PORT + ch);
	return (uint16_t)(lo | hi << 8);
}

static uint8_t status_of(struct vpit *pit, unsigned ch)
{
	vpit_write(pit, PIT_CTRL_PORT, (PIT_CW_SC_READBACK << PIT_CW_SC_SHIFT) |
		   PIT_RB_NO_COUNT | (PIT_RB_CH0 << ch));
	return vpit_read(pit, PIT_CH0_PORT + ch);
}

/* ---- state after BIOS ---------------------------------------------------- */

static void test_bios_state(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	assert_int_equal(vpit_ticks_to_irq(&pit), PIT_MAX_COUNT);   /* 18.2 Hz */
	assert_int_equal(vpit_advance(&pit, PIT_MAX_COUNT - 1), 0);
	assert_int_equal(vpit_advance(&pit, 1), 1);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & PORTB_WRITABLE, 0);
}

/* ---- mode 2 and the IRQ 0 rate ----------------------------------------- */

static void test_mode2_divisor_programming(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 11931);
	assert_int_equal(pit.ch[0].mode, PIT_MODE_RATE);
	assert_int_equal(pit.ch[0].reload, 11931);
	assert_int_equal(latch_read(&pit, 0), 11931);
	assert_int_equal(vpit_ticks_to_irq(&pit), 11931);
}

/* minios asks for 100 Hz: PIT_HZ / 100 = 11931 (truncated), so exactly
 * 100 edges fit in one second of ticks. */
static void test_mode2_100hz_for_one_second(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, PIT_HZ / 100);
	assert_int_equal(vpit_advance(&pit, PIT_HZ), 100);
}

/* With 11932 the hundredth edge is at 1193200 ticks, 18 past a second. */
static void test_mode2_edge_timing_is_exact(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 11932);
	assert_int_equal(vpit_advance(&pit, PIT_HZ), 99);
	assert_int_equal(vpit_advance(&pit, 17), 0);
	assert_int_equal(vpit_advance(&pit, 1), 1);
	assert_int_equal(pit.irq_edges, 100);
}

static void test_small_steps_add_up(void **state)
{
	struct vpit pit;
	uint32_t edges = 0;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 1000);
	for (int i = 0; i < 7000; i++)
		edges += vpit_advance(&pit, 7);     /* 49000 ticks */
	assert_int_equal(edges, 49);
	assert_int_equal(latch_read(&pit, 0), 1000);    /* just reloaded */
}

static void test_divisor_zero_is_65536(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 0);
	assert_int_equal(latch_read(&pit, 0), 0);       /* 65536 reads as 0 */
	assert_int_equal(vpit_advance(&pit, 1), 0);
	assert_int_equal(latch_read(&pit, 0), 0xFFFF);
	assert_int_equal(vpit_advance(&pit, 65534), 0);
	assert_int_equal(vpit_advance(&pit, 1), 1);
}

static void test_lsb_and_msb_only_access(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	vpit_write(&pit, PIT_CTRL_PORT, CW_CH0_LSB_MODE2);
	vpit_write(&pit, PIT_CH0_PORT, 100);
	assert_int_equal(vpit_read(&pit, PIT_CH0_PORT), 100);
	assert_int_equal(vpit_advance(&pit, 300), 3);
	vpit_write(&pit, PIT_CTRL_PORT, CW_CH0_MSB_MODE2);
	vpit_write(&pit, PIT_CH0_PORT, 2);
	assert_int_equal(pit.ch[0].reload, 512);
	vpit_advance(&pit, 12);
	assert_int_equal(vpit_read(&pit, PIT_CH0_PORT), 1);     /* 500 >> 8 */
}

/* A new count in mode 2 waits for the end of the current period. */
static void test_mode2_new_count_at_reload(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 1000);
	vpit_advance(&pit, 400);
	vpit_write(&pit, PIT_CH0_PORT, 100);    /* no control word: reload */
	vpit_write(&pit, PIT_CH0_PORT, 0);
	assert_int_equal(latch_read(&pit, 0), 600);
	assert_int_equal(status_of(&pit, 0) & PIT_STATUS_NULL, PIT_STATUS_NULL);
	assert_int_equal(vpit_advance(&pit, 600), 1);
	assert_int_equal(vpit_advance(&pit, 300), 3);
	assert_int_equal(status_of(&pit, 0) & PIT_STATUS_NULL, 0);
}

/* ---- the counter latch --------------------------------------------------- */

static void test_latched_counter_decreases(void **state)
{
	struct vpit pit;
	uint16_t a, b, c;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 11931);
	vpit_advance(&pit, 1000);
	a = latch_read(&pit, 0);
	vpit_advance(&pit, 250);
	b = latch_read(&pit, 0);
	vpit_advance(&pit, 250);
	c = latch_read(&pit, 0);
	assert_int_equal(a, 11931 - 1000);
	assert_int_equal(b, a - 250);
	assert_int_equal(c, b - 250);
	vpit_advance(&pit, c);                  /* through the reload */
	assert_int_equal(latch_read(&pit, 0), 11931);
}

static void test_latch_freezes_until_read(void **state)
{
	struct vpit pit;
	uint8_t lo, hi;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 5000);
	vpit_advance(&pit, 100);
	vpit_write(&pit, PIT_CTRL_PORT, CW_CH0_LATCH);
	vpit_advance(&pit, 1000);
	vpit_write(&pit, PIT_CTRL_PORT, CW_CH0_LATCH);  /* ignored */
	lo = vpit_read(&pit, PIT_CH0_PORT);
	vpit_advance(&pit, 1000);
	hi = vpit_read(&pit, PIT_CH0_PORT);
	assert_int_equal(lo | hi << 8, 4900);
	/* released: the next lo/hi pair is live */
	lo = vpit_read(&pit, PIT_CH0_PORT);
	hi = vpit_read(&pit, PIT_CH0_PORT);
	assert_int_equal(lo | hi << 8, 2900);
}

static void test_readback_status(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE2, 1000);
	/* OUT high, count loaded, lo/hi, mode 2, binary */
	assert_int_equal(status_of(&pit, 0), PIT_STATUS_OUT | 0x34);
	vpit_write(&pit, PIT_CTRL_PORT, CW_CH0_LOHI_MODE0);
	assert_int_equal(status_of(&pit, 0), PIT_STATUS_NULL | 0x30);
	/* read-back of count and status: status comes first */
	vpit_write(&pit, PIT_CH0_PORT, 0x34);
	vpit_write(&pit, PIT_CH0_PORT, 0x12);
	vpit_write(&pit, PIT_CTRL_PORT, (PIT_CW_SC_READBACK << PIT_CW_SC_SHIFT) |
		   PIT_RB_CH0);
	assert_int_equal(vpit_read(&pit, PIT_CH0_PORT), 0x30);
	assert_int_equal(vpit_read(&pit, PIT_CH0_PORT), 0x34);
	assert_int_equal(vpit_read(&pit, PIT_CH0_PORT), 0x12);
}

/* ---- one-shot and square wave -------------------------------------------- */

static void test_mode0_fires_once(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE0, 1000);
	assert_false(vpit_out(&pit, 0));
	assert_int_equal(vpit_advance(&pit, 999), 0);
	assert_false(vpit_out(&pit, 0));
	assert_int_equal(vpit_advance(&pit, 1), 1);
	assert_true(vpit_out(&pit, 0));
	assert_int_equal(vpit_ticks_to_irq(&pit), PIT_NO_IRQ);
	assert_int_equal(vpit_advance(&pit, 10 * PIT_MAX_COUNT), 0);
	assert_true(vpit_out(&pit, 0));
	/* rewriting the count re-arms it */
	program(&pit, 0, CW_CH0_LOHI_MODE0, 10);
	assert_int_equal(vpit_advance(&pit, 100), 1);
}

static void test_mode0_counts_on_past_zero(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE0, 100);
	vpit_advance(&pit, 100);
	assert_int_equal(latch_read(&pit, 0), 0);
	vpit_advance(&pit, 3);
	assert_int_equal(latch_read(&pit, 0), 0xFFFD);
}

static void test_mode0_first_byte_stops_count(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE0, 100);
	vpit_advance(&pit, 50);
	vpit_write(&pit, PIT_CH0_PORT, 0x10);   /* low byte only */
	assert_int_equal(vpit_advance(&pit, 1000), 0);
	vpit_write(&pit, PIT_CH0_PORT, 0x00);   /* count 16 starts now */
	assert_int_equal(vpit_advance(&pit, 15), 0);
	assert_int_equal(vpit_advance(&pit, 1), 1);
}

static void test_mode3_square_wave(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 0, CW_CH0_LOHI_MODE3, 1000);
	assert_true(vpit_out(&pit, 0));
	vpit_advance(&pit, 100);
	assert_int_equal(latch_read(&pit, 0), 800);     /* counts by two */
	vpit_advance(&pit, 400);
	assert_false(vpit_out(&pit, 0));                /* second half */
	assert_int_equal(latch_read(&pit, 0), 1000);
	assert_int_equal(vpit_advance(&pit, 500), 1);
	assert_true(vpit_out(&pit, 0));
	assert_int_equal(vpit_advance(&pit, PIT_HZ), PIT_HZ / 1000);
}

/* ---- channel 2, port 0x61 ------------------------------------------------ */

/* Linux's PIT calibration: gate high, speaker off, mode 0 on channel 2,
 * then spin until port 0x61 bit 5 (OUT2) rises. */
static void test_portb_gate_and_out2(void **state)
{
	struct vpit pit;
	const uint32_t latch = PIT_HZ / 20;     /* 50 ms */
	uint8_t v;
	(void)state;
	vpit_init(&pit);
	v = vpit_read(&pit, PIT_PORTB);
	vpit_write(&pit, PIT_PORTB, (uint8_t)((v & ~PORTB_SPEAKER) | PORTB_GATE2));
	program(&pit, 2, CW_CH2_LOHI_MODE0, latch);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & (PORTB_OUT2 | PORTB_GATE2),
			 PORTB_GATE2);
	assert_int_equal(vpit_advance(&pit, latch - 1), 0); /* not IRQ 0 */
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & PORTB_OUT2, 0);
	vpit_advance(&pit, 1);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & PORTB_OUT2, PORTB_OUT2);
}

static void test_portb_gate_low_pauses(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	vpit_write(&pit, PIT_PORTB, 0);
	program(&pit, 2, CW_CH2_LOHI_MODE0, 100);
	vpit_advance(&pit, 1000);               /* gate low: nothing moves */
	assert_int_equal(latch_read(&pit, 2), 100);
	vpit_write(&pit, PIT_PORTB, PORTB_GATE2);
	vpit_advance(&pit, 40);
	assert_int_equal(latch_read(&pit, 2), 60);
	vpit_write(&pit, PIT_PORTB, 0);
	vpit_advance(&pit, 1000);
	assert_int_equal(latch_read(&pit, 2), 60);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & PORTB_OUT2, 0);
}

static void test_portb_gate_triggers_mode1(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	program(&pit, 2, CW_CH2_LOHI_MODE1, 50);
	vpit_advance(&pit, 1000);               /* waiting for a trigger */
	assert_true(vpit_out(&pit, 2));
	vpit_write(&pit, PIT_PORTB, PORTB_GATE2);
	assert_false(vpit_out(&pit, 2));
	vpit_advance(&pit, 50);
	assert_true(vpit_out(&pit, 2));
}

static void test_portb_bits_and_refresh(void **state)
{
	struct vpit pit;
	uint8_t a, b;
	(void)state;
	vpit_init(&pit);
	vpit_write(&pit, PIT_PORTB, 0xFF);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & PORTB_WRITABLE,
			 PORTB_WRITABLE);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) &
			 (PORTB_IOCHK | PORTB_PARITY_ERR), 0);
	a = vpit_read(&pit, PIT_PORTB) & PORTB_REFRESH;
	vpit_advance(&pit, PIT_REFRESH_TICKS);
	b = vpit_read(&pit, PIT_PORTB) & PORTB_REFRESH;
	assert_int_not_equal(a, b);
	vpit_advance(&pit, PIT_REFRESH_TICKS);
	assert_int_equal(vpit_read(&pit, PIT_PORTB) & PORTB_REFRESH, a);
}

static void test_other_ports_do_not_crash(void **state)
{
	struct vpit pit;
	(void)state;
	vpit_init(&pit);
	for (unsigned i = 0; i < 8; i++) {
		vpit_read(&pit, PIT_CH1_PORT);
		vpit_read(&pit, PIT_CH2_PORT);
	}
	assert_int_equal(vpit_read(&pit, PIT_CTRL_PORT), PIT_UNMAPPED_READ);
	assert_int_equal(vpit_read(&pit, 0x44), PIT_UNMAPPED_READ);
	vpit_write(&pit, 0x44, 0x34);
	vpit_write(&pit, PIT_CTRL_PORT, 0xFF);  /* read-back, reserved bit set */
	vpit_write(&pit, PIT_CTRL_PORT, 0x7E);  /* ch1, mode 7 = 3 */
	assert_int_equal(pit.ch[1].mode, PIT_MODE_SQUARE);
	assert_int_equal(vpit_read_counter(&pit, 9), 0);
	assert_false(vpit_out(&pit, 9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios_state),
		cmocka_unit_test(test_mode2_divisor_programming),
		cmocka_unit_test(test_mode2_100hz_for_one_second),
		cmocka_unit_test(test_mode2_edge_timing_is_exact),
		cmocka_unit_test(test_small_steps_add_up),
		cmocka_unit_test(test_divisor_zero_is_65536),
		cmocka_unit_test(test_lsb_and_msb_only_access),
		cmocka_unit_test(test_mode2_new_count_at_reload),
		cmocka_unit_test(test_latched_counter_decreases),
		cmocka_unit_test(test_latch_freezes_until_read),
		cmocka_unit_test(test_readback_status),
		cmocka_unit_test(test_mode0_fires_once),
		cmocka_unit_test(test_mode0_counts_on_past_zero),
		cmocka_unit_test(test_mode0_first_byte_stops_count),
		cmocka_unit_test(test_mode3_square_wave),
		cmocka_unit_test(test_portb_gate_and_out2),
		cmocka_unit_test(test_portb_gate_low_pauses),
		cmocka_unit_test(test_portb_gate_triggers_mode1),
		cmocka_unit_test(test_portb_bits_and_refresh),
		cmocka_unit_test(test_other_ports_do_not_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
