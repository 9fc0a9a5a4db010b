/*
 * test_virtdev_io.c - host unit tests for src/virtdev/vio.c (the port bus)
 * and src/virtdev/vdebugexit.c.  A bus with the standard PC devices
 * attached is driven with IN/OUT-sized accesses as the monitor's port-I/O
 * emulation will.  Covers routing to each device, unknown ports (value per
 * size, writes ignored, per-port counts, the recent ring, slot overflow),
 * splitting 16/32-bit accesses over 8-bit devices (including pieces that
 * fall off a device), the debug-exit port (sizes, first request wins),
 * mapping errors, bad sizes, and an end-to-end timer interrupt: minios's
 * PIC and PIT programming through the bus, PIT time, IRQ 0 delivery.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "virtdev/vio.h"

struct pc {
	struct vio_bus bus;
	struct vpic pic;
	struct vpit pit;
	struct vuart uart;
	struct vdebugexit dbg;
	uint8_t out[32];
	unsigned nout;
};

static void capture(void *ctx, uint8_t byte)
{
	struct pc *pc = ctx;
	if (pc->nout < sizeof pc->out)
		pc->out[pc->nout++] = byte;
}

static void pc_setup(struct pc *pc)
{
	memset(pc, 0, sizeof *pc);
	vio_init(&pc->bus);
	vpic_init(&pc->pic);
	vpit_init(&pc->pit);
	vuart_init(&pc->uart, UART_COM1_BASE, UART_COM1_IRQ, capture, pc);
	vdebugexit_init(&pc->dbg);
	assert_true(vio_attach_pic(&pc->bus, &pc->pic));
	assert_true(vio_attach_pit(&pc->bus, &pc->pit));
	assert_true(vio_attach_uart(&pc->bus, &pc->uart));
	assert_true(vio_attach_debugexit(&pc->bus, &pc->dbg));
}

static void outb(struct pc *pc, uint16_t port, uint8_t v)
{
	vio_write(&pc->bus, port, 1, v);
}

static uint8_t inb(struct pc *pc, uint16_t port)
{
	return (uint8_t)vio_read(&pc->bus, port, 1);
}

/* ---- routing ------------------------------------------------------------- */

static void test_routes_to_each_device(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	outb(&pc, PIC_SLAVE_DATA, 0x3C);
	assert_int_equal(pc.pic.chip[PIC_SLAVE].imr, 0x3C);
	assert_int_equal(inb(&pc, PIC_SLAVE_DATA), 0x3C);
	outb(&pc, PIT_CTRL_PORT, 0x34);
	outb(&pc, PIT_CH0_PORT, 0x9B);
	outb(&pc, PIT_CH0_PORT, 0x2E);
	assert_int_equal(pc.pit.ch[0].reload, 0x2E9B);
	outb(&pc, PIT_PORTB, PORTB_GATE2);
	assert_true(pc.pit.ch[2].gate);
	outb(&pc, UART_COM1_BASE + UART_SCR, 0x5A);
	assert_int_equal(inb(&pc, UART_COM1_BASE + UART_SCR), 0x5A);
	outb(&pc, UART_COM1_BASE + UART_THR, '!');
	assert_int_equal(pc.nout, 1);
	assert_int_equal(pc.out[0], '!');
	assert_int_equal(pc.bus.unknown.total, 0);
}

static void test_find_names_ranges(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	assert_string_equal(vio_find(&pc.bus, 0x21)->name, "pic-master");
	assert_string_equal(vio_find(&pc.bus, 0xA0)->name, "pic-slave");
	assert_string_equal(vio_find(&pc.bus, 0x43)->name, "pit");
	assert_string_equal(vio_find(&pc.bus, 0x61)->name, "port61");
	assert_string_equal(vio_find(&pc.bus, 0x3FF)->name, "uart");
	assert_string_equal(vio_find(&pc.bus, 0xF7)->name, "debug-exit");
	assert_null(vio_find(&pc.bus, 0x44));
	assert_null(vio_find(&pc.bus, 0x3F7));
	assert_null(vio_find(&pc.bus, 0xF8));
}

/* ---- unknown ports ------------------------------------------------------- */

static void test_unknown_reads_all_ones_by_size(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	assert_int_equal(vio_read(&pc.bus, 0x80, 1), 0xFF);
	assert_int_equal(vio_read(&pc.bus, 0x80, 2), 0xFFFF);
	assert_int_equal(vio_read(&pc.bus, 0x80, 4), 0xFFFFFFFF);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x80), 3);
	assert_int_equal(pc.bus.unknown.total, 3);
}

static void test_unknown_writes_ignored_and_counted(void **state)
{
	struct pc pc;
	uint16_t p;
	(void)state;
	pc_setup(&pc);
	vio_write(&pc.bus, 0x8900, 1, 'S');     /* Bochs shutdown port */
	vio_write(&pc.bus, 0x8900, 1, 'h');
	vio_write(&pc.bus, 0x70, 1, 0x8F);      /* CMOS: not modelled yet */
	vio_read(&pc.bus, 0x71, 1);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x8900), 2);
	assert_int_equal(pc.bus.unknown.ports[0].writes, 2);
	assert_int_equal(pc.bus.unknown.ports[0].reads, 0);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x70), 1);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x72), 0);
	assert_true(vio_unknown_recent(&pc.bus, 0, &p));
	assert_int_equal(p, 0x71);
	assert_true(vio_unknown_recent(&pc.bus, 1, &p));
	assert_int_equal(p, 0x70);
	assert_true(vio_unknown_recent(&pc.bus, 3, &p));
	assert_int_equal(p, 0x8900);
	assert_false(vio_unknown_recent(&pc.bus, 4, &p));
	assert_false(vuart_intr(&pc.uart));     /* nothing else was touched */
	assert_false(vdebugexit_requested(&pc.dbg, NULL));
}

static void test_unknown_slots_and_ring_overflow(void **state)
{
	struct pc pc;
	uint16_t p;
	(void)state;
	pc_setup(&pc);
	for (uint16_t i = 0; i < VIO_UNKNOWN_SLOTS + 4; i++)
		vio_read(&pc.bus, (uint16_t)(0x1000 + i), 1);
	assert_int_equal(pc.bus.unknown.total, VIO_UNKNOWN_SLOTS + 4);
	assert_int_equal(pc.bus.unknown.untracked, 4);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x1000), 1);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x1000 + VIO_UNKNOWN_SLOTS), 0);
	assert_true(vio_unknown_recent(&pc.bus, 0, &p));
	assert_int_equal(p, 0x1000 + VIO_UNKNOWN_SLOTS + 3);
	assert_true(vio_unknown_recent(&pc.bus, VIO_RECENT - 1, &p));
	assert_int_equal(p, 0x1000 + VIO_UNKNOWN_SLOTS + 4 - VIO_RECENT);
	assert_false(vio_unknown_recent(&pc.bus, VIO_RECENT, &p));
}

/* ---- wide accesses ------------------------------------------------------- */

/* outw to an 8-bit device: low byte at port, high byte at port + 1. */
static void test_word_access_splits_into_bytes(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	outb(&pc, UART_COM1_BASE + UART_LCR, UART_LCR_DLAB);
	vio_write(&pc.bus, UART_COM1_BASE + UART_DLL, 2, 0x0C01);
	assert_int_equal(pc.uart.dll, 0x01);
	assert_int_equal(pc.uart.dlm, 0x0C);
	assert_int_equal(vio_read(&pc.bus, UART_COM1_BASE + UART_DLL, 2), 0x0C01);
	vio_write(&pc.bus, PIC_MASTER_CMD, 2, 0xF80A);  /* OCW3 read IRR, IMR */
	assert_int_equal(vio_read(&pc.bus, PIC_MASTER_CMD, 2), 0xF800);
	assert_int_equal(pc.bus.unknown.total, 0);
}

/* inl at 0x3FE: MSR, SCR, then two ports nobody decodes. */
static void test_dword_piece_off_device_reads_ones(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	outb(&pc, UART_COM1_BASE + UART_SCR, 0x42);
	assert_int_equal(vio_read(&pc.bus, UART_COM1_BASE + UART_MSR, 4),
			 0xFFFF0000u | 0x4200u | UART_MSR_CONNECTED);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x400), 1);
	assert_int_equal(vio_unknown_count(&pc.bus, 0x401), 1);
	assert_int_equal(vio_unknown_count(&pc.bus, UART_COM1_BASE + UART_MSR), 0);
}

/* A wide access whose first port is unknown is one unknown access. */
static void test_dword_unknown_first_port_counts_once(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	vio_write(&pc.bus, 0x3F6, 4, 0x12345678);
	assert_int_equal(pc.bus.unknown.total, 1);
	assert_int_equal(pc.uart.dll, 0);
	assert_int_equal(pc.nout, 0);
}

static void test_bad_size(void **state)
{
	struct pc pc;
	(void)state;
	pc_setup(&pc);
	assert_int_equal(vio_read(&pc.bus, UART_COM1_BASE + UART_SCR, 3),
			 0xFFFFFFFF);
	vio_write(&pc.bus, UART_COM1_BASE + UART_SCR, 0, 7);
	vio_write(&pc.bus, UART_COM1_BASE + UART_SCR, 8, 7);
	assert_int_equal(pc.bus.bad_size, 3);
	assert_int_equal(pc.uart.scr, 0);
}

/* ---- debug exit ---------------------------------------------------------- */

static void test_debug_exit_outl(void **state)
{
	struct pc pc;
	uint32_t code = 0;
	(void)state;
	pc_setup(&pc);
	assert_false(vdebugexit_requested(&pc.dbg, &code));
	vio_write(&pc.bus, DEBUGEXIT_PORT, 4, 0x12345678);
	assert_true(vdebugexit_requested(&pc.dbg, &code));
	assert_int_equal(code, 0x12345678);
	vio_write(&pc.bus, DEBUGEXIT_PORT, 4, 1);       /* first one wins */
	assert_true(vdebugexit_requested(&pc.dbg, &code));
	assert_int_equal(code, 0x12345678);
	assert_int_equal(pc.dbg.writes, 2);
	assert_int_equal(vio_read(&pc.bus, DEBUGEXIT_PORT, 4), 0xFFFFFFFF);
	assert_int_equal(vio_read(&pc.bus, DEBUGEXIT_PORT, 1), 0xFF);
}

static void test_debug_exit_narrow_and_other_ports(void **state)
{
	struct pc pc;
	uint32_t code = 0;
	(void)state;
	pc_setup(&pc);
	vio_write(&pc.bus, DEBUGEXIT_PORT + 2, 1, 0x1FF);  /* cut to a byte */
	assert_true(vdebugexit_requested(&pc.dbg, &code));
	assert_int_equal(code, 0xFF);
	vdebugexit_init(&pc.dbg);
	vio_write(&pc.bus, DEBUGEXIT_PORT, 2, 0xABCD1);
	assert_true(vdebugexit_requested(&pc.dbg, &code));
	assert_int_equal(code, 0xBCD1);
	vdebugexit_init(&pc.dbg);
	vdebugexit_write(&pc.dbg, 0xF8, 1, 3);          /* not its port */
	assert_false(vdebugexit_requested(&pc.dbg, NULL));
}

/* ---- mapping ------------------------------------------------------------- */

static uint32_t dummy_read(void *dev, uint16_t port, unsigned size)
{
	(void)dev; (void)port; (void)size;
	return 0x5A5A5A5A;
}

static void dummy_write(void *dev, uint16_t port, unsigned size, uint32_t v)
{
	(void)dev; (void)port; (void)size; (void)v;
}

static void test_map_refuses_overlap_and_overflow(void **state)
{
	static const struct vio_ops ops = { dummy_read, dummy_write, 2 };
	static const struct vio_ops bad = { dummy_read, dummy_write, 3 };
	struct pc pc;
	unsigned n;
	(void)state;
	pc_setup(&pc);
	assert_false(vio_map(&pc.bus, 0x3F0, 0x3F8, &ops, NULL, "ovl"));
	assert_false(vio_map(&pc.bus, 0x500, 0x4FF, &ops, NULL, "empty"));
	assert_false(vio_map(&pc.bus, 0x500, 0x501, &bad, NULL, "width"));
	n = pc.bus.nranges;
	for (unsigned i = n; i < VIO_MAX_RANGES; i++)
		assert_true(vio_map(&pc.bus, (uint16_t)(0x1000 + 2 * i),
				    (uint16_t)(0x1001 + 2 * i), &ops, NULL, "d"));
	assert_false(vio_map(&pc.bus, 0x2000, 0x2000, &ops, NULL, "full"));
	/* a width-2 device takes words whole and dwords in two pieces */
	assert_int_equal(vio_read(&pc.bus, 0x1000 + 2 * n, 2), 0x5A5A);
	assert_int_equal(vio_read(&pc.bus, 0x1000 + 2 * n, 4), 0x5A5A5A5A);
}

/* ---- end to end: a timer interrupt --------------------------------------- */

static void test_timer_interrupt_through_bus(void **state)
{
	struct pc pc;
	uint32_t edges = 0;
	(void)state;
	pc_setup(&pc);
	static const uint8_t pic_init[][2] = {      /* minios pic_init */
		{ 0x20, 0x11 }, { 0xA0, 0x11 }, { 0x21, 0x20 }, { 0xA1, 0x28 },
		{ 0x21, 0x04 }, { 0xA1, 0x02 }, { 0x21, 0x01 }, { 0xA1, 0x01 },
		{ 0x21, 0xFA }, { 0xA1, 0xFF },
	};
	for (size_t i = 0; i < sizeof pic_init / sizeof pic_init[0]; i++)
		outb(&pc, pic_init[i][0], pic_init[i][1]);
	outb(&pc, PIT_CTRL_PORT, 0x34);             /* minios pit_init(100) */
	outb(&pc, PIT_CH0_PORT, (uint8_t)(PIT_HZ / 100));
	outb(&pc, PIT_CH0_PORT, (uint8_t)((PIT_HZ / 100) >> 8));
	for (int i = 0; i < 10; i++)                /* 10 ms in 1 ms steps */
		edges += vpit_advance(&pc.pit, PIT_HZ / 1000);
	assert_int_equal(edges, 0);
	edges = vpit_advance(&pc.pit, PIT_HZ / 100);
	assert_int_equal(edges, 1);
	vpic_pulse_irq(&pc.pic, PIT_IRQ);
	assert_int_equal(vpic_pending_vector(&pc.pic), 0x20);
	assert_int_equal(vpic_ack(&pc.pic), 0x20);
	outb(&pc, PIC_MASTER_CMD, PIC_OCW2_EOI);
	assert_int_equal(vpic_pending_vector(&pc.pic), -1);
	assert_int_equal(pc.bus.unknown.total, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_to_each_device),
		cmocka_unit_test(test_find_names_ranges),
		cmocka_unit_test(test_unknown_reads_all_ones_by_size),
		cmocka_unit_test(test_unknown_writes_ignored_and_counted),
		cmocka_unit_test(test_unknown_slots_and_ring_overflow),
		cmocka_unit_test(test_word_access_splits_into_bytes),
		cmocka_unit_test(test_dword_piece_off_device_reads_ones),
		cmocka_unit_test(test_dword_unknown_first_port_counts_once),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_debug_exit_outl),
		cmocka_unit_test(test_debug_exit_narrow_and_other_ports),
		cmocka_unit_test(test_map_refuses_overlap_and_overflow),
		cmocka_unit_test(test_timer_interrupt_through_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
