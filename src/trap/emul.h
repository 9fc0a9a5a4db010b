/*
 * emul.h - emulation of the instructions a guest kernel in ring 1 cannot
 * execute itself.
 */
#ifndef TRAP_EMUL_H
#define TRAP_EMUL_H

#include "trap/decode.h"
#include "monitor/vcpu.h"
#include "shadow_mmu/shadow.h"

enum emul_result {
	EMUL_NEXT,      /* done: the dispatcher advances EIP past it */
	EMUL_JUMPED,    /* done, and the handler set EIP (INT n, IRET, RETF) */
	EMUL_FAULTED,   /* the handler injected the fault the CPU would raise */
	EMUL_REFUSED,   /* not an instruction the monitor emulates */
};

/* Emulate in, decoded at the guest's EIP after it raised #GP (or #NP:
 * an IRET to a hidden user code segment), with the CPU's privilege rules
 * for the guest's CPL. */
enum emul_result emulate(struct vcpu *v, const struct insn *in);

/* Far CALL and far JMP that raised #GP (callgate.c): through one of the
 * guest's call gates, which the real tables hold as null descriptors,
 * emulated; any other is the CPU's own #GP, injected as it came. */
enum emul_result emul_call_far(struct vcpu *v, const struct insn *in);
enum emul_result emul_jmp_far(struct vcpu *v, const struct insn *in);

/* INT n / INT3 / INTO from either guest ring (the real gates are DPL 0). */
enum emul_result emul_soft_int(struct vcpu *v, const struct insn *in);

/* A write to a guest page table that shadow=cached write-protects, decoded
 * at the EIP that faulted (memop.c): MOV, XCHG, CMPXCHG, CMPXCHG8B, XADD,
 * ADD/OR/ADC/SBB/AND/SUB/XOR to memory, STOS and MOVS, any width, LOCK.
 * EMUL_JUMPED: a REP string instruction wrote one element and has more to
 * go (EIP stays, the next one faults again).  EMUL_REFUSED: not a form it
 * emulates; nothing was changed. */
enum emul_result emul_pt_write(struct vcpu *v, const struct insn *in);

/* A load or store at guest-virtual va that reached a device's registers
 * at guest-physical gpa (mmio.c): performed on the device model.
 * EMUL_NEXT, EMUL_FAULTED, or EMUL_REFUSED (a form memop.c does not take;
 * nothing was done). */
enum emul_result emul_mmio(struct vcpu *v, const struct insn *in, uint32_t va, uint32_t gpa);

/* Shared by the emulators: inject a fault (EMUL_FAULTED); inject the #PF
 * of a failed guest access, or end the guest if it was not RAM; the linear
 * address of in's memory operand. */
enum emul_result emul_fault(struct vcpu *v, unsigned vector, uint32_t err);
enum emul_result emul_mem_fault(struct vcpu *v, enum gva_result r, const struct gva_fault *f);
uint32_t emul_operand_addr(struct vcpu *v, const struct insn *in);
/* Segmentation's null-selector check (#GP(0) where the CPU makes it),
 * then the address: EMUL_NEXT with *addr, or EMUL_FAULTED. */
bool emul_null_seg(const struct vcpu *v, enum sreg s);
enum emul_result emul_operand(struct vcpu *v, const struct insn *in, uint32_t *addr);

/* The CPU's I/O permission check for the guest: CPL <= IOPL, or the
 * ports' bits clear in its TSS's I/O permission bitmap. */
bool io_permitted(struct vcpu *v, uint16_t port, unsigned size);

/* The virtual MSRs as after reset (APIC base, MISC_ENABLE, PAT, EFER, no
 * TSC offset). */
void emul_msr_reset(struct vcpu *v);

/* CR4 bits the guest may set: those the real CPU has and the monitor
 * virtualizes (set by the monitor at start from CPUID). */
extern uint32_t cr4_guest_mask;

#endif
