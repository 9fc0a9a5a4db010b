/*
 * fastptw.c - the guest kernel's store to an entry of one of its page
 * tables, done by the switcher without the world switch.
 *
 * Mechanism: under shadow=cached every guest page table a shadow table is
 * built from is write-protected (cached.c), so a kernel that maps a page
 * (`*pte = pa | PTE_P | PTE_W`) takes a #PF; C decodes the store, does it
 * through the guest's tables (memop.c) and drops the shadow entries built
 * from that guest entry (cached.c, wrote_frame): ~1800 monitor
 * instructions for one MOV.  A kernel maps pages from a handful of such
 * stores (minios: vm_map, break_cow, vm_copy_cow, vm_unmap_range).  So
 * after C has emulated one, it arms the stub (entry.asm, sw_fast_pf) with
 * what it learnt, in two small tables:
 *
 *   sites   (sw_data->ptw, read-only to the guest) the instruction: EIP,
 *           its bytes, and, decoded, where its value comes from (a
 *           register or the immediate) and how its address is formed
 *           (base + index << scale + disp, through DS);
 *   frames  (sw_priv->ptw, the monitor's view only) the guest page table:
 *           its host frame, and the host addresses of the shadow tables
 *           built from it (shadow_fast_frame) and of its unprotect count.
 *
 * The stub takes a #PF with error code present|write (the kernel's
 * store, ring 1) at an armed EIP; in the guest's address space it checks
 * CS, SS and DS, reads the bytes at linear EIP and compares them, computes
 * the address from the saved registers and requires it to be CR2, aligned
 * to an entry; in the monitor's it reads the shadow entry that refused the
 * store, and requires it to be marked SPTE_PT_WRITABLE and to map an armed
 * frame.  Then it does what wrote_frame() does for that entry: the value
 * goes into the guest's frame, the P bit of the entry at the same index in
 * each shadow table built from the frame is cleared, the write is counted;
 * EIP moves past the store and the guest's CR3 is back for the IRET
 * (and with it a flushed TLB).  About 90 instructions.
 *
 * Why that is the store the CPU would have done (equivalence):
 *   - the bytes at linear EIP are the ones the CPU decoded a moment ago
 *     (CS is the flat kernel code segment: sw_data->kcs), so the
 *     instruction is the one C decoded there: MOV r32 or imm32 to m32 with
 *     no prefix, 32-bit addressing, the operand in DS;
 *   - DS holds the selector C found flat (base 0) in the guest's tables,
 *     whose copies have not changed since (vdesc_generation), so the
 *     operand's linear address is the base + index << scale + disp the
 *     stub computes, as C's emul_operand_addr() computes it; it is CR2, so
 *     the store starts where the CPU refused it (a store that crossed into
 *     the page from the one before would fault there at the page's first
 *     byte, and its address is not CR2), and as CR2 is a multiple of 4
 *     the four bytes are one entry;
 *   - the shadow entry that refused it is present and marked: the guest's
 *     tables gave its kernel write access to the page, and its D bit was
 *     already set, when the entry was made (spte.c), and they still do,
 *     since a change to them would have dropped the entry (this fast path
 *     drops entries exactly as C does); so the store needs no A or D bit;
 *   - what C does after the store (wrote_frame) for a frame that is a page
 *     table and nothing else (no directory keyed on it, not watched, not
 *     released: shadow_fast_frame) is to drop the entry at the same index
 *     in each shadow table built from it, and to count the write for the
 *     unprotect heuristic; the stub does both, with the list C gave it,
 *     which C keeps exact: the shadow calls shadow_frame_changed() once
 *     any change to what the frame is to it is complete (a shadow table
 *     built from it or freed, a directory keyed on it, a watch), and C
 *     fills or clears the frame's entry then, before the guest runs again;
 *     the write that would make the frame unprotected goes to C;
 *   - no TF, no guest breakpoint enabled in DR7 (an instruction or data
 *     breakpoint would have to fire), no fault injection or tracing of
 *     traps or the MMU (they want every trap), ring=1 alone (the kernel's
 *     stores then raise present|write, not a user fault).
 * Any of these changed at an exit, and C disarms (fastptw_leave).
 * A virtual interrupt that C would have delivered right after the store
 * is delivered at the next trap through C, as after the IN fast path.
 * One thing C does that the stub does not: the walk of a #PF resets the
 * unprotect counts of the tables it went through (cached_fault); a fast
 * store resets none, so a directory written 16 times between walks may be
 * released a little sooner (a cost, never a wrong shadow).
 *
 * Why a hostile guest gains nothing: the stub writes four bytes into a
 * frame of guest RAM that C armed as a guest page table (found through a
 * shadow entry that maps it, in the shadow the CPU faulted in, and named
 * by its host frame on the private page), and clears P bits in shadow
 * tables C listed for that frame: the guest's own memory, and entries
 * whose loss only costs a hidden fault.  Every address it stores to is
 * C's, on the private page; the site tables the guest can read but not
 * write; the vCPU page (the guest's) is not read.  What the guest
 * controls is the value (any value C would store: a page-table entry is
 * checked when a walk uses it, never when it is written) and which armed
 * entry it goes to (the address it computes, which must be CR2).  A
 * rewritten store instruction no longer matches its bytes; a remapped
 * page table no longer gives the armed frame or the mark; a new directory
 * or watch on the frame, or a shadow table built from it or freed, and C
 * refills or clears its entry before the guest runs;
 * a store to a page directory, to a watched frame (the TSS, the GDT), to
 * the switcher's slot or outside guest RAM never finds an armed frame.
 * Each of these takes the C path (attack=fast-ptw in minios tries them).
 */
#include "fastptw.h"
#include "guest.h"
#include "switcher.h"
#include "shadow_mmu/shadow.h"
#include "monitor/debugreg.h"
#include "monitor/layout.h"
#include "monitor/memory.h"
#include "monitor/options.h"
#include "monitor/run.h"
#include "monitor/x86.h"
#include "fault/fault.h"

#define OP_MOV_STORE    0x89u   /* MOV r/m32, r32 */
#define OP_MOV_IMM      0xC7u   /* MOV r/m32, imm32 (/0) */
#define OP_MOV_MOFFS    0xA3u   /* MOV moffs32, EAX */
#define CODE_BYTES      8u      /* the stub compares two dwords */
#define DWORD           4u
#define DR7_ENABLES     0xFFu   /* L0-L3, G0-G3 */
#define ENTRY_OFF       (MON_PGSIZE - 1)        /* an entry's byte offset in its table */

_Static_assert(SW_PTW_SPTS == SHADOW_FAST_SPTS, "one list length");

bool fastptw_armed;
uint32_t fastptw_seen;          /* sw_priv->ptw_count collected */

struct fastptw_basis fastptw_basis;

static struct {
	uint32_t gfn[SW_PTW_FRAMES];    /* each armed frame's guest frame */
	uint8_t *count[SW_PTW_FRAMES];  /* ...and its unprotect count (host tests) */
	unsigned next_site;             /* the next to replace (round robin) */
} a;

/* May the stub do anything at all now?  Tracing of I/O alone is allowed
 * (the host harness runs with it); of traps or the MMU, not. */
static bool allowed(void)
{
	return mon_opts.ring == 1 && mon_opts.shadow == SHADOW_CACHED && !fault_armed &&
	       !(mon_opts.trace & (TRACE_TRAPS | TRACE_MMU)) && !(dr7_guest() & DR7_ENABLES);
}

static void clear_site(struct sw_ptw_site *s)
{
	*s = (struct sw_ptw_site){ .eip = SW_PTW_NONE };
}

static void frame_changed(uint32_t gfn);

/* The sites go: nothing reaches the frames without one. */
static void disarm(void)
{
	for (unsigned i = 0; i < SW_PTW_SITES; i++)	/* bound: SW_PTW_SITES */
		clear_site(&sw_data->ptw[i]);
	sw_data->ptw_ds = 0;
	fastptw_armed = false;
}

void fastptw_init(void)
{
	disarm();
	for (unsigned i = 0; i < SW_PTW_FRAMES; i++)	/* bound: SW_PTW_FRAMES */
		sw_priv->ptw[i] = (struct sw_ptw_frame){ 0 };
	shadow_set_frame_hook(frame_changed);
}

/* ---- the site: what C decoded ---- */

/* The offset of general register r in what the stub pushes, or of its
 * zero dword for none; false for ESP (the stub's own there). */
static bool reg_slot(enum gpr r, uint32_t *slot)
{
	if (r == GPR_NONE) {
		*slot = SW_PTW_ZERO;
		return true;
	}
	*slot = SW_PTW_REG(r);
	return r != GPR_ESP;
}

/* MOV r32 (not ESP), imm32 or EAX (moffs) to m32: the value's source. */
static bool value_of(const struct insn *in, struct sw_ptw_site *s)
{
	switch (in->opcode) {
	case OP_MOV_STORE:
		return reg_slot((enum gpr)in->reg, &s->src);
	case OP_MOV_MOFFS:
		s->src = SW_PTW_REG(GPR_EAX);
		return true;
	case OP_MOV_IMM:
		s->src = SW_PTW_ZERO;
		s->imm = in->imm;
		return true;
	default:
		return false;
	}
}

static uint32_t scale_shift(uint8_t scale)
{
	return scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
}

static void record_bytes(struct sw_ptw_site *s, const struct insn *in)
{
	uint8_t b[CODE_BYTES] = { 0 }, m[CODE_BYTES] = { 0 };

	for (unsigned i = 0; i < in->len; i++) {	/* bound: CODE_BYTES (site_of) */
		b[i] = in->bytes[i];
		m[i] = 0xFF;
	}
	s->head = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	s->head_mask = m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24;
	s->tail = b[4] | b[5] << 8 | b[6] << 16 | (uint32_t)b[7] << 24;
	s->tail_mask = m[4] | m[5] << 8 | m[6] << 16 | (uint32_t)m[7] << 24;
}

/* What the stub pushes, from the vCPU's registers: the zero dword, then
 * PUSHAD's eight (ESP: what the stub's would be, never used). */
static void stub_regs(const struct trapframe *tf, uint32_t r[9])
{
	uint32_t gpr[8] = { tf->eax, tf->ecx, tf->edx, tf->ebx, 0, tf->ebp, tf->esi, tf->edi };

	r[SW_PTW_ZERO / 4] = 0;
	for (unsigned n = 0; n < 8; n++)	/* bound: the 8 registers */
		r[SW_PTW_REG(n) / 4] = gpr[n];
}

/* The operand's offset as the stub computes it from a site. */
static uint32_t site_address(const struct sw_ptw_site *s, const uint32_t r[9])
{
	return r[s->base / 4] + (r[s->index / 4] << s->scale) + s->disp;
}

/* The site for in at EIP, if the stub can repeat it: true and *s. */
static bool site_of(const struct vcpu *v, const struct insn *in, uint32_t va,
		    struct sw_ptw_site *s)
{
	uint32_t eip = v->tf.eip, r[9];

	*s = (struct sw_ptw_site){ .eip = eip, .len = in->len };
	if (in->kind != INSN_MOV || in->map != MAP_ONE || in->opsize != DWORD ||
	    in->width != DWORD || in->addrsize != DWORD || in->prefixes || in->nprefixes ||
	    !in->has_mem || !in->mem_dst || in->seg != SREG_DS || in->len > CODE_BYTES ||
	    (eip & (MON_PGSIZE - 1)) > MON_PGSIZE - CODE_BYTES || eip >= SWITCHER_BASE)
		return false;
	if (!value_of(in, s) || !reg_slot(in->base, &s->base) || !reg_slot(in->index, &s->index))
		return false;
	s->scale = scale_shift(in->scale);
	s->disp = (uint32_t)in->disp;
	record_bytes(s, in);
	stub_regs(&v->tf, r);
	return site_address(s, r) == va;        /* the stub's sum is C's address */
}

static void arm_site(const struct sw_ptw_site *s)
{
	unsigned i = 0;

	while (i < SW_PTW_SITES && sw_data->ptw[i].eip != s->eip)	/* bound: SW_PTW_SITES */
		i++;
	if (i == SW_PTW_SITES) {
		i = a.next_site;
		a.next_site = (a.next_site + 1) % SW_PTW_SITES;
	}
	sw_data->ptw[i] = *s;
}

/* ---- the frames: what the shadow derives from each ---- */

/* The frame table is direct-mapped by host frame number (the stub finds
 * an entry from the shadow entry's frame alone). */
static unsigned frame_slot(uint32_t host)
{
	return (host >> MON_PGSHIFT) % SW_PTW_FRAMES;
}

/* Guest frame gfn's entry, as the shadow has it now: filled if the stub
 * may store to its entries, else cleared if it was gfn's. */
static void put_frame(uint32_t gfn)
{
	struct shadow_fast_frame ff;
	hpa_t h;

	if (gpa_to_hpa(gpa(gfn << MON_PGSHIFT), &h) < 0)
		return;
	unsigned i = frame_slot(h.v);
	struct sw_ptw_frame *e = &sw_priv->ptw[i];
	if (!allowed() || !shadow_fast_frame(gfn, &ff)) {
		if (e->key && a.gfn[i] == gfn)
			*e = (struct sw_ptw_frame){ 0 };
		return;
	}
	*e = (struct sw_ptw_frame){
		.key = (h.v & PTE_ADDR) | PTE_P, .host = h.v & PTE_ADDR,
		.writes = (uint32_t)(uintptr_t)ff.writes, .writes_max = ff.writes_max, .n = ff.n,
	};
	for (unsigned k = 0; k < ff.n; k++)	/* bound: SHADOW_FAST_SPTS */
		e->spt[k] = host_pa(ff.spt[k]);
	a.gfn[i] = gfn;
	a.count[i] = ff.writes;
}

/* The shadow's hook: what gfn is to it changed.  A page table the shadow
 * has just built a table from is armed before the guest writes it (a
 * process's fresh page tables take their first stores fast too). */
static void frame_changed(uint32_t gfn)
{
	if (mon_opts.ring == 1 && mon_opts.shadow == SHADOW_CACHED)
		put_frame(gfn);         /* (else never armed: nothing to follow) */
}

/* ---- arming, collecting, checking ---- */

void fastptw_arm(struct vcpu *v, const struct insn *in, uint32_t va, uint32_t gpa)
{
	struct sw_ptw_site s;
	uint16_t ds = (uint16_t)v->tf.ds;

	if (!allowed() || (va & (DWORD - 1)) || shadow_watched(gpa >> MON_PGSHIFT) ||
	    !vdesc_flat(ds, false) || !site_of(v, in, va, &s))
		return;         /* (a watched frame, the TSS: fastesp0.c's) */
	if (fastptw_armed && fastptw_basis.generation != vdesc_generation)
		disarm();               /* its sites were decoded under other tables */
	put_frame(gpa >> MON_PGSHIFT);  /* (it may have lost its slot to another) */
	arm_site(&s);
	sw_data->ptw_ds = ds;
	fastptw_basis = (struct fastptw_basis){ vdesc_generation, dr7_guest() };
	fastptw_armed = true;
}

/* The stub's stores changed shadow entries: whatever C keyed on
 * shadow_epoch (fastesp0.c) must look again. */
void fastptw_collect(struct vcpu *v)
{
	uint32_t n = sw_priv->ptw_count - fastptw_seen;

	fastptw_seen += n;
	v->stats.fast_pt_writes += n;
	shadow_epoch++;
}

void fastptw_disarm(void)
{
	disarm();
}

#ifdef MON_HOST_TEST
/* ---- the stub, in C, for the host harnesses (entry.asm is the real one) ---- */

static const struct sw_ptw_site *stub_site(const struct trapframe *f, const uint8_t code[8])
{
	uint32_t head = code[0] | code[1] << 8 | code[2] << 16 | (uint32_t)code[3] << 24;
	uint32_t tail = code[4] | code[5] << 8 | code[6] << 16 | (uint32_t)code[7] << 24;

	for (unsigned i = 0; i < SW_PTW_SITES; i++) {	/* bound: SW_PTW_SITES */
		const struct sw_ptw_site *s = &sw_data->ptw[i];
		if (f->eip != s->eip)
			continue;
		if (f->cs != sw_data->kcs || f->ss != sw_data->kss ||
		    (f->ds & 0xFFFF) != sw_data->ptw_ds ||
		    (head & s->head_mask) != s->head || (tail & s->tail_mask) != s->tail)
			return 0;
		return s;
	}
	return 0;
}

/* The armed frame the shadow entry of cr2 maps, if it is marked: its
 * index, or SW_PTW_FRAMES. */
static unsigned stub_frame(uint32_t cr2, uint32_t root)
{
	uint32_t spde = ((const uint32_t *)host_va(root & PTE_ADDR))[cr2 >> 22];
	if ((spde & (PTE_P | PTE_PS)) != PTE_P)
		return SW_PTW_FRAMES;
	uint32_t spte = ((const uint32_t *)host_va(spde & PTE_ADDR))[(cr2 >> 12) & 0x3FF];
	unsigned i = frame_slot(spte);
	if ((spte & (PTE_P | SPTE_PT_WRITABLE)) != (PTE_P | SPTE_PT_WRITABLE) ||
	    sw_priv->ptw[i].key != (spte & (PTE_ADDR | PTE_P)))
		return SW_PTW_FRAMES;
	return i;
}

bool fastptw_stub(struct trapframe *f, uint32_t cr2, uint32_t root, const uint8_t code[8])
{
	const struct sw_ptw_site *s;
	uint32_t r[9];
	unsigned i;

	if (f->err != (PFE_P | PFE_W) || (f->eflags & (FL_VM | FL_TF)) || !(s = stub_site(f, code)))
		return false;
	stub_regs(f, r);
	if (site_address(s, r) != cr2 || (cr2 & (DWORD - 1)) || cr2 >= SWITCHER_BASE ||
	    (i = stub_frame(cr2, root)) == SW_PTW_FRAMES)
		return false;
	struct sw_ptw_frame *e = &sw_priv->ptw[i];
	uint8_t *count = a.count[i];    /* (e->writes: a monitor address) */
	if (*count >= e->writes_max)
		return false;
	(*count)++;
	*(uint32_t *)host_va(e->host + (cr2 & ENTRY_OFF)) = r[s->src / 4] | s->imm;
	for (unsigned k = 0; k < e->n; k++)	/* bound: SW_PTW_SPTS (C's n) */
		*(uint32_t *)host_va(e->spt[k] + (cr2 & ENTRY_OFF)) &= ~PTE_P;
	sw_priv->ptw_count++;
	f->eip += s->len;
	f->eflags &= ~FL_RF;
	return true;
}
#endif
