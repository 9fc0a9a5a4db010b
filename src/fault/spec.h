/*
 * spec.h - one fault, as the monitor's command line describes it.
 *
 * A fault-injection run (docs/fault-injection.md) injects exactly one
 * fault, described by three options:
 *
 *   fault=TARGET    what is corrupted
 *     reg:R:B[:W]     bits B..B+W-1 (a burst, W default 1) of guest register
 *                     R (eax ecx edx ebx esp ebp esi edi eip eflags) in the
 *                     state the guest resumes with
 *     mem:VA:B        bit B (0-7) of the guest byte at guest-linear VA
 *     pte:VA:B        bit B (0-31) of the guest page-table entry that maps VA
 *     pde:VA:B        ...of the page-directory entry that maps VA
 *     insn:OFF:B      bit B of the byte OFF (0-14) after the guest EIP the
 *                     guest resumes at (the next instruction it executes)
 *     port:P:B        bit B of the value the next IN from port P returns
 *     irq:lost        the next virtual timer interrupt (IRQ 0) never comes
 *     irq:delay:MS    ...comes MS milliseconds of virtual time late
 *     irq:spurious    an IRQ 0 no timer raised
 *     irq:lapic:...   the same for the local APIC timer's interrupt (the
 *                     timer of an APIC kernel such as xv6); irq:pit:... is
 *                     the default above
 *     emul:B          bit B of the result of the next emulated instruction
 *                     that has one (IN, RDMSR, MOV from CR/DR: the register
 *                     written; CLI/STI: the virtual IF)
 *     shadow:invlpg   the next guest INVLPG is not applied to the shadow
 *     shadow:ptwrite  the next emulated page-table write does not update the
 *                     shadow (a stale shadow entry)
 *   trigger=WHEN    when it is injected
 *     trap:V:N        the Nth trap with real vector V (0-255; 32 = the
 *                     monitor's timer interrupt)
 *     emul:I:N        the Nth emulated instruction of kind I (cli, in, ...)
 *     shadow:E:N      the Nth shadow event E (fill, flush, invlpg, ptwrite)
 *     irq:N           the Nth virtual interrupt delivered to the guest
 *     eip:VA:K        the Kth execution of the guest instruction at linear
 *                     VA (a real debug-register breakpoint)
 *     time:US         the first trap at or after US microseconds of virtual
 *                     time (deterministic under QEMU -icount)
 *   persist=P       once (default): a transient fault; N: stuck-at, forced
 *                   again at each of the next N traps; forever
 *
 * Pure: parsed here without hardware, tested on the host
 * (test/unit/test_fault.c).  options.c calls in for these three words.
 */
#ifndef FAULT_SPEC_H
#define FAULT_SPEC_H

#include <stddef.h>
#include <stdint.h>

enum fault_target {
	FT_NONE, FT_REG, FT_MEM, FT_PTE, FT_PDE, FT_INSN, FT_PORT, FT_IRQ, FT_EMUL,
	FT_SHADOW, FT_COUNT
};

/* FT_REG: the general registers in enum gpr order, then these two. */
#define FREG_EIP    8u
#define FREG_EFLAGS 9u
#define FREG_COUNT  10u

enum fault_irq { FIRQ_LOST, FIRQ_DELAY, FIRQ_SPURIOUS };
enum fault_timer { FTIMER_PIT, FTIMER_LAPIC };   /* whose interrupt irq: hits */
enum fault_shadow { FSH_INVLPG, FSH_PTWRITE };

enum trigger_kind { TG_NONE, TG_TRAP, TG_EMUL, TG_SHADOW, TG_IRQ, TG_EIP, TG_TIME };
enum shadow_event { SEV_FILL, SEV_FLUSH, SEV_INVLPG, SEV_PTWRITE, SEV_COUNT };

#define PERSIST_ONCE    0u
#define PERSIST_FOREVER 0xFFFFFFFFu
#define FAULT_BIT_MAX   32u
#define FAULT_INSN_OFF_MAX 14u
#define FAULT_DELAY_MS_MAX 10000u

struct fault_spec {
	enum fault_target target;
	unsigned reg;           /* FT_REG: enum gpr order, FREG_EIP, FREG_EFLAGS */
	uint32_t addr;          /* FT_MEM/PTE/PDE: guest-linear; FT_PORT: port;
				   FT_INSN: byte offset after EIP */
	unsigned bit, width;    /* bits [bit, bit+width) are flipped */
	unsigned mode;          /* FT_IRQ: enum fault_irq; FT_SHADOW: fault_shadow */
	uint32_t delay_ms;      /* FIRQ_DELAY */
	unsigned timer;         /* FT_IRQ: enum fault_timer */

	enum trigger_kind trig;
	unsigned trig_what;     /* TG_TRAP: vector; TG_EMUL: enum insn_kind;
				   TG_SHADOW: enum shadow_event */
	uint32_t trig_addr;     /* TG_EIP */
	uint32_t trig_count;    /* the N or K of the trigger */
	uint64_t trig_us;       /* TG_TIME */

	uint32_t persist;       /* PERSIST_ONCE, traps stuck, PERSIST_FOREVER */
};

/* Parse the value of fault=, trigger= or persist= into *s.  Return 0, or
 * -1 with a one-line reason in err. */
int fault_parse_target(const char *v, size_t n, struct fault_spec *s, char *err, size_t errlen);
int fault_parse_trigger(const char *v, size_t n, struct fault_spec *s, char *err, size_t errlen);
int fault_parse_persist(const char *v, size_t n, struct fault_spec *s, char *err, size_t errlen);

/* After all options: a fault needs a trigger and the other way round.
 * Returns 0, or -1 with the reason. */
int fault_check(const struct fault_spec *s, char *err, size_t errlen);

/* One-line descriptions for the log ("reg eax bits 5-7", "trap 14 #100"). */
void fault_describe_target(const struct fault_spec *s, char *buf, size_t n);
void fault_describe_trigger(const struct fault_spec *s, char *buf, size_t n);

/* The mask of the bits flipped: bits [bit, bit+width) of 32. */
uint32_t fault_mask(const struct fault_spec *s);

/* Name tables shared with the trigger logic and the messages. */
const char *fault_reg_name(unsigned reg);
const char *fault_insn_name(unsigned kind);     /* NULL if no trigger name */
const char *fault_shadow_event_name(unsigned ev);

#endif
