// SPDX-License-Identifier: GPL-2.0
/*
 * toe_ring_kunit.c - ring index arithmetic on free-running u32 indices
 * (include/toe_hw.h), in particular across the 2^32 wrap.
 */
#include <kunit/test.h>

#include "toe_hw.h"

struct toe_ring_case {
	const char *name;
	u32 head, tail, size;
	u32 used, space;
	bool tail_valid;
};

static const struct toe_ring_case toe_ring_cases[] = {
	{ "empty ring at zero", 0, 0, 256, 0, 256, true },
	{ "half full", 100, 228, 256, 128, 128, true },
	{ "exactly full", 5, 261, 256, 256, 0, true },
	{ "one past full is refused", 5, 262, 256, 257, 0xffffffff, false },
	{ "tail wrapped past 2^32", 0xfffffff0, 0x10, 64, 0x20, 0x20, true },
	{ "full across the wrap", 0xffffffc0, 0x0, 64, 64, 0, true },
	{ "both wrapped, empty", 0xffffffff, 0xffffffff, 2, 0, 2, true },
	{ "tail behind head is refused", 10, 9, 256, 0xffffffff, 257, false },
	{ "largest ring, full", 0xfffff800, 0x800, 4096, 4096, 0, true },
};

static void toe_ring_desc(const struct toe_ring_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_ring, toe_ring_cases, toe_ring_desc);

static void used_space_and_tail_agree_across_wrap(struct kunit *test)
{
	const struct toe_ring_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, toe_ring_used(c->head, c->tail), c->used);
	KUNIT_EXPECT_EQ(test, toe_ring_tail_valid(c->head, c->tail, c->size),
			(int)c->tail_valid);
	if (c->tail_valid) {
		KUNIT_EXPECT_EQ(test,
				toe_ring_space(c->head, c->tail, c->size),
				c->space);
		KUNIT_EXPECT_EQ(test, toe_ring_used(c->head, c->tail) +
				toe_ring_space(c->head, c->tail, c->size),
				c->size);
	}
}

static void slot_wraps_with_the_index(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, toe_ring_slot(0, 256), 0u);
	KUNIT_EXPECT_EQ(test, toe_ring_slot(255, 256), 255u);
	KUNIT_EXPECT_EQ(test, toe_ring_slot(256, 256), 0u);
	KUNIT_EXPECT_EQ(test, toe_ring_slot(0xffffffff, 256), 255u);
	/* The index after 0xffffffff is 0: the slot moves on by one. */
	KUNIT_EXPECT_EQ(test, toe_ring_slot(0xffffffff + 1u, 256), 0u);
	KUNIT_EXPECT_EQ(test, toe_ring_slot(0x12345678, 4096), 0x678u);
	KUNIT_EXPECT_EQ(test, toe_ring_slot(3, 2), 1u);
}

static void every_slot_is_visited_once_across_wrap(struct kunit *test)
{
	const u32 size = 16;
	u32 seen = 0, i, idx = 0xfffffff8;

	for (i = 0; i < size; i++, idx++)
		seen |= 1u << toe_ring_slot(idx, size);
	KUNIT_EXPECT_EQ(test, seen, 0xffffu);
}

struct toe_size_case {
	u32 size;
	bool valid;
};

static const struct toe_size_case toe_size_cases[] = {
	{ 0, false }, { 1, false }, { 2, true }, { 3, false }, { 64, true },
	{ 96, false }, { 4096, true }, { 8192, false }, { 0x80000000, false },
};

static void toe_size_desc(const struct toe_size_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %u %s", c->size,
		 c->valid ? "accepted" : "refused");
}

KUNIT_ARRAY_PARAM(toe_size, toe_size_cases, toe_size_desc);

static void ring_size_must_be_power_of_two_in_range(struct kunit *test)
{
	const struct toe_size_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, toe_ring_size_valid(c->size), (int)c->valid);
}

static struct kunit_case toe_ring_test_cases[] = {
	KUNIT_CASE_PARAM(used_space_and_tail_agree_across_wrap,
			 toe_ring_gen_params),
	KUNIT_CASE(slot_wraps_with_the_index),
	KUNIT_CASE(every_slot_is_visited_once_across_wrap),
	KUNIT_CASE_PARAM(ring_size_must_be_power_of_two_in_range,
			 toe_size_gen_params),
	{}
};

static struct kunit_suite toe_ring_suite = {
	.name = "toe_ring",
	.test_cases = toe_ring_test_cases,
};

kunit_test_suite(toe_ring_suite);
