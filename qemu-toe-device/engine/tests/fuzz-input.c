// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-input.c - libFuzzer target for the TCP engine.
 *
 *   make -C qemu-toe-device/engine fuzz O=DIR
 *   DIR-fuzz/fuzz-input -max_len=4096 CORPUS_DIR
 *
 * An input is a script. Three header bytes configure an engine (capacity
 * 4, a memory budget of 64 KiB or 8 KiB so that reassembly runs out of it,
 * 1 to 256 segments per connection per call (tx_burst; the clock moving
 * resumes the rest, as the device's next turn does), what the host's
 * event handler does) and say how many connections to
 * adopt, one to four, from states derived from the next bytes: mostly
 * valid ones (IPv4 or IPv6, any adoptable TCP state, each option on or
 * off, sequence numbers anywhere in the space), some with a corrupted
 * field, some raw. The rest is a list of operations, each chosen by one
 * byte (low 5 bits: what, top 3: which connection) and taking its
 * arguments from the bytes after it: a segment from the peer built
 * relative to what the connection sent and received, so that most are
 * acceptable, with right checksums; a raw or mangled frame; the clock
 * moving with the timers run; the host queueing data, freeing receive
 * space, taking less than offered, shutting down, setting socket options,
 * asking for an upload, uploading (then adopting the returned state
 * again, as the host would), aborting, or adopting another connection.
 * Missing bytes read as zero; at most FZ_MAX_OPS operations run.
 *
 * The ops callbacks play the host and check what must hold whatever the
 * input (ARCHITECTURE.md invariants 2, 3 and 5). A breach prints why and
 * aborts, which libFuzzer reports as a crash:
 *  - every packet sent parses, has right IP and TCP checksums and the
 *    4-tuple of a connection the engine holds; it acknowledges exactly
 *    what was delivered; its right window edge never moves left; its
 *    payload is the host's data at those sequence numbers, within what
 *    was queued, the MSS and the windows the peer offered; its TSval
 *    runs on the host's clock at 1 kHz; it carries no RST unless the
 *    host aborted or a keepalive timed out;
 *  - acked() never moves back nor past the data queued; read_send() is
 *    only asked for queued, unacknowledged data; deliver() gets data in
 *    order, no more than the receive space granted, equal to what the
 *    peer sent there, and nothing after the peer's FIN;
 *  - events come for held connections only, with legal state changes;
 *  - the state an upload returns matches what the callbacks reported and
 *    keeps the window promised; adopt takes it back;
 *  - the API's return codes are the documented ones; the memory used
 *    stays within the budget and is all returned when no connection is
 *    left.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt-util.h"
#include "toe-engine.h"

#define FZ_SLOTS	5	/* one more than the capacity: -ENOSPC */
#define FZ_CAPACITY	4
#define FZ_BUDGET	(64 * 1024)
#define FZ_MAX_OPS	256
#define FZ_T0		1000000000ull	/* the clock at the start: 1000 s */
#define FZ_MAX_PAY	9000		/* payload of a segment we build */
#define FZ_PKT_MAX	(60 + 60 + FZ_MAX_PAY + 64)
#define FZ_HELD_MAX	8		/* held packets kept to feed again */
#define FZ_MAX_WINDOW	(1u << 30)	/* the engine's largest window */
#define FZ_TIMER_GUARD	20000		/* timer runs in one clock step */
#define FZ_DAY_US	(24ull * 3600 * 1000000)

#define TF_FIN	0x01
#define TF_SYN	0x02
#define TF_RST	0x04
#define TF_PSH	0x08
#define TF_ACK	0x10
#define TF_URG	0x20

/* The kernel's attribute macros, for a host build without its headers. */
#define fz_attr(x)	__attribute__(x)
#define __printf(a, b)	fz_attr((format(printf, a, b)))
#define __noreturn	fz_attr((noreturn))

enum fz_life {
	FZ_FREE,	/* never adopted */
	FZ_LIVE,	/* the engine holds it (or adopt is running) */
	FZ_UPLOADED,	/* given back; fz_conn.up holds its state */
	FZ_DEAD,	/* closed, refused or aborted */
};

/* One connection, as the host and the peer see it. */
struct fz_conn {
	enum fz_life life;
	int id;
	uint64_t handle;
	uint8_t family;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;		/* network order */
	uint8_t snd_wscale, rcv_wscale;
	bool ts_ok, sack_ok;
	uint32_t mss;
	uint8_t state;			/* from adopt and STATE events */

	/* Host, send side. */
	bool fin_queued;		/* shut down, or FIN_SENT at adopt */
	uint32_t snd_end;		/* end of the data queued */
	uint32_t acked;			/* last acked() */
	uint32_t sent_max;		/* highest sequence sent, + 1 */
	uint32_t wnd_edge;		/* highest right edge the peer offered */

	/* Host, receive side. */
	bool fin_rcvd;			/* PEER_FIN reported (or at adopt) */
	bool state_due;			/* PEER_FIN moved state: STATE next */
	uint32_t rcv_nxt;		/* next byte deliver() must give */
	uint32_t space;			/* receive space granted, not used */
	size_t take;			/* deliver() takes at most this */
	uint32_t max_edge;		/* right edge advertised so far */
	uint32_t adv_bound;		/* ... or promised in a state */

	uint32_t last_tsval;		/* TSval last sent, or ts_now */
	uint64_t ts_at;			/* ... at this time */
	bool rst_seen;
	uint16_t last_upreq;		/* reason of the last UPLOAD_REQ */

	/* The peer. */
	uint32_t peer_nxt;		/* after the last byte it sent */
	uint32_t peer_ts;		/* its timestamp clock */
	uint16_t peer_wnd;		/* its window field */
	bool tainted;			/* it sent bytes not in its pattern */

	struct toe_conn_state up;	/* as the last upload returned it */
	bool up_pending;		/* uploaded in a callback: adopt again */
};

/* An emitted packet, taken apart; pointers into the engine's buffer. */
struct fz_pkt {
	uint8_t family;
	const uint8_t *saddr, *daddr, *sport, *dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *data;
	uint32_t len;
	bool has_ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
};

/* A segment the peer sends. */
struct fz_seg {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd, urg;
	uint32_t len;			/* payload: the peer's pattern */
	bool has_ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	uint8_t opt[16];		/* extra raw options */
	uint8_t optlen;
	uint8_t ipopt_len;		/* IPv4 options (NOPs), bytes */
};

static struct fz {
	const uint8_t *in;
	size_t in_len;
	int op;

	struct toe_engine *eng;
	uint64_t now;
	uint64_t next_handle;
	struct fz_conn c[FZ_SLOTS];

	/* What the host's event handler does besides recording. */
	int cb_mode;
	uint32_t cb_trigger, nevents;
	bool read_err;			/* read_send() sometimes fails */

	/* Where the host is: some callbacks are legal only there. */
	bool in_adopt;
	int in_upload;			/* slot being uploaded, or -1 */
	int rst_ok;			/* an RST may go out now */
	bool mangling;			/* feeding bytes not from the peer */

	uint8_t held[FZ_HELD_MAX][FZ_PKT_MAX];
	size_t held_len[FZ_HELD_MAX];
	int nheld;
	uint8_t buf[FZ_PKT_MAX];
} fz;

enum {
	CB_NONE,
	CB_UPLOAD_ON_REQ,	/* upload when the engine asks to */
	CB_ABORT_ON_REQ,
	CB_UPLOAD_ON_NTH,	/* upload from the cb_trigger'th event */
	CB_ABORT_ON_NTH,
};

static __printf(1, 2) __noreturn void fz_bug(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz-input: op %d, t=%llu: ", fz.op,
		(unsigned long long)(fz.now - FZ_T0));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FZ_CHECK(cond, ...)			\
	do {					\
		if (!(cond))			\
			fz_bug(__VA_ARGS__);	\
	} while (0)

/* ---- bytes, sequences, checksums ---------------------------------- */

static uint8_t in8(void)
{
	if (!fz.in_len)
		return 0;
	fz.in_len--;
	return *fz.in++;
}

static uint16_t in16(void)
{
	uint16_t v = in8();

	return (uint16_t)(v << 8 | in8());
}

static uint32_t in32(void)
{
	uint32_t v = in16();

	return v << 16 | in16();
}

static bool sq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool sq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static uint32_t sq_max(uint32_t a, uint32_t b)
{
	return sq_lt(a, b) ? b : a;
}

static uint32_t sq_min(uint32_t a, uint32_t b)
{
	return sq_lt(a, b) ? a : b;
}

/*
 * The two byte streams, functions of the sequence number, so that any
 * byte the engine sends or delivers can be checked where it stands.
 */
static uint8_t peer_byte(uint32_t seq)
{
	uint32_t x = seq * 0x9e3779b1u;

	return (uint8_t)(x >> 24 ^ x >> 11);
}

static uint8_t host_byte(uint32_t seq)
{
	uint32_t x = (seq ^ 0x5a5a5a5au) * 0x85ebca6bu;

	return (uint8_t)(x >> 24 ^ x >> 13);
}

/* ---- connections -------------------------------------------------- */

static size_t alen_of(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static int slot_of(const struct fz_conn *c)
{
	return (int)(c - fz.c);
}

static struct fz_conn *conn_by_handle(uint64_t handle)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.c[i].life == FZ_LIVE && fz.c[i].handle == handle)
			return &fz.c[i];
	return NULL;
}

/* Does @p belong to @c, sent by us (or by the peer, @from_peer)? */
static bool tuple_is(const struct fz_conn *c, const struct fz_pkt *p,
		     bool from_peer)
{
	size_t alen = alen_of(c->family);
	const uint8_t *la = from_peer ? p->daddr : p->saddr;
	const uint8_t *ra = from_peer ? p->saddr : p->daddr;
	const uint8_t *lp = from_peer ? p->dport : p->sport;
	const uint8_t *rp = from_peer ? p->sport : p->dport;

	return p->family == c->family && !memcmp(la, c->laddr, alen) &&
	       !memcmp(ra, c->raddr, alen) && !memcmp(lp, &c->lport, 2) &&
	       !memcmp(rp, &c->rport, 2);
}

static bool same_tuple(const struct fz_conn *c,
		       const struct toe_conn_state *st)
{
	size_t alen = alen_of(c->family);

	return c->family == st->family &&
	       !memcmp(c->laddr, st->local_addr, alen) &&
	       !memcmp(c->raddr, st->remote_addr, alen) &&
	       c->lport == st->local_port && c->rport == st->remote_port;
}

static bool id_live(int id)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.c[i].life == FZ_LIVE && fz.c[i].id == id)
			return true;
	return false;
}

static int nlive(void)
{
	int i, n = 0;

	for (i = 0; i < FZ_SLOTS; i++)
		n += fz.c[i].life == FZ_LIVE;
	return n;
}

/*
 * The id to pass for @c: its own if the engine holds it, else one that
 * no held connection has, for which every call must say -ENOENT.
 */
static int api_id(const struct fz_conn *c)
{
	if (c->life == FZ_LIVE)
		return c->id;
	if (c->life != FZ_FREE && !id_live(c->id))
		return c->id;
	return fz.op & 1 ? -1 : FZ_CAPACITY;
}

/* ---- parsing what the engine sends -------------------------------- */

static const char *parse_opts(const uint8_t *o, size_t len, struct fz_pkt *p)
{
	size_t i = 0;
	uint8_t kind, olen;
	int k;

	while (i < len) {
		kind = o[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return "option runs past the header";
		olen = o[i + 1];
		if (olen < 2 || i + olen > len)
			return "option length wrong";
		if (kind == 8) {
			if (olen != 10 || p->has_ts)
				return "bad timestamp option";
			p->has_ts = true;
			p->tsval = rd32(o + i + 2);
			p->tsecr = rd32(o + i + 6);
		} else if (kind == 5) {
			if ((olen - 2) % 8 || olen == 2 || olen > 34 ||
			    p->nsack)
				return "bad SACK option";
			p->nsack = (olen - 2) / 8;
			for (k = 0; k < p->nsack; k++) {
				p->sack[k][0] = rd32(o + i + 2 + 8 * k);
				p->sack[k][1] = rd32(o + i + 6 + 8 * k);
			}
		} else {
			return "option the engine has no business sending";
		}
		i += olen;
	}
	return NULL;
}

/* Take an IP packet apart; NULL, or what is wrong with it. */
static const char *parse_pkt(const uint8_t *pkt, size_t len, struct fz_pkt *p)
{
	const uint8_t *tcp;
	size_t tcp_len, hlen;

	memset(p, 0, sizeof(*p));
	if (len < 20)
		return "shorter than an IP header";
	if (pkt[0] == 0x45) {
		if (rd16(pkt + 2) != len)
			return "IPv4 total length is not the packet's";
		if (fold(sum16(0, pkt, 20)))
			return "IPv4 header checksum";
		if (pkt[9] != 6 || (rd16(pkt + 6) & 0x3fff))
			return "IPv4 not TCP, or a fragment";
		p->family = 4;
		p->saddr = pkt + 12;
		p->daddr = pkt + 16;
		tcp = pkt + 20;
		tcp_len = len - 20;
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40 || rd16(pkt + 4) != len - 40)
			return "IPv6 payload length is not the packet's";
		if (pkt[6] != 6)
			return "IPv6 next header not TCP";
		p->family = 6;
		p->saddr = pkt + 8;
		p->daddr = pkt + 24;
		tcp = pkt + 40;
		tcp_len = len - 40;
	} else {
		return "neither IPv4 without options nor IPv6";
	}
	if (tcp_len < 20)
		return "shorter than a TCP header";
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < 20 || hlen > tcp_len)
		return "TCP data offset";
	if (tcp_csum(p->family, p->saddr, p->daddr, tcp, tcp_len))
		return "TCP checksum";
	p->sport = tcp;
	p->dport = tcp + 2;
	p->seq = rd32(tcp + 4);
	p->ack = rd32(tcp + 8);
	p->flags = tcp[13];
	p->wnd = rd16(tcp + 14);
	p->data = tcp + hlen;
	p->len = (uint32_t)(tcp_len - hlen);
	return parse_opts(tcp + 20, hlen - 20, p);
}

/* ---- the host: the engine's ops ----------------------------------- */

/*
 * TSval is the host's clock carried on at 1 kHz of ours (invariant 3):
 * from one value to the next it moves by the milliseconds elapsed, give
 * or take the rounding. Modulo 2^32, so that days-long jumps work.
 */
static void check_ts(struct fz_conn *c, uint32_t tsval)
{
	uint32_t el = (uint32_t)((fz.now - c->ts_at) / 1000);
	uint32_t d = tsval - c->last_tsval;

	FZ_CHECK(d - el + 1 <= 2,
		 "conn %d: TSval %u, %u ms after %u", slot_of(c), tsval, el,
		 c->last_tsval);
	c->last_tsval = tsval;
	c->ts_at = fz.now;
}

static void check_sent(struct fz_conn *c, const struct fz_pkt *p)
{
	uint32_t want_ack = c->rcv_nxt + c->fin_rcvd, edge, end, i;
	uint32_t new_end = p->seq + p->len;
	bool fin = p->flags & TF_FIN, rst = p->flags & TF_RST;
	int k;

	FZ_CHECK(!(p->flags & (TF_SYN | TF_URG)) && (p->flags & TF_ACK),
		 "conn %d: sent flags %#x", slot_of(c), p->flags);
	FZ_CHECK(p->ack == want_ack,
		 "conn %d: ACK %#x but delivered up to %#x (fin %d)",
		 slot_of(c), p->ack, want_ack, c->fin_rcvd);
	FZ_CHECK(p->has_ts == c->ts_ok, "conn %d: timestamp option %d",
		 slot_of(c), p->has_ts);
	if (p->has_ts)
		check_ts(c, p->tsval);
	FZ_CHECK(!p->nsack || c->sack_ok, "conn %d: SACK not negotiated",
		 slot_of(c));
	FZ_CHECK(p->nsack <= (c->ts_ok ? 3 : 4), "conn %d: %d SACK blocks",
		 slot_of(c), p->nsack);

	if (rst) {
		FZ_CHECK(fz.rst_ok, "conn %d: RST sent", slot_of(c));
		FZ_CHECK(p->seq == c->sent_max && !p->len && !fin,
			 "conn %d: RST at %#x, snd_nxt %#x", slot_of(c),
			 p->seq, c->sent_max);
		c->rst_seen = true;
		return;
	}

	/* The right edge never moves left (invariant 3). */
	edge = p->ack + ((uint32_t)p->wnd << c->rcv_wscale);
	FZ_CHECK(sq_le(c->max_edge, edge),
		 "conn %d: right edge %#x moved left of %#x", slot_of(c),
		 edge, c->max_edge);
	c->max_edge = edge;
	c->adv_bound = sq_max(c->adv_bound, edge);
	for (k = 0; k < p->nsack; k++)
		FZ_CHECK(sq_lt(p->ack, p->sack[k][0]) &&
			 sq_lt(p->sack[k][0], p->sack[k][1]) &&
			 sq_le(p->sack[k][1], c->adv_bound),
			 "conn %d: SACK block [%#x, %#x) with ack %#x, edge %#x",
			 slot_of(c), p->sack[k][0], p->sack[k][1], p->ack,
			 c->adv_bound);

	if (p->len) {
		FZ_CHECK(p->len <= c->mss, "conn %d: %u bytes, mss %u",
			 slot_of(c), p->len, c->mss);
		FZ_CHECK(sq_le(c->acked, p->seq) && sq_le(new_end, c->snd_end),
			 "conn %d: sent [%#x, %#x) outside [%#x, %#x)",
			 slot_of(c), p->seq, new_end, c->acked, c->snd_end);
		for (i = 0; i < p->len; i++)
			FZ_CHECK(p->data[i] == host_byte(p->seq + i),
				 "conn %d: sent byte at %#x is not the host's",
				 slot_of(c), p->seq + i);
		/* New data only within a window the peer offered. */
		FZ_CHECK(!sq_lt(c->sent_max, new_end) || c->tainted ||
			 fz.mangling || sq_le(new_end, c->wnd_edge),
			 "conn %d: sent up to %#x beyond the peer's window %#x",
			 slot_of(c), new_end, c->wnd_edge);
	}
	if (fin)
		FZ_CHECK(c->fin_queued && new_end == c->snd_end,
			 "conn %d: FIN at %#x, data ends at %#x (shut %d)",
			 slot_of(c), new_end, c->snd_end, c->fin_queued);
	end = new_end + fin;
	if (sq_lt(c->sent_max, end))
		c->sent_max = end;
}

static void op_xmit(void *opaque, const uint8_t *pkt, size_t len)
{
	struct fz_pkt p;
	const char *why = parse_pkt(pkt, len, &p);
	int i;

	FZ_CHECK(!why, "sent a malformed packet (%zu bytes): %s", len, why);
	for (i = 0; i < FZ_SLOTS; i++) {
		if (fz.c[i].life == FZ_LIVE && tuple_is(&fz.c[i], &p, false)) {
			check_sent(&fz.c[i], &p);
			return;
		}
	}
	fz_bug("sent a packet for a 4-tuple it does not hold");
}

static int op_read_send(void *opaque, uint64_t handle, uint32_t seq,
			void *buf, size_t len)
{
	struct fz_conn *c = conn_by_handle(handle);
	uint8_t *b = buf;
	size_t i;

	FZ_CHECK(c, "read_send for handle %#llx not held",
		 (unsigned long long)handle);
	FZ_CHECK(len <= FZ_MAX_WINDOW && sq_le(c->acked, seq) &&
		 sq_le(seq + (uint32_t)len, c->snd_end),
		 "conn %d: read_send [%#x, +%zu) outside [%#x, %#x)",
		 slot_of(c), seq, len, c->acked, c->snd_end);
	if (fz.read_err && ((seq ^ (uint32_t)len) & 7) == 0)
		return -EIO;
	for (i = 0; i < len; i++)
		b[i] = host_byte(seq + (uint32_t)i);
	return 0;
}

static size_t op_deliver(void *opaque, uint64_t handle, uint32_t seq,
			 const void *data, size_t len)
{
	struct fz_conn *c = conn_by_handle(handle);
	const uint8_t *d = data;
	size_t n, i;

	FZ_CHECK(c, "deliver for handle %#llx not held",
		 (unsigned long long)handle);
	FZ_CHECK(!c->fin_rcvd, "conn %d: deliver after the peer's FIN",
		 slot_of(c));
	FZ_CHECK(seq == c->rcv_nxt, "conn %d: deliver at %#x, expected %#x",
		 slot_of(c), seq, c->rcv_nxt);
	FZ_CHECK(len <= c->space, "conn %d: deliver %zu, space %u",
		 slot_of(c), len, c->space);
	if (!c->tainted && !fz.mangling)
		for (i = 0; i < len; i++)
			FZ_CHECK(d[i] == peer_byte(seq + (uint32_t)i),
				 "conn %d: delivered byte at %#x is not the peer's",
				 slot_of(c), seq + (uint32_t)i);
	n = len < c->take ? len : c->take;
	if (c->take != SIZE_MAX)
		c->take -= n;
	c->rcv_nxt += (uint32_t)n;
	c->space -= (uint32_t)n;
	return n;
}

static void op_acked(void *opaque, uint64_t handle, uint32_t snd_una)
{
	struct fz_conn *c = conn_by_handle(handle);

	FZ_CHECK(c, "acked for handle %#llx not held",
		 (unsigned long long)handle);
	FZ_CHECK(sq_le(c->acked, snd_una) && sq_le(snd_una, c->snd_end),
		 "conn %d: acked(%#x) outside [%#x, %#x]", slot_of(c),
		 snd_una, c->acked, c->snd_end);
	c->acked = snd_una;
}

static bool transition_ok(uint8_t from, uint8_t to)
{
	switch (from) {
	case TOE_TCP_ESTABLISHED:
		return to == TOE_TCP_FIN_WAIT1 || to == TOE_TCP_CLOSE_WAIT;
	case TOE_TCP_FIN_WAIT1:
		return to == TOE_TCP_FIN_WAIT2 || to == TOE_TCP_CLOSING;
	case TOE_TCP_FIN_WAIT2:
	case TOE_TCP_CLOSING:
		return to == TOE_TCP_TIME_WAIT;
	case TOE_TCP_CLOSE_WAIT:
		return to == TOE_TCP_LAST_ACK;
	default:
		return false;
	}
}

static void fz_upload(struct fz_conn *c);
static void fz_abort(struct fz_conn *c);

/* The host's event handler may upload or abort (toe-engine.h). */
static void event_action(struct fz_conn *c, const struct toe_engine_event *ev)
{
	bool act;

	if (fz.in_adopt || fz.in_upload >= 0 || c->life != FZ_LIVE ||
	    ev->type == TOE_ENG_EV_CLOSED)
		return;
	switch (fz.cb_mode) {
	case CB_UPLOAD_ON_REQ:
	case CB_ABORT_ON_REQ:
		act = ev->type == TOE_ENG_EV_UPLOAD_REQ;
		break;
	case CB_UPLOAD_ON_NTH:
	case CB_ABORT_ON_NTH:
		act = fz.nevents == fz.cb_trigger;
		break;
	default:
		return;
	}
	if (!act)
		return;
	FZ_CHECK(toe_engine_find_handle(fz.eng, c->handle) == c->id,
		 "conn %d: find_handle does not give id %d", slot_of(c),
		 c->id);
	if (fz.cb_mode == CB_UPLOAD_ON_REQ || fz.cb_mode == CB_UPLOAD_ON_NTH) {
		fz_upload(c);
		c->up_pending = true;
	} else {
		fz_abort(c);
	}
}

static void op_event(void *opaque, uint64_t handle,
		     const struct toe_engine_event *ev)
{
	struct fz_conn *c = conn_by_handle(handle);
	bool closing = ev->type == TOE_ENG_EV_CLOSED ||
		       ev->type == TOE_ENG_EV_ERROR;

	FZ_CHECK(c, "event %d for handle %#llx not held", ev->type,
		 (unsigned long long)handle);
	fz.nevents++;
	/*
	 * PEER_FIN comes with the state the FIN leads to, reported in a
	 * STATE event right after it.
	 */
	if (ev->type != TOE_ENG_EV_STATE && !c->state_due)
		FZ_CHECK(ev->state == c->state ||
			 (closing && ev->state == TOE_TCP_CLOSE) ||
			 (ev->type == TOE_ENG_EV_PEER_FIN &&
			  transition_ok(c->state, ev->state)),
			 "conn %d: event %d in state %u, expected %u",
			 slot_of(c), ev->type, ev->state, c->state);
	switch (ev->type) {
	case TOE_ENG_EV_STATE:
		if (c->state_due && ev->state == c->state) {
			c->state_due = false;
			break;
		}
		FZ_CHECK(transition_ok(c->state, ev->state),
			 "conn %d: state %u -> %u", slot_of(c), c->state,
			 ev->state);
		c->state = ev->state;
		break;
	case TOE_ENG_EV_PEER_FIN:
		FZ_CHECK(!c->fin_rcvd, "conn %d: second PEER_FIN", slot_of(c));
		c->fin_rcvd = true;
		if (ev->state != c->state) {
			c->state = ev->state;
			c->state_due = true;
		}
		break;
	case TOE_ENG_EV_PEER_RST:
		break;
	case TOE_ENG_EV_ERROR:
		FZ_CHECK(ev->error < 0, "conn %d: error %d", slot_of(c),
			 ev->error);
		/* Fatal: CLOSED follows, and an upload now finds CLOSE. */
		if (ev->state == TOE_TCP_CLOSE)
			c->state = TOE_TCP_CLOSE;
		break;
	case TOE_ENG_EV_UPLOAD_REQ:
		FZ_CHECK(ev->reason > TOE_UPLOAD_NONE &&
			 ev->reason <= TOE_UPLOAD_REQUESTED,
			 "conn %d: upload reason %u", slot_of(c), ev->reason);
		c->last_upreq = ev->reason;
		break;
	case TOE_ENG_EV_CLOSED:
		c->life = FZ_DEAD;
		break;
	default:
		fz_bug("conn %d: event type %d", slot_of(c), ev->type);
	}
	event_action(c, ev);
}

static void op_held_pkt(void *opaque, uint64_t handle, const uint8_t *pkt,
			size_t len)
{
	struct fz_conn *c = conn_by_handle(handle);
	struct fz_pkt p;
	const char *why = parse_pkt(pkt, len, &p);
	uint32_t i;

	FZ_CHECK(c && fz.in_upload == slot_of(c),
		 "held_pkt for handle %#llx outside its upload",
		 (unsigned long long)handle);
	FZ_CHECK(!why, "conn %d: malformed held packet: %s", slot_of(c), why);
	FZ_CHECK(tuple_is(c, &p, true), "conn %d: held packet's 4-tuple",
		 slot_of(c));
	FZ_CHECK(sq_le(c->rcv_nxt, p.seq) &&
		 sq_le(p.seq + p.len, c->adv_bound),
		 "conn %d: held [%#x, +%u) outside [%#x, %#x)", slot_of(c),
		 p.seq, p.len, c->rcv_nxt, c->adv_bound);
	/* A mangled frame being fed may be what is held (and uploaded). */
	if (!c->tainted && !fz.mangling)
		for (i = 0; i < p.len; i++)
			FZ_CHECK(p.data[i] == peer_byte(p.seq + i),
				 "conn %d: held byte at %#x is not the peer's",
				 slot_of(c), p.seq + i);
	if (fz.nheld < FZ_HELD_MAX && len <= FZ_PKT_MAX) {
		memcpy(fz.held[fz.nheld], pkt, len);
		fz.held_len[fz.nheld++] = len;
	}
}

/* ---- adopt, upload, abort ----------------------------------------- */

static bool state_adoptable(uint8_t st)
{
	return st == TOE_TCP_ESTABLISHED || st == TOE_TCP_FIN_WAIT1 ||
	       st == TOE_TCP_FIN_WAIT2 || st == TOE_TCP_CLOSING ||
	       st == TOE_TCP_CLOSE_WAIT || st == TOE_TCP_LAST_ACK;
}

/* What adopting a valid @st must return now: 0 (an id), or an errno. */
static int adopt_expect(const struct toe_conn_state *st)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.c[i].life == FZ_LIVE && same_tuple(&fz.c[i], st))
			return -EEXIST;
	return nlive() >= FZ_CAPACITY ? -ENOSPC : 0;
}

/*
 * Set @c up from @st before adopt (which may send at once). @old is the
 * same connection before an upload, whose peer and promises carry on.
 */
static void conn_from_state(struct fz_conn *c,
			    const struct toe_conn_state *st, uint32_t space,
			    const struct fz_conn *old)
{
	uint32_t flags = le32toh(st->flags), ws = st->rcv_wscale & 31;
	uint32_t una = le32toh(st->snd_una), rnxt = le32toh(st->rcv_nxt);
	uint32_t wup = le32toh(st->rcv_wup), rwnd = le32toh(st->rcv_wnd);
	uint32_t seen;

	memset(c, 0, sizeof(*c));
	c->life = FZ_LIVE;
	c->id = -1;
	c->handle = fz.next_handle++;
	c->family = st->family;
	memcpy(c->laddr, st->local_addr, 16);
	memcpy(c->raddr, st->remote_addr, 16);
	c->lport = st->local_port;
	c->rport = st->remote_port;
	c->snd_wscale = st->snd_wscale;
	c->rcv_wscale = st->rcv_wscale;
	c->ts_ok = flags & TOE_CS_TSTAMP_OK;
	c->sack_ok = flags & TOE_CS_SACK_OK;
	c->mss = le16toh(st->mss);
	c->state = st->state;

	c->fin_queued = flags & TOE_CS_FIN_SENT;
	c->snd_end = le32toh(st->write_seq) - c->fin_queued;
	c->acked = sq_min(una, c->snd_end);
	c->sent_max = le32toh(st->snd_nxt);
	c->wnd_edge = sq_max(una + le32toh(st->snd_wnd), c->sent_max);

	c->fin_rcvd = flags & TOE_CS_FIN_RCVD;
	c->rcv_nxt = rnxt - c->fin_rcvd;
	c->space = space < FZ_MAX_WINDOW ? space : FZ_MAX_WINDOW;
	c->take = SIZE_MAX;
	/*
	 * The edge the peer saw: a window field can say no more than
	 * 0xffff << wscale, rounded down to the scale.
	 */
	seen = rwnd >> (ws < 31 ? ws : 31);
	if (seen > 0xffff)
		seen = 0xffff;
	c->max_edge = sq_max(wup + (seen << (ws < 31 ? ws : 31)), rnxt);
	c->adv_bound = sq_max(sq_max(wup + rwnd, rnxt), c->max_edge);
	c->last_tsval = le32toh(st->ts_now);
	c->ts_at = fz.now;

	c->peer_nxt = rnxt;
	c->peer_ts = le32toh(st->ts_recent) + 1;
	c->peer_wnd = (uint16_t)sq_min(le32toh(st->snd_wnd) >>
				       (c->snd_wscale & 31), 0xffff);
	if (!old)
		return;
	c->take = old->take;
	c->max_edge = sq_max(c->max_edge, old->max_edge);
	c->adv_bound = sq_max(c->adv_bound, old->adv_bound);
	c->peer_nxt = old->peer_nxt;
	c->peer_ts = old->peer_ts;
	c->peer_wnd = old->peer_wnd;
	c->tainted = old->tainted;
	c->wnd_edge = sq_max(c->wnd_edge, old->wnd_edge);
}

/*
 * Adopt @st into @c. @old: the host takes back a connection it uploaded.
 * Return what toe_engine_adopt() did; @c is left as it was on failure.
 */
static int fz_adopt(struct fz_conn *c, const struct toe_conn_state *st,
		    uint32_t space, bool again)
{
	struct fz_conn old = *c;
	int ret;

	conn_from_state(c, st, space, again ? &old : NULL);
	fz.in_adopt = true;
	ret = toe_engine_adopt(fz.eng, st, c->handle, space, fz.now);
	fz.in_adopt = false;
	if (ret < 0) {
		FZ_CHECK(c->sent_max == le32toh(st->snd_nxt) &&
			 c->life == FZ_LIVE,
			 "adopt failed (%d) after acting on the connection",
			 ret);
		*c = old;
		return ret;
	}
	FZ_CHECK(ret < FZ_CAPACITY, "adopt gave id %d", ret);
	FZ_CHECK(c->life == FZ_LIVE, "conn %d: closed during adopt",
		 slot_of(c));
	c->id = -1;
	FZ_CHECK(!id_live(ret), "adopt gave id %d, already held", ret);
	c->id = ret;
	return ret;
}

/*
 * Adopt a state the host built. If @valid, adopt must take it unless
 * the 4-tuple is held or the table full; otherwise it may also refuse it
 * with -EINVAL, and nothing else.
 */
static void adopt_new(struct fz_conn *c, const struct toe_conn_state *st,
		      uint32_t space, bool valid)
{
	int want = adopt_expect(st), ret;

	ret = fz_adopt(c, st, space, false);
	if (ret >= 0)
		ret = 0;
	FZ_CHECK(ret == want || (!valid && ret == -EINVAL),
		 "adopt of a %s state: %d, expected %d", valid ? "valid" :
		 "corrupted", ret, want);
}

/* Check an uploaded state against what the callbacks said. */
static void check_upload(struct fz_conn *c, const struct toe_conn_state *st,
			 const struct toe_engine_upload *res)
{
	uint32_t flags = le32toh(st->flags);
	uint32_t una = le32toh(st->snd_una);
	uint32_t edge = le32toh(st->rcv_wup) + le32toh(st->rcv_wnd);

	FZ_CHECK(le16toh(st->version) == TOE_CONN_STATE_VERSION &&
		 le16toh(st->size) == sizeof(*st) && same_tuple(c, st),
		 "conn %d: uploaded state's header or 4-tuple", slot_of(c));
	FZ_CHECK(st->state == c->state, "conn %d: uploaded state %u, not %u",
		 slot_of(c), st->state, c->state);
	FZ_CHECK(res->snd_una == una && sq_min(una, c->snd_end) == c->acked,
		 "conn %d: uploaded snd_una %#x (res %#x), acked %#x",
		 slot_of(c), una, res->snd_una, c->acked);
	FZ_CHECK(le32toh(st->snd_nxt) == c->sent_max,
		 "conn %d: uploaded snd_nxt %#x, sent up to %#x", slot_of(c),
		 le32toh(st->snd_nxt), c->sent_max);
	FZ_CHECK(le32toh(st->write_seq) == c->snd_end + c->fin_queued &&
		 !!(flags & TOE_CS_FIN_SENT) == c->fin_queued,
		 "conn %d: uploaded write_seq %#x flags %#x, queued %#x shut %d",
		 slot_of(c), le32toh(st->write_seq), flags, c->snd_end,
		 c->fin_queued);
	FZ_CHECK(le32toh(st->rcv_nxt) == c->rcv_nxt + c->fin_rcvd &&
		 !!(flags & TOE_CS_FIN_RCVD) == c->fin_rcvd,
		 "conn %d: uploaded rcv_nxt %#x flags %#x, delivered %#x fin %d",
		 slot_of(c), le32toh(st->rcv_nxt), flags, c->rcv_nxt,
		 c->fin_rcvd);
	FZ_CHECK(!!(flags & TOE_CS_TSTAMP_OK) == c->ts_ok &&
		 !!(flags & TOE_CS_SACK_OK) == c->sack_ok &&
		 st->snd_wscale == c->snd_wscale &&
		 st->rcv_wscale == c->rcv_wscale &&
		 le16toh(st->mss) <= c->mss,	/* a PMTU error lowers it */
		 "conn %d: uploaded options changed", slot_of(c));
	/* The host must go on honouring the window advertised. */
	FZ_CHECK(sq_le(c->max_edge, edge),
		 "conn %d: uploaded window ends at %#x, advertised %#x",
		 slot_of(c), edge, c->max_edge);
	check_ts(c, le32toh(st->ts_now));
}

static void fz_upload(struct fz_conn *c)
{
	struct toe_engine_upload res;
	struct toe_conn_state st;
	int ret;

	fz.in_upload = slot_of(c);
	fz.nheld = 0;
	ret = toe_engine_upload(fz.eng, c->id, &st, &res, fz.now);
	fz.in_upload = -1;
	FZ_CHECK(ret == 0, "conn %d: upload returned %d", slot_of(c), ret);
	FZ_CHECK(c->life == FZ_LIVE, "conn %d: closed during upload",
		 slot_of(c));
	c->life = FZ_UPLOADED;
	check_upload(c, &st, &res);
	c->up = st;
	FZ_CHECK(toe_engine_find_handle(fz.eng, c->handle) == -ENOENT,
		 "conn %d: handle still found after upload", slot_of(c));
}

static void fz_abort(struct fz_conn *c)
{
	int ret;

	c->rst_seen = false;
	fz.rst_ok++;
	ret = toe_engine_abort(fz.eng, c->id, fz.now);
	fz.rst_ok--;
	FZ_CHECK(ret == 0 && c->rst_seen, "conn %d: abort %d, RST sent %d",
		 slot_of(c), ret, c->rst_seen);
	c->life = FZ_DEAD;
}

static int feed(const uint8_t *pkt, size_t len);

/*
 * The host takes back the connection it uploaded: the engine must adopt
 * its own state, unless the connection was past what adopt takes.
 */
static void readopt(struct fz_conn *c, bool refeed)
{
	struct toe_conn_state st = c->up;
	int want = 0, ret, i, n = fz.nheld;

	c->up_pending = false;
	if (!state_adoptable(st.state))
		want = -EINVAL;
	else
		want = adopt_expect(&st);
	ret = fz_adopt(c, &st, c->space, true);
	FZ_CHECK((ret >= 0 ? 0 : ret) == want,
		 "conn %d: adopt of the uploaded state (%u) gave %d, not %d",
		 slot_of(c), st.state, ret, want);
	if (ret < 0) {
		c->life = FZ_DEAD;
		return;
	}
	/* The peer's held segments, as if it sent them again. */
	for (i = 0; refeed && i < n; i++)
		feed(fz.held[i], fz.held_len[i]);
}

static void readopt_pending(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.c[i].life == FZ_UPLOADED && fz.c[i].up_pending)
			readopt(&fz.c[i], false);
}

/* ---- states from bytes -------------------------------------------- */

static const uint8_t fz_l4[4] = { 198, 18, 0, 2 };
static const uint8_t fz_r4[4] = { 198, 18, 0, 1 };
static const uint8_t fz_l6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
static const uint8_t fz_r6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };

/*
 * The engine's MSS range: 64 up to what still fits the IP length with
 * 40 bytes of options (engine.c's TOE_MAX_MSS).
 */
#define FZ_MAX_MSS	(65535 - 20 - 20 - 40)

static uint32_t pick_mss(void)
{
	static const uint16_t mss[8] = {
		1448, 1448, 1460, 536, 64, 1220, 8960, FZ_MAX_MSS
	};
	uint8_t b = in8();

	if (b >= 8)
		return mss[b & 7];
	return 64 + in16() % (FZ_MAX_MSS - 63);
}

static uint32_t pick_space(uint32_t mss)
{
	switch (in8() & 7) {
	case 0:
		return 0;
	case 1:
		return 1 + in8();
	case 2:
		return mss;
	case 3:
		return 65536;
	case 4:
		return FZ_MAX_WINDOW + in8();
	case 5:
		return in16();
	default:
		return 1u << 20;
	}
}

/*
 * A state a host could hand over, from the bytes: all fields consistent
 * (Linux's invariants, not only adopt's checks). Return false if it
 * was then corrupted on purpose or taken raw from the input.
 */
static bool make_state(struct toe_conn_state *st, int slot)
{
	static const uint8_t states[8] = {
		TOE_TCP_ESTABLISHED, TOE_TCP_ESTABLISHED, TOE_TCP_ESTABLISHED,
		TOE_TCP_FIN_WAIT1, TOE_TCP_FIN_WAIT2, TOE_TCP_CLOSING,
		TOE_TCP_CLOSE_WAIT, TOE_TCP_LAST_ACK,
	};
	uint8_t m = in8(), f = in8();
	uint32_t flags = 0, una, nxt, data_end, rnxt, rwnd, swnd, mss, n;
	bool fin_out, fin_in;
	int k;

	memset(st, 0, sizeof(*st));
	if (m >> 5 == 7) {
		for (n = 0; n < sizeof(*st); n++)
			((uint8_t *)st)[n] = in8();
		return false;
	}
	st->version = htole16(TOE_CONN_STATE_VERSION);
	st->size = htole16(sizeof(*st));
	st->family = m & 1 ? 6 : 4;
	st->state = states[(m >> 1) & 7];
	memcpy(st->local_addr, m & 1 ? fz_l6 : fz_l4, alen_of(st->family));
	memcpy(st->remote_addr, m & 1 ? fz_r6 : fz_r4, alen_of(st->family));
	/* Bit 4: the same ports as slot 0, to meet -EEXIST. */
	st->local_port = htons((uint16_t)(5001 + (m & 0x10 ? 0 : slot)));
	st->remote_port = htons(40001);

	flags |= f & 1 ? TOE_CS_SACK_OK : 0;
	flags |= f & 2 ? TOE_CS_TSTAMP_OK : 0;
	flags |= f & 4 ? TOE_CS_WSCALE_OK : 0;
	flags |= f & 8 ? TOE_CS_NODELAY : 0;
	flags |= f & 16 ? TOE_CS_KEEPALIVE : 0;
	fin_out = st->state == TOE_TCP_FIN_WAIT1 ||
		  st->state == TOE_TCP_FIN_WAIT2 ||
		  st->state == TOE_TCP_CLOSING || st->state == TOE_TCP_LAST_ACK;
	fin_in = st->state == TOE_TCP_CLOSE_WAIT ||
		 st->state == TOE_TCP_CLOSING || st->state == TOE_TCP_LAST_ACK;
	flags |= fin_out ? TOE_CS_FIN_SENT : 0;
	flags |= fin_in ? TOE_CS_FIN_RCVD : 0;
	st->flags = htole32(flags);
	if (flags & TOE_CS_WSCALE_OK) {
		st->snd_wscale = in8() % 15;
		st->rcv_wscale = in8() % 15;
	}
	mss = pick_mss();
	st->mss = htole16((uint16_t)mss);
	st->adv_mss = htole16((uint16_t)mss);

	/* Send side: in flight, then not yet sent, then maybe the FIN. */
	una = in32();
	nxt = una + (f & 32 ? in16() : 0);
	data_end = nxt + (f & 64 ? in16() : 0);
	if (st->state == TOE_TCP_FIN_WAIT2) {
		data_end = una - 1;	/* everything and the FIN acked */
		nxt = una;
	} else if (fin_out && (f & 128)) {
		nxt = data_end + 1;	/* the FIN went out */
	}
	st->snd_una = htole32(una);
	st->snd_nxt = htole32(nxt);
	st->write_seq = htole32(data_end + fin_out);
	swnd = (uint32_t)in16() << st->snd_wscale;
	st->snd_wnd = htole32(swnd);
	st->max_window = htole32(sq_max(swnd, 65535u << st->snd_wscale));

	/* Receive side: the window advertised at rcv_wup, rounded down. */
	rnxt = in32();
	rwnd = ((uint32_t)in16() << st->rcv_wscale);
	st->rcv_nxt = htole32(rnxt);
	st->copied_seq = htole32(rnxt);
	st->rcv_wnd = htole32(rwnd);
	n = in16();
	st->rcv_wup = htole32(rnxt - (n < rwnd ? n : rwnd));
	st->snd_wl1 = htole32(rnxt - in8());

	if (flags & TOE_CS_TSTAMP_OK) {
		st->ts_recent = htole32(in32());
		st->ts_recent_age_ms = htole32(in16());
	}
	st->ts_now = htole32(in32());
	st->srtt_us = htole32((uint32_t)in16() << 3);
	st->rttvar_us = htole32((uint32_t)in16() << 2);
	st->rto_us = htole32(in8() & 1 ? in32() : 200000);
	n = in8();
	st->snd_cwnd = htole32(n & 0x80 ? 1 + in16() % (1u << 20) :
				1 + n % 64);
	n = in8();
	st->snd_ssthresh = htole32(n & 0x80 ? 0x7fffffff : 2 + n);
	st->ca_state = in8() % 5;
	st->cong_algo = in8() & 1 ? TOE_CC_CUBIC : TOE_CC_RENO;
	if (flags & TOE_CS_KEEPALIVE) {
		st->keepalive_time_s = htole32(1 + in8() % 64);
		st->keepalive_intvl_s = htole32(1 + in8() % 16);
		st->keepalive_probes = 1 + in8() % 9;
	}
	if (flags & TOE_CS_SACK_OK) {
		st->num_sacks = in8() % 5;
		for (k = 0; k < st->num_sacks; k++) {
			st->sack_blocks[k][0] = htole32(rnxt + 100 * k + 1);
			st->sack_blocks[k][1] = htole32(rnxt + 100 * k + 50);
		}
	}
	if (m >> 5 != 6)
		return true;
	/* Corrupt one to three bytes anywhere. */
	for (n = 1 + in8() % 3; n; n--)
		((uint8_t *)st)[in8()] = in8();
	return false;
}

/* ---- the peer ----------------------------------------------------- */

static size_t build_seg(const struct fz_conn *c, struct fz_seg *s,
			uint8_t *buf)
{
	size_t ipo = c->family == 4 ? s->ipopt_len : 0;
	size_t iph = (c->family == 4 ? 20 : 40) + ipo;
	size_t alen = alen_of(c->family), optlen = 0, tcp_len;
	uint8_t *tcp = buf + iph, *o = tcp + 20, *pl;
	uint32_t i;
	int k;

	if (s->has_ts) {
		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		wr32(o + 4, s->tsval);
		wr32(o + 8, s->tsecr);
		optlen = 12;
	}
	while (s->nsack && optlen + 4 + 8 * s->nsack > 40)
		s->nsack--;
	if (s->nsack) {
		o[optlen++] = 1;
		o[optlen++] = 1;
		o[optlen++] = 5;
		o[optlen++] = (uint8_t)(2 + 8 * s->nsack);
		for (k = 0; k < s->nsack; k++) {
			wr32(o + optlen, s->sack[k][0]);
			wr32(o + optlen + 4, s->sack[k][1]);
			optlen += 8;
		}
	}
	if (optlen + s->optlen > 40)
		s->optlen = 0;
	memcpy(o + optlen, s->opt, s->optlen);
	optlen += s->optlen;
	while (optlen % 4)
		o[optlen++] = 1;
	tcp_len = 20 + optlen + s->len;
	pl = o + optlen;
	for (i = 0; i < s->len; i++)
		pl[i] = peer_byte(s->seq + i);

	wr16(tcp, ntohs(c->rport));
	wr16(tcp + 2, ntohs(c->lport));
	wr32(tcp + 4, s->seq);
	wr32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)((20 + optlen) / 4 << 4);
	tcp[13] = s->flags;
	wr16(tcp + 14, s->wnd);
	wr16(tcp + 16, 0);
	wr16(tcp + 18, s->urg);
	wr16(tcp + 16, tcp_csum(c->family, c->raddr, c->laddr, tcp, tcp_len));

	if (c->family == 4) {
		buf[0] = (uint8_t)(0x40 | iph / 4);
		buf[1] = 0;
		wr16(buf + 2, (uint16_t)(iph + tcp_len));
		wr16(buf + 4, 0x1234);
		wr16(buf + 6, 0x4000);
		buf[8] = 64;
		buf[9] = 6;
		wr16(buf + 10, 0);
		memcpy(buf + 12, c->raddr, alen);
		memcpy(buf + 16, c->laddr, alen);
		memset(buf + 20, 1, ipo);	/* NOP options */
		wr16(buf + 10, fold(sum16(0, buf, iph)));
	} else {
		wr32(buf, 6u << 28);
		wr16(buf + 4, (uint16_t)tcp_len);
		buf[6] = 6;
		buf[7] = 64;
		memcpy(buf + 8, c->raddr, alen);
		memcpy(buf + 24, c->laddr, alen);
	}
	return iph + tcp_len;
}

/*
 * A segment of the peer's from the bytes, relative to where the
 * connection stands so that most are in its windows.
 */
static void make_seg(struct fz_conn *c, struct fz_seg *s)
{
	uint32_t exp = c->rcv_nxt + c->fin_rcvd, span, mss = c->mss;
	uint8_t seqm = in8(), lenm = in8(), ackm = in8(), fl = in8();
	uint8_t wm = in8(), optm = in8(), b;
	int k;

	memset(s, 0, sizeof(*s));
	if (lenm < 40)
		s->len = 0;
	else if (lenm < 80)
		s->len = lenm - 39;
	else if (lenm < 200)
		s->len = mss < FZ_MAX_PAY ? mss : FZ_MAX_PAY;
	else
		s->len = in16() % (FZ_MAX_PAY + 1);

	switch (seqm & 7) {
	case 2:
		s->seq = c->peer_nxt;
		break;
	case 3:
		s->seq = exp + in16();
		break;
	case 4:
		s->seq = exp - 1 - in16() % 4096;
		break;
	case 5:
		s->seq = exp + (in8() % 16) * mss;
		break;
	case 6:
		s->seq = c->adv_bound - s->len + (int8_t)in8();
		break;
	case 7:
		s->seq = in32();
		break;
	default:
		s->seq = exp;
		break;
	}

	span = c->sent_max - c->acked;
	switch (ackm & 7) {
	case 3:
		s->ack = c->acked;
		break;
	case 4:
		s->ack = c->acked + in32() % (span + 1);
		break;
	case 5:
		s->ack = c->acked + (in8() % 16) * mss;
		break;
	case 6:
		b = in8();
		s->ack = b & 1 ? c->sent_max + 1 + b : c->acked - in16();
		break;
	case 7:
		s->ack = in32();
		break;
	default:
		s->ack = c->sent_max;
		break;
	}

	if (fl < 160)
		s->flags = TF_ACK | (fl & 1 ? TF_PSH : 0);
	else if (fl < 200)
		s->flags = TF_ACK | TF_FIN;
	else if (fl < 215)
		s->flags = TF_RST | (fl & 1 ? TF_ACK : 0);
	else if (fl < 225)
		s->flags = TF_SYN | (fl & 1 ? TF_ACK : 0);
	else if (fl < 235)
		s->flags = TF_ACK | TF_URG;
	else if (fl < 245)
		s->flags = fl & 1 ? TF_FIN : 0;
	else
		s->flags = in8();

	if (wm < 128)
		s->wnd = c->peer_wnd;
	else if (wm < 160)
		s->wnd = 0;
	else if (wm < 192)
		s->wnd = wm - 159;
	else if (wm < 224)
		s->wnd = 0xffff;
	else
		s->wnd = in16();

	/* Timestamps: the peer's clock, an old one, none or anything. */
	switch (optm & 3) {
	case 2:
		break;
	case 3:
		s->has_ts = true;
		b = in8();
		s->tsval = b & 1 ? in32() : c->peer_ts - 1 - b;
		s->tsecr = c->last_tsval;
		break;
	default:
		s->has_ts = c->ts_ok;
		s->tsval = c->peer_ts++;
		s->tsecr = c->last_tsval;
		break;
	}
	s->nsack = (optm >> 2) & 7;
	if (s->nsack > 4)
		s->nsack = 0;
	for (k = 0; k < s->nsack; k++) {
		b = in8();
		if (b & 0x80) {
			s->sack[k][0] = in32();
			s->sack[k][1] = in32();
		} else {
			s->sack[k][0] = c->acked + (b % 32) * mss;
			s->sack[k][1] = s->sack[k][0] + (1 + in8() % 8) * mss;
		}
	}
	if (optm & 0x20) {
		s->optlen = in8() % (sizeof(s->opt) + 1);
		for (k = 0; k < s->optlen; k++)
			s->opt[k] = in8();
	}
	if ((optm & 0x40) && c->family == 4)
		s->ipopt_len = (uint8_t)(4 * (1 + in8() % 10));
	if (optm & 0x80)
		s->urg = in16();
}

/* Feed a packet to the engine and check the answer's range. */
static int feed(const uint8_t *pkt, size_t len)
{
	int ret = toe_engine_input(fz.eng, pkt, len, fz.now);

	FZ_CHECK(ret == 0 || ret == 1 || ret == -EINVAL,
		 "input returned %d", ret);
	return ret;
}

/* What the peer learns from sending @s: its stream and window. */
static void peer_sent(struct fz_conn *c, const struct fz_seg *s)
{
	uint32_t end = s->seq + s->len;

	if (s->len && sq_lt(c->peer_nxt, end) && sq_le(end, c->adv_bound))
		c->peer_nxt = end;
	if ((s->flags & TF_ACK) && !(s->flags & (TF_RST | TF_SYN))) {
		c->peer_wnd = s->wnd;
		if (sq_le(c->acked, s->ack) && sq_le(s->ack, c->sent_max))
			c->wnd_edge = sq_max(c->wnd_edge, s->ack +
					     ((uint32_t)s->wnd <<
					      (c->snd_wscale & 31)));
	}
}

/*
 * The connection the engine holds under @c's 4-tuple: @c, or another
 * slot adopted with the same one after @c went.
 */
static struct fz_conn *holder(struct fz_conn *c)
{
	int i;

	for (i = 0; i < FZ_SLOTS && c->life != FZ_LIVE; i++)
		if (fz.c[i].life == FZ_LIVE &&
		    fz.c[i].family == c->family &&
		    !memcmp(fz.c[i].laddr, c->laddr, alen_of(c->family)) &&
		    !memcmp(fz.c[i].raddr, c->raddr, alen_of(c->family)) &&
		    fz.c[i].lport == c->lport && fz.c[i].rport == c->rport)
			return &fz.c[i];
	return c;
}

static void taint_all(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		fz.c[i].tainted = true;
}

static void op_seg(struct fz_conn *c)
{
	struct fz_seg s;
	size_t len;
	int ret, want;

	if (!c->family)
		return;
	c = holder(c);
	make_seg(c, &s);
	len = build_seg(c, &s, fz.buf);
	/*
	 * Record the window first: the engine may send at once. The
	 * check is an upper bound, so a refused segment does no harm.
	 */
	peer_sent(c, &s);
	want = c->life == FZ_LIVE ? 1 : 0;
	ret = feed(fz.buf, len);
	FZ_CHECK(ret == want || (ret == -EINVAL && s.optlen),
		 "conn %d: input of a good segment gave %d, not %d",
		 slot_of(c), ret, want);
}

/* A segment with bytes changed, cut or padded: parsing's corners. */
static void op_mangle(struct fz_conn *c)
{
	struct fz_seg s;
	size_t len, iph, tcp_len, extra;
	uint8_t m, *tcp;
	int n, ret;

	if (!c->family)
		return;
	c = holder(c);
	make_seg(c, &s);
	len = build_seg(c, &s, fz.buf);
	iph = (size_t)(fz.buf[0] & 0xf) * 4;
	if (c->family == 6)
		iph = 40;
	tcp_len = len - iph;
	m = in8();
	for (n = m & 3; n; n--)
		fz.buf[in16() % len] ^= in8();
	if (m & 4) {
		/* Right checksums over whatever the bytes now say. */
		tcp = fz.buf + iph;
		wr16(tcp + 16, 0);
		wr16(tcp + 16, tcp_csum(c->family, fz.buf + (c->family == 4 ?
							  12 : 8),
					fz.buf + (c->family == 4 ? 16 : 24),
					tcp, tcp_len));
		if (c->family == 4) {
			wr16(fz.buf + 10, 0);
			wr16(fz.buf + 10, fold(sum16(0, fz.buf, iph)));
		}
	}
	if (m & 8)
		len -= in8() % len;
	if (m & 16) {
		for (extra = in8() % 64; extra && len < FZ_PKT_MAX; extra--)
			fz.buf[len++] = in8();
	}
	peer_sent(c, &s);	/* unchanged, it is the peer's segment */
	fz.mangling = true;
	ret = feed(fz.buf, len);
	fz.mangling = false;
	if (ret == 1 && (m & 11))
		taint_all();
}

/*
 * An ICMP "too big" error quoting one of the connection's segments
 * (usually one in flight), with any MTU. The MSS may only go down.
 */
static void op_ptb(struct fz_conn *c)
{
	struct toe_engine_conn_info info;
	uint32_t seq, mtu;
	size_t len;
	int ret;

	if (!c->family)
		return;
	c = holder(c);
	seq = c->acked + in16() % (c->sent_max - c->acked + 1);
	if (!(in8() & 3))
		seq = in32();
	mtu = c->family == 4 ? in16() : in16() + (in8() & 1 ? 1200 : 0);
	len = pkt_icmp_ptb(fz.buf, c->family, c->laddr, c->raddr,
			   ntohs(c->lport), ntohs(c->rport), seq, mtu);
	ret = feed(fz.buf, len);
	FZ_CHECK(ret == (c->life == FZ_LIVE ? 1 : 0) || c->life != FZ_LIVE,
		 "conn %d: PMTU error about it gave %d", slot_of(c), ret);
	if (c->life == FZ_LIVE &&
	    !toe_engine_conn_info(fz.eng, c->id, &info)) {
		FZ_CHECK(info.mss <= c->mss, "conn %d: mss %u grew from %u",
			 slot_of(c), info.mss, c->mss);
		c->mss = info.mss;
	}
}

static void op_raw(void)
{
	size_t len = in16() % 2048, i;
	int ret;

	if (len > fz.in_len)
		len = fz.in_len;
	for (i = 0; i < len; i++)
		fz.buf[i] = in8();
	fz.mangling = true;
	ret = feed(fz.buf, len);
	fz.mangling = false;
	if (ret == 1)
		taint_all();
}

/* ---- the host's requests ------------------------------------------ */

static void run_until(uint64_t t)
{
	uint64_t d;
	int guard = 0;

	fz.rst_ok++;	/* a keepalive may give up with RST */
	for (;;) {
		d = toe_engine_next_deadline(fz.eng);
		if (d > t)
			break;
		FZ_CHECK(++guard < FZ_TIMER_GUARD,
			 "timers keep firing at %llu",
			 (unsigned long long)(d - FZ_T0));
		if (d > fz.now)
			fz.now = d;
		toe_engine_timers(fz.eng, fz.now);
	}
	fz.rst_ok--;
	if (t > fz.now)
		fz.now = t;
}

static void op_time(void)
{
	uint64_t d = toe_engine_next_deadline(fz.eng), delta;
	uint8_t sel = in8();
	int i;

	switch (sel % 12) {
	case 0:
		delta = 0;
		break;
	case 1:
		delta = in8();
		break;
	case 2:
		delta = in8() * 1000ull;
		break;
	case 3:
		delta = 40000;
		break;
	case 4:
		delta = 200000ull * (1 + in8() % 8);
		break;
	case 6:
		delta = d != UINT64_MAX && d > fz.now + 1 ? d - fz.now - 1 : 0;
		break;
	case 7:
		delta = in8() * 1000000ull;
		break;
	case 8:
		delta = 60000000ull * (1 + in8() % 16);
		break;
	case 9:
		delta = 25 * FZ_DAY_US;	/* past PAWS's 24 days */
		break;
	case 10:
		delta = in32();
		break;
	default:
		delta = d != UINT64_MAX && d > fz.now ? d - fz.now : 0;
		break;
	}
	for (i = 0; i < FZ_SLOTS; i++)
		fz.c[i].peer_ts += (uint32_t)(delta / 1000);
	run_until(fz.now + delta);
	/* The device's next turn: who was cut short by tx_burst goes on. */
	toe_engine_tx_resume(fz.eng, fz.now);
}

static void op_send(struct fz_conn *c)
{
	uint32_t old = c->snd_end, nw, delta;
	int ret, want = -ENOENT;

	switch (in8() & 7) {
	case 0:
		delta = 0;
		break;
	case 1:
		delta = 1 + in8();
		break;
	case 3:
		delta = in16();
		break;
	case 4:
		delta = in32() % (1u << 24);
		break;
	case 5:
		delta = -(uint32_t)(1 + in8());	/* backwards */
		break;
	case 6:
		delta = FZ_MAX_WINDOW + in8();	/* too much in flight */
		break;
	default:
		delta = c->mss * (1 + in8() % 8);
		break;
	}
	nw = old + delta;
	if (c->life == FZ_LIVE) {
		if (c->fin_queued)
			want = -EPIPE;
		else if (sq_lt(nw, old) || nw - c->acked > FZ_MAX_WINDOW)
			want = -EINVAL;
		else
			want = 0;
	}
	if (!want)
		c->snd_end = nw;	/* read_send may be asked at once */
	ret = toe_engine_send_queued(fz.eng, api_id(c), nw, fz.now);
	FZ_CHECK(ret == want, "conn %d: send_queued(+%#x) gave %d, not %d",
		 slot_of(c), delta, ret, want);
}

static void op_freed(struct fz_conn *c)
{
	uint32_t bytes;
	int ret, want = -ENOENT;

	switch (in8() % 6) {
	case 0:
		bytes = 0;
		break;
	case 1:
		bytes = 1 + in8();
		break;
	case 2:
		bytes = c->mss;
		break;
	case 3:
		bytes = in16();
		break;
	case 4:
		bytes = 1u << 20;
		break;
	default:
		bytes = in32();
		break;
	}
	if (c->life == FZ_LIVE)
		want = bytes > FZ_MAX_WINDOW - c->space ? -EINVAL : 0;
	if (!want)
		c->space += bytes;	/* deliver may come at once */
	ret = toe_engine_recv_freed(fz.eng, api_id(c), bytes, fz.now);
	FZ_CHECK(ret == want, "conn %d: recv_freed(%u) gave %d, not %d",
		 slot_of(c), bytes, ret, want);
}

/* How much the host takes in its next deliver() calls. */
static void op_take(struct fz_conn *c)
{
	switch (in8() & 7) {
	case 4:
		c->take = 0;
		break;
	case 5:
		c->take = in8();
		break;
	case 6:
		c->take = in16();
		break;
	case 7:
		c->take = c->mss;
		break;
	default:
		c->take = SIZE_MAX;
		break;
	}
}

static void op_shutdown(struct fz_conn *c)
{
	int ret, want = -ENOENT;

	if (c->life == FZ_LIVE) {
		want = 0;
		if (!c->fin_queued && c->state != TOE_TCP_ESTABLISHED &&
		    c->state != TOE_TCP_CLOSE_WAIT)
			want = -ENOTCONN;
	}
	if (!want)
		c->fin_queued = true;	/* the FIN may go at once */
	ret = toe_engine_shutdown(fz.eng, api_id(c), fz.now);
	FZ_CHECK(ret == want, "conn %d: shutdown gave %d, not %d",
		 slot_of(c), ret, want);
}

static void op_sockopt(struct fz_conn *c)
{
	uint8_t b = in8();
	uint32_t idle, intvl, probes;
	int ret, want = c->life == FZ_LIVE ? 0 : -ENOENT;

	if (!(b & 1)) {
		ret = toe_engine_set_nodelay(fz.eng, api_id(c), b & 2,
					     fz.now);
		FZ_CHECK(ret == want, "conn %d: set_nodelay gave %d",
			 slot_of(c), ret);
		return;
	}
	idle = b & 4 ? in16() : 1 + in8() % 16;
	intvl = b & 8 ? in16() : 1 + in8() % 8;
	probes = b & 16 ? in8() : 1 + in8() % 9;
	if (!want && (idle < 1 || idle > 32767 || intvl < 1 ||
		      intvl > 32767 || probes < 1 || probes > 127))
		want = -EINVAL;
	ret = toe_engine_set_keepalive(fz.eng, api_id(c), b & 2, idle, intvl,
				       probes, fz.now);
	FZ_CHECK(ret == want, "conn %d: set_keepalive gave %d, not %d",
		 slot_of(c), ret, want);
}

static void op_request_upload(struct fz_conn *c)
{
	uint8_t reason = in8() % 9;
	int ret, want = -ENOENT;

	if (c->life == FZ_LIVE)
		want = reason && reason <= TOE_UPLOAD_REQUESTED ? 0 : -EINVAL;
	c->last_upreq = TOE_UPLOAD_NONE;
	ret = toe_engine_request_upload(fz.eng, api_id(c), reason);
	FZ_CHECK(ret == want, "conn %d: request_upload(%u) gave %d, not %d",
		 slot_of(c), reason, ret, want);
	FZ_CHECK(ret || c->last_upreq == reason,
		 "conn %d: request_upload(%u) reported %u", slot_of(c),
		 reason, c->last_upreq);
}

static void op_upload(struct fz_conn *c)
{
	uint8_t b = in8();
	struct toe_conn_state st;
	struct toe_engine_upload res;

	if (c->life != FZ_LIVE) {
		FZ_CHECK(toe_engine_upload(fz.eng, api_id(c), &st, &res,
					   fz.now) == -ENOENT,
			 "conn %d: upload of a free id", slot_of(c));
		return;
	}
	fz_upload(c);
	/* Mostly the host hands it straight back; else a later ADOPT. */
	if ((b & 0xc0) != 0xc0)
		readopt(c, b & 1);
}

static void op_abort(struct fz_conn *c)
{
	if (c->life != FZ_LIVE) {
		FZ_CHECK(toe_engine_abort(fz.eng, api_id(c), fz.now) ==
			 -ENOENT, "conn %d: abort of a free id", slot_of(c));
		return;
	}
	fz_abort(c);
}

static void op_adopt(struct fz_conn *c)
{
	struct toe_conn_state st;
	bool valid;
	uint32_t space;
	int ret;

	if (c->life == FZ_UPLOADED) {
		readopt(c, in8() & 1);
		return;
	}
	valid = make_state(&st, slot_of(c));
	space = pick_space(le16toh(st.mss));
	if (c->life != FZ_LIVE) {
		adopt_new(c, &st, space, valid);
		return;
	}
	/* Held already: the same 4-tuple again must be refused. */
	st.family = c->family;
	memcpy(st.local_addr, c->laddr, 16);
	memcpy(st.remote_addr, c->raddr, 16);
	st.local_port = c->lport;
	st.remote_port = c->rport;
	ret = toe_engine_adopt(fz.eng, &st, fz.next_handle++, space, fz.now);
	FZ_CHECK(ret == -EEXIST || (!valid && ret == -EINVAL),
		 "conn %d: adopt of a held 4-tuple gave %d", slot_of(c), ret);
}

/* ---- the script --------------------------------------------------- */

enum fz_op {
	OP_SEG, OP_TIME, OP_SEND, OP_FREED, OP_TAKE, OP_RAW, OP_MANGLE,
	OP_SHUTDOWN, OP_SOCKOPT, OP_REQ_UPLOAD, OP_UPLOAD, OP_ABORT, OP_ADOPT,
	OP_PTB,
};

/* An op byte's low 5 bits, weighted towards what goes deep. */
static const uint8_t fz_ops[32] = {
	OP_SEG, OP_SEG, OP_SEG, OP_SEG, OP_SEG, OP_SEG, OP_SEG, OP_SEG,
	OP_SEG, OP_SEG, OP_PTB, OP_TIME, OP_TIME, OP_TIME, OP_TIME, OP_TIME,
	OP_SEND, OP_SEND, OP_SEND, OP_SEND, OP_FREED, OP_FREED, OP_TAKE,
	OP_RAW, OP_MANGLE, OP_MANGLE, OP_SHUTDOWN, OP_SOCKOPT, OP_REQ_UPLOAD,
	OP_UPLOAD, OP_ABORT, OP_ADOPT,
};

static void run_op(void)
{
	uint8_t b = in8();
	struct fz_conn *c = &fz.c[(b >> 5) < FZ_SLOTS ? b >> 5 : 0];

	switch (fz_ops[b & 31]) {
	case OP_SEG:
		op_seg(c);
		break;
	case OP_TIME:
		op_time();
		break;
	case OP_SEND:
		op_send(c);
		break;
	case OP_FREED:
		op_freed(c);
		break;
	case OP_TAKE:
		op_take(c);
		break;
	case OP_RAW:
		op_raw();
		break;
	case OP_MANGLE:
		op_mangle(c);
		break;
	case OP_SHUTDOWN:
		op_shutdown(c);
		break;
	case OP_SOCKOPT:
		op_sockopt(c);
		break;
	case OP_REQ_UPLOAD:
		op_request_upload(c);
		break;
	case OP_UPLOAD:
		op_upload(c);
		break;
	case OP_ABORT:
		op_abort(c);
		break;
	case OP_ADOPT:
		op_adopt(c);
		break;
	case OP_PTB:
		op_ptb(c);
		break;
	}
}

/* What must hold between operations. */
static void check_all(void)
{
	struct toe_engine_conn_info info;
	struct toe_engine_stats stats;
	struct fz_conn *c;
	int i, ret;

	toe_engine_get_stats(fz.eng, &stats);
	FZ_CHECK(stats.mem_used <= FZ_BUDGET, "mem_used %zu over the budget",
		 stats.mem_used);
	FZ_CHECK(nlive() || !stats.mem_used,
		 "mem_used %zu with no connection", stats.mem_used);
	for (i = 0; i < FZ_SLOTS; i++) {
		c = &fz.c[i];
		FZ_CHECK(!c->rst_seen || c->life != FZ_LIVE,
			 "conn %d: RST sent, still held", i);
		if (c->life != FZ_LIVE) {
			if (c->life != FZ_FREE && !id_live(c->id)) {
				ret = toe_engine_conn_info(fz.eng, c->id,
							   &info);
				FZ_CHECK(ret == -ENOENT,
					 "conn %d: id %d gone, info %d", i,
					 c->id, ret);
			}
			continue;
		}
		ret = toe_engine_conn_info(fz.eng, c->id, &info);
		FZ_CHECK(!ret, "conn %d: conn_info %d", i, ret);
		FZ_CHECK(toe_engine_find_handle(fz.eng, c->handle) == c->id,
			 "conn %d: find_handle", i);
		FZ_CHECK(info.state == c->state,
			 "conn %d: state %u, events said %u", i, info.state,
			 c->state);
		FZ_CHECK(info.rcv_nxt == c->rcv_nxt + c->fin_rcvd,
			 "conn %d: rcv_nxt %#x, delivered %#x fin %d", i,
			 info.rcv_nxt, c->rcv_nxt, c->fin_rcvd);
		FZ_CHECK(info.write_seq == c->snd_end + c->fin_queued,
			 "conn %d: write_seq %#x, queued %#x shut %d", i,
			 info.write_seq, c->snd_end, c->fin_queued);
		FZ_CHECK(sq_min(info.snd_una, c->snd_end) == c->acked &&
			 info.snd_nxt == c->sent_max,
			 "conn %d: snd_una %#x snd_nxt %#x, acked %#x sent %#x",
			 i, info.snd_una, info.snd_nxt, c->acked, c->sent_max);
		FZ_CHECK(sq_le(c->max_edge, info.rcv_nxt + info.rcv_wnd),
			 "conn %d: rcv_wnd %u ends before the edge %#x", i,
			 info.rcv_wnd, c->max_edge);
		FZ_CHECK(info.ooo_bytes + info.held_bytes <= FZ_BUDGET,
			 "conn %d: holds %zu + %zu bytes", i, info.ooo_bytes,
			 info.held_bytes);
		FZ_CHECK(info.mss == c->mss, "conn %d: mss %u", i, info.mss);
	}
}

/*
 * Never 0 (no limit): a migrated cwnd of 2^20 segments of 64 bytes in a
 * 512 MiB window is then a million segments in one call, which is what
 * the API allows but runs for a minute here.
 */
static const uint32_t fz_tx_bursts[4] = { 256, 32, 4, 1 };

static void setup(void)
{
	static const struct toe_engine_ops ops = {
		.xmit = op_xmit,
		.read_send = op_read_send,
		.deliver = op_deliver,
		.acked = op_acked,
		.event = op_event,
		.held_pkt = op_held_pkt,
	};
	struct toe_engine_ops o = ops;
	struct toe_engine_config cfg;
	struct toe_conn_state st;
	uint8_t h0 = in8(), h1 = in8(), h2 = in8();
	bool valid;
	int i, n;

	toe_engine_config_default(&cfg, FZ_CAPACITY);
	cfg.mem_budget = h2 & 2 ? FZ_BUDGET / 8 : FZ_BUDGET;
	cfg.tx_burst = fz_tx_bursts[(h2 >> 2) & 3];
	cfg.retries = h0 & 0x20 ? 2 + (h1 & 3) : 15;
	cfg.idle_upload_us = h0 & 0x40 ? 5000000 : 0;
	if (h0 & 0x80)
		o.held_pkt = NULL;
	fz.cb_mode = (h0 & 7) % 5;
	fz.read_err = (h0 & 0x18) == 0x18;
	fz.cb_trigger = h1;
	fz.eng = toe_engine_new(&cfg, &o, NULL);
	if (!fz.eng)
		abort();
	/* One connection, two, or now and then a full table. */
	n = 1 + (h2 & 1) + ((h2 & 0x30) == 0x30 ? 2 : 0);
	for (i = 0; i < n; i++) {
		valid = make_state(&st, i);
		adopt_new(&fz.c[i], &st, pick_space(le16toh(st.mss)), valid);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int i;

	memset(fz.c, 0, sizeof(fz.c));
	fz.in = data;
	fz.in_len = size;
	fz.op = 0;
	fz.now = FZ_T0;
	fz.next_handle = 0x1000;
	fz.nevents = 0;
	fz.in_adopt = false;
	fz.in_upload = -1;
	fz.rst_ok = 0;
	fz.mangling = false;
	fz.nheld = 0;

	setup();
	check_all();
	while (fz.in_len && fz.op < FZ_MAX_OPS) {
		fz.op++;
		run_op();
		readopt_pending();
		check_all();
	}
	/* Hand everything back, checked, so that nothing is left held. */
	fz.op++;
	for (i = 0; i < FZ_SLOTS; i++)
		if (fz.c[i].life == FZ_LIVE)
			fz_upload(&fz.c[i]);
	check_all();
	toe_engine_free(fz.eng);
	fz.eng = NULL;
	return 0;
}
