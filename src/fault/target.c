/*
 * target.c - register flips, emulation-result destinations, the guest page
 * walk and memory-watch verdicts (see target.h).
 */
#include "target.h"
#include "monitor/x86.h"

#define PDX(va) ((va) >> 22)
#define PTX(va) (((va) >> 12) & 0x3FFu)
#define ENTRY_SIZE 4u
#define BIG_OFFSET 0x003FFFFFu
#define PAGE_OFFSET 0x00000FFFu

static uint32_t *reg_slot(struct trapframe *tf, unsigned reg)
{
	uint32_t *gprs[GPR_COUNT] = { &tf->eax, &tf->ecx, &tf->edx, &tf->ebx,
				      &tf->esp, &tf->ebp, &tf->esi, &tf->edi };
	if (reg < GPR_COUNT)
		return gprs[reg];
	return reg == FREG_EIP ? &tf->eip : &tf->eflags;
}

uint32_t target_reg_value(const struct trapframe *tf, bool vif, unsigned reg)
{
	uint32_t v = *reg_slot((struct trapframe *)tf, reg);
	if (reg == FREG_EFLAGS)
		v = (v & ~FL_IF_BIT) | (vif ? FL_IF_BIT : 0);
	return v;
}

void target_force_reg(struct trapframe *tf, bool *vif, const struct fault_spec *s,
		      uint32_t stuck)
{
	uint32_t mask = fault_mask(s);
	uint32_t *r = reg_slot(tf, s->reg);

	if (s->reg == FREG_EFLAGS && (mask & FL_IF_BIT)) {
		*vif = (stuck & FL_IF_BIT) != 0;
		mask &= ~FL_IF_BIT;
	}
	*r = (*r & ~mask) | (stuck & mask);
}

uint32_t target_flip_reg(struct trapframe *tf, bool *vif, const struct fault_spec *s)
{
	uint32_t now = target_reg_value(tf, *vif, s->reg);
	target_force_reg(tf, vif, s, now ^ fault_mask(s));
	return target_reg_value(tf, *vif, s->reg);
}

bool target_reg_masked(const struct fault_spec *s)
{
	return s->reg == FREG_EFLAGS && (fault_mask(s) & ~FL_FORCED_BY_EXIT) == 0;
}

enum emul_dest target_emul_dest(const struct insn *in, unsigned *gpr)
{
	switch (in->kind) {
	case INSN_IN:
	case INSN_RDMSR:
		*gpr = GPR_EAX;
		return EDEST_GPR;
	case INSN_MOV_FROM_CR:
	case INSN_MOV_FROM_DR:
		*gpr = in->rm;
		return EDEST_GPR;
	case INSN_CLI:
	case INSN_STI:
		return EDEST_VIF;
	default:
		return EDEST_NONE;
	}
}

uint32_t target_port_value(uint32_t val, unsigned size, unsigned bit)
{
	unsigned bits = size >= 4 ? 32 : size * 8;
	return val ^ (1u << (bit % bits));
}

int target_entry_gpa(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t va, bool pde,
		     target_read32 rd, void *ctx, uint32_t *gpa, const char **why)
{
	uint32_t pde_gpa = (cr3 & PTE_ADDR) + PDX(va) * ENTRY_SIZE, e;

	if (!(cr0 & CR0_PG)) {
		*why = "paging is off";
		return -1;
	}
	if (pde) {
		*gpa = pde_gpa;
		return 0;
	}
	if (rd(ctx, pde_gpa, &e) != 0) {
		*why = "its page directory is not in RAM";
		return -1;
	}
	if (!(e & PTE_P) || ((e & PTE_PS) && (cr4 & CR4_PSE))) {
		*why = (e & PTE_P) ? "it is mapped by a 4 MB page (no page table)"
				   : "its page-directory entry is not present";
		return -1;
	}
	*gpa = (e & PTE_ADDR) + PTX(va) * ENTRY_SIZE;
	return 0;
}

int target_linear_to_gpa(uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t va,
			 target_read32 rd, void *ctx, uint32_t *gpa, const char **why)
{
	uint32_t pde_gpa = (cr3 & PTE_ADDR) + PDX(va) * ENTRY_SIZE, pde, pte;

	if (!(cr0 & CR0_PG)) {
		*gpa = va;
		return 0;
	}
	if (rd(ctx, pde_gpa, &pde) != 0 || !(pde & PTE_P)) {
		*why = "not mapped (page-directory entry)";
		return -1;
	}
	if ((pde & PTE_PS) && (cr4 & CR4_PSE)) {
		*gpa = (pde & PDE_BIGADDR) | (va & BIG_OFFSET);
		return 0;
	}
	if (rd(ctx, (pde & PTE_ADDR) + PTX(va) * ENTRY_SIZE, &pte) != 0 || !(pte & PTE_P)) {
		*why = "not mapped (page-table entry)";
		return -1;
	}
	*gpa = (pte & PTE_ADDR) | (va & PAGE_OFFSET);
	return 0;
}

enum watch_verdict target_watch_verdict(bool write_hit, uint8_t now, uint8_t faulty,
					 uint8_t mask)
{
	if (!write_hit)
		return WATCH_READ;
	/* a read-modify-write or a store of the same bit keeps the faulty
	 * bit: count it as read (the value was used or confirmed) */
	return (now & mask) == (faulty & mask) ? WATCH_READ : WATCH_OVERWRITTEN;
}
