/*
 * desc.h - segment descriptors and gates, and the ring-compression rule.
 *
 * Mechanism: an x86 descriptor is 8 bytes: base (32 bits) and limit (20
 * bits, in bytes or 4 KB units if G) scattered over both words, a type,
 * S (code/data vs system), DPL, P, D/B and G.  A selector is index << 3 |
 * TI (LDT) << 2 | RPL.  The guest kernel runs in ring 1 but writes
 * descriptors for ring 0; desc_compress() turns each guest descriptor into
 * the one the real GDT or LDT may hold, or refuses it:
 *
 *   code/data, DPL 0        -> the same with DPL 1 (ring compression)
 *   code/data, DPL 1..3     -> unchanged
 *   code/data not present   -> copied (DPL 0 still becomes 1), so that
 *                              loading it raises #NP as it should
 *   TSS, LDT                -> a null descriptor in the real table: the
 *                              monitor emulates LTR/LLDT from the guest's
 *                              own table
 *   any system descriptor   -> a null descriptor if not present, but
 *   call gate (16, 32-bit)  -> DESC_GATE: kept (DPL 0 becomes 1, present
 *                              or not) in the copy the monitor consults,
 *                              and a null descriptor in the real table
 *                              (vdesc.c): a far CALL or JMP through it
 *                              raises #GP(selector) and callgate.c does
 *                              what the CPU would; a gate the CPU honoured
 *                              would move code between rings behind the
 *                              monitor (docs/security.md)
 *   task gate               -> refused (the monitor ends the guest): a
 *                              hardware task switch would load CR3 and
 *                              rings behind the monitor
 *   interrupt/trap gates, reserved system types -> refused: no GDT holds them
 *
 * The accessed bit is copied as the guest has it: when the CPU loads a
 * selector whose real descriptor lacks it, its write of the bit into the
 * real table (read-only in the guest's view) faults, and vdesc.c sets it
 * in the guest's own descriptor in memory and in the copy, as the CPU
 * would have (vdesc_accessed).  Pure functions; tested on the host
 * (test/unit/test_desc.c).
 */
#ifndef TRAP_DESC_H
#define TRAP_DESC_H

#include <stdbool.h>
#include <stdint.h>

struct segdesc {
	uint32_t lo, hi;
};

/* hi word fields */
#define DESC_TYPE(d)    (((d).hi >> 8) & 0xFu)
#define DESC_S(d)       (((d).hi >> 12) & 1u)   /* 1: code or data */
#define DESC_DPL(d)     (((d).hi >> 13) & 3u)
#define DESC_P(d)       (((d).hi >> 15) & 1u)
#define DESC_DB(d)      (((d).hi >> 22) & 1u)
#define DESC_HI_DPL     (3u << 13)
#define DESC_HI_P       (1u << 15)
#define DESC_HI_S       (1u << 12)

/* code/data type bits (S = 1) */
#define SEG_T_ACCESSED  0x1u
#define SEG_T_W         0x2u    /* data: writable */
#define SEG_T_R         0x2u    /* code: readable */
#define SEG_T_C         0x4u    /* code: conforming */
#define SEG_T_CODE      0x8u

/* system types (S = 0) */
#define SYS_T_TSS16A    0x1u
#define SYS_T_LDT       0x2u
#define SYS_T_TSS16B    0x3u
#define SYS_T_CALL16    0x4u
#define SYS_T_TASK      0x5u
#define SYS_T_INT16     0x6u
#define SYS_T_TRAP16    0x7u
#define SYS_T_TSS32A    0x9u
#define SYS_T_TSS32B    0xBu
#define SYS_T_CALL32    0xCu
#define SYS_T_INT32     0xEu
#define SYS_T_TRAP32    0xFu
#define SYS_T_BUSY      0x2u    /* TSS busy bit */

#define SEL_RPL_MASK    3u
#define SEL_RPL(s)      ((s) & SEL_RPL_MASK)
#define SEL_NO_RPL(s)   ((uint32_t)(s) & 0xFFFCu)     /* index and TI */
#define SEL_TI          0x4u
#define SEL_INDEX(s)    ((uint32_t)(s) >> 3)

uint32_t desc_base(struct segdesc d);
uint32_t desc_limit(struct segdesc d);          /* in bytes, G applied */
struct segdesc desc_make(uint32_t base, uint32_t limit, unsigned type,
			 unsigned dpl, bool code_data, bool big);

/* A gate's target offset and selector. */
uint32_t gate_offset(struct segdesc g);
uint16_t gate_selector(struct segdesc g);
struct segdesc gate_make(uint32_t offset, uint16_t sel, unsigned type, unsigned dpl);

enum desc_verdict {
	DESC_COPY,      /* *out is the copy and the real descriptor */
	DESC_NULL,      /* both null (TSS, LDT, absent system descriptors) */
	DESC_GATE,      /* *out is the copy (a call gate); the real one is null */
	DESC_REFUSE,
};

/* Is d a call gate (16- or 32-bit, present or not)? */
static inline bool desc_is_call_gate(struct segdesc d)
{
	return !DESC_S(d) && (DESC_TYPE(d) == SYS_T_CALL16 || DESC_TYPE(d) == SYS_T_CALL32);
}

/* A call gate's parameter count: dwords (words for a 16-bit gate) copied
 * to the inner stack by a CALL that changes privilege. */
#define GATE_PARAMS(g)  ((g).hi & 0x1Fu)

/* The copy of guest descriptor g the monitor keeps (the real table holds
 * it too, unless DESC_GATE), or a refusal with a reason. */
enum desc_verdict desc_compress(struct segdesc g, struct segdesc *out,
				const char **why);

/* Could a data segment register (DS, ES, FS, GS) be loaded, at
 * privilege cpl, with a selector of RPL rpl that names d?  The checks of
 * MOV DS after the table lookup: a code or data segment, present, not
 * execute-only code, and DPL >= max(CPL, RPL) unless conforming code. */
bool desc_data_loadable(struct segdesc d, unsigned rpl, unsigned cpl);

/* Does every load of a data segment register with d fault, whatever the
 * privilege: a system descriptor (or null), not present, or execute-only
 * code?  Then no guest code can load the selector anew while its table
 * holds d. */
bool desc_data_unloadable(struct segdesc d);

/* What the exit path does with a data segment register (DS, ES) that
 * holds sel at privilege cpl.  The CPU keeps a loaded segment's hidden
 * descriptor until the register is loaded again, whatever happens to the
 * table meanwhile; the exit path must load the register in ring 0. */
enum seg_resume {
	SEG_RELOAD,     /* from the table: it holds a descriptor sel loads */
	SEG_KEEP,       /* with the descriptor it was loaded with, which the
			   table no longer has: no load of sel succeeds now */
	SEG_NULL,       /* null it, as the CPU's IRET to an outer ring does
			   for a segment the new CPL may not use */
};

/* table: what the table holds at sel (NULL: nothing, beyond its limit);
 * hidden: the descriptor the register was loaded with (NULL: unknown). */
enum seg_resume desc_data_resume(const struct segdesc *table, const struct segdesc *hidden,
				 uint16_t sel, unsigned cpl);

/* The selector as the real CPU must see it: RPL 0 becomes 1. */
static inline uint16_t sel_compress(uint16_t s)
{
	return SEL_RPL(s) == 0 && (s & ~3u) ? (uint16_t)(s | 1u) : s;
}

#endif
