/*
 * vlapic.c - the virtual local APIC: priorities, the register page, the
 * timer, IPIs.
 *
 * Mechanism: see vlapic.h.  Map of this file:
 *   1. the 256-bit vector sets (IRR, ISR, TMR) and priorities (PPR);
 *   2. accepting interrupts (vectors, bus messages, LINT pins) and errors;
 *   3. the timer as a function of (TICR, divider, load time, now);
 *   4. IPIs through ICR;
 *   5. the register page: reads and writes by offset >> 4;
 *   6. INTA, EOI and the public entry points.
 *
 * The APIC's clock is now_ns, moved only by vlapic_advance(), so the model
 * behaves the same in the host unit tests and in the monitor.  The timer
 * keeps no "next expiry": expiries are the instants load + k * period
 * (k >= 1), counted between the old and the new clock, which is QEMU's
 * schedule (apic_next_timer) without a timer object.
 */
#include "vlapic.h"
#include "vpit.h"

#define REG_INDEX_SHIFT   4         /* registers are 16 bytes apart */
#define REG_INDEX_MASK    0xFFu
#define PAGE_MASK         (LAPIC_SIZE - 1)
#define BITS_PER_WORD     32
#define CLASS_SHIFT       4         /* priority class = vector >> 4 */
#define CLASS_MASK        0xF0u
#define LVT_MAX_SHIFT     16        /* version: max LVT entry in bits 23-16 */
#define DFR_MODEL_SHIFT   28
#define DFR_RESERVED_ONES 0x0FFFFFFFu
#define LDR_SHIFT         24
#define ID_SHIFT          24
#define TPR_MASK          0xFFu
#define NS_PER_SECOND     1000000000ull
#define DFR_FLAT          0xF
#define DFR_CLUSTER       0x0
#define LOGICAL_CLUSTER_MASK 0xF0u
#define LOGICAL_MEMBER_MASK  0x0Fu

/* Register indexes (offset >> 4). */
enum {
	R_ID = 0x02, R_VER = 0x03, R_TPR = 0x08, R_APR = 0x09, R_PPR = 0x0A,
	R_EOI = 0x0B, R_LDR = 0x0D, R_DFR = 0x0E, R_SVR = 0x0F,
	R_ISR = 0x10, R_TMR = 0x18, R_IRR = 0x20, R_ESR = 0x28,
	R_ICR_LO = 0x30, R_ICR_HI = 0x31, R_LVT = 0x32, R_LVT_END = R_LVT + LAPIC_NLVT,
	R_TICR = 0x38, R_TCCR = 0x39, R_TDCR = 0x3E,
};

/* Post-BIOS values (QEMU reset, then SeaBIOS smp_scan). */
#define BIOS_SVR          0x000001FFu
#define BIOS_LINT0        0x00008700u   /* ExtINT, level */
#define BIOS_LINT1        0x00008400u   /* NMI, level */
#define BIOS_ICR_LO       0x000C4610u   /* SIPI broadcast, vector 0x10 */

/* ---- 1. vector sets and priorities ------------------------------------- */

static void set_vec(uint32_t *tab, unsigned v)
{
	tab[v / BITS_PER_WORD] |= 1u << (v % BITS_PER_WORD);
}

static void clear_vec(uint32_t *tab, unsigned v)
{
	tab[v / BITS_PER_WORD] &= ~(1u << (v % BITS_PER_WORD));
}

static bool test_vec(const uint32_t *tab, unsigned v)
{
	return (tab[v / BITS_PER_WORD] >> (v % BITS_PER_WORD)) & 1;
}

/* The highest vector in tab, or -1. */
static int highest_vec(const uint32_t *tab)
{
	for (int w = LAPIC_NWORDS - 1; w >= 0; w--)	/* bound: LAPIC_NWORDS */
		if (tab[w])
			return w * BITS_PER_WORD + (BITS_PER_WORD - 1 - __builtin_clz(tab[w]));
	return -1;
}

uint8_t vlapic_ppr(const struct vlapic *l)
{
	int isrv = highest_vec(l->isr);
	unsigned isr_class = isrv < 0 ? 0 : (unsigned)isrv & CLASS_MASK;

	if ((l->tpr & CLASS_MASK) >= isr_class)
		return l->tpr;
	return (uint8_t)isr_class;
}

static bool enabled(const struct vlapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

int vlapic_pending_vector(const struct vlapic *l)
{
	if (!enabled(l))                /* the common case for 8259 guests */
		return -1;
	uint32_t any = 0;
	for (unsigned w = 0; w < LAPIC_NWORDS; w++)	/* bound: LAPIC_NWORDS */
		any |= l->irr[w];
	if (!any)
		return -1;
	int irrv = highest_vec(l->irr);
	if (irrv < 0)
		return -1;
	uint8_t ppr = vlapic_ppr(l);

	if (ppr && ((unsigned)irrv & CLASS_MASK) <= (ppr & CLASS_MASK))
		return -1;
	return irrv;
}

/* ---- 2. accepting interrupts, errors ----------------------------------- */

static void latch(struct vlapic *l, uint8_t vector, bool level)
{
	set_vec(l->irr, vector);
	if (level)
		set_vec(l->tmr, vector);
	else
		clear_vec(l->tmr, vector);
	l->accepted++;
}

/* An error: logged for the next ESR write, and the LVT error interrupt
 * (its own vector is latched without checks, so an error cannot recurse). */
static void apic_error(struct vlapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[LVT_ERROR];
	uint8_t v = lvt & LAPIC_VECTOR_MASK;

	l->esr_pending |= bits;
	if (!(lvt & LAPIC_MASKED) && v >= LAPIC_FIRST_VALID_VECTOR)
		latch(l, v, false);
}

void vlapic_accept_irq(struct vlapic *l, uint8_t vector, bool level)
{
	if (vector < LAPIC_FIRST_VALID_VECTOR) {
		apic_error(l, LAPIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	latch(l, vector, level);
}

static bool is_for_me(const struct vlapic *l, uint8_t dest, bool logical)
{
	if (!logical)
		return dest == LAPIC_BROADCAST_ID || dest == l->id;
	if (l->dfr_model == DFR_FLAT)
		return (dest & l->ldr) != 0;
	if (l->dfr_model == DFR_CLUSTER)
		return (dest & LOGICAL_CLUSTER_MASK) == (l->ldr & LOGICAL_CLUSTER_MASK) &&
		       (dest & l->ldr & LOGICAL_MEMBER_MASK) != 0;
	return false;
}

bool vlapic_deliver(struct vlapic *l, const struct vapic_msg *m)
{
	if (!is_for_me(l, m->dest, m->logical)) {
		l->not_for_us++;
		return false;
	}
	if (m->delivery_mode != LAPIC_DM_FIXED && m->delivery_mode != LAPIC_DM_LOWPRI) {
		l->ipi_unsupported++;
		return false;
	}
	vlapic_accept_irq(l, m->vector, m->level);
	return true;
}

static unsigned lvt_mode(uint32_t lvt)
{
	return (lvt & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT;
}

/* A local source (timer, LINT, error) fires through its LVT entry. */
static void local_deliver(struct vlapic *l, unsigned idx, bool level)
{
	uint32_t lvt = l->lvt[idx];

	if (lvt & LAPIC_MASKED)
		return;
	if (lvt_mode(lvt) == LAPIC_DM_FIXED)
		vlapic_accept_irq(l, lvt & LAPIC_VECTOR_MASK, level);
	else if (lvt_mode(lvt) != LAPIC_DM_EXTINT)
		l->ipi_unsupported++;       /* NMI, SMI, INIT from an LVT */
}

void vlapic_set_lint(struct vlapic *l, unsigned pin, bool level)
{
	unsigned idx = pin ? LVT_LINT1 : LVT_LINT0;
	uint32_t lvt = l->lvt[idx];
	bool was = l->lint_level[pin ? 1 : 0];
	bool level_mode = lvt & LAPIC_LEVEL;

	l->lint_level[pin ? 1 : 0] = level;
	if (level && !was)
		local_deliver(l, idx, level_mode);
	else if (!level && was && level_mode && lvt_mode(lvt) == LAPIC_DM_FIXED)
		clear_vec(l->irr, lvt & LAPIC_VECTOR_MASK);    /* request withdrawn */
}

bool vlapic_accepts_pic(const struct vlapic *l)
{
	return !(l->lvt[LVT_LINT0] & LAPIC_MASKED);
}

/* ---- 3. the timer ------------------------------------------------------ */

static bool periodic(const struct vlapic *l)
{
	return l->lvt[LVT_TIMER] & LAPIC_TIMER_PERIODIC;
}

/* One period: TICR + 1 counts of 2^shift nanoseconds (QEMU). */
static uint64_t period_ns(const struct vlapic *l)
{
	return ((uint64_t)l->ticr + 1) << l->shift;
}

static uint32_t current_count(const struct vlapic *l)
{
	uint64_t d = (l->now_ns - l->load_ns) >> l->shift;

	if (l->ticr == 0)
		return 0;
	if (periodic(l))
		return l->ticr - (uint32_t)(d % ((uint64_t)l->ticr + 1));
	return d >= l->ticr ? 0 : l->ticr - (uint32_t)d;
}

/* Expiries with old < instant <= new, both measured from the load. */
static uint32_t expiries(const struct vlapic *l, uint64_t old, uint64_t new)
{
	uint64_t p = period_ns(l);

	if (l->ticr == 0)
		return 0;
	if (periodic(l))
		return (uint32_t)(new / p - old / p);
	return old < p && new >= p;
}

uint32_t vlapic_advance_held(struct vlapic *l, uint64_t ns)
{
	uint64_t old = l->now_ns - l->load_ns;
	uint32_t n = expiries(l, old, old + ns);

	l->now_ns += ns;
	l->timer_fires += n;
	return n;
}

void vlapic_timer_fire(struct vlapic *l)
{
	local_deliver(l, LVT_TIMER, false);     /* several merge in IRR */
}

uint32_t vlapic_advance(struct vlapic *l, uint64_t ns)
{
	uint32_t n = vlapic_advance_held(l, ns);

	if (n)
		vlapic_timer_fire(l);
	return n;
}

uint64_t vlapic_ns_to_timer(const struct vlapic *l)
{
	uint64_t into = l->now_ns - l->load_ns, p = period_ns(l);

	if (l->ticr == 0 || (l->lvt[LVT_TIMER] & LAPIC_MASKED))
		return VLAPIC_NO_TIMER;
	if (periodic(l))
		return p - into % p;
	return into < p ? p - into : VLAPIC_NO_TIMER;
}

uint64_t vlapic_pit_to_ns(uint64_t ticks)
{
	return ticks / PIT_HZ * NS_PER_SECOND + ticks % PIT_HZ * NS_PER_SECOND / PIT_HZ;
}

static void write_tdcr(struct vlapic *l, uint32_t v)
{
	unsigned code;

	l->tdcr = v & LAPIC_TDCR_MASK;
	code = (l->tdcr & 3) | ((l->tdcr >> 1) & 4);    /* bits 3,1,0 -> 2,1,0 */
	l->shift = (code + 1) & 7;                      /* 111 means divide by 1 */
}

/* ---- 4. IPIs ----------------------------------------------------------- */

static bool ipi_includes_self(const struct vlapic *l, uint32_t lo)
{
	unsigned sh = (lo & LAPIC_SHORTHAND_MASK) >> LAPIC_SHORTHAND_SHIFT;

	if (sh == LAPIC_SH_SELF || sh == LAPIC_SH_ALL)
		return true;
	if (sh == LAPIC_SH_OTHERS)
		return false;
	return is_for_me(l, (uint8_t)(l->icr_hi >> LAPIC_ICR_DEST_SHIFT), lo & LAPIC_DEST_LOGICAL);
}

static void write_icr(struct vlapic *l, uint32_t lo)
{
	unsigned mode = lvt_mode(lo);
	uint8_t vector = lo & LAPIC_VECTOR_MASK;

	l->icr_lo = lo & ~LAPIC_DELIVS;             /* delivered at once */
	if (mode == LAPIC_DM_INIT && (lo & LAPIC_LEVEL) && !(lo & LAPIC_ICR_ASSERT))
		return;                             /* INIT de-assert: no effect */
	if (!ipi_includes_self(l, lo)) {
		l->ipi_nobody++;                    /* no other CPU exists */
		return;
	}
	if (mode != LAPIC_DM_FIXED && mode != LAPIC_DM_LOWPRI) {
		l->ipi_unsupported++;
		return;
	}
	l->ipi_self++;
	if (vector < LAPIC_FIRST_VALID_VECTOR)
		apic_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
	else
		latch(l, vector, lo & LAPIC_LEVEL);
}

/* ---- 5. the register page ---------------------------------------------- */

static void eoi(struct vlapic *l)
{
	int v = highest_vec(l->isr);

	if (v < 0)
		return;
	clear_vec(l->isr, (unsigned)v);
	l->eois++;
	if (test_vec(l->tmr, (unsigned)v) && l->eoi_level)
		l->eoi_level(l->eoi_ctx, (uint8_t)v);
}

static uint32_t read_reg(struct vlapic *l, unsigned r)
{
	if (r >= R_ISR && r < R_ISR + LAPIC_NWORDS)
		return l->isr[r - R_ISR];
	if (r >= R_TMR && r < R_TMR + LAPIC_NWORDS)
		return l->tmr[r - R_TMR];
	if (r >= R_IRR && r < R_IRR + LAPIC_NWORDS)
		return l->irr[r - R_IRR];
	if (r >= R_LVT && r < R_LVT_END)
		return l->lvt[r - R_LVT];
	switch (r) {
	case R_ID:      return (uint32_t)l->id << ID_SHIFT;
	case R_VER:     return LAPIC_VERSION | ((LAPIC_NLVT - 1) << LVT_MAX_SHIFT);
	case R_TPR:     return l->tpr;
	case R_APR:     return 0;       /* arbitration: one CPU */
	case R_PPR:     return vlapic_ppr(l);
	case R_EOI:     return 0;
	case R_LDR:     return (uint32_t)l->ldr << LDR_SHIFT;
	case R_DFR:     return ((uint32_t)l->dfr_model << DFR_MODEL_SHIFT) | DFR_RESERVED_ONES;
	case R_SVR:     return l->svr;
	case R_ESR:     return l->esr;
	case R_ICR_LO:  return l->icr_lo;
	case R_ICR_HI:  return l->icr_hi;
	case R_TICR:    return l->ticr;
	case R_TCCR:    return current_count(l);
	case R_TDCR:    return l->tdcr;
	}
	apic_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
	return 0;
}

/* Registers that ignore writes (read-only, or write-only EOI handled apart). */
static bool read_only(unsigned r)
{
	return r == R_VER || r == R_APR || r == R_PPR || r == R_TCCR ||
	       (r >= R_ISR && r < R_IRR + LAPIC_NWORDS);
}

static void write_reg(struct vlapic *l, unsigned r, uint32_t v)
{
	if (r >= R_LVT && r < R_LVT_END) {
		l->lvt[r - R_LVT] = v;
		return;
	}
	if (read_only(r))
		return;
	switch (r) {
	case R_ID:      l->id = (uint8_t)(v >> ID_SHIFT); return;
	case R_TPR:     l->tpr = (uint8_t)(v & TPR_MASK); return;
	case R_EOI:     eoi(l); return;
	case R_LDR:     l->ldr = (uint8_t)(v >> LDR_SHIFT); return;
	case R_DFR:     l->dfr_model = (uint8_t)(v >> DFR_MODEL_SHIFT); return;
	case R_SVR:     l->svr = v & LAPIC_SVR_MASK; return;
	case R_ESR:     l->esr = l->esr_pending; l->esr_pending = 0; return;
	case R_ICR_LO:  write_icr(l, v); return;
	case R_ICR_HI:  l->icr_hi = v; return;
	case R_TICR:    l->ticr = v; l->load_ns = l->now_ns; return;
	case R_TDCR:    write_tdcr(l, v); return;
	}
	apic_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
}

static unsigned reg_index(uint32_t off)
{
	return ((off & PAGE_MASK) >> REG_INDEX_SHIFT) & REG_INDEX_MASK;
}

uint32_t vlapic_mmio_read(struct vlapic *l, uint32_t off, unsigned size)
{
	if (size != 4) {                /* QEMU: narrower reads give 0 */
		l->bad_access++;
		return 0;
	}
	return read_reg(l, reg_index(off));
}

void vlapic_mmio_write(struct vlapic *l, uint32_t off, unsigned size, uint32_t value)
{
	if (size != 4) {
		l->bad_access++;
		return;
	}
	write_reg(l, reg_index(off), value);
}

/* ---- 6. INTA and init -------------------------------------------------- */

unsigned vlapic_ack(struct vlapic *l)
{
	int v = vlapic_pending_vector(l);

	if (v < 0) {
		l->spurious++;
		return l->svr & LAPIC_VECTOR_MASK;
	}
	clear_vec(l->irr, (unsigned)v);
	set_vec(l->isr, (unsigned)v);
	l->acks++;
	return (unsigned)v;
}

void vlapic_init(struct vlapic *l, uint8_t id, vlapic_eoi_fn eoi_fn, void *ctx)
{
	*l = (struct vlapic){ .id = id, .svr = BIOS_SVR, .dfr_model = DFR_FLAT,
			      .icr_lo = BIOS_ICR_LO, .eoi_level = eoi_fn, .eoi_ctx = ctx };
	for (unsigned i = 0; i < LAPIC_NLVT; i++)	/* bound: LAPIC_NLVT */
		l->lvt[i] = LAPIC_MASKED;
	l->lvt[LVT_LINT0] = BIOS_LINT0;
	l->lvt[LVT_LINT1] = BIOS_LINT1;
	write_tdcr(l, 0);
}
