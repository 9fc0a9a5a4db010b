/*
 * target.h - what a fault does to the guest's state: the pure part.
 *
 * Registers: a flip is applied to the frame the guest resumes with.  The
 * guest's EFLAGS.IF is the virtual IF in struct vcpu (the exit path sets
 * the real IF from it, iflag=real, or to 1, iflag=soft), so a flip of bit 9
 * flips the virtual IF; and the exit path forces IOPL 0, VM/VIF/VIP 0 and
 * bit 1 set whatever the frame says (sanitize() in trap.c), so a flip there
 * is masked by the monitor itself: target_reg_masked() tells the log so.
 *
 * Page-table entries: the entry that maps a guest-linear address is found
 * by a walk of the guest's own tables that sets no accessed bit (a fault
 * injector must not leave marks of its own), through a read callback.
 *
 * Emulation results: which register (or the virtual IF) an emulated
 * instruction wrote.  Memory watches: what the first debug-register hit on
 * a flipped byte says about activation.  Pure: tested on the host.
 */
#ifndef FAULT_TARGET_H
#define FAULT_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include "spec.h"
#include "monitor/vcpu.h"
#include "monitor/x86.h"

/* EFLAGS bits the exit path sets or clears whatever the guest frame says. */
#define FL_FORCED_BY_EXIT (FL_RESERVED1 | FL_IOPL | FL_VM | FL_VIF | FL_VIP)
#define FL_IF_BIT FL_IF

/* Flip s's bits of register s->reg: in tf, or the virtual IF for EFLAGS.IF.
 * Returns the register's value after the flip (EFLAGS: as the guest sees it). */
uint32_t target_flip_reg(struct trapframe *tf, bool *vif, const struct fault_spec *s);
/* Force s's bits of the register to the stuck value (the bits in mask). */
void target_force_reg(struct trapframe *tf, bool *vif, const struct fault_spec *s,
		      uint32_t stuck);
/* The register's value as the guest sees it (EFLAGS with the virtual IF). */
uint32_t target_reg_value(const struct trapframe *tf, bool vif, unsigned reg);
/* True if every flipped bit is one the exit path overrides. */
bool target_reg_masked(const struct fault_spec *s);

/* Where an emulated instruction put its result. */
enum emul_dest { EDEST_NONE, EDEST_GPR, EDEST_VIF };
enum emul_dest target_emul_dest(const struct insn *in, unsigned *gpr);

/* An IN's value with bit (bit mod its width) flipped. */
uint32_t target_port_value(uint32_t val, unsigned size, unsigned bit);

/* Guest page walk for pte:/pde:.  read32 reads a guest-physical word, 0 on
 * success.  Returns 0 with *gpa = the entry's guest-physical address, or
 * -1 with why: paging off, no page table (absent PDE or a 4 MB page). */
typedef int (*target_read32)(void *ctx, uint32_t gpa, uint32_t *val);
int target_entry_gpa(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t va, bool pde,
		     target_read32 rd, void *ctx, uint32_t *gpa, const char **why);
/* Guest-linear to guest-physical by the same walk (no A/D set); -1 with why. */
int target_linear_to_gpa(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t va,
			 target_read32 rd, void *ctx, uint32_t *gpa, const char **why);

/* The first debug-register hit on a watched (flipped) byte: a write hit
 * (the write watch fired too) means it was overwritten unless it still
 * holds the faulty bit; a read-only hit means the guest read it. */
enum watch_verdict { WATCH_READ, WATCH_OVERWRITTEN };
enum watch_verdict target_watch_verdict(bool write_hit, uint8_t now, uint8_t faulty,
					 uint8_t mask);

#endif
