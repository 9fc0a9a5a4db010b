/*
 * options.c - parse the monitor's command line into struct mon_options.
 * Pure: no hardware, tested on the host (test/unit/test_options.c).
 */
#include "options.h"
#include "lib/fmt.h"

#define WORDMAX 64

static int word_eq(const char *w, size_t n, const char *lit)
{
	return fmt_strlen(lit) == n && fmt_strncmp(w, lit, n) == 0;
}

static int is_path(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)	/* bound: the word's n characters */
		if (w[i] == '/')
			return 1;
	return n >= 4 && fmt_strncmp(w + n - 4, ".elf", 4) == 0;
}

/* Decimal in [min, max], or -1. */
static long parse_num(const char *s, size_t n, unsigned min, unsigned max)
{
	unsigned long v = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {	/* bound: the word's n characters */
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -1;
	}
	return v < min ? -1 : (long)v;
}

/* One item of trace=: returns its TRACE_* bits, or -1. */
static long trace_item(const char *s, size_t n)
{
	if (word_eq(s, n, "traps")) return TRACE_TRAPS;
	if (word_eq(s, n, "mmu"))   return TRACE_MMU;
	if (word_eq(s, n, "io"))    return TRACE_IO;
	if (word_eq(s, n, "all"))   return TRACE_ALL;
	if (word_eq(s, n, "none"))  return 0;
	return -1;
}

static int parse_trace(const char *v, size_t n, struct mon_options *o)
{
	unsigned bits = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {	/* bound: the value's n characters */
		if (i < n && v[i] != ',')
			continue;
		long b = trace_item(v + start, i - start);
		if (b < 0)
			return -1;
		bits |= (unsigned)b;
		start = i + 1;
	}
	o->trace = bits;
	return 0;
}

/* disk0=/disk1=: *unit gets 0 or 1 if w[0..k) is one of them. */
static int is_disk_key(const char *w, size_t k, unsigned *unit)
{
	if (word_eq(w, k, "disk0"))
		*unit = 0;
	else if (word_eq(w, k, "disk1"))
		*unit = 1;
	else
		return 0;
	return 1;
}

/* modN with N in 1..MON_MOD_MAX: N, or -1. */
static long module_value(const char *v, size_t vn)
{
	if (vn < 4 || fmt_strncmp(v, "mod", 3) != 0)
		return -1;
	return parse_num(v + 3, vn - 3, 1, MON_MOD_MAX);
}

/* hd0, hd1, modN or none; -1 if none of them. */
static int disk_value(const char *v, size_t vn)
{
	if (word_eq(v, vn, "hd0")) return DISK_HD0;
	if (word_eq(v, vn, "hd1")) return DISK_HD1;
	if (word_eq(v, vn, "none")) return DISK_NONE;
	if (module_value(v, vn) > 0) return DISK_MOD;
	return -1;
}

static int parse_disk(const char *w, size_t n, unsigned unit, const char *v, size_t vn,
		      struct mon_options *o, char *err, size_t errlen)
{
	int d = disk_value(v, vn);

	if (d < 0) {
		fmt_snprintf(err, errlen, "bad value in '%.*s': disk%u= takes hd0, hd1, mod1..mod%u "
			     "or none", (int)n, w, unit, MON_MOD_MAX);
		return 0;
	}
	o->disk[unit] = (enum disk_backing)d;
	o->disk_mod[unit] = d == DISK_MOD ? (unsigned)module_value(v, vn) : 0;
	return 1;
}

static int parse_input(const char *w, size_t n, const char *v, size_t vn,
		       struct mon_options *o, char *err, size_t errlen)
{
	long m = module_value(v, vn);

	if (m < 0) {
		fmt_snprintf(err, errlen, "bad value in '%.*s': input= takes mod1..mod%u (the "
			     "monitor's module holding the lines to type)", (int)n, w, MON_MOD_MAX);
		return 0;
	}
	o->input_mod = (unsigned)m;
	return 1;
}

/* Two options naming the same host disk or the same module. */
static int check_backings(const struct mon_options *o, char *err, size_t errlen)
{
	if (o->disk[0] != DISK_NONE && o->disk[0] != DISK_MOD && o->disk[0] == o->disk[1]) {
		fmt_snprintf(err, errlen, "disk0= and disk1= both use host disk hd%d: one host disk "
			     "backs at most one guest disk", o->disk[0] == DISK_HD0 ? 0 : 1);
		return -1;
	}
	unsigned used[GUEST_DISKS + 1] = { o->disk[0] == DISK_MOD ? o->disk_mod[0] : 0,
					   o->disk[1] == DISK_MOD ? o->disk_mod[1] : 0,
					   o->input_mod };
	for (unsigned i = 0; i < GUEST_DISKS + 1; i++)	/* bound: 3 x 3 module names */
		for (unsigned j = i + 1; j < GUEST_DISKS + 1; j++)
			if (used[i] && used[i] == used[j]) {
				fmt_snprintf(err, errlen, "module %u is named twice (disk0=, disk1=, "
					     "input=): each module backs one thing", used[i]);
				return -1;
			}
	return 0;
}

/* key=value; returns 0, or -1 with the reason in err. */
static int parse_kv(const char *w, size_t n, struct mon_options *o, int *cache_given,
		    char *err, size_t errlen)
{
	size_t k = 0;
	while (k < n && w[k] != '=')	/* bound: the word's n characters */
		k++;
	const char *v = w + k + 1;
	size_t vn = k < n ? n - k - 1 : 0;
	long num;
	unsigned unit;
	int ok = k < n;

	if (ok && word_eq(w, k, "mem")) {
		ok = (num = parse_num(v, vn, MEM_MB_MIN, MEM_MB_MAX)) >= 0;
		o->mem_mb = ok ? (unsigned)num : o->mem_mb;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': mem= takes megabytes from %u to %u",
				     (int)n, w, MEM_MB_MIN, MEM_MB_MAX);
	} else if (ok && word_eq(w, k, "ring")) {
		ok = word_eq(v, vn, "1") || word_eq(v, vn, "3");
		o->ring = !ok ? o->ring : word_eq(v, vn, "3") ? 3 : 1;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': ring= takes 1 or 3", (int)n, w);
	} else if (ok && word_eq(w, k, "shadow")) {
		ok = word_eq(v, vn, "vtlb") || word_eq(v, vn, "cached");
		o->shadow = !ok ? o->shadow : word_eq(v, vn, "vtlb") ? SHADOW_VTLB : SHADOW_CACHED;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': shadow= takes cached or vtlb",
				     (int)n, w);
	} else if (ok && word_eq(w, k, "shadow_cache")) {
		ok = (num = parse_num(v, vn, 1, SHADOW_CACHE_MAX)) >= 0;
		o->shadow_cache = ok ? (unsigned)num : o->shadow_cache;
		*cache_given = ok;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': shadow_cache= takes a count "
				     "from 1 to %u", (int)n, w, SHADOW_CACHE_MAX);
	} else if (ok && word_eq(w, k, "trace")) {
		ok = parse_trace(v, vn, o) == 0;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': trace= takes a comma list of "
				     "traps, mmu, io, all, none", (int)n, w);
	} else if (ok && word_eq(w, k, "stats")) {
		ok = word_eq(v, vn, "on") || word_eq(v, vn, "off");
		o->stats = word_eq(v, vn, "on") ? 1 : word_eq(v, vn, "off") ? 0 : o->stats;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': stats= takes on or off", (int)n, w);
	} else if (ok && word_eq(w, k, "iflag")) {
		ok = word_eq(v, vn, "real") || word_eq(v, vn, "soft");
		o->iflag = !ok ? o->iflag : word_eq(v, vn, "soft") ? IFLAG_SOFT : IFLAG_REAL;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': iflag= takes real or soft",
				     (int)n, w);
	} else if (ok && word_eq(w, k, "userret")) {
		ok = word_eq(v, vn, "lazy") || word_eq(v, vn, "trap");
		o->userret_trap = ok ? word_eq(v, vn, "trap") : o->userret_trap;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': userret= takes lazy or trap",
				     (int)n, w);
	} else if (ok && word_eq(w, k, "ifwatch")) {
		ok = (num = parse_num(v, vn, 1, IFWATCH_MAX_S)) >= 0;
		o->ifwatch_s = ok ? (unsigned)num : o->ifwatch_s;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': ifwatch= takes seconds from 1 "
				     "to %u", (int)n, w, IFWATCH_MAX_S);
	} else if (ok && is_disk_key(w, k, &unit)) {
		ok = parse_disk(w, n, unit, v, vn, o, err, errlen);
	} else if (ok && word_eq(w, k, "input")) {
		ok = parse_input(w, n, v, vn, o, err, errlen);
	} else if (ok && word_eq(w, k, "fault")) {
		ok = fault_parse_target(v, vn, &o->fault, err, errlen) == 0;
	} else if (ok && word_eq(w, k, "trigger")) {
		ok = fault_parse_trigger(v, vn, &o->fault, err, errlen) == 0;
	} else if (ok && word_eq(w, k, "persist")) {
		ok = fault_parse_persist(v, vn, &o->fault, err, errlen) == 0;
	} else if (ok && word_eq(w, k, "watchdog")) {
		ok = (num = parse_num(v, vn, 1, WATCHDOG_MS_MAX)) >= 0;
		o->watchdog_ms = ok ? (unsigned)num : o->watchdog_ms;
		if (!ok)
			fmt_snprintf(err, errlen, "bad value in '%.*s': watchdog= takes milliseconds "
				     "of virtual time from 1 to %u", (int)n, w, WATCHDOG_MS_MAX);
	} else {
		ok = 0;
		fmt_snprintf(err, errlen, "unknown option '%.*s' (known: mem= ring= shadow= "
			     "shadow_cache= trace= stats= iflag= ifwatch= userret= disk0= disk1= input= fault= "
			     "trigger= persist= watchdog=)",
			     (int)(n < WORDMAX ? n : WORDMAX), w);
	}
	return ok ? 0 : -1;
}

int options_parse(const char *line, struct mon_options *o, char *err, size_t errlen)
{
	const char *s = line ? line : "";
	int first = 1, cache_given = 0;

	*o = (struct mon_options){ .mem_mb = MEM_MB_DEFAULT, .ring = 1, .shadow = SHADOW_CACHED,
				  .shadow_cache = SHADOW_CACHE_DEFAULT, .trace = 0, .stats = 1,
				  .iflag = IFLAG_REAL, .ifwatch_s = IFWATCH_DEFAULT_S,
				  .disk = { DISK_NONE, DISK_NONE } };
	if (errlen > 0)
		err[0] = '\0';
	for (;;) {	/* bound: one word per turn, to the command line's NUL */
		while (*s == ' ' || *s == '\t')	/* bound: the command line's length */
			s++;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t')	/* bound: the command line's length */
			s++;
		size_t n = (size_t)(s - w);
		if (n == 0)
			break;
		if (first && is_path(w, n)) {
			first = 0;
			continue;
		}
		first = 0;
		if (parse_kv(w, n, o, &cache_given, err, errlen) < 0)
			return -1;
	}
	if (check_backings(o, err, errlen) < 0)
		return -1;
	if (cache_given && o->shadow == SHADOW_VTLB) {
		fmt_snprintf(err, errlen, "shadow_cache= applies to shadow=cached, not shadow=vtlb "
			     "(which keeps no shadows to cache)");
		return -1;
	}
	return fault_check(&o->fault, err, errlen);
}
