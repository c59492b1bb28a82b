// SPDX-License-Identifier: GPL-2.0
/*
 * toe_upload.c - bringing a connection home from the NIC.
 *
 * Upload mirrors the offload (toe_offload.c): UPLOAD makes the engine let
 * go and the device hold the frames again; the kernel's TCP is restored
 * from the state; UNDIVERT hands it the frames held meanwhile. The device
 * or the policy may ask for it from any context: the upload is queued and
 * done in process context, under the socket lock.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "toe_capture.h"
#include "toe_sock.h"
#include "toe_trace.h"

/* The fields that name the connection and its options, which never change. */
static bool toe_same_connection(const struct toe_tcb *a,
				const struct toe_tcb *b)
{
	const u32 opts = TOE_CS_SACK_OK | TOE_CS_TSTAMP_OK | TOE_CS_WSCALE_OK;

	return a->family == b->family &&
	       !memcmp(a->local_addr, b->local_addr, sizeof(a->local_addr)) &&
	       !memcmp(a->remote_addr, b->remote_addr, sizeof(a->remote_addr)) &&
	       a->local_port == b->local_port &&
	       a->remote_port == b->remote_port &&
	       a->snd_wscale == b->snd_wscale &&
	       a->rcv_wscale == b->rcv_wscale &&
	       (a->flags & opts) == (b->flags & opts);
}

/*
 * Whether @tcb is this connection moved on from what the host holds: the
 * same connection; send data acknowledged and sent within what the host
 * wrote and has not freed (the send ring); received data not less than
 * the device reported placed, and within the receive ring; figures the
 * kernel can run with. Logs what does not follow on.
 */
static bool toe_state_follows_on(struct sock *sk, struct toe_sock *ts,
				 const struct toe_tcb *tcb)
{
	u32 fin = tcb->state == TCP_CLOSE_WAIT;
	struct toe_tcb now;
	const char *what;

	toe_tcb_capture(sk, &now);
	if (tcb->state != TCP_ESTABLISHED && tcb->state != TCP_CLOSE_WAIT)
		what = "state";
	else if (!toe_same_connection(tcb, &now))
		what = "connection";
	else if (tcb->write_seq != ts->write_seq ||
		 before(tcb->snd_una, READ_ONCE(ts->snd_una)) ||
		 after(tcb->snd_una, tcb->write_seq) ||
		 before(tcb->snd_nxt, tcb->snd_una) ||
		 after(tcb->snd_nxt, tcb->write_seq))
		what = "send sequence";
	else if (before(tcb->rcv_nxt - fin, READ_ONCE(ts->rcv_end)) ||
		 tcb->rcv_nxt - fin - ts->copied > ts->rcv.size ||
		 after(tcb->rcv_wup, tcb->rcv_nxt))
		what = "receive sequence";
	else if (!toe_tcb_figures_ok(tcb))
		what = "figures";
	else
		return true;
	netdev_warn(ts->priv->netdev,
		    "conn %u: the state given back does not follow on (%s): state %u snd_una %u snd_nxt %u write_seq %u (host %u, acked %u) rcv_nxt %u (placed %u, read to %u, ring %u)\n",
		    ts->conn_id, what, tcb->state, tcb->snd_una, tcb->snd_nxt,
		    tcb->write_seq, ts->write_seq, READ_ONCE(ts->snd_una),
		    tcb->rcv_nxt, READ_ONCE(ts->rcv_end), ts->copied,
		    ts->rcv.size);
	return false;
}

/**
 * toe_sock_come_home() - hand a connection back to the kernel's TCP.
 * @sk: the socket, owned; the device no longer runs the connection
 * @ts: its context
 * @tcb: the state to go on from: the device's at an upload, the host's
 *	own after a reset (toe_failover_tcb())
 *
 * The kernel's TCP is restored from @tcb with the send ring's data, and
 * the data the application has not read (what the ULP held, then
 * [ts->copied, rcv_nxt) less a FIN) goes into its receive queue, where
 * the receive window counts it. Only if the kernel cannot take it (no
 * memory) does the ULP keep it.
 *
 * Return: 0, -EPROTO if @tcb is not this connection moved on, or the
 * errno of a failed copy or restore; the caller then resets the socket.
 */
int toe_sock_come_home(struct sock *sk, struct toe_sock *ts,
		       const struct toe_tcb *tcb)
{
	u32 unread, first, at, pre_len;
	struct kvec vec[3];
	bool taken;
	u8 *pre;
	int err;

	if (!toe_state_follows_on(sk, ts, tcb))
		return -EPROTO;

	unread = tcb->rcv_nxt - (tcb->state == TCP_CLOSE_WAIT) - ts->copied;
	at = toe_buf_off(&ts->rcv, ts->copied);
	first = min(unread, ts->rcv.size - at);
	/* Unread: what the ULP still holds, then the receive ring's. */
	vec[0].iov_base = ts->pre + ts->pre_off;
	vec[0].iov_len = ts->pre_len - ts->pre_off;
	vec[1].iov_base = ts->rcv.data + at;
	vec[1].iov_len = first;
	vec[2].iov_base = ts->rcv.data;
	vec[2].iov_len = unread - first;

	err = toe_tcp_restore(sk, tcb, &ts->snd, vec, ARRAY_SIZE(vec),
			      vec[0].iov_len + unread, &taken);
	if (err) {
		netdev_warn(ts->priv->netdev,
			    "conn %u: the kernel did not take the send data back (%d)\n",
			    ts->conn_id, err);
		return err;
	}
	if (taken) {
		pre = NULL;
		pre_len = 0;
	} else {
		/* Short of memory: the ULP serves it, outside the window. */
		pre = toe_pre_join(ts, vec[1].iov_base, first, vec[2].iov_base,
				   unread - first, &pre_len, &err);
		if (err)
			return err;
	}
	kvfree(ts->pre);
	ts->pre = pre;
	ts->pre_len = pre_len;
	ts->pre_off = 0;
	/* The engine owed the peer an ACK: the kernel sends it. */
	if (tcb->flags & TOE_CS_ACK_OWED)
		__tcp_send_ack(sk, tcp_sk(sk)->rcv_nxt);
	spin_lock_bh(&ts->lock);
	WRITE_ONCE(ts->where, TOE_WHERE_HOST);
	spin_unlock_bh(&ts->lock);
	/* The policy's byte threshold counts anew from here. */
	toe_pol_ops->came_home(sk, ts);
	/*
	 * Readers and writers asleep in the ULP wait for the move too, and
	 * what the peer sent may all be in ts->pre now: no segment may come
	 * to wake them.
	 */
	toe_sock_wake(sk, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	return 0;
}

/**
 * toe_sock_lost() - the connection cannot come home: reset the socket.
 * @sk: the socket, owned
 * @ts: its context, on the NIC
 * @why: what was bringing it home
 * @dma_done: as for toe_sock_release_nic()
 */
void toe_sock_lost(struct sock *sk, struct toe_sock *ts,
		   enum toe_upload_why why, bool dma_done)
{
	spin_lock_bh(&ts->lock);
	WRITE_ONCE(ts->where, TOE_WHERE_HOST);
	spin_unlock_bh(&ts->lock);
	ts->info.last_upload_reason = why;
	toe_sock_release_nic(ts, false, dma_done);
	tcp_done_with_error(sk, ECONNRESET);
}

/**
 * toe_upload() - bring a socket's connection home from the NIC.
 * @sk: a socket with the toe ULP, locked by the caller
 * @why: what asks for it, recorded in toe_info.last_upload_reason
 *
 * If the device is being reset, the reset brings the connection home
 * from host state (toe_failover_all()): this waits for it. A device that
 * refuses UPLOAD for an open connection, or gives back a state that is
 * not the connection's, is reset to the same end (ARCHITECTURE.md
 * invariant 2: the host holds all it needs). If the device closed the
 * connection (CLOSED came), or the kernel cannot take the state back, the
 * socket is closed with an error instead.
 *
 * Context: process, socket lock held; sleeps (device commands).
 * Return: 0 (also if it is home already), or the errno the socket was
 * closed with.
 */
int toe_upload(struct sock *sk, enum toe_upload_why why)
{
	struct toe_conn_state *cs;
	struct toe_sock *ts = toe_sk(sk);
	struct toe_priv *priv = ts->priv;
	struct toe_tcb tcb = {};	/* traced even when not decoded */
	int err;

	sock_owned_by_me(sk);
	if (ts->where != TOE_WHERE_NIC)
		return 0;
	cs = ts->cmd_buf;
	err = READ_ONCE(ts->closed) ? -ECONNRESET :
	      priv->ops->upload(priv, ts->conn_id, ts->handle, ts->cmd_dma,
				sizeof(*cs));
	if (!err) {
		err = toe_conn_state_decode(cs, &tcb);
		if (!err && !toe_state_follows_on(sk, ts, &tcb))
			err = -EPROTO;
		trace_toe_upload(ts->conn_id, why, &tcb, err);
		if (err) {
			/*
			 * An answer that is not the connection's: the device is
			 * not to be trusted with it, nor with the others. Its
			 * reset brings them all home from host state.
			 */
			priv->ops->reset(priv, "upload state not valid");
			err = -ENETRESET;
		}
	} else if (!toe_conn_err_reset(err) && !READ_ONCE(ts->closed)) {
		/* Refused, the connection still open: the same. */
		netdev_warn(priv->netdev, "conn %u: UPLOAD refused (%d)\n",
			    ts->conn_id, err);
		priv->ops->reset(priv, "upload refused");
		err = -ENETRESET;
	}
	if (toe_conn_err_reset(err)) {
		/* A reset is under way: it brings the connection home. */
		err = toe_failover_wait(sk, ts);
		if (!err)
			return sk->sk_err ? -sk->sk_err : 0;
		netdev_warn(priv->netdev,
			    "conn %u: UPLOAD failed and no reset brought it home: the connection is lost\n",
			    ts->conn_id);
		/* The device may still write to the buffers: keep them. */
		toe_sock_lost(sk, ts, why, false);
		return err;
	}
	if (!err)
		err = toe_sock_come_home(sk, ts, &tcb);
	if (err) {
		netdev_warn(priv->netdev,
			    "conn %u: upload failed (%d): the connection is lost\n",
			    ts->conn_id, err);
		goto lost;
	}
	/* Now the kernel has it: the frames held meanwhile are its. */
	toe_conn_undivert(ts);
	ts->info.uploads++;
	ts->info.last_upload_reason = why;
	atomic64_inc(&priv->stats.uploads);
	toe_sock_release_nic(ts, true, true);
	return 0;

lost:
	if (!READ_ONCE(ts->closed))
		priv->ops->abort(priv, ts->conn_id, ts->handle);
	toe_sock_lost(sk, ts, why, true);
	return err;
}

/* The device or the policy asked for the connection back. */
static void toe_upload_work(struct work_struct *work)
{
	struct toe_sock *ts = container_of(work, struct toe_sock, upload_work);
	struct sock *sk = ts->sk;
	u8 why;

	lock_sock(sk);
	spin_lock_bh(&ts->lock);
	why = ts->upload_why;
	spin_unlock_bh(&ts->lock);
	if (ts->where == TOE_WHERE_NIC && why &&
	    !toe_upload(sk, why))
		toe_pol_ops->uploaded(sk, ts, why);
	release_sock(sk);
	sock_put(sk);
}

/* Queue @ts's upload for @why; ts->lock held. */
bool __toe_sock_queue_upload(struct toe_sock *ts, u8 why)
{
	if (ts->upload_why || !refcount_inc_not_zero(&ts->sk->sk_refcnt))
		return false;
	ts->upload_why = why;
	if (!schedule_work(&ts->upload_work))
		sock_put(ts->sk);
	return true;
}

/**
 * toe_sock_queue_upload() - bring a connection home from process context.
 * @ts: the connection, found under RCU in priv->conns
 * @why: the reason it will be counted under
 *
 * Only the first request until the next offload counts: one upload
 * brings it home for all. A connection not (or no longer) on the NIC is
 * left alone.
 *
 * Context: any that may take ts->lock with bottom halves off.
 * Return: true if this call queued the upload.
 */
bool toe_sock_queue_upload(struct toe_sock *ts, enum toe_upload_why why)
{
	bool queued = false;

	/*
	 * Only while on the NIC: the close of the socket sets ts->where
	 * under ts->lock before it cancels the work for good, so a caller
	 * that found @ts under RCU cannot queue it after that.
	 */
	spin_lock_bh(&ts->lock);
	if (ts->where == TOE_WHERE_NIC)
		queued = __toe_sock_queue_upload(ts, why);
	spin_unlock_bh(&ts->lock);
	return queued;
}

void toe_sock_init_move(struct toe_sock *ts)
{
	spin_lock_init(&ts->lock);
	INIT_WORK(&ts->upload_work, toe_upload_work);
	INIT_DELAYED_WORK(&ts->repost_work, toe_repost_work);
	ts->conn_id = TOE_CONN_NONE;
	ts->handle = U32_MAX;
	ts->info.conn_id = TOE_CONN_NONE;
}

static void toe_upload_one(struct sock *sk, struct toe_sock *ts, void *arg)
{
	toe_upload(sk, TOE_UPLOAD_WHY_RESET);
}

/*
 * Bring every connection on the NIC home, for removal of the device,
 * which still answers commands (ARCHITECTURE.md invariant 6). Process
 * context; takes each socket's lock.
 */
void toe_upload_all(struct toe_priv *priv)
{
	toe_conns_walk(priv, toe_upload_one, NULL);
}
