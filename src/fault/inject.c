/*
 * inject.c - one fault per run: wait for the trigger, inject, keep a
 * stuck-at fault stuck, tell whether it was activated, watch for hangs.
 *
 * A fault goes through these phases:
 *
 *   WAITING  the trigger is not due yet (checked at every trap boundary,
 *            at every emulated instruction for emul: triggers, at every
 *            hit of the DR0 breakpoint for eip: triggers)
 *   FIRED    due: a fault on guest state (reg, mem, pte, pde, insn) is
 *            injected at this trap boundary, in the state the guest
 *            resumes with; a fault on an event (port read, timer edge,
 *            emulation result, shadow invalidation) waits for its event
 *   STUCK    persist=N|forever: the state is forced back to the faulty
 *            value at each of the next N trap boundaries; an event fault
 *            corrupts every such event in that window.  The log says at
 *            the window's end (or the run's) how often the guest had
 *            changed the state back and how many events were corrupted
 *   DONE     nothing more to do; the run goes on
 *
 * Activation is said where the monitor can tell: a memory byte is watched
 * by two debug registers after the flip (read first: activated;
 * overwritten first, or never touched: not); a corrupted event (port
 * value, timer edge, emulation result, dropped invalidation) is activated
 * when it happens; a register, a page-table entry or an instruction byte
 * is "unknown" (the guest may or may not use it), except EFLAGS bits the
 * monitor's exit path overrides (masked: not activated).
 *
 * The watchdog (watchdog=MS) ends a run whose guest has not exited after
 * MS milliseconds of virtual time: MON_EXIT_HANG with one line saying so.
 * It is checked at every trap boundary and while the guest idles in HLT;
 * the monitor's own timer interrupt traps at least every millisecond while
 * the guest's virtual IF is set, and the NMI watchdog every HOST_NMI_MS
 * while it is clear (iflag=real), so a spinning guest is caught either way.
 */
#include "fault.h"
#include "spec.h"
#include "trigger.h"
#include "target.h"
#include "monitor/debugreg.h"
#include "monitor/hosthw.h"
#include "monitor/layout.h"
#include "monitor/memory.h"
#include "monitor/monitor.h"
#include "monitor/stats.h"
#include "monitor/x86.h"
#include "trap/guest.h"
#include "shadow_mmu/shadow.h"
#include "monitor/devices.h"

#define US_PER_MS 1000ull
#define DESC_MAX 64

enum phase { PH_WAITING, PH_FIRED, PH_STUCK, PH_DONE };
enum act { ACT_UNKNOWN, ACT_YES, ACT_NO };

bool fault_armed;

static struct {
	struct fault_spec s;
	uint32_t watchdog_ms;
	enum phase phase;
	bool injected;
	enum act act;
	const char *why;        /* the activation verdict's reason */
	uint32_t persist_left;  /* STUCK: trap boundaries to go */
	uint32_t traps;         /* trap boundaries seen */
	uint32_t at_trap, at_eip;
	uint64_t at_us;
	uint32_t eip_hits;      /* TG_EIP: DR0 hits so far */
	uint32_t stuck;         /* the faulty value (register, entry, byte) */
	uint32_t reforced;      /* STUCK: times the guest had changed it back */
	uint32_t events;        /* event faults: events corrupted */
	uint32_t gpa;           /* mem/pte/pde/insn: where it is */
	bool delayed;           /* an IRQ 0 edge held back ... */
	uint64_t delayed_due_us;        /* ... until then */
	bool ptwrite_now;       /* this trap emulates a page-table write */
} inj;        /* the one fault of this run */

static bool is_state_target(enum fault_target t)
{
	return t == FT_REG || t == FT_MEM || t == FT_PTE || t == FT_PDE || t == FT_INSN;
}

static uint64_t now_us(void)
{
	return trigger_ticks_to_us(host_pit_now());
}

static void verdict(enum act a, const char *why)
{
	if (inj.act == ACT_YES || (inj.act == ACT_NO && a == ACT_NO))
		return;         /* the first verdict stands, unless a read follows */
	inj.act = a;
	inj.why = why;
	mon_log("fault: %s: %s", a == ACT_YES ? "activated" : "not activated", why);
}

/* ---- guest memory without side effects ---- */

static int read32(void *ctx, uint32_t g, uint32_t *val)
{
	(void)ctx;
	return gpa_read(gpa(g), val, sizeof *val);
}

static void write_guest(struct vcpu *v, uint32_t g, const void *src, uint32_t n)
{
	if (gpa_write(gpa(g), src, n) == 0)
		shadow_guest_wrote(v, g, n);
}

/* ---- the phases ---- */

static void fire(struct vcpu *v)
{
	char t[DESC_MAX], w[DESC_MAX];

	inj.phase = PH_FIRED;
	inj.at_trap = inj.traps;
	inj.at_eip = v->tf.eip;
	inj.at_us = now_us();
	inj.persist_left = inj.s.persist;
	fault_describe_target(&inj.s, t, sizeof t);
	fault_describe_trigger(&inj.s, w, sizeof w);
	mon_log("fault: due: %s at %s: trap %u, eip 0x%x, %llu us", t, w, inj.traps, v->tf.eip,
		(unsigned long long)inj.at_us);
}

static void injected(const char *what, uint32_t before, uint32_t after)
{
	inj.injected = true;
	mon_log("fault: injected: %s 0x%x -> 0x%x at trap %u, eip 0x%x, %llu us", what, before,
		after, inj.at_trap, inj.at_eip, (unsigned long long)inj.at_us);
}

/* After a state fault: stuck, or done. */
static void settle(void)
{
	inj.phase = inj.s.persist == PERSIST_ONCE ? PH_DONE : PH_STUCK;
}

static void inject_reg(struct vcpu *v)
{
	uint32_t before = target_reg_value(&v->tf, v->vif, inj.s.reg);

	inj.stuck = target_flip_reg(&v->tf, &v->vif, &inj.s);
	injected(fault_reg_name(inj.s.reg), before, inj.stuck);
	if (target_reg_masked(&inj.s))
		verdict(ACT_NO, "EFLAGS bits the monitor's exit path overrides");
	settle();
}

static void inject_entry(struct vcpu *v)
{
	const char *why = "";
	uint32_t e;

	if (target_entry_gpa(v->cr0, v->cr3, v->cr4, inj.s.addr, inj.s.target == FT_PDE, read32, 0,
			     &inj.gpa, &why) < 0 || read32(0, inj.gpa, &e) < 0) {
		verdict(ACT_NO, why[0] ? why : "the entry is not in RAM");
		inj.phase = PH_DONE;
		return;
	}
	inj.stuck = e ^ fault_mask(&inj.s);
	write_guest(v, inj.gpa, &inj.stuck, sizeof inj.stuck);
	injected(inj.s.target == FT_PDE ? "pde" : "pte", e, inj.stuck);
	settle();
}

/* A byte at guest-linear va (mem:, insn:). */
static int inject_byte(struct vcpu *v, uint32_t va, const char *what)
{
	const char *why = "";
	uint8_t b;

	if (target_linear_to_gpa(v->cr0, v->cr3, v->cr4, va, read32, 0, &inj.gpa, &why) < 0 ||
	    gpa_read(gpa(inj.gpa), &b, 1) < 0) {
		verdict(ACT_NO, why[0] ? why : "the byte is not in RAM");
		inj.phase = PH_DONE;
		return -1;
	}
	inj.stuck = (uint8_t)(b ^ fault_mask(&inj.s));
	write_guest(v, inj.gpa, &inj.stuck, 1);
	injected(what, b, inj.stuck);
	settle();
	return 0;
}

static void inject_mem(struct vcpu *v)
{
	if (inj.s.addr >= SWITCHER_BASE) {        /* never the guest's: no watch there */
		verdict(ACT_NO, "the address is in the monitor's switcher slot");
		inj.phase = PH_DONE;
		return;
	}
	if (inject_byte(v, inj.s.addr, "mem") < 0)
		return;
	dr_arm(DR_WRITE_WATCH, inj.s.addr, DRK_WRITE);
	dr_arm(DR_RW_WATCH, inj.s.addr, DRK_RDWR);
}

static void inject_insn(struct vcpu *v)
{
	uint32_t va = segment_base(v, (uint16_t)v->tf.cs) + v->tf.eip + inj.s.addr;

	if (inject_byte(v, va, "insn byte") == 0)
		verdict(ACT_YES, "the guest resumes at that instruction");
}

static void inject_state(struct vcpu *v)
{
	switch (inj.s.target) {
	case FT_REG: inject_reg(v); return;
	case FT_PTE:
	case FT_PDE: inject_entry(v); return;
	case FT_MEM: inject_mem(v); return;
	case FT_INSN: inject_insn(v); return;
	default: return;
	}
}

/* Stuck-at: force the faulty bits again. */
static void restick(struct vcpu *v)
{
	uint32_t mask = fault_mask(&inj.s), cur = 0;

	if (inj.s.target == FT_REG) {
		if ((target_reg_value(&v->tf, v->vif, inj.s.reg) & mask) != (inj.stuck & mask))
			inj.reforced++;
		target_force_reg(&v->tf, &v->vif, &inj.s, inj.stuck);
		return;
	}
	unsigned n = inj.s.target == FT_PTE || inj.s.target == FT_PDE ? 4 : 1;
	if (gpa_read(gpa(inj.gpa), &cur, n) < 0 || (cur & mask) == (inj.stuck & mask))
		return;
	cur = (cur & ~mask) | (inj.stuck & mask);
	write_guest(v, inj.gpa, &cur, n);
	inj.reforced++;
}

/* What a stuck-at fault did in the traps it was held (the log's only
 * sign of it). */
static void log_window(const char *what, uint32_t traps)
{
	mon_log("fault: %s %u traps after the injection: re-forced %u times, %u events "
		"corrupted", what, traps, inj.reforced, inj.events);
}

static void end_window(void)
{
	inj.phase = PH_DONE;
	log_window("released: held for", inj.s.persist);
	if (inj.s.target == FT_MEM && inj.act == ACT_UNKNOWN)
		return;         /* the watch stays until the first access */
	dr_disarm(DR_WRITE_WATCH);
	dr_disarm(DR_RW_WATCH);
}

static void persist_step(struct vcpu *v)
{
	if (inj.s.persist == PERSIST_FOREVER || inj.persist_left-- > 0) {
		if (inj.phase == PH_STUCK)
			restick(v);
		return;
	}
	end_window();
}

/* An event fault took effect. */
static void event_hit(const char *what, uint32_t before, uint32_t after)
{
	inj.events++;
	if (!inj.injected)
		injected(what, before, after);
	verdict(ACT_YES, what);
	if (inj.s.persist == PERSIST_ONCE)
		inj.phase = PH_DONE;
}

static bool event_armed(enum fault_target t)
{
	return inj.s.target == t && (inj.phase == PH_FIRED || inj.phase == PH_STUCK);
}

/* ---- the watchdog and the delayed timer edge ---- */

static void hang_end(struct vcpu *v, uint64_t t)
{
	mon_log("hang: the guest did not exit within %u ms of virtual time (now %llu us, "
		"eip 0x%x, virtual IF %u)", inj.watchdog_ms, (unsigned long long)t, v->tf.eip,
		v->vif ? 1u : 0u);
	stats_print(v);
	mon_exit(MON_EXIT_HANG);
}

static void time_passes(struct vcpu *v)
{
	uint64_t t = now_us();

	if (inj.watchdog_ms && t >= inj.watchdog_ms * US_PER_MS)
		hang_end(v, t);
	if (inj.delayed && t >= inj.delayed_due_us) {
		inj.delayed = false;
		devices_timer_edge(inj.s.timer);
	}
}

/* ---- hooks ---- */

void fault_init(const struct mon_options *o)
{
	char t[DESC_MAX], w[DESC_MAX];

	inj.s = o->fault;
	inj.watchdog_ms = o->watchdog_ms;
	fault_armed = inj.s.target != FT_NONE || inj.watchdog_ms != 0;
	if (inj.watchdog_ms)
		mon_log("fault: watchdog: %u ms of virtual time", inj.watchdog_ms);
	if (inj.s.target == FT_NONE)
		return;
	fault_describe_target(&inj.s, t, sizeof t);
	fault_describe_trigger(&inj.s, w, sizeof w);
	if (inj.s.persist == PERSIST_ONCE)
		mon_log("fault: armed: %s at %s, once", t, w);
	else if (inj.s.persist == PERSIST_FOREVER)
		mon_log("fault: armed: %s at %s, stuck forever", t, w);
	else
		mon_log("fault: armed: %s at %s, stuck for %u traps", t, w, inj.s.persist);
	if (inj.s.trig == TG_EIP && inj.s.trig_addr < SWITCHER_BASE)
		dr_arm(DR_EIP, inj.s.trig_addr, DRK_EXEC);  /* the switcher slot: never */
}

void fault_trap(struct vcpu *v)
{
	inj.traps++;
	inj.ptwrite_now = false;
	time_passes(v);
	if (inj.phase == PH_WAITING && trigger_due(&inj.s, &v->stats, now_us()))
		fire(v);
	if (inj.phase == PH_FIRED && is_state_target(inj.s.target)) {
		inject_state(v);
		return;
	}
	if (inj.phase == PH_FIRED && inj.s.target == FT_IRQ && inj.s.mode == FIRQ_SPURIOUS) {
		devices_timer_edge(inj.s.timer);
		event_hit("a spurious timer edge raised", 0, 1);
		inj.phase = PH_DONE;
		return;
	}
	if ((inj.phase == PH_STUCK || (inj.phase == PH_FIRED && inj.s.persist != PERSIST_ONCE)) &&
	    inj.traps > inj.at_trap)
		persist_step(v);
}

/* Our breakpoint or watch, hit by the guest. */
static void watch_hit(struct vcpu *v, uint32_t dr6)
{
	uint8_t now = 0;

	gpa_read(gpa(inj.gpa), &now, 1);
	if (target_watch_verdict((dr6 & DR6_B(DR_WRITE_WATCH)) != 0, now, (uint8_t)inj.stuck,
				 (uint8_t)fault_mask(&inj.s)) == WATCH_READ) {
		verdict(ACT_YES, "the guest read the flipped byte");
		mon_log("fault: read at eip 0x%x", v->tf.eip);
	} else if (inj.phase != PH_STUCK) {
		verdict(ACT_NO, "the guest overwrote the flipped byte before reading it");
		mon_log("fault: overwritten at eip 0x%x", v->tf.eip);
	} else {
		return;         /* stuck: it comes back; keep watching for a read */
	}
	dr_disarm(DR_WRITE_WATCH);
	dr_disarm(DR_RW_WATCH);
}

/* trap.c read DR6 (and cleared it); our hits are taken out of *dr6, so
 * the guest's virtual DR6 never shows them.  True if nothing is left for
 * the guest (no single step, no breakpoint of its own). */
bool fault_debug_trap(struct vcpu *v, uint32_t *dr6_in)
{
	uint32_t dr6 = *dr6_in & DR6_B_MASK;

	if (!dr6)
		return false;
	*dr6_in &= ~dr6;
	if (dr6 & DR6_B(DR_EIP)) {
		v->tf.eflags |= FL_RF;  /* resume: the instruction runs once */
		if (++inj.eip_hits >= inj.s.trig_count && inj.phase == PH_WAITING) {
			dr_disarm(DR_EIP);
			fire(v);
		}
	}
	if (dr6 & (DR6_B(DR_WRITE_WATCH) | DR6_B(DR_RW_WATCH)))
		watch_hit(v, dr6);
	return !(*dr6_in & DR6_STATUS);  /* a single step too: the usual path */
}

bool fault_host_debug(struct trapframe *f)
{
	if (f->vector != T_DB)
		return false;
	uint32_t dr6 = rdr6();
	ldr6(DR6_FIXED1);
	if (!(dr6 & DR6_B_MASK))
		return false;
	if (dr6 & DR6_B(DR_EIP))
		f->eflags |= FL_RF;     /* the monitor's code at that address */
	return true;
}

void fault_emulated(struct vcpu *v, const struct insn *in)
{
	unsigned gpr;

	if (inj.phase == PH_WAITING && inj.s.trig == TG_EMUL && in->kind == inj.s.trig_what &&
	    trigger_due(&inj.s, &v->stats, 0))
		fire(v);
	if (!event_armed(FT_EMUL))
		return;
	switch (target_emul_dest(in, &gpr)) {
	case EDEST_GPR: {
		uint32_t *r = vcpu_gpr(v, gpr), before = *r;
		*r = in->kind == INSN_IN ? target_port_value(*r, in->width, inj.s.bit)
					 : *r ^ (1u << inj.s.bit);
		event_hit(in->mnem, before, *r);
		return;
	}
	case EDEST_VIF:
		vcpu_set_vif(v, !v->vif);
		event_hit(in->mnem, !v->vif, v->vif);
		return;
	default:
		return;
	}
}

uint32_t fault_port_read(uint16_t port, unsigned size, uint32_t val)
{
	if (!event_armed(FT_PORT) || port != inj.s.addr)
		return val;
	uint32_t bad = target_port_value(val, size, inj.s.bit);
	event_hit("port read", val, bad);
	return bad;
}

bool fault_timer_edge(unsigned timer)
{
	if (!event_armed(FT_IRQ) || inj.s.timer != timer || inj.s.mode == FIRQ_SPURIOUS)
		return true;
	if (inj.s.mode == FIRQ_DELAY) {
		if (inj.delayed)
			return true;
		inj.delayed = true;
		inj.delayed_due_us = now_us() + inj.s.delay_ms * US_PER_MS;
		event_hit("a timer edge delayed", 0, inj.s.delay_ms);
		return false;
	}
	event_hit("a timer edge lost", 1, 0);
	return false;
}

void fault_shadow_fault(struct vcpu *v, int result)
{
	(void)v;
	inj.ptwrite_now = result == SHADOW_PT_WRITE;
}

bool fault_drop_invlpg(struct vcpu *v, uint32_t va)
{
	(void)v;
	if (!event_armed(FT_SHADOW) || inj.s.mode != FSH_INVLPG)
		return false;
	event_hit("an invlpg dropped", va, va);
	return true;
}

bool fault_drop_shadow_update(struct vcpu *v, uint32_t g)
{
	(void)v;
	if (!event_armed(FT_SHADOW) || inj.s.mode != FSH_PTWRITE || !inj.ptwrite_now)
		return false;
	event_hit("a page-table write's shadow update dropped", g, g);
	return true;
}

void fault_idle(struct vcpu *v)
{
	time_passes(v);
}

static const char *act_name(enum act a)
{
	return a == ACT_YES ? "yes" : a == ACT_NO ? "no" : "unknown";
}

void fault_report(const struct vcpu *v)
{
	(void)v;
	if (inj.s.target == FT_NONE) {
		mon_log("fault: result: none end_us=%llu", (unsigned long long)now_us());
		return;
	}
	if (inj.phase == PH_WAITING)
		verdict(ACT_NO, "the trigger was never reached");
	else if (!inj.injected && inj.act == ACT_UNKNOWN)
		verdict(ACT_NO, "the corrupted event never happened after the trigger");
	else if (inj.s.target == FT_MEM && inj.act == ACT_UNKNOWN)
		verdict(ACT_NO, "the guest never touched the flipped byte (as far as a watch "
			"on its linear address sees)");
	if (inj.s.persist != PERSIST_ONCE && (inj.phase == PH_STUCK || inj.phase == PH_FIRED))
		log_window("still stuck at the end of the run,", inj.traps - inj.at_trap);
	mon_log("fault: result: injected=%u activated=%s trap=%u eip=0x%x us=%llu end_us=%llu",
		inj.injected ? 1u : 0u, act_name(inj.act), inj.at_trap, inj.at_eip,
		(unsigned long long)inj.at_us, (unsigned long long)now_us());
}
