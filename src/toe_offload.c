// SPDX-License-Identifier: GPL-2.0
/*
 * toe_offload.c - moving a live TCP connection to the NIC.
 *
 * Offload is two-phase (ARCHITECTURE.md invariant 1). With the socket
 * locked: DIVERT makes the device hold the connection's frames; the L2
 * receive path and the socket's backlog are drained, so every segment
 * that arrived before the divert has been through the kernel's TCP; the
 * control block and the queued data are captured; OFFLOAD commits. Only
 * then is the kernel's TCP silenced (toe_tcp_quiesce()). A failure at any
 * step before the commit UNDIVERTs, which hands the held frames to the
 * kernel: the connection stays where it was, untouched. An OFFLOAD that
 * got no answer may have been taken: the connection is then brought home
 * from host state by the device's reset, as if it had moved.
 */
#include <kunit/visibility.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/dst.h>
#include <net/neighbour.h>
#include <net/route.h>

#include "toe_capture.h"
#include "toe_sock.h"
#include "toe_trace.h"

/* How long the L2 receive path may take to drain at a divert. */
#define TOE_DRAIN_TIMEOUT	msecs_to_jiffies(1000)
/*
 * ... and the socket's own frames on their way out: before the divert,
 * and again at the commit, while the device holds the peer's frames, for
 * what the backlog sent meanwhile.
 */
#define TOE_TX_DRAIN_TIMEOUT	msecs_to_jiffies(1000)
#define TOE_TX_DRAIN_HELD	msecs_to_jiffies(200)

/**
 * toe_route_priv() - the TOE NIC a socket's route leaves through.
 * @sk: the socket
 *
 * Context: socket lock held, or under rcu_read_lock().
 * Return: its toe_priv, or NULL if the route leaves through another.
 */
struct toe_priv *toe_route_priv(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);

	if (!dst || !dst->dev || !toe_netdev_is_ours(dst->dev))
		return NULL;
	return netdev_priv(dst->dev);
}

/* The next hop's MAC address, if the neighbour entry has a valid one. */
static bool toe_peer_mac(struct sock *sk, u8 *mac)
{
	struct dst_entry *dst = __sk_dst_get(sk);
	struct neighbour *n;
	bool ok = false;

	if (!dst)
		return false;
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		n = dst_neigh_lookup(dst, &sk->sk_v6_daddr);
	else
		n = dst_neigh_lookup(dst, &inet_sk(sk)->inet_daddr);
	if (!n)
		return false;
	if (READ_ONCE(n->nud_state) & NUD_VALID) {
		neigh_ha_snapshot(mac, n, dst->dev);
		ok = is_valid_ether_addr(mac);
	}
	neigh_release(n);
	return ok;
}

static void toe_tuple_of(const struct toe_tcb *tcb, struct toe_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->family = tcb->family;
	t->local_port = tcb->local_port;
	t->remote_port = tcb->remote_port;
	memcpy(t->local_addr, tcb->local_addr, sizeof(t->local_addr));
	memcpy(t->remote_addr, tcb->remote_addr, sizeof(t->remote_addr));
}

/*
 * Every refusal is counted, traced and logged with the connection's ports,
 * so that an operator reading the kernel log learns why a move did not
 * happen.
 */
static int toe_refuse(struct toe_sock *ts, enum toe_refusal why, int err)
{
	const struct inet_sock *inet = inet_sk(ts->sk);

	ts->info.last_refusal = why;
	trace_toe_refuse(ts->conn_id, toe_refusal_name(why), err);
	if (ts->priv)
		atomic64_inc(&ts->priv->stats.refusals[why]);
	net_info_ratelimited("toe: port %u to %u: %s (%d)\n", inet->inet_num,
			     ntohs(inet->inet_dport), toe_refusal_desc(why), err);
	return err;
}

/*
 * A refusal for want of memory (TOE_REFUSE_QUEUED): which buffer, of what
 * size, could not be had.
 */
static int toe_refuse_queued(struct toe_sock *ts, const char *what, u32 size,
			     int err)
{
	const struct inet_sock *inet = inet_sk(ts->sk);

	net_info_ratelimited("toe: port %u to %u: %s of %u bytes failed (%d)\n",
			     inet->inet_num, ntohs(inet->inet_dport), what, size,
			     err);
	return toe_refuse(ts, TOE_REFUSE_QUEUED, err);
}

/*
 * Threads asleep in the kernel's own TCP calls on the socket. They entered
 * tcp_sendmsg() or tcp_recvmsg() before the ULP was attached (by toectl,
 * or policy) and would wake up, after a move, to queues that are no
 * longer the connection's. They wait in sk_wait_event() on sk_sleep()
 * with woken_wake_function, as the ULP's own waiters do (counted in
 * ts->waiters); pollers wait with other functions.
 */
static bool toe_kernel_sleepers(struct sock *sk, struct toe_sock *ts)
{
	struct wait_queue_head *wq = sk_sleep(sk);
	struct wait_queue_entry *e;
	unsigned long flags;
	int n = 0;

	if (!wq)
		return false;
	spin_lock_irqsave(&wq->lock, flags);
	list_for_each_entry(e, &wq->head, entry)
		if (e->func == woken_wake_function)
			n++;
	spin_unlock_irqrestore(&wq->lock, flags);
	return n > ts->waiters;
}

/* Everything but the device: is this socket one the NIC can take? */
static int toe_offload_check(struct toe_sock *ts)
{
	struct sock *sk = ts->sk;
	enum toe_refusal why = toe_sock_refusal(sk);

	if (why == TOE_REFUSE_STATE)
		return toe_refuse(ts, why, -ENOTCONN);
	if (why)
		return toe_refuse(ts, why, -EOPNOTSUPP);
	if (!RB_EMPTY_ROOT(&tcp_sk(sk)->out_of_order_queue))
		return toe_refuse(ts, TOE_REFUSE_OOO, -EAGAIN);
	if (ts->kernel_ops || toe_kernel_sleepers(sk, ts))
		return toe_refuse(ts, TOE_REFUSE_BUSY, -EBUSY);
	return 0;
}

/*
 * The data the application has yet to read, in stream order: what the ULP
 * still holds (ts->pre past pre_off), then @a, then @b. Returns a new
 * buffer for ts->pre, or NULL (nothing to hold, or no memory: *err).
 */
u8 *toe_pre_join(struct toe_sock *ts, const u8 *a, u32 alen,
		 const u8 *b, u32 blen, u32 *len, int *err)
{
	u32 old = ts->pre_len - ts->pre_off;
	u8 *p;

	*err = 0;
	*len = old + alen + blen;
	if (!*len)
		return NULL;
	p = kvmalloc(*len, GFP_KERNEL);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	if (old)
		memcpy(p, ts->pre + ts->pre_off, old);
	if (alen)
		memcpy(p + old, a, alen);
	if (blen)
		memcpy(p + old + alen, b, blen);
	return p;
}

/*
 * The receive ring for a connection whose kernel promised the peer the
 * window up to rcv_wup + rcv_wnd: all of it, so that the engine never has
 * data in window it cannot place (and so not acknowledge), and an eighth
 * more, the engine's reserve for the right edge's creep (each ACK rounds
 * the window up to the scale factor; see toe_engine_config).
 */
static u32 toe_rcv_ring_need(const struct toe_tcb *tcb)
{
	u32 promised = tcb->rcv_wup + tcb->rcv_wnd - tcb->rcv_nxt;

	return promised + promised / 8 + (1u << tcb->rcv_wscale);
}

/*
 * Phase zero, before the divert: what takes time and does not need the
 * device to hold the frames, so that the divert lasts as little as it can
 * (the peer's retransmission timers run meanwhile). The socket is locked
 * by the caller: nothing is written or read, and what the backlog brings
 * (run here between the steps, so the kernel keeps acknowledging) only
 * moves snd_una and rcv_nxt on, which phase two takes.
 */
static int toe_offload_prepare(struct toe_sock *ts, struct toe_tcb *tcb,
			       u8 **pre, u32 *pre_len)
{
	struct sock *sk = ts->sk;
	u32 unread_len;
	u8 *unread;
	int err;

	*pre = NULL;
	*pre_len = 0;
	if (tcb->write_seq - tcb->snd_una > TOE_SOCK_BUF_MAX)
		return toe_refuse_queued(ts, "send ring past the largest",
					 tcb->write_seq - tcb->snd_una,
					 -ENOBUFS);
	/*
	 * The window the kernel promised must fit the largest receive ring:
	 * a smaller one would move its right edge left (invariant 3).
	 */
	if (toe_rcv_ring_need(tcb) > TOE_SOCK_BUF_MAX)
		return toe_refuse_queued(ts, "receive ring for the window promised",
					 toe_rcv_ring_need(tcb), -ENOBUFS);
	/* Beyond the largest ring the engine holds the excess. */
	if (toe_buf_alloc(ts->priv, &ts->snd, tcb->snd_una,
			  tcb->write_seq - tcb->snd_una))
		return toe_refuse_queued(ts, "send ring",
					 tcb->write_seq - tcb->snd_una,
					 -ENOMEM);
	if (toe_buf_alloc(ts->priv, &ts->rcv, tcb->rcv_nxt,
			  toe_rcv_ring_need(tcb)))
		return toe_refuse_queued(ts, "receive ring",
					 toe_rcv_ring_need(tcb), -ENOMEM);
	/* The way home may not need memory it might not get. */
	if (toe_tcp_reserve(sk, ts->reserve_base,
			    tcb->write_seq - tcb->snd_una))
		return toe_refuse_queued(ts, "send memory for the upload",
					 tcb->write_seq - tcb->snd_una,
					 -ENOBUFS);
	/*
	 * The peer hears from the kernel meanwhile: what the backlog holds
	 * runs between the long steps (it only moves snd_una and rcv_nxt).
	 */
	sk_flush_backlog(sk);
	err = toe_tcp_copy_send_queue(sk, &ts->snd, tcb->snd_una,
				      tcb->write_seq);
	if (err)
		return toe_refuse_queued(ts, "copy of the send queue",
					 tcb->write_seq - tcb->snd_una, err);
	sk_flush_backlog(sk);
	err = toe_tcp_take_unread(sk, tcb->copied_seq, &unread, &unread_len);
	if (err)
		return toe_refuse_queued(ts, "copy of the unread data",
					 tcb->rcv_nxt - tcb->copied_seq, err);
	/* Where the backlog left it: phase two takes what comes after. */
	toe_tcb_capture(sk, tcb);
	/* After what the ULP still holds from an earlier upload. */
	*pre = toe_pre_join(ts, unread, unread_len, NULL, 0, pre_len, &err);
	kvfree(unread);
	if (err)
		return toe_refuse_queued(ts, "unread data for the ULP", *pre_len,
					 err);
	return 0;
}

/* Append what the backlog brought after phase zero to the unread data. */
static int toe_offload_take_late(struct toe_sock *ts, u32 from, u8 **pre,
				 u32 *pre_len)
{
	u32 len;
	u8 *late, *p;
	int err;

	err = toe_tcp_take_unread(ts->sk, from, &late, &len);
	if (err || !len)
		return err;
	p = kvrealloc(*pre, *pre_len, *pre_len + len, GFP_KERNEL);
	if (p) {
		memcpy(p + *pre_len, late, len);
		*pre = p;
		*pre_len += len;
	}
	kvfree(late);
	return p ? 0 : -ENOMEM;
}

/*
 * Wait until every frame the kernel's TCP queued for the wire (in the
 * qdisc or the TX ring; each holds sk_wmem_alloc until the driver frees
 * it at TX completion) has left. The engine's first segments must not
 * overtake them: an older TSval arriving after a newer one is a PAWS
 * reject at the peer.
 */
static int toe_drain_tx(struct sock *sk, unsigned long timeout)
{
	unsigned long end = jiffies + timeout;

	while (refcount_read(&sk->sk_wmem_alloc) > 1) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(100, 200);
	}
	return 0;
}

/*
 * The NIC has the connection: the kernel's TCP is silenced, and the ULP
 * keeps @pre, the data the application has yet to read.
 */
static void toe_offload_committed(struct sock *sk, struct toe_sock *ts,
				  u8 *pre, u32 pre_len)
{
	spin_lock_bh(&ts->lock);
	WRITE_ONCE(ts->where, TOE_WHERE_NIC);
	spin_unlock_bh(&ts->lock);
	kvfree(ts->pre);
	ts->pre = pre;
	ts->pre_len = pre_len;
	ts->pre_off = 0;
	toe_shadow_start(sk, ts);
	toe_tcp_quiesce(sk);
}

/*
 * OFFLOAD got no answer, and the device has been reset: it may have taken
 * the connection and acknowledged the peer's data into the receive ring,
 * or not. Either way the host holds all it needs (invariant 2), so it is
 * taken as moved, and the reset's failover brings it home from host
 * state, as for any connection the device ran. Returns @err; the socket
 * is home (or reset, if it could not be restored), its device let go.
 */
static int toe_offload_unanswered(struct sock *sk, struct toe_sock *ts,
				  int err)
{
	if (toe_failover_wait(sk, ts)) {
		netdev_warn(ts->priv->netdev,
			    "conn %u: OFFLOAD got no answer and no reset brought it home: the connection is lost\n",
			    ts->conn_id);
		toe_sock_lost(sk, ts, TOE_UPLOAD_WHY_RESET, false);
	}
	return err;
}

/*
 * Phase two, the device holding the frames: run the backlog, capture the
 * state, take what came since phase zero, OFFLOAD. Takes @pre.
 */
static int toe_offload_commit(struct toe_sock *ts, const u8 *mac,
			      const struct toe_tcb *tcb0, u8 *pre, u32 pre_len)
{
	struct toe_offload_req *req = ts->cmd_buf;
	struct sock *sk = ts->sk;
	struct toe_tcb tcb;
	u32 need;
	int err;

	__sk_flush_backlog(sk);
	err = toe_offload_check(ts);
	if (err)
		goto out;
	toe_tcb_capture(sk, &tcb);
	/* The socket stayed locked: only the peer's ACKs and data moved. */
	if (tcb.write_seq != tcb0->write_seq ||
	    tcb.copied_seq != tcb0->copied_seq ||
	    before(tcb.snd_una, tcb0->snd_una) ||
	    before(tcb.rcv_nxt, tcb0->rcv_nxt)) {
		err = toe_refuse(ts, TOE_REFUSE_BUSY, -EBUSY);
		goto out;
	}
	need = toe_rcv_ring_need(&tcb);
	if (need > TOE_SOCK_BUF_MAX) {
		err = toe_refuse_queued(ts, "receive ring for the window promised",
					need, -ENOBUFS);
		goto out;
	}
	if (need > ts->rcv.size) {
		/* The backlog's ACKs promised a larger window: a larger ring. */
		toe_buf_free(ts->priv, &ts->rcv);
		if (toe_buf_alloc(ts->priv, &ts->rcv, tcb.rcv_nxt, need)) {
			err = toe_refuse_queued(ts, "larger receive ring", need,
						-ENOMEM);
			goto out;
		}
	}
	if (toe_drain_tx(sk, TOE_TX_DRAIN_HELD)) {
		err = toe_refuse(ts, TOE_REFUSE_BUSY, -EBUSY);
		goto out;
	}
	ts->rcv.base = tcb.rcv_nxt;
	err = toe_offload_take_late(ts, tcb0->rcv_nxt, &pre, &pre_len);
	trace_toe_capture(ts->conn_id, &tcb, pre_len);
	if (err) {
		err = toe_refuse_queued(ts, "data that came during the move",
					tcb.rcv_nxt - tcb0->rcv_nxt, err);
		goto out;
	}

	memset(req, 0, sizeof(*req));
	toe_conn_state_encode(&tcb, &req->state);
	ether_addr_copy(req->peer_mac, mac);
	req->snd_buf = cpu_to_le64(ts->snd.dma);
	req->rcv_buf = cpu_to_le64(ts->rcv.dma);
	req->snd_buf_size = cpu_to_le32(ts->snd.size);
	req->rcv_buf_size = cpu_to_le32(ts->rcv.size);
	/*
	 * The engine gets the ring less what the ULP holds unread, but at
	 * least the space the kernel promised the peer; what is kept back
	 * (ts->rcv_deficit) is given as the application reads what the ULP
	 * holds. What the NIC holds and lets the peer send then stays
	 * within the ring, or within what the kernel held and promised.
	 */
	ts->rcv_deficit = min(pre_len, ts->rcv.size - min(need, ts->rcv.size));
	req->rcv_space = cpu_to_le32(ts->rcv.size - ts->rcv_deficit);
	req->snd_base = cpu_to_le32(ts->snd.base);
	req->rcv_base = cpu_to_le32(ts->rcv.base);
	ts->status = ts->cmd_buf + TOE_SOCK_STATUS_OFF;
	memset(ts->status, 0, sizeof(*ts->status));
	/* The device moves it on from here (include/toe_hw.h). */
	ts->status->rcv_placed = cpu_to_le32(tcb.rcv_nxt);
	req->status_addr = cpu_to_le64(ts->cmd_dma + TOE_SOCK_STATUS_OFF);
	/*
	 * The device may report on the connection as soon as it has it:
	 * its events can come before OFFLOAD's own answer has woken us. So
	 * what they update starts from the captured state now, and they
	 * are taken whatever ts->where says.
	 */
	spin_lock_bh(&ts->lock);
	ts->snd_una = tcb.snd_una;
	ts->rcv_end = tcb.rcv_nxt;
	ts->dev_state = tcb.state;
	ts->closed = false;
	ts->close_err = 0;
	ts->upload_why = TOE_UPLOAD_WHY_NONE;
	spin_unlock_bh(&ts->lock);
	WRITE_ONCE(ts->last_active, jiffies);
	WRITE_ONCE(ts->write_seq, tcb.write_seq);
	WRITE_ONCE(ts->copied, tcb.rcv_nxt);
	ts->rcv_freed_unposted = 0;
	ts->send_unposted = false;
	err = ts->priv->ops->offload(ts->priv, ts->conn_id, ts->handle,
				     ts->cmd_dma, sizeof(*req));
	trace_toe_offload(ts->conn_id, err);
	if (err == -ETIMEDOUT || err == -ENETRESET) {
		toe_refuse(ts, TOE_REFUSE_DEVICE, err);
		toe_offload_committed(sk, ts, pre, pre_len);
		return toe_offload_unanswered(sk, ts, err);
	}
	if (err) {
		err = toe_refuse(ts, TOE_REFUSE_DEVICE, err);
		goto out;
	}
	toe_offload_committed(sk, ts, pre, pre_len);
	return 0;

out:
	kvfree(pre);
	return err;
}

/**
 * toe_offload() - move a socket's connection to the NIC.
 * @sk: a socket with the toe ULP, locked by the caller
 *
 * Context: process, socket lock held; sleeps (device commands).
 * Return: 0 (also if it is on the NIC already), or an errno with the
 * reason in toe_info.last_refusal: -EPERM (TOE_FORBID), -ENOTCONN (not
 * ESTABLISHED), -ENODEV
 * (its route does not leave through a TOE NIC), -EHOSTUNREACH (no
 * neighbour entry for the next hop yet), -EOPNOTSUPP (something the NIC
 * cannot carry), -EAGAIN (out-of-order data queued: try later), -EBUSY
 * (something under way in the kernel's TCP, or a slow receive path: try
 * later), -ENOBUFS
 * (more queued than the NIC buffers hold), -ENOSPC (the NIC holds as
 * many connections as it can), -ENOMEM, or the device's errno; -EPERM
 * also when net.toe.mode is 0 (off).
 */
int toe_offload(struct sock *sk)
{
	return toe_offload_within(sk, 0);
}

/* The device feature a connection needs: IPv6, or IPv4 (also mapped). */
static u32 toe_feature_for(const struct sock *sk)
{
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		return TOE_FEAT_OFFLOAD_IPV6;
	return TOE_FEAT_OFFLOAD_IPV4;
}

/**
 * toe_offload_asked() - toe_offload() asked for by the socket's user.
 * @sk: a socket with the toe ULP, locked by the caller
 * @privileged: the one asking has CAP_NET_ADMIN in the socket's namespace
 *
 * The NIC's connections and memory are the administrator's: others may
 * ask only where the policy lets users ask (net.toe.user_offload).
 *
 * Context: as toe_offload().
 * Return: as toe_offload(), or -EPERM (TOE_REFUSE_PERMISSION).
 */
int toe_offload_asked(struct sock *sk, bool privileged)
{
	struct toe_sock *ts = toe_sk(sk);

	sock_owned_by_me(sk);
	if (ts->where == TOE_WHERE_NIC)
		return 0;
	if (!privileged && !toe_pol_ops->users_may_ask(sk))
		return toe_refuse(ts, TOE_REFUSE_PERMISSION, -EPERM);
	return toe_offload(sk);
}

/* Take a place on the NIC, if fewer than @limit are taken. */
static bool toe_slot_take(struct toe_priv *priv, u32 limit)
{
	int n = atomic_read(&priv->n_conns);

	do {
		if (n >= limit)
			return false;
	} while (!atomic_try_cmpxchg(&priv->n_conns, &n, n + 1));
	return true;
}

/**
 * toe_offload_within() - toe_offload(), if the NIC holds fewer than
 * @limit connections.
 * @sk: the socket, owned
 * @limit: connections the NIC may hold at most; 0 or more than it can
 *	hold: as many as it can
 *
 * Context: as toe_offload().
 * Return: as toe_offload(), or -ENOSPC (TOE_REFUSE_NIC_FULL).
 */
int toe_offload_within(struct sock *sk, u32 limit)
{
	sock_owned_by_me(sk);
	if (toe_sk(sk)->where == TOE_WHERE_NIC)
		return 0;
	return toe_offload_to(sk, toe_route_priv(sk), NULL, limit);
}

/**
 * toe_offload_to() - move a socket's connection to a given device.
 * @sk: the socket, owned
 * @priv: the device its route leaves through, or NULL if none
 * @mac: the next hop's MAC address, or NULL to look up its neighbour
 * @limit: as for toe_offload_within()
 *
 * What toe_offload_within() does once the route is known; KUnit calls it
 * with a fake device.
 *
 * Context: as toe_offload().
 * Return: as toe_offload_within().
 */
int toe_offload_to(struct sock *sk, struct toe_priv *priv, const u8 *mac,
		   u32 limit)
{
	struct toe_sock *ts = toe_sk(sk);
	struct toe_tuple *t;
	struct toe_tcb tcb;
	u32 value, pre_len;
	u8 hop[ETH_ALEN];
	u8 *pre = NULL;
	int err;

	sock_owned_by_me(sk);
	if (ts->where == TOE_WHERE_NIC)
		return 0;
	if (ts->forbid)
		return toe_refuse(ts, TOE_REFUSE_FORBIDDEN, -EPERM);
	if (!toe_pol_ops->may_offload(sk))
		return toe_refuse(ts, TOE_REFUSE_POLICY, -EPERM);
	err = toe_offload_check(ts);
	if (err)
		return err;
	if (!priv || !(priv->features & toe_feature_for(sk)) ||
	    !test_bit(TOE_F_HW_UP, &priv->flags) ||
	    !netif_running(priv->netdev))
		return toe_refuse(ts, TOE_REFUSE_ROUTE, -ENODEV);
	/* A cpumap could hand the kernel one of its frames after the move. */
	if (rcu_access_pointer(priv->netdev->xdp_prog))
		return toe_refuse(ts, TOE_REFUSE_XDP, -EOPNOTSUPP);
	if (!mac) {
		if (!toe_peer_mac(sk, hop))
			return toe_refuse(ts, TOE_REFUSE_ROUTE, -EHOSTUNREACH);
		mac = hop;
	}
	if (!toe_sock_graft(sk, ts))
		return toe_refuse(ts, TOE_REFUSE_STATE, -ENOTCONN);
	if (!limit || limit > priv->conn_capacity)
		limit = priv->conn_capacity;
	/* A device being removed takes no more (toe_core_dev_remove()). */
	down_read(&priv->offload_sem);
	if (priv->offload_closed) {
		up_read(&priv->offload_sem);
		return toe_refuse(ts, TOE_REFUSE_ROUTE, -ENODEV);
	}
	if (!toe_slot_take(priv, limit)) {
		up_read(&priv->offload_sem);
		return toe_refuse(ts, TOE_REFUSE_NIC_FULL, -ENOSPC);
	}

	/* From here on, toe_sock_release_nic() gives back what was taken. */
	dev_hold(priv->netdev);
	ts->priv = priv;
	ts->reserve_base = sk->sk_reserved_mem;
	ts->cmd_buf = dma_alloc_coherent(priv->dma_dev, PAGE_SIZE,
					 &ts->cmd_dma, GFP_KERNEL);
	/*
	 * Handles go round 2^31 before one is used again: no late event or
	 * answer about a connection reaches the next one.
	 */
	err = xa_alloc_cyclic(&priv->conns, &ts->handle, ts, xa_limit_31b,
			      &priv->next_handle, GFP_KERNEL);
	up_read(&priv->offload_sem);
	if (err < 0) {
		ts->handle = U32_MAX;	/* xa_erase() of it does nothing */
		goto err_free;
	}
	if (!ts->cmd_buf) {
		err = -ENOMEM;
		goto err_free;
	}

	toe_tcb_capture(sk, &tcb);
	err = toe_offload_prepare(ts, &tcb, &pre, &pre_len);
	if (err)
		goto err_free;

	/* With the socket locked, the kernel's TCP sends nothing more. */
	if (toe_drain_tx(sk, TOE_TX_DRAIN_TIMEOUT)) {
		err = toe_refuse(ts, TOE_REFUSE_BUSY, -EBUSY);
		goto err_free;
	}

	/* Phase one: the device holds the frames from now on. */
	t = ts->cmd_buf;
	toe_tuple_of(&tcb, t);
	ts->conn_id = TOE_CONN_NONE;
	err = priv->ops->divert(priv, ts->handle, ts->cmd_dma, sizeof(*t),
				&value);
	trace_toe_divert(&tcb, err ? TOE_CONN_NONE : value, err);
	if (err) {
		toe_refuse(ts, TOE_REFUSE_DEVICE, err);
		goto err_free;
	}
	ts->conn_id = value;
	err = priv->ops->drain_rx(priv, TOE_DRAIN_TIMEOUT);
	if (err) {
		/* A receive path this slow is busy: try again later. */
		err = toe_refuse(ts, TOE_REFUSE_BUSY, -EBUSY);
	} else {
		err = toe_offload_commit(ts, mac, &tcb, pre, pre_len);
		pre = NULL;	/* the commit took it */
	}
	/* Home through the failover of an OFFLOAD with no answer. */
	if (err && !ts->priv)
		return err;
	if (err) {
		/* Undo: the held frames go to the kernel, which has it all. */
		toe_conn_undivert(ts);
		goto err_free;
	}
	ts->info.offloads++;
	ts->info.last_refusal = TOE_REFUSE_NONE;
	atomic64_inc(&priv->stats.offloads);
	/* The mode went off during the move: its walk may have missed it. */
	if (!toe_pol_ops->may_offload(sk) &&
	    !toe_upload(sk, TOE_UPLOAD_WHY_MODE_OFF))
		toe_pol_ops->uploaded(sk, ts, TOE_UPLOAD_WHY_MODE_OFF);
	return 0;

err_free:
	kvfree(pre);
	toe_sock_release_nic(ts, false, true);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(toe_offload_to);
