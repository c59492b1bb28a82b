/*
 * input.c - a segment arrives for a connection the engine holds.
 *
 * The order of checks is RFC 9293 3.10.7.4 with RFC 7323 (PAWS) and
 * RFC 5961 (challenge ACKs) folded in, as Linux's tcp_validate_incoming()
 * does: sequence acceptability, RST, SYN, ACK, then data and FIN.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "engine-int.h"

/* RFC 5961 section 7: at most this many challenge ACKs a second. */
#define TOE_CHALLENGE_PER_SEC	100

static void challenge_ack(struct toe_engine *eng, struct toe_conn *c,
			  uint64_t now_us)
{
	if (now_us - c->challenge_start_us >= 1000000) {
		c->challenge_start_us = now_us;
		c->challenge_count = 0;
	}
	if (c->challenge_count >= TOE_CHALLENGE_PER_SEC)
		return;
	c->challenge_count++;
	eng->stats.challenge_acks++;
	toe_send_ack(eng, c, now_us);
}

static bool can_receive_data(uint8_t st)
{
	return st == TOE_TCP_ESTABLISHED || st == TOE_TCP_FIN_WAIT1 ||
	       st == TOE_TCP_FIN_WAIT2;
}

/* TIME_WAIT's timers, without the state change or its report. */
static void time_wait_timers(struct toe_engine *eng, struct toe_conn *c,
			     uint64_t now_us)
{
	int t;

	for (t = 0; t < TOE_NUM_TIMERS; t++)
		toe_timer_set(c, t, TOE_T_OFF);
	toe_timer_set(c, TOE_T_TIMEWAIT, now_us + eng->cfg.time_wait_us);
}

static void enter_time_wait(struct toe_engine *eng, struct toe_conn *c,
			    uint64_t now_us)
{
	time_wait_timers(eng, c, now_us);
	toe_set_state(eng, c, TOE_TCP_TIME_WAIT);
}

/**
 * toe_rcv_fin_check() - act on the peer's FIN once everything before it
 * has been taken by the caller.
 */
void toe_rcv_fin_check(struct toe_engine *eng, struct toe_conn *c,
		       uint64_t now_us)
{
	bool changed;
	uint8_t st;

	if (!c->used || !c->ooo_fin || c->rcv_nxt != c->ooo_fin_seq)
		return;
	c->ooo_fin = false;
	c->fin_rcvd = true;
	c->rcv_nxt++;
	if (seq_lt(c->rcv_adv, c->rcv_nxt))
		c->rcv_adv = c->rcv_nxt;
	c->ack_now = true;
	/*
	 * The state is whole before PEER_FIN and then STATE are reported:
	 * a handler that uploads on either must find a state that adopt
	 * would take back.
	 */
	switch (c->state) {
	case TOE_TCP_ESTABLISHED:
		st = TOE_TCP_CLOSE_WAIT;
		break;
	case TOE_TCP_FIN_WAIT1:
		st = TOE_TCP_CLOSING;
		break;
	case TOE_TCP_FIN_WAIT2:
		st = TOE_TCP_TIME_WAIT;
		time_wait_timers(eng, c, now_us);
		break;
	default:
		st = c->state;
		break;
	}
	changed = st != c->state;
	c->state = st;
	toe_report(eng, c, TOE_ENG_EV_PEER_FIN, 0);
	if (c->used && changed)
		toe_report(eng, c, TOE_ENG_EV_STATE, 0);
}

/* Our FIN was acknowledged. */
static void fin_acked(struct toe_engine *eng, struct toe_conn *c,
		      uint64_t now_us)
{
	switch (c->state) {
	case TOE_TCP_FIN_WAIT1:
		toe_set_state(eng, c, TOE_TCP_FIN_WAIT2);
		break;
	case TOE_TCP_CLOSING:
		enter_time_wait(eng, c, now_us);
		break;
	case TOE_TCP_LAST_ACK:
		toe_conn_done(eng, c, 0);
		break;
	default:
		break;
	}
}

static void enter_recovery(struct toe_conn *c)
{
	c->recover = c->snd_nxt;
	c->ssthresh = toe_cc_ssthresh(c);
	c->cwnd = c->ssthresh;
	c->cwnd_cnt = 0;
	toe_cc_on_loss(c);
	c->ca_state = TOE_CA_RECOVERY;
	c->high_rxt = c->snd_una;
	c->rxt_now = true;
	/* Without SACK, NewReno (RFC 6582) resends the first segment. */
	c->lost_end = seq_max(toe_sb_lost_boundary(c),
			      seq_min(c->snd_una + c->mss, c->snd_nxt));
}

/* A cumulative ACK moved snd_una forward to @ack. */
static void new_ack(struct toe_engine *eng, struct toe_conn *c, uint32_t ack,
		    uint64_t now_us)
{
	uint32_t data_end = c->write_seq;
	uint32_t acked = ack - c->snd_una;
	uint32_t segs = (acked + c->mss - 1) / c->mss;
	uint32_t flight = (c->snd_nxt - c->snd_una) / c->mss;
	bool fin_now_acked = c->fin_sent && ack == data_end + 1;

	if (c->rtt_timing && seq_le(c->rtt_seq, ack)) {
		c->rtt_timing = false;
		toe_rtt_sample(eng, c, (uint32_t)(now_us - c->rtt_start_us));
	}
	c->bytes_acked += acked;
	c->snd_una = ack;
	c->backoff = 0;
	c->retries = 0;
	c->dupacks = 0;
	toe_sb_trim(c);
	c->high_rxt = seq_max(c->high_rxt, ack);
	c->lost_end = seq_max(c->lost_end, ack);
	c->last_active_us = now_us;

	if (c->ca_state == TOE_CA_RECOVERY || c->ca_state == TOE_CA_LOSS) {
		if (seq_le(c->recover, ack)) {
			if (c->ca_state == TOE_CA_RECOVERY)
				c->cwnd = c->ssthresh;
			c->ca_state = TOE_CA_OPEN;
			c->rxt_now = false;
		} else if (c->ca_state == TOE_CA_LOSS) {
			toe_cc_on_ack(c, segs, flight, now_us);
		} else if (!c->sack_ok) {
			/* NewReno partial ACK: the next segment is lost. */
			c->high_rxt = ack;
			c->lost_end = seq_min(ack + c->mss, c->snd_nxt);
		}
	} else {
		c->ca_state = c->sacked_bytes ? TOE_CA_DISORDER : TOE_CA_OPEN;
		toe_cc_on_ack(c, segs, flight, now_us);
	}

	eng->ops.acked(eng->opaque, c->handle, seq_min(ack, data_end));
	if (!c->used)
		return;
	if (c->snd_una == c->snd_nxt)
		toe_timer_set(c, TOE_T_RTO, TOE_T_OFF);
	else
		toe_rearm_rto(c, now_us);
	if (fin_now_acked)
		fin_acked(eng, c, now_us);
}

/*
 * The ACK field and the window. Return false if the segment must go no
 * further (an ACK was sent or the connection ended).
 */
static bool process_ack(struct toe_engine *eng, struct toe_conn *c,
			const struct toe_seg *seg, uint64_t now_us)
{
	uint32_t ack = seg->ack, nwin = (uint32_t)seg->wnd << c->snd_wscale;
	bool wnd_changed = false;
	int k;

	/* RFC 5961 5.2: ACKs for data never sent, or far too old. */
	if (seq_lt(c->snd_nxt, ack) ||
	    seq_lt(ack, c->snd_una - c->max_window)) {
		challenge_ack(eng, c, now_us);
		return false;
	}

	/*
	 * RFC 9293 3.10.7.4: update the window (Linux's rule), never from
	 * an ACK older than snd_una.
	 */
	if (!seq_lt(ack, c->snd_una) &&
	    (seq_lt(c->snd_una, ack) || seq_lt(c->snd_wl1, seg->seq) ||
	     (seg->seq == c->snd_wl1 && nwin > c->snd_wnd))) {
		wnd_changed = nwin != c->snd_wnd;
		c->snd_wnd = nwin;
		c->snd_wl1 = seg->seq;
		if (nwin > c->max_window)
			c->max_window = nwin;
		if (nwin)
			toe_timer_set(c, TOE_T_PERSIST, TOE_T_OFF);
	}

	if (c->sack_ok) {
		for (k = 0; k < seg->num_sacks; k++) {
			uint32_t s = seg->sacks[k][0], e = seg->sacks[k][1];

			/* D-SACKs and nonsense are ignored (RFC 2883). */
			if (seq_le(ack, s) && seq_lt(s, e) &&
			    seq_le(e, c->snd_nxt) && seq_lt(c->snd_una, e))
				toe_sb_add(c, s, e);
		}
	}

	if (seq_lt(c->snd_una, ack)) {
		new_ack(eng, c, ack, now_us);
		if (!c->used)
			return false;
	} else if (ack == c->snd_una && seg->len == 0 &&
		   !(seg->flags & TH_FIN) && !wnd_changed &&
		   c->snd_una != c->snd_nxt) {
		c->dupacks++;	/* RFC 5681 section 2 */
	}

	if (c->ca_state == TOE_CA_OPEN || c->ca_state == TOE_CA_DISORDER) {
		if (c->snd_una != c->snd_nxt &&
		    (c->dupacks >= 3 ||
		     (c->sack_ok && seq_lt(c->snd_una,
					   toe_sb_lost_boundary(c)))))
			enter_recovery(c);
		else if (c->dupacks || c->sacked_bytes)
			c->ca_state = TOE_CA_DISORDER;
	} else if (c->ca_state == TOE_CA_RECOVERY && c->sack_ok) {
		c->lost_end = seq_max(c->lost_end, toe_sb_lost_boundary(c));
	}
	return true;
}

static void store_ts_recent(struct toe_conn *c, const struct toe_seg *seg,
			    uint64_t now_us)
{
	/* RFC 7323 4.3: from segments covering the left window edge. */
	if (!c->ts_ok || !seg->has_ts || !seq_le(seg->seq, c->rcv_nxt))
		return;
	if (c->ts_recent_valid && seq_lt(seg->tsval, c->ts_recent))
		return;
	c->ts_recent = seg->tsval;
	c->ts_recent_us = now_us;
	c->ts_recent_valid = true;
}

/*
 * Keep or deliver [seq, seq + len), already trimmed to [rcv_nxt,
 * rcv_adv). In-order data goes straight to the caller while it has room,
 * even when out-of-order data waits further on: it needs no memory, and
 * it may be what fills the hole. What the caller cannot take is held;
 * data after a gap is out of order and reported in SACK blocks.
 */
static void queue_data(struct toe_engine *eng, struct toe_conn *c,
		       uint32_t seq, const uint8_t *data, uint32_t len,
		       uint64_t now_us)
{
	bool had_ooo;
	uint32_t held_end = toe_rq_held_end(c, &had_ooo);

	while (len && seq == c->rcv_nxt && held_end == c->rcv_nxt &&
	       c->rcv_space) {
		uint32_t n = len, took, old;

		/* Up to the next held range, which then goes too. */
		if (c->rq && seq_lt(c->rq->seq, seq + n))
			n = c->rq->seq - seq;
		took = toe_rq_take(eng, c, data, n, now_us);
		seq += took;
		data += took;
		len -= took;
		if (took < n) {
			held_end = c->rcv_nxt;
			break;
		}
		toe_rq_deliver(eng, c, now_us);
		if (!c->used)
			return;
		old = seq_lt(seq, c->rcv_nxt) ? c->rcv_nxt - seq : 0;
		if (old > len)
			old = len;
		seq += old;
		data += old;
		len -= old;
		held_end = toe_rq_held_end(c, NULL);
	}
	if (len) {
		if (seq_lt(held_end, seq)) {
			eng->stats.ooo_segs++;
			c->last_sack[0] = seq;
			c->last_sack[1] = seq + len;
			c->ack_now = true;	/* dup ACK with SACK */
		}
		if (toe_rq_insert(eng, c, seq, data, len)) {
			eng->stats.dropped++;
			toe_ask_upload(eng, c, TOE_UPLOAD_REASM_MEM);
			if (!c->used)
				return;
		}
	}
	if (had_ooo)
		c->ack_now = true;	/* a hole is filling: tell at once */
	toe_rq_deliver(eng, c, now_us);
}

static void process_data(struct toe_engine *eng, struct toe_conn *c,
			 const struct toe_seg *seg, uint64_t now_us)
{
	uint32_t seq = seg->seq, len = seg->len;
	const uint8_t *data = seg->data;
	bool fin = seg->flags & TH_FIN;

	if (!len && !fin)
		return;
	if (!can_receive_data(c->state)) {
		/* After the peer's FIN: RFC 9293 says ignore the text. */
		c->ack_now = true;
		return;
	}
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t old = c->rcv_nxt - seq;

		c->ack_now = true;	/* a retransmission: ACK at once */
		if (old > len)
			return;		/* all old, the FIN too */
		data += old;
		len -= old;
		seq = c->rcv_nxt;
	}
	if (seq_lt(c->rcv_adv, seq + len)) {
		len = c->rcv_adv - seq;	/* beyond the window we offered */
		fin = false;
		c->ack_now = true;
	}
	/*
	 * Nothing follows a FIN. The earliest one seen counts; data
	 * beyond it, held or arriving, is the peer's nonsense and goes
	 * (Linux's tcp_fin() purges its out-of-order queue too).
	 */
	if (fin && (!c->ooo_fin || seq_lt(seq + len, c->ooo_fin_seq))) {
		c->ooo_fin = true;
		c->ooo_fin_seq = seq + len;
		toe_rq_trim(eng, c, c->ooo_fin_seq);
	}
	if (c->ooo_fin && seq_lt(c->ooo_fin_seq, seq + len))
		len = seq_lt(seq, c->ooo_fin_seq) ? c->ooo_fin_seq - seq : 0;
	if (len) {
		uint32_t prior_rcv_nxt = c->rcv_nxt;

		queue_data(eng, c, seq, data, len, now_us);
		if (!c->used)
			return;
		/*
		 * Data held for want of host space is not acknowledged:
		 * an ACK now would only look like a duplicate.
		 */
		if (c->rcv_nxt != prior_rcv_nxt)
			c->ack_pending++;
	}
	if (fin) {
		c->ack_now = true;
		toe_rcv_fin_check(eng, c, now_us);
	}
}

/* TIME_WAIT: only the peer's retransmitted FIN deserves an answer. */
static void time_wait_input(struct toe_engine *eng, struct toe_conn *c,
			    const struct toe_seg *seg, uint64_t now_us)
{
	if (seg->flags & TH_RST) {
		toe_conn_done(eng, c, 0);
		return;
	}
	if (seg->flags & TH_SYN) {
		challenge_ack(eng, c, now_us);
		return;
	}
	if (seg->flags & TH_FIN || seg->len) {
		toe_timer_set(c, TOE_T_TIMEWAIT,
			      now_us + eng->cfg.time_wait_us);
		toe_send_ack(eng, c, now_us);
	}
}

void toe_input_seg(struct toe_engine *eng, struct toe_conn *c,
		   const struct toe_seg *seg, uint64_t now_us)
{
	uint32_t seg_end = seg->seq + seg->len + ((seg->flags & TH_FIN) ? 1 : 0);

	if (c->state == TOE_TCP_TIME_WAIT) {
		time_wait_input(eng, c, seg, now_us);
		return;
	}
	if (seg->unhandled_opt) {
		/* The host stack must see this one: leave it unprocessed. */
		eng->stats.dropped++;
		toe_ask_upload(eng, c, TOE_UPLOAD_OPTION);
		return;
	}

	/* RFC 7323 5.3: PAWS, before anything else is believed. */
	if (c->ts_ok && seg->has_ts && c->ts_recent_valid &&
	    !(seg->flags & TH_RST) && seq_lt(seg->tsval, c->ts_recent) &&
	    now_us - c->ts_recent_us < TOE_PAWS_24DAYS_US) {
		eng->stats.paws_rejects++;
		toe_send_ack(eng, c, now_us);
		return;
	}

	/* Acceptability (Linux's tcp_sequence()). */
	if (seq_lt(seg_end, c->rcv_nxt) || seq_lt(c->rcv_adv, seg->seq)) {
		eng->stats.dropped++;
		if (!(seg->flags & TH_RST))
			toe_send_ack(eng, c, now_us);
		return;
	}

	if (seg->flags & TH_RST) {
		/* RFC 5961 3.2: only the exact sequence resets. */
		if (seg->seq == c->rcv_nxt) {
			toe_report(eng, c, TOE_ENG_EV_PEER_RST, 0);
			toe_conn_done(eng, c, 0);
		} else {
			challenge_ack(eng, c, now_us);
		}
		return;
	}
	if (seg->flags & TH_SYN) {
		challenge_ack(eng, c, now_us);	/* RFC 5961 4.2 */
		return;
	}
	if (!(seg->flags & TH_ACK)) {
		eng->stats.dropped++;
		return;
	}

	c->last_rcv_us = now_us;
	c->probes_out = 0;
	if (c->keepalive)
		toe_timer_set(c, TOE_T_KEEPALIVE,
			      now_us + (uint64_t)c->ka_idle_s * 1000000);

	store_ts_recent(c, seg, now_us);
	if (!process_ack(eng, c, seg, now_us))
		return;

	if (seg->flags & TH_URG) {
		/*
		 * Urgent data means SIGURG and out-of-band reads: the
		 * host's business. The data stays unacknowledged.
		 */
		toe_ask_upload(eng, c, TOE_UPLOAD_URGENT);
		if (c->used)
			toe_output(eng, c, now_us);
		return;
	}

	process_data(eng, c, seg, now_us);
	if (!c->used)
		return;
	if (c->state == TOE_TCP_TIME_WAIT) {
		/*
		 * Only a FIN that took us here is owed an ACK; the ACK of
		 * our own FIN (CLOSING to TIME_WAIT) is not answered.
		 */
		if (c->ack_now)
			toe_send_ack(eng, c, now_us);
		return;
	}
	toe_output(eng, c, now_us);
}
