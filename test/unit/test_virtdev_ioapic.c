/*
 * test_virtdev_ioapic.c - host unit tests for src/virtdev/vioapic.c, the
 * virtual I/O APIC.  Registers are reached through IOREGSEL/IOWIN as a
 * guest would (xv6's ioapic.c included); messages go to a recording
 * callback, and in the last tests to a real vlapic.  Covers the reset
 * state and version, the redirection table and its read-only bits,
 * masking (edges while masked are lost), edge triggering on rising edges
 * only, level triggering with remote IRR and the EOI broadcast (callback
 * and register), destinations, the ISA wiring, and odd accesses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "virtdev/vioapic.h"

#define T_IRQ0   32
#define MAXMSG   16

static struct vapic_msg msgs[MAXMSG];
static unsigned nmsgs;

static bool record(void *ctx, const struct vapic_msg *m)
{
	assert_ptr_equal(ctx, &nmsgs);
	msgs[nmsgs++ % MAXMSG] = *m;
	return true;
}

static struct vioapic fresh(uint8_t id)
{
	struct vioapic io;
	vioapic_init(&io, id, record, &nmsgs);
	nmsgs = 0;
	return io;
}

static uint32_t ioread(struct vioapic *io, uint8_t reg)
{
	vioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, reg);
	return vioapic_mmio_read(io, IOAPIC_IOWIN, 4);
}

static void iowrite(struct vioapic *io, uint8_t reg, uint32_t v)
{
	vioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, reg);
	vioapic_mmio_write(io, IOAPIC_IOWIN, 4, v);
}

/* xv6's ioapicenable(irq, cpu): edge, active high, unmasked, to APIC ID cpu. */
static void enable(struct vioapic *io, unsigned irq, unsigned cpu)
{
	iowrite(io, IOAPIC_REG_TABLE + 2 * irq, T_IRQ0 + irq);
	iowrite(io, IOAPIC_REG_TABLE + 2 * irq + 1, cpu << 24);
}

static void test_reset_state_and_version(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	assert_int_equal(ioread(&io, IOAPIC_REG_ID), 0);
	assert_int_equal(ioread(&io, IOAPIC_REG_VER), 0x00170020);
	assert_int_equal((ioread(&io, IOAPIC_REG_VER) >> 16) & 0xFF, 23);
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++) {
		assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * pin), IOAPIC_MASKED);
		assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * pin + 1), 0);
	}
	io = fresh(5);
	assert_int_equal(ioread(&io, IOAPIC_REG_ID), 5u << 24);
	assert_int_equal(ioread(&io, IOAPIC_REG_ARB), 5u << 24);
}

static void test_xv6_ioapicinit(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	int maxintr = (ioread(&io, IOAPIC_REG_VER) >> 16) & 0xFF;
	assert_int_equal(ioread(&io, IOAPIC_REG_ID) >> 24, 0);      /* == ioapicid from MP */
	for (int i = 0; i <= maxintr; i++) {
		iowrite(&io, IOAPIC_REG_TABLE + 2 * i, 0x00010000 | (T_IRQ0 + i));
		iowrite(&io, IOAPIC_REG_TABLE + 2 * i + 1, 0);
	}
	for (int i = 0; i <= maxintr; i++)
		assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * i), 0x00010000 | (T_IRQ0 + i));
	vioapic_set_irq(&io, 4, true);
	assert_int_equal(nmsgs, 0);                     /* all masked */
	assert_int_equal(io.masked_edges, 1);
}

static void test_edge_pin_fires_on_rising_edges(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	enable(&io, 14, 0);                             /* xv6: ioapicenable(IRQ_IDE, 0) */
	vioapic_set_irq(&io, 14, true);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, T_IRQ0 + 14);
	assert_int_equal(msgs[0].dest, 0);
	assert_false(msgs[0].logical);
	assert_false(msgs[0].level);
	assert_int_equal(msgs[0].delivery_mode, LAPIC_DM_FIXED);
	vioapic_set_irq(&io, 14, true);                 /* still high: no edge */
	assert_int_equal(nmsgs, 1);
	vioapic_set_irq(&io, 14, false);
	vioapic_set_irq(&io, 14, true);
	assert_int_equal(nmsgs, 2);
}

static void test_masked_edges_are_lost(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 4, IOAPIC_MASKED | 0x24);
	vioapic_set_irq(&io, 4, true);
	assert_int_equal(nmsgs, 0);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 4, 0x24);   /* unmask while high */
	assert_int_equal(nmsgs, 0);
	vioapic_set_irq(&io, 4, false);
	vioapic_set_irq(&io, 4, true);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x24);
}

static void test_read_only_bits_and_halves(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 3, 0x0001F7FF);  /* incl. delivery status, remote IRR */
	assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * 3), 0x0001A7FF);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 3 + 1, 0xAB000000);
	assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * 3), 0x0001A7FF);
	assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * 3 + 1), 0xAB000000);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 3, 0x830 | IOAPIC_MASKED);  /* logical */
	vioapic_set_irq(&io, 3, true);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 3, 0x830);
	vioapic_set_irq(&io, 3, false);
	vioapic_set_irq(&io, 3, true);
	assert_int_equal(nmsgs, 1);
	assert_true(msgs[0].logical);
	assert_int_equal(msgs[0].dest, 0xAB);
	assert_int_equal(msgs[0].vector, 0x30);
}

static void test_level_pin_and_remote_irr(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 9, (uint32_t)IOAPIC_LEVEL | 0x39);
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(nmsgs, 1);
	assert_true(msgs[0].level);
	assert_true(ioread(&io, IOAPIC_REG_TABLE + 2 * 9) & IOAPIC_REMOTE_IRR);
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(nmsgs, 1);                     /* blocked by remote IRR */
	vioapic_eoi(&io, 0x39);                         /* still asserted: again */
	assert_int_equal(nmsgs, 2);
	vioapic_set_irq(&io, 9, false);
	vioapic_eoi(&io, 0x39);
	assert_int_equal(nmsgs, 2);
	assert_false(ioread(&io, IOAPIC_REG_TABLE + 2 * 9) & IOAPIC_REMOTE_IRR);
	vioapic_eoi(&io, 0x38);                         /* another vector: nothing */
	assert_int_equal(nmsgs, 2);
}

static void test_masked_level_pin_waits(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 10, (uint32_t)(IOAPIC_LEVEL | IOAPIC_MASKED) | 0x3A);
	vioapic_set_irq(&io, 10, true);
	assert_int_equal(nmsgs, 0);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 10, (uint32_t)IOAPIC_LEVEL | 0x3A);
	assert_int_equal(nmsgs, 1);                     /* delivered on unmask */
	vioapic_mmio_write(&io, IOAPIC_EOI, 4, 0x3A);   /* the EOI register */
	assert_int_equal(nmsgs, 2);
	vioapic_mmio_write(&io, IOAPIC_EOI, 2, 0x3A);   /* not 32-bit: ignored */
	assert_int_equal(nmsgs, 2);
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 10, 0x3A);  /* to edge: no remote IRR */
	assert_false(ioread(&io, IOAPIC_REG_TABLE + 2 * 10) & IOAPIC_REMOTE_IRR);
}

static void test_id_and_read_only_registers(void **state)
{
	(void)state;
	struct vioapic io = fresh(0);
	iowrite(&io, IOAPIC_REG_ID, 0xFF000000);
	assert_int_equal(ioread(&io, IOAPIC_REG_ID), 0x0F000000);
	iowrite(&io, IOAPIC_REG_VER, 0);
	assert_int_equal(ioread(&io, IOAPIC_REG_VER), 0x00170020);
	assert_int_equal(ioread(&io, 0x03), 0);         /* no register */
	assert_int_equal(ioread(&io, IOAPIC_REG_TABLE + 2 * IOAPIC_NPINS), 0);
	vioapic_mmio_write(&io, IOAPIC_IOREGSEL, 1, 0x12);
	assert_int_equal(vioapic_mmio_read(&io, IOAPIC_IOREGSEL, 4), 0x12);
	assert_int_equal(vioapic_mmio_read(&io, IOAPIC_IOWIN, 2), 0);
	assert_int_equal(vioapic_mmio_read(&io, 0x20, 4), 0);
	assert_int_equal(io.bad_access, 2);
	vioapic_set_irq(&io, IOAPIC_NPINS, true);       /* no such pin */
	assert_int_equal(nmsgs, 0);
}

static void test_isa_wiring(void **state)
{
	(void)state;
	assert_int_equal(vioapic_isa_pin(0), 2);
	assert_int_equal(vioapic_isa_pin(1), 1);
	assert_int_equal(vioapic_isa_pin(4), 4);
	assert_int_equal(vioapic_isa_pin(14), 14);
}

/* ---- with the local APIC behind it --------------------------------------- */

static bool to_lapic(void *ctx, const struct vapic_msg *m)
{
	return vlapic_deliver(ctx, m);
}

static void lapic_eoi(void *ctx, uint8_t vector)
{
	vioapic_eoi(ctx, vector);
}

static void test_through_the_local_apic(void **state)
{
	(void)state;
	struct vlapic l;
	struct vioapic io;
	vlapic_init(&l, 0, lapic_eoi, &io);
	vioapic_init(&io, 0, to_lapic, &l);
	enable(&io, 4, 0);                              /* COM1 */
	enable(&io, 14, 1);                             /* to a CPU that does not exist */
	iowrite(&io, IOAPIC_REG_TABLE + 2 * 9, (uint32_t)IOAPIC_LEVEL | (T_IRQ0 + 9));
	vioapic_set_irq(&io, 4, true);
	vioapic_set_irq(&io, 14, true);
	assert_int_equal(io.refused, 1);
	assert_int_equal(vlapic_ack(&l), T_IRQ0 + 4);
	vlapic_mmio_write(&l, LAPIC_EOI, 4, 0);
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(vlapic_ack(&l), T_IRQ0 + 9);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	vlapic_mmio_write(&l, LAPIC_EOI, 4, 0);         /* level: EOI reaches the IOAPIC */
	assert_int_equal(vlapic_pending_vector(&l), T_IRQ0 + 9);  /* still asserted */
	vioapic_set_irq(&io, 9, false);
	assert_int_equal(vlapic_ack(&l), T_IRQ0 + 9);
	vlapic_mmio_write(&l, LAPIC_EOI, 4, 0);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(io.sent, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state_and_version),
		cmocka_unit_test(test_xv6_ioapicinit),
		cmocka_unit_test(test_edge_pin_fires_on_rising_edges),
		cmocka_unit_test(test_masked_edges_are_lost),
		cmocka_unit_test(test_read_only_bits_and_halves),
		cmocka_unit_test(test_level_pin_and_remote_irr),
		cmocka_unit_test(test_masked_level_pin_waits),
		cmocka_unit_test(test_id_and_read_only_registers),
		cmocka_unit_test(test_isa_wiring),
		cmocka_unit_test(test_through_the_local_apic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
