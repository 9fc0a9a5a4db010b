/*
 * paging.c - the monitor's own address space.
 *
 * Mechanism: with CR0.PG set, every linear address goes through the page
 * directory CR3 names.  The monitor's directory maps the first 4092 MB
 * identity with 4 MB pages (CR4.PSE), so a host-physical address is also
 * the monitor's pointer to it, and slot SWITCHER_PDX holds the switcher's
 * page table (monitor view).  The guest never runs on this directory.
 *
 * CR0.WP is set here and never cleared: it is what makes the switcher's
 * read-only pages read-only to the guest kernel in ring 1 (a supervisor
 * ring, to which the U/S bit gives no protection).
 */
#include "paging.h"
#include "layout.h"
#include "monitor.h"
#include "x86.h"
#include "trap/switcher.h"

static uint32_t mon_pgdir[1024] __attribute__((aligned(4096)));

uint32_t host_cpuid1_edx;

void mon_paging_init(void)
{
	uint32_t a, b, c;

	cpuid(1, &a, &b, &c, &host_cpuid1_edx);
	if (!(host_cpuid1_edx & CPUID_PSE))
		mon_panic("this CPU has no 4 MB pages (CPUID.PSE); the monitor needs them");
	for (uint32_t i = 0; i < SWITCHER_PDX; i++)	/* bound: SWITCHER_PDX directory entries */
		mon_pgdir[i] = (i << 22) | PTE_P | PTE_W | PTE_PS;
	mon_pgdir[SWITCHER_PDX] = (uint32_t)sw_pt_mon | PTE_P | PTE_W;
	lcr4(rcr4() | CR4_PSE);
	lcr3((uint32_t)mon_pgdir);
	lcr0(rcr0() | CR0_PG | CR0_WP);
	sw_data->mon_cr3 = (uint32_t)mon_pgdir;
}
