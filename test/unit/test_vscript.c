/*
 * test_vscript.c - host unit tests for src/virtdev/vscript.c, the scripted
 * console operator behind the monitor's input=modN: nothing is typed before
 * the first prompt, one line (with its newline) per prompt, the echo of a
 * line being typed is no prompt, CRs are dropped, a last line without a
 * newline gets one, and the script is done at the prompt after its last
 * line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "virtdev/vscript.h"

#define TYPED_MAX 256

/* The guest prints text. */
static void guest_prints(struct vscript *s, const char *text)
{
	for (; *text; text++)
		vscript_output(s, (uint8_t)*text);
}

/* Everything the operator types now, as a string. */
static const char *typed_now(struct vscript *s)
{
	static char buf[TYPED_MAX];
	size_t n = 0;
	uint8_t c;

	while (n < TYPED_MAX - 1 && vscript_next(s, &c))
		buf[n++] = (char)c;
	buf[n] = '\0';
	return buf;
}

static void init(struct vscript *s, const char *script)
{
	vscript_init(s, script, (uint32_t)strlen(script), NULL);
}

static void test_one_line_per_prompt(void **state)
{
	(void)state;
	struct vscript s;
	init(&s, "ls\necho hi\n");
	guest_prints(&s, "xv6...\ninit: starting sh\n");
	assert_string_equal(typed_now(&s), "");         /* no prompt yet */
	guest_prints(&s, "$ ");
	assert_string_equal(typed_now(&s), "ls\n");
	assert_string_equal(typed_now(&s), "");         /* one line only */
	guest_prints(&s, "ls\n.  1 1 512\n$ ");
	assert_string_equal(typed_now(&s), "echo hi\n");
	assert_false(vscript_done(&s));
	guest_prints(&s, "echo hi\nhi\n");
	assert_false(vscript_done(&s));
	guest_prints(&s, "$ ");
	assert_true(vscript_done(&s));
	assert_string_equal(typed_now(&s), "");
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.prompts, 3);
}

static void test_typing_in_pieces_ignores_the_echo(void **state)
{
	(void)state;
	struct vscript s;
	uint8_t c;
	init(&s, "echo $ x\n");
	guest_prints(&s, "$ ");
	for (const char *p = "echo $ "; *p; p++) {      /* the FIFO takes a byte at a time */
		assert_true(vscript_next(&s, &c));
		assert_int_equal(c, (uint8_t)*p);
		vscript_output(&s, c);                   /* echoed: contains "$ " */
	}
	assert_false(vscript_done(&s));
	assert_string_equal(typed_now(&s), "x\n");
	guest_prints(&s, "x\n$ x\n");                    /* output with "$ " in it */
	assert_true(vscript_done(&s));                   /* the limit vscript.h states */
}

static void test_crlf_and_missing_last_newline(void **state)
{
	(void)state;
	struct vscript s;
	init(&s, "cat README\r\nwc README");
	guest_prints(&s, "$ ");
	assert_string_equal(typed_now(&s), "cat README\n");
	guest_prints(&s, "...\n$ ");
	assert_string_equal(typed_now(&s), "wc README\n");
	guest_prints(&s, "50 329 2286 README\n$ ");
	assert_true(vscript_done(&s));
	assert_int_equal(s.lines, 2);
}

static void test_empty_script_is_done_at_the_first_prompt(void **state)
{
	(void)state;
	struct vscript s;
	init(&s, "\r");
	guest_prints(&s, "boot\n");
	assert_false(vscript_done(&s));
	guest_prints(&s, "$");
	assert_false(vscript_done(&s));
	guest_prints(&s, " ");
	assert_true(vscript_done(&s));
	assert_string_equal(typed_now(&s), "");
	assert_int_equal(s.lines, 0);
}

static void test_prompt_split_or_interrupted(void **state)
{
	(void)state;
	struct vscript s;
	init(&s, "ls\n");
	guest_prints(&s, "$x $$");                       /* no "$ " yet */
	assert_string_equal(typed_now(&s), "");
	guest_prints(&s, " ");                           /* "$$ " ends with it */
	assert_string_equal(typed_now(&s), "ls\n");
}

static void test_other_prompt(void **state)
{
	(void)state;
	struct vscript s;
	vscript_init(&s, "id\n", 3, "# ");
	guest_prints(&s, "$ ");
	assert_string_equal(typed_now(&s), "");
	guest_prints(&s, "# ");
	assert_string_equal(typed_now(&s), "id\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line_per_prompt),
		cmocka_unit_test(test_typing_in_pieces_ignores_the_echo),
		cmocka_unit_test(test_crlf_and_missing_last_newline),
		cmocka_unit_test(test_empty_script_is_done_at_the_first_prompt),
		cmocka_unit_test(test_prompt_split_or_interrupted),
		cmocka_unit_test(test_other_prompt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
