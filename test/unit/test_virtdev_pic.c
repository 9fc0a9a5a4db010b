/*
 * test_virtdev_pic.c - host unit tests for src/virtdev/vpic.c, the virtual
 * 8259A pair.  Every test programs the PIC through its ports exactly as a
 * guest would (vpic_write/vpic_read) and observes it through the ports and
 * through what the monitor uses (vpic_pending_vector, vpic_ack).  Covers the
 * ICW1-ICW4 sequence minios and Linux use, the post-BIOS state, IMR, masking,
 * fully nested priority, EOI forms, OCW3 readback, poll, special mask, the
 * cascade, edge and level triggering, auto-EOI, rotation and single mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "virtdev/vpic.h"

#define MASTER_BASE 0x20    /* the vectors minios and Linux choose */
#define SLAVE_BASE  0x28

/* ICW1-ICW4 on one chip. */
static void init_chip(struct vpic *pic, uint16_t cmd, uint8_t icw1,
		      uint8_t icw2, uint8_t icw3, uint8_t icw4)
{
	vpic_write(pic, cmd, icw1);
	vpic_write(pic, cmd + 1, icw2);
	if (!(icw1 & PIC_ICW1_SNGL))
		vpic_write(pic, cmd + 1, icw3);
	if (icw1 & PIC_ICW1_IC4)
		vpic_write(pic, cmd + 1, icw4);
}

/* The exact sequence of guests/minios/kernel/pic.c and Linux's
 * init_8259A: ICW1 0x11, ICW2 0x20/0x28, ICW3 4/2, ICW4 1, interleaved. */
static void init_like_minios(struct vpic *pic, uint8_t icw4)
{
	vpic_init(pic);
	vpic_write(pic, PIC_MASTER_CMD, 0x11);
	vpic_write(pic, PIC_SLAVE_CMD, 0x11);
	vpic_write(pic, PIC_MASTER_DATA, MASTER_BASE);
	vpic_write(pic, PIC_SLAVE_DATA, SLAVE_BASE);
	vpic_write(pic, PIC_MASTER_DATA, 4);
	vpic_write(pic, PIC_SLAVE_DATA, 2);
	vpic_write(pic, PIC_MASTER_DATA, icw4);
	vpic_write(pic, PIC_SLAVE_DATA, icw4);
}

/* Initialized as minios does, everything unmasked. */
static void setup(struct vpic *pic)
{
	init_like_minios(pic, PIC_ICW4_8086);
	vpic_write(pic, PIC_MASTER_DATA, 0x00);
	vpic_write(pic, PIC_SLAVE_DATA, 0x00);
}

static uint8_t read_isr(struct vpic *pic, uint16_t cmd)
{
	vpic_write(pic, cmd, PIC_OCW3_READ_ISR);
	return vpic_read(pic, cmd);
}

static uint8_t read_irr(struct vpic *pic, uint16_t cmd)
{
	vpic_write(pic, cmd, PIC_OCW3_READ_IRR);
	return vpic_read(pic, cmd);
}

static void eoi(struct vpic *pic, uint16_t cmd)
{
	vpic_write(pic, cmd, PIC_OCW2_EOI);
}

/* ---- could an input interrupt (HLT's question) --------------------------- */

/* Found by fuzz_trap: a guest halted inside its IRQ 0 handler before the
 * EOI, the timer being its only source, and the monitor idled forever
 * because only the IMR was asked. */
static void test_can_request_follows_imr_and_isr(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	assert_true(vpic_can_request(&pic, 0));
	vpic_pulse_irq(&pic, 0);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 0);     /* IRQ 0 in service */
	assert_false(vpic_can_request(&pic, 0));                /* blocked until EOI */
	assert_false(vpic_can_request(&pic, 3));                /* lower priority too */
	eoi(&pic, PIC_MASTER_CMD);
	assert_true(vpic_can_request(&pic, 0));
	vpic_write(&pic, PIC_MASTER_DATA, 0x01);                /* masked */
	assert_false(vpic_can_request(&pic, 0));
	vpic_write(&pic, PIC_MASTER_DATA, 0x04);                /* cascade masked */
	assert_false(vpic_can_request(&pic, 12));
	assert_true(vpic_can_request(&pic, 0));
	assert_int_equal(vpic_pending_vector(&pic), -1);        /* it changed nothing */
	assert_false(vpic_can_request(&pic, 16));
}

/* ---- initialization ---------------------------------------------------- */

static void test_bios_state(void **state)
{
	struct vpic pic;
	(void)state;
	vpic_init(&pic);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_DATA), PIC_BIOS_MASTER_IMR);
	assert_int_equal(vpic_read(&pic, PIC_SLAVE_DATA), PIC_BIOS_SLAVE_IMR);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	vpic_write(&pic, PIC_MASTER_DATA, 0xFE);        /* unmask IRQ 0 */
	vpic_raise_irq(&pic, 0);
	assert_int_equal(vpic_pending_vector(&pic), PIC_BIOS_MASTER_BASE);
}

static void test_init_sequence(void **state)
{
	struct vpic pic;
	(void)state;
	init_like_minios(&pic, PIC_ICW4_8086);
	/* ICW1 clears IMR; the sequence is complete, so data writes are OCW1 */
	assert_int_equal(vpic_read(&pic, PIC_MASTER_DATA), 0x00);
	assert_int_equal(vpic_read(&pic, PIC_SLAVE_DATA), 0x00);
	assert_int_equal(pic.chip[PIC_MASTER].init_step, PIC_INIT_DONE);
	assert_int_equal(pic.chip[PIC_SLAVE].init_step, PIC_INIT_DONE);
	assert_int_equal(pic.chip[PIC_MASTER].icw3, 4);
	assert_int_equal(pic.chip[PIC_SLAVE].icw3, 2);
	assert_false(pic.chip[PIC_MASTER].single);
	assert_false(pic.chip[PIC_MASTER].auto_eoi);
	assert_true(pic.chip[PIC_MASTER].mode_8086);
	vpic_raise_irq(&pic, 1);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 1);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 1);
	vpic_raise_irq(&pic, 14);
	vpic_lower_irq(&pic, 1);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), SLAVE_BASE + 6);
}

static void test_icw1_resets_state(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 3);
	vpic_ack(&pic);
	vpic_raise_irq(&pic, 5);
	vpic_write(&pic, PIC_MASTER_DATA, 0x80);
	init_chip(&pic, PIC_MASTER_CMD, 0x11, 0x50, 4, 1);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0);
	assert_int_equal(read_irr(&pic, PIC_MASTER_CMD), 0);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_DATA), 0);
	vpic_lower_irq(&pic, 6);
	vpic_raise_irq(&pic, 6);
	assert_int_equal(vpic_pending_vector(&pic), 0x50 + 6);
}

static void test_icw2_ignores_low_bits(void **state)
{
	struct vpic pic;
	(void)state;
	vpic_init(&pic);
	init_chip(&pic, PIC_MASTER_CMD, 0x11, 0x47, 4, 1);
	vpic_raise_irq(&pic, 3);
	assert_int_equal(vpic_pending_vector(&pic), 0x40 + 3);
}

/* ---- IMR ---------------------------------------------------------------- */

static void test_imr_readback(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_write(&pic, PIC_MASTER_DATA, 0xFA);
	vpic_write(&pic, PIC_SLAVE_DATA, 0x5C);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_DATA), 0xFA);
	assert_int_equal(vpic_read(&pic, PIC_SLAVE_DATA), 0x5C);
}

static void test_masked_irq_not_pending(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_write(&pic, PIC_MASTER_DATA, 0x02);        /* mask IRQ 1 */
	vpic_raise_irq(&pic, 1);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	assert_int_equal(read_irr(&pic, PIC_MASTER_CMD), 0x02);  /* latched */
	vpic_write(&pic, PIC_MASTER_DATA, 0x00);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 1);
}

static void test_masked_slave_irq_not_pending(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_write(&pic, PIC_SLAVE_DATA, 0x10);         /* mask IRQ 12 */
	vpic_raise_irq(&pic, 12);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	assert_int_equal(read_irr(&pic, PIC_MASTER_CMD), 0);
	vpic_write(&pic, PIC_MASTER_DATA, 0x04);        /* mask the cascade */
	vpic_write(&pic, PIC_SLAVE_DATA, 0x00);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	vpic_write(&pic, PIC_MASTER_DATA, 0x00);
	assert_int_equal(vpic_pending_vector(&pic), SLAVE_BASE + 4);
}

/* ---- priority and EOI ---------------------------------------------------- */

static void test_priority_order(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 6);
	vpic_raise_irq(&pic, 3);
	vpic_raise_irq(&pic, 4);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 3);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 4);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 6);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), -1);
}

static void test_isr_blocks_lower_until_eoi(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 1);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 1);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x02);
	vpic_raise_irq(&pic, 3);
	assert_int_equal(vpic_pending_vector(&pic), -1);    /* lower: blocked */
	vpic_raise_irq(&pic, 0);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 0); /* nests */
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 0);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x03);
	eoi(&pic, PIC_MASTER_CMD);              /* clears the highest: IRQ 0 */
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x02);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 3);
}

static void test_isr_blocks_same_irq(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_pulse_irq(&pic, 0);
	vpic_ack(&pic);
	vpic_pulse_irq(&pic, 0);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE);
}

static void test_specific_eoi(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 5);
	vpic_ack(&pic);
	vpic_raise_irq(&pic, 3);
	vpic_ack(&pic);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x28);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_SPECIFIC_EOI | 5);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x08);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_SPECIFIC_EOI | 3);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x00);
}

static void test_ocw3_irr_isr_readback(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_write(&pic, PIC_MASTER_DATA, 0x20);
	vpic_raise_irq(&pic, 5);                /* masked: stays in IRR */
	vpic_raise_irq(&pic, 4);
	vpic_ack(&pic);                         /* IRQ 4 moves to ISR */
	/* after init the command port reads IRR */
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0x20);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0x10);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0x10);  /* sticky */
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_SELECT);        /* RR=0: keep */
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0x10);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_READ_IRR);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0x20);
}

/* ---- cascade ------------------------------------------------------------- */

static void test_cascade_needs_eoi_on_both(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 10);
	assert_int_equal(read_irr(&pic, PIC_MASTER_CMD), 0x04);
	assert_int_equal(vpic_pending_vector(&pic), SLAVE_BASE + 2);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 2);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x04);
	assert_int_equal(read_isr(&pic, PIC_SLAVE_CMD), 0x04);
	vpic_raise_irq(&pic, 11);
	vpic_raise_irq(&pic, 3);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	eoi(&pic, PIC_SLAVE_CMD);               /* slave only: master blocks */
	assert_int_equal(vpic_pending_vector(&pic), -1);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), SLAVE_BASE + 3);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 3);
	eoi(&pic, PIC_SLAVE_CMD);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 3);
}

static void test_cascade_preempted_by_higher_master_irq(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 15);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 7);
	vpic_raise_irq(&pic, 1);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 1);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x06);
}

static void test_slave_priority(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 14);
	vpic_raise_irq(&pic, 9);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 1);
	eoi(&pic, PIC_SLAVE_CMD);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 6);
}

static void test_special_fully_nested(void **state)
{
	struct vpic pic;
	(void)state;
	init_like_minios(&pic, PIC_ICW4_8086 | PIC_ICW4_SFNM);
	vpic_raise_irq(&pic, 12);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 4);
	vpic_raise_irq(&pic, 9);    /* higher slave input: allowed by SFNM */
	assert_int_equal(vpic_pending_vector(&pic), SLAVE_BASE + 1);
	vpic_raise_irq(&pic, 13);   /* lower: the slave's own ISR blocks it */
	vpic_ack(&pic);
	vpic_write(&pic, PIC_SLAVE_CMD, PIC_OCW2_SPECIFIC_EOI | 1);
	assert_int_equal(vpic_pending_vector(&pic), -1);
}

/* ---- triggering ---------------------------------------------------------- */

static void test_edge_needs_new_edge(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 4);
	vpic_ack(&pic);
	eoi(&pic, PIC_MASTER_CMD);
	vpic_raise_irq(&pic, 4);                /* still high: no edge */
	assert_int_equal(vpic_pending_vector(&pic), -1);
	vpic_lower_irq(&pic, 4);
	vpic_raise_irq(&pic, 4);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 4);
}

static void test_edges_merge_in_irr(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_pulse_irq(&pic, 0);
	vpic_pulse_irq(&pic, 0);
	vpic_pulse_irq(&pic, 0);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE);
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), -1);
}

static void test_level_triggered(void **state)
{
	struct vpic pic;
	(void)state;
	vpic_init(&pic);
	init_chip(&pic, PIC_MASTER_CMD, 0x19, MASTER_BASE, 4, 1);  /* LTIM */
	vpic_raise_irq(&pic, 5);
	vpic_lower_irq(&pic, 5);                /* withdrawn: gone */
	assert_int_equal(vpic_pending_vector(&pic), -1);
	vpic_raise_irq(&pic, 5);
	vpic_ack(&pic);
	eoi(&pic, PIC_MASTER_CMD);              /* still high: requests again */
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 5);
}

/* ---- OCW2 variants, AEOI, poll, special mask, single --------------------- */

static void test_spurious_when_nothing_pending(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + PIC_SPURIOUS_IRQ);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0);
	assert_int_equal(pic.spurious, 1);
}

static void test_auto_eoi(void **state)
{
	struct vpic pic;
	(void)state;
	init_like_minios(&pic, PIC_ICW4_8086 | PIC_ICW4_AEOI);
	vpic_raise_irq(&pic, 1);
	vpic_raise_irq(&pic, 3);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 1);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 3);
	vpic_raise_irq(&pic, 10);
	vpic_raise_irq(&pic, 11);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 2);
	assert_int_equal(vpic_ack(&pic), SLAVE_BASE + 3);   /* not lost */
}

static void test_rotate_in_auto_eoi(void **state)
{
	struct vpic pic;
	(void)state;
	init_like_minios(&pic, PIC_ICW4_8086 | PIC_ICW4_AEOI);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_ROTATE_AEOI_SET);
	vpic_pulse_irq(&pic, 1);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 1);  /* 1 -> lowest */
	vpic_pulse_irq(&pic, 1);
	vpic_pulse_irq(&pic, 0);
	vpic_pulse_irq(&pic, 4);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 4);  /* order 2..1 */
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 0);  /* order 5..4 */
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_ROTATE_AEOI_CLEAR);
	vpic_pulse_irq(&pic, 7);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 1);  /* order 1..0 */
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 7);  /* no rotation */
	vpic_pulse_irq(&pic, 6);
	vpic_pulse_irq(&pic, 5);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 5);
}

static void test_rotate_on_eoi(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 0);
	vpic_ack(&pic);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_ROTATE_EOI);  /* 0 -> lowest */
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0);
	vpic_lower_irq(&pic, 0);
	vpic_raise_irq(&pic, 0);
	vpic_raise_irq(&pic, 7);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 7);
}

static void test_set_priority(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_SET_PRIORITY | 4); /* 4 last */
	vpic_raise_irq(&pic, 1);
	vpic_raise_irq(&pic, 4);
	vpic_raise_irq(&pic, 5);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 5);  /* 5 first */
	vpic_raise_irq(&pic, 6);    /* below 5 now: blocked */
	assert_int_equal(vpic_pending_vector(&pic), -1);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW2_ROTATE_SPECIFIC_EOI | 5);
	assert_int_equal(vpic_ack(&pic), MASTER_BASE + 6);  /* 6 now highest */
}

static void test_poll_mode(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_SELECT | PIC_OCW3_POLL);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0);   /* none */
	vpic_raise_irq(&pic, 6);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_SELECT | PIC_OCW3_POLL);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), PIC_POLL_INT | 6);
	vpic_raise_irq(&pic, 7);
	/* the poll is one-shot: the next read is IRR again, no second ack */
	assert_int_equal(vpic_read(&pic, PIC_MASTER_CMD), 0x80);
	assert_int_equal(read_isr(&pic, PIC_MASTER_CMD), 0x40);  /* acked */
	assert_int_equal(vpic_pending_vector(&pic), -1);
}

static void test_special_mask_mode(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, 1);
	vpic_ack(&pic);
	vpic_raise_irq(&pic, 3);
	assert_int_equal(vpic_pending_vector(&pic), -1);
	vpic_write(&pic, PIC_MASTER_DATA, 0x02);    /* mask the in-service 1 */
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_SELECT | PIC_OCW3_ESMM |
		   PIC_OCW3_SMM);
	assert_int_equal(vpic_pending_vector(&pic), MASTER_BASE + 3);
	vpic_write(&pic, PIC_MASTER_CMD, PIC_OCW3_SELECT | PIC_OCW3_ESMM);
	assert_int_equal(vpic_pending_vector(&pic), -1);
}

static void test_single_mode(void **state)
{
	struct vpic pic;
	(void)state;
	vpic_init(&pic);
	init_chip(&pic, PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL |
		  PIC_ICW1_IC4, 0x30, 0, PIC_ICW4_8086);
	assert_int_equal(pic.chip[PIC_MASTER].init_step, PIC_INIT_DONE);
	vpic_raise_irq(&pic, 2);    /* an ordinary input now */
	assert_int_equal(vpic_ack(&pic), 0x32);
	vpic_raise_irq(&pic, 9);    /* the slave is no longer wired in */
	eoi(&pic, PIC_MASTER_CMD);
	assert_int_equal(vpic_pending_vector(&pic), -1);
}

static void test_no_icw4(void **state)
{
	struct vpic pic;
	(void)state;
	vpic_init(&pic);
	init_chip(&pic, PIC_MASTER_CMD, PIC_ICW1_INIT, 0x30, 4, 0);
	assert_int_equal(pic.chip[PIC_MASTER].init_step, PIC_INIT_DONE);
	vpic_write(&pic, PIC_MASTER_DATA, 0x7F);    /* OCW1, not ICW4 */
	assert_int_equal(vpic_read(&pic, PIC_MASTER_DATA), 0x7F);
}

static void test_bad_inputs_ignored(void **state)
{
	struct vpic pic;
	(void)state;
	setup(&pic);
	vpic_raise_irq(&pic, PIC_NIRQ);
	vpic_raise_irq(&pic, 1000);
	vpic_raise_irq(&pic, PIC_CASCADE_IRQ);      /* wired to the slave */
	assert_int_equal(vpic_pending_vector(&pic), -1);
	assert_int_equal(vpic_read(&pic, 0x22), PIC_UNMAPPED_READ);
	vpic_write(&pic, 0x22, 0x11);
	assert_int_equal(vpic_read(&pic, PIC_MASTER_DATA), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios_state),
		cmocka_unit_test(test_init_sequence),
		cmocka_unit_test(test_icw1_resets_state),
		cmocka_unit_test(test_icw2_ignores_low_bits),
		cmocka_unit_test(test_imr_readback),
		cmocka_unit_test(test_masked_irq_not_pending),
		cmocka_unit_test(test_masked_slave_irq_not_pending),
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_isr_blocks_lower_until_eoi),
		cmocka_unit_test(test_isr_blocks_same_irq),
		cmocka_unit_test(test_specific_eoi),
		cmocka_unit_test(test_ocw3_irr_isr_readback),
		cmocka_unit_test(test_cascade_needs_eoi_on_both),
		cmocka_unit_test(test_cascade_preempted_by_higher_master_irq),
		cmocka_unit_test(test_slave_priority),
		cmocka_unit_test(test_special_fully_nested),
		cmocka_unit_test(test_edge_needs_new_edge),
		cmocka_unit_test(test_edges_merge_in_irr),
		cmocka_unit_test(test_level_triggered),
		cmocka_unit_test(test_spurious_when_nothing_pending),
		cmocka_unit_test(test_auto_eoi),
		cmocka_unit_test(test_rotate_in_auto_eoi),
		cmocka_unit_test(test_rotate_on_eoi),
		cmocka_unit_test(test_set_priority),
		cmocka_unit_test(test_poll_mode),
		cmocka_unit_test(test_special_mask_mode),
		cmocka_unit_test(test_single_mode),
		cmocka_unit_test(test_no_icw4),
		cmocka_unit_test(test_bad_inputs_ignored),
		cmocka_unit_test(test_can_request_follows_imr_and_isr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
