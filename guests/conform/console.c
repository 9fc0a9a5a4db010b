/*
 * console.c - COM1 output, report(), and the way a run ends.
 *
 * Mechanism: the 16550's transmit holding register takes a byte when the
 * line status register's THRE bit is set; the guest polls it (no transmit
 * interrupt), so output is ordered and deterministic.  A run ends with a
 * 32-bit write of the exit code to the debug-exit port 0xF4 (QEMU's
 * isa-debug-exit, the monitor's virtual one); on Bochs that port is not
 * there, so "Shutdown" then goes to Bochs's shutdown port 0x8900.
 */
#include "conform.h"
#include "lib/fmt.h"

#include <stdarg.h>

#define COM1          0x3F8
#define UART_THR      0
#define UART_IER      1
#define UART_FCR      2
#define UART_LCR      3
#define UART_MCR      4
#define UART_LSR      5
#define LCR_DLAB      0x80
#define LCR_8N1       0x03
#define LSR_THRE      0x20
#define LSR_TEMT      0x40
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS   0x03
#define PORT_DEBUG_EXIT     0xF4
#define PORT_BOCHS_SHUTDOWN 0x8900
#define THRE_POLL_MAX 100000

void console_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1);              /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

static void putc(char c)
{
	for (int i = 0; i < THRE_POLL_MAX && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		;
	outb(COM1 + UART_THR, (u8)c);
}

static void write_str(const char *s)
{
	while (*s)
		putc(*s++);
}

static void vprint(const char *fmt, va_list ap)
{
	char buf[256];
	fmt_vsnprintf(buf, sizeof buf, fmt, ap);
	write_str(buf);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

unsigned report_lines;

void report(const char *name, const char *fmt, ...)
{
	va_list ap;
	write_str(name);
	putc(' ');
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	putc('\n');
	report_lines++;
}

void machine_exit(u32 code)
{
	static const char bochs[] = "Shutdown";

	cli();
	/* let the last bytes leave the UART: Bochs stops at once on shutdown */
	for (int i = 0; i < THRE_POLL_MAX && !(inb(COM1 + UART_LSR) & LSR_TEMT); i++)
		;
	outl(PORT_DEBUG_EXIT, code);
	for (const char *p = bochs; *p; p++)
		outb(PORT_BOCHS_SHUTDOWN, (u8)*p);
	for (;;)
		__asm__ volatile("hlt");
}
