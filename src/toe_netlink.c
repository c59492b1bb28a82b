// SPDX-License-Identifier: GPL-2.0
/*
 * toe_netlink.c - the generic netlink family "toe" (include/uapi/toe.h),
 * which toectl speaks: the connections on the TOE NICs of a network
 * namespace, each NIC's counters, and moving a connection named by its
 * 4-tuple to the NIC or home.
 *
 * A move runs in the caller's context, as the socket option would: the
 * socket is looked up in the TCP hash (a reference taken), the "toe" ULP
 * attached if it has none, and the move made under the socket lock. Only
 * the owner of the socket and holders of CAP_NET_ADMIN in its network
 * namespace may name it; only the latter may move it to the NIC, unless
 * net.toe.user_offload lets users ask. A user without CAP_NET_ADMIN
 * lists only its own connections.
 *
 * The dumps walk the namespace's netdevs and each NIC's connection table
 * under RCU: a context found there is not freed before the read side
 * ends (kfree_rcu() at the socket's close).
 */
#include <linux/inet.h>
#include <net/genetlink.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "toe_capture.h"
#include "toe_netlink.h"
#include "toe_policy.h"
#include "toe_sock.h"

static struct genl_family toe_genl_family;

static const struct nla_policy toe_nl_policy[TOE_NL_A_MAX + 1] = {
	[TOE_NL_A_FAMILY] = { .type = NLA_U8 },
	[TOE_NL_A_LOCAL_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TOE_NL_A_LOCAL_PORT] = { .type = NLA_U16 },
	[TOE_NL_A_REMOTE_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[TOE_NL_A_REMOTE_PORT] = { .type = NLA_U16 },
};

/* The socket the request names, with a reference, or an ERR_PTR. */
static struct sock *toe_nl_lookup(struct genl_info *info)
{
	static const int need[] = {
		TOE_NL_A_FAMILY, TOE_NL_A_LOCAL_ADDR, TOE_NL_A_LOCAL_PORT,
		TOE_NL_A_REMOTE_ADDR, TOE_NL_A_REMOTE_PORT,
	};
	struct inet_hashinfo *hinfo;
	struct net *net = genl_info_net(info);
	struct nlattr **tb = info->attrs;
	int i, alen, family;
	__be16 lport, rport;
	struct sock *sk;

	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (GENL_REQ_ATTR_CHECK(info, need[i]))
			return ERR_PTR(-EINVAL);
	family = nla_get_u8(tb[TOE_NL_A_FAMILY]);
	alen = family == AF_INET ? 4 : 16;
	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[TOE_NL_A_FAMILY],
				    "family is neither AF_INET nor AF_INET6");
		return ERR_PTR(-EAFNOSUPPORT);
	}
	if (nla_len(tb[TOE_NL_A_LOCAL_ADDR]) != alen ||
	    nla_len(tb[TOE_NL_A_REMOTE_ADDR]) != alen) {
		NL_SET_ERR_MSG(info->extack,
			       "address length does not match the family");
		return ERR_PTR(-EINVAL);
	}
	lport = htons(nla_get_u16(tb[TOE_NL_A_LOCAL_PORT]));
	rport = htons(nla_get_u16(tb[TOE_NL_A_REMOTE_PORT]));
	hinfo = net->ipv4.tcp_death_row.hashinfo;
	/* The hash is walked under RCU; what is found comes with a ref. */
	rcu_read_lock();
	if (family == AF_INET)
		sk = inet_lookup_established(net, hinfo,
					     nla_get_in_addr(tb[TOE_NL_A_REMOTE_ADDR]),
					     rport,
					     nla_get_in_addr(tb[TOE_NL_A_LOCAL_ADDR]),
					     lport, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __inet6_lookup_established(net, hinfo,
						nla_data(tb[TOE_NL_A_REMOTE_ADDR]),
						rport,
						nla_data(tb[TOE_NL_A_LOCAL_ADDR]),
						ntohs(lport), 0, 0);
#else
	else
		sk = NULL;
#endif
	rcu_read_unlock();
	if (sk && !sk_fullsock(sk)) {
		sock_gen_put(sk);	/* TIME_WAIT or a request: no socket */
		sk = NULL;
	}
	if (!sk) {
		NL_SET_ERR_MSG(info->extack, "no such TCP connection");
		return ERR_PTR(-ENOENT);
	}
	return sk;
}

/* The socket's owner may move it; anyone else needs CAP_NET_ADMIN. */
static bool toe_nl_may_move(struct sock *sk, struct sk_buff *skb)
{
	return uid_eq(sock_i_uid(sk), current_fsuid()) ||
	       netlink_ns_capable(skb, sock_net(sk)->user_ns, CAP_NET_ADMIN);
}

/*
 * How long a thread that called into the kernel's TCP before the ULP was
 * attached may take to reach the socket lock, at most.
 */
#define TOE_NL_ATTACH_GRACE_MS	50

/*
 * The application's threads may be inside the kernel's own tcp_recvmsg()
 * or tcp_sendmsg(), entered before the ULP replaced them: one waiting for
 * the socket lock would, after a move, wait for data on the kernel's
 * queues, which no longer get any. Let such threads take the lock first:
 * then each either returns, or sleeps where toe_offload() sees it and
 * refuses (EBUSY) until it is gone.
 */
static void toe_nl_attach_grace(struct sock *sk)
{
	unsigned long end = jiffies + msecs_to_jiffies(TOE_NL_ATTACH_GRACE_MS);

	do {
		usleep_range(1000, 2000);
		/* Racy by design: a waiter seen late only costs a retry. */
	} while (waitqueue_active(&sk->sk_lock.wq) && time_before(jiffies, end));
}

/* Give @sk the toe ULP if it has none, as setsockopt(TCP_ULP) would. */
static int toe_nl_attach(struct sock *sk, struct genl_info *info)
{
	char name[] = "toe";
	int err;

	if (toe_sock_is_ours(sk))
		return 0;
	err = sk->sk_prot->setsockopt(sk, SOL_TCP, TCP_ULP,
				      KERNEL_SOCKPTR(name), sizeof(name) - 1);
	if (!err)
		toe_nl_attach_grace(sk);
	else if (err == -EEXIST)
		NL_SET_ERR_MSG(info->extack,
			       "the socket has another upper-layer protocol");
	else if (err)
		NL_SET_ERR_MSG(info->extack,
			       "the toe upper-layer protocol was refused");
	return err;
}

static int toe_nl_move(struct sk_buff *skb, struct genl_info *info,
		       bool offload)
{
	struct toe_sock *ts;
	struct sock *sk;
	int err = 0;

	sk = toe_nl_lookup(info);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	if (!toe_nl_may_move(sk, skb)) {
		NL_SET_ERR_MSG(info->extack,
			       "another user's socket: needs CAP_NET_ADMIN");
		err = -EPERM;
		goto out;
	}
	/*
	 * Not accepted yet (the policy may have given it the ULP): in its
	 * listener's queue a socket may not be locked the usual way, as
	 * the listener's close takes only its spinlock. It cannot have
	 * moved, so there is nothing to bring home either.
	 */
	if (!sk->sk_socket) {
		if (offload) {
			NL_SET_ERR_MSG(info->extack, "the socket is not open");
			err = -ENOTCONN;
		}
		goto out;
	}
	if (offload)
		err = toe_nl_attach(sk, info);
	if (err)
		goto out;
	lock_sock(sk);
	if (!toe_sock_is_ours(sk)) {
		/* Never attached: it is on the host, where upload leaves it. */
		release_sock(sk);
		goto out;
	}
	ts = toe_sk(sk);
	err = offload ?
	      toe_offload_asked(sk, netlink_ns_capable(skb,
						       sock_net(sk)->user_ns,
						       CAP_NET_ADMIN)) :
	      toe_upload(sk, TOE_UPLOAD_WHY_USER);
	if (err && offload)
		/* A static string, as extack keeps the pointer. */
		info->extack->_msg = toe_refusal_desc(ts->info.last_refusal);
	release_sock(sk);
out:
	sock_put(sk);
	return err;
}

static int toe_nl_offload_doit(struct sk_buff *skb, struct genl_info *info)
{
	return toe_nl_move(skb, info, true);
}

static int toe_nl_upload_doit(struct sk_buff *skb, struct genl_info *info)
{
	return toe_nl_move(skb, info, false);
}

static int toe_nl_put_addrs(struct sk_buff *msg, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (nla_put_u8(msg, TOE_NL_A_FAMILY, sk->sk_family) ||
	    nla_put_u16(msg, TOE_NL_A_LOCAL_PORT, ntohs(inet->inet_sport)) ||
	    nla_put_u16(msg, TOE_NL_A_REMOTE_PORT, ntohs(inet->inet_dport)))
		return -EMSGSIZE;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return nla_put_in6_addr(msg, TOE_NL_A_LOCAL_ADDR,
					&sk->sk_v6_rcv_saddr) ||
		       nla_put_in6_addr(msg, TOE_NL_A_REMOTE_ADDR,
					&sk->sk_v6_daddr) ? -EMSGSIZE : 0;
#endif
	return nla_put_in_addr(msg, TOE_NL_A_LOCAL_ADDR, inet->inet_rcv_saddr) ||
	       nla_put_in_addr(msg, TOE_NL_A_REMOTE_ADDR, inet->inet_daddr) ?
	       -EMSGSIZE : 0;
}

/* One connection's message; under RCU. */
static int toe_nl_fill_conn(struct sk_buff *msg, struct netlink_callback *cb,
			    struct net_device *dev, struct toe_sock *ts)
{
	struct user_namespace *uns = sk_user_ns(NETLINK_CB(cb->skb).sk);
	struct sock *sk = ts->sk;
	struct toe_info info;
	void *hdr;

	hdr = genlmsg_put(msg, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &toe_genl_family, NLM_F_MULTI, TOE_NL_CMD_CONN_GET);
	if (!hdr)
		return -EMSGSIZE;
	/* A copy made while the owner may change it: figures, not state. */
	info = ts->info;
	info.where = READ_ONCE(ts->where);
	info.conn_id = READ_ONCE(ts->conn_id);
	if (toe_nl_put_addrs(msg, sk) ||
	    nla_put_u32(msg, TOE_NL_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, TOE_NL_A_IFNAME, dev->name) ||
	    nla_put_u32(msg, TOE_NL_A_WHERE, info.where) ||
	    nla_put_u32(msg, TOE_NL_A_CONN_ID, info.conn_id) ||
	    nla_put_u32(msg, TOE_NL_A_UID,
			from_kuid_munged(uns, sock_i_uid(sk))) ||
	    nla_put_u8(msg, TOE_NL_A_STATE, READ_ONCE(ts->dev_state)) ||
	    nla_put(msg, TOE_NL_A_INFO, sizeof(info), &info)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/*
 * cb->args: [0] the ifindex to go on from, [1] the connection handle to go
 * on from within it. Without CAP_NET_ADMIN, a user sees its own sockets.
 */
static int toe_nl_conn_dumpit(struct sk_buff *msg, struct netlink_callback *cb)
{
	struct net *net = sock_net(msg->sk);
	bool admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	unsigned long idx = cb->args[1];
	struct net_device *dev;
	struct toe_priv *priv;
	struct toe_sock *ts;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		if (!toe_netdev_is_ours(dev) || dev->ifindex < cb->args[0])
			continue;
		if (dev->ifindex != cb->args[0])
			idx = 0;
		priv = netdev_priv(dev);
		toe_for_each_conn_from(priv, idx, ts) {
			if (!admin &&
			    !uid_eq(sock_i_uid(ts->sk), current_fsuid()))
				continue;
			if (toe_nl_fill_conn(msg, cb, dev, ts)) {
				cb->args[0] = dev->ifindex;
				cb->args[1] = idx;
				goto out;
			}
		}
		cb->args[0] = dev->ifindex + 1;
		idx = 0;
	}
out:
	rcu_read_unlock();
	return msg->len;
}

static int toe_nl_fill_stats(struct sk_buff *msg, struct netlink_callback *cb,
			     struct net_device *dev)
{
	struct toe_priv *priv = netdev_priv(dev);
	struct toe_dev_stats *st = &priv->stats;
	struct toe_sock *ts;
	struct nlattr *nest;
	unsigned long i;
	u32 conns = 0;
	void *hdr;
	int why;

	toe_for_each_conn(priv, i, ts)
		conns++;
	hdr = genlmsg_put(msg, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &toe_genl_family, NLM_F_MULTI, TOE_NL_CMD_STATS_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, TOE_NL_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, TOE_NL_A_IFNAME, dev->name) ||
	    nla_put_u64_64bit(msg, TOE_NL_A_STAT_OFFLOADS,
			      atomic64_read(&st->offloads), TOE_NL_A_UNSPEC) ||
	    nla_put_u64_64bit(msg, TOE_NL_A_STAT_UPLOADS,
			      atomic64_read(&st->uploads), TOE_NL_A_UNSPEC) ||
	    nla_put_u64_64bit(msg, TOE_NL_A_STAT_UPLOAD_REQS,
			      atomic64_read(&st->upload_reqs),
			      TOE_NL_A_UNSPEC) ||
	    nla_put_u32(msg, TOE_NL_A_STAT_CONNS, conns) ||
	    nla_put_u64_64bit(msg, TOE_NL_A_STAT_TX_BYTES,
			      atomic64_read(&st->nic_tx_bytes),
			      TOE_NL_A_UNSPEC) ||
	    nla_put_u64_64bit(msg, TOE_NL_A_STAT_RX_BYTES,
			      atomic64_read(&st->nic_rx_bytes),
			      TOE_NL_A_UNSPEC))
		goto cancel;
	nest = nla_nest_start(msg, TOE_NL_A_STAT_REFUSALS);
	if (!nest)
		goto cancel;
	for (why = 1; why < TOE_NUM_REFUSALS; why++)
		if (nla_put_u64_64bit(msg, why,
				      atomic64_read(&st->refusals[why]),
				      TOE_NL_A_UNSPEC))
			goto cancel;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return 0;

cancel:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/* cb->args[0]: the ifindex to go on from. */
static int toe_nl_stats_dumpit(struct sk_buff *msg,
			       struct netlink_callback *cb)
{
	struct net *net = sock_net(msg->sk);
	struct net_device *dev;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		if (!toe_netdev_is_ours(dev) || dev->ifindex < cb->args[0])
			continue;
		if (toe_nl_fill_stats(msg, cb, dev))
			break;
		cb->args[0] = dev->ifindex + 1;
	}
	rcu_read_unlock();
	return msg->len;
}

/* The policy's counters of the caller's namespace, and its mode. */
static int toe_nl_policy_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct toe_net *tn = toe_net(genl_info_net(info));
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;
	int what;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &toe_genl_family, 0,
				TOE_NL_CMD_POLICY_GET);
	if (!hdr)
		goto nospace;
	if (nla_put_u32(msg, TOE_NL_A_MODE, READ_ONCE(tn->mode)))
		goto nospace;
	nest = nla_nest_start(msg, TOE_NL_A_POLICY);
	if (!nest)
		goto nospace;
	for (what = TOE_POL_NONE + 1; what < TOE_NUM_POLICY; what++)
		if (nla_put_u64_64bit(msg, what,
				      atomic64_read(&tn->count[what]),
				      TOE_NL_A_UNSPEC))
			goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_small_ops toe_nl_ops[] = {
	{
		.cmd = TOE_NL_CMD_CONN_GET,
		.dumpit = toe_nl_conn_dumpit,
	},
	{
		.cmd = TOE_NL_CMD_OFFLOAD,
		.doit = toe_nl_offload_doit,
	},
	{
		.cmd = TOE_NL_CMD_UPLOAD,
		.doit = toe_nl_upload_doit,
	},
	{
		.cmd = TOE_NL_CMD_STATS_GET,
		.dumpit = toe_nl_stats_dumpit,
	},
	{
		.cmd = TOE_NL_CMD_POLICY_GET,
		.doit = toe_nl_policy_doit,
	},
};

static struct genl_family toe_genl_family __ro_after_init = {
	.name = TOE_GENL_NAME,
	.version = TOE_GENL_VERSION,
	.maxattr = TOE_NL_A_MAX,
	.policy = toe_nl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = toe_nl_ops,
	.n_small_ops = ARRAY_SIZE(toe_nl_ops),
	/* Every command's attributes are validated strictly. */
	.resv_start_op = TOE_NL_CMD_CONN_GET,
};

int toe_netlink_init(void)
{
	return genl_register_family(&toe_genl_family);
}

void toe_netlink_exit(void)
{
	genl_unregister_family(&toe_genl_family);
}
