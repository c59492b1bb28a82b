// SPDX-License-Identifier: GPL-2.0
/*
 * toe_late.c - segments that reach the kernel's TCP after their
 * connection went to the NIC.
 *
 * The offload drains what could still be on its way to the kernel's TCP
 * when the device starts holding the connection's frames: the L2 receive
 * ring, the backlogs RPS and RFS queue frames on (toe_l2_drain_rx()), and
 * the socket's backlog. A generic XDP program on the interface, which
 * may redirect frames through a cpumap, makes the move refused
 * (TOE_REFUSE_XDP). An NFQUEUE rule, which hands a segment to a program
 * that gives it back later, is not seen (see Documentation/driver.rst).
 *
 * What still comes while the socket is owned goes through its backlog,
 * whose handler the ULP takes over: a segment for a connection on the
 * NIC is dropped there, and counted in the device's late_segments, rather
 * than taken by the kernel's TCP, which would acknowledge data the NIC
 * never sees. The peer sends it again, to the NIC.
 */
#include <net/tcp.h>

#include "toe_sock.h"

/**
 * toe_late_backlog_rcv() - the socket's backlog handler with the ULP.
 * @sk: the socket, owned
 * @skb: a segment that came while it was owned
 *
 * Return: what the kernel's handler returns, or 0 for a segment dropped
 * because the connection is on the NIC.
 */
int toe_late_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct toe_sock *ts;

	ts = rcu_dereference_protected(inet_csk(sk)->icsk_ulp_data,
				       lockdep_sock_is_held(sk));
	if (ts && ts->where == TOE_WHERE_NIC) {
		atomic64_inc(&ts->priv->stats.late_segments);
		kfree_skb(skb);
		return 0;
	}
	return sk->sk_prot->backlog_rcv(sk, skb);
}
