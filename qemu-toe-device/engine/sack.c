/*
 * sack.c - the sender's view of what the peer SACKed (RFC 2018) and the
 * loss accounting of RFC 6675 built on it: IsLost, and the pipe.
 *
 * The scoreboard keeps SACKed ranges in [snd_una, snd_nxt), sorted and
 * disjoint. It is bounded; a block that does not fit is dropped, which
 * costs only a needless retransmission.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "engine-int.h"

#define TOE_DUPTHRESH	3

static void sb_recount(struct toe_conn *c)
{
	uint32_t i, sum = 0;

	for (i = 0; i < c->sb.n; i++)
		sum += c->sb.r[i][1] - c->sb.r[i][0];
	c->sacked_bytes = sum;
}

void toe_sb_add(struct toe_conn *c, uint32_t start, uint32_t end)
{
	struct toe_sack_sb *sb = &c->sb;
	uint32_t i, j;

	start = seq_max(start, c->snd_una);
	end = seq_min(end, c->snd_nxt);
	if (!seq_lt(start, end))
		return;
	/* Find the first range that ends at or after start. */
	for (i = 0; i < sb->n && seq_lt(sb->r[i][1], start); i++)
		;
	if (i < sb->n && seq_le(sb->r[i][0], end)) {
		/* Overlaps or touches range i: merge forward. */
		sb->r[i][0] = seq_min(sb->r[i][0], start);
		sb->r[i][1] = seq_max(sb->r[i][1], end);
		for (j = i + 1; j < sb->n && seq_le(sb->r[j][0], sb->r[i][1]);
		     j++)
			sb->r[i][1] = seq_max(sb->r[i][1], sb->r[j][1]);
		memmove(&sb->r[i + 1], &sb->r[j],
			(sb->n - j) * sizeof(sb->r[0]));
		sb->n -= j - i - 1;
	} else {
		if (sb->n == TOE_SACK_SB_MAX)
			return;
		memmove(&sb->r[i + 1], &sb->r[i],
			(sb->n - i) * sizeof(sb->r[0]));
		sb->r[i][0] = start;
		sb->r[i][1] = end;
		sb->n++;
	}
	sb_recount(c);
}

/* Drop what snd_una has passed. */
void toe_sb_trim(struct toe_conn *c)
{
	struct toe_sack_sb *sb = &c->sb;
	uint32_t i = 0;

	while (i < sb->n && seq_le(sb->r[i][1], c->snd_una))
		i++;
	if (i) {
		memmove(&sb->r[0], &sb->r[i], (sb->n - i) * sizeof(sb->r[0]));
		sb->n -= i;
	}
	if (sb->n && seq_lt(sb->r[0][0], c->snd_una))
		sb->r[0][0] = c->snd_una;
	sb_recount(c);
}

uint32_t toe_sb_sacked_in(const struct toe_conn *c, uint32_t start,
			  uint32_t end)
{
	uint32_t i, sum = 0;

	for (i = 0; i < c->sb.n; i++) {
		uint32_t s = seq_max(c->sb.r[i][0], start);
		uint32_t e = seq_min(c->sb.r[i][1], end);

		if (seq_lt(s, e))
			sum += e - s;
	}
	return sum;
}

/*
 * Is @seq SACKed? *run_end is where that answer changes: the end of its
 * SACKed range, or the start of the next one (snd_nxt if none).
 */
bool toe_sb_is_sacked(const struct toe_conn *c, uint32_t seq,
		      uint32_t *run_end)
{
	uint32_t i;

	for (i = 0; i < c->sb.n; i++) {
		if (seq_lt(seq, c->sb.r[i][0])) {
			*run_end = c->sb.r[i][0];
			return false;
		}
		if (seq_lt(seq, c->sb.r[i][1])) {
			*run_end = c->sb.r[i][1];
			return true;
		}
	}
	*run_end = c->snd_nxt;
	return false;
}

/**
 * toe_sb_lost_boundary() - RFC 6675 IsLost as a boundary.
 *
 * A hole is lost when more than (DupThresh - 1) * MSS bytes, or
 * DupThresh discontiguous ranges, are SACKed above it. SACKed bytes
 * above a sequence only shrink as it grows, so the lost holes are
 * exactly those below the returned sequence (snd_una: none).
 */
uint32_t toe_sb_lost_boundary(const struct toe_conn *c)
{
	uint32_t acc = 0, cnt = 0;
	int i;

	for (i = (int)c->sb.n - 1; i >= 0; i--) {
		acc += c->sb.r[i][1] - c->sb.r[i][0];
		cnt++;
		if (acc > (TOE_DUPTHRESH - 1) * c->mss || cnt >= TOE_DUPTHRESH)
			return c->sb.r[i][0];
	}
	return c->snd_una;
}

/**
 * toe_pipe() - RFC 6675 SetPipe: bytes believed in the network.
 *
 * Unsacked bytes above the lost region count once; retransmitted bytes
 * (below high_rxt) count once more. Without SACK, each duplicate ACK
 * stands for a segment that left the network (RFC 6582's inflation).
 */
uint32_t toe_pipe(const struct toe_conn *c)
{
	uint32_t lost = seq_min(seq_max(c->lost_end, c->snd_una), c->snd_nxt);
	uint32_t rxt = seq_min(seq_max(c->high_rxt, c->snd_una), c->snd_nxt);
	uint32_t above, retrans, pipe, dup;

	above = (c->snd_nxt - lost) - toe_sb_sacked_in(c, lost, c->snd_nxt);
	retrans = (rxt - c->snd_una) - toe_sb_sacked_in(c, c->snd_una, rxt);
	pipe = above + retrans;
	if (!c->sack_ok) {
		dup = c->dupacks * c->mss;
		pipe = pipe > dup ? pipe - dup : 0;
	}
	return pipe;
}
