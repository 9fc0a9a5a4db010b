/*
 * vpit.c - the virtual 8254: counting, OUT, byte access, latches, port 0x61.
 *
 * Mechanism: see vpit.h.  Map of this file:
 *   1. mode properties and the counter's value and OUT as functions of
 *      (reload, elapsed): nothing is stored that time would have to update
 *      except elapsed;
 *   2. loading counts and GATE;
 *   3. letting time pass (vpit_advance's per-channel work);
 *   4. control words, latches and read-back;
 *   5. data-port byte access;
 *   6. port 0x61 and the public entry points.
 *
 * Time is measured only in clocks the caller hands to vpit_advance(); the
 * model never reads a clock of its own, so it behaves the same on the host
 * in the unit tests and inside the monitor.  All arithmetic stays in 32
 * bits (no 64-bit division, which a freestanding -m32 build would need
 * libgcc for).
 */
#include "vpit.h"

#define PIT_COUNT_MASK 0xFFFFu      /* the counter is 16 bits wide */
#define BYTE_MASK      0xFFu
#define BITS_PER_BYTE  8

/* ---- 1. modes, count and OUT ------------------------------------------- */

static bool is_periodic(unsigned mode)
{
	return mode == PIT_MODE_RATE || mode == PIT_MODE_SQUARE;
}

static bool is_gate_triggered(unsigned mode)
{
	return mode == PIT_MODE_ONESHOT || mode == PIT_MODE_HW_STROBE;
}

/* GATE low stops the count in every mode but the GATE-triggered ones. */
static bool gate_pauses(const struct vpit_channel *c)
{
	return !c->gate && !is_gate_triggered(c->mode);
}

static uint8_t decode_mode(uint8_t cw)
{
	uint8_t mode = (cw & PIT_CW_MODE_MASK) >> PIT_CW_MODE_SHIFT;
	if (mode >= PIT_NMODES)
		mode -= PIT_MODE_ALIAS_OFFSET;
	return mode;
}

/* Mode 3 counts down by two, twice per period (even values only). */
static uint16_t square_count(const struct vpit_channel *c)
{
	uint32_t first_half = (c->reload + 1) / 2;
	uint32_t pos = c->elapsed;

	if (pos >= first_half)
		pos -= first_half;
	return (uint16_t)(((c->reload & ~1u) - 2 * pos) & PIT_COUNT_MASK);
}

static uint16_t ch_count(const struct vpit_channel *c)
{
	if (!c->counting)
		return (uint16_t)(c->count_reg & PIT_COUNT_MASK);
	if (c->mode == PIT_MODE_SQUARE)
		return square_count(c);
	if (c->fired)                   /* past terminal count: wraps on */
		return (uint16_t)((0u - c->elapsed) & PIT_COUNT_MASK);
	return (uint16_t)((c->reload - c->elapsed) & PIT_COUNT_MASK);
}

static bool ch_out(const struct vpit_channel *c)
{
	bool idle = !c->counting || !c->gate;

	switch (c->mode) {
	case PIT_MODE_TERMINAL:
		return c->counting && c->fired;
	case PIT_MODE_ONESHOT:
		return !c->counting || c->fired;
	case PIT_MODE_RATE:             /* low while the count is 1 */
		return idle || c->elapsed + 1 != c->reload;
	case PIT_MODE_SQUARE:           /* high for the first half */
		return idle || c->elapsed < (c->reload + 1) / 2;
	default:                        /* strobe modes: the 1-clock pulse */
		return true;
	}
}

/* ---- 2. loading and GATE ----------------------------------------------- */

/* The counter takes count_reg and starts a new period or one-shot. */
static void ch_start(struct vpit_channel *c)
{
	c->reload = c->count_reg;
	c->elapsed = 0;
	c->fired = false;
	c->armed = false;
	c->reload_pending = false;
	c->null_count = false;
	c->counting = true;
}

/* A complete count was written.  Modes 1/5 wait for a GATE trigger; modes
 * 2/3 already counting finish the current period first; modes 0/4 restart. */
static void ch_load(struct vpit_channel *c, uint32_t count)
{
	c->count_reg = count ? count : PIT_MAX_COUNT;
	c->null_count = true;
	if (is_gate_triggered(c->mode))
		c->armed = true;
	else if (is_periodic(c->mode) && c->counting)
		c->reload_pending = true;
	else
		ch_start(c);
}

/* A GATE rising edge triggers modes 1/5 and restarts the period in 2/3. */
static void ch_set_gate(struct vpit_channel *c, bool gate)
{
	bool rising = gate && !c->gate;

	c->gate = gate;
	if (!rising)
		return;
	if (is_gate_triggered(c->mode) && (c->armed || c->counting))
		ch_start(c);
	else if (is_periodic(c->mode) && c->counting)
		ch_start(c);
}

/* ---- 3. time ----------------------------------------------------------- */

/* Periodic modes: one OUT rising edge per reload. */
static uint32_t advance_periodic(struct vpit_channel *c, uint32_t dt)
{
	uint32_t edges = 0;

	if (c->reload_pending) {        /* finish the period on the old count */
		uint32_t left = c->reload - c->elapsed;
		if (dt < left) {
			c->elapsed += dt;
			return 0;
		}
		dt -= left;
		edges = 1;
		ch_start(c);
	}
	edges += dt / c->reload;
	c->elapsed += dt % c->reload;
	if (c->elapsed >= c->reload) {
		c->elapsed -= c->reload;
		edges++;
	}
	return edges;
}

/* One-shot modes: one edge at terminal count, then the counter wraps on
 * (elapsed then counts clocks since terminal count, mod 65536). */
static uint32_t advance_oneshot(struct vpit_channel *c, uint32_t dt)
{
	uint32_t left;

	if (c->fired) {
		c->elapsed = (c->elapsed + (dt & PIT_COUNT_MASK)) & PIT_COUNT_MASK;
		return 0;
	}
	left = c->reload - c->elapsed;
	if (dt < left) {
		c->elapsed += dt;
		return 0;
	}
	c->fired = true;
	c->elapsed = (dt - left) & PIT_COUNT_MASK;
	return 1;
}

static uint32_t ch_advance(struct vpit_channel *c, uint32_t dt)
{
	if (!c->counting || dt == 0 || gate_pauses(c))
		return 0;
	if (is_periodic(c->mode))
		return advance_periodic(c, dt);
	return advance_oneshot(c, dt);
}

/* ---- 4. control words, latches, read-back ------------------------------ */

static void ch_latch_count(struct vpit_channel *c)
{
	if (c->count_latched)           /* later latches wait for the read */
		return;
	c->latch = ch_count(c);
	c->count_latched = true;
}

static void ch_latch_status(struct vpit_channel *c)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((ch_out(c) ? PIT_STATUS_OUT : 0) |
			      (c->null_count ? PIT_STATUS_NULL : 0) |
			      (c->rw << PIT_STATUS_RW_SHIFT) |
			      (c->mode << PIT_STATUS_MODE_SHIFT) |
			      (c->bcd ? PIT_CW_BCD : 0));
	c->status_latched = true;
}

/* A control word for one channel: a latch command, or a new mode that
 * stops the counter until a count is written. */
static void ch_control(struct vpit_channel *c, uint8_t cw)
{
	uint8_t rw = (cw & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;

	if (rw == PIT_RW_LATCH) {
		ch_latch_count(c);
		return;
	}
	c->rw = rw;
	c->mode = decode_mode(cw);
	c->bcd = cw & PIT_CW_BCD;
	c->counting = false;
	c->armed = false;
	c->fired = false;
	c->reload_pending = false;
	c->null_count = true;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->status_latched = false;
}

static void readback(struct vpit *pit, uint8_t cw)
{
	for (unsigned i = 0; i < PIT_NCHANNELS; i++) {	/* bound: PIT_NCHANNELS */
		if (!(cw & (PIT_RB_CH0 << i)))
			continue;
		if (!(cw & PIT_RB_NO_COUNT))
			ch_latch_count(&pit->ch[i]);
		if (!(cw & PIT_RB_NO_STATUS))
			ch_latch_status(&pit->ch[i]);
	}
}

static void write_control(struct vpit *pit, uint8_t cw)
{
	unsigned sc = (cw & PIT_CW_SC_MASK) >> PIT_CW_SC_SHIFT;

	if (sc == PIT_CW_SC_READBACK)
		readback(pit, cw);
	else
		ch_control(&pit->ch[sc], cw);
}

/* ---- 5. data-port bytes ------------------------------------------------ */

static uint8_t low_byte(uint16_t v)
{
	return (uint8_t)(v & BYTE_MASK);
}

static uint8_t high_byte(uint16_t v)
{
	return (uint8_t)(v >> BITS_PER_BYTE);
}

/* The next byte of v for the access mode; *done when the sequence ends. */
static uint8_t take_byte(struct vpit_channel *c, uint16_t v, bool *done)
{
	if (c->rw == PIT_RW_LSB) {
		*done = true;
		return low_byte(v);
	}
	if (c->rw == PIT_RW_MSB) {
		*done = true;
		return high_byte(v);
	}
	c->read_msb_next = !c->read_msb_next;
	*done = !c->read_msb_next;
	return c->read_msb_next ? low_byte(v) : high_byte(v);
}

/* Status latch first, then count latch, else the live counter. */
static uint8_t ch_read(struct vpit_channel *c)
{
	bool done;
	uint8_t b;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (!c->count_latched)
		return take_byte(c, ch_count(c), &done);
	b = take_byte(c, c->latch, &done);
	if (done)
		c->count_latched = false;
	return b;
}

/* Lo/hi writes: in mode 0 the first byte already stops the count. */
static void ch_write_lsb_msb(struct vpit_channel *c, uint8_t v)
{
	if (!c->write_msb_next) {
		c->write_lsb = v;
		c->write_msb_next = true;
		if (c->mode == PIT_MODE_TERMINAL)
			c->counting = false;
		return;
	}
	c->write_msb_next = false;
	ch_load(c, c->write_lsb | ((uint32_t)v << BITS_PER_BYTE));
}

static void ch_write(struct vpit_channel *c, uint8_t v)
{
	if (c->rw == PIT_RW_LSB)
		ch_load(c, v);
	else if (c->rw == PIT_RW_MSB)
		ch_load(c, (uint32_t)v << BITS_PER_BYTE);
	else
		ch_write_lsb_msb(c, v);
}

/* ---- 6. port 0x61 and entry points ------------------------------------- */

static uint8_t portb_read(const struct vpit *pit)
{
	uint8_t v = pit->portb;

	if (ch_out(&pit->ch[PIT_SPEAKER_CHANNEL]))
		v |= PORTB_OUT2;
	if (pit->refresh_phase >= PIT_REFRESH_TICKS)
		v |= PORTB_REFRESH;
	return v;
}

static void portb_write(struct vpit *pit, uint8_t v)
{
	pit->portb = v & PORTB_WRITABLE;
	ch_set_gate(&pit->ch[PIT_SPEAKER_CHANNEL], v & PORTB_GATE2);
}

static void ch_reset(struct vpit_channel *c, bool gate)
{
	ch_control(c, (PIT_RW_LSB_MSB << PIT_CW_RW_SHIFT) |
		      (PIT_MODE_SQUARE << PIT_CW_MODE_SHIFT));
	c->count_reg = PIT_MAX_COUNT;
	c->reload = PIT_MAX_COUNT;
	c->elapsed = 0;
	c->write_lsb = 0;
	c->latch = 0;
	c->status = 0;
	c->gate = gate;
	ch_load(c, 0);
}

void vpit_init(struct vpit *pit)
{
	for (unsigned i = 0; i < PIT_NCHANNELS; i++)	/* bound: PIT_NCHANNELS */
		ch_reset(&pit->ch[i], i != PIT_SPEAKER_CHANNEL);
	pit->portb = 0;
	pit->refresh_phase = 0;
	pit->irq_edges = 0;
}

static bool is_data_port(uint16_t port)
{
	return port >= PIT_CH0_PORT && port <= PIT_CH2_PORT;
}

uint8_t vpit_read(struct vpit *pit, uint16_t port)
{
	if (is_data_port(port))
		return ch_read(&pit->ch[port - PIT_CH0_PORT]);
	if (port == PIT_PORTB)
		return portb_read(pit);
	return PIT_UNMAPPED_READ;      /* includes the write-only 0x43 */
}

void vpit_write(struct vpit *pit, uint16_t port, uint8_t value)
{
	if (is_data_port(port))
		ch_write(&pit->ch[port - PIT_CH0_PORT], value);
	else if (port == PIT_CTRL_PORT)
		write_control(pit, value);
	else if (port == PIT_PORTB)
		portb_write(pit, value);
}

uint32_t vpit_advance(struct vpit *pit, uint32_t ticks)
{
	const uint32_t refresh_period = 2 * PIT_REFRESH_TICKS;
	uint32_t edges = 0;

	for (unsigned i = 0; i < PIT_NCHANNELS; i++) {	/* bound: PIT_NCHANNELS */
		uint32_t e = ch_advance(&pit->ch[i], ticks);
		if (i == PIT_IRQ_CHANNEL)
			edges = e;
	}
	pit->refresh_phase = (pit->refresh_phase + ticks % refresh_period) %
			     refresh_period;
	pit->irq_edges += edges;
	return edges;
}

uint32_t vpit_ticks_to_irq(const struct vpit *pit)
{
	const struct vpit_channel *c = &pit->ch[PIT_IRQ_CHANNEL];

	if (!c->counting || gate_pauses(c) || c->fired)
		return PIT_NO_IRQ;
	return c->reload - c->elapsed;
}

uint16_t vpit_read_counter(const struct vpit *pit, unsigned ch)
{
	return ch < PIT_NCHANNELS ? ch_count(&pit->ch[ch]) : 0;
}

bool vpit_out(const struct vpit *pit, unsigned ch)
{
	return ch < PIT_NCHANNELS && ch_out(&pit->ch[ch]);
}
