/*
 * console.c - the 16550 UART driver and the ways a run ends.
 *
 * Mechanism: COM1's transmit holding register accepts a byte when the line
 * status register's THRE bit is set.  minios polls it (no transmit
 * interrupt), which keeps output ordered and deterministic.
 *
 * A run ends by writing the exit code to QEMU's isa-debug-exit port (0xF4);
 * on Bochs that port is unassigned, so minios then writes "Shutdown" to the
 * Bochs shutdown port 0x8900.  If neither ends the machine it halts.
 */
#include "console.h"
#include "x86.h"
#include "intr.h"
#include "lib/fmt.h"

#include <stdarg.h>

void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1);              /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);    /* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);
}

void uart_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		;
	outb(COM1 + UART_THR, (u8)c);
}

void console_write(const char *s, u32 n)
{
	for (u32 i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

static void vkprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
	console_write(buf, n < (int)sizeof buf ? (u32)n : sizeof buf - 1);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int s = intr_save();
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	intr_restore(s);
	return 0;
}

void machine_exit(u32 code)
{
	static const char bochs[] = "Shutdown";

	cli();
	outl(PORT_DEBUG_EXIT, code);
	outsb(PORT_BOCHS_SHUTDOWN, bochs, sizeof bochs - 1);
	for (;;)
		hlt();
}

void panic(const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("minios: panic: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	machine_exit(EXIT_PANIC);
}
