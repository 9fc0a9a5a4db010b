/*
 * main.c - the conformance guest's command line and check runner.
 *
 *   conform [section=NAME,NAME...] [skip=CHECK,CHECK...] [list]
 *
 * Lists take ',' or '+' between words: QEMU's -initrd, which carries a
 * module's command line to the monitor, splits its argument at commas.
 *
 * Output: "## SECTION" before each section, "# CHECK" before each check,
 * then the check's "name value" lines, and at the end one line
 * "conform: done, N checks, M lines" before the exit code 0 goes to the
 * debug-exit port.  The markers let a harness tell which check was running
 * when a run stopped (a monitor that ended the guest): the last "# CHECK"
 * without the next marker after it.  skip= leaves those checks out, so the
 * rest of their section can still be seen.  A bad option is refused in one
 * line and the exit code is 2.
 */
#include "conform.h"
#include "lib/fmt.h"
#include "lib/multiboot.h"

#define CMDLINE_MAX 2048
#define EXIT_OK     0
#define EXIT_USAGE  2

static const struct section *const sections[] = {
	&sec_seg, &sec_far, &sec_exc, &sec_cr, &sec_pg, &sec_io, &sec_dr, &sec_msr, &sec_irq,
	&sec_hole,
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static char cmdline[CMDLINE_MAX];
static const char *opt_sections;        /* comma list, or 0 for all */
static const char *opt_skip;            /* comma list of check ids */
static bool opt_list;

static struct jmpbuf check_ctx;
static const struct check *current;
extern unsigned report_lines;

/* ---- the command line ---- */

static bool is_sep(char c)
{
	return c == ',' || c == '+';
}

static bool in_list(const char *list, const char *word)
{
	size_t n = fmt_strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = p;
		while (*end && !is_sep(*end))
			end++;
		if ((size_t)(end - p) == n && fmt_strncmp(p, word, n) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static bool section_known(const char *name, size_t n)
{
	for (unsigned i = 0; i < NSECTIONS; i++)
		if (fmt_strlen(sections[i]->name) == n && fmt_strncmp(sections[i]->name, name, n) == 0)
			return true;
	return false;
}

static void refuse(const char *why, const char *word)
{
	console_printf("conform: command line refused: %s '%s'\n", why, word);
	machine_exit(EXIT_USAGE);
}

static void check_sections(const char *list)
{
	for (const char *p = list; *p;) {
		const char *end = p;
		while (*end && !is_sep(*end))
			end++;
		if (!section_known(p, (size_t)(end - p)))
			refuse("unknown section in", list);
		p = *end ? end + 1 : end;
	}
}

/* Splits cmdline into words in place; the first may be the kernel's path. */
static void parse(char *s)
{
	bool first = true;
	while (*s) {
		while (*s == ' ')
			*s++ = 0;
		if (!*s)
			break;
		char *w = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = 0;
		size_t n = fmt_strlen(w);
		bool path = false;
		for (char *c = w; *c; c++)
			path |= *c == '/';
		if (first && (path || (n > 4 && fmt_strcmp(w + n - 4, ".elf") == 0))) {
			first = false;
			continue;
		}
		first = false;
		if (fmt_strncmp(w, "section=", 8) == 0) {
			opt_sections = w + 8;
			check_sections(opt_sections);
		} else if (fmt_strncmp(w, "skip=", 5) == 0) {
			opt_skip = w + 5;
		} else if (fmt_strcmp(w, "list") == 0) {
			opt_list = true;
		} else {
			refuse("unknown option", w);
		}
	}
}

static void read_cmdline(u32 magic, const struct mb_info *mbi)
{
	if (magic != MB_BOOT_MAGIC || !(mbi->flags & MBI_CMDLINE))
		return;
	const char *src = (const char *)mbi->cmdline;
	size_t i = 0;
	for (; i < CMDLINE_MAX - 1 && src[i]; i++)
		cmdline[i] = src[i];
	cmdline[i] = 0;
	if (src[i])
		refuse("command line too long", "");
}

/* ---- running checks ---- */

void check_abort(struct frame *f)
{
	report(current->id, "aborted/%s@0x%08x", vec_str(f->vector, f->err), f->eip);
	longjmp(&check_ctx, 1);
}

static void run_check(const struct check *c)
{
	console_printf("# %s\n", c->id);
	current = c;
	if (setjmp(&check_ctx) == 0) {
		cpu_reset();
		c->run();
	}
	cpu_reset();
}

static void list_checks(void)
{
	for (unsigned s = 0; s < NSECTIONS; s++) {
		console_printf("## %s: %s\n", sections[s]->name, sections[s]->what);
		for (unsigned i = 0; i < sections[s]->count; i++)
			console_printf("# %s\n", sections[s]->checks[i].id);
	}
}

extern void cpu_init(void);

void cmain(u32 magic, const struct mb_info *mbi)
{
	unsigned checks = 0, skipped = 0;

	console_init();
	read_cmdline(magic, mbi);
	parse(cmdline);
	if (opt_list) {
		list_checks();
		machine_exit(EXIT_OK);
	}
	cpu_init();
	for (unsigned s = 0; s < NSECTIONS; s++) {
		const struct section *sec = sections[s];
		if (opt_sections && !in_list(opt_sections, sec->name))
			continue;
		console_printf("## %s\n", sec->name);
		for (unsigned i = 0; i < sec->count; i++) {
			if (in_list(opt_skip, sec->checks[i].id)) {
				skipped++;
				continue;
			}
			run_check(&sec->checks[i]);
			checks++;
		}
	}
	console_printf("conform: done, %u checks, %u lines, %u skipped\n", checks, report_lines,
		       skipped);
	machine_exit(EXIT_OK);
}
