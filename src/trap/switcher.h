/*
 * switcher.h - the pages shared by the monitor's and the guest's address
 * spaces, and the world switch (layout in src/monitor/layout.h).
 */
#ifndef TRAP_SWITCHER_H
#define TRAP_SWITCHER_H

#include <stdbool.h>
#include <stdint.h>
#include "monitor/layout.h"
#include "monitor/vcpu.h"
#include "trap/desc.h"

/* Readable by the guest (paging cannot hide it from ring 1): only what
 * the entry stub needs before it is in the monitor's address space. */
#define SW_CR3_HINTS 64
#define SW_FAST_READS 2         /* ports the IN fast path may answer */
#define SW_NO_PORT 0xFFFFFFFFu  /* no zero-extended port number is this */
#define SW_PTW_SITES 4          /* page-table store instructions armed */
#define SW_PTW_FRAMES 64        /* ...and the guest page tables they may write
				   (direct-mapped by host frame: a power of 2) */
#define SW_PTW_SPTS 4           /* shadow tables per such frame (SHADOW_FAST_SPTS) */
#define SW_PTW_NONE 0xFFFFFFFFu /* an unused site's EIP: the switcher's slot */
/* The registers of a site (src, base, index), as offsets into what the
 * stub pushes: a zero dword, then PUSHAD (EDI first). */
#define SW_PTW_ZERO 0u
#define SW_PTW_REG(n) (4u + 4u * (7u - (n)))

struct switcher_data {
	uint32_t mon_cr3;       /* the monitor's page directory */
	/* the MOV CR3 fast path (entry.asm): guest paging is on, and which
	 * shadow root serves which guest CR3 (slot: frame number % 64; a
	 * shadow_mmu hint, kept only while the root lives).  Read-only to the
	 * guest, as the monitor loads these roots into the real CR3. */
	uint32_t paging;
	struct { uint32_t key, root; } cr3[SW_CR3_HINTS];
	/* the IN fast path (entry.asm): ports whose one-byte read the stub
	 * answers alone, with the value the device model gives now
	 * (switcher_set_fast_reads; port SW_NO_PORT: an unused entry).
	 * Read-only to the guest, so it holds only what the monitor put
	 * there; nothing in it is secret (an IN reads the same). */
	struct sw_fast_read { uint32_t port, value; } in[SW_FAST_READS];
	uint32_t invlpg_free;   /* the INVLPG fast path may run (not 0) */
	/* the GDTR the CLI and STI fast paths load (LGDT): the GDT with the
	 * guest's user code segments hidden, or shown, or the one loaded now
	 * when the stub may not change it (switcher_fast_gdt) */
	struct sw_gdtr { uint16_t pad, limit; uint32_t base; } gdtr_cli, gdtr_sti;
	/* the #PF fast path (entry.asm, sw_fast_pf): the guest-virtual address
	 * of the guest's TSS.ESP0 while a store there may be done by the stub
	 * (fastesp0.c); 0 otherwise.  Only a filter: the rest is private. */
	uint32_t esp0_va;
	/* the #GP fast path's guard (sw_fast_gp): the guest kernel's flat code
	 * selector and its 32-bit stack selector, as a trap frame holds them
	 * (0: no fast path).  Read-only to the guest: the stub reads the
	 * instruction bytes at linear EIP and IRETs to that SS, so a forged
	 * selector (a code segment with a base, a 16-bit stack) would make it
	 * read the wrong bytes, or fault in ring 0 */
	uint32_t kcs, kss;
	/* the #PF fast path's page-table writes (fastptw.c): the store
	 * instructions it may complete, decoded by C, which the stub compares
	 * at linear EIP and evaluates with the registers the trap saved.
	 * Nothing here is secret (the guest's own code); read-only to the
	 * guest, since the stub stores what a site says to the address it
	 * computes.  ptw_ds: the flat data selector each site's operand goes
	 * through (DS, no override), as DS must hold it. */
	struct sw_ptw_site {
		uint32_t eip;           /* the store (SW_PTW_NONE: an unused site) */
		uint32_t head, head_mask;       /* bytes 0-3 at EIP, those it has */
		uint32_t tail, tail_mask;       /* ...4-7 */
		uint32_t len;
		uint32_t src, imm;      /* the value: [regs + src] | imm */
		uint32_t base, index;   /* the address: [regs + base] + */
		uint32_t scale;         /* ([regs + index] << scale) + disp */
		uint32_t disp;
	} ptw[SW_PTW_SITES];
	uint32_t ptw_ds;
};

/* Mapped in the monitor's view only: what the stubs need once on the
 * monitor's CR3, and the exit path's choices for the next resume. */
/* A data segment register the exit path loads from a briefly patched
 * slot (vdesc.c, vdesc_resume_patches): slot, the linear address of the
 * real GDT or LDT entry its selector names (0: load it plainly); desc,
 * what the slot holds for the load; table, what it holds again after.
 * An LDT selector beyond the guest's LDT (ldtr not 0) is loaded through
 * a real LDTR whose limit reaches its slot: GDT_MON_LDT holds ldt for the
 * load, then ldt_after again, and the LDTR is loaded with ldtr_after
 * (SEL_MON_LDT or null, as before). */
struct sw_keep {
	uint32_t slot;
	uint32_t sel;           /* the selector it is loaded with */
	struct segdesc desc;
	struct segdesc table;
	uint32_t ldtr;
	uint32_t ldtr_after;
	struct segdesc ldt;
	struct segdesc ldt_after;
};

enum { KEEP_DS, KEEP_ES, KEEP_REGS };

struct switcher_priv {
	uint32_t guest_cr3;     /* the shadow page directory the guest runs on */
	uint32_t mon_stack_top; /* the monitor's stack for guest traps */
	uint32_t guest_trap;    /* void guest_trap(struct trapframe *) */
	uint32_t host_trap;     /* void host_trap(struct trapframe *) */
	uint32_t espfix_esp;    /* non-zero: resume on SEL_MON_ESPFIX:this */
	uint32_t espfix_base;   /* that segment's base (frame = base + esp) */
	uint32_t dr7_monitor;   /* the real DR7 while the monitor runs ... */
	uint32_t dr7_guest;     /* ... and while the guest does (debugreg.h) */
	struct sw_keep keep[KEEP_REGS]; /* DS and ES with a kept hidden descriptor */
	/* the store to TSS.ESP0 the #PF fast path may do (fastesp0.c): all
	 * checked in the monitor's view, none of it the guest's to write */
	struct sw_esp0 {
		uint32_t root;          /* the real CR3 (shadow root) it faults in */
		uint32_t eip, cs;       /* the store instruction, as in the frame */
		uint32_t code;          /* its bytes: host address (monitor view) */
		uint32_t head;          /* its bytes 0-3 (it has at least 4) */
		uint32_t tail, tail_mask;       /* ...4-7, those it has */
		uint32_t src;           /* the source register's offset in a PUSHAD */
		uint32_t len;           /* the instruction's length */
		uint32_t esp0;          /* the guest's TSS.ESP0: host address */
		uint32_t count;         /* stores done, for C to collect */
	} esp0;
	/* the guest page tables whose entries the page-table write fast path
	 * may store to (fastptw.c), found by the host frame the shadow entry
	 * of the store's address maps: entry (frame number % SW_PTW_FRAMES) */
	struct sw_ptw_frame {
		uint32_t key;           /* that host frame | PTE_P (0: unused) */
		uint32_t host;          /* its host address */
		uint32_t writes;        /* host address of its unprotect count (a byte) */
		uint32_t writes_max;    /* the stub writes while the count is below */
		uint32_t n;             /* shadow page tables built from the frame */
		uint32_t spt[SW_PTW_SPTS];      /* their host addresses */
	} ptw[SW_PTW_FRAMES];
	uint32_t ptw_count;     /* page-table stores done, for C to collect */
};

#define SW_FAST_CRS 5           /* CR0-CR4 (CR1 is never read: #UD) */

/* The fast path's state (entry.asm, sw_fast_gp), at the bottom of the
 * vCPU page, below the ring-0 stack.  That page is writable by the guest
 * kernel, so this is the guest's own virtual state and hints, nothing the
 * monitor's safety rests on: guest_trap() reads it back as untrusted at
 * every entry (fastpath_enter) and writes it at every exit
 * (fastpath_leave).  The stub handles a #GP on CLI or STI in the guest
 * kernel by itself when these say it may, without the world switch. */
struct switcher_fast {
	uint8_t vif;            /* the virtual IF */
	uint8_t pending;        /* a virtual interrupt is due: STI takes the C path */
	uint8_t cli_fast;       /* the CLI may be fast: iflag=real (it clears the
				   real IF) and user code hidden, or hidden by
				   the CLI's own LGDT */
	uint8_t pad;
	uint32_t shadow_eip;    /* not 0: STI opened an interrupt shadow that
				   covers the instruction here */
	uint32_t cr[SW_FAST_CRS];       /* what MOV from CRn reads (n = 0, 2, 3, 4);
				   cr[3]: the guest's CR3 as the stub last
				   loaded it */
	uint32_t cli, sti, mov_cr3;     /* counts, for the exit table */
	uint32_t in, mov_from_cr, invlpg;
};

/* The hardware's 32-bit task-state segment (only ss0:esp0 and the I/O map
 * base matter to us: no hardware task switches happen). */
struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomb;
};

/* The switcher's page table entries for the guest's and the monitor's
 * page directories (slot SWITCHER_PDX). */
extern uint32_t sw_pt_guest[1024], sw_pt_mon[1024];

/* The monitor-side addresses of the switcher's tables. */
extern struct segdesc *const sw_gdt;          /* user code segments hidden */
extern struct segdesc *const sw_gdt_shown;    /* ...and shown */
extern struct segdesc *const sw_ldt;
extern struct switcher_data *const sw_data;
extern struct switcher_priv *const sw_priv;
extern struct switcher_fast *const sw_fast;
extern struct trapframe *const sw_frame;        /* the frame at the vCPU page's top */

void switcher_init(void);       /* build GDT, IDT, TSS and the page tables; copy the code */
void switcher_load(void);       /* load them: after paging is on */
void switcher_run(void) __attribute__((noreturn));      /* resume the guest */

/* Real IDT gate n: *g (a direct gate, vidt.c), or the monitor's own stub
 * (g NULL); and the real TSS's ring-1 stack, which the CPU switches to on
 * a direct gate from user mode. */
void switcher_set_gate(unsigned n, const struct segdesc *g);
void switcher_set_ring1_stack(uint16_t ss, uint32_t esp);

/* The ports the IN fast path answers from now on, and their values (n at
 * most SW_FAST_READS; 0: none, every IN goes to C). */
void switcher_set_fast_reads(const struct sw_fast_read *r, unsigned n);
/* Whether the fast path may complete a guest INVLPG alone (the shadow
 * strategy has nothing to do for one: shadow_invlpg_needed). */
void switcher_set_invlpg_free(bool free);
/* A monitor descriptor (index GDT_MON_FIRST and up): in both GDTs. */
void switcher_gdt_mon(unsigned i, struct segdesc d);
/* Load the GDT that shows the guest's user code segments, or the one
 * that hides them (vdesc.c); which one the CPU holds now (the fast path
 * may have changed it since the last exit). */
void switcher_show_user(bool shown);
#ifdef MON_HOST_TEST
bool switcher_user_shown(void);         /* the host tests' simulated CPU */
#else
static inline bool switcher_user_shown(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g;
	__asm__ volatile("sgdt %0" : "=m"(g));
	return g.base == SW_VA(SW_GDT_SHOWN_OFF);
}
#endif
/* The GDT the fast path's CLI and STI load (LGDT): user code shown
 * (true) or hidden. */
void switcher_fast_gdt(bool cli_shows, bool sti_shows);

/* The next resume returns to a stack segment of 16 bits: see espfix in
 * switcher.c.  guest_esp is the ESP the guest will have. */
void switcher_espfix(bool sixteen_bit_stack, uint32_t guest_esp);

/* True if eip is in the exit path, where a fault means the guest state
 * the monitor was about to load was bad. */
int switcher_in_exit_path(uint32_t eip);

#endif
