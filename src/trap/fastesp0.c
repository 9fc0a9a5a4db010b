/*
 * fastesp0.c - the guest kernel's store to its TSS.ESP0, done by the
 * switcher without the world switch.
 *
 * Mechanism: on an interrupt or trap from ring 3 the CPU loads SS0:ESP0
 * from the TSS; a kernel switching processes stores the new process's
 * kernel stack there (minios, xv6, Linux 2.4: `tss.esp0 = ...`).  The
 * monitor's direct system-call gates (vidt.c) make the real CPU enter the
 * guest kernel through the real TSS's SS1:ESP1, so ESP1 must follow the
 * guest's ESP0: the guest's TSS page is watched (watch.c), never writable
 * in a shadow, and each store faults, is emulated through the page-table
 * write path (memop.c) and sets the real ESP1 (vidt.c): ~2300 monitor
 * instructions per process switch.
 *
 * The store itself is the same instruction each time (`mov %eax,
 * tss+4`), and all the monitor needs of it is the value.  So after C has
 * emulated such a store once, it arms the stub (entry.asm, sw_fast_pf)
 * with what it learnt: the instruction's address and bytes, where its
 * code and the ESP0 dword are in host memory, its source register.  The
 * next #PF that is the same store (error code: present, write, not user;
 * CR2 the ESP0 dword; the same EIP, CS and bytes; the same shadow root)
 * is done by the stub: it moves to the monitor's address space, writes
 * the value into the guest's TSS and the real TSS.ESP1, advances EIP and
 * returns, about 40 instructions.
 *
 * Why that is the store the CPU would have done (equivalence):
 *   - CR2 is the ESP0 dword, which is neither page-aligned nor crosses a
 *     page, so a 4-byte store that faults with that CR2 starts there: it
 *     writes exactly the dword, whatever its addressing mode;
 *   - the bytes at EIP are those decoded, read from the host frame the
 *     shadow maps EIP to (the frame the CPU fetched them from: the shadow
 *     has not changed), so it is MOV r32 to m32 (89 /r, or A3) without
 *     prefixes, from the register decoded;
 *   - the guest's tables allowed that store when C emulated it, and set its
 *     A and D bits then; shadow_epoch says no shadow entry has changed
 *     since, so the guest's tables have not changed as far as the CPU can
 *     see (shadow=cached sees every write to them; shadow=vtlb has the
 *     TLB's licence to use the translation it holds until INVLPG or a
 *     CR3 write, which are shadow calls), and the store sets no bit;
 *   - the frame is the TSS watch's alone and no page table
 *     (shadow_pt_frame): nothing else in the monitor derives from it;
 *   - CS is the flat kernel code segment it was (vdesc_generation), no
 *     TF, no guest data breakpoint enabled (a store would hit it), no
 *     fault injection or tracing asked for (they want every trap).
 * Any of these changed at an exit, and C disarms (fastesp0_leave).
 *
 * Why a hostile guest gains nothing: every value the stub trusts (the
 * host addresses, the bytes, the root) is on the private page, which the
 * guest's address space does not map; sw_data->esp0_va, which the guest
 * can read but not write, only filters.  The stub writes only the guest's
 * own TSS frame (which the shadow maps it anyway) and the real ESP1 (a
 * ring-1 stack pointer the guest chooses on the C path too: the CPU
 * pushes there at ring 1 through SS1, which C validated).  A store it
 * does not recognise takes the C path.  The guest's rewriting of the store
 * instruction is seen (the bytes are compared each time); so is a
 * remapping of its code (a shadow change).
 */
#include "fastesp0.h"
#include "guest.h"
#include "switcher.h"
#include "vidt.h"
#include "shadow_mmu/shadow.h"
#include "monitor/debugreg.h"
#include "monitor/memory.h"
#include "monitor/options.h"
#include "monitor/run.h"
#include "monitor/x86.h"
#include "fault/fault.h"

#define OP_MOV_STORE    0x89u   /* MOV r/m32, r32 */
#define OP_MOV_MOFFS    0xA3u   /* MOV moffs32, EAX */
#define CODE_BYTES      8u      /* the stub compares two dwords */
#define DWORD           4u
#define DR7_ENABLES     0xFFu   /* L0-L3, G0-G3 */
#define PUSHAD_LAST     7u      /* EDI, pushed last: offset 0 */
#define TSS_ESP0_OFF    4u      /* ESP0 in a 32-bit TSS */

bool fastesp0_armed;
uint32_t fastesp0_seen;         /* sw_priv->esp0.count collected */

static struct {
	uint32_t va;            /* the ESP0 dword, guest-virtual */
	uint32_t gpa;           /* ...guest-physical */
	uint32_t epoch;         /* shadow_epoch it was armed at */
	uint32_t generation;    /* vdesc_generation */
} a;

/* May the stub do anything at all now?  Not under shadow=vtlb: its
 * every CR3 write empties the shadow (a new shadow_epoch), so a store
 * armed there would be disarmed before the next one. */
static bool allowed(void)
{
	return mon_opts.ring == 1 && mon_opts.shadow == SHADOW_CACHED && !fault_armed &&
	       !mon_opts.trace && !(dr7_guest() & DR7_ENABLES);
}

/* MOV r32 to m32 with no prefix but a segment override: its source. */
static bool plain_store(const struct insn *in, unsigned *src)
{
	if (in->kind != INSN_MOV || in->map != MAP_ONE || in->opsize != DWORD ||
	    in->width != DWORD || (in->prefixes & ~PFX_SEG) || in->len > CODE_BYTES ||
	    in->len < DWORD)   /* the stub compares the first four bytes whole */
		return false;
	if (in->opcode == OP_MOV_MOFFS)
		*src = GPR_EAX;
	else if (in->opcode == OP_MOV_STORE && in->has_mem && in->mem_dst)
		*src = in->reg;
	else
		return false;
	return *src != GPR_ESP;         /* the stub's own stack pointer then */
}

static void record_bytes(struct sw_esp0 *e, const struct insn *in)
{
	uint8_t b[CODE_BYTES] = { 0 }, m[CODE_BYTES] = { 0 };

	/* bound: in->len <= CODE_BYTES (plain_store) */
	for (unsigned i = 0; i < in->len; i++) {
		b[i] = in->bytes[i];
		m[i] = 0xFF;
	}
	e->head = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	e->tail = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
	e->tail_mask = m[4] | m[5] << 8 | m[6] << 16 | (uint32_t)m[7] << 24;
}

void fastesp0_arm(struct vcpu *v, const struct insn *in, uint32_t va)
{
	uint32_t off = va & (MON_PGSIZE - 1), eip = v->tf.eip, g, code_hpa;
	unsigned src;
	struct gva_fault f;
	hpa_t h;

	if (va != v->tr_base + TSS_ESP0_OFF || !allowed() || !plain_store(in, &src) || off == 0 ||
	    off > MON_PGSIZE - DWORD || (eip & (MON_PGSIZE - 1)) > MON_PGSIZE - CODE_BYTES ||
	    !vdesc_flat((uint16_t)v->tf.cs, true))
		return;
	if (gva_translate(v, va, GVA_WRITE, &g, &f) != GVA_OK || gpa_to_hpa(gpa(g), &h) < 0 ||
	    shadow_pt_frame(g >> MON_PGSHIFT) || vidt_esp0_va(v, g) != va ||
	    !shadow_lookup(eip, &code_hpa))
		return;
	struct sw_esp0 *e = &sw_priv->esp0;
	e->root = shadow_root();
	e->eip = eip;
	e->cs = v->tf.cs;
	e->code = (uint32_t)(uintptr_t)host_va(code_hpa);
	record_bytes(e, in);
	e->src = (PUSHAD_LAST - src) * DWORD;
	e->len = in->len;
	e->esp0 = (uint32_t)(uintptr_t)host_va(h.v);
	a = (typeof(a)){ va, g, shadow_epoch, vdesc_generation };
	fastesp0_armed = true;
	sw_data->esp0_va = va;
}

static void disarm(void)
{
	fastesp0_armed = false;
	sw_data->esp0_va = 0;
	sw_priv->esp0.root = 0;         /* never a shadow root */
}

void fastesp0_collect(struct vcpu *v)
{
	uint32_t n = sw_priv->esp0.count - fastesp0_seen;

	fastesp0_seen += n;
	v->stats.fast_esp0 += n;
	vidt_esp0_stored(a.gpa);
}

void fastesp0_check(struct vcpu *v)
{
	if (a.epoch != shadow_epoch || a.generation != vdesc_generation || !allowed() ||
	    vidt_esp0_va(v, a.gpa) != a.va)
		disarm();
}
