/*
 * attack.h - attempts to escape a virtual machine (command line attack=NAME).
 */
#ifndef MINIOS_ATTACK_H
#define MINIOS_ATTACK_H

/* Runs the named attack.  If the machine lets the kernel go on, prints
 * what it observed and exits 0; an unknown name is refused with exit 2. */
void run_attack(const char *name) __attribute__((noreturn));

#endif
