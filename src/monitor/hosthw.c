/*
 * hosthw.c - the real 8259 pair, 8254 and COM1.
 *
 * Mechanism: the guest programs *virtual* devices (src/virtdev); the real
 * ones belong to the monitor.  The real PICs are remapped to vectors
 * HOST_IRQ_BASE.. (so an IRQ is never confused with an exception) with
 * only IRQ 0 unmasked.  The real PIT's channel 0 runs in mode 2 with a
 * period of HOST_PIT_PERIOD ticks.  host_pit_now() reads the latched
 * counter: how far into the period we are; a reading smaller than the one
 * before means the counter wrapped, which adds a period.  So the monitor's
 * clock is the PIT's own time, tick exact, and never goes backwards or
 * stands still.  It reads at least once per period, because IRQ 0 traps
 * every period and every trap syncs the devices; only if the monitor kept
 * interrupts off for a whole period would a wrap go unseen (the clock then
 * runs one period slow, still monotonic).  Counting IRQs instead would
 * not do: the 8259 merges IRQs that arrive while one is pending, and a
 * lost IRQ would stop the clock for up to a period while it caught up.
 * That clock drives the virtual PIT; the IRQ itself is how the monitor
 * gets control back from a guest that never traps.
 *
 * COM1 carries the guest's serial output byte for byte (the virtual UART
 * hands its transmitted bytes here) and its input back.
 */
#include "hosthw.h"
#include "layout.h"
#include "vcpu.h"
#include "x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086 0x01
#define PIC_EOI 0x20
#define PIC_OCW3_READ_ISR 0x0B

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_CH0_LOHI_MODE2 0x34
#define PIT_CH0_LATCH 0x00

#define COM1 0x3F8
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20

static uint64_t pit_wraps;      /* periods counted so far */
static uint32_t pit_into;       /* ticks into the period at the last read */

static void pic_init(void)
{
	outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC1_DATA, HOST_IRQ_BASE);
	outb(PIC2_DATA, HOST_IRQ_BASE + 8);
	outb(PIC1_DATA, 1 << 2);        /* slave on IRQ 2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, 0xFE);          /* IRQ 0 only */
	outb(PIC2_DATA, 0xFF);
}

static void pit_init(void)
{
	outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, HOST_PIT_PERIOD & 0xFF);
	outb(PIT_CH0, HOST_PIT_PERIOD >> 8);
}

static void com1_init(void)
{
	outb(COM1 + 1, 0x00);           /* no UART interrupts: polled */
	outb(COM1 + 3, 0x80);           /* DLAB */
	outb(COM1 + 0, 0x01);           /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);           /* 8N1 */
	outb(COM1 + 2, 0xC7);           /* FIFO on, cleared */
	outb(COM1 + 4, 0x03);           /* DTR, RTS */
}

void host_hw_init(void)
{
	pic_init();
	pit_init();
	com1_init();
}

uint64_t host_pit_now(void)
{
	outb(PIT_CMD, PIT_CH0_LATCH);
	uint32_t lo = inb(PIT_CH0);
	uint32_t c = lo | (uint32_t)inb(PIT_CH0) << 8;
	uint32_t into = c <= HOST_PIT_PERIOD ? HOST_PIT_PERIOD - c : 0;

	if (into < pit_into)            /* the counter reloaded since last time */
		pit_wraps++;
	pit_into = into;
	return pit_wraps * HOST_PIT_PERIOD + into;
}

static bool pic_spurious(unsigned n)
{
	uint16_t cmd = n < 8 ? PIC1_CMD : PIC2_CMD;
	outb(cmd, PIC_OCW3_READ_ISR);
	return !(inb(cmd) & (1u << (n & 7)));
}

void host_irq(unsigned n)
{
	if ((n == 7 || n == 15) && pic_spurious(n))
		return;
	if (n == 0)
		vcpu0.stats.host_ticks++;
	if (n >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

void host_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void host_com1_putc(uint8_t c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
		;
	outb(COM1, c);
}

bool host_com1_getc(uint8_t *c)
{
	if (!(inb(COM1 + UART_LSR) & UART_LSR_DR))
		return false;
	*c = inb(COM1);
	return true;
}
