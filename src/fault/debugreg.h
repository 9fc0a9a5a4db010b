/*
 * debugreg.h - the real debug registers, which the monitor owns.
 *
 * Mechanism: DR0-DR3 hold linear addresses, DR7 enables each one as an
 * instruction breakpoint (a fault: #DB before the instruction runs; the
 * CPU lets it run once resumed with EFLAGS.RF set) or a data watchpoint
 * (a trap: #DB after the access), DR6 says which fired (B0-B3) and is
 * never cleared by the CPU (trap.c reads and clears it for every #DB).  The guest's own debug registers are virtual
 * (struct vcpu dr[]): the real ones are loaded only while a fault
 * injection needs them, and every #DB they raise is the monitor's.
 *
 *   DR0  the EIP trigger (fault=... trigger=eip:VA:K)
 *   DR1  write watch on a flipped memory byte  } activation of mem:
 *   DR2  read/write watch on the same byte     }
 */
#ifndef FAULT_DEBUGREG_H
#define FAULT_DEBUGREG_H

#include <stdint.h>

enum dr_use { DR_EIP = 0, DR_WRITE_WATCH = 1, DR_RW_WATCH = 2, DR_COUNT = 4 };
enum dr_kind { DRK_EXEC = 0, DRK_WRITE = 1, DRK_RDWR = 3 };

#define DR6_B(n)   (1u << (n))     /* breakpoint n hit (DR6_B_MASK: any) */

/* Enable DRn at linear as a one-byte breakpoint/watch of the given kind. */
void dr_arm(unsigned n, uint32_t linear, enum dr_kind kind);
void dr_disarm(unsigned n);
/* Is DRn enabled by us? */
int dr_armed(unsigned n);

#endif
