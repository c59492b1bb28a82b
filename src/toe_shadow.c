// SPDX-License-Identifier: GPL-2.0
/*
 * toe_shadow.c - the kernel's tcp_sock as a shadow of a connection on the
 * NIC, so that TCP_INFO, ss and /proc tell the truth about it.
 *
 * The device writes the connection's figures (struct toe_conn_status)
 * into the command page each time it posts events for it. They are
 * copied into the tcp_sock by whoever holds the socket: the event thread
 * when the socket is not owned (under its spinlock), else the owner when
 * it releases the socket (toe_shadow_release_cb()), or at once for
 * TCP_INFO. Only fields that the kernel's TCP does not act on while the
 * connection is on the NIC are written; toe_tcp_restore() rewrites them
 * all from the state the NIC gives back, and clears the ones that count
 * segments of its queues.
 *
 * Locking: the copy runs with the socket's spinlock held and the socket
 * not owned, or by the owner; it writes nothing once ts->where is HOST,
 * which changes only under ownership.
 */
#include <linux/jiffies.h>
#include <net/tcp.h>

#include "toe_sock.h"

/**
 * toe_status_read() - read the device's status block whole.
 * @s: the block, which the device writes like a seqcount
 * @out: the copy
 *
 * Return: true if @out is one whole write of the device's, false if the
 * device wrote none yet or kept writing while this read.
 */
bool toe_status_read(const struct toe_conn_status *s,
			    struct toe_conn_status *out)
{
	u32 seq;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		seq = le32_to_cpu(READ_ONCE(s->seq));
		if (seq & 1) {
			cpu_relax();
			continue;
		}
		if (!seq)
			return false;	/* nothing written yet */
		dma_rmb();
		memcpy(out, s, sizeof(*out));
		dma_rmb();
		if (le32_to_cpu(READ_ONCE(s->seq)) == seq)
			return true;
	}
	return false;
}

/**
 * toe_shadow_start() - note the counts the device's figures add to.
 * @sk: the socket, owned, the NIC having just taken it
 * @ts: its context
 */
void toe_shadow_start(struct sock *sk, struct toe_sock *ts)
{
	struct tcp_sock *tp = tcp_sk(sk);

	ts->shadow_base.bytes_acked = tp->bytes_acked;
	ts->shadow_base.bytes_received = tp->bytes_received;
	ts->shadow_base.bytes_sent = tp->bytes_sent;
	ts->shadow_base.total_retrans = tp->total_retrans;
	ts->shadow_seq = 0;
	WRITE_ONCE(ts->shadow_pending, false);
}

/* Copy the status into the tcp_sock; socket owned, or locked unowned. */
static void toe_shadow_apply(struct sock *sk, struct toe_sock *ts)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct toe_conn_status st;
	u32 una, nxt, mss;

	WRITE_ONCE(ts->shadow_pending, false);
	if (READ_ONCE(ts->where) != TOE_WHERE_NIC ||
	    !toe_status_read(ts->status, &st) ||
	    le32_to_cpu(st.seq) == ts->shadow_seq)
		return;
	ts->shadow_seq = le32_to_cpu(st.seq);
	una = le32_to_cpu(st.snd_una);
	nxt = le32_to_cpu(st.snd_nxt);
	mss = max_t(u32, le16_to_cpu(st.mss), 1);

	WRITE_ONCE(tp->snd_una, una);
	WRITE_ONCE(tp->snd_nxt, nxt);
	WRITE_ONCE(tp->write_seq, READ_ONCE(ts->write_seq));
	WRITE_ONCE(tp->rcv_nxt, le32_to_cpu(st.rcv_nxt));
	/* The application's place: what the ULP holds comes before @rcv. */
	WRITE_ONCE(tp->copied_seq, READ_ONCE(ts->copied) -
		   (READ_ONCE(ts->pre_len) - ts->pre_off));
	/*
	 * The figures as the device says, within what TCP can hold: a
	 * failover restores from them (toe_tcb_figures_ok()).
	 */
	tp->snd_wnd = min(le32_to_cpu(st.snd_wnd), TOE_TCB_MAX_WND);
	tp->rcv_wnd = min(le32_to_cpu(st.rcv_wnd), TOE_TCB_MAX_WND);
	tp->srtt_us = min(le32_to_cpu(st.srtt_us), TOE_TCB_MAX_US) << 3;
	tp->mdev_us = min(le32_to_cpu(st.rttvar_us), TOE_TCB_MAX_US) << 2;
	tp->rttvar_us = tp->mdev_us;
	icsk->icsk_rto = usecs_to_jiffies(min(le32_to_cpu(st.rto_us),
					      TOE_TCB_MAX_US));
	tcp_snd_cwnd_set(tp, clamp_t(u32, le32_to_cpu(st.snd_cwnd), 1,
				     INT_MAX));
	tp->snd_ssthresh = min_t(u32, le32_to_cpu(st.snd_ssthresh), INT_MAX);
	icsk->icsk_ca_state = st.ca_state;
	tp->packets_out = DIV_ROUND_UP(nxt - una, mss);
	tp->retrans_out = le32_to_cpu(st.retrans_out);
	tp->sacked_out = le32_to_cpu(st.sacked_out);
	tp->lost_out = le32_to_cpu(st.lost_out);
	tp->bytes_acked = ts->shadow_base.bytes_acked +
			  le64_to_cpu(st.bytes_acked);
	tp->bytes_received = ts->shadow_base.bytes_received +
			     le64_to_cpu(st.bytes_received);
	/* New data sent: acknowledged, or in flight now. */
	tp->bytes_sent = ts->shadow_base.bytes_sent +
			 le64_to_cpu(st.bytes_acked) + (nxt - una);
	tp->total_retrans = ts->shadow_base.total_retrans +
			    le64_to_cpu(st.retrans_segs);
}

/**
 * toe_shadow_refresh() - bring the tcp_sock up to the device's figures.
 * @sk: the socket, owned by the caller
 * @ts: its context
 */
void toe_shadow_refresh(struct sock *sk, struct toe_sock *ts)
{
	sock_owned_by_me(sk);
	toe_shadow_apply(sk, ts);
}

/**
 * toe_shadow_event() - the device posted events: copy its figures.
 * @ts: a context found in priv->conns under RCU
 *
 * Context: the EVT irq thread, in an RCU read-side section.
 */
void toe_shadow_event(struct toe_sock *ts)
{
	struct sock *sk = ts->sk;

	local_bh_disable();
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		toe_shadow_apply(sk, ts);
	else
		WRITE_ONCE(ts->shadow_pending, true);
	bh_unlock_sock(sk);
	local_bh_enable();
}

/**
 * toe_shadow_release_cb() - proto.release_cb of a socket with the ULP.
 * @sk: the socket being released (its spinlock held, still owned)
 *
 * The kernel's TCP does its deferred work, then the figures that came
 * while the socket was owned are copied.
 */
void toe_shadow_release_cb(struct sock *sk)
{
	struct toe_sock *ts = toe_sk(sk);

	ts->sk_proto->release_cb(sk);
	if (READ_ONCE(ts->shadow_pending))
		toe_shadow_apply(sk, ts);
}
