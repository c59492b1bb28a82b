/* SPDX-License-Identifier: GPL-2.0 */
/* toe_kunit.h - helpers shared by the toe KUnit suites. */
#ifndef _TOE_KUNIT_H
#define _TOE_KUNIT_H

#include <kunit/test.h>

/* Expect @len bytes at @got to be @want, naming the first that is not. */
static inline void toe_expect_bytes(struct kunit *test, const void *got,
				    const u8 *want, size_t len)
{
	const u8 *g = got;
	size_t i;

	for (i = 0; i < len; i++) {
		KUNIT_EXPECT_EQ_MSG(test, g[i], want[i], "byte %zu", i);
		if (g[i] != want[i])
			return;
	}
}

#endif /* _TOE_KUNIT_H */
