/*
 * memory.h - host frames, and guest-physical memory through the p2m table.
 */
#ifndef MON_MEMORY_H
#define MON_MEMORY_H

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
int guest_mem_init(uint32_t mb);        /* 0, or -1 if host RAM is short */

/* The one way the monitor touches guest-physical memory: bounds-checked,
 * page by page through the p2m.  Return 0, or -1 if [g, g+n) is not RAM. */
int gpa_write(gpa_t g, const void *src, uint32_t n);
int gpa_read(gpa_t g, void *dst, uint32_t n);
int gpa_to_hpa(gpa_t g, hpa_t *out);

#endif
