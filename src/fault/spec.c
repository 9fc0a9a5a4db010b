/*
 * spec.c - parse fault=, trigger= and persist= (see spec.h) into struct
 * fault_spec, and describe one for the log.
 *
 * Each value is a ':'-separated list of fields ("reg:eax:5:3"); numbers are
 * decimal or 0x-hex.  Pure: no hardware; the monitor and the host unit test
 * (test/unit/test_fault.c) build the same code.  A value that does not
 * parse is refused with the form it should have had: a campaign that
 * silently injected something else would measure the wrong fault.
 */
#include "spec.h"
#include "trap/decode.h"
#include "lib/fmt.h"

#define FIELDS_MAX 5
#define US_MAX 3600000000ull    /* an hour of virtual time */

struct fields {
	const char *p[FIELDS_MAX];
	size_t n[FIELDS_MAX];
	unsigned count;
};

static const char *const reg_names[FREG_COUNT] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
};

/* The emulated instructions a trigger may count, by the decoder's kind. */
static const char *const insn_names[INSN_KIND_COUNT] = {
	[INSN_CLI] = "cli", [INSN_STI] = "sti", [INSN_HLT] = "hlt",
	[INSN_IN] = "in", [INSN_OUT] = "out", [INSN_INS] = "ins", [INSN_OUTS] = "outs",
	[INSN_LGDT] = "lgdt", [INSN_LIDT] = "lidt", [INSN_LLDT] = "lldt", [INSN_LTR] = "ltr",
	[INSN_LMSW] = "lmsw", [INSN_INVLPG] = "invlpg",
	[INSN_MOV_FROM_CR] = "movfromcr", [INSN_MOV_TO_CR] = "movtocr",
	[INSN_MOV_FROM_DR] = "movfromdr", [INSN_MOV_TO_DR] = "movtodr",
	[INSN_CLTS] = "clts", [INSN_WBINVD] = "wbinvd", [INSN_INVD] = "invd",
	[INSN_RDMSR] = "rdmsr", [INSN_WRMSR] = "wrmsr",
	[INSN_INT] = "int", [INSN_INT3] = "int3", [INSN_INTO] = "into", [INSN_IRET] = "iret",
	[INSN_RET_FAR] = "retf", [INSN_MOV_TO_SREG] = "movss", [INSN_POP_SREG] = "popss",
};

static const char *const shadow_event_names[SEV_COUNT] = {
	"fill", "flush", "invlpg", "ptwrite",
};

const char *fault_reg_name(unsigned reg)
{
	return reg < FREG_COUNT ? reg_names[reg] : "?";
}

const char *fault_insn_name(unsigned kind)
{
	return kind < INSN_KIND_COUNT ? insn_names[kind] : 0;
}

const char *fault_shadow_event_name(unsigned ev)
{
	return ev < SEV_COUNT ? shadow_event_names[ev] : "?";
}

uint32_t fault_mask(const struct fault_spec *s)
{
	uint32_t ones = s->width >= 32 ? 0xFFFFFFFFu : (1u << s->width) - 1;
	return ones << s->bit;
}

/* ---- fields and numbers ---- */

static int split(const char *v, size_t n, struct fields *f)
{
	size_t start = 0;

	f->count = 0;
	for (size_t i = 0; i <= n; i++) {	/* bound: the spec's n characters */
		if (i < n && v[i] != ':')
			continue;
		if (f->count == FIELDS_MAX)
			return -1;
		f->p[f->count] = v + start;
		f->n[f->count++] = i - start;
		start = i + 1;
	}
	return 0;
}

static int field_is(const struct fields *f, unsigned i, const char *lit)
{
	return i < f->count && fmt_strlen(lit) == f->n[i] &&
	       fmt_strncmp(f->p[i], lit, f->n[i]) == 0;
}

static int digit_value(char c, unsigned base)
{
	int d = c >= '0' && c <= '9' ? c - '0' :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return d < (int)base ? d : -1;
}

/* Field i as a number in [min, max] (decimal or 0x-hex); -1 if not. */
static int field_num(const struct fields *f, unsigned i, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	if (i >= f->count || f->n[i] == 0)
		return -1;
	const char *s = f->p[i];
	size_t n = f->n[i], k = 0;
	unsigned base = 10;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		k = 2;
	}
	for (; k < n; k++) {	/* bound: the number's n digits */
		int d = digit_value(s[k], base);
		if (d < 0 || (uint64_t)d > max || v > (max - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

static int name_index(const struct fields *f, unsigned i, const char *const *names,
		      unsigned count)
{
	for (unsigned k = 0; k < count; k++)	/* bound: count names */
		if (names[k] && field_is(f, i, names[k]))
			return (int)k;
	return -1;
}

static int refuse(char *err, size_t errlen, const char *opt, const char *v, size_t n,
		  const char *form)
{
	fmt_snprintf(err, errlen, "bad value in '%s=%.*s': %s", opt, (int)n, v, form);
	return -1;
}

/* ---- fault= ---- */

#define TARGET_FORMS "fault= takes reg:R:BIT[:WIDTH], mem:VA:BIT, pte:VA:BIT, pde:VA:BIT, " \
	"insn:OFF:BIT, port:P:BIT, irq:[lapic:]lost|delay:MS|spurious, emul:BIT, shadow:invlpg|ptwrite"

static int parse_reg(const struct fields *f, struct fault_spec *s)
{
	uint64_t bit, width = 1;
	int r = name_index(f, 1, reg_names, FREG_COUNT);

	if (r < 0 || f->count < 3 || f->count > 4 || field_num(f, 2, 0, 31, &bit) < 0)
		return -1;
	if (f->count == 4 && field_num(f, 3, 1, 32 - bit, &width) < 0)
		return -1;
	s->reg = (unsigned)r;
	s->bit = (unsigned)bit;
	s->width = (unsigned)width;
	return 0;
}

/* KIND:ADDR:BIT with the bit below bits; addr at most addr_max. */
static int parse_addr_bit(const struct fields *f, struct fault_spec *s, uint64_t addr_max,
			  unsigned bits)
{
	uint64_t a, bit;

	if (f->count != 3 || field_num(f, 1, 0, addr_max, &a) < 0 ||
	    field_num(f, 2, 0, bits - 1, &bit) < 0)
		return -1;
	s->addr = (uint32_t)a;
	s->bit = (unsigned)bit;
	s->width = 1;
	return 0;
}

/* irq:[pit:|lapic:]lost|spurious|delay:MS */
static int parse_irq(const struct fields *f, struct fault_spec *s)
{
	uint64_t ms;
	unsigned m = 1;         /* the field with the mode */

	s->timer = FTIMER_PIT;
	if (field_is(f, 1, "lapic") || field_is(f, 1, "pit")) {
		s->timer = field_is(f, 1, "lapic") ? FTIMER_LAPIC : FTIMER_PIT;
		m = 2;
	}
	if (f->count == m + 1 && field_is(f, m, "lost"))
		s->mode = FIRQ_LOST;
	else if (f->count == m + 1 && field_is(f, m, "spurious"))
		s->mode = FIRQ_SPURIOUS;
	else if (f->count == m + 2 && field_is(f, m, "delay") &&
		 field_num(f, m + 1, 1, FAULT_DELAY_MS_MAX, &ms) == 0) {
		s->mode = FIRQ_DELAY;
		s->delay_ms = (uint32_t)ms;
	} else
		return -1;
	return 0;
}

static int parse_target_fields(const struct fields *f, struct fault_spec *s)
{
	uint64_t bit;

	if (field_is(f, 0, "reg")) {
		s->target = FT_REG;
		return parse_reg(f, s);
	}
	if (field_is(f, 0, "mem") || field_is(f, 0, "pte") || field_is(f, 0, "pde")) {
		s->target = field_is(f, 0, "mem") ? FT_MEM : field_is(f, 0, "pte") ? FT_PTE : FT_PDE;
		return parse_addr_bit(f, s, 0xFFFFFFFFu, s->target == FT_MEM ? 8 : 32);
	}
	if (field_is(f, 0, "insn")) {
		s->target = FT_INSN;
		return parse_addr_bit(f, s, FAULT_INSN_OFF_MAX, 8);
	}
	if (field_is(f, 0, "port")) {
		s->target = FT_PORT;
		return parse_addr_bit(f, s, 0xFFFF, 32);
	}
	if (field_is(f, 0, "irq")) {
		s->target = FT_IRQ;
		return parse_irq(f, s);
	}
	if (field_is(f, 0, "emul") && f->count == 2 && field_num(f, 1, 0, 31, &bit) == 0) {
		s->target = FT_EMUL;
		s->bit = (unsigned)bit;
		s->width = 1;
		return 0;
	}
	if (field_is(f, 0, "shadow") && f->count == 2 &&
	    (field_is(f, 1, "invlpg") || field_is(f, 1, "ptwrite"))) {
		s->target = FT_SHADOW;
		s->mode = field_is(f, 1, "invlpg") ? FSH_INVLPG : FSH_PTWRITE;
		return 0;
	}
	return -1;
}

int fault_parse_target(const char *v, size_t n, struct fault_spec *s, char *err, size_t errlen)
{
	struct fields f;

	if (split(v, n, &f) < 0 || parse_target_fields(&f, s) < 0) {
		s->target = FT_NONE;
		return refuse(err, errlen, "fault", v, n, TARGET_FORMS);
	}
	return 0;
}

/* ---- trigger= ---- */

#define TRIGGER_FORMS "trigger= takes trap:VECTOR:N, emul:INSN:N, shadow:fill|flush|invlpg|ptwrite:N, " \
	"irq:N, eip:VA:K or time:US (N, K from 1)"

static int parse_trigger_fields(const struct fields *f, struct fault_spec *s)
{
	uint64_t a, c;
	unsigned last = f->count - 1;

	if (field_is(f, 0, "time") && f->count == 2 && field_num(f, 1, 0, US_MAX, &a) == 0) {
		s->trig = TG_TIME;
		s->trig_us = a;
		return 0;
	}
	if (f->count < 2 || field_num(f, last, 1, 0xFFFFFFFFu, &c) < 0)
		return -1;
	s->trig_count = (uint32_t)c;
	if (field_is(f, 0, "irq") && f->count == 2) {
		s->trig = TG_IRQ;
		return 0;
	}
	if (f->count != 3)
		return -1;
	int k;
	if (field_is(f, 0, "trap") && field_num(f, 1, 0, 255, &a) == 0) {
		s->trig = TG_TRAP;
		s->trig_what = (unsigned)a;
	} else if (field_is(f, 0, "emul") && (k = name_index(f, 1, insn_names, INSN_KIND_COUNT)) >= 0) {
		s->trig = TG_EMUL;
		s->trig_what = (unsigned)k;
	} else if (field_is(f, 0, "shadow") &&
		   (k = name_index(f, 1, shadow_event_names, SEV_COUNT)) >= 0) {
		s->trig = TG_SHADOW;
		s->trig_what = (unsigned)k;
	} else if (field_is(f, 0, "eip") && field_num(f, 1, 0, 0xFFFFFFFFu, &a) == 0) {
		s->trig = TG_EIP;
		s->trig_addr = (uint32_t)a;
	} else
		return -1;
	return 0;
}

int fault_parse_trigger(const char *v, size_t n, struct fault_spec *s, char *err, size_t errlen)
{
	struct fields f;

	if (split(v, n, &f) < 0 || parse_trigger_fields(&f, s) < 0) {
		s->trig = TG_NONE;
		return refuse(err, errlen, "trigger", v, n, TRIGGER_FORMS);
	}
	return 0;
}

/* ---- persist= ---- */

int fault_parse_persist(const char *v, size_t n, struct fault_spec *s, char *err, size_t errlen)
{
	struct fields f;
	uint64_t traps;

	split(v, n, &f);
	if (field_is(&f, 0, "once") && f.count == 1)
		s->persist = PERSIST_ONCE;
	else if (field_is(&f, 0, "forever") && f.count == 1)
		s->persist = PERSIST_FOREVER;
	else if (f.count == 1 && field_num(&f, 0, 1, PERSIST_FOREVER - 1, &traps) == 0)
		s->persist = (uint32_t)traps;
	else
		return refuse(err, errlen, "persist", v, n,
			      "persist= takes once, forever or a number of traps from 1");
	return 0;
}

int fault_check(const struct fault_spec *s, char *err, size_t errlen)
{
	if (s->target != FT_NONE && s->trig == TG_NONE) {
		fmt_snprintf(err, errlen, "fault= needs a trigger= saying when to inject it");
		return -1;
	}
	if (s->target == FT_NONE && s->trig != TG_NONE) {
		fmt_snprintf(err, errlen, "trigger= needs a fault= saying what to inject");
		return -1;
	}
	if (s->target == FT_NONE && s->persist != PERSIST_ONCE) {
		fmt_snprintf(err, errlen, "persist= needs a fault= to apply to");
		return -1;
	}
	return 0;
}

/* ---- descriptions ---- */

static const char *const irq_modes[] = { "lost", "delayed", "spurious" };

void fault_describe_target(const struct fault_spec *s, char *buf, size_t n)
{
	switch (s->target) {
	case FT_REG:
		fmt_snprintf(buf, n, "reg %s bits %u-%u", reg_names[s->reg], s->bit,
			     s->bit + s->width - 1);
		return;
	case FT_MEM: fmt_snprintf(buf, n, "mem 0x%x bit %u", s->addr, s->bit); return;
	case FT_PTE: fmt_snprintf(buf, n, "pte of 0x%x bit %u", s->addr, s->bit); return;
	case FT_PDE: fmt_snprintf(buf, n, "pde of 0x%x bit %u", s->addr, s->bit); return;
	case FT_INSN: fmt_snprintf(buf, n, "insn byte eip+%u bit %u", s->addr, s->bit); return;
	case FT_PORT: fmt_snprintf(buf, n, "port 0x%x read bit %u", s->addr, s->bit); return;
	case FT_IRQ: {
		const char *src = s->timer == FTIMER_LAPIC ? "lapic timer" : "irq0";
		if (s->mode == FIRQ_DELAY)
			fmt_snprintf(buf, n, "%s delayed %u ms", src, s->delay_ms);
		else
			fmt_snprintf(buf, n, "%s %s", src, irq_modes[s->mode]);
		return;
	}
	case FT_EMUL: fmt_snprintf(buf, n, "emulation result bit %u", s->bit); return;
	case FT_SHADOW:
		fmt_snprintf(buf, n, "shadow %s dropped", s->mode == FSH_INVLPG ? "invlpg" : "ptwrite");
		return;
	default: fmt_snprintf(buf, n, "none"); return;
	}
}

void fault_describe_trigger(const struct fault_spec *s, char *buf, size_t n)
{
	switch (s->trig) {
	case TG_TRAP: fmt_snprintf(buf, n, "trap %u #%u", s->trig_what, s->trig_count); return;
	case TG_EMUL:
		fmt_snprintf(buf, n, "emulated %s #%u", insn_names[s->trig_what], s->trig_count);
		return;
	case TG_SHADOW:
		fmt_snprintf(buf, n, "shadow %s #%u", shadow_event_names[s->trig_what], s->trig_count);
		return;
	case TG_IRQ: fmt_snprintf(buf, n, "virtual irq #%u", s->trig_count); return;
	case TG_EIP: fmt_snprintf(buf, n, "eip 0x%x #%u", s->trig_addr, s->trig_count); return;
	case TG_TIME: fmt_snprintf(buf, n, "time %llu us", (unsigned long long)s->trig_us); return;
	default: fmt_snprintf(buf, n, "never"); return;
	}
}
