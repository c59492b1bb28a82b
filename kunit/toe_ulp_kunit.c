// SPDX-License-Identifier: GPL-2.0
/*
 * toe_ulp_kunit.c - the "toe" ULP on real TCP sockets connected over
 * loopback in the kernel: when it attaches, how SOL_TOE options answer,
 * that a socket whose route does not leave through a toe NIC is refused
 * and stays whole, that data goes through the ULP's operations intact
 * while the connection is on the host, and that a socket with a thread
 * asleep in the kernel's own receive may not move.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "toe_kunit.h"
#include "toe_sock.h"
#include "uapi/toe.h"

static int toe_attach_ulp(struct socket *sock, const char *ulp)
{
	char name[TCP_ULP_NAME_MAX];

	strscpy(name, ulp, sizeof(name));
	return sock->ops->setsockopt(sock, SOL_TCP, TCP_ULP,
				     KERNEL_SOCKPTR(name), strlen(name) + 1);
}

static int toe_attach(struct socket *sock)
{
	return toe_attach_ulp(sock, "toe");
}

static int toe_set(struct socket *sock, int optname, int val,
		   unsigned int len)
{
	return sock->ops->setsockopt(sock, SOL_TOE, optname,
				     KERNEL_SOCKPTR(&val), len);
}

/* A listener is no connection: the ULP is refused there. */
static void attach_needs_a_connection(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	KUNIT_EXPECT_EQ(test, toe_attach(p->listener), -ENOTCONN);
	KUNIT_EXPECT_FALSE(test, toe_sock_is_ours(p->listener->sk));
	KUNIT_EXPECT_EQ(test, toe_attach(p->client), 0);
	KUNIT_EXPECT_TRUE(test, toe_sock_is_ours(p->client->sk));
	/*
	 * Asking again is no error (the policy may have attached it first);
	 * another ULP is refused, as the kernel refuses a second one.
	 */
	KUNIT_EXPECT_EQ(test, toe_attach(p->client), 0);
	KUNIT_EXPECT_TRUE(test, toe_sock_is_ours(p->client->sk));
	KUNIT_EXPECT_EQ(test, toe_attach_ulp(p->client, "tls"), -EEXIST);
}

/* SOL_TOE options check what they are given. */
static void options_refuse_bad_values(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	KUNIT_ASSERT_EQ(test, toe_attach(p->client), 0);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 2, sizeof(int)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 1, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_INFO, 1, sizeof(int)),
			-ENOPROTOOPT);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, 99, 1, sizeof(int)),
			-ENOPROTOOPT);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_FORBID, 2, sizeof(int)),
			-EINVAL);
	/* Bringing home what is home does nothing, and succeeds. */
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 0, sizeof(int)),
			0);
	KUNIT_EXPECT_EQ(test, toe_sk(p->client->sk)->info.uploads, 0);
}

/*
 * Loopback does not leave through a toe NIC: the move is refused with
 * ENODEV and reason route, nothing is left behind, and the connection
 * goes on carrying data both ways through the ULP's operations.
 */
static void loopback_is_refused_and_stays_whole(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	static const char out[] = "through the ULP, on the host";
	char in[sizeof(out)] = {};
	struct toe_sock *ts;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	KUNIT_ASSERT_EQ(test, toe_attach(p->client), 0);
	ts = toe_sk(p->client->sk);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 1, sizeof(int)),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_ROUTE);
	KUNIT_EXPECT_EQ(test, ts->info.offloads, 0);
	KUNIT_EXPECT_EQ(test, ts->where, TOE_WHERE_HOST);
	KUNIT_EXPECT_NULL(test, ts->priv);

	/* Client (ULP) to server, then back, then a peek and a read. */
	KUNIT_EXPECT_EQ(test, toe_kunit_send(p->client, out, sizeof(out)),
			(int)sizeof(out));
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(p->server, in, sizeof(in), MSG_WAITALL),
			(int)sizeof(in));
	KUNIT_EXPECT_STREQ(test, in, out);
	memset(in, 0, sizeof(in));
	KUNIT_EXPECT_EQ(test, toe_kunit_send(p->server, out, sizeof(out)),
			(int)sizeof(out));
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(p->client, in, 4, MSG_PEEK |
				       MSG_WAITALL), 4);
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(p->client, in, sizeof(in),
				       MSG_WAITALL), (int)sizeof(in));
	KUNIT_EXPECT_STREQ(test, in, out);
	/* Nothing more: a non-blocking read says so. */
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(p->client, in, sizeof(in),
				       MSG_DONTWAIT), -EAGAIN);
}

/* The peer's FIN reaches a reader through the ULP as end of stream. */
static void end_of_stream(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	char c;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	KUNIT_ASSERT_EQ(test, toe_attach(p->client), 0);
	KUNIT_EXPECT_EQ(test, toe_kunit_send(p->server, "x", 1), 1);
	KUNIT_ASSERT_EQ(test, kernel_sock_shutdown(p->server, SHUT_WR), 0);
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(p->client, &c, 1, 0), 1);
	KUNIT_EXPECT_EQ(test, c, 'x');
	KUNIT_EXPECT_EQ(test, toe_kunit_recv(p->client, &c, 1, 0), 0);
}

/* TOE_FORBID keeps the socket off the NIC until it is cleared. */
static void forbid_refuses_offload(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	struct toe_sock *ts;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	KUNIT_ASSERT_EQ(test, toe_attach(p->client), 0);
	ts = toe_sk(p->client->sk);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_FORBID, 1, sizeof(int)), 0);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 1, sizeof(int)),
			-EPERM);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_FORBIDDEN);
	KUNIT_EXPECT_TRUE(test, ts->forbid);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_FORBID, 0, sizeof(int)), 0);
	/* Allowed again: judged on the rest, here the route. */
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 1, sizeof(int)),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_ROUTE);
}

struct toe_reader {
	struct socket *sock;
	char buf[8];
	int ret;
	struct completion done;
};

static int toe_reader_fn(void *arg)
{
	struct toe_reader *r = arg;

	r->ret = toe_kunit_recv(r->sock, r->buf, sizeof(r->buf), MSG_WAITALL);
	complete(&r->done);
	return 0;
}

/*
 * A thread asleep in the kernel's own tcp_recvmsg(), entered before the
 * ULP was attached (as when toectl attaches it from outside): the socket
 * may not move under it (EBUSY, reason busy). Once it is out, the move
 * is judged on the rest (here refused for the route).
 */
static void thread_in_kernel_recv_is_busy(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	struct toe_reader *r;
	struct task_struct *t;
	struct toe_sock *ts;
	int i;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->sock = p->client;
	init_completion(&r->done);
	t = kthread_run(toe_reader_fn, r, "toe-kunit-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/* No barrier needed: the reader's add_wait_queue() locks the queue. */
	for (i = 0; i < 100 && !waitqueue_active(sk_sleep(p->client->sk)); i++)
		msleep(20);
	/* As above: the reader is asleep on the queue by now. */
	KUNIT_ASSERT_TRUE(test, waitqueue_active(sk_sleep(p->client->sk)));

	KUNIT_ASSERT_EQ(test, toe_attach(p->client), 0);
	ts = toe_sk(p->client->sk);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 1, sizeof(int)),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_BUSY);

	KUNIT_EXPECT_EQ(test, toe_kunit_send(p->server, "wake up!", 8), 8);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&r->done, 5 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, r->ret, 8);
	toe_expect_bytes(test, r->buf, "wake up!", 8);
	KUNIT_EXPECT_EQ(test, toe_set(p->client, TOE_OFFLOAD, 1, sizeof(int)),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, ts->info.last_refusal, TOE_REFUSE_ROUTE);
}

static struct kunit_case toe_ulp_test_cases[] = {
	KUNIT_CASE(attach_needs_a_connection),
	KUNIT_CASE(options_refuse_bad_values),
	KUNIT_CASE(loopback_is_refused_and_stays_whole),
	KUNIT_CASE(end_of_stream),
	KUNIT_CASE(thread_in_kernel_recv_is_busy),
	KUNIT_CASE(forbid_refuses_offload),
	{}
};

static struct kunit_suite toe_ulp_suite = {
	.name = "toe_ulp",
	.init = toe_kunit_pair_init,
	.exit = toe_kunit_pair_exit,
	.test_cases = toe_ulp_test_cases,
};

kunit_test_suite(toe_ulp_suite);
