/*
 * timer.c - a connection's timers, driven by the caller's clock, and the
 * RTT estimator that sets the retransmission timeout (RFC 6298).
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "engine-int.h"

void toe_timer_set(struct toe_conn *c, enum toe_timer t, uint64_t when)
{
	c->timers[t] = when;
}

void toe_rearm_rto(struct toe_conn *c, uint64_t now_us)
{
	toe_timer_set(c, TOE_T_RTO, now_us + c->rto_us);
}

/**
 * toe_rtt_sample() - fold one measurement into srtt and rttvar.
 *
 * The estimator continues from the values the host transferred, so the
 * first sample after adopt is an ordinary update, not RFC 6298's (2.2)
 * first-measurement rule (unless the host had none).
 */
void toe_rtt_sample(struct toe_engine *eng, struct toe_conn *c,
		    uint32_t rtt_us)
{
	uint64_t rto;

	if (!rtt_us)
		rtt_us = 1;
	if (!c->srtt_us) {
		c->srtt_us = rtt_us;
		c->rttvar_us = rtt_us / 2;
	} else {
		uint32_t delta = c->srtt_us > rtt_us ? c->srtt_us - rtt_us :
						       rtt_us - c->srtt_us;

		c->rttvar_us = (uint32_t)(((uint64_t)c->rttvar_us * 3 +
					   delta) / 4);
		c->srtt_us = (uint32_t)(((uint64_t)c->srtt_us * 7 + rtt_us) /
					8);
	}
	rto = (uint64_t)c->srtt_us + 4ull * c->rttvar_us;
	if (rto < eng->cfg.min_rto_us)
		rto = eng->cfg.min_rto_us;
	if (rto > eng->cfg.max_rto_us)
		rto = eng->cfg.max_rto_us;
	c->rto_us = (uint32_t)rto;
}

static void rto_fire(struct toe_engine *eng, struct toe_conn *c,
		     uint64_t now_us)
{
	uint64_t rto;

	if (c->snd_una == c->snd_nxt)
		return;
	if (++c->retries > eng->cfg.retries) {
		toe_conn_done(eng, c, -ETIMEDOUT);
		return;
	}
	if (c->ca_state != TOE_CA_LOSS) {
		c->ssthresh = toe_cc_ssthresh(c);
		toe_cc_on_loss(c);
	}
	c->cwnd = 1;
	c->cwnd_cnt = 0;
	c->ca_state = TOE_CA_LOSS;
	c->recover = c->snd_nxt;
	/* RFC 2018 8: after a timeout, forget what the peer SACKed. */
	c->sb.n = 0;
	c->sacked_bytes = 0;
	c->high_rxt = c->snd_una;
	c->lost_end = c->snd_nxt;
	c->dupacks = 0;
	c->rtt_timing = false;
	rto = (uint64_t)c->rto_us * 2;
	c->rto_us = rto > eng->cfg.max_rto_us ? eng->cfg.max_rto_us :
						(uint32_t)rto;
	c->backoff++;
	toe_rearm_rto(c, now_us);
	toe_output(eng, c, now_us);
}

static void persist_fire(struct toe_engine *eng, struct toe_conn *c,
			 uint64_t now_us)
{
	uint64_t next;

	if (c->snd_wnd || !seq_lt(c->snd_nxt, c->write_seq) ||
	    c->snd_una != c->snd_nxt) {
		toe_output(eng, c, now_us);
		return;
	}
	if (++c->probes_out > eng->cfg.retries) {
		toe_conn_done(eng, c, -ETIMEDOUT);
		return;
	}
	toe_send_probe(eng, c, now_us);
	if (c->persist_backoff < 16)
		c->persist_backoff++;
	next = (uint64_t)c->rto_us << c->persist_backoff;
	if (next > eng->cfg.max_rto_us)
		next = eng->cfg.max_rto_us;
	toe_timer_set(c, TOE_T_PERSIST, now_us + next);
}

static void keepalive_fire(struct toe_engine *eng, struct toe_conn *c,
			   uint64_t now_us)
{
	uint64_t idle = (uint64_t)c->ka_idle_s * 1000000;
	uint64_t intvl = (uint64_t)c->ka_intvl_s * 1000000;

	if (!c->keepalive)
		return;
	if (now_us - c->last_rcv_us < idle && !c->probes_out) {
		toe_timer_set(c, TOE_T_KEEPALIVE, c->last_rcv_us + idle);
		return;
	}
	/* Data in flight has its own timer (Linux does the same). */
	if (c->snd_una != c->snd_nxt) {
		toe_timer_set(c, TOE_T_KEEPALIVE, now_us + intvl);
		return;
	}
	if (c->probes_out >= c->ka_probes) {
		toe_send_rst(eng, c, now_us);
		toe_conn_done(eng, c, -ETIMEDOUT);
		return;
	}
	toe_send_probe(eng, c, now_us);
	c->probes_out++;
	toe_timer_set(c, TOE_T_KEEPALIVE, now_us + intvl);
}

static void idle_fire(struct toe_engine *eng, struct toe_conn *c,
		      uint64_t now_us)
{
	uint64_t limit = eng->cfg.idle_upload_us;

	if (!limit)
		return;
	if (now_us - c->last_active_us < limit) {
		toe_timer_set(c, TOE_T_IDLE, c->last_active_us + limit);
		return;
	}
	toe_ask_upload(eng, c, TOE_UPLOAD_IDLE);
}

uint64_t toe_conn_deadline(const struct toe_conn *c)
{
	uint64_t next = TOE_T_OFF;
	int t;

	for (t = 0; t < TOE_NUM_TIMERS; t++)
		if (c->timers[t] < next)
			next = c->timers[t];
	return next;
}

void toe_conn_timers(struct toe_engine *eng, struct toe_conn *c,
		     uint64_t now_us)
{
	int t;

	for (t = 0; t < TOE_NUM_TIMERS && c->used; t++) {
		if (c->timers[t] > now_us)
			continue;
		c->timers[t] = TOE_T_OFF;
		switch (t) {
		case TOE_T_RTO:
			rto_fire(eng, c, now_us);
			break;
		case TOE_T_DELACK:
			if (c->ack_pending || c->ack_now)
				toe_send_ack(eng, c, now_us);
			break;
		case TOE_T_PERSIST:
			persist_fire(eng, c, now_us);
			break;
		case TOE_T_KEEPALIVE:
			keepalive_fire(eng, c, now_us);
			break;
		case TOE_T_TIMEWAIT:
			toe_conn_done(eng, c, 0);
			break;
		case TOE_T_IDLE:
			idle_fire(eng, c, now_us);
			break;
		}
	}
}
