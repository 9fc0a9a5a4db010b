/*
 * pic.c - 8259A PIC pair and 8254 PIT channel 0.
 *
 * Mechanism: at power-on the master PIC delivers IRQ 0-7 on vectors 8-15,
 * which collide with CPU exceptions, so minios reprograms both with the
 * ICW1-ICW4 sequence to vectors 32-47.  Each delivered IRQ sets its bit in
 * the in-service register (ISR) until the kernel sends an EOI.  Writing the
 * data port afterwards sets the interrupt mask register (IMR).
 *
 * The PIT's channel 0 in mode 2 counts down from the divisor and raises
 * IRQ 0 each time it reaches 1: a periodic tick of PIT_HZ/divisor Hz.
 */
#include "pic.h"
#include "x86.h"

#define PIT_SPIN_MAX 10000000     /* counter reads before pit_spin_periods gives up */

u16 pit_divisor;
unsigned timer_hz;

void pic_init(void)
{
	outb(PIC1_CMD, 0x11);           /* ICW1: edge, cascade, ICW4 needed */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, T_IRQ0);        /* ICW2: vector base */
	outb(PIC2_DATA, T_IRQ0 + 8);
	outb(PIC1_DATA, 1 << IRQ_CASCADE); /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, IRQ_CASCADE);
	outb(PIC1_DATA, 0x01);          /* ICW4: 8086 mode, normal EOI */
	outb(PIC2_DATA, 0x01);
	pic_set_mask((u16)~((1 << IRQ_TIMER) | (1 << IRQ_CASCADE)));
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

void pic_set_mask(u16 mask)
{
	outb(PIC1_DATA, (u8)mask);
	outb(PIC2_DATA, (u8)(mask >> 8));
}

u16 pic_get_mask(void)
{
	return (u16)(inb(PIC1_DATA) | (inb(PIC2_DATA) << 8));
}

u8 pic_read_isr(void)
{
	outb(PIC1_CMD, PIC_READ_ISR);
	u8 v = inb(PIC1_CMD);
	outb(PIC1_CMD, PIC_READ_IRR);   /* leave the default readback selected */
	return v;
}

void pit_init(unsigned hz)
{
	timer_hz = hz;
	pit_divisor = (u16)(PIT_HZ / hz);
	outb(PIT_CMD, PIT_MODE2);
	outb(PIT_CH0, (u8)pit_divisor);
	outb(PIT_CH0, (u8)(pit_divisor >> 8));
}

u16 pit_read_counter(void)
{
	outb(PIT_CMD, PIT_LATCH0);
	u8 lo = inb(PIT_CH0);
	u8 hi = inb(PIT_CH0);
	return (u16)(lo | (hi << 8));
}

/* Busy-waits about n timer periods by watching the PIT counter wrap: a
 * clock that does not depend on interrupts being delivered. */
void pit_spin_periods(int n)
{
	u16 prev = pit_read_counter();
	for (int wraps = 0, i = 0; wraps < n && i < PIT_SPIN_MAX; i++) {
		u16 c = pit_read_counter();
		if (c > prev)
			wraps++;
		prev = c;
	}
}
