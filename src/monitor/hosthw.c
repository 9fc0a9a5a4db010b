/*
 * hosthw.c - the real 8259 pair, 8254 and COM1.
 *
 * Mechanism: the guest programs *virtual* devices (src/virtdev); the real
 * ones belong to the monitor.  The real PICs are remapped to vectors
 * HOST_IRQ_BASE.. (so an IRQ is never confused with an exception) with
 * only IRQ 0 unmasked.
 * The real PIT's channel 0 runs in mode 2 with a period of HOST_PIT_PERIOD
 * ticks: its IRQ is how the monitor gets control back from a guest that
 * never traps, and what wakes the real CPU from the HLT of an idle guest.
 *
 * Time itself comes from the time-stamp counter, calibrated against the
 * PIT at start: host_pit_now() = TSC ticks since start, converted to PIT
 * ticks.  The PIT's counter alone cannot be a clock: a 16-bit counter that
 * wraps every period must be read at least once per period at a *later*
 * phase to see the wrap, and an idle guest wakes the monitor exactly once
 * per period at the *same* phase (right after IRQ 0), so the wraps go
 * unseen and time stands still (under QEMU -icount every wake-up lands on
 * the same instruction count, and minios's tests hung); counting IRQ 0s
 * instead loses the ones the 8259 merges.  The TSC never wraps and, under
 * -icount, is the instruction clock itself: QEMU warps it across an idle
 * HLT exactly as it warps the PIT, so the two stay in step and runs stay
 * deterministic.
 *
 * The NMI watchdog (iflag=real, docs/x86-holes.md): while the guest runs
 * with its virtual IF clear, the real IF is clear too, so the PIT's IRQ
 * cannot preempt it.  The real local APIC's timer, programmed to deliver
 * an NMI every HOST_NMI_MS milliseconds, can: no guest can mask an NMI,
 * and the guest never sees the real APIC (its own is a device model).
 *
 * COM1 carries the guest's serial output byte for byte (the virtual UART
 * hands its transmitted bytes here) and its input back.
 */
#include "hosthw.h"
#include "layout.h"
#include "vcpu.h"
#include "x86.h"
#include "monitor.h"
#include "run.h"

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
#define COM1_TX_POLLS 100000u    /* a stuck UART costs a line, not the run */

/* The TSC is timed against the PIT over CALIBRATE_TICKS (about 4 ms),
 * with the PIT's counter run for the time at its longest period (65536
 * ticks, 55 ms), so that counts read milliseconds apart still unwrap
 * exactly.  Each count read is bracketed by two TSC reads; the timing ends
 * at the first read whose bracket, with the first one's, bounds the error
 * below 1 part in CALIBRATE_ERR_PER.  A loaded host deschedules QEMU for
 * milliseconds at a time: the old timing, which counted the reloads of the
 * 1 ms period, ran the clock 6% fast in CI (ifwatch=5 ended a guest
 * early) and up to 4 times slow here when reloads went unseen.  Every
 * run pays the time (16 ms were a fifth of a fault-injection run's CPU
 * time). */
#define CALIBRATE_TICKS     (4u * HOST_PIT_PERIOD)
#define CALIBRATE_MAX_TICKS (40u * HOST_PIT_PERIOD)  /* then take the best bracket seen */
#define CALIBRATE_FIRST     8u          /* reads to find a narrow first bracket */
#define CALIBRATE_MAX_READS 100000000u  /* a PIT that does not count: no machine to run on */
#define CALIBRATE_TRIES     4u
#define CALIBRATE_ERR_PER   1000u
#define PIT_LONGEST_PERIOD  0x10000u    /* a reload value of 0 */
#define PIT_COUNT_MASK      0xFFFFu
#define LAPIC_CALIBRATE_PERIODS 4u
#define TICKS_FRAC_BITS   40        /* fixed-point fraction of tsc_mult */

#define LAPIC_BASE        0xFEE00000u
#define LAPIC_SVR         0x0F0u
#define LAPIC_SVR_ENABLE  0x100u
#define LAPIC_SPURIOUS    0xFFu     /* spurious vector: never delivered here */
#define LAPIC_LVT_TIMER   0x320u
#define LAPIC_LVT_MASKED  0x10000u
#define LAPIC_LVT_PERIODIC 0x20000u
#define LAPIC_DM_NMI      0x400u    /* delivery mode 100b */
#define LAPIC_TICR        0x380u
#define LAPIC_TCCR        0x390u
#define LAPIC_TDCR        0x3E0u
#define LAPIC_DIV_1       0xBu
#define CPUID_APIC        (1u << 9)

static bool host_ticked;        /* a real IRQ 0 since host_tick_seen() */
static uint64_t tsc_start;      /* TSC at calibration's end: time 0 */
static uint64_t tsc_per_period; /* TSC ticks per HOST_PIT_PERIOD */
static uint32_t tsc_mult;       /* PIT ticks per TSC tick, << TICKS_FRAC_BITS */

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

/* Channel 0, mode 2, reloading from reload (0 is 65536). */
static void pit_program(uint32_t reload)
{
	outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, reload & 0xFF);
	outb(PIT_CH0, (reload >> 8) & 0xFF);
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

static uint32_t pit_count(void)
{
	outb(PIT_CMD, PIT_CH0_LATCH);
	uint32_t lo = inb(PIT_CH0);
	return lo | (uint32_t)inb(PIT_CH0) << 8;
}

/* A PIT reload as the TSC saw it: it came after lo and before hi. */
struct reload {
	uint64_t lo, hi;
};

/* One read of the PIT's count, made between TSC lo and hi; pit is the
 * ticks since the timing began (unwrapped by the caller). */
struct pit_sample {
	uint64_t lo, hi, pit;
	uint32_t count;
};

static void pit_sample(struct pit_sample *s)
{
	s->lo = rdtsc();
	s->count = pit_count();
	s->hi = rdtsc();
}

/* Ticks from a to b's count: the counter counts down, modulo its period. */
static void pit_unwrap(const struct pit_sample *a, struct pit_sample *b)
{
	b->pit = a->pit + ((a->count - b->count) & PIT_COUNT_MASK);
}

static uint64_t sample_mid(const struct pit_sample *s)
{
	return s->lo + (s->hi - s->lo) / 2;
}

/* Is the timing from a to b exact to 1 part in CALIBRATE_ERR_PER?  Its
 * error is half the two brackets' widths over the TSC span. */
static bool timing_exact(const struct pit_sample *a, const struct pit_sample *b)
{
	uint64_t blur = (a->hi - a->lo) + (b->hi - b->lo);
	return sample_mid(b) > sample_mid(a) &&
	       blur * CALIBRATE_ERR_PER <= 2 * (sample_mid(b) - sample_mid(a));
}

/* One timing of the TSC against the PIT: TSC ticks per HOST_PIT_PERIOD,
 * or 0 if it is not to be trusted.  The first read is the narrowest of a
 * few; the last is the first one past CALIBRATE_TICKS exact enough
 * (timing_exact), or the narrowest by CALIBRATE_MAX_TICKS. */
static uint64_t tsc_time_pit(void)
{
	struct pit_sample first, s, prev, last = { 0 };
	uint64_t gap_max = 0;

	pit_sample(&first);
	for (unsigned i = 1; i < CALIBRATE_FIRST; i++) {	/* bound: CALIBRATE_FIRST samples */
		pit_sample(&s);
		if (s.hi - s.lo < first.hi - first.lo)
			first = s;
	}
	first.pit = 0;
	prev = first;
	/* bound: CALIBRATE_MAX_READS, then a panic (a PIT that does not count) */
	for (uint32_t n = 0;; n++) {
		if (n == CALIBRATE_MAX_READS)
			mon_panic("the real PIT does not count: no clock to run a guest by");
		pit_sample(&s);
		pit_unwrap(&prev, &s);
		uint64_t gap = sample_mid(&s) - sample_mid(&prev);
		gap_max = gap > gap_max ? gap : gap_max;
		prev = s;
		if (s.pit < CALIBRATE_TICKS)
			continue;
		if (last.pit == 0 || s.hi - s.lo < last.hi - last.lo)
			last = s;
		if (timing_exact(&first, &s) || s.pit >= CALIBRATE_MAX_TICKS)
			break;
	}
	uint64_t span = sample_mid(&last) - sample_mid(&first);
	if (span == 0)
		return 0;       /* the TSC does not advance */
	/* A gap of half a PIT period or more between two reads (the host
	 * stopped QEMU for over 27 ms) may hide a wrap: the count unwraps
	 * short.  At the rate measured, half a period is span * half / pit. */
	if (gap_max * last.pit >= span * (PIT_LONGEST_PERIOD / 2))
		return 0;
	return span * HOST_PIT_PERIOD / last.pit;
}

/* TSC ticks per PIT period, timed with the real PIT at its longest period
 * and then set to HOST_PIT_PERIOD for good. */
static void tsc_calibrate(void)
{
	uint32_t a, b, c, d;
	uint64_t per_period = 0;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID_TSC))
		mon_panic("this CPU has no time-stamp counter (CPUID.TSC); the monitor needs it");
	pit_program(0);
	/* bound: CALIBRATE_TRIES */
	for (unsigned i = 0; i < CALIBRATE_TRIES && per_period == 0; i++)
		per_period = tsc_time_pit();
	pit_program(HOST_PIT_PERIOD);
	tsc_start = rdtsc();
	if (per_period == 0)
		mon_panic("the TSC cannot be timed against the PIT: it does not advance, or the "
			  "host stopped the machine for most of a PIT period %u times",
			  CALIBRATE_TRIES);
	tsc_per_period = per_period;
	tsc_mult = (uint32_t)(((uint64_t)HOST_PIT_PERIOD << TICKS_FRAC_BITS) / per_period);
	if (tsc_mult == 0)
		mon_panic("the TSC runs too fast to convert to PIT ticks");
}

static volatile uint32_t *lapic_reg(uint32_t off)
{
	return (volatile uint32_t *)(LAPIC_BASE + off);
}

/* Timer counts per PIT period, timed against the TSC (one-shot, masked,
 * divide by 1) over LAPIC_CALIBRATE_PERIODS periods: it only sets the
 * watchdog's interval, where a few percent do not matter. */
static uint32_t lapic_calibrate(void)
{
	*lapic_reg(LAPIC_TDCR) = LAPIC_DIV_1;
	*lapic_reg(LAPIC_LVT_TIMER) = LAPIC_LVT_MASKED;
	*lapic_reg(LAPIC_TICR) = 0xFFFFFFFFu;
	uint32_t c0 = *lapic_reg(LAPIC_TCCR);
	uint64_t t0 = rdtsc();
	/* bound: LAPIC_CALIBRATE_PERIODS PIT periods of TSC time (tsc_calibrate) */
	while (rdtsc() - t0 < tsc_per_period * LAPIC_CALIBRATE_PERIODS)
		;
	uint32_t c1 = *lapic_reg(LAPIC_TCCR);
	return (c0 - c1) / LAPIC_CALIBRATE_PERIODS;
}

bool host_nmi_watchdog_init(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID_APIC))
		return false;
	*lapic_reg(LAPIC_SVR) = LAPIC_SVR_ENABLE | LAPIC_SPURIOUS;
	uint32_t per_period = lapic_calibrate();
	if (per_period == 0)
		return false;
	*lapic_reg(LAPIC_LVT_TIMER) = LAPIC_LVT_PERIODIC | LAPIC_DM_NMI;
	*lapic_reg(LAPIC_TICR) = per_period * HOST_NMI_MS;
	return true;
}

void host_hw_init(void)
{
	pic_init();
	com1_init();
	tsc_calibrate();
}

/* (delta * tsc_mult) >> TICKS_FRAC_BITS without a 96-bit product: the
 * high and low halves of delta are multiplied apart, and the sum of
 * hi and lo >> 32 is the product >> 32. */
uint64_t host_pit_now(void)
{
	return host_tsc_to_pit(rdtsc());
}

uint64_t host_tsc_to_pit(uint64_t tsc)
{
	uint64_t delta = tsc - tsc_start;
	uint64_t hi = (delta >> 32) * tsc_mult, lo = (delta & 0xFFFFFFFFu) * tsc_mult;

	return (hi + (lo >> 32)) >> (TICKS_FRAC_BITS - 32);
}

/* host_tsc_to_pit(tsc) is floor(delta * tsc_mult / 2^40), and tsc_mult
 * is at most HOST_PIT_PERIOD * 2^40 / tsc_per_period, so any delta below
 * pit * tsc_per_period / HOST_PIT_PERIOD converts to less than pit.  That
 * bound is computed as q * tsc_per_period + r * tsc_per_period / PERIOD
 * (pit = q * PERIOD + r), which cannot overflow but in its first term,
 * checked. */
uint64_t host_pit_to_tsc_floor(uint64_t pit)
{
	uint64_t q = pit / HOST_PIT_PERIOD, r = pit % HOST_PIT_PERIOD;

	if (q > (UINT64_MAX - tsc_start) / tsc_per_period - 1)
		return UINT64_MAX;      /* past the TSC's range: never */
	return tsc_start + q * tsc_per_period + r * tsc_per_period / HOST_PIT_PERIOD;
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
	if (n == 0) {
		vcpu0.stats.host_ticks++;
		host_ticked = true;
	}
	if (n >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

#define CR0_GUEST_BITS (CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_AM)
#define CR4_GUEST_BITS (CR4_TSD | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT)

/* ring=3: CR0.AM makes the CPU check alignment at CPL 3 only (with
 * EFLAGS.AC); the guest's kernel, at CPL 3 there, must not get the #AC its
 * CPU never gives at CPL 0, so the real AM is the guest's only while its
 * user code runs. */
void host_guest_cr_sync(const struct vcpu *v)
{
	uint32_t cr4 = v->cr4 | (v->tsc_offset_on ? CR4_TSD : 0);
	uint32_t cr0 = v->cr0 & ~(mon_opts.ring == 3 && !v->user_view ? CR0_AM : 0);

	lcr0((rcr0() & ~CR0_GUEST_BITS) | (cr0 & CR0_GUEST_BITS));
	lcr4((rcr4() & ~CR4_GUEST_BITS) | (cr4 & CR4_GUEST_BITS));
}

bool host_tick_seen(void)
{
	bool t = host_ticked;
	host_ticked = false;
	return t;
}

void host_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void host_com1_putc(uint8_t c)
{
	/* bound: COM1_TX_POLLS status reads, then the byte goes anyway */
	for (unsigned i = 0; i < COM1_TX_POLLS && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
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
