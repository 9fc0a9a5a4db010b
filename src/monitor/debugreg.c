/*
 * debugreg.c - load and read the real debug registers (see debugreg.h).
 *
 * DR7 is written from the copies kept here (the monitor's enables and the
 * guest's), so arming one register never disturbs another.  The monitor's
 * watches set GE ("exact" data breakpoints) as the SDM recommends, with a
 * length of one byte (LEN = 00); the guest's keep its own RW, LEN, LE and
 * GE.  The guest's G and L enables both become L: no task switch ever
 * happens to clear L.
 *
 * DR6 is never the guest's: a value the guest writes passes through it
 * only to learn which bits this CPU keeps (dr6_store).
 */
#include "debugreg.h"
#include "layout.h"
#include "x86.h"

#define DR7_L(n)        (1u << (2 * (n)))
#define DR7_LG(n)       (3u << (2 * (n)))
#define DR7_LE          (1u << 8)
#define DR7_GE          (1u << 9)
#define DR7_RW_SHIFT(n) (16 + 4 * (n))
#define DR7_FIELD(n)    (0xFu << DR7_RW_SHIFT(n))
#define DR7_FIXED       (1u << 10)
#define DR6_HITS        0xFu
/* A guest breakpoint covers at most 8 bytes (LEN): none may reach the
 * switcher's slot. */

static uint32_t mon7;           /* the monitor's enables */
static uint32_t guest7;         /* the guest's, for the registers it has */
static uint32_t guest_dr[8];    /* the guest's DR0-DR7 as last loaded */

#ifdef MON_HOST_TEST
/* The host unit test (test_debugreg.c) reads what would be loaded. */
uint32_t test_real_dr[8];

static void load_dr7(uint32_t v)
{
	test_real_dr[7] = v;
}

static void load_addr(unsigned n, uint32_t a)
{
	test_real_dr[n & 3] = a;
}
#else
static void load_dr7(uint32_t v)
{
	__asm__ volatile("mov %0, %%dr7" : : "r"(v));
}

static void load_addr(unsigned n, uint32_t a)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(a)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(a)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(a)); break;
	default: __asm__ volatile("mov %0, %%dr3" : : "r"(a)); break;
	}
}
#endif

/* The guest's DR7, reduced to the registers it may have now. */
static void guest_recompute(void)
{
	uint32_t g7 = guest_dr[7];

	guest7 = 0;
	for (unsigned n = 0; n < 4; n++) {	/* bound: the 4 breakpoint registers */
		if (!(g7 & DR7_LG(n)) || (mon7 & DR7_L(n)) || guest_dr[n] > SWITCHER_BASE - 8)
			continue;
		load_addr(n, guest_dr[n]);
		guest7 |= DR7_L(n) | (g7 & DR7_FIELD(n));
	}
	if (guest7)
		guest7 |= g7 & (DR7_LE | DR7_GE);
}

void dr_arm(unsigned n, uint32_t linear, enum dr_kind kind)
{
	load_addr(n, linear);
	mon7 &= ~(DR7_FIELD(n) | DR7_L(n));
	mon7 |= DR7_L(n) | ((uint32_t)kind << DR7_RW_SHIFT(n));
	if (kind != DRK_EXEC)
		mon7 |= DR7_GE;
	guest_recompute();
	load_dr7(mon7);
}

void dr_disarm(unsigned n)
{
	mon7 &= ~(DR7_FIELD(n) | DR7_L(n));
	guest_recompute();
	load_dr7(mon7);
}

int dr_armed(unsigned n)
{
	return (mon7 & DR7_L(n)) != 0;
}

void dr_guest_load(const uint32_t dr[8])
{
	for (unsigned i = 0; i < 8; i++)	/* bound: the 8 debug registers */
		guest_dr[i] = dr[i];
	guest_recompute();
}

uint32_t dr_guest_hits(uint32_t dr6)
{
	uint32_t mine = 0;

	for (unsigned n = 0; n < 4; n++)	/* bound: the 4 breakpoint registers */
		if (guest7 & DR7_L(n))
			mine |= DR6_B(n);
	return dr6 & mine & DR6_HITS;
}

uint32_t dr6_store(uint32_t val)
{
	ldr6(val);
	uint32_t back = rdr6();
	ldr6(DR6_FIXED1);
	return back;
}

uint32_t dr7_monitor(void)
{
	return mon7 | DR7_FIXED;
}

uint32_t dr7_guest(void)
{
	return mon7 | guest7 | DR7_FIXED;
}
