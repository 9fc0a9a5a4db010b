/*
 * vtlb.c - shadow=vtlb: the shadow page tables as a virtual TLB.
 *
 * Mechanism: a real TLB caches translations and may drop any of them at
 * any time; software must flush it after changing a page table (INVLPG for
 * one page, a CR3 write for all non-global ones).  A shadow that behaves
 * like that TLB is therefore correct for any guest that is correct on real
 * hardware: it starts empty, an access to a missing entry raises a real
 * #PF the guest never sees (a hidden fault), shadow_fault() walks the
 * guest's tables (gwalk) and installs the translation, and the guest's own
 * flushes (CR3 writes, INVLPG, CR4.PGE or CR0.WP/PG changes) drop entries.
 *
 *   guest CR3 -> gpde -> gpte -> guest frame --p2m--> host frame
 *   real CR3  -> spde -> spte -------------------------^
 *
 * Each shadow page table covers what one guest PDE covers: a guest page
 * table, or a 4 MB guest page split into 1024 4 KB sptes (the shadow never
 * uses 4 MB pages, so the p2m may scatter a guest's 4 MB page).
 *
 * Accessed and dirty bits: the walk sets A (and D on a write) in the guest
 * entry when it fills the spte.  An spte is writable only if the guest's
 * entry is writable *and* already dirty, so the first write to a clean page
 * faults (hidden) and sets D, exactly when the real MMU would.
 *
 * CR0.WP = 0: the real CR0.WP stays 1 (it protects the switcher), so a
 * guest-supervisor write to a guest-read-only page is given an spte that is
 * writable but supervisor-only; a later user access faults (hidden) and
 * gets the user's view back.
 *
 * Invariants: spd[SWITCHER_PDX] always maps the switcher (guest view);
 * every other present spde points to a shadow page table this file
 * allocated; big[] marks the slots filled from a 4 MB guest page.
 */
#include "shadow.h"
#include "gwalk.h"
#include "monitor/memory.h"
#include "monitor/monitor.h"
#include "monitor/layout.h"
#include "monitor/x86.h"
#include "monitor/run.h"
#include "trap/switcher.h"
#include "lib/mem.h"

static uint32_t *spd;                   /* the shadow page directory */
static uint8_t big[1024];

void shadow_init(void)
{
	spd = host_frame_zeroed();
	if (!spd)
		mon_panic("no host frame for the shadow page directory");
	spd[SWITCHER_PDX] = (uint32_t)sw_pt_guest | PTE_P | PTE_W;
}

uint32_t shadow_root(void)
{
	return (uint32_t)spd;
}

static void drop_slot(uint32_t i)
{
	if (!(spd[i] & PTE_P))
		return;
	frames_unref(&host_frames, spd[i] >> MON_PGSHIFT);
	spd[i] = 0;
	big[i] = 0;
}

void shadow_flush(struct vcpu *v)
{
	for (uint32_t i = 0; i < SWITCHER_PDX; i++)
		drop_slot(i);
	v->stats.shadow_flushes++;
	if (mon_opts.trace & TRACE_MMU)
		mon_log("mmu flush: guest cr3 0x%x cr0 0x%x cr4 0x%x", v->cr3, v->cr0, v->cr4);
}

void shadow_invlpg(struct vcpu *v, uint32_t va)
{
	uint32_t i = va >> 22;

	v->stats.shadow_invlpgs++;
	if (mon_opts.trace & TRACE_MMU)
		mon_log("mmu invlpg 0x%x%s", va, big[i] ? " (4 MB guest page: slot dropped)" : "");
	if (i == SWITCHER_PDX || !(spd[i] & PTE_P))
		return;
	if (big[i]) {           /* the guest's TLB entry covered all 4 MB */
		drop_slot(i);
		return;
	}
	((uint32_t *)(spd[i] & PTE_ADDR))[(va >> 12) & 0x3FF] = 0;
}

static uint32_t *slot_table(uint32_t i, bool from_big)
{
	if (!(spd[i] & PTE_P)) {
		uint32_t *pt = host_frame_zeroed();
		if (!pt)
			return NULL;
		spd[i] = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
	}
	big[i] |= from_big;
	return (uint32_t *)(spd[i] & PTE_ADDR);
}

/* The guest's view of va for this access, or why there is none. */
static enum shadow_result guest_view(struct vcpu *v, uint32_t va, uint32_t hw_err,
				     struct gwalk_res *res, uint32_t *guest_err, uint32_t *bad)
{
	struct gwalk_req req = {
		.cr3 = v->cr3, .pse = (v->cr4 & CR4_PSE) != 0, .wp = (v->cr0 & CR0_WP) != 0,
		.va = va, .write = (hw_err & PFE_W) != 0, .user = (hw_err & PFE_U) != 0,
		.set_ad = true,
	};

	if (!(v->cr0 & CR0_PG)) {       /* physical mode: va is the gpa */
		*res = (struct gwalk_res){ .gpa = va, .w = true, .u = true, .dirty = true };
		return va >= SWITCHER_BASE ? SHADOW_SWITCHER : SHADOW_FILLED;
	}
	switch (gwalk(&guest_phys_words, &req, res)) {
	case GWALK_OK:
		return (va >> 22) == SWITCHER_PDX ? SHADOW_SWITCHER : SHADOW_FILLED;
	case GWALK_FAULT:
		*guest_err = res->err;
		return SHADOW_GUEST_FAULT;
	default:
		*bad = res->bad_gpa;
		return SHADOW_BAD_GPA;
	}
}

enum shadow_result shadow_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
				uint32_t *guest_err, uint32_t *bad)
{
	struct gwalk_res res;
	hpa_t h;
	enum shadow_result r = guest_view(v, va, hw_err, &res, guest_err, bad);

	if (r != SHADOW_FILLED)
		return r;
	if (gpa_to_hpa(gpa(res.gpa & PTE_ADDR), &h) < 0) {
		*bad = res.gpa;
		return SHADOW_BAD_GPA;
	}
	uint32_t spte = h.v | PTE_P;
	bool user = (hw_err & PFE_U) != 0, write = (hw_err & PFE_W) != 0;
	if (res.w && res.dirty)
		spte |= PTE_W;
	if (res.u)
		spte |= PTE_U;
	if (!res.w && write && !user) /* CR0.WP = 0: supervisor may write */
		spte = (spte | PTE_W) & ~PTE_U;
	uint32_t *pt = slot_table(va >> 22, res.big);
	if (!pt) {              /* out of host frames: start over */
		shadow_flush(v);
		pt = slot_table(va >> 22, res.big);
		if (!pt)
			mon_panic("no host frame for a shadow page table");
	}
	pt[(va >> 12) & 0x3FF] = spte;
	v->stats.hidden_pf++;
	if (mon_opts.trace & TRACE_MMU)
		mon_log("mmu fill va 0x%x -> gpa 0x%x hpa 0x%x %s%s%s", va, res.gpa, h.v,
			spte & PTE_W ? "W" : "R", spte & PTE_U ? "U" : "S", res.big ? " (4 MB)" : "");
	return SHADOW_FILLED;
}
