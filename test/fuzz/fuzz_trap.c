/*
 * fuzz_trap.c - libFuzzer harness (b): the whole trap path, guest_trap(),
 * over a fake machine, with a simulated CPU between traps.
 *
 * The job: the isolation promise (docs/security.md) holds whatever traps a
 * hostile guest raises in whatever order.  Built from the real sources of
 * the dispatcher and emulators (every src/trap file but the switcher), both shadow
 * MMUs (src/shadow_mmu, shadow=vtlb or shadow=cached as the input
 * says), the virtual devices (src/virtdev, src/monitor/devices.c) and
 * the run's end (src/monitor/run.c, stats.c).  Faked here, as hardware:
 * the host PIT/PIC/COM1 (hosthw.c), the log, host frames and guest RAM
 * (memory.h's MON_HOST_TEST seam: an arena of 4 KB frames, guest frames
 * scattered through a p2m), the switcher's pages (plain arrays), and the
 * privileged instructions (x86.h's MON_HOST_TEST seam: CR2, DR6, LLDT...).
 *
 * An input is a small guest (its GDT, IDT, TSS, LDT and page tables, from
 * a template the input patches) booted the way the monitor boots one, then
 * a sequence of traps (struct op below): an exception with its error code
 * and CR2, a #GP at instruction bytes the input supplies, a host IRQ, the
 * NMI, a #DB, or what guest code does natively between traps: change its
 * registers and flags, load a segment register or far-jump (through the
 * *real* GDT/LDT, with the CPU's checks: a call gate there would take it
 * to ring 0), store to memory (through the *shadow* page tables, as the
 * MMU would: a refused store becomes the #PF the CPU raises).  Each trap
 * frame goes to guest_trap(); the frame it returns goes through the exit
 * path's loads as the CPU does them (simulated IRET from ring 0: data
 * segment loads, CS and SS with their privilege and present checks, EFLAGS
 * with IOPL and VM), and becomes the state the next trap starts from.
 *
 * Invariants checked after every trap (a violation prints and aborts;
 * libFuzzer keeps the input):
 *
 *   EIP       moves only to the instruction's end (emulated), stays
 *             (retried or resumed), or goes to a gate offset of the guest
 *             IDT (reflected), an IRET/RETF target from the guest's stack,
 *             the offset of the call gate a far CALL/JMP names in the
 *             guest's tables (emulated: call gates are null in the real
 *             ones), SYSENTER_EIP or EDX (SYSEXIT)
 *   CPL       an instruction that needs CPL 0 never completes for guest
 *             code in ring 2 or 3 (its #GP is reflected)
 *   TF        an instruction that completed with the guest's EFLAGS.TF set
 *             is followed by its #DB (not by the next instruction)
 *   frame     never CS RPL 0 or a DPL-0 code segment, IOPL 0, VM 0; the
 *             simulated exit path loads every selector without a fault
 *   tables    the real GDT and LDT hold only null entries and DPL >= 1
 *             code or data (the monitor's own at GDT_MON_FIRST and up);
 *             no system descriptor (gate, TSS, LDT) among the guest's
 *   LDTR      loaded (never the CPU's reset value) and null, or the
 *             switcher's LDT with a limit within its LDT_ENTRIES
 *   walks     a walk gva.c remembers (shadow.h) is taken only while a walk
 *             of the guest's tables as they are gives the same page
 *   shadow    every present entry of the active shadow maps the host frame
 *             the p2m gives for the guest's own translation of that page,
 *             never with more W or U than the guest's tables grant (under
 *             vtlb, while the guest's table edits wait for a flush as a
 *             TLB's would: that it maps guest RAM); with shadow=cached,
 *             never writable onto the guest's page directory or a page
 *             table the shadow derives from
 *   bounds    at most 256 port accesses per trap (REP INS/OUTS), at most
 *             HALT_IDLES_MAX idle waits in one HLT
 *   panic     mon_panic is always a finding; guest_die (and the guest's
 *             own exit through the debug-exit port) end the input, counted
 *
 * Reproduce a saved input: build/fuzz/fuzz_trap FILE (libFuzzer runs it
 * once); FUZZ_VERBOSE=1 in the environment prints each trap and outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trap/trap.h"
#include "trap/guest.h"
#include "trap/desc.h"
#include "trap/emul.h"
#include "trap/fastptw.h"
#include "trap/reflect.h"
#include "trap/switcher.h"
#include "trap/vidt.h"
#include "shadow_mmu/shadow.h"
#include "shadow_mmu/gwalk.h"
#include "monitor/devices.h"
#include "monitor/hostdisk.h"
#include "monitor/hosthw.h"
#include "monitor/hostcpu.h"
#include "monitor/layout.h"
#include "monitor/memory.h"
#include "monitor/monitor.h"
#include "monitor/options.h"
#include "monitor/run.h"
#include "monitor/x86.h"
#include "virtdev/vio.h"
#include "virtdev/vmmio.h"

/* ---- the fake machine's sizes ------------------------------------------- */

#define PAGE            4096u
#define HPA_BASE        0x40000000u     /* host-physical of arena frame 0 */
#define POOL_FRAMES     1100u           /* host frames for shadow tables */
#define RAM_MB          1u
#define RAM_FRAMES      (RAM_MB << 8)
#define RAM_FIRST       (1u + POOL_FRAMES)
#define ARENA_FRAMES    (RAM_FIRST + RAM_FRAMES)
#define MMIO_GPA        0x00100000u     /* a device page just above RAM */
#define MAX_TRAPS       24u
#define IO_BOUND        256u            /* port accesses in one trap */
#define HALT_IDLES_MAX  2000u           /* idle waits in one HLT */
#define HALT_KEY_AFTER  200u            /* then a key arrives on COM1 */
#define IDLE_TICKS      1193u           /* PIT ticks an idle wait lasts */

/* The template guest (guest-physical = guest-linear through its tables). */
#define G_GDT       0x1000u
#define G_IDT       0x2000u
#define G_TSS       0x3000u
#define G_PD        0x4000u
#define G_PT        0x5000u
#define G_LDT       0x6000u
#define G_KCODE     0x10000u
#define G_HANDLERS  0x20000u
#define G_UCODE     0x30000u
#define G_R2STACK   0x70000u
#define G_USTACK    0x80000u
#define G_KSTACK    0x9F000u
#define G_GDT_N     9u
#define TSS_IOMB    104u
#define TSS_BITMAP  32u                 /* bytes: ports 0-255 */

static uint8_t arena[ARENA_FRAMES][PAGE] __attribute__((aligned(PAGE)));
static uint32_t p2m[RAM_FRAMES];
static uint32_t m2p[RAM_FRAMES];         /* its inverse, by the arena's RAM frames */
/* Written since the last reset: through gpa_write(), the simulated MMU,
 * or (found by check_shadow) writable in a shadow the monitor may write
 * through itself (gva.c's cpu_translation, which no fake here sees). */
static bool ram_dirty[RAM_FRAMES];
static bool paging_set[RAM_FRAMES];     /* the guest's paging structures (vtlb) */

struct mon_options mon_opts;
struct guest_mem guest_mem;
struct frame_pool host_frames;

/* The switcher's pages, as plain arrays (switcher.c is not built here). */
static struct segdesc gdt_pages[GDT_ENTRIES], gdt_shown_pages[GDT_ENTRIES],
	ldt_pages[LDT_ENTRIES];
static struct switcher_priv priv_page;
static struct switcher_data data_page;
static struct trapframe frame_page;
uint32_t sw_pt_guest[1024], sw_pt_mon[1024];
struct segdesc *const sw_gdt = gdt_pages;
struct segdesc *const sw_gdt_shown = gdt_shown_pages;
struct segdesc *const sw_ldt = ldt_pages;
struct switcher_data *const sw_data = &data_page;
struct switcher_priv *const sw_priv = &priv_page;
struct trapframe *const sw_frame = &frame_page;
static struct switcher_fast fast_page;
struct switcher_fast *const sw_fast = &fast_page;

/* The real IDT's direct gates (vidt.c) and the real TSS's ring-1 stack. */
static struct {
	bool direct[256];
	struct segdesc gate[256];
	uint16_t ss1;
	uint32_t esp1;
} real;

/* ---- what the fakes record --------------------------------------------- */

enum ldtr_state { LDTR_RESET, LDTR_NULL, LDTR_MON };

static struct hw {
	uint32_t cr2, dr6;
	uint64_t pit, tsc;
	enum ldtr_state ldtr;
	uint32_t ldt_limit;             /* the real LDTR's limit when LDTR_MON */
	bool gdt_shown;                 /* the GDTR names sw_gdt_shown */
	unsigned io, idles;             /* this trap */
	bool key;                       /* COM1 has a byte for the guest */
	bool tick;                      /* a host timer IRQ since host_tick_seen */
	bool pool_live[POOL_FRAMES];
	uint32_t pool_free[POOL_FRAMES];
	unsigned nfree;
	uint32_t mmio_base[GPA_MMIO_MAX], mmio_size[GPA_MMIO_MAX];
	void *mmio_image[GPA_MMIO_MAX];
	unsigned nmmio;
	uint32_t mmio_regs[16];
	bool vtlb, vtlb_stale;
	uint32_t flushes;
	const char *doing;
} hw;

static jmp_buf end_jmp;
static bool end_armed;
static int verbose = -1;
static unsigned long n_inputs, n_died, n_exited, n_traps;

static void finding(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void finding(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_trap: INVARIANT VIOLATED (%s): ", hw.doing ? hw.doing : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* ---- hardware: privileged instructions (x86.h seam) ---------------------- */

uint32_t rcr2(void) { return hw.cr2; }
uint32_t rdr6(void) { return hw.dr6; }
void ldr6(uint32_t v) { hw.dr6 = v; }
uint64_t rdtsc(void) { return hw.tsc += 1000; }
uint32_t rcr0(void) { return CR0_PE | CR0_PG | CR0_WP; }
uint32_t rcr4(void) { return 0; }
void lcr0(uint32_t v) { (void)v; }
void lcr3(uint32_t v) { (void)v; }
void lcr4(uint32_t v) { (void)v; }
uint8_t inb(uint16_t port) { (void)port; return 0xFF; }
void outb(uint16_t port, uint8_t v) { (void)port; (void)v; }
void outl(uint16_t port, uint32_t v) { (void)port; (void)v; }
void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	(void)leaf;
	*a = *b = *c = *d = 0;
}

/* LLDT as the CPU does it: the selector names an LDT descriptor in the GDT;
 * the LDTR caches its base and limit.  Checked here, where the monitor
 * loads it: only the switcher's LDT, within its entries. */
void lldt(uint16_t sel)
{
	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) {
		hw.ldtr = LDTR_NULL;
		return;
	}
	struct segdesc d = sw_gdt[SEL_INDEX(sel) % GDT_ENTRIES];
	if (sel != SEL_MON_LDT || DESC_S(d) || DESC_TYPE(d) != SYS_T_LDT || !DESC_P(d))
		finding("LLDT 0x%x: not the monitor's LDT descriptor", sel);
	uint64_t bytes = (uint64_t)desc_limit(d) + 1;
	if (desc_base(d) != SW_VA(SW_LDT_OFF) || bytes > (uint64_t)LDT_ENTRIES * 8)
		finding("LLDT: the real LDT is base 0x%x limit 0x%x, beyond the switcher's %u "
			"validated entries", desc_base(d), desc_limit(d), LDT_ENTRIES);
	hw.ldtr = LDTR_MON;
	hw.ldt_limit = desc_limit(d);
}

/* ---- hardware: the host's PIT, PIC, COM1 (hosthw.c) ---------------------- */

#define DISK_SECTORS    64u             /* the fake host disk: 32 KB */

static uint8_t disk[DISK_SECTORS][512];

void host_hw_init(void) {}

bool host_tick_seen(void)
{
	bool seen = hw.tick;
	hw.tick = false;
	return seen;
}

bool hostdisk_open(unsigned unit, uint32_t *nsectors, const char **why)
{
	(void)unit; (void)why;
	*nsectors = DISK_SECTORS;
	return true;
}

bool hostdisk_read(unsigned unit, uint32_t lba, uint8_t *buf)
{
	(void)unit;
	if (lba >= DISK_SECTORS)
		finding("hostdisk_read of sector %u, beyond the %u the disk has", lba, DISK_SECTORS);
	memcpy(buf, disk[lba], 512);
	return true;
}

bool hostdisk_write(unsigned unit, uint32_t lba, const uint8_t *buf)
{
	(void)unit;
	if (lba >= DISK_SECTORS)
		finding("hostdisk_write of sector %u, beyond the %u the disk has", lba, DISK_SECTORS);
	memcpy(disk[lba], buf, 512);
	return true;
}
bool host_nmi_watchdog_init(void) { return true; }
uint64_t host_pit_now(void) { return hw.pit; }
/* devices_sync() reads the TSC and converts it only past the deadline's
 * TSC floor: here every TSC is past it, and every conversion is the
 * harness's clock, so the devices see hw.pit as through host_pit_now(). */
uint64_t host_tsc_to_pit(uint64_t tsc) { (void)tsc; return hw.pit; }
uint64_t host_pit_to_tsc_floor(uint64_t pit) { (void)pit; return 0; }
/* The CPU underneath, as hostcpu.c would find QEMU's qemu32 (no DR7.GD,
 * MISC_ENABLE reads fast strings, no MTRRs); its boot probes never run. */
struct host_cpu host_cpu = { .has_misc_enable = true, .misc_enable = 1 };
bool host_probe_trap(struct trapframe *f) { (void)f; return false; }
/* RDPMC in ring 0 on qemu32 under TCG: #UD, whatever the counter. */
int host_rdpmc(uint32_t counter, uint64_t *val) { (void)counter; (void)val; return T_UD; }
void host_irq(unsigned n) { (void)n; hw.pit += IDLE_TICKS; hw.tick = true; }
void host_guest_cr_sync(const struct vcpu *v) { (void)v; }
void host_com1_putc(uint8_t c) { (void)c; }

void host_idle(void)
{
	hw.pit += IDLE_TICKS;   /* a host timer IRQ ends the wait */
	hw.tick = true;
	if (++hw.idles == HALT_KEY_AFTER)
		hw.key = true;  /* someone types: a UART-only guest wakes */
	if (hw.idles > HALT_IDLES_MAX)
		finding("HLT idled %u times with nothing to wake it (%s)", hw.idles,
			devices_masked_reason());
}

bool host_com1_getc(uint8_t *c)
{
	if (!hw.key)
		return false;
	hw.key = false;
	*c = 'k';
	return true;
}

/* ---- the log and the run's end (log.c) ------------------------------------ */

void mon_log(const char *fmt, ...)
{
	if (!strncmp(fmt, "io in ", 6) || !strncmp(fmt, "io out", 6)) {
		if (++hw.io > IO_BOUND)
			finding("more than %u port accesses in one trap (REP INS/OUTS unbounded?)",
				IO_BOUND);
		return;
	}
	if (verbose > 0 && !strncmp(fmt, "guest ended", 11)) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "  monitor: ");
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
		va_end(ap);
	}
}

void mon_exit(uint32_t code)
{
	if (!end_armed)
		finding("mon_exit(0x%x) outside guest_trap", code);
	end_armed = false;
	longjmp(end_jmp, (int)code + 1);
}

void mon_refuse(uint32_t code, const char *fmt, ...)
{
	(void)code;
	finding("mon_refuse: %s", fmt);
}

void mon_panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	finding("mon_panic: %s", msg);
}

/* ---- the switcher (switcher.c): espfix only records ----------------------- */

void switcher_espfix(bool sixteen_bit_stack, uint32_t guest_esp)
{
	uint32_t frame = SW_VA(SW_VCPU_OFF) + 4096 - sizeof(struct trapframe);
	uint32_t esp = (guest_esp & 0xFFFF0000u) | (frame & 0xFFFFu);
	sw_priv->espfix_esp = sixteen_bit_stack ? esp : 0;
	sw_priv->espfix_base = frame - esp;
	if (sixteen_bit_stack)
		switcher_gdt_mon(GDT_MON_ESPFIX, desc_make(frame - esp, 0xFFFFFFFF,
							   SEG_T_W | SEG_T_ACCESSED, 0, true, true));
}

/* The two GDTs (vdesc.c): which one the simulated CPU reads. */
void switcher_gdt_mon(unsigned i, struct segdesc d)
{
	sw_gdt[i % GDT_ENTRIES] = sw_gdt_shown[i % GDT_ENTRIES] = d;
}

void switcher_show_user(bool shown)
{
	hw.gdt_shown = shown;
}

bool switcher_user_shown(void)
{
	return hw.gdt_shown;
}

void switcher_fast_gdt(bool cli_shows, bool sti_shows)
{
	(void)cli_shows, (void)sti_shows;       /* the stub does not run here */
}

/* A direct gate may only be a DPL-3 32-bit trap gate for vector 0x30 or
 * above, to an RPL-1 selector (what it reaches is checked where the CPU
 * uses it: the descriptor may change later). */
void switcher_set_gate(unsigned n, const struct segdesc *g)
{
	if (n >= 256)
		finding("switcher_set_gate(%u)", n);
	real.direct[n] = g != NULL;
	if (!g)
		return;
	if (n < 0x30 || DESC_S(*g) || DESC_TYPE(*g) != SYS_T_TRAP32 || DESC_DPL(*g) != 3 ||
	    !DESC_P(*g) || SEL_RPL(gate_selector(*g)) != 1)
		finding("direct gate %u (0x%08x %08x) is not a DPL-3 trap gate to ring 1", n, g->hi,
			g->lo);
	real.gate[n] = *g;
}

void switcher_set_ring1_stack(uint16_t ss, uint32_t esp)
{
	real.ss1 = ss;
	real.esp1 = esp;
}

/* The MOV CR3 fast path's hints (switcher.c keeps them in sw_data): the
 * stub may load any hinted root, so each must stay a live shadow page
 * directory until forgotten (checked after every trap). */
void shadow_hint_cr3(uint32_t key, uint32_t root)
{
	unsigned slot = (key >> 12) % SW_CR3_HINTS;
	sw_data->cr3[slot].key = key;
	sw_data->cr3[slot].root = root;
}

void shadow_forget_cr3(uint32_t key)
{
	unsigned slot = (key >> 12) % SW_CR3_HINTS;
	if (sw_data->cr3[slot].key == key)
		sw_data->cr3[slot].key = sw_data->cr3[slot].root = 0;
}

/* The IN fast path's ports (switcher.c keeps them in sw_data): the stub
 * answers a read of each with its value, so each value must be what the
 * device model reads there now (checked after every trap). */
void switcher_set_fast_reads(const struct sw_fast_read *r, unsigned n)
{
	if (n > SW_FAST_READS)
		finding("switcher_set_fast_reads: %u ports", n);
	for (unsigned i = 0; i < SW_FAST_READS; i++) {
		sw_data->in[i].port = i < n ? r[i].port : SW_NO_PORT;
		sw_data->in[i].value = i < n ? r[i].value : 0;
	}
}

void switcher_set_invlpg_free(bool free) { sw_data->invlpg_free = free; }

static void check_fast_reads(void)
{
	for (unsigned i = 0; i < SW_FAST_READS; i++) {
		uint32_t port = sw_data->in[i].port;
		if (port == SW_NO_PORT)
			continue;
		uint32_t now = devices_in(&vcpu0, (uint16_t)port, 1) & 0xFF;
		if (port > 0xFFFF || now != sw_data->in[i].value)
			finding("IN fast path: port 0x%x published as 0x%x, the device reads 0x%x",
				port, sw_data->in[i].value, now);
	}
}

void switcher_run(void) { finding("switcher_run called"); }
int switcher_in_exit_path(uint32_t eip) { (void)eip; return 1; }

/* ---- host frames and guest RAM (memory.h seam) ---------------------------- */

static bool in_arena(uint32_t pa)
{
	return pa >= HPA_BASE && pa - HPA_BASE < ARENA_FRAMES * PAGE;
}

void *host_va(uint32_t pa)
{
	if (!in_arena(pa))
		finding("host_va(0x%x): not host memory of this machine", pa);
	return &arena[0][0] + (pa - HPA_BASE);
}

uint32_t host_pa(const void *p)
{
	const uint8_t *b = p, *base = &arena[0][0];
	if (b < base || b >= base + sizeof arena)
		finding("host_pa(%p): not in the arena", p);
	return HPA_BASE + (uint32_t)(b - base);
}

/* Not zeroed: garbage, so that a use of what was never written shows. */
void *host_frame_alloc(void)
{
	if (hw.nfree == 0)
		return NULL;
	uint32_t i = hw.pool_free[--hw.nfree];
	hw.pool_live[i] = true;
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
	if (pa % PAGE || (pa - HPA_BASE) / PAGE == 0 || i >= POOL_FRAMES || !hw.pool_live[i])
		finding("host_frame_free(0x%x): not an allocated pool frame", pa);
	hw.pool_live[i] = false;
	hw.pool_free[hw.nfree++] = i;
}

static uint32_t p2m_of(uint32_t gfn)
{
	return (HPA_BASE / PAGE) + RAM_FIRST + ((gfn * 97u + 13u) % RAM_FRAMES);
}

/* The guest frame of host frame pa, or RAM_FRAMES if it is none. */
static uint32_t gfn_of(uint32_t pa)
{
	uint32_t f = ((pa & PTE_ADDR) - HPA_BASE) / PAGE - RAM_FIRST;

	return (pa & PTE_ADDR) >= HPA_BASE && f < RAM_FRAMES ? m2p[f] : RAM_FRAMES;
}

int gpa_to_hpa(gpa_t g, hpa_t *out)
{
	if (g.v / PAGE >= guest_mem.nframes)
		return -1;
	*out = hpa(p2m[g.v / PAGE] * PAGE | (g.v & (PAGE - 1)));
	return 0;
}

/* Under vtlb a write to the guest's page tables (its own, or the
 * monitor's on its behalf: an exception frame pushed onto a stack that
 * overlaps them) leaves the shadow stale until the guest flushes, as a TLB
 * would be; changes to A and D alone do not count.  Writes through
 * gpa_write() and the simulated MMU are seen here as they happen; those
 * the monitor makes through the shadow itself (gva.c's cpu_translation),
 * by comparing the tables before and after each trap (paging_changed). */
static void note_table_write(uint32_t g, const uint8_t *buf, uint32_t n, const uint8_t *old)
{
	if (!hw.vtlb || !paging_set[g / PAGE])
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t keep = ((g + i) & 3) == 0 ? (uint8_t)~(PTE_A | PTE_D) : 0xFF;
		if ((buf[i] ^ old[i]) & keep)
			hw.vtlb_stale = true;
	}
}

static int gpa_copy(uint32_t g, uint8_t *buf, uint32_t n, bool to_guest)
{
	while (n > 0) {
		hpa_t h;
		uint32_t chunk = PAGE - (g & (PAGE - 1));
		if (gpa_to_hpa(gpa(g), &h) < 0)
			return -1;
		chunk = chunk < n ? chunk : n;
		if (to_guest) {
			ram_dirty[g / PAGE] = true;
			note_table_write(g, buf, chunk, host_va(h.v));
			memcpy(host_va(h.v), buf, chunk);
		}
		else
			memcpy(buf, host_va(h.v), chunk);
		g += chunk;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

int gpa_write(gpa_t g, const void *src, uint32_t n) { return gpa_copy(g.v, (uint8_t *)src, n, true); }
int gpa_read(gpa_t g, void *dst, uint32_t n) { return gpa_copy(g.v, dst, n, false); }

int gpa_mmio_add(uint32_t base, uint32_t size, void *image)
{
	if (hw.nmmio >= GPA_MMIO_MAX || base / PAGE < RAM_FRAMES)
		return -1;      /* never RAM (memory.h): the shadow's fill relies on it */
	hw.mmio_base[hw.nmmio] = base;
	hw.mmio_image[hw.nmmio] = image;
	hw.mmio_size[hw.nmmio++] = size;
	return 0;
}

void *gpa_mmio_image(uint32_t g)
{
	for (unsigned i = 0; i < hw.nmmio; i++)
		if (g - hw.mmio_base[i] < hw.mmio_size[i])
			return hw.mmio_image[i];
	return NULL;
}

bool gpa_is_mmio(uint32_t g)
{
	for (unsigned i = 0; i < hw.nmmio; i++)
		if (g - hw.mmio_base[i] < hw.mmio_size[i])
			return true;
	return false;
}

/* A device with 16 dword registers at MMIO_GPA. */
static uint32_t fake_mmio_read(void *dev, uint32_t off, unsigned size)
{
	(void)dev;
	return hw.mmio_regs[(off / 4) % 16] >> (8 * (off % 4)) & vio_size_mask(size);
}

static void fake_mmio_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	(void)dev;
	(void)size;
	hw.mmio_regs[(off / 4) % 16] = value;
}

static const struct vmmio_ops fake_mmio_ops = { fake_mmio_read, fake_mmio_write };

/* ---- the guest's memory, as the harness (not the guest) reads it --------- */

static int phys_read(void *ctx, uint32_t g, uint32_t *val)
{
	(void)ctx;
	return gpa_read(gpa(g), val, 4);
}

static int phys_write(void *ctx, uint32_t g, uint32_t val)
{
	(void)ctx; (void)g; (void)val;
	return -1;      /* never: the harness walks with set_ad off */
}

static const struct gwalk_mem peek_mem = { phys_read, phys_write, 0 };

/* The guest's translation of va, without setting A/D bits; false if its
 * tables refuse or reach outside RAM. */
static bool guest_xlate(const struct vcpu *v, uint32_t va, struct gwalk_res *res)
{
	if (!(v->cr0 & CR0_PG)) {
		*res = (struct gwalk_res){ .gpa = va, .w = true, .u = true, .dirty = true };
		return true;
	}
	struct gwalk_req req = { .cr3 = v->cr3, .pse = (v->cr4 & CR4_PSE) != 0,
				 .wp = (v->cr0 & CR0_WP) != 0, .va = va };
	return gwalk(&peek_mem, &req, res) == GWALK_OK;
}

static bool lin_read(const struct vcpu *v, uint32_t lin, void *buf, uint32_t n)
{
	uint8_t *b = buf;
	while (n > 0) {         /* one translation per page */
		struct gwalk_res r;
		uint32_t chunk = PAGE - (lin & (PAGE - 1));
		chunk = chunk < n ? chunk : n;
		if (!guest_xlate(v, lin, &r) || gpa_read(gpa(r.gpa), b, chunk) < 0)
			return false;
		lin += chunk;
		b += chunk;
		n -= chunk;
	}
	return true;
}

/* Reads linear memory as the CPU fetches it: through the shadow's entry if
 * it has one (under vtlb it may lag the guest's tables, as a TLB does, and
 * the CPU, and so the monitor's decoder, use it), else the guest's tables. */
static bool cpu_lin_read(const struct vcpu *v, uint32_t lin, void *buf, uint32_t n)
{
	uint8_t *b = buf;
	while (n > 0) {
		uint32_t chunk = PAGE - (lin & (PAGE - 1)), *spd = host_va(shadow_root());
		uint32_t pde = spd[lin >> 22], pte = 0;
		chunk = chunk < n ? chunk : n;
		if ((pde & PTE_P) && (lin >> 22) != SWITCHER_PDX)
			pte = ((uint32_t *)host_va(pde & PTE_ADDR))[(lin >> 12) & 0x3FF];
		if (pte & PTE_P)
			memcpy(b, (uint8_t *)host_va(pte & PTE_ADDR) + (lin & (PAGE - 1)), chunk);
		else if (!lin_read(v, lin, b, chunk))
			return false;
		lin += chunk;
		b += chunk;
		n -= chunk;
	}
	return true;
}

/* Is guest frame gfn one of the guest's paging structures now? */
static bool is_paging_frame(const struct vcpu *v, uint32_t gfn)
{
	if (!(v->cr0 & CR0_PG))
		return false;
	static uint32_t pd[1024];
	if (gfn == v->cr3 / PAGE)
		return true;
	if (gpa_read(gpa(v->cr3 & PTE_ADDR), pd, sizeof pd) < 0)
		return false;
	for (uint32_t i = 0; i < 1024; i++)
		if ((pd[i] & PTE_P) && !((pd[i] & PTE_PS) && (v->cr4 & CR4_PSE)) && pd[i] / PAGE == gfn)
			return true;
	return false;
}

/* The run ended while the simulated guest ran (a store of its the monitor
 * was told of, as in place_code): the input ends there. */
static bool ended_between_traps;

/* Tells the monitor of a guest store into a watched frame, as its
 * emulation of the trapped store would; that may end the guest (a
 * descriptor it refuses), as inside guest_trap. */
static void tell_monitor_of_store(struct vcpu *v, uint32_t g, uint32_t n)
{
	end_armed = true;
	if (setjmp(end_jmp)) {
		end_armed = false;
		ended_between_traps = true;
		n_died++;
		say("  the run ended at a store into a watched frame");
		return;
	}
	shadow_guest_wrote(v, g, n);
	end_armed = false;
}

/* Writes code bytes where the guest's EIP is, as if they had been there;
 * not into a paging structure (that would change the guest's tables
 * behind the shadow's back, which no guest can do).  Into a frame the
 * monitor watches (a descriptor table, the IDT, the TSS: watch.c) they go
 * as a guest store there does: trapped, and the monitor told of it
 * (shadow_guest_wrote), never behind the copies' back. */
static void place_code(struct vcpu *v, const uint8_t *code, uint32_t n)
{
	uint32_t lin = segment_base(v, (uint16_t)v->tf.cs) + v->tf.eip;
	while (n > 0) {         /* one translation a page */
		struct gwalk_res r;
		uint32_t chunk = PAGE - (lin & (PAGE - 1));
		chunk = chunk < n ? chunk : n;
		if (!guest_xlate(v, lin, &r) || r.gpa / PAGE >= RAM_FRAMES ||
		    is_paging_frame(v, r.gpa / PAGE))
			return;
		gpa_write(gpa(r.gpa), code, chunk);
		if (shadow_watched(r.gpa / PAGE))
			tell_monitor_of_store(v, r.gpa, chunk);
		if (ended_between_traps)
			return;
		lin += chunk;
		code += chunk;
		n -= chunk;
	}
}

/* ---- the simulated CPU ----------------------------------------------------- */

struct cpu_fault {
	unsigned vector;
	uint32_t err;
};

/* The descriptor the CPU reads for sel from the real GDT or LDT. */
static int real_desc(uint16_t sel, struct segdesc *d)
{
	uint32_t i = SEL_INDEX(sel);
	if (sel & SEL_TI) {
		if (hw.ldtr == LDTR_RESET)
			finding("the CPU reads LDT selector 0x%x through the reset LDTR (linear 0-0xFFFF, "
				"never validated)", sel);
		if (hw.ldtr != LDTR_MON || (uint64_t)i * 8 + 7 > hw.ldt_limit)
			return -1;
		*d = sw_ldt[i];
		return 0;
	}
	if (i >= GDT_ENTRIES)
		return -1;
	*d = hw.gdt_shown ? sw_gdt_shown[i] : sw_gdt[i];
	return 0;
}

/* The linear address of the access byte of sel's real descriptor: the CPU
 * writes the accessed bit there when it loads a descriptor without it, and
 * the switcher's tables are read-only to the guest: #PF (vdesc.c sets it). */
static uint32_t access_byte(uint16_t sel)
{
	uint32_t table = (sel & SEL_TI) ? SW_LDT_OFF : hw.gdt_shown ? SW_GDT_SHOWN_OFF : SW_GDT_OFF;
	return SW_VA(table) + SEL_INDEX(sel) * 8 + 5;
}

static bool accessed(struct segdesc d) { return (DESC_TYPE(d) & SEG_T_ACCESSED) != 0; }

static bool is_code(struct segdesc d) { return DESC_S(d) && (DESC_TYPE(d) & SEG_T_CODE); }
static bool conforming(struct segdesc d) { return is_code(d) && (DESC_TYPE(d) & SEG_T_C); }

/* The CPU's write of the accessed bit: nothing if it is set, else the
 * #PF of a supervisor write to the read-only switcher page. */
static int set_accessed(uint16_t sel, struct segdesc d, struct cpu_fault *f)
{
	if (accessed(d))
		return 0;
	*f = (struct cpu_fault){ T_PF, PFE_P | PFE_W };
	hw.cr2 = access_byte(sel);
	return -1;
}

/* MOV to DS/ES/FS/GS at cpl: 0, or the fault. */
static int load_data_seg(uint16_t sel, unsigned cpl, struct cpu_fault *f)
{
	struct segdesc d;
	unsigned rpl = SEL_RPL(sel), eff = rpl > cpl ? rpl : cpl;

	*f = (struct cpu_fault){ T_GP, sel & 0xFFFCu };
	if (SEL_INDEX(sel) == 0 && !(sel & SEL_TI))
		return 0;
	if (real_desc(sel, &d) < 0 || !DESC_S(d))
		return -1;
	if (is_code(d) && !(DESC_TYPE(d) & SEG_T_R))
		return -1;
	if (!conforming(d) && DESC_DPL(d) < eff)
		return -1;
	if (!DESC_P(d)) {
		f->vector = T_NP;
		return -1;
	}
	return set_accessed(sel, d, f);
}

static int load_stack_seg(uint16_t sel, unsigned cpl, struct cpu_fault *f)
{
	struct segdesc d;

	*f = (struct cpu_fault){ T_GP, sel & 0xFFFCu };
	if ((SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) || SEL_RPL(sel) != cpl)
		return -1;
	if (real_desc(sel, &d) < 0 || !DESC_S(d) || is_code(d) || !(DESC_TYPE(d) & SEG_T_W) ||
	    DESC_DPL(d) != cpl)
		return -1;
	if (!DESC_P(d)) {
		f->vector = T_SS;
		return -1;
	}
	return set_accessed(sel, d, f);
}

static bool desc_ok(struct segdesc d);

/* The real table entry sel names (in the switcher's LDT, or in the GDT
 * the CPU holds: the one that hides user code or the one that shows it). */
static struct segdesc *real_entry(uint16_t sel)
{
	return (sel & SEL_TI) ? &sw_ldt[SEL_INDEX(sel) % LDT_ENTRIES]
	       : hw.gdt_shown ? &sw_gdt_shown[SEL_INDEX(sel) % GDT_ENTRIES]
			      : &sw_gdt[SEL_INDEX(sel) % GDT_ENTRIES];
}

/* The exit path's load of ES or DS holding sel through a patched slot
 * (entry.asm, KEPT_OR; vdesc.c keeps a hidden descriptor the table lost):
 * the slot must be sel's own guest entry, the descriptor one the monitor
 * validated, and what the slot holds again the table's own; the load is
 * made on the monitor's CR3, where the CPU writes an accessed bit itself.
 * Sets *loaded to the descriptor the register then holds. */
static void kept_load(const struct sw_keep *k, uint16_t sel, struct segdesc *loaded)
{
	struct cpu_fault f;
	struct segdesc *e = real_entry(sel);
	uint32_t table = (sel & SEL_TI) ? SW_LDT_OFF : hw.gdt_shown ? SW_GDT_SHOWN_OFF : SW_GDT_OFF;

	if (k->slot != SW_VA(table) + SEL_INDEX(sel) * 8 ||
	    (!(sel & SEL_TI) && (SEL_INDEX(sel) == 0 || SEL_INDEX(sel) >= GDT_MON_FIRST)))
		finding("exit path: selector 0x%x kept through slot 0x%x, not its guest entry", sel,
			k->slot);
	if (!desc_ok(k->desc) || !DESC_S(k->desc))
		finding("exit path: DS/ES 0x%x loaded with 0x%08x %08x, not a validated guest "
			"segment", sel, k->desc.hi, k->desc.lo);
	if (k->table.lo != e->lo || k->table.hi != e->hi)
		finding("exit path: the slot of 0x%x would be left holding 0x%08x %08x where the "
			"table has 0x%08x %08x", sel, k->table.hi, k->table.lo, e->hi, e->lo);
	struct segdesc was = *e, mon_ldt = sw_gdt[GDT_MON_LDT];
	enum ldtr_state ldtr = hw.ldtr;
	uint32_t ldt_limit = hw.ldt_limit;
	*e = k->desc;
	e->hi |= SEG_T_ACCESSED << 8;   /* the CPU's own write, on this CR3 */
	if (k->ldtr) {                  /* an LDT slot beyond the guest's LDT */
		if (!(sel & SEL_TI) || k->ldt_after.lo != mon_ldt.lo ||
		    k->ldt_after.hi != mon_ldt.hi ||
		    k->ldtr_after != (ldtr == LDTR_MON ? SEL_MON_LDT : 0u))
			finding("exit path: kept selector 0x%x would leave the LDTR 0x%x (0x%08x %08x), "
				"not the guest's", sel, k->ldtr_after, k->ldt_after.hi,
				k->ldt_after.lo);
		sw_gdt[GDT_MON_LDT] = k->ldt;
		lldt(SEL_MON_LDT);      /* the fake checks base and limit */
	}
	if (load_data_seg(sel, 0, &f) < 0)
		finding("exit path: loading kept selector 0x%x in ring 0 faults (vector %u)", sel,
			f.vector);
	*loaded = *e;
	*e = was;
	sw_gdt[GDT_MON_LDT] = mon_ldt;
	hw.ldtr = ldtr;
	hw.ldt_limit = ldt_limit;
}

/* The exit path: ES and DS loaded in ring 0, through a patched slot for a
 * kept one (FS and GS are never reloaded: they keep what the guest had,
 * fs and gs), then IRET to the frame. */
static void exit_path(struct trapframe *tf, uint32_t fs, uint32_t gs)
{
	struct cpu_fault f;
	uint32_t *segs[] = { &tf->es, &tf->ds, &tf->fs, &tf->gs };
	const struct sw_keep *keeps[] = { &sw_priv->keep[KEEP_ES], &sw_priv->keep[KEEP_DS] };
	struct segdesc loaded[2];
	bool kept[2] = { false, false };
	struct segdesc cs;

	tf->fs = fs;
	tf->gs = gs;
	for (unsigned i = 0; i < 2; i++) {
		uint16_t sel = (uint16_t)*segs[i];
		if (keeps[i]->slot && keeps[i]->sel == sel) {
			kept_load(keeps[i], sel, &loaded[i]);
			kept[i] = true;
		} else if (load_data_seg(sel, 0, &f) < 0) {
			finding("exit path: loading selector 0x%x in ring 0 faults (vector %u): the "
				"monitor resumes a frame the CPU cannot load", sel, f.vector);
		}
	}
	uint16_t sel = (uint16_t)tf->cs;
	if (real_desc(sel, &cs) < 0 || !is_code(cs) || (SEL_INDEX(sel) == 0 && !(sel & SEL_TI)))
	{
		struct segdesc copy = { 0, 0 };
		guest_segment(&vcpu0, sel, &copy);
		finding("exit path: IRET to CS 0x%x, not a code segment in the real tables (real "
			"0x%08x %08x, the monitor's copy 0x%08x %08x)", sel, cs.hi, cs.lo, copy.hi,
			copy.lo);
	}
	if (SEL_RPL(sel) == 0)
		finding("exit path: IRET to CS 0x%x with RPL 0: the guest would run in ring 0", sel);
	if (DESC_DPL(cs) == 0)
		finding("exit path: CS 0x%x is a DPL-0 code segment", sel);
	if (conforming(cs) ? DESC_DPL(cs) > SEL_RPL(sel) : DESC_DPL(cs) != SEL_RPL(sel))
		finding("exit path: IRET to CS 0x%x (DPL %u) faults", sel, DESC_DPL(cs));
	if (!DESC_P(cs))
		finding("exit path: IRET to CS 0x%x, not present", sel);
	if (!accessed(cs))
		finding("exit path: CS 0x%x without its accessed bit: the CPU's write of it "
			"faults on the read-only switcher page", sel);
	unsigned cpl = SEL_RPL(sel);
	if (load_stack_seg((uint16_t)tf->ss, cpl, &f) < 0)
		finding("exit path: IRET with SS 0x%x for ring %u faults", tf->ss & 0xFFFF, cpl);
	if (tf->eflags & (FL_IOPL | FL_VM))
		finding("exit path: IRET loads EFLAGS 0x%x (IOPL or VM) from ring 0", tf->eflags);
	/* on the way out, the CPU nulls data segments the new CPL may not use */
	for (unsigned i = 0; i < 4; i++) {
		struct segdesc d;
		int have = i < 2 && kept[i] ? (d = loaded[i], 0) : real_desc((uint16_t)*segs[i], &d);
		if (have == 0 && !conforming(d) && DESC_DPL(d) < cpl &&
		    (SEL_INDEX(*segs[i]) || (*segs[i] & SEL_TI)))
			*segs[i] = 0;
	}
}

/* A far JMP by guest code at its CPL through the real tables: 0 (done), or
 * the fault.  A call gate or a task gate here is a way out of the guest. */
static int far_jump(struct trapframe *tf, uint16_t sel, uint32_t off, struct cpu_fault *f)
{
	struct segdesc d;
	unsigned cpl = tf->cs & 3;

	*f = (struct cpu_fault){ T_GP, sel & 0xFFFCu };
	if ((SEL_INDEX(sel) == 0 && !(sel & SEL_TI)) || real_desc(sel, &d) < 0)
		return -1;
	if (!DESC_S(d)) {
		unsigned t = DESC_TYPE(d);
		if (t == SYS_T_CALL32 || t == SYS_T_CALL16 || t == SYS_T_TASK || t == SYS_T_TSS32A ||
		    t == SYS_T_TSS16A)
			finding("far JMP 0x%x from ring %u reaches a %s (type 0x%x) in the real %s",
				sel, cpl, t == SYS_T_TASK ? "task gate" : t >= SYS_T_TSS32A &&
				t != SYS_T_CALL32 ? "TSS" : "call gate", t,
				(sel & SEL_TI) ? "LDT" : "GDT");
		return -1;
	}
	if (!is_code(d))
		return -1;
	if (conforming(d) ? DESC_DPL(d) > cpl : (SEL_RPL(sel) > cpl || DESC_DPL(d) != cpl))
		return -1;
	if (!DESC_P(d)) {
		f->vector = T_NP;
		return -1;
	}
	if (set_accessed(sel, d, f) < 0)
		return -1;
	tf->cs = (sel & ~3u) | cpl;
	tf->eip = off;
	return 0;
}

/* A store by guest code through the shadow page tables, as the MMU does it
 * (real CR0.WP = 1): 0, or the #PF with its error code. */
static int mmu_store(uint32_t va, uint32_t val, unsigned cpl, uint32_t *err)
{
	uint32_t *pd = host_va(shadow_root()), pde = pd[va >> 22];
	bool user = cpl == 3;
	uint32_t u = user ? PFE_U : 0;

	*err = PFE_W | u;
	if (!(pde & PTE_P))
		return -1;
	if (pde & PTE_PS)
		finding("the shadow directory has a 4 MB entry at 0x%x", va);
	uint32_t pte = ((uint32_t *)host_va(pde & PTE_ADDR))[(va >> 12) & 0x3FF];
	if (!(pte & PTE_P))
		return -1;
	*err |= PFE_P;
	if (!(pde & pte & PTE_W) || (user && !(pde & pte & PTE_U)))
		return -1;
	uint32_t off = va & (PAGE - 1), n = off > PAGE - 4 ? PAGE - off : 4;
	uint8_t *b = host_va((pte & PTE_ADDR) | off);
	for (uint32_t g = 0; g < RAM_FRAMES; g++)
		if (p2m[g] * PAGE == (pte & PTE_ADDR)) {
			ram_dirty[g] = true;
			note_table_write(g * PAGE + off, (const uint8_t *)&val, n, b);
		}
	memcpy(b, &val, n);
	return 0;
}

/* ---- the invariants -------------------------------------------------------- */

static bool desc_ok(struct segdesc d)
{
	return (d.lo == 0 && d.hi == 0) || (DESC_S(d) && DESC_DPL(d) >= 1) ||
	       (!DESC_P(d) && DESC_S(d));
}

/* Reads only the static table arrays: left out of ASan for speed (it runs
 * over 16384 entries). */
__attribute__((no_sanitize("address")))
static void check_tables(void)
{
	for (uint32_t i = 0; i < GDT_MON_FIRST; i++) {
		if (!desc_ok(sw_gdt[i]))
			finding("real GDT entry %u (0x%08x %08x) is not a validated guest descriptor",
				i, sw_gdt[i].hi, sw_gdt[i].lo);
		if (!desc_ok(sw_gdt_shown[i]))
			finding("second real GDT entry %u (0x%08x %08x) is not a validated guest "
				"descriptor", i, sw_gdt_shown[i].hi, sw_gdt_shown[i].lo);
	}
	for (uint32_t i = 0; i < LDT_ENTRIES; i++)
		if (!desc_ok(sw_ldt[i]))
			finding("real LDT entry %u (0x%08x %08x) is not a validated guest descriptor",
				i, sw_ldt[i].hi, sw_ldt[i].lo);
	if (hw.ldtr == LDTR_RESET)
		finding("the guest resumes with the CPU's reset LDTR (base 0, limit 0xFFFF): the "
			"CPU reads descriptors from unvalidated guest memory");
}

/* The guest's own view of page j under directory entry gpde (as gwalk()
 * gives it for a supervisor read, A/D left alone): false if its tables do
 * not map it.  gpt: the page table's 1024 entries, read once per PDE. */
static bool guest_view(const struct vcpu *v, uint32_t va, uint32_t gpde, const uint32_t *gpt,
		       bool gpt_ok, struct gwalk_res *r)
{
	if (!(v->cr0 & CR0_PG)) {
		*r = (struct gwalk_res){ .gpa = va, .w = true, .u = true };
		return true;
	}
	if (!(gpde & PTE_P))
		return false;
	if ((gpde & PTE_PS) && (v->cr4 & CR4_PSE)) {
		*r = (struct gwalk_res){ .gpa = (gpde & PDE_BIGADDR) | (va & ~PDE_BIGADDR),
					 .w = gpde & PTE_W, .u = gpde & PTE_U };
		return true;
	}
	uint32_t gpte = gpt[(va >> 12) & 0x3FF];
	if (!gpt_ok || !(gpte & PTE_P))
		return false;
	*r = (struct gwalk_res){ .gpa = (gpte & PTE_ADDR) | (va & (PAGE - 1)),
				 .w = gpde & gpte & PTE_W, .u = gpde & gpte & PTE_U };
	return true;
}

/* gva.c's remembered walks (taken instead of a walk while the entries
 * that walk read are unchanged): none would now give an answer a walk of
 * the guest's tables as they are does not. */
static void check_walks(struct vcpu *v)
{
	uint32_t va = gva_memo_stale(v);

	if (va != 1)
		finding("a remembered walk of 0x%x is stale (cr3 0x%x)", va, v->cr3);
}

/* A shadow entry's frame: guest RAM, or a device's read image mapped
 * read-only (memory.h), never anything else of the host's. */
static bool maps_guest_ram(uint32_t pte, bool w)
{
	uint32_t pa = pte & PTE_ADDR, f = (pa - HPA_BASE) / PAGE;

	if (pa >= HPA_BASE && f >= RAM_FIRST && f < RAM_FIRST + RAM_FRAMES)
		return true;
	for (unsigned i = 0; i < hw.nmmio; i++)
		if (hw.mmio_image[i] && pa == host_pa(hw.mmio_image[i]) && !w)
			return true;
	return false;
}

static void check_shadow(const struct vcpu *v)
{
	static uint32_t gpt[1024];
	uint32_t *spd = host_va(shadow_root());
	bool wp = (v->cr0 & CR0_WP) != 0, paging = (v->cr0 & CR0_PG) != 0;
	bool cached = !hw.vtlb;

	for (unsigned k = 0; k < SW_CR3_HINTS; k++) {
		uint32_t root = sw_data->cr3[k].root, f = root / PAGE - HPA_BASE / PAGE - 1;
		if (sw_data->cr3[k].key && (root % PAGE || f >= POOL_FRAMES || !hw.pool_live[f]))
			finding("MOV CR3 hint %u: guest CR3 0x%x -> root 0x%x, not a live shadow "
				"directory", k, sw_data->cr3[k].key, root);
	}
	/* the guest's tables changed since the last flush: a TLB may lag them,
	 * and so may vtlb's shadow; its entries still map only guest RAM */
	bool lagging = hw.vtlb && hw.vtlb_stale;
	for (uint32_t i = 0; i < 1024; i++) {
		uint32_t pde = spd[i], gpde = 0;
		if (i == SWITCHER_PDX || !(pde & PTE_P))
			continue;
		uint32_t ptpfn = (pde & PTE_ADDR) / PAGE - HPA_BASE / PAGE - 1;
		if (ptpfn >= POOL_FRAMES || !hw.pool_live[ptpfn])
			finding("shadow PDE %u (0x%x) is not a live shadow frame", i, pde);
		if (paging && !lagging)
			phys_read(0, (v->cr3 & PTE_ADDR) + i * 4, &gpde);
		bool derived = paging && !lagging && (gpde & PTE_P) && !((gpde & PTE_PS) && (v->cr4 & CR4_PSE));
		bool gpt_ok = derived && gpa_read(gpa(gpde & PTE_ADDR), gpt, sizeof gpt) == 0;
		uint32_t *spt = host_va(pde & PTE_ADDR);
		for (uint32_t j = 0; j < 1024; j++) {
			uint32_t pte = spt[j], va = i << 22 | j << 12;
			if (!(pte & PTE_P))
				continue;
			bool w = pde & pte & PTE_W, u = pde & pte & PTE_U;
			struct gwalk_res r;
			if (w && gfn_of(pte) < RAM_FRAMES)
				ram_dirty[gfn_of(pte)] = true; /* the monitor may write it itself */
			if (lagging) {
				if (!maps_guest_ram(pte, w))
					finding("shadow maps 0x%x to host 0x%x, not guest RAM (pte 0x%x; "
						"the guest's tables changed since the last flush)", va,
						pte & PTE_ADDR, pte);
				continue;
			}
			if (!guest_view(v, va, gpde, gpt, gpt_ok, &r))
				finding("shadow maps 0x%x (0x%x), which the guest's tables do not "
					"(cr3 0x%x pde 0x%x pte 0x%x)", va, pte, v->cr3, gpde,
					gpt_ok ? gpt[j] : 0);
			void *image = gpa_is_mmio(r.gpa) ? gpa_mmio_image(r.gpa) : NULL;
			if (image && !w && (pte & PTE_ADDR) == host_pa(image))
				continue;       /* a device's read image, read-only (memory.h) */
			if (r.gpa / PAGE >= RAM_FRAMES || gpa_is_mmio(r.gpa))
				finding("shadow maps 0x%x to guest-physical 0x%x, not RAM (pte 0x%x)", va,
					r.gpa, pte);
			if ((pte & PTE_ADDR) != p2m[r.gpa / PAGE] * PAGE)
				finding("shadow maps 0x%x to host 0x%x, the p2m says 0x%x", va,
					pte & PTE_ADDR, p2m[r.gpa / PAGE] * PAGE);
			if (u && !r.u)
				finding("shadow gives user access to 0x%x, a supervisor page", va);
			if (w && !r.w && (wp || u))
				finding("shadow makes 0x%x writable (pte 0x%x), the guest's tables do not",
					va, pte);
			if (cached && w && paging && (r.gpa / PAGE == v->cr3 / PAGE ||
			    (derived && r.gpa / PAGE == gpde / PAGE)))
				finding("shadow=cached: 0x%x maps the guest's page %s 0x%x writable", va,
					r.gpa / PAGE == v->cr3 / PAGE ? "directory" : "table", r.gpa);
		}
	}
}

/* ---- the input ------------------------------------------------------------- */

#include "reader.h"

static void put32(uint32_t g, uint32_t v) { gpa_write(gpa(g), &v, 4); }

static void put_desc(uint32_t g, struct segdesc d) { gpa_write(gpa(g), &d, sizeof d); }

/* The template: a small protected-mode kernel's tables (see G_*). */
static void build_template(void)
{
	const unsigned code = SEG_T_CODE | SEG_T_R, data = SEG_T_W;

	put_desc(G_GDT + 1 * 8, desc_make(0, 0xFFFFFFFF, code, 0, true, true));
	put_desc(G_GDT + 2 * 8, desc_make(0, 0xFFFFFFFF, data, 0, true, true));
	put_desc(G_GDT + 3 * 8, desc_make(0, 0xFFFFFFFF, code, 3, true, true));
	put_desc(G_GDT + 4 * 8, desc_make(0, 0xFFFFFFFF, data, 3, true, true));
	put_desc(G_GDT + 5 * 8, desc_make(G_TSS, TSS_IOMB + TSS_BITMAP, SYS_T_TSS32A, 0, false,
					   false));
	put_desc(G_GDT + 6 * 8, desc_make(G_LDT, 3 * 8 - 1, SYS_T_LDT, 0, false, false));
	put_desc(G_GDT + 7 * 8, desc_make(0, 0xFFFFFFFF, code, 2, true, true));
	put_desc(G_GDT + 8 * 8, desc_make(0, 0xFFFFFFFF, data, 2, true, true));
	for (unsigned v = 0; v < 256; v++) {
		unsigned dpl = v == 0x80 ? 3 : v == 0x81 ? 2 : 0;
		put_desc(G_IDT + v * 8, gate_make(G_HANDLERS + v * 16, 0x08,
						   v < 32 || dpl ? SYS_T_TRAP32 : SYS_T_INT32, dpl));
		uint8_t iret = 0xCF;
		gpa_write(gpa(G_HANDLERS + v * 16), &iret, 1);
	}
	put32(G_TSS + 4, G_KSTACK);
	put32(G_TSS + 8, 0x10);
	put32(G_TSS + 20, G_R2STACK);
	put32(G_TSS + 24, 0x42);
	put32(G_TSS + 100, TSS_IOMB << 16);
	for (unsigned i = 0; i < TSS_BITMAP; i++) {
		uint8_t b = i == 0x80 / 8 ? 0xFE : 0xFF;        /* port 0x80 allowed */
		gpa_write(gpa(G_TSS + TSS_IOMB + i), &b, 1);
	}
	put_desc(G_LDT + 0 * 8, desc_make(0, 0xFFFFFFFF, data, 3, true, true));
	put_desc(G_LDT + 1 * 8, desc_make(0, 0xFFFFFFFF, code, 3, true, true));
	put_desc(G_LDT + 2 * 8, desc_make(0, 0xFFFFFFFF, data, 0, true, true));
	put32(G_PD, G_PT | PTE_P | PTE_W | PTE_U);
	put32(G_PD + 0x300 * 4, G_PT | PTE_P | PTE_W);          /* 0xC0000000 alias */
	for (uint32_t i = 0; i < 256; i++)
		put32(G_PT + i * 4, i * PAGE | PTE_P | PTE_W | PTE_U);
	put32(G_PT + 256 * 4, MMIO_GPA | PTE_P | PTE_W);       /* the device page */
}

/* The input's first byte: bit 0 shadow=vtlb, 1 iflag=soft, 2-3 shadow_cache
 * (1-4), 4 an IDE disk, 5 left in the boot state, 6 user mode, 7 an LDT. */
enum { CFG_VTLB = 1, CFG_SOFT_IF = 2, CFG_DISK = 0x10, CFG_RAW = 0x20, CFG_USER = 0x40,
       CFG_LDT = 0x80 };

static void machine_reset(struct reader *r)
{
	uint32_t cfg = take(r, 1);

	if (hw.vtlb)
		shadow_new_cr3(&vcpu0);         /* vtlb_init keeps big[]: flush it */
	memset(&hw, 0, sizeof hw);
	memset(paging_set, 0, sizeof paging_set);
	memset(disk, 0, sizeof disk);
	memset(&real, 0, sizeof real);
	memset(&fast_page, 0, sizeof fast_page);
	memset(&data_page, 0, sizeof data_page);
	switcher_set_fast_reads(0, 0);  /* as switcher_init() leaves them */
	fastptw_init();
	hw.ldtr = LDTR_RESET;           /* as the CPU comes out of reset */
	hw.gdt_shown = true;            /* switcher_load(): as vdesc_mode starts */
	for (uint32_t i = POOL_FRAMES; i-- > 0; )
		hw.pool_free[hw.nfree++] = i;
	for (uint32_t g = 0; g < RAM_FRAMES; g++) {
		p2m[g] = p2m_of(g);
		m2p[p2m[g] - HPA_BASE / PAGE - RAM_FIRST] = g;
	}
	/* an input must not find what an earlier one left */
	memset(arena[0], 0, PAGE);
	for (uint32_t g = 0; g < RAM_FRAMES; g++) {
		if (ram_dirty[g])
			memset(host_va(p2m[g] * PAGE), 0, PAGE);
		ram_dirty[g] = false;
	}
	guest_mem = (struct guest_mem){ RAM_FRAMES, p2m };
	mon_opts = (struct mon_options){ .mem_mb = RAM_MB, .ring = 1,
		.shadow = (cfg & CFG_VTLB) ? SHADOW_VTLB : SHADOW_CACHED,
		.shadow_cache = 1 + ((cfg >> 2) & 3), .trace = TRACE_IO,
		.disk = { (cfg & CFG_DISK) ? DISK_HD0 : DISK_NONE, DISK_NONE },
		.iflag = (cfg & CFG_SOFT_IF) ? IFLAG_SOFT : IFLAG_REAL,
		.ifwatch_s = IFWATCH_DEFAULT_S };
	hw.vtlb = cfg & CFG_VTLB;
	cr4_guest_mask = CR4_DE | CR4_PSE | CR4_PGE | CR4_TSD | CR4_PCE | CR4_OSFXSR |
			 CR4_OSXMMEXCPT;
	devices_init(NULL, 0);
	devices_attach_mmio(MMIO_GPA, PAGE, &fake_mmio_ops, 0, "fuzz-dev", NULL);

	build_template();
	/* patches to guest-physical memory: count, then (gpa24, len8, bytes) */
	for (uint32_t n = take(r, 1) % 16; n > 0 && r->n; n--) {
		uint32_t g = take(r, 3) % (RAM_FRAMES * PAGE), len = take(r, 1) % 64;
		for (uint32_t i = 0; i < len; i++) {
			uint8_t b = (uint8_t)take(r, 1);
			gpa_write(gpa((g + i) % (RAM_FRAMES * PAGE)), &b, 1);
		}
	}

	/* boot as run_guest() does, then (unless raw) as the guest's kernel
	 * would set itself up: LGDT, LIDT, LTR, LLDT, CR3, CR0.PG */
	struct vcpu *v = &vcpu0;
	vdesc_set_mode(true, true);
	memset(v, 0, sizeof *v);
	v->tf.eip = G_KCODE;
	v->tf.cs = 0x09;
	v->tf.ss = v->tf.ds = v->tf.es = v->tf.fs = v->tf.gs = 0x11;
	v->tf.esp = G_KSTACK;
	v->tf.eflags = FL_IF | FL_RESERVED1;
	v->cr0 = CR0_PE | CR0_ET;
	v->dr[6] = DR6_FIXED1;
	v->dr[7] = DR7_FIXED1;
	vdesc_reset(v);
	vidt_reset(v);
	emul_msr_reset(v);
	shadow_init(host_pa(arena[0]) | PTE_P | PTE_W);
	sw_priv->guest_cr3 = shadow_root();
	if (cfg & CFG_RAW)
		return;
	vdesc_lgdt(v, G_GDT, G_GDT_N * 8 - 1);
	v->idtr = (struct vdtr){ G_IDT, 256 * 8 - 1 };
	vidt_lidt(v);
	vdesc_ltr(v, 0x28);
	if (cfg & CFG_LDT)
		vdesc_lldt(v, 0x30);
	v->cr4 = CR4_PSE;
	shadow_mode_changed(v);
	v->cr3 = G_PD;
	shadow_new_cr3(v);
	v->cr0 |= CR0_PG | CR0_WP;
	shadow_mode_changed(v);
	v->vif = true;
	v->tf.cs = 0x09;
	v->tf.ss = v->tf.ds = v->tf.es = 0x11;
	v->tf.fs = v->tf.gs = 0;
	if (cfg & CFG_USER) {
		v->tf.cs = 0x1B;
		v->tf.ss = v->tf.ds = v->tf.es = 0x23;
		v->tf.eip = G_UCODE;
		v->tf.esp = G_USTACK;
	}
	vdesc_set_mode((v->tf.cs & 3) == 3, true);
	/* what the exit path of the traps that set this up would have left for
	 * the switcher's fast path (trap.c, fast_leave) */
	sw_fast->cr[3] = v->cr3;
	sw_fast->vif = v->vif;
}

/* One step of the guest: what it does natively, then the trap it takes. */
enum op_kind {
	OP_RAW, OP_GP_CODE, OP_PF_CODE, OP_REGS, OP_SREG, OP_FARJMP, OP_INT, OP_IRQ,
	OP_NMI, OP_DB, OP_STORE, OP_FAST, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"exception", "#GP at code", "#PF at code", "registers", "segment load", "far jmp",
	"INT n", "host IRQ", "NMI", "#DB", "store", "fast-path state",
};

/* INT n through a direct gate of the real IDT (vidt.c), as the CPU does it
 * without the monitor: the gate's DPL against CPL, its code segment (which
 * must be the guest's ring 1, never the monitor's ring 0), the ring-1 stack
 * from the real TSS for a call from user mode, five (or three) words pushed
 * through the shadow.  0, or the fault the CPU raises (it goes to the
 * monitor: those gates are its own). */
static int direct_gate(struct trapframe *tf, unsigned n, struct cpu_fault *f)
{
	struct segdesc g = real.gate[n], cs, ss;
	unsigned cpl = tf->cs & 3;
	uint16_t sel = gate_selector(g);
	uint32_t words[5], nw = 0, ssel = tf->ss, esp = tf->esp, err;

	*f = (struct cpu_fault){ T_GP, n * 8 + ERR_IDT };
	if (DESC_DPL(g) < cpl)
		return -1;
	if (real_desc(sel, &cs) < 0 || !is_code(cs) || conforming(cs) || !DESC_P(cs))
		finding("direct gate %u leads to selector 0x%x, not a present ring-1 code segment",
			n, sel);
	if (DESC_DPL(cs) != 1)
		finding("direct gate %u leads to a DPL-%u code segment (selector 0x%x)", n,
			DESC_DPL(cs), sel);
	if (set_accessed(sel, cs, f) < 0)
		return -1;
	if (cpl > 1) {          /* to the ring-1 stack of the real TSS */
		if (real_desc(real.ss1, &ss) < 0 || SEL_RPL(real.ss1) != 1 || DESC_DPL(ss) != 1 ||
		    is_code(ss) || !DESC_S(ss) || !(DESC_TYPE(ss) & SEG_T_W) || !DESC_P(ss))
			finding("direct gate %u from ring %u: the real TSS's SS1 0x%x is not a ring-1 "
				"stack", n, cpl, real.ss1);
		if (set_accessed(real.ss1, ss, f) < 0)
			return -1;
		words[nw++] = tf->ss;
		words[nw++] = tf->esp;
		ssel = real.ss1;
		esp = real.esp1;
	}
	words[nw++] = tf->eflags;
	words[nw++] = tf->cs;
	words[nw++] = tf->eip + 2;
	uint32_t base = segment_base(&vcpu0, (uint16_t)ssel);
	for (uint32_t i = 0; i < nw; i++) {
		esp -= 4;
		if (mmu_store(base + esp, words[i], 1, &err) < 0) {
			*f = (struct cpu_fault){ T_PF, err };
			hw.cr2 = base + esp;
			return -1;
		}
	}
	tf->ss = ssel;
	tf->esp = esp;
	tf->cs = (sel & ~3u) | 1;
	tf->eip = gate_offset(g);
	tf->eflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	say("INT 0x%x delivered by the CPU through a direct gate to %x:%x", n, tf->cs, tf->eip);
	return 0;
}

/* Reads one op; fills the trap frame *f to hand to guest_trap, or returns
 * false if the op raised nothing (the guest goes on). */
static bool next_trap(struct reader *r, struct trapframe *f)
{
	struct vcpu *v = &vcpu0;
	unsigned op = take(r, 1) % OP_COUNT, cpl = f->cs & 3;
	uint8_t code[INSN_MAX_LEN];
	struct cpu_fault cf;
	uint32_t n;

	hw.doing = op_names[op];
	hw.pit += 100;
	f->err = 0;
	switch (op) {
	case OP_RAW:
		n = take(r, 1) % 32;
		f->vector = n == T_NMI ? T_GP : n;      /* the NMI has its own op */
		f->err = vector_has_err(f->vector) ? take(r, 2) : 0;
		hw.cr2 = take(r, 4);
		if (f->vector == T_PF)
			f->err = (f->err & (PFE_P | PFE_W)) | (cpl == 3 ? PFE_U : 0);
		return true;
	case OP_GP_CODE:
	case OP_PF_CODE:
		n = take(r, 1) % (INSN_MAX_LEN + 1);
		for (uint32_t i = 0; i < n; i++)
			code[i] = (uint8_t)take(r, 1);
		v->tf = *f;                     /* place_code reads CS through v */
		place_code(v, code, n);
		f->vector = op == OP_GP_CODE ? T_GP : T_PF;
		if (op == OP_PF_CODE) {
			hw.cr2 = take(r, 4);
			f->err = (take(r, 1) & (PFE_P | PFE_W)) | (cpl == 3 ? PFE_U : 0);
		}
		return true;
	case OP_REGS: {
		uint32_t mask = take(r, 1);
		uint32_t *regs[] = { &f->eax, &f->ecx, &f->edx, &f->ebx, &f->esp, &f->ebp,
				     &f->esi, &f->edi };
		for (unsigned i = 0; i < 8; i++)
			if (mask >> i & 1)
				*regs[i] = take(r, 4);
		uint32_t more = take(r, 1);
		if (more & 1)
			f->eip = take(r, 4);
		if (more & 2) {         /* what POPF can change at any CPL */
			uint32_t mine = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
			f->eflags = (f->eflags & ~mine) | (take(r, 4) & mine);
		}
		return false;
	}
	case OP_SREG: {
		unsigned which = take(r, 1) % 5;
		uint16_t sel = (uint16_t)take(r, 2);
		uint32_t *dst[] = { &f->es, &f->ss, &f->ds, &f->fs, &f->gs };
		int rc = which == 1 ? load_stack_seg(sel, cpl, &cf) : load_data_seg(sel, cpl, &cf);
		if (rc == 0) {
			*dst[which] = sel;
			return false;
		}
		f->vector = cf.vector;
		f->err = cf.err;
		return true;
	}
	case OP_FARJMP: {
		uint16_t sel = (uint16_t)take(r, 2);
		uint32_t off = take(r, 4);
		if (far_jump(f, sel, off, &cf) == 0)
			return false;
		f->vector = cf.vector;
		f->err = cf.err;
		return true;
	}
	case OP_INT:
		n = take(r, 1);
		code[0] = 0xCD;
		code[1] = (uint8_t)n;
		v->tf = *f;
		place_code(v, code, 2);
		if (real.direct[n] && direct_gate(f, n, &cf) == 0)
			return false;           /* the CPU delivered it, no trap */
		if (real.direct[n]) {
			f->vector = cf.vector;
			f->err = cf.err;
			return true;
		}
		f->vector = T_GP;               /* the monitor's gates are DPL 0 */
		f->err = n * 8 + ERR_IDT;
		return true;
	case OP_FAST: { /* the guest kernel writes its vCPU page's fast-path state */
		uint32_t cr3 = sw_fast->cr[3];    /* a new one there is a MOV CR3 of its
						   own, not modelled: kept */
		for (uint8_t *p = (uint8_t *)sw_fast; p < (uint8_t *)(sw_fast + 1) && r->n; p++)
			if (take(r, 1) & 1)
				*p = (uint8_t)take(r, 1);
		sw_fast->cr[3] = cr3;
		return false;
	}
	case OP_IRQ:
		hw.pit += take(r, 2) * 16u;
		f->vector = HOST_IRQ_BASE + take(r, 1) % 16;
		return true;
	case OP_NMI:
		hw.pit += take(r, 3) * 16u;
		f->vector = T_NMI;
		return true;
	case OP_DB:
		hw.dr6 = DR6_FIXED1 | (take(r, 2) & DR6_STATUS) | ((f->eflags & FL_TF) ? DR6_BS : 0);
		f->vector = T_DB;
		return true;
	default: {      /* OP_STORE */
		uint32_t va = take(r, 4), val = take(r, 4), err;
		if (mmu_store(va, val, cpl, &err) == 0) {
			say("store 0x%x -> 0x%x (through the shadow)", val, va);
			return false;
		}
		hw.cr2 = va;
		f->vector = T_PF;
		f->err = err;
		return true;
	}
	}
}

/* ---- one trap, and what must hold after it -------------------------------- */

struct before {
	struct trapframe tf;
	bool stepping;
	bool decoded;
	struct insn in;
	uint32_t stack[2];
	uint32_t sysenter_eip;
	uint32_t callgate_eip;  /* a far CALL/JMP: its call gate's offset, or ~0 */
	uint32_t gates[256];    /* the guest IDT's gate offsets before the trap */
	uint32_t ngates;
};

static bool gate_target(const struct vdtr *idtr, uint32_t eip)
{
	static struct segdesc idt[256];
	uint32_t n = idtr->limit / 8 + 1 < 256 ? idtr->limit / 8 + 1 : 256;

	for (uint32_t vec = 0; vec < n; vec++) {
		if (!lin_read(&vcpu0, idtr->base + vec * 8, &idt[vec], 8))
			continue;
		if (gate_offset(idt[vec]) == eip)
			return true;
	}
	return false;
}

static void check_eip(const struct before *b, const struct trapframe *f)
{
	uint32_t to = f->eip, from = b->tf.eip;

	if (to == from || (b->decoded && to == from + b->in.len))
		return;
	if (b->decoded && (b->in.kind == INSN_IRET || b->in.kind == INSN_RET_FAR) &&
	    (to == b->stack[0] || (b->in.opsize == 2 && to == (b->stack[0] & 0xFFFF))))
		return;         /* o16: a 16-bit IP */
	if (b->decoded && ((b->in.kind == INSN_SYSENTER && to == b->sysenter_eip) ||
			   (b->in.kind == INSN_SYSEXIT && to == b->tf.edx)))
		return;
	if (b->decoded && (b->in.kind == INSN_CALL_FAR || b->in.kind == INSN_JMP_FAR) &&
	    to == b->callgate_eip)
		return;
	for (uint32_t i = 0; i < b->ngates; i++)
		if (b->gates[i] == to)
			return;
	if (gate_target(&vcpu0.idtr, to))
		return;
	finding("EIP moved 0x%x -> 0x%x (vector %u; the instruction there: %s, %u bytes), not "
		"where the dispatcher moves it", from, to, b->tf.vector,
		b->decoded ? b->in.mnem : "undecodable", b->decoded ? b->in.len : 0);
}

/* The CPU's single step: an instruction that completed with TF set is
 * followed by #DB before the next.  MOV SS and POP SS hold it one more. */
static void check_step(const struct before *b, const struct trapframe *f)
{
	if (!b->stepping || !b->decoded || (b->tf.vector != T_GP && b->tf.vector != T_PF))
		return;
	if (b->in.kind == INSN_MOV_TO_SREG || b->in.kind == INSN_POP_SREG)
		return;
	/* INT n, INT3, INTO trap only when they deliver (which clears TF); a
	 * #GP at an INTO with OF clear is not one the CPU raises */
	if (b->in.kind == INSN_INT || b->in.kind == INSN_INT3 || b->in.kind == INSN_INTO)
		return;
	if (f->eip == b->tf.eip + b->in.len && (f->cs & 0xFFFF) == (b->tf.cs & 0xFFFF) &&
	    (f->eflags & FL_TF))
		finding("%s at 0x%x was emulated with EFLAGS.TF set and the guest resumes at the "
			"next instruction without its single-step #DB", b->in.mnem, b->tf.eip);
}

/* The CPU's privilege rule: at CPL 1-3 (guest CPL 2 or 3: its kernel's
 * ring 1 is its CPL 0) an instruction that needs CPL 0 raises #GP and has
 * no effect; it never completes. */
static bool cpl0_only(enum insn_kind k)
{
	switch (k) {
	case INSN_HLT: case INSN_LGDT: case INSN_LIDT: case INSN_LLDT: case INSN_LTR:
	case INSN_MOV_TO_CR: case INSN_MOV_FROM_CR: case INSN_MOV_TO_DR: case INSN_MOV_FROM_DR:
	case INSN_CLTS: case INSN_LMSW: case INSN_INVLPG: case INSN_WBINVD: case INSN_INVD:
	case INSN_RDMSR: case INSN_WRMSR: case INSN_SYSEXIT:
		return true;
	default:
		return false;
	}
}

static void check_privilege(const struct before *b, const struct trapframe *f)
{
	unsigned cpl = b->tf.cs & 3;

	if (cpl < 2 || !b->decoded || b->tf.vector != T_GP || !cpl0_only(b->in.kind))
		return;
	if (f->eip == b->tf.eip + b->in.len && (f->cs & 0xFFFF) == (b->tf.cs & 0xFFFF))
		finding("%s at 0x%x was emulated for guest CPL %u: it needs CPL 0 (#GP)",
			b->in.mnem, b->tf.eip, cpl);
}

/* The guest's paging structures that the shadow maps writable, as they
 * were before the trap (vtlb): the monitor can write those without
 * gpa_write(), through the shadow (gva.c), and only those. */
static uint32_t paging_before[RAM_FRAMES][PAGE / 4];
static bool paging_snapped[RAM_FRAMES];

static uint32_t *ram_words(uint32_t gfn)
{
	return host_va(p2m[gfn] * PAGE);
}

static void snap_writable_paging_frames(void)
{
	const uint32_t *spd = host_va(shadow_root());

	memset(paging_snapped, 0, sizeof paging_snapped);
	for (uint32_t i = 0; i < SWITCHER_PDX; i++) {
		if (!(spd[i] & PTE_P) || !(spd[i] & PTE_W))
			continue;
		const uint32_t *spt = host_va(spd[i] & PTE_ADDR);
		for (uint32_t j = 0; j < 1024; j++) {
			uint32_t g = (spt[j] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) ?
				     gfn_of(spt[j]) : RAM_FRAMES;
			if (g < RAM_FRAMES && paging_set[g] && !paging_snapped[g]) {
				paging_snapped[g] = true;
				memcpy(paging_before[g], ram_words(g), PAGE);
			}
		}
	}
}

/* Did the trap change any of them, A and D bits aside? */
static bool paging_changed(void)
{
	for (uint32_t g = 0; g < RAM_FRAMES; g++) {
		const uint32_t *now = ram_words(g);
		if (!paging_snapped[g] || !memcmp(now, paging_before[g], PAGE))
			continue;
		for (uint32_t i = 0; i < PAGE / 4; i++)
			if ((now[i] ^ paging_before[g][i]) & ~(uint32_t)(PTE_A | PTE_D))
				return true;
	}
	return false;
}

static void paging_frames(const struct vcpu *v)
{
	static uint32_t pd[1024];

	memset(paging_set, 0, sizeof paging_set);
	memset(paging_snapped, 0, sizeof paging_snapped);
	if (!hw.vtlb || !(v->cr0 & CR0_PG) || gpa_read(gpa(v->cr3 & PTE_ADDR), pd, sizeof pd) < 0)
		return;
	paging_set[(v->cr3 / PAGE) % RAM_FRAMES] = true;
	for (uint32_t i = 0; i < 1024; i++)
		if ((pd[i] & PTE_P) && !((pd[i] & PTE_PS) && (v->cr4 & CR4_PSE)) &&
		    pd[i] / PAGE < RAM_FRAMES)
			paging_set[pd[i] / PAGE] = true;
	snap_writable_paging_frames();
}

/* The decoder's fetch from bytes already read (a 16-bit code segment
 * decodes differently: the decoder is told, as the monitor's is). */
struct code_buf {
	const uint8_t *bytes;
	uint32_t lin, n;        /* n bytes from linear lin */
};

static int buf_fetch(void *ctx, uint32_t addr, uint8_t *byte)
{
	const struct code_buf *cb = ctx;
	if (addr - cb->lin >= cb->n)
		return 1;
	*byte = cb->bytes[addr - cb->lin];
	return 0;
}

/* Where a far CALL or JMP through a call gate goes: the offset of the
 * gate its selector names in the guest's tables (the monitor's copy), or
 * ~0 if it names none. */
static uint32_t callgate_eip(struct vcpu *v, const struct insn *in)
{
	uint16_t sel = (uint16_t)in->imm2;
	struct segdesc g;

	if (in->has_mem && !lin_read(v, emul_operand_addr(v, in) + in->opsize, &sel, 2))
		return ~0u;
	if (guest_segment(v, sel, &g) < 0 || !desc_is_call_gate(g))
		return ~0u;
	return DESC_TYPE(g) == SYS_T_CALL32 ? gate_offset(g) : gate_offset(g) & 0xFFFFu;
}

static void snapshot(struct before *b, const struct trapframe *f)
{
	uint8_t code[INSN_MAX_LEN];
	struct vcpu *v = &vcpu0;

	b->tf = *f;
	v->tf = *f;
	b->stepping = (f->eflags & FL_TF) && !v->shadow_step;
	b->sysenter_eip = v->sysenter_eip;
	uint32_t lin = segment_base(v, (uint16_t)f->cs) + f->eip;
	struct segdesc cs;
	uint32_t first = PAGE - (lin & (PAGE - 1));
	struct code_buf cb = { code, lin, first < INSN_MAX_LEN ? first : INSN_MAX_LEN };
	struct decode_ops ops = { buf_fetch, &cb,
				  guest_segment(v, (uint16_t)f->cs, &cs) == 0 && !DESC_DB(cs) };
	if (cb.n < INSN_MAX_LEN && cpu_lin_read(v, lin + cb.n, code + cb.n, INSN_MAX_LEN - cb.n))
		cb.n = INSN_MAX_LEN;    /* the next page too, if mapped */
	bool fetched = cpu_lin_read(v, lin, code, cb.n);
	enum decode_result dr = fetched ? decode_insn(&ops, lin, &b->in) : DECODE_FETCH_FAULT;
	b->decoded = dr == DECODE_OK;
	if (!b->decoded)
	{
		uint32_t pde = 0, pte = 0;
		phys_read(0, (v->cr3 & PTE_ADDR) + (lin >> 22) * 4, &pde);
		phys_read(0, (pde & PTE_ADDR) + ((lin >> 12) & 0x3FF) * 4, &pte);
		say("  (the harness cannot decode at 0x%x: %s %d; guest pde 0x%x pte 0x%x)", lin,
		    fetched ? "decode" : "fetch", dr, pde, pte);
	}
	b->callgate_eip = b->decoded && (b->in.kind == INSN_CALL_FAR ||
					 b->in.kind == INSN_JMP_FAR) ? callgate_eip(v, &b->in) : ~0u;
	struct segdesc ssd;     /* a 16-bit stack segment uses SP alone */
	uint32_t sp = guest_segment(v, (uint16_t)f->ss, &ssd) == 0 && !DESC_DB(ssd) ?
		      f->esp & 0xFFFF : f->esp;
	if (!lin_read(v, segment_base(v, (uint16_t)f->ss) + sp, b->stack, sizeof b->stack))
		b->stack[0] = b->stack[1] = 0xFFFFFFFFu;
	/* the gates as they are now: the trap may overwrite the IDT or the
	 * tables that map it (a frame pushed onto a stack overlapping them) */
	static struct segdesc idt[256];
	uint32_t n = v->idtr.limit / 8 + 1 < 256 ? v->idtr.limit / 8 + 1 : 256;
	bool all = lin_read(v, v->idtr.base, idt, n * 8);      /* one walk a page */
	b->ngates = 0;
	for (uint32_t vec = 0; vec < n; vec++)
		if (all || lin_read(v, v->idtr.base + vec * 8, &idt[vec], 8))
			b->gates[b->ngates++] = gate_offset(idt[vec]);
	paging_frames(v);
}

/* Runs one trap; false if the guest's run ended (guest_die, its exit). */
static bool one_trap(struct trapframe *f)
{
	struct before b;
	int ended;

	snapshot(&b, f);
	hw.io = hw.idles = 0;
	say("trap %u err 0x%x at %x:%x cr2 0x%x (%s)", f->vector, f->err, f->cs, f->eip, hw.cr2,
	    hw.doing);
	n_traps++;
	end_armed = true;
	if ((ended = setjmp(end_jmp)) != 0) {
		end_armed = false;
		if ((uint32_t)ended - 1 == MON_EXIT_GUEST_DIED)
			n_died++;
		else
			n_exited++;
		say("  the run ended (code 0x%x)", ended - 1);
		return false;
	}
	guest_trap(f);
	end_armed = false;
	if (hw.flushes != vcpu0.stats.shadow_flushes) {
		hw.flushes = vcpu0.stats.shadow_flushes;
		hw.vtlb_stale = false;
	}
	if (hw.vtlb && paging_changed()) {
		hw.vtlb_stale = true;   /* (even if it flushed too: which came first?) */
		say("  the trap wrote the guest's page tables: vtlb's shadow may lag them");
	}
	say("  resumes at %x:%x eflags 0x%x", f->cs, f->eip, f->eflags);
	check_eip(&b, f);
	check_step(&b, f);
	check_privilege(&b, f);
	/* the real tables change only in emulated LGDT, LLDT and LTR (and the
	 * hiding of user code segments, which keeps them valid) */
	if (hw.ldtr == LDTR_RESET || (b.decoded && (b.in.kind == INSN_LGDT ||
				     b.in.kind == INSN_LLDT || b.in.kind == INSN_LTR)))
		check_tables();
	check_shadow(&vcpu0);
	check_walks(&vcpu0);
	check_fast_reads();
	exit_path(f, b.tf.fs, b.tf.gs);
	return true;
}

/* The 8 bytes at linear lin as the CPU fetched them: through present
 * shadow entries alone (false if one is missing: the CPU would have
 * faulted on the fetch, not on the store). */
static bool fetched_code(uint32_t lin, uint8_t code[8])
{
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t *spd = host_va(shadow_root()), a = lin + i, pde = spd[a >> 22], pte = 0;
		if ((pde & (PTE_P | PTE_PS)) == PTE_P && (a >> 22) != SWITCHER_PDX)
			pte = ((uint32_t *)host_va(pde & PTE_ADDR))[(a >> 12) & 0x3FF];
		if (!(pte & PTE_P))
			return false;
		code[i] = ((uint8_t *)host_va(pte & PTE_ADDR))[a & (PAGE - 1)];
	}
	return true;
}

/* What the store at EIP writes, decoded here (not by fastptw.c): its
 * value and address, as the CPU computes them. */
static bool store_of(struct vcpu *v, const struct before *b, uint32_t *val, uint32_t *addr)
{
	if (!b->decoded || b->in.kind != INSN_MOV || !b->in.mem_dst || b->in.width != 4)
		return false;
	*addr = emul_operand_addr(v, &b->in);
	*val = b->in.opcode == 0xC7 ? b->in.imm :
	       b->in.opcode == 0xA3 ? v->tf.eax : *vcpu_gpr(v, b->in.reg);
	return true;
}

/* A #PF the switcher's fast path may take before C (entry.asm, sw_fast_pf:
 * an armed page-table store, fastptw.c; the model is fastptw_stub()).
 * True if it did: the guest resumes past the store, no trap reaches the
 * dispatcher.  Checked then: the guest's entry holds what the instruction
 * stores, EIP moved by its length, the shadow still agrees with the
 * guest's tables. */
static bool fast_page_fault(struct trapframe *f)
{
	struct before b;
	uint8_t code[8];
	uint32_t val, addr, got = 0;
	struct vcpu *v = &vcpu0;

	if (f->vector != T_PF || hw.cr2 == sw_data->esp0_va ||
	    !fetched_code(segment_base(v, (uint16_t)f->cs) + f->eip, code))
		return false;
	snapshot(&b, f);
	if (!fastptw_stub(f, hw.cr2, shadow_root(), code))
		return false;
	n_traps++;
	say("trap 14 err 0x%x at %x:%x cr2 0x%x: the switcher's page-table store", b.tf.err,
	    b.tf.cs, b.tf.eip, hw.cr2);
	if (!store_of(v, &b, &val, &addr))
		finding("the page-table fast path completed %s at 0x%x, not a 32-bit MOV to memory",
			b.decoded ? b.in.mnem : "an undecodable instruction", b.tf.eip);
	else if (addr != hw.cr2 || !lin_read(v, addr, &got, 4) || got != val)
		finding("the page-table fast path at 0x%x: the instruction stores 0x%x at 0x%x, "
			"the guest's memory there holds 0x%x (cr2 0x%x)", b.tf.eip, val, addr, got,
			hw.cr2);
	check_eip(&b, f);
	check_shadow(v);
	return true;
}

/* FUZZ_VERBOSE: at exit, how the inputs' runs ended. */
__attribute__((destructor)) static void outcomes(void)
{
	if (verbose > 0)
		fprintf(stderr, "fuzz_trap: %lu inputs, %lu traps; the guest ended %lu times, "
			"exited by itself %lu times\n", n_inputs, n_traps, n_died, n_exited);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct trapframe f;

	n_inputs++;
	hw.doing = "boot";
	end_armed = true;
	if (setjmp(end_jmp)) {          /* the boot itself refused the guest */
		end_armed = false;
		n_died++;
		return 0;
	}
	machine_reset(&r);
	end_armed = false;
	ended_between_traps = false;
	f = vcpu0.tf;
	for (unsigned t = 0; t < MAX_TRAPS && r.n; t++) {
		bool trap = next_trap(&r, &f);
		if (ended_between_traps)
			break;
		if (trap && !fast_page_fault(&f) && !one_trap(&f))
			break;
	}
	hw.doing = "end of input";
	check_tables();
	return 0;
}
