/*
 * test_virtdev_uart.c - host unit tests for src/virtdev/vuart.c, the
 * virtual 16550A.  Registers are reached through their ports at COM1 as a
 * guest would; transmitted bytes are captured by a test callback.  Covers
 * scratch, the divisor latch behind DLAB, LSR (THRE/TEMT always, DR,
 * overrun), transmit order, the receive FIFO and the 16450 single buffer,
 * FCR and the IIR FIFO bits, every interrupt source and its priority,
 * THRE acknowledgement by reading IIR, trigger levels and the (immediate)
 * character timeout, the OUT2 gate on the IRQ line, loopback as the Linux
 * 8250 probe uses it, and minios's uart_init sequence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "virtdev/vuart.h"

#define COM1 UART_COM1_BASE

struct sink {
	uint8_t bytes[64];
	unsigned n;
};

static void capture(void *ctx, uint8_t byte)
{
	struct sink *s = ctx;
	if (s->n < sizeof s->bytes)
		s->bytes[s->n] = byte;
	s->n++;
}

static void setup(struct vuart *u, struct sink *s)
{
	memset(s, 0, sizeof *s);
	vuart_init(u, COM1, UART_COM1_IRQ, capture, s);
}

static uint8_t in(struct vuart *u, unsigned reg)
{
	return vuart_read(u, (uint16_t)(COM1 + reg));
}

static void out(struct vuart *u, unsigned reg, uint8_t v)
{
	vuart_write(u, (uint16_t)(COM1 + reg), v);
}

/* ---- plain registers ----------------------------------------------------- */

static void test_scratch_holds_a_byte(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_SCR, 0x5A);
	assert_int_equal(in(&u, UART_SCR), 0x5A);
	out(&u, UART_SCR, 0xA5);
	assert_int_equal(in(&u, UART_SCR), 0xA5);
	assert_int_equal(s.n, 0);
}

static void test_dlab_divisor_readback(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_IER, UART_IER_RDI);
	out(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	out(&u, UART_DLL, 0x0C);                /* 9600 baud */
	out(&u, UART_DLM, 0x01);
	assert_int_equal(in(&u, UART_DLL), 0x0C);
	assert_int_equal(in(&u, UART_DLM), 0x01);
	assert_int_equal(s.n, 0);               /* DLL write is not THR */
	out(&u, UART_LCR, 0x03);
	assert_int_equal(in(&u, UART_LCR), 0x03);
	assert_int_equal(in(&u, UART_IER), UART_IER_RDI);  /* IER untouched */
	out(&u, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(in(&u, UART_DLL) | in(&u, UART_DLM) << 8, 0x010C);
}

static void test_ier_keeps_low_bits(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_IER, 0x00);
	assert_int_equal(in(&u, UART_IER), 0x00);
	out(&u, UART_IER, 0xFF);
	assert_int_equal(in(&u, UART_IER), UART_IER_MASK);
}

static void test_lsr_transmitter_always_empty(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	assert_int_equal(in(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	out(&u, UART_THR, 'x');
	assert_int_equal(in(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

/* ---- transmit ------------------------------------------------------------ */

static void test_thr_reaches_callback_in_order(void **state)
{
	struct vuart u;
	struct sink s;
	const char *msg = "hello, world\r\n";
	(void)state;
	setup(&u, &s);
	for (const char *p = msg; *p; p++)
		out(&u, UART_THR, (uint8_t)*p);
	assert_int_equal(s.n, strlen(msg));
	assert_memory_equal(s.bytes, msg, strlen(msg));
	assert_int_equal(u.tx_bytes, strlen(msg));
}

static void test_null_callback_drops_output(void **state)
{
	struct vuart u;
	(void)state;
	vuart_init(&u, COM1, UART_COM1_IRQ, NULL, NULL);
	out(&u, UART_THR, 'x');
	assert_int_equal(u.tx_bytes, 1);
}

/* minios's uart_init, then its polled putc. */
static void test_minios_init_and_putc(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_IER, 0x00);
	out(&u, UART_LCR, UART_LCR_DLAB);
	out(&u, 0, 1);
	out(&u, 1, 0);
	out(&u, UART_LCR, 0x03);
	out(&u, UART_FCR, 0x07);
	out(&u, UART_MCR, 0x03);
	assert_true(in(&u, UART_LSR) & UART_LSR_THRE);
	out(&u, UART_THR, 'A');
	assert_int_equal(s.n, 1);
	assert_int_equal(s.bytes[0], 'A');
	assert_int_equal(in(&u, UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
	assert_false(vuart_intr(&u));
}

/* ---- receive ------------------------------------------------------------- */

static void test_rx_fifo_and_dr(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, 0);
	assert_true(vuart_receive(&u, 'a'));
	assert_true(vuart_receive(&u, 'b'));
	assert_true(vuart_receive(&u, 'c'));
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(in(&u, UART_RBR), 'a');
	assert_int_equal(in(&u, UART_RBR), 'b');
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(in(&u, UART_RBR), 'c');
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(in(&u, UART_RBR), 'c');    /* stale, as on the chip */
}

static void test_rx_fifo_overrun(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_FCR, UART_FCR_ENABLE);
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		assert_true(vuart_receive(&u, (uint8_t)i));
	assert_false(vuart_can_receive(&u));
	assert_false(vuart_receive(&u, 0xEE));
	assert_int_equal(in(&u, UART_LSR), UART_LSR_DR | UART_LSR_OE |
			 UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_OE, 0);  /* read clears */
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(in(&u, UART_RBR), i);      /* 0xEE was lost */
	assert_true(vuart_can_receive(&u));
}

static void test_rx_without_fifo_overwrites(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	assert_true(vuart_receive(&u, 'a'));
	assert_false(vuart_can_receive(&u));
	assert_false(vuart_receive(&u, 'b'));
	assert_int_equal(in(&u, UART_LSR) & (UART_LSR_OE | UART_LSR_DR),
			 UART_LSR_OE | UART_LSR_DR);
	assert_int_equal(in(&u, UART_RBR), 'b');
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, 0);
}

static void test_fcr_clears_and_toggles_fifo(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_FCR, UART_FCR_ENABLE);
	vuart_receive(&u, 'a');
	vuart_receive(&u, 'b');
	out(&u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, 0);
	vuart_receive(&u, 'c');
	out(&u, UART_FCR, 0);                   /* FIFOs off: emptied */
	assert_int_equal(in(&u, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(in(&u, UART_IIR), UART_IIR_NO_INT);   /* no 0xC0 */
}

/* ---- interrupts ---------------------------------------------------------- */

static void test_thre_interrupt_cleared_by_iir_read(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_MCR, UART_MCR_OUT2);
	assert_false(vuart_irq_pending(&u));
	out(&u, UART_IER, UART_IER_THRI);       /* THR empty: fires at once */
	assert_true(vuart_irq_pending(&u));
	assert_int_equal(in(&u, UART_IIR), UART_IIR_THRI);
	assert_false(vuart_irq_pending(&u));
	assert_int_equal(in(&u, UART_IIR), UART_IIR_NO_INT);
	out(&u, UART_THR, 'z');                 /* sent; empty again */
	assert_true(vuart_irq_pending(&u));
	out(&u, UART_IER, 0);
	assert_false(vuart_irq_pending(&u));
}

static void test_rx_interrupt_outranks_thre(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_MCR, UART_MCR_OUT2);
	out(&u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	vuart_receive(&u, 'q');
	assert_int_equal(in(&u, UART_IIR), UART_IIR_RDI);
	assert_int_equal(in(&u, UART_IIR), UART_IIR_RDI);  /* until read */
	assert_int_equal(in(&u, UART_RBR), 'q');
	assert_int_equal(in(&u, UART_IIR), UART_IIR_THRI);
	assert_int_equal(in(&u, UART_IIR), UART_IIR_NO_INT);
}

static void test_rx_interrupt_needs_ier(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_MCR, UART_MCR_OUT2);
	vuart_receive(&u, 'q');
	assert_false(vuart_irq_pending(&u));
	out(&u, UART_IER, UART_IER_RDI);
	assert_true(vuart_irq_pending(&u));
}

static void test_line_status_interrupt_first(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_IER, UART_IER_RLSI | UART_IER_RDI);
	vuart_receive(&u, '1');
	vuart_receive(&u, '2');                 /* overrun, no FIFO */
	assert_int_equal(in(&u, UART_IIR), UART_IIR_RLSI);
	in(&u, UART_LSR);                       /* clears OE */
	assert_int_equal(in(&u, UART_IIR), UART_IIR_RDI);
}

static void test_fifo_trigger_and_timeout(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_FCR, UART_FCR_ENABLE | (1 << UART_FCR_TRIGGER_SHIFT));
	out(&u, UART_IER, UART_IER_RDI);
	vuart_receive(&u, 'a');
	assert_int_equal(in(&u, UART_IIR), UART_IIR_FIFOS | UART_IIR_TIMEOUT);
	vuart_receive(&u, 'b');
	vuart_receive(&u, 'c');
	vuart_receive(&u, 'd');                 /* 4 = trigger level */
	assert_int_equal(in(&u, UART_IIR), UART_IIR_FIFOS | UART_IIR_RDI);
	in(&u, UART_RBR);
	assert_int_equal(in(&u, UART_IIR), UART_IIR_FIFOS | UART_IIR_TIMEOUT);
}

static void test_out2_gates_irq_line(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_IER, UART_IER_RDI);
	vuart_receive(&u, 'k');
	assert_true(vuart_intr(&u));
	assert_false(vuart_irq_pending(&u));
	out(&u, UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	assert_true(vuart_irq_pending(&u));
}

/* ---- modem status and loopback ------------------------------------------- */

static void test_msr_connected_line(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	assert_int_equal(in(&u, UART_MSR), UART_MSR_CONNECTED);
	out(&u, UART_MSR, 0);                   /* read-only */
	assert_int_equal(in(&u, UART_MSR), UART_MSR_CONNECTED);
}

/* Linux autoconfig: MCR = LOOP | OUT2 | RTS must read MSR 0x90 (DCD|CTS). */
static void test_loopback_probe(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	assert_int_equal(in(&u, UART_MSR) & 0xF0, UART_MSR_DCD | UART_MSR_CTS);
	out(&u, UART_THR, 'L');
	assert_int_equal(s.n, 0);               /* not on the wire */
	assert_int_equal(in(&u, UART_RBR), 'L');
	assert_false(vuart_receive(&u, 'h'));   /* input disconnected */
	assert_false(vuart_can_receive(&u));
	out(&u, UART_MCR, 0);
	out(&u, UART_THR, 'W');
	assert_int_equal(s.n, 1);
}

static void test_msr_deltas_and_interrupt(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	in(&u, UART_MSR);                       /* consume entry deltas */
	out(&u, UART_IER, UART_IER_MSI);
	assert_int_equal(in(&u, UART_IIR), UART_IIR_NO_INT);
	out(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);    /* RI off, DSR on */
	assert_int_equal(in(&u, UART_IIR), UART_IIR_MSI);
	assert_int_equal(in(&u, UART_MSR), UART_MSR_DSR | UART_MSR_DDSR |
			 UART_MSR_TERI);
	assert_int_equal(in(&u, UART_MSR), UART_MSR_DSR);
	assert_int_equal(in(&u, UART_IIR), UART_IIR_NO_INT);
}

static void test_other_ports_ignored(void **state)
{
	struct vuart u;
	struct sink s;
	(void)state;
	setup(&u, &s);
	assert_int_equal(vuart_read(&u, 0x2F8), UART_UNMAPPED_READ);
	assert_int_equal(vuart_read(&u, COM1 + UART_NPORTS), UART_UNMAPPED_READ);
	vuart_write(&u, COM1 - 1, 'x');
	vuart_write(&u, COM1 + UART_NPORTS, 'x');
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scratch_holds_a_byte),
		cmocka_unit_test(test_dlab_divisor_readback),
		cmocka_unit_test(test_ier_keeps_low_bits),
		cmocka_unit_test(test_lsr_transmitter_always_empty),
		cmocka_unit_test(test_thr_reaches_callback_in_order),
		cmocka_unit_test(test_null_callback_drops_output),
		cmocka_unit_test(test_minios_init_and_putc),
		cmocka_unit_test(test_rx_fifo_and_dr),
		cmocka_unit_test(test_rx_fifo_overrun),
		cmocka_unit_test(test_rx_without_fifo_overwrites),
		cmocka_unit_test(test_fcr_clears_and_toggles_fifo),
		cmocka_unit_test(test_thre_interrupt_cleared_by_iir_read),
		cmocka_unit_test(test_rx_interrupt_outranks_thre),
		cmocka_unit_test(test_rx_interrupt_needs_ier),
		cmocka_unit_test(test_line_status_interrupt_first),
		cmocka_unit_test(test_fifo_trigger_and_timeout),
		cmocka_unit_test(test_out2_gates_irq_line),
		cmocka_unit_test(test_msr_connected_line),
		cmocka_unit_test(test_loopback_probe),
		cmocka_unit_test(test_msr_deltas_and_interrupt),
		cmocka_unit_test(test_other_ports_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
