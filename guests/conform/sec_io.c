/*
 * sec_io.c - port I/O and the PC devices a kernel programs: the 8259 PIC
 * pair, the 8254 PIT, the 16550 UART.
 *
 * Mechanism: IN and OUT move 8, 16 or 32 bits between EAX and a port
 * given as an 8-bit immediate or in DX; a 16- or 32-bit access to 8-bit
 * devices reaches the consecutive ports.  INS/OUTS move between a port and
 * ES:EDI / DS:ESI, stepping by the width (backwards with DF), and with REP
 * ECX times.  The devices answer as the chips do: the PIC gives IMR on a
 * data-port read and IRR or ISR on a command-port read (after OCW3), the
 * PIT latches its counter and gives read-back status, the UART has a
 * scratch register, a line status register and a loopback mode.
 *
 * Ports used: PIC 0x20/0x21/0xA0/0xA1, PIT 0x40-0x43 and 0x61, COM1
 * 0x3F8-0x3FF, and 0x2FF (COM2's scratch register, absent in both the
 * QEMU and the Bochs machines here) as a port nothing answers.  Word and
 * dword accesses go only to 0x2FF: QEMU's 16550 model aborts QEMU on
 * anything but a byte access, and what a wide access to the 8-bit PIC
 * gives differs between QEMU (0) and Bochs (all ones).
 */
#include "conform.h"
#include "lib/fmt.h"

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xA0
#define PIC2_DATA   0xA1
#define OCW3_IRR    0x0A
#define OCW3_ISR    0x0B
#define PIT_CH0     0x40
#define PIT_CH2     0x42
#define PIT_CMD     0x43
#define PORT_B      0x61
#define COM1        0x3F8
#define UART_SCR    (COM1 + 7)
#define UART_LSR    (COM1 + 5)
#define UART_MCR    (COM1 + 4)
#define UART_LCR    (COM1 + 3)
#define UART_IIR    (COM1 + 2)
#define UART_IER    (COM1 + 1)
#define NO_PORT     0x2FF
#define FILL        0x12345678u

static const char *hex(u32 v)
{
	static char buf[16];
	fmt_snprintf(buf, sizeof buf, "0x%08x", v);
	return buf;
}

/* ---- widths: IN/OUT with imm8 and DX, byte, word, dword ---- */

static void check_widths(void)
{
	u32 a;
	outb(PIC1_DATA, 0xA5);
	a = FILL;
	__asm__ volatile("inb $0x21, %%al" : "+a"(a));
	report("io.in.imm8.b", "%s", hex(a));
	a = 0x5A;
	__asm__ volatile("outb %%al, $0x21" : : "a"(a));
	report("io.out.imm8.b", "0x%02x", inb(PIC1_DATA));
	outb(UART_SCR, 0x3C);
	a = FILL;
	__asm__ volatile("inb %%dx, %%al" : "+a"(a) : "d"(UART_SCR));
	report("io.in.dx.b", "%s", hex(a));
	__asm__ volatile("outb %%al, %%dx" : : "a"(0xC3u), "d"(UART_SCR));
	report("io.out.dx.b", "0x%02x", inb(UART_SCR));
	a = FILL;
	__asm__ volatile("inb %%dx, %%al" : "+a"(a) : "d"(NO_PORT));
	report("io.none.b", "%s", hex(a));
	a = FILL;
	__asm__ volatile("inw %%dx, %%ax" : "+a"(a) : "d"(NO_PORT));
	report("io.none.w", "%s", hex(a));
	a = FILL;
	__asm__ volatile("inl %%dx, %%eax" : "+a"(a) : "d"(NO_PORT));
	report("io.none.l", "%s", hex(a));
	pic_mask_all();
}

/* ---- string I/O ---- */

static u8 buf[32] __attribute__((aligned(16)));

static void fill_buf(u8 v)
{
	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = v;
}

static void check_string(void)
{
	static const u8 out3[3] = { 0x11, 0x22, 0x33 };
	const u8 *s = out3;
	u32 n = 3;
	__asm__ volatile("cld\n\trep outsb" : "+S"(s), "+c"(n) : "d"(UART_SCR) : "memory");
	report("io.rep_outsb", "0x%02x/%u/%s", inb(UART_SCR), n, s == out3 + 3 ? "esi+3" : "esi?");


	s = out3;
	__asm__ volatile("cld\n\toutsb" : "+S"(s) : "d"(UART_SCR) : "memory");
	report("io.outsb", "0x%02x/%s", inb(UART_SCR), s == out3 + 1 ? "esi+1" : "esi?");

	outb(UART_SCR, 0x77);
	fill_buf(0);
	u8 *d = buf;
	n = 4;
	__asm__ volatile("cld\n\trep insb" : "+D"(d), "+c"(n) : "d"(UART_SCR) : "memory");
	report("io.rep_insb", "%s/%u/%s", hex(*(u32 *)buf), n, d == buf + 4 ? "edi+4" : "edi?");

	fill_buf(0);
	d = buf;
	n = 2;
	__asm__ volatile("cld\n\trep insw" : "+D"(d), "+c"(n) : "d"(NO_PORT) : "memory");
	report("io.rep_insw", "%s/%s/%u", hex(*(u32 *)buf), hex(*(u32 *)(buf + 4)), n);

	fill_buf(0);
	d = buf;
	n = 2;
	__asm__ volatile("cld\n\trep insl" : "+D"(d), "+c"(n) : "d"(NO_PORT) : "memory");
	report("io.rep_insl", "%s/%s/%u", hex(*(u32 *)buf), hex(*(u32 *)(buf + 8)), n);

	static const u32 outl2[2] = { 0x01020304, 0x0A0B0C0D };
	s = (const u8 *)outl2;
	n = 2;
	__asm__ volatile("cld\n\trep outsl" : "+S"(s), "+c"(n) : "d"(NO_PORT) : "memory");
	report("io.rep_outsl", "%u/%s", n, s == (const u8 *)outl2 + 8 ? "esi+8" : "esi?");

	s = (const u8 *)outl2;
	n = 2;
	__asm__ volatile("cld\n\trep outsw" : "+S"(s), "+c"(n) : "d"(NO_PORT) : "memory");
	report("io.rep_outsw", "%u/%s", n, s == (const u8 *)outl2 + 4 ? "esi+4" : "esi?");

	/* 16-bit addressing: ES:DI and CX, the high halves untouched */
	outb(UART_SCR, 0x66);
	test_area[0x10] = test_area[0x11] = 0;
	u32 edi = 0xABCD0010, ecx = 0x55550002;
	__asm__ volatile("mov %2, %%es\n\tcld\n\taddr16 rep insb\n\tmov %3, %%es"
			 : "+D"(edi), "+c"(ecx) : "r"((u32)SEL_TDATA), "r"((u32)SEL_KDATA),
			   "d"(UART_SCR) : "memory");
	report("io.rep_insb.a16", "0x%02x%02x/%s/%s", test_area[0x11], test_area[0x10], hex(edi),
	       hex(ecx));

	/* REP with ECX = 0 does nothing */
	d = buf;
	n = 0;
	fill_buf(0xEE);
	__asm__ volatile("cld\n\trep insb" : "+D"(d), "+c"(n) : "d"(UART_SCR) : "memory");
	report("io.rep_insb.zero", "0x%02x/%s", buf[0], d == buf ? "edi" : "edi?");
}

/* Backwards (EFLAGS.DF set), apart from the rest. */
static void check_string_df(void)
{
	static const u8 out3[3] = { 0x11, 0x22, 0x33 };
	const u8 *s = out3 + 2;
	u32 n = 3;
	__asm__ volatile("std\n\trep outsb\n\tcld" : "+S"(s), "+c"(n) : "d"(UART_SCR) : "memory");
	report("io.rep_outsb.df", "0x%02x/%u/%s", inb(UART_SCR), n,
	       (u32)s == (u32)out3 - 1 ? "esi-3" : "esi?");
	outb(UART_SCR, 0x44);
	u8 *d = buf + 3;
	n = 4;
	fill_buf(0);
	__asm__ volatile("std\n\trep insb\n\tcld" : "+D"(d), "+c"(n) : "d"(UART_SCR) : "memory");
	report("io.rep_insb.df", "%s/%u/%s", hex(*(u32 *)buf), n,
	       (u32)d == (u32)buf - 1 ? "edi-4" : "edi?");
}

/* ---- the PIC ---- */

static u8 pic_read(u16 cmd, u8 ocw3)
{
	outb(cmd, ocw3);
	return inb(cmd);
}

static void check_pic(void)
{
	pic_remap();
	outb(PIC1_DATA, 0xA5);
	outb(PIC2_DATA, 0x5A);
	report("io.pic.imr1", "0x%02x", inb(PIC1_DATA));
	report("io.pic.imr2", "0x%02x", inb(PIC2_DATA));
	report("io.pic.isr1.idle", "0x%02x", pic_read(PIC1_CMD, OCW3_ISR));
	report("io.pic.isr2.idle", "0x%02x", pic_read(PIC2_CMD, OCW3_ISR));
	pic_mask_all();
	pit_start();
	pit_wait_periods(2);
	/* masked: the request is latched in IRR all the same */
	report("io.pic.irr1.masked_timer", "0x%02x", pic_read(PIC1_CMD, OCW3_IRR) & 0x01);
	report("io.pic.irr2", "0x%02x", pic_read(PIC2_CMD, OCW3_IRR));
	/* OCW3 is remembered: a second read of the command port gives IRR again */
	report("io.pic.irr1.again", "0x%02x", inb(PIC1_CMD) & 0x01);
}

static volatile u32 isr_in_handler, ticks;

static void irq_hook(struct frame *f)
{
	if (f->vector != IRQ_BASE) {
		trap_default(f);
		return;
	}
	isr_in_handler = pic_read(PIC1_CMD, OCW3_ISR);
	ticks++;
	pic_eoi(0);
	outb(PIC1_DATA, 0xFF);                  /* one is enough */
}

static void check_pic_isr(void)
{
	pit_start();
	exc_hook = irq_hook;
	ticks = 0;
	isr_in_handler = 0xDEAD;
	outb(PIC1_DATA, 0xFE);
	sti();
	for (unsigned p = 0; p < 12 && !ticks; p++)      /* one tick, however late */
		pit_wait_periods(1);
	cli();
	exc_hook = 0;
	report("io.pic.isr.in_handler", "0x%02x", isr_in_handler & 0xFF);
	report("io.pic.isr.after_eoi", "0x%02x", pic_read(PIC1_CMD, OCW3_ISR));
	report("io.pic.irq0.delivered", "%s", ticks ? "yes" : "no");
}

/* ---- the PIT ---- */

static u16 pit_latch(void)
{
	outb(PIT_CMD, 0x00);
	u8 lo = inb(PIT_CH0);
	return (u16)(lo | inb(PIT_CH0) << 8);
}

static void check_pit(void)
{
	pit_start();
	pit_wait_periods(1);
	u16 a = pit_latch(), b = pit_latch();
	report("io.pit.latch.range", "%s", a <= PIT_PERIOD && b <= PIT_PERIOD ? "ok" : "out");
	/* the next different count is lower (or, rarely, a reload near the top) */
	u16 x = pit_latch(), y = x;
	for (int i = 0; i < 100000 && y == x; i++)
		y = pit_latch();
	report("io.pit.latch.counts_down", "%s", y < x || (u32)(y - x) > PIT_PERIOD / 2 ? "yes" :
	       y == x ? "stuck" : "up");
	outb(PIT_CMD, 0xE2);                    /* read-back: status of channel 0 */
	report("io.pit.readback.status", "0x%02x", inb(PIT_CH0) & 0x3F);
	outb(PIT_CMD, 0xD2);                    /* read-back: count of channel 0 */
	u8 lo = inb(PIT_CH0);
	u16 c = (u16)(lo | inb(PIT_CH0) << 8);
	report("io.pit.readback.count", "%s", c < PIT_PERIOD ? "ok" : "out");
	/* channel 2, gated by port 0x61, one-shot: OUT2 shows in bit 5 */
	outb(PORT_B, (inb(PORT_B) & ~0x03) | 0x01);
	outb(PIT_CMD, 0xB0);                    /* channel 2, lo/hi, mode 0 */
	outb(PIT_CH2, 0x00);
	outb(PIT_CH2, 0x10);                    /* 4096 ticks, about 3.4 ms */
	unsigned i;
	for (i = 0; i < 5000000 && !(inb(PORT_B) & 0x20); i++)
		;
	report("io.pit.ch2.out", "%s", i < 5000000 ? "rose" : "stuck");
	report("io.pit.port61.gate", "0x%02x", inb(PORT_B) & 0x03);
	outb(PORT_B, inb(PORT_B) & ~0x03);
}

/* ---- the UART ---- */

static void check_uart(void)
{
	outb(UART_SCR, 0x5A);
	report("io.uart.scr.5a", "0x%02x", inb(UART_SCR));
	outb(UART_SCR, 0xA5);
	report("io.uart.scr.a5", "0x%02x", inb(UART_SCR));
	for (int i = 0; i < 100000 && !(inb(UART_LSR) & 0x40); i++)
		;
	report("io.uart.lsr.idle", "0x%02x", inb(UART_LSR));
	report("io.uart.lcr", "0x%02x", inb(UART_LCR));
	report("io.uart.ier", "0x%02x", inb(UART_IER));
	report("io.uart.iir", "0x%02x", inb(UART_IIR));
	report("io.uart.mcr", "0x%02x", inb(UART_MCR));
	/* loopback: a byte sent comes back in RBR, nothing goes out (first let
	 * the console's own bytes leave, or they would come back instead) */
	for (int i = 0; i < 100000 && !(inb(UART_LSR) & 0x40); i++)
		;
	u8 mcr = inb(UART_MCR);
	outb(UART_MCR, mcr | 0x10);
	outb(COM1, 0x42);
	unsigned i;
	for (i = 0; i < 100000 && !(inb(UART_LSR) & 0x01); i++)
		;
	u8 lsr = inb(UART_LSR), rbr = inb(COM1);
	u8 lsr_after = inb(UART_LSR);
	outb(UART_MCR, mcr);
	report("io.uart.loopback.lsr", "0x%02x", lsr & 0x01);
	report("io.uart.loopback.rbr", "0x%02x", rbr);
	report("io.uart.loopback.lsr_after", "0x%02x", lsr_after & 0x01);
	/* the divisor latch, behind LCR.DLAB */
	u8 lcr = inb(UART_LCR);
	outb(UART_LCR, lcr | 0x80);
	u8 dll = inb(COM1), dlm = inb(COM1 + 1);
	outb(UART_LCR, lcr);
	report("io.uart.divisor", "0x%02x%02x", dlm, dll);
}

static const struct check checks[] = {
	{ "io.widths", check_widths },
	{ "io.string", check_string },
	{ "io.string_df", check_string_df },
	{ "io.pic", check_pic },
	{ "io.pic_isr", check_pic_isr },
	{ "io.pit", check_pit },
	{ "io.uart", check_uart },
};

SECTION(sec_io, "io", "port I/O widths and strings, PIC, PIT, UART", checks);
