/*
 * test_watch.c - host unit tests for src/trap/watch.c: guest structures the
 * CPU reads from memory (GDT, LDT, IDT, TSS), followed by write-protecting
 * their frames in the shadow.
 *
 * A frame under a watch is never writable in the shadow, so every guest
 * write to it traps; watch.c tells the owner of the range about writes
 * inside it, and lets a frame go after WATCH_RELEASE_AFTER writes beside
 * the range and none in it (a table sharing its page with busy data).
 * What is checked here: the owner hears exactly the writes in its range;
 * a busy frame is let go and the owner told; a reload of the same range on
 * that frame does not watch it again (xv6's LTR at every context switch,
 * with its lock counter on the TSS's page); another range starts afresh.
 * watch.c is compiled into this test with fakes for the shadow MMU's side
 * (gva_translate, shadow_watch, shadow_set_watcher).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "trap/watch.c"

#define PG 4096u
#define MAPPED_TOP 0x00100000u          /* the fake maps va = gpa below 1 MB */
#define TSS_PAGE 0x00011000u            /* a TSS's page, shared with other data */
#define ESP0 (TSS_PAGE + 0x7A4u)        /* SS0:ESP0 watched, 8 bytes */
#define NCLI (TSS_PAGE + 0x7E0u)        /* a lock counter beside it */

static struct vcpu vc;
static shadow_watcher watcher;          /* what watch.c registered */
static int watched[MAPPED_TOP / PG];    /* shadow_watch's state per frame */
static unsigned watch_calls;            /* shadow_watch(..., true) calls */
static unsigned wrote_calls, lost_calls;
static uint32_t wrote_off, wrote_n;

/* ---- fakes of the shadow MMU ---- */

enum gva_result gva_translate(struct vcpu *v, uint32_t va, unsigned acc, uint32_t *gpa_out,
			      struct gva_fault *f)
{
	(void)v, (void)acc, (void)f;
	if (va >= MAPPED_TOP)
		return GVA_PF;
	*gpa_out = va;
	return GVA_OK;
}

void shadow_set_watcher(shadow_watcher fn)
{
	watcher = fn;
}

void shadow_watch(struct vcpu *v, uint32_t gfn, bool on)
{
	(void)v;
	watched[gfn] = on;
	watch_calls += on;
}

/* ---- the owner ---- */

static void owner_wrote(struct vcpu *v, void *ctx, uint32_t off, uint32_t n)
{
	(void)v, (void)ctx;
	wrote_calls++;
	wrote_off = off;
	wrote_n = n;
}

static void owner_lost(struct vcpu *v, void *ctx)
{
	(void)v, (void)ctx;
	lost_calls++;
}

static struct watch tss = { .name = "TSS", .wrote = owner_wrote, .lost = owner_lost };

/* The guest writes n bytes at gpa (the monitor emulated it). */
static void guest_writes(uint32_t gpa, uint32_t n)
{
	watcher(&vc, gpa, n);
}

static int setup(void **state)
{
	(void)state;
	watch_set(&vc, &tss, 0, 0);
	memset(watched, 0, sizeof watched);
	memset(&vc, 0, sizeof vc);
	watch_calls = wrote_calls = lost_calls = 0;
	return 0;
}

static void test_writes_inside_reach_the_owner(void **state)
{
	(void)state;
	watch_set(&vc, &tss, ESP0, 8);
	assert_true(watched[TSS_PAGE / PG]);
	assert_true(watch_complete(&tss));
	guest_writes(ESP0 - 2, 4);              /* straddles the start */
	assert_int_equal(wrote_calls, 1);
	assert_int_equal(wrote_off, 0);
	assert_int_equal(wrote_n, 2);
	guest_writes(NCLI, 4);                  /* beside: not the owner's */
	assert_int_equal(wrote_calls, 1);
}

static void test_busy_frame_let_go(void **state)
{
	(void)state;
	watch_set(&vc, &tss, ESP0, 8);
	for (unsigned i = 0; i < WATCH_RELEASE_AFTER - 1; i++)
		guest_writes(NCLI, 4);
	assert_true(watched[TSS_PAGE / PG]);
	assert_int_equal(lost_calls, 0);
	guest_writes(NCLI, 4);
	assert_false(watched[TSS_PAGE / PG]);
	assert_int_equal(lost_calls, 1);
	assert_false(watch_complete(&tss));
	assert_int_equal(vc.stats.desc_pages_released, 1);
}

static void test_write_inside_restarts_the_count(void **state)
{
	(void)state;
	watch_set(&vc, &tss, ESP0, 8);
	for (unsigned i = 0; i < WATCH_RELEASE_AFTER - 1; i++)
		guest_writes(NCLI, 4);
	guest_writes(ESP0, 4);
	for (unsigned i = 0; i < WATCH_RELEASE_AFTER - 1; i++)
		guest_writes(NCLI, 4);
	assert_true(watched[TSS_PAGE / PG]);
	assert_int_equal(lost_calls, 0);
}

/* xv6's switchuvm: write ESP0, LTR, then run with its counter next door.
 * Once let go, the same range on the same frame stays let go: each reload
 * would otherwise cost WATCH_RELEASE_AFTER traps. */
static void test_reload_of_busy_range_not_watched_again(void **state)
{
	(void)state;
	watch_set(&vc, &tss, ESP0, 8);
	for (unsigned i = 0; i < WATCH_RELEASE_AFTER; i++)
		guest_writes(NCLI, 4);
	unsigned calls = watch_calls;
	for (unsigned sw = 0; sw < 10; sw++)
		watch_set(&vc, &tss, ESP0, 8);  /* LTR, again and again */
	assert_int_equal(watch_calls, calls);
	assert_false(watched[TSS_PAGE / PG]);
	assert_false(watch_complete(&tss));     /* so the owner relies on reloads */
	assert_int_equal(lost_calls, 1);
}

static void test_other_range_starts_afresh(void **state)
{
	(void)state;
	watch_set(&vc, &tss, ESP0, 8);
	for (unsigned i = 0; i < WATCH_RELEASE_AFTER; i++)
		guest_writes(NCLI, 4);
	watch_set(&vc, &tss, ESP0 + PG, 8);     /* a TSS elsewhere */
	assert_true(watched[(TSS_PAGE + PG) / PG]);
	assert_true(watch_complete(&tss));
	watch_set(&vc, &tss, ESP0, 8);          /* and back: a fresh start */
	assert_true(watched[TSS_PAGE / PG]);
	assert_false(watched[(TSS_PAGE + PG) / PG]);
	assert_true(watch_complete(&tss));
}

static void test_unmapped_page_not_watched(void **state)
{
	(void)state;
	watch_set(&vc, &tss, MAPPED_TOP - 4, 8);        /* its second page is not mapped */
	assert_int_equal(tss.npages, 2);
	assert_true(watched[(MAPPED_TOP - PG) / PG]);
	assert_false(watch_complete(&tss));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_writes_inside_reach_the_owner, setup),
		cmocka_unit_test_setup(test_busy_frame_let_go, setup),
		cmocka_unit_test_setup(test_write_inside_restarts_the_count, setup),
		cmocka_unit_test_setup(test_reload_of_busy_range_not_watched_again, setup),
		cmocka_unit_test_setup(test_other_range_starts_afresh, setup),
		cmocka_unit_test_setup(test_unmapped_page_not_watched, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
