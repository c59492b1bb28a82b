// SPDX-License-Identifier: GPL-2.0
/*
 * toe_data.c - the data path of a socket with the "toe" ULP: send,
 * receive, poll and the queue ioctls, wherever the connection is.
 *
 * On the host they are the kernel's (after any data the ULP still holds
 * for the application). On the NIC the application's bytes go through
 * the connection's ring buffers in DMA memory: send data is copied once
 * into the send ring and freed only as the device reports it
 * acknowledged; received data is read from the receive ring, which the
 * device fills before it acknowledges. The device is told of both
 * through struct toe_conn_ops, without waiting for its answer.
 *
 * Locking: every operation takes the socket lock, as the kernel's do;
 * waits release it (sk_wait_event()).
 */
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <net/tcp.h>
#include <asm/ioctls.h>

#include "toe_sock.h"

/* Wake whoever waits on the socket for @mask (readers, writers, pollers). */
void toe_sock_wake(struct sock *sk, __poll_t mask)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, mask);
	if (mask & EPOLLIN)
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	if (mask & EPOLLOUT)
		sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/* The peer's FIN is in: states after it, in the engine's numbering. */
static bool toe_peer_fin(const struct toe_sock *ts)
{
	u8 st = READ_ONCE(ts->dev_state);

	return st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK ||
	       st == TCP_CLOSING || st == TCP_TIME_WAIT;
}

static u32 toe_snd_space(struct toe_sock *ts)
{
	return ts->snd.size - (ts->write_seq - READ_ONCE(ts->snd_una));
}

/*
 * Send and receive. A wait never happens inside the kernel's own
 * tcp_sendmsg() or tcp_recvmsg(): they are called not to block, and the
 * waiting is done here, where the wait also ends when the connection
 * moves. A thread asleep in the kernel's TCP while the connection went to
 * the NIC would otherwise wake up to queues that are no longer the
 * connection's, and send from them.
 */

/* Can a sender make progress where the connection is now? */
static bool toe_send_ready(struct sock *sk, struct toe_sock *ts)
{
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		return true;
	if (toe_on_nic(ts))
		return toe_snd_space(ts) || READ_ONCE(ts->closed);
	return sk_stream_memory_free(sk);
}

/*
 * Tell the device about the data path without waiting for its answer, so
 * the socket lock is held only briefly: the application wrote up to @arg,
 * or (@freed) read @arg bytes of the receive ring. Nothing once the
 * device has closed the connection.
 */
static int toe_sock_tell(struct toe_sock *ts, bool freed, u32 arg)
{
	struct toe_priv *priv = ts->priv;
	int err;

	/* Closed, the device forgot the slot: it may be another's now. */
	if (READ_ONCE(ts->closed))
		return 0;
	if (freed)
		err = priv->ops->recv_freed(priv, ts->conn_id, ts->handle, arg);
	else
		err = priv->ops->send(priv, ts->conn_id, ts->handle, arg);
	if (err)
		toe_warn_rl(priv, "conn %u: %s not posted: %d\n", ts->conn_id,
			    freed ? "RECV_FREED" : "SEND", err);
	return err;
}

/* After a post found no room in the command ring: try again soon. */
#define TOE_REPOST_DELAY	msecs_to_jiffies(2)

static void toe_sock_repost_later(struct toe_sock *ts)
{
	struct sock *sk = ts->sk;

	if (refcount_inc_not_zero(&sk->sk_refcnt) &&
	    !schedule_delayed_work(&ts->repost_work, TOE_REPOST_DELAY))
		sock_put(sk);
}

/*
 * SEND names the end of what was written, so a later one covers an
 * earlier one lost; RECV_FREED counts bytes, so what was not posted is
 * kept and added to the next. What is not posted is tried again from a
 * work item: nobody else may come (the application may wait for a
 * reply), and data the device was never told of would wait for ever.
 */
static void toe_sock_sent(struct toe_sock *ts)
{
	ts->send_unposted = !!toe_sock_tell(ts, false, ts->write_seq);
	if (ts->send_unposted)
		toe_sock_repost_later(ts);
}

static void toe_sock_freed(struct toe_sock *ts, u32 n)
{
	n += ts->rcv_freed_unposted;
	ts->rcv_freed_unposted = 0;
	if (n && toe_sock_tell(ts, true, n)) {
		ts->rcv_freed_unposted = n;
		toe_sock_repost_later(ts);
	}
}

/**
 * toe_repost_work() - post again what the command ring had no room for.
 * @work: toe_sock.repost_work
 *
 * Context: a work item; takes the socket lock.
 */
void toe_repost_work(struct work_struct *work)
{
	struct toe_sock *ts = container_of(to_delayed_work(work),
					   struct toe_sock, repost_work);
	struct sock *sk = ts->sk;

	lock_sock(sk);
	if (toe_on_nic(ts)) {
		if (ts->send_unposted)
			toe_sock_sent(ts);
		if (ts->rcv_freed_unposted)
			toe_sock_freed(ts, 0);
	}
	release_sock(sk);
	sock_put(sk);
}

/* Copy what fits into the send ring and tell the device; never waits. */
static int toe_send_nic(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct toe_sock *ts = toe_sk(sk);
	u32 space, n, at, first;

	if (sk->sk_err || READ_ONCE(ts->closed) ||
	    (sk->sk_shutdown & SEND_SHUTDOWN))
		return -EPIPE;
	space = toe_snd_space(ts);
	if (!space)
		return -EAGAIN;
	n = min_t(size_t, space, len);
	/* What an upload puts back into the kernel's queues is charged now. */
	if (toe_tcp_reserve(sk, ts->reserve_base,
			    ts->write_seq + n - READ_ONCE(ts->snd_una))) {
		toe_warn_rl(ts->priv, "conn %u: no send memory for %u bytes\n",
			    ts->conn_id, n);
		return -ENOBUFS;
	}
	at = toe_buf_off(&ts->snd, ts->write_seq);
	first = min(n, ts->snd.size - at);
	if (copy_from_iter(ts->snd.data + at, first, &msg->msg_iter) != first ||
	    copy_from_iter(ts->snd.data, n - first, &msg->msg_iter) !=
	    n - first)
		return -EFAULT;
	WRITE_ONCE(ts->write_seq, ts->write_seq + n);
	ts->info.bytes_sent_nic += n;
	/* If not posted, the bytes stay in the ring: the next SEND names them. */
	toe_sock_sent(ts);
	return n;
}

int toe_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct toe_sock *ts = toe_sk(sk);
	int flags = msg->msg_flags, ret = 0;
	size_t copied = 0;
	long timeo;
	u32 where;

	lock_sock(sk);
	if (flags & MSG_OOB)	/* urgent data is the kernel's */
		toe_upload(sk, TOE_UPLOAD_WHY_SOCKOPT);
	else if (ts->pol_state == TOE_PS_WATCH && !toe_on_nic(ts))
		toe_pol_ops->consider(sk, ts);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	while (copied < size) {
		if (toe_on_nic(ts)) {
			ret = toe_send_nic(sk, msg, size - copied);
		} else {
			msg->msg_flags = flags | MSG_DONTWAIT;
			ret = tcp_sendmsg_locked(sk, msg, size - copied);
			msg->msg_flags = flags;
		}
		if (ret > 0) {
			copied += ret;
			continue;
		}
		if (ret != -EAGAIN)
			break;
		if (!timeo)
			break;
		if (signal_pending(current)) {
			ret = sock_intr_errno(timeo);
			break;
		}
		where = ts->where;
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		ts->waiters++;
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, &timeo, toe_send_ready(sk, ts) ||
			      READ_ONCE(ts->where) != where, &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		ts->waiters--;
	}
	release_sock(sk);
	if (copied)
		return copied;
	return ret == -EPIPE ? sk_stream_error(sk, flags, ret) : ret;
}

int toe_sendpage(struct sock *sk, struct page *page, int offset,
			size_t size, int flags)
{
	struct toe_sock *ts = toe_sk(sk);
	int ret;

	/* Pages go through the kernel: bring it home, keep it there. */
	lock_sock(sk);
	toe_upload(sk, TOE_UPLOAD_WHY_SOCKOPT);
	ts->kernel_ops++;
	release_sock(sk);
	ret = ts->sk_proto->sendpage(sk, page, offset, size, flags);
	lock_sock(sk);
	ts->kernel_ops--;
	release_sock(sk);
	return ret;
}

/* Copy up to @len bytes at @skip past what the ULP holds in ts->pre. */
static int toe_recv_pre(struct toe_sock *ts, struct msghdr *msg, u32 skip,
			u32 len, bool peek)
{
	u32 avail = ts->pre_len - ts->pre_off, n;

	if (skip >= avail)
		return 0;
	n = min(len, avail - skip);
	if (memcpy_to_msg(msg, ts->pre + ts->pre_off + skip, n))
		return -EFAULT;
	if (!peek) {
		ts->pre_off += n;
		if (ts->pre_off == ts->pre_len) {
			kvfree(ts->pre);
			ts->pre = NULL;
			WRITE_ONCE(ts->pre_len, 0);
			ts->pre_off = 0;
		}
	}
	return n;
}

/* Copy up to @len bytes at @skip past ts->copied from the receive ring. */
static int toe_recv_ring(struct toe_sock *ts, struct msghdr *msg, u32 skip,
			 u32 len, bool peek)
{
	u32 avail = READ_ONCE(ts->rcv_end) - ts->copied, n, at, first;

	if (skip >= avail)
		return 0;
	/* The device wrote the data before the event that told us. */
	smp_rmb();
	n = min(len, avail - skip);
	at = toe_buf_off(&ts->rcv, ts->copied + skip);
	first = min(n, ts->rcv.size - at);
	if (memcpy_to_msg(msg, ts->rcv.data + at, first) ||
	    memcpy_to_msg(msg, ts->rcv.data, n - first))
		return -EFAULT;
	if (!peek) {
		WRITE_ONCE(ts->copied, ts->copied + n);
		ts->info.bytes_recv_nic += n;
	}
	return n;
}

/* Tell the device the application freed @n bytes of the receive ring. */
static void toe_recv_freed(struct toe_sock *ts, u32 n)
{
	if (!toe_on_nic(ts))
		return;
	/* Space not reported for want of a slot goes with the next report. */
	toe_sock_freed(ts, n);
}

/* The application read @n bytes of ts->pre: the engine may take as many. */
static void toe_recv_pre_freed(struct toe_sock *ts, u32 n)
{
	n = min(n, ts->rcv_deficit);
	if (!n || !toe_on_nic(ts))
		return;
	ts->rcv_deficit -= n;
	toe_recv_freed(ts, n);
}

/* Is there anything for a reader where the connection is now? */
static bool toe_recv_ready(struct sock *sk, struct toe_sock *ts)
{
	if (READ_ONCE(ts->pre_len) || sk->sk_err ||
	    (sk->sk_shutdown & RCV_SHUTDOWN))
		return true;
	if (toe_on_nic(ts))
		return READ_ONCE(ts->rcv_end) != ts->copied ||
		       toe_peer_fin(ts) || READ_ONCE(ts->closed);
	return !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	       sock_flag(sk, SOCK_DONE);
}

int toe_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		       int flags, int *addr_len)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct toe_sock *ts = toe_sk(sk);
	bool peek = flags & MSG_PEEK;
	int copied = 0, n, target;
	long timeo;
	u32 where;

	if (flags & MSG_ERRQUEUE)
		return ts->sk_proto->recvmsg(sk, msg, len, flags, addr_len);
	lock_sock(sk);
	if (flags & MSG_OOB)	/* urgent data is the kernel's */
		toe_upload(sk, TOE_UPLOAD_WHY_SOCKOPT);
	else if (ts->pol_state == TOE_PS_WATCH && !toe_on_nic(ts))
		toe_pol_ops->consider(sk, ts);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	for (;;) {
		/* What the ULP holds comes first, then where it lives. */
		n = toe_recv_pre(ts, msg, peek ? copied : 0, len - copied,
				 peek);
		if (n < 0)
			break;
		if (n && !peek)
			toe_recv_pre_freed(ts, n);
		copied += n;
		if (copied == len || (peek && copied))
			break;
		if (toe_on_nic(ts)) {
			n = toe_recv_ring(ts, msg, 0, len - copied, peek);
			if (n > 0 && !peek)
				toe_recv_freed(ts, n);
		} else {
			/* The kernel's queue, without sleeping in it. */
			release_sock(sk);
			n = ts->sk_proto->recvmsg(sk, msg, len - copied,
						  flags | MSG_DONTWAIT,
						  addr_len);
			lock_sock(sk);
			if (n == 0 && len > copied)
				break;		/* end of the stream */
			if (n == -EAGAIN)
				n = 0;
		}
		if (n < 0)
			break;
		copied += n;
		if (n)
			continue;
		/* Nothing more now: done, end of stream, error, or wait. */
		if (copied >= target || (peek && copied))
			break;
		if (toe_on_nic(ts)) {
			bool more, fin, closed;

			/*
			 * The event thread places data (rcv_end) before it
			 * records the peer's FIN or the connection's end, each
			 * under ts->lock. The ring looked empty above; a FIN
			 * seen now may follow data placed since: look at all
			 * three at once, and read again if there is more.
			 */
			spin_lock_bh(&ts->lock);
			more = ts->rcv_end != ts->copied;
			fin = toe_peer_fin(ts);
			closed = ts->closed;
			spin_unlock_bh(&ts->lock);
			if (more)
				continue;
			if (fin || (sk->sk_shutdown & RCV_SHUTDOWN))
				break;
			if (closed) {
				n = -READ_ONCE(ts->close_err) ?: -ECONNRESET;
				break;
			}
		}
		if (!timeo) {
			n = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			n = sock_intr_errno(timeo);
			break;
		}
		where = ts->where;
		ts->waiters++;
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, &timeo, toe_recv_ready(sk, ts) ||
			      READ_ONCE(ts->where) != where, &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		ts->waiters--;
	}
	release_sock(sk);
	return copied ? copied : n;
}

__poll_t toe_poll(struct file *file, struct socket *sock,
			 struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	struct toe_sock *ts = toe_sk(sk);
	__poll_t mask;

	if (!toe_on_nic(ts)) {
		mask = ts->sk_ops->poll(file, sock, wait);
		if (READ_ONCE(ts->pre_len))
			mask |= EPOLLIN | EPOLLRDNORM;
		return mask;
	}
	sock_poll_wait(file, sock, wait);
	mask = 0;
	if (READ_ONCE(ts->rcv_end) != READ_ONCE(ts->copied) ||
	    READ_ONCE(ts->pre_len))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (toe_peer_fin(ts) || (sk->sk_shutdown & RCV_SHUTDOWN))
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (READ_ONCE(ts->closed)) {
		mask |= EPOLLHUP | EPOLLIN | EPOLLRDNORM;
		if (READ_ONCE(ts->close_err))
			mask |= EPOLLERR;
	}
	if (!(sk->sk_shutdown & SEND_SHUTDOWN) &&
	    toe_snd_space(ts) >= ts->snd.size / 4)
		mask |= EPOLLOUT | EPOLLWRNORM;
	else
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	return mask;
}

int toe_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	struct toe_sock *ts = toe_sk(sk);
	int answ;

	switch (cmd) {
	case SIOCINQ:
		lock_sock(sk);
		answ = toe_sock_unread(ts);
		if (!toe_on_nic(ts))
			answ += tcp_sk(sk)->rcv_nxt - tcp_sk(sk)->copied_seq;
		release_sock(sk);
		break;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (!toe_on_nic(ts))
			return ts->sk_proto->ioctl(sk, cmd, arg);
		/* The NIC does not say what it sent: all is unacknowledged. */
		answ = READ_ONCE(ts->write_seq) - READ_ONCE(ts->snd_una);
		break;
	default:
		return ts->sk_proto->ioctl(sk, cmd, arg);
	}
	return put_user(answ, (int __user *)arg);
}
