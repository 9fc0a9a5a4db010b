/*
 * pic.h - the 8259A programmable interrupt controller pair and the 8254
 * programmable interval timer.
 */
#ifndef MINIOS_PIC_H
#define MINIOS_PIC_H

#include "types.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21      /* IMR when read/written after init */
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI   0x20      /* OCW2: non-specific end of interrupt */
#define PIC_READ_IRR 0x0A   /* OCW3 */
#define PIC_READ_ISR 0x0B   /* OCW3 */
#define IRQ_TIMER 0
#define IRQ_CASCADE 2
#define IRQ_COM1  4
#define IRQ_SPURIOUS_MASTER 7

#define PIT_CH0   0x40
#define PIT_CMD   0x43
#define PIT_HZ    1193182u
#define PIT_MODE2 0x34      /* channel 0, lo/hi byte, rate generator */
#define PIT_LATCH0 0x00     /* channel 0 counter latch command */

void pic_init(void);
void pic_eoi(int irq);
void pic_set_mask(u16 mask);    /* bit n masks IRQ n */
u16 pic_get_mask(void);
u8 pic_read_isr(void);          /* master's in-service register */
void pit_init(unsigned hz);
u16 pit_read_counter(void);
void pit_spin_periods(int n);   /* busy-wait ~n periods, interrupts or not */
extern u16 pit_divisor;
extern unsigned timer_hz;

#endif
