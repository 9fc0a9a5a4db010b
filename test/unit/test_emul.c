/*
 * test_emul.c - host unit tests for src/trap/emul.c, the emulation of the
 * instructions a guest kernel in ring 1 cannot execute itself, and for
 * src/trap/memop.c, the emulation of a guest's write to a page table
 * the shadow MMU write-protects.
 *
 * Every test starts from real instruction bytes: decode_buf() (the real
 * decoder) turns them into a struct insn and emulate() or emul_pt_write()
 * runs the handler on a fake vCPU.  emul.c and memop.c call into the
 * rest of the monitor; this file fakes each of those functions (the list
 * is `nm -u` of emul.o and memop.o):
 *
 *   gva_read/gva_write      a flat guest memory array; a page can be made
 *                           to fault (#PF), to fault on writes only (a
 *                           read-only page), or to be outside RAM; writes
 *                           are counted, the last one's address and
 *                           length kept (the real gva_write also tells
 *                           the shadow MMU; nothing here needs that)
 *   reflect/reflect_pf      record the injected vector, error code, CR2;
 *                           EIP stays, so a test sees what the handler left
 *   reflect_soft            records vector and length, "delivers" (EIP moves)
 *   vdesc_lgdt/lldt/ltr     record their arguments, return what a test says
 *   devices_in/devices_out  record port, size and value; IN returns
 *                           programmed values
 *   shadow_new_cr3/mode_changed/invlpg  count, record the address
 *   vcpu_halt               counts
 *   guest_die               records the message, longjmps back to the test
 *   segment_base            a small table by selector index (0 by default)
 *   code/stack_sel_valid    a fixed GDT: 0x08 ring-1 code, 0x10 ring-1 data,
 *                           0x18 ring-3 code, 0x20 ring-3 data
 *   guest_segment           the same GDT as descriptors (fake_gdt), with
 *                           room for the call gates a test installs
 *   tss_inner_stack         the TSS's ss0:esp0 a test sets, or its fault
 *   host_rdpmc              RDPMC on the CPU underneath: #UD (qemu32 under
 *                           TCG) unless a test gives a count or another vector
 *
 * run() checks what holds for every handler: EMUL_NEXT, EMUL_FAULTED and
 * EMUL_REFUSED leave EIP alone (the dispatcher or the fault moves it), and
 * exactly one fault is injected iff the result is EMUL_FAULTED.  pt_run()
 * does the same for emul_pt_write(), which never moves EIP (its
 * EMUL_JUMPED is a REP string instruction with elements left), and checks
 * that a refused or faulted instruction wrote nothing.
 *
 * Covers CLI/STI/HLT, IN/OUT (imm8 and DX ports, widths 1/2/4), INS/OUTS
 * with REP, DF, 16-bit addressing and a fault midway, LGDT/LIDT/LLDT/LTR,
 * MOV to and from CR0/2/3/4 and DR0-7, CLTS, LMSW, INVLPG, WBINVD/INVD,
 * RDMSR/WRMSR, RDPMC, INT n/INT3/INTO, IRET and RETF (same ring and to ring 3),
 * MOV SS and POP SS, far CALL and JMP through call gates (callgate.c:
 * every check of the gate, its target and the inner stack, with the fault
 * and error code the CPU gives; the frames of 32- and 16-bit gates with
 * parameters; nothing changed by a fault), LOCK, and instructions
 * emulate() does not know.
 *
 * Page-table writes (test_pt_*): MOV 88/89 C6/C7 A2/A3 (ModRM, SIB,
 * moffs, segment override, 16-bit addressing), XCHG 86/87, CMPXCHG 0F
 * B0/B1 (equal and not), CMPXCHG8B (equal and not), XADD 0F C0/C1,
 * ADD/OR/ADC/SBB/AND/SUB/XOR in the 00-31 E,G forms and 80/81/82/83 with
 * sign extension, INC/DEC/NOT/NEG, SHL/SHR/SAR by 1, imm8 and CL (the
 * count masked; 0 writes nothing), STOS and MOVS with and without REP (one element per
 * call), REPNE, DF, 16-bit addressing and segments; byte, word, dword and
 * qword widths, AL-BL and AH-BH; exact memory bytes, registers and the
 * six arithmetic flags (AF not held after logic ops, where it is
 * undefined).  LOCK is accepted where the CPU takes it and #UD on MOV,
 * STOS and MOVS; forms that write no memory, or that memop.c does not
 * emulate, are refused with nothing changed; every emulated form (one
 * table) is run once cleanly, once on a not-present page and once on a
 * read-only one, where it must fault and change nothing.
 *
 * MMIO (test_mmio_*): the same emulation against a device backend: every
 * writing form of that table (a store does not read the device; a
 * read-modify-write reads once and writes once, same address and width;
 * bytes and registers as on the memory path) and every read form (MOV in
 * all its encodings, MOVZX/MOVSX, TEST, CMP, BT, ALU into a register: one
 * read, no write).
 *
 * The bug_* tests are the CPU behaviours these tests first found emul.c
 * getting wrong (SS RPL checks, CR0.NW without CD, INS reading the port
 * before a faulting destination, POP SS with a 16-bit operand, LGDT's
 * result); they stay as regression tests.  bug_pt_cmpxchg_fault_keeps_flags
 * is what they found in memop.c (a CMPXCHG whose write faulted kept the
 * flags of its compare), fixed.  test_pt_rmw_not_present_reports_a_read
 * records a choice: the error code QEMU gives, not Bochs's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "trap/emul.h"
#include "trap/memop.h"
#include "trap/guest.h"
#include "trap/reflect.h"
#include "shadow_mmu/shadow.h"
#include "monitor/devices.h"
#include "monitor/run.h"
#include "monitor/x86.h"

/* The fake GDT (see code_sel_valid/stack_sel_valid below). */
#define KCODE   0x09u   /* guest kernel code, ring-compressed to RPL 1 */
#define KDATA   0x11u
#define UCODE   0x1Bu
#define UDATA   0x23u
#define KCODE0  0x08u   /* the selectors as the guest writes them (RPL 0) */
#define KDATA0  0x10u
#define UCODE_NP 0x2Bu  /* ring-3 code and data, right in every way but P */
#define UDATA_NP 0x33u
#define KDATA_NP 0x39u  /* ring-1 data, right in every way but P */
#define KCODE_SMALL 0x41u /* ring-1 code, limit 0xFFF */
#define GATE_FIRST 9u   /* fake_gdt[9..15]: call gates a test installs */
#define FAKE_GDT_ENTRIES 16u

#define START_EIP   0x1000u
#define START_ESP   0x8000u
#define MEM_SIZE    0x20000u
#define PAGE        0x1000u
#define FAKE_HANDLER(vec) (0xF0000u + (vec))   /* where reflect_soft "goes" */

static struct vcpu vc;               /* the vCPU under test */
static uint8_t mem[MEM_SIZE];   /* guest memory, guest-virtual = index */

struct out_rec {
	uint16_t port;
	unsigned size;
	uint32_t value;
};

/* Everything the fakes record or are told; zeroed before each test. */
static struct fake {
	bool fault_page[MEM_SIZE / PAGE];       /* gva_* raise #PF here */
	bool ro_page[MEM_SIZE / PAGE];          /* gva_write raises #PF here */
	bool bad_page[MEM_SIZE / PAGE];         /* gva_* say: not RAM */
	unsigned gva_acc_or;                    /* all acc flags seen, OR-ed */
	unsigned writes;                        /* gva_write calls that wrote */
	uint32_t write_va, write_len;           /* the last of them */

	unsigned injected;                      /* reflect() calls */
	unsigned vector;
	enum event_kind kind;
	uint32_t err;
	unsigned pf_count;
	uint32_t pf_va, pf_err;

	unsigned soft_count;
	unsigned soft_vector;
	uint32_t soft_len;

	unsigned lgdt_count, lldt_count, ltr_count;
	uint32_t lgdt_base, lgdt_limit;
	uint16_t lldt_sel, ltr_sel;
	int vdesc_ret;                          /* what vdesc_* return */

	unsigned in_count;
	uint16_t in_port;
	unsigned in_size;
	uint32_t in_vals[8];                    /* returned in turn */

	unsigned out_count;
	struct out_rec outs[8];

	unsigned flushes, invlpgs;
	uint32_t invlpg_va;
	unsigned halts;
	unsigned vif_calls;
	bool all_masked;                        /* devices_can_interrupt says no */
	unsigned cr_syncs;                      /* host_guest_cr_sync calls */
	unsigned dr_loads;                      /* dr_guest_load calls ... */
	uint32_t dr7_loaded;                    /* ... and the DR7 of the last */

	uint32_t seg_base[8];                   /* by selector index */

	uint32_t tss_ss, tss_esp;               /* what tss_inner_stack gives */
	unsigned tss_fault;                     /* ...or this vector (T_TS, T_PF) */
	unsigned tss_ring;                      /* the ring it was asked for */

	bool conforming_hidden;                 /* ring=3: conforming code hidden */
	bool kernel_code_hidden;                /* ...the kernel's other code */
	uint16_t alias, alias_target;           /* ...and its alias, if any */
} fk;

static struct segdesc fake_gdt[FAKE_GDT_ENTRIES];

static jmp_buf die_jmp;
static bool die_armed;
static unsigned died;
static char die_msg[256];

/* ---- fakes of the monitor's other modules ---------------------------- */

static enum gva_result fake_access(uint32_t va, uint32_t n, unsigned acc,
				   struct gva_fault *f)
{
	fk.gva_acc_or |= acc;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = va + i;
		if (a >= MEM_SIZE)
			fail_msg("guest access at 0x%x is outside the fake memory", a);
		if (fk.bad_page[a / PAGE]) {
			f->bad_gpa = a;
			return GVA_BAD_GPA;
		}
		if (fk.fault_page[a / PAGE]) {
			f->va = a;
			f->err = ((acc & GVA_WRITE) ? PFE_W : 0) | ((acc & GVA_USER) ? PFE_U : 0);
			return GVA_PF;
		}
		if (fk.ro_page[a / PAGE] && (acc & GVA_WRITE)) {
			f->va = a;
			f->err = PFE_P | PFE_W | ((acc & GVA_USER) ? PFE_U : 0);
			return GVA_PF;
		}
	}
	return GVA_OK;
}

enum gva_result gva_read(struct vcpu *v, uint32_t va, void *buf, uint32_t n,
			 unsigned acc, struct gva_fault *f)
{
	(void)v;
	enum gva_result r = fake_access(va, n, acc & ~GVA_WRITE, f);
	if (r == GVA_OK)
		memcpy(buf, mem + va, n);
	return r;
}

enum gva_result gva_write(struct vcpu *v, uint32_t va, const void *buf, uint32_t n,
			  unsigned acc, struct gva_fault *f)
{
	(void)v;
	enum gva_result r = fake_access(va, n, acc | GVA_WRITE, f);
	if (r == GVA_OK) {
		memcpy(mem + va, buf, n);
		fk.writes++;
		fk.write_va = va;
		fk.write_len = n;
	}
	return r;
}

enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc,
			      uint32_t *gpa_out, struct gva_fault *f)
{
	(void)v;
	enum gva_result r = fake_access(va, 1, acc, f);
	if (r == GVA_OK)
		*gpa_out = va;
	return r;
}

void reflect(struct vcpu *v, unsigned vector, enum event_kind kind, uint32_t err)
{
	(void)v;
	fk.injected++;
	fk.vector = vector;
	fk.kind = kind;
	fk.err = err;
}

void reflect_pf(struct vcpu *v, uint32_t va, uint32_t err)
{
	v->cr2 = va;            /* as the real one does, before delivering */
	fk.pf_count++;
	fk.pf_va = va;
	fk.pf_err = err;
	reflect(v, T_PF, EV_FAULT, err);
}

void reflect_soft(struct vcpu *v, unsigned vector, uint32_t len)
{
	fk.soft_count++;
	fk.soft_vector = vector;
	fk.soft_len = len;
	v->tf.eip = FAKE_HANDLER(vector);
}

/* The real ones inject the fault themselves before returning -1. */
int vdesc_lgdt(struct vcpu *v, uint32_t base, uint32_t limit)
{
	fk.lgdt_count++;
	fk.lgdt_base = base;
	fk.lgdt_limit = limit;
	if (fk.vdesc_ret < 0)
		reflect(v, T_GP, EV_FAULT, 0);
	return fk.vdesc_ret;
}

int vdesc_lldt(struct vcpu *v, uint16_t sel)
{
	fk.lldt_count++;
	fk.lldt_sel = sel;
	if (fk.vdesc_ret < 0)
		reflect(v, T_GP, EV_FAULT, sel & ~3u);
	return fk.vdesc_ret;
}

int vdesc_ltr(struct vcpu *v, uint16_t sel)
{
	fk.ltr_count++;
	fk.ltr_sel = sel;
	if (fk.vdesc_ret < 0)
		reflect(v, T_GP, EV_FAULT, sel & ~3u);
	return fk.vdesc_ret;
}

/* ring=3's hidden conforming code and the alias its kernel runs it
 * through (vdesc.c): what a test says. */
bool vdesc_hidden_kernel_code(uint16_t sel)
{
	struct segdesc d;
	if (guest_segment(&vc, sel, &d) < 0 || !DESC_S(d) || !(DESC_TYPE(d) & SEG_T_CODE) ||
	    DESC_DPL(d) == 3)
		return false;
	return (DESC_TYPE(d) & SEG_T_C) ? fk.conforming_hidden : fk.kernel_code_hidden;
}

uint16_t vdesc_alias_of(uint16_t sel)
{
	return fk.alias && SEL_NO_RPL(sel) == fk.alias ? fk.alias_target : sel;
}

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

uint32_t devices_in(struct vcpu *v, uint16_t port, unsigned size)
{
	(void)v;
	uint32_t val = fk.in_vals[fk.in_count % 8];
	fk.in_count++;
	fk.in_port = port;
	fk.in_size = size;
	return val & size_mask(size);
}

void devices_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t value)
{
	(void)v;
	if (fk.out_count < 8)
		fk.outs[fk.out_count] = (struct out_rec){ port, size, value };
	fk.out_count++;
}

void vidt_lidt(struct vcpu *v)
{
	(void)v;
}

void host_guest_cr_sync(const struct vcpu *v)
{
	(void)v;
	fk.cr_syncs++;
}

/* The CPU underneath (hostcpu.h): setup() makes it QEMU's qemu32. */
struct host_cpu host_cpu;
static bool fake_dr6_bit12_fixed0;      /* Bochs's DR6 */

/* RDPMC on the CPU underneath (hostcpu.c runs it in ring 0): the vector
 * it raises (-1: none, it reads rdpmc_count), and the counter asked. */
static int fake_rdpmc_vector;
static uint64_t fake_rdpmc_count;
static unsigned fake_rdpmc_calls;
static uint32_t fake_rdpmc_counter;

int host_rdpmc(uint32_t counter, uint64_t *val)
{
	fake_rdpmc_calls++;
	fake_rdpmc_counter = counter;
	if (fake_rdpmc_vector < 0)
		*val = fake_rdpmc_count;
	return fake_rdpmc_vector;
}

uint32_t dr6_store(uint32_t val)
{
	uint32_t back = val | DR6_FIXED1;
	return fake_dr6_bit12_fixed0 ? back & ~0x1000u : back;
}

void dr_guest_load(const uint32_t dr[8])
{
	fk.dr_loads++;
	fk.dr7_loaded = dr[7];
}

bool devices_can_interrupt(void)
{
	return !fk.all_masked;
}

const char *devices_masked_reason(void)
{
	return "PIC masks 0xff/0xff";
}

/* Either notice (a new CR3, or a CR0/CR4 paging-mode change) counts as
 * one "flush": the shadow MMU was told its view may be stale. */
void shadow_new_cr3(struct vcpu *v)
{
	(void)v;
	fk.flushes++;
}

void shadow_mode_changed(struct vcpu *v)
{
	(void)v;
	fk.flushes++;
}

void shadow_invlpg(struct vcpu *v, uint32_t va)
{
	(void)v;
	fk.invlpgs++;
	fk.invlpg_va = va;
}

void vcpu_halt(struct vcpu *v)
{
	(void)v;
	fk.halts++;
}

void guest_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(die_msg, sizeof die_msg, fmt, ap);
	va_end(ap);
	died++;
	if (!die_armed) {
		fail_msg("unexpected guest_die: %s", die_msg);
		abort();
	}
	die_armed = false;
	longjmp(die_jmp, 1);
}

uint32_t segment_base(const struct vcpu *v, uint16_t sel)
{
	(void)v;
	return fk.seg_base[SEL_INDEX(sel) & 7];
}

uint32_t stack_mask(const struct vcpu *v, uint16_t ss)
{
	(void)v, (void)ss;
	return 0xFFFFFFFFu;     /* the fake GDT's stacks are 32-bit */
}

uint16_t sreg_value(const struct vcpu *v, unsigned s)
{
	const uint32_t vals[] = { v->tf.es, v->tf.cs, v->tf.ss, v->tf.ds, v->tf.fs, v->tf.gs };
	return s < 6 ? (uint16_t)vals[s] : (uint16_t)v->tf.ds;
}

/* The fake GDT: entry 1 ring-1 code, 2 ring-1 data, 3 ring-3 code, 4
 * ring-3 data (the guest's DPL-0 descriptors compressed to DPL 1); 5 and
 * 6 ring-3 code and data that are not present. */
int code_sel_valid(const struct vcpu *v, uint16_t sel)
{
	(void)v;
	return (SEL_INDEX(sel) == 1 && SEL_RPL(sel) == 1) ||
	       (SEL_INDEX(sel) == 3 && SEL_RPL(sel) == 3);
}

int code_sel_check(const struct vcpu *v, uint16_t sel)
{
	if (code_sel_valid(v, sel))
		return 0;
	return sel == UCODE_NP ? T_NP : T_GP;
}

int stack_sel_valid(const struct vcpu *v, uint16_t sel)
{
	(void)v;
	return (SEL_INDEX(sel) == 2 && SEL_RPL(sel) == 1) ||
	       (SEL_INDEX(sel) == 4 && SEL_RPL(sel) == 3);
}

int stack_sel_check(const struct vcpu *v, uint16_t sel)
{
	if (stack_sel_valid(v, sel))
		return 0;
	return sel == UDATA_NP || sel == KDATA_NP ? T_SS : T_GP;
}

/* The fake GDT as descriptors, for callgate.c (the copy's view: DPL 0
 * already compressed to 1); fake_gdt_reset() fills it. */
int guest_segment(const struct vcpu *v, uint16_t sel, struct segdesc *d)
{
	(void)v;
	if ((sel & SEL_TI) || SEL_INDEX(sel) == 0 || SEL_INDEX(sel) >= FAKE_GDT_ENTRIES)
		return -1;
	*d = fake_gdt[SEL_INDEX(sel)];
	return 0;
}

static void fake_gdt_reset(void)
{
	const unsigned code = SEG_T_CODE | SEG_T_R | SEG_T_ACCESSED, data = SEG_T_W | SEG_T_ACCESSED;

	memset(fake_gdt, 0, sizeof fake_gdt);
	fake_gdt[1] = desc_make(0, 0xFFFFFFFFu, code, 1, true, true);
	fake_gdt[2] = desc_make(0, 0xFFFFFFFFu, data, 1, true, true);
	fake_gdt[3] = desc_make(0, 0xFFFFFFFFu, code, 3, true, true);
	fake_gdt[4] = desc_make(0, 0xFFFFFFFFu, data, 3, true, true);
	fake_gdt[5] = desc_make(0, 0xFFFFFFFFu, code, 3, true, true);
	fake_gdt[6] = desc_make(0, 0xFFFFFFFFu, data, 3, true, true);
	fake_gdt[7] = desc_make(0, 0xFFFFFFFFu, data, 1, true, true);
	fake_gdt[8] = desc_make(0, 0xFFF, code, 1, true, true);
	fake_gdt[5].hi &= ~DESC_HI_P;
	fake_gdt[6].hi &= ~DESC_HI_P;
	fake_gdt[7].hi &= ~DESC_HI_P;
}

int tss_inner_stack(struct vcpu *v, unsigned ring, uint32_t *ss, uint32_t *esp,
		    struct guest_fault *f)
{
	fk.tss_ring = ring;
	if (fk.tss_fault) {
		f->vector = fk.tss_fault;
		f->err = fk.tss_fault == T_PF ? PFE_P : v->tr & ~3u;
		f->cr2 = 0x7000;
		return -1;
	}
	*ss = sel_compress((uint16_t)fk.tss_ss);
	*esp = fk.tss_esp;
	return 0;
}

/* vcpu_gpr/vcpu_gprs are the real ones (src/monitor/vcpu.c); this one
 * records the call instead of reading the PIT. */
void vcpu_set_vif(struct vcpu *v, bool on)
{
	fk.vif_calls++;
	v->vif = on;
}

/* ---- helpers ------------------------------------------------------------ */

/* A guest kernel in ring 1 with interrupts on, paging on, flat segments. */
static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	memset(mem, 0, sizeof mem);
	memset(&vc, 0, sizeof vc);
	die_armed = false;
	died = 0;
	die_msg[0] = 0;
	vc.tf.cs = KCODE;
	vc.tf.ss = vc.tf.ds = vc.tf.es = vc.tf.fs = vc.tf.gs = KDATA;
	vc.tf.eip = START_EIP;
	vc.tf.esp = START_ESP;
	vc.tf.eflags = FL_RESERVED1 | FL_IF;
	vc.vif = true;
	vc.cr0 = CR0_PE | CR0_ET | CR0_PG;
	cr4_guest_mask = CR4_DE | CR4_PSE | CR4_PGE | CR4_PAE | CR4_TSD;
	fake_gdt_reset();
	memset(&host_cpu, 0, sizeof host_cpu);
	host_cpu.has_misc_enable = true;
	host_cpu.misc_enable = 1;               /* fast strings */
	fake_dr6_bit12_fixed0 = false;
	fake_rdpmc_vector = T_UD;               /* qemu32 under TCG: no counters */
	fake_rdpmc_count = 0;
	fake_rdpmc_calls = 0;
	fake_rdpmc_counter = 0;
	return 0;
}

typedef enum emul_result handler_fn(struct vcpu *v, const struct insn *in);

/* Decodes code (which must be exactly one instruction of kind), runs
 * handler h on it, and checks the invariants every handler keeps. */
static enum emul_result run_with(handler_fn *h, const uint8_t *code, size_t n,
				 enum insn_kind kind)
{
	struct insn in;
	assert_int_equal(decode_buf(code, n, &in), DECODE_OK);
	assert_int_equal(in.len, n);
	assert_int_equal(in.kind, kind);

	uint32_t eip = vc.tf.eip;
	unsigned injected = fk.injected;
	enum emul_result r = h(&vc, &in);
	if (r != EMUL_JUMPED)
		assert_int_equal(vc.tf.eip, eip);
	assert_int_equal(fk.injected - injected, r == EMUL_FAULTED ? 1 : 0);
	return r;
}

/* The #GP path: emulate(). */
static enum emul_result run(const uint8_t *code, size_t n, enum insn_kind kind)
{
	return run_with(emulate, code, n, kind);
}

#define RUN(code, kind) run(code, sizeof code, kind)

/* Did emulating code end the guest?  (guest_die longjmps to here.) */
static bool dies(const uint8_t *code, size_t n, enum insn_kind kind)
{
	if (setjmp(die_jmp))
		return true;
	die_armed = true;
	run(code, n, kind);
	die_armed = false;
	return false;
}

static void put32(uint32_t addr, uint32_t val)
{
	memcpy(mem + addr, &val, 4);
}

static uint32_t get32(uint32_t addr)
{
	uint32_t val;
	memcpy(&val, mem + addr, 4);
	return val;
}

/* Pushes words[0..n) so that words[0] is at the new ESP (popped first). */
static void stack_frame(const uint32_t *words, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put32(vc.tf.esp + 4 * i, words[i]);
}

static void assert_injected(unsigned vector, uint32_t err)
{
	assert_int_equal(fk.vector, vector);
	assert_int_equal(fk.kind, EV_FAULT);
	assert_int_equal(fk.err, err);
}

/* ---- CLI, STI, HLT ------------------------------------------------------ */

static void test_cli_clears_virtual_if(void **state)
{
	static const uint8_t cli[] = { 0xFA };
	(void)state;
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_NEXT);
	assert_false(vc.vif);
	assert_true(vc.tf.eflags & FL_IF);      /* the real IF stays on */
	assert_false(vc.shadow_active);
}

static void test_sti_sets_virtual_if_and_shadow(void **state)
{
	static const uint8_t sti[] = { 0xFB };
	(void)state;
	vc.vif = false;
	assert_int_equal(RUN(sti, INSN_STI), EMUL_NEXT);
	assert_true(vc.vif);
	assert_true(vc.shadow_active);
	assert_int_equal(vc.shadow_eip, START_EIP + 1);     /* the next instruction */
}

/* STI with IF already 1 opens no shadow. */
static void test_sti_with_if_set_no_shadow(void **state)
{
	static const uint8_t sti[] = { 0xFB };
	(void)state;
	vc.shadow_eip = 0x1234;
	assert_int_equal(RUN(sti, INSN_STI), EMUL_NEXT);
	assert_true(vc.vif);
	assert_false(vc.shadow_active);
	assert_int_equal(vc.shadow_eip, 0x1234);
}

static void test_hlt_idles_and_advances_eip(void **state)
{
	static const uint8_t hlt[] = { 0xF4 };
	(void)state;
	assert_int_equal(RUN(hlt, INSN_HLT), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, START_EIP + 1);
	assert_int_equal(fk.halts, 1);
}

static void test_hlt_with_if_clear_ends_guest(void **state)
{
	static const uint8_t hlt[] = { 0xF4 };
	(void)state;
	vc.vif = false;
	assert_true(dies(hlt, sizeof hlt, INSN_HLT));
	assert_non_null(strstr(die_msg, "HLT"));
	assert_int_equal(fk.halts, 0);
}

/* ---- IN, OUT ------------------------------------------------------------ */

static void test_in_imm8_byte(void **state)
{
	static const uint8_t in_al_60[] = { 0xE4, 0x60 };
	(void)state;
	vc.tf.eax = 0x11223344;
	vc.tf.edx = 0x3F8;
	fk.in_vals[0] = 0xA1B2C3D4;
	assert_int_equal(RUN(in_al_60, INSN_IN), EMUL_NEXT);
	assert_int_equal(fk.in_count, 1);
	assert_int_equal(fk.in_port, 0x60);
	assert_int_equal(fk.in_size, 1);
	assert_int_equal(vc.tf.eax, 0x112233D4);
}

static void test_in_imm8_word(void **state)
{
	static const uint8_t in_ax_71[] = { 0x66, 0xE5, 0x71 };
	(void)state;
	vc.tf.eax = 0x11223344;
	fk.in_vals[0] = 0xA1B2C3D4;
	assert_int_equal(RUN(in_ax_71, INSN_IN), EMUL_NEXT);
	assert_int_equal(fk.in_port, 0x71);
	assert_int_equal(fk.in_size, 2);
	assert_int_equal(vc.tf.eax, 0x1122C3D4);
}

static void test_in_imm8_dword(void **state)
{
	static const uint8_t in_eax_40[] = { 0xE5, 0x40 };
	(void)state;
	vc.tf.eax = 0x11223344;
	fk.in_vals[0] = 0xA1B2C3D4;
	assert_int_equal(RUN(in_eax_40, INSN_IN), EMUL_NEXT);
	assert_int_equal(fk.in_port, 0x40);
	assert_int_equal(fk.in_size, 4);
	assert_int_equal(vc.tf.eax, 0xA1B2C3D4);
}

/* The port is DX, not EDX; the other registers do not change. */
static void test_in_dx_widths(void **state)
{
	static const uint8_t in_al_dx[] = { 0xEC };
	static const uint8_t in_ax_dx[] = { 0x66, 0xED };
	static const uint8_t in_eax_dx[] = { 0xED };
	(void)state;
	vc.tf.edx = 0xABCD03F8;
	fk.in_vals[0] = 0x000000AA;
	fk.in_vals[1] = 0x0000BBBB;
	fk.in_vals[2] = 0xCCCCCCCC;

	vc.tf.eax = 0x11223344;
	assert_int_equal(RUN(in_al_dx, INSN_IN), EMUL_NEXT);
	assert_int_equal(fk.in_port, 0x03F8);
	assert_int_equal(fk.in_size, 1);
	assert_int_equal(vc.tf.eax, 0x112233AA);

	assert_int_equal(RUN(in_ax_dx, INSN_IN), EMUL_NEXT);
	assert_int_equal(fk.in_size, 2);
	assert_int_equal(vc.tf.eax, 0x1122BBBB);

	assert_int_equal(RUN(in_eax_dx, INSN_IN), EMUL_NEXT);
	assert_int_equal(fk.in_size, 4);
	assert_int_equal(vc.tf.eax, 0xCCCCCCCC);
	assert_int_equal(vc.tf.edx, 0xABCD03F8);
}

static void test_out_imm8_byte(void **state)
{
	static const uint8_t out_80_al[] = { 0xE6, 0x80 };
	(void)state;
	vc.tf.eax = 0x12345678;
	vc.tf.edx = 0x3F8;
	assert_int_equal(RUN(out_80_al, INSN_OUT), EMUL_NEXT);
	assert_int_equal(fk.out_count, 1);
	assert_int_equal(fk.outs[0].port, 0x80);
	assert_int_equal(fk.outs[0].size, 1);
	assert_int_equal(fk.outs[0].value, 0x78);
	assert_int_equal(vc.tf.eax, 0x12345678);
}

static void test_out_imm8_word_dword(void **state)
{
	static const uint8_t out_f4_ax[] = { 0x66, 0xE7, 0xF4 };
	static const uint8_t out_f4_eax[] = { 0xE7, 0xF4 };
	(void)state;
	vc.tf.eax = 0x12345678;
	assert_int_equal(RUN(out_f4_ax, INSN_OUT), EMUL_NEXT);
	assert_int_equal(RUN(out_f4_eax, INSN_OUT), EMUL_NEXT);
	assert_int_equal(fk.out_count, 2);
	assert_int_equal(fk.outs[0].port, 0xF4);
	assert_int_equal(fk.outs[0].size, 2);
	assert_int_equal(fk.outs[0].value, 0x5678);
	assert_int_equal(fk.outs[1].size, 4);
	assert_int_equal(fk.outs[1].value, 0x12345678);
}

static void test_out_dx_widths(void **state)
{
	static const uint8_t out_dx_al[] = { 0xEE };
	static const uint8_t out_dx_ax[] = { 0x66, 0xEF };
	static const uint8_t out_dx_eax[] = { 0xEF };
	(void)state;
	vc.tf.eax = 0x12345678;
	vc.tf.edx = 0xFFFF0021;
	assert_int_equal(RUN(out_dx_al, INSN_OUT), EMUL_NEXT);
	assert_int_equal(RUN(out_dx_ax, INSN_OUT), EMUL_NEXT);
	assert_int_equal(RUN(out_dx_eax, INSN_OUT), EMUL_NEXT);
	assert_int_equal(fk.out_count, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fk.outs[i].port, 0x21);
	assert_int_equal(fk.outs[0].size, 1);
	assert_int_equal(fk.outs[0].value, 0x78);
	assert_int_equal(fk.outs[1].size, 2);
	assert_int_equal(fk.outs[1].value, 0x5678);
	assert_int_equal(fk.outs[2].size, 4);
	assert_int_equal(fk.outs[2].value, 0x12345678);
}

/* ---- INS, OUTS ---------------------------------------------------------- */

/* Without REP: one element, ECX untouched. */
static void test_outsb_single(void **state)
{
	static const uint8_t outsb[] = { 0x6E };
	(void)state;
	mem[0x2000] = 0x5A;
	vc.tf.esi = 0x2000;
	vc.tf.ecx = 7;
	vc.tf.edx = 0x3F8;
	assert_int_equal(RUN(outsb, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 1);
	assert_int_equal(fk.outs[0].port, 0x3F8);
	assert_int_equal(fk.outs[0].size, 1);
	assert_int_equal(fk.outs[0].value, 0x5A);
	assert_int_equal(vc.tf.esi, 0x2001);
	assert_int_equal(vc.tf.ecx, 7);
	assert_false(fk.gva_acc_or & GVA_USER);  /* read as the kernel */
}

static void test_rep_outsb(void **state)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };
	(void)state;
	memcpy(mem + 0x2000, "abc", 3);
	vc.tf.esi = 0x2000;
	vc.tf.ecx = 3;
	vc.tf.edx = 0xE9;
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 3);
	assert_int_equal(fk.outs[0].value, 'a');
	assert_int_equal(fk.outs[1].value, 'b');
	assert_int_equal(fk.outs[2].value, 'c');
	assert_int_equal(fk.outs[2].port, 0xE9);
	assert_int_equal(vc.tf.esi, 0x2003);
	assert_int_equal(vc.tf.ecx, 0);
}

static void test_rep_outsb_df_moves_down(void **state)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };
	(void)state;
	memcpy(mem + 0x2000, "abc", 3);
	vc.tf.eflags |= FL_DF;
	vc.tf.esi = 0x2002;
	vc.tf.ecx = 3;
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 3);
	assert_int_equal(fk.outs[0].value, 'c');
	assert_int_equal(fk.outs[1].value, 'b');
	assert_int_equal(fk.outs[2].value, 'a');
	assert_int_equal(vc.tf.esi, 0x1FFF);
	assert_int_equal(vc.tf.ecx, 0);
}

static void test_rep_outsw(void **state)
{
	static const uint8_t rep_outsw[] = { 0xF3, 0x66, 0x6F };
	(void)state;
	put32(0x2000, 0x22221111);
	vc.tf.esi = 0x2000;
	vc.tf.ecx = 2;
	vc.tf.edx = 0x1F0;
	assert_int_equal(RUN(rep_outsw, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 2);
	assert_int_equal(fk.outs[0].size, 2);
	assert_int_equal(fk.outs[0].value, 0x1111);
	assert_int_equal(fk.outs[1].value, 0x2222);
	assert_int_equal(vc.tf.esi, 0x2004);
	assert_int_equal(vc.tf.ecx, 0);
}

static void test_rep_outs_ecx_zero_does_nothing(void **state)
{
	static const uint8_t rep_outsd[] = { 0xF3, 0x6F };
	(void)state;
	vc.tf.esi = 0x2000;
	vc.tf.ecx = 0;
	assert_int_equal(RUN(rep_outsd, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 0);
	assert_int_equal(vc.tf.esi, 0x2000);
	assert_int_equal(vc.tf.ecx, 0);
}

static void test_rep_insb(void **state)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };
	(void)state;
	fk.in_vals[0] = 0x11;
	fk.in_vals[1] = 0x22;
	fk.in_vals[2] = 0x33;
	vc.tf.edi = 0x3000;
	vc.tf.ecx = 3;
	vc.tf.edx = 0x60;
	assert_int_equal(RUN(rep_insb, INSN_INS), EMUL_NEXT);
	assert_int_equal(fk.in_count, 3);
	assert_int_equal(fk.in_port, 0x60);
	assert_int_equal(fk.in_size, 1);
	assert_int_equal(mem[0x3000], 0x11);
	assert_int_equal(mem[0x3001], 0x22);
	assert_int_equal(mem[0x3002], 0x33);
	assert_int_equal(mem[0x3003], 0);
	assert_int_equal(vc.tf.edi, 0x3003);
	assert_int_equal(vc.tf.ecx, 0);
	assert_false(fk.gva_acc_or & GVA_USER);
}

static void test_rep_insd_df_moves_down(void **state)
{
	static const uint8_t rep_insd[] = { 0xF3, 0x6D };
	(void)state;
	fk.in_vals[0] = 0xAAAAAAAA;
	fk.in_vals[1] = 0xBBBBBBBB;
	vc.tf.eflags |= FL_DF;
	vc.tf.edi = 0x3004;
	vc.tf.ecx = 2;
	assert_int_equal(RUN(rep_insd, INSN_INS), EMUL_NEXT);
	assert_int_equal(get32(0x3004), 0xAAAAAAAA);
	assert_int_equal(get32(0x3000), 0xBBBBBBBB);
	assert_int_equal(vc.tf.edi, 0x2FFC);
	assert_int_equal(vc.tf.ecx, 0);
}

/* A #PF on the third byte: two went out, the registers describe the third,
 * the guest's handler sees CR2 = the faulting byte, and IRET resumes. */
static void test_rep_outsb_fault_midway(void **state)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };
	(void)state;
	mem[0x2FFE] = 1;
	mem[0x2FFF] = 2;
	fk.fault_page[3] = true;
	vc.tf.esi = 0x2FFE;
	vc.tf.ecx = 5;
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_FAULTED);
	assert_int_equal(fk.out_count, 2);
	assert_int_equal(vc.tf.esi, 0x3000);
	assert_int_equal(vc.tf.ecx, 3);
	assert_injected(T_PF, 0);
	assert_int_equal(fk.pf_va, 0x3000);
	assert_int_equal(vc.cr2, 0x3000);
}

static void test_rep_insb_fault_midway(void **state)
{
	static const uint8_t rep_insb[] = { 0xF3, 0x6C };
	(void)state;
	fk.in_vals[0] = 0x77;
	fk.fault_page[3] = true;
	vc.tf.eflags |= FL_DF;          /* moving down into the faulting page */
	vc.tf.edi = 0x4000;
	vc.tf.ecx = 4;
	assert_int_equal(RUN(rep_insb, INSN_INS), EMUL_FAULTED);
	assert_int_equal(mem[0x4000], 0x77);
	assert_int_equal(vc.tf.edi, 0x3FFF);
	assert_int_equal(vc.tf.ecx, 3);
	assert_injected(T_PF, PFE_W);
	assert_int_equal(fk.pf_va, 0x3FFF);
}

/* OUTS reads DS:ESI, or the override's segment; INS always writes ES:EDI. */
static void test_outs_honours_segment_override(void **state)
{
	static const uint8_t es_outsb[] = { 0x26, 0x6E };
	(void)state;
	vc.tf.es = 0x2B;                /* index 5 */
	fk.seg_base[5] = 0x4000;
	mem[0x4010] = 0xE5;
	mem[0x0010] = 0xD5;
	vc.tf.esi = 0x10;
	assert_int_equal(RUN(es_outsb, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.outs[0].value, 0xE5);
	assert_int_equal(vc.tf.esi, 0x11);
}

static void test_ins_ignores_segment_override(void **state)
{
	static const uint8_t cs_insb[] = { 0x2E, 0x6C };
	(void)state;
	vc.tf.es = 0x2B;
	fk.seg_base[5] = 0x4000;
	fk.in_vals[0] = 0x99;
	vc.tf.edi = 0x10;
	assert_int_equal(RUN(cs_insb, INSN_INS), EMUL_NEXT);
	assert_int_equal(mem[0x4010], 0x99);
	assert_int_equal(mem[0x0010], 0);
}

/* 67: SI and CX, wrapping at 64K; the high halves stay. */
static void test_rep_outsb_addr16_wraps(void **state)
{
	static const uint8_t a16_rep_outsb[] = { 0x67, 0xF3, 0x6E };
	(void)state;
	mem[0xFFFF] = 0x0F;
	mem[0x0000] = 0x00;
	vc.tf.esi = 0x1234FFFF;
	vc.tf.ecx = 0x56780002;
	assert_int_equal(RUN(a16_rep_outsb, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 2);
	assert_int_equal(fk.outs[0].value, 0x0F);
	assert_int_equal(fk.outs[1].value, 0x00);
	assert_int_equal(vc.tf.esi, 0x12340001);
	assert_int_equal(vc.tf.ecx, 0x56780000);
}

static void test_outs_outside_ram_ends_guest(void **state)
{
	static const uint8_t outsb[] = { 0x6E };
	(void)state;
	fk.bad_page[2] = true;
	vc.tf.esi = 0x2000;
	assert_true(dies(outsb, sizeof outsb, INSN_OUTS));
	assert_non_null(strstr(die_msg, "not RAM"));
	assert_int_equal(fk.out_count, 0);
}

/* ---- LGDT, LIDT, LLDT, LTR ---------------------------------------------- */

static const uint8_t dtr_operand[6] = { 0xFF, 0x07, 0x00, 0x30, 0x12, 0xC0 };

/* lgdt [ebx+8] in a segment based at 0x1000: the operand's linear
 * address goes through the segment and the ModRM addressing. */
static void test_lgdt(void **state)
{
	static const uint8_t lgdt_ebx8[] = { 0x0F, 0x01, 0x53, 0x08 };
	(void)state;
	vc.tf.ds = 0x33;                /* index 6 */
	fk.seg_base[6] = 0x1000;
	vc.tf.ebx = 0x2000;
	memcpy(mem + 0x3008, dtr_operand, 6);
	assert_int_equal(RUN(lgdt_ebx8, INSN_LGDT), EMUL_NEXT);
	assert_int_equal(fk.lgdt_count, 1);
	assert_int_equal(fk.lgdt_base, 0xC0123000);
	assert_int_equal(fk.lgdt_limit, 0x07FF);
}

/* A memory operand through a data segment register holding the null
 * selector (any RPL): #GP(0), nothing loaded, on a CPU that checks
 * (host_cpu.null_seg, as Bochs); without the check (QEMU's TCG) the
 * access goes through base 0, as that CPU's own would. */
static void test_null_segment_operand(void **state)
{
	static const uint8_t lgdt_eax[] = { 0x0F, 0x01, 0x10 };
	static const uint8_t lldt_fs_eax[] = { 0x64, 0x0F, 0x00, 0x10 };
	static const uint8_t lgdt_ss_eax[] = { 0x36, 0x0F, 0x01, 0x10 };
	(void)state;
	vc.tf.eax = 0x2000;
	memcpy(mem + 0x2000, dtr_operand, 6);
	vc.tf.ds = 0x3;                 /* null, RPL 3 */
	vc.tf.fs = 0;
	host_cpu.null_seg = true;
	assert_int_equal(RUN(lgdt_eax, INSN_LGDT), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(fk.lgdt_count, 0);
	assert_int_equal(RUN(lldt_fs_eax, INSN_LLDT), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(RUN(lgdt_ss_eax, INSN_LGDT), EMUL_NEXT);   /* SS: not null */
	assert_int_equal(fk.lgdt_count, 1);
	host_cpu.null_seg = false;
	assert_int_equal(RUN(lgdt_eax, INSN_LGDT), EMUL_NEXT);
	assert_int_equal(fk.lgdt_count, 2);
	assert_int_equal(fk.lgdt_base, 0xC0123000);
}

static void test_lgdt_opsize16_masks_base(void **state)
{
	static const uint8_t o16_lgdt_eax[] = { 0x66, 0x0F, 0x01, 0x10 };
	(void)state;
	vc.tf.eax = 0x2000;
	memcpy(mem + 0x2000, dtr_operand, 6);
	assert_int_equal(RUN(o16_lgdt_eax, INSN_LGDT), EMUL_NEXT);
	assert_int_equal(fk.lgdt_base, 0x00123000);
	assert_int_equal(fk.lgdt_limit, 0x07FF);
}

static void test_lidt(void **state)
{
	static const uint8_t lidt_eax[] = { 0x0F, 0x01, 0x18 };
	(void)state;
	vc.tf.eax = 0x2000;
	memcpy(mem + 0x2000, dtr_operand, 6);
	assert_int_equal(RUN(lidt_eax, INSN_LIDT), EMUL_NEXT);
	assert_int_equal(vc.idtr.base, 0xC0123000);
	assert_int_equal(vc.idtr.limit, 0x07FF);
	assert_int_equal(fk.lgdt_count, 0);
}

static void test_lidt_opsize16_masks_base(void **state)
{
	static const uint8_t o16_lidt_eax[] = { 0x66, 0x0F, 0x01, 0x18 };
	(void)state;
	vc.tf.eax = 0x2000;
	memcpy(mem + 0x2000, dtr_operand, 6);
	assert_int_equal(RUN(o16_lidt_eax, INSN_LIDT), EMUL_NEXT);
	assert_int_equal(vc.idtr.base, 0x00123000);
}

/* The 6-byte operand straddles into a faulting page: #PF, IDTR kept. */
static void test_lidt_operand_fault(void **state)
{
	static const uint8_t lidt_eax[] = { 0x0F, 0x01, 0x18 };
	(void)state;
	vc.idtr = (struct vdtr){ 0x5000, 0x7FF };
	fk.fault_page[3] = true;
	vc.tf.eax = 0x2FFC;
	assert_int_equal(RUN(lidt_eax, INSN_LIDT), EMUL_FAULTED);
	assert_injected(T_PF, 0);
	assert_int_equal(fk.pf_va, 0x3000);
	assert_int_equal(vc.idtr.base, 0x5000);
	assert_int_equal(vc.idtr.limit, 0x7FF);
}

static void test_lldt_from_register(void **state)
{
	static const uint8_t lldt_ax[] = { 0x0F, 0x00, 0xD0 };
	(void)state;
	vc.tf.eax = 0xFFFF0028;
	assert_int_equal(RUN(lldt_ax, INSN_LLDT), EMUL_NEXT);
	assert_int_equal(fk.lldt_count, 1);
	assert_int_equal(fk.lldt_sel, 0x0028);
}

static void test_lldt_from_memory(void **state)
{
	static const uint8_t lldt_m_eax[] = { 0x0F, 0x00, 0x10 };
	(void)state;
	vc.tf.eax = 0x2000;
	put32(0x2000, 0xAAAA0038);
	assert_int_equal(RUN(lldt_m_eax, INSN_LLDT), EMUL_NEXT);
	assert_int_equal(fk.lldt_sel, 0x0038);
}

static void test_ltr_from_register(void **state)
{
	static const uint8_t ltr_bx[] = { 0x0F, 0x00, 0xDB };
	(void)state;
	vc.tf.ebx = 0x12340030;
	assert_int_equal(RUN(ltr_bx, INSN_LTR), EMUL_NEXT);
	assert_int_equal(fk.ltr_count, 1);
	assert_int_equal(fk.ltr_sel, 0x0030);
}

/* vdesc_ltr refused the selector (and injected #GP): that is the result. */
static void test_ltr_fault_is_reported(void **state)
{
	static const uint8_t ltr_bx[] = { 0x0F, 0x00, 0xDB };
	(void)state;
	fk.vdesc_ret = -1;
	vc.tf.ebx = 0x0030;
	assert_int_equal(RUN(ltr_bx, INSN_LTR), EMUL_FAULTED);
	assert_injected(T_GP, 0x30);
}

/* ---- control registers -------------------------------------------------- */

static void test_mov_to_cr3_flushes(void **state)
{
	static const uint8_t mov_cr3_eax[] = { 0x0F, 0x22, 0xD8 };
	(void)state;
	vc.tf.eax = 0x00105000;
	assert_int_equal(RUN(mov_cr3_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(vc.cr3, 0x00105000);
	assert_int_equal(fk.flushes, 1);
}

static void test_mov_from_cr3(void **state)
{
	static const uint8_t mov_ecx_cr3[] = { 0x0F, 0x20, 0xD9 };
	(void)state;
	vc.cr3 = 0x00207000;
	assert_int_equal(RUN(mov_ecx_cr3, INSN_MOV_FROM_CR), EMUL_NEXT);
	assert_int_equal(vc.tf.ecx, 0x00207000);
	assert_int_equal(vc.tf.eax, 0);
	assert_int_equal(fk.flushes, 0);
}

static void test_mov_to_cr0_pg_without_pe_gp(void **state)
{
	static const uint8_t mov_cr0_eax[] = { 0x0F, 0x22, 0xC0 };
	(void)state;
	vc.cr0 = CR0_ET;
	vc.tf.eax = CR0_PG | CR0_ET;
	assert_int_equal(RUN(mov_cr0_eax, INSN_MOV_TO_CR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(vc.cr0, CR0_ET);
	assert_int_equal(fk.flushes, 0);
}

/* Turning paging on flushes the shadow; ET reads as 1 whatever is written. */
static void test_mov_to_cr0_paging_on(void **state)
{
	static const uint8_t mov_cr0_ebx[] = { 0x0F, 0x22, 0xC3 };
	(void)state;
	vc.cr0 = CR0_PE | CR0_ET;
	vc.tf.ebx = CR0_PE | CR0_PG;
	assert_int_equal(RUN(mov_cr0_ebx, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(vc.cr0, CR0_PE | CR0_PG | CR0_ET);
	assert_int_equal(fk.flushes, 1);
}

static void test_mov_to_cr0_wp_flushes_ts_does_not(void **state)
{
	static const uint8_t mov_cr0_eax[] = { 0x0F, 0x22, 0xC0 };
	(void)state;
	vc.tf.eax = vc.cr0 | CR0_TS;
	assert_int_equal(RUN(mov_cr0_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_true(vc.cr0 & CR0_TS);
	assert_int_equal(fk.flushes, 0);
	vc.tf.eax = vc.cr0 | CR0_WP;
	assert_int_equal(RUN(mov_cr0_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_true(vc.cr0 & CR0_WP);
	assert_int_equal(fk.flushes, 1);
}

static void test_mov_from_cr0(void **state)
{
	static const uint8_t mov_ebx_cr0[] = { 0x0F, 0x20, 0xC3 };
	(void)state;
	vc.cr0 = CR0_PE | CR0_ET | CR0_PG | CR0_TS;
	assert_int_equal(RUN(mov_ebx_cr0, INSN_MOV_FROM_CR), EMUL_NEXT);
	assert_int_equal(vc.tf.ebx, CR0_PE | CR0_ET | CR0_PG | CR0_TS);
}

static void test_mov_cr2_both_ways(void **state)
{
	static const uint8_t mov_cr2_eax[] = { 0x0F, 0x22, 0xD0 };
	static const uint8_t mov_edx_cr2[] = { 0x0F, 0x20, 0xD2 };
	(void)state;
	vc.tf.eax = 0xDEADB000;
	assert_int_equal(RUN(mov_cr2_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(vc.cr2, 0xDEADB000);
	assert_int_equal(RUN(mov_edx_cr2, INSN_MOV_FROM_CR), EMUL_NEXT);
	assert_int_equal(vc.tf.edx, 0xDEADB000);
	assert_int_equal(fk.flushes, 0);
}

/* PGE and PSE change what the shadow may hold; DE does not. */
static void test_mov_to_cr4_in_mask(void **state)
{
	static const uint8_t mov_cr4_eax[] = { 0x0F, 0x22, 0xE0 };
	(void)state;
	vc.tf.eax = CR4_DE;
	assert_int_equal(RUN(mov_cr4_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(vc.cr4, CR4_DE);
	assert_int_equal(fk.flushes, 0);
	vc.tf.eax = CR4_DE | CR4_PGE;
	assert_int_equal(RUN(mov_cr4_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(vc.cr4, CR4_DE | CR4_PGE);
	assert_int_equal(fk.flushes, 1);
	vc.tf.eax = CR4_DE | CR4_PGE | CR4_PSE;
	assert_int_equal(RUN(mov_cr4_eax, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(fk.flushes, 2);
}

static void test_mov_to_cr4_outside_mask_gp(void **state)
{
	static const uint8_t mov_cr4_eax[] = { 0x0F, 0x22, 0xE0 };
	(void)state;
	vc.cr4 = CR4_PSE;
	vc.tf.eax = CR4_PSE | CR4_OSFXSR;
	assert_int_equal(RUN(mov_cr4_eax, INSN_MOV_TO_CR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(vc.cr4, CR4_PSE);
}

static void test_mov_to_cr4_pae_ends_guest(void **state)
{
	static const uint8_t mov_cr4_eax[] = { 0x0F, 0x22, 0xE0 };
	(void)state;
	vc.tf.eax = CR4_PAE;
	assert_true(dies(mov_cr4_eax, sizeof mov_cr4_eax, INSN_MOV_TO_CR));
	assert_non_null(strstr(die_msg, "PAE"));
	assert_int_equal(vc.cr4, 0);
}

static void test_mov_from_cr4(void **state)
{
	static const uint8_t mov_esi_cr4[] = { 0x0F, 0x20, 0xE6 };
	(void)state;
	vc.cr4 = CR4_PSE | CR4_PGE;
	assert_int_equal(RUN(mov_esi_cr4, INSN_MOV_FROM_CR), EMUL_NEXT);
	assert_int_equal(vc.tf.esi, CR4_PSE | CR4_PGE);
}

static void test_mov_cr1_cr5_ud(void **state)
{
	static const uint8_t mov_cr1_eax[] = { 0x0F, 0x22, 0xC8 };
	static const uint8_t mov_eax_cr5[] = { 0x0F, 0x20, 0xE8 };
	(void)state;
	vc.tf.eax = 0x1234;
	assert_int_equal(RUN(mov_cr1_eax, INSN_MOV_TO_CR), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(RUN(mov_eax_cr5, INSN_MOV_FROM_CR), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(vc.tf.eax, 0x1234);
	assert_int_equal(fk.flushes, 0);
}

/* ---- debug registers ---------------------------------------------------- */

static void test_mov_dr0_and_dr7(void **state)
{
	static const uint8_t mov_dr0_eax[] = { 0x0F, 0x23, 0xC0 };
	static const uint8_t mov_dr7_ebx[] = { 0x0F, 0x23, 0xFB };
	static const uint8_t mov_ecx_dr7[] = { 0x0F, 0x21, 0xF9 };
	(void)state;
	vc.tf.eax = 0xC0100000;
	vc.tf.ebx = 0x00000401;
	assert_int_equal(RUN(mov_dr0_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(RUN(mov_dr7_ebx, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(vc.dr[0], 0xC0100000);
	assert_int_equal(vc.dr[7], 0x00000401);
	assert_int_equal(RUN(mov_ecx_dr7, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.ecx, 0x00000401);
	/* each write reached the real registers' owner (debugreg.c) */
	assert_int_equal(fk.dr_loads, 2);
	assert_int_equal(fk.dr7_loaded, 0x00000401);
}

/* CR4.DE = 0: DR4 is DR6 and DR5 is DR7. */
static void test_dr4_dr5_alias_without_de(void **state)
{
	static const uint8_t mov_dr4_eax[] = { 0x0F, 0x23, 0xE0 };
	static const uint8_t mov_edx_dr5[] = { 0x0F, 0x21, 0xEA };
	(void)state;
	vc.tf.eax = 0xFFFF0FF1;
	vc.dr[7] = 0x455;
	assert_int_equal(RUN(mov_dr4_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(vc.dr[6], 0xFFFF0FF1);
	assert_int_equal(vc.dr[4], 0);
	assert_int_equal(RUN(mov_edx_dr5, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.edx, 0x455);
}

static void test_dr4_dr5_ud_with_de(void **state)
{
	static const uint8_t mov_dr4_eax[] = { 0x0F, 0x23, 0xE0 };
	static const uint8_t mov_edx_dr5[] = { 0x0F, 0x21, 0xEA };
	(void)state;
	vc.cr4 = CR4_DE;
	vc.tf.eax = 0xFFFF0FF1;
	vc.tf.edx = 0x77;
	assert_int_equal(RUN(mov_dr4_eax, INSN_MOV_TO_DR), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(vc.dr[6], 0);
	assert_int_equal(vc.dr[4], 0);
	assert_int_equal(RUN(mov_edx_dr5, INSN_MOV_FROM_DR), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(vc.tf.edx, 0x77);
}

/* DR6 reads back what the real DR6 keeps: bit 12 is 0 on Bochs's CPU. */
static void test_dr6_readback_as_the_cpu(void **state)
{
	static const uint8_t mov_dr6_eax[] = { 0x0F, 0x23, 0xF0 }, mov_ebx_dr6[] = { 0x0F, 0x21, 0xF3 };
	(void)state;
	fake_dr6_bit12_fixed0 = true;
	vc.tf.eax = 0xFFFFFFFF;
	assert_int_equal(RUN(mov_dr6_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(RUN(mov_ebx_dr6, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.ebx, 0xFFFFEFFF);
	assert_int_equal(fk.dr_loads, 0);       /* DR6 is never the guest's */
}

/* DR7.GD on a CPU with general detect: the next MOV DR is a #DB fault
 * (nothing moved, EIP at the MOV) with DR6.BD, and GD is cleared, so the
 * handler's own MOV DR runs. */
static void test_dr7_gd_raises_db(void **state)
{
	static const uint8_t mov_dr7_eax[] = { 0x0F, 0x23, 0xF8 }, mov_dr0_ebx[] = { 0x0F, 0x23, 0xC3 };
	static const uint8_t mov_ecx_dr7[] = { 0x0F, 0x21, 0xF9 };
	(void)state;
	host_cpu.gd = true;
	vc.dr[6] = DR6_FIXED1;
	vc.tf.eax = 0x2000;                     /* GD */
	vc.tf.ebx = 0x1234;
	assert_int_equal(RUN(mov_dr7_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(vc.dr[7], 0x2400);
	assert_int_equal(RUN(mov_dr0_ebx, INSN_MOV_TO_DR), EMUL_FAULTED);
	assert_injected(T_DB, 0);
	assert_int_equal(vc.dr[0], 0);
	assert_int_equal(vc.dr[6], 0xFFFF2FF0);
	assert_int_equal(vc.dr[7], 0x400);
	assert_int_equal(RUN(mov_ecx_dr7, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.ecx, 0x400);
	/* a read with GD set faults too, before the register moves */
	vc.dr[7] = 0x2400;
	vc.tf.ecx = 0x77;
	assert_int_equal(RUN(mov_ecx_dr7, INSN_MOV_FROM_DR), EMUL_FAULTED);
	assert_injected(T_DB, 0);
	assert_int_equal(vc.tf.ecx, 0x77);
}

/* QEMU's CPU has no general detect: GD is kept and does nothing. */
static void test_dr7_gd_kept_without_host_gd(void **state)
{
	static const uint8_t mov_dr7_eax[] = { 0x0F, 0x23, 0xF8 }, mov_ecx_dr7[] = { 0x0F, 0x21, 0xF9 };
	(void)state;
	vc.tf.eax = 0x2000;
	assert_int_equal(RUN(mov_dr7_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(RUN(mov_ecx_dr7, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.ecx, 0x2400);
}

/* ---- CLTS, LMSW, INVLPG, WBINVD/INVD ------------------------------------ */

static void test_clts(void **state)
{
	static const uint8_t clts[] = { 0x0F, 0x06 };
	(void)state;
	vc.cr0 |= CR0_TS | CR0_MP;
	assert_int_equal(RUN(clts, INSN_CLTS), EMUL_NEXT);
	assert_int_equal(vc.cr0, CR0_PE | CR0_ET | CR0_PG | CR0_MP);
	assert_int_equal(fk.flushes, 0);
}

/* LMSW writes MP, EM, TS and cannot clear PE. */
static void test_lmsw_cannot_clear_pe(void **state)
{
	static const uint8_t lmsw_ax[] = { 0x0F, 0x01, 0xF0 };
	(void)state;
	vc.tf.eax = 0xFFF0000E;         /* PE = 0, MP EM TS = 1 */
	assert_int_equal(RUN(lmsw_ax, INSN_LMSW), EMUL_NEXT);
	assert_int_equal(vc.cr0, CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_PG);
	assert_int_equal(fk.flushes, 0);
}

static void test_lmsw_sets_pe(void **state)
{
	static const uint8_t lmsw_m_eax[] = { 0x0F, 0x01, 0x30 };
	(void)state;
	vc.cr0 = CR0_ET | CR0_TS;
	vc.tf.eax = 0x2000;
	put32(0x2000, 0xFFFF0001);      /* PE = 1, TS = 0; only 16 bits read */
	assert_int_equal(RUN(lmsw_m_eax, INSN_LMSW), EMUL_NEXT);
	assert_int_equal(vc.cr0, CR0_PE | CR0_ET);
	assert_int_equal(fk.flushes, 1);
}

static void test_invlpg_passes_address(void **state)
{
	static const uint8_t invlpg_ebx10[] = { 0x0F, 0x01, 0x7B, 0x10 };
	(void)state;
	vc.tf.ebx = 0xC0400000;
	assert_int_equal(RUN(invlpg_ebx10, INSN_INVLPG), EMUL_NEXT);
	assert_int_equal(fk.invlpgs, 1);
	assert_int_equal(fk.invlpg_va, 0xC0400010);
	assert_int_equal(fk.flushes, 0);
}

static void test_wbinvd_invd_do_nothing(void **state)
{
	static const uint8_t wbinvd[] = { 0x0F, 0x09 };
	static const uint8_t invd[] = { 0x0F, 0x08 };
	struct vcpu before;
	(void)state;
	before = vc;
	assert_int_equal(RUN(wbinvd, INSN_WBINVD), EMUL_NEXT);
	assert_int_equal(RUN(invd, INSN_INVD), EMUL_NEXT);
	assert_memory_equal(&vc, &before, sizeof vc);
	assert_int_equal(fk.flushes, 0);
}

/* ---- RDMSR, WRMSR ------------------------------------------------------- */

static void test_msr_sysenter_roundtrip(void **state)
{
	static const uint8_t wrmsr[] = { 0x0F, 0x30 };
	static const uint8_t rdmsr[] = { 0x0F, 0x32 };
	static const uint32_t msrs[] = { 0x174, 0x175, 0x176 };
	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		vc.tf.ecx = msrs[i];
		vc.tf.eax = 0xC0DE0000 + i;
		vc.tf.edx = 0;
		assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_NEXT);
		uint64_t got = i == 0 ? vc.sysenter_cs : i == 1 ? vc.sysenter_esp : vc.sysenter_eip;
		assert_true(got == 0xC0DE0000 + i);
		vc.tf.eax = 0;
		vc.tf.edx = 0x5555;
		assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_NEXT);
		assert_int_equal(vc.tf.eax, 0xC0DE0000 + i);
		assert_int_equal(vc.tf.edx, 0);
	}
}

/* SYSENTER_ESP and SYSENTER_EIP: a 32-bit CPU (lin_bits 0, qemu32) keeps
 * the low half of EDX:EAX; a long-mode one (Bochs) keeps all 64 bits of a
 * canonical address and raises #GP(0) for a non-canonical one, the MSR
 * unchanged. */
static void test_msr_sysenter_address_width(void **state)
{
	static const uint8_t wrmsr[] = { 0x0F, 0x30 };
	static const uint8_t rdmsr[] = { 0x0F, 0x32 };
	(void)state;
	vc.tf.ecx = 0x175;
	vc.tf.eax = 0xC;
	vc.tf.edx = 0x7E3104CF;
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_NEXT);
	assert_true(vc.sysenter_esp == 0xC);

	host_cpu.lin_bits = 48;
	vc.tf.ecx = 0x176;
	vc.tf.eax = 0x1000;
	vc.tf.edx = 0xFFFF8000;         /* canonical: bits 63:47 all ones */
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_NEXT);
	assert_true(vc.sysenter_eip == 0xFFFF800000001000ull);
	vc.tf.eax = 0;
	vc.tf.edx = 0;
	assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0x1000);
	assert_int_equal(vc.tf.edx, 0xFFFF8000);

	vc.tf.ecx = 0x175;
	vc.tf.eax = 0xC;
	vc.tf.edx = 0x7E3104CF;         /* non-canonical */
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_true(vc.sysenter_esp == 0xC);
	vc.tf.edx = 0x00008000;         /* bit 47 set, 63:48 clear: non-canonical */
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_FAULTED);
	vc.tf.ecx = 0x174;              /* SYSENTER_CS is not an address */
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_NEXT);
}

static void test_msr_unknown_gp(void **state)
{
	static const uint8_t wrmsr[] = { 0x0F, 0x30 };
	static const uint8_t rdmsr[] = { 0x0F, 0x32 };
	(void)state;
	vc.tf.ecx = 0xC0DE0001;         /* no CPU has it */
	vc.tf.eax = 0x1111;
	vc.tf.edx = 0x2222;
	assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(vc.tf.eax, 0x1111);
	assert_int_equal(vc.tf.edx, 0x2222);
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(vc.sysenter_cs | vc.sysenter_esp | vc.sysenter_eip, 0);
}

static void test_rdmsr_tsc_counts_up(void **state)
{
	static const uint8_t rdmsr[] = { 0x0F, 0x32 };
	(void)state;
	vc.tf.ecx = 0x10;
	assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_NEXT);
	uint64_t t0 = (uint64_t)vc.tf.edx << 32 | vc.tf.eax;
	assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_NEXT);
	uint64_t t1 = (uint64_t)vc.tf.edx << 32 | vc.tf.eax;
	assert_true(t0 != 0);
	assert_true(t1 > t0);
}

/* ---- INT n, INT3, INTO -------------------------------------------------- */

/* ---- privilege, bounded loops, MSRs, SYSENTER (issues 9 and 11) ---------- */

#define R2CODE  0x2Au   /* a guest ring-2 code selector (index 5, RPL 2) */
#define TSS_BASE 0x4000u
#define TSS_IOMB 0x68u  /* the bitmap right after the 104-byte TSS */

/* Ring 2 is the guest's own ring 2, not its kernel: CPL-0 instructions
 * get #GP(0) and change nothing. */
static void test_cpl2_privileged_gp(void **state)
{
	static const uint8_t mov_cr3[] = { 0x0F, 0x22, 0xD8 }, cli[] = { 0xFA };
	static const uint8_t hlt[] = { 0xF4 }, lgdt[] = { 0x0F, 0x01, 0x15, 0, 0x30, 0, 0 };
	(void)state;
	vc.tf.cs = R2CODE;
	vc.tf.eax = 0x5000;
	assert_int_equal(RUN(mov_cr3, INSN_MOV_TO_CR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(vc.cr3, 0);
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_FAULTED);
	assert_true(vc.vif);
	assert_int_equal(RUN(hlt, INSN_HLT), EMUL_FAULTED);
	assert_int_equal(fk.halts, 0);
	assert_int_equal(RUN(lgdt, INSN_LGDT), EMUL_FAULTED);
	assert_int_equal(fk.lgdt_count, 0);
}

/* CLI and STI at CPL <= IOPL work (the virtual IOPL: the real one is 0). */
static void test_user_cli_with_iopl3(void **state)
{
	static const uint8_t cli[] = { 0xFA };
	(void)state;
	vc.tf.cs = UCODE;
	vc.iopl = 3;
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_NEXT);
	assert_false(vc.vif);
	vc.iopl = 2;
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_FAULTED);
	assert_injected(T_GP, 0);
}

/* CR4.PVI: at CPL 3 above IOPL, CLI and STI clear and set EFLAGS.VIF
 * (the virtual IF stays); STI with VIP set, or CPL 2, is #GP(0). */
static void test_pvi_user_cli_sti(void **state)
{
	static const uint8_t cli[] = { 0xFA }, sti[] = { 0xFB };
	(void)state;
	vc.tf.cs = UCODE;
	vc.cr4 = CR4_PVI;
	vc.tf.eflags |= FL_VIF;
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_NEXT);
	assert_false(vc.tf.eflags & FL_VIF);
	assert_true(vc.vif);
	assert_int_equal(RUN(sti, INSN_STI), EMUL_NEXT);
	assert_true(vc.tf.eflags & FL_VIF);
	vc.tf.eflags |= FL_VIP;
	assert_int_equal(RUN(sti, INSN_STI), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	vc.tf.cs = R2CODE;      /* PVI is for CPL 3 only */
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	vc.cr4 = 0;             /* and only with CR4.PVI */
	vc.tf.cs = UCODE;
	assert_int_equal(RUN(cli, INSN_CLI), EMUL_FAULTED);
	assert_injected(T_GP, 0);
}

/* A guest TSS with an I/O bitmap that grants port 0x80 only. */
static void grant_port_0x80(void)
{
	vc.tr = 0x28;
	vc.tr_base = TSS_BASE;
	vc.tr_limit = TSS_IOMB + 0x2000 / 8;
	mem[TSS_BASE + 102] = TSS_IOMB;
	memset(mem + TSS_BASE + TSS_IOMB, 0xFF, 0x2000 / 8 + 1);
	mem[TSS_BASE + TSS_IOMB + 0x80 / 8] = 0xFE;       /* bit 0: port 0x80 */
}

static void test_user_io_bitmap(void **state)
{
	static const uint8_t in80[] = { 0xE4, 0x80 }, in81[] = { 0xE4, 0x81 };
	static const uint8_t in_ax_7f[] = { 0x66, 0xE5, 0x7F }, out80[] = { 0xE6, 0x80 };
	(void)state;
	vc.tf.cs = UCODE;
	assert_int_equal(RUN(in80, INSN_IN), EMUL_FAULTED);     /* no TSS yet */
	assert_injected(T_GP, 0);
	grant_port_0x80();
	assert_int_equal(RUN(in80, INSN_IN), EMUL_NEXT);
	assert_int_equal(RUN(out80, INSN_OUT), EMUL_NEXT);
	assert_int_equal(RUN(in81, INSN_IN), EMUL_FAULTED);
	assert_int_equal(RUN(in_ax_7f, INSN_IN), EMUL_FAULTED); /* 0x7F-0x80: 0x7F denied */
	assert_int_equal(fk.in_count, 1);
	vc.tr_limit = TSS_IOMB + 0x80 / 8 - 1;  /* the bitmap ends before 0x80 */
	assert_int_equal(RUN(in80, INSN_IN), EMUL_FAULTED);
	vc.iopl = 3;                            /* IOPL wins over the bitmap */
	assert_int_equal(RUN(in81, INSN_IN), EMUL_NEXT);
}

/* REP OUTS moves at most a burst per trap and comes back for the rest
 * (EIP stays, ECX counts down): interrupts get in between. */
static void test_rep_outsb_bounded_per_trap(void **state)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };
	(void)state;
	vc.tf.esi = 0x2000;
	vc.tf.ecx = 600;
	vc.tf.edx = 0x80;
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, START_EIP);
	assert_int_equal(fk.out_count, 256);
	assert_int_equal(vc.tf.ecx, 344);
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_JUMPED);
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_NEXT);
	assert_int_equal(fk.out_count, 600);
	assert_int_equal(vc.tf.ecx, 0);
	assert_int_equal(vc.tf.esi, 0x2000 + 600);
}

/* With TF set the CPU traps after every iteration: one element. */
static void test_rep_outsb_single_steps(void **state)
{
	static const uint8_t rep_outsb[] = { 0xF3, 0x6E };
	(void)state;
	vc.tf.esi = 0x2000;
	vc.tf.ecx = 3;
	vc.tf.edx = 0x80;
	vc.tf.eflags |= FL_TF;
	assert_int_equal(RUN(rep_outsb, INSN_OUTS), EMUL_JUMPED);
	assert_int_equal(fk.out_count, 1);
	assert_int_equal(vc.tf.ecx, 2);
}

static void test_hlt_nothing_can_interrupt_ends_guest(void **state)
{
	static const uint8_t hlt[] = { 0xF4 };
	(void)state;
	fk.all_masked = true;
	assert_true(dies(hlt, sizeof hlt, INSN_HLT));
	assert_non_null(strstr(die_msg, "no interrupt source"));
	assert_non_null(strstr(die_msg, "0xff/0xff"));
	assert_int_equal(fk.halts, 0);
}

static uint64_t rd(uint32_t msr)
{
	static const uint8_t rdmsr[] = { 0x0F, 0x32 };
	vc.tf.ecx = msr;
	assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_NEXT);
	return (uint64_t)vc.tf.edx << 32 | vc.tf.eax;
}

static void wr(uint32_t msr, uint64_t val)
{
	static const uint8_t wrmsr[] = { 0x0F, 0x30 };
	vc.tf.ecx = msr;
	vc.tf.eax = (uint32_t)val;
	vc.tf.edx = (uint32_t)(val >> 32);
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_NEXT);
}

/* The MSRs a kernel reads: values as QEMU's CPU gives them. */
static void test_msr_platform_values(void **state)
{
	(void)state;
	emul_msr_reset(&vc);
	assert_int_equal(rd(0x1B), 0xFEE00900);         /* APIC base: BSP, enabled */
	assert_int_equal(rd(0x1A0), 1);                 /* MISC_ENABLE: QEMU's, fast strings */
	assert_int_equal(rd(0xC0000080), 0);            /* EFER */
	assert_true(rd(0x277) == 0x0007040600070406ull);
	wr(0xC0000080, 0x800);                          /* NXE: no such bit here */
	assert_int_equal(rd(0xC0000080), 0);
	wr(0x1B, 0xFEE00100);                           /* disable: only EN moves */
	assert_int_equal(rd(0x1B), 0xFEE00100);
	wr(0x277, 0x0606060606060606ull);
	assert_true(rd(0x277) == 0x0606060606060606ull);
}

static void rd_faults(uint32_t msr)
{
	static const uint8_t rdmsr[] = { 0x0F, 0x32 };
	vc.tf.ecx = msr;
	assert_int_equal(RUN(rdmsr, INSN_RDMSR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
}

static void wr_faults(uint32_t msr, uint64_t val)
{
	static const uint8_t wrmsr[] = { 0x0F, 0x30 };
	vc.tf.ecx = msr;
	vc.tf.eax = (uint32_t)val;
	vc.tf.edx = (uint32_t)(val >> 32);
	assert_int_equal(RUN(wrmsr, INSN_WRMSR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
}

/* MISC_ENABLE starts as this CPU's (Bochs's reads 0); none: #GP. */
static void test_msr_misc_enable_from_host(void **state)
{
	(void)state;
	host_cpu.misc_enable = 0;
	emul_msr_reset(&vc);
	assert_int_equal(rd(0x1A0), 0);
	wr(0x1A0, 1);                           /* virtual */
	assert_int_equal(rd(0x1A0), 1);
	host_cpu.has_misc_enable = false;
	rd_faults(0x1A0);
	wr_faults(0x1A0, 1);
}

/* The MTRRs of a CPU that has them (Bochs: VCNT 8, FIX, WC): MTRRCAP as
 * the CPU says, read-only; the others from the firmware, written
 * virtually; a pair past VCNT, or fixed ranges without FIX, #GP. */
static void test_msr_mtrr(void **state)
{
	(void)state;
	rd_faults(0xFE);                        /* no MTRR in CPUID */
	rd_faults(0x2FF);
	host_cpu.has_mtrr = true;
	host_cpu.mtrrcap = 0x508;
	host_cpu.mtrr[0] = 0xC06;               /* MTRRdefType: E, FE, WB */
	emul_msr_reset(&vc);
	assert_int_equal(rd(0xFE), 0x508);
	wr_faults(0xFE, 0);
	assert_int_equal(rd(0x2FF), 0xC06);
	wr(0x2FF, 0);
	assert_int_equal(rd(0x2FF), 0);
	assert_int_equal(host_cpu.mtrr[0], 0xC06);      /* the real one untouched */
	wr(0x20F, 0xFFF00800);                  /* PHYSMASK7 */
	assert_int_equal(rd(0x20F), 0xFFF00800);
	rd_faults(0x210);                       /* pair 8: past VCNT */
	wr(0x26F, 0x0606060606060606ull);       /* FIX4K_F8000 */
	assert_true(rd(0x26F) == 0x0606060606060606ull);
	host_cpu.mtrrcap = 0x402;               /* VCNT 2, no FIX */
	rd_faults(0x250);
	assert_int_equal(rd(0x203), 0);
	rd_faults(0x204);
}

/* Writing the TSC offsets the guest's counter and makes RDTSC trap. */
static void test_msr_tsc_write(void **state)
{
	static const uint8_t rdtsc_insn[] = { 0x0F, 0x31 };
	(void)state;
	emul_msr_reset(&vc);
	wr(0x10, 1000000);
	assert_true(vc.tsc_offset_on);
	assert_true(fk.cr_syncs > 0);
	uint64_t t = rd(0x10);
	assert_true(t >= 1000000 && t < 1000000 + 100000000000ull);
	assert_int_equal(RUN(rdtsc_insn, INSN_RDTSC), EMUL_NEXT);
	uint64_t u = (uint64_t)vc.tf.edx << 32 | vc.tf.eax;
	assert_true(u >= t);
}

/* CR4.TSD: user RDTSC is #GP(0); the kernel's is emulated. */
static void test_rdtsc_tsd(void **state)
{
	static const uint8_t rdtsc_insn[] = { 0x0F, 0x31 };
	(void)state;
	vc.cr4 = CR4_TSD;
	vc.tf.cs = UCODE;
	assert_int_equal(RUN(rdtsc_insn, INSN_RDTSC), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	vc.tf.cs = KCODE;
	vc.tf.eax = vc.tf.edx = 0;
	assert_int_equal(RUN(rdtsc_insn, INSN_RDTSC), EMUL_NEXT);
	assert_true(vc.tf.eax != 0 || vc.tf.edx != 0);
}

/* RDPMC in the guest kernel: what the CPU underneath does with the
 * guest's ECX, in ring 0 (QEMU's TCG: #UD, no error code; Bochs: 0 from
 * a counter its model has, #GP(0) for one it lacks). */
static void test_rdpmc_kernel_asks_the_cpu(void **state)
{
	static const uint8_t rdpmc[] = { 0x0F, 0x33 };
	(void)state;
	vc.tf.ecx = 1;
	assert_int_equal(RUN(rdpmc, INSN_RDPMC), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(fake_rdpmc_calls, 1);
	assert_int_equal(fake_rdpmc_counter, 1);
	fk.injected = 0;
	fake_rdpmc_vector = -1;                 /* a counter it has */
	fake_rdpmc_count = 0x123456789Aull;
	assert_int_equal(RUN(rdpmc, INSN_RDPMC), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0x3456789A);
	assert_int_equal(vc.tf.edx, 0x12);
	vc.tf.ecx = 0x40000000u;
	fake_rdpmc_vector = T_GP;               /* one it lacks */
	assert_int_equal(RUN(rdpmc, INSN_RDPMC), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(fake_rdpmc_counter, 0x40000000u);
	assert_int_equal(vc.tf.eax, 0x3456789A);        /* a fault changes nothing */
}

/* RDPMC at CPL 3 without CR4.PCE is #GP(0), the CPU not asked; with PCE
 * user code may read the counters (it traps only where the CPU refuses
 * it: the real PCE is the guest's), and gets the CPU's answer. */
static void test_rdpmc_user_needs_pce(void **state)
{
	static const uint8_t rdpmc[] = { 0x0F, 0x33 };
	(void)state;
	vc.tf.cs = UCODE;
	assert_int_equal(RUN(rdpmc, INSN_RDPMC), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(fake_rdpmc_calls, 0);
	fk.injected = 0;
	vc.cr4 = CR4_PCE;
	assert_int_equal(RUN(rdpmc, INSN_RDPMC), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(fake_rdpmc_calls, 1);
}

/* CLTS and MOV CR0 reach the real CR0's guest bits (TS, for #NM). */
static void test_cr0_guest_bits_synced(void **state)
{
	static const uint8_t clts[] = { 0x0F, 0x06 }, mov_cr0[] = { 0x0F, 0x22, 0xC0 };
	(void)state;
	vc.tf.eax = vc.cr0 | CR0_TS;
	assert_int_equal(RUN(mov_cr0, INSN_MOV_TO_CR), EMUL_NEXT);
	assert_int_equal(fk.cr_syncs, 1);
	assert_int_equal(RUN(clts, INSN_CLTS), EMUL_NEXT);
	assert_int_equal(fk.cr_syncs, 2);
	assert_int_equal(vc.cr0 & CR0_TS, 0);
}

/* LSS with the kernel's RPL-0 stack selector (which ring 1 may not load
 * itself): SS compressed, ESP from memory, an interrupt shadow. */
static void test_lss(void **state)
{
	static const uint8_t lss[] = { 0x0F, 0xB2, 0x25, 0x00, 0x30, 0, 0 };  /* lss esp,[0x3000] */
	static const uint8_t lss16[] = { 0x66, 0x0F, 0xB2, 0x1D, 0x00, 0x30, 0, 0 };
	(void)state;
	const uint8_t far32[6] = { 0x78, 0x56, 0x34, 0x12, KDATA0, 0 };
	memcpy(mem + 0x3000, far32, sizeof far32);
	assert_int_equal(RUN(lss, INSN_LSS), EMUL_NEXT);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, 0x12345678);
	assert_true(vc.shadow_active);
	const uint8_t far16[4] = { 0x34, 0x12, KDATA0, 0 };
	memcpy(mem + 0x3000, far16, sizeof far16);
	vc.tf.ebx = 0xAAAA0000;
	assert_int_equal(RUN(lss16, INSN_LSS), EMUL_NEXT);    /* lss bx,[0x3000] */
	assert_int_equal(vc.tf.ebx, 0xAAAA1234);
}

static void test_lss_bad_selector_changes_nothing(void **state)
{
	static const uint8_t lss[] = { 0x0F, 0xB2, 0x25, 0x00, 0x30, 0, 0 };
	(void)state;
	const uint8_t far32[6] = { 0x78, 0x56, 0x34, 0x12, 0x08, 0 };  /* code, not stack */
	memcpy(mem + 0x3000, far32, sizeof far32);
	assert_int_equal(RUN(lss, INSN_LSS), EMUL_FAULTED);
	assert_injected(T_GP, 0x08);
	assert_int_equal(vc.tf.esp, START_ESP);
	assert_int_equal(vc.tf.ss, KDATA);
}

/* SYSENTER from user mode into the kernel the MSRs name; SYSEXIT back. */
static void test_sysenter_sysexit(void **state)
{
	static const uint8_t sysenter[] = { 0x0F, 0x34 }, sysexit[] = { 0x0F, 0x35 };
	(void)state;
	vc.tf.cs = UCODE;
	vc.tf.ss = UDATA;
	vc.tf.eflags |= FL_RF;
	assert_int_equal(RUN(sysenter, INSN_SYSENTER), EMUL_FAULTED);  /* MSR still 0 */
	assert_injected(T_GP, 0);
	vc.sysenter_cs = KCODE0;
	vc.sysenter_esp = 0x9000;
	vc.sysenter_eip = 0xC0001000;
	assert_int_equal(RUN(sysenter, INSN_SYSENTER), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.eip, 0xC0001000);
	assert_int_equal(vc.tf.esp, 0x9000);
	assert_false(vc.vif);
	assert_int_equal(vc.tf.eflags & FL_RF, 0);
	vc.tf.edx = 0x08048123;
	vc.tf.ecx = 0xBFFFF000;
	assert_int_equal(RUN(sysexit, INSN_SYSEXIT), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, UCODE);
	assert_int_equal(vc.tf.ss, UDATA);
	assert_int_equal(vc.tf.eip, 0x08048123);
	assert_int_equal(vc.tf.esp, 0xBFFFF000);
	assert_int_equal(RUN(sysexit, INSN_SYSEXIT), EMUL_FAULTED);    /* from CPL 3 */
	assert_injected(T_GP, 0);
}

/* DR6 and DR7 read back their fixed bits; DR4/DR5 alias them. */
static void test_dr6_dr7_fixed_bits(void **state)
{
	static const uint8_t mov_dr6_eax[] = { 0x0F, 0x23, 0xF0 }, mov_eax_dr6[] = { 0x0F, 0x21, 0xF0 };
	static const uint8_t mov_dr7_eax[] = { 0x0F, 0x23, 0xF8 }, mov_eax_dr5[] = { 0x0F, 0x21, 0xE8 };
	(void)state;
	vc.tf.eax = 0;
	assert_int_equal(RUN(mov_dr6_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(RUN(mov_eax_dr6, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0xFFFF0FF0);
	vc.tf.eax = 0;
	assert_int_equal(RUN(mov_dr7_eax, INSN_MOV_TO_DR), EMUL_NEXT);
	assert_int_equal(RUN(mov_eax_dr5, INSN_MOV_FROM_DR), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0x400);
}

/* IRET restores IOPL at the guest's CPL 0 and IF at CPL <= IOPL. */
static void test_iret_virtual_iopl(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x08048000, UCODE, FL_RESERVED1 | FL_IF | FL_IOPL,
				   0xBFFF0000, UDATA };
	(void)state;
	vc.vif = false;
	stack_frame(frame, 5);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_JUMPED);
	assert_int_equal(vc.iopl, 3);
	assert_true(vc.vif);
	assert_int_equal(vc.tf.eflags & FL_IOPL, 0);    /* the real IOPL stays 0 */
}

static void test_int_n(void **state)
{
	static const uint8_t int80[] = { 0xCD, 0x80 };
	(void)state;
	assert_int_equal(RUN(int80, INSN_INT), EMUL_JUMPED);
	assert_int_equal(fk.soft_count, 1);
	assert_int_equal(fk.soft_vector, 0x80);
	assert_int_equal(fk.soft_len, 2);
	assert_int_equal(vc.tf.eip, FAKE_HANDLER(0x80));
}

static void test_int3(void **state)
{
	static const uint8_t int3[] = { 0xCC };
	(void)state;
	assert_int_equal(RUN(int3, INSN_INT3), EMUL_JUMPED);
	assert_int_equal(fk.soft_vector, T_BP);
	assert_int_equal(fk.soft_len, 1);
}

static void test_into_with_of(void **state)
{
	static const uint8_t into[] = { 0xCE };
	(void)state;
	vc.tf.eflags |= FL_OF;
	assert_int_equal(RUN(into, INSN_INTO), EMUL_JUMPED);
	assert_int_equal(fk.soft_count, 1);
	assert_int_equal(fk.soft_vector, T_OF);
	assert_int_equal(fk.soft_len, 1);
}

static void test_into_without_of_does_nothing(void **state)
{
	static const uint8_t into[] = { 0xCE };
	(void)state;
	assert_int_equal(RUN(into, INSN_INTO), EMUL_NEXT);
	assert_int_equal(fk.soft_count, 0);
}

/* ---- IRET, RETF --------------------------------------------------------- */

/* To the guest kernel's own RPL-0 CS: it runs in ring 1, so CS becomes
 * RPL 1; IF goes to the virtual IF, the rest of EFLAGS to the frame. */
static void test_iret_same_ring(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x4000, KCODE0, FL_RESERVED1 | FL_IF | FL_CF };
	(void)state;
	vc.vif = false;
	stack_frame(frame, 3);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x4000);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.esp, START_ESP + 12);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_true(vc.vif);
	assert_true(vc.tf.eflags & FL_CF);
}

static void test_iret_clears_virtual_if(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x4000, KCODE0, FL_RESERVED1 };
	(void)state;
	stack_frame(frame, 3);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_JUMPED);
	assert_false(vc.vif);
}

/* To user mode: ESP and SS come from the stack too. */
static void test_iret_to_ring3(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x08048000, UCODE, FL_RESERVED1 | FL_IF, 0xBFFF0000, UDATA };
	(void)state;
	stack_frame(frame, 5);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x08048000);
	assert_int_equal(vc.tf.cs, UCODE);
	assert_int_equal(vc.tf.esp, 0xBFFF0000);
	assert_int_equal(vc.tf.ss, UDATA);
	assert_true(vc.vif);
}

/* A data selector as CS: #GP(selector), nothing popped. */
static void test_iret_bad_cs_gp(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x4000, KDATA0, FL_RESERVED1 };
	(void)state;
	stack_frame(frame, 3);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_GP, KDATA0);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.esp, START_ESP);
	assert_true(vc.vif);
}

static void test_iret_to_ring3_bad_ss_gp(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x08048000, UCODE, FL_RESERVED1, 0xBFFF0000, KCODE0 | 3 };
	(void)state;
	stack_frame(frame, 5);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_GP, KCODE0);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, START_ESP);
}

/* A return to a code or stack segment that is only absent: #NP or #SS
 * with its selector (not #GP), after the checks that give #GP: an absent
 * code segment of the wrong RPL is #GP, and the SS checks come after CS's
 * (attack=split-switch-fault: the guest kernel fixes the descriptor and
 * returns to its IRET). */
static void test_iret_absent_segments(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t to_absent_cs[] = { 0x08048000, UCODE_NP, FL_RESERVED1, 0xBFFF0000, UDATA_NP };
	const uint32_t to_absent_ss[] = { 0x08048000, UCODE, FL_RESERVED1, 0xBFFF0000, UDATA_NP };
	const uint32_t absent_bad_rpl[] = { 0x08048000, UCODE_NP & ~3u, FL_RESERVED1 };
	(void)state;
	stack_frame(to_absent_cs, 5);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_NP, UCODE_NP & ~3u);
	assert_int_equal(vc.tf.cs, KCODE);
	stack_frame(to_absent_ss, 5);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_SS, UDATA_NP & ~3u);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, START_ESP);
	stack_frame(absent_bad_rpl, 3);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_GP, UCODE_NP & ~3u);
}

static void test_iret_stack_fault(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	(void)state;
	fk.fault_page[START_ESP / PAGE] = true;
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_PF, 0);
	assert_int_equal(fk.pf_va, START_ESP);
	assert_int_equal(vc.tf.esp, START_ESP);
}

/* o16 IRET pops IP, CS and FLAGS as words: EIP's and EFLAGS's high halves
 * as the CPU leaves them, ESP up by 6; o16 RETF with imm16, by 4 + imm. */
static void test_iret_16bit(void **state)
{
	static const uint8_t o16_iret[] = { 0x66, 0xCF }, o16_retf8[] = { 0x66, 0xCA, 8, 0 };
	(void)state;
	const uint16_t frame[] = { 0x1234, KCODE0, FL_RESERVED1 | FL_IF | FL_CF };
	memcpy(mem + START_ESP, frame, sizeof frame);
	vc.tf.eflags |= FL_AC;                  /* a high-half flag: stays */
	vc.vif = false;
	assert_int_equal(RUN(o16_iret, INSN_IRET), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x1234);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.esp, START_ESP + 6);
	assert_true(vc.vif);
	assert_int_equal(vc.tf.eflags & (FL_AC | FL_CF), FL_AC | FL_CF);
	const uint16_t ret[] = { 0x5678, KCODE0 };
	memcpy(mem + vc.tf.esp, ret, sizeof ret);
	vc.tf.eip = START_EIP;
	uint32_t esp = vc.tf.esp;
	assert_int_equal(RUN(o16_retf8, INSN_RET_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x5678);
	assert_int_equal(vc.tf.esp, esp + 4 + 8);
}

static void test_iret_nested_task_ends_guest(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	(void)state;
	vc.tf.eflags |= FL_NT;
	assert_true(dies(iret, sizeof iret, INSN_IRET));
	assert_non_null(strstr(die_msg, "NT"));
}

static void test_iret_to_vm86_ends_guest(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x4000, KCODE0, FL_RESERVED1 | FL_VM };
	(void)state;
	stack_frame(frame, 3);
	assert_true(dies(iret, sizeof iret, INSN_IRET));
	assert_non_null(strstr(die_msg, "virtual-8086"));
	assert_int_equal(vc.tf.cs, KCODE);
}

static void test_retf_same_ring(void **state)
{
	static const uint8_t retf[] = { 0xCB };
	const uint32_t frame[] = { 0x5000, KCODE0 };
	(void)state;
	uint32_t eflags = vc.tf.eflags;
	stack_frame(frame, 2);
	assert_int_equal(RUN(retf, INSN_RET_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x5000);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.esp, START_ESP + 8);
	assert_int_equal(vc.tf.eflags, eflags);
	assert_true(vc.vif);
}

static void test_retf_imm16(void **state)
{
	static const uint8_t retf_8[] = { 0xCA, 0x08, 0x00 };
	const uint32_t frame[] = { 0x5000, KCODE0, 0xAAAA, 0xBBBB };
	(void)state;
	stack_frame(frame, 4);
	assert_int_equal(RUN(retf_8, INSN_RET_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x5000);
	assert_int_equal(vc.tf.esp, START_ESP + 16);
}

/* To ring 3, imm16 is released on both stacks: the outer ESP and SS are
 * above the parameters, and the new ESP is the popped one plus imm16. */
static void test_retf_imm16_to_ring3(void **state)
{
	static const uint8_t retf_8[] = { 0xCA, 0x08, 0x00 };
	const uint32_t frame[] = { 0x08048000, UCODE, 0xAAAA, 0xBBBB, 0xBFFF0000, UDATA };
	(void)state;
	stack_frame(frame, 6);
	assert_int_equal(RUN(retf_8, INSN_RET_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, 0x08048000);
	assert_int_equal(vc.tf.cs, UCODE);
	assert_int_equal(vc.tf.esp, 0xBFFF0008);
	assert_int_equal(vc.tf.ss, UDATA);
}

/* ---- MOV SS, POP SS ----------------------------------------------------- */

static void test_mov_ss_rpl0(void **state)
{
	static const uint8_t mov_ss_ax[] = { 0x8E, 0xD0 };
	(void)state;
	vc.tf.ss = 0;
	vc.tf.eax = 0xFFFF0000 | KDATA0;
	assert_int_equal(RUN(mov_ss_ax, INSN_MOV_TO_SREG), EMUL_NEXT);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_true(vc.shadow_active);
	assert_int_equal(vc.shadow_eip, START_EIP + 2);
}

static void test_mov_ss_from_memory(void **state)
{
	static const uint8_t mov_ss_m_ebx[] = { 0x8E, 0x13 };
	(void)state;
	vc.tf.ss = 0;
	vc.tf.ebx = 0x2000;
	put32(0x2000, 0xEEEE0000 | KDATA0);
	assert_int_equal(RUN(mov_ss_m_ebx, INSN_MOV_TO_SREG), EMUL_NEXT);
	assert_int_equal(vc.tf.ss, KDATA);
}

static void test_mov_ss_code_selector_gp(void **state)
{
	static const uint8_t mov_ss_ax[] = { 0x8E, 0xD0 };
	(void)state;
	vc.tf.eax = KCODE0;
	assert_int_equal(RUN(mov_ss_ax, INSN_MOV_TO_SREG), EMUL_FAULTED);
	assert_injected(T_GP, KCODE0);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_false(vc.shadow_active);
}

/* Only SS needs the monitor: other segment loads are refused. */
static void test_mov_ds_refused(void **state)
{
	static const uint8_t mov_ds_ax[] = { 0x8E, 0xD8 };
	(void)state;
	vc.tf.eax = KDATA0;
	vc.tf.ds = 0;
	assert_int_equal(RUN(mov_ds_ax, INSN_MOV_TO_SREG), EMUL_REFUSED);
	assert_int_equal(vc.tf.ds, 0);
}

static void test_pop_ss(void **state)
{
	static const uint8_t pop_ss[] = { 0x17 };
	(void)state;
	vc.tf.ss = 0;
	put32(START_ESP, KDATA0);
	assert_int_equal(RUN(pop_ss, INSN_POP_SREG), EMUL_NEXT);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, START_ESP + 4);
	assert_true(vc.shadow_active);
	assert_int_equal(vc.shadow_eip, START_EIP + 1);
}

/* ---- far CALL and JMP through call gates (callgate.c) ------------------- */

#define TSS_SEL     0x28u
#define INNER_ESP   0xC000u     /* the guest TSS's esp0 */
#define USER_ESP    0x9000u
#define GATE_OFF    0x00126000u
#define GATE_SEL(i) (((GATE_FIRST + (i)) << 3))

/* Installs call gate i (selector GATE_SEL(i)) as the copy holds it: the
 * guest's DPL 0 already read as 1. */
static uint16_t put_gate(unsigned i, unsigned type, uint16_t target, unsigned dpl,
			 unsigned params)
{
	struct segdesc g = gate_make(GATE_OFF, target, type, dpl == 0 ? 1 : dpl);
	g.hi |= params;
	fake_gdt[GATE_FIRST + i] = g;
	return (uint16_t)GATE_SEL(i);
}

/* lcall $sel, $0 (9A: ptr16:32) and ljmp $sel, $0 (EA) */
static void far_ptr_insn(uint8_t *code, uint8_t opcode, uint16_t sel)
{
	const uint8_t bytes[] = { opcode, 0, 0, 0, 0, (uint8_t)sel, (uint8_t)(sel >> 8) };
	memcpy(code, bytes, sizeof bytes);
}

#define FAR_LEN 7u

static enum emul_result far_call(uint16_t sel)
{
	uint8_t code[FAR_LEN];
	far_ptr_insn(code, 0x9A, sel);
	return run(code, FAR_LEN, INSN_CALL_FAR);
}

static enum emul_result far_jmp(uint16_t sel)
{
	uint8_t code[FAR_LEN];
	far_ptr_insn(code, 0xEA, sel);
	return run(code, FAR_LEN, INSN_JMP_FAR);
}

/* Guest user code at CPL 3 on its own stack; the TSS names the kernel's. */
static void in_user_mode(void)
{
	vc.tf.cs = UCODE;
	vc.tf.ss = vc.tf.ds = vc.tf.es = UDATA;
	vc.tf.esp = USER_ESP;
	vc.tr = TSS_SEL;
	fk.tss_ss = KDATA0;
	fk.tss_esp = INNER_ESP;
}

/* A fault: the guest's registers and memory as they were. */
static void assert_gate_faulted(const struct trapframe *before, unsigned writes)
{
	assert_memory_equal(&vc.tf, before, sizeof vc.tf);
	assert_int_equal(fk.writes, writes);
}

/* From ring 3 through a DPL-3 32-bit gate with 2 parameters to the kernel:
 * the inner stack from the TSS gets SS, ESP, the parameters as they lay on
 * the user stack, CS and the EIP after the CALL. */
static void test_callgate_user_to_kernel_with_params(void **state)
{
	(void)state;
	in_user_mode();
	uint16_t g = put_gate(0, SYS_T_CALL32, KCODE0, 3, 2);
	put32(USER_ESP, 0x11111111);
	put32(USER_ESP + 4, 0x22222222);
	assert_int_equal(far_call(g | 3), EMUL_JUMPED);
	assert_int_equal(fk.tss_ring, 1);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.eip, GATE_OFF);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, INNER_ESP - 24);
	const uint32_t want[] = { START_EIP + FAR_LEN, UCODE, 0x11111111, 0x22222222, USER_ESP,
				  UDATA };
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(get32(INNER_ESP - 24 + 4 * i), want[i]);
	assert_int_equal(fk.writes, 1);
	assert_false(fk.gva_acc_or & GVA_USER);         /* the kernel's stack */
	assert_int_equal(fk.injected, 0);
}

/* The kernel calls its own gate: no stack switch, the parameters are not
 * copied, and the CS pushed is the one it expects (RPL 0). */
static void test_callgate_kernel_same_ring(void **state)
{
	(void)state;
	uint16_t g = put_gate(0, SYS_T_CALL32, KCODE0, 0, 3);
	assert_int_equal(far_call(g), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.eip, GATE_OFF);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, START_ESP - 8);
	assert_int_equal(get32(START_ESP - 8), START_EIP + FAR_LEN);
	assert_int_equal(get32(START_ESP - 4), KCODE0);
}

/* A 16-bit gate: word pushes (IP, CS, parameters, SP, SS) and a 16-bit
 * offset. */
static void test_callgate_16bit(void **state)
{
	(void)state;
	in_user_mode();
	uint16_t g = put_gate(0, SYS_T_CALL16, KCODE0, 3, 1);
	put32(USER_ESP, 0xAAAA5555);
	assert_int_equal(far_call(g | 3), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, GATE_OFF & 0xFFFF);
	assert_int_equal(vc.tf.esp, INNER_ESP - 10);
	const uint16_t want[] = { START_EIP + FAR_LEN, UCODE, 0x5555, USER_ESP & 0xFFFF, UDATA };
	for (unsigned i = 0; i < 5; i++) {
		uint16_t w;
		memcpy(&w, mem + INNER_ESP - 10 + 2 * i, 2);
		assert_int_equal(w, want[i]);
	}
}

/* The pointer in memory (FF /3, m16:32): only its selector matters. */
static void test_callgate_memory_operand(void **state)
{
	static const uint8_t lcall_m_ebx[] = { 0xFF, 0x1B };
	static const uint8_t ljmp_m_ebx[] = { 0xFF, 0x2B };
	(void)state;
	uint16_t g = put_gate(0, SYS_T_CALL32, KCODE0, 0, 0);
	vc.tf.ebx = 0x2000;
	put32(0x2000, 0xDEADBEEF);
	put32(0x2004, g);
	assert_int_equal(RUN(lcall_m_ebx, INSN_CALL_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, GATE_OFF);
	assert_int_equal(get32(vc.tf.esp), START_EIP + 2);
	vc.tf.eip = START_EIP;
	assert_int_equal(RUN(ljmp_m_ebx, INSN_JMP_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.eip, GATE_OFF);
}

/* The gate's own checks: DPL below CPL or below RPL is #GP(gate), an
 * absent gate (checked after the DPL) #NP(gate); nothing changes. */
static void test_callgate_gate_checks(void **state)
{
	(void)state;
	uint16_t kgate = put_gate(0, SYS_T_CALL32, KCODE0, 0, 0);
	uint16_t absent = put_gate(1, SYS_T_CALL32, KCODE0, 3, 0);
	uint16_t absent0 = put_gate(2, SYS_T_CALL32, KCODE0, 0, 0);
	fake_gdt[GATE_FIRST + 1].hi &= ~DESC_HI_P;
	fake_gdt[GATE_FIRST + 2].hi &= ~DESC_HI_P;
	struct trapframe before = vc.tf;

	assert_int_equal(far_call(kgate | 3), EMUL_FAULTED);   /* RPL 3 > DPL 0 */
	assert_injected(T_GP, kgate);
	assert_int_equal(far_call(absent), EMUL_FAULTED);
	assert_injected(T_NP, absent);
	assert_int_equal(far_jmp(absent | 2), EMUL_FAULTED);
	assert_injected(T_NP, absent);
	assert_gate_faulted(&before, 0);

	in_user_mode();
	before = vc.tf;
	assert_int_equal(far_call(kgate | 3), EMUL_FAULTED);   /* DPL 0 < CPL 3 */
	assert_injected(T_GP, kgate);
	assert_int_equal(far_jmp(kgate), EMUL_FAULTED);
	assert_injected(T_GP, kgate);
	assert_int_equal(far_call(absent0 | 3), EMUL_FAULTED); /* DPL before P */
	assert_injected(T_GP, absent0);
	assert_gate_faulted(&before, 0);
}

/* The target's checks: null #GP(0); not code, beyond the tables, or of a
 * DPL above CPL #GP(target); absent #NP(target).  The target's RPL does
 * not matter, and its error code has it cleared. */
static void test_callgate_target_checks(void **state)
{
	(void)state;
	const struct { uint16_t target; unsigned vector; uint32_t err; } cases[] = {
		{ 0, T_GP, 0 }, { 3, T_GP, 0 },
		{ KDATA0, T_GP, KDATA0 },
		{ 0x7FF8, T_GP, 0x7FF8 },               /* beyond the guest's GDT */
		{ 0xFFE0, T_GP, 0xFFE0 },               /* a monitor selector */
		{ GATE_SEL(1), T_GP, GATE_SEL(1) },     /* another gate */
		{ UCODE & ~3u, T_GP, UCODE & ~3u },     /* DPL 3 > CPL 1 */
		{ 0x28, T_NP, 0x28 },                   /* absent code, DPL 3... */
	};
	struct trapframe before = vc.tf;

	put_gate(1, SYS_T_CALL32, KCODE0, 3, 0);
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint16_t g = put_gate(0, SYS_T_CALL32, cases[i].target, 3, 0);
		if (cases[i].vector == T_NP)
			in_user_mode();         /* ...which ring 3 may call */
		before = vc.tf;
		assert_int_equal(far_call(g), EMUL_FAULTED);
		assert_injected(cases[i].vector, cases[i].err);
		assert_gate_faulted(&before, 0);
	}
}

/* JMP through a gate never changes privilege: from ring 3 to the kernel's
 * code is #GP(target); in the same ring it lands, pushing nothing. */
static void test_jmp_callgate(void **state)
{
	(void)state;
	uint16_t g = put_gate(0, SYS_T_CALL32, KCODE0, 3, 4);
	assert_int_equal(far_jmp(g), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.eip, GATE_OFF);
	assert_int_equal(vc.tf.esp, START_ESP);
	assert_int_equal(fk.writes, 0);

	in_user_mode();
	vc.tf.eip = START_EIP;
	struct trapframe before = vc.tf;
	assert_int_equal(far_jmp(g | 3), EMUL_FAULTED);
	assert_injected(T_GP, KCODE0);
	assert_gate_faulted(&before, 0);
	uint16_t ug = put_gate(1, SYS_T_CALL32, UCODE, 3, 0);
	assert_int_equal(far_jmp(ug | 3), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, UCODE);
	assert_int_equal(vc.tf.ss, UDATA);
}

/* The inner stack as the CPU checks it: a TSS too short #TS(TR); SS of the
 * wrong RPL or not a writable data segment #TS(SS); an absent one
 * #SS(SS); a #PF reading the TSS or writing the frame is the guest's
 * #PF.  Nothing changes. */
static void test_callgate_inner_stack_faults(void **state)
{
	(void)state;
	in_user_mode();
	uint16_t g = put_gate(0, SYS_T_CALL32, KCODE0, 3, 0);
	struct trapframe before = vc.tf;
	const struct { uint32_t ss; unsigned vector; uint32_t err; } cases[] = {
		{ UDATA, T_TS, UDATA & ~3u },
		{ KCODE0, T_TS, KCODE0 },
		{ 0, T_TS, 0 },
		{ KDATA_NP & ~3u, T_SS, KDATA_NP & ~3u },
	};

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fk.tss_ss = cases[i].ss;
		assert_int_equal(far_call(g | 3), EMUL_FAULTED);
		assert_injected(cases[i].vector, cases[i].err);
	}
	fk.tss_ss = KDATA0;
	fk.tss_fault = T_TS;
	assert_int_equal(far_call(g | 3), EMUL_FAULTED);
	assert_injected(T_TS, TSS_SEL);
	fk.tss_fault = T_PF;
	assert_int_equal(far_call(g | 3), EMUL_FAULTED);
	assert_injected(T_PF, PFE_P);
	assert_int_equal(fk.pf_va, 0x7000);
	fk.tss_fault = 0;
	fk.fault_page[(INNER_ESP - 4) / PAGE] = true;
	assert_int_equal(far_call(g | 3), EMUL_FAULTED);
	assert_int_equal(fk.vector, T_PF);
	assert_int_equal(fk.pf_va, INNER_ESP - 16);   /* four dwords: no parameters */
	before.eip = vc.tf.eip;
	assert_gate_faulted(&before, 0);
}

/* The gate's offset beyond its code segment's limit: #GP(0). */
static void test_callgate_offset_beyond_limit(void **state)
{
	(void)state;
	uint16_t g = put_gate(0, SYS_T_CALL32, KCODE_SMALL, 0, 0);
	assert_int_equal(far_call(g), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(far_jmp(g), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(vc.tf.esp, START_ESP);
}

/* A far CALL or JMP that is not through a gate faulted on the CPU for a
 * reason of its own: the guest gets that #GP as it came. */
static void test_far_call_not_a_gate(void **state)
{
	(void)state;
	in_user_mode();
	vc.tf.err = KCODE0;
	struct trapframe before = vc.tf;
	assert_int_equal(far_call(KCODE0), EMUL_FAULTED);
	assert_injected(T_GP, KCODE0);
	vc.tf.err = 0x7FF8;
	assert_int_equal(far_jmp(0x7FFB), EMUL_FAULTED);
	assert_injected(T_GP, 0x7FF8);
	before.err = vc.tf.err;
	assert_gate_faulted(&before, 0);
}

/* ---- ring=3: far transfers to conforming code it hides (callgate.c) ---- */

#define CONF_IDX    (GATE_FIRST + 6u)
#define CONF0       (CONF_IDX << 3)     /* the selector as the guest writes it */
#define CONF_OFF    0x00127000u
#define ALIAS0      (FAKE_GDT_ENTRIES << 3)     /* past the (fake) GDT, as the real one */

/* Conforming readable code of copy DPL dpl and limit limit at CONF0,
 * hidden from the kernel as ring=3 hides it. */
static void put_conforming(unsigned dpl, uint32_t limit)
{
	const unsigned type = SEG_T_CODE | SEG_T_C | SEG_T_R | SEG_T_ACCESSED;
	fake_gdt[CONF_IDX] = desc_make(0, limit, type, dpl, true, true);
	fk.conforming_hidden = true;
}

/* opcode (9A: lcall, EA: ljmp) with ptr16:32 sel:off */
static enum emul_result far_to(uint8_t opcode, uint16_t sel, uint32_t off)
{
	const uint8_t code[FAR_LEN] = { opcode, (uint8_t)off, (uint8_t)(off >> 8),
					(uint8_t)(off >> 16), (uint8_t)(off >> 24), (uint8_t)sel,
					(uint8_t)(sel >> 8) };
	return run(code, FAR_LEN, opcode == 0x9A ? INSN_CALL_FAR : INSN_JMP_FAR);
}

/* The kernel's far JMP into conforming code: CPL stays (CS RPL 1 in the
 * copy's terms, whatever the selector's RPL), nothing pushed. */
static void test_conforming_jmp_from_kernel(void **state)
{
	(void)state;
	put_conforming(1, 0xFFFFFFFFu);
	vc.tf.err = CONF0;
	assert_int_equal(far_to(0xEA, CONF0 | 3, CONF_OFF), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, CONF0 | 1);
	assert_int_equal(vc.tf.eip, CONF_OFF);
	assert_int_equal(vc.tf.esp, START_ESP);
	assert_int_equal(fk.writes, 0);
}

/* ...and a far CALL: the CS it pushes is the one its CPU would (RPL 0). */
static void test_conforming_call_from_kernel(void **state)
{
	(void)state;
	put_conforming(1, 0xFFFFFFFFu);
	vc.tf.err = CONF0;
	assert_int_equal(far_to(0x9A, CONF0, CONF_OFF), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, CONF0 | 1);
	assert_int_equal(vc.tf.eip, CONF_OFF);
	assert_int_equal(vc.tf.esp, START_ESP - 8);
	assert_int_equal(get32(START_ESP - 8), START_EIP + FAR_LEN);
	assert_int_equal(get32(START_ESP - 4), KCODE0);
	assert_false(fk.gva_acc_or & GVA_USER);
}

/* The CPU's checks: a DPL above CPL is #GP(selector), an offset beyond
 * the limit #GP(0); nothing changes. */
static void test_conforming_checks(void **state)
{
	(void)state;
	put_conforming(2, 0xFFFFFFFFu);
	struct trapframe before = vc.tf;
	assert_int_equal(far_to(0x9A, CONF0, CONF_OFF), EMUL_FAULTED);
	assert_injected(T_GP, CONF0);
	assert_gate_faulted(&before, 0);
	put_conforming(1, 0xFFF);
	assert_int_equal(far_to(0xEA, CONF0, CONF_OFF), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_int_equal(far_to(0x9A, CONF0, CONF_OFF), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_gate_faulted(&before, 0);
}

/* m16:32 in memory: the offset comes from there too. */
static void test_conforming_memory_operand(void **state)
{
	static const uint8_t ljmp_m_ebx[] = { 0xFF, 0x2B };
	(void)state;
	put_conforming(1, 0xFFFFFFFFu);
	vc.tf.ebx = 0x2000;
	put32(0x2000, CONF_OFF + 0x10);
	put32(0x2004, CONF0);
	assert_int_equal(RUN(ljmp_m_ebx, INSN_JMP_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, CONF0 | 1);
	assert_int_equal(vc.tf.eip, CONF_OFF + 0x10);
}

/* Conforming code the real tables do not hide (ring=1, or user mode): a
 * #GP from a far JMP there is the CPU's own, passed on as it came. */
static void test_conforming_not_hidden(void **state)
{
	(void)state;
	put_conforming(2, 0xFFFFFFFFu);
	fk.conforming_hidden = false;
	vc.tf.err = CONF0;
	assert_int_equal(far_to(0xEA, CONF0, CONF_OFF), EMUL_FAULTED);
	assert_injected(T_GP, CONF0);
}

/* The kernel in conforming code (its other code hidden, so that it
 * traps): a far CALL to its own code pushes the CS its CPU would (the
 * conforming selector, RPL 0), a far JMP lands with CPL 0; an RPL above
 * CPL is #GP(selector), as for any non-conforming target. */
static void test_kernel_code_from_conforming(void **state)
{
	(void)state;
	put_conforming(1, 0xFFFFFFFFu);
	fk.kernel_code_hidden = true;
	vc.tf.cs = CONF0 | 1;
	assert_int_equal(far_to(0x9A, KCODE0, 0x4000), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.eip, 0x4000);
	assert_int_equal(get32(START_ESP - 8), START_EIP + FAR_LEN);
	assert_int_equal(get32(START_ESP - 4), CONF0);
	vc.tf.cs = CONF0 | 1;
	vc.tf.eip = START_EIP;
	assert_int_equal(far_to(0xEA, KCODE0, 0x4000), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, KCODE);
	vc.tf.cs = CONF0 | 1;
	vc.tf.eip = START_EIP;
	struct trapframe before = vc.tf;
	assert_int_equal(far_to(0xEA, KCODE0 | 3, 0x4000), EMUL_FAULTED);
	assert_injected(T_GP, KCODE0);
	assert_gate_faulted(&before, 1);      /* the CALL's push only */
}

/* The alias the CPU saved (MOV or PUSH from CS in conforming code)
 * is the kernel's own selector again in a far RET, and as a far JMP's
 * target; user code's selector is never translated. */
static void test_alias_translated_for_the_kernel(void **state)
{
	static const uint8_t retf[] = { 0xCB };
	const uint32_t frame[] = { 0x5000, ALIAS0 | 3 };
	(void)state;
	fk.alias = ALIAS0;
	fk.alias_target = KCODE0;
	stack_frame(frame, 2);
	assert_int_equal(RUN(retf, INSN_RET_FAR), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, KCODE);
	assert_int_equal(vc.tf.eip, 0x5000);

	put_conforming(1, 0xFFFFFFFFu);
	fk.alias_target = CONF0;
	vc.tf.eip = START_EIP;
	assert_int_equal(far_to(0xEA, ALIAS0 | 3, CONF_OFF), EMUL_JUMPED);
	assert_int_equal(vc.tf.cs, CONF0 | 1);

	in_user_mode();
	fk.alias_target = UCODE;
	vc.tf.eip = START_EIP;
	const uint32_t user_frame[] = { 0x5000, ALIAS0 | 3 };
	stack_frame(user_frame, 2);
	assert_int_equal(RUN(retf, INSN_RET_FAR), EMUL_FAULTED);
	assert_injected(T_GP, ALIAS0);
}

/* ---- the dispatcher ----------------------------------------------------- */

static void test_lock_prefix_ud(void **state)
{
	static const uint8_t lock_cli[] = { 0xF0, 0xFA };
	static const uint8_t lock_mov_cr3[] = { 0xF0, 0x0F, 0x22, 0xD8 };
	(void)state;
	vc.tf.eax = 0x9000;
	assert_int_equal(RUN(lock_cli, INSN_CLI), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_true(vc.vif);
	assert_int_equal(RUN(lock_mov_cr3, INSN_MOV_TO_CR), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(vc.cr3, 0);
	assert_int_equal(fk.flushes, 0);
}

static void test_unknown_refused(void **state)
{
	static const uint8_t cpuid[] = { 0x0F, 0xA2 };
	static const uint8_t smsw_ax[] = { 0x0F, 0x01, 0xE0 };
	static const uint8_t nop[] = { 0x90 };
	struct vcpu before;
	(void)state;
	before = vc;
	assert_int_equal(RUN(cpuid, INSN_CPUID), EMUL_REFUSED);
	assert_int_equal(RUN(smsw_ax, INSN_SMSW), EMUL_REFUSED);
	assert_int_equal(RUN(nop, INSN_OTHER), EMUL_REFUSED);
	assert_memory_equal(&vc, &before, sizeof vc);
}

/* ---- page-table writes (memop.c): helpers ----------------------------- */

#define ARITH   FL_ARITH

#define PT      0x3000u         /* a guest page table the shadow protects */
#define PT_SRC  0x2000u         /* where the MOVS tests read from */
#define GUARD   0xEE            /* PT's bytes before a test writes them */

static struct trapframe tf_want;        /* snapshot(), then what a test expects */
static uint32_t flags_undefined;        /* EFLAGS bits assert_regs() ignores */
static uint8_t mem_before[MEM_SIZE];

/* run() for the #PF path, emul_pt_write(): the same checks, and EIP never
 * moves (EMUL_JUMPED from a REP string instruction means "fault here
 * again"); a refused or faulted instruction wrote no memory. */
static enum emul_result pt_run(const uint8_t *code, size_t n, enum insn_kind kind)
{
	uint32_t eip = vc.tf.eip;
	unsigned writes = fk.writes;
	enum emul_result r = run_with(emul_pt_write, code, n, kind);
	assert_int_equal(vc.tf.eip, eip);
	if (r == EMUL_REFUSED || r == EMUL_FAULTED)
		assert_int_equal(fk.writes, writes);
	return r;
}

#define PT_RUN(code, kind) pt_run(code, sizeof code, kind)

/* The page table at PT holds GUARD bytes; ESI and EDI point at it. */
static void pt_setup(void)
{
	memset(mem + PT, GUARD, 32);
	vc.tf.esi = vc.tf.edi = PT;
}

/* Records the registers and memory; a test then edits tf_want to say
 * what the instruction should change. */
static void snapshot(void)
{
	tf_want = vc.tf;
	flags_undefined = 0;
	memcpy(mem_before, mem, sizeof mem);
}

static void set_arith(uint32_t fl)
{
	vc.tf.eflags = (vc.tf.eflags & ~ARITH) | fl;
}

/* The six arithmetic flags after the instruction; the rest stay. */
static void want_flags(uint32_t fl)
{
	tf_want.eflags = (tf_want.eflags & ~ARITH) | fl;
}

/* The same after AND, OR or XOR, which leave AF undefined. */
static void want_logic_flags(uint32_t fl)
{
	want_flags(fl);
	flags_undefined = FL_AF;
}

/* Every register and flag is as tf_want says. */
static void assert_regs(void)
{
	tf_want.eflags = (tf_want.eflags & ~flags_undefined) | (vc.tf.eflags & flags_undefined);
	assert_int_equal(vc.tf.eflags, tf_want.eflags);
	assert_memory_equal(&vc.tf, &tf_want, sizeof vc.tf);
}

/* Nothing changed since snapshot(): registers, flags, memory. */
static void assert_unchanged(void)
{
	assert_int_equal(vc.tf.eflags, tf_want.eflags);
	assert_memory_equal(&vc.tf, &tf_want, sizeof vc.tf);
	assert_memory_equal(mem, mem_before, sizeof mem);
}

static void put16(uint32_t addr, uint16_t val)
{
	memcpy(mem + addr, &val, 2);
}

static uint16_t get16(uint32_t addr)
{
	uint16_t val;
	memcpy(&val, mem + addr, 2);
	return val;
}

/* ---- page-table writes: MOV --------------------------------------------- */

/* A new PTE: four bytes written, no register or flag changed. */
static void test_pt_mov_dword(void **state)
{
	static const uint8_t mov_m_esi_ecx[] = { 0x89, 0x0E };
	static const uint8_t want[] = { 0x07, 0x50, 0x10, 0x00, GUARD };
	(void)state;
	pt_setup();
	vc.tf.ecx = 0x00105007;
	set_arith(FL_CF | FL_ZF);
	snapshot();
	assert_int_equal(PT_RUN(mov_m_esi_ecx, INSN_MOV), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
	assert_int_equal(fk.writes, 1);
	assert_int_equal(fk.write_va, PT);
	assert_int_equal(fk.write_len, 4);
	assert_false(fk.gva_acc_or & GVA_USER);         /* written as the kernel */
}

/* Byte registers 0-3 are AL CL DL BL, 4-7 are AH CH DH BH. */
static void test_pt_mov_byte_registers(void **state)
{
	static const uint8_t mov_m_al[] = { 0x88, 0x06 };               /* [esi], al */
	static const uint8_t mov_m_ah[] = { 0x88, 0x66, 0x01 };         /* [esi+1], ah */
	static const uint8_t mov_m_ch[] = { 0x88, 0x6E, 0x02 };
	static const uint8_t mov_m_dh[] = { 0x88, 0x76, 0x03 };
	static const uint8_t mov_m_bh[] = { 0x88, 0x7E, 0x04 };
	static const uint8_t mov_m_cl[] = { 0x88, 0x4E, 0x05 };
	static const uint8_t want[] = { 0x44, 0x33, 0x77, 0xBB, 0xFF, 0x88, GUARD };
	(void)state;
	pt_setup();
	vc.tf.eax = 0x11223344;
	vc.tf.ecx = 0x55667788;
	vc.tf.edx = 0x99AABBCC;
	vc.tf.ebx = 0xDDEEFF00;
	snapshot();
	assert_int_equal(PT_RUN(mov_m_al, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_ah, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_ch, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_dh, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_bh, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_cl, INSN_MOV), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
	assert_int_equal(fk.write_len, 1);
}

static void test_pt_mov_word(void **state)
{
	static const uint8_t o16_mov_m_cx[] = { 0x66, 0x89, 0x0E };
	static const uint8_t want[] = { 0x34, 0x12, GUARD, GUARD };
	(void)state;
	pt_setup();
	vc.tf.ecx = 0xCAFE1234;
	snapshot();
	assert_int_equal(PT_RUN(o16_mov_m_cx, INSN_MOV), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
	assert_int_equal(fk.write_len, 2);
}

/* C6/C7: byte, dword and (66) word immediates. */
static void test_pt_mov_imm(void **state)
{
	static const uint8_t mov_m_imm8[] = { 0xC6, 0x06, 0x5A };
	static const uint8_t mov_m_imm32[] = { 0xC7, 0x46, 0x04, 0x07, 0x30, 0x20, 0x00 };
	static const uint8_t mov_m_imm16[] = { 0x66, 0xC7, 0x46, 0x08, 0x34, 0x12 };
	static const uint8_t want[] = {
		0x5A, GUARD, GUARD, GUARD, 0x07, 0x30, 0x20, 0x00, 0x34, 0x12, GUARD,
	};
	(void)state;
	pt_setup();
	snapshot();
	assert_int_equal(PT_RUN(mov_m_imm8, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_imm32, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_m_imm16, INSN_MOV), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
}

/* A2/A3: AL, eAX or (66) AX to an absolute offset. */
static void test_pt_mov_moffs(void **state)
{
	static const uint8_t mov_moffs_al[] = { 0xA2, 0x00, 0x30, 0x00, 0x00 };
	static const uint8_t mov_moffs_eax[] = { 0xA3, 0x04, 0x30, 0x00, 0x00 };
	static const uint8_t o16_mov_moffs_ax[] = { 0x66, 0xA3, 0x08, 0x30, 0x00, 0x00 };
	static const uint8_t want[] = {
		0xD4, GUARD, GUARD, GUARD, 0xD4, 0xC3, 0xB2, 0xA1, 0xD4, 0xC3, GUARD,
	};
	(void)state;
	pt_setup();
	vc.tf.eax = 0xA1B2C3D4;
	snapshot();
	assert_int_equal(PT_RUN(mov_moffs_al, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(mov_moffs_eax, INSN_MOV), EMUL_NEXT);
	assert_int_equal(PT_RUN(o16_mov_moffs_ax, INSN_MOV), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
}

/* 67 A3: a 16-bit offset (0x8010, not sign-extended to 0xFFFF8010). */
static void test_pt_mov_moffs_addr16(void **state)
{
	static const uint8_t a16_mov_moffs_eax[] = { 0x67, 0xA3, 0x10, 0x80 };
	(void)state;
	vc.tf.eax = 0x00105003;
	assert_int_equal(PT_RUN(a16_mov_moffs_eax, INSN_MOV), EMUL_NEXT);
	assert_int_equal(get32(0x8010), 0x00105003);
	assert_int_equal(fk.write_va, 0x8010);
}

/* mov fs:[ebx+ecx*4], eax: the segment base and the SIB address. */
static void test_pt_mov_segment_and_sib(void **state)
{
	static const uint8_t fs_mov_sib_eax[] = { 0x64, 0x89, 0x04, 0x8B };
	(void)state;
	vc.tf.fs = 0x2B;                /* index 5 */
	fk.seg_base[5] = 0x1000;
	vc.tf.ebx = 0x2000;
	vc.tf.ecx = 3;
	vc.tf.eax = 0x00105003;
	snapshot();
	assert_int_equal(PT_RUN(fs_mov_sib_eax, INSN_MOV), EMUL_NEXT);
	assert_int_equal(get32(PT + 12), 0x00105003);
	assert_int_equal(get32(0x200C), 0);
	assert_regs();
}

/* 67 89 07 is mov [bx], eax: BX, not EBX. */
static void test_pt_mov_addr16_modrm(void **state)
{
	static const uint8_t a16_mov_bx_eax[] = { 0x67, 0x89, 0x07 };
	(void)state;
	vc.tf.ebx = 0xFFFF3020;
	vc.tf.eax = 0x00105003;
	assert_int_equal(PT_RUN(a16_mov_bx_eax, INSN_MOV), EMUL_NEXT);
	assert_int_equal(get32(0x3020), 0x00105003);
	assert_int_equal(fk.write_va, 0x3020);
}

/* From ring 3 the access is checked as a user one, and its #PF says so. */
static void test_pt_mov_user_mode(void **state)
{
	static const uint8_t mov_m_esi_eax[] = { 0x89, 0x06 };
	(void)state;
	pt_setup();
	vc.tf.cs = UCODE;
	vc.tf.ss = UDATA;
	vc.tf.eax = 0x00105007;
	assert_int_equal(PT_RUN(mov_m_esi_eax, INSN_MOV), EMUL_NEXT);
	assert_true(fk.gva_acc_or & GVA_USER);
	assert_int_equal(get32(PT), 0x00105007);
	fk.fault_page[PT / PAGE] = true;
	assert_int_equal(PT_RUN(mov_m_esi_eax, INSN_MOV), EMUL_FAULTED);
	assert_injected(T_PF, PFE_W | PFE_U);
}

/* A dword at 0x2FFE runs into the faulting page: #PF for 0x3000, and the
 * two bytes before it are not written either. */
static void test_pt_mov_straddling_fault(void **state)
{
	static const uint8_t mov_m_esi_eax[] = { 0x89, 0x06 };
	(void)state;
	pt_setup();
	vc.tf.esi = PT - 2;
	vc.tf.eax = 0x00105007;
	fk.fault_page[PT / PAGE] = true;
	snapshot();
	assert_int_equal(PT_RUN(mov_m_esi_eax, INSN_MOV), EMUL_FAULTED);
	assert_injected(T_PF, PFE_W);
	assert_int_equal(fk.pf_va, PT);
	assert_int_equal(vc.cr2, PT);
	assert_unchanged();
}

/* ---- page-table writes: XCHG -------------------------------------------- */

static void test_pt_xchg_dword(void **state)
{
	static const uint8_t xchg_m_ecx[] = { 0x87, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 0x00105003);
	vc.tf.ecx = 0x00107003;
	set_arith(FL_CF | FL_SF);
	snapshot();
	tf_want.ecx = 0x00105003;
	assert_int_equal(PT_RUN(xchg_m_ecx, INSN_XCHG), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00107003);
	assert_int_equal(mem[PT + 4], GUARD);
	assert_regs();                  /* flags untouched */
}

static void test_pt_xchg_byte_high_registers(void **state)
{
	static const uint8_t xchg_m_ah[] = { 0x86, 0x26 };
	static const uint8_t xchg_m_bh[] = { 0x86, 0x3E };
	(void)state;
	pt_setup();
	mem[PT] = 0x55;
	vc.tf.eax = 0x1122AA44;
	vc.tf.ebx = 0xDDEE7700;
	snapshot();
	tf_want.eax = 0x11225544;
	tf_want.ebx = 0xDDEEAA00;
	assert_int_equal(PT_RUN(xchg_m_ah, INSN_XCHG), EMUL_NEXT);
	assert_int_equal(mem[PT], 0xAA);
	assert_int_equal(PT_RUN(xchg_m_bh, INSN_XCHG), EMUL_NEXT);
	assert_int_equal(mem[PT], 0x77);
	assert_int_equal(mem[PT + 1], GUARD);
	assert_regs();
}

/* LOCK is allowed (XCHG with memory is locked anyway); 66: word. */
static void test_pt_lock_xchg_word(void **state)
{
	static const uint8_t lock_o16_xchg_m_cx[] = { 0xF0, 0x66, 0x87, 0x0E };
	static const uint8_t want[] = { 0x34, 0x12, 0x34, 0x12 };
	(void)state;
	pt_setup();
	put32(PT, 0x12345678);
	vc.tf.ecx = 0xFFFF1234;
	snapshot();
	tf_want.ecx = 0xFFFF5678;
	assert_int_equal(PT_RUN(lock_o16_xchg_m_cx, INSN_XCHG), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
}

/* ---- page-table writes: CMPXCHG, CMPXCHG8B, XADD ------------------------- */

/* EAX = [esi]: ECX stored, ZF = 1, and the other flags as CMP sets them
 * for equal operands (PF = 1, CF OF SF AF = 0). */
static void test_pt_cmpxchg_equal(void **state)
{
	static const uint8_t cmpxchg_m_ecx[] = { 0x0F, 0xB1, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 0x00105003);
	vc.tf.eax = 0x00105003;
	vc.tf.ecx = 0x00105002;
	set_arith(FL_CF | FL_SF | FL_OF | FL_AF);
	snapshot();
	want_flags(FL_ZF | FL_PF);
	assert_int_equal(PT_RUN(cmpxchg_m_ecx, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00105002);
	assert_regs();
}

/* EAX != [esi]: EAX loaded, the flags of EAX - [esi], and the CPU writes
 * the old value back (one write, memory unchanged). */
static void test_pt_cmpxchg_not_equal(void **state)
{
	static const uint8_t cmpxchg_m_ecx[] = { 0x0F, 0xB1, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 2);
	vc.tf.eax = 1;
	vc.tf.ecx = 0xDEAD;
	set_arith(FL_ZF);
	snapshot();
	tf_want.eax = 2;
	want_flags(FL_CF | FL_PF | FL_AF | FL_SF);      /* 1 - 2 = 0xFFFFFFFF */
	assert_int_equal(PT_RUN(cmpxchg_m_ecx, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(get32(PT), 2);
	assert_int_equal(fk.writes, 1);
	assert_int_equal(fk.write_va, PT);
	assert_int_equal(fk.write_len, 4);
	assert_regs();

	put32(PT, 1);
	vc.tf.eax = 0x80000000;
	snapshot();
	tf_want.eax = 1;
	want_flags(FL_OF | FL_AF | FL_PF);              /* 0x7FFFFFFF */
	assert_int_equal(PT_RUN(cmpxchg_m_ecx, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(get32(PT), 1);
	assert_regs();
}

/* Byte: AL is the accumulator, AH/BH the sources (encodings 4 and 7). */
static void test_pt_lock_cmpxchg_byte(void **state)
{
	static const uint8_t lock_cmpxchg_m_ah[] = { 0xF0, 0x0F, 0xB0, 0x26 };
	static const uint8_t lock_cmpxchg_m1_bh[] = { 0xF0, 0x0F, 0xB0, 0x7E, 0x01 };
	(void)state;
	pt_setup();
	mem[PT] = 0x42;
	vc.tf.eax = 0x00009942;         /* AL 0x42, AH 0x99 */
	vc.tf.ebx = 0x00001100;
	snapshot();
	want_flags(FL_ZF | FL_PF);
	assert_int_equal(PT_RUN(lock_cmpxchg_m_ah, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(mem[PT], 0x99);
	assert_int_equal(fk.write_len, 1);
	assert_regs();

	/* 0x42 - 0xEE: borrow, AF; 0x54 has odd parity. */
	snapshot();
	tf_want.eax = 0x000099EE;
	want_flags(FL_CF | FL_AF);
	assert_int_equal(PT_RUN(lock_cmpxchg_m1_bh, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(mem[PT + 1], GUARD);
	assert_int_equal(fk.write_va, PT + 1);
	assert_int_equal(fk.write_len, 1);
	assert_regs();
}

/* Word: AX compared and loaded, EAX's high half kept. */
static void test_pt_cmpxchg_word(void **state)
{
	static const uint8_t o16_cmpxchg_m2_cx[] = { 0x66, 0x0F, 0xB1, 0x4E, 0x02 };
	(void)state;
	pt_setup();
	put16(PT + 2, 0x1230);
	vc.tf.eax = 0xABCD1234;
	vc.tf.ecx = 0x5555BEEF;
	set_arith(FL_ZF | FL_CF | FL_SF);
	snapshot();
	tf_want.eax = 0xABCD1230;
	want_flags(0);                  /* 0x1234 - 0x1230 = 4 */
	assert_int_equal(PT_RUN(o16_cmpxchg_m2_cx, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(get16(PT + 2), 0x1230);
	assert_regs();

	snapshot();
	want_flags(FL_ZF | FL_PF);
	assert_int_equal(PT_RUN(o16_cmpxchg_m2_cx, INSN_CMPXCHG), EMUL_NEXT);
	assert_int_equal(get16(PT + 2), 0xBEEF);
	assert_int_equal(mem[PT + 1], GUARD);
	assert_int_equal(mem[PT + 4], GUARD);
	assert_regs();
}

/* A PAE-style 64-bit entry: EDX:EAX matches, ECX:EBX stored, only ZF
 * changes (CF and SF stay set). */
static void test_pt_cmpxchg8b_equal(void **state)
{
	static const uint8_t cmpxchg8b_m[] = { 0x0F, 0xC7, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 0x00105063);
	put32(PT + 4, 0x00000001);
	vc.tf.eax = 0x00105063;
	vc.tf.edx = 0x00000001;
	vc.tf.ebx = 0x00207063;
	vc.tf.ecx = 0x00000002;
	set_arith(FL_CF | FL_SF);
	snapshot();
	want_flags(FL_CF | FL_SF | FL_ZF);
	assert_int_equal(PT_RUN(cmpxchg8b_m, INSN_CMPXCHG8B), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00207063);
	assert_int_equal(get32(PT + 4), 0x00000002);
	assert_int_equal(mem[PT + 8], GUARD);
	assert_int_equal(fk.write_len, 8);
	assert_regs();
}

/* The high halves differ: EDX:EAX loaded, ZF = 0 (CF kept), the old value
 * written back. */
static void test_pt_lock_cmpxchg8b_not_equal(void **state)
{
	static const uint8_t lock_cmpxchg8b_m[] = { 0xF0, 0x0F, 0xC7, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 0x00105063);
	put32(PT + 4, 0x80000000);
	vc.tf.eax = 0x00105063;
	vc.tf.edx = 0;
	vc.tf.ebx = 0x00207063;
	vc.tf.ecx = 0x00000002;
	set_arith(FL_ZF | FL_CF);
	snapshot();
	tf_want.edx = 0x80000000;
	want_flags(FL_CF);
	assert_int_equal(PT_RUN(lock_cmpxchg8b_m, INSN_CMPXCHG8B), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00105063);
	assert_int_equal(get32(PT + 4), 0x80000000);
	assert_int_equal(fk.writes, 1);
	assert_int_equal(fk.write_len, 8);
	assert_regs();
}

/* 0x7FFFFFFF + 1: the sum stored, the old value in ECX, OF SF AF PF. */
static void test_pt_xadd_dword(void **state)
{
	static const uint8_t xadd_m_ecx[] = { 0x0F, 0xC1, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 0x7FFFFFFF);
	vc.tf.ecx = 1;
	set_arith(FL_CF | FL_ZF);
	snapshot();
	tf_want.ecx = 0x7FFFFFFF;
	want_flags(FL_OF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(xadd_m_ecx, INSN_XADD), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x80000000);
	assert_regs();
}

/* 0xFF + AH (1): carry out, zero, AF, PF; AH gets 0xFF. */
static void test_pt_lock_xadd_byte_ah(void **state)
{
	static const uint8_t lock_xadd_m_ah[] = { 0xF0, 0x0F, 0xC0, 0x26 };
	(void)state;
	pt_setup();
	mem[PT] = 0xFF;
	vc.tf.eax = 0x12340177;
	snapshot();
	tf_want.eax = 0x1234FF77;
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(lock_xadd_m_ah, INSN_XADD), EMUL_NEXT);
	assert_int_equal(mem[PT], 0x00);
	assert_int_equal(mem[PT + 1], GUARD);
	assert_regs();
}

/* 0x8000 + 0x8001 at word width: 0x0001, CF and OF. */
static void test_pt_xadd_word(void **state)
{
	static const uint8_t o16_xadd_m2_cx[] = { 0x66, 0x0F, 0xC1, 0x4E, 0x02 };
	(void)state;
	pt_setup();
	put16(PT + 2, 0x8000);
	vc.tf.ecx = 0xAAAA8001;
	snapshot();
	tf_want.ecx = 0xAAAA8000;
	want_flags(FL_CF | FL_OF);
	assert_int_equal(PT_RUN(o16_xadd_m2_cx, INSN_XADD), EMUL_NEXT);
	assert_int_equal(get16(PT + 2), 0x0001);
	assert_int_equal(mem[PT + 4], GUARD);
	assert_regs();
}

/* ---- page-table writes: ALU with a memory destination -------------------- */

/* 0x7FFFFFFF + 1: signed overflow. */
static void test_pt_add_dword_overflow(void **state)
{
	static const uint8_t add_m_eax[] = { 0x01, 0x06 };
	(void)state;
	pt_setup();
	put32(PT, 0x7FFFFFFF);
	vc.tf.eax = 1;
	set_arith(FL_CF | FL_ZF);
	snapshot();
	want_flags(FL_OF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(add_m_eax, INSN_ADD), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x80000000);
	assert_regs();
}

/* Bytes and words: 0xFF + 1 carries out of the byte and no further;
 * 0x70 + AH (0x10) overflows into the sign; 0xFFFF + 1 at word width. */
static void test_pt_add_byte_and_word(void **state)
{
	static const uint8_t add_m_al[] = { 0x00, 0x06 };
	static const uint8_t add_m4_ah[] = { 0x00, 0x66, 0x04 };
	static const uint8_t o16_add_m8_cx[] = { 0x66, 0x01, 0x4E, 0x08 };
	static const uint8_t want[] = {
		0x00, GUARD, GUARD, GUARD, 0x80, GUARD, GUARD, GUARD, 0x00, 0x00, GUARD,
	};
	(void)state;
	pt_setup();
	mem[PT] = 0xFF;
	mem[PT + 4] = 0x70;
	put16(PT + 8, 0xFFFF);
	vc.tf.eax = 0x00001001;         /* AL 1, AH 0x10 */
	vc.tf.ecx = 0x12340001;
	snapshot();
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(add_m_al, INSN_ADD), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_flags(FL_OF | FL_SF);
	assert_int_equal(PT_RUN(add_m4_ah, INSN_ADD), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(o16_add_m8_cx, INSN_ADD), EMUL_NEXT);
	assert_regs();
	assert_memory_equal(mem + PT, want, sizeof want);
}

/* OR clears CF and OF. */
static void test_pt_or(void **state)
{
	static const uint8_t or_m_eax[] = { 0x09, 0x06 };
	static const uint8_t or_m4_ah[] = { 0x08, 0x66, 0x04 };
	(void)state;
	pt_setup();
	put32(PT, 0x000000F0);
	mem[PT + 4] = 0x01;
	vc.tf.eax = 0x00000F00;
	set_arith(FL_CF | FL_OF | FL_ZF);
	snapshot();
	want_logic_flags(FL_PF);        /* 0xF0: four bits set */
	assert_int_equal(PT_RUN(or_m_eax, INSN_OR), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00000FF0);
	assert_regs();

	vc.tf.eax = 0x00008000;         /* AH 0x80 */
	snapshot();
	want_logic_flags(FL_SF | FL_PF);
	assert_int_equal(PT_RUN(or_m4_ah, INSN_OR), EMUL_NEXT);
	assert_int_equal(mem[PT + 4], 0x81);
	assert_int_equal(mem[PT + 5], GUARD);
	assert_regs();
}

/* ADC adds CF: 0xFFFFFFFF + 0 + 1 wraps to 0; then 0x3F + 0 + 1 (the
 * carry just made) = 0x40; then with CF = 0, 5 + 3 = 8. */
static void test_pt_adc(void **state)
{
	static const uint8_t adc_m_eax[] = { 0x11, 0x06 };
	static const uint8_t adc_m4_ah[] = { 0x10, 0x66, 0x04 };
	static const uint8_t adc_m8_ecx[] = { 0x11, 0x4E, 0x08 };
	(void)state;
	pt_setup();
	put32(PT, 0xFFFFFFFF);
	mem[PT + 4] = 0x3F;
	put32(PT + 8, 5);
	vc.tf.eax = 0;
	vc.tf.ecx = 3;
	set_arith(FL_CF);
	snapshot();
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(adc_m_eax, INSN_ADC), EMUL_NEXT);
	assert_int_equal(get32(PT), 0);
	assert_regs();

	snapshot();
	want_flags(FL_AF);
	assert_int_equal(PT_RUN(adc_m4_ah, INSN_ADC), EMUL_NEXT);
	assert_int_equal(mem[PT + 4], 0x40);
	assert_regs();

	snapshot();
	want_flags(0);
	assert_int_equal(PT_RUN(adc_m8_ecx, INSN_ADC), EMUL_NEXT);
	assert_int_equal(get32(PT + 8), 8);
	assert_regs();
}

/* SBB subtracts CF: 5 - 5 - 1 borrows; 0x80 - 1 (CF = 0) overflows;
 * 5 - 0xFFFFFFFF - 1 borrows 2^32 and leaves 5. */
static void test_pt_sbb(void **state)
{
	static const uint8_t sbb_m_eax[] = { 0x19, 0x06 };
	static const uint8_t sbb_m4_ah[] = { 0x18, 0x66, 0x04 };
	static const uint8_t sbb_m8_ecx[] = { 0x19, 0x4E, 0x08 };
	(void)state;
	pt_setup();
	put32(PT, 5);
	mem[PT + 4] = 0x80;
	put32(PT + 8, 5);
	vc.tf.eax = 5;
	set_arith(FL_CF);
	snapshot();
	want_flags(FL_CF | FL_SF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(sbb_m_eax, INSN_SBB), EMUL_NEXT);
	assert_int_equal(get32(PT), 0xFFFFFFFF);
	assert_regs();

	vc.tf.eax = 0x00000100;         /* AH 1 */
	set_arith(0);
	snapshot();
	want_flags(FL_OF | FL_AF);
	assert_int_equal(PT_RUN(sbb_m4_ah, INSN_SBB), EMUL_NEXT);
	assert_int_equal(mem[PT + 4], 0x7F);
	assert_regs();

	vc.tf.ecx = 0xFFFFFFFF;
	set_arith(FL_CF);
	snapshot();
	want_flags(FL_CF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(sbb_m8_ecx, INSN_SBB), EMUL_NEXT);
	assert_int_equal(get32(PT + 8), 5);
	assert_regs();
}

/* AND clears CF and OF; a zero result sets ZF. */
static void test_pt_and(void **state)
{
	static const uint8_t and_m_eax[] = { 0x21, 0x06 };
	static const uint8_t and_m4_ah[] = { 0x20, 0x66, 0x04 };
	(void)state;
	pt_setup();
	put32(PT, 0xF0F0F0F0);
	mem[PT + 4] = 0x0F;
	vc.tf.eax = 0x0FF0F0F0;         /* AH 0xF0 */
	set_arith(FL_CF | FL_OF | FL_SF);
	snapshot();
	want_logic_flags(FL_PF);
	assert_int_equal(PT_RUN(and_m_eax, INSN_AND), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00F0F0F0);
	assert_regs();

	set_arith(FL_CF | FL_OF);
	snapshot();
	want_logic_flags(FL_ZF | FL_PF);
	assert_int_equal(PT_RUN(and_m4_ah, INSN_AND), EMUL_NEXT);
	assert_int_equal(mem[PT + 4], 0x00);
	assert_regs();
}

/* SUB: 3 - 5 borrows; 0x80000000 - 1 overflows; 0x10 - AH (0x10) = 0. */
static void test_pt_sub(void **state)
{
	static const uint8_t sub_m_eax[] = { 0x29, 0x06 };
	static const uint8_t sub_m4_ecx[] = { 0x29, 0x4E, 0x04 };
	static const uint8_t sub_m8_ah[] = { 0x28, 0x66, 0x08 };
	(void)state;
	pt_setup();
	put32(PT, 3);
	put32(PT + 4, 0x80000000);
	mem[PT + 8] = 0x10;
	vc.tf.eax = 5;
	vc.tf.ecx = 1;
	snapshot();
	want_flags(FL_CF | FL_SF | FL_AF);              /* 0xFFFFFFFE: odd parity */
	assert_int_equal(PT_RUN(sub_m_eax, INSN_SUB), EMUL_NEXT);
	assert_int_equal(get32(PT), 0xFFFFFFFE);
	assert_regs();

	snapshot();
	want_flags(FL_OF | FL_AF | FL_PF);
	assert_int_equal(PT_RUN(sub_m4_ecx, INSN_SUB), EMUL_NEXT);
	assert_int_equal(get32(PT + 4), 0x7FFFFFFF);
	assert_regs();

	vc.tf.eax = 0x00001000;
	snapshot();
	want_flags(FL_ZF | FL_PF);
	assert_int_equal(PT_RUN(sub_m8_ah, INSN_SUB), EMUL_NEXT);
	assert_int_equal(mem[PT + 8], 0x00);
	assert_int_equal(mem[PT + 9], GUARD);
	assert_regs();
}

static void test_pt_xor(void **state)
{
	static const uint8_t xor_m_eax[] = { 0x31, 0x06 };
	static const uint8_t xor_m4_ah[] = { 0x30, 0x66, 0x04 };
	(void)state;
	pt_setup();
	put32(PT, 0x00105003);
	mem[PT + 4] = 0x0F;
	vc.tf.eax = 0x00105003;
	set_arith(FL_CF | FL_OF);
	snapshot();
	want_logic_flags(FL_ZF | FL_PF);
	assert_int_equal(PT_RUN(xor_m_eax, INSN_XOR), EMUL_NEXT);
	assert_int_equal(get32(PT), 0);
	assert_regs();

	vc.tf.eax = 0x0000F000;
	snapshot();
	want_logic_flags(FL_SF | FL_PF);
	assert_int_equal(PT_RUN(xor_m4_ah, INSN_XOR), EMUL_NEXT);
	assert_int_equal(mem[PT + 4], 0xFF);
	assert_regs();
}

/* 80 /0-/6 and 82 (the same) on bytes PT+0..7, each step's flags from
 * the one before where it reads CF. */
static void test_pt_alu_80_82_imm8(void **state)
{
	static const uint8_t add_b_m_1[] = { 0x80, 0x06, 0x01 };
	static const uint8_t adc_b_m1_0[] = { 0x80, 0x56, 0x01, 0x00 };
	static const uint8_t or_b_m2_80[] = { 0x80, 0x4E, 0x02, 0x80 };
	static const uint8_t sbb_b_m3_1[] = { 0x80, 0x5E, 0x03, 0x01 };
	static const uint8_t and_b_m4_0f[] = { 0x80, 0x66, 0x04, 0x0F };
	static const uint8_t sub_b_m5_1[] = { 0x80, 0x6E, 0x05, 0x01 };
	static const uint8_t xor_b_m6_ff[] = { 0x80, 0x76, 0x06, 0xFF };
	static const uint8_t sub82_b_m7_1[] = { 0x82, 0x6E, 0x07, 0x01 };
	static const uint8_t before[] = { 0xFF, 0x7F, 0x01, 0x00, 0xF0, 0x01, 0x0F, 0x00 };
	static const uint8_t want[] = { 0x00, 0x80, 0x81, 0xFF, 0x00, 0x00, 0xF0, 0xFF, GUARD };
	(void)state;
	pt_setup();
	memcpy(mem + PT, before, sizeof before);

	snapshot();
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);      /* 0xFF + 1 */
	assert_int_equal(PT_RUN(add_b_m_1, INSN_ADD), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_flags(FL_OF | FL_SF | FL_AF);              /* 0x7F + 0 + CF */
	assert_int_equal(PT_RUN(adc_b_m1_0, INSN_ADC), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_logic_flags(FL_SF | FL_PF);                /* 0x01 | 0x80 */
	assert_int_equal(PT_RUN(or_b_m2_80, INSN_OR), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_flags(FL_CF | FL_SF | FL_AF | FL_PF);      /* 0 - 1 - CF (0) */
	assert_int_equal(PT_RUN(sbb_b_m3_1, INSN_SBB), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_logic_flags(FL_ZF | FL_PF);                /* 0xF0 & 0x0F */
	assert_int_equal(PT_RUN(and_b_m4_0f, INSN_AND), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_flags(FL_ZF | FL_PF);                      /* 1 - 1 */
	assert_int_equal(PT_RUN(sub_b_m5_1, INSN_SUB), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_logic_flags(FL_SF | FL_PF);                /* 0x0F ^ 0xFF */
	assert_int_equal(PT_RUN(xor_b_m6_ff, INSN_XOR), EMUL_NEXT);
	assert_regs();
	snapshot();
	want_flags(FL_CF | FL_SF | FL_AF | FL_PF);      /* 0 - 1 */
	assert_int_equal(PT_RUN(sub82_b_m7_1, INSN_SUB), EMUL_NEXT);
	assert_regs();
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_int_equal(fk.write_len, 1);
}

/* 81: imm32 (or imm16 with 66) on a PTE: clear a bit, mask the frame,
 * set flags, toggle P, then word and dword carries. */
static void test_pt_alu_81_imm(void **state)
{
	static const uint8_t sub_m_1000[] = { 0x81, 0x2E, 0x00, 0x10, 0x00, 0x00 };
	static const uint8_t and_m_fffff000[] = { 0x81, 0x26, 0x00, 0xF0, 0xFF, 0xFF };
	static const uint8_t or_m_67[] = { 0x81, 0x0E, 0x67, 0x00, 0x00, 0x00 };
	static const uint8_t xor_m_1[] = { 0x81, 0x36, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t o16_add_m4_7fff[] = { 0x66, 0x81, 0x46, 0x04, 0xFF, 0x7F };
	static const uint8_t adc_m8_ffffffff[] = { 0x81, 0x56, 0x08, 0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t sbb_m8_0[] = { 0x81, 0x5E, 0x08, 0x00, 0x00, 0x00, 0x00 };
	(void)state;
	pt_setup();
	put32(PT, 0x00105003);
	put16(PT + 4, 0x0001);
	put32(PT + 8, 1);

	snapshot();
	want_flags(FL_PF);                              /* 0x00104003 */
	assert_int_equal(PT_RUN(sub_m_1000, INSN_SUB), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00104003);
	assert_regs();
	snapshot();
	want_logic_flags(FL_PF);
	assert_int_equal(PT_RUN(and_m_fffff000, INSN_AND), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00104000);
	assert_regs();
	snapshot();
	want_logic_flags(0);                            /* 0x67: five bits */
	assert_int_equal(PT_RUN(or_m_67, INSN_OR), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00104067);
	assert_regs();
	snapshot();
	want_logic_flags(FL_PF);
	assert_int_equal(PT_RUN(xor_m_1, INSN_XOR), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00104066);
	assert_regs();

	snapshot();
	want_flags(FL_OF | FL_SF | FL_AF | FL_PF);      /* 1 + 0x7FFF */
	assert_int_equal(PT_RUN(o16_add_m4_7fff, INSN_ADD), EMUL_NEXT);
	assert_int_equal(get16(PT + 4), 0x8000);
	assert_int_equal(mem[PT + 6], GUARD);
	assert_regs();
	snapshot();
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);      /* 1 + 0xFFFFFFFF + 0 */
	assert_int_equal(PT_RUN(adc_m8_ffffffff, INSN_ADC), EMUL_NEXT);
	assert_int_equal(get32(PT + 8), 0);
	assert_regs();
	snapshot();
	want_flags(FL_CF | FL_SF | FL_AF | FL_PF);      /* 0 - 0 - 1 */
	assert_int_equal(PT_RUN(sbb_m8_0, INSN_SBB), EMUL_NEXT);
	assert_int_equal(get32(PT + 8), 0xFFFFFFFF);
	assert_regs();
}

/* 83: the imm8 is sign-extended to the operand width. */
static void test_pt_alu_83_sign_extended(void **state)
{
	static const uint8_t add_m_minus1[] = { 0x83, 0x06, 0xFF };
	static const uint8_t o16_or_m4_ff80[] = { 0x66, 0x83, 0x4E, 0x04, 0x80 };
	static const uint8_t sub_m8_1[] = { 0x83, 0x6E, 0x08, 0x01 };
	static const uint8_t and_m12_minus16[] = { 0x83, 0x66, 0x0C, 0xF0 };
	(void)state;
	pt_setup();
	put32(PT, 1);
	put16(PT + 4, 0x0001);
	put32(PT + 8, 0);
	put32(PT + 12, 0x1234567F);

	snapshot();
	want_flags(FL_CF | FL_ZF | FL_AF | FL_PF);      /* 1 + 0xFFFFFFFF */
	assert_int_equal(PT_RUN(add_m_minus1, INSN_ADD), EMUL_NEXT);
	assert_int_equal(get32(PT), 0);
	assert_regs();
	snapshot();
	want_logic_flags(FL_SF | FL_PF);                /* 0x0001 | 0xFF80 */
	assert_int_equal(PT_RUN(o16_or_m4_ff80, INSN_OR), EMUL_NEXT);
	assert_int_equal(get16(PT + 4), 0xFF81);
	assert_int_equal(mem[PT + 6], GUARD);
	assert_regs();
	snapshot();
	want_flags(FL_CF | FL_SF | FL_AF | FL_PF);      /* 0 - 1 */
	assert_int_equal(PT_RUN(sub_m8_1, INSN_SUB), EMUL_NEXT);
	assert_int_equal(get32(PT + 8), 0xFFFFFFFF);
	assert_regs();
	snapshot();
	want_logic_flags(0);                            /* 0x70: three bits */
	assert_int_equal(PT_RUN(and_m12_minus16, INSN_AND), EMUL_NEXT);
	assert_int_equal(get32(PT + 12), 0x12345670);
	assert_regs();
}

/* LOCK is accepted on the ALU forms and changes nothing in the result. */
static void test_pt_lock_alu(void **state)
{
	static const uint8_t lock_add_m_eax[] = { 0xF0, 0x01, 0x06 };
	static const uint8_t lock_or_m_1[] = { 0xF0, 0x83, 0x0E, 0x01 };
	static const uint8_t lock_and_m_fffffffe[] = { 0xF0, 0x81, 0x26, 0xFE, 0xFF, 0xFF, 0xFF };
	(void)state;
	pt_setup();
	put32(PT, 0x00105000);
	vc.tf.eax = 0x20;               /* the accessed bit */
	snapshot();
	want_flags(0);                  /* 0x00105020: odd parity, no carries */
	assert_int_equal(PT_RUN(lock_add_m_eax, INSN_ADD), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00105020);
	assert_regs();
	snapshot();
	want_logic_flags(FL_PF);        /* 0x21 */
	assert_int_equal(PT_RUN(lock_or_m_1, INSN_OR), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00105021);
	assert_regs();
	snapshot();
	want_logic_flags(0);            /* 0x20 */
	assert_int_equal(PT_RUN(lock_and_m_fffffffe, INSN_AND), EMUL_NEXT);
	assert_int_equal(get32(PT), 0x00105020);
	assert_regs();
}

/* ---- page-table writes: INC, DEC, NOT, NEG, shifts ---------------------- */

/* One instruction on the dword at PT: the value after, the six flags
 * after (the rest of EFLAGS stays), no register changed. */
static void unary_case(const uint8_t *code, size_t n, enum insn_kind kind, uint32_t before,
		       uint32_t flags_before, uint32_t after, uint32_t flags_after)
{
	pt_setup();
	put32(PT, before);
	set_arith(flags_before);
	snapshot();
	want_flags(flags_after);
	assert_int_equal(pt_run(code, n, kind), EMUL_NEXT);
	assert_int_equal(get32(PT), after);
	assert_regs();
}

#define UNARY(code, kind, b, fb, a, fa) unary_case(code, sizeof code, kind, b, fb, a, fa)

/* INC and DEC keep CF (a loop counter's carry chain is the reason); NEG
 * is 0 - x (CF unless x is 0); NOT changes no flag. */
static void test_pt_inc_dec_not_neg(void **state)
{
	static const uint8_t inc_d[] = { 0xFF, 0x07 }, dec_d[] = { 0xFF, 0x0F };
	static const uint8_t dec_b[] = { 0xFE, 0x0F }, inc_w[] = { 0x66, 0xFF, 0x07 };
	static const uint8_t not_d[] = { 0xF7, 0x17 }, neg_d[] = { 0xF7, 0x1F };
	static const uint8_t lock_neg_b[] = { 0xF0, 0xF6, 0x1F };
	(void)state;
	UNARY(inc_d, INSN_INC, 0x7FFFFFFF, FL_CF, 0x80000000, FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
	UNARY(inc_d, INSN_INC, 0xFFFFFFFF, 0, 0, FL_ZF | FL_AF | FL_PF);        /* no CF */
	UNARY(dec_d, INSN_DEC, 0x80000000, 0, 0x7FFFFFFF, FL_OF | FL_AF | FL_PF);
	UNARY(dec_d, INSN_DEC, 1, FL_CF, 0, FL_CF | FL_ZF | FL_PF);
	UNARY(dec_b, INSN_DEC, 0x12345600, 0, 0x123456FF, FL_SF | FL_AF | FL_PF); /* byte only */
	UNARY(inc_w, INSN_INC, 0xAAAAFFFF, FL_CF, 0xAAAA0000, FL_CF | FL_ZF | FL_AF | FL_PF);
	UNARY(not_d, INSN_NOT, 0x00105003, FL_CF | FL_ZF, 0xFFEFAFFC, FL_CF | FL_ZF);
	UNARY(neg_d, INSN_NEG, 5, 0, 0xFFFFFFFB, FL_CF | FL_SF | FL_AF);
	UNARY(neg_d, INSN_NEG, 0, FL_CF, 0, FL_ZF | FL_PF);
	UNARY(neg_d, INSN_NEG, 0x80000000, 0, 0x80000000, FL_CF | FL_OF | FL_SF | FL_PF);
	UNARY(lock_neg_b, INSN_NEG, 0x11111101, 0, 0x111111FF, FL_CF | FL_SF | FL_AF | FL_PF);
}

/* SHL/SHR/SAR: CF the last bit out, OF for a count of 1 (SHL: MSB(result)
 * XOR CF, SHR: MSB(operand), SAR: 0), the count masked to 5 bits, a
 * masked count of 0 a no-op without a write, LOCK #UD. */
static void test_pt_shifts(void **state)
{
	static const uint8_t shl1[] = { 0xD1, 0x27 }, shr_b3[] = { 0xC0, 0x2F, 0x03 };
	static const uint8_t sar_w_cl[] = { 0x66, 0xD3, 0x3F }, shl_cl[] = { 0xD3, 0x27 };
	static const uint8_t shr1[] = { 0xD1, 0x2F }, sar1[] = { 0xD1, 0x3F };
	static const uint8_t lock_shl1[] = { 0xF0, 0xD1, 0x27 };
	(void)state;
	UNARY(shl1, INSN_SHL, 0x80000001, 0, 0x00000002, FL_CF | FL_OF);
	UNARY(shl1, INSN_SHL, 0x40000000, FL_CF, 0x80000000, FL_OF | FL_SF | FL_PF);
	UNARY(shr1, INSN_SHR, 0x80000003, 0, 0x40000001, FL_CF | FL_OF);
	UNARY(sar1, INSN_SAR, 0x80000003, 0, 0xC0000001, FL_CF | FL_SF);
	UNARY(shr_b3, INSN_SHR, 0xAAAAAA85, 0, 0xAAAAAA10, FL_CF | FL_OF);      /* byte only */
	vc.tf.ecx = 4;
	UNARY(sar_w_cl, INSN_SAR, 0x55558010, FL_CF, 0x5555F801, FL_SF);
	vc.tf.ecx = 0x24;                                       /* 36 & 31 = 4 */
	UNARY(shl_cl, INSN_SHL, 0x1000000F, 0, 0x000000F0, FL_CF | FL_PF);

	vc.tf.ecx = 0x20;                                       /* 32 & 31 = 0 */
	pt_setup();
	put32(PT, 0x00105003);
	set_arith(FL_CF | FL_OF);
	snapshot();
	unsigned writes = fk.writes;
	assert_int_equal(PT_RUN(shl_cl, INSN_SHL), EMUL_NEXT);
	assert_int_equal(fk.writes, writes);                    /* nothing stored */
	assert_unchanged();

	pt_setup();
	snapshot();
	assert_int_equal(PT_RUN(lock_shl1, INSN_SHL), EMUL_FAULTED);
	assert_injected(T_UD, 0);
}

/* ---- page-table writes: STOS, MOVS -------------------------------------- */

/* Without REP: one element, EDI moves, ECX untouched. */
static void test_pt_stos_single(void **state)
{
	static const uint8_t stosb[] = { 0xAA };
	static const uint8_t stosd[] = { 0xAB };
	static const uint8_t o16_stosw[] = { 0x66, 0xAB };
	static const uint8_t want[] = { 0x44, 0x44, 0x33, 0x22, 0x11, 0x44, 0x33, GUARD };
	(void)state;
	pt_setup();
	vc.tf.eax = 0x11223344;
	vc.tf.ecx = 7;
	snapshot();
	tf_want.edi = PT + 7;
	assert_int_equal(PT_RUN(stosb, INSN_STOS), EMUL_NEXT);
	assert_int_equal(vc.tf.edi, PT + 1);
	assert_int_equal(PT_RUN(stosd, INSN_STOS), EMUL_NEXT);
	assert_int_equal(vc.tf.edi, PT + 5);
	assert_int_equal(PT_RUN(o16_stosw, INSN_STOS), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
}

/* REP: one element per call, EMUL_JUMPED while ECX is not yet 0 (EIP
 * stays, the guest faults on the next one), EMUL_NEXT on the last. */
static void test_pt_rep_stosd(void **state)
{
	static const uint8_t rep_stosd[] = { 0xF3, 0xAB };
	(void)state;
	pt_setup();
	vc.tf.eax = 0;
	vc.tf.ecx = 3;
	assert_int_equal(PT_RUN(rep_stosd, INSN_STOS), EMUL_JUMPED);
	assert_int_equal(get32(PT), 0);
	assert_int_equal(mem[PT + 4], GUARD);
	assert_int_equal(vc.tf.edi, PT + 4);
	assert_int_equal(vc.tf.ecx, 2);
	assert_int_equal(PT_RUN(rep_stosd, INSN_STOS), EMUL_JUMPED);
	assert_int_equal(vc.tf.ecx, 1);
	assert_int_equal(PT_RUN(rep_stosd, INSN_STOS), EMUL_NEXT);
	assert_int_equal(vc.tf.ecx, 0);
	assert_int_equal(vc.tf.edi, PT + 12);
	assert_int_equal(get32(PT + 4), 0);
	assert_int_equal(get32(PT + 8), 0);
	assert_int_equal(mem[PT + 12], GUARD);
	assert_int_equal(fk.writes, 3);
}

/* F2 (REPNE) repeats STOS just as F3 does. */
static void test_pt_repne_stosb(void **state)
{
	static const uint8_t repne_stosb[] = { 0xF2, 0xAA };
	(void)state;
	pt_setup();
	vc.tf.eax = 0x5A;
	vc.tf.ecx = 2;
	assert_int_equal(PT_RUN(repne_stosb, INSN_STOS), EMUL_JUMPED);
	assert_int_equal(PT_RUN(repne_stosb, INSN_STOS), EMUL_NEXT);
	assert_int_equal(mem[PT], 0x5A);
	assert_int_equal(mem[PT + 1], 0x5A);
	assert_int_equal(mem[PT + 2], GUARD);
	assert_int_equal(vc.tf.ecx, 0);
}

/* DF = 1: EDI goes down, past the start of the page table. */
static void test_pt_rep_stosb_df_moves_down(void **state)
{
	static const uint8_t rep_stosb[] = { 0xF3, 0xAA };
	(void)state;
	pt_setup();
	vc.tf.eflags |= FL_DF;
	vc.tf.eax = 0x5A;
	vc.tf.edi = PT + 2;
	vc.tf.ecx = 3;
	assert_int_equal(PT_RUN(rep_stosb, INSN_STOS), EMUL_JUMPED);
	assert_int_equal(mem[PT + 2], 0x5A);
	assert_int_equal(mem[PT + 1], GUARD);
	assert_int_equal(vc.tf.edi, PT + 1);
	assert_int_equal(PT_RUN(rep_stosb, INSN_STOS), EMUL_JUMPED);
	assert_int_equal(PT_RUN(rep_stosb, INSN_STOS), EMUL_NEXT);
	assert_int_equal(mem[PT + 1], 0x5A);
	assert_int_equal(mem[PT], 0x5A);
	assert_int_equal(mem[PT - 1], 0);
	assert_int_equal(vc.tf.edi, PT - 1);
	assert_int_equal(vc.tf.ecx, 0);
	assert_true(vc.tf.eflags & FL_DF);
}

static void test_pt_rep_stos_ecx_zero_does_nothing(void **state)
{
	static const uint8_t rep_stosd[] = { 0xF3, 0xAB };
	(void)state;
	pt_setup();
	vc.tf.ecx = 0;
	snapshot();
	assert_int_equal(PT_RUN(rep_stosd, INSN_STOS), EMUL_NEXT);
	assert_unchanged();
	assert_int_equal(fk.writes, 0);
}

/* 67: DI and CX, wrapping at 64K; the high halves stay. */
static void test_pt_rep_stosb_addr16_wraps(void **state)
{
	static const uint8_t a16_rep_stosb[] = { 0x67, 0xF3, 0xAA };
	(void)state;
	vc.tf.eax = 0xAB;
	vc.tf.edi = 0x1234FFFF;
	vc.tf.ecx = 0x56780002;
	assert_int_equal(PT_RUN(a16_rep_stosb, INSN_STOS), EMUL_JUMPED);
	assert_int_equal(mem[0xFFFF], 0xAB);
	assert_int_equal(vc.tf.edi, 0x12340000);
	assert_int_equal(vc.tf.ecx, 0x56780001);
	assert_int_equal(PT_RUN(a16_rep_stosb, INSN_STOS), EMUL_NEXT);
	assert_int_equal(mem[0x0000], 0xAB);
	assert_int_equal(vc.tf.edi, 0x12340001);
	assert_int_equal(vc.tf.ecx, 0x56780000);
}

/* STOS writes ES:EDI whatever segment prefix it has. */
static void test_pt_stos_ignores_segment_override(void **state)
{
	static const uint8_t ds_stosb[] = { 0x3E, 0xAA };
	(void)state;
	vc.tf.es = 0x2B;                /* index 5 */
	fk.seg_base[5] = 0x1000;
	vc.tf.eax = 0x5A;
	vc.tf.edi = PT - 0x1000 + 0x10;
	assert_int_equal(PT_RUN(ds_stosb, INSN_STOS), EMUL_NEXT);
	assert_int_equal(mem[PT + 0x10], 0x5A);
	assert_int_equal(mem[PT - 0x1000 + 0x10], 0);
}

static void test_pt_movs_single(void **state)
{
	static const uint8_t movsd[] = { 0xA5 };
	static const uint8_t movsb[] = { 0xA4 };
	static const uint8_t o16_movsw[] = { 0x66, 0xA5 };
	static const uint8_t want[] = { 0x03, 0x50, 0x10, 0x00, 0x77, 0xAA, 0xBB, GUARD };
	(void)state;
	pt_setup();
	put32(PT_SRC, 0x00105003);
	mem[PT_SRC + 4] = 0x77;
	put16(PT_SRC + 5, 0xBBAA);
	vc.tf.esi = PT_SRC;
	vc.tf.ecx = 7;
	snapshot();
	tf_want.esi = PT_SRC + 7;
	tf_want.edi = PT + 7;
	assert_int_equal(PT_RUN(movsd, INSN_MOVS), EMUL_NEXT);
	assert_int_equal(vc.tf.esi, PT_SRC + 4);
	assert_int_equal(vc.tf.edi, PT + 4);
	assert_int_equal(PT_RUN(movsb, INSN_MOVS), EMUL_NEXT);
	assert_int_equal(PT_RUN(o16_movsw, INSN_MOVS), EMUL_NEXT);
	assert_memory_equal(mem + PT, want, sizeof want);
	assert_regs();
}

static void test_pt_rep_movsb_df_moves_down(void **state)
{
	static const uint8_t rep_movsb[] = { 0xF3, 0xA4 };
	(void)state;
	pt_setup();
	memcpy(mem + PT_SRC, "abc", 3);
	vc.tf.eflags |= FL_DF;
	vc.tf.esi = PT_SRC + 2;
	vc.tf.edi = PT + 2;
	vc.tf.ecx = 3;
	assert_int_equal(PT_RUN(rep_movsb, INSN_MOVS), EMUL_JUMPED);
	assert_int_equal(mem[PT + 2], 'c');
	assert_int_equal(mem[PT + 1], GUARD);
	assert_int_equal(vc.tf.esi, PT_SRC + 1);
	assert_int_equal(vc.tf.edi, PT + 1);
	assert_int_equal(vc.tf.ecx, 2);
	assert_int_equal(PT_RUN(rep_movsb, INSN_MOVS), EMUL_JUMPED);
	assert_int_equal(PT_RUN(rep_movsb, INSN_MOVS), EMUL_NEXT);
	assert_memory_equal(mem + PT, "abc", 3);
	assert_int_equal(vc.tf.esi, PT_SRC - 1);
	assert_int_equal(vc.tf.edi, PT - 1);
	assert_int_equal(vc.tf.ecx, 0);
}

/* MOVS reads DS:ESI, or the override's segment; it writes ES:EDI. */
static void test_pt_movs_honours_segment_override(void **state)
{
	static const uint8_t fs_movsd[] = { 0x64, 0xA5 };
	(void)state;
	pt_setup();
	vc.tf.fs = 0x2B;                /* index 5 */
	fk.seg_base[5] = 0x1000;
	put32(PT_SRC, 0xCAFEF00D);
	put32(PT_SRC - 0x1000, 0x0BAD0BAD);
	vc.tf.esi = PT_SRC - 0x1000;
	assert_int_equal(PT_RUN(fs_movsd, INSN_MOVS), EMUL_NEXT);
	assert_int_equal(get32(PT), 0xCAFEF00D);
	assert_int_equal(vc.tf.esi, PT_SRC - 0x1000 + 4);
}

/* 67: SI, DI and CX; SI wraps at 64K, EDI's high half is not part of the
 * address. */
static void test_pt_rep_movsw_addr16(void **state)
{
	static const uint8_t a16_rep_movsw[] = { 0x67, 0xF3, 0x66, 0xA5 };
	(void)state;
	pt_setup();
	put16(0xFFFE, 0x1111);
	put16(0x0000, 0x2222);
	vc.tf.esi = 0xAAAAFFFE;
	vc.tf.edi = 0xBBBB0000 | PT;
	vc.tf.ecx = 0xCCCC0002;
	assert_int_equal(PT_RUN(a16_rep_movsw, INSN_MOVS), EMUL_JUMPED);
	assert_int_equal(get16(PT), 0x1111);
	assert_int_equal(vc.tf.esi, 0xAAAA0000);
	assert_int_equal(vc.tf.edi, 0xBBBB0000 | (PT + 2));
	assert_int_equal(vc.tf.ecx, 0xCCCC0001);
	assert_int_equal(PT_RUN(a16_rep_movsw, INSN_MOVS), EMUL_NEXT);
	assert_int_equal(get16(PT + 2), 0x2222);
	assert_int_equal(mem[PT + 4], GUARD);
	assert_int_equal(vc.tf.esi, 0xAAAA0002);
	assert_int_equal(vc.tf.edi, 0xBBBB0000 | (PT + 4));
	assert_int_equal(vc.tf.ecx, 0xCCCC0000);
}

/* The source faults: a read #PF for it, nothing written, ESI EDI ECX kept. */
static void test_pt_movs_source_fault(void **state)
{
	static const uint8_t movsd[] = { 0xA5 };
	static const uint8_t rep_movsd[] = { 0xF3, 0xA5 };
	(void)state;
	pt_setup();
	fk.fault_page[PT_SRC / PAGE] = true;
	vc.tf.esi = PT_SRC;
	vc.tf.ecx = 4;
	snapshot();
	assert_int_equal(PT_RUN(movsd, INSN_MOVS), EMUL_FAULTED);
	assert_injected(T_PF, 0);
	assert_int_equal(fk.pf_va, PT_SRC);
	assert_unchanged();
	assert_int_equal(PT_RUN(rep_movsd, INSN_MOVS), EMUL_FAULTED);
	assert_injected(T_PF, 0);
	assert_unchanged();
}

/* ---- page-table writes: LOCK, refusals, faults -------------------------- */

/* LOCK on MOV, STOS or MOVS is #UD, and nothing is written. */
static void test_pt_lock_mov_stos_movs_ud(void **state)
{
	static const uint8_t lock_mov_m_eax[] = { 0xF0, 0x89, 0x06 };
	static const uint8_t lock_mov_m_imm[] = { 0xF0, 0xC7, 0x06, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t lock_mov_moffs[] = { 0xF0, 0xA3, 0x00, 0x30, 0x00, 0x00 };
	static const uint8_t lock_stosd[] = { 0xF0, 0xAB };
	static const uint8_t lock_rep_movsb[] = { 0xF0, 0xF3, 0xA4 };
	(void)state;
	pt_setup();
	vc.tf.eax = 0x00105003;
	vc.tf.ecx = 2;
	mem[PT_SRC] = 0x77;
	vc.tf.esi = PT_SRC;
	snapshot();
	assert_int_equal(PT_RUN(lock_mov_m_eax, INSN_MOV), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(PT_RUN(lock_mov_m_imm, INSN_MOV), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(PT_RUN(lock_mov_moffs, INSN_MOV), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(PT_RUN(lock_stosd, INSN_STOS), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_int_equal(PT_RUN(lock_rep_movsb, INSN_MOVS), EMUL_FAULTED);
	assert_injected(T_UD, 0);
	assert_unchanged();
	assert_int_equal(fk.pf_count, 0);
}

struct pt_form {
	uint8_t code[8];
	uint8_t len;
	enum insn_kind kind;
	uint8_t width;          /* bytes written; 0 for a refused form */
};

/* Reads memory, or writes only a register: EMUL_REFUSED. */
static const struct pt_form non_writing_forms[] = {
	{ { 0x8B, 0x06 }, 2, INSN_MOV, 0 },                       /* mov eax, [esi] */
	{ { 0x8A, 0x26 }, 2, INSN_MOV, 0 },                       /* mov ah, [esi] */
	{ { 0xA1, 0x00, 0x30, 0x00, 0x00 }, 5, INSN_MOV, 0 },     /* mov eax, [0x3000] */
	{ { 0x89, 0xC6 }, 2, INSN_MOV, 0 },                       /* mov esi, eax */
	{ { 0xC7, 0xC0, 0x01, 0x02, 0x03, 0x04 }, 6, INSN_MOV, 0 }, /* mov eax, imm32 */
	{ { 0x39, 0x06 }, 2, INSN_CMP, 0 },                       /* cmp [esi], eax */
	{ { 0x3B, 0x06 }, 2, INSN_CMP, 0 },                       /* cmp eax, [esi] */
	{ { 0x80, 0x3E, 0x00 }, 3, INSN_CMP, 0 },                 /* cmp byte [esi], 0 */
	{ { 0x83, 0x3E, 0x01 }, 3, INSN_CMP, 0 },                 /* cmp dword [esi], 1 */
	{ { 0x03, 0x06 }, 2, INSN_ADD, 0 },                       /* add eax, [esi] */
	{ { 0x01, 0xC6 }, 2, INSN_ADD, 0 },                       /* add esi, eax */
	{ { 0x33, 0x06 }, 2, INSN_XOR, 0 },                       /* xor eax, [esi] */
	{ { 0x85, 0x06 }, 2, INSN_TEST, 0 },                      /* test [esi], eax */
	{ { 0x87, 0xC6 }, 2, INSN_XCHG, 0 },                      /* xchg esi, eax */
	{ { 0x91 }, 1, INSN_XCHG, 0 },                            /* xchg ecx, eax */
	{ { 0x0F, 0xB1, 0xC1 }, 3, INSN_CMPXCHG, 0 },             /* cmpxchg ecx, eax */
	{ { 0x0F, 0xC1, 0xC1 }, 3, INSN_XADD, 0 },                /* xadd ecx, eax */
	{ { 0x0F, 0xA3, 0x06 }, 3, INSN_BT, 0 },                  /* bt [esi], eax */
	{ { 0xFF, 0x36 }, 2, INSN_OTHER, 0 },                     /* push dword [esi] */
	{ { 0x50 }, 1, INSN_OTHER, 0 },                           /* push eax */
};

/* Write memory, but are not forms a kernel edits page tables with: the
 * dispatcher unprotects the frame and lets the guest run them. */
static const struct pt_form unemulated_writing_forms[] = {
	{ { 0x8F, 0x06 }, 2, INSN_OTHER, 0 },                     /* pop dword [esi] */
	{ { 0xD1, 0x06 }, 2, INSN_OTHER, 0 },                     /* rol dword [esi], 1 */
	{ { 0xD3, 0x1E }, 2, INSN_OTHER, 0 },                     /* rcr dword [esi], cl */
	{ { 0x0F, 0xA4, 0x06, 0x04 }, 4, INSN_OTHER, 0 },         /* shld [esi], eax, 4 */
	{ { 0x0F, 0x90, 0x06 }, 3, INSN_OTHER, 0 },               /* seto [esi] */
	{ { 0x8C, 0x06 }, 2, INSN_MOV_FROM_SREG, 0 },             /* mov [esi], es */
	{ { 0x0F, 0x01, 0x06 }, 3, INSN_SGDT, 0 },                /* sgdt [esi] */
	{ { 0x0F, 0x00, 0x06 }, 3, INSN_SLDT, 0 },                /* sldt [esi] */
	{ { 0x0F, 0xC3, 0x06 }, 3, INSN_OTHER, 0 },               /* movnti [esi], eax */
	{ { 0x63, 0x06 }, 2, INSN_OTHER, 0 },                     /* arpl [esi], ax */
};

/* Runs each form, expecting EMUL_REFUSED with nothing changed. */
static void assert_all_refused(const struct pt_form *forms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pt_setup();
		put32(PT, 0x00105003);
		vc.tf.eax = 0x00107003;
		vc.tf.ecx = 3;
		set_arith(FL_CF | FL_ZF);
		snapshot();
		uint32_t cr2 = vc.cr2;
		assert_int_equal(pt_run(forms[i].code, forms[i].len, forms[i].kind),
				 EMUL_REFUSED);
		assert_unchanged();
		assert_int_equal(vc.cr2, cr2);
		assert_int_equal(fk.injected, 0);
		assert_int_equal(fk.writes, 0);
	}
}

static void test_pt_non_writing_forms_refused(void **state)
{
	(void)state;
	assert_all_refused(non_writing_forms,
			   sizeof non_writing_forms / sizeof non_writing_forms[0]);
}

static void test_pt_unemulated_writing_forms_refused(void **state)
{
	(void)state;
	assert_all_refused(unemulated_writing_forms,
			   sizeof unemulated_writing_forms / sizeof unemulated_writing_forms[0]);
}

/* Every form memop.c emulates, its memory operand at PT ([edi] or
 * ES:EDI; MOVS reads PT_SRC), with and without LOCK where the CPU
 * accepts it. */
static const struct pt_form pt_forms[] = {
	{ { 0x89, 0x0F }, 2, INSN_MOV, 4 },                       /* mov [edi], ecx */
	{ { 0x88, 0x27 }, 2, INSN_MOV, 1 },                       /* mov [edi], ah */
	{ { 0x66, 0x89, 0x0F }, 3, INSN_MOV, 2 },                 /* mov [edi], cx */
	{ { 0xC6, 0x07, 0x5A }, 3, INSN_MOV, 1 },                 /* mov byte [edi], 0x5A */
	{ { 0xC7, 0x07, 0x07, 0x30, 0x20, 0x00 }, 6, INSN_MOV, 4 }, /* mov dword [edi], imm */
	{ { 0xA3, 0x00, 0x30, 0x00, 0x00 }, 5, INSN_MOV, 4 },     /* mov [0x3000], eax */
	{ { 0xA2, 0x00, 0x30, 0x00, 0x00 }, 5, INSN_MOV, 1 },     /* mov [0x3000], al */
	{ { 0x87, 0x0F }, 2, INSN_XCHG, 4 },                      /* xchg [edi], ecx */
	{ { 0xF0, 0x86, 0x27 }, 3, INSN_XCHG, 1 },                /* lock xchg [edi], ah */
	{ { 0x0F, 0xB1, 0x0F }, 3, INSN_CMPXCHG, 4 },             /* cmpxchg [edi], ecx */
	{ { 0xF0, 0x66, 0x0F, 0xB1, 0x0F }, 5, INSN_CMPXCHG, 2 }, /* lock cmpxchg [edi], cx */
	{ { 0x0F, 0xB0, 0x27 }, 3, INSN_CMPXCHG, 1 },             /* cmpxchg [edi], ah */
	{ { 0x0F, 0xC7, 0x0F }, 3, INSN_CMPXCHG8B, 8 },           /* cmpxchg8b [edi] */
	{ { 0xF0, 0x0F, 0xC7, 0x0F }, 4, INSN_CMPXCHG8B, 8 },     /* lock cmpxchg8b [edi] */
	{ { 0x0F, 0xC1, 0x0F }, 3, INSN_XADD, 4 },                /* xadd [edi], ecx */
	{ { 0xF0, 0x0F, 0xC0, 0x27 }, 4, INSN_XADD, 1 },          /* lock xadd [edi], ah */
	{ { 0x00, 0x27 }, 2, INSN_ADD, 1 },                       /* add [edi], ah */
	{ { 0x01, 0x0F }, 2, INSN_ADD, 4 },                       /* add [edi], ecx */
	{ { 0x66, 0x09, 0x0F }, 3, INSN_OR, 2 },                  /* or [edi], cx */
	{ { 0x11, 0x0F }, 2, INSN_ADC, 4 },                       /* adc [edi], ecx */
	{ { 0x18, 0x27 }, 2, INSN_SBB, 1 },                       /* sbb [edi], ah */
	{ { 0x21, 0x0F }, 2, INSN_AND, 4 },                       /* and [edi], ecx */
	{ { 0x29, 0x0F }, 2, INSN_SUB, 4 },                       /* sub [edi], ecx */
	{ { 0x31, 0x0F }, 2, INSN_XOR, 4 },                       /* xor [edi], ecx */
	{ { 0xF0, 0x01, 0x0F }, 3, INSN_ADD, 4 },                 /* lock add [edi], ecx */
	{ { 0x80, 0x07, 0x01 }, 3, INSN_ADD, 1 },                 /* add byte [edi], 1 */
	{ { 0x81, 0x0F, 0x00, 0x01, 0x00, 0x00 }, 6, INSN_OR, 4 }, /* or dword [edi], 0x100 */
	{ { 0x83, 0x17, 0x01 }, 3, INSN_ADC, 4 },                 /* adc dword [edi], 1 */
	{ { 0x82, 0x1F, 0x01 }, 3, INSN_SBB, 1 },                 /* sbb byte [edi], 1 */
	{ { 0xF0, 0x80, 0x27, 0x0F }, 4, INSN_AND, 1 },           /* lock and byte [edi], 0xF */
	{ { 0x66, 0x81, 0x2F, 0x01, 0x00 }, 5, INSN_SUB, 2 },     /* sub word [edi], 1 */
	{ { 0xF0, 0x83, 0x37, 0xFF }, 4, INSN_XOR, 4 },           /* lock xor dword [edi], -1 */
	{ { 0x0F, 0xAB, 0x0F }, 3, INSN_BTS, 4 },                 /* bts [edi], ecx */
	{ { 0xF0, 0x0F, 0xBA, 0x2F, 0x01 }, 5, INSN_BTS, 4 },     /* lock bts dword [edi], 1 */
	{ { 0x0F, 0xB3, 0x0F }, 3, INSN_BTR, 4 },                 /* btr [edi], ecx */
	{ { 0x0F, 0xBB, 0x0F }, 3, INSN_BTC, 4 },                 /* btc [edi], ecx */
	{ { 0xFF, 0x07 }, 2, INSN_INC, 4 },                       /* inc dword [edi] */
	{ { 0xF0, 0x66, 0xFF, 0x07 }, 4, INSN_INC, 2 },           /* lock inc word [edi] */
	{ { 0xFE, 0x0F }, 2, INSN_DEC, 1 },                       /* dec byte [edi] */
	{ { 0xF7, 0x17 }, 2, INSN_NOT, 4 },                       /* not dword [edi] */
	{ { 0xF0, 0xF6, 0x1F }, 3, INSN_NEG, 1 },                 /* lock neg byte [edi] */
	{ { 0xD1, 0x27 }, 2, INSN_SHL, 4 },                       /* shl dword [edi], 1 */
	{ { 0xD0, 0x37 }, 2, INSN_SHL, 1 },                       /* sal byte [edi], 1 */
	{ { 0xC1, 0x2F, 0x03 }, 3, INSN_SHR, 4 },                 /* shr dword [edi], 3 */
	{ { 0x66, 0xD3, 0x3F }, 3, INSN_SAR, 2 },                 /* sar word [edi], cl (1) */
	{ { 0xAA }, 1, INSN_STOS, 1 },                            /* stosb */
	{ { 0xAB }, 1, INSN_STOS, 4 },                            /* stosd */
	{ { 0x66, 0xAB }, 2, INSN_STOS, 2 },                      /* stosw */
	{ { 0xF3, 0xAB }, 2, INSN_STOS, 4 },                      /* rep stosd (ECX 1) */
	{ { 0xA4 }, 1, INSN_MOVS, 1 },                            /* movsb */
	{ { 0xA5 }, 1, INSN_MOVS, 4 },                            /* movsd */
	{ { 0xF3, 0x66, 0xA5 }, 3, INSN_MOVS, 2 },                /* rep movsw (ECX 1) */
};

#define N_PT_FORMS (sizeof pt_forms / sizeof pt_forms[0])

/* Fresh state for each of pt_forms: setup() again; EAX and EDX:EAX equal
 * the operand, so CMPXCHG and CMPXCHG8B store. */
static void pt_form_setup(void)
{
	setup(NULL);
	memset(mem + PT, GUARD, 32);
	put32(PT, 0x00105003);
	put32(PT + 4, 0x00000000);
	put32(PT_SRC, 0x00207063);
	vc.tf.edi = PT;
	vc.tf.esi = PT_SRC;
	vc.tf.eax = 0x00105003;         /* = [PT]: CMPXCHG(8B) stores */
	vc.tf.ecx = 1;
	vc.tf.edx = 0;
	vc.tf.ebx = 0x00207063;
	set_arith(FL_CF | FL_SF);
}

/* The run() checks for every form: EMUL_NEXT, EIP untouched, no fault,
 * one write of the operand's width at PT, nothing past it. */
static void test_pt_every_form_writes_once(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PT_FORMS; i++) {
		const struct pt_form *f = &pt_forms[i];
		pt_form_setup();
		snapshot();
		assert_int_equal(pt_run(f->code, f->len, f->kind), EMUL_NEXT);
		assert_int_equal(fk.injected, 0);
		assert_int_equal(fk.writes, 1);
		assert_int_equal(fk.write_va, PT);
		assert_int_equal(fk.write_len, f->width);
		assert_memory_equal(mem + PT + f->width, mem_before + PT + f->width,
				    32 - f->width);
		assert_false(fk.gva_acc_or & GVA_USER);
	}
}

/* The operand's page is not present: #PF for it, CR2 = PT, and nothing
 * changed (registers, flags, memory).  A plain write reports a write. */
static void test_pt_every_form_not_present_fault(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PT_FORMS; i++) {
		const struct pt_form *f = &pt_forms[i];
		pt_form_setup();
		fk.fault_page[PT / PAGE] = true;
		snapshot();
		assert_int_equal(pt_run(f->code, f->len, f->kind), EMUL_FAULTED);
		assert_int_equal(fk.pf_count, 1);
		assert_int_equal(fk.vector, T_PF);
		assert_int_equal(fk.pf_va, PT);
		assert_int_equal(vc.cr2, PT);
		if (f->kind == INSN_MOV || f->kind == INSN_STOS || f->kind == INSN_MOVS)
			assert_int_equal(fk.pf_err, PFE_W);
		else    /* see test_pt_rmw_not_present_reports_a_read */
			assert_int_equal(fk.pf_err & ~PFE_W, 0);
		assert_unchanged();
	}
}

/* The operand's page is present but read-only: the read-modify-write
 * forms read it, then the write faults; still nothing may change. */
static void test_pt_every_form_write_protect_fault(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PT_FORMS; i++) {
		const struct pt_form *f = &pt_forms[i];
		pt_form_setup();
		fk.ro_page[PT / PAGE] = true;
		snapshot();
		assert_int_equal(pt_run(f->code, f->len, f->kind), EMUL_FAULTED);
		assert_injected(T_PF, PFE_P | PFE_W);
		assert_int_equal(fk.pf_va, PT);
		assert_unchanged();
	}
}

/* ---- page-table writes: what the CPU does and memop.c does not (yet) -- */

/* A faulting CMPXCHG changes nothing, flags included (the guest restarts
 * it after its #PF handler).  memop.c's pt_cmpxchg() sets the flags of
 * the compare before its write, and does not put them back when the write
 * faults: here the flags come back as CF PF AF SF from 1 - 2. */
static void bug_pt_cmpxchg_fault_keeps_flags(void **state)
{
	static const uint8_t cmpxchg_m_ecx[] = { 0x0F, 0xB1, 0x0E };
	(void)state;
	pt_setup();
	put32(PT, 2);
	vc.tf.eax = 1;
	vc.tf.ecx = 0xDEAD;
	fk.ro_page[PT / PAGE] = true;
	snapshot();
	assert_int_equal(PT_RUN(cmpxchg_m_ecx, INSN_CMPXCHG), EMUL_FAULTED);
	assert_injected(T_PF, PFE_P | PFE_W);
	assert_unchanged();
}

/* A read-modify-write instruction (ADD, XCHG, CMPXCHG, XADD ... to
 * memory) whose operand runs into a not-present page: Bochs (and, by its
 * model, real CPUs) check the operand for writing first and report W/R = 1;
 * QEMU's TCG loads first and reports W/R = 0.  memop.c reads first, as
 * QEMU does, so the guest sees what it sees natively on the platform its
 * transcripts are compared with.  Only a write straddling into a missing
 * page can reach this (the first page was present: it write-faulted). */
/* BTS/BTR/BTC on a page-table entry: the bit set, cleared, flipped, CF
 * the old bit; the bit-string form with a register offset of 33 reaches
 * the next dword (bit 1 there). */
static void test_pt_bit_ops(void **state)
{
	static const uint8_t bts_imm[] = { 0x0F, 0xBA, 0x2F, 0x01 };  /* bts dword [edi], 1 */
	static const uint8_t btr_reg[] = { 0x0F, 0xB3, 0x0F };        /* btr [edi], ecx */
	static const uint8_t btc_reg[] = { 0x0F, 0xBB, 0x0F };        /* btc [edi], ecx */
	uint32_t w[2];
	(void)state;
	pt_setup();
	w[0] = 0x1001;
	w[1] = 0;
	memcpy(mem + PT, w, sizeof w);
	assert_int_equal(PT_RUN(bts_imm, INSN_BTS), EMUL_NEXT);
	memcpy(w, mem + PT, sizeof w);
	assert_int_equal(w[0], 0x1003);
	assert_int_equal(vc.tf.eflags & FL_CF, 0);
	vc.tf.ecx = 12;
	assert_int_equal(PT_RUN(btr_reg, INSN_BTR), EMUL_NEXT);
	memcpy(w, mem + PT, sizeof w);
	assert_int_equal(w[0], 0x0003);
	assert_int_equal(vc.tf.eflags & FL_CF, FL_CF);
	vc.tf.ecx = 33;                         /* bit 1 of the next dword */
	assert_int_equal(PT_RUN(btc_reg, INSN_BTC), EMUL_NEXT);
	memcpy(w, mem + PT, sizeof w);
	assert_int_equal(w[1], 0x2);
	assert_int_equal(w[0], 0x0003);
	assert_int_equal(vc.tf.eflags & FL_CF, 0);
}

static void test_pt_rmw_not_present_reports_a_read(void **state)
{
	static const uint8_t add_m_eax[] = { 0x01, 0x06 };
	(void)state;
	pt_setup();
	vc.tf.esi = PT - 2;             /* straddles into the missing page */
	vc.tf.eax = 1;
	fk.fault_page[PT / PAGE] = true;
	assert_int_equal(PT_RUN(add_m_eax, INSN_ADD), EMUL_FAULTED);
	assert_injected(T_PF, 0);
}

/* ---- known bugs: what the CPU does and emul.c does not (yet) ------------ */

/* SS's RPL must equal CPL (1): a ring-3 stack selector is #GP(selector),
 * not loaded. */
static void bug_mov_ss_rpl3_gp(void **state)
{
	static const uint8_t mov_ss_ax[] = { 0x8E, 0xD0 };
	(void)state;
	vc.tf.eax = UDATA;
	assert_int_equal(RUN(mov_ss_ax, INSN_MOV_TO_SREG), EMUL_FAULTED);
	assert_injected(T_GP, UDATA & ~3u);
	assert_int_equal(vc.tf.ss, KDATA);
}

/* Returning to ring 3, SS's RPL must be 3: a ring-1 SS is #GP(selector). */
static void bug_iret_to_ring3_with_ring1_ss_gp(void **state)
{
	static const uint8_t iret[] = { 0xCF };
	const uint32_t frame[] = { 0x08048000, UCODE, FL_RESERVED1, 0xBFFF0000, KDATA };
	(void)state;
	stack_frame(frame, 5);
	assert_int_equal(RUN(iret, INSN_IRET), EMUL_FAULTED);
	assert_injected(T_GP, KDATA0);
	assert_int_equal(vc.tf.cs, KCODE);
}

/* MOV CR0 with NW = 1 and CD = 0 is #GP(0). */
static void bug_mov_to_cr0_nw_without_cd_gp(void **state)
{
	static const uint8_t mov_cr0_eax[] = { 0x0F, 0x22, 0xC0 };
	(void)state;
	vc.tf.eax = vc.cr0 | CR0_NW;
	assert_int_equal(RUN(mov_cr0_eax, INSN_MOV_TO_CR), EMUL_FAULTED);
	assert_injected(T_GP, 0);
	assert_false(vc.cr0 & CR0_NW);
}

/* INS whose destination faults must not consume the port's data: the
 * restarted instruction reads the port again (QEMU and Bochs probe the
 * destination before the I/O read for this reason). */
static void bug_insb_fault_before_port_read(void **state)
{
	static const uint8_t insb[] = { 0x6C };
	(void)state;
	fk.fault_page[3] = true;
	vc.tf.edi = 0x3000;
	assert_int_equal(RUN(insb, INSN_INS), EMUL_FAULTED);
	assert_int_equal(fk.in_count, 0);
}

/* 66 17 pops a word: ESP += 2. */
static void bug_pop_ss_opsize16(void **state)
{
	static const uint8_t o16_pop_ss[] = { 0x66, 0x17 };
	(void)state;
	put32(START_ESP, KDATA0);
	assert_int_equal(RUN(o16_pop_ss, INSN_POP_SREG), EMUL_NEXT);
	assert_int_equal(vc.tf.ss, KDATA);
	assert_int_equal(vc.tf.esp, START_ESP + 2);
}

/* vdesc_lgdt's -1 (fault injected) must not become EMUL_NEXT, or the
 * dispatcher advances the fault handler's EIP.  (vdesc_lgdt never returns
 * -1 today: latent.) */
static void bug_lgdt_failure_reported(void **state)
{
	static const uint8_t lgdt_eax[] = { 0x0F, 0x01, 0x10 };
	(void)state;
	fk.vdesc_ret = -1;
	vc.tf.eax = 0x2000;
	memcpy(mem + 0x2000, dtr_operand, 6);
	assert_int_equal(RUN(lgdt_eax, INSN_LGDT), EMUL_FAULTED);
}

#define T(f) cmocka_unit_test_setup(f, setup)

/* ---- MMIO (mmio.c's backend is memop.c's emul_memop) ------------------------ */

/* A fake device: 16 dword registers; reads and writes are logged. */
static struct {
	uint32_t reg[16];
	unsigned reads, writes;
	uint32_t last_addr;
	unsigned last_n;
} dev;

static enum emul_result dev_read(struct vcpu *v, void *ctx, uint32_t addr, void *buf, unsigned n)
{
	(void)v, (void)ctx;
	dev.reads++;
	dev.last_addr = addr;
	dev.last_n = n;
	memcpy(buf, (uint8_t *)dev.reg + (addr & 0x3F), n);
	return EMUL_NEXT;
}

static enum emul_result dev_write(struct vcpu *v, void *ctx, uint32_t addr, const void *buf,
				  unsigned n)
{
	(void)v, (void)ctx;
	dev.writes++;
	dev.last_addr = addr;
	dev.last_n = n;
	memcpy((uint8_t *)dev.reg + (addr & 0x3F), buf, n);
	return EMUL_NEXT;
}

static const struct memop_ops dev_ops = { dev_read, dev_write, 0 };

static enum emul_result mmio_run(const uint8_t *code, size_t n, enum insn_kind kind)
{
	struct insn in;
	assert_int_equal(decode_buf(code, n, &in), DECODE_OK);
	assert_int_equal(in.kind, kind);
	return emul_memop(&vc, &in, &dev_ops);
}

#define MMIO_RUN(code, kind) mmio_run(code, sizeof code, kind)
#define MMIO_RUN_N(code, n, kind) mmio_run(code, n, kind)

/* xv6's lapicw() and its read-back: MOV store, MOV load (EDX = 0x20). */
static void test_mmio_mov_store_and_load(void **state)
{
	static const uint8_t store[] = { 0x89, 0x0A }, load[] = { 0x8B, 0x02 };  /* [edx] */
	static const uint8_t store_imm[] = { 0xC7, 0x42, 0x10, 0x78, 0x56, 0x34, 0x12 };
	static const uint8_t load_moffs[] = { 0xA1, 0x10, 0, 0, 0 };
	(void)state;
	memset(&dev, 0, sizeof dev);
	vc.tf.edx = 0x20;
	vc.tf.ecx = 0xCAFE0001;
	assert_int_equal(MMIO_RUN(store, INSN_MOV), EMUL_NEXT);
	assert_int_equal(dev.reg[8], 0xCAFE0001);
	assert_int_equal(dev.last_addr, 0x20);
	assert_int_equal(dev.last_n, 4);
	assert_int_equal(MMIO_RUN(load, INSN_MOV), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0xCAFE0001);
	assert_int_equal(MMIO_RUN(store_imm, INSN_MOV), EMUL_NEXT);     /* [edx+0x10] */
	assert_int_equal(dev.reg[12], 0x12345678);
	dev.reg[4] = 0xABCD;
	assert_int_equal(MMIO_RUN(load_moffs, INSN_MOV), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0xABCD);
	assert_int_equal(dev.reads, 2);
	assert_int_equal(dev.writes, 2);
}

static void test_mmio_extend_test_cmp(void **state)
{
	static const uint8_t movzx[] = { 0x0F, 0xB6, 0x02 }, movsx_w[] = { 0x0F, 0xBF, 0x02 };
	static const uint8_t test_imm[] = { 0xF7, 0x02, 0x00, 0x10, 0x00, 0x00 };  /* test [edx],0x1000 */
	static const uint8_t cmp_rm[] = { 0x3B, 0x0A };                          /* cmp ecx,[edx] */
	(void)state;
	memset(&dev, 0, sizeof dev);
	vc.tf.edx = 0x4;
	dev.reg[1] = 0x00008081;
	assert_int_equal(MMIO_RUN(movzx, INSN_MOVZX), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0x81);
	assert_int_equal(dev.last_n, 1);
	assert_int_equal(MMIO_RUN(movsx_w, INSN_MOVSX), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0xFFFF8081);
	assert_int_equal(MMIO_RUN(test_imm, INSN_TEST), EMUL_NEXT);     /* bit 12 clear */
	assert_true(vc.tf.eflags & FL_ZF);
	dev.reg[1] = 0x1000;
	assert_int_equal(MMIO_RUN(test_imm, INSN_TEST), EMUL_NEXT);
	assert_false(vc.tf.eflags & FL_ZF);
	vc.tf.ecx = 0x0FFF;                                             /* ecx < [edx]: CF */
	assert_int_equal(MMIO_RUN(cmp_rm, INSN_CMP), EMUL_NEXT);
	assert_true(vc.tf.eflags & FL_CF);
	assert_int_equal(dev.writes, 0);                                /* reads only */
}

/* A read-modify-write reads the device, then writes it once. */
static void test_mmio_rmw_and_refusals(void **state)
{
	static const uint8_t or_imm[] = { 0x83, 0x0A, 0x01 };          /* or dword [edx],1 */
	static const uint8_t add_load[] = { 0x03, 0x02 };              /* add eax,[edx] */
	static const uint8_t stosd[] = { 0xAB }, push_mem[] = { 0xFF, 0x32 };
	static const uint8_t lock_load[] = { 0xF0, 0x8B, 0x02 };
	(void)state;
	memset(&dev, 0, sizeof dev);
	vc.tf.edx = 0x8;
	dev.reg[2] = 0x100;
	assert_int_equal(MMIO_RUN(or_imm, INSN_OR), EMUL_NEXT);
	assert_int_equal(dev.reg[2], 0x101);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(dev.writes, 1);
	vc.tf.eax = 1;
	assert_int_equal(MMIO_RUN(add_load, INSN_ADD), EMUL_NEXT);
	assert_int_equal(vc.tf.eax, 0x102);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(MMIO_RUN(stosd, INSN_STOS), EMUL_REFUSED);
	assert_int_equal(MMIO_RUN(push_mem, INSN_OTHER), EMUL_REFUSED);
	unsigned injected = fk.injected;
	assert_int_equal(mmio_run(lock_load, sizeof lock_load, INSN_MOV), EMUL_FAULTED);
	assert_int_equal(fk.injected, injected + 1);
	assert_injected(T_UD, 0);
	assert_int_equal(dev.writes, 1);
}

/* Every writing form memop.c emulates (pt_forms, the string forms aside,
 * which MMIO refuses) against the device instead of memory: the device
 * sees what a bus would (a store: one write and no read, since a read
 * can have a side effect on a device register; a read-modify-write: one
 * read, then one write of the same width at the same address), and the
 * bytes and registers come out as on the memory path (whose results the
 * test_pt_* tests check bit by bit). */
static void test_mmio_every_writing_form(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PT_FORMS; i++) {
		const struct pt_form *f = &pt_forms[i];
		if (f->kind == INSN_STOS || f->kind == INSN_MOVS)
			continue;
		pt_form_setup();
		assert_int_equal(pt_run(f->code, f->len, f->kind), EMUL_NEXT);
		struct trapframe tf_mem = vc.tf;
		uint8_t mem_after[16];
		memcpy(mem_after, mem + PT, sizeof mem_after);

		pt_form_setup();
		memset(&dev, 0, sizeof dev);
		memcpy(dev.reg, mem + PT, sizeof mem_after);   /* the device at offset 0 = PT */
		assert_int_equal(MMIO_RUN_N(f->code, f->len, f->kind), EMUL_NEXT);
		assert_int_equal(dev.reads, f->kind == INSN_MOV ? 0 : 1);
		assert_int_equal(dev.writes, 1);
		assert_int_equal(dev.last_addr & 0x3F, 0);
		assert_int_equal(dev.last_n, f->width);
		assert_memory_equal(dev.reg, mem_after, sizeof mem_after);
		assert_memory_equal(&vc.tf, &tf_mem, sizeof vc.tf);
	}
}

/* Every read form: one read of the operand's width, no write; the loads'
 * results.  EDX = 8: the device's third dword, 0x80C1F0A5. */
struct mmio_read_form {
	uint8_t code[8];
	uint8_t len;
	enum insn_kind kind;
	uint8_t width;          /* bytes read */
	uint8_t reg;            /* the register a load fills (GPR_*), or NO_REG */
	uint32_t want;          /* its value after */
};

#define NO_REG 0xFF
#define DEV_WORD 0x80C1F0A5u

static const struct mmio_read_form mmio_reads[] = {
	{ { 0x8A, 0x02 }, 2, INSN_MOV, 1, GPR_EAX, 0x111111A5 },         /* mov al,[edx] */
	{ { 0x8A, 0x3A }, 2, INSN_MOV, 1, GPR_EBX, 0x2222A522 },         /* mov bh,[edx] */
	{ { 0x66, 0x8B, 0x02 }, 3, INSN_MOV, 2, GPR_EAX, 0x1111F0A5 },   /* mov ax,[edx] */
	{ { 0x8B, 0x0A }, 2, INSN_MOV, 4, GPR_ECX, DEV_WORD },           /* mov ecx,[edx] */
	{ { 0x8B, 0x42, 0x00 }, 3, INSN_MOV, 4, GPR_EAX, DEV_WORD },     /* mov eax,[edx+0] */
	{ { 0xA0, 0x08, 0, 0, 0 }, 5, INSN_MOV, 1, GPR_EAX, 0x111111A5 },        /* mov al,[8] */
	{ { 0x66, 0xA1, 0x08, 0, 0, 0 }, 6, INSN_MOV, 2, GPR_EAX, 0x1111F0A5 },  /* mov ax,[8] */
	{ { 0xA1, 0x08, 0, 0, 0 }, 5, INSN_MOV, 4, GPR_EAX, DEV_WORD },          /* mov eax,[8] */
	{ { 0x0F, 0xB6, 0x02 }, 3, INSN_MOVZX, 1, GPR_EAX, 0xA5 },       /* movzx eax,byte */
	{ { 0x0F, 0xB7, 0x02 }, 3, INSN_MOVZX, 2, GPR_EAX, 0xF0A5 },     /* movzx eax,word */
	{ { 0x0F, 0xBE, 0x02 }, 3, INSN_MOVSX, 1, GPR_EAX, 0xFFFFFFA5 }, /* movsx eax,byte */
	{ { 0x0F, 0xBF, 0x02 }, 3, INSN_MOVSX, 2, GPR_EAX, 0xFFFFF0A5 }, /* movsx eax,word */
	{ { 0x66, 0x0F, 0xB6, 0x02 }, 4, INSN_MOVZX, 1, GPR_EAX, 0x111100A5 }, /* movzx ax,byte */
	{ { 0x84, 0x02 }, 2, INSN_TEST, 1, NO_REG, 0 },                  /* test [edx],al */
	{ { 0x85, 0x02 }, 2, INSN_TEST, 4, NO_REG, 0 },                  /* test [edx],eax */
	{ { 0xF6, 0x02, 0x01 }, 3, INSN_TEST, 1, NO_REG, 0 },            /* test byte [edx],1 */
	{ { 0x66, 0xF7, 0x02, 0x01, 0x00 }, 5, INSN_TEST, 2, NO_REG, 0 }, /* test word [edx],1 */
	{ { 0x38, 0x02 }, 2, INSN_CMP, 1, NO_REG, 0 },                   /* cmp [edx],al */
	{ { 0x39, 0x02 }, 2, INSN_CMP, 4, NO_REG, 0 },                   /* cmp [edx],eax */
	{ { 0x3A, 0x02 }, 2, INSN_CMP, 1, NO_REG, 0 },                   /* cmp al,[edx] */
	{ { 0x3B, 0x02 }, 2, INSN_CMP, 4, NO_REG, 0 },                   /* cmp eax,[edx] */
	{ { 0x80, 0x3A, 0x05 }, 3, INSN_CMP, 1, NO_REG, 0 },             /* cmp byte [edx],5 */
	{ { 0x81, 0x3A, 0, 0, 0, 1 }, 6, INSN_CMP, 4, NO_REG, 0 },       /* cmp dword [edx],imm */
	{ { 0x83, 0x3A, 0xFF }, 3, INSN_CMP, 4, NO_REG, 0 },             /* cmp dword [edx],-1 */
	{ { 0x0F, 0xA3, 0x0A }, 3, INSN_BT, 4, NO_REG, 0 },              /* bt [edx],ecx (bit 1) */
	{ { 0x0F, 0xBA, 0x22, 0x03 }, 4, INSN_BT, 4, NO_REG, 0 },        /* bt dword [edx],3 */
	{ { 0x03, 0x0A }, 2, INSN_ADD, 4, GPR_ECX, 0x80C1F0A6 },         /* add ecx,[edx] */
	{ { 0x0A, 0x02 }, 2, INSN_OR, 1, GPR_EAX, 0x111111B5 },          /* or al,[edx] */
	{ { 0x13, 0x0A }, 2, INSN_ADC, 4, GPR_ECX, 0x80C1F0A6 },         /* adc ecx,[edx] (CF 0) */
	{ { 0x1B, 0x0A }, 2, INSN_SBB, 4, GPR_ECX, 0x7F3E0F5C },         /* sbb ecx,[edx] */
	{ { 0x66, 0x23, 0x02 }, 3, INSN_AND, 2, GPR_EAX, 0x11111001 },   /* and ax,[edx] */
	{ { 0x2B, 0x0A }, 2, INSN_SUB, 4, GPR_ECX, 0x7F3E0F5C },         /* sub ecx,[edx] */
	{ { 0x32, 0x02 }, 2, INSN_XOR, 1, GPR_EAX, 0x111111B4 },         /* xor al,[edx] */
};

static void test_mmio_every_read_form(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof mmio_reads / sizeof mmio_reads[0]; i++) {
		const struct mmio_read_form *f = &mmio_reads[i];
		memset(&dev, 0, sizeof dev);
		dev.reg[2] = DEV_WORD;
		vc.tf.eax = 0x11111111;
		vc.tf.ebx = 0x22222222;
		vc.tf.ecx = 1;
		vc.tf.edx = 8;
		vc.tf.eflags &= ~FL_ARITH;
		struct trapframe before = vc.tf;
		uint32_t saved = f->reg != NO_REG ? *vcpu_gpr(&vc, f->reg) : 0;
		assert_int_equal(MMIO_RUN_N(f->code, f->len, f->kind), EMUL_NEXT);
		assert_int_equal(dev.reads, 1);
		assert_int_equal(dev.writes, 0);
		assert_int_equal(dev.last_addr & 0x3F, 8);
		assert_int_equal(dev.last_n, f->width);
		assert_int_equal(dev.reg[2], DEV_WORD);
		if (f->reg != NO_REG) {
			assert_int_equal(*vcpu_gpr(&vc, f->reg), f->want);
			*vcpu_gpr(&vc, f->reg) = saved;
		}
		vc.tf.eflags = (vc.tf.eflags & FL_ARITH) | (before.eflags & ~FL_ARITH);
		before.eflags = vc.tf.eflags;   /* flags: test_mmio_extend_test_cmp, alu() */
		assert_memory_equal(&vc.tf, &before, sizeof vc.tf);     /* nothing else moved */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cli_clears_virtual_if),
		T(test_sti_sets_virtual_if_and_shadow),
		T(test_sti_with_if_set_no_shadow),
		T(test_hlt_idles_and_advances_eip),
		T(test_hlt_with_if_clear_ends_guest),
		T(test_in_imm8_byte),
		T(test_in_imm8_word),
		T(test_in_imm8_dword),
		T(test_in_dx_widths),
		T(test_out_imm8_byte),
		T(test_out_imm8_word_dword),
		T(test_out_dx_widths),
		T(test_outsb_single),
		T(test_rep_outsb),
		T(test_rep_outsb_df_moves_down),
		T(test_rep_outsw),
		T(test_rep_outs_ecx_zero_does_nothing),
		T(test_rep_insb),
		T(test_rep_insd_df_moves_down),
		T(test_rep_outsb_fault_midway),
		T(test_rep_insb_fault_midway),
		T(test_outs_honours_segment_override),
		T(test_ins_ignores_segment_override),
		T(test_rep_outsb_addr16_wraps),
		T(test_outs_outside_ram_ends_guest),
		T(test_lgdt),
		T(test_null_segment_operand),
		T(test_lgdt_opsize16_masks_base),
		T(test_lidt),
		T(test_lidt_opsize16_masks_base),
		T(test_lidt_operand_fault),
		T(test_lldt_from_register),
		T(test_lldt_from_memory),
		T(test_ltr_from_register),
		T(test_ltr_fault_is_reported),
		T(test_mov_to_cr3_flushes),
		T(test_mov_from_cr3),
		T(test_mov_to_cr0_pg_without_pe_gp),
		T(test_mov_to_cr0_paging_on),
		T(test_mov_to_cr0_wp_flushes_ts_does_not),
		T(test_mov_from_cr0),
		T(test_mov_cr2_both_ways),
		T(test_mov_to_cr4_in_mask),
		T(test_mov_to_cr4_outside_mask_gp),
		T(test_mov_to_cr4_pae_ends_guest),
		T(test_mov_from_cr4),
		T(test_mov_cr1_cr5_ud),
		T(test_mov_dr0_and_dr7),
		T(test_dr4_dr5_alias_without_de),
		T(test_dr4_dr5_ud_with_de),
		T(test_dr6_readback_as_the_cpu),
		T(test_dr7_gd_raises_db),
		T(test_dr7_gd_kept_without_host_gd),
		T(test_clts),
		T(test_lmsw_cannot_clear_pe),
		T(test_lmsw_sets_pe),
		T(test_invlpg_passes_address),
		T(test_wbinvd_invd_do_nothing),
		T(test_msr_sysenter_roundtrip),
		T(test_msr_sysenter_address_width),
		T(test_msr_unknown_gp),
		T(test_rdmsr_tsc_counts_up),
		T(test_cpl2_privileged_gp),
		T(test_user_cli_with_iopl3),
		T(test_pvi_user_cli_sti),
		T(test_user_io_bitmap),
		T(test_rep_outsb_bounded_per_trap),
		T(test_rep_outsb_single_steps),
		T(test_hlt_nothing_can_interrupt_ends_guest),
		T(test_msr_platform_values),
		T(test_msr_misc_enable_from_host),
		T(test_msr_mtrr),
		T(test_msr_tsc_write),
		T(test_rdtsc_tsd),
		T(test_rdpmc_kernel_asks_the_cpu),
		T(test_rdpmc_user_needs_pce),
		T(test_cr0_guest_bits_synced),
		T(test_lss),
		T(test_lss_bad_selector_changes_nothing),
		T(test_sysenter_sysexit),
		T(test_dr6_dr7_fixed_bits),
		T(test_mmio_mov_store_and_load),
		T(test_mmio_extend_test_cmp),
		T(test_mmio_rmw_and_refusals),
		T(test_mmio_every_writing_form),
		T(test_mmio_every_read_form),
		T(test_int_n),
		T(test_int3),
		T(test_into_with_of),
		T(test_into_without_of_does_nothing),
		T(test_iret_same_ring),
		T(test_iret_clears_virtual_if),
		T(test_iret_to_ring3),
		T(test_iret_virtual_iopl),
		T(test_iret_bad_cs_gp),
		T(test_iret_to_ring3_bad_ss_gp),
		T(test_iret_stack_fault),
		T(test_iret_absent_segments),
		T(test_iret_16bit),
		T(test_iret_nested_task_ends_guest),
		T(test_iret_to_vm86_ends_guest),
		T(test_retf_same_ring),
		T(test_retf_imm16),
		T(test_retf_imm16_to_ring3),
		T(test_callgate_user_to_kernel_with_params),
		T(test_callgate_kernel_same_ring),
		T(test_callgate_16bit),
		T(test_callgate_memory_operand),
		T(test_callgate_gate_checks),
		T(test_callgate_target_checks),
		T(test_jmp_callgate),
		T(test_callgate_inner_stack_faults),
		T(test_callgate_offset_beyond_limit),
		T(test_far_call_not_a_gate),
		T(test_conforming_jmp_from_kernel),
		T(test_conforming_call_from_kernel),
		T(test_conforming_checks),
		T(test_conforming_memory_operand),
		T(test_conforming_not_hidden),
		T(test_kernel_code_from_conforming),
		T(test_alias_translated_for_the_kernel),
		T(test_mov_ss_rpl0),
		T(test_mov_ss_from_memory),
		T(test_mov_ss_code_selector_gp),
		T(test_mov_ds_refused),
		T(test_pop_ss),
		T(test_lock_prefix_ud),
		T(test_unknown_refused),
		/* page-table writes (memop.c) */
		T(test_pt_mov_dword),
		T(test_pt_mov_byte_registers),
		T(test_pt_mov_word),
		T(test_pt_mov_imm),
		T(test_pt_mov_moffs),
		T(test_pt_mov_moffs_addr16),
		T(test_pt_mov_segment_and_sib),
		T(test_pt_mov_addr16_modrm),
		T(test_pt_mov_user_mode),
		T(test_pt_mov_straddling_fault),
		T(test_pt_xchg_dword),
		T(test_pt_xchg_byte_high_registers),
		T(test_pt_lock_xchg_word),
		T(test_pt_cmpxchg_equal),
		T(test_pt_cmpxchg_not_equal),
		T(test_pt_lock_cmpxchg_byte),
		T(test_pt_cmpxchg_word),
		T(test_pt_cmpxchg8b_equal),
		T(test_pt_lock_cmpxchg8b_not_equal),
		T(test_pt_xadd_dword),
		T(test_pt_lock_xadd_byte_ah),
		T(test_pt_xadd_word),
		T(test_pt_add_dword_overflow),
		T(test_pt_add_byte_and_word),
		T(test_pt_or),
		T(test_pt_adc),
		T(test_pt_sbb),
		T(test_pt_and),
		T(test_pt_sub),
		T(test_pt_xor),
		T(test_pt_alu_80_82_imm8),
		T(test_pt_alu_81_imm),
		T(test_pt_alu_83_sign_extended),
		T(test_pt_lock_alu),
		T(test_pt_inc_dec_not_neg),
		T(test_pt_shifts),
		T(test_pt_stos_single),
		T(test_pt_rep_stosd),
		T(test_pt_repne_stosb),
		T(test_pt_rep_stosb_df_moves_down),
		T(test_pt_rep_stos_ecx_zero_does_nothing),
		T(test_pt_rep_stosb_addr16_wraps),
		T(test_pt_stos_ignores_segment_override),
		T(test_pt_movs_single),
		T(test_pt_rep_movsb_df_moves_down),
		T(test_pt_movs_honours_segment_override),
		T(test_pt_rep_movsw_addr16),
		T(test_pt_movs_source_fault),
		T(test_pt_lock_mov_stos_movs_ud),
		T(test_pt_non_writing_forms_refused),
		T(test_pt_unemulated_writing_forms_refused),
		T(test_pt_every_form_writes_once),
		T(test_pt_every_form_not_present_fault),
		T(test_pt_every_form_write_protect_fault),
		/* bugs these tests found, fixed in emul.c */
		T(bug_mov_ss_rpl3_gp),
		T(bug_iret_to_ring3_with_ring1_ss_gp),
		T(bug_mov_to_cr0_nw_without_cd_gp),
		T(bug_insb_fault_before_port_read),
		T(bug_pop_ss_opsize16),
		T(bug_lgdt_failure_reported),
		/* bugs these tests found in memop.c, not yet fixed: this one
		 * fails until pt_cmpxchg() restores the flags on a faulting
		 * write; the second skips itself (see its comment) */
		T(bug_pt_cmpxchg_fault_keeps_flags),
		T(test_pt_rmw_not_present_reports_a_read),
		T(test_pt_bit_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
