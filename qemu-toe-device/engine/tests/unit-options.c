// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-options.c - TCP options carried over from the host: timestamps
 * (RFC 7323) with PAWS, SACK (RFC 2018) and window scaling.
 */
#include <endian.h>

#include "unit.h"

#define DAY_MS	(24ull * 3600 * 1000)

/* TSval continues from the host's ts_now and advances at 1 kHz. */
static void tsval_continues(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;

	if (!f)
		return;
	if (!EXPECT_EQ(toe_engine_set_nodelay(f->eng, f->id, true, f->now), 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	p = EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 10);
	EXPECT(p->has_ts);
	EXPECT_EQ(p->tsval, FX_TS_NOW);
	EXPECT_EQ(p->tsecr, FX_TS_RECENT);
	fx_ack(f, FX_ISS + 10);
	fx_run(f, 2500000);
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	EXPECT_EQ(EXPECT_PKT(f, ANY, FX_ISS + 10, ANY, 10)->tsval,
		  FX_TS_NOW + 2500);
	fx_ack(f, FX_ISS + 20);
	fx_run(f, 999);
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	EXPECT_EQ(EXPECT_PKT(f, ANY, FX_ISS + 20, ANY, 10)->tsval,
		  FX_TS_NOW + 2500);
	fx_ack(f, FX_ISS + 30);
	fx_run(f, 1);
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	EXPECT_EQ(EXPECT_PKT(f, ANY, FX_ISS + 30, ANY, 10)->tsval,
		  FX_TS_NOW + 2501);
	/* An ACK for the peer's data carries the clock too. */
	fx_ack(f, FX_ISS + 40);
	fx_run(f, 7000000);
	fx_send_peer(f, 10);
	fx_run(f, f->cfg.delack_us);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS + 40, FX_IRS + 10, 0)->tsval,
		  FX_TS_NOW + 2501 + 7000 + f->cfg.delack_us / 1000);
}

/* TSecr echoes ts_recent: the latest TSval at the left window edge. */
static void tsecr_echoes_ts_recent(void)
{
	struct fx *f = fx_setup(6);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.tsval = 7777;
	s.len = 100;
	f->peer_nxt += 100;
	fx_in(f, &s);
	fx_run(f, f->cfg.delack_us);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 100, 0)->tsecr,
		  7777);
	/* An out-of-order segment does not cover rcv_nxt: not taken. */
	s = fx_seg(f);
	s.seq = FX_IRS + 1000;
	s.tsval = 8888;
	s.len = 100;
	fx_in(f, &s);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 100, 0)->tsecr,
		  7777);
	/* The in-order one is. */
	s = fx_seg(f);
	s.seq = FX_IRS + 100;
	s.tsval = 9999;
	s.len = 100;
	fx_in(f, &s);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 200, 0)->tsecr,
		  9999);
}

/* RFC 7323 5.3: an old TSval is dropped, answered with an ACK, counted. */
static void paws_rejects_old(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.tsval = FX_TS_RECENT - 1000;
	s.len = 500;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_stats(f).paws_rejects, 1);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS);
	/* Its ACK is not believed either. */
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	fx_drain(f);
	s.len = 0;
	s.ack = FX_ISS + 100;
	fx_in(f, &s);
	EXPECT_EQ(fx_info(f).snd_una, FX_ISS);
	EXPECT_EQ(fx_stats(f).paws_rejects, 2);
	fx_drain(f);
	/* A current TSval passes. */
	fx_send_peer(f, 500);
	EXPECT_EQ(f->rcv_len, 500);
}

/* TSval wraps: "older" is modulo 2^32 (RFC 7323 5.2). */
static void paws_wraps(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	struct useg s;

	fx_state(f, &st, 4);
	st.ts_recent = htole32(0xfffffff0u);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	s = fx_seg(f);
	s.tsval = 0x10;			/* after the wrap: newer */
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 100);
	EXPECT_EQ(fx_stats(f).paws_rejects, 0);
	s.seq += 100;
	s.tsval = 0xfffffff8u;		/* before it: older */
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 100);
	EXPECT_EQ(fx_stats(f).paws_rejects, 1);
}

/* RFC 7323 5.3 R1: PAWS does not apply to RST. */
static void paws_spares_rst(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_RST;
	s.tsval = 1;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EV(f, TOE_ENG_EV_PEER_RST, ANY);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_EQ(fx_stats(f).paws_rejects, 0);
}

/* RFC 7323 5.5: after 24 days idle ts_recent no longer counts. */
static void paws_after_24_days(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	struct useg s;

	f->now = 60 * DAY_MS * 1000;	/* the caller's clock: 60 days */
	fx_state(f, &st, 4);
	st.ts_recent_age_ms = htole32((uint32_t)(25 * DAY_MS));
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	s = fx_seg(f);
	s.tsval = FX_TS_RECENT - 1000;
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 100);
	EXPECT_EQ(fx_stats(f).paws_rejects, 0);

	/* One day old: still enforced. */
	fx_state(f, &st, 4);
	st.remote_port = htobe16(40009);
	st.ts_recent_age_ms = htole32((uint32_t)DAY_MS);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	s = fx_seg(f);
	s.tsval = FX_TS_RECENT - 1000;
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_EQ(fx_stats(f).paws_rejects, 1);
}

/* Without timestamps negotiated none are sent; segments go through. */
static void no_timestamps(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	struct upkt *p;

	fx_state(f, &st, 4);
	st.flags = htole32(TOE_CS_SACK_OK | TOE_CS_WSCALE_OK);
	st.ts_recent = 0;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_send_peer(f, FX_MSS);
	fx_send_peer(f, FX_MSS);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2 * FX_MSS, 0);
	EXPECT(!p->has_ts);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT(!EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, ANY, 100)->has_ts);
	EXPECT_EQ(fx_stats(f).paws_rejects, 0);
}

/* Without timestamps there is room for four SACK blocks. */
static void four_sack_blocks_without_ts(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	struct upkt *p;
	int i;

	fx_state(f, &st, 4);
	st.flags = htole32(TOE_CS_SACK_OK | TOE_CS_WSCALE_OK);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 1; i <= 5; i++)
		fx_data(f, FX_IRS + i * 1000, 100);
	for (i = 0; i < 4; i++)
		fx_pop(f);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (!EXPECT_EQ(p->nsack, 4))
		return;
	EXPECT_EQ(p->sack[0][0], FX_IRS + 5000);
	EXPECT_EQ(p->sack[0][1], FX_IRS + 5100);
}

/* Without SACK negotiated: no blocks sent, the peer's ignored. */
static void no_sack(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 6);
	st.flags = htole32(TOE_CS_TSTAMP_OK | TOE_CS_WSCALE_OK);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_data(f, FX_IRS + 1000, 100);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0)->nsack, 0);
	if (!EXPECT_EQ(fx_queue(f, 4 * FX_MSS), 0))
		return;
	fx_drain(f);
	fx_sack(f, FX_ISS, 1, FX_ISS + FX_MSS, FX_ISS + 4 * FX_MSS);
	EXPECT_EQ(fx_info(f).sacked_out, 0);
	EXPECT_NE(fx_info(f).ca_state, 3);
	EXPECT_NO_PKT(f);
}

/* The window fields are scaled by the adopted shifts (RFC 7323 2). */
static void window_scaling(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	struct upkt *p;

	fx_state(f, &st, 4);
	st.rcv_wscale = 2;
	st.snd_wscale = 3;
	st.rcv_wnd = htole32(100000);
	f->rcv_space = 100000;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	fx_drain(f);
	f->peer_wnd = 100;
	fx_ack(f, FX_ISS + 100);
	EXPECT_EQ(fx_info(f).snd_wnd, 800);
	fx_data(f, FX_IRS, 10);
	fx_run(f, f->cfg.delack_us);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS + 100, FX_IRS + 10, 0);
	EXPECT_EQ(p->wnd, (100000 - 10 + 3) / 4);
	/*
	 * Unscaled: the field is the window. 10 bytes taken do not move the
	 * right edge (receiver SWS avoidance, RFC 1122 4.2.3.3).
	 */
	fx_state(f, &st, 6);
	st.flags = htole32(TOE_CS_SACK_OK | TOE_CS_TSTAMP_OK);
	st.rcv_wscale = 0;
	st.snd_wscale = 0;
	st.rcv_wnd = htole32(65535);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_data(f, FX_IRS, 10);
	fx_run(f, f->cfg.delack_us);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 10, 0)->wnd, 65525);
}

static const struct unit_case cases[] = {
	UNIT_CASE(tsval_continues),
	UNIT_CASE(tsecr_echoes_ts_recent),
	UNIT_CASE(paws_rejects_old),
	UNIT_CASE(paws_wraps),
	UNIT_CASE(paws_spares_rst),
	UNIT_CASE(paws_after_24_days),
	UNIT_CASE(no_timestamps),
	UNIT_CASE(four_sack_blocks_without_ts),
	UNIT_CASE(no_sack),
	UNIT_CASE(window_scaling),
	{ NULL, NULL }
};

const struct unit_suite unit_options_suite = { "options", cases };
