// SPDX-License-Identifier: GPL-2.0
/*
 * toe_capture_kunit.c - capture the control block of real TCP sockets,
 * connected to each other over loopback in the kernel, and check every
 * field against what the kernel reports: TCP_INFO, the socket's names,
 * the peer's own control block and the bytes the test moved.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "toe_capture.h"
#include "toe_kunit.h"


struct toe_capture_case {
	const char *name;
	int listen_family;	/* AF_INET or AF_INET6 */
	int client_family;	/* AF_INET6 with an AF_INET listener: mapped */
	u8 tcb_family;		/* 4 or 6: what the capture must say */
};

static const struct toe_capture_case toe_capture_cases[] = {
	{ "IPv4", AF_INET, AF_INET, 4 },
	{ "IPv6", AF_INET6, AF_INET6, 6 },
	{ "IPv6 socket to an IPv4-mapped address", AF_INET, AF_INET6, 4 },
};

static void toe_capture_desc(const struct toe_capture_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toe_capture, toe_capture_cases, toe_capture_desc);

/* The 16 address bytes of a toe_tcb for @ss (IPv4 first, mapped or not). */
static void toe_tcb_addr(const struct sockaddr_storage *ss, u8 addr[16])
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ipv6_addr_v4mapped(&sin6->sin6_addr))
		memcpy(addr, &sin6->sin6_addr.s6_addr32[3], 4);
	else
		memcpy(addr, &sin6->sin6_addr, 16);
}

/* A byte of the test's streams: position-dependent, so order shows. */
static u8 toe_pattern(size_t pos)
{
	return (u8)(pos * 7 + (pos >> 8));
}

static void toe_send(struct kunit *test, struct socket *sock, size_t len,
		     int flags)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	struct msghdr msg = { .msg_flags = flags };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < len; i++)
		buf[i] = toe_pattern(i);
	KUNIT_ASSERT_EQ(test, kernel_sendmsg(sock, &msg, &iov, 1, len),
			(int)len);
}

static void toe_recv(struct kunit *test, struct socket *sock, size_t len)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kernel_recvmsg(sock, &msg, &iov, 1, len,
					     MSG_WAITALL), (int)len);
	for (i = 0; i < len; i++)
		if (buf[i] != toe_pattern(i))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, len, "stream differs at byte %zu", i);
}

static void toe_capture_locked(struct socket *sock, struct toe_tcb *tcb,
			       enum toe_refusal *why)
{
	lock_sock(sock->sk);
	if (why)
		*why = toe_sock_refusal(sock->sk);
	if (tcb)
		toe_tcb_capture(sock->sk, tcb);
	release_sock(sock->sk);
}

/*
 * Wait until @sock has nothing unacknowledged (loopback's delayed ACKs
 * take up to 200 ms; this waits up to 3 s), so that both ends' views agree.
 */
static bool toe_wait_acked(struct socket *sock)
{
	struct toe_tcb tcb;
	int i;

	for (i = 0; i < 150; i++) {
		toe_capture_locked(sock, &tcb, NULL);
		if (tcb.snd_una == tcb.write_seq)
			return true;
		msleep(20);
	}
	return false;
}

static int toe_setsockopt_int(struct socket *sock, int level, int opt,
			      int val)
{
	return sock->ops->setsockopt(sock, level, opt, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

/* Check one end's capture: @x as captured, @y its peer's, @info @x's. */
static void toe_check_end(struct kunit *test, const char *end,
			  struct socket *sock, const struct toe_tcb *x,
			  const struct tcp_info *info,
			  const struct toe_tcb *y, u8 family, u32 unread)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	u8 addr[16];

	kunit_info(test, "checking the %s's capture", end);
	KUNIT_EXPECT_EQ(test, x->family, family);
	KUNIT_EXPECT_EQ(test, x->state, TCP_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, x->state, info->tcpi_state);

	/* The 4-tuple: the socket's names, and the peer's mirror image. */
	KUNIT_ASSERT_GE(test, kernel_getsockname(sock, sa), 0);
	toe_tcb_addr(&ss, addr);
	toe_expect_bytes(test, x->local_addr, addr, 16);
	KUNIT_EXPECT_EQ(test, x->local_port, toe_kunit_port(&ss));
	KUNIT_ASSERT_GE(test, kernel_getpeername(sock, sa), 0);
	toe_tcb_addr(&ss, addr);
	toe_expect_bytes(test, x->remote_addr, addr, 16);
	KUNIT_EXPECT_EQ(test, x->remote_port, toe_kunit_port(&ss));
	toe_expect_bytes(test, x->local_addr, y->remote_addr, 16);
	KUNIT_EXPECT_EQ(test, x->local_port, y->remote_port);

	/* Options as TCP_INFO reports them. */
	KUNIT_EXPECT_EQ(test, !!(x->flags & TOE_CS_SACK_OK),
			!!(info->tcpi_options & TCPI_OPT_SACK));
	KUNIT_EXPECT_EQ(test, !!(x->flags & TOE_CS_TSTAMP_OK),
			!!(info->tcpi_options & TCPI_OPT_TIMESTAMPS));
	KUNIT_EXPECT_EQ(test, !!(x->flags & TOE_CS_WSCALE_OK),
			!!(info->tcpi_options & TCPI_OPT_WSCALE));
	KUNIT_EXPECT_EQ(test, x->flags & (TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD),
			0);
	KUNIT_EXPECT_EQ(test, x->snd_wscale, (u8)info->tcpi_snd_wscale);
	KUNIT_EXPECT_EQ(test, x->rcv_wscale, (u8)info->tcpi_rcv_wscale);
	KUNIT_EXPECT_EQ(test, x->snd_wscale, y->rcv_wscale);

	/* Send side: all acknowledged, so every sequence agrees. */
	KUNIT_EXPECT_EQ(test, x->snd_una, y->rcv_nxt);
	KUNIT_EXPECT_EQ(test, x->snd_nxt, y->rcv_nxt);
	KUNIT_EXPECT_EQ(test, x->write_seq, x->snd_nxt);
	KUNIT_EXPECT_EQ(test, x->write_seq - x->snd_nxt,
			info->tcpi_notsent_bytes);
	KUNIT_EXPECT_EQ(test, x->snd_wnd, info->tcpi_snd_wnd);
	/* The peer's window: the right edge it last advertised. */
	KUNIT_EXPECT_EQ(test, x->snd_una + x->snd_wnd,
			y->rcv_wup + y->rcv_wnd);
	KUNIT_EXPECT_GE(test, x->max_window, x->snd_wnd);
	/* The window was last taken from a segment the peer sent. */
	KUNIT_EXPECT_TRUE(test, !after(x->snd_wl1, x->rcv_nxt));
	KUNIT_EXPECT_EQ(test, x->mss, info->tcpi_snd_mss);
	KUNIT_EXPECT_EQ(test, x->adv_mss, info->tcpi_advmss);

	/* Receive side: what the test left unread is between them. */
	KUNIT_EXPECT_EQ(test, x->rcv_nxt, y->snd_nxt);
	KUNIT_EXPECT_EQ(test, x->rcv_nxt - x->copied_seq, unread);
	KUNIT_EXPECT_TRUE(test, !after(x->rcv_wup, x->rcv_nxt));

	/* Timestamps: the peer's last TSval is not ahead of its clock. */
	if (x->flags & TOE_CS_TSTAMP_OK) {
		KUNIT_EXPECT_TRUE(test, !after(x->ts_recent, y->ts_now));
		KUNIT_EXPECT_LT(test, y->ts_now - x->ts_recent, 10000U);
		KUNIT_EXPECT_LE(test, x->ts_recent_age_ms, 10000U);
	}

	/* RTT, timer and congestion state: TCP_INFO's own figures. */
	KUNIT_EXPECT_EQ(test, x->srtt_us, info->tcpi_rtt);
	KUNIT_EXPECT_EQ(test, x->rttvar_us, info->tcpi_rttvar);
	KUNIT_EXPECT_EQ(test, x->rto_us, info->tcpi_rto);
	KUNIT_EXPECT_EQ(test, x->snd_cwnd, info->tcpi_snd_cwnd);
	KUNIT_EXPECT_EQ(test, x->snd_ssthresh, info->tcpi_snd_ssthresh);
	KUNIT_EXPECT_EQ(test, x->ca_state, info->tcpi_ca_state);
	KUNIT_EXPECT_EQ(test, x->num_sacks, 0);
}

/*
 * Both ends of a connection that carried data each way, with some left
 * unread at the server: every field against the kernel's own figures.
 */
static void capture_matches_kernel(struct kunit *test)
{
	const struct toe_capture_case *c = test->param_value;
	struct toe_kunit_pair *p = test->priv;
	struct toe_tcb ct, st;
	struct tcp_info ci, si;
	enum toe_refusal cwhy, swhy;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, c->listen_family,
					    c->client_family), 0);
	toe_send(test, p->client, 3000, 0);
	toe_send(test, p->server, 5000, 0);
	toe_recv(test, p->client, 5000);
	toe_recv(test, p->server, 1000);
	KUNIT_ASSERT_TRUE(test, toe_wait_acked(p->client));
	KUNIT_ASSERT_TRUE(test, toe_wait_acked(p->server));

	toe_capture_locked(p->client, &ct, &cwhy);
	toe_capture_locked(p->server, &st, &swhy);
	tcp_get_info(p->client->sk, &ci);
	tcp_get_info(p->server->sk, &si);
	KUNIT_EXPECT_EQ(test, cwhy, TOE_REFUSE_NONE);
	KUNIT_EXPECT_EQ(test, swhy, TOE_REFUSE_NONE);
	toe_check_end(test, "client", p->client, &ct, &ci, &st,
		      c->tcb_family, 0);
	toe_check_end(test, "server", p->server, &st, &si, &ct,
		      c->tcb_family, 2000);
	/* What each side sent, in sequence space. */
	KUNIT_EXPECT_EQ(test, si.tcpi_bytes_received, 3000);
	/* The kernel counts the client's SYN among the bytes acked. */
	KUNIT_EXPECT_EQ(test, ci.tcpi_bytes_acked, 3000 + 1);
	KUNIT_EXPECT_EQ(test, ci.tcpi_bytes_received, 5000);
	/* Debian's default, and what the engine runs. */
	KUNIT_EXPECT_EQ(test, ct.cong_algo, TOE_CC_CUBIC);
	KUNIT_EXPECT_EQ(test, ct.flags & (TOE_CS_NODELAY | TOE_CS_KEEPALIVE),
			0);
}

/* Socket options the engine honours reach the capture. */
static void capture_takes_options(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	struct socket *sock;
	struct toe_tcb t;
	char reno[] = "reno";
	int err;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	sock = p->client;
	sock_set_keepalive(sock->sk);
	KUNIT_ASSERT_EQ(test, toe_setsockopt_int(sock, SOL_TCP, TCP_KEEPIDLE,
						 30), 0);
	KUNIT_ASSERT_EQ(test, toe_setsockopt_int(sock, SOL_TCP, TCP_KEEPINTVL,
						 7), 0);
	KUNIT_ASSERT_EQ(test, toe_setsockopt_int(sock, SOL_TCP, TCP_KEEPCNT,
						 4), 0);
	KUNIT_ASSERT_EQ(test, toe_setsockopt_int(sock, SOL_TCP, TCP_NODELAY,
						 1), 0);
	err = sock->ops->setsockopt(sock, SOL_TCP, TCP_CONGESTION,
				    KERNEL_SOCKPTR(reno), strlen(reno));
	KUNIT_ASSERT_EQ(test, err, 0);
	toe_capture_locked(sock, &t, NULL);
	KUNIT_EXPECT_TRUE(test, t.flags & TOE_CS_KEEPALIVE);
	KUNIT_EXPECT_TRUE(test, t.flags & TOE_CS_NODELAY);
	KUNIT_EXPECT_EQ(test, t.keepalive_time_s, 30);
	KUNIT_EXPECT_EQ(test, t.keepalive_intvl_s, 7);
	KUNIT_EXPECT_EQ(test, t.keepalive_probes, 4);
	KUNIT_EXPECT_EQ(test, t.cong_algo, TOE_CC_RENO);

	/* Without them: the per-namespace defaults, as the kernel uses. */
	toe_capture_locked(p->server, &t, NULL);
	KUNIT_EXPECT_EQ(test, t.keepalive_time_s,
			READ_ONCE(init_net.ipv4.sysctl_tcp_keepalive_time) /
			HZ);
	KUNIT_EXPECT_EQ(test, t.keepalive_intvl_s,
			READ_ONCE(init_net.ipv4.sysctl_tcp_keepalive_intvl) /
			HZ);
	KUNIT_EXPECT_EQ(test, t.keepalive_probes,
			READ_ONCE(init_net.ipv4.sysctl_tcp_keepalive_probes));
}

/*
 * After the client's FIN: the client's write_seq counts it and it is
 * acknowledged (FIN_WAIT2); the server took it (CLOSE_WAIT). Neither may
 * move, but both capture with their FIN flags.
 */
static void capture_after_fin(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	struct toe_tcb ct, st;
	enum toe_refusal cwhy, swhy;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);
	toe_send(test, p->client, 100, 0);
	KUNIT_ASSERT_EQ(test, kernel_sock_shutdown(p->client, SHUT_WR), 0);
	KUNIT_ASSERT_TRUE(test, toe_wait_acked(p->client));
	toe_capture_locked(p->client, &ct, &cwhy);
	toe_capture_locked(p->server, &st, &swhy);
	KUNIT_EXPECT_EQ(test, cwhy, TOE_REFUSE_STATE);
	KUNIT_EXPECT_EQ(test, swhy, TOE_REFUSE_STATE);
	KUNIT_EXPECT_EQ(test, ct.state, TCP_FIN_WAIT2);
	KUNIT_EXPECT_EQ(test, ct.flags & (TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD),
			TOE_CS_FIN_SENT);
	KUNIT_EXPECT_EQ(test, st.state, TCP_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, st.flags & (TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD),
			TOE_CS_FIN_RCVD);
	/* The FIN takes the sequence after the data, on both sides. */
	KUNIT_EXPECT_EQ(test, ct.write_seq, ct.snd_una);
	KUNIT_EXPECT_EQ(test, st.rcv_nxt, ct.write_seq);
	KUNIT_EXPECT_EQ(test, st.rcv_nxt - st.copied_seq, 101);
}

/* Each thing the engine cannot carry is refused with its own reason. */
static void refuses_what_the_engine_cannot_carry(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;
	struct tcp_md5sig md5 = { .tcpm_keylen = 8 };
	struct socket *udp;
	enum toe_refusal why;
	int len, err;

	KUNIT_ASSERT_EQ(test, toe_kunit_pair_open(p, AF_INET, AF_INET), 0);

	toe_capture_locked(p->listener, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_STATE);

	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_DGRAM,
					       IPPROTO_UDP, &udp), 0);
	toe_capture_locked(udp, NULL, &why);
	sock_release(udp);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_NOT_TCP);

	/* Repair mode, and back out of it. */
	KUNIT_ASSERT_EQ(test, toe_setsockopt_int(p->client, SOL_TCP,
						 TCP_REPAIR, TCP_REPAIR_ON), 0);
	toe_capture_locked(p->client, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_REPAIR);
	KUNIT_ASSERT_EQ(test, toe_setsockopt_int(p->client, SOL_TCP,
						 TCP_REPAIR, TCP_REPAIR_OFF),
			0);
	toe_capture_locked(p->client, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_NONE);

	/* Urgent data received and not yet read; then read. */
	toe_send(test, p->server, 1, MSG_OOB);
	KUNIT_ASSERT_TRUE(test, toe_wait_acked(p->server));
	toe_capture_locked(p->client, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_URGENT);
	{
		u8 oob;
		struct msghdr msg = {};
		struct kvec iov = { .iov_base = &oob, .iov_len = 1 };

		KUNIT_ASSERT_EQ(test, kernel_recvmsg(p->client, &msg, &iov, 1,
						     1, MSG_OOB), 1);
		KUNIT_EXPECT_EQ(test, oob, toe_pattern(0));
	}
	toe_capture_locked(p->client, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_NONE);
	toe_capture_locked(p->server, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_NONE);

	/* A TCP-MD5 key for the peer. */
	len = kernel_getpeername(p->client,
				 (struct sockaddr *)&md5.tcpm_addr);
	KUNIT_ASSERT_GE(test, len, 0);
	memset(md5.tcpm_key, 0x5a, md5.tcpm_keylen);
	err = p->client->ops->setsockopt(p->client, SOL_TCP, TCP_MD5SIG,
					 KERNEL_SOCKPTR(&md5), sizeof(md5));
	KUNIT_ASSERT_EQ(test, err, 0);
	toe_capture_locked(p->client, NULL, &why);
	KUNIT_EXPECT_EQ(test, why, TOE_REFUSE_MD5);
}

static void refusal_names(struct kunit *test)
{
	int i;

	for (i = 0; i < TOE_NUM_REFUSALS; i++)
		KUNIT_EXPECT_STRNEQ(test, toe_refusal_name(i), "unknown");
	KUNIT_EXPECT_STREQ(test, toe_refusal_name(TOE_REFUSE_MD5), "md5");
	KUNIT_EXPECT_STREQ(test, toe_refusal_name(TOE_NUM_REFUSALS),
			   "unknown");
	KUNIT_EXPECT_STREQ(test, toe_refusal_name(-1), "unknown");
}

static struct kunit_case toe_capture_test_cases[] = {
	KUNIT_CASE_PARAM(capture_matches_kernel, toe_capture_gen_params),
	KUNIT_CASE(capture_takes_options),
	KUNIT_CASE(capture_after_fin),
	KUNIT_CASE(refuses_what_the_engine_cannot_carry),
	KUNIT_CASE(refusal_names),
	{}
};

static struct kunit_suite toe_capture_suite = {
	.name = "toe_capture",
	.init = toe_kunit_pair_init,
	.exit = toe_kunit_pair_exit,
	.test_cases = toe_capture_test_cases,
};

kunit_test_suite(toe_capture_suite);
