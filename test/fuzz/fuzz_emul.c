/*
 * fuzz_emul.c - libFuzzer harness (a): the decoder and the instruction
 * emulators (src/trap/emul.c, src/trap/memop.c) on a fake vCPU.
 *
 * The job: a guest chooses every register, flag and byte an emulated
 * instruction sees; whatever it chooses, emulate(), emul_pt_write() and
 * emul_memop() must keep the monitor's rules.  Like test/unit/test_emul.c,
 * this file fakes every monitor function emul.c, callgate.c and memop.c call (guest
 * memory through gva_*, reflect, vdesc_*, devices_*, the shadow MMU's
 * notices, segment lookups), records what they were asked, and checks the
 * invariants after every input:
 *
 *   EIP   EMUL_NEXT, EMUL_FAULTED and EMUL_REFUSED leave it (the dispatcher
 *         or the fault moves it); EMUL_JUMPED only for the kinds that jump
 *         (INT n, IRET, RETF, HLT, SYSENTER, SYSEXIT, a REP INS/OUTS with
 *         elements left, a far CALL or JMP through a call gate), to where
 *         that instruction goes
 *   gates  a far CALL or JMP through a call gate lands on a code segment
 *         of the fake GDT with RPL = its DPL, never more privileged than
 *         the caller unless a CALL switched to that ring's stack (an SS of
 *         the same RPL)
 *   faults  exactly one injected iff EMUL_FAULTED; EMUL_REFUSED changes
 *         nothing at all
 *   privilege  an instruction that needs CPL 0 has no effect at CPL 1-3
 *         (the guest's CPL, vcpu_cpl: rings 2 and 3 are its own); CLI/STI
 *         change the virtual IF only at CPL <= IOPL; IOPL changes only at
 *         CPL 0; port I/O happens only with CPL <= IOPL or the TSS bitmap
 *   frame  never CS RPL 0, never EFLAGS.VM or IOPL set by an emulation
 *   bounds  at most STRING_IO_BURST (256) port accesses per instruction
 *         (checked while the loop runs: the fake devices abort past it),
 *         at most 4 backend accesses per emul_memop
 *   HLT   the guest is never put to sleep when nothing can interrupt it
 *   memop  a refused or faulted memory operand wrote nothing and left the
 *         registers; an MMIO access never writes guest memory; backend
 *         accesses are 1, 2, 4 or 8 bytes
 *
 * guest_die() longjmps back here: an allowed outcome, counted.  Anything
 * else is a finding: the harness prints what broke and aborts (libFuzzer
 * saves the input as crash-*).
 *
 * Input layout: see struct input below (fields read in order; missing
 * bytes read as zero), then up to 15 instruction bytes at START_EIP, then
 * memory patches (offset16, length8, bytes) into the 128 KB guest memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trap/emul.h"
#include "trap/memop.h"
#include "trap/guest.h"
#include "trap/reflect.h"
#include "shadow_mmu/shadow.h"
#include "monitor/devices.h"
#include "monitor/debugreg.h"
#include "monitor/hosthw.h"
#include "monitor/hostcpu.h"
#include "monitor/run.h"
#include "monitor/x86.h"

#define MEM_SIZE        0x20000u        /* 32 pages of fake guest memory */
#define PAGE            0x1000u
#define NPAGES          (MEM_SIZE / PAGE)
#define START_EIP       0x1000u
#define FAKE_HANDLER(vec) (0xF0000u + (vec))
#define STRING_IO_BOUND 256u            /* emul.c's STRING_IO_BURST */
#define MEMOP_BOUND     4u              /* backend accesses per emul_memop */
#define MMIO_REGS       64u             /* fake device: 64 dword registers */

/* The fake GDT (index: what it is): 1 ring-1 code, 2 ring-1 data, 3 ring-3
 * code, 4 ring-3 data, 5 ring-2 code, 6 ring-2 data; 7 whatever the 8
 * bytes at GATE_DESC_AT in guest memory make through desc_compress() (the
 * input's call gate, or anything else). */
#define GATE_DESC_AT    0x100u
#define GATE_INDEX      7u
static const uint16_t cs_choice[4] = { 0x09, 0x2A, 0x1B, 0x09 };
static const uint16_t ds_choice[8] = { 0x11, 0x23, 0x32, 0x00, 0x11, 0x10, 0x20, 0x33 };

static struct vcpu vc;
static uint8_t mem[MEM_SIZE];

static struct fake {
	uint32_t fault_pages, ro_pages, bad_pages;      /* bit n: page n */
	uint32_t seg_base[8];
	unsigned writes;
	unsigned injected, soft;
	unsigned io;                    /* devices_in + devices_out */
	uint32_t in_val;
	unsigned effects;               /* vdesc, shadow, halt, cr sync calls */
	bool all_masked;
	unsigned backend;               /* memop backend calls */
	uint32_t mmio_regs[MMIO_REGS];
	const char *phase;
} fk;

static jmp_buf die_jmp;
static unsigned long n_died, n_inputs;

static void finding(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void finding(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_emul: INVARIANT VIOLATED (%s): ", fk.phase ? fk.phase : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* ---- fakes of the monitor's other modules -------------------------------- */

static enum gva_result fake_access(uint32_t va, uint32_t n, unsigned acc, struct gva_fault *f)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t page = ((va + i) % MEM_SIZE) / PAGE;
		if (fk.bad_pages >> page & 1) {
			f->bad_gpa = va + i;
			return GVA_BAD_GPA;
		}
		if ((fk.fault_pages >> page & 1) || ((fk.ro_pages >> page & 1) && (acc & GVA_WRITE))) {
			f->va = va + i;
			f->err = ((fk.fault_pages >> page & 1) ? 0 : PFE_P) |
				 ((acc & GVA_WRITE) ? PFE_W : 0) | ((acc & GVA_USER) ? PFE_U : 0);
			return GVA_PF;
		}
	}
	return GVA_OK;
}

/* Guest-linear addresses alias the 128 KB memory (so no access ever leaves
 * it: a loop the emulator does not bound runs on, and is caught). */
static void mem_copy(uint32_t va, void *buf, uint32_t n, bool to_mem)
{
	uint8_t *b = buf;
	for (uint32_t i = 0; i < n; i++) {
		if (to_mem)
			mem[(va + i) % MEM_SIZE] = b[i];
		else
			b[i] = mem[(va + i) % MEM_SIZE];
	}
}

enum gva_result gva_read(struct vcpu *v, uint32_t va, void *buf, uint32_t n, unsigned acc,
			 struct gva_fault *f)
{
	(void)v;
	enum gva_result r = fake_access(va, n, acc & ~GVA_WRITE, f);
	if (r == GVA_OK)
		mem_copy(va, buf, n, false);
	return r;
}

enum gva_result gva_write(struct vcpu *v, uint32_t va, const void *buf, uint32_t n,
			  unsigned acc, struct gva_fault *f)
{
	(void)v;
	enum gva_result r = fake_access(va, n, acc | GVA_WRITE, f);
	if (r == GVA_OK) {
		mem_copy(va, (void *)buf, n, true);
		fk.writes++;
	}
	return r;
}

enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc, uint32_t *gpa_out,
			      struct gva_fault *f)
{
	(void)v;
	enum gva_result r = fake_access(va, 1, acc, f);
	if (r == GVA_OK)
		*gpa_out = va % MEM_SIZE;
	return r;
}

void reflect(struct vcpu *v, unsigned vector, enum event_kind kind, uint32_t err)
{
	(void)v; (void)vector; (void)kind; (void)err;
	fk.injected++;
}

void reflect_pf(struct vcpu *v, uint32_t va, uint32_t err)
{
	v->cr2 = va;
	reflect(v, T_PF, EV_FAULT, err);
}

void reflect_soft(struct vcpu *v, unsigned vector, uint32_t len)
{
	(void)len;
	fk.soft++;
	v->tf.eip = FAKE_HANDLER(vector);
}

int vdesc_lgdt(struct vcpu *v, uint32_t base, uint32_t limit)
{
	(void)v; (void)base; (void)limit;
	fk.effects++;
	return 0;
}

int vdesc_lldt(struct vcpu *v, uint16_t sel)
{
	(void)v; (void)sel;
	fk.effects++;
	return 0;
}

int vdesc_ltr(struct vcpu *v, uint16_t sel)
{
	(void)v; (void)sel;
	fk.effects++;
	return 0;
}

/* ring=1: no hidden conforming code, no conforming-code alias (vdesc.c) */
bool vdesc_hidden_kernel_code(uint16_t sel) { (void)sel; return false; }
uint16_t vdesc_alias_of(uint16_t sel) { return sel; }

static void count_io(void)
{
	if (++fk.io > STRING_IO_BOUND)
		finding("more than %u port accesses in one emulated instruction (unbounded "
			"string I/O: ECX 0x%x)", STRING_IO_BOUND, vc.tf.ecx);
}

uint32_t devices_in(struct vcpu *v, uint16_t port, unsigned size)
{
	(void)v; (void)port;
	count_io();
	return fk.in_val & (size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1);
}

void devices_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t value)
{
	(void)v; (void)port; (void)size; (void)value;
	count_io();
}

void host_guest_cr_sync(const struct vcpu *v) { (void)v; fk.effects++; }
bool devices_can_interrupt(void) { return !fk.all_masked; }
const char *devices_masked_reason(void) { return "all masked (fake)"; }
void shadow_new_cr3(struct vcpu *v) { (void)v; fk.effects++; }
void shadow_mode_changed(struct vcpu *v) { (void)v; fk.effects++; }
void shadow_invlpg(struct vcpu *v, uint32_t va) { (void)v; (void)va; fk.effects++; }

void vcpu_halt(struct vcpu *v)
{
	(void)v;
	fk.effects++;
	if (fk.all_masked)
		finding("HLT idles with no interrupt source able to end it");
}

void guest_die(const char *fmt, ...)
{
	(void)fmt;
	n_died++;
	longjmp(die_jmp, 1);
}

uint32_t segment_base(const struct vcpu *v, uint16_t sel)
{
	(void)v;
	return fk.seg_base[SEL_INDEX(sel) & 7];
}

uint16_t sreg_value(const struct vcpu *v, unsigned s)
{
	const uint32_t vals[] = { v->tf.es, v->tf.cs, v->tf.ss, v->tf.ds, v->tf.fs, v->tf.gs };
	return s < 6 ? (uint16_t)vals[s] : (uint16_t)v->tf.ds;
}

/* The fake GDT: code at indices 1 (DPL 1), 3 (DPL 3), 5 (DPL 2); data at
 * 2, 4, 6 with the same DPLs. */
static int dpl_of(unsigned index)
{
	static const int dpl[8] = { -1, 1, 1, 3, 3, 2, 2, -1 };
	return dpl[index & 7];
}

int code_sel_valid(const struct vcpu *v, uint16_t sel)
{
	(void)v;
	unsigned i = SEL_INDEX(sel);
	return i < 8 && (i & 1) && dpl_of(i) == (int)SEL_RPL(sel) && !(sel & SEL_TI);
}

int stack_sel_valid(const struct vcpu *v, uint16_t sel)
{
	(void)v;
	unsigned i = SEL_INDEX(sel);
	return i < 8 && i && !(i & 1) && dpl_of(i) == (int)SEL_RPL(sel) && !(sel & SEL_TI);
}

void vcpu_set_vif(struct vcpu *v, bool on) { v->vif = on; }
void vidt_lidt(struct vcpu *v) { (void)v; fk.effects++; }
void dr_guest_load(const uint32_t dr[8]) { (void)dr; fk.effects++; }
uint32_t dr6_store(uint32_t val) { return val; }     /* QEMU keeps every bit written */
/* The CPU underneath, as hostcpu.c would find QEMU's qemu32 (no DR7.GD,
 * MISC_ENABLE reads fast strings, no MTRRs). */
struct host_cpu host_cpu = { .has_misc_enable = true, .misc_enable = 1 };
/* RDPMC in ring 0 on qemu32 under TCG: #UD, whatever the counter. */
int host_rdpmc(uint32_t counter, uint64_t *val) { (void)counter; (void)val; return T_UD; }
uint32_t stack_mask(const struct vcpu *v, uint16_t ss) { (void)v; (void)ss; return 0xFFFFFFFFu; }
int stack_sel_check(const struct vcpu *v, uint16_t sel) { return stack_sel_valid(v, sel) ? 0 : T_GP; }
int code_sel_check(const struct vcpu *v, uint16_t sel) { return code_sel_valid(v, sel) ? 0 : T_GP; }

/* The fake GDT as descriptors (the copy's view, for callgate.c). */
int guest_segment(const struct vcpu *v, uint16_t sel, struct segdesc *d)
{
	const unsigned code = SEG_T_CODE | SEG_T_R | SEG_T_ACCESSED, data = SEG_T_W | SEG_T_ACCESSED;
	unsigned i = SEL_INDEX(sel);
	const char *why;

	(void)v;
	if ((sel & SEL_TI) || i == 0 || i > GATE_INDEX)
		return -1;
	if (i < GATE_INDEX) {
		*d = desc_make(0, 0xFFFFFFFFu, (i & 1) ? code : data, (unsigned)dpl_of(i), true, true);
		return 0;
	}
	struct segdesc g;
	memcpy(&g, mem + GATE_DESC_AT, sizeof g);
	if (desc_compress(g, d, &why) == DESC_REFUSE)
		*d = (struct segdesc){ 0, 0 };
	return 0;
}

/* The guest TSS's SS:ESP for a ring, as reflect.c reads it. */
int tss_inner_stack(struct vcpu *v, unsigned ring, uint32_t *ss, uint32_t *esp,
		    struct guest_fault *f)
{
	uint32_t pair[2], off = 4 + 8 * (ring == 1 ? 0 : ring);
	struct gva_fault gf;

	if (v->tr == 0 || v->tr_limit < off + 7) {
		f->vector = T_TS;
		f->err = v->tr & ~3u;
		return -1;
	}
	enum gva_result r = gva_read(v, v->tr_base + off, pair, sizeof pair, 0, &gf);
	if (r == GVA_BAD_GPA)
		guest_die("TSS not in RAM");
	if (r == GVA_PF) {
		f->vector = T_PF;
		f->err = gf.err;
		f->cr2 = gf.va;
		return -1;
	}
	*esp = pair[0];
	*ss = sel_compress((uint16_t)pair[1]);
	return 0;
}

static uint64_t fake_tsc;
uint64_t rdtsc(void) { return fake_tsc += 1000; }

/* ---- the input ------------------------------------------------------------ */

#include "reader.h"

enum target { T_EMULATE, T_PT_WRITE, T_MMIO, T_COUNT };

/* ---- the MMIO backend (memop.c's interface) ------------------------------ */

static enum emul_result mmio_rd(struct vcpu *v, void *ctx, uint32_t addr, void *buf, unsigned n)
{
	(void)v; (void)ctx;
	if (++fk.backend > MEMOP_BOUND)
		finding("more than %u backend accesses in one emul_memop", MEMOP_BOUND);
	if (n != 1 && n != 2 && n != 4 && n != 8)
		finding("backend read of %u bytes", n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t a = addr + i, reg = fk.mmio_regs[(a / 4) % MMIO_REGS];
		((uint8_t *)buf)[i] = (uint8_t)(reg >> (8 * (a % 4)));
	}
	return EMUL_NEXT;
}

static enum emul_result mmio_wr(struct vcpu *v, void *ctx, uint32_t addr, const void *buf,
				unsigned n)
{
	(void)v; (void)ctx; (void)buf;
	if (++fk.backend > MEMOP_BOUND)
		finding("more than %u backend accesses in one emul_memop", MEMOP_BOUND);
	if (n != 1 && n != 2 && n != 4 && n != 8)
		finding("backend write of %u bytes", n);
	fk.mmio_regs[(addr / 4) % MMIO_REGS] ^= addr;
	return EMUL_NEXT;
}

/* ---- invariants ----------------------------------------------------------- */

static bool cpl0_only(enum insn_kind k)
{
	switch (k) {
	case INSN_HLT: case INSN_LGDT: case INSN_LIDT: case INSN_LLDT: case INSN_LTR:
	case INSN_MOV_TO_CR: case INSN_MOV_FROM_CR: case INSN_MOV_TO_DR: case INSN_MOV_FROM_DR:
	case INSN_CLTS: case INSN_LMSW: case INSN_INVLPG: case INSN_WBINVD: case INSN_INVD:
	case INSN_RDMSR: case INSN_WRMSR: case INSN_SYSEXIT:
		return true;
	default:
		return false;
	}
}

static bool may_jump(enum insn_kind k)
{
	switch (k) {
	case INSN_INT: case INSN_INT3: case INSN_INTO: case INSN_IRET: case INSN_RET_FAR:
	case INSN_HLT: case INSN_SYSENTER: case INSN_SYSEXIT: case INSN_INS: case INSN_OUTS:
	case INSN_CALL_FAR: case INSN_JMP_FAR:
		return true;
	default:
		return false;
	}
}

struct before {
	struct trapframe tf;
	bool vif;
	unsigned iopl, cpl;
	uint32_t w[3];          /* the dwords at SS:ESP (IRET/RETF targets; the
				   o16 forms pop a 16-bit IP: w[0]'s low half) */
	uint32_t sysenter_eip;
	uint32_t gate_eip;      /* a far CALL/JMP: its call gate's offset, or ~0 */
};

/* Through a call gate: onto a code segment of the guest's table at its
 * DPL; more privileged than before only by a CALL, on that ring's stack. */
static void check_gate_landing(const struct insn *in, const struct before *b)
{
	const struct trapframe *tf = &vc.tf;
	unsigned from = b->tf.cs & 3, to = tf->cs & 3;

	if (!code_sel_valid(&vc, (uint16_t)tf->cs))
		finding("%s: through a gate to CS 0x%x, not a code segment at its DPL", in->mnem,
			tf->cs);
	if (to > from || (to < from && in->kind != INSN_CALL_FAR))
		finding("%s: through a gate from ring %u to ring %u", in->mnem, from, to);
	if (to < from && (!stack_sel_valid(&vc, (uint16_t)tf->ss) || (tf->ss & 3) != to))
		finding("%s: to ring %u with SS 0x%x", in->mnem, to, tf->ss);
	if (to == from && (tf->ss & 0xFFFF) != (b->tf.ss & 0xFFFF))
		finding("%s: SS changed in the same ring", in->mnem);
}

/* Where a far CALL or JMP through a call gate goes (the fake GDT's entry
 * its selector names), or ~0. */
static uint32_t gate_eip(const struct insn *in)
{
	uint16_t sel = (uint16_t)in->imm2;
	struct segdesc g;

	if (in->kind != INSN_CALL_FAR && in->kind != INSN_JMP_FAR)
		return ~0u;
	if (in->has_mem)
		mem_copy(emul_operand_addr(&vc, in) + in->opsize, &sel, 2, false);
	if (guest_segment(&vc, sel, &g) < 0 || !desc_is_call_gate(g))
		return ~0u;
	return DESC_TYPE(g) == SYS_T_CALL32 ? gate_offset(g) : gate_offset(g) & 0xFFFFu;
}

static void check_emulate(const struct insn *in, enum emul_result r, const struct before *b,
			  unsigned injected)
{
	struct trapframe *tf = &vc.tf;
	unsigned faults = fk.injected - injected;

	if (faults != (r == EMUL_FAULTED ? 1u : 0u))
		finding("%s: result %d with %u faults injected", in->mnem, r, faults);
	if (r == EMUL_REFUSED && memcmp(tf, &b->tf, sizeof *tf))
		finding("%s: refused, but the frame changed", in->mnem);
	if (r != EMUL_JUMPED && tf->eip != b->tf.eip)
		finding("%s: result %d moved EIP 0x%x -> 0x%x", in->mnem, r, b->tf.eip, tf->eip);
	if (r == EMUL_JUMPED) {
		uint32_t to = tf->eip;
		bool ok = may_jump(in->kind) &&
			  (to == FAKE_HANDLER(in->kind == INSN_INT3 ? T_BP : in->kind == INSN_INTO
					      ? T_OF : (in->imm & 0xFF)) ||
			   (in->kind == INSN_HLT && to == b->tf.eip + in->len) ||
			   ((in->kind == INSN_INS || in->kind == INSN_OUTS) && to == b->tf.eip) ||
			   ((in->kind == INSN_IRET || in->kind == INSN_RET_FAR) &&
			    to == (in->opsize == 2 ? b->w[0] & 0xFFFF : b->w[0])) ||
			   (in->kind == INSN_SYSENTER && to == b->sysenter_eip) ||
			   ((in->kind == INSN_CALL_FAR || in->kind == INSN_JMP_FAR) &&
			    to == b->gate_eip) ||
			   (in->kind == INSN_SYSEXIT && to == b->tf.edx));
		if (!ok)
			finding("%s: jumped to 0x%x, not where it goes", in->mnem, to);
	}
	if (b->cpl > 0 && cpl0_only(in->kind) && (r == EMUL_NEXT || r == EMUL_JUMPED))
		finding("%s: needs CPL 0, emulated at guest CPL %u (CS 0x%x)", in->mnem, b->cpl,
			b->tf.cs);
	if (b->cpl > 0 && cpl0_only(in->kind) && fk.effects)
		finding("%s: at guest CPL %u it reached the monitor (%u effects)", in->mnem, b->cpl,
			fk.effects);
	if (vc.vif != b->vif && b->cpl > b->iopl &&
	    (in->kind == INSN_CLI || in->kind == INSN_STI || in->kind == INSN_IRET))
		finding("%s: changed the virtual IF at CPL %u > IOPL %u", in->mnem, b->cpl, b->iopl);
	if (vc.iopl != b->iopl && b->cpl > 0)
		finding("%s: changed IOPL at CPL %u", in->mnem, b->cpl);
	if (vc.iopl > 3)
		finding("%s: IOPL %u", in->mnem, vc.iopl);
	if (fk.io && b->cpl > b->iopl && (vc.tr == 0 || vc.tr_limit < 103))
		finding("%s: port I/O at CPL %u > IOPL %u with no I/O bitmap", in->mnem, b->cpl,
			b->iopl);
	if ((tf->cs & 3) == 0)
		finding("%s: CS 0x%x has RPL 0", in->mnem, tf->cs);
	if ((tf->eflags & FL_VM) || ((tf->eflags & FL_IOPL) && !(b->tf.eflags & FL_IOPL)))
		finding("%s: EFLAGS 0x%x (VM or IOPL set)", in->mnem, tf->eflags);
	if ((in->kind == INSN_INS || in->kind == INSN_OUTS) && fk.io > STRING_IO_BOUND)
		finding("%s: %u port accesses", in->mnem, fk.io);
	if (r == EMUL_JUMPED && (in->kind == INSN_CALL_FAR || in->kind == INSN_JMP_FAR))
		check_gate_landing(in, b);
}

static void check_memop(const struct insn *in, enum emul_result r, const struct before *b,
			unsigned injected, unsigned writes, enum target t)
{
	unsigned faults = fk.injected - injected;

	if (faults != (r == EMUL_FAULTED ? 1u : 0u))
		finding("%s: memop result %d with %u faults injected", in->mnem, r, faults);
	if (vc.tf.eip != b->tf.eip)
		finding("%s: memop moved EIP", in->mnem);
	if (r == EMUL_REFUSED || r == EMUL_FAULTED) {
		if (fk.writes != writes)
			finding("%s: refused or faulted, but wrote memory", in->mnem);
		if (memcmp(&vc.tf, &b->tf, sizeof vc.tf))
			finding("%s: refused or faulted, but changed registers", in->mnem);
	}
	if (r == EMUL_JUMPED && in->kind != INSN_STOS && in->kind != INSN_MOVS)
		finding("%s: memop JUMPED", in->mnem);
	if (t == T_MMIO && fk.writes != writes)
		finding("%s: an MMIO access wrote guest memory", in->mnem);
}

/* ---- one input ------------------------------------------------------------ */

static void setup(struct reader *r, enum target *t, uint8_t code[INSN_MAX_LEN])
{
	memset(&fk, 0, sizeof fk);
	memset(&vc, 0, sizeof vc);
	memset(mem, 0, sizeof mem);
	*t = (enum target)(take(r, 1) % T_COUNT);
	uint32_t m = take(r, 1);
	vc.tf.cs = cs_choice[m & 3];
	vc.iopl = (m >> 2) & 3;
	vc.vif = (m >> 4) & 1;
	fk.all_masked = (m >> 5) & 1;
	vc.shadow_active = (m >> 6) & 1;
	vc.tf.eflags = (take(r, 4) & ~(FL_VM | FL_IOPL | FL_VIF | FL_VIP)) | FL_RESERVED1 | FL_IF;
	vc.cr0 = take(r, 4) | CR0_PE;
	vc.cr4 = take(r, 4);
	cr4_guest_mask = CR4_DE | CR4_PSE | CR4_PGE | CR4_TSD | CR4_PCE | CR4_OSFXSR;
	uint32_t *regs[] = { &vc.tf.eax, &vc.tf.ecx, &vc.tf.edx, &vc.tf.ebx, &vc.tf.esp,
			     &vc.tf.ebp, &vc.tf.esi, &vc.tf.edi };
	for (unsigned i = 0; i < 8; i++)
		*regs[i] = take(r, 4);
	uint32_t sels = take(r, 2);
	uint32_t *segs[] = { &vc.tf.ds, &vc.tf.es, &vc.tf.fs, &vc.tf.gs };
	for (unsigned i = 0; i < 4; i++)
		*segs[i] = ds_choice[(sels >> (3 * i)) & 7];
	/* SS: the stack of the CS's ring, as a trap frame from the CPU has it */
	vc.tf.ss = (uint32_t)((SEL_INDEX(vc.tf.cs) + 1) << 3) | (vc.tf.cs & 3);
	fk.fault_pages = take(r, 4);
	fk.ro_pages = take(r, 4);
	fk.bad_pages = take(r, 4) & take(r, 4);         /* rarer */
	fk.fault_pages &= ~(1u << (START_EIP / PAGE));  /* the code was fetched */
	for (unsigned i = 0; i < 8; i++)
		fk.seg_base[i] = take(r, 2) << 4;
	vc.tr = (uint16_t)take(r, 2);
	vc.tr_base = take(r, 4);
	vc.tr_limit = take(r, 2);
	vc.sysenter_cs = take(r, 2);
	vc.sysenter_eip = take(r, 4);
	vc.sysenter_esp = take(r, 4);
	fk.in_val = take(r, 4);
	vc.tf.eip = START_EIP;
	for (unsigned i = 0; i < INSN_MAX_LEN; i++)
		code[i] = (uint8_t)take(r, 1);
	/* memory patches: offset, length, bytes */
	while (r->n >= 3) {
		uint32_t off = take(r, 2) * 2, len = take(r, 1);
		for (uint32_t i = 0; i < len && r->n; i++)
			mem[(off + i) % MEM_SIZE] = (uint8_t)take(r, 1);
	}
	memcpy(mem + START_EIP, code, INSN_MAX_LEN);
}

static void run_one(struct reader *r)
{
	enum target t;
	uint8_t code[INSN_MAX_LEN];
	struct insn in;
	struct before b;
	static volatile enum emul_result res;

	setup(r, &t, code);
	if (decode_buf(code, sizeof code, &in) != DECODE_OK)
		return;
	b.tf = vc.tf;
	b.vif = vc.vif;
	b.iopl = vc.iopl;
	b.cpl = vcpu_cpl(&vc);
	b.sysenter_eip = vc.sysenter_eip;
	b.gate_eip = gate_eip(&in);
	mem_copy(fk.seg_base[SEL_INDEX(vc.tf.ss) & 7] + vc.tf.esp, b.w, sizeof b.w, false);
	unsigned injected = fk.injected, writes = fk.writes;
	if (setjmp(die_jmp))
		return;         /* guest_die: an allowed outcome */
	switch (t) {
	case T_EMULATE:
		fk.phase = "emulate";
		res = emulate(&vc, &in);
		check_emulate(&in, res, &b, injected);
		break;
	case T_PT_WRITE:
		fk.phase = "emul_pt_write";
		res = emul_pt_write(&vc, &in);
		check_memop(&in, res, &b, injected, writes, t);
		break;
	default: {
		struct memop_ops ops = { mmio_rd, mmio_wr, 0 };
		fk.phase = "emul_memop (MMIO)";
		res = emul_memop(&vc, &in, &ops);
		check_memop(&in, res, &b, injected, writes, t);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	n_inputs++;
	run_one(&r);
	return 0;
}
