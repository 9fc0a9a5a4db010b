/*
 * paging.h - the monitor's own page directory (see paging.c).
 */
#ifndef MON_PAGING_H
#define MON_PAGING_H

#include <stdint.h>

extern uint32_t host_cpuid1_edx;        /* CPUID.1:EDX of the real CPU */

void mon_paging_init(void);

#endif
