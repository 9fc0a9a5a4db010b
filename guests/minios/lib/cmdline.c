/*
 * cmdline.c - parse the kernel command line into struct minios_opts.
 * Pure: no hardware, tested on the host.  A bad option is never ignored.
 */
#include "cmdline.h"
#include "lib/fmt.h"

#define WORDMAX 64

/* Copies the next space-separated word of *s into w (truncated to fit);
 * returns its full length and where it starts in *start. */
static size_t next_word(const char **s, char *w, const char **start)
{
	size_t n = 0, full = 0;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	*start = *s;
	while (**s != '\0' && **s != ' ' && **s != '\t') {
		if (n + 1 < WORDMAX)
			w[n++] = **s;
		full++;
		(*s)++;
	}
	w[n] = '\0';
	return full;
}

/* Looks at the whole word w[0..n) in the original line, however long. */
static int is_kernel_path(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == '/')
			return 1;
	return n >= 4 && fmt_strncmp(w + n - 4, ".elf", 4) == 0;
}

/* Parses a decimal number in [min, max]; returns -1 if it is not one. */
static long parse_uint(const char *s, unsigned min, unsigned max)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	return v < min ? -1 : (long)v;
}

static int set_mode(struct minios_opts *o, enum minios_mode m, int *mode_seen,
		    const char *w, char *err, size_t errlen)
{
	if (*mode_seen) {
		fmt_snprintf(err, errlen, "option '%s' conflicts with an earlier mode", w);
		return -1;
	}
	*mode_seen = 1;
	o->mode = m;
	return 0;
}

static const char *const group_names[] = {
	"exceptions", "paging", "interrupts", "devices", "descriptors", "processes", "user",
	"churn",
};
#define NGROUPS (sizeof group_names / sizeof group_names[0])

/* One name of tests=LIST: its TG_* bits, or 0.  "kernel" is every group
 * that runs in the kernel alone (no user programs): the short workload. */
static unsigned group_bit(const char *s, size_t n)
{
	if (n == 6 && fmt_strncmp(s, "kernel", n) == 0)
		return TG_KERNEL;
	for (unsigned i = 0; i < NGROUPS; i++)
		if (fmt_strlen(group_names[i]) == n && fmt_strncmp(s, group_names[i], n) == 0)
			return 1u << i;
	return 0;
}

static int parse_groups(const char *w, struct minios_opts *o, char *err, size_t errlen)
{
	const char *list = w + 6;       /* after "tests=" */
	size_t start = 0, n = fmt_strlen(list);

	o->groups = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && list[i] != ',')
			continue;
		unsigned bit = group_bit(list + start, i - start);
		if (!bit) {
			fmt_snprintf(err, errlen, "bad value in '%s': tests= takes a comma list of "
				     "test groups (docs/minios.md)", w);
			return -1;
		}
		o->groups |= bit;
		start = i + 1;
	}
	return 0;
}

static int parse_word(const char *w, struct minios_opts *o, int *mode_seen,
		      char *err, size_t errlen)
{
	if (fmt_strcmp(w, "tests") == 0)
		return set_mode(o, MODE_TESTS, mode_seen, w, err, errlen);
	if (fmt_strncmp(w, "tests=", 6) == 0) {
		if (parse_groups(w, o, err, errlen) < 0)
			return -1;
		return set_mode(o, MODE_TESTS, mode_seen, w, err, errlen);
	}
	if (fmt_strcmp(w, "bench") == 0)
		return set_mode(o, MODE_BENCH, mode_seen, w, err, errlen);
	if (fmt_strcmp(w, "demo") == 0)
		return set_mode(o, MODE_DEMO, mode_seen, w, err, errlen);
	if (fmt_strcmp(w, "holes") == 0)
		return set_mode(o, MODE_HOLES, mode_seen, w, err, errlen);
	if (fmt_strncmp(w, "attack=", 7) == 0) {
		if (w[7] == '\0' || fmt_strlen(w + 7) >= sizeof o->attack) {
			fmt_snprintf(err, errlen, "bad value in '%s': attack= takes a name", w);
			return -1;
		}
		fmt_snprintf(o->attack, sizeof o->attack, "%s", w + 7);
		return set_mode(o, MODE_ATTACK, mode_seen, w, err, errlen);
	}
	if (fmt_strncmp(w, "hz=", 3) == 0) {
		long v = parse_uint(w + 3, HZ_MIN, HZ_MAX);
		if (v < 0) {
			fmt_snprintf(err, errlen, "bad value in '%s': hz= takes a number from %u to %u",
				     w, HZ_MIN, HZ_MAX);
			return -1;
		}
		o->hz = (unsigned)v;
		return 0;
	}
	fmt_snprintf(err, errlen, "unknown option '%s' (known: tests bench demo holes attack=NAME hz=N tests=LIST)", w);
	return -1;
}

int cmdline_parse(const char *cmdline, struct minios_opts *o, char *err, size_t errlen)
{
	char w[WORDMAX];
	const char *s = cmdline ? cmdline : "", *start;
	int first = 1, mode_seen = 0;

	o->mode = MODE_DEMO;
	o->hz = HZ_DEFAULT;
	o->groups = TG_ALL;
	o->attack[0] = '\0';
	if (errlen > 0)
		err[0] = '\0';
	for (;;) {
		size_t n = next_word(&s, w, &start);
		if (n == 0)
			return 0;
		if (first && is_kernel_path(start, n)) {
			first = 0;
			continue;
		}
		first = 0;
		if (n >= WORDMAX) {
			fmt_snprintf(err, errlen, "option '%s...' is too long", w);
			return -1;
		}
		if (parse_word(w, o, &mode_seen, err, errlen) < 0)
			return -1;
	}
}
