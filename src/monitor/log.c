/*
 * log.c - the monitor's own output channel, and the ways a run ends.
 *
 * Mechanism: port 0xE9 is the "debug console" of QEMU (-debugcon) and Bochs
 * (port_e9_hack): each byte written appears on the host.  The monitor logs
 * there and never on COM1, which belongs to the guest: the guest's serial
 * transcript under the monitor can then be compared byte for byte with a
 * native run.
 */
#include "monitor.h"
#include "x86.h"
#include "lib/fmt.h"

#include <stdarg.h>

static void log_write(const char *s)
{
	while (*s)	/* bound: the line's length (NUL-terminated, fmt's buffer) */
		outb(PORT_E9_LOG, (uint8_t)*s++);
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char buf[256];
	log_write(prefix);
	fmt_vsnprintf(buf, sizeof buf, fmt, ap);
	log_write(buf);
	log_write("\n");
}

void mon_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("monitor: ", fmt, ap);
	va_end(ap);
}

void mon_exit(uint32_t code)
{
	static const char bochs[] = "Shutdown";

	__asm__ volatile("cli");
	outl(PORT_DEBUG_EXIT, code);
	for (const char *p = bochs; *p; p++)	/* bound: the 8 characters of "Shutdown" */
		outb(PORT_BOCHS_SHUTDOWN, (uint8_t)*p);
	for (;;)	/* bound: none, by design: the run is over, interrupts are off */
		__asm__ volatile("hlt");
}

void mon_refuse(uint32_t code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("monitor: refused: ", fmt, ap);
	va_end(ap);
	mon_exit(code);
}

void mon_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("monitor: panic: ", fmt, ap);
	va_end(ap);
	mon_exit(MON_EXIT_PANIC);
}
