// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-recovery.c - loss recovery: the retransmission timer (RFC 6298)
 * with its backoff, fast retransmit on duplicate ACKs (RFC 5681, 6582)
 * and SACK-based recovery (RFC 6675).
 */
#include <endian.h>

#include "unit.h"

#define SEG(n)	(FX_ISS + (n) * FX_MSS)

/* Adopted with @segs full segments in flight and this rto. */
static struct fx *inflight(struct fx *f, int family, int segs, uint32_t rto,
			   bool sack)
{
	struct toe_conn_state st;

	if (!f->eng)
		fx_start(f);
	fx_state(f, &st, family);
	st.snd_nxt = htole32(SEG(segs));
	st.write_seq = htole32(SEG(segs));
	st.rto_us = htole32(rto);
	if (!sack)
		st.flags = htole32(le32toh(st.flags) & ~TOE_CS_SACK_OK);
	if (!EXPECT_OP(fx_adopt(f, &st), >=, 0))
		return NULL;
	return f;
}

/* The RTO counts from adopt with the rto the host had; snd_una goes. */
static void rto_from_adopted_state(void)
{
	struct fx *f = inflight(fx_alloc(), 4, 2, 300000, true);
	struct toe_engine_conn_info info;

	if (!f)
		return;
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), FX_T0 + 300000);
	fx_run_until(f, FX_T0 + 299999);
	EXPECT_NO_PKT(f);
	fx_run_until(f, FX_T0 + 300000);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, SEG(0), FX_IRS, FX_MSS)->t,
		  FX_T0 + 300000);
	EXPECT_NO_PKT(f);		/* cwnd is one segment now */
	info = fx_info(f);
	EXPECT_EQ(info.ca_state, 4);	/* TCP_CA_Loss */
	EXPECT_EQ(info.cwnd, 1);
	EXPECT_EQ(info.ssthresh, 5);
	EXPECT_EQ(info.retrans_segs, 1);
	EXPECT_EQ(info.snd_nxt, SEG(2));
	EXPECT_EQ(fx_stats(f).retrans_segs, 1);
	EXPECT_NO_EV(f);
}

/* RFC 6298 5.5: the RTO doubles with each expiry, up to max_rto_us. */
static void rto_backoff(void)
{
	struct fx *f = fx_alloc();
	uint64_t t = FX_T0, rto = 300000;
	int i;

	f->cfg.max_rto_us = 2000000;
	if (!inflight(f, 6, 2, 300000, true))
		return;
	for (i = 0; i < 6; i++) {
		unit_ctx("expiry %d", i);
		t += rto;
		fx_run_until(f, t - 1);
		EXPECT_NO_PKT(f);
		fx_run_until(f, t);
		EXPECT_EQ(EXPECT_PKT(f, TF_ACK, SEG(0), FX_IRS, FX_MSS)->t, t);
		EXPECT_NO_PKT(f);
		rto = rto * 2 > 2000000 ? 2000000 : rto * 2;
		EXPECT_EQ(fx_info(f).rto_us, rto);
	}
	/* An ACK of new data ends the backoff: the rest is resent. */
	unit_ctx("after the ACK");
	fx_ack(f, SEG(1));
	EXPECT_PKT(f, TF_ACK | TF_PSH, SEG(1), FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
	fx_ack(f, SEG(2));
	EXPECT_EQ(fx_info(f).ca_state, 0);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* After cfg.retries expiries the connection ends with -ETIMEDOUT. */
static void rto_gives_up(void)
{
	struct fx *f = fx_alloc();
	int n = 0;

	f->cfg.retries = 3;
	if (!inflight(f, 4, 1, 200000, true))
		return;
	fx_run(f, 60000000);
	while (fx_pop(f))
		n++;
	EXPECT_EQ(n, 3);
	EXPECT_EV(f, TOE_ENG_EV_ERROR, -ETIMEDOUT);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_NO_EV(f);
	/* 200 + 400 + 800 ms of retransmissions, then 1.6 s more. */
	EXPECT_EQ(f->ev[0].t, FX_T0 + 3000000);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* Send @n full segments from a fresh connection; return the fixture. */
static struct fx *flight(int family, int n, bool sack, int cc)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, family);
	if (!sack)
		st.flags = htole32(le32toh(st.flags) & ~TOE_CS_SACK_OK);
	st.cong_algo = (uint8_t)cc;
	if (!EXPECT_OP(fx_adopt(f, &st), >=, 0))
		return NULL;
	if (!EXPECT_EQ(fx_queue(f, n * FX_MSS), 0))
		return NULL;
	if (!EXPECT_EQ(fx_pending(f), n))
		return NULL;
	fx_drain(f);
	return f;
}

/*
 * RFC 6675 5 (4.3): on the third duplicate ACK (or when IsLost(snd_una)
 * holds) the first unacknowledged segment is retransmitted at once, and
 * cwnd and ssthresh are halved. Linux does the same ("Force a fast
 * retransmit upon entering fast recovery", tcp_cwnd_reduction()).
 */
static void fast_retransmit_sack(void)
{
	struct fx *f = flight(4, 10, true, TOE_CC_RENO);
	struct toe_engine_conn_info info;

	if (!f)
		return;
	fx_sack(f, SEG(0), 1, SEG(1), SEG(2));
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).ca_state, 1);	/* TCP_CA_Disorder */
	fx_sack(f, SEG(0), 1, SEG(1), SEG(3));
	EXPECT_NO_PKT(f);
	fx_sack(f, SEG(0), 1, SEG(1), SEG(4));
	EXPECT_PKT(f, TF_ACK, SEG(0), FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
	info = fx_info(f);
	EXPECT_EQ(info.ca_state, 3);		/* TCP_CA_Recovery */
	EXPECT_EQ(info.ssthresh, 5);
	EXPECT_LE(info.cwnd, 5);
	EXPECT_EQ(info.sacked_out, 3);
	EXPECT_EQ(fx_stats(f).retrans_segs, 1);
}

/* RFC 5681 3.2 / RFC 6582: the same without SACK, on 3 dup ACKs. */
static void fast_retransmit_dupacks(void)
{
	struct fx *f = flight(6, 10, false, TOE_CC_RENO);

	if (!f)
		return;
	fx_ack(f, SEG(0));
	fx_ack(f, SEG(0));
	EXPECT_NO_PKT(f);
	fx_ack(f, SEG(0));
	EXPECT_PKT(f, TF_ACK, SEG(0), FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).ca_state, 3);
	EXPECT_EQ(fx_info(f).ssthresh, 5);
}

/* Two duplicate ACKs are not enough (RFC 5681 3.2: DupThresh 3). */
static void two_dupacks_wait(void)
{
	struct fx *f = flight(4, 10, false, TOE_CC_RENO);

	if (!f)
		return;
	fx_ack(f, SEG(0));
	fx_ack(f, SEG(0));
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).ca_state, 1);
	EXPECT_EQ(fx_info(f).cwnd, 10);
	/* A duplicate carrying data or a window change is no dup ACK. */
	fx_send_peer(f, 10);
	f->peer_wnd = FX_PEER_WND + 1;
	fx_ack(f, SEG(0));
	fx_run(f, f->cfg.delack_us);
	fx_drain(f);
	EXPECT_EQ(fx_info(f).ca_state, 1);
	EXPECT_EQ(fx_stats(f).retrans_segs, 0);
}

/* A full ACK ends recovery with cwnd = ssthresh (RFC 6675 5, RFC 6582). */
static void recovery_exit(void)
{
	struct fx *f = flight(4, 10, true, TOE_CC_RENO);
	struct toe_engine_conn_info info;

	if (!f)
		return;
	fx_sack(f, SEG(0), 1, SEG(1), SEG(2));
	fx_sack(f, SEG(0), 1, SEG(1), SEG(3));
	fx_sack(f, SEG(0), 1, SEG(1), SEG(4));
	EXPECT_EQ(fx_info(f).ca_state, 3);
	fx_ack(f, SEG(10));
	info = fx_info(f);
	EXPECT_EQ(info.ca_state, 0);
	EXPECT_EQ(info.cwnd, 5);
	EXPECT_EQ(info.ssthresh, 5);
	EXPECT_EQ(info.sacked_out, 0);
	EXPECT_EQ(f->acked, SEG(10));
}

/*
 * Two holes: each lost segment is retransmitted once and nothing the
 * peer SACKed is sent again (RFC 6675 NextSeg).
 */
static void sack_repairs_holes(void)
{
	struct fx *f = flight(4, 10, true, TOE_CC_RENO);
	bool sent[10] = { false };
	struct upkt *p;
	int i, n = 0;

	if (!f)
		return;
	for (i = 2; i <= 5; i++)
		fx_sack(f, SEG(0), 1, SEG(1), SEG(i));
	for (i = 7; i <= 10; i++)
		fx_sack(f, SEG(0), 2, SEG(6), SEG(i), SEG(1), SEG(5));
	while ((p = fx_pop(f))) {
		int k = (int)((p->seq - FX_ISS) / FX_MSS);

		unit_ctx("segment %d", k);
		EXPECT_EQ(p->len, FX_MSS);
		EXPECT_EQ((p->seq - FX_ISS) % FX_MSS, 0);
		if (k >= 0 && k < 10) {
			EXPECT(!sent[k]);
			sent[k] = true;
		}
		n++;
	}
	unit_ctx("after the SACKs");
	EXPECT(sent[0]);
	EXPECT(sent[5]);
	EXPECT_EQ(n, 2);
	/* The repaired holes: one cumulative ACK ends it. */
	fx_ack(f, SEG(10));
	EXPECT_EQ(fx_info(f).ca_state, 0);
	EXPECT_NO_PKT(f);
}

/* CUBIC's multiplicative decrease is 0.7 (RFC 9438 4.6). */
static void cubic_decrease(void)
{
	struct fx *f = flight(4, 10, true, TOE_CC_CUBIC);

	if (!f)
		return;
	fx_sack(f, SEG(0), 1, SEG(1), SEG(2));
	fx_sack(f, SEG(0), 1, SEG(1), SEG(3));
	fx_sack(f, SEG(0), 1, SEG(1), SEG(4));
	EXPECT_EQ(fx_info(f).ca_state, 3);
	EXPECT_EQ(fx_info(f).ssthresh, 7);
}

/*
 * SACK blocks that make no sense are ignored (RFC 2883, RFC 6675): taken
 * in, any of these would make snd_una lost at once (IsLost).
 */
static void bogus_sack_ignored(void)
{
	struct fx *f = flight(4, 4, true, TOE_CC_RENO);

	if (!f)
		return;
	/* Beyond snd_nxt; inverted. */
	fx_sack(f, SEG(0), 1, SEG(1), SEG(9));
	EXPECT_EQ(fx_info(f).sacked_out, 0);
	fx_sack(f, SEG(0), 1, SEG(4), SEG(1));
	EXPECT_EQ(fx_info(f).sacked_out, 0);
	EXPECT_NE(fx_info(f).ca_state, 3);
	EXPECT_NO_PKT(f);
	/* Below the ACK (a D-SACK) with a new ACK. */
	fx_sack(f, SEG(1), 1, SEG(0), SEG(1));
	EXPECT_EQ(fx_info(f).sacked_out, 0);
	EXPECT_EQ(fx_info(f).ca_state, 0);
	fx_ack(f, SEG(4));
	EXPECT_EQ(fx_info(f).ca_state, 0);
}

static const struct unit_case cases[] = {
	UNIT_CASE(rto_from_adopted_state),
	UNIT_CASE(rto_backoff),
	UNIT_CASE(rto_gives_up),
	UNIT_CASE(fast_retransmit_sack),
	UNIT_CASE(fast_retransmit_dupacks),
	UNIT_CASE(two_dupacks_wait),
	UNIT_CASE(recovery_exit),
	UNIT_CASE(sack_repairs_holes),
	UNIT_CASE(cubic_decrease),
	UNIT_CASE(bogus_sack_ignored),
	{ NULL, NULL }
};

const struct unit_suite unit_recovery_suite = { "recovery", cases };
