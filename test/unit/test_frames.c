/*
 * test_frames.c - host unit tests for src/lib/frames.c, the
 * reference-counted physical frame pool: allocation order, exhaustion,
 * ref/unref counting, release only at zero references, misuse reported as
 * -1, frames_owns() bounds, free_count across alloc/free cycles, and a
 * randomized (fixed-seed) check against a simple reference model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/frames.h"

#define MAXFRAMES 256

/* A pool over MAXFRAMES-sized arrays; the arrays start full of junk so a
 * missing initialisation shows up. */
struct fixture {
	struct frame_pool pool;
	uint16_t ref[MAXFRAMES];
	uint32_t stack[MAXFRAMES];
};

static struct frame_pool *make_pool(struct fixture *f, uint32_t first, uint32_t count)
{
	assert_true(count <= MAXFRAMES);
	memset(f->ref, 0xA5, sizeof f->ref);
	memset(f->stack, 0xA5, sizeof f->stack);
	frames_init(&f->pool, first, count, f->ref, f->stack);
	return &f->pool;
}

/* ---- init, owns ---------------------------------------------------------- */

static void test_init_all_free(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 16);

	assert_int_equal(frames_free_count(p), 16);
	for (uint32_t pfn = 100; pfn < 116; pfn++)
		assert_int_equal(frames_refcount(p, pfn), 0);
}

static void test_owns_bounds(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 16);

	assert_false(frames_owns(p, 0));
	assert_false(frames_owns(p, 99));
	assert_true(frames_owns(p, 100));
	assert_true(frames_owns(p, 115));
	assert_false(frames_owns(p, 116));
	assert_false(frames_owns(p, FRAME_NONE));

	p = make_pool(&f, 0, 4);                 /* starting at frame 0 */
	assert_true(frames_owns(p, 0));
	assert_true(frames_owns(p, 3));
	assert_false(frames_owns(p, 4));
	assert_false(frames_owns(p, FRAME_NONE));

	p = make_pool(&f, 0xFFFFFFF0u, 8);       /* first + count near 2^32 */
	assert_true(frames_owns(p, 0xFFFFFFF0u));
	assert_true(frames_owns(p, 0xFFFFFFF7u));
	assert_false(frames_owns(p, 0xFFFFFFF8u));
	assert_false(frames_owns(p, 0xFFFFFFEFu));
	assert_false(frames_owns(p, 0));
	assert_false(frames_owns(p, 7));

	p = make_pool(&f, 0xFFFFFFF0u, 16);      /* first + count == 2^32 */
	assert_true(frames_owns(p, 0xFFFFFFF0u));
	assert_true(frames_owns(p, 0xFFFFFFFEu));
	assert_false(frames_owns(p, 0xFFFFFFEFu));
	assert_false(frames_owns(p, 0));

	p = make_pool(&f, 50, 0);                /* empty pool owns nothing */
	assert_false(frames_owns(p, 49));
	assert_false(frames_owns(p, 50));
}

/* ---- alloc --------------------------------------------------------------- */

static void test_alloc_lowest_first_then_exhausted(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 8);

	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(frames_alloc(p), 100 + i);
		assert_int_equal(frames_refcount(p, 100 + i), 1);
		assert_int_equal(frames_free_count(p), 7 - i);
	}
	assert_int_equal(frames_alloc(p), FRAME_NONE);
	assert_int_equal(frames_alloc(p), FRAME_NONE);  /* stays exhausted */
	assert_int_equal(frames_free_count(p), 0);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(frames_refcount(p, 100 + i), 1);
}

static void test_empty_pool(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 10, 0);

	assert_int_equal(frames_free_count(p), 0);
	assert_int_equal(frames_alloc(p), FRAME_NONE);
	assert_int_equal(frames_unref(p, 10), -1);
}

static void test_freed_frame_is_reused(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 0, 4);

	assert_int_equal(frames_alloc(p), 0);
	assert_int_equal(frames_alloc(p), 1);
	assert_int_equal(frames_alloc(p), 2);
	assert_int_equal(frames_unref(p, 1), 0);
	assert_int_equal(frames_alloc(p), 1);        /* the free stack is LIFO */
	assert_int_equal(frames_alloc(p), 3);
	assert_int_equal(frames_alloc(p), FRAME_NONE);
	assert_int_equal(frames_unref(p, 2), 0);
	assert_int_equal(frames_alloc(p), 2);        /* exhaustion is not sticky */
}

/* ---- ref / unref --------------------------------------------------------- */

static void test_ref_unref_counting(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 4);
	uint32_t a = frames_alloc(p), b = frames_alloc(p);

	frames_ref(p, a);
	frames_ref(p, a);
	assert_int_equal(frames_refcount(p, a), 3);
	assert_int_equal(frames_refcount(p, b), 1);  /* others untouched */
	assert_int_equal(frames_free_count(p), 2);

	assert_int_equal(frames_unref(p, a), 2);
	assert_int_equal(frames_free_count(p), 2);   /* still mapped */
	assert_int_equal(frames_unref(p, a), 1);
	assert_int_equal(frames_free_count(p), 2);
	assert_int_equal(frames_refcount(p, a), 1);
	assert_int_equal(frames_unref(p, a), 0);     /* last one: freed */
	assert_int_equal(frames_free_count(p), 3);
	assert_int_equal(frames_refcount(p, a), 0);
	assert_int_equal(frames_refcount(p, b), 1);
}

static void test_unref_free_frame_fails(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 4);

	assert_int_equal(frames_unref(p, 101), -1);  /* never allocated */
	assert_int_equal(frames_free_count(p), 4);

	uint32_t a = frames_alloc(p);
	assert_int_equal(frames_unref(p, a), 0);
	assert_int_equal(frames_unref(p, a), -1);    /* double free */
	assert_int_equal(frames_free_count(p), 4);   /* not pushed twice */

	/* Had it been pushed twice, two allocations would return it twice. */
	uint32_t seen[4];
	for (int i = 0; i < 4; i++) {
		seen[i] = frames_alloc(p);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
	assert_int_equal(frames_alloc(p), FRAME_NONE);
}

static void test_foreign_frames_ignored(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 4);
	uint32_t a = frames_alloc(p);

	const uint32_t foreign[] = { 0, 99, 104, 1000, FRAME_NONE };
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		frames_ref(p, foreign[i]);
		assert_int_equal(frames_unref(p, foreign[i]), -1);
		assert_int_equal(frames_refcount(p, foreign[i]), 0);
	}
	assert_int_equal(frames_refcount(p, a), 1);
	assert_int_equal(frames_free_count(p), 3);
	for (uint32_t pfn = 100; pfn < 104; pfn++)
		assert_int_equal(f.ref[pfn - 100], pfn == a ? 1 : 0);
}

static void test_ref_of_free_frame_ignored(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 100, 4);

	/* A free frame cannot be resurrected by ref: it stays free. */
	frames_ref(p, 102);
	assert_int_equal(frames_refcount(p, 102), 0);
	assert_int_equal(frames_unref(p, 102), -1);
	assert_int_equal(frames_free_count(p), 4);
}

static void test_many_refs(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 7, 2);
	uint32_t a = frames_alloc(p);

	for (int i = 0; i < 5000; i++)
		frames_ref(p, a);
	assert_int_equal(frames_refcount(p, a), 5001);
	for (int i = 5000; i > 0; i--)
		assert_int_equal(frames_unref(p, a), i);
	assert_int_equal(frames_free_count(p), 1);
	assert_int_equal(frames_unref(p, a), 0);
	assert_int_equal(frames_free_count(p), 2);
}

/* A count that would wrap to 0 while the frame is still mapped is refused:
 * copy-on-write would otherwise write into a frame that is still shared. */
static void test_ref_saturates(void **state)
{
	(void)state;
	struct fixture f;
	struct frame_pool *p = make_pool(&f, 7, 2);
	uint32_t a = frames_alloc(p);

	for (uint32_t i = 1; i < FRAME_REF_MAX; i++)
		assert_int_equal(frames_ref(p, a), 0);
	assert_int_equal(frames_refcount(p, a), FRAME_REF_MAX);
	assert_int_equal(frames_ref(p, a), -1);
	assert_int_equal(frames_refcount(p, a), FRAME_REF_MAX);
	assert_int_equal(frames_ref(p, a + 1), -1);     /* free frame: refused too */
}

/* ---- cycles -------------------------------------------------------------- */

static void test_alloc_free_cycles(void **state)
{
	(void)state;
	struct fixture f;
	const uint32_t first = 0x1000, count = 64;
	struct frame_pool *p = make_pool(&f, first, count);
	uint32_t got[64];

	for (int round = 0; round < 5; round++) {
		uint8_t seen[64] = { 0 };
		for (uint32_t i = 0; i < count; i++) {
			got[i] = frames_alloc(p);
			assert_true(frames_owns(p, got[i]));
			assert_int_equal(seen[got[i] - first], 0);   /* distinct */
			seen[got[i] - first] = 1;
		}
		assert_int_equal(frames_alloc(p), FRAME_NONE);
		/* Free in a different order each round: even slots, then odd,
		 * rotated by the round number. */
		for (uint32_t k = 0; k < count; k++) {
			uint32_t i = (k * 2 + (k >= count / 2) + round) % count;
			assert_int_equal(frames_unref(p, got[i]), 0);
		}
		assert_int_equal(frames_free_count(p), count);
	}
}

/* ---- randomized model check ---------------------------------------------- */

static uint32_t rng_state;

static uint32_t rnd(uint32_t n)          /* xorshift32, uniform enough */
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

enum op { OP_ALLOC, OP_REF, OP_UNREF };

/* Alternates every 2500 steps between filling the pool (so exhaustion is
 * hit) and draining it (so frames go back and are reused). */
static enum op pick_op(int step)
{
	uint32_t r = rnd(100);
	if ((step / 2500) % 2 == 0)
		return r < 50 ? OP_ALLOC : r < 80 ? OP_REF : OP_UNREF;
	return r < 15 ? OP_ALLOC : r < 35 ? OP_REF : OP_UNREF;
}

static void test_random_against_model(void **state)
{
	(void)state;
	struct fixture f;
	const uint32_t first = 500, count = 48;
	struct frame_pool *p = make_pool(&f, first, count);
	uint32_t model[48] = { 0 };      /* expected refcount per frame */
	uint32_t model_free = count;
	int exhausted = 0, released = 0, misuse = 0, max_refs = 0;

	rng_state = 0x12345678u;
	for (int step = 0; step < 20000; step++) {
		/* Includes two frames on each side of the pool. */
		uint32_t pfn = first - 2 + rnd(count + 4);
		int owned = pfn >= first && pfn < first + count;
		uint32_t *m = owned ? &model[pfn - first] : NULL;

		switch (pick_op(step)) {
		case OP_ALLOC: {
			uint32_t got = frames_alloc(p);
			if (model_free == 0) {
				assert_int_equal(got, FRAME_NONE);
				exhausted++;
				break;
			}
			if (!(got >= first && got < first + count))
				fail_msg("step %d: alloc returned %u", step, got);
			if (model[got - first] != 0)
				fail_msg("step %d: alloc returned frame %u in use (%u refs)",
					 step, got, model[got - first]);
			model[got - first] = 1;
			model_free--;
			break;
		}
		case OP_REF:
			frames_ref(p, pfn);
			if (m && *m > 0 && (int)++(*m) > max_refs)
				max_refs = (int)*m;
			break;
		case OP_UNREF: {
			int left = frames_unref(p, pfn);
			int want = (m && *m > 0) ? (int)--(*m) : -1;
			if (left != want)
				fail_msg("step %d: unref(%u) = %d, want %d", step, pfn, left, want);
			released += want == 0;
			misuse += want == -1;
			model_free += want == 0;
			break;
		}
		}
		assert_int_equal(frames_free_count(p), model_free);
		assert_int_equal(frames_refcount(p, pfn), m ? *m : 0);
	}

	/* Every frame agrees with the model; then drop all references. */
	for (uint32_t i = 0; i < count; i++) {
		assert_int_equal(frames_refcount(p, first + i), model[i]);
		while (model[i] > 0)
			assert_int_equal(frames_unref(p, first + i), (int)--model[i]);
	}
	assert_int_equal(frames_free_count(p), count);

	/* The run really exercised the interesting paths. */
	assert_true(exhausted > 100);
	assert_true(released > 1000);
	assert_true(misuse > 100);
	assert_true(max_refs >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_all_free),
		cmocka_unit_test(test_owns_bounds),
		cmocka_unit_test(test_alloc_lowest_first_then_exhausted),
		cmocka_unit_test(test_empty_pool),
		cmocka_unit_test(test_freed_frame_is_reused),
		cmocka_unit_test(test_ref_unref_counting),
		cmocka_unit_test(test_unref_free_frame_fails),
		cmocka_unit_test(test_foreign_frames_ignored),
		cmocka_unit_test(test_ref_of_free_frame_ignored),
		cmocka_unit_test(test_many_refs),
		cmocka_unit_test(test_ref_saturates),
		cmocka_unit_test(test_alloc_free_cycles),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
