// SPDX-License-Identifier: GPL-2.0
/*
 * toe_conn.c - the connections on a device: the table of them, the
 * commands about one, the device's events about them, a walk over them,
 * and what the driver calls in the core (struct toe_core_cb).
 *
 * Locking: the moves (toe_offload.c, toe_upload.c) run under the socket
 * lock. The device's events come from the EVT irq thread, which finds
 * the socket's context in priv->conns under RCU and updates the fields
 * under toe_sock.lock.
 */
#include <kunit/visibility.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "toe_sock.h"

#define CREATE_TRACE_POINTS
#include "toe_trace.h"

/**
 * toe_sock_release_nic() - give back what an offload took.
 * @ts: the context; its buffers, slot, handle and device reference go
 * @settled: the device answered UPLOAD, so the event thread, which takes
 *	events in ring order, is done with every event of the connection
 *	(the answer comes after them, and none follows). Otherwise one may
 *	still be on its way through toe_sock_event(), which reads
 *	ts->status: wait for it. The context itself outlives RCU readers
 *	(kfree_rcu() at close).
 * @dma_done: the device writes none of the buffers any more (it was
 *	told to let go, or reset); if not, they are left to it, not freed
 *
 * Context: process, the socket owned.
 */
void toe_sock_release_nic(struct toe_sock *ts, bool settled, bool dma_done)
{
	struct toe_priv *priv = ts->priv;

	/* The kernel's queues have what they took of the reserve. */
	toe_tcp_unreserve(ts->sk, ts->reserve_base);

	xa_erase(&priv->conns, ts->handle);
	atomic_dec(&priv->n_conns);
	if (!settled)
		synchronize_rcu();
	if (dma_done) {
		toe_buf_free(priv, &ts->snd);
		toe_buf_free(priv, &ts->rcv);
		dma_free_coherent(priv->dma_dev, PAGE_SIZE, ts->cmd_buf,
				  ts->cmd_dma);
	} else {
		netdev_warn(priv->netdev,
			    "conn %u: the device did not stop: its buffers are not freed\n",
			    ts->conn_id);
	}
	ts->snd.data = NULL;
	ts->rcv.data = NULL;
	ts->cmd_buf = NULL;
	ts->conn_id = TOE_CONN_NONE;
	ts->priv = NULL;
	dev_put(priv->netdev);
}

/**
 * toe_conn_undivert() - the device lets go of the frames it holds.
 * @ts: the connection, home or never moved, still on its device
 *
 * A device that does not would hold the peer's frames for ever: one that
 * refuses is reset (a reset drops every hold; its other connections come
 * home from host state); one that did not answer is being reset already.
 *
 * Context: process; sleeps (a device command).
 * Return: the UNDIVERT's errno.
 */
int toe_conn_undivert(struct toe_sock *ts)
{
	struct toe_priv *priv = ts->priv;
	int err = priv->ops->undivert(priv, ts->conn_id, ts->handle);

	trace_toe_undivert(ts->conn_id, err);
	if (err && !toe_conn_err_reset(err)) {
		netdev_warn(priv->netdev,
			    "conn %u: UNDIVERT refused (%d): resetting the device, which would hold the peer's frames\n",
			    ts->conn_id, err);
		priv->ops->reset(priv, "UNDIVERT refused");
	}
	return err;
}

/**
 * toe_set_opts() - give the engine the socket options it honours.
 * @sk: a socket on the NIC, owned by the caller
 * @keepalive: SO_KEEPALIVE as it is to be (the flag may not be set yet)
 *
 * TCP_NODELAY and the keepalive time, interval and count are taken from
 * the tcp_sock as the kernel's TCP would use them.
 *
 * Context: process, socket lock held; sleeps (a device command).
 * Return: 0 (also when the device has closed the connection, which it
 * no longer knows), or the device's errno.
 */
int toe_set_opts(struct sock *sk, bool keepalive)
{
	struct toe_sock *ts = toe_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u64 arg = TOE_OPTS_KA_PROBES(keepalive_probes(tp)) |
		  TOE_OPTS_KA_TIME(keepalive_time_when(tp) / HZ) |
		  TOE_OPTS_KA_INTVL(keepalive_intvl_when(tp) / HZ);
	int err;

	sock_owned_by_me(sk);
	/* Closed, the device forgot the slot: it may be another's now. */
	if (READ_ONCE(ts->closed))
		return 0;
	if (tp->nonagle & TCP_NAGLE_OFF)
		arg |= TOE_OPTS_NODELAY;
	if (keepalive)
		arg |= TOE_OPTS_KEEPALIVE;
	err = ts->priv->ops->set_opts(ts->priv, ts->conn_id, ts->handle, arg);
	trace_toe_set_opts(ts->conn_id, arg, err);
	return err;
}

/*
 * Check a value the device reports against what the host knows: a
 * sequence may only move forward, and not past @limit.
 */
static bool toe_seq_ok(u32 old, u32 val, u32 limit)
{
	return !before(val, old) && !after(val, limit);
}

/* What the NIC gives as its reason to ask for a connection back. */
static const char *const toe_upload_reason_names[] = {
	[TOE_UPLOAD_URGENT] = "urgent data",
	[TOE_UPLOAD_OPTION] = "an option it does not handle",
	[TOE_UPLOAD_REASM_MEM] = "no memory to hold out-of-order data",
	[TOE_UPLOAD_PMTU] = "the path MTU changed",
	[TOE_UPLOAD_IDLE] = "idle",
	[TOE_UPLOAD_CAPACITY] = "it needs the slot",
	[TOE_UPLOAD_REQUESTED] = "asked to",
};

/**
 * toe_sock_event() - an event about an offloaded connection.
 * @priv: the device
 * @type: TOE_EVT_ACKED, RECV, STATE, CLOSED or UPLOAD_REQ
 * @handle: the host handle it carries
 * @conn_id: the slot it names
 * @status: CLOSED: why
 * @reason: UPLOAD_REQ: why
 * @value: the event's value
 *
 * Every id and value is checked against what the host knows; an event
 * that does not fit is counted and dropped.
 *
 * Context: the EVT irq thread.
 */
void toe_sock_event(struct toe_priv *priv, u16 type, u64 handle, u32 conn_id,
		    u32 status, u16 reason, u32 value)
{
	struct toe_sock *ts;
	__poll_t wake = 0;
	struct sock *sk;
	bool ok = true;

	rcu_read_lock();
	ts = handle <= U32_MAX ? xa_load(&priv->conns, handle) : NULL;
	if (!ts || ts->conn_id != conn_id) {
		rcu_read_unlock();
		atomic64_inc(&priv->stats.evt_bad);
		toe_warn_rl(priv, "event %#x for unknown connection %u/%llu\n",
			    type, conn_id, handle);
		return;
	}
	/*
	 * The context outlives this RCU section (kfree_rcu()), its socket
	 * need not: a device may report after UPLOAD's answer, while the
	 * socket closes. TCP sockets are SLAB_TYPESAFE_BY_RCU, so hold it
	 * if it is still alive, and still this context's.
	 */
	sk = ts->sk;
	if (!refcount_inc_not_zero(&sk->sk_refcnt)) {
		rcu_read_unlock();
		return;
	}
	if (rcu_access_pointer(inet_csk(sk)->icsk_ulp_data) != ts) {
		rcu_read_unlock();
		sock_put(sk);
		return;
	}
	/*
	 * The handle is in priv->conns from before OFFLOAD to after UPLOAD's
	 * answer, and the device reports nothing outside that: an event can
	 * come while the commit is still on its way to set ts->where, so it
	 * is taken whatever that says.
	 */
	spin_lock(&ts->lock);
	switch (type) {
	case TOE_EVT_ACKED:
		ok = toe_seq_ok(ts->snd_una, value, READ_ONCE(ts->write_seq));
		if (ok) {
			atomic64_add(value - ts->snd_una,
				     &priv->stats.nic_tx_bytes);
			if (value != ts->snd_una)
				WRITE_ONCE(ts->last_active, jiffies);
			ts->snd_una = value;
		}
		wake = EPOLLOUT | EPOLLWRNORM;
		break;
	case TOE_EVT_RECV:
		ok = toe_seq_ok(ts->rcv_end, value,
				READ_ONCE(ts->copied) + ts->rcv.size);
		if (ok) {
			atomic64_add(value - ts->rcv_end,
				     &priv->stats.nic_rx_bytes);
			if (value != ts->rcv_end)
				WRITE_ONCE(ts->last_active, jiffies);
			WRITE_ONCE(ts->rcv_end, value);
		}
		wake = EPOLLIN | EPOLLRDNORM;
		break;
	case TOE_EVT_STATE:
		ts->dev_state = value;
		wake = EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
		break;
	case TOE_EVT_CLOSED:
		ts->closed = true;
		ts->close_err = -toe_status_to_errno(status);
		wake = EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR;
		break;
	case TOE_EVT_UPLOAD_REQ:
		trace_toe_upload_request(conn_id, reason);
		ok = reason > TOE_UPLOAD_NONE && reason <= TOE_UPLOAD_REQUESTED;
		if (!ok)
			break;
		atomic64_inc(&priv->stats.upload_reqs);
		atomic64_inc(&priv->stats.upload_reqs_by[reason]);
		if (net_ratelimit())
			netdev_info(priv->netdev,
				    "conn %u: the NIC asks to give it back: %s (reason %u)\n",
				    conn_id, toe_upload_reason_names[reason], reason);
		__toe_sock_queue_upload(ts, TOE_UPLOAD_WHY_DEVICE);
		break;
	default:
		ok = false;
	}
	spin_unlock(&ts->lock);
	if (ok && (type == TOE_EVT_ACKED || type == TOE_EVT_RECV ||
		   type == TOE_EVT_STATE))
		toe_shadow_event(ts);
	if (wake)
		toe_sock_wake(sk, wake);
	rcu_read_unlock();
	sock_put(sk);
	if (!ok) {
		atomic64_inc(&priv->stats.evt_bad);
		toe_warn_rl(priv, "event %#x value %u refused for conn %u\n",
			    type, value, conn_id);
	}
}

/**
 * toe_conns_walk() - act on every connection on a device, one at a time.
 * @priv: the device
 * @fn: called with the socket locked, for each connection still on
 *	@priv when its lock is taken
 * @arg: passed to @fn
 *
 * Context: process; takes each socket's lock.
 */
void toe_conns_walk(struct toe_priv *priv,
		    void (*fn)(struct sock *sk, struct toe_sock *ts, void *arg),
		    void *arg)
{
	unsigned long idx = 0;
	struct toe_sock *ts;
	struct sock *sk;

	for (;;) {
		rcu_read_lock();
		ts = xa_find(&priv->conns, &idx, ULONG_MAX, XA_PRESENT);
		/* Found before its erase: the socket is not freed yet. */
		sk = ts ? ts->sk : NULL;
		if (sk && !refcount_inc_not_zero(&sk->sk_refcnt))
			sk = NULL;
		rcu_read_unlock();
		if (!ts)
			break;
		idx++;
		if (!sk)
			continue;
		lock_sock(sk);
		if (toe_sk(sk) == ts && ts->priv == priv)
			fn(sk, ts, arg);
		release_sock(sk);
		sock_put(sk);
	}
}

static int toe_core_dev_add(struct toe_priv *priv)
{
	xa_init_flags(&priv->conns, XA_FLAGS_ALLOC);
	init_rwsem(&priv->offload_sem);
	priv->offload_closed = false;
	toe_ring_pool_init(priv);
	init_waitqueue_head(&priv->failover_wq);
	return 0;
}

static void toe_core_dev_ready(struct toe_priv *priv)
{
	toe_pol_ops->dev_start(priv);
}

/*
 * The policy first: its scan queues uploads. Then no new move may start,
 * and every connection on the device, or on its way there, comes home.
 */
static void toe_core_dev_remove(struct toe_priv *priv)
{
	toe_pol_ops->dev_stop(priv);
	down_write(&priv->offload_sem);
	priv->offload_closed = true;
	up_write(&priv->offload_sem);
	toe_upload_all(priv);
}

/*
 * An interface going down takes its connections home first: a NIC that
 * cannot reach the wire cannot carry them, and the kernel's TCP goes on
 * once a route is back. Moves are refused while it is down
 * (toe_offload_to()). Called under rtnl.
 */
static int toe_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event == NETDEV_GOING_DOWN && toe_netdev_is_ours(dev))
		toe_upload_all(netdev_priv(dev));
	return NOTIFY_DONE;
}

static struct notifier_block toe_netdev_nb = {
	.notifier_call = toe_netdev_event,
};

/**
 * toe_conn_notifier_register() - follow the TOE interfaces going down.
 *
 * Return: 0, or register_netdevice_notifier()'s errno.
 */
int toe_conn_notifier_register(void)
{
	return register_netdevice_notifier(&toe_netdev_nb);
}

/* toe_conn_notifier_unregister() - stop following them. */
void toe_conn_notifier_unregister(void)
{
	unregister_netdevice_notifier(&toe_netdev_nb);
}

/* What the driver calls in the core (struct toe_core_cb, toe.h). */
const struct toe_core_cb toe_core_cb = {
	.dev_add = toe_core_dev_add,
	.dev_ready = toe_core_dev_ready,
	.dev_remove = toe_core_dev_remove,
	.dev_release = toe_ring_pool_fini,
	.conn_event = toe_sock_event,
	.lost_state = toe_failover_all,
};
EXPORT_SYMBOL_IF_KUNIT(toe_core_cb);
