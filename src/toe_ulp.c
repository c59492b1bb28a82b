// SPDX-License-Identifier: GPL-2.0
/*
 * toe_ulp.c - the "toe" TCP upper-layer protocol: the socket operations of
 * a socket that may move to the NIC.
 *
 * setsockopt(TCP_ULP, "toe") on an ESTABLISHED socket replaces that
 * socket's proto and proto_ops with copies of its own whose operations
 * branch on where the connection is: the data path's are in toe_data.c,
 * the rest here. What the NIC cannot do (urgent data, sendpage, splice,
 * options other than TCP_NODELAY and keepalive) brings the connection
 * home first and then goes to the kernel. SOL_TOE options, the
 * connection's close and the policy's table live here too (what
 * tls_main.c is to kTLS).
 *
 * Locking: every operation takes the socket lock, as the kernel's do;
 * waits release it (sk_wait_event()).
 */
#include <linux/mutex.h>
#include <linux/sockptr.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/inet_common.h>
#include <net/tcp.h>
#include <net/transp_v6.h>
#include <kunit/visibility.h>

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
	/* What the old connection left unread is not the next one's. */
	kvfree(ts->pre);
	ts->pre = NULL;
	ts->pre_len = 0;
	ts->pre_off = 0;
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
		err = val ? toe_offload_asked(sk, ns_capable(sock_net(sk)->user_ns,
							     CAP_NET_ADMIN)) :
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
	sk->sk_backlog_rcv = ts->sk_proto->backlog_rcv;
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
	if (cancel_delayed_work_sync(&ts->repost_work))
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
	/* Segments a move leaves in the backlog (toe_late.c). */
	sk->sk_backlog_rcv = toe_late_backlog_rcv;
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
