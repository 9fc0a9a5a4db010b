/*
 * test_cmdline.c - host unit tests for guests/minios/lib/cmdline.c: the
 * kernel command line parser.  Covers empty/NULL lines, skipping the
 * kernel's own path as GRUB and QEMU pass it, each option (tests, bench,
 * demo, holes, hz=N), the hz=N bounds and malformed numbers, conflicting
 * modes, the one-line error reasons, and over-long words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cmdline.h"

#define ERRLEN 128

/* Parses 'line' with a junk-filled options struct and error buffer. */
static int parse(const char *line, struct minios_opts *o, char *err)
{
	memset(o, 0xA5, sizeof *o);
	memset(err, 'Z', ERRLEN);
	return cmdline_parse(line, o, err, ERRLEN);
}

/* A string of n copies of c followed by 'tail' (static buffer). */
static const char *repeat(char c, size_t n, const char *tail)
{
	static char s[256];
	assert_true(n + strlen(tail) < sizeof s);
	memset(s, c, n);
	strcpy(s + n, tail);
	return s;
}

/* ---- accepted lines (table-driven) -------------------------------------- */

struct good_case {
	const char *line;
	enum minios_mode mode;
	unsigned hz;
};

static const struct good_case good[] = {
	{ "",                               MODE_DEMO,  HZ_DEFAULT },
	{ "   \t  ",                        MODE_DEMO,  HZ_DEFAULT },
	/* the kernel's own path, as GRUB and QEMU -kernel pass it */
	{ "/boot/minios.elf",               MODE_DEMO,  HZ_DEFAULT },
	{ "/boot/minios.elf tests",         MODE_TESTS, HZ_DEFAULT },
	{ "build/minios.elf tests",         MODE_TESTS, HZ_DEFAULT },
	{ "build/minios/minios.elf bench",  MODE_BENCH, HZ_DEFAULT },
	{ "minios.elf bench",               MODE_BENCH, HZ_DEFAULT },
	{ "./kernel demo",                  MODE_DEMO,  HZ_DEFAULT },
	{ ".elf tests",                     MODE_TESTS, HZ_DEFAULT },
	/* no path at all */
	{ "tests",                          MODE_TESTS, HZ_DEFAULT },
	{ "bench",                          MODE_BENCH, HZ_DEFAULT },
	{ "demo",                           MODE_DEMO,  HZ_DEFAULT },
	{ "holes",                          MODE_HOLES, HZ_DEFAULT },
	{ "/boot/minios.elf holes",         MODE_HOLES, HZ_DEFAULT },
	{ "build/minios.elf holes hz=1000", MODE_HOLES, 1000 },
	{ "hz=10 holes",                    MODE_HOLES, 10 },
	/* hz bounds and combinations */
	{ "hz=10",                          MODE_DEMO,  10 },
	{ "hz=1000",                        MODE_DEMO,  1000 },
	{ "hz=100",                         MODE_DEMO,  100 },
	{ "hz=0010",                        MODE_DEMO,  10 },
	{ "hz=250 tests",                   MODE_TESTS, 250 },
	{ "tests hz=250",                   MODE_TESTS, 250 },
	{ "/boot/minios.elf hz=1000 bench", MODE_BENCH, 1000 },
	{ "  build/minios.elf\t tests\thz=50  ", MODE_TESTS, 50 },
};

static void test_good_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct minios_opts o;
		char err[ERRLEN];
		int rc = parse(good[i].line, &o, err);
		if (rc != 0 || o.mode != good[i].mode || o.hz != good[i].hz)
			fail_msg("line \"%s\": rc %d mode %d hz %u err \"%.*s\" "
				 "(want mode %d hz %u)", good[i].line, rc,
				 (int)o.mode, o.hz, ERRLEN - 1, err,
				 (int)good[i].mode, good[i].hz);
		assert_string_equal(err, "");   /* success clears err */
	}
}

static void test_null_line_gives_defaults(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[ERRLEN];

	assert_int_equal(parse(NULL, &o, err), 0);
	assert_int_equal(o.mode, MODE_DEMO);
	assert_int_equal(o.hz, HZ_DEFAULT);
	assert_string_equal(err, "");
}

/* ---- refused lines (table-driven) --------------------------------------- */

struct bad_case {
	const char *line;
	const char *want[3];    /* substrings the reason must contain */
};

#define HZ_RANGE "from 10 to 1000"

static const struct bad_case bad[] = {
	/* hz out of range or malformed */
	{ "hz=9",              { "'hz=9'", HZ_RANGE } },
	{ "hz=1001",           { "'hz=1001'", HZ_RANGE } },
	{ "hz=0",              { "'hz=0'", HZ_RANGE } },
	{ "hz=",               { "'hz='", HZ_RANGE } },
	{ "hz=abc",            { "'hz=abc'", HZ_RANGE } },
	{ "hz=12a",            { "'hz=12a'", HZ_RANGE } },
	{ "hz=-50",            { "'hz=-50'", HZ_RANGE } },
	{ "hz=+50",            { "'hz=+50'", HZ_RANGE } },
	{ "hz=99999999999",    { "'hz=99999999999'", HZ_RANGE } },
	{ "hz=4294967396",     { "'hz=4294967396'", HZ_RANGE } },  /* 2^32+100 */
	{ "hz=18446744073709551716", { HZ_RANGE } },               /* 2^64+100 */
	{ "hz= 100",           { "'hz='", HZ_RANGE } },
	{ "tests hz=5",        { "'hz=5'", HZ_RANGE } },
	/* a second mode, even the same one */
	{ "tests bench",       { "'bench'", "conflicts" } },
	{ "bench tests",       { "'tests'", "conflicts" } },
	{ "demo tests",        { "'tests'", "conflicts" } },
	{ "tests demo",        { "'demo'", "conflicts" } },
	{ "tests tests",       { "'tests'", "conflicts" } },
	{ "tests holes",       { "'holes'", "conflicts" } },
	{ "holes tests",       { "'tests'", "conflicts" } },
	{ "holes holes",       { "'holes'", "conflicts" } },
	{ "holes hz=5",        { "'hz=5'", HZ_RANGE } },
	{ "/boot/minios.elf tests hz=50 bench", { "'bench'", "conflicts" } },
	/* unknown options */
	{ "verbose",           { "unknown option 'verbose'", "tests bench demo holes attack=NAME hz=N" } },
	{ "TESTS",             { "unknown option 'TESTS'" } },
	{ "test",              { "unknown option 'test'" } },
	{ "testsx",            { "unknown option 'testsx'" } },
	{ "HOLES",             { "unknown option 'HOLES'" } },
	{ "hole",              { "unknown option 'hole'" } },
	{ "hz",                { "unknown option 'hz'" } },
	{ "HZ=100",            { "unknown option 'HZ=100'" } },
	{ "tests=1",           { "bad value in 'tests=1'", "test groups" } },
	{ "tests=",            { "bad value in 'tests='", "test groups" } },
	{ "tests=paging,",     { "bad value in 'tests=paging,'", "test groups" } },
	{ "tests=Paging",      { "bad value in 'tests=Paging'" } },
	{ "tests tests=user",  { "'tests=user'", "conflicts" } },
	{ "tests=user bench",  { "'bench'", "conflicts" } },
	{ "tests bogus",       { "unknown option 'bogus'" } },
	/* only the first word may be the kernel path */
	{ "tests /boot/minios.elf", { "unknown option '/boot/minios.elf'" } },
	{ "/boot/minios.elf build/minios.elf", { "unknown option 'build/minios.elf'" } },
	{ "tests minios.elf",  { "unknown option 'minios.elf'" } },
};

static void test_bad_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct minios_opts o;
		char err[ERRLEN];
		int rc = parse(bad[i].line, &o, err);
		if (rc != -1)
			fail_msg("line \"%s\" accepted (rc %d)", bad[i].line, rc);
		if (memchr(err, '\0', ERRLEN) == NULL)
			fail_msg("line \"%s\": err not NUL-terminated", bad[i].line);
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			fail_msg("line \"%s\": want a one-line reason, got \"%s\"",
				 bad[i].line, err);
		for (int k = 0; k < 3 && bad[i].want[k] != NULL; k++)
			if (strstr(err, bad[i].want[k]) == NULL)
				fail_msg("line \"%s\": reason \"%s\" lacks \"%s\"",
					 bad[i].line, err, bad[i].want[k]);
	}
}

/* attack=NAME: a mode whose name the kernel checks; the parser keeps it. */
static void test_attack_option(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[ERRLEN];

	assert_int_equal(parse("/boot/minios.elf attack=idt-write", &o, err), 0);
	assert_int_equal(o.mode, MODE_ATTACK);
	assert_string_equal(o.attack, "idt-write");
	assert_int_equal(parse("attack=", &o, err), -1);
	assert_non_null(strstr(err, "attack= takes a name"));
	assert_int_equal(parse("attack=aaaaaaaaaaaaaaaaaaaaaaaaa", &o, err), -1);
	assert_int_equal(parse("tests attack=cli-hlt", &o, err), -1);
	assert_non_null(strstr(err, "conflicts with an earlier mode"));
	assert_int_equal(parse("tests", &o, err), 0);
	assert_string_equal(o.attack, "");
}

static void test_unknown_option_message(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[ERRLEN];

	assert_int_equal(parse("/boot/minios.elf tests frobnicate", &o, err), -1);
	assert_string_equal(err,
			    "unknown option 'frobnicate' (known: tests bench demo holes attack=NAME hz=N "
			    "tests=LIST)");
}

/* tests=LIST: the groups named, "kernel" for the six kernel-only ones; plain
 * tests runs them all. */
static void test_test_groups(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[ERRLEN];

	assert_int_equal(parse("tests", &o, err), 0);
	assert_int_equal(o.groups, TG_ALL);
	assert_int_equal(parse("tests=kernel", &o, err), 0);
	assert_int_equal(o.mode, MODE_TESTS);
	assert_int_equal(o.groups, TG_EXCEPTIONS | TG_PAGING | TG_INTERRUPTS | TG_DEVICES |
			 TG_DESCRIPTORS | TG_PROCESSES);
	assert_int_equal(parse("hz=50 tests=paging,user", &o, err), 0);
	assert_int_equal(o.groups, TG_PAGING | TG_USER);
	assert_int_equal(o.hz, 50);
	assert_int_equal(parse("tests=churn,churn", &o, err), 0);
	assert_int_equal(o.groups, TG_CHURN);
}

/* ---- over-long words ---------------------------------------------------- */

static void test_word_of_63_chars_is_just_unknown(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[ERRLEN];
	const char *w = repeat('x', 63, "");

	assert_int_equal(parse(w, &o, err), -1);
	assert_non_null(strstr(err, "unknown option"));
	assert_non_null(strstr(err, w));          /* shown in full */
}

static void test_word_of_64_chars_is_too_long(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[ERRLEN], want[ERRLEN];

	assert_int_equal(parse(repeat('x', 64, ""), &o, err), -1);
	/* The reason shows the first 63 characters and "...". */
	snprintf(want, sizeof want, "option '%s...' is too long", repeat('x', 63, ""));
	assert_string_equal(err, want);
}

static void test_long_option_after_path_is_too_long(void **state)
{
	(void)state;
	struct minios_opts o;
	char line[300], err[ERRLEN];

	/* Even a valid option is refused once it no longer fits. */
	snprintf(line, sizeof line, "/boot/minios.elf hz=%s", repeat('0', 200, "100"));
	assert_int_equal(parse(line, &o, err), -1);
	assert_non_null(strstr(err, "too long"));
	assert_non_null(strstr(err, "'hz=000"));
}

static void test_long_path_with_early_slash_is_skipped(void **state)
{
	(void)state;
	struct minios_opts o;
	char line[300], err[ERRLEN];

	snprintf(line, sizeof line, "/%s tests", repeat('d', 150, "/minios.elf"));
	assert_int_equal(parse(line, &o, err), 0);
	assert_int_equal(o.mode, MODE_TESTS);
}

/* BUG (cmdline.c): is_kernel_path() looks only at the first 63 characters
 * that next_word() kept, so a long path whose '/' or ".elf" lies past them
 * is not recognised and the line is refused as "too long". */
static void test_long_path_without_early_slash_is_skipped(void **state)
{
	(void)state;
	struct minios_opts o;
	char line[300], err[ERRLEN];

	snprintf(line, sizeof line, "%s tests", repeat('k', 70, ".elf"));
	assert_int_equal(parse(line, &o, err), 0);
	assert_int_equal(o.mode, MODE_TESTS);

	snprintf(line, sizeof line, "%s bench", repeat('d', 70, "/minios.elf"));
	assert_int_equal(parse(line, &o, err), 0);
	assert_int_equal(o.mode, MODE_BENCH);
}

/* ---- the error buffer --------------------------------------------------- */

static void test_error_is_truncated_to_errlen(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[32];

	memset(err, 'Z', sizeof err);
	assert_int_equal(cmdline_parse("bogus-option", &o, err, 16), -1);
	assert_int_equal(strlen(err), 15);
	assert_memory_equal(err, "unknown option ", 15);
	assert_int_equal(err[16], 'Z');           /* nothing past errlen */
}

static void test_result_does_not_depend_on_errlen(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[4];

	assert_int_equal(cmdline_parse("tests hz=500", &o, err, sizeof err), 0);
	assert_int_equal(o.mode, MODE_TESTS);
	assert_int_equal(o.hz, 500);
	assert_int_equal(cmdline_parse("tests bench", &o, err, sizeof err), -1);
	assert_string_equal(err, "opt");
}

/* BUG (cmdline.c): cmdline_parse() sets err[0] = '\0' before looking at
 * errlen, so errlen == 0 still writes one byte into the caller's buffer. */
static void test_errlen_zero_writes_nothing(void **state)
{
	(void)state;
	struct minios_opts o;
	char err[4] = "ZZZ";

	assert_int_equal(cmdline_parse("tests", &o, err, 0), 0);
	assert_int_equal(cmdline_parse("bogus", &o, err, 0), -1);
	assert_int_equal(err[0], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_null_line_gives_defaults),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_unknown_option_message),
		cmocka_unit_test(test_test_groups),
		cmocka_unit_test(test_attack_option),
		cmocka_unit_test(test_word_of_63_chars_is_just_unknown),
		cmocka_unit_test(test_word_of_64_chars_is_too_long),
		cmocka_unit_test(test_long_option_after_path_is_too_long),
		cmocka_unit_test(test_long_path_with_early_slash_is_skipped),
		cmocka_unit_test(test_long_path_without_early_slash_is_skipped),
		cmocka_unit_test(test_error_is_truncated_to_errlen),
		cmocka_unit_test(test_result_does_not_depend_on_errlen),
		cmocka_unit_test(test_errlen_zero_writes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
