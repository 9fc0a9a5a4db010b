/*
 * stats.c - what the guest made the monitor do, counted and shown.
 *
 * Every trap is counted by real vector; every emulated instruction by kind
 * (the decoder's enum insn_kind); every instruction the monitor refused to
 * emulate by opcode, so nothing is skipped silently.  stats_print() writes
 * the exit table to the monitor's log when the guest ends (stats=on).
 * With trace=traps, each trap also prints one line: vector, guest EIP and
 * ring, the decoded instruction, and what the monitor did about it.
 */
#include "stats.h"
#include "run.h"
#include "monitor.h"
#include "devices.h"
#include "lib/fmt.h"
#include "shadow_mmu/shadow.h"
#include "trap/switcher.h"
#include "fault/fault.h"

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "-", "#TS",
	"#NP", "#SS", "#GP", "#PF", "-", "#MF", "#AC", "#MC", "#XM",
};

static const char *vector_name(unsigned v, char *buf, unsigned n)
{
	if (v < 32 && vector_names[v])
		return vector_names[v];
	fmt_snprintf(buf, n, v >= 0x20 && v < 0x30 ? "irq%u" : "vec%u", v >= 0x20 && v < 0x30 ? v - 0x20 : v);
	return buf;
}

void stats_refused(struct vcpu *v, const struct insn *in)
{
	uint16_t op = (uint16_t)((in->map == MAP_0F ? 0x0F00 : 0) | in->opcode);
	struct vcpu_stats *s = &v->stats;

	s->refused++;
	for (unsigned i = 0; i < 16; i++) {	/* bound: the 16 refused-opcode slots */
		if (s->refused_count[i] == 0 || s->refused_op[i] == op) {
			s->refused_op[i] = op;
			s->refused_count[i]++;
			break;
		}
	}
	mon_log("not emulated: %s (opcode %s%02x) at 0x%x: #GP injected", in->mnem,
		in->map == MAP_0F ? "0f " : "", in->opcode, v->tf.eip);
}

static void print_traps(const struct vcpu *v)
{
	char name[16];
	mon_log("exits by vector:");
	for (unsigned i = 0; i < 256; i++)	/* bound: 256 vectors */
		if (v->stats.traps[i])
			mon_log("  %-6s %10u", vector_name(i, name, sizeof name), v->stats.traps[i]);
}

static void print_emulated(const struct vcpu *v)
{
	mon_log("emulated instructions:");
	for (unsigned k = 0; k < INSN_KIND_COUNT; k++)	/* bound: INSN_KIND_COUNT */
		if (v->stats.emul[k])
			mon_log("  %-10s %10u", v->stats.emul_name[k], v->stats.emul[k]);
	/* bound: the 16 refused-opcode slots */
	for (unsigned i = 0; i < 16 && v->stats.refused_count[i]; i++)
		mon_log("  refused opcode %s%02x: %u", v->stats.refused_op[i] > 0xFF ? "0f " : "",
			v->stats.refused_op[i] & 0xFF, v->stats.refused_count[i]);
}

/* The switcher's fast path counts what it does in sw_fast, which the
 * guest could write: these counts are the guest's word, for this table
 * only (nothing in the monitor acts on them). */
static void print_events(const struct vcpu *v)
{
	const struct vcpu_stats *s = &v->stats;
	const struct switcher_fast *f = sw_fast;
	char name[16];

	mon_log("reflected to the guest:");
	for (unsigned i = 0; i < 32; i++)	/* bound: the 32 exception vectors */
		if (s->reflected[i])
			mon_log("  %-6s %10u", vector_name(i, name, sizeof name), s->reflected[i]);
	mon_log("  INT n  %10u", s->soft_ints);
	mon_log("  IRQs   %10u", s->ext_ints);
	mon_log("shadow MMU (%s): %u hidden faults filled, %u flushes, %u invlpg", shadow_name(),
		s->hidden_pf, s->shadow_flushes, s->shadow_invlpgs + f->invlpg);
	if (mon_opts.ring == 3)
		mon_log("  ring=3: kernel/user view switches %u, kernel resumes in conforming "
			"code %u", s->view_switches, s->conforming_alias);
	if (mon_opts.shadow == SHADOW_CACHED) {
		mon_log("  page-table writes emulated %u, not emulable (frame released) %u, "
			"narrower than an entry (frame released) %u", s->pt_writes,
			s->pt_write_refused, s->pt_write_recycled);
		mon_log("  shadow page tables allocated %u, freed %u", s->spt_alloc, s->spt_free);
		mon_log("  cache (shadow_cache=%u): %u hits, %u misses, %u evictions",
			mon_opts.shadow_cache, s->cache_hits, s->cache_misses, s->cache_evictions);
		mon_log("  frames write-protected %u; unprotected (written, not walked) %u, "
			"kept (active directory) %u", s->protects, s->unprotects, s->unprotect_kept);
	}
	mon_log("halts %u, host timer ticks %u, stale data selectors nulled %u", s->halts,
		s->host_ticks, s->seg_dropped);
	mon_log("descriptors: accessed bits set %u, writes followed %u, pages no longer watched "
		"%u, entries not mapped at load %u; MMIO accesses %u", s->desc_accessed,
		s->desc_writes, s->desc_pages_released, s->desc_unmapped, s->mmio);
	mon_log("direct system-call gates installed %u; switcher fast path: cli %u, sti %u, "
		"mov cr3 %u, in %u, mov from cr %u, invlpg %u, tss esp0 %u, page-table writes %u",
		s->direct_gates, f->cli, f->sti, f->mov_cr3, f->in, f->mov_from_cr, f->invlpg,
		s->fast_esp0, s->fast_pt_writes);
}

void stats_print(const struct vcpu *v)
{
	if (fault_armed)
		fault_report(v);
	if (!mon_opts.stats)
		return;
	print_traps(v);
	print_emulated(v);
	print_events(v);
	devices_report();
}

/* ---- trace=traps ---- */

bool trace_traps_on;

static struct {
	char line[160];
	unsigned n;
} tr;

static void tr_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tr_add(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (tr.n < sizeof tr.line)
		tr.n += (unsigned)fmt_vsnprintf(tr.line + tr.n, sizeof tr.line - tr.n, fmt, ap);
	va_end(ap);
	if (tr.n >= sizeof tr.line)
		tr.n = sizeof tr.line - 1;
}

void trace_begin_line(const struct vcpu *v)
{
	char name[16];

	tr.n = 0;
	tr_add("trap %-5s eip=0x%08x ring=%u", vector_name(v->tf.vector & 0xFF, name, sizeof name),
	       v->tf.eip, mon_opts.ring == 3 ? 3 : v->tf.cs & 3);
	if (mon_opts.ring == 3)         /* the real ring says nothing: which view ran */
		tr_add(v->user_view ? " user" : " kernel");
	if (v->tf.vector < 32 && v->tf.err)
		tr_add(" err=0x%x", v->tf.err);
}

void trace_insn_line(const struct vcpu *v, const struct insn *in)
{
	if (!in) {
		tr_add(" insn=?");
		return;
	}
	tr_add(" insn=%s", in->mnem);
	switch (in->kind) {
	case INSN_IN: case INSN_OUT:
		tr_add(" port 0x%x", in->opcode >= 0xE4 && in->opcode <= 0xE7 ? in->imm & 0xFF
									: v->tf.edx & 0xFFFF);
		break;
	case INSN_INS: case INSN_OUTS:
		tr_add(" port 0x%x", v->tf.edx & 0xFFFF);
		break;
	case INSN_MOV_TO_CR: case INSN_MOV_FROM_CR:
		tr_add(" cr%u", in->reg);
		break;
	case INSN_INT:
		tr_add(" 0x%x", in->imm & 0xFF);
		break;
	default:
		break;
	}
}

void trace_pf_line(uint32_t va, const char *what)
{
	tr_add(" va=0x%x", va);
	trace_action_line(what);
}

void trace_action_line(const char *what)
{
	tr_add(" -> %s", what);
}

void trace_end_line(void)
{
	if (tr.n)
		mon_log("%s", tr.line);
}
