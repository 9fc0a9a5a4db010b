/*
 * shadow.h - the shadow MMU: the page tables the real CPU walks while the
 * guest runs, and the one way the monitor reads or writes guest memory by
 * guest-virtual address.
 *
 * The guest's own page tables are never loaded into CR3: they map guest-
 * virtual to guest-physical, and the guest-physical frames are not where
 * the guest thinks (p2m).  The shadow maps guest-virtual to host-physical
 * directly.  Two strategies sit behind the calls below (docs/shadow-paging.md):
 *
 *   shadow=vtlb    (vtlb.c) the shadow is a software TLB: emptied on every
 *                  guest CR3 write, refilled one 4 KB entry at a time on the
 *                  page faults the guest never sees (hidden faults), and
 *                  trimmed by the guest's own INVLPG.
 *   shadow=cached  (cached.c, the default) one shadow page directory per
 *                  guest CR3, kept across address-space switches, because
 *                  every guest page directory and page table it derives from
 *                  is write-protected: each guest write to one faults, is
 *                  emulated (memop.c) and updates the shadows at once.
 *
 * Both build each shadow entry the same way (spte.c).
 *
 * Views (ring=3, docs/ring-compression.md): with the guest's kernel and its
 * user code both at CPL 3, the U/S bit of a shadow entry can no longer
 * tell them apart, so each guest address space gets two shadows: the
 * kernel view (every page the guest maps, user-accessible, as its kernel
 * may touch them all) and the user view (only the guest's user pages).
 * The dispatcher switches the view on every guest kernel/user transition,
 * all of which trap in ring 3.  In ring 1 there is one view (SHADOW_ALL)
 * and the real U/S bit is the guest's.
 */
#ifndef SHADOW_SHADOW_H
#define SHADOW_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include "monitor/options.h"
#include "monitor/vcpu.h"
#include "fault/fault.h"

enum shadow_result {
	SHADOW_FILLED,          /* hidden fault: the entry is there now, retry */
	SHADOW_GUEST_FAULT,     /* the guest's own tables refuse: reflect #PF */
	SHADOW_BAD_GPA,         /* the guest maps memory it does not have */
	SHADOW_SWITCHER,        /* the guest maps the switcher's 4 MB slot */
	SHADOW_PT_WRITE,        /* a permitted write to a write-protected guest
				   page table: emulate the instruction */
	SHADOW_MMIO,            /* a permitted access to a device's registers
				   (*bad: the guest-physical address): emulate */
};

enum shadow_view {
	SHADOW_ALL,             /* ring=1: one shadow, the guest's U/S bits */
	SHADOW_KERNEL,          /* ring=3, the guest kernel runs: all its pages, user */
	SHADOW_USER,            /* ring=3, guest user code runs: its user pages only */
};

/* The view the real CPU runs on now (shadow_root's), read by the
 * strategies and spte.c. */
extern enum shadow_view shadow_cur_view;

/* Switch to view (ring=3): shadow_root() changes with it. */
void shadow_set_view(struct vcpu *v, enum shadow_view view);

/* Pick the strategy in mon_opts and start with an empty shadow; pde is the
 * entry every shadow page directory has for the switcher's slot.  Called
 * once per run: it does not free an earlier shadow (the unit test resets
 * its fake machine's memory around it instead). */
void shadow_init(uint32_t switcher_pde);
uint32_t shadow_root(void);             /* for the real CR3 */

/* The guest wrote CR3. */
void shadow_new_cr3(struct vcpu *v);
/* The guest changed CR0.PG/WP/PE or CR4.PSE/PGE. */
void shadow_mode_changed(struct vcpu *v);
/* Does a guest INVLPG have anything to do?  Not for a strategy that
 * follows every page-table write (cached), unless the fault injector
 * (which may drop one) or trace=mmu (which logs each) must see it; then
 * the switcher's fast path may take it (entry.asm). */
bool shadow_invlpg_needed(void);
void shadow_invlpg(struct vcpu *v, uint32_t va);

/* A #PF the real CPU raised while the guest ran: hw_err is the real error
 * code (in the kernel view its U bit is the CPU's, not the guest's: the
 * access is taken as the guest kernel's).  On SHADOW_GUEST_FAULT *guest_err
 * is the code to reflect; on SHADOW_BAD_GPA *bad is the guest-physical
 * address.  On SHADOW_PT_WRITE *bad is where the guest's tables put va,
 * and that translation is remembered for the emulation of the write
 * (gva_remember below): the caller calls gva_forget() when it is done. */
static inline enum shadow_result shadow_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
					    uint32_t *guest_err, uint32_t *bad);

/* The monitor wrote [gpa, gpa+n) of guest memory for the guest (an
 * emulated instruction): shadows derived from it must follow. */
void shadow_guest_wrote(struct vcpu *v, uint32_t gpa, uint32_t n);

/* The write at va could not be emulated: stop write-protecting its frame
 * (dropping whatever was derived from it) so the instruction can run.
 * Returns false if the frame cannot be released (the active page directory). */
bool shadow_release(struct vcpu *v, uint32_t va);

/* A write of width bytes at va (guest-physical gpa) to a protected frame,
 * about to be emulated: narrower than an entry, to a page table (not a
 * watched frame), it is a page being recycled (a byte-wise memset or
 * memcpy: kernels write their entries whole), whose every byte would trap
 * until the unprotect heuristic let it go (cached.c).  Let it go now:
 * true if it was released (the write may run natively), false if it
 * cannot be (the active page directory) or is no such write. */
bool shadow_release_recycled(struct vcpu *v, uint32_t va, uint32_t gpa, unsigned width);

/* Watched guest frames: the guest's descriptor tables (vdesc.c).  No
 * shadow maps a watched frame writable, so every guest write to it faults
 * and is emulated (the SHADOW_PT_WRITE path, both strategies), and the
 * watcher hears of every byte the monitor writes there for the guest.
 * shadow_release() on a watched frame stops the watch (the watcher then
 * hears nothing more of it). */
typedef void (*shadow_watcher)(struct vcpu *v, uint32_t gpa, uint32_t n);
void shadow_set_watcher(shadow_watcher fn);
void shadow_watch(struct vcpu *v, uint32_t gfn, bool on);
extern uint32_t shadow_watched_map[];   /* one bit per guest frame */
#define SHADOW_WATCH_FRAMES (MEM_MB_MAX << (20 - 12))
static inline bool shadow_watched(uint32_t gfn)
{
	return gfn < SHADOW_WATCH_FRAMES && (shadow_watched_map[gfn / 32] >> (gfn % 32)) & 1;
}

/* Bumped by every call above that may change a shadow entry (a fill, a
 * drop, a flush, a new or evicted directory, a write the monitor made for
 * the guest; not a CR3 write that finds its directory cached, which
 * changes none): a shadow entry read at one value of it is still there,
 * the same, while the value stays.  The switcher's TSS.ESP0 store fast path
 * (trap/fastesp0.c) is armed for one value. */
extern uint32_t shadow_epoch;

/* Does the strategy write-protect guest frame gfn as a page table (a
 * write to it must go through shadow_guest_wrote)? */
bool shadow_pt_frame(uint32_t gfn);

/* ---- for the switcher's page-table write fast path (trap/fastptw.c) ---- */

/* A bit the CPU ignores (one of PTE bits 9-11, the software's): on a shadow
 * entry that is read-only only because its frame is a page table the
 * shadow derives from (cached.c), it says the entry was writable before
 * that, so the guest's own tables let its kernel write the page and need
 * no A or D bit set for it (spte.c: writable only once dirty). */
#define SPTE_PT_WRITABLE 0x200u

/* A shadow entry is on its frame's reverse map while it is not 0, present
 * or not (cached.c): the fast path drops a present one by clearing its P
 * bit alone, and the C code takes it off the map when it next changes the
 * entry or frees its table. */

/* Called whenever what guest frame gfn is to the shadow may have changed
 * (a shadow page table built from it or freed, a directory keyed on it
 * made or dropped, a watch set or cleared), once the change is complete:
 * the fast path's entry for the frame follows (trap/fastptw.c). */
typedef void (*shadow_frame_hook)(uint32_t gfn);
void shadow_set_frame_hook(shadow_frame_hook fn);
void shadow_frame_changed(uint32_t gfn);        /* for the strategies */

#define SHADOW_FAST_SPTS 4      /* shadow tables per frame the fast path keeps */

/* What a store to one entry of guest page table gfn must do to the shadow,
 * for the switcher to do it: clear the P bit of that entry in each of the
 * n shadow page tables built from the frame (spt: their host addresses),
 * and count the write in *writes (the unprotect heuristic's count, a
 * byte) while it is below writes_max; the write that reaches it goes to C. */
struct shadow_fast_frame {
	uint8_t *writes;
	uint32_t writes_max;
	uint32_t n;
	uint32_t *spt[SHADOW_FAST_SPTS];
};

/* True, and *out, if gfn is a guest page table and nothing else to the
 * shadow (no directory keyed on it, not watched), with 1 to
 * SHADOW_FAST_SPTS shadow tables built from it; false for every other
 * frame and under a strategy that keeps no such tables (vtlb). */
bool shadow_fast_frame(uint32_t gfn, struct shadow_fast_frame *out);

/* Where the current shadow maps va, if it does (a 4 KB entry, present):
 * the CPU has just used that translation to fetch the instruction that
 * trapped, so the dispatcher reads it from there without a walk of the
 * guest's tables (whose A bit that walk already set). */
bool shadow_lookup(uint32_t va, uint32_t *hpa);
/* The host address of va through the current shadow for an access by
 * the guest's kernel (supervisor) that the entry allows as it stands: any
 * present entry for a read, a writable one for a write; else NULL (no
 * entry, the switcher's slot, a 4 MB shadow entry).  gva.c's shortcut. */
void *shadow_kernel_access(uint32_t va, bool write);

/* Implemented above the shadow MMU (switcher.c), called by a strategy
 * that keeps shadows per guest CR3 (cached.c): the shadow page directory
 * root now serves guest CR3 key (its frame address), or no longer does.
 * The switcher's MOV CR3 fast path switches between such pairs alone. */
void shadow_hint_cr3(uint32_t key, uint32_t root);
void shadow_forget_cr3(uint32_t key);

/* The strategy's name, for the exit table and traces. */
const char *shadow_name(void);

/* One strategy: shadow.c forwards each call above to the chosen one. */
struct shadow_ops {
	const char *name;
	void (*init)(uint32_t switcher_pde);
	uint32_t (*root)(void);
	bool (*new_cr3)(struct vcpu *v);        /* false: no shadow entry changed
						   (a switch to a cached directory) */
	void (*view_changed)(struct vcpu *v);   /* shadow_cur_view changed */
	void (*mode_changed)(struct vcpu *v);
	void (*invlpg)(struct vcpu *v, uint32_t va);
	enum shadow_result (*fault)(struct vcpu *v, uint32_t va, uint32_t hw_err,
				    uint32_t *guest_err, uint32_t *bad);
	void (*guest_wrote)(struct vcpu *v, uint32_t gpa, uint32_t n);
	bool (*release)(struct vcpu *v, uint32_t gpa);
	bool (*pt_frame)(uint32_t gfn);         /* NULL: it protects none */
	bool (*fast_frame)(uint32_t gfn, struct shadow_fast_frame *out); /* NULL: none */
	void (*watch_on)(struct vcpu *v, uint32_t gfn); /* drop writable mappings */
	bool invlpg_nop;        /* invlpg never has anything to do */
};

extern const struct shadow_ops shadow_vtlb, shadow_cached;
extern const struct shadow_ops *shadow_ops_now;        /* the one chosen */

/* shadow_fault()'s rarer part, out of line: the fault injector's hook, the
 * page-table write's walk remembered (shadow.c). */
void shadow_fault_done(struct vcpu *v, uint32_t va, uint32_t hw_err, enum shadow_result r,
		       uint32_t bad);

/* Inline: every #PF asks (most of them are fills). */
#define SHADOW_PFE_U 0x4u       /* x86.h's PFE_U (shadow.c checks), which the
				   host tests' own models define too */
static inline enum shadow_result shadow_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
					    uint32_t *guest_err, uint32_t *bad)
{
	shadow_epoch++;
	if (shadow_cur_view == SHADOW_KERNEL)
		hw_err &= ~SHADOW_PFE_U;        /* CPL 3 for the CPU, the guest's kernel for us */
	enum shadow_result r = shadow_ops_now->fault(v, va, hw_err, guest_err, bad);
	if (fault_armed || r == SHADOW_PT_WRITE)
		shadow_fault_done(v, va, hw_err, r, *bad);
	return r;
}

/* ---- what both strategies share: spte.c, spte.h ---- */

/* ---- guest memory by guest-virtual address (gva.c) ---- */

#define GVA_WRITE   0x1u
#define GVA_USER    0x2u        /* checked as CPL 3 */

enum gva_result { GVA_OK, GVA_PF, GVA_BAD_GPA };

struct gva_fault {
	uint32_t va;            /* GVA_PF: CR2 */
	uint32_t err;           /* GVA_PF: error code */
	uint32_t bad_gpa;       /* GVA_BAD_GPA */
};

/* Translate va as the guest's MMU would for this access (setting A/D). */
enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc,
			      uint32_t *gpa_out, struct gva_fault *f);
/* One translation already made by a walk of the guest's tables (the
 * shadow fault handler's, for a page-table write): va's page is at gpa's
 * for accesses acc allows (a write allows a read; the user bit must be the
 * same).  gva_translate() takes it instead of walking again, with the A
 * and D bits that walk set, until the monitor next writes guest memory
 * (that write may be to the tables themselves) or gva_forget(). */
void gva_remember(uint32_t va, uint32_t gpa, unsigned acc);
void gva_forget(void);
/* A new run (shadow_init): nothing remembered of the last (gva.c also
 * keeps the walks it made, each checked again at every use). */
void gva_reset(void);
#ifdef MON_HOST_TEST
/* For the trap fuzzer: the page of a remembered walk that would be taken
 * now for an answer a walk now (without A/D) does not give; 1 if none. */
uint32_t gva_memo_stale(struct vcpu *v);
#endif
enum gva_result gva_read(struct vcpu *v, uint32_t va, void *buf, uint32_t n,
			 unsigned acc, struct gva_fault *f);
/* Where [va, va+n) is in the monitor's view for a read by the guest's
 * kernel, if that needs nothing done: within one page, and a walk the
 * guest's tables would answer as they answered a remembered one, or the
 * shadow's own entry (which the walk set A for); else NULL, and gva_read()
 * is the way (it walks, sets A, and gives the fault).  For reads of what
 * the CPU reads at every exception: gates, the TSS's stacks. */
const void *gva_peek(struct vcpu *v, uint32_t va, uint32_t n);
enum gva_result gva_write(struct vcpu *v, uint32_t va, const void *buf, uint32_t n,
			  unsigned acc, struct gva_fault *f);

/* The gwalk memory callbacks over guest RAM (gwalk_guest(), gwalk.h, is
 * the walk over them). */
extern const struct gwalk_mem guest_phys_words;

#endif
