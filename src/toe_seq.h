/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_seq.h - TCP sequence number comparisons (RFC 793 section 3.3).
 *
 * Sequence numbers live on a circle of 2^32: a is before b when b lies in
 * the half circle that follows a, which is what the signed difference of
 * the two u32 values says. Valid only for numbers less than 2^31 apart.
 */
#ifndef _TOE_SEQ_H
#define _TOE_SEQ_H

#include <linux/types.h>

/* true if @a comes strictly before @b. */
static inline bool toe_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

/* true if @a comes strictly after @b. */
static inline bool toe_seq_after(u32 a, u32 b)
{
	return toe_seq_before(b, a);
}

/* true if @lo <= @seq <= @hi, walking forward from @lo. */
static inline bool toe_seq_between(u32 seq, u32 lo, u32 hi)
{
	return hi - lo >= seq - lo;
}

/* Bytes from @from forward to @to; 0 if @to is not after @from. */
static inline u32 toe_seq_dist(u32 from, u32 to)
{
	return toe_seq_after(to, from) ? to - from : 0;
}

/* The later of two sequence numbers. */
static inline u32 toe_seq_max(u32 a, u32 b)
{
	return toe_seq_after(a, b) ? a : b;
}

#endif /* _TOE_SEQ_H */
