/*
 * shadow.c - the shadow MMU's front door: forwards each call to the
 * strategy chosen by shadow= (vtlb.c or cached.c), so the dispatcher, the
 * emulator and the switcher never know which one runs.
 */
#include "shadow.h"
#include "monitor/options.h"
#include "monitor/run.h"

static const struct shadow_ops *ops = &shadow_cached;

void shadow_init(uint32_t switcher_pde)
{
	ops = mon_opts.shadow == SHADOW_VTLB ? &shadow_vtlb : &shadow_cached;
	ops->init(switcher_pde);
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
	ops->new_cr3(v);
}

void shadow_mode_changed(struct vcpu *v)
{
	ops->mode_changed(v);
}

void shadow_invlpg(struct vcpu *v, uint32_t va)
{
	v->stats.shadow_invlpgs++;
	ops->invlpg(v, va);
}

enum shadow_result shadow_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
				uint32_t *guest_err, uint32_t *bad)
{
	return ops->fault(v, va, hw_err, guest_err, bad);
}

void shadow_guest_wrote(struct vcpu *v, uint32_t gpa, uint32_t n)
{
	ops->guest_wrote(v, gpa, n);
}

bool shadow_release(struct vcpu *v, uint32_t va)
{
	uint32_t g;
	struct gva_fault f;

	if (gva_translate(v, va, 0, &g, &f) != GVA_OK)
		return false;
	return ops->release(v, g);
}
