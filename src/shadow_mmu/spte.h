/*
 * spte.h - what a shadow entry says, for both strategies (the mechanism:
 * spte.c).  Inline: a hidden fault runs each of these once, and the fill
 * is the shadow MMU's hottest path.
 */
#ifndef SHADOW_SPTE_H
#define SHADOW_SPTE_H

#include "shadow.h"
#include "gwalk_ram.h"
#include "monitor/layout.h"
#include "monitor/x86.h"
#include "monitor/memory.h"

/* A translation to a device's registers is never mapped: the access is
 * emulated (memop.c, devices.c).  Guest RAM never is (gpa_mmio_add). */
static inline enum shadow_result mmio_or_filled(const struct gwalk_res *res, uint32_t *bad)
{
	if (res->gpa >> MON_PGSHIFT < guest_mem.nframes || !gpa_is_mmio(res->gpa))
		return SHADOW_FILLED;
	*bad = res->gpa;
	return SHADOW_MMIO;
}

/* The guest's view of va for the access described by a real #PF error
 * code: a walk of its tables (setting A/D), or identity with paging off. */
static inline __attribute__((always_inline))
enum shadow_result shadow_guest_view(struct vcpu *v, uint32_t va, uint32_t hw_err,
				     struct gwalk_res *res, uint32_t *guest_err, uint32_t *bad)
{
	struct gwalk_req req = {
		.cr3 = v->cr3, .pse = (v->cr4 & CR4_PSE) != 0, .wp = (v->cr0 & CR0_WP) != 0,
		.va = va, .write = (hw_err & PFE_W) != 0, .user = (hw_err & PFE_U) != 0,
		.set_ad = true,
	};

	if (!(v->cr0 & CR0_PG)) {       /* physical mode: va is the gpa */
		*res = (struct gwalk_res){ .gpa = va, .w = true, .u = true, .dirty = true };
		return va >= SWITCHER_BASE ? SHADOW_SWITCHER : mmio_or_filled(res, bad);
	}
	switch (gwalk_guest(&req, res)) {
	case GWALK_OK:
		return (va >> 22) == SWITCHER_PDX ? SHADOW_SWITCHER : mmio_or_filled(res, bad);
	case GWALK_FAULT:
		*guest_err = res->err;
		return SHADOW_GUEST_FAULT;
	default:
		*bad = res->bad_gpa;
		return SHADOW_BAD_GPA;
	}
}

/* The shadow entry for a guest translation res, backed by host-physical
 * frame hpa, after a fault with error code hw_err: writable only if the
 * guest's entry is writable and already dirty (so the first write sets D),
 * user if the guest's is, and the CR0.WP = 0 case. */
static inline uint32_t shadow_spte(const struct gwalk_res *res, uint32_t hpa, uint32_t hw_err)
{
	uint32_t spte = (hpa & PTE_ADDR) | PTE_P;
	bool user = (hw_err & PFE_U) != 0, write = (hw_err & PFE_W) != 0;

	if (res->w && res->dirty)
		spte |= PTE_W;
	if (res->u || shadow_cur_view == SHADOW_KERNEL)
		spte |= PTE_U;
	if (!res->w && write && !user) {        /* CR0.WP = 0: supervisor may write */
		spte |= PTE_W;
		if (shadow_cur_view == SHADOW_ALL)
			spte &= ~PTE_U;
	}
	return spte;
}

/* A read of a device page that has a read image (memory.h): true, and the
 * read-only shadow entry for it in *spte (user if the guest's is). */
bool shadow_mmio_image(const struct gwalk_res *res, uint32_t hw_err, uint32_t *spte);

#endif
