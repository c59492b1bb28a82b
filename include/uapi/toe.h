/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * toe.h - the user API of toe.ko: socket options at level SOL_TOE.
 *
 * A TCP socket gets them by attaching the "toe" upper-layer protocol
 * first, as for kTLS:
 *
 *	setsockopt(fd, IPPROTO_TCP, TCP_ULP, "toe", sizeof("toe"));
 *	int on = 1;
 *	setsockopt(fd, SOL_TOE, TOE_OFFLOAD, &on, sizeof(on));
 *
 * Documentation/driver.rst describes what each option does.
 */
#ifndef _UAPI_TOE_H
#define _UAPI_TOE_H

#include <linux/types.h>

/* A private level: setsockopt() levels are ints, and this is no SOL_*. */
#define SOL_TOE			0x544f45	/* "TOE" */

/*
 * TOE_OFFLOAD (int): set 1 to move the connection to the NIC now, 0 to
 * bring it home now; get: 1 while it is on the NIC.
 */
#define TOE_OFFLOAD		1
/* TOE_INFO (struct toe_info, get only): where it lives, and its figures. */
#define TOE_INFO		2
/*
 * TOE_FORBID (int): set 1 to keep the connection off the NIC for good
 * (it comes home if it is there; every later move to the NIC, by the
 * socket, toectl or policy, fails with EPERM); 0 allows moves again.
 */
#define TOE_FORBID		3

enum toe_where {
	TOE_WHERE_HOST = 0,	/* the kernel's TCP runs it */
	TOE_WHERE_NIC = 1,	/* the NIC's engine runs it */
};

/**
 * struct toe_info - TOE_INFO.
 * @where: enum toe_where
 * @conn_id: the NIC's connection id while on the NIC, else ~0
 * @offloads: moves to the NIC
 * @uploads: moves back
 * @last_refusal: why the last TOE_OFFLOAD failed (TOE_REFUSE_*), or 0
 * @last_upload_reason: what brought it home last (TOE_UPLOAD_WHY_*)
 * @bytes_sent_nic: bytes the application wrote while on the NIC
 * @bytes_recv_nic: bytes the application read that the NIC received
 */
struct toe_info {
	__u32 where;
	__u32 conn_id;
	__u32 offloads;
	__u32 uploads;
	__u32 last_refusal;
	__u32 last_upload_reason;
	__u64 bytes_sent_nic;
	__u64 bytes_recv_nic;
};

/* Why a socket could not move to the NIC (toe_info.last_refusal). */
enum toe_refusal {
	TOE_REFUSE_NONE = 0,
	TOE_REFUSE_NOT_TCP,	/* not a TCP stream socket */
	TOE_REFUSE_FAMILY,	/* neither IPv4 nor IPv6 */
	TOE_REFUSE_STATE,	/* not ESTABLISHED */
	TOE_REFUSE_REPAIR,	/* in TCP_REPAIR mode */
	TOE_REFUSE_MD5,		/* TCP-MD5 signatures (RFC 2385) */
	TOE_REFUSE_ULP,		/* another upper-layer protocol (kTLS, MPTCP) */
	TOE_REFUSE_URGENT,	/* urgent data pending, either way */
	TOE_REFUSE_CONG,	/* congestion control the engine does not run */
	TOE_REFUSE_ROUTE,	/* its route does not leave through a TOE NIC */
	TOE_REFUSE_OOO,		/* the kernel holds out-of-order data for it */
	TOE_REFUSE_QUEUED,	/* more data queued than the NIC buffers hold */
	TOE_REFUSE_DEVICE,	/* the NIC refused it or failed */
	TOE_REFUSE_BUSY,	/* a call is under way in the kernel's TCP */
	TOE_REFUSE_FORBIDDEN,	/* the socket said TOE_FORBID */
	TOE_REFUSE_POLICY,	/* net.toe.mode is 0 (off) */
	TOE_REFUSE_NIC_FULL,	/* the NIC holds as many as it may */
	TOE_REFUSE_PERMISSION,	/* asked without CAP_NET_ADMIN, and
				 * net.toe.user_offload is 0
				 */
	TOE_REFUSE_XDP,		/* an XDP program on the interface */
	TOE_NUM_REFUSALS
};

/* The name each refusal is counted under (ethtool -S, toectl stats). */
#define TOE_REFUSAL_NAMES {					\
	[TOE_REFUSE_NONE] = "none",				\
	[TOE_REFUSE_NOT_TCP] = "not_tcp",			\
	[TOE_REFUSE_FAMILY] = "family",				\
	[TOE_REFUSE_STATE] = "state",				\
	[TOE_REFUSE_REPAIR] = "repair",				\
	[TOE_REFUSE_MD5] = "md5",				\
	[TOE_REFUSE_ULP] = "ulp",				\
	[TOE_REFUSE_URGENT] = "urgent",				\
	[TOE_REFUSE_CONG] = "congestion_control",		\
	[TOE_REFUSE_ROUTE] = "route",				\
	[TOE_REFUSE_OOO] = "out_of_order",			\
	[TOE_REFUSE_QUEUED] = "queued",				\
	[TOE_REFUSE_DEVICE] = "device",				\
	[TOE_REFUSE_BUSY] = "busy",				\
	[TOE_REFUSE_FORBIDDEN] = "forbidden",			\
	[TOE_REFUSE_POLICY] = "policy",				\
	[TOE_REFUSE_NIC_FULL] = "nic_full",			\
	[TOE_REFUSE_PERMISSION] = "permission",			\
	[TOE_REFUSE_XDP] = "xdp",				\
}

/* What brought a connection home (toe_info.last_upload_reason). */
enum toe_upload_why {
	TOE_UPLOAD_WHY_NONE = 0,
	TOE_UPLOAD_WHY_USER,	/* TOE_OFFLOAD set to 0 */
	TOE_UPLOAD_WHY_CLOSE,	/* the application closed the socket */
	TOE_UPLOAD_WHY_SHUTDOWN, /* the application shut it down */
	TOE_UPLOAD_WHY_SOCKOPT,	/* an option the NIC cannot honour */
	TOE_UPLOAD_WHY_DEVICE,	/* the NIC asked (TOE_EVT_UPLOAD_REQ) */
	TOE_UPLOAD_WHY_RESET,	/* the NIC is being reset or removed */
	TOE_UPLOAD_WHY_IDLE,	/* idle longer than net.toe.idle_ms */
	TOE_UPLOAD_WHY_EVICT,	/* its place went to a busier connection */
	TOE_UPLOAD_WHY_MODE_OFF, /* net.toe.mode was set to 0 (off) */
};

/* net.toe.mode */
enum toe_mode {
	TOE_MODE_OFF = 0,	/* nothing moves to the NIC */
	TOE_MODE_EXPLICIT = 1,	/* only sockets that ask, and toectl */
	TOE_MODE_AUTO = 2,	/* also whatever the policy picks */
};

/*
 * What the policy decided, counted per network namespace (toectl policy,
 * the toe_policy tracepoint). Documentation/driver.rst says when each
 * is counted.
 */
enum toe_policy_outcome {
	TOE_POL_NONE = 0,
	TOE_POL_WATCHED,	/* a socket through a TOE NIC is watched */
	TOE_POL_OFFLOADED,	/* moved to the NIC */
	TOE_POL_BELOW_THRESHOLD, /* closed below net.toe.auto_bytes */
	TOE_POL_EXCLUDED,	/* net.toe.include/exclude keep it home */
	TOE_POL_RTT_HIGH,	/* smoothed RTT above net.toe.max_srtt_us */
	TOE_POL_NIC_FULL,	/* the NIC is full and none may be evicted */
	TOE_POL_EVICTED,	/* brought home to make room for another */
	TOE_POL_IDLE,		/* brought home, idle for net.toe.idle_ms */
	TOE_POL_NIC_REQUEST,	/* brought home on the NIC's request */
	TOE_POL_MODE_OFF,	/* brought home as the mode became off */
	TOE_POL_REFUSED,	/* the move failed (see the refusals) */
	TOE_POL_SOCKET_CHOICE,	/* the socket chose itself (SOL_TOE) */
	TOE_NUM_POLICY
};

#define TOE_POLICY_NAMES {					\
	[TOE_POL_NONE] = "none",				\
	[TOE_POL_WATCHED] = "watched",				\
	[TOE_POL_OFFLOADED] = "offloaded",			\
	[TOE_POL_BELOW_THRESHOLD] = "below_threshold",		\
	[TOE_POL_EXCLUDED] = "excluded",			\
	[TOE_POL_RTT_HIGH] = "rtt_too_high",			\
	[TOE_POL_NIC_FULL] = "nic_full",			\
	[TOE_POL_EVICTED] = "evicted",				\
	[TOE_POL_IDLE] = "idle",				\
	[TOE_POL_NIC_REQUEST] = "nic_request",			\
	[TOE_POL_MODE_OFF] = "mode_off",			\
	[TOE_POL_REFUSED] = "refused",				\
	[TOE_POL_SOCKET_CHOICE] = "socket_choice",		\
}

/*
 * The generic netlink family "toe" (what toectl speaks). Addresses are in
 * network order, ports in host order. CONN_GET lists the connections on a
 * TOE NIC of the caller's network namespace; OFFLOAD and UPLOAD name one
 * TCP connection by its four attributes (FAMILY, LOCAL_ADDR, LOCAL_PORT,
 * REMOTE_ADDR, REMOTE_PORT) and move it, attaching the "toe" ULP first if
 * it has none; another user's socket needs CAP_NET_ADMIN. STATS_GET
 * gives one message per TOE NIC. Errors come as an errno with an extack
 * message saying why.
 */
#define TOE_GENL_NAME		"toe"
#define TOE_GENL_VERSION	1

enum toe_nl_cmd {
	TOE_NL_CMD_UNSPEC,
	TOE_NL_CMD_CONN_GET,	/* dump: one message per connection */
	TOE_NL_CMD_OFFLOAD,	/* do: move the named connection to the NIC */
	TOE_NL_CMD_UPLOAD,	/* do: bring it home */
	TOE_NL_CMD_STATS_GET,	/* dump: one message per TOE NIC */
	TOE_NL_CMD_POLICY_GET,	/* do: the policy counters of the netns */
	__TOE_NL_CMD_MAX
};
#define TOE_NL_CMD_MAX		(__TOE_NL_CMD_MAX - 1)

enum toe_nl_attr {
	TOE_NL_A_UNSPEC,
	TOE_NL_A_FAMILY,	/* u8: AF_INET or AF_INET6 */
	TOE_NL_A_LOCAL_ADDR,	/* binary, 4 or 16 bytes */
	TOE_NL_A_LOCAL_PORT,	/* u16 */
	TOE_NL_A_REMOTE_ADDR,	/* binary, 4 or 16 bytes */
	TOE_NL_A_REMOTE_PORT,	/* u16 */
	TOE_NL_A_IFINDEX,	/* u32: the TOE NIC */
	TOE_NL_A_IFNAME,	/* string: the TOE NIC */
	TOE_NL_A_WHERE,		/* u32: enum toe_where */
	TOE_NL_A_CONN_ID,	/* u32: the NIC's connection id */
	TOE_NL_A_UID,		/* u32: the socket's owner */
	TOE_NL_A_STATE,		/* u8: TCP state as the NIC reports it */
	TOE_NL_A_INFO,		/* binary: struct toe_info */
	TOE_NL_A_STAT_OFFLOADS,		/* u64: moves to the NIC */
	TOE_NL_A_STAT_UPLOADS,		/* u64: moves back */
	TOE_NL_A_STAT_UPLOAD_REQS,	/* u64: the NIC asked for one back */
	TOE_NL_A_STAT_CONNS,		/* u32: connections on the NIC now */
	TOE_NL_A_STAT_TX_BYTES,		/* u64: sent by the NIC, acknowledged */
	TOE_NL_A_STAT_RX_BYTES,		/* u64: received by the NIC, placed */
	TOE_NL_A_STAT_REFUSALS,	/* nest: u64 per enum toe_refusal, type = it */
	TOE_NL_A_POLICY,	/* nest: u64 per enum toe_policy_outcome */
	TOE_NL_A_MODE,		/* u32: net.toe.mode */
	__TOE_NL_A_MAX
};
#define TOE_NL_A_MAX		(__TOE_NL_A_MAX - 1)

#endif /* _UAPI_TOE_H */
