/*
 * main.c - the monitor from its multiboot entry to the guest's first
 * instruction.
 *
 * Order: options first (a refused option ends the run before anything is
 * touched), then the guest module (no guest, no run), host memory above
 * everything the boot loader left us, the guest's RAM (p2m), and the guest
 * image loaded into it exactly as a multiboot loader would.
 *
 * Then the machinery of the run: the switcher's tables and pages, the
 * monitor's own paging (which maps them), the real timer, PIC and COM1,
 * the virtual devices, and the jump into the guest (run.c), which never
 * comes back: from then on the monitor runs only when the guest traps.
 */
#include "monitor.h"
#include "options.h"
#include "memory.h"
#include "loader.h"
#include "firmware.h"
#include "paging.h"
#include "hostcpu.h"
#include "hosthw.h"
#include "devices.h"
#include "run.h"
#include "stats.h"
#include "x86.h"
#include "trap/switcher.h"
#include "trap/emul.h"
#include "lib/fmt.h"
#include "lib/mmap.h"
#include "lib/multiboot.h"
#include "fault/fault.h"

extern uint8_t monitor_end[];
struct mon_options mon_opts;

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static const char *str_or_empty(uint32_t pa)
{
	return pa ? (const char *)pa : "";
}

/* Highest byte the boot loader's data (info, strings, modules) occupies. */
static uint32_t reserved_end(const struct mb_info *mbi)
{
	uint32_t end = max_u32((uint32_t)monitor_end, (uint32_t)mbi + sizeof *mbi);
	const struct mb_module *mods = (const struct mb_module *)mbi->mods_addr;

	if (mbi->flags & MBI_CMDLINE)
		end = max_u32(end, mbi->cmdline + fmt_strlen(str_or_empty(mbi->cmdline)) + 1);
	if (mbi->flags & MBI_MMAP)
		end = max_u32(end, mbi->mmap_addr + mbi->mmap_length);
	/* bound: mods_count, which the boot loader gives */
	for (uint32_t i = 0; (mbi->flags & MBI_MODS) && i < mbi->mods_count; i++) {
		end = max_u32(end, mods[i].end);
		end = max_u32(end, mods[i].string + fmt_strlen(str_or_empty(mods[i].string)) + 1);
		end = max_u32(end, (uint32_t)&mods[i + 1]);
	}
	return end;
}

static uint32_t host_ram_end(const struct mb_info *mbi)
{
	uint64_t top = 0;
	if (mbi->flags & MBI_MMAP)
		top = mmap_ram_top((const void *)mbi->mmap_addr, mbi->mmap_length);
	if (top == 0 && (mbi->flags & MBI_MEM))
		top = 0x100000ull + (uint64_t)mbi->mem_upper * 1024;
	if (top == 0)
		mon_panic("the boot loader passed no memory size");
	return top > 0xF0000000ull ? 0xF0000000u : (uint32_t)top & ~(MON_PGSIZE - 1);
}

static void guest_write(void *ctx, gpa_t dst, const void *src, uint32_t n)
{
	(void)ctx;
	if (gpa_write(dst, src, n) < 0)
		mon_panic("loader wrote outside guest RAM at 0x%x", dst.v);
}

/* The machine the guest's MP table describes: the virtual APICs, and the
 * CPU it runs on (CPUID is not virtualized, so the guest sees this CPU). */
static void guest_machine(struct fw_machine *fw)
{
	uint32_t b, c;

	fw_default_machine(fw);
	cpuid(1, &fw->cpu_signature, &b, &c, &fw->cpu_features);
}

static void load_guest(const struct mb_module *m, struct guest_boot *boot)
{
	const char *why;
	const char *cmdline = str_or_empty(m->string);
	struct guest_phys gp = { guest_mem.nframes << MON_PGSHIFT, guest_write, NULL };
	struct fw_machine fw;

	if (m->end <= m->start)
		mon_refuse(MON_EXIT_BAD_GUEST, "guest image '%s' is empty", cmdline);
	guest_machine(&fw);
	if (guest_load((const void *)m->start, m->end - m->start, cmdline, &gp, &fw, boot,
		       &why) < 0)
		mon_refuse(MON_EXIT_BAD_GUEST, "guest image '%s': %s (guest RAM is %u MB)", cmdline,
			   why, mon_opts.mem_mb);
	mon_log("guest '%s' loaded: %u segment(s) at 0x%x-0x%x, entry 0x%x, %u MB of guest RAM",
		cmdline, boot->nsegs, boot->load_lo, boot->load_hi, boot->entry, mon_opts.mem_mb);
}

/* Module i is the monitor's own (disk0=/disk1=/input=modN name it). */
static bool monitor_owns(unsigned i)
{
	for (unsigned u = 0; u < GUEST_DISKS; u++)	/* bound: GUEST_DISKS */
		if (mon_opts.disk[u] == DISK_MOD && mon_opts.disk_mod[u] == i)
			return true;
	return mon_opts.input_mod == i;
}

/* The monitor's modules after the first are the guest's modules, but for
 * those the options give the monitor. */
static void load_guest_modules(const struct mb_info *mbi, const struct guest_boot *boot)
{
	const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
	struct guest_module gm[GUEST_MODS_MAX + MON_MOD_MAX];
	struct guest_phys gp = { guest_mem.nframes << MON_PGSHIFT, guest_write, NULL };
	unsigned n = 0;
	const char *why;

	/* bound: GUEST_MODS_MAX + MON_MOD_MAX modules */
	for (unsigned i = 1; i < mbi->mods_count && n < GUEST_MODS_MAX + MON_MOD_MAX; i++)
		if (!monitor_owns(i))
			gm[n++] = (struct guest_module){ (const void *)m[i].start,
							 m[i].end - m[i].start,
							 str_or_empty(m[i].string) };
	if (guest_add_modules(gm, n, &gp, boot, &why) < 0)
		mon_refuse(MON_EXIT_BAD_GUEST, "guest modules: %s", why);
	if (n)
		mon_log("passed %u module(s) to the guest", n);
}

/* The boot loader's modules as devices.c takes them (disk=modN, input=). */
static unsigned monitor_modules(const struct mb_info *mbi, struct mon_module *out, unsigned max)
{
	const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
	unsigned n = 0;

	for (; n < mbi->mods_count && n < max; n++)	/* bound: max modules */
		out[n] = (struct mon_module){ (uint8_t *)m[n].start, m[n].end - m[n].start };
	return n;
}

/* CR4 bits a guest may set: what this CPU has, of what the monitor
 * virtualizes.  Others raise #GP, as on a CPU without them. */
static uint32_t cr4_supported(void)
{
	uint32_t a, b, c, d, mask = CR4_PSE | CR4_PCE;

	cpuid(1, &a, &b, &c, &d);
	if (d & CPUID_DE)
		mask |= CR4_DE;
	if (d & CPUID_TSC)
		mask |= CR4_TSD;
	if (d & CPUID_MCE)
		mask |= CR4_MCE;
	if (d & CPUID_PGE)
		mask |= CR4_PGE;
	if (d & CPUID_FXSR)
		mask |= CR4_OSFXSR;
	if (d & CPUID_SSE)
		mask |= CR4_OSXMMEXCPT;
	/* VME and PVI: kept virtual (VME acts only in vm86, which the monitor
	 * never runs; PVI is emulated, emul.c).  Accepted whatever CPUID says,
	 * as QEMU accepts them for -cpu qemu32, whose CPUID lacks VME, and as
	 * every CPU since the Pentium has them. */
	mask |= CR4_VME | CR4_PVI;
	return mask;
}

void monitor_main(uint32_t magic, const struct mb_info *mbi)
{
	char err[OPTIONS_ERR_MAX];
	struct guest_boot boot;
	struct mon_module mods[MON_MOD_MAX + 1];

	if (magic != MB_BOOT_MAGIC)
		mon_panic("not started by a multiboot loader (eax=0x%x)", magic);
	const char *line = (mbi->flags & MBI_CMDLINE) ? str_or_empty(mbi->cmdline) : "";
	if (options_parse(line, &mon_opts, err, sizeof err) < 0)
		mon_refuse(MON_EXIT_BAD_OPTION, "%s", err);
	trace_traps_on = (mon_opts.trace & TRACE_TRAPS) != 0;
	if (!(mbi->flags & MBI_MODS) || mbi->mods_count == 0)
		mon_refuse(MON_EXIT_BAD_GUEST, "no guest: pass the guest kernel as the first module "
			   "(QEMU -initrd, GRUB 'module')");
	host_mem_init(host_ram_end(mbi), reserved_end(mbi));
	if (guest_mem_init(mon_opts.mem_mb) < 0)
		mon_refuse(MON_EXIT_BAD_OPTION, "mem=%u: not enough host RAM (%u MB free)",
			   mon_opts.mem_mb, frames_free_count(&host_frames) >> (20 - MON_PGSHIFT));
	load_guest((const struct mb_module *)mbi->mods_addr, &boot);
	load_guest_modules(mbi, &boot);
	switcher_init();
	mon_paging_init();
	switcher_load();
	host_cpu_probe();        /* before any interrupt: the IDT is loaded */
	host_hw_init();
	if (mon_opts.iflag == IFLAG_REAL && !host_nmi_watchdog_init()) {
		mon_log("no local APIC timer for the NMI watchdog: running with iflag=soft");
		mon_opts.iflag = IFLAG_SOFT;
	}
	devices_init(mods, monitor_modules(mbi, mods, MON_MOD_MAX + 1));
	cr4_guest_mask = cr4_supported();
	fault_init(&mon_opts);
	run_guest(boot.entry, boot.eax, boot.ebx);
}
