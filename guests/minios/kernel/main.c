/*
 * main.c - from the multiboot handoff to the first process.
 *
 * Order matters: the console first (so every later failure can be told),
 * then the command line (a bad option ends the run before anything else),
 * our own GDT and IDT (the loader's are not ours to keep), memory and the
 * kernel page directory, the PIC and PIT, and finally the init kernel
 * thread, which runs the chosen mode while the boot stack becomes the
 * scheduler's.
 */
#include "types.h"
#include "x86.h"
#include "mmu.h"
#include "lib/multiboot.h"
#include "console.h"
#include "gdt.h"
#include "trap.h"
#include "vm.h"
#include "pic.h"
#include "proc.h"
#include "intr.h"
#include "ktest.h"
#include "attack.h"
#include "holes.h"
#include "../lib/cmdline.h"
#include "lib/mmap.h"
#include "lib/fmt.h"

extern u8 kernel_end[];
static struct minios_opts opts;
static char cmdline[256];

static u32 ram_end(const struct mb_info *mbi)
{
	u64 top = 0;

	if (mbi->flags & MBI_MMAP)
		top = mmap_ram_top(P2V(mbi->mmap_addr), mbi->mmap_length);
	if (top == 0 && (mbi->flags & MBI_MEM))
		top = 0x100000ull + (u64)mbi->mem_upper * 1024;
	if (top == 0)
		panic("the loader passed no memory size");
	if (top > DIRECTMAP_MAX)
		top = DIRECTMAP_MAX;
	return (u32)top & ~(PGSIZE - 1);
}

static void parse_options(const struct mb_info *mbi)
{
	char err[128];

	if (mbi->flags & MBI_CMDLINE)
		fmt_snprintf(cmdline, sizeof cmdline, "%s", (const char *)P2V(mbi->cmdline));
	if (cmdline_parse(cmdline, &opts, err, sizeof err) < 0) {
		kprintf("minios: command line refused: %s\n", err);
		machine_exit(EXIT_BADOPT);
	}
}

/* minios uses no modules; it says what it was given, so a loader's
 * module passing can be checked against another's. */
static void report_modules(const struct mb_info *mbi)
{
	if (!(mbi->flags & MBI_MODS) || mbi->mods_count == 0)
		return;
	const struct mb_module *m = P2V(mbi->mods_addr);
	const u8 *data = P2V(m->start);
	kprintf("minios: %u module(s); the first is '%s', %u bytes, starting 0x%x\n",
		mbi->mods_count, m->string ? (const char *)P2V(m->string) : "",
		m->end - m->start, m->end > m->start ? data[0] : 0);
}

static void check_cpu(void)
{
	u32 a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID_PSE))
		panic("this CPU has no 4 MB pages (CPUID.PSE); minios needs them");
}

static void init_main(void)
{
	switch (opts.mode) {
	case MODE_TESTS:
		run_tests(opts.groups);
		break;
	case MODE_BENCH:
		run_bench();
		break;
	case MODE_DEMO:
		run_demo();
		break;
	case MODE_HOLES:
		run_holes();
		break;
	case MODE_ATTACK:
		run_attack(opts.attack);
		break;
	}
}

void kmain(u32 magic, u32 mbi_pa)
{
	const struct mb_info *mbi = P2V(mbi_pa);

	uart_init();
	if (magic != MB_BOOT_MAGIC)
		panic("not started by a multiboot loader (eax=0x%x)", magic);
	parse_options(mbi);
	report_modules(mbi);
	check_cpu();
	gdt_init();
	trap_init();
	u32 top = ram_end(mbi);
	mem_init(top, V2P(kernel_end));   /* the loader's data is no longer needed */
	kvm_init();
	pic_init();
	pit_init(opts.hz);
	proc_init();
	kthread_create("init", init_main);
	scheduler();
}
