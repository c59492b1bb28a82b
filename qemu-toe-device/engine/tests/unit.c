// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit.c - the unit tests' runner, checks and fixture (see unit.h).
 *
 *   build/unit [FILTER]
 *
 * runs every test whose "suite.name" contains FILTER, each in a child
 * process (UNIT_NOFORK=1 runs them in this one, for a debugger), and
 * prints KTAP. Exit status 1 if any failed.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkt-util.h"
#include "unit.h"

#define UNIT_TIMEOUT_S	30

int unit_fails;
static char unit_ctx_buf[256];
static struct fx *unit_fxs;	/* the running test's fixtures */
static uint64_t unit_next_handle = 0x1000;

/* ---- framework ---------------------------------------------------- */

void unit_ctx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(unit_ctx_buf, sizeof(unit_ctx_buf), fmt, ap);
	va_end(ap);
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	unit_fails++;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (unit_ctx_buf[0])
		printf("#   while: %s\n", unit_ctx_buf);
}

bool unit_check(const char *file, int line, bool ok, const char *expr)
{
	if (!ok)
		unit_fail(file, line, "expected %s", expr);
	return ok;
}

bool unit_check_cmp(const char *file, int line, const char *expr,
		    long long a, long long b, bool ok)
{
	if (!ok)
		unit_fail(file, line,
			  "expected %s: left %lld (%#llx), right %lld (%#llx)",
			  expr, a, (unsigned long long)a, b,
			  (unsigned long long)b);
	return ok;
}

/* A breach of what must hold in every test, found by an op. */
#define VIOLATION(...)	unit_fail("fixture", 0, __VA_ARGS__)

/* ---- checksums and byte order ------------------------------------- */

uint8_t fx_peer_byte(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

uint8_t fx_snd_byte(uint32_t seq)
{
	return (uint8_t)(((seq ^ 0x5a5a5a5au) * 40503u) >> 16);
}

/* ---- parsing what the engine sends -------------------------------- */

bool fx_parse(const uint8_t *pkt, size_t len, struct upkt *p)
{
	const uint8_t *tcp, *o, *src, *dst;
	size_t tcp_len, hlen, i;

	memset(p, 0, sizeof(*p));
	if (len < 20)
		return false;
	if (pkt[0] == 0x45) {
		if (rd16(pkt + 2) != len || fold(sum16(0, pkt, 20)) != 0 ||
		    pkt[9] != 6)
			return false;
		p->family = 4;
		src = pkt + 12;
		dst = pkt + 16;
		memcpy(p->saddr, src, 4);
		memcpy(p->daddr, dst, 4);
		tcp = pkt + 20;
		tcp_len = len - 20;
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40 || rd16(pkt + 4) != len - 40 || pkt[6] != 6)
			return false;
		p->family = 6;
		src = pkt + 8;
		dst = pkt + 24;
		memcpy(p->saddr, src, 16);
		memcpy(p->daddr, dst, 16);
		tcp = pkt + 40;
		tcp_len = len - 40;
	} else {
		return false;
	}
	if (tcp_len < 20)
		return false;
	hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < 20 || hlen > tcp_len ||
	    tcp_csum(p->family, src, dst, tcp, tcp_len) != 0)
		return false;
	p->sport = rd16(tcp);
	p->dport = rd16(tcp + 2);
	p->seq = rd32(tcp + 4);
	p->ack = rd32(tcp + 8);
	p->flags = tcp[13];
	p->wnd = rd16(tcp + 14);
	p->len = (uint32_t)(tcp_len - hlen);
	if (p->len) {
		p->data = malloc(p->len);
		if (!p->data)
			abort();
		memcpy(p->data, tcp + hlen, p->len);
	}
	o = tcp + 20;
	for (i = 0; i < hlen - 20;) {
		uint8_t kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 2 > hlen - 20)
			return false;
		olen = o[i + 1];
		if (olen < 2 || i + olen > hlen - 20)
			return false;
		if (kind == 8) {
			if (olen != 10)
				return false;
			p->has_ts = true;
			p->tsval = rd32(o + i + 2);
			p->tsecr = rd32(o + i + 6);
		} else if (kind == 5) {
			int n = (olen - 2) / 8, k;

			if ((olen - 2) % 8 || n < 1 || n > 4)
				return false;
			for (k = 0; k < n; k++) {
				p->sack[k][0] = rd32(o + i + 2 + 8 * k);
				p->sack[k][1] = rd32(o + i + 6 + 8 * k);
			}
			p->nsack = n;
		} else {
			return false;	/* nothing else belongs here */
		}
		i += olen;
	}
	p->valid = true;
	return true;
}

uint32_t fx_wnd(struct fx *f, const struct upkt *p)
{
	return (uint32_t)p->wnd << f->rcv_wscale;
}

static void flags_str(uint8_t fl, char *buf, size_t n)
{
	static const char *const names[] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG"
	};
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 6; i++)
		if (fl & (1 << i))
			used += snprintf(buf + used, n - used, "%s%s",
					 used ? "|" : "", names[i]);
	if (!used)
		snprintf(buf, n, "none");
}

static void pkt_str(struct fx *f, const struct upkt *p, char *buf, size_t n)
{
	char fl[32];
	size_t used;
	int k;

	flags_str(p->flags, fl, sizeof(fl));
	used = snprintf(buf, n,
			"%s seq=%u (iss%+d) ack=%u (irs%+d) wnd=%u len=%u",
			fl, p->seq, (int32_t)(p->seq - f->iss), p->ack,
			(int32_t)(p->ack - f->irs), p->wnd, p->len);
	if (p->has_ts && used < n)
		used += snprintf(buf + used, n - used, " ts=%u/%u",
				 p->tsval, p->tsecr);
	for (k = 0; k < p->nsack && used < n; k++)
		used += snprintf(buf + used, n - used, " sack[irs%+d,irs%+d)",
				 (int32_t)(p->sack[k][0] - f->irs),
				 (int32_t)(p->sack[k][1] - f->irs));
}

/* ---- the ops ------------------------------------------------------ */

static bool is_main(struct fx *f, const struct upkt *p)
{
	return f->id >= 0 && p->family == f->family &&
	       p->sport == f->lport && p->dport == f->rport;
}

static void grow(void **arr, size_t n, size_t size)
{
	if (n % 256)
		return;
	*arr = realloc(*arr, (n + 256) * size);
	if (!*arr)
		abort();
}

static void op_xmit(void *opaque, const uint8_t *pkt, size_t len)
{
	struct fx *f = opaque;
	struct upkt *p;
	uint32_t i, edge, allowed;
	size_t alen;

	if (f->npkts >= FX_MAX_PKTS * 16) {
		VIOLATION("more than %d packets sent", FX_MAX_PKTS * 16);
		return;
	}
	grow((void **)&f->pkts, f->npkts, sizeof(*f->pkts));
	p = &f->pkts[f->npkts++];
	if (!fx_parse(pkt, len, p)) {
		VIOLATION("engine sent a malformed packet (%zu bytes)", len);
		return;
	}
	p->t = f->now;
	p->delivered = f->rcv_len;
	if (!is_main(f, p)) {
		if (p->has_ts)
			f->last_tsval = p->tsval;
		return;
	}
	/* RFC 7323 5.3: the peer drops a TSval older than one it saw. */
	if (p->has_ts && (int32_t)(p->tsval - f->last_tsval) < 0)
		VIOLATION("TSval %u is older than %u, sent before",
			  p->tsval, f->last_tsval);
	if (p->has_ts)
		f->last_tsval = p->tsval;
	alen = f->family == 4 ? 4 : 16;
	if (memcmp(p->saddr, f->laddr, alen) ||
	    memcmp(p->daddr, f->raddr, alen))
		VIOLATION("the connection's ports with wrong addresses");
	if (p->has_ts != f->ts_on)
		VIOLATION("timestamp option %s though %snegotiated",
			  p->has_ts ? "sent" : "missing",
			  f->ts_on ? "" : "not ");
	if (p->nsack && !f->sack_on)
		VIOLATION("SACK blocks sent though SACK not negotiated");
	if (!(p->flags & TF_ACK) && !(p->flags & TF_RST))
		VIOLATION("segment without ACK (flags %#x)", p->flags);
	allowed = f->irs + (uint32_t)f->rcv_len + (f->peer_fin ? 1 : 0);
	if ((p->flags & TF_ACK) && useq_lt(allowed, p->ack))
		VIOLATION("ACK %u (irs%+d) covers data not delivered (irs%+d)",
			  p->ack, (int32_t)(p->ack - f->irs),
			  (int32_t)(allowed - f->irs));
	if ((p->flags & TF_ACK) && !(p->flags & TF_RST)) {
		edge = p->ack + (uint32_t)(p->wnd << f->rcv_wscale);
		if (useq_lt(edge, f->max_edge))
			VIOLATION("right edge moved left: irs%+d < irs%+d",
				  (int32_t)(edge - f->irs),
				  (int32_t)(f->max_edge - f->irs));
		else
			f->max_edge = edge;
	}
	for (i = 0; i < p->len; i++) {
		if (p->data[i] != fx_snd_byte(p->seq + i)) {
			VIOLATION("payload at iss%+d is not the queued data",
				  (int32_t)(p->seq + i - f->iss));
			break;
		}
	}
}

static int op_read_send(void *opaque, uint64_t handle, uint32_t seq,
			void *buf, size_t len)
{
	struct fx *f = opaque;
	uint8_t *b = buf;
	size_t i;

	if (handle == f->handle) {
		f->read_calls++;
		if (f->read_err)
			return f->read_err;
		if (useq_lt(seq, f->acked) ||
		    useq_lt(f->snd_end, seq + (uint32_t)len))
			VIOLATION("read_send [iss%+d, +%zu) not in [iss%+d, iss%+d)",
				  (int32_t)(seq - f->iss), len,
				  (int32_t)(f->acked - f->iss),
				  (int32_t)(f->snd_end - f->iss));
	}
	for (i = 0; i < len; i++)
		b[i] = fx_snd_byte(seq + (uint32_t)i);
	return 0;
}

static size_t op_deliver(void *opaque, uint64_t handle, uint32_t seq,
			 const void *data, size_t len)
{
	struct fx *f = opaque;
	const uint8_t *d = data;
	size_t n, i;

	if (handle != f->handle)
		return len;
	f->deliver_calls++;
	if (seq != f->irs + (uint32_t)f->rcv_len)
		VIOLATION("deliver at irs%+d, expected irs%+d",
			  (int32_t)(seq - f->irs), (int)f->rcv_len);
	n = len < f->deliver_room ? len : f->deliver_room;
	if (f->rcv_len + n > FX_BUF) {
		VIOLATION("receive buffer overflow");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (d[i] != fx_peer_byte(seq + (uint32_t)i)) {
			VIOLATION("delivered byte at irs%+d is not the peer's",
				  (int32_t)(seq + i - f->irs));
			break;
		}
	}
	memcpy(f->rcv + f->rcv_len, d, n);
	f->rcv_len += n;
	if (f->deliver_room != SIZE_MAX)
		f->deliver_room -= n;
	return n;
}

static void op_acked(void *opaque, uint64_t handle, uint32_t snd_una)
{
	struct fx *f = opaque;

	if (handle != f->handle)
		return;
	if (useq_lt(snd_una, f->acked) || useq_lt(f->snd_end, snd_una))
		VIOLATION("acked(iss%+d) outside [iss%+d, iss%+d]",
			  (int32_t)(snd_una - f->iss),
			  (int32_t)(f->acked - f->iss),
			  (int32_t)(f->snd_end - f->iss));
	f->acked = snd_una;
	f->acked_calls++;
}

static void op_event(void *opaque, uint64_t handle,
		     const struct toe_engine_event *ev)
{
	struct fx *f = opaque;
	struct uevent *u;
	int id;

	if (f->nev == FX_MAX_EVENTS) {
		VIOLATION("more than %d events", FX_MAX_EVENTS);
		return;
	}
	u = &f->ev[f->nev++];
	u->t = f->now;
	u->handle = handle;
	u->ev = *ev;
	if (handle == f->handle && ev->type == TOE_ENG_EV_PEER_FIN)
		f->peer_fin = true;
	if (handle == f->handle && ev->type == TOE_ENG_EV_UPLOAD_REQ &&
	    f->upload_on_req) {
		id = toe_engine_find_handle(f->eng, handle);
		f->upload_ret = toe_engine_upload(f->eng, id, &f->up_st,
						  &f->up_res, f->now);
	}
}

static void op_held_pkt(void *opaque, uint64_t handle, const uint8_t *pkt,
			size_t len)
{
	struct fx *f = opaque;
	struct upkt *p;

	grow((void **)&f->held, f->nheld, sizeof(*f->held));
	p = &f->held[f->nheld++];
	if (!fx_parse(pkt, len, p))
		VIOLATION("held_pkt got a malformed packet (%zu bytes)", len);
	p->t = f->now;
}

/* ---- the fixture -------------------------------------------------- */

struct fx *fx_alloc(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->rcv = malloc(FX_BUF);
	if (!f->rcv)
		abort();
	toe_engine_config_default(&f->cfg, 4);
	f->now = FX_T0;
	f->id = -1;
	f->rcv_space = FX_RCV_SPACE;
	f->deliver_room = SIZE_MAX;
	f->peer_wnd = FX_PEER_WND;
	f->next = unit_fxs;
	unit_fxs = f;
	return f;
}

void fx_start(struct fx *f)
{
	struct toe_engine_ops ops = {
		.xmit = op_xmit,
		.read_send = op_read_send,
		.deliver = op_deliver,
		.acked = op_acked,
		.event = op_event,
		.held_pkt = f->no_held_pkt ? NULL : op_held_pkt,
	};

	f->eng = toe_engine_new(&f->cfg, &ops, f);
	if (!f->eng) {
		printf("# fixture: toe_engine_new() failed\n");
		abort();
	}
}

struct fx *fx_new(void)
{
	struct fx *f = fx_alloc();

	fx_start(f);
	return f;
}

static void fx_free(struct fx *f)
{
	size_t i;

	if (!f)
		return;
	toe_engine_free(f->eng);
	for (i = 0; i < f->npkts; i++)
		free(f->pkts[i].data);
	for (i = 0; i < f->nheld; i++)
		free(f->held[i].data);
	free(f->pkts);
	free(f->held);
	free(f->rcv);
	free(f);
}

void fx_state(struct fx *f, struct toe_conn_state *st, int family)
{
	static const uint8_t l4[4] = { 198, 18, 0, 2 };
	static const uint8_t r4[4] = { 198, 18, 0, 1 };
	static const uint8_t l6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
	static const uint8_t r6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };

	memset(st, 0, sizeof(*st));
	st->version = htole16(TOE_CONN_STATE_VERSION);
	st->size = htole16(sizeof(*st));
	st->family = (uint8_t)family;
	st->state = TOE_TCP_ESTABLISHED;
	st->snd_wscale = 7;
	st->rcv_wscale = 7;
	memcpy(st->local_addr, family == 4 ? l4 : l6, family == 4 ? 4 : 16);
	memcpy(st->remote_addr, family == 4 ? r4 : r6, family == 4 ? 4 : 16);
	st->local_port = htons(5001);
	st->remote_port = htons(40001);
	st->flags = htole32(TOE_CS_SACK_OK | TOE_CS_TSTAMP_OK |
			    TOE_CS_WSCALE_OK);
	st->snd_una = htole32(FX_ISS);
	st->snd_nxt = htole32(FX_ISS);
	st->write_seq = htole32(FX_ISS);
	st->snd_wl1 = htole32(FX_IRS);
	st->snd_wnd = htole32(FX_PEER_WND << 7);
	st->max_window = htole32(FX_PEER_WND << 7);
	st->mss = htole16(FX_MSS);
	st->adv_mss = htole16(FX_MSS);
	st->rcv_nxt = htole32(FX_IRS);
	st->copied_seq = htole32(FX_IRS);
	st->rcv_wnd = htole32(FX_RCV_WND);
	st->rcv_wup = htole32(FX_IRS);
	st->ts_recent = htole32(FX_TS_RECENT);
	st->ts_now = htole32(FX_TS_NOW);
	st->srtt_us = htole32(10000);
	st->rttvar_us = htole32(5000);
	st->rto_us = htole32(200000);
	st->snd_cwnd = htole32(10);
	st->snd_ssthresh = htole32(0x7fffffff);
	st->ca_state = 0;
	st->cong_algo = TOE_CC_RENO;
	(void)f;
}

int fx_adopt(struct fx *f, const struct toe_conn_state *st)
{
	uint64_t handle = unit_next_handle++;
	uint32_t flags = le32toh(st->flags);
	int ret;

	ret = toe_engine_adopt(f->eng, st, handle, f->rcv_space, f->now);
	if (ret < 0)
		return ret;
	f->id = ret;
	f->handle = handle;
	f->family = st->family;
	memcpy(f->laddr, st->local_addr, 16);
	memcpy(f->raddr, st->remote_addr, 16);
	f->lport = ntohs(st->local_port);
	f->rport = ntohs(st->remote_port);
	f->snd_wscale = st->snd_wscale;
	f->rcv_wscale = st->rcv_wscale;
	f->ts_on = flags & TOE_CS_TSTAMP_OK;
	f->sack_on = flags & TOE_CS_SACK_OK;
	f->iss = le32toh(st->snd_una);
	f->irs = le32toh(st->rcv_nxt);
	f->snd_end = le32toh(st->write_seq) -
		     ((flags & TOE_CS_FIN_SENT) ? 1 : 0);
	f->acked = f->iss;
	f->rcv_len = 0;
	f->peer_fin = false;
	f->peer_nxt = f->irs;
	f->peer_ack = f->iss;
	f->last_tsval = le32toh(st->ts_now);
	f->max_edge = le32toh(st->rcv_wup) + le32toh(st->rcv_wnd);
	return ret;
}

struct fx *fx_setup(int family)
{
	struct toe_conn_state st;
	struct fx *f = fx_new();
	int id;

	fx_state(f, &st, family);
	id = fx_adopt(f, &st);
	if (!EXPECT_OP(id, >=, 0))
		return NULL;
	return f;
}

/* ---- the peer ----------------------------------------------------- */

size_t fx_build(struct fx *f, const struct useg *s, uint8_t *buf)
{
	size_t iph = f->family == 4 ? 20 : 40, alen = f->family == 4 ? 4 : 16;
	uint8_t *tcp = buf + iph, *o = tcp + 20, *pl;
	size_t optlen = 0, tcp_len;
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
	if (s->optlen) {
		memcpy(o + optlen, s->opt, s->optlen);
		optlen += s->optlen;
	}
	while (optlen % 4)
		o[optlen++] = 1;
	tcp_len = 20 + optlen + s->len;
	if (optlen > 40 || iph + tcp_len > FX_PKT_MAX) {
		printf("# fixture: segment too big to build\n");
		abort();
	}
	pl = tcp + 20 + optlen;
	for (i = 0; i < s->len; i++)
		pl[i] = s->data ? s->data[i] : fx_peer_byte(s->seq + i);

	wr16(tcp, f->rport);
	wr16(tcp + 2, f->lport);
	wr32(tcp + 4, s->seq);
	wr32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)((20 + optlen) / 4 << 4);
	tcp[13] = s->flags;
	wr16(tcp + 14, s->wnd);
	wr16(tcp + 16, 0);
	wr16(tcp + 18, s->urg);
	wr16(tcp + 16, tcp_csum(f->family, f->raddr, f->laddr, tcp, tcp_len));

	if (f->family == 4) {
		buf[0] = 0x45;
		buf[1] = 0;
		wr16(buf + 2, (uint16_t)(20 + tcp_len));
		wr16(buf + 4, 0x1234);
		wr16(buf + 6, 0x4000);
		buf[8] = 64;
		buf[9] = 6;
		wr16(buf + 10, 0);
		memcpy(buf + 12, f->raddr, alen);
		memcpy(buf + 16, f->laddr, alen);
		wr16(buf + 10, fold(sum16(0, buf, 20)));
	} else {
		wr32(buf, 6u << 28);
		wr16(buf + 4, (uint16_t)tcp_len);
		buf[6] = 6;
		buf[7] = 64;
		memcpy(buf + 8, f->raddr, alen);
		memcpy(buf + 24, f->laddr, alen);
	}
	return iph + tcp_len;
}

struct useg fx_seg(struct fx *f)
{
	struct useg s = {
		.seq = f->peer_nxt,
		.ack = f->peer_ack,
		.flags = TF_ACK,
		.wnd = f->peer_wnd,
		.has_ts = f->ts_on,
		/* The peer's clock runs at 1 kHz too. */
		.tsval = FX_TS_RECENT + 1 + (uint32_t)((f->now - FX_T0) / 1000),
		.tsecr = f->last_tsval,
	};

	return s;
}

int fx_in(struct fx *f, const struct useg *s)
{
	static uint8_t buf[FX_PKT_MAX];
	size_t len = fx_build(f, s, buf);

	return toe_engine_input(f->eng, buf, len, f->now);
}

int fx_data(struct fx *f, uint32_t seq, uint32_t len)
{
	struct useg s = fx_seg(f);

	s.seq = seq;
	s.len = len;
	if (useq_lt(f->peer_nxt, seq + len))
		f->peer_nxt = seq + len;
	return fx_in(f, &s);
}

int fx_send_peer(struct fx *f, uint32_t len)
{
	return fx_data(f, f->peer_nxt, len);
}

int fx_ack(struct fx *f, uint32_t ack)
{
	struct useg s = fx_seg(f);

	s.ack = ack;
	if (useq_lt(f->peer_ack, ack))
		f->peer_ack = ack;
	return fx_in(f, &s);
}

int fx_sack(struct fx *f, uint32_t ack, int n, ...)
{
	struct useg s = fx_seg(f);
	va_list ap;
	int k;

	s.ack = ack;
	s.nsack = n;
	va_start(ap, n);
	for (k = 0; k < n; k++) {
		s.sack[k][0] = va_arg(ap, uint32_t);
		s.sack[k][1] = va_arg(ap, uint32_t);
	}
	va_end(ap);
	if (useq_lt(f->peer_ack, ack))
		f->peer_ack = ack;
	return fx_in(f, &s);
}

int fx_queue(struct fx *f, uint32_t len)
{
	f->snd_end += len;
	return toe_engine_send_queued(f->eng, f->id, f->snd_end, f->now);
}

void fx_run_until(struct fx *f, uint64_t t)
{
	int guard = 0;

	for (;;) {
		uint64_t d = toe_engine_next_deadline(f->eng);

		if (d > t)
			break;
		if (++guard > 100000) {
			VIOLATION("timers keep firing at %llu",
				  (unsigned long long)d);
			break;
		}
		if (d > f->now)
			f->now = d;
		toe_engine_timers(f->eng, f->now);
	}
	if (t > f->now)
		f->now = t;
}

void fx_run(struct fx *f, uint64_t us)
{
	fx_run_until(f, f->now + us);
}

struct toe_engine_conn_info fx_info(struct fx *f)
{
	struct toe_engine_conn_info info;

	if (toe_engine_conn_info(f->eng, f->id, &info))
		memset(&info, 0, sizeof(info));
	return info;
}

struct toe_engine_stats fx_stats(struct fx *f)
{
	struct toe_engine_stats st;

	toe_engine_get_stats(f->eng, &st);
	return st;
}

size_t fx_pending(struct fx *f)
{
	return f->npkts - f->next_pkt;
}

struct upkt *fx_pop(struct fx *f)
{
	return f->next_pkt < f->npkts ? &f->pkts[f->next_pkt++] : NULL;
}

void fx_drain(struct fx *f)
{
	f->next_pkt = f->npkts;
}

size_t fx_events(struct fx *f)
{
	return f->nev - f->next_ev;
}

struct uevent *fx_pop_ev(struct fx *f)
{
	return f->next_ev < f->nev ? &f->ev[f->next_ev++] : NULL;
}

void fx_drain_ev(struct fx *f)
{
	f->next_ev = f->nev;
}

/* @v as an offset from @base, for messages (0 for ANY). */
static int rel(long long v, uint32_t base)
{
	return v == ANY ? 0 : (int32_t)((uint32_t)v - base);
}

struct upkt *unit_expect_pkt(const char *file, int line, struct fx *f,
			     long long flags, long long seq, long long ack,
			     long long len)
{
	static struct upkt none;
	struct upkt *p = fx_pop(f);
	char want[32], buf[256];
	bool ok;

	flags_str(flags == ANY ? 0 : (uint8_t)flags, want, sizeof(want));
	if (!p) {
		unit_fail(file, line,
			  "expected a packet %s seq=iss%+d ack=irs%+d len=%lld, none sent",
			  flags == ANY ? "*" : want, rel(seq, f->iss),
			  rel(ack, f->irs), len);
		memset(&none, 0, sizeof(none));
		return &none;
	}
	ok = p->valid && (flags == ANY || p->flags == flags) &&
	     (seq == ANY || p->seq == (uint32_t)seq) &&
	     (ack == ANY || p->ack == (uint32_t)ack) &&
	     (len == ANY || p->len == (uint32_t)len);
	if (!ok) {
		pkt_str(f, p, buf, sizeof(buf));
		unit_fail(file, line,
			  "packet %zu: expected %s seq=%s%+d ack=%s%+d len=%lld",
			  f->next_pkt - 1, flags == ANY ? "*" : want,
			  seq == ANY ? "*" : "iss", rel(seq, f->iss),
			  ack == ANY ? "*" : "irs", rel(ack, f->irs), len);
		printf("#   got %s%s\n", buf, p->valid ? "" : " (malformed)");
	}
	return p;
}

bool unit_expect_no_pkt(const char *file, int line, struct fx *f)
{
	char buf[256];
	struct upkt *p;
	bool ok = true;

	while ((p = fx_pop(f))) {
		pkt_str(f, p, buf, sizeof(buf));
		if (ok)
			unit_fail(file, line, "expected no packet");
		printf("#   got %s\n", buf);
		ok = false;
	}
	return ok;
}

static const char *ev_name(int type)
{
	switch (type) {
	case TOE_ENG_EV_STATE: return "STATE";
	case TOE_ENG_EV_PEER_FIN: return "PEER_FIN";
	case TOE_ENG_EV_PEER_RST: return "PEER_RST";
	case TOE_ENG_EV_ERROR: return "ERROR";
	case TOE_ENG_EV_UPLOAD_REQ: return "UPLOAD_REQ";
	case TOE_ENG_EV_CLOSED: return "CLOSED";
	default: return "?";
	}
}

static long long ev_arg(const struct toe_engine_event *ev)
{
	switch (ev->type) {
	case TOE_ENG_EV_STATE: return ev->state;
	case TOE_ENG_EV_ERROR: return ev->error;
	case TOE_ENG_EV_UPLOAD_REQ: return ev->reason;
	default: return 0;
	}
}

bool unit_expect_ev(const char *file, int line, struct fx *f, int type,
		    long long arg)
{
	struct uevent *u = fx_pop_ev(f);

	if (!u) {
		unit_fail(file, line, "expected event %s(%lld), none reported",
			  ev_name(type), arg);
		return false;
	}
	if ((int)u->ev.type != type || (arg != ANY && ev_arg(&u->ev) != arg)) {
		unit_fail(file, line, "expected event %s(%lld), got %s(%lld)",
			  ev_name(type), arg, ev_name(u->ev.type),
			  ev_arg(&u->ev));
		return false;
	}
	return true;
}

bool unit_expect_no_ev(const char *file, int line, struct fx *f)
{
	struct uevent *u;
	bool ok = true;

	while ((u = fx_pop_ev(f))) {
		if (ok)
			unit_fail(file, line, "expected no event");
		printf("#   got %s(%lld)\n", ev_name(u->ev.type),
		       ev_arg(&u->ev));
		ok = false;
	}
	return ok;
}

/* ---- the runner --------------------------------------------------- */

static const struct unit_suite *const unit_suites[] = {
	&unit_adopt_suite,
	&unit_input_suite,
	&unit_data_suite,
	&unit_send_suite,
	&unit_recovery_suite,
	&unit_close_suite,
	&unit_timers_suite,
	&unit_options_suite,
	&unit_upload_suite,
};

static bool selected(const char *filter, const char *suite, const char *name)
{
	char full[256];

	if (!filter)
		return true;
	snprintf(full, sizeof(full), "%s.%s", suite, name);
	return strstr(full, filter);
}

static void run_in_process(const struct unit_case *tc)
{
	unit_fails = 0;
	unit_ctx_buf[0] = '\0';
	unit_fxs = NULL;
	tc->fn();
	while (unit_fxs) {
		struct fx *f = unit_fxs;

		unit_fxs = f->next;
		fx_free(f);
	}
}

static bool run_one(const struct unit_case *tc)
{
	int status;
	pid_t pid;

	if (getenv("UNIT_NOFORK")) {
		run_in_process(tc);
		return unit_fails == 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		alarm(UNIT_TIMEOUT_S);
		run_in_process(tc);
		fflush(stdout);
		exit(unit_fails ? 1 : 0);	/* LeakSanitizer runs here */
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		exit(2);
	}
	if (WIFSIGNALED(status)) {
		printf("# killed by signal %d (%s)\n", WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? "timeout" :
		       strsignal(WTERMSIG(status)));
		return false;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const struct unit_case *tc;
	size_t s;
	int n = 0, i = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (s = 0; s < ARRAY_SIZE(unit_suites); s++)
		for (tc = unit_suites[s]->cases; tc->name; tc++)
			n += selected(filter, unit_suites[s]->name, tc->name);
	printf("KTAP version 1\n1..%d\n", n);
	for (s = 0; s < ARRAY_SIZE(unit_suites); s++) {
		const char *sn = unit_suites[s]->name;

		for (tc = unit_suites[s]->cases; tc->name; tc++) {
			bool ok;

			if (!selected(filter, sn, tc->name))
				continue;
			ok = run_one(tc);
			failed += !ok;
			printf("%sok %d - %s.%s\n", ok ? "" : "not ", ++i, sn,
			       tc->name);
		}
	}
	printf("# %d tests, %d failed\n", n, failed);
	return failed ? 1 : 0;
}
