/*
 * cached.c - shadow=cached: shadow page tables kept per guest CR3, correct
 * because every guest page table they derive from is write-protected.
 *
 * Mechanism: an x86 TLB may keep a translation until software flushes it,
 * so a shadow that is a TLB (vtlb.c) must be emptied on every CR3 write and
 * rebuilt fault by fault after each process switch.  This file keeps one
 * shadow page directory per guest CR3 instead (struct spd, up to
 * shadow_cache= of them, least recently used evicted) and keeps each one
 * equal to what a walk of the guest's tables would give *now*:
 *
 *   invariant  every present shadow entry allows no more than a walk of
 *              the guest's current tables would (spte.c), for the guest
 *              CR3 its directory is keyed on; an absent entry is always
 *              allowed (the next access is a hidden fault that fills it).
 *
 * That holds across CR3 switches only if the monitor sees every change to
 * a guest page directory or page table.  So a guest frame is protected
 * while it is the page directory of a cached spd (gframe.pd_uses) or the
 * page table a shadow page table was built from (gframe.derived): no
 * shadow entry maps it writable.  Finding those entries is the reverse map
 * (gframe.rmap: guest frame -> every spte that maps it, in all shadows).
 * A guest write to a protected frame faults; shadow_fault() says
 * SHADOW_PT_WRITE, memop.c emulates the instruction through gva_write(),
 * and gva_write() tells cached_guest_wrote() which bytes changed: the
 * shadow entries derived from exactly those guest entries are dropped.
 * A write never needs INVLPG here, and INVLPG has nothing to do.
 *
 * Heuristic (counted as unprotects): a frame written UNPROTECT_AFTER times
 * by emulated writes with no hidden fault walking through it in between has
 * probably stopped being a page table (freed and reused as data), or is
 * being rewritten wholesale (fork marking a parent's PTEs copy-on-write).
 * It is released: every shadow built from it is dropped, and it is no
 * longer protected, so the writes that follow run at native speed.  The
 * next walk through it (if it is still a page table) protects it again.
 * The active page directory is never released (unprotect_kept).
 *
 * Shadow page tables are not shared between directories: each hangs in
 * one slot of one spd, so dropping a slot frees exactly one table.
 *
 * ring=3: a directory is keyed on (guest CR3, view) (shadow.h): KEY_USER
 * marks the user view's.  Both views of a guest directory count as its
 * uses, and only kernel views go into the switcher's MOV CR3 hints (only
 * the guest's kernel writes CR3).  shadow_cache= still counts address
 * spaces: the cache holds twice as many directories.
 */
#include "shadow.h"
#include "gwalk.h"
#include "spte.h"
#include "monitor/memory.h"
#include "monitor/monitor.h"
#include "monitor/layout.h"
#include "monitor/options.h"
#include "monitor/x86.h"
#include "monitor/run.h"

#define KEY_PHYS        1u      /* the spd used while CR0.PG = 0 */
#define KEY_USER        2u      /* ring=3: the user view's spd */
#define KEY_FLAGS       (KEY_PHYS | KEY_USER)
#define SPT_MAX         4096u   /* shadow page tables, all directories */
#define NIL16           0xFFFFu
#define NIL             0xFFFFFFFFu
#define UNPROTECT_AFTER 16u     /* emulated writes with no walk between
				   (at most 255: gframe.writes is 8 bits) */
#define GFRAMES_MAX     (MEM_MB_MAX << (20 - MON_PGSHIFT))

/* One cached shadow page directory. */
struct spd {
	uint32_t *pd;           /* host frame; NULL: this cache slot is free */
	uint32_t key;           /* guest CR3 & PTE_ADDR, or KEY_PHYS; | KEY_USER */
	uint32_t used;          /* LRU clock at the last switch to it */
	uint32_t slot_groups;   /* bit g: slots 32g..32g+31 may have a table */
	uint16_t spt[1024];     /* slot -> its shadow page table, or NIL16 */
};

#define GROUP_SHIFT 5u          /* entries per bit of a summary: 32 */
#define GROUP_SIZE  (1u << GROUP_SHIFT)

/* One shadow page table, in slot `slot` of cache[spd]. */
struct spt {
	uint32_t *pt;           /* the table the CPU walks */
	uint32_t *rnext;        /* per entry: next node on its frame's rmap */
	uint32_t *rgfn;         /* per entry: the guest frame it maps */
	uint16_t spd, slot;
	uint16_t dnext;         /* next table built from the same guest frame */
	uint32_t src;           /* the guest page table it shadows, or NIL
				   (a split 4 MB page, or paging off) */
	uint32_t live_groups;   /* bit g: entries 32g..32g+31 may be present
				   (set by set_spte, cleared only when freed):
				   a release looks at those groups alone */
};

/* What the shadow knows of one guest frame.  An rmap node is an spte,
 * named (spt index << 10 | entry index). */
struct gframe {
	uint32_t rmap;          /* first spte mapping this frame, or NIL */
	uint16_t derived;       /* first shadow table built from it, or NIL16 */
	uint8_t pd_uses;        /* cached directories keyed on it */
	uint8_t writes;         /* emulated writes since it was last walked */
	uint16_t keyed;         /* the cache index of a directory keyed on it
				   (a hint: checked with keyed_on) */
};

#define VIEWS_MAX 2             /* ring=3: kernel and user view */

static struct spd cache[SHADOW_CACHE_MAX * VIEWS_MAX];
static unsigned ncache, cur;
static uint32_t lru_clock;
static struct spt spts[SPT_MAX];
static uint16_t spt_free_list;
static struct gframe gf[GFRAMES_MAX];
static uint32_t switcher_pde;
static uint32_t built_mode;     /* CR0.WP | CR4.PSE the shadows assume */

#define TRACE(...) do { if (mon_opts.trace & TRACE_MMU) mon_log(__VA_ARGS__); } while (0)

static bool in_ram(uint32_t gfn)
{
	return gfn < guest_mem.nframes;
}

/* A page directory or page table some shadow derives from. */
static bool pt_protected(uint32_t gfn)
{
	return in_ram(gfn) && (gf[gfn].pd_uses || gf[gfn].derived != NIL16);
}

/* Never mapped writable: a page table, or a watched frame (shadow.h). */
static bool is_protected(uint32_t gfn)
{
	return pt_protected(gfn) || shadow_watched(gfn);
}

/* ---- the reverse map: guest frame -> sptes ---- */

static void rmap_add(uint32_t gfn, uint16_t k, uint32_t j)
{
	spts[k].rgfn[j] = gfn;
	if (gfn == NIL)         /* a device's read image: no guest frame */
		return;
	spts[k].rnext[j] = gf[gfn].rmap;
	gf[gfn].rmap = (uint32_t)k << 10 | j;
}

static void rmap_del(uint16_t k, uint32_t j)
{
	uint32_t node = (uint32_t)k << 10 | j;
	if (spts[k].rgfn[j] == NIL)
		return;
	uint32_t *link = &gf[spts[k].rgfn[j]].rmap;

	/* bounded: a frame's list has at most one node per spte */
	while (*link != node) {
		if (*link == NIL)
			mon_panic("shadow rmap: spte %u/%u is not on its frame's list", k, j);
		link = &spts[*link >> 10].rnext[*link & 0x3FF];
	}
	*link = spts[k].rnext[j];
}

/* An spte is on its frame's rmap while it is not 0: the switcher's
 * page-table write fast path drops a present one by clearing its P bit
 * alone (shadow.h), and it is taken off here or in drop_spte. */
static void set_spte(uint16_t k, uint32_t j, uint32_t spte, uint32_t gfn)
{
	if (spts[k].pt[j])
		rmap_del(k, j);
	spts[k].pt[j] = spte;
	spts[k].live_groups |= 1u << (j >> GROUP_SHIFT);
	rmap_add(gfn, k, j);
}

static void drop_spte(uint16_t k, uint32_t j)
{
	if (!spts[k].pt[j])
		return;
	rmap_del(k, j);
	spts[k].pt[j] = 0;
}

/* A shadow entry onto a protected frame: read-only, and marked if it was
 * writable (the guest's tables let its kernel write there: shadow.h). */
static uint32_t pt_readonly(uint32_t spte)
{
	return spte & PTE_W ? (spte & ~PTE_W) | SPTE_PT_WRITABLE : spte;
}

/* The frame just became protected: no shadow may map it writable. */
static void write_protect(struct vcpu *v, uint32_t gfn)
{
	unsigned n = 0;
	/* bound: a frame's list has at most one node per spte */
	for (uint32_t node = gf[gfn].rmap; node != NIL; node = spts[node >> 10].rnext[node & 0x3FF]) {
		uint32_t *spte = &spts[node >> 10].pt[node & 0x3FF];
		*spte = pt_readonly(*spte);
		n++;
	}
	gf[gfn].writes = 0;
	v->stats.protects++;
	TRACE("mmu protect gpa 0x%x: now a page table, %u mappings made read-only",
	      gfn << MON_PGSHIFT, n);
}

/* ---- shadow page tables ---- */

/* Frames of shadow tables and directories, zero again: a table is all
 * zero once spt_release() has dropped its present entries (set_spte is
 * the only writer of a non-zero entry, and a live group holds every
 * one), a directory once spd_empty() has released its tables and its
 * switcher slot is cleared.  Kept for the next table or directory, which
 * then needs no 4 KB of zeroing (a REP STOSD of 1024 iterations). */
#define ZEROED_MAX 64u

static uint32_t *zeroed[ZEROED_MAX];
static unsigned nzeroed;

static uint32_t *zeroed_frame(void)
{
	return nzeroed ? zeroed[--nzeroed] : host_frame_zeroed();
}

static void zeroed_free(uint32_t *frame)
{
	if (nzeroed < ZEROED_MAX)
		zeroed[nzeroed++] = frame;
	else
		host_frame_free(frame);
}

/* Out of host frames: the kept ones go back first (make_room then frees
 * or evicts). */
static void zeroed_drain(void)
{
	while (nzeroed)	/* bound: ZEROED_MAX frames */
		host_frame_free(zeroed[--nzeroed]);
}

/* For the unit test's accounting of frames in use. */
unsigned cached_spare_frames(void);
unsigned cached_spare_frames(void)
{
	return nzeroed;
}

static void free_frames(uint32_t *a, uint32_t *b, uint32_t *c)
{
	if (a)
		zeroed_free(a);
	if (b)
		host_frame_free(b);
	if (c)
		host_frame_free(c);
}

/* A new, empty shadow table in slot `slot` of cache[d], built from guest
 * page table src (or NIL); NIL16 if there is no room. */
static uint16_t spt_alloc(struct vcpu *v, unsigned d, uint32_t slot, uint32_t src)
{
	if (spt_free_list == NIL16)
		return NIL16;
	/* rnext and rgfn are read only for present entries, which set_spte
	 * writes first: only the table the CPU walks starts zeroed */
	uint32_t *pt = zeroed_frame(), *rn = host_frame_alloc(), *rg = host_frame_alloc();
	if (!pt || !rn || !rg) {
		free_frames(pt, rn, rg);
		zeroed_drain();
		return NIL16;
	}
	uint16_t k = spt_free_list;
	spt_free_list = spts[k].dnext;
	spts[k] = (struct spt){ pt, rn, rg, (uint16_t)d, (uint16_t)slot, NIL16, src, 0 };
	cache[d].spt[slot] = k;
	cache[d].slot_groups |= 1u << (slot >> GROUP_SHIFT);
	cache[d].pd[slot] = host_pa(pt) | PTE_P | PTE_W | PTE_U;
	if (src != NIL) {
		bool was = is_protected(src);
		spts[k].dnext = gf[src].derived;
		gf[src].derived = k;
		if (!was)
			write_protect(v, src);
		shadow_frame_changed(src);
	}
	v->stats.spt_alloc++;
	return k;
}

static void spt_release(struct vcpu *v, uint16_t k)
{
	struct spt *s = &spts[k];

	for (uint32_t g = 0; g < 1024 / GROUP_SIZE; g++)	/* bound: 1024 entries, by groups */
		if (s->live_groups & (1u << g))
			/* bound: GROUP_SIZE entries */
			for (uint32_t j = g * GROUP_SIZE; j < (g + 1) * GROUP_SIZE; j++)
				drop_spte(k, j);
	uint32_t src = s->src;
	if (src != NIL) {
		uint16_t *link = &gf[src].derived;
		while (*link != k)      /* bounded: at most SPT_MAX tables */
			link = &spts[*link].dnext;
		*link = s->dnext;
	}
	cache[s->spd].pd[s->slot] = 0;
	cache[s->spd].spt[s->slot] = NIL16;
	free_frames(s->pt, s->rnext, s->rgfn);
	*s = (struct spt){ .dnext = spt_free_list };
	spt_free_list = k;
	v->stats.spt_free++;
	if (src != NIL)
		shadow_frame_changed(src);
}

/* ---- the cache of directories ---- */

static bool key_is_phys(uint32_t key)
{
	return (key & KEY_PHYS) != 0;
}

/* The guest directory a (paging) key names. */
static uint32_t key_gfn(uint32_t key)
{
	return key >> MON_PGSHIFT;
}

/* Does the switcher's MOV CR3 fast path load this one? */
static bool key_hinted(uint32_t key)
{
	return (key & KEY_FLAGS) == 0;
}

static bool keyed_on(unsigned i, uint32_t gfn)
{
	return cache[i].pd && !key_is_phys(cache[i].key) && key_gfn(cache[i].key) == gfn;
}

/* The n-th cache index to look at for directories keyed on gfn: its hint
 * first (most frames are one directory's), then the rest in order. */
static unsigned keyed_first(uint32_t gfn, unsigned n)
{
	unsigned h = gf[gfn].keyed < ncache ? gf[gfn].keyed : 0;

	if (n == 0)
		return h;
	return n <= h ? n - 1 : n;
}

static void spd_empty(struct vcpu *v, unsigned i)
{
	for (uint32_t g = 0; g < 1024 / GROUP_SIZE; g++) {	/* bound: 1024 slots, by groups */
		if (!(cache[i].slot_groups & (1u << g)))
			continue;
		/* bound: GROUP_SIZE slots */
		for (uint32_t slot = g * GROUP_SIZE; slot < (g + 1) * GROUP_SIZE; slot++)
			if (slot < SWITCHER_PDX && cache[i].spt[slot] != NIL16)
				spt_release(v, cache[i].spt[slot]);
	}
	cache[i].slot_groups = 0;
}

static void spd_drop(struct vcpu *v, unsigned i)
{
	uint32_t gfn = key_gfn(cache[i].key);

	spd_empty(v, i);
	if (key_hinted(cache[i].key))
		shadow_forget_cr3(cache[i].key);
	cache[i].pd[SWITCHER_PDX] = 0;
	zeroed_free(cache[i].pd);
	cache[i].pd = NULL;
	if (!key_is_phys(cache[i].key) && in_ram(gfn)) {
		gf[gfn].pd_uses--;
		shadow_frame_changed(gfn);
	}
}

/* The least recently used directory other than `keep`, or ncache. */
static unsigned lru_victim(unsigned keep)
{
	unsigned best = ncache;
	for (unsigned i = 0; i < ncache; i++)	/* bound: ncache directories */
		if (cache[i].pd && i != keep && (best == ncache || cache[i].used < cache[best].used))
			best = i;
	return best;
}

static void evict(struct vcpu *v, unsigned i, const char *why)
{
	TRACE("mmu evict shadow of guest cr3 0x%x (%s)", cache[i].key, why);
	v->stats.cache_evictions++;
	spd_drop(v, i);
}

/* Out of shadow tables or host frames while `cur` is in use: evict the
 * least recently used other directory, or empty the current one. */
static void make_room(struct vcpu *v)
{
	unsigned i = lru_victim(cur), before = v->stats.spt_free;
	if (i < ncache) {
		evict(v, i, "out of shadow page tables");
		return;
	}
	v->stats.shadow_flushes++;
	TRACE("mmu flush: out of shadow page tables with one directory cached");
	spd_empty(v, cur);
	if (v->stats.spt_free == before)
		mon_panic("no host frames left for even one shadow page table");
}

static unsigned spd_new(struct vcpu *v, uint32_t key)
{
	unsigned i = 0;
	uint32_t *pd;

	while (i < ncache && cache[i].pd)	/* bound: ncache directories */
		i++;
	if (i == ncache) {
		i = lru_victim(ncache);
		evict(v, i, "least recently used");
	}
	while (!(pd = zeroed_frame())) {        /* bounded: evicts one of ncache */
		unsigned j = lru_victim(i);
		if (j == ncache)
			mon_panic("no host frame for a shadow page directory");
		evict(v, j, "out of host frames");
	}
	cache[i].pd = pd;
	cache[i].key = key;
	cache[i].slot_groups = 0;       /* (spt[] is all NIL16: cached_init, spt_release) */
	pd[SWITCHER_PDX] = switcher_pde;
	uint32_t gfn = key_gfn(key);
	if (!key_is_phys(key) && in_ram(gfn)) {
		bool was = is_protected(gfn);
		gf[gfn].pd_uses++;
		gf[gfn].keyed = (uint16_t)i;
		if (!was)
			write_protect(v, gfn);
		shadow_frame_changed(gfn);
	}
	if (key_hinted(key))
		shadow_hint_cr3(key, host_pa(pd));
	return i;
}

/* Make cur the directory for the guest's current CR3 (or paging off) and
 * view; true if it was cached (a hit). */
static bool select_spd(struct vcpu *v)
{
	uint32_t key = ((v->cr0 & CR0_PG) ? v->cr3 & PTE_ADDR : KEY_PHYS) |
		       (shadow_cur_view == SHADOW_USER ? KEY_USER : 0);
	unsigned i = 0;

	/* bound: ncache directories */
	while (i < ncache && !(cache[i].pd && cache[i].key == key))
		i++;
	bool hit = i < ncache;
	if (hit) {
		v->stats.cache_hits++;
		TRACE("mmu cr3 0x%x: cached shadow reused (hit)", key);
	} else {
		v->stats.cache_misses++;
		i = spd_new(v, key);
		TRACE("mmu cr3 0x%x: no cached shadow, new empty one (miss)", key);
	}
	cur = i;
	cache[i].used = ++lru_clock;
	return hit;
}

static uint32_t mode_bits(const struct vcpu *v)
{
	return (v->cr0 & CR0_WP) | (v->cr4 & CR4_PSE);
}

static void cached_init(uint32_t pde)
{
	struct vcpu boot = { 0 };

	switcher_pde = pde;
	/* shadow_cache= counts address spaces: in ring=3 each has two views */
	ncache = (mon_opts.shadow_cache ? mon_opts.shadow_cache : SHADOW_CACHE_DEFAULT) *
		 (mon_opts.ring == 3 ? VIEWS_MAX : 1);
	/* bound: SHADOW_CACHE_MAX * VIEWS_MAX directories */
	for (unsigned i = 0; i < SHADOW_CACHE_MAX * VIEWS_MAX; i++) {
		cache[i].pd = NULL;
		for (uint32_t slot = 0; slot < 1024; slot++)	/* bound: 1024 slots */
			cache[i].spt[slot] = NIL16;
	}
	nzeroed = 0;    /* (a new run: the unit test's fresh machine) */
	for (uint32_t k = 0; k < SPT_MAX; k++)	/* bound: SPT_MAX tables */
		spts[k] = (struct spt){ .dnext = k + 1 < SPT_MAX ? (uint16_t)(k + 1) : NIL16 };
	spt_free_list = 0;
	/* bound: GFRAMES_MAX guest frames */
	for (uint32_t g = 0; g < guest_mem.nframes && g < GFRAMES_MAX; g++)
		gf[g] = (struct gframe){ .rmap = NIL, .derived = NIL16, .keyed = 0 };
	lru_clock = 0;
	built_mode = 0;
	cur = spd_new(&boot, KEY_PHYS);
}

static uint32_t cached_root(void)
{
	return host_pa(cache[cur].pd);
}

/* A CR3 write that hits in C: the switcher's MOV CR3 fast path missed,
 * its hint slot taken by another directory's (they are direct-mapped by
 * frame number): this one's root goes back into the slot, so that two
 * directories sharing a slot cost a trap through C each per switch
 * between them, not every switch to the one that lost it. */
static bool cached_new_cr3(struct vcpu *v)
{
	if (!select_spd(v))
		return true;            /* a new directory: one may have been evicted */
	if (key_hinted(cache[cur].key))
		shadow_hint_cr3(cache[cur].key, host_pa(cache[cur].pd));
	return false;
}

static void cached_view_changed(struct vcpu *v)
{
	select_spd(v);
}

/* CR0.WP and CR4.PSE change what every shadow entry means: drop them all.
 * CR0.PG selects the paging-off directory or the CR3 one.  CR4.PGE only
 * matters to a TLB, and these shadows are never stale. */
static void cached_mode_changed(struct vcpu *v)
{
	if (mode_bits(v) != built_mode) {
		for (unsigned i = 0; i < ncache; i++)	/* bound: ncache directories */
			if (cache[i].pd)
				spd_drop(v, i);
		built_mode = mode_bits(v);
		v->stats.shadow_flushes++;
		TRACE("mmu flush: CR0.WP or CR4.PSE changed (cr0 0x%x cr4 0x%x)", v->cr0, v->cr4);
	}
	select_spd(v);
}

static void cached_invlpg(struct vcpu *v, uint32_t va)
{
	(void)v;
	TRACE("mmu invlpg 0x%x: nothing to do (every page-table write was seen)", va);
}

/* Slot `slot` of the current directory has no shadow page table: a new
 * one, built from guest page table src (or NIL).  Out of line: most fills
 * find theirs. */
static __attribute__((noinline)) uint16_t new_spt(struct vcpu *v, uint32_t slot, uint32_t src)
{
	uint16_t k;

	/* bounded: each make_room frees a table or evicts one of ncache
	 * directories, and panics when it can do neither */
	while ((k = spt_alloc(v, cur, slot, src)) == NIL16)
		make_room(v);
	return k;
}

/* The shadow page table for va in the current directory, after a walk
 * that gave res (made one if there is none). */
static inline uint16_t table_for(struct vcpu *v, uint32_t va, const struct gwalk_res *res)
{
	bool paging = (v->cr0 & CR0_PG) != 0;
	uint32_t slot = va >> 22, src = paging && !res->big ? res->pt_gpa >> MON_PGSHIFT : NIL;

	if (paging) {           /* walked: these are page tables in use */
		gf[(v->cr3 & PTE_ADDR) >> MON_PGSHIFT].writes = 0;
		if (src != NIL)
			gf[src].writes = 0;
	}
	uint16_t k = cache[cur].spt[slot];
	return k != NIL16 ? k : new_spt(v, slot, src);
}

/* A read of a device page with a read image: its read-only entry (no
 * guest frame behind it).  Out of line: rare. */
static __attribute__((noinline)) enum shadow_result fill_image(struct vcpu *v, uint32_t va,
								const struct gwalk_res *res,
								uint32_t spte)
{
	uint16_t k = table_for(v, va, res);

	set_spte(k, (va >> 12) & 0x3FF, spte, NIL);
	v->stats.hidden_pf++;
	TRACE("mmu fill va 0x%x -> gpa 0x%x: a device's read image (read-only)", va, res->gpa);
	return SHADOW_FILLED;
}

static enum shadow_result cached_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
				       uint32_t *guest_err, uint32_t *bad)
{
	struct gwalk_res res;
	uint32_t image_spte;
	enum shadow_result r = shadow_guest_view(v, va, hw_err, &res, guest_err, bad);

	if (r == SHADOW_MMIO && shadow_mmio_image(&res, hw_err, &image_spte))
		return fill_image(v, va, &res, image_spte);
	if (r != SHADOW_FILLED)
		return r;
	void *frame = gpa_host(res.gpa & PTE_ADDR);
	if (!frame) {
		*bad = res.gpa;
		return SHADOW_BAD_GPA;
	}
	bool fresh = cache[cur].spt[va >> 22] == NIL16;
	uint16_t k = table_for(v, va, &res);
	uint32_t gfn = res.gpa >> MON_PGSHIFT, spte = shadow_spte(&res, host_pa(frame), hw_err);
	uint32_t j = (va >> 12) & 0x3FF;
	bool pt_frame = is_protected(gfn);
	if (pt_frame)
		spte = pt_readonly(spte);
	if (spts[k].pt[j] != spte)      /* (a write to a page table: it is there) */
		set_spte(k, j, spte, gfn);
	if (pt_frame && (hw_err & PFE_W)) {
		TRACE("mmu write to page table at va 0x%x (gpa 0x%x): emulate", va, res.gpa);
		*bad = res.gpa;
		return SHADOW_PT_WRITE;
	}
	v->stats.hidden_pf++;
	TRACE("mmu fill va 0x%x -> gpa 0x%x hpa 0x%x %s%s%s%s%s", va, res.gpa, host_pa(frame),
	      spte & PTE_W ? "W" : "R", spte & PTE_U ? "U" : "S", res.big ? " (4 MB)" : "",
	      pt_frame ? " (page table: read-only)" : "", fresh ? " (new shadow table)" : "");
	return SHADOW_FILLED;
}

/* Drop what the guest frame gfn is used as, and stop protecting it. */
static void release_frame(struct vcpu *v, uint32_t gfn)
{
	/* bound: ncache directories */
	for (unsigned i = 0; i < ncache && gf[gfn].pd_uses; i++)
		if (keyed_on(i, gfn)) {
			TRACE("mmu drop shadow of guest cr3 0x%x: its page directory was released",
			      cache[i].key);
			spd_drop(v, i);
		}
	/* bound: SPT_MAX tables: each turn unlinks one */
	while (gf[gfn].derived != NIL16)
		spt_release(v, gf[gfn].derived);
	gf[gfn].writes = 0;
}

static bool active_directory(const struct vcpu *v, uint32_t gfn)
{
	return (v->cr0 & CR0_PG) && keyed_on(cur, gfn);
}

static void unprotect(struct vcpu *v, uint32_t gfn)
{
	if (active_directory(v, gfn)) {
		gf[gfn].writes = 0;
		v->stats.unprotect_kept++;
		TRACE("mmu gpa 0x%x written %u times without a walk: kept (the active page "
		      "directory)", gfn << MON_PGSHIFT, UNPROTECT_AFTER);
		return;
	}
	release_frame(v, gfn);
	v->stats.unprotects++;
	TRACE("mmu unprotect gpa 0x%x: written %u times without a walk, no longer "
	      "shadowed as a page table", gfn << MON_PGSHIFT, UNPROTECT_AFTER);
}

/* Bytes [off, off+len) of protected frame gfn changed. */
static void wrote_frame(struct vcpu *v, uint32_t gfn, uint32_t off, uint32_t len)
{
	uint32_t first = off >> 2, last = (off + len - 1) >> 2;
	unsigned tables = 0, dropped = 0;

	unsigned left = gf[gfn].pd_uses;
	for (unsigned n = 0; n < ncache && left; n++) {	/* bound: ncache directories */
		unsigned i = keyed_first(gfn, n);
		if (!keyed_on(i, gfn))
			continue;
		left--;
		/* bound: 1024 entries (off and len lie in one page) */
		for (uint32_t e = first; e <= last && e < SWITCHER_PDX; e++)
			if (cache[i].spt[e] != NIL16) {
				spt_release(v, cache[i].spt[e]);
				tables++;
			}
	}
	/* bound: SPT_MAX derived tables x 1024 entries (off and len lie in one page) */
	for (uint16_t k = gf[gfn].derived; k != NIL16; k = spts[k].dnext)
		for (uint32_t e = first; e <= last; e++)
			if (spts[k].pt[e]) {
				drop_spte(k, e);
				dropped++;
			}
	TRACE("mmu page-table write gpa 0x%x (%u bytes): %u shadow entries, %u shadow tables "
	      "dropped", (gfn << MON_PGSHIFT) | off, len, dropped, tables);
	if (++gf[gfn].writes >= UNPROTECT_AFTER)
		unprotect(v, gfn);
}

static void cached_guest_wrote(struct vcpu *v, uint32_t gpa, uint32_t n)
{
	while (n > 0) {	/* bound: n / 4096 + 1 pages */
		uint32_t off = gpa & (MON_PGSIZE - 1), chunk = MON_PGSIZE - off;
		chunk = chunk < n ? chunk : n;
		if (pt_protected(gpa >> MON_PGSHIFT))
			wrote_frame(v, gpa >> MON_PGSHIFT, off, chunk);
		gpa += chunk;
		n -= chunk;
	}
}

static bool cached_release(struct vcpu *v, uint32_t gpa)
{
	uint32_t gfn = gpa >> MON_PGSHIFT;

	if (!pt_protected(gfn) || active_directory(v, gfn))
		return false;
	release_frame(v, gfn);
	TRACE("mmu release gpa 0x%x: a write the monitor cannot emulate", gpa & PTE_ADDR);
	return true;
}

/* ---- the switcher's page-table write fast path (trap/fastptw.c) ---- */

/* A page table and nothing else, with few enough shadow tables built from
 * it: what a write to one of its entries does in wrote_frame() (drop the
 * entry in each, count the write) the switcher can do.  Every change to
 * pd_uses or to the derived list (spd_new, spd_drop, spt_alloc,
 * spt_release) calls shadow_frame_changed() once it is complete. */
static bool cached_fast_frame(uint32_t gfn, struct shadow_fast_frame *out)
{
	unsigned n = 0;

	if (!in_ram(gfn) || gf[gfn].pd_uses || gf[gfn].derived == NIL16)
		return false;
	/* bound: SHADOW_FAST_SPTS + 1 turns */
	for (uint16_t k = gf[gfn].derived; k != NIL16; k = spts[k].dnext) {
		if (n == SHADOW_FAST_SPTS)
			return false;
		out->spt[n++] = spts[k].pt;
	}
	out->n = n;
	out->writes = &gf[gfn].writes;
	out->writes_max = UNPROTECT_AFTER - 1;  /* the next one unprotects: C's */
	return true;
}

/* A frame is now watched: no shadow may keep it writable. */
static void cached_watch_on(struct vcpu *v, uint32_t gfn)
{
	if (in_ram(gfn) && !pt_protected(gfn))
		write_protect(v, gfn);
}

const struct shadow_ops shadow_cached = {
	.name = "cached",
	.init = cached_init,
	.root = cached_root,
	.new_cr3 = cached_new_cr3,
	.view_changed = cached_view_changed,
	.mode_changed = cached_mode_changed,
	.invlpg = cached_invlpg,
	.fault = cached_fault,
	.guest_wrote = cached_guest_wrote,
	.release = cached_release,
	.pt_frame = pt_protected,
	.fast_frame = cached_fast_frame,
	.watch_on = cached_watch_on,
	.invlpg_nop = true,
};
