// SPDX-License-Identifier: GPL-2.0
/*
 * toe_failover_kunit.c - the state a connection is restored from when the
 * device has forgotten it (toe_failover_tcb()): taken from what the host
 * knows, the device's last status and the placed-data mark, never past
 * what the host's buffers hold.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <net/tcp_states.h>

#include "toe_sock.h"
#include "toe_kunit.h"

/* A connection on the NIC: 64 KiB unacknowledged, 20 KiB placed. */
static void toe_fo_setup(struct toe_tcb *tcb, struct toe_failover_facts *f,
			 struct toe_conn_status *st)
{
	memset(tcb, 0, sizeof(*tcb));
	tcb->state = TCP_ESTABLISHED;
	tcb->flags = TOE_CS_TSTAMP_OK | TOE_CS_SACK_OK | TOE_CS_WSCALE_OK;
	tcb->snd_wscale = 7;
	tcb->rcv_wscale = 7;
	tcb->srtt_us = 5000;
	tcb->snd_cwnd = 10;
	tcb->max_window = 1000;
	tcb->ts_now = 777;

	memset(f, 0, sizeof(*f));
	f->snd_una = 0xfffff000;		/* wraps inside the span */
	f->write_seq = 0xfffff000 + 65536;
	f->rcv_end = 5000;
	f->copied = 1000;
	f->rcv_size = 1 << 20;
	f->rcv_placed = 21000;
	f->clock_ms = 0x10;
	f->clock_ok = true;

	memset(st, 0, sizeof(*st));
	st->seq = cpu_to_le32(2);
	st->snd_una = cpu_to_le32(0xfffff000 + 4096);
	st->snd_nxt = cpu_to_le32(0xfffff000 + 32768);
	st->snd_wnd = cpu_to_le32(200000);
	st->rcv_nxt = cpu_to_le32(5000);
	st->rcv_wnd = cpu_to_le32(100000);
	st->srtt_us = cpu_to_le32(1234);
	st->rttvar_us = cpu_to_le32(300);
	st->rto_us = cpu_to_le32(201000);
	st->snd_cwnd = cpu_to_le32(88);
	st->snd_ssthresh = cpu_to_le32(44);
	st->flags = cpu_to_le32(TOE_ST_TS_OK);
	st->ts_val = cpu_to_le32(100000);
	st->ts_clock_ms = cpu_to_le32(0xfffffff0);	/* the clock wraps */
	st->ts_recent = cpu_to_le32(4242);
}

static void status_figures_and_placed_data_win(struct kunit *test)
{
	struct toe_conn_status st;
	struct toe_failover_facts f;
	struct toe_tcb tcb;

	toe_fo_setup(&tcb, &f, &st);
	f.status = &st;
	KUNIT_ASSERT_EQ(test, toe_failover_tcb(&tcb, &f), 0);
	KUNIT_EXPECT_EQ(test, tcb.state, (u8)TCP_ESTABLISHED);
	/* The status saw a later ACK than the events did. */
	KUNIT_EXPECT_EQ(test, tcb.snd_una, 0xfffff000u + 4096);
	/* The engine may have sent past its status: all counts as sent. */
	KUNIT_EXPECT_EQ(test, tcb.snd_nxt, f.write_seq);
	KUNIT_EXPECT_EQ(test, tcb.write_seq, f.write_seq);
	/* Placed past the last RECV event: the peer may have its ACK. */
	KUNIT_EXPECT_EQ(test, tcb.rcv_nxt, 21000u);
	KUNIT_EXPECT_EQ(test, tcb.copied_seq, 21000u);
	/* The right edge the engine offered, 105000, stays. */
	KUNIT_EXPECT_EQ(test, tcb.rcv_wup, 21000u);
	KUNIT_EXPECT_EQ(test, tcb.rcv_wnd, 105000u - 21000);
	KUNIT_EXPECT_EQ(test, tcb.snd_wnd, 200000u);
	KUNIT_EXPECT_EQ(test, tcb.max_window, 200000u);
	KUNIT_EXPECT_EQ(test, tcb.srtt_us, 1234u);
	KUNIT_EXPECT_EQ(test, tcb.rto_us, 201000u);
	KUNIT_EXPECT_EQ(test, tcb.snd_cwnd, 88u);
	KUNIT_EXPECT_EQ(test, tcb.snd_ssthresh, 44u);
	/* 0x20 ms passed on the device's clock since the status, and one. */
	KUNIT_EXPECT_EQ(test, tcb.ts_now, 100000u + 0x20 + 1);
	KUNIT_EXPECT_EQ(test, tcb.ts_recent, 4242u);
}

static void peer_fin_comes_home_as_close_wait(struct kunit *test)
{
	struct toe_conn_status st;
	struct toe_failover_facts f;
	struct toe_tcb tcb;

	toe_fo_setup(&tcb, &f, &st);
	f.status = &st;
	f.flags = TOE_ST_FIN_RCVD;
	KUNIT_ASSERT_EQ(test, toe_failover_tcb(&tcb, &f), 0);
	KUNIT_EXPECT_EQ(test, tcb.state, (u8)TCP_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, tcb.rcv_nxt, 21001u);
	KUNIT_EXPECT_EQ(test, tcb.snd_wl1, 21000u);
}

static void without_status_the_host_alone_decides(struct kunit *test)
{
	struct toe_conn_status st;
	struct toe_failover_facts f;
	struct toe_tcb tcb;

	toe_fo_setup(&tcb, &f, &st);
	KUNIT_ASSERT_EQ(test, toe_failover_tcb(&tcb, &f), 0);
	/* Everything unacknowledged is to be sent again, from snd_una. */
	KUNIT_EXPECT_EQ(test, tcb.snd_una, f.snd_una);
	KUNIT_EXPECT_EQ(test, tcb.snd_nxt, f.write_seq);
	KUNIT_EXPECT_EQ(test, tcb.rcv_nxt, 21000u);
	KUNIT_EXPECT_EQ(test, tcb.srtt_us, 5000u);
	KUNIT_EXPECT_EQ(test, tcb.snd_cwnd, 10u);
	/* The kernel's clock, well ahead of anything the engine sent. */
	KUNIT_EXPECT_GT(test, tcb.ts_now, 777u);
}

static void status_past_the_send_data_is_ignored(struct kunit *test)
{
	struct toe_conn_status st;
	struct toe_failover_facts f;
	struct toe_tcb tcb;

	toe_fo_setup(&tcb, &f, &st);
	f.status = &st;
	st.snd_una = cpu_to_le32(f.write_seq + 1);
	st.snd_nxt = cpu_to_le32(f.write_seq + 100);
	KUNIT_ASSERT_EQ(test, toe_failover_tcb(&tcb, &f), 0);
	KUNIT_EXPECT_EQ(test, tcb.snd_una, f.snd_una);
	KUNIT_EXPECT_EQ(test, tcb.snd_nxt, f.write_seq);
}

static void placed_mark_outside_the_ring_is_refused(struct kunit *test)
{
	struct toe_conn_status st;
	struct toe_failover_facts f;
	struct toe_tcb tcb;

	toe_fo_setup(&tcb, &f, &st);
	f.rcv_placed = f.copied + f.rcv_size + 1;
	KUNIT_EXPECT_EQ(test, toe_failover_tcb(&tcb, &f), -EPROTO);
	f.rcv_placed = f.rcv_end - 1;
	KUNIT_EXPECT_EQ(test, toe_failover_tcb(&tcb, &f), -EPROTO);
	f.rcv_placed = f.copied + f.rcv_size;
	KUNIT_EXPECT_EQ(test, toe_failover_tcb(&tcb, &f), 0);
}

/* The fields the device writes on their own sit where toe_hw.h says. */
static void status_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetof(struct toe_conn_status, rcv_placed),
			(size_t)88);
	KUNIT_EXPECT_EQ(test, offsetof(struct toe_conn_status, flags),
			(size_t)92);
	KUNIT_EXPECT_EQ(test, offsetof(struct toe_conn_status, ts_val),
			(size_t)96);
	KUNIT_EXPECT_EQ(test, offsetof(struct toe_conn_status, ts_clock_ms),
			(size_t)100);
	KUNIT_EXPECT_EQ(test, offsetof(struct toe_conn_status, ts_recent),
			(size_t)104);
	KUNIT_EXPECT_EQ(test, sizeof(struct toe_conn_status), (size_t)128);
}

/*
 * A status block whose figures TCP cannot hold (a cwnd past an int) is
 * the device's error: the host's own figures are kept, and the
 * sequence numbers, which the host checks against its own, still count.
 */
static void status_figures_out_of_range_are_not_taken(struct kunit *test)
{
	struct toe_conn_status st;
	struct toe_failover_facts f;
	struct toe_tcb tcb;

	toe_fo_setup(&tcb, &f, &st);
	st.snd_cwnd = cpu_to_le32(0x80000000u);
	f.status = &st;
	KUNIT_ASSERT_EQ(test, toe_failover_tcb(&tcb, &f), 0);
	KUNIT_EXPECT_EQ(test, tcb.snd_cwnd, 10u);
	KUNIT_EXPECT_EQ(test, tcb.srtt_us, 5000u);
	KUNIT_EXPECT_EQ(test, tcb.max_window, 1000u);
	KUNIT_EXPECT_TRUE(test, toe_tcb_figures_ok(&tcb));
	KUNIT_EXPECT_EQ(test, tcb.snd_una, 0xfffff000u + 4096);
	KUNIT_EXPECT_EQ(test, tcb.rcv_nxt, 21000u);
}

static struct kunit_case toe_failover_test_cases[] = {
	KUNIT_CASE(status_figures_and_placed_data_win),
	KUNIT_CASE(status_figures_out_of_range_are_not_taken),
	KUNIT_CASE(peer_fin_comes_home_as_close_wait),
	KUNIT_CASE(without_status_the_host_alone_decides),
	KUNIT_CASE(status_past_the_send_data_is_ignored),
	KUNIT_CASE(placed_mark_outside_the_ring_is_refused),
	KUNIT_CASE(status_layout),
	{}
};

static struct kunit_suite toe_failover_suite = {
	.name = "toe_failover",
	.test_cases = toe_failover_test_cases,
};

kunit_test_suite(toe_failover_suite);
