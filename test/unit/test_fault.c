/*
 * test_fault.c - host unit tests for the pure part of fault injection
 * (src/fault/spec.c, trigger.c, target.c): the option forms and their
 * refusals, when each kind of trigger is due, what each target does to a
 * guest frame, the guest page walk that finds an entry without setting
 * accessed bits, and the memory-watch verdict.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fault/spec.h"
#include "fault/trigger.h"
#include "fault/target.h"
#include "monitor/x86.h"

#define ERRLEN 200

static int parse3(const char *fault, const char *trigger, const char *persist,
		  struct fault_spec *s, char *err)
{
	memset(s, 0, sizeof *s);
	if (fault && fault_parse_target(fault, strlen(fault), s, err, ERRLEN) < 0)
		return -1;
	if (trigger && fault_parse_trigger(trigger, strlen(trigger), s, err, ERRLEN) < 0)
		return -1;
	if (persist && fault_parse_persist(persist, strlen(persist), s, err, ERRLEN) < 0)
		return -1;
	return fault_check(s, err, ERRLEN);
}

static struct fault_spec ok(const char *fault, const char *trigger, const char *persist)
{
	struct fault_spec s;
	char err[ERRLEN];
	if (parse3(fault, trigger, persist, &s, err) < 0)
		fail_msg("'%s' '%s' '%s' refused: %s", fault, trigger, persist ? persist : "", err);
	return s;
}

static void refused(const char *fault, const char *trigger, const char *persist,
		    const char *why_part)
{
	struct fault_spec s;
	char err[ERRLEN] = "";
	assert_int_equal(parse3(fault, trigger, persist, &s, err), -1);
	if (!strstr(err, why_part))
		fail_msg("reason '%s' lacks '%s'", err, why_part);
	assert_null(strchr(err, '\n'));
}

/* ---- spec.c ---- */

static void test_targets(void **state)
{
	(void)state;
	struct fault_spec s = ok("reg:eax:5", "trap:14:1", NULL);
	assert_int_equal(s.target, FT_REG);
	assert_int_equal(s.reg, GPR_EAX);
	assert_int_equal(fault_mask(&s), 1u << 5);
	s = ok("reg:eflags:0:32", "trap:13:2", NULL);
	assert_int_equal(s.reg, FREG_EFLAGS);
	assert_int_equal(fault_mask(&s), 0xFFFFFFFFu);
	s = ok("reg:edi:30:2", "irq:3", NULL);
	assert_int_equal(s.reg, GPR_EDI);
	assert_int_equal(fault_mask(&s), 0xC0000000u);
	s = ok("reg:eip:31", "time:0", NULL);
	assert_int_equal(s.reg, FREG_EIP);
	s = ok("mem:0xc0131000:7", "time:5", NULL);
	assert_int_equal(s.target, FT_MEM);
	assert_int_equal(s.addr, 0xc0131000u);
	assert_int_equal(s.bit, 7);
	assert_int_equal(ok("pte:4096:31", "time:5", NULL).target, FT_PTE);
	assert_int_equal(ok("pde:0xFFFFFFFF:0", "time:5", NULL).target, FT_PDE);
	s = ok("insn:14:3", "time:5", NULL);
	assert_int_equal(s.target, FT_INSN);
	assert_int_equal(s.addr, 14);
	s = ok("port:0x3fd:31", "time:5", NULL);
	assert_int_equal(s.addr, 0x3fd);
	s = ok("irq:delay:20", "time:5", NULL);
	assert_int_equal(s.mode, FIRQ_DELAY);
	assert_int_equal(s.delay_ms, 20);
	assert_int_equal(ok("irq:lost", "time:5", NULL).mode, FIRQ_LOST);
	assert_int_equal(ok("irq:spurious", "time:5", NULL).mode, FIRQ_SPURIOUS);
	assert_int_equal(ok("irq:lost", "time:5", NULL).timer, FTIMER_PIT);
	s = ok("irq:lapic:delay:7", "time:5", NULL);     /* the local APIC timer */
	assert_int_equal(s.timer, FTIMER_LAPIC);
	assert_int_equal(s.mode, FIRQ_DELAY);
	assert_int_equal(s.delay_ms, 7);
	s = ok("irq:lapic:lost", "time:5", NULL);
	assert_int_equal(s.timer, FTIMER_LAPIC);
	assert_int_equal(s.mode, FIRQ_LOST);
	assert_int_equal(ok("irq:lapic:spurious", "time:5", NULL).mode, FIRQ_SPURIOUS);
	s = ok("irq:pit:spurious", "time:5", NULL);
	assert_int_equal(s.timer, FTIMER_PIT);
	assert_int_equal(s.mode, FIRQ_SPURIOUS);
	assert_int_equal(ok("emul:9", "emul:cli:1", NULL).bit, 9);
	assert_int_equal(ok("shadow:invlpg", "time:1", NULL).mode, FSH_INVLPG);
	assert_int_equal(ok("shadow:ptwrite", "time:1", NULL).mode, FSH_PTWRITE);
}

static void test_bad_targets(void **state)
{
	(void)state;
	const char *bad[] = {
		"reg:eax", "reg:eax:32", "reg:eax:31:2", "reg:eax:0:0", "reg:cr0:1", "reg:EAX:1",
		"reg:eax:5:1:1", "mem:0x1:8", "mem:0x100000000:1", "mem:zz:1", "mem:0x:1",
		"pte:1:32", "insn:15:0", "port:0x10000:0", "irq:late", "irq:delay:0",
		"irq:delay:10001", "emul:32", "emul", "shadow:flush", "cpu:1", "", ":", "reg::1",
		"mem:-1:0", "mem:1:1:1", "irq:lapic", "irq:lapic:late", "irq:hpet:lost",
		"irq:lapic:delay:0", "irq:lapic:lost:1", "irq:pit:lapic:lost",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(bad[i], "time:1", NULL, "fault= takes");
}

static void test_triggers(void **state)
{
	(void)state;
	struct fault_spec s = ok("reg:eax:0", "trap:255:4294967295", NULL);
	assert_int_equal(s.trig, TG_TRAP);
	assert_int_equal(s.trig_what, 255);
	assert_int_equal(s.trig_count, 0xFFFFFFFFu);
	s = ok("reg:eax:0", "emul:invlpg:3", NULL);
	assert_int_equal(s.trig, TG_EMUL);
	assert_int_equal(s.trig_what, INSN_INVLPG);
	s = ok("reg:eax:0", "shadow:ptwrite:2", NULL);
	assert_int_equal(s.trig, TG_SHADOW);
	assert_int_equal(s.trig_what, SEV_PTWRITE);
	s = ok("reg:eax:0", "eip:0xc0100520:7", NULL);
	assert_int_equal(s.trig, TG_EIP);
	assert_int_equal(s.trig_addr, 0xc0100520u);
	assert_int_equal(s.trig_count, 7);
	s = ok("reg:eax:0", "time:3600000000", NULL);
	assert_true(s.trig_us == 3600000000ull);
	const char *bad[] = {
		"trap:256:1", "trap:14:0", "trap:14", "emul:mov:1", "emul:cli:0", "shadow:hit:1",
		"irq:0", "eip:0x1", "time:3600000001", "time:", "later", "irq:1:1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused("reg:eax:0", bad[i], NULL, "trigger= takes");
}

static void test_persist_and_pairing(void **state)
{
	(void)state;
	assert_int_equal(ok("reg:eax:0", "time:1", "once").persist, PERSIST_ONCE);
	assert_int_equal(ok("reg:eax:0", "time:1", "forever").persist, PERSIST_FOREVER);
	assert_int_equal(ok("reg:eax:0", "time:1", "25").persist, 25);
	refused("reg:eax:0", "time:1", "0", "persist= takes");
	refused("reg:eax:0", "time:1", "always", "persist= takes");
	refused("reg:eax:0", NULL, NULL, "needs a trigger=");
	refused(NULL, "time:1", NULL, "needs a fault=");
	refused(NULL, NULL, "forever", "needs a fault=");
	struct fault_spec none = ok(NULL, NULL, NULL);
	assert_int_equal(none.target, FT_NONE);
}

static void test_descriptions(void **state)
{
	(void)state;
	char t[64], w[64];
	struct fault_spec s = ok("reg:ebx:3:2", "emul:cli:20", NULL);
	fault_describe_target(&s, t, sizeof t);
	fault_describe_trigger(&s, w, sizeof w);
	assert_string_equal(t, "reg ebx bits 3-4");
	assert_string_equal(w, "emulated cli #20");
	s = ok("irq:delay:5", "time:1500", NULL);
	fault_describe_target(&s, t, sizeof t);
	fault_describe_trigger(&s, w, sizeof w);
	assert_string_equal(t, "irq0 delayed 5 ms");
	assert_string_equal(w, "time 1500 us");
	s = ok("irq:lapic:lost", "irq:4", "forever");
	fault_describe_target(&s, t, sizeof t);
	assert_string_equal(t, "lapic timer lost");
	s = ok("irq:lapic:delay:9", "irq:4", NULL);
	fault_describe_target(&s, t, sizeof t);
	assert_string_equal(t, "lapic timer delayed 9 ms");
}

/* ---- trigger.c ---- */

static void test_trigger_due(void **state)
{
	(void)state;
	struct vcpu_stats st;
	memset(&st, 0, sizeof st);
	struct fault_spec s = ok("reg:eax:0", "trap:14:3", NULL);
	st.traps[14] = 2;
	assert_false(trigger_due(&s, &st, 0));
	st.traps[14] = 3;
	assert_true(trigger_due(&s, &st, 0));
	st.traps[13] = 100;
	s = ok("reg:eax:0", "emul:cli:2", NULL);
	assert_false(trigger_due(&s, &st, 0));
	st.emul[INSN_CLI] = 2;
	assert_true(trigger_due(&s, &st, 0));
	const char *shadow[] = { "shadow:fill:1", "shadow:flush:1", "shadow:invlpg:1",
				 "shadow:ptwrite:1" };
	uint32_t *counters[] = { &st.hidden_pf, &st.shadow_flushes, &st.shadow_invlpgs,
				 &st.pt_writes };
	for (unsigned i = 0; i < 4; i++) {
		s = ok("reg:eax:0", shadow[i], NULL);
		assert_false(trigger_due(&s, &st, 0));
		*counters[i] = 1;
		assert_true(trigger_due(&s, &st, 0));
		assert_int_equal(trigger_count_now(&s, &st), 1);
	}
	s = ok("reg:eax:0", "irq:5", NULL);
	st.ext_ints = 4;
	assert_false(trigger_due(&s, &st, 1000000));
	st.ext_ints = 5;
	assert_true(trigger_due(&s, &st, 0));
	s = ok("reg:eax:0", "time:1500", NULL);
	assert_false(trigger_due(&s, &st, 1499));
	assert_true(trigger_due(&s, &st, 1500));
	s = ok("reg:eax:0", "eip:0x1000:1", NULL);
	assert_false(trigger_due(&s, &st, ~0ull));     /* debug registers decide */
}

static void test_ticks_to_us(void **state)
{
	(void)state;
	assert_true(trigger_ticks_to_us(0) == 0);
	assert_true(trigger_ticks_to_us(1193182) == 1000000);
	assert_true(trigger_ticks_to_us(1193) == 999);
	assert_true(trigger_ticks_to_us(1193182ull * 3600) == 3600000000ull);
}

/* ---- target.c ---- */

static void test_flip_registers(void **state)
{
	(void)state;
	struct trapframe tf;
	bool vif = true;
	memset(&tf, 0, sizeof tf);
	tf.ebx = 0x10;
	tf.eflags = FL_IF | FL_RESERVED1;
	struct fault_spec s = ok("reg:ebx:4", "time:1", NULL);
	assert_int_equal(target_flip_reg(&tf, &vif, &s), 0);
	assert_int_equal(tf.ebx, 0);
	assert_int_equal(tf.eax, 0);
	s = ok("reg:esp:0:8", "time:1", NULL);
	tf.esp = 0x1234;
	assert_int_equal(target_flip_reg(&tf, &vif, &s), 0x12CB);
	/* EFLAGS.IF is the virtual IF; the real IF stays set */
	s = ok("reg:eflags:9", "time:1", NULL);
	assert_int_equal(target_flip_reg(&tf, &vif, &s) & FL_IF, 0);
	assert_false(vif);
	assert_true(tf.eflags & FL_IF);
	assert_false(target_reg_masked(&s));
	/* bits the exit path overrides are reported masked */
	struct fault_spec m = ok("reg:eflags:12:2", "time:1", NULL);
	assert_true(target_reg_masked(&m));
	m = ok("reg:eflags:1", "time:1", NULL);
	assert_true(target_reg_masked(&m));
	m = ok("reg:eflags:11:2", "time:1", NULL);
	assert_false(target_reg_masked(&m));
	m = ok("reg:eax:12", "time:1", NULL);
	assert_false(target_reg_masked(&m));
	/* stuck-at forces only the masked bits */
	s = ok("reg:eip:0:4", "time:1", NULL);
	tf.eip = 0xc0100000;
	target_force_reg(&tf, &vif, &s, 0x5);
	assert_int_equal(tf.eip, 0xc0100005);
	target_force_reg(&tf, &vif, &s, 0xFFFFFFF0);
	assert_int_equal(tf.eip, 0xc0100000);
}

static void test_emul_dest_and_port(void **state)
{
	(void)state;
	struct insn in;
	unsigned gpr = 99;
	memset(&in, 0, sizeof in);
	in.kind = INSN_IN;
	assert_int_equal(target_emul_dest(&in, &gpr), EDEST_GPR);
	assert_int_equal(gpr, GPR_EAX);
	in.kind = INSN_MOV_FROM_CR;
	in.rm = GPR_ESI;
	assert_int_equal(target_emul_dest(&in, &gpr), EDEST_GPR);
	assert_int_equal(gpr, GPR_ESI);
	in.kind = INSN_STI;
	assert_int_equal(target_emul_dest(&in, &gpr), EDEST_VIF);
	in.kind = INSN_OUT;
	assert_int_equal(target_emul_dest(&in, &gpr), EDEST_NONE);
	in.kind = INSN_MOV_TO_CR;
	assert_int_equal(target_emul_dest(&in, &gpr), EDEST_NONE);
	/* a port value: the bit wraps to the access width */
	assert_int_equal(target_port_value(0x60, 1, 5), 0x40);
	assert_int_equal(target_port_value(0x60, 1, 13), 0x40);
	assert_int_equal(target_port_value(0, 2, 15), 0x8000);
	assert_int_equal(target_port_value(0, 4, 31), 0x80000000u);
}

/* A fake guest-physical memory of 16 words at 0x1000 steps. */
struct fakemem { uint32_t addr[16], val[16]; unsigned n; };

static int fake_read(void *ctx, uint32_t gpa, uint32_t *val)
{
	struct fakemem *m = ctx;
	for (unsigned i = 0; i < m->n; i++)
		if (m->addr[i] == gpa) {
			*val = m->val[i];
			return 0;
		}
	return -1;
}

static void test_page_walk(void **state)
{
	(void)state;
	struct fakemem m = { { 0x5000 + 0x300 * 4, 0x5000 + 0x301 * 4, 0x6000 + 0x100 * 4,
			       0x6000 + 0x101 * 4, 0x5000 + 0x302 * 4 },
			     { 0x6000 | PTE_P | PTE_W, 0x00400000 | PTE_P | PTE_PS, 0x9000 | PTE_P,
			       0x0, 0x0 }, 5 };
	uint32_t g = 0, cr0 = CR0_PG | CR0_PE, cr3 = 0x5000, cr4 = CR4_PSE;
	const char *why = "";

	/* va 0xC0100123: PDE 0x300, PTE 0x100 */
	assert_int_equal(target_entry_gpa(cr0, cr3, cr4, 0xC0100123, true, fake_read, &m, &g, &why), 0);
	assert_int_equal(g, 0x5000 + 0x300 * 4);
	assert_int_equal(target_entry_gpa(cr0, cr3, cr4, 0xC0100123, false, fake_read, &m, &g, &why), 0);
	assert_int_equal(g, 0x6000 + 0x100 * 4);
	assert_int_equal(target_linear_to_gpa(cr0, cr3, cr4, 0xC0100123, fake_read, &m, &g, &why), 0);
	assert_int_equal(g, 0x9123);
	/* absent PTE */
	assert_int_equal(target_linear_to_gpa(cr0, cr3, cr4, 0xC0101000, fake_read, &m, &g, &why), -1);
	assert_non_null(strstr(why, "page-table entry"));
	/* 4 MB page: a linear address maps, a PTE does not exist */
	assert_int_equal(target_linear_to_gpa(cr0, cr3, cr4, 0xC0412345, fake_read, &m, &g, &why), 0);
	assert_int_equal(g, 0x00412345);
	assert_int_equal(target_entry_gpa(cr0, cr3, cr4, 0xC0412345, false, fake_read, &m, &g, &why), -1);
	assert_non_null(strstr(why, "4 MB"));
	/* ...unless CR4.PSE is off: then bit 7 is ignored and it is a table */
	assert_int_equal(target_entry_gpa(cr0, cr3, 0, 0xC0412345, false, fake_read, &m, &g, &why), 0);
	/* absent PDE */
	assert_int_equal(target_entry_gpa(cr0, cr3, cr4, 0xC0800000, false, fake_read, &m, &g, &why), -1);
	assert_non_null(strstr(why, "not present"));
	/* paging off: identity, and no entries at all */
	assert_int_equal(target_linear_to_gpa(CR0_PE, cr3, cr4, 0x123456, fake_read, &m, &g, &why), 0);
	assert_int_equal(g, 0x123456);
	assert_int_equal(target_entry_gpa(CR0_PE, cr3, cr4, 0x123456, true, fake_read, &m, &g, &why), -1);
	assert_non_null(strstr(why, "paging is off"));
}

static void test_watch_verdict(void **state)
{
	(void)state;
	/* read-only hit */
	assert_int_equal(target_watch_verdict(false, 0x10, 0x10, 0x10), WATCH_READ);
	/* a write that replaced the faulty bit */
	assert_int_equal(target_watch_verdict(true, 0x00, 0x10, 0x10), WATCH_OVERWRITTEN);
	/* a write that kept it (read-modify-write): the fault lives on */
	assert_int_equal(target_watch_verdict(true, 0x13, 0x10, 0x10), WATCH_READ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_bad_targets),
		cmocka_unit_test(test_triggers),
		cmocka_unit_test(test_persist_and_pairing),
		cmocka_unit_test(test_descriptions),
		cmocka_unit_test(test_trigger_due),
		cmocka_unit_test(test_ticks_to_us),
		cmocka_unit_test(test_flip_registers),
		cmocka_unit_test(test_emul_dest_and_port),
		cmocka_unit_test(test_page_walk),
		cmocka_unit_test(test_watch_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
