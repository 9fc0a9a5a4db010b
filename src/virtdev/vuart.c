/*
 * vuart.c - the virtual 16550A: registers, receive FIFO, interrupt logic.
 *
 * Mechanism: see vuart.h.  Map of this file:
 *   1. the receive FIFO (a ring of UART_FIFO_SIZE bytes whose usable depth
 *      is 1 while the FIFOs are disabled, as on a 16450);
 *   2. modem status (MSR inputs and their delta bits);
 *   3. the interrupt source IIR reports, in the chip's priority order;
 *   4. register reads and writes, one small function per register with
 *      side effects;
 *   5. entry points.
 *
 * Invariant kept by every path that changes FIFO mode: switching FCR's
 * enable bit empties the FIFO, so rx_count never exceeds the new depth.
 */
#include <stddef.h>

#include "vuart.h"

/* Receive trigger levels selected by FCR bits 7-6. */
static const uint8_t rx_trigger_levels[] = { 1, 4, 8, 14 };

/* ---- 1. receive FIFO --------------------------------------------------- */

static bool fifo_enabled(const struct vuart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned rx_capacity(const struct vuart *u)
{
	return fifo_enabled(u) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct vuart *u)
{
	if (!fifo_enabled(u))
		return 1;
	return rx_trigger_levels[(u->fcr & UART_FCR_TRIGGER_MASK) >>
				 UART_FCR_TRIGGER_SHIFT];
}

static void rx_clear(struct vuart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static uint8_t rx_pop(struct vuart *u)
{
	uint8_t b = u->rx[u->rx_head];

	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return b;
}

/* A byte reaches the receiver (from the host or from loopback).  On
 * overrun a FIFO keeps its contents; a single buffer is overwritten. */
static bool rx_put(struct vuart *u, uint8_t b)
{
	if (u->rx_count < rx_capacity(u)) {
		u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
		u->rx_count++;
		u->rx_bytes++;
		return true;
	}
	u->lsr_errors |= UART_LSR_OE;
	u->rx_overruns++;
	if (!fifo_enabled(u))
		u->rx[u->rx_head] = b;
	return false;
}

/* ---- 2. modem status --------------------------------------------------- */

/* The four modem inputs: wired to MCR outputs in loopback, else a
 * connected line. */
static uint8_t modem_inputs(const struct vuart *u)
{
	uint8_t v = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_CONNECTED;
	if (u->mcr & UART_MCR_RTS)
		v |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		v |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		v |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		v |= UART_MSR_DCD;
	return v;
}

/* Latches the inputs and accumulates delta bits for what changed. */
static void msr_update(struct vuart *u)
{
	uint8_t old = u->msr & (uint8_t)~UART_MSR_DELTAS;
	uint8_t now = modem_inputs(u);
	uint8_t changed = old ^ now;
	uint8_t deltas = u->msr & UART_MSR_DELTAS;

	if (changed & UART_MSR_CTS)
		deltas |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		deltas |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		deltas |= UART_MSR_DDCD;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		deltas |= UART_MSR_TERI;
	u->msr = now | deltas;
}

/* ---- 3. interrupt source ----------------------------------------------- */

/* The IIR identification of the highest-priority enabled, pending source. */
static uint8_t interrupt_id(const struct vuart *u)
{
	if ((u->ier & UART_IER_RLSI) && u->lsr_errors)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return u->rx_count >= rx_trigger(u) ? UART_IIR_RDI : UART_IIR_TIMEOUT;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTAS))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* ---- 4. registers ------------------------------------------------------ */

static bool dlab(const struct vuart *u)
{
	return u->lcr & UART_LCR_DLAB;
}

static uint8_t read_rbr(struct vuart *u)
{
	if (u->rx_count)
		u->rbr = rx_pop(u);
	return u->rbr;
}

/* Reading IIR while it reports THRE is what acknowledges THRE. */
static uint8_t read_iir(struct vuart *u)
{
	uint8_t id = interrupt_id(u);

	if (id == UART_IIR_THRI)
		u->thr_ipending = false;
	return (uint8_t)(id | (fifo_enabled(u) ? UART_IIR_FIFOS : 0));
}

/* THRE and TEMT always: output leaves at once.  Reading clears errors. */
static uint8_t read_lsr(struct vuart *u)
{
	uint8_t v = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_errors;

	if (u->rx_count)
		v |= UART_LSR_DR;
	u->lsr_errors = 0;
	return v;
}

static uint8_t read_msr(struct vuart *u)
{
	uint8_t v = u->msr;

	u->msr &= (uint8_t)~UART_MSR_DELTAS;
	return v;
}

static uint8_t read_reg(struct vuart *u, unsigned reg)
{
	switch (reg) {
	case UART_RBR: return dlab(u) ? u->dll : read_rbr(u);
	case UART_IER: return dlab(u) ? u->dlm : u->ier;
	case UART_IIR: return read_iir(u);
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR: return read_lsr(u);
	case UART_MSR: return read_msr(u);
	default:       return u->scr;
	}
}

/* The byte leaves immediately, so THR is empty again at once. */
static void write_thr(struct vuart *u, uint8_t v)
{
	if (u->mcr & UART_MCR_LOOP)
		rx_put(u, v);
	else if (u->tx)
		u->tx(u->tx_ctx, v);
	u->tx_bytes++;
	u->thr_ipending = true;
}

/* Enabling the THRE interrupt while THR is empty raises it. */
static void write_ier(struct vuart *u, uint8_t v)
{
	u->ier = v & UART_IER_MASK;
	if (u->ier & UART_IER_THRI)
		u->thr_ipending = true;
}

/* Switching the FIFOs on or off empties them; the other bits count only
 * while the FIFOs are on. */
static void write_fcr(struct vuart *u, uint8_t v)
{
	if ((v ^ u->fcr) & UART_FCR_ENABLE)
		rx_clear(u);
	if (v & UART_FCR_CLEAR_RX)
		rx_clear(u);
	if (v & UART_FCR_ENABLE)
		u->fcr = v & (UART_FCR_ENABLE | UART_FCR_TRIGGER_MASK);
	else
		u->fcr = 0;
}

static void write_mcr(struct vuart *u, uint8_t v)
{
	u->mcr = v & UART_MCR_MASK;
	msr_update(u);
}

/* LSR and MSR writes (the chip's factory test) are ignored. */
static void write_reg(struct vuart *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_THR:
		if (dlab(u))
			u->dll = v;
		else
			write_thr(u, v);
		break;
	case UART_IER:
		if (dlab(u))
			u->dlm = v;
		else
			write_ier(u, v);
		break;
	case UART_FCR: write_fcr(u, v); break;
	case UART_LCR: u->lcr = v; break;
	case UART_MCR: write_mcr(u, v); break;
	case UART_SCR: u->scr = v; break;
	default:       break;
	}
}

/* ---- 5. entry points --------------------------------------------------- */

void vuart_init(struct vuart *u, uint16_t base, uint8_t irq,
		vuart_tx_fn tx, void *ctx)
{
	u->base = base;
	u->irq = irq;
	u->tx = tx;
	u->tx_ctx = ctx;
	u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = 0;
	u->fcr = 0;
	u->lsr_errors = 0;
	u->msr = UART_MSR_CONNECTED;
	u->rbr = 0;
	u->thr_ipending = false;
	rx_clear(u);
	u->tx_bytes = u->rx_bytes = u->rx_overruns = 0;
}

static bool in_range(const struct vuart *u, uint16_t port)
{
	return port >= u->base && port - u->base < UART_NPORTS;
}

uint8_t vuart_read(struct vuart *u, uint16_t port)
{
	if (!in_range(u, port))
		return UART_UNMAPPED_READ;
	return read_reg(u, port - u->base);
}

void vuart_write(struct vuart *u, uint16_t port, uint8_t value)
{
	if (in_range(u, port))
		write_reg(u, port - u->base, value);
}

bool vuart_receive(struct vuart *u, uint8_t byte)
{
	if (u->mcr & UART_MCR_LOOP)
		return false;
	return rx_put(u, byte);
}

bool vuart_can_receive(const struct vuart *u)
{
	return !(u->mcr & UART_MCR_LOOP) && u->rx_count < rx_capacity(u);
}

bool vuart_intr(const struct vuart *u)
{
	return interrupt_id(u) != UART_IIR_NO_INT;
}

bool vuart_irq_pending(const struct vuart *u)
{
	return vuart_intr(u) && (u->mcr & UART_MCR_OUT2);
}
