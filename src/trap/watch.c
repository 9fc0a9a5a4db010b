/*
 * watch.c - the guest's descriptor tables, IDT and TSS, followed in memory.
 *
 * Mechanism: a real CPU reads a descriptor from the GDT or LDT at each
 * segment load, a gate from the IDT at each interrupt, and SS0:ESP0 from
 * the TSS at each entry to ring 0, always from memory as it is now.  The
 * monitor works from copies of these (vdesc.c, vidt.c), so it must see
 * every write the guest makes to them.  The frames under each watched
 * range are watched by the shadow MMU (shadow_watch): no shadow maps them
 * writable, every guest write to them faults and is emulated (memop.c),
 * and shadow.c hands each write to watch_wrote() here, which tells the
 * owner of every range it falls in.
 *
 * A table often shares its page with data the kernel writes all the time
 * (xv6 keeps its GDT and TSS beside its lock-nesting counter), so a page
 * that takes WATCH_RELEASE_AFTER writes beside the range and none in it is
 * let go (counted in the exit table): the owner's lost() is told, and from
 * then on the range is copied again only when the guest reloads it (LGDT,
 * LLDT, LIDT, LTR).  A reload of the same range on that frame does not
 * watch it again: xv6 reloads TR at every context switch, and each new
 * watch would cost WATCH_RELEASE_AFTER trapped writes to its lock counter
 * before it was let go again (half the traps of its command set).
 *
 * Bounded: at most WATCH_MAX ranges of WATCH_PAGES pages each.
 */
#include "watch.h"
#include "shadow_mmu/shadow.h"
#include "monitor/addr.h"

#define WATCH_MAX 4

static struct watch *watches[WATCH_MAX];
static unsigned nwatches;

static void watch_wrote(struct vcpu *v, uint32_t gpa, uint32_t n);

static void enroll(struct watch *w)
{
	if (w->registered)
		return;
	w->busy_gfn = WATCH_NO_FRAME;
	if (nwatches == WATCH_MAX)
		return;         /* a monitor bug: every owner has one static watch */
	watches[nwatches++] = w;
	w->registered = true;
	shadow_set_watcher(watch_wrote);
}

/* Is frame gfn under any watch other than page k of w? */
static bool frame_shared(const struct watch *w, uint32_t k, uint32_t gfn)
{
	for (unsigned i = 0; i < nwatches; i++)	/* bound: WATCH_MAX watches x WATCH_PAGES pages */
		for (uint32_t j = 0; j < watches[i]->npages; j++)
			if ((watches[i] != w || j != k) && watches[i]->page[j].gfn == gfn)
				return true;
	return false;
}

static void page_unwatch(struct vcpu *v, struct watch *w, uint32_t k)
{
	uint32_t gfn = w->page[k].gfn;

	w->page[k].gfn = WATCH_NO_FRAME;
	if (gfn == WATCH_NO_FRAME)
		return;
	w->missing++;
	if (!frame_shared(w, k, gfn))
		shadow_watch(v, gfn, false);
}

void watch_set(struct vcpu *v, struct watch *w, uint32_t base, uint32_t len)
{
	uint32_t first = base & ~(MON_PGSIZE - 1);
	uint32_t pages = len ? ((base + len - 1 - first) >> MON_PGSHIFT) + 1 : 0;
	struct gva_fault f;

	enroll(w);
	if (base != w->base || len != w->len || !len)
		w->busy_gfn = WATCH_NO_FRAME;   /* another range: a fresh start */
	for (uint32_t k = 0; k < w->npages; k++)	/* bound: npages <= WATCH_PAGES */
		page_unwatch(v, w, k);
	if (pages > WATCH_PAGES)
		pages = WATCH_PAGES;
	w->base = base;
	w->len = len;
	w->npages = pages;
	w->missing = 0;
	for (uint32_t k = 0; k < pages; k++) {	/* bound: pages <= WATCH_PAGES (clamped above) */
		uint32_t va = first + k * MON_PGSIZE, g;
		bool mapped = gva_translate(v, va, 0, &g, &f) == GVA_OK &&
			      g >> MON_PGSHIFT != w->busy_gfn;
		w->page[k] = (struct watch_page){ va, mapped ? g >> MON_PGSHIFT : WATCH_NO_FRAME, 0 };
		if (mapped)
			shadow_watch(v, g >> MON_PGSHIFT, true);
		else
			w->missing++;
	}
}

/* The guest wrote [va, va+n) of w's page k. */
static void page_wrote(struct vcpu *v, struct watch *w, uint32_t k, uint32_t va, uint32_t n)
{
	uint32_t lo = w->base, hi = w->base + w->len;

	if (va + n <= lo || va >= hi) {         /* beside the range */
		if (++w->page[k].misses >= WATCH_RELEASE_AFTER) {
			w->busy_gfn = w->page[k].gfn;
			page_unwatch(v, w, k);
			v->stats.desc_pages_released++;
			if (w->lost)
				w->lost(v, w->ctx);
		}
		return;
	}
	w->page[k].misses = 0;
	uint32_t from = va < lo ? lo : va, to = va + n > hi ? hi : va + n;
	w->wrote(v, w->ctx, from - lo, to - from);
}

/* shadow.c's watcher: the monitor wrote [gpa, gpa+n) for the guest. */
static void watch_wrote(struct vcpu *v, uint32_t gpa, uint32_t n)
{
	for (unsigned i = 0; i < nwatches; i++)	/* bound: WATCH_MAX watches x WATCH_PAGES pages */
		for (uint32_t k = 0; k < watches[i]->npages; k++) {
			struct watch_page *p = &watches[i]->page[k];
			uint32_t off = gpa - (p->gfn << MON_PGSHIFT);
			if (p->gfn != WATCH_NO_FRAME && off < MON_PGSIZE)
				page_wrote(v, watches[i], k, p->va + off,
					   n < MON_PGSIZE - off ? n : MON_PGSIZE - off);
		}
}

bool watch_sole(const struct watch *w, uint32_t gpa)
{
	uint32_t gfn = gpa >> MON_PGSHIFT;
	bool mine = false;

	for (unsigned i = 0; i < nwatches; i++)	/* bound: WATCH_MAX watches x WATCH_PAGES pages */
		for (uint32_t k = 0; k < watches[i]->npages; k++) {
			if (watches[i]->page[k].gfn != gfn)
				continue;
			if (watches[i] != w)
				return false;
			mine = true;
		}
	return mine;
}

void watch_hit(struct watch *w, uint32_t gpa)
{
	for (uint32_t k = 0; k < w->npages; k++)	/* bound: npages <= WATCH_PAGES */
		if (w->page[k].gfn == gpa >> MON_PGSHIFT)
			w->page[k].misses = 0;
}
