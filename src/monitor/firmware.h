/*
 * firmware.h - what a PC BIOS leaves in low memory for the kernel it boots:
 * the BIOS data area, the extended BIOS data area, and the MultiProcessor
 * Specification (1.4) tables.
 *
 * Mechanism (real hardware): after POST the BIOS keeps its data area at
 * 0x400-0x4FF (I/O port bases of the serial ports, the equipment word, the
 * base memory size in KB at 0x413, the segment of the extended BIOS data
 * area at 0x40E, the video mode ...), the EBDA just below 640 KB, and, on
 * a machine with APICs, an MP floating pointer structure ("_MP_", 16 bytes,
 * on a 16-byte boundary in the first KB of the EBDA, the last KB of base
 * memory, or the BIOS ROM 0xF0000-0xFFFFF) that points to the MP
 * configuration table ("PCMP": a header with the local APIC's address,
 * then one entry per processor, bus, I/O APIC, I/O interrupt assignment and
 * local interrupt assignment).  Each structure's bytes sum to 0 mod 256.
 * Kernels (xv6's mp.c, Linux) scan for the floating pointer and read the
 * table to find the CPUs and the I/O APIC; xv6 panics without it.
 *
 * What this file builds, as QEMU's SeaBIOS does (src/fw/mptable.c):
 *   BDA     COM1 at 0x3F8; equipment word (one serial port, 80x25 colour);
 *           base memory 639 KB; EBDA segment 0x9FC0; video mode 3, 80
 *           columns, 25 rows, CRTC at 0x3D4; the rest 0
 *   EBDA    1 KB at 0x9FC00, its first byte the size in KB (1), the rest 0
 *   MP      floating pointer at 0xF0000 (spec 1.4, no IMCR, table present)
 *           and the configuration table after it (spec 1.4, OEM "BOCHSCPU",
 *           product "0.1"): one processor (APIC ID 0, the local APIC
 *           model's version, enabled, bootstrap; CPUID signature and
 *           features), the ISA bus (ID 0), one I/O APIC (ID 0, the model's
 *           version, enabled, at 0xFEC00000), I/O interrupt entries for ISA
 *           IRQs 0-15 to the same I/O APIC pins except IRQ 0 on pin 2 (the
 *           PIT's interrupt source override) and no entry for IRQ 2, then
 *           ExtINT on LINT0 of APIC 0 and NMI on LINT1 of every APIC.
 * The BIOS ROM area 0xF0000-0xFFFFF is zero besides the tables.  The
 * loader (loader.c) writes all of it for every guest and marks the EBDA and
 * 0xA0000-0xFFFFF reserved in the multiboot memory map; the BDA stays in
 * available memory, as on QEMU (kernels know where it is).
 *
 * Where it differs from SeaBIOS: no PCI bus and no PCI interrupt entries
 * (this machine has no PCI), so ISA IRQs 5, 9, 10 and 11, which SeaBIOS
 * leaves to PCI, are listed as ISA lines like the others; the I/O APIC
 * entry gives the model's version (0x20) where SeaBIOS writes 0x11.
 * Without a CPUID signature (0) the processor entry gets SeaBIOS's own
 * defaults (0x600, features 0x201).
 */
#ifndef MON_FIRMWARE_H
#define MON_FIRMWARE_H

#include <stdint.h>
#include "loader.h"

/* Where the pieces go (guest-physical). */
#define FW_BDA_GPA        0x00000400u
#define FW_BDA_SIZE       0x100u
#define FW_EBDA_GPA       0x0009FC00u
#define FW_EBDA_SIZE      0x400u
#define FW_ROM_GPA        0x000F0000u   /* BIOS ROM area: tables, else zero */
#define FW_ROM_SIZE       0x10000u
#define FW_MP_GPA         FW_ROM_GPA    /* floating pointer */
#define FW_MP_FLOATING_SIZE 16u
#define FW_MPC_GPA        (FW_MP_GPA + FW_MP_FLOATING_SIZE)    /* config table */
#define FW_MPC_MAX        512u          /* room the builder may use */

/* BDA offsets (from 0x400) and values. */
#define BDA_COM1          0x00
#define BDA_EBDA_SEG      0x0E
#define BDA_EQUIPMENT     0x10
#define BDA_BASE_MEM_KB   0x13
#define BDA_VIDEO_MODE    0x49
#define BDA_VIDEO_COLS    0x4A
#define BDA_CRTC_PORT     0x63
#define BDA_VIDEO_ROWS    0x84          /* rows - 1 */
#define EQUIP_SERIAL_SHIFT 9
#define EQUIP_VIDEO_80X25_COLOR 0x20

/* MP table entry types. */
#define MP_PROC           0
#define MP_BUS            1
#define MP_IOAPIC         2
#define MP_IOINTR         3
#define MP_LINTR          4
#define MP_PROC_SIZE      20u
#define MP_ENTRY_SIZE     8u            /* every other type */
#define MP_HEADER_SIZE    44u
#define MP_SPEC_REV       4             /* MP spec 1.4 */
#define MP_CPU_ENABLED    0x01
#define MP_CPU_BSP        0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_INT            0             /* vectored interrupt */
#define MP_NMI            1
#define MP_EXTINT         3
#define MP_ALL_APICS      0xFF

/* The machine the tables describe. */
struct fw_machine {
	uint8_t cpu_apic_id, lapic_version;
	uint32_t cpu_signature, cpu_features;   /* CPUID.1 EAX and EDX, or 0 */
	uint8_t ioapic_id, ioapic_version;
	uint32_t lapic_addr, ioapic_addr;
	uint8_t isa_bus_id;
	uint32_t base_mem_kb;
};

/* The monitor's machine: APIC IDs and versions of the virtual local APIC
 * and I/O APIC models, their addresses, 639 KB of base memory. */
void fw_default_machine(struct fw_machine *m);

/* Sum of n bytes, mod 256 (0 for a valid MP structure). */
uint8_t fw_checksum(const uint8_t *p, uint32_t n);
/* Builds the configuration table in buf; returns its length, or 0 if cap
 * is too small. */
uint32_t fw_build_mp_config(uint8_t *buf, uint32_t cap, const struct fw_machine *m);
/* Builds the floating pointer that points at config_gpa. */
void fw_build_mp_floating(uint8_t fp[FW_MP_FLOATING_SIZE], uint32_t config_gpa);
/* Builds the BIOS data area. */
void fw_build_bda(uint8_t bda[FW_BDA_SIZE], const struct fw_machine *m);

/* Writes the BDA, the EBDA and the BIOS ROM area with the MP tables into
 * guest memory (which must reach past FW_ROM_GPA + FW_ROM_SIZE). */
void firmware_write(const struct guest_phys *gp, const struct fw_machine *m);

#endif
