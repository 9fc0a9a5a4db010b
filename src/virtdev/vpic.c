/*
 * vpic.c - the virtual 8259A pair: programming, priority and INTA.
 *
 * Mechanism: see vpic.h for how the real pair behaves.  Map of this file:
 *   1. priority: rotation-aware search of a mask, the request a chip
 *      would raise INT for, and the cascade wire from slave to master;
 *   2. inputs: edge/level detection into IRR;
 *   3. INTA and EOI: the ISR side of a request's life;
 *   4. programming: ICW1-ICW4, OCW1-OCW3 and the command/data port reads;
 *   5. the public entry points.
 *
 * Priority: a chip's priority order starts at highest_prio and wraps, so
 * after init IR0 is highest and IR7 lowest; rotation only moves
 * highest_prio.  A request wins if it is unmasked and strictly higher in
 * priority than every in-service input that may block it (all of ISR; in
 * special mask mode only unmasked ISR bits; with special fully nested mode
 * on the master, not the cascade input, so a higher slave request can
 * interrupt a slave handler).
 *
 * Invariant: every public entry point that changes state ends with
 * update_cascade(), so the master's IR2 always mirrors the slave's INT.
 */
#include <stddef.h>

#include "vpic.h"

/* ---- 1. priority ------------------------------------------------------- */

static uint8_t irq_bit(unsigned irq)
{
	return (uint8_t)(1u << irq);
}

/* Position of input irq in the chip's priority order: 0 is highest. */
static unsigned prio_of(const struct vpic_chip *c, unsigned irq)
{
	return (irq - c->highest_prio) & PIC_OCW2_LEVEL_MASK;
}

/* The highest-priority input whose bit is set in bits, or -1. */
static int highest_in(const struct vpic_chip *c, uint8_t bits)
{
	for (unsigned p = 0; p < PIC_CHIP_IRQS; p++) {	/* bound: PIC_CHIP_IRQS */
		unsigned irq = (c->highest_prio + p) & PIC_OCW2_LEVEL_MASK;
		if (bits & irq_bit(irq))
			return (int)irq;
	}
	return -1;
}

/* In-service inputs that block lower-priority requests. */
static uint8_t blocking_isr(const struct vpic_chip *c)
{
	uint8_t isr = c->isr;
	if (c->special_mask)
		isr &= (uint8_t)~c->imr;
	if (c->is_master && c->sfnm)
		isr &= (uint8_t)~irq_bit(PIC_CASCADE_IRQ);
	return isr;
}

/* The input this chip raises INT for, or -1. */
static int chip_request(const struct vpic_chip *c)
{
	if (!(c->irr & (uint8_t)~c->imr))      /* the common case: nothing */
		return -1;
	int req = highest_in(c, c->irr & (uint8_t)~c->imr);
	if (req < 0)
		return -1;
	int svc = highest_in(c, blocking_isr(c));
	if (svc >= 0 && prio_of(c, (unsigned)svc) <= prio_of(c, (unsigned)req))
		return -1;
	return req;
}

/* True while the master's IR2 is wired to the slave's INT. */
static bool cascade_active(const struct vpic *pic)
{
	const struct vpic_chip *m = &pic->chip[PIC_MASTER];
	return !m->single && (m->icw3 & irq_bit(PIC_CASCADE_IRQ));
}

/* The master's IR2 follows the slave's INT output as a level (vpic.h). */
static void update_cascade(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[PIC_MASTER];
	uint8_t bit = irq_bit(PIC_CASCADE_IRQ);

	if (!cascade_active(pic))
		return;
	if (chip_request(&pic->chip[PIC_SLAVE]) >= 0) {
		m->irr |= bit;
		m->lines |= bit;
	} else {
		m->irr &= (uint8_t)~bit;
		m->lines &= (uint8_t)~bit;
	}
}

/* ---- 2. inputs --------------------------------------------------------- */

static void chip_set_line(struct vpic_chip *c, unsigned irq, bool level)
{
	uint8_t bit = irq_bit(irq);

	if (level) {
		if (c->level_triggered || !(c->lines & bit))
			c->irr |= bit;
		c->lines |= bit;
	} else {
		c->lines &= (uint8_t)~bit;
		if (c->level_triggered)
			c->irr &= (uint8_t)~bit;
	}
}

/* ---- 3. INTA and EOI --------------------------------------------------- */

/* The chip's half of INTA for input irq.  A level-triggered request stays
 * in IRR while its line is high; ISR then blocks it until EOI. */
static void chip_ack(struct vpic_chip *c, unsigned irq)
{
	uint8_t bit = irq_bit(irq);

	if (!c->level_triggered)
		c->irr &= (uint8_t)~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_aeoi)
		c->highest_prio = (uint8_t)((irq + 1) & PIC_OCW2_LEVEL_MASK);
}

/* INTA on one chip: its winning input, or -1 (spurious). */
static int chip_intack(struct vpic_chip *c)
{
	int irq = chip_request(c);
	if (irq >= 0)
		chip_ack(c, (unsigned)irq);
	return irq;
}

/* Clears ISR bit irq; with rotate, irq becomes the lowest priority. */
static void chip_eoi(struct vpic_chip *c, unsigned irq, bool rotate)
{
	c->isr &= (uint8_t)~irq_bit(irq);
	if (rotate)
		c->highest_prio = (uint8_t)((irq + 1) & PIC_OCW2_LEVEL_MASK);
}

static void chip_nonspecific_eoi(struct vpic_chip *c, bool rotate)
{
	int irq = highest_in(c, c->isr);
	if (irq >= 0)
		chip_eoi(c, (unsigned)irq, rotate);
}

/* ---- 4. programming ---------------------------------------------------- */

/* ICW1: resets the chip and starts the ICW2.. sequence.  As the data sheet
 * says: IMR cleared, IR7 lowest priority, special mask off, IRR selected for
 * reads, ICW4 functions zero unless ICW4 follows. */
static void write_icw1(struct vpic_chip *c, uint8_t v)
{
	c->level_triggered = v & PIC_ICW1_LTIM;
	c->single = v & PIC_ICW1_SNGL;
	c->need_icw4 = v & PIC_ICW1_IC4;
	c->irr = c->level_triggered ? c->lines : 0;
	c->isr = 0;
	c->imr = 0;
	c->highest_prio = 0;
	c->mode_8086 = false;
	c->auto_eoi = false;
	c->sfnm = false;
	c->rotate_on_aeoi = false;
	c->read_isr = false;
	c->poll = false;
	c->special_mask = false;
	c->init_step = PIC_EXPECT_ICW2;
}

static void write_ocw2(struct vpic_chip *c, uint8_t v)
{
	unsigned level = v & PIC_OCW2_LEVEL_MASK;

	switch (v & PIC_OCW2_CMD_MASK) {
	case PIC_OCW2_EOI:                 chip_nonspecific_eoi(c, false); break;
	case PIC_OCW2_ROTATE_EOI:          chip_nonspecific_eoi(c, true); break;
	case PIC_OCW2_SPECIFIC_EOI:        chip_eoi(c, level, false); break;
	case PIC_OCW2_ROTATE_SPECIFIC_EOI: chip_eoi(c, level, true); break;
	case PIC_OCW2_SET_PRIORITY:
		c->highest_prio = (uint8_t)((level + 1) & PIC_OCW2_LEVEL_MASK);
		break;
	case PIC_OCW2_ROTATE_AEOI_SET:     c->rotate_on_aeoi = true; break;
	case PIC_OCW2_ROTATE_AEOI_CLEAR:   c->rotate_on_aeoi = false; break;
	default:                           break;   /* PIC_OCW2_NOP */
	}
}

static void write_ocw3(struct vpic_chip *c, uint8_t v)
{
	if (v & PIC_OCW3_ESMM)
		c->special_mask = v & PIC_OCW3_SMM;
	if (v & PIC_OCW3_RR)
		c->read_isr = v & PIC_OCW3_RIS;
	c->poll = v & PIC_OCW3_POLL;
}

static void write_command(struct vpic_chip *c, uint8_t v)
{
	if (v & PIC_ICW1_INIT)
		write_icw1(c, v);
	else if (v & PIC_OCW3_SELECT)
		write_ocw3(c, v);
	else
		write_ocw2(c, v);
}

/* ICW2-ICW4 while init_step says one is expected, else OCW1 (IMR). */
static void write_data(struct vpic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case PIC_EXPECT_ICW2:
		c->vector_base = v & PIC_ICW2_BASE_MASK;
		if (!c->single)
			c->init_step = PIC_EXPECT_ICW3;
		else
			c->init_step = c->need_icw4 ? PIC_EXPECT_ICW4 : PIC_INIT_DONE;
		break;
	case PIC_EXPECT_ICW3:
		c->icw3 = v;
		c->init_step = c->need_icw4 ? PIC_EXPECT_ICW4 : PIC_INIT_DONE;
		break;
	case PIC_EXPECT_ICW4:
		c->mode_8086 = v & PIC_ICW4_8086;
		c->auto_eoi = v & PIC_ICW4_AEOI;
		c->sfnm = v & PIC_ICW4_SFNM;
		c->init_step = PIC_INIT_DONE;
		break;
	default:
		c->imr = v;
		break;
	}
}

/* A command-port read after OCW3 poll: acts as INTA on this chip alone and
 * returns PIC_POLL_INT | level, or 0 with nothing pending.  Polling the
 * master reports the cascade input, as on hardware; the slave must then be
 * polled itself. */
static uint8_t read_poll(struct vpic_chip *c)
{
	c->poll = false;
	int irq = chip_intack(c);
	if (irq < 0)
		return 0;
	return (uint8_t)(PIC_POLL_INT | (unsigned)irq);
}

static uint8_t read_command(struct vpic_chip *c)
{
	if (c->poll)
		return read_poll(c);
	return c->read_isr ? c->isr : c->irr;
}

/* ---- 5. entry points --------------------------------------------------- */

static void chip_reset_bios(struct vpic_chip *c, bool master)
{
	write_icw1(c, PIC_ICW1_INIT | PIC_ICW1_IC4);
	c->lines = 0;
	c->irr = 0;
	c->is_master = master;
	c->vector_base = master ? PIC_BIOS_MASTER_BASE : PIC_BIOS_SLAVE_BASE;
	c->icw3 = master ? irq_bit(PIC_CASCADE_IRQ) : PIC_CASCADE_IRQ;
	c->mode_8086 = true;
	c->imr = master ? PIC_BIOS_MASTER_IMR : PIC_BIOS_SLAVE_IMR;
	c->init_step = PIC_INIT_DONE;
}

void vpic_init(struct vpic *pic)
{
	chip_reset_bios(&pic->chip[PIC_MASTER], true);
	chip_reset_bios(&pic->chip[PIC_SLAVE], false);
	pic->acks = 0;
	pic->spurious = 0;
}

/* The chip behind port, or NULL. */
static struct vpic_chip *chip_at(struct vpic *pic, uint16_t port)
{
	if (port == PIC_MASTER_CMD || port == PIC_MASTER_DATA)
		return &pic->chip[PIC_MASTER];
	if (port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA)
		return &pic->chip[PIC_SLAVE];
	return NULL;
}

static bool is_command_port(uint16_t port)
{
	return port == PIC_MASTER_CMD || port == PIC_SLAVE_CMD;
}

uint8_t vpic_read(struct vpic *pic, uint16_t port)
{
	struct vpic_chip *c = chip_at(pic, port);
	uint8_t v;

	if (!c)
		return PIC_UNMAPPED_READ;
	v = is_command_port(port) ? read_command(c) : c->imr;
	update_cascade(pic);    /* a poll may have acked */
	return v;
}

void vpic_write(struct vpic *pic, uint16_t port, uint8_t value)
{
	struct vpic_chip *c = chip_at(pic, port);

	if (!c)
		return;
	if (is_command_port(port))
		write_command(c, value);
	else
		write_data(c, value);
	update_cascade(pic);
}

void vpic_set_irq(struct vpic *pic, unsigned irq, bool level)
{
	if (irq >= PIC_NIRQ)
		return;
	if (irq >= PIC_CHIP_IRQS)
		chip_set_line(&pic->chip[PIC_SLAVE], irq - PIC_CHIP_IRQS, level);
	else if (irq != PIC_CASCADE_IRQ || !cascade_active(pic))
		chip_set_line(&pic->chip[PIC_MASTER], irq, level);
	update_cascade(pic);
}

void vpic_raise_irq(struct vpic *pic, unsigned irq)
{
	vpic_set_irq(pic, irq, true);
}

void vpic_lower_irq(struct vpic *pic, unsigned irq)
{
	vpic_set_irq(pic, irq, false);
}

void vpic_pulse_irq(struct vpic *pic, unsigned irq)
{
	vpic_set_irq(pic, irq, true);
	vpic_set_irq(pic, irq, false);
}

int vpic_pending_vector(const struct vpic *pic)
{
	const struct vpic_chip *m = &pic->chip[PIC_MASTER];
	const struct vpic_chip *s = &pic->chip[PIC_SLAVE];
	int irq = chip_request(m);
	int sirq;

	if (irq < 0)
		return -1;
	if (irq != PIC_CASCADE_IRQ || !cascade_active(pic))
		return m->vector_base + irq;
	sirq = chip_request(s);
	return s->vector_base + (sirq < 0 ? PIC_SPURIOUS_IRQ : sirq);
}

bool vpic_can_request(const struct vpic *pic, unsigned irq)
{
	struct vpic t = *pic;   /* the model itself answers, on a copy */
	const struct vpic_chip *c = &t.chip[irq >= PIC_CHIP_IRQS ? PIC_SLAVE : PIC_MASTER];

	if (irq >= PIC_NIRQ)
		return false;
	vpic_set_irq(&t, irq, false);
	vpic_set_irq(&t, irq, true);
	return vpic_pending_vector(&t) == (int)(c->vector_base + irq % PIC_CHIP_IRQS);
}

/* The slave's half of a cascaded INTA: it supplies the vector. */
static uint8_t ack_slave(struct vpic *pic)
{
	struct vpic_chip *s = &pic->chip[PIC_SLAVE];
	int irq = chip_intack(s);

	if (irq < 0) {
		pic->spurious++;
		return (uint8_t)(s->vector_base + PIC_SPURIOUS_IRQ);
	}
	return (uint8_t)(s->vector_base + irq);
}

uint8_t vpic_ack(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[PIC_MASTER];
	int irq = chip_intack(m);
	uint8_t vector;

	pic->acks++;
	if (irq < 0) {
		pic->spurious++;
		return (uint8_t)(m->vector_base + PIC_SPURIOUS_IRQ);
	}
	if (irq == PIC_CASCADE_IRQ && cascade_active(pic))
		vector = ack_slave(pic);
	else
		vector = (uint8_t)(m->vector_base + irq);
	update_cascade(pic);
	return vector;
}
