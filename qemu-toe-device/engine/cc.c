/*
 * cc.c - congestion control: NewReno (RFC 5681, 6582) and CUBIC
 * (RFC 9438), in segments as Linux counts them, continuing from the cwnd
 * and ssthresh the host transferred.
 *
 * Loss response (ssthresh, entering recovery) is shared; what differs is
 * the multiplicative decrease and the growth in congestion avoidance.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <math.h>

#include "engine-int.h"

#define CUBIC_C		0.4
#define CUBIC_BETA	0.7
#define TOE_MAX_CWND_SEGS	(1u << 20)

void toe_cc_on_adopt(struct toe_conn *c)
{
	/*
	 * Unknown history: start a new epoch at the first ACK with the
	 * current cwnd as its origin, as Linux does when last_max_cwnd
	 * is not above cwnd. Never a restart from slow start.
	 */
	memset(&c->cubic, 0, sizeof(c->cubic));
}

uint32_t toe_cc_ssthresh(struct toe_conn *c)
{
	uint32_t t;

	if (c->cc_algo == TOE_CC_CUBIC) {
		/* Fast convergence (RFC 9438 4.7). */
		if (c->cwnd < c->cubic.w_max)
			c->cubic.w_max = (uint32_t)(c->cwnd *
						    (1.0 + CUBIC_BETA) / 2.0);
		else
			c->cubic.w_max = c->cwnd;
		t = (uint32_t)(c->cwnd * CUBIC_BETA);
	} else {
		t = c->cwnd / 2;
	}
	return t < 2 ? 2 : t;
}

void toe_cc_on_loss(struct toe_conn *c)
{
	c->cubic.epoch_start_us = 0;
}

/* Segments per cwnd increment in CUBIC's congestion avoidance. */
static uint32_t cubic_cnt(struct toe_conn *c, uint32_t acked,
			  uint64_t now_us)
{
	struct toe_cubic *cu = &c->cubic;
	double t, target, cnt;

	if (!cu->epoch_start_us) {
		cu->epoch_start_us = now_us ? now_us : 1;
		if (c->cwnd < cu->w_max) {
			cu->k_s = cbrt((cu->w_max - c->cwnd) / CUBIC_C);
			cu->origin = cu->w_max;
		} else {
			cu->k_s = 0;
			cu->origin = c->cwnd;
		}
		cu->w_est = c->cwnd;
		cu->w_est_cnt = 0;
	}
	t = (double)(now_us - cu->epoch_start_us + c->srtt_us) / 1e6;
	target = cu->origin + CUBIC_C * pow(t - cu->k_s, 3);
	if (target > c->cwnd)
		cnt = c->cwnd / (target - c->cwnd);
	else
		cnt = 100.0 * c->cwnd;

	/* The TCP-friendly estimate (RFC 9438 4.3): Reno with CUBIC's beta */
	cu->w_est_cnt += acked;
	while (cu->w_est_cnt * 3 * (1 - CUBIC_BETA) >=
	       cu->w_est * (1 + CUBIC_BETA)) {
		cu->w_est_cnt -= (uint32_t)(cu->w_est * (1 + CUBIC_BETA) /
					    (3 * (1 - CUBIC_BETA))) + 1;
		cu->w_est++;
	}
	if (cu->w_est > c->cwnd) {
		double f = (double)c->cwnd / (cu->w_est - c->cwnd);

		if (f < cnt)
			cnt = f;
	}
	if (cnt < 2)
		cnt = 2;	/* at most 1.5x a round trip, as Linux */
	if (cnt > 1e9)
		cnt = 1e9;
	return (uint32_t)cnt;
}

/**
 * toe_cc_on_ack() - grow cwnd for @acked newly acknowledged segments.
 *
 * Slow start below ssthresh (RFC 5681 3.1, limited to ssthresh as Linux
 * does), then congestion avoidance per algorithm. cwnd grows only if the
 * flight before this ACK used at least half of it: an application-limited
 * connection must not build a window it never tested (RFC 7661).
 */
void toe_cc_on_ack(struct toe_conn *c, uint32_t acked, uint32_t flight,
		   uint64_t now_us)
{
	uint32_t cnt;

	if (flight * 2 < c->cwnd)
		return;
	if (c->cwnd < c->ssthresh) {
		uint32_t room = c->ssthresh - c->cwnd;
		uint32_t inc = acked < room ? acked : room;

		c->cwnd += inc;
		acked -= inc;
		if (!acked)
			goto cap;
	}
	cnt = c->cc_algo == TOE_CC_CUBIC ? cubic_cnt(c, acked, now_us) :
					   c->cwnd;
	c->cwnd_cnt += acked;
	if (c->cwnd_cnt >= cnt) {
		c->cwnd += c->cwnd_cnt / cnt;
		c->cwnd_cnt %= cnt;
	}
cap:
	if (c->cwnd > TOE_MAX_CWND_SEGS)
		c->cwnd = TOE_MAX_CWND_SEGS;
}
