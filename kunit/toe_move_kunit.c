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
#include <asm/unaligned.h>

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
	u32 why;			/* upload: TOE_UPLOAD_WHY_* it ends with */
	bool taken;			/* offload: the device may have it */
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

/* The peer's MAC address the moves name. */
static const u8 toe_move_mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static int toe_move_offload(struct toe_move_ctx *c)
{
	struct sock *sk = c->pair.client->sk;
	int err;

	lock_sock(sk);
	err = toe_offload_to(sk, c->fake->priv, toe_move_mac, 0);
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
	{ "DIVERT ended by a reset", BIT(TOE_FAKE_DIVERT), TOE_FAKE_RESET,
	  TOE_REFUSE_DEVICE, 1 },
	{ "DIVERT while the device is down", BIT(TOE_FAKE_DIVERT),
	  TOE_FAKE_DOWN, TOE_REFUSE_DEVICE, 1 },
	{ "receive ring never drained", BIT(TOE_FAKE_DRAIN_RX),
	  TOE_FAKE_ERROR, TOE_REFUSE_BUSY, 0 },
	{ "OFFLOAD refused", BIT(TOE_FAKE_OFFLOAD), TOE_FAKE_ERROR,
	  TOE_REFUSE_DEVICE, 0 },
	/* It may have taken it: home from host state by the reset. */
	{ "OFFLOAD unanswered", BIT(TOE_FAKE_OFFLOAD), TOE_FAKE_TIMEOUT,
	  TOE_REFUSE_DEVICE, 1, 0, true },
	{ "OFFLOAD ended by a reset", BIT(TOE_FAKE_OFFLOAD), TOE_FAKE_RESET,
	  TOE_REFUSE_DEVICE, 1, 0, true },
	{ "OFFLOAD while the device is down", BIT(TOE_FAKE_OFFLOAD),
	  TOE_FAKE_DOWN, TOE_REFUSE_DEVICE, 1 },
	{ "OFFLOAD then UNDIVERT refused",
	  BIT(TOE_FAKE_OFFLOAD) | BIT(TOE_FAKE_UNDIVERT), TOE_FAKE_ERROR,
	  TOE_REFUSE_DEVICE, 1 },
};

static const struct toe_move_fault toe_upload_faults[] = {
	{ "nothing fails", 0, TOE_FAKE_ERROR, 0, 0, TOE_UPLOAD_WHY_USER },
	{ "UPLOAD refused", BIT(TOE_FAKE_UPLOAD), TOE_FAKE_ERROR, 0, 1,
	  TOE_UPLOAD_WHY_RESET },
	{ "UPLOAD unanswered", BIT(TOE_FAKE_UPLOAD), TOE_FAKE_TIMEOUT, 0, 1,
	  TOE_UPLOAD_WHY_RESET },
	{ "UPLOAD ended by a reset", BIT(TOE_FAKE_UPLOAD), TOE_FAKE_RESET, 0,
	  1, TOE_UPLOAD_WHY_RESET },
	{ "UPLOAD while the device is down", BIT(TOE_FAKE_UPLOAD),
	  TOE_FAKE_DOWN, 0, 1, TOE_UPLOAD_WHY_RESET },
	{ "UPLOAD state acknowledges unwritten data", BIT(TOE_FAKE_UPLOAD),
	  TOE_FAKE_HOSTILE, 0, 1, TOE_UPLOAD_WHY_RESET },
	/* Home by the upload; the device is reset to drop its hold. */
	{ "UNDIVERT refused", BIT(TOE_FAKE_UNDIVERT), TOE_FAKE_ERROR, 0, 1,
	  TOE_UPLOAD_WHY_USER },
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
	/*
	 * What DIVERT took is given back, whether or not OFFLOAD came; by the
	 * reset, if the device may have taken the connection.
	 */
	if (fault->fail & ~BIT(TOE_FAKE_DIVERT))
		KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_UNDIVERT],
				fault->taken ? 0 : 1);
	/* Taken, it came home from host state: the status page's. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->fake->priv->stats.failovers),
			fault->taken ? 1 : 0);
	c->fake->fail = 0;
	toe_move_expect_intact(test, 0);
}

/*
 * Move the connection, write to it on the NIC, and bring it home with the
 * fake answering as @fail and @answer say: it must end on the host with
 * every byte, after @resets device resets, for reason @why.
 */
static void toe_move_upload_case(struct kunit *test, u32 fail,
				 enum toe_fake_answer answer, u32 resets,
				 u32 why)
{
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

	c->fake->fail = fail;
	c->fake->answer = answer;
	KUNIT_EXPECT_EQ(test, toe_move_upload(c), 0);
	toe_move_expect_home(test);
	KUNIT_EXPECT_EQ(test, c->fake->resets, resets);
	KUNIT_EXPECT_EQ(test, ts->info.uploads, 1);
	KUNIT_EXPECT_EQ(test, ts->info.last_upload_reason, why);
	c->fake->fail = 0;
	toe_move_expect_intact(test, TOE_MOVE_ON_NIC);
}

/*
 * An upload whose step fails still ends with the connection on the host
 * and every byte delivered. A device that refuses or lies is reset, and
 * the connection comes home from host state.
 */
static void upload_fails_in_turn(struct kunit *test)
{
	const struct toe_move_fault *fault = test->param_value;

	toe_move_upload_case(test, fault->fail, fault->answer, fault->resets,
			     fault->why);
}

/*
 * One field of the state UPLOAD gives back, out of range: set to @value,
 * or (@relative) to the field at @from plus @value, modulo its width.
 */
struct toe_poke {
	const char *name;
	size_t off;
	size_t width;
	bool relative;
	size_t from;
	u32 value;
};

#define TOE_POKE(n, f, v)						\
	{ n, offsetof(struct toe_conn_state, f),			\
	  sizeof_field(struct toe_conn_state, f), false, 0, v }
#define TOE_POKE_REL(n, f, base, d)					\
	{ n, offsetof(struct toe_conn_state, f),			\
	  sizeof_field(struct toe_conn_state, f), true,			\
	  offsetof(struct toe_conn_state, base), d }

static const struct toe_poke toe_pokes[] = {
	TOE_POKE_REL("snd_una past what was written", snd_una, write_seq,
		     4096),
	TOE_POKE_REL("snd_una behind what was acknowledged", snd_una,
		     snd_una, -1),
	TOE_POKE_REL("snd_nxt behind snd_una", snd_nxt, snd_una, -1),
	TOE_POKE_REL("snd_nxt past what was written", snd_nxt, write_seq, 1),
	TOE_POKE_REL("write_seq not the host's", write_seq, write_seq, 100),
	TOE_POKE_REL("rcv_nxt behind what was placed", rcv_nxt, rcv_nxt, -1),
	TOE_POKE_REL("rcv_nxt past the receive ring", rcv_nxt, rcv_nxt,
		     16 << 20),
	TOE_POKE_REL("rcv_wup past rcv_nxt", rcv_wup, rcv_nxt, 1),
	TOE_POKE_REL("another remote port", remote_port, remote_port, 1),
	TOE_POKE("another local port", local_port, 0),
	TOE_POKE("family 5", family, 5),
	TOE_POKE("state SYN_SENT", state, TCP_SYN_SENT),
	TOE_POKE("window scale 15", snd_wscale, 15),
	TOE_POKE("send window past its scale", snd_wnd, U32_MAX),
	TOE_POKE("receive window past its scale", rcv_wnd, U32_MAX),
	TOE_POKE("RTT of an hour", srtt_us, 3600U * USEC_PER_SEC),
	TOE_POKE("RTT variance past the ceiling", rttvar_us, U32_MAX),
	TOE_POKE("RTO past the ceiling", rto_us, U32_MAX),
	TOE_POKE("cwnd past an int", snd_cwnd, 0x80000000u),
	TOE_POKE("ssthresh past an int", snd_ssthresh, 0x80000000u),
	TOE_POKE("version 99", version, 99),
	TOE_POKE("size 1", size, 1),
};

static u32 toe_poke_get(const u8 *p, size_t width)
{
	if (width == 1)
		return *p;
	if (width == 2)
		return get_unaligned_le16(p);
	return get_unaligned_le32(p);
}

static void toe_poke_set(u8 *p, size_t width, u32 v)
{
	if (width == 1)
		*p = v;
	else if (width == 2)
		put_unaligned_le16(v, p);
	else
		put_unaligned_le32(v, p);
}

static void toe_poke_apply(struct toe_conn_state *cs, const void *arg)
{
	const struct toe_poke *k = arg;
	u8 *base = (u8 *)cs;
	u32 v = k->value;

	/* Ports are big-endian on the wire; any change is another port. */
	if (k->relative)
		v += toe_poke_get(base + k->from, k->width);
	toe_poke_set(base + k->off, k->width, v);
}

static void toe_poke_desc(const struct toe_poke *k, char *desc)
{
	strscpy(desc, k->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_poke, toe_pokes, toe_poke_desc);

/*
 * UPLOAD answers with one field of the state out of range: the device is
 * reset, and the connection comes home from host state, intact. Nothing
 * reads past a ring (KASAN in the debug flavour).
 */
static void upload_state_out_of_range(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;

	c->fake->corrupt = toe_poke_apply;
	c->fake->corrupt_arg = test->param_value;
	toe_move_upload_case(test, BIT(TOE_FAKE_UPLOAD), TOE_FAKE_HOSTILE, 1,
			     TOE_UPLOAD_WHY_RESET);
}

/* A SOL_TCP option, as the application sets it (the ULP's setsockopt). */
static int toe_move_tcp_opt(struct socket *sock, int optname, int val)
{
	return sock->ops->setsockopt(sock, SOL_TCP, optname,
				     KERNEL_SOCKPTR(&val), sizeof(val));
}

/*
 * Once the device has closed a connection (the peer reset it), it gives
 * the slot to the next DIVERT: the host sends nothing more about it,
 * neither the credit of what the application reads, nor options.
 */
static void closed_connection_gets_no_command(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct socket *sock;
	u32 opts, freed;
	char b[64];

	toe_move_prepare(test);
	sock = c->pair.client;
	KUNIT_ASSERT_EQ(test, toe_move_offload(c), 0);
	/* On the NIC, an option goes to the device. */
	KUNIT_EXPECT_EQ(test, toe_move_tcp_opt(sock, TCP_NODELAY, 1), 0);
	opts = c->fake->calls[TOE_FAKE_SET_OPTS];
	KUNIT_EXPECT_EQ(test, opts, 1u);

	toe_fake_event(c->fake, c->fake->handle, c->fake->conn_id,
		       TOE_EVT_CLOSED, TOE_STS_RESET, 0, 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(toe_sk(sock->sk)->closed));
	freed = c->fake->calls[TOE_FAKE_RECV_FREED];
	/* What the ULP held from before the move is still read... */
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(sock, b, sizeof(b), MSG_DONTWAIT),
			(int)sizeof(b));
	sock_set_keepalive(sock->sk);
	KUNIT_EXPECT_EQ(test, toe_move_tcp_opt(sock, TCP_KEEPIDLE, 30), 0);
	/* ... and nothing goes to a slot that may be another's. */
	KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_RECV_FREED], freed);
	KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_SET_OPTS], opts);
}

/* An event that does not fit what the host knows of the connection. */
enum toe_bad_event {
	TOE_BAD_OTHER_SLOT,
	TOE_BAD_OTHER_HANDLE,
	TOE_BAD_WIDE_HANDLE,
	TOE_BAD_ACKED_UNWRITTEN,
	TOE_BAD_ACKED_BACK,
	TOE_BAD_RECV_PAST_RING,
	TOE_BAD_RECV_BACK,
	TOE_BAD_TYPE,
	TOE_BAD_NO_REASON,
	TOE_BAD_REASON,
};

struct toe_bad_event_case {
	const char *name;
	enum toe_bad_event what;
};

static const struct toe_bad_event_case toe_bad_events[] = {
	{ "ACKED for another slot", TOE_BAD_OTHER_SLOT },
	{ "ACKED for an unknown handle", TOE_BAD_OTHER_HANDLE },
	{ "ACKED for a handle past 32 bits", TOE_BAD_WIDE_HANDLE },
	{ "ACKED past what was written", TOE_BAD_ACKED_UNWRITTEN },
	{ "ACKED behind what was acknowledged", TOE_BAD_ACKED_BACK },
	{ "RECV past the receive ring", TOE_BAD_RECV_PAST_RING },
	{ "RECV behind what was placed", TOE_BAD_RECV_BACK },
	{ "an unknown event type", TOE_BAD_TYPE },
	{ "UPLOAD_REQ with no reason", TOE_BAD_NO_REASON },
	{ "UPLOAD_REQ with an unknown reason", TOE_BAD_REASON },
};

static void toe_bad_event_desc(const struct toe_bad_event_case *e,
			       char *desc)
{
	strscpy(desc, e->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_bad_event, toe_bad_events, toe_bad_event_desc);

static void toe_send_bad_event(struct toe_move_ctx *c, struct toe_sock *ts,
			       enum toe_bad_event what)
{
	struct toe_fake *f = c->fake;
	u64 handle = f->handle;
	u32 id = f->conn_id, value = READ_ONCE(ts->write_seq);
	u16 type = TOE_EVT_ACKED, reason = 0;

	switch (what) {
	case TOE_BAD_OTHER_SLOT:
		id++;
		break;
	case TOE_BAD_OTHER_HANDLE:
		handle++;
		break;
	case TOE_BAD_WIDE_HANDLE:
		handle |= 1ULL << 40;
		break;
	case TOE_BAD_ACKED_UNWRITTEN:
		value++;
		break;
	case TOE_BAD_ACKED_BACK:
		value = READ_ONCE(ts->snd_una) - 1;
		break;
	case TOE_BAD_RECV_PAST_RING:
		type = TOE_EVT_RECV;
		value = ts->copied + ts->rcv.size + 1;
		break;
	case TOE_BAD_RECV_BACK:
		type = TOE_EVT_RECV;
		value = READ_ONCE(ts->rcv_end) - 1;
		break;
	case TOE_BAD_TYPE:
		type = 0x7777;
		break;
	case TOE_BAD_NO_REASON:
		type = TOE_EVT_UPLOAD_REQ;
		break;
	case TOE_BAD_REASON:
		type = TOE_EVT_UPLOAD_REQ;
		reason = 200;
		break;
	}
	toe_fake_event(f, handle, id, type, 0, reason, value);
}

/*
 * An event with a stale or foreign id, or a value the connection cannot
 * have, is counted and dropped: nothing of the connection moves, no
 * upload is asked, and it goes on, and comes home, intact. After it came
 * home, an event with its old handle and slot is dropped the same way.
 */
static void event_out_of_place_is_dropped(struct kunit *test)
{
	const struct toe_bad_event_case *e = test->param_value;
	struct toe_move_ctx *c = test->priv;
	atomic64_t *bad = &c->fake->priv->stats.evt_bad;
	u32 una, rcv_end;
	struct toe_sock *ts;
	s64 before;

	toe_move_prepare(test);
	ts = toe_sk(c->pair.client->sk);
	KUNIT_ASSERT_EQ(test, toe_move_offload(c), 0);
	una = READ_ONCE(ts->snd_una);
	rcv_end = READ_ONCE(ts->rcv_end);
	before = atomic64_read(bad);
	toe_send_bad_event(c, ts, e->what);
	KUNIT_EXPECT_EQ(test, atomic64_read(bad), before + 1);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ts->snd_una), una);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ts->rcv_end), rcv_end);
	KUNIT_EXPECT_EQ(test, ts->upload_why, TOE_UPLOAD_WHY_NONE);
	KUNIT_EXPECT_EQ(test, ts->where, TOE_WHERE_NIC);

	KUNIT_EXPECT_EQ(test, toe_move_upload(c), 0);
	toe_move_expect_home(test);
	before = atomic64_read(bad);
	toe_fake_event(c->fake, c->fake->handle, c->fake->conn_id,
		       TOE_EVT_ACKED, 0, 0, READ_ONCE(ts->write_seq));
	KUNIT_EXPECT_EQ(test, atomic64_read(bad), before + 1);
	toe_move_expect_intact(test, 0);
}

/*
 * The device's removal brings its connections home and closes the gate
 * for new moves first: a move asked for afterwards (by the application,
 * or the policy within milliseconds) is refused before anything reaches
 * the device.
 */
static void removal_brings_home_and_closes_the_gate(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct toe_sock *ts;
	u32 diverts;

	toe_move_prepare(test);
	ts = toe_sk(c->pair.client->sk);
	KUNIT_ASSERT_EQ(test, toe_move_offload(c), 0);
	toe_move_put(test, c->pair.client, TOE_MOVE_UP_SEED, TOE_MOVE_PRE,
		     TOE_MOVE_ON_NIC);
	toe_fake_remove(c->fake);
	toe_move_expect_home(test);
	KUNIT_EXPECT_EQ(test, ts->info.uploads, 1);
	diverts = c->fake->calls[TOE_FAKE_DIVERT];
	KUNIT_EXPECT_EQ(test, toe_move_offload(c), -ENODEV);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_ROUTE);
	KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_DIVERT], diverts);
	toe_move_expect_intact(test, TOE_MOVE_ON_NIC);
}

/*
 * A SEND the command ring had no room for is posted again on its own:
 * the application, which may now only wait for a reply, need not write
 * again for the device to learn of its data.
 */
static void unposted_send_is_posted_again(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct toe_sock *ts;
	u32 sends;
	int i;

	toe_move_prepare(test);
	ts = toe_sk(c->pair.client->sk);
	KUNIT_ASSERT_EQ(test, toe_move_offload(c), 0);
	c->fake->answer = TOE_FAKE_ERROR;
	WRITE_ONCE(c->fake->fail, BIT(TOE_FAKE_SEND));
	toe_move_put(test, c->pair.client, TOE_MOVE_UP_SEED, TOE_MOVE_PRE,
		     TOE_MOVE_ON_NIC);
	KUNIT_EXPECT_NE(test, READ_ONCE(c->fake->write_seq),
			READ_ONCE(ts->write_seq));
	sends = READ_ONCE(c->fake->calls[TOE_FAKE_SEND]);
	msleep(100);
	/* Tried again, and again, while the ring stays full. */
	KUNIT_EXPECT_GT(test, READ_ONCE(c->fake->calls[TOE_FAKE_SEND]),
			sends + 1);
	WRITE_ONCE(c->fake->fail, 0);
	for (i = 0; i < 50 && READ_ONCE(c->fake->write_seq) !=
			      READ_ONCE(ts->write_seq); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->fake->write_seq),
			READ_ONCE(ts->write_seq));
	KUNIT_EXPECT_EQ(test, toe_move_upload(c), 0);
	toe_move_expect_home(test);
	toe_move_expect_intact(test, TOE_MOVE_ON_NIC);
}

/*
 * A segment from the server to the client, @len bytes of data at the
 * client's rcv_nxt, with the control block tcp_v4_rcv() gives it.
 */
static struct sk_buff *toe_move_segment(struct sock *sk, u32 len)
{
	const struct inet_sock *inet = inet_sk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	struct tcphdr *th;

	skb = alloc_skb(MAX_TCP_HEADER + len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_TCP_HEADER);
	skb_put_zero(skb, len);
	th = skb_push(skb, sizeof(*th));
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = inet->inet_dport;
	th->dest = inet->inet_sport;
	th->seq = htonl(tp->rcv_nxt);
	th->ack_seq = htonl(tp->snd_una);
	th->doff = sizeof(*th) / 4;
	th->ack = 1;
	th->window = htons(1024);
	skb->protocol = htons(ETH_P_IP);
	TCP_SKB_CB(skb)->seq = tp->rcv_nxt;
	TCP_SKB_CB(skb)->end_seq = tp->rcv_nxt + len;
	TCP_SKB_CB(skb)->ack_seq = tp->snd_una;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
	return skb;
}

/*
 * A segment that reaches the socket's backlog after the connection went
 * to the NIC (by a path the offload could not drain) is dropped and
 * counted; the kernel's TCP never sees it.
 */
static void late_segment_is_dropped(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct sk_buff *skb;
	struct sock *sk;
	u32 rcv_nxt;

	toe_move_prepare(test);
	sk = c->pair.client->sk;
	KUNIT_ASSERT_EQ(test, toe_move_offload(c), 0);
	skb = toe_move_segment(sk, 100);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	lock_sock(sk);
	rcv_nxt = tcp_sk(sk)->rcv_nxt;
	KUNIT_EXPECT_EQ(test, sk->sk_backlog_rcv(sk, skb), 0);
	KUNIT_EXPECT_EQ(test, tcp_sk(sk)->rcv_nxt, rcv_nxt);
	KUNIT_EXPECT_TRUE(test, skb_queue_empty(&sk->sk_receive_queue));
	release_sock(sk);
	KUNIT_EXPECT_EQ(test,
			atomic64_read(&c->fake->priv->stats.late_segments), 1);
	KUNIT_EXPECT_EQ(test, toe_move_upload(c), 0);
	toe_move_expect_home(test);
	toe_move_expect_intact(test, 0);
}

/*
 * A generic XDP program on the interface may hold a frame back past the
 * move (a cpumap): the move is refused, and nothing is asked of the
 * device.
 */
static void xdp_program_refuses_the_move(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct net_device *netdev = c->fake->netdev;
	struct toe_sock *ts;

	toe_move_prepare(test);
	ts = toe_sk(c->pair.client->sk);
	/* Only its presence is looked at: no program runs here. */
	RCU_INIT_POINTER(netdev->xdp_prog, (struct bpf_prog *)netdev);
	KUNIT_EXPECT_EQ(test, toe_move_offload(c), -EOPNOTSUPP);
	RCU_INIT_POINTER(netdev->xdp_prog, NULL);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_XDP);
	KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_DIVERT], 0);
	toe_move_expect_home(test);
	toe_move_expect_intact(test, 0);
}

/*
 * A window promised to the peer that the largest receive ring cannot
 * hold: the engine would have to move its right edge left. The move is
 * refused before anything is asked of the device.
 */
static void window_past_the_largest_ring_refuses_the_move(struct kunit *test)
{
	struct toe_move_ctx *c = test->priv;
	struct tcp_sock *tp;
	struct toe_sock *ts;
	struct sock *sk;
	u32 wnd, wup;

	toe_move_prepare(test);
	sk = c->pair.client->sk;
	tp = tcp_sk(sk);
	ts = toe_sk(sk);
	lock_sock(sk);
	wnd = tp->rcv_wnd;
	wup = tp->rcv_wup;
	tp->rcv_wup = tp->rcv_nxt;
	tp->rcv_wnd = 4 << 20;
	KUNIT_EXPECT_EQ(test, toe_offload_to(sk, c->fake->priv, toe_move_mac, 0),
			-ENOBUFS);
	tp->rcv_wnd = wnd;
	tp->rcv_wup = wup;
	release_sock(sk);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_QUEUED);
	KUNIT_EXPECT_EQ(test, c->fake->calls[TOE_FAKE_DIVERT], 0);
	toe_move_expect_home(test);
	toe_move_expect_intact(test, 0);
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
	KUNIT_CASE_PARAM(upload_state_out_of_range, toe_poke_gen_params),
	KUNIT_CASE(closed_connection_gets_no_command),
	KUNIT_CASE_PARAM(event_out_of_place_is_dropped,
			 toe_bad_event_gen_params),
	KUNIT_CASE(removal_brings_home_and_closes_the_gate),
	KUNIT_CASE(unposted_send_is_posted_again),
	KUNIT_CASE(late_segment_is_dropped),
	KUNIT_CASE(xdp_program_refuses_the_move),
	KUNIT_CASE(window_past_the_largest_ring_refuses_the_move),
	{}
};

static struct kunit_suite toe_move_suite = {
	.name = "toe_move",
	.init = toe_move_init,
	.exit = toe_move_exit,
	.test_cases = toe_move_test_cases,
};

kunit_test_suite(toe_move_suite);
