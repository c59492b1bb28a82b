// SPDX-License-Identifier: GPL-2.0
/*
 * toe_failover.c - bringing connections home without the device.
 *
 * A device reset (a device fault, a command that got no answer, the
 * command watchdog, ethtool --reset) makes the device forget every
 * connection it ran. The host then holds all it needs to carry on
 * (ARCHITECTURE.md invariant 2):
 *
 *  - send: [snd_una, write_seq) is in the send ring. snd_una is the last
 *    one the device reported; the peer may have acknowledged more, which
 *    it is then simply sent again. All of it counts as sent, for the
 *    device may have sent any of it.
 *  - receive: the receive ring up to the status block's rcv_placed, and
 *    its FIN flag, which the device writes before it acknowledges
 *    anything they cover (include/toe_hw.h). Everything the peer was told
 *    we have is there.
 *  - the device's last status figures: windows, RTT, cwnd, and its TSval
 *    clock, read against TOE_REG_CLOCK_MS, so that the kernel's timestamps
 *    go on from where the engine's were.
 *
 * toe_failover() restores the kernel's TCP from these, as an upload does
 * from the state the device gives back; the peer at most retransmits.
 *
 * Locking: the reset path calls toe_failover_all() with priv->state_lock
 * held, after the device has been reset and before it runs again, so no
 * frame of these connections reaches the kernel's TCP before it is
 * restored. It takes each socket's lock (state_lock > sk_lock). No socket
 * owner waits for a reset with its lock held: a command the reset ends
 * returns at once, and toe_upload() then waits for the failover with the
 * lock released (toe_failover_wait()).
 */
#include <kunit/visibility.h>
#include <net/tcp.h>

#include "toe_capture.h"
#include "toe_sock.h"
#include "toe_trace.h"

/* How long toe_upload() waits for a reset to bring a connection home. */
#define TOE_FAILOVER_WAIT	(10 * HZ)

/*
 * Without the device's clock, its TSvals are estimated from the kernel's
 * own clock (both started equal at the offload and tick at 1 kHz); this
 * much is added so that the kernel's are never older, which the peer
 * would drop (PAWS).
 */
#define TOE_FAILOVER_TS_SLACK_MS	1000

/**
 * toe_failover_tcb() - the state to restore a connection from, host only.
 * @tcb: in: the socket's control block as captured now (what it had at
 *	the offload, with the shadow's figures); out: the state to restore
 * @f: what the host knows of the connection
 *
 * Return: 0, or -EPROTO if the placed data reported is not in the
 * receive ring (then nothing says what the peer was acknowledged).
 */
int toe_failover_tcb(struct toe_tcb *tcb, const struct toe_failover_facts *f)
{
	const struct toe_conn_status *st = f->status;
	u32 placed = f->rcv_placed, edge, una;
	bool fin = f->flags & TOE_ST_FIN_RCVD;

	if (before(placed, f->rcv_end) ||
	    after(placed, f->copied + f->rcv_size))
		return -EPROTO;

	una = f->snd_una;
	if (st && after(le32_to_cpu(st->snd_una), una) &&
	    !after(le32_to_cpu(st->snd_una), f->write_seq))
		una = le32_to_cpu(st->snd_una);
	tcb->state = fin ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
	tcb->snd_una = una;
	/*
	 * All of it counts as sent: the engine may have sent past its last
	 * status, and the kernel drops an ACK beyond its snd_nxt together
	 * with the segment carrying it, so the peer's ACKs of data the
	 * kernel thinks unsent would stall the connection. The kernel
	 * retransmits from snd_una when its timer fires.
	 */
	tcb->snd_nxt = f->write_seq;
	tcb->write_seq = f->write_seq;
	tcb->rcv_nxt = placed + fin;
	tcb->copied_seq = tcb->rcv_nxt;
	tcb->snd_wl1 = placed;
	/* The right edge the engine offered stays where it was. */
	edge = st ? le32_to_cpu(st->rcv_nxt) + le32_to_cpu(st->rcv_wnd) :
		    tcb->rcv_nxt;
	tcb->rcv_wup = tcb->rcv_nxt;
	tcb->rcv_wnd = after(edge, tcb->rcv_nxt) ? edge - tcb->rcv_nxt : 0;
	tcb->num_sacks = 0;

	if (st) {
		/* Figures out of range are the device's: keep the host's. */
		struct toe_tcb own = *tcb;

		tcb->snd_wnd = le32_to_cpu(st->snd_wnd);
		tcb->max_window = max(tcb->max_window, tcb->snd_wnd);
		tcb->srtt_us = le32_to_cpu(st->srtt_us);
		tcb->rttvar_us = le32_to_cpu(st->rttvar_us);
		tcb->rto_us = le32_to_cpu(st->rto_us);
		tcb->snd_cwnd = le32_to_cpu(st->snd_cwnd);
		tcb->snd_ssthresh = le32_to_cpu(st->snd_ssthresh);
		tcb->ca_state = st->ca_state;
		if (!toe_tcb_figures_ok(tcb))
			*tcb = own;
	}
	if (tcb->flags & TOE_CS_TSTAMP_OK) {
		if (st && (le32_to_cpu(st->flags) & TOE_ST_TS_OK) &&
		    f->clock_ok) {
			/* +1: the engine's TSval may be a tick ahead. */
			tcb->ts_now = le32_to_cpu(st->ts_val) + f->clock_ms -
				      le32_to_cpu(st->ts_clock_ms) + 1;
			tcb->ts_recent = le32_to_cpu(st->ts_recent);
			tcb->ts_recent_age_ms = 0;
		} else {
			tcb->ts_now += TOE_FAILOVER_TS_SLACK_MS;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toe_failover_tcb);

/*
 * Bring one connection home from host state. The socket is owned; the
 * device has forgotten the connection. @dma_stopped: the device was
 * reset, so its buffers may be freed; otherwise they are left to it.
 * Returns whether it came home (else the socket was reset).
 */
static bool toe_failover(struct sock *sk, struct toe_sock *ts,
			 bool dma_stopped, u32 clock_ms)
{
	struct toe_priv *priv = ts->priv;
	struct toe_failover_facts f = {
		.snd_una = READ_ONCE(ts->snd_una),
		.write_seq = ts->write_seq,
		.rcv_end = READ_ONCE(ts->rcv_end),
		.copied = ts->copied,
		.rcv_size = ts->rcv.size,
		.rcv_placed = le32_to_cpu(READ_ONCE(ts->status->rcv_placed)),
		.flags = le32_to_cpu(READ_ONCE(ts->status->flags)),
		.clock_ms = clock_ms,
		.clock_ok = dma_stopped,
	};
	struct toe_conn_status st;
	struct toe_tcb tcb;
	int err;

	if (READ_ONCE(ts->closed)) {
		/* The engine had closed it (reset, timed out): so is it. */
		toe_sock_lost(sk, ts, TOE_UPLOAD_WHY_RESET, dma_stopped);
		return false;
	}
	if (toe_status_read(ts->status, &st))
		f.status = &st;
	toe_tcb_capture(sk, &tcb);
	err = toe_failover_tcb(&tcb, &f);
	if (!err)
		err = toe_sock_come_home(sk, ts, &tcb);
	trace_toe_failover(ts->conn_id, &tcb, err);
	if (err) {
		netdev_warn(priv->netdev,
			    "conn %u: no way home without the device (%d): the connection is lost\n",
			    ts->conn_id, err);
		toe_sock_lost(sk, ts, TOE_UPLOAD_WHY_RESET, dma_stopped);
		return false;
	}
	ts->info.uploads++;
	ts->info.last_upload_reason = TOE_UPLOAD_WHY_RESET;
	atomic64_inc(&priv->stats.uploads);
	atomic64_inc(&priv->stats.failovers);
	toe_sock_release_nic(ts, false, dma_stopped);
	return true;
}

/* What toe_failover_all() passes each connection. */
struct toe_failover_walk {
	bool dma_stopped;
	u32 clock_ms;
	int home;	/* came home */
	int lost;	/* ... or could not, and were reset */
};

static void toe_failover_one(struct sock *sk, struct toe_sock *ts,
			     void *arg)
{
	struct toe_failover_walk *w = arg;

	if (ts->where != TOE_WHERE_NIC)
		return;		/* an offload the reset refused */
	if (toe_failover(sk, ts, w->dma_stopped, w->clock_ms))
		w->home++;
	else
		w->lost++;
}

/**
 * toe_failover_all() - bring every connection on a reset device home.
 * @priv: the device, reset (or failing to), not yet running again
 * @dma_stopped: the reset succeeded: the device writes no host memory
 * @clock_ms: the device's TSval clock (TOE_REG_CLOCK_MS) after the reset
 *
 * Context: process; priv->state_lock held; takes each socket's lock.
 */
void toe_failover_all(struct toe_priv *priv, bool dma_stopped, u32 clock_ms)
{
	struct toe_failover_walk w = {
		.dma_stopped = dma_stopped,
		.clock_ms = clock_ms,
	};

	lockdep_assert_held(&priv->state_lock);
	toe_conns_walk(priv, toe_failover_one, &w);
	if (w.home || w.lost)
		netdev_warn(priv->netdev,
			    "device reset: %d connection%s brought home from host state, %d lost\n",
			    w.home, w.home == 1 ? "" : "s", w.lost);
	wake_up_all(&priv->failover_wq);
}

/**
 * toe_failover_wait() - wait for a reset to bring a connection home.
 * @sk: the socket, owned; its UPLOAD failed because the device is being
 *	reset (or was)
 * @ts: its context
 *
 * The reset's toe_failover_all() needs the socket lock, so it is released
 * meanwhile, as a blocking send or receive does.
 *
 * Return: 0 once the connection is home (the socket may have been closed
 * with an error, if it could not be restored), -ETIMEDOUT if no reset came.
 */
int toe_failover_wait(struct sock *sk, struct toe_sock *ts)
{
	struct toe_priv *priv = ts->priv;
	struct net_device *netdev = priv->netdev;

	/* The device may go once the connection is home: hold it. */
	dev_hold(netdev);
	release_sock(sk);
	wait_event_timeout(priv->failover_wq,
			   READ_ONCE(ts->where) != TOE_WHERE_NIC,
			   TOE_FAILOVER_WAIT);
	lock_sock(sk);
	dev_put(netdev);
	return ts->where == TOE_WHERE_NIC ? -ETIMEDOUT : 0;
}
