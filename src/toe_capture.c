// SPDX-License-Identifier: GPL-2.0
/*
 * toe_capture.c - read a live TCP socket for the device.
 *
 * toe_sock_refusal() says whether the engine can carry a socket at all;
 * toe_tcb_capture() reads its control block into a struct toe_tcb in the
 * meaning struct toe_conn_state gives each field. Both read struct
 * tcp_sock directly: the caller holds the socket lock, so neither process
 * context nor softirq (which defers to the backlog) changes it meanwhile.
 */
#include <linux/jiffies.h>
#include <linux/string.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <kunit/visibility.h>

#include "toe_capture.h"
#include "toe_sock.h"

static const char *const toe_refusal_names[TOE_NUM_REFUSALS] =
	TOE_REFUSAL_NAMES;

/**
 * toe_refusal_name() - the name a refusal is counted under.
 * @why: the refusal
 *
 * Return: a static string; "unknown" for a value out of range.
 */
const char *toe_refusal_name(enum toe_refusal why)
{
	if ((unsigned int)why >= TOE_NUM_REFUSALS)
		return "unknown";
	return toe_refusal_names[why];
}
EXPORT_SYMBOL_IF_KUNIT(toe_refusal_name);

static const char *const toe_refusal_descs[TOE_NUM_REFUSALS] = {
	[TOE_REFUSE_NONE] = "not refused",
	[TOE_REFUSE_NOT_TCP] = "offload refused: not a TCP stream socket",
	[TOE_REFUSE_FAMILY] = "offload refused: neither IPv4 nor IPv6",
	[TOE_REFUSE_STATE] = "offload refused: not ESTABLISHED",
	[TOE_REFUSE_REPAIR] = "offload refused: in TCP_REPAIR mode",
	[TOE_REFUSE_MD5] = "offload refused: TCP-MD5 signatures",
	[TOE_REFUSE_ULP] = "offload refused: another upper-layer protocol",
	[TOE_REFUSE_URGENT] = "offload refused: urgent data pending",
	[TOE_REFUSE_CONG] = "offload refused: congestion control the NIC does not run",
	[TOE_REFUSE_ROUTE] = "offload refused: the route does not leave through a TOE NIC",
	[TOE_REFUSE_OOO] = "offload refused: out-of-order data queued, try again",
	[TOE_REFUSE_QUEUED] = "offload refused: more data queued than the NIC buffers hold",
	[TOE_REFUSE_DEVICE] = "offload refused: the NIC refused it or failed",
	[TOE_REFUSE_BUSY] = "offload refused: a thread is in the kernel's TCP call, try again",
	[TOE_REFUSE_FORBIDDEN] = "offload refused: the socket forbids it (TOE_FORBID)",
	[TOE_REFUSE_POLICY] = "offload refused: net.toe.mode is 0 (off)",
	[TOE_REFUSE_NIC_FULL] = "offload refused: the NIC holds as many connections as it may",
	[TOE_REFUSE_PERMISSION] = "offload refused: only CAP_NET_ADMIN may ask while net.toe.user_offload is 0",
	[TOE_REFUSE_XDP] = "offload refused: an XDP program on the interface could hand the kernel a frame after the move",
};

/**
 * toe_refusal_desc() - a sentence saying why, for logs and extack.
 * @why: the refusal
 *
 * Return: a static string.
 */
const char *toe_refusal_desc(enum toe_refusal why)
{
	if ((unsigned int)why >= TOE_NUM_REFUSALS)
		return "offload refused";
	return toe_refusal_descs[why];
}

/* The engine runs NewReno and CUBIC (enum toe_cong_algo). */
static int toe_cong_algo(const struct sock *sk)
{
	const char *name = inet_csk(sk)->icsk_ca_ops->name;

	if (!strcmp(name, "cubic"))
		return TOE_CC_CUBIC;
	if (!strcmp(name, "reno"))
		return TOE_CC_RENO;
	return -1;
}

/* An IPv6 socket talking to an IPv4-mapped address is IPv4 on the wire. */
static bool toe_sk_is_ipv4(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return ipv6_addr_v4mapped(&sk->sk_v6_daddr);
#endif
	return sk->sk_family == AF_INET;
}

/**
 * toe_sock_refusal() - can the engine carry this socket?
 * @sk: the socket, locked by the caller
 *
 * Checks what belongs to the socket alone; the route and the device's
 * room are the caller's to check.
 *
 * Context: process context, socket lock held.
 * Return: TOE_REFUSE_NONE, or the first reason the socket cannot move.
 */
enum toe_refusal toe_sock_refusal(struct sock *sk)
{
	const struct tcp_sock *tp;

	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP)
		return TOE_REFUSE_NOT_TCP;
	sock_owned_by_me(sk);
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return TOE_REFUSE_FAMILY;
	if (sk->sk_state != TCP_ESTABLISHED)
		return TOE_REFUSE_STATE;
	tp = tcp_sk(sk);
	if (tp->repair)
		return TOE_REFUSE_REPAIR;
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tp->md5sig_info))
		return TOE_REFUSE_MD5;
#endif
	if (inet_csk(sk)->icsk_ulp_ops && !toe_sock_is_ours(sk))
		return TOE_REFUSE_ULP;
	/*
	 * Received urgent data not yet read, or ours not yet acknowledged
	 * (snd_up ahead of snd_una): the engine has no urgent pointer.
	 */
	if ((tp->urg_data & (TCP_URG_VALID | TCP_URG_NOTYET)) ||
	    tp->snd_up != tp->snd_una)
		return TOE_REFUSE_URGENT;
	if (toe_cong_algo(sk) < 0)
		return TOE_REFUSE_CONG;
	return TOE_REFUSE_NONE;
}
EXPORT_SYMBOL_IF_KUNIT(toe_sock_refusal);

static void toe_capture_addrs(const struct sock *sk, struct toe_tcb *tcb)
{
	const struct inet_sock *inet = inet_sk(sk);

	tcb->local_port = inet->inet_sport;
	tcb->remote_port = inet->inet_dport;
	if (toe_sk_is_ipv4(sk)) {
		tcb->family = 4;
		memcpy(tcb->local_addr, &inet->inet_rcv_saddr, 4);
		memcpy(tcb->remote_addr, &inet->inet_daddr, 4);
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	tcb->family = 6;
	memcpy(tcb->local_addr, &sk->sk_v6_rcv_saddr, 16);
	memcpy(tcb->remote_addr, &sk->sk_v6_daddr, 16);
#endif
}

/* Our FIN is queued (write_seq counts it), or the peer's was taken. */
static u32 toe_fin_flags(int state)
{
	switch (state) {
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		return TOE_CS_FIN_SENT;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return TOE_CS_FIN_SENT | TOE_CS_FIN_RCVD;
	case TCP_CLOSE_WAIT:
		return TOE_CS_FIN_RCVD;
	default:
		return 0;
	}
}

/**
 * toe_tcb_capture() - read a socket's TCP control block.
 * @sk: a TCP socket toe_sock_refusal() accepted, locked by the caller
 * @tcb: filled; every field, unused ones zero
 *
 * Field meanings are those of struct toe_conn_state. RTT figures are in
 * microseconds as TCP_INFO gives them (srtt, and rttvar as mdev / 4);
 * ts_now is the TSval the socket would send now; ts_recent_age_ms has
 * the one-second granularity of the kernel's ts_recent_stamp.
 *
 * Context: process context, socket lock held.
 */
void toe_tcb_capture(struct sock *sk, struct toe_tcb *tcb)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	int i, cc;

	sock_owned_by_me(sk);
	memset(tcb, 0, sizeof(*tcb));
	toe_capture_addrs(sk, tcb);
	tcb->state = sk->sk_state;
	tcb->flags = toe_fin_flags(sk->sk_state);
	if (tcp_is_sack(tp))
		tcb->flags |= TOE_CS_SACK_OK;
	if (tp->rx_opt.tstamp_ok)
		tcb->flags |= TOE_CS_TSTAMP_OK;
	if (tp->rx_opt.wscale_ok) {
		tcb->flags |= TOE_CS_WSCALE_OK;
		tcb->snd_wscale = tp->rx_opt.snd_wscale;
		tcb->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tp->nonagle & TCP_NAGLE_OFF)
		tcb->flags |= TOE_CS_NODELAY;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		tcb->flags |= TOE_CS_KEEPALIVE;
	if (inet_csk_ack_scheduled(sk))
		tcb->flags |= TOE_CS_ACK_OWED;

	tcb->snd_una = tp->snd_una;
	tcb->snd_nxt = tp->snd_nxt;
	tcb->write_seq = tp->write_seq;
	tcb->snd_wl1 = tp->snd_wl1;
	tcb->snd_wnd = tp->snd_wnd;
	tcb->max_window = tp->max_window;
	tcb->mss = tp->mss_cache;
	tcb->adv_mss = tp->advmss;

	tcb->rcv_nxt = tp->rcv_nxt;
	tcb->copied_seq = tp->copied_seq;
	tcb->rcv_wnd = tp->rcv_wnd;
	tcb->rcv_wup = tp->rcv_wup;

	if (tp->rx_opt.tstamp_ok) {
		time64_t age = ktime_get_seconds() - tp->rx_opt.ts_recent_stamp;

		tcb->ts_offset = tp->tsoffset;
		tcb->ts_recent = tp->rx_opt.ts_recent;
		tcb->ts_recent_age_ms = clamp_t(time64_t, age, 0,
						U32_MAX / MSEC_PER_SEC) *
					MSEC_PER_SEC;
		tcb->ts_now = tcp_time_stamp_raw() + tp->tsoffset;
	}

	tcb->srtt_us = tp->srtt_us >> 3;
	tcb->rttvar_us = tp->mdev_us >> 2;
	tcb->rto_us = jiffies_to_usecs(icsk->icsk_rto);
	tcb->snd_cwnd = tcp_snd_cwnd(tp);
	tcb->snd_ssthresh = tp->snd_ssthresh;
	tcb->ca_state = icsk->icsk_ca_state;
	cc = toe_cong_algo(sk);
	tcb->cong_algo = cc < 0 ? TOE_CC_RENO : cc;
	tcb->keepalive_probes = keepalive_probes(tp);
	tcb->keepalive_time_s = keepalive_time_when(tp) / HZ;
	tcb->keepalive_intvl_s = keepalive_intvl_when(tp) / HZ;

	tcb->num_sacks = min_t(u8, tp->rx_opt.num_sacks,
			       ARRAY_SIZE(tp->selective_acks));
	for (i = 0; i < tcb->num_sacks; i++) {
		tcb->sack_blocks[i][0] = tp->selective_acks[i].start_seq;
		tcb->sack_blocks[i][1] = tp->selective_acks[i].end_seq;
	}
}
EXPORT_SYMBOL_IF_KUNIT(toe_tcb_capture);
