/*
 * devices.h - the guest's virtual devices, wired to each other, to time
 * and to the host (see devices.c).
 */
#ifndef MON_DEVICES_H
#define MON_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include "vcpu.h"

/* A module the boot loader gave the monitor (main.c): what disk=modN and
 * input=modN name. */
struct mon_module {
	uint8_t *data;
	uint32_t len;
};

/* mods[0..n) are the monitor's modules (mods[0] the guest image). */
void devices_init(const struct mon_module *mods, unsigned n);
/* A timer interrupt the fault injector raises (a delayed or spurious one):
 * timer is enum fault_timer (the PIT's IRQ 0, or the local APIC timer). */
void devices_timer_edge(unsigned timer);
/* Let virtual time catch up with the real PIT, update the IRQ lines. */
void devices_sync(struct vcpu *v);
uint32_t devices_in(struct vcpu *v, uint16_t port, unsigned size);
void devices_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t value);
/* Ports whose one-byte IN may be answered without the device model (the
 * switcher's IN fast path): the read changes nothing, and what it returns
 * changes only by a port write to their device.  Up to max of them into
 * ports[] and the values they read now into values[]; the count.  None
 * while every read must be seen (trace=io, an armed fault injector).  The
 * answer holds until devices_port_writes changes. */
unsigned devices_stable_reads(uint16_t *ports, uint8_t *values, unsigned max);
extern uint32_t devices_port_writes;    /* writes that may change them (a generation) */
/* A guest access to a device's registers at guest-physical gpa (size 1,
 * 2 or 4), and the attaching of a memory-mapped device: its range goes on
 * the MMIO bus and on the guest-physical map (gpa_is_mmio). */
struct vmmio_ops;
void devices_attach_mmio(uint32_t base, uint32_t size, const struct vmmio_ops *ops, void *dev,
			 const char *name, void *image);
uint32_t devices_mmio_read(struct vcpu *v, uint32_t gpa, unsigned size);
void devices_mmio_write(struct vcpu *v, uint32_t gpa, unsigned size, uint32_t value);

/* The vector the virtual PIC would deliver now, or -1; and its INTA. */
int devices_irq_pending(void);
unsigned devices_irq_ack(void);
/* HLT's check: could any virtual interrupt ever reach the guest (one is
 * pending, or a device that can raise one is not masked)?  If not, why. */
bool devices_can_interrupt(void);
const char *devices_masked_reason(void);
void devices_report(void);      /* unknown ports, for the exit table */

#endif
