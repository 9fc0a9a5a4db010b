/*
 * run.h - between main.c (the batch) and run.c (one sequence): the
 * observation sink, the masks, and the instructions conform's x86.h does
 * not wrap.
 */
#ifndef DIFFTEST_RUN_H
#define DIFFTEST_RUN_H

#include "difftest.h"
#include "lib/fmt.h"

#define NO_IDX        0xFFFFFFFFu     /* emit(): a name without an index */
#define SEL_RPL_MASK  0x3u

/* Masks (command line mask=NAME+NAME; test/difftest/expected.py MASKS
 * says why each exists): a masked field is observed with those bits 0. */
#define MASK_SS_RPL   0x1u            /* SS's RPL in ring 0: the CPL, 1 under a monitor */
#define MASK_PF_PDE_A 0x2u            /* PDEs' A after a #PF (implementation-defined) */

void emit(const char *name, u32 idx, u32 value);
void run_setup(u32 mask_bits);
u32 run_record(const struct dt_record *rec, u32 index, bool full);
void trap(struct frame *f);
void seq_return(void) __attribute__((noreturn));

static inline u32 rdr0(void) { u32 v; __asm__ volatile("mov %%db0, %0" : "=r"(v)); return v; }
static inline u32 rdr1(void) { u32 v; __asm__ volatile("mov %%db1, %0" : "=r"(v)); return v; }
static inline u32 rdr2(void) { u32 v; __asm__ volatile("mov %%db2, %0" : "=r"(v)); return v; }
static inline u32 rdr3(void) { u32 v; __asm__ volatile("mov %%db3, %0" : "=r"(v)); return v; }
static inline void ldr2(u32 v) { __asm__ volatile("mov %0, %%db2" : : "r"(v)); }
static inline void ldr3(u32 v) { __asm__ volatile("mov %0, %%db3" : : "r"(v)); }

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#endif
