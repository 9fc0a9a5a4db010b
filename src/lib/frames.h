/*
 * frames.h - the physical frame allocator with reference counts.
 *
 * Frames are 4 KB.  A frame shared copy-on-write by several address spaces
 * has one reference per mapping; it returns to the free stack when the last
 * one is dropped.  The pool knows nothing about paging: it hands out frame
 * numbers, which is what lets the host unit tests run it over plain arrays.
 */
#ifndef MINIOS_FRAMES_H
#define MINIOS_FRAMES_H

#include <stdint.h>

struct frame_pool {
	uint32_t first;     /* first frame number managed */
	uint32_t count;     /* number of frames managed */
	uint16_t *ref;      /* ref[pfn - first] */
	uint32_t *stack;    /* free frame numbers; stack[0..top) */
	uint32_t top;
};

#define FRAME_NONE 0xFFFFFFFFu
#define FRAME_REF_MAX 0xFFFFu

/* The pool manages frames [first, first+count); ref and stack arrays must
 * each hold count entries.  All frames start free. */
void frames_init(struct frame_pool *p, uint32_t first, uint32_t count,
		 uint16_t *ref, uint32_t *stack);
uint32_t frames_alloc(struct frame_pool *p);        /* ref = 1, or FRAME_NONE */
int frames_ref(struct frame_pool *p, uint32_t pfn);    /* one more mapping; -1 if
                                                          * not allocated or saturated */
int frames_unref(struct frame_pool *p, uint32_t pfn);  /* returns refs left */
uint32_t frames_refcount(const struct frame_pool *p, uint32_t pfn);
uint32_t frames_free_count(const struct frame_pool *p);
int frames_owns(const struct frame_pool *p, uint32_t pfn);

#endif
