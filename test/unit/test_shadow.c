/*
 * test_shadow.c - host unit tests for the shadow MMU (src/shadow_mmu/):
 * both strategies, shadow=vtlb (vtlb.c) and shadow=cached (cached.c), built
 * from their real sources over a fake machine, and judged by what the guest
 * would see through a simulated real CPU.
 *
 * Why: the shadow tables are what the real CPU walks while the guest runs.
 * An entry that allows more than the guest's own tables lets a guest user
 * process write kernel memory; a stale one (cached.c keeps shadows across
 * CR3 switches) lets the guest keep using a page it unmapped; a missed dirty
 * bit loses data the guest kernel meant to write back.
 *
 * The fake machine (memory.h's MON_HOST_TEST seam): one arena of 4 KB host
 * frames that host-physical addresses HPA_BASE.. name (host_va/host_pa):
 *
 *   frame 0                the switcher's page table (its PDE is shadow_init's)
 *   frames 1..POOL_FRAMES  host_frame_zeroed()'s pool; every allocation and
 *                          free is checked and counted, so a test can assert
 *                          that no frame leaks after evictions and drops
 *   the rest               guest RAM, 8 MB, scattered: guest frame g lives in
 *                          a host frame unrelated to g (p2m), so a shadow
 *                          entry holding a guest-physical address is caught
 *
 * The real CPU is simulated by gwalk() itself over the arena (set_ad off):
 * CR3 = shadow_root(), CR0.WP = 1, no 4 MB pages (the shadow never uses
 * them).  An access the simulated CPU refuses becomes shadow_fault() with
 * the CPU's error code, as the monitor's #PF handler does; SHADOW_FILLED
 * retries (a hidden fault), anything else ends the access.  SHADOW_PT_WRITE
 * counts as allowed: the monitor emulates the write.
 *
 *   matrix      every combination of gwalk_ref.h's reference model (PDE and
 *               PTE P/W/U/A/D/PS, read/write, CPL, CR0.WP, CR4.PSE) under
 *               each strategy: allowed or not, the #PF error code, the host
 *               frame reached, and the guest's tables afterwards (A/D);
 *               then four more accesses on the same shadow, each against
 *               the model of the entries as the previous ones left them
 *   cache       shadow_cache=N: hits, misses, least-recently-used eviction,
 *               fills surviving a switch; vtlb's flush and INVLPG for contrast
 *   rmap        guest page tables and directories write-protected in every
 *               shadow; a PTE or PDE write through gva_write() drops exactly
 *               what derives from it, in every directory; CR0.WP and
 *               CR4.PSE changes; running out of host frames
 *   unprotect   16 emulated writes with no walk release a page table; walks
 *               in between keep it; the active directory is kept;
 *               shadow_release()
 *   fast path   what the switcher's page-table store fast path is given
 *               (shadow_fast_frame: the shadow tables built from a page
 *               table, the frame hook at each change), the SPTE_PT_WRITABLE
 *               mark, and entries it drops by their P bit alone: refilled,
 *               freed and protected as any other
 *   bad input   tables or frames outside guest RAM, the switcher's slot, a
 *               device's page (above RAM)
 *   walks       gva.c's remembered walks: never taken once a PTE or PDE
 *               changed, across CR0.WP, for a write after a read, and in
 *               each of two directories sharing a table; gva_peek()
 *   views       ring=3: the guest kernel and its user code both at real
 *               CPL 3, so every simulated access is a user one and the
 *               view (shadow_set_view) says whose it is: the kernel view
 *               maps guest-supervisor and user pages user-accessible, the
 *               user view never maps a supervisor page (the guest's #PF,
 *               U=1); each view keeps its entries across switches (cached:
 *               a directory per (CR3, view); vtlb: two TLBs, both flushed
 *               by a CR3 write); a page-table write or INVLPG drops what
 *               derives from it in both; CR0.WP = 0 gives the kernel view
 *               a writable entry, never the user view; only kernel-view
 *               roots become MOV CR3 hints
 *
 * Between tests: both init functions start a fresh shadow but neither frees
 * the previous one (the monitor calls shadow_init once), so each test also
 * starts a fresh pool.  vtlb_init() keeps big[] and cached_init() keeps
 * cache[].used from the last run; see machine_reset().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shadow_mmu/shadow.h"
#include "monitor/memory.h"
#include "monitor/monitor.h"
#include "monitor/layout.h"
#include "monitor/options.h"

/* ---- the matrix's guest layout (gwalk_ref.h's names) --------------------- */

/*
 *   0x00123000  PAGE_FRAME: what the PTE under test maps
 *   0x00300000  POISON_FRAME: what every other entry maps
 *   0x00400000  PT_GPA: the page table; as a 4 MB page, 0x00400000-0x007FFFFF
 *   0x00401000  PD_GPA: the page directory
 *   0x00402000  POISON_PT: the page table every other PDE points to
 */
#define PT_GPA      0x00400000u
#define PD_GPA      0x00401000u
#define POISON_PT   0x00402000u
#define PAGE_FRAME  0x00123000u
#define POISON_FRAME 0x00300000u
#define VA          0x01325ABCu                 /* PD index 4, PT index 0x325 */
#define VA_PDI      (VA >> 22)
#define VA_PTI      ((VA >> 12) & 0x3FFu)
#define PDE_GPA     (PD_GPA + VA_PDI * 4)
#define PTE_GPA     (PT_GPA + VA_PTI * 4)

#include "gwalk_ref.h"

/* Control-register bits, the test's own (like gwalk_ref.h's). */
#define CR0_PE      (1u << 0)
#define CR0_WP      (1u << 16)
#define CR0_PG      (1u << 31)
#define CR4_PSE     (1u << 4)

#define PG_ADDR     0xFFFFF000u
#define PDX(va)     ((va) >> 22)
#define PTX(va)     (((va) >> 12) & 0x3FFu)

/* ---- the fake machine ---------------------------------------------------- */

#define HPA_BASE    0x40000000u                 /* host-physical of frame 0 */
#define POOL_FRAMES 256u
#define RAM_MB      8u
#define RAM_FRAMES  (RAM_MB << 8)
#define RAM_FIRST   (1u + POOL_FRAMES)          /* arena index of guest RAM */
#define ARENA_FRAMES (RAM_FIRST + RAM_FRAMES)
#define RAM_END     (RAM_FRAMES * PAGE)
#define DEV_GPA     (RAM_END + 4 * PAGE)        /* a device's page, above RAM (memory.h) */

#define SWITCHER_PT_HPA HPA_BASE
#define SWITCHER_PDE (SWITCHER_PT_HPA | PG_P | PG_W)

static uint8_t arena[ARENA_FRAMES][PAGE] __attribute__((aligned(PAGE)));
static uint32_t p2m[RAM_FRAMES];

struct mon_options mon_opts;
struct guest_mem guest_mem;

static struct {
	uint32_t free[POOL_FRAMES];     /* stack of free pool indexes */
	unsigned nfree;
	bool live[POOL_FRAMES];
	unsigned cap;                   /* at most this many live at once */
} pool;

static bool in_arena(uint32_t pa)
{
	return pa >= HPA_BASE && pa - HPA_BASE < ARENA_FRAMES * PAGE;
}

void *host_va(uint32_t pa)
{
	if (!in_arena(pa)) {
		fail_msg("host_va(0x%x): not host memory", pa);
		abort();
	}
	return &arena[0][0] + (pa - HPA_BASE);
}

uint32_t host_pa(const void *p)
{
	const uint8_t *b = p, *base = &arena[0][0];
	if (b < base || b >= base + sizeof arena) {
		fail_msg("host_pa(%p): not in the arena", p);
		abort();
	}
	return HPA_BASE + (uint32_t)(b - base);
}

/* Not zeroed: garbage, so that a use of what was never written shows. */
void *host_frame_alloc(void)
{
	if (pool.nfree == 0 || POOL_FRAMES - pool.nfree >= pool.cap)
		return NULL;
	uint32_t i = pool.free[--pool.nfree];
	pool.live[i] = true;
	return memset(arena[1 + i], 0xA5, PAGE);
}

void *host_frame_zeroed(void)
{
	void *f = host_frame_alloc();
	return f ? memset(f, 0, PAGE) : NULL;
}

void host_frame_free(void *frame)
{
	uint32_t pa = host_pa(frame), i = (pa - HPA_BASE) / PAGE - 1;

	if (pa % PAGE || (pa - HPA_BASE) / PAGE == 0 || i >= POOL_FRAMES || !pool.live[i]) {
		fail_msg("host_frame_free(0x%x): not an allocated pool frame", pa);
		abort();
	}
	pool.live[i] = false;
	pool.free[pool.nfree++] = i;
}

static unsigned frames_live(void)
{
	return POOL_FRAMES - pool.nfree;
}

/* What the shadow holds in use: the live frames but those cached.c keeps
 * zeroed for its next table or directory (cached_spare_frames). */
unsigned cached_spare_frames(void);
static unsigned frames_held(void)
{
	return frames_live() - cached_spare_frames();
}

static void pool_reset(void)
{
	pool.cap = POOL_FRAMES;
	pool.nfree = 0;
	for (uint32_t i = POOL_FRAMES; i-- > 0; ) {
		pool.live[i] = false;
		pool.free[pool.nfree++] = i;
	}
}

/* Guest frame g's host frame: an odd multiplier permutes the 2048 frames,
 * so neighbours in guest RAM are far apart in the arena. */
static void p2m_setup(void)
{
	for (uint32_t g = 0; g < RAM_FRAMES; g++)
		p2m[g] = (HPA_BASE / PAGE) + RAM_FIRST + ((g * 1021u + 7u) % RAM_FRAMES);
	guest_mem = (struct guest_mem){ RAM_FRAMES, p2m };
}

int gpa_to_hpa(gpa_t g, hpa_t *out)
{
	if (g.v / PAGE >= guest_mem.nframes)
		return -1;
	*out = hpa(p2m[g.v / PAGE] * PAGE | (g.v & (PAGE - 1)));
	return 0;
}

static int gpa_copy(uint32_t g, uint8_t *buf, uint32_t n, bool to_guest)
{
	while (n > 0) {
		hpa_t h;
		uint32_t chunk = PAGE - (g & (PAGE - 1));
		if (gpa_to_hpa(gpa(g), &h) < 0)
			return -1;
		chunk = chunk < n ? chunk : n;
		if (to_guest)
			memcpy(host_va(h.v), buf, chunk);
		else
			memcpy(buf, host_va(h.v), chunk);
		g += chunk;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

/* No device ranges on the fake machine unless a test sets one. */
static uint32_t fake_mmio_base, fake_mmio_size;

bool gpa_is_mmio(uint32_t g)
{
	return g - fake_mmio_base < fake_mmio_size;
}

/* The switcher's MOV CR3 hints: recorded, to check they name live roots. */
static uint32_t hint_key[64], hint_root[64];

void shadow_hint_cr3(uint32_t key, uint32_t root)
{
	hint_key[(key >> 12) % 64] = key;
	hint_root[(key >> 12) % 64] = root;
}

void shadow_forget_cr3(uint32_t key)
{
	if (hint_key[(key >> 12) % 64] == key)
		hint_key[(key >> 12) % 64] = hint_root[(key >> 12) % 64] = 0;
}

/* A device's read image (memory.h): none unless a test gives one. */
static void *fake_mmio_image;

void *gpa_mmio_image(uint32_t g)
{
	return gpa_is_mmio(g) ? fake_mmio_image : NULL;
}

int gpa_write(gpa_t g, const void *src, uint32_t n)
{
	return gpa_copy(g.v, (uint8_t *)src, n, true);
}

int gpa_read(gpa_t g, void *dst, uint32_t n)
{
	return gpa_copy(g.v, dst, n, false);
}

void mon_log(const char *fmt, ...)
{
	(void)fmt;
}

static jmp_buf panic_jmp;
static bool panic_armed;        /* a test expects the panic */
static char panic_msg[256];

void mon_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof panic_msg, fmt, ap);
	va_end(ap);
	if (!panic_armed) {
		fail_msg("mon_panic: %s", panic_msg);
		abort();
	}
	panic_armed = false;
	longjmp(panic_jmp, 1);
}

/* ---- guest memory, as the test (not the guest) touches it ---------------- */

static uint32_t hpa_of(uint32_t g)
{
	hpa_t h = { 0 };
	assert_int_equal(gpa_to_hpa(gpa(g), &h), 0);
	return h.v;
}

/* The word at guest-physical g.  A write here is behind the shadow's back:
 * for tables no shadow has derived anything from yet, or as the guest's own
 * stores under vtlb (which is told nothing until the guest flushes). */
static uint32_t *gword(uint32_t g)
{
	return host_va(hpa_of(g));
}

static void ram_clear(void)
{
	memset(arena[RAM_FIRST], 0, RAM_FRAMES * PAGE);
}

/* ---- the vCPU and the monitor's calls ------------------------------------ */

static struct vcpu vc;
static bool vtlb_up;            /* the last shadow_init() chose vtlb */

/* A fresh machine: empty pool, a new shadow of this kind.  vtlb_init()
 * does not clear big[] (which slots a 4 MB guest page filled), and its
 * flush clears only the slots it drops, so the last test's shadow is
 * flushed first (into the old pool, which is then forgotten).  cached_init()
 * does not reset cache[].used: the first directory starts with the last
 * run's LRU stamp, harmless once a mode change has dropped it (the cache
 * tests set CR0.WP, which does). */
static void machine_reset_ring(enum shadow_kind kind, unsigned cache_n, unsigned ring)
{
	if (vtlb_up)
		shadow_new_cr3(&vc);
	pool_reset();
	p2m_setup();
	memset(arena[0], 0, PAGE);
	*(uint32_t *)arena[0] = HPA_BASE | PG_P;         /* the switcher's GDT page, RO */
	mon_opts = (struct mon_options){ .mem_mb = RAM_MB, .shadow = kind,
					 .shadow_cache = cache_n, .trace = 0, .ring = ring };
	memset(&vc, 0, sizeof vc);
	vc.cr0 = CR0_PE;
	gva_forget();   /* the last test's page-table write, as trap.c would */
	shadow_init(SWITCHER_PDE);
	vtlb_up = kind == SHADOW_VTLB;
}

static void machine_reset(enum shadow_kind kind, unsigned cache_n)
{
	machine_reset_ring(kind, cache_n, 1);
}

/* The guest turns paging on in minios's order (boot.asm): CR4, CR3, then
 * CR0; each write reaches the shadow as emul.c passes it on. */
static void paging_on(uint32_t cr3, uint32_t cr0_wp, uint32_t cr4)
{
	vc.cr4 = cr4;
	if (cr4)
		shadow_mode_changed(&vc);
	vc.cr3 = cr3;
	shadow_new_cr3(&vc);
	vc.cr0 = CR0_PE | CR0_PG | cr0_wp;
	shadow_mode_changed(&vc);
}

static void set_cr3(uint32_t cr3)
{
	vc.cr3 = cr3;
	shadow_new_cr3(&vc);
}

/* An emulated guest-kernel store (ptwrite.c's path): through gva_write(). */
static void guest_store(uint32_t va, const void *buf, uint32_t n)
{
	struct gva_fault f;
	assert_int_equal(gva_write(&vc, va, buf, n, 0, &f), GVA_OK);
}

static void guest_store32(uint32_t va, uint32_t val)
{
	guest_store(va, &val, 4);
}

/* ---- the simulated real CPU ---------------------------------------------- */

static int hw_read(void *ctx, uint32_t pa, uint32_t *val)
{
	(void)ctx;
	if (!in_arena(pa))
		return -1;
	*val = *(uint32_t *)host_va(pa);
	return 0;
}

static int hw_write(void *ctx, uint32_t pa, uint32_t val)
{
	(void)ctx, (void)val;
	fail_msg("the simulated CPU wrote 0x%x with set_ad off", pa);
	return -1;
}

static const struct gwalk_mem hw_mem = { hw_read, hw_write, 0 };

/* The shadow entry the CPU would use for va, or 0. */
static uint32_t spte_of(uint32_t va)
{
	uint32_t spde = ((uint32_t *)host_va(shadow_root()))[PDX(va)];
	if (!(spde & PG_P))
		return 0;
	return ((uint32_t *)host_va(spde & PG_ADDR))[PTX(va)];
}

static uint32_t spde_of(uint32_t va)
{
	return ((uint32_t *)host_va(shadow_root()))[PDX(va)];
}

#define MAX_FILLS 4

struct access {
	bool ran;               /* the CPU completed it */
	bool stuck;             /* MAX_FILLS hidden faults and still refused */
	bool hw_bad;            /* a shadow entry pointed outside host memory */
	enum shadow_result r;   /* not ran: what shadow_fault() said last */
	uint32_t hpa;           /* ran: the host-physical address reached */
	uint32_t guest_err, bad;
	unsigned fills;         /* SHADOW_FILLED on the way */
};

/* One guest access as the real CPU and the monitor's #PF handler run it. */
static struct access cpu_access(uint32_t va, bool write, bool user)
{
	struct access a = { 0 };
	struct gwalk_req req = { .pse = false, .wp = true, .va = va, .write = write,
				 .user = user, .set_ad = false };

	for (;;) {
		struct gwalk_res hw;
		req.cr3 = shadow_root();
		enum gwalk_result g = gwalk(&hw_mem, &req, &hw);
		if (g == GWALK_OK) {
			a.ran = true;
			a.hpa = hw.gpa;
			return a;
		}
		if (g == GWALK_BAD_GPA) {
			a.hw_bad = true;
			return a;
		}
		if (a.fills == MAX_FILLS) {
			a.stuck = true;
			return a;
		}
		a.r = shadow_fault(&vc, va, hw.err, &a.guest_err, &a.bad);
		if (a.r != SHADOW_FILLED)
			return a;
		a.fills++;
	}
}

/* The access runs, reaching guest-physical g; returns the hidden faults. */
static unsigned runs(uint32_t va, bool write, bool user, uint32_t g)
{
	struct access a = cpu_access(va, write, user);
	if (!a.ran)
		fail_msg("access to 0x%x (%s%s) did not run: r=%d err=0x%x bad=0x%x stuck=%d",
			 va, write ? "write" : "read", user ? ", user" : "", a.r,
			 a.guest_err, a.bad, a.stuck);
	assert_int_equal(a.hpa, hpa_of(g));
	return a.fills;
}

/* The access ends in shadow_fault() saying r; returns what it said. */
static struct access ends(uint32_t va, bool write, bool user, enum shadow_result r)
{
	struct access a = cpu_access(va, write, user);
	assert_false(a.ran);
	assert_false(a.stuck);
	assert_false(a.hw_bad);
	assert_int_equal(a.r, r);
	return a;
}

/* ---- 1. the reference-model matrix --------------------------------------- */

static enum shadow_kind matrix_kind;

static void tables_fill(uint32_t *pt, uint32_t *pd, uint32_t *poison, uint32_t pde,
			uint32_t pte)
{
	const uint32_t all = PG_P | PG_W | PG_U | PG_A | PG_D;

	for (uint32_t i = 0; i < 1024; i++) {
		pd[i] = POISON_PT | all;
		pt[i] = POISON_FRAME | all;
		poison[i] = POISON_FRAME | all;
	}
	pd[VA_PDI] = pde;
	pt[VA_PTI] = pte;
}

/* The guest's three table pages equal what tables_fill gives for pde, pte. */
static bool tables_are(uint32_t pde, uint32_t pte)
{
	static uint32_t want[3][1024];

	tables_fill(want[0], want[1], want[2], pde, pte);
	return memcmp(gword(PT_GPA), want[0], PAGE) == 0 &&
	       memcmp(gword(PD_GPA), want[1], PAGE) == 0 &&
	       memcmp(gword(POISON_PT), want[2], PAGE) == 0;
}

/* Combination c with its A and D bits as the guest's entries hold them
 * now, for an access of this kind. */
static unsigned combo_now(unsigned c, bool write, bool user)
{
	uint32_t pde = *gword(PDE_GPA), pte = *gword(PTE_GPA);
	const int flag[] = { C_PDE_A, C_PDE_D, C_PTE_A, C_PTE_D, C_WRITE, C_USER };
	const bool on[] = { pde & PG_A, pde & PG_D, pte & PG_A, pte & PG_D, write, user };

	for (int i = 0; i < 6; i++)
		c = (c & ~(1u << flag[i])) | ((unsigned)on[i] << flag[i]);
	return c;
}

struct matrix_count {
	unsigned failed, allowed, emulated, fills;
};

/* One access of combination c on the current shadow, checked against the
 * model: allowed or not, the error code, the frame, the tables after. */
static bool check_access(unsigned c, const char *step, struct matrix_count *n)
{
	struct expect e = model(c, true);
	struct access a = cpu_access(VA, F(c, C_WRITE), F(c, C_USER));
	bool allowed = a.ran || a.r == SHADOW_PT_WRITE;
	bool ok = !a.stuck && !a.hw_bad && allowed == (e.result == GWALK_OK);

	if (ok && a.ran)
		ok = a.hpa == hpa_of(e.gpa);
	if (ok && !allowed)
		ok = a.r == SHADOW_GUEST_FAULT && a.guest_err == e.err;
	ok = ok && tables_are(e.pde, e.pte);
	n->allowed += allowed;
	n->emulated += !a.ran && a.r == SHADOW_PT_WRITE;
	n->fills += a.fills;
	if (!ok && n->failed++ < 8) {
		print_combo(c, step);
		print_error("  %s: got ran=%d r=%d err=%#x hpa=%#x fills=%u stuck=%d "
			    "pde=%#x pte=%#x\n",
			    matrix_kind == SHADOW_VTLB ? "vtlb" : "cached",
			    a.ran, a.r, a.guest_err, a.hpa, a.fills, a.stuck,
			    *gword(PDE_GPA), *gword(PTE_GPA));
		print_error("  want ok=%d err=%#x hpa=%#x pde=%#x pte=%#x\n",
			    e.result == GWALK_OK, e.err,
			    e.result == GWALK_OK ? hpa_of(e.gpa) : 0, e.pde, e.pte);
	}
	return ok;
}

/* Boots combination c's guest on a fresh shadow and runs its access. */
static void combo_boot(unsigned c)
{
	machine_reset(matrix_kind, 0);
	tables_fill(gword(PT_GPA), gword(PD_GPA), gword(POISON_PT), combo_pde(c),
		    combo_pte(c));
	paging_on(PD_GPA, F(c, C_WP) ? CR0_WP : 0, F(c, C_PSE) ? CR4_PSE : 0);
}

static void matrix(enum shadow_kind kind)
{
	struct matrix_count n = { 0 };
	unsigned checked = 0;

	matrix_kind = kind;
	for (unsigned c = 0; c < NR_COMBOS; c++) {
		unsigned fills = n.fills;
		combo_boot(c);
		check_access(c, "", &n);
		assert_int_equal(vc.stats.hidden_pf, n.fills - fills);  /* counted */
		checked++;
	}
	assert_int_equal(n.failed, 0);
	assert_int_equal(checked, 32768);
	/* 32768 - 27232 faults (test_gwalk.c's count): each translation took
	 * exactly one hidden fault on the empty shadow, none ended emulated */
	assert_int_equal(n.allowed, 5536);
	assert_int_equal(n.emulated, 0);
	assert_int_equal(n.fills, 5536);
}

static void test_matrix_vtlb(void **state)
{
	(void)state;
	matrix(SHADOW_VTLB);
}

static void test_matrix_cached(void **state)
{
	(void)state;
	matrix(SHADOW_CACHED);
}

/* After combination c's own access, the four kinds of access in turn on
 * the same shadow: what the first left behind (a read-only entry for a
 * clean page, a supervisor-only one from a CR0.WP = 0 write) must not let
 * a later one do more, or less, than the guest's tables now say. */
static void followups(enum shadow_kind kind)
{
	static const char *const names[4] = { " then read", " then user read",
					      " then write", " then user write" };
	struct matrix_count n = { 0 };

	matrix_kind = kind;
	for (unsigned c = 0; c < NR_COMBOS; c++) {
		combo_boot(c);
		check_access(c, "", &n);
		for (unsigned k = 0; k < 4; k++)
			check_access(combo_now(c, k >= 2, k & 1), names[k], &n);
	}
	assert_int_equal(n.failed, 0);
	/* 5 x 32768 accesses, 27680 of them allowed (counted by a separate
	 * script over the SDM's rules, A/D carried from one to the next) */
	assert_int_equal(n.allowed, 27680);
	assert_int_equal(n.emulated, 0);
}

static void test_matrix_followups_vtlb(void **state)
{
	(void)state;
	followups(SHADOW_VTLB);
}

static void test_matrix_followups_cached(void **state)
{
	(void)state;
	followups(SHADOW_CACHED);
}

/* ---- the scenarios' guest layout ----------------------------------------- */

/*
 * Guest-physical:
 *   0x00010000  PD_A, 0x00011000 PD_B: two directories sharing both tables
 *   0x00020000  PT_LO: slot 4's table, maps the data pages
 *   0x00021000  PT_HI: slot 5's table, maps the tables themselves (a guest
 *               kernel edits its page tables through such mappings)
 *   0x00022000  F_GPA: a data page that later becomes a page table
 *   0x00023000  PT_SW: a guest table for the switcher's slot
 *   0x00040000  PD_N(i), 0x00060000 PT_N(i): the cache test's spaces
 *   0x00100000  DATA(n): data pages
 * Guest-virtual:
 *   V_DATA(n)   0x01000000 + n pages   slot 4 -> DATA(n), user RW dirty
 *   V_PT_LO     0x01400000             slot 5 -> PT_LO, kernel RW dirty
 *   V_PD_A, V_PD_B, V_F                the next pages -> PD_A, PD_B, F_GPA
 *   V_F_SLOT    0x01800000             slot 6, once F_GPA is its table
 */
#define PD_A        0x00010000u
#define PD_B        0x00011000u
#define PT_LO       0x00020000u
#define PT_HI       0x00021000u
#define F_GPA       0x00022000u
#define PT_SW       0x00023000u
#define PD_N(i)     (0x00040000u + (i) * PAGE)
#define PT_N(i)     (0x00060000u + (i) * PAGE)
#define DATA(n)     (0x00100000u + (n) * PAGE)
#define NDATA       16u

#define V_LO        0x01000000u
#define V_HI        0x01400000u
#define V_DATA(n)   (V_LO + (n) * PAGE)
#define V_NEW       V_DATA(0x100u)              /* absent until a test maps it */
#define V_PT_LO     (V_HI + 0 * PAGE)
#define V_PD_A      (V_HI + 1 * PAGE)
#define V_PD_B      (V_HI + 2 * PAGE)
#define V_F         (V_HI + 3 * PAGE)
#define V_F_SLOT    0x01800000u
#define V_PTE(va)   (V_PT_LO + PTX(va) * 4)     /* a slot-4 PTE, as the guest sees it */
#define V_PDE(vpd, va) ((vpd) + PDX(va) * 4)

#define TABLE       (PG_P | PG_W | PG_U | PG_A)
#define KDATA       (PG_P | PG_W | PG_A | PG_D)
#define UDATA       (PG_P | PG_W | PG_U | PG_A | PG_D)

static void map(uint32_t pt, uint32_t va, uint32_t entry)
{
	*gword(pt + PTX(va) * 4) = entry;
}

static void map_table(uint32_t pd, uint32_t va, uint32_t entry)
{
	*gword(pd + PDX(va) * 4) = entry;
}

static void build_space(uint32_t pd)
{
	map_table(pd, V_LO, PT_LO | TABLE);
	map_table(pd, V_HI, PT_HI | TABLE);
	for (uint32_t n = 0; n < NDATA; n++)
		map(PT_LO, V_DATA(n), DATA(n) | UDATA);
	map(PT_HI, V_PT_LO, PT_LO | KDATA);
	map(PT_HI, V_PD_A, PD_A | KDATA);
	map(PT_HI, V_PD_B, PD_B | KDATA);
	map(PT_HI, V_F, F_GPA | KDATA);
}

/* PD_A and PD_B built, paging on with PD_A (CR0.WP set). */
static void boot_space(enum shadow_kind kind)
{
	machine_reset(kind, 0);
	ram_clear();
	build_space(PD_A);
	build_space(PD_B);
	paging_on(PD_A, CR0_WP, 0);
}

/* ---- 2. the cache of directories (shadow_cache=N) ------------------------ */

/* Space i: PD_N(i) maps V_DATA(0) to DATA(i) through its own table. */
static void space_n(unsigned i)
{
	map_table(PD_N(i), V_LO, PT_N(i) | TABLE);
	map(PT_N(i), V_DATA(0), DATA(i) | UDATA);
}

/* Switches to spaces first..last-1 in turn, each access to V_DATA(0)
 * taking `fills` hidden faults. */
static void visit(unsigned first, unsigned last, unsigned fills)
{
	for (unsigned i = first; i < last; i++) {
		set_cr3(PD_N(i));
		assert_int_equal(runs(V_DATA(0), false, true, DATA(i)), fills);
	}
}

static void test_cached_lru(void **state)
{
	(void)state;
	const unsigned N = 4;
	struct vcpu_stats s;

	machine_reset(SHADOW_CACHED, N);
	ram_clear();
	for (unsigned i = 0; i <= N; i++)
		space_n(i);
	paging_on(PD_N(0), CR0_WP, 0);          /* WP: the paging-off shadow goes */
	s = vc.stats;
	visit(0, N, 1);                         /* round 1: each one new */
	assert_int_equal(vc.stats.cache_misses - s.cache_misses, N - 1);
	s = vc.stats;
	visit(0, N, 0);                         /* round 2: all hits, no fills */
	assert_int_equal(vc.stats.cache_hits - s.cache_hits, N);
	assert_int_equal(vc.stats.cache_misses - s.cache_misses, 0);
	assert_int_equal(vc.stats.hidden_pf - s.hidden_pf, 0);
	assert_int_equal(vc.stats.cache_evictions, 0);

	visit(N, N + 1, 1);                     /* N+1th: evicts PD_N(0) */
	assert_int_equal(vc.stats.cache_misses - s.cache_misses, 1);
	assert_int_equal(vc.stats.cache_evictions, 1);
	s = vc.stats;
	visit(1, N, 0);                         /* the others survived */
	set_cr3(PD_N(1) | PG_PWT | PG_PCD);     /* CR3's low bits name no other table */
	assert_int_equal(vc.stats.cache_hits - s.cache_hits, N);
	assert_int_equal(vc.stats.cache_misses - s.cache_misses, 0);
	visit(0, 1, 1);                         /* the victim: a miss, filled again */
	assert_int_equal(vc.stats.cache_misses - s.cache_misses, 1);
	assert_int_equal(vc.stats.cache_evictions, 2);

	/* N directories of one shadow table each: a page directory, and a
	 * table with its two rmap arrays; a mode change drops them all */
	assert_int_equal(vc.stats.spt_alloc - vc.stats.spt_free, N);
	assert_int_equal(frames_held(), N * (1 + 3));
	vc.cr0 &= ~CR0_WP;
	shadow_mode_changed(&vc);
	assert_int_equal(vc.stats.spt_alloc, vc.stats.spt_free);
	assert_int_equal(frames_held(), 1);
}

static void test_cached_one_directory(void **state)
{
	(void)state;
	struct vcpu_stats s;

	machine_reset(SHADOW_CACHED, 1);
	ram_clear();
	space_n(0);
	space_n(1);
	paging_on(PD_N(0), CR0_WP, 0);
	s = vc.stats;
	for (unsigned k = 1; k <= 6; k++) {     /* 1, 0, 1, ...: never the current one */
		set_cr3(PD_N(k & 1));
		assert_int_equal(runs(V_DATA(0), true, true, DATA(k & 1)), 1);
		assert_int_equal(frames_live(), 1 + 3);
	}
	assert_int_equal(vc.stats.cache_misses - s.cache_misses, 6);
	assert_int_equal(vc.stats.cache_evictions - s.cache_evictions, 6);
	assert_int_equal(vc.stats.cache_hits - s.cache_hits, 0);
}

/* vtlb keeps nothing across a CR3 write, and frees what it drops. */
static void test_vtlb_cr3_write_flushes(void **state)
{
	(void)state;

	machine_reset(SHADOW_VTLB, 0);
	ram_clear();
	space_n(0);
	space_n(1);
	paging_on(PD_N(0), CR0_WP, 0);
	for (unsigned k = 0; k < 4; k++) {
		set_cr3(PD_N(k & 1));
		assert_int_equal(spte_of(V_DATA(0)), 0);
		assert_int_equal(runs(V_DATA(0), false, false, DATA(k & 1)), 1);
		assert_int_equal(frames_live(), 2);     /* directory + one table */
	}
	assert_int_equal(spde_of(SWITCHER_BASE), SWITCHER_PDE);
	assert_int_equal(vc.stats.hidden_pf, 4);
}

static void test_vtlb_invlpg(void **state)
{
	(void)state;

	boot_space(SHADOW_VTLB);
	vc.cr4 = CR4_PSE;
	shadow_mode_changed(&vc);
	map_table(PD_A, V_F_SLOT, BIG | UDATA | PG_PS);         /* 4 MB page at 4 MB */
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);
	assert_int_equal(runs(V_DATA(1), false, false, DATA(1)), 1);
	assert_int_equal(runs(V_F_SLOT, false, false, BIG), 1);
	assert_int_equal(runs(V_F_SLOT + PAGE, false, false, BIG + PAGE), 1);
	assert_int_equal(frames_live(), 3);

	/* the guest remaps V_DATA(0) and flushes it: only that entry goes */
	map(PT_LO, V_DATA(0), DATA(8) | UDATA);
	shadow_invlpg(&vc, V_DATA(0));
	assert_int_equal(spte_of(V_DATA(0)), 0);
	assert_true(spte_of(V_DATA(1)) & PG_P);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(8)), 1);

	/* one INVLPG in a 4 MB page flushes all of it: the slot goes */
	shadow_invlpg(&vc, V_F_SLOT);
	assert_int_equal(spde_of(V_F_SLOT), 0);
	assert_int_equal(frames_live(), 2);
	assert_int_equal(vc.stats.shadow_invlpgs, 2);
}

/* ---- 3. the reverse map: write protection and exact drops --------------- */

static void test_cached_tables_protected_after_fill(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(vc.stats.protects, 1);                 /* PD_A */
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);
	assert_int_equal(vc.stats.protects, 2);                 /* PT_LO */

	/* PT_LO through another address: read-only in the shadow, though the
	 * guest's entry is writable and dirty; a write is emulated */
	ends(V_PT_LO, true, false, SHADOW_PT_WRITE);
	uint32_t e = spte_of(V_PT_LO);
	assert_int_equal(e & (PG_P | PG_W), PG_P);
	assert_int_equal(e & PG_ADDR, hpa_of(PT_LO));
	assert_int_equal(runs(V_PT_LO, false, false, PT_LO), 0);
	ends(V_PD_A, true, false, SHADOW_PT_WRITE);             /* the directory too */
	assert_int_equal(runs(V_DATA(1), true, true, DATA(1)), 1);      /* data is not */
	assert_true(spte_of(V_DATA(1)) & PG_W);

	/* PD_B is no directory yet: writable, until a CR3 makes it one */
	assert_int_equal(runs(V_PD_B, true, false, PD_B), 1);
	assert_true(spte_of(V_PD_B) & PG_W);
	unsigned protects = vc.stats.protects;
	set_cr3(PD_B);
	set_cr3(PD_A);
	assert_int_equal(vc.stats.protects, protects + 1);
	assert_int_equal(spte_of(V_PD_B) & (PG_P | PG_W), PG_P);
	ends(V_PD_B, true, false, SHADOW_PT_WRITE);
}

static void test_cached_writable_mapping_protected(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(runs(V_F, true, false, F_GPA), 1);
	assert_true(spte_of(V_F) & PG_W);

	/* the guest kernel makes F a page table for slot 6 */
	guest_store32(V_F + PTX(V_F_SLOT) * 4, DATA(5) | UDATA);
	guest_store32(V_PDE(V_PD_A, V_F_SLOT), F_GPA | TABLE);
	unsigned protects = vc.stats.protects;
	assert_true(spte_of(V_F) & PG_W);               /* nothing walked it yet */
	assert_int_equal(runs(V_F_SLOT, false, true, DATA(5)), 1);
	assert_int_equal(vc.stats.protects, protects + 1);
	assert_int_equal(spte_of(V_F) & (PG_P | PG_W), PG_P);
	ends(V_F, true, false, SHADOW_PT_WRITE);
	assert_int_equal(runs(V_F, false, false, F_GPA), 0);
}

/* Fills V_DATA(0..3) in both directories; PD_A is current after. */
static void fill_both(void)
{
	for (unsigned d = 0; d < 2; d++) {
		set_cr3(d ? PD_B : PD_A);
		for (unsigned n = 0; n < 4; n++)
			assert_int_equal(runs(V_DATA(n), false, true, DATA(n)), 1);
	}
	set_cr3(PD_A);
}

/* Which of V_DATA(0..3) have a shadow entry now, as bits. */
static unsigned present_mask(void)
{
	unsigned m = 0;
	for (unsigned n = 0; n < 4; n++)
		m |= (spte_of(V_DATA(n)) & PG_P) ? 1u << n : 0;
	return m;
}

static void assert_both_present(unsigned mask)
{
	set_cr3(PD_B);
	assert_int_equal(present_mask(), mask);
	set_cr3(PD_A);
	assert_int_equal(present_mask(), mask);
}

static void test_cached_pte_write_drops_its_entry(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	fill_both();
	assert_int_equal(vc.stats.spt_alloc, 2);        /* one per directory */
	assert_both_present(0xF);

	set_cr3(PD_B);                                  /* written under PD_B */
	guest_store32(V_PTE(V_DATA(0)), DATA(7) | UDATA);
	assert_both_present(0xE);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(7)), 1);     /* PD_A */
	assert_int_equal(runs(V_DATA(1), false, true, DATA(1)), 0);
	set_cr3(PD_B);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(7)), 1);
	assert_both_present(0xF);

	/* one byte of entry 1; then 4 bytes straddling entries 2 and 3 */
	uint8_t b = ((uint8_t *)gword(PT_LO))[4 * 1 + 1];
	guest_store(V_PTE(V_DATA(1)) + 1, &b, 1);
	assert_both_present(0xD);
	uint8_t four[4];
	memcpy(four, (uint8_t *)gword(PT_LO) + 4 * 2 + 2, 4);
	guest_store(V_PTE(V_DATA(2)) + 2, four, 4);
	assert_both_present(0x1);
	assert_int_equal(vc.stats.spt_free, 0);         /* entries, not tables */
}

static void test_cached_pde_write_drops_slot_table(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	fill_both();
	unsigned live = frames_held();

	/* the same value rewritten: PD_A's slot 4 table goes, PD_B's stays */
	guest_store32(V_PDE(V_PD_A, V_LO), PT_LO | TABLE);
	assert_int_equal(vc.stats.spt_free, 1);
	assert_int_equal(spde_of(V_LO), 0);
	assert_int_equal(frames_held(), live - 3);
	set_cr3(PD_B);
	assert_int_equal(present_mask(), 0xF);
	set_cr3(PD_A);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);

	/* a new table for the slot: the shadow follows it */
	map(F_GPA, V_DATA(0), DATA(9) | UDATA);
	guest_store32(V_PDE(V_PD_A, V_LO), F_GPA | TABLE);
	assert_int_equal(vc.stats.spt_free, 2);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(9)), 1);
	ends(V_DATA(1), false, true, SHADOW_GUEST_FAULT);
	set_cr3(PD_B);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 0);

	/* a PDE of a directory that is not the current one (PD_B, written
	 * while PD_A runs): its shadow table goes all the same */
	set_cr3(PD_A);
	guest_store32(V_PDE(V_PD_B, V_LO), F_GPA | TABLE);
	assert_int_equal(vc.stats.spt_free, 3);
	set_cr3(PD_B);
	assert_int_equal(spde_of(V_LO), 0);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(9)), 1);
}

static void new_pte_visible(enum shadow_kind kind)
{
	boot_space(kind);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	assert_int_equal(ends(V_NEW, false, false, SHADOW_GUEST_FAULT).guest_err, 0);
	assert_int_equal(ends(V_NEW, true, true, SHADOW_GUEST_FAULT).guest_err, PFE_W | PFE_U);
	guest_store32(V_PTE(V_NEW), DATA(10) | UDATA);
	assert_int_equal(runs(V_NEW, true, true, DATA(10)), 1);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 0);
}

static void test_new_pte_visible_vtlb(void **state)
{
	(void)state;
	new_pte_visible(SHADOW_VTLB);
}

static void test_new_pte_visible_cached(void **state)
{
	(void)state;
	new_pte_visible(SHADOW_CACHED);
}

/* CR0.WP and CR4.PSE change what the guest's entries mean: nothing filled
 * under the old mode may be used under the new one. */
static void mode_change(enum shadow_kind kind)
{
	boot_space(kind);
	guest_store32(V_PTE(V_DATA(0)), DATA(0) | PG_P | PG_A | PG_D);  /* kernel RO */
	vc.cr0 &= ~CR0_WP;
	shadow_mode_changed(&vc);
	assert_int_equal(runs(V_DATA(0), true, false, DATA(0)), 1);
	assert_int_equal(runs(V_DATA(0), true, false, DATA(0)), 0);
	vc.cr0 |= CR0_WP;
	shadow_mode_changed(&vc);
	assert_int_equal(ends(V_DATA(0), true, false, SHADOW_GUEST_FAULT).guest_err,
			 PFE_P | PFE_W);

	/* one PDE with PS: a table pointer without PSE, a 4 MB page with it
	 * (the table it names, guest frame 0x400, is all zeroes) */
	guest_store32(V_PDE(V_PD_A, 0x01C00000u), BIG | UDATA | PG_PS);
	assert_int_equal(ends(0x01C05000u, false, false, SHADOW_GUEST_FAULT).guest_err, 0);
	vc.cr4 |= CR4_PSE;
	shadow_mode_changed(&vc);
	assert_int_equal(runs(0x01C05000u, false, false, BIG + 0x5000), 1);
	vc.cr4 &= ~CR4_PSE;
	shadow_mode_changed(&vc);
	assert_int_equal(ends(0x01C05000u, false, false, SHADOW_GUEST_FAULT).guest_err, 0);
}

static void test_mode_change_vtlb(void **state)
{
	(void)state;
	mode_change(SHADOW_VTLB);
}

static void test_mode_change_cached(void **state)
{
	(void)state;
	mode_change(SHADOW_CACHED);
}

/* Out of host frames: cached.c evicts the least recently used other
 * directory, or empties the current one; with no frame for even one
 * table it panics rather than loop. */
static void test_cached_out_of_frames(void **state)
{
	(void)state;

	machine_reset(SHADOW_CACHED, 8);
	ram_clear();
	for (unsigned i = 0; i < 3; i++)
		space_n(i);
	paging_on(PD_N(0), CR0_WP, 0);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);
	set_cr3(PD_N(1));
	assert_int_equal(runs(V_DATA(0), false, false, DATA(1)), 1);
	pool.cap = frames_live();               /* 2 x (directory + table) */
	set_cr3(PD_N(2));                       /* no frame: PD_N(0) goes */
	assert_int_equal(vc.stats.cache_evictions, 1);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(2)), 1);
	set_cr3(PD_N(1));
	assert_int_equal(runs(V_DATA(0), false, false, DATA(1)), 0);
	assert_int_equal(frames_live(), pool.cap);

	/* one directory: the current one is emptied for the new table */
	machine_reset(SHADOW_CACHED, 1);
	ram_clear();
	build_space(PD_A);
	paging_on(PD_A, CR0_WP, 0);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);
	pool.cap = frames_live();
	unsigned flushes = vc.stats.shadow_flushes;
	assert_int_equal(runs(V_PT_LO, false, false, PT_LO), 1);
	assert_int_equal(vc.stats.shadow_flushes, flushes + 1);
	assert_int_equal(spde_of(V_LO), 0);
	assert_int_equal(frames_live(), pool.cap);

	pool.cap = frames_live() - 3 + 2;       /* an empty directory and 2 frames */
	panic_armed = true;
	if (setjmp(panic_jmp) == 0) {
		cpu_access(V_DATA(0), false, false);
		fail_msg("out of frames for one shadow table: no panic");
	}
	assert_false(panic_armed);
}

static void test_vtlb_out_of_frames(void **state)
{
	(void)state;

	boot_space(SHADOW_VTLB);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);
	pool.cap = frames_live();               /* the flush makes room */
	assert_int_equal(runs(V_PT_LO, false, false, PT_LO), 1);
	assert_int_equal(spde_of(V_LO), 0);
	pool.cap = 1;                           /* the directory alone */
	panic_armed = true;
	if (setjmp(panic_jmp) == 0) {
		cpu_access(V_DATA(0), false, false);
		fail_msg("out of frames for one shadow table: no panic");
	}
	assert_false(panic_armed);
}

/* A page-table write is emulated through the translation the fault
 * handler's walk made (gva_remember): the emulation does not walk the
 * guest's tables again, for an access that walk allowed, until the first
 * write to guest memory or gva_forget().  A walk is seen here by changing
 * the guest's mapping of V_PT_LO behind the monitor's back. */
static void test_cached_pt_write_walked_once(void **state)
{
	const uint32_t off0 = PTX(V_DATA(0)) * 4, off1 = PTX(V_DATA(1)) * 4;
	struct gva_fault f;
	uint32_t g;
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);  /* PT_LO protected */
	struct access a = ends(V_PTE(V_DATA(0)), true, false, SHADOW_PT_WRITE);
	assert_int_equal(a.bad, PT_LO + off0);          /* where the write goes */

	/* forgotten: the next translation walks, and sees the new mapping */
	gva_forget();
	map(PT_HI, V_PT_LO, F_GPA | KDATA);
	assert_int_equal(gva_translate(&vc, V_PTE(V_DATA(0)), 0, &g, &f), GVA_OK);
	assert_int_equal(g, F_GPA + off0);
	map(PT_HI, V_PT_LO, PT_LO | KDATA);

	a = ends(V_PTE(V_DATA(0)), true, false, SHADOW_PT_WRITE);
	assert_int_equal(a.bad, PT_LO + off0);
	map(PT_HI, V_PT_LO, F_GPA | KDATA);
	/* a user access is not what the fault's walk checked: it walks (and
	 * V_PT_LO is the guest kernel's) */
	assert_int_equal(gva_translate(&vc, V_PTE(V_DATA(1)), GVA_USER, &g, &f), GVA_PF);
	/* the kernel's, anywhere in the page: remembered, no walk */
	assert_int_equal(gva_translate(&vc, V_PTE(V_DATA(1)), 0, &g, &f), GVA_OK);
	assert_int_equal(g, PT_LO + off1);
	guest_store32(V_PTE(V_DATA(0)), DATA(7) | UDATA);
	assert_int_equal(*gword(PT_LO + off0), DATA(7) | UDATA);
	/* after a write the tables may have changed: walked again */
	assert_int_equal(gva_translate(&vc, V_PTE(V_DATA(0)), 0, &g, &f), GVA_OK);
	assert_int_equal(g, F_GPA + off0);
}

/* gva.c remembers the walks it makes and takes one again only if the two
 * entries it read still hold what they held (and CR0.WP, CR4.PSE and the
 * access agree): whatever the guest (or the monitor) changes in its
 * tables, behind the monitor's back here, the next translation sees, in
 * every address space, and nothing is written (A and D are set). */
static void test_walks_remembered_never_stale(void **state)
{
	struct gva_fault f;
	uint32_t g;
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(gva_translate(&vc, V_DATA(1), 0, &g, &f), GVA_OK);
	assert_int_equal(g, DATA(1));
	map(PT_LO, V_DATA(1), DATA(5) | UDATA);         /* the PTE changes */
	assert_int_equal(gva_translate(&vc, V_DATA(1) + 8, 0, &g, &f), GVA_OK);
	assert_int_equal(g, DATA(5) + 8);
	map(PT_LO, V_DATA(1), 0);                       /* ...goes */
	assert_int_equal(gva_translate(&vc, V_DATA(1), 0, &g, &f), GVA_PF);
	assert_int_equal(f.err, 0);
	map(PT_LO, V_DATA(1), DATA(1) | PG_P | PG_U);   /* read-only, no A */
	assert_int_equal(gva_translate(&vc, V_DATA(1), GVA_USER, &g, &f), GVA_OK);
	assert_int_equal(*gword(PT_LO + PTX(V_DATA(1)) * 4), DATA(1) | PG_P | PG_U | PG_A);
	/* a read remembered is no licence to write */
	assert_int_equal(gva_translate(&vc, V_DATA(1), GVA_USER | GVA_WRITE, &g, &f), GVA_PF);
	assert_int_equal(f.err, PFE_P | PFE_W | PFE_U);
	/* CR0.WP = 0: the kernel may write it; WP again: it may not */
	vc.cr0 &= ~CR0_WP;
	assert_int_equal(gva_translate(&vc, V_DATA(1), GVA_WRITE, &g, &f), GVA_OK);
	vc.cr0 |= CR0_WP;
	assert_int_equal(gva_translate(&vc, V_DATA(1), GVA_WRITE, &g, &f), GVA_PF);
	/* PD_B shares PT_LO: the walk made under PD_A serves it... */
	map(PT_LO, V_DATA(2), DATA(2) | UDATA);
	assert_int_equal(gva_translate(&vc, V_DATA(2), 0, &g, &f), GVA_OK);
	set_cr3(PD_B);
	assert_int_equal(gva_translate(&vc, V_DATA(2), 0, &g, &f), GVA_OK);
	assert_int_equal(g, DATA(2));
	/* ...until PD_B's own PDE says otherwise */
	map_table(PD_B, V_LO, PT_N(0) | TABLE);
	map(PT_N(0), V_DATA(2), DATA(9) | UDATA);
	assert_int_equal(gva_translate(&vc, V_DATA(2), 0, &g, &f), GVA_OK);
	assert_int_equal(g, DATA(9));
	set_cr3(PD_A);
	assert_int_equal(gva_translate(&vc, V_DATA(2), 0, &g, &f), GVA_OK);
	assert_int_equal(g, DATA(2));
	/* a page beyond RAM: remembered or not, reading it is not RAM */
	uint32_t word;
	map(PT_LO, V_DATA(4), (RAM_END + PAGE) | UDATA);
	assert_int_equal(gva_translate(&vc, V_DATA(4), 0, &g, &f), GVA_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(gva_read(&vc, V_DATA(4) + 4, &word, 4, 0, &f), GVA_BAD_GPA);
		assert_int_equal(f.bad_gpa, RAM_END + PAGE + 4);
		assert_null(gva_peek(&vc, V_DATA(4) + 4, 4));
	}
}

/* gva_peek: guest memory in place for the kernel's read, only when that
 * needs nothing done (a remembered walk, the shadow's own entry); after a
 * change to the tables it gives what the walk now gives, or NULL. */
static void test_peek(void **state)
{
	struct gva_fault f;
	uint32_t g, word = 0x12345678u;
	(void)state;

	boot_space(SHADOW_CACHED);
	*gword(DATA(3) + 16) = word;
	/* never walked, never filled: nothing to take in place */
	assert_null(gva_peek(&vc, V_DATA(3) + 16, 4));
	assert_int_equal(gva_translate(&vc, V_DATA(3), 0, &g, &f), GVA_OK);
	const uint32_t *p = gva_peek(&vc, V_DATA(3) + 16, 4);
	assert_non_null(p);
	assert_int_equal(*p, word);
	assert_null(gva_peek(&vc, V_DATA(3) + PAGE - 2, 4));     /* crosses a page */
	map(PT_LO, V_DATA(3), DATA(4) | UDATA);
	*gword(DATA(4) + 16) = ~word;
	assert_null(gva_peek(&vc, V_DATA(3) + 16, 4));  /* (no shadow entry either) */
	assert_int_equal(gva_translate(&vc, V_DATA(3), 0, &g, &f), GVA_OK);
	p = gva_peek(&vc, V_DATA(3) + 16, 4);
	assert_non_null(p);
	assert_int_equal(*p, ~word);
	map(PT_LO, V_DATA(3), 0);
	assert_null(gva_peek(&vc, V_DATA(3) + 16, 4));
	/* the shadow's own entry, once a fill made it */
	map(PT_LO, V_DATA(3), DATA(3) | UDATA);
	assert_int_equal(runs(V_DATA(3), false, false, DATA(3)), 1);
	p = gva_peek(&vc, V_DATA(3) + 16, 4);
	assert_non_null(p);
	assert_int_equal(*p, word);
}

/* ---- 4. the unprotect heuristic ------------------------------------------ */

#define UNPROTECT_AFTER 16u     /* cached.c's */

static void test_cached_unprotect_after_16_writes(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	ends(V_PT_LO, true, false, SHADOW_PT_WRITE);    /* a read-only entry for it */
	unsigned freed = vc.stats.spt_free, live = frames_held();
	for (uint32_t i = 0; i < UNPROTECT_AFTER - 1; i++)
		guest_store32(V_PTE(V_DATA(0x200 + i)), 0);
	assert_int_equal(vc.stats.unprotects, 0);
	assert_true(spte_of(V_DATA(0)) & PG_P);
	guest_store32(V_PTE(V_DATA(0x300)), 0);
	assert_int_equal(vc.stats.unprotects, 1);
	assert_int_equal(vc.stats.spt_free, freed + 1);         /* derived: dropped */
	assert_int_equal(spde_of(V_LO), 0);
	assert_int_equal(frames_held(), live - 3);

	/* PT_LO is data now: a write fills a writable entry over the read-only one */
	struct access a = cpu_access(V_PT_LO, true, false);
	assert_true(a.ran);
	assert_int_equal(a.fills, 1);
	assert_int_equal(a.hpa, hpa_of(PT_LO));
	assert_true(spte_of(V_PT_LO) & PG_W);

	/* ... until a walk uses it as a page table again */
	unsigned protects = vc.stats.protects;
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	assert_int_equal(vc.stats.protects, protects + 1);
	ends(V_PT_LO, true, false, SHADOW_PT_WRITE);
}

static void test_cached_walks_keep_table_protected(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	for (unsigned i = 0; i < 3 * UNPROTECT_AFTER; i++) {
		guest_store32(V_PTE(V_DATA(0)), DATA(0) | UDATA);       /* drops it */
		assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	}
	assert_int_equal(vc.stats.unprotects, 0);
	ends(V_PT_LO, true, false, SHADOW_PT_WRITE);
}

static void test_cached_active_directory_kept(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	fill_both();                                    /* PD_B cached too */
	for (uint32_t i = 0; i < UNPROTECT_AFTER; i++)
		guest_store32(V_PD_A + (0x100 + i) * 4, 0);
	assert_int_equal(vc.stats.unprotect_kept, 1);
	assert_int_equal(vc.stats.unprotects, 0);
	ends(V_PD_A, true, false, SHADOW_PT_WRITE);
	assert_int_equal(present_mask(), 0xF);

	/* an inactive directory is released: its shadow (directory and one
	 * table) is dropped, and it is data again */
	unsigned live = frames_held();
	for (uint32_t i = 0; i < UNPROTECT_AFTER; i++)
		guest_store32(V_PD_B + (0x100 + i) * 4, 0);
	assert_int_equal(vc.stats.unprotects, 1);
	assert_int_equal(frames_held(), live - (1 + 3));
	assert_int_equal(runs(V_PD_B, true, false, PD_B), 1);
	assert_true(spte_of(V_PD_B) & PG_W);
	unsigned misses = vc.stats.cache_misses;
	set_cr3(PD_B);
	assert_int_equal(vc.stats.cache_misses, misses + 1);
	assert_int_equal(present_mask(), 0);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
}

static void test_release(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	ends(V_PT_LO, true, false, SHADOW_PT_WRITE);    /* a read-only entry for it */
	assert_false(shadow_release(&vc, V_PD_A));      /* the active directory */
	assert_false(shadow_release(&vc, V_DATA(1)));   /* not protected */
	assert_false(shadow_release(&vc, V_NEW));       /* not mapped */
	assert_true(shadow_release(&vc, V_PT_LO + 0x10));
	assert_int_equal(spde_of(V_LO), 0);
	assert_int_equal(runs(V_PT_LO, true, false, PT_LO), 1);        /* the retry */
	assert_false(shadow_release(&vc, V_PT_LO));     /* no longer protected */

	boot_space(SHADOW_VTLB);                        /* nothing protected */
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);
	assert_false(shadow_release(&vc, V_PT_LO));
	assert_int_equal(runs(V_PT_LO, true, false, PT_LO), 1);
}

/* ---- 6. ring=3: the kernel and the user view ----------------------------- */

#define V_K         V_DATA(8)           /* a guest-supervisor data page */
#define V_RO        V_DATA(9)           /* a read-only user page */
#define UREAD       (PG_P | PG_U | PG_A | PG_D)

/* boot_space's two address spaces under ring=3, with a supervisor page and
 * a read-only user page in slot 4; the kernel view first, as at boot. */
static void boot_views(enum shadow_kind kind)
{
	machine_reset_ring(kind, 0, 3);
	ram_clear();
	build_space(PD_A);
	build_space(PD_B);
	map(PT_LO, V_K, DATA(8) | KDATA);
	map(PT_LO, V_RO, DATA(9) | UREAD);
	memset(hint_key, 0, sizeof hint_key);
	memset(hint_root, 0, sizeof hint_root);
	paging_on(PD_A, CR0_WP, 0);
	assert_int_equal(shadow_cur_view, SHADOW_KERNEL);
}

static void view(enum shadow_view w)
{
	shadow_set_view(&vc, w);
	assert_int_equal(shadow_cur_view, w);
}

/* The real CPU runs both at CPL 3: every access is a user one. */
static unsigned runs3(uint32_t va, bool write, uint32_t g)
{
	return runs(va, write, true, g);
}

/* The guest's #PF error code for an access the current view refuses. */
static uint32_t refused3(uint32_t va, bool write)
{
	return ends(va, write, true, SHADOW_GUEST_FAULT).guest_err;
}

static void views_kernel_maps_all(enum shadow_kind kind)
{
	boot_views(kind);
	assert_int_equal(runs3(V_K, false, DATA(8)), 1);
	assert_int_equal(runs3(V_K, true, DATA(8)), 0);          /* dirty: filled writable */
	assert_int_equal(spte_of(V_K) & (PG_P | PG_W | PG_U), PG_P | PG_W | PG_U);
	assert_int_equal(runs3(V_DATA(0), true, DATA(0)), 1);
	assert_true(spte_of(V_DATA(0)) & PG_U);
	assert_int_equal(runs3(V_PT_LO, false, PT_LO), 1);      /* a kernel-only table page */
	/* the kernel's own faults are the kernel's: no U in the error code */
	assert_int_equal(refused3(V_NEW, false), 0);
	assert_int_equal(refused3(V_RO, true), PFE_P | PFE_W);
	assert_int_equal(vc.stats.view_switches, 0);
}

static void test_views_kernel_maps_all_vtlb(void **state)
{
	(void)state;
	views_kernel_maps_all(SHADOW_VTLB);
}

static void test_views_kernel_maps_all_cached(void **state)
{
	(void)state;
	views_kernel_maps_all(SHADOW_CACHED);
}

static void views_user_hides_kernel(enum shadow_kind kind)
{
	boot_views(kind);
	assert_int_equal(runs3(V_K, true, DATA(8)), 1);          /* the kernel view has it */
	uint32_t kroot = shadow_root();
	view(SHADOW_USER);
	assert_true(shadow_root() != kroot);
	assert_int_equal(refused3(V_K, false), PFE_P | PFE_U);
	assert_int_equal(refused3(V_K, true), PFE_P | PFE_W | PFE_U);
	assert_int_equal(spte_of(V_K) & PG_P, 0);
	assert_int_equal(refused3(V_PT_LO, false), PFE_P | PFE_U);
	assert_int_equal(refused3(V_NEW, false), PFE_U);
	assert_int_equal(runs3(V_DATA(0), true, DATA(0)), 1);
	assert_int_equal(spte_of(V_DATA(0)) & (PG_P | PG_W | PG_U), PG_P | PG_W | PG_U);
	assert_int_equal(runs3(V_RO, false, DATA(9)), 1);
	assert_int_equal(refused3(V_RO, true), PFE_P | PFE_W | PFE_U);
	assert_int_equal(vc.stats.view_switches, 1);
}

static void test_views_user_hides_kernel_vtlb(void **state)
{
	(void)state;
	views_user_hides_kernel(SHADOW_VTLB);
}

static void test_views_user_hides_kernel_cached(void **state)
{
	(void)state;
	views_user_hides_kernel(SHADOW_CACHED);
}

/* Each view keeps its entries while the other runs; a CR3 write drops
 * both views' under vtlb and keeps both (per address space) under cached. */
static void views_switch_keeps_entries(enum shadow_kind kind)
{
	boot_views(kind);
	assert_int_equal(runs3(V_K, false, DATA(8)), 1);
	assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 1);
	uint32_t kroot = shadow_root();
	view(SHADOW_USER);
	uint32_t uroot = shadow_root();
	assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 1);
	assert_int_equal(runs3(V_DATA(1), false, DATA(1)), 1);
	for (unsigned round = 0; round < 2; round++) {
		view(SHADOW_KERNEL);
		assert_int_equal(shadow_root(), kroot);
		assert_int_equal(runs3(V_K, false, DATA(8)), 0);
		assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 0);
		view(SHADOW_USER);
		assert_int_equal(shadow_root(), uroot);
		assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 0);
		assert_int_equal(runs3(V_DATA(1), false, DATA(1)), 0);
		assert_int_equal(spte_of(V_K) & PG_P, 0);
	}
	view(SHADOW_KERNEL);                    /* only the kernel writes CR3 */
	set_cr3(PD_B);
	assert_int_equal(runs3(V_K, false, DATA(8)), 1);         /* PD_B's own */
	view(SHADOW_USER);
	if (kind == SHADOW_CACHED)              /* vtlb: one directory per view */
		assert_true(shadow_root() != uroot);
	assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 1);
	view(SHADOW_KERNEL);
	set_cr3(PD_A);
	unsigned again = kind == SHADOW_VTLB;   /* vtlb: flushed; cached: kept */
	assert_int_equal(runs3(V_K, false, DATA(8)), again);
	view(SHADOW_USER);
	assert_int_equal(runs3(V_DATA(1), false, DATA(1)), again);
	assert_int_equal(refused3(V_K, false), PFE_P | PFE_U);
	assert_int_equal(vc.stats.view_switches, 9);
}

static void test_views_switch_keeps_entries_vtlb(void **state)
{
	(void)state;
	views_switch_keeps_entries(SHADOW_VTLB);
}

static void test_views_switch_keeps_entries_cached(void **state)
{
	(void)state;
	views_switch_keeps_entries(SHADOW_CACHED);
	assert_int_equal(vc.stats.cache_misses, 4);             /* (A, B) x (kernel, user) */
}

/* A user page the kernel takes away (U/S cleared) and one it remaps: the
 * entries derived from them go in both views, by the write itself under
 * cached, by the guest's INVLPG under vtlb. */
static void views_drop_both(enum shadow_kind kind)
{
	boot_views(kind);
	for (unsigned k = 0; k < 2; k++) {
		view(k ? SHADOW_USER : SHADOW_KERNEL);
		assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 1);
		assert_int_equal(runs3(V_DATA(1), false, DATA(1)), 1);
	}
	view(SHADOW_KERNEL);
	if (kind == SHADOW_CACHED) {
		guest_store32(V_PTE(V_DATA(0)), DATA(0) | KDATA);
		guest_store32(V_PTE(V_DATA(1)), DATA(7) | UDATA);
	} else {
		map(PT_LO, V_DATA(0), DATA(0) | KDATA);
		map(PT_LO, V_DATA(1), DATA(7) | UDATA);
		shadow_invlpg(&vc, V_DATA(0));
		shadow_invlpg(&vc, V_DATA(1));
	}
	for (unsigned k = 0; k < 2; k++) {
		view(k ? SHADOW_USER : SHADOW_KERNEL);
		assert_int_equal(spte_of(V_DATA(0)) & PG_P, 0);
		assert_int_equal(spte_of(V_DATA(1)) & PG_P, 0);
	}
	assert_int_equal(refused3(V_DATA(0), false), PFE_P | PFE_U);
	assert_int_equal(runs3(V_DATA(1), false, DATA(7)), 1);
	view(SHADOW_KERNEL);
	assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 1);
	assert_int_equal(runs3(V_DATA(1), false, DATA(7)), 1);
}

static void test_views_drop_both_vtlb(void **state)
{
	(void)state;
	views_drop_both(SHADOW_VTLB);
}

static void test_views_drop_both_cached(void **state)
{
	(void)state;
	views_drop_both(SHADOW_CACHED);
}

/* CR0.WP = 0: the guest kernel may write a read-only user page; the
 * kernel view's entry becomes writable (and stays user-accessible, as all
 * of that view), and the user view still refuses a user write. */
static void views_wp0(enum shadow_kind kind)
{
	boot_views(kind);
	vc.cr0 &= ~CR0_WP;
	shadow_mode_changed(&vc);
	view(SHADOW_USER);
	assert_int_equal(runs3(V_RO, false, DATA(9)), 1);
	view(SHADOW_KERNEL);
	assert_int_equal(runs3(V_RO, true, DATA(9)), 1);
	assert_int_equal(spte_of(V_RO) & (PG_P | PG_W | PG_U), PG_P | PG_W | PG_U);
	view(SHADOW_USER);
	assert_int_equal(refused3(V_RO, true), PFE_P | PFE_W | PFE_U);
	assert_int_equal(spte_of(V_RO) & PG_W, 0);
	assert_int_equal(runs3(V_RO, false, DATA(9)), 0);
	assert_int_equal(refused3(V_K, true), PFE_P | PFE_W | PFE_U);
}

static void test_views_wp0_vtlb(void **state)
{
	(void)state;
	views_wp0(SHADOW_VTLB);
}

static void test_views_wp0_cached(void **state)
{
	(void)state;
	views_wp0(SHADOW_CACHED);
}

/* The switcher's MOV CR3 fast path loads hinted roots into the real CR3
 * while the guest kernel runs: a user-view root there would give the
 * kernel the wrong view, so only kernel-view roots are hinted. */
static void test_views_hints_kernel_roots(void **state)
{
	(void)state;
	uint32_t kroot[2], uroot[2];
	const uint32_t pd[2] = { PD_A, PD_B };

	boot_views(SHADOW_CACHED);
	for (unsigned i = 0; i < 2; i++) {
		view(SHADOW_KERNEL);
		set_cr3(pd[i]);
		kroot[i] = shadow_root();
		view(SHADOW_USER);
		uroot[i] = shadow_root();
		assert_int_equal(runs3(V_DATA(0), false, DATA(0)), 1);
	}
	for (unsigned i = 0; i < 2; i++) {
		unsigned slot = (pd[i] >> 12) % 64;
		assert_int_equal(hint_key[slot], pd[i]);
		assert_int_equal(hint_root[slot], kroot[i]);
	}
	for (unsigned s = 0; s < 64; s++)
		assert_true(hint_root[s] != uroot[0] && hint_root[s] != uroot[1]);
}

/* ---- watched frames (descriptor tables) --------------------------------- */

static unsigned watcher_calls;
static uint32_t watcher_gpa, watcher_n;

static void test_watcher(struct vcpu *v, uint32_t gpa, uint32_t n)
{
	(void)v;
	watcher_calls++;
	watcher_gpa = gpa;
	watcher_n = n;
}

/* A watched frame is never mapped writable: a write to it comes back as
 * one to emulate, reads run, the watcher hears of the monitor's writes,
 * and unwatching makes it writable again. */
static void watched_frames(enum shadow_kind kind)
{
	struct gva_fault f;
	uint32_t val = 0x1234;

	boot_space(kind);
	shadow_set_watcher(test_watcher);
	watcher_calls = 0;
	assert_int_equal(runs(V_DATA(2), true, false, DATA(2)), 1);     /* writable now */
	shadow_watch(&vc, DATA(2) >> 12, true);
	assert_true(shadow_watched(DATA(2) >> 12));
	runs(V_DATA(2), false, false, DATA(2));                         /* reads run */
	ends(V_DATA(2) + 8, true, false, SHADOW_PT_WRITE);
	assert_int_equal(gva_write(&vc, V_DATA(2) + 8, &val, 4, 0, &f), GVA_OK);
	assert_int_equal(watcher_calls, 1);
	assert_int_equal(watcher_gpa, DATA(2) + 8);
	assert_int_equal(watcher_n, 4);
	assert_int_equal(gva_write(&vc, V_DATA(3), &val, 4, 0, &f), GVA_OK);
	assert_int_equal(watcher_calls, 1);                             /* not watched */
	assert_true(shadow_release(&vc, V_DATA(2)));                    /* unemulable: let go */
	assert_false(shadow_watched(DATA(2) >> 12));
	assert_true(runs(V_DATA(2), true, false, DATA(2)) <= 1);
	shadow_set_watcher(0);
}

static void test_watched_vtlb(void **state)
{
	(void)state;
	watched_frames(SHADOW_VTLB);
}

static void test_watched_cached(void **state)
{
	(void)state;
	watched_frames(SHADOW_CACHED);
}

/* ---- 4b. what the switcher's page-table store fast path is given --------- */

static uint32_t hooked[64];
static unsigned nhooked;

static void record_frame(uint32_t gfn)
{
	if (nhooked < 64)
		hooked[nhooked++] = gfn;
}

static bool was_hooked(uint32_t gfn)
{
	for (unsigned i = 0; i < nhooked; i++)
		if (hooked[i] == gfn)
			return true;
	return false;
}

/* shadow_fast_frame(): a page table and nothing else, with the shadow
 * tables built from it; the hook hears of every change to that. */
static void test_cached_fast_frame(void **state)
{
	(void)state;
	struct shadow_fast_frame ff;

	boot_space(SHADOW_CACHED);
	nhooked = 0;
	shadow_set_frame_hook(record_frame);
	fill_both();                                    /* PT_LO under PD_A and PD_B */
	assert_true(was_hooked(PT_LO >> 12));
	assert_true(shadow_fast_frame(PT_LO >> 12, &ff));
	assert_int_equal(ff.n, 2);
	for (unsigned k = 0; k < ff.n; k++)             /* each maps V_DATA(0) to DATA(0) */
		assert_int_equal(ff.spt[k][PTX(V_DATA(0))] & (PG_ADDR | PG_P), hpa_of(DATA(0)) | PG_P);
	assert_int_equal(*ff.writes, 0);
	assert_int_equal(ff.writes_max, 15);            /* UNPROTECT_AFTER - 1 */
	assert_false(shadow_fast_frame(PD_A >> 12, &ff));       /* a directory */
	assert_false(shadow_fast_frame(DATA(0) >> 12, &ff));    /* no table */
	assert_false(shadow_fast_frame(RAM_FRAMES + 5, &ff));   /* beyond RAM */

	/* a PDE rewritten: PD_A's table for slot 4 freed, PD_B's left */
	nhooked = 0;
	guest_store32(V_PDE(V_PD_A, V_LO), PT_LO | TABLE);
	assert_true(was_hooked(PT_LO >> 12));
	assert_true(shadow_fast_frame(PT_LO >> 12, &ff));
	assert_int_equal(ff.n, 1);

	/* a watch on it, a directory keyed on it: no longer one */
	nhooked = 0;
	shadow_watch(&vc, PT_LO >> 12, true);
	assert_true(was_hooked(PT_LO >> 12));
	assert_false(shadow_fast_frame(PT_LO >> 12, &ff));
	shadow_watch(&vc, PT_LO >> 12, false);
	assert_true(shadow_fast_frame(PT_LO >> 12, &ff));
	nhooked = 0;
	set_cr3(PT_LO);
	assert_true(was_hooked(PT_LO >> 12));
	assert_false(shadow_fast_frame(PT_LO >> 12, &ff));
	shadow_set_frame_hook(0);
}

/* SPTE_PT_WRITABLE: on the read-only entry of a table the guest's kernel
 * may write (writable, dirty), not on one it may only read. */
static void test_cached_pt_writable_mark(void **state)
{
	(void)state;

	boot_space(SHADOW_CACHED);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(0)), 1);     /* PT_LO: a table */
	ends(V_PT_LO, true, false, SHADOW_PT_WRITE);
	assert_int_equal(spte_of(V_PT_LO) & (PG_P | PG_W | SPTE_PT_WRITABLE),
			 PG_P | SPTE_PT_WRITABLE);
	map(PT_HI, V_F, PT_LO | PG_P | PG_A);           /* a read-only alias of it */
	assert_int_equal(runs(V_F, false, false, PT_LO), 1);
	assert_int_equal(spte_of(V_F) & (PG_P | PG_W | SPTE_PT_WRITABLE), PG_P);

	/* a data page mapped writable and dirty, then made a table: marked */
	assert_int_equal(runs(V_DATA(9), true, false, DATA(9)), 1);
	map(DATA(9), V_F_SLOT, DATA(5) | UDATA);
	guest_store32(V_PDE(V_PD_A, V_F_SLOT), DATA(9) | TABLE);
	assert_int_equal(runs(V_F_SLOT, false, true, DATA(5)), 1);
	assert_int_equal(spte_of(V_DATA(9)) & (PG_P | PG_W | SPTE_PT_WRITABLE),
			 PG_P | SPTE_PT_WRITABLE);
}

/* What the stub does to one entry (fastptw.c): the guest's entry written
 * behind the shadow's back, P cleared in each shadow table built from its
 * frame, the count bumped.  The entries it leaves (P clear, still on their
 * frame's rmap) are refilled, freed and dropped as any other. */
static void test_cached_fast_store_drops(void **state)
{
	(void)state;
	struct shadow_fast_frame ff;
	unsigned live;

	boot_space(SHADOW_CACHED);
	fill_both();
	live = frames_held();
	assert_true(shadow_fast_frame(PT_LO >> 12, &ff));
	for (unsigned n = 0; n < 2; n++) {
		*gword(PT_LO + PTX(V_DATA(n)) * 4) = DATA(7 + n) | UDATA;
		for (unsigned k = 0; k < ff.n; k++)
			ff.spt[k][PTX(V_DATA(n))] &= ~PG_P;
		(*ff.writes)++;
	}
	assert_both_present(0xC);
	assert_int_equal(runs(V_DATA(0), false, true, DATA(7)), 1);     /* refilled */
	set_cr3(PD_B);
	assert_int_equal(runs(V_DATA(0), true, true, DATA(7)), 1);
	set_cr3(PD_A);

	/* DATA(0) made a table: protecting it walks its rmap, which must no
	 * longer hold the refilled entries, and still holds nothing stale */
	map(DATA(0), V_F_SLOT, DATA(5) | UDATA);
	guest_store32(V_PDE(V_PD_A, V_F_SLOT), DATA(0) | TABLE);
	assert_int_equal(runs(V_F_SLOT, false, true, DATA(5)), 1);
	set_cr3(PD_B);
	assert_true(spte_of(V_DATA(0)) & PG_W);         /* DATA(7): no table */
	set_cr3(PD_A);

	/* V_DATA(1)'s entries stay dropped; the tables holding them freed */
	guest_store32(V_PDE(V_PD_A, V_LO), PT_LO | TABLE);
	set_cr3(PD_B);
	guest_store32(V_PDE(V_PD_B, V_LO), PT_LO | TABLE);
	assert_int_equal(vc.stats.spt_free, 2);
	assert_true(frames_held() < live + 4);          /* slot 6's table, nothing leaked */
	assert_int_equal(runs(V_DATA(1), false, true, DATA(8)), 1);
	assert_int_equal(runs(V_DATA(2), false, true, DATA(2)), 1);
}

/* ---- 5. bad input ------------------------------------------------------- */

static void bad_input(enum shadow_kind kind)
{
	/* CR3 beyond the 8 MB of RAM */
	machine_reset(kind, 0);
	ram_clear();
	paging_on(RAM_END + 0x100000, CR0_WP, 0);
	assert_int_equal(ends(V_DATA(0), false, false, SHADOW_BAD_GPA).bad,
			 RAM_END + 0x100000 + PDX(V_DATA(0)) * 4);

	/* a PDE, a PTE, a 4 MB page beyond RAM */
	boot_space(kind);
	vc.cr4 = CR4_PSE;
	shadow_mode_changed(&vc);
	guest_store32(V_PDE(V_PD_A, V_F_SLOT), (RAM_END + 0x200000) | TABLE);
	assert_int_equal(ends(V_F_SLOT + 3 * PAGE, true, false, SHADOW_BAD_GPA).bad,
			 RAM_END + 0x200000 + 3 * 4);
	guest_store32(V_PTE(V_NEW), (RAM_END + 0x300000) | UDATA);
	assert_int_equal(ends(V_NEW + 0x123, false, true, SHADOW_BAD_GPA).bad,
			 RAM_END + 0x300123);
	guest_store32(V_PDE(V_PD_A, 0x01C00000u), (4 * RAM_END) | UDATA | PG_PS);
	assert_int_equal(ends(0x01C12345u, false, false, SHADOW_BAD_GPA).bad,
			 4 * RAM_END + 0x12345);

	/* the guest maps the switcher's slot */
	for (uint32_t i = 0; i < 32; i++)
		map(PT_SW, SWITCHER_BASE + i * PAGE, DATA(i % NDATA) | UDATA);
	guest_store32(V_PDE(V_PD_A, SWITCHER_BASE), PT_SW | TABLE);
	ends(SWITCHER_BASE + 0x10000, false, false, SHADOW_SWITCHER);
	ends(SWITCHER_BASE, false, true, SHADOW_SWITCHER);
	ends(SWITCHER_BASE + 0x10000, true, true, SHADOW_SWITCHER);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 1);    /* still fine */
	assert_int_equal(spde_of(SWITCHER_BASE), SWITCHER_PDE);

	/* a device's registers (above RAM: memory.h): never mapped, reported
	 * as MMIO each time */
	fake_mmio_base = DEV_GPA;
	fake_mmio_size = PAGE;
	map(PT_LO, V_DATA(1), DEV_GPA | UDATA);
	assert_int_equal(ends(V_DATA(1) + 0x20, true, false, SHADOW_MMIO).bad, DEV_GPA + 0x20);
	assert_int_equal(ends(V_DATA(1) + 0x30, false, false, SHADOW_MMIO).bad, DEV_GPA + 0x30);
	assert_int_equal(runs(V_DATA(0), false, false, DATA(0)), 0);    /* still mapped */

	/* with paging off: the address is the guest-physical one */
	machine_reset(kind, 0);
	assert_int_equal(runs(0x1234, true, false, 0x1234), 1);
	assert_int_equal(ends(RAM_END + 0x10, false, false, SHADOW_BAD_GPA).bad,
			 RAM_END + 0x10);
	ends(SWITCHER_BASE + 0x10000, false, false, SHADOW_SWITCHER);
	assert_int_equal(spde_of(SWITCHER_BASE), SWITCHER_PDE);
	assert_int_equal(ends(DEV_GPA + 4, true, false, SHADOW_MMIO).bad, DEV_GPA + 4);
	fake_mmio_base = fake_mmio_size = 0;
}

/* A device page with a read image (the local APIC's, devices.c): a read
 * is mapped read-only onto the image frame and runs without the monitor
 * from then on; a write still faults as MMIO (to the device model); the
 * guest's own protection still applies (a user read of a supervisor
 * mapping is the guest's fault). */
static void mmio_read_image(enum shadow_kind kind)
{
	boot_space(kind);
	map(PT_LO, V_DATA(1), DEV_GPA | UDATA);         /* a device's page, above RAM */
	fake_mmio_base = DEV_GPA;
	fake_mmio_size = PAGE;
	fake_mmio_image = host_frame_zeroed();
	uint32_t image = host_pa(fake_mmio_image);

	struct access a = cpu_access(V_DATA(1) + 0x20, false, false);
	assert_true(a.ran);
	assert_int_equal(a.hpa, image + 0x20);
	assert_int_equal(a.fills, 1);
	assert_int_equal(spte_of(V_DATA(1)) & (PG_ADDR | PG_W | PG_P), image | PG_P);
	a = cpu_access(V_DATA(1) + 0x30, false, true);          /* no fault now */
	assert_true(a.ran);
	assert_int_equal(a.fills, 0);
	assert_int_equal(a.hpa, image + 0x30);
	assert_int_equal(ends(V_DATA(1) + 0xB0, true, false, SHADOW_MMIO).bad, DEV_GPA + 0xB0);
	assert_int_equal(ends(V_DATA(1) + 0xB0, true, true, SHADOW_MMIO).bad, DEV_GPA + 0xB0);
	a = cpu_access(V_DATA(1), false, false);                /* still the image */
	assert_true(a.ran);
	assert_int_equal(a.hpa, image);

	guest_store32(V_PTE(V_NEW), DEV_GPA | KDATA);           /* a supervisor mapping */
	ends(V_NEW + 0x20, false, true, SHADOW_GUEST_FAULT);
	a = cpu_access(V_NEW + 0x20, false, false);
	assert_true(a.ran);
	assert_int_equal(a.hpa, image + 0x20);

	fake_mmio_base = fake_mmio_size = 0;
	host_frame_free(fake_mmio_image);
	fake_mmio_image = NULL;
}

static void test_mmio_read_image_vtlb(void **state)
{
	(void)state;
	mmio_read_image(SHADOW_VTLB);
}

static void test_mmio_read_image_cached(void **state)
{
	(void)state;
	mmio_read_image(SHADOW_CACHED);
}

static void test_bad_input_vtlb(void **state)
{
	(void)state;
	bad_input(SHADOW_VTLB);
}

static void test_bad_input_cached(void **state)
{
	(void)state;
	bad_input(SHADOW_CACHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watched_vtlb),
		cmocka_unit_test(test_watched_cached),
		cmocka_unit_test(test_matrix_vtlb),
		cmocka_unit_test(test_matrix_cached),
		cmocka_unit_test(test_matrix_followups_vtlb),
		cmocka_unit_test(test_matrix_followups_cached),
		cmocka_unit_test(test_cached_lru),
		cmocka_unit_test(test_cached_one_directory),
		cmocka_unit_test(test_vtlb_cr3_write_flushes),
		cmocka_unit_test(test_vtlb_invlpg),
		cmocka_unit_test(test_cached_tables_protected_after_fill),
		cmocka_unit_test(test_cached_writable_mapping_protected),
		cmocka_unit_test(test_cached_pte_write_drops_its_entry),
		cmocka_unit_test(test_cached_pde_write_drops_slot_table),
		cmocka_unit_test(test_new_pte_visible_vtlb),
		cmocka_unit_test(test_new_pte_visible_cached),
		cmocka_unit_test(test_mode_change_vtlb),
		cmocka_unit_test(test_mode_change_cached),
		cmocka_unit_test(test_cached_out_of_frames),
		cmocka_unit_test(test_vtlb_out_of_frames),
		cmocka_unit_test(test_cached_pt_write_walked_once),
		cmocka_unit_test(test_walks_remembered_never_stale),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_cached_unprotect_after_16_writes),
		cmocka_unit_test(test_cached_walks_keep_table_protected),
		cmocka_unit_test(test_cached_active_directory_kept),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_mmio_read_image_vtlb),
		cmocka_unit_test(test_mmio_read_image_cached),
		cmocka_unit_test(test_cached_fast_frame),
		cmocka_unit_test(test_cached_pt_writable_mark),
		cmocka_unit_test(test_cached_fast_store_drops),
		cmocka_unit_test(test_bad_input_vtlb),
		cmocka_unit_test(test_bad_input_cached),
		cmocka_unit_test(test_views_kernel_maps_all_vtlb),
		cmocka_unit_test(test_views_kernel_maps_all_cached),
		cmocka_unit_test(test_views_user_hides_kernel_vtlb),
		cmocka_unit_test(test_views_user_hides_kernel_cached),
		cmocka_unit_test(test_views_switch_keeps_entries_vtlb),
		cmocka_unit_test(test_views_switch_keeps_entries_cached),
		cmocka_unit_test(test_views_drop_both_vtlb),
		cmocka_unit_test(test_views_drop_both_cached),
		cmocka_unit_test(test_views_wp0_vtlb),
		cmocka_unit_test(test_views_wp0_cached),
		cmocka_unit_test(test_views_hints_kernel_roots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
