/*
 * test_debugreg.c - the real debug registers shared by the monitor and the
 * guest (src/monitor/debugreg.c), on the host: what would be loaded into
 * DR0-DR3 and DR7 while the monitor runs and while the guest runs.
 *
 * The guest's breakpoints go into the registers the monitor is not using,
 * with their RW and LEN fields and the L enable (G too becomes L); never
 * one that reaches the switcher's slot; never into the DR7 the monitor
 * runs with; and DR6 hits are told apart by owner.  A guest's DR6 write
 * reads back what a model CPU's DR6 keeps, and leaves the real DR6 clean.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monitor/debugreg.h"
#include "monitor/layout.h"

extern uint32_t test_real_dr[8];

#define DR7_FIXED 0x400u
#define L(n) (1u << (2 * (n)))
#define G(n) (2u << (2 * (n)))
#define RWLEN(n, rw, len) (((uint32_t)(rw) | (uint32_t)(len) << 2) << (16 + 4 * (n)))

static uint32_t gdr[8];

/* A model of the real DR6: bits 4-11 and 16-31 read 1; bit 12 reads
 * model_dr6_bit12 (1 on QEMU's CPU, 0 on Bochs's). */
#define MODEL_DR6_ONES  0xFFFF0FF0u
#define DR6_BIT12       0x00001000u
static uint32_t model_dr6, model_dr6_bit12, model_dr6_writes;

void ldr6(uint32_t v)
{
	model_dr6 = (v | MODEL_DR6_ONES) & ~(DR6_BIT12 & ~model_dr6_bit12);
	model_dr6_writes++;
}

uint32_t rdr6(void)
{
	return model_dr6;
}

static int setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 8; i++)
		gdr[i] = test_real_dr[i] = 0;
	for (unsigned n = 0; n < 4; n++)
		dr_disarm(n);
	dr_guest_load(gdr);
	return 0;
}

static void test_guest_breakpoints_loaded_only_for_the_guest(void **state)
{
	(void)state;
	gdr[0] = 0x00401000;                    /* exec */
	gdr[1] = 0xC0105000;                    /* write, 4 bytes */
	gdr[7] = L(0) | G(1) | RWLEN(1, 1, 3) | (1u << 9) | DR7_FIXED;
	dr_guest_load(gdr);
	assert_int_equal(test_real_dr[0], 0x00401000);
	assert_int_equal(test_real_dr[1], 0xC0105000);
	assert_int_equal(dr7_guest(), L(0) | L(1) | RWLEN(1, 1, 3) | (1u << 9) | DR7_FIXED);
	assert_int_equal(dr7_monitor(), DR7_FIXED);     /* the monitor runs without them */
	assert_int_equal(dr_guest_hits(0xFFFF0FF3), 0x3);
	assert_int_equal(dr_guest_hits(0xFFFF0FF4), 0);  /* B2: not the guest's */
}

static void test_disabled_guest_breakpoint_not_loaded(void **state)
{
	(void)state;
	gdr[2] = 0x1000;
	gdr[7] = RWLEN(2, 3, 0) | DR7_FIXED;    /* fields set, L2/G2 clear */
	dr_guest_load(gdr);
	assert_int_equal(dr7_guest(), DR7_FIXED);
	assert_int_equal(dr_guest_hits(0x4), 0);
}

static void test_switcher_slot_never_loaded(void **state)
{
	(void)state;
	gdr[0] = SWITCHER_BASE;
	gdr[1] = SWITCHER_BASE - 4;             /* an 8-byte watch would reach it */
	gdr[2] = SWITCHER_BASE - 8;             /* the last address that cannot */
	gdr[7] = L(0) | L(1) | L(2) | DR7_FIXED;
	dr_guest_load(gdr);
	assert_int_equal(dr7_guest(), L(2) | DR7_FIXED);
	assert_int_equal(test_real_dr[2], SWITCHER_BASE - 8);
}

/* The monitor's own breakpoints (fault injection) take their register:
 * the guest's there is not loaded until the monitor lets it go. */
static void test_monitor_register_wins_and_returns(void **state)
{
	(void)state;
	gdr[0] = 0x00401000;
	gdr[3] = 0x00402000;
	gdr[7] = L(0) | L(3) | DR7_FIXED;
	dr_guest_load(gdr);
	dr_arm(DR_EIP, 0x00105000, DRK_EXEC);
	assert_int_equal(test_real_dr[0], 0x00105000);
	assert_int_equal(dr7_monitor(), L(0) | DR7_FIXED);
	assert_int_equal(dr7_guest(), L(0) | L(3) | DR7_FIXED);
	assert_int_equal(dr_guest_hits(0x9), 0x8);      /* B0 is the monitor's */
	dr_disarm(DR_EIP);
	assert_int_equal(test_real_dr[0], 0x00401000);  /* the guest's again */
	assert_int_equal(dr7_monitor(), DR7_FIXED);
	assert_int_equal(dr_guest_hits(0x9), 0x9);
}

/* DR6 bit 12 as the CPU underneath keeps it; the real DR6 clean after. */
static void test_dr6_reads_back_as_the_cpu_keeps_it(void **state)
{
	(void)state;
	model_dr6_bit12 = DR6_BIT12;            /* QEMU */
	assert_int_equal(dr6_store(0xFFFFFFFF), 0xFFFFFFFF);
	assert_int_equal(dr6_store(0), 0xFFFF0FF0);
	model_dr6_bit12 = 0;                    /* Bochs */
	model_dr6_writes = 0;
	assert_int_equal(dr6_store(0xFFFFFFFF), 0xFFFFEFFF);
	assert_int_equal(dr6_store(0x00002001), 0xFFFF2FF1);
	assert_int_equal(model_dr6_writes, 4);  /* written, then restored, twice */
	assert_int_equal(rdr6(), 0xFFFF0FF0);   /* no guest status left behind */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_guest_breakpoints_loaded_only_for_the_guest, setup),
		cmocka_unit_test_setup(test_disabled_guest_breakpoint_not_loaded, setup),
		cmocka_unit_test_setup(test_switcher_slot_never_loaded, setup),
		cmocka_unit_test_setup(test_monitor_register_wins_and_returns, setup),
		cmocka_unit_test_setup(test_dr6_reads_back_as_the_cpu_keeps_it, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
