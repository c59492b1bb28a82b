// SPDX-License-Identifier: GPL-2.0
/*
 * toe_tcp.c - what an offload and an upload do to the kernel's own TCP
 * for a socket: take its queued data, silence it while the NIC runs the
 * connection, and put it back in charge afterwards.
 *
 * Every function here runs with the socket lock held. Copying the send
 * queue runs before the device diverts the connection's frames, and lets
 * the backlog run as it goes; everything else runs with the device
 * holding the frames, so no segment reaches the kernel's TCP meanwhile.
 */
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <net/inet_connection_sock.h>
#include <net/tcp.h>

#include "toe_sock.h"

/* Copy @len bytes of @skb from @off into the send ring at @seq. */
static int toe_buf_put_skb(struct toe_buf *b, u32 seq, struct sk_buff *skb,
			   u32 off, u32 len)
{
	u32 at = toe_buf_off(b, seq), first = min(len, b->size - at);
	int err;

	err = skb_copy_bits(skb, off, b->data + at, first);
	if (!err && len > first)
		err = skb_copy_bits(skb, off + first, b->data, len - first);
	return err;
}

static int toe_copy_skb(struct toe_buf *b, struct sk_buff *skb, u32 snd_una,
			u32 *next)
{
	u32 seq = TCP_SKB_CB(skb)->seq, off = 0, len = skb->len;

	/* The head of the queue may be partly acknowledged already. */
	if (before(seq, snd_una)) {
		off = snd_una - seq;
		if (off >= len)
			return 0;
		seq = snd_una;
		len -= off;
	}
	if (seq != *next)
		return -EINVAL;		/* a hole: not the stream we think */
	*next = seq + len;
	return toe_buf_put_skb(b, seq, skb, off, len);
}

/* Bytes of the send queue copied between two runs of the backlog. */
#define TOE_COPY_CHUNK	(256 * 1024)

/*
 * Copy whole skbs from *@next on until at least @budget bytes are in the
 * ring or the queues end; *@next is where the copy stopped.
 */
static int toe_copy_send_chunk(struct sock *sk, struct toe_buf *b, u32 *next,
			       u32 budget)
{
	u32 from = *next;
	struct sk_buff *skb;
	int err;

	skb_rbtree_walk(skb, &sk->tcp_rtx_queue) {
		err = toe_copy_skb(b, skb, from, next);
		if (err || *next - from >= budget)
			return err;
	}
	skb_queue_walk(&sk->sk_write_queue, skb) {
		err = toe_copy_skb(b, skb, from, next);
		if (err || *next - from >= budget)
			return err;
	}
	return 0;
}

/**
 * toe_tcp_copy_send_queue() - copy the unacknowledged stream to the NIC.
 * @sk: the socket, locked, still the kernel's (not diverted)
 * @b: the send ring; its base is @snd_una
 * @snd_una: first byte not acknowledged
 * @write_seq: end of what the application wrote
 *
 * Walks the retransmission queue, then the write queue. Every
 * TOE_COPY_CHUNK bytes the backlog runs, so the kernel goes on
 * acknowledging the peer while megabytes are copied: a peer left without
 * ACKs for more than a few milliseconds sends a loss probe. What the
 * backlog does cannot spoil the copy: nobody writes (the socket is
 * ours), and ACKs only free acknowledged data, which the ring no longer
 * needs; the copy goes on from snd_una when it has overtaken the cursor
 * (the caller may run the backlog before, too).
 *
 * Return: 0, or -EINVAL if the queues do not hold exactly
 * [@snd_una, @write_seq) (a FIN, or a hole).
 */
int toe_tcp_copy_send_queue(struct sock *sk, struct toe_buf *b, u32 snd_una,
			    u32 write_seq)
{
	u32 next = snd_una, at;
	int err;

	for (;;) {
		/* The caller may have run the backlog before, too. */
		if (after(tcp_sk(sk)->snd_una, next))
			next = tcp_sk(sk)->snd_una;
		at = next;
		err = toe_copy_send_chunk(sk, b, &next, TOE_COPY_CHUNK);
		if (err || next == write_seq || next == at)
			break;
		sk_flush_backlog(sk);
	}
	if (err)
		return err;
	return next == write_seq ? 0 : -EINVAL;
}

/**
 * toe_tcp_take_unread() - copy received data the application has not read.
 * @sk: the socket, locked
 * @from: where to start, at or after copied_seq
 * @buf: out: a kvmalloc()ed copy of [@from, rcv_nxt), or NULL
 * @len: out: its length
 *
 * The receive queue is left alone: toe_tcp_quiesce() empties it once the
 * move is committed.
 *
 * Return: 0, -ENOMEM, or -EINVAL if the queue is not that stream.
 */
int toe_tcp_take_unread(struct sock *sk, u32 from, u8 **buf, u32 *len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 n = tp->rcv_nxt - from, next = from;
	struct sk_buff *skb;
	u8 *p;

	*buf = NULL;
	*len = 0;
	if (before(from, tp->copied_seq) || after(from, tp->rcv_nxt))
		return -EINVAL;
	if (!n)
		return 0;
	p = kvmalloc(n, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 seq = TCP_SKB_CB(skb)->seq, off = 0, l = skb->len;

		if (before(seq, next)) {
			off = next - seq;
			if (off >= l)
				continue;
			l -= off;
		} else if (seq != next) {
			break;
		}
		l = min(l, tp->rcv_nxt - next);
		if (skb_copy_bits(skb, off, p + (next - from), l))
			break;
		next += l;
	}
	if (next != tp->rcv_nxt) {
		kvfree(p);
		return -EINVAL;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* tcp_write_queue_purge(), which modules cannot call. */
static void toe_tcp_purge_send_queues(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct rb_node *p = rb_first(&sk->tcp_rtx_queue);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue))) {
		tcp_skb_tsorted_anchor_cleanup(skb);
		tcp_wmem_free_skb(sk, skb);
	}
	tp->highest_sack = NULL;
	while (p) {
		skb = rb_to_skb(p);
		p = rb_next(p);
		tcp_rtx_queue_unlink(skb, sk);
		tcp_wmem_free_skb(sk, skb);
	}
	INIT_LIST_HEAD(&tp->tsorted_sent_queue);
	tcp_clear_all_retrans_hints(tp);
	tp->packets_out = 0;
	tp->sacked_out = 0;
	tp->lost_out = 0;
	tp->retrans_out = 0;
	inet_csk(sk)->icsk_backoff = 0;
}

/**
 * toe_tcp_quiesce() - the kernel's TCP stops acting for the socket.
 * @sk: the socket, locked; the NIC has taken the connection
 *
 * The timers stop and work they deferred to release_sock() is dropped;
 * the send and receive queues are emptied (their data is in the NIC's
 * buffers and in toe_sock.pre). Nothing is left that could send a
 * segment: the socket operations that could are the ULP's while the
 * connection is on the NIC.
 */
void toe_tcp_quiesce(struct sock *sk)
{
	static const int deferred[] = {
		TCP_TSQ_DEFERRED, TCP_WRITE_TIMER_DEFERRED,
		TCP_DELACK_TIMER_DEFERRED, TCP_MTU_REDUCED_DEFERRED,
	};
	int i;

	sock_owned_by_me(sk);
	inet_csk_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	/*
	 * Work a timer or the TSQ tasklet left for release_sock() is
	 * dropped; each holds a reference on the socket, as tcp_release_cb()
	 * knows.
	 */
	for (i = 0; i < ARRAY_SIZE(deferred); i++)
		if (test_and_clear_bit(deferred[i], &sk->sk_tsq_flags))
			__sock_put(sk);
	inet_csk(sk)->icsk_ack.pending = 0;
	toe_tcp_purge_send_queues(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	sk_mem_reclaim(sk);
}

/*
 * The send memory that putting @bytes back into the kernel's queues takes
 * at most: the data, a sixteenth more, and an skb's own for each size
 * goal of it, as tcp_sendmsg_locked() builds them in repair mode (an MSS,
 * or with GSO up to half the largest window).
 */
static u64 toe_tcp_requeue_cost(const struct sock *sk, u32 bytes)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 goal = max_t(u32, tp->mss_cache, TCP_MIN_MSS);

	if (sk_can_gso(sk))
		goal = max(goal, min_t(u32, sk->sk_gso_max_size,
				       tp->max_window / 2));
	return bytes + bytes / 16 +
	       (u64)(bytes / goal + 2) * SKB_TRUESIZE(2 * MAX_TCP_HEADER);
}

/**
 * toe_tcp_reserve() - hold the send memory an upload will need.
 * @sk: the socket, owned
 * @base: its sk_reserved_mem outside the ULP (toe_sock.reserve_base)
 * @bytes: the send data the upload may have to put back, at most
 *
 * An upload may not fail for want of memory: under tcp_mem or memcg
 * pressure the kernel would not take the send data back, and the
 * connection would be lost. So the memory is charged to the socket
 * before it is needed, while the ring fills, and held as SO_RESERVE_MEM
 * holds it: as sk_reserved_mem, which no reclaim takes, until
 * toe_tcp_unreserve(). toe_tcp_restore()'s queues use it. Memory the
 * socket has charged already (its queues, before they are emptied at the
 * offload) counts.
 *
 * Return: 0, or -ENOBUFS if it cannot be charged now.
 */
int toe_tcp_reserve(struct sock *sk, u32 base, u32 bytes)
{
	u64 need = base + toe_tcp_requeue_cost(sk, bytes);
	s64 have = (s64)sk->sk_forward_alloc + sk->sk_wmem_queued +
		   atomic_read(&sk->sk_rmem_alloc);

	sock_owned_by_me(sk);
	if (need <= sk->sk_reserved_mem)
		return 0;
	if (need > INT_MAX)
		return -ENOBUFS;
	/* A page or 64K at a time, not each write's few bytes. */
	if ((s64)need > have &&
	    !__sk_mem_schedule(sk, max_t(int, need - have, SZ_64K),
			       SK_MEM_SEND))
		return -ENOBUFS;
	sk->sk_reserved_mem = need;
	return 0;
}

/**
 * toe_tcp_unreserve() - give back what toe_tcp_reserve() held.
 * @sk: the socket, owned
 * @base: its sk_reserved_mem outside the ULP
 */
void toe_tcp_unreserve(struct sock *sk, u32 base)
{
	sock_owned_by_me(sk);
	sk->sk_reserved_mem = base;
	sk_mem_reclaim(sk);
}

/* Queue @len bytes of the send ring from @seq with tcp_sendmsg_locked(). */
static int toe_tcp_queue(struct sock *sk, const struct toe_buf *b, u32 seq,
			 u32 len)
{
	u32 at = toe_buf_off(b, seq), first = min(len, b->size - at);
	struct kvec vec[2] = {
		{ .iov_base = b->data + at, .iov_len = first },
		{ .iov_base = b->data, .iov_len = len - first },
	};
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	int ret;

	if (!len)
		return 0;
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, 2, len);
	ret = tcp_sendmsg_locked(sk, &msg, len);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -ENOBUFS;
}

/*
 * toe_tcp_restore_rcvq() - give the kernel's TCP the unread data back.
 * @sk: the socket, locked, its receive sequence restored
 * @vec: the data, in stream order: what the application has not read,
 *	ending at tcp_sk(sk)->rcv_nxt less a FIN
 * @nr: entries in @vec
 * @len: bytes in @vec
 * @fin: tcp_sk(sk)->rcv_nxt counts the peer's FIN after the data
 *
 * The data goes into the receive queue as TCP_REPAIR's receive queue
 * takes it, charged to the socket like any received data: the kernel's
 * receive window then counts it, and the peer cannot send more than the
 * socket buffers, however many moves there are. (Kept aside, it would be
 * outside every window.) The receive buffer grows, unless the
 * application set it, to hold the data and what the NIC's window still
 * lets the peer send: the kernel does not drop data the peer was told it
 * could send.
 *
 * Return: 0, or -ENOMEM (the receive queue is then empty again, as it
 * was: the caller keeps the data itself).
 */
static int toe_tcp_restore_rcvq(struct sock *sk, const struct kvec *vec,
				unsigned long nr, size_t len, bool fin)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 end = tp->rcv_nxt - fin, start = end - len;
	u64 bytes_received = tp->bytes_received;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	int rcvbuf = sk->sk_rcvbuf, want;
	int ret = 0;

	sock_owned_by_me(sk);
	if (!len)
		return 0;
	/* The repair queue starts at rcv_nxt; copied_seq goes with it. */
	WRITE_ONCE(tp->rcv_nxt, start);
	WRITE_ONCE(tp->copied_seq, start);
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr, len);
	/* Never pruned for being over the buffer while it is filled. */
	WRITE_ONCE(sk->sk_rcvbuf, INT_MAX);
	tp->repair = 1;
	tp->repair_queue = TCP_RECV_QUEUE;
	while (msg_data_left(&msg)) {
		/* One skb of at most MAX_SKB_FRAGS pages at a time. */
		ret = tcp_sendmsg_locked(sk, &msg, msg_data_left(&msg));
		if (ret <= 0)
			break;
	}
	tp->repair = 0;
	tp->repair_queue = TCP_NO_QUEUE;
	/* The data were counted when the NIC received them. */
	tp->bytes_received = bytes_received;

	if (tp->rcv_nxt != end) {
		__skb_queue_purge(&sk->sk_receive_queue);
		sk_mem_reclaim(sk);
		WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
		WRITE_ONCE(tp->rcv_nxt, end + fin);
		WRITE_ONCE(tp->copied_seq, end + fin);
		return ret < 0 ? ret : -ENOMEM;
	}
	WRITE_ONCE(tp->rcv_nxt, end + fin);
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
		/*
		 * What is queued, and two bytes for each of the window
		 * still open, as tcp_win_from_space() counts: the truesize
		 * of what arrives is more than its data. The NIC held and
		 * offered no more than a ring, or than the kernel had (see
		 * toe_sock.rcv_deficit), so this seldom grows it; and
		 * never past tcp_rmem[2] and twice a full ring.
		 */
		want = min_t(u64, (u64)atomic_read(&sk->sk_rmem_alloc) +
			     2ULL * tcp_receive_window(tp),
			     READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]) +
			     2ULL * TOE_SOCK_BUF_MAX);
		rcvbuf = max(rcvbuf, want);
	}
	WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
	return 0;
}

/**
 * toe_tcp_restore() - put the kernel's TCP back in charge of a socket.
 * @sk: the socket, locked, as toe_tcp_quiesce() left it
 * @tcb: the state the NIC gave back
 * @snd: the send ring, holding [tcb->snd_una, tcb->write_seq)
 * @unread: what the application has not read, up to tcb->rcv_nxt less a
 *	FIN, in stream order
 * @nr: entries in @unread
 * @unread_len: bytes in @unread
 * @unread_taken: out: the receive queue took @unread
 *
 * Sequence numbers, windows, timestamps, RTT, RTO and congestion state
 * come from @tcb. What the NIC had sent and not had acknowledged goes
 * back into the retransmission queue as already sent (TCP_REPAIR's way),
 * what it had not sent into the write queue, which the kernel sends.
 * The data the application has not read goes into the receive queue
 * first, so that the first segment the kernel sends offers a window that
 * counts it.
 *
 * Return: 0, or -ENOBUFS/-ENOMEM if the kernel would not take the send
 * data back (the socket is then unusable and the caller resets it).
 * *@unread_taken says whether the receive queue took @unread; if not (no
 * memory), it is empty and the caller keeps the data.
 */
int toe_tcp_restore(struct sock *sk, const struct toe_tcb *tcb,
		    const struct toe_buf *snd, const struct kvec *unread,
		    unsigned long nr, size_t unread_len, bool *unread_taken)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 sent = tcb->snd_nxt - tcb->snd_una;
	u32 unsent = tcb->write_seq - tcb->snd_nxt;
	int err, sndbuf;
	u8 shutdown;

	sock_owned_by_me(sk);
	/* The shadow's segment counts are not of the kernel's queues. */
	tp->packets_out = 0;
	tp->retrans_out = 0;
	tp->sacked_out = 0;
	tp->lost_out = 0;
	WRITE_ONCE(tp->snd_una, tcb->snd_una);
	WRITE_ONCE(tp->snd_nxt, tcb->snd_una);
	WRITE_ONCE(tp->write_seq, tcb->snd_una);
	tp->pushed_seq = tcb->snd_una;
	tp->snd_up = tcb->snd_una;
	tp->snd_wl1 = tcb->snd_wl1;
	tp->snd_wnd = tcb->snd_wnd;
	tp->max_window = max(tp->max_window, tcb->max_window);

	WRITE_ONCE(tp->rcv_nxt, tcb->rcv_nxt);
	WRITE_ONCE(tp->copied_seq, tcb->rcv_nxt);
	tp->rcv_wup = tcb->rcv_wup;
	tp->rcv_wnd = tcb->rcv_wnd;

	/*
	 * tcp_mstamp_refresh(), which is not exported: the cached clock is
	 * from before the move, and an ACK sent before anything refreshes it
	 * (a window update from recvmsg) would carry a TSval that far
	 * behind the NIC's last, which the peer drops as a PAWS reject.
	 */
	tp->tcp_clock_cache = tcp_clock_ns();
	tp->tcp_mstamp = div_u64(tp->tcp_clock_cache, NSEC_PER_USEC);
	if (tp->rx_opt.tstamp_ok) {
		/* The NIC's TSval clock goes on from where it is now. */
		tp->tsoffset = tcb->ts_now - tcp_time_stamp_raw();
		tp->rx_opt.ts_recent = tcb->ts_recent;
		tp->rx_opt.ts_recent_stamp = ktime_get_seconds() -
					     tcb->ts_recent_age_ms / MSEC_PER_SEC;
	}
	tp->srtt_us = tcb->srtt_us << 3;
	tp->mdev_us = tcb->rttvar_us << 2;
	tp->mdev_max_us = tp->mdev_us;
	tp->rttvar_us = tp->mdev_us;
	icsk->icsk_rto = clamp_t(unsigned long, usecs_to_jiffies(tcb->rto_us),
				 TCP_RTO_MIN, TCP_RTO_MAX);
	tcp_snd_cwnd_set(tp, max(tcb->snd_cwnd, 1u));
	tp->snd_ssthresh = tcb->snd_ssthresh;
	tp->snd_cwnd_stamp = tcp_jiffies32;
	tp->lsndtime = tcp_jiffies32;
	tp->rcv_tstamp = tcp_jiffies32;
	icsk->icsk_ack.lrcvtime = tcp_jiffies32;
	icsk->icsk_backoff = 0;
	icsk->icsk_retransmits = 0;
	icsk->icsk_probes_out = 0;
	tp->undo_marker = 0;
	/* tcp_set_ca_state(), which modules cannot call. */
	if (icsk->icsk_ca_ops->set_state)
		icsk->icsk_ca_ops->set_state(sk, TCP_CA_Open);
	icsk->icsk_ca_state = TCP_CA_Open;

	*unread_taken = !toe_tcp_restore_rcvq(sk, unread, nr, unread_len,
					      tcb->state == TCP_CLOSE_WAIT);

	/*
	 * The sent part, as already sent; the rest, to be sent. A shutdown
	 * that brings the connection home has set SEND_SHUTDOWN already:
	 * the data written before it still goes (its FIN after it). The
	 * send buffer grows for the requeue only: kept grown, every trip
	 * home would let the application queue twice as much as the last,
	 * until the next move found more than the NIC's buffers hold.
	 */
	sndbuf = sk->sk_sndbuf;
	WRITE_ONCE(sk->sk_sndbuf, max_t(int, sndbuf, 2 * (sent + unsent) +
					SOCK_MIN_SNDBUF));
	shutdown = sk->sk_shutdown;
	WRITE_ONCE(sk->sk_shutdown, shutdown & ~SEND_SHUTDOWN);
	tp->repair = 1;
	tp->repair_queue = TCP_SEND_QUEUE;
	err = toe_tcp_queue(sk, snd, tcb->snd_una, sent);
	tp->repair = 0;
	tp->repair_queue = TCP_NO_QUEUE;
	if (!err)
		err = toe_tcp_queue(sk, snd, tcb->snd_nxt, unsent);
	WRITE_ONCE(sk->sk_shutdown, shutdown);
	WRITE_ONCE(sk->sk_sndbuf, sndbuf);
	if (err)
		return err;

	if (tcb->state == TCP_CLOSE_WAIT && sk->sk_state != TCP_CLOSE_WAIT) {
		/* The peer's FIN came while the NIC had the connection. */
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
		sock_set_flag(sk, SOCK_DONE);
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		sk->sk_state_change(sk);
	}
	if (tp->packets_out)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS, icsk->icsk_rto,
					  TCP_RTO_MAX);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_reset_keepalive_timer(sk, keepalive_time_when(tp));
	return 0;
}

/**
 * toe_tcp_bytes() - what a connection has moved either way.
 * @sk: the socket
 *
 * Return: bytes the peer acknowledged plus bytes received.
 */
u64 toe_tcp_bytes(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(tp->bytes_acked) + READ_ONCE(tp->bytes_received);
}
