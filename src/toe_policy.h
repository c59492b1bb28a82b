/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_policy.h - which connections go to the NIC and when they come back:
 * the net.toe.* knobs of a network namespace, the decision made from them
 * and the counters of what was decided.
 *
 * toe_sysctl.c  the knobs (struct toe_net), with their bounds
 * toe_policy.c  the decision, the address and port lists, the counters
 * toe_auto.c    acting on it: watching sockets, moving them, idle and
 *               eviction, mode off
 */
#ifndef _TOE_POLICY_H
#define _TOE_POLICY_H

#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "uapi/toe.h"

/* At most this many rules in net.toe.include or net.toe.exclude. */
#define TOE_RULES_MAX		16
/* The longest a list may be written as. */
#define TOE_RULES_TEXT_MAX	1024

enum toe_rule_kind {
	TOE_RULE_LPORT,		/* lport=N or lport=N-M */
	TOE_RULE_RPORT,		/* rport=... */
	TOE_RULE_LADDR,		/* laddr=ADDR[/LEN], IPv4 or IPv6 */
	TOE_RULE_RADDR,		/* raddr=... */
};

/**
 * struct toe_rule - one entry of an address and port list.
 * @kind: enum toe_rule_kind
 * @v4: an address rule for IPv4 (else IPv6)
 * @plen: prefix length, in bits of its family
 * @port_lo: first port of a port rule
 * @port_hi: last port, inclusive
 * @addr: the prefix (an IPv4 one in the first 4 bytes)
 */
struct toe_rule {
	u8 kind;
	bool v4;
	u8 plen;
	u16 port_lo;
	u16 port_hi;
	struct in6_addr addr;
};

/**
 * struct toe_rules - a parsed net.toe.include or net.toe.exclude.
 * @n: rules in @rule; a connection matches the list if it matches any
 * @text: the list as written, normalized, for reading back
 * @rcu: freed after readers are done
 */
struct toe_rules {
	unsigned int n;
	struct toe_rule rule[TOE_RULES_MAX];
	char text[TOE_RULES_TEXT_MAX];
	struct rcu_head rcu;
};

/**
 * struct toe_policy_conf - the knobs a decision reads (a snapshot).
 * @auto_bytes: bytes either way before a connection is a candidate
 * @max_srtt_us: a candidate's smoothed RTT must not exceed it; 0: any
 * @max_conns: connections on one NIC at most; 0: as many as it holds
 * @evict_idle_ms: an on-NIC connection idle this long may make room for
 *	a candidate; 0: never evict
 * @include: a candidate must match it (if it has rules); may be NULL
 * @exclude: a candidate must not match it; may be NULL
 */
struct toe_policy_conf {
	u64 auto_bytes;
	u32 max_srtt_us;
	u32 max_conns;
	u32 evict_idle_ms;
	const struct toe_rules *include;
	const struct toe_rules *exclude;
};

/**
 * struct toe_policy_conn - what a decision knows about one connection.
 * @v4: IPv4 (or IPv4-mapped IPv6) addresses
 * @laddr: local address (IPv4 in the first 4 bytes)
 * @raddr: remote address
 * @lport: local port
 * @rport: remote port
 * @bytes: bytes acknowledged and received since it last came home
 * @srtt_us: smoothed RTT
 * @nic_conns: connections on the NIC now
 * @nic_capacity: connections the NIC holds (TOE_REG_CONN_CAPACITY)
 * @victim_idle_ms: the longest any connection the policy moved to the
 *	NIC has been idle; 0 if there is none
 */
struct toe_policy_conn {
	bool v4;
	struct in6_addr laddr;
	struct in6_addr raddr;
	u16 lport;
	u16 rport;
	u64 bytes;
	u32 srtt_us;
	u32 nic_conns;
	u32 nic_capacity;
	u32 victim_idle_ms;
};

/* What toe_policy_decide() says to do. */
enum toe_policy_verdict {
	TOE_VERDICT_WAIT,	/* below the threshold: ask again later */
	TOE_VERDICT_OFFLOAD,	/* move it */
	TOE_VERDICT_EVICT,	/* bring the idlest home, then move it */
	TOE_VERDICT_NIC_FULL,	/* no room: ask again later */
	TOE_VERDICT_EXCLUDED,	/* the lists say never */
	TOE_VERDICT_RTT_HIGH,	/* too far: ask again later */
};

/**
 * struct toe_net - the policy of one network namespace.
 * @mode: net.toe.mode, enum toe_mode
 * @auto_bytes: net.toe.auto_bytes
 * @max_srtt_us: net.toe.max_srtt_us
 * @max_conns: net.toe.max_conns
 * @idle_ms: net.toe.idle_ms: an auto-moved connection idle this long
 *	comes home; 0: never
 * @evict_idle_ms: net.toe.evict_idle_ms
 * @nic_request: net.toe.nic_request: 0, a connection the NIC gave back
 *	may be moved again; 1, it stays home
 * @user_offload: net.toe.user_offload: 1, a user without CAP_NET_ADMIN
 *	may ask to move its own connections; 0 (default), only the policy
 *	and the administrator move them
 * @include: net.toe.include, RCU; written under @rules_lock
 * @exclude: net.toe.exclude, likewise
 * @rules_lock: serializes writers of the lists
 * @count: decisions by enum toe_policy_outcome
 * @net: the namespace
 * @hdr: the sysctl table
 *
 * The integer knobs are written by the sysctl core and read with
 * READ_ONCE() anywhere.
 */
struct toe_net {
	int mode;
	unsigned long auto_bytes;
	int max_srtt_us;
	int max_conns;
	int idle_ms;
	int evict_idle_ms;
	int nic_request;
	int user_offload;
	struct toe_rules __rcu *include;
	struct toe_rules __rcu *exclude;
	struct mutex rules_lock;
	atomic64_t count[TOE_NUM_POLICY];
	struct net *net;
	struct ctl_table_header *hdr;
};

/* toe_sysctl.c */
struct toe_net *toe_net(const struct net *net);
int toe_net_mode(const struct net *net);
int toe_sysctl_init(void);
void toe_sysctl_exit(void);
extern const struct ctl_table toe_sysctl_template[];
void toe_net_conf(struct toe_net *tn, struct toe_policy_conf *c);

/* toe_policy.c */
enum toe_policy_verdict toe_policy_decide(const struct toe_policy_conf *c,
					  const struct toe_policy_conn *conn);
u32 toe_policy_limit(u32 max_conns, u32 nic_capacity);
bool toe_rules_match(const struct toe_rules *r,
		     const struct toe_policy_conn *conn);
int toe_rules_parse(const char *text, struct toe_rules *r);
const char *toe_policy_name(enum toe_policy_outcome what);

/* toe_auto.c */
void toe_policy_count(struct net *net, enum toe_policy_outcome what);
struct toe_policy_ops;
extern const struct toe_policy_ops toe_auto_ops;
void toe_auto_mode_off(struct net *net);
int toe_auto_init(void);
void toe_auto_exit(void);

#endif /* _TOE_POLICY_H */
