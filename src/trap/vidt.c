/*
 * vidt.c - direct system-call gates: the guest's INT n into its kernel,
 * without the monitor.
 *
 * Mechanism: every gate of the real IDT goes to the monitor, so a guest
 * system call (INT 0x80 from user code) costs a trap, a decode and a
 * reflection through the guest's IDT.  But a system call changes nothing
 * the monitor virtualizes when the guest's gate is a 32-bit *trap* gate of
 * DPL 3 into its kernel's code: the CPU would switch to the kernel's stack
 * (the guest TSS's SS0:ESP0), push SS, ESP, EFLAGS, CS, EIP and jump,
 * leaving IF alone.  The real CPU can do exactly that into ring 1, if the
 * real IDT's gate names the guest's handler (its code selector compressed
 * to ring 1) and the real TSS's SS1:ESP1 is the guest's SS0:ESP0.  So for
 * such vectors the monitor installs a real gate of DPL 3 to ring 1, as
 * lguest and 32-bit Xen did, and keeps SS1:ESP1 equal to the guest's
 * SS0:ESP0.
 *
 * What that takes (vidt_sync() checks it before every resume):
 *   - the guest's IDT and the SS0:ESP0 of its TSS are followed in memory
 *     (watch.c): a gate edited, or a kernel stack switched by a plain
 *     store to the TSS, reaches the real tables before the next system
 *     call; if either page is let go, no gate is direct any more;
 *   - the gate is present, a 32-bit trap gate (an interrupt gate must clear
 *     the virtual IF: the monitor must see it), DPL 3, vector 0x30 or above
 *     (the CPU's exceptions and the host's IRQ vectors 0x20-0x2F stay the
 *     monitor's), to a present non-conforming code segment of the guest's
 *     ring 0 (real ring 1);
 *   - the guest's SS0 is a valid ring-0 stack selector;
 *   - the virtual IOPL is 0 and user code runs with the virtual IF set (the
 *     EFLAGS the CPU pushes are the real ones).
 * Anything else falls back to the monitor's path (reflect.c), which gives
 * the same result with a trap.  The monitor's own invariants hold: a
 * direct gate leads only to a validated ring-1 code selector, and SS1 is a
 * validated ring-1 stack selector.
 */
#include "vidt.h"
#include "guest.h"
#include "switcher.h"
#include "watch.h"
#include "shadow_mmu/shadow.h"
#include "monitor/x86.h"
#include "monitor/options.h"
#include "monitor/run.h"

#define DIRECT_FIRST 0x30u      /* below: exceptions and the host's IRQs */
#define TSS_ESP0_OFF 4u         /* SS0:ESP0 in a 32-bit TSS */

static void idt_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n);
static void tss_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n);
static void watch_lost(struct vcpu *v, void *ctx);

static struct watch idt_watch = { .name = "IDT", .wrote = idt_wrote, .lost = watch_lost };
static struct watch tss_watch = { .name = "TSS", .wrote = tss_wrote, .lost = watch_lost };

static struct {
	bool candidate[256];    /* the guest's gate qualifies (but for the rest) */
	struct segdesc gate[256];       /* ...and what it says */
	bool installed[256];    /* the real IDT holds a direct gate */
	bool usable;            /* both watches whole, SS0 valid */
	uint32_t generation;    /* vdesc_generation the candidates were checked at */
	bool dirty;             /* recheck before the next resume */
	bool tables_ok;         /* tables_allow() as of the last resync: what it
				   reads (the watches) changes only where dirty is
				   set (LIDT, LTR, a page let go) or at vidt_reset */
	bool stack_dirty;       /* only the guest's SS0:ESP0 changed */
} d;

/* The monitor's own gate for vector n (what switcher.c built). */
static void restore_gate(unsigned n)
{
	if (d.installed[n]) {
		switcher_set_gate(n, 0);
		d.installed[n] = false;
	}
}

static void all_off(void)
{
	for (unsigned n = DIRECT_FIRST; n < 256; n++)	/* bound: 256 vectors */
		restore_gate(n);
}

/* Reads the guest's gate n and decides whether it could be direct. */
static void check_vector(struct vcpu *v, unsigned n)
{
	struct segdesc g, cs;
	struct gva_fault f;

	d.candidate[n] = false;
	if (n < DIRECT_FIRST || n * 8 + 7 > v->idtr.limit ||
	    gva_read(v, v->idtr.base + n * 8, &g, sizeof g, 0, &f) != GVA_OK)
		return;
	if (!DESC_P(g) || DESC_S(g) || DESC_TYPE(g) != SYS_T_TRAP32 || DESC_DPL(g) != 3)
		return;
	uint16_t sel = sel_compress(gate_selector(g));
	if (guest_segment(v, sel, &cs) < 0 || !DESC_S(cs) || !DESC_P(cs) ||
	    (DESC_TYPE(cs) & (SEG_T_CODE | SEG_T_C)) != SEG_T_CODE || DESC_DPL(cs) != 1)
		return;
	d.candidate[n] = true;
	d.gate[n] = gate_make(gate_offset(g), (uint16_t)(sel & ~3u) | 1u, SYS_T_TRAP32, 3);
}

static void check_all(struct vcpu *v)
{
	for (unsigned n = DIRECT_FIRST; n < 256; n++)	/* bound: 256 vectors */
		check_vector(v, n);
	d.generation = vdesc_generation;
}

/* The real TSS's SS1:ESP1 from the guest TSS's SS0:ESP0; false if the
 * guest has none that a ring-1 entry could use. */
static bool load_stack(struct vcpu *v)
{
	uint32_t pair[2];
	struct gva_fault f;

	if (v->tr == 0 || v->tr_limit < TSS_ESP0_OFF + 7 ||
	    gva_read(v, v->tr_base + TSS_ESP0_OFF, pair, sizeof pair, 0, &f) != GVA_OK)
		return false;
	uint16_t ss = sel_compress((uint16_t)pair[1]);
	if (!stack_sel_valid(v, ss) || SEL_RPL(ss) != 1)
		return false;
	switcher_set_ring1_stack(ss, pair[0]);
	return true;
}

void vidt_lidt(struct vcpu *v)
{
	watch_set(v, &idt_watch, v->idtr.base, v->idtr.limit + 1);
	check_all(v);
	d.dirty = true;
}

void vidt_ltr(struct vcpu *v)
{
	watch_set(v, &tss_watch, v->tr_base + TSS_ESP0_OFF, 8);
	d.dirty = true;
}

static void idt_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n)
{
	(void)ctx;
	/* bound: 256 vectors */
	for (uint32_t vec = off / 8; vec <= (off + n - 1) / 8 && vec < 256; vec++)
		check_vector(v, vec);
	d.dirty = true;
}

static void tss_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n)
{
	(void)ctx, (void)off, (void)n;
	d.stack_dirty = true;   /* a new kernel stack: SS1:ESP1 follow it */
	(void)v;
}

static void watch_lost(struct vcpu *v, void *ctx)
{
	(void)v, (void)ctx;
	d.dirty = true;
}

/* Whether direct gates may be used for the frame about to be resumed.
 * iflag=real: the EFLAGS the CPU pushes carry the real IF, which is the
 * virtual one (iflag=soft shows the hole: no direct gates there).  Never
 * in ring=3: a system call must switch the shadow view, and there is no
 * inner ring for the CPU to switch stacks into. */
static bool tables_allow(void)
{
	return mon_opts.ring == 1 && mon_opts.iflag == IFLAG_REAL && idt_watch.len &&
	       tss_watch.len && watch_complete(&idt_watch) && watch_complete(&tss_watch);
}

static bool allowed(const struct vcpu *v)
{
	return d.tables_ok && v->iopl == 0 && !v->shadow_step;
}

/* Something changed: the candidates, the kernel stack, or whether gates
 * may be direct at all (ok).  Out of line: vidt_sync() runs before every
 * resume, and this rarely. */
static __attribute__((noinline)) void resync(struct vcpu *v)
{
	bool ok;

	d.tables_ok = tables_allow();
	ok = allowed(v);
	if (d.generation != vdesc_generation) {
		check_all(v);   /* a code selector may have changed */
		d.dirty = true;
	}
	if (d.stack_dirty && !d.dirty && ok && d.usable) {
		/* a context switch wrote the kernel stack, nothing else: the
		 * gates stand if the new stack does (every switch does this) */
		d.stack_dirty = false;
		if (load_stack(v))
			return;
		d.dirty = true;
	}
	if (!d.dirty && ok == d.usable)
		return;
	d.dirty = false;
	d.stack_dirty = false;
	d.usable = ok && load_stack(v);
	for (unsigned n = DIRECT_FIRST; n < 256; n++) {	/* bound: 256 vectors */
		if (!d.usable || !d.candidate[n]) {
			restore_gate(n);
			continue;
		}
		switcher_set_gate(n, &d.gate[n]);
		if (!d.installed[n])
			v->stats.direct_gates++;
		d.installed[n] = true;
	}
}

void vidt_sync(struct vcpu *v)
{
	if (d.generation != vdesc_generation || d.dirty || d.stack_dirty || allowed(v) != d.usable)
		resync(v);      /* else nothing changed since the last resume: most traps */
}

uint32_t vidt_esp0_va(const struct vcpu *v, uint32_t gpa)
{
	if (!tss_watch.len || !watch_complete(&tss_watch) || !watch_sole(&tss_watch, gpa))
		return 0;
	return v->tr_base + TSS_ESP0_OFF;
}

void vidt_esp0_stored(uint32_t gpa)
{
	watch_hit(&tss_watch, gpa);
}

void vidt_reset(struct vcpu *v)
{
	all_off();
	watch_set(v, &idt_watch, 0, 0);
	watch_set(v, &tss_watch, 0, 0);
	d.usable = false;
	d.dirty = false;
	d.tables_ok = false;    /* (nothing watched) */
}
