// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-send.c - sending: the congestion and send windows, Nagle, the
 * peer's zero window, ACK processing and congestion window growth.
 */
#include <endian.h>

#include "unit.h"

/* send_queued() sends mss-sized segments up to cwnd (10 here). */
static void cwnd_limits(void)
{
	struct fx *f = fx_setup(4);
	int i;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 20000), 0))
		return;
	for (i = 0; i < 10; i++) {
		unit_ctx("segment %d", i);
		EXPECT_PKT(f, TF_ACK, FX_ISS + i * FX_MSS, FX_IRS, FX_MSS);
	}
	unit_ctx("after cwnd");
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).snd_nxt, FX_ISS + 10 * FX_MSS);
	EXPECT_EQ(fx_info(f).write_seq, FX_ISS + 20000);
	EXPECT_EQ(fx_stats(f).bytes_out, 10 * FX_MSS);
	EXPECT_NE(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* The peer's window limits too; no silly small segment to fill it. */
static void peer_window_limits(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 6);
	st.snd_wnd = htole32(4096);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	f->peer_wnd = 4096 >> 7;
	if (!EXPECT_EQ(fx_queue(f, 20000), 0))
		return;
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, FX_MSS);
	EXPECT_PKT(f, TF_ACK, FX_ISS + FX_MSS, FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 2 * FX_MSS);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 2 * FX_MSS, FX_IRS, FX_MSS);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 3 * FX_MSS, FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
	/* A bigger window lets the rest go, Nagle holding the tail. */
	f->peer_wnd = FX_PEER_WND;
	fx_ack(f, FX_ISS + 4 * FX_MSS);
	EXPECT_EQ(fx_pending(f), 9);
	EXPECT_EQ(fx_info(f).snd_nxt, FX_ISS + 13 * FX_MSS);
}

/* Nagle (RFC 9293 3.7.4): one small segment in flight at a time. */
static void nagle_holds_small(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 100);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_NO_PKT(f);
	fx_run(f, 5000);
	fx_ack(f, FX_ISS + 100);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 100, FX_IRS, 200);
	EXPECT_NO_PKT(f);
	/* A full segment is never held. */
	if (!EXPECT_EQ(fx_queue(f, FX_MSS), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 300, FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
}

/* TCP_NODELAY sends small segments at once, set now or adopted. */
static void nodelay_sends_small(void)
{
	struct fx *f = fx_setup(4);
	struct toe_conn_state st;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 100);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_NO_PKT(f);
	/* Setting it releases what Nagle held. */
	EXPECT_EQ(toe_engine_set_nodelay(f->eng, f->id, true, f->now), 0);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 100, FX_IRS, 100);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 200, FX_IRS, 100);

	fx_state(f, &st, 6);
	st.flags = htole32(le32toh(st.flags) | TOE_CS_NODELAY);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 10);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 10, FX_IRS, 10);
	EXPECT_EQ(toe_engine_set_nodelay(f->eng, 77, true, f->now), -ENOENT);
}

/* An ACK moves snd_una, and the caller hears of it. */
static void ack_reports_snd_una(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 3 * FX_MSS), 0))
		return;
	fx_drain(f);
	fx_ack(f, FX_ISS + FX_MSS);
	EXPECT_EQ(f->acked, FX_ISS + FX_MSS);
	EXPECT_EQ(f->acked_calls, 1);
	EXPECT_EQ(fx_info(f).snd_una, FX_ISS + FX_MSS);
	EXPECT_EQ(fx_info(f).bytes_acked, FX_MSS);
	/* A duplicate changes nothing and tells nothing. */
	fx_ack(f, FX_ISS + FX_MSS);
	EXPECT_EQ(f->acked_calls, 1);
	fx_ack(f, FX_ISS + 3 * FX_MSS);
	EXPECT_EQ(f->acked, FX_ISS + 3 * FX_MSS);
	EXPECT_EQ(fx_info(f).bytes_acked, 3 * FX_MSS);
	/* All acknowledged: no retransmission timer left. */
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
	EXPECT_NO_PKT(f);
}

/* An old ACK (below snd_una) is ignored. */
static void old_ack_ignored(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 3 * FX_MSS), 0))
		return;
	fx_drain(f);
	fx_ack(f, FX_ISS + 2 * FX_MSS);
	fx_ack(f, FX_ISS + FX_MSS);
	EXPECT_EQ(f->acked, FX_ISS + 2 * FX_MSS);
	EXPECT_EQ(fx_info(f).snd_una, FX_ISS + 2 * FX_MSS);
	EXPECT_NO_PKT(f);
}

/* Slow start: cwnd grows by the segments acknowledged. */
static void slow_start(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 30 * FX_MSS), 0))
		return;
	EXPECT_EQ(fx_pending(f), 10);
	fx_drain(f);
	fx_ack(f, FX_ISS + 2 * FX_MSS);
	EXPECT_EQ(fx_info(f).cwnd, 12);
	/* Two segments left and two more fit: four go. */
	EXPECT_EQ(fx_pending(f), 4);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 10 * FX_MSS, FX_IRS, FX_MSS);
}

/* Congestion avoidance (RFC 5681 3.1): one segment per window. */
static void congestion_avoidance(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 4);
	st.snd_ssthresh = htole32(10);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 40 * FX_MSS), 0))
		return;
	fx_drain(f);
	fx_ack(f, FX_ISS + 5 * FX_MSS);
	EXPECT_EQ(fx_info(f).cwnd, 10);
	fx_ack(f, FX_ISS + 10 * FX_MSS);
	EXPECT_EQ(fx_info(f).cwnd, 11);
}

/* RFC 7661: an application-limited flight does not grow cwnd. */
static void app_limited_no_growth(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 2 * FX_MSS), 0))
		return;
	fx_drain(f);
	fx_ack(f, FX_ISS + 2 * FX_MSS);
	EXPECT_EQ(fx_info(f).cwnd, 10);
}

/* RFC 6298 2.3: the RTT sample updates srtt and rttvar. */
static void rtt_sample(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_conn_info info;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, FX_MSS), 0))
		return;
	fx_drain(f);
	fx_run(f, 50000);
	fx_ack(f, FX_ISS + FX_MSS);
	info = fx_info(f);
	EXPECT_EQ(info.srtt_us, (10000 * 7 + 50000) / 8);
	EXPECT_EQ(info.rttvar_us, (5000 * 3 + 40000) / 4);
	EXPECT_EQ(info.rto_us, 200000);		/* min_rto */
}

/*
 * Zero window (RFC 9293 3.8.6.1): probes at the RTO, backing off
 * exponentially; when the window opens the data goes.
 */
static void zero_window_probes(void)
{
	struct fx *f = fx_setup(4);
	uint64_t t, gap;
	struct upkt *p;
	int i;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 1000), 0))
		return;
	fx_drain(f);
	f->peer_wnd = 0;
	fx_ack(f, FX_ISS + 1000);
	EXPECT_EQ(fx_info(f).snd_wnd, 0);
	if (!EXPECT_EQ(fx_queue(f, 5000), 0))
		return;
	EXPECT_NO_PKT(f);
	t = f->now;
	gap = fx_info(f).rto_us;
	EXPECT_EQ(gap, 200000);
	for (i = 0; i < 4; i++) {
		unit_ctx("probe %d", i);
		fx_run_until(f, t + gap - 1);
		EXPECT_NO_PKT(f);
		fx_run_until(f, t + gap);
		p = EXPECT_PKT(f, TF_ACK, FX_ISS + 1000 - 1, FX_IRS, 0);
		EXPECT_EQ(p->t, t + gap);
		EXPECT_NO_PKT(f);
		/* The peer answers, its window still closed. */
		fx_ack(f, FX_ISS + 1000);
		EXPECT_NO_PKT(f);
		t += gap;
		gap *= 2;
	}
	unit_ctx("window opens");
	EXPECT_NO_EV(f);
	f->peer_wnd = FX_PEER_WND;
	fx_ack(f, FX_ISS + 1000);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 1000, FX_IRS, FX_MSS);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 1000 + FX_MSS, FX_IRS, FX_MSS);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 1000 + 2 * FX_MSS, FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);		/* Nagle holds the 656-byte tail */
	fx_ack(f, FX_ISS + 1000 + 3 * FX_MSS);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 1000 + 3 * FX_MSS, FX_IRS,
		   5000 - 3 * FX_MSS);
	/* The persist timer is gone, and with all acked, every timer. */
	fx_ack(f, FX_ISS + 6000);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* RFC 1122 4.2.2.17: a zero window answered is kept open indefinitely. */
static void zero_window_answered_forever(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	int i;

	f->cfg.retries = 4;
	f->cfg.max_rto_us = 2000000;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	f->peer_wnd = 0;
	fx_ack(f, FX_ISS + 100);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	fx_drain(f);
	for (i = 0; i < 20; i++) {
		unit_ctx("probe %d", i);
		fx_run_until(f, toe_engine_next_deadline(f->eng));
		EXPECT_PKT(f, TF_ACK, FX_ISS + 99, FX_IRS, 0);
		fx_ack(f, FX_ISS + 100);
		EXPECT_NO_PKT(f);
	}
	unit_ctx("after the probes");
	EXPECT_NO_EV(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
	/* Backed off to max_rto_us, not beyond. */
	EXPECT_LE(toe_engine_next_deadline(f->eng), f->now + 2000000);
}

/* Unanswered window probes end like unanswered retransmissions. */
static void zero_window_unanswered(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;

	f->cfg.retries = 4;
	f->cfg.max_rto_us = 2000000;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	f->peer_wnd = 0;
	fx_ack(f, FX_ISS + 100);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	fx_drain(f);
	fx_run(f, 600000000);
	EXPECT_EQ(fx_pending(f), 4);
	EXPECT_EV(f, TOE_ENG_EV_ERROR, -ETIMEDOUT);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
}

/* A window opened by a pure window update (same seq and ack). */
static void window_update_resumes(void)
{
	struct fx *f = fx_setup(6);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 1000), 0))
		return;
	fx_drain(f);
	f->peer_wnd = 0;
	fx_ack(f, FX_ISS + 1000);
	if (!EXPECT_EQ(fx_queue(f, 1000), 0))
		return;
	EXPECT_NO_PKT(f);
	f->peer_wnd = 16;
	fx_ack(f, FX_ISS + 1000);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 1000, FX_IRS, 1000);
	EXPECT_NO_PKT(f);
}

/* read_send failing: nothing from that range is sent, ERROR -EIO. */
static void read_send_error(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	f->read_err = -EFAULT;
	fx_queue(f, 1000);
	EXPECT_NO_PKT(f);
	EXPECT_EV(f, TOE_ENG_EV_ERROR, -EIO);
	EXPECT_EQ(fx_info(f).snd_nxt, FX_ISS);
}

static void send_queued_errors(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(toe_engine_send_queued(f->eng, f->id + 1, FX_ISS + 10,
					 f->now), -ENOENT);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_EQ(toe_engine_send_queued(f->eng, f->id, FX_ISS + 50, f->now),
		  -EINVAL);
	EXPECT_EQ(toe_engine_send_queued(f->eng, f->id, FX_ISS + 100, f->now),
		  0);
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_EQ(toe_engine_send_queued(f->eng, f->id, FX_ISS + 200, f->now),
		  -EPIPE);
}

/* Every segment carries the current ACK and window. */
static void data_carries_ack(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	fx_send_peer(f, 700);
	EXPECT_NO_PKT(f);
	if (!EXPECT_EQ(fx_queue(f, 300), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS + 700, 300);
	/* The data carried the ACK: no separate delayed ACK follows. */
	fx_run(f, 2 * f->cfg.delack_us);
	EXPECT_NO_PKT(f);
}

/*
 * cfg.tx_burst bounds what one call sends; toe_engine_tx_resume() sends
 * the rest, tx_burst at a time, until the windows stop it.
 */
static void tx_burst_resumes(void)
{
	struct toe_conn_state st;
	struct fx *f = fx_alloc();

	f->cfg.tx_burst = 4;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	EXPECT(!toe_engine_tx_pending(f->eng));
	if (!EXPECT_EQ(fx_queue(f, 20000), 0))
		return;
	EXPECT_EQ(fx_pending(f), 4);
	fx_drain(f);
	unit_ctx("first resume");
	EXPECT(toe_engine_tx_pending(f->eng));
	toe_engine_tx_resume(f->eng, f->now);
	EXPECT_EQ(fx_pending(f), 4);
	fx_drain(f);
	/* cwnd (10) allows two more: sent, and nothing is left pending. */
	unit_ctx("second resume");
	EXPECT(toe_engine_tx_pending(f->eng));
	toe_engine_tx_resume(f->eng, f->now);
	EXPECT_EQ(fx_pending(f), 2);
	EXPECT(!toe_engine_tx_pending(f->eng));
	EXPECT_EQ(fx_info(f).snd_nxt, FX_ISS + 10 * FX_MSS);
}

static const struct unit_case cases[] = {
	UNIT_CASE(cwnd_limits),
	UNIT_CASE(peer_window_limits),
	UNIT_CASE(nagle_holds_small),
	UNIT_CASE(nodelay_sends_small),
	UNIT_CASE(ack_reports_snd_una),
	UNIT_CASE(old_ack_ignored),
	UNIT_CASE(slow_start),
	UNIT_CASE(congestion_avoidance),
	UNIT_CASE(app_limited_no_growth),
	UNIT_CASE(rtt_sample),
	UNIT_CASE(zero_window_probes),
	UNIT_CASE(zero_window_answered_forever),
	UNIT_CASE(zero_window_unanswered),
	UNIT_CASE(window_update_resumes),
	UNIT_CASE(read_send_error),
	UNIT_CASE(send_queued_errors),
	UNIT_CASE(data_carries_ack),
	UNIT_CASE(tx_burst_resumes),
	{ NULL, NULL }
};

const struct unit_suite unit_send_suite = { "send", cases };
