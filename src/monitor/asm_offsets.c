/*
 * asm_offsets.c - the layouts that C and the switcher's assembly share,
 * computed by the compiler.  The Makefile compiles this file to assembly
 * and turns each "@@NAME value" line into a NASM %define in
 * build/monitor/asm_offsets.inc, so no offset is ever typed twice.
 */
#include <stddef.h>
#include "layout.h"
#include "vcpu.h"
#include "trap/switcher.h"
#include "trap/reflect.h"

#define DEFINE(sym, val) __asm__ volatile("\n@@" #sym " %c0" : : "i"((unsigned)(val)))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(SW_DATA_MON_CR3, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, mon_cr3));
	DEFINE(SW_DATA_GUEST_CR3, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, guest_cr3));
	DEFINE(SW_DATA_MON_STACK, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, mon_stack_top));
	DEFINE(SW_DATA_GUEST_TRAP, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, guest_trap));
	DEFINE(SW_DATA_HOST_TRAP, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, host_trap));
	DEFINE(VCPU_FRAME, SW_VA(SW_VCPU_OFF) + 4096 - sizeof(struct trapframe));
	DEFINE(TF_CS, offsetof(struct trapframe, cs));
	DEFINE(TF_SIZE, sizeof(struct trapframe));
	DEFINE(SEL_MON_DS, SEL_MON_DS);
	DEFINE(EXC_ERR_MASK, EXC_ERR_MASK);
}
