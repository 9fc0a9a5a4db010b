/*
 * cmdline.h - minios's kernel command line.
 *
 * The multiboot command line starts with the kernel's own path (GRUB and
 * QEMU -kernel both put it there); a first word containing '/' or ending in
 * ".elf" is taken to be that path and skipped.  The rest are options:
 *
 *   tests      run the test suite, print "N passed, N failed", exit 0 if all pass
 *   tests=LIST only these groups of it, a comma list of: exceptions, paging,
 *              interrupts, devices, descriptors, processes, user, churn
 *              or kernel (the first six: a short workload for fault-injection
 *              campaigns)
 *   bench      run the microbenchmarks, print "bench NAME CYCLES_PER_OP"
 *   demo       (default) start a few processes and show them being scheduled
 *   holes      run the x86 virtualization-holes suite (kernel/holes.c), same
 *              output and exit code as tests
 *   holes      run the x86 virtualization-holes suite
 *   attack=NAME  try one way out of a virtual machine (kernel/attack.c lists
 *              them); meant to be run under the monitor, which must stop it
 *   hz=N       timer frequency, 10..1000 (default 100)
 *
 * Anything else is refused with a one-line reason.
 */
#ifndef MINIOS_CMDLINE_H
#define MINIOS_CMDLINE_H

#include <stddef.h>

enum minios_mode { MODE_DEMO, MODE_TESTS, MODE_BENCH, MODE_HOLES, MODE_ATTACK };

struct minios_opts {
	enum minios_mode mode;
	unsigned hz;
	char attack[24];        /* MODE_ATTACK: which one (checked by the kernel) */
	unsigned groups;        /* MODE_TESTS: TG_* bits to run */
};

/* The groups of test mode, in the order they run. */
#define TG_EXCEPTIONS  0x01u
#define TG_PAGING      0x02u
#define TG_INTERRUPTS  0x04u
#define TG_DEVICES     0x08u
#define TG_DESCRIPTORS 0x10u
#define TG_PROCESSES   0x20u
#define TG_USER        0x40u
#define TG_CHURN       0x80u
#define TG_ALL         0xFFu
#define TG_KERNEL      0x3Fu   /* exceptions..processes: no user programs */

#define HZ_DEFAULT 100
#define HZ_MIN 10
#define HZ_MAX 1000

/* Returns 0 and fills *o, or -1 with a one-line reason in err. */
int cmdline_parse(const char *cmdline, struct minios_opts *o, char *err, size_t errlen);

#endif
