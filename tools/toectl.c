// SPDX-License-Identifier: GPL-2.0
/*
 * toectl - see where TCP connections run, move them to the TOE NIC and
 * back, and read the TOE NICs' counters.
 *
 *   toectl list [-4|-6]          every TCP connection: host or nic
 *   toectl offload LOCAL REMOTE  move one to its TOE NIC
 *   toectl upload --port 5001    bring the one using port 5001 home
 *   toectl stats                 each TOE NIC's counters and refusals
 *
 * It speaks netlink itself (no libnl: the tool is linked statically for
 * the test VM): inet_diag over NETLINK_SOCK_DIAG for the TCP connections
 * of the network namespace, and the generic netlink family "toe" of
 * toe.ko (include/uapi/toe.h) for what the module knows of them, for the
 * moves and for the counters. Errors carry the kernel's extended ack
 * message. Exit status: 0 done, 1 failed, 2 bad arguments.
 * Documentation/toectl.rst has examples.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "uapi/toe.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Room for one recv() of netlink answers; a longer one is an error. */
#define NL_RX_SIZE	(64 * 1024)
/* "[v6addr]:port" and its NUL */
#define ENDPOINT_LEN	(INET6_ADDRSTRLEN + 8)
/* What toectl says when the family "toe" is not registered. */
#define NOT_LOADED	"toe module not loaded"
/* How long to wait before asking again after EBUSY or EAGAIN. */
#define RETRY_NS	(10 * 1000 * 1000)

/* Bits of inet_diag_req_v2.idiag_states. */
#define TCPF(state)	(1u << (state))
/* What list shows: all but LISTEN, TIME_WAIT, CLOSE and SYN_RECV. */
#define LIST_STATES	(TCPF(TCP_ESTABLISHED) | TCPF(TCP_SYN_SENT) | \
			 TCPF(TCP_FIN_WAIT1) | TCPF(TCP_FIN_WAIT2) | \
			 TCPF(TCP_CLOSE_WAIT) | TCPF(TCP_LAST_ACK) | \
			 TCPF(TCP_CLOSING))
/* What --port chooses from: connections that can move. */
#define MOVE_STATES	(TCPF(TCP_ESTABLISHED) | TCPF(TCP_CLOSE_WAIT))

/* As ss(8) names them. */
static const char *const tcp_state_names[] = {
	[TCP_ESTABLISHED] = "ESTAB",
	[TCP_SYN_SENT] = "SYN-SENT",
	[TCP_SYN_RECV] = "SYN-RECV",
	[TCP_FIN_WAIT1] = "FIN-WAIT-1",
	[TCP_FIN_WAIT2] = "FIN-WAIT-2",
	[TCP_TIME_WAIT] = "TIME-WAIT",
	[TCP_CLOSE] = "CLOSE",
	[TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_LAST_ACK] = "LAST-ACK",
	[TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

/* enum toe_refusal, named as toe.ko's ethtool counters name it. */
static const char *const refusal_names[TOE_NUM_REFUSALS] = TOE_REFUSAL_NAMES;
static const char *const policy_names[TOE_NUM_POLICY] = TOE_POLICY_NAMES;

/**
 * struct tuple - a TCP connection's addresses.
 * @family: AF_INET or AF_INET6
 * @laddr: local address, network order (4 or 16 bytes used, rest 0)
 * @raddr: remote address, likewise
 * @lport: local port, host order
 * @rport: remote port, host order
 */
struct tuple {
	int family;
	unsigned char laddr[16];
	unsigned char raddr[16];
	uint16_t lport;
	uint16_t rport;
};

/**
 * struct conn - one TCP connection, as inet_diag and toe.ko see it.
 * @shown: its addresses as the socket holds them (what list prints)
 * @key: the same with IPv4-mapped IPv6 addresses made IPv4: what it is
 *	on the wire, to match the two views and to name it to toe.ko
 * @state: TCP state (the socket's, or the NIC's if the socket is unseen)
 * @known: toe.ko reported it (the fields below are set)
 * @where: enum toe_where
 * @conn_id: the NIC's connection id
 * @ifname: the TOE NIC
 * @has_info: @info came with it
 * @info: toe.ko's figures for it
 */
struct conn {
	struct tuple shown;
	struct tuple key;
	int state;
	bool known;
	uint32_t where;
	uint32_t conn_id;
	char ifname[IF_NAMESIZE];
	bool has_info;
	struct toe_info info;
};

struct conn_table {
	struct conn *v;
	size_t n;
	size_t cap;
};

/* The kernel's answer to a request: an errno and why, if it said. */
struct nl_err {
	int err;
	char msg[256];
};

/* A generic netlink request with room for a few attributes. */
struct genl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	unsigned char attrs[128];
};

struct conn_get_ctx {
	int family_id;
	struct conn_table *table;
};

struct stats_ctx {
	int family_id;
	int nics;		/* NICs printed so far */
};

static bool verbose;
static uint32_t nl_seq;

static void print_usage(FILE *f)
{
	fputs("usage: toectl [-v] COMMAND\n"
	      "  list [-4|-6]          TCP connections and where they run\n"
	      "  offload [--retry S] LOCAL REMOTE | --port N\n"
	      "                        move a connection to its TOE NIC\n"
	      "  upload [--retry S] LOCAL REMOTE | --port N\n"
	      "                        bring a connection home\n"
	      "  stats                 counters of each TOE NIC\n"
	      "  policy                the offload policy's decisions in\n"
	      "                        this network namespace, by outcome\n"
	      "LOCAL and REMOTE are ADDR:PORT or [V6ADDR]:PORT; --port N\n"
	      "names the one established connection using port N.\n"
	      "--retry S: ask again for S seconds while the kernel\n"
	      "answers EBUSY or EAGAIN. -v: say what was done.\n", f);
}

/* "toectl: MESSAGE" on stderr. */
static void vsay(const char *fmt, va_list ap)
{
	fputs("toectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	print_usage(stderr);
	exit(2);
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(1);
}

/* "toectl: WHAT: strerror: extack message" */
static _Noreturn void die_nl(const struct nl_err *ne, const char *what)
{
	die("%s: %s%s%s", what, strerror(ne->err), ne->msg[0] ? ": " : "",
	    ne->msg);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime: %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* "1.2.3.4:80" or "[::1]:80" into @buf, ENDPOINT_LEN bytes. */
static const char *endpoint_str(char *buf, int family,
				const unsigned char *addr, unsigned int port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		die("inet_ntop: %s", strerror(errno));
	snprintf(buf, ENDPOINT_LEN, family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 ip, port);
	return buf;
}

/* A port number, 1 to 65535, in decimal; false if @s is not one. */
static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return false;
	*port = v;
	return true;
}

/* ADDR:PORT or [V6ADDR]:PORT; false if @s is neither. */
static bool parse_endpoint(const char *s, int *family, unsigned char *addr,
			   uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN];
	size_t len;

	if (!colon)
		return false;
	if (s[0] == '[') {
		if (colon[-1] != ']')
			return false;
		s++;
		len = colon - 1 - s;
		*family = AF_INET6;
	} else {
		len = colon - s;
		*family = AF_INET;
	}
	if (len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	return inet_pton(*family, host, addr) == 1 &&
	       parse_port(colon + 1, port);
}

static bool addr_v4mapped(const unsigned char *addr)
{
	static const unsigned char prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(addr, prefix, sizeof(prefix));
}

/*
 * An IPv6 socket talking to an IPv4-mapped address is an IPv4 connection
 * on the wire, and the kernel finds it by its IPv4 addresses.
 */
static struct tuple tuple_unmap(const struct tuple *t)
{
	struct tuple v4 = *t;

	if (t->family != AF_INET6 || !addr_v4mapped(t->laddr) ||
	    !addr_v4mapped(t->raddr))
		return v4;
	v4.family = AF_INET;
	memset(v4.laddr, 0, sizeof(v4.laddr));
	memset(v4.raddr, 0, sizeof(v4.raddr));
	memcpy(v4.laddr, t->laddr + 12, 4);
	memcpy(v4.raddr, t->raddr + 12, 4);
	return v4;
}

/* The connection named on the command line, as toe.ko wants it named. */
static struct tuple parse_tuple(const char *local, const char *remote)
{
	struct tuple t = { 0 };
	int rfamily;

	if (!parse_endpoint(local, &t.family, t.laddr, &t.lport))
		usage_error("%s: not ADDR:PORT or [V6ADDR]:PORT", local);
	if (!parse_endpoint(remote, &rfamily, t.raddr, &t.rport))
		usage_error("%s: not ADDR:PORT or [V6ADDR]:PORT", remote);
	if (rfamily != t.family)
		usage_error("LOCAL and REMOTE must be of one family");
	return tuple_unmap(&t);
}

static bool tuple_equal(const struct tuple *a, const struct tuple *b)
{
	return a->family == b->family && a->lport == b->lport &&
	       a->rport == b->rport &&
	       !memcmp(a->laddr, b->laddr, addr_len(a->family)) &&
	       !memcmp(a->raddr, b->raddr, addr_len(a->family));
}

static struct conn *conn_add(struct conn_table *table)
{
	if (table->n == table->cap) {
		size_t cap = table->cap ? 2 * table->cap : 64;
		struct conn *v = realloc(table->v, cap * sizeof(*v));

		if (!v)
			die("out of memory");
		table->v = v;
		table->cap = cap;
	}
	memset(&table->v[table->n], 0, sizeof(table->v[0]));
	return &table->v[table->n++];
}

static struct conn *conn_find(struct conn_table *table,
			      const struct tuple *key)
{
	size_t i;

	for (i = 0; i < table->n; i++)
		if (tuple_equal(&table->v[i].key, key))
			return &table->v[i];
	return NULL;
}

static const void *nla_payload(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t nla_payload_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/**
 * nla_index() - find the attributes of a stream by type
 * @tb: gets, for each type up to @max, its last attribute or NULL
 * @max: the highest type wanted; others are skipped
 * @data: the first attribute
 * @len: bytes from @data to the end of the stream
 *
 * Stops at the first attribute that does not fit.
 */
static void nla_index(const struct nlattr **tb, int max, const void *data,
		      size_t len)
{
	const struct nlattr *a = data;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(a->nla_len);

		if (type <= max)
			tb[type] = a;
		if (step >= len)
			break;
		len -= step;
		a = (const void *)((const char *)a + step);
	}
}

/* An unsigned attribute of 1, 2, 4 or 8 bytes; 0 if absent or another size. */
static uint64_t nla_uint(const struct nlattr *a)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	if (!a)
		return 0;
	switch (nla_payload_len(a)) {
	case 1:
		memcpy(&u8, nla_payload(a), 1);
		return u8;
	case 2:
		memcpy(&u16, nla_payload(a), 2);
		return u16;
	case 4:
		memcpy(&u32, nla_payload(a), 4);
		return u32;
	case 8:
		memcpy(&u64, nla_payload(a), 8);
		return u64;
	}
	return 0;
}

/* Append an attribute to @nlh, which has @room bytes in all. */
static void nla_append(struct nlmsghdr *nlh, size_t room, int type,
		       const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(nlh->nlmsg_len);
	struct nlattr *a = (struct nlattr *)((char *)nlh + at);

	if (at + NLA_ALIGN(NLA_HDRLEN + len) > room)
		die("netlink request too long");
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = at + NLA_ALIGN(a->nla_len);
}

static int nl_open(int protocol)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	int one = 1;

	if (fd < 0)
		die("netlink socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)))
		die("NETLINK_EXT_ACK: %s", strerror(errno));
	return fd;
}

/*
 * The end of an answer: NLMSG_ERROR (an ack if its error is 0) or a
 * dump's NLMSG_DONE. Each holds a negative errno; with NLM_F_ACK_TLVS,
 * attributes follow that may hold a message saying why. Returns the
 * errno, positive, or 0.
 */
static int nl_answer_end(const struct nlmsghdr *nlh, struct nl_err *ne)
{
	const unsigned char *payload = NLMSG_DATA(nlh);
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;
	int err;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = (const void *)payload;

		if (len < sizeof(*e))
			die("netlink error message too short");
		err = e->error;
		/* The request comes back whole unless it is capped. */
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	} else {
		if (len < sizeof(err))
			return 0;
		memcpy(&err, payload, sizeof(err));
		off = sizeof(err);
	}
	ne->err = -err;
	off = NLMSG_ALIGN(off);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return ne->err;
	nla_index(tb, NLMSGERR_ATTR_MAX, payload + off, len - off);
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(ne->msg, sizeof(ne->msg), "%.*s",
			 (int)strnlen(nla_payload(tb[NLMSGERR_ATTR_MSG]),
				      nla_payload_len(tb[NLMSGERR_ATTR_MSG])),
			 (const char *)nla_payload(tb[NLMSGERR_ATTR_MSG]));
	return ne->err;
}

/**
 * nl_talk() - send a netlink request and read every answer to it
 * @fd: the netlink socket
 * @req: the request; its sequence number is set here
 * @cb: called with each answer but the final one; may be NULL
 * @arg: passed to @cb
 * @ne: gets the kernel's errno and message, if any
 *
 * A dump ends with NLMSG_DONE, a request with NLM_F_ACK with NLMSG_ERROR;
 * either may take several recv() calls to come. Returns the errno the
 * kernel answered, or 0. Dies if the socket fails.
 */
static int nl_talk(int fd, struct nlmsghdr *req,
		   void (*cb)(const struct nlmsghdr *nlh, void *arg),
		   void *arg, struct nl_err *ne)
{
	static uint64_t buf[NL_RX_SIZE / sizeof(uint64_t)];
	uint32_t seq = ++nl_seq;

	req->nlmsg_seq = seq;
	ne->err = 0;
	ne->msg[0] = '\0';
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		die("netlink send: %s", strerror(errno));
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		const struct nlmsghdr *nlh = (const void *)buf;
		ssize_t got = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
				       (struct sockaddr *)&from, &fromlen);
		int len;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die("netlink recv: %s", strerror(errno));
		if ((size_t)got > sizeof(buf))
			die("netlink answer of %zd bytes too long", got);
		if (from.nl_pid)
			continue;	/* not from the kernel */
		for (len = got; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR)
				return nl_answer_end(nlh, ne);
			if (cb && nlh->nlmsg_type != NLMSG_NOOP)
				cb(nlh, arg);
		}
		if (len > 0)
			die("netlink answer cut short");
	}
}

static void genl_req_init(struct genl_req *r, int type, int flags, int cmd,
			  int version)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->genl.cmd = cmd;
	r->genl.version = version;
}

/* Index a generic netlink message of @type; false if it is not one. */
static bool genl_index(const struct nlmsghdr *nlh, int type,
		       const struct nlattr **tb, int max)
{
	if (nlh->nlmsg_type != type ||
	    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return false;
	nla_index(tb, max, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		  nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	return true;
}

static void family_id_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genl_index(nlh, GENL_ID_CTRL, tb, CTRL_ATTR_MAX) &&
	    tb[CTRL_ATTR_FAMILY_ID])
		*(int *)arg = nla_uint(tb[CTRL_ATTR_FAMILY_ID]);
}

/* The id of the family "toe", or 0 if toe.ko is not loaded. */
static int toe_family_id(int fd)
{
	struct genl_req r;
	struct nl_err ne;
	int id = 0;

	genl_req_init(&r, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	nla_append(&r.nlh, sizeof(r), CTRL_ATTR_FAMILY_NAME, TOE_GENL_NAME,
		   sizeof(TOE_GENL_NAME));
	if (nl_talk(fd, &r.nlh, family_id_cb, &id, &ne) == ENOENT)
		return 0;
	if (ne.err)
		die_nl(&ne, "generic netlink family " TOE_GENL_NAME);
	if (!id)
		die("generic netlink family " TOE_GENL_NAME ": no id");
	return id;
}

static void diag_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	struct conn *c;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    (m->idiag_family != AF_INET && m->idiag_family != AF_INET6))
		return;
	c = conn_add(arg);
	c->shown.family = m->idiag_family;
	memcpy(c->shown.laddr, m->id.idiag_src, addr_len(m->idiag_family));
	memcpy(c->shown.raddr, m->id.idiag_dst, addr_len(m->idiag_family));
	c->shown.lport = ntohs(m->id.idiag_sport);
	c->shown.rport = ntohs(m->id.idiag_dport);
	c->key = tuple_unmap(&c->shown);
	c->state = m->idiag_state;
}

/* Add the TCP sockets of @family in @states to @table. */
static void diag_dump(int fd, int family, uint32_t states,
		      struct conn_table *table)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(msg.req)),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = states,
		},
	};
	struct nl_err ne;

	if (nl_talk(fd, &msg.nlh, diag_cb, table, &ne))
		die_nl(&ne, "inet_diag");
}

/* The connection toe.ko names in @tb; false if an attribute is wrong. */
static bool tuple_from_attrs(const struct nlattr **tb, struct tuple *t)
{
	const struct nlattr *laddr = tb[TOE_NL_A_LOCAL_ADDR];
	const struct nlattr *raddr = tb[TOE_NL_A_REMOTE_ADDR];

	memset(t, 0, sizeof(*t));
	t->family = nla_uint(tb[TOE_NL_A_FAMILY]);
	if ((t->family != AF_INET && t->family != AF_INET6) ||
	    !laddr || nla_payload_len(laddr) != addr_len(t->family) ||
	    !raddr || nla_payload_len(raddr) != addr_len(t->family) ||
	    !tb[TOE_NL_A_LOCAL_PORT] || !tb[TOE_NL_A_REMOTE_PORT])
		return false;
	memcpy(t->laddr, nla_payload(laddr), addr_len(t->family));
	memcpy(t->raddr, nla_payload(raddr), addr_len(t->family));
	t->lport = nla_uint(tb[TOE_NL_A_LOCAL_PORT]);
	t->rport = nla_uint(tb[TOE_NL_A_REMOTE_PORT]);
	return true;
}

/*
 * One connection toe.ko has: fill in the socket inet_diag listed, or add
 * it if inet_diag did not list it.
 */
static void conn_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct conn_get_ctx *ctx = arg;
	const struct nlattr *tb[TOE_NL_A_MAX + 1];
	const struct nlattr *info;
	struct tuple t, key;
	struct conn *c;

	if (!genl_index(nlh, ctx->family_id, tb, TOE_NL_A_MAX) ||
	    !tuple_from_attrs(tb, &t))
		return;
	key = tuple_unmap(&t);
	c = conn_find(ctx->table, &key);
	if (!c) {
		c = conn_add(ctx->table);
		c->shown = t;
		c->key = key;
		c->state = nla_uint(tb[TOE_NL_A_STATE]);
	}
	c->known = true;
	c->where = tb[TOE_NL_A_WHERE] ? nla_uint(tb[TOE_NL_A_WHERE]) :
					TOE_WHERE_NIC;
	c->conn_id = nla_uint(tb[TOE_NL_A_CONN_ID]);
	if (tb[TOE_NL_A_IFNAME])
		snprintf(c->ifname, sizeof(c->ifname), "%.*s",
			 (int)strnlen(nla_payload(tb[TOE_NL_A_IFNAME]),
				      nla_payload_len(tb[TOE_NL_A_IFNAME])),
			 (const char *)nla_payload(tb[TOE_NL_A_IFNAME]));
	info = tb[TOE_NL_A_INFO];
	if (info && nla_payload_len(info) >= sizeof(c->info)) {
		memcpy(&c->info, nla_payload(info), sizeof(c->info));
		c->has_info = true;
	}
}

enum list_col {
	COL_LOCAL, COL_REMOTE, COL_STATE, COL_WHERE, COL_CONN, COL_DEV,
	COL_SENT, COL_RECV, NUM_COLS
};

static const char *const col_titles[NUM_COLS] = {
	"Local Address:Port", "Peer Address:Port", "State", "Where", "Conn",
	"Dev", "NIC-Sent", "NIC-Recv",
};

/* The columns of a row of list; "-" for what does not apply. */
static void list_row(const struct conn *c, char row[NUM_COLS][ENDPOINT_LEN])
{
	const struct tuple *t = &c->shown;
	bool on_nic = c->known && c->where == TOE_WHERE_NIC;
	int i;

	for (i = COL_STATE; i < NUM_COLS; i++)
		snprintf(row[i], ENDPOINT_LEN, "-");
	endpoint_str(row[COL_LOCAL], t->family, t->laddr, t->lport);
	endpoint_str(row[COL_REMOTE], t->family, t->raddr, t->rport);
	if (c->state > 0 && c->state < (int)ARRAY_SIZE(tcp_state_names))
		snprintf(row[COL_STATE], ENDPOINT_LEN, "%s",
			 tcp_state_names[c->state]);
	snprintf(row[COL_WHERE], ENDPOINT_LEN, "%s", on_nic ? "nic" : "host");
	if (on_nic)
		snprintf(row[COL_CONN], ENDPOINT_LEN, "%u", c->conn_id);
	if (c->ifname[0])
		snprintf(row[COL_DEV], ENDPOINT_LEN, "%s", c->ifname);
	if (c->has_info) {
		snprintf(row[COL_SENT], ENDPOINT_LEN, "%llu",
			 (unsigned long long)c->info.bytes_sent_nic);
		snprintf(row[COL_RECV], ENDPOINT_LEN, "%llu",
			 (unsigned long long)c->info.bytes_recv_nic);
	}
}

/* Columns as wide as their widest entry; the byte counts right-aligned. */
static void list_print_row(char row[NUM_COLS][ENDPOINT_LEN],
			   const int *width)
{
	int i;

	for (i = 0; i < NUM_COLS; i++) {
		if (i)
			fputs("  ", stdout);
		if (i >= COL_SENT)
			printf("%*s", width[i], row[i]);
		else
			printf("%-*s", width[i], row[i]);
	}
	putchar('\n');
}

static void list_print(const struct conn_table *table, int family)
{
	char row[NUM_COLS][ENDPOINT_LEN];
	int width[NUM_COLS];
	size_t n;
	int i;

	for (i = 0; i < NUM_COLS; i++)
		width[i] = strlen(col_titles[i]);
	for (n = 0; n < table->n; n++) {
		if (family && table->v[n].shown.family != family)
			continue;
		list_row(&table->v[n], row);
		for (i = 0; i < NUM_COLS; i++)
			if ((int)strlen(row[i]) > width[i])
				width[i] = strlen(row[i]);
	}
	for (i = 0; i < NUM_COLS; i++)
		snprintf(row[i], ENDPOINT_LEN, "%s", col_titles[i]);
	list_print_row(row, width);
	for (n = 0; n < table->n; n++) {
		if (family && table->v[n].shown.family != family)
			continue;
		list_row(&table->v[n], row);
		list_print_row(row, width);
	}
}

/* toectl list: @family is AF_INET or AF_INET6 to show only those, or 0. */
static void cmd_list(int family)
{
	struct conn_table table = { 0 };
	int diag_fd = nl_open(NETLINK_SOCK_DIAG);
	int genl_fd = nl_open(NETLINK_GENERIC);
	struct conn_get_ctx ctx = {
		.family_id = toe_family_id(genl_fd),
		.table = &table,
	};
	struct genl_req r;
	struct nl_err ne;

	diag_dump(diag_fd, AF_INET, LIST_STATES, &table);
	diag_dump(diag_fd, AF_INET6, LIST_STATES, &table);
	if (ctx.family_id) {
		genl_req_init(&r, ctx.family_id, NLM_F_DUMP,
			      TOE_NL_CMD_CONN_GET, TOE_GENL_VERSION);
		if (nl_talk(genl_fd, &r.nlh, conn_get_cb, &ctx, &ne))
			die_nl(&ne, "list");
	} else {
		fputs("toectl: " NOT_LOADED "; listing all as on the host\n",
		      stderr);
	}
	list_print(&table, family);
	free(table.v);
	close(diag_fd);
	close(genl_fd);
}

/*
 * The one connection, ESTABLISHED or CLOSE_WAIT, with @port as its local
 * or remote port. Exits if there is not exactly one, saying which match.
 */
static struct tuple conn_by_port(const char *cmd, unsigned int port)
{
	char local[ENDPOINT_LEN], remote[ENDPOINT_LEN];
	struct conn_table table = { 0 };
	int fd = nl_open(NETLINK_SOCK_DIAG);
	struct tuple found = { 0 };
	size_t i, matches = 0;

	diag_dump(fd, AF_INET, MOVE_STATES, &table);
	diag_dump(fd, AF_INET6, MOVE_STATES, &table);
	close(fd);
	for (i = 0; i < table.n; i++) {
		const struct tuple *t = &table.v[i].shown;

		if (t->lport != port && t->rport != port)
			continue;
		if (!matches++)
			found = table.v[i].key;
	}
	if (matches == 1) {
		free(table.v);
		return found;
	}
	fprintf(stderr,
		"toectl: %s --port %u: %zu connections match, need one\n",
		cmd, port, matches);
	for (i = 0; i < table.n; i++) {
		const struct tuple *t = &table.v[i].shown;

		if (t->lport == port || t->rport == port)
			fprintf(stderr, "  %s %s\n",
				endpoint_str(local, t->family, t->laddr,
					     t->lport),
				endpoint_str(remote, t->family, t->raddr,
					     t->rport));
	}
	exit(1);
}

/* Ask toe.ko once to move @t (TOE_NL_CMD_OFFLOAD or _UPLOAD). */
static int toe_move(int fd, int family_id, int cmd, const struct tuple *t,
		    struct nl_err *ne)
{
	uint8_t family = t->family;
	struct genl_req r;

	genl_req_init(&r, family_id, NLM_F_ACK, cmd, TOE_GENL_VERSION);
	nla_append(&r.nlh, sizeof(r), TOE_NL_A_FAMILY, &family,
		   sizeof(family));
	nla_append(&r.nlh, sizeof(r), TOE_NL_A_LOCAL_ADDR, t->laddr,
		   addr_len(t->family));
	nla_append(&r.nlh, sizeof(r), TOE_NL_A_LOCAL_PORT, &t->lport,
		   sizeof(t->lport));
	nla_append(&r.nlh, sizeof(r), TOE_NL_A_REMOTE_ADDR, t->raddr,
		   addr_len(t->family));
	nla_append(&r.nlh, sizeof(r), TOE_NL_A_REMOTE_PORT, &t->rport,
		   sizeof(t->rport));
	return nl_talk(fd, &r.nlh, NULL, NULL, ne);
}

/*
 * toectl offload and upload: move @t, asking again every 10 ms for
 * @retry_s seconds while the kernel answers EBUSY or EAGAIN.
 */
static void cmd_move(const char *name, int cmd, const struct tuple *t,
		     double retry_s)
{
	const struct timespec pause = { .tv_nsec = RETRY_NS };
	char local[ENDPOINT_LEN], remote[ENDPOINT_LEN];
	int fd = nl_open(NETLINK_GENERIC);
	int family_id = toe_family_id(fd);
	uint64_t deadline = now_ns() + (uint64_t)(retry_s * 1e9);
	struct nl_err ne;
	int tries = 0;

	endpoint_str(local, t->family, t->laddr, t->lport);
	endpoint_str(remote, t->family, t->raddr, t->rport);
	if (!family_id)
		die("%s %s %s: " NOT_LOADED, name, local, remote);
	for (;;) {
		tries++;
		if (!toe_move(fd, family_id, cmd, t, &ne) ||
		    (ne.err != EBUSY && ne.err != EAGAIN) ||
		    now_ns() >= deadline)
			break;
		if (nanosleep(&pause, NULL) && errno != EINTR)
			die("nanosleep: %s", strerror(errno));
	}
	close(fd);
	if (ne.err)
		die("%s %s %s: %s%s%s", name, local, remote,
		    strerror(ne.err), ne.msg[0] ? ": " : "", ne.msg);
	if (verbose)
		printf("%s %s %s: done after %d %s%s%s\n", name, local, remote,
		       tries, tries == 1 ? "try" : "tries",
		       ne.msg[0] ? ": " : "", ne.msg);
}

static void stats_cb(const struct nlmsghdr *nlh, void *arg)
{
	static const struct {
		int attr;
		const char *name;
	} counters[] = {
		{ TOE_NL_A_STAT_OFFLOADS, "offloads" },
		{ TOE_NL_A_STAT_UPLOADS, "uploads" },
		{ TOE_NL_A_STAT_UPLOAD_REQS, "upload_reqs" },
		{ TOE_NL_A_STAT_CONNS, "conns" },
		{ TOE_NL_A_STAT_TX_BYTES, "tx_bytes" },
		{ TOE_NL_A_STAT_RX_BYTES, "rx_bytes" },
	};
	const struct nlattr *refused[TOE_NUM_REFUSALS];
	const struct nlattr *tb[TOE_NL_A_MAX + 1];
	struct stats_ctx *ctx = arg;
	const struct nlattr *nest;
	size_t i;

	if (!genl_index(nlh, ctx->family_id, tb, TOE_NL_A_MAX))
		return;
	if (ctx->nics++)
		putchar('\n');
	if (tb[TOE_NL_A_IFNAME])
		printf("%.*s\n",
		       (int)strnlen(nla_payload(tb[TOE_NL_A_IFNAME]),
				    nla_payload_len(tb[TOE_NL_A_IFNAME])),
		       (const char *)nla_payload(tb[TOE_NL_A_IFNAME]));
	else
		printf("ifindex %llu\n",
		       (unsigned long long)nla_uint(tb[TOE_NL_A_IFINDEX]));
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		printf("  %s %llu\n", counters[i].name,
		       (unsigned long long)nla_uint(tb[counters[i].attr]));
	nest = tb[TOE_NL_A_STAT_REFUSALS];
	if (!nest)
		return;
	nla_index(refused, TOE_NUM_REFUSALS - 1, nla_payload(nest),
		  nla_payload_len(nest));
	for (i = TOE_REFUSE_NONE + 1; i < TOE_NUM_REFUSALS; i++)
		if (nla_uint(refused[i]))
			printf("  refused_%s %llu\n", refusal_names[i],
			       (unsigned long long)nla_uint(refused[i]));
}

/* toectl stats */
static void cmd_stats(void)
{
	int fd = nl_open(NETLINK_GENERIC);
	struct stats_ctx ctx = { .family_id = toe_family_id(fd) };
	struct genl_req r;
	struct nl_err ne;

	if (!ctx.family_id)
		die("stats: " NOT_LOADED);
	genl_req_init(&r, ctx.family_id, NLM_F_DUMP, TOE_NL_CMD_STATS_GET,
		      TOE_GENL_VERSION);
	if (nl_talk(fd, &r.nlh, stats_cb, &ctx, &ne))
		die_nl(&ne, "stats");
	if (!ctx.nics)
		fprintf(stderr, "toectl: no TOE NIC\n");
	close(fd);
}

static void policy_cb(const struct nlmsghdr *nlh, void *arg)
{
	static const char *const modes[] = { "off", "explicit", "auto" };
	const struct nlattr *count[TOE_NUM_POLICY];
	const struct nlattr *tb[TOE_NL_A_MAX + 1];
	struct stats_ctx *ctx = arg;
	uint64_t mode;
	size_t i;

	if (!genl_index(nlh, ctx->family_id, tb, TOE_NL_A_MAX) ||
	    !tb[TOE_NL_A_POLICY])
		return;
	ctx->nics++;
	mode = nla_uint(tb[TOE_NL_A_MODE]);
	printf("mode %s\n", mode < ARRAY_SIZE(modes) ? modes[mode] : "?");
	nla_index(count, TOE_NUM_POLICY - 1, nla_payload(tb[TOE_NL_A_POLICY]),
		  nla_payload_len(tb[TOE_NL_A_POLICY]));
	for (i = TOE_POL_NONE + 1; i < TOE_NUM_POLICY; i++)
		printf("  %s %llu\n", policy_names[i],
		       (unsigned long long)nla_uint(count[i]));
}

/* toectl policy */
static void cmd_policy(void)
{
	int fd = nl_open(NETLINK_GENERIC);
	struct stats_ctx ctx = { .family_id = toe_family_id(fd) };
	struct genl_req r;
	struct nl_err ne;

	if (!ctx.family_id)
		die("policy: " NOT_LOADED);
	genl_req_init(&r, ctx.family_id, NLM_F_ACK, TOE_NL_CMD_POLICY_GET,
		      TOE_GENL_VERSION);
	if (nl_talk(fd, &r.nlh, policy_cb, &ctx, &ne))
		die_nl(&ne, "policy");
	if (!ctx.nics)
		die("policy: no answer from the kernel");
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "retry", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool retry_given = false;
	uint16_t port = 0;
	double retry_s = 0;
	const char *cmd;
	int family = 0;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "46vh", opts, NULL)) != -1) {
		switch (opt) {
		case '4':
		case '6':
			if (family)
				usage_error("-4 and -6: one or neither");
			family = opt == '4' ? AF_INET : AF_INET6;
			break;
		case 'p':
			if (!parse_port(optarg, &port))
				usage_error("--port wants a port, 1 to 65535");
			break;
		case 'r':
			errno = 0;
			retry_s = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !isfinite(retry_s) || retry_s < 0 || retry_s > 1e6)
				usage_error("--retry: seconds, 0 to 1000000");
			retry_given = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind == argc)
		usage_error("no command");
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "list")) {
		if (argc || port || retry_given)
			usage_error("list takes only -4 or -6");
		cmd_list(family);
	} else if (!strcmp(cmd, "stats")) {
		if (argc || port || retry_given || family)
			usage_error("stats takes no arguments");
		cmd_stats();
	} else if (!strcmp(cmd, "policy")) {
		if (argc || port || retry_given || family)
			usage_error("policy takes no arguments");
		cmd_policy();
	} else if (!strcmp(cmd, "offload") || !strcmp(cmd, "upload")) {
		struct tuple t;

		if (family)
			usage_error("%s takes no -4 or -6", cmd);
		if (port && argc)
			usage_error("%s: LOCAL REMOTE or --port, not both",
				    cmd);
		if (port)
			t = conn_by_port(cmd, port);
		else if (argc == 2)
			t = parse_tuple(argv[0], argv[1]);
		else
			usage_error("%s wants LOCAL REMOTE or --port N", cmd);
		cmd_move(cmd, !strcmp(cmd, "offload") ? TOE_NL_CMD_OFFLOAD :
							TOE_NL_CMD_UPLOAD,
			 &t, retry_s);
	} else {
		usage_error("unknown command '%s'", cmd);
	}
	if (fflush(stdout) || ferror(stdout))
		die("writing output: %s", strerror(errno));
	return 0;
}
