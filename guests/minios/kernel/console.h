/*
 * console.h - output to the 16550 UART on COM1, the end of a run through
 * the debug-exit ports, and panic.
 */
#ifndef MINIOS_CONSOLE_H
#define MINIOS_CONSOLE_H

#include "types.h"

void uart_init(void);
void uart_putc(char c);
void console_write(const char *s, u32 n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void machine_exit(u32 code) __attribute__((noreturn));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Exit codes (the debug-exit port turns code c into QEMU status 2c+1) */
#define EXIT_OK       0
#define EXIT_FAILED   1     /* some test failed */
#define EXIT_BADOPT   2     /* command line refused */
#define EXIT_PANIC    3     /* kernel panic */

#define COM1          0x3F8
#define UART_THR      0     /* transmit holding (write) */
#define UART_RBR      0     /* receive buffer (read) */
#define UART_IER      1
#define UART_FCR      2
#define UART_LCR      3
#define UART_MCR      4
#define UART_LSR      5
#define UART_SCR      7     /* scratch: a byte of storage, no effect */
#define LCR_DLAB      0x80
#define LCR_8N1       0x03
#define LSR_THRE      0x20  /* transmit holding register empty */

#define PORT_DEBUG_EXIT 0xF4    /* QEMU isa-debug-exit */
#define PORT_BOCHS_SHUTDOWN 0x8900

#endif
