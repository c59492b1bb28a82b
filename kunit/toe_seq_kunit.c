// SPDX-License-Identifier: GPL-2.0
/*
 * toe_seq_kunit.c - TCP sequence number comparisons across the 2^32 wrap.
 */
#include <kunit/test.h>

#include "toe_seq.h"

struct toe_seq_case {
	const char *name;
	u32 a, b;
	bool before, after;
};

static const struct toe_seq_case toe_seq_cases[] = {
	{ "small numbers", 1, 2, true, false },
	{ "equal numbers are neither", 7, 7, false, false },
	{ "just before the wrap is before zero", 0xffffffff, 0, true, false },
	{ "zero is after just before the wrap", 0, 0xffffffff, false, true },
	{ "across the wrap by 32", 0xfffffff0, 0x10, true, false },
	{ "half the space minus one ahead", 0, 0x7fffffff, true, false },
	{ "more than half the space ahead wraps", 0, 0x80000001, false, true },
};

static void toe_seq_desc(const struct toe_seq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_seq, toe_seq_cases, toe_seq_desc);

static void before_and_after_hold_across_wrap(struct kunit *test)
{
	const struct toe_seq_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, toe_seq_before(c->a, c->b), c->before);
	KUNIT_EXPECT_EQ(test, toe_seq_after(c->a, c->b), c->after);
	KUNIT_EXPECT_EQ(test, toe_seq_after(c->b, c->a), c->before);
}

struct toe_between_case {
	const char *name;
	u32 seq, lo, hi;
	bool in;
};

static const struct toe_between_case toe_between_cases[] = {
	{ "inside a plain window", 150, 100, 200, true },
	{ "at the left edge", 100, 100, 200, true },
	{ "at the right edge", 200, 100, 200, true },
	{ "left of the window", 99, 100, 200, false },
	{ "right of the window", 201, 100, 200, false },
	{ "inside a window that wraps, before zero", 0xfffffffe, 0xfffffff0,
	  0x10, true },
	{ "inside a window that wraps, after zero", 0x5, 0xfffffff0, 0x10,
	  true },
	{ "outside a window that wraps", 0x11, 0xfffffff0, 0x10, false },
	{ "empty window holds only its edge", 42, 42, 42, true },
};

static void toe_between_desc(const struct toe_between_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_between, toe_between_cases, toe_between_desc);

static void between_is_inclusive_across_wrap(struct kunit *test)
{
	const struct toe_between_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, toe_seq_between(c->seq, c->lo, c->hi), c->in);
}

static void distance_and_max_follow_the_circle(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, toe_seq_dist(0xfffffff0, 0x10), 0x20u);
	KUNIT_EXPECT_EQ(test, toe_seq_dist(0x10, 0xfffffff0), 0u);
	KUNIT_EXPECT_EQ(test, toe_seq_dist(5, 5), 0u);
	KUNIT_EXPECT_EQ(test, toe_seq_max(0xfffffff0, 0x10), 0x10u);
	KUNIT_EXPECT_EQ(test, toe_seq_max(0x10, 0xfffffff0), 0x10u);
	KUNIT_EXPECT_EQ(test, toe_seq_max(3, 3), 3u);
}

static struct kunit_case toe_seq_test_cases[] = {
	KUNIT_CASE_PARAM(before_and_after_hold_across_wrap,
			 toe_seq_gen_params),
	KUNIT_CASE_PARAM(between_is_inclusive_across_wrap,
			 toe_between_gen_params),
	KUNIT_CASE(distance_and_max_follow_the_circle),
	{}
};

static struct kunit_suite toe_seq_suite = {
	.name = "toe_seq",
	.test_cases = toe_seq_test_cases,
};

kunit_test_suite(toe_seq_suite);
