/*
 * trap.h - the dispatcher's entry points (called by the switcher).
 */
#ifndef TRAP_TRAP_H
#define TRAP_TRAP_H

#include "monitor/vcpu.h"

void guest_trap(struct trapframe *f);
void host_trap(struct trapframe *f);

#endif
