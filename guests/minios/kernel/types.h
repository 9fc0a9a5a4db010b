/*
 * types.h - fixed-width integer names for the freestanding kernel.
 * The pure modules in ../lib use <stdint.h> instead so they build on the host.
 */
#ifndef MINIOS_TYPES_H
#define MINIOS_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t i32;

#endif
