/*
 * layout.h - where the switcher lives, and the monitor's own descriptors.
 *
 * Mechanism: a trap takes the CPU to the gate the IDT names, on the stack
 * the TSS names, through the GDT; all three are found by *linear* address,
 * in whatever address space is loaded at the time: the guest's.  So the
 * IDT, GDT, TSS, the trap stubs and a ring-0 stack must be mapped in every
 * guest address space.  They live in one 4 MB slot at the top of the
 * linear space, the switcher (DESIGN.md section 3), mapped at the same
 * address in the monitor's own address space so the code keeps running
 * while CR3 changes under it.  In the guest's view every switcher page is
 * read-only (CR0.WP is always set in the real CR0) except the vCPU page
 * the CPU pushes trap frames on.
 *
 *   SWITCHER_BASE + 0x0000  GDT: guest descriptors (validated), then ours  RO
 *                 + 0x1000  IDT (256 gates), TSS at +0x1800, data +0x1C00  RO
 *                 + 0x2000  LDT: the guest's, validated                    RO
 *                 + 0x3000  code: stubs, entry and exit (2 pages)          RO
 *                 + 0x5000  vCPU page: ring-0 stack, trap frame at top     RW
 *
 * Every switcher address is derived from SWITCHER_BASE, so the switcher can
 * move should a guest need the top 4 MB.
 */
#ifndef MON_LAYOUT_H
#define MON_LAYOUT_H

#define SWITCHER_BASE   0xFFC00000u
#define SWITCHER_PDX    (SWITCHER_BASE >> 22)

#define SW_GDT_OFF      0x0000u
#define SW_IDT_OFF      0x1000u
#define SW_TSS_OFF      0x1800u
#define SW_DATA_OFF     0x1C00u
#define SW_LDT_OFF      0x2000u
#define SW_CODE_OFF     0x3000u
#define SW_CODE_SIZE    0x2000u
#define SW_VCPU_OFF     0x5000u
#define SW_PAGES        6u

#define SW_VA(off)      (SWITCHER_BASE + (off))

/* The GDT: the guest's selectors index their own descriptors (validated
 * copies), so the monitor's sit at the end, out of the guest's reach. */
#define GDT_ENTRIES     512u
#define GDT_GUEST_MAX   504u    /* a guest GDT may have entries 0..503 */
#define GDT_MON_CS      508u
#define GDT_MON_DS      509u
#define GDT_MON_TSS     510u
#define GDT_MON_LDT     511u
#define LDT_ENTRIES     512u

#define SEL_MON_CS      (GDT_MON_CS << 3)
#define SEL_MON_DS      (GDT_MON_DS << 3)
#define SEL_MON_TSS     (GDT_MON_TSS << 3)
#define SEL_MON_LDT     (GDT_MON_LDT << 3)

/* The real 8259s are remapped here; vectors 0-31 stay the CPU's. */
#define HOST_IRQ_BASE   0x20u

#endif
