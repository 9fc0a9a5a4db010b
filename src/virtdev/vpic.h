/*
 * vpic.h - the virtual 8259A programmable interrupt controller pair.
 *
 * Mechanism (real hardware): a PC/AT has two 8259As.  The master's eight
 * inputs IR0-7 are IRQ 0-7 (ports 0x20/0x21); the slave's are IRQ 8-15
 * (ports 0xA0/0xA1) and its INT output drives the master's IR2 (the
 * "cascade").  A rising edge on an input sets its bit in the interrupt
 * request register (IRR).  When an unmasked (IMR) request has higher
 * priority than everything in service (ISR), the PIC raises INT; the CPU's
 * interrupt acknowledge cycle (INTA) moves the bit from IRR to ISR and reads
 * the vector: ICW2's base plus the input number.  For a slave input the
 * master sets its own ISR bit 2 and lets the slave supply the vector, so the
 * handler must send EOI to both chips.  Software programs each chip with the
 * ICW1-ICW4 initialization sequence, then uses OCW1 (IMR), OCW2 (EOI and
 * priority rotation) and OCW3 (IRR/ISR readback, poll, special mask).
 *
 * What this model does: all of ICW1-ICW4 (edge or level triggering, single
 * or cascade, ICW4 optional, vector base, auto-EOI, special fully nested
 * mode), OCW1, every OCW2 command (non-specific, specific and rotating EOIs,
 * rotate-in-auto-EOI, set priority), OCW3 (IRR/ISR read select, poll mode,
 * special mask mode), and fully nested priority with rotation.  The monitor
 * drives inputs with vpic_set_irq(); it asks vpic_pending_vector() whether
 * INT is asserted and calls vpic_ack() to perform the INTA.  It has no notion
 * of time, hence no tick function.
 *
 * What it does not do, or does more simply than the silicon:
 *  - 8080/8085 mode (ICW4 bit 0 clear) and the ICW1 call-address interval
 *    are recorded but ignored: vectors are always formed the 8086 way.
 *  - Buffered mode (ICW4 BUF, M/S) is ignored.  The wiring is fixed as on
 *    every PC/AT: the slave is on master IR2 whenever the master is
 *    programmed for cascade mode with ICW3 bit 2 set.  The slave's ICW3 id is
 *    recorded but not checked.
 *  - The master's IR2 follows the slave's INT output as a level, not an
 *    edge.  So a slave request that is masked or withdrawn before INTA simply
 *    disappears instead of producing the hardware's spurious IRQ 15, and two
 *    back-to-back slave requests in auto-EOI mode are never merged.
 *  - A request on an edge-triggered input that is withdrawn before INTA
 *    stays in IRR (as in QEMU); the real chip would give a spurious IRQ 7.
 *    Spurious vectors (base + 7, no ISR bit set) therefore appear only when
 *    vpic_ack() is called with nothing pending; they are counted.
 *  - Edge detection is reset by ICW1 in the sense that IRR is cleared; an
 *    input that is still held high must fall and rise again to request.
 *
 * Invariants: IRR, ISR, IMR and the input levels are 8-bit masks indexed by
 * chip-local input number; vector bases have their low three bits clear;
 * init_step is 0 (operational) or the number of the next ICW expected.
 * Every state change ends with the master's cascade input recomputed from
 * the slave's output.
 */
#ifndef VIRTDEV_VPIC_H
#define VIRTDEV_VPIC_H

#include <stdbool.h>
#include <stdint.h>

/* I/O ports. */
#define PIC_MASTER_CMD   0x20
#define PIC_MASTER_DATA  0x21
#define PIC_SLAVE_CMD    0xA0
#define PIC_SLAVE_DATA   0xA1

/* Inputs. */
#define PIC_NIRQ           16   /* IRQ 0-15 over both chips */
#define PIC_CHIP_IRQS       8   /* inputs per chip */
#define PIC_CASCADE_IRQ     2   /* master input driven by the slave's INT */
#define PIC_SPURIOUS_IRQ    7   /* input whose vector a spurious INTA returns */
#define PIC_MASTER          0   /* index of each chip in struct vpic */
#define PIC_SLAVE           1

/* A command-port write is ICW1 if bit 4 is set, else OCW3 if bit 3 is set,
 * else OCW2. */
#define PIC_ICW1_INIT    0x10
#define PIC_OCW3_SELECT  0x08

/* ICW1. */
#define PIC_ICW1_IC4     0x01   /* ICW4 follows */
#define PIC_ICW1_SNGL    0x02   /* single chip: no ICW3 */
#define PIC_ICW1_ADI     0x04   /* call address interval (8080 only) */
#define PIC_ICW1_LTIM    0x08   /* level-triggered inputs */

/* ICW2: the vector base; the low three bits are the input number. */
#define PIC_ICW2_BASE_MASK 0xF8

/* ICW4. */
#define PIC_ICW4_8086    0x01   /* 8086/88 mode (else 8080/85) */
#define PIC_ICW4_AEOI    0x02   /* automatic EOI at INTA */
#define PIC_ICW4_MS      0x04   /* buffered mode: master (ignored) */
#define PIC_ICW4_BUF     0x08   /* buffered mode (ignored) */
#define PIC_ICW4_SFNM    0x10   /* special fully nested mode */

/* OCW2: bits 7-5 are the command, bits 2-0 the input level it names. */
#define PIC_OCW2_CMD_MASK            0xE0
#define PIC_OCW2_LEVEL_MASK          0x07
#define PIC_OCW2_ROTATE_AEOI_CLEAR   0x00
#define PIC_OCW2_EOI                 0x20   /* non-specific EOI */
#define PIC_OCW2_NOP                 0x40
#define PIC_OCW2_SPECIFIC_EOI        0x60
#define PIC_OCW2_ROTATE_AEOI_SET     0x80
#define PIC_OCW2_ROTATE_EOI          0xA0   /* rotate on non-specific EOI */
#define PIC_OCW2_SET_PRIORITY        0xC0   /* level becomes lowest priority */
#define PIC_OCW2_ROTATE_SPECIFIC_EOI 0xE0

/* OCW3. */
#define PIC_OCW3_RIS     0x01   /* with RR: read ISR (1) or IRR (0) */
#define PIC_OCW3_RR      0x02   /* act on RIS */
#define PIC_OCW3_POLL    0x04   /* next command-port read is a poll */
#define PIC_OCW3_SMM     0x20   /* special mask mode on (1) / off (0) */
#define PIC_OCW3_ESMM    0x40   /* act on SMM */
#define PIC_OCW3_READ_IRR (PIC_OCW3_SELECT | PIC_OCW3_RR)                 /* 0x0A */
#define PIC_OCW3_READ_ISR (PIC_OCW3_SELECT | PIC_OCW3_RR | PIC_OCW3_RIS)  /* 0x0B */

/* Poll word returned by a command-port read after OCW3 poll. */
#define PIC_POLL_INT        0x80   /* an interrupt was pending (and is now acked) */
#define PIC_POLL_LEVEL_MASK 0x07

/* Initialization progress (vpic_chip.init_step). */
#define PIC_INIT_DONE    0      /* data-port writes are OCW1 */
#define PIC_EXPECT_ICW2  2
#define PIC_EXPECT_ICW3  3
#define PIC_EXPECT_ICW4  4

/* What vpic_read returns for a port that is not the PIC's. */
#define PIC_UNMAPPED_READ 0xFF

/* The state the BIOS leaves (vpic_init): vectors 0x08 and 0x70. */
#define PIC_BIOS_MASTER_BASE 0x08
#define PIC_BIOS_SLAVE_BASE  0x70
#define PIC_BIOS_MASTER_IMR  0xFB   /* all masked except the cascade */
#define PIC_BIOS_SLAVE_IMR   0xFF

struct vpic_chip {
	uint8_t irr;            /* requests waiting for INTA */
	uint8_t isr;            /* delivered, not yet EOIed */
	uint8_t imr;            /* OCW1: 1 = masked */
	uint8_t lines;          /* current level of each input */
	uint8_t vector_base;    /* ICW2 & PIC_ICW2_BASE_MASK */
	uint8_t icw3;           /* master: inputs with slaves; slave: its id */
	uint8_t init_step;      /* next ICW expected (2, 3, 4) or 0 */
	uint8_t highest_prio;   /* input with the highest priority (rotation) */
	bool is_master;
	bool level_triggered;   /* ICW1 LTIM */
	bool single;            /* ICW1 SNGL */
	bool need_icw4;         /* ICW1 IC4 */
	bool mode_8086;         /* ICW4 uPM (recorded only) */
	bool auto_eoi;          /* ICW4 AEOI */
	bool sfnm;              /* ICW4 special fully nested mode */
	bool rotate_on_aeoi;    /* OCW2 rotate-in-auto-EOI */
	bool read_isr;          /* OCW3: command-port reads return ISR */
	bool poll;              /* OCW3: next command-port read is a poll */
	bool special_mask;      /* OCW3 special mask mode */
};

struct vpic {
	struct vpic_chip chip[2];   /* [PIC_MASTER], [PIC_SLAVE] */
	uint32_t acks;              /* INTA cycles performed */
	uint32_t spurious;          /* INTAs with nothing pending */
};

/* Resets both chips to the state the BIOS leaves (see PIC_BIOS_*). */
void vpic_init(struct vpic *pic);

/* Guest IN/OUT on 0x20, 0x21, 0xA0, 0xA1; other ports read 0xFF. */
uint8_t vpic_read(struct vpic *pic, uint16_t port);
void vpic_write(struct vpic *pic, uint16_t port, uint8_t value);

/* Sets the level of input irq (0-15).  An edge-triggered input requests on
 * a low-to-high transition.  IRQ 2 is ignored while the slave is cascaded
 * on it; out-of-range numbers are ignored. */
void vpic_set_irq(struct vpic *pic, unsigned irq, bool level);
void vpic_raise_irq(struct vpic *pic, unsigned irq);
void vpic_lower_irq(struct vpic *pic, unsigned irq);
/* Raise then lower: one edge, as the PIT's OUT0 gives once per period. */
void vpic_pulse_irq(struct vpic *pic, unsigned irq);

/* The vector an INTA would return now, or -1 when INT is not asserted.
 * Changes nothing. */
int vpic_pending_vector(const struct vpic *pic);

/* Could input irq interrupt the CPU if it rose now?  Not when its IMR bit
 * (or, for a slave input, the cascade's) masks it, nor while a request of
 * the same or higher priority is in service and waits for its EOI: the
 * question HLT asks (devices_can_interrupt).  Changes nothing. */
bool vpic_can_request(const struct vpic *pic, unsigned irq);

/* The CPU's INTA: moves the winning request from IRR to ISR (on both chips
 * for a slave input, unless auto-EOI) and returns its vector.  With nothing
 * pending it returns the master's spurious vector (base + 7) and sets no
 * ISR bit. */
uint8_t vpic_ack(struct vpic *pic);

#endif
