/*
 * test_virtdev_lapic.c - host unit tests for src/virtdev/vlapic.c, the
 * virtual local APIC.  The APIC is driven through its register page as a
 * guest would (xv6's lapic.c sequence included) and time is handed to it
 * in nanoseconds, as the monitor will.  Covers the post-BIOS state, the
 * timer (xv6's 100 Hz, exact expiry instants, current count with each
 * divider, one-shot, masked expiries, merging in IRR), priority classes
 * against TPR and the in-service vector, EOI order and the level-triggered
 * EOI callback, SVR disable and the spurious vector, ESR's write-then-read
 * semantics and illegal vectors, IPIs by ICR, bus messages to physical and
 * logical destinations, LINT pins, and odd accesses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "virtdev/vlapic.h"

#define MS  1000000ull          /* nanoseconds */
#define SEC 1000000000ull
#define XV6_TICR 10000000u      /* lapic.c: lapicw(TICR, 10000000) */
#define V_TIMER  32             /* T_IRQ0 + IRQ_TIMER */
#define V_ERROR  51             /* T_IRQ0 + IRQ_ERROR */
#define V_SPUR   63             /* T_IRQ0 + IRQ_SPURIOUS */

static uint32_t rd(struct vlapic *l, uint32_t off)
{
	return vlapic_mmio_read(l, off, 4);
}

static void wr(struct vlapic *l, uint32_t off, uint32_t v)
{
	vlapic_mmio_write(l, off, 4, v);
}

static struct vlapic fresh(void)
{
	struct vlapic l;
	vlapic_init(&l, 0, NULL, NULL);
	return l;
}

/* xv6's lapicinit(), register by register (each write followed by a read
 * of ID, as lapicw does). */
static void xv6_lapicinit(struct vlapic *l)
{
	static const uint32_t seq[][2] = {
		{ LAPIC_SVR, LAPIC_SVR_ENABLE | V_SPUR },
		{ LAPIC_TDCR, LAPIC_TDCR_DIV1 },
		{ LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | V_TIMER },
		{ LAPIC_TICR, XV6_TICR },
		{ LAPIC_LVT_LINT0, LAPIC_MASKED },
		{ LAPIC_LVT_LINT1, LAPIC_MASKED },
		{ LAPIC_LVT_PERF, LAPIC_MASKED },
		{ LAPIC_LVT_ERROR, V_ERROR },
		{ LAPIC_ESR, 0 }, { LAPIC_ESR, 0 },
		{ LAPIC_EOI, 0 },
		{ LAPIC_ICR_HI, 0 },
		{ LAPIC_ICR_LO, 0x00080000 | 0x500 | LAPIC_LEVEL },   /* BCAST|INIT|LEVEL */
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		wr(l, seq[i][0], seq[i][1]);
		assert_int_equal(rd(l, LAPIC_ID), 0);
	}
	assert_int_equal(rd(l, LAPIC_ICR_LO) & LAPIC_DELIVS, 0);  /* while(DELIVS) ; */
	wr(l, LAPIC_TPR, 0);
}

/* ---- state -------------------------------------------------------------- */

static void test_post_bios_state(void **state)
{
	(void)state;
	struct vlapic l;
	vlapic_init(&l, 3, NULL, NULL);
	assert_int_equal(rd(&l, LAPIC_ID), 3u << 24);
	assert_int_equal(rd(&l, LAPIC_VER), 0x00050014);
	assert_true(((rd(&l, LAPIC_VER) >> 16) & 0xFF) >= 4);   /* xv6 masks PCINT */
	assert_int_equal(rd(&l, LAPIC_SVR), 0x1FF);
	assert_int_equal(rd(&l, LAPIC_LVT_LINT0), 0x8700);
	assert_int_equal(rd(&l, LAPIC_LVT_LINT1), 0x8400);
	assert_int_equal(rd(&l, LAPIC_LVT_TIMER), LAPIC_MASKED);
	assert_int_equal(rd(&l, LAPIC_LVT_ERROR), LAPIC_MASKED);
	assert_int_equal(rd(&l, LAPIC_DFR), 0xFFFFFFFF);
	assert_int_equal(rd(&l, LAPIC_TPR), 0);
	assert_int_equal(rd(&l, LAPIC_PPR), 0);
	assert_int_equal(rd(&l, LAPIC_ICR_LO), 0x000C4610);
	assert_int_equal(rd(&l, LAPIC_TICR), 0);
	assert_int_equal(rd(&l, LAPIC_TCCR), 0);
	assert_int_equal(rd(&l, LAPIC_TDCR), 0);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_true(vlapic_accepts_pic(&l));
	assert_int_equal(vlapic_ns_to_timer(&l), VLAPIC_NO_TIMER);
}

static void test_xv6_lapicinit_leaves_nothing_pending(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	xv6_lapicinit(&l);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(rd(&l, LAPIC_ESR), 0);
	assert_int_equal(rd(&l, LAPIC_TCCR), XV6_TICR);
	assert_false(vlapic_accepts_pic(&l));
	assert_int_equal(l.ipi_unsupported, 0);
	assert_int_equal(vlapic_ns_to_timer(&l), (XV6_TICR + 1ull));
}

/* ---- timer -------------------------------------------------------------- */

static void test_xv6_timer_is_100hz(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	uint32_t fires = 0;
	xv6_lapicinit(&l);
	for (unsigned i = 0; i < 10000; i++)            /* 10 s in 1 ms steps */
		fires += vlapic_advance(&l, MS);
	assert_int_equal(fires, 999);                   /* period 10000001 ns */
	assert_int_equal(l.timer_fires, 999);
	assert_int_equal(vlapic_pending_vector(&l), V_TIMER);
}

static void test_timer_expiry_instant_is_exact(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	xv6_lapicinit(&l);
	assert_int_equal(vlapic_advance(&l, XV6_TICR), 0);
	assert_int_equal(rd(&l, LAPIC_TCCR), 0);        /* count reached 0 ... */
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(vlapic_ns_to_timer(&l), 1);
	assert_int_equal(vlapic_advance(&l, 1), 1);     /* ... fires one count later */
	assert_int_equal(vlapic_pending_vector(&l), V_TIMER);
	assert_int_equal(rd(&l, LAPIC_TCCR), XV6_TICR); /* reloaded */
	assert_int_equal(vlapic_ns_to_timer(&l), XV6_TICR + 1ull);
}

/* The fault injector's two steps: an expiry counted but held back latches
 * nothing until vlapic_timer_fire(), and the clock moved all the same. */
static void test_held_expiry_fires_only_when_let_through(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	xv6_lapicinit(&l);
	assert_int_equal(vlapic_advance_held(&l, XV6_TICR + 1ull), 1);
	assert_int_equal(l.timer_fires, 1);
	assert_int_equal(vlapic_pending_vector(&l), -1);       /* lost, so far */
	assert_int_equal(rd(&l, LAPIC_TCCR), XV6_TICR);        /* reloaded */
	vlapic_timer_fire(&l);                                  /* delayed: now */
	assert_int_equal(vlapic_pending_vector(&l), V_TIMER);
	assert_int_equal(vlapic_ack(&l), V_TIMER);
	vlapic_timer_fire(&l);                                  /* spurious */
	assert_int_equal(l.timer_fires, 1);                     /* no expiry counted */
	assert_int_equal(vlapic_pending_vector(&l), -1);        /* its class in service */
	wr(&l, LAPIC_EOI, 0);
	assert_int_equal(vlapic_pending_vector(&l), V_TIMER);
}

static void test_current_count_with_each_divider(void **state)
{
	(void)state;
	static const struct { uint32_t tdcr; unsigned div; } cases[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct vlapic l = fresh();
		wr(&l, LAPIC_TDCR, cases[i].tdcr);
		wr(&l, LAPIC_LVT_TIMER, V_TIMER);               /* one-shot */
		wr(&l, LAPIC_TICR, 1000);
		vlapic_advance(&l, 10ull * cases[i].div - 1);
		assert_int_equal(rd(&l, LAPIC_TCCR), 1000 - 9);
		vlapic_advance(&l, 1);
		assert_int_equal(rd(&l, LAPIC_TCCR), 1000 - 10);
		assert_int_equal(rd(&l, LAPIC_TDCR), cases[i].tdcr);
		assert_int_equal(vlapic_ns_to_timer(&l), 991ull * cases[i].div);
	}
}

static void test_one_shot_fires_once(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	wr(&l, LAPIC_TDCR, LAPIC_TDCR_DIV1);
	wr(&l, LAPIC_LVT_TIMER, V_TIMER);
	wr(&l, LAPIC_TICR, 500);
	assert_int_equal(vlapic_advance(&l, 10 * MS), 1);
	assert_int_equal(rd(&l, LAPIC_TCCR), 0);
	assert_int_equal(vlapic_ns_to_timer(&l), VLAPIC_NO_TIMER);
	assert_int_equal(vlapic_advance(&l, 10 * MS), 0);
	wr(&l, LAPIC_TICR, 500);                        /* re-arm */
	assert_int_equal(vlapic_advance(&l, 501), 1);
}

static void test_masked_expiries_are_lost(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	wr(&l, LAPIC_TDCR, LAPIC_TDCR_DIV1);
	wr(&l, LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | LAPIC_MASKED | V_TIMER);
	wr(&l, LAPIC_TICR, 99);                         /* period 100 ns */
	assert_int_equal(vlapic_advance(&l, 250), 2);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(vlapic_ns_to_timer(&l), VLAPIC_NO_TIMER);
	wr(&l, LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | V_TIMER);
	assert_int_equal(vlapic_ns_to_timer(&l), 50);   /* the same lattice */
	assert_int_equal(vlapic_advance(&l, 49), 0);
	assert_int_equal(vlapic_advance(&l, 1), 1);
	assert_int_equal(vlapic_pending_vector(&l), V_TIMER);
}

static void test_expiries_merge_in_irr(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	xv6_lapicinit(&l);
	assert_int_equal(vlapic_advance(&l, 35 * MS), 3);
	assert_int_equal(vlapic_ack(&l), V_TIMER);
	wr(&l, LAPIC_EOI, 0);
	assert_int_equal(vlapic_pending_vector(&l), -1);
}

static void test_ticr_zero_stops_the_timer(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	xv6_lapicinit(&l);
	wr(&l, LAPIC_TICR, 0);
	assert_int_equal(vlapic_advance(&l, SEC), 0);
	assert_int_equal(rd(&l, LAPIC_TCCR), 0);
	assert_int_equal(vlapic_ns_to_timer(&l), VLAPIC_NO_TIMER);
}

static void test_pit_to_ns(void **state)
{
	(void)state;
	assert_int_equal(vlapic_pit_to_ns(0), 0);
	assert_int_equal(vlapic_pit_to_ns(1), 838);
	assert_int_equal(vlapic_pit_to_ns(1193182), SEC);
	assert_int_equal(vlapic_pit_to_ns(1193182ull * 3600 * 24 * 365), SEC * 3600 * 24 * 365);
	/* differences of totals do not drift */
	assert_int_equal(vlapic_pit_to_ns(2386364) - vlapic_pit_to_ns(1193182), SEC);
}

/* ---- priorities, INTA, EOI ---------------------------------------------- */

static void test_priority_classes_and_tpr(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	vlapic_accept_irq(&l, 0x41, false);
	vlapic_accept_irq(&l, 0x52, false);
	vlapic_accept_irq(&l, 0x35, false);
	assert_int_equal(vlapic_pending_vector(&l), 0x52);
	wr(&l, LAPIC_TPR, 0x50);                        /* class 5 and below wait */
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(rd(&l, LAPIC_PPR), 0x50);
	wr(&l, LAPIC_TPR, 0x4F);
	assert_int_equal(vlapic_pending_vector(&l), 0x52);
	wr(&l, LAPIC_TPR, 0);
	assert_int_equal(rd(&l, LAPIC_IRR + 0x20), (1u << 0x01) | (1u << 0x12)); /* 0x41, 0x52 */
	assert_int_equal(rd(&l, LAPIC_IRR + 0x10), 1u << 0x15);                  /* 0x35 */
}

static void test_in_service_vector_blocks_its_class(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	vlapic_accept_irq(&l, 0x52, false);
	assert_int_equal(vlapic_ack(&l), 0x52);
	assert_int_equal(rd(&l, LAPIC_PPR), 0x50);
	vlapic_accept_irq(&l, 0x41, false);
	vlapic_accept_irq(&l, 0x5F, false);             /* same class: waits */
	assert_int_equal(vlapic_pending_vector(&l), -1);
	vlapic_accept_irq(&l, 0x61, false);             /* higher class nests */
	assert_int_equal(vlapic_ack(&l), 0x61);
	assert_int_equal(rd(&l, LAPIC_ISR + 0x30), 1u << 1);
	wr(&l, LAPIC_EOI, 0);                           /* clears 0x61, the highest */
	assert_int_equal(rd(&l, LAPIC_ISR + 0x30), 0);
	assert_int_equal(rd(&l, LAPIC_ISR + 0x20), 1u << 0x12);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	wr(&l, LAPIC_EOI, 0);                           /* clears 0x52 */
	assert_int_equal(vlapic_ack(&l), 0x5F);
	wr(&l, LAPIC_EOI, 0);
	assert_int_equal(vlapic_ack(&l), 0x41);
	wr(&l, LAPIC_EOI, 0);
	assert_int_equal(l.eois, 4);
	wr(&l, LAPIC_EOI, 0);                           /* nothing in service */
	assert_int_equal(l.eois, 4);
}

static uint8_t eoi_seen[4];
static unsigned eoi_count;

static void record_eoi(void *ctx, uint8_t vector)
{
	assert_ptr_equal(ctx, &eoi_count);
	eoi_seen[eoi_count++ % 4] = vector;
}

static void test_eoi_of_level_vector_tells_ioapic(void **state)
{
	(void)state;
	struct vlapic l;
	vlapic_init(&l, 0, record_eoi, &eoi_count);
	eoi_count = 0;
	vlapic_accept_irq(&l, 0x30, false);
	vlapic_accept_irq(&l, 0x40, true);
	assert_int_equal(rd(&l, LAPIC_TMR + 0x20), 1u);
	assert_int_equal(vlapic_ack(&l), 0x40);
	wr(&l, LAPIC_EOI, 0);
	assert_int_equal(eoi_count, 1);
	assert_int_equal(eoi_seen[0], 0x40);
	assert_int_equal(vlapic_ack(&l), 0x30);
	wr(&l, LAPIC_EOI, 0);
	assert_int_equal(eoi_count, 1);                 /* edge: no callback */
}

static void test_software_disable_and_spurious(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	wr(&l, LAPIC_SVR, V_SPUR);                      /* enable bit clear */
	vlapic_accept_irq(&l, 0x40, false);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	assert_int_equal(vlapic_ack(&l), V_SPUR);
	assert_int_equal(rd(&l, LAPIC_ISR + 0x20), 0);  /* spurious: no ISR bit */
	assert_int_equal(l.spurious, 1);
	wr(&l, LAPIC_SVR, 0xFFFFF000 | LAPIC_SVR_ENABLE | V_SPUR);
	assert_int_equal(rd(&l, LAPIC_SVR), LAPIC_SVR_ENABLE | V_SPUR);
	assert_int_equal(vlapic_pending_vector(&l), 0x40);
}

/* ---- errors ------------------------------------------------------------- */

static void test_esr_is_write_then_read(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	assert_int_equal(rd(&l, 0x0C0), 0);             /* no register there */
	assert_int_equal(rd(&l, LAPIC_ESR), 0);         /* not yet latched */
	wr(&l, LAPIC_ESR, 0);
	assert_int_equal(rd(&l, LAPIC_ESR), LAPIC_ESR_ILLEGAL_REGISTER);
	assert_int_equal(rd(&l, LAPIC_ESR), LAPIC_ESR_ILLEGAL_REGISTER);
	wr(&l, LAPIC_ESR, 0);
	assert_int_equal(rd(&l, LAPIC_ESR), 0);
	wr(&l, 0x3F0, 1);                               /* write to no register */
	wr(&l, LAPIC_ESR, 0);
	assert_int_equal(rd(&l, LAPIC_ESR), LAPIC_ESR_ILLEGAL_REGISTER);
}

static void test_illegal_vectors(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	wr(&l, LAPIC_LVT_ERROR, V_ERROR);
	vlapic_accept_irq(&l, 5, false);
	assert_int_equal(rd(&l, LAPIC_IRR), 0);
	assert_int_equal(vlapic_pending_vector(&l), V_ERROR);  /* error interrupt */
	wr(&l, LAPIC_ESR, 0);
	assert_int_equal(rd(&l, LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL_VECTOR);
	wr(&l, LAPIC_ICR_LO, (LAPIC_SH_SELF << LAPIC_SHORTHAND_SHIFT) | 7);
	wr(&l, LAPIC_ESR, 0);
	assert_int_equal(rd(&l, LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
	assert_int_equal(rd(&l, LAPIC_IRR), 0);
}

/* ---- IPIs and bus messages ---------------------------------------------- */

static void test_ipis(void **state)
{
	(void)state;
	struct vlapic l;
	vlapic_init(&l, 2, NULL, NULL);
	wr(&l, LAPIC_ICR_LO, (LAPIC_SH_SELF << LAPIC_SHORTHAND_SHIFT) | LAPIC_DELIVS | 0x40);
	assert_int_equal(vlapic_pending_vector(&l), 0x40);
	assert_int_equal(rd(&l, LAPIC_ICR_LO) & LAPIC_DELIVS, 0);
	wr(&l, LAPIC_ICR_HI, 2u << 24);                 /* to our own ID */
	wr(&l, LAPIC_ICR_LO, 0x50);
	assert_int_equal(vlapic_pending_vector(&l), 0x50);
	wr(&l, LAPIC_ICR_HI, 5u << 24);                 /* to no one */
	wr(&l, LAPIC_ICR_LO, 0x60);
	wr(&l, LAPIC_ICR_LO, (LAPIC_SH_OTHERS << LAPIC_SHORTHAND_SHIFT) | 0x60);
	assert_int_equal(vlapic_pending_vector(&l), 0x50);
	assert_int_equal(l.ipi_nobody, 2);
	assert_int_equal(l.ipi_self, 2);
	wr(&l, LAPIC_ICR_LO, (LAPIC_SH_SELF << LAPIC_SHORTHAND_SHIFT) |
	   (LAPIC_DM_NMI << LAPIC_DM_SHIFT));
	assert_int_equal(l.ipi_unsupported, 1);
	wr(&l, LAPIC_ICR_LO, (LAPIC_SH_ALL << LAPIC_SHORTHAND_SHIFT) |
	   (LAPIC_DM_SIPI << LAPIC_DM_SHIFT) | 0x10);   /* SIPI: no one waits */
	assert_int_equal(l.ipi_unsupported, 2);
	assert_int_equal(rd(&l, LAPIC_ICR_HI), 5u << 24);
}

static void test_bus_message_destinations(void **state)
{
	(void)state;
	struct vlapic l;
	vlapic_init(&l, 1, NULL, NULL);
	struct vapic_msg m = { .vector = 0x40, .dest = 1 };
	assert_true(vlapic_deliver(&l, &m));
	m.vector = 0x41; m.dest = 0;
	assert_false(vlapic_deliver(&l, &m));
	m.dest = LAPIC_BROADCAST_ID;
	assert_true(vlapic_deliver(&l, &m));
	m.vector = 0x42; m.logical = true; m.dest = 0x04;
	assert_false(vlapic_deliver(&l, &m));           /* LDR 0: no logical address */
	wr(&l, LAPIC_LDR, 0x04000000);                  /* flat: bit 2 */
	assert_true(vlapic_deliver(&l, &m));
	wr(&l, LAPIC_DFR, 0x0FFFFFFF);                  /* cluster model */
	wr(&l, LAPIC_LDR, 0x21000000);                  /* cluster 2, member bit 0 */
	m.vector = 0x43; m.dest = 0x21;
	assert_true(vlapic_deliver(&l, &m));
	m.dest = 0x11;
	assert_false(vlapic_deliver(&l, &m));
	m.logical = false; m.dest = 1; m.delivery_mode = LAPIC_DM_NMI;
	assert_false(vlapic_deliver(&l, &m));
	assert_int_equal(l.ipi_unsupported, 1);
	m.delivery_mode = LAPIC_DM_LOWPRI; m.vector = 0x44; m.level = true;
	assert_true(vlapic_deliver(&l, &m));
	assert_int_equal(rd(&l, LAPIC_TMR + 0x20), 1u << 4);
	assert_int_equal(rd(&l, LAPIC_IRR + 0x20), 0x1F);      /* 0x40-0x44 */
	assert_int_equal(l.not_for_us, 3);
}

static void test_lint_pins(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	assert_true(vlapic_accepts_pic(&l));            /* ExtINT after BIOS */
	vlapic_set_lint(&l, 0, true);
	assert_int_equal(vlapic_pending_vector(&l), -1);        /* INTR passes, no vector */
	vlapic_set_lint(&l, 0, false);
	wr(&l, LAPIC_LVT_LINT0, 0x30);                  /* fixed, edge */
	vlapic_set_lint(&l, 0, true);
	vlapic_set_lint(&l, 0, true);                   /* no new edge */
	assert_int_equal(vlapic_ack(&l), 0x30);
	assert_int_equal(vlapic_pending_vector(&l), -1);
	wr(&l, LAPIC_EOI, 0);
	vlapic_set_lint(&l, 0, false);
	wr(&l, LAPIC_LVT_LINT1, LAPIC_LEVEL | 0x31);    /* fixed, level */
	vlapic_set_lint(&l, 1, true);
	assert_int_equal(vlapic_pending_vector(&l), 0x31);
	vlapic_set_lint(&l, 1, false);                  /* withdrawn before INTA */
	assert_int_equal(vlapic_pending_vector(&l), -1);
	wr(&l, LAPIC_LVT_LINT0, LAPIC_MASKED);
	assert_false(vlapic_accepts_pic(&l));
	vlapic_set_lint(&l, 0, true);
	assert_int_equal(vlapic_pending_vector(&l), -1);
}

/* ---- odd accesses -------------------------------------------------------- */

static void test_odd_accesses(void **state)
{
	(void)state;
	struct vlapic l = fresh();
	assert_int_equal(vlapic_mmio_read(&l, LAPIC_VER, 2), 0);
	assert_int_equal(vlapic_mmio_read(&l, LAPIC_VER, 1), 0);
	vlapic_mmio_write(&l, LAPIC_TPR, 1, 0x20);
	assert_int_equal(rd(&l, LAPIC_TPR), 0);
	assert_int_equal(l.bad_access, 3);
	assert_int_equal(rd(&l, LAPIC_ID + 4), 0);      /* same register as 0x20 */
	wr(&l, LAPIC_ID, 0x07000000);
	assert_int_equal(rd(&l, LAPIC_ID), 0x07000000);
	assert_int_equal(rd(&l, LAPIC_SIZE + LAPIC_ID), 0x07000000);  /* page offset */
	wr(&l, LAPIC_VER, 0);                           /* read-only */
	wr(&l, LAPIC_IRR, 0xFFFFFFFF);
	wr(&l, LAPIC_TCCR, 5);
	assert_int_equal(rd(&l, LAPIC_VER), 0x00050014);
	assert_int_equal(rd(&l, LAPIC_IRR), 0);
	assert_int_equal(rd(&l, LAPIC_TCCR), 0);
	wr(&l, LAPIC_ESR, 0);
	assert_int_equal(rd(&l, LAPIC_ESR), 0);         /* those were registers */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_bios_state),
		cmocka_unit_test(test_xv6_lapicinit_leaves_nothing_pending),
		cmocka_unit_test(test_xv6_timer_is_100hz),
		cmocka_unit_test(test_timer_expiry_instant_is_exact),
		cmocka_unit_test(test_held_expiry_fires_only_when_let_through),
		cmocka_unit_test(test_current_count_with_each_divider),
		cmocka_unit_test(test_one_shot_fires_once),
		cmocka_unit_test(test_masked_expiries_are_lost),
		cmocka_unit_test(test_expiries_merge_in_irr),
		cmocka_unit_test(test_ticr_zero_stops_the_timer),
		cmocka_unit_test(test_pit_to_ns),
		cmocka_unit_test(test_priority_classes_and_tpr),
		cmocka_unit_test(test_in_service_vector_blocks_its_class),
		cmocka_unit_test(test_eoi_of_level_vector_tells_ioapic),
		cmocka_unit_test(test_software_disable_and_spurious),
		cmocka_unit_test(test_esr_is_write_then_read),
		cmocka_unit_test(test_illegal_vectors),
		cmocka_unit_test(test_ipis),
		cmocka_unit_test(test_bus_message_destinations),
		cmocka_unit_test(test_lint_pins),
		cmocka_unit_test(test_odd_accesses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
