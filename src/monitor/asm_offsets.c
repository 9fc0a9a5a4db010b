/*
 * asm_offsets.c - the layouts that C and the switcher's assembly share,
 * computed by the compiler.  The Makefile compiles this file to assembly
 * and turns each "@@NAME value" line into a NASM %define in
 * build/monitor/asm_offsets.inc, so no offset is ever typed twice.
 */
#include <stddef.h>
#include "layout.h"
#include "vcpu.h"
#include "x86.h"
#include "trap/switcher.h"
#include "trap/reflect.h"
#include "shadow_mmu/shadow.h"

#define DEFINE(sym, val) __asm__ volatile("\n@@" #sym " %c0" : : "i"((unsigned)(val)))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(SW_DATA_MON_CR3, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, mon_cr3));
	DEFINE(SW_PRIV_GUEST_CR3, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, guest_cr3));
	DEFINE(SW_PRIV_MON_STACK, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, mon_stack_top));
	DEFINE(SW_PRIV_GUEST_TRAP, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, guest_trap));
	DEFINE(SW_PRIV_HOST_TRAP, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, host_trap));
	DEFINE(SW_PRIV_ESPFIX_ESP, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, espfix_esp));
	DEFINE(SW_PRIV_ESPFIX_BASE, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, espfix_base));
	DEFINE(SW_PRIV_DR7_MONITOR, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, dr7_monitor));
	DEFINE(SW_PRIV_DR7_GUEST, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, dr7_guest));
	DEFINE(SW_PRIV_KEEP_DS, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, keep[KEEP_DS]));
	DEFINE(SW_PRIV_KEEP_ES, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, keep[KEEP_ES]));
	DEFINE(KEEP_SLOT, offsetof(struct sw_keep, slot));
	DEFINE(KEEP_SEL, offsetof(struct sw_keep, sel));
	DEFINE(KEEP_DESC, offsetof(struct sw_keep, desc));
	DEFINE(KEEP_TABLE, offsetof(struct sw_keep, table));
	DEFINE(KEEP_LDTR, offsetof(struct sw_keep, ldtr));
	DEFINE(KEEP_LDTR_AFTER, offsetof(struct sw_keep, ldtr_after));
	DEFINE(KEEP_LDT, offsetof(struct sw_keep, ldt));
	DEFINE(KEEP_LDT_AFTER, offsetof(struct sw_keep, ldt_after));
	DEFINE(SW_GDT_MON_LDT, SW_VA(SW_GDT_OFF) + GDT_MON_LDT * 8);
	DEFINE(SEL_MON_LDT, SEL_MON_LDT);
	DEFINE(TF_DS, offsetof(struct trapframe, ds));
	DEFINE(TF_ES, offsetof(struct trapframe, es));
	DEFINE(VCPU_FRAME, SW_VA(SW_VCPU_OFF) + 4096 - sizeof(struct trapframe));
#define FAST(field) (SW_VA(SW_VCPU_OFF) + offsetof(struct switcher_fast, field))
	DEFINE(SW_DATA_KCS, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, kcs));
	DEFINE(SW_DATA_KSS, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, kss));
	DEFINE(SW_FAST_VIF, FAST(vif));
	DEFINE(SW_FAST_PENDING, FAST(pending));
	DEFINE(SW_FAST_CLI_FAST, FAST(cli_fast));
	DEFINE(SW_FAST_SHADOW_EIP, FAST(shadow_eip));
	DEFINE(SW_FAST_CLI, FAST(cli));
	DEFINE(SW_FAST_CR3, FAST(cr[3]));
	DEFINE(SW_FAST_CRS, FAST(cr));
	DEFINE(SW_FAST_IN, FAST(in));
	DEFINE(SW_FAST_MOV_FROM_CR, FAST(mov_from_cr));
	DEFINE(SW_FAST_INVLPG, FAST(invlpg));
	DEFINE(SW_DATA_INVLPG_FREE, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, invlpg_free));
	DEFINE(SW_DATA_IN, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, in));
	DEFINE(SW_FAST_MOV_CR3, FAST(mov_cr3));
	DEFINE(SW_DATA_PAGING, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, paging));
	DEFINE(SW_DATA_GDTR_CLI, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, gdtr_cli.limit));
	DEFINE(SW_DATA_GDTR_STI, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, gdtr_sti.limit));
	DEFINE(SW_CODE_VA, SW_VA(SW_CODE_OFF));
	DEFINE(SW_DATA_ESP0_VA, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, esp0_va));
#define ESP0(field) (SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, esp0.field))
	DEFINE(SW_ESP0_ROOT, ESP0(root));
	DEFINE(SW_ESP0_EIP, ESP0(eip));
	DEFINE(SW_ESP0_CS, ESP0(cs));
	DEFINE(SW_ESP0_CODE, ESP0(code));
	DEFINE(SW_ESP0_HEAD, ESP0(head));
	DEFINE(SW_ESP0_TAIL, ESP0(tail));
	DEFINE(SW_ESP0_TAIL_MASK, ESP0(tail_mask));
	DEFINE(SW_ESP0_SRC, ESP0(src));
	DEFINE(SW_ESP0_LEN, ESP0(len));
	DEFINE(SW_ESP0_HOST, ESP0(esp0));
	DEFINE(SW_ESP0_COUNT, ESP0(count));
	DEFINE(SW_TSS_ESP1, SW_VA(SW_TSS_OFF) + offsetof(struct tss32, esp1));
	DEFINE(PFE_P, PFE_P);
	DEFINE(PFE_W, PFE_W);
	DEFINE(SW_DATA_CR3_HINTS, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, cr3));
	DEFINE(SW_CR3_SLOT_MASK, SW_CR3_HINTS - 1);
	DEFINE(SW_FAST_STI, FAST(sti));
	DEFINE(FL_TF, FL_TF);
	DEFINE(FL_IF, FL_IF);
	DEFINE(TF_CS, offsetof(struct trapframe, cs));
	DEFINE(TF_EFLAGS, offsetof(struct trapframe, eflags));
	DEFINE(FL_VM, FL_VM);
	DEFINE(SEL_MON_ESPFIX, SEL_MON_ESPFIX);
	DEFINE(TF_SIZE, sizeof(struct trapframe));
	DEFINE(SEL_MON_DS, SEL_MON_DS);
	DEFINE(EXC_ERR_MASK, EXC_ERR_MASK);
	/* the #PF fast path's page-table writes (fastptw.c) */
	DEFINE(SW_DATA_PTW, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, ptw));
	DEFINE(SW_DATA_PTW_DS, SW_VA(SW_DATA_OFF) + offsetof(struct switcher_data, ptw_ds));
	DEFINE(SW_PTW_SITES, SW_PTW_SITES);
	DEFINE(SITE_SIZE, sizeof(struct sw_ptw_site));
	DEFINE(SITE_EIP, offsetof(struct sw_ptw_site, eip));
	DEFINE(SITE_HEAD, offsetof(struct sw_ptw_site, head));
	DEFINE(SITE_HEAD_MASK, offsetof(struct sw_ptw_site, head_mask));
	DEFINE(SITE_TAIL, offsetof(struct sw_ptw_site, tail));
	DEFINE(SITE_TAIL_MASK, offsetof(struct sw_ptw_site, tail_mask));
	DEFINE(SITE_LEN, offsetof(struct sw_ptw_site, len));
	DEFINE(SITE_SRC, offsetof(struct sw_ptw_site, src));
	DEFINE(SITE_IMM, offsetof(struct sw_ptw_site, imm));
	DEFINE(SITE_BASE, offsetof(struct sw_ptw_site, base));
	DEFINE(SITE_INDEX, offsetof(struct sw_ptw_site, index));
	DEFINE(SITE_SCALE, offsetof(struct sw_ptw_site, scale));
	DEFINE(SITE_DISP, offsetof(struct sw_ptw_site, disp));
	DEFINE(SW_PRIV_PTW, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, ptw));
	DEFINE(SW_PTW_COUNT, SW_VA(SW_PRIV_OFF) + offsetof(struct switcher_priv, ptw_count));
	DEFINE(SW_PTW_FRAMES, SW_PTW_FRAMES);
	DEFINE(FRAME_SIZE, sizeof(struct sw_ptw_frame));
	DEFINE(FRAME_KEY, offsetof(struct sw_ptw_frame, key));
	DEFINE(FRAME_HOST, offsetof(struct sw_ptw_frame, host));
	DEFINE(FRAME_WRITES, offsetof(struct sw_ptw_frame, writes));
	DEFINE(FRAME_WRITES_MAX, offsetof(struct sw_ptw_frame, writes_max));
	DEFINE(FRAME_N, offsetof(struct sw_ptw_frame, n));
	DEFINE(FRAME_SPT, offsetof(struct sw_ptw_frame, spt));
	DEFINE(SPTE_PT_WRITABLE, SPTE_PT_WRITABLE);
	DEFINE(PTE_P, PTE_P);
	DEFINE(PTE_PS, PTE_PS);
	DEFINE(PTE_ADDR, PTE_ADDR);
	DEFINE(PTE_OFFSET, ~PTE_ADDR);
	DEFINE(SWITCHER_BASE, SWITCHER_BASE);
	DEFINE(FL_RF, FL_RF);
}
