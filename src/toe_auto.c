// SPDX-License-Identifier: GPL-2.0
/*
 * toe_auto.c - the offload policy at work: which sockets are watched, the
 * move of a watched socket that becomes worth it, and the way back for
 * connections idle too long, evicted to make room, or on the NIC when the
 * mode becomes off.
 *
 * Watching. With net.toe.mode 2 (auto), a TCP socket of the namespace
 * that becomes ESTABLISHED with its route through a TOE NIC gets the
 * "toe" ULP. The kernel has no hook for that in a module, so the module
 * attaches a probe to the inet_sock_set_state tracepoint, found by name.
 * The probe runs in the caller's context (often softirq, the socket
 * locked) and attaches the ULP there, before the application can have a
 * thread inside the kernel's TCP calls (which would keep the connection
 * from moving while it sleeps there, or, woken to find the lock taken by
 * a move, miss what arrives on the NIC). The watched socket then costs
 * one comparison per send and receive until it has moved auto_bytes
 * either way.
 *
 * Deciding. The decision (toe_policy_decide()) is taken in the
 * application's own send or receive, with the socket locked, in process
 * context: the move is made there. A socket that chose itself with
 * SOL_TOE is no longer decided for.
 *
 * Coming back. An upload for another socket is never done with one
 * socket's lock held (two socket locks, no order between them): it is
 * queued to that socket's upload_work (toe_sock_queue_upload()), as the
 * NIC's own requests are.
 */
#include <linux/tracepoint.h>
#include <linux/workqueue.h>
#include <net/tcp.h>

#include "toe_policy.h"
#include "toe_sock.h"
#include "toe_trace.h"

/* How often the idle scan of a device runs. */
#define TOE_SCAN_PERIOD		msecs_to_jiffies(250)
/* When to ask again after a "not now" (NIC full, RTT high, refused). */
#define TOE_RETRY_FULL		msecs_to_jiffies(500)
#define TOE_RETRY_LATER		msecs_to_jiffies(1000)
/* ... after a refusal that lasts no longer than a call in the kernel. */
#define TOE_RETRY_SOON		msecs_to_jiffies(50)
/* ... after asking an idle connection to make room. */
#define TOE_RETRY_EVICT		msecs_to_jiffies(50)

/**
 * toe_policy_count() - count a decision in a namespace.
 * @net: the namespace
 * @what: the outcome
 */
void toe_policy_count(struct net *net, enum toe_policy_outcome what)
{
	atomic64_inc(&toe_net(net)->count[what]);
}

static void toe_auto_note(struct sock *sk, enum toe_policy_outcome what,
			  u64 bytes)
{
	toe_policy_count(sock_net(sk), what);
	trace_toe_policy(inet_sk(sk)->inet_num,
			 ntohs(inet_sk(sk)->inet_dport), what, bytes,
			 tcp_sk(sk)->srtt_us >> 3);
}

/*
 * Watching
 */

static void toe_auto_conn(struct sock *sk, struct toe_policy_conn *c);

/*
 * Do the lists keep @sk home? Asked before the ULP is attached, so that
 * a socket they exclude keeps its ops (and may take another ULP).
 */
static bool toe_auto_listed_out(struct sock *sk, struct toe_net *tn)
{
	struct toe_policy_conf conf;
	struct toe_policy_conn c;
	bool out;

	toe_auto_conn(sk, &c);
	rcu_read_lock();
	toe_net_conf(tn, &conf);
	out = (conf.include && conf.include->n &&
	       !toe_rules_match(conf.include, &c)) ||
	      toe_rules_match(conf.exclude, &c);
	rcu_read_unlock();
	return out;
}

static struct tracepoint *toe_state_tp;

/* Watch @sk, which has the ULP now; its lock is held. */
static void toe_auto_watch(struct sock *sk, struct toe_sock *ts)
{
	if (ts->pol_state != TOE_PS_NONE || ts->forbid)
		return;
	ts->pol_state = TOE_PS_WATCH;
	ts->pol_base = 0;
	ts->pol_next = jiffies;
	toe_auto_note(sk, TOE_POL_WATCHED, 0);
}

/*
 * Give @sk the ULP, unless the lists keep it home, and watch it; its lock
 * is held. Return as toe_ulp_attach_atomic().
 */
static int toe_auto_attach(struct sock *sk)
{
	int err;

	if (sock_flag(sk, SOCK_DEAD))
		return -ENOTCONN;
	if (toe_auto_listed_out(sk, toe_net(sock_net(sk)))) {
		toe_auto_note(sk, TOE_POL_EXCLUDED, 0);
		return -EPERM;
	}
	err = toe_ulp_attach_atomic(sk);
	if (!err)
		toe_auto_watch(sk, toe_sk(sk));
	return err;
}

/*
 * The inet_sock_set_state probe, in the context that changes the state
 * (often softirq), with the socket locked there: a connection of an auto
 * namespace through a TOE NIC gets the ULP at once, before its
 * application can call into the kernel's TCP.
 */
static void toe_state_probe(void *data, const struct sock *csk,
			    const int oldstate, const int newstate)
{
	struct sock *sk = (struct sock *)csk;
	struct dst_entry *dst;
	bool ours;

	/*
	 * Kernel sockets (NFS, iSCSI, nvme-tcp) and sockets someone hooks
	 * (sk_user_data) wait on callbacks the ULP does not call on the NIC.
	 */
	if (newstate != TCP_ESTABLISHED || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_type != SOCK_STREAM || !sk_fullsock(sk) ||
	    sk->sk_kern_sock || rcu_access_pointer(sk->sk_user_data) ||
	    inet_csk(sk)->icsk_ulp_ops ||
	    toe_net_mode(sock_net(sk)) != TOE_MODE_AUTO)
		return;
	rcu_read_lock();
	dst = __sk_dst_get(sk);
	ours = dst && dst->dev && toe_netdev_is_ours(dst->dev);
	rcu_read_unlock();
	if (!ours)
		return;
	/*
	 * What makes a TCP socket ESTABLISHED (tcp_finish_connect(),
	 * tcp_rcv_state_process()) holds its lock. A socket whose proto is
	 * not the kernel's own (sockmap) is left alone (-EAGAIN): attaching
	 * later, from process context, could find an application thread
	 * already asleep in the kernel's recvmsg(), which would miss what
	 * arrives on the NIC.
	 */
	sock_owned_by_me(sk);
	toe_auto_attach(sk);
}

static void toe_find_state_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "inet_sock_set_state"))
		toe_state_tp = tp;
}

/*
 * Deciding
 */

static void toe_auto_conn(struct sock *sk, struct toe_policy_conn *c)
{
	const struct inet_sock *inet = inet_sk(sk);

	memset(c, 0, sizeof(*c));
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		c->laddr = sk->sk_v6_rcv_saddr;
		c->raddr = sk->sk_v6_daddr;
	} else
#endif
	{
		c->v4 = true;
		c->laddr.s6_addr32[0] = inet->inet_rcv_saddr;
		c->raddr.s6_addr32[0] = inet->inet_daddr;
	}
	c->lport = inet->inet_num;
	c->rport = ntohs(inet->inet_dport);
	c->srtt_us = tcp_sk(sk)->srtt_us >> 3;
}

/*
 * The connection the policy moved to @priv that has been idle longest,
 * with no upload asked for yet; RCU held. Return its idle time in ms.
 */
static struct toe_sock *toe_auto_idlest(struct toe_priv *priv, u32 *idle_ms)
{
	struct toe_sock *ts, *best = NULL;
	unsigned long i, now = jiffies, idle, most = 0;

	toe_for_each_conn(priv, i, ts) {
		if (!READ_ONCE(ts->pol_moved) || READ_ONCE(ts->upload_why) ||
		    READ_ONCE(ts->where) != TOE_WHERE_NIC)
			continue;
		idle = now - READ_ONCE(ts->last_active);
		if (!best || idle > most) {
			best = ts;
			most = idle;
		}
	}
	*idle_ms = best ? jiffies_to_msecs(most) : 0;
	return best;
}

/* A move refused for a reason that will not change: do not ask again. */
static bool toe_refusal_final(u32 why)
{
	switch (why) {
	case TOE_REFUSE_NOT_TCP:
	case TOE_REFUSE_FAMILY:
	case TOE_REFUSE_STATE:		/* never ESTABLISHED again */
	case TOE_REFUSE_REPAIR:
	case TOE_REFUSE_MD5:
	case TOE_REFUSE_ULP:
	case TOE_REFUSE_CONG:
	case TOE_REFUSE_FORBIDDEN:
		return true;
	}
	return false;
}

/**
 * toe_auto_consider() - move a watched socket if the policy says so.
 * @sk: the socket, owned, on the host
 * @ts: its context, with pol_state TOE_PS_WATCH
 *
 * Context: the application's send or receive; sleeps if it moves.
 */
static void toe_auto_consider(struct sock *sk, struct toe_sock *ts)
{
	struct toe_net *tn = toe_net(sock_net(sk));
	enum toe_policy_verdict v;
	struct toe_policy_conf conf;
	struct toe_policy_conn c;
	struct toe_sock *victim;
	struct toe_priv *priv;
	u32 limit, why;
	int err;

	if (READ_ONCE(tn->mode) != TOE_MODE_AUTO ||
	    time_before(jiffies, ts->pol_next))
		return;
	toe_auto_conn(sk, &c);
	c.bytes = toe_tcp_bytes(sk) - ts->pol_base;
	if (c.bytes < READ_ONCE(tn->auto_bytes))
		return;		/* the common case: one comparison */

	rcu_read_lock();
	priv = toe_route_priv(sk);
	if (!priv) {
		rcu_read_unlock();
		ts->pol_next = jiffies + TOE_RETRY_LATER;
		return;
	}
	toe_net_conf(tn, &conf);
	c.nic_conns = toe_dev_conns(priv);
	c.nic_capacity = priv->conn_capacity;
	limit = toe_policy_limit(conf.max_conns, c.nic_capacity);
	/* The walk over the NIC's connections only when it is full. */
	victim = c.nic_conns >= limit ?
		 toe_auto_idlest(priv, &c.victim_idle_ms) : NULL;
	v = toe_policy_decide(&conf, &c);
	if (v == TOE_VERDICT_EVICT) {
		if (toe_sock_queue_upload(victim, TOE_UPLOAD_WHY_EVICT))
			ts->pol_next = jiffies + TOE_RETRY_EVICT;
		else
			v = TOE_VERDICT_NIC_FULL;
	}
	rcu_read_unlock();

	switch (v) {
	case TOE_VERDICT_WAIT:
	case TOE_VERDICT_EVICT:
		/* Counted as offloaded once the evicted one is home. */
		return;
	case TOE_VERDICT_EXCLUDED:
		ts->pol_state = TOE_PS_DONE;
		toe_auto_note(sk, TOE_POL_EXCLUDED, c.bytes);
		return;
	case TOE_VERDICT_RTT_HIGH:
		ts->pol_next = jiffies + TOE_RETRY_LATER;
		toe_auto_note(sk, TOE_POL_RTT_HIGH, c.bytes);
		return;
	case TOE_VERDICT_NIC_FULL:
		ts->pol_next = jiffies + TOE_RETRY_FULL;
		toe_auto_note(sk, TOE_POL_NIC_FULL, c.bytes);
		return;
	case TOE_VERDICT_OFFLOAD:
		break;
	}

	err = toe_offload_within(sk, limit);
	if (!err) {
		/* Unless the mode went off meanwhile and it came back. */
		WRITE_ONCE(ts->pol_moved, ts->where == TOE_WHERE_NIC);
		toe_auto_note(sk, TOE_POL_OFFLOADED, c.bytes);
	} else if (err == -ENOSPC) {
		/* Another took the last place meanwhile. */
		ts->pol_next = jiffies + TOE_RETRY_FULL;
		toe_auto_note(sk, TOE_POL_NIC_FULL, c.bytes);
	} else {
		why = ts->info.last_refusal;
		if (toe_refusal_final(why))
			ts->pol_state = TOE_PS_DONE;
		ts->pol_next = jiffies + (why == TOE_REFUSE_BUSY ||
					  why == TOE_REFUSE_OOO ?
					  TOE_RETRY_SOON : TOE_RETRY_LATER);
		toe_auto_note(sk, TOE_POL_REFUSED, c.bytes);
	}
}

/**
 * toe_auto_socket_chose() - the socket set a SOL_TOE option itself.
 * @sk: the socket, owned
 * @ts: its context
 *
 * Its own choice (to move, to come home, to forbid) overrides the policy
 * for the rest of its life.
 */
static void toe_auto_socket_chose(struct sock *sk, struct toe_sock *ts)
{
	if (ts->pol_state == TOE_PS_WATCH)
		toe_auto_note(sk, TOE_POL_SOCKET_CHOICE, 0);
	ts->pol_state = TOE_PS_DONE;
	WRITE_ONCE(ts->pol_moved, false);
}

/**
 * toe_auto_closing() - a watched socket is closed by its application.
 * @sk: the socket, owned
 * @ts: its context
 *
 * One that never reached the threshold is counted below_threshold.
 */
static void toe_auto_closing(struct sock *sk, struct toe_sock *ts)
{
	u64 bytes = toe_tcp_bytes(sk) - ts->pol_base;

	if (ts->pol_state == TOE_PS_WATCH && !ts->info.offloads &&
	    bytes < READ_ONCE(toe_net(sock_net(sk))->auto_bytes))
		toe_auto_note(sk, TOE_POL_BELOW_THRESHOLD, bytes);
	ts->pol_state = TOE_PS_DONE;
}

/**
 * toe_auto_uploaded() - an upload queued by the device or the policy
 * brought the connection home.
 * @sk: the socket, owned
 * @ts: its context
 * @why: why it was asked
 */
static void toe_auto_uploaded(struct sock *sk, struct toe_sock *ts,
			      enum toe_upload_why why)
{
	struct toe_net *tn = toe_net(sock_net(sk));

	WRITE_ONCE(ts->pol_moved, false);
	switch (why) {
	case TOE_UPLOAD_WHY_DEVICE:
		toe_auto_note(sk, TOE_POL_NIC_REQUEST, 0);
		if (READ_ONCE(tn->nic_request))
			ts->pol_state = TOE_PS_DONE;
		break;
	case TOE_UPLOAD_WHY_IDLE:
		toe_auto_note(sk, TOE_POL_IDLE, 0);
		break;
	case TOE_UPLOAD_WHY_EVICT:
		toe_auto_note(sk, TOE_POL_EVICTED, 0);
		break;
	case TOE_UPLOAD_WHY_MODE_OFF:
		toe_auto_note(sk, TOE_POL_MODE_OFF, 0);
		break;
	default:
		break;
	}
}

/*
 * Coming back: the idle scan and mode off
 */

static void toe_auto_scan(struct work_struct *work)
{
	struct toe_priv *priv = container_of(to_delayed_work(work),
					     struct toe_priv, policy_scan);
	struct toe_net *tn = toe_net(dev_net(priv->netdev));
	u32 idle_ms = READ_ONCE(tn->idle_ms);
	unsigned long i, idle;
	struct toe_sock *ts;

	if (idle_ms && toe_dev_conns(priv)) {
		idle = msecs_to_jiffies(idle_ms);
		rcu_read_lock();
		toe_for_each_conn(priv, i, ts)
			if (READ_ONCE(ts->pol_moved) &&
			    READ_ONCE(ts->where) == TOE_WHERE_NIC &&
			    time_after_eq(jiffies,
					  READ_ONCE(ts->last_active) + idle))
				toe_sock_queue_upload(ts, TOE_UPLOAD_WHY_IDLE);
		rcu_read_unlock();
	}
	schedule_delayed_work(&priv->policy_scan, TOE_SCAN_PERIOD);
}

/**
 * toe_auto_dev_start() - start the idle scan of a device.
 * @priv: the device, up
 */
static void toe_auto_dev_start(struct toe_priv *priv)
{
	INIT_DELAYED_WORK(&priv->policy_scan, toe_auto_scan);
	schedule_delayed_work(&priv->policy_scan, TOE_SCAN_PERIOD);
}

/**
 * toe_auto_dev_stop() - stop it for good (device removal).
 * @priv: the device
 */
static void toe_auto_dev_stop(struct toe_priv *priv)
{
	cancel_delayed_work_sync(&priv->policy_scan);
}

/* Whether a move may start, or stay once made: not with the mode off. */
static bool toe_auto_may_offload(const struct sock *sk)
{
	return toe_net_mode(sock_net(sk)) != TOE_MODE_OFF;
}

/* Users may ask for moves where net.toe.user_offload says so. */
static bool toe_auto_users_may_ask(const struct sock *sk)
{
	return READ_ONCE(toe_net(sock_net(sk))->user_offload);
}

/* The byte threshold counts anew from where the connection came home. */
static void toe_auto_came_home(struct sock *sk, struct toe_sock *ts)
{
	ts->pol_base = toe_tcp_bytes(sk);
}

/* What the core calls in the policy (struct toe_policy_ops, toe_sock.h). */
const struct toe_policy_ops toe_auto_ops = {
	.may_offload = toe_auto_may_offload,
	.users_may_ask = toe_auto_users_may_ask,
	.consider = toe_auto_consider,
	.socket_chose = toe_auto_socket_chose,
	.closing = toe_auto_closing,
	.came_home = toe_auto_came_home,
	.uploaded = toe_auto_uploaded,
	.dev_start = toe_auto_dev_start,
	.dev_stop = toe_auto_dev_stop,
};

/**
 * toe_auto_mode_off() - bring home every connection of a namespace.
 * @net: the namespace whose net.toe.mode became 0 (off)
 *
 * The uploads are queued and done in process context; what asks for a
 * move from now on is refused (TOE_REFUSE_POLICY).
 */
void toe_auto_mode_off(struct net *net)
{
	struct net_device *dev;
	struct toe_priv *priv;
	struct toe_sock *ts;
	unsigned long i;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		if (!toe_netdev_is_ours(dev))
			continue;
		priv = netdev_priv(dev);
		toe_for_each_conn(priv, i, ts)
			toe_sock_queue_upload(ts, TOE_UPLOAD_WHY_MODE_OFF);
	}
	rcu_read_unlock();
}

/**
 * toe_auto_init() - start watching sockets become established.
 *
 * Return: 0, or -ENOENT if the kernel has no inet_sock_set_state
 * tracepoint (then only mode 1, explicit, works).
 */
int toe_auto_init(void)
{
	for_each_kernel_tracepoint(toe_find_state_tp, NULL);
	if (!toe_state_tp)
		return -ENOENT;
	return tracepoint_probe_register(toe_state_tp, toe_state_probe, NULL);
}

/**
 * toe_auto_exit() - stop watching; no probe is running when it returns.
 */
void toe_auto_exit(void)
{
	if (toe_state_tp)
		tracepoint_probe_unregister(toe_state_tp, toe_state_probe, NULL);
	tracepoint_synchronize_unregister();
}
