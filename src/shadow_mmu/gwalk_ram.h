/*
 * gwalk_ram.h - gwalk() over guest RAM, inline: the monitor's own walks of
 * the guest's page tables (a hidden fault's, gva.c's).
 *
 * gwalk() reaches guest-physical memory through callbacks, so that its
 * host unit test can give it a fake one.  Here the callbacks are guest
 * RAM's, known at compile time, and inlined with gwalk_inline(): each
 * entry the walk reads or sets A/D in is one load through the p2m.
 */
#ifndef SHADOW_GWALK_RAM_H
#define SHADOW_GWALK_RAM_H

#include "gwalk.h"
#include "monitor/memory.h"

/* A guest page-table entry, in place: an aligned word of guest RAM (every
 * entry gwalk() reads or sets A/D in), or NULL for anything else, which
 * goes the general way (gpa_read/gpa_write: a byte copy). */
static inline uint32_t *entry_at(uint32_t g)
{
	return (g & 3) ? 0 : gpa_host(g);
}

static inline int word_read(void *ctx, uint32_t g, uint32_t *val)
{
	uint32_t *e = entry_at(g);

	(void)ctx;
	if (!e)
		return gpa_read(gpa(g), val, 4);
	*val = *e;
	return 0;
}

static inline int word_write(void *ctx, uint32_t g, uint32_t val)
{
	uint32_t *e = entry_at(g);

	(void)ctx;
	if (!e)
		return gpa_write(gpa(g), &val, 4);
	*e = val;
	return 0;
}

static const struct gwalk_mem ram_words = { word_read, word_write, 0 };

static inline __attribute__((always_inline))
enum gwalk_result gwalk_guest(const struct gwalk_req *req, struct gwalk_res *res)
{
	return gwalk_inline(&ram_words, req, res);
}

#endif
