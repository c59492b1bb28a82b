// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-upload.c - giving connections back: the reasons the engine asks
 * for it (toe_upload_reason), and toe_engine_upload() itself: the state
 * it returns, and what becomes of data the engine held.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include "pkt-util.h"
#include "unit.h"

#define S	1000000ull

/* Urgent data is the host's business: upload asked, data not taken. */
static void req_urgent(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_ACK | TF_URG;
	s.urg = 10;
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_URGENT);
	EXPECT_NO_EV(f);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS);
	EXPECT_EQ(fx_stats(f).upload_reqs[TOE_UPLOAD_URGENT], 1);
	fx_run(f, f->cfg.delack_us);
	EXPECT_NO_PKT(f);
	/* Asked once, not again for the next one. */
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_NO_EV(f);
	EXPECT_EQ(fx_stats(f).upload_reqs[TOE_UPLOAD_URGENT], 1);
}

/* TCP-MD5 (kind 19): an option only the host knows. */
static void req_option_md5(void)
{
	static const uint8_t md5[18] = { 19, 18, 1, 2, 3, 4, 5, 6, 7, 8,
					 9, 10, 11, 12, 13, 14, 15, 16 };
	struct fx *f = fx_setup(6);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.opt = md5;
	s.optlen = sizeof(md5);
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_OPTION);
	EXPECT_NO_EV(f);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_stats(f).upload_reqs[TOE_UPLOAD_OPTION], 1);
	/* TCP-AO (kind 29) and MPTCP (kind 30) likewise. */
	{
		static const uint8_t ao[4] = { 29, 4, 0, 0 };

		s.opt = ao;
		s.optlen = sizeof(ao);
		EXPECT_EQ(fx_in(f, &s), 1);
		EXPECT_EQ(f->rcv_len, 0);
	}
}

/* Neither sending nor receiving for idle_upload_us: IDLE. */
static void req_idle(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;

	f->cfg.idle_upload_us = 5 * S;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_run_until(f, FX_T0 + 5 * S - 1);
	EXPECT_NO_EV(f);
	fx_run_until(f, FX_T0 + 5 * S);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_IDLE);
	EXPECT_EQ(f->ev[0].t, FX_T0 + 5 * S);
	fx_run(f, 100 * S);
	EXPECT_NO_EV(f);
	EXPECT_NO_PKT(f);
}

/* Traffic postpones the idle request. */
static void req_idle_postponed(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;

	f->cfg.idle_upload_us = 5 * S;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_run(f, 3 * S);
	fx_send_peer(f, 100);
	fx_run_until(f, FX_T0 + 8 * S - 1);
	EXPECT_NO_EV(f);
	fx_run_until(f, FX_T0 + 8 * S);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_IDLE);
}

/* Asked from outside: reported every time; bad reasons refused. */
static void req_requested(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(toe_engine_request_upload(f->eng, f->id,
					    TOE_UPLOAD_REQUESTED), 0);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_REQUESTED);
	EXPECT_EQ(toe_engine_request_upload(f->eng, f->id,
					    TOE_UPLOAD_CAPACITY), 0);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_CAPACITY);
	EXPECT_EQ(toe_engine_request_upload(f->eng, f->id, TOE_UPLOAD_NONE),
		  -EINVAL);
	EXPECT_EQ(toe_engine_request_upload(f->eng, f->id,
					    TOE_UPLOAD_REQUESTED + 1), -EINVAL);
	EXPECT_EQ(toe_engine_request_upload(f->eng, f->id + 1,
					    TOE_UPLOAD_REQUESTED), -ENOENT);
	EXPECT_NO_EV(f);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_stats(f).upload_reqs[TOE_UPLOAD_REQUESTED], 1);
}

/* Out-of-order data past the memory budget: REASM_MEM. */
static void req_reasm_mem(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	int i;

	f->cfg.mem_budget = 8192;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 1; i <= 8; i++)
		fx_data(f, FX_IRS + i * FX_MSS, FX_MSS);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_REASM_MEM);
	EXPECT_NO_EV(f);
	EXPECT_LE(fx_stats(f).mem_used, 8192);
	EXPECT_GE(fx_stats(f).dropped, 1);
	/*
	 * In-order data is no reassembly: the caller has room, so it is
	 * delivered (with what it completes) rather than dropped, and the
	 * connection progresses.
	 */
	fx_data(f, FX_IRS, FX_MSS);
	EXPECT_GE(f->rcv_len, 2 * FX_MSS);
	EXPECT_GE(fx_info(f).rcv_nxt, FX_IRS + 2 * FX_MSS);
}

/* An ICMP "too big" error quoting our segment at @seq. */
static size_t ptb_pkt(struct fx *f, uint8_t *p, uint32_t seq, uint32_t mtu)
{
	return pkt_icmp_ptb(p, f->family, f->laddr, f->raddr, f->lport,
			    f->rport, seq, mtu);
}

/*
 * A smaller path MTU: the engine resends in segments that fit at once
 * and asks for an upload (TOE_UPLOAD_PMTU). A quoted sequence outside
 * [snd_una, snd_nxt] is not believed (RFC 5927 4.1); ICMP about nothing
 * the engine holds goes back to the caller.
 */
static void req_pmtu(int family)
{
	struct fx *f = fx_setup(family);
	uint8_t pkt[256];
	uint32_t want = (family == 4 ? 1280 - 20 : 1280 - 40) - 20 - 12;
	struct upkt *p;
	size_t len;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 2 * FX_MSS), 0))
		return;
	fx_drain(f);
	unit_ctx("sequence out of the window");
	len = ptb_pkt(f, pkt, FX_ISS + 3 * FX_MSS, 1280);
	EXPECT_EQ(toe_engine_input(f->eng, pkt, len, f->now), 1);
	EXPECT_NO_EV(f);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).mss, FX_MSS);
	unit_ctx("about another connection");
	f->lport++;
	len = ptb_pkt(f, pkt, FX_ISS, 1280);
	f->lport--;
	EXPECT_EQ(toe_engine_input(f->eng, pkt, len, f->now), 0);
	unit_ctx("MTU 1280");
	len = ptb_pkt(f, pkt, FX_ISS, 1280);
	EXPECT_EQ(toe_engine_input(f->eng, pkt, len, f->now), 1);
	EXPECT_EV(f, TOE_ENG_EV_UPLOAD_REQ, TOE_UPLOAD_PMTU);
	EXPECT_EQ(fx_info(f).mss, want);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, want);
	EXPECT(p && p->nsack == 0);
	EXPECT_EQ(fx_stats(f).upload_reqs[TOE_UPLOAD_PMTU], 1);
	unit_ctx("a larger MTU changes nothing");
	len = ptb_pkt(f, pkt, FX_ISS, 1400);
	EXPECT_EQ(toe_engine_input(f->eng, pkt, len, f->now), 1);
	EXPECT_EQ(fx_info(f).mss, want);
}

static void req_pmtu_v4(void)
{
	req_pmtu(4);
}

static void req_pmtu_v6(void)
{
	req_pmtu(6);
}

/*
 * Capacity pressure: an adopt that leaves fewer than capacity_reserve
 * slots free asks the connection longest without traffic (never the new
 * one) to go back (TOE_UPLOAD_CAPACITY), once.
 */
static void req_capacity(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	struct uevent *e;
	int i;

	f->cfg.capacity = 3;
	f->cfg.capacity_reserve = 1;
	fx_start(f);
	fx_state(f, &st, 4);
	for (i = 0; i < 2; i++) {
		unit_ctx("adopt %d", i);
		st.remote_port = htons((uint16_t)(40001 + i));
		EXPECT_OP(toe_engine_adopt(f->eng, &st, 10 + i, FX_RCV_SPACE,
					   f->now), >=, 0);
		f->now += 1000000;
		EXPECT_NO_EV(f);
	}
	unit_ctx("the adopt that fills the table");
	st.remote_port = htons(40003);
	EXPECT_OP(toe_engine_adopt(f->eng, &st, 12, FX_RCV_SPACE, f->now),
		  >=, 0);
	e = fx_pop_ev(f);
	if (EXPECT(e)) {
		EXPECT_EQ(e->ev.type, TOE_ENG_EV_UPLOAD_REQ);
		EXPECT_EQ(e->ev.reason, TOE_UPLOAD_CAPACITY);
		EXPECT_EQ(e->handle, 10);
	}
	EXPECT_NO_EV(f);
	EXPECT_EQ(fx_stats(f).upload_reqs[TOE_UPLOAD_CAPACITY], 1);
}

/* The state given back is the one the engine ran, in adopt's form. */
static void state_matches(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_conn_info info;
	struct toe_engine_upload res;
	struct toe_conn_state st, orig;

	if (!f)
		return;
	fx_state(f, &orig, 4);
	if (!EXPECT_EQ(fx_queue(f, 5000), 0))
		return;
	fx_run(f, 20000);
	fx_ack(f, FX_ISS + FX_MSS);
	fx_send_peer(f, 1000);
	fx_run(f, 1234000);
	fx_drain(f);
	info = fx_info(f);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(le16toh(st.version), TOE_CONN_STATE_VERSION);
	EXPECT_EQ(le16toh(st.size), sizeof(st));
	EXPECT_EQ(st.family, 4);
	EXPECT_EQ(st.state, TOE_TCP_ESTABLISHED);
	EXPECT(!memcmp(st.local_addr, orig.local_addr, 16));
	EXPECT(!memcmp(st.remote_addr, orig.remote_addr, 16));
	EXPECT_EQ(st.local_port, orig.local_port);
	EXPECT_EQ(st.remote_port, orig.remote_port);
	EXPECT_EQ(le32toh(st.flags), le32toh(orig.flags));
	EXPECT_EQ(st.snd_wscale, 7);
	EXPECT_EQ(st.rcv_wscale, 7);
	EXPECT_EQ(le32toh(st.snd_una), FX_ISS + FX_MSS);
	EXPECT_EQ(le32toh(st.snd_una), info.snd_una);
	EXPECT_EQ(le32toh(st.snd_nxt), info.snd_nxt);
	EXPECT_EQ(le32toh(st.write_seq), FX_ISS + 5000);
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS + 1000);
	EXPECT_EQ(le32toh(st.rcv_nxt), info.rcv_nxt);
	EXPECT_EQ(le32toh(st.copied_seq), FX_IRS + 1000);
	EXPECT_EQ(le32toh(st.rcv_wup) + le32toh(st.rcv_wnd),
		  f->max_edge);
	EXPECT_EQ(le16toh(st.mss), FX_MSS);
	EXPECT_EQ(le32toh(st.snd_cwnd), info.cwnd);
	EXPECT_EQ(le32toh(st.snd_ssthresh), info.ssthresh);
	EXPECT_EQ(le32toh(st.srtt_us), info.srtt_us);
	EXPECT_EQ(le32toh(st.rto_us), info.rto_us);
	EXPECT_EQ(le32toh(st.ts_now), FX_TS_NOW + 20 + 1234);
	EXPECT_EQ(le32toh(st.ts_recent), FX_TS_RECENT + 1 + 20);
	EXPECT_EQ(le32toh(st.ts_recent_age_ms), 1234);
	EXPECT_EQ(res.snd_una, FX_ISS + FX_MSS);
	EXPECT_EQ(res.held, 0);
	EXPECT_EQ(res.ooo_dropped, 0);
	EXPECT(!res.sack_reneged);
	EXPECT_EQ(f->nheld, 0);
	EXPECT_EQ(st.reserved0, 0);
	EXPECT_NO_EV(f);
	EXPECT_NO_PKT(f);
}

/*
 * One segment in, its ACK delayed: the state says an ACK is owed, so the
 * host's stack sends it. Once the delayed ACK has gone, nothing is owed.
 */
static void ack_owed(void)
{
	struct toe_engine_upload res;
	struct toe_conn_state st;
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	fx_send_peer(f, 1000);
	EXPECT_NO_PKT(f);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT(le32toh(st.flags) & TOE_CS_ACK_OWED);

	f = fx_setup(4);
	if (!f)
		return;
	fx_send_peer(f, 1000);
	fx_run(f, 200000);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 1000, 0);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT(!(le32toh(st.flags) & TOE_CS_ACK_OWED));
}

/* After upload the id is free and the 4-tuple is not the engine's. */
static void tuple_released(void)
{
	struct fx *f = fx_setup(6);
	struct toe_engine_upload res;
	struct toe_engine_conn_info info;
	struct toe_conn_state st;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 1000), 0))
		return;
	fx_drain(f);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(fx_send_peer(f, 100), 0);
	EXPECT_EQ(fx_ack(f, FX_ISS + 1000), 0);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_EQ(f->acked_calls, 0);
	EXPECT_EQ(toe_engine_conn_info(f->eng, f->id, &info), -ENOENT);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now),
		  -ENOENT);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
	/* No timer of the old connection fires later. */
	fx_run(f, 1000 * S);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
}

/* What upload returns, adopt takes, and the connection goes on. */
static void roundtrip(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_conn_info before, after;
	struct toe_engine_upload res;
	struct toe_conn_state st;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 3 * FX_MSS), 0))
		return;
	fx_drain(f);
	fx_run(f, 30000);
	fx_ack(f, FX_ISS + FX_MSS);
	fx_send_peer(f, 700);
	before = fx_info(f);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	/* The fixture counts from the new adopt. */
	EXPECT_EQ(f->iss, FX_ISS + FX_MSS);
	f->snd_end = FX_ISS + 3 * FX_MSS;
	after = fx_info(f);
	EXPECT_EQ(after.snd_una, before.snd_una);
	EXPECT_EQ(after.snd_nxt, before.snd_nxt);
	EXPECT_EQ(after.write_seq, before.write_seq);
	EXPECT_EQ(after.rcv_nxt, before.rcv_nxt);
	EXPECT_GE(after.rcv_wnd, before.rcv_wnd);
	EXPECT_EQ(after.cwnd, before.cwnd);
	EXPECT_EQ(after.ssthresh, before.ssthresh);
	EXPECT_EQ(after.srtt_us, before.srtt_us);
	EXPECT_EQ(after.mss, before.mss);
	/* The pending ACK and the rest of the data go on as before. */
	fx_run(f, f->cfg.delack_us);
	fx_drain(f);
	fx_ack(f, FX_ISS + 3 * FX_MSS);
	EXPECT_EQ(f->acked, FX_ISS + 3 * FX_MSS);
	if (!EXPECT_EQ(fx_queue(f, 10), 0))
		return;
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + 3 * FX_MSS,
			     FX_IRS + 700, 10)->tsval, FX_TS_NOW + 30 +
		  f->cfg.delack_us / 1000);
}

/*
 * The most send data the engine holds, then a FIN: the state uploaded
 * has one sequence more than the data limit, and adopt takes it back.
 */
static void roundtrip_full_inflight_fin(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_upload res;
	struct toe_conn_state st;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, TOE_ENGINE_MAX_INFLIGHT), 0))
		return;
	/* One byte more is refused. */
	EXPECT_EQ(toe_engine_send_queued(f->eng, f->id, f->snd_end + 1,
					 f->now), -EINVAL);
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	fx_drain(f);
	fx_drain_ev(f);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(st.state, TOE_TCP_FIN_WAIT1);
	EXPECT_EQ(le32toh(st.write_seq) - le32toh(st.snd_una),
		  TOE_ENGINE_MAX_INFLIGHT + 1);
	if (!EXPECT_OP(fx_adopt(f, &st), >=, 0))
		return;
	EXPECT_EQ(fx_info(f).state, TOE_TCP_FIN_WAIT1);
	/* As in the state, write_seq counts the FIN. */
	EXPECT_EQ(fx_info(f).write_seq, FX_ISS + TOE_ENGINE_MAX_INFLIGHT + 1);
}

/* In-order data the caller refused earlier is offered again. */
static void held_delivered(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_upload res;
	struct toe_conn_state st;

	if (!f)
		return;
	f->deliver_room = 1000;
	fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 1000);
	f->deliver_room = SIZE_MAX;
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(f->rcv_len, FX_MSS);
	EXPECT_EQ(res.held, 0);
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS + FX_MSS);
	EXPECT_EQ(f->nheld, 0);
	/* The caller refusing again: counted, and not in rcv_nxt. */
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	f->deliver_room = 1000;
	fx_send_peer(f, FX_MSS);
	f->deliver_room = 0;
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(res.held, FX_MSS - 1000);
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS + 1000);
}

/*
 * In-order data held across several segments counts whole in res.held,
 * goes out as the peer's packets, and is not reported as reneged SACKs.
 */
static void held_several_segments(void)
{
	struct fx *f = fx_alloc();
	struct toe_engine_upload res;
	struct toe_conn_state st;
	uint32_t next;
	size_t i;

	fx_start(f);
	fx_state(f, &st, 4);
	f->rcv_space = 1000;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 0; i < 4; i++)
		fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 1000);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS + 1000);
	EXPECT_EQ(res.held, 4 * FX_MSS - 1000);
	EXPECT_EQ(res.ooo_dropped, 0);
	EXPECT(!res.sack_reneged);
	next = FX_IRS + 1000;
	for (i = 0; i < f->nheld; i++) {
		unit_ctx("held packet %zu", i);
		EXPECT_EQ(f->held[i].seq, next);
		next = f->held[i].seq + f->held[i].len;
	}
	EXPECT_EQ(next, FX_IRS + 4 * FX_MSS);
	EXPECT_EQ(fx_stats(f).mem_used, 0);
}

/*
 * Data held for want of receive space: given to the caller, or counted
 * in res.held and left out of rcv_nxt (so that the peer sends it again,
 * or the caller passes on the held packet).
 */
static void held_without_space(void)
{
	struct fx *f = fx_alloc();
	struct toe_engine_upload res;
	struct toe_conn_state st;

	fx_start(f);
	fx_state(f, &st, 4);
	f->rcv_space = 1000;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 1000);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS + f->rcv_len);
	EXPECT_EQ(res.held + f->rcv_len, FX_MSS);
	if (f->nheld) {
		EXPECT_EQ(f->nheld, 1);
		EXPECT_EQ(f->held[0].seq, le32toh(st.rcv_nxt));
		EXPECT_EQ(f->held[0].len, res.held);
	}
	EXPECT_EQ(fx_stats(f).mem_used, 0);
}

/* Out-of-order data comes back as the peer's packets, in order. */
static void ooo_as_peer_packets(int family)
{
	struct fx *f = fx_setup(family);
	struct toe_engine_upload res;
	struct toe_conn_state st;
	size_t alen = family == 4 ? 4 : 16;
	uint32_t i;
	size_t k;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 500), 0))
		return;
	fx_data(f, FX_IRS + 4000, 300);
	fx_data(f, FX_IRS + 1000, 1000);
	fx_drain(f);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(res.ooo_dropped, 0);
	EXPECT(!res.sack_reneged);
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS);
	if (!EXPECT_EQ(f->nheld, 2))
		return;
	EXPECT_EQ(f->held[0].seq, FX_IRS + 1000);
	EXPECT_EQ(f->held[0].len, 1000);
	EXPECT_EQ(f->held[1].seq, FX_IRS + 4000);
	EXPECT_EQ(f->held[1].len, 300);
	for (k = 0; k < f->nheld; k++) {
		struct upkt *p = &f->held[k];

		unit_ctx("held packet %zu", k);
		EXPECT(p->valid);
		EXPECT_EQ(p->family, family);
		EXPECT(!memcmp(p->saddr, f->raddr, alen));
		EXPECT(!memcmp(p->daddr, f->laddr, alen));
		EXPECT_EQ(p->sport, f->rport);
		EXPECT_EQ(p->dport, f->lport);
		EXPECT_EQ(p->flags & (TF_ACK | TF_SYN | TF_RST | TF_FIN),
			  TF_ACK);
		EXPECT_EQ(p->ack, FX_ISS);
		EXPECT(p->has_ts);
		EXPECT_EQ(p->tsval, FX_TS_RECENT);
		for (i = 0; i < p->len; i++) {
			if (p->data[i] != fx_peer_byte(p->seq + i)) {
				EXPECT_EQ(p->data[i], fx_peer_byte(p->seq + i));
				break;
			}
		}
	}
	unit_ctx("after upload");
	EXPECT_EQ(fx_stats(f).mem_used, 0);
	EXPECT_NO_PKT(f);
}

static void ooo_as_peer_packets_v4(void)
{
	ooo_as_peer_packets(4);
}

static void ooo_as_peer_packets_v6(void)
{
	ooo_as_peer_packets(6);
}

/* No held_pkt op: the data is dropped and the SACK reneged on. */
static void ooo_dropped_without_held_pkt(void)
{
	struct fx *f = fx_alloc();
	struct toe_engine_upload res;
	struct toe_conn_state st;

	f->no_held_pkt = true;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_data(f, FX_IRS + 1000, 1000);
	fx_data(f, FX_IRS + 4000, 300);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0)->nsack, 1);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(res.ooo_dropped, 1300);
	EXPECT(res.sack_reneged);
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS);
	EXPECT_EQ(f->nheld, 0);
	EXPECT_EQ(fx_stats(f).mem_used, 0);
}

/* A FIN that arrived ahead of data comes back on its packet. */
static void ooo_fin_carried(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_upload res;
	struct toe_conn_state st;
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.seq = FX_IRS + 1000;
	s.len = 200;
	s.flags = TF_ACK | TF_FIN;
	fx_in(f, &s);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	if (!EXPECT_EQ(f->nheld, 1))
		return;
	EXPECT_EQ(f->held[0].seq, FX_IRS + 1000);
	EXPECT_EQ(f->held[0].len, 200);
	EXPECT_EQ(f->held[0].flags & (TF_ACK | TF_FIN), TF_ACK | TF_FIN);
	EXPECT(!(le32toh(st.flags) & TOE_CS_FIN_RCVD));
}

/* The FIN states travel back with their flags and sequence space. */
static void fin_states(void)
{
	struct fx *f = fx_setup(4);
	struct toe_engine_upload res;
	struct toe_conn_state st;
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_ACK | TF_FIN;
	fx_in(f, &s);
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_EQ(toe_engine_shutdown(f->eng, f->id, f->now), 0);
	EXPECT_EQ(fx_info(f).state, TOE_TCP_LAST_ACK);
	if (!EXPECT_EQ(toe_engine_upload(f->eng, f->id, &st, &res, f->now), 0))
		return;
	EXPECT_EQ(st.state, TOE_TCP_LAST_ACK);
	EXPECT_EQ(le32toh(st.flags) & (TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD),
		  TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD);
	EXPECT_EQ(le32toh(st.rcv_nxt), FX_IRS + 1);
	EXPECT_EQ(le32toh(st.write_seq), FX_ISS + 101);
	EXPECT_EQ(le32toh(st.snd_nxt), FX_ISS + 101);
	EXPECT_EQ(le32toh(st.snd_una), FX_ISS);
	/* And adopt takes it back. */
	EXPECT_OP(fx_adopt(f, &st), >=, 0);
	fx_drain_ev(f);
	fx_ack(f, FX_ISS + 101);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
}

/* ops->event() may upload the connection it reports, from any path. */
static void from_event_urgent(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	f->upload_on_req = true;
	f->upload_ret = 1;
	s = fx_seg(f);
	s.flags = TF_ACK | TF_URG;
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->upload_ret, 0);
	EXPECT_EQ(le32toh(f->up_st.rcv_nxt), FX_IRS);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_send_peer(f, 10), 0);
}

static void from_event_idle(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;

	f->cfg.idle_upload_us = S;
	fx_start(f);
	fx_state(f, &st, 6);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	f->upload_on_req = true;
	f->upload_ret = 1;
	fx_run(f, 2 * S);
	EXPECT_EQ(f->upload_ret, 0);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

static void from_event_reasm_mem(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	int i;

	f->cfg.mem_budget = 4096;
	fx_start(f);
	fx_state(f, &st, 4);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	f->upload_on_req = true;
	f->upload_ret = 1;
	for (i = 1; i <= 5; i++)
		fx_data(f, FX_IRS + i * FX_MSS, FX_MSS);
	EXPECT_EQ(f->upload_ret, 0);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(fx_stats(f).mem_used, 0);
	EXPECT_GE(f->nheld, 1);
}

static const struct unit_case cases[] = {
	UNIT_CASE(req_urgent),
	UNIT_CASE(req_option_md5),
	UNIT_CASE(req_idle),
	UNIT_CASE(req_idle_postponed),
	UNIT_CASE(req_requested),
	UNIT_CASE(req_reasm_mem),
	UNIT_CASE(req_pmtu_v4),
	UNIT_CASE(req_pmtu_v6),
	UNIT_CASE(req_capacity),
	UNIT_CASE(state_matches),
	UNIT_CASE(tuple_released),
	UNIT_CASE(ack_owed),
	UNIT_CASE(roundtrip),
	UNIT_CASE(roundtrip_full_inflight_fin),
	UNIT_CASE(held_delivered),
	UNIT_CASE(held_without_space),
	UNIT_CASE(held_several_segments),
	UNIT_CASE(ooo_as_peer_packets_v4),
	UNIT_CASE(ooo_as_peer_packets_v6),
	UNIT_CASE(ooo_dropped_without_held_pkt),
	UNIT_CASE(ooo_fin_carried),
	UNIT_CASE(fin_states),
	UNIT_CASE(from_event_urgent),
	UNIT_CASE(from_event_idle),
	UNIT_CASE(from_event_reasm_mem),
	{ NULL, NULL }
};

const struct unit_suite unit_upload_suite = { "upload", cases };
