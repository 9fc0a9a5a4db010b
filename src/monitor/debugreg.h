/*
 * debugreg.h - the real debug registers, which the monitor owns and lends
 * to the guest.
 *
 * Mechanism: DR0-DR3 hold linear addresses, DR7 enables each one as an
 * instruction breakpoint (a fault: #DB before the instruction runs; the
 * CPU lets it run once resumed with EFLAGS.RF set) or a data watchpoint
 * (a trap: #DB after the access), DR6 says which fired (B0-B3) and is
 * never cleared by the CPU (trap.c reads and clears it for every #DB).
 *
 * Two users.  The monitor's own (fault injection) take fixed registers
 * while a fault needs them:
 *
 *   DR0  the EIP trigger (fault=... trigger=eip:VA:K)
 *   DR1  write watch on a flipped memory byte  } activation of mem:
 *   DR2  read/write watch on the same byte     }
 *
 * The guest's (its DR0-DR3 and DR7, kept in struct vcpu dr[], what MOV
 * from DR reads) are loaded into every real register the monitor is not
 * using, except an address in the switcher's slot, which no guest can map
 * (dr_guest_load).  They must never fire on the monitor's own accesses: the
 * switcher loads the real DR7 with the monitor's enables only (dr7_monitor)
 * as soon as it enters the monitor, and with the guest's too (dr7_guest)
 * just before it returns, both in its own code and pages, at addresses no
 * guest breakpoint can name.  Every #DB the guest's raise while the guest
 * runs is the guest's.
 */
#ifndef MONITOR_DEBUGREG_H
#define MONITOR_DEBUGREG_H

#include <stdint.h>

enum dr_use { DR_EIP = 0, DR_WRITE_WATCH = 1, DR_RW_WATCH = 2, DR_COUNT = 4 };
enum dr_kind { DRK_EXEC = 0, DRK_WRITE = 1, DRK_RDWR = 3 };

#define DR6_B(n)   (1u << (n))     /* breakpoint n hit (DR6_B_MASK: any) */

/* Enable DRn at linear as a one-byte breakpoint/watch of the given kind
 * (the monitor's: the guest's DRn, if any, is not loaded meanwhile). */
void dr_arm(unsigned n, uint32_t linear, enum dr_kind kind);
void dr_disarm(unsigned n);
/* Is DRn enabled by us? */
int dr_armed(unsigned n);

/* The guest's debug registers changed (dr: its DR0-DR7): reload the real
 * ones it may have. */
void dr_guest_load(const uint32_t dr[8]);
/* The DR6 hit bits (B0-B3) that belong to the guest's breakpoints. */
uint32_t dr_guest_hits(uint32_t dr6);
/* The guest wrote val to DR6: what DR6 reads back on this CPU (the real
 * DR6 keeps its fixed bits as the CPU does: bit 12 reads 1 on QEMU's, 0
 * on Bochs's).  The real DR6 is DR6_FIXED1 again afterwards, as trap.c
 * keeps it between #DBs. */
uint32_t dr6_store(uint32_t val);
/* The real DR7 while the monitor runs, and while the guest runs. */
uint32_t dr7_monitor(void);
uint32_t dr7_guest(void);

#endif
