/*
 * vlapic.h - the virtual local APIC (one CPU's, at 0xFEE00000).
 *
 * Mechanism (real hardware): each CPU's local APIC is a 4 KB page of 32-bit
 * registers, each at a 16-byte-aligned offset, reached by MOV to or from
 * memory.  Interrupts arrive as vectors (from the I/O APIC, from another
 * CPU's ICR, from the APIC's own timer and LINT pins) and are latched in the
 * 256-bit IRR.  The APIC gives the CPU the highest IRR vector whose priority
 * class (vector >> 4) is above the processor priority PPR = max(TPR, class
 * of the highest ISR vector); INTA moves it from IRR to ISR; a write to EOI
 * clears the highest ISR bit (and, for a level-triggered vector, TMR set,
 * tells the I/O APICs).  SVR bit 8 enables the APIC in software.  The timer
 * counts TICR down at the bus clock divided by TDCR and raises the LVT
 * timer's vector at zero, once (one-shot) or reloading (periodic).  ESR
 * collects errors; a write to ESR moves the errors seen since the last
 * write into it (so software writes, then reads).  Writing ICR sends an
 * IPI: fixed, NMI, INIT, SIPI..., to an APIC ID, to self, to all.
 *
 * What this model does, as QEMU's hw/intc/apic.c does (the native
 * reference): ID (read/write), version 0x14 with 6 LVT entries
 * (0x00050014), TPR, APR (0), PPR, EOI, LDR, DFR, SVR (low 9 bits), ISR,
 * TMR, IRR (read-only), ESR, ICR, the six LVTs (timer, thermal, perf,
 * LINT0, LINT1, error; stored as written), TICR, TCCR, TDCR.  Registers are
 * selected by offset >> 4 within the page, as QEMU does; accesses narrower
 * than 4 bytes read 0 and are ignored; a register that does not exist reads
 * 0 and sets ESR's illegal-register bit.
 *
 * Timer: clocked as QEMU clocks its APIC, one count per nanosecond of
 * virtual time at divide-by-1 (so xv6's TICR of 10000000 with TDCR
 * divide-by-1 gives 100 Hz, as on QEMU).  Like QEMU, a period lasts
 * TICR + 1 counts: the count reads TICR, TICR-1, ..., 0, and the interrupt
 * comes one count after 0.  TDCR's shift takes effect at once (on the
 * running count, as in QEMU); LVT timer mode bit 17 selects periodic, any
 * other value one-shot (TSC-deadline mode is not modelled).  Time does not
 * pass by itself: vlapic_advance() moves the APIC's clock forward; the
 * monitor calls it from its timer and before every access to the page (so
 * TCCR reads fresh).  Expiries while the LVT timer is masked are lost.
 *
 * Where it follows the datasheet rather than QEMU (equivalence is still
 * kept for guests that behave):
 *  - ESR has the write-then-read semantics above (QEMU accumulates errors in
 *    ESR and ignores writes).
 *  - Vectors 0-15 are illegal: a fixed IPI with one sets "send illegal
 *    vector", an arriving one sets "receive illegal vector" and is dropped
 *    (QEMU would latch it in IRR and deliver an exception vector).
 *  - ICR's delivery-status bit always reads 0 (the IPI is delivered at the
 *    write).
 * A detected error raises the LVT error vector if that entry is unmasked.
 *
 * IPIs: the only CPU is this one.  Fixed and lowest-priority IPIs whose
 * destination includes this APIC (self, all, or its ID/logical address)
 * are latched in IRR; an INIT level de-assert and IPIs to no one do
 * nothing; NMI, SMI, INIT and SIPI to this CPU are not modelled (counted in
 * ipi_unsupported).  The LINT pins take vlapic_set_lint(): in fixed mode a
 * rising level latches the LVT's vector; ExtINT mode means the 8259's INTR
 * passes through (vlapic_accepts_pic()).
 *
 * Initial state (vlapic_init): what QEMU's reset and SeaBIOS leave: SVR
 * 0x1FF (enabled, spurious vector 0xFF), LINT0 0x8700 (ExtINT, level),
 * LINT1 0x8400 (NMI, level), the other LVTs masked, ICR low 0x000C4610 (the
 * BIOS's SIPI broadcast), timer stopped, TDCR 0 (divide by 2).
 *
 * Invariants: isr/irr/tmr bits below 16 are never set; shift is 0..7 and
 * matches tdcr; load_ns <= now_ns.
 */
#ifndef VIRTDEV_VLAPIC_H
#define VIRTDEV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_BASE        0xFEE00000u   /* physical address of the page */
#define LAPIC_SIZE        0x1000u
#define LAPIC_VERSION     0x14u         /* QEMU's "version" property */
#define LAPIC_NLVT        6             /* timer, thermal, perf, LINT0, LINT1, error */

/* Register offsets in the page (the model decodes offset >> 4). */
#define LAPIC_ID          0x020
#define LAPIC_VER         0x030
#define LAPIC_TPR         0x080
#define LAPIC_APR         0x090
#define LAPIC_PPR         0x0A0
#define LAPIC_EOI         0x0B0
#define LAPIC_LDR         0x0D0
#define LAPIC_DFR         0x0E0
#define LAPIC_SVR         0x0F0
#define LAPIC_ISR         0x100         /* eight registers, 0x100-0x170 */
#define LAPIC_TMR         0x180
#define LAPIC_IRR         0x200
#define LAPIC_ESR         0x280
#define LAPIC_ICR_LO      0x300
#define LAPIC_ICR_HI      0x310
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF    0x340
#define LAPIC_LVT_LINT0   0x350
#define LAPIC_LVT_LINT1   0x360
#define LAPIC_LVT_ERROR   0x370
#define LAPIC_TICR        0x380         /* timer initial count */
#define LAPIC_TCCR        0x390         /* timer current count */
#define LAPIC_TDCR        0x3E0         /* timer divide configuration */

/* Indexes of struct vlapic.lvt[] (register offset - LAPIC_LVT_TIMER) / 16. */
#define LVT_TIMER   0
#define LVT_THERMAL 1
#define LVT_PERF    2
#define LVT_LINT0   3
#define LVT_LINT1   4
#define LVT_ERROR   5

/* LVT and ICR fields. */
#define LAPIC_VECTOR_MASK   0x000000FFu
#define LAPIC_DM_MASK       0x00000700u   /* delivery mode */
#define LAPIC_DM_SHIFT      8
#define LAPIC_DM_FIXED      0
#define LAPIC_DM_LOWPRI     1
#define LAPIC_DM_SMI        2
#define LAPIC_DM_NMI        4
#define LAPIC_DM_INIT       5
#define LAPIC_DM_SIPI       6
#define LAPIC_DM_EXTINT     7
#define LAPIC_DEST_LOGICAL  0x00000800u   /* ICR: destination mode */
#define LAPIC_DELIVS        0x00001000u   /* delivery status (pending) */
#define LAPIC_ICR_ASSERT    0x00004000u   /* ICR: level assert (vs de-assert) */
#define LAPIC_LEVEL         0x00008000u   /* trigger mode: level */
#define LAPIC_MASKED        0x00010000u   /* LVT: masked */
#define LAPIC_TIMER_PERIODIC 0x00020000u  /* LVT timer mode bit 17 */
#define LAPIC_SHORTHAND_MASK 0x000C0000u  /* ICR destination shorthand */
#define LAPIC_SHORTHAND_SHIFT 18
#define LAPIC_SH_NONE       0
#define LAPIC_SH_SELF       1
#define LAPIC_SH_ALL        2
#define LAPIC_SH_OTHERS     3
#define LAPIC_ICR_DEST_SHIFT 24           /* ICR high: destination field */
#define LAPIC_BROADCAST_ID  0xFFu

/* SVR. */
#define LAPIC_SVR_ENABLE    0x00000100u
#define LAPIC_SVR_MASK      0x000001FFu   /* what QEMU keeps of a write */

/* ESR bits. */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR 0x20u
#define LAPIC_ESR_RECV_ILLEGAL_VECTOR 0x40u
#define LAPIC_ESR_ILLEGAL_REGISTER    0x80u

/* TDCR: bits 0, 1 and 3 hold the divider. */
#define LAPIC_TDCR_MASK     0x0Bu
#define LAPIC_TDCR_DIV1     0x0Bu

#define LAPIC_FIRST_VALID_VECTOR 16     /* 0-15 are illegal */
#define LAPIC_NWORDS        8           /* 256 bits per IRR/ISR/TMR */

/* vlapic_ns_to_timer() when the timer will not expire by itself. */
#define VLAPIC_NO_TIMER     UINT64_MAX

/* An interrupt message on the APIC bus (from the I/O APIC's redirection
 * table or an MSI): what the local APIC decides to accept. */
struct vapic_msg {
	uint8_t vector;
	uint8_t dest;           /* APIC ID (physical) or logical address */
	uint8_t delivery_mode;  /* LAPIC_DM_* */
	bool logical;           /* destination mode */
	bool level;             /* trigger mode */
};

/* Called on an EOI of a vector whose TMR bit was set (level-triggered), so
 * the I/O APIC can clear its remote IRR. */
typedef void (*vlapic_eoi_fn)(void *ctx, uint8_t vector);

struct vlapic {
	uint8_t id;
	uint8_t tpr;
	uint32_t svr;
	uint8_t ldr;            /* logical APIC ID (LDR bits 31-24) */
	uint8_t dfr_model;      /* DFR bits 31-28: 0xF flat, 0x0 cluster */
	uint32_t isr[LAPIC_NWORDS], tmr[LAPIC_NWORDS], irr[LAPIC_NWORDS];
	uint32_t lvt[LAPIC_NLVT];
	uint32_t esr;           /* what reads see */
	uint32_t esr_pending;   /* errors since the last ESR write */
	uint32_t icr_lo, icr_hi;
	uint32_t tdcr;
	unsigned shift;         /* log2 of the divider */
	uint32_t ticr;
	uint64_t now_ns;        /* the APIC's clock (vlapic_advance) */
	uint64_t load_ns;       /* when TICR was written */
	bool lint_level[2];     /* LINT0/1 input levels */
	vlapic_eoi_fn eoi_level;
	void *eoi_ctx;
	/* counters */
	uint32_t timer_fires, accepted, acks, eois, spurious;
	uint32_t ipi_self, ipi_nobody, ipi_unsupported, not_for_us, bad_access;
};

/* Post-BIOS state (see above) with APIC ID id; eoi (may be NULL) hears of
 * EOIs of level-triggered vectors. */
void vlapic_init(struct vlapic *l, uint8_t id, vlapic_eoi_fn eoi, void *ctx);

/* Guest loads and stores at LAPIC_BASE + off (off < LAPIC_SIZE; size 1, 2
 * or 4).  Call vlapic_advance() first. */
uint32_t vlapic_mmio_read(struct vlapic *l, uint32_t off, unsigned size);
void vlapic_mmio_write(struct vlapic *l, uint32_t off, unsigned size, uint32_t value);

/* Lets ns nanoseconds of virtual time pass; returns the timer expiries in
 * that time (each latches the LVT timer vector unless masked). */
uint32_t vlapic_advance(struct vlapic *l, uint64_t ns);
/* The same in two steps, for a caller that may hold an expiry back (the
 * fault injector's lost or delayed timer interrupt): the clock moves and
 * the expiries are counted, and vlapic_timer_fire() latches the LVT timer
 * vector (unless masked) when the caller lets them through. */
uint32_t vlapic_advance_held(struct vlapic *l, uint64_t ns);
void vlapic_timer_fire(struct vlapic *l);
/* Nanoseconds until the next timer expiry, or VLAPIC_NO_TIMER. */
uint64_t vlapic_ns_to_timer(const struct vlapic *l);
/* Exact nanoseconds of ticks at 1193182 Hz (the PIT clock the monitor
 * keeps time with), without overflow for any 64-bit count. */
uint64_t vlapic_pit_to_ns(uint64_t pit_ticks);

/* A fixed interrupt arrives (I/O APIC, MSI): latched in IRR, TMR set if
 * level.  Illegal vectors (< 16) are refused with an ESR error. */
void vlapic_accept_irq(struct vlapic *l, uint8_t vector, bool level);
/* A bus message: accepted (true) if it is for this APIC and fixed or
 * lowest-priority; other delivery modes are counted and refused. */
bool vlapic_deliver(struct vlapic *l, const struct vapic_msg *m);

/* The vector the APIC would give the CPU now, or -1 (none, below PPR, or
 * the APIC software-disabled). */
int vlapic_pending_vector(const struct vlapic *l);
/* INTA: moves that vector from IRR to ISR and returns it; with nothing
 * deliverable returns the spurious vector (SVR bits 7-0), ISR untouched. */
unsigned vlapic_ack(struct vlapic *l);

/* LINT0/LINT1 (pin 0/1) input level. */
void vlapic_set_lint(struct vlapic *l, unsigned pin, bool level);
/* Whether an 8259's INTR reaches the CPU through this APIC: LINT0 unmasked
 * (QEMU's apic_accept_pic_intr). */
bool vlapic_accepts_pic(const struct vlapic *l);

/* PPR as the register reads. */
uint8_t vlapic_ppr(const struct vlapic *l);

#endif
