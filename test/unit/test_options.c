/*
 * test_options.c - host unit tests for src/monitor/options.c: the monitor's
 * command line.  Every accepted form sets what it says; every refused form
 * gives a one-line reason naming the offending word.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "monitor/options.h"

static struct mon_options parse_ok(const char *line)
{
	struct mon_options o;
	char err[OPTIONS_ERR_MAX];
	int r = options_parse(line, &o, err, sizeof err);
	if (r != 0)
		fail_msg("'%s' refused: %s", line, err);
	return o;
}

static void expect_refused(const char *line, const char *why_part)
{
	struct mon_options o;
	char err[OPTIONS_ERR_MAX];
	assert_int_equal(options_parse(line, &o, err, sizeof err), -1);
	if (strstr(err, why_part) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", line, err, why_part);
	assert_null(strchr(err, '\n'));
}

static void test_defaults(void **state)
{
	(void)state;
	const char *lines[] = { NULL, "", "   ", "build/monitor.elf", "/boot/monitor.elf" };
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct mon_options o = parse_ok(lines[i]);
		assert_int_equal(o.mem_mb, MEM_MB_DEFAULT);
		assert_int_equal(o.ring, 1);
		assert_int_equal(o.shadow, SHADOW_CACHED);
		assert_int_equal(o.shadow_cache, SHADOW_CACHE_DEFAULT);
		assert_int_equal(o.trace, 0);
		assert_int_equal(o.stats, 1);
		assert_int_equal(o.disk[0], DISK_NONE);
		assert_int_equal(o.disk[1], DISK_NONE);
		assert_int_equal(o.fault.target, FT_NONE);
		assert_int_equal(o.fault.trig, TG_NONE);
		assert_int_equal(o.watchdog_ms, 0);
	}
}

/* disk0=/disk1=modN and input=modN: a module of the monitor's, each
 * module backing at most one of them. */
static void test_modules(void **state)
{
	(void)state;
	struct mon_options o = parse_ok("mem=256 disk1=mod1 input=mod2");
	assert_int_equal(o.disk[1], DISK_MOD);
	assert_int_equal(o.disk_mod[1], 1);
	assert_int_equal(o.disk[0], DISK_NONE);
	assert_int_equal(o.input_mod, 2);
	o = parse_ok("disk0=mod7 disk1=hd1");
	assert_int_equal(o.disk[0], DISK_MOD);
	assert_int_equal(o.disk_mod[0], 7);
	assert_int_equal(o.disk[1], DISK_HD1);
	assert_int_equal(o.input_mod, 0);
	o = parse_ok("disk0=mod1 disk1=mod2");          /* two modules: no conflict */
	assert_int_equal(o.disk_mod[0], 1);
	assert_int_equal(o.disk_mod[1], 2);
	o = parse_ok("disk0=mod1 disk0=hd0");           /* the last word wins */
	assert_int_equal(o.disk[0], DISK_HD0);
	assert_int_equal(o.disk_mod[0], 0);
	expect_refused("disk0=mod0", "disk0= takes hd0, hd1, mod1..mod7 or none");
	expect_refused("disk0=mod8", "disk0= takes");
	expect_refused("disk0=mod", "disk0= takes");
	expect_refused("disk0=modx", "disk0= takes");
	expect_refused("input=hd1", "bad value in 'input=hd1': input= takes mod1..mod7");
	expect_refused("input=mod0", "input= takes mod1..mod7");
	expect_refused("input=", "input= takes");
	expect_refused("disk0=mod1 disk1=mod1", "module 1 is named twice");
	expect_refused("disk1=mod3 input=mod3", "module 3 is named twice");
}

static void test_disks(void **state)
{
	(void)state;
	struct mon_options o = parse_ok("mem=256 disk1=hd1");
	assert_int_equal(o.disk[0], DISK_NONE);
	assert_int_equal(o.disk[1], DISK_HD1);
	o = parse_ok("disk0=hd1 disk1=hd0");
	assert_int_equal(o.disk[0], DISK_HD1);
	assert_int_equal(o.disk[1], DISK_HD0);
	o = parse_ok("disk0=hd0 disk0=none");
	assert_int_equal(o.disk[0], DISK_NONE);
	o = parse_ok("disk0=none disk1=none");          /* none twice is no conflict */
	assert_int_equal(o.disk[1], DISK_NONE);
	expect_refused("disk1=hd2", "bad value in 'disk1=hd2': disk1= takes hd0, hd1, mod1..mod7 "
		       "or none");
	expect_refused("disk0=", "disk0= takes hd0, hd1, mod1..mod7 or none");
	expect_refused("disk2=hd0", "unknown option 'disk2=hd0'");
	expect_refused("disk0=hd1 disk1=hd1", "both use host disk hd1");
	expect_refused("disk1=hd0 disk0=hd0", "one host disk backs at most one guest disk");
}

static void test_each_option(void **state)
{
	(void)state;
	struct mon_options o = parse_ok("build/monitor.elf mem=128 ring=1 shadow=vtlb stats=off");
	assert_int_equal(o.mem_mb, 128);
	assert_int_equal(o.stats, 0);
	assert_int_equal(parse_ok("mem=4").mem_mb, 4);
	assert_int_equal(parse_ok("mem=1024").mem_mb, 1024);
	assert_int_equal(parse_ok("stats=off stats=on").stats, 1);
	assert_int_equal(o.shadow, SHADOW_VTLB);
	assert_int_equal(o.ring, 1);
	assert_int_equal(parse_ok("ring=3").ring, 3);
	assert_int_equal(parse_ok("ring=3 ring=1").ring, 1);
	assert_int_equal(parse_ok("shadow=cached").shadow, SHADOW_CACHED);
	assert_int_equal(parse_ok("shadow=vtlb shadow=cached").shadow, SHADOW_CACHED);
	assert_int_equal(parse_ok("shadow_cache=1").shadow_cache, 1);
	assert_int_equal(parse_ok("shadow_cache=128").shadow_cache, SHADOW_CACHE_MAX);
	assert_int_equal(parse_ok("shadow=cached shadow_cache=3").shadow_cache, 3);
}

static void test_trace_lists(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("trace=traps").trace, TRACE_TRAPS);
	assert_int_equal(parse_ok("trace=mmu,io").trace, TRACE_MMU | TRACE_IO);
	assert_int_equal(parse_ok("trace=all").trace, TRACE_ALL);
	assert_int_equal(parse_ok("trace=none").trace, 0);
	assert_int_equal(parse_ok("trace=traps trace=none").trace, 0);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("bogus", "unknown option 'bogus'");
	expect_refused("monitor.elf mem=64 frobnicate=1", "unknown option 'frobnicate=1'");
	expect_refused("mem=3", "mem= takes megabytes from 4 to 1024");
	expect_refused("mem=1025", "'mem=1025'");
	expect_refused("mem=", "'mem='");
	expect_refused("mem=64M", "'mem=64M'");
	expect_refused("mem=99999999999999", "mem=");
	expect_refused("ring=0", "ring= takes 1 or 3");
	expect_refused("ring=2", "ring= takes 1 or 3");
	expect_refused("shadow=", "shadow= takes cached or vtlb");
	expect_refused("shadow_cache=0", "shadow_cache= takes a count from 1 to 128");
	expect_refused("shadow_cache=129", "'shadow_cache=129'");
	expect_refused("shadow_cache=lots", "'shadow_cache=lots'");
	expect_refused("shadow_cache=8 shadow=vtlb", "shadow_cache= applies to shadow=cached");
	expect_refused("shadow=vtlb shadow_cache=8", "shadow_cache= applies to shadow=cached");
	expect_refused("shadow=tlb", "'shadow=tlb'");
	expect_refused("trace=traps,bogus", "'trace=traps,bogus'");
	expect_refused("trace=", "'trace='");
	expect_refused("trace=traps,", "trace=");
	expect_refused("stats=yes", "'stats=yes'");
	expect_refused("=5", "unknown option '=5'");
}

/* iflag= and ifwatch= (docs/x86-holes.md): the default keeps the real IF
 * equal to the virtual one, with a 5 s watchdog. */
static void test_iflag(void **state)
{
	(void)state;
	struct mon_options o = parse_ok("");
	assert_int_equal(o.iflag, IFLAG_REAL);
	assert_int_equal(o.ifwatch_s, IFWATCH_DEFAULT_S);
	assert_int_equal(parse_ok("iflag=soft").iflag, IFLAG_SOFT);
	assert_int_equal(parse_ok("iflag=soft iflag=real").iflag, IFLAG_REAL);
	assert_int_equal(parse_ok("ifwatch=1").ifwatch_s, 1);
	assert_int_equal(parse_ok("ifwatch=3600").ifwatch_s, 3600);
	expect_refused("iflag=on", "iflag= takes real or soft");
	expect_refused("ifwatch=0", "ifwatch= takes seconds from 1 to 3600");
	expect_refused("ifwatch=3601", "'ifwatch=3601'");
	expect_refused("ifwatch=", "ifwatch=");
	assert_false(parse_ok("").userret_trap);
	assert_true(parse_ok("userret=trap").userret_trap);
	assert_false(parse_ok("userret=trap userret=lazy").userret_trap);
	expect_refused("userret=always", "userret= takes lazy or trap");
}

/* fault=, trigger=, persist= (src/fault/spec.c parses their values) and
 * watchdog= */
static void test_fault_options(void **state)
{
	(void)state;
	struct mon_options o = parse_ok("mem=16 fault=reg:eax:3 trigger=trap:14:100 persist=5 "
					"watchdog=2000");
	assert_int_equal(o.fault.target, FT_REG);
	assert_int_equal(o.fault.trig, TG_TRAP);
	assert_int_equal(o.fault.trig_what, 14);
	assert_int_equal(o.fault.trig_count, 100);
	assert_int_equal(o.fault.persist, 5);
	assert_int_equal(o.watchdog_ms, 2000);
	assert_int_equal(o.mem_mb, 16);
	o = parse_ok("trigger=eip:0xc0100000:2 fault=mem:0xc0131000:1");
	assert_int_equal(o.fault.target, FT_MEM);
	assert_int_equal(o.fault.trig, TG_EIP);
	assert_int_equal(parse_ok("watchdog=1").watchdog_ms, 1);
	assert_int_equal(parse_ok("watchdog=3600000").watchdog_ms, 3600000);
	expect_refused("watchdog=0", "watchdog= takes milliseconds");
	expect_refused("watchdog=3600001", "watchdog= takes milliseconds");
	expect_refused("fault=reg:eax:3", "needs a trigger=");
	expect_refused("trigger=time:5", "needs a fault=");
	expect_refused("persist=forever", "needs a fault=");
	expect_refused("fault=reg:xax:3 trigger=time:5", "bad value in 'fault=reg:xax:3'");
	expect_refused("fault=reg:eax:3 trigger=when", "bad value in 'trigger=when'");
	expect_refused("fault=reg:eax:3 trigger=time:1 persist=-1", "bad value in 'persist=-1'");
	expect_refused("faults=1", "fault= trigger= persist= watchdog=)");
}

static void test_path_only_first(void **state)
{
	(void)state;
	/* a path is skipped only as the first word */
	expect_refused("mem=8 build/monitor.elf", "unknown option 'build/monitor.elf'");
}

static void test_small_err_buffer(void **state)
{
	(void)state;
	struct mon_options o;
	char err[8];
	assert_int_equal(options_parse("bogus-option-with-a-long-name", &o, err, sizeof err), -1);
	assert_int_equal(strlen(err), sizeof err - 1);
	assert_int_equal(options_parse("bogus", &o, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_each_option),
		cmocka_unit_test(test_trace_lists),
		cmocka_unit_test(test_disks),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_iflag),
		cmocka_unit_test(test_fault_options),
		cmocka_unit_test(test_path_only_first),
		cmocka_unit_test(test_small_err_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
