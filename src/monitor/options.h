/*
 * options.h - the monitor's command line (its own multiboot command line).
 *
 *   mem=N          guest RAM in MB, 4..1024 (default 64)
 *   ring=1|3       ring the guest kernel runs in (default 1; 3: kernel and user
 *                  both in ring 3, docs/ring-compression.md)
 *   shadow=cached|vtlb  shadow paging strategy (default cached; see
 *                  docs/shadow-paging.md)
 *   shadow_cache=N shadow page directories kept by shadow=cached, one per
 *                  guest CR3 (in ring=3 two: its kernel and user views),
 *                  1..128 (default 64); least recently used goes
 *   trace=LIST     comma-separated: traps, mmu, io, all, none (default none)
 *   stats=on|off   print the trap/emulation table when the guest ends (default on)
 *   iflag=real|soft  how the guest's EFLAGS.IF is kept (docs/x86-holes.md):
 *                  real (default): the real IF follows the virtual one while
 *                  the guest runs, so PUSHF reads it right, and an NMI
 *                  watchdog keeps control; soft: the real IF stays 1 and
 *                  PUSHF shows it (the classic hole)
 *   userret=lazy|trap  does the guest kernel's return to user mode trap:
 *                  lazy (default): only when it must change the virtual IF
 *                  or IOPL as the monitor last saw them (an IRET that raises
 *                  IOPL for user code with interrupts on is then not seen);
 *                  trap: always (exact, a trap per return)
 *   ifwatch=N      seconds of virtual time a guest may run with interrupts
 *                  disabled before it is ended (either iflag=; with real
 *                  the NMI watchdog is what gets the monitor in), 1..3600
 *                  (default 5)
 *   disk0=HD, disk1=HD  what backs the guest's IDE primary master (disk0)
 *                  and slave (disk1): hd0 or hd1, the monitor's own IDE disk
 *                  (primary master / slave of the machine it runs on; QEMU
 *                  -drive file=IMG,index=0|1,media=disk,format=raw), reached
 *                  through the monitor's driver (hostdisk.c), so what the
 *                  guest writes lands in IMG; or none (default: the guest's
 *                  channel has no drive).  One host disk backs at most one
 *                  guest disk.  xv6: disk1=hd1 (see docs/xv6.md).  Or modN
 *                  (N from 1): the monitor's module N (QEMU -initrd
 *                  "GUEST,IMAGE", GRUB's second 'module' line) as a disk in
 *                  RAM: the guest reads and writes that copy only, so every
 *                  run starts from the same image and no host disk's timing
 *                  enters the run (fault-injection campaigns need that)
 *   input=modN     the monitor's module N is a script of lines typed at the
 *                  guest's console, one line each time the guest prints its
 *                  shell prompt "$ " (docs/fault-injection.md, xv6 as a
 *                  workload); the prompt after the last line ends the run
 *                  (exit 0x76, as Ctrl-] does).  Keyed to what the guest
 *                  prints, not to host time: a run repeats exactly
 *   fault=TARGET   inject one fault (src/fault/spec.h lists the targets;
 *   trigger=WHEN   docs/fault-injection.md): what, when, and for how long
 *   persist=P      (once, N traps stuck-at, forever)
 *   watchdog=MS    end the run (exit 0x75, one line) if the guest has not
 *                  exited after MS milliseconds of virtual time, 1..3600000
 *
 * As in minios, a first word that is a path (contains '/' or ends in .elf)
 * is the monitor's own file name and is skipped.  Anything else is refused
 * with a one-line reason: a VMM that silently ignores an option leaves its
 * user measuring something other than what they asked for.
 */
#ifndef MON_OPTIONS_H
#define MON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "fault/spec.h"

#define TRACE_TRAPS 0x1u
#define TRACE_MMU   0x2u
#define TRACE_IO    0x4u
#define TRACE_ALL   (TRACE_TRAPS | TRACE_MMU | TRACE_IO)

enum shadow_kind { SHADOW_CACHED, SHADOW_VTLB };
enum iflag_kind { IFLAG_REAL, IFLAG_SOFT };

#define GUEST_DISKS 2           /* IDE primary master, slave */
enum disk_backing { DISK_NONE, DISK_HD0, DISK_HD1, DISK_MOD };
/* Monitor modules the options may name: 0 is the guest, so modN is 1..7
 * (QEMU's and GRUB's module table; loader.h keeps the guest's at 8). */
#define MON_MOD_MAX 7u

struct mon_options {
	unsigned mem_mb;
	unsigned ring;
	enum shadow_kind shadow;
	unsigned shadow_cache;  /* shadow=cached: directories kept */
	unsigned trace;         /* TRACE_* bits */
	int stats;
	enum iflag_kind iflag;
	unsigned ifwatch_s;     /* seconds with IF clear before the guest ends */
	bool userret_trap;      /* userret=trap */
	enum disk_backing disk[GUEST_DISKS];    /* disk0=, disk1= */
	unsigned disk_mod[GUEST_DISKS];         /* DISK_MOD: which module */
	unsigned input_mod;                     /* input=modN; 0: none */
	struct fault_spec fault;        /* target FT_NONE: no fault */
	unsigned watchdog_ms;           /* 0: none */
};

#define SHADOW_CACHE_DEFAULT 64
#define SHADOW_CACHE_MAX 128
#define IFWATCH_DEFAULT_S 5
#define IFWATCH_MAX_S 3600
#define MEM_MB_DEFAULT 64
#define MEM_MB_MIN 4
#define MEM_MB_MAX 1024
#define WATCHDOG_MS_MAX 3600000u

/* Room for any reason options_parse gives (the longest: an unknown option
 * and the list of the known ones). */
#define OPTIONS_ERR_MAX 200

/* Returns 0 and fills *o, or -1 with a one-line reason in err. */
int options_parse(const char *line, struct mon_options *o, char *err, size_t errlen);

#endif
