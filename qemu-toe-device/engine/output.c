/*
 * output.c - what a connection sends: retransmissions of lost data
 * (RFC 6675 NextSeg), new data within the congestion and send windows
 * (with Nagle and sender-side silly-window avoidance), the FIN, ACKs and
 * probes, and the receive window it advertises.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "engine-int.h"

static bool can_send_data(uint8_t st)
{
	return st == TOE_TCP_ESTABLISHED || st == TOE_TCP_CLOSE_WAIT ||
	       st == TOE_TCP_FIN_WAIT1 || st == TOE_TCP_CLOSING ||
	       st == TOE_TCP_LAST_ACK;
}

/*
 * Receive space the engine can offer beyond rcv_nxt: the caller's, less
 * the reserve that takes the right edge's creep (cfg.rcv_reserve_shift).
 */
uint32_t toe_rcv_wnd_avail(const struct toe_conn *c)
{
	uint32_t max = 65535u << c->rcv_wscale, reserve = 0, space;

	if (c->rcv_reserve_shift)
		reserve = (c->rcv_space_max >> c->rcv_reserve_shift) +
			  (1u << c->rcv_wscale);
	space = c->rcv_space > reserve ? c->rcv_space - reserve : 0;
	return space < max ? space : max;
}

/**
 * toe_rcv_wnd_field() - the window field of the next segment.
 *
 * The right edge (rcv_adv) only ever moves right (RFC 9293 3.8.6,
 * invariant 3). It moves when the caller's space grew by a full segment,
 * or by half its largest space (receiver-side silly-window avoidance).
 * A new edge is rounded down to the window scale, an old one up, so the
 * edge the peer computes never falls below one already advertised.
 */
uint16_t toe_rcv_wnd_field(struct toe_conn *c)
{
	uint32_t ws = c->rcv_wscale, avail = toe_rcv_wnd_avail(c);
	uint32_t new_edge = c->rcv_nxt + ((avail >> ws) << ws);
	uint32_t step, wnd, field;

	step = c->mss < c->rcv_space_max / 2 ? c->mss : c->rcv_space_max / 2;
	if (seq_lt(c->rcv_adv, new_edge) &&
	    (new_edge - c->rcv_adv >= step || c->rcv_adv == c->rcv_nxt))
		c->rcv_adv = new_edge;
	if (seq_lt(c->rcv_adv, c->rcv_nxt))
		c->rcv_adv = c->rcv_nxt;
	wnd = c->rcv_adv - c->rcv_nxt;
	field = (wnd + (1u << ws) - 1) >> ws;
	if (field > 0xffff)
		return 0xffff;
	c->rcv_adv = c->rcv_nxt + (field << ws);
	return (uint16_t)field;
}

void toe_send_ack(struct toe_engine *eng, struct toe_conn *c,
		  uint64_t now_us)
{
	struct toe_xmit x = {
		.seq = c->snd_nxt,
		.flags = TH_ACK,
		.sack = true,
	};

	toe_build(eng, c, &x, now_us);
}

void toe_send_rst(struct toe_engine *eng, struct toe_conn *c,
		  uint64_t now_us)
{
	struct toe_xmit x = {
		.seq = c->snd_nxt,
		.flags = TH_RST | TH_ACK,
	};

	toe_build(eng, c, &x, now_us);
}

/*
 * Zero-window and keepalive probe: an old sequence with no data, which
 * the peer must answer with an ACK carrying its window (RFC 9293 3.8.6.1,
 * Linux's tcp_xmit_probe_skb()).
 */
void toe_send_probe(struct toe_engine *eng, struct toe_conn *c,
		    uint64_t now_us)
{
	struct toe_xmit x = {
		.seq = c->snd_una - 1,
		.flags = TH_ACK,
	};

	toe_build(eng, c, &x, now_us);
}

/* Send [seq, seq + len) of the host's data, plus the FIN if @fin. */
static int send_range(struct toe_engine *eng, struct toe_conn *c,
		      uint32_t seq, uint32_t len, bool fin, uint64_t now_us)
{
	struct toe_xmit x = {
		.seq = seq,
		.flags = TH_ACK,
		.len = len,
		.sack = true,
	};

	if (len && seq + len == c->write_seq)
		x.flags |= TH_PSH;
	if (fin)
		x.flags |= TH_FIN;
	return toe_build(eng, c, &x, now_us);
}

/*
 * RFC 6675 NextSeg rule 1: the first byte at or after high_rxt that is
 * neither SACKed nor beyond the lost region. Return false if none.
 */
static bool next_lost(const struct toe_conn *c, uint32_t *seq, uint32_t *end)
{
	uint32_t s = seq_max(c->high_rxt, c->snd_una), run_end;

	while (seq_lt(s, c->lost_end)) {
		if (toe_sb_is_sacked(c, s, &run_end)) {
			s = run_end;
			continue;
		}
		*seq = s;
		*end = seq_min(run_end, c->lost_end);
		return true;
	}
	return false;
}

/*
 * Retransmit one lost segment if the congestion window allows. The first
 * one of a recovery goes regardless (RFC 6675 5 step 4.3, RFC 5681 3.2
 * step 2): cwnd was just halved while pipe still counts the whole flight.
 */
static bool retransmit_one(struct toe_engine *eng, struct toe_conn *c,
			   uint64_t now_us)
{
	uint32_t s, end, len, data_end = c->write_seq;
	bool fin = false;

	if (!next_lost(c, &s, &end))
		return false;
	if (!c->rxt_now &&
	    (uint64_t)toe_pipe(c) + c->mss > (uint64_t)c->cwnd * c->mss &&
	    toe_pipe(c) > 0)
		return false;
	len = seq_min(end, data_end) - s;
	if (seq_lt(data_end, s))
		len = 0;
	if (len > c->mss)
		len = c->mss;
	if (c->fin_sent && s + len == data_end && seq_lt(data_end, end))
		fin = true;
	if (!len && !fin) {
		c->high_rxt = end;
		return true;
	}
	if (send_range(eng, c, s, len, fin, now_us))
		return false;
	c->high_rxt = s + len + (fin ? 1 : 0);
	c->rxt_now = false;
	c->retrans_segs++;
	eng->stats.retrans_segs++;
	c->rtt_timing = false;		/* Karn: no samples from resends */
	if (c->timers[TOE_T_RTO] == TOE_T_OFF)
		toe_rearm_rto(c, now_us);
	return true;
}

/*
 * New data from snd_nxt. Return false when nothing more can go now.
 */
static bool send_new(struct toe_engine *eng, struct toe_conn *c,
		     uint64_t now_us)
{
	uint32_t unsent, wnd_end, len, pipe;
	uint64_t cwnd_bytes = (uint64_t)c->cwnd * c->mss;
	bool fin;

	if (!seq_lt(c->snd_nxt, c->write_seq)) {
		/* Only the FIN is left, if anything: it needs no window. */
		if (!c->fin_queued || c->fin_sent ||
		    c->snd_nxt != c->write_seq)
			return false;
		if (send_range(eng, c, c->snd_nxt, 0, true, now_us))
			return false;
		c->snd_nxt++;
		c->fin_sent = true;
		if (c->timers[TOE_T_RTO] == TOE_T_OFF)
			toe_rearm_rto(c, now_us);
		return false;
	}

	unsent = c->write_seq - c->snd_nxt;
	wnd_end = c->snd_una + c->snd_wnd;
	len = seq_lt(c->snd_nxt, wnd_end) ? wnd_end - c->snd_nxt : 0;
	if (len > c->mss)
		len = c->mss;
	if (len > unsent)
		len = unsent;
	pipe = toe_pipe(c);

	if (!len) {
		/* Window closed: probe it if nothing is in flight. */
		if (c->snd_una == c->snd_nxt &&
		    c->timers[TOE_T_PERSIST] == TOE_T_OFF) {
			c->persist_backoff = 0;
			toe_timer_set(c, TOE_T_PERSIST, now_us + c->rto_us);
		}
		return false;
	}
	if (pipe && pipe + len > cwnd_bytes)
		return false;
	/*
	 * Sender SWS avoidance: no small segment just because the window
	 * is small, while an ACK is still to come.
	 */
	if (len < c->mss && len < unsent && c->snd_una != c->snd_nxt)
		return false;
	/* Nagle (RFC 9293 3.7.4): one small segment in flight at a time. */
	if (len < c->mss && len == unsent && !c->nodelay &&
	    c->snd_una != c->snd_nxt && !c->fin_queued)
		return false;

	fin = c->fin_queued && c->snd_nxt + len == c->write_seq;
	if (send_range(eng, c, c->snd_nxt, len, fin, now_us))
		return false;
	if (!c->rtt_timing) {
		c->rtt_timing = true;
		c->rtt_seq = c->snd_nxt + len;
		c->rtt_start_us = now_us;
	}
	c->snd_nxt += len + (fin ? 1 : 0);
	c->fin_sent = fin;
	c->last_active_us = now_us;
	if (c->timers[TOE_T_RTO] == TOE_T_OFF)
		toe_rearm_rto(c, now_us);
	return true;
}

/**
 * toe_output() - send what the windows allow, then any ACK owed.
 *
 * Lost segments go first, then new data, at most cfg.tx_burst segments
 * in all (tx_more then asks for a toe_engine_tx_resume()). An ACK owed
 * (ack_now, or two segments received unacknowledged) goes out on its own
 * if no data carried it; otherwise the delayed-ACK timer is armed.
 */
void toe_output(struct toe_engine *eng, struct toe_conn *c, uint64_t now_us)
{
	uint32_t budget = eng->cfg.tx_burst ? eng->cfg.tx_burst : UINT32_MAX;

	if (!c->used)
		return;
	if (can_send_data(c->state)) {
		/*
		 * A failed read_send reports an error, whose handler may
		 * upload or abort the connection: check after each loop.
		 */
		while (budget && retransmit_one(eng, c, now_us))
			budget--;
		if (!c->used)
			return;
		while (budget && send_new(eng, c, now_us))
			budget--;
		if (!c->used)
			return;
		/* Out of budget: perhaps more to send, on the next resume. */
		if (!budget)
			toe_set_tx_more(eng, c, true);
	}
	if (c->ack_now || c->ack_pending >= 2)
		toe_send_ack(eng, c, now_us);
	else if (c->ack_pending && c->timers[TOE_T_DELACK] == TOE_T_OFF)
		toe_timer_set(c, TOE_T_DELACK, now_us + eng->cfg.delack_us);
}
