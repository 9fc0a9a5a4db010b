/*
 * vpit.h - the virtual 8254 programmable interval timer and port 0x61.
 *
 * Mechanism (real hardware): the 8254 has three 16-bit down-counters
 * clocked at 1193182 Hz.  Channel 0's output (OUT0) drives IRQ 0, channel 1
 * once paced DRAM refresh, channel 2's output feeds the speaker and can be
 * read back in bit 5 of port 0x61, whose bit 0 is channel 2's GATE input.
 * Software writes a control word to port 0x43 (channel, access mode, counting
 * mode, BCD) and then the count to the channel's data port (0x40-0x42), as
 * the low byte, the high byte, or low then high.  A count of 0 means 65536.
 * A counter-latch command (control word with access bits 00) freezes the
 * current count until it has been read, so the two bytes of a lo/hi read
 * belong together; the read-back command (channel field 11) latches count
 * and/or a status byte for several channels at once.
 *
 * Modes: 0 (interrupt on terminal count: OUT low until the count reaches 0,
 * then high, once), 1 (the same, started by a GATE rising edge), 2 (rate
 * generator: OUT goes low for one clock when the count reaches 1, then the
 * counter reloads, so OUT rises once per period), 3 (square wave: OUT high
 * for the first half of each period, low for the second), 4 and 5 (one
 * clock low strobe at terminal count, software- or GATE-started).
 *
 * What this model does: all three channels with modes 0-5 (6 and 7 alias 2
 * and 3), the three access modes with their byte flip-flops, counter latch,
 * read-back (count and status), GATE semantics (pause in modes 0/2/3/4,
 * restart in 2/3, trigger in 1/5), port 0x61 (GATE2, speaker enable and
 * the two NMI enables stored, OUT2 and the refresh toggle read back).  Time
 * does not pass by itself: the monitor calls vpit_advance() with elapsed PIT
 * ticks, both from its real timer interrupt and just before every guest
 * access to these ports (so that back-to-back latched reads see a
 * decreasing count), and pulses IRQ 0 on the virtual PIC once per edge
 * returned.  vpit_advance() is this device's tick.
 *
 * Simplified, and documented where it happens:
 *  - BCD counting (control word bit 0) is recorded and reported in the
 *    status byte but the counter counts in binary.
 *  - The one-clock delay between writing a count and the counter loading it
 *    is not modelled; counting starts at the write.
 *  - OUT edges are counted at period boundaries: in modes 2 and 3 when the
 *    counter reloads, in modes 0 and 1 at terminal count, in modes 4 and 5
 *    at terminal count (the hardware's strobe ends one clock later).
 *  - Mode 3 with an odd count reads back even values N-1, N-3, ... in both
 *    halves; the halves last (N+1)/2 and (N-1)/2 clocks as on the chip.
 *  - Port 0x43 is write-only on the chip; reading it returns 0xFF.
 *  - The refresh toggle (port 0x61 bit 4) flips every PIT_REFRESH_TICKS
 *    ticks (about 15 us), driven by vpit_advance, not by channel 1.
 *
 * Initial state (vpit_init): what QEMU's reset and SeaBIOS leave: every
 * channel in mode 3, lo/hi access, count 65536 and running (channel 0 gives
 * IRQ 0 at 18.2 Hz), GATE high on channels 0 and 1, low on channel 2; port
 * 0x61 reads 0 in its writable bits.
 *
 * Invariants, per channel: 1 <= reload <= PIT_MAX_COUNT; while counting,
 * elapsed < reload (periodic modes, and one-shot modes before terminal
 * count) or elapsed < PIT_MAX_COUNT (one-shot after terminal count, where it
 * counts clocks since then); mode is 0-5.
 */
#ifndef VIRTDEV_VPIT_H
#define VIRTDEV_VPIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ            1193182u  /* input clock, ticks per second */
#define PIT_MAX_COUNT     65536u    /* what a count of 0 means */
#define PIT_NCHANNELS     3
#define PIT_IRQ           0         /* channel 0's OUT drives IRQ 0 */
#define PIT_IRQ_CHANNEL   0
#define PIT_SPEAKER_CHANNEL 2       /* GATE and OUT on port 0x61 */

/* I/O ports. */
#define PIT_CH0_PORT      0x40
#define PIT_CH1_PORT      0x41
#define PIT_CH2_PORT      0x42
#define PIT_CTRL_PORT     0x43
#define PIT_PORTB         0x61      /* system control port B */

/* Control word (port 0x43). */
#define PIT_CW_SC_MASK    0xC0      /* select counter */
#define PIT_CW_SC_SHIFT   6
#define PIT_CW_SC_READBACK 3        /* SC field value of the read-back command */
#define PIT_CW_RW_MASK    0x30      /* read/write access */
#define PIT_CW_RW_SHIFT   4
#define PIT_CW_MODE_MASK  0x0E
#define PIT_CW_MODE_SHIFT 1
#define PIT_CW_BCD        0x01

/* Access modes (RW field). */
#define PIT_RW_LATCH      0         /* counter-latch command */
#define PIT_RW_LSB        1
#define PIT_RW_MSB        2
#define PIT_RW_LSB_MSB    3

/* Counting modes (MODE field; 6 and 7 are aliases of 2 and 3). */
#define PIT_MODE_TERMINAL     0     /* interrupt on terminal count */
#define PIT_MODE_ONESHOT      1     /* hardware-retriggerable one-shot */
#define PIT_MODE_RATE         2     /* rate generator */
#define PIT_MODE_SQUARE       3     /* square wave generator */
#define PIT_MODE_SW_STROBE    4
#define PIT_MODE_HW_STROBE    5
#define PIT_MODE_ALIAS_OFFSET 4     /* 6 -> 2, 7 -> 3 */
#define PIT_NMODES            6

/* Read-back command (control word with SC = 3).  Bits 5 and 4 are active
 * low. */
#define PIT_RB_NO_COUNT   0x20
#define PIT_RB_NO_STATUS  0x10
#define PIT_RB_CH0        0x02
#define PIT_RB_CH1        0x04
#define PIT_RB_CH2        0x08

/* Status byte (read-back). */
#define PIT_STATUS_OUT    0x80
#define PIT_STATUS_NULL   0x40      /* count written but not yet loaded */
#define PIT_STATUS_RW_SHIFT   4
#define PIT_STATUS_MODE_SHIFT 1

/* Port 0x61 bits. */
#define PORTB_GATE2       0x01      /* rw: channel 2 GATE */
#define PORTB_SPEAKER     0x02      /* rw: speaker data enable */
#define PORTB_PARITY_OFF  0x04      /* rw: RAM parity check disable */
#define PORTB_IOCHK_OFF   0x08      /* rw: I/O channel check disable */
#define PORTB_REFRESH     0x10      /* ro: toggles every ~15 us */
#define PORTB_OUT2        0x20      /* ro: channel 2 OUT */
#define PORTB_IOCHK       0x40      /* ro: I/O channel check (always 0) */
#define PORTB_PARITY_ERR  0x80      /* ro: parity error (always 0) */
#define PORTB_WRITABLE    (PORTB_GATE2 | PORTB_SPEAKER | PORTB_PARITY_OFF | \
			   PORTB_IOCHK_OFF)
#define PIT_REFRESH_TICKS 18        /* ticks per refresh toggle (15.1 us) */

/* What reads of port 0x43 and of ports that are not the PIT's return. */
#define PIT_UNMAPPED_READ 0xFF

/* vpit_ticks_to_irq() when channel 0 will not raise IRQ 0 by itself. */
#define PIT_NO_IRQ        UINT32_MAX

struct vpit_channel {
	uint8_t mode;           /* 0-5 */
	uint8_t rw;             /* PIT_RW_LSB, _MSB or _LSB_MSB */
	bool bcd;               /* recorded only */
	bool gate;
	bool counting;          /* a count is loaded (and triggered, modes 1/5) */
	bool armed;             /* modes 1/5: count loaded, waiting for GATE */
	bool fired;             /* one-shot modes: terminal count reached */
	bool reload_pending;    /* periodic: new count takes effect at reload */
	bool null_count;        /* status bit: written count not yet loaded */
	uint32_t count_reg;     /* last count written, 1..65536 */
	uint32_t reload;        /* count the counter is running with, 1..65536 */
	uint32_t elapsed;       /* clocks into the period (see invariants) */
	/* byte access */
	uint8_t write_lsb;      /* low byte of a lo/hi write in progress */
	bool write_msb_next;
	bool read_msb_next;     /* lo/hi read flip-flop, latched or not */
	bool count_latched;
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct vpit {
	struct vpit_channel ch[PIT_NCHANNELS];
	uint8_t portb;              /* PORTB_WRITABLE bits of port 0x61 */
	uint32_t refresh_phase;     /* ticks, mod 2 * PIT_REFRESH_TICKS */
	uint32_t irq_edges;         /* IRQ 0 edges returned, total */
};

/* The post-BIOS state (see above). */
void vpit_init(struct vpit *pit);

/* Guest IN/OUT on 0x40-0x43 and 0x61.  Call vpit_advance() first. */
uint8_t vpit_read(struct vpit *pit, uint16_t port);
void vpit_write(struct vpit *pit, uint16_t port, uint8_t value);

/* Lets ticks PIT clocks pass on all channels.  Returns the number of rising
 * edges of OUT0, i.e. IRQ 0 requests; the caller pulses IRQ 0 for them
 * (edges between two acknowledgements merge in the PIC's IRR, as on
 * hardware). */
uint32_t vpit_advance(struct vpit *pit, uint32_t ticks);

/* Ticks until the next OUT0 rising edge, or PIT_NO_IRQ: lets the monitor
 * program its real timer when the guest halts. */
uint32_t vpit_ticks_to_irq(const struct vpit *pit);

/* The current count of channel ch as a latch would capture it, and OUT. */
uint16_t vpit_read_counter(const struct vpit *pit, unsigned ch);
bool vpit_out(const struct vpit *pit, unsigned ch);

#endif
