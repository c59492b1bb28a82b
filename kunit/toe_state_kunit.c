// SPDX-License-Identifier: GPL-2.0
/*
 * toe_state_kunit.c - the transferred connection state: every field at
 * its documented offset, 256 bytes in all, little-endian except addresses
 * and ports, and a round trip through encode and decode.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "toe_state.h"
#include "toe_kunit.h"

struct toe_off_case {
	const char *field;
	size_t got, want;
};

#define TOE_OFF(f, off) { #f, offsetof(struct toe_conn_state, f), off }

/* The layout of struct toe_conn_state, version 1. */
static const struct toe_off_case toe_off_cases[] = {
	TOE_OFF(version, 0),
	TOE_OFF(size, 2),
	TOE_OFF(family, 4),
	TOE_OFF(state, 5),
	TOE_OFF(snd_wscale, 6),
	TOE_OFF(rcv_wscale, 7),
	TOE_OFF(local_addr, 8),
	TOE_OFF(remote_addr, 24),
	TOE_OFF(local_port, 40),
	TOE_OFF(remote_port, 42),
	TOE_OFF(flags, 44),
	TOE_OFF(snd_una, 48),
	TOE_OFF(snd_nxt, 52),
	TOE_OFF(write_seq, 56),
	TOE_OFF(snd_wl1, 60),
	TOE_OFF(snd_wnd, 64),
	TOE_OFF(max_window, 68),
	TOE_OFF(mss, 72),
	TOE_OFF(adv_mss, 74),
	TOE_OFF(rcv_nxt, 76),
	TOE_OFF(copied_seq, 80),
	TOE_OFF(rcv_wnd, 84),
	TOE_OFF(rcv_wup, 88),
	TOE_OFF(ts_offset, 92),
	TOE_OFF(ts_recent, 96),
	TOE_OFF(ts_recent_age_ms, 100),
	TOE_OFF(ts_now, 104),
	TOE_OFF(srtt_us, 108),
	TOE_OFF(rttvar_us, 112),
	TOE_OFF(rto_us, 116),
	TOE_OFF(snd_cwnd, 120),
	TOE_OFF(snd_ssthresh, 124),
	TOE_OFF(ca_state, 128),
	TOE_OFF(cong_algo, 129),
	TOE_OFF(keepalive_probes, 130),
	TOE_OFF(reserved0, 131),
	TOE_OFF(keepalive_time_s, 132),
	TOE_OFF(keepalive_intvl_s, 136),
	TOE_OFF(sack_blocks, 140),
	TOE_OFF(num_sacks, 172),
	TOE_OFF(reserved1, 173),
	TOE_OFF(reserved, 176),
};

static void toe_off_desc(const struct toe_off_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s at %zu", c->field, c->want);
}

KUNIT_ARRAY_PARAM(toe_off, toe_off_cases, toe_off_desc);

static void field_sits_at_its_documented_offset(struct kunit *test)
{
	const struct toe_off_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->got, c->want);
}

static void state_is_256_bytes_with_reserved_tail(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct toe_conn_state), (size_t)256);
	KUNIT_EXPECT_EQ(test, offsetof(struct toe_conn_state, reserved) +
			sizeof_field(struct toe_conn_state, reserved),
			(size_t)256);
}

static void toe_tcb_sample(struct toe_tcb *t)
{
	memset(t, 0, sizeof(*t));
	t->family = 4;
	t->state = TOE_TCP_ESTABLISHED;
	t->snd_wscale = 7;
	t->rcv_wscale = 9;
	t->local_addr[0] = 198;
	t->local_addr[1] = 18;
	t->local_addr[3] = 2;
	t->remote_addr[0] = 198;
	t->remote_addr[1] = 18;
	t->remote_addr[3] = 1;
	t->local_port = htons(0x1234);
	t->remote_port = htons(5001);
	t->flags = TOE_CS_SACK_OK | TOE_CS_TSTAMP_OK | TOE_CS_WSCALE_OK;
	t->snd_una = 0xfffffff0;	/* about to wrap */
	t->snd_nxt = 0x00000010;
	t->write_seq = 0x01020304;
	t->snd_wnd = 0x0000ffff;
	t->mss = 1448;
	t->adv_mss = 0x05b4;
	t->rcv_nxt = 0xa1b2c3d4;
	t->ts_offset = 0x80000001;
	t->srtt_us = 12345;
	t->snd_cwnd = 10;
	t->ca_state = 1;
	t->cong_algo = TOE_CC_CUBIC;
	t->keepalive_probes = 9;
	t->keepalive_time_s = 7200;
	t->sack_blocks[3][1] = 0xdeadbeef;
	t->num_sacks = 4;
}

static void encode_writes_little_endian_and_network_order(struct kunit *test)
{
	struct toe_conn_state *cs;
	const u8 *b;
	struct toe_tcb t;
	size_t i;

	cs = kunit_kzalloc(test, sizeof(*cs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cs);
	memset(cs, 0xa5, sizeof(*cs));	/* encode must overwrite all */
	toe_tcb_sample(&t);
	toe_conn_state_encode(&t, cs);
	b = (const u8 *)cs;

	toe_expect_bytes(test, b + 0, (const u8[]){ 0x01, 0x00, 0x00, 0x01 },
			 4);				/* version, size 256 */
	toe_expect_bytes(test, b + 4, (const u8[]){ 4, 1, 7, 9 }, 4);
	toe_expect_bytes(test, b + 8, (const u8[]){ 198, 18, 0, 2 }, 4);
	toe_expect_bytes(test, b + 40, (const u8[]){ 0x12, 0x34, 0x13, 0x89 },
			 4);				/* ports, network order */
	toe_expect_bytes(test, b + 44, (const u8[]){ 0x07, 0, 0, 0 }, 4);
	toe_expect_bytes(test, b + 48, (const u8[]){ 0xf0, 0xff, 0xff, 0xff,
						     0x10, 0, 0, 0,
						     0x04, 0x03, 0x02, 0x01 },
			 12);				/* snd_una..write_seq */
	toe_expect_bytes(test, b + 72, (const u8[]){ 0xa8, 0x05, 0xb4, 0x05 },
			 4);				/* mss, adv_mss */
	toe_expect_bytes(test, b + 76, (const u8[]){ 0xd4, 0xc3, 0xb2, 0xa1 },
			 4);				/* rcv_nxt */
	toe_expect_bytes(test, b + 92, (const u8[]){ 0x01, 0, 0, 0x80 }, 4);
	toe_expect_bytes(test, b + 128, (const u8[]){ 1, TOE_CC_CUBIC, 9, 0,
						      0x20, 0x1c, 0, 0 }, 8);
	toe_expect_bytes(test, b + 168, (const u8[]){ 0xef, 0xbe, 0xad, 0xde,
						      4, 0, 0, 0 }, 8);
	for (i = 176; i < 256; i++)
		KUNIT_EXPECT_EQ_MSG(test, b[i], 0, "reserved byte %zu", i);
}

static void decode_undoes_encode(struct kunit *test)
{
	struct toe_conn_state *cs;
	struct toe_tcb in, out;

	cs = kunit_kzalloc(test, sizeof(*cs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cs);
	toe_tcb_sample(&in);
	toe_conn_state_encode(&in, cs);
	KUNIT_ASSERT_EQ(test, toe_conn_state_decode(cs, &out), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&in, &out, sizeof(in)), 0);
}

struct toe_bad_case {
	const char *name;
	size_t off;
	u8 val;
};

static const struct toe_bad_case toe_bad_cases[] = {
	{ "unknown version", 0, 2 },
	{ "wrong size", 3, 0x02 },
	{ "family neither 4 nor 6", 4, 5 },
	{ "more sack blocks than room", 172, 5 },
};

static void toe_bad_desc(const struct toe_bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_bad, toe_bad_cases, toe_bad_desc);

static void decode_refuses_what_it_cannot_trust(struct kunit *test)
{
	const struct toe_bad_case *c = test->param_value;
	struct toe_conn_state *cs;
	struct toe_tcb t;

	cs = kunit_kzalloc(test, sizeof(*cs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cs);
	toe_tcb_sample(&t);
	toe_conn_state_encode(&t, cs);
	((u8 *)cs)[c->off] = c->val;
	KUNIT_EXPECT_EQ(test, toe_conn_state_decode(cs, &t), -EINVAL);
}

static struct kunit_case toe_state_test_cases[] = {
	KUNIT_CASE_PARAM(field_sits_at_its_documented_offset,
			 toe_off_gen_params),
	KUNIT_CASE(state_is_256_bytes_with_reserved_tail),
	KUNIT_CASE(encode_writes_little_endian_and_network_order),
	KUNIT_CASE(decode_undoes_encode),
	KUNIT_CASE_PARAM(decode_refuses_what_it_cannot_trust,
			 toe_bad_gen_params),
	{}
};

static struct kunit_suite toe_state_suite = {
	.name = "toe_conn_state",
	.test_cases = toe_state_test_cases,
};

kunit_test_suite(toe_state_suite);
