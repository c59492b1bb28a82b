// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-data.c - receiving: delivery before acknowledgment, delayed
 * ACKs, out-of-order data and SACK, the receive window and the caller's
 * receive space.
 */
#include <endian.h>

#include "unit.h"

/* In-order data goes to the caller at once; the ACK covers it after. */
static void inorder_delivered_then_acked(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;

	if (!f)
		return;
	EXPECT_EQ(fx_send_peer(f, FX_MSS), 1);
	EXPECT_EQ(f->rcv_len, FX_MSS);
	EXPECT_EQ(f->deliver_calls, 1);
	EXPECT_NO_PKT(f);		/* one segment: the ACK may wait */
	EXPECT_EQ(fx_send_peer(f, FX_MSS), 1);
	EXPECT_EQ(f->rcv_len, 2 * FX_MSS);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2 * FX_MSS, 0);
	EXPECT_EQ(p->delivered, 2 * FX_MSS);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS + 2 * FX_MSS);
	EXPECT_EQ(fx_info(f).bytes_received, 2 * FX_MSS);
	EXPECT_EQ(fx_stats(f).bytes_in, 2 * FX_MSS);
	EXPECT_NO_EV(f);
}

/* RFC 9293 3.8.6.3 / RFC 1122: one full segment's ACK waits delack_us. */
static void delayed_ack_timer(void)
{
	struct fx *f = fx_setup(4);
	uint64_t t;

	if (!f)
		return;
	t = f->now;
	fx_send_peer(f, FX_MSS);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), t + f->cfg.delack_us);
	fx_run(f, f->cfg.delack_us - 1);
	EXPECT_NO_PKT(f);
	fx_run(f, 1);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + FX_MSS, 0)->t,
		  t + f->cfg.delack_us);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
}

/* The delayed ACK is sent once, even when the timer fires late. */
static void delayed_ack_once(void)
{
	struct fx *f = fx_setup(6);

	if (!f)
		return;
	fx_send_peer(f, 500);
	fx_run(f, 10 * f->cfg.delack_us);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 500, 0);
	EXPECT_NO_PKT(f);
}

/* The second full segment is acknowledged at once. */
static void second_segment_acked(void)
{
	struct fx *f = fx_setup(4);
	uint64_t t;

	if (!f)
		return;
	fx_send_peer(f, FX_MSS);
	fx_run(f, 1000);
	t = f->now;
	fx_send_peer(f, FX_MSS);
	EXPECT_EQ(EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2 * FX_MSS, 0)->t, t);
	/* The ACK cancelled the timer: nothing more later. */
	fx_run(f, f->cfg.delack_us * 2);
	EXPECT_NO_PKT(f);
}

/* An out-of-order segment: an immediate duplicate ACK with SACK. */
static void ooo_dup_ack_with_sack(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;

	if (!f)
		return;
	EXPECT_EQ(fx_data(f, FX_IRS + FX_MSS, FX_MSS), 1);
	EXPECT_EQ(f->rcv_len, 0);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (!EXPECT_EQ(p->nsack, 1))
		return;
	EXPECT_EQ(p->sack[0][0], FX_IRS + FX_MSS);
	EXPECT_EQ(p->sack[0][1], FX_IRS + 2 * FX_MSS);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_stats(f).ooo_segs, 1);
	EXPECT_EQ(fx_info(f).ooo_bytes, FX_MSS);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS);
}

/* RFC 2018 4: the block with the latest segment comes first. */
static void sack_blocks_latest_first(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;

	if (!f)
		return;
	fx_data(f, FX_IRS + 1000, 100);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	fx_data(f, FX_IRS + 3000, 100);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (!EXPECT_EQ(p->nsack, 2))
		return;
	EXPECT_EQ(p->sack[0][0], FX_IRS + 3000);
	EXPECT_EQ(p->sack[0][1], FX_IRS + 3100);
	EXPECT_EQ(p->sack[1][0], FX_IRS + 1000);
	EXPECT_EQ(p->sack[1][1], FX_IRS + 1100);
	/* A segment extending the first block puts it first again. */
	fx_data(f, FX_IRS + 1100, 100);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (!EXPECT_EQ(p->nsack, 2))
		return;
	EXPECT_EQ(p->sack[0][0], FX_IRS + 1000);
	EXPECT_EQ(p->sack[0][1], FX_IRS + 1200);
	EXPECT_EQ(p->sack[1][0], FX_IRS + 3000);
	EXPECT_EQ(p->sack[1][1], FX_IRS + 3100);
	/* With timestamps there is room for three blocks only. */
	fx_data(f, FX_IRS + 5000, 100);
	fx_data(f, FX_IRS + 7000, 100);
	fx_drain(f);
	fx_data(f, FX_IRS + 9000, 100);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (!EXPECT_EQ(p->nsack, 3))
		return;
	EXPECT_EQ(p->sack[0][0], FX_IRS + 9000);
}

/* Filling the hole delivers everything in order and ACKs it at once. */
static void hole_fill_delivers_all(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;

	if (!f)
		return;
	fx_data(f, FX_IRS + FX_MSS, FX_MSS);
	fx_data(f, FX_IRS + 2 * FX_MSS, FX_MSS);
	fx_drain(f);
	EXPECT_EQ(fx_data(f, FX_IRS, FX_MSS), 1);
	EXPECT_EQ(f->rcv_len, 3 * FX_MSS);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 3 * FX_MSS, 0);
	EXPECT_EQ(p->nsack, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).ooo_bytes, 0);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS + 3 * FX_MSS);
	EXPECT_EQ(fx_stats(f).mem_used, 0);
}

/* Overlapping out-of-order pieces: each byte delivered once, in order. */
static void overlapping_ooo(void)
{
	struct fx *f = fx_setup(6);

	if (!f)
		return;
	fx_data(f, FX_IRS + 500, 1000);
	fx_data(f, FX_IRS + 300, 400);
	fx_data(f, FX_IRS + 1400, 600);
	fx_data(f, FX_IRS + 2100, 100);
	fx_drain(f);
	fx_data(f, FX_IRS, 400);
	EXPECT_EQ(f->rcv_len, 2000);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2000, 0);
	fx_data(f, FX_IRS + 1900, 300);
	EXPECT_EQ(f->rcv_len, 2200);
	EXPECT_EQ(fx_info(f).ooo_bytes, 0);
}

/* A retransmission of data already taken: ACK at once, no redelivery. */
static void old_data_acked(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	fx_send_peer(f, 1000);
	fx_run(f, f->cfg.delack_us);
	fx_drain(f);
	EXPECT_EQ(fx_data(f, FX_IRS, 1000), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 1000, 0);
	EXPECT_EQ(f->rcv_len, 1000);
	EXPECT_EQ(f->deliver_calls, 1);
	/* Partly old: only the new part is delivered. */
	EXPECT_EQ(fx_data(f, FX_IRS + 500, 1000), 1);
	EXPECT_EQ(f->rcv_len, 1500);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 1500, 0);
}

/*
 * A window of 8 KiB, unscaled so that it is exact (a scaled window is
 * rounded up to its granularity, as Linux rounds it): what lies beyond
 * it is not taken.
 */
static struct fx *small_window(int family)
{
	struct toe_conn_state st;
	struct fx *f = fx_new();

	fx_state(f, &st, family);
	st.rcv_wscale = 0;
	st.rcv_wnd = htole32(8192);
	f->rcv_space = 8192;
	if (!EXPECT_OP(fx_adopt(f, &st), >=, 0))
		return NULL;
	return f;
}

static void beyond_window_not_taken(void)
{
	struct fx *f = small_window(4);
	struct upkt *p;
	int i;

	if (!f)
		return;
	/* Entirely beyond the right edge: dropped, answered with an ACK. */
	EXPECT_EQ(fx_data(f, FX_IRS + 8192 + 100, 100), 1);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_EQ(fx_wnd(f, p), 8192);
	EXPECT_EQ(fx_info(f).ooo_bytes, 0);
	f->peer_nxt = FX_IRS;
	/* Fill the window: the last segment straddles its edge. */
	for (i = 0; i < 6; i++)
		fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 8192);
	fx_drain(f);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS + 8192);
	EXPECT_EQ(fx_info(f).rcv_wnd, 0);
	EXPECT_EQ(fx_info(f).ooo_bytes, 0);
	EXPECT_EQ(fx_info(f).held_bytes, 0);
	/* A zero window takes nothing and says so. */
	EXPECT_EQ(fx_data(f, FX_IRS + 8192, 100), 1);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 8192, 0);
	EXPECT_EQ(p->wnd, 0);
	EXPECT_EQ(f->rcv_len, 8192);
}

/* Out of order and straddling the edge: only the part inside is kept. */
static void ooo_trimmed_to_window(void)
{
	struct fx *f = small_window(4);
	struct upkt *p;

	if (!f)
		return;
	EXPECT_EQ(fx_data(f, FX_IRS + 8192 - 100, 1000), 1);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	if (!EXPECT_EQ(p->nsack, 1))
		return;
	EXPECT_EQ(p->sack[0][0], FX_IRS + 8092);
	EXPECT_EQ(p->sack[0][1], FX_IRS + 8192);
	EXPECT_EQ(fx_info(f).ooo_bytes, 100);
}

/*
 * No receive space: the data is held, not acknowledged; freed space
 * delivers it, acknowledges it at once and opens the window.
 */
static void no_space_held_then_freed(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	struct upkt *p;
	uint32_t edge;

	f->cfg.rcv_reserve_shift = 0;	/* exact space: see edge_creep_reserve */
	fx_start(f);
	fx_state(f, &st, 4);
	f->rcv_space = 2000;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	fx_send_peer(f, FX_MSS);
	fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 2000);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2000, 0);
	edge = p->ack + fx_wnd(f, p);
	EXPECT_GE(edge, FX_IRS + FX_RCV_WND);	/* the promise is kept */
	EXPECT_EQ(fx_info(f).held_bytes, 2 * FX_MSS - 2000);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS + 2000);
	/* Nothing more is said about it while the caller has no room. */
	fx_run(f, 10 * f->cfg.delack_us);
	EXPECT_NO_PKT(f);

	EXPECT_EQ(toe_engine_recv_freed(f->eng, f->id, 100000, f->now), 0);
	EXPECT_EQ(f->rcv_len, 2 * FX_MSS);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2 * FX_MSS, 0);
	EXPECT_GE(p->ack + fx_wnd(f, p), FX_IRS + 2 * FX_MSS + 90000);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).held_bytes, 0);
}

/*
 * In-order data held for want of receive space is not out of order:
 * later in-order segments must not be reported as a SACK block above a
 * hole at rcv_nxt, which the peer would take for loss and retransmit
 * (RFC 2018 4: a block is a contiguous block of queued data).
 */
static void held_not_reported_lost(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	struct upkt *p;
	int i;

	fx_start(f);
	fx_state(f, &st, 4);
	f->rcv_space = 2000;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 0; i < 5; i++)
		fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 2000);
	while ((p = fx_pop(f))) {
		unit_ctx("ACK %u (irs%+d)", p->ack, (int)(p->ack - FX_IRS));
		EXPECT_EQ(p->nsack, 0);
	}
	unit_ctx("info");
	EXPECT_EQ(fx_info(f).ooo_bytes, 0);
	EXPECT_EQ(fx_info(f).held_bytes, 5 * FX_MSS - 2000);
	EXPECT_EQ(fx_stats(f).ooo_segs, 0);
}

/* The caller takes less than offered: the rest waits, unacknowledged. */
static void caller_takes_part(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	f->deliver_room = 1000;
	fx_send_peer(f, FX_MSS);
	fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 1000);
	fx_run(f, f->cfg.delack_us);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS + 1000);
	EXPECT_EQ(fx_info(f).held_bytes + fx_info(f).ooo_bytes,
		  2 * FX_MSS - 1000);
	fx_drain(f);
	f->deliver_room = SIZE_MAX;
	EXPECT_EQ(toe_engine_recv_freed(f->eng, f->id, 0, f->now), 0);
	EXPECT_EQ(f->rcv_len, 2 * FX_MSS);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 2 * FX_MSS, 0);
}

/*
 * RFC 9293 3.8.6: the right edge never moves left, even when the host
 * grants less space than the window it had already promised.
 */
static void right_edge_never_left(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	struct upkt *p;
	int i, acks = 0;

	fx_start(f);
	fx_state(f, &st, 6);
	st.rcv_wnd = htole32(200000);
	f->rcv_space = 1024;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 0; i < 4; i++) {
		unit_ctx("segment %d", i);
		fx_send_peer(f, 1000);
		fx_run(f, f->cfg.delack_us);
		/* Held data is not acknowledged, so not every one is. */
		while ((p = fx_pop(f))) {
			acks++;
			EXPECT_EQ(p->flags, TF_ACK);
			EXPECT_GE(p->ack + fx_wnd(f, p), FX_IRS + 200000);
			EXPECT_LE(p->ack, FX_IRS + 1024);
		}
	}
	unit_ctx("after");
	EXPECT_GE(acks, 1);
	/* Promised data beyond the caller's space is held, not refused. */
	EXPECT_EQ(fx_info(f).held_bytes + fx_info(f).ooo_bytes + f->rcv_len,
		  4000);
}

/* Freed space the peer does not know about is announced. */
static void window_update_on_free(void)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;
	struct upkt *p;
	int i;

	f->cfg.rcv_reserve_shift = 0;	/* exact space: see edge_creep_reserve */
	fx_start(f);
	fx_state(f, &st, 4);
	st.rcv_wnd = htole32(16384);
	f->rcv_space = 16384;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 0; i < 11; i++)
		fx_send_peer(f, FX_MSS);
	fx_run(f, f->cfg.delack_us);
	fx_drain(f);
	EXPECT_LT(fx_info(f).rcv_wnd, 1024);
	EXPECT_EQ(toe_engine_recv_freed(f->eng, f->id, 11 * FX_MSS, f->now), 0);
	p = EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 11 * FX_MSS, 0);
	EXPECT_GE(fx_wnd(f, p), 11 * FX_MSS);
	EXPECT_NO_PKT(f);
	/* A trickle of freed space is not worth a segment (RFC 1122). */
	EXPECT_EQ(toe_engine_recv_freed(f->eng, f->id, 10, f->now), 0);
	EXPECT_NO_PKT(f);
}

/*
 * The peer fills every window offered, in full segments, while the
 * reader takes nothing. Each ACK must round the shrinking window up to
 * the scale (the right edge never moves left), and so moves the edge on
 * by up to 127 bytes at wscale 7: after a few dozen segments, past the
 * receive space. The default reserve takes that creep, so every segment
 * the peer may send is placed and acknowledged at once; without it, the
 * last waits unacknowledged (and a real peer sends a loss probe).
 * Returns the bytes held when the peer had no room for a full segment.
 */
static uint32_t fill_stalled_reader(uint32_t shift)
{
	struct fx *f = fx_alloc();
	struct toe_conn_state st;

	f->cfg.rcv_reserve_shift = shift;
	fx_start(f);
	fx_state(f, &st, 4);
	st.rcv_wnd = htole32(16384);	/* the kernel's edge, well inside */
	f->rcv_space = FX_RCV_WND;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return UINT32_MAX;
	while ((int32_t)(f->max_edge - f->peer_nxt) >= FX_MSS) {
		fx_send_peer(f, FX_MSS);
		fx_drain(f);
	}
	fx_run(f, f->cfg.delack_us);
	return fx_info(f).held_bytes;
}

static void edge_creep_reserve(void)
{
	unit_ctx("without a reserve");
	EXPECT_GT(fill_stalled_reader(0), 0);
	unit_ctx("default reserve");
	EXPECT_EQ(fill_stalled_reader(3), 0);
}

static void recv_freed_errors(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(toe_engine_recv_freed(f->eng, f->id + 1, 10, f->now),
		  -ENOENT);
	EXPECT_EQ(toe_engine_recv_freed(f->eng, -1, 10, f->now), -ENOENT);
	EXPECT_EQ(toe_engine_recv_freed(f->eng, f->id, 0xffffffffu, f->now),
		  -EINVAL);
}

/* Sequence numbers wrap through zero on both sides. */
static void seq_wrap(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;
	int i;

	fx_state(f, &st, 4);
	st.rcv_nxt = st.rcv_wup = st.copied_seq = htole32(0xfffffa00u);
	st.snd_una = st.snd_nxt = st.write_seq = htole32(0xfffffc00u);
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	for (i = 0; i < 4; i++)
		fx_send_peer(f, FX_MSS);
	EXPECT_EQ(f->rcv_len, 4 * FX_MSS);
	EXPECT_EQ(fx_info(f).rcv_nxt, 0xfffffa00u + 4 * FX_MSS);
	fx_drain(f);
	/* Out of order across the wrap. */
	fx_data(f, f->irs + 6 * FX_MSS, FX_MSS);
	fx_data(f, f->irs + 4 * FX_MSS, FX_MSS);
	EXPECT_EQ(f->rcv_len, 5 * FX_MSS);
	fx_data(f, f->irs + 5 * FX_MSS, FX_MSS);
	EXPECT_EQ(f->rcv_len, 7 * FX_MSS);
	fx_drain(f);
	if (!EXPECT_EQ(fx_queue(f, 3 * FX_MSS), 0))
		return;
	EXPECT_PKT(f, TF_ACK, 0xfffffc00u, ANY, FX_MSS);
	EXPECT_PKT(f, TF_ACK, 0xfffffc00u + FX_MSS, ANY, FX_MSS);
	EXPECT_PKT(f, TF_ACK | TF_PSH, 0xfffffc00u + 2 * FX_MSS, ANY, FX_MSS);
	fx_ack(f, 0xfffffc00u + 3 * FX_MSS);
	EXPECT_EQ(f->acked, 0xfffffc00u + 3 * FX_MSS);
	EXPECT_EQ(fx_info(f).snd_una, 0xfffffc00u + 3 * FX_MSS);
}

static const struct unit_case cases[] = {
	UNIT_CASE(inorder_delivered_then_acked),
	UNIT_CASE(delayed_ack_timer),
	UNIT_CASE(delayed_ack_once),
	UNIT_CASE(second_segment_acked),
	UNIT_CASE(ooo_dup_ack_with_sack),
	UNIT_CASE(sack_blocks_latest_first),
	UNIT_CASE(hole_fill_delivers_all),
	UNIT_CASE(overlapping_ooo),
	UNIT_CASE(old_data_acked),
	UNIT_CASE(beyond_window_not_taken),
	UNIT_CASE(ooo_trimmed_to_window),
	UNIT_CASE(no_space_held_then_freed),
	UNIT_CASE(held_not_reported_lost),
	UNIT_CASE(caller_takes_part),
	UNIT_CASE(right_edge_never_left),
	UNIT_CASE(window_update_on_free),
	UNIT_CASE(edge_creep_reserve),
	UNIT_CASE(recv_freed_errors),
	UNIT_CASE(seq_wrap),
	{ NULL, NULL }
};

const struct unit_suite unit_data_suite = { "data", cases };
