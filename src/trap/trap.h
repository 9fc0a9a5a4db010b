/*
 * trap.h - the dispatcher's entry points (called by the switcher).
 */
#ifndef TRAP_TRAP_H
#define TRAP_TRAP_H

#include "monitor/vcpu.h"

void guest_trap(struct trapframe *f);
void host_trap(struct trapframe *f);
/* The guest's frame as the CPU is to load it: in ring=3 the guest kernel's
 * CS and SS get RPL 3 (inside the monitor they carry RPL 1, as in ring=1). */
void guest_frame_to_cpu(struct trapframe *f);

#endif
