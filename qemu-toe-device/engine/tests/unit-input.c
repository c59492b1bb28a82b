// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-input.c - toe_engine_input(): packets that are not the engine's,
 * malformed packets, and RFC 5961's defences against blind RST, SYN and
 * ACK injection.
 */
#include <string.h>

#include "unit.h"

/* A full data segment from the peer, built into @buf. */
static size_t data_pkt(struct fx *f, uint8_t *buf)
{
	struct useg s = fx_seg(f);

	s.len = FX_MSS;
	return fx_build(f, &s, buf);
}

/* Nothing was taken, sent or reported, and the drop was counted. */
static void nothing_happened(struct fx *f, uint64_t dropped)
{
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_EQ(f->deliver_calls, 0);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	EXPECT_EQ(fx_stats(f).dropped, dropped);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS);
}

static void other_tuple(void)
{
	struct fx *f = fx_setup(4);
	uint8_t buf[FX_PKT_MAX];
	struct useg s;
	size_t len;

	if (!f)
		return;
	s = fx_seg(f);
	s.len = 100;
	f->rport = 40002;		/* another remote port */
	len = fx_build(f, &s, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 0);
	f->rport = 40001;
	f->lport = 5002;		/* another local port */
	len = fx_build(f, &s, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 0);
	f->lport = 5001;
	f->raddr[3] = 9;		/* another remote host */
	len = fx_build(f, &s, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 0);
	f->raddr[3] = 1;
	f->laddr[3] = 9;		/* another local address */
	len = fx_build(f, &s, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 0);
	f->laddr[3] = 2;
	EXPECT_EQ(fx_stats(f).segs_in, 0);
	nothing_happened(f, 0);
	/* And the right one is the engine's. */
	len = fx_build(f, &s, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 1);
	EXPECT_EQ(f->rcv_len, 100);
}

/* The same addresses and ports over the other IP version. */
static void other_family(void)
{
	struct fx *f = fx_setup(6);
	uint8_t buf[FX_PKT_MAX];
	struct useg s;
	size_t len;

	if (!f)
		return;
	s = fx_seg(f);
	s.len = 10;
	f->family = 4;
	memcpy(f->laddr, (uint8_t[]){ 0x20, 0x01, 0, 2 }, 4);
	memcpy(f->raddr, (uint8_t[]){ 0x20, 0x01, 0, 2 }, 4);
	len = fx_build(f, &s, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 0);
	f->family = 6;
	nothing_happened(f, 0);
}

static void bad_tcp_checksum(void)
{
	struct fx *f = fx_setup(4);
	uint8_t buf[FX_PKT_MAX];
	size_t len;

	if (!f)
		return;
	len = data_pkt(f, buf);
	buf[len - 1] ^= 0x40;		/* a payload bit */
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), -EINVAL);
	nothing_happened(f, 1);
}

static void bad_tcp_checksum_v6(void)
{
	struct fx *f = fx_setup(6);
	uint8_t buf[FX_PKT_MAX];
	size_t len;

	if (!f)
		return;
	len = data_pkt(f, buf);
	buf[40 + 16] ^= 1;		/* the checksum field itself */
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), -EINVAL);
	/* The pseudo-header counts: another source fails too. */
	len = data_pkt(f, buf);
	buf[8 + 15] ^= 0x80;
	EXPECT_NE(toe_engine_input(f->eng, buf, len, f->now), 1);
	nothing_happened(f, 2);
}

static void bad_ip_checksum(void)
{
	struct fx *f = fx_setup(4);
	uint8_t buf[FX_PKT_MAX];
	size_t len;

	if (!f)
		return;
	len = data_pkt(f, buf);
	buf[8] = 63;			/* TTL, not in the TCP checksum */
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), -EINVAL);
	nothing_happened(f, 1);
}

static void truncated(void)
{
	struct fx *f = fx_setup(4);
	uint8_t buf[FX_PKT_MAX];
	size_t len;

	if (!f)
		return;
	len = data_pkt(f, buf);
	/* Shorter than the IP total length says. */
	EXPECT_EQ(toe_engine_input(f->eng, buf, len - 1, f->now), -EINVAL);
	EXPECT_EQ(toe_engine_input(f->eng, buf, 40, f->now), -EINVAL);
	EXPECT_EQ(toe_engine_input(f->eng, buf, 19, f->now), -EINVAL);
	EXPECT_EQ(toe_engine_input(f->eng, buf, 1, f->now), -EINVAL);
	EXPECT_EQ(toe_engine_input(f->eng, buf, 0, f->now), -EINVAL);
	nothing_happened(f, 5);
}

static void truncated_v6(void)
{
	struct fx *f = fx_setup(6);
	uint8_t buf[FX_PKT_MAX];
	size_t len;

	if (!f)
		return;
	len = data_pkt(f, buf);
	EXPECT_EQ(toe_engine_input(f->eng, buf, len - 1, f->now), -EINVAL);
	EXPECT_EQ(toe_engine_input(f->eng, buf, 39, f->now), -EINVAL);
	/* A TCP header shorter than 20 bytes. */
	buf[4] = 0;
	buf[5] = 19;
	EXPECT_EQ(toe_engine_input(f->eng, buf, 40 + 19, f->now), -EINVAL);
	nothing_happened(f, 3);
}

/* Data offset below 5 words or beyond the segment. */
static void bad_data_offset(void)
{
	struct fx *f = fx_setup(4);
	uint8_t buf[FX_PKT_MAX];
	struct useg s;
	size_t len;

	if (!f)
		return;
	s = fx_seg(f);
	s.has_ts = false;
	len = fx_build(f, &s, buf);	/* 40 bytes, no options, no data */
	buf[20 + 12] = 4 << 4;
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), -EINVAL);
	buf[20 + 12] = 15 << 4;
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), -EINVAL);
	nothing_happened(f, 2);
}

/* An option whose length runs past the header is malformed. */
static void bad_option(void)
{
	static const uint8_t opt[] = { 8, 40 };	/* TS claiming 40 bytes */
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.has_ts = false;
	s.opt = opt;
	s.optlen = sizeof(opt);
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), -EINVAL);
	nothing_happened(f, 1);
}

/* UDP, and an IPv4 fragment, are not the engine's to own. */
static void not_tcp(void)
{
	struct fx *f = fx_setup(4);
	uint8_t buf[FX_PKT_MAX];
	size_t len;

	if (!f)
		return;
	len = data_pkt(f, buf);
	buf[9] = 17;
	buf[10] = buf[11] = 0;
	{
		uint32_t sum = 0;
		int i;

		for (i = 0; i < 20; i += 2)
			sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		buf[10] = (uint8_t)(~sum >> 8);
		buf[11] = (uint8_t)~sum;
	}
	EXPECT_EQ(toe_engine_input(f->eng, buf, len, f->now), 0);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_NO_PKT(f);
}

/* RFC 9293 3.10.7.4: a segment without ACK is dropped. */
static void no_ack_flag(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_PSH;
	s.len = 100;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(fx_info(f).rcv_nxt, FX_IRS);
}

/* RFC 5961 3.2: an in-window RST not at rcv_nxt gets a challenge ACK. */
static void rst_in_window_challenged(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_RST;
	s.seq = FX_IRS + 1000;
	s.has_ts = false;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	EXPECT_EQ(fx_stats(f).challenge_acks, 1);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
	/* RST|ACK off by one is challenged too. */
	s.flags = TF_RST | TF_ACK;
	s.seq = FX_IRS + 1;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_EV(f);
	/* The connection still works. */
	fx_send_peer(f, 10);
	EXPECT_EQ(f->rcv_len, 10);
}

/* RFC 5961 3.2: a RST outside the window is dropped without a word. */
static void rst_out_of_window_ignored(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_RST;
	s.has_ts = false;
	s.seq = FX_IRS - 1;
	EXPECT_EQ(fx_in(f, &s), 1);
	s.seq = FX_IRS + 0x40000000u;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
}

/* RFC 5961 3.2: a RST exactly at rcv_nxt resets the connection. */
static void rst_exact_closes(void)
{
	struct fx *f = fx_setup(6);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_RST;
	s.has_ts = false;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_NO_PKT(f);
	EXPECT_EV(f, TOE_ENG_EV_PEER_RST, ANY);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_NO_EV(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
	/* The 4-tuple is no longer the engine's. */
	EXPECT_EQ(fx_send_peer(f, 10), 0);
}

/* RFC 5961 4.2: a SYN in window gets a challenge ACK, nothing else. */
static void syn_challenged(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_SYN;
	s.seq = FX_IRS + 5;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	/* SYN exactly at rcv_nxt, with ACK, likewise. */
	s.flags = TF_SYN | TF_ACK;
	s.seq = FX_IRS;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_EV(f);
	EXPECT_EQ(fx_stats(f).challenge_acks, 2);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
}

/* RFC 5961 5.2: an ACK for data never sent is answered, not believed. */
static void ack_unsent_challenged(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;

	if (!f)
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, 100);
	s = fx_seg(f);
	s.ack = FX_ISS + 200;
	s.len = 50;
	EXPECT_EQ(fx_in(f, &s), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS + 100, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(f->acked_calls, 0);
	EXPECT_EQ(fx_info(f).snd_una, FX_ISS);
	/* Its data is not taken either (RFC 9293: drop the segment). */
	EXPECT_EQ(f->rcv_len, 0);
}

/* RFC 5961 7: challenge ACKs are rate limited. */
static void challenge_rate_limited(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;
	int i;

	if (!f)
		return;
	s = fx_seg(f);
	s.flags = TF_SYN;
	for (i = 0; i < 1000; i++)
		fx_in(f, &s);
	EXPECT_LT(fx_pending(f), 1000);
	EXPECT_GE(fx_pending(f), 1);
	EXPECT_EQ(fx_stats(f).challenge_acks, fx_pending(f));
	fx_drain(f);
	/* A second later they flow again. */
	fx_run(f, 1000000);
	fx_in(f, &s);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
}

/* Data before rcv_nxt and after the window: ACK, take nothing. */
static void unacceptable_acked(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(fx_data(f, FX_IRS - 2000, 1000), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_EQ(fx_data(f, FX_IRS + 0x100000 * 4, 1000), 1);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_NO_PKT(f);
	EXPECT_EQ(f->rcv_len, 0);
	EXPECT_EQ(fx_info(f).ooo_bytes, 0);
}

/* Whatever ends the connection, what it held is freed. */
static void close_frees_memory(void)
{
	struct fx *f = fx_setup(4);
	struct useg s;
	int id;

	if (!f)
		return;
	fx_data(f, FX_IRS + 1000, 1000);
	EXPECT_GT(fx_stats(f).mem_used, 1000);
	s = fx_seg(f);
	s.flags = TF_RST;
	s.seq = FX_IRS;
	fx_in(f, &s);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	EXPECT_EQ(fx_stats(f).mem_used, 0);
	/* And by abort. */
	f = fx_setup(6);
	if (!f)
		return;
	id = f->id;
	fx_data(f, FX_IRS + 1000, 1000);
	EXPECT_GT(fx_stats(f).mem_used, 1000);
	EXPECT_EQ(toe_engine_abort(f->eng, id, f->now), 0);
	EXPECT_EQ(fx_stats(f).mem_used, 0);
}

static const struct unit_case cases[] = {
	UNIT_CASE(other_tuple),
	UNIT_CASE(other_family),
	UNIT_CASE(bad_tcp_checksum),
	UNIT_CASE(bad_tcp_checksum_v6),
	UNIT_CASE(bad_ip_checksum),
	UNIT_CASE(truncated),
	UNIT_CASE(truncated_v6),
	UNIT_CASE(bad_data_offset),
	UNIT_CASE(bad_option),
	UNIT_CASE(not_tcp),
	UNIT_CASE(no_ack_flag),
	UNIT_CASE(rst_in_window_challenged),
	UNIT_CASE(rst_out_of_window_ignored),
	UNIT_CASE(rst_exact_closes),
	UNIT_CASE(syn_challenged),
	UNIT_CASE(ack_unsent_challenged),
	UNIT_CASE(challenge_rate_limited),
	UNIT_CASE(unacceptable_acked),
	UNIT_CASE(close_frees_memory),
	{ NULL, NULL }
};

const struct unit_suite unit_input_suite = { "input", cases };
