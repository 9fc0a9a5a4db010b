/*
 * trap.c - the one dispatcher: every trap from the guest comes here.
 *
 * The life of a trap (docs/architecture.md walks through it):
 *
 *   1. the guest runs in ring 1 (kernel) or 3 (user); something traps
 *   2. the CPU enters the switcher's stub on the vCPU page's stack;
 *      sw_alltraps saves the registers, loads the monitor's CR3 and stack
 *   3. guest_trap() copies the frame into vcpu0 and decides, by vector:
 *        host IRQ (0x20-0x2F)  the monitor's own timer: virtual time passes
 *        #PF                   shadow_fault(): a hidden fault is filled,
 *                              a write to a protected guest page table is
 *                              emulated (memop.c), a guest fault is
 *                              reflected with its CR2
 *        #GP                   decode the instruction; ring 1: emulate
 *                              it; INT n: deliver through the guest's
 *                              gate if it allows; otherwise reflect #GP
 *        #DB                   the end of an STI shadow we single-stepped,
 *                              or the guest's own
 *        other exceptions      reflect through the guest's IDT
 *   4. before resuming: devices catch up, a pending virtual interrupt is
 *      delivered if the virtual IF allows, the frame is made safe to load
 *   5. the exit path loads the shadow CR3 and IRETs into the guest
 *
 * A #PF that only fills the shadow, or is the guest's own, takes a light
 * path (light_pf, below) when step 4 would change nothing in the frame.
 *
 * EIP is advanced here, in this file only, when an emulation says EMUL_NEXT
 * (general_protection and page_table_write).
 */
#include "trap.h"
#include "emul.h"
#include "fastesp0.h"
#include "fastptw.h"
#include "guest.h"
#include "reflect.h"
#include "switcher.h"
#include "vidt.h"
#include "shadow_mmu/shadow.h"
#include "monitor/devices.h"
#include "monitor/debugreg.h"
#include "monitor/hostcpu.h"
#include "monitor/hosthw.h"
#include "monitor/run.h"
#include "monitor/stats.h"
#include "monitor/x86.h"
#include "monitor/monitor.h"
#include "monitor/memory.h"
#include "lib/mem.h"
#include "fault/fault.h"

struct vcpu vcpu0;

/* ---- fetching the guest's instruction ---- */

/* The decoder reads byte by byte; the page's translation is looked up
 * (and its A bit set, as an instruction fetch does) once per page, and its
 * bytes are then read straight from the host frame. */
struct fetch_ctx {
	struct vcpu *v;
	struct gva_fault f;
	enum gva_result r;
	bool have_page;
	uint32_t page_va;
	const uint8_t *page;    /* the host frame behind page_va */
};

static int walk_page(struct fetch_ctx *c, uint32_t addr);

static int fetch_page(struct fetch_ctx *c, uint32_t addr)
{
	uint32_t va = addr & ~(MON_PGSIZE - 1), shadow_hpa;

	if (va < SWITCHER_BASE && shadow_lookup(va, &shadow_hpa)) {
		c->have_page = true;    /* the CPU's own translation: no walk */
		c->page_va = va;
		c->page = host_va(shadow_hpa);
		return 0;
	}
	return walk_page(c, addr);
}

/* The shadow does not map it (yet): the guest's tables do, or the fetch
 * faults.  Out of line: the CPU just ran from the page, so it is rare. */
static __attribute__((noinline)) int walk_page(struct fetch_ctx *c, uint32_t addr)
{
	uint32_t va = addr & ~(MON_PGSIZE - 1), g;
	hpa_t h;

	c->r = gva_translate(c->v, va, vcpu_cpl(c->v) == 3 ? GVA_USER : 0, &g, &c->f);
	if (c->r != GVA_OK) {
		c->f.va = addr;
		return 1;
	}
	if (gpa_to_hpa(gpa(g), &h) < 0) {
		c->r = GVA_BAD_GPA;
		c->f.bad_gpa = g;
		return 1;
	}
	c->have_page = true;
	c->page_va = va;
	c->page = host_va(h.v);
	return 0;
}

static int fetch_byte(void *ctx, uint32_t addr, uint8_t *byte)
{
	struct fetch_ctx *c = ctx;

	if ((!c->have_page || c->page_va != (addr & ~(MON_PGSIZE - 1))) && fetch_page(c, addr))
		return 1;
	*byte = c->page[addr & (MON_PGSIZE - 1)];
	return 0;
}

/* Decoded instructions by linear address: a trap site is decoded once and
 * then only its bytes are compared (fetched as above), so an instruction
 * the guest rewrote is decoded again.  Direct-mapped.  An entry keeps its
 * first four bytes as a word and a mask (fewer for a shorter
 * instruction): most trap sites are one to three bytes long, one compare. */
#define DECODE_CACHE 64u

static struct decoded {
	uint32_t addr;
	bool code16, valid;
	uint32_t head, head_mask;       /* bytes 0-3 (little-endian), and which count */
	struct insn in;
} decoded[DECODE_CACHE];

typedef uint32_t __attribute__((aligned(1), may_alias)) unaligned_u32;

static unsigned decode_slot(uint32_t addr)
{
	return (addr ^ (addr >> 6)) % DECODE_CACHE;
}

/* Does the instruction at p (with 3 readable bytes past its end) still
 * hold e's bytes? */
static bool same_insn(const struct decoded *e, const uint8_t *p)
{
	if ((*(const unaligned_u32 *)p ^ e->head) & e->head_mask)
		return false;
	for (unsigned i = 4; i < e->in.len; i++)	/* bound: in.len <= INSN_MAX_LEN bytes */
		if (p[i] != e->in.bytes[i])
			return false;
	return true;
}

/* The cached decoding of the instruction at addr, if its bytes are still
 * the ones decoded (read through c); else NULL. */
static const struct insn *cached_decode(struct fetch_ctx *c, uint32_t addr, bool code16)
{
	const struct decoded *e = &decoded[decode_slot(addr)];
	unsigned len = e->in.len, off = addr & (MON_PGSIZE - 1);
	uint8_t b;

	if (!e->valid || e->addr != addr || e->code16 != code16)
		return 0;
	if (off + len + 3 <= MON_PGSIZE) {      /* one page: compare in place */
		if (fetch_page(c, addr))
			return 0;
		return same_insn(e, c->page + off) ? &e->in : 0;
	}
	for (unsigned i = 0; i < len; i++)	/* bound: len <= INSN_MAX_LEN bytes */
		if (fetch_byte(c, addr + i, &b) || b != e->in.bytes[i])
			return 0;
	return &e->in;
}

static void remember_decode(uint32_t addr, bool code16, const struct insn *in)
{
	struct decoded *e = &decoded[decode_slot(addr)];
	unsigned n = in->len < 4 ? in->len : 4;

	e->addr = addr;
	e->code16 = code16;
	e->in = *in;
	e->head = 0;
	for (unsigned i = 0; i < n; i++)	/* bound: n <= 4 bytes */
		e->head |= (uint32_t)in->bytes[i] << (8 * i);
	e->head_mask = n == 4 ? 0xFFFFFFFFu : (1u << (8 * n)) - 1;
	e->valid = true;
}

/* The code segment's base and default size, looked up once per selector
 * and vdesc_generation (a trap comes from the same CS almost always). */
static struct {
	uint32_t sel, generation, base;
	bool code16, valid;
} code_seg;

static void code_segment(const struct vcpu *v, uint32_t *base, bool *code16)
{
	uint32_t sel = v->tf.cs & 0xFFFF;

	if (!code_seg.valid || code_seg.sel != sel || code_seg.generation != vdesc_generation) {
		struct segdesc cs;
		bool have_cs = guest_segment(v, (uint16_t)sel, &cs) == 0;
		code_seg.code16 = have_cs && !DESC_DB(cs);
		code_seg.base = have_cs ? desc_base(cs) : 0;
		code_seg.sel = sel;
		code_seg.generation = vdesc_generation;
		code_seg.valid = true;
	}
	*base = code_seg.base;
	*code16 = code_seg.code16;
}

/* Decodes the instruction at the guest's CS:EIP into *buf, or finds it in
 * the cache; *in points at the result. */
static enum decode_result decode_guest(struct vcpu *v, struct insn *buf, const struct insn **in,
				       struct fetch_ctx *c)
{
	uint32_t base;
	bool code16;

	code_segment(v, &base, &code16);
	struct decode_ops ops = { fetch_byte, c, code16 };
	uint32_t addr = base + v->tf.eip;

	c->v = v;
	c->r = GVA_OK;
	c->have_page = false;
	*in = cached_decode(c, addr, code16);
	if (*in)
		return DECODE_OK;
	c->r = GVA_OK;
	*in = buf;
	enum decode_result r = decode_insn(&ops, addr, buf);
	if (r == DECODE_OK)
		remember_decode(addr, code16, buf);
	return r;
}

/* ---- #GP: privileged instructions, INT n ---- */

static bool is_soft_int(const struct insn *in)
{
	return in->kind == INSN_INT || in->kind == INSN_INT3 || in->kind == INSN_INTO;
}

static void undecodable(struct vcpu *v, enum decode_result r, struct insn *in,
			struct fetch_ctx *c)
{
	switch (r) {
	case DECODE_FETCH_FAULT:
		if (c->r == GVA_BAD_GPA)
			guest_die("its code at 0x%x is at guest-physical 0x%x, not RAM",
				  in->fault_addr, c->f.bad_gpa);
		reflect_pf(v, c->f.va, c->f.err);
		trace_action("fetch #PF reflected");
		return;
	case DECODE_INVALID:
		reflect(v, T_UD, EV_FAULT, 0);
		trace_action("#UD reflected");
		return;
	case DECODE_TOO_LONG:
		reflect(v, T_GP, EV_FAULT, 0);
		trace_action("too long: #GP reflected");
		return;
	default:
		stats_refused(v, in);
		reflect(v, T_GP, EV_FAULT, v->tf.err);
		trace_action("undecodable: #GP reflected");
		return;
	}
}

/* Decode the instruction at the guest's EIP (into *buf, or from the
 * cache) for the trace; if it cannot be decoded, give the guest the fault
 * the CPU would and return NULL.  Always inlined: it is on the path of
 * every #GP. */
static inline __attribute__((always_inline))
const struct insn *decode_at_eip(struct vcpu *v, struct insn *buf)
{
	struct fetch_ctx c;
	const struct insn *in;
	enum decode_result r = decode_guest(v, buf, &in, &c);

	trace_insn(v, r == DECODE_OK ? in : 0);
	if (r != DECODE_OK) {
		undecodable(v, r, buf, &c);
		return 0;
	}
	return in;
}

/* Instructions after which a single-stepping guest gets no #DB of its
 * own: INT n clears TF on the way in (the CPU steps over it), MOV SS and
 * POP SS hold the trap back one instruction, HLT waits for an interrupt. */
static bool steps_after(const struct insn *in)
{
	switch (in->kind) {
	case INSN_INT: case INSN_INT3: case INSN_INTO:
	case INSN_MOV_TO_SREG: case INSN_POP_SREG: case INSN_HLT:
		return false;
	default:
		return true;
	}
}

/* The single-step trap the CPU raises after an instruction that started
 * with EFLAGS.TF set: #DB with DR6.BS, EIP after the instruction. */
static void single_step_trap(struct vcpu *v)
{
	v->dr[6] |= DR6_BS;
	reflect(v, T_DB, EV_FAULT, 0);
	trace_action("single-step #DB after it");
}

/* Emulate the decoded instruction; advance EIP (the one place it is); a
 * guest stepping with TF gets its #DB after it. */
static void run_emulation(struct vcpu *v, const struct insn *in)
{
	bool stepping = (v->tf.eflags & FL_TF) && !v->shadow_step;

	switch (emulate(v, in)) {
	case EMUL_NEXT:
		v->tf.eip += in->len;
		v->tf.eflags &= ~FL_RF;         /* it completed */
		/* fall through */
	case EMUL_JUMPED:
		stats_emulated(v, in);
		trace_action("emulated");
		if (stepping && steps_after(in))
			single_step_trap(v);
		return;
	case EMUL_FAULTED:
		trace_action("emulated: it faults, fault injected");
		return;
	case EMUL_REFUSED:
		stats_refused(v, in);
		reflect(v, T_GP, EV_FAULT, v->tf.err);
		trace_action("not emulated: #GP injected");
		return;
	}
}

static void general_protection(struct vcpu *v)
{
	struct insn buf;
	const struct insn *in = decode_at_eip(v, &buf);

	if (!in)
		return;
	if (is_soft_int(in) && (v->tf.err & ERR_IDT)) {
		stats_emulated(v, in);
		emul_soft_int(v, in);
		trace_action("INT delivered through the guest's IDT");
		return;
	}
	run_emulation(v, in);
}

/* ---- #NP: the kernel's return to a user code segment we hide ---- */

/* vdesc.c keeps guest user code segments out of reach while the guest
 * kernel runs: a readable one as a data segment (the kernel's IRET or far
 * RET to it raises #GP(selector) and is emulated in general_protection),
 * an execute-only one not present: its IRET or far RET lands here and is
 * emulated like a #GP'd one.  A far JMP or CALL from the kernel to user
 * code gets the #GP(selector) the CPU gives for a DPL-3 target.  In
 * ring=3 it keeps the kernel's segments not present while user code runs:
 * user code loading one gets the #GP(selector) of a DPL below CPL (for
 * IRET and RETF the CPU checks RPL < CPL, also #GP(selector), first).
 * So does user code loading a DPL-0 segment the guest itself marks not
 * present: the CPU checks the DPL before P, and only the real DPL 3 lets
 * it get as far as P.  ring=3 also hides the kernel's conforming code
 * while the kernel runs, and its other code while it runs conforming code
 * (vdesc.c): a far JMP or CALL there is emulated too, since the CPU allows
 * it.  Any other #NP is the guest's. */
static bool user_loads_kernel_seg(const struct vcpu *v)
{
	return !(v->tf.err & (ERR_EXT | ERR_IDT)) &&
	       vdesc_user_refused((uint16_t)(v->tf.err & ~(ERR_EXT | ERR_IDT)));
}

static void segment_not_present(struct vcpu *v)
{
	uint16_t sel = (uint16_t)(v->tf.err & ~(ERR_EXT | ERR_IDT));
	struct insn buf;
	const struct insn *in;

	if (user_loads_kernel_seg(v)) {
		reflect(v, T_GP, EV_FAULT, sel);
		trace_action("user load of a kernel segment: #GP reflected");
		return;
	}
	bool kernel_code = vdesc_hidden_kernel_code(sel);
	if ((v->tf.err & (ERR_EXT | ERR_IDT)) || !(kernel_code || vdesc_hidden_user_cs(sel))) {
		reflect(v, T_NP, EV_FAULT, v->tf.err);
		trace_action("#NP reflected");
		return;
	}
	if (!(in = decode_at_eip(v, &buf)))
		return;
	if (in->kind == INSN_IRET || in->kind == INSN_RET_FAR ||
	    (kernel_code && (in->kind == INSN_JMP_FAR || in->kind == INSN_CALL_FAR))) {
		run_emulation(v, in);
		return;
	}
	reflect(v, T_GP, EV_FAULT, sel);
	trace_action(kernel_code ? "kernel load of execute-only code: #GP reflected"
				 : "kernel jump to user code: #GP reflected");
}

/* ---- #SS: ring=3 user code loading a hidden kernel stack segment ---- */

/* MOV SS, POP SS or LSS of a kernel segment by user code whose RPL is 3
 * passes the CPU's checks against the real descriptor (DPL 3) and finds
 * it not present: for SS that is #SS(selector), where the guest's CPU
 * gives #GP(selector) for a DPL below CPL (attack=split-selectors).  Any
 * other #SS is the guest's. */
static void stack_fault(struct vcpu *v)
{
	if (user_loads_kernel_seg(v)) {
		reflect(v, T_GP, EV_FAULT, v->tf.err);
		trace_action("user load of a kernel stack segment: #GP reflected");
		return;
	}
	reflect(v, T_SS, EV_FAULT, v->tf.err);
	trace_action("exception reflected");
}

/* ---- #PF: hidden, a write to a protected page table, or the guest's ---- */

/* The guest wrote a page table shadow=cached protects: do the write for
 * it (memop.c).  An instruction the emulator does not know gets the
 * frame released from protection and runs itself; if that cannot be done
 * (the active page directory), the guest ends with the reason. */
/* The shadow let a page-table frame go at a byte-wise write: the guest
 * runs the instruction itself (out of line: make profile names the trap
 * by this function). */
static __attribute__((noinline)) void pt_frame_recycled(struct vcpu *v, uint32_t va)
{
	v->stats.pt_write_recycled++;
	trace_pf(va, "page-table frame rewritten byte-wise: released, retried");
}

static void page_table_write(struct vcpu *v, uint32_t va, uint32_t gpa)
{
	struct insn buf;
	bool stepping = (v->tf.eflags & FL_TF) && !v->shadow_step;
	const struct insn *in = decode_at_eip(v, &buf);

	if (!in)
		return;
	if (shadow_release_recycled(v, va, gpa, in->width)) {
		pt_frame_recycled(v, va);
		return;
	}
	switch (emul_pt_write(v, in)) {
	case EMUL_NEXT:
		fastesp0_arm(v, in, va);        /* the next time, the switcher alone? */
		fastptw_arm(v, in, va, gpa);
		v->tf.eip += in->len;
		v->tf.eflags &= ~FL_RF;
		/* fall through */
	case EMUL_JUMPED:
		v->stats.pt_writes++;
		stats_emulated(v, in);
		trace_pf(va, "page-table write emulated");
		if (stepping)
			single_step_trap(v);
		return;
	case EMUL_FAULTED:
		trace_pf(va, "page-table write faults: fault injected");
		return;
	case EMUL_REFUSED:
		if (!shadow_release(v, va))
			guest_die("%s at 0x%x writes 0x%x, in its active page directory, "
				  "which stays write-protected; the monitor emulates only MOV, XCHG, "
				  "CMPXCHG(8B), XADD, ALU ops and STOS/MOVS there", in->mnem,
				  v->tf.eip, va);
		v->stats.pt_write_refused++;
		trace_pf(va, "page-table write not emulable: frame released, retried");
		return;
	}
}

/* The guest touched a device's registers (never mapped in a shadow):
 * perform the access on the device model (mmio.c) and retire it. */
static void mmio_access(struct vcpu *v, uint32_t va, uint32_t gpa)
{
	struct insn buf;
	bool stepping = (v->tf.eflags & FL_TF) && !v->shadow_step;
	const struct insn *in = decode_at_eip(v, &buf);

	if (!in)
		return;
	switch (emul_mmio(v, in, va, gpa)) {
	case EMUL_NEXT:
		v->tf.eip += in->len;
		v->tf.eflags &= ~FL_RF;
		stats_emulated(v, in);
		trace_pf(va, "MMIO access emulated");
		if (stepping)   /* the CPU's #DB after the access (found by fuzz_trap) */
			single_step_trap(v);
		return;
	case EMUL_FAULTED:
	case EMUL_JUMPED:
		trace_pf(va, "MMIO access faults: fault injected");
		return;
	case EMUL_REFUSED:
		guest_die("%s at 0x%x touches device registers at guest-physical 0x%x: the "
			  "monitor emulates MMIO by MOV, MOVZX/MOVSX, TEST, CMP, XCHG, CMPXCHG, "
			  "XADD and the ALU forms only", in->mnem, v->tf.eip, gpa);
	}
}

/* A #PF's shadow_fault() answer, when light_fill() has asked already
 * (and the answer was not a fill): the walk is made, its A and D bits
 * set, so page_fault() takes the answer instead of asking again.  Valid
 * for the trap that asked only. */
static struct {
	bool have;
	enum shadow_result r;
	uint32_t va, gerr, bad;
} pf_asked;

static void page_fault(struct vcpu *v)
{
	uint32_t va = rcr2(), gerr = 0, bad = 0;
	enum shadow_result r;

	if (pf_asked.have) {
		pf_asked.have = false;
		va = pf_asked.va;
		r = pf_asked.r;
		gerr = pf_asked.gerr;
		bad = pf_asked.bad;
	} else {
		if (va >= SWITCHER_BASE && vdesc_accessed(v, va)) {
			trace_pf(va, "accessed bit of a descriptor set");
			return;
		}
		r = shadow_fault(v, va, v->tf.err, &gerr, &bad);
	}
	switch (r) {
	case SHADOW_FILLED:
		trace_pf(va, "shadow filled (hidden fault)");
		return;
	case SHADOW_PT_WRITE:
		page_table_write(v, va, bad);   /* through the walk just made */
		gva_forget();
		return;
	case SHADOW_MMIO:
		mmio_access(v, va, bad);
		return;
	case SHADOW_GUEST_FAULT:
		reflect_pf(v, va, gerr);
		trace_pf(va, "guest #PF reflected");
		return;
	case SHADOW_BAD_GPA:
		guest_die("access to 0x%x at eip 0x%x reaches guest-physical 0x%x, beyond its "
			  "%u MB of RAM", va, v->tf.eip, bad, mon_opts.mem_mb);
	case SHADOW_SWITCHER:
		guest_die("access to 0x%x at eip 0x%x: the guest maps the monitor's switcher "
			  "slot 0x%x-0xffffffff", va, v->tf.eip, SWITCHER_BASE);
	}
}

/* ---- #DB: the end of an interrupt shadow, or the guest's ---- */

/* The monitor's own TF must not reach the guest's memory: if the
 * instruction it stepped was PUSHF, the image it pushed carries TF (the
 * guest's POPF would later re-arm it); clear it there. */
static void unstep_pushf(struct vcpu *v, uint32_t eip)
{
	uint32_t saved = v->tf.eip, fl;
	struct insn buf;
	struct gva_fault f;

	v->tf.eip = eip;
	const struct insn *in = decode_at_eip(v, &buf);
	v->tf.eip = saved;
	if (!in || in->kind != INSN_PUSHF)
		return;
	uint32_t at = segment_base(v, (uint16_t)v->tf.ss) +
		      (v->tf.esp & stack_mask(v, (uint16_t)v->tf.ss));
	if (gva_read(v, at, &fl, in->opsize, 0, &f) == GVA_OK) {
		fl &= ~FL_TF;
		gva_write(v, at, &fl, in->opsize, 0, &f);
	}
}

static void debug_trap(struct vcpu *v)
{
	uint32_t dr6 = rdr6();

	ldr6(DR6_FIXED1);               /* the CPU never clears DR6 itself */
	if (fault_armed && fault_debug_trap(v, &dr6))
		return;         /* the fault injector's breakpoint: never the guest's */
	if (v->shadow_step) {
		v->shadow_step = false;
		v->shadow_active = false;
		v->tf.eflags &= ~FL_TF;
		unstep_pushf(v, v->shadow_eip);
		trace_action("interrupt shadow over");
		return;
	}
	v->dr[6] |= dr6 & DR6_STATUS;
	reflect(v, T_DB, EV_FAULT, 0);
	trace_action("#DB reflected");
}

/* ---- #TS: an IRET with EFLAGS.NT ---- */

/* In ring 1 an IRET with NT set is a task return through the *monitor's*
 * TSS, whose back link is 0: the CPU raises #TS(0).  The guest's CPU would
 * have read its own TSS's back link: a busy 32-bit TSS there means a task
 * switch, which the monitor does not do (the guest ends); anything else is
 * #TS(that selector), as the CPU gives. */
static void task_segment_fault(struct vcpu *v)
{
	struct insn buf;
	const struct insn *in;
	struct segdesc d;
	uint16_t link = 0;
	struct gva_fault f;

	if (v->tf.err != 0 || !(v->tf.eflags & FL_NT)) {
		reflect(v, T_TS, EV_FAULT, v->tf.err);  /* a #TS of the guest's own */
		return;
	}
	if (!(in = decode_at_eip(v, &buf)))
		return;
	if (in->kind != INSN_IRET) {
		reflect(v, T_TS, EV_FAULT, v->tf.err);
		return;
	}
	if (v->tr)
		gva_read(v, v->tr_base, &link, sizeof link, 0, &f);
	if (vdesc_guest_desc(v, link, &d) == 0 && !DESC_S(d) && DESC_TYPE(d) == SYS_T_TSS32B)
		guest_die("IRET with EFLAGS.NT at 0x%x returns to task 0x%x: hardware task switches "
			  "are not supported", v->tf.eip, link);
	reflect(v, T_TS, EV_FAULT, link & ~3u);
	trace_action("IRET with NT: #TS(back link) reflected");
}

static void dispatch(struct vcpu *v)
{
	unsigned vector = v->tf.vector;

	if (vector >= HOST_IRQ_BASE && vector < HOST_IRQ_BASE + 16) {
		host_irq(vector - HOST_IRQ_BASE);
		trace_action("host IRQ");
		return;
	}
	switch (vector) {
	case T_PF: page_fault(v); return;
	case T_GP: general_protection(v); return;
	case T_NP: segment_not_present(v); return;
	case T_SS: stack_fault(v); return;
	case T_TS: task_segment_fault(v); return;
	case T_DB: debug_trap(v); return;
	case T_NMI:
		watchdog_nmi(v);
		trace_action("watchdog NMI");
		return;
	default:
		if (vector >= 32)
			mon_panic("vector %u from the guest, which no gate lets it raise", vector);
		reflect(v, vector, EV_FAULT, v->tf.err);
		trace_action("exception reflected");
	}
}

/* ---- before resuming ---- */

/* STI and MOV SS hold interrupts off for one instruction: if one is due
 * while the guest sits at that instruction, single-step it first. */
static void deliver_interrupt(struct vcpu *v, bool pending)
{
	if (!v->vif || !pending)
		return;
	if (v->shadow_active && v->tf.eip == v->shadow_eip) {
		if (!(v->tf.eflags & FL_TF)) {
			v->tf.eflags |= FL_TF;
			v->shadow_step = true;
		}
		return;
	}
	v->shadow_active = false;
	reflect(v, devices_irq_ack(), EV_EXTINT, 0);
}

/* The exit path reloads every segment register and IRETs: make sure
 * nothing in the frame can fault there or lift the guest's privilege.
 * The selectors last found good are remembered with vdesc_generation, two
 * sets for the guest's kernel and two for its user code: a system call
 * goes back and forth between the two modes, and a kernel entered from
 * user mode first runs with the user's data selectors, then loads its own
 * (a page fault handler reading CR2: two kernel sets in turn).  The same
 * selectors over the same descriptors need no second look.  With them goes
 * what the exit path needs to know of SS: whether it is a 16-bit stack
 * (espfix). */
#define CHECKED_WAYS 2u

static struct selector_set {
	uint32_t sel[3];        /* cs | ss << 16, ds | es << 16, fs | gs << 16 */
	uint32_t generation;
	bool valid;
	bool small_ss;          /* SS's descriptor has B = 0 */
} checked[2][CHECKED_WAYS];
static unsigned checked_next[2];        /* the way the next new set replaces */

/* Two selectors in one word, as a set keeps them (a frame's upper 16
 * bits of a pushed segment register are not the selector's). */
static inline uint32_t sel_pair(uint32_t lo, uint32_t hi)
{
	return (lo & 0xFFFF) | hi << 16;
}

/* The set frame t's selectors were found good in, or NULL. */
static inline __attribute__((always_inline))
const struct selector_set *selectors_checked(const struct trapframe *t)
{
	const struct selector_set *ways = checked[(t->cs & 3) == 3];
	uint32_t css = sel_pair(t->cs, t->ss), dses = sel_pair(t->ds, t->es);
	uint32_t fsgs = sel_pair(t->fs, t->gs);

	for (unsigned w = 0; w < CHECKED_WAYS; w++) {	/* bound: CHECKED_WAYS */
		const struct selector_set *c = &ways[w];
		if (c->sel[0] == css && c->sel[1] == dses && c->sel[2] == fsgs && c->valid &&
		    c->generation == vdesc_generation)
			return c;
	}
	return 0;
}

/* ring=3: the guest kernel, at real CPL 3, can load a DPL-3 stack segment
 * (its user code's) into SS without a fault, where its CPU refuses one at
 * CPL 0.  The CPU then holds a user stack segment in kernel mode: valid
 * for the exit path (every real descriptor is DPL 3), and nothing the
 * monitor's safety rests on; resumed as it is (docs/x86-holes.md). */
static bool ring3_alias(const struct vcpu *v)
{
	return mon_opts.ring == 3 && (v->tf.ss & 3) == 3;
}

/* CS and SS must load in the exit path, or the guest ends; a data
 * selector that would not load is nulled, as the CPU's IRET to an outer
 * ring nulls one the new CPL may not use.  Pure checks of the copies. */
static void validate_selectors(struct vcpu *v, uint32_t *const segs[4])
{
	unsigned cpl = v->tf.cs & 3;

	if (cpl == 0 || !code_sel_valid(v, (uint16_t)v->tf.cs))
		guest_die("would resume with CS 0x%x, not a valid guest code selector",
			  v->tf.cs & 0xFFFF);
	if (!stack_sel_valid(v, (uint16_t)v->tf.ss) || ((v->tf.ss & 3) != cpl && !ring3_alias(v)))
		guest_die("would resume with SS 0x%x, not a valid stack selector for ring %u",
			  v->tf.ss & 0xFFFF, cpl);
	for (unsigned i = 0; i < 4; i++) {	/* bound: DS, ES, FS, GS */
		uint32_t sel = *segs[i] & 0xFFFF;
		/* DS and ES (KEEP_DS, KEEP_ES) keep a descriptor their table
		 * lost; FS and GS are never reloaded */
		*segs[i] = i < KEEP_REGS ? vdesc_resume_data(i, (uint16_t)sel, cpl)
					 : data_sel_loadable(v, (uint16_t)sel, cpl) ? sel : 0;
		if (*segs[i] != sel)
			v->stats.seg_dropped++;
	}
}

/* Setting an accessed bit writes the guest's table, whose watch copies
 * that entry again from the guest's memory (vdesc.c): what it holds there
 * may no longer be what was checked (a descriptor the guest's memory and
 * the copy disagree on).  So the checks run again over the descriptors the
 * exit path will really load; the second pass sets no bit (every entry
 * the first touched is accessed now, or not a code or data segment). */
static const struct selector_set *check_selectors(struct vcpu *v)
{
	uint32_t *const segs[] = { &v->tf.ds, &v->tf.es, &v->tf.fs, &v->tf.gs };

	validate_selectors(v, segs);
	for (unsigned i = 0; i < 4; i++)	/* bound: DS, ES, FS, GS */
		vdesc_preaccess(v, (uint16_t)*segs[i]);
	vdesc_preaccess(v, (uint16_t)v->tf.cs);
	vdesc_preaccess(v, (uint16_t)v->tf.ss);
	validate_selectors(v, segs);
	unsigned mode = (v->tf.cs & 3) == 3;
	struct selector_set *c = &checked[mode][checked_next[mode]];
	checked_next[mode] = (checked_next[mode] + 1) % CHECKED_WAYS;
	c->sel[0] = sel_pair(v->tf.cs, v->tf.ss);
	c->sel[1] = sel_pair(*segs[0], *segs[1]);
	c->sel[2] = sel_pair(*segs[2], *segs[3]);
	c->small_ss = stack_mask(v, (uint16_t)v->tf.ss) == 0xFFFFu;
	c->generation = vdesc_generation;
	c->valid = !vdesc_keeps();      /* a kept register is checked at every resume */
	return c;
}

/* Returns whether the frame's SS is a 16-bit stack segment. */
static bool sanitize(struct vcpu *v)
{
	const struct selector_set *c = selectors_checked(&v->tf);

	if (c)
		vdesc_keep_none();      /* all load from the tables, as checked */
	else
		c = check_selectors(v);
	/* VIF and VIP stay: the guest's, with CR4.PVI (emul.c); the real
	 * CR4.VME and PVI are 0, so the CPU never acts on them */
	v->tf.eflags = (v->tf.eflags & ~(FL_IOPL | FL_VM | FL_IF)) | FL_RESERVED1;
	if (v->vif || mon_opts.iflag == IFLAG_SOFT)
		v->tf.eflags |= FL_IF;  /* iflag=real: the real IF is the virtual one */
	return c->small_ss;
}

/* Must the guest kernel's return to user mode trap?  Only if it would
 * change what the monitor keeps virtual: with the virtual IF clear (the
 * IRET pops IF = 1, which ring 1 cannot set) or a virtual IOPL other than
 * 0.  Otherwise the return runs natively: in ring 1 with the real IF set,
 * an IRET to user mode leaves IF and IOPL as they are, which is what the
 * popped image says for any kernel that returns to user mode with
 * interrupts on and IOPL 0 (a kernel that returns with IF = 0, or raises
 * IOPL for its user code, would not be seen: userret=trap sees it).  In
 * ring=3 it always traps: the shadow view must change with it. */
static bool user_return_must_trap(const struct vcpu *v)
{
	return !v->vif || v->iopl != 0 || mon_opts.userret_trap || mon_opts.ring == 3;
}

/* ---- ring=3: the guest's kernel at CPL 3 ---- */

/* The CPU holds the guest kernel's CS and SS with RPL 3 (every real
 * descriptor is DPL 3 there, vdesc.c); the monitor works with the RPL of
 * the guest's ring as compressed, 1 for its kernel, exactly as in ring=1,
 * so that every check and emulation is the same in both.  In conforming
 * code the CPL is the caller's: SS's RPL, since the CPU loads SS only with
 * RPL = DPL = CPL (a far JMP to conforming code keeps both).  At entry: */
static void from_real_rpl(struct vcpu *v)
{
	if (mon_opts.ring != 3 || v->user_view)
		return;
	v->tf.ss = vdesc_monitor_rpl((uint16_t)v->tf.ss, 3);
	v->tf.cs = vdesc_monitor_rpl((uint16_t)vdesc_alias_from_cpu(v->tf.cs & 0xFFFF),
				     v->tf.ss & 3);
	v->tf.ds = vdesc_alias_of((uint16_t)v->tf.ds);
	v->tf.es = vdesc_alias_of((uint16_t)v->tf.es);
	v->tf.fs = vdesc_alias_of((uint16_t)v->tf.fs);
	v->tf.gs = vdesc_alias_of((uint16_t)v->tf.gs);
}

/* ...and at exit, into the frame the CPU will IRET with (the kernel in
 * conforming code runs through its alias, vdesc.c). */
void guest_frame_to_cpu(struct trapframe *f)
{
	if (mon_opts.ring != 3)
		return;
	f->cs = vdesc_alias_to_cpu(f->cs & 0xFFFF) | SEL_RPL_MASK;
	f->ss |= SEL_RPL_MASK;
}

/* What FS or GS, holding sel, must hold in user mode: sel, the segment
 * the kernel's conforming-code alias stood for (the kernel loaded it from
 * CS there; a readable conforming segment stays loaded at CPL 3), or null. */
static uint16_t user_data_sel(const struct vcpu *v, uint16_t sel)
{
	sel = vdesc_alias_of(sel);
	return data_sel_loadable(v, sel, 3) ? sel : 0;
}

/* The guest enters user mode (user) or its kernel: the shadow view
 * follows, and CR0.AM (hosthw.c).  Entering user mode, an FS or GS still holding a kernel segment
 * is nulled, as the CPU's IRET to an outer ring does (the exit path never
 * reloads them, and for the CPU the real descriptor is DPL 3).  The test
 * is on the registers the CPU holds: sanitize() may already have nulled
 * the frame's copy (a kernel selector does not load at CPL 3), and the
 * exit path would leave the real one loaded: user code read FS 0x10 and
 * GS 0x10 (attack=split-iret), and an NMI in the monitor found GS naming
 * a descriptor now marked not present. */
static void enter_view(struct vcpu *v, bool user)
{
	uint16_t fs, gs, want;

	if (user == v->user_view)
		return;
	v->user_view = user;
	shadow_set_view(v, user ? SHADOW_USER : SHADOW_KERNEL);
	if (v->cr0 & CR0_AM)
		host_guest_cr_sync(v);  /* alignment checks: user code's only */
	if (!user)
		return;
	__asm__ volatile("mov %%fs, %0" : "=r"(fs));
	__asm__ volatile("mov %%gs, %0" : "=r"(gs));
	if ((want = user_data_sel(v, fs)) != fs) {
		v->tf.fs = want;
		__asm__ volatile("mov %w0, %%fs" : : "r"(want));
	}
	if ((want = user_data_sel(v, gs)) != gs) {
		v->tf.gs = want;
		__asm__ volatile("mov %w0, %%gs" : : "r"(want));
	}
}

/* What the real descriptor tables and the exit path must look like for
 * the frame about to be resumed: user code segments present in user mode,
 * and in kernel mode unless its return to user must trap (vdesc.c), and
 * espfix for a 16-bit stack segment (switcher.c). */
static void prepare_resume(struct vcpu *v, bool small)
{
	bool user = vcpu_cpl(v) == 3;

	vdesc_set_mode(user || !user_return_must_trap(v), !(user && mon_opts.ring == 3));
	if (mon_opts.ring == 3) {
		vdesc_alias_update(v, user);
		enter_view(v, user);
	}
	switcher_espfix(small, v->tf.esp);
	vidt_sync(v);
}

/* ---- the switcher's fast path (entry.asm, sw_fast_gp) ---- */

/* What the stub did since the last exit: the virtual IF, an STI shadow,
 * a CR3 it loaded.  (Its counts stay in sw_fast, for the exit table
 * alone: stats.c.)  sw_fast is the guest's to write (switcher.h): each
 * field is only ever taken as a value of its own type. */
static void fast_enter(struct vcpu *v)
{
	struct switcher_fast *f = sw_fast;
	bool vif = f->vif != 0;

	/* A CLI in the stub: IF went off at most one host tick (iflag=soft)
	 * or one watchdog period (iflag=real) before this trap, since either
	 * brings the guest here; ifwatch= counts seconds. */
	if (v->vif && !vif)
		v->vif_clear_since = host_pit_now();
	v->vif = vif;
	if (f->shadow_eip) {
		v->shadow_active = true;
		v->shadow_eip = f->shadow_eip;
		f->shadow_eip = 0;
	}
	fastptw_enter(v);               /* (before any shadow call) */
	if (f->cr[3] != v->cr3) {       /* the stub switched address spaces */
		v->cr3 = f->cr[3];
		shadow_new_cr3(v);
	}
	vdesc_mode_entered();           /* the stub's CLI or STI may have switched GDTs */
	fastesp0_enter(v);
}

/* The ports the IN fast path answers, published again after any port
 * write (the only way their values change: devices_stable_reads). */
static void fast_reads(void)
{
	static uint32_t published = ~0u;        /* devices_port_writes then */
	uint16_t ports[SW_FAST_READS];
	uint8_t values[SW_FAST_READS];
	struct sw_fast_read r[SW_FAST_READS];

	if (published == devices_port_writes)
		return;
	unsigned n = devices_stable_reads(ports, values, SW_FAST_READS);
	for (unsigned i = 0; i < n; i++)	/* bound: n <= SW_FAST_READS */
		r[i] = (struct sw_fast_read){ ports[i], values[i] };
	switcher_set_fast_reads(r, n);
	published = devices_port_writes;
}

/* The kernel selectors the stub may take as flat, remembered with the
 * descriptors' generation they were checked at, and as the stub is to
 * compare them (the CPU holds them with RPL 3 in ring=3). */
static struct {
	uint32_t cs, ss;        /* as found in a kernel frame */
	uint32_t generation;
	uint32_t stub_kcs, stub_kss;    /* as the stub compares them, or 0: not flat */
} flat;

static void flat_found(uint32_t kcs, uint32_t kss)
{
	uint32_t rpl = mon_opts.ring == 3 ? 3 : 0;

	flat.stub_kcs = kcs ? kcs | rpl : 0;
	flat.stub_kss = kss ? kss | rpl : 0;
}

static void fast_kernel_selectors(const struct vcpu *v)
{
	uint32_t cs = v->tf.cs & 0xFFFF, ss = v->tf.ss & 0xFFFF;

	if ((cs & 3) != 1) {    /* user mode: keep the kernel's if still valid */
		if (flat.generation != vdesc_generation)
			flat_found(0, 0);
		return;
	}
	if (cs == flat.cs && ss == flat.ss && flat.generation == vdesc_generation)
		return;
	flat.cs = cs;
	flat.ss = ss;
	flat_found(vdesc_flat((uint16_t)cs, true) ? cs : 0, vdesc_flat((uint16_t)ss, false) ? ss : 0);
	flat.generation = vdesc_generation;
}

/* The stub's CLI may hide the guest's user code by itself (LGDT of the
 * GDT that hides it, vdesc.c) in ring 1 when the LDT holds none, and its
 * STI (virtual IF off to on) show it where that is all
 * user_return_must_trap() asks: the kernel's next IRET to user mode then
 * runs natively, as it would have after an STI emulated in C (not while
 * tracing: a trace shows the CLI and the return through C, as before).  Where the
 * stub may not change what the tables show, its CLI is fast only with
 * user code already hidden (cli_fast), and its STI (off to on) finds
 * it hidden too (the virtual IF was off: the return had to trap), so both
 * images can name the hiding GDT.  Decided again only when what it
 * depends on changed (most exits: nothing). */
static struct {
	uint32_t generation, iopl;
	bool valid;
	bool hides;             /* the stub's CLI hides user code itself */
} gdt_rules;

static void fast_gdt_rules(const struct vcpu *v)
{
	if (gdt_rules.valid && gdt_rules.generation == vdesc_generation &&
	    gdt_rules.iopl == v->iopl)
		return;
	gdt_rules.hides = mon_opts.ring == 1 && vdesc_fast_gdt_ok() && !mon_opts.trace;
	switcher_fast_gdt(false, gdt_rules.hides && v->iopl == 0 && !mon_opts.userret_trap);
	gdt_rules.generation = vdesc_generation;
	gdt_rules.iopl = v->iopl;
	gdt_rules.valid = true;
}

/* What the stub may assume until the next trap; pending: a virtual
 * interrupt is due. */
/* What every exit tells the switcher's fast paths, the light path's
 * (light_leave) too: values a device or the shadow may have changed. */
static inline void fast_leave_always(struct vcpu *v)
{
	fast_reads();
	fastesp0_leave(v);
	fastptw_leave();
}

static void fast_leave(struct vcpu *v, bool pending)
{
	struct switcher_fast *f = sw_fast;

	fast_kernel_selectors(v);
	sw_data->kcs = flat.stub_kcs;
	sw_data->kss = flat.stub_kss;
	f->vif = v->vif;
	f->pending = pending;
	fast_gdt_rules(v);
	f->cli_fast = mon_opts.iflag == IFLAG_REAL && (gdt_rules.hides || !vdesc_user_visible());
	f->cr[0] = v->cr0;
	f->cr[2] = v->cr2;
	f->cr[3] = v->cr3;
	f->cr[4] = v->cr4;
	sw_data->paging = (v->cr0 & CR0_PG) != 0;
	fast_leave_always(v);
}

/* ---- every trap from the guest ---- */

/* What the light path did with a #PF (light_pf, below). */
enum light_outcome {
	LIGHT_DONE,             /* dealt with: the guest resumes with the frame */
	LIGHT_FULL,             /* nothing done: the full path runs */
	LIGHT_LEAVE,            /* delivered, on the vCPU: only trap_leave() runs */
};

/* The light path's state (light_pf, below). */
static struct {
	bool entered;           /* fast_enter() has run for this trap */
	bool known, ok;         /* light_allowed() since the last full exit */
} light;


/* From the frame the stub saved to the vCPU, ready to dispatch. */
static void trap_enter(struct vcpu *v, const struct trapframe *f)
{
	if (f->eflags & FL_VM)
		guest_die("the guest entered virtual-8086 mode (vector %u at %x:%x): an IRET with "
			  "EFLAGS.VM from ring 1, which QEMU honours there; the monitor does not "
			  "virtualize vm86", f->vector, f->cs & 0xFFFF, f->eip & 0xFFFF);
	v->tf = *f;
	from_real_rpl(v);
	vdesc_hidden_entry(v);
	if (!light.entered)
		fast_enter(v);
	light.entered = false;
	v->stats.traps[v->tf.vector & 0xFF]++;
	trace_begin(v);
	if (v->shadow_step && v->tf.vector != T_DB) {
		/* the single-stepped instruction trapped itself (sti; hlt):
		 * the step is over, and TF must not reach the guest's frames */
		v->shadow_step = false;
		v->tf.eflags &= ~FL_TF;
	}
	if (v->shadow_active && v->tf.eip != v->shadow_eip && !v->shadow_step)
		v->shadow_active = false;
}

/* From the vCPU to the frame the exit path loads, and what the switcher
 * must know until the next trap. */
static void trap_leave(struct vcpu *v, struct trapframe *f)
{
	trace_end(v);
	devices_sync(v);
	bool pending = devices_irq_pending() >= 0;
	deliver_interrupt(v, pending);
	if (fault_armed)
		fault_trap(v);
	prepare_resume(v, sanitize(v));
	vdesc_resume_patches(sw_priv->keep);
	fast_leave(v, pending && !v->vif);      /* delivered now, or still due */
	*f = v->tf;
	guest_frame_to_cpu(f);
	sw_priv->guest_cr3 = shadow_root();
	sw_priv->dr7_monitor = dr7_monitor();
	sw_priv->dr7_guest = dr7_guest();
	light.known = false;
}

/* ---- the light path: a #PF that fills the shadow or is the guest's ---- */

/* Most #PFs are hidden faults: the shadow lacked an entry the guest's
 * tables have, the fill adds it, and the guest retries the instruction.
 * Nothing the rest of the trap path works on changes: not the frame (but
 * for the EFLAGS sanitize() rebuilds the same way every time), not the
 * virtual IF, IOPL or control registers, not the descriptor copies
 * (vdesc_generation), not what vidt.c or the switcher's fast paths were
 * told at the last exit.  Most of the others are the guest's own, and the
 * reflection changes only the frame (CS:EIP, SS:ESP, EFLAGS), the virtual
 * IF (an interrupt gate) and CR2.  So when what the exit path needs is
 * what the last exit already left, the guest resumes straight away:
 * light_pf() checks exactly the conditions under which trap_leave()'s own
 * work (sanitize, prepare_resume, vdesc_resume_patches, fast_leave) would
 * find nothing to do, on the frame it resumes:
 *
 *   - ring=1, no trace of traps, no fault armed, no single step of the
 *     monitor's (each wants the full path at every trap), no STI or MOV
 *     SS shadow open (trap_enter decides whether it still holds);
 *   - the frame's selectors are a set sanitize() found good at this
 *     vdesc_generation (selectors_checked: the same check it makes), no
 *     DS or ES kept from a lost descriptor (vdesc_keeps), and SS is not a
 *     16-bit stack, nor was it at the last exit (espfix);
 *   - the real tables show user code exactly when prepare_resume() would
 *     have them (vdesc_set_mode would not switch);
 *   - fast_leave()'s decisions stand: the flat kernel selectors and the
 *     GDT rules were made at this vdesc_generation (and IOPL), for these
 *     selectors;
 *   - no virtual interrupt is due with the virtual IF set (its delivery
 *     changes the frame);
 *   - a reflection wrote guest memory only through the shadow's own
 *     entries (shadow_epoch: a write through a walk is told to the
 *     shadow, and may have been to a table the monitor follows) and
 *     changed no descriptor (vdesc_generation).
 * vidt_sync() needs no look: it ran at the last exit, and what it depends
 * on (vdesc_generation, the IDT and TSS watches, IOPL, the monitor's
 * single step) changes only in the C paths that emulate, never here.  The
 * switcher's fast paths since the last exit are taken in by fast_enter(),
 * as at any trap.  A fill needs no record of the descriptors DS and ES
 * hold (vdesc_hidden_entry): none is kept, and the copies are as at the
 * last exit, which is what any native load since then read; a reflection
 * makes it, as trap_enter() does, before anything could change a copy.
 * The shadow is asked first; if a condition fails before the guest's
 * fault is delivered, the full path runs with the shadow's answer
 * (pf_asked), after it, with what trap_leave() does.  On a fill, v->tf is
 * not brought up to date: the next full trap copies its own frame (a
 * report made meanwhile, ifwatch's, names the EIP of the last trap that
 * copied it). */

/* Does the last exit allow the light path?  Ring=1, no trace of traps
 * (trace=traps wants a line for each; trace=mmu's lines come from the
 * shadow, which the light path asks too), no fault armed, and what that
 * exit left (each is set only at a full exit, and stays until the next
 * trap): no single step or kept DS/ES of the monitor's, no 16-bit stack
 * (espfix). */
static inline bool light_allowed(const struct vcpu *v)
{
	return mon_opts.ring == 1 && !(mon_opts.trace & TRACE_TRAPS) && !fault_armed &&
	       !v->shadow_step && !sw_priv->espfix_esp && !vdesc_keeps();
}

/* Would trap_leave() find nothing to change for frame f (CS, SS, EFLAGS'
 * IF and the interrupt shadow aside)?  (The flat kernel selectors and the
 * GDT rules were decided at the last exit, at this vdesc_generation and
 * IOPL: fast_leave() would keep both.) */
static inline __attribute__((always_inline))
bool light_resume_ok(const struct vcpu *v, const struct trapframe *f)
{
	const struct selector_set *c = selectors_checked(f);
	bool user = (f->cs & 3) == 3;

	if (!c || c->small_ss || v->shadow_active)
		return false;
	if ((user || !user_return_must_trap(v)) != vdesc_mode.user_cs)
		return false;
	return (f->cs & 3) != 1 || ((f->cs & 0xFFFF) == flat.cs && (f->ss & 0xFFFF) == flat.ss);
}

/* The light exit: what sanitize() and fast_leave() would change. */
static inline __attribute__((always_inline))
void light_leave(struct vcpu *v, struct trapframe *f, bool pending)
{
	f->eflags = (f->eflags & ~(FL_IOPL | FL_VM | FL_IF)) | FL_RESERVED1 |
		    (v->vif || mon_opts.iflag == IFLAG_SOFT ? FL_IF : 0);
	sw_fast->vif = v->vif;
	sw_fast->pending = pending;     /* (the virtual IF is clear, or nothing is due) */
	sw_fast->cr[2] = v->cr2;
	fast_leave_always(v);
	sw_priv->guest_cr3 = shadow_root();
}

/* The guest's own #PF at va (error gerr), delivered through its IDT,
 * and resumed lightly (LIGHT_DONE) or not (LIGHT_LEAVE). */
static enum light_outcome light_reflect(struct vcpu *v, struct trapframe *f, uint32_t va,
					uint32_t gerr, bool pending)
{
	/* what the delivery reads and writes (and DS, ES for the record):
	 * the rest of the frame, the registers, is not touched */
	v->tf.ds = f->ds;
	v->tf.es = f->es;
	v->tf.eip = f->eip;
	v->tf.cs = f->cs;
	v->tf.eflags = f->eflags;
	v->tf.esp = f->esp;
	v->tf.ss = f->ss;
	vdesc_hidden_entry(v);
	light.entered = false;
	v->stats.traps[T_PF]++;
	uint32_t epoch = shadow_epoch, generation = vdesc_generation;
	reflect_pf(v, va, gerr);
	if (shadow_epoch != epoch || vdesc_generation != generation ||
	    !light_resume_ok(v, &v->tf)) {
		struct trapframe t = v->tf;
		v->tf = *f;             /* the whole frame, as trap_enter() copies it */
		v->tf.eip = t.eip;
		v->tf.cs = t.cs;
		v->tf.eflags = t.eflags;
		v->tf.esp = t.esp;
		v->tf.ss = t.ss;
		trace_pf(va, "guest #PF reflected");
		return LIGHT_LEAVE;     /* (trap_enter's other work: none applies) */
	}
	f->eip = v->tf.eip;
	f->cs = v->tf.cs;
	f->eflags = v->tf.eflags;
	f->esp = v->tf.esp;
	f->ss = v->tf.ss;
	light_leave(v, f, pending);
	return LIGHT_DONE;
}

/* A #PF on the light path: LIGHT_FULL if the full path must run (with
 * the shadow's answer in pf_asked if it was asked). */
static enum light_outcome light_pf(struct vcpu *v, struct trapframe *f)
{
	uint32_t va = rcr2(), gerr = 0, bad = 0;

	if (!light.known) {     /* (a light trap changes none of it) */
		light.ok = light_allowed(v);
		light.known = true;
	}
	if (!light.ok || (f->eflags & FL_VM) || va >= SWITCHER_BASE)
		return LIGHT_FULL;
	fast_enter(v);          /* the shadow is the guest's CR3's */
	light.entered = true;
	if (v->shadow_active)   /* trap_enter() decides whether it still holds */
		return LIGHT_FULL;
	enum shadow_result r = shadow_fault(v, va, f->err, &gerr, &bad);
	/* (a reflection's frame is checked once it is made) */
	bool ok = r == SHADOW_GUEST_FAULT || (r == SHADOW_FILLED && light_resume_ok(v, f));
	bool pending = false;
	if (ok) {
		devices_sync(v);
		pending = devices_irq_pending() >= 0;
		ok = !(pending && v->vif);      /* delivered now: the frame changes */
	}
	if (!ok) {              /* the full path, with the answer */
		pf_asked = (typeof(pf_asked)){ true, r, va, gerr, bad };
		return LIGHT_FULL;
	}
	if (r == SHADOW_GUEST_FAULT)
		return light_reflect(v, f, va, gerr, pending);
	light.entered = false;
	v->stats.traps[T_PF]++;
	light_leave(v, f, pending);
	return LIGHT_DONE;
}

void guest_trap(struct trapframe *f)
{
	struct vcpu *v = &vcpu0;

	switch (f->vector == T_PF ? light_pf(v, f) : LIGHT_FULL) {
	case LIGHT_DONE:
		return;
	case LIGHT_FULL:
		trap_enter(v, f);
		dispatch(v);
		/* fall through */
	case LIGHT_LEAVE:
		trap_leave(v, f);
	}
}

/* A trap taken in ring 0: the idle loop's interrupts, a fault in the exit
 * path (the guest's saved state did not load), or a monitor bug. */
void host_trap(struct trapframe *f)
{
	if (host_probe_trap(f))
		return;         /* a question to the CPU (hostcpu.c) */
	if (fault_armed && fault_host_debug(f))
		return;
	if (f->vector >= HOST_IRQ_BASE && f->vector < HOST_IRQ_BASE + 16) {
		host_irq(f->vector - HOST_IRQ_BASE);
		return;
	}
	if (f->vector == T_NMI)         /* the watchdog, while the monitor runs */
		return;
	if (f->vector == T_DB && dr_guest_hits(rdr6())) {
		/* a guest data breakpoint on the instruction byte the switcher's
		 * fast path read for it: the guest's own fetch would not fire */
		ldr6(DR6_FIXED1);
		f->eflags |= FL_RF;
		return;
	}
	if (f->vector == T_PF && switcher_in_exit_path(f->eip) && vdesc_accessed(&vcpu0, rcr2())) {
		vdesc_resume_patches(sw_priv->keep);    /* a slot they restore changed */
		return;                 /* the exit path loaded a descriptor: retry */
	}
	if (switcher_in_exit_path(f->eip))
		guest_die("resuming the guest faulted (vector %u, error 0x%x): its saved state "
			  "could not be loaded", f->vector, f->err);
	mon_panic("monitor fault: vector %u, error 0x%x at eip 0x%x, cr2 0x%x", f->vector,
		  f->err, f->eip, rcr2());
}

/* ---- the vCPU's registers ---- */

void vcpu_set_vif(struct vcpu *v, bool on)
{
	if (v->vif && !on) {
		v->vif_clear_since = host_pit_now();
	}
	v->vif = on;
}
