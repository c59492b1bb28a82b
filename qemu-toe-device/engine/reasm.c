/*
 * reasm.c - received data the caller has not taken yet.
 *
 * c->rq holds, sorted by sequence and never overlapping, data in
 * [rcv_nxt, rcv_adv): out-of-order ranges waiting for a hole to fill, and
 * in-order data the caller had no room for. It is bounded by the engine's
 * memory budget, shared by all connections. Nothing here is acknowledged
 * cumulatively until the caller took it (invariant 2); out-of-order ranges
 * are reported in SACK blocks.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <stdlib.h>

#include "engine-int.h"

static size_t rseg_size(uint32_t len)
{
	return sizeof(struct toe_rseg) + len;
}

static void rseg_free(struct toe_engine *eng, struct toe_conn *c,
		      struct toe_rseg *r)
{
	c->rq_bytes -= r->len;
	eng->stats.mem_used -= rseg_size(r->alloc);
	free(r);
}

static int rseg_insert_before(struct toe_engine *eng, struct toe_conn *c,
			      struct toe_rseg **pp, uint32_t seq,
			      const uint8_t *data, uint32_t len)
{
	struct toe_rseg *r;

	if (eng->stats.mem_used + rseg_size(len) > eng->cfg.mem_budget)
		return -ENOMEM;
	r = malloc(rseg_size(len));
	if (!r)
		return -ENOMEM;
	r->seq = seq;
	r->len = len;
	r->off = 0;
	r->alloc = len;
	memcpy(r->data, data, len);
	r->next = *pp;
	*pp = r;
	c->rq_bytes += len;
	eng->stats.mem_used += rseg_size(len);
	if (eng->stats.mem_used > eng->stats.mem_peak)
		eng->stats.mem_peak = eng->stats.mem_used;
	return 0;
}

/**
 * toe_rq_insert() - keep [seq, seq + len) for later.
 *
 * The caller has trimmed the range to [rcv_nxt, rcv_adv). Bytes already
 * held are kept as they are (the first copy wins, as in Linux); only the
 * new parts are stored. Return: 0, or -ENOMEM when the budget is spent
 * (parts stored before that stay).
 */
int toe_rq_insert(struct toe_engine *eng, struct toe_conn *c, uint32_t seq,
		  const uint8_t *data, uint32_t len)
{
	struct toe_rseg **pp = &c->rq;
	uint32_t end = seq + len;

	while (seq_lt(seq, end)) {
		struct toe_rseg *r = *pp;

		if (!r || seq_lt(seq, r->seq)) {
			uint32_t piece_end = r ? seq_min(end, r->seq) : end;
			int ret = rseg_insert_before(eng, c, pp, seq, data,
						     piece_end - seq);

			if (ret)
				return ret;
			data += piece_end - seq;
			seq = piece_end;
			pp = &(*pp)->next;
			continue;
		}
		if (seq_lt(seq, r->seq + r->len)) {
			uint32_t skip = seq_min(end, r->seq + r->len) - seq;

			data += skip;
			seq += skip;
		}
		pp = &r->next;
	}
	return 0;
}

/**
 * toe_rq_held_end() - the end of the in-order data held at rcv_nxt.
 * @ooo: if not NULL, set to whether out-of-order data lies beyond it.
 *
 * Ranges in c->rq that continue without a gap from rcv_nxt are in order,
 * only not taken yet; the first gap starts out-of-order data. Return
 * rcv_nxt when nothing is held at rcv_nxt.
 */
uint32_t toe_rq_held_end(const struct toe_conn *c, bool *ooo)
{
	const struct toe_rseg *r;
	uint32_t end = c->rcv_nxt;

	for (r = c->rq; r && r->seq == end; r = r->next)
		end = r->seq + r->len;
	if (ooo)
		*ooo = r != NULL;
	return end;
}

/**
 * toe_rq_take() - offer the caller in-order data at rcv_nxt.
 * Return: the bytes it took (at most @len and its receive space).
 */
uint32_t toe_rq_take(struct toe_engine *eng, struct toe_conn *c,
		     const uint8_t *data, uint32_t len, uint64_t now_us)
{
	uint32_t n = len < c->rcv_space ? len : c->rcv_space;
	size_t took = eng->ops.deliver(eng->opaque, c->handle, c->rcv_nxt,
				       data, n);

	if (took > n)
		took = n;
	c->rcv_nxt += (uint32_t)took;
	c->rcv_space -= (uint32_t)took;
	c->bytes_received += took;
	eng->stats.bytes_in += took;
	c->last_active_us = now_us;
	return (uint32_t)took;
}

/*
 * Give the caller what is in order, as far as it has room; then see
 * whether a FIN that arrived early is now in order.
 */
void toe_rq_deliver(struct toe_engine *eng, struct toe_conn *c,
		    uint64_t now_us)
{
	struct toe_rseg *r;

	while ((r = c->rq) && r->seq == c->rcv_nxt && c->rcv_space) {
		uint32_t took = toe_rq_take(eng, c, r->data + r->off, r->len,
					    now_us);

		if (took < r->len) {
			r->seq += took;
			r->off += took;
			r->len -= took;
			c->rq_bytes -= took;
			break;
		}
		c->rq = r->next;
		rseg_free(eng, c, r);
	}
	toe_rcv_fin_check(eng, c, now_us);
}

/**
 * toe_rq_sack_blocks() - the SACK blocks to send (RFC 2018).
 * @blocks: filled with [start, end) pairs, at most @max.
 *
 * The block holding the most recently received segment goes first, as
 * RFC 2018 section 4 asks, then the others from the lowest sequence.
 * Data held in order from rcv_nxt is not reported: it is only unread,
 * and a block above it would tell the peer of a hole that is not there.
 * Return: the number of blocks.
 */
int toe_rq_sack_blocks(const struct toe_conn *c, uint32_t blocks[][2],
		       int max)
{
	uint32_t all[TOE_SACK_SB_MAX][2], held_end = toe_rq_held_end(c, NULL);
	const struct toe_rseg *r;
	int n = 0, out = 0, i, first = -1;

	for (r = c->rq; r; r = r->next) {
		if (!seq_lt(held_end, r->seq))
			continue;
		if (n && all[n - 1][1] == r->seq) {
			all[n - 1][1] = r->seq + r->len;
			continue;
		}
		if (n == TOE_SACK_SB_MAX)
			break;
		all[n][0] = r->seq;
		all[n][1] = r->seq + r->len;
		n++;
	}
	for (i = 0; i < n; i++) {
		if (seq_le(all[i][0], c->last_sack[0]) &&
		    seq_lt(c->last_sack[0], all[i][1])) {
			first = i;
			break;
		}
	}
	if (first >= 0 && out < max) {
		blocks[out][0] = all[first][0];
		blocks[out][1] = all[first][1];
		out++;
	}
	for (i = 0; i < n && out < max; i++) {
		if (i == first)
			continue;
		blocks[out][0] = all[i][0];
		blocks[out][1] = all[i][1];
		out++;
	}
	return out;
}

/**
 * toe_rq_trim() - forget held data at and beyond @end (the peer's FIN).
 */
void toe_rq_trim(struct toe_engine *eng, struct toe_conn *c, uint32_t end)
{
	struct toe_rseg **pp = &c->rq, *r;

	while ((r = *pp)) {
		if (seq_lt(r->seq, end)) {
			if (seq_lt(end, r->seq + r->len)) {
				/* The tail goes; the allocation stays. */
				c->rq_bytes -= r->seq + r->len - end;
				r->len = end - r->seq;
			}
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		rseg_free(eng, c, r);
	}
}

void toe_rq_free(struct toe_engine *eng, struct toe_conn *c)
{
	struct toe_rseg *r;

	while ((r = c->rq)) {
		c->rq = r->next;
		rseg_free(eng, c, r);
	}
}
