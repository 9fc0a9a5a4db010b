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
 * What a filled entry allows (dirty bits, CR0.WP = 0) is spte.c's, shared
 * with shadow=cached.
 *
 * ring=3: two such TLBs, one per view (shadow.h), flushed together; the
 * view in use is filled and read.
 *
 * Invariants: spd[SWITCHER_PDX] always maps the switcher (guest view);
 * every other present spde points to a shadow page table this file
 * allocated; big[] marks the slots filled from a 4 MB guest page.
 */
#include "shadow.h"
#include "gwalk.h"
#include "spte.h"
#include "monitor/memory.h"
#include "monitor/monitor.h"
#include "monitor/layout.h"
#include "monitor/x86.h"
#include "monitor/run.h"

#define VIEWS 2                 /* [0]: kernel (or the only one), [1]: user */

static uint32_t *spds[VIEWS];           /* the shadow page directories */
static uint8_t bigs[VIEWS][1024];
static uint32_t *spd;                   /* the current view's */
static uint8_t *big;

static unsigned view_index(void)
{
	return shadow_cur_view == SHADOW_USER;
}

static unsigned nviews;                 /* 2 in ring=3, else 1 */

static void vtlb_init(uint32_t switcher_pde)
{
	nviews = mon_opts.ring == 3 ? VIEWS : 1;
	for (unsigned k = 0; k < nviews; k++) {	/* bound: VIEWS views */
		spds[k] = host_frame_zeroed();
		if (!spds[k])
			mon_panic("no host frame for the shadow page directory");
		spds[k][SWITCHER_PDX] = switcher_pde;
		for (uint32_t i = 0; i < 1024; i++)	/* bound: 1024 slots */
			bigs[k][i] = 0;
	}
	spd = spds[view_index()];
	big = bigs[view_index()];
}

static uint32_t vtlb_root(void)
{
	return host_pa(spd);
}

static void drop_slot_of(unsigned k, uint32_t i)
{
	if (!(spds[k][i] & PTE_P))
		return;
	host_frame_free(host_va(spds[k][i] & PTE_ADDR));
	spds[k][i] = 0;
	bigs[k][i] = 0;
}

static void vtlb_flush(struct vcpu *v)
{
	for (unsigned k = 0; k < nviews; k++)	/* bound: VIEWS views x SWITCHER_PDX slots */
		for (uint32_t i = 0; i < SWITCHER_PDX; i++)
			drop_slot_of(k, i);
	v->stats.shadow_flushes++;
	if (mon_opts.trace & TRACE_MMU)
		mon_log("mmu flush: guest cr3 0x%x cr0 0x%x cr4 0x%x", v->cr3, v->cr0, v->cr4);
}

/* A TLB forgets everything at a CR3 write. */
static bool vtlb_new_cr3(struct vcpu *v)
{
	vtlb_flush(v);
	return true;
}

static void invlpg_view(unsigned k, uint32_t va)
{
	uint32_t i = va >> 22;

	if (i == SWITCHER_PDX || !(spds[k][i] & PTE_P))
		return;
	if (bigs[k][i]) {       /* the guest's TLB entry covered all 4 MB */
		drop_slot_of(k, i);
		return;
	}
	((uint32_t *)host_va(spds[k][i] & PTE_ADDR))[(va >> 12) & 0x3FF] = 0;
}

static void vtlb_invlpg(struct vcpu *v, uint32_t va)
{
	(void)v;
	if (mon_opts.trace & TRACE_MMU)
		mon_log("mmu invlpg 0x%x%s", va,
			big[va >> 22] ? " (4 MB guest page: slot dropped)" : "");
	for (unsigned k = 0; k < nviews; k++)	/* bound: VIEWS views */
		invlpg_view(k, va);
}

/* A switch of view (ring=3) uses the other TLB; nothing is flushed. */
static void vtlb_view_changed(struct vcpu *v)
{
	(void)v;
	spd = spds[view_index()];
	big = bigs[view_index()];
}

static uint32_t *slot_table(uint32_t i, bool from_big)
{
	if (!(spd[i] & PTE_P)) {
		uint32_t *pt = host_frame_zeroed();
		if (!pt)
			return NULL;
		spd[i] = host_pa(pt) | PTE_P | PTE_W | PTE_U;
	}
	big[i] |= from_big;
	return host_va(spd[i] & PTE_ADDR);
}

static enum shadow_result vtlb_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
				     uint32_t *guest_err, uint32_t *bad)
{
	struct gwalk_res res;
	hpa_t h = { 0 };
	uint32_t spte;
	enum shadow_result r = shadow_guest_view(v, va, hw_err, &res, guest_err, bad);

	if (r == SHADOW_MMIO && shadow_mmio_image(&res, hw_err, &spte)) {
		r = SHADOW_FILLED;      /* a read of a device's read image */
	} else if (r != SHADOW_FILLED) {
		return r;
	} else if (gpa_to_hpa(gpa(res.gpa & PTE_ADDR), &h) < 0) {
		*bad = res.gpa;
		return SHADOW_BAD_GPA;
	} else {
		spte = shadow_spte(&res, h.v, hw_err);
	}
	bool watched = shadow_watched(res.gpa >> MON_PGSHIFT);
	if (watched)
		spte &= ~PTE_W;         /* a descriptor table: writes are emulated */
	uint32_t *pt = slot_table(va >> 22, res.big);
	if (!pt) {              /* out of host frames: start over */
		vtlb_flush(v);
		pt = slot_table(va >> 22, res.big);
		if (!pt)
			mon_panic("no host frame for a shadow page table");
	}
	pt[(va >> 12) & 0x3FF] = spte;
	if (watched && (hw_err & PFE_W)) {
		*bad = res.gpa;
		return SHADOW_PT_WRITE;
	}
	v->stats.hidden_pf++;
	if (mon_opts.trace & TRACE_MMU)
		mon_log("mmu fill va 0x%x -> gpa 0x%x hpa 0x%x %s%s%s", va, res.gpa, h.v,
			spte & PTE_W ? "W" : "R", spte & PTE_U ? "U" : "S", res.big ? " (4 MB)" : "");
	return SHADOW_FILLED;
}

/* The guest's page tables are not write-protected: nothing derives from
 * a write until the guest flushes.  (Watched frames, shadow.h, are never
 * mapped writable here either: their writes come back as SHADOW_PT_WRITE,
 * and shadow.c tells the watcher.) */
static void vtlb_guest_wrote(struct vcpu *v, uint32_t gpa, uint32_t n)
{
	(void)v, (void)gpa, (void)n;
}

static bool vtlb_release(struct vcpu *v, uint32_t gpa)
{
	(void)v, (void)gpa;
	return false;
}

/* A frame is now watched: drop every mapping, writable ones included
 * (rare: at the guest's LGDT and LLDT). */
static void vtlb_watch_on(struct vcpu *v, uint32_t gfn)
{
	(void)gfn;
	vtlb_flush(v);
}

const struct shadow_ops shadow_vtlb = {
	.name = "vtlb",
	.init = vtlb_init,
	.root = vtlb_root,
	.new_cr3 = vtlb_new_cr3,
	.view_changed = vtlb_view_changed,
	.mode_changed = vtlb_flush,
	.invlpg = vtlb_invlpg,
	.fault = vtlb_fault,
	.guest_wrote = vtlb_guest_wrote,
	.release = vtlb_release,
	.watch_on = vtlb_watch_on,
};
