/*
 * holes.h - the x86 virtualization-holes suite (command line word "holes").
 */
#ifndef MINIOS_HOLES_H
#define MINIOS_HOLES_H

/* Runs one check per observable of each sensitive-but-unprivileged
 * instruction group, prints "N passed, N failed" and ends the run: exit
 * code 0 only if every check passed (always, on bare hardware). */
void run_holes(void) __attribute__((noreturn));

#endif
