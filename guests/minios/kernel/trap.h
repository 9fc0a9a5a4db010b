/*
 * trap.h - the trap frame: what is on the kernel stack when trap() runs.
 *
 * Who pushed what, from the highest address down:
 *   ss, esp          the CPU, only when the trap came from ring 3 (it took
 *                    ss0:esp0 from the TSS and pushed the user's ss:esp)
 *   eflags, cs, eip  the CPU, always
 *   err              the CPU for vectors with an error code, else the stub (0)
 *   trapno           the stub for this vector (trapentry.asm)
 *   ds, es, fs, gs   alltraps
 *   eax .. edi       alltraps, by PUSHA
 */
#ifndef MINIOS_TRAP_H
#define MINIOS_TRAP_H

#include "types.h"
#include "mmu.h"
#include "x86.h"

struct trapframe {
	u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax;   /* PUSHA */
	u32 gs, fs, es, ds;
	u32 trapno;
	u32 err;
	u32 eip, cs, eflags;
	u32 esp, ss;            /* only valid when (cs & 3) == 3 */
};

/* The kernel tests' exception catcher (the "probe"): set probe_resume to an
 * address in one of the probe_* routines and a kernel-mode exception there
 * is recorded in probe_info and resumes at probe_resume instead of panicking. */
struct probe_info {
	u32 vector, err, cr2, eip;
	u32 count;
};
extern volatile u32 probe_resume;
extern volatile struct probe_info probe_info;

/* trapentry.asm: each returns 0, or 1 if the access faulted */
int probe_read32(u32 addr, u32 *out);
int probe_write32(u32 addr, u32 val);
int probe_copy(void *dst, const void *src, u32 n);
int probe_div0(void);
int probe_ud2(void);
int probe_int3(void);   /* returns 0: #BP is a trap, execution goes on */
extern u32 probe_div0_insn, probe_ud2_insn, probe_int3_after;

extern u32 vectors[];   /* stub addresses, one per vector */
void trapret(void);

void trap_init(void);
void idt_load(void);
void trap(struct trapframe *tf);
void set_gate(int vec, u32 handler, int type, int dpl);
void trap_copy_idt(struct gatedesc *dst);
extern struct gatedesc idt[NIDT];   /* what idt_load() loads */

extern volatile u32 ticks;

/* Attack modes only (attack_lib.c): sees every trap first; returns 1 if it
 * dealt with the trap entirely (trap() then returns to the frame as the
 * hook left it), 0 to let trap() go on as usual.  NULL otherwise. */
extern int (*trap_hook)(struct trapframe *tf);
extern struct trapframe *last_user_trapframe;

/* One-shot PIC in-service readback around the timer's EOI (for a test). */
extern volatile int pic_isr_probe;
extern volatile u8 pic_isr_before, pic_isr_after;

#endif
