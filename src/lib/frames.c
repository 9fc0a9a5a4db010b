/*
 * frames.c - a stack of free frame numbers plus a reference count per frame.
 *
 * Allocation and release are O(1).  Misuse (unref of a free frame, ref of a
 * frame the pool does not own) is a kernel bug; it is reported by returning
 * -1 so the caller can panic with context rather than corrupting the pool.
 */
#include "frames.h"

void frames_init(struct frame_pool *p, uint32_t first, uint32_t count,
		 uint16_t *ref, uint32_t *stack)
{
	p->first = first;
	p->count = count;
	p->ref = ref;
	p->stack = stack;
	p->top = 0;
	/* Push high frames first so allocation starts at the lowest address. */
	for (uint32_t i = count; i > 0; i--) {	/* bound: count frames */
		ref[i - 1] = 0;
		stack[p->top++] = first + i - 1;
	}
}

int frames_owns(const struct frame_pool *p, uint32_t pfn)
{
	return pfn >= p->first && pfn - p->first < p->count;
}

uint32_t frames_alloc(struct frame_pool *p)
{
	if (p->top == 0)
		return FRAME_NONE;
	uint32_t pfn = p->stack[--p->top];
	p->ref[pfn - p->first] = 1;
	return pfn;
}

int frames_ref(struct frame_pool *p, uint32_t pfn)
{
	if (!frames_owns(p, pfn) || p->ref[pfn - p->first] == 0 ||
	    p->ref[pfn - p->first] == FRAME_REF_MAX)
		return -1;
	p->ref[pfn - p->first]++;
	return 0;
}

int frames_unref(struct frame_pool *p, uint32_t pfn)
{
	if (!frames_owns(p, pfn) || p->ref[pfn - p->first] == 0)
		return -1;
	uint16_t left = --p->ref[pfn - p->first];
	if (left == 0)
		p->stack[p->top++] = pfn;
	return left;
}

uint32_t frames_refcount(const struct frame_pool *p, uint32_t pfn)
{
	return frames_owns(p, pfn) ? p->ref[pfn - p->first] : 0;
}

uint32_t frames_free_count(const struct frame_pool *p)
{
	return p->top;
}
