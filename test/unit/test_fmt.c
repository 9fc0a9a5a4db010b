/*
 * test_fmt.c - host unit tests for src/lib/fmt.c: every conversion
 * of fmt_snprintf/fmt_vsnprintf (%d %i %u %x %X %p %s %c %%), flags, width,
 * the l and ll modifiers, C99 truncation semantics (size 0, 1, exact, and
 * the "would have written" return value), plus fmt_strlen/strcmp/strncmp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fmt.h"

/* Formats into a large, sentinel-filled buffer and checks both the text and
 * the returned length.  A macro so gcc still checks the format arguments and
 * a failure reports the caller's line. */
#define CHECK(expect, ...)                                                   \
	do {                                                                 \
		char b_[256];                                                \
		memset(b_, 'Z', sizeof b_);                                  \
		int n_ = fmt_snprintf(b_, sizeof b_, __VA_ARGS__);          \
		assert_string_equal(b_, (expect));                           \
		assert_int_equal(n_, strlen(expect));                        \
	} while (0)

/* Same as fmt_snprintf but without the printf format attribute, for the
 * cases gcc's -Wformat would (rightly, for a real printf) reject: unknown
 * conversions, a trailing '%', "%-05d", and 'l' with an int argument (in
 * minios long is 32-bit and fmt reads an int for %ld; on this 64-bit host
 * passing an int is what matches the va_arg the module performs). */
static int fmt_raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Keeps gcc from seeing a literal NULL passed for %s. */
static const char *null_string(void)
{
	static const char *volatile p = NULL;
	return p;
}

/* ---- conversions ------------------------------------------------------ */

static void test_plain_text_and_percent(void **state)
{
	(void)state;
	CHECK("", "%s", "");
	CHECK("hello, world", "hello, world");
	CHECK("100%", "100%%");
	CHECK("%%", "%%%%");
	CHECK("a%b", "a%%b");
}

static void test_signed_decimal(void **state)
{
	(void)state;
	CHECK("0", "%d", 0);
	CHECK("42", "%d", 42);
	CHECK("-42", "%d", -42);
	CHECK("-7", "%i", -7);
	CHECK("123", "%i", 123);
	CHECK("2147483647", "%d", INT_MAX);
	CHECK("-2147483648", "%d", INT_MIN);
	CHECK("-2147483648", "%i", INT_MIN);
	CHECK("-1", "%d", -1);
}

static void test_unsigned_and_hex(void **state)
{
	(void)state;
	CHECK("0", "%u", 0u);
	CHECK("4294967295", "%u", UINT_MAX);
	CHECK("0", "%x", 0u);
	CHECK("ffffffff", "%x", UINT_MAX);
	CHECK("FFFFFFFF", "%X", UINT_MAX);
	CHECK("deadbeef", "%x", 0xDEADBEEFu);
	CHECK("DEADBEEF", "%X", 0xDEADBEEFu);
	CHECK("abcdef", "%x", 0xABCDEFu);
	CHECK("10", "%x", 16u);
	CHECK("2147483648", "%u", 0x80000000u);
}

static void test_pointer(void **state)
{
	(void)state;
	/* Always "0x" and at least 8 zero-padded lower-case hex digits. */
	CHECK("0x00000000", "%p", (void *)0);
	CHECK("0x00001234", "%p", (void *)0x1234);
	CHECK("0xdeadbeef", "%p", (void *)(uintptr_t)0xDEADBEEFu);
	CHECK("[0xc0100000]", "[%p]", (void *)(uintptr_t)0xC0100000u);
}

static void test_string(void **state)
{
	(void)state;
	CHECK("abc", "%s", "abc");
	CHECK("x=abc;", "x=%s;", "abc");
	CHECK("ab", "%s%s", "a", "b");
	CHECK("(null)", "%s", null_string());
	CHECK("[    (null)]", "[%10s]", null_string());
}

/* Precision stops a %s early: words inside a longer line can be printed. */
static void test_string_precision(void **state)
{
	(void)state;
	CHECK("ab", "%.2s", "abcdef");
	CHECK("abc", "%.9s", "abc");
	CHECK("", "%.0s", "abc");
	CHECK("mem", "%.*s", 3, "mem=64 ring=1");
	CHECK("[  ab]", "[%4.2s]", "abcdef");
	CHECK("[ab  ]", "[%-4.*s]", 2, "abcdef");
	CHECK("(nu", "%.3s", null_string());
	/* the string need not be NUL-terminated within the precision */
	static const char raw[3] = { 'x', 'y', 'z' };
	CHECK("xy", "%.2s", raw);
}

static void test_char(void **state)
{
	(void)state;
	CHECK("x", "%c", 'x');
	CHECK("abc", "%c%c%c", 'a', 'b', 'c');
	CHECK("%", "%c", '%');
}

static void test_char_nul_is_counted(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'Z', sizeof buf);
	int n = fmt_snprintf(buf, sizeof buf, "a%cb", '\0');
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "a\0b\0", 4);
}

static void test_unknown_conversion_and_trailing_percent(void **state)
{
	(void)state;
	char buf[32];

	/* Unknown conversions print as is and consume no argument. */
	assert_int_equal(fmt_raw(buf, sizeof buf, "%q%d", 5), 2);
	assert_string_equal(buf, "q5");
	/* A lone '%' at the end stops formatting without reading past the NUL. */
	assert_int_equal(fmt_raw(buf, sizeof buf, "abc%"), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(fmt_raw(buf, sizeof buf, "abc%-08ll"), 3);
	assert_string_equal(buf, "abc");
}

/* ---- length modifiers --------------------------------------------------- */

static void test_l_modifier_reads_an_int(void **state)
{
	(void)state;
	char buf[32];

	assert_int_equal(fmt_raw(buf, sizeof buf, "%ld|%lu|%lx", -5, 7u, 0xABCu), 8);
	assert_string_equal(buf, "-5|7|abc");
	/* The argument after an %l conversion is still the right one. */
	fmt_raw(buf, sizeof buf, "%li %s", INT_MIN, "ok");
	assert_string_equal(buf, "-2147483648 ok");
}

static void test_ll_modifier_64bit(void **state)
{
	(void)state;
	CHECK("0", "%lld", 0LL);
	CHECK("4294967296", "%lld", 1LL << 32);
	CHECK("-4294967296", "%lld", -(1LL << 32));
	CHECK("9223372036854775807", "%lld", LLONG_MAX);
	CHECK("-9223372036854775808", "%lld", LLONG_MIN);
	CHECK("-9223372036854775808", "%lli", LLONG_MIN);
	CHECK("18446744073709551615", "%llu", ULLONG_MAX);
	CHECK("ffffffffffffffff", "%llx", ULLONG_MAX);
	CHECK("123456789abcdef0", "%llx", 0x123456789ABCDEF0ULL);
	CHECK("123456789ABCDEF0", "%llX", 0x123456789ABCDEF0ULL);
	CHECK("100000000", "%llx", 0x100000000ULL);
}

static void test_mixed_argument_sizes(void **state)
{
	(void)state;
	/* A 64-bit argument between 32-bit ones must not shift the others. */
	CHECK("1|4294967297|2|x|3", "%d|%llu|%u|%c|%lld", 1, 0x100000001ULL, 2u, 'x', 3LL);
	CHECK("-1 ffffffffffffffff -1", "%d %llx %lld", -1, ULLONG_MAX, -1LL);
}

/* ---- flags and width -------------------------------------------------- */

static void test_width_right_aligns(void **state)
{
	(void)state;
	CHECK("   42", "%5d", 42);
	CHECK("  -42", "%5d", -42);
	CHECK("   ff", "%5x", 255u);
	CHECK("    7", "%5u", 7u);
	CHECK("     abc", "%8s", "abc");
	CHECK("12345", "%2d", 12345);        /* width smaller than the text */
	CHECK("abcdef", "%3s", "abcdef");
	CHECK("42", "%0d", 42);
	CHECK("                  -1", "%20d", -1);
}

static void test_zero_flag(void **state)
{
	(void)state;
	CHECK("00042", "%05d", 42);
	CHECK("-0042", "%05d", -42);          /* sign before the zeros */
	CHECK("0000beef", "%08x", 0xBEEFu);
	CHECK("0000BEEF", "%08X", 0xBEEFu);
	CHECK("00000000", "%08x", 0u);
	CHECK("-2147483648", "%05d", INT_MIN); /* no room for zeros */
	CHECK("-0000000000000000001", "%020lld", -1LL);
	CHECK("00000000000000000000000042", "%026llu", 42ULL);
}

static void test_left_align(void **state)
{
	(void)state;
	char buf[32];

	CHECK("42   |", "%-5d|", 42);
	CHECK("-42  |", "%-5d|", -42);
	CHECK("abc     |", "%-8s|", "abc");
	CHECK("ff  |", "%-4x|", 255u);
	CHECK("abcdef|", "%-3s|", "abcdef");
	/* '-' wins over '0', in either order. */
	assert_int_equal(fmt_raw(buf, sizeof buf, "%-05d|", 42), 6);
	assert_string_equal(buf, "42   |");
	assert_int_equal(fmt_raw(buf, sizeof buf, "%0-5d|", -4), 6);
	assert_string_equal(buf, "-4   |");
}

/* BUG (fmt.c): the width is ignored for %c; C99 pads it like any other. */
static void test_char_width(void **state)
{
	(void)state;
	CHECK("  x", "%3c", 'x');
	CHECK("x  |", "%-3c|", 'x');
}

/* ---- truncation and return value ---------------------------------------- */

static void test_size_zero_writes_nothing(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 0, "hello %d", 42), 8);
	assert_int_equal(buf[0], 'Z');
	/* The usual "measure first" idiom. */
	assert_int_equal(fmt_snprintf(NULL, 0, "%s-%lld", "abc", LLONG_MIN), 24);
}

static void test_size_one_gives_empty_string(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 1, "hello"), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');
}

static void test_exact_and_one_short(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 6, "hello"), 5);    /* exact fit */
	assert_string_equal(buf, "hello");
	assert_int_equal(buf[6], 'Z');

	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 5, "hello"), 5);    /* one short */
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], 'Z');
}

/* Every prefix size of a mixed format: the buffer holds the first size-1
 * characters of the full output, NUL-terminated, and nothing beyond size is
 * touched; the return value never changes. */
static void test_truncation_every_size(void **state)
{
	(void)state;
	char full[128], buf[128];
	int len = fmt_snprintf(full, sizeof full, "[%-6s|%05d|%8x|%c|%lld]",
			       "ab", -12, 0xCAFEu, '!', LLONG_MIN);

	assert_string_equal(full, "[ab    |-0012|    cafe|!|-9223372036854775808]");
	assert_int_equal(len, strlen(full));
	for (size_t size = 0; size <= (size_t)len + 2; size++) {
		memset(buf, 'Z', sizeof buf);
		int n = fmt_snprintf(buf, size, "[%-6s|%05d|%8x|%c|%lld]",
				     "ab", -12, 0xCAFEu, '!', LLONG_MIN);
		assert_int_equal(n, len);
		if (size > 0) {
			size_t kept = size - 1 < (size_t)len ? size - 1 : (size_t)len;
			assert_memory_equal(buf, full, kept);
			assert_int_equal(buf[kept], '\0');
		}
		for (size_t i = size; i < sizeof buf; i++)
			assert_int_equal(buf[i], 'Z');
	}
}

static void test_truncation_inside_padding(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 4, "%8d", 42), 8);
	assert_string_equal(buf, "   ");
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 4, "%-8s|", "ab"), 9);
	assert_string_equal(buf, "ab ");
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(fmt_snprintf(buf, 3, "%05d", -7), 5);
	assert_string_equal(buf, "-0");
}

/* ---- string helpers ----------------------------------------------------- */

static void test_strlen(void **state)
{
	(void)state;
	assert_int_equal(fmt_strlen(""), 0);
	assert_int_equal(fmt_strlen("a"), 1);
	assert_int_equal(fmt_strlen("hello world"), 11);
	assert_int_equal(fmt_strlen("ab\0cd"), 2);
}

static void test_strcmp(void **state)
{
	(void)state;
	assert_int_equal(fmt_strcmp("", ""), 0);
	assert_int_equal(fmt_strcmp("abc", "abc"), 0);
	assert_true(fmt_strcmp("abc", "abd") < 0);
	assert_true(fmt_strcmp("abd", "abc") > 0);
	assert_true(fmt_strcmp("ab", "abc") < 0);
	assert_true(fmt_strcmp("abc", "ab") > 0);
	assert_true(fmt_strcmp("", "a") < 0);
	/* Bytes compare as unsigned char, like the C library. */
	assert_true(fmt_strcmp("\xff", "a") > 0);
	assert_true(fmt_strcmp("a", "\x80") < 0);
}

static void test_strncmp(void **state)
{
	(void)state;
	assert_int_equal(fmt_strncmp("abc", "xyz", 0), 0);
	assert_int_equal(fmt_strncmp("hz=100", "hz=", 3), 0);
	assert_int_equal(fmt_strncmp("abcX", "abcY", 3), 0);
	assert_true(fmt_strncmp("abcX", "abcY", 4) < 0);
	assert_true(fmt_strncmp("hz", "hz=", 3) < 0);
	assert_int_equal(fmt_strncmp("ab", "ab", 10), 0);   /* stops at NUL */
	assert_true(fmt_strncmp("\xfe", "\x01", 1) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_and_percent),
		cmocka_unit_test(test_signed_decimal),
		cmocka_unit_test(test_unsigned_and_hex),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_string_precision),
		cmocka_unit_test(test_char),
		cmocka_unit_test(test_char_nul_is_counted),
		cmocka_unit_test(test_unknown_conversion_and_trailing_percent),
		cmocka_unit_test(test_l_modifier_reads_an_int),
		cmocka_unit_test(test_ll_modifier_64bit),
		cmocka_unit_test(test_mixed_argument_sizes),
		cmocka_unit_test(test_width_right_aligns),
		cmocka_unit_test(test_zero_flag),
		cmocka_unit_test(test_left_align),
		cmocka_unit_test(test_char_width),
		cmocka_unit_test(test_size_zero_writes_nothing),
		cmocka_unit_test(test_size_one_gives_empty_string),
		cmocka_unit_test(test_exact_and_one_short),
		cmocka_unit_test(test_truncation_every_size),
		cmocka_unit_test(test_truncation_inside_padding),
		cmocka_unit_test(test_strlen),
		cmocka_unit_test(test_strcmp),
		cmocka_unit_test(test_strncmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
