/*
 * emul.c - emul_<insn>: each privileged instruction's effect on the
 * virtual CPU.
 *
 * Mechanism: in ring 1 with IOPL 0, the CPU refuses (with #GP) CLI, STI,
 * HLT, IN/OUT/INS/OUTS, the loads of GDTR/IDTR/LDTR/TR, MOV to and from
 * control and debug registers, CLTS, LMSW, INVLPG, WBINVD/INVD, RDMSR/
 * WRMSR, RDPMC (without CR4.PCE), loads of SS or CS with a ring-0
 * selector (MOV SS, IRET and far RET to RPL 0), and far CALL or JMP
 * through one of the guest's call gates (null in the real tables;
 * callgate.c).  The dispatcher decodes the
 * instruction and calls the handler for its kind; the handler does to
 * struct vcpu (and the devices, the shadow MMU, the switcher's tables)
 * what the instruction would have done to the real CPU, and returns:
 *
 *   EMUL_NEXT     done; the dispatcher advances EIP (the one place it is)
 *   EMUL_JUMPED   done; the handler set EIP itself (INT n, IRET, RETF)
 *   EMUL_FAULTED  the instruction faults on real hardware too: the handler
 *                 injected that fault (#GP, #UD, #PF with CR2)
 *   EMUL_REFUSED  not one the monitor emulates: the dispatcher injects the
 *                 #GP the CPU raised and counts the opcode
 *
 * Operands are read through the decoder's description (ModRM register or
 * memory operand) and guest memory through gva_read/gva_write, with the
 * access checked as the guest kernel's (supervisor).
 *
 * Privilege is checked here, as the CPU checks it for the guest's CPL
 * (vcpu_cpl: its kernel is CPL 0 though it runs in ring 1): most of these
 * need CPL 0; CLI and STI need CPL <= the virtual IOPL; IN, OUT, INS and
 * OUTS need that or the ports' bits clear in the guest TSS's I/O
 * permission bitmap; IRET, far RET and the loads of SS check their
 * selectors themselves.  An instruction the guest's CPL may not execute
 * gets #GP(0), as on the CPU.
 *
 * Loops are bounded: a REP INS/OUTS moves at most STRING_IO_BURST elements
 * per trap and then resumes the guest at the same instruction (EIP stays,
 * ECX says how many remain), so interrupts are delivered between bursts
 * exactly where the CPU lets them in between iterations.
 */
#include "emul.h"
#include "guest.h"
#include "reflect.h"
#include "vidt.h"
#include "shadow_mmu/shadow.h"
#include "monitor/devices.h"
#include "monitor/debugreg.h"
#include "monitor/hostcpu.h"
#include "monitor/hosthw.h"
#include "monitor/run.h"
#include "monitor/x86.h"
#include "virtdev/vio.h"

#define MSR_TSC             0x010u
#define MSR_APIC_BASE       0x01Bu
#define MSR_MISC_ENABLE     0x1A0u
#define MSR_PAT             0x277u
#define MSR_EFER            0xC0000080u
#define STRING_IO_BURST     256u    /* elements of REP INS/OUTS per trap */
#define TSS_IOMB_OFF        102u    /* the I/O map base word in a TSS32 */
#define MSR_SYSENTER_CS     0x174u
#define MSR_SYSENTER_ESP    0x175u
#define MSR_SYSENTER_EIP    0x176u

uint32_t cr4_guest_mask;

typedef enum emul_result (*emul_fn)(struct vcpu *, const struct insn *);

enum emul_result emul_fault(struct vcpu *v, unsigned vector, uint32_t err)
{
	reflect(v, vector, EV_FAULT, err);
	return EMUL_FAULTED;
}

enum emul_result emul_mem_fault(struct vcpu *v, enum gva_result r, const struct gva_fault *f)
{
	if (r == GVA_BAD_GPA)
		guest_die("an emulated access reached guest-physical 0x%x, which is not RAM",
			  f->bad_gpa);
	reflect_pf(v, f->va, f->err);
	return EMUL_FAULTED;
}

/* The linear address of in's memory operand. */
uint32_t emul_operand_addr(struct vcpu *v, const struct insn *in)
{
	uint32_t regs[GPR_COUNT];
	vcpu_gprs(v, regs);
	return segment_base(v, sreg_value(v, in->seg)) + decode_ea(in, regs);
}

/* Segmentation's check before any data access through DS, ES, FS or GS:
 * the null selector there raises #GP(0) (SDM vol. 3A, "Segment Selectors":
 * a null selector may be loaded but not used), on a CPU that makes the
 * check (host_cpu.null_seg: Bochs; QEMU's TCG does not, and the guest
 * sees the CPU underneath).  CS and SS never hold a null selector. */
bool emul_null_seg(const struct vcpu *v, enum sreg s)
{
	return host_cpu.null_seg && s != SREG_CS && s != SREG_SS &&
	       (sreg_value(v, s) & ~3u) == 0;
}

/* The linear address of in's memory operand in *addr, or #GP(0) injected
 * for a null segment (the check comes before paging's). */
enum emul_result emul_operand(struct vcpu *v, const struct insn *in, uint32_t *addr)
{
	if (emul_null_seg(v, in->seg))
		return emul_fault(v, T_GP, 0);
	*addr = emul_operand_addr(v, in);
	return EMUL_NEXT;
}

/* A 16-bit r/m operand (LLDT, LTR, LMSW, MOV Sreg). */
static enum emul_result read_rm16(struct vcpu *v, const struct insn *in, uint16_t *out)
{
	struct gva_fault f;
	uint32_t addr;
	if (!in->has_mem) {
		*out = (uint16_t)*vcpu_gpr(v, in->rm);
		return EMUL_NEXT;
	}
	if (emul_operand(v, in, &addr) != EMUL_NEXT)
		return EMUL_FAULTED;
	enum gva_result r = gva_read(v, addr, out, 2, 0, &f);
	return r == GVA_OK ? EMUL_NEXT : emul_mem_fault(v, r, &f);
}

/* ---- interrupt flag and halt ---- */

/* CLI and STI change IF at CPL <= IOPL.  Above IOPL they raise #GP(0),
 * except with CR4.PVI (protected-mode virtual interrupts) at CPL 3: there
 * they clear or set EFLAGS.VIF instead, and STI with EFLAGS.VIP set raises
 * #GP(0).  The real CR4.PVI stays 0 (the guest's user CLI traps), and VIF
 * and VIP are plain bits of the guest's frame the CPU never acts on. */
static bool pvi_applies(const struct vcpu *v)
{
	return vcpu_cpl(v) == 3 && v->iopl < 3 && (v->cr4 & CR4_PVI);
}

static enum emul_result emul_cli(struct vcpu *v, const struct insn *in)
{
	(void)in;
	if (vcpu_cpl(v) > v->iopl) {
		if (!pvi_applies(v))
			return emul_fault(v, T_GP, 0);
		v->tf.eflags &= ~FL_VIF;
		return EMUL_NEXT;
	}
	vcpu_set_vif(v, false);
	return EMUL_NEXT;
}

/* STI enables interrupts only after the next instruction: "sti; hlt" and
 * "sti; iret" are atomic.  The dispatcher honours shadow_eip. */
static enum emul_result emul_sti(struct vcpu *v, const struct insn *in)
{
	if (vcpu_cpl(v) > v->iopl) {
		if (!pvi_applies(v) || (v->tf.eflags & FL_VIP))
			return emul_fault(v, T_GP, 0);
		v->tf.eflags |= FL_VIF;
		return EMUL_NEXT;
	}
	if (!v->vif) {
		v->shadow_active = true;
		v->shadow_eip = v->tf.eip + in->len;
	}
	vcpu_set_vif(v, true);
	return EMUL_NEXT;
}

static enum emul_result emul_hlt(struct vcpu *v, const struct insn *in)
{
	(void)in;
	if (!v->vif)
		guest_die("HLT at 0x%x with interrupts disabled: the guest would sleep forever",
			  v->tf.eip);
	if (!devices_can_interrupt())
		guest_die("HLT at 0x%x with interrupts enabled but no interrupt source that can "
			  "fire (%s): the guest would sleep forever", v->tf.eip,
			  devices_masked_reason());
	v->tf.eip += in->len;   /* the interrupt returns after the HLT */
	vcpu_halt(v);
	return EMUL_JUMPED;
}

/* ---- port I/O ---- */

static uint16_t io_port(struct vcpu *v, const struct insn *in)
{
	bool imm = in->opcode == 0xE4 || in->opcode == 0xE5 || in->opcode == 0xE6 ||
		   in->opcode == 0xE7;
	return imm ? (uint16_t)(in->imm & 0xFF) : (uint16_t)v->tf.edx;
}

/* The I/O permission check of the CPU: CPL <= IOPL, or every bit for the
 * ports [port, port+size) clear in the guest TSS's I/O permission bitmap
 * (which ends at the TSS limit: bits beyond it count as set). */
bool io_permitted(struct vcpu *v, uint16_t port, unsigned size)
{
	uint16_t base;
	uint16_t bits;
	struct gva_fault f;

	if (vcpu_cpl(v) <= v->iopl)
		return true;
	if (v->tr == 0 || v->tr_limit < TSS_IOMB_OFF + 1 ||
	    gva_read(v, v->tr_base + TSS_IOMB_OFF, &base, 2, 0, &f) != GVA_OK)
		return false;
	uint32_t byte = base + port / 8u;
	if (byte + 1 > v->tr_limit ||
	    gva_read(v, v->tr_base + byte, &bits, 2, 0, &f) != GVA_OK)
		return false;
	return ((bits >> (port % 8u)) & ((1u << size) - 1)) == 0;
}

static enum emul_result emul_in(struct vcpu *v, const struct insn *in)
{
	uint32_t m = vio_size_mask(in->width);
	if (!io_permitted(v, io_port(v, in), in->width))
		return emul_fault(v, T_GP, 0);
	uint32_t val = devices_in(v, io_port(v, in), in->width);
	v->tf.eax = (v->tf.eax & ~m) | (val & m);
	return EMUL_NEXT;
}

static enum emul_result emul_out(struct vcpu *v, const struct insn *in)
{
	if (!io_permitted(v, io_port(v, in), in->width))
		return emul_fault(v, T_GP, 0);
	devices_out(v, io_port(v, in), in->width, v->tf.eax & vio_size_mask(in->width));
	return EMUL_NEXT;
}

/* INS/OUTS, with REP: one element at a time, registers updated as the CPU
 * does, so a #PF in the middle is restartable.  At most STRING_IO_BURST
 * elements (one if the guest single-steps: the CPU traps after each
 * iteration); if more remain, EIP stays and the guest re-executes it. */
static enum emul_result string_io(struct vcpu *v, const struct insn *in, bool out)
{
	uint32_t size = in->width, amask = in->addrsize == 2 ? 0xFFFFu : 0xFFFFFFFFu;
	int32_t step = (v->tf.eflags & FL_DF) ? -(int32_t)size : (int32_t)size;
	bool rep = in->rep != REP_NONE;
	uint16_t port = (uint16_t)v->tf.edx;
	uint32_t burst = (v->tf.eflags & FL_TF) ? 1 : STRING_IO_BURST;
	struct gva_fault f;

	if (!io_permitted(v, port, size))
		return emul_fault(v, T_GP, 0);
	if ((!rep || (v->tf.ecx & amask) != 0) && emul_null_seg(v, out ? in->seg : SREG_ES))
		return emul_fault(v, T_GP, 0);
	/* bound: STRING_IO_BURST elements per trap, then the guest resumes at the same REP */
	while (!rep || (v->tf.ecx & amask) != 0) {
		if (burst-- == 0)
			return EMUL_JUMPED;     /* more to do: the same EIP again */
		uint32_t *idx = out ? &v->tf.esi : &v->tf.edi;
		uint32_t seg = out ? segment_base(v, sreg_value(v, in->seg))
				   : segment_base(v, (uint16_t)v->tf.es);
		uint32_t addr = seg + (*idx & amask), val = 0;
		enum gva_result r;
		if (out) {
			r = gva_read(v, addr, &val, size, 0, &f);
			if (r == GVA_OK)
				devices_out(v, port, size, val);
		} else {        /* check the destination first: a port read is not
				   repeatable (a UART FIFO loses its byte) */
			uint32_t g;
			r = gva_translate(v, addr, GVA_WRITE, &g, &f);
			if (r == GVA_OK) {
				val = devices_in(v, port, size);
				r = gva_write(v, addr, &val, size, 0, &f);
			}
		}
		if (r != GVA_OK)
			return emul_mem_fault(v, r, &f);
		*idx = (*idx & ~amask) | ((*idx + (uint32_t)step) & amask);
		if (!rep)
			break;
		v->tf.ecx = (v->tf.ecx & ~amask) | ((v->tf.ecx - 1) & amask);
	}
	return EMUL_NEXT;
}

static enum emul_result emul_ins(struct vcpu *v, const struct insn *in)
{
	return string_io(v, in, false);
}

static enum emul_result emul_outs(struct vcpu *v, const struct insn *in)
{
	return string_io(v, in, true);
}

/* ---- descriptor tables and the task register ---- */

static enum emul_result read_dtr(struct vcpu *v, const struct insn *in, struct vdtr *d)
{
	uint8_t b[6];
	struct gva_fault f;
	uint32_t addr;

	if (!in->has_mem)
		return emul_fault(v, T_UD, 0);
	if (emul_operand(v, in, &addr) != EMUL_NEXT)
		return EMUL_FAULTED;
	enum gva_result r = gva_read(v, addr, b, sizeof b, 0, &f);
	if (r != GVA_OK)
		return emul_mem_fault(v, r, &f);
	d->limit = b[0] | (uint32_t)b[1] << 8;
	d->base = b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
	if (in->opsize == 2)
		d->base &= 0x00FFFFFFu;
	return EMUL_NEXT;
}

static enum emul_result emul_lgdt(struct vcpu *v, const struct insn *in)
{
	struct vdtr d;
	enum emul_result r = read_dtr(v, in, &d);
	if (r != EMUL_NEXT)
		return r;
	return vdesc_lgdt(v, d.base, d.limit) < 0 ? EMUL_FAULTED : EMUL_NEXT;
}

static enum emul_result emul_lidt(struct vcpu *v, const struct insn *in)
{
	struct vdtr d;
	enum emul_result r = read_dtr(v, in, &d);
	if (r == EMUL_NEXT) {
		v->idtr = d;
		vidt_lidt(v);
	}
	return r;
}

static enum emul_result emul_lldt(struct vcpu *v, const struct insn *in)
{
	uint16_t sel;
	enum emul_result r = read_rm16(v, in, &sel);
	if (r != EMUL_NEXT)
		return r;
	return vdesc_lldt(v, sel) < 0 ? EMUL_FAULTED : EMUL_NEXT;
}

static enum emul_result emul_ltr(struct vcpu *v, const struct insn *in)
{
	uint16_t sel;
	enum emul_result r = read_rm16(v, in, &sel);
	if (r != EMUL_NEXT)
		return r;
	return vdesc_ltr(v, sel) < 0 ? EMUL_FAULTED : EMUL_NEXT;
}

/* ---- control and debug registers ---- */

static void set_cr0(struct vcpu *v, uint32_t val)
{
	uint32_t changed = v->cr0 ^ val;
	v->cr0 = val | CR0_ET;
	host_guest_cr_sync(v);
	if (changed & (CR0_PG | CR0_WP | CR0_PE))
		shadow_mode_changed(v);
}

static enum emul_result mov_to_cr4(struct vcpu *v, uint32_t val)
{
	if (val & CR4_PAE)
		guest_die("CR4.PAE set at 0x%x: the monitor shadows 32-bit paging only",
			  v->tf.eip);
	if (val & ~cr4_guest_mask)
		return emul_fault(v, T_GP, 0);  /* as a CPU without those bits would */
	uint32_t changed = v->cr4 ^ val;
	v->cr4 = val;
	host_guest_cr_sync(v);
	if (changed & (CR4_PSE | CR4_PGE))
		shadow_mode_changed(v);
	return EMUL_NEXT;
}

static enum emul_result emul_mov_to_cr(struct vcpu *v, const struct insn *in)
{
	uint32_t val = *vcpu_gpr(v, in->rm);

	switch (in->reg) {
	case 0:
		if (((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
			return emul_fault(v, T_GP, 0);
		set_cr0(v, val);
		return EMUL_NEXT;
	case 2:
		v->cr2 = val;
		return EMUL_NEXT;
	case 3:
		v->cr3 = val;
		shadow_new_cr3(v);
		return EMUL_NEXT;
	case 4:
		return mov_to_cr4(v, val);
	default:
		return emul_fault(v, T_UD, 0);
	}
}

static enum emul_result emul_mov_from_cr(struct vcpu *v, const struct insn *in)
{
	uint32_t val;

	switch (in->reg) {
	case 0: val = v->cr0; break;
	case 2: val = v->cr2; break;
	case 3: val = v->cr3; break;
	case 4: val = v->cr4; break;
	default: return emul_fault(v, T_UD, 0);
	}
	*vcpu_gpr(v, in->rm) = val;
	return EMUL_NEXT;
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD).  DR6 reads back what
 * the real DR6 keeps of the value (its fixed bits: 0xFFFF0FF0 read 1 on
 * every CPU, bit 12 reads 0 on some, dr6_store), DR7 its bit 10 as 1.
 *
 * DR7.GD (general detect), on a CPU that implements it (host_cpu.gd;
 * QEMU's TCG does not, Bochs does): the next MOV to or from any debug
 * register raises #DB, a fault before the MOV, with DR6.BD set, and the
 * CPU clears GD on entering the handler so that it may use them.  The
 * real DR7 never holds the guest's GD: its MOV DR traps anyway. */
#define DR7_GD 0x00002000u
static int dr_index(struct vcpu *v, unsigned n)
{
	if (n == 4 || n == 5)
		return (v->cr4 & CR4_DE) ? -1 : (int)n + 2;
	return (int)n;
}

/* A MOV DR with the guest's GD set: the #DB's DR6 and DR7, true. */
static bool general_detect(struct vcpu *v)
{
	if (!host_cpu.gd || !(v->dr[7] & DR7_GD))
		return false;
	v->dr[6] |= DR6_BD;
	v->dr[7] &= ~DR7_GD;
	return true;
}

static enum emul_result emul_mov_to_dr(struct vcpu *v, const struct insn *in)
{
	int i = dr_index(v, in->reg);
	if (i < 0)
		return emul_fault(v, T_UD, 0);
	if (general_detect(v))
		return emul_fault(v, T_DB, 0);
	uint32_t val = *vcpu_gpr(v, in->rm);
	v->dr[i] = i == 6 ? dr6_store(val) : i == 7 ? val | DR7_FIXED1 : val;
	if (i != 6)
		dr_guest_load(v->dr);   /* its breakpoints into the real registers */
	return EMUL_NEXT;
}

static enum emul_result emul_mov_from_dr(struct vcpu *v, const struct insn *in)
{
	int i = dr_index(v, in->reg);
	if (i < 0)
		return emul_fault(v, T_UD, 0);
	if (general_detect(v))
		return emul_fault(v, T_DB, 0);
	*vcpu_gpr(v, in->rm) = v->dr[i];
	return EMUL_NEXT;
}

static enum emul_result emul_clts(struct vcpu *v, const struct insn *in)
{
	(void)in;
	v->cr0 &= ~CR0_TS;
	host_guest_cr_sync(v);
	return EMUL_NEXT;
}

/* LMSW loads CR0 bits 0-3; it can set PE but not clear it. */
static enum emul_result emul_lmsw(struct vcpu *v, const struct insn *in)
{
	uint16_t w;
	enum emul_result r = read_rm16(v, in, &w);
	if (r != EMUL_NEXT)
		return r;
	uint32_t low = (w & 0xFu) | (v->cr0 & CR0_PE);
	set_cr0(v, (v->cr0 & ~0xFu) | low);
	return EMUL_NEXT;
}

static enum emul_result emul_invlpg(struct vcpu *v, const struct insn *in)
{
	if (!in->has_mem)
		return emul_fault(v, T_UD, 0);
	shadow_invlpg(v, emul_operand_addr(v, in));
	return EMUL_NEXT;
}

/* WBINVD/INVD: guest memory is ordinary host memory; nothing to do. */
static enum emul_result emul_cache(struct vcpu *v, const struct insn *in)
{
	(void)v;
	(void)in;
	return EMUL_NEXT;
}

/* ---- model-specific registers and the time-stamp counter ---- */

/* The MSRs a 32-bit kernel reads or writes, kept virtual: the SYSENTER
 * triple (SYSENTER and SYSEXIT are emulated from them), the APIC base (the
 * local APIC the guest sees, enabled, this CPU the bootstrap one), the
 * MISC_ENABLE (its reset value is this CPU's: QEMU's reads 1, fast
 * strings, Bochs's 0; #GP if this CPU has none), PAT and EFER (no bit of
 * it exists on a CPU without long mode or NX: writes keep 0, as QEMU's).
 * The MTRRs, when CPUID says MTRR (the guest sees this CPU's CPUID, so
 * they must exist): MTRRCAP read-only as this CPU reports it, the others
 * start as the firmware left them and the guest's writes stay virtual
 * (guest memory is ordinary host memory: its memory types change
 * nothing; their reserved bits are not checked).
 * The TSC is the real one plus tsc_offset.  Every other MSR is #GP, as on
 * a CPU that lacks it (QEMU's TCG ignores unknown MSRs instead; Bochs and
 * hardware raise #GP). */
#define APIC_BASE_DEFAULT   0xFEE00900ull   /* 0xFEE00000, BSP, enabled */
#define PAT_DEFAULT         0x0007040600070406ull
#define APIC_BASE_EN        0x800ull

/* The MTRRs (when this CPU has them): MTRRCAP is read-only. */
static bool mtrr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (!host_cpu.has_mtrr)
		return false;
	if (msr == MSR_MTRRCAP) {
		*val = host_cpu.mtrrcap;
		return true;
	}
	int i = mtrr_index(msr, host_cpu.mtrrcap);
	if (i < 0)
		return false;
	*val = v->mtrr[i];
	return true;
}

static bool mtrr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	int i = host_cpu.has_mtrr ? mtrr_index(msr, host_cpu.mtrrcap) : -1;
	if (i < 0)
		return false;
	v->mtrr[i] = val;
	return true;
}

/* The MSR's value, or false if the guest's CPU has no such MSR. */
static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_TSC: *val = rdtsc() + v->tsc_offset; return true;
	case MSR_SYSENTER_CS: *val = v->sysenter_cs; return true;
	case MSR_SYSENTER_ESP: *val = v->sysenter_esp; return true;
	case MSR_SYSENTER_EIP: *val = v->sysenter_eip; return true;
	case MSR_APIC_BASE: *val = v->apic_base; return true;
	case MSR_MISC_ENABLE:
		*val = v->misc_enable;
		return host_cpu.has_misc_enable;
	case MSR_PAT: *val = v->pat; return true;
	case MSR_EFER: *val = v->efer; return true;
	default: return mtrr_read(v, msr, val);
	}
}

/* Writing the TSC: the guest's clock gets an offset, and from then on
 * every RDTSC of the guest traps (CR4.TSD) and is emulated with it. */
static void write_tsc(struct vcpu *v, uint64_t val)
{
	v->tsc_offset = val - rdtsc();
	v->tsc_offset_on = true;
	host_guest_cr_sync(v);
}

/* SYSENTER_ESP and SYSENTER_EIP hold an address: on a CPU without long
 * mode 32 bits (the high half is dropped, as QEMU's qemu32 does); on a
 * long-mode one (Bochs's default model) all 64, and a non-canonical value
 * is #GP (SDM, WRMSR). */
static bool address_msr_write(uint64_t *msr, uint64_t val)
{
	if (!host_cpu.lin_bits) {
		*msr = (uint32_t)val;
		return true;
	}
	if (!canonical(val, host_cpu.lin_bits))
		return false;
	*msr = val;
	return true;
}

static bool msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_TSC: write_tsc(v, val); return true;
	case MSR_SYSENTER_CS: v->sysenter_cs = (uint32_t)val; return true;
	case MSR_SYSENTER_ESP: return address_msr_write(&v->sysenter_esp, val);
	case MSR_SYSENTER_EIP: return address_msr_write(&v->sysenter_eip, val);
	case MSR_APIC_BASE:     /* only the enable bit: the APIC stays put */
		v->apic_base = (v->apic_base & ~APIC_BASE_EN) | (val & APIC_BASE_EN);
		return true;
	case MSR_MISC_ENABLE:
		v->misc_enable = val;
		return host_cpu.has_misc_enable;
	case MSR_PAT: v->pat = val; return true;
	case MSR_EFER: return true;     /* no bit exists here: stays 0 */
	default: return mtrr_write(v, msr, val);
	}
}

void emul_msr_reset(struct vcpu *v)
{
	v->apic_base = APIC_BASE_DEFAULT;
	v->misc_enable = host_cpu.misc_enable;
	for (unsigned i = 0; i < MTRR_COUNT; i++)	/* bound: MTRR_COUNT */
		v->mtrr[i] = host_cpu.mtrr[i];
	v->pat = PAT_DEFAULT;
	v->efer = 0;
	v->tsc_offset = 0;
	v->tsc_offset_on = false;
}

static enum emul_result emul_rdmsr(struct vcpu *v, const struct insn *in)
{
	uint64_t val;

	(void)in;
	if (!msr_read(v, v->tf.ecx, &val))
		return emul_fault(v, T_GP, 0);
	v->tf.eax = (uint32_t)val;
	v->tf.edx = (uint32_t)(val >> 32);
	return EMUL_NEXT;
}

static enum emul_result emul_wrmsr(struct vcpu *v, const struct insn *in)
{
	(void)in;
	if (!msr_write(v, v->tf.ecx, (uint64_t)v->tf.edx << 32 | v->tf.eax))
		return emul_fault(v, T_GP, 0);
	return EMUL_NEXT;
}

/* RDTSC traps only when the real CR4.TSD is set: the guest set TSD (then
 * only its kernel may read the counter) or its TSC is offset. */
static enum emul_result emul_rdtsc(struct vcpu *v, const struct insn *in)
{
	(void)in;
	if (vcpu_cpl(v) > 0 && (v->cr4 & CR4_TSD))
		return emul_fault(v, T_GP, 0);
	uint64_t t = rdtsc() + v->tsc_offset;
	v->tf.eax = (uint32_t)t;
	v->tf.edx = (uint32_t)(t >> 32);
	return EMUL_NEXT;
}

/* ---- SYSENTER and SYSEXIT ---- */

/* The real SYSENTER_CS MSR is 0, so both raise #GP(0) in the guest; they
 * are emulated from the guest's MSRs.  SYSENTER: CS = SYSENTER_CS (flat
 * ring 0, here ring 1), SS = CS + 8, EIP and ESP from the MSRs, IF and VM
 * and RF clear.  SYSEXIT (CPL 0 only): CS = SYSENTER_CS + 16 and SS = + 24,
 * both RPL 3, EIP = EDX, ESP = ECX.  The CPU loads fixed flat descriptors
 * without reading the GDT; the monitor resumes through the GDT, so the
 * guest's descriptors at those selectors must be the flat ones (sanitize()
 * ends a guest whose are not). */
static enum emul_result emul_sysenter(struct vcpu *v, const struct insn *in)
{
	uint16_t cs = (uint16_t)(v->sysenter_cs & ~3u);

	(void)in;
	if (cs == 0)
		return emul_fault(v, T_GP, 0);
	v->tf.cs = sel_compress(cs);
	v->tf.ss = sel_compress((uint16_t)(cs + 8));
	v->tf.eip = (uint32_t)v->sysenter_eip;
	v->tf.esp = (uint32_t)v->sysenter_esp;
	v->tf.eflags &= ~(FL_VM | FL_RF);
	vcpu_set_vif(v, false);
	return EMUL_JUMPED;
}

static enum emul_result emul_sysexit(struct vcpu *v, const struct insn *in)
{
	uint16_t cs = (uint16_t)(v->sysenter_cs & ~3u);

	(void)in;
	if (cs == 0)
		return emul_fault(v, T_GP, 0);
	v->tf.cs = (uint16_t)(cs + 16) | 3u;
	v->tf.ss = (uint16_t)(cs + 24) | 3u;
	v->tf.eip = v->tf.edx;
	v->tf.esp = v->tf.ecx;
	return EMUL_JUMPED;
}

/* ---- interrupts and privilege-changing returns ---- */

enum emul_result emul_soft_int(struct vcpu *v, const struct insn *in)
{
	unsigned vector = in->kind == INSN_INT3 ? T_BP : (unsigned)(in->imm & 0xFF);

	if (in->kind == INSN_INTO) {
		if (!(v->tf.eflags & FL_OF))
			return EMUL_NEXT;
		vector = T_OF;
	}
	reflect_soft(v, vector, in->len);
	return EMUL_JUMPED;
}

/* Pops n dwords from the guest kernel's stack (skip bytes in; a 16-bit
 * stack segment addresses it with SP). */
static enum emul_result pop_words(struct vcpu *v, uint32_t *w, unsigned n, uint32_t skip)
{
	struct gva_fault f;
	uint32_t mask = stack_mask(v, (uint16_t)v->tf.ss);
	uint32_t addr = segment_base(v, (uint16_t)v->tf.ss) + ((v->tf.esp + skip) & mask);
	enum gva_result r = gva_read(v, addr, w, n * 4, 0, &f);
	return r == GVA_OK ? EMUL_NEXT : emul_mem_fault(v, r, &f);
}

/* Pops n values of size bytes (4, or 2 for an o16 IRET or RETF),
 * zero-extended into w. */
static enum emul_result pop_values(struct vcpu *v, uint32_t *w, unsigned n, unsigned size,
				   uint32_t skip)
{
	uint16_t half[4];

	if (size == 4)
		return pop_words(v, w, n, skip);
	enum emul_result r = pop_words(v, (uint32_t *)half, (n * 2 + 3) / 4, skip);
	/* bound: n <= 3 values (an IRET's) */
	for (unsigned i = 0; r == EMUL_NEXT && i < n; i++)
		w[i] = half[i];
	return r;
}

/* The far return common to IRET and RETF: cs from the stack may have RPL 0
 * (the guest believes it is in ring 0), which ring 1 cannot return to.
 * Compress it and return as the CPU would from ring 0: every #GP check of
 * the code segment first, then #NP if it is only absent; for an outer
 * return the same for the stack segment, with #SS.  size: 4, or 2 for the
 * o16 forms (a 16-bit EIP, and SP:SS for an outer return). */
static enum emul_result far_return(struct vcpu *v, uint32_t eip, uint16_t cs, uint32_t used,
				   uint32_t extra, unsigned size)
{
	cs = vdesc_kernel_target(v, cs);
	uint16_t sel = sel_compress(cs);
	uint32_t outer[2];
	int fault = code_sel_check(v, sel);

	if (fault == T_GP || SEL_RPL(sel) < (v->tf.cs & 3))
		return emul_fault(v, T_GP, cs & ~3u);
	if (fault)
		return emul_fault(v, (unsigned)fault, cs & ~3u);
	if (SEL_RPL(sel) != (v->tf.cs & 3)) {       /* to ring 3: pop ESP, SS */
		enum emul_result r = pop_values(v, outer, 2, size, used + extra);
		if (r != EMUL_NEXT)
			return r;
		fault = stack_sel_check(v, (uint16_t)outer[1]);
		if (fault == T_GP || SEL_RPL(outer[1]) != SEL_RPL(sel))
			return emul_fault(v, T_GP, outer[1] & ~3u);
		if (fault)
			return emul_fault(v, (unsigned)fault, outer[1] & ~3u);
		v->tf.esp = size == 4 ? outer[0] + extra
				      : (v->tf.esp & 0xFFFF0000u) | ((outer[0] + extra) & 0xFFFF);
		v->tf.ss = outer[1];
	} else {
		v->tf.esp = stack_move(v->tf.esp, stack_mask(v, (uint16_t)v->tf.ss), used + extra);
	}
	v->tf.cs = sel;
	v->tf.eip = size == 4 ? eip : eip & 0xFFFF;
	return EMUL_JUMPED;
}

static enum emul_result emul_iret(struct vcpu *v, const struct insn *in)
{
	uint32_t w[3];
	unsigned size = in->opsize;

	if (v->tf.eflags & FL_NT)
		guest_die("IRET with EFLAGS.NT at 0x%x: hardware task return is not supported",
			  v->tf.eip);
	enum emul_result r = pop_values(v, w, 3, size, 0);
	if (r != EMUL_NEXT)
		return r;
	if (size == 2)          /* IRET o16 pops FLAGS: the high half stays */
		w[2] |= v->tf.eflags & 0xFFFF0000u & ~FL_RF;
	if (w[2] & FL_VM)
		guest_die("IRET to virtual-8086 mode at 0x%x is not supported", v->tf.eip);
	unsigned cpl = vcpu_cpl(v);
	r = far_return(v, w[0], (uint16_t)w[1], 3 * size, 0, size);
	if (r != EMUL_JUMPED)
		return r;
	/* IOPL, VIF and VIP change only at CPL 0, IF only at CPL <= IOPL; VM
	 * stays clear (IRET from ring 0 to vm86 was refused above) */
	uint32_t vflags = (cpl == 0 ? w[2] : v->tf.eflags) & (FL_VIF | FL_VIP);
	v->tf.eflags = (w[2] & ~(FL_IF | FL_IOPL | FL_VIF | FL_VIP)) | vflags | FL_RESERVED1;
	if (cpl <= v->iopl)
		vcpu_set_vif(v, (w[2] & FL_IF) != 0);
	if (cpl == 0)
		v->iopl = (w[2] & FL_IOPL) >> FL_IOPL_SHIFT;
	return EMUL_JUMPED;
}

static enum emul_result emul_retf(struct vcpu *v, const struct insn *in)
{
	uint32_t w[2];
	unsigned size = in->opsize;

	enum emul_result r = pop_values(v, w, 2, size, 0);
	if (r != EMUL_NEXT)
		return r;
	return far_return(v, w[0], (uint16_t)w[1], 2 * size, in->imm_size ? in->imm & 0xFFFF : 0,
			  size);
}

/* MOV SS / POP SS with an RPL-0 selector: SS's RPL must equal CPL, so
 * ring 1 faults on the guest's own kernel stack selector. */
static enum emul_result load_ss(struct vcpu *v, uint16_t sel, uint32_t next_eip)
{
	uint16_t s = sel_compress(sel);
	if (SEL_RPL(s) != (v->tf.cs & 3))
		return emul_fault(v, T_GP, sel & ~3u);
	int fault = stack_sel_check(v, s);
	if (fault)
		return emul_fault(v, (unsigned)fault, sel & ~3u);  /* #SS if only absent */
	v->tf.ss = s;
	v->shadow_active = true;        /* MOV SS also inhibits interrupts */
	v->shadow_eip = next_eip;
	return EMUL_NEXT;
}

static enum emul_result emul_mov_to_sreg(struct vcpu *v, const struct insn *in)
{
	uint16_t sel;
	if (in->reg != SREG_SS)
		return EMUL_REFUSED;
	enum emul_result r = read_rm16(v, in, &sel);
	if (r != EMUL_NEXT)
		return r;
	return load_ss(v, sel, v->tf.eip + in->len);
}

/* LSS r, m16:16/32: the selector after the offset; the register is
 * loaded only if SS is. */
static enum emul_result emul_lss(struct vcpu *v, const struct insn *in)
{
	uint8_t b[6];
	struct gva_fault f;
	uint32_t addr;

	if (emul_operand(v, in, &addr) != EMUL_NEXT)
		return EMUL_FAULTED;
	enum gva_result r = gva_read(v, addr, b, in->opsize + 2u, 0, &f);
	if (r != GVA_OK)
		return emul_mem_fault(v, r, &f);
	uint32_t off = b[0] | (uint32_t)b[1] << 8;
	if (in->opsize == 4)
		off |= (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	uint16_t sel = (uint16_t)(b[in->opsize] | b[in->opsize + 1] << 8);
	enum emul_result res = load_ss(v, sel, v->tf.eip + in->len);
	if (res != EMUL_NEXT)
		return res;
	uint32_t *reg = vcpu_gpr(v, in->reg);
	*reg = in->opsize == 4 ? off : (*reg & 0xFFFF0000u) | off;
	return EMUL_NEXT;
}

static enum emul_result emul_pop_sreg(struct vcpu *v, const struct insn *in)
{
	uint32_t w;
	if (in->opcode != 0x17)         /* POP SS */
		return EMUL_REFUSED;
	enum emul_result r = pop_words(v, &w, 1, 0);
	if (r != EMUL_NEXT)
		return r;
	r = load_ss(v, (uint16_t)w, v->tf.eip + in->len);
	if (r == EMUL_NEXT)             /* 66 17 pops a word; the old SS's width */
		v->tf.esp = stack_move(v->tf.esp, stack_mask(v, (uint16_t)v->tf.ss), in->opsize);
	return r;
}

/* RDPMC: at CPL 0, or at any CPL with CR4.PCE; else #GP(0).  The real
 * CR4.PCE is the guest's (hosthw.c), so with PCE set it does not even
 * trap; without it, the guest kernel's RDPMC faults in ring 1 where its
 * CPU would run it in ring 0.  Counters are model-specific (which exist,
 * what they read, whether the instruction exists: QEMU's TCG raises #UD,
 * Bochs reads 0 from the counters its model has and raises #GP(0) for
 * the others), so the monitor runs it in ring 0 with the guest's ECX and
 * gives the guest what the CPU underneath gave (hostcpu.c). */
static enum emul_result emul_rdpmc(struct vcpu *v, const struct insn *in)
{
	uint64_t count;

	(void)in;
	if (vcpu_cpl(v) > 0 && !(v->cr4 & CR4_PCE))
		return emul_fault(v, T_GP, 0);
	int vector = host_rdpmc(v->tf.ecx, &count);
	if (vector >= 0)
		return emul_fault(v, (unsigned)vector, 0);
	v->tf.eax = (uint32_t)count;
	v->tf.edx = (uint32_t)(count >> 32);
	return EMUL_NEXT;
}

/* Who may execute it (see the header): the CPU's privilege rule. */
enum emul_priv {
	PRIV_CPL0,      /* CPL 0 only: #GP(0) otherwise */
	PRIV_IOPL,      /* CPL <= IOPL (CLI, STI) */
	PRIV_SELF,      /* the handler checks (I/O bitmap, selectors, gates) */
};

struct emul_entry {
	emul_fn fn;
	enum emul_priv priv;
};

static const struct emul_entry emul_table[INSN_KIND_COUNT] = {
	[INSN_CLI] = { emul_cli, PRIV_SELF },           [INSN_STI] = { emul_sti, PRIV_SELF },
	[INSN_HLT] = { emul_hlt, PRIV_CPL0 },
	[INSN_IN] = { emul_in, PRIV_SELF },             [INSN_OUT] = { emul_out, PRIV_SELF },
	[INSN_INS] = { emul_ins, PRIV_SELF },           [INSN_OUTS] = { emul_outs, PRIV_SELF },
	[INSN_LGDT] = { emul_lgdt, PRIV_CPL0 },         [INSN_LIDT] = { emul_lidt, PRIV_CPL0 },
	[INSN_LLDT] = { emul_lldt, PRIV_CPL0 },         [INSN_LTR] = { emul_ltr, PRIV_CPL0 },
	[INSN_MOV_TO_CR] = { emul_mov_to_cr, PRIV_CPL0 },
	[INSN_MOV_FROM_CR] = { emul_mov_from_cr, PRIV_CPL0 },
	[INSN_MOV_TO_DR] = { emul_mov_to_dr, PRIV_CPL0 },
	[INSN_MOV_FROM_DR] = { emul_mov_from_dr, PRIV_CPL0 },
	[INSN_CLTS] = { emul_clts, PRIV_CPL0 },         [INSN_LMSW] = { emul_lmsw, PRIV_CPL0 },
	[INSN_INVLPG] = { emul_invlpg, PRIV_CPL0 },
	[INSN_WBINVD] = { emul_cache, PRIV_CPL0 },      [INSN_INVD] = { emul_cache, PRIV_CPL0 },
	[INSN_RDMSR] = { emul_rdmsr, PRIV_CPL0 },       [INSN_WRMSR] = { emul_wrmsr, PRIV_CPL0 },
	[INSN_INT] = { emul_soft_int, PRIV_SELF },      [INSN_INT3] = { emul_soft_int, PRIV_SELF },
	[INSN_INTO] = { emul_soft_int, PRIV_SELF },
	[INSN_IRET] = { emul_iret, PRIV_SELF },         [INSN_RET_FAR] = { emul_retf, PRIV_SELF },
	[INSN_CALL_FAR] = { emul_call_far, PRIV_SELF }, [INSN_JMP_FAR] = { emul_jmp_far, PRIV_SELF },
	[INSN_MOV_TO_SREG] = { emul_mov_to_sreg, PRIV_SELF },
	[INSN_LSS] = { emul_lss, PRIV_SELF },
	[INSN_RDTSC] = { emul_rdtsc, PRIV_SELF },
	[INSN_RDPMC] = { emul_rdpmc, PRIV_SELF },
	[INSN_SYSENTER] = { emul_sysenter, PRIV_SELF },
	[INSN_SYSEXIT] = { emul_sysexit, PRIV_CPL0 },
	[INSN_POP_SREG] = { emul_pop_sreg, PRIV_SELF },
};

static bool permitted(const struct vcpu *v, enum emul_priv p)
{
	switch (p) {
	case PRIV_CPL0: return vcpu_cpl(v) == 0;
	case PRIV_IOPL: return vcpu_cpl(v) <= v->iopl;
	default: return true;
	}
}

enum emul_result emulate(struct vcpu *v, const struct insn *in)
{
	const struct emul_entry *e = in->kind < INSN_KIND_COUNT ? &emul_table[in->kind] : 0;

	if (!e || !e->fn)
		return EMUL_REFUSED;
	if (in->lock)           /* LOCK on these is #UD on the CPU */
		return emul_fault(v, T_UD, 0);
	if (!permitted(v, e->priv))
		return emul_fault(v, T_GP, 0);
	return e->fn(v, in);
}
