// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-adopt.c - toe_engine_adopt(): which states it refuses, the table's
 * limits, and that an adopted connection answers on IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

/* One way to spoil a sane state. */
struct bad_state {
	const char *what;
	void (*spoil)(struct toe_conn_state *st);
};

static void bad_version(struct toe_conn_state *st)
{
	st->version = htole16(TOE_CONN_STATE_VERSION + 1);
}

static void bad_version0(struct toe_conn_state *st)
{
	st->version = 0;
}

static void bad_size(struct toe_conn_state *st)
{
	st->size = htole16(sizeof(*st) - 1);
}

static void bad_size_big(struct toe_conn_state *st)
{
	st->size = htole16(sizeof(*st) + 8);
}

static void bad_family0(struct toe_conn_state *st)
{
	st->family = 0;
}

static void bad_family5(struct toe_conn_state *st)
{
	st->family = 5;
}

static void bad_family10(struct toe_conn_state *st)
{
	st->family = 10;	/* AF_INET6, not the 4/6 the format uses */
}

static void una_after_nxt(struct toe_conn_state *st)
{
	st->snd_una = htole32(FX_ISS + 1);
}

static void nxt_after_write(struct toe_conn_state *st)
{
	st->snd_nxt = htole32(FX_ISS + 100);
	st->write_seq = htole32(FX_ISS + 50);
}

static void mss0(struct toe_conn_state *st)
{
	st->mss = 0;
}

static void adv_mss0(struct toe_conn_state *st)
{
	st->adv_mss = 0;
}

static void lport0(struct toe_conn_state *st)
{
	st->local_port = 0;
}

static void rport0(struct toe_conn_state *st)
{
	st->remote_port = 0;
}

static void wscale15(struct toe_conn_state *st)
{
	st->snd_wscale = 15;
}

static void wscale_not_negotiated(struct toe_conn_state *st)
{
	st->flags = htole32(le32toh(st->flags) & ~TOE_CS_WSCALE_OK);
}

static void unknown_flag(struct toe_conn_state *st)
{
	st->flags = htole32(le32toh(st->flags) | (1u << 20));
}

static void cwnd0(struct toe_conn_state *st)
{
	st->snd_cwnd = 0;
}

static void ssthresh1(struct toe_conn_state *st)
{
	st->snd_ssthresh = htole32(1);
}

static void bad_cc(struct toe_conn_state *st)
{
	st->cong_algo = 7;
}

static void reserved_set(struct toe_conn_state *st)
{
	st->reserved[79] = 1;
}

static void reserved0_set(struct toe_conn_state *st)
{
	st->reserved0 = 1;
}

static void num_sacks5(struct toe_conn_state *st)
{
	st->num_sacks = 5;
}

static void fw1_without_fin(struct toe_conn_state *st)
{
	st->state = TOE_TCP_FIN_WAIT1;
}

static void est_with_fin_rcvd(struct toe_conn_state *st)
{
	st->flags = htole32(le32toh(st->flags) | TOE_CS_FIN_RCVD);
}

static void rcv_nxt_before_wup(struct toe_conn_state *st)
{
	st->rcv_wup = htole32(FX_IRS + 10);
}

static void huge_window(struct toe_conn_state *st)
{
	st->snd_wnd = htole32(0x80000000u);
}

static void keepalive_zero(struct toe_conn_state *st)
{
	st->flags = htole32(le32toh(st->flags) | TOE_CS_KEEPALIVE);
}

static void mss_huge(struct toe_conn_state *st)
{
	st->mss = htole16(65535);
}

static const struct bad_state bad_states[] = {
	{ "version+1", bad_version },
	{ "version 0", bad_version0 },
	{ "size-1", bad_size },
	{ "size+8", bad_size_big },
	{ "family 0", bad_family0 },
	{ "family 5", bad_family5 },
	{ "family 10", bad_family10 },
	{ "snd_una after snd_nxt", una_after_nxt },
	{ "snd_nxt after write_seq", nxt_after_write },
	{ "mss 0", mss0 },
	{ "adv_mss 0", adv_mss0 },
	{ "mss 65535", mss_huge },
	{ "local port 0", lport0 },
	{ "remote port 0", rport0 },
	{ "snd_wscale 15", wscale15 },
	{ "wscale without WSCALE_OK", wscale_not_negotiated },
	{ "unknown flag", unknown_flag },
	{ "cwnd 0", cwnd0 },
	{ "ssthresh 1", ssthresh1 },
	{ "congestion algorithm 7", bad_cc },
	{ "reserved byte set", reserved_set },
	{ "reserved0 set", reserved0_set },
	{ "num_sacks 5", num_sacks5 },
	{ "FIN_WAIT1 without FIN_SENT", fw1_without_fin },
	{ "ESTABLISHED with FIN_RCVD", est_with_fin_rcvd },
	{ "rcv_nxt before rcv_wup", rcv_nxt_before_wup },
	{ "snd_wnd 2 GiB", huge_window },
	{ "keepalive with zero times", keepalive_zero },
};

/* Every spoiled state is refused with -EINVAL and leaves no trace. */
static void rejects_bad_state(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_states); i++) {
		unit_ctx("state spoiled by: %s", bad_states[i].what);
		fx_state(f, &st, 4);
		bad_states[i].spoil(&st);
		EXPECT_EQ(toe_engine_adopt(f->eng, &st, 1, FX_RCV_SPACE,
					   f->now), -EINVAL);
	}
	unit_ctx("after the refusals");
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	/* Nothing was left half-adopted: the sane state goes in. */
	fx_state(f, &st, 4);
	EXPECT_EQ(fx_adopt(f, &st), 0);
}

/* Only the synchronized states the engine can continue are adopted. */
static void rejects_bad_tcp_state(void)
{
	static const uint8_t states[] = {
		0, TOE_TCP_SYN_SENT, TOE_TCP_SYN_RECV, TOE_TCP_TIME_WAIT,
		TOE_TCP_CLOSE, TOE_TCP_LISTEN, 12, 255,
	};
	struct fx *f = fx_new();
	struct toe_conn_state st;
	size_t i;

	for (i = 0; i < sizeof(states); i++) {
		unit_ctx("tcp state %u", states[i]);
		fx_state(f, &st, 4);
		st.state = states[i];
		EXPECT_EQ(toe_engine_adopt(f->eng, &st, 1, FX_RCV_SPACE,
					   f->now), -EINVAL);
		/* Not with any FIN flags either. */
		st.flags = htole32(le32toh(st.flags) | TOE_CS_FIN_SENT |
				   TOE_CS_FIN_RCVD);
		st.write_seq = htole32(FX_ISS + 1);
		st.snd_nxt = htole32(FX_ISS + 1);
		EXPECT_EQ(toe_engine_adopt(f->eng, &st, 1, FX_RCV_SPACE,
					   f->now), -EINVAL);
	}
	EXPECT_NO_EV(f);
}

static void rejects_null(void)
{
	struct fx *f = fx_new();

	EXPECT_EQ(toe_engine_adopt(f->eng, NULL, 1, FX_RCV_SPACE, f->now),
		  -EINVAL);
}

/* The states between ESTABLISHED and CLOSING, each with its FIN flags. */
static void accepts_sync_states(void)
{
	static const struct {
		uint8_t state;
		uint32_t flags;
	} ok[] = {
		{ TOE_TCP_ESTABLISHED, 0 },
		{ TOE_TCP_FIN_WAIT1, TOE_CS_FIN_SENT },
		{ TOE_TCP_CLOSING, TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD },
		{ TOE_TCP_CLOSE_WAIT, TOE_CS_FIN_RCVD },
		{ TOE_TCP_LAST_ACK, TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD },
	};
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	size_t i;

	f->cfg.capacity = 8;
	fx_start(f);
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		unit_ctx("tcp state %u", ok[i].state);
		fx_state(f, &st, 4);
		st.state = ok[i].state;
		st.local_port = htons(6000 + i);
		st.flags = htole32(le32toh(st.flags) | ok[i].flags);
		if (ok[i].flags & TOE_CS_FIN_SENT) {
			/* Our FIN sent, not yet acknowledged. */
			st.snd_nxt = htole32(FX_ISS + 1);
			st.write_seq = htole32(FX_ISS + 1);
		}
		if (EXPECT_OP(fx_adopt(f, &st), >=, 0)) {
			struct toe_engine_conn_info info = fx_info(f);

			EXPECT_EQ(info.state, ok[i].state);
		}
	}
	unit_ctx("after adopting");
	EXPECT_NO_EV(f);
}

/*
 * FIN_WAIT2 is a synchronized state the engine lists as adoptable: our
 * FIN was acknowledged and the peer may still send. Its state has
 * FIN_SENT with snd_una == write_seq, as Linux's is.
 */
static void accepts_fin_wait2(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 4);
	st.state = TOE_TCP_FIN_WAIT2;
	st.flags = htole32(le32toh(st.flags) | TOE_CS_FIN_SENT);
	st.snd_una = htole32(FX_ISS + 1);
	st.snd_nxt = htole32(FX_ISS + 1);
	st.write_seq = htole32(FX_ISS + 1);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	/* The peer's data is still taken and its FIN ends in TIME_WAIT. */
	fx_send_peer(f, 100);
	EXPECT_EQ(f->rcv_len, 100);
	fx_drain(f);
	{
		struct useg s = fx_seg(f);

		s.flags = TF_ACK | TF_FIN;
		fx_in(f, &s);
	}
	EXPECT_PKT(f, TF_ACK, FX_ISS + 1, FX_IRS + 101, 0);
	EXPECT_EV(f, TOE_ENG_EV_PEER_FIN, ANY);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_TIME_WAIT);
}

/*
 * The host's stack had closed its window (the application slow to read);
 * the caller grants space at adopt: the peer hears of it at once, not at
 * its next zero-window probe.
 */
static void opens_closed_window(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	struct upkt *p;

	fx_state(f, &st, 4);
	st.rcv_wnd = 0;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (p)
		EXPECT_GE(fx_wnd(f, p), FX_MSS);
	EXPECT_NO_PKT(f);
}

/*
 * The host's stack owed the peer an ACK (a delayed ACK was due): the
 * engine sends it at once, with nothing else.
 */
static void pays_owed_ack(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 4);
	st.flags = htole32(le32toh(st.flags) | TOE_CS_ACK_OWED);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
}

/* Adopting says nothing on the wire when nothing is owed. */
static void silent(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* What the host transferred is what the engine continues from. */
static void keeps_state(void)
{
	struct fx *f = fx_new();
	struct toe_engine_conn_info info;
	struct toe_conn_state st;

	fx_state(f, &st, 4);
	st.rto_us = htole32(300000);
	st.snd_cwnd = htole32(17);
	st.snd_ssthresh = htole32(33);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	if (!EXPECT_EQ(toe_engine_conn_info(f->eng, f->id, &info), 0))
		return;
	EXPECT_EQ(info.state, TOE_TCP_ESTABLISHED);
	EXPECT_EQ(info.ca_state, 0);
	EXPECT_EQ(info.snd_una, FX_ISS);
	EXPECT_EQ(info.snd_nxt, FX_ISS);
	EXPECT_EQ(info.write_seq, FX_ISS);
	EXPECT_EQ(info.snd_wnd, FX_PEER_WND << 7);
	EXPECT_EQ(info.rcv_nxt, FX_IRS);
	EXPECT_GE(info.rcv_wnd, FX_RCV_WND);
	EXPECT_EQ(info.mss, FX_MSS);
	EXPECT_EQ(info.cwnd, 17);
	EXPECT_EQ(info.ssthresh, 33);
	EXPECT_EQ(info.srtt_us, 10000);
	EXPECT_EQ(info.rttvar_us, 5000);
	EXPECT_EQ(info.rto_us, 300000);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
}

static void eexist(void)
{
	struct fx *f = fx_setup(4);
	struct toe_conn_state st;

	if (!f)
		return;
	fx_state(f, &st, 4);
	EXPECT_EQ(toe_engine_adopt(f->eng, &st, 99, FX_RCV_SPACE, f->now),
		  -EEXIST);
	/* Another port of the same hosts is another connection. */
	st.remote_port = htons(40002);
	EXPECT_OP(toe_engine_adopt(f->eng, &st, 99, FX_RCV_SPACE, f->now),
		  >=, 0);
	/* The same ports over IPv6 are another connection too. */
	fx_state(f, &st, 6);
	EXPECT_OP(toe_engine_adopt(f->eng, &st, 98, FX_RCV_SPACE, f->now),
		  >=, 0);
	EXPECT_EQ(toe_engine_adopt(f->eng, &st, 97, FX_RCV_SPACE, f->now),
		  -EEXIST);
}

static void enospc(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	struct toe_conn_state up;
	struct toe_engine_upload res;
	int a, b;

	f->cfg.capacity = 2;
	fx_start(f);
	fx_state(f, &st, 4);
	a = toe_engine_adopt(f->eng, &st, 1, FX_RCV_SPACE, f->now);
	st.remote_port = htons(40002);
	b = toe_engine_adopt(f->eng, &st, 2, FX_RCV_SPACE, f->now);
	EXPECT_OP(a, >=, 0);
	EXPECT_OP(b, >=, 0);
	EXPECT_NE(a, b);
	st.remote_port = htons(40003);
	EXPECT_EQ(toe_engine_adopt(f->eng, &st, 3, FX_RCV_SPACE, f->now),
		  -ENOSPC);
	/* A slot freed by upload is taken again. */
	if (!EXPECT_EQ(toe_engine_upload(f->eng, a, &up, &res, f->now), 0))
		return;
	EXPECT_EQ(toe_engine_adopt(f->eng, &st, 3, FX_RCV_SPACE, f->now), a);
}

/* The connection answers its own family, addresses and ports. */
static void answers(int family)
{
	struct fx *f = fx_setup(family);
	struct upkt *p;
	size_t alen = family == 4 ? 4 : 16;

	if (!f)
		return;
	EXPECT_EQ(fx_send_peer(f, FX_MSS), 1);
	EXPECT_EQ(fx_send_peer(f, FX_MSS), 1);
	EXPECT_EQ(f->rcv_len, 2 * FX_MSS);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2 * FX_MSS, 0);
	EXPECT_EQ(p->family, family);
	EXPECT(!memcmp(p->saddr, f->laddr, alen));
	EXPECT(!memcmp(p->daddr, f->raddr, alen));
	EXPECT_EQ(p->sport, 5001);
	EXPECT_EQ(p->dport, 40001);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_stats(f).segs_in, 2);
	EXPECT_EQ(fx_stats(f).segs_out, 1);
	EXPECT_EQ(fx_stats(f).bytes_in, 2 * FX_MSS);
}

static void answers_ipv4(void)
{
	answers(4);
}

static void answers_ipv6(void)
{
	answers(6);
}

/* FIN_WAIT1 adopted with its FIN not yet sent: the engine sends it. */
static void fin_wait1_sends_pending_fin(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 4);
	st.state = TOE_TCP_FIN_WAIT1;
	st.flags = htole32(le32toh(st.flags) | TOE_CS_FIN_SENT);
	st.write_seq = htole32(FX_ISS + 1);	/* the FIN only */
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_FIN, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 1);
	EXPECT_EV(f, TOE_ENG_EV_STATE, TOE_TCP_FIN_WAIT2);
}

/* Data in flight at adopt is the engine's to retransmit. */
static void inflight_acked(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 6);
	st.snd_nxt = htole32(FX_ISS + 3000);
	st.write_seq = htole32(FX_ISS + 5000);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	/* The unsent part goes now; Nagle holds the small tail. */
	EXPECT_PKT(f, TF_ACK, FX_ISS + 3000, FX_IRS, FX_MSS);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 3000 + FX_MSS);
	EXPECT_EQ(f->acked, FX_ISS + 3000 + FX_MSS);
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 3000 + FX_MSS, FX_IRS,
		   2000 - FX_MSS);
	EXPECT_NO_PKT(f);
	fx_ack(f, FX_ISS + 5000);
	EXPECT_EQ(f->acked, FX_ISS + 5000);
	EXPECT_EQ(fx_info(f).snd_una, FX_ISS + 5000);
	EXPECT_NO_PKT(f);
}

static const struct unit_case cases[] = {
	UNIT_CASE(rejects_bad_state),
	UNIT_CASE(rejects_bad_tcp_state),
	UNIT_CASE(rejects_null),
	UNIT_CASE(accepts_sync_states),
	UNIT_CASE(accepts_fin_wait2),
	UNIT_CASE(silent),
	UNIT_CASE(opens_closed_window),
	UNIT_CASE(pays_owed_ack),
	UNIT_CASE(keeps_state),
	UNIT_CASE(eexist),
	UNIT_CASE(enospc),
	UNIT_CASE(answers_ipv4),
	UNIT_CASE(answers_ipv6),
	UNIT_CASE(fin_wait1_sends_pending_fin),
	UNIT_CASE(inflight_acked),
	{ NULL, NULL }
};

const struct unit_suite unit_adopt_suite = { "adopt", cases };
