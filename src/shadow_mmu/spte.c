/*
 * spte.c - what a shadow entry says, for both strategies.
 *
 * Mechanism: the real CPU walks the shadow with CR0.WP = 1 (it protects
 * the switcher), and its TLB may hold any shadow entry, so a shadow entry
 * must never allow more than the guest's own tables allow at that moment.
 * It may allow less: the access then faults (a hidden fault) and the
 * monitor decides.  Three places allow less on purpose:
 *
 *   dirty bits   an entry is writable only if the guest's is writable
 *                and already dirty, so the first write faults and the walk
 *                sets D exactly when the real MMU would;
 *   CR0.WP = 0   a guest-supervisor write to a guest-read-only page gets
 *                an entry that is writable but supervisor-only; a later
 *                user access faults and gets the user's view back;
 *   page tables  (cached.c) a guest frame in use as a page directory or
 *                page table is never writable through any shadow entry.
 *
 * In the kernel view of ring=3 (shadow.h) every entry is user-accessible:
 * the guest's kernel runs at CPL 3, and no user code runs on that view.
 *
 * And one place allows nothing: a guest-physical range that is a device's
 * registers (gpa_is_mmio) is never mapped; shadow_guest_view() says
 * SHADOW_MMIO and the access is emulated.
 */
#include "shadow.h"
#include "gwalk.h"
#include "monitor/layout.h"
#include "monitor/x86.h"
#include "monitor/memory.h"

/* A translation to a device's registers is never mapped: the access is
 * emulated (memop.c, devices.c). */
static enum shadow_result mmio_or_filled(const struct gwalk_res *res, uint32_t *bad)
{
	if (!gpa_is_mmio(res->gpa))
		return SHADOW_FILLED;
	*bad = res->gpa;
	return SHADOW_MMIO;
}

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

uint32_t shadow_spte(const struct gwalk_res *res, uint32_t hpa, uint32_t hw_err)
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

bool shadow_mmio_image(const struct gwalk_res *res, uint32_t hw_err, uint32_t *spte)
{
	void *image = gpa_mmio_image(res->gpa);

	if (!image || (hw_err & PFE_W))
		return false;
	*spte = (host_pa(image) & PTE_ADDR) | PTE_P |
		(res->u || shadow_cur_view == SHADOW_KERNEL ? PTE_U : 0);
	return true;
}
