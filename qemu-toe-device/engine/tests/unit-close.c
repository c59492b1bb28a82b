// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-close.c - the end of a connection (RFC 9293 3.6): active,
 * passive and simultaneous close, TIME_WAIT, and abort.
 */
#include "unit.h"

/* The peer's FIN (and @len bytes before it) at peer_nxt. */
static int peer_fin(struct fx *f, uint32_t len)
{
	struct useg s = fx_seg(f);

	s.flags = TF_ACK | TF_FIN;
	s.len = len;
	f->peer_nxt += len + 1;
	return fx_in(f, &s);
}

/*
 * shutdown: FIN after the data, FIN_WAIT1; its ACK: FIN_WAIT2; the
 * peer's FIN: TIME_WAIT, ACKed; time_wait_us later: CLOSED.
 */
static void active_close(void)
{
	struct fx *f = fx_setup(4);
	uint64_t t;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 100);
	/* Nagle holds this one. */
	if (!EXPECT_EQ(fx_queue(f, 50), 0))
		return;
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_FIN_WAIT1);
	/* The held data goes with the FIN, which follows it. */
	EXPECT_PKT(f, TF_ACK | TF_PSH | TF_FIN, FX_ISS + 100, FX_IRS, 50);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).write_seq, FX_ISS + 151);
	EXPECT_EQ(fx_info(f).snd_nxt, FX_ISS + 151);

	fx_ack(f, FX_ISS + 150);		/* the data, not the FIN */
	EXPECT_EQ(f->acked, FX_ISS + 150);
	EXPECT_NO_EV(f);
	fx_ack(f, FX_ISS + 151);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_FIN_WAIT2);
	EXPECT_EQ(f->acked, FX_ISS + 150);	/* the FIN is no data */
	EXPECT_NO_PKT(f);

	/* FIN_WAIT2 still receives. */
	fx_send_peer(f, 200);
	EXPECT_EQ(f->rcv_len, 200);
	fx_run(f, f->cfg.delack_us);
	fx_drain(f);
	EXPECT_EQ(peer_fin(f, 0), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 151, FX_IRS + 201, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_TIME_WAIT);
	EXPECT_NO_EV(f);

	t = f->now;
	fx_run_until(f, t + f->cfg.time_wait_us - 1);
	EXPECT_NO_EV(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
	fx_run_until(f, t + f->cfg.time_wait_us);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_NO_EV(f);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
}

/*
 * The peer closes first: PEER_FIN, CLOSE_WAIT, its FIN ACKed at once;
 * shutdown: LAST_ACK and our FIN; its ACK: CLOSED.
 */
static void passive_close(void)
{
	struct fx *f = fx_setup(6);

	if (!f)
		return;
	EXPECT_EQ(peer_fin(f, 300), 1);
	EXPECT_EQ(f->rcv_len, 300);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 301, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_CLOSE_WAIT);
	EXPECT_NO_EV(f);

	/* CLOSE_WAIT still sends. */
	if (!EXPECT_EQ(fx_queue(f, 500), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS + 301, 500);
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_LAST_ACK);
	EXPECT_PKT(f, TF_ACK | TF_FIN, FX_ISS + 500, FX_IRS + 301, 0);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 500);
	EXPECT_NO_EV(f);
	fx_ack(f, FX_ISS + 501);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_NO_EV(f);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(fx_ack(f, FX_ISS + 501), 0);
}

/* Both FINs cross: FIN_WAIT1, CLOSING, TIME_WAIT. */
static void simultaneous_close(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_FIN_WAIT1);
	EXPECT_PKT(f, TF_ACK | TF_FIN, FX_ISS, FX_IRS, 0);
	/* The peer's FIN, not acknowledging ours. */
	EXPECT_EQ(peer_fin(f, 0), 1);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_CLOSING);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 1, FX_IRS + 1, 0);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 1);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_TIME_WAIT);
	EXPECT_NO_EV(f);
	fx_run(f, f->cfg.time_wait_us);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_NO_PKT(f);
}

/* TIME_WAIT: a retransmitted FIN is ACKed again and restarts the timer. */
static void time_wait_refin(void)
{
	struct fx *f = fx_setup(4);
	uint64_t t;

	if (!f)
		return;
	toe_engine_shutdown(f->eng, f->id, f->now);
	fx_ack(f, FX_ISS + 1);
	peer_fin(f, 0);
	fx_drain(f);
	fx_drain_ev(f);
	fx_run(f, f->cfg.time_wait_us / 2);
	f->peer_nxt--;			/* the same FIN again */
	EXPECT_EQ(peer_fin(f, 0), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 1, FX_IRS + 1, 0);
	EXPECT_NO_PKT(f);
	t = f->now;
	fx_run_until(f, t + f->cfg.time_wait_us - 1);
	EXPECT_NO_EV(f);
	fx_run_until(f, t + f->cfg.time_wait_us);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
}

/* Our FIN, lost, is retransmitted on the RTO. */
static void fin_retransmitted(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	toe_engine_shutdown(f->eng, f->id, f->now);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 100);
	EXPECT_PKT(f, TF_ACK | TF_FIN, FX_ISS + 100, FX_IRS, 0);
	fx_ack(f, FX_ISS + 100);
	EXPECT_NO_PKT(f);
	fx_run(f, 200000);
	EXPECT_PKT(f, TF_ACK | TF_FIN, FX_ISS + 100, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 101);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_FIN_WAIT1);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_FIN_WAIT2);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* Shutting down twice is harmless; in FIN_WAIT2 too. */
static void shutdown_twice(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_PKT(f, TF_ACK | TF_FIN, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 1);
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_shutdown(f->eng, 3, f->now), -ENOENT);
}

/* Data after the peer's FIN is not taken (RFC 9293 3.10.7.4). */
static void data_after_fin_ignored(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	peer_fin(f, 0);
	fx_drain(f);
	fx_drain_ev(f);
	EXPECT_EQ(fx_data(f, FX_IRS + 1, 100), 1);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 1, 0);
	EXPECT_NO_EV(f);
}

/* A FIN ahead of data counts only once the data before it arrived. */
static void ooo_fin(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.seq = FX_IRS + 1000;
	s.len = 500;
	s.flags = TF_ACK | TF_FIN;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_NO_EV(f);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_EQ(fx_info(f).state, TOE_TCP_ESTABLISHED);
	EXPECT_EQ(fx_data(f, FX_IRS, 1000), 1);
	EXPECT_EQ(f->rcv_len, 1500);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_CLOSE_WAIT);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 1501, 0);
	EXPECT_NO_PKT(f);
}

/*
 * Nothing follows a FIN: out-of-order data held beyond it is dropped when
 * it arrives, and data past a held FIN is never delivered (found by the
 * fuzz target: the application read past EOF).
 */
static void nothing_beyond_fin(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	/* Held out of order at [1000, 1500), then a FIN at 1000. */
	EXPECT_EQ(fx_data(f, FX_IRS + 1000, 500), 1);
	fx_drain(f);
	s = fx_seg(f);
	s.seq = FX_IRS;
	s.len = 1000;
	s.flags = TF_ACK | TF_FIN;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 1000);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_CLOSE_WAIT);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 1001, 0);
	EXPECT_EQ(fx_info(f).ooo_bytes + fx_info(f).held_bytes, 0);
	EXPECT_EQ(fx_stats(f).mem_used, 0);

	/* A FIN held at 500; then data across it: only [0, 500) counts. */
	f = fx_setup(4);
	if (!f)
		return;
	s = fx_seg(f);
	s.seq = FX_IRS + 500;
	s.len = 0;
	s.flags = TF_ACK | TF_FIN;
	EXPECT_EQ(fx_in(f, &s), 1);
	fx_drain(f);
	EXPECT_EQ(fx_data(f, FX_IRS, 1000), 1);
	EXPECT_EQ(f->rcv_len, 500);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_CLOSE_WAIT);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS + 501);
}

/* Abort: a RST at snd_nxt, and the connection is gone. */
static void abort_sends_rst(void)
{
	struct fx *f = fx_setup(6);

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	fx_drain(f);
	EXPECT_EQ(toe_engine_abort(f->eng, f->id, f->now), 0);
	EXPECT_PKT(f, TF_RST | TF_ACK, FX_ISS + 100, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(toe_engine_abort(f->eng, f->id, f->now), -ENOENT);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
	EXPECT_EQ(fx_ack(f, FX_ISS + 100), 0);
}

static const struct unit_case cases[] = {
	UNIT_CASE(active_close),
	UNIT_CASE(passive_close),
	UNIT_CASE(simultaneous_close),
	UNIT_CASE(time_wait_refin),
	UNIT_CASE(fin_retransmitted),
	UNIT_CASE(shutdown_twice),
	UNIT_CASE(data_after_fin_ignored),
	UNIT_CASE(ooo_fin),
	UNIT_CASE(nothing_beyond_fin),
	UNIT_CASE(abort_sends_rst),
	{ NULL, NULL }
};

const struct unit_suite unit_close_suite = { "close", cases };
