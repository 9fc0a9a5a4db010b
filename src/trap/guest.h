/*
 * guest.h - the guest's descriptor tables as the monitor keeps them, and
 * how a guest run ends.
 *
 * The real GDT and LDT (in the switcher) hold validated, ring-compressed
 * copies of the guest's descriptors (desc.h); the guest's own tables stay
 * in its memory and are what emulated LTR/LLDT read.  The copies are made
 * when the guest executes LGDT or LLDT (vdesc.c).
 */
#ifndef TRAP_GUEST_H
#define TRAP_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include "desc.h"
#include "switcher.h"
#include "monitor/vcpu.h"

/* The descriptor for selector sel as the monitor keeps it (the copy:
 * ring-compressed, and a call gate as the guest wrote it, where the real
 * table holds a null descriptor); -1 for a null selector or one beyond
 * the table. */
int guest_segment(const struct vcpu *v, uint16_t sel, struct segdesc *d);
uint32_t segment_base(const struct vcpu *v, uint16_t sel);
/* The part of ESP a stack segment uses: 0xFFFF for a 16-bit one (B = 0:
 * pushes and pops move SP and leave ESP's high half alone), else all. */
uint32_t stack_mask(const struct vcpu *v, uint16_t ss);

/* ESP after moving its used part by delta, under mask. */
static inline uint32_t stack_move(uint32_t esp, uint32_t mask, uint32_t delta)
{
	return (esp & ~mask) | ((esp + delta) & mask);
}
/* The selector held in segment register s (enum sreg) */
uint16_t sreg_value(const struct vcpu *v, unsigned s);

/* Emulated LGDT, LLDT, LTR.  Return 0, or -1 after injecting the fault
 * the CPU would raise.  A descriptor the monitor refuses ends the guest. */
int vdesc_lgdt(struct vcpu *v, uint32_t base, uint32_t limit);
/* The guest's own GDT descriptor for sel, read from its memory (not the
 * validated copy); -1 if beyond its GDT or unreadable. */
int vdesc_guest_desc(struct vcpu *v, uint16_t sel, struct segdesc *d);
int vdesc_lldt(struct vcpu *v, uint16_t sel);
int vdesc_ltr(struct vcpu *v, uint16_t sel);
void vdesc_reset(struct vcpu *v);

/* What the real tables show for the frame about to be resumed: the
 * guest's user code segments (hidden while its kernel runs, so that the
 * kernel's IRET or far RET to user mode raises #NP), and in ring=3 its
 * kernel's segments (hidden while its user code runs, so that user code
 * cannot load them); vdesc.c. */
void vdesc_switch_mode(bool user_cs, bool kernel);
/* What the real tables show now (vdesc_switch_mode changes it). */
extern struct vdesc_mode {
	bool user_cs;           /* the guest's user code segments are present */
	bool kernel;            /* ...and its kernel's (ring=3) */
	bool kernel_code;       /* ...its kernel's (non-conforming) code as code: not
				   while the kernel runs conforming code (ring=3) */
} vdesc_mode;

/* May the fast path switch GDTs to show or hide user code?  Not while the
 * LDT holds user code (its single real copy follows vdesc_mode). */
bool vdesc_fast_gdt_ok(void);

/* At entry: which GDT the CPU holds, user code shown or hidden (the
 * switcher's fast path may have loaded the other since the last exit).
 * The stub switches GDTs only when the LDT holds no user code
 * (vdesc_fast_gdt_ok), so the LDT needs nothing here; ring=3 has one GDT,
 * rewritten in place at every switch between its kernel and user code. */
extern bool vdesc_two_gdts;
static inline void vdesc_mode_entered(void)
{
	if (vdesc_two_gdts)
		vdesc_mode.user_cs = switcher_user_shown();
}

/* Asked before every resume, and almost always already so. */
static inline void vdesc_set_mode(bool user_cs, bool kernel)
{
	if (user_cs != vdesc_mode.user_cs || kernel != vdesc_mode.kernel)
		vdesc_switch_mode(user_cs, kernel);
}
/* The CPU faulted writing the accessed bit of a descriptor at linear
 * address la of the real GDT or LDT (read-only in the guest's view): set
 * it in the guest's descriptor in memory and in the copies, as the CPU
 * would have; false if la is no such write. */
bool vdesc_accessed(struct vcpu *v, uint32_t la);
/* The frame about to be resumed holds selector sel, which the exit path
 * will load: set its accessed bit now, as the guest's own load of it did
 * (the CPU setting it in the exit path would fault there). */
void vdesc_preaccess(struct vcpu *v, uint16_t sel);
/* Are the guest's user code segments present in the real tables now? */
static inline bool vdesc_user_visible(void)
{
	return vdesc_mode.user_cs;
}
/* Is sel a flat (base 0, 4 GB) 32-bit code (code) or stack segment? */
bool vdesc_flat(uint16_t sel, bool code);
/* Is sel a guest user code segment the real tables hide right now? */
bool vdesc_hidden_user_cs(uint16_t sel);
/* ring=3, kernel mode: is sel code of the guest's kernel the real tables
 * hide (its conforming code; its other code while it runs conforming
 * code)?  A far transfer to it faults, and is emulated. */
bool vdesc_hidden_kernel_code(uint16_t sel);
/* ring=3: the alias through which the guest kernel runs its conforming
 * code (vdesc.c).  Before every resume: present if the frame's CS is the
 * kernel's (not user) in conforming code, else gone. */
void vdesc_alias_update(struct vcpu *v, bool user);
/* The frame's CS as the CPU must load it (the alias for its target)... */
uint32_t vdesc_alias_to_cpu(uint32_t cs);
/* ...and a selector the CPU held at a trap as the guest's (the alias's
 * target for the alias, RPL kept). */
uint32_t vdesc_alias_from_cpu(uint32_t sel);
/* A selector the guest got from the CPU while the alias was present
 * (MOV from CS, a far CALL's push) as its own: the alias's last target,
 * with the RPL its CPU would have given; any other selector unchanged. */
uint16_t vdesc_alias_of(uint16_t sel);
/* A code selector the guest's kernel transfers to (far RET, IRET, far
 * JMP or CALL): its own even if its CPU saved the alias (user code never
 * holds the alias). */
static inline uint16_t vdesc_kernel_target(const struct vcpu *v, uint16_t sel)
{
	return vcpu_cpl(v) == 3 ? sel : vdesc_alias_of(sel);
}
/* ring=3, user mode: does the guest's CPU refuse sel to user code for its
 * DPL (below 3, not conforming code)?  It checks the DPL before P, so such
 * a load faults with #GP(sel) whether the real table hides the descriptor
 * (a kernel segment) or the guest's is not present itself. */
bool vdesc_user_refused(uint16_t sel);
/* ring=3: a selector of the guest's kernel as the CPU holds it (RPL 3)
 * with the RPL the monitor works with (its copy's DPL: 1 for the guest's
 * ring 0, as in ring=1); conforming code runs at its caller's privilege,
 * cpl (the CPU keeps RPL 3 there as anywhere in ring 3); any other
 * selector unchanged. */
uint32_t vdesc_monitor_rpl(uint16_t sel, unsigned cpl);

/* Changes whenever a copied descriptor does: what was checked against the
 * copies stays checked while it is unchanged (trap.c's sanitize). */
extern uint32_t vdesc_generation;

/* The hidden descriptors of DS and ES (vdesc.c): the CPU keeps what it
 * loaded until the register is loaded again, and the exit path loads
 * both.  At every trap, from the frame the CPU pushed: */
void vdesc_hidden_entry(const struct vcpu *v);
/* What the exit path loads into DS (r = KEEP_DS) or ES holding sel, at
 * privilege cpl: sel, from its table or, where the table no longer has a
 * descriptor sel loads, with the one the register was loaded with (kept,
 * desc_data_resume); or 0, nulled. */
uint16_t vdesc_resume_data(unsigned r, uint16_t sel, unsigned cpl);
/* Is a register kept?  No register is kept (the frame's selectors all
 * load from the tables, as last checked). */
bool vdesc_keeps(void);
void vdesc_keep_none(void);
/* The exit path's loads of the kept registers, in the real tables' mode
 * as it is now (after vdesc_set_mode). */
struct sw_keep;
void vdesc_resume_patches(struct sw_keep *keep);

/* Can a data segment register hold sel at privilege cpl?  (MOV DS does
 * this check; the exit path must not fault on a stale selector.) */
int data_sel_loadable(const struct vcpu *v, uint16_t sel, unsigned cpl);
int code_sel_valid(const struct vcpu *v, uint16_t sel);
/* What a far return to sel (at CPL = its RPL) raises: 0, T_GP or T_NP (a
 * code segment that is right in every way but not present). */
int code_sel_check(const struct vcpu *v, uint16_t sel);
int stack_sel_valid(const struct vcpu *v, uint16_t sel);
/* What loading sel into SS (at CPL = its RPL) raises: 0, T_GP or T_SS
 * (a stack segment that is right in every way but not present). */
int stack_sel_check(const struct vcpu *v, uint16_t sel);

/* End the guest: one line saying why, the exit table, exit code
 * MON_EXIT_GUEST_DIED.  The monitor itself is fine. */
void guest_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
