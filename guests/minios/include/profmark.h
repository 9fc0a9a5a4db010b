/*
 * profmark.h - marks a benchmark's measured loop for `make profile`.
 *
 * Mechanism: the long NOP `nopl disp32(%eax)` (0F 1F 80 + a 32-bit
 * displacement) does nothing on any CPU since the Pentium Pro: it neither
 * reads memory nor changes a flag, and it never traps, so under the
 * monitor it runs directly in ring 1 or 3 like any other instruction.  Its
 * displacement is free to carry a code.  tools/profile/trapprof.c, a QEMU
 * plugin, watches for these NOPs: BEGIN opens a measurement window (its
 * counters are zeroed), END closes it (they are written out), and then
 * PROFMARK_OPS_BITS bit marks, most significant first, say how many
 * operations the window timed.
 *
 * Placement: BEGIN just before the opening RDTSC, END just before the
 * closing one, so the window holds what the RDTSC pair times (the store
 * of the first reading included: after a fork it can fault, a whole page
 * copy) plus the first RDTSC; a benchmark's own count grows by one
 * instruction per window (END), not per operation.  The bit marks run
 * after the closing RDTSC.  A BEGIN while a window is open is ignored
 * (ctx-switch's child runs its parent's loop).
 */
#ifndef MINIOS_PROFMARK_H
#define MINIOS_PROFMARK_H

#define PROFMARK_MAGIC     0x50524600u  /* displacement bytes xx 'F' 'R' 'P' */
#define PROFMARK_MAGIC_MASK 0xFFFFFF00u
#define PROFMARK_BEGIN     0x01u
#define PROFMARK_END       0x02u
#define PROFMARK_BIT0      0x10u
#define PROFMARK_BIT1      0x11u
#define PROFMARK_OPS_BITS  32

/* The instruction's encoding: opcode 0F 1F /0, ModRM 0x80 (mod 10: a
 * 32-bit displacement; r/m 000: EAX), then the displacement. */
#define PROFMARK_LEN       7
#define PROFMARK_OPCODE0   0x0Fu
#define PROFMARK_OPCODE1   0x1Fu
#define PROFMARK_MODRM     0x80u

#ifndef PROFMARK_CONSTANTS_ONLY
#define PROFMARK(code) \
	__asm__ volatile(".byte 0x0f, 0x1f, 0x80\n\t.long %c0" :: "i"(PROFMARK_MAGIC | (code)))

static inline void profmark_begin(void) { PROFMARK(PROFMARK_BEGIN); }
static inline void profmark_end(void) { PROFMARK(PROFMARK_END); }

/* How many operations the window just closed timed. */
static inline void profmark_ops(unsigned int ops)
{
	for (int b = PROFMARK_OPS_BITS - 1; b >= 0; b--) {
		if ((ops >> b) & 1)
			PROFMARK(PROFMARK_BIT1);
		else
			PROFMARK(PROFMARK_BIT0);
	}
}
#endif

#endif
