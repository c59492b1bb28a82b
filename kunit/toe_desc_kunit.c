// SPDX-License-Identifier: GPL-2.0
/*
 * toe_desc_kunit.c - registers, descriptors, commands and events are laid
 * out as include/toe_hw.h says, in little-endian, whatever the CPU.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/string.h>

#include "toe.h"
#include "toe_desc.h"
#include "toe_kunit.h"

static void tx_desc_is_written_little_endian(struct kunit *test)
{
	static const u8 want[16] = {
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* addr */
		0xbc, 0x0a,					/* len */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* flags..err */
	};
	struct toe_tx_desc d;

	memset(&d, 0xff, sizeof(d));
	toe_tx_desc_fill(&d, 0x1122334455667788ull, 0x0abc);
	toe_expect_bytes(test, &d, want, sizeof(want));
}

static void rx_desc_is_written_little_endian(struct kunit *test)
{
	static const u8 want[16] = {
		0x00, 0x10, 0x00, 0xfe, 0xca, 0x00, 0x00, 0x00,	/* addr */
		0x00, 0x06,					/* buf_len */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* len..err */
	};
	struct toe_rx_desc d;

	memset(&d, 0xff, sizeof(d));
	toe_rx_desc_fill(&d, 0xcafe001000ull, TOE_RX_BUF_LEN);
	toe_expect_bytes(test, &d, want, sizeof(want));
	KUNIT_EXPECT_GE(test, TOE_RX_BUF_LEN, TOE_L2_MAX_FRAME);
}

static void cmd_is_written_little_endian(struct kunit *test)
{
	static const u8 want[32] = {
		0x01, 0x00,				/* opcode */
		0x00, 0x00,				/* flags */
		0xef, 0xbe, 0xad, 0xde,			/* tag */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* handle */
		0xff, 0xff, 0xff, 0xff,			/* conn_id */
		0x00, 0x10, 0x00, 0x00,			/* payload_len */
		0x40, 0x30, 0x20, 0x10, 0x00, 0x00, 0x00, 0x00, /* addr */
	};
	struct toe_cmd c;

	memset(&c, 0xff, sizeof(c));
	toe_cmd_fill(&c, TOE_CMD_NOP, 0xdeadbeef, 0x0102030405060708ull,
		     TOE_CONN_NONE, 0x10203040, TOE_CMD_MAX_PAYLOAD);
	toe_expect_bytes(test, &c, want, sizeof(want));
}

static void evt_is_read_little_endian(struct kunit *test)
{
	static const u8 raw[32] = {
		0x01, 0x00,				/* type CMD_DONE */
		0x01, 0x00,				/* flags DONE */
		0x04, 0x03, 0x02, 0x01,			/* tag */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* handle */
		0x2a, 0x00, 0x00, 0x00,			/* conn_id */
		0x05, 0x00, 0x00, 0x00,			/* status */
		0x34, 0x12,				/* opcode */
		0x07, 0x00,				/* reason */
		0x00, 0x01, 0x00, 0x00,			/* value */
	};
	struct toe_evt_info info;
	struct toe_evt e;

	memcpy(&e, raw, sizeof(e));
	KUNIT_EXPECT_TRUE(test, toe_desc_done(e.flags));
	toe_evt_decode(&e, &info);
	KUNIT_EXPECT_EQ(test, info.type, TOE_EVT_CMD_DONE);
	KUNIT_EXPECT_EQ(test, info.tag, 0x01020304u);
	KUNIT_EXPECT_EQ(test, info.handle, 0x8877665544332211ull);
	KUNIT_EXPECT_EQ(test, info.conn_id, 42u);
	KUNIT_EXPECT_EQ(test, info.status, (u32)TOE_STS_OPNOTSUPP);
	KUNIT_EXPECT_EQ(test, info.opcode, 0x1234);
	KUNIT_EXPECT_EQ(test, info.reason, TOE_UPLOAD_REQUESTED);
	KUNIT_EXPECT_EQ(test, info.value, 256u);
}

static void desc_status_bits_are_read_little_endian(struct kunit *test)
{
	static const u8 done[2] = { 0x01, 0x00 }, err[2] = { 0x03, 0x00 };
	static const u8 high[2] = { 0x00, 0x01 };
	__le16 s;

	memcpy(&s, done, 2);
	KUNIT_EXPECT_TRUE(test, toe_desc_done(s));
	KUNIT_EXPECT_FALSE(test, toe_desc_err(s));
	memcpy(&s, err, 2);
	KUNIT_EXPECT_TRUE(test, toe_desc_done(s));
	KUNIT_EXPECT_TRUE(test, toe_desc_err(s));
	memcpy(&s, high, 2);
	KUNIT_EXPECT_FALSE(test, toe_desc_done(s));
}

static void mac_takes_byte0_from_low_bits(struct kunit *test)
{
	static const u8 want[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	u8 mac[ETH_ALEN];

	toe_mac_decode(0x12005452, 0xffff5634, mac);
	toe_expect_bytes(test, mac, want, ETH_ALEN);
}

struct toe_reg_case {
	const char *name;
	u32 got;
	u32 want;
};

static const struct toe_reg_case toe_reg_cases[] = {
	{ "tx ring base low", TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_ADDR_LO),
	  0x100 },
	{ "rx ring tail", TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_TAIL), 0x130 },
	{ "cmd ring size", TOE_REG_RING(TOE_RING_CMD, TOE_RING_SIZE), 0x148 },
	{ "evt ring head", TOE_REG_RING(TOE_RING_EVT, TOE_RING_HEAD), 0x16c },
	{ "evt ring tail", TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL), 0x170 },
	{ "scratch", TOE_REG_SCRATCH, 0x040 },
	{ "all causes", TOE_INTR_ALL, TOE_INTR_L2 | TOE_INTR_EVT |
					TOE_INTR_MISC },
	{ "id magic spells TOE1", TOE_ID_MAGIC, 'T' | 'O' << 8 | 'E' << 16 |
						 '1' << 24 },
};

static void toe_reg_desc(const struct toe_reg_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_reg, toe_reg_cases, toe_reg_desc);

static void register_offsets_match_the_map(struct kunit *test)
{
	const struct toe_reg_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->got, c->want);
}

struct toe_sts_case {
	u32 status;
	int err;
};

static const struct toe_sts_case toe_sts_cases[] = {
	{ TOE_STS_OK, 0 },
	{ TOE_STS_INVAL, -EINVAL },
	{ TOE_STS_FAULT, -EFAULT },
	{ TOE_STS_NOSPC, -ENOSPC },
	{ TOE_STS_NOENT, -ENOENT },
	{ TOE_STS_OPNOTSUPP, -EOPNOTSUPP },
	{ TOE_STS_BUSY, -EBUSY },
	{ TOE_STS_TOOBIG, -EMSGSIZE },
	{ TOE_STS_RESET, -ECONNRESET },
	{ TOE_STS_TIMEDOUT, -ETIMEDOUT },
	{ TOE_STS_IO, -EIO },
	{ 11, -EIO },
	{ 0xffffffff, -EIO },
};

static void toe_sts_desc(const struct toe_sts_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "status %u -> %d", c->status,
		 c->err);
}

KUNIT_ARRAY_PARAM(toe_sts, toe_sts_cases, toe_sts_desc);

static void status_maps_to_one_errno(struct kunit *test)
{
	const struct toe_sts_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, toe_status_to_errno(c->status), c->err);
}

static struct kunit_case toe_desc_cases[] = {
	KUNIT_CASE(tx_desc_is_written_little_endian),
	KUNIT_CASE(rx_desc_is_written_little_endian),
	KUNIT_CASE(cmd_is_written_little_endian),
	KUNIT_CASE(evt_is_read_little_endian),
	KUNIT_CASE(desc_status_bits_are_read_little_endian),
	KUNIT_CASE(mac_takes_byte0_from_low_bits),
	KUNIT_CASE_PARAM(register_offsets_match_the_map, toe_reg_gen_params),
	KUNIT_CASE_PARAM(status_maps_to_one_errno, toe_sts_gen_params),
	{}
};

static struct kunit_suite toe_desc_suite = {
	.name = "toe_desc",
	.test_cases = toe_desc_cases,
};

kunit_test_suite(toe_desc_suite);
