// SPDX-License-Identifier: GPL-2.0
/*
 * toe_move_kunit.c - offload and upload against a fake device
 * (toe_kunit_fakedev.c), each phase failing in turn.
 *
 * A connection over loopback carries data both ways: the client has sent
 * some the server has not read, and holds some the server sent that it
 * has not read. It is moved to the fake device, which answers each step
 * as the case says. Whatever fails, the connection ends on the host with
 * every byte: an offload that fails leaves it where it was; an upload
 * that fails brings it home from host state through a device reset. The
 * data sent afterwards, both ways, arrives too.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "toe_fakedev.h"
#include "toe_kunit.h"
#include "toe_sock.h"
#include "uapi/toe.h"

#define TOE_MOVE_PRE		(16 * 1024)	/* each way before the move */
#define TOE_MOVE_ON_NIC		(4 * 1024)	/* written while on the NIC */
#define TOE_MOVE_AFTER		(8 * 1024)	/* each way after it */
#define TOE_MOVE_UP_SEED	1		/* client to server */
#define TOE_MOVE_DOWN_SEED	2		/* server to client */

struct toe_move_ctx {
	struct toe_kunit_pair pair;	/* first: toe_kunit_pair_exit() */
	struct toe_fake *fake;
	u8 *buf;
};

/* A failure and what the core must make of it. */
struct toe_move_fault {
	const char *name;
	u32 fail;			/* BIT(enum toe_fake_op) */
	enum toe_fake_answer answer;
	u32 refusal;			/* offload: TOE_REFUSE_* */
	u32 resets;			/* device resets that follow */
};

static u8 toe_move_byte(u32 seed, u32 off)
{
	return (u8)(seed * 151 + off * 7 + (off >> 9));
}

/* Send [@off, @off + @len) of stream @seed. */
static void toe_move_put(struct kunit *test, struct socket *sock, u32 seed,
			 u32 off, u32 len)
{
	struct toe_move_ctx *c = test->priv;
	u32 i;

	for (i = 0; i < len; i++)
		c->buf[i] = toe_move_byte(seed, off + i);
	KUNIT_EXPECT_EQ(test, toe_kunit_send(sock, c->buf, len), (int)len);
}

/* Receive [@off, @off + @len) of stream @seed, byte for byte. */
static void toe_move_take(struct kunit *test, struct socket *sock, u32 seed,
			  u32 off, u32 len)
{
	struct toe_move_ctx *c = test->priv;
	u32 i;
	int n;

	memset(c->buf, 0, len);
	n = toe_kunit_recv(sock, c->buf, len, MSG_WAITALL);
	KUNIT_EXPECT_EQ_MSG(test, n, (int)len, "bytes %u.. of stream %u",
			    off, seed);
	for (i = 0; n > 0 && i < len; i++) {
		if (c->buf[i] != toe_move_byte(seed, off + i)) {
			KUNIT_FAIL(test, "stream %u: byte %u is %#x, not %#x",
				   seed, off + i, c->buf[i],
				   toe_move_byte(seed, off + i));
			return;
		}
	}
}

/* Everything sent either way has been acknowledged. */
static bool toe_move_settled(struct toe_move_ctx *c)
{
	const struct tcp_sock *a = tcp_sk(c->pair.client->sk);
	const struct tcp_sock *b = tcp_sk(c->pair.server->sk);

	return READ_ONCE(a->snd_una) == READ_ONCE(a->write_seq) &&
	       READ_ONCE(b->snd_una) == READ_ONCE(b->write_seq);
}

/*
 * A connection with the ULP on the client, data unread both ways, and
 * nothing in flight.
 */
static void toe_move_prepare(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct toe_kunit_pair *p = &c->pair;
	char name[TCP_ULP_NAME_MAX] = "toe";
	int i;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	p->client->sk->sk_rcvtimeo = 5 * HZ;
	p->server->sk->sk_rcvtimeo = 5 * HZ;
	KUNIT_ASSERT_EQ(test, p->client->ops->setsockopt(p->client, SOL_TCP,
							   TCP_ULP,
							   KERNEL_SOCKPTR(name),
							   strlen(name) + 1),
			0);
	toe_move_put(test, p->client, TOE_MOVE_UP_SEED, 0, TOE_MOVE_PRE);
	toe_move_put(test, p->server, TOE_MOVE_DOWN_SEED, 0, TOE_MOVE_PRE);
	for (i = 0; i < 100 && !toe_move_settled(c); i++)
		msleep(20);
	KUNIT_ASSERT_TRUE(test, toe_move_settled(c));
}

static int toe_move_offload(struct toe_move_ctx *c)
{
	static const u8 mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct sock *sk = c->pair.client->sk;
	int err;

	lock_sock(sk);
	err = toe_offload_to(sk, c->fake->priv, mac, 0);
	release_sock(sk);
	return err;
}

static int toe_move_upload(struct toe_move_ctx *c)
{
	int off = 0;

	return c->pair.client->ops->setsockopt(c->pair.client, SOL_TOE,
					       TOE_OFFLOAD,
					       KERNEL_SOCKPTR(&off),
					       sizeof(off));
}

/* On the host, nothing left on the device, the socket unharmed. */
static void toe_move_expect_home(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct sock *sk = c->pair.client->sk;
	struct toe_sock *ts = toe_sk(sk);

	flush_work(&c->fake->reset_work);
	KUNIT_EXPECT_EQ(test, ts->where, TOE_WHERE_HOST);
	KUNIT_EXPECT_NULL(test, ts->priv);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->fake->priv->n_conns), 0);
	KUNIT_EXPECT_TRUE(test, xa_empty(&c->fake->priv->conns));
	KUNIT_EXPECT_EQ(test, sk->sk_state, TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, sk->sk_err, 0);
}

/*
 * Every byte each side sent before, and @on_nic the client wrote while
 * on the NIC, arrives; so does more, both ways.
 */
static void toe_move_expect_intact(struct kunit *test, u32 on_nic)
{
	struct toe_move_ctx *c = test->priv;
	struct toe_kunit_pair *p = &c->pair;
	u32 up = TOE_MOVE_PRE + on_nic;

	toe_move_take(test, p->client, TOE_MOVE_DOWN_SEED, 0, TOE_MOVE_PRE);
	toe_move_take(test, p->server, TOE_MOVE_UP_SEED, 0, up);
	toe_move_put(test, p->client, TOE_MOVE_UP_SEED, up, TOE_MOVE_AFTER);
	toe_move_put(test, p->server, TOE_MOVE_DOWN_SEED, TOE_MOVE_PRE,
		     TOE_MOVE_AFTER);
	toe_move_take(test, p->server, TOE_MOVE_UP_SEED, up, TOE_MOVE_AFTER);
	toe_move_take(test, p->client, TOE_MOVE_DOWN_SEED, TOE_MOVE_PRE,
		      TOE_MOVE_AFTER);
}

static const struct toe_move_fault toe_offload_faults[] = {
	{ "DIVERT refused", BIT(TOE_FAKE_DIVERT), TOE_FAKE_ERROR,
	  TOE_REFUSE_DEVICE, 0 },
	{ "DIVERT unanswered", BIT(TOE_FAKE_DIVERT), TOE_FAKE_TIMEOUT,
	  TOE_REFUSE_DEVICE, 1 },
	{ "receive ring never drained", BIT(TOE_FAKE_DRAIN_RX),
	  TOE_FAKE_ERROR, TOE_REFUSE_BUSY, 0 },
	{ "OFFLOAD refused", BIT(TOE_FAKE_OFFLOAD), TOE_FAKE_ERROR,
	  TOE_REFUSE_DEVICE, 0 },
	{ "OFFLOAD unanswered", BIT(TOE_FAKE_OFFLOAD), TOE_FAKE_TIMEOUT,
	  TOE_REFUSE_DEVICE, 1 },
	{ "OFFLOAD then UNDIVERT refused",
	  BIT(TOE_FAKE_OFFLOAD) | BIT(TOE_FAKE_UNDIVERT), TOE_FAKE_ERROR,
	  TOE_REFUSE_DEVICE, 0 },
};

static const struct toe_move_fault toe_upload_faults[] = {
	{ "nothing fails", 0, TOE_FAKE_ERROR, 0, 0 },
	{ "UPLOAD refused", BIT(TOE_FAKE_UPLOAD), TOE_FAKE_ERROR, 0, 1 },
	{ "UPLOAD unanswered", BIT(TOE_FAKE_UPLOAD), TOE_FAKE_TIMEOUT, 0, 1 },
	{ "UPLOAD state acknowledges unwritten data", BIT(TOE_FAKE_UPLOAD),
	  TOE_FAKE_HOSTILE, 0, 1 },
	{ "UNDIVERT refused", BIT(TOE_FAKE_UNDIVERT), TOE_FAKE_ERROR, 0, 0 },
};

static void toe_fault_desc(const struct toe_move_fault *f, char *desc)
{
	strscpy(desc, f->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_offload_fault, toe_offload_faults, toe_fault_desc);
KUNIT_ARRAY_PARAM(toe_upload_fault, toe_upload_faults, toe_fault_desc);

/*
 * An offload whose step fails is refused with the reason, takes nothing
 * from the device, and leaves the connection on the host with its data.
 */
static void offload_fails_in_turn(struct kunit *test)
{
	const struct toe_move_fault *fault = test->param_value;
	struct toe_move_ctx *c = test->priv;
	struct toe_sock *ts;
	int err;

	toe_move_prepare(test);
	ts = toe_sk(c->pair.client->sk);
	c->fake->fail = fault->fail;
	c->fake->answer = fault->answer;
	err = toe_move_offload(c);
	KUNIT_EXPECT_LT(test, err, 0);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, fault->refusal);
	KUNIT_EXPECT_EQ(test, ts->info.offloads, 0);
	toe_move_expect_home(test);
	KUNIT_EXPECT_EQ(test, c->fake->resets, fault->resets);
	/* What DIVERT took is given back, whether or not OFFLOAD came. */
	if (fault->fail & ~BIT(TOE_FAKE_DIVERT))
		KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_UNDIVERT], 1);
	c->fake->fail = 0;
	toe_move_expect_intact(test, 0);
}

/*
 * A connection on the NIC, with data written there: an upload whose step
 * fails still ends with it on the host and every byte delivered. A
 * device that refuses or lies is reset, and the connection comes home
 * from host state.
 */
static void upload_fails_in_turn(struct kunit *test)
{
	const struct toe_move_fault *fault = test->param_value;
	struct toe_move_ctx *c = test->priv;
	struct toe_sock *ts;

	toe_move_prepare(test);
	ts = toe_sk(c->pair.client->sk);
	KUNIT_ASSERT_EQ(test, toe_move_offload(c), 0);
	KUNIT_ASSERT_EQ(test, ts->where, TOE_WHERE_NIC);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->fake->priv->n_conns), 1);
	toe_move_put(test, c->pair.client, TOE_MOVE_UP_SEED, TOE_MOVE_PRE,
		     TOE_MOVE_ON_NIC);
	KUNIT_EXPECT_EQ(test, c->fake->write_seq,
			READ_ONCE(ts->write_seq));

	c->fake->fail = fault->fail;
	c->fake->answer = fault->answer;
	KUNIT_EXPECT_EQ(test, toe_move_upload(c), 0);
	toe_move_expect_home(test);
	KUNIT_EXPECT_EQ(test, c->fake->resets, fault->resets);
	KUNIT_EXPECT_EQ(test, ts->info.uploads, 1);
	KUNIT_EXPECT_EQ(test, ts->info.last_upload_reason,
			fault->resets ? TOE_UPLOAD_WHY_RESET :
					TOE_UPLOAD_WHY_USER);
	c->fake->fail = 0;
	toe_move_expect_intact(test, TOE_MOVE_ON_NIC);
}

static int toe_move_init(struct kunit *test)
{
	struct toe_move_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	c->buf = kunit_kzalloc(test, TOE_MOVE_PRE + TOE_MOVE_ON_NIC +
			       TOE_MOVE_AFTER, GFP_KERNEL);
	if (!c->buf)
		return -ENOMEM;
	c->fake = toe_fake_create(4);
	if (IS_ERR(c->fake)) {
		kunit_err(test, "no fake device: %ld\n", PTR_ERR(c->fake));
		return PTR_ERR(c->fake);
	}
	test->priv = c;
	return 0;
}

static void toe_move_exit(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;

	if (!c)
		return;		/* init failed, and said why */
	/* The sockets first: one still on the fake device goes home. */
	c->fake->fail = 0;
	toe_kunit_pair_exit(test);
	toe_fake_destroy(c->fake);
}

static struct kunit_case toe_move_test_cases[] = {
	KUNIT_CASE_PARAM(offload_fails_in_turn, toe_offload_fault_gen_params),
	KUNIT_CASE_PARAM(upload_fails_in_turn, toe_upload_fault_gen_params),
	{}
};

static struct kunit_suite toe_move_suite = {
	.name = "toe_move",
	.init = toe_move_init,
	.exit = toe_move_exit,
	.test_cases = toe_move_test_cases,
};

kunit_test_suite(toe_move_suite);
