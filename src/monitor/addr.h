/*
 * addr.h - the three kinds of address a monitor juggles, as distinct types.
 *
 *   gva_t  guest-virtual:  what guest code uses; translated by the guest's
 *          page tables (or is equal to gpa_t while the guest's paging is off)
 *   gpa_t  guest-physical: what the guest believes is RAM; the p2m table
 *          maps each 4 KB guest frame to a host frame
 *   hpa_t  host-physical:  real RAM of the machine the monitor runs on
 *
 * Each is a one-field struct (the Hafnium model), so passing a guest
 * address where a host address is expected is a compile error, not a bug
 * that corrupts memory at run time.
 */
#ifndef MON_ADDR_H
#define MON_ADDR_H

#include <stdint.h>

typedef struct { uint32_t v; } gva_t;
typedef struct { uint32_t v; } gpa_t;
typedef struct { uint32_t v; } hpa_t;

static inline gva_t gva(uint32_t v) { return (gva_t){ v }; }
static inline gpa_t gpa(uint32_t v) { return (gpa_t){ v }; }
static inline hpa_t hpa(uint32_t v) { return (hpa_t){ v }; }

#define MON_PGSIZE  4096u
#define MON_PGSHIFT 12

#endif
