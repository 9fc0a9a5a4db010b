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
#include "spte.h"

bool shadow_mmio_image(const struct gwalk_res *res, uint32_t hw_err, uint32_t *spte)
{
	void *image = gpa_mmio_image(res->gpa);

	if (!image || (hw_err & PFE_W))
		return false;
	*spte = (host_pa(image) & PTE_ADDR) | PTE_P |
		(res->u || shadow_cur_view == SHADOW_KERNEL ? PTE_U : 0);
	return true;
}
