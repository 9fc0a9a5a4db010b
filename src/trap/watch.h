/*
 * watch.h - guest structures the CPU reads from memory, followed as the
 * guest writes them (watch.c).
 *
 * The GDT, the LDT, the IDT and the TSS are read by the CPU when it needs
 * them, from guest memory; the monitor keeps copies (validated descriptors,
 * direct gates, the ring-1 stack), which must follow the guest's writes.
 * A struct watch names a guest-virtual range; the frames under it are
 * watched by the shadow MMU (shadow_watch: never writable, every write
 * emulated), and the owner hears of each write inside the range.
 */
#ifndef TRAP_WATCH_H
#define TRAP_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include "monitor/vcpu.h"

#define WATCH_PAGES 17u             /* 64 KB, not page-aligned */
#define WATCH_RELEASE_AFTER 64u     /* writes beside the range, none in it */

struct watch_page {
	uint32_t va;            /* its guest-virtual address */
	uint32_t gfn;           /* its guest frame, or WATCH_NO_FRAME */
	uint32_t misses;        /* writes beside the range in a row */
};

#define WATCH_NO_FRAME 0xFFFFFFFFu

struct watch {
	const char *name;
	/* bytes [off, off+n) of the range were written by the guest */
	void (*wrote)(struct vcpu *v, void *ctx, uint32_t off, uint32_t n);
	/* a page of the range is no longer watched (see watch.c) */
	void (*lost)(struct vcpu *v, void *ctx);
	void *ctx;
	uint32_t base, len;     /* guest-virtual; len 0: nothing watched */
	struct watch_page page[WATCH_PAGES];
	uint32_t npages;
	uint32_t missing;       /* pages of the range not watched (no frame) */
	uint32_t busy_gfn;      /* a frame let go for writes beside the range */
	bool registered;
};

/* Watch [base, base+len) (len <= 64 KB + a page) instead of what w watched
 * before; len 0 stops.  Pages not mapped now are not watched. */
void watch_set(struct vcpu *v, struct watch *w, uint32_t base, uint32_t len);
/* Is guest frame gpa's under w, and under no other watch?  (The
 * switcher's TSS.ESP0 fast path writes it behind the watch's back, for
 * w's owner alone: trap/fastesp0.c.) */
bool watch_sole(const struct watch *w, uint32_t gpa);
/* The guest wrote inside w's range on gpa's frame, and the owner already
 * knows what: only the release heuristic's count starts again. */
void watch_hit(struct watch *w, uint32_t gpa);
/* Does w still watch all of its range?  (Asked before every resume,
 * vidt.c: a count kept where pages come and go, not a scan.) */
static inline bool watch_complete(const struct watch *w)
{
	return w->missing == 0;
}

#endif
