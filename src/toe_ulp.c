// SPDX-License-Identifier: GPL-2.0
/*
 * toe_ulp.c - the "toe" TCP upper-layer protocol: the socket operations of
 * a socket that may move to the NIC.
 *
 * setsockopt(TCP_ULP, "toe") on an ESTABLISHED socket replaces that
 * socket's proto and proto_ops with copies of its own whose operations
 * branch on where the connection is. On the host they are the kernel's
 * (after any data the ULP still holds for the application). On the NIC
 * the application's bytes go through the connection's ring buffers in
 * DMA memory: send data is copied once into the send ring and freed only
 * as the device reports it acknowledged; received data is read from the
 * receive ring, which the device fills before it acknowledges. What the
 * NIC cannot do (urgent data, sendpage, splice, options other than
 * TCP_NODELAY and keepalive) brings the connection home first and then
 * goes to the kernel.
 *
 * Locking: every operation takes the socket lock, as the kernel's do;
 * waits release it (sk_wait_event()).
 */
#include <linux/mutex.h>
#include <linux/sockptr.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <net/inet_common.h>
#include <net/tcp.h>
#include <net/transp_v6.h>
#include <kunit/visibility.h>
#include <asm/ioctls.h>

#include "toe_sock.h"

enum { TOE_V4, TOE_V6, TOE_NUM_FAMILIES };

static struct proto toe_prots[TOE_NUM_FAMILIES];
static struct proto_ops toe_proto_ops[TOE_NUM_FAMILIES];
static const struct proto *saved_prots[TOE_NUM_FAMILIES];
static const struct proto_ops *saved_ops[TOE_NUM_FAMILIES];
static DEFINE_MUTEX(toe_prot_mutex);
static struct tcp_ulp_ops toe_ulp_ops;

/* Does @sk have the toe ULP, and its context? */
bool toe_sock_is_ours(const struct sock *sk)
{
	/* Closed sockets keep the ops but no longer their context. */
	return inet_csk(sk)->icsk_ulp_ops == &toe_ulp_ops &&
	       rcu_access_pointer(inet_csk(sk)->icsk_ulp_data);
}
EXPORT_SYMBOL_IF_KUNIT(toe_sock_is_ours);

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

static bool toe_on_nic(const struct toe_sock *ts)
{
	return READ_ONCE(ts->where) == TOE_WHERE_NIC;
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
 * or (@freed) read @arg bytes of the receive ring.
 */
static int toe_sock_tell(struct toe_sock *ts, bool freed, u32 arg)
{
	struct toe_priv *priv = ts->priv;
	int err;

	if (freed)
		err = priv->ops->recv_freed(priv, ts->conn_id, ts->handle, arg);
	else
		err = priv->ops->send(priv, ts->conn_id, ts->handle, arg);
	if (err)
		toe_warn_rl(priv, "conn %u: %s not posted: %d\n", ts->conn_id,
			    freed ? "RECV_FREED" : "SEND", err);
	return err;
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
	at = toe_buf_off(&ts->snd, ts->write_seq);
	first = min(n, ts->snd.size - at);
	if (copy_from_iter(ts->snd.data + at, first, &msg->msg_iter) != first ||
	    copy_from_iter(ts->snd.data, n - first, &msg->msg_iter) !=
	    n - first)
		return -EFAULT;
	WRITE_ONCE(ts->write_seq, ts->write_seq + n);
	ts->info.bytes_sent_nic += n;
	/* If not posted, the bytes stay in the ring: the next SEND names them. */
	toe_sock_tell(ts, false, ts->write_seq);
	return n;
}

static int toe_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
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

static int toe_sendpage(struct sock *sk, struct page *page, int offset,
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
	n += ts->rcv_freed_unposted;
	ts->rcv_freed_unposted = 0;
	if (n && toe_sock_tell(ts, true, n))
		ts->rcv_freed_unposted = n;
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

static int toe_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
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

static __poll_t toe_poll(struct file *file, struct socket *sock,
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

static int toe_ioctl(struct sock *sk, int cmd, unsigned long arg)
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

/*
 * Calls that need the kernel's TCP: bring the connection home first.
 */

static void toe_shutdown(struct sock *sk, int how)
{
	struct toe_sock *ts = toe_sk(sk);

	/* inet_shutdown() holds the socket lock. */
	if (toe_on_nic(ts) && (how & SEND_SHUTDOWN))
		toe_upload(sk, TOE_UPLOAD_WHY_SHUTDOWN);
	ts->sk_proto->shutdown(sk, how);
}

static int toe_disconnect(struct sock *sk, int flags)
{
	struct toe_sock *ts = toe_sk(sk);

	/* Called with the socket lock held. */
	toe_upload(sk, TOE_UPLOAD_WHY_CLOSE);
	return ts->sk_proto->disconnect(sk, flags);
}

static void toe_keepalive(struct sock *sk, int valbool)
{
	struct toe_sock *ts = toe_sk(sk);
	int err;

	/*
	 * sk_setsockopt() holds the socket lock and sets SOCK_KEEPOPEN after
	 * this. On the NIC the engine keeps the connection alive; the
	 * kernel's timer starts again at the upload.
	 */
	if (!toe_on_nic(ts)) {
		ts->sk_proto->keepalive(sk, valbool);
		return;
	}
	err = toe_set_opts(sk, valbool);
	if (err)
		toe_warn_rl(ts->priv, "conn %u: SO_KEEPALIVE not set on the NIC: %d\n",
			    ts->conn_id, err);
}

static ssize_t toe_splice_read(struct socket *sock, loff_t *ppos,
			       struct pipe_inode_info *pipe, size_t len,
			       unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct toe_sock *ts = toe_sk(sk);

	ssize_t ret;

	lock_sock(sk);
	toe_upload(sk, TOE_UPLOAD_WHY_SOCKOPT);
	/* What the ULP still holds must be read first, by read(). */
	if (ts->pre_len) {
		release_sock(sk);
		return -EAGAIN;
	}
	ts->kernel_ops++;
	release_sock(sk);
	ret = ts->sk_ops->splice_read(sock, ppos, pipe, len, flags);
	lock_sock(sk);
	ts->kernel_ops--;
	release_sock(sk);
	return ret;
}

/*
 * Options
 */

static int toe_setsockopt_toe(struct sock *sk, int optname, sockptr_t optval,
			      unsigned int optlen)
{
	struct toe_sock *ts = toe_sk(sk);
	int val, err = 0;

	if (optname != TOE_OFFLOAD && optname != TOE_FORBID)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val != 0 && val != 1)
		return -EINVAL;
	lock_sock(sk);
	toe_pol_ops->socket_chose(sk, ts);
	if (optname == TOE_FORBID) {
		ts->forbid = val;
		if (val)
			err = toe_upload(sk, TOE_UPLOAD_WHY_USER);
	} else {
		err = val ? toe_offload(sk) :
			    toe_upload(sk, TOE_UPLOAD_WHY_USER);
	}
	release_sock(sk);
	return err;
}

/* The TCP options the engine honours: the rest bring the connection home. */
static bool toe_engine_opt(int level, int optname)
{
	return level == SOL_TCP &&
	       (optname == TCP_NODELAY || optname == TCP_KEEPIDLE ||
		optname == TCP_KEEPINTVL || optname == TCP_KEEPCNT);
}

/*
 * Set an engine option on a socket on the NIC: in the tcp_sock, with the
 * kernel's own bounds, and in the engine. The kernel's keepalive timer is
 * not started (tcp_sock_set_keepidle() would): the engine keeps time.
 */
static int toe_setsockopt_engine(struct sock *sk, int optname, int val)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u8 nonagle = tp->nonagle, probes = tp->keepalive_probes;
	u32 time = tp->keepalive_time, intvl = tp->keepalive_intvl;
	int err;

	switch (optname) {
	case TCP_NODELAY:
		if (val)
			tp->nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
		else
			tp->nonagle &= ~TCP_NAGLE_OFF;
		break;
	case TCP_KEEPIDLE:
		if (val < 1 || val > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		WRITE_ONCE(tp->keepalive_time, val * HZ);
		break;
	case TCP_KEEPINTVL:
		if (val < 1 || val > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		WRITE_ONCE(tp->keepalive_intvl, val * HZ);
		break;
	case TCP_KEEPCNT:
		if (val < 1 || val > MAX_TCP_KEEPCNT)
			return -EINVAL;
		WRITE_ONCE(tp->keepalive_probes, val);
		break;
	}
	err = toe_set_opts(sk, sock_flag(sk, SOCK_KEEPOPEN));
	if (err) {
		/* As it was: the engine did not take it. */
		tp->nonagle = nonagle;
		WRITE_ONCE(tp->keepalive_time, time);
		WRITE_ONCE(tp->keepalive_intvl, intvl);
		WRITE_ONCE(tp->keepalive_probes, probes);
	}
	return err;
}

/*
 * The policy may have given a socket the ULP before its application asks
 * for it: asking again is no error. Any other ULP is refused, as the
 * kernel would (EEXIST).
 */
static int toe_setsockopt_ulp(sockptr_t optval, unsigned int optlen)
{
	char name[TCP_ULP_NAME_MAX];
	int len;

	len = min_t(unsigned int, optlen, sizeof(name) - 1);
	if (copy_from_sockptr(name, optval, len))
		return -EFAULT;
	name[len] = '\0';
	return strcmp(name, "toe") ? -EEXIST : 0;
}

static int toe_setsockopt(struct sock *sk, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	struct toe_sock *ts = toe_sk(sk);
	int val, err;

	if (level == SOL_TOE)
		return toe_setsockopt_toe(sk, optname, optval, optlen);
	if (level == SOL_TCP && optname == TCP_ULP)
		return toe_setsockopt_ulp(optval, optlen);
	if (toe_engine_opt(level, optname)) {
		if (optlen < sizeof(int))
			return -EINVAL;
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		lock_sock(sk);
		if (toe_on_nic(ts)) {
			err = toe_setsockopt_engine(sk, optname, val);
			release_sock(sk);
			return err;
		}
		release_sock(sk);
	} else if (toe_on_nic(ts)) {
		/* One the NIC cannot honour: the kernel's TCP takes it. */
		lock_sock(sk);
		toe_upload(sk, TOE_UPLOAD_WHY_SOCKOPT);
		release_sock(sk);
	}
	return ts->sk_proto->setsockopt(sk, level, optname, optval, optlen);
}

static int toe_getsockopt_toe(struct sock *sk, int optname,
			      char __user *optval, int __user *optlen)
{
	struct toe_sock *ts = toe_sk(sk);
	struct toe_info info;
	int len, val;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case TOE_OFFLOAD:
	case TOE_FORBID:
		val = optname == TOE_OFFLOAD ? toe_on_nic(ts) :
					       READ_ONCE(ts->forbid);
		len = min_t(int, len, sizeof(val));
		if (put_user(len, optlen) || copy_to_user(optval, &val, len))
			return -EFAULT;
		return 0;
	case TOE_INFO:
		lock_sock(sk);
		info = ts->info;
		info.where = ts->where;
		info.conn_id = toe_on_nic(ts) ? ts->conn_id : TOE_CONN_NONE;
		release_sock(sk);
		len = min_t(int, len, sizeof(info));
		if (put_user(len, optlen) || copy_to_user(optval, &info, len))
			return -EFAULT;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int toe_getsockopt(struct sock *sk, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	struct toe_sock *ts = toe_sk(sk);

	if (level == SOL_TOE)
		return toe_getsockopt_toe(sk, optname, optval, optlen);
	if (level == SOL_TCP && optname == TCP_INFO && toe_on_nic(ts)) {
		/* The device's latest figures, not those of its last event. */
		lock_sock(sk);
		toe_shadow_refresh(sk, ts);
		release_sock(sk);
	}
	return ts->sk_proto->getsockopt(sk, level, optname, optval, optlen);
}

/*
 * Life of the ULP on a socket
 */

/* The netlink dump and a device reset may still read it under RCU. */
static void toe_sock_free(struct toe_sock *ts)
{
	kvfree(ts->pre);
	kfree_rcu(ts, rcu);
}

/* Restore the socket's own proto; the caller holds the socket lock. */
static void toe_sock_detach(struct sock *sk, struct toe_sock *ts)
{
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ts->sk_proto);
	if (sk->sk_socket && ts->sk_ops)
		WRITE_ONCE(sk->sk_socket->ops, ts->sk_ops);
	write_unlock_bh(&sk->sk_callback_lock);
}

static void toe_close(struct sock *sk, long timeout)
{
	struct toe_sock *ts = toe_sk(sk);
	struct proto *base = ts->sk_proto;

	lock_sock(sk);
	toe_pol_ops->closing(sk, ts);
	toe_upload(sk, TOE_UPLOAD_WHY_CLOSE);
	toe_sock_detach(sk, ts);
	release_sock(sk);
	/* A request still queued took a reference on the socket. */
	if (cancel_work_sync(&ts->upload_work))
		sock_put(sk);
	toe_sock_free(ts);
	base->close(sk, timeout);
}

static void toe_build_prot(struct proto *prot, const struct proto *base)
{
	*prot = *base;
	prot->close = toe_close;
	prot->disconnect = toe_disconnect;
	prot->ioctl = toe_ioctl;
	prot->shutdown = toe_shutdown;
	prot->setsockopt = toe_setsockopt;
	prot->getsockopt = toe_getsockopt;
	prot->keepalive = toe_keepalive;
	prot->sendmsg = toe_sendmsg;
	prot->recvmsg = toe_recvmsg;
	prot->sendpage = toe_sendpage;
	prot->release_cb = toe_shadow_release_cb;
}

static void toe_build_ops(struct proto_ops *ops,
			  const struct proto_ops *base_ops)
{
	*ops = *base_ops;
	ops->poll = toe_poll;
	ops->splice_read = toe_splice_read;
}

/* Build the family's proto once per base proto, as kTLS does. */
static void toe_build_proto_from(int fam, const struct proto *prot)
{
	/* Pairs with the release below: the copy is whole once seen. */
	if (likely(smp_load_acquire(&saved_prots[fam]) == prot))
		return;
	mutex_lock(&toe_prot_mutex);
	if (saved_prots[fam] != prot) {
		toe_build_prot(&toe_prots[fam], prot);
		/* Publish the copy before the pointer that says it exists. */
		smp_store_release(&saved_prots[fam], prot);
	}
	mutex_unlock(&toe_prot_mutex);
}

static void toe_build_proto(struct sock *sk, int fam)
{
	toe_build_proto_from(fam, READ_ONCE(sk->sk_prot));
}

/* ... and its proto_ops once per base proto_ops. */
static void toe_build_proto_ops(struct sock *sk, int fam)
{
	const struct proto_ops *ops = sk->sk_socket->ops;

	/* Pairs with the release below: the copy is whole once seen. */
	if (likely(smp_load_acquire(&saved_ops[fam]) == ops))
		return;
	mutex_lock(&toe_prot_mutex);
	if (saved_ops[fam] != ops) {
		toe_build_ops(&toe_proto_ops[fam], ops);
		/* Publish the copy before the pointer that says it exists. */
		smp_store_release(&saved_ops[fam], ops);
	}
	mutex_unlock(&toe_prot_mutex);
}

static int toe_family(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? TOE_V6 : TOE_V4;
}

/**
 * toe_sock_graft() - give the socket's file the ULP's proto_ops.
 * @sk: a socket with the toe ULP, owned
 * @ts: its context
 *
 * The policy attaches the ULP to a passive connection while it may still
 * wait in its listener's accept queue, with no struct socket yet: accept
 * then gives it the listener's proto_ops. The ULP's own (poll and splice
 * see what the ULP holds) are needed only once the connection moves, so
 * they are put in place then.
 *
 * Return: true if they are in place; false if the socket has no file.
 */
bool toe_sock_graft(struct sock *sk, struct toe_sock *ts)
{
	int fam = toe_family(sk);

	if (ts->sk_ops)
		return true;
	if (!sk->sk_socket)
		return false;
	toe_build_proto_ops(sk, fam);
	write_lock_bh(&sk->sk_callback_lock);
	ts->sk_ops = sk->sk_socket->ops;
	WRITE_ONCE(sk->sk_socket->ops, &toe_proto_ops[fam]);
	write_unlock_bh(&sk->sk_callback_lock);
	return true;
}

static struct toe_sock *toe_sock_alloc(struct sock *sk, gfp_t gfp)
{
	struct toe_sock *ts = kzalloc(sizeof(*ts), gfp);

	if (!ts)
		return NULL;
	ts->sk = sk;
	ts->sk_proto = READ_ONCE(sk->sk_prot);
	ts->where = TOE_WHERE_HOST;
	toe_sock_init_move(ts);
	return ts;
}

/* Put the ULP's context and proto in place; its protos are built. */
static void toe_sock_install(struct sock *sk, struct toe_sock *ts, int fam)
{
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ts);
	WRITE_ONCE(sk->sk_prot, &toe_prots[fam]);
	write_unlock_bh(&sk->sk_callback_lock);
}

static int toe_ulp_init(struct sock *sk)
{
	int fam = toe_family(sk);
	struct toe_sock *ts;

	/* Like kTLS: established sockets only, never a listener's clones. */
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	ts = toe_sock_alloc(sk, GFP_KERNEL);
	if (!ts)
		return -ENOMEM;
	toe_build_proto(sk, fam);
	toe_sock_install(sk, ts, fam);
	toe_sock_graft(sk, ts);
	return 0;
}

/**
 * toe_ulp_attach_atomic() - give a socket the ULP where it becomes
 * ESTABLISHED, as setsockopt(TCP_ULP) would.
 * @sk: the socket, locked by whoever changes its state (often softirq)
 *
 * The policy attaches the ULP before the application can have a thread
 * inside the kernel's own recvmsg() or sendmsg(): such a thread would
 * keep the connection from moving for as long as it sleeps there. What
 * tcp_set_ulp() does, done without sleeping: the module reference it
 * takes is dropped by tcp_cleanup_ulp() when the socket is destroyed.
 *
 * Return: 0; -EAGAIN if the ULP has no proto built for this socket's
 * proto (toe_ulp_register() builds them for tcp_prot and tcpv6_prot;
 * another, such as sockmap's, only setsockopt(TCP_ULP) can take);
 * -EEXIST if the socket has a ULP; -ENODEV or -ENOMEM.
 */
int toe_ulp_attach_atomic(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int fam = toe_family(sk);
	struct toe_sock *ts;

	if (icsk->icsk_ulp_ops)
		return -EEXIST;
	/* Pairs with the release in toe_build_proto(). */
	if (smp_load_acquire(&saved_prots[fam]) != READ_ONCE(sk->sk_prot))
		return -EAGAIN;
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	ts = toe_sock_alloc(sk, GFP_ATOMIC);
	if (!ts) {
		module_put(THIS_MODULE);
		return -ENOMEM;
	}
	if (sk->sk_socket)
		clear_bit(SOCK_SUPPORT_ZC, &sk->sk_socket->flags);
	icsk->icsk_ulp_ops = &toe_ulp_ops;
	toe_sock_install(sk, ts, fam);
	return 0;
}

/* sockmap and the like swapped the proto under us: remember theirs. */
static void toe_ulp_update(struct sock *sk, struct proto *p,
			   void (*write_space)(struct sock *sk))
{
	struct toe_sock *ts = toe_sk(sk);

	if (ts)
		ts->sk_proto = p;
	else
		WRITE_ONCE(sk->sk_prot, p);
	sk->sk_write_space = write_space;
}

/* The socket is destroyed without our close (it never is, normally). */
static void toe_ulp_release(struct sock *sk)
{
	struct toe_sock *ts = toe_sk(sk);

	if (ts) {
		/*
		 * A connection the policy gave the ULP in its listener's
		 * accept queue is destroyed without our close when the
		 * listener closes first: its proto must not stay ours, as
		 * what frees the socket later reads it and the module may
		 * be gone by then.
		 */
		toe_sock_detach(sk, ts);
		toe_sock_free(ts);
	}
}

static struct tcp_ulp_ops toe_ulp_ops __read_mostly = {
	.name = "toe",
	.owner = THIS_MODULE,
	.init = toe_ulp_init,
	.update = toe_ulp_update,
	.release = toe_ulp_release,
};

/* The policy above the core (struct toe_policy_ops). */
const struct toe_policy_ops *toe_pol_ops __read_mostly;

/**
 * toe_core_set_policy() - name the policy the core reports to.
 * @ops: its hooks; NULL once no device nor socket is left
 *
 * Called by the module before the PCI driver and the ULP are registered,
 * and with NULL after both are gone: the hooks are never called without
 * one set.
 */
void toe_core_set_policy(const struct toe_policy_ops *ops)
{
	toe_pol_ops = ops;
}

int toe_ulp_register(void)
{
	/* Built before any socket needs them: the policy attaches in softirq. */
	toe_build_proto_from(TOE_V4, &tcp_prot);
#if IS_REACHABLE(CONFIG_IPV6)
	toe_build_proto_from(TOE_V6, &tcpv6_prot);
#endif
	return tcp_register_ulp(&toe_ulp_ops);
}

void toe_ulp_unregister(void)
{
	tcp_unregister_ulp(&toe_ulp_ops);
}
