/*
 * debugreg.c - load and read the real debug registers (see debugreg.h).
 *
 * DR7 is written from a copy kept here, so arming one register never
 * disturbs another.  GE ("exact" data breakpoints) is set as the SDM
 * recommends for data watches; the length is one byte (LEN = 00).
 */
#include "debugreg.h"

#define DR7_L(n)        (1u << (2 * (n)))
#define DR7_GE          (1u << 9)
#define DR7_RW_SHIFT(n) (16 + 4 * (n))
#define DR7_FIELD(n)    (0xFu << DR7_RW_SHIFT(n))

static uint32_t dr7;

static void load_dr7(void)
{
	__asm__ volatile("mov %0, %%dr7" : : "r"(dr7));
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

void dr_arm(unsigned n, uint32_t linear, enum dr_kind kind)
{
	load_addr(n, linear);
	dr7 &= ~(DR7_FIELD(n) | DR7_L(n));
	dr7 |= DR7_L(n) | ((uint32_t)kind << DR7_RW_SHIFT(n));
	if (kind != DRK_EXEC)
		dr7 |= DR7_GE;
	load_dr7();
}

void dr_disarm(unsigned n)
{
	dr7 &= ~(DR7_FIELD(n) | DR7_L(n));
	load_dr7();
}

int dr_armed(unsigned n)
{
	return (dr7 & DR7_L(n)) != 0;
}
