/*
 * shadow.c - the shadow MMU's front door: forwards each call to the
 * strategy chosen by shadow= (vtlb.c or cached.c), so the dispatcher, the
 * emulator and the switcher never know which one runs.
 */
#include "shadow.h"
#include "monitor/options.h"
#include "monitor/monitor.h"
#include "monitor/run.h"
#include "lib/mem.h"
#include "monitor/layout.h"
#include "monitor/memory.h"
#include "monitor/x86.h"
#include "fault/fault.h"

const struct shadow_ops *shadow_ops_now = &shadow_cached;
#define ops shadow_ops_now
enum shadow_view shadow_cur_view = SHADOW_ALL;
uint32_t shadow_epoch;
static shadow_frame_hook frame_hook;

uint32_t shadow_watched_map[SHADOW_WATCH_FRAMES / 32];
static shadow_watcher watcher;

/* The current shadow directory in the monitor's view (ops->root()): a
 * strategy switches directories only in the calls below that read it
 * again (init, a new CR3, another view, a mode change); a fill, a drop, an
 * eviction never switch (cached.c evicts only other directories, and
 * empties the current one in place).  The host tests check it against
 * ops->root() at every use. */
static const uint32_t *root_pd;

static void root_switched(void)
{
	root_pd = host_va(ops->root());
}

static inline const uint32_t *current_pd(void)
{
#ifdef MON_HOST_TEST
	if (root_pd != host_va(ops->root()))
		mon_panic("shadow.c: the current directory changed behind root_switched()");
#endif
	return root_pd;
}

void shadow_init(uint32_t switcher_pde)
{
	memset(shadow_watched_map, 0, sizeof shadow_watched_map);
	gva_reset();
	ops = mon_opts.shadow == SHADOW_VTLB ? &shadow_vtlb : &shadow_cached;
	shadow_cur_view = mon_opts.ring == 3 ? SHADOW_KERNEL : SHADOW_ALL;
	ops->init(switcher_pde);
	root_switched();
}

/* The strategies keep one shadow per (address space, view): a switch is
 * a CR3 switch to the other one. */
void shadow_set_view(struct vcpu *v, enum shadow_view view)
{
	shadow_epoch++;
	if (view == shadow_cur_view)
		return;
	shadow_cur_view = view;
	v->stats.view_switches++;
	ops->view_changed(v);
	root_switched();
}

bool shadow_pt_frame(uint32_t gfn)
{
	return ops->pt_frame && ops->pt_frame(gfn);
}

bool shadow_fast_frame(uint32_t gfn, struct shadow_fast_frame *out)
{
	return ops->fast_frame && !shadow_watched(gfn) && ops->fast_frame(gfn, out);
}

void shadow_set_frame_hook(shadow_frame_hook fn)
{
	frame_hook = fn;
}

void shadow_frame_changed(uint32_t gfn)
{
	if (frame_hook)
		frame_hook(gfn);
}

const char *shadow_name(void)
{
	return ops->name;
}

uint32_t shadow_root(void)
{
	return ops->root();
}

void shadow_new_cr3(struct vcpu *v)
{
	if (ops->new_cr3(v))
		shadow_epoch++;
	root_switched();
}

void shadow_mode_changed(struct vcpu *v)
{
	shadow_epoch++;
	ops->mode_changed(v);
	root_switched();
}

bool shadow_invlpg_needed(void)
{
	return !ops->invlpg_nop || fault_armed || (mon_opts.trace & TRACE_MMU);
}

void shadow_invlpg(struct vcpu *v, uint32_t va)
{
	if (!ops->invlpg_nop)
		shadow_epoch++;
	v->stats.shadow_invlpgs++;
	if (fault_armed && fault_drop_invlpg(v, va))
		return;
	ops->invlpg(v, va);
}

_Static_assert(SHADOW_PFE_U == PFE_U, "shadow.h's PFE_U");

void shadow_fault_done(struct vcpu *v, uint32_t va, uint32_t hw_err, enum shadow_result r,
		       uint32_t bad)
{
	if (fault_armed)
		fault_shadow_fault(v, r);
	else if (r == SHADOW_PT_WRITE)  /* the emulation's access: the same walk */
		gva_remember(va, bad, GVA_WRITE | (hw_err & PFE_U ? GVA_USER : 0));
}

/* Does [gpa, gpa+n) touch a watched frame? */
static bool touches_watched(uint32_t gpa, uint32_t n)
{
	return shadow_watched(gpa >> 12) || shadow_watched((gpa + n - 1) >> 12);
}

void shadow_guest_wrote(struct vcpu *v, uint32_t gpa, uint32_t n)
{
	shadow_epoch++;
	if (fault_armed && fault_drop_shadow_update(v, gpa))
		return;
	ops->guest_wrote(v, gpa, n);
	if (watcher && n && touches_watched(gpa, n))
		watcher(v, gpa, n);
}

bool shadow_release(struct vcpu *v, uint32_t va)
{
	shadow_epoch++;
	uint32_t g;
	struct gva_fault f;

	if (gva_translate(v, va, 0, &g, &f) != GVA_OK)
		return false;
	bool was_watched = shadow_watched(g >> 12);
	if (was_watched)
		shadow_watch(v, g >> 12, false);
	return ops->release(v, g) || was_watched;
}

bool shadow_release_recycled(struct vcpu *v, uint32_t va, uint32_t gpa, unsigned width)
{
	if (width >= sizeof(uint32_t) || shadow_watched(gpa >> 12) || !shadow_pt_frame(gpa >> 12))
		return false;
	return shadow_release(v, va);
}

bool shadow_lookup(uint32_t va, uint32_t *hpa)
{
	const uint32_t *pd = current_pd();
	uint32_t pde = pd[va >> 22];

	if (!(pde & PTE_P) || (pde & PTE_PS))
		return false;
	uint32_t pte = ((const uint32_t *)host_va(pde & PTE_ADDR))[(va >> 12) & 0x3FF];
	if (!(pte & PTE_P))
		return false;
	*hpa = (pte & PTE_ADDR) | (va & ~PTE_ADDR);
	return true;
}

void *shadow_kernel_access(uint32_t va, bool write)
{
	const uint32_t *pd = current_pd();
	uint32_t pde = pd[va >> 22], need = PTE_P | (write ? PTE_W : 0);

	if (va >= SWITCHER_BASE || (pde & (PTE_P | PTE_PS)) != PTE_P || (write && !(pde & PTE_W)))
		return 0;
	uint32_t pte = ((const uint32_t *)host_va(pde & PTE_ADDR))[(va >> 12) & 0x3FF];
	if ((pte & need) != need)
		return 0;
	return host_va((pte & PTE_ADDR) | (va & ~PTE_ADDR));
}

void shadow_set_watcher(shadow_watcher fn)
{
	watcher = fn;
}

void shadow_watch(struct vcpu *v, uint32_t gfn, bool on)
{
	shadow_epoch++;
	if (gfn >= SHADOW_WATCH_FRAMES || shadow_watched(gfn) == on)
		return;
	shadow_watched_map[gfn / 32] ^= 1u << (gfn % 32);
	if (on)
		ops->watch_on(v, gfn);
	shadow_frame_changed(gfn);
}
