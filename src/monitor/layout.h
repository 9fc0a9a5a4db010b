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
 * while CR3 changes under it.  Paging cannot hide a supervisor page from
 * ring 1, so in the guest's view every switcher page is read-only (CR0.WP
 * is always set in the real CR0) except the vCPU page the CPU pushes trap
 * frames on, and what the guest can read is only what the CPU and the
 * entry stub need before the stub switches to the monitor's CR3.  The
 * private page is mapped in the monitor's view only.
 *
 *   SWITCHER_BASE + 0x00000  GDT, 8192 entries: the guest's (validated),
 *                            then the monitor's at the top; the guest's
 *                            user code segments hidden (vdesc.c)       RO
 *                 + 0x10000  IDT (256 gates), TSS at +0x800, public
 *                            data (the monitor's CR3) at +0xC00          RO
 *                 + 0x11000  LDT, 8192 entries: the guest's, validated  RO
 *                 + 0x21000  code: stubs, entry and exit (2 pages)       RO
 *                 + 0x23000  vCPU page: ring-0 stack, trap frame at top  RW
 *                 + 0x24000  private data: the monitor's stack, entry
 *                            points, the shadow CR3 (monitor view only)  --
 *                 + 0x25000  the GDT again, the guest's user code segments
 *                            shown (its kernel may return to user mode
 *                            without a trap): the fast path's LGDT     RO
 *
 * Every switcher address is derived from SWITCHER_BASE, so the switcher can
 * move should a guest need the top 4 MB.
 */
#ifndef MON_LAYOUT_H
#define MON_LAYOUT_H

#define SWITCHER_BASE   0xFFC00000u
#define SWITCHER_PDX    (SWITCHER_BASE >> 22)

#define SW_GDT_OFF      0x00000u
#define SW_IDT_OFF      0x10000u
#define SW_TSS_OFF      0x10800u
#define SW_DATA_OFF     0x10C00u
#define SW_LDT_OFF      0x11000u
#define SW_CODE_OFF     0x21000u
#define SW_CODE_SIZE    0x2000u
#define SW_VCPU_OFF     0x23000u
#define SW_PRIV_OFF     0x24000u
#define SW_GDT_SHOWN_OFF 0x25000u
#define SW_PAGES        0x35u

#define SW_VA(off)      (SWITCHER_BASE + (off))

/* The GDT: the guest's selectors index their own descriptors (validated
 * copies), so the monitor's sit at the very top, where guests keep no
 * descriptors; a guest GDT that reaches them must hold nothing there
 * (vdesc.c).  A selector can index 8192 entries; so can each table. */
#define GDT_ENTRIES     8192u
#define GDT_MON_FIRST   8187u   /* a guest GDT may use entries 0..8186 */
#define GDT_MON_ESPFIX  8187u   /* ring-0 stack for returns to 16-bit SS */
#define GDT_MON_CS      8188u
#define GDT_MON_DS      8189u
#define GDT_MON_TSS     8190u
#define GDT_MON_LDT     8191u
#define LDT_ENTRIES     8192u

#define SEL_MON_ESPFIX  (GDT_MON_ESPFIX << 3)
#define SEL_MON_CS      (GDT_MON_CS << 3)
#define SEL_MON_DS      (GDT_MON_DS << 3)
#define SEL_MON_TSS     (GDT_MON_TSS << 3)
#define SEL_MON_LDT     (GDT_MON_LDT << 3)

/* The real 8259s are remapped here; vectors 0-31 stay the CPU's. */
#define HOST_IRQ_BASE   0x20u

#endif
