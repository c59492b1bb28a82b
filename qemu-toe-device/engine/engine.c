/*
 * engine.c - the connection table, adopt and upload, and the requests a
 * host makes of a connection it has handed over.
 *
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <stdlib.h>

#include "engine-int.h"

#define TOE_MAX_CAPACITY	65536
#define TOE_MAX_WSCALE		14
#define TOE_MIN_MSS		64
/*
 * IPv4's 64 KiB less the IP and TCP headers and the most TCP options a
 * segment carries (40 bytes): the largest data segment still fits the
 * 16-bit IP length.
 */
#define TOE_MAX_MSS		(65535 - 20 - 20 - 40)
#define TOE_MAX_WINDOW		(1u << 30)
#define TOE_MAX_CWND		(1u << 20)

void toe_engine_config_default(struct toe_engine_config *cfg,
			       uint32_t capacity)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = capacity;
	cfg->mem_budget = (size_t)capacity * 256 * 1024;
	cfg->idle_upload_us = 0;
	cfg->min_rto_us = 200000;
	cfg->max_rto_us = 120000000;
	cfg->retries = 15;
	cfg->delack_us = 40000;
	cfg->rcv_reserve_shift = 3;
	cfg->time_wait_us = 60000000;
}

static uint32_t tuple_hash(uint8_t family, const uint8_t *laddr,
			   const uint8_t *raddr, uint16_t lport,
			   uint16_t rport)
{
	size_t alen = family == 4 ? 4 : 16, i;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (i = 0; i < alen; i++)
		h = (h ^ laddr[i]) * 16777619u;
	for (i = 0; i < alen; i++)
		h = (h ^ raddr[i]) * 16777619u;
	h = (h ^ lport) * 16777619u;
	h = (h ^ rport) * 16777619u;
	return h ^ family;
}

static uint32_t conn_bucket(const struct toe_engine *eng,
			    const struct toe_conn *c)
{
	return tuple_hash(c->family, c->laddr, c->raddr, c->lport, c->rport) &
	       (eng->hash_size - 1);
}

struct toe_conn *toe_lookup(struct toe_engine *eng, uint8_t family,
			    const uint8_t *laddr, const uint8_t *raddr,
			    uint16_t lport, uint16_t rport)
{
	size_t alen = family == 4 ? 4 : 16;
	uint32_t b = tuple_hash(family, laddr, raddr, lport, rport) &
		     (eng->hash_size - 1);
	int id;

	for (id = eng->hash[b]; id >= 0; id = eng->conns[id].hash_next) {
		struct toe_conn *c = &eng->conns[id];

		if (c->family == family && c->lport == lport &&
		    c->rport == rport && !memcmp(c->laddr, laddr, alen) &&
		    !memcmp(c->raddr, raddr, alen))
			return c;
	}
	return NULL;
}

static void conn_unhash(struct toe_engine *eng, struct toe_conn *c)
{
	int *pp = &eng->hash[conn_bucket(eng, c)];

	while (*pp >= 0) {
		if (*pp == c->id) {
			*pp = c->hash_next;
			return;
		}
		pp = &eng->conns[*pp].hash_next;
	}
}

/* Forget @c: the id is free again. */
static void conn_release(struct toe_engine *eng, struct toe_conn *c)
{
	toe_rq_free(eng, c);
	conn_unhash(eng, c);
	toe_set_tx_more(eng, c, false);
	c->used = false;
	eng->nconns--;
}

struct toe_engine *toe_engine_new(const struct toe_engine_config *cfg,
				  const struct toe_engine_ops *ops,
				  void *opaque)
{
	struct toe_engine *eng;
	uint32_t i;

	if (!cfg || !ops || !ops->xmit || !ops->read_send || !ops->deliver ||
	    !ops->acked || !ops->event)
		return NULL;
	if (cfg->capacity == 0 || cfg->capacity > TOE_MAX_CAPACITY ||
	    cfg->capacity_reserve >= cfg->capacity ||
	    cfg->min_rto_us == 0 || cfg->max_rto_us < cfg->min_rto_us ||
	    cfg->rcv_reserve_shift > 31 ||
	    cfg->retries == 0)
		return NULL;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return NULL;
	eng->cfg = *cfg;
	eng->ops = *ops;
	eng->opaque = opaque;
	for (eng->hash_size = 16; eng->hash_size < cfg->capacity * 2;)
		eng->hash_size <<= 1;
	eng->conns = calloc(cfg->capacity, sizeof(*eng->conns));
	eng->hash = malloc(eng->hash_size * sizeof(*eng->hash));
	if (!eng->conns || !eng->hash) {
		toe_engine_free(eng);
		return NULL;
	}
	for (i = 0; i < eng->hash_size; i++)
		eng->hash[i] = -1;
	return eng;
}

void toe_engine_free(struct toe_engine *eng)
{
	uint32_t i;

	if (!eng)
		return;
	for (i = 0; eng->conns && i < eng->cfg.capacity; i++)
		if (eng->conns[i].used)
			toe_rq_free(eng, &eng->conns[i]);
	free(eng->conns);
	free(eng->hash);
	free(eng);
}

void toe_report(struct toe_engine *eng, struct toe_conn *c,
		enum toe_engine_event_type type, int arg)
{
	struct toe_engine_event ev = { .type = type, .state = c->state };

	if (type == TOE_ENG_EV_ERROR)
		ev.error = arg;
	else if (type == TOE_ENG_EV_UPLOAD_REQ)
		ev.reason = (uint16_t)arg;
	eng->ops.event(eng->opaque, c->handle, &ev);
}

void toe_set_state(struct toe_engine *eng, struct toe_conn *c, uint8_t st)
{
	if (c->state == st)
		return;
	c->state = st;
	toe_report(eng, c, TOE_ENG_EV_STATE, 0);
}

/**
 * toe_conn_done() - the connection ended on the wire.
 * @error: 0 for an orderly end, else the errno reported first.
 *
 * The caller must not touch @c afterwards except to test c->used.
 */
void toe_conn_done(struct toe_engine *eng, struct toe_conn *c, int error)
{
	if (!c->used)
		return;
	c->state = TOE_TCP_CLOSE;
	if (error)
		toe_report(eng, c, TOE_ENG_EV_ERROR, error);
	/* The handler may have uploaded or aborted it on the error. */
	if (!c->used)
		return;
	toe_report(eng, c, TOE_ENG_EV_CLOSED, 0);
	if (c->used)
		conn_release(eng, c);
}

/*
 * Report an upload request once per connection. The caller's event
 * handler may upload at once, so callers check c->used afterwards.
 */
void toe_ask_upload(struct toe_engine *eng, struct toe_conn *c,
		    enum toe_upload_reason reason)
{
	if (c->upload_asked)
		return;
	c->upload_asked = true;
	eng->stats.upload_reqs[reason]++;
	toe_report(eng, c, TOE_ENG_EV_UPLOAD_REQ, reason);
}

static struct toe_conn *conn_get(const struct toe_engine *eng, int id)
{
	if (!eng || id < 0 || (uint32_t)id >= eng->cfg.capacity ||
	    !eng->conns[id].used)
		return NULL;
	return &eng->conns[id];
}

static bool state_adoptable(uint8_t st)
{
	switch (st) {
	case TOE_TCP_ESTABLISHED:
	case TOE_TCP_FIN_WAIT1:
	case TOE_TCP_FIN_WAIT2:
	case TOE_TCP_CLOSING:
	case TOE_TCP_CLOSE_WAIT:
	case TOE_TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

static bool fin_sent_state(uint8_t st)
{
	return st == TOE_TCP_FIN_WAIT1 || st == TOE_TCP_FIN_WAIT2 ||
	       st == TOE_TCP_CLOSING || st == TOE_TCP_LAST_ACK;
}

static bool fin_rcvd_state(uint8_t st)
{
	return st == TOE_TCP_CLOSE_WAIT || st == TOE_TCP_LAST_ACK ||
	       st == TOE_TCP_CLOSING;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Field-by-field check of a state from the host (invariant 5). */
static bool state_valid(const struct toe_conn_state *st)
{
	uint32_t flags = le32toh(st->flags);
	uint32_t una = le32toh(st->snd_una), nxt = le32toh(st->snd_nxt);
	uint32_t wseq = le32toh(st->write_seq);
	uint32_t mss = le16toh(st->mss), adv_mss = le16toh(st->adv_mss);
	bool fin_out = flags & TOE_CS_FIN_SENT, fin_in = flags & TOE_CS_FIN_RCVD;

	if (le16toh(st->version) != TOE_CONN_STATE_VERSION ||
	    le16toh(st->size) != sizeof(*st))
		return false;
	if ((st->family != 4 && st->family != 6) || !state_adoptable(st->state))
		return false;
	if (flags & ~(TOE_CS_SACK_OK | TOE_CS_TSTAMP_OK | TOE_CS_WSCALE_OK |
		      TOE_CS_NODELAY | TOE_CS_KEEPALIVE | TOE_CS_FIN_SENT |
		      TOE_CS_FIN_RCVD | TOE_CS_ACK_OWED))
		return false;
	if (st->snd_wscale > TOE_MAX_WSCALE || st->rcv_wscale > TOE_MAX_WSCALE ||
	    (!(flags & TOE_CS_WSCALE_OK) && (st->snd_wscale || st->rcv_wscale)))
		return false;
	if (!st->local_port || !st->remote_port)
		return false;
	if (mss < TOE_MIN_MSS || mss > TOE_MAX_MSS || adv_mss < TOE_MIN_MSS ||
	    adv_mss > TOE_MAX_MSS)
		return false;
	/* The limit is on data; a FIN after it takes one more sequence. */
	if (seq_lt(nxt, una) || seq_lt(wseq, nxt) ||
	    wseq - una > TOE_ENGINE_MAX_INFLIGHT + fin_out)
		return false;
	if (fin_out != fin_sent_state(st->state) ||
	    fin_in != fin_rcvd_state(st->state))
		return false;
	/* Our FIN is acknowledged in FIN_WAIT2, and in no other state. */
	if (fin_out && (wseq == una) != (st->state == TOE_TCP_FIN_WAIT2))
		return false;
	if (le32toh(st->snd_wnd) > TOE_MAX_WINDOW ||
	    le32toh(st->max_window) > TOE_MAX_WINDOW ||
	    le32toh(st->rcv_wnd) > TOE_MAX_WINDOW)
		return false;
	if (seq_lt(le32toh(st->rcv_nxt), le32toh(st->rcv_wup)) ||
	    le32toh(st->rcv_nxt) - le32toh(st->rcv_wup) > TOE_MAX_WINDOW)
		return false;
	if (le32toh(st->snd_cwnd) == 0 || le32toh(st->snd_cwnd) > TOE_MAX_CWND ||
	    le32toh(st->snd_ssthresh) < 2 || st->cong_algo > TOE_CC_CUBIC)
		return false;
	if ((flags & TOE_CS_KEEPALIVE) &&
	    (!le32toh(st->keepalive_time_s) ||
	     !le32toh(st->keepalive_intvl_s) || !st->keepalive_probes))
		return false;
	if (st->num_sacks > 4 || st->reserved0 ||
	    !all_zero(st->reserved1, sizeof(st->reserved1)) ||
	    !all_zero(st->reserved, sizeof(st->reserved)))
		return false;
	return true;
}

/*
 * The caller's clock, made monotonic: a time earlier than one already
 * given is taken as that one. TSvals, RTT samples and timers all derive
 * from it, and a TSval that went backwards would be a PAWS reject at the
 * peer (RFC 7323 5.3).
 */
static uint64_t toe_clock(struct toe_engine *eng, uint64_t now_us)
{
	if (!eng)
		return now_us;
	if (now_us > eng->now_us)
		eng->now_us = now_us;
	return eng->now_us;
}

static uint32_t clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Capacity pressure: fewer than capacity_reserve slots free. Ask the
 * connection longest without traffic, other than @newest, to go back to
 * the host; one that was already asked is passed over.
 */
static void capacity_check(struct toe_engine *eng, struct toe_conn *newest)
{
	struct toe_conn *idlest = NULL, *c;
	uint32_t i;

	if (!eng->cfg.capacity_reserve ||
	    eng->cfg.capacity - eng->nconns >= eng->cfg.capacity_reserve)
		return;
	for (i = 0; i < eng->cfg.capacity; i++) {
		c = &eng->conns[i];
		if (!c->used || c == newest || c->upload_asked)
			continue;
		if (!idlest || c->last_active_us < idlest->last_active_us)
			idlest = c;
	}
	if (idlest)
		toe_ask_upload(eng, idlest, TOE_UPLOAD_CAPACITY);
}

int toe_engine_adopt(struct toe_engine *eng, const struct toe_conn_state *st,
		     uint64_t handle, uint32_t rcv_space, uint64_t now_us)
{
	struct toe_conn *c = NULL;
	uint32_t flags, i, b, edge, old_wnd;
	uint64_t age_us;
	int id;

	now_us = toe_clock(eng, now_us);

	if (!eng || !st || !state_valid(st))
		return -EINVAL;
	if (toe_lookup(eng, st->family, st->local_addr, st->remote_addr,
		       st->local_port, st->remote_port))
		return -EEXIST;
	for (i = 0; i < eng->cfg.capacity; i++) {
		if (!eng->conns[i].used) {
			c = &eng->conns[i];
			break;
		}
	}
	if (!c)
		return -ENOSPC;

	memset(c, 0, sizeof(*c));
	flags = le32toh(st->flags);
	c->id = (int)i;
	c->handle = handle;
	c->family = st->family;
	c->state = st->state;
	memcpy(c->laddr, st->local_addr, 16);
	memcpy(c->raddr, st->remote_addr, 16);
	c->lport = st->local_port;
	c->rport = st->remote_port;

	c->sack_ok = flags & TOE_CS_SACK_OK;
	c->ts_ok = flags & TOE_CS_TSTAMP_OK;
	c->ws_ok = flags & TOE_CS_WSCALE_OK;
	c->nodelay = flags & TOE_CS_NODELAY;
	c->snd_wscale = st->snd_wscale;
	c->rcv_wscale = st->rcv_wscale;
	c->mss = le16toh(st->mss);
	c->adv_mss = le16toh(st->adv_mss);

	c->snd_una = le32toh(st->snd_una);
	c->snd_nxt = le32toh(st->snd_nxt);
	c->write_seq = le32toh(st->write_seq);
	c->fin_queued = flags & TOE_CS_FIN_SENT;
	if (c->fin_queued) {
		c->write_seq--;		/* data ends before the FIN */
		c->fin_sent = c->snd_nxt == c->write_seq + 1;
	}
	c->snd_wl1 = le32toh(st->snd_wl1);
	c->snd_wnd = le32toh(st->snd_wnd);
	c->max_window = le32toh(st->max_window);
	if (c->max_window < c->snd_wnd)
		c->max_window = c->snd_wnd;
	c->high_rxt = c->snd_una;
	c->lost_end = c->snd_una;
	c->recover = c->snd_una;

	c->rcv_nxt = le32toh(st->rcv_nxt);
	c->fin_rcvd = flags & TOE_CS_FIN_RCVD;
	/* Keep the window already promised to the peer (invariant 3). */
	edge = le32toh(st->rcv_wup) + le32toh(st->rcv_wnd);
	c->rcv_adv = seq_max(edge, c->rcv_nxt);
	c->rcv_space = rcv_space > TOE_MAX_WINDOW ? TOE_MAX_WINDOW : rcv_space;
	c->rcv_space_max = c->rcv_space;
	c->rcv_reserve_shift = eng->cfg.rcv_reserve_shift;

	c->ts_base = le32toh(st->ts_now);
	c->ts_base_us = now_us;
	c->ts_recent = le32toh(st->ts_recent);
	age_us = (uint64_t)le32toh(st->ts_recent_age_ms) * 1000;
	c->ts_recent_us = now_us > age_us ? now_us - age_us : 0;
	/* Without a recent TSval, take the next one the peer sends. */
	c->ts_recent_valid = c->ts_ok && c->ts_recent != 0;

	c->srtt_us = le32toh(st->srtt_us);
	c->rttvar_us = le32toh(st->rttvar_us);
	c->rto_us = clamp_u32(le32toh(st->rto_us), eng->cfg.min_rto_us,
			      eng->cfg.max_rto_us);

	c->cc_algo = st->cong_algo;
	c->cwnd = le32toh(st->snd_cwnd);
	c->ssthresh = le32toh(st->snd_ssthresh);
	c->ca_state = TOE_CA_OPEN;
	toe_cc_on_adopt(c);

	c->keepalive = flags & TOE_CS_KEEPALIVE;
	c->ka_idle_s = le32toh(st->keepalive_time_s);
	c->ka_intvl_s = le32toh(st->keepalive_intvl_s);
	c->ka_probes = st->keepalive_probes;

	for (i = 0; i < TOE_NUM_TIMERS; i++)
		c->timers[i] = TOE_T_OFF;
	c->last_rcv_us = now_us;
	c->last_active_us = now_us;

	c->used = true;
	c->hash_next = -1;
	b = conn_bucket(eng, c);
	c->hash_next = eng->hash[b];
	eng->hash[b] = c->id;
	eng->nconns++;

	if (c->snd_nxt != c->snd_una)
		toe_rearm_rto(c, now_us);
	if (c->keepalive)
		toe_timer_set(c, TOE_T_KEEPALIVE,
			      now_us + (uint64_t)c->ka_idle_s * 1000000);
	if (eng->cfg.idle_upload_us)
		toe_timer_set(c, TOE_T_IDLE, now_us + eng->cfg.idle_upload_us);
	/*
	 * A window the host's stack had closed (its application slow to
	 * read) opens now if the caller grants a segment's worth. Say so at
	 * once: a peer in persist mode would otherwise wait for its next
	 * probe, which backs off to seconds.
	 */
	old_wnd = c->rcv_adv - c->rcv_nxt;
	if ((old_wnd < c->mss && toe_rcv_wnd_avail(c) >= c->mss) ||
	    (flags & TOE_CS_ACK_OWED))
		c->ack_now = true;
	toe_output(eng, c, now_us);
	id = c->id;
	/* The handler may upload the idlest; the new one stays. */
	capacity_check(eng, c);
	return id;
}

/* Hand the out-of-order data the engine holds to the caller as packets. */
static void upload_held(struct toe_engine *eng, struct toe_conn *c,
			struct toe_engine_upload *res, uint64_t now_us)
{
	uint32_t held_end = toe_rq_held_end(c, NULL);
	bool fin_carried = false;
	struct toe_rseg *r;

	for (r = c->rq; r; r = r->next) {
		struct toe_xmit x = {
			.seq = r->seq,
			.flags = TH_ACK | (c->ooo_fin && r->seq + r->len ==
					   c->ooo_fin_seq ? TH_FIN : 0),
			.data = r->data + r->off,
			.len = r->len,
			.as_peer = true,
			.ack = c->snd_una,
			.wnd = (uint16_t)seq_min(c->snd_wnd >> c->snd_wscale,
						 0xffff),
			.tsval = c->ts_recent,
			.tsecr = 0,
		};

		if (x.flags & TH_FIN)
			fin_carried = true;
		if (eng->ops.held_pkt) {
			toe_build(eng, c, &x, now_us);
			continue;
		}
		res->ooo_dropped += r->len;
		/* Every out-of-order arrival was answered with SACK. */
		if (c->sack_ok && seq_lt(held_end, r->seq))
			res->sack_reneged = true;
	}
	if (c->ooo_fin && !fin_carried && eng->ops.held_pkt) {
		struct toe_xmit x = {
			.seq = c->ooo_fin_seq,
			.flags = TH_ACK | TH_FIN,
			.as_peer = true,
			.ack = c->snd_una,
			.wnd = (uint16_t)seq_min(c->snd_wnd >> c->snd_wscale,
						 0xffff),
			.tsval = c->ts_recent,
		};

		toe_build(eng, c, &x, now_us);
	}
}

int toe_engine_upload(struct toe_engine *eng, int id,
		      struct toe_conn_state *st, struct toe_engine_upload *res,
		      uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);
	uint32_t flags = 0;

	now_us = toe_clock(eng, now_us);

	if (!c || !st || !res)
		return -ENOENT;
	memset(res, 0, sizeof(*res));

	/* Whatever in-order data is held goes to the host first. */
	toe_rq_deliver(eng, c, now_us);
	res->held = toe_rq_held_end(c, NULL) - c->rcv_nxt;
	upload_held(eng, c, res, now_us);
	res->snd_una = c->snd_una;

	memset(st, 0, sizeof(*st));
	st->version = htole16(TOE_CONN_STATE_VERSION);
	st->size = htole16(sizeof(*st));
	st->family = c->family;
	st->state = c->state;
	st->snd_wscale = c->snd_wscale;
	st->rcv_wscale = c->rcv_wscale;
	memcpy(st->local_addr, c->laddr, 16);
	memcpy(st->remote_addr, c->raddr, 16);
	st->local_port = c->lport;
	st->remote_port = c->rport;
	if (c->sack_ok)
		flags |= TOE_CS_SACK_OK;
	if (c->ts_ok)
		flags |= TOE_CS_TSTAMP_OK;
	if (c->ws_ok)
		flags |= TOE_CS_WSCALE_OK;
	if (c->nodelay)
		flags |= TOE_CS_NODELAY;
	if (c->keepalive)
		flags |= TOE_CS_KEEPALIVE;
	if (c->fin_queued)
		flags |= TOE_CS_FIN_SENT;
	if (c->fin_rcvd)
		flags |= TOE_CS_FIN_RCVD;
	if (c->ack_pending || c->ack_now)
		flags |= TOE_CS_ACK_OWED;
	st->flags = htole32(flags);

	st->snd_una = htole32(c->snd_una);
	st->snd_nxt = htole32(c->snd_nxt);
	st->write_seq = htole32(c->write_seq + (c->fin_queued ? 1 : 0));
	st->snd_wl1 = htole32(c->snd_wl1);
	st->snd_wnd = htole32(c->snd_wnd);
	st->max_window = htole32(c->max_window);
	st->mss = htole16((uint16_t)c->mss);
	st->adv_mss = htole16((uint16_t)c->adv_mss);

	st->rcv_nxt = htole32(c->rcv_nxt);
	st->copied_seq = htole32(c->rcv_nxt);
	st->rcv_wnd = htole32(c->rcv_adv - c->rcv_nxt);
	st->rcv_wup = htole32(c->rcv_nxt);

	st->ts_recent = htole32(c->ts_recent);
	st->ts_recent_age_ms = htole32(c->ts_recent_valid ?
		(uint32_t)((now_us - c->ts_recent_us) / 1000) : 0);
	st->ts_now = htole32(toe_tsval(c, now_us));

	st->srtt_us = htole32(c->srtt_us);
	st->rttvar_us = htole32(c->rttvar_us);
	st->rto_us = htole32(c->rto_us);
	st->snd_cwnd = htole32(c->cwnd);
	st->snd_ssthresh = htole32(c->ssthresh);
	st->ca_state = c->ca_state;
	st->cong_algo = c->cc_algo;
	st->keepalive_probes = (uint8_t)c->ka_probes;
	st->keepalive_time_s = htole32(c->ka_idle_s);
	st->keepalive_intvl_s = htole32(c->ka_intvl_s);

	conn_release(eng, c);
	return 0;
}

int toe_engine_send_queued(struct toe_engine *eng, int id, uint32_t write_seq,
			   uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);

	now_us = toe_clock(eng, now_us);

	if (!c)
		return -ENOENT;
	if (c->fin_queued)
		return -EPIPE;
	if (seq_lt(write_seq, c->write_seq) ||
	    write_seq - c->snd_una > TOE_ENGINE_MAX_INFLIGHT)
		return -EINVAL;
	c->write_seq = write_seq;
	toe_output(eng, c, now_us);
	return 0;
}

int toe_engine_recv_freed(struct toe_engine *eng, int id, uint32_t bytes,
			  uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);
	uint32_t old_wnd, prior_rcv_nxt;

	now_us = toe_clock(eng, now_us);

	if (!c)
		return -ENOENT;
	if (bytes > TOE_MAX_WINDOW - c->rcv_space)
		return -EINVAL;
	c->rcv_space += bytes;
	if (c->rcv_space > c->rcv_space_max)
		c->rcv_space_max = c->rcv_space;
	prior_rcv_nxt = c->rcv_nxt;
	toe_rq_deliver(eng, c, now_us);
	if (!c->used)
		return 0;
	if (c->rcv_nxt != prior_rcv_nxt)
		c->ack_now = true;	/* held data now taken */
	/* Tell the peer when the window at least doubled (Linux does). */
	old_wnd = c->rcv_adv - c->rcv_nxt;
	if (toe_rcv_wnd_avail(c) >= 2 * old_wnd &&
	    toe_rcv_wnd_avail(c) >= c->mss)
		c->ack_now = true;
	toe_output(eng, c, now_us);
	return 0;
}

int toe_engine_shutdown(struct toe_engine *eng, int id, uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);

	now_us = toe_clock(eng, now_us);

	if (!c)
		return -ENOENT;
	if (c->fin_queued)
		return 0;
	if (c->state != TOE_TCP_ESTABLISHED && c->state != TOE_TCP_CLOSE_WAIT)
		return -ENOTCONN;
	/*
	 * The state is whole before it is reported: the handler may
	 * upload from the event.
	 */
	c->fin_queued = true;
	toe_set_state(eng, c, c->state == TOE_TCP_ESTABLISHED ?
			      TOE_TCP_FIN_WAIT1 : TOE_TCP_LAST_ACK);
	if (c->used)
		toe_output(eng, c, now_us);
	return 0;
}

int toe_engine_abort(struct toe_engine *eng, int id, uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);

	now_us = toe_clock(eng, now_us);

	if (!c)
		return -ENOENT;
	toe_send_rst(eng, c, now_us);
	conn_release(eng, c);
	return 0;
}

int toe_engine_set_nodelay(struct toe_engine *eng, int id, bool nodelay,
			   uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);

	now_us = toe_clock(eng, now_us);

	if (!c)
		return -ENOENT;
	c->nodelay = nodelay;
	toe_output(eng, c, now_us);
	return 0;
}

int toe_engine_set_keepalive(struct toe_engine *eng, int id, bool on,
			     uint32_t idle_s, uint32_t intvl_s,
			     uint32_t probes, uint64_t now_us)
{
	struct toe_conn *c = conn_get(eng, id);

	now_us = toe_clock(eng, now_us);

	if (!c)
		return -ENOENT;
	/* Linux's own limits: MAX_TCP_KEEPIDLE, KEEPINTVL, KEEPCNT. */
	if (idle_s < 1 || idle_s > 32767 || intvl_s < 1 || intvl_s > 32767 ||
	    probes < 1 || probes > 127)
		return -EINVAL;
	c->keepalive = on;
	c->ka_idle_s = idle_s;
	c->ka_intvl_s = intvl_s;
	c->ka_probes = probes;
	c->probes_out = 0;
	toe_timer_set(c, TOE_T_KEEPALIVE, on ?
		      c->last_rcv_us + (uint64_t)idle_s * 1000000 : TOE_T_OFF);
	return 0;
}

int toe_engine_request_upload(struct toe_engine *eng, int id,
			      enum toe_upload_reason reason)
{
	struct toe_conn *c = conn_get(eng, id);

	if (!c)
		return -ENOENT;
	if (reason <= TOE_UPLOAD_NONE || reason > TOE_UPLOAD_REQUESTED)
		return -EINVAL;
	c->upload_asked = false;	/* asked from outside: always report */
	toe_ask_upload(eng, c, reason);
	return 0;
}

int toe_engine_conn_info(const struct toe_engine *eng, int id,
			 struct toe_engine_conn_info *info)
{
	const struct toe_conn *c = conn_get(eng, id);
	const struct toe_rseg *r;
	uint32_t held_end;

	if (!c || !info)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->state = c->state;
	info->ca_state = c->ca_state;
	info->snd_una = c->snd_una;
	info->snd_nxt = c->snd_nxt;
	info->write_seq = c->write_seq + (c->fin_queued ? 1 : 0);
	info->snd_wnd = c->snd_wnd;
	info->rcv_nxt = c->rcv_nxt;
	info->rcv_wnd = c->rcv_adv - c->rcv_nxt;
	info->mss = c->mss;
	info->cwnd = c->cwnd;
	info->ssthresh = c->ssthresh;
	info->srtt_us = c->srtt_us;
	info->rttvar_us = c->rttvar_us;
	info->rto_us = c->rto_us;
	info->sacked_out = (c->sacked_bytes + c->mss - 1) / c->mss;
	info->lost_out = (toe_sb_lost_boundary(c) - c->snd_una) / c->mss;
	info->retrans_out = (c->retrans_out_bytes + c->mss - 1) / c->mss;
	info->bytes_acked = c->bytes_acked;
	info->bytes_received = c->bytes_received;
	info->retrans_segs = c->retrans_segs;
	info->ts_ok = c->ts_ok;
	info->ts_base = c->ts_base;
	info->ts_base_us = c->ts_base_us;
	info->ts_recent = c->ts_recent;
	held_end = toe_rq_held_end(c, NULL);
	for (r = c->rq; r; r = r->next) {
		if (seq_lt(r->seq, held_end))
			info->held_bytes += r->len;
		else
			info->ooo_bytes += r->len;
	}
	return 0;
}

void toe_engine_get_stats(const struct toe_engine *eng,
			  struct toe_engine_stats *stats)
{
	*stats = eng->stats;
	stats->conn_bytes = sizeof(struct toe_conn);
	stats->engine_bytes = sizeof(*eng) + eng->hash_size * sizeof(int);
}

int toe_engine_find_handle(const struct toe_engine *eng, uint64_t handle)
{
	uint32_t i;

	for (i = 0; i < eng->cfg.capacity; i++)
		if (eng->conns[i].used && eng->conns[i].handle == handle)
			return (int)i;
	return -ENOENT;
}

/*
 * A "too big" ICMP error about a held connection (RFC 1191, RFC 8201):
 * the engine takes the smaller MSS at once, resends what is in flight in
 * segments that fit, and asks for an upload (TOE_UPLOAD_PMTU): path MTU
 * state is the host's. Only a quoted sequence in [snd_una, snd_nxt] is
 * believed (RFC 5927 4.1); an MTU below the protocol's minimum counts as
 * that minimum. Return: 1 if it was about a held connection, else 0.
 */
static int icmp_input(struct toe_engine *eng, const uint8_t *pkt, size_t len,
		      uint64_t now_us)
{
	struct toe_icmp_ptb ptb;
	uint32_t min_mtu, hdrs, mss;
	struct toe_conn *c;

	if (toe_parse_icmp_ptb(pkt, len, &ptb))
		return 0;
	c = toe_lookup(eng, ptb.family, ptb.laddr, ptb.raddr, ptb.lport,
		       ptb.rport);
	if (!c)
		return 0;
	if (seq_lt(ptb.seq, c->snd_una) || seq_lt(c->snd_nxt, ptb.seq)) {
		eng->stats.dropped++;
		return 1;
	}
	min_mtu = ptb.family == 4 ? 552 : 1280;
	hdrs = (ptb.family == 4 ? 20 : 40) + 20 + (c->ts_ok ? 12 : 0);
	mss = (ptb.mtu < min_mtu ? min_mtu : ptb.mtu) - hdrs;
	if (mss >= c->mss)
		return 1;
	c->mss = mss;
	/* What was sent at the old size is lost: resend it, cwnd kept. */
	c->high_rxt = c->snd_una;
	c->lost_end = c->snd_nxt;
	toe_ask_upload(eng, c, TOE_UPLOAD_PMTU);
	if (c->used)
		toe_output(eng, c, now_us);
	return 1;
}

int toe_engine_input(struct toe_engine *eng, const uint8_t *pkt, size_t len,
		     uint64_t now_us)
{
	struct toe_seg seg;
	struct toe_conn *c;
	int ret;

	now_us = toe_clock(eng, now_us);

	ret = toe_parse(pkt, len, &seg);
	if (ret == -ENOPROTOOPT)
		return icmp_input(eng, pkt, len, now_us);
	if (ret) {
		eng->stats.dropped++;
		return -EINVAL;
	}
	c = toe_lookup(eng, seg.family, seg.daddr, seg.saddr, seg.dport,
		       seg.sport);
	if (!c)
		return 0;
	eng->stats.segs_in++;
	toe_input_seg(eng, c, &seg, now_us);
	return 1;
}

uint64_t toe_engine_next_deadline(const struct toe_engine *eng)
{
	uint64_t next = UINT64_MAX, t;
	uint32_t i;

	for (i = 0; i < eng->cfg.capacity; i++) {
		if (!eng->conns[i].used)
			continue;
		t = toe_conn_deadline(&eng->conns[i]);
		if (t < next)
			next = t;
	}
	return next;
}

void toe_set_tx_more(struct toe_engine *eng, struct toe_conn *c, bool more)
{
	if (c->tx_more != more) {
		c->tx_more = more;
		if (more)
			eng->tx_more++;
		else
			eng->tx_more--;
	}
}

bool toe_engine_tx_pending(const struct toe_engine *eng)
{
	return eng->tx_more != 0;
}

void toe_engine_tx_resume(struct toe_engine *eng, uint64_t now_us)
{
	uint32_t i;

	now_us = toe_clock(eng, now_us);

	for (i = 0; i < eng->cfg.capacity && eng->tx_more; i++) {
		struct toe_conn *c = &eng->conns[i];

		if (c->used && c->tx_more) {
			toe_set_tx_more(eng, c, false);
			toe_output(eng, c, now_us);
		}
	}
}

uint64_t toe_engine_timers(struct toe_engine *eng, uint64_t now_us)
{
	uint32_t i;

	now_us = toe_clock(eng, now_us);

	for (i = 0; i < eng->cfg.capacity; i++)
		if (eng->conns[i].used &&
		    toe_conn_deadline(&eng->conns[i]) <= now_us)
			toe_conn_timers(eng, &eng->conns[i], now_us);
	return toe_engine_next_deadline(eng);
}
