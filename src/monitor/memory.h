/*
 * memory.h - host frames, and guest-physical memory through the p2m table.
 */
#ifndef MON_MEMORY_H
#define MON_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include "addr.h"
#include "lib/frames.h"

extern struct frame_pool host_frames;

/* The guest's RAM: guest frame n lives in host frame p2m[n]. */
struct guest_mem {
	uint32_t nframes;
	uint32_t *p2m;          /* host frame numbers */
};

extern struct guest_mem guest_mem;

void host_mem_init(uint32_t ram_end, uint32_t reserved_end);
void *host_frame_zeroed(void);         /* a zeroed host frame, or NULL */
void *host_frame_alloc(void);          /* one of whatever it held, or NULL */
void host_frame_free(void *frame);      /* drop a reference to a host frame */

/*
 * Host-physical address <-> pointer.  The monitor runs identity-mapped, so
 * both are casts; the shadow MMU's host unit test (MON_HOST_TEST) builds
 * the same code over a 64-bit process's arena and supplies its own.  Page
 * table entries hold host-physical addresses, the code walks them through
 * host_va().
 */
#ifdef MON_HOST_TEST
void *host_va(uint32_t pa);
uint32_t host_pa(const void *p);
#else
static inline void *host_va(uint32_t pa) { return (void *)pa; }
static inline uint32_t host_pa(const void *p) { return (uint32_t)p; }
#endif
int guest_mem_init(uint32_t mb);        /* 0, or -1 if host RAM is short */

/* The one way the monitor touches guest-physical memory: bounds-checked,
 * page by page through the p2m.  Return 0, or -1 if [g, g+n) is not RAM. */
int gpa_write(gpa_t g, const void *src, uint32_t n);
int gpa_read(gpa_t g, void *dst, uint32_t n);
int gpa_to_hpa(gpa_t g, hpa_t *out);

/* gpa_to_hpa() inline, as a pointer: where guest-physical g is in the
 * monitor's view, or NULL if it is not RAM (the hot paths: page walks). */
static inline void *gpa_host(uint32_t g)
{
	uint32_t gfn = g >> MON_PGSHIFT;

	if (gfn >= guest_mem.nframes)
		return 0;
	return host_va((guest_mem.p2m[gfn] << MON_PGSHIFT) | (g & (MON_PGSIZE - 1)));
}

/* Guest-physical ranges that are device registers (MMIO), not RAM: never
 * mapped in a shadow, so every access faults and is emulated.  Registered
 * by the devices at start, after guest_mem_init(), above guest RAM (a
 * range that starts in RAM is refused: so an address in RAM is never a
 * device's, which the shadow's fill takes for granted); at most
 * GPA_MMIO_MAX.  A one-page range may
 * have a read image: a host frame the device keeps equal to what reads of
 * its registers return; the shadow then maps it read-only, so reads run
 * at native speed and only writes fault (the local APIC, whose ID xv6
 * reads on every lock). */
#define GPA_MMIO_MAX 8
int gpa_mmio_add(uint32_t base, uint32_t size, void *image);   /* 0, or -1 if full */
bool gpa_is_mmio(uint32_t g);
void *gpa_mmio_image(uint32_t g);      /* the read image of g's page, or NULL */

#endif
