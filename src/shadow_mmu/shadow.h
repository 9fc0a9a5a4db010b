/*
 * shadow.h - the shadow MMU: the page tables the real CPU walks while the
 * guest runs, and the one way the monitor reads or writes guest memory by
 * guest-virtual address.
 *
 * The guest's own page tables are never loaded into CR3: they map guest-
 * virtual to guest-physical, and the guest-physical frames are not where
 * the guest thinks (p2m).  The shadow maps guest-virtual to host-physical
 * directly.  Strategy shadow=vtlb (vtlb.c): the shadow is a software TLB,
 * empty after every guest CR3 write and filled one 4 KB entry at a time on
 * the page faults the guest never sees (hidden faults).  The cached strategy
 * (next issue) will keep shadows per guest CR3 behind the same calls.
 */
#ifndef SHADOW_SHADOW_H
#define SHADOW_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include "monitor/vcpu.h"

enum shadow_result {
	SHADOW_FILLED,          /* hidden fault: the entry is there now, retry */
	SHADOW_GUEST_FAULT,     /* the guest's own tables refuse: reflect #PF */
	SHADOW_BAD_GPA,         /* the guest maps memory it does not have */
	SHADOW_SWITCHER,        /* the guest maps the switcher's 4 MB slot */
};

void shadow_init(void);
uint32_t shadow_root(void);             /* for the real CR3 */

/* The guest wrote CR3, or changed CR0.PG/WP or CR4.PSE/PGE. */
void shadow_flush(struct vcpu *v);
void shadow_invlpg(struct vcpu *v, uint32_t va);

/* A #PF the real CPU raised while the guest ran: hw_err is the real error
 * code.  On SHADOW_GUEST_FAULT *guest_err is the code to reflect; on
 * SHADOW_BAD_GPA *bad is the guest-physical address. */
enum shadow_result shadow_fault(struct vcpu *v, uint32_t va, uint32_t hw_err,
				uint32_t *guest_err, uint32_t *bad);

/* ---- guest memory by guest-virtual address (gva.c) ---- */

#define GVA_WRITE   0x1u
#define GVA_USER    0x2u        /* checked as CPL 3 */

enum gva_result { GVA_OK, GVA_PF, GVA_BAD_GPA };

struct gva_fault {
	uint32_t va;            /* GVA_PF: CR2 */
	uint32_t err;           /* GVA_PF: error code */
	uint32_t bad_gpa;       /* GVA_BAD_GPA */
};

/* Translate va as the guest's MMU would for this access (setting A/D). */
enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc,
			      uint32_t *gpa_out, struct gva_fault *f);
enum gva_result gva_read(struct vcpu *v, uint32_t va, void *buf, uint32_t n,
			 unsigned acc, struct gva_fault *f);
enum gva_result gva_write(struct vcpu *v, uint32_t va, const void *buf, uint32_t n,
			  unsigned acc, struct gva_fault *f);

/* The gwalk memory callbacks over guest RAM. */
extern const struct gwalk_mem guest_phys_words;

#endif
