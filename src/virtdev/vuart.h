/*
 * vuart.h - the virtual 16550A UART (COM1 at 0x3F8, IRQ 4).
 *
 * Mechanism (real hardware): eight registers at base..base+7.  Offset 0 is
 * the receive buffer (read) and transmit holding register (write), offsets 0
 * and 1 become the baud-rate divisor latch (DLL, DLM) while LCR bit 7 (DLAB)
 * is set.  IER enables four interrupt sources; IIR reports the highest
 * priority pending one (line status > received data / character timeout >
 * transmitter empty > modem status) and, when the FIFOs are on, has bits
 * 7-6 set; FCR (write-only, same offset as IIR) enables and clears the
 * 16-byte FIFOs and sets the receive trigger level.  LSR reports data ready
 * (DR), overrun and the transmitter state (THRE: holding register empty,
 * TEMT: shift register empty too); MSR the modem lines; SCR is a scratch
 * byte with no function.  The chip's INTR pin reaches the PC's IRQ line
 * only while MCR OUT2 is set (it enables a tri-state buffer on the board).
 * A THRE interrupt is cleared by reading IIR while it is the reported source
 * or by writing THR; the receive interrupts clear when the data is read.
 *
 * What this model does: every register.  A byte written to THR is handed to
 * the output callback at once (the monitor forwards it to the host's COM1),
 * so THRE and TEMT always read 1 and a THRE interrupt becomes pending again
 * after each write.  Bytes from the host enter through vuart_receive() into
 * a 16-byte FIFO (one byte deep, 16450-style, while FIFOs are disabled).
 * Loopback mode (MCR bit 4) routes THR to the receiver and the MCR outputs
 * to the MSR inputs, with delta bits, as the Linux 8250 probe expects.
 * Outside loopback the modem inputs read as a connected line: CTS, DSR and
 * DCD set (as QEMU reports them).
 *
 * Simplified: there is no time.  Transmission is instantaneous and the
 * character-timeout interrupt (IIR 0x0C) is reported as soon as the FIFO
 * holds fewer bytes than the trigger level, instead of after four character
 * times; hence no tick function.  Parity, framing and break errors never
 * occur; only overrun does.  The divisor and line format are stored and
 * read back but do not pace anything.  DMA mode and the FIFO error bit
 * (LSR bit 7) are not modelled.  In loopback the external receive input is
 * disconnected, so vuart_receive() refuses bytes.
 *
 * The IRQ line: vuart_irq_pending() is INTR gated by OUT2 as on a real PC;
 * vuart_intr() is the chip's pin before the gate (QEMU's 16550 raises the
 * IRQ on INTR alone; a guest that never sets OUT2 sees the difference).
 * The monitor copies vuart_irq_pending() into the virtual PIC input after
 * every access and every vuart_receive().
 *
 * Invariants: rx_count <= rx_capacity(u) <= UART_FIFO_SIZE; rx_head indexes
 * the oldest byte; ier has only bits 0-3; lsr_errors has only error bits.
 */
#ifndef VIRTDEV_VUART_H
#define VIRTDEV_VUART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1_BASE   0x3F8
#define UART_COM1_IRQ    4
#define UART_NPORTS      8
#define UART_FIFO_SIZE   16

/* Register offsets from the base port. */
#define UART_RBR  0     /* read, DLAB = 0 */
#define UART_THR  0     /* write, DLAB = 0 */
#define UART_DLL  0     /* DLAB = 1 */
#define UART_IER  1     /* DLAB = 0 */
#define UART_DLM  1     /* DLAB = 1 */
#define UART_IIR  2     /* read */
#define UART_FCR  2     /* write */
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_MSR  6
#define UART_SCR  7

/* IER. */
#define UART_IER_RDI     0x01   /* received data available */
#define UART_IER_THRI    0x02   /* transmit holding register empty */
#define UART_IER_RLSI    0x04   /* receiver line status */
#define UART_IER_MSI     0x08   /* modem status */
#define UART_IER_MASK    0x0F

/* IIR. */
#define UART_IIR_NO_INT  0x01
#define UART_IIR_MSI     0x00
#define UART_IIR_THRI    0x02
#define UART_IIR_RDI     0x04
#define UART_IIR_RLSI    0x06
#define UART_IIR_TIMEOUT 0x0C
#define UART_IIR_ID_MASK 0x0E
#define UART_IIR_FIFOS   0xC0   /* FIFOs enabled */

/* FCR. */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_DMA      0x08
#define UART_FCR_TRIGGER_MASK  0xC0
#define UART_FCR_TRIGGER_SHIFT 6

/* LCR. */
#define UART_LCR_WLEN_MASK 0x03
#define UART_LCR_STOP      0x04
#define UART_LCR_PARITY    0x08
#define UART_LCR_EPAR      0x10
#define UART_LCR_SPAR      0x20
#define UART_LCR_BREAK     0x40
#define UART_LCR_DLAB      0x80

/* MCR. */
#define UART_MCR_DTR     0x01
#define UART_MCR_RTS     0x02
#define UART_MCR_OUT1    0x04
#define UART_MCR_OUT2    0x08   /* gates INTR onto the IRQ line */
#define UART_MCR_LOOP    0x10
#define UART_MCR_MASK    0x1F

/* LSR. */
#define UART_LSR_DR      0x01   /* data ready */
#define UART_LSR_OE      0x02   /* overrun error */
#define UART_LSR_PE      0x04
#define UART_LSR_FE      0x08
#define UART_LSR_BI      0x10
#define UART_LSR_THRE    0x20
#define UART_LSR_TEMT    0x40
#define UART_LSR_FIFOE   0x80
#define UART_LSR_ERRORS  (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* MSR. */
#define UART_MSR_DCTS    0x01
#define UART_MSR_DDSR    0x02
#define UART_MSR_TERI    0x04   /* RI went from on to off */
#define UART_MSR_DDCD    0x08
#define UART_MSR_CTS     0x10
#define UART_MSR_DSR     0x20
#define UART_MSR_RI      0x40
#define UART_MSR_DCD     0x80
#define UART_MSR_DELTAS  0x0F
#define UART_MSR_CONNECTED (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

/* What vuart_read returns for a port outside base..base+7. */
#define UART_UNMAPPED_READ 0xFF

/* Called with each transmitted byte, in order. */
typedef void (*vuart_tx_fn)(void *ctx, uint8_t byte);

struct vuart {
	uint16_t base;
	uint8_t irq;            /* informational: the PIC input it is wired to */
	vuart_tx_fn tx;
	void *tx_ctx;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;            /* UART_FCR_ENABLE and trigger bits */
	uint8_t lsr_errors;     /* UART_LSR_ERRORS bits, cleared by LSR read */
	uint8_t msr;            /* modem inputs and delta bits */
	uint8_t rbr;            /* last byte read, returned when empty */
	bool thr_ipending;      /* THRE interrupt condition */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint32_t tx_bytes, rx_bytes, rx_overruns;
};

/* Power-on state (all registers 0, FIFOs off), wired to base/irq, sending
 * transmitted bytes to tx(ctx, byte).  tx may be NULL (output dropped). */
void vuart_init(struct vuart *u, uint16_t base, uint8_t irq,
		vuart_tx_fn tx, void *ctx);

/* Guest IN/OUT on base..base+7; other ports read 0xFF. */
uint8_t vuart_read(struct vuart *u, uint16_t port);
void vuart_write(struct vuart *u, uint16_t port, uint8_t value);

/* A byte arrived from the host.  Returns false if it could not be taken
 * without loss: an overrun (LSR OE set; the FIFO keeps its contents, a
 * 16450-style single buffer is overwritten) or loopback mode (dropped). */
bool vuart_receive(struct vuart *u, uint8_t byte);
/* True if vuart_receive would take a byte without loss. */
bool vuart_can_receive(const struct vuart *u);

/* The chip's INTR pin, and the PC's IRQ line (INTR and MCR OUT2). */
bool vuart_intr(const struct vuart *u);
bool vuart_irq_pending(const struct vuart *u);

#endif
