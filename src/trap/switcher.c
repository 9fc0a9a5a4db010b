/*
 * switcher.c - builds the switcher: the GDT, IDT and TSS the real CPU uses
 * while the guest runs, the copy of the entry/exit code, and the two page
 * tables that map all of it into the top 4 MB of both address spaces.
 *
 * Mechanism and layout: src/monitor/layout.h.  The guest's view (sw_pt_guest)
 * maps every page read-only and supervisor, except the vCPU page the CPU
 * pushes frames on; with CR0.WP set, a ring-1 write to the GDT, IDT, TSS or
 * code faults.  The monitor's view (sw_pt_mon) maps them writable, since the
 * CPU itself writes there while the monitor runs (LTR's busy bit).  The
 * monitor edits the tables through their ordinary (identity) addresses.
 *
 * IDT: 256 interrupt gates, DPL 0, all to the monitor.  DPL 0 makes an
 * INT n from the guest (ring 1 or 3) raise #GP with the vector in the error
 * code, so the monitor decides, from the guest's own IDT, whether the guest
 * allowed it.  Interrupt gates keep the real IF clear in the monitor.
 *
 * TSS: ss0:esp0 is the top of the vCPU page; the I/O map base is past the
 * limit, so every IN/OUT from ring 1 or 3 traps (IOPL is always 0).
 *
 * LDTR: null from the start (the CPU's reset LDTR, base 0 limit 0xFFFF,
 * would let it read descriptors, call gates included, from guest memory at
 * linear 0-0xFFFF that no one validated).  vdesc.c points it at the
 * switcher's LDT only when the guest's LLDT has validated entries.
 *
 * espfix: IRET to a stack segment of 16 bits loads only SP; the high half
 * of ESP keeps what it held in ring 0, which would show the guest the
 * switcher's stack address.  So before such a return the exit path moves
 * to a ring-0 stack segment (SEL_MON_ESPFIX) whose base is chosen so that
 * the same frame sits at an ESP whose high half is the guest's own (Linux
 * calls this espfix).
 */
#include "switcher.h"
#include "fastptw.h"
#include "monitor/monitor.h"
#include "monitor/x86.h"
#include "lib/mem.h"
#include "shadow_mmu/shadow.h"

#define PTE_P 0x001u
#define PTE_W 0x002u

extern const uint8_t sw_code_start[], sw_code_end[];
extern const uint32_t sw_vector_offsets[256], sw_resume_offset, sw_exit_offsets[2];

static uint8_t sw_pages[SW_PAGES][4096] __attribute__((aligned(4096)));
uint32_t sw_pt_guest[1024] __attribute__((aligned(4096)));
uint32_t sw_pt_mon[1024] __attribute__((aligned(4096)));
static uint8_t mon_trap_stack[16384] __attribute__((aligned(16)));

#define SW_HOST(off) ((void *)((uintptr_t)sw_pages + (off)))

struct segdesc *const sw_gdt = SW_HOST(SW_GDT_OFF);
struct segdesc *const sw_gdt_shown = SW_HOST(SW_GDT_SHOWN_OFF);
struct segdesc *const sw_ldt = SW_HOST(SW_LDT_OFF);
struct switcher_data *const sw_data = SW_HOST(SW_DATA_OFF);
struct switcher_priv *const sw_priv = SW_HOST(SW_PRIV_OFF);
struct switcher_fast *const sw_fast = SW_HOST(SW_VCPU_OFF);
struct trapframe *const sw_frame =
	SW_HOST(SW_VCPU_OFF + 4096 - sizeof(struct trapframe));
static struct segdesc *const sw_idt = SW_HOST(SW_IDT_OFF);
static struct tss32 *const sw_tss = SW_HOST(SW_TSS_OFF);

_Static_assert(SW_GDT_OFF + GDT_ENTRIES * 8 <= SW_IDT_OFF, "GDT below the IDT");
_Static_assert(SW_IDT_OFF + 256 * 8 <= SW_TSS_OFF, "IDT below the TSS");
_Static_assert(SW_TSS_OFF + sizeof(struct tss32) <= SW_DATA_OFF, "TSS below the data");
_Static_assert(SW_DATA_OFF + sizeof(struct switcher_data) <= SW_LDT_OFF, "data fits");
_Static_assert(SW_LDT_OFF + LDT_ENTRIES * 8 <= SW_CODE_OFF, "LDT below the code");
_Static_assert(SW_CODE_OFF + SW_CODE_SIZE <= SW_VCPU_OFF, "code below the vCPU page");
_Static_assert(sizeof(struct tss32) == 104, "hardware TSS layout");
_Static_assert(SW_PRIV_OFF + 4096 <= SW_GDT_SHOWN_OFF, "private page below the second GDT");
_Static_assert(SW_GDT_SHOWN_OFF + GDT_ENTRIES * 8 == SW_PAGES * 4096, "second GDT is last");
_Static_assert(sizeof(struct switcher_fast) + 512 + sizeof(struct trapframe) <= 4096,
	       "the fast path's state leaves the ring-0 stack room");

void guest_trap(struct trapframe *f);
void host_trap(struct trapframe *f);

static void map_pages(void)
{
	for (uint32_t i = 0; i < SW_PAGES; i++) {	/* bound: SW_PAGES */
		uint32_t pa = (uint32_t)sw_pages[i];
		int writable = i * 4096 == SW_VCPU_OFF, priv = i * 4096 == SW_PRIV_OFF;
		sw_pt_mon[i] = pa | PTE_P | PTE_W;
		sw_pt_guest[i] = priv ? 0 : pa | PTE_P | (writable ? PTE_W : 0);
	}
}

static void build_tables(void)
{
	uint32_t code_va = SW_VA(SW_CODE_OFF);

	switcher_gdt_mon(GDT_MON_CS, desc_make(0, 0xFFFFFFFF, SEG_T_CODE | SEG_T_R | SEG_T_ACCESSED,
					       0, true, true));
	switcher_gdt_mon(GDT_MON_DS, desc_make(0, 0xFFFFFFFF, SEG_T_W | SEG_T_ACCESSED, 0, true, true));
	switcher_gdt_mon(GDT_MON_TSS, desc_make(SW_VA(SW_TSS_OFF), sizeof(struct tss32) - 1,
						SYS_T_TSS32A, 0, false, false));

	for (int v = 0; v < 256; v++)	/* bound: 256 vectors */
		sw_idt[v] = gate_make(code_va + sw_vector_offsets[v], SEL_MON_CS, SYS_T_INT32, 0);

	sw_tss->ss0 = SEL_MON_DS;
	sw_tss->esp0 = SW_VA(SW_VCPU_OFF) + 4096;
	sw_tss->iomb = sizeof(struct tss32);    /* no I/O bitmap: all ports trap */

	sw_priv->mon_stack_top = (uint32_t)(mon_trap_stack + sizeof mon_trap_stack);
	sw_priv->guest_trap = (uint32_t)guest_trap;
	sw_priv->host_trap = (uint32_t)host_trap;
}

static void load_tables(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; }
		gdtr = { GDT_ENTRIES * 8 - 1, SW_VA(SW_GDT_OFF) },
		idtr = { 256 * 8 - 1, SW_VA(SW_IDT_OFF) };

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	switcher_show_user(true);       /* as vdesc_mode starts */
	__asm__ volatile(
		"movw %w0, %%ds\n\tmovw %w0, %%es\n\tmovw %w0, %%fs\n\t"
		"movw %w0, %%gs\n\tmovw %w0, %%ss\n\t"
		"ljmp %1, $1f\n1:"
		: : "r"(SEL_MON_DS), "i"(SEL_MON_CS) : "memory");
	__asm__ volatile("lidt %0" : : "m"(idtr));
	__asm__ volatile("ltr %w0" : : "r"(SEL_MON_TSS));
	lldt(0);
}

/* Call with paging on, the monitor's page directory mapping sw_pt_mon. */
void switcher_init(void)
{
	uint32_t n = (uint32_t)(sw_code_end - sw_code_start);

	if (n > SW_CODE_SIZE)
		mon_panic("switcher code is %u bytes, its pages hold %u", n, SW_CODE_SIZE);
	memcpy(SW_HOST(SW_CODE_OFF), sw_code_start, n);
	map_pages();
	build_tables();
	switcher_set_fast_reads(0, 0);
	fastptw_init();
}

void switcher_load(void)
{
	load_tables();
}

void switcher_run(void)
{
	void (*resume)(void) = (void (*)(void))(SW_VA(SW_CODE_OFF) + sw_resume_offset);
	resume();
	__builtin_unreachable();
}

void shadow_hint_cr3(uint32_t key, uint32_t root)
{
	unsigned slot = (key >> 12) % SW_CR3_HINTS;
	sw_data->cr3[slot].key = key;
	sw_data->cr3[slot].root = root;
}

void shadow_forget_cr3(uint32_t key)
{
	unsigned slot = (key >> 12) % SW_CR3_HINTS;
	if (sw_data->cr3[slot].key == key)
		sw_data->cr3[slot].key = sw_data->cr3[slot].root = 0;
}

void switcher_set_fast_reads(const struct sw_fast_read *r, unsigned n)
{
	for (unsigned i = 0; i < SW_FAST_READS; i++) {	/* bound: SW_FAST_READS */
		sw_data->in[i].port = i < n ? r[i].port : SW_NO_PORT;
		sw_data->in[i].value = i < n ? r[i].value : 0;
	}
}

void switcher_set_invlpg_free(bool free)
{
	sw_data->invlpg_free = free;
}

void switcher_set_gate(unsigned n, const struct segdesc *g)
{
	uint32_t code_va = SW_VA(SW_CODE_OFF);

	sw_idt[n & 0xFF] = g ? *g : gate_make(code_va + sw_vector_offsets[n & 0xFF], SEL_MON_CS,
					      SYS_T_INT32, 0);
}

void switcher_set_ring1_stack(uint16_t ss, uint32_t esp)
{
	sw_tss->ss1 = ss;
	sw_tss->esp1 = esp;
}

void switcher_espfix(bool sixteen_bit_stack, uint32_t guest_esp)
{
	uint32_t frame = SW_VA(SW_VCPU_OFF) + 4096 - sizeof(struct trapframe);
	uint32_t esp = (guest_esp & 0xFFFF0000u) | (frame & 0xFFFFu);

	if (!sixteen_bit_stack) {
		sw_priv->espfix_esp = 0;
		return;
	}
	sw_priv->espfix_esp = esp;
	sw_priv->espfix_base = frame - esp;
	switcher_gdt_mon(GDT_MON_ESPFIX, desc_make(frame - esp, 0xFFFFFFFF, SEG_T_W | SEG_T_ACCESSED,
						   0, true, true));
}

/* ---- the two GDTs ---- */

/* The GDTR image LGDT takes (6 bytes from &limit). */
static struct sw_gdtr gdtr_of(bool shown)
{
	return (struct sw_gdtr){ 0, GDT_ENTRIES * 8 - 1,
				 SW_VA(shown ? SW_GDT_SHOWN_OFF : SW_GDT_OFF) };
}

void switcher_gdt_mon(unsigned i, struct segdesc d)
{
	sw_gdt[i % GDT_ENTRIES] = d;
	sw_gdt_shown[i % GDT_ENTRIES] = d;
}

void switcher_show_user(bool shown)
{
	struct sw_gdtr g = gdtr_of(shown);
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } r = { g.limit, g.base };
	__asm__ volatile("lgdt %0" : : "m"(r));
}

void switcher_fast_gdt(bool cli_shows, bool sti_shows)
{
	sw_data->gdtr_cli = gdtr_of(cli_shows);
	sw_data->gdtr_sti = gdtr_of(sti_shows);
}

int switcher_in_exit_path(uint32_t eip)
{
	uint32_t base = SW_VA(SW_CODE_OFF);
	return eip >= base + sw_exit_offsets[0] && eip <= base + sw_exit_offsets[1];
}
